/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_dispatch.h: one item -> one internal subrequest -> one
 * batch_result_t. The dispatcher takes its parent request and connection
 * as parameters (and touches nothing else of the batch) so that items can
 * later run on secondary connections without a rewrite.
 */
#ifndef BATCH_DISPATCH_H
#define BATCH_DISPATCH_H

#include "httpd.h"
#include "batch_types.h"

/** Register the capture output filter and the item body input filter;
 *  called from register_hooks. */
void batch_dispatch_register(apr_pool_t *p);

/**
 * Run item it as a subrequest of parent, on connection c.
 * The parent's headers_in, kept_body, the_request and the
 * BATCH_ITEM_ID variable are swapped to the item's values for the
 * duration of the lookup and restored before return.
 * @param res           filled with status, headers, content type and body;
 *                      everything it points to is allocated from ip
 * @param max_response  most body bytes kept (BatchMaxResponseSize); a
 *                      longer body gives 500 ResponseTooLarge
 * @param ip            the item's pool: a child of parent->pool that
 *                      outlives the subrequest (destroyed by the caller
 *                      once the item has been written)
 * @return APR_SUCCESS (item outcomes, including failures, are in res)
 */
apr_status_t batch_dispatch_item(batch_result_t *res, request_rec *parent,
                                 conn_rec *c, const batch_item_t *it,
                                 apr_off_t max_response, apr_pool_t *ip);

#endif /* BATCH_DISPATCH_H */
