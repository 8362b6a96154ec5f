/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_parse.h: the JSON batch request document -> batch_t (the parse of
 * the JSON format, batch_format_json.c), with every batch-level refusal
 * of CONTRACT 3 (400 BadRequest), and the url rules every format shares.
 * Pure: APR only (the JSON is read by batch_json.c, each field checked
 * by batch_item.c).
 */
#ifndef BATCH_PARSE_H
#define BATCH_PARSE_H

#include "batch_types.h"

/**
 * Parse and validate a batch request body.
 * @param pbatch  the batch; it and all it points to are allocated from p
 * @param buf     the request body (need not be NUL terminated)
 * @param len     its length
 * @param lim     limits and BatchBase
 * @param err     on failure filled (from p) with status 400, code
 *                BadRequest, a message naming the item id or index and
 *                the field
 * @param p       pool owning the result; the JSON tree lives in a
 *                child pool of p that is destroyed before return on
 *                every path (nothing in the result points into buf)
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_parse_request(batch_t **pbatch, const char *buf,
                                 apr_size_t len, const batch_limits_t *lim,
                                 batch_error_t *err, apr_pool_t *p);

/**
 * Resolve an item url against base (CONTRACT 3): validate it, append it
 * to base where the contract says so, merge slashes, decode %2E, remove
 * dot segments, and check the result still lies under base.
 * @param puri  the absolute path[?query], from p, or url itself when it
 *              is already one (so it must live as long as the result)
 * @param why   on failure a short reason ("must not contain a fragment")
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_parse_resolve_url(const char **puri, const char **why,
                                     const char *url, const char *base,
                                     apr_pool_t *p);

/**
 * Normalize a BatchBase value: must start with '/', no query, fragment,
 * whitespace, control characters, '\' or dot segments; repeated and
 * trailing '/' are dropped. "/" gives "".
 * @return APR_SUCCESS and *pbase (from p), or APR_EINVAL
 */
apr_status_t batch_parse_base(const char **pbase, const char *in,
                              apr_pool_t *p);

#endif /* BATCH_PARSE_H */
