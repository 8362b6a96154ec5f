/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_json.c: unit tests of batch_json.c, the strict one-pass reader of
 * the batch request: every grammar case, escapes and surrogates, UTF-8
 * (checked exhaustively against a decoder by the definition), NUL bytes,
 * depth 64/65, duplicate names, source spans and big numbers. json-c
 * (through json_oracle_parse(), the reader mod_batch used before) and
 * batch_util_json_valid() serve as oracles: on a list of documents and
 * on mutants of them, all three agree except for the documented
 * differences.
 */

#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

#include "unit.h"
#include "batch_json.h"
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
/* helpers                                                            */
/* ------------------------------------------------------------------ */

static const batch_json_t *ok_n(const char *s, apr_size_t len, int depth)
{
    const batch_json_t *v = NULL;
    const char *why = NULL;

    ck_assert_msg(batch_json_parse(&v, &why, NULL, s, len, depth, pool)
                      == APR_SUCCESS,
                  "'%s' refused: %s", s, why);
    ck_assert_ptr_nonnull(v);
    return v;
}

static const batch_json_t *ok(const char *s)
{
    return ok_n(s, strlen(s), 64);
}

/* Refused, the reason holds why_part, and the offset is at (unless
 * at == (apr_size_t)-1). */
static void bad_n(const char *s, apr_size_t len, const char *why_part,
                  apr_size_t at)
{
    const batch_json_t *v = (const batch_json_t *)1;
    const char *why = NULL;
    apr_size_t pat = 12345;

    ck_assert_msg(batch_json_parse(&v, &why, &pat, s, len, 64, pool)
                      == APR_EINVAL,
                  "'%s' accepted", s);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_part) != NULL, "'%s': reason '%s' lacks '%s'",
                  s, why, why_part);
    ck_assert_msg(
        strstr(why, apr_psprintf(pool, "at byte %" APR_SIZE_T_FMT, pat))
            != NULL,
        "'%s': reason '%s' lacks the offset %" APR_SIZE_T_FMT, s, why, pat);
    if (at != (apr_size_t)-1) {
        ck_assert_msg(pat == at,
                      "'%s': offset %" APR_SIZE_T_FMT ", want %" APR_SIZE_T_FMT
                      " (%s)",
                      s, pat, at, why);
    }
}

#define OK(s) ok_n(s, sizeof(s) - 1, 64)

/* Strings and names are counted, not NUL terminated. */
#define MEM_IS(ptr, len, lit)                                                  \
    do {                                                                       \
        ck_assert_uint_eq(len, sizeof(lit) - 1);                               \
        ck_assert_mem_eq(ptr, lit, sizeof(lit) - 1);                           \
    } while (0)
#define STRVAL_IS(v, lit) MEM_IS((v)->u.str, (v)->n, lit)
#define NAME_IS(m, lit) MEM_IS((m)->name, (m)->name_len, lit)
#define BAD(s, why) bad_n(s, sizeof(s) - 1, why, (apr_size_t)-1)
#define BAD_AT(s, why, at) bad_n(s, sizeof(s) - 1, why, at)

/* The string value of a one-string document. */
static const batch_json_t *str_n(const char *s, apr_size_t len)
{
    const batch_json_t *v = ok_n(s, len, 64);
    ck_assert_int_eq(v->type, BATCH_JSON_STRING);
    return v;
}

#define STR_IS(doc, want)                                                      \
    do {                                                                       \
        const batch_json_t *sv_ = str_n(doc, sizeof(doc) - 1);                 \
        ck_assert_uint_eq(sv_->n, sizeof(want) - 1);                           \
        ck_assert_mem_eq(sv_->u.str, want, sizeof(want) - 1);                  \
    } while (0)

static const char *nest(const char *open, const char *inner, const char *close,
                        int levels)
{
    apr_size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
    char *s = apr_palloc(pool, (lo + lc) * (apr_size_t)levels + li + 1), *o = s;
    int i;

    for (i = 0; i < levels; i++, o += lo) {
        memcpy(o, open, lo);
    }
    memcpy(o, inner, li);
    o += li;
    for (i = 0; i < levels; i++, o += lc) {
        memcpy(o, close, lc);
    }
    *o = '\0';
    return s;
}

/* ------------------------------------------------------------------ */
/* grammar                                                            */
/* ------------------------------------------------------------------ */

START_TEST(scalars)
{
    const batch_json_t *v;

    ck_assert_int_eq(OK("null")->type, BATCH_JSON_NULL);
    ck_assert_int_eq(OK("true")->type, BATCH_JSON_TRUE);
    ck_assert_int_eq(OK("false")->type, BATCH_JSON_FALSE);
    ck_assert_int_eq(OK(" \t\r\nnull \t\r\n")->type, BATCH_JSON_NULL);
    v = OK("\"\"");
    ck_assert_int_eq(v->type, BATCH_JSON_STRING);
    ck_assert_uint_eq(v->n, 0);
    STRVAL_IS(v, "");

    v = OK("12");
    ck_assert_int_eq(v->type, BATCH_JSON_NUMBER);
    ck_assert_uint_eq(v->n, 2);
    ck_assert_mem_eq(v->u.str, "12", 2);
    OK("0");
    OK("-0");
    OK("-0.0e-0");
    OK("1.5");
    OK("1e5");
    OK("1E+5");
    OK("1e-5");
    OK("-12.345E678");
    OK("[0,-0,10,1.0,0.5,1e1,0E0]");
}
END_TEST

START_TEST(containers)
{
    const batch_json_t *v;

    v = OK("[]");
    ck_assert_int_eq(v->type, BATCH_JSON_ARRAY);
    ck_assert_uint_eq(v->n, 0);
    v = OK("{}");
    ck_assert_int_eq(v->type, BATCH_JSON_OBJECT);
    ck_assert_uint_eq(v->n, 0);
    v = OK("[ ]");
    ck_assert_uint_eq(v->n, 0);
    v = OK("{ \n}");
    ck_assert_uint_eq(v->n, 0);

    v = OK("[1, \"a\", [true], {\"k\": null}, false, []]");
    ck_assert_uint_eq(v->n, 6);
    ck_assert_int_eq(v->u.elts[0].type, BATCH_JSON_NUMBER);
    ck_assert_int_eq(v->u.elts[1].type, BATCH_JSON_STRING);
    STRVAL_IS(&v->u.elts[1], "a");
    ck_assert_int_eq(v->u.elts[2].type, BATCH_JSON_ARRAY);
    ck_assert_uint_eq(v->u.elts[2].n, 1);
    ck_assert_int_eq(v->u.elts[2].u.elts[0].type, BATCH_JSON_TRUE);
    ck_assert_int_eq(v->u.elts[3].type, BATCH_JSON_OBJECT);
    NAME_IS(&v->u.elts[3].u.members[0], "k");
    ck_assert_int_eq(v->u.elts[3].u.members[0].value.type, BATCH_JSON_NULL);
    ck_assert_int_eq(v->u.elts[4].type, BATCH_JSON_FALSE);
    ck_assert_uint_eq(v->u.elts[5].n, 0);

    /* whitespace anywhere between the tokens, empty containers inside */
    v = OK("{ \"a\" : 1 ,\t\"b\" :[ ] ,\"c\":{ } , \"d\\u0041\":[[],{}] }");
    ck_assert_uint_eq(v->n, 4);
    NAME_IS(&v->u.members[0], "a");
    NAME_IS(&v->u.members[1], "b");
    ck_assert_int_eq(v->u.members[1].value.type, BATCH_JSON_ARRAY);
    ck_assert_uint_eq(v->u.members[1].value.n, 0);
    NAME_IS(&v->u.members[2], "c");
    ck_assert_int_eq(v->u.members[2].value.type, BATCH_JSON_OBJECT);
    ck_assert_uint_eq(v->u.members[2].value.n, 0);
    NAME_IS(&v->u.members[3], "dA");
    ck_assert_uint_eq(v->u.members[3].value.n, 2);
    ck_assert_uint_eq(v->u.members[3].value.start, 42);
    ck_assert_uint_eq(v->u.members[3].value.end, 49);

    v = OK("{\"b\":1,\"a\":{\"c\":[{}]},\"\":\"e\"}");
    ck_assert_uint_eq(v->n, 3);
    NAME_IS(&v->u.members[0], "b"); /* order kept */
    NAME_IS(&v->u.members[1], "a");
    NAME_IS(&v->u.members[2], "");
    ck_assert_uint_eq(v->u.members[2].name_len, 0);
    ck_assert_ptr_eq(batch_json_get(v, ""), &v->u.members[2].value);
    ck_assert_int_eq(
        batch_json_get(batch_json_get(v, "a"), "c")->u.elts[0].type,
        BATCH_JSON_OBJECT);
    ck_assert_ptr_null(batch_json_get(v, "c"));
    ck_assert_ptr_null(batch_json_get(&v->u.members[0].value, "b"));
    ck_assert_ptr_null(batch_json_get(NULL, "b"));

    /* many members and elements: the reader's stack grows */
    {
        const char *s = "[", *o = "{";
        int i;
        for (i = 0; i < 1000; i++) {
            s = apr_psprintf(pool, "%s%s[%d,{\"k\":[%d]}]", s, i ? "," : "", i,
                             i);
            o = apr_psprintf(pool, "%s%s\"k%d\":[%d]", o, i ? "," : "", i, i);
        }
        v = ok(apr_pstrcat(pool, s, "]", NULL));
        ck_assert_uint_eq(v->n, 1000);
        ck_assert_uint_eq(v->u.elts[999].n, 2);
        ck_assert_mem_eq(v->u.elts[999].u.elts[0].u.str, "999", 3);
        ck_assert_mem_eq(
            batch_json_get(&v->u.elts[999].u.elts[1], "k")->u.elts[0].u.str,
            "999", 3);
        v = ok(apr_pstrcat(pool, o, "}", NULL));
        ck_assert_uint_eq(v->n, 1000);
        ck_assert_mem_eq(batch_json_get(v, "k500")->u.elts[0].u.str, "500", 3);
    }
}
END_TEST

START_TEST(grammar_errors)
{
    BAD_AT("", "unexpected end of data", 0);
    BAD_AT("   ", "unexpected end of data", 3);
    BAD_AT("[", "unexpected end of data", 1);
    BAD_AT("[1", "unexpected end of data", 2);
    BAD_AT("[1,", "unexpected end of data", 3);
    BAD_AT("{", "unexpected end of data", 1);
    BAD_AT("{\"a\"", "unexpected end of data", 4);
    BAD_AT("{\"a\":", "unexpected end of data", 5);
    BAD_AT("\"abc", "unexpected end of data", 4);
    BAD_AT("[1,]", "expected a value", 3);
    BAD_AT("[,1]", "expected a value", 1);
    BAD_AT("[1 2]", "expected ',' or ']'", 3);
    BAD_AT("[1}", "expected ',' or ']'", 2);
    BAD_AT("{\"a\":1]", "expected ',' or '}'", 6);
    BAD_AT("{\"a\":1,}", "expected a member name", 7);
    BAD_AT("{\"a\":1, }", "expected a member name", 8);
    BAD_AT("{\"a\":1,\n", "unexpected end of data", 8);
    BAD_AT("{\"a\":1,\"b\"}", "expected ':'", 10);
    BAD_AT("{\"a\":1, \"b\" }", "expected ':'", 12);
    BAD_AT("{\"a\":1,\"b", "unexpected end of data", 9);
    BAD_AT("{\"a\":1,\"b\":", "unexpected end of data", 11);
    BAD_AT("[1, ]", "expected a value", 4);
    BAD_AT("[[ ],{ },]", "expected a value", 9);
    BAD_AT("{,}", "expected a member name", 1);
    BAD_AT("{a:1}", "expected a member name", 1);
    BAD_AT("{'a':1}", "expected a member name", 1);
    BAD_AT("{1:1}", "expected a member name", 1);
    BAD_AT("{\"a\" 1}", "expected ':'", 5);
    BAD_AT("{\"a\"::1}", "expected a value", 5);
    BAD_AT("['a']", "expected a value", 1);
    BAD_AT("[1] x", "trailing data", 4);
    BAD_AT("[1][2]", "trailing data", 3);
    BAD_AT("{}{}", "trailing data", 2);
    BAD_AT("1 2", "trailing data", 2);
    BAD_AT("]", "expected a value", 0);
    BAD_AT("/* c */ 1", "expected a value", 0);
    BAD_AT("[1] // c", "trailing data", 4);
    BAD_AT("\xef\xbb\xbf[1]", "expected a value", 0); /* BOM */
    BAD_AT("[\x0b]", "expected a value", 1);          /* not JSON whitespace */
    BAD_AT("[\xc2\xa0]", "expected a value", 1);

    /* words */
    BAD_AT("[NaN]", "not true, false or null", 1);
    BAD_AT("[Infinity]", "not true, false or null", 1);
    BAD_AT("[True]", "not true, false or null", 1);
    BAD_AT("[nul]", "not true, false or null", 1);
    BAD_AT("[nulls]", "not true, false or null", 1);
    BAD_AT("tru", "not true, false or null", 0);
    BAD_AT("[true1]", "not true, false or null", 1);
    BAD_AT("[truex]", "not true, false or null", 1);
    BAD_AT("[true-1]", "expected ',' or ']'", 5);

    /* numbers */
    BAD_AT("[-Infinity]", "a number has no digits", 2);
    BAD_AT("[-]", "a number has no digits", 2);
    BAD_AT("-", "unexpected end of data", 1);
    BAD_AT("[+1]", "expected a value", 1);
    BAD_AT("[.5]", "expected a value", 1);
    BAD_AT("[01]", "leading zero", 1);
    BAD_AT("[-01]", "leading zero", 2);
    BAD_AT("[00]", "leading zero", 1);
    BAD_AT("[1.]", "no digits after '.'", 3);
    BAD_AT("[1.e5]", "no digits after '.'", 3);
    BAD_AT("[1e]", "no exponent digits", 3);
    BAD_AT("[1e+]", "no exponent digits", 4);
    BAD_AT("[1E-x]", "no exponent digits", 4);
    BAD_AT("[1.5.5]", "expected ',' or ']'", 4);
    BAD_AT("[0x10]", "expected ',' or ']'", 2);
    BAD_AT("[1e5e5]", "expected ',' or ']'", 4);
    BAD_AT("1.", "unexpected end of data", 2);
}
END_TEST

START_TEST(big_numbers)
{
    /* no range limit: the text is kept, so nothing is clamped or rounded */
    static const char *const nums[] = {"123456789012345678901234567890",
                                       "18446744073709551616",
                                       "-9223372036854775809",
                                       "1e400",
                                       "-1e-400",
                                       "0.1000000000000000055511151231257827",
                                       NULL};
    const char *const *n;

    for (n = nums; *n; n++) {
        const batch_json_t *v = ok(apr_psprintf(pool, " [ %s ] ", *n));
        ck_assert_int_eq(v->u.elts[0].type, BATCH_JSON_NUMBER);
        ck_assert_uint_eq(v->u.elts[0].n, strlen(*n));
        ck_assert_mem_eq(v->u.elts[0].u.str, *n, strlen(*n));
        ck_assert_uint_eq(v->u.elts[0].end - v->u.elts[0].start, strlen(*n));
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* strings                                                            */
/* ------------------------------------------------------------------ */

START_TEST(escapes)
{
    const batch_json_t *v;

    STR_IS("\"plain text / \x7f ~\"", "plain text / \x7f ~");
    STR_IS("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
    STR_IS("\"a\\u0041\\u00e9\\u00E9\\u20ac\\uFFFF\"",
           "aA\xc3\xa9\xc3\xa9\xe2\x82\xac\xef\xbf\xbf");
    STR_IS("\"\\u007f\\u0080\\u07ff\\u0800\"",
           "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80");
    /* surrogate pairs, either case */
    STR_IS("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
    STR_IS("\"x\\uD800\\uDC00y\"", "x\xf0\x90\x80\x80y");
    STR_IS("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf");
    /* raw UTF-8 is kept as it is */
    STR_IS("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    /* a string without escapes is the source text itself */
    {
        static const char doc[] = "[\"abc\",\"a\\nc\"]";
        v = OK(doc);
        ck_assert_ptr_eq(v->u.elts[0].u.str, doc + 2);
        ck_assert_ptr_ne(v->u.elts[1].u.str, doc + 8);
        STRVAL_IS(&v->u.elts[1], "a\nc");
    }
    /* escapes next to plain runs */
    STR_IS("\"\\n\"", "\n");
    STR_IS("\"ab\\ncd\\\\\"", "ab\ncd\\");

    /* \u0000 is kept: length-counted, flagged */
    v = str_n("\"a\\u0000b\"", 10);
    ck_assert_uint_eq(v->n, 3);
    ck_assert_mem_eq(v->u.str, "a\0b", 3);
    ck_assert(v->flags & BATCH_JSON_F_NUL);
    ck_assert(!(str_n("\"a\\u0001b\"", 10)->flags & BATCH_JSON_F_NUL));
    v = OK("{\"a\\u0000b\":1,\"c\":\"\\u0000\"}");
    ck_assert(v->flags & BATCH_JSON_F_NUL_NAME);
    ck_assert_uint_eq(v->u.members[0].name_len, 3);
    ck_assert_mem_eq(v->u.members[0].name, "a\0b", 3);
    ck_assert_ptr_nonnull(batch_json_getn(v, "a\0b", 3));
    ck_assert_ptr_null(batch_json_get(v, "a"));
    ck_assert(batch_json_get(v, "c")->flags & BATCH_JSON_F_NUL);
    ck_assert(!(OK("{\"a\":\"\\u0000\"}")->flags & BATCH_JSON_F_NUL_NAME));

    BAD_AT("\"\\x\"", "invalid escape", 2);
    BAD_AT("\"\\'\"", "invalid escape", 2);
    BAD_AT("\"\\U0041\"", "invalid escape", 2);
    BAD_AT("\"\\u12\"", "4 hex digits", 5);
    BAD_AT("\"\\u12g4\"", "4 hex digits", 5);
    BAD_AT("\"\\u", "unexpected end of data", 3);
    BAD_AT("\"\\u00", "unexpected end of data", 5);
    BAD_AT("\"\\", "unexpected end of data", 2);
}
END_TEST

START_TEST(surrogates)
{
    /* a lone surrogate is no character: refused wherever it is */
    BAD_AT("\"\\ud800\"", "lone surrogate", 1);
    BAD_AT("\"\\udc00\"", "lone surrogate", 1);
    BAD_AT("\"\\uDFFF\"", "lone surrogate", 1);
    BAD_AT("\"a\\ud800b\"", "lone surrogate", 2);
    BAD_AT("\"\\ud800\\u0041\"", "lone surrogate", 1);
    BAD_AT("\"\\ud800\\ud800\"", "lone surrogate", 1);
    BAD_AT("\"\\ud800\\n\"", "lone surrogate", 1);
    BAD_AT("\"\\udc00\\ud800\"", "lone surrogate", 1);
    BAD_AT("\"\\ud800", "lone surrogate", 1);
    BAD_AT("{\"\\ud800\":1}", "lone surrogate", 2);
    BAD_AT("[\"ok\",\"\\ud83d\"]", "lone surrogate", 7);
    /* the code points around them are fine */
    STR_IS("\"\\ud7ff\\ue000\"", "\xed\x9f\xbf\xee\x80\x80");
}
END_TEST

START_TEST(control_and_nul)
{
    static const char nul_in[] = "[\"a\0b\"]";
    static const char nul_after[] = "[1]\0";
    static const char nul_between[] = "[1,\0 2]";
    static const char nul_escape[] = "[\"\\\0\"]";
    char doc[8];
    int c;

    bad_n(nul_in, sizeof(nul_in) - 1, "NUL byte", 3);
    bad_n(nul_after, sizeof(nul_after) - 1, "NUL byte", 3);
    bad_n(nul_between, sizeof(nul_between) - 1, "NUL byte", 3);
    bad_n(nul_escape, sizeof(nul_escape) - 1, "NUL byte", 3);
    bad_n("\0", 1, "NUL byte", 0);
    for (c = 1; c < 0x20; c++) {
        apr_snprintf(doc, sizeof(doc), "[\"a%cb\"]", c);
        bad_n(doc, 7, "raw control character", 3);
    }
    /* the length counts, not the NUL terminator */
    ok_n("[1]xyz", 3, 64);
    ok_n("\"ab\"", 4, 64);
    bad_n("\"ab\"", 3, "unexpected end of data", 3);
}
END_TEST

/* ------------------------------------------------------------------ */
/* UTF-8                                                              */
/* ------------------------------------------------------------------ */

START_TEST(utf8_errors)
{
    BAD_AT("[\"\xc0\x80\"]", "not valid UTF-8", 2);     /* overlong NUL */
    BAD_AT("[\"\xc1\xbf\"]", "not valid UTF-8", 2);     /* overlong */
    BAD_AT("[\"\xe0\x80\xaf\"]", "not valid UTF-8", 2); /* overlong */
    BAD_AT("[\"\xf0\x80\x80\xaf\"]", "not valid UTF-8", 2);
    BAD_AT("[\"\xed\xa0\x80\"]", "not valid UTF-8", 2); /* raw surrogate */
    BAD_AT("[\"\xed\xbf\xbf\"]", "not valid UTF-8", 2);
    BAD_AT("[\"\xf4\x90\x80\x80\"]", "not valid UTF-8", 2); /* > U+10FFFF */
    BAD_AT("[\"\xf5\x80\x80\x80\"]", "not valid UTF-8", 2);
    BAD_AT("[\"\xf8\x88\x80\x80\x80\"]", "not valid UTF-8", 2);
    BAD_AT("[\"\xe2\x82\"]", "not valid UTF-8", 2); /* truncated */
    BAD_AT("[\"ab\x80\"]", "not valid UTF-8", 4);   /* stray continuation */
    BAD_AT("[\"caf\xe9\"]", "not valid UTF-8", 5);  /* Latin-1 */
    BAD_AT("[\"\xff\"]", "not valid UTF-8", 2);
    BAD_AT("\"\xe2\x82", "not valid UTF-8", 1);
    /* outside strings too */
    BAD_AT("[\xff]", "not valid UTF-8", 1);
    BAD_AT("[1]\xc3", "not valid UTF-8", 3);
    BAD_AT("{\"a\":1,\xed\xa0\x80:2}", "not valid UTF-8", 7);
}
END_TEST

static int reader_accepts(const unsigned char *seq, apr_size_t n)
{
    char doc[16];
    const batch_json_t *v;

    doc[0] = '"';
    memcpy(doc + 1, seq, n);
    doc[n + 1] = '"';
    return batch_json_parse(&v, NULL, NULL, doc, n + 2, 64, pool)
           == APR_SUCCESS;
}

/* UTF-8 by the definition (RFC 3629): decode, then refuse overlongs,
 * surrogates and code points above U+10FFFF. Written apart from
 * batch_util_utf8_seq(), which the reader and batch_util_utf8_valid()
 * share, so that it can judge both. */
static int ref_utf8_valid(const unsigned char *u, apr_size_t len)
{
    apr_size_t i = 0, n, k;

    while (i < len) {
        apr_uint32_t cp;

        if (u[i] < 0x80) {
            i++;
            continue;
        }
        if ((u[i] & 0xE0) == 0xC0) {
            n = 1;
            cp = u[i] & 0x1F;
        }
        else if ((u[i] & 0xF0) == 0xE0) {
            n = 2;
            cp = u[i] & 0x0F;
        }
        else if ((u[i] & 0xF8) == 0xF0) {
            n = 3;
            cp = u[i] & 0x07;
        }
        else {
            return 0;
        }
        if (len - i <= n) {
            return 0;
        }
        for (k = 1; k <= n; k++) {
            if ((u[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (u[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800)
            || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

static int utf8_agree(const unsigned char *seq, apr_size_t n)
{
    int ref = ref_utf8_valid(seq, n);

    return reader_accepts(seq, n) == ref
           && batch_util_utf8_valid((const char *)seq, n) == ref;
}

/* The reader's UTF-8 check and batch_util_utf8_valid() equal the
 * definition: every lead byte >= 0x80 with every second byte, and the
 * third and fourth bytes from the values around every boundary. */
START_TEST(utf8_exhaustive)
{
    static const unsigned char tails[] = {0x00, 0x22, 0x41, 0x5C, 0x7F,
                                          0x80, 0x8F, 0x90, 0x9F, 0xA0,
                                          0xBF, 0xC0, 0xE0, 0xFF};
    unsigned char seq[4];
    unsigned b0, b1, t2, t3;

    for (b0 = 0x80; b0 <= 0xFF; b0++) {
        for (b1 = 0; b1 <= 0xFF; b1++) {
            seq[0] = (unsigned char)b0;
            seq[1] = (unsigned char)b1;
            ck_assert_msg(utf8_agree(seq, 2), "%02x %02x", b0, b1);
            apr_pool_clear(pool);
            if (b0 < 0xE0) {
                continue;
            }
            for (t2 = 0; t2 < sizeof(tails); t2++) {
                seq[2] = tails[t2];
                ck_assert_msg(utf8_agree(seq, 3), "%02x %02x %02x", b0, b1,
                              seq[2]);
                if (b0 < 0xF0) {
                    continue;
                }
                for (t3 = 0; t3 < sizeof(tails); t3++) {
                    seq[3] = tails[t3];
                    ck_assert_msg(utf8_agree(seq, 4), "%02x %02x %02x %02x", b0,
                                  b1, seq[2], seq[3]);
                }
            }
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* depth, duplicates, spans                                           */
/* ------------------------------------------------------------------ */

START_TEST(depth_64_not_65)
{
    const batch_json_t *v;
    const char *why = NULL, *s;
    apr_size_t at = 0;

    ok(nest("[", "", "]", 64));
    ok(nest("{\"a\":", "1", "}", 64));
    ok(nest("[{\"a\":", "1", "}]", 32));
    ok(nest("[", "1", "]", 64));
    s = nest("[", "", "]", 65);
    ck_assert_int_eq(batch_json_parse(&v, &why, &at, s, strlen(s), 64, pool),
                     APR_EINVAL);
    ck_assert_str_eq(why, "is nested deeper than 64 levels at byte 64");
    ck_assert_uint_eq(at, 64);
    bad_n(nest("{\"a\":", "1", "}", 65), 6 * 65 + 1,
          "nested deeper than 64 levels", 5 * 64);
    bad_n(nest("[{\"a\":", "1", "}]", 33), 8 * 33 + 1,
          "nested deeper than 64 levels", 6 * 32);

    /* refused at the 65th level, long before the end of a huge text */
    s = nest("[", "", "]", 100000);
    bad_n(s, 100000, "nested deeper than 64 levels", 64);
    bad_n(s, strlen(s), "nested deeper than 64 levels", 64);

    /* the depth parameter; scalars do not count */
    ok_n("[]", 2, 1);
    ok_n("1", 1, 1);
    ok_n("[1,2,{}]", 8, 2);
    ck_assert_int_eq(batch_json_parse(&v, &why, NULL, "[[]]", 4, 1, pool),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "deeper than 1 levels"));
    s = nest("[", "", "]", 2000);
    ok_n(s, strlen(s), 2000);
}
END_TEST

START_TEST(duplicates)
{
    const batch_json_t *v = OK("{\"a\":1,\"b\":2,\"a\":3,\"A\":4,\"a\":\"x\"}");

    /* every member is kept in order; a lookup finds the LAST one */
    ck_assert_uint_eq(v->n, 5);
    NAME_IS(&v->u.members[0], "a");
    ck_assert_mem_eq(v->u.members[0].value.u.str, "1", 1);
    NAME_IS(&v->u.members[2], "a");
    ck_assert_ptr_eq(batch_json_get(v, "a"), &v->u.members[4].value);
    STRVAL_IS(batch_json_get(v, "a"), "x");
    ck_assert_mem_eq(batch_json_get(v, "A")->u.str, "4", 1);
    ck_assert_mem_eq(batch_json_get(v, "b")->u.str, "2", 1);
    /* escaped and raw spellings are the same name */
    v = OK("{\"ab\":1,\"\\u0061\\u0062\":2}");
    ck_assert_mem_eq(batch_json_get(v, "ab")->u.str, "2", 1);
}
END_TEST

static void span_is(const char *doc, const batch_json_t *v, const char *text)
{
    ck_assert_uint_eq(v->end - v->start, strlen(text));
    ck_assert_mem_eq(doc + v->start, text, strlen(text));
}

START_TEST(spans)
{
    static const char doc[] =
        "  {\"a\" : [1, {\"b\":\"c\\n\"} ,-2.5e3 ] "
        ",\n\"d\":\"\xc3\xa9\\u00e9\","
        "\"e\":{ },\"f\":[ ],\"g\":true,\"h\":null\t}\r\n";
    const batch_json_t *v = OK(doc), *a;

    span_is(
        doc, v,
        "{\"a\" : [1, {\"b\":\"c\\n\"} ,-2.5e3 ] ,\n\"d\":\"\xc3\xa9\\u00e9\","
        "\"e\":{ },\"f\":[ ],\"g\":true,\"h\":null\t}");
    ck_assert_uint_eq(v->start, 2);
    a = batch_json_get(v, "a");
    span_is(doc, a, "[1, {\"b\":\"c\\n\"} ,-2.5e3 ]");
    span_is(doc, &a->u.elts[0], "1");
    span_is(doc, &a->u.elts[1], "{\"b\":\"c\\n\"}");
    span_is(doc, batch_json_get(&a->u.elts[1], "b"), "\"c\\n\"");
    span_is(doc, &a->u.elts[2], "-2.5e3");
    span_is(doc, batch_json_get(v, "d"), "\"\xc3\xa9\\u00e9\"");
    STRVAL_IS(batch_json_get(v, "d"), "\xc3\xa9\xc3\xa9");
    span_is(doc, batch_json_get(v, "e"), "{ }");
    span_is(doc, batch_json_get(v, "f"), "[ ]");
    span_is(doc, batch_json_get(v, "g"), "true");
    span_is(doc, batch_json_get(v, "h"), "null");
    /* a scalar document */
    span_is(" 42 ", ok(" 42 "), "42");
    span_is(" \"x\" ", ok(" \"x\" "), "\"x\"");
}
END_TEST

/* ------------------------------------------------------------------ */
/* oracles                                                            */
/* ------------------------------------------------------------------ */

/* What the reader refuses or accepts differently from json-c behind our
 * old lexer, on purpose:
 *   - integers beyond 64 bits: accepted (json-c would clamp them, so the
 *     old reader refused them; the text is now kept verbatim);
 *   - lone surrogate escapes: refused (json-c turned them into U+FFFD);
 *   - member names holding \u0000: accepted by the reader, flagged with
 *     BATCH_JSON_F_NUL_NAME (json-c cut the name at the NUL, so the old
 *     reader refused them; batch_parse.c still refuses them where it
 *     reads names);
 *   - depth counts containers only, as batch_util_json_valid() does:
 *     json-c counted a scalar inside a container as one more level, so
 *     [1] was 2 levels for it and 1 for us ("[]" is 1 for both);
 *   - "-07": json-c lets a leading zero through after a minus sign.
 * Returns 1 when the old reader's or the new reader's reason is one of
 * these. */
static int documented_difference(const char *old_why, const char *new_why)
{
    return (old_why
            && (strstr(old_why, "64-bit") || strstr(old_why, "member name")
                || strstr(old_why, "nested deeper")))
           || (new_why
               && (strstr(new_why, "lone surrogate")
                   || strstr(new_why, "leading zero")));
}

/* Returns 1 when the readers agree (or differ as documented). */
static int agree(const char *s, apr_size_t len, int depth, const char **pmsg)
{
    struct json_object *o = NULL;
    const batch_json_t *v = NULL;
    const char *old_why = NULL, *new_why = NULL;
    int old_ok, new_ok, valid;

    old_ok =
        json_oracle_parse(&o, &old_why, s, len, depth, pool) == APR_SUCCESS;
    json_object_put(o);
    new_ok = batch_json_parse(&v, &new_why, NULL, s, len, depth, pool)
             == APR_SUCCESS;
    valid = batch_util_json_valid(s, len, depth);
    *pmsg = apr_psprintf(pool, "json-c %s (%s), batch_json %s (%s), valid %d",
                         old_ok ? "accepts" : "refuses", old_why,
                         new_ok ? "accepts" : "refuses", new_why, valid);
    /* the allocation-free validator has no word on lone surrogates */
    if (valid != new_ok && !(new_why && strstr(new_why, "lone surrogate"))) {
        return 0;
    }
    if (old_ok != new_ok && !documented_difference(old_why, new_why)) {
        return 0;
    }
    return 1;
}

static const char *const oracle_docs[] = {
    /* valid */
    "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\"}]}",
    "{\"requests\":[{\"id\":\"3\",\"method\":\"POST\",\"url\":\"/products\","
    "\"headers\":{\"Content-Type\":\"application/json\"},"
    "\"body\":{\"title\":\"Test \\u00e9 Product\",\"n\":[1,-2.5,3e10,true,"
    "false,null,{}]},\"dependsOn\":[\"2\"]}],\"@odata.context\":\"x\"}",
    " [ 1 , 2 ] ", "\"\\ud83d\\ude00\"", "0", "-0.0", "[1e5,1E-5,1e+5]",
    "{\"a\":{\"b\":{\"c\":[[[[\"deep\"]]]]}}}",
    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"]", "[\"\\u0000\"]", "[\"\x7f\"]",
    "[\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]", "{\"a\":1,\"a\":2}",
    "[18446744073709551615,-9223372036854775808]", "{\"\":\"\"}",
    /* invalid */
    "", "   ", "{", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}",
    "['a']", "[1] x", "[1][2]", "[NaN]", "[Infinity]", "[-Infinity]", "[+1]",
    "[.5]", "[01]", "[1.]", "[1e]", "[0x1]", "[True]", "[nul]", "[\"a\tb\"]",
    "[\"\\x\"]", "[\"\\u12\"]", "[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]",
    "[\"\xf4\x90\x80\x80\"]", "\xef\xbb\xbf[1]", "/* c */ [1]", "[1] // c",
    "[1,/**/2]", "{\"a\":1}}", "[[1]", "-01",
    /* documented differences */
    "[123456789012345678901234567890]", "[-9223372036854775809]",
    "[\"\\ud800\"]", "[\"\\udc00x\"]", "{\"a\\u0000b\":1}", "-07.0", NULL};

/* ------------------------------------------------------------------ */
/* hooks                                                              */
/* ------------------------------------------------------------------ */

/* keep arrays, check objects only, drop numbers; a member "d" goes into
 * slot 0 */
static apr_status_t test_hook(void *ctx, batch_json_at_t *at)
{
    int *calls = ctx;

    (*calls)++;
    if (at->c == '{' && at->ptag != 0) {
        at->keep = BATCH_JSON_SPAN;
    }
    else if (at->c == '-' || (at->c >= '0' && at->c <= '9')) {
        at->keep = BATCH_JSON_DROP;
    }
    if (at->name && at->name_len == 1 && at->name[0] == 'd' && at->nkept) {
        at->replace = 0;
    }
    at->tag = 7;
    return APR_SUCCESS;
}

START_TEST(hook_keeps_what_it_says)
{
    static const char doc[] =
        "{\"a\":[1,\"x\",{\"b\":[\"deep\"]}],\"c\":{\"e\":[1]},\"d\":\"y\"}";
    const batch_json_t *v = NULL, *a, *c;
    const char *why = NULL;
    int calls = 0;

    ck_assert(batch_json_parse_hooked(&v, &why, NULL, doc, strlen(doc), 64,
                                      test_hook, &calls, pool)
              == APR_SUCCESS);
    /* root, a, 1, "x", {b}, c, d: nothing inside a SPAN value is asked */
    ck_assert_int_eq(calls, 7);
    /* "d" went into the first slot, which keeps its name */
    ck_assert_int_eq(v->n, 2);
    a = batch_json_get(v, "a");
    ck_assert_int_eq(a->type, BATCH_JSON_STRING);
    ck_assert_uint_eq(a->n, 1);
    ck_assert_mem_eq(a->u.str, "y", 1);
    ck_assert_ptr_null(batch_json_get(v, "d"));
    c = batch_json_get(v, "c");
    ck_assert_int_eq(c->type, BATCH_JSON_OBJECT);
    ck_assert_uint_eq(c->flags & BATCH_JSON_F_SPAN, BATCH_JSON_F_SPAN);
    ck_assert_int_eq(c->n, 0);
    ck_assert_uint_eq(c->end - c->start, strlen("{\"e\":[1]}"));
    /* a text the plain reader refuses is refused with a hook too */
    ck_assert(batch_json_parse_hooked(&v, &why, NULL, "{\"c\":{\"e\":[1,]}}",
                                      16, 64, test_hook, &calls, pool)
              == APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "expected a value"));
}
END_TEST

static apr_status_t refuse_hook(void *ctx, batch_json_at_t *at)
{
    (void)ctx;
    return at->k == 2 ? APR_EGENERAL : APR_SUCCESS;
}

START_TEST(hook_refuses_early)
{
    const batch_json_t *v = (const batch_json_t *)1;
    const char *why = "x";
    apr_size_t at = 0;

    /* the rest is not JSON: never read */
    ck_assert(batch_json_parse_hooked(&v, &why, &at, "[1,2,3,{{{", 10, 64,
                                      refuse_hook, NULL, pool)
              == APR_EGENERAL);
    ck_assert_ptr_null(v);
    ck_assert_ptr_null(why);
    ck_assert_uint_eq(at, 5);
}
END_TEST

typedef struct strings_seen {
    int n;
    const char *all;
    const char *spans;
} strings_seen;

static apr_status_t collect(void *ctx, const char *str, apr_size_t n,
                            apr_size_t start, apr_size_t end)
{
    strings_seen *seen = ctx;

    seen->n++;
    seen->all =
        apr_pstrcat(pool, seen->all, "|", apr_pstrmemdup(pool, str, n), NULL);
    seen->spans =
        apr_psprintf(pool, "%s|%d-%d", seen->spans, (int)start, (int)end);
    return n == 4 && !memcmp(str, "stop", 4) ? APR_EGENERAL : APR_SUCCESS;
}

START_TEST(each_string)
{
    static const char doc[] = "{\"a\":\"x\",\"b\":[\"y\\n\",1,{\"c\":\"@{1}\"}]"
                              ",\"d\":[[[\"\\u00e9\"]]]}";
    strings_seen seen = {0, "", ""};
    const char *why = NULL;

    ck_assert(
        batch_json_each_string(doc, strlen(doc), 64, collect, &seen, &why, pool)
        == APR_SUCCESS);
    ck_assert_int_eq(seen.n, 4);
    ck_assert_str_eq(seen.all, "|x|y\n|@{1}|\xc3\xa9");
    ck_assert_str_eq(seen.spans, "|5-8|14-19|27-33|43-51");
    /* a string at the root */
    seen = (strings_seen){0, "", ""};
    ck_assert(batch_json_each_string("\"s\"", 3, 64, collect, &seen, &why, pool)
              == APR_SUCCESS);
    ck_assert_str_eq(seen.all, "|s");
    /* not JSON */
    seen = (strings_seen){0, "", ""};
    ck_assert(
        batch_json_each_string("[\"a\",]", 6, 64, collect, &seen, &why, pool)
        == APR_EINVAL);
    ck_assert_ptr_nonnull(why);
    /* the callback ends the walk */
    seen = (strings_seen){0, "", ""};
    ck_assert(batch_json_each_string("[\"stop\",\"b\"]", 12, 64, collect, &seen,
                                     &why, pool)
              == APR_EGENERAL);
    ck_assert_int_eq(seen.n, 1);
    /* deeper than allowed */
    ck_assert(
        batch_json_each_string("[[[\"a\"]]]", 9, 2, collect, &seen, &why, pool)
        == APR_EINVAL);
}
END_TEST

START_TEST(oracle_list)
{
    const char *const *d;
    const char *msg;

    for (d = oracle_docs; *d; d++) {
        ck_assert_msg(agree(*d, strlen(*d), 64, &msg), "'%s': %s", *d, msg);
    }
    /* depth: json-c's count and ours ("[]" is 1 for both) */
    ck_assert_msg(agree(nest("[", "", "]", 64), 128, 64, &msg), "%s", msg);
    ck_assert_msg(agree(nest("[", "", "]", 65), 130, 64, &msg), "%s", msg);
    ck_assert_msg(agree(nest("{\"a\":", "1", "}", 64), 6 * 64 + 1, 64, &msg),
                  "%s", msg);
    ck_assert_msg(agree(nest("{\"a\":", "1", "}", 65), 6 * 65 + 1, 64, &msg),
                  "%s", msg);
    ck_assert_msg(agree(nest("[", "", "]", 5), 10, 4, &msg), "%s", msg);
    ck_assert_msg(agree(nest("[", "", "]", 4), 8, 4, &msg), "%s", msg);
}
END_TEST

/* Mutants of the valid documents above (bytes replaced, inserted and
 * deleted, from an alphabet of JSON's own characters), fed to all three
 * readers. A fixed-seed generator keeps failures reproducible. */
START_TEST(oracle_mutants)
{
    static const char alphabet[] = "{}[]:,\" \\/u0123456789abcdefABCDEF-+.eE"
                                   "tnrlsx\t\n\x01\x7f\x80\xbf\xc3\xe2\xed"
                                   "\xf0\xff";
    apr_uint32_t seed = 12345;
    char buf[512];
    int round;

#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xFFFFFF)
    for (round = 0; round < 20000; round++) {
        const char *src = oracle_docs[RND() % 15];
        apr_size_t len = strlen(src), k;
        int edits = 1 + (int)(RND() % 3), e;
        const char *msg;

        memcpy(buf, src, len);
        for (e = 0; e < edits; e++) {
            apr_size_t at = len ? RND() % len : 0;
            char ch = alphabet[RND() % (sizeof(alphabet) - 1)];
            switch (RND() % 3) {
            case 0:
                if (len) {
                    buf[at] = ch;
                }
                break;
            case 1:
                if (len + 1 < sizeof(buf)) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = ch;
                    len++;
                }
                break;
            default:
                if (len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            }
        }
        if (!agree(buf, len, 64, &msg)) {
            char *shown = apr_palloc(pool, 4 * len + 1), *o = shown;
            for (k = 0; k < len; k++) {
                unsigned char c = (unsigned char)buf[k];
                if (c >= 0x20 && c < 0x7f) {
                    *o++ = (char)c;
                }
                else {
                    o += apr_snprintf(o, 5, "\\x%02x", c);
                }
            }
            *o = '\0';
            ck_abort_msg("round %d: '%s': %s", round, shown, msg);
        }
        apr_pool_clear(pool);
    }
#undef RND
}
END_TEST

Suite *batch_json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, scalars);
    tcase_add_test(tc, containers);
    tcase_add_test(tc, grammar_errors);
    tcase_add_test(tc, big_numbers);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, surrogates);
    tcase_add_test(tc, control_and_nul);
    tcase_add_test(tc, utf8_errors);
    tcase_add_test(tc, utf8_exhaustive);
    tcase_add_test(tc, depth_64_not_65);
    tcase_add_test(tc, duplicates);
    tcase_add_test(tc, spans);
    tcase_add_test(tc, hook_keeps_what_it_says);
    tcase_add_test(tc, hook_refuses_early);
    tcase_add_test(tc, each_string);
    tcase_add_test(tc, oracle_list);
    tcase_add_test(tc, oracle_mutants);
    suite_add_tcase(s, tc);
    return s;
}
