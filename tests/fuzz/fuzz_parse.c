/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_parse.c: fuzz target over batch_parse_request() (CONTRACT 3), the
 * only code that reads client bytes before any item runs. The first input
 * byte picks the limits and BatchBase; the rest is the batch body. A
 * refusal must be a complete 400 BadRequest whose error body is valid
 * JSON; an accepted batch must keep every promise the later stages rely
 * on: urls resolved under BatchBase with no dot segments or empty
 * segments left, upper-case method tokens, header counts within the
 * limit, dependencies pointing backwards only (the scheduler then runs
 * every item exactly once, in request order).
 *
 * Seed files start with a printable selector: '@' is the default
 * configuration (BatchBase /, 20 items, LimitRequestFields 100,
 * LimitRequestFieldSize 8190), 'A' BatchBase /v1.0, 'B' /a/b, 'D' at most
 * one item, 'P' at most 2 headers, '`' at most 16 bytes per header.
 * Bit 6 clear (a selector from ' ' to '?') turns on BatchAtomicity
 * Ordered (with bit 5 set: at most 16 bytes per header): groups are
 * accepted, must be adjacent and chained, and batch_item_order() (bit 0:
 * stop at the first failure) must leave request order a run order.
 *
 * Whatever the parse decides, the JSON reader decides the same about the
 * text with no hook and with a hook that keeps, only checks or drops
 * values and reuses slots by an arbitrary rule (the parse's own hook
 * keeps little of a document: it must not let anything through that the
 * plain reader refuses); batch_json_each_string() finds every string
 * value at its span; an accepted batch passes the encoder's
 * validator too.
 *
 * Every input is parsed twice, with BatchReferences Off and On; with it
 * On, every item a reference names is in its dependsOn, and a url with
 * references still resolves under BatchBase in its template's shape.
 *
 * A first byte with its top two bits set switches to url mode: the rest
 * is "url NUL base", run through batch_parse_base() and
 * batch_parse_resolve_url() directly, with the same invariants and one
 * more: resolving a resolved url again changes nothing.
 */

#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "batch_encode.h"
#include "batch_item.h"
#include "batch_json.h"
#include "batch_parse.h"
#include "batch_sched.h"
#include "batch_util.h"
#include "json_oracle.h"

static const char *const bases[] = {"", "/v1.0", "/a/b", "/v1.0/$batch"};
static const int max_requests[] = {20, 1, 1000, 0};
static const int max_fields[] = {100, 0, 2, 1000};
static const int max_field_sizes[] = {8190, 0, 16, 100000};

/* Under base: the path equals base or continues it with '/'. No empty,
 * "." or ".." segment (they were merged or removed), '?' starts the
 * query. */
static void check_uri(const char *uri, const char *base)
{
    size_t blen = strlen(base);
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    size_t i, seg;

    FUZZ_CHECK(uri[0] == '/');
    if (blen) {
        FUZZ_CHECK(plen >= blen && !memcmp(uri, base, blen)
                   && (plen == blen || uri[blen] == '/'));
    }
    for (i = 0; i < plen; i = seg) {
        size_t s = i + 1, n;
        for (seg = s; seg < plen && uri[seg] != '/'; seg++) {
        }
        n = seg - s;
        /* only the last segment may be empty ("/" or "/dir/") */
        FUZZ_CHECK(n > 0 || seg == plen);
        FUZZ_CHECK(!(n == 1 && uri[s] == '.'));
        FUZZ_CHECK(!(n == 2 && uri[s] == '.' && uri[s + 1] == '.'));
    }
    for (i = 0; uri[i]; i++) {
        FUZZ_CHECK((unsigned char)uri[i] > 0x20 && uri[i] != 0x7F
                   && uri[i] != '\\' && uri[i] != '#');
    }
}

static void url_mode(const uint8_t *data, size_t size, apr_pool_t *p)
{
    const char *nul = memchr(data, 0, size);
    const char *url, *base_in, *base = NULL, *uri = NULL, *uri2 = NULL;
    const char *why = NULL;

    url = apr_pstrmemdup(p, (const char *)data,
                         nul ? (size_t)(nul - (const char *)data) : size);
    base_in = nul ? apr_pstrmemdup(
                  p, nul + 1, size - (size_t)(nul - (const char *)data) - 1)
                  : "/";
    if (batch_parse_base(&base, base_in, p) != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(base != NULL);
    FUZZ_CHECK(base[0] == '\0'
               || (base[0] == '/' && base[strlen(base) - 1] != '/'));
    if (batch_parse_resolve_url(&uri, &why, url, base, p) != APR_SUCCESS) {
        FUZZ_CHECK(why != NULL);
        return;
    }
    check_uri(uri, base);
    FUZZ_CHECK(batch_parse_resolve_url(&uri2, &why, uri, base, p)
               == APR_SUCCESS);
    FUZZ_CHECK(strcmp(uri, uri2) == 0);
}

/* CONTRACT 9: groups only under Ordered, adjacent, chained. */
static void check_group(const batch_t *b, int k, const batch_limits_t *lim)
{
    const batch_item_t *it = &b->items[k];
    int j, d;

    if (!it->group) {
        return;
    }
    FUZZ_CHECK(lim->atomicity_ordered);
    FUZZ_CHECK(it->group[0]);
    FUZZ_CHECK(batch_util_utf8_valid(it->group, strlen(it->group)));
    if (k > 0 && b->items[k - 1].group
        && !apr_cstr_casecmp(b->items[k - 1].group, it->group)) {
        for (d = 0; d < it->ndeps && it->deps[d] != k - 1; d++) {
        }
        FUZZ_CHECK(d < it->ndeps); /* chained to the item before */
        return;
    }
    for (j = 0; j < k; j++) { /* a group's first item: not seen before */
        FUZZ_CHECK(!b->items[j].group
                   || apr_cstr_casecmp(b->items[j].group, it->group));
    }
}

/* Request order is a run order, every item runs once. */
static void check_run_order(const batch_t *b, apr_pool_t *p)
{
    batch_sched_t *s = batch_sched_create(b, p);
    int k, i;

    for (k = 0; k < b->nitems; k++) {
        i = batch_sched_next(s);
        FUZZ_CHECK(i == k);
        FUZZ_CHECK(batch_sched_deps_ok(s, i));
        batch_sched_done(s, i, 200);
    }
    FUZZ_CHECK(batch_sched_next(s) == -1);
    FUZZ_CHECK(batch_sched_ndone(s) == b->nitems);
}

static void check_batch(const batch_t *b, const batch_limits_t *lim,
                        apr_pool_t *p)
{
    int k, d, i;

    FUZZ_CHECK(b != NULL && b->nitems >= 1 && b->items != NULL);
    FUZZ_CHECK(lim->max_requests <= 0 || b->nitems <= lim->max_requests);
    for (k = 0; k < b->nitems; k++) {
        const batch_item_t *it = &b->items[k];
        const char *m;

        FUZZ_CHECK(it->index == k);
        FUZZ_CHECK(it->id && it->id[0]);
        FUZZ_CHECK(batch_util_utf8_valid(it->id, strlen(it->id)));
        FUZZ_CHECK(it->method && batch_util_is_token(it->method));
        for (m = it->method; *m; m++) {
            FUZZ_CHECK(!(*m >= 'a' && *m <= 'z'));
        }
        FUZZ_CHECK(it->url && it->uri);
        check_uri(it->uri, lim->base);
        FUZZ_CHECK(it->headers != NULL);
        FUZZ_CHECK(lim->max_fields <= 0
                   || apr_table_elts(it->headers)->nelts <= lim->max_fields);
        FUZZ_CHECK(!it->has_body || (it->body_type && it->body));
        /* a JSON body is the client's text as it was: strict JSON that
         * the encoder's validator accepts too */
        FUZZ_CHECK(!it->has_body
                   || batch_util_media_class(it->body_type) != BATCH_MEDIA_JSON
                   || batch_util_json_valid(it->body, it->body_len,
                                            BATCH_MAX_JSON_DEPTH));
        FUZZ_CHECK(it->has_body || it->body_type == NULL);
        FUZZ_CHECK(it->ndeps >= 0);
        for (d = 0; d < it->ndeps; d++) {
            FUZZ_CHECK(it->deps[d] >= 0 && it->deps[d] < k);
        }
        check_group(b, k, lim);
        /* references: only with BatchReferences On, only to items in
         * dependsOn, each once */
        FUZZ_CHECK(lim->references || (it->refs == 0 && it->nrefs == 0));
        FUZZ_CHECK((it->refs == 0) == (it->nrefs == 0));
        for (d = 0; d < it->nrefs; d++) {
            for (i = 0; i < it->ndeps && it->deps[i] != it->refd[d]; i++) {
            }
            FUZZ_CHECK(i < it->ndeps);
            for (i = 0; i < d; i++) {
                FUZZ_CHECK(it->refd[i] != it->refd[d]);
            }
        }
    }
    /* backwards-only dependencies: request order is a run order */
    check_run_order(b, p);
}

static void check_error(const batch_error_t *err, apr_pool_t *p)
{
    const char *body, *why = NULL;
    struct json_object *obj = NULL;

    FUZZ_CHECK(err->status == 400);
    FUZZ_CHECK(err->code && !strcmp(err->code, BATCH_ERR_BAD_REQUEST));
    FUZZ_CHECK(err->message && err->message[0]);
    FUZZ_CHECK(batch_util_utf8_valid(err->message, strlen(err->message)));
    body = batch_encode_error(err, p);
    FUZZ_CHECK(json_oracle_parse(&obj, &why, body, strlen(body), 8, p)
               == APR_SUCCESS);
    json_object_put(obj);
}

/* Keep, check only or drop each value by a rule of its offset, and now
 * and then put a member into an earlier member's slot. */
static apr_status_t mixed_hook(void *ctx, batch_json_at_t *at)
{
    unsigned r = (unsigned)((at->at + 1) * 2654435761u) >> 7;

    (void)ctx;
    at->keep = (batch_json_keep_t)(r % 3);
    at->tag = 1;
    if (at->name && at->nkept > 0 && (r & 8)) {
        at->replace = r % at->nkept;
    }
    return APR_SUCCESS;
}

/* Strings in a tree (values only, not member names). */
static size_t count_strings(const batch_json_t *v)
{
    size_t n = 0, k;

    if (v->type == BATCH_JSON_STRING) {
        return 1;
    }
    for (k = 0; v->type == BATCH_JSON_ARRAY && k < v->n; k++) {
        n += count_strings(&v->u.elts[k]);
    }
    for (k = 0; v->type == BATCH_JSON_OBJECT && k < v->n; k++) {
        n += count_strings(&v->u.members[k].value);
    }
    return n;
}

typedef struct walk_t {
    const char *doc;
    size_t n;
} walk_t;

/* batch_json_each_string(): each string is the one in the text at its
 * span. */
static apr_status_t string_seen(void *ctx, const char *str, apr_size_t n,
                                apr_size_t start, apr_size_t end)
{
    walk_t *w = ctx;
    const batch_json_t *v = NULL;
    const char *why;

    FUZZ_CHECK(batch_json_parse(&v, &why, NULL, w->doc + start, end - start, 1,
                                fuzz_pool())
               == APR_SUCCESS);
    FUZZ_CHECK(v->type == BATCH_JSON_STRING && v->n == n
               && (n == 0 || !memcmp(v->u.str, str, n)));
    w->n++;
    return APR_SUCCESS;
}

/* The parse, the plain reader and the hooked reader agree on the text;
 * the encoder's validator accepts an accepted batch. */
static void check_reader(const char *doc, size_t len, int accepted,
                         apr_pool_t *p)
{
    const batch_json_t *v = NULL, *hv = NULL;
    const char *why = NULL;
    apr_status_t rv, hrv;

    rv = batch_json_parse(&v, &why, NULL, doc, len, BATCH_MAX_JSON_DEPTH, p);
    hrv = batch_json_parse_hooked(&hv, &why, NULL, doc, len,
                                  BATCH_MAX_JSON_DEPTH, mixed_hook, NULL, p);
    FUZZ_CHECK(rv == hrv);
    {
        walk_t w = {doc, 0};

        FUZZ_CHECK(batch_json_each_string(doc, len, BATCH_MAX_JSON_DEPTH,
                                          string_seen, &w, &why, p)
                   == rv);
        FUZZ_CHECK(rv != APR_SUCCESS || w.n == count_strings(v));
    }
    FUZZ_CHECK(
        rv != APR_SUCCESS
        || (hv->type == v->type && hv->start == v->start && hv->end == v->end));
    if (accepted) {
        FUZZ_CHECK(rv == APR_SUCCESS);
        FUZZ_CHECK(batch_util_json_valid(doc, len, BATCH_MAX_JSON_DEPTH));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    batch_limits_t lim;
    batch_error_t err;
    batch_t *b = NULL;
    unsigned sel;

    if (size < 1) {
        return 0;
    }
    sel = data[0];
    if ((sel & 0xC0) == 0xC0) {
        url_mode(data + 1, size - 1, p);
        apr_pool_clear(p);
        return 0;
    }
    /* bits 0-1 BatchBase, 2-3 BatchMaxRequests, 4 LimitRequestFields,
     * 5 LimitRequestFieldSize, 7 (with 6 clear) the "no limit" values */
    lim.base = bases[sel & 3];
    lim.max_requests = max_requests[(sel >> 2) & 3];
    lim.max_fields = max_fields[((sel >> 4) & 1) * 2 + ((sel >> 7) & 1)];
    lim.max_field_size =
        max_field_sizes[((sel >> 5) & 1) * 2 + ((sel >> 7) & 1)];
    lim.atomicity_ordered = !(sel & 0x40);
    /* each input twice: BatchReferences Off, then On (CONTRACT 10) */
    for (lim.references = 0; lim.references < 2; lim.references++) {
        memset(&err, 0, sizeof(err));
        if (batch_parse_request(&b, (const char *)data + 1, size - 1, &lim,
                                &err, p)
            == APR_SUCCESS) {
            check_batch(b, &lim, p);
            /* the OData order on top (CONTRACT 8): still a run order */
            batch_item_order(b, (int)(sel & 1), p);
            check_run_order(b, p);
            check_reader((const char *)data + 1, size - 1, 1, p);
        }
        else {
            FUZZ_CHECK(b == NULL);
            check_error(&err, p);
            check_reader((const char *)data + 1, size - 1, 0, p);
        }
        apr_pool_clear(p);
    }
    return 0;
}
