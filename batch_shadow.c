/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_shadow.c: secondary connections and dummy parent requests for
 * items. The recipe is mod_http2's for its streams (a copy of the
 * connection with master set, its own pool, config, notes and bucket
 * allocator, no filters, a dummy socket, then the pre_connection hooks),
 * with a parent request made by ap_create_request() so that core gives
 * it a private body brigade. Each step is there because something
 * crashed without it.
 */
#include <apr_strings.h>

#include "batch_private.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "batch_shadow.h"

struct batch_shadow_base_t {
    request_rec *r;     /* the batch request: read-only fields */
    conn_rec c1;        /* copy of the client's connection */
    apr_table_t *env;   /* copy of the batch's subprocess_env */
    apr_socket_t *sock; /* the dummy socket */
};

batch_shadow_base_t *batch_shadow_prepare(request_rec *r, apr_socket_t *sock,
                                          apr_pool_t *p)
{
    batch_shadow_base_t *b = apr_palloc(p, sizeof(*b));
    conn_rec *c1 = r->connection;

    /* one connection log id (%{c}L) and one request log id (%L) for the
     * batch and all its items, as when items were subrequests of the
     * batch request on its connection */
    if (c1->log_id == NULL) {
        ap_run_generate_log_id(c1, NULL, &c1->log_id);
    }
    if (r->log_id == NULL) {
        ap_run_generate_log_id(c1, r, &r->log_id);
    }
    b->r = r;
    b->c1 = *c1;
    b->env = apr_table_copy(p, r->subprocess_env);
    b->sock = sock;
    return b;
}

static conn_rec *shadow_connection(const batch_shadow_base_t *b, apr_pool_t *ip,
                                   apr_thread_t *thread, int slot)
{
    const conn_rec *c1 = &b->c1;
    conn_rec *c2 = apr_pmemdup(ip, c1, sizeof(*c2));

    c2->master = c1->master ? c1->master : b->r->connection;
    c2->pool = ip;
    c2->conn_config = ap_create_conn_config(ip);
    /* core's slot is the socket: a dummy, so no module reaches the
     * client's socket (timeouts, reads) from an item */
    ap_set_core_module_config(c2->conn_config, b->sock);
    c2->notes = apr_table_make(ip, 5);
    c2->input_filters = NULL;
    c2->output_filters = NULL;
    c2->bucket_alloc = apr_bucket_alloc_create(ip);
    c2->data_in_input_filters = 0;
    c2->data_in_output_filters = 0;
    c2->clogging_input_filters = 1;
    c2->log = NULL;
    c2->aborted = 0;
    c2->sbh = NULL; /* no scoreboard slot */
    c2->cs = NULL;  /* event MPM gives it a state of its own */
    c2->keepalives = c1->keepalives > 0 ? c1->keepalives : 1;
    c2->keepalive = AP_CONN_CLOSE;
#if APR_HAS_THREADS
    /* mod_lua keeps thread-scope VMs per current_thread */
    c2->current_thread = thread;
#else
    (void)thread;
#endif
    /* unique at any moment (mod_unique_id uses the low bits of c->id):
     * mod_http2's recipe, with room for every BatchThreads slot (up to
     * 1024, plus the batch's own thread) below the master's id */
    c2->id = (c2->master->id << 11) ^ (long)(slot + 1);
    /* mpm_event's hook gives c2 its own connection state (internal
     * redirects write to it); core declines secondaries; mod_ssl
     * declines too, and items see TLS through c->master */
    ap_run_pre_connection(c2, b->sock);
    return c2;
}

request_rec *batch_shadow_parent(const batch_shadow_base_t *b, apr_pool_t *ip,
                                 apr_thread_t *thread, int slot)
{
    const request_rec *r = b->r;
    static const apr_size_t walk_notes[] = {AP_NOTE_DIRECTORY_WALK,
                                            AP_NOTE_LOCATION_WALK,
                                            AP_NOTE_FILE_WALK, AP_NOTE_IF_WALK};
    conn_rec *c2 = shadow_connection(b, ip, thread, slot);
    request_rec *d = ap_create_request(c2);
    apr_size_t i;

    d->server = r->server;
    d->hostname = r->hostname;
    d->request_time = r->request_time;
    d->log = r->log;
    d->log_id = r->log_id;
    d->htaccess = r->htaccess;
    /* the same per-dir config as the batch: subrequests compare with
     * their parent's to skip repeated access checks, as before */
    d->per_dir_config = r->per_dir_config;
    d->useragent_addr = r->useragent_addr;
    d->useragent_ip = r->useragent_ip;
    d->user = r->user;
    d->ap_auth_type = r->ap_auth_type;
    d->method = r->method;
    d->method_number = r->method_number;
    d->protocol = r->protocol;
    d->proto_num = r->proto_num;
    d->uri = r->uri;
    d->unparsed_uri = r->unparsed_uri;
    d->args = r->args;
    d->parsed_uri = r->parsed_uri;
    d->filename = r->filename;
    d->the_request = r->the_request;
    d->subprocess_env = apr_table_copy(d->pool, b->env);
    /* the batch request's walk caches (read-only to subrequests, which
     * copy what they use): items reuse its directory, location and file
     * walks as subrequests of the batch request did */
    for (i = 0; i < sizeof(walk_notes) / sizeof(walk_notes[0]); i++) {
        *ap_get_request_note(d, walk_notes[i]) =
            *ap_get_request_note(b->r, walk_notes[i]);
    }
    ap_copy_method_list(d->allowed_methods, r->allowed_methods);
    d->read_length = 0;
    d->expecting_100 = 0;
    return d;
}
