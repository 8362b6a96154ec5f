/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_item.h: the rules of CONTRACT 3, 4 and 5 for one item, callable
 * with plain pointers and lengths, so that every wire format (JSON's
 * members, multipart's request lines and part headers) applies the same
 * rule with the same message. A format reads its syntax, then hands each
 * field to these checks; what passes is copied into the item (from
 * c->p). Pure: APR only.
 *
 * Messages name the item ("requests[2] (id \"3\"): ...") and the field
 * as the format calls it: the field argument is both the batch_error_t's
 * field and the quoted name in the message ("\"url\" must not contain a
 * fragment"), so JSON passes "url" and a multipart reader may pass its
 * own name for the same thing.
 */
#ifndef BATCH_ITEM_H
#define BATCH_ITEM_H

#include "batch_types.h"
#include "batch_hints.h"

/** Where the checks of one parse put what they keep and what they
 *  refuse. */
typedef struct batch_check_t {
    apr_pool_t *p;             /* owns the batch and the error */
    apr_pool_t *tp;            /* scratch, dies at the end of the parse */
    const batch_limits_t *lim; /* never NULL */
    batch_error_t *err;        /* filled on refusal; may be NULL */
    int utf8_checked;          /* 1 when the format's reader hands over
                                  only valid UTF-8 (JSON's does): the id
                                  check then skips that test; 0 (the
                                  safe default) checks it */
} batch_check_t;

/**
 * The one way a check refuses: fills c->err with 400 BadRequest and the
 * message "requests[index] (id \"id\"): <fmt...>" (no prefix for
 * index < 0, no id part for id NULL; id must have passed
 * batch_item_set_id). Everything is copied into c->p.
 * @return APR_EINVAL, always
 */
apr_status_t batch_item_fail(const batch_check_t *c, int index, const char *id,
                             const char *field, const char *fmt, ...)
    BATCH_PRINTF(5, 6);

/** A client string fit for a message: JSON-escaped and cut after 64
 *  characters ("..."). s must be valid UTF-8. From p. */
const char *batch_item_quote(const char *s, apr_size_t len, apr_pool_t *p);

/**
 * The one control-character rule (ids, urls, BatchBase, header values):
 * C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F, in UTF-8
 * C2 80 .. C2 9F; NEL is C2 85) are control characters. tab_ok lets
 * HTAB pass, as RFC 9110 allows it inside a field value.
 * @return 1 when s[0..len) holds a control character
 */
int batch_item_has_ctl(const char *s, apr_size_t len, int tab_ok);

/** The same rule at one position of s, left > 0 bytes before its end:
 *  the length of the control character there (1, or 2 for C1), else 0.
 *  For scanners that check several rules in one pass (urls); inline, as
 *  it runs for every byte of every url and header value. */
static inline apr_size_t batch_item_ctl_at(const char *s, apr_size_t left)
{
    const unsigned char *u = (const unsigned char *)s;

    if (u[0] < 0x20 || u[0] == 0x7F) {
        return 1;
    }
    if (u[0] == 0xC2 && left > 1 && u[1] >= 0x80 && u[1] <= 0x9F) {
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* One item: each check fills its part of it (it->index must be set)   */

/** id: 1 to BATCH_MAX_ID_CHARS characters of valid UTF-8, no control
 *  character. Sets it->id. Uniqueness is batch-wide (below). */
apr_status_t batch_item_set_id(const batch_check_t *c, batch_item_t *it,
                               const char *field, const char *s,
                               apr_size_t len);

/** An atomicity group's name (JSON's atomicityGroup): the rules of an
 *  id. Sets it->group. Call after batch_item_set_id (messages name the
 *  item). */
apr_status_t batch_item_set_group(const batch_check_t *c, batch_item_t *it,
                                  const char *field, const char *s,
                                  apr_size_t len);

/** method: an HTTP token; stored upper-cased in it->method. */
apr_status_t batch_item_set_method(const batch_check_t *c, batch_item_t *it,
                                   const char *field, const char *s,
                                   apr_size_t len);

/** url: no control character (NUL included), then
 *  batch_parse_resolve_url() under c->lim->base. Sets it->url (as sent)
 *  and it->uri (resolved). With c->lim->references (CONTRACT 10) its
 *  references must be well-formed; a url with references sets
 *  BATCH_ITEM_REFS_URL in it->refs and is checked in its template's
 *  shape ("$1/x" as "/-/x", it->uri then holds that), whole once they
 *  are resolved, before it runs. */
apr_status_t batch_item_set_url(const batch_check_t *c, batch_item_t *it,
                                const char *field, const char *s,
                                apr_size_t len);

/** The item carries n distinct header names: refused above
 *  LimitRequestFields (c->lim->max_fields). Call before adding them. */
apr_status_t batch_item_check_nheaders(const batch_check_t *c,
                                       const batch_item_t *it,
                                       const char *field, apr_size_t n);

/**
 * One item header: the name a token and not in the forbidden list of
 * CONTRACT 4, the value free of control characters except tab, name +
 * ": " + value within LimitRequestFieldSize. Added to it->headers
 * (which must exist), both copied into c->p. With value NULL only the
 * name is checked and nothing is added (for a format that must refuse
 * the value's own syntax after the name's rules). With
 * c->lim->references the value's references must be well-formed; a
 * value with references sets BATCH_ITEM_REFS_HEADERS in it->refs.
 */
apr_status_t batch_item_add_header(const batch_check_t *c, batch_item_t *it,
                                   const char *field, const char *name,
                                   apr_size_t nlen, const char *value,
                                   apr_size_t vlen);

/** 1 when an item may not set header name (CONTRACT 4; any case). */
int batch_item_forbidden_header(const char *name);

/**
 * CONTRACT 5: the item has a body. Sets it->has_body and it->body_type
 * (the item's own Content-Type, else "text/plain; charset=utf-8" for a
 * body given as a string, "application/json" otherwise) and returns its
 * media class; the format then stores the bytes in it->body/body_len.
 */
batch_media_t batch_item_body_type(batch_item_t *it, int is_string);

/* ------------------------------------------------------------------ */
/* Batch-wide: ids are unique (case-insensitive), dependsOn names an    */
/* earlier item                                                         */

/** Folded id -> index of the first item with it; lives in c->tp. */
typedef struct batch_ids_t batch_ids_t;

batch_ids_t *batch_ids_make(apr_pool_t *tp);

/** Forget every id (the table is reused). */
void batch_ids_clear(batch_ids_t *ids);

/** Record that item index has this id (the first index of an id wins).
 *  A format that reports errors in item order records every id first
 *  and checks each item in its turn. */
void batch_ids_add(batch_ids_t *ids, const char *id, apr_size_t len, int index);

/** Record that item index has this id, replacing what an earlier call
 *  recorded for it: one hash operation instead of two. A format that
 *  goes over its items from the last to the first gets the first index
 *  of every id, as batch_ids_add() would give. */
void batch_ids_set(batch_ids_t *ids, const char *id, apr_size_t len, int index);

/** batch_ids_add() that tells what it found: the index the id already
 *  had (an earlier item's), or -1 when it was new and is now index's.
 *  A format that goes over its items in order learns each duplicate
 *  there, with one fold of the id. */
int batch_ids_claim(batch_ids_t *ids, const char *id, apr_size_t len,
                    int index);

/** The index of the first item with this id (any case), or -1. */
int batch_ids_find(const batch_ids_t *ids, const char *id, apr_size_t len);

/** Record that item index belongs to atomicity group g[0..len) (any
 *  case), the lowest index winning whatever the order of the calls, so
 *  that
 *  batch_item_add_dep() can take the group's name (JSON's dependsOn). */
/** The first item of atomicity group g[0..len) (any case), recorded
 *  with batch_ids_add_group(), or -1. */
int batch_ids_find_group(const batch_ids_t *ids, const char *g, apr_size_t len);

void batch_ids_add_group(batch_ids_t *ids, const char *g, apr_size_t len,
                         int index);

/** Refuses it when an earlier item has its id (it->id set). */
apr_status_t batch_item_check_unique(const batch_check_t *c,
                                     const batch_ids_t *ids,
                                     const batch_item_t *it, const char *field);

/**
 * One entry of it's dependsOn names item id s[0..len): it must be an
 * earlier item (not itself, not a later one, not unknown). Appended to
 * it->deps once; deps grows from c->p when its it->ndeps_max entries
 * are taken (a format may start with deps NULL, or with room for every
 * entry). When s is no id but the name of an atomicity group recorded
 * with batch_ids_add_group() (CONTRACT 9), the whole group must lie
 * before the item (not its own group, not a later one) and every item
 * of it becomes a dependency (items before it->index must have their
 * group set).
 */
apr_status_t batch_item_add_dep(const batch_check_t *c, const batch_ids_t *ids,
                                batch_item_t *it, const char *field,
                                const char *s, apr_size_t len);

/* ------------------------------------------------------------------ */
/* References (CONTRACT 10, only with c->lim->references)              */

/**
 * Call once per item after its url, headers and dependsOn (it->deps) are
 * set: every item that the references of its url (batch_item_set_url)
 * and header values (batch_item_add_header) name must be in it->deps
 * (the format's own dependencies: JSON's dependsOn, every earlier item of
 * an OData multipart batch), else a 400 naming url_field or
 * headers_field. Lists them in it->refd (it->nrefs), each once. Costs
 * nothing for an item without references (it->refs 0).
 */
apr_status_t batch_item_check_refs(const batch_check_t *c,
                                   const batch_ids_t *ids, batch_item_t *it,
                                   const char *url_field,
                                   const char *headers_field);

/**
 * batch_item_check_refs() for a format in which every earlier item may be
 * referred to (an OData multipart batch, CONTRACT 10): each earlier item
 * a reference names first becomes a dependency of it (so it runs after
 * it, and a failed one makes it 424), then the check runs as usual
 * (unknown and later ids are a 400).
 */
apr_status_t batch_item_check_refs_earlier(const batch_check_t *c,
                                           const batch_ids_t *ids,
                                           batch_item_t *it,
                                           const char *url_field,
                                           const char *headers_field);

/**
 * The same for references a format found in a field of its own (JSON's
 * body, with batch_refs_scan_json()), after it->deps is set: found
 * holds batch_refs_id_t (batch_refs.h); each must name an item in
 * it->deps (else a 400 naming field); they join it->refd, and flag
 * (BATCH_ITEM_REFS_*) is set in it->refs when found is not empty.
 */
apr_status_t batch_item_add_refs(const batch_check_t *c, const batch_ids_t *ids,
                                 batch_item_t *it, const char *field,
                                 unsigned flag,
                                 const apr_array_header_t *found);

/** For a format that sets every id first: refuses the first item (in
 *  order) whose id an earlier item has; field as in
 *  batch_item_check_unique. */
apr_status_t batch_check_unique_ids(const batch_check_t *c, const batch_t *b,
                                    const char *field);

/* ------------------------------------------------------------------ */
/* Atomicity groups and order (CONTRACT 8, 9)                         */

/**
 * CONTRACT 9, once a format has filled every item (it->group set, from
 * c->p, for the members of a group; ids and deps set). Refuses (400
 * through batch_item_fail) a batch holding a group unless
 * c->lim->atomicity_ordered (the message names BatchAtomicity), a group
 * whose items are not adjacent (naming the item and "atomicityGroup"),
 * and a group id equal to an item id (any case: OData gives ids and
 * group names one namespace, and a dependsOn entry must name one thing).
 * Then chains the items of each group: every item after the first gets
 * the previous one as a hard dependency (added to deps once), so they
 * run in request order and a failure gives the rest 424, transitively.
 * Grows it->deps as needed (from c->p, see ndeps_max).
 */
apr_status_t batch_item_groups(batch_t *b, const batch_check_t *c);

/**
 * The OData order of CONTRACT 8: the top-level units (one item, or all
 * items of an adjacent group) run one after another in request order.
 * The first item of each unit waits for the last item of the previous
 * unit: as a hard dependency when stop_on_failure (after a failure every
 * later unit is 424), else only through it->after (every unit runs).
 * Call after batch_item_groups(); grows deps from pool p.
 */
void batch_item_order(batch_t *b, int stop_on_failure, apr_pool_t *p);

#endif /* BATCH_ITEM_H */
