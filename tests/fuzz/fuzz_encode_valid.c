/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_encode_valid.c: fuzz target for one promise of the encoder
 * (CONTRACT 5, issue 12.4): whatever bytes a target answers (status,
 * status line, header names and values, content type, body), and
 * whatever mod_batch adds (an error code and message), the item's entry
 * of "responses" is strict JSON. The whole batch response built from it
 * (BATCH_ENCODE_OPEN item "," item BATCH_ENCODE_CLOSE) must pass both
 * the module's own strict reader (batch_json_parse: RFC 8259, valid
 * UTF-8, no lone surrogate escape) and json-c in strict mode. fuzz_encode
 * checks what the entry says; this target only that it always parses,
 * with no limit on what the input bytes may be. On the way it holds the
 * validator that lets a JSON body in as it is against its reference
 * from before issue 15 (tests/oracle/json_valid_ref.h).
 *
 * Input layout (short inputs are padded with zeros):
 *   bytes 0-3   status, a signed 32-bit little-endian integer
 *   byte 4      flags: 1 HEAD, 2 error code and message set, 4 status
 *               line set, 8 content type as a table header (else
 *               res.content_type), 16 no headers table
 *   byte 5      number of header pairs (0-255)
 *   then        pieces, each a length byte and that many bytes: the
 *               status line, the content type, the id, the error
 *               message, then name and value of each header; a NUL cuts
 *               a piece where C strings would. All that is left is the
 *               body.
 */

#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "fuzz.h"
#include "fuzz_jsonc.h"
#include "batch_encode.h"
#include "batch_json.h"
#include "batch_util.h"
#include "encode_ref.h"
#include "json_valid_ref.h"

/* The deepest body the encoder inlines, plus the response's own levels
 * and some room. */
#define VALID_DEPTH (BATCH_JSON_VALID_MAX_DEPTH + 8)

/* The next length-prefixed piece as a C string from p ("" at the end of
 * the input). */
static const char *take(const uint8_t **pd, size_t *psize, apr_pool_t *p)
{
    size_t n;
    const char *s;

    if (*psize == 0) {
        return "";
    }
    n = (*pd)[0];
    if (n > *psize - 1) {
        n = *psize - 1;
    }
    s = apr_pstrmemdup(p, (const char *)*pd + 1, n);
    *pd += n + 1;
    *psize -= n + 1;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    uint8_t head[6];
    batch_result_t res;
    const char *line, *ct, *id, *msg, *json, *why = NULL, *doc;
    const batch_json_t *root, *v;
    struct json_object *obj;
    apr_size_t jlen, dlen;
    int k, nhdr;
    apr_uint32_t st;

    fuzz_head(head, sizeof(head), &data, &size);
    st = (apr_uint32_t)head[0] | (apr_uint32_t)head[1] << 8
         | (apr_uint32_t)head[2] << 16 | (apr_uint32_t)head[3] << 24;

    memset(&res, 0, sizeof(res));
    res.status = (int)st;
    res.head = head[4] & 1;
    line = take(&data, &size, p);
    ct = take(&data, &size, p);
    id = take(&data, &size, p);
    msg = take(&data, &size, p);
    if (head[4] & 2) {
        res.error_code = "FuzzError";
        res.error_message = *msg ? msg : NULL;
    }
    if (head[4] & 4) {
        res.status_line = line;
    }
    if (!(head[4] & 16)) {
        res.headers = apr_table_make(p, 4);
    }
    nhdr = head[5];
    for (k = 0; k < nhdr && size > 0; k++) {
        const char *name = take(&data, &size, p);
        const char *val = take(&data, &size, p);
        if (res.headers) {
            apr_table_addn(res.headers, name, val);
        }
    }
    if ((head[4] & 8) && res.headers) {
        apr_table_addn(res.headers, "Content-Type", ct);
    }
    else {
        res.content_type = *ct ? ct : NULL;
    }
    if (size) {
        res.body = fuzz_copy(data, size);
        res.body_len = size;
        /* the validator that lets a body in verbatim answers as it did
         * before issue 15 made it faster (json_valid_ref.h) */
        for (k = 0; k < 3; k++) {
            static const int depths[] = {1, 3, BATCH_JSON_VALID_MAX_DEPTH};

            FUZZ_CHECK(batch_util_json_valid(res.body, size, depths[k])
                       == json_valid_ref(res.body, size, depths[k]));
        }
    }

    FUZZ_CHECK(batch_encode_item(&json, &jlen, id, &res, p) == APR_SUCCESS);
    FUZZ_CHECK(json && strlen(json) == jlen);

    /* the whole batch response, two copies of the item */
    doc = apr_pstrcat(p, BATCH_ENCODE_OPEN, json, ",", json, BATCH_ENCODE_CLOSE,
                      NULL);
    dlen = strlen(doc);
    if (batch_json_parse(&root, &why, NULL, doc, dlen, VALID_DEPTH, p)
        != APR_SUCCESS) {
        fprintf(stderr, "strict reader: the response %s\n%s\n", why, doc);
        FUZZ_CHECK(!"the batch response passes batch_json_parse");
    }
    v = batch_json_get(root, "responses");
    FUZZ_CHECK(v && v->type == BATCH_JSON_ARRAY && v->n == 2);
    FUZZ_CHECK(v->u.elts[0].type == BATCH_JSON_OBJECT);
    v = batch_json_get(&v->u.elts[0], "status");
    FUZZ_CHECK(v && v->type == BATCH_JSON_NUMBER);
    obj = fuzz_jsonc_read(doc, dlen, VALID_DEPTH);
    FUZZ_CHECK(obj != NULL && json_object_is_type(obj, json_type_object));
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
