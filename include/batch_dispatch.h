/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_dispatch.h: one item -> one internal subrequest -> one
 * batch_result_t. The dispatcher takes its parent request and connection
 * as parameters and touches nothing else of the batch, so that an item
 * runs the same on the batch's thread or on a batch thread, on its own
 * secondary connection (batch_secondary.h).
 */
#ifndef BATCH_DISPATCH_H
#define BATCH_DISPATCH_H

#include "httpd.h"
#include "batch_types.h"

/** Register the capture output filter and the item body input filter;
 *  called from register_hooks. */
void batch_dispatch_register(apr_pool_t *p);

/** What every item of one batch shares: the response limit, the
 *  protocol of the item request lines, and the batch request's headers
 *  already filtered for inheritance. */
typedef struct batch_dispatch_t batch_dispatch_t;

/**
 * Prepare the dispatch of the items of batch request parent (its headers
 * are filtered once here: no Content-*, If-*, Range, Expect, hop-by-hop
 * or Connection-named headers). Read-only afterwards, so items on other
 * threads may share it.
 * @param max_response  most body bytes kept (BatchMaxResponseSize); a
 *                      longer body gives 500 ResponseTooLarge
 * @param p             owns the result; outlives every item (parent->pool)
 */
batch_dispatch_t *batch_dispatch_create(request_rec *parent,
                                        apr_off_t max_response, apr_pool_t *p);

/** The request headers item it is sent with: the inherited ones, the
 *  item's own laid over them, and the body's Content-Type and
 *  Content-Length. The table is from p; its strings may be shared. */
apr_table_t *batch_dispatch_headers(const batch_dispatch_t *d,
                                    const batch_item_t *it, apr_pool_t *p);

/** "METHOD uri PROTOCOL" of item it, from p. */
char *batch_dispatch_request_line(const batch_dispatch_t *d,
                                  const batch_item_t *it, apr_pool_t *p);

/** httpd's status line for status ("424 Failed Dependency", from
 *  ap_get_status_line), or NULL when httpd knows no phrase for it (it
 *  would answer "500 Internal Server Error"): what batch_result_t's
 *  status_line holds for the encoder, which keeps no table of its own. */
const char *batch_dispatch_status_line(int status);

/**
 * Run item it as a subrequest of parent, on parent's connection (the
 * item's own secondary connection and item parent, batch_secondary.h).
 * The parent's headers_in, kept_body, the_request and the
 * BATCH_ITEM_ID variable are swapped to the item's values for the
 * duration of the lookup and restored before return. Touches nothing of
 * the batch request.
 * @param res  filled with status, headers, content type and body;
 *             everything it points to lives in ip
 * @param ip   the item's pool: it owns parent, its connection and the
 *             subrequest (res points into them), and is destroyed by the
 *             caller once the item has been written
 * @return APR_SUCCESS (item outcomes, including failures, are in res)
 */
apr_status_t batch_dispatch_item(batch_result_t *res, const batch_dispatch_t *d,
                                 request_rec *parent, const batch_item_t *it,
                                 apr_pool_t *ip);

#endif /* BATCH_DISPATCH_H */
