/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_multipart.c: fuzz target over the multipart/mixed reader
 * (batch_multipart_read(), CONTRACT 8), which reads client bytes before
 * any item runs, and over what is built on its result: the target and
 * Host rules, the url rules of CONTRACT 3, and the writer. A refusal must
 * be a complete 400 BadRequest whose error body is valid JSON; an
 * accepted batch must keep every promise the format seam relies on:
 * 1 to max items, spans inside the request buffer, a request line split
 * on spaces, header lines without line breaks, bodies that fit, change
 * sets whose items are adjacent and complete. Writing every item back
 * (its body as the response body) must give exactly one top-level
 * delimiter per top-level part and one close delimiter: no body can
 * break the framing.
 *
 * The first input byte picks the limits and the Content-Type: bits 0-1
 * the most items (20, 1, 1000, none); with bit 2 set the Content-Type
 * is the first line of the rest (so seeds read "D" then the client's
 * Content-Type, a line break, its body), else bits 3-4 pick one of four
 * fixed Content-Types and the rest is the body. Bits 5 and 6 pick the
 * OData headers and BatchAtomicity Ordered for the format seam's parse
 * (batch_format_multipart.c), which must accept exactly what the reader
 * accepted, less what the item rules refuse, and give items whose
 * dependencies all point backwards.
 */

#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>

#include "fuzz.h"
#include "batch_encode.h"
#include "batch_format.h"
#include "batch_multipart.h"
#include "batch_parse.h"
#include "batch_util.h"

static const int max_items[] = {20, 1, 1000, 0};
static const char *const ctypes[] = {
    "multipart/mixed; boundary=\"===============7457587456124525445==\"",
    "multipart/mixed; boundary=batch_6f0e2a3c-1111-4222-8333-944455556666",
    "multipart/mixed; boundary=b",
    "Multipart/Mixed ; charset=utf-8; boundary=\"a\\\"b c\"",
};

static int this_server(void *baton, const char *host, apr_port_t port)
{
    (void)baton;
    return port == 8080
           && (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost")
               || !strcmp(host, "::1"));
}

static int inside(const char *s, apr_size_t n, const char *buf, apr_size_t len)
{
    return s >= buf && n <= len && (apr_size_t)(s - buf) <= len - n;
}

static void check_item(const batch_multipart_item_t *it, const char *buf,
                       apr_size_t len, apr_pool_t *p)
{
    static const batch_multipart_server_t srv = {"http", 8080, this_server,
                                                 NULL};
    const char *url = NULL, *uri = NULL, *why = NULL;
    int k;

    FUZZ_CHECK(it->part >= 1);
    FUZZ_CHECK(it->method_len > 0
               && inside(it->method, it->method_len, buf, len));
    FUZZ_CHECK(!memchr(it->method, ' ', it->method_len));
    FUZZ_CHECK(!memchr(it->method, '\n', it->method_len));
    FUZZ_CHECK(it->target_len > 0
               && inside(it->target, it->target_len, buf, len));
    FUZZ_CHECK(!memchr(it->target, ' ', it->target_len));
    FUZZ_CHECK(!memchr(it->target, '\n', it->target_len));
    FUZZ_CHECK(it->http_minor == 0 || it->http_minor == 1);
    FUZZ_CHECK(it->body && inside(it->body, it->body_len, buf, len));
    FUZZ_CHECK(it->nheaders >= 0 && (it->nheaders == 0 || it->headers));
    for (k = 0; k < it->nheaders; k++) {
        const batch_multipart_header_t *h = &it->headers[k];
        FUZZ_CHECK(h->nlen > 0 && inside(h->name, h->nlen, buf, len));
        FUZZ_CHECK(inside(h->value, h->vlen, buf, len));
        FUZZ_CHECK(!memchr(h->name, ':', h->nlen));
        FUZZ_CHECK(!memchr(h->value, '\n', h->vlen));
        FUZZ_CHECK(!(h->nlen == 4 && !apr_cstr_casecmpn(h->name, "Host", 4)));
    }
    FUZZ_CHECK(!it->content_id
               || !memchr(it->content_id, '\n', it->content_id_len));
    if (batch_multipart_target_url(&url, &why, it->target, it->target_len, &srv,
                                   p)
        == APR_SUCCESS) {
        FUZZ_CHECK(url != NULL);
        if (batch_parse_resolve_url(&uri, &why, url, "/v1.0", p)
            == APR_SUCCESS) {
            FUZZ_CHECK(!strncmp(uri, "/v1.0", 5));
        }
    }
    else {
        FUZZ_CHECK(why != NULL);
    }
    if (it->host) {
        why = NULL;
        if (batch_multipart_check_host(&why, it->host, it->host_len, &srv, p)
            != APR_SUCCESS) {
            FUZZ_CHECK(why != NULL);
        }
    }
}

static void check_groups(const batch_multipart_t *mp)
{
    int g, k;

    for (g = 0; g < mp->ngroups; g++) {
        const batch_multipart_group_t *gr = &mp->groups[g];
        FUZZ_CHECK(gr->nitems >= 1 && gr->first >= 0
                   && gr->first + gr->nitems <= mp->nitems);
        FUZZ_CHECK(gr->boundary && gr->boundary[0]);
        for (k = gr->first; k < gr->first + gr->nitems; k++) {
            FUZZ_CHECK(mp->items[k].group == g);
            FUZZ_CHECK(mp->items[k].subpart >= 1);
            FUZZ_CHECK(mp->items[k].part == gr->part);
        }
    }
    for (k = 0; k < mp->nitems; k++) {
        FUZZ_CHECK(mp->items[k].group >= -1
                   && mp->items[k].group < mp->ngroups);
        FUZZ_CHECK((mp->items[k].group < 0) == (mp->items[k].subpart == 0));
        FUZZ_CHECK(k == 0 || mp->items[k].part >= mp->items[k - 1].part);
        FUZZ_CHECK(mp->items[k].part <= mp->nparts);
    }
}

static apr_size_t count(const char *s, apr_size_t n, const char *what)
{
    apr_size_t w = strlen(what), c = 0, i;

    for (i = 0; i + w <= n; i++) {
        if (!memcmp(s + i, what, w)) {
            c++;
        }
    }
    return c;
}

/* Write every item back, its request body as its response body: the
 * top-level boundary occurs once per top-level part and once closing. */
static void check_writer(const batch_multipart_t *mp, apr_pool_t *p)
{
    batch_multipart_writer_t *w = NULL;
    apr_array_header_t *all = apr_array_make(p, 8, sizeof(struct iovec));
    const char *text, *delim;
    apr_size_t tlen;
    int k;

    FUZZ_CHECK(batch_multipart_writer_make(&w, p) == APR_SUCCESS);
    for (k = 0; k < mp->nitems; k++) {
        const batch_multipart_item_t *it = &mp->items[k];
        batch_multipart_out_t out;
        batch_result_t res;
        struct iovec *io;

        memset(&res, 0, sizeof(res));
        res.status = it->body_len ? 200 : 404;
        res.headers = apr_table_make(p, 2);
        apr_table_setn(res.headers, "Content-Type", "application/octet-stream");
        res.body = it->body;
        res.body_len = it->body_len;
        FUZZ_CHECK(
            batch_multipart_write_item(
                w, &out,
                it->content_id
                    ? apr_pstrmemdup(p, it->content_id, it->content_id_len)
                    : NULL,
                it->group >= 0 ? mp->groups[it->group].boundary : NULL, &res, p)
            == APR_SUCCESS);
        FUZZ_CHECK(out.head_len == strlen(out.head));
        io = apr_array_push(all);
        io->iov_base = (void *)out.head;
        io->iov_len = out.head_len;
        io = apr_array_push(all);
        io->iov_base = (void *)out.body;
        io->iov_len = out.body_len;
    }
    FUZZ_CHECK(w->collisions == 0);
    text = batch_multipart_write_close(w, &tlen, p);
    *(struct iovec *)apr_array_push(all) = (struct iovec){(void *)text, tlen};
    text = apr_pstrcatv(p, (struct iovec *)all->elts, all->nelts, &tlen);
    delim = apr_pstrcat(p, "--", w->boundary, NULL);
    FUZZ_CHECK(count(text, tlen, delim) == (apr_size_t)mp->nparts + 1);
    FUZZ_CHECK(tlen >= 2 && !memcmp(text + tlen - 2, "\r\n", 2));
}

static void check_error(const batch_error_t *err, apr_pool_t *p)
{
    const char *body;

    FUZZ_CHECK(err->status == 400);
    FUZZ_CHECK(err->code && !strcmp(err->code, BATCH_ERR_BAD_REQUEST));
    FUZZ_CHECK(err->message && err->message[0]);
    FUZZ_CHECK(batch_util_utf8_valid(err->message, strlen(err->message)));
    body = batch_encode_error(err, p);
    FUZZ_CHECK(batch_util_json_valid(body, strlen(body), 8));
}

/* "multipart/mixed; boundary=\"B\"" for a body whose first line is --B. */
static const char *ct_of_body(const char *buf, apr_size_t len, apr_pool_t *p)
{
    apr_size_t i, o = 0;
    char *q = apr_palloc(p, 2 * len + 1);

    for (i = 2; i < len && buf[i] != '\r' && buf[i] != '\n'; i++) {
        if (buf[i] == '"' || buf[i] == '\\') {
            q[o++] = '\\';
        }
        q[o++] = buf[i];
    }
    q[o] = '\0';
    return apr_pstrcat(p, "multipart/mixed; boundary=\"", q, "\"", NULL);
}

/* The seam's parse of the same bytes: a refusal is a 400 as above (or a
 * BatchAtomicity one), an accepted batch has the reader's items with
 * backward dependencies only. */
static void check_format(const char *buf, apr_size_t len, const char *ct,
                         int max, unsigned sel, const batch_multipart_t *mp,
                         apr_pool_t *p)
{
    batch_request_t req;
    batch_limits_t lim;
    batch_error_t err;
    batch_t *b = NULL;
    apr_table_t *h = apr_table_make(p, 2);
    int k, j;

    memset(&req, 0, sizeof(req));
    memset(&lim, 0, sizeof(lim));
    memset(&err, 0, sizeof(err));
    if (sel & 0x20) {
        apr_table_setn(h, "OData-Version", "4.0");
        apr_table_setn(h, "Prefer", (sel & 0x80) ? "continue-on-error" : "x");
    }
    req.content_type = ct;
    req.headers = h;
    req.scheme = "http";
    req.hostname = "localhost";
    req.port = 8080;
    req.is_this_server = this_server;
    lim.max_requests = max;
    lim.base = "";
    lim.atomicity_ordered = (sel & 0x40) != 0;
    if (batch_format_multipart.parse(&b, buf, len, &req, &lim, &err, p)
        != APR_SUCCESS) {
        FUZZ_CHECK(b == NULL);
        check_error(&err, p);
        return;
    }
    FUZZ_CHECK(mp != NULL && b->nitems == mp->nitems);
    for (k = 0; k < b->nitems; k++) {
        const batch_item_t *it = &b->items[k];

        FUZZ_CHECK(it->index == k && it->id && it->method && it->uri);
        FUZZ_CHECK(it->uri[0] == '/');
        FUZZ_CHECK(!it->has_body || it->body != NULL || it->body_len == 0);
        FUZZ_CHECK(it->after >= 0 && it->after <= k);
        for (j = 0; j < it->ndeps; j++) {
            FUZZ_CHECK(it->deps[j] >= 0 && it->deps[j] < k);
        }
        FUZZ_CHECK(!it->group || lim.atomicity_ordered);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    batch_multipart_t *mp = NULL;
    batch_error_t err;
    const char *ct, *buf;
    apr_size_t len;
    unsigned sel;
    int max;

    if (size < 1) {
        return 0;
    }
    sel = data[0];
    max = max_items[sel & 3];
    buf = (const char *)data + 1;
    len = size - 1;
    if (sel == '-') {
        buf = (const char *)data;
        len = size;
        max = 20;
        ct = ct_of_body(buf, len, p);
    }
    else if (sel & 4) {
        const char *nl = memchr(buf, '\n', len);
        apr_size_t n = nl ? (apr_size_t)(nl - buf) : len;
        ct = apr_pstrmemdup(p, buf, n);
        buf += nl ? n + 1 : n;
        len -= nl ? n + 1 : n;
    }
    else {
        ct = ctypes[(sel >> 3) & 3];
    }
    memset(&err, 0, sizeof(err));
    if (batch_multipart_read(&mp, buf, len, ct, max, &err, p) == APR_SUCCESS) {
        int k;

        FUZZ_CHECK(mp && mp->nitems >= 1 && (max <= 0 || mp->nitems <= max));
        FUZZ_CHECK(mp->nparts >= 1 && mp->nparts <= mp->nitems);
        for (k = 0; k < mp->nitems; k++) {
            check_item(&mp->items[k], buf, len, p);
        }
        check_groups(mp);
        check_writer(mp, p);
    }
    else {
        FUZZ_CHECK(mp == NULL);
        check_error(&err, p);
    }
    check_format(buf, len, ct, max, sel, mp, p);
    apr_pool_clear(p);
    return 0;
}
