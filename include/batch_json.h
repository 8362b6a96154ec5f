/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_json.h: the strict JSON reader the parser reads the batch request
 * with. One pass over the text builds a small tree in an APR pool: no
 * malloc, no pre-pass, no json-c. Pure: APR only.
 */
#ifndef BATCH_JSON_H
#define BATCH_JSON_H

#include <apr_pools.h>

/** Node types. */
typedef enum {
    BATCH_JSON_NULL = 0,
    BATCH_JSON_FALSE,
    BATCH_JSON_TRUE,
    BATCH_JSON_NUMBER,
    BATCH_JSON_STRING,
    BATCH_JSON_ARRAY,
    BATCH_JSON_OBJECT
} batch_json_type_t;

/* batch_json_t.flags: a STRING holds U+0000 (written \u0000). */
#define BATCH_JSON_F_NUL 0x1
/* batch_json_t.flags: an OBJECT has a member name holding U+0000. */
#define BATCH_JSON_F_NUL_NAME 0x2
/* batch_json_t.flags: the value was only checked (a hook said
 * BATCH_JSON_SPAN): type, start and end are set; n is 0, u is NULL, and
 * nothing inside it was kept. */
#define BATCH_JSON_F_SPAN 0x4

typedef struct batch_json_member_t batch_json_member_t;
typedef struct batch_json_t batch_json_t;

/**
 * One JSON value. start and end are the value's byte span [start, end) in
 * the source text, without the whitespace around it, so a value can be
 * copied out verbatim.
 */
struct batch_json_t {
    batch_json_type_t type;
    unsigned flags;   /* BATCH_JSON_F_* */
    apr_size_t start; /* first byte of the value in the source */
    apr_size_t end;   /* one past its last byte */
    apr_size_t n;     /* STRING: decoded bytes; NUMBER: bytes of its text;
                         ARRAY: elements; OBJECT: members (duplicates
                         included); 0 otherwise */
    union {
        /* STRING: the decoded UTF-8 bytes, n of them, NOT NUL terminated:
         * a string without escapes points into the source text, one with
         * escapes into the pool; may hold NUL bytes (BATCH_JSON_F_NUL).
         * NUMBER: the number's text inside the source, exactly as
         * written: no range limit. */
        const char *str;
        batch_json_t *elts;           /* ARRAY: n elements, in order */
        batch_json_member_t *members; /* OBJECT: n members, in order */
    } u;
};

/** One member of an object: its decoded name and its value. */
struct batch_json_member_t {
    const char *name;    /* decoded UTF-8 as for a STRING: name_len bytes,
                            NOT NUL terminated, in the source or the pool */
    apr_size_t name_len; /* bytes; the name may hold NUL (see
                            BATCH_JSON_F_NUL_NAME on the object) */
    batch_json_t value;
};

/**
 * Read s[0..len) as exactly one JSON text (RFC 8259, strictly): JSON
 * whitespace around the value and nothing else; no NUL byte anywhere
 * (a \u0000 escape inside a string is kept); strings well-formed UTF-8
 * without raw control characters; escapes decoded, surrogate pairs
 * joined, a lone surrogate escape refused (it is no character, and every
 * string must be valid UTF-8); numbers by the RFC's grammar, with no
 * range limit; true, false and null in lower case only; containers
 * nested at most depth levels ("[]" is one level).
 * @param pvalue the root; it, every node and array, and every string
 *               with escapes are allocated from p; numbers and strings
 *               without escapes point into s, which must outlive the tree
 * @param why    on failure a phrase that completes "the document ...",
 *               e.g. "is not valid JSON: a string contains a raw control
 *               character at byte 12", from p
 * @param pat    on failure the byte offset of the problem (may be NULL)
 * @param depth  deepest nesting accepted, >= 1
 * @return APR_SUCCESS or APR_EINVAL
 */
apr_status_t batch_json_parse(const batch_json_t **pvalue, const char **why,
                              apr_size_t *pat, const char *s, apr_size_t len,
                              int depth, apr_pool_t *p);

/** What the reader does with one value, as a hook decides. */
typedef enum {
    BATCH_JSON_KEEP = 0, /* read it into the tree */
    BATCH_JSON_SPAN,     /* check it only: the tree holds its type and span
                            (BATCH_JSON_F_SPAN), nothing inside it, and a
                            string is not decoded */
    BATCH_JSON_DROP,     /* check it only and leave it out of its container
                            (a member or element that nobody reads) */
    BATCH_JSON_WALK      /* a container: leave it out of its parent as DROP
                            does, but ask the hook about each value inside
                            (what the hook keeps there is lost when the
                            container closes: a walk keeps nothing) */
} batch_json_keep_t;

/** One value about to be read, as a hook sees it (in), and the hook's
 *  answer (out). Values inside a SPAN or DROP value reach no hook. */
typedef struct batch_json_at_t {
    /* in */
    int ptag;     /* tag of the container the value is in, 0 at the root */
    apr_size_t k; /* its index among the container's values in the text */
    const batch_json_member_t *kept; /* the container's slots so far (their
                                        values complete; for an array only
                                        .value is set); they stay readable
                                        as they are now until the reader
                                        returns */
    apr_size_t nkept;                /* how many */
    const char *name;    /* in an object: the member's decoded name (NOT NUL
                            terminated, may hold NUL); else NULL */
    apr_size_t name_len; /* bytes of name */
    int name_nul;        /* name holds U+0000 (written \u0000) */
    unsigned char c;     /* the value's first byte, not yet checked */
    apr_size_t at;       /* its offset in the text */
    /* out, preset to KEEP, 0, none */
    batch_json_keep_t keep;
    int tag;            /* the tag of the container the value opens */
    apr_size_t replace; /* < nkept: the value goes into that slot instead
                           of a new one (a duplicate member name keeps
                           its first place) */
} batch_json_at_t;

/**
 * Called before each value is read, so that a reader of a known shape
 * keeps only what it uses and refuses as soon as a rule is broken.
 * @return APR_SUCCESS, or an error that ends the parse with it (the
 *         hook reports why; the reader's why is then NULL)
 */
typedef apr_status_t batch_json_hook_fn(void *ctx, batch_json_at_t *at);

/**
 * batch_json_parse() asking hook about each value outside SPAN and
 * DROP values: memory then grows with what the hook keeps, not with the
 * text. Every byte is still checked as strictly.
 */
apr_status_t batch_json_parse_hooked(const batch_json_t **pvalue,
                                     const char **why, apr_size_t *pat,
                                     const char *s, apr_size_t len, int depth,
                                     batch_json_hook_fn *hook, void *ctx,
                                     apr_pool_t *p);

/**
 * The one string at s[at] (its opening '"'), checked and decoded as
 * batch_json_parse() would (escapes into p, else pointing into s), for a
 * hook that needs a string's value before the reader has read it.
 * @param pend  if not NULL, one past the closing quote
 * @return APR_SUCCESS, or APR_EINVAL when it is no valid string (the
 *         reader then says why)
 */
apr_status_t batch_json_string_at(const char **pstr, apr_size_t *pn,
                                  apr_size_t *pend, const char *s,
                                  apr_size_t len, apr_size_t at, apr_pool_t *p);

/**
 * One string value of a text, for batch_json_each_string().
 * @param str   decoded (escapes into the walk's pool, else pointing into
 *              the text): n bytes, NOT NUL terminated, may hold NUL;
 *              lives as long as that pool and the text
 * @param start the string's span [start, end) in the text, quotes
 *              included, e.g. to splice a replacement in
 * @return APR_SUCCESS to go on; anything else ends the walk with it
 */
typedef apr_status_t batch_json_string_fn(void *ctx, const char *str,
                                          apr_size_t n, apr_size_t start,
                                          apr_size_t end);

/**
 * Check s[0..len) as batch_json_parse() does and call fn for every
 * string value in it (not member names), in text order, without building
 * a tree: memory stays at the strings with escapes, whatever the text's
 * shape. For a body the parse kept as its span (BATCH_JSON_F_SPAN), e.g.
 * to find references in its strings (CONTRACT 10).
 * @param why  as for batch_json_parse(); NULL when fn ended the walk
 * @return APR_SUCCESS, APR_EINVAL for text that is no JSON, or what fn
 *         returned
 */
apr_status_t batch_json_each_string(const char *s, apr_size_t len, int depth,
                                    batch_json_string_fn *fn, void *ctx,
                                    const char **why, apr_pool_t *p);

/**
 * The value of member name in object obj, by a linear scan. With
 * duplicate names the LAST one wins (json-c's rule, which earlier
 * versions of mod_batch followed). NULL when obj is not an object or has
 * no such member.
 * @param name_len bytes of name (a name may hold NUL)
 */
const batch_json_t *batch_json_getn(const batch_json_t *obj, const char *name,
                                    apr_size_t name_len);

/** batch_json_getn() with a NUL terminated name. */
const batch_json_t *batch_json_get(const batch_json_t *obj, const char *name);

#endif /* BATCH_JSON_H */
