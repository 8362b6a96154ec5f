/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * json_oracle.h: json-c behind a strict pre-check, the reference the
 * unit tests and the fuzz targets hold mod_batch's own JSON reader
 * (batch_json.c) and validator (batch_util_json_valid) against. Test
 * code only: the module does not link json-c.
 */
#ifndef BATCH_JSON_ORACLE_H
#define BATCH_JSON_ORACLE_H

#include <apr_pools.h>

struct json_object;

/**
 * Parse s[0..len) as exactly one strict JSON document (RFC 8259): valid
 * UTF-8, no NUL byte, nesting at most depth levels, nothing but JSON
 * whitespace after the value. Beyond json-c's JSON_TOKENER_STRICT it also
 * refuses what json-c would accept or silently change: NaN and Infinity,
 * "1.", raw control characters in strings, integers outside the 64-bit
 * range (json-c clamps them) and member names holding \u0000.
 * @param pobj  the tree (NULL for the document "null"); malloc'ed by
 *              json-c: the caller owns it and must json_object_put() it
 * @param why   on failure a short reason ("is not valid UTF-8"), static
 *              or from p
 * @param depth deepest nesting accepted (json-c's own count: "[]" is 1)
 * @return APR_SUCCESS, APR_EINVAL, or APR_ENOMEM
 */
apr_status_t json_oracle_parse(struct json_object **pobj, const char **why,
                               const char *s, apr_size_t len, int depth,
                               apr_pool_t *p);

#endif /* BATCH_JSON_ORACLE_H */
