/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_valid.c: batch_util_json_valid() against its reference, the
 * validator as it was before issue 15 made it faster
 * (tests/oracle/json_valid_ref.c): both must answer the same on every
 * text and depth. The texts are the ones the fast paths care about:
 * compact members of every length, a string ending at every distance
 * from the end of the text (the sixteen-byte steps and the last bytes),
 * whitespace and every kind of byte at every place of a body, truncated
 * bodies, nesting at the depth limit, and random documents. Every text is
 * a malloc'ed block of its exact length, so that valgrind or ASan sees a
 * read past its end. The bytes the SIMD scan flags (special16, special8)
 * are checked against their definition for every byte value.
 *
 * The same file runs twice: in the unit tests, and in valid_portable,
 * built with batch_util.c compiled without SSE2 (the fallback path).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "batch_util.h"
#include "json_valid_ref.h"

/* Both validators on s[0..len) at depth, from an exact-size copy. */
static void same(const char *s, apr_size_t len, int depth)
{
    char *copy = malloc(len ? len : 1);
    int fast, ref;

    ck_assert(copy != NULL);
    memcpy(copy, s, len);
    fast = batch_util_json_valid(copy, len, depth);
    ref = json_valid_ref(copy, len, depth);
    free(copy);
    ck_assert_msg(fast == ref, "valid %d, reference %d, depth %d: %.*s", fast,
                  ref, depth, (int)len, s);
}

static void same_depths(const char *s, apr_size_t len)
{
    static const int depths[] = {-1, 0, 1, 2, 3, 64, 1024, 5000};
    apr_size_t k;

    for (k = 0; k < sizeof(depths) / sizeof(depths[0]); k++) {
        same(s, len, depths[k]);
    }
}

/* the bench's body (bench/core.c), compact, with its final newline */
static const char item_json[] =
    "{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"displayName\""
    ":\"Adele Vance\",\"givenName\":\"Adele\",\"surname\":\"Vance\",\""
    "mail\":\"AdeleV@contoso.example\",\"jobTitle\":\"Retail Manager\""
    ",\"officeLocation\":\"18/2111\",\"businessPhones\":[\"+1 425 555"
    " 0109\"],\"mobilePhone\":null,\"preferredLanguage\":\"en-US\",\""
    "userPrincipalName\":\"AdeleV@contoso.example\"}\n";

static const char *const seeds[] = {
    item_json,
    "{\"a\":\"\\u00e9\\n\\\"x\",\"b\":[1,-2.5e+3,true,false,null,{}],"
    "\"c\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"d\":{\"e\":[[],[\"\"]]}}",
    "{\n  \"a\": [\n    1,\n    \"two\"\n  ],\n  \"b\": {\"c\": null}\n}\n",
    "[\"0123456789abcdef\",\"0123456789abcde\",\"0123456789abcdefg\","
    "\"\\ud83d\\ude00\",\"\",\"x\"]",
    " \"a string text\" ",
    "-0.5e10",
    NULL};

/* bytes that change what a validator does at any place */
static const unsigned char probes[] = {
    ' ', '\t', '\n', '\r', '"',  '\\', ',',  ':',  '{',  '}',  '[',
    ']', 0x00, 0x01, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xED, 0xFF, 'a',
    '0', '-',  'e',  '.',  'u',  'n',  't',  'f',  '/'};

START_TEST(special_bytes_by_definition)
{
    unsigned char buf[16];
    int b, k;

    for (b = 0; b < 256; b++) {
        int special = !(b >= 0x20 && b <= 0x7F && b != '"' && b != '\\');

        ck_assert_int_eq(batch_util_json_plain[b], !special);
        for (k = 0; k < 16; k++) {
            memset(buf, 'a', sizeof(buf));
            buf[k] = (unsigned char)b;
#if defined(__SSE2__)
            ck_assert_uint_eq(batch_util_json_special16(buf),
                              special ? 1u << k : 0u);
#endif
            if (k < 8) {
                apr_uint64_t x = 0;
                int j;

                for (j = 7; j >= 0; j--) {
                    x = (x << 8) | buf[j];
                }
                /* the lowest flagged byte is the first special one */
                x = batch_util_json_special8(x);
                ck_assert(special ? (x != 0 && __builtin_ctzll(x) / 8 == k)
                                  : x == 0);
            }
        }
    }
}
END_TEST

START_TEST(plain_run_by_definition)
{
    unsigned char buf[80];
    unsigned int r = 12345;
    int round;

    for (round = 0; round < 20000; round++) {
        apr_size_t len = (r = r * 1103515245 + 12345) % 80, i, want, k;

        for (k = 0; k < len; k++) {
            r = r * 1103515245 + 12345;
            /* mostly plain, now and then a special byte */
            buf[k] = (r >> 16) % 23 ? 'a' + (r >> 8) % 26
                                    : probes[(r >> 8) % sizeof(probes)];
        }
        i = len ? (r >> 4) % (len + 1) : 0;
        for (want = i; want < len && batch_util_json_plain[buf[want]];) {
            want++;
        }
        ck_assert_uint_eq(batch_util_json_plain_run(buf, i, len), want);
    }
}
END_TEST

START_TEST(valid_on_the_lists)
{
    static const char *const docs[] = {"{}",
                                       "[]",
                                       "0",
                                       "\"\"",
                                       "{\"a\":1}",
                                       " [ 1 , 2 ] ",
                                       "[1,]",
                                       "{,}",
                                       "{\"a\" 1}",
                                       "{\"a\":}",
                                       "{\"a\":1 \"b\":2}",
                                       "[1}",
                                       "{]",
                                       "{\"a\"}",
                                       "[\"a\":1]",
                                       "{\"a\",1}",
                                       "{}}",
                                       "[[]",
                                       "[]]",
                                       "{} {}",
                                       "[1] x",
                                       "\"a\" \"b\"",
                                       "tru",
                                       "nul",
                                       "fals",
                                       "[true,false,null]",
                                       "01",
                                       "-",
                                       "1.",
                                       ".5",
                                       "1e",
                                       "[1e+]",
                                       "NaN",
                                       "\"\x01\"",
                                       "\"\\x\"",
                                       "\"\\u12\"",
                                       "\"\\ud800\"",
                                       "\"\\ud800\\udc00\"",
                                       "\"\\udc00\"",
                                       "\"\xc0\x80\"",
                                       "\"\xed\xa0\x80\"",
                                       "\"\xff\"",
                                       "\"\x7f\"",
                                       "'a'",
                                       "\xef\xbb\xbf[]",
                                       "[\"a\tb\"]",
                                       "{\"a\":\"b\"\n}",
                                       "\n{\"a\":\"b\"}",
                                       "{\"a\":\"b\",\"c\":\"d\"}",
                                       "{\"a\":\"b\",\"c\"}",
                                       "[,1]",
                                       "{\"a\":\"b\",}",
                                       "[\"x\",]",
                                       "{\"\":\"\"}",
                                       "{\"a\":[]}",
                                       "[{}]",
                                       "{\"a\":{\"b\":{}}}",
                                       "[-0]",
                                       "[-]",
                                       "{\"a\":-1}",
                                       "{\"a\":tru}",
                                       NULL};
    int i;

    for (i = 0; docs[i]; i++) {
        same_depths(docs[i], strlen(docs[i]));
    }
    for (i = 0; seeds[i]; i++) {
        same_depths(seeds[i], strlen(seeds[i]));
    }
    same_depths("[\0]", 3);
    same_depths("\"\0\"", 3);
}
END_TEST

/* every seed cut short, and with one byte removed, inserted or replaced
 * at every place */
START_TEST(valid_on_mutants)
{
    char buf[512];
    int d;

    for (d = 0; seeds[d]; d++) {
        apr_size_t n = strlen(seeds[d]), at, k;

        for (at = 0; at <= n; at++) {
            same(seeds[d], at, 64);
            if (at < n) {
                memcpy(buf, seeds[d], at);
                memcpy(buf + at, seeds[d] + at + 1, n - at - 1);
                same(buf, n - 1, 64);
            }
            for (k = 0; k < sizeof(probes); k++) {
                memcpy(buf, seeds[d], at);
                buf[at] = (char)probes[k];
                memcpy(buf + at + 1, seeds[d] + at, n - at);
                same(buf, n + 1, 64);
                if (at < n) {
                    memcpy(buf, seeds[d], n);
                    buf[at] = (char)probes[k];
                    same(buf, n, 64);
                }
            }
        }
    }
}
END_TEST

/* A string of every length up to 70 in every place the fast paths tell
 * apart (a member name or value, compact or not, an array element, the
 * whole text), with the text ending at every distance after it, and with
 * a byte that is not plain at every place in it. */
START_TEST(valid_string_edges)
{
    static const char *const heads[] = {"{\"",        "{\"k\":\"", "[\"",
                                        "{\"k\": \"", "\"",        "[1,\""};
    static const char *const tails[] = {"\":1}", "\"}", "\"]",
                                        "\" }",  "\"",  "\"]"};
    static const char *const specials[] = {
        "\\\"", "\\u00e9", "\xc3\xa9", "\x01", "\xff", "\\", "\""};
    char buf[256];
    int h, len, pad, sp, at;

    for (h = 0; h < 6; h++) {
        for (len = 0; len <= 70; len++) {
            for (pad = 0; pad <= 18; pad++) {
                apr_size_t hl = strlen(heads[h]), tl = strlen(tails[h]);
                apr_size_t n = hl + (apr_size_t)len;

                memcpy(buf, heads[h], hl);
                memset(buf + hl, 'x', (size_t)len);
                memcpy(buf + n, tails[h], tl);
                n += tl;
                /* pad moves the end: whitespace, then more members */
                memset(buf + n, ' ', (size_t)pad);
                same(buf, n + (apr_size_t)pad, 8);
                for (sp = 0; sp < 7 && len <= 40 && pad < 2; sp++) {
                    apr_size_t sl = strlen(specials[sp]);

                    for (at = 0; at <= len; at++) {
                        memcpy(buf, heads[h], hl);
                        memset(buf + hl, 'x', (size_t)len);
                        memmove(buf + hl + at + sl, buf + hl + at,
                                (size_t)(len - at));
                        memcpy(buf + hl + at, specials[sp], sl);
                        memcpy(buf + hl + len + sl, tails[h], tl);
                        same(buf, hl + (apr_size_t)len + sl + tl, 8);
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(valid_depth_edges)
{
    char *buf = malloc(6 * 1100 + 16);
    int levels, depth, shape;

    ck_assert(buf != NULL);
    for (shape = 0; shape < 3; shape++) {
        for (levels = 1; levels <= 1030; levels += levels < 70 ? 1 : 137) {
            apr_size_t n = 0;
            int k;

            for (k = 0; k < levels; k++) {
                /* arrays, objects, or both by turns */
                int obj = shape == 1 || (shape == 2 && k % 2);

                memcpy(buf + n, obj ? "{\"k\":" : "[", obj ? 5 : 1);
                n += obj ? 5 : 1;
            }
            buf[n++] = '0';
            for (k = levels - 1; k >= 0; k--) {
                buf[n++] = (shape == 1 || (shape == 2 && k % 2)) ? '}' : ']';
            }
            for (depth = levels - 2; depth <= levels + 1; depth++) {
                same(buf, n, depth);
            }
            same(buf, n, BATCH_JSON_VALID_MAX_DEPTH);
            same(buf, n - 1, levels);
        }
    }
    free(buf);
}
END_TEST

/* random documents: values of every kind, whitespace now and then, and
 * one byte in fifty replaced by a probe */
static unsigned int rnd_state;

static unsigned int rnd(unsigned int n)
{
    rnd_state = rnd_state * 1103515245 + 12345;
    return (rnd_state >> 8) % n;
}

static void gen(char *buf, apr_size_t *pn, apr_size_t cap, int level)
{
    static const char *const atoms[] = {
        "0",
        "-1.5e3",
        "123",
        "true",
        "false",
        "null",
        "\"\"",
        "\"x\"",
        "\"0123456789abcdefghij\"",
        "\"\\n\\u0041\"",
        "\"\xc3\xa9t\xc3\xa9\"",
        "\"a b c d e f g h i j k l m n o p q r s t\""};
    apr_size_t k, n = rnd(5);

    if (*pn + 64 > cap) {
        return;
    }
    if (rnd(8) == 0) {
        buf[(*pn)++] = " \t\n\r"[rnd(4)];
    }
    if (level > 6 || rnd(3) == 0) {
        const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];

        memcpy(buf + *pn, a, strlen(a));
        *pn += strlen(a);
        return;
    }
    if (rnd(2)) {
        buf[(*pn)++] = '[';
        for (k = 0; k < n && *pn + 64 <= cap; k++) {
            if (k) {
                buf[(*pn)++] = ',';
            }
            gen(buf, pn, cap, level + 1);
        }
        buf[(*pn)++] = ']';
        return;
    }
    buf[(*pn)++] = '{';
    for (k = 0; k < n && *pn + 64 <= cap; k++) {
        if (k) {
            buf[(*pn)++] = ',';
        }
        *pn += (apr_size_t)sprintf(buf + *pn, "\"%.*s\":", (int)rnd(20),
                                   "name_of_a_member_xyz");
        gen(buf, pn, cap, level + 1);
    }
    buf[(*pn)++] = '}';
}

START_TEST(valid_on_random_documents)
{
    char buf[4096];
    int round;

    rnd_state = 4242;
    for (round = 0; round < 20000; round++) {
        apr_size_t n = 0, k;

        gen(buf, &n, sizeof(buf), 0);
        if (round % 2) {
            for (k = 0; k < n; k++) {
                if (rnd(50) == 0) {
                    buf[k] = (char)probes[rnd(sizeof(probes))];
                }
            }
        }
        same(buf, n, 1 + (int)rnd(8));
    }
}
END_TEST

Suite *batch_valid_suite(void)
{
    Suite *s = suite_create("valid");
    TCase *tc = tcase_create("valid");

    tcase_set_timeout(tc, 120); /* valgrind */
    tcase_add_test(tc, special_bytes_by_definition);
    tcase_add_test(tc, plain_run_by_definition);
    tcase_add_test(tc, valid_on_the_lists);
    tcase_add_test(tc, valid_on_mutants);
    tcase_add_test(tc, valid_string_edges);
    tcase_add_test(tc, valid_depth_edges);
    tcase_add_test(tc, valid_on_random_documents);
    suite_add_tcase(s, tc);
    return s;
}
