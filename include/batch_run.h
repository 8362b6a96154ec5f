/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_run.h: runs the items of a parsed batch in the scheduler's order
 * (CONTRACT 4) and hands each result, in request order, to the caller's
 * writer. Sequential (BatchConcurrency 1, prefork, BatchThreads 0): one
 * item at a time on the batch's own thread. Concurrent: items whose
 * dependencies have finished run up to N at a time on the child's batch
 * threads, at most N held at once. Either way every item runs on its own
 * secondary connection (batch_secondary.h) through the same dispatch
 * (batch_dispatch.h); results are written only on the batch's thread.
 */
#ifndef BATCH_RUN_H
#define BATCH_RUN_H

#include "httpd.h"
#include "batch_types.h"
#include "batch_config.h"
#include "batch_dispatch.h"
#include "batch_workers.h"

/* The streamed response is flushed once this long has passed since the
 * last flush (CONTRACT 6), so a client that has gone is noticed quickly;
 * finished concurrent items wait at most this long to be written. */
#define BATCH_FLUSH_INTERVAL apr_time_from_msec(100)

/**
 * Write one finished item (encode, log, pass to the client). Called on
 * the batch's thread, in request order; ip is the item's pool and is
 * destroyed after the call.
 * @return APR_SUCCESS, or an error when the client has gone (no further
 *         item is then started or written)
 */
typedef apr_status_t batch_emit_fn(void *ctx, const batch_item_t *it,
                                   const batch_result_t *res, apr_time_t start,
                                   apr_pool_t *ip);

/**
 * When output that has been written but not flushed yet must be flushed
 * (BATCH_FLUSH_INTERVAL after the last flush), or 0 when nothing waits.
 * Called on the batch's thread while it waits for running items; does no
 * I/O.
 */
typedef apr_time_t batch_flush_due_fn(void *ctx);

/** Flush what has been written (the batch's thread). */
typedef apr_status_t batch_flush_fn(void *ctx);

typedef struct batch_run_opts_t {
    const batch_dir_conf *conf;   /* BatchMethods */
    const batch_dispatch_t *disp; /* how items become subrequests */
    batch_workers_t *workers;     /* the child's; never NULL */
    apr_time_t deadline;          /* BatchTimeout: no item starts after */
    int concurrency;              /* BatchConcurrency (1 = sequential) */
    /* concurrent mode: written items reach the client while a slow item
     * holds the batch (CONTRACT 6); both NULL: flushed by writes only.
     * They get the ctx of emit. */
    batch_flush_due_fn *flush_due;
    batch_flush_fn *flush;
} batch_run_opts_t;

/**
 * Run every item of b (a batch of request r) and emit the results.
 * Returns only when no item is running any more.
 * @return the number of items emitted (b->nitems unless the client went)
 */
int batch_run(request_rec *r, const batch_t *b, const batch_run_opts_t *o,
              batch_emit_fn *emit, void *ctx);

#endif /* BATCH_RUN_H */
