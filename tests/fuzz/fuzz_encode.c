/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_encode.c: fuzz target over batch_encode_item() (CONTRACT 5, 6):
 * whatever an item produced, its entry in "responses" must be valid UTF-8
 * JSON with the client's id and the status, headers under their names
 * with the media type under the exact key "Content-Type", hop-by-hop
 * headers and Content-Length gone, no "body" for HEAD, 204 and 304, a
 * binary body that base64-decodes to the very bytes, and a valid UTF-8
 * text body passed on unchanged.
 *
 * Input layout (short inputs are padded with zeros):
 *   byte 0      status: an index into a list of interesting ones, or,
 *               with the top bit set, 100 + the rest * 4
 *   byte 1      content type: index into content_types[]
 *   byte 2      flags: 1 HEAD, 2 error_code set, 4 status_line set,
 *               8 content type only as a header, bits 4-6 headers (0-7)
 *   then        id, header lines "name:value", each ended by '\n'
 *               (the id first), then the body: all that is left
 */

#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "fuzz.h"
#include "fuzz_jsonc.h"
#include "batch_encode.h"
#include "batch_util.h"
#include "encode_ref.h"

static const int statuses[] = {200, 201, 204, 206, 301, 304, 400, 401,
                               403, 404, 405, 412, 413, 424, 500, 501,
                               502, 504, 599, 100, 0,   -1,  999, 2147483647};

static const char *const content_types[] = {
    NULL,
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "text/html; charset=ISO-8859-1",
    "application/octet-stream",
    "image/png",
    "application/problem+json",
    "application/atom+xml",
    "APPLICATION/JSON",
    "",
    " ; ",
    "text/",
    "application/x-www-form-urlencoded",
};

#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
#define NCTYPE (sizeof(content_types) / sizeof(content_types[0]))

/* The next '\n'-ended piece of the input, or NULL when there is none. */
static const char *take_line(const uint8_t **pd, size_t *psize, apr_pool_t *p)
{
    const uint8_t *nl = memchr(*pd, '\n', *psize);
    const char *line;

    if (!nl) {
        return NULL;
    }
    line = apr_pstrmemdup(p, (const char *)*pd, (size_t)(nl - *pd));
    *psize -= (size_t)(nl - *pd) + 1;
    *pd = nl + 1;
    return line;
}

static int is_dropped(const char *name)
{
    static const char *const hop[] = {
        "Connection",        "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade",    "Content-Length",   NULL};
    const char *const *h;

    for (h = hop; *h; h++) {
        if (!strcasecmp(name, *h)) {
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    uint8_t head[3];
    batch_result_t res;
    const char *id, *json, *ct, *why;
    apr_size_t jlen;
    struct json_object *obj = NULL, *v, *hdrs, *body;
    int nhdr, k, has_body_key;

    fuzz_head(head, sizeof(head), &data, &size);

    memset(&res, 0, sizeof(res));
    res.status = (head[0] & 0x80) ? 100 + (head[0] & 0x7F) * 4
                                  : statuses[head[0] % NSTATUS];
    ct = content_types[head[1] % NCTYPE];
    res.head = head[2] & 1;
    if (head[2] & 2) {
        res.error_code = "FuzzError";
        res.error_message = (head[1] & 0x80) ? NULL : "fuzz \"message\"\n";
    }
    if (head[2] & 4) {
        res.status_line = apr_psprintf(p, "%d Fuzzy Status", res.status);
    }
    id = take_line(&data, &size, p);
    if (!id) {
        id = "1";
    }
    nhdr = (head[2] >> 4) & 7;
    if (nhdr || (head[2] & 8)) {
        res.headers = apr_table_make(p, nhdr + 1);
    }
    for (k = 0; k < nhdr; k++) {
        const char *line = take_line(&data, &size, p), *colon;
        if (!line) {
            break;
        }
        colon = strchr(line, ':');
        if (colon) {
            apr_table_addn(res.headers,
                           apr_pstrmemdup(p, line, (size_t)(colon - line)),
                           colon + 1);
        }
        else {
            apr_table_addn(res.headers, line, "");
        }
    }
    if (ct && (head[2] & 8)) {
        apr_table_setn(res.headers, "content-type", ct);
    }
    else {
        res.content_type = ct;
    }
    if (size) {
        res.body = fuzz_copy(data, size);
        res.body_len = size;
    }

    FUZZ_CHECK(batch_encode_item(&json, &jlen, id, &res, p) == APR_SUCCESS);
    FUZZ_CHECK(json && strlen(json) == jlen);
    FUZZ_CHECK(batch_util_utf8_valid(json, jlen));
    obj = fuzz_jsonc_read(json, jlen, 1100);
    FUZZ_CHECK(obj != NULL);
    FUZZ_CHECK(json_object_is_type(obj, json_type_object));

    FUZZ_CHECK(json_object_object_get_ex(obj, "id", &v)
               && json_object_is_type(v, json_type_string));
    if (batch_util_utf8_valid(id, strlen(id))) {
        FUZZ_CHECK(!strcmp(json_object_get_string(v), id));
    }
    /* a negative status (none comes from httpd) is written as 0, as
     * batch_encode.c has done since 2c524a5 */
    FUZZ_CHECK(json_object_object_get_ex(obj, "status", &v)
               && json_object_get_int(v) == (res.status < 0 ? 0 : res.status));
    FUZZ_CHECK(json_object_object_get_ex(obj, "headers", &hdrs)
               && json_object_is_type(hdrs, json_type_object));
    {
        struct json_object_iterator i = json_object_iter_begin(hdrs);
        struct json_object_iterator end = json_object_iter_end(hdrs);
        for (; !json_object_iter_equal(&i, &end); json_object_iter_next(&i)) {
            const char *name = json_object_iter_peek_name(&i);
            FUZZ_CHECK(!is_dropped(name));
            FUZZ_CHECK(strcasecmp(name, "Content-Type") != 0
                       || strcmp(name, "Content-Type") == 0);
            FUZZ_CHECK(json_object_is_type(json_object_iter_peek_value(&i),
                                           json_type_string));
        }
    }
    has_body_key = json_object_object_get_ex(obj, "body", &body);
    if (res.head || res.status == 204 || res.status == 304) {
        FUZZ_CHECK(!has_body_key || (res.error_code && !res.head));
    }
    if (res.error_code && !res.head) {
        struct json_object *e, *c;
        FUZZ_CHECK(has_body_key);
        FUZZ_CHECK(json_object_object_get_ex(body, "error", &e)
                   && json_object_object_get_ex(e, "code", &c)
                   && !strcmp(json_object_get_string(c), res.error_code));
    }
    else if (has_body_key && !(res.status >= 400 && !res.body_len)) {
        /* the item's own bytes: check the round trip per media class */
        const char *eff = res.content_type;
        batch_media_t mc;

        FUZZ_CHECK(res.body_len > 0);
        if (!eff && res.headers) {
            eff = apr_table_get(res.headers, "Content-Type");
        }
        mc = batch_util_media_class(eff);
        if (mc == BATCH_MEDIA_BINARY) {
            const char *dec;
            apr_size_t dlen;
            FUZZ_CHECK(json_object_is_type(body, json_type_string));
            FUZZ_CHECK(batch_util_base64_decode(
                           &dec, &dlen, json_object_get_string(body),
                           (apr_size_t)json_object_get_string_len(body), p)
                       == APR_SUCCESS);
            FUZZ_CHECK(dlen == res.body_len
                       && !memcmp(dec, res.body, res.body_len));
        }
        else if (mc == BATCH_MEDIA_TEXT
                 && batch_util_utf8_valid(res.body, res.body_len)) {
            FUZZ_CHECK(json_object_is_type(body, json_type_string));
            FUZZ_CHECK((size_t)json_object_get_string_len(body) == res.body_len
                       && !memcmp(json_object_get_string(body), res.body,
                                  res.body_len));
        }
    }
    json_object_put(obj);
    /* byte for byte what the encoder of 06daf93 wrote (encode_ref.c) */
    why = encode_ref_diff(id, &res, p);
    if (why) {
        fprintf(stderr, "differs from the reference encoder: %s\n", why);
        FUZZ_CHECK(!why);
    }
    free((char *)res.body);
    apr_pool_clear(p);
    return 0;
}
