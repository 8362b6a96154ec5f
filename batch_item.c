/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_item.c: the item rules of CONTRACT 3, 4 and 5, shared by every
 * wire format (batch_item.h). Each check takes the field as plain bytes,
 * refuses it through batch_item_fail() with a message naming the item and
 * the field, or copies what it keeps into the item. Pure: APR only.
 */

#include <stdarg.h>
#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "batch_util.h"
#include "batch_parse.h"
#include "batch_item.h"
#include "batch_refs.h"

/* Longest client string quoted whole in a message (code points). */
#define QUOTE_MAX_CHARS 64

/* Headers an item may not set (CONTRACT 4): besides the hop-by-hop ones
 * (batch_util_hop_by_hop), these describe the batch's own connection or
 * framing, and httpd sets them for the subrequest. */
static const char *const forbidden_headers[] = {
    "Host", "Content-Length", "Expect", "HTTP2-Settings", NULL,
};

/* ------------------------------------------------------------------ */
/* Messages                                                           */

const char *batch_item_quote(const char *s, apr_size_t len, apr_pool_t *p)
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

apr_status_t batch_item_fail(const batch_check_t *c, int index, const char *id,
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
                             batch_item_quote(id, strlen(id), c->p));
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

/* ------------------------------------------------------------------ */
/* Characters                                                         */

int batch_item_has_ctl(const char *s, apr_size_t len, int tab_ok)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (batch_item_ctl_at(s + i, len - i) && !(tab_ok && s[i] == '\t')) {
            return 1;
        }
    }
    return 0;
}

/* 1 when copy, a NUL terminated copy of len client bytes, is an HTTP
 * token (RFC 9110 tchar): no NUL inside, which would cut it short. */
static int is_token(const char *copy, apr_size_t len)
{
    return batch_util_is_token(copy) && strlen(copy) == len;
}

/* ------------------------------------------------------------------ */
/* One item                                                           */

/* The rules of an id (also those of a group name): 1 to
 * BATCH_MAX_ID_CHARS characters of valid UTF-8, no control character.
 * The message names the item by index, and by id when it has one. */
static apr_status_t check_id_any(const batch_check_t *c, const batch_item_t *it,
                                 const char *field, const char *s,
                                 apr_size_t len)
{
    apr_size_t chars = 0, i;
    int ctl = 0;

    if (!c->utf8_checked && !batch_util_utf8_valid(s, len)) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" must be valid UTF-8", field);
    }
    /* one pass: characters and control characters */
    for (i = 0; i < len; i++) {
        ctl |= batch_item_ctl_at(s + i, len - i) != 0;
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    if (chars == 0) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" must not be empty", field);
    }
    if (chars > BATCH_MAX_ID_CHARS) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" is longer than %d characters", field,
                               BATCH_MAX_ID_CHARS);
    }
    if (ctl) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" must not contain control characters",
                               field);
    }
    return APR_SUCCESS;
}

/* check_id_any(), at a glance for the usual id: 1 to BATCH_MAX_ID_CHARS
 * bytes of printable ASCII (each a character, none a control) pass. */
static inline apr_status_t check_id(const batch_check_t *c,
                                    const batch_item_t *it, const char *field,
                                    const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len == 0 || len > BATCH_MAX_ID_CHARS) {
        return check_id_any(c, it, field, s, len);
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E) {
            return check_id_any(c, it, field, s, len);
        }
    }
    return APR_SUCCESS;
}

apr_status_t batch_item_set_id(const batch_check_t *c, batch_item_t *it,
                               const char *field, const char *s, apr_size_t len)
{
    apr_status_t rv;

    it->id = NULL; /* not yet valid: no message may quote it */
    if ((rv = check_id(c, it, field, s, len)) != APR_SUCCESS) {
        return rv;
    }
    it->id = apr_pstrmemdup(c->p, s, len);
    return APR_SUCCESS;
}

apr_status_t batch_item_set_group(const batch_check_t *c, batch_item_t *it,
                                  const char *field, const char *s,
                                  apr_size_t len)
{
    apr_status_t rv;

    if ((rv = check_id(c, it, field, s, len)) != APR_SUCCESS) {
        return rv;
    }
    it->group = apr_pstrmemdup(c->p, s, len);
    return APR_SUCCESS;
}

/* The methods nearly every item uses, written in any case: the upper-case
 * name, which batch_item_set_method() keeps without a copy, or NULL. A
 * name made of letters only is a token, so no other check is needed. */
static const char *common_method(const char *s, apr_size_t len)
{
    const char *m;
    apr_size_t i;

    switch (len) {
    case 3:
        m = (s[0] | 0x20) == 'g' ? "GET" : "PUT";
        break;
    case 4:
        m = (s[0] | 0x20) == 'p' ? "POST" : "HEAD";
        break;
    case 5:
        m = "PATCH";
        break;
    case 6:
        m = "DELETE";
        break;
    case 7:
        m = "OPTIONS";
        break;
    default:
        return NULL;
    }
    /* m is upper-case letters: clearing 0x20 folds only 'a'-'z' onto
     * them */
    for (i = 0; i < len; i++) {
        if ((s[i] & ~0x20) != m[i]) {
            return NULL;
        }
    }
    return m;
}

/* batch_item_set_method() for any other method: checked as a token, kept
 * upper-cased. Out of line, so that the common methods cost no more
 * than their compare. */
static BATCH_COLD apr_status_t set_method_token(const batch_check_t *c,
                                                batch_item_t *it,
                                                const char *field,
                                                const char *s, apr_size_t len)
{
    char *m = apr_pstrmemdup(c->p, s, len);
    apr_size_t i;

    if (!is_token(m, len)) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" \"%s\" is not an HTTP method token",
                               field, batch_item_quote(s, len, c->p));
    }
    for (i = 0; i < len; i++) {
        if (m[i] >= 'a' && m[i] <= 'z') {
            m[i] = (char)(m[i] - ('a' - 'A'));
        }
    }
    it->method = m;
    return APR_SUCCESS;
}

apr_status_t batch_item_set_method(const batch_check_t *c, batch_item_t *it,
                                   const char *field, const char *s,
                                   apr_size_t len)
{
    const char *common = common_method(s, len);

    if (common) {
        it->method = common;
        return APR_SUCCESS;
    }
    return set_method_token(c, it, field, s, len);
}

/* CONTRACT 10, BatchReferences On: the url's references are well-formed;
 * a url with references is checked in its template's shape now ("$1/x"
 * as "/-/x", *ptarget) and whole once they are resolved (batch_run.c).
 * Out of line: urls without references cost what they did. */
static BATCH_COLD apr_status_t url_refs(const batch_check_t *c,
                                        batch_item_t *it, const char *field,
                                        const char **ptarget)
{
    const char *why = NULL;
    int nrefs = 0;

    if (batch_refs_scan(&nrefs, NULL, &why, it->url, strlen(it->url),
                        BATCH_REFS_IN_URL, c->tp)
        != APR_SUCCESS) {
        return batch_item_fail(c, it->index, it->id, field, "\"%s\" %s", field,
                               why);
    }
    if (nrefs > 0) {
        it->refs |= BATCH_ITEM_REFS_URL;
        *ptarget = batch_refs_url_template(it->url, c->tp);
    }
    return APR_SUCCESS;
}

/* The same for a header value (name n, already checked). */
static BATCH_COLD apr_status_t header_refs(const batch_check_t *c,
                                           batch_item_t *it, const char *field,
                                           const char *n, const char *value,
                                           apr_size_t vlen)
{
    const char *why = NULL;
    int nrefs = 0;

    if (batch_refs_scan(&nrefs, NULL, &why, value, vlen, BATCH_REFS_IN_TEXT,
                        c->tp)
        != APR_SUCCESS) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\": the value of \"%s\" %s", field, n, why);
    }
    if (nrefs > 0) {
        it->refs |= BATCH_ITEM_REFS_HEADERS;
    }
    return APR_SUCCESS;
}

apr_status_t batch_item_set_url(const batch_check_t *c, batch_item_t *it,
                                const char *field, const char *s,
                                apr_size_t len)
{
    const char *why = NULL, *target;

    if (memchr(s, '\0', len) != NULL) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" must not contain control characters",
                               field);
    }
    it->url = apr_pstrmemdup(c->p, s, len);
    target = it->url;
    if (c->lim->references && url_refs(c, it, field, &target) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (batch_parse_resolve_url(&it->uri, &why, target, c->lim->base, c->p)
        != APR_SUCCESS) {
        return batch_item_fail(c, it->index, it->id, field, "\"%s\" %s", field,
                               why);
    }
    if (it->uri == target && target != it->url) {
        it->uri = apr_pstrdup(c->p, target); /* a template lives in c->tp */
    }
    return APR_SUCCESS;
}

apr_status_t batch_item_check_nheaders(const batch_check_t *c,
                                       const batch_item_t *it,
                                       const char *field, apr_size_t n)
{
    if (c->lim->max_fields > 0 && n > (apr_size_t)c->lim->max_fields) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" holds %" APR_SIZE_T_FMT " headers, more "
                               "than the server allows (%d)",
                               field, n, c->lim->max_fields);
    }
    return APR_SUCCESS;
}

int batch_item_forbidden_header(const char *name)
{
    const char *const *f;

    if (batch_util_hop_by_hop(name, strlen(name))) {
        return 1;
    }
    for (f = forbidden_headers; *f; f++) {
        if (!apr_cstr_casecmp(name, *f)) {
            return 1;
        }
    }
    return 0;
}

apr_status_t batch_item_add_header(const batch_check_t *c, batch_item_t *it,
                                   const char *field, const char *name,
                                   apr_size_t nlen, const char *value,
                                   apr_size_t vlen)
{
    /* the copy the table keeps, NUL terminated for the checks */
    const char *n = apr_pstrmemdup(c->p, name, nlen);

    if (!is_token(n, nlen)) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\": \"%s\" is not a valid header name",
                               field, batch_item_quote(name, nlen, c->p));
    }
    if (batch_item_forbidden_header(n)) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\": \"%s\" may not be set by an item",
                               field, n);
    }
    if (value == NULL) {
        return APR_SUCCESS;
    }
    if (batch_item_has_ctl(value, vlen, 1)) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\": the value of \"%s\" contains a "
                               "control character",
                               field, n);
    }
    if (c->lim->references
        && header_refs(c, it, field, n, value, vlen) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (c->lim->max_field_size > 0
        && nlen + 2 + vlen > (apr_size_t)c->lim->max_field_size) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\": \"%s\" is longer than the server "
                               "allows (%d bytes)",
                               field, n, c->lim->max_field_size);
    }
    apr_table_addn(it->headers, n, apr_pstrmemdup(c->p, value, vlen));
    return APR_SUCCESS;
}

batch_media_t batch_item_body_type(batch_item_t *it, int is_string)
{
    const char *ct = apr_table_get(it->headers, "Content-Type");

    it->has_body = 1;
    if (ct) {
        it->body_type = ct;
        return batch_util_media_class(ct);
    }
    it->body_type =
        is_string ? "text/plain; charset=utf-8" : "application/json";
    return is_string ? BATCH_MEDIA_TEXT : BATCH_MEDIA_JSON;
}

/* ------------------------------------------------------------------ */
/* Batch-wide                                                         */

struct batch_ids_t {
    apr_hash_t *first;  /* folded id -> index + 1, as a pointer value */
    apr_hash_t *groups; /* folded group name -> first index + 1 */
    apr_pool_t *tp;
};

batch_ids_t *batch_ids_make(apr_pool_t *tp)
{
    batch_ids_t *ids = apr_palloc(tp, sizeof(*ids));

    ids->first = apr_hash_make(tp);
    ids->groups = apr_hash_make(tp);
    ids->tp = tp;
    return ids;
}

void batch_ids_clear(batch_ids_t *ids)
{
    apr_hash_clear(ids->first);
}

int batch_ids_claim(batch_ids_t *ids, const char *id, apr_size_t len, int index)
{
    const char *key = batch_util_fold(id, len, ids->tp);
    apr_uintptr_t v =
        (apr_uintptr_t)apr_hash_get(ids->first, key, (apr_ssize_t)len);

    if (v == 0) {
        apr_hash_set(ids->first, key, (apr_ssize_t)len,
                     (void *)((apr_uintptr_t)index + 1));
    }
    return (int)v - 1;
}

void batch_ids_add(batch_ids_t *ids, const char *id, apr_size_t len, int index)
{
    (void)batch_ids_claim(ids, id, len, index);
}

void batch_ids_set(batch_ids_t *ids, const char *id, apr_size_t len, int index)
{
    apr_hash_set(ids->first, batch_util_fold(id, len, ids->tp),
                 (apr_ssize_t)len, (void *)((apr_uintptr_t)index + 1));
}

int batch_ids_find(const batch_ids_t *ids, const char *id, apr_size_t len)
{
    apr_uintptr_t v = (apr_uintptr_t)apr_hash_get(
        ids->first, batch_util_fold(id, len, ids->tp), (apr_ssize_t)len);

    return (int)v - 1;
}

void batch_ids_add_group(batch_ids_t *ids, const char *g, apr_size_t len,
                         int index)
{
    const char *key = batch_util_fold(g, len, ids->tp);
    apr_uintptr_t v =
        (apr_uintptr_t)apr_hash_get(ids->groups, key, (apr_ssize_t)len);

    if (v == 0 || v > (apr_uintptr_t)index + 1) {
        apr_hash_set(ids->groups, key, (apr_ssize_t)len,
                     (void *)((apr_uintptr_t)index + 1));
    }
}

/* 1 when a and b name the same group (ASCII case-insensitively, as ids
 * are compared); NULL is no group. */
static int same_group(const char *a, const char *b)
{
    return a && b && apr_cstr_casecmp(a, b) == 0;
}

/* Add dependency d to it, once; it->deps grows from p when its
 * ndeps_max entries are taken (doubling, so n entries cost O(n)). */
static void push_dep(batch_item_t *it, int d, apr_pool_t *p)
{
    int j, *deps, max;

    for (j = 0; j < it->ndeps; j++) {
        if (it->deps[j] == d) {
            return;
        }
    }
    if (it->ndeps >= it->ndeps_max || it->deps == NULL) {
        max = it->ndeps_max * 2 > 4 ? it->ndeps_max * 2 : 4;
        max = max > it->ndeps ? max : it->ndeps + 1;
        deps = apr_palloc(p, (apr_size_t)max * sizeof(int));
        if (it->ndeps) {
            memcpy(deps, it->deps, (apr_size_t)it->ndeps * sizeof(int));
        }
        it->deps = deps;
        it->ndeps_max = max;
    }
    it->deps[it->ndeps++] = d;
}

/* dependsOn entry s names the group whose first item is first: every
 * item of it, all before it (CONTRACT 9). */
static apr_status_t add_group_dep(const batch_check_t *c, batch_item_t *it,
                                  const char *field, const char *s,
                                  apr_size_t len, int first)
{
    batch_item_t *items = it - it->index, *g = &items[first];
    int j;

    if (first > it->index) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" names \"%s\", the atomicity group of "
                               "a later item (requests[%d]); an item may "
                               "depend only on items before it",
                               field, batch_item_quote(s, len, c->p), first);
    }
    if (first == it->index || same_group(it->group, g->group)) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" names the item's own atomicity group",
                               field);
    }
    for (j = first; j < it->index; j++) {
        if (same_group(items[j].group, g->group)) {
            push_dep(it, j, c->p);
        }
    }
    return APR_SUCCESS;
}

apr_status_t batch_item_check_unique(const batch_check_t *c,
                                     const batch_ids_t *ids,
                                     const batch_item_t *it, const char *field)
{
    int first = batch_ids_find(ids, it->id, strlen(it->id));

    if (first >= 0 && first < it->index) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" duplicates the id of requests[%d] (ids "
                               "are compared case-insensitively)",
                               field, first);
    }
    return APR_SUCCESS;
}

apr_status_t batch_item_add_dep(const batch_check_t *c, const batch_ids_t *ids,
                                batch_item_t *it, const char *field,
                                const char *s, apr_size_t len)
{
    int idx = batch_ids_find(ids, s, len), j;

    if (idx == it->index) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" names the item itself", field);
    }
    if (idx > it->index) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" names \"%s\", a later item "
                               "(requests[%d]); an item may depend only on "
                               "items before it",
                               field, batch_item_quote(s, len, c->p), idx);
    }
    if (idx < 0
        && (j = (int)(apr_uintptr_t)apr_hash_get(
                ids->groups, batch_util_fold(s, len, ids->tp),
                (apr_ssize_t)len))
               > 0) {
        return add_group_dep(c, it, field, s, len, j - 1);
    }
    if (idx < 0) {
        return batch_item_fail(c, it->index, it->id, field,
                               "\"%s\" names an unknown id \"%s\"", field,
                               batch_item_quote(s, len, c->p));
    }
    /* ["1","1"] is harmless: keep each dependency once */
    push_dep(it, idx, c->p);
    return APR_SUCCESS;
}

apr_status_t batch_check_unique_ids(const batch_check_t *c, const batch_t *b,
                                    const char *field)
{
    batch_ids_t *ids = batch_ids_make(c->tp);
    int k;

    for (k = 0; k < b->nitems; k++) {
        const batch_item_t *it = &b->items[k];

        if (batch_ids_claim(ids, it->id, strlen(it->id), k) >= 0) {
            return batch_item_check_unique(c, ids, it, field);
        }
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Atomicity groups and order (CONTRACT 8, 9)                         */

int batch_ids_find_group(const batch_ids_t *ids, const char *g, apr_size_t len)
{
    apr_uintptr_t v = (apr_uintptr_t)apr_hash_get(
        ids->groups, batch_util_fold(g, len, ids->tp), (apr_ssize_t)len);

    return (int)v - 1;
}

/* Item k starts a run of its group: the group may not have appeared
 * before (adjacency) nor be an item's id (one namespace). */
static apr_status_t check_group_start(const batch_check_t *c, batch_ids_t *ids,
                                      const batch_item_t *it)
{
    apr_size_t len = strlen(it->group);
    const char *q = batch_item_quote(it->group, len, c->p);
    int j;

    if ((j = batch_ids_find_group(ids, it->group, len)) >= 0) {
        return batch_item_fail(c, it->index, it->id, "atomicityGroup",
                               "\"atomicityGroup\" \"%s\" is also the group "
                               "of requests[%d], with other items between: "
                               "the items of an atomicity group must be "
                               "adjacent",
                               q, j);
    }
    if ((j = batch_ids_find(ids, it->group, len)) >= 0) {
        return batch_item_fail(c, it->index, it->id, "atomicityGroup",
                               "\"atomicityGroup\" \"%s\" is also the id of "
                               "requests[%d]; ids and atomicity group names "
                               "share one namespace (compared "
                               "case-insensitively)",
                               q, j);
    }
    batch_ids_add_group(ids, it->group, len, it->index);
    return APR_SUCCESS;
}

apr_status_t batch_item_groups(batch_t *b, const batch_check_t *c)
{
    batch_ids_t *ids = NULL;
    apr_status_t rv;
    int k;

    for (k = 0; k < b->nitems; k++) {
        batch_item_t *it = &b->items[k];

        if (!it->group) {
            continue;
        }
        if (!c->lim->atomicity_ordered) {
            return batch_item_fail(
                c, k, it->id, "atomicityGroup",
                "\"atomicityGroup\" \"%s\": this server refuses atomicity "
                "groups (BatchAtomicity Refuse), as it cannot undo what an "
                "item has done",
                batch_item_quote(it->group, strlen(it->group), c->p));
        }
        if (k > 0 && same_group(b->items[k - 1].group, it->group)) {
            push_dep(it, k - 1, c->p); /* in order, stop at a failure */
            continue;
        }
        if (!ids) {
            int j;

            ids = batch_ids_make(c->tp);
            for (j = b->nitems - 1; j >= 0; j--) {
                batch_ids_set(ids, b->items[j].id, strlen(b->items[j].id), j);
            }
        }
        if ((rv = check_group_start(c, ids, it)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

void batch_item_order(batch_t *b, int stop_on_failure, apr_pool_t *p)
{
    int k;

    /* units are adjacent: the one before item k ends at k - 1 */
    for (k = 1; k < b->nitems; k++) {
        batch_item_t *it = &b->items[k];

        if (same_group(b->items[k - 1].group, it->group)) {
            continue; /* inside a group: batch_item_groups chained it */
        }
        if (stop_on_failure) {
            push_dep(it, k - 1, p);
        }
        else {
            it->after = k; /* 1 + (k - 1) */
        }
    }
}

/* ------------------------------------------------------------------ */
/* References (CONTRACT 10)                                           */

apr_status_t batch_item_add_refs(const batch_check_t *c, const batch_ids_t *ids,
                                 batch_item_t *it, const char *field,
                                 unsigned flag, const apr_array_header_t *found)
{
    const batch_refs_id_t *e = (const batch_refs_id_t *)found->elts;
    int k, j, idx;

    for (k = 0; k < found->nelts; k++) {
        idx = batch_ids_find(ids, e[k].id, e[k].len);
        for (j = 0; idx >= 0 && j < it->ndeps && it->deps[j] != idx; j++) {
        }
        if (idx < 0 || j == it->ndeps) {
            return batch_item_fail(c, it->index, it->id, field,
                                   "\"%s\" refers to \"%s\", which is not in "
                                   "\"dependsOn\"",
                                   field,
                                   batch_item_quote(e[k].id, e[k].len, c->p));
        }
        /* refd is a subset of deps, each once: ndeps entries suffice */
        if (it->refd == NULL) {
            it->refd = apr_palloc(c->p, sizeof(int) * (apr_size_t)it->ndeps);
        }
        for (j = 0; j < it->nrefs && it->refd[j] != idx; j++) {
        }
        if (j == it->nrefs) {
            it->refd[it->nrefs++] = idx;
        }
    }
    if (found->nelts > 0) {
        it->refs |= flag;
    }
    return APR_SUCCESS;
}

/* The ids the references in s[0..len) name, appended to found (the text
 * passed batch_refs_scan() when it was checked). */
static void refs_found(apr_array_header_t *found, const char *s, apr_size_t len,
                       batch_refs_where_t where, apr_pool_t *tp)
{
    const char *why = NULL;

    apr_array_clear(found);
    (void)batch_refs_scan(NULL, found, &why, s, len, where, tp);
}

/* The ids the references in s[0..len) name (refs_found()); with
 * earlier, the earlier items among them first become dependencies of it;
 * then each must be among its dependencies. */
static apr_status_t field_refs(const batch_check_t *c, const batch_ids_t *ids,
                               batch_item_t *it, apr_array_header_t *found,
                               const char *s, batch_refs_where_t where,
                               const char *field, unsigned flag, int earlier)
{
    const batch_refs_id_t *e;
    int k, idx;

    refs_found(found, s, strlen(s), where, c->tp);
    e = (const batch_refs_id_t *)found->elts;
    for (k = 0; earlier && k < found->nelts; k++) {
        idx = batch_ids_find(ids, e[k].id, e[k].len);
        if (idx >= 0 && idx < it->index) {
            push_dep(it, idx, c->p);
        }
    }
    return batch_item_add_refs(c, ids, it, field, flag, found);
}

static apr_status_t check_refs(const batch_check_t *c, const batch_ids_t *ids,
                               batch_item_t *it, const char *url_field,
                               const char *headers_field, int earlier)
{
    apr_array_header_t *found;
    const apr_array_header_t *h;
    const apr_table_entry_t *e;
    apr_status_t rv;
    int k;

    if (!(it->refs & (BATCH_ITEM_REFS_URL | BATCH_ITEM_REFS_HEADERS))) {
        return APR_SUCCESS;
    }
    found = apr_array_make(c->tp, 4, sizeof(batch_refs_id_t));
    if (it->refs & BATCH_ITEM_REFS_URL) {
        rv = field_refs(c, ids, it, found, it->url, BATCH_REFS_IN_URL,
                        url_field, BATCH_ITEM_REFS_URL, earlier);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (!(it->refs & BATCH_ITEM_REFS_HEADERS)) {
        return APR_SUCCESS;
    }
    h = apr_table_elts(it->headers);
    e = (const apr_table_entry_t *)h->elts;
    for (k = 0; k < h->nelts; k++) {
        rv = field_refs(c, ids, it, found, e[k].val, BATCH_REFS_IN_TEXT,
                        headers_field, BATCH_ITEM_REFS_HEADERS, earlier);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t batch_item_check_refs(const batch_check_t *c,
                                   const batch_ids_t *ids, batch_item_t *it,
                                   const char *url_field,
                                   const char *headers_field)
{
    return check_refs(c, ids, it, url_field, headers_field, 0);
}

apr_status_t batch_item_check_refs_earlier(const batch_check_t *c,
                                           const batch_ids_t *ids,
                                           batch_item_t *it,
                                           const char *url_field,
                                           const char *headers_field)
{
    return check_refs(c, ids, it, url_field, headers_field, 1);
}
