/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_refs.c: fuzz target over batch_refs.c (CONTRACT 10): the syntax
 * of references and the walk of their paths through bodies an earlier
 * item returned. The first input byte picks the mode ((byte & 15) % 4,
 * so seed files start with the digit '0'..'3'), the rest is its input:
 *   0 syntax: the text is scanned as a url and as a header value; what
 *     is accepted lists as many ids as references, each inside the text,
 *     leaves no "@{" in the url template, and resolves (or fails) without
 *     harm against fixed earlier results
 *   1 bodies: the text is an item body; when it is JSON and its
 *     references are well-formed, the resolved body is JSON too, and a
 *     body without references comes back byte for byte
 *   2 paths: "REF\nBODY": REF (exactly one reference, "@{1.a[0]}" and
 *     the like, without '/', '?' or '#') is resolved against BODY (item
 *     1's response) in a url, a header value and a JSON body; a url
 *     keeps exactly the shape its template had (one segment, one query
 *     value), a header value passes the header rules, a body is JSON
 *   3 Locations: the text is item 1's Location; "$1/x" resolves under
 *     BatchBase /api or fails, and a resolved url resolves to itself
 */

#include <string.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "batch_json.h"
#include "batch_parse.h"
#include "batch_refs.h"
#include "batch_util.h"
#include "batch_item.h"

static batch_refs_src_t src1, src2;

static const batch_refs_src_t *lookup(void *ctx, const char *id, apr_size_t len)
{
    (void)ctx;
    if (len == 1 && id[0] == '1') {
        return &src1;
    }
    if (len == 1 && id[0] == '2') {
        return &src2;
    }
    return NULL;
}

static void env_init(batch_refs_env_t *env, const char *base)
{
    memset(env, 0, sizeof(*env));
    env->lookup = lookup;
    env->base = base;
    env->scheme = "http";
    env->host = "localhost";
    env->port = 8080;
    env->max_url = 8190;
    env->max_value = 8190;
    env->max_body = 1024 * 1024;
}

static void srcs_init(void)
{
    static const char body[] = "{\"id\":11,\"s\":\"a/b?c#d\",\"d\":\"..\","
                               "\"l\":[1,\"x\",null,{\"k\":true}],"
                               "\"o\":{\"e\":\"\\u0000\\r\\n\"}}";

    memset(&src1, 0, sizeof(src1));
    src1.status = 201;
    src1.location = "/products/11";
    src1.uri = "/products";
    src1.body = body;
    src1.body_len = sizeof(body) - 1;
    src1.content_type = "application/json";
    src2 = src1;
    src2.location = NULL;
    src2.body = "[{\"id\":\"first\"}]";
    src2.body_len = strlen(src2.body);
}

static int has_nul(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

static void do_syntax(const char *in, size_t n, apr_pool_t *p)
{
    apr_array_header_t *ids = apr_array_make(p, 4, sizeof(batch_refs_id_t));
    batch_refs_env_t env;
    const char *why = NULL, *out = NULL, *url, *tpl;
    apr_size_t olen = 0;
    int w, k, count = -1;

    for (w = 0; w < 2; w++) {
        apr_array_clear(ids);
        if (batch_refs_scan(&count, ids, &why, in, n, (batch_refs_where_t)w, p)
            != APR_SUCCESS) {
            FUZZ_CHECK(why && strstr(why, "malformed reference"));
            continue;
        }
        FUZZ_CHECK(count == ids->nelts);
        for (k = 0; k < ids->nelts; k++) {
            const batch_refs_id_t *e = &((batch_refs_id_t *)ids->elts)[k];
            FUZZ_CHECK(e->len > 0 && e->id >= in && e->id + e->len <= in + n);
        }
    }
    env_init(&env, "");
    if (batch_refs_scan(&count, NULL, &why, in, n, BATCH_REFS_IN_TEXT, p)
        == APR_SUCCESS) {
        if (batch_refs_header(&out, &olen, &why, batch_refs_make(&env, p), in,
                              n)
            == APR_SUCCESS) {
            FUZZ_CHECK(!batch_item_has_ctl(out, olen, 1));
        }
    }
    if (has_nul(in, n)) {
        return;
    }
    url = apr_pstrmemdup(p, in, n);
    if (batch_refs_scan(&count, NULL, &why, url, n, BATCH_REFS_IN_URL, p)
        != APR_SUCCESS) {
        return;
    }
    tpl = batch_refs_url_template(url, p);
    FUZZ_CHECK(!strstr(tpl, "@{"));
    if (batch_refs_url(&out, &why, batch_refs_make(&env, p), url)
        == APR_SUCCESS) {
        const char *again = NULL;
        FUZZ_CHECK(out[0] == '/' && out[1] != '/');
        FUZZ_CHECK(batch_parse_resolve_url(&again, &why, out, "", p)
                   == APR_SUCCESS);
        FUZZ_CHECK(strcmp(again, out) == 0);
    }
}

static void do_body(const char *in, size_t n, apr_pool_t *p)
{
    const batch_json_t *v = NULL;
    const char *why = NULL, *out = NULL;
    batch_refs_env_t env;
    apr_size_t olen = 0;
    int count = 0;

    if (batch_json_parse(&v, &why, NULL, in, n, 64, p) != APR_SUCCESS
        || batch_refs_scan_json(&count, NULL, &why, v, 64, p) != APR_SUCCESS) {
        return;
    }
    env_init(&env, "");
    if (batch_refs_body(&out, &olen, &why, batch_refs_make(&env, p), in, n)
        != APR_SUCCESS) {
        FUZZ_CHECK(count > 0 && why != NULL);
        return;
    }
    FUZZ_CHECK(batch_util_json_valid(out, olen, 1024));
    if (count == 0) {
        FUZZ_CHECK(olen == n && !memcmp(out, in, n));
    }
}

/* "/p/" + one segment + "?q=" + one query value, nothing more. */
static void check_shape(const char *uri)
{
    const char *q;

    FUZZ_CHECK(!strncmp(uri, "/p/", 3));
    q = strchr(uri, '?');
    FUZZ_CHECK(q && q > uri + 3 && !strncmp(q, "?q=", 3));
    FUZZ_CHECK(memchr(uri + 3, '/', (size_t)(q - uri - 3)) == NULL);
    FUZZ_CHECK(strpbrk(q + 3, "/?#&=") == NULL);
}

static void do_paths(const char *in, size_t n, apr_pool_t *p)
{
    const char *nl = memchr(in, '\n', n), *why = NULL, *out = NULL, *ref;
    batch_refs_env_t env;
    apr_size_t rlen, olen = 0, elen;
    const char *esc;
    int count = 0;

    if (!nl) {
        return;
    }
    rlen = (apr_size_t)(nl - in);
    ref = apr_pstrmemdup(p, in, rlen);
    src1.body = nl + 1;
    src1.body_len = n - rlen - 1;
    if (has_nul(ref, rlen) || !batch_util_utf8_valid(ref, rlen)
        || batch_refs_scan(&count, NULL, &why, ref, rlen, BATCH_REFS_IN_TEXT, p)
               != APR_SUCCESS
        || count != 1 || strncmp(ref, "@{", 2)
        || strchr(ref, '}') != ref + rlen - 1 || strpbrk(ref, "/?#")) {
        return;
    }
    env_init(&env, "");
    if (batch_refs_url(&out, &why, batch_refs_make(&env, p),
                       apr_pstrcat(p, "/p/", ref, "?q=", ref, NULL))
        == APR_SUCCESS) {
        check_shape(out);
    }
    if (batch_refs_header(&out, &olen, &why, batch_refs_make(&env, p), ref,
                          rlen)
        == APR_SUCCESS) {
        FUZZ_CHECK(!batch_item_has_ctl(out, olen, 1));
    }
    esc = batch_util_json_escape(&elen, ref, rlen, p);
    esc = apr_pstrcat(p, "[\"", esc, "\",\"x", esc, "\"]", NULL);
    if (batch_refs_body(&out, &olen, &why, batch_refs_make(&env, p), esc,
                        strlen(esc))
        == APR_SUCCESS) {
        FUZZ_CHECK(batch_util_json_valid(out, olen, 1024));
    }
}

static void do_location(const char *in, size_t n, apr_pool_t *p)
{
    const char *why = NULL, *out = NULL, *again = NULL;
    batch_refs_env_t env;

    if (has_nul(in, n)) {
        return;
    }
    src1.location = apr_pstrmemdup(p, in, n);
    env_init(&env, "/api");
    if (batch_refs_url(&out, &why, batch_refs_make(&env, p), "$1/x")
        != APR_SUCCESS) {
        FUZZ_CHECK(why != NULL);
        return;
    }
    FUZZ_CHECK(!strncmp(out, "/api", 4) && (out[4] == '/' || !out[4]));
    FUZZ_CHECK(batch_parse_resolve_url(&again, &why, out, "/api", p)
               == APR_SUCCESS);
    FUZZ_CHECK(strcmp(again, out) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuzz_mode_fn modes[] = {do_syntax, do_body, do_paths,
                                         do_location};

    srcs_init();
    return fuzz_modes(data, size, modes, sizeof(modes) / sizeof(modes[0]));
}
