/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_run.c: the schedule stage in motion. The scheduler (batch_sched.c,
 * pure) says which item may start; this file runs it and gives results to
 * the writer in request order.
 *
 * Sequential: the batch's thread takes the next item, runs it, writes it.
 *
 * Concurrent: the batch's thread ("main") owns the
 * scheduler's decisions and every pool; it opens an item's pool (with an
 * allocator of its own, so another thread may use it), applies the
 * pre-run checks and queues the item. "Runners" on the child's batch
 * threads take queued items one after another until none is left. One
 * runner starts at once; if items are still queued a millisecond later,
 * main starts more, up to BatchConcurrency: a batch of fast items costs
 * about two thread hand-offs, a batch of slow ones is fully parallel
 * after 1 ms. Main writes finished items in request order, flushes what
 * it wrote once BATCH_FLUSH_INTERVAL has passed since the last flush (a
 * slow item must not hold finished ones back), and never returns while a
 * runner still runs.
 *
 * Rules: a runner allocates only from the item's
 * pool, never from the batch request's pool or connection; everything
 * shared (the queue, item states, the scheduler, the counters) is under
 * the batch mutex; lock order is batch mutex, then the workers' mutex.
 */
#include <apr_cstr.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>

#include "batch_private.h"
#include "http_core.h"
#include "http_protocol.h"

#include "batch_dispatch.h"
#include "batch_item.h" /* BATCH_COLD */
#include "batch_refs.h"
#include "batch_run.h"
#include "batch_sched.h"
#include "batch_secondary.h"
#include "batch_util.h"

/* How long one runner works alone before more are started. */
#define BATCH_RAMP apr_time_from_msec(1)

enum { SLOT_WAITING = 0, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

typedef struct slot_t {
    apr_pool_t *ip;         /* the item's pool, a child of r->pool */
    apr_allocator_t *alloc; /* ip's own allocator (concurrent), or NULL */
    const batch_item_t *it; /* the item's copy with its references
                               resolved (in ip), or NULL: the batch's
                               item as it is (slot_item) */
    batch_result_t res;
    apr_time_t start;
    int state;
} slot_t;

typedef struct run_t {
    request_rec *r;
    const batch_t *b;
    const batch_run_opts_t *o;
    batch_sched_t *sched;
    batch_secondary_base_t *secondary;
    slot_t *slots;
    /* concurrent mode: the rest is under mu */
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv; /* to main: an item finished or a runner ended */
    int *queue;            /* item indices, taken from qhead */
    int qhead, qtail;
    int held;    /* queued, running, or finished and not yet written */
    int runners; /* runner tasks pushed (or running) and not yet ended */
    int pending; /* of those, pushed to the pool and not yet started */
    int stop;    /* the client has gone: start nothing more */
    int next;    /* the next item to write */
    unsigned char *has_dependents; /* per item: another depends on it */
    /* BatchReferences (CONTRACT 10), only when some item refers to
     * another: per item, how many referrers are still to be written
     * (main only); its pool, and so its result, is kept until then.
     * NULL otherwise: such batches pay nothing. */
    int *refs_left;
    batch_refs_env_t renv; /* lookup and ctx are per referrer */
} run_t;

/* ------------------------------------------------------------------ */
/* Items                                                              */

static void slot_open(run_t *run, int i, int own_allocator)
{
    slot_t *s = &run->slots[i];

    s->alloc = NULL;
    if (own_allocator) {
        s->alloc = batch_workers_allocator_get(run->o->workers);
        if (s->alloc == NULL) {
            ap_abort_on_oom();
        }
    }
    apr_pool_create_ex(&s->ip, run->r->pool, NULL, s->alloc);
    apr_pool_tag(s->ip, "batch_item");
}

/* What item i runs and is written as. */
static const batch_item_t *slot_item(const run_t *run, int i)
{
    return run->slots[i].it ? run->slots[i].it : &run->b->items[i];
}

static void slot_close(run_t *run, int i)
{
    slot_t *s = &run->slots[i];

    if (s->ip) {
        apr_pool_destroy(s->ip);
        s->ip = NULL;
    }
    if (s->alloc) {
        batch_workers_allocator_put(run->o->workers, s->alloc);
        s->alloc = NULL;
    }
}

/* An item mod_batch answers itself, with httpd's status line. */
static void refuse_item(batch_result_t *res, int status, const char *code,
                        const char *message)
{
    batch_util_result_error(res, status, code, message);
    res->status_line = batch_dispatch_status_line(status);
}

/* The checks of CONTRACT 4 that need no lookup, in their order (the
 * timeout is checked when the item starts). 1 when the item must not
 * run; its result is then filled. */
static int refused(run_t *run, int i)
{
    const batch_item_t *it = &run->b->items[i];
    slot_t *s = &run->slots[i];
    int d;

    memset(&s->res, 0, sizeof(s->res));
    s->res.head = (strcmp(it->method, "HEAD") == 0);
    if (!batch_config_method_allowed(run->o->conf, it->method)) {
        s->start = apr_time_now();
        refuse_item(&s->res, HTTP_METHOD_NOT_ALLOWED,
                    BATCH_ERR_METHOD_NOT_ALLOWED,
                    apr_psprintf(s->ip,
                                 "requests[%d]: \"method\" %s is not allowed "
                                 "in a batch here",
                                 i, it->method));
        return 1;
    }
    if ((d = batch_sched_failed_dep(run->sched, i)) >= 0) {
        const char *dg = run->b->items[d].group;

        s->start = apr_time_now();
        refuse_item(
            &s->res, HTTP_FAILED_DEPENDENCY, BATCH_ERR_FAILED_DEPENDENCY,
            it->group && dg && !apr_cstr_casecmp(it->group, dg)
                ? apr_psprintf(s->ip,
                               "requests[%d]: an earlier request of its "
                               "atomicity group failed or was not run; "
                               "nothing done before is undone",
                               i)
                : apr_psprintf(s->ip,
                               "requests[%d]: a request it depends on "
                               "(\"dependsOn\") failed or was not run",
                               i));
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* References (CONTRACT 10)                                           */

/* What a referrer's lookup sees: the items it refers to (it->refd),
 * their results described once each, on first use. */
typedef struct refs_ctx_t {
    const run_t *run;
    const batch_item_t *it;
    batch_refs_src_t *srcs; /* one per it->refd, filled on first use */
} refs_ctx_t;

static const batch_refs_src_t *refs_lookup(void *ctx, const char *id,
                                           apr_size_t len)
{
    refs_ctx_t *c = ctx;
    int k;

    for (k = 0; k < c->it->nrefs; k++) {
        int i = c->it->refd[k];
        const slot_t *s = &c->run->slots[i];
        batch_refs_src_t *src = &c->srcs[k];

        if (strlen(c->run->b->items[i].id) != len
            || apr_cstr_casecmpn(c->run->b->items[i].id, id, len) != 0) {
            continue;
        }
        if (src->status == 0) {
            /* i is done (a dependency) and its pool kept (refs_left):
             * read only */
            src->status = s->res.status;
            src->location = s->res.headers
                                ? apr_table_get(s->res.headers, "Location")
                                : NULL;
            src->uri = slot_item(c->run, i)->uri;
            src->body = s->res.body;
            src->body_len = s->res.body_len;
            src->content_type = s->res.content_type;
        }
        return src;
    }
    return NULL;
}

/* Header values with their references resolved, into a new table. */
static apr_status_t refs_headers(apr_table_t **ph, const char **why,
                                 batch_refs_t *rs, const apr_table_t *h,
                                 apr_pool_t *p)
{
    const apr_array_header_t *a = apr_table_elts(h);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    int k;

    *ph = apr_table_make(p, a->nelts);
    for (k = 0; k < a->nelts; k++) {
        const char *v = e[k].val;

        if (strstr(v, "@{")
            && batch_refs_header(&v, NULL, why, rs, v, strlen(v))
                   != APR_SUCCESS) {
            return APR_EINVAL;
        }
        apr_table_addn(*ph, e[k].key, v);
    }
    return APR_SUCCESS;
}

/* A copy of item i with its references resolved (in its pool). */
static apr_status_t refs_copy(batch_item_t **pcopy, const char **why,
                              run_t *run, int i)
{
    const batch_item_t *it = &run->b->items[i];
    slot_t *s = &run->slots[i];
    batch_refs_env_t env = run->renv;
    batch_item_t *copy;
    batch_refs_t *rs;
    refs_ctx_t c;

    c.run = run;
    c.it = it;
    c.srcs = apr_pcalloc(s->ip, sizeof(*c.srcs) * (apr_size_t)(it->nrefs + 1));
    env.lookup = refs_lookup;
    env.ctx = &c;
    rs = batch_refs_make(&env, s->ip);
    *pcopy = copy = apr_pmemdup(s->ip, it, sizeof(*it));
    if ((it->refs & BATCH_ITEM_REFS_URL)
        && batch_refs_url(&copy->uri, why, rs, it->url) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (it->refs & BATCH_ITEM_REFS_HEADERS) {
        if (refs_headers(&copy->headers, why, rs, it->headers, s->ip)
            != APR_SUCCESS) {
            return APR_EINVAL;
        }
        /* the body's type is the item's own Content-Type, if it has one */
        if (it->has_body
            && it->body_type == apr_table_get(it->headers, "Content-Type")) {
            copy->body_type = apr_table_get(copy->headers, "Content-Type");
        }
    }
    if ((it->refs & BATCH_ITEM_REFS_BODY)
        && batch_refs_body(&copy->body, &copy->body_len, why, rs, it->body,
                           it->body_len)
               != APR_SUCCESS) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Before item i runs: the copy of it to run, or its refusal (424, the
 * message naming the reference). 1 when it must not run. Runs where the
 * item runs: it reads only results of items that are done and allocates
 * only from the item's pool. */
static BATCH_COLD int resolve_refs(run_t *run, int i)
{
    slot_t *s = &run->slots[i];
    batch_item_t *copy = NULL;
    const char *why = NULL;

    if (refs_copy(&copy, &why, run, i) != APR_SUCCESS) {
        batch_util_result_error(
            &s->res, HTTP_FAILED_DEPENDENCY, BATCH_ERR_FAILED_DEPENDENCY,
            apr_psprintf(s->ip, "requests[%d]: %s", i, why));
        return 1;
    }
    s->it = copy;
    return 0;
}

/* Only when some item refers to another: count the referrers of each
 * item, and describe this server for "$ID" Locations. Main. */
static void refs_prepare(run_t *run)
{
    request_rec *r = run->r;
    const batch_t *b = run->b;
    int i, k;

    if (!batch_config_references(run->o->conf)) {
        return; /* Off: no item has references */
    }
    for (i = 0; i < b->nitems && b->items[i].refs == 0; i++) {
    }
    if (i == b->nitems) {
        return;
    }
    run->refs_left = apr_pcalloc(r->pool, sizeof(int) * (apr_size_t)b->nitems);
    for (i = 0; i < b->nitems; i++) {
        for (k = 0; k < b->items[i].nrefs; k++) {
            run->refs_left[b->items[i].refd[k]]++;
        }
    }
    run->renv.base = batch_config_base(run->o->conf);
    run->renv.scheme = ap_http_scheme(r);
    run->renv.host = ap_get_server_name_for_url(r);
    run->renv.port = ap_get_server_port(r);
    run->renv.max_url = (apr_size_t)r->server->limit_req_line;
    run->renv.max_value = (apr_size_t)r->server->limit_req_fieldsize;
    run->renv.max_body =
        (apr_size_t)batch_config_max_request_size(run->o->conf);
}

/* release() when some item has references: the items k referred to lose
 * a referrer (they were written before it: a referrer depends on them),
 * and their pools close with the last; k's own closes unless a later
 * item still refers to it. Main. */
static BATCH_COLD void release_refs(run_t *run, int k)
{
    const batch_item_t *it = &run->b->items[k];
    int j;

    for (j = 0; j < it->nrefs; j++) {
        if (--run->refs_left[it->refd[j]] == 0) {
            slot_close(run, it->refd[j]);
        }
    }
    if (run->refs_left[k] == 0) {
        slot_close(run, k);
    }
}

/* Item k has been written: close its pool, unless a later item still
 * refers to its result. Main. */
static void release(run_t *run, int k)
{
    if (run->refs_left) {
        release_refs(run, k);
        return;
    }
    slot_close(run, k);
}

/* ------------------------------------------------------------------ */
/* Running one item                                                   */

/* The one dispatch path: on the calling thread, on a secondary connection
 * of its own, with a parent request of its own. */
static void run_item(run_t *run, int i, apr_thread_t *thread, int tslot)
{
    const batch_item_t *it = &run->b->items[i];
    slot_t *s = &run->slots[i];
    request_rec *parent;

    s->start = apr_time_now();
    if (s->start > run->o->deadline) {
        refuse_item(&s->res, HTTP_GATEWAY_TIME_OUT, BATCH_ERR_TIMEOUT,
                    apr_psprintf(s->ip,
                                 "requests[%d]: BatchTimeout passed before "
                                 "it could start",
                                 i));
        return;
    }
    if (it->refs && resolve_refs(run, i)) {
        return;
    }
    parent = batch_secondary_parent(run->secondary, s->ip, thread, tslot);
    batch_dispatch_item(&s->res, run->o->disp, parent, s->it ? s->it : it,
                        s->ip);
}

static apr_thread_t *own_thread(request_rec *r)
{
#if APR_HAS_THREADS
    return r->connection->current_thread;
#else
    (void)r;
    return NULL;
#endif
}

/* After the last write: close the pools of items not written (from
 * next on), and those still kept for referrers that were not written. */
static void close_rest(run_t *run, int next)
{
    int i;

    for (i = run->refs_left ? 0 : next; i < run->b->nitems; i++) {
        slot_close(run, i);
    }
}

/* ------------------------------------------------------------------ */
/* Sequential                                                         */

static int run_sequential(run_t *run, batch_emit_fn *emit, void *ctx)
{
    int i, nwritten = 0;

    while ((i = batch_sched_next(run->sched)) >= 0) {
        slot_t *s = &run->slots[i];
        apr_status_t rv;

        if (run->r->connection->aborted) {
            break;
        }
        slot_open(run, i, 0);
        if (!refused(run, i)) {
            run_item(run, i, own_thread(run->r), -1);
        }
        batch_sched_done(run->sched, i, s->res.status);
        rv = emit(ctx, slot_item(run, i), &s->res, s->start, s->ip);
        release(run, i);
        nwritten++;
        if (rv != APR_SUCCESS) {
            break;
        }
    }
    close_rest(run, nwritten);
    return nwritten;
}

/* ------------------------------------------------------------------ */
/* Concurrent                                                         */

/* A runner: takes queued items until none is left (or the client has
 * gone). Called with mu held; returns with it released. Runs on a batch
 * thread, or on main when no thread could be had. */
static void runner_loop(run_t *run, apr_thread_t *thread, int tslot)
{
    while (!run->stop && run->qhead < run->qtail) {
        int i = run->queue[run->qhead++];

        run->slots[i].state = SLOT_RUNNING;
        apr_thread_mutex_unlock(run->mu);

        run_item(run, i, thread, tslot);

        apr_thread_mutex_lock(run->mu);
        run->slots[i].state = SLOT_DONE;
        batch_sched_done(run->sched, i, run->slots[i].res.status);
        /* Wake main only when it has something urgent to do: the first
         * item goes out at once; dependents of this item may start now;
         * nothing is left to take, so main must schedule (or write to
         * make room). Otherwise main writes what is done when it next
         * wakes (BATCH_FLUSH_INTERVAL at the latest), which saves a
         * thread wake-up per item. */
        if ((i == run->next && run->next == 0) || run->has_dependents[i]
            || run->qhead == run->qtail) {
            apr_thread_cond_signal(run->cv);
        }
    }
    run->runners--;
    apr_thread_cond_signal(run->cv);
    apr_thread_mutex_unlock(run->mu);
}

/* The task a batch thread runs (batch_workers_push). */
static void runner_task(void *arg, apr_thread_t *thread, int tslot)
{
    run_t *run = arg;

    apr_thread_mutex_lock(run->mu);
    run->pending--;
    runner_loop(run, thread, tslot);
}

/* Queue every item that may start now, while fewer than N are held.
 * Main, under mu. */
static void schedule(run_t *run)
{
    int i;

    while (run->held < run->o->concurrency
           && (i = batch_sched_next(run->sched)) >= 0) {
        slot_open(run, i, 1);
        run->held++;
        if (refused(run, i)) {
            run->slots[i].state = SLOT_DONE;
            batch_sched_done(run->sched, i, run->slots[i].res.status);
            continue;
        }
        run->slots[i].state = SLOT_QUEUED;
        run->queue[run->qtail++] = i;
    }
}

/* Start n runners. Main, under mu (released while a runner runs here). */
static void start_runners(run_t *run, int n)
{
    while (n-- > 0) {
        run->runners++;
        run->pending++;
        if (batch_workers_push(run->o->workers, runner_task, run)
            != APR_SUCCESS) {
            /* no batch thread at all: main runs what is queued */
            run->pending--;
            runner_loop(run, own_thread(run->r), -1);
            apr_thread_mutex_lock(run->mu);
            return;
        }
    }
}

/* Start runners for what is queued: the first at once, more (one per
 * queued item no runner will take, up to N) once BATCH_RAMP has passed.
 * Main, under mu. */
static void ramp_runners(run_t *run, apr_time_t *ramp_at)
{
    int queued = run->qtail - run->qhead, par = run->o->concurrency;
    apr_time_t now = apr_time_now();

    if (run->stop || queued == 0) {
        return;
    }
    if (run->runners == 0) {
        *ramp_at = now + BATCH_RAMP;
        start_runners(run, 1);
    }
    else if (now >= *ramp_at && run->runners < par && queued > run->pending) {
        /* the next step no sooner than BATCH_RAMP from now */
        int more = queued - run->pending;

        if (more > par - run->runners) {
            more = par - run->runners;
        }
        start_runners(run, more);
        *ramp_at = now + BATCH_RAMP;
    }
}

/* Write what is finished, in order; pools are main's alone. Main, under
 * mu (released while writing). 1 when something was written. */
static int write_done(run_t *run, batch_emit_fn *emit, void *ctx)
{
    int wrote = 0;

    while (run->next < run->b->nitems
           && run->slots[run->next].state == SLOT_DONE) {
        int k = run->next;
        slot_t *s = &run->slots[k];
        apr_status_t rv;

        apr_thread_mutex_unlock(run->mu);
        rv = emit(ctx, slot_item(run, k), &s->res, s->start, s->ip);
        release(run, k);
        apr_thread_mutex_lock(run->mu);
        run->held--;
        run->next++;
        wrote = 1;
        if (rv != APR_SUCCESS || run->r->connection->aborted) {
            run->stop = 1;
            break;
        }
    }
    return wrote;
}

/* How long main may sleep: until the next ramp step when more runners
 * are due, else BATCH_FLUSH_INTERVAL. Main, under mu. */
static apr_interval_time_t main_wait(run_t *run, apr_time_t ramp_at)
{
    apr_interval_time_t wait = BATCH_FLUSH_INTERVAL;

    if (run->qtail - run->qhead > run->pending
        && run->runners < run->o->concurrency) {
        apr_time_t now = apr_time_now();

        if (ramp_at - now < wait) {
            wait = ramp_at > now ? ramp_at - now : 0;
        }
    }
    return wait;
}

/* Written items wait for a flush (CONTRACT 6): flush them when it is due,
 * else shorten *wait to wake for it. Main, under mu (released during the
 * flush). 1 when it flushed, -1 when the client has gone, else 0. */
static int flush_if_due(run_t *run, void *ctx, apr_interval_time_t *wait)
{
    apr_time_t now, due;
    apr_status_t rv;

    if (!run->o->flush_due || (due = run->o->flush_due(ctx)) == 0) {
        return 0;
    }
    now = apr_time_now();
    if (due > now) {
        if (due - now < *wait) {
            *wait = due - now;
        }
        return 0;
    }
    apr_thread_mutex_unlock(run->mu);
    rv = run->o->flush(ctx);
    apr_thread_mutex_lock(run->mu);
    if (rv != APR_SUCCESS || run->r->connection->aborted) {
        run->stop = 1;
        return -1;
    }
    return 1;
}

/* After the last write (or the client left): no runner is running when
 * this returns, and every pool not written is closed. Main, under mu;
 * returns with mu released. */
static void end_concurrent(run_t *run)
{
    int i;

    run->stop = 1; /* runners end after the item they run */
    /* runners still waiting in the pool's queue (every batch thread busy
     * elsewhere) would find nothing to do: take them back rather than
     * wait for a thread */
    i = batch_workers_cancel(run->o->workers, runner_task, run);
    run->runners -= i;
    run->pending -= i;
    while (run->runners > 0) {
        apr_thread_cond_wait(run->cv, run->mu);
    }
    apr_thread_mutex_unlock(run->mu);
    close_rest(run, run->next);
}

static int run_concurrent(run_t *run, batch_emit_fn *emit, void *ctx)
{
    int n = run->b->nitems;
    int i, j;
    apr_time_t ramp_at = 0;

    if (apr_thread_mutex_create(&run->mu, APR_THREAD_MUTEX_DEFAULT,
                                run->r->pool)
            != APR_SUCCESS
        || apr_thread_cond_create(&run->cv, run->r->pool) != APR_SUCCESS) {
        return run_sequential(run, emit, ctx);
    }
    run->queue = apr_palloc(run->r->pool, sizeof(int) * n);
    run->has_dependents = apr_pcalloc(run->r->pool, n);
    for (i = 0; i < n; i++) {
        for (j = 0; j < run->b->items[i].ndeps; j++) {
            run->has_dependents[run->b->items[i].deps[j]] = 1;
        }
    }

    apr_thread_mutex_lock(run->mu);
    for (;;) {
        apr_interval_time_t wait;
        int wrote, flushed;

        if (!run->stop) {
            schedule(run);
        }
        ramp_runners(run, &ramp_at);
        wrote = write_done(run, emit, ctx);
        if (run->stop || run->next == n) {
            break;
        }
        if (wrote) {
            continue; /* room was made: schedule again before waiting */
        }
        wait = main_wait(run, ramp_at);
        flushed = flush_if_due(run, ctx, &wait);
        if (flushed < 0) {
            break;
        }
        if (flushed > 0) {
            continue; /* look again: runners may have finished */
        }
        if (wait > 0) {
            apr_thread_cond_timedwait(run->cv, run->mu, wait);
        }
    }
    end_concurrent(run);
    return run->next;
}

/* ------------------------------------------------------------------ */

int batch_run(request_rec *r, const batch_t *b, const batch_run_opts_t *o,
              batch_emit_fn *emit, void *ctx)
{
    run_t run;
    int nwritten;

    memset(&run, 0, sizeof(run));
    run.r = r;
    run.b = b;
    run.o = o;
    run.sched = batch_sched_create(b, r->pool);
    run.secondary =
        batch_secondary_prepare(r, batch_workers_socket(o->workers), r->pool);
    run.slots = apr_pcalloc(r->pool, sizeof(slot_t) * b->nitems);
    refs_prepare(&run);

    if (o->concurrency > 1 && b->nitems > 1
        && batch_workers_threaded(o->workers)) {
        nwritten = run_concurrent(&run, emit, ctx);
    }
    else {
        nwritten = run_sequential(&run, emit, ctx);
    }
    if (nwritten < b->nitems) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      BATCH_LOGNO(0106) "client has gone; %d of %d "
                                        "items not written",
                      b->nitems - nwritten, b->nitems);
    }
    return nwritten;
}
