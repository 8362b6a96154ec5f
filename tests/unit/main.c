/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * main.c: runs every unit suite of the pure core and exits non-zero when
 * a test fails, so that automake's TESTS can run it as is. Results go to
 * stdout as TAP (for the TAP driver and for people) unless the
 * CK_TAP_LOG_FILE_NAME or CK_VERBOSITY environment variables ask libcheck
 * for something else; CK_FORK=no runs the tests in one process, which is
 * what valgrind and debuggers want.
 */

#include <stdlib.h>

#include <apr_general.h>

#include "unit.h"

const char *unit_nested(apr_pool_t *p, int levels)
{
    char *s = apr_palloc(p, 2 * (apr_size_t)levels + 1);
    int i;

    for (i = 0; i < levels; i++) {
        s[i] = '[';
        s[levels + i] = ']';
    }
    s[2 * levels] = '\0';
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    if (apr_initialize() != APR_SUCCESS) {
        return 2;
    }
    sr = srunner_create(batch_util_suite());
    srunner_add_suite(sr, batch_json_suite());
    srunner_add_suite(sr, batch_parse_suite());
    srunner_add_suite(sr, batch_sched_suite());
    srunner_add_suite(sr, batch_encode_suite());
    srunner_add_suite(sr, batch_refs_suite());
    srunner_add_suite(sr, batch_item_suite());
    srunner_add_suite(sr, batch_multipart_suite());
    srunner_add_suite(sr, batch_valid_suite());
    if (!getenv("CK_TAP_LOG_FILE_NAME") && !getenv("CK_VERBOSITY")) {
        srunner_set_tap(sr, "-");
    }
    srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
