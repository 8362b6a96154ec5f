/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * json_valid_ref.h: batch_util_json_valid() as it was before issue 15
 * made it faster (main 06daf93): one state machine, a byte at a time.
 * The unit tests and the fuzz target util hold the fast validator
 * against it: both must give the same answer on every input and depth.
 * Test code only.
 */
#ifndef BATCH_JSON_VALID_REF_H
#define BATCH_JSON_VALID_REF_H

#include <apr.h>

/** What batch_util_json_valid(s, len, depth) answered at main 06daf93. */
int json_valid_ref(const char *s, apr_size_t len, int depth);

#endif /* BATCH_JSON_VALID_REF_H */
