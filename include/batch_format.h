/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_format.h: the wire-format seam. A wire format (JSON and
 * multipart) is one constant batch_format_t: which request media
 * types it takes, how its request body becomes a batch_t, and how the
 * results are written back, piece by piece, in request order. The handler
 * (mod_batch.c) picks a format by the request's Content-Type with
 * batch_format_for() and from then on only calls through the struct; the
 * run and dispatch stages never see the wire format at all.
 *
 * Pure: APR only. A format reads the request through batch_request_t
 * (facts the glue copied out of the request_rec) and validates every
 * item with the shared checks of batch_item.h, so that every format
 * applies the same rules with the same messages.
 *
 * A format plugs in by adding one line to the table in batch_format.c.
 */
#ifndef BATCH_FORMAT_H
#define BATCH_FORMAT_H

#include <apr_network_io.h>
#include <apr_tables.h>

#include "batch_types.h"

/* ------------------------------------------------------------------ */
/* What a format may know of the batch request                        */

/**
 * Facts of the batch request, filled by the glue before parse. Strings
 * and the table belong to the request; a format must not change them.
 */
typedef struct batch_request_t {
    const char *content_type;   /* the request's Content-Type; NULL only
                                   when it has none (then no format
                                   matched and parse is never called) */
    const apr_table_t *headers; /* the request's headers (OData-Version,
                                   Prefer, ...), read-only */
    const char *scheme;         /* "http" or "https" */
    const char *hostname;       /* the server name the request reached */
    apr_port_t port;            /* the port it reached */
    /* 1 when host and port name the virtual host the batch request
     * reached, by httpd's own rules (ap_matches_request_vhost(): the
     * server's name or an alias, and its port); for formats whose items
     * may carry an absolute url or a Host header. Call with baton. */
    int (*is_this_server)(void *baton, const char *host, apr_port_t port);
    void *baton;
} batch_request_t;

/* ------------------------------------------------------------------ */
/* Output pieces                                                      */

/* Most pieces one writer call may add (open + the first item share one
 * batch_out_t, see below). */
#define BATCH_OUT_MAX 16

/**
 * Bytes to send, as a short list of (data, len) pieces, so that a writer
 * never copies what already exists (a captured body, a constant
 * separator): the glue passes each piece as it is. Every piece must stay
 * valid until the glue has passed it on after the writer call returns:
 * it lives in the pool the writer was given, in the item's result, or in
 * static memory (then say so with batch_out_static, and the glue need
 * never copy it).
 */
typedef struct batch_out_t {
    int n;
    struct {
        const char *data;
        apr_size_t len;
        int is_static; /* static memory: lives as long as the process */
    } v[BATCH_OUT_MAX];
} batch_out_t;

/** Append one piece (len 0 is dropped). Returns APR_ENOSPC when the
 *  list is full (a writer bug: BATCH_OUT_MAX is sized for every
 *  format). Inline: it runs several times per item. */
static inline apr_status_t batch_out_push(batch_out_t *out, const char *data,
                                          apr_size_t len, int is_static)
{
    if (len == 0) {
        return APR_SUCCESS;
    }
    if (out->n >= BATCH_OUT_MAX) {
        return APR_ENOSPC;
    }
    out->v[out->n].data = data;
    out->v[out->n].len = len;
    out->v[out->n].is_static = is_static;
    out->n++;
    return APR_SUCCESS;
}

/** Append a piece of pool or result memory. */
static inline apr_status_t batch_out_add(batch_out_t *out, const char *data,
                                         apr_size_t len)
{
    return batch_out_push(out, data, len, 0);
}

/** Append a string constant in static memory (a separator); sizeof, not
 *  strlen, gives its length. */
#define batch_out_static(out, lit)                                             \
    batch_out_push((out), (lit), sizeof(lit) - 1, 1)

/* ------------------------------------------------------------------ */
/* The seam                                                           */

typedef struct batch_format_t {
    /** Short name for logs and docs: "json", "multipart". */
    const char *name;

    /** The media type(s) it accepts, for the 415 message
     *  ("application/json"). */
    const char *accepts;

    /** 1 when this format reads a request of this Content-Type (never
     *  NULL; parameters and case as the client sent them). */
    int (*match)(const char *content_type);

    /**
     * Parse and validate the whole request body into *pbatch (from p).
     * Every item goes through the checks of batch_item.h; a broken rule
     * fills err (status 400 BadRequest unless said otherwise, message
     * naming the item id or index and the field) and returns APR_EINVAL.
     * Nothing in the result may point into buf. Scratch memory goes in a
     * child pool of p destroyed before return.
     */
    apr_status_t (*parse)(batch_t **pbatch, const char *buf, apr_size_t len,
                          const batch_request_t *req, const batch_limits_t *lim,
                          batch_error_t *err, apr_pool_t *p);

    /**
     * Start the response of batch b: its Content-Type (*pctype, from p),
     * any further response headers (add them to headers_out: OData-Version,
     * Preference-Applied, ...), the opening bytes (appended to out; the
     * glue sends them together with the first item) and the writer's
     * per-batch state (*pstate, from p; NULL when none is needed). p is
     * the batch's pool: it outlives every item. Status 200 and
     * Cache-Control: no-store are set by the glue.
     */
    apr_status_t (*open)(void **pstate, const char **pctype,
                         apr_table_t *headers_out, batch_out_t *out,
                         const batch_t *b, const batch_request_t *req,
                         apr_pool_t *p);

    /**
     * The bytes of one finished item, appended to out, INCLUDING whatever
     * precedes it (JSON's ",", a multipart delimiter, the opening of a
     * nested change set when it->group starts a new atomicity group and
     * the closing of the previous one). Called once per item in request
     * order (it->index 0, 1, ...); items the client did not wait for are
     * never written. ip is the item's pool, destroyed once the glue has
     * sent out: allocate the pieces from it; state must not keep
     * pointers into ip.
     */
    apr_status_t (*item)(void *state, batch_out_t *out, const batch_t *b,
                         const batch_item_t *it, const batch_result_t *res,
                         apr_pool_t *ip);

    /** The closing bytes, appended to out (from p, the batch's pool),
     *  after the last item; called only when every item was written. */
    apr_status_t (*close)(void *state, batch_out_t *out, const batch_t *b,
                          apr_pool_t *p);

    /**
     * A batch-level refusal (CONTRACT 6): the whole response body (NUL
     * terminated, from p) and its Content-Type in *pctype. The multipart
     * format answers these in JSON too (CONTRACT 8).
     */
    const char *(*error)(const batch_error_t *err, const char **pctype,
                         apr_pool_t *p);
} batch_format_t;

/** The JSON format (batch_format_json.c). */
extern const batch_format_t batch_format_json;

/** The multipart/mixed format (batch_format_multipart.c, CONTRACT 8). */
extern const batch_format_t batch_format_multipart;

/**
 * The format that reads requests of this Content-Type, or NULL (then the
 * answer is 415 with batch_format_accepted()). NULL ct gives NULL.
 */
const batch_format_t *batch_format_for(const char *content_type);

/** The format whose error body answers refusals made before a format is
 *  known (405, 415, 413, unreadable body): JSON. Never NULL. */
const batch_format_t *batch_format_default(void);

/** The 415 message: "the batch request must have Content-Type
 *  application/json" (every format's accepts, joined with " or "),
 *  from p. */
const char *batch_format_accepted(apr_pool_t *p);

#endif /* BATCH_FORMAT_H */
