/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_refs.h: references between the items of one batch (CONTRACT 10,
 * BatchReferences On). A later item may use what an earlier one returned:
 * "$ID" as the whole first segment of its url stands for the path of item
 * ID's Location header (OData), "@{ID.path}" for the value at path in
 * item ID's JSON response body (Salesforce Composite).
 *
 * Two halves. At parse time batch_refs_scan() checks the syntax of every
 * reference in a url, header value or JSON body and lists the ids named,
 * so that the parser can refuse a malformed reference or one to an item
 * outside dependsOn (400 for the batch). At run time, before the item is
 * dispatched, batch_refs_url/header/body() build the resolved copies from
 * the results of earlier items; a reference that cannot be resolved is
 * the item's own failure (424 FailedDependency, the message naming the
 * reference). Resolution never lets a returned value change the shape of
 * a url (it is percent-encoded as one path segment or query value, and
 * the whole url passes the checks of CONTRACT 3 again), a header (header
 * value rules) or a JSON body (spliced strings are JSON-escaped).
 *
 * Pure: APR only (JSON by batch_json.c). No logging.
 */
#ifndef BATCH_REFS_H
#define BATCH_REFS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "batch_json.h"

/* ------------------------------------------------------------------ */
/* Parse time                                                         */

/** Where a text sits, for batch_refs_scan(). */
typedef enum {
    BATCH_REFS_IN_URL = 0, /* an item url: "$ID" prefix and "@{...}" */
    BATCH_REFS_IN_TEXT     /* a header value or a body string: "@{...}" */
} batch_refs_where_t;

/** One id a reference names: bytes of the text scanned (not copied, not
 *  NUL terminated). Ids compare as item ids do: ASCII case-insensitive. */
typedef struct batch_refs_id_t {
    const char *id;
    apr_size_t len;
} batch_refs_id_t;

/**
 * Find the references in s[0..len) and check their syntax. "@{" starts
 * a reference, which runs to the next "}": an id (no '.', '[', ']',
 * '{'), then one or more steps, ".name" (a member; no '.', '[', ']',
 * '{' in it) or "[n]" (an array element; n decimal without leading
 * zeros, at most 9 digits). In a url, a '$' as its first character
 * makes everything up to the first '/' or '?' (or the end) an id too.
 * @param pn    if not NULL, the number of references found
 * @param ids   if not NULL, an array of batch_refs_id_t: each id named
 *              is appended (repeats included), pointing into s
 * @param why   on failure a phrase completing "<field> ...", e.g.
 *              "holds a malformed reference \"@{1.\": an empty member
 *              name", from p
 * @return APR_SUCCESS, or APR_EINVAL for a malformed reference
 */
apr_status_t batch_refs_scan(int *pn, apr_array_header_t *ids, const char **why,
                             const char *s, apr_size_t len,
                             batch_refs_where_t where, apr_pool_t *p);

/**
 * batch_refs_scan() over every string value (not member names) of the
 * JSON value v, e.g. an item's body as the parser read it.
 * @param depth  deepest nesting walked (v's own, so at most the reader's)
 */
apr_status_t batch_refs_scan_json(int *pn, apr_array_header_t *ids,
                                  const char **why, const batch_json_t *v,
                                  int depth, apr_pool_t *p);

/**
 * url with its references replaced by placeholders: a "$ID" prefix by
 * "/-", each "@{...}" by "-", so that the parser can give the static part
 * of a referring url the checks of CONTRACT 3 (scheme, fragment,
 * characters, BatchBase). The url must have passed batch_refs_scan().
 * @return the template, from p (url itself when it holds no reference)
 */
const char *batch_refs_url_template(const char *url, apr_pool_t *p);

/* ------------------------------------------------------------------ */
/* Run time                                                           */

/** What a referring item may use of an earlier item's result. The
 *  strings belong to the caller and must live as long as the resolver
 *  (the referenced item's pool is kept until its last referrer ran). */
typedef struct batch_refs_src_t {
    int status;               /* the item's status; 0 when it did not run */
    const char *location;     /* its Location response header, or NULL */
    const char *uri;          /* its own resolved uri (relative Locations
                                 are resolved against it), or NULL */
    const char *body;         /* its response body, or NULL */
    apr_size_t body_len;      /* bytes of body */
    const char *content_type; /* media type of body, or NULL */
} batch_refs_src_t;

/**
 * The result of the item a reference names (id bytes as written, any
 * case), or NULL when there is none (the parser lets only ids from
 * dependsOn through, so NULL means the item is not at hand).
 */
typedef const batch_refs_src_t *batch_refs_lookup_fn(void *ctx, const char *id,
                                                     apr_size_t len);

/** How references are resolved for one item. */
typedef struct batch_refs_env_t {
    batch_refs_lookup_fn *lookup;
    void *ctx;            /* for lookup */
    const char *base;     /* BatchBase, normalized ("" for "/") */
    const char *scheme;   /* this server, for absolute Locations: "http" */
    const char *host;     /* its name as in a url ("[::1]" for IPv6) */
    int port;             /* its port */
    apr_size_t max_url;   /* most bytes of a resolved url; 0: no limit */
    apr_size_t max_value; /* most bytes of a resolved header value */
    apr_size_t max_body;  /* most bytes of a resolved JSON body */
} batch_refs_env_t;

/** A resolver for one item: keeps each referenced body it has read (once,
 *  lazily, when a "@{...}" first names it). */
typedef struct batch_refs_t batch_refs_t;

/**
 * @param env  copied; the strings it points to must outlive the resolver
 * @param p    the referring item's pool: owns the resolver, the parsed
 *             referenced bodies and every resolved copy
 */
batch_refs_t *batch_refs_make(const batch_refs_env_t *env, apr_pool_t *p);

/**
 * Resolve an item url: "$ID" becomes the path of ID's Location (a path,
 * an absolute URL of this server, or relative to ID's own uri; it must
 * lie under BatchBase), each "@{...}" its value percent-encoded as one
 * path segment or query value (all but A-Z a-z 0-9 - . _ ~ encoded). A
 * value that would make a whole segment empty, "." or ".." fails. The
 * result then passes batch_parse_resolve_url() under env->base.
 * @param puri  the resolved absolute path[?query], from the resolver's
 *              pool
 * @param why   on failure "the reference \"...\" cannot be resolved:
 *              <reason>" (or why the resolved url was refused), from it
 * @return APR_SUCCESS, or APR_EINVAL (the item fails with 424)
 */
apr_status_t batch_refs_url(const char **puri, const char **why,
                            batch_refs_t *rs, const char *url);

/**
 * Resolve a header value: each "@{...}" becomes its value as text (a
 * string's characters, a number as written, true or false; null, an
 * object or an array fail); the result must be a valid header value (no
 * control character but tab) of at most env->max_value bytes.
 * @param pval  NUL terminated, from the resolver's pool; *plen its length
 */
apr_status_t batch_refs_header(const char **pval, apr_size_t *plen,
                               const char **why, batch_refs_t *rs,
                               const char *value, apr_size_t len);

/**
 * Resolve the references in the string values of a JSON body (the item's
 * body text as the client wrote it). A string that is exactly one
 * reference becomes the referenced JSON value itself (any type, copied
 * as the earlier item's body wrote it); in a longer string a string,
 * number or boolean is spliced in as text, JSON-escaped. Everything else
 * is copied byte for byte. The result is at most env->max_body bytes.
 * @param pbody  from the resolver's pool; *plen its length
 */
apr_status_t batch_refs_body(const char **pbody, apr_size_t *plen,
                             const char **why, batch_refs_t *rs,
                             const char *body, apr_size_t len);

#endif /* BATCH_REFS_H */
