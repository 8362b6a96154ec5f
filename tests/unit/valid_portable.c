/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * valid_portable.c: runs the validator's suite (test_valid.c) alone, in
 * a program built with batch_util.c compiled without SSE2 (-U__SSE2__),
 * so that the portable scan of plain string bytes, which every platform
 * but x86 takes, is held against the reference too. TAP on stdout, as
 * main.c does.
 */

#include <stdlib.h>

#include <apr_general.h>

#include "unit.h"

int main(void)
{
    SRunner *sr;
    int failed;

#if defined(__SSE2__)
#error "valid_portable must be built without __SSE2__"
#endif
    if (apr_initialize() != APR_SUCCESS) {
        return 2;
    }
    sr = srunner_create(batch_valid_suite());
    if (!getenv("CK_TAP_LOG_FILE_NAME") && !getenv("CK_VERBOSITY")) {
        srunner_set_tap(sr, "-");
    }
    srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
