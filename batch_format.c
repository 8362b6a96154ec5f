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
    &batch_format_multipart,
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
