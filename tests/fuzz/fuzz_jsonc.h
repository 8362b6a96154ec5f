/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_jsonc.h: json-c as the plain RFC 8259 oracle of the encoder's fuzz
 * targets (fuzz_encode, fuzz_encode_valid). Not json_oracle_parse(): that
 * one also refuses what the batch request may not hold (integers beyond
 * 64 bits, \u0000 in names) but an item's JSON body may, and the encoder
 * passes valid JSON on verbatim.
 */
#ifndef BATCH_FUZZ_JSONC_H
#define BATCH_FUZZ_JSONC_H

#include <json-c/json.h>

#include "fuzz.h"

/* json[0..len) read by json-c in strict mode with UTF-8 validation,
 * nesting at most depth levels: the tree when it is exactly one JSON
 * text, else NULL (and NULL for the text "null"). The caller
 * json_object_put()s it. */
static APR_INLINE struct json_object *fuzz_jsonc_read(const char *json,
                                                      size_t len, int depth)
{
    struct json_tokener *tok = json_tokener_new_ex(depth);
    struct json_object *obj;

    FUZZ_CHECK(tok != NULL);
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, json, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success
        || json_tokener_get_parse_end(tok) != len) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

#endif /* BATCH_FUZZ_JSONC_H */
