/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_refs.c: unit tests of batch_refs.c (CONTRACT 10): the syntax of
 * "$ID" and "@{ID.path}" with every malformed case, and resolution in
 * urls, header values and JSON bodies against earlier results holding
 * hostile values: "../admin", "a/b?c#d", "%2e%2e", CR/LF, NUL, 64 KiB
 * strings, unicode, every JSON type, missing members, indices out of
 * range, bodies that are not JSON, Locations of other servers or none.
 */

#include <string.h>

#include <apr_strings.h>

#include "unit.h"
#include "batch_json.h"
#include "batch_refs.h"

static apr_pool_t *pool;
static batch_refs_env_t env;

/* The earlier results the tests resolve against, by id. */
#define NSRC 4
static const char *const src_ids[NSRC] = {"1", "2", "list", "x"};
static batch_refs_src_t srcs[NSRC];
static int lookups;

static const batch_refs_src_t *lookup(void *ctx, const char *id, apr_size_t len)
{
    int i;

    (void)ctx;
    lookups++;
    for (i = 0; i < NSRC; i++) {
        if (strlen(src_ids[i]) == len && !strncasecmp(src_ids[i], id, len)) {
            return &srcs[i];
        }
    }
    return NULL;
}

/* Item "1" answered 201 with this JSON body (and Location /products/11). */
static void body1(const char *json)
{
    srcs[0].body = json;
    srcs[0].body_len = strlen(json);
}

static void setup(void)
{
    int i;

    apr_pool_create(&pool, NULL);
    memset(srcs, 0, sizeof(srcs));
    for (i = 0; i < NSRC; i++) {
        srcs[i].status = 200;
        srcs[i].content_type = "application/json; charset=utf-8";
    }
    srcs[0].status = 201;
    srcs[0].location = "/products/11";
    srcs[0].uri = "/products";
    body1("{\"id\":11,\"name\":\"chair\",\"price\":12.50,\"tags\":[\"a\","
          "\"b\"],\"ok\":true,\"no\":false,\"none\":null,\"o\":{\"k\":"
          "[1,{\"deep\":\"x\"}]},\"dot\":\"..\",\"dot1\":\".\",\"empty\":"
          "\"\",\"slash\":\"../admin\",\"abc\":\"a/b?c#d\",\"pct\":"
          "\"%2e%2e\",\"crlf\":\"a\\r\\nX-Evil: 1\",\"nul\":\"a\\u0000b\","
          "\"tab\":\"a\\tb\",\"uni\":\"caf\\u00e9 \\ud83d\\ude00\","
          "\"q\":\"say \\\"hi\\\"\\\\\",\"big\":12345678901234567890123}");
    srcs[1].body = "[{\"id\":\"first\"},{\"id\":\"second\"}]";
    srcs[1].body_len = strlen(srcs[1].body);
    srcs[2].body = "{\"items\":[{\"name\":\"n0\"},{\"name\":\"n1\"}]}";
    srcs[2].body_len = strlen(srcs[2].body);
    srcs[3].body = "<html>not json</html>";
    srcs[3].body_len = strlen(srcs[3].body);
    srcs[3].content_type = "text/html";
    lookups = 0;

    memset(&env, 0, sizeof(env));
    env.lookup = lookup;
    env.base = "";
    env.scheme = "http";
    env.host = "localhost";
    env.port = 8080;
    env.max_url = 8190;
    env.max_value = 8190;
    env.max_body = 1024 * 1024;
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

/* ------------------------------------------------------------------ */
/* helpers                                                            */

/* Where a text is resolved: names index what_name[]. */
typedef enum { AS_URL, AS_HEADER, AS_BODY } as_t;
static const char *const what_name[] = {"url", "header", "body"};

/* s resolved as a url, a header value or a JSON body by a new resolver;
 * pn (header, body) may be NULL: batch_refs_header() allows it. */
static apr_status_t resolve(as_t as, const char *s, const char **out,
                            apr_size_t *pn, const char **why)
{
    batch_refs_t *rs = batch_refs_make(&env, pool);

    *out = NULL;
    *why = NULL;
    switch (as) {
    case AS_URL:
        return batch_refs_url(out, why, rs, s);
    case AS_HEADER:
        return batch_refs_header(out, pn, why, rs, s, strlen(s));
    default:
        return batch_refs_body(out, pn, why, rs, s, strlen(s));
    }
}

/* Resolved; a header value or body comes with its length. */
static const char *resolved(as_t as, const char *s)
{
    const char *out, *why;
    apr_size_t n = 0;

    ck_assert_msg(resolve(as, s, &out, &n, &why) == APR_SUCCESS,
                  "%s %s refused: %s", what_name[as], s, why);
    if (as != AS_URL) {
        ck_assert_uint_eq(n, strlen(out));
    }
    return out;
}

/* Refused, with a message that holds want. A header is resolved without
 * a length pointer, a body with one. */
static void refused(as_t as, const char *s, const char *want)
{
    const char *out, *why;
    apr_size_t n = 0;

    ck_assert_msg(resolve(as, s, &out, as == AS_HEADER ? NULL : &n, &why)
                      == APR_EINVAL,
                  "%s %s resolved to %s", what_name[as], s, out);
    ck_assert_msg(why && strstr(why, want), "%s %s: \"%s\" lacks \"%s\"",
                  what_name[as], s, why, want);
}

static const char *url_ok(const char *url)
{
    return resolved(AS_URL, url);
}

static void url_bad(const char *url, const char *want)
{
    refused(AS_URL, url, want);
}

static const char *hdr_ok(const char *v)
{
    return resolved(AS_HEADER, v);
}

static void hdr_bad(const char *v, const char *want)
{
    refused(AS_HEADER, v, want);
}

static const char *body_ok(const char *b)
{
    return resolved(AS_BODY, b);
}

static void body_bad(const char *b, const char *want)
{
    refused(AS_BODY, b, want);
}

static int scan(const char *s, batch_refs_where_t where,
                apr_array_header_t *ids, const char **why)
{
    int n = -1;

    *why = NULL;
    if (batch_refs_scan(&n, ids, why, s, strlen(s), where, pool)
        != APR_SUCCESS) {
        return -1;
    }
    return n;
}

static void scan_bad(const char *s, batch_refs_where_t where, const char *want)
{
    const char *why;

    ck_assert_msg(scan(s, where, NULL, &why) == -1, "%s accepted", s);
    ck_assert_msg(why && strstr(why, "malformed reference")
                      && strstr(why, want),
                  "%s: \"%s\" lacks \"%s\"", s, why, want);
}

/* A string of n bytes of c, from the pool. */
static char *fill(int c, apr_size_t n)
{
    char *s = apr_palloc(pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Item "x" answers a JSON body {"s":"aaa..."} with a 64 KiB string;
 * returns that string. */
static const char *x_big_string(void)
{
    char *big = fill('a', 65536);

    srcs[3].body = apr_pstrcat(pool, "{\"s\":\"", big, "\"}", NULL);
    srcs[3].body_len = strlen(srcs[3].body);
    srcs[3].content_type = "application/json";
    return big;
}

/* ------------------------------------------------------------------ */
/* syntax                                                             */

START_TEST(scan_finds_ids)
{
    apr_array_header_t *ids = apr_array_make(pool, 4, sizeof(batch_refs_id_t));
    const batch_refs_id_t *e;
    const char *why;

    ck_assert_int_eq(scan("/a/@{1.id}?q=@{list.items[0].name}&r=@{2[1].id}",
                          BATCH_REFS_IN_URL, ids, &why),
                     3);
    ck_assert_int_eq(ids->nelts, 3);
    e = (const batch_refs_id_t *)ids->elts;
    ck_assert_uint_eq(e[0].len, 1);
    ck_assert(!strncmp(e[0].id, "1", 1));
    ck_assert_uint_eq(e[1].len, 4);
    ck_assert(!strncmp(e[1].id, "list", 4));
    ck_assert(!strncmp(e[2].id, "2", 1));

    /* "$ID" only in urls, and only as the whole first segment */
    apr_array_clear(ids);
    ck_assert_int_eq(scan("$new-item/orders?x=1", BATCH_REFS_IN_URL, ids, &why),
                     1);
    e = (const batch_refs_id_t *)ids->elts;
    ck_assert_uint_eq(e[0].len, 8);
    ck_assert(!strncmp(e[0].id, "new-item", 8));
    ck_assert_int_eq(scan("$1", BATCH_REFS_IN_URL, NULL, &why), 1);
    ck_assert_int_eq(scan("$1?x", BATCH_REFS_IN_URL, NULL, &why), 1);
    ck_assert_int_eq(scan("$1", BATCH_REFS_IN_TEXT, NULL, &why), 0);
    ck_assert_int_eq(scan("/x/$1", BATCH_REFS_IN_URL, NULL, &why), 0);
    ck_assert_int_eq(scan("/$1", BATCH_REFS_IN_URL, NULL, &why), 0);

    /* nothing that is not "@{" */
    ck_assert_int_eq(scan("a@b {x} @ { @", BATCH_REFS_IN_TEXT, NULL, &why), 0);
    ck_assert_int_eq(scan("", BATCH_REFS_IN_TEXT, NULL, &why), 0);
    /* unicode and odd characters in names; "@@{" is "@" then a ref */
    ck_assert_int_eq(scan("@{1.caf\xc3\xa9.a-b_c $}@@{2[0]}",
                          BATCH_REFS_IN_TEXT, NULL, &why),
                     2);
    ck_assert_int_eq(scan("@{1[999999999]}", BATCH_REFS_IN_TEXT, NULL, &why),
                     1);
}
END_TEST

START_TEST(scan_malformed)
{
    scan_bad("x @{1.id", BATCH_REFS_IN_TEXT, "no closing '}'");
    scan_bad("@{", BATCH_REFS_IN_TEXT, "no closing '}'");
    scan_bad("@{}", BATCH_REFS_IN_TEXT, "an empty id");
    scan_bad("@{.id}", BATCH_REFS_IN_TEXT, "an empty id");
    scan_bad("@{1}", BATCH_REFS_IN_TEXT, "no path");
    scan_bad("@{1.}", BATCH_REFS_IN_TEXT, "an empty member name");
    scan_bad("@{1..a}", BATCH_REFS_IN_TEXT, "an empty member name");
    scan_bad("@{1.a.}", BATCH_REFS_IN_TEXT, "an empty member name");
    scan_bad("@{1[]}", BATCH_REFS_IN_TEXT, "array index");
    scan_bad("@{1[-1]}", BATCH_REFS_IN_TEXT, "array index");
    scan_bad("@{1[01]}", BATCH_REFS_IN_TEXT, "array index");
    scan_bad("@{1[1000000000]}", BATCH_REFS_IN_TEXT, "array index");
    scan_bad("@{1[a]}", BATCH_REFS_IN_TEXT, "array index");
    scan_bad("@{1[0}", BATCH_REFS_IN_TEXT, "array index");
    scan_bad("@{1[0]x}", BATCH_REFS_IN_TEXT, "must be followed by");
    scan_bad("@{1[0", BATCH_REFS_IN_TEXT, "no closing '}'");
    scan_bad("@{1.a{b}", BATCH_REFS_IN_TEXT, "holds '{' or ']'");
    scan_bad("@{1.a@{2.b}}", BATCH_REFS_IN_TEXT, "holds '{' or ']'");
    scan_bad("@{a]b.c}", BATCH_REFS_IN_TEXT, "holds '{' or ']'");
    scan_bad("ok @{1.a} then @{2.", BATCH_REFS_IN_TEXT, "no closing");
    scan_bad("$", BATCH_REFS_IN_URL, "an empty id after '$'");
    scan_bad("$/x", BATCH_REFS_IN_URL, "an empty id after '$'");
    scan_bad("$?x", BATCH_REFS_IN_URL, "an empty id after '$'");
    scan_bad("/a/@{1.b", BATCH_REFS_IN_URL, "no closing");
}
END_TEST

START_TEST(scan_message_is_quoted_and_short)
{
    const char *why;
    char *s = apr_pstrcat(pool, "@{1.\"\x01", fill('a', 70000), NULL);

    ck_assert_int_eq(scan(s, BATCH_REFS_IN_TEXT, NULL, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "\\\"\\u0001"));
    ck_assert_ptr_nonnull(strstr(why, "...\": no closing"));
    ck_assert_uint_lt(strlen(why), 200);
}
END_TEST

START_TEST(scan_json_strings_only)
{
    const batch_json_t *v = NULL;
    const char *why = NULL,
               *doc = "{\"a\":\"@{1.id}\",\"@{2.x}\":[1,\"x @{list.items[0]"
                      ".name} y\",{\"b\":\"@{x.y}\"}],\"c\":true}";
    apr_array_header_t *ids = apr_array_make(pool, 4, sizeof(batch_refs_id_t));
    int n = -1;

    ck_assert(batch_json_parse(&v, &why, NULL, doc, strlen(doc), 64, pool)
              == APR_SUCCESS);
    ck_assert(batch_refs_scan_json(&n, ids, &why, v, 64, pool) == APR_SUCCESS);
    /* member names are not references: "@{2.x}" is not counted */
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ids->nelts, 3);

    doc = "[\"ok\",{\"b\":\"@{1.}\"}]";
    ck_assert(batch_json_parse(&v, &why, NULL, doc, strlen(doc), 64, pool)
              == APR_SUCCESS);
    ck_assert(batch_refs_scan_json(&n, NULL, &why, v, 64, pool) == APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "an empty member name"));
    /* depth bound */
    ck_assert(batch_refs_scan_json(&n, NULL, &why, v, 1, pool) == APR_EINVAL);
}
END_TEST

START_TEST(url_template)
{
    const char *u = "/a/b?c";

    ck_assert_ptr_eq(batch_refs_url_template(u, pool), u);
    ck_assert_str_eq(batch_refs_url_template("$1", pool), "/-");
    ck_assert_str_eq(batch_refs_url_template("$1/orders?x=@{2.id}&y=1", pool),
                     "/-/orders?x=-&y=1");
    ck_assert_str_eq(batch_refs_url_template("/p/@{1.id}x@{2[0]}/q", pool),
                     "/p/-x-/q");
    /* a template keeps what the url checks must still refuse */
    ck_assert_str_eq(batch_refs_url_template("http://h/@{1.a}#f", pool),
                     "http://h/-#f");
}
END_TEST

/* ------------------------------------------------------------------ */
/* "$ID"                                                              */

START_TEST(dollar_location)
{
    ck_assert_str_eq(url_ok("$1/orders"), "/products/11/orders");
    ck_assert_str_eq(url_ok("$1"), "/products/11");
    ck_assert_str_eq(url_ok("$1?expand=all"), "/products/11?expand=all");
    /* ids compare as item ids do: any case */
    srcs[2].location = "/lists/7";
    ck_assert_str_eq(url_ok("$LIST/items"), "/lists/7/items");
    /* the path only: the Location's query and fragment are dropped */
    srcs[0].location = "/products/11?v=2#top";
    ck_assert_str_eq(url_ok("$1/orders"), "/products/11/orders");
    /* absolute URLs of this server */
    srcs[0].location = "http://localhost:8080/products/12";
    ck_assert_str_eq(url_ok("$1"), "/products/12");
    srcs[0].location = "HTTP://LocalHost:8080/products/13?x";
    ck_assert_str_eq(url_ok("$1/a"), "/products/13/a");
    srcs[0].location = "//localhost:8080/products/14";
    ck_assert_str_eq(url_ok("$1"), "/products/14");
    srcs[0].location = "http://localhost:8080";
    ck_assert_str_eq(url_ok("$1/x"), "/x");
    /* relative: against the directory of the item's own path */
    srcs[0].location = "15";
    srcs[0].uri = "/products/";
    ck_assert_str_eq(url_ok("$1"), "/products/15");
    srcs[0].uri = "/shop/products?x=1";
    ck_assert_str_eq(url_ok("$1/o"), "/shop/15/o");
    srcs[0].location = "../16";
    ck_assert_str_eq(url_ok("$1"), "/16");
    /* the rest of the url with references of its own */
    srcs[0].location = "/products/11";
    ck_assert_str_eq(url_ok("$1/tags/@{1.tags[1]}?n=@{1.name}"),
                     "/products/11/tags/b?n=chair");
    /* default port */
    env.port = 80;
    srcs[0].location = "http://localhost/p";
    ck_assert_str_eq(url_ok("$1"), "/p");
    env.scheme = "https";
    env.port = 443;
    srcs[0].location = "https://localhost/q";
    ck_assert_str_eq(url_ok("$1"), "/q");
    env.host = "[::1]";
    env.port = 8443;
    srcs[0].location = "https://[::1]:8443/v6";
    ck_assert_str_eq(url_ok("$1"), "/v6");
}
END_TEST

START_TEST(dollar_refused)
{
    static const char *const foreign[] = {
        "http://evil.example:8080/products/11",
        "http://localhost/products/11", /* port 80 */
        "http://localhost:80800/p",
        "https://localhost:8080/p",
        "http://localhost@evil:8080/p",
        "//evil/p",
        "javascript:alert(1)",
        "http:/p",
    };
    apr_size_t k;

    srcs[0].location = NULL;
    url_bad("$1/orders", "the reference \"$1\" cannot be resolved: item "
                         "\"1\" answered without a Location header");
    srcs[0].location = "";
    url_bad("$1", "without a Location header");
    /* another server, another port, another scheme, userinfo */
    for (k = 0; k < sizeof(foreign) / sizeof(foreign[0]); k++) {
        srcs[0].location = foreign[k];
        url_bad("$1", "is not a path or a URL of this server");
    }
    /* relative without the item's uri */
    srcs[0].location = "p";
    srcs[0].uri = NULL;
    url_bad("$1", "is not a path or a URL of this server");
    /* a Location the url checks refuse */
    srcs[0].location = "/a b";
    url_bad("$1", "must not contain whitespace");
    srcs[0].location = "/../../etc/passwd";
    url_bad("$1", "climbs above the root");
    /* an item that did not run, an unknown id */
    srcs[0].location = "/p";
    srcs[0].status = 0;
    url_bad("$1", "item \"1\" has no result to use");
    url_bad("$nosuch/x", "item \"nosuch\" has no result to use");
}
END_TEST

START_TEST(dollar_under_base)
{
    static const char *const outside[] = {"/v1.00/x", "/v1.0/../admin",
                                          "/v1.0/%2e%2e/admin"};
    apr_size_t k;

    env.base = "/v1.0";
    srcs[0].location = "/v1.0/products/11";
    ck_assert_str_eq(url_ok("$1/orders"), "/v1.0/products/11/orders");
    srcs[0].location = "http://localhost:8080/v1.0";
    ck_assert_str_eq(url_ok("$1"), "/v1.0");
    /* never moved under the base: refused */
    srcs[0].location = "/admin/x";
    url_bad("$1", "lies outside the batch base \"/v1.0\"");
    for (k = 0; k < sizeof(outside) / sizeof(outside[0]); k++) {
        srcs[0].location = outside[k];
        url_bad("$1", "lies outside the batch base");
    }
    srcs[0].location = "/v1.0/a";
    url_bad("$1/../../admin", "lies outside the batch base");
    /* a relative Location that climbs out */
    srcs[0].location = "../admin";
    srcs[0].uri = "/v1.0/x";
    url_bad("$1", "lies outside the batch base");
}
END_TEST

/* ------------------------------------------------------------------ */
/* "@{...}" in urls                                                   */

START_TEST(url_values)
{
    ck_assert_str_eq(url_ok("/products/@{1.id}"), "/products/11");
    ck_assert_str_eq(url_ok("products/@{1.id}/x"), "/products/11/x");
    ck_assert_str_eq(url_ok("/p/@{1.price}-@{1.ok}-@{1.no}"),
                     "/p/12.50-true-false");
    ck_assert_str_eq(url_ok("/p/@{1.big}"), "/p/12345678901234567890123");
    ck_assert_str_eq(url_ok("/p?first=@{2[0].id}&n=@{list.items[1].name}"),
                     "/p?first=first&n=n1");
    ck_assert_str_eq(url_ok("/p/@{1.o.k[1].deep}"), "/p/x");
    /* hostile values: one segment or one query value, never more */
    ck_assert_str_eq(url_ok("/p?q=@{1.slash}"), "/p?q=..%2Fadmin");
    ck_assert_str_eq(url_ok("/p?q=@{1.abc}&r=1"), "/p?q=a%2Fb%3Fc%23d&r=1");
    ck_assert_str_eq(url_ok("/p/@{1.pct}"), "/p/%252e%252e");
    ck_assert_str_eq(url_ok("/p?q=@{1.pct}"), "/p?q=%252e%252e");
    ck_assert_str_eq(url_ok("/p/@{1.crlf}"), "/p/a%0D%0AX-Evil%3A%201");
    ck_assert_str_eq(url_ok("/p/@{1.nul}"), "/p/a%00b");
    ck_assert_str_eq(url_ok("/p/@{1.uni}"), "/p/caf%C3%A9%20%F0%9F%98%80");
    ck_assert_str_eq(url_ok("/p/@{1.q}"), "/p/say%20%22hi%22%5C");
    /* dots inside a longer segment and in the query are plain text */
    ck_assert_str_eq(url_ok("/p/x@{1.dot}"), "/p/x..");
    ck_assert_str_eq(url_ok("/p/@{1.dot}x/y"), "/p/..x/y");
    ck_assert_str_eq(url_ok("/p?@{1.dot}"), "/p?..");
    ck_assert_str_eq(url_ok("/p?a=@{1.empty}"), "/p?a=");
    /* the url checks still apply to what the client wrote */
    url_bad("/p/@{1.id}#f", "must not contain a fragment");
}
END_TEST

START_TEST(url_values_refused)
{
    url_bad("/p/@{1.slash}", "the reference \"@{1.slash}\" cannot be "
                             "resolved: its value holds '/'");
    url_bad("/p/@{1.abc}", "holds '/'");
    url_bad("/p/@{1.dot}/admin", "would make a path segment empty, \".\" or "
                                 "\"..\"");
    url_bad("/p/@{1.dot}", "would make a path segment empty");
    url_bad("@{1.dot}", "would make a path segment empty");
    url_bad("/p/@{1.dot1}", "would make a path segment empty");
    url_bad("/p/@{1.dot1}@{1.dot1}/x", "would make a path segment empty");
    url_bad("/p/%2E@{1.dot1}/x", "would make a path segment empty");
    url_bad("/p/@{1.empty}/x", "would make a path segment empty");
    url_bad("/p/@{1.empty}", "would make a path segment empty");
    url_bad("/p/@{1.none}", "the value is null");
    url_bad("/p/@{1.o}", "the value is an object");
    url_bad("/p/@{1.tags}", "the value is an array");
    url_bad("/p/@{1.nope}", "the body has no member \"nope\"");
    url_bad("/p/@{1.o.k[2]}", "\"o.k\" has 2 elements, no [2]");
    url_bad("/p/@{1.id.x}", "\"id\" is not an object");
    url_bad("/p/@{1[0]}", "the body is not an array");
    url_bad("/p/@{x.a}", "item \"x\" returned no JSON body (Content-Type "
                         "\"text/html\")");
    url_bad("/p/@{zz.a}", "item \"zz\" has no result to use");
    /* 64 KiB value: the url limit */
    x_big_string();
    url_bad("/p/@{x.s}", "longer than 8190 bytes");
    env.max_url = 0;
    ck_assert_uint_eq(strlen(url_ok("/p/@{x.s}")), 3 + 65536);
}
END_TEST

START_TEST(url_values_under_base)
{
    env.base = "/v1.0";
    ck_assert_str_eq(url_ok("/products/@{1.id}"), "/v1.0/products/11");
    ck_assert_str_eq(url_ok("/v1.0/products/@{1.id}"), "/v1.0/products/11");
    ck_assert_str_eq(url_ok("x/@{1.pct}"), "/v1.0/x/%252e%252e");
    url_bad("/@{1.dot}", "would make a path segment empty");
}
END_TEST

/* ------------------------------------------------------------------ */
/* header values                                                      */

START_TEST(header_values)
{
    ck_assert_str_eq(hdr_ok("Bearer @{1.name}"), "Bearer chair");
    ck_assert_str_eq(hdr_ok("@{1.id}"), "11");
    ck_assert_str_eq(hdr_ok("@{1.price};@{1.ok};@{1.no}"), "12.50;true;false");
    ck_assert_str_eq(hdr_ok("no refs @ {}"), "no refs @ {}");
    ck_assert_str_eq(hdr_ok("@{1.tab}"), "a\tb");
    ck_assert_str_eq(hdr_ok("@{1.uni}"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
    ck_assert_str_eq(hdr_ok("W/\"@{1.slash}\" @{1.abc} @{1.pct}"),
                     "W/\"../admin\" a/b?c#d %2e%2e");
    ck_assert_str_eq(hdr_ok("@{1.q}"), "say \"hi\"\\");
    ck_assert_str_eq(hdr_ok("@{LIST.items[0].name}"), "n0");
}
END_TEST

START_TEST(header_values_refused)
{
    hdr_bad("x @{1.crlf}", "holds a control character");
    hdr_bad("@{1.nul}", "holds a control character");
    hdr_bad("@{1.none}", "the reference \"@{1.none}\" cannot be resolved: the "
                         "value is null");
    hdr_bad("@{1.o}", "an object");
    hdr_bad("@{1.tags}", "an array");
    hdr_bad("@{1.missing}", "no member \"missing\"");
    hdr_bad("@{2[5].id}", "the body has 2 elements, no [5]");
    hdr_bad("@{x.a}", "returned no JSON body");
    hdr_bad("@{1.id", "malformed");
    x_big_string();
    hdr_bad("@{x.s}", "longer than 8190 bytes");
    env.max_value = 0;
    ck_assert_uint_eq(strlen(hdr_ok("@{x.s}")), 65536);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON bodies                                                        */

START_TEST(body_whole_string_is_typed)
{
    ck_assert_str_eq(body_ok("{\"productId\":\"@{1.id}\"}"),
                     "{\"productId\":11}");
    ck_assert_str_eq(body_ok("{\"p\":\"@{1.price}\",\"b\":\"@{1.ok}\","
                             "\"n\":\"@{1.none}\",\"big\":\"@{1.big}\"}"),
                     "{\"p\":12.50,\"b\":true,\"n\":null,"
                     "\"big\":12345678901234567890123}");
    ck_assert_str_eq(body_ok("[\"@{1.o}\", \"@{1.tags}\"]"),
                     "[{\"k\":[1,{\"deep\":\"x\"}]}, [\"a\",\"b\"]]");
    /* a string is copied as the earlier body wrote it, escapes and all */
    ck_assert_str_eq(body_ok("{\"s\":\"@{1.q}\",\"u\":\"@{1.uni}\"}"),
                     "{\"s\":\"say \\\"hi\\\"\\\\\",\"u\":"
                     "\"caf\\u00e9 \\ud83d\\ude00\"}");
    ck_assert_str_eq(body_ok("\"@{1.crlf}\""), "\"a\\r\\nX-Evil: 1\"");
    ck_assert_str_eq(body_ok("\"@{1.nul}\""), "\"a\\u0000b\"");
    ck_assert_str_eq(body_ok("\"@{2[1]}\""), "{\"id\":\"second\"}");
}
END_TEST

START_TEST(body_splices_text)
{
    ck_assert_str_eq(body_ok("{\"t\":\"id-@{1.id}: @{1.name} @{1.ok}\"}"),
                     "{\"t\":\"id-11: chair true\"}");
    /* escaped properly, whatever the value holds */
    ck_assert_str_eq(body_ok("[\"<@{1.q}>\"]"), "[\"<say \\\"hi\\\"\\\\>\"]");
    ck_assert_str_eq(body_ok("[\"<@{1.crlf}>\"]"), "[\"<a\\r\\nX-Evil: 1>\"]");
    ck_assert_str_eq(body_ok("[\"<@{1.nul}>\"]"), "[\"<a\\u0000b>\"]");
    ck_assert_str_eq(body_ok("[\"@{1.uni}!\"]"),
                     "[\"caf\xc3\xa9 \xf0\x9f\x98\x80!\"]");
    /* the client's own escapes around a reference are decoded first */
    ck_assert_str_eq(body_ok("[\"\\u0040{1.id}\"]"), "[11]");
    ck_assert_str_eq(body_ok("[\"a\\n@{1.id}\"]"), "[\"a\\n11\"]");
}
END_TEST

START_TEST(body_keeps_the_rest)
{
    const char *b = " {\"a\" : [1, 2.0e3, \"\\u00e9\", null],\n \"@{1.id}\":"
                    " \"@{1.id}\" , \"c\":{\"d\":\"@{2[0].id}\"}}  ";

    /* member names are not references; spacing and escapes stay */
    ck_assert_str_eq(body_ok(b),
                     " {\"a\" : [1, 2.0e3, \"\\u00e9\", null],\n"
                     " \"@{1.id}\": 11 , \"c\":{\"d\":\"first\"}}  ");
    b = "{\"x\":\"no reference\"}";
    ck_assert_str_eq(body_ok(b), b);
}
END_TEST

START_TEST(body_refused)
{
    body_bad("{\"t\":\"a @{1.o}\"}", "the reference \"@{1.o}\" cannot be "
                                     "resolved: the value is an object");
    body_bad("[\"a @{1.none}\"]", "the value is null");
    body_bad("[\"a @{1.tags}\"]", "the value is an array");
    body_bad("[\"@{1.missing}\"]", "the body has no member \"missing\"");
    body_bad("[\"@{list.items[2].name}\"]", "\"items\" has 2 elements, no [2]");
    body_bad("[\"@{list.items[0].name.x}\"]",
             "\"items[0].name\" is not an object");
    body_bad("[\"@{x.a}\"]", "item \"x\" returned no JSON body");
    body_bad("not json", "the body is not valid JSON");
    /* a JSON Content-Type with a body that is not JSON, or none */
    srcs[3].content_type = "application/json";
    body_bad("[\"@{x.a}\"]",
             "item \"x\" returned a body that is not valid JSON");
    srcs[3].body = NULL;
    srcs[3].body_len = 0;
    body_bad("[\"@{x.a}\"]", "item \"x\" returned no body");
}
END_TEST

START_TEST(body_limits)
{
    const char *big = x_big_string();

    ck_assert_str_eq(body_ok("[\"@{x.s}\"]"),
                     apr_pstrcat(pool, "[\"", big, "\"]", NULL));
    ck_assert_str_eq(body_ok("[\"-@{x.s}\"]"),
                     apr_pstrcat(pool, "[\"-", big, "\"]", NULL));
    /* the resolved body may not pass its bound, however it is reached */
    env.max_body = 65536;
    body_bad("[\"@{x.s}\"]", "longer than 65536 bytes");
    body_bad("[\"-@{x.s}\"]", "longer than 65536 bytes");
    env.max_body = 100;
    /* 51 bytes that name 5 x 22 */
    body_bad("[\"@{1.o}\",\"@{1.o}\",\"@{1.o}\",\"@{1.o}\",\"@{1.o}\"]",
             "longer than 100 bytes");
}
END_TEST

/* A body is read only when a "@{...}" names it, and once. */
START_TEST(bodies_read_lazily)
{
    const char *why = NULL, *out = NULL;
    batch_refs_t *rs;

    srcs[0].body = "this is not JSON";
    srcs[0].body_len = strlen(srcs[0].body);
    ck_assert_str_eq(url_ok("$1/x"), "/products/11/x");
    ck_assert_str_eq(body_ok("{\"a\":\"@{2[0].id}\"}"), "{\"a\":\"first\"}");

    rs = batch_refs_make(&env, pool);
    lookups = 0;
    ck_assert(
        batch_refs_header(&out, NULL, &why, rs, "@{2[0].id}@{2[1].id}", 20)
        == APR_SUCCESS);
    ck_assert_str_eq(out, "firstsecond");
    ck_assert_int_eq(lookups, 2);
    /* a broken body is reported the same way each time it is named */
    ck_assert(batch_refs_header(&out, NULL, &why, rs, "@{1.a}", 6)
              == APR_EINVAL);
    ck_assert(batch_refs_header(&out, NULL, &why, rs, "@{1.b}", 6)
              == APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "\"@{1.b}\""));
    ck_assert_ptr_nonnull(
        strstr(why, "returned a body that is not valid JSON"));
}
END_TEST

Suite *batch_refs_suite(void)
{
    Suite *s = suite_create("refs");
    TCase *tc = tcase_create("refs");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, scan_finds_ids);
    tcase_add_test(tc, scan_malformed);
    tcase_add_test(tc, scan_message_is_quoted_and_short);
    tcase_add_test(tc, scan_json_strings_only);
    tcase_add_test(tc, url_template);
    tcase_add_test(tc, dollar_location);
    tcase_add_test(tc, dollar_refused);
    tcase_add_test(tc, dollar_under_base);
    tcase_add_test(tc, url_values);
    tcase_add_test(tc, url_values_refused);
    tcase_add_test(tc, url_values_under_base);
    tcase_add_test(tc, header_values);
    tcase_add_test(tc, header_values_refused);
    tcase_add_test(tc, body_whole_string_is_typed);
    tcase_add_test(tc, body_splices_text);
    tcase_add_test(tc, body_keeps_the_rest);
    tcase_add_test(tc, body_refused);
    tcase_add_test(tc, body_limits);
    tcase_add_test(tc, bodies_read_lazily);
    suite_add_tcase(s, tc);
    return s;
}
