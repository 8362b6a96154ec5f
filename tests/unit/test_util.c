/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_util.c: unit tests of batch_util.c: size suffixes (CONTRACT 2),
 * media-type classes and base64 (CONTRACT 5), UTF-8, token and header
 * value checks (CONTRACT 3), JSON escaping and the strict JSON reader
 * that both the parser and the encoder rely on.
 */

#include <string.h>

#include <json-c/json.h>

#include <apr_strings.h>

#include "unit.h"
#include "batch_util.h"
#include "json_oracle.h"

static apr_pool_t *pool;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

/* ------------------------------------------------------------------ */
/* sizes                                                              */
/* ------------------------------------------------------------------ */

static void size_ok(const char *s, apr_off_t want)
{
    apr_off_t v = -7;
    ck_assert_msg(batch_util_parse_size(&v, s) == APR_SUCCESS,
                  "size '%s' refused", s);
    ck_assert_msg(v == want, "size '%s' gave %" APR_OFF_T_FMT, s, v);
}

static void size_bad(const char *s)
{
    apr_off_t v = -7;
    ck_assert_msg(batch_util_parse_size(&v, s) == APR_EINVAL,
                  "size '%s' accepted", s);
    ck_assert_msg(v == -7, "size '%s' wrote the output", s);
}

START_TEST(size_plain_and_suffixes)
{
    size_ok("1", 1);
    size_ok("1K", 1024);
    size_ok("1k", 1024);
    size_ok("1m", 1024 * 1024);
    size_ok("1M", 1024 * 1024);
    size_ok("2G", (apr_off_t)2 * 1024 * 1024 * 1024);
    size_ok("2g", (apr_off_t)2 * 1024 * 1024 * 1024);
    size_ok("007", 7);
    size_ok("9223372036854775807", APR_INT64_C(9223372036854775807));
    size_ok("8589934591G", APR_INT64_C(8589934591) * 1024 * 1024 * 1024);
}
END_TEST

START_TEST(size_refused)
{
    size_bad("0");
    size_bad("0K");
    size_bad("-1");
    size_bad("+1");
    size_bad("1.5K");
    size_bad("1KB");
    size_bad("1T");
    size_bad("K");
    size_bad("");
    size_bad(" 1");
    size_bad("1 ");
    size_bad("1 K");
    size_bad("0x10");
    size_bad("99999999999999999999G");
    size_bad("99999999999999999999");
    size_bad("9223372036854775808");
    size_bad("8589934592G");
    ck_assert_int_eq(batch_util_parse_size(NULL, NULL), APR_EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* media types                                                        */
/* ------------------------------------------------------------------ */

START_TEST(media_classes)
{
    ck_assert_int_eq(batch_util_media_class("application/json"),
                     BATCH_MEDIA_JSON);
    ck_assert_int_eq(batch_util_media_class("Application/JSON; charset=utf-8"),
                     BATCH_MEDIA_JSON);
    ck_assert_int_eq(batch_util_media_class(" application/json ;q=1"),
                     BATCH_MEDIA_JSON);
    ck_assert_int_eq(batch_util_media_class("application/vnd.api+json"),
                     BATCH_MEDIA_JSON);
    ck_assert_int_eq(batch_util_media_class("application/problem+JSON"),
                     BATCH_MEDIA_JSON);
    ck_assert_int_eq(batch_util_media_class("text/plain"), BATCH_MEDIA_TEXT);
    ck_assert_int_eq(batch_util_media_class("TEXT/HTML; charset=iso-8859-1"),
                     BATCH_MEDIA_TEXT);
    ck_assert_int_eq(batch_util_media_class("text/csv"), BATCH_MEDIA_TEXT);
    ck_assert_int_eq(batch_util_media_class("application/xml"),
                     BATCH_MEDIA_TEXT);
    ck_assert_int_eq(batch_util_media_class("image/svg+xml"), BATCH_MEDIA_TEXT);
    ck_assert_int_eq(batch_util_media_class("application/javascript"),
                     BATCH_MEDIA_TEXT);
    ck_assert_int_eq(
        batch_util_media_class("application/x-www-form-urlencoded"),
        BATCH_MEDIA_TEXT);
    ck_assert_int_eq(batch_util_media_class("application/octet-stream"),
                     BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class("image/png"), BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class("application/jsonx"),
                     BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class("application/json-seq"),
                     BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class("text/"), BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class("multipart/form-data"),
                     BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class(""), BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class(";charset=utf-8"),
                     BATCH_MEDIA_BINARY);
    ck_assert_int_eq(batch_util_media_class(NULL), BATCH_MEDIA_BINARY);
}
END_TEST

/* ------------------------------------------------------------------ */
/* UTF-8, tokens, header values                                       */
/* ------------------------------------------------------------------ */

#define UTF8(s) batch_util_utf8_valid(s, sizeof(s) - 1)

START_TEST(utf8_valid_and_invalid)
{
    ck_assert(UTF8(""));
    ck_assert(UTF8("plain ascii"));
    ck_assert(UTF8("a\0b"));             /* NUL allowed */
    ck_assert(UTF8("\xc3\xa9"));         /* U+00E9 */
    ck_assert(UTF8("\xe2\x82\xac"));     /* U+20AC */
    ck_assert(UTF8("\xf0\x9f\x98\x80")); /* U+1F600 */
    ck_assert(UTF8("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    ck_assert(UTF8("\xed\x9f\xbf"));     /* U+D7FF */
    ck_assert(UTF8("\xee\x80\x80"));     /* U+E000 */

    ck_assert(!UTF8("\xc0\x80"));         /* overlong NUL */
    ck_assert(!UTF8("\xc1\xbf"));         /* overlong 7F */
    ck_assert(!UTF8("\xe0\x80\x80"));     /* overlong 3 bytes */
    ck_assert(!UTF8("\xe0\x9f\xbf"));     /* overlong U+07FF */
    ck_assert(!UTF8("\xf0\x80\x80\x80")); /* overlong 4 bytes */
    ck_assert(!UTF8("\xf0\x8f\xbf\xbf")); /* overlong U+FFFF */
    ck_assert(!UTF8("\xed\xa0\x80"));     /* surrogate U+D800 */
    ck_assert(!UTF8("\xed\xbf\xbf"));     /* surrogate U+DFFF */
    ck_assert(!UTF8("\xf4\x90\x80\x80")); /* U+110000 */
    ck_assert(!UTF8("\xf5\x80\x80\x80"));
    ck_assert(!UTF8("\xff"));
    ck_assert(!UTF8("\x80"));     /* stray continuation */
    ck_assert(!UTF8("\xe2\x82")); /* truncated */
    ck_assert(!UTF8("a\xe2\x82"));
    ck_assert(!UTF8("\xf0\x9f\x98"));
    ck_assert(!UTF8("\xc3"));
    ck_assert(!UTF8("\xc3\x28")); /* bad continuation */
    /* the length is honoured, not the NUL */
    ck_assert(batch_util_utf8_valid("ab\xc3", 2));
}
END_TEST

START_TEST(utf8_chars)
{
    ck_assert_uint_eq(batch_util_utf8_chars("", 0), 0);
    ck_assert_uint_eq(batch_util_utf8_chars("abc", 3), 3);
    ck_assert_uint_eq(batch_util_utf8_chars("\xc3\xa9t\xc3\xa9", 5), 3);
    ck_assert_uint_eq(batch_util_utf8_chars("\xf0\x9f\x98\x80", 4), 1);
}
END_TEST

START_TEST(tokens)
{
    ck_assert(batch_util_is_token("GET"));
    ck_assert(batch_util_is_token("X-Custom_1"));
    ck_assert(batch_util_is_token("!#$%&'*+-.^_`|~09azAZ"));
    ck_assert(!batch_util_is_token(""));
    ck_assert(!batch_util_is_token(NULL));
    ck_assert(!batch_util_is_token("GE T"));
    ck_assert(!batch_util_is_token("a:b"));
    ck_assert(!batch_util_is_token("(x)"));
    ck_assert(!batch_util_is_token("a/b"));
    ck_assert(!batch_util_is_token("a\"b"));
    ck_assert(!batch_util_is_token("a\tb"));
    ck_assert(!batch_util_is_token("caf\xc3\xa9"));
    ck_assert(!batch_util_is_token("a\x7f"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* base64                                                             */
/* ------------------------------------------------------------------ */

static void b64_ok(const char *in, const char *want, apr_size_t wantlen)
{
    const char *out = NULL;
    apr_size_t len = 99;
    ck_assert_msg(batch_util_base64_decode(&out, &len, in, strlen(in), pool)
                      == APR_SUCCESS,
                  "base64 '%s' refused", in);
    ck_assert_msg(len == wantlen, "base64 '%s' gave %" APR_SIZE_T_FMT " bytes",
                  in, len);
    ck_assert_msg(!memcmp(out, want, wantlen), "base64 '%s' bytes differ", in);
    ck_assert_int_eq(out[len], '\0');
}

static void b64_bad(const char *in)
{
    const char *out = NULL;
    apr_size_t len = 99;
    ck_assert_msg(batch_util_base64_decode(&out, &len, in, strlen(in), pool)
                      == APR_EINVAL,
                  "base64 '%s' accepted", in);
}

START_TEST(base64_decode)
{
    b64_ok("", "", 0);
    b64_ok("aGVsbG8=", "hello", 5);
    b64_ok("aGVsbG8", "hello", 5); /* padding optional */
    b64_ok("aGk=", "hi", 2);
    b64_ok("aGk", "hi", 2);
    b64_ok("aA==", "h", 1);
    b64_ok("aA", "h", 1);
    b64_ok("Zm9vYmFy", "foobar", 6);
    b64_ok("+/+/", "\xfb\xff\xbf", 3); /* standard alphabet */
    b64_ok("-_-_", "\xfb\xff\xbf", 3); /* URL-safe alphabet */
    b64_ok("-_8", "\xfb\xff", 2);
    b64_ok("+/8=", "\xfb\xff", 2);

    b64_bad("a"); /* impossible length */
    b64_bad("aGVsb");
    b64_bad("aGk=="); /* too much padding */
    b64_bad("aA=");   /* too little padding */
    b64_bad("aGVsbG8==");
    b64_bad("=");
    b64_bad("====");
    b64_bad("A===");
    b64_bad("aG=k");      /* padding inside */
    b64_bad("aGVsbG8*");  /* invalid character */
    b64_bad("aGV sbG8="); /* whitespace */
    b64_bad("aGk=\n");
    b64_bad("+_+_"); /* alphabets mixed */
    b64_bad("caf\xc3\xa9");
}
END_TEST

START_TEST(base64_encode)
{
    apr_size_t len = 99;
    unsigned char all[256];
    const char *enc, *dec;
    int i;

    ck_assert_str_eq(batch_util_base64_encode(&len, "", 0, pool), "");
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(batch_util_base64_encode(NULL, "f", 1, pool), "Zg==");
    ck_assert_str_eq(batch_util_base64_encode(NULL, "fo", 2, pool), "Zm8=");
    ck_assert_str_eq(batch_util_base64_encode(NULL, "foo", 3, pool), "Zm9v");
    ck_assert_str_eq(batch_util_base64_encode(&len, "foobar", 6, pool),
                     "Zm9vYmFy");
    ck_assert_uint_eq(len, 8);
    ck_assert_str_eq(batch_util_base64_encode(NULL, "\xfb\xff", 2, pool),
                     "+/8=");

    for (i = 0; i < 256; i++) {
        all[i] = (unsigned char)i;
    }
    enc = batch_util_base64_encode(&len, (const char *)all, 256, pool);
    ck_assert_uint_eq(len, 344);
    ck_assert_int_eq(
        batch_util_base64_decode(&dec, &len, enc, strlen(enc), pool),
        APR_SUCCESS);
    ck_assert_uint_eq(len, 256);
    ck_assert_mem_eq(dec, all, 256);
}
END_TEST

/* apr_base64_encode_binary() takes an int: the input goes in chunks of
 * 3 MiB; only the last one may be padded. */
START_TEST(base64_encode_chunks)
{
    apr_size_t n = ((apr_size_t)3 << 20) + 2, len = 0, k;
    char *in = apr_palloc(pool, n);
    const char *enc, *dec;

    for (k = 0; k < n; k++) {
        in[k] = (char)(k * 7);
    }
    enc = batch_util_base64_encode(&len, in, n, pool);
    ck_assert_uint_eq(len, (n + 2) / 3 * 4);
    ck_assert_uint_eq(strlen(enc), len);
    ck_assert(strchr(enc, '=') == enc + len - 1);
    ck_assert_int_eq(batch_util_base64_decode(&dec, &k, enc, len, pool),
                     APR_SUCCESS);
    ck_assert_uint_eq(k, n);
    ck_assert_mem_eq(dec, in, n);
}
END_TEST

/* ------------------------------------------------------------------ */
/* hop-by-hop headers                                                 */
/* ------------------------------------------------------------------ */

#define HOP(s) batch_util_hop_by_hop(s, strlen(s))

START_TEST(hop_by_hop)
{
    ck_assert(HOP("Connection") && HOP("keep-alive") && HOP("TE"));
    ck_assert(HOP("Trailer") && HOP("UPGRADE") && HOP("Proxy-Connection"));
    ck_assert(HOP("transfer-encoding"));
    ck_assert(!HOP("Content-Length") && !HOP("Host") && !HOP("T"));
    ck_assert(!HOP("Connections") && !HOP("") && !HOP("HTTP2-Settings"));
    ck_assert(!batch_util_hop_by_hop("TEx", 2 + 1));
    ck_assert(batch_util_hop_by_hop("TEx", 2));
}
END_TEST

#define LISTED(l, s) batch_util_token_listed(l, s, strlen(s))

START_TEST(token_listed)
{
    ck_assert(LISTED("close", "Close"));
    ck_assert(LISTED(" x-a ,\tX-B\t, ,", "x-b"));
    ck_assert(LISTED("x-a,x-b", "X-A"));
    ck_assert(!LISTED("x", "x-foo")); /* whole elements, not prefixes */
    ck_assert(!LISTED("x-foo", "x"));
    ck_assert(!LISTED("", "x") && !LISTED(",,", "x"));
    ck_assert(!batch_util_token_listed(NULL, "x", 1));
    ck_assert(!LISTED("a b", "a")); /* "a b" is one element */
}
END_TEST

/* ------------------------------------------------------------------ */
/* results                                                            */
/* ------------------------------------------------------------------ */

START_TEST(result_error)
{
    batch_result_t res;

    memset(&res, 0, sizeof(res));
    res.headers = apr_table_make(pool, 1);
    res.content_type = "text/plain";
    res.body = "x";
    res.body_len = 1;
    res.head = 1;
    res.status_line = "200 OK";
    batch_util_result_error(&res, 502, "BadGateway", "m");
    ck_assert_int_eq(res.status, 502);
    ck_assert_str_eq(res.error_code, "BadGateway");
    ck_assert_str_eq(res.error_message, "m");
    ck_assert(!res.headers && !res.content_type && !res.body);
    ck_assert_uint_eq(res.body_len, 0);
    ck_assert_int_eq(res.head, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

START_TEST(json_escape)
{
    apr_size_t len = 0;

    ck_assert_str_eq(batch_util_json_escape(&len, "a\"b\\c", 5, pool),
                     "a\\\"b\\\\c");
    ck_assert_uint_eq(len, 7);
    ck_assert_str_eq(batch_util_json_escape(NULL, "a/b", 3, pool), "a/b");
    ck_assert_str_eq(batch_util_json_escape(NULL, "l1\nl2\t\x01\r", 8, pool),
                     "l1\\nl2\\t\\u0001\\r");
    ck_assert_str_eq(batch_util_json_escape(NULL, "\x1f\x7f", 2, pool),
                     "\\u001f\x7f");
    /* not UTF-8: U+FFFD per byte; well-formed sequences stay */
    ck_assert_str_eq(
        batch_util_json_escape(&len, "a\xff\xc3(\xed\xa0\x80", 7, pool),
        "a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    ck_assert_uint_eq(len, 17);
    ck_assert_uint_eq(
        batch_util_json_escape_to(NULL, 0, "\xf0\x9f\x98\x80\"", 5, NULL), 6);
    {
        /* a full buffer stops before the escape that does not fit */
        char out[8];
        apr_size_t used = 0;

        ck_assert_uint_eq(
            batch_util_json_escape_to(out, 5, "abc\n\x01", 5, &used), 5);
        ck_assert_uint_eq(used, 4);
        ck_assert_mem_eq(out, "abc\\n", 5);
        ck_assert_uint_eq(
            batch_util_json_escape_to(out, 2, "abc\n\x01", 5, &used), 2);
        ck_assert_uint_eq(used, 2);
        ck_assert_uint_eq(
            batch_util_json_escape_to(
                out, 8, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9, &used),
            6);
        ck_assert_uint_eq(used, 6);
    }
    ck_assert_str_eq(batch_util_json_escape(NULL, "a\0b", 3, pool),
                     "a\\u0000b");
    ck_assert_str_eq(batch_util_json_escape(NULL, "caf\xc3\xa9", 5, pool),
                     "caf\xc3\xa9");
}
END_TEST

static void json_ok(const char *s, apr_size_t len, const char *want)
{
    struct json_object *o = (struct json_object *)1;
    const char *why = NULL;
    apr_status_t rv = json_oracle_parse(&o, &why, s, len, 64, pool);

    ck_assert_msg(rv == APR_SUCCESS, "'%s' refused: %s", s, why);
    ck_assert_str_eq(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                              | JSON_C_TO_STRING_NOSLASHESCAPE),
        want);
    json_object_put(o);
}

static void json_bad(const char *s, apr_size_t len, const char *why_part)
{
    struct json_object *o = (struct json_object *)1;
    const char *why = NULL;
    apr_status_t rv = json_oracle_parse(&o, &why, s, len, 64, pool);

    ck_assert_msg(rv == APR_EINVAL, "'%s' accepted", s);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_part) != NULL, "'%s': reason '%s' lacks '%s'",
                  s, why, why_part);
}

#define JSON_OK(s, want) json_ok(s, sizeof(s) - 1, want)
#define JSON_BAD(s, why) json_bad(s, sizeof(s) - 1, why)

START_TEST(json_strict_reader)
{
    JSON_OK("{\"a\":[1,2.50,-3,1e5,true,false,null,\"x/y\"]}",
            "{\"a\":[1,2.50,-3,1e5,true,false,null,\"x/y\"]}");
    JSON_OK(" \t\r\n[1] \n", "[1]");
    JSON_OK("12", "12"); /* bare top-level number */
    JSON_OK("-1.5e3", "-1.5e3");
    JSON_OK("true", "true");
    JSON_OK("null", "null");
    JSON_OK("\"a\"", "\"a\"");
    JSON_OK("[18446744073709551615,-9223372036854775808]",
            "[18446744073709551615,-9223372036854775808]");
    JSON_OK("[\"\\u0000\"]", "[\"\\u0000\"]"); /* NUL escaped in a value */
    JSON_OK("[\"\x7f\"]", "[\"\x7f\"]");       /* DEL needs no escape */

    JSON_BAD("", "end of data");
    JSON_BAD("{", "end of data");
    JSON_BAD("[1,]", "not valid JSON");
    JSON_BAD("['a']", "not valid JSON");
    JSON_BAD("[1] x", "not valid JSON");
    JSON_BAD("[1][2]", "not valid JSON");
    JSON_BAD("[1]\0", "NUL");
    JSON_BAD("[\"a\0b\"]", "NUL");
    JSON_BAD("[\"a\tb\"]", "control character");
    JSON_BAD("[\"a\nb\"]", "control character");
    JSON_BAD("[NaN]", "true, false or null");
    JSON_BAD("[Infinity]", "true, false or null");
    JSON_BAD("[-Infinity]", "number");
    JSON_BAD("[1.]", "after '.'");
    JSON_BAD("[.5]", "not valid JSON");
    JSON_BAD("[01]", "not valid JSON");
    JSON_BAD("[00]", "leading zero"); /* json-c alone reads it as 0 */
    JSON_BAD("00", "leading zero");
    JSON_BAD("-01", "leading zero");
    JSON_BAD("{\"a\":[-00.5]}", "leading zero");
    JSON_BAD("[1e]", "exponent");
    JSON_BAD("[18446744073709551616]", "64-bit");
    JSON_BAD("[-9223372036854775809]", "64-bit");
    JSON_BAD("{\"a\\u0000b\":1}", "member name");
    JSON_BAD("[\"\xc0\x80\"]", "UTF-8");
    JSON_BAD("[\"\xed\xa0\x80\"]", "UTF-8");
    JSON_BAD("[\"\xf4\x90\x80\x80\"]", "UTF-8");
    JSON_BAD("[\"\xe2\x82\"]", "UTF-8");
    JSON_BAD("\xef\xbb\xbf[1]", "not valid JSON"); /* BOM */
}
END_TEST

START_TEST(json_depth)
{
    struct json_object *o = NULL;
    const char *why = NULL, *s;

    s = unit_nested(pool, 64);
    ck_assert_int_eq(json_oracle_parse(&o, &why, s, strlen(s), 64, pool),
                     APR_SUCCESS);
    json_object_put(o);
    s = unit_nested(pool, 65);
    ck_assert_int_eq(json_oracle_parse(&o, &why, s, strlen(s), 64, pool),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "deeper than 64"));
}
END_TEST

/* The one RFC 8259 number grammar: the reason and where it is. */
static void num_case(const char *s, const char *why, apr_size_t at)
{
    apr_size_t i = 0;
    const char *got =
        batch_util_json_number((const unsigned char *)s, strlen(s), &i);

    if (why) {
        ck_assert_msg(got && !strcmp(got, why), "%s: %s", s,
                      got ? got : "accepted");
    }
    else {
        ck_assert_msg(!got, "%s: %s", s, got);
    }
    ck_assert_msg(i == at, "%s: at %u, not %u", s, (unsigned)i, (unsigned)at);
}

START_TEST(json_number)
{
    num_case("0", NULL, 1);
    num_case("-0.5e+10,", NULL, 8);
    num_case("123456789012345678901234567890]", NULL, 30);
    num_case("1E5", NULL, 3);
    num_case("-", "a number has no digits", 1);
    num_case("-x", "a number has no digits", 1);
    num_case("01", "a number has a leading zero", 0);
    num_case("-07", "a number has a leading zero", 1);
    num_case("1.", "a number has no digits after '.'", 2);
    num_case("1.e5", "a number has no digits after '.'", 2);
    num_case("1e", "a number has no exponent digits", 2);
    num_case("1e+]", "a number has no exponent digits", 3);
}
END_TEST

START_TEST(json_validator)
{
    static const char *const good[] = {
        "{}",
        "[]",
        "0",
        "-0.5e+10",
        "\"\\u00e9\\n\"",
        " true ",
        "null",
        "{\"a\":[1,{\"b\":false}],\"c\":\"\xc3\xa9\"}",
        "123456789012345678901234567890",
        "[\"\\ud83d\\ude00\"]",
        "\"\\uD800\\uDFFFx\\u0000\"",
        NULL};
    static const char *const bad[] = {
        "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.",
        ".5", "-", "1e", "NaN", "[Infinity]", "tru", "nul", "[1] x", "{} {}",
        "\"\x01\"", "\"\\x\"", "\"\\u12\"", "\"open", "\"\xc0\x80\"",
        "\"\xed\xa0\x80\"", "\"\xff\"", "[1}", "{]", "'a'",
        /* lone surrogate escapes */
        "[\"\\ud800\"]", "{\"a\":\"\\ud800\"}", "\"\\udc00x\"",
        "[\"\\ud800\\u0041\"]", "\"\\ud83d\"", "\"\\ud83d\\\"",
        "\"\\ud83d\\ud83d\"", "\"\\ud83d\\ude0\"", "\"\\ud83d\\", NULL};
    char deep[130];
    int i;

    for (i = 0; good[i]; i++) {
        ck_assert_msg(batch_util_json_valid(good[i], strlen(good[i]), 64),
                      "refused: %s", good[i]);
    }
    for (i = 0; bad[i]; i++) {
        ck_assert_msg(!batch_util_json_valid(bad[i], strlen(bad[i]), 64),
                      "accepted: %s", bad[i]);
    }
    ck_assert(!batch_util_json_valid("[\0]", 3, 64));
    for (i = 0; i < 64; i++) {
        deep[i] = '[';
        deep[64 + i] = ']';
    }
    ck_assert(batch_util_json_valid(deep, 128, 64));
    ck_assert(!batch_util_json_valid(deep, 128, 63));
}
END_TEST

Suite *batch_util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, size_plain_and_suffixes);
    tcase_add_test(tc, size_refused);
    tcase_add_test(tc, media_classes);
    tcase_add_test(tc, utf8_valid_and_invalid);
    tcase_add_test(tc, utf8_chars);
    tcase_add_test(tc, tokens);
    tcase_add_test(tc, base64_decode);
    tcase_add_test(tc, base64_encode);
    tcase_add_test(tc, base64_encode_chunks);
    tcase_add_test(tc, hop_by_hop);
    tcase_add_test(tc, token_listed);
    tcase_add_test(tc, result_error);
    tcase_add_test(tc, json_escape);
    tcase_add_test(tc, json_strict_reader);
    tcase_add_test(tc, json_depth);
    tcase_add_test(tc, json_number);
    tcase_add_test(tc, json_validator);
    suite_add_tcase(s, tc);
    return s;
}
