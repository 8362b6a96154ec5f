/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_shadow.h: the secondary ("shadow") connection and dummy parent
 * request every item runs under, in every mode (CONCURRENCY.md 2). The
 * item never touches the batch request's pools, bucket allocator,
 * filters or socket, so it may run on another thread; and with
 * c->master set, modules treat it as they treat an HTTP/2 stream (mod_ssl
 * refuses per-directory renegotiation with 403 instead of spinning,
 * DESIGN.md 20).
 */
#ifndef BATCH_SHADOW_H
#define BATCH_SHADOW_H

#include "httpd.h"

/**
 * Make a secondary connection of the batch's connection and a parent
 * request on it that carries what the batch request r carries for the
 * lookup (server, per-dir config, user, client address, environment).
 * Everything is allocated from ip, the item's pool.
 * Call from the thread that owns ip; reads r only (r is not modified
 * while items run).
 * @param sock    the dummy socket put in core's connection slot
 * @param thread  the thread the item runs on (mod_lua thread scope)
 * @param slot    that thread's number, for a connection id unique at
 *                any moment (as mod_http2 makes them)
 */
request_rec *batch_shadow_parent(request_rec *r, apr_pool_t *ip,
                                 apr_socket_t *sock, apr_thread_t *thread,
                                 int slot);

#endif /* BATCH_SHADOW_H */
