/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_sched.h: the order items run in and the dependsOn rule of
 * CONTRACT 4 (an item runs only when every item it depends on finished
 * with a 2xx status; otherwise 424, transitively). Pure. Kept apart from
 * the dispatcher so that running items concurrently needs no rewrite.
 */
#ifndef BATCH_SCHED_H
#define BATCH_SCHED_H

#include "batch_types.h"

typedef struct batch_sched_t batch_sched_t;

/** Item states. */
#define BATCH_SCHED_WAITING 0 /* not started */
#define BATCH_SCHED_RUNNING 1 /* handed out by batch_sched_next */
#define BATCH_SCHED_DONE 2    /* finished, status recorded */

/** Create a scheduler for b; allocated from p. */
batch_sched_t *batch_sched_create(const batch_t *b, apr_pool_t *p);

/**
 * The next item that may start: the lowest-index waiting item whose
 * dependencies (deps, and its `after` item) are all done. Marks it
 * running.
 * @return its index, or -1 when none can start now (all started, or
 *         the rest wait for running items)
 */
int batch_sched_next(batch_sched_t *s);

/** Record that item i finished with status (0 or any status). */
void batch_sched_done(batch_sched_t *s, int i, int status);

/** 1 when every dependency of item i (deps; `after` is ordering only and
 *  never counts) finished with a 2xx status. Call only when they are all
 *  done. */
int batch_sched_deps_ok(const batch_sched_t *s, int i);

/** The first dependency of item i that did not finish with a 2xx status
 *  (or has not finished), or -1 when batch_sched_deps_ok() holds; i
 *  itself when i is out of range. */
int batch_sched_failed_dep(const batch_sched_t *s, int i);

/** Number of items done so far. */
int batch_sched_ndone(const batch_sched_t *s);

#endif /* BATCH_SCHED_H */
