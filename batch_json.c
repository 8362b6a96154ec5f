/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_json.c: the strict JSON reader under the first stage of parse ->
 * schedule -> dispatch -> encode. batch_parse.c hands it the batch
 * request; it checks the text against RFC 8259 and builds the tree in the
 * same single pass, in an APR pool, without recursion: the grammar,
 * well-formed UTF-8, no raw control characters or NUL bytes, the nesting
 * limit, nothing after the value. Strings are decoded (surrogate pairs
 * joined, lone surrogates refused); numbers stay the text they were
 * written as; every value remembers its byte span, so that an item body
 * can be forwarded as the very bytes the client sent. Pure: APR only, no
 * malloc, no logging.
 */

#include <string.h>

#include <apr_strings.h>

#include "batch_util.h"
#include "batch_json.h"

/* No slot: the value is dropped (or its container is only checked). */
#define NO_SLOT ((apr_size_t)-1)

/* An open container: where it started and where its members begin on the
 * reader's stack. */
typedef struct frame_t {
    batch_json_type_t type; /* BATCH_JSON_ARRAY or BATCH_JSON_OBJECT */
    unsigned flags;
    int tag;  /* the hook's tag for this container */
    int skip; /* only checked: no slots, no hook calls inside */
    apr_size_t start;
    apr_size_t base;
    apr_size_t k;    /* values begun in the text so far */
    apr_size_t slot; /* the slot of the value being read, or NO_SLOT */
} frame_t;

typedef struct reader_t {
    const unsigned char *s;
    apr_size_t len;
    apr_pool_t *p;
    /* members (or elements, name unused) of every open container, the
     * innermost last; copied out into an exact-size array on close */
    batch_json_member_t *stack;
    apr_size_t sp, cap;
    frame_t *frames;
    int nframes, fcap;
    frame_t *top;         /* the innermost open container, NULL at the root */
    batch_json_t *root;   /* the document's value */
    batch_json_t scratch; /* a value no slot keeps */
    /* the name read last in an object, for its value's slot */
    const char *name;
    apr_size_t name_len;
    int name_nul;
    batch_json_hook_fn *hook;
    void *hook_ctx;
    const char *why;
    apr_size_t at;
} reader_t;

/* ------------------------------------------------------------------ */
/* errors                                                             */
/* ------------------------------------------------------------------ */

static apr_status_t fail_at(reader_t *r, apr_size_t at, const char *prefix,
                            const char *what)
{
    r->at = at;
    r->why =
        apr_psprintf(r->p, "%s%s at byte %" APR_SIZE_T_FMT, prefix, what, at);
    return APR_EINVAL;
}

static apr_status_t bad(reader_t *r, apr_size_t at, const char *what)
{
    return fail_at(r, at, "is not valid JSON: ", what);
}

static apr_status_t bad_end(reader_t *r)
{
    return bad(r, r->len, "unexpected end of data");
}

/* An unexpected byte at i: a NUL byte and broken UTF-8 have their own
 * reasons wherever they appear; otherwise what was expected. */
static apr_status_t bad_char(reader_t *r, apr_size_t i, const char *what)
{
    if (i >= r->len) {
        return bad_end(r);
    }
    if (r->s[i] == '\0') {
        return bad(r, i, "contains a NUL byte");
    }
    if (r->s[i] >= 0x80 && batch_util_utf8_seq(r->s, i, r->len) == 0) {
        return fail_at(r, i, "", "is not valid UTF-8");
    }
    return bad(r, i, what);
}

/* ------------------------------------------------------------------ */
/* strings                                                            */
/* ------------------------------------------------------------------ */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* The 4 hex digits at s[i]; -1 when they are not. The caller made sure
 * they are inside the text. */
static long hex4(const unsigned char *s, apr_size_t i)
{
    long v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        int h = hex_value(s[i + k]);
        if (h < 0) {
            return -1;
        }
        v = (v << 4) | h;
    }
    return v;
}

/* Check the \u escape at s[i] == '\\' (s[i + 1] == 'u'): its length (6,
 * or 12 for a surrogate pair), or 0 after filling the error. */
static apr_size_t check_u_escape(reader_t *r, apr_size_t i, unsigned *flags)
{
    const unsigned char *s = r->s;
    apr_size_t len = r->len, k;
    long cp, lo;

    for (k = i + 2; k < i + 6; k++) {
        if (k >= len) {
            bad_end(r);
            return 0;
        }
        if (hex_value(s[k]) < 0) {
            bad_char(r, k, "a \\u escape needs 4 hex digits");
            return 0;
        }
    }
    cp = hex4(s, i + 2);
    if (cp == 0) {
        *flags |= BATCH_JSON_F_NUL;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        bad(r, i, "a string holds a lone surrogate escape (not a character)");
        return 0;
    }
    if (cp < 0xD800 || cp > 0xDBFF) {
        return 6;
    }
    /* a high surrogate must be followed by a low one */
    lo = (len - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u') ? hex4(s, i + 8)
                                                                : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) {
        bad(r, i, "a string holds a lone surrogate escape (not a character)");
        return 0;
    }
    return 12;
}

static char *put_utf8(char *o, apr_uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    }
    else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decode the checked string body s[b..e) with its escapes into out; no
 * escape makes the text longer, so out has e - b + 1 bytes. */
static apr_size_t decode(char *out, const unsigned char *s, apr_size_t b,
                         apr_size_t e)
{
    char *o = out;

    while (b < e) {
        const unsigned char *bs = memchr(s + b, '\\', e - b);
        apr_size_t run = bs ? (apr_size_t)(bs - (s + b)) : e - b;
        apr_uint32_t cp;

        memcpy(o, s + b, run);
        o += run;
        b += run;
        if (b >= e) {
            break;
        }
        switch (s[b + 1]) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            cp = (apr_uint32_t)hex4(s, b + 2);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10)
                     + ((apr_uint32_t)hex4(s, b + 8) - 0xDC00);
                b += 6;
            }
            o = put_utf8(o, cp);
            b += 4;
            break;
        default: /* '"', '\\', '/' */
            *o++ = (char)s[b + 1];
            break;
        }
        b += 2;
    }
    *o = '\0';
    return (apr_size_t)(o - out);
}

/* The string at s[*pi] == '"': checked, then decoded into the pool when it
 * has escapes, else left where it is; *pi moves past the closing quote.
 * With pstr NULL the string is only checked. */
static apr_status_t read_string_slow(reader_t *r, apr_size_t *pi,
                                     const char **pstr, apr_size_t *pn,
                                     unsigned *flags);

/* Most strings are plain up to their closing quote: one scan inlined in
 * the caller, the full reader only for the others. */
static BATCH_INLINE apr_status_t read_string(reader_t *r, apr_size_t *pi,
                                             const char **pstr, apr_size_t *pn,
                                             unsigned *flags)
{
    apr_size_t b = *pi + 1, i = batch_util_json_plain_run(r->s, b, r->len);

    if (i < r->len && r->s[i] == '"') {
        if (pstr) {
            *pstr = (const char *)r->s + b;
            *pn = i - b;
        }
        *pi = i + 1;
        return APR_SUCCESS;
    }
    return read_string_slow(r, pi, pstr, pn, flags);
}

static apr_status_t read_string_slow(reader_t *r, apr_size_t *pi,
                                     const char **pstr, apr_size_t *pn,
                                     unsigned *flags)
{
    const unsigned char *s = r->s;
    apr_size_t len = r->len, b = *pi + 1, i = b;
    int escaped = 0;
    char *out;

    for (;;) {
        unsigned char c;

        i = batch_util_json_plain_run(s, i, len);
        if (i >= len) {
            return bad_end(r);
        }
        c = s[i];
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            apr_size_t n = 2;

            if (i + 1 >= len) {
                return bad_end(r);
            }
            switch (s[i + 1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            case 'u':
                if ((n = check_u_escape(r, i, flags)) == 0) {
                    return APR_EINVAL;
                }
                break;
            default:
                return bad_char(r, i + 1, "a string has an invalid escape");
            }
            escaped = 1;
            i += n;
        }
        else if (c >= 0x80) {
            apr_size_t n = batch_util_utf8_seq(s, i, len);

            if (n == 0) {
                return fail_at(r, i, "", "is not valid UTF-8");
            }
            i += n;
        }
        else if (c == '\0') {
            return bad(r, i, "contains a NUL byte");
        }
        else {
            return bad(r, i, "a string contains a raw control character");
        }
    }
    if (!pstr) {
        /* only checked (a value nobody reads): nothing to decode */
    }
    else if (escaped) {
        out = apr_palloc(r->p, i - b + 1);
        *pn = decode(out, s, b, i);
        *pstr = out;
    }
    else {
        /* most strings: the text itself is the value, no copy */
        *pstr = (const char *)s + b;
        *pn = i - b;
    }
    *pi = i + 1;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* numbers and words                                                  */
/* ------------------------------------------------------------------ */

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* The number at s[*pi] by RFC 8259's grammar (batch_util_json_number);
 * no range limit, the text is what is kept. */
static apr_status_t read_number(reader_t *r, apr_size_t *pi)
{
    apr_size_t i = *pi;
    const char *why = batch_util_json_number(r->s, r->len, &i);

    if (why) {
        return bad_char(r, i, why);
    }
    *pi = i;
    return APR_SUCCESS;
}

#define IS_ALNUM(c)                                                            \
    (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

/* A word at s[*pi] (a letter): true, false or null, nothing else (no NaN,
 * no Infinity, no True). */
static apr_status_t read_word(reader_t *r, apr_size_t *pi,
                              batch_json_type_t *type)
{
    const unsigned char *s = r->s;
    apr_size_t i = *pi, j = i;

    while (j < r->len && IS_ALNUM(s[j])) {
        j++;
    }
    if (j - i == 4 && !memcmp(s + i, "true", 4)) {
        *type = BATCH_JSON_TRUE;
    }
    else if (j - i == 5 && !memcmp(s + i, "false", 5)) {
        *type = BATCH_JSON_FALSE;
    }
    else if (j - i == 4 && !memcmp(s + i, "null", 4)) {
        *type = BATCH_JSON_NULL;
    }
    else {
        return bad(r, i, "a word that is not true, false or null");
    }
    *pi = j;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* containers                                                         */
/* ------------------------------------------------------------------ */

#define IS_WS(c) ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')

/* Every whitespace byte is <= ' ': compact JSON costs one test. */
static inline apr_size_t skip_ws(const unsigned char *s, apr_size_t i,
                                 apr_size_t len)
{
    while (i < len && s[i] <= ' ' && IS_WS(s[i])) {
        i++;
    }
    return i;
}

/* Room for one more member of the innermost container; its slot is
 * stack[sp - 1] afterwards. The old stack stays in the pool: doubling
 * keeps that below the size of the final one. */
static batch_json_member_t *push_slot(reader_t *r)
{
    if (r->sp == r->cap) {
        batch_json_member_t *n = apr_palloc(r->p, 2 * r->cap * sizeof(*n));
        memcpy(n, r->stack, r->sp * sizeof(*n));
        r->stack = n;
        r->cap *= 2;
    }
    return &r->stack[r->sp++];
}

/* Where the value being read in f (NULL: the document's) goes: its slot,
 * or the scratch value when nothing keeps it. */
static inline batch_json_t *dest(reader_t *r, const frame_t *f)
{
    if (!f) {
        return r->root;
    }
    return f->slot == NO_SLOT ? &r->scratch : &r->stack[f->slot].value;
}

static apr_status_t open_container(reader_t *r, batch_json_type_t type,
                                   apr_size_t at, int depth, int tag, int skip)
{
    frame_t *f;

    if (r->nframes >= depth) {
        return fail_at(
            r, at, "",
            apr_psprintf(r->p, "is nested deeper than %d levels", depth));
    }
    if (r->nframes == r->fcap) {
        frame_t *n = apr_palloc(r->p, 2 * (apr_size_t)r->fcap * sizeof(*n));
        memcpy(n, r->frames, (apr_size_t)r->nframes * sizeof(*n));
        r->frames = n;
        r->fcap *= 2;
    }
    f = &r->frames[r->nframes++];
    r->top = f;
    f->type = type;
    f->flags = 0;
    f->tag = tag;
    f->skip = skip;
    f->start = at;
    f->base = r->sp;
    f->k = 0;
    f->slot = NO_SLOT;
    return APR_SUCCESS;
}

/* read_name() for any name: escapes, whitespace, errors. */
static apr_status_t read_name_slow(reader_t *r, apr_size_t *pi)
{
    frame_t *f = r->top;
    apr_size_t i = skip_ws(r->s, *pi, r->len);
    unsigned flags = 0;
    apr_status_t rv;

    if (i >= r->len || r->s[i] != '"') {
        return bad_char(r, i, "expected a member name");
    }
    rv = read_string(r, &i, f->skip ? NULL : &r->name, &r->name_len, &flags);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    r->name_nul = (flags & BATCH_JSON_F_NUL) != 0;
    if (r->name_nul) {
        f->flags |= BATCH_JSON_F_NUL_NAME;
    }
    i = skip_ws(r->s, i, r->len);
    if (i >= r->len || r->s[i] != ':') {
        return bad_char(r, i, "expected ':' after a member name");
    }
    *pi = i + 1;
    return APR_SUCCESS;
}

/* A member name at s[*pi] (after whitespace) and its ':'; kept for the
 * slot of its value (in an object only checked, nobody reads it). Most
 * names are plain, right there and followed by ':' at once: one scan,
 * inline. */
static BATCH_INLINE apr_status_t read_name(reader_t *r, apr_size_t *pi)
{
    const unsigned char *s = r->s;
    apr_size_t i = *pi, j;

    if (i < r->len && s[i] == '"') {
        j = batch_util_json_plain_run(s, i + 1, r->len);
        if (j + 1 < r->len && s[j] == '"' && s[j + 1] == ':') {
            r->name = (const char *)s + i + 1;
            r->name_len = j - i - 1;
            r->name_nul = 0;
            *pi = j + 2;
            return APR_SUCCESS;
        }
    }
    return read_name_slow(r, pi);
}

/* The hook's answer about the value at s[i]; the caller filled in where
 * it is (ptag to name_nul). */
static apr_status_t ask_hook(reader_t *r, apr_size_t i, batch_json_at_t *at)
{
    apr_status_t rv;

    at->c = r->s[i];
    at->at = i;
    at->keep = BATCH_JSON_KEEP;
    at->tag = 0;
    at->replace = NO_SLOT;
    if ((rv = r->hook(r->hook_ctx, at)) != APR_SUCCESS) {
        r->why = NULL;
        r->at = i;
    }
    return rv;
}

/* begin_value() for the document's value, which has no container. */
static apr_status_t begin_root(reader_t *r, apr_size_t i,
                               batch_json_keep_t *keep, int *tag)
{
    batch_json_at_t at;
    apr_status_t rv;

    if (!r->hook) {
        return APR_SUCCESS;
    }
    memset(&at, 0, sizeof(at));
    if ((rv = ask_hook(r, i, &at)) != APR_SUCCESS) {
        return rv;
    }
    *keep = at.keep;
    *tag = at.tag;
    return APR_SUCCESS;
}

/* The value at s[i] begins: what the hook makes of it (*keep, and *tag
 * for a container it opens), its slot in the innermost container, and
 * where a scalar is read to (*pv: that slot's value, the document's
 * value, or the scratch value when nothing keeps it). */
static apr_status_t begin_value(reader_t *r, apr_size_t i,
                                batch_json_keep_t *keep, int *tag,
                                batch_json_t **pv)
{
    frame_t *f = r->top;
    batch_json_at_t at;
    batch_json_member_t *m;
    apr_status_t rv;

    *keep = BATCH_JSON_KEEP;
    *tag = 0;
    *pv = &r->scratch;
    if (!f) {
        *pv = r->root;
        return begin_root(r, i, keep, tag);
    }
    if (f->skip) {
        *keep = BATCH_JSON_SPAN;
        return APR_SUCCESS;
    }
    if (r->hook) {
        at.ptag = f->tag;
        at.k = f->k;
        at.kept = r->stack + f->base;
        at.nkept = r->sp - f->base;
        at.name = f->type == BATCH_JSON_OBJECT ? r->name : NULL;
        at.name_len = f->type == BATCH_JSON_OBJECT ? r->name_len : 0;
        at.name_nul = f->type == BATCH_JSON_OBJECT ? r->name_nul : 0;
        if ((rv = ask_hook(r, i, &at)) != APR_SUCCESS) {
            return rv;
        }
        *keep = at.keep;
        *tag = at.tag;
        if (at.replace < at.nkept) {
            /* the slot of an earlier member: json-c's first place */
            f->k++;
            f->slot = f->base + at.replace;
            *pv = &r->stack[f->slot].value;
            return APR_SUCCESS;
        }
    }
    f->k++;
    if (*keep == BATCH_JSON_DROP || *keep == BATCH_JSON_WALK) {
        f->slot = NO_SLOT;
        return APR_SUCCESS;
    }
    m = push_slot(r);
    f->slot = r->sp - 1;
    if (f->type == BATCH_JSON_OBJECT) {
        m->name = r->name;
        m->name_len = r->name_len;
    }
    *pv = &m->value;
    return APR_SUCCESS;
}

/* Close the innermost container at s[end - 1] into its parent's slot
 * (dest()). */
static void close_container(reader_t *r, apr_size_t end)
{
    frame_t *f = r->top;
    apr_size_t n = r->sp - f->base, k;
    batch_json_t *v;

    r->top = --r->nframes ? f - 1 : NULL;
    v = dest(r, r->top);
    v->type = f->type;
    v->flags = f->skip ? BATCH_JSON_F_SPAN : f->flags;
    v->start = f->start;
    v->end = end;
    v->n = f->skip ? 0 : n;
    v->u.elts = NULL;
    if (f->skip || n == 0) {
        return;
    }
    if (f->type == BATCH_JSON_OBJECT) {
        v->u.members = apr_palloc(r->p, n * sizeof(batch_json_member_t));
        memcpy(v->u.members, r->stack + f->base,
               n * sizeof(batch_json_member_t));
    }
    else {
        v->u.elts = apr_palloc(r->p, n * sizeof(batch_json_t));
        for (k = 0; k < n; k++) {
            v->u.elts[k] = r->stack[f->base + k].value;
        }
    }
    r->sp = f->base;
}

/* ------------------------------------------------------------------ */
/* the document                                                       */
/* ------------------------------------------------------------------ */

/* The container at s[*pi] == c opens; *pi moves past its first member
 * name, or to its end when it is empty (then *closed: finish_value()
 * closes it). */
static apr_status_t open_value(reader_t *r, apr_size_t *pi, int depth,
                               batch_json_keep_t keep, int tag, int *closed)
{
    const unsigned char *s = r->s;
    unsigned char c = s[*pi];
    batch_json_type_t t = c == '[' ? BATCH_JSON_ARRAY : BATCH_JSON_OBJECT;
    apr_size_t i = *pi;
    apr_status_t rv;

    if ((rv =
             open_container(r, t, i, depth, tag,
                            keep == BATCH_JSON_SPAN || keep == BATCH_JSON_DROP))
        != APR_SUCCESS) {
        return rv;
    }
    i = skip_ws(s, i + 1, r->len);
    /* an empty container ends at i, where finish_value() closes it */
    *closed = i < r->len && s[i] == (c == '[' ? ']' : '}');
    if (!*closed && t == BATCH_JSON_OBJECT
        && (rv = read_name(r, &i)) != APR_SUCCESS) {
        return rv;
    }
    *pi = i;
    return APR_SUCCESS;
}

/* One scalar value at s[*pi] == c into v; strings decoded only when
 * kept. */
static apr_status_t read_scalar(reader_t *r, batch_json_t *v, apr_size_t *pi,
                                batch_json_keep_t keep)
{
    const unsigned char *s = r->s;
    unsigned char c = s[*pi];
    apr_status_t rv;

    v->start = *pi;
    v->flags = keep == BATCH_JSON_KEEP ? 0 : BATCH_JSON_F_SPAN;
    if (c == '"' && keep == BATCH_JSON_KEEP) {
        /* the usual value: read_string() sets u.str and n */
        v->type = BATCH_JSON_STRING;
        rv = read_string(r, pi, &v->u.str, &v->n, &v->flags);
        v->end = *pi;
        return rv;
    }
    v->n = 0;
    v->u.str = NULL;
    if (c == '"') {
        v->type = BATCH_JSON_STRING;
        rv = read_string(r, pi, NULL, &v->n, &v->flags);
    }
    else if (c == '-' || IS_DIGIT(c)) {
        v->type = BATCH_JSON_NUMBER;
        rv = read_number(r, pi);
        v->u.str = (const char *)s + v->start;
        v->n = *pi - v->start;
    }
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        rv = read_word(r, pi, &v->type);
    }
    else {
        return bad_char(r, *pi, "expected a value");
    }
    v->end = *pi;
    return rv;
}

/* The value just read is complete in its slot: read on to the next value
 * (*pi at it, *done 0) or close the containers that end here; *done when
 * the document's value is complete. */
static apr_status_t finish_value(reader_t *r, apr_size_t *pi, int *done)
{
    const unsigned char *s = r->s;
    apr_size_t len = r->len, i = *pi;
    frame_t *f;

    while ((f = r->top) != NULL) {
        i = skip_ws(s, i, len);
        if (i >= len) {
            return bad_end(r);
        }
        if (s[i] == ',') {
            /* whitespace after it: read_name() or read_doc() skips it */
            *pi = i + 1;
            *done = 0;
            return f->type == BATCH_JSON_OBJECT ? read_name(r, pi)
                                                : APR_SUCCESS;
        }
        if (s[i] != (f->type == BATCH_JSON_ARRAY ? ']' : '}')) {
            return bad_char(r, i,
                            f->type == BATCH_JSON_ARRAY
                                ? "expected ',' or ']'"
                                : "expected ',' or '}'");
        }
        close_container(r, ++i);
    }
    i = skip_ws(s, i, len);
    if (i < len) {
        return bad_char(r, i, "trailing data");
    }
    *done = 1;
    return APR_SUCCESS;
}

/* Read values until the document's one value is complete: each turn of
 * the loop reads one value at i straight into its slot, then
 * closes every container that ends after it, each into its parent's
 * slot. */
static apr_status_t read_doc(reader_t *r, int depth)
{
    const unsigned char *s = r->s;
    apr_size_t len = r->len, i = 0;
    apr_status_t rv;
    int done = 0;

    while (!done) {
        batch_json_keep_t keep;
        batch_json_t *v;
        int tag, closed = 1;

        i = skip_ws(s, i, len);
        if (i >= len) {
            return bad_end(r);
        }
        if ((rv = begin_value(r, i, &keep, &tag, &v)) != APR_SUCCESS) {
            return rv;
        }
        if (s[i] == '[' || s[i] == '{') {
            rv = open_value(r, &i, depth, keep, tag, &closed);
        }
        else {
            rv = read_scalar(r, v, &i, keep);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (closed && (rv = finish_value(r, &i, &done)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t batch_json_parse_hooked(const batch_json_t **pvalue,
                                     const char **why, apr_size_t *pat,
                                     const char *s, apr_size_t len, int depth,
                                     batch_json_hook_fn *hook, void *ctx,
                                     apr_pool_t *p)
{
    reader_t r;
    apr_status_t rv;

    *pvalue = NULL;
    r.s = (const unsigned char *)(s ? s : "");
    r.len = s ? len : 0;
    r.p = p;
    r.cap = 16;
    r.sp = 0;
    r.stack = apr_palloc(p, r.cap * sizeof(*r.stack));
    r.fcap = 8;
    r.nframes = 0;
    r.frames = apr_palloc(p, (apr_size_t)r.fcap * sizeof(*r.frames));
    r.top = NULL;
    r.root = apr_palloc(p, sizeof(*r.root));
    r.name = NULL;
    r.name_len = 0;
    r.name_nul = 0;
    r.hook = hook;
    r.hook_ctx = ctx;
    r.why = NULL;
    r.at = 0;

    rv = read_doc(&r, depth < 1 ? 1 : depth);
    if (rv != APR_SUCCESS) {
        if (why) {
            *why = r.why;
        }
        if (pat) {
            *pat = r.at;
        }
        return rv;
    }
    *pvalue = r.root;
    return APR_SUCCESS;
}

apr_status_t batch_json_parse(const batch_json_t **pvalue, const char **why,
                              apr_size_t *pat, const char *s, apr_size_t len,
                              int depth, apr_pool_t *p)
{
    return batch_json_parse_hooked(pvalue, why, pat, s, len, depth, NULL, NULL,
                                   p);
}

apr_status_t batch_json_string_at(const char **pstr, apr_size_t *pn,
                                  apr_size_t *pend, const char *s,
                                  apr_size_t len, apr_size_t at, apr_pool_t *p)
{
    reader_t r;
    unsigned flags = 0;
    apr_status_t rv;

    if (at >= len || s[at] != '"') {
        return APR_EINVAL;
    }
    memset(&r, 0, sizeof(r));
    r.s = (const unsigned char *)s;
    r.len = len;
    r.p = p;
    rv = read_string(&r, &at, pstr, pn, &flags);
    if (pend) {
        *pend = at;
    }
    return rv;
}

/* batch_json_each_string(): walk every container, report each string
 * value, keep nothing. */
typedef struct each_ctx {
    const char *s;
    apr_size_t len;
    batch_json_string_fn *fn;
    void *ctx;
    apr_pool_t *p;
} each_ctx;

static apr_status_t each_hook(void *ctx, batch_json_at_t *at)
{
    each_ctx *e = ctx;
    const char *str;
    apr_size_t n, end;

    if (at->c == '[' || at->c == '{') {
        at->keep = BATCH_JSON_WALK;
        return APR_SUCCESS;
    }
    at->keep = BATCH_JSON_DROP;
    if (at->c != '"') {
        return APR_SUCCESS;
    }
    if (batch_json_string_at(&str, &n, &end, e->s, e->len, at->at, e->p)
        != APR_SUCCESS) {
        return APR_SUCCESS; /* the reader says why */
    }
    return e->fn(e->ctx, str, n, at->at, end);
}

apr_status_t batch_json_each_string(const char *s, apr_size_t len, int depth,
                                    batch_json_string_fn *fn, void *ctx,
                                    const char **why, apr_pool_t *p)
{
    each_ctx e;
    const batch_json_t *v;

    e.s = s ? s : "";
    e.len = s ? len : 0;
    e.fn = fn;
    e.ctx = ctx;
    e.p = p;
    return batch_json_parse_hooked(&v, why, NULL, e.s, e.len, depth, each_hook,
                                   &e, p);
}

/* ------------------------------------------------------------------ */
/* lookups                                                            */
/* ------------------------------------------------------------------ */

const batch_json_t *batch_json_getn(const batch_json_t *obj, const char *name,
                                    apr_size_t name_len)
{
    apr_size_t k;

    if (!obj || obj->type != BATCH_JSON_OBJECT) {
        return NULL;
    }
    /* from the end: the last of duplicate names wins */
    for (k = obj->n; k-- > 0;) {
        const batch_json_member_t *m = &obj->u.members[k];
        if (m->name_len == name_len && !memcmp(m->name, name, name_len)) {
            return &m->value;
        }
    }
    return NULL;
}

const batch_json_t *batch_json_get(const batch_json_t *obj, const char *name)
{
    return batch_json_getn(obj, name, strlen(name));
}
