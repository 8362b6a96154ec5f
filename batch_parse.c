/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_parse.c: the JSON format's reader (the parse of
 * batch_format_json.c) and the url rules every format shares. It turns
 * the JSON batch document into a batch_t that the later stages can
 * trust: the JSON itself, the document's and each item's shape (member
 * names and JSON types) are checked here; each field's rule (id, method,
 * url, headers, body type, dependsOn) is batch_item.c's, shared with
 * every other format. Pure: APR only. The document is read by
 * batch_json.c into a tree in a scratch pool that never outlives the
 * call; all that is kept is copied into the caller's pool, and a JSON
 * item body is kept as the very bytes the client sent.
 */

#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "batch_json.h"
#include "batch_util.h"
#include "batch_parse.h"
#include "batch_item.h"
#include "batch_refs.h"

/* Objects with more members than this find duplicate names with a hash
 * instead of comparing every pair. */
#define DUPS_LINEAR_MAX 8

/* The members of an item (CONTRACT 3); names are case-sensitive, so
 * "dependson" is a typo. */
enum { F_ID = 0, F_METHOD, F_URL, F_HEADERS, F_BODY, F_DEPENDS, F_COUNT };

typedef struct parse_ctx {
    batch_check_t chk; /* pools, limits and error of the item checks; tp
                          also holds the JSON tree */
    const char *buf;   /* the document, for the spans of JSON bodies */
    /* every item with a string id. Items are validated in order and the
     * first bad one ends the parse, so an index below the current
     * item's is a validated item. */
    batch_ids_t *all;
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

/* The item checks' error helper and quoting, for this file's own
 * (JSON shape) refusals. */
#define fail(c, ...) batch_item_fail(&(c)->chk, __VA_ARGS__)
#define quote(s, len, p) batch_item_quote((s), (len), (p))
#define quotez(s, p) batch_item_quote((s), strlen(s), (p))

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
        if (batch_item_ctl_at((const char *)u, u[1] ? 2 : 1)) {
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

/* The JSON shape of each member; the rules are batch_item.c's. */

static apr_status_t parse_id(parse_ctx *c, const batch_json_t *v,
                             batch_item_t *it)
{
    apr_status_t rv;

    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, NULL, "id", "\"id\" must be a string, not %s",
                    type_name(v));
    }
    if ((rv = batch_item_set_id(&c->chk, it, "id", v->u.str, v->n))
        != APR_SUCCESS) {
        return rv;
    }
    return batch_item_check_unique(&c->chk, c->all, it, "id");
}

static apr_status_t parse_method(parse_ctx *c, const batch_json_t *v,
                                 batch_item_t *it)
{
    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, it->id, "method",
                    "\"method\" must be a string, not %s", type_name(v));
    }
    return batch_item_set_method(&c->chk, it, "method", v->u.str, v->n);
}

static apr_status_t parse_url(parse_ctx *c, const batch_json_t *v,
                              batch_item_t *it)
{
    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, it->id, "url",
                    "\"url\" must be a string, not %s", type_name(v));
    }
    return batch_item_set_url(&c->chk, it, "url", v->u.str, v->n);
}

static apr_status_t parse_headers(parse_ctx *c, const batch_json_t *v,
                                  batch_item_t *it)
{
    apr_size_t unique, k, *last;
    char *dup;
    apr_status_t rv;

    if (v->type != BATCH_JSON_OBJECT) {
        return fail(c, it->index, it->id, "headers",
                    "\"headers\" must be an object, not %s", type_name(v));
    }
    /* duplicate names: one header, the last value (docs/behaviour.md) */
    unique = find_dups(&dup, &last, v, c->chk.tp);
    rv = batch_item_check_nheaders(&c->chk, it, "headers", unique);
    for (k = 0; rv == APR_SUCCESS && k < v->n; k++) {
        const batch_json_member_t *m = &v->u.members[k];
        const batch_json_t *jv;

        if (dup && dup[k]) {
            continue;
        }
        jv = &v->u.members[last ? last[k] : k].value;
        if (jv->type != BATCH_JSON_STRING) {
            /* the name's own rules come first, as they always did */
            rv = batch_item_add_header(&c->chk, it, "headers", m->name,
                                       m->name_len, NULL, 0);
            if (rv == APR_SUCCESS) {
                return fail(c, it->index, it->id, "headers",
                            "\"headers\": the value of \"%s\" must be a "
                            "string, not %s",
                            quote(m->name, m->name_len, c->chk.p),
                            type_name(jv));
            }
            return rv;
        }
        rv = batch_item_add_header(&c->chk, it, "headers", m->name, m->name_len,
                                   jv->u.str, jv->n);
    }
    return rv;
}

/* CONTRACT 5: the item's body as bytes, typed by its own Content-Type. */
static apr_status_t parse_body(parse_ctx *c, const batch_json_t *v,
                               batch_item_t *it)
{
    int is_string = v->type == BATCH_JSON_STRING;
    apr_pool_t *p = c->chk.p;

    switch (batch_item_body_type(it, is_string)) {
    case BATCH_MEDIA_JSON:
        /* the value exactly as the client wrote it (the reader checked
         * it strictly), not a re-serialization: big numbers, escapes and
         * spacing inside reach the backend unchanged */
        it->body_len = v->end - v->start;
        it->body = apr_pstrmemdup(p, c->buf + v->start, it->body_len);
        break;
    case BATCH_MEDIA_TEXT:
        if (!is_string) {
            return fail(c, it->index, it->id, "body",
                        "\"body\" must be a string for Content-Type "
                        "\"%s\", not %s",
                        quotez(it->body_type, p), type_name(v));
        }
        it->body_len = v->n;
        it->body = apr_pstrmemdup(p, v->u.str, v->n);
        break;
    case BATCH_MEDIA_BINARY:
        if (!is_string
            || batch_util_base64_decode(&it->body, &it->body_len, v->u.str,
                                        v->n, p)
                   != APR_SUCCESS) {
            return fail(c, it->index, it->id, "body",
                        "\"body\" must be a base64 string for Content-Type "
                        "\"%s\"",
                        quotez(it->body_type, p));
        }
        break;
    }
    return APR_SUCCESS;
}

static apr_status_t parse_depends(parse_ctx *c, const batch_json_t *v,
                                  batch_item_t *it)
{
    apr_size_t n, k;
    apr_status_t rv;

    if (v->type != BATCH_JSON_ARRAY) {
        return fail(c, it->index, it->id, "dependsOn",
                    "\"dependsOn\" must be an array, not %s", type_name(v));
    }
    n = v->n;
    it->deps = apr_pcalloc(c->chk.p, (n ? n : 1) * sizeof(int));
    it->ndeps = 0;
    for (k = 0; k < n; k++) {
        const batch_json_t *d = &v->u.elts[k];

        if (d->type != BATCH_JSON_STRING) {
            return fail(c, it->index, it->id, "dependsOn",
                        "\"dependsOn\"[%" APR_SIZE_T_FMT "] must be a "
                        "string, not %s",
                        k, type_name(d));
        }
        rv = batch_item_add_dep(&c->chk, c->all, it, "dependsOn", d->u.str,
                                d->n);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* BatchReferences On (CONTRACT 10), after dependsOn: the references of
 * the url and headers (batch_item.c), then those in the string values of
 * a JSON body, which only this format has. The one place that reads a
 * body's references, from the reader's tree (v). */
static BATCH_COLD apr_status_t parse_refs(parse_ctx *c, const batch_json_t *v,
                                          batch_item_t *it)
{
    apr_array_header_t *found;
    const char *why = NULL;
    apr_status_t rv;

    rv = batch_item_check_refs(&c->chk, c->all, it, "url", "headers");
    if (rv != APR_SUCCESS || !v
        || batch_util_media_class(it->body_type) != BATCH_MEDIA_JSON) {
        return rv;
    }
    found = apr_array_make(c->chk.tp, 4, sizeof(batch_refs_id_t));
    if (batch_refs_scan_json(NULL, found, &why, v, BATCH_MAX_JSON_DEPTH,
                             c->chk.tp)
        != APR_SUCCESS) {
        return fail(c, it->index, it->id, "body", "\"body\" %s", why);
    }
    return batch_item_add_refs(&c->chk, c->all, it, "body",
                               BATCH_ITEM_REFS_BODY, found);
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

    it->headers = apr_table_make(c->chk.p, 4);
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
                    apr_pstrmemdup(c->chk.p, unknown->name, unknown->name_len),
                    "unknown member \"%s\"",
                    quote(unknown->name, unknown->name_len, c->chk.p));
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
    if (c->chk.lim->references) {
        return parse_refs(c, f[F_BODY], it);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the document                                                       */
/* ------------------------------------------------------------------ */

/* The document's own shape: an object of "requests" and "@" annotations,
 * "requests" a non-empty array within BatchMaxRequests. */
static apr_status_t check_doc(parse_ctx *c, const batch_json_t *doc,
                              const batch_json_t **preqs)
{
    const batch_json_t *reqs;
    apr_size_t k;

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
            return fail(c, -1, NULL,
                        apr_pstrmemdup(c->chk.p, m->name, m->name_len),
                        "unknown member \"%s\" at the top level (only "
                        "\"requests\" and \"@\" annotations are allowed)",
                        quote(m->name, m->name_len, c->chk.p));
        }
    }
    if ((reqs = batch_json_get(doc, "requests")) == NULL) {
        return fail(c, -1, NULL, "requests", "\"requests\" is required");
    }
    if (reqs->type != BATCH_JSON_ARRAY) {
        return fail(c, -1, NULL, "requests",
                    "\"requests\" must be an array, not %s", type_name(reqs));
    }
    if (reqs->n == 0) {
        return fail(c, -1, NULL, "requests", "\"requests\" is empty");
    }
    if (c->chk.lim->max_requests > 0
        && reqs->n > (apr_size_t)c->chk.lim->max_requests) {
        return fail(c, -1, NULL, "requests",
                    "\"requests\" holds %" APR_SIZE_T_FMT " items, more than "
                    "the %d allowed",
                    reqs->n, c->chk.lim->max_requests);
    }
    *preqs = reqs;
    return APR_SUCCESS;
}

/* Every id first, so that dependsOn can tell a later item from an
 * unknown one. Errors about ids are left to the item's own turn; a
 * member name with \u0000 in an item or its headers refuses the batch
 * before any item is looked at, as it always did. From the last item to
 * the first, so that each id ends up with its first index. */
static apr_status_t index_items(parse_ctx *c, const batch_json_t *reqs,
                                item_members *ims, batch_t *b)
{
    apr_size_t k = reqs->n;

    while (k-- > 0) {
        const batch_json_t *o = &reqs->u.elts[k], *v;

        /* zeroed here, item by item, not with one memset: the loop runs
         * anyway */
        b->items[k] = (batch_item_t){.index = (int)k};
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
            batch_ids_set(c->all, v->u.str, v->n, (int)k);
        }
    }
    return APR_SUCCESS;
}

static apr_status_t parse_doc(parse_ctx *c, const batch_json_t *doc,
                              batch_t **pbatch)
{
    const batch_json_t *reqs = NULL;
    item_members *ims;
    batch_t *b;
    apr_size_t n, k;
    apr_status_t rv;

    if ((rv = check_doc(c, doc, &reqs)) != APR_SUCCESS) {
        return rv;
    }
    n = reqs->n;
    b = apr_pcalloc(c->chk.p, sizeof(*b));
    b->nitems = (int)n;
    b->items = apr_palloc(c->chk.p, n * sizeof(batch_item_t));
    ims = apr_palloc(c->chk.tp, n * sizeof(*ims));
    if ((rv = index_items(c, reqs, ims, b)) != APR_SUCCESS) {
        return rv;
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
    static const batch_limits_t no_limits = {0, "", 0, 0, 0};
    parse_ctx c;
    const batch_json_t *doc = NULL;
    const char *why = NULL;
    apr_status_t rv;

    *pbatch = NULL;
    c.chk.p = p;
    c.buf = buf ? buf : "";
    c.chk.lim = lim ? lim : &no_limits;
    c.chk.err = err;
    c.chk.utf8_checked = 1; /* batch_json_parse() accepts nothing else */
    /* The tree is several times the size of the text at worst (a node
     * per "1,"); it goes as soon as the batch has been copied out. */
    if ((rv = apr_pool_create(&c.chk.tp, p)) != APR_SUCCESS) {
        return fail(&c, -1, NULL, NULL,
                    "the batch request could not be parsed (out of memory)");
    }
    apr_pool_tag(c.chk.tp, "batch_parse");
    c.all = batch_ids_make(c.chk.tp);

    rv = batch_json_parse(&doc, &why, NULL, c.buf, buf ? len : 0,
                          BATCH_MAX_JSON_DEPTH, c.chk.tp);
    if (rv != APR_SUCCESS) {
        rv = fail(&c, -1, NULL, NULL, "the batch request %s", why);
    }
    else {
        rv = parse_doc(&c, doc, pbatch);
    }
    apr_pool_destroy(c.chk.tp);
    if (rv != APR_SUCCESS) {
        *pbatch = NULL;
    }
    return rv;
}
