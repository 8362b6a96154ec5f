/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * encode_ref.c: the encoder as it was before issue 15's rewrite for
 * speed (batch_encode.c at 06daf93), kept verbatim but for the names of
 * its public functions (encode_ref.h). Test code only: the unit tests
 * and the fuzz targets hold batch_encode.c to the very bytes this one
 * writes, for every result and header table they build.
 */

/* the public names, renamed before batch_encode.h declares them */
#define batch_encode_item encode_ref_item
#define batch_encode_headers encode_ref_headers
#define batch_encode_body encode_ref_body
#define batch_encode_error encode_ref_error

#define ENCODE_REF_SELF
#include "encode_ref.h"

#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "batch_util.h"
#include "batch_encode.h"

/* Deepest JSON response body still inlined as a value; a deeper one is
 * passed on as a string (many clients' readers recurse). */
#define ENCODE_JSON_DEPTH 512

/* ------------------------------------------------------------------ */
/* string builder                                                     */
/* ------------------------------------------------------------------ */

typedef struct sb_t {
    apr_pool_t *p;
    char *buf;
    apr_size_t len;
    apr_size_t cap; /* bytes usable, one more is kept for the NUL */
} sb_t;

static void sb_init(sb_t *b, apr_pool_t *p, apr_size_t cap)
{
    b->p = p;
    b->len = 0;
    b->cap = cap;
    b->buf = apr_palloc(p, cap + 1);
}

/* Doubling keeps the pool's waste (abandoned smaller buffers) below the
 * size of the final text. */
static void sb_grow(sb_t *b, apr_size_t n)
{
    apr_size_t cap = b->cap * 2;
    char *nb;

    if (cap < b->len + n) {
        cap = b->len + n;
    }
    nb = apr_palloc(b->p, cap + 1);
    memcpy(nb, b->buf, b->len);
    b->buf = nb;
    b->cap = cap;
}

static inline void sb_reserve(sb_t *b, apr_size_t n)
{
    if (b->cap - b->len < n) {
        sb_grow(b, n);
    }
}

static inline void sb_put(sb_t *b, const char *s, apr_size_t n)
{
    sb_reserve(b, n);
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

/* A string literal, its length known at compile time. */
#define SB_LIT(b, s) sb_put((b), (s), sizeof(s) - 1)

/* A non-negative int in decimal (an HTTP status). */
static void sb_int(sb_t *b, int v)
{
    char digits[12];
    int n = 0;

    if (v < 0) {
        v = 0;
    }
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < (int)sizeof(digits));
    sb_put(b, digits + sizeof(digits) - n, (apr_size_t)n);
}

static inline void sb_putc(sb_t *b, char c)
{
    sb_reserve(b, 1);
    b->buf[b->len++] = c;
}

/* Longest string sb_esc() escapes inline (see there). */
#define SB_ESC_INLINE_MAX 256

/* s[0..n) escaped as the inside of a JSON string, in one pass (the one
 * escaper, batch_util_json_escape_to: bytes that are not UTF-8 become
 * U+FFFD). Room for the unescaped rest is reserved first; when escapes
 * fill it, the buffer grows and the escaper goes on where it stopped. */
static void sb_esc(sb_t *b, const char *s, apr_size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t done = 0, used;

    /* A short string (a header value) inline while the only escapes are
     * '"' and '\\' (an ETag's quotes): at most two bytes out per byte
     * in, so 2n reserved is enough. Long ones (bodies) reserve no more
     * than the escaper's rounds would. */
    if (n <= SB_ESC_INLINE_MAX) {
        sb_reserve(b, 2 * n);
    }
    while (n <= SB_ESC_INLINE_MAX) {
        apr_size_t run = batch_util_json_plain_run(u, done, n);

        memcpy(b->buf + b->len, s + done, run - done);
        b->len += run - done;
        done = run;
        if (done == n || (u[done] != '"' && u[done] != '\\')) {
            break;
        }
        b->buf[b->len++] = '\\';
        b->buf[b->len++] = (char)u[done++];
    }
    /* the rest, from the first other escape, by the one escaper */
    while (done < n) {
        /* + 6: room for at least one escape, so every round moves on */
        sb_reserve(b, n - done + 6);
        b->len += batch_util_json_escape_to(b->buf + b->len, b->cap - b->len,
                                            s + done, n - done, &used);
        done += used;
    }
}

/* s[0..n) as a quoted JSON string. Bytes that are not UTF-8 become
 * U+FFFD: header fields may carry any octet (RFC 9110 5.5), JSON may
 * not. */
static inline void sb_str(sb_t *b, const char *s, apr_size_t n)
{
    sb_reserve(b, n + 2);
    b->buf[b->len++] = '"';
    if (batch_util_json_plain_run((const unsigned char *)s, 0, n) == n) {
        /* the common case: nothing to escape */
        memcpy(b->buf + b->len, s, n);
        b->len += n;
        b->buf[b->len++] = '"';
        return;
    }
    sb_esc(b, s, n);
    sb_putc(b, '"');
}

static void sb_strz(sb_t *b, const char *s)
{
    sb_str(b, s ? s : "", s ? strlen(s) : 0);
}

static void sb_base64(sb_t *b, const char *s, apr_size_t n)
{
    apr_size_t elen;
    const char *e = batch_util_base64_encode(&elen, s, n, b->p);

    sb_reserve(b, elen + 2);
    sb_putc(b, '"');
    sb_put(b, e, elen);
    sb_putc(b, '"');
}

static const char *sb_finish(sb_t *b, apr_size_t *plen)
{
    b->buf[b->len] = '\0';
    if (plen) {
        *plen = b->len;
    }
    return b->buf;
}

/* ------------------------------------------------------------------ */
/* status lines and error bodies                                      */
/* ------------------------------------------------------------------ */

/* The status line the glue gave (httpd's, "404 Not Found"), else the
 * bare number: the pure core keeps no copy of httpd's reason phrases. */
static const char *status_line(int status, const char *given, apr_pool_t *p)
{
    if (given && *given) {
        return given;
    }
    return apr_psprintf(p, "%d", status);
}

/* "404 Not Found" -> "NotFound"; "Error" when there is no phrase. */
static const char *status_code(const char *line, apr_pool_t *p)
{
    char *code = apr_palloc(p, strlen(line) + 1);
    apr_size_t n = 0;

    while (*line >= '0' && *line <= '9') {
        line++;
    }
    for (; *line; line++) {
        char c = *line;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')) {
            code[n++] = c;
        }
    }
    code[n] = '\0';
    return n ? code : "Error";
}

static void put_error(sb_t *b, const char *code, const char *message)
{
    SB_LIT(b, "{\"error\":{\"code\":");
    sb_strz(b, code);
    SB_LIT(b, ",\"message\":");
    sb_strz(b, message);
    SB_LIT(b, "}}");
}

const char *batch_encode_error(const batch_error_t *err, apr_pool_t *p)
{
    sb_t b;
    const char *msg = err->message;

    if (!msg) {
        msg = status_line(err->status, NULL, p);
    }
    sb_init(&b, p, 64 + strlen(msg));
    put_error(&b, err->code ? err->code : "Error", msg);
    return sb_finish(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* headers                                                            */
/* ------------------------------------------------------------------ */

/* One header name of the item's response and its values: the entries
 * first..last of the table, linked by next[] (see group_headers). */
typedef struct hdr_t {
    const char *name; /* first spelling seen */
    apr_size_t nlen;  /* strlen(name) */
    int first;        /* the first entry with this name */
    int last;         /* the last one so far */
} hdr_t;

/* Hop-by-hop headers (batch_util_hop_by_hop) and the framing the batch
 * response replaces; none describes the item to the client. Content-Type
 * is written first, under its exact name. */
static int is_dropped(const char *name, apr_size_t n)
{
    return batch_util_hop_by_hop(name, n)
           || (n == 14 && batch_util_caseeq(name, "Content-Length", n))
           || (n == 12 && batch_util_caseeq(name, "Content-Type", n));
}

/* The values of every Connection header, joined into one list: the names
 * it lists are hop-by-hop too. */
static const char *connection_list(const apr_array_header_t *arr, apr_pool_t *p)
{
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *list = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && e[i].val
            && apr_cstr_casecmp(e[i].key, "Connection") == 0) {
            list = list ? apr_pstrcat(p, list, ",", e[i].val, NULL) : e[i].val;
        }
    }
    return list;
}

/* Distinct names up to this many are found by a linear search (few
 * headers: cheaper than hashing); beyond it by a hash of the folded
 * names, since a proxied target may answer thousands of them. */
#define HDR_LINEAR_MAX 16

typedef struct hdr_index_t {
    hdr_t *out;         /* in first-seen order; sized for every entry
                           up front, so it never moves */
    int n;              /* hdr_t in out */
    apr_hash_t *byname; /* folded name -> hdr_t, past HDR_LINEAR_MAX */
    apr_pool_t *p;
} hdr_index_t;

static hdr_t *hdr_find(const hdr_index_t *x, const char *name, apr_size_t n)
{
    int j;

    if (x->byname) {
        return apr_hash_get(x->byname, batch_util_fold(name, n, x->p),
                            (apr_ssize_t)n);
    }
    for (j = 0; j < x->n; j++) {
        hdr_t *o = &x->out[j];
        if (o->nlen == n && batch_util_caseeq(o->name, name, n)) {
            return o;
        }
    }
    return NULL;
}

static void hdr_add(hdr_index_t *x, const char *name, apr_size_t n, int k)
{
    hdr_t *h = &x->out[x->n++];
    int j;

    h->name = name;
    h->nlen = n;
    h->first = h->last = k;
    if (x->byname) {
        apr_hash_set(x->byname, batch_util_fold(name, n, x->p), (apr_ssize_t)n,
                     h);
    }
    else if (x->n > HDR_LINEAR_MAX) {
        x->byname = apr_hash_make(x->p);
        for (j = 0; j < x->n; j++) {
            hdr_t *o = &x->out[j];
            apr_hash_set(x->byname, batch_util_fold(o->name, o->nlen, x->p),
                         (apr_ssize_t)o->nlen, o);
        }
    }
}

/* The headers of arr a client may see, grouped by name (any case) in
 * first-seen order, *pn of them; (*pnext)[k] is the next entry after k
 * with the same name, or -1. Linear in the number of entries: repeated
 * names are joined when written, never by re-copying a growing value. */
static const hdr_t *group_headers(const apr_array_header_t *arr, int *pn,
                                  int **pnext, apr_pool_t *p)
{
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *conn = NULL;
    hdr_index_t x;
    int i, *next = apr_palloc(p, sizeof(int) * (apr_size_t)(arr->nelts + 1));

    x.out = apr_palloc(p, sizeof(hdr_t) * (apr_size_t)(arr->nelts + 1));
    x.n = 0;
    x.byname = NULL;
    x.p = p;
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && (e[i].key[0] | 0x20) == 'c'
            && !apr_cstr_casecmp(e[i].key, "Connection")) {
            conn = connection_list(arr, p);
            break;
        }
    }
    for (i = 0; i < arr->nelts; i++) {
        apr_size_t n;
        hdr_t *h;

        next[i] = -1;
        if (!e[i].key) {
            continue;
        }
        n = strlen(e[i].key);
        if (is_dropped(e[i].key, n)
            || (conn && batch_util_token_listed(conn, e[i].key, n))) {
            continue;
        }
        if ((h = hdr_find(&x, e[i].key, n)) != NULL) {
            next[h->last] = i;
            h->last = i;
        }
        else {
            hdr_add(&x, e[i].key, n, i);
        }
    }
    *pnext = next;
    *pn = x.n;
    return x.out;
}

/* The values of group h (entries linked by next[]) joined with ", ", in
 * one allocation: measured first, then copied. */
static const char *join_values(const hdr_t *h, const apr_table_entry_t *e,
                               const int *next, apr_pool_t *p)
{
    apr_size_t total = 0, n;
    char *out, *o;
    int k;

    if (next[h->first] < 0) {
        return e[h->first].val ? e[h->first].val : "";
    }
    for (k = h->first; k >= 0; k = next[k]) {
        total += (e[k].val ? strlen(e[k].val) : 0) + 2;
    }
    o = out = apr_palloc(p, total + 1);
    for (k = h->first; k >= 0; k = next[k]) {
        n = e[k].val ? strlen(e[k].val) : 0;
        memcpy(o, e[k].val ? e[k].val : "", n);
        o += n;
        if (next[k] >= 0) {
            *o++ = ',';
            *o++ = ' ';
        }
    }
    *o = '\0';
    return out;
}

apr_array_header_t *batch_encode_headers(const apr_table_t *t, apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    const hdr_t *groups;
    apr_array_header_t *out;
    int *next, i, ngroups;

    if (!t) {
        return apr_array_make(p, 1, sizeof(batch_header_t));
    }
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    groups = group_headers(arr, &ngroups, &next, p);
    out = apr_array_make(p, ngroups ? ngroups : 1, sizeof(batch_header_t));
    for (i = 0; i < ngroups; i++) {
        const hdr_t *g = &groups[i];
        batch_header_t *h = apr_array_push(out);

        h->name = g->name;
        h->nlen = g->nlen;
        h->value = join_values(g, e, next, p);
    }
    return out;
}

static void put_headers(sb_t *b, const apr_table_t *t, const char *ctype,
                        apr_pool_t *p)
{
    int first = 1;

    sb_putc(b, '{');
    if (ctype) {
        SB_LIT(b, "\"Content-Type\":");
        sb_strz(b, ctype);
        first = 0;
    }
    if (t) {
        const apr_array_header_t *arr = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int *next, i, k, n;
        const hdr_t *out = group_headers(arr, &n, &next, p);

        for (i = 0; i < n; i++) {
            const hdr_t *h = &out[i];

            if (!first) {
                sb_putc(b, ',');
            }
            first = 0;
            sb_str(b, h->name, h->nlen);
            SB_LIT(b, ":\"");
            for (k = h->first; k >= 0; k = next[k]) {
                const char *v = e[k].val ? e[k].val : "";

                sb_esc(b, v, strlen(v));
                if (next[k] >= 0) {
                    sb_put(b, ", ", 2);
                }
            }
            sb_putc(b, '"');
        }
    }
    sb_putc(b, '}');
}

/* ------------------------------------------------------------------ */
/* bodies                                                             */
/* ------------------------------------------------------------------ */

/* A JSON body that is valid JSON goes in as the value itself, copied as
 * it is (validated without building a tree: re-parsing and re-printing
 * each body cost more than the subrequest); 0 otherwise. */
static int put_json(sb_t *b, const char *body, apr_size_t len)
{
    while (len > 0
           && (body[0] == ' ' || body[0] == '\t' || body[0] == '\n'
               || body[0] == '\r')) {
        body++;
        len--;
    }
    while (len > 0
           && (body[len - 1] == ' ' || body[len - 1] == '\t'
               || body[len - 1] == '\n' || body[len - 1] == '\r')) {
        len--;
    }
    if (len == 0 || !batch_util_json_valid(body, len, ENCODE_JSON_DEPTH)) {
        return 0;
    }
    sb_put(b, body, len);
    return 1;
}

static void put_body(sb_t *b, const char *body, apr_size_t len,
                     const char *ctype)
{
    batch_media_t mc = batch_util_media_class(ctype);

    if (mc == BATCH_MEDIA_JSON && put_json(b, body, len)) {
        return;
    }
    /* JSON that does not parse is passed on as text (CONTRACT 5) */
    if (mc != BATCH_MEDIA_BINARY && batch_util_utf8_valid(body, len)) {
        sb_str(b, body, len);
        return;
    }
    sb_base64(b, body, len);
}

batch_body_t batch_encode_body(const char **pctype,
                               const apr_table_t **pheaders, const char **pcode,
                               const char **pmessage, const batch_result_t *res,
                               apr_pool_t *p)
{
    batch_body_t mode;
    const apr_table_t *headers = res->headers;
    int has_data = res->body != NULL && res->body_len > 0;

    *pcode = NULL;
    *pmessage = NULL;
    if (res->error_code) {
        /* mod_batch's own refusal replaces whatever the item had */
        mode = BATCH_BODY_ERROR;
        *pcode = res->error_code;
        *pmessage = res->error_message
                        ? res->error_message
                        : status_line(res->status, res->status_line, p);
        headers = NULL;
    }
    else if (res->status == 204 || res->status == 304) {
        mode = BATCH_BODY_NONE;
    }
    else if (!has_data) {
        mode = (res->status >= 400 && !res->head) ? BATCH_BODY_ERROR
                                                  : BATCH_BODY_NONE;
        if (mode == BATCH_BODY_ERROR) {
            *pmessage = status_line(res->status, res->status_line, p);
            *pcode = status_code(*pmessage, p);
        }
    }
    else {
        mode = BATCH_BODY_DATA;
    }

    if (res->error_code || mode == BATCH_BODY_ERROR) {
        *pctype = "application/json";
    }
    else if (res->content_type) {
        *pctype = res->content_type;
    }
    else {
        *pctype = headers ? apr_table_get(headers, "Content-Type") : NULL;
    }
    *pheaders = headers;
    /* never a body for HEAD, whatever its status (CONTRACT 5) */
    return res->head ? BATCH_BODY_NONE : mode;
}

apr_status_t batch_encode_item(const char **pjson, apr_size_t *plen,
                               const char *id, const batch_result_t *res,
                               apr_pool_t *p)
{
    const char *ctype, *code, *message;
    const apr_table_t *headers;
    batch_body_t mode =
        batch_encode_body(&ctype, &headers, &code, &message, res, p);
    sb_t b;

    sb_init(&b, p,
            256
                + (mode == BATCH_BODY_DATA ? res->body_len + res->body_len / 3
                                           : 0));
    SB_LIT(&b, "{\"id\":");
    sb_strz(&b, id);
    SB_LIT(&b, ",\"status\":");
    sb_int(&b, res->status);
    SB_LIT(&b, ",\"headers\":");
    put_headers(&b, headers, ctype, p);
    if (mode == BATCH_BODY_ERROR) {
        SB_LIT(&b, ",\"body\":");
        put_error(&b, code, message);
    }
    else if (mode == BATCH_BODY_DATA) {
        SB_LIT(&b, ",\"body\":");
        put_body(&b, res->body, res->body_len, ctype);
    }
    sb_putc(&b, '}');
    *pjson = sb_finish(&b, plen);
    return APR_SUCCESS;
}
