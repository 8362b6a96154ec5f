/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_workers.c: the per-child thread pool of BatchThreads threads that
 * run concurrent items, a cache of item allocators, and the dummy socket
 * of the secondary connections.
 *
 * Lifetimes: everything lives in a pool of its own (own allocator with a
 * mutex, since threads are started from several MPM workers), a child of
 * pchild. Its pre-cleanup stops and joins the threads before any pool or
 * mutex they use goes away: apr_pool_destroy destroys sub-pools before it
 * runs the parent's ordinary clean-ups, so a clean-up on pchild itself
 * would come too late.
 *
 * Threads start on demand and stay for the life of the child: a server
 * that never runs a concurrent batch never starts one.
 *
 * Why not apr_thread_pool: a task here learns the number of the thread
 * it runs on (batch_secondary.c makes a connection id unique from it, as
 * mod_http2 does), and a batch takes back its queued tasks without
 * waiting for its running ones (batch_workers_cancel), where
 * apr_thread_pool_tasks_cancel() blocks until the owner's running tasks
 * end. Neither is in apr_thread_pool's API.
 */
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>

#include "batch_private.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "batch_workers.h"

/* Free memory an item allocator keeps between items. */
#define ITEM_ALLOCATOR_MAX_FREE (512 * 1024)

typedef struct task_t {
    struct task_t *next;
    batch_task_fn *fn;
    void *arg;
} task_t;

typedef struct thread_slot_t {
    batch_workers_t *w;
    apr_thread_t *thread;
    int index;
} thread_slot_t;

struct batch_workers_t {
    apr_pool_t *pool; /* own allocator + mutex; allocate under mu only */
    server_rec *s;
    apr_socket_t *sock;
    int threaded;
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv; /* a task was queued, or shutdown */
    int max_threads;
    int nthreads;
    int idle;   /* threads waiting on cv */
    int queued; /* tasks in the queue */
    int shutdown;
    task_t *head, *tail, *spare; /* FIFO, and recycled nodes */
    thread_slot_t *slots;        /* max_threads of them */
    apr_allocator_t **allocs;    /* the cache: nallocs of max_allocs */
    int nallocs;
    int max_allocs;
};

/* One per child process; set in child_init, before any request. */
static batch_workers_t *the_workers;

batch_workers_t *batch_workers_get(void)
{
    return the_workers;
}

int batch_workers_threaded(const batch_workers_t *w)
{
    return w != NULL && w->threaded;
}

apr_socket_t *batch_workers_socket(const batch_workers_t *w)
{
    return w->sock;
}

static void *APR_THREAD_FUNC worker_main(apr_thread_t *thread, void *data)
{
    thread_slot_t *slot = data;
    batch_workers_t *w = slot->w;

    apr_thread_mutex_lock(w->mu);
    for (;;) {
        task_t *t;

        while (w->head == NULL && !w->shutdown) {
            w->idle++;
            apr_thread_cond_wait(w->cv, w->mu);
            w->idle--;
        }
        if (w->head == NULL) {
            break; /* shut down, and nothing left to run */
        }
        t = w->head;
        w->head = t->next;
        if (w->head == NULL) {
            w->tail = NULL;
        }
        w->queued--;
        apr_thread_mutex_unlock(w->mu);

        t->fn(t->arg, thread, slot->index);

        apr_thread_mutex_lock(w->mu);
        t->next = w->spare;
        w->spare = t;
    }
    apr_thread_mutex_unlock(w->mu);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* Called with mu held. */
static apr_status_t start_thread(batch_workers_t *w)
{
    thread_slot_t *slot = &w->slots[w->nthreads];
    apr_threadattr_t *attr;
    apr_status_t rv;

    rv = apr_threadattr_create(&attr, w->pool);
    if (rv == APR_SUCCESS && ap_thread_stacksize != 0) {
        apr_threadattr_stacksize_set(attr, ap_thread_stacksize);
    }
    if (rv == APR_SUCCESS) {
        slot->w = w;
        slot->index = w->nthreads;
        rv = ap_thread_create(&slot->thread, attr, worker_main, slot, w->pool);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, w->s,
                     BATCH_LOGNO(0301) "could not start a batch thread "
                                       "(%d running)",
                     w->nthreads);
        return rv;
    }
    w->nthreads++;
    return APR_SUCCESS;
}

apr_status_t batch_workers_push(batch_workers_t *w, batch_task_fn *fn,
                                void *arg)
{
    task_t *t;
    apr_status_t rv = APR_SUCCESS;

    if (!batch_workers_threaded(w)) {
        return APR_ENOTIMPL;
    }
    apr_thread_mutex_lock(w->mu);
    if (w->shutdown) {
        apr_thread_mutex_unlock(w->mu);
        return APR_EINCOMPLETE;
    }
    if (w->queued + 1 > w->idle && w->nthreads < w->max_threads) {
        rv = start_thread(w);
        if (rv != APR_SUCCESS && w->nthreads > 0) {
            rv = APR_SUCCESS; /* the running ones will get to it */
        }
    }
    if (rv == APR_SUCCESS) {
        if (w->spare) {
            t = w->spare;
            w->spare = t->next;
        }
        else {
            t = apr_palloc(w->pool, sizeof(*t));
        }
        t->fn = fn;
        t->arg = arg;
        t->next = NULL;
        if (w->tail) {
            w->tail->next = t;
        }
        else {
            w->head = t;
        }
        w->tail = t;
        w->queued++;
        if (w->idle > 0) {
            apr_thread_cond_signal(w->cv);
        }
    }
    apr_thread_mutex_unlock(w->mu);
    return rv;
}

int batch_workers_cancel(batch_workers_t *w, batch_task_fn *fn, void *arg)
{
    task_t **pt, *t;
    int n = 0;

    if (!batch_workers_threaded(w)) {
        return 0;
    }
    apr_thread_mutex_lock(w->mu);
    w->tail = NULL;
    for (pt = &w->head; (t = *pt) != NULL;) {
        if (t->fn == fn && t->arg == arg) {
            *pt = t->next;
            t->next = w->spare;
            w->spare = t;
            w->queued--;
            n++;
        }
        else {
            w->tail = t;
            pt = &t->next;
        }
    }
    apr_thread_mutex_unlock(w->mu);
    return n;
}

apr_allocator_t *batch_workers_allocator_get(batch_workers_t *w)
{
    apr_allocator_t *a = NULL;

    apr_thread_mutex_lock(w->mu);
    if (w->nallocs > 0) {
        a = w->allocs[--w->nallocs];
    }
    apr_thread_mutex_unlock(w->mu);
    if (a == NULL && apr_allocator_create(&a) == APR_SUCCESS) {
        apr_allocator_max_free_set(a, ITEM_ALLOCATOR_MAX_FREE);
    }
    return a;
}

void batch_workers_allocator_put(batch_workers_t *w, apr_allocator_t *a)
{
    apr_thread_mutex_lock(w->mu);
    if (w->nallocs < w->max_allocs) {
        w->allocs[w->nallocs++] = a;
        a = NULL;
    }
    apr_thread_mutex_unlock(w->mu);
    if (a) {
        apr_allocator_destroy(a);
    }
}

/* Pre-cleanup of the workers' pool: stop, let the threads finish what is
 * queued (no batch is running any more: the MPM joined its workers), join
 * them, then free the cached allocators. */
static apr_status_t workers_shutdown(void *data)
{
    batch_workers_t *w = data;
    int i, n;

    apr_thread_mutex_lock(w->mu);
    w->shutdown = 1;
    apr_thread_cond_broadcast(w->cv);
    n = w->nthreads;
    apr_thread_mutex_unlock(w->mu);
    for (i = 0; i < n; i++) {
        apr_status_t trv;

        apr_thread_join(&trv, w->slots[i].thread);
    }
    while (w->nallocs > 0) {
        apr_allocator_destroy(w->allocs[--w->nallocs]);
    }
    if (the_workers == w) {
        the_workers = NULL;
    }
    return APR_SUCCESS;
}

apr_status_t batch_workers_child_init(apr_pool_t *pchild, server_rec *s,
                                      int nthreads)
{
    batch_workers_t *w;
    apr_allocator_t *allocator;
    apr_thread_mutex_t *amu;
    apr_pool_t *pool;
    apr_status_t rv;
    int threaded = 0;

    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS) {
        threaded = 0;
    }
    threaded = (threaded != AP_MPMQ_NOT_SUPPORTED && nthreads > 0);

    rv = apr_allocator_create(&allocator);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_pool_create_ex(&pool, pchild, NULL, allocator);
    if (rv != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return rv;
    }
    apr_allocator_owner_set(allocator, pool);
    apr_pool_tag(pool, "batch_workers");
    rv = apr_thread_mutex_create(&amu, APR_THREAD_MUTEX_DEFAULT, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_allocator_mutex_set(allocator, amu);

    w = apr_pcalloc(pool, sizeof(*w));
    w->pool = pool;
    w->s = s;
    w->threaded = threaded;
    w->max_threads = threaded ? nthreads : 0;
    w->max_allocs = 2 * w->max_threads + 4;
    w->allocs = apr_pcalloc(pool, sizeof(*w->allocs) * w->max_allocs);
    w->slots = apr_pcalloc(pool, sizeof(*w->slots) * (w->max_threads + 1));
    rv = apr_thread_mutex_create(&w->mu, APR_THREAD_MUTEX_DEFAULT, pool);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&w->cv, pool);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_create(&w->sock, APR_INET, SOCK_STREAM, APR_PROTO_TCP,
                               pool);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     BATCH_LOGNO(0302) "could not set up the batch "
                                       "workers of this child");
        return rv;
    }
    apr_pool_pre_cleanup_register(pool, w, workers_shutdown);
    the_workers = w;
    return APR_SUCCESS;
}
