/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_dispatch.c: the dispatch stage of parse -> schedule -> dispatch ->
 * encode. One item becomes one internal subrequest made with
 * ap_sub_req_method_uri(). The item's headers, kept body, request line and
 * BATCH_ITEM_ID are put on the parent *before* the lookup, so that
 * translate, authn/authz, mod_rewrite and fixups all see the item; the
 * subrequest's output goes to a stand-alone capture filter that copies
 * every byte into the item pool (file and pipe buckets die with the
 * subrequest), and its error pages are kept out of the batch response by
 * making that filter its protocol chain too. The item body is served by an
 * own input filter at the bottom of the item's secondary connection that
 * ends with EOS, so no handler ever reads the batch body. The parent is
 * the item's dummy parent request (batch_shadow.c), never the batch
 * request. See DESIGN.md sections 1 to 4 for the traps each step avoids.
 */
#include <apr_strings.h>
#include <apr_buckets.h>

#include "batch_private.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "mod_batch.h"
#include "batch_dispatch.h"
#include "batch_encode.h"

#define CAPTURE_FILTER "BATCH_CAPTURE"
#define BODY_FILTER "BATCH_BODY"
#define BODY_NET_FILTER "BATCH_BODY_NET"
/* Chunks of the captured body: the first one just fits the first read
 * (small API answers are one bucket), later ones double up to the max. */
#define CAPTURE_CHUNK_MIN 1024
#define CAPTURE_CHUNK_MAX (64 * 1024)

/* Set once in register_hooks, read-only afterwards. */
static ap_filter_rec_t *capture_frec;
static ap_filter_rec_t *body_frec;
static ap_filter_rec_t *body_net_frec;

/* ------------------------------------------------------------------ */
/* Capture of the item's response body                                */

typedef struct capture_chunk_t {
    struct capture_chunk_t *next;
    apr_size_t len;
    apr_size_t cap;
    char *data;
} capture_chunk_t;

typedef struct capture_t {
    apr_pool_t *pool;       /* the item pool: owns every chunk */
    capture_chunk_t *first; /* chunks in order */
    capture_chunk_t *last;
    apr_off_t total;      /* bytes seen, kept or not */
    apr_off_t max;        /* BatchMaxResponseSize */
    int too_large;        /* total went over max: nothing more kept */
    int discard;          /* HEAD: the body is counted, never kept */
    int eos;              /* an EOS arrived: the body is an error page
                             made by ap_die() (SUBREQ_CORE removes the
                             EOS of every normal response) */
    int error_status;     /* from an error bucket, 0 if none */
    apr_status_t read_rv; /* first failed bucket read */
} capture_t;

static void capture_append(capture_t *cap, const char *data, apr_size_t len)
{
    capture_chunk_t *ch = cap->last;

    cap->total += (apr_off_t)len;
    if (cap->too_large || cap->discard || len == 0) {
        return;
    }
    if (cap->total > cap->max) {
        cap->too_large = 1;
        return;
    }
    while (len > 0) {
        apr_size_t n;

        if (ch == NULL || ch->len == ch->cap) {
            ch = apr_palloc(cap->pool, sizeof(*ch));
            ch->next = NULL;
            ch->len = 0;
            apr_size_t want = cap->last ? cap->last->cap * 2 : 0;

            if (want > CAPTURE_CHUNK_MAX) {
                want = CAPTURE_CHUNK_MAX;
            }
            if (want < CAPTURE_CHUNK_MIN) {
                want = CAPTURE_CHUNK_MIN;
            }
            ch->cap = len > want ? len : want;
            ch->data = apr_palloc(cap->pool, ch->cap);
            if (cap->last) {
                cap->last->next = ch;
            }
            else {
                cap->first = ch;
            }
            cap->last = ch;
        }
        n = ch->cap - ch->len;
        if (n > len) {
            n = len;
        }
        memcpy(ch->data + ch->len, data, n);
        ch->len += n;
        data += n;
        len -= n;
    }
}

/* The whole body as one buffer from the item pool (no copy for one
 * chunk). */
static const char *capture_flatten(capture_t *cap, apr_size_t *plen)
{
    capture_chunk_t *ch;
    apr_size_t total = 0;
    char *buf, *pos;

    for (ch = cap->first; ch; ch = ch->next) {
        total += ch->len;
    }
    *plen = total;
    if (cap->first == NULL) {
        return NULL;
    }
    if (cap->first->next == NULL) {
        return cap->first->data;
    }
    pos = buf = apr_palloc(cap->pool, total);
    for (ch = cap->first; ch; ch = ch->next) {
        memcpy(pos, ch->data, ch->len);
        pos += ch->len;
    }
    return buf;
}

/* The last filter of the subrequest: it has no next filter and never
 * reaches the network. Every data bucket is read (blocking) and copied,
 * then deleted, because FILE, MMAP and PIPE buckets belong to the
 * subrequest's pool and die with it. */
static apr_status_t capture_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    capture_t *cap = f->ctx;

    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket *b = APR_BRIGADE_FIRST(bb);

        if (APR_BUCKET_IS_METADATA(b)) {
            if (APR_BUCKET_IS_EOS(b)) {
                cap->eos = 1;
            }
            else if (AP_BUCKET_IS_ERROR(b) && cap->error_status == 0) {
                cap->error_status = ((ap_bucket_error *)b->data)->status;
            }
        }
        else {
            const char *data;
            apr_size_t len;
            apr_status_t rv;

            rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                if (cap->read_rv == APR_SUCCESS) {
                    cap->read_rv = rv;
                }
                apr_brigade_cleanup(bb);
                return rv;
            }
            capture_append(cap, data, len);
            if (cap->too_large) {
                /* stop the handler: the item is answered ResponseTooLarge
                 * whatever follows, and an endless target (a stream, a
                 * huge file) must not hold the worker */
                apr_brigade_cleanup(bb);
                return APR_ENOSPC;
            }
        }
        apr_bucket_delete(b);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The item's request body                                            */

typedef struct body_ctx_t {
    const char *data; /* owned by the batch (parse pool) */
    apr_size_t len;
    apr_size_t off;
} body_ctx_t;

/* Serves the item body, then EOS, in every read mode handlers use. Two
 * instances share one position in the body: BATCH_BODY in front of the
 * subrequest's input chain (ahead of mod_request's KEPT_BODY, which would
 * serve the kept body a second time), and BATCH_BODY_NET at the bottom of
 * the item's own connection, where a request made by an internal redirect
 * reads what is left. No item ever reads the batch request's input. */
static apr_status_t body_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                   ap_input_mode_t mode, apr_read_type_e block,
                                   apr_off_t readbytes)
{
    body_ctx_t *ctx = f->ctx;
    apr_size_t left = ctx->len - ctx->off;
    apr_size_t n;
    const char *start = ctx->data + ctx->off;

    (void)block;
    if (mode == AP_MODE_INIT || mode == AP_MODE_EATCRLF) {
        return APR_SUCCESS;
    }
    if (left == 0) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
        return APR_SUCCESS;
    }
    switch (mode) {
    case AP_MODE_READBYTES:
    case AP_MODE_SPECULATIVE:
        n = (readbytes > 0 && (apr_off_t)left > readbytes)
                ? (apr_size_t)readbytes
                : left;
        break;
    case AP_MODE_EXHAUSTIVE:
        n = left;
        break;
    case AP_MODE_GETLINE: {
        const char *nl = memchr(start, '\n', left);

        n = nl ? (apr_size_t)(nl - start) + 1 : left;
        if (readbytes > 0 && (apr_off_t)n > readbytes) {
            n = (apr_size_t)readbytes;
        }
        break;
    }
    default:
        return APR_ENOTIMPL;
    }
    APR_BRIGADE_INSERT_TAIL(
        bb, apr_bucket_immortal_create(start, n, f->c->bucket_alloc));
    if (mode != AP_MODE_SPECULATIVE) {
        ctx->off += n;
        if (ctx->off == ctx->len) {
            APR_BRIGADE_INSERT_TAIL(bb,
                                    apr_bucket_eos_create(f->c->bucket_alloc));
        }
    }
    return APR_SUCCESS;
}

void batch_dispatch_register(apr_pool_t *p)
{
    (void)p;
    capture_frec = ap_register_output_filter(CAPTURE_FILTER, capture_out_filter,
                                             NULL, AP_FTYPE_PROTOCOL);
    body_frec = ap_register_input_filter(BODY_FILTER, body_in_filter, NULL,
                                         AP_FTYPE_RESOURCE);
    body_net_frec = ap_register_input_filter(BODY_NET_FILTER, body_in_filter,
                                             NULL, AP_FTYPE_NETWORK);
}

/* ------------------------------------------------------------------ */
/* Headers                                                            */

/* Headers of the batch request that describe the batch body or make no
 * sense for an item (CONTRACT 4); If-* and Content-* by prefix. */
static int inherit_header(const char *name)
{
    static const char *const drop[] = {"Transfer-Encoding",
                                       "Accept-Encoding",
                                       "Range",
                                       "Expect",
                                       "Connection",
                                       "Keep-Alive",
                                       "TE",
                                       "Trailer",
                                       "Upgrade",
                                       "Proxy-Connection",
                                       "HTTP2-Settings",
                                       NULL};
    int i;

    if (strncasecmp(name, "If-", 3) == 0
        || strncasecmp(name, "Content-", 8) == 0) {
        return 0;
    }
    for (i = 0; drop[i]; i++) {
        if (strcasecmp(name, drop[i]) == 0) {
            return 0;
        }
    }
    return 1;
}

struct batch_dispatch_t {
    apr_off_t max_response;
    apr_table_t *inherited; /* the parent's headers minus the strip list */
    const char *protocol;   /* of the items' request lines */
};

typedef struct {
    apr_table_t *out;
    const char *connection; /* the batch's Connection header, or NULL */
    apr_pool_t *pool;
} inherit_ctx_t;

static int inherit_one(void *data, const char *key, const char *val)
{
    inherit_ctx_t *ctx = data;

    if (inherit_header(key)
        && !(ctx->connection
             && ap_find_token(ctx->pool, ctx->connection, key))) {
        apr_table_addn(ctx->out, key, val);
    }
    return 1;
}

batch_dispatch_t *batch_dispatch_create(request_rec *parent,
                                        apr_off_t max_response, apr_pool_t *p)
{
    batch_dispatch_t *d = apr_pcalloc(p, sizeof(*d));
    inherit_ctx_t ictx;

    d->max_response = max_response;
    d->protocol = parent->protocol ? parent->protocol : "HTTP/1.1";
    /* the same for every item of the batch: filtered once */
    d->inherited = apr_table_make(p, 16);
    ictx.out = d->inherited;
    ictx.connection = apr_table_get(parent->headers_in, "Connection");
    ictx.pool = p;
    apr_table_do(inherit_one, &ictx, parent->headers_in, NULL);
    return d;
}

static int unset_one(void *data, const char *key, const char *val)
{
    (void)val;
    apr_table_unset((apr_table_t *)data, key);
    return 1;
}

static int add_one(void *data, const char *key, const char *val)
{
    apr_table_addn((apr_table_t *)data, key, val);
    return 1;
}

apr_table_t *batch_dispatch_headers(const batch_dispatch_t *d,
                                    const batch_item_t *it, apr_pool_t *p)
{
    apr_table_t *h = apr_table_copy(p, d->inherited);

    /* all names first, then all values: two spellings of one name in the
     * item must both survive */
    apr_table_do(unset_one, h, it->headers, NULL);
    apr_table_do(add_one, h, it->headers, NULL);
    if (it->has_body) {
        apr_table_setn(h, "Content-Type", it->body_type);
        apr_table_setn(h, "Content-Length",
                       apr_psprintf(p, "%" APR_SIZE_T_FMT, it->body_len));
    }
    return h;
}

char *batch_dispatch_request_line(const batch_dispatch_t *d,
                                  const batch_item_t *it, apr_pool_t *p)
{
    return apr_pstrcat(p, it->method, " ", it->uri, " ", d->protocol, NULL);
}

static int item_is_conditional(const batch_item_t *it)
{
    return apr_table_get(it->headers, "If-Match") != NULL
           || apr_table_get(it->headers, "If-None-Match") != NULL
           || apr_table_get(it->headers, "If-Modified-Since") != NULL
           || apr_table_get(it->headers, "If-Unmodified-Since") != NULL;
}

static int is_proxied(const request_rec *rr)
{
    return rr->proxyreq != PROXYREQ_NONE
           || (rr->handler && strncmp(rr->handler, "proxy", 5) == 0)
           || (rr->filename && strncmp(rr->filename, "proxy:", 6) == 0);
}

const char *batch_dispatch_status_line(int status)
{
    const char *line = ap_get_status_line(status);

    return atoi(line) == status ? line : NULL;
}

static void set_module_error(batch_result_t *res, int status, const char *code,
                             const char *message)
{
    res->status = status;
    res->error_code = code;
    res->error_message = message;
    res->headers = NULL;
    res->content_type = NULL;
    res->body = NULL;
    res->body_len = 0;
}

/* Status, headers and content type of the subrequest, by reference: the
 * subrequest's pool descends from the item pool ip (through the item's
 * secondary connection and dummy parent), so nothing of it goes before
 * the item has been written; it is freed with ip. */
static void collect(batch_result_t *res, request_rec *fin, int status)
{
    res->status = status;
    res->headers = apr_is_empty_table(fin->err_headers_out)
                       ? fin->headers_out
                       : apr_table_overlay(fin->pool, fin->headers_out,
                                           fin->err_headers_out);
    res->content_type = fin->content_type;
    /* keep a status line only when it carries a reason phrase ("418 I'm a
     * teapot"); a bare "404" from a CGI Status header has none */
    if (fin->status_line && atoi(fin->status_line) == status
        && strlen(fin->status_line) > 4 && fin->status_line[3] == ' ') {
        res->status_line = fin->status_line;
    }
}

/* Entity headers have no place on a 304 (RFC 9110 15.4.5). */
static void strip_entity_headers(batch_result_t *res)
{
    static const char *const entity[] = {"Content-Type",     "Content-Length",
                                         "Content-Encoding", "Content-Language",
                                         "Content-Range",    NULL};
    int i;

    for (i = 0; entity[i]; i++) {
        apr_table_unset(res->headers, entity[i]);
    }
    res->content_type = NULL;
}

/* ------------------------------------------------------------------ */
/* One item                                                           */

static apr_status_t dispatch_one(batch_result_t *res, request_rec *parent,
                                 conn_rec *c, const batch_dispatch_t *d,
                                 const batch_item_t *it, apr_pool_t *ip);

apr_status_t batch_dispatch_item(batch_result_t *res, const batch_dispatch_t *d,
                                 request_rec *parent, const batch_item_t *it,
                                 apr_pool_t *ip)
{
    apr_status_t rv;

    /* What an item does to its connection (ap_die() closing it for a
     * 400/500, mod_proxy marking it aborted when our capture fails) stays
     * on the item's own secondary connection: the client's is untouched. */
    rv = dispatch_one(res, parent, parent->connection, d, it, ip);
    if (!ap_is_HTTP_VALID_RESPONSE(res->status)) {
        /* a hook that returned DONE or garbage during the lookup */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, parent,
                      BATCH_LOGNO(0204) "item #%d: status %d is not an HTTP "
                                        "status; answered 500",
                      it->index, res->status);
        res->status = HTTP_INTERNAL_SERVER_ERROR;
        res->status_line = NULL;
        res->body = NULL;
        res->body_len = 0;
    }
    if (!res->status_line) {
        /* httpd's phrase for every status the item ended with */
        res->status_line = batch_dispatch_status_line(res->status);
    }
    return rv;
}

static apr_status_t dispatch_one(batch_result_t *res, request_rec *parent,
                                 conn_rec *c, const batch_dispatch_t *d,
                                 const batch_item_t *it, apr_pool_t *ip)
{
    ap_filter_t *capf;
    capture_t *cap;
    body_ctx_t *body;
    apr_bucket_brigade *kept;
    apr_table_t *hin;
    char *request_line;
    apr_table_t *saved_hin = parent->headers_in;
    apr_bucket_brigade *saved_kept = parent->kept_body;
    char *saved_req = parent->the_request;
    const char *saved_env;
    request_rec *rr, *fin;
    int rc, status;

    memset(res, 0, sizeof(*res));
    res->head = (strcmp(it->method, "HEAD") == 0);

    /* The item's request line is held to LimitRequestLine as a direct
     * request's is (414); a longer one would reach core's file mapping
     * and have it log the whole url. */
    request_line = batch_dispatch_request_line(d, it, ip);
    if (parent->server->limit_req_line > 0
        && strlen(request_line) > (apr_size_t)parent->server->limit_req_line) {
        res->status = HTTP_REQUEST_URI_TOO_LARGE;
        return APR_SUCCESS;
    }

    /* The item's request headers: the batch's minus the strip list, the
     * item's own laid over them, then the body's framing. */
    hin = batch_dispatch_headers(d, it, ip);

    /* Always a kept body, empty for bodiless items: mod_proxy forwards a
     * subrequest body (and keeps its backend connection) only when one
     * is present, and an inherited one would feed the batch JSON to the
     * item. */
    kept = apr_brigade_create(ip, c->bucket_alloc);
    if (it->has_body && it->body_len > 0) {
        APR_BRIGADE_INSERT_TAIL(
            kept, apr_bucket_immortal_create(it->body, it->body_len,
                                             c->bucket_alloc));
    }

    cap = apr_pcalloc(ip, sizeof(*cap));
    cap->pool = ip;
    cap->max = d->max_response;
    cap->discard = res->head;
    capf = apr_pcalloc(ip, sizeof(*capf));
    capf->frec = capture_frec;
    capf->ctx = cap;
    capf->next = NULL;
    capf->r = NULL; /* an EOS must never mark the parent as finished */
    capf->c = c;

    /* The item body is also the input of the item's own connection, where
     * a direct request's body would be: a request made by an internal
     * redirect (which starts again from the connection's chain) gets what
     * is left of it and then EOS, never the batch's input. */
    body = apr_pcalloc(ip, sizeof(*body));
    body->data = it->has_body ? it->body : "";
    body->len = it->has_body ? it->body_len : 0;
    ap_add_input_filter_handle(body_net_frec, body, NULL, c);
    parent->proto_input_filters = c->input_filters;
    parent->input_filters = c->input_filters;

    /* Put the item on the parent for the lookup, which runs inside
     * ap_sub_req_method_uri: make_sub_request copies these fields. */
    saved_env = apr_table_get(parent->subprocess_env, BATCH_ENV_ITEM_ID);
    parent->headers_in = hin;
    parent->kept_body = kept;
    parent->the_request = request_line;
    apr_table_setn(parent->subprocess_env, BATCH_ENV_ITEM_ID, it->id);

    rr = ap_sub_req_method_uri(it->method, it->uri, parent, capf);

    parent->headers_in = saved_hin;
    parent->kept_body = saved_kept;
    parent->the_request = saved_req;
    if (saved_env) {
        apr_table_setn(parent->subprocess_env, BATCH_ENV_ITEM_ID, saved_env);
    }
    else {
        apr_table_unset(parent->subprocess_env, BATCH_ENV_ITEM_ID);
    }

    /* Error pages made by ap_die() for this subrequest (also through an
     * internal redirect) go to its protocol chain: make that ours. */
    rr->proto_output_filters = capf;

    if (rr->status != HTTP_OK) {
        /* The lookup refused it (401, 403, 404, 400, a redirect...). */
        collect(res, rr, rr->status);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, parent,
                      BATCH_LOGNO(0201) "item #%d: lookup of %s gave %d",
                      it->index, ap_escape_logitem(ip, it->uri), rr->status);
        return APR_SUCCESS; /* rr goes with ip */
    }
    if (rr->handler && strcmp(rr->handler, BATCH_HANDLER) == 0) {
        set_module_error(res, HTTP_BAD_REQUEST, BATCH_ERR_NESTED,
                         apr_psprintf(ip,
                                      "requests[%d]: \"url\" names a "
                                      "batch endpoint; batches do not nest",
                                      it->index));
        ap_destroy_sub_req(rr);
        return APR_SUCCESS;
    }
    if (item_is_conditional(it) && is_proxied(rr)) {
        set_module_error(res, HTTP_NOT_IMPLEMENTED, BATCH_ERR_CONDITIONAL,
                         apr_psprintf(ip,
                                      "requests[%d]: conditional "
                                      "headers are not forwarded to proxied "
                                      "targets; the item was not run",
                                      it->index));
        ap_destroy_sub_req(rr);
        return APR_SUCCESS;
    }

    /* Fix-ups after the lookup (DESIGN 2): the subrequest's body framing,
     * its own body filter, nothing inherited from the batch body read. */
    apr_table_unset(rr->headers_in, "Transfer-Encoding");
    if (it->has_body) {
        apr_table_setn(rr->headers_in, "Content-Type", it->body_type);
        apr_table_setn(rr->headers_in, "Content-Length",
                       apr_table_get(hin, "Content-Length"));
    }
    rr->read_length = 0;
    rr->remaining = 0;
    rr->read_chunked = 0;
    rr->kept_body = kept;
    rr->no_local_copy = 0; /* let httpd answer 304/412 for the item */
    ap_add_input_filter_handle(body_frec, body, rr, c);
    if (res->head) {
        rr->header_only = 1;
    }

    rc = ap_run_sub_req(rr);
    for (fin = rr; fin->next; fin = fin->next) {
    }
    status = (rc != OK && rc != DONE && ap_is_HTTP_VALID_RESPONSE(rc))
                 ? rc
                 : fin->status;
    if (cap->error_status && ap_is_HTTP_SUCCESS(status)) {
        status = cap->error_status;
    }
    collect(res, fin, status);

    if (cap->read_rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, cap->read_rv, parent,
                      BATCH_LOGNO(0202) "item #%d: reading the response of "
                                        "%s failed",
                      it->index, ap_escape_logitem(ip, it->uri));
        set_module_error(res, HTTP_BAD_GATEWAY, "BadGateway",
                         apr_psprintf(ip,
                                      "requests[%d]: reading the "
                                      "response failed",
                                      it->index));
    }
    else if (cap->too_large) {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, parent,
            BATCH_LOGNO(
                0203) "item #%d: response body of %s is "
                      "larger than BatchMaxResponseSize (%" APR_OFF_T_FMT ")",
            it->index, ap_escape_logitem(ip, it->uri), d->max_response);
        set_module_error(res, HTTP_INTERNAL_SERVER_ERROR,
                         BATCH_ERR_RESPONSE_TOO_LARGE,
                         apr_psprintf(ip,
                                      "requests[%d]: the response body "
                                      "is larger than BatchMaxResponseSize "
                                      "(%" APR_OFF_T_FMT " bytes)",
                                      it->index, d->max_response));
    }
    else if (res->head || status == HTTP_NO_CONTENT
             || status == HTTP_NOT_MODIFIED) {
        /* HEAD: the default handler sends the body anyway; drop it. */
        if (status == HTTP_NOT_MODIFIED) {
            strip_entity_headers(res);
        }
    }
    else if (cap->eos && status >= 400) {
        /* httpd's canned error page (ap_die after an internal redirect):
         * not a body of the item's own, so the encoder makes the JSON
         * error of CONTRACT 6 instead */
        res->content_type = NULL;
    }
    else {
        res->body = capture_flatten(cap, &res->body_len);
    }
    if ((res->status == HTTP_OK || res->status == HTTP_NOT_MODIFIED)
        && res->error_code == NULL && res->headers && fin->mtime
        && apr_table_get(res->headers, "Last-Modified") == NULL) {
        /* ap_set_last_modified() does nothing for subrequests
         * (assbackwards); a client of the item still wants it */
        char *date = apr_palloc(ip, APR_RFC822_DATE_LEN);

        apr_rfc822_date(date, ap_rationalize_mtime(fin, fin->mtime));
        apr_table_setn(res->headers, "Last-Modified", date);
    }
    /* not ap_destroy_sub_req(rr): the result points into it; it goes
     * with ip once the item has been written */
    return APR_SUCCESS;
}
