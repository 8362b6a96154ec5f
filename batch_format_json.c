/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_format_json.c: the JSON wire format (CONTRACT 3, 5, 6) behind the
 * seam of batch_format.h. Requests are read by batch_parse.c, responses
 * written by batch_encode.c as
 *   {"responses":[ item, item, ... ]}
 * Pure: APR only.
 */

#include <string.h>

#include <apr_strings.h>

#include "batch_util.h"
#include "batch_parse.h"
#include "batch_encode.h"
#include "batch_format.h"

#define JSON_TYPE "application/json"

/* Per batch: how many items were written, for the "," before each. */
typedef struct json_writer_t {
    int nwritten;
} json_writer_t;

/* application/json, application/...+json, any case and parameters. */
static int json_match(const char *content_type)
{
    return batch_util_media_class(content_type) == BATCH_MEDIA_JSON;
}

static apr_status_t json_parse(batch_t **pbatch, const char *buf,
                               apr_size_t len, const batch_request_t *req,
                               const batch_limits_t *lim, batch_error_t *err,
                               apr_pool_t *p)
{
    (void)req;
    return batch_parse_request(pbatch, buf, len, lim, err, p);
}

static apr_status_t json_open(void **pstate, const char **pctype,
                              apr_table_t *headers_out, batch_out_t *out,
                              const batch_t *b, const batch_request_t *req,
                              apr_pool_t *p)
{
    json_writer_t *w = apr_pcalloc(p, sizeof(*w));

    (void)headers_out;
    (void)b;
    (void)req;
    *pstate = w;
    *pctype = JSON_TYPE;
    return batch_out_static(out, BATCH_ENCODE_OPEN);
}

static apr_status_t json_item(void *state, batch_out_t *out, const batch_t *b,
                              const batch_item_t *it, const batch_result_t *res,
                              apr_pool_t *ip)
{
    json_writer_t *w = state;
    const char *json;
    apr_size_t jlen;
    apr_status_t rv;

    (void)b;
    if (w->nwritten++ > 0 && (rv = batch_out_static(out, ",")) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = batch_encode_item(&json, &jlen, it->id, res, ip))
        != APR_SUCCESS) {
        return rv;
    }
    if (it->group == NULL) {
        return batch_out_add(out, json, jlen);
    }
    /* CONTRACT 9: the group as sent, the object's last member */
    if ((rv = batch_out_add(out, json, jlen - 1)) != APR_SUCCESS) {
        return rv;
    }
    json = apr_pstrcat(
        ip, ",\"atomicityGroup\":\"",
        batch_util_json_escape(NULL, it->group, strlen(it->group), ip), "\"}",
        NULL);
    return batch_out_add(out, json, strlen(json));
}

static apr_status_t json_close(void *state, batch_out_t *out, const batch_t *b,
                               apr_pool_t *p)
{
    (void)state;
    (void)b;
    (void)p;
    return batch_out_static(out, BATCH_ENCODE_CLOSE);
}

static const char *json_error(const batch_error_t *err, const char **pctype,
                              apr_pool_t *p)
{
    *pctype = JSON_TYPE;
    return batch_encode_error(err, p);
}

const batch_format_t batch_format_json = {
    .name = "json",
    .accepts = JSON_TYPE,
    .match = json_match,
    .parse = json_parse,
    .open = json_open,
    .item = json_item,
    .close = json_close,
    .error = json_error,
};
