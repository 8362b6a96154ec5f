/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_hints.h: the compiler hints of the hot paths, in one place. Each
 * use is measured (bench/core-profile.sh): GCC would otherwise keep a
 * helper out of line where the call costs more than its work, or inline
 * a rare path into a common one. Other compilers get plain code.
 */
#ifndef BATCH_HINTS_H
#define BATCH_HINTS_H

#if defined(__GNUC__)
/* always inlined: a call would cost more than the helper's work */
#define BATCH_INLINE inline __attribute__((always_inline))
/* never inlined: keeps a longer path out of its caller's code */
#define BATCH_NOINLINE __attribute__((noinline))
/* a rarely taken path, out of line, laid out away from the common one */
#define BATCH_COLD __attribute__((cold, noinline))
/* the branch the common input takes */
#define BATCH_LIKELY(x) __builtin_expect(!!(x), 1)
#define BATCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BATCH_INLINE inline
#define BATCH_NOINLINE
#define BATCH_COLD
#define BATCH_LIKELY(x) (x)
#define BATCH_PRINTF(f, a)
#endif

#endif /* BATCH_HINTS_H */
