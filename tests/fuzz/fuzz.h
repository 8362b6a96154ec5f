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
#include <string.h>

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

/* An exactly-sized malloc'ed copy of data[0..n), not pool memory: ASan
 * and valgrind then catch reads past its end. One byte when n is 0, as
 * malloc(0) may give NULL. The caller free()s it. */
static APR_INLINE char *fuzz_copy(const uint8_t *data, size_t n)
{
    char *s = malloc(n ? n : 1);

    FUZZ_CHECK(s != NULL);
    memcpy(s, data, n);
    return s;
}

/* A fixed-size head of the input: its first hn bytes into head (zeros
 * where the input is shorter); *data and *size move past them. */
static APR_INLINE void fuzz_head(uint8_t *head, size_t hn, const uint8_t **data,
                                 size_t *size)
{
    size_t k = *size < hn ? *size : hn;

    memset(head, 0, hn);
    memcpy(head, *data, k);
    *data += k;
    *size -= k;
}

/* One mode of a target that has several: in[0..n) is an exactly-sized
 * malloc'ed copy (fuzz_copy), p the pool, cleared after the input. */
typedef void (*fuzz_mode_fn)(const char *in, size_t n, apr_pool_t *p);

/* The entry point of a target with modes: the first input byte picks
 * modes[(byte & 15) % nmodes] (so seed files can start with a digit),
 * which gets the rest of the input. An empty input does nothing. */
static APR_INLINE int fuzz_modes(const uint8_t *data, size_t size,
                                 const fuzz_mode_fn *modes, size_t nmodes)
{
    apr_pool_t *p = fuzz_pool();
    char *in;

    if (size < 1) {
        return 0;
    }
    in = fuzz_copy(data + 1, size - 1);
    modes[(data[0] & 0x0F) % nmodes](in, size - 1, p);
    free(in);
    apr_pool_clear(p);
    return 0;
}

#endif /* BATCH_FUZZ_H */
