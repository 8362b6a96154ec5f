/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_parse.c: unit tests of batch_parse.c: every batch-level 400 of
 * CONTRACT 3 (each checked for status, code and a message naming the
 * item and field), url resolution under BatchBase, BatchBase itself,
 * item bodies to bytes (CONTRACT 5), and what a valid batch turns into.
 */

#include <string.h>

#include <apr_strings.h>

#include "unit.h"
#include "batch_parse.h"

static apr_pool_t *pool;
static batch_limits_t lim;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
    lim.max_requests = 20;
    lim.base = "";
    lim.max_fields = 100;
    lim.max_field_size = 8190;
    lim.atomicity_ordered = 0;
    lim.references = 0;
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

static batch_t *parse_ok_n(const char *json, apr_size_t len)
{
    batch_t *b = NULL;
    batch_error_t err;

    memset(&err, 0, sizeof(err));
    ck_assert_msg(batch_parse_request(&b, json, len, &lim, &err, pool)
                      == APR_SUCCESS,
                  "refused: %s\n  input: %s", err.message, json);
    ck_assert_ptr_nonnull(b);
    return b;
}

static batch_t *parse_ok(const char *json)
{
    return parse_ok_n(json, strlen(json));
}

/* One item with the given members after id/method/url. */
static const char *one(const char *extra)
{
    return apr_pstrcat(pool,
                       "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\","
                       "\"url\":\"/x\"",
                       extra, "}]}", NULL);
}

/* The refusal: status 400, BadRequest, the index (-1: batch level), the
 * id when given, the field (NULL: none), and that the message holds the
 * "requests[i]" prefix, the id, the quoted field and `needle`. */
static void refuse_n(const char *json, apr_size_t len, int index,
                     const char *id, const char *field, const char *needle)
{
    batch_t *b = (batch_t *)1;
    batch_error_t err;
    apr_status_t rv;

    memset(&err, 0, sizeof(err));
    rv = batch_parse_request(&b, json, len, &lim, &err, pool);
    ck_assert_msg(rv == APR_EINVAL, "accepted: %s", json);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "BadRequest");
    ck_assert_ptr_nonnull(err.message);
    ck_assert_msg(err.index == index, "index %d, want %d: %s", err.index, index,
                  err.message);
    if (index >= 0) {
        const char *pre = apr_psprintf(pool, "requests[%d]", index);
        ck_assert_msg(!strncmp(err.message, pre, strlen(pre)),
                      "message '%s' lacks '%s'", err.message, pre);
    }
    if (id) {
        ck_assert_ptr_nonnull(err.item_id);
        ck_assert_str_eq(err.item_id, id);
        ck_assert_msg(strstr(err.message, apr_psprintf(pool, "(id \"%s\")", id))
                          != NULL,
                      "message '%s' lacks id '%s'", err.message, id);
    }
    else {
        ck_assert_ptr_null(err.item_id);
    }
    if (field) {
        ck_assert_ptr_nonnull(err.field);
        ck_assert_str_eq(err.field, field);
        ck_assert_msg(strstr(err.message, apr_psprintf(pool, "\"%s\"", field))
                          != NULL,
                      "message '%s' lacks field '%s'", err.message, field);
    }
    else {
        ck_assert_ptr_null(err.field);
    }
    ck_assert_msg(strstr(err.message, needle) != NULL,
                  "message '%s' lacks '%s'", err.message, needle);
}

static void refuse(const char *json, int index, const char *id,
                   const char *field, const char *needle)
{
    refuse_n(json, strlen(json), index, id, field, needle);
}

/* ------------------------------------------------------------------ */
/* the document                                                       */
/* ------------------------------------------------------------------ */

START_TEST(valid_batch)
{
    batch_t *b = parse_ok(
        "{\"@odata.context\":\"x\",\"requests\":["
        "{\"id\":\"1\",\"method\":\"get\",\"url\":\"/"
        "products?skip=0&limit=1\"},"
        "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"products/1\"},"
        "{\"id\":\"3\",\"method\":\"POST\",\"url\":\"/products\","
        "\"headers\":{\"Content-Type\":\"application/json\",\"X-A\":\"b\"},"
        "\"body\":{\"title\":\"Test / Product\"},\"dependsOn\":[\"2\"]}]}");

    ck_assert_int_eq(b->nitems, 3);
    ck_assert_int_eq(b->items[0].index, 0);
    ck_assert_str_eq(b->items[0].id, "1");
    ck_assert_str_eq(b->items[0].method, "GET");
    ck_assert_str_eq(b->items[0].url, "/products?skip=0&limit=1");
    ck_assert_str_eq(b->items[0].uri, "/products?skip=0&limit=1");
    ck_assert_ptr_nonnull(b->items[0].headers);
    ck_assert(apr_is_empty_table(b->items[0].headers));
    ck_assert_int_eq(b->items[0].has_body, 0);
    ck_assert_ptr_null(b->items[0].body_type);
    ck_assert_int_eq(b->items[0].ndeps, 0);
    ck_assert_str_eq(b->items[1].uri, "/products/1");
    ck_assert_int_eq(b->items[2].index, 2);
    ck_assert_str_eq(b->items[2].method, "POST");
    ck_assert_str_eq(apr_table_get(b->items[2].headers, "x-a"), "b");
    ck_assert_int_eq(b->items[2].has_body, 1);
    ck_assert_str_eq(b->items[2].body_type, "application/json");
    ck_assert_uint_eq(b->items[2].body_len, 26);
    ck_assert_mem_eq(b->items[2].body, "{\"title\":\"Test / Product\"}", 26);
    ck_assert_int_eq(b->items[2].ndeps, 1);
    ck_assert_int_eq(b->items[2].deps[0], 1);
}
END_TEST

START_TEST(not_json)
{
    refuse("", -1, NULL, NULL, "not valid JSON");
    refuse("{", -1, NULL, NULL, "not valid JSON");
    refuse("{\"requests\":[}", -1, NULL, NULL, "not valid JSON");
    refuse("{\"requests\":[],}", -1, NULL, NULL, "not valid JSON");
    refuse("{\"requests\":[]} x", -1, NULL, NULL, "not valid JSON");
    refuse("{\"requests\":[]} ]", -1, NULL, NULL, "not valid JSON");
    refuse("{\"requests\":[]}{}", -1, NULL, NULL, "not valid JSON");
    refuse(one(",\"body\":NaN"), -1, NULL, NULL, "not valid JSON");
    refuse(one(",\"body\":1."), -1, NULL, NULL, "not valid JSON");
    refuse(one(",\"body\":\"a\tb\""), -1, NULL, NULL, "control character");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\","
           "\"id\\u0000x\":1}]}",
           -1, NULL, NULL, "member name");
}
END_TEST

START_TEST(not_utf8)
{
    static const char nul[] = "{\"requests\":[{\"id\":\"a\0\",\"method\":"
                              "\"GET\",\"url\":\"/\"}]}";
    static const char nul_after[] = "{\"requests\":[]}\0";

    refuse_n(nul, sizeof(nul) - 1, -1, NULL, NULL, "NUL");
    refuse_n(nul_after, sizeof(nul_after) - 1, -1, NULL, NULL, "NUL");
    refuse(one(",\"body\":\"\xc0\x80\""), -1, NULL, NULL, "UTF-8");
    refuse(one(",\"body\":\"\xed\xa0\x80\""), -1, NULL, NULL, "UTF-8");
    refuse(one(",\"body\":\"\xf4\x90\x80\x80\""), -1, NULL, NULL, "UTF-8");
    refuse(one(",\"body\":\"\xe2\x82\""), -1, NULL, NULL, "UTF-8");
    refuse(one(",\"body\":\"caf\xe9\""), -1, NULL, NULL, "UTF-8");
}
END_TEST

START_TEST(depth_64_not_65)
{
    /* top object, "requests", the item: 3 levels before the body */
    const char *ok =
        one(apr_pstrcat(pool, ",\"body\":", unit_nested(pool, 61), NULL));
    const char *deep =
        one(apr_pstrcat(pool, ",\"body\":", unit_nested(pool, 62), NULL));
    batch_t *b = parse_ok(ok);

    ck_assert_uint_eq(b->items[0].body_len, 122);
    ck_assert_mem_eq(b->items[0].body, unit_nested(pool, 61), 122);
    refuse(deep, -1, NULL, NULL, "nested deeper than 64 levels");
}
END_TEST

START_TEST(top_level)
{
    refuse("[]", -1, NULL, NULL, "must be a JSON object");
    refuse("\"requests\"", -1, NULL, NULL, "must be a JSON object");
    refuse("null", -1, NULL, NULL, "must be a JSON object");
    refuse("12", -1, NULL, NULL, "must be a JSON object");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/\"}],"
           "\"atomicityGroup\":1}",
           -1, NULL, "atomicityGroup", "unknown member");
    refuse("{\"Requests\":[]}", -1, NULL, "Requests", "unknown member");
    refuse("{}", -1, NULL, "requests", "is required");
    refuse("{\"@odata.type\":\"x\"}", -1, NULL, "requests", "is required");
    refuse("{\"requests\":{}}", -1, NULL, "requests", "must be an array");
    refuse("{\"requests\":null}", -1, NULL, "requests", "must be an array");
    refuse("{\"requests\":[]}", -1, NULL, "requests", "is empty");
}
END_TEST

START_TEST(too_many_items)
{
    static const char three[] =
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/\"},"
        "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/\"},"
        "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/\"}]}";

    lim.max_requests = 3;
    ck_assert_int_eq(parse_ok(three)->nitems, 3);
    lim.max_requests = 2;
    refuse(three, -1, NULL, "requests", "holds more than the 2 items allowed");
}
END_TEST

START_TEST(item_shape)
{
    refuse("{\"requests\":[1]}", 0, NULL, NULL, "must be an object");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/\"},"
           "[]]}",
           1, NULL, NULL, "must be an object");
    refuse(one(",\"depends_on\":[]"), 0, "1", "depends_on", "unknown member");
    refuse(one(",\"atomicitygroup\":\"g\""), 0, "1", "atomicitygroup",
           "unknown member");
    refuse(one(",\"dependson\":[]"), 0, "1", "dependson", "unknown member");
    refuse(one(",\"Body\":{}"), 0, "1", "Body", "unknown member");
}
END_TEST

START_TEST(required_fields)
{
    refuse("{\"requests\":[{\"method\":\"GET\",\"url\":\"/\"}]}", 0, NULL, "id",
           "is required");
    refuse("{\"requests\":[{\"id\":\"a\",\"url\":\"/\"}]}", 0, "a", "method",
           "is required");
    refuse("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\"}]}", 0, "a", "url",
           "is required");
}
END_TEST

START_TEST(ids)
{
    const char *id256 = "", *id257;
    batch_t *b;
    int i;

    refuse("{\"requests\":[{\"id\":1,\"method\":\"GET\",\"url\":\"/\"}]}", 0,
           NULL, "id", "must be a string");
    refuse("{\"requests\":[{\"id\":null,\"method\":\"GET\",\"url\":\"/\"}]}", 0,
           NULL, "id", "must be a string");
    refuse("{\"requests\":[{\"id\":\"\",\"method\":\"GET\",\"url\":\"/\"}]}", 0,
           NULL, "id", "must not be empty");
    refuse("{\"requests\":[{\"id\":\"a\\u0001\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           0, NULL, "id", "control characters");
    refuse("{\"requests\":[{\"id\":\"a\\tb\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           0, NULL, "id", "control characters");
    refuse("{\"requests\":[{\"id\":\"a\\u0000\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           0, NULL, "id", "control characters");
    refuse("{\"requests\":[{\"id\":\"a\x7f\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           0, NULL, "id", "control characters");
    refuse("{\"requests\":[{\"id\":\"a\\u0085\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           0, NULL, "id", "control characters");
    refuse("{\"requests\":[{\"id\":\"a\xc2\x9f\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           0, NULL, "id", "control characters");

    /* 256 characters (512 bytes) are fine, 257 are not */
    for (i = 0; i < 256; i++) {
        id256 = apr_pstrcat(pool, id256, "\xc3\xa9", NULL);
    }
    id257 = apr_pstrcat(pool, id256, "x", NULL);
    b = parse_ok(apr_pstrcat(pool, "{\"requests\":[{\"id\":\"", id256,
                             "\",\"method\":\"GET\",\"url\":\"/\"}]}", NULL));
    ck_assert_str_eq(b->items[0].id, id256);
    refuse(apr_pstrcat(pool, "{\"requests\":[{\"id\":\"", id257,
                       "\",\"method\":\"GET\",\"url\":\"/\"}]}", NULL),
           0, NULL, "id", "longer than 256 characters");

    /* case-insensitive duplicates */
    refuse("{\"requests\":[{\"id\":\"abc\",\"method\":\"GET\",\"url\":\"/\"},"
           "{\"id\":\"x\",\"method\":\"GET\",\"url\":\"/\"},"
           "{\"id\":\"ABC\",\"method\":\"GET\",\"url\":\"/\"}]}",
           2, "ABC", "id", "duplicates the id of requests[0]");
}
END_TEST

START_TEST(id_escaped_in_message)
{
    batch_error_t err;
    batch_t *b;
    static const char json[] =
        "{\"requests\":[{\"id\":\"a\\\"b\\\\\",\"method\":1,\"url\":\"/\"}]}";

    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(
        batch_parse_request(&b, json, sizeof(json) - 1, &lim, &err, pool),
        APR_EINVAL);
    ck_assert_str_eq(err.item_id, "a\"b\\");
    ck_assert_str_eq(err.message,
                     "requests[0] (id \"a\\\"b\\\\\"): \"method\" must be a "
                     "string, not a number");
}
END_TEST

START_TEST(methods)
{
    batch_t *b = parse_ok(
        "{\"requests\":[{\"id\":\"1\",\"method\":\"patch\",\"url\":\"/\"},"
        "{\"id\":\"2\",\"method\":\"PROPFIND\",\"url\":\"/\"},"
        "{\"id\":\"3\",\"method\":\"TRACE\",\"url\":\"/\"}]}");

    ck_assert_str_eq(b->items[0].method, "PATCH");
    ck_assert_str_eq(b->items[1].method, "PROPFIND");
    ck_assert_str_eq(b->items[2].method, "TRACE"); /* 405 comes later */

    refuse("{\"requests\":[{\"id\":\"1\",\"method\":[],\"url\":\"/\"}]}", 0,
           "1", "method", "must be a string");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GE T\",\"url\":\"/\"}]}",
           0, "1", "method", "not an HTTP method token");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"\",\"url\":\"/\"}]}", 0,
           "1", "method", "not an HTTP method token");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\\u0000\","
           "\"url\":\"/\"}]}",
           0, "1", "method", "not an HTTP method token");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"G\xc3\xa9T\","
           "\"url\":\"/\"}]}",
           0, "1", "method", "not an HTTP method token");
}
END_TEST

/* ------------------------------------------------------------------ */
/* urls                                                               */
/* ------------------------------------------------------------------ */

static void url_ok(const char *base, const char *url, const char *want)
{
    const char *uri = NULL, *why = NULL;
    ck_assert_msg(batch_parse_resolve_url(&uri, &why, url, base, pool)
                      == APR_SUCCESS,
                  "base '%s' url '%s' refused: %s", base, url, why);
    ck_assert_msg(!strcmp(uri, want), "base '%s' url '%s' gave '%s', want '%s'",
                  base, url, uri, want);
}

static void url_bad(const char *base, const char *url, const char *why_part)
{
    const char *uri = NULL, *why = NULL;
    ck_assert_msg(batch_parse_resolve_url(&uri, &why, url, base, pool)
                      == APR_EINVAL,
                  "base '%s' url '%s' accepted as '%s'", base, url, uri);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_part) != NULL,
                  "base '%s' url '%s': reason '%s' lacks '%s'", base, url, why,
                  why_part);
}

START_TEST(url_table_root)
{
    url_ok("", "/me", "/me");
    url_ok("", "me", "/me");
    url_ok("", "/v1.0/me", "/v1.0/me");
    url_ok("", "/v1.0beta/x", "/v1.0beta/x");
    url_bad("", "../admin", "above the root");
    url_bad("", "/a/../../x", "above the root");
    url_bad("", "/%2e%2e/x", "above the root");
    url_bad("", "/%2E./x", "above the root");
    url_bad("", "//host/x", "authority");
    url_ok("", "/a//../b", "/b");
    url_bad("", "http://x/", "scheme");
    url_bad("", "/a#f", "fragment");
    url_bad("", "/a b", "whitespace");
    url_bad("", "/a\\b", "'\\'");
    url_bad("", "/a?x=1#", "fragment");
    url_ok("", "/a?q=../..", "/a?q=../..");
    url_bad("", "/%zz", "%-escape");

    url_ok("", "", "/");
    url_ok("", "/", "/");
    url_ok("", "?x=1", "/?x=1");
    url_ok("", "/a/./b/.", "/a/b/");
    url_ok("", "/a/b/..", "/a/");
    url_ok("", "/a/%2e/b", "/a/b");
    url_ok("", "/a..b/...", "/a..b/...");
    url_ok("", "/a///b//", "/a/b/");
    url_bad("", "///a", "authority");
    url_ok("", "/x%2Fy%41", "/x%2Fy%41");
    url_ok("", "/a:b", "/a:b");
    url_ok("", "/a?x=//y&z=a:b", "/a?x=//y&z=a:b");
    url_ok("", "/caf\xc3\xa9", "/caf\xc3\xa9");
    url_bad("", "mailto:x", "scheme");
    url_bad("", "a+b.c-d:x", "scheme");
    url_bad("", "/a\tb", "whitespace");
    url_bad("", "/a\x01", "control");
    url_bad("", "/a\x7f", "control");
    url_bad("", "/a\xc2\x85", "control");
    url_bad("", "/%2", "%-escape");
    url_bad("", "/a?%g0", "%-escape");
    url_bad("", "..", "above the root");
}
END_TEST

START_TEST(url_table_base)
{
    const char *b = "/v1.0";

    url_ok(b, "/me", "/v1.0/me");
    url_ok(b, "me", "/v1.0/me");
    url_ok(b, "/v1.0/me", "/v1.0/me");
    url_ok(b, "/v1.0beta/x", "/v1.0/v1.0beta/x");
    url_bad(b, "../admin", "outside the batch base \"/v1.0\"");
    url_bad(b, "/a/../../x", "outside the batch base");
    url_bad(b, "/%2e%2e/x", "outside the batch base");
    url_bad(b, "//host/x", "authority");
    url_ok(b, "/a//../b", "/v1.0/b");
    url_bad(b, "http://x/", "scheme");
    url_bad(b, "/a#f", "fragment");
    url_bad(b, "/a b", "whitespace");
    url_bad(b, "/a\\b", "'\\'");
    url_bad(b, "/a?x=1#", "fragment");
    url_ok(b, "/a?q=../..", "/v1.0/a?q=../..");
    url_bad(b, "/%zz", "%-escape");

    url_ok(b, "", "/v1.0");
    url_ok(b, "?x=1", "/v1.0?x=1");
    url_ok(b, "/", "/v1.0/");
    url_ok(b, "/v1.0", "/v1.0");
    url_ok(b, "/v1.0?$top=1", "/v1.0?$top=1");
    url_ok(b, "/me/../you", "/v1.0/you");
    url_ok(b, "me/..", "/v1.0/");
    url_bad(b, "/v1.0/../admin", "outside the batch base");
    url_bad(b, "/v1.0/..", "outside the batch base");
    url_bad(b, "..", "outside the batch base");
    url_bad(b, "/../../..", "above the root");
    url_ok("/api/v2", "/api/v2/x/./y", "/api/v2/x/y");
    url_ok("/api/v2", "/api/x", "/api/v2/api/x");
}
END_TEST

START_TEST(url_in_items)
{
    batch_t *b;

    lim.base = "/v1.0";
    b = parse_ok("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\","
                 "\"url\":\"/me\"},{\"id\":\"2\",\"method\":\"GET\","
                 "\"url\":\"me/messages?$top=2\"}]}");
    ck_assert_str_eq(b->items[0].url, "/me");
    ck_assert_str_eq(b->items[0].uri, "/v1.0/me");
    ck_assert_str_eq(b->items[1].uri, "/v1.0/me/messages?$top=2");

    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/\"},"
           "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/a#f\"}]}",
           1, "3", "url", "\"url\" must not contain a fragment");
    refuse("{\"requests\":[{\"id\":\"x\",\"method\":\"GET\","
           "\"url\":\"../admin\"}]}",
           0, "x", "url", "outside");
    refuse("{\"requests\":[{\"id\":\"x\",\"method\":\"GET\","
           "\"url\":\"//evil/x\"}]}",
           0, "x", "url", "authority");
    refuse("{\"requests\":[{\"id\":\"x\",\"method\":\"GET\","
           "\"url\":\"/a\\u0000b\"}]}",
           0, "x", "url", "control");
    refuse("{\"requests\":[{\"id\":\"x\",\"method\":\"GET\","
           "\"url\":\"/a\\nb\"}]}",
           0, "x", "url", "whitespace");
    refuse("{\"requests\":[{\"id\":\"x\",\"method\":\"GET\",\"url\":7}]}", 0,
           "x", "url", "must be a string");
}
END_TEST

static void base_ok(const char *in, const char *want)
{
    const char *out = NULL;
    ck_assert_msg(batch_parse_base(&out, in, pool) == APR_SUCCESS,
                  "base '%s' refused", in);
    ck_assert_str_eq(out, want);
}

static void base_bad(const char *in)
{
    const char *out = NULL;
    ck_assert_msg(batch_parse_base(&out, in, pool) == APR_EINVAL,
                  "base '%s' accepted", in);
}

START_TEST(batch_base)
{
    base_ok("/", "");
    base_ok("//", "");
    base_ok("/v1.0", "/v1.0");
    base_ok("/v1.0/", "/v1.0");
    base_ok("//api//v2//", "/api/v2");
    base_ok("/a.../.b", "/a.../.b");
    base_ok("/%41", "/%41");
    base_bad(NULL);
    base_bad("");
    base_bad("v1.0");
    base_bad("/a/../b");
    base_bad("/a/./b");
    base_bad("/.");
    base_bad("/..");
    base_bad("/a/%2e%2E");
    base_bad("/a?x");
    base_bad("/a#x");
    base_bad("/a b");
    base_bad("/a\\b");
    base_bad("/a\x01");
    base_bad("/%zz");
}
END_TEST

/* ------------------------------------------------------------------ */
/* headers                                                            */
/* ------------------------------------------------------------------ */

START_TEST(headers_ok)
{
    batch_t *b = parse_ok(one(",\"headers\":{\"Accept\":\"text/plain\","
                              "\"X-Tab\":\"a\\tb\",\"X-Empty\":\"\","
                              "\"If-Match\":\"\\\"e1\\\"\"}"));
    const apr_array_header_t *arr = apr_table_elts(b->items[0].headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;

    ck_assert_int_eq(arr->nelts, 4);
    ck_assert_str_eq(e[0].key, "Accept");
    ck_assert_str_eq(e[0].val, "text/plain");
    ck_assert_str_eq(apr_table_get(b->items[0].headers, "x-tab"), "a\tb");
    ck_assert_str_eq(apr_table_get(b->items[0].headers, "X-Empty"), "");
    ck_assert_str_eq(apr_table_get(b->items[0].headers, "If-Match"), "\"e1\"");
    ck_assert_int_eq(b->items[0].has_body, 0);
}
END_TEST

START_TEST(headers_refused)
{
    static const char *const forbidden[] = {"Host",
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
                                            "host",
                                            "CONTENT-length",
                                            "te",
                                            NULL};
    const char *const *f;

    refuse(one(",\"headers\":[]"), 0, "1", "headers", "must be an object");
    refuse(one(",\"headers\":\"Accept: x\""), 0, "1", "headers",
           "must be an object");
    refuse(one(",\"headers\":{\"X-N\":1}"), 0, "1", "headers",
           "value of \"X-N\" must be a string");
    refuse(one(",\"headers\":{\"X-N\":null}"), 0, "1", "headers",
           "must be a string");
    refuse(one(",\"headers\":{\"Bad Name\":\"x\"}"), 0, "1", "headers",
           "\"Bad Name\" is not a valid header name");
    refuse(one(",\"headers\":{\"X:Y\":\"x\"}"), 0, "1", "headers",
           "not a valid header name");
    refuse(one(",\"headers\":{\"\":\"x\"}"), 0, "1", "headers",
           "not a valid header name");
    refuse(one(",\"headers\":{\"X-A\":\"a\\r\\nX-B: b\"}"), 0, "1", "headers",
           "value of \"X-A\" contains a control character");
    refuse(one(",\"headers\":{\"X-A\":\"a\\u0000\"}"), 0, "1", "headers",
           "control character");
    refuse(one(",\"headers\":{\"X-A\":\"a\\u007f\"}"), 0, "1", "headers",
           "control character");
    /* C1 (issue 12.5): NEL, which some stacks take for a line break, and
     * the rest of U+0080-U+009F, escaped or raw UTF-8 */
    refuse(one(",\"headers\":{\"X-A\":\"a\\u0085b\"}"), 0, "1", "headers",
           "value of \"X-A\" contains a control character");
    refuse(one(",\"headers\":{\"X-A\":\"a\\u0080\"}"), 0, "1", "headers",
           "control character");
    refuse(one(",\"headers\":{\"X-A\":\"\xc2\x9f\"}"), 0, "1", "headers",
           "control character");
    for (f = forbidden; *f; f++) {
        refuse(one(apr_psprintf(pool, ",\"headers\":{\"%s\":\"x\"}", *f)), 0,
               "1", "headers",
               apr_psprintf(pool, "\"%s\" may not be set by an item", *f));
    }
}
END_TEST

START_TEST(header_limits)
{
    /* "X-A: 1234" is 3 + 2 + 4 = 9 bytes */
    const char *two = one(",\"headers\":{\"X-A\":\"1234\",\"X-B\":\"1\"}");

    lim.max_fields = 2;
    lim.max_field_size = 9;
    parse_ok(two);
    lim.max_fields = 1;
    refuse(two, 0, "1", "headers",
           "holds 2 headers, more than the server "
           "allows (1)");
    lim.max_fields = 2;
    lim.max_field_size = 8;
    refuse(two, 0, "1", "headers",
           "\"X-A\" is longer than the server allows "
           "(8 bytes)");
    lim.max_fields = 0;
    lim.max_field_size = 0;
    parse_ok(two);
}
END_TEST

/* ------------------------------------------------------------------ */
/* bodies                                                             */
/* ------------------------------------------------------------------ */

static const batch_item_t *body_item(const char *extra)
{
    return &parse_ok(one(extra))->items[0];
}

#define BODY_IS(it, bytes, type)                                               \
    do {                                                                       \
        ck_assert_int_eq((it)->has_body, 1);                                   \
        ck_assert_uint_eq((it)->body_len, sizeof(bytes) - 1);                  \
        ck_assert_mem_eq((it)->body, bytes, sizeof(bytes) - 1);                \
        ck_assert_str_eq((it)->body_type, type);                               \
    } while (0)

START_TEST(bodies_without_content_type)
{
    BODY_IS(body_item(",\"body\":\"h\xc3\xa9llo\\n\""), "h\xc3\xa9llo\n",
            "text/plain; charset=utf-8");
    BODY_IS(body_item(",\"body\":\"\""), "", "text/plain; charset=utf-8");
    /* a JSON body is sent as the client wrote it, not re-serialized */
    BODY_IS(body_item(",\"body\":{\"a\": [1, 2.50, \"x\\/y\"]} "),
            "{\"a\": [1, 2.50, \"x\\/y\"]}", "application/json");
    BODY_IS(body_item(",\"body\":null"), "null", "application/json");
    BODY_IS(body_item(",\"body\":42"), "42", "application/json");
    BODY_IS(body_item(",\"body\":false"), "false", "application/json");
    BODY_IS(body_item(",\"body\":[]"), "[]", "application/json");
}
END_TEST

START_TEST(bodies_json_type)
{
    BODY_IS(body_item(",\"headers\":{\"content-type\":\"application/json\"},"
                      "\"body\":\"abc\""),
            "\"abc\"", "application/json");
    BODY_IS(
        body_item(",\"headers\":{\"Content-Type\":\"application/"
                  "merge-patch+json; charset=utf-8\"},\"body\":{\"a\":null}"),
        "{\"a\":null}", "application/merge-patch+json; charset=utf-8");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"application/json\"},"
                      "\"body\":\"\\u0000\\\"\""),
            "\"\\u0000\\\"\"", "application/json");
}
END_TEST

START_TEST(bodies_text_type)
{
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"text/csv\"},"
                      "\"body\":\"a,b\\r\\n\""),
            "a,b\r\n", "text/csv");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"application/x-www-"
                      "form-urlencoded\"},\"body\":\"a=1&b=2\""),
            "a=1&b=2", "application/x-www-form-urlencoded");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"text/plain\"},"
                      "\"body\":\"a\\u0000b\""),
            "a\0b", "text/plain");
    refuse(one(",\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":{}"), 0,
           "1", "body", "must be a string for Content-Type \"text/plain\"");
    refuse(one(",\"headers\":{\"Content-Type\":\"application/xml\"},"
               "\"body\":1"),
           0, "1", "body", "must be a string");
    refuse(one(",\"headers\":{\"Content-Type\":\"text/plain\"},"
               "\"body\":null"),
           0, "1", "body", "must be a string");
}
END_TEST

START_TEST(bodies_binary_type)
{
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"image/png\"},"
                      "\"body\":\"iVBORwD/\""),
            "\x89PNG\0\xff", "image/png");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"application/"
                      "octet-stream\"},\"body\":\"iVBORwD_\""),
            "\x89PNG\0\xff", "application/octet-stream");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"image/gif\"},"
                      "\"body\":\"aGk\""),
            "hi", "image/gif");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"image/gif\"},"
                      "\"body\":\"\""),
            "", "image/gif");
    refuse(one(",\"headers\":{\"Content-Type\":\"image/png\"},"
               "\"body\":\"not base64!\""),
           0, "1", "body",
           "must be a base64 string for Content-Type "
           "\"image/png\"");
    refuse(one(",\"headers\":{\"Content-Type\":\"image/png\"},"
               "\"body\":\"aGk==\""),
           0, "1", "body", "base64");
    refuse(one(",\"headers\":{\"Content-Type\":\"image/png\"},"
               "\"body\":\"a\""),
           0, "1", "body", "base64");
    refuse(one(",\"headers\":{\"Content-Type\":\"image/png\"},"
               "\"body\":{\"a\":1}"),
           0, "1", "body", "base64");
}
END_TEST

START_TEST(bodies_verbatim)
{
    const batch_item_t *it;

    /* the JSON body is the client's own text, surrounding whitespace
     * trimmed: escapes, spacing and big numbers reach the backend as sent
     * (json-c clamped integers beyond 64 bits, so they were refused) */
    BODY_IS(body_item(",\"body\":\n\t [ 123456789012345678901234567890, "
                      "-1e400, \"\\u00e9\\/\" ]\r\n"),
            "[ 123456789012345678901234567890, -1e400, \"\\u00e9\\/\" ]",
            "application/json");
    BODY_IS(body_item(",\"headers\":{\"Content-Type\":\"application/json\"},"
                      "\"body\": \"caf\\u00e9\" "),
            "\"caf\\u00e9\"", "application/json");
    /* bodies may hold what the batch's own objects may not */
    BODY_IS(body_item(",\"body\":{\"a\\u0000b\":1,\"a\":2,\"a\":3}"),
            "{\"a\\u0000b\":1,\"a\":2,\"a\":3}", "application/json");
    /* a text body is the decoded string */
    BODY_IS(body_item(",\"body\":\"\\ud83d\\ude00 \\u00e9\""),
            "\xf0\x9f\x98\x80 \xc3\xa9", "text/plain; charset=utf-8");
    /* the body is copied: it does not point into the request text */
    it = body_item(",\"body\":[1]");
    ck_assert_mem_eq(it->body, "[1]", 3);

    /* 64 levels: containers count, a scalar inside the last one does not
     * (json-c counted it, as batch_util_json_valid() does not) */
    {
        const char *obj = "1";
        int i;
        for (i = 0; i < 61; i++) {
            obj = apr_pstrcat(pool, "{\"a\":", obj, "}", NULL);
        }
        it = body_item(apr_pstrcat(pool, ",\"body\":", obj, NULL));
        ck_assert_uint_eq(it->body_len, strlen(obj));
        refuse(one(apr_pstrcat(pool, ",\"body\":[", obj, "]", NULL)), -1, NULL,
               NULL, "nested deeper than 64 levels");
    }
}
END_TEST

START_TEST(json_reader_rules)
{
    /* a lone surrogate escape is no character: ids, urls and bodies must
     * be valid UTF-8 (json-c replaced it with U+FFFD) */
    refuse("{\"requests\":[{\"id\":\"a\\ud800b\",\"method\":\"GET\","
           "\"url\":\"/\"}]}",
           -1, NULL, NULL, "lone surrogate");
    refuse(one(",\"body\":\"\\udc00\""), -1, NULL, NULL, "not valid JSON");
    /* a pair is one character */
    ck_assert_str_eq(
        parse_ok("{\"requests\":[{\"id\":\"\\ud83d\\ude00\",\"method\":\"GET\","
                 "\"url\":\"/\"}]}")
            ->items[0]
            .id,
        "\xf0\x9f\x98\x80");
    /* the reason says where */
    refuse("{\"requests\":[{},]}", -1, NULL, NULL,
           "the batch request is not valid JSON: expected a value at byte 16");
    refuse("{\"requests\":[]} x", -1, NULL, NULL, "trailing data at byte 16");
    refuse(one(",\"body\":\"\xff\""), -1, NULL, NULL,
           "the batch request is not valid UTF-8 at byte 57");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\","
           "\"body\":\"a\\u0000\",\"body\":[\"\\ud800\"]}]}",
           -1, NULL, NULL, "lone surrogate");

    /* member names with \u0000 are refused where the batch reads names */
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\"}],"
           "\"@a\\u0000\":1}",
           -1, NULL, NULL, "member name");
    refuse(one(",\"headers\":{\"X-A\\u0000\":\"b\"}"), -1, NULL, NULL,
           "member name");
    refuse(one(",\"headers\":{\"X-A\":\"1\",\"\\u0000\":\"b\"}"), -1, NULL,
           NULL, "member name");
    /* annotations are not read */
    parse_ok("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\"}],"
             "\"@a\":{\"b\\u0000\":1}}");
}
END_TEST

/* CONTRACT 7: a broken rule is refused where it begins, before the rest
 * of the document is read (here the rest is not even JSON). */
START_TEST(early_refusal)
{
    refuse("{\"requests\":[1,", 0, NULL, NULL,
           "must be an object, not a number");
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/\"},"
           "[1,1,1",
           1, NULL, NULL, "must be an object, not an array");
    refuse("{\"requests\":[null x", 0, NULL, NULL, "not null");
    /* a misspelt word is the reader's */
    refuse("{\"requests\":[nul]}", -1, NULL, NULL, "not valid JSON");
    lim.max_requests = 2;
    refuse("{\"requests\":[{},{},{\"id\":", -1, NULL, "requests",
           "holds more than the 2 items allowed");
    refuse("{\"requests\":[{\"id\":\"1\",\"foo\":[1,1", 0, "1", "foo",
           "unknown member \"foo\"");
    /* before the id: the item is named by its index only */
    refuse("{\"requests\":[{\"foo\":1,\"id\":\"1\"", 0, NULL, "foo",
           "unknown member \"foo\"");
    /* an id read before comes first, as it always did */
    refuse("{\"requests\":[{\"id\":1,\"foo\":1", 0, NULL, "id",
           "must be a string");
    refuse("{\"x\":[1,1", -1, NULL, "x", "unknown member \"x\" at the top");
    lim.max_fields = 2;
    refuse("{\"requests\":[{\"id\":\"1\",\"headers\":{\"A\":\"1\",\"B\":\"2\","
           "\"A\":\"3\",\"C\":\"",
           0, "1", "headers",
           "holds 3 headers, more than the server allows (2)");
}
END_TEST

/* Bodies, annotations and members of the wrong type are only checked,
 * never built: what is kept and sent is unchanged. */
START_TEST(checked_not_built)
{
    const batch_item_t *it;

    it = body_item(",\"body\":[1,\"a\\u0041\",{\"b\":[[]],\"b\":2}, 1e400 ]");
    ck_assert_str_eq(it->body, "[1,\"a\\u0041\",{\"b\":[[]],\"b\":2}, 1e400 ]");
    it = body_item(",\"body\":[1],\"body\":{\"x\":\"\\n\"}");
    ck_assert_str_eq(it->body, "{\"x\":\"\\n\"}");
    refuse(one(",\"method\":[\"GET\"]"), 0, "1", "method",
           "must be a string, not an array");
    refuse(one(",\"headers\":{\"X-A\":{\"a\":1}}"), 0, "1", "headers",
           "must be a string, not an object");
    refuse(one(",\"dependsOn\":[[\"1\"]]"), 0, "1", "dependsOn",
           "must be a string, not an array");
    refuse(one(",\"dependsOn\":{\"a\":1}"), 0, "1", "dependsOn",
           "must be an array, not an object");
    /* dependsOn: ids of earlier items are taken as they come; the first
     * other element is the one reported, by its own index */
    {
        static const char two[] =
            "{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"/\"},"
            "{\"id\":\"b\",\"method\":\"GET\",\"url\":\"/\"},"
            "{\"id\":\"c\",\"method\":\"GET\",\"url\":\"/\",\"dependsOn\":";
        batch_t *b;

        b = parse_ok(apr_pstrcat(
            pool, two, "[\"B\",\"a\",\"b\",\"\\u0061\",\"A\"]}]}", NULL));
        ck_assert_int_eq(b->items[2].ndeps, 2);
        ck_assert_int_eq(b->items[2].deps[0], 1);
        ck_assert_int_eq(b->items[2].deps[1], 0);
        refuse(apr_pstrcat(pool, two, "[\"a\",\"a\",[\"a\"],\"x\"]}]}", NULL),
               2, "c", "dependsOn", "\"dependsOn\"[2] must be a string");
        refuse(apr_pstrcat(pool, two, "[\"a\",\"x\",1]}]}", NULL), 2, "c",
               "dependsOn", "unknown id \"x\"");
        refuse(apr_pstrcat(pool, two, "[\"a\",\"C\"]}]}", NULL), 2, "c",
               "dependsOn", "names the item itself");
        /* the last dependsOn counts */
        b = parse_ok(
            apr_pstrcat(pool, two, "[\"x\"],\"dependsOn\":[\"b\"]}]}", NULL));
        ck_assert_int_eq(b->items[2].ndeps, 1);
        ck_assert_int_eq(b->items[2].deps[0], 1);
    }
    /* the surviving value of a duplicate is the one checked */
    it = body_item(",\"method\":[1],\"method\":\"POST\"");
    ck_assert_str_eq(it->method, "POST");
    parse_ok("{\"@a\":[1,{\"b\":\"\\u00e9\"}],\"requests\":[{\"id\":\"1\","
             "\"method\":\"GET\",\"url\":\"/x\"}],\"@b\":2}");
    refuse("[1,2]", -1, NULL, NULL, "must be a JSON object, not an array");
}
END_TEST

START_TEST(duplicate_members)
{
    const batch_item_t *it;
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;

    /* the last of duplicate names wins (json-c's rule, docs/behaviour.md) */
    refuse("{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/a\"}],"
           "\"requests\":[]}",
           -1, NULL, "requests", "is empty");
    it = &parse_ok("{\"requests\":[],\"requests\":[{\"id\":\"1\","
                   "\"method\":\"GET\",\"url\":\"/a\",\"url\":\"/b\","
                   "\"id\":\"2\"}]}")
              ->items[0];
    ck_assert_str_eq(it->id, "2");
    ck_assert_str_eq(it->uri, "/b");
    refuse(one(",\"method\":1"), 0, "1", "method", "must be a string");
    refuse(one(",\"foo\":1,\"foo\":2,\"bar\":3"), 0, "1", "foo",
           "unknown member \"foo\"");

    /* headers: one header per name, at the first position, last value */
    lim.max_fields = 2;
    it = body_item(",\"headers\":{\"X-A\":\"1\",\"X-B\":\"2\",\"X-A\":\"3\","
                   "\"X-A\":\"4\"}");
    arr = apr_table_elts(it->headers);
    e = (const apr_table_entry_t *)arr->elts;
    ck_assert_int_eq(arr->nelts, 2);
    ck_assert_str_eq(e[0].key, "X-A");
    ck_assert_str_eq(e[0].val, "4");
    ck_assert_str_eq(e[1].key, "X-B");
    ck_assert_str_eq(e[1].val, "2");
    /* the value that is checked is the one that is sent */
    refuse(one(",\"headers\":{\"X-A\":\"ok\",\"X-A\":1}"), 0, "1", "headers",
           "value of \"X-A\" must be a string");
    it = body_item(",\"headers\":{\"X-A\":1,\"X-A\":\"ok\"}");
    ck_assert_str_eq(apr_table_get(it->headers, "X-A"), "ok");

    /* many members: duplicates found by hash */
    lim.max_fields = 3;
    it = body_item(",\"headers\":{\"A\":\"1\",\"B\":\"1\",\"A\":\"2\","
                   "\"A\":\"3\",\"B\":\"2\",\"C\":\"1\",\"A\":\"4\","
                   "\"A\":\"5\",\"B\":\"3\",\"A\":\"6\"}");
    arr = apr_table_elts(it->headers);
    e = (const apr_table_entry_t *)arr->elts;
    ck_assert_int_eq(arr->nelts, 3);
    ck_assert_str_eq(e[0].key, "A");
    ck_assert_str_eq(e[0].val, "6");
    ck_assert_str_eq(e[1].key, "B");
    ck_assert_str_eq(e[1].val, "3");
    ck_assert_str_eq(e[2].key, "C");
    ck_assert_str_eq(e[2].val, "1");
    refuse(one(",\"headers\":{\"A\":\"1\",\"B\":\"1\",\"A\":\"2\","
               "\"A\":\"3\",\"B\":\"2\",\"C\":\"1\",\"A\":\"4\","
               "\"A\":\"5\",\"B\":\"3\",\"D\":\"6\"}"),
           0, "1", "headers",
           "holds 4 headers, more than the server allows (3)");
}
END_TEST

/* ------------------------------------------------------------------ */
/* dependsOn                                                          */
/* ------------------------------------------------------------------ */

START_TEST(depends_ok)
{
    batch_t *b = parse_ok(
        "{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"/\"},"
        "{\"id\":\"B\",\"method\":\"GET\",\"url\":\"/\",\"dependsOn\":[]},"
        "{\"id\":\"c\",\"method\":\"GET\",\"url\":\"/\","
        "\"dependsOn\":[\"b\",\"A\",\"a\"]}]}");

    ck_assert_int_eq(b->items[1].ndeps, 0);
    ck_assert_int_eq(b->items[2].ndeps, 2);
    ck_assert_int_eq(b->items[2].deps[0], 1);
    ck_assert_int_eq(b->items[2].deps[1], 0);
}
END_TEST

START_TEST(depends_refused)
{
    refuse(one(",\"dependsOn\":\"0\""), 0, "1", "dependsOn",
           "must be an array");
    refuse(one(",\"dependsOn\":{}"), 0, "1", "dependsOn", "must be an array");
    refuse(one(",\"dependsOn\":[1]"), 0, "1", "dependsOn",
           "\"dependsOn\"[0] must be a string");
    refuse(one(",\"dependsOn\":[\"1\"]"), 0, "1", "dependsOn",
           "names the item itself");
    refuse(one(",\"dependsOn\":[\"nope\"]"), 0, "1", "dependsOn",
           "names an unknown id \"nope\"");
    refuse("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"/\","
           "\"dependsOn\":[\"B\"]},"
           "{\"id\":\"b\",\"method\":\"GET\",\"url\":\"/\"}]}",
           0, "a", "dependsOn", "a later item");
    refuse("{\"requests\":[{\"id\":\"a\",\"method\":\"GET\",\"url\":\"/\"},"
           "{\"id\":\"b\",\"method\":\"GET\",\"url\":\"/\","
           "\"dependsOn\":[\"a\",\"B\"]}]}",
           1, "b", "dependsOn", "names the item itself");
}
END_TEST

/* ------------------------------------------------------------------ */
/* atomicityGroup (CONTRACT 9)                                        */
/* ------------------------------------------------------------------ */

/* An item "{id, GET /, extra}" for a requests array. */
static const char *it3(const char *id, const char *extra)
{
    return apr_pstrcat(pool, "{\"id\":\"", id,
                       "\",\"method\":\"GET\",\"url\":\"/\"", extra, "}", NULL);
}

static const char *reqs(const char *a, const char *b, const char *c)
{
    return apr_pstrcat(pool, "{\"requests\":[", a, ",", b, c ? "," : "",
                       c ? c : "", "]}", NULL);
}

#define G(g) ",\"atomicityGroup\":\"" g "\""

START_TEST(groups_refused_by_default)
{
    refuse(reqs(it3("a", ""), it3("b", G("g1")), NULL), 1, "b",
           "atomicityGroup", "BatchAtomicity");
    lim.atomicity_ordered = 1;
    ck_assert_ptr_nonnull(
        parse_ok(reqs(it3("a", ""), it3("b", G("g1")), NULL)));
}
END_TEST

/* The items it depends on as a bit set (order is not part of the rule). */
static unsigned dep_mask(const batch_item_t *it)
{
    unsigned m = 0;
    int k;

    for (k = 0; k < it->ndeps; k++) {
        m |= 1u << it->deps[k];
    }
    return m;
}

START_TEST(groups_ok)
{
    batch_t *b;

    lim.atomicity_ordered = 1;
    /* one group, any case; chained in order as hard dependencies */
    b = parse_ok(reqs(it3("a", G("G1")), it3("b", G("g1")),
                      it3("c", G("g1") ",\"dependsOn\":[\"a\"]")));
    ck_assert_str_eq(b->items[0].group, "G1");
    ck_assert_str_eq(b->items[1].group, "g1");
    ck_assert_int_eq(b->items[0].ndeps, 0);
    ck_assert_int_eq(b->items[1].ndeps, 1);
    ck_assert_int_eq(b->items[1].deps[0], 0);
    ck_assert_int_eq(b->items[2].ndeps, 2);
    ck_assert_int_eq(b->items[2].deps[0], 0);
    ck_assert_int_eq(b->items[2].deps[1], 1);
    ck_assert_int_eq(b->items[2].after, 0);
    /* dependsOn a group: every item of it, and only those */
    b = parse_ok(reqs(it3("a", G("g")), it3("b", G("g")),
                      it3("c", ",\"dependsOn\":[\"G\",\"b\"]")));
    ck_assert_ptr_null(b->items[2].group);
    ck_assert_int_eq(b->items[2].ndeps, 2);
    ck_assert_int_eq(dep_mask(&b->items[2]), 0x3);
    /* a group, then an id: deps grows past the room of 2 entries */
    b = parse_ok(apr_pstrcat(
        pool, "{\"requests\":[", it3("a", G("g")), ",", it3("b", G("g")), ",",
        it3("c", G("h")), ",", it3("d", ""), ",",
        it3("e", ",\"dependsOn\":[\"g\",\"d\",\"h\",\"a\"]"), "]}", NULL));
    ck_assert_int_eq(b->items[4].ndeps, 4);
    ck_assert_int_eq(dep_mask(&b->items[4]), 0xF);
}
END_TEST

START_TEST(groups_refused)
{
    lim.atomicity_ordered = 1;
    refuse(reqs(it3("a", G("g1")), it3("b", ""), it3("c", G("G1"))), 2, "c",
           "atomicityGroup", "must be adjacent");
    refuse(reqs(it3("a", ""), it3("b", G("A")), NULL), 1, "b", "atomicityGroup",
           "is also the id of requests[0]");
    refuse(reqs(it3("a", G("b")), it3("b", ""), NULL), 0, "a", "atomicityGroup",
           "is also the id of requests[1]");
    refuse(one(",\"atomicityGroup\":1"), 0, "1", "atomicityGroup",
           "must be a string");
    refuse(one(G("")), 0, "1", "atomicityGroup", "must not be empty");
    refuse(one(G("a\\u0085")), 0, "1", "atomicityGroup", "control characters");
    refuse(
        reqs(it3("a", G("g")), it3("b", G("g") ",\"dependsOn\":[\"g\"]"), NULL),
        1, "b", "dependsOn", "own atomicity group");
    refuse(
        reqs(it3("a", G("g") ",\"dependsOn\":[\"g\"]"), it3("b", G("g")), NULL),
        0, "a", "dependsOn", "own atomicity group");
    refuse(reqs(it3("a", ",\"dependsOn\":[\"g\"]"), it3("b", G("g")), NULL), 0,
           "a", "dependsOn", "a later item (requests[1])");
    refuse(reqs(it3("a", ",\"dependsOn\":[\"h\"]"), it3("b", G("g")), NULL), 0,
           "a", "dependsOn", "unknown id \"h\"");
}
END_TEST

/* ------------------------------------------------------------------ */
/* references (CONTRACT 10)                                           */
/* ------------------------------------------------------------------ */

/* Three items: "a", "B" (depends on a) and "c" with members extra. */
static const char *refs3(const char *extra)
{
    return apr_pstrcat(pool,
                       "{\"requests\":["
                       "{\"id\":\"a\",\"method\":\"POST\",\"url\":\"/p\"},"
                       "{\"id\":\"B\",\"method\":\"GET\",\"url\":\"/q\","
                       "\"dependsOn\":[\"a\"]},"
                       "{\"id\":\"c\",\"method\":\"POST\"",
                       extra, "}]}", NULL);
}

START_TEST(references_found)
{
    const batch_item_t *it;
    batch_t *b;

    lim.references = 1;
    b = parse_ok(refs3(",\"url\":\"$a/x/@{b.id}?q=@{A.n[0]}\","
                       "\"headers\":{\"X-A\":\"v @{a.id}\",\"X-B\":\"plain\"},"
                       "\"body\":{\"k\":[\"@{b.x}\"],\"@{x.y}\":1},"
                       "\"dependsOn\":[\"a\",\"b\"]"));
    it = &b->items[2];
    ck_assert_uint_eq(it->refs, BATCH_ITEM_REFS_URL | BATCH_ITEM_REFS_HEADERS
                                    | BATCH_ITEM_REFS_BODY);
    /* each item once, in the order first named; ids in any case */
    ck_assert_int_eq(it->nrefs, 2);
    ck_assert_int_eq(it->refd[0], 0);
    ck_assert_int_eq(it->refd[1], 1);
    /* the url was checked in its template's shape */
    ck_assert_str_eq(it->url, "$a/x/@{b.id}?q=@{A.n[0]}");
    ck_assert_str_eq(it->uri, "/-/x/-?q=-");
    /* nothing else has references; a member name is not a reference */
    ck_assert_uint_eq(b->items[0].refs, 0);
    ck_assert_int_eq(b->items[1].nrefs, 0);
    b = parse_ok(refs3(",\"url\":\"/x\",\"body\":{\"@{x.y}\":1}"));
    ck_assert_uint_eq(b->items[2].refs, 0);
    /* a text body is not read for references */
    b = parse_ok(refs3(",\"url\":\"/x\",\"headers\":{\"Content-Type\":"
                       "\"text/plain\"},\"body\":\"@{zz.y}\""));
    ck_assert_uint_eq(b->items[2].refs, 0);
    /* Off: nothing is read, "$a" is a relative url */
    lim.references = 0;
    b = parse_ok(refs3(",\"url\":\"$a/@{zz\",\"headers\":{\"X-A\":\"@{\"},"
                       "\"body\":[\"@{}\"]"));
    ck_assert_uint_eq(b->items[2].refs, 0);
    ck_assert_int_eq(b->items[2].nrefs, 0);
    ck_assert_str_eq(b->items[2].uri, "/$a/@{zz");
}
END_TEST

START_TEST(references_refused)
{
    lim.references = 1;
    /* malformed: a 400 naming the field, whatever dependsOn says */
    refuse(refs3(",\"url\":\"/x/@{a.id\",\"dependsOn\":[\"a\"]"), 2, "c", "url",
           "malformed reference");
    refuse(refs3(",\"url\":\"$/x\",\"dependsOn\":[\"a\"]"), 2, "c", "url",
           "an empty id");
    refuse(refs3(",\"url\":\"/x\",\"headers\":{\"X-A\":\"@{a}\"}"), 2, "c",
           "headers", "no path");
    refuse(refs3(",\"url\":\"/x\",\"body\":{\"a\":{\"b\":\"@{a.}\"}},"
                 "\"dependsOn\":[\"a\"]"),
           2, "c", "body", "an empty member name");
    /* not in dependsOn (unknown, later, itself, or only transitively) */
    refuse(refs3(",\"url\":\"/x/@{a.id}\""), 2, "c", "url",
           "refers to \"a\", which is not in \"dependsOn\"");
    refuse(refs3(",\"url\":\"$a\",\"dependsOn\":[\"B\"]"), 2, "c", "url",
           "refers to \"a\"");
    refuse(refs3(",\"url\":\"/x\",\"headers\":{\"X\":\"@{c.id}\"},"
                 "\"dependsOn\":[\"a\"]"),
           2, "c", "headers", "refers to \"c\"");
    refuse(refs3(",\"url\":\"/x\",\"body\":[\"@{nope.id}\"],"
                 "\"dependsOn\":[\"a\"]"),
           2, "c", "body", "refers to \"nope\"");
    /* the static part of a url with references passes CONTRACT 3 */
    refuse(refs3(",\"url\":\"/x/@{a.id}#f\",\"dependsOn\":[\"a\"]"), 2, "c",
           "url", "fragment");
    refuse(refs3(",\"url\":\"/@{a.id}/../..\",\"dependsOn\":[\"a\"]"), 2, "c",
           "url", "climbs above the root");
}
END_TEST

Suite *batch_parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, valid_batch);
    tcase_add_test(tc, not_json);
    tcase_add_test(tc, not_utf8);
    tcase_add_test(tc, depth_64_not_65);
    tcase_add_test(tc, top_level);
    tcase_add_test(tc, too_many_items);
    tcase_add_test(tc, item_shape);
    tcase_add_test(tc, required_fields);
    tcase_add_test(tc, ids);
    tcase_add_test(tc, id_escaped_in_message);
    tcase_add_test(tc, methods);
    tcase_add_test(tc, url_table_root);
    tcase_add_test(tc, url_table_base);
    tcase_add_test(tc, url_in_items);
    tcase_add_test(tc, batch_base);
    tcase_add_test(tc, headers_ok);
    tcase_add_test(tc, headers_refused);
    tcase_add_test(tc, header_limits);
    tcase_add_test(tc, bodies_without_content_type);
    tcase_add_test(tc, bodies_json_type);
    tcase_add_test(tc, bodies_text_type);
    tcase_add_test(tc, bodies_binary_type);
    tcase_add_test(tc, bodies_verbatim);
    tcase_add_test(tc, json_reader_rules);
    tcase_add_test(tc, duplicate_members);
    tcase_add_test(tc, early_refusal);
    tcase_add_test(tc, checked_not_built);
    tcase_add_test(tc, depends_ok);
    tcase_add_test(tc, depends_refused);
    tcase_add_test(tc, groups_refused_by_default);
    tcase_add_test(tc, groups_ok);
    tcase_add_test(tc, groups_refused);
    tcase_add_test(tc, references_found);
    tcase_add_test(tc, references_refused);
    suite_add_tcase(s, tc);
    return s;
}
