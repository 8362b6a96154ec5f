/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * encode_ref.h: the reference encoder (encode_ref.c), the encoder of
 * 06daf93 under other names, that the unit tests and the fuzz targets
 * compare batch_encode.c's output with byte for byte. Test code only.
 */
#ifndef BATCH_ENCODE_REF_H
#define BATCH_ENCODE_REF_H

#include "batch_types.h"

/* the types (batch_header_t, batch_body_t) are batch_encode.h's */
#include "batch_encode.h"

apr_status_t encode_ref_item(const char **pjson, apr_size_t *plen,
                             const char *id, const batch_result_t *res,
                             apr_pool_t *p);
apr_array_header_t *encode_ref_headers(const apr_table_t *t, apr_pool_t *p);
batch_body_t encode_ref_body(const char **pctype, const apr_table_t **pheaders,
                             const char **pcode, const char **pmessage,
                             const batch_result_t *res, apr_pool_t *p);
const char *encode_ref_error(const batch_error_t *err, apr_pool_t *p);

#ifndef ENCODE_REF_SELF /* encode_ref.c renames batch_encode_* */
#include <string.h>

/* a and b (NULL allowed) hold the same string */
static APR_INLINE int encode_ref_streq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/**
 * What batch_encode_item(), _headers() and _body() give for res and id
 * that differs from what the reference gives, or NULL when every byte is
 * the same.
 */
static APR_INLINE const char *encode_ref_diff(const char *id,
                                              const batch_result_t *res,
                                              apr_pool_t *p)
{
    const char *j1, *j2, *c1, *c2, *code1, *code2, *m1, *m2;
    const apr_table_t *t1, *t2;
    apr_size_t n1, n2;
    apr_array_header_t *a1, *a2;
    int i;

    if (batch_encode_item(&j1, &n1, id, res, p)
        != encode_ref_item(&j2, &n2, id, res, p)) {
        return "batch_encode_item's status";
    }
    if (n1 != n2 || memcmp(j1, j2, n1 + 1) != 0) {
        return "batch_encode_item's text";
    }
    if (batch_encode_body(&c1, &t1, &code1, &m1, res, p)
            != encode_ref_body(&c2, &t2, &code2, &m2, res, p)
        || !encode_ref_streq(c1, c2) || t1 != t2
        || !encode_ref_streq(code1, code2) || !encode_ref_streq(m1, m2)) {
        return "batch_encode_body";
    }
    a1 = batch_encode_headers(res->headers, p);
    a2 = encode_ref_headers(res->headers, p);
    if (a1->nelts != a2->nelts) {
        return "the number of batch_encode_headers";
    }
    for (i = 0; i < a1->nelts; i++) {
        const batch_header_t *h1 = &APR_ARRAY_IDX(a1, i, batch_header_t);
        const batch_header_t *h2 = &APR_ARRAY_IDX(a2, i, batch_header_t);

        if (h1->nlen != h2->nlen || memcmp(h1->name, h2->name, h1->nlen)
            || !encode_ref_streq(h1->value, h2->value)) {
            return "a header of batch_encode_headers";
        }
    }
    {
        /* a batch-level error with the same words */
        batch_error_t err = {res->status, res->error_code, res->error_message,
                             id, 0, NULL};

        if (strcmp(batch_encode_error(&err, p), encode_ref_error(&err, p))) {
            return "batch_encode_error";
        }
    }
    return NULL;
}
#endif

#endif /* BATCH_ENCODE_REF_H */
