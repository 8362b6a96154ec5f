/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_encode.c: unit tests of batch_encode.c: response bodies by media
 * class (CONTRACT 5), when there is no body key, generated and
 * module error bodies, header filtering and joining, the exact
 * "Content-Type" key, and that the output is always valid JSON
 * (CONTRACT 6).
 */

#include <string.h>

#include <json-c/json.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "unit.h"
#include "batch_encode.h"
#include "batch_util.h"
#include "json_oracle.h"
#include "encode_ref.h"

static apr_pool_t *pool;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static batch_result_t *result(int status, const char *ctype, const char *body,
                              apr_size_t len)
{
    batch_result_t *r = apr_pcalloc(pool, sizeof(*r));
    r->status = status;
    r->content_type = ctype;
    r->body = body;
    r->body_len = len;
    return r;
}

/* Encode, check the text is one valid JSON document, return it. */
static const char *enc(const char *id, const batch_result_t *r)
{
    const char *json = NULL, *why = NULL;
    apr_size_t len = 0;
    struct json_object *o = NULL;

    ck_assert_int_eq(batch_encode_item(&json, &len, id, r, pool), APR_SUCCESS);
    ck_assert_ptr_nonnull(json);
    ck_assert_uint_eq(len, strlen(json));
    ck_assert_msg(json_oracle_parse(&o, &why, json, len, 64, pool)
                      == APR_SUCCESS,
                  "not valid JSON (%s): %s", why, json);
    json_object_put(o);
    return json;
}

START_TEST(json_body_inline)
{
    static const char body[] = "{ \"a\" : [1, 2.50], \"b\": \"x/y\" }";
    batch_result_t *r =
        result(200, "application/json; charset=utf-8", body, sizeof(body) - 1);

    ck_assert_str_eq(
        enc("1", r),
        "{\"id\":\"1\",\"status\":200,\"headers\":{\"Content-Type\":"
        "\"application/json; charset=utf-8\"},\"body\":{ \"a\" : "
        "[1, 2.50], \"b\": \"x/y\" }}");
    /* valid JSON is copied as it is: numbers keep their spelling */
    r = result(200, "application/json", " [1.50e3]\n", 10);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":[1.50e3]}"));
    r = result(200, "application/vnd.api+json", "42", 2);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":42}"));
    r = result(200, "application/json", "null", 4);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":null}"));
    r = result(200, "application/json", "\"s\"", 3);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"s\"}"));
}
END_TEST

START_TEST(json_body_invalid)
{
    batch_result_t *r = result(200, "application/json", "{oops\n", 6);

    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"{oops\\n\"}"));
    r = result(200, "application/json", "[NaN]", 5);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"[NaN]\"}"));
    r = result(200, "application/json", "[1] [2]", 7);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"[1] [2]\"}"));
    /* not JSON and not UTF-8: base64 */
    r = result(200, "application/json", "\xff\xfe", 2);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"//4=\"}"));
    /* a lone surrogate escape is no character (RFC 8259 8.2): the body
     * does not parse and goes in as a string, never verbatim */
    r = result(200, "application/json", "{\"a\":\"\\ud800\"}", 14);
    ck_assert_ptr_nonnull(
        strstr(enc("1", r), ",\"body\":\"{\\\"a\\\":\\\"\\\\ud800\\\"}\"}"));
    r = result(200, "application/json", "[\"\\ud800\\u0041\"]", 16);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"[\\\""));
    /* a pair is a character: inlined */
    r = result(200, "application/json", "[\"\\ud83d\\ude00\"]", 16);
    ck_assert_ptr_nonnull(
        strstr(enc("1", r), ",\"body\":[\"\\ud83d\\ude00\"]}"));
}
END_TEST

START_TEST(text_body)
{
    static const char body[] = "l1\n\"q\" \\ caf\xc3\xa9 \x01";
    batch_result_t *r = result(200, "text/plain", body, sizeof(body) - 1);

    ck_assert_ptr_nonnull(strstr(enc("1", r),
                                 ",\"body\":\"l1\\n\\\"q\\\" \\\\ caf\xc3\xa9 "
                                 "\\u0001\"}"));
    r = result(200, "text/html; charset=iso-8859-1", "caf\xe9", 4);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"Y2Fm6Q==\"}"));
    r = result(200, "application/xml", "<a/>", 4);
    ck_assert_ptr_nonnull(strstr(enc("1", r), ",\"body\":\"<a/>\"}"));
}
END_TEST

START_TEST(binary_body)
{
    batch_result_t *r = result(200, "image/png", "\x89PNG\0\xff", 6);
    const char *json = enc("1", r);

    ck_assert_ptr_nonnull(strstr(json, "\"Content-Type\":\"image/png\""));
    ck_assert_ptr_nonnull(strstr(json, ",\"body\":\"iVBORwD/\"}"));
    /* no media type at all: binary */
    r = result(200, NULL, "hi", 2);
    ck_assert_str_eq(enc("1", r), "{\"id\":\"1\",\"status\":200,\"headers\":{},"
                                  "\"body\":\"aGk=\"}");
}
END_TEST

START_TEST(no_body_key)
{
    batch_result_t *r;

    r = result(200, "text/plain", "x", 1);
    r->head = 1;
    ck_assert_ptr_null(strstr(enc("1", r), "\"body\""));
    r = result(404, NULL, NULL, 0);
    r->head = 1;
    ck_assert_str_eq(enc("1", r),
                     "{\"id\":\"1\",\"status\":404,\"headers\":{}}");
    r = result(405, NULL, NULL, 0);
    r->head = 1;
    r->error_code = "MethodNotAllowed";
    r->error_message = "no";
    ck_assert_str_eq(
        enc("1", r),
        "{\"id\":\"1\",\"status\":405,\"headers\":{\"Content-Type\":"
        "\"application/json\"}}");
    r = result(204, NULL, NULL, 0);
    ck_assert_str_eq(enc("1", r),
                     "{\"id\":\"1\",\"status\":204,\"headers\":{}}");
    r = result(304, "text/plain", "stale", 5);
    ck_assert_ptr_null(strstr(enc("1", r), "\"body\""));
    r = result(200, "text/plain", "", 0);
    ck_assert_ptr_null(strstr(enc("1", r), "\"body\""));
    r = result(302, NULL, NULL, 0);
    ck_assert_ptr_null(strstr(enc("1", r), "\"body\""));
}
END_TEST

START_TEST(generated_error_body)
{
    batch_result_t *r = result(404, NULL, NULL, 0);

    r->status_line = "404 Not Found";
    ck_assert_str_eq(
        enc("a", r),
        "{\"id\":\"a\",\"status\":404,\"headers\":{\"Content-Type\":"
        "\"application/json\"},\"body\":{\"error\":{\"code\":"
        "\"NotFound\",\"message\":\"404 Not Found\"}}}");

    /* the glue's status line (httpd's phrase) */
    r = result(424, NULL, NULL, 0);
    r->status_line = "424 Failed Dependency";
    ck_assert_ptr_nonnull(strstr(enc("a", r),
                                 "{\"code\":\"FailedDependency\",\"message\":"
                                 "\"424 Failed Dependency\"}"));
    /* none: the encoder keeps no reason table, the bare number */
    r = result(413, NULL, NULL, 0);
    ck_assert_ptr_nonnull(
        strstr(enc("a", r), "{\"code\":\"Error\",\"message\":\"413\"}"));
    /* unknown status */
    r = result(599, NULL, NULL, 0);
    ck_assert_ptr_nonnull(
        strstr(enc("a", r), "{\"code\":\"Error\",\"message\":\"599\"}"));
    /* non-alphanumerics go */
    r = result(418, NULL, NULL, 0);
    r->status_line = "418 I'm a teapot";
    ck_assert_ptr_nonnull(strstr(enc("a", r),
                                 "{\"code\":\"Imateapot\",\"message\":"
                                 "\"418 I'm a teapot\"}"));
    /* a body of its own wins */
    r = result(404, "text/plain", "gone", 4);
    ck_assert_ptr_nonnull(strstr(enc("a", r), ",\"body\":\"gone\"}"));
}
END_TEST

START_TEST(generated_error_keeps_headers)
{
    batch_result_t *r = result(401, NULL, NULL, 0);

    r->status_line = "401 Unauthorized";
    r->headers = apr_table_make(pool, 4);
    apr_table_add(r->headers, "WWW-Authenticate", "Basic realm=\"x\"");
    apr_table_add(r->headers, "content-type", "text/html");
    apr_table_add(r->headers, "Content-Length", "0");
    ck_assert_str_eq(
        enc("1", r),
        "{\"id\":\"1\",\"status\":401,\"headers\":{\"Content-Type\":"
        "\"application/json\",\"WWW-Authenticate\":\"Basic "
        "realm=\\\"x\\\"\"},\"body\":{\"error\":{\"code\":"
        "\"Unauthorized\",\"message\":\"401 Unauthorized\"}}}");
}
END_TEST

START_TEST(module_error)
{
    batch_result_t *r = result(424, "text/plain", "ignored", 7);

    r->error_code = "FailedDependency";
    r->error_message = "dependency \"2\" failed";
    r->headers = apr_table_make(pool, 4);
    apr_table_add(r->headers, "X-Other", "1");
    ck_assert_str_eq(
        enc("3", r),
        "{\"id\":\"3\",\"status\":424,\"headers\":{\"Content-Type\":"
        "\"application/json\"},\"body\":{\"error\":{\"code\":"
        "\"FailedDependency\",\"message\":\"dependency \\\"2\\\" "
        "failed\"}}}");
    r = result(504, NULL, NULL, 0);
    r->status_line = "504 Gateway Timeout";
    r->error_code = "BatchTimeout";
    ck_assert_ptr_nonnull(strstr(enc("3", r),
                                 "{\"code\":\"BatchTimeout\",\"message\":"
                                 "\"504 Gateway Timeout\"}"));
}
END_TEST

START_TEST(headers_filtered_and_joined)
{
    batch_result_t *r = result(200, NULL, NULL, 0);

    r->headers = apr_table_make(pool, 16);
    apr_table_add(r->headers, "Set-Cookie", "a=1");
    apr_table_add(r->headers, "Connection", "close, X-Private");
    apr_table_add(r->headers, "X-Private", "secret");
    apr_table_add(r->headers, "connection", "x-also");
    apr_table_add(r->headers, "X-ALSO", "hidden");
    apr_table_add(r->headers, "Keep-Alive", "timeout=5");
    apr_table_add(r->headers, "Transfer-Encoding", "chunked");
    apr_table_add(r->headers, "content-length", "12");
    apr_table_add(r->headers, "TE", "trailers");
    apr_table_add(r->headers, "Trailer", "X");
    apr_table_add(r->headers, "Upgrade", "h2c");
    apr_table_add(r->headers, "Proxy-Connection", "keep-alive");
    apr_table_add(r->headers, "set-cookie", "b=2");
    apr_table_add(r->headers, "ETag", "\"v1\"");
    apr_table_add(r->headers, "SET-COOKIE", "c=3");
    ck_assert_str_eq(enc("1", r),
                     "{\"id\":\"1\",\"status\":200,\"headers\":{\"Set-Cookie\":"
                     "\"a=1, b=2, c=3\",\"ETag\":\"\\\"v1\\\"\"}}");
}
END_TEST

/* Thousands of headers (a proxied target may answer them): every value
 * kept, in order, under the first spelling; distinct names past the
 * linear search go through the hash. */
START_TEST(many_headers)
{
    batch_result_t *r = result(200, NULL, NULL, 0);
    const char *out;
    char name[32], val[32], *all = apr_palloc(pool, 3000 * 8), *a = all;
    int i;

    r->headers = apr_table_make(pool, 16);
    for (i = 0; i < 3000; i++) {
        apr_snprintf(val, sizeof(val), "v%d", i);
        apr_table_add(r->headers, i % 2 ? "x-same" : "X-Same", val);
        a += apr_snprintf(a, 16, i ? ", %s" : "\"X-Same\":\"%s", val);
        apr_snprintf(name, sizeof(name), "X-H%d", i % 40);
        apr_table_add(r->headers, name, "h\n");
    }
    out = enc("1", r);
    ck_assert_ptr_nonnull(strstr(out, apr_pstrcat(pool, all, "\",", NULL)));
    ck_assert_ptr_nonnull(strstr(out, "v2998, v2999\",\"X-H0\":\"h\\n, "));
    ck_assert_ptr_null(strstr(out, "x-same"));
    for (i = 0; i < 40; i++) {
        apr_snprintf(name, sizeof(name), "\"X-H%d\":\"h\\n", i);
        ck_assert_ptr_nonnull(strstr(out, name));
    }
    ck_assert_ptr_nonnull(strstr(out, "\"X-H39\":\"h\\n, h\\n"));
    ck_assert(batch_util_json_valid(out, strlen(out), 8));
}
END_TEST

START_TEST(content_type_key)
{
    batch_result_t *r = result(200, NULL, "{}", 2);
    const char *json;

    r->headers = apr_table_make(pool, 4);
    apr_table_add(r->headers, "content-type", "application/json");
    apr_table_add(r->headers, "X-A", "1");
    json = enc("1", r);
    ck_assert_str_eq(
        json, "{\"id\":\"1\",\"status\":200,\"headers\":{\"Content-Type\":"
              "\"application/json\",\"X-A\":\"1\"},\"body\":{}}");

    /* res->content_type wins over the table; one key only */
    r->content_type = "text/plain";
    apr_table_add(r->headers, "CONTENT-TYPE", "image/png");
    json = enc("1", r);
    ck_assert_str_eq(
        json, "{\"id\":\"1\",\"status\":200,\"headers\":{\"Content-Type\":"
              "\"text/plain\",\"X-A\":\"1\"},\"body\":\"{}\"}");
}
END_TEST

START_TEST(output_always_utf8)
{
    batch_result_t *r = result(200, "text/plain", "ok", 2);
    const char *json;

    r->headers = apr_table_make(pool, 4);
    apr_table_add(r->headers, "X-Latin1", "caf\xe9");
    apr_table_add(r->headers, "X-\xff", "\xc0\x80");
    json = enc("i\"d\\", r);
    ck_assert_ptr_nonnull(strstr(json, "\"id\":\"i\\\"d\\\\\""));
    ck_assert_ptr_nonnull(strstr(json, "\"X-Latin1\":\"caf\xef\xbf\xbd\""));
    ck_assert_ptr_nonnull(strstr(json, "\"X-\xef\xbf\xbd\":\"\xef\xbf\xbd"
                                       "\xef\xbf\xbd\""));
}
END_TEST

START_TEST(whole_response_is_json)
{
    const char *a = enc("1", result(200, "application/json", "[1]", 3));
    const char *b = enc("2", result(404, NULL, NULL, 0));
    const char *all = apr_pstrcat(pool, BATCH_ENCODE_OPEN, a, ",", b,
                                  BATCH_ENCODE_CLOSE, NULL);
    struct json_object *o = NULL, *resp, *item, *v;
    const char *why = NULL;

    ck_assert_int_eq(json_oracle_parse(&o, &why, all, strlen(all), 64, pool),
                     APR_SUCCESS);
    ck_assert(json_object_object_get_ex(o, "responses", &resp));
    ck_assert_uint_eq(json_object_array_length(resp), 2);
    item = json_object_array_get_idx(resp, 1);
    ck_assert(json_object_object_get_ex(item, "status", &v));
    ck_assert_int_eq(json_object_get_int(v), 404);
    json_object_put(o);
}
END_TEST

START_TEST(batch_error_body)
{
    batch_error_t err = {
        400, "BadRequest", "requests[0]: \"id\" is \"x\"", NULL, 0, "id"};
    batch_error_t bare = {413, NULL, NULL, NULL, -1, NULL};

    ck_assert_str_eq(batch_encode_error(&err, pool),
                     "{\"error\":{\"code\":\"BadRequest\",\"message\":"
                     "\"requests[0]: \\\"id\\\" is \\\"x\\\"\"}}");
    ck_assert_str_eq(batch_encode_error(&bare, pool),
                     "{\"error\":{\"code\":\"Error\",\"message\":"
                     "\"413\"}}");
    /* any bytes in a message: still strict JSON */
    err.message = "id \xff\xed\xa0\x80 \x01\x1f\"\\";
    ck_assert_str_eq(batch_encode_error(&err, pool),
                     "{\"error\":{\"code\":\"BadRequest\",\"message\":"
                     "\"id \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                     "\\u0001\\u001f\\\"\\\\\"}}");
}
END_TEST

/* ------------------------------------------------------------------ */
/* the very bytes of the reference encoder (tests/oracle/encode_ref.c) */
/* ------------------------------------------------------------------ */

/* xorshift32: the same tables on every run */
static apr_uint32_t rnd(apr_uint32_t *st)
{
    apr_uint32_t x = *st;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *st = x;
}

/* A byte string of length n, mostly plain, with now and then a byte
 * that needs an escape or is no UTF-8, anywhere (first and last too). */
static char *rnd_bytes(apr_uint32_t *st, apr_size_t n)
{
    static const char *const odd[] = {"\"",
                                      "\\",
                                      "\x01",
                                      "\x1f",
                                      "\n",
                                      "\t",
                                      "\x7f",
                                      "/",
                                      "\xc3\xa9",
                                      "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80",
                                      "\xff",
                                      "\xc0\x80",
                                      "\xed\xa0\x80",
                                      "\xe9",
                                      ",",
                                      " ",
                                      "\xc3"};
    char *s = apr_palloc(pool, n + 4), *o = s;
    int rare = (int)(rnd(st) % 4); /* 0: no odd byte at all */

    while ((apr_size_t)(o - s) < n) {
        apr_uint32_t r = rnd(st);

        if (rare && r % (apr_uint32_t)(rare * 12) == 0) {
            const char *q = odd[(r >> 8) % (sizeof(odd) / sizeof(odd[0]))];

            memcpy(o, q, strlen(q));
            o += strlen(q);
        }
        else {
            *o++ = (char)(' ' + 1 + (r >> 8) % 94); /* '!'..'~' */
        }
    }
    *o = '\0';
    return s;
}

/* Lengths around every step of the encoder's copies: 0, 1-3, 4-7, 8-15,
 * 16, 17-32, longer, and past sb_esc's inline limit. */
static apr_size_t rnd_len(apr_uint32_t *st)
{
    apr_uint32_t r = rnd(st) % 16;

    return r < 12 ? rnd(st) % 34 : r < 15 ? rnd(st) % 80 : 240 + rnd(st) % 40;
}

/* A header name: a known one in any case, or random bytes. */
static const char *rnd_name(apr_uint32_t *st)
{
    static const char *const known[] = {"ETag",
                                        "Connection",
                                        "Keep-Alive",
                                        "TE",
                                        "Trailer",
                                        "Upgrade",
                                        "Proxy-Connection",
                                        "Transfer-Encoding",
                                        "Content-Length",
                                        "Content-Type",
                                        "X-Listed",
                                        "X-A",
                                        "Vary",
                                        "Set-Cookie",
                                        "Cache-Control",
                                        "Last-Modified",
                                        "Accept-Ranges",
                                        "",
                                        "Connectionx",
                                        "Content-Lengt",
                                        "X-Sixteen-Bytes!",
                                        "Keep-Alivf"};
    apr_uint32_t r = rnd(st);
    char *s;
    apr_size_t i;

    if (r % 8 == 0) {
        return rnd_bytes(st, rnd_len(st) % 24);
    }
    s = apr_pstrdup(pool, known[(r >> 4) % (sizeof(known) / sizeof(known[0]))]);
    for (i = 0; s[i]; i++) {
        if (rnd(st) % 3 == 0) {
            s[i] = (char)(s[i] ^ 0x20 * (apr_isalpha(s[i]) != 0));
        }
    }
    return s;
}

/* A value: random bytes, or a list that names other headers (for
 * Connection), or an entity tag, well formed or not. NULL now and then. */
static const char *rnd_value(apr_uint32_t *st)
{
    static const char *const lists[] = {"close, X-Listed",
                                        "x-a",
                                        " , X-LISTED ,, te",
                                        "keep-alive, Vary",
                                        "\"14a-5f1c2b3a4d5e6\"",
                                        "bytes",
                                        "Fri, 04 Dec 2026 15:10:20 GMT",
                                        "W/\"14a-5f1c2b3a4d5e6\"",
                                        "\"\"",
                                        "W/\"\"",
                                        "\"",
                                        "W/\"",
                                        "W/",
                                        "w/\"x\"",
                                        "W\"x\"",
                                        "\"a\"b\"",
                                        "\"a\\b\"",
                                        "\"caf\xc3\xa9\"",
                                        "\"x\xff\"",
                                        "\"\x01\"",
                                        "W/x\"",
                                        "\"x"};
    apr_uint32_t r = rnd(st) % 16;

    if (r == 0) {
        return NULL;
    }
    if (r < 5) {
        return lists[rnd(st) % (sizeof(lists) / sizeof(lists[0]))];
    }
    if (r < 7) {
        /* "..." or W/"..." around random bytes of any length */
        return apr_pstrcat(pool, r == 5 ? "W/\"" : "\"",
                           rnd_bytes(st, rnd_len(st)), "\"", NULL);
    }
    return rnd_bytes(st, rnd_len(st));
}

/* A table of n entries with repeated names in any case; with nullkeys
 * now and then a NULL key (the encoder skips one; apr_table_get() would
 * not, so only where the encoder has no Content-Type to look up). */
static apr_table_t *rnd_table(apr_uint32_t *st, int n, int nullkeys)
{
    apr_table_t *t = apr_table_make(pool, 2);
    int i;

    for (i = 0; i < n; i++) {
        apr_table_addn(t, rnd_name(st), rnd_value(st));
        if (nullkeys && rnd(st) % 64 == 0) {
            apr_table_entry_t *e = (apr_table_entry_t *)apr_table_elts(t)->elts;

            e[i].key = NULL;
        }
    }
    return t;
}

static void rnd_body(batch_result_t *r, apr_uint32_t *st)
{
    static const char *const json[] = {
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"d\\u00e9\"}\n",
        "  [1]  ",
        "[1,]",
        "\"x\"",
        "{\"a\":1}}",
        " \r\n\t",
        "nul",
        "[\"\xff\"]"};
    apr_uint32_t k = rnd(st) % 4;

    if (k == 0) {
        return;
    }
    r->body = k == 1 ? json[rnd(st) % (sizeof(json) / sizeof(json[0]))]
                     : rnd_bytes(st, rnd_len(st) * (k == 3 ? 8 : 1));
    r->body_len = strlen(r->body);
}

START_TEST(same_bytes_as_reference)
{
    static const int statuses[] = {200, 201, 204, 206,  304,
                                   400, 404, 500, 0,    -1,
                                   99,  100, 999, 1000, 2147483647};
    static const char *const ctypes[] = {NULL,
                                         "application/json",
                                         "APPLICATION/JSON",
                                         "application/jsonx",
                                         "application/json; charset=utf-8",
                                         "application/json ",
                                         "text/plain",
                                         "image/png",
                                         "",
                                         "application/problem+json",
                                         "text/\xff\""};
    apr_uint32_t st = 2463534242u;
    int round;

    for (round = 0; round < 20000; round++) {
        batch_result_t *r = result(200, NULL, NULL, 0);
        apr_uint32_t f = rnd(&st);
        const char *id, *why;

        r->status = statuses[f % (sizeof(statuses) / sizeof(statuses[0]))];
        r->content_type =
            ctypes[(f >> 4) % (sizeof(ctypes) / sizeof(ctypes[0]))];
        r->head = (f >> 8) % 8 == 0;
        r->error_code = (f >> 11) % 8 == 0 ? "FailedDependency" : NULL;
        r->error_message = (f >> 14) % 2 ? "item \"x\" \xff" : NULL;
        r->status_line = (f >> 15) % 2 ? "404 Not Found" : NULL;
        if ((f >> 16) % 8 != 0) {
            /* mostly few entries; up to 40 for the hashed path */
            r->headers =
                rnd_table(&st, (int)(rnd(&st) % ((f >> 19) % 4 ? 8 : 40)),
                          r->content_type != NULL);
        }
        rnd_body(r, &st);
        id = (f >> 22) % 8 ? rnd_bytes(&st, rnd(&st) % 6)
                           : rnd_bytes(&st, rnd_len(&st));
        if ((f >> 25) % 64 == 0) {
            id = NULL; /* written as "" */
        }
        why = encode_ref_diff(id, r, pool);
        ck_assert_msg(why == NULL, "round %d: %s differs", round, why);
        if (round % 512 == 511) {
            apr_pool_clear(pool);
        }
    }
}
END_TEST

Suite *batch_encode_suite(void)
{
    Suite *s = suite_create("encode");
    TCase *tc = tcase_create("encode");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, json_body_inline);
    tcase_add_test(tc, json_body_invalid);
    tcase_add_test(tc, text_body);
    tcase_add_test(tc, binary_body);
    tcase_add_test(tc, no_body_key);
    tcase_add_test(tc, generated_error_body);
    tcase_add_test(tc, generated_error_keeps_headers);
    tcase_add_test(tc, module_error);
    tcase_add_test(tc, headers_filtered_and_joined);
    tcase_add_test(tc, many_headers);
    tcase_add_test(tc, content_type_key);
    tcase_add_test(tc, output_always_utf8);
    tcase_add_test(tc, whole_response_is_json);
    tcase_add_test(tc, batch_error_body);
    tcase_add_test(tc, same_bytes_as_reference);
    suite_add_tcase(s, tc);
    return s;
}
