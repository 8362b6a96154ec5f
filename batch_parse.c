/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_parse.c: the first stage of parse -> schedule -> dispatch ->
 * encode. It turns the batch request document into a batch_t that the
 * later stages can trust, and is the single place where every batch-level
 * 400 of CONTRACT 3 (and the ill-fitting body of CONTRACT 5) is decided:
 * the JSON itself, the shape of each item, ids, methods, urls (resolved
 * and confined to BatchBase), item headers, bodies and dependsOn. Pure:
 * APR only. The document is read by batch_json.c into a tree in a scratch
 * pool that never outlives the call; all that is kept is copied into the
 * caller's pool, and a JSON item body is kept as the very bytes the client
 * sent.
 */

#include <stdarg.h>
#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "batch_json.h"
#include "batch_util.h"
#include "batch_parse.h"

#if defined(__GNUC__)
#define BATCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BATCH_PRINTF(f, a)
#endif

/* Longest client string quoted whole in a message (code points). */
#define QUOTE_MAX_CHARS 64

/* Objects with more members than this find duplicate names with a hash
 * instead of comparing every pair. */
#define DUPS_LINEAR_MAX 8

/* Headers an item may not set (CONTRACT 4): they describe the batch's own
 * connection or framing, and httpd sets them for the subrequest. */
static const char *const forbidden_headers[] = {
    "Host",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Keep-Alive",
    "TE",
    "Trailer",
    "Upgrade",
    "Expect",
    "Proxy-Connection",
    "HTTP2-Settings",
    NULL,
};

/* The members of an item (CONTRACT 3); names are case-sensitive, so
 * "dependson" is a typo. */
enum { F_ID = 0, F_METHOD, F_URL, F_HEADERS, F_BODY, F_DEPENDS, F_COUNT };

typedef struct parse_ctx {
    apr_pool_t *p;   /* owns the result and the error */
    apr_pool_t *tp;  /* scratch: the JSON tree and the id hash */
    const char *buf; /* the document, for the spans of JSON bodies */
    const batch_limits_t *lim;
    batch_error_t *err;
    /* folded id -> first index, over every item with a string id. Items
     * are validated in order and the first bad one ends the parse, so
     * an index below the current item's is a validated item. */
    apr_hash_t *all;
} parse_ctx;

/* An item's members, sorted out once: the value of each known member
 * (the last of duplicates) and the first unknown member. */
typedef struct item_members {
    const batch_json_t *f[F_COUNT];
    const batch_json_member_t *unknown;
} item_members;

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

/* ASCII case folding, independent of the process locale; ids are
 * compared case-insensitively as Graph does. The result is a hash key of
 * len bytes: s itself when it has no upper-case letter, else a copy. */
static const char *fold(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *f;
    apr_size_t i = 0;

    while (i < len && !(s[i] >= 'A' && s[i] <= 'Z')) {
        i++;
    }
    if (i == len) {
        return s;
    }
    f = apr_pstrmemdup(p, s, len);
    for (; i < len; i++) {
        if (f[i] >= 'A' && f[i] <= 'Z') {
            f[i] = (char)(f[i] + ('a' - 'A'));
        }
    }
    return f;
}

/* A client string fit for a message: JSON-escaped (so quotes, backslashes
 * and control characters cannot confuse the reader) and cut short. The
 * input is valid UTF-8: batch_json_parse() accepts nothing else, not
 * even a lone surrogate escape. */
static const char *quote(const char *s, apr_size_t len, apr_pool_t *p)
{
    apr_size_t i, chars = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars > QUOTE_MAX_CHARS) {
            return apr_pstrcat(p, batch_util_json_escape(NULL, s, i, p), "...",
                               NULL);
        }
    }
    return batch_util_json_escape(NULL, s, len, p);
}

static const char *quotez(const char *s, apr_pool_t *p)
{
    return quote(s, strlen(s), p);
}

static apr_status_t fail(parse_ctx *c, int index, const char *id,
                         const char *field, const char *fmt, ...)
    BATCH_PRINTF(5, 6);

/* Fill the error: "requests[2] (id "3"): <what>". id is given only once
 * it has been validated, so it is printable. Everything is copied into
 * the result's pool: the tree's strings die with the scratch pool. */
static apr_status_t fail(parse_ctx *c, int index, const char *id,
                         const char *field, const char *fmt, ...)
{
    batch_error_t *err = c->err;
    const char *where, *what;
    va_list ap;

    va_start(ap, fmt);
    what = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    if (index < 0) {
        where = "";
    }
    else if (id) {
        where = apr_psprintf(c->p, "requests[%d] (id \"%s\"): ", index,
                             quotez(id, c->p));
    }
    else {
        where = apr_psprintf(c->p, "requests[%d]: ", index);
    }
    if (err) {
        err->status = 400;
        err->code = BATCH_ERR_BAD_REQUEST;
        err->message = apr_pstrcat(c->p, where, what, NULL);
        err->item_id = id ? apr_pstrdup(c->p, id) : NULL;
        err->index = index;
        err->field = field ? apr_pstrdup(c->p, field) : NULL;
    }
    return APR_EINVAL;
}

static const char *type_name(const batch_json_t *v)
{
    switch (v->type) {
    case BATCH_JSON_NULL:
        return "null";
    case BATCH_JSON_FALSE:
    case BATCH_JSON_TRUE:
        return "a boolean";
    case BATCH_JSON_NUMBER:
        return "a number";
    case BATCH_JSON_OBJECT:
        return "an object";
    case BATCH_JSON_ARRAY:
        return "an array";
    case BATCH_JSON_STRING:
        return "a string";
    }
    return "a JSON value";
}

static int in_list_nocase(const char *name, const char *const *list)
{
    for (; *list; list++) {
        if (!apr_cstr_casecmp(name, *list)) {
            return 1;
        }
    }
    return 0;
}

/* 1 when s has a control character: C0, DEL, or C1 (U+0080-U+009F,
 * which UTF-8 writes as C2 80 .. C2 9F). */
static int has_ctl(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (u[i] < 0x20 || u[i] == 0x7F
            || (u[i] == 0xC2 && i + 1 < len && u[i + 1] >= 0x80
                && u[i + 1] <= 0x9F)) {
            return 1;
        }
    }
    return 0;
}

/* json-c, which read the document before batch_json.c did, cut member
 * names at a NUL, so "id\u0000x" became "id"; such names are still
 * refused in the objects the parser reads (the document, the items and
 * their headers). Bodies are forwarded verbatim and may hold them. */
static apr_status_t nul_name(parse_ctx *c)
{
    return fail(c, -1, NULL, NULL,
                "the batch request is not valid JSON: a member name "
                "contains \\u0000");
}

static int same_name(const batch_json_member_t *a, const batch_json_member_t *b)
{
    return a->name_len == b->name_len && !memcmp(a->name, b->name, a->name_len);
}

/* For each member of obj: whether an earlier member has the same name
 * (dup[k]) and, for the first of a name, the index of the last member
 * with that name (last[k]): json-c's view of duplicates, one entry at the
 * first position with the last value. Returns the count of distinct
 * names; dup and last stay NULL when all names differ. Arrays from tp. */
static apr_size_t find_dups(char **pdup, apr_size_t **plast,
                            const batch_json_t *obj, apr_pool_t *tp)
{
    const batch_json_member_t *m = obj->u.members;
    apr_size_t n = obj->n, unique = n, k, j;
    char *dup;
    apr_size_t *last;
    int any = 0;

    *pdup = NULL;
    *plast = NULL;
    if (n < 2) {
        return n;
    }
    if (n <= DUPS_LINEAR_MAX) {
        for (k = 1; k < n && !any; k++) {
            for (j = 0; j < k && !any; j++) {
                any = same_name(&m[j], &m[k]);
            }
        }
        if (!any) {
            return n;
        }
    }
    dup = apr_pcalloc(tp, n);
    last = apr_palloc(tp, n * sizeof(*last));
    if (n <= DUPS_LINEAR_MAX) {
        for (k = 0; k < n; k++) {
            last[k] = k;
            for (j = 0; j < k; j++) {
                if (!dup[j] && same_name(&m[j], &m[k])) {
                    dup[k] = 1;
                    last[j] = k;
                    unique--;
                    break;
                }
            }
        }
    }
    else {
        apr_hash_t *first = apr_hash_make(tp);

        for (k = 0; k < n; k++) {
            apr_size_t *f =
                apr_hash_get(first, m[k].name, (apr_ssize_t)m[k].name_len);
            last[k] = k;
            if (f) {
                dup[k] = 1;
                last[*f] = k;
                unique--;
            }
            else {
                f = apr_palloc(tp, sizeof(*f));
                *f = k;
                apr_hash_set(first, m[k].name, (apr_ssize_t)m[k].name_len, f);
            }
        }
    }
    *pdup = dup;
    *plast = last;
    return unique;
}

/* ------------------------------------------------------------------ */
/* urls                                                               */
/* ------------------------------------------------------------------ */

/* Copy a path merging runs of '/' and decoding %2E, as httpd does
 * (MergeSlashes, AP_NORMALIZE_DECODE_UNRESERVED) before it removes dot
 * segments; otherwise "/%2e%2e/" would slip past our own removal. */
static char *merge_decode(apr_size_t *pn, const char *in, apr_size_t len,
                          apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (in[i] == '/' && n > 0 && out[n - 1] == '/') {
            continue;
        }
        if (in[i] == '%' && i + 2 < len && in[i + 1] == '2'
            && (in[i + 2] == 'e' || in[i + 2] == 'E')) {
            out[n++] = '.';
            i += 2;
            continue;
        }
        out[n++] = in[i];
    }
    out[n] = '\0';
    *pn = n;
    return out;
}

/* Characters no url or base may hold; NULL when s is clean. */
/* Bytes of a url that need no closer look: printable ASCII but '#',
 * '%' and '\\', and bytes >= 0x80 but 0xC2 (the lead byte of C1
 * controls). */
static const unsigned char url_plain[256] = {
    [0x21 ... 0x22] = 1, [0x24] = 1,          [0x26 ... 0x5B] = 1,
    [0x5D ... 0x7E] = 1, [0x80 ... 0xC1] = 1, [0xC3 ... 0xFF] = 1};

static const char *bad_chars(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    for (; *u; u++) {
        if (url_plain[*u]) {
            continue;
        }
        if (*u == ' ' || (*u >= '\t' && *u <= '\r')) {
            return "must not contain whitespace";
        }
        if (*u < 0x20 || *u == 0x7F
            || (*u == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F)) {
            return "must not contain control characters";
        }
        if (*u == '\\') {
            return "must not contain '\\'";
        }
        if (*u == '#') {
            return "must not contain a fragment";
        }
        if (*u == '%' && !(apr_isxdigit(u[1]) && apr_isxdigit(u[2]))) {
            return "contains an invalid %-escape";
        }
    }
    return NULL;
}

/* RFC 3986 5.2.4 on an absolute path (starting with '/', slashes already
 * merged) except that climbing above the root is an error instead of
 * being ignored. Returns NULL on such a climb. */
static char *remove_dots(apr_size_t *pn, const char *in, apr_size_t n,
                         apr_pool_t *p)
{
    char *out = apr_palloc(p, n + 2);
    apr_size_t o = 0, i = 1;

    /* out is "/" or "/seg/.../" or ends in the last segment */
    out[o++] = '/';
    while (i <= n) {
        apr_size_t j = i, seglen;
        int last;

        while (j < n && in[j] != '/') {
            j++;
        }
        seglen = j - i;
        last = (j >= n);
        if (seglen == 1 && in[i] == '.') {
            /* dropped; a trailing "." leaves the '/' before it */
        }
        else if (seglen == 2 && in[i] == '.' && in[i + 1] == '.') {
            if (o == 1) {
                return NULL;
            }
            o--;
            while (out[o - 1] != '/') {
                o--;
            }
        }
        else {
            memcpy(out + o, in + i, seglen);
            o += seglen;
            if (!last) {
                out[o++] = '/';
            }
        }
        i = j + 1;
    }
    out[o] = '\0';
    *pn = o;
    return out;
}

apr_status_t batch_parse_resolve_url(const char **puri, const char **why,
                                     const char *url, const char *base,
                                     apr_pool_t *p)
{
    const char *s, *query, *composed, *bad;
    apr_size_t plen, blen, n;
    char *path;

    if (!base) {
        base = "";
    }
    blen = strlen(base);

    /* A scheme is letters, digits, '+', '-', '.' up to a ':' that comes
     * before any '/' or '?' (RFC 3986 3.1). */
    if (apr_isalpha(url[0])) {
        for (s = url + 1; *s && *s != '/' && *s != '?'; s++) {
            if (*s == ':') {
                *why = "must not contain a scheme";
                return APR_EINVAL;
            }
            if (!apr_isalnum(*s) && *s != '+' && *s != '-' && *s != '.') {
                break;
            }
        }
    }
    if (url[0] == '/' && url[1] == '/') {
        *why = "must not contain an authority (//host)";
        return APR_EINVAL;
    }
    if ((bad = bad_chars(url)) != NULL) {
        *why = bad;
        return APR_EINVAL;
    }

    query = strchr(url, '?');
    if (!query) {
        query = url + strlen(url);
    }
    plen = (apr_size_t)(query - url);

    if (plen == 0) {
        composed = blen ? base : "/";
    }
    else if (url[0] != '/') {
        composed =
            apr_pstrcat(p, base, "/", apr_pstrmemdup(p, url, plen), NULL);
    }
    else if (blen == 0
             || (plen >= blen && !memcmp(url, base, blen)
                 && (plen == blen || url[blen] == '/'))) {
        /* already under base, as Graph SDKs send "/v1.0/me" or "/me" */
        composed = apr_pstrmemdup(p, url, plen);
    }
    else {
        composed = apr_pstrcat(p, base, apr_pstrmemdup(p, url, plen), NULL);
    }

    path = merge_decode(&n, composed, strlen(composed), p);
    path = remove_dots(&n, path, n, p);
    if (!path) {
        *why = "climbs above the root with \"..\"";
        return APR_EINVAL;
    }
    if (blen > 0
        && !(n >= blen && !memcmp(path, base, blen)
             && (n == blen || path[blen] == '/'))) {
        *why = apr_psprintf(p, "lies outside the batch base \"%s\"", base);
        return APR_EINVAL;
    }
    *puri = apr_pstrcat(p, path, query, NULL);
    return APR_SUCCESS;
}

apr_status_t batch_parse_base(const char **pbase, const char *in, apr_pool_t *p)
{
    apr_size_t n, i;
    char *path;

    if (!in || in[0] != '/' || bad_chars(in) || strchr(in, '?')) {
        return APR_EINVAL;
    }
    path = merge_decode(&n, in, strlen(in), p);
    for (i = 0; i < n; i++) {
        if (path[i] == '.' && path[i - 1] == '/'
            && (path[i + 1] == '/' || path[i + 1] == '\0'
                || (path[i + 1] == '.'
                    && (path[i + 2] == '/' || path[i + 2] == '\0')))) {
            return APR_EINVAL;
        }
    }
    if (n > 0 && path[n - 1] == '/') {
        path[--n] = '\0';
    }
    *pbase = path;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* item fields                                                        */
/* ------------------------------------------------------------------ */

static apr_status_t parse_id(parse_ctx *c, const batch_json_t *v,
                             batch_item_t *it)
{
    const char *s;
    apr_size_t len, chars;
    int *first;

    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, NULL, "id", "\"id\" must be a string, not %s",
                    type_name(v));
    }
    s = v->u.str;
    len = v->n;
    chars = batch_util_utf8_chars(s, len);
    if (chars == 0) {
        return fail(c, it->index, NULL, "id", "\"id\" must not be empty");
    }
    if (chars > BATCH_MAX_ID_CHARS) {
        return fail(c, it->index, NULL, "id",
                    "\"id\" is longer than %d characters", BATCH_MAX_ID_CHARS);
    }
    if (has_ctl(s, len)) {
        return fail(c, it->index, NULL, "id",
                    "\"id\" must not contain control characters");
    }
    it->id = apr_pstrmemdup(c->p, s, len);
    first = apr_hash_get(c->all, fold(s, len, c->tp), (apr_ssize_t)len);
    if (first && *first < it->index) {
        return fail(c, it->index, it->id, "id",
                    "\"id\" duplicates the id of requests[%d] (ids are "
                    "compared case-insensitively)",
                    *first);
    }
    return APR_SUCCESS;
}

static apr_status_t parse_method(parse_ctx *c, const batch_json_t *v,
                                 batch_item_t *it)
{
    char *m;
    apr_size_t i;

    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, it->id, "method",
                    "\"method\" must be a string, not %s", type_name(v));
    }
    m = apr_pstrmemdup(c->p, v->u.str, v->n);
    if ((v->flags & BATCH_JSON_F_NUL) || !batch_util_is_token(m)) {
        return fail(c, it->index, it->id, "method",
                    "\"method\" \"%s\" is not an HTTP method token",
                    quote(v->u.str, v->n, c->p));
    }
    for (i = 0; i < v->n; i++) {
        if (m[i] >= 'a' && m[i] <= 'z') {
            m[i] = (char)(m[i] - ('a' - 'A'));
        }
    }
    it->method = m;
    return APR_SUCCESS;
}

static apr_status_t parse_url(parse_ctx *c, const batch_json_t *v,
                              batch_item_t *it)
{
    const char *why = NULL;

    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, it->id, "url",
                    "\"url\" must be a string, not %s", type_name(v));
    }
    if (v->flags & BATCH_JSON_F_NUL) {
        return fail(c, it->index, it->id, "url",
                    "\"url\" must not contain control characters");
    }
    it->url = apr_pstrmemdup(c->p, v->u.str, v->n);
    if (batch_parse_resolve_url(&it->uri, &why, it->url, c->lim->base, c->p)
        != APR_SUCCESS) {
        return fail(c, it->index, it->id, "url", "\"url\" %s", why);
    }
    return APR_SUCCESS;
}

static apr_status_t parse_headers(parse_ctx *c, const batch_json_t *v,
                                  batch_item_t *it)
{
    apr_size_t unique, k, *last;
    char *dup;

    if (v->type != BATCH_JSON_OBJECT) {
        return fail(c, it->index, it->id, "headers",
                    "\"headers\" must be an object, not %s", type_name(v));
    }
    /* duplicate names: one header, the last value (docs/behaviour.md) */
    unique = find_dups(&dup, &last, v, c->tp);
    if (c->lim->max_fields > 0 && unique > (apr_size_t)c->lim->max_fields) {
        return fail(c, it->index, it->id, "headers",
                    "\"headers\" holds %" APR_SIZE_T_FMT " headers, more "
                    "than the server allows (%d)",
                    unique, c->lim->max_fields);
    }
    for (k = 0; k < v->n; k++) {
        const batch_json_member_t *m = &v->u.members[k];
        const batch_json_t *jv;
        const char *name;

        if (dup && dup[k]) {
            continue;
        }
        jv = &v->u.members[last ? last[k] : k].value;
        /* the copy the table keeps, NUL terminated for the checks */
        name = apr_pstrmemdup(c->p, m->name, m->name_len);
        if ((v->flags & BATCH_JSON_F_NUL_NAME) || !batch_util_is_token(name)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": \"%s\" is not a valid header name",
                        quote(m->name, m->name_len, c->p));
        }
        if (in_list_nocase(name, forbidden_headers)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": \"%s\" may not be set by an item", name);
        }
        if (jv->type != BATCH_JSON_STRING) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": the value of \"%s\" must be a "
                        "string, not %s",
                        name, type_name(jv));
        }
        if (!batch_util_header_value_ok(jv->u.str, jv->n)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": the value of \"%s\" contains a "
                        "control character",
                        name);
        }
        if (c->lim->max_field_size > 0
            && m->name_len + 2 + jv->n > (apr_size_t)c->lim->max_field_size) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": \"%s\" is longer than the server "
                        "allows (%d bytes)",
                        name, c->lim->max_field_size);
        }
        apr_table_addn(it->headers, name,
                       apr_pstrmemdup(c->p, jv->u.str, jv->n));
    }
    return APR_SUCCESS;
}

/* CONTRACT 5: the item's body as bytes, typed by its own Content-Type. */
static apr_status_t parse_body(parse_ctx *c, const batch_json_t *v,
                               batch_item_t *it)
{
    const char *ct = apr_table_get(it->headers, "Content-Type");
    int is_string = v->type == BATCH_JSON_STRING;
    batch_media_t mclass;

    it->has_body = 1;
    if (!ct) {
        mclass = is_string ? BATCH_MEDIA_TEXT : BATCH_MEDIA_JSON;
        it->body_type =
            is_string ? "text/plain; charset=utf-8" : "application/json";
    }
    else {
        mclass = batch_util_media_class(ct);
        it->body_type = ct;
    }

    switch (mclass) {
    case BATCH_MEDIA_JSON:
        /* the value exactly as the client wrote it (the reader checked
         * it strictly), not a re-serialization: big numbers, escapes and
         * spacing inside reach the backend unchanged */
        it->body_len = v->end - v->start;
        it->body = apr_pstrmemdup(c->p, c->buf + v->start, it->body_len);
        break;
    case BATCH_MEDIA_TEXT:
        if (!is_string) {
            return fail(c, it->index, it->id, "body",
                        "\"body\" must be a string for Content-Type "
                        "\"%s\", not %s",
                        quotez(ct, c->p), type_name(v));
        }
        it->body_len = v->n;
        it->body = apr_pstrmemdup(c->p, v->u.str, v->n);
        break;
    case BATCH_MEDIA_BINARY:
        if (!is_string
            || batch_util_base64_decode(&it->body, &it->body_len, v->u.str,
                                        v->n, c->p)
                   != APR_SUCCESS) {
            return fail(c, it->index, it->id, "body",
                        "\"body\" must be a base64 string for Content-Type "
                        "\"%s\"",
                        quotez(ct, c->p));
        }
        break;
    }
    return APR_SUCCESS;
}

static apr_status_t parse_depends(parse_ctx *c, const batch_json_t *v,
                                  batch_item_t *it)
{
    apr_size_t n, k;

    if (v->type != BATCH_JSON_ARRAY) {
        return fail(c, it->index, it->id, "dependsOn",
                    "\"dependsOn\" must be an array, not %s", type_name(v));
    }
    n = v->n;
    it->deps = apr_pcalloc(c->p, (n ? n : 1) * sizeof(int));
    it->ndeps = 0;
    for (k = 0; k < n; k++) {
        const batch_json_t *d = &v->u.elts[k];
        const char *key;
        int *idx, j;

        if (d->type != BATCH_JSON_STRING) {
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\"[%" APR_SIZE_T_FMT "] must be a "
                        "string, not %s",
                        k, type_name(d));
        }
        key = fold(d->u.str, d->n, c->tp);
        idx = apr_hash_get(c->all, key, (apr_ssize_t)d->n);
        if (idx && *idx == it->index) {
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\" names the item itself");
        }
        if (!idx || *idx > it->index) {
            if (idx) {
                return fail(c, it->index, it->id, "dependsOn",
                            "\"dependsOn\" names \"%s\", a later item "
                            "(requests[%d]); an item may depend only on "
                            "items before it",
                            quote(d->u.str, d->n, c->p), *idx);
            }
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\" names an unknown id \"%s\"",
                        quote(d->u.str, d->n, c->p));
        }
        /* ["1","1"] is harmless: keep each dependency once */
        for (j = 0; j < it->ndeps && it->deps[j] != *idx; j++) {
        }
        if (j == it->ndeps) {
            it->deps[it->ndeps++] = *idx;
        }
    }
    return APR_SUCCESS;
}

/* Which item member a name is, or -1. */
static int item_field(const char *name, apr_size_t len)
{
    switch (len) {
    case 2:
        return memcmp(name, "id", 2) ? -1 : F_ID;
    case 3:
        return memcmp(name, "url", 3) ? -1 : F_URL;
    case 4:
        return memcmp(name, "body", 4) ? -1 : F_BODY;
    case 6:
        return memcmp(name, "method", 6) ? -1 : F_METHOD;
    case 7:
        return memcmp(name, "headers", 7) ? -1 : F_HEADERS;
    case 9:
        return memcmp(name, "dependsOn", 9) ? -1 : F_DEPENDS;
    }
    return -1;
}

/* One pass over an item's members: the last of duplicates wins, the
 * first unknown member is the one reported. */
static void sort_members(item_members *im, const batch_json_t *o)
{
    apr_size_t k;

    memset(im, 0, sizeof(*im));
    for (k = 0; k < o->n; k++) {
        const batch_json_member_t *m = &o->u.members[k];
        int which = item_field(m->name, m->name_len);

        if (which >= 0) {
            im->f[which] = &m->value;
        }
        else if (!im->unknown) {
            im->unknown = m;
        }
    }
}

static apr_status_t parse_item(parse_ctx *c, const batch_json_t *o,
                               const item_members *im, batch_item_t *it)
{
    const batch_json_t *const *f = im->f;
    const batch_json_member_t *unknown = im->unknown;
    apr_status_t rv;

    it->headers = apr_table_make(c->p, 4);
    if (o->type != BATCH_JSON_OBJECT) {
        return fail(c, it->index, NULL, NULL, "must be an object, not %s",
                    type_name(o));
    }
    /* The id first, so that every later message can name the item. */
    if (!f[F_ID]) {
        return fail(c, it->index, NULL, "id", "\"id\" is required");
    }
    if ((rv = parse_id(c, f[F_ID], it)) != APR_SUCCESS) {
        return rv;
    }
    if (unknown) {
        return fail(c, it->index, it->id,
                    apr_pstrmemdup(c->p, unknown->name, unknown->name_len),
                    "unknown member \"%s\"",
                    quote(unknown->name, unknown->name_len, c->p));
    }
    if (!f[F_METHOD]) {
        return fail(c, it->index, it->id, "method", "\"method\" is required");
    }
    if ((rv = parse_method(c, f[F_METHOD], it)) != APR_SUCCESS) {
        return rv;
    }
    if (!f[F_URL]) {
        return fail(c, it->index, it->id, "url", "\"url\" is required");
    }
    if ((rv = parse_url(c, f[F_URL], it)) != APR_SUCCESS) {
        return rv;
    }
    if (f[F_HEADERS]
        && (rv = parse_headers(c, f[F_HEADERS], it)) != APR_SUCCESS) {
        return rv;
    }
    if (f[F_BODY] && (rv = parse_body(c, f[F_BODY], it)) != APR_SUCCESS) {
        return rv;
    }
    if (f[F_DEPENDS]
        && (rv = parse_depends(c, f[F_DEPENDS], it)) != APR_SUCCESS) {
        return rv;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the document                                                       */
/* ------------------------------------------------------------------ */

static apr_status_t parse_doc(parse_ctx *c, const batch_json_t *doc,
                              batch_t **pbatch)
{
    const batch_json_t *reqs;
    item_members *ims;
    batch_t *b;
    apr_size_t n, k;
    apr_status_t rv;

    if (doc->type != BATCH_JSON_OBJECT) {
        return fail(c, -1, NULL, NULL,
                    "the batch request must be a JSON object, not %s",
                    type_name(doc));
    }
    if (doc->flags & BATCH_JSON_F_NUL_NAME) {
        return nul_name(c);
    }
    for (k = 0; k < doc->n; k++) {
        const batch_json_member_t *m = &doc->u.members[k];
        if (!(m->name_len == 8 && !memcmp(m->name, "requests", 8))
            && !(m->name_len > 0 && m->name[0] == '@')) {
            return fail(c, -1, NULL, apr_pstrmemdup(c->p, m->name, m->name_len),
                        "unknown member \"%s\" at the top level (only "
                        "\"requests\" and \"@\" annotations are allowed)",
                        quote(m->name, m->name_len, c->p));
        }
    }
    if ((reqs = batch_json_get(doc, "requests")) == NULL) {
        return fail(c, -1, NULL, "requests", "\"requests\" is required");
    }
    if (reqs->type != BATCH_JSON_ARRAY) {
        return fail(c, -1, NULL, "requests",
                    "\"requests\" must be an array, not %s", type_name(reqs));
    }
    n = reqs->n;
    if (n == 0) {
        return fail(c, -1, NULL, "requests", "\"requests\" is empty");
    }
    if (c->lim->max_requests > 0 && n > (apr_size_t)c->lim->max_requests) {
        return fail(c, -1, NULL, "requests",
                    "\"requests\" holds %" APR_SIZE_T_FMT " items, more than "
                    "the %d allowed",
                    n, c->lim->max_requests);
    }

    b = apr_pcalloc(c->p, sizeof(*b));
    b->nitems = (int)n;
    b->items = apr_pcalloc(c->p, n * sizeof(batch_item_t));
    ims = apr_palloc(c->tp, n * sizeof(*ims));

    /* Every id first, so that dependsOn can tell a later item from an
     * unknown one. Errors about ids are left to the item's own turn; a
     * member name with \u0000 in an item or its headers refuses the
     * batch before any item is looked at, as it always did. */
    for (k = 0; k < n; k++) {
        const batch_json_t *o = &reqs->u.elts[k], *v;

        b->items[k].index = (int)k;
        if (o->type != BATCH_JSON_OBJECT) {
            continue;
        }
        sort_members(&ims[k], o);
        v = ims[k].f[F_HEADERS];
        if ((o->flags & BATCH_JSON_F_NUL_NAME)
            || (v && (v->flags & BATCH_JSON_F_NUL_NAME))) {
            return nul_name(c);
        }
        v = ims[k].f[F_ID];
        if (v && v->type == BATCH_JSON_STRING) {
            const char *key = fold(v->u.str, v->n, c->tp);
            if (!apr_hash_get(c->all, key, (apr_ssize_t)v->n)) {
                apr_hash_set(c->all, key, (apr_ssize_t)v->n,
                             &b->items[k].index);
            }
        }
    }
    for (k = 0; k < n; k++) {
        rv = parse_item(c, &reqs->u.elts[k], &ims[k], &b->items[k]);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    *pbatch = b;
    return APR_SUCCESS;
}

apr_status_t batch_parse_request(batch_t **pbatch, const char *buf,
                                 apr_size_t len, const batch_limits_t *lim,
                                 batch_error_t *err, apr_pool_t *p)
{
    static const batch_limits_t no_limits = {0, "", 0, 0};
    parse_ctx c;
    const batch_json_t *doc = NULL;
    const char *why = NULL;
    apr_status_t rv;

    *pbatch = NULL;
    c.p = p;
    c.buf = buf ? buf : "";
    c.lim = lim ? lim : &no_limits;
    c.err = err;
    /* The tree is several times the size of the text at worst (a node
     * per "1,"); it goes as soon as the batch has been copied out. */
    if ((rv = apr_pool_create(&c.tp, p)) != APR_SUCCESS) {
        return fail(&c, -1, NULL, NULL,
                    "the batch request could not be parsed (out of memory)");
    }
    apr_pool_tag(c.tp, "batch_parse");
    c.all = apr_hash_make(c.tp);

    rv = batch_json_parse(&doc, &why, NULL, c.buf, buf ? len : 0,
                          BATCH_MAX_JSON_DEPTH, c.tp);
    if (rv != APR_SUCCESS) {
        rv = fail(&c, -1, NULL, NULL, "the batch request %s", why);
    }
    else {
        rv = parse_doc(&c, doc, pbatch);
    }
    apr_pool_destroy(c.tp);
    if (rv != APR_SUCCESS) {
        *pbatch = NULL;
    }
    return rv;
}
