/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_refs.c: references between items (CONTRACT 10). Sits on both
 * sides of the schedule stage: the parser calls batch_refs_scan() to
 * refuse malformed references and to learn which items an item refers
 * to (they must be in its dependsOn); the run stage, once those items
 * have finished and before the item is dispatched, calls
 * batch_refs_url/header/body() for resolved copies of what the client
 * sent. A reference that cannot be resolved is reported, never guessed.
 *
 * Every pass is linear in the text it reads: a reference runs to its
 * "}" and is read once; a referenced body is parsed once per resolver,
 * and only when a "@{...}" names it; the body walk is recursive but
 * bounded by the depth the JSON reader accepts. Output grows in one
 * buffer that refuses to pass its limit, so no reference can make a
 * resolved copy larger than the configured bound. Pure: APR only.
 */

#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "batch_types.h"
#include "batch_json.h"
#include "batch_parse.h"
#include "batch_util.h"
#include "batch_item.h"
#include "batch_refs.h"

/* Most bytes of client text quoted in a message. */
#define SHOW_MAX 64
/* Most digits of an array index: [999999999] at most. */
#define INDEX_MAX_DIGITS 9

/* One "@{id.path}" found in a text. */
typedef struct ref_t {
    apr_size_t at, end; /* [at, end): the whole reference in its text */
    const char *id;     /* the id, id_len bytes, in the text */
    apr_size_t id_len;
    const char *path; /* the steps (".a[0].b"), path_len bytes */
    apr_size_t path_len;
} ref_t;

struct batch_refs_t {
    batch_refs_env_t env;
    apr_pool_t *p;
    apr_hash_t *bodies; /* batch_refs_src_t * -> parsed_t *, as read */
};

/* A referenced body, read once. */
typedef struct parsed_t {
    const batch_json_t *root; /* NULL when the body is not JSON */
    const char *why;          /* then why not */
} parsed_t;

/* Output that refuses to grow beyond max bytes (0: no limit). */
typedef struct obuf {
    apr_pool_t *p;
    char *s;
    apr_size_t len, cap, max;
} obuf;

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

/* Client or backend text fit for a message: at most SHOW_MAX bytes (cut
 * at a character boundary), bytes of broken UTF-8 shown as '?', then
 * JSON-escaped so that quotes and control characters cannot confuse the
 * reader. */
static const char *show(const char *s, apr_size_t n, apr_pool_t *p)
{
    const char *dots = "";
    char *c;
    apr_size_t i;

    if (n > SHOW_MAX) {
        n = SHOW_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
        dots = "...";
    }
    if (!batch_util_utf8_valid(s, n)) {
        c = apr_pstrmemdup(p, s, n);
        for (i = 0; i < n; i++) {
            if ((unsigned char)c[i] >= 0x80) {
                c[i] = '?';
            }
        }
        s = c;
    }
    return apr_pstrcat(p, batch_util_json_escape(NULL, s, n, p), dots, NULL);
}

static void ob_init(obuf *b, apr_pool_t *p, apr_size_t hint, apr_size_t max)
{
    b->p = p;
    b->len = 0;
    b->max = max ? max : APR_SIZE_MAX - 1;
    b->cap = (hint < b->max ? hint : b->max) + 1;
    b->s = apr_palloc(p, b->cap);
}

/* Room for n more bytes (and a NUL); NULL when that passes the limit.
 * Doubling keeps the copies linear; the old buffers stay in the pool,
 * at most as much again as the final one. */
static char *ob_room(obuf *b, apr_size_t n)
{
    if (n > b->max - b->len) {
        return NULL;
    }
    if (b->len + n + 1 > b->cap) {
        apr_size_t need = b->len + n + 1, cap = b->cap * 2;
        char *s;

        if (cap < need) {
            cap = need;
        }
        if (cap > b->max + 1) {
            cap = b->max + 1; /* >= need: n passed the check above */
        }
        s = apr_palloc(b->p, cap);
        memcpy(s, b->s, b->len);
        b->s = s;
        b->cap = cap;
    }
    return b->s + b->len;
}

static int ob_put(obuf *b, const char *s, apr_size_t n)
{
    char *d = ob_room(b, n);

    if (!d) {
        return 0;
    }
    memcpy(d, s, n);
    b->len += n;
    return 1;
}

static const char *ob_str(obuf *b)
{
    b->s[b->len] = '\0';
    return b->s;
}

/* The next "@{" in s[from..len), or len. */
static apr_size_t next_ref(const char *s, apr_size_t from, apr_size_t len)
{
    while (from + 1 < len) {
        const char *a = memchr(s + from, '@', len - from - 1);

        if (!a) {
            break;
        }
        from = (apr_size_t)(a - s);
        if (s[from + 1] == '{') {
            return from;
        }
        from++;
    }
    return len;
}

/* ------------------------------------------------------------------ */
/* syntax                                                             */
/* ------------------------------------------------------------------ */

static apr_status_t malformed(const char **why, const char *s, apr_size_t n,
                              const char *what, apr_pool_t *p)
{
    *why = apr_psprintf(p, "holds a malformed reference \"%s\": %s",
                        show(s, n, p), what);
    return APR_EINVAL;
}

/* An array index at s[i] (after '['): its value and the index after ']'. */
static int read_index(apr_size_t *pidx, apr_size_t *pi, const char *s,
                      apr_size_t len)
{
    apr_size_t i = *pi, k = i, v = 0;

    while (i < len && apr_isdigit(s[i]) && i - k < INDEX_MAX_DIGITS + 1) {
        v = v * 10 + (apr_size_t)(s[i] - '0');
        i++;
    }
    if (i == k || i >= len || s[i] != ']' || i - k > INDEX_MAX_DIGITS
        || (s[k] == '0' && i - k > 1)) {
        *pi = i;
        return 0;
    }
    *pidx = v;
    *pi = i + 1;
    return 1;
}

/* A name (id or member) from s[*pi] up to '.', '[' or '}'; 0 when it
 * holds '{' or ']' or the text ends first. */
static int read_name(apr_size_t *pi, const char *s, apr_size_t len)
{
    apr_size_t i = *pi;

    while (i < len && s[i] != '.' && s[i] != '[' && s[i] != '}') {
        if (s[i] == '{' || s[i] == ']') {
            *pi = i;
            return 0;
        }
        i++;
    }
    *pi = i;
    return i < len;
}

/* Read the reference that starts with "@{" at s[at]. */
static apr_status_t read_ref(ref_t *r, const char **why, const char *s,
                             apr_size_t at, apr_size_t len, apr_pool_t *p)
{
    apr_size_t i = at + 2, k, idx;

#define BAD(what) malformed(why, s + at, (i < len ? i + 1 : len) - at, what, p)
    r->at = at;
    r->id = s + i;
    if (!read_name(&i, s, len)) {
        return i < len ? BAD("an id holds '{' or ']'") : BAD("no closing '}'");
    }
    r->id_len = (apr_size_t)(s + i - r->id);
    if (r->id_len == 0) {
        return BAD("an empty id");
    }
    r->path = s + i;
    if (s[i] == '}') {
        return BAD("no path after the id (\"@{id.member}\")");
    }
    while (i < len && s[i] != '}') {
        if (s[i] == '.') {
            k = ++i;
            if (!read_name(&i, s, len)) {
                return i < len ? BAD("a member name holds '{' or ']'")
                               : BAD("no closing '}'");
            }
            if (i == k) {
                return BAD("an empty member name");
            }
        }
        else if (s[i] == '[') {
            i++;
            if (!read_index(&idx, &i, s, len)) {
                return i < len ? BAD("an array index must be [0] to "
                                     "[999999999], without leading zeros")
                               : BAD("no closing '}'");
            }
        }
        else {
            return BAD("']' must be followed by '.', '[' or '}'");
        }
    }
    if (i >= len) {
        return BAD("no closing '}'");
    }
#undef BAD
    r->path_len = (apr_size_t)(s + i - r->path);
    r->end = i + 1;
    return APR_SUCCESS;
}

/* The id of a "$ID" url prefix: its length (url[1..1+n)). */
static apr_size_t dollar_id(const char *url, apr_size_t len)
{
    apr_size_t n = 1;

    while (n < len && url[n] != '/' && url[n] != '?') {
        n++;
    }
    return n - 1;
}

static void add_id(apr_array_header_t *ids, const char *id, apr_size_t len)
{
    batch_refs_id_t *e;

    if (ids) {
        e = apr_array_push(ids);
        e->id = id;
        e->len = len;
    }
}

apr_status_t batch_refs_scan(int *pn, apr_array_header_t *ids, const char **why,
                             const char *s, apr_size_t len,
                             batch_refs_where_t where, apr_pool_t *p)
{
    apr_size_t i = 0;
    int n = 0;
    ref_t r;

    if (where == BATCH_REFS_IN_URL && len > 0 && s[0] == '$') {
        apr_size_t idlen = dollar_id(s, len);

        if (idlen == 0) {
            return malformed(why, s, 1, "an empty id after '$'", p);
        }
        add_id(ids, s + 1, idlen);
        n++;
        i = 1 + idlen;
    }
    while ((i = next_ref(s, i, len)) < len) {
        if (read_ref(&r, why, s, i, len, p) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        add_id(ids, r.id, r.id_len);
        n++;
        i = r.end;
    }
    if (pn) {
        *pn = n;
    }
    return APR_SUCCESS;
}

apr_status_t batch_refs_scan_json(int *pn, apr_array_header_t *ids,
                                  const char **why, const batch_json_t *v,
                                  int depth, apr_pool_t *p)
{
    apr_size_t k;
    int n = 0, m;

    if (pn) {
        *pn = 0;
    }
    switch (v->type) {
    case BATCH_JSON_STRING:
        return batch_refs_scan(pn, ids, why, v->u.str, v->n, BATCH_REFS_IN_TEXT,
                               p);
    case BATCH_JSON_ARRAY:
    case BATCH_JSON_OBJECT:
        if (depth < 1) {
            *why = "is nested too deeply";
            return APR_EINVAL;
        }
        for (k = 0; k < v->n; k++) {
            const batch_json_t *e = v->type == BATCH_JSON_ARRAY
                                        ? &v->u.elts[k]
                                        : &v->u.members[k].value;

            if (batch_refs_scan_json(&m, ids, why, e, depth - 1, p)
                != APR_SUCCESS) {
                return APR_EINVAL;
            }
            n += m;
        }
        break;
    default:
        break;
    }
    if (pn) {
        *pn = n;
    }
    return APR_SUCCESS;
}

const char *batch_refs_url_template(const char *url, apr_pool_t *p)
{
    apr_size_t len = strlen(url), i = 0, from;
    const char *why;
    obuf b;
    ref_t r;

    if (url[0] != '$' && next_ref(url, 0, len) == len) {
        return url;
    }
    ob_init(&b, p, len + 2, 0);
    if (url[0] == '$') {
        ob_put(&b, "/-", 2);
        i = 1 + dollar_id(url, len);
    }
    for (from = i; (i = next_ref(url, i, len)) < len; from = i = r.end) {
        if (read_ref(&r, &why, url, i, len, p) != APR_SUCCESS) {
            break;
        }
        ob_put(&b, url + from, i - from);
        ob_put(&b, "-", 1);
    }
    ob_put(&b, url + from, len - from);
    return ob_str(&b);
}

/* ------------------------------------------------------------------ */
/* resolving one reference                                            */
/* ------------------------------------------------------------------ */

batch_refs_t *batch_refs_make(const batch_refs_env_t *env, apr_pool_t *p)
{
    batch_refs_t *rs = apr_pcalloc(p, sizeof(*rs));

    rs->env = *env;
    if (!rs->env.base) {
        rs->env.base = "";
    }
    rs->p = p;
    rs->bodies = apr_hash_make(p);
    return rs;
}

/* Fills *why: "the reference "<ref>" cannot be resolved: <reason>". */
static apr_status_t unresolved(const char **why, const char *ref,
                               apr_size_t reflen, const char *reason,
                               apr_pool_t *p)
{
    *why = apr_psprintf(p, "the reference \"%s\" cannot be resolved: %s",
                        show(ref, reflen, p), reason);
    return APR_EINVAL;
}

/* The earlier item that id names, with a reason when there is none. */
static const batch_refs_src_t *source(const char **reason, batch_refs_t *rs,
                                      const char *id, apr_size_t len)
{
    const batch_refs_src_t *src = rs->env.lookup(rs->env.ctx, id, len);

    if (!src || src->status == 0) {
        *reason = apr_psprintf(rs->p, "item \"%s\" has no result to use",
                               show(id, len, rs->p));
        return NULL;
    }
    return src;
}

/* src's body as JSON, read on first use. */
static const batch_json_t *body_json(const char **reason, batch_refs_t *rs,
                                     const batch_refs_src_t *src,
                                     const char *id, apr_size_t idlen)
{
    parsed_t *pb = apr_hash_get(rs->bodies, &src, sizeof(src));

    if (!pb) {
        const char *w = NULL;

        pb = apr_pcalloc(rs->p, sizeof(*pb));
        if (!src->body || src->body_len == 0) {
            pb->why = "returned no body";
        }
        else if (batch_util_media_class(src->content_type)
                 != BATCH_MEDIA_JSON) {
            pb->why = apr_psprintf(
                rs->p, "returned no JSON body (Content-Type \"%s\")",
                src->content_type
                    ? show(src->content_type, strlen(src->content_type), rs->p)
                    : "");
        }
        else if (batch_json_parse(&pb->root, &w, NULL, src->body, src->body_len,
                                  BATCH_MAX_JSON_DEPTH, rs->p)
                 != APR_SUCCESS) {
            pb->root = NULL;
            pb->why = apr_psprintf(rs->p, "returned a body that %s", w);
        }
        apr_hash_set(rs->bodies, apr_pmemdup(rs->p, &src, sizeof(src)),
                     sizeof(src), pb);
    }
    if (!pb->root) {
        *reason = apr_psprintf(rs->p, "item \"%s\" %s", show(id, idlen, rs->p),
                               pb->why);
    }
    return pb->root;
}

/* "the body" or the steps walked so far ("items[0]"), for messages. */
static const char *walked(const ref_t *r, const char *upto, apr_pool_t *p)
{
    const char *s = r->path;

    if (upto == s) {
        return "the body";
    }
    if (*s == '.') {
        s++;
    }
    return apr_psprintf(p, "\"%s\"", show(s, (apr_size_t)(upto - s), p));
}

/* Follow r's steps from root. */
static const batch_json_t *walk(const char **reason, const ref_t *r,
                                const batch_json_t *v, apr_pool_t *p)
{
    const char *s = r->path, *e = r->path + r->path_len;

    while (s < e) {
        const char *step = s;

        if (*s == '.') {
            const char *name = ++s;

            while (s < e && *s != '.' && *s != '[') {
                s++;
            }
            if (v->type != BATCH_JSON_OBJECT) {
                *reason =
                    apr_psprintf(p, "%s is not an object", walked(r, step, p));
                return NULL;
            }
            v = batch_json_getn(v, name, (apr_size_t)(s - name));
            if (!v) {
                *reason = apr_psprintf(p, "%s has no member \"%s\"",
                                       walked(r, step, p),
                                       show(name, (apr_size_t)(s - name), p));
                return NULL;
            }
        }
        else {
            apr_size_t i = (apr_size_t)(s - r->path) + 1, idx = 0;

            read_index(&idx, &i, r->path, r->path_len);
            s = r->path + i;
            if (v->type != BATCH_JSON_ARRAY) {
                *reason =
                    apr_psprintf(p, "%s is not an array", walked(r, step, p));
                return NULL;
            }
            if (idx >= v->n) {
                *reason = apr_psprintf(p,
                                       "%s has %" APR_SIZE_T_FMT " elements, "
                                       "no [%" APR_SIZE_T_FMT "]",
                                       walked(r, step, p), v->n, idx);
                return NULL;
            }
            v = &v->u.elts[idx];
        }
    }
    return v;
}

/* The value r names; *psrc is the item whose body it is in. */
static apr_status_t resolve(const batch_json_t **pv,
                            const batch_refs_src_t **psrc, const char **why,
                            batch_refs_t *rs, const ref_t *r, const char *text)
{
    const char *reason = NULL;
    const batch_refs_src_t *src;
    const batch_json_t *v = NULL;

    if ((src = source(&reason, rs, r->id, r->id_len)) != NULL
        && (v = body_json(&reason, rs, src, r->id, r->id_len)) != NULL) {
        v = walk(&reason, r, v, rs->p);
    }
    if (!v) {
        return unresolved(why, text + r->at, r->end - r->at, reason, rs->p);
    }
    *pv = v;
    *psrc = src;
    return APR_SUCCESS;
}

/* A value as text: a string's bytes, a number as written, true, false. */
static apr_status_t as_text(const char **pt, apr_size_t *pn, const char **why,
                            batch_refs_t *rs, const ref_t *r, const char *text,
                            const batch_json_t *v)
{
    switch (v->type) {
    case BATCH_JSON_STRING:
    case BATCH_JSON_NUMBER:
        *pt = v->u.str;
        *pn = v->n;
        return APR_SUCCESS;
    case BATCH_JSON_TRUE:
        *pt = "true";
        *pn = 4;
        return APR_SUCCESS;
    case BATCH_JSON_FALSE:
        *pt = "false";
        *pn = 5;
        return APR_SUCCESS;
    default:
        break;
    }
    return unresolved(why, text + r->at, r->end - r->at,
                      apr_psprintf(rs->p,
                                   "the value is %s, which cannot stand "
                                   "in text",
                                   v->type == BATCH_JSON_NULL    ? "null"
                                   : v->type == BATCH_JSON_ARRAY ? "an array"
                                                                 : "an object"),
                      rs->p);
}

/* Resolve the reference at text[at] to text. */
static apr_status_t ref_text(const char **pt, apr_size_t *pn, ref_t *r,
                             const char **why, batch_refs_t *rs,
                             const char *text, apr_size_t at, apr_size_t len)
{
    const batch_json_t *v;
    const batch_refs_src_t *src;

    if (read_ref(r, why, text, at, len, rs->p) != APR_SUCCESS
        || resolve(&v, &src, why, rs, r, text) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    return as_text(pt, pn, why, rs, r, text, v);
}

/* ------------------------------------------------------------------ */
/* urls                                                               */
/* ------------------------------------------------------------------ */

/* Default port of a url scheme of this server, 0 for others. */
static int default_port(const char *scheme, apr_size_t n)
{
    if (n == 4 && !strncasecmp(scheme, "http", 4)) {
        return 80;
    }
    if (n == 5 && !strncasecmp(scheme, "https", 5)) {
        return 443;
    }
    return 0;
}

/* 1 when the authority a[0..n) ("host[:port]") is this server's, with
 * port dport when none is given. */
static int our_authority(const batch_refs_env_t *env, const char *a,
                         apr_size_t n, int dport)
{
    apr_size_t h = 0, hl = env->host ? strlen(env->host) : 0;
    int port = 0;

    if (memchr(a, '@', n)) {
        return 0; /* userinfo: never how this server names itself */
    }
    if (n > 0 && a[0] == '[') {
        while (h < n && a[h] != ']') {
            h++;
        }
        h += (h < n);
    }
    else {
        while (h < n && a[h] != ':') {
            h++;
        }
    }
    if (h != hl || h == 0 || strncasecmp(a, env->host, h)) {
        return 0;
    }
    if (h == n || (h + 1 == n && a[h] == ':')) {
        return dport != 0 && dport == env->port;
    }
    if (a[h] != ':' || n - h - 1 > 5) {
        return 0;
    }
    for (h++; h < n; h++) {
        if (!apr_isdigit(a[h])) {
            return 0;
        }
        port = port * 10 + (a[h] - '0');
    }
    return port == env->port;
}

/* The path of src's Location (without query or fragment), from p. */
static const char *location_path(const char **reason, batch_refs_t *rs,
                                 const batch_refs_src_t *src, const char *id,
                                 apr_size_t idlen)
{
    const char *loc = src->location, *s = loc, *auth = NULL;
    const batch_refs_env_t *env = &rs->env;
    int dport =
        default_port(env->scheme, env->scheme ? strlen(env->scheme) : 0);
    apr_size_t n;

    if (!loc || !*loc) {
        *reason = apr_psprintf(rs->p,
                               "item \"%s\" answered without a "
                               "Location header",
                               show(id, idlen, rs->p));
        return NULL;
    }
    if (apr_isalpha(*s)) {
        while (apr_isalnum(*s) || *s == '+' || *s == '-' || *s == '.') {
            s++;
        }
    }
    if (s > loc && *s == ':') {
        /* an absolute URL: ours only with our scheme, "//" and authority */
        n = (apr_size_t)(s - loc);
        if (!env->scheme || strlen(env->scheme) != n
            || strncasecmp(loc, env->scheme, n) || s[1] != '/' || s[2] != '/') {
            goto other;
        }
        dport = default_port(loc, n);
        auth = s + 3;
    }
    else if (loc[0] == '/' && loc[1] == '/') {
        auth = loc + 2;
    }
    if (auth) {
        n = strcspn(auth, "/?#");
        if (!our_authority(env, auth, n, dport)) {
            goto other;
        }
        s = auth + n;
        n = strcspn(s, "?#");
        return n ? apr_pstrmemdup(rs->p, s, n) : "/";
    }
    n = strcspn(loc, "?#");
    if (loc[0] == '/') {
        return apr_pstrmemdup(rs->p, loc, n);
    }
    if (src->uri && src->uri[0] == '/') {
        /* relative: against the directory of the item's own path */
        apr_size_t d = strcspn(src->uri, "?");

        if (n > 0) {
            while (src->uri[d - 1] != '/') {
                d--;
            }
        }
        return apr_pstrcat(rs->p, apr_pstrmemdup(rs->p, src->uri, d),
                           apr_pstrmemdup(rs->p, loc, n), NULL);
    }
other:
    *reason =
        apr_psprintf(rs->p,
                     "the Location of item \"%s\" (\"%s\") is not a "
                     "path or a URL of this server",
                     show(id, idlen, rs->p), show(loc, strlen(loc), rs->p));
    return NULL;
}

/* "$ID": the Location path of item ID, which must lie under BatchBase
 * (resolve_url would otherwise move it there rather than refuse it). */
static apr_status_t dollar(obuf *b, const char **why, batch_refs_t *rs,
                           const char *url, apr_size_t idlen)
{
    const char *reason = NULL, *path = NULL, *base = rs->env.base;
    const batch_refs_src_t *src = source(&reason, rs, url + 1, idlen);
    apr_size_t blen = strlen(base), n = 0;

    if (src && (path = location_path(&reason, rs, src, url + 1, idlen))) {
        n = strlen(path);
        if (blen > 0
            && !(n >= blen && !memcmp(path, base, blen)
                 && (n == blen || path[blen] == '/'))) {
            reason = apr_psprintf(rs->p,
                                  "the Location of item \"%s\" (\"%s\") "
                                  "lies outside the batch base \"%s\"",
                                  show(url + 1, idlen, rs->p),
                                  show(path, n, rs->p), base);
            path = NULL;
        }
    }
    if (!path) {
        return unresolved(why, url, idlen + 1, reason, rs->p);
    }
    if (!ob_put(b, path, n)) {
        return APR_ENOSPC;
    }
    return APR_SUCCESS;
}

/* Append s[0..n) percent-encoded: only unreserved characters (RFC 3986
 * 2.3) stay, so no value can add '/', '?', '#', '%' or '&'. */
static int put_encoded(obuf *b, const char *s, apr_size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t i, need = 0;
    char *d;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        need += (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
                    ? 1
                    : 3;
    }
    if (!(d = ob_room(b, need))) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *d++ = (char)c;
        }
        else {
            *d++ = '%';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 0xF];
        }
    }
    b->len += need;
    return 1;
}

/* 1 when the segment s[0..n) is empty, "." or ".." once %2E is decoded,
 * as both batch_parse_resolve_url() and httpd decode it. */
static int void_segment(const char *s, apr_size_t n)
{
    apr_size_t i, dots = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '.') {
            dots++;
        }
        else if (s[i] == '%' && i + 2 < n && s[i + 1] == '2'
                 && (s[i + 2] == 'E' || s[i + 2] == 'e')) {
            dots++;
            i += 2;
        }
        else {
            return 0;
        }
    }
    return dots <= 2;
}

/* A value went into the path segment that ends at b's end (it began at
 * seg): refused when it made the segment vanish. */
static apr_status_t check_segment(const obuf *b, apr_size_t seg,
                                  const ref_t *last, const char **why,
                                  batch_refs_t *rs, const char *url)
{
    if (last && void_segment(b->s + seg, b->len - seg)) {
        return unresolved(why, url + last->at, last->end - last->at,
                          "its value would make a path segment empty, "
                          "\".\" or \"..\"",
                          rs->p);
    }
    return APR_SUCCESS;
}

/* The template url[i..len) into b, each "@{...}" by its encoded value. */
static apr_status_t url_splice(obuf *b, const char **why, batch_refs_t *rs,
                               const char *url, apr_size_t i, apr_size_t len)
{
    apr_size_t seg = b->len, at, k, n;
    const ref_t *last = NULL;
    int in_query = 0;
    const char *t;
    ref_t r;

    for (;;) {
        at = next_ref(url, i, len);
        /* the template up to the reference; '/' and '?' end segments */
        while (i < at) {
            for (k = i; !in_query && k < at && url[k] != '/' && url[k] != '?';
                 k++) {
            }
            k = in_query ? at : k;
            if (!ob_put(b, url + i, k - i)) {
                return APR_ENOSPC;
            }
            i = k;
            if (k < at) {
                if (check_segment(b, seg, last, why, rs, url) != APR_SUCCESS) {
                    return APR_EINVAL;
                }
                last = NULL;
                in_query = (url[k] == '?');
                if (!ob_put(b, url + k, 1)) {
                    return APR_ENOSPC;
                }
                i = k + 1;
                seg = b->len;
            }
        }
        if (at == len) {
            return in_query ? APR_SUCCESS
                            : check_segment(b, seg, last, why, rs, url);
        }
        if (ref_text(&t, &n, &r, why, rs, url, at, len) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        /* encoded or not, httpd turns %2F back into '/' where
         * AllowEncodedSlashes allows it: a new segment after all */
        if (!in_query && memchr(t, '/', n)) {
            return unresolved(why, url + r.at, r.end - r.at,
                              "its value holds '/', which would add a "
                              "path segment",
                              rs->p);
        }
        if (!put_encoded(b, t, n)) {
            return APR_ENOSPC;
        }
        last = &r;
        i = r.end;
    }
}

apr_status_t batch_refs_url(const char **puri, const char **why,
                            batch_refs_t *rs, const char *url)
{
    apr_size_t len = strlen(url), i = 0;
    const char *w = NULL;
    apr_status_t rv = APR_SUCCESS;
    obuf b;

    ob_init(&b, rs->p, len + 64, rs->env.max_url);
    if (url[0] == '$') {
        i = dollar_id(url, len);
        rv = dollar(&b, why, rs, url, i);
        i++;
        if (b.len > 0 && b.s[b.len - 1] == '/' && url[i] == '/') {
            b.len--; /* "/" + "/orders": one slash, not an authority */
        }
    }
    if (rv == APR_SUCCESS) {
        rv = url_splice(&b, why, rs, url, i, len);
    }
    if (rv == APR_ENOSPC) {
        *why = apr_psprintf(rs->p,
                            "the url \"%s\" with its references resolved "
                            "is longer than %" APR_SIZE_T_FMT " bytes",
                            show(url, len, rs->p), rs->env.max_url);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (batch_parse_resolve_url(puri, &w, ob_str(&b), rs->env.base, rs->p)
        != APR_SUCCESS) {
        *why = apr_psprintf(rs->p,
                            "the url \"%s\" with its references resolved %s",
                            show(url, len, rs->p), w);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* header values                                                      */
/* ------------------------------------------------------------------ */

/* text with each "@{...}" replaced by its value as text, into b. */
static apr_status_t text_splice(obuf *b, const char **why, batch_refs_t *rs,
                                const char *text, apr_size_t len)
{
    apr_size_t i = 0, at, n;
    const char *t;
    ref_t r;

    while ((at = next_ref(text, i, len)) < len) {
        if (!ob_put(b, text + i, at - i)) {
            return APR_ENOSPC;
        }
        if (ref_text(&t, &n, &r, why, rs, text, at, len) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        if (!ob_put(b, t, n)) {
            return APR_ENOSPC;
        }
        i = r.end;
    }
    return ob_put(b, text + i, len - i) ? APR_SUCCESS : APR_ENOSPC;
}

apr_status_t batch_refs_header(const char **pval, apr_size_t *plen,
                               const char **why, batch_refs_t *rs,
                               const char *value, apr_size_t len)
{
    apr_status_t rv;
    obuf b;

    ob_init(&b, rs->p, len + 64, rs->env.max_value);
    rv = text_splice(&b, why, rs, value, len);
    if (rv == APR_ENOSPC) {
        *why = apr_psprintf(rs->p,
                            "the header value \"%s\" with its references "
                            "resolved is longer than %" APR_SIZE_T_FMT " bytes",
                            show(value, len, rs->p), rs->env.max_value);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (batch_item_has_ctl(b.s, b.len, 1)) {
        *why = apr_psprintf(rs->p,
                            "the header value \"%s\" with its references "
                            "resolved holds a control character",
                            show(value, len, rs->p));
        return APR_EINVAL;
    }
    *pval = ob_str(&b);
    if (plen) {
        *plen = b.len;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* JSON bodies                                                        */
/* ------------------------------------------------------------------ */

typedef struct body_ctx {
    batch_refs_t *rs;
    obuf *b;
    const char *src; /* the body text */
    apr_size_t pos;  /* src[0..pos) is in b already */
    const char **why;
} body_ctx;

/* One string value of the body, as batch_json_each_string() finds it
 * (decoded s[0..n), its text src[start..end)): when it holds a
 * reference, src[pos..start) and then its replacement go out. */
static apr_status_t splice_string(void *ctx, const char *s, apr_size_t n,
                                  apr_size_t start, apr_size_t end)
{
    body_ctx *c = ctx;
    const char *esc;
    apr_size_t elen;
    const batch_refs_src_t *from;
    const batch_json_t *val;
    obuf t;
    apr_status_t rv;
    ref_t r;

    if (next_ref(s, 0, n) >= n) {
        return APR_SUCCESS; /* copied with the text around it */
    }
    if (!ob_put(c->b, c->src + c->pos, start - c->pos)) {
        return APR_ENOSPC;
    }
    c->pos = end;
    if (s[0] == '@' && read_ref(&r, c->why, s, 0, n, c->rs->p) == APR_SUCCESS
        && r.end == n) {
        /* exactly one reference: the value itself, whatever its type */
        if (resolve(&val, &from, c->why, c->rs, &r, s) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        return ob_put(c->b, from->body + val->start, val->end - val->start)
                   ? APR_SUCCESS
                   : APR_ENOSPC;
    }
    ob_init(&t, c->rs->p, n + 64, c->b->max);
    if ((rv = text_splice(&t, c->why, c->rs, s, n)) != APR_SUCCESS) {
        return rv;
    }
    esc = batch_util_json_escape(&elen, t.s, t.len, c->rs->p);
    return (ob_put(c->b, "\"", 1) && ob_put(c->b, esc, elen)
            && ob_put(c->b, "\"", 1))
               ? APR_SUCCESS
               : APR_ENOSPC;
}

apr_status_t batch_refs_body(const char **pbody, apr_size_t *plen,
                             const char **why, batch_refs_t *rs,
                             const char *body, apr_size_t len)
{
    const char *w = NULL;
    body_ctx c;
    obuf b;
    apr_status_t rv;

    /* one walk over the text, no tree: memory stays near the body */
    ob_init(&b, rs->p, len + 64, rs->env.max_body);
    c.rs = rs;
    c.b = &b;
    c.src = body;
    c.pos = 0;
    c.why = why;
    *why = NULL;
    rv = batch_json_each_string(body, len, BATCH_MAX_JSON_DEPTH, splice_string,
                                &c, &w, rs->p);
    if (rv == APR_EINVAL && *why == NULL) {
        *why = apr_psprintf(rs->p, "the body %s", w);
        return APR_EINVAL;
    }
    if (rv == APR_SUCCESS && !ob_put(&b, body + c.pos, len - c.pos)) {
        rv = APR_ENOSPC;
    }
    if (rv == APR_ENOSPC) {
        *why = apr_psprintf(rs->p,
                            "the body with its references resolved is "
                            "longer than %" APR_SIZE_T_FMT " bytes",
                            rs->env.max_body);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pbody = ob_str(&b);
    *plen = b.len;
    return APR_SUCCESS;
}
