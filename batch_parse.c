/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_parse.c: the first stage of parse -> schedule -> dispatch ->
 * encode. It turns the batch request document into a batch_t that the
 * later stages can trust, and is the single place where every batch-level
 * 400 of CONTRACT 3 (and the ill-fitting body of CONTRACT 5) is decided:
 * the JSON itself, the shape of each item, ids, methods, urls (resolved
 * and confined to BatchBase), item headers, bodies and dependsOn. Pure:
 * APR and json-c only; the json-c tree never outlives the call, and all
 * that is kept is copied into the caller's pool.
 */

#include <stdarg.h>
#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <json-c/json.h>

#include "batch_util.h"
#include "batch_parse.h"

#if defined(__GNUC__)
#define BATCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BATCH_PRINTF(f, a)
#endif

/* Longest client string quoted whole in a message (code points). */
#define QUOTE_MAX_CHARS 64

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

static const char *const item_members[] = {
    "id", "method", "url", "headers", "body", "dependsOn", NULL};

typedef struct parse_ctx {
    apr_pool_t *p;
    const batch_limits_t *lim;
    batch_error_t *err;
    apr_hash_t *all;  /* folded id -> first index, over every item */
    apr_hash_t *seen; /* folded id -> index, items validated so far */
} parse_ctx;

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

/* ASCII case folding, independent of the process locale; ids are
 * compared case-insensitively as Graph does. */
static char *fold(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *f = apr_pstrmemdup(p, s, len);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (f[i] >= 'A' && f[i] <= 'Z') {
            f[i] = (char)(f[i] + ('a' - 'A'));
        }
    }
    return f;
}

/* A client string fit for a message: JSON-escaped (so quotes, backslashes
 * and control characters cannot confuse the reader) and cut short. The
 * input is valid UTF-8: batch_util_json_parse() checked the document and
 * json-c only produces UTF-8 from escapes. */
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
 * it has been validated, so it is printable. */
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

static const char *type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
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
static const char *bad_chars(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    for (; *u; u++) {
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

static apr_status_t parse_id(parse_ctx *c, json_object *v, batch_item_t *it)
{
    const char *s;
    apr_size_t len, chars;
    char *key;
    int *prev;

    if (!json_object_is_type(v, json_type_string)) {
        return fail(c, it->index, NULL, "id", "\"id\" must be a string, not %s",
                    type_name(v));
    }
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
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
    key = fold(s, len, c->p);
    prev = apr_hash_get(c->seen, key, (apr_ssize_t)len);
    if (prev) {
        return fail(c, it->index, it->id, "id",
                    "\"id\" duplicates the id of requests[%d] (ids are "
                    "compared case-insensitively)",
                    *prev);
    }
    apr_hash_set(c->seen, key, (apr_ssize_t)len, &it->index);
    return APR_SUCCESS;
}

static apr_status_t parse_method(parse_ctx *c, json_object *v, batch_item_t *it)
{
    const char *s;
    char *m;
    apr_size_t len, i;

    if (!json_object_is_type(v, json_type_string)) {
        return fail(c, it->index, it->id, "method",
                    "\"method\" must be a string, not %s", type_name(v));
    }
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    if (strlen(s) != len || !batch_util_is_token(s)) {
        return fail(c, it->index, it->id, "method",
                    "\"method\" \"%s\" is not an HTTP method token",
                    quote(s, len, c->p));
    }
    m = apr_pstrmemdup(c->p, s, len);
    for (i = 0; i < len; i++) {
        if (m[i] >= 'a' && m[i] <= 'z') {
            m[i] = (char)(m[i] - ('a' - 'A'));
        }
    }
    it->method = m;
    return APR_SUCCESS;
}

static apr_status_t parse_url(parse_ctx *c, json_object *v, batch_item_t *it)
{
    const char *s, *why = NULL;
    apr_size_t len;

    if (!json_object_is_type(v, json_type_string)) {
        return fail(c, it->index, it->id, "url",
                    "\"url\" must be a string, not %s", type_name(v));
    }
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    if (strlen(s) != len) {
        return fail(c, it->index, it->id, "url",
                    "\"url\" must not contain control characters");
    }
    it->url = apr_pstrmemdup(c->p, s, len);
    if (batch_parse_resolve_url(&it->uri, &why, it->url, c->lim->base, c->p)
        != APR_SUCCESS) {
        return fail(c, it->index, it->id, "url", "\"url\" %s", why);
    }
    return APR_SUCCESS;
}

static apr_status_t parse_headers(parse_ctx *c, json_object *v,
                                  batch_item_t *it)
{
    struct json_object_iterator i, end;

    if (!json_object_is_type(v, json_type_object)) {
        return fail(c, it->index, it->id, "headers",
                    "\"headers\" must be an object, not %s", type_name(v));
    }
    if (c->lim->max_fields > 0
        && json_object_object_length(v) > c->lim->max_fields) {
        return fail(c, it->index, it->id, "headers",
                    "\"headers\" holds %d headers, more than the server "
                    "allows (%d)",
                    json_object_object_length(v), c->lim->max_fields);
    }
    i = json_object_iter_begin(v);
    end = json_object_iter_end(v);
    for (; !json_object_iter_equal(&i, &end); json_object_iter_next(&i)) {
        const char *name = json_object_iter_peek_name(&i);
        json_object *jv = json_object_iter_peek_value(&i);
        const char *val;
        apr_size_t vlen;

        if (!batch_util_is_token(name)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": \"%s\" is not a valid header name",
                        quotez(name, c->p));
        }
        if (in_list_nocase(name, forbidden_headers)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": \"%s\" may not be set by an item", name);
        }
        if (!json_object_is_type(jv, json_type_string)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": the value of \"%s\" must be a "
                        "string, not %s",
                        name, type_name(jv));
        }
        val = json_object_get_string(jv);
        vlen = (apr_size_t)json_object_get_string_len(jv);
        if (!batch_util_header_value_ok(val, vlen)) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": the value of \"%s\" contains a "
                        "control character",
                        name);
        }
        if (c->lim->max_field_size > 0
            && strlen(name) + 2 + vlen > (apr_size_t)c->lim->max_field_size) {
            return fail(c, it->index, it->id, "headers",
                        "\"headers\": \"%s\" is longer than the server "
                        "allows (%d bytes)",
                        name, c->lim->max_field_size);
        }
        apr_table_addn(it->headers, apr_pstrdup(c->p, name),
                       apr_pstrmemdup(c->p, val, vlen));
    }
    return APR_SUCCESS;
}

/* CONTRACT 5: the item's body as bytes, typed by its own Content-Type. */
static apr_status_t parse_body(parse_ctx *c, json_object *v, batch_item_t *it)
{
    const char *ct = apr_table_get(it->headers, "Content-Type");
    int is_string = json_object_is_type(v, json_type_string);
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
    case BATCH_MEDIA_JSON: {
        const char *js = json_object_to_json_string_ext(
            v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!js) {
            return fail(c, it->index, it->id, "body",
                        "\"body\" could not be serialized (out of memory)");
        }
        it->body_len = strlen(js);
        it->body = apr_pstrmemdup(c->p, js, it->body_len);
        break;
    }
    case BATCH_MEDIA_TEXT:
        if (!is_string) {
            return fail(c, it->index, it->id, "body",
                        "\"body\" must be a string for Content-Type "
                        "\"%s\", not %s",
                        quotez(ct, c->p), type_name(v));
        }
        it->body_len = (apr_size_t)json_object_get_string_len(v);
        it->body =
            apr_pstrmemdup(c->p, json_object_get_string(v), it->body_len);
        break;
    case BATCH_MEDIA_BINARY:
        if (!is_string
            || batch_util_base64_decode(
                   &it->body, &it->body_len, json_object_get_string(v),
                   (apr_size_t)json_object_get_string_len(v), c->p)
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

static apr_status_t parse_depends(parse_ctx *c, json_object *v,
                                  batch_item_t *it)
{
    apr_size_t n, k;

    if (!json_object_is_type(v, json_type_array)) {
        return fail(c, it->index, it->id, "dependsOn",
                    "\"dependsOn\" must be an array, not %s", type_name(v));
    }
    n = json_object_array_length(v);
    it->deps = apr_pcalloc(c->p, (n ? n : 1) * sizeof(int));
    it->ndeps = 0;
    for (k = 0; k < n; k++) {
        json_object *d = json_object_array_get_idx(v, k);
        const char *s, *key;
        apr_size_t len;
        int *idx, j;

        if (!json_object_is_type(d, json_type_string)) {
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\"[%" APR_SIZE_T_FMT "] must be a "
                        "string, not %s",
                        k, type_name(d));
        }
        s = json_object_get_string(d);
        len = (apr_size_t)json_object_get_string_len(d);
        key = fold(s, len, c->p);
        idx = apr_hash_get(c->seen, key, (apr_ssize_t)len);
        if (idx && *idx == it->index) {
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\" names the item itself");
        }
        if (!idx) {
            idx = apr_hash_get(c->all, key, (apr_ssize_t)len);
            if (idx && *idx > it->index) {
                return fail(c, it->index, it->id, "dependsOn",
                            "\"dependsOn\" names \"%s\", a later item "
                            "(requests[%d]); an item may depend only on "
                            "items before it",
                            quote(s, len, c->p), *idx);
            }
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\" names an unknown id \"%s\"",
                        quote(s, len, c->p));
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

static apr_status_t parse_item(parse_ctx *c, json_object *o, batch_item_t *it)
{
    struct json_object_iterator i, end;
    json_object *v;
    apr_status_t rv;

    it->headers = apr_table_make(c->p, 4);
    if (!json_object_is_type(o, json_type_object)) {
        return fail(c, it->index, NULL, NULL, "must be an object, not %s",
                    type_name(o));
    }
    /* The id first, so that every later message can name the item. */
    if (!json_object_object_get_ex(o, "id", &v)) {
        return fail(c, it->index, NULL, "id", "\"id\" is required");
    }
    if ((rv = parse_id(c, v, it)) != APR_SUCCESS) {
        return rv;
    }
    i = json_object_iter_begin(o);
    end = json_object_iter_end(o);
    for (; !json_object_iter_equal(&i, &end); json_object_iter_next(&i)) {
        const char *name = json_object_iter_peek_name(&i);
        const char *const *m;

        /* member names are case-sensitive: "dependson" is a typo */
        for (m = item_members; *m && strcmp(*m, name) != 0; m++) {
        }
        if (!*m) {
            return fail(c, it->index, it->id, name, "unknown member \"%s\"",
                        quotez(name, c->p));
        }
    }

    if (!json_object_object_get_ex(o, "method", &v)) {
        return fail(c, it->index, it->id, "method", "\"method\" is required");
    }
    if ((rv = parse_method(c, v, it)) != APR_SUCCESS) {
        return rv;
    }
    if (!json_object_object_get_ex(o, "url", &v)) {
        return fail(c, it->index, it->id, "url", "\"url\" is required");
    }
    if ((rv = parse_url(c, v, it)) != APR_SUCCESS) {
        return rv;
    }
    if (json_object_object_get_ex(o, "headers", &v)
        && (rv = parse_headers(c, v, it)) != APR_SUCCESS) {
        return rv;
    }
    if (json_object_object_get_ex(o, "body", &v)
        && (rv = parse_body(c, v, it)) != APR_SUCCESS) {
        return rv;
    }
    if (json_object_object_get_ex(o, "dependsOn", &v)
        && (rv = parse_depends(c, v, it)) != APR_SUCCESS) {
        return rv;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the document                                                       */
/* ------------------------------------------------------------------ */

static apr_status_t parse_doc(parse_ctx *c, json_object *doc, batch_t **pbatch)
{
    struct json_object_iterator i, end;
    json_object *reqs;
    batch_t *b;
    apr_size_t n, k;
    apr_status_t rv;

    if (!json_object_is_type(doc, json_type_object)) {
        return fail(c, -1, NULL, NULL,
                    "the batch request must be a JSON object, not %s",
                    type_name(doc));
    }
    i = json_object_iter_begin(doc);
    end = json_object_iter_end(doc);
    for (; !json_object_iter_equal(&i, &end); json_object_iter_next(&i)) {
        const char *name = json_object_iter_peek_name(&i);
        if (strcmp(name, "requests") != 0 && name[0] != '@') {
            return fail(c, -1, NULL, name,
                        "unknown member \"%s\" at the top level (only "
                        "\"requests\" and \"@\" annotations are allowed)",
                        quotez(name, c->p));
        }
    }
    if (!json_object_object_get_ex(doc, "requests", &reqs)) {
        return fail(c, -1, NULL, "requests", "\"requests\" is required");
    }
    if (!json_object_is_type(reqs, json_type_array)) {
        return fail(c, -1, NULL, "requests",
                    "\"requests\" must be an array, not %s", type_name(reqs));
    }
    n = json_object_array_length(reqs);
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

    /* Every id first, so that dependsOn can tell a later item from an
     * unknown one. Errors about ids are left to the item's own turn. */
    for (k = 0; k < n; k++) {
        json_object *o = json_object_array_get_idx(reqs, k), *v;
        b->items[k].index = (int)k;
        if (json_object_is_type(o, json_type_object)
            && json_object_object_get_ex(o, "id", &v)
            && json_object_is_type(v, json_type_string)) {
            apr_size_t len = (apr_size_t)json_object_get_string_len(v);
            const char *key = fold(json_object_get_string(v), len, c->p);
            if (!apr_hash_get(c->all, key, (apr_ssize_t)len)) {
                apr_hash_set(c->all, key, (apr_ssize_t)len, &b->items[k].index);
            }
        }
    }
    for (k = 0; k < n; k++) {
        rv = parse_item(c, json_object_array_get_idx(reqs, k), &b->items[k]);
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
    json_object *doc = NULL;
    const char *why = NULL;
    apr_status_t rv;

    c.p = p;
    c.lim = lim ? lim : &no_limits;
    c.err = err;
    c.all = apr_hash_make(p);
    c.seen = apr_hash_make(p);
    *pbatch = NULL;

    rv = batch_util_json_parse(&doc, &why, buf ? buf : "", buf ? len : 0,
                               BATCH_MAX_JSON_DEPTH, p);
    if (rv != APR_SUCCESS) {
        return fail(&c, -1, NULL, NULL, "the batch request %s", why);
    }
    rv = parse_doc(&c, doc, pbatch);
    json_object_put(doc);
    if (rv != APR_SUCCESS) {
        *pbatch = NULL;
    }
    return rv;
}
