/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_sched.c: the second stage of parse -> schedule -> dispatch ->
 * encode. It decides which item may start next and whether an item's
 * dependencies allow it to run (CONTRACT 4: every dependency finished
 * with a 2xx status, else 424, which then propagates). The parser has
 * already made every dependency point backwards, so request order is a
 * valid run order and no cycle can exist; the dispatcher asks for the
 * next item whether it runs one item at a time or several at once. Pure.
 */

#include "batch_sched.h"

struct batch_sched_t {
    const batch_t *b;
    int *state;  /* BATCH_SCHED_* per item */
    int *status; /* final status per item, 0 until done */
    int first;   /* every item before it has started */
    int ndone;
};

batch_sched_t *batch_sched_create(const batch_t *b, apr_pool_t *p)
{
    static const batch_t empty; /* no items */
    batch_sched_t *s = apr_pcalloc(p, sizeof(*s));
    int n = b ? b->nitems : 0;

    s->b = b ? b : &empty;
    s->state = apr_pcalloc(p, (apr_size_t)(n ? n : 1) * sizeof(int));
    s->status = apr_pcalloc(p, (apr_size_t)(n ? n : 1) * sizeof(int));
    return s;
}

int batch_sched_next(batch_sched_t *s)
{
    int i, k;

    while (s->first < s->b->nitems
           && s->state[s->first] != BATCH_SCHED_WAITING) {
        s->first++;
    }
    for (i = s->first; i < s->b->nitems; i++) {
        const batch_item_t *it = &s->b->items[i];
        if (s->state[i] != BATCH_SCHED_WAITING) {
            continue;
        }
        /* ordering only (OData's continue-on-error): wait, whatever its
         * status will be */
        if (it->after > 0 && s->state[it->after - 1] != BATCH_SCHED_DONE) {
            continue;
        }
        for (k = 0; k < it->ndeps; k++) {
            if (s->state[it->deps[k]] != BATCH_SCHED_DONE) {
                break;
            }
        }
        if (k == it->ndeps) {
            s->state[i] = BATCH_SCHED_RUNNING;
            return i;
        }
    }
    return -1;
}

void batch_sched_done(batch_sched_t *s, int i, int status)
{
    if (i < 0 || i >= s->b->nitems) {
        return;
    }
    if (s->state[i] != BATCH_SCHED_DONE) {
        s->ndone++;
    }
    s->state[i] = BATCH_SCHED_DONE;
    s->status[i] = status;
}

int batch_sched_failed_dep(const batch_sched_t *s, int i)
{
    const batch_item_t *it;
    int k;

    if (i < 0 || i >= s->b->nitems) {
        return i;
    }
    it = &s->b->items[i];
    for (k = 0; k < it->ndeps; k++) {
        int d = it->deps[k];
        /* not run (or not yet done) counts as failed: 424, never a run
         * on the strength of an unknown outcome */
        if (s->state[d] != BATCH_SCHED_DONE || s->status[d] < 200
            || s->status[d] > 299) {
            return d;
        }
    }
    return -1;
}

int batch_sched_deps_ok(const batch_sched_t *s, int i)
{
    return i >= 0 && i < s->b->nitems && batch_sched_failed_dep(s, i) < 0;
}

int batch_sched_ndone(const batch_sched_t *s)
{
    return s->ndone;
}
