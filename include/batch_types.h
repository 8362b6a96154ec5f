/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_types.h: the plain data shared by every stage of mod_batch
 * (parse -> schedule -> dispatch -> encode). Nothing here depends on httpd
 * or on a wire format: the pure files include only APR and these headers.
 */
#ifndef BATCH_TYPES_H
#define BATCH_TYPES_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Nesting depth of the batch document that is still accepted (CONTRACT 3). */
#define BATCH_MAX_JSON_DEPTH 64
/* Longest item id, in characters (CONTRACT 3). */
#define BATCH_MAX_ID_CHARS 256

/* Error codes of CONTRACT 3, 4 and 6. */
#define BATCH_ERR_BAD_REQUEST "BadRequest"
#define BATCH_ERR_METHOD_NOT_ALLOWED "MethodNotAllowed"
#define BATCH_ERR_UNSUPPORTED_MEDIA_TYPE "UnsupportedMediaType"
#define BATCH_ERR_REQUEST_TOO_LARGE "RequestTooLarge"
#define BATCH_ERR_FAILED_DEPENDENCY "FailedDependency"
#define BATCH_ERR_TIMEOUT "BatchTimeout"
#define BATCH_ERR_NESTED "NestedBatch"
#define BATCH_ERR_RESPONSE_TOO_LARGE "ResponseTooLarge"
#define BATCH_ERR_CONDITIONAL "ConditionalNotForwarded"

/**
 * What went wrong, for the client: filled by the function that found the
 * problem; exactly one place in the glue turns it into a response.
 */
typedef struct batch_error_t {
    int status;          /* HTTP status, e.g. 400 */
    const char *code;    /* one of BATCH_ERR_* */
    const char *message; /* full human readable message (names item+field) */
    const char *item_id; /* offending item's id or NULL */
    int index;           /* offending item's index, -1 for the batch */
    const char *field;   /* offending field name or NULL */
} batch_error_t;

/** Limits the parser enforces; filled by the glue from the configuration. */
typedef struct batch_limits_t {
    int max_requests;      /* most items (BatchMaxRequests) */
    const char *base;      /* BatchBase, normalized: "" for "/", else
                              "/seg[/seg...]" without trailing '/' */
    int max_fields;        /* LimitRequestFields; 0 means no limit */
    int max_field_size;    /* LimitRequestFieldSize; 0 means no limit */
    int atomicity_ordered; /* 1 = BatchAtomicity Ordered: atomicity groups
                              run in order (CONTRACT 9); 0 = Refuse */
    int references;        /* BatchReferences On: read "$ID" and "@{...}"
                              (CONTRACT 10); 0 leaves them as text */
} batch_limits_t;

/** Media type classes of CONTRACT 5. */
typedef enum {
    BATCH_MEDIA_BINARY = 0,
    BATCH_MEDIA_JSON,
    BATCH_MEDIA_TEXT
} batch_media_t;

/** One validated item of the batch request. Everything lives in the pool
 *  the parser was given. */
typedef struct batch_item_t {
    int index;            /* position in "requests", from 0 */
    const char *id;       /* the client's id, verbatim (valid UTF-8) */
    const char *method;   /* upper-cased method token */
    const char *url;      /* the url as the client sent it */
    const char *uri;      /* resolved absolute path[?query] under base */
    apr_table_t *headers; /* the item's own headers (never NULL; may be
                             empty), names as sent */
    int has_body;         /* 1 when the item carried "body" */
    const char *body;     /* body bytes (not NUL terminated necessarily) */
    apr_size_t body_len;
    const char *body_type; /* Content-Type to send with the body: the
                              item's own header, or the default of
                              CONTRACT 5; NULL when has_body == 0, and
                              for a multipart item whose body came
                              without a Content-Type (sent without one,
                              as the client sent it) */
    int ndeps;             /* number of dependencies */
    int *deps;             /* their item indices (all < index): hard
                              dependencies, 424 unless all ended 2xx */
    int ndeps_max;         /* room in deps; the checks of batch_item.h
                              grow deps (from the check's pool) when it
                              is full, so a format may leave deps NULL */
    int after;             /* 1 + index (< index) of an item that must have
                              FINISHED before this one starts, whatever
                              its status (ordering only, OData's
                              continue-on-error); 0 = none */
    const char *group;     /* atomicity group id (CONTRACT 9: JSON's
                              atomicityGroup, a multipart change set's
                              boundary), or NULL; the items of one group
                              are adjacent */
    const void *wire;      /* the wire format's own data for this item
                              (e.g. a multipart Content-ID as sent), for
                              its writer; NULL for JSON */
    unsigned refs;         /* BATCH_ITEM_REFS_*: where the item uses
                              results of earlier items (CONTRACT 10); 0
                              unless BatchReferences is On */
    int nrefs;             /* how many items it refers to */
    int *refd;             /* their indices, each once (all in deps) */
} batch_item_t;

/* batch_item_t.refs: the url, a header value, the body. */
#define BATCH_ITEM_REFS_URL 0x1
#define BATCH_ITEM_REFS_HEADERS 0x2
#define BATCH_ITEM_REFS_BODY 0x4

/** A parsed, validated batch request. */
typedef struct batch_t {
    int nitems;
    batch_item_t *items; /* array of nitems */
    const void *wire;    /* the wire format's own data for the whole batch
                            (set by its parse, read by its writer), or
                            NULL */
} batch_t;

/** The outcome of one item, ready to encode (CONTRACT 5, 6). Filled by the
 *  dispatcher (or by the pre-run checks); all strings live in the item's
 *  pool. */
typedef struct batch_result_t {
    int status;               /* HTTP status of the item */
    const char *status_line;  /* e.g. "404 Not Found", used for generated
                                 error bodies; may be NULL */
    apr_table_t *headers;     /* response headers as produced (may hold
                                 hop-by-hop, Content-Length, repeated
                                 names); may be NULL */
    const char *content_type; /* media type of the body, or NULL */
    int head;                 /* 1 for a HEAD item: never a body */
    const char *body;         /* captured bytes, or NULL */
    apr_size_t body_len;
    /* When mod_batch itself refuses or fails the item: error code and
     * message; the format's writer then writes the error body of
     * CONTRACT 6 instead of body. NULL otherwise. */
    const char *error_code;
    const char *error_message;
} batch_result_t;

#endif /* BATCH_TYPES_H */
