/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * bench/core.c: the pure core's share of a batch item, alone: parse the
 * bench's request (20 GETs of one static file, as bench.py sends it) and
 * encode 20 results shaped as httpd answers that file. Run under
 * callgrind by bench/core-profile.sh, which builds it against the tree's
 * libbatchcore; it reads no file and needs no httpd, so a change to the
 * reader, the validator or the encoder can be weighed in seconds, line
 * by line. The figures that count stay those of bench/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "batch_encode.h"
#include "batch_parse.h"
#include "batch_types.h"

#define ITEMS 20

/* bench.py's ITEM_JSON, byte for byte */
static const char item_json[] =
    "{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"displayName\""
    ":\"Adele Vance\",\"givenName\":\"Adele\",\"surname\":\"Vance\",\""
    "mail\":\"AdeleV@contoso.example\",\"jobTitle\":\"Retail Manager\""
    ",\"officeLocation\":\"18/2111\",\"businessPhones\":[\"+1 425 555"
    " 0109\"],\"mobilePhone\":null,\"preferredLanguage\":\"en-US\",\""
    "userPrincipalName\":\"AdeleV@contoso.example\"}\n";

static const char *request_body(apr_size_t *plen, apr_pool_t *p)
{
    const char *s = "{\"requests\":[";
    int i;

    for (i = 0; i < ITEMS; i++) {
        s = apr_psprintf(p,
                         "%s%s{\"id\":\"%d\",\"method\":\"GET\","
                         "\"url\":\"/s/item.json\"}",
                         s, i ? "," : "", i + 1);
    }
    s = apr_pstrcat(p, s, "]}", NULL);
    *plen = strlen(s);
    return s;
}

/* one static item as the capture hands it to the encoder */
static void static_result(batch_result_t *r, apr_pool_t *p)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    r->status_line = "200 OK";
    r->headers = apr_table_make(p, 8);
    apr_table_setn(r->headers, "Last-Modified",
                   "Fri, 04 Dec 2026 15:10:20 GMT");
    apr_table_setn(r->headers, "ETag", "\"14a-5f1c2b3a4d5e6\"");
    apr_table_setn(r->headers, "Accept-Ranges", "bytes");
    apr_table_setn(r->headers, "Content-Length", "330");
    r->content_type = "application/json";
    r->body = item_json;
    r->body_len = sizeof(item_json) - 1;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100, k, i;
    batch_limits_t lim = {ITEMS, "", 100, 8190, 0, 0};
    apr_pool_t *root, *p;
    apr_size_t len, total = 0;
    const char *req;

    apr_initialize();
    apr_pool_create(&root, NULL);
    req = request_body(&len, root);
    for (k = 0; k < rounds; k++) {
        batch_t *b;
        batch_error_t err;

        apr_pool_create(&p, root);
        if (batch_parse_request(&b, req, len, &lim, &err, p) != APR_SUCCESS) {
            fprintf(stderr, "core: the request does not parse\n");
            return 1;
        }
        for (i = 0; i < b->nitems; i++) {
            batch_result_t r;
            const char *json;
            apr_size_t n;

            static_result(&r, p);
            batch_encode_item(&json, &n, b->items[i].id, &r, p);
            total += n;
        }
        apr_pool_destroy(p);
    }
    printf("%d rounds of %d items, %lu bytes out\n", rounds, ITEMS,
           (unsigned long)total);
    apr_terminate();
    return 0;
}
