/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_format_multipart.c: the multipart/mixed wire format (CONTRACT 8)
 * behind the seam of batch_format.h: batch_multipart.c reads the raw
 * parts, the shared checks of batch_item.h make them items, and
 * batch_multipart_write.c writes the parts back. Pure: APR only.
 *
 * Ids (docs/behaviour.md): a part's Content-ID as sent; a part without
 * one gets its 1-based position, which is not checked against the
 * client's ids (Olingo sends none on top-level parts and "1", "2"
 * inside change sets) and is no name for a reference. Order: the OData
 * rule when the request carries OData-Version or OData-MaxVersion, else
 * Google's (independent items).
 */

#include <string.h>

#include <apr_strings.h>

#include "batch_item.h"
#include "batch_multipart.h"
#include "batch_format.h"

/* What the writer needs of an item: its Content-ID as sent. */
typedef struct mp_wire_t {
    const char *content_id; /* NUL terminated, or NULL */
} mp_wire_t;

static int mp_match(const char *content_type)
{
    return batch_multipart_match(content_type);
}

/* One raw part -> a checked item (CONTRACT 3, 4, 8). */
static apr_status_t mp_item(const batch_check_t *c,
                            const batch_multipart_server_t *srv,
                            const batch_multipart_item_t *raw,
                            const char *group, batch_item_t *it)
{
    const char *id, *url = NULL, *why = NULL;
    apr_size_t idlen;
    mp_wire_t *wire = apr_pcalloc(c->p, sizeof(*wire));
    apr_status_t rv;
    int k;

    it->headers = apr_table_make(c->p, raw->nheaders + 1);
    if (raw->content_id) {
        id = raw->content_id;
        idlen = raw->content_id_len;
    }
    else {
        id = apr_itoa(c->tp, it->index + 1);
        idlen = strlen(id);
    }
    if ((rv = batch_item_set_id(c, it, "Content-ID", id, idlen)) != APR_SUCCESS
        || (rv = batch_item_set_method(c, it, "method", raw->method,
                                       raw->method_len))
               != APR_SUCCESS) {
        return rv;
    }
    if (raw->host
        && batch_multipart_check_host(&why, raw->host, raw->host_len, srv,
                                      c->tp)
               != APR_SUCCESS) {
        return batch_item_fail(c, it->index, it->id, "Host", "\"Host\" %s",
                               why);
    }
    if (batch_multipart_target_url(&url, &why, raw->target, raw->target_len,
                                   srv, c->tp)
        != APR_SUCCESS) {
        return batch_item_fail(c, it->index, it->id, "target",
                               "the request target %s", why);
    }
    if ((rv = batch_item_set_url(c, it, "target", url, strlen(url)))
            != APR_SUCCESS
        || (rv = batch_item_check_nheaders(c, it, "headers",
                                           (apr_size_t)raw->nheaders))
               != APR_SUCCESS) {
        return rv;
    }
    for (k = 0; k < raw->nheaders; k++) {
        const batch_multipart_header_t *h = &raw->headers[k];
        rv = batch_item_add_header(c, it, "headers", h->name, h->nlen, h->value,
                                   h->vlen);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (raw->body_len > 0 || raw->has_length) {
        /* bytes as sent (CONTRACT 8), with the type as sent: none when
         * the client gave none (docs/behaviour.md); copied, as nothing
         * may point into buf */
        it->has_body = 1;
        it->body = apr_pmemdup(c->p, raw->body, raw->body_len);
        it->body_len = raw->body_len;
        it->body_type = apr_table_get(it->headers, "Content-Type");
    }
    it->group = group;
    wire->content_id = it->id == NULL || !raw->content_id ? NULL : it->id;
    it->wire = wire;
    return APR_SUCCESS;
}

/* CONTRACT 3's uniqueness among the Content-IDs the client sent; the
 * positions given to parts without one are left out (see the top), so
 * references (CONTRACT 10) can name only the client's ids. */
static apr_status_t mp_unique_ids(const batch_check_t *c, const batch_t *b,
                                  batch_ids_t **pids)
{
    batch_ids_t *ids = batch_ids_make(c->tp);
    int k;

    *pids = ids;
    for (k = 0; k < b->nitems; k++) {
        const batch_item_t *it = &b->items[k];
        const mp_wire_t *wire = it->wire;
        apr_size_t len = strlen(it->id);

        if (wire->content_id == NULL) {
            continue;
        }
        if (batch_ids_claim(ids, it->id, len, k) >= 0) { /* an earlier one */
            return batch_item_check_unique(c, ids, it, "Content-ID");
        }
    }
    return APR_SUCCESS;
}

/* BatchReferences On (CONTRACT 10): in an OData batch an item may refer
 * to any earlier item by its Content-ID (it then depends on it); the
 * items of a Google-style batch are independent, so a reference there is
 * a 400. */
static apr_status_t mp_refs(const batch_check_t *c, const batch_ids_t *ids,
                            batch_t *b, int odata)
{
    apr_status_t rv = APR_SUCCESS;
    int k;

    for (k = 0; k < b->nitems && rv == APR_SUCCESS; k++) {
        batch_item_t *it = &b->items[k];

        if (!it->refs) {
            continue;
        }
        if (!odata) {
            return batch_item_fail(c, k, it->id,
                                   (it->refs & BATCH_ITEM_REFS_URL) ? "target"
                                                                    : "headers",
                                   "holds a reference, but the items of a "
                                   "batch without OData-Version are "
                                   "independent: nothing to refer to");
        }
        rv = batch_item_check_refs_earlier(c, ids, it, "target", "headers");
    }
    return rv;
}

static apr_status_t mp_parse(batch_t **pbatch, const char *buf, apr_size_t len,
                             const batch_request_t *req,
                             const batch_limits_t *lim, batch_error_t *err,
                             apr_pool_t *p)
{
    batch_multipart_server_t srv;
    batch_multipart_t *mp = NULL;
    batch_check_t c;
    const char **groups;
    batch_ids_t *ids = NULL;
    batch_t *b;
    apr_status_t rv;
    int k, odata;

    *pbatch = NULL;
    memset(&c, 0, sizeof(c)); /* utf8_checked 0: the id check tests it */
    c.p = p;
    c.lim = lim;
    c.err = err;
    if ((rv = apr_pool_create(&c.tp, p)) != APR_SUCCESS) {
        return rv;
    }
    /* the raw spans and arrays live in the scratch pool */
    rv = batch_multipart_read(&mp, buf, len, req->content_type,
                              lim->max_requests, err, c.tp);
    if (rv != APR_SUCCESS) {
        if (err) { /* the message lives in tp: copy it out */
            err->message = apr_pstrdup(p, err->message);
            err->item_id = err->item_id ? apr_pstrdup(p, err->item_id) : NULL;
        }
        apr_pool_destroy(c.tp);
        return rv;
    }
    srv.scheme = req->scheme;
    srv.port = req->port;
    srv.is_this_server = req->is_this_server;
    srv.baton = req->baton;
    groups = apr_pcalloc(c.tp, (mp->ngroups + 1) * sizeof(*groups));
    for (k = 0; k < mp->ngroups; k++) {
        groups[k] = apr_pstrdup(p, mp->groups[k].boundary);
    }
    b = apr_pcalloc(p, sizeof(*b));
    b->nitems = mp->nitems;
    b->items = apr_palloc(p, mp->nitems * sizeof(*b->items));
    for (k = 0; k < mp->nitems && rv == APR_SUCCESS; k++) {
        const batch_multipart_item_t *raw = &mp->items[k];
        /* zeroed here, item by item, not with one memset: the loop runs
         * anyway (the items are not used when one fails) */
        b->items[k] = (batch_item_t){.index = k};
        rv = mp_item(&c, &srv, raw, raw->group >= 0 ? groups[raw->group] : NULL,
                     &b->items[k]);
    }
    if (rv == APR_SUCCESS) {
        rv = mp_unique_ids(&c, b, &ids);
    }
    if (rv == APR_SUCCESS) {
        rv = batch_item_groups(b, &c);
    }
    odata = batch_multipart_is_odata(req->headers);
    if (rv == APR_SUCCESS && odata) {
        batch_item_order(
            b, !batch_multipart_continue_on_error(req->headers, c.tp), p);
    }
    if (rv == APR_SUCCESS && lim->references) {
        rv = mp_refs(&c, ids, b, odata);
    }
    apr_pool_destroy(c.tp);
    if (rv == APR_SUCCESS) {
        *pbatch = b;
    }
    return rv;
}

static apr_status_t mp_open(void **pstate, const char **pctype,
                            apr_table_t *headers_out, batch_out_t *out,
                            const batch_t *b, const batch_request_t *req,
                            apr_pool_t *p)
{
    batch_multipart_writer_t *w = NULL;
    const char *pref;
    apr_status_t rv;

    (void)out;
    (void)b;
    if ((rv = batch_multipart_writer_make(&w, p)) != APR_SUCCESS) {
        return rv;
    }
    *pstate = w;
    *pctype = batch_multipart_content_type(w, p);
    if (batch_multipart_is_odata(req->headers)) {
        apr_table_setn(headers_out, "OData-Version", "4.0");
        pref = batch_multipart_continue_on_error(req->headers, p);
        if (pref) {
            apr_table_setn(headers_out, "Preference-Applied", pref);
        }
    }
    return APR_SUCCESS;
}

static apr_status_t mp_write(void *state, batch_out_t *out, const batch_t *b,
                             const batch_item_t *it, const batch_result_t *res,
                             apr_pool_t *ip)
{
    const mp_wire_t *wire = it->wire;
    batch_multipart_out_t mo;
    apr_status_t rv;

    (void)b;
    rv = batch_multipart_write_item(state, &mo, wire ? wire->content_id : NULL,
                                    it->group, res, ip);
    if (rv == APR_SUCCESS) {
        rv = batch_out_add(out, mo.head, mo.head_len);
    }
    if (rv == APR_SUCCESS) {
        rv = batch_out_add(out, mo.body, mo.body_len);
    }
    return rv;
}

static apr_status_t mp_close(void *state, batch_out_t *out, const batch_t *b,
                             apr_pool_t *p)
{
    apr_size_t n;
    const char *s = batch_multipart_write_close(state, &n, p);

    (void)b;
    return batch_out_add(out, s, n);
}

static const char *mp_error(const batch_error_t *err, const char **pctype,
                            apr_pool_t *p)
{
    return batch_format_default()->error(err, pctype, p);
}

const batch_format_t batch_format_multipart = {
    .name = "multipart",
    .accepts = "multipart/mixed",
    .match = mp_match,
    .parse = mp_parse,
    .open = mp_open,
    .item = mp_write,
    .close = mp_close,
    .error = mp_error,
};
