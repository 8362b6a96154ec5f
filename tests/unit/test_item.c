/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_item.c: unit tests of batch_item.c (the item rules every wire
 * format shares, called with plain pointers and lengths: the one
 * control-character rule, ids, methods, urls, headers, body types,
 * unique ids and dependsOn) and of the format seam (batch_format.c,
 * batch_format_json.c: lookup by Content-Type, the 415 text, output
 * pieces, and that the JSON writer's pieces are the response the
 * encoder makes).
 */

#include <string.h>

#include <apr_strings.h>

#include "unit.h"
#include "batch_item.h"
#include "batch_format.h"
#include "batch_encode.h"
#include "batch_refs.h"

static apr_pool_t *pool;
static batch_limits_t lim;
static batch_error_t err;
static batch_check_t chk;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
    lim.max_requests = 20;
    lim.base = "/api";
    lim.max_fields = 3;
    lim.max_field_size = 20;
    lim.references = 0;
    memset(&err, 0, sizeof(err));
    chk.p = pool;
    chk.tp = pool;
    chk.lim = &lim;
    chk.err = &err;
    chk.utf8_checked = 0;
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static batch_item_t *item(int index, const char *id)
{
    batch_item_t *it = apr_pcalloc(pool, sizeof(*it));

    it->index = index;
    it->id = id;
    it->headers = apr_table_make(pool, 4);
    return it;
}

/* The refusal fills err with 400 BadRequest, the field and a message
 * holding needle. */
static void refused(apr_status_t rv, const char *field, const char *needle)
{
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "BadRequest");
    ck_assert_str_eq(err.field, field);
    ck_assert_msg(strstr(err.message, needle) != NULL, "\"%s\" not in \"%s\"",
                  needle, err.message);
    memset(&err, 0, sizeof(err));
}

START_TEST(control_characters)
{
    static const struct {
        const char *s;
        int tab_ok;
        int ctl;
    } cases[] = {
        {"", 0, 0},
        {"plain text", 0, 0},
        {"a\tb", 1, 0},
        {"a\tb", 0, 1},
        {"a\rb", 1, 1},
        {"a\nb", 1, 1},
        {"\x01", 1, 1},
        {"\x1f", 1, 1},
        {"a\x7f", 1, 1},
        {"a\xc2\x80", 1, 1},    /* U+0080 */
        {"a\xc2\x85z", 1, 1},   /* NEL */
        {"\xc2\x9f", 1, 1},     /* U+009F */
        {"\xc2\xa0", 1, 0},     /* NBSP is no control */
        {"caf\xc3\xa9", 1, 0},  /* e acute */
        {"\xe2\x80\xa8", 1, 0}, /* U+2028: a separator, not C1 */
        {"a\xc2", 1, 0},        /* a lone lead byte at the end */
        {"\x85", 1, 0},         /* a raw byte, not UTF-8 C1 */
    };
    apr_size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        ck_assert_msg(
            batch_item_has_ctl(cases[k].s, strlen(cases[k].s), cases[k].tab_ok)
                == cases[k].ctl,
            "case %d", (int)k);
    }
    ck_assert(batch_item_has_ctl("a\0b", 3, 1));
    ck_assert_uint_eq(batch_item_ctl_at("\x01", 1), 1);
    ck_assert_uint_eq(batch_item_ctl_at("\xc2\x85", 2), 2);
    ck_assert_uint_eq(batch_item_ctl_at("\xc2\x85", 1), 0);
    ck_assert_uint_eq(batch_item_ctl_at("A", 1), 0);
}
END_TEST

START_TEST(item_ids)
{
    batch_item_t *it = item(3, NULL);
    char *longid = apr_palloc(pool, 258);

    ck_assert_int_eq(batch_item_set_id(&chk, it, "id", "a\xc3\xa9", 3),
                     APR_SUCCESS);
    ck_assert_str_eq(it->id, "a\xc3\xa9");
    refused(batch_item_set_id(&chk, it, "Content-ID", "", 0), "Content-ID",
            "requests[3]: \"Content-ID\" must not be empty");
    memset(longid, 'x', 257);
    refused(batch_item_set_id(&chk, it, "id", longid, 257), "id",
            "longer than 256 characters");
    ck_assert_int_eq(batch_item_set_id(&chk, it, "id", longid, 256),
                     APR_SUCCESS);
    refused(batch_item_set_id(&chk, it, "id", "\xff", 1), "id",
            "must be valid UTF-8");
    refused(batch_item_set_id(&chk, it, "id", "a\tb", 3), "id",
            "control characters");
    refused(batch_item_set_id(&chk, it, "id", "a\xc2\x85", 3), "id",
            "control characters");
    /* printable ASCII passes at a glance; DEL and the rest do not */
    ck_assert_int_eq(batch_item_set_id(&chk, it, "id", " a~", 3), APR_SUCCESS);
    ck_assert_str_eq(it->id, " a~");
    refused(batch_item_set_id(&chk, it, "id", "a\x7f", 2), "id",
            "control characters");
    memset(longid, '~', 256);
    longid[255] = '\x01';
    refused(batch_item_set_id(&chk, it, "id", longid, 256), "id",
            "control characters");
}
END_TEST

START_TEST(methods)
{
    batch_item_t *it = item(0, "1");

    ck_assert_int_eq(batch_item_set_method(&chk, it, "method", "patch", 5),
                     APR_SUCCESS);
    ck_assert_str_eq(it->method, "PATCH");
    refused(batch_item_set_method(&chk, it, "method", "G T", 3), "method",
            "requests[0] (id \"1\"): \"method\" \"G T\" is not an HTTP "
            "method token");
    refused(batch_item_set_method(&chk, it, "method", "GE\0T", 4), "method",
            "not an HTTP method token");
    refused(batch_item_set_method(&chk, it, "method", "", 0), "method",
            "not an HTTP method token");

    /* the common methods in any case, and near misses */
    {
        static const struct {
            const char *in, *want;
        } cases[] = {
            {"gEt", "GET"},         {"put", "PUT"},       {"Post", "POST"},
            {"head", "HEAD"},       {"PATCH", "PATCH"},   {"delete", "DELETE"},
            {"options", "OPTIONS"}, {"gets", "GETS"},     {"pux", "PUX"},
            {"dELETEs", "DELETES"}, {"option", "OPTION"}, {"copy", "COPY"},
        };
        apr_size_t k;

        for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            ck_assert_int_eq(batch_item_set_method(&chk, it, "method",
                                                   cases[k].in,
                                                   strlen(cases[k].in)),
                             APR_SUCCESS);
            ck_assert_str_eq(it->method, cases[k].want);
        }
    }
    /* a byte that folds onto no letter: 0xC7 & ~0x20 is not 'G' */
    refused(batch_item_set_method(&chk, it, "method",
                                  "\xc7"
                                  "ET",
                                  3),
            "method", "not an HTTP method token");
    refused(batch_item_set_method(&chk, it, "method", "GE\x14", 3), "method",
            "not an HTTP method token");
    refused(batch_item_set_method(&chk, it, "method", "PU@", 3), "method",
            "not an HTTP method token");
}
END_TEST

START_TEST(urls)
{
    batch_item_t *it = item(0, "1");

    ck_assert_int_eq(batch_item_set_url(&chk, it, "url", "x/../y?q=1", 10),
                     APR_SUCCESS);
    ck_assert_str_eq(it->url, "x/../y?q=1");
    ck_assert_str_eq(it->uri, "/api/y?q=1");
    refused(batch_item_set_url(&chk, it, "target", "/a#b", 4), "target",
            "\"target\" must not contain a fragment");
    refused(batch_item_set_url(&chk, it, "url", "/a\0b", 4), "url",
            "must not contain control characters");
    refused(batch_item_set_url(&chk, it, "url", "/a\xc2\x85", 4), "url",
            "must not contain control characters");
    refused(batch_item_set_url(&chk, it, "url", "/../x", 5), "url",
            "lies outside the batch base");
}
END_TEST

START_TEST(headers)
{
    batch_item_t *it = item(1, "b");

    ck_assert_int_eq(
        batch_item_add_header(&chk, it, "headers", "X-A", 3, "a\tb\xc2\xa0", 5),
        APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(it->headers, "x-a"), "a\tb\xc2\xa0");
    refused(
        batch_item_add_header(&chk, it, "headers", "X-A", 3, "a\xc2\x85", 3),
        "headers", "the value of \"X-A\" contains a control character");
    refused(batch_item_add_header(&chk, it, "headers", "X-A", 3, "a\rb", 3),
            "headers", "control character");
    refused(batch_item_add_header(&chk, it, "headers", "host", 4, "x", 1),
            "headers", "\"host\" may not be set by an item");
    refused(batch_item_add_header(&chk, it, "headers", "A B", 3, "x", 1),
            "headers", "\"A B\" is not a valid header name");
    refused(batch_item_add_header(&chk, it, "headers", "X\0Y", 3, "x", 1),
            "headers", "is not a valid header name");
    /* 3 + 2 + 16 = 21 > 20 */
    refused(batch_item_add_header(&chk, it, "headers", "X-L", 3,
                                  "0123456789abcdef", 16),
            "headers", "longer than the server allows (20 bytes)");
    /* NULL value: only the name is checked, nothing is added */
    ck_assert_int_eq(
        batch_item_add_header(&chk, it, "headers", "X-N", 3, NULL, 0),
        APR_SUCCESS);
    ck_assert_ptr_null(apr_table_get(it->headers, "X-N"));
    ck_assert_int_eq(batch_item_check_nheaders(&chk, it, "headers", 3),
                     APR_SUCCESS);
    refused(batch_item_check_nheaders(&chk, it, "headers", 4), "headers",
            "holds 4 headers, more than the server allows (3)");
    ck_assert(batch_item_forbidden_header("TRANSFER-encoding"));
    ck_assert(!batch_item_forbidden_header("Accept"));
}
END_TEST

START_TEST(body_types)
{
    batch_item_t *it = item(0, "1");

    ck_assert_int_eq(batch_item_body_type(it, 1), BATCH_MEDIA_TEXT);
    ck_assert_int_eq(it->has_body, 1);
    ck_assert_str_eq(it->body_type, "text/plain; charset=utf-8");
    ck_assert_int_eq(batch_item_body_type(it, 0), BATCH_MEDIA_JSON);
    ck_assert_str_eq(it->body_type, "application/json");
    apr_table_setn(it->headers, "content-type", "image/png");
    ck_assert_int_eq(batch_item_body_type(it, 1), BATCH_MEDIA_BINARY);
    ck_assert_str_eq(it->body_type, "image/png");
}
END_TEST

/* A batch of n items (item() each): item i has the id ids[i], or "i"
 * when ids is NULL, and the group groups[i] (or none). */
static batch_t *batch_of(int n, const char *const *ids,
                         const char *const *groups)
{
    batch_t *b = apr_pcalloc(pool, sizeof(*b));
    int i;

    b->nitems = n;
    b->items = apr_pcalloc(pool, (apr_size_t)n * sizeof(batch_item_t));
    for (i = 0; i < n; i++) {
        b->items[i] = *item(i, ids ? ids[i] : apr_itoa(pool, i));
        b->items[i].group = groups ? groups[i] : NULL;
    }
    return b;
}

START_TEST(ids_and_deps)
{
    batch_ids_t *ids = batch_ids_make(pool);
    batch_item_t *it = item(2, "c");
    static const char *const xyx[] = {"x", "y", "X"};
    batch_t *b = batch_of(3, xyx, NULL);

    batch_ids_add(ids, "Alpha", 5, 0);
    batch_ids_add(ids, "b", 1, 1);
    batch_ids_add(ids, "c", 1, 2);
    batch_ids_add(ids, "ALPHA", 5, 3); /* the first index stays */
    batch_ids_add(ids, "d", 1, 4);
    ck_assert_int_eq(batch_ids_find(ids, "alpha", 5), 0);
    ck_assert_int_eq(batch_ids_find(ids, "nope", 4), -1);
    batch_ids_set(ids, "b", 1, 7); /* replaces */
    ck_assert_int_eq(batch_ids_find(ids, "B", 1), 7);
    batch_ids_set(ids, "b", 1, 1);

    it->deps = apr_pcalloc(pool, 4 * sizeof(int));
    ck_assert_int_eq(batch_item_add_dep(&chk, ids, it, "dependsOn", "b", 1),
                     APR_SUCCESS);
    ck_assert_int_eq(batch_item_add_dep(&chk, ids, it, "dependsOn", "B", 1),
                     APR_SUCCESS);
    ck_assert_int_eq(batch_item_add_dep(&chk, ids, it, "dependsOn", "aLpHa", 5),
                     APR_SUCCESS);
    ck_assert_int_eq(it->ndeps, 2);
    ck_assert_int_eq(it->deps[0], 1);
    ck_assert_int_eq(it->deps[1], 0);
    refused(batch_item_add_dep(&chk, ids, it, "dependsOn", "C", 1), "dependsOn",
            "names the item itself");
    refused(batch_item_add_dep(&chk, ids, it, "dependsOn", "d", 1), "dependsOn",
            "a later item (requests[4])");
    refused(batch_item_add_dep(&chk, ids, it, "dependsOn", "x", 1), "dependsOn",
            "names an unknown id \"x\"");

    ck_assert_int_eq(batch_item_check_unique(&chk, ids, item(0, "ALPHA"), "id"),
                     APR_SUCCESS);
    refused(batch_item_check_unique(&chk, ids, item(3, "ALPHA"), "id"), "id",
            "duplicates the id of requests[0]");

    b->nitems = 2;
    ck_assert_int_eq(batch_check_unique_ids(&chk, b, "Content-ID"),
                     APR_SUCCESS);
    b->nitems = 3;
    refused(batch_check_unique_ids(&chk, b, "Content-ID"), "Content-ID",
            "requests[2] (id \"X\"): \"Content-ID\" duplicates the id of "
            "requests[0]");
}
END_TEST

/* CONTRACT 10 through the item API, as a format other than JSON uses it:
 * urls and header values with its own field names, dependencies set by
 * the format (every earlier item, as OData multipart does). */
START_TEST(references)
{
    batch_ids_t *ids = batch_ids_make(pool);
    batch_item_t *it = item(2, "<c>");
    apr_array_header_t *found;
    batch_refs_id_t *e;

    lim.references = 1;
    lim.max_field_size = 100;
    batch_ids_add(ids, "<a>", 3, 0);
    batch_ids_add(ids, "b", 1, 1);
    batch_ids_add(ids, "<c>", 3, 2);
    ck_assert_int_eq(
        batch_item_set_url(&chk, it, "target", "$<a>/x?q=@{b.id}", 16),
        APR_SUCCESS);
    ck_assert_str_eq(it->uri, "/api/-/x?q=-");
    ck_assert_int_eq(
        batch_item_add_header(&chk, it, "header", "X-A", 3, "1 @{<A>.n}", 10),
        APR_SUCCESS);
    ck_assert_int_eq(
        batch_item_add_header(&chk, it, "header", "X-B", 3, "@", 1),
        APR_SUCCESS);
    ck_assert_uint_eq(it->refs, BATCH_ITEM_REFS_URL | BATCH_ITEM_REFS_HEADERS);
    refused(batch_item_add_header(&chk, it, "header", "X-C", 3, "@{b.}", 5),
            "header", "the value of \"X-C\" holds a malformed reference");
    refused(batch_item_set_url(&chk, item(2, "<c>"), "target", "/@{b", 4),
            "target", "\"target\" holds a malformed reference \"@{b\"");
    /* no dependencies: every reference is a 400 naming the field */
    refused(batch_item_check_refs(&chk, ids, it, "target", "header"), "target",
            "refers to \"<a>\", which is not in \"dependsOn\"");
    it->deps = apr_pcalloc(pool, 2 * sizeof(int));
    it->deps[it->ndeps++] = 1;
    refused(batch_item_check_refs(&chk, ids, it, "target", "header"), "target",
            "refers to \"<a>\"");
    it->deps[it->ndeps++] = 0;
    it->nrefs = 0;
    ck_assert_int_eq(batch_item_check_refs(&chk, ids, it, "target", "header"),
                     APR_SUCCESS);
    ck_assert_int_eq(it->nrefs, 2);
    ck_assert_int_eq(it->refd[0], 0);
    ck_assert_int_eq(it->refd[1], 1);
    /* a format's own field */
    found = apr_array_make(pool, 2, sizeof(batch_refs_id_t));
    e = apr_array_push(found);
    e->id = "B";
    e->len = 1;
    ck_assert_int_eq(
        batch_item_add_refs(&chk, ids, it, "body", BATCH_ITEM_REFS_BODY, found),
        APR_SUCCESS);
    ck_assert_int_eq(it->nrefs, 2);
    ck_assert(it->refs & BATCH_ITEM_REFS_BODY);
    e->id = "<c>";
    e->len = 3;
    refused(
        batch_item_add_refs(&chk, ids, it, "body", BATCH_ITEM_REFS_BODY, found),
        "body", "refers to \"<c>\"");
    /* an item without references costs nothing and needs no deps */
    ck_assert_int_eq(batch_item_check_refs(&chk, ids, item(1, "b"), "t", "h"),
                     APR_SUCCESS);
    /* Off: nothing is read */
    lim.references = 0;
    it = item(2, "<c>");
    ck_assert_int_eq(batch_item_set_url(&chk, it, "target", "/@{b", 4),
                     APR_SUCCESS);
    ck_assert_int_eq(batch_item_add_header(&chk, it, "header", "X", 1, "@{", 2),
                     APR_SUCCESS);
    ck_assert_uint_eq(it->refs, 0);
}
END_TEST

START_TEST(format_lookup)
{
    ck_assert_ptr_eq(batch_format_for("application/json"), &batch_format_json);
    ck_assert_ptr_eq(batch_format_for("Application/JSON; charset=utf-8"),
                     &batch_format_json);
    ck_assert_ptr_eq(batch_format_for("application/vnd.x+json"),
                     &batch_format_json);
    ck_assert_ptr_null(batch_format_for("text/json"));
    ck_assert_ptr_null(batch_format_for("text/plain"));
    ck_assert_ptr_null(batch_format_for(""));
    ck_assert_ptr_null(batch_format_for(NULL));
    ck_assert_ptr_eq(batch_format_for("multipart/mixed; boundary=b"),
                     &batch_format_multipart);
    ck_assert_ptr_eq(batch_format_for("Multipart/Mixed"),
                     &batch_format_multipart);
    ck_assert_ptr_null(batch_format_for("multipart/form-data; boundary=b"));
    ck_assert_ptr_eq(batch_format_default(), &batch_format_json);
    ck_assert_str_eq(batch_format_accepted(pool),
                     "the batch request must have Content-Type "
                     "application/json or multipart/mixed");
}
END_TEST

START_TEST(out_pieces)
{
    batch_out_t out;
    int k;

    out.n = 0;
    ck_assert_int_eq(batch_out_add(&out, "", 0), APR_SUCCESS);
    ck_assert_int_eq(out.n, 0);
    ck_assert_int_eq(batch_out_static(&out, ","), APR_SUCCESS);
    ck_assert_int_eq(out.n, 1);
    ck_assert_int_eq(out.v[0].is_static, 1);
    ck_assert_uint_eq(out.v[0].len, 1);
    for (k = 1; k < BATCH_OUT_MAX; k++) {
        ck_assert_int_eq(batch_out_add(&out, "ab", 2), APR_SUCCESS);
    }
    ck_assert_int_eq(out.v[1].is_static, 0);
    ck_assert_int_eq(batch_out_add(&out, "ab", 2), APR_ENOSPC);
}
END_TEST

/* Everything in out, joined. */
static const char *joined(const batch_out_t *out)
{
    const char *s = "";
    int k;

    for (k = 0; k < out->n; k++) {
        s = apr_pstrcat(
            pool, s, apr_pstrmemdup(pool, out->v[k].data, out->v[k].len), NULL);
    }
    return s;
}

/* The JSON writer's pieces are {"responses":[ item , item ]} with each
 * item exactly batch_encode_item()'s text. */
START_TEST(json_writer)
{
    const batch_format_t *f = &batch_format_json;
    static const char *const ids[] = {"1", "2"};
    batch_t *b = batch_of(2, ids, NULL);
    batch_result_t res;
    batch_out_t out;
    batch_request_t req;
    apr_table_t *hout = apr_table_make(pool, 2);
    void *state = NULL;
    const char *ctype = NULL, *e1, *e2, *body;
    apr_size_t l1, l2;
    batch_error_t berr;

    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    res.status = 200;
    res.content_type = "text/plain";
    res.body = "hi";
    res.body_len = 2;
    batch_encode_item(&e1, &l1, "1", &res, pool);
    batch_encode_item(&e2, &l2, "2", &res, pool);

    out.n = 0;
    ck_assert_int_eq(f->open(&state, &ctype, hout, &out, b, &req, pool),
                     APR_SUCCESS);
    ck_assert_str_eq(ctype, "application/json");
    ck_assert(apr_is_empty_table(hout));
    ck_assert_int_eq(f->item(state, &out, b, &b->items[0], &res, pool),
                     APR_SUCCESS);
    ck_assert_str_eq(joined(&out),
                     apr_pstrcat(pool, BATCH_ENCODE_OPEN, e1, NULL));
    out.n = 0;
    ck_assert_int_eq(f->item(state, &out, b, &b->items[1], &res, pool),
                     APR_SUCCESS);
    ck_assert_str_eq(joined(&out), apr_pstrcat(pool, ",", e2, NULL));
    /* CONTRACT 9: the group as sent, JSON-escaped, as the last member */
    out.n = 0;
    b->items[1].group = "G\"1";
    ck_assert_int_eq(f->item(state, &out, b, &b->items[1], &res, pool),
                     APR_SUCCESS);
    ck_assert_str_eq(joined(&out),
                     apr_pstrcat(pool, ",", apr_pstrndup(pool, e2, l2 - 1),
                                 ",\"atomicityGroup\":\"G\\\"1\"}", NULL));
    out.n = 0;
    ck_assert_int_eq(f->close(state, &out, b, pool), APR_SUCCESS);
    ck_assert_str_eq(joined(&out), BATCH_ENCODE_CLOSE);

    memset(&berr, 0, sizeof(berr));
    berr.status = 400;
    berr.code = "BadRequest";
    berr.message = "m";
    berr.index = -1;
    body = f->error(&berr, &ctype, pool);
    ck_assert_str_eq(ctype, "application/json");
    ck_assert_str_eq(body, batch_encode_error(&berr, pool));
}
END_TEST

/* The JSON format's parse is batch_parse_request(): the same batch. */
START_TEST(json_parse)
{
    static const char doc[] =
        "{\"requests\":[{\"id\":\"1\",\"method\":\"get\",\"url\":\"x\","
        "\"headers\":{\"X-A\":\"v\"}}]}";
    batch_request_t req;
    batch_t *b = NULL;

    memset(&req, 0, sizeof(req));
    req.content_type = "application/json";
    ck_assert_int_eq(batch_format_json.parse(&b, doc, sizeof(doc) - 1, &req,
                                             &lim, &err, pool),
                     APR_SUCCESS);
    ck_assert_int_eq(b->nitems, 1);
    ck_assert_str_eq(b->items[0].method, "GET");
    ck_assert_str_eq(b->items[0].uri, "/api/x");
    ck_assert_str_eq(apr_table_get(b->items[0].headers, "X-A"), "v");
    ck_assert_ptr_null(b->items[0].group);
    ck_assert_ptr_null(b->items[0].wire);
}
END_TEST

static void deps_are(const batch_item_t *it, int n, int d0)
{
    ck_assert_int_eq(it->ndeps, n);
    if (n) {
        ck_assert_int_eq(it->deps[0], d0);
    }
}

START_TEST(groups)
{
    static const char *const g[] = {NULL, "cs", "CS", "cs", "x", NULL};
    static const char *const apart[] = {"g", NULL, "g"};
    static const char *const clash[] = {NULL, "0"};
    batch_t *b = batch_of(6, NULL, g);

    lim.atomicity_ordered = 0;
    refused(batch_item_groups(b, &chk), "atomicityGroup",
            "requests[1] (id \"1\"): \"atomicityGroup\" \"cs\": this server "
            "refuses atomicity groups (BatchAtomicity Refuse)");
    lim.atomicity_ordered = 1;
    ck_assert_int_eq(batch_item_groups(b, &chk), APR_SUCCESS);
    deps_are(&b->items[0], 0, 0);
    deps_are(&b->items[1], 0, 0);
    deps_are(&b->items[2], 1, 1);
    deps_are(&b->items[3], 1, 2);
    deps_are(&b->items[4], 0, 0);
    deps_are(&b->items[5], 0, 0);
    refused(batch_item_groups(batch_of(3, NULL, apart), &chk), "atomicityGroup",
            "requests[2] (id \"2\"): \"atomicityGroup\" \"g\" is also the "
            "group of requests[0]");
    refused(batch_item_groups(batch_of(2, NULL, clash), &chk), "atomicityGroup",
            "is also the id of requests[0]");
    ck_assert_int_eq(batch_item_groups(batch_of(2, NULL, NULL), &chk),
                     APR_SUCCESS);
}
END_TEST

START_TEST(odata_order)
{
    static const char *const g[] = {NULL, "cs", "cs", NULL, "x"};
    batch_t *b = batch_of(5, NULL, g);
    int k;

    lim.atomicity_ordered = 1;
    ck_assert_int_eq(batch_item_groups(b, &chk), APR_SUCCESS);
    batch_item_order(b, 0, pool); /* continue-on-error: ordering only */
    ck_assert_int_eq(b->items[0].after, 0);
    ck_assert_int_eq(b->items[1].after, 1);
    ck_assert_int_eq(b->items[2].after, 0); /* inside the group */
    ck_assert_int_eq(b->items[3].after, 3);
    ck_assert_int_eq(b->items[4].after, 4);
    deps_are(&b->items[1], 0, 0);
    deps_are(&b->items[2], 1, 1);
    deps_are(&b->items[3], 0, 0);

    b = batch_of(5, NULL, g);
    ck_assert_int_eq(batch_item_groups(b, &chk), APR_SUCCESS);
    batch_item_order(b, 1, pool); /* stop at the first failure */
    for (k = 0; k < 5; k++) {
        ck_assert_int_eq(b->items[k].after, 0);
        deps_are(&b->items[k], k ? 1 : 0, k - 1);
    }
}
END_TEST

START_TEST(depends_on_group)
{
    static const char *const g[] = {"g", "g", NULL, "h"};
    batch_t *b = batch_of(4, NULL, g);
    batch_ids_t *ids = batch_ids_make(pool);
    batch_item_t *it = &b->items[2];
    int k;

    for (k = 0; k < 4; k++) {
        batch_ids_add(ids, b->items[k].id, 1, k);
        batch_ids_add_group(ids, g[k] ? g[k] : "-", 1, k);
    }
    it->deps = apr_pcalloc(pool, 2 * sizeof(int));
    ck_assert_int_eq(batch_item_add_dep(&chk, ids, it, "dependsOn", "G", 1),
                     APR_SUCCESS);
    ck_assert_int_eq(it->ndeps, 2);
    ck_assert_int_eq(it->deps[0], 0);
    ck_assert_int_eq(it->deps[1], 1);
    ck_assert_int_eq(batch_item_add_dep(&chk, ids, it, "dependsOn", "1", 1),
                     APR_SUCCESS);
    ck_assert_int_eq(it->ndeps, 2);
    refused(batch_item_add_dep(&chk, ids, it, "dependsOn", "h", 1), "dependsOn",
            "a later item (requests[3])");
    refused(batch_item_add_dep(&chk, ids, &b->items[1], "dependsOn", "g", 1),
            "dependsOn", "own atomicity group");
}
END_TEST

Suite *batch_item_suite(void)
{
    Suite *s = suite_create("item");
    TCase *tc = tcase_create("item");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, control_characters);
    tcase_add_test(tc, item_ids);
    tcase_add_test(tc, methods);
    tcase_add_test(tc, urls);
    tcase_add_test(tc, headers);
    tcase_add_test(tc, body_types);
    tcase_add_test(tc, ids_and_deps);
    tcase_add_test(tc, references);
    tcase_add_test(tc, format_lookup);
    tcase_add_test(tc, out_pieces);
    tcase_add_test(tc, json_writer);
    tcase_add_test(tc, json_parse);
    tcase_add_test(tc, groups);
    tcase_add_test(tc, odata_order);
    tcase_add_test(tc, depends_on_group);
    suite_add_tcase(s, tc);
    return s;
}
