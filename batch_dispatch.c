/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_dispatch.c: the dispatch stage of parse -> schedule -> dispatch ->
 * encode. One item becomes one internal subrequest made with
 * ap_sub_req_method_uri(). The item's headers, kept body, request line and
 * BATCH_ITEM_ID (and BATCH_ATOMICITY_GROUP) are put on the parent *before*
 * the lookup, so that
 * translate, authn/authz, mod_rewrite and fixups all see the item; the
 * subrequest's output goes to a stand-alone capture filter that copies
 * every byte into the item pool (file and pipe buckets die with the
 * subrequest), and its error pages are kept out of the batch response by
 * making that filter its protocol chain too. The item body is served by an
 * own input filter at the bottom of the item's secondary connection that
 * ends with EOS, so no handler ever reads the batch body. The parent is
 * the item parent (batch_secondary.c), never the batch
 * request. docs/internals.md lists the httpd behaviour each step relies on.
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
#include "batch_util.h"

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

/* A FILE bucket read straight into the capture: one chunk of exactly
 * its length (so capture_flatten needs no copy), one seek and one read
 * whatever the size, never an mmap (EnableMMAP: the bytes are copied
 * anyway, and a mapping per item costs page faults and an munmap with
 * TLB shootdowns). 0 when the bucket is left to apr_bucket_read: a HEAD
 * (counted only), a body over the limit, a file shared between threads
 * (APR_FOPEN_XTHREAD: its position is not ours to move). */
static int capture_file(capture_t *cap, apr_bucket *b, apr_status_t *prv)
{
    apr_bucket_file *fb = b->data;
    apr_off_t off = b->start;
    apr_size_t len = b->length, got = 0;
    capture_chunk_t *ch;

    if (cap->too_large || cap->discard || len == 0 || len == (apr_size_t)-1
        || (apr_off_t)len > cap->max - cap->total
        || (apr_file_flags_get(fb->fd) & APR_FOPEN_XTHREAD)) {
        return 0;
    }
    ch = apr_palloc(cap->pool, sizeof(*ch));
    ch->next = NULL;
    ch->len = 0;
    ch->cap = len;
    ch->data = apr_palloc(cap->pool, len);
    *prv = apr_file_seek(fb->fd, APR_SET, &off);
    if (*prv == APR_SUCCESS) {
        *prv = apr_file_read_full(fb->fd, ch->data, len, &got);
    }
    if (*prv != APR_SUCCESS) {
        return 1;
    }
    ch->len = len;
    if (cap->last) {
        cap->last->next = ch;
    }
    else {
        cap->first = ch;
    }
    cap->last = ch;
    cap->total += (apr_off_t)len;
    return 1;
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
            apr_status_t rv = APR_SUCCESS;

            if (APR_BUCKET_IS_FILE(b)) {
                if (capture_file(cap, b, &rv)) {
                    if (rv != APR_SUCCESS) {
                        if (cap->read_rv == APR_SUCCESS) {
                            cap->read_rv = rv;
                        }
                        apr_brigade_cleanup(bb);
                        return rv;
                    }
                    apr_bucket_delete(b);
                    continue;
                }
                /* the rest of FILE buckets: never an mmap either */
                apr_bucket_file_enable_mmap(b, 0);
            }
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
 * sense for an item (CONTRACT 4): the hop-by-hop ones
 * (batch_util_hop_by_hop), these, and If-* and Content-* by prefix. */
static int inherit_header(const char *name)
{
    static const char *const drop[] = {"Accept-Encoding", "Range", "Expect",
                                       "HTTP2-Settings", NULL};
    int i;

    if (batch_util_hop_by_hop(name, strlen(name))) {
        return 0;
    }
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
} inherit_ctx_t;

static int inherit_one(void *data, const char *key, const char *val)
{
    inherit_ctx_t *ctx = data;

    if (inherit_header(key)
        && !(ctx->connection
             && batch_util_token_listed(ctx->connection, key, strlen(key)))) {
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
    apr_table_do(inherit_one, &ictx, parent->headers_in, NULL);
    return d;
}

static int add_one(void *data, const char *key, const char *val)
{
    apr_table_addn((apr_table_t *)data, key, val);
    return 1;
}

apr_table_t *batch_dispatch_headers(const batch_dispatch_t *d,
                                    const batch_item_t *it, apr_pool_t *p)
{
    const apr_array_header_t *ia = apr_table_elts(d->inherited);
    const apr_table_entry_t *ie = (const apr_table_entry_t *)ia->elts;
    apr_table_t *h =
        apr_table_make(p, apr_table_elts(it->headers)->nelts + ia->nelts + 2);
    int i;

    /* The item's own headers (every spelling of a name survives), its
     * body's framing, then each inherited header the item does not
     * send. That is the order settle_headers() leaves them in, so when
     * the early hooks change nothing the table is used as it is. */
    apr_table_do(add_one, h, it->headers, NULL);
    if (it->has_body) {
        /* a multipart item's body may come without a type: sent as such
         * (JSON items always have one, CONTRACT 5) */
        if (it->body_type) {
            apr_table_setn(h, "Content-Type", it->body_type);
        }
        apr_table_setn(h, "Content-Length",
                       apr_psprintf(p, "%" APR_SIZE_T_FMT, it->body_len));
    }
    for (i = 0; i < ia->nelts; i++) {
        if (apr_table_get(it->headers, ie[i].key) == NULL) {
            apr_table_addn(h, ie[i].key, ie[i].val);
        }
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

/* Status, headers and content type of the subrequest, by reference: the
 * subrequest's pool descends from the item pool ip (through the item's
 * secondary connection and item parent), so nothing of it goes before
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
/* The server's early hooks for the item's own headers                */

/* After the hooks: a header the item did not send keeps the value it
 * inherited, which the same hooks already edited on the batch request
 * (an early "add" or "append" must not apply twice); every name the
 * item sent, and every name the hooks added, is as the hooks left it. */
static apr_table_t *settle_headers(const batch_dispatch_t *d,
                                   const batch_item_t *it,
                                   const apr_table_t *edited, apr_pool_t *p)
{
    const apr_array_header_t *ea = apr_table_elts(edited);
    const apr_array_header_t *ia = apr_table_elts(d->inherited);
    const apr_table_entry_t *e = (const apr_table_entry_t *)ea->elts;
    const apr_table_entry_t *ie = (const apr_table_entry_t *)ia->elts;
    apr_table_t *out = apr_table_make(p, ea->nelts + 1);
    int i;

    for (i = 0; i < ea->nelts; i++) {
        if (apr_table_get(d->inherited, e[i].key) == NULL
            || apr_table_get(it->headers, e[i].key) != NULL) {
            apr_table_addn(out, e[i].key, e[i].val);
        }
    }
    for (i = 0; i < ia->nelts; i++) {
        if (apr_table_get(it->headers, ie[i].key) == NULL
            && apr_table_get(edited, ie[i].key) != NULL) {
            apr_table_addn(out, ie[i].key, ie[i].val);
        }
    }
    return out;
}

/* Run the post_read_request hooks (RequestHeader ... early, server-level
 * SetEnvIf, mod_remoteip, ...) over the item's headers *hin, as httpd
 * runs them for a direct request and mod_http2 for each stream: httpd
 * never runs them for a subrequest. They run on a copy of the dummy
 * parent with the item's request line and the server's default per-dir
 * config, as a direct request has them at this point, and with prev set
 * (to the parent), so that once-per-client work (mod_log_forensic's
 * line, mod_ssl's SNI check) is not repeated. What they change of the
 * client's address, of the variables (the parent's subprocess_env) and
 * of *hin is kept for the lookup; docs/internals.md gives the reasoning
 * hook by hook. Returns OK, or the status a hook refused the item with. */
static int run_early_hooks(request_rec *parent, const batch_dispatch_t *d,
                           const batch_item_t *it, char *request_line,
                           apr_table_t **hin)
{
    request_rec *er = apr_pmemdup(parent->pool, parent, sizeof(*parent));
    const apr_array_header_t *after;
    apr_array_header_t before;
    int rc;

    er->prev = parent;
    er->next = NULL;
    er->main = NULL;
    er->per_dir_config = er->server->lookup_defaults;
    er->the_request = request_line;
    er->method = it->method;
    er->method_number = ap_method_number_of(it->method);
    ap_parse_uri(er, it->uri);
    er->headers_in = *hin;
    er->status = HTTP_OK;
    /* what the headers were, to tell whether a hook changed them */
    before = *apr_table_elts(*hin);
    before.elts =
        apr_pmemdup(parent->pool, before.elts,
                    (apr_size_t)before.nelts * sizeof(apr_table_entry_t));
    rc = ap_run_post_read_request(er);
    if (rc != OK && rc != DECLINED) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, parent,
                      BATCH_LOGNO(0500) "item #%d: a post_read_request hook "
                                        "refused it with %d",
                      it->index, rc);
        return rc;
    }
    parent->useragent_addr = er->useragent_addr;
    parent->useragent_ip = er->useragent_ip;
    after = apr_table_elts(er->headers_in);
    if (er->headers_in != *hin || after->nelts != before.nelts
        || memcmp(after->elts, before.elts,
                  (apr_size_t)before.nelts * sizeof(apr_table_entry_t))) {
        *hin = settle_headers(d, it, er->headers_in, parent->pool);
    }
    /* else: untouched, and already in settle_headers()' order
     * (batch_dispatch_headers) */
    return OK;
}

/* ------------------------------------------------------------------ */
/* One item                                                           */

/* What the steps of one item's dispatch share; all of it lives in ip. */
typedef struct item_run_t {
    batch_result_t *res;
    request_rec *parent; /* the item parent (batch_secondary.c) */
    conn_rec *c;         /* its secondary connection */
    const batch_dispatch_t *d;
    const batch_item_t *it;
    apr_pool_t *ip;
    char *request_line;       /* "METHOD uri PROTOCOL" */
    apr_table_t *hin;         /* the item's request headers */
    apr_bucket_brigade *kept; /* the item body as kept body */
    body_ctx_t *body;         /* the item body for the input filters */
    capture_t *cap;           /* what the subrequest answers */
    ap_filter_t *capf;        /* the filter that captures it */
} item_run_t;

/* Request line, headers and body of the item. 0 when the request line
 * is too long (the result is then 414). */
static int prepare(item_run_t *x)
{
    const batch_item_t *it = x->it;
    conn_rec *c = x->c;
    int rc;

    /* The item's request line is held to LimitRequestLine as a direct
     * request's is (414); a longer one would reach core's file mapping
     * and have it log the whole url. */
    x->request_line = batch_dispatch_request_line(x->d, it, x->ip);
    if (x->parent->server->limit_req_line > 0
        && strlen(x->request_line)
               > (apr_size_t)x->parent->server->limit_req_line) {
        x->res->status = HTTP_REQUEST_URI_TOO_LARGE;
        return 0;
    }
    /* The item's request headers: the batch's minus the strip list, the
     * item's own laid over them, then the body's framing. */
    x->hin = batch_dispatch_headers(x->d, it, x->ip);
    rc = run_early_hooks(x->parent, x->d, it, x->request_line, &x->hin);
    if (rc != OK) {
        x->res->status = rc;
        return 0;
    }

    /* Always a kept body, empty for bodiless items: mod_proxy forwards a
     * subrequest body (and keeps its backend connection) only when one
     * is present, and an inherited one would feed the batch request's
     * body to the item. */
    x->kept = apr_brigade_create(x->ip, c->bucket_alloc);
    if (it->has_body && it->body_len > 0) {
        APR_BRIGADE_INSERT_TAIL(
            x->kept, apr_bucket_immortal_create(it->body, it->body_len,
                                                c->bucket_alloc));
    }

    /* The item body is also the input of the item's own connection, where
     * a direct request's body would be: a request made by an internal
     * redirect (which starts again from the connection's chain) gets what
     * is left of it and then EOS, never the batch's input. */
    x->body = apr_pcalloc(x->ip, sizeof(*x->body));
    x->body->data = it->has_body ? it->body : "";
    x->body->len = it->has_body ? it->body_len : 0;
    ap_add_input_filter_handle(body_net_frec, x->body, NULL, c);
    x->parent->proto_input_filters = c->input_filters;
    x->parent->input_filters = c->input_filters;
    return 1;
}

/* The stand-alone filter the subrequest writes to (no next filter, never
 * the network). */
static void make_capture(item_run_t *x)
{
    capture_t *cap = apr_pcalloc(x->ip, sizeof(*cap));
    ap_filter_t *capf = apr_pcalloc(x->ip, sizeof(*capf));

    cap->pool = x->ip;
    cap->max = x->d->max_response;
    cap->discard = x->res->head;
    capf->frec = capture_frec;
    capf->ctx = cap;
    capf->next = NULL;
    capf->r = NULL; /* an EOS must never mark the parent as finished */
    capf->c = x->c;
    x->cap = cap;
    x->capf = capf;
}

/* The subrequest, looked up with the item put on the parent: the lookup
 * runs inside ap_sub_req_method_uri, and make_sub_request copies these
 * fields. The request fields are restored before return; the item's
 * variables stay, since the item parent is the item's own and goes with
 * it (batch_secondary_parent). */
static request_rec *lookup(item_run_t *x)
{
    request_rec *parent = x->parent, *rr;
    apr_table_t *saved_hin = parent->headers_in;
    apr_bucket_brigade *saved_kept = parent->kept_body;
    char *saved_req = parent->the_request;

    parent->headers_in = x->hin;
    parent->kept_body = x->kept;
    parent->the_request = x->request_line;
    apr_table_setn(parent->subprocess_env, BATCH_ENV_ITEM_ID, x->it->id);
    if (x->it->group) {
        apr_table_setn(parent->subprocess_env, BATCH_ENV_ATOMICITY_GROUP,
                       x->it->group);
    }
    else {
        /* whatever an early hook or the batch may have set */
        apr_table_unset(parent->subprocess_env, BATCH_ENV_ATOMICITY_GROUP);
    }

    rr = ap_sub_req_method_uri(x->it->method, x->it->uri, parent, x->capf);

    parent->headers_in = saved_hin;
    parent->kept_body = saved_kept;
    parent->the_request = saved_req;

    /* Error pages made by ap_die() for this subrequest (also through an
     * internal redirect) go to its protocol chain: make that ours. */
    rr->proto_output_filters = x->capf;
    return rr;
}

/* What the lookup says before anything runs: refused by httpd (401, 403,
 * 404, a redirect...), a nested batch, a conditional item for a proxied
 * target. 1 when the item is answered so. */
static int answered_by_lookup(item_run_t *x, request_rec *rr)
{
    const batch_item_t *it = x->it;

    if (rr->status != HTTP_OK) {
        collect(x->res, rr, rr->status);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, x->parent,
                      BATCH_LOGNO(0201) "item #%d: lookup of %s gave %d",
                      it->index, ap_escape_logitem(x->ip, it->uri), rr->status);
        return 1; /* rr goes with ip */
    }
    if (rr->handler && strcmp(rr->handler, BATCH_HANDLER) == 0) {
        batch_util_result_error(
            x->res, HTTP_BAD_REQUEST, BATCH_ERR_NESTED,
            apr_psprintf(x->ip,
                         "requests[%d]: \"url\" names a "
                         "batch endpoint; batches do not nest",
                         it->index));
        ap_destroy_sub_req(rr);
        return 1;
    }
    if (is_proxied(rr) && item_is_conditional(it)) {
        batch_util_result_error(
            x->res, HTTP_NOT_IMPLEMENTED, BATCH_ERR_CONDITIONAL,
            apr_psprintf(x->ip,
                         "requests[%d]: conditional "
                         "headers are not forwarded to proxied "
                         "targets; the item was not run",
                         it->index));
        ap_destroy_sub_req(rr);
        return 1;
    }
    return 0;
}

/* Run the looked-up subrequest; its last request (after internal
 * redirects) in *pfin, the item's status returned. */
static int run_sub(item_run_t *x, request_rec *rr, request_rec **pfin)
{
    const batch_item_t *it = x->it;
    request_rec *fin;
    int rc, status;

    /* Fix-ups after the lookup: the subrequest's body framing, its own
     * body filter, nothing inherited from the batch body read. */
    apr_table_unset(rr->headers_in, "Transfer-Encoding");
    if (it->has_body) {
        if (it->body_type) {
            apr_table_setn(rr->headers_in, "Content-Type", it->body_type);
        }
        apr_table_setn(rr->headers_in, "Content-Length",
                       apr_table_get(x->hin, "Content-Length"));
    }
    rr->read_length = 0;
    rr->remaining = 0;
    rr->read_chunked = 0;
    rr->kept_body = x->kept;
    rr->no_local_copy = 0; /* let httpd answer 304/412 for the item */
    ap_add_input_filter_handle(body_frec, x->body, rr, x->c);
    if (x->res->head) {
        rr->header_only = 1;
    }

    rc = ap_run_sub_req(rr);
    for (fin = rr; fin->next; fin = fin->next) {
    }
    status = (rc != OK && rc != DONE && ap_is_HTTP_VALID_RESPONSE(rc))
                 ? rc
                 : fin->status;
    if (x->cap->error_status && ap_is_HTTP_SUCCESS(status)) {
        status = x->cap->error_status;
    }
    *pfin = fin;
    return status;
}

/* The item's body from what was captured: a failed read (502), too large
 * (500 ResponseTooLarge), none (HEAD, 204, 304), httpd's canned error
 * page (none: the format writes the error of CONTRACT 6), or the bytes. */
static void classify(item_run_t *x, int status)
{
    batch_result_t *res = x->res;
    capture_t *cap = x->cap;
    const batch_item_t *it = x->it;

    if (cap->read_rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, cap->read_rv, x->parent,
                      BATCH_LOGNO(0202) "item #%d: reading the response of "
                                        "%s failed",
                      it->index, ap_escape_logitem(x->ip, it->uri));
        batch_util_result_error(res, HTTP_BAD_GATEWAY, "BadGateway",
                                apr_psprintf(x->ip,
                                             "requests[%d]: reading the "
                                             "response failed",
                                             it->index));
    }
    else if (cap->too_large) {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, x->parent,
            BATCH_LOGNO(
                0203) "item #%d: response body of %s is "
                      "larger than BatchMaxResponseSize (%" APR_OFF_T_FMT ")",
            it->index, ap_escape_logitem(x->ip, it->uri), x->d->max_response);
        batch_util_result_error(
            res, HTTP_INTERNAL_SERVER_ERROR, BATCH_ERR_RESPONSE_TOO_LARGE,
            apr_psprintf(x->ip,
                         "requests[%d]: the response body "
                         "is larger than BatchMaxResponseSize "
                         "(%" APR_OFF_T_FMT " bytes)",
                         it->index, x->d->max_response));
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
         * not a body of the item's own, so the format writes the error
         * of CONTRACT 6 instead */
        res->content_type = NULL;
    }
    else {
        res->body = capture_flatten(cap, &res->body_len);
    }
}

/* ap_set_last_modified() does nothing for subrequests (assbackwards); a
 * client of the item still wants it. */
static void last_modified(item_run_t *x, request_rec *fin)
{
    batch_result_t *res = x->res;

    if ((res->status == HTTP_OK || res->status == HTTP_NOT_MODIFIED)
        && res->error_code == NULL && res->headers && fin->mtime
        && apr_table_get(res->headers, "Last-Modified") == NULL) {
        char *date = apr_palloc(x->ip, APR_RFC822_DATE_LEN);

        apr_rfc822_date(date, ap_rationalize_mtime(fin, fin->mtime));
        apr_table_setn(res->headers, "Last-Modified", date);
    }
}

/* One item, start to end, on the parent's (secondary) connection. The
 * subrequest is not destroyed: the result points into it; it goes with
 * ip once the item has been written. */
static void dispatch_one(item_run_t *x)
{
    request_rec *rr, *fin;
    int status;

    memset(x->res, 0, sizeof(*x->res));
    x->res->head = (strcmp(x->it->method, "HEAD") == 0);
    if (!prepare(x)) {
        return;
    }
    make_capture(x);
    rr = lookup(x);
    if (answered_by_lookup(x, rr)) {
        return;
    }
    status = run_sub(x, rr, &fin);
    collect(x->res, fin, status);
    classify(x, status);
    last_modified(x, fin);
}

apr_status_t batch_dispatch_item(batch_result_t *res, const batch_dispatch_t *d,
                                 request_rec *parent, const batch_item_t *it,
                                 apr_pool_t *ip)
{
    /* What an item does to its connection (ap_die() closing it for a
     * 400/500, mod_proxy marking it aborted when our capture fails) stays
     * on the item's own secondary connection: the client's is untouched.
     * The rest of x is filled by the steps. */
    item_run_t x = {.res = res,
                    .parent = parent,
                    .c = parent->connection,
                    .d = d,
                    .it = it,
                    .ip = ip};

    dispatch_one(&x);
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
    return APR_SUCCESS;
}
