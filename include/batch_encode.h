/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_encode.h: item results and errors -> JSON text (CONTRACT 5, 6).
 * Pure: APR only. The glue streams the pieces as
 *   BATCH_ENCODE_OPEN item ("," item)* BATCH_ENCODE_CLOSE
 */
#ifndef BATCH_ENCODE_H
#define BATCH_ENCODE_H

#include "batch_types.h"

#define BATCH_ENCODE_OPEN "{\"responses\":["
#define BATCH_ENCODE_CLOSE "]}"

/**
 * Encode one item response object:
 *   {"id":"..","status":N,"headers":{..},"body":..}
 * headers: res->headers without hop-by-hop headers and Content-Length,
 * repeated names joined with ", ", the media type always under the exact
 * key "Content-Type" (from res->content_type when set, else from a
 * content-type header of any case). body per CONTRACT 5: JSON media type
 * -> the parsed value (a string when it does not parse), text -> a string
 * (base64 when not valid UTF-8), binary -> base64 standard with padding.
 * No body key when res->head, or status is 204 or 304, or (no error_code
 * and body_len == 0 and status < 400). When error_code is set, or status
 * >= 400 and there is no body, the body is
 *   {"error":{"code":C,"message":M}}
 * with Content-Type application/json; for a generated one C is the reason
 * phrase of res->status_line without spaces ("NotFound") and M the status
 * line. The glue fills status_line from httpd (ap_get_status_line); the
 * encoder keeps no table of its own: without one, M is the bare number
 * and C "Error". Whatever bytes res holds, the text is strict JSON
 * (RFC 8259, valid UTF-8, no lone surrogate escape).
 * @param pjson  NUL terminated JSON text from p; length in *plen
 */
apr_status_t batch_encode_item(const char **pjson, apr_size_t *plen,
                               const char *id, const batch_result_t *res,
                               apr_pool_t *p);

/** One response header a client may see (CONTRACT 6). */
typedef struct batch_header_t {
    const char *name; /* first spelling seen (not NUL terminated: nlen) */
    apr_size_t nlen;
    const char *value; /* repeated values joined with ", " */
} batch_header_t;

/**
 * The headers of an item response that a client may see, for every wire
 * format (CONTRACT 6): t without hop-by-hop headers (those of RFC 9110
 * 7.6.1 and those named in Connection), Content-Length and Content-Type
 * (each format writes the media type itself, first, under its exact
 * name); repeated names joined with ", " under the first spelling, in
 * the order of first appearance.
 * @return an array of batch_header_t from p; empty when t is NULL
 */
apr_array_header_t *batch_encode_headers(const apr_table_t *t, apr_pool_t *p);

/** What an item response's body is (batch_encode_body). */
typedef enum {
    BATCH_BODY_NONE = 0, /* no body: HEAD, 204, 304, or empty and < 400 */
    BATCH_BODY_ERROR,    /* mod_batch writes {"error":{code,message}} */
    BATCH_BODY_DATA      /* the item's own bytes */
} batch_body_t;

/**
 * The body decision of CONTRACT 5 and 6, shared by every wire format
 * (batch_encode_item describes the rules).
 * @param pctype    the media type to write: application/json for an
 *                  error body, else res->content_type or the headers'
 *                  Content-Type; may be NULL
 * @param pheaders  the headers to show: res->headers, or NULL when
 *                  mod_batch's own error replaces the item's response
 * @param pcode     on BATCH_BODY_ERROR the error code, else NULL
 * @param pmessage  on BATCH_BODY_ERROR the message (from p), else NULL
 */
batch_body_t batch_encode_body(const char **pctype,
                               const apr_table_t **pheaders, const char **pcode,
                               const char **pmessage, const batch_result_t *res,
                               apr_pool_t *p);

/**
 * Encode a batch-level error body {"error":{"code":..,"message":..}}.
 * @return NUL terminated JSON text from p
 */
const char *batch_encode_error(const batch_error_t *err, apr_pool_t *p);

#endif /* BATCH_ENCODE_H */
