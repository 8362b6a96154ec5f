/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_secondary.h: the secondary connection and the item parent (the
 * request that stands in for the batch request as the parent of the
 * item's subrequest) every item runs under, in every mode
 * The item never touches the batch request's pools, bucket
 * allocator, filters or socket, so it may run on another thread; and with
 * c->master set, modules treat it as they treat an HTTP/2 stream (mod_ssl
 * refuses per-directory renegotiation with 403 instead of spinning).
 */
#ifndef BATCH_SECONDARY_H
#define BATCH_SECONDARY_H

#include "httpd.h"

/** What the items of one batch copy from the batch: a snapshot of the
 *  client's connection and of the batch's environment, taken on the
 *  batch's thread before any item runs (so no item thread reads memory
 *  the batch's thread may be writing). */
typedef struct batch_secondary_base_t batch_secondary_base_t;

/**
 * Take the snapshot for the items of batch request r (from p, r's pool).
 * @param sock  the dummy socket put in core's slot of every secondary
 *              connection, so no module reaches the client's socket
 */
batch_secondary_base_t *
batch_secondary_prepare(request_rec *r, apr_socket_t *sock, apr_pool_t *p);

/**
 * Make a secondary connection and the item parent on it, which carries
 * what the batch request carries for the lookup (server, per-dir config,
 * user, client address, environment). Everything is allocated from ip,
 * the item's pool; call from the thread that owns ip.
 * @param thread  the thread the item runs on (mod_lua thread scope)
 * @param slot    that thread's number, or -1 for the batch's own thread:
 *                makes a connection id unique at any moment (as
 *                mod_http2 makes them)
 */
request_rec *batch_secondary_parent(const batch_secondary_base_t *base,
                                    apr_pool_t *ip, apr_thread_t *thread,
                                    int slot);

#endif /* BATCH_SECONDARY_H */
