/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_secondary.c: the secondary connection and the item parent of every
 * item (the file keeps its old name). A secondary connection is the
 * item's own copy of the client's connection; the item parent is the
 * request made on it that stands in for the batch request as the parent
 * of the item's subrequest. The recipe is mod_http2's for its streams (a
 * copy of the connection with master set, its own pool, config, notes
 * and bucket allocator, no filters, a dummy socket, then the
 * pre_connection hooks), with the item parent made by ap_create_request()
 * so that core gives it a private body brigade. Each step is there because
 * something crashed without it.
 */
#include <apr_strings.h>

#include "batch_private.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "batch_secondary.h"

/* The batch request's walk caches (read-only to subrequests, which copy
 * what they use): items reuse its directory, location and file walks as
 * subrequests of the batch request did. */
static const apr_size_t walk_notes[] = {AP_NOTE_DIRECTORY_WALK,
                                        AP_NOTE_LOCATION_WALK,
                                        AP_NOTE_FILE_WALK, AP_NOTE_IF_WALK};
#define WALK_NOTES (sizeof(walk_notes) / sizeof(walk_notes[0]))

struct batch_secondary_base_t {
    request_rec *r;          /* the batch request: read-only fields */
    conn_rec client;         /* copy of the client's connection */
    apr_table_t *env;        /* copy of the batch's subprocess_env */
    apr_socket_t *sock;      /* the dummy socket */
    void *walks[WALK_NOTES]; /* r's walk caches, as the handler found
                                them (nothing of the batch walks after) */
};

batch_secondary_base_t *
batch_secondary_prepare(request_rec *r, apr_socket_t *sock, apr_pool_t *p)
{
    batch_secondary_base_t *b = apr_palloc(p, sizeof(*b));
    conn_rec *client = r->connection;
    apr_size_t i;

    /* one connection log id (%{c}L) and one request log id (%L) for the
     * batch and all its items, as when items were subrequests of the
     * batch request on its connection */
    if (client->log_id == NULL) {
        ap_run_generate_log_id(client, NULL, &client->log_id);
    }
    if (r->log_id == NULL) {
        ap_run_generate_log_id(client, r, &r->log_id);
    }
    b->r = r;
    b->client = *client;
    b->env = apr_table_copy(p, r->subprocess_env);
    b->sock = sock;
    for (i = 0; i < WALK_NOTES; i++) {
        b->walks[i] = *ap_get_request_note(r, walk_notes[i]);
    }
    return b;
}

static conn_rec *secondary_connection(const batch_secondary_base_t *b,
                                      apr_pool_t *ip, apr_thread_t *thread,
                                      int slot)
{
    const conn_rec *client = &b->client;
    conn_rec *sc = apr_pmemdup(ip, client, sizeof(*sc));

    sc->master = client->master ? client->master : b->r->connection;
    sc->pool = ip;
    sc->conn_config = ap_create_conn_config(ip);
    /* core's slot is the socket: a dummy, so no module reaches the
     * client's socket (timeouts, reads) from an item */
    ap_set_core_module_config(sc->conn_config, b->sock);
    sc->notes = apr_table_make(ip, 5);
    sc->input_filters = NULL;
    sc->output_filters = NULL;
    sc->bucket_alloc = apr_bucket_alloc_create(ip);
    sc->data_in_input_filters = 0;
    sc->data_in_output_filters = 0;
    sc->clogging_input_filters = 1;
    sc->log = NULL;
    sc->aborted = 0;
    sc->sbh = NULL; /* no scoreboard slot */
    sc->cs = NULL;  /* event MPM gives it a state of its own */
    sc->keepalives = client->keepalives > 0 ? client->keepalives : 1;
    sc->keepalive = AP_CONN_CLOSE;
#if APR_HAS_THREADS
    /* mod_lua keeps thread-scope VMs per current_thread */
    sc->current_thread = thread;
#else
    (void)thread;
#endif
    /* unique at any moment (mod_unique_id uses the low bits of c->id):
     * mod_http2's recipe, with room for every BatchThreads slot (up to
     * 1024, plus the batch's own thread) below the master's id */
    sc->id = (sc->master->id << 11) ^ (long)(slot + 1);
    /* mpm_event's hook gives sc its own connection state (internal
     * redirects write to it); core declines secondaries; mod_ssl
     * declines too, and items see TLS through c->master */
    ap_run_pre_connection(sc, b->sock);
    return sc;
}

request_rec *batch_secondary_parent(const batch_secondary_base_t *b,
                                    apr_pool_t *ip, apr_thread_t *thread,
                                    int slot)
{
    const request_rec *r = b->r;
    conn_rec *sc = secondary_connection(b, ip, thread, slot);
    request_rec *parent = ap_create_request(sc);
    apr_size_t i;

    parent->server = r->server;
    parent->hostname = r->hostname;
    parent->request_time = r->request_time;
    parent->log = r->log;
    parent->log_id = r->log_id;
    parent->htaccess = r->htaccess;
    /* the same per-dir config as the batch: subrequests compare with
     * their parent's to skip repeated access checks, as before */
    parent->per_dir_config = r->per_dir_config;
    parent->useragent_addr = r->useragent_addr;
    parent->useragent_ip = r->useragent_ip;
    parent->user = r->user;
    parent->ap_auth_type = r->ap_auth_type;
    parent->method = r->method;
    parent->method_number = r->method_number;
    parent->protocol = r->protocol;
    parent->proto_num = r->proto_num;
    parent->uri = r->uri;
    parent->unparsed_uri = r->unparsed_uri;
    parent->args = r->args;
    parent->parsed_uri = r->parsed_uri;
    parent->filename = r->filename;
    parent->the_request = r->the_request;
    parent->subprocess_env = apr_table_copy(parent->pool, b->env);
    for (i = 0; i < WALK_NOTES; i++) {
        *ap_get_request_note(parent, walk_notes[i]) = b->walks[i];
    }
    ap_copy_method_list(parent->allowed_methods, r->allowed_methods);
    parent->read_length = 0;
    parent->expecting_100 = 0;
    return parent;
}
