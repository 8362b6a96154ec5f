/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_multipart.c: the reading half of the multipart/mixed wire format
 * (CONTRACT 8), the parse stage for Google's and OData's batch clients.
 * It is tolerant where real clients differ (quoted boundaries with '='
 * inside, bare LF lines from Python's email generator, preambles and
 * epilogues, folded part headers, empty lines before a request line) and
 * strict where framing could be
 * misread: every part must be closed by a delimiter, be application/http
 * or a change set of such parts, and hold exactly one HTTP/1.x request
 * whose Content-Length, when given, fits the part. The result is raw:
 * spans of the request buffer, no copies of bodies; the item rules of
 * CONTRACT 3 and 4 are applied afterwards by the format seam. One pass
 * over the buffer per nesting level (at most two), so time and memory
 * are linear in its size. Also here: the target and Host rules of an
 * embedded request and the OData order facts of the batch request.
 * Pure: APR only.
 */

#include <stdarg.h>
#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "batch_multipart.h"
#include "batch_util.h"

#if defined(__GNUC__)
#define MP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MP_PRINTF(f, a)
#endif

/* Most bytes of client text quoted in a message. */
#define SHOW_MAX 64

/* Most digits of a Content-Length (far beyond any BatchMaxRequestSize). */
#define LENGTH_DIGITS_MAX 15

typedef struct mp_ctx {
    apr_pool_t *p; /* owns the result and the error */
    const char *b; /* the request body */
    batch_error_t *err;
    int max_items;
    apr_array_header_t *items;  /* batch_multipart_item_t */
    apr_array_header_t *groups; /* batch_multipart_group_t */
    /* the request headers of all items, item after item (one array, not
     * one per item: each item's slice is pointed to when the read is
     * done and the array can no longer move) */
    apr_array_header_t *headers; /* batch_multipart_header_t */
    apr_hash_t *boundaries;      /* change set boundaries seen */
    /* where the read is, for messages: top-level part (0 before the
     * first), part inside a change set (0 outside), its Content-ID */
    int part;
    int subpart;
    const char *cid;
    apr_size_t cid_len;
} mp_ctx;

typedef struct span_t {
    const char *s; /* NULL when absent */
    apr_size_t len;
} span_t;

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

/* Client bytes fit for a message: printable ASCII kept, '"' and '\'
 * escaped, anything else as \xNN, cut after SHOW_MAX bytes. Always ASCII,
 * so the error body is valid UTF-8 whatever the client sent. */
static const char *show(const char *s, apr_size_t len, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t n = len > SHOW_MAX ? SHOW_MAX : len, i, o = 0;
    char *out = apr_palloc(p, 4 * n + 4);

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        }
        else if (c >= 0x20 && c < 0x7F) {
            out[o++] = (char)c;
        }
        else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0xF];
        }
    }
    if (n < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static apr_status_t fail(mp_ctx *c, const char *fmt, ...) MP_PRINTF(2, 3);

/* Fill the error: "part 3 (Content-ID \"<x>\"): <what>", "part 2, change
 * set part 1: <what>", or <what> alone before the first part. */
static apr_status_t fail(mp_ctx *c, const char *fmt, ...)
{
    const char *where = "", *what;
    va_list ap;

    va_start(ap, fmt);
    what = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    if (c->part > 0) {
        where = apr_psprintf(c->p, "part %d", c->part);
        if (c->subpart > 0) {
            where =
                apr_psprintf(c->p, "%s, change set part %d", where, c->subpart);
        }
        if (c->cid) {
            where = apr_psprintf(c->p, "%s (Content-ID \"%s\")", where,
                                 show(c->cid, c->cid_len, c->p));
        }
        where = apr_pstrcat(c->p, where, ": ", NULL);
    }
    if (c->err) {
        c->err->status = 400;
        c->err->code = BATCH_ERR_BAD_REQUEST;
        c->err->message = apr_pstrcat(c->p, where, what, NULL);
        c->err->item_id =
            c->cid ? apr_pstrmemdup(c->p, c->cid, c->cid_len) : NULL;
        c->err->index = c->part > 0 ? c->items->nelts : -1;
        c->err->field = c->part > 0 ? "part" : NULL;
    }
    return APR_EINVAL;
}

/* memchr(s, ch, n) inline, for the short lines of a part (a header, a
 * request line: tens of bytes), where the call into libc costs more
 * than the search. With SSE2 sixteen bytes a step, the last partial step
 * as the last sixteen bytes of s (never a byte outside s[0..n)); under
 * sixteen bytes, or without SSE2, byte by byte. */
static APR_INLINE const char *find_byte(const char *s, char ch, apr_size_t n)
{
    apr_size_t i = 0;

#if defined(__SSE2__)
    if (n >= 16) {
        const __m128i want = _mm_set1_epi8(ch);
        unsigned int m;

        for (; n - i >= 16; i += 16) {
            m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(s + i)), want));
            if (m) {
                return s + i + __builtin_ctz(m);
            }
        }
        if (i == n) {
            return NULL;
        }
        m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)),
                want))
            >> (i - (n - 16));
        return m ? s + i + __builtin_ctz(m) : NULL;
    }
#endif
    for (; i < n; i++) {
        if (s[i] == ch) {
            return s + i;
        }
    }
    return NULL;
}

/* The line starting at b[i], before end: *pe is its end without the line
 * break (CRLF or LF); returns where the next line starts (end when the
 * line has no break). */
static apr_size_t next_line(const char *b, apr_size_t i, apr_size_t end,
                            apr_size_t *pe)
{
    const char *nl = find_byte(b + i, '\n', end - i);
    apr_size_t e;

    if (!nl) {
        *pe = end;
        return end;
    }
    e = (apr_size_t)(nl - b);
    *pe = (e > i && b[e - 1] == '\r') ? e - 1 : e;
    return e + 1;
}

static int is_wsp(char ch)
{
    return ch == ' ' || ch == '\t';
}

static APR_INLINE span_t trim(const char *s, apr_size_t len)
{
    span_t t;

    while (len > 0 && is_wsp(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_wsp(s[len - 1])) {
        len--;
    }
    t.s = s;
    t.len = len;
    return t;
}

/* Whether v is the literal what, ASCII letters in any case. A macro, so
 * that the length is known at compile time: a name of another length
 * (most of those compared) costs one compare, and the usual spelling one
 * memcmp of known size (batch_util_caseeq). */
#define SPAN_IS(v, what) span_eq((v), (what), sizeof(what) - 1)

static APR_INLINE int span_eq(span_t v, const char *what, apr_size_t n)
{
    return v.s && v.len == n && batch_util_caseeq(v.s, what, n);
}

/* The media type of a Content-Type value: what precedes ';', trimmed. */
static span_t media_type(const char *s, apr_size_t len)
{
    const char *semi = find_byte(s, ';', len);
    return trim(s, semi ? (apr_size_t)(semi - s) : len);
}

/* ------------------------------------------------------------------ */
/* Content-Type parameters and the boundary                           */
/* ------------------------------------------------------------------ */

static int is_tchar(unsigned char ch)
{
    return apr_isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* A quoted-string at s[*pi] (the opening '"'): v spans its inside, with
 * the backslash escapes still in (unquote() removes them). No copy here:
 * a header of many quoted parameters must not cost more than its size. */
static apr_status_t quoted(span_t *v, const char *s, apr_size_t len,
                           apr_size_t *pi)
{
    apr_size_t i = *pi + 1;

    for (; i < len && s[i] != '"'; i++) {
        if (s[i] == '\\' && i + 1 < len) {
            i++;
        }
    }
    if (i >= len) {
        return APR_EINVAL;
    }
    v->s = s + *pi + 1;
    v->len = i - *pi - 1;
    *pi = i + 1;
    return APR_SUCCESS;
}

/* The inside of a quoted-string without its backslash escapes, from p. */
static span_t unquote(span_t v, apr_pool_t *p)
{
    char *out = apr_palloc(p, v.len + 1);
    apr_size_t i, o = 0;

    for (i = 0; i < v.len; i++) {
        if (v.s[i] == '\\' && i + 1 < v.len) {
            i++;
        }
        out[o++] = v.s[i];
    }
    out[o] = '\0';
    v.s = out;
    v.len = o;
    return v;
}

/* The value of parameter name of the Content-Type value s[0..len): a
 * token or a quoted-string. APR_NOTFOUND when absent, APR_EINVAL when
 * the parameters cannot be read. */
static apr_status_t ct_param(span_t *v, const char *s, apr_size_t len,
                             const char *name, apr_pool_t *p)
{
    const char *semi = find_byte(s, ';', len);
    apr_size_t i = semi ? (apr_size_t)(semi - s) : len;
    int found = 0;

    while (i < len) {
        apr_size_t ns, ne;
        span_t val;
        int is_quoted = 0;

        i++; /* the ';' */
        while (i < len && is_wsp(s[i])) {
            i++;
        }
        if (i == len) {
            break; /* a trailing ';' */
        }
        for (ns = i; i < len && is_tchar((unsigned char)s[i]); i++) {
        }
        ne = i;
        while (i < len && is_wsp(s[i])) {
            i++;
        }
        if (ne == ns || i == len || s[i] != '=') {
            return APR_EINVAL;
        }
        i++;
        while (i < len && is_wsp(s[i])) {
            i++;
        }
        if (i < len && s[i] == '"') {
            if (quoted(&val, s, len, &i) != APR_SUCCESS) {
                return APR_EINVAL;
            }
            is_quoted = 1;
        }
        else {
            for (val.s = s + i; i < len && s[i] != ';' && !is_wsp(s[i]); i++) {
            }
            val.len = (apr_size_t)(s + i - val.s);
        }
        while (i < len && is_wsp(s[i])) {
            i++;
        }
        if (i < len && s[i] != ';') {
            return APR_EINVAL;
        }
        if (!found && ne - ns == strlen(name)
            && !apr_cstr_casecmpn(s + ns, name, ne - ns)) {
            *v = is_quoted ? unquote(val, p) : val;
            found = 1;
        }
    }
    return found ? APR_SUCCESS : APR_NOTFOUND;
}

/* The boundary of a Content-Type value, checked (RFC 2046 5.1.1, but any
 * printable ASCII). */
static apr_status_t get_boundary(span_t *bd, const char **why, const char *s,
                                 apr_size_t len, apr_pool_t *p)
{
    apr_status_t rv = ct_param(bd, s, len, "boundary", p);
    apr_size_t i;

    if (rv == APR_NOTFOUND) {
        *why = "has no boundary parameter";
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        *why = "has parameters that cannot be read";
        return APR_EINVAL;
    }
    if (bd->len == 0 || bd->len > BATCH_MULTIPART_BOUNDARY_MAX) {
        *why = "has a boundary that is not 1 to 70 characters long";
        return APR_EINVAL;
    }
    for (i = 0; i < bd->len; i++) {
        if (bd->s[i] < 0x20 || bd->s[i] >= 0x7F) {
            *why = "has a boundary with a character other than printable "
                   "ASCII";
            return APR_EINVAL;
        }
    }
    if (bd->s[bd->len - 1] == ' ') {
        *why = "has a boundary that ends in a space";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

int batch_multipart_match(const char *content_type)
{
    return content_type
           && SPAN_IS(media_type(content_type, strlen(content_type)),
                      "multipart/mixed");
}

apr_status_t batch_multipart_boundary(const char **pb, const char **why,
                                      const char *content_type, apr_pool_t *p)
{
    span_t bd;

    if (!batch_multipart_match(content_type)) {
        *why = "is not multipart/mixed";
        return APR_EINVAL;
    }
    if (get_boundary(&bd, why, content_type, strlen(content_type), p)
        != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *pb = apr_pstrmemdup(p, bd.s, bd.len);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* framing                                                            */
/* ------------------------------------------------------------------ */

/* Whether the line at b[ls..end) is a delimiter of boundary bd: 0 no, 1
 * "--bd", 2 the close delimiter "--bd--"; either may carry transport
 * padding (spaces, tabs). *pnext is where the line after it starts. */
static int is_delim(const char *b, apr_size_t ls, apr_size_t end, span_t bd,
                    apr_size_t *pnext)
{
    apr_size_t i = ls + 2 + bd.len;
    int kind = 1;

    if (end - ls < 2 + bd.len || b[ls] != '-' || b[ls + 1] != '-'
        || memcmp(b + ls + 2, bd.s, bd.len) != 0) {
        return 0;
    }
    if (end - i >= 2 && b[i] == '-' && b[i + 1] == '-') {
        kind = 2;
        i += 2;
    }
    while (i < end && is_wsp(b[i])) {
        i++;
    }
    if (i < end && b[i] == '\r') {
        i++;
    }
    if (i < end && b[i] != '\n') {
        return 0;
    }
    *pnext = i < end ? i + 1 : end;
    return kind;
}

/* The first delimiter line of bd at or after the line start from: its
 * kind (0 when there is none), where it starts and where the line after
 * it starts. */
static int find_delim(const char *b, apr_size_t from, apr_size_t end, span_t bd,
                      apr_size_t *pls, apr_size_t *pnext)
{
    apr_size_t ls = from;

    while (ls < end) {
        const char *nl;
        int kind = is_delim(b, ls, end, bd, pnext);

        if (kind) {
            *pls = ls;
            return kind;
        }
        if (!(nl = find_byte(b + ls, '\n', end - ls))) {
            break;
        }
        ls = (apr_size_t)(nl - b) + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* the embedded HTTP request                                          */
/* ------------------------------------------------------------------ */

static int only_line_breaks(const char *b, apr_size_t i, apr_size_t end)
{
    for (; i < end; i++) {
        if (b[i] != '\r' && b[i] != '\n') {
            return 0;
        }
    }
    return 1;
}

/* "METHOD SP target SP HTTP/1.1" (or HTTP/1.0) at b[i..e), one space
 * each, as RFC 9112 3 and CONTRACT 8 have it. */
static apr_status_t read_request_line(mp_ctx *c, batch_multipart_item_t *it,
                                      apr_size_t i, apr_size_t e)
{
    const char *b = c->b, *sp1, *sp2;

    sp1 = find_byte(b + i, ' ', e - i);
    sp2 = sp1 ? find_byte(sp1 + 1, ' ', (apr_size_t)(b + e - sp1 - 1)) : NULL;
    if (!sp2 || sp1 == b + i || sp2 == sp1 + 1) {
        return fail(c,
                    "the request line \"%s\" is not \"METHOD target "
                    "HTTP/1.1\" (one space each)",
                    show(b + i, e - i, c->p));
    }
    it->method = b + i;
    it->method_len = (apr_size_t)(sp1 - it->method);
    it->target = sp1 + 1;
    it->target_len = (apr_size_t)(sp2 - it->target);
    if (b + e - sp2 - 1 == 8 && !memcmp(sp2 + 1, "HTTP/1.", 7)
        && (sp2[8] == '1' || sp2[8] == '0')) {
        it->http_minor = sp2[8] - '0';
        return APR_SUCCESS;
    }
    return fail(c, "the request line ends in \"%s\", not HTTP/1.1 or HTTP/1.0",
                show(sp2 + 1, (apr_size_t)(b + e - sp2 - 1), c->p));
}

static apr_status_t set_length(mp_ctx *c, apr_off_t *plength, span_t v)
{
    apr_off_t n = 0;
    apr_size_t i;

    if (v.len == 0 || v.len > LENGTH_DIGITS_MAX) {
        return fail(c, "Content-Length \"%s\" is not a number of bytes",
                    show(v.s, v.len, c->p));
    }
    for (i = 0; i < v.len; i++) {
        if (!apr_isdigit(v.s[i])) {
            return fail(c, "Content-Length \"%s\" is not a number of bytes",
                        show(v.s, v.len, c->p));
        }
        n = n * 10 + (v.s[i] - '0');
    }
    if (*plength >= 0 && *plength != n) {
        return fail(c, "two Content-Length headers that differ");
    }
    *plength = n;
    return APR_SUCCESS;
}

/* One header line b[i..e) of the embedded request. */
static apr_status_t read_header(mp_ctx *c, batch_multipart_item_t *it,
                                apr_off_t *plength, apr_size_t i, apr_size_t e)
{
    const char *b = c->b, *colon;
    apr_size_t k;
    span_t name, value;
    batch_multipart_header_t *h;

    if (is_wsp(b[i])) {
        return fail(c,
                    "header line \"%s\" continues the previous one "
                    "(obsolete line folding is not allowed)",
                    show(b + i, e - i, c->p));
    }
    if (!(colon = find_byte(b + i, ':', e - i))) {
        return fail(c, "header line \"%s\" has no ':'",
                    show(b + i, e - i, c->p));
    }
    name.s = b + i;
    name.len = (apr_size_t)(colon - name.s);
    if (name.len == 0) {
        return fail(c, "header line \"%s\" has no name",
                    show(b + i, e - i, c->p));
    }
    for (k = 0; k < name.len; k++) {
        if (is_wsp(name.s[k])) {
            return fail(c,
                        "header line \"%s\" has white space in or after "
                        "its name",
                        show(b + i, e - i, c->p));
        }
    }
    value = trim(colon + 1, (apr_size_t)(b + e - colon - 1));
    if (SPAN_IS(name, "Content-Length")) {
        return set_length(c, plength, value);
    }
    if (SPAN_IS(name, "Host")) {
        if (it->host) {
            return fail(c, "two Host headers");
        }
        it->host = value.s;
        it->host_len = value.len;
        return APR_SUCCESS;
    }
    h = apr_array_push(c->headers);
    h->name = name.s;
    h->nlen = name.len;
    h->value = value.s;
    h->vlen = value.len;
    return APR_SUCCESS;
}

/* The body after the head, b[i..end): framed by Content-Length when
 * given, else every byte (only line breaks: none). */
static apr_status_t read_body(mp_ctx *c, batch_multipart_item_t *it,
                              apr_off_t length, apr_size_t i, apr_size_t end)
{
    it->body = c->b + i;
    it->body_len = 0;
    if (length >= 0) {
        it->has_length = 1;
        if ((apr_uint64_t)length > (apr_uint64_t)(end - i)) {
            return fail(c,
                        "Content-Length %" APR_OFF_T_FMT " is larger than "
                        "the %" APR_SIZE_T_FMT " bytes the part holds",
                        length, end - i);
        }
        it->body_len = (apr_size_t)length;
        if (!only_line_breaks(c->b, i + it->body_len, end)) {
            return fail(c,
                        "more than line breaks follow the %" APR_OFF_T_FMT
                        " bytes of Content-Length",
                        length);
        }
        return APR_SUCCESS;
    }
    if (!only_line_breaks(c->b, i, end)) {
        it->body_len = end - i;
    }
    return APR_SUCCESS;
}

/* The part body b[i..end) as one HTTP/1.x request. */
static apr_status_t read_http(mp_ctx *c, batch_multipart_item_t *it,
                              apr_size_t i, apr_size_t end)
{
    const char *b = c->b;
    int first = c->headers->nelts;
    apr_off_t length = -1;
    apr_size_t e, next;
    apr_status_t rv;

    /* RFC 9112 2.2: empty lines before the request line are ignored */
    while (i < end
           && (b[i] == '\n'
               || (b[i] == '\r' && end - i > 1 && b[i + 1] == '\n'))) {
        i += b[i] == '\n' ? 1 : 2;
    }
    if (i == end) {
        return fail(c, "holds no HTTP request after its headers");
    }
    next = next_line(b, i, end, &e);
    if ((rv = read_request_line(c, it, i, e)) != APR_SUCCESS) {
        return rv;
    }
    /* the head ends at an empty line, or with the part */
    for (i = next; i < end; i = next) {
        next = next_line(b, i, end, &e);
        if (e == i) {
            i = next;
            break;
        }
        if ((rv = read_header(c, it, &length, i, e)) != APR_SUCCESS) {
            return rv;
        }
    }
    it->headers = NULL; /* set by set_headers() */
    it->nheaders = c->headers->nelts - first;
    return read_body(c, it, length, i, end);
}

/* ------------------------------------------------------------------ */
/* parts                                                              */
/* ------------------------------------------------------------------ */

/* The part headers that matter, as unfolded, trimmed values. */
typedef struct part_head {
    span_t ctype, cte, cid;
} part_head;

/* Store the header b[ns..ne): value b[vs..ve) (folded when it spans
 * lines: then unfolded into p, RFC 5322 2.2.3). */
static apr_status_t end_header(mp_ctx *c, part_head *h, apr_size_t ns,
                               apr_size_t ne, apr_size_t vs, apr_size_t ve,
                               int folded)
{
    span_t name = trim(c->b + ns, ne - ns), v = trim(c->b + vs, ve - vs);
    span_t *slot = SPAN_IS(name, "Content-Type")                ? &h->ctype
                   : SPAN_IS(name, "Content-Transfer-Encoding") ? &h->cte
                   : SPAN_IS(name, "Content-ID")                ? &h->cid
                                                                : NULL;

    if (!slot) {
        return APR_SUCCESS;
    }
    if (slot->s) {
        return fail(c, "two %s headers",
                    apr_pstrmemdup(c->p, name.s, name.len));
    }
    if (folded) {
        char *u = apr_palloc(c->p, v.len + 1);
        apr_size_t k, o = 0;

        for (k = 0; k < v.len; k++) {
            if (v.s[k] != '\r' && v.s[k] != '\n') {
                u[o++] = v.s[k];
            }
        }
        u[o] = '\0';
        v.s = u;
        v.len = o;
    }
    *slot = v;
    return APR_SUCCESS;
}

/* The part's headers from b[*pi], up to the empty line, which must come
 * before end; *pi is then where the part body starts. */
static apr_status_t read_part_head(mp_ctx *c, part_head *h, apr_size_t *pi,
                                   apr_size_t end)
{
    const char *b = c->b;
    apr_size_t i = *pi, e, next, ns = 0, ne = 0, vs = 0, ve = 0;
    int open = 0, folded = 0;
    apr_status_t rv;

    memset(h, 0, sizeof(*h));
    for (; i < end; i = next) {
        const char *colon;

        next = next_line(b, i, end, &e);
        if (e == i || !is_wsp(b[i])) {
            if (open
                && (rv = end_header(c, h, ns, ne, vs, ve, folded))
                       != APR_SUCCESS) {
                return rv;
            }
            open = 0;
        }
        if (e == i) {
            if (i == *pi) {
                return fail(c, "has no headers (Content-Type: "
                               "application/http is required)");
            }
            *pi = next;
            return APR_SUCCESS;
        }
        if (is_wsp(b[i])) {
            if (!open) {
                return fail(c, "its first header line starts with white "
                               "space");
            }
            ve = e; /* a folded line continues the value */
            folded = 1;
            continue;
        }
        if (!(colon = find_byte(b + i, ':', e - i))) {
            return fail(c, "part header line \"%s\" has no ':'",
                        show(b + i, e - i, c->p));
        }
        ns = i;
        ne = (apr_size_t)(colon - b);
        vs = ne + 1;
        ve = e;
        open = 1;
        folded = 0;
    }
    if (i == *pi) {
        return fail(c, "is empty (Content-Type: application/http is "
                       "required)");
    }
    return fail(c, "its headers are not followed by an empty line");
}

static apr_status_t read_parts(mp_ctx *c, apr_size_t start, apr_size_t end,
                               span_t bd, int group);

/* A change set: a multipart/mixed part holding application/http parts. */
static apr_status_t read_change_set(mp_ctx *c, const part_head *h, apr_size_t i,
                                    apr_size_t end)
{
    batch_multipart_group_t *g;
    const char *why = NULL;
    span_t bd;
    apr_status_t rv;
    int gi;

    if (c->subpart > 0) {
        return fail(c, "is a change set inside a change set (change sets "
                       "do not nest)");
    }
    if (get_boundary(&bd, &why, h->ctype.s, h->ctype.len, c->p)
        != APR_SUCCESS) {
        return fail(c, "the change set's Content-Type %s", why);
    }
    if (apr_hash_get(c->boundaries, bd.s, (apr_ssize_t)bd.len)) {
        return fail(c,
                    "the change set boundary \"%s\" is used by an "
                    "earlier change set",
                    show(bd.s, bd.len, c->p));
    }
    apr_hash_set(c->boundaries, bd.s, (apr_ssize_t)bd.len, c);
    gi = c->groups->nelts;
    g = apr_array_push(c->groups);
    g->part = c->part;
    g->boundary = apr_pstrmemdup(c->p, bd.s, bd.len);
    g->content_id = h->cid.s;
    g->content_id_len = h->cid.len;
    g->first = c->items->nelts;
    g->nitems = 0;
    rv = read_parts(c, i, end, bd, gi);
    /* the array may have moved while the items were pushed */
    g = &((batch_multipart_group_t *)c->groups->elts)[gi];
    g->nitems = c->items->nelts - g->first;
    return rv;
}

/* One part b[i..end) of the batch (group -1) or of change set group. */
static apr_status_t read_part(mp_ctx *c, apr_size_t i, apr_size_t end,
                              int group)
{
    batch_multipart_item_t it;
    part_head h;
    span_t mt;
    apr_status_t rv;

    c->cid = NULL;
    if ((rv = read_part_head(c, &h, &i, end)) != APR_SUCCESS) {
        return rv;
    }
    /* the Content-ID becomes the item's id: the id rules (no control
     * characters, UTF-8, length) are the format seam's shared checks */
    if (h.cid.s) {
        c->cid = h.cid.s;
        c->cid_len = h.cid.len;
    }
    if (h.cte.s && !SPAN_IS(h.cte, "binary") && !SPAN_IS(h.cte, "8bit")
        && !SPAN_IS(h.cte, "7bit")) {
        return fail(c,
                    "Content-Transfer-Encoding \"%s\" is not supported "
                    "(only binary, 8bit and 7bit)",
                    show(h.cte.s, h.cte.len, c->p));
    }
    if (!h.ctype.s) {
        return fail(c, "has no Content-Type (application/http is "
                       "required)");
    }
    mt = media_type(h.ctype.s, h.ctype.len);
    if (SPAN_IS(mt, "multipart/mixed")) {
        return read_change_set(c, &h, i, end);
    }
    if (!SPAN_IS(mt, "application/http")) {
        return fail(c,
                    "has Content-Type \"%s\": only application/http and "
                    "multipart/mixed (a change set) are allowed",
                    show(h.ctype.s, h.ctype.len, c->p));
    }
    if (c->max_items > 0 && c->items->nelts >= c->max_items) {
        return fail(c, "the batch holds more than the %d items allowed",
                    c->max_items);
    }
    memset(&it, 0, sizeof(it));
    it.part = c->part;
    it.subpart = c->subpart;
    it.group = group;
    it.content_id = h.cid.s;
    it.content_id_len = h.cid.len;
    if ((rv = read_http(c, &it, i, end)) != APR_SUCCESS) {
        return rv;
    }
    *(batch_multipart_item_t *)apr_array_push(c->items) = it;
    return APR_SUCCESS;
}

/* The parts of b[start..end) delimited by bd: the batch (group -1) or
 * change set group. */
static apr_status_t read_parts(mp_ctx *c, apr_size_t start, apr_size_t end,
                               span_t bd, int group)
{
    apr_size_t ls = 0, next = 0;
    int kind, n = 0;
    apr_status_t rv;

    kind = find_delim(c->b, start, end, bd, &ls, &next);
    if (kind == 0) {
        return fail(c, "%s holds no delimiter line \"--%s\"",
                    group < 0 ? "the batch request" : "the change set",
                    show(bd.s, bd.len, c->p));
    }
    if (kind == 2) {
        return fail(c, "%s holds no parts",
                    group < 0 ? "the batch request" : "the change set");
    }
    while (kind == 1) {
        apr_size_t ps = next, pe;

        if (group < 0) {
            c->part = ++n;
        }
        else {
            c->subpart = ++n;
        }
        c->cid = NULL;
        kind = find_delim(c->b, ps, end, bd, &ls, &next);
        if (kind == 0) {
            return fail(c,
                        "is not closed: no delimiter \"--%s\" or close "
                        "delimiter \"--%s--\" follows it",
                        show(bd.s, bd.len, c->p), show(bd.s, bd.len, c->p));
        }
        /* the line break before a delimiter belongs to the delimiter */
        pe = ls;
        if (ls > ps) {
            pe = (ls - 1 > ps && c->b[ls - 2] == '\r') ? ls - 2 : ls - 1;
        }
        if ((rv = read_part(c, ps, pe, group)) != APR_SUCCESS) {
            return rv;
        }
    }
    if (group >= 0) {
        c->subpart = 0;
    }
    return APR_SUCCESS;
}

/* Point each item at its slice of c->headers (they follow each other in
 * item order). */
static void set_headers(mp_ctx *c)
{
    batch_multipart_item_t *its = (batch_multipart_item_t *)c->items->elts;
    const batch_multipart_header_t *h =
        (const batch_multipart_header_t *)c->headers->elts;
    int k;

    for (k = 0; k < c->items->nelts; k++) {
        its[k].headers = h;
        h += its[k].nheaders;
    }
}

apr_status_t batch_multipart_read(batch_multipart_t **pmp, const char *buf,
                                  apr_size_t len, const char *content_type,
                                  int max_items, batch_error_t *err,
                                  apr_pool_t *p)
{
    batch_multipart_t *mp;
    mp_ctx c;
    span_t bd;
    const char *why = NULL;
    apr_status_t rv;

    *pmp = NULL;
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.b = buf ? buf : "";
    c.err = err;
    c.max_items = max_items;
    c.items = apr_array_make(p, 8, sizeof(batch_multipart_item_t));
    c.groups = apr_array_make(p, 1, sizeof(batch_multipart_group_t));
    c.headers = apr_array_make(p, 32, sizeof(batch_multipart_header_t));
    c.boundaries = apr_hash_make(p);
    if (!content_type || !batch_multipart_match(content_type)) {
        return fail(&c, "the batch request's Content-Type is not "
                        "multipart/mixed");
    }
    if (get_boundary(&bd, &why, content_type, strlen(content_type), p)
        != APR_SUCCESS) {
        return fail(&c, "the batch request's Content-Type %s", why);
    }
    if ((rv = read_parts(&c, 0, buf ? len : 0, bd, -1)) != APR_SUCCESS) {
        return rv;
    }
    set_headers(&c);
    mp = apr_pcalloc(p, sizeof(*mp));
    mp->nitems = c.items->nelts;
    mp->items = (batch_multipart_item_t *)c.items->elts;
    mp->ngroups = c.groups->nelts;
    mp->groups = (batch_multipart_group_t *)c.groups->elts;
    mp->nparts = c.part;
    *pmp = mp;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* targets and Host                                                   */
/* ------------------------------------------------------------------ */

static apr_port_t default_port(const char *scheme)
{
    return !apr_cstr_casecmp(scheme, "https")  ? 443
           : !apr_cstr_casecmp(scheme, "http") ? 80
                                               : 0;
}

/* "host[:port]" or "[v6][:port]" at s[0..len): the host (from p, without
 * brackets) and the port (0 when none). */
static apr_status_t split_authority(const char **phost, apr_port_t *pport,
                                    const char **why, const char *s,
                                    apr_size_t len, apr_pool_t *p)
{
    apr_size_t hs = 0, he, i;
    apr_uint32_t port = 0;

    if (len > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (!rb) {
            *why = "has an IPv6 address without ']'";
            return APR_EINVAL;
        }
        hs = 1;
        he = (apr_size_t)(rb - s);
        i = he + 1;
    }
    else {
        for (he = 0; he < len && s[he] != ':'; he++) {
        }
        i = he;
    }
    if (he == hs) {
        *why = "names no host";
        return APR_EINVAL;
    }
    if (i < len && s[i] == ':') {
        i++;
        if (i == len || len - i > 5) {
            *why = "has an invalid port";
            return APR_EINVAL;
        }
    }
    for (; i < len; i++) {
        if (!apr_isdigit(s[i])) {
            *why = "has an invalid port";
            return APR_EINVAL;
        }
        port = port * 10 + (apr_uint32_t)(s[i] - '0');
    }
    if (port > 65535) {
        *why = "has an invalid port";
        return APR_EINVAL;
    }
    for (i = hs; i < he; i++) {
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7F || s[i] == '@'
            || s[i] == '/' || s[i] == '\\') {
            *why = "has an invalid host name";
            return APR_EINVAL;
        }
    }
    *phost = apr_pstrmemdup(p, s + hs, he - hs);
    *pport = (apr_port_t)port;
    return APR_SUCCESS;
}

/* host with port (0: none, then def) names this server. */
static apr_status_t this_server(const char **why, const char *host,
                                apr_port_t port, apr_port_t def,
                                const batch_multipart_server_t *srv,
                                apr_pool_t *p)
{
    if (port == 0) {
        port = def;
    }
    if (port != srv->port) {
        *why = apr_psprintf(p, "names port %d, not this server's port %d",
                            (int)port, (int)srv->port);
        return APR_EINVAL;
    }
    if (!srv->is_this_server || !srv->is_this_server(srv->baton, host, port)) {
        *why = apr_psprintf(p, "names another server (\"%s\")",
                            show(host, strlen(host), p));
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t batch_multipart_target_url(const char **purl, const char **why,
                                        const char *target, apr_size_t len,
                                        const batch_multipart_server_t *srv,
                                        apr_pool_t *p)
{
    apr_size_t i = 0, as;
    const char *host = NULL, *scheme;
    apr_port_t port = 0;

    if (len == 0 || (len == 1 && target[0] == '*')) {
        *why = "is not a path or an absolute URL";
        return APR_EINVAL;
    }
    /* a scheme: letters, digits, '+', '-', '.' up to a ':' that comes
     * before any '/', '?' or '#' (RFC 3986 3.1) */
    if (apr_isalpha(target[0])) {
        for (i = 1; i < len
                    && (apr_isalnum(target[i]) || target[i] == '+'
                        || target[i] == '-' || target[i] == '.');
             i++) {
        }
    }
    if (i == 0 || i == len || target[i] != ':') {
        /* a path (with a query), or a relative path */
        *purl = apr_pstrmemdup(p, target, len);
        return APR_SUCCESS;
    }
    scheme = apr_pstrmemdup(p, target, i);
    if (apr_cstr_casecmp(scheme, srv->scheme) != 0) {
        *why = apr_psprintf(p,
                            "names the scheme \"%s\", not this server's "
                            "\"%s\"",
                            show(scheme, i, p), srv->scheme);
        return APR_EINVAL;
    }
    if (len - i < 3 || target[i + 1] != '/' || target[i + 2] != '/') {
        *why = "is not a path or an absolute URL";
        return APR_EINVAL;
    }
    for (as = i = i + 3;
         i < len && target[i] != '/' && target[i] != '?' && target[i] != '#';
         i++) {
        if (target[i] == '@') {
            *why = "must not contain user information";
            return APR_EINVAL;
        }
    }
    if (split_authority(&host, &port, why, target + as, i - as, p)
            != APR_SUCCESS
        || this_server(why, host, port, default_port(srv->scheme), srv, p)
               != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *purl =
        (i < len && target[i] == '/')
            ? apr_pstrmemdup(p, target + i, len - i)
            : apr_pstrcat(p, "/", apr_pstrmemdup(p, target + i, len - i), NULL);
    return APR_SUCCESS;
}

apr_status_t batch_multipart_check_host(const char **why, const char *host,
                                        apr_size_t len,
                                        const batch_multipart_server_t *srv,
                                        apr_pool_t *p)
{
    const char *name = NULL;
    apr_port_t port = 0;

    if (split_authority(&name, &port, why, host, len, p) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    /* no port: as name-based virtual hosts match, this server's port */
    return this_server(why, name, port, srv->port, srv, p);
}

/* ------------------------------------------------------------------ */
/* OData order                                                        */
/* ------------------------------------------------------------------ */

int batch_multipart_is_odata(const apr_table_t *headers)
{
    return headers
           && (apr_table_get(headers, "OData-Version")
               || apr_table_get(headers, "OData-MaxVersion"));
}

/* The continue-on-error preference in one Prefer value, or NULL. A
 * preference is "name[=value][;param...]", preferences are separated by
 * ',' (RFC 7240 2). */
static const char *prefer_value(const char *v, apr_pool_t *p)
{
    const char *found = NULL;

    while (*v) {
        apr_size_t n = strcspn(v, ",");
        span_t pref = trim(v, n), name, val;
        apr_size_t k = strcspn(pref.s, "=;,");

        name = trim(pref.s, k < pref.len ? k : pref.len);
        val.s = NULL;
        val.len = 0;
        if (k < pref.len && pref.s[k] == '=') {
            apr_size_t m = strcspn(pref.s + k + 1, ";,");
            val = trim(pref.s + k + 1, m);
            if (val.len >= 2 && val.s[0] == '"' && val.s[val.len - 1] == '"') {
                val.s++;
                val.len -= 2;
            }
        }
        if (SPAN_IS(name, "odata.continue-on-error")
            || SPAN_IS(name, "continue-on-error")) {
            found = SPAN_IS(val, "false") ? NULL
                                          : apr_pstrmemdup(p, name.s, name.len);
        }
        v += n;
        if (*v == ',') {
            v++;
        }
    }
    return found;
}

const char *batch_multipart_continue_on_error(const apr_table_t *headers,
                                              apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    const char *found = NULL;
    int i;

    if (!headers) {
        return NULL;
    }
    arr = apr_table_elts(headers);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && e[i].val && !apr_cstr_casecmp(e[i].key, "Prefer")) {
            const char *f = prefer_value(e[i].val, p);
            if (f) {
                found = f;
            }
        }
    }
    return found;
}
