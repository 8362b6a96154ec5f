/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * test_sched.c: unit tests of batch_sched.c: items start in request
 * order once their dependencies are done, and an item may run only when
 * every dependency ended 2xx, so 424 propagates (CONTRACT 4).
 */

#include <apr_strings.h>

#include "unit.h"
#include "batch_sched.h"

static apr_pool_t *pool;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

/* A batch of n items; deps[i] is -1 or the one item i depends on. */
static batch_t *make_batch(int n, const int *deps)
{
    batch_t *b = apr_pcalloc(pool, sizeof(*b));
    int i;

    b->nitems = n;
    b->items = apr_pcalloc(pool, (apr_size_t)n * sizeof(batch_item_t));
    for (i = 0; i < n; i++) {
        b->items[i].index = i;
        b->items[i].deps = apr_pcalloc(pool, sizeof(int));
        if (deps && deps[i] >= 0) {
            b->items[i].deps[0] = deps[i];
            b->items[i].ndeps = 1;
        }
    }
    return b;
}

START_TEST(independent_items_in_request_order)
{
    batch_sched_t *s = batch_sched_create(make_batch(3, NULL), pool);

    ck_assert_int_eq(batch_sched_next(s), 0);
    ck_assert_int_eq(batch_sched_next(s), 1);
    ck_assert_int_eq(batch_sched_next(s), 2);
    ck_assert_int_eq(batch_sched_next(s), -1);
    ck_assert_int_eq(batch_sched_ndone(s), 0);
    batch_sched_done(s, 1, 200);
    batch_sched_done(s, 0, 500);
    batch_sched_done(s, 2, 404);
    ck_assert_int_eq(batch_sched_ndone(s), 3);
    ck_assert_int_eq(batch_sched_next(s), -1);
}
END_TEST

/* Four items: chain[1] waits for chain[0], chain[2] for chain[1], and
 * free (after chain[0]) waits for nothing. chain[0] and free go out
 * first; each later link goes out only once the one before is done (with
 * status[0], then status[1]) and runs with its dependencies ok. */
static void check_chain(batch_t *b, const int chain[3], int free,
                        const int status[2])
{
    batch_sched_t *s = batch_sched_create(b, pool);

    ck_assert_int_eq(batch_sched_next(s), chain[0]);
    ck_assert_int_eq(batch_sched_next(s), free); /* chain[1] waits */
    ck_assert_int_eq(batch_sched_next(s), -1);
    batch_sched_done(s, free, 200);
    ck_assert_int_eq(batch_sched_next(s), -1);
    batch_sched_done(s, chain[0], status[0]);
    ck_assert_int_eq(batch_sched_next(s), chain[1]);
    ck_assert(batch_sched_deps_ok(s, chain[1]));
    ck_assert_int_eq(batch_sched_next(s), -1);
    batch_sched_done(s, chain[1], status[1]);
    ck_assert_int_eq(batch_sched_next(s), chain[2]);
    ck_assert(batch_sched_deps_ok(s, chain[2]));
    batch_sched_done(s, chain[2], 200);
    ck_assert_int_eq(batch_sched_ndone(s), 4);
    ck_assert_int_eq(batch_sched_next(s), -1);
}

START_TEST(waits_for_dependencies)
{
    /* 1 depends on 0, 3 on 1; 2 is free */
    static const int deps[] = {-1, 0, -1, 1};
    static const int chain[] = {0, 1, 3}, status[] = {201, 204};

    check_chain(make_batch(4, deps), chain, 2, status);
}
END_TEST

START_TEST(one_at_a_time_is_request_order)
{
    static const int deps[] = {-1, 0, 1, -1, 2};
    batch_sched_t *s = batch_sched_create(make_batch(5, deps), pool);
    int i, want;

    for (want = 0; want < 5; want++) {
        i = batch_sched_next(s);
        ck_assert_int_eq(i, want);
        batch_sched_done(s, i, 200);
    }
    ck_assert_int_eq(batch_sched_next(s), -1);
}
END_TEST

START_TEST(failure_propagates)
{
    /* 0 fails; 1 depends on 0; 2 on 1; 3 is free */
    static const int deps[] = {-1, 0, 1, -1};
    batch_sched_t *s = batch_sched_create(make_batch(4, deps), pool);
    int i;

    ck_assert_int_eq(batch_sched_next(s), 0);
    batch_sched_done(s, 0, 404);
    i = batch_sched_next(s);
    ck_assert_int_eq(i, 1);
    ck_assert(!batch_sched_deps_ok(s, 1));
    batch_sched_done(s, 1, 424);
    ck_assert_int_eq(batch_sched_next(s), 2);
    ck_assert(!batch_sched_deps_ok(s, 2)); /* transitively */
    batch_sched_done(s, 2, 424);
    ck_assert_int_eq(batch_sched_next(s), 3);
    ck_assert(batch_sched_deps_ok(s, 3)); /* no dependencies */
}
END_TEST

START_TEST(only_2xx_counts_as_success)
{
    static const int deps[] = {-1, 0};
    static const struct {
        int status, ok;
    } cases[] = {{200, 1}, {201, 1}, {299, 1}, {199, 0}, {300, 0},
                 {304, 0}, {404, 0}, {500, 0}, {0, 0}};
    apr_size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        batch_sched_t *s = batch_sched_create(make_batch(2, deps), pool);
        ck_assert_int_eq(batch_sched_next(s), 0);
        batch_sched_done(s, 0, cases[k].status);
        ck_assert_int_eq(batch_sched_next(s), 1);
        ck_assert_msg(batch_sched_deps_ok(s, 1) == cases[k].ok, "status %d",
                      cases[k].status);
    }
}
END_TEST

START_TEST(not_run_items)
{
    /* The dispatcher may finish an item without starting it (timeout):
     * it is then done, never handed out, and not a success. */
    static const int deps[] = {-1, 0, -1};
    batch_sched_t *s = batch_sched_create(make_batch(3, deps), pool);

    batch_sched_done(s, 0, 0);
    batch_sched_done(s, 0, 0); /* twice counts once */
    ck_assert_int_eq(batch_sched_ndone(s), 1);
    ck_assert_int_eq(batch_sched_next(s), 1);
    ck_assert(!batch_sched_deps_ok(s, 1));
    ck_assert_int_eq(batch_sched_next(s), 2);
    ck_assert_int_eq(batch_sched_next(s), -1);
    batch_sched_done(s, 7, 200); /* out of range: ignored */
    ck_assert_int_eq(batch_sched_ndone(s), 1);
}
END_TEST

START_TEST(several_dependencies)
{
    batch_t *b = make_batch(3, NULL);
    batch_sched_t *s;

    b->items[2].deps = apr_pcalloc(pool, 2 * sizeof(int));
    b->items[2].deps[0] = 0;
    b->items[2].deps[1] = 1;
    b->items[2].ndeps = 2;
    s = batch_sched_create(b, pool);
    ck_assert_int_eq(batch_sched_next(s), 0);
    ck_assert_int_eq(batch_sched_next(s), 1);
    batch_sched_done(s, 1, 200);
    ck_assert_int_eq(batch_sched_next(s), -1);
    batch_sched_done(s, 0, 500);
    ck_assert_int_eq(batch_sched_next(s), 2);
    ck_assert(!batch_sched_deps_ok(s, 2));
}
END_TEST

START_TEST(empty_batch)
{
    batch_sched_t *s = batch_sched_create(make_batch(0, NULL), pool);
    ck_assert_int_eq(batch_sched_next(s), -1);
    ck_assert_int_eq(batch_sched_ndone(s), 0);
}
END_TEST

START_TEST(after_orders_without_failing)
{
    /* 1 runs after 0, 2 after 1 (OData continue-on-error); 3 is free:
     * a failure (500, then 424) does not stop the next link */
    static const int chain[] = {0, 1, 2}, status[] = {500, 424};
    batch_t *b = make_batch(4, NULL);

    b->items[1].after = 1;
    b->items[2].after = 2;
    check_chain(b, chain, 3, status);
}
END_TEST

Suite *batch_sched_suite(void)
{
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("sched");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, independent_items_in_request_order);
    tcase_add_test(tc, waits_for_dependencies);
    tcase_add_test(tc, one_at_a_time_is_request_order);
    tcase_add_test(tc, failure_propagates);
    tcase_add_test(tc, only_2xx_counts_as_success);
    tcase_add_test(tc, not_run_items);
    tcase_add_test(tc, several_dependencies);
    tcase_add_test(tc, empty_batch);
    tcase_add_test(tc, after_orders_without_failing);
    suite_add_tcase(s, tc);
    return s;
}
