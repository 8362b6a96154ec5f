/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * unit.h: the libcheck suites of the pure core (batch_util.c,
 * batch_json.c, batch_parse.c, batch_sched.c, batch_encode.c,
 * batch_item.c, batch_format*.c, batch_refs.c, batch_multipart*.c), run
 * together by main.c.
 * Each test gets its own APR pool from a checked fixture.
 */
#ifndef BATCH_UNIT_H
#define BATCH_UNIT_H

#include <check.h>
#include <apr_pools.h>

/** "[[...]]": levels nested empty arrays, from p (shared by the depth
 *  tests). */
const char *unit_nested(apr_pool_t *p, int levels);

Suite *batch_util_suite(void);
Suite *batch_json_suite(void);
Suite *batch_parse_suite(void);
Suite *batch_sched_suite(void);
Suite *batch_encode_suite(void);
Suite *batch_refs_suite(void);
Suite *batch_item_suite(void);
Suite *batch_multipart_suite(void);
Suite *batch_valid_suite(void);

#endif /* BATCH_UNIT_H */
