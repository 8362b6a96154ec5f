/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_format.c: the table of wire formats (batch_format.h) and the
 * output pieces they write. Pure: APR only. A second format plugs in
 * with one line in formats[] below and one in Makefile.am.
 */

#include <string.h>

#include <apr_strings.h>

#include "batch_format.h"

/* Tried in order; the first is also the format of refusals made before
 * the request's format is known. */
static const batch_format_t *const formats[] = {
    &batch_format_json,
    NULL,
};

const batch_format_t *batch_format_for(const char *content_type)
{
    const batch_format_t *const *f;

    if (content_type == NULL) {
        return NULL;
    }
    for (f = formats; *f; f++) {
        if ((*f)->match(content_type)) {
            return *f;
        }
    }
    return NULL;
}

const batch_format_t *batch_format_default(void)
{
    return formats[0];
}

const char *batch_format_accepted(apr_pool_t *p)
{
    const batch_format_t *const *f;
    const char *text = "the batch request must have Content-Type ";

    for (f = formats; *f; f++) {
        text = apr_pstrcat(p, text, f == formats ? "" : " or ", (*f)->accepts,
                           NULL);
    }
    return text;
}

static apr_status_t out_push(batch_out_t *out, const char *data, apr_size_t len,
                             int is_static)
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

apr_status_t batch_out_add(batch_out_t *out, const char *data, apr_size_t len)
{
    return out_push(out, data, len, 0);
}

apr_status_t batch_out_static(batch_out_t *out, const char *s)
{
    return out_push(out, s, strlen(s), 1);
}
