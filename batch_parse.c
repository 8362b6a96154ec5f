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
#include <apr_cstr.h>
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
enum {
    F_ID = 0,
    F_METHOD,
    F_URL,
    F_HEADERS,
    F_BODY,
    F_DEPENDS,
    F_GROUP,
    F_COUNT
};

/* An item's dependsOn as shape_hook() read it: the items it names, each
 * once, in order; the first element that names no earlier item is the
 * one element kept in the tree (for parse_depends() to report), and
 * nothing after it is kept. */
typedef struct dep_info_t {
    int *idx;
    int n, cap;
    int bad;          /* an element was kept */
    apr_size_t bad_k; /* its index in the array */
    /* the atomicity groups of earlier items it names (CONTRACT 9), each
     * once: batch_item_add_dep() adds their items in parse_depends() */
    apr_array_header_t *groups; /* const char * */
} dep_info_t;

typedef struct parse_ctx {
    batch_check_t chk; /* pools, limits and error of the item checks; tp
                          also holds the JSON tree */
    const char *buf;   /* the document, for the spans of JSON bodies */
    apr_size_t len;    /* its bytes */
    /* every item with a string id. Items are validated in order and the
     * first bad one ends the parse, so an index below the current
     * item's is a validated item. */
    batch_ids_t *all;
    /* what shape_hook() knows while the reader reads (see there) */
    int refused;               /* the hook refused: err is filled */
    apr_size_t reqs_slot;      /* the document's slot of "requests" */
    int item;                  /* index of the item being read */
    const char *item_id;       /* its id, once its headers begin */
    apr_size_t fslot[F_COUNT]; /* its slot of each known member */
    apr_hash_t *hnames;        /* its headers' names -> slot, past
                                  DUPS_LINEAR_MAX of them */
    const batch_json_member_t *reqs_kept; /* the items read so far */
    int nbefore;                          /* how many of them are in before */
    batch_ids_t *before;       /* their ids, made when a dependsOn needs
                                  them */
    apr_array_header_t *dinfo; /* dep_info_t by item, up to the last
                                  one with a dependsOn */
} parse_ctx;

/* The containers shape_hook() tells apart (0: none, the root). */
enum { T_DOC = 1, T_REQS, T_ITEM, T_HEADERS, T_DEPS };

/* No slot yet (batch_json_at_t.replace). */
#define NO_SLOT ((apr_size_t)-1)

/* An item's members, sorted out once: the value of each known member
 * (the last of duplicates) and the first unknown member. */
typedef struct item_members {
    const batch_json_t *f[F_COUNT];
    const batch_json_member_t *unknown;
    int dup_id; /* an earlier item has the same id (index_items()) */
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

/* Bytes of a url that need no closer look (1): printable ASCII but '#',
 * '%' and '\\', and bytes >= 0x80 but 0xC2 (the lead byte of C1
 * controls); '/' and '?' need none either, but tell scan_url() where the
 * path's segments and its query begin (2). */
static const unsigned char url_plain[256] = {
    [0x21 ... 0x22] = 1, [0x24] = 1,          [0x26 ... 0x2E] = 1,
    ['/'] = 2,           [0x30 ... 0x3E] = 1, ['?'] = 2,
    [0x40 ... 0x5B] = 1, [0x5D ... 0x7E] = 1, [0x80 ... 0xC1] = 1,
    [0xC3 ... 0xFF] = 1,
};

/* Why no url or base may hold the character at u, which url_plain
 * says needs a closer look (not NUL); NULL when it may (a well-formed
 * %-escape, 0xC2 leading no C1 control). */
static const char *bad_char_at(const unsigned char *u)
{
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
    return NULL;
}

/* Characters no url or base may hold; NULL when s is clean. */
static const char *bad_chars(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    const char *why;

    for (; *u; u++) {
        if (!url_plain[*u] && (why = bad_char_at(u)) != NULL) {
            return why;
        }
    }
    return NULL;
}

/* One pass over a url: bad_chars()'s verdict, the end of its path (*pq:
 * the first '?', else the NUL), and whether that path is already what
 * merge_decode() and remove_dots() would make of it (*normal: no '%'
 * escape, no empty segment, no segment starting with '.'). */
static const char *scan_url(const char *url, const char **pq, int *normal)
{
    const unsigned char *u = (const unsigned char *)url, *q = NULL;
    const char *why;

    *normal = 1;
    for (;; u++) {
        unsigned char t = url_plain[*u];

        if (t == 1) {
            continue;
        }
        if (t == 2) {
            if (*u == '?') {
                q = q ? q : u;
            }
            else if (!q && (u[1] == '/' || u[1] == '.')) {
                *normal = 0;
            }
            continue;
        }
        if (*u == '\0') {
            break;
        }
        if ((why = bad_char_at(u)) != NULL) {
            return why;
        }
        if (*u == '%' && !q) {
            *normal = 0;
        }
    }
    *pq = (const char *)(q ? q : u);
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

/* 1 when url starts with a scheme: letters, digits, '+', '-', '.' up to
 * a ':' that comes before any '/' or '?' (RFC 3986 3.1). */
static int has_scheme(const char *url)
{
    const char *s;

    if (!apr_isalpha(url[0])) {
        return 0;
    }
    for (s = url + 1; *s && *s != '/' && *s != '?'; s++) {
        if (*s == ':') {
            return 1;
        }
        if (!apr_isalnum(*s) && *s != '+' && *s != '-' && *s != '.') {
            break;
        }
    }
    return 0;
}

/* 1 when the path s[0..n) is base or under it (base of blen bytes). */
static APR_INLINE int under_base(const char *s, apr_size_t n, const char *base,
                                 apr_size_t blen)
{
    return blen == 0
           || (n >= blen && !memcmp(s, base, blen)
               && (n == blen || s[blen] == '/'));
}

/* batch_parse_resolve_url() for a url whose path (url[0..query)) needs
 * base put before it, slashes merged, %2E decoded or dot segments
 * removed. */
static BATCH_NOINLINE apr_status_t resolve_path(
    const char **puri, const char **why, const char *url, const char *query,
    const char *base, apr_size_t blen, apr_pool_t *p)
{
    apr_size_t plen = (apr_size_t)(query - url), n;
    const char *composed;
    char *path;

    if (plen == 0) {
        composed = blen ? base : "/";
    }
    else if (url[0] != '/') {
        composed =
            apr_pstrcat(p, base, "/", apr_pstrmemdup(p, url, plen), NULL);
    }
    else if (under_base(url, plen, base, blen)) {
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
    if (!under_base(path, n, base, blen)) {
        *why = apr_psprintf(p, "lies outside the batch base \"%s\"", base);
        return APR_EINVAL;
    }
    *puri = apr_pstrcat(p, path, query, NULL);
    return APR_SUCCESS;
}

apr_status_t batch_parse_resolve_url(const char **puri, const char **why,
                                     const char *url, const char *base,
                                     apr_pool_t *p)
{
    const char *query, *bad;
    int normal;

    if (!base) {
        base = "";
    }
    /* (a path has no scheme: no need to look) */
    if (url[0] != '/' && has_scheme(url)) {
        *why = "must not contain a scheme";
        return APR_EINVAL;
    }
    if (url[0] == '/' && url[1] == '/') {
        *why = "must not contain an authority (//host)";
        return APR_EINVAL;
    }
    if ((bad = scan_url(url, &query, &normal)) != NULL) {
        *why = bad;
        return APR_EINVAL;
    }
    if (url[0] == '/' && normal
        && (!base[0]
            || under_base(url, (apr_size_t)(query - url), base,
                          strlen(base)))) {
        /* the usual item: nothing to merge, decode or remove */
        *puri = url;
        return APR_SUCCESS;
    }
    return resolve_path(puri, why, url, query, base, strlen(base), p);
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

/* dup: index_items() found the id on an earlier item (the check then
 * says which). */
static apr_status_t parse_id(parse_ctx *c, const batch_json_t *v, int dup,
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
    return dup ? batch_item_check_unique(&c->chk, c->all, it, "id")
               : APR_SUCCESS;
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
    const dep_info_t *d;
    const batch_json_t *e;
    int k;

    if (v->type != BATCH_JSON_ARRAY) {
        return fail(c, it->index, it->id, "dependsOn",
                    "\"dependsOn\" must be an array, not %s", type_name(v));
    }
    /* an array: deps_begin() made its record */
    d = &APR_ARRAY_IDX(c->dinfo, it->index, dep_info_t);
    /* shape_hook() resolved the ids of earlier items (deps_element());
     * what it kept is the first element that is none */
    it->deps = apr_pcalloc(c->chk.p, (apr_size_t)(d->n + 1) * sizeof(int));
    if (d->n) {
        memcpy(it->deps, d->idx, (apr_size_t)d->n * sizeof(int));
    }
    it->ndeps = d->n;
    it->ndeps_max = d->n + 1;
    for (k = 0; d->groups && k < d->groups->nelts; k++) {
        const char *g = APR_ARRAY_IDX(d->groups, k, const char *);
        apr_status_t rv =
            batch_item_add_dep(&c->chk, c->all, it, "dependsOn", g, strlen(g));
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (!d->bad) {
        return APR_SUCCESS;
    }
    e = &v->u.elts[0];
    if (e->type != BATCH_JSON_STRING) {
        return fail(c, it->index, it->id, "dependsOn",
                    "\"dependsOn\"[%" APR_SIZE_T_FMT "] must be a "
                    "string, not %s",
                    d->bad_k, type_name(e));
    }
    return batch_item_add_dep(&c->chk, c->all, it, "dependsOn", e->u.str, e->n);
}

static apr_status_t parse_group(parse_ctx *c, const batch_json_t *v,
                                batch_item_t *it)
{
    if (v->type != BATCH_JSON_STRING) {
        return fail(c, it->index, it->id, "atomicityGroup",
                    "\"atomicityGroup\" must be a string, not %s",
                    type_name(v));
    }
    return batch_item_set_group(&c->chk, it, "atomicityGroup", v->u.str, v->n);
}

/* One string value of a JSON body: its references, for parse_refs(). */
typedef struct refs_scan_t {
    apr_array_header_t *found;
    const char *why;
    apr_pool_t *p;
} refs_scan_t;

static apr_status_t refs_in_string(void *ctx, const char *str, apr_size_t n,
                                   apr_size_t start, apr_size_t end)
{
    refs_scan_t *rs = ctx;

    (void)start;
    (void)end;
    return batch_refs_scan(NULL, rs->found, &rs->why, str, n,
                           BATCH_REFS_IN_TEXT, rs->p);
}

/* BatchReferences On (CONTRACT 10), after dependsOn: the references of
 * the url and headers (batch_item.c), then those in the string values of
 * a JSON body, which only this format has: one walk over the body's
 * text, no tree (the parse kept only its span). */
static BATCH_COLD apr_status_t parse_refs(parse_ctx *c, const batch_json_t *v,
                                          batch_item_t *it)
{
    refs_scan_t rs;
    const char *why = NULL;
    apr_status_t rv;

    rv = batch_item_check_refs(&c->chk, c->all, it, "url", "headers");
    if (rv != APR_SUCCESS || !v || !it->has_body
        || batch_util_media_class(it->body_type) != BATCH_MEDIA_JSON) {
        return rv;
    }
    rs.found = apr_array_make(c->chk.tp, 4, sizeof(batch_refs_id_t));
    rs.why = NULL;
    rs.p = c->chk.tp;
    if (batch_json_each_string(it->body, it->body_len, BATCH_MAX_JSON_DEPTH,
                               refs_in_string, &rs, &why, c->chk.tp)
        != APR_SUCCESS) {
        return fail(c, it->index, it->id, "body", "\"body\" %s",
                    rs.why ? rs.why : why);
    }
    return batch_item_add_refs(&c->chk, c->all, it, "body",
                               BATCH_ITEM_REFS_BODY, rs.found);
}

/* Which item member a name is, or -1. */
static APR_INLINE int item_field(const char *name, apr_size_t len)
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
    case 14:
        return memcmp(name, "atomicityGroup", 14) ? -1 : F_GROUP;
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
    if ((rv = parse_id(c, f[F_ID], im->dup_id, it)) != APR_SUCCESS) {
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
    /* the group before dependsOn: naming one's own group is refused */
    if (f[F_GROUP] && (rv = parse_group(c, f[F_GROUP], it)) != APR_SUCCESS) {
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
/* the shape, while the reader reads                                  */
/* ------------------------------------------------------------------ */

/* The reader asks shape_hook() about each value before reading it, so
 * that the tree holds only what the parse uses: the document, one
 * "requests" array, each item's known members (a duplicate name in its
 * first slot), one slot per header name, the strings of dependsOn. A
 * JSON body, an annotation or a member of the wrong type is only
 * checked, never built; a non-object item, an item past BatchMaxRequests
 * and an unknown member are refused where they begin (CONTRACT 7:
 * memory bounded by the limits, not by what a client sends). */

/* The JSON type a value's first byte begins, or NULL when the reader
 * must look closer (a misspelt word is not JSON at all). */
static int word_at(const parse_ctx *c, const batch_json_at_t *at,
                   const char *word, apr_size_t n)
{
    return c->len - at->at >= n && !memcmp(c->buf + at->at, word, n);
}

static const char *type_at(const parse_ctx *c, const batch_json_at_t *at)
{
    switch (at->c) {
    case '[':
        return "an array";
    case '{':
        return "an object";
    case '"':
        return "a string";
    case 't':
        return word_at(c, at, "true", 4) ? "a boolean" : NULL;
    case 'f':
        return word_at(c, at, "false", 5) ? "a boolean" : NULL;
    case 'n':
        return word_at(c, at, "null", 4) ? "null" : NULL;
    }
    return (at->c == '-' || apr_isdigit(at->c)) ? "a number" : NULL;
}

static apr_status_t refused(parse_ctx *c, apr_status_t rv)
{
    c->refused = 1;
    return rv;
}

/* The item's id when it has been read and is valid, NULL when not read;
 * an invalid id is refused now, as it comes before all else. */
static apr_status_t id_so_far(const char **pid, parse_ctx *c,
                              const batch_json_at_t *at)
{
    batch_item_t tmp = {.index = c->item};
    const batch_json_t *v;

    *pid = NULL;
    if (c->fslot[F_ID] == NO_SLOT) {
        return APR_SUCCESS;
    }
    v = &at->kept[c->fslot[F_ID]].value;
    if (v->type != BATCH_JSON_STRING) {
        return fail(c, c->item, NULL, "id", "\"id\" must be a string, not %s",
                    type_name(v));
    }
    if (batch_item_set_id(&c->chk, &tmp, "id", v->u.str, v->n) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *pid = tmp.id;
    return APR_SUCCESS;
}

static apr_status_t doc_member(parse_ctx *c, batch_json_at_t *at)
{
    if (at->name_nul) {
        return nul_name(c);
    }
    if (at->name_len == 8 && !memcmp(at->name, "requests", 8)) {
        at->tag = T_REQS;
        at->keep = at->c == '[' ? BATCH_JSON_KEEP : BATCH_JSON_SPAN;
        at->replace = c->reqs_slot;
        if (c->reqs_slot == NO_SLOT) {
            c->reqs_slot = at->nkept;
        }
        return APR_SUCCESS;
    }
    if (at->name_len > 0 && at->name[0] == '@') {
        at->keep = BATCH_JSON_DROP; /* annotations are not read */
        return APR_SUCCESS;
    }
    return fail(c, -1, NULL, apr_pstrmemdup(c->chk.p, at->name, at->name_len),
                "unknown member \"%s\" at the top level (only "
                "\"requests\" and \"@\" annotations are allowed)",
                quote(at->name, at->name_len, c->chk.p));
}

/* An element of "requests" that is past BatchMaxRequests or no object:
 * refused, unless it is not JSON at all (the reader's to say). */
static BATCH_COLD apr_status_t request_not_item(parse_ctx *c,
                                                const batch_json_at_t *at)
{
    const char *type;

    if (c->chk.lim->max_requests > 0
        && at->k >= (apr_size_t)c->chk.lim->max_requests) {
        return fail(c, -1, NULL, "requests",
                    "\"requests\" holds more than the %d items allowed",
                    c->chk.lim->max_requests);
    }
    type = type_at(c, at);
    return type ? fail(c, (int)at->k, NULL, NULL, "must be an object, not %s",
                       type)
                : APR_SUCCESS;
}

/* A "requests" array begins (again): the tables are reused. */
static BATCH_NOINLINE void requests_begin(parse_ctx *c)
{
    c->nbefore = 0;
    if (c->before) {
        batch_ids_clear(c->before);
        apr_array_clear(c->dinfo);
    }
}

static apr_status_t request_item(parse_ctx *c, batch_json_at_t *at)
{
    int f;

    if ((c->chk.lim->max_requests > 0
         && at->k >= (apr_size_t)c->chk.lim->max_requests)
        || at->c != '{') {
        return request_not_item(c, at);
    }
    at->tag = T_ITEM;
    c->item = (int)at->k;
    c->item_id = NULL;
    /* the items before this one are complete: a dependsOn may name them
     * (deps_begin()) */
    c->reqs_kept = at->kept;
    if (at->k == 0) {
        requests_begin(c);
    }
    for (f = 0; f < F_COUNT; f++) {
        c->fslot[f] = NO_SLOT;
    }
    return APR_SUCCESS;
}

/* A dependsOn array of the current item begins (a later one replaces
 * an earlier one): its record, zeroed; the ids of the items before it in
 * c->before. Batches without dependsOn never pay for either. */
static void deps_begin(parse_ctx *c)
{
    if (!c->before) {
        c->before = batch_ids_make(c->chk.tp);
        c->dinfo = apr_array_make(c->chk.tp, 8, sizeof(dep_info_t));
    }
    while (c->dinfo->nelts <= c->item) {
        memset(apr_array_push(c->dinfo), 0, sizeof(dep_info_t));
    }
    memset(&APR_ARRAY_IDX(c->dinfo, c->item, dep_info_t), 0,
           sizeof(dep_info_t));
    for (; c->nbefore < c->item; c->nbefore++) {
        const batch_json_t *id =
            batch_json_get(&c->reqs_kept[c->nbefore].value, "id");

        const batch_json_t *g =
            batch_json_get(&c->reqs_kept[c->nbefore].value, "atomicityGroup");

        if (id && id->type == BATCH_JSON_STRING
            && batch_ids_find(c->before, id->u.str, id->n) < 0) {
            batch_ids_add(c->before, id->u.str, id->n, c->nbefore);
        }
        if (g && g->type == BATCH_JSON_STRING) {
            batch_ids_add_group(c->before, g->u.str, g->n, c->nbefore);
        }
    }
}

/* dependsOn element id[0..n) names the atomicity group of an earlier
 * item: recorded once (1), else 0. */
static int deps_group(parse_ctx *c, dep_info_t *d, const char *id, apr_size_t n)
{
    int j;

    if (batch_ids_find_group(c->before, id, n) < 0) {
        return 0;
    }
    if (!d->groups) {
        d->groups = apr_array_make(c->chk.tp, 2, sizeof(const char *));
    }
    for (j = 0; j < d->groups->nelts; j++) {
        const char *g = APR_ARRAY_IDX(d->groups, j, const char *);
        if (strlen(g) == n && !apr_cstr_casecmpn(g, id, n)) {
            return 1;
        }
    }
    APR_ARRAY_PUSH(d->groups, const char *) = apr_pstrmemdup(c->chk.tp, id, n);
    return 1;
}

/* A member the items do not have: refused, naming the item by its id
 * when that has been read. */
static BATCH_COLD apr_status_t unknown_member(parse_ctx *c,
                                              const batch_json_at_t *at)
{
    const char *id;

    if (id_so_far(&id, c, at) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    return fail(
        c, c->item, id, apr_pstrmemdup(c->chk.p, at->name, at->name_len),
        "unknown member \"%s\"", quote(at->name, at->name_len, c->chk.p));
}

/* A member f of an item that is no string: headers and dependsOn are
 * read by their own hooks; anything else is only checked. */
static BATCH_NOINLINE apr_status_t item_container(parse_ctx *c,
                                                  batch_json_at_t *at, int f)
{
    if (f == F_HEADERS && at->c == '{') {
        at->tag = T_HEADERS;
        c->hnames = NULL;
        /* for the messages about its headers */
        if (id_so_far(&c->item_id, c, at) != APR_SUCCESS) {
            return APR_EINVAL;
        }
    }
    else if (f == F_DEPENDS && at->c == '[') {
        at->tag = T_DEPS;
        deps_begin(c);
    }
    else if (at->c == '[' || at->c == '{' || f != F_BODY) {
        /* a body, or a member of the wrong type: only its type counts */
        at->keep = BATCH_JSON_SPAN;
    }
    return APR_SUCCESS;
}

static apr_status_t item_member(parse_ctx *c, batch_json_at_t *at)
{
    int f = item_field(at->name, at->name_len);

    if (at->name_nul) {
        return nul_name(c);
    }
    if (f < 0) {
        return unknown_member(c, at);
    }
    at->replace = c->fslot[f];
    if (c->fslot[f] == NO_SLOT) {
        c->fslot[f] = at->nkept;
    }
    /* most members are strings, kept as they are */
    return at->c == '"' ? APR_SUCCESS : item_container(c, at, f);
}

/* The slot of an earlier header of this name, or NO_SLOT. */
static apr_size_t header_slot(parse_ctx *c, const batch_json_at_t *at)
{
    apr_size_t k, *slot;

    if (at->nkept <= DUPS_LINEAR_MAX) {
        for (k = 0; k < at->nkept; k++) {
            if (at->kept[k].name_len == at->name_len
                && !memcmp(at->kept[k].name, at->name, at->name_len)) {
                return k;
            }
        }
        return NO_SLOT;
    }
    if (!c->hnames) {
        c->hnames = apr_hash_make(c->chk.tp);
        for (k = 0; k < at->nkept; k++) {
            slot = apr_palloc(c->chk.tp, sizeof(*slot));
            *slot = k;
            apr_hash_set(c->hnames, at->kept[k].name,
                         (apr_ssize_t)at->kept[k].name_len, slot);
        }
    }
    slot = apr_hash_get(c->hnames, at->name, (apr_ssize_t)at->name_len);
    return slot ? *slot : NO_SLOT;
}

static apr_status_t header_member(parse_ctx *c, batch_json_at_t *at)
{
    batch_item_t tmp = {.index = c->item};
    apr_size_t *slot;

    if (at->name_nul) {
        return nul_name(c);
    }
    if (at->c != '"') {
        at->keep = BATCH_JSON_SPAN;
    }
    if ((at->replace = header_slot(c, at)) != NO_SLOT) {
        return APR_SUCCESS;
    }
    /* a new name: one more header against LimitRequestFields */
    tmp.id = c->item_id;
    if (batch_item_check_nheaders(&c->chk, &tmp, "headers", at->nkept + 1)
        != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (c->hnames) {
        slot = apr_palloc(c->chk.tp, sizeof(*slot));
        *slot = at->nkept;
        apr_hash_set(c->hnames, at->name, (apr_ssize_t)at->name_len, slot);
    }
    return APR_SUCCESS;
}

/* An element of dependsOn: the id of an earlier item is taken now and
 * not kept (a valid dependsOn costs nothing but its indexes, however
 * often it repeats an id); the first other element is kept for
 * parse_depends() to report, and what follows it is only checked. */
static void deps_element(parse_ctx *c, batch_json_at_t *at)
{
    dep_info_t *d = &APR_ARRAY_IDX(c->dinfo, c->item, dep_info_t);
    const char *id = NULL;
    apr_size_t n;
    int idx = -1, j;

    if (d->bad) {
        at->keep = BATCH_JSON_DROP;
        return;
    }
    if (at->c == '"'
        && batch_json_string_at(&id, &n, NULL, c->buf, c->len, at->at,
                                c->chk.tp)
               == APR_SUCCESS
        && (idx = batch_ids_find(c->before, id, n)) < 0
        && deps_group(c, d, id, n)) {
        at->keep = BATCH_JSON_DROP;
        return;
    }
    if (at->c == '"' && id && idx >= 0) {
        at->keep = BATCH_JSON_DROP;
        for (j = 0; j < d->n && d->idx[j] != idx; j++) {
        }
        if (j < d->n) {
            return;
        }
        if (d->n == d->cap) {
            int *g = apr_palloc(c->chk.tp,
                                (apr_size_t)(d->cap * 2 + 4) * sizeof(int));
            if (d->n) {
                memcpy(g, d->idx, (apr_size_t)d->n * sizeof(int));
            }
            d->idx = g;
            d->cap = d->cap * 2 + 4;
        }
        d->idx[d->n++] = idx;
        return;
    }
    d->bad = 1;
    d->bad_k = at->k;
    at->keep = at->c == '"' ? BATCH_JSON_KEEP : BATCH_JSON_SPAN;
}

/* shape_hook() in the document, headers and dependsOn. */
static BATCH_NOINLINE apr_status_t shape_other(parse_ctx *c,
                                               batch_json_at_t *at)
{
    switch (at->ptag) {
    case 0:
        at->tag = T_DOC;
        at->keep = at->c == '{' ? BATCH_JSON_KEEP : BATCH_JSON_SPAN;
        return APR_SUCCESS;
    case T_DOC:
        return doc_member(c, at);
    case T_HEADERS:
        return header_member(c, at);
    default: /* T_DEPS */
        deps_element(c, at);
        return APR_SUCCESS;
    }
}

static apr_status_t shape_hook(void *ctx, batch_json_at_t *at)
{
    parse_ctx *c = ctx;
    apr_status_t rv;

    /* most values are an item's members, or the items: they go first */
    if (at->ptag == T_ITEM) {
        rv = item_member(c, at);
    }
    else if (at->ptag == T_REQS) {
        rv = request_item(c, at);
    }
    else {
        rv = shape_other(c, at);
    }
    return rv == APR_SUCCESS ? rv : refused(c, rv);
}

/* ------------------------------------------------------------------ */
/* the document                                                       */
/* ------------------------------------------------------------------ */

/* The document's own shape: an object of "requests" and "@" annotations,
 * "requests" a non-empty array (shape_hook() refused more items than
 * BatchMaxRequests). */
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
    *preqs = reqs;
    return APR_SUCCESS;
}

/* Every id first, so that dependsOn can tell a later item from an
 * unknown one, and each item whether an earlier one has its id. Errors
 * about ids are left to the item's own turn; a member name with \u0000
 * in an item or its headers refuses the batch before any item is looked
 * at, as it always did. */
static apr_status_t index_items(parse_ctx *c, const batch_json_t *reqs,
                                item_members *ims, batch_t *b)
{
    apr_size_t k;

    for (k = 0; k < reqs->n; k++) {
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
            ims[k].dup_id =
                batch_ids_claim(c->all, v->u.str, v->n, (int)k) >= 0;
        }
        v = ims[k].f[F_GROUP];
        if (v && v->type == BATCH_JSON_STRING) {
            batch_ids_add_group(c->all, v->u.str, v->n, (int)k);
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
    if ((rv = batch_item_groups(b, &c->chk)) != APR_SUCCESS) {
        return rv;
    }
    *pbatch = b;
    return APR_SUCCESS;
}

apr_status_t batch_parse_request(batch_t **pbatch, const char *buf,
                                 apr_size_t len, const batch_limits_t *lim,
                                 batch_error_t *err, apr_pool_t *p)
{
    static const batch_limits_t no_limits = {0, "", 0, 0, 0, 0};
    parse_ctx c;
    const batch_json_t *doc = NULL;
    const char *why = NULL;
    apr_status_t rv;

    *pbatch = NULL;
    c.chk.p = p;
    c.buf = buf ? buf : "";
    c.len = buf ? len : 0;
    c.chk.lim = lim ? lim : &no_limits;
    c.chk.err = err;
    c.chk.utf8_checked = 1; /* batch_json_parse() accepts nothing else */
    /* The tree holds what shape_hook() keeps, bounded by the limits; it
     * goes as soon as the batch has been copied out. */
    if ((rv = apr_pool_create(&c.chk.tp, p)) != APR_SUCCESS) {
        return fail(&c, -1, NULL, NULL,
                    "the batch request could not be parsed (out of memory)");
    }
    apr_pool_tag(c.chk.tp, "batch_parse");
    c.all = batch_ids_make(c.chk.tp);
    c.refused = 0;
    c.reqs_slot = NO_SLOT;
    c.item = -1;
    c.item_id = NULL;
    c.hnames = NULL;
    c.reqs_kept = NULL;
    c.nbefore = 0;
    c.before = NULL;
    c.dinfo = NULL;

    rv =
        batch_json_parse_hooked(&doc, &why, NULL, c.buf, buf ? len : 0,
                                BATCH_MAX_JSON_DEPTH, shape_hook, &c, c.chk.tp);
    if (rv != APR_SUCCESS) {
        if (!c.refused) {
            rv = fail(&c, -1, NULL, NULL, "the batch request %s", why);
        }
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
