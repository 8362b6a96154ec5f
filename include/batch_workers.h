/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_workers.h: the per-child pool of threads that run concurrent
 * batch items (BatchThreads), and the things every item of every batch
 * borrows from the child: recycled allocators for item pools and the
 * dummy socket of the secondary connections (docs/concurrency.md says
 * what operators see of them).
 */
#ifndef BATCH_WORKERS_H
#define BATCH_WORKERS_H

#include <apr_thread_proc.h>

#include "httpd.h"

typedef struct batch_workers_t batch_workers_t;

/** A task: runs on a pool thread; slot is that thread's number (0..). */
typedef void batch_task_fn(void *arg, apr_thread_t *thread, int slot);

/**
 * Set up the child's workers: on a threaded MPM with nthreads > 0 a pool
 * that starts up to nthreads threads on demand (none before the first
 * concurrent batch); in every case the dummy socket and the allocator
 * cache. Threads are joined when pchild is destroyed (graceful or hard
 * restart, child exit), before its other clean-ups run.
 */
apr_status_t batch_workers_child_init(apr_pool_t *pchild, server_rec *s,
                                      int nthreads);

/** The child's workers (set by batch_workers_child_init). */
batch_workers_t *batch_workers_get(void);

/** 1 when tasks can run on pool threads (threaded MPM, BatchThreads > 0). */
int batch_workers_threaded(const batch_workers_t *w);

/**
 * Queue fn(arg) for a pool thread. A thread is started when none is idle
 * and fewer than BatchThreads run; otherwise the task waits its turn.
 * @return APR_SUCCESS, or an error when no thread exists to run it (the
 *         caller then runs the task itself)
 */
apr_status_t batch_workers_push(batch_workers_t *w, batch_task_fn *fn,
                                void *arg);

/** Take back the tasks fn(arg) still waiting in the queue (not started).
 *  @return how many were taken back */
int batch_workers_cancel(batch_workers_t *w, batch_task_fn *fn, void *arg);

/** An allocator for one item pool (no mutex, max_free bounded), taken
 *  from the cache or made; give it back with batch_workers_allocator_put
 *  once the pool that used it is destroyed. */
apr_allocator_t *batch_workers_allocator_get(batch_workers_t *w);
void batch_workers_allocator_put(batch_workers_t *w, apr_allocator_t *a);

/** The socket the secondary connections carry in core's slot, so that no
 *  module reaches the client's socket from an item. */
apr_socket_t *batch_workers_socket(const batch_workers_t *w);

#endif /* BATCH_WORKERS_H */
