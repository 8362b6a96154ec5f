/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_multipart.h: the multipart/mixed wire format of CONTRACT 8 (what
 * Google's API clients and OData 4.0 clients send), as pure pieces that
 * the format seam wires in:
 *   - a tolerant RFC 2046 reader: the request body -> raw items (method,
 *     target, headers, body as spans of the request buffer), change sets
 *     as groups; every framing error a 400 naming the part;
 *   - the target and Host rules of an embedded HTTP request;
 *   - the OData order facts of the batch request's headers;
 *   - a strict writer: one part per item, change sets as nested parts,
 *     CRLF framing, a random boundary that is checked against every part.
 * Pure: APR only (batch_multipart.c reads, batch_multipart_write.c writes).
 */
#ifndef BATCH_MULTIPART_H
#define BATCH_MULTIPART_H

#include <apr_network_io.h>
#include <apr_tables.h>

#include "batch_types.h"

/* Longest boundary parameter accepted (RFC 2046 5.1.1). */
#define BATCH_MULTIPART_BOUNDARY_MAX 70

/* Error code of the item whose response holds the response boundary
 * (see batch_multipart_write_item). */
#define BATCH_MULTIPART_ERR_COLLISION "BoundaryCollision"

/* ------------------------------------------------------------------ */
/* Reading                                                            */
/* ------------------------------------------------------------------ */

/** One header line of an embedded request, name as sent, value without
 *  the white space around it. Spans: not NUL terminated. */
typedef struct batch_multipart_header_t {
    const char *name;
    apr_size_t nlen;
    const char *value;
    apr_size_t vlen;
} batch_multipart_header_t;

/**
 * One application/http part: one item. Every span points into the
 * request buffer given to batch_multipart_read(), except content_id when
 * it was folded over several lines (then it is an unfolded copy from the
 * read's pool). Spans are not NUL terminated.
 */
typedef struct batch_multipart_item_t {
    int part;               /* 1-based position of its top-level part */
    int subpart;            /* 1-based position inside its change set; 0 at the
                               top level */
    int group;              /* index into batch_multipart_t.groups, or -1 */
    const char *content_id; /* the part's Content-ID as sent (white space
                               around it dropped; no line breaks, but not
                               otherwise checked: it is the item's id, for
                               the seam's id rules), or NULL */
    apr_size_t content_id_len;
    const char *method; /* request line: METHOD SP target SP HTTP/1.x,
                           one space each */
    apr_size_t method_len;
    const char *target;
    apr_size_t target_len;
    int http_minor; /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    const batch_multipart_header_t *headers; /* in order, names as sent,
                                                without Host and
                                                Content-Length */
    int nheaders;
    const char *host; /* the Host header's value, or NULL: check it with
                         batch_multipart_check_host(), then drop it */
    apr_size_t host_len;
    int has_length;   /* 1 when a Content-Length header framed the body */
    const char *body; /* the body bytes (never NULL; may be empty) */
    apr_size_t body_len;
} batch_multipart_item_t;

/** One change set (a nested multipart/mixed part): an atomicity group
 *  (CONTRACT 9) whose id is its boundary. */
typedef struct batch_multipart_group_t {
    int part;               /* 1-based position of its top-level part */
    const char *boundary;   /* NUL terminated copy (from the read's pool):
                               the group id; unique in the batch */
    const char *content_id; /* span, or NULL */
    apr_size_t content_id_len;
    int first;  /* index of its first item */
    int nitems; /* its items are items[first .. first + nitems), >= 1 */
} batch_multipart_group_t;

/** A read multipart batch: items in request order, a change set's items
 *  adjacent. */
typedef struct batch_multipart_t {
    int nitems; /* >= 1 */
    batch_multipart_item_t *items;
    int ngroups;
    batch_multipart_group_t *groups;
    int nparts; /* top-level parts (items and change sets) */
} batch_multipart_t;

/** 1 when content_type is multipart/mixed (any case, parameters
 *  allowed). NULL gives 0. */
int batch_multipart_match(const char *content_type);

/**
 * The boundary parameter of a Content-Type value, quoted ("...", with
 * backslash escapes and '=' inside) or a token: 1 to
 * BATCH_MULTIPART_BOUNDARY_MAX printable ASCII characters or spaces, not
 * ending in a space.
 * @param pb   the boundary, NUL terminated, from p
 * @param why  on failure a short reason ("has no boundary parameter")
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_multipart_boundary(const char **pb, const char **why,
                                      const char *content_type, apr_pool_t *p);

/**
 * Read a multipart/mixed batch body (CONTRACT 8): RFC 2046 framing with
 * CRLF or bare LF lines, preamble and epilogue ignored; each top-level
 * part an application/http item or a multipart/mixed change set of such
 * items (change sets do not nest); Content-Transfer-Encoding absent,
 * binary, 8bit or 7bit; each part body one HTTP/1.x request, its body
 * framed by Content-Length when given, else running up to the line break
 * of the next delimiter (only line breaks: empty). Linear time and
 * memory; the read stops at the first error, and at the latest when the
 * (max_items + 1)-th item (counting change-set items) is met.
 * @param pmp          the batch; it and its arrays from p, spans into buf
 * @param buf          the request body (need not be NUL terminated); it
 *                     must outlive *pmp
 * @param content_type the batch request's Content-Type (the boundary)
 * @param max_items    most items (BatchMaxRequests); <= 0: no limit
 * @param err          on failure (may be NULL) filled from p: 400
 *                     BadRequest, field "part", a message naming the part
 *                     ("part 3 (Content-ID \"<x + 1>\"): ..."; inside a
 *                     change set "part 2, change set part 1 ..."), index
 *                     the item's 0-based index or -1, item_id its
 *                     Content-ID or NULL
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_multipart_read(batch_multipart_t **pmp, const char *buf,
                                  apr_size_t len, const char *content_type,
                                  int max_items, batch_error_t *err,
                                  apr_pool_t *p);

/* ------------------------------------------------------------------ */
/* Targets and Host                                                   */
/* ------------------------------------------------------------------ */

/** This server, as the embedded requests may name it. */
typedef struct batch_multipart_server_t {
    const char *scheme; /* "http" or "https" */
    apr_port_t port;    /* the port the batch request reached */
    /* 1 when host (without [] for IPv6, as sent otherwise) with port
     * names this server as a direct request's Host would (the glue asks
     * httpd's virtual host rules: ServerName, ServerAlias, addresses) */
    int (*is_this_server)(void *baton, const char *host, apr_port_t port);
    void *baton;
} batch_multipart_server_t;

/**
 * The url of an embedded request's target, for the url rules of CONTRACT
 * 3 (batch_parse_resolve_url() or the seam's url check): a path with
 * optional query as it is; an absolute URL naming this server's scheme,
 * host and port (no user information) as its path and query ("/" when
 * the path is empty); a relative path as it is (resolved against
 * BatchBase like a JSON url without a leading '/'). "*", other schemes
 * and other servers are refused.
 * @param purl  the url, NUL terminated, from p
 * @param why   on failure a short reason ("names another server")
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_multipart_target_url(const char **purl, const char **why,
                                        const char *target, apr_size_t len,
                                        const batch_multipart_server_t *srv,
                                        apr_pool_t *p);

/**
 * An embedded request's Host header (CONTRACT 8): it must name this
 * server, by name or address, with this server's port or with none
 * (Ruby's Google client sends "Host: 127.0.0.1" whatever the port). The
 * header is then dropped.
 * @param why  on failure a short reason (static or from p)
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_multipart_check_host(const char **why, const char *host,
                                        apr_size_t len,
                                        const batch_multipart_server_t *srv,
                                        apr_pool_t *p);

/* ------------------------------------------------------------------ */
/* OData order (CONTRACT 8)                                           */
/* ------------------------------------------------------------------ */

/** 1 when the batch request's headers hold OData-Version or
 *  OData-MaxVersion: top-level parts then run in order and the first
 *  failure stops the rest. */
int batch_multipart_is_odata(const apr_table_t *headers);

/**
 * The continue-on-error preference of the batch request's Prefer
 * headers: "odata.continue-on-error" or "continue-on-error" as the
 * client spelled it (for Preference-Applied; a value of "false" turns it
 * off), or NULL. From p or headers.
 */
const char *batch_multipart_continue_on_error(const apr_table_t *headers,
                                              apr_pool_t *p);

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/* Length of a response boundary: "batch_" and 32 random letters and
 * digits (190 bits). */
#define BATCH_MULTIPART_TOKEN_LEN 38

/** Per-batch writer state; fixed size, no pointers into item pools. */
typedef struct batch_multipart_writer_t {
    char boundary[BATCH_MULTIPART_TOKEN_LEN + 1];    /* the response's */
    char cs_boundary[BATCH_MULTIPART_TOKEN_LEN + 1]; /* the open change
                                                        set's, or "" */
    const char *group; /* the open change set's group id (from the
                          batch's pool), or NULL */
    int nparts;        /* top-level parts written */
    int ncs;           /* parts written into the open change set */
    int collisions;    /* items answered BoundaryCollision */
    /* per byte value, bit i set when the random part of the boundary
     * (of cs_boundary) holds it at offset i: the collision scan's table */
    apr_uint32_t where[256], cs_where[256];
} batch_multipart_writer_t;

/** What one writer call produced: head, then body. Send them in this
 *  order; either may be empty. */
typedef struct batch_multipart_out_t {
    const char *head; /* framing and the embedded response head, from the
                         pool of the call */
    apr_size_t head_len;
    const char *body; /* the item's body (res->body itself: not copied),
                         a generated error body, or "" */
    apr_size_t body_len;
} batch_multipart_out_t;

/**
 * Start a response: choose its boundary from apr_generate_random_bytes().
 * @param pw  the state, from p (the batch's pool)
 * @return APR_SUCCESS, or the status of the random generator
 */
apr_status_t batch_multipart_writer_make(batch_multipart_writer_t **pw,
                                         apr_pool_t *p);

/** "multipart/mixed; boundary=T" (T an unquoted token), from p. */
const char *batch_multipart_content_type(const batch_multipart_writer_t *w,
                                         apr_pool_t *p);

/**
 * One item's part, with whatever precedes it: the delimiter, the opening
 * of a change set when group starts one (and the closing of the previous
 * one). Items must come in request order. The part head is
 * "Content-Type: application/http", "Content-Transfer-Encoding: binary"
 * and a Content-ID ("<response-X>" for a request's "<X>", else as sent,
 * none without one); the body is the response: "HTTP/1.1 NNN Reason",
 * the headers as CONTRACT 6 filters them (Content-Type first), a
 * Content-Length (exact) unless a HEAD, 1xx, 204 or 304 response, an
 * empty line, the body bytes. Module-made errors and bodiless statuses
 * of 400 and above get the {"error":{...}} JSON body (CONTRACT 6).
 * When the part would hold an open boundary, the item is answered 500
 * BoundaryCollision instead (see the comment in batch_multipart_write.c).
 * @param content_id  the request part's Content-ID as sent (it passed
 *                    the id rules: no control characters), or NULL
 * @param group       the item's atomicity group (change set boundary),
 *                    or NULL; adjacent items of one group share it
 * @param ip          the item's pool: out->head (and any generated body)
 *                    come from it; the state keeps nothing from it
 * @return APR_SUCCESS, or the random generator's status when a change
 *         set opens and no boundary can be drawn
 */
apr_status_t batch_multipart_write_item(batch_multipart_writer_t *w,
                                        batch_multipart_out_t *out,
                                        const char *content_id,
                                        const char *group,
                                        const batch_result_t *res,
                                        apr_pool_t *ip);

/** The closing bytes after the last item (closing an open change set
 *  too): NUL terminated, from p, length in *plen. */
const char *batch_multipart_write_close(batch_multipart_writer_t *w,
                                        apr_size_t *plen, apr_pool_t *p);

#endif /* BATCH_MULTIPART_H */
