/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * mod_batch.c: the module record, its hooks and the "batch" handler.
 * The handler is thin: it refuses what is not a batch (405, 415, 413),
 * picks the wire format by the request's Content-Type (batch_format.h),
 * reads the whole body (so the shared input chain is at EOS before any
 * item runs), has the format parse it, then has batch_run.c run the
 * items in the scheduler's order (batch_sched.c), one after another or
 * BatchConcurrency at a time on the child's batch threads
 * (batch_workers.c), each on its own secondary connection
 * (batch_secondary.c, batch_dispatch.c), and streams what the format writes
 * for every item in request order as soon as it is done. Every refusal
 * is one batch_error_t sent by send_error(). The child_init hook starts
 * the child's batch workers.
 */
#include <apr_strings.h>
#include <apr_buckets.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_vhost.h"
#include "ap_mpm.h"
#include "util_filter.h"

#include "mod_batch.h"
#include "batch_logno.h"
#include "batch_config.h"
#include "batch_dispatch.h"
#include "batch_format.h"
#include "batch_run.h"
#include "batch_workers.h"

#if __has_include("batch_version.h")
#include "batch_version.h"
#endif
#ifndef BATCH_VERSION
#define BATCH_VERSION "0.2.0"
#endif

module AP_MODULE_DECLARE_DATA batch_module;

#define BATCH_ALLOW "POST, OPTIONS"

/* ------------------------------------------------------------------ */
/* Batch-level refusals                                               */

/* The one place a batch_error_t becomes a response, in the body format
 * of fmt (the default format's before the request's is known). */
static int send_error(request_rec *r, const batch_format_t *fmt,
                      const batch_error_t *err)
{
    const char *ctype;
    const char *body =
        (fmt ? fmt : batch_format_default())->error(err, &ctype, r->pool);

    r->status = err->status;
    if (err->status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_setn(r->headers_out, "Allow", BATCH_ALLOW);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, ctype);
    ap_set_content_length(r, (apr_off_t)strlen(body));
    ap_rwrite(body, (int)strlen(body), r);
    return OK;
}

/* A batch-level refusal, from r->pool; logged at info with log (which
 * starts with its BATCH_LOGNO) unless log is NULL. */
static batch_error_t *refusal(request_rec *r, const char *log, int status,
                              const char *code, const char *message)
{
    batch_error_t *err = apr_pcalloc(r->pool, sizeof(*err));

    if (log) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s", log);
    }
    err->status = status;
    err->code = code;
    err->message = message;
    err->index = -1;
    return err;
}

/* Set once in register_hooks, read-only afterwards. */
static ap_filter_rec_t *read_guard_frec;

/* While the batch body is read, httpd's HTTP_IN answers a broken chunked
 * body or one over LimitRequestBody by passing an error bucket down the
 * output filters, where it would become an HTML error page. This filter
 * sits first in the chain during the read, keeps the status and drops
 * everything, so the refusal can be the one of CONTRACT 6. */
static apr_status_t read_guard_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    int *status = f->ctx;
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (AP_BUCKET_IS_ERROR(b) && *status == 0) {
            *status = ((ap_bucket_error *)b->data)->status;
        }
    }
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

/* Outcomes of read_body besides OK. */
#define READ_TOO_LARGE 1  /* over BatchMaxRequestSize */
#define READ_OVER_LIMIT 2 /* over LimitRequestBody */
#define READ_BROKEN 3     /* broken framing, timeout, client gone */

/* The first buffer for a body of announced length: bodies grow into
 * larger ones as bytes arrive, so a client that only announces a large
 * body holds no more than this. */
#define READ_FIRST_BUFFER (64 * 1024)

static int read_body_guarded(request_rec *r, apr_off_t max, char **pbuf,
                             apr_size_t *plen)
{
    apr_size_t cap, len = 0, limit;
    char *buf;
    int rc;

    /* never more than half the address space, so cap * 2 cannot wrap */
    limit = (max > (apr_off_t)(APR_SIZE_MAX / 4)) ? APR_SIZE_MAX / 4
                                                  : (apr_size_t)max;
    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return READ_OVER_LIMIT;
    }
    if (rc != OK) {
        return READ_BROKEN;
    }
    if (!ap_should_client_block(r)) {
        *pbuf = apr_pcalloc(r->pool, 1);
        *plen = 0;
        return OK;
    }
    if (r->remaining > (apr_off_t)limit) {
        return READ_TOO_LARGE;
    }
    cap = (r->remaining > 0 && r->remaining < READ_FIRST_BUFFER)
              ? (apr_size_t)r->remaining + 1
              : (r->remaining > 0 ? READ_FIRST_BUFFER : 8192);
    buf = apr_palloc(r->pool, cap);
    for (;;) {
        long n;

        if (len + 1 >= cap) {
            apr_size_t ncap = cap * 2;
            char *nbuf;

            if (ncap > limit + 2) {
                ncap = limit + 2;
            }
            nbuf = apr_palloc(r->pool, ncap);
            memcpy(nbuf, buf, len);
            buf = nbuf;
            cap = ncap;
        }
        n = ap_get_client_block(r, buf + len, cap - len - 1);
        if (n < 0) {
            return READ_BROKEN;
        }
        if (n == 0) {
            break;
        }
        len += (apr_size_t)n;
        if (len > limit) {
            return READ_TOO_LARGE;
        }
    }
    buf[len] = '\0';
    *pbuf = buf;
    *plen = len;
    return OK;
}

/* Read the whole batch body, at most max bytes. Returns OK and the body in
 * *pbuf (from r->pool), or one of the READ_* outcomes. */
static int read_body(request_rec *r, apr_off_t max, char **pbuf,
                     apr_size_t *plen)
{
    int status = 0, rc;
    ap_filter_t *guard =
        ap_add_output_filter_handle(read_guard_frec, &status, r, r->connection);

    rc = read_body_guarded(r, max, pbuf, plen);
    ap_remove_output_filter(guard);
    /* the EOS that came with an error bucket was swallowed */
    r->eos_sent = 0;
    /* HTTP_IN reports what it refused through the error bucket, and then
     * may look like a plain end of body to ap_get_client_block() */
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        rc = READ_OVER_LIMIT;
    }
    else if (status != 0 && rc == OK) {
        rc = READ_BROKEN;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Streaming                                                          */

typedef struct writer_t {
    request_rec *r;
    apr_bucket_brigade *bb; /* from r->pool, emptied after every pass */
    apr_time_t last_flush;
    int unflushed; /* passed on since the last flush */
    apr_status_t rv;
} writer_t;

/* Pass what the format wrote (out, emptied afterwards) down the output
 * filters in one go; flush when 100 ms have passed since the last
 * flush. Pieces are not copied: static ones go in immortal buckets, the
 * others in transient ones, which the filters copy only if they must
 * keep them beyond the pass. */
static apr_status_t write_out(writer_t *w, batch_out_t *out)
{
    conn_rec *c = w->r->connection;
    apr_time_t now;
    int k;

    if (w->rv != APR_SUCCESS) {
        return w->rv;
    }
    for (k = 0; k < out->n; k++) {
        APR_BRIGADE_INSERT_TAIL(
            w->bb, out->v[k].is_static
                       ? apr_bucket_immortal_create(
                           out->v[k].data, out->v[k].len, c->bucket_alloc)
                       : apr_bucket_transient_create(
                           out->v[k].data, out->v[k].len, c->bucket_alloc));
    }
    out->n = 0;
    now = apr_time_now();
    if (now - w->last_flush >= BATCH_FLUSH_INTERVAL) {
        APR_BRIGADE_INSERT_TAIL(w->bb,
                                apr_bucket_flush_create(c->bucket_alloc));
        w->last_flush = now;
        w->unflushed = 0;
    }
    else {
        w->unflushed = 1;
    }
    w->rv = ap_pass_brigade(w->r->output_filters, w->bb);
    apr_brigade_cleanup(w->bb);
    return w->rv;
}

/* For batch_run's flush_due and flush: while a slow item holds a
 * concurrent batch, what was written goes out BATCH_FLUSH_INTERVAL after
 * the last flush, not with the next write. */
static apr_time_t writer_flush_due(writer_t *w)
{
    return (w->unflushed && w->rv == APR_SUCCESS)
               ? w->last_flush + BATCH_FLUSH_INTERVAL
               : 0;
}

static apr_status_t writer_flush(writer_t *w)
{
    conn_rec *c = w->r->connection;

    if (w->rv != APR_SUCCESS) {
        return w->rv;
    }
    APR_BRIGADE_INSERT_TAIL(w->bb, apr_bucket_flush_create(c->bucket_alloc));
    w->last_flush = apr_time_now();
    w->unflushed = 0;
    w->rv = ap_pass_brigade(w->r->output_filters, w->bb);
    apr_brigade_cleanup(w->bb);
    return w->rv;
}

/* ------------------------------------------------------------------ */
/* Per-item audit lines (BatchLogItems)                               */

/* A connection whose per-module config is the batch connection's, except
 * that mod_logio's slot points at scratch memory: mod_logio resets its
 * byte counters in log_transaction, which would otherwise lose the bytes
 * counted so far for the batch request's own line. Built once per batch
 * from r->pool. */
static conn_rec *log_connection(request_rec *r)
{
    conn_rec *lc = apr_pmemdup(r->pool, r->connection, sizeof(conn_rec));
    module *logio = ap_find_linked_module("mod_logio.c");
    module *m;

    lc->conn_config = ap_create_conn_config(r->pool);
    for (m = ap_top_module; m; m = m->next) {
        ap_set_module_config(
            lc->conn_config, m,
            ap_get_module_config(r->connection->conn_config, m));
    }
    if (logio) {
        /* larger than mod_logio's small counter struct */
        ap_set_module_config(lc->conn_config, logio, apr_pcalloc(r->pool, 256));
    }
    return lc;
}

/* Write one access-log line for item it through the normal log hooks
 * (mod_log_config's CustomLog/LogFormat): a copy of the batch request that
 * carries the item's request line, status, bytes and start time, and the
 * batch's log id, so %{BATCH_ITEM_ID}e and %L tie it to its batch.
 * Everything is allocated from the item pool ip. */
static void log_item(request_rec *r, conn_rec *lc, const batch_dispatch_t *d,
                     const batch_item_t *it, const batch_result_t *res,
                     apr_time_t start, apr_pool_t *ip)
{
    request_rec *lr = apr_pmemdup(ip, r, sizeof(*r));

    lr->pool = ip;
    lr->connection = lc;
    lr->main = r;
    lr->prev = lr->next = NULL;
    lr->method = it->method;
    lr->method_number = ap_method_number_of(it->method);
    lr->header_only = res->head;
    lr->the_request = batch_dispatch_request_line(d, it, ip);
    ap_parse_uri(lr, it->uri); /* uri, args, unparsed_uri, parsed_uri */
    lr->filename = NULL;
    lr->status = res->status;
    lr->status_line = NULL;
    lr->bytes_sent = (apr_off_t)res->body_len;
    lr->sent_bodyct = res->body_len > 0;
    lr->request_time = start;
    lr->content_type = res->content_type;
    lr->headers_in = batch_dispatch_headers(d, it, ip);
    lr->headers_out = res->headers ? res->headers : apr_table_make(ip, 1);
    lr->err_headers_out = apr_table_make(ip, 1);
    lr->notes = apr_table_make(ip, 1);
    lr->subprocess_env = apr_table_copy(ip, r->subprocess_env);
    apr_table_setn(lr->subprocess_env, BATCH_ENV_ITEM_ID, it->id);
    if (it->group) {
        apr_table_setn(lr->subprocess_env, BATCH_ENV_ATOMICITY_GROUP,
                       it->group);
    }
    ap_run_log_transaction(lr);
}

/* ------------------------------------------------------------------ */
/* The handler                                                        */

/* What the writer of one batch needs (batch_run calls emit_item). */
typedef struct emit_ctx_t {
    request_rec *r;
    writer_t w;
    const batch_format_t *fmt;
    void *wstate;    /* the format writer's state for this batch */
    batch_out_t out; /* the opening pieces wait here for the first item */
    const batch_t *batch;
    conn_rec *lc; /* BatchLogItems: the log connection, else NULL */
    const batch_dispatch_t *disp;
    int nwritten;
    int nfailed;
} emit_ctx_t;

/* Write one finished item: debug line, access-log line, what the format
 * makes of it. On the batch's thread, in request order. */
static apr_status_t emit_item(void *data, const batch_item_t *it,
                              const batch_result_t *res, apr_time_t start,
                              apr_pool_t *ip)
{
    emit_ctx_t *e = data;
    apr_status_t rv;

    if (!ap_is_HTTP_SUCCESS(res->status)) {
        e->nfailed++;
    }
    if (APLOGrdebug(e->r)) {
        ap_log_rerror(
            APLOG_MARK, APLOG_DEBUG, 0, e->r,
            BATCH_LOGNO(0108) "item %s (#%d): %s %s gave %d, %" APR_SIZE_T_FMT
                              " bytes, %" APR_TIME_T_FMT " us",
            ap_escape_logitem(ip, it->id), it->index, it->method,
            ap_escape_logitem(ip, it->uri), res->status, res->body_len,
            apr_time_now() - start);
    }
    if (e->lc) {
        log_item(e->r, e->lc, e->disp, it, res, start, ip);
    }
    rv = e->fmt->item(e->wstate, &e->out, e->batch, it, res, ip);
    e->nwritten++;
    return rv != APR_SUCCESS ? rv : write_out(&e->w, &e->out);
}

static apr_time_t emit_flush_due(void *data)
{
    return writer_flush_due(&((emit_ctx_t *)data)->w);
}

static apr_status_t emit_flush(void *data)
{
    return writer_flush(&((emit_ctx_t *)data)->w);
}

/* The facts of r a format may read (batch_format.h). */
static int is_this_server(void *baton, const char *host, apr_port_t port)
{
    return ap_matches_request_vhost(baton, host, port);
}

static void request_facts(batch_request_t *req, request_rec *r)
{
    req->content_type = apr_table_get(r->headers_in, "Content-Type");
    req->headers = r->headers_in;
    req->scheme = ap_run_http_scheme(r);
    req->hostname = ap_get_server_name(r);
    req->port = ap_get_server_port(r);
    req->is_this_server = is_this_server;
    req->baton = r;
}

/* The refusals that need no body: nested batch, method, media type.
 * NULL when r may be a batch of format *pfmt. */
static batch_error_t *check_request(request_rec *r, const batch_request_t *req,
                                    const batch_format_t **pfmt)
{
    if (r->main != NULL) {
        /* A batch reached from inside an item (internal redirect, rewrite,
         * include): batches do not nest. */
        return refusal(r, NULL, HTTP_BAD_REQUEST, BATCH_ERR_NESTED,
                       "a batch endpoint cannot be reached from a batch "
                       "item");
    }
    if (r->method_number != M_POST || strcmp(r->method, "POST") != 0) {
        ap_discard_request_body(r);
        return refusal(
            r,
            apr_psprintf(r->pool,
                         BATCH_LOGNO(0101) "method %s refused on a batch "
                                           "endpoint",
                         ap_escape_logitem(r->pool, r->method)),
            HTTP_METHOD_NOT_ALLOWED, BATCH_ERR_METHOD_NOT_ALLOWED,
            apr_psprintf(r->pool,
                         "method %s is not allowed on a batch endpoint; use "
                         "POST",
                         ap_escape_html(r->pool, r->method)));
    }
    if ((*pfmt = batch_format_for(req->content_type)) == NULL) {
        ap_discard_request_body(r);
        return refusal(r,
                       BATCH_LOGNO(0102) "batch refused: the content type is "
                                         "not a batch format",
                       HTTP_UNSUPPORTED_MEDIA_TYPE,
                       BATCH_ERR_UNSUPPORTED_MEDIA_TYPE,
                       batch_format_accepted(r->pool));
    }
    return NULL;
}

/* Read the body and have the format parse it into *pbatch. NULL, or the
 * refusal (413, 400). */
static batch_error_t *read_batch(request_rec *r, const batch_dir_conf *conf,
                                 const batch_format_t *fmt,
                                 const batch_request_t *req, batch_t **pbatch)
{
    apr_off_t max = batch_config_max_request_size(conf);
    batch_limits_t lim;
    batch_error_t *err;
    char *buf;
    apr_size_t len;
    int rc = read_body(r, max, &buf, &len);

    if (rc != OK) {
        /* The rest of the body is not read: close the connection. */
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    switch (rc) {
    case OK:
        break;
    case READ_TOO_LARGE:
        return refusal(
            r,
            apr_psprintf(r->pool,
                         BATCH_LOGNO(0103) "batch refused: body larger than "
                                           "BatchMaxRequestSize "
                                           "(%" APR_OFF_T_FMT ")",
                         max),
            HTTP_REQUEST_ENTITY_TOO_LARGE, BATCH_ERR_REQUEST_TOO_LARGE,
            apr_psprintf(r->pool,
                         "the batch request body is larger than "
                         "BatchMaxRequestSize (%" APR_OFF_T_FMT " bytes)",
                         max));
    case READ_OVER_LIMIT:
        return refusal(r,
                       BATCH_LOGNO(0109) "batch refused: body larger than "
                                         "LimitRequestBody",
                       HTTP_REQUEST_ENTITY_TOO_LARGE,
                       BATCH_ERR_REQUEST_TOO_LARGE,
                       "the batch request body is larger than the server's "
                       "LimitRequestBody");
    default:
        return refusal(r,
                       BATCH_LOGNO(0104) "batch refused: the body could not "
                                         "be read",
                       HTTP_BAD_REQUEST, BATCH_ERR_BAD_REQUEST,
                       "the batch request body could not be read (broken "
                       "chunked encoding, a read timeout, or the client "
                       "went away)");
    }

    lim.max_requests = batch_config_max_requests(conf);
    lim.base = batch_config_base(conf);
    lim.max_fields = r->server->limit_req_fields;
    lim.max_field_size = r->server->limit_req_fieldsize;
    lim.atomicity_ordered = batch_config_atomicity_ordered(conf);
    lim.references = batch_config_references(conf);
    err = apr_pcalloc(r->pool, sizeof(*err));
    if (fmt->parse(pbatch, buf, len, req, &lim, err, r->pool) == APR_SUCCESS) {
        return NULL;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  BATCH_LOGNO(0105) "batch refused: %s",
                  ap_escape_logitem(r->pool, err->message));
    if (err->status == 0) {
        err->status = HTTP_BAD_REQUEST;
    }
    if (err->code == NULL) {
        err->code = BATCH_ERR_BAD_REQUEST;
    }
    return err;
}

/* Run the items of a parsed batch and stream the response. */
static int run_batch(request_rec *r, const batch_dir_conf *conf,
                     const batch_format_t *fmt, const batch_request_t *req,
                     batch_t *batch, batch_workers_t *workers)
{
    batch_run_opts_t opts;
    emit_ctx_t e;
    const char *ctype;

    e.out.n = 0;
    e.wstate = NULL;
    if (fmt->open(&e.wstate, &ctype, r->headers_out, &e.out, batch, req,
                  r->pool)
        != APR_SUCCESS) {
        return send_error(r, fmt,
                          refusal(r, NULL, HTTP_INTERNAL_SERVER_ERROR,
                                  "InternalServerError",
                                  "the batch response could not be begun"));
    }
    /* The batch body was read whole; a Range on the batch would cut the
     * response. */
    apr_table_unset(r->headers_in, "Range");
    apr_table_unset(r->headers_in, "If-Range");
    r->status = HTTP_OK;
    ap_set_content_type(r, ctype);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");

    e.r = r;
    e.fmt = fmt;
    e.batch = batch;
    e.w.r = r;
    e.w.bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    /* the first item goes out at once, with the response headers and the
     * opening pieces; then a flush at most every BATCH_FLUSH_INTERVAL */
    e.w.last_flush = 0;
    e.w.unflushed = 0;
    e.w.rv = APR_SUCCESS;
    e.disp =
        batch_dispatch_create(r, batch_config_max_response_size(conf), r->pool);
    e.lc = batch_config_log_items(conf) ? log_connection(r) : NULL;
    e.nwritten = 0;
    e.nfailed = 0;
    opts.conf = conf;
    opts.disp = e.disp;
    opts.workers = workers;
    opts.deadline = r->request_time + batch_config_timeout(conf);
    opts.concurrency = batch_config_concurrency(conf);
    opts.flush_due = emit_flush_due;
    opts.flush = emit_flush;
    batch_run(r, batch, &opts, emit_item, &e);
    if (e.nwritten == batch->nitems
        && fmt->close(e.wstate, &e.out, batch, r->pool) == APR_SUCCESS) {
        write_out(&e.w, &e.out);
    }

    apr_table_setn(r->notes, BATCH_NOTE_ITEMS,
                   apr_itoa(r->pool, batch->nitems));
    apr_table_setn(r->notes, BATCH_NOTE_FAILED,
                   apr_itoa(r->pool, e.nfailed + (batch->nitems - e.nwritten)));
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  BATCH_LOGNO(0107) "batch of %d items done, %d outside 2xx",
                  batch->nitems, e.nfailed);
    return OK;
}

static int batch_handler(request_rec *r)
{
    const batch_format_t *fmt = NULL;
    batch_request_t req;
    batch_error_t *err;
    batch_t *batch = NULL;
    batch_workers_t *workers = NULL;
    const batch_dir_conf *conf;

    if (!r->handler || strcmp(r->handler, BATCH_HANDLER) != 0) {
        return DECLINED;
    }
    if (r->main == NULL && r->method_number == M_OPTIONS) {
        ap_discard_request_body(r);
        apr_table_setn(r->headers_out, "Allow", BATCH_ALLOW);
        r->status = HTTP_NO_CONTENT;
        return OK;
    }
    conf = ap_get_module_config(r->per_dir_config, &batch_module);
    request_facts(&req, r);
    err = check_request(r, &req, &fmt);
    if (err == NULL) {
        err = read_batch(r, conf, fmt, &req, &batch);
    }
    if (err == NULL && (workers = batch_workers_get()) == NULL) {
        /* BATCH0005 said why at child start */
        err =
            refusal(r, NULL, HTTP_INTERNAL_SERVER_ERROR, "InternalServerError",
                    "this server process cannot run batch items");
    }
    if (err != NULL) {
        return send_error(r, fmt, err);
    }
    return run_batch(r, conf, fmt, &req, batch, workers);
}

/* ------------------------------------------------------------------ */
/* Module record                                                      */

static int batch_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    batch_config_reset();
    return OK;
}

static int batch_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    int threaded = 0, conc = batch_config_max_concurrency_seen();

    (void)pconf;
    (void)plog;
    (void)ptemp;
    /* httpd reads its configuration twice at start-up: speak once */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 BATCH_LOGNO(0001) "mod_batch/%s loaded", BATCH_VERSION);
    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS) {
        threaded = AP_MPMQ_NOT_SUPPORTED;
    }
    if (conc > 1 && threaded == AP_MPMQ_NOT_SUPPORTED) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     BATCH_LOGNO(0003) "BatchConcurrency %d is configured, "
                                       "but the %s MPM has no threads: "
                                       "batch items run sequential, one "
                                       "after another",
                     conc, ap_show_mpm());
    }
    else if (conc > 1 && batch_config_threads(s) == 0) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     BATCH_LOGNO(0004) "BatchConcurrency %d is configured, "
                                       "but BatchThreads is 0: batch "
                                       "items run sequential, one after "
                                       "another",
                     conc);
    }
    return OK;
}

/* Every child: the batch threads (started on demand), the allocator
 * cache and the dummy socket of the items' secondary connections. */
static void batch_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv =
        batch_workers_child_init(pchild, s, batch_config_threads(s));

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     BATCH_LOGNO(0005) "mod_batch cannot run items in this "
                                       "child process");
    }
}

/* Variable name back from REDIRECT_name, when it is missing. */
static void env_back(apr_table_t *env, const char *name, const char *rname)
{
    if (apr_table_get(env, name) == NULL) {
        const char *v = apr_table_get(env, rname);

        if (v) {
            apr_table_setn(env, name, v);
        }
    }
}

/* Items reached through an internal redirect (per-dir RewriteRule, CGI
 * Location, ErrorDocument) see their variables renamed REDIRECT_*; give
 * them BATCH_ITEM_ID and BATCH_ATOMICITY_GROUP back under their own
 * names, from the first phase on. Only a redirect renames them, and only
 * a redirect sets prev (a subrequest made from the redirected one copies
 * its variables after this hook has run). */
static int item_env_back(request_rec *r)
{
    if (r->main != NULL && r->prev != NULL) {
        env_back(r->subprocess_env, BATCH_ENV_ITEM_ID,
                 "REDIRECT_" BATCH_ENV_ITEM_ID);
        env_back(r->subprocess_env, BATCH_ENV_ATOMICITY_GROUP,
                 "REDIRECT_" BATCH_ENV_ATOMICITY_GROUP);
    }
    return DECLINED;
}

static void batch_register_hooks(apr_pool_t *p)
{
    ap_hook_post_read_request(item_env_back, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(item_env_back, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_pre_config(batch_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(batch_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(batch_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(batch_handler, NULL, NULL, APR_HOOK_MIDDLE);
    read_guard_frec = ap_register_output_filter(
        "BATCH_READ_GUARD", read_guard_filter, NULL, AP_FTYPE_RESOURCE);
    batch_dispatch_register(p);
}

AP_DECLARE_MODULE(batch) = {STANDARD20_MODULE_STUFF,
                            batch_config_create_dir, /* per-directory config */
                            batch_config_merge_dir,  /* merge per-directory */
                            batch_config_create_srv, /* per-server config */
                            NULL,                    /* merge per-server */
                            batch_cmds,              /* directives */
                            batch_register_hooks,    /* hooks */
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
                            AP_MODULE_FLAG_NONE
#endif
};
