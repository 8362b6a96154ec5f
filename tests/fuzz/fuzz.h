/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz.h: what the fuzz targets of tests/fuzz share. Each fuzz_*.c defines
 * LLVMFuzzerTestOneInput() over the pure core; it is linked either with
 * libFuzzer (build/fuzz.sh: clang -fsanitize=fuzzer,address,undefined) or
 * with standalone.c, which replays the seed corpus in make check. A broken
 * invariant aborts, so both drivers report it as a crash.
 */
#ifndef BATCH_FUZZ_H
#define BATCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>
#include <apr_pools.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* One pool per process, cleared after every input. APR is initialized on
 * first use: libFuzzer and standalone.c both just call the entry point. */
static APR_INLINE apr_pool_t *fuzz_pool(void)
{
    static apr_pool_t *p;

    if (!p) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&p, NULL) != APR_SUCCESS) {
            fprintf(stderr, "fuzz: cannot initialize APR\n");
            abort();
        }
    }
    return p;
}

#endif /* BATCH_FUZZ_H */
