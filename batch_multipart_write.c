/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_multipart_write.c: the writing half of the multipart/mixed wire
 * format (CONTRACT 8), the encode stage for Google's and OData's batch
 * clients. Parts are written one item at a time, in request order, as
 * items finish: each is an application/http part holding the item's
 * response as HTTP/1.1 would send it, a change set a nested
 * multipart/mixed part. The writer is strict where the clients' parsers
 * are: CRLF everywhere, a reason phrase on every status line, the media
 * type under the exact name Content-Type, a Content-Length on every
 * response that may have a body. The headers and error bodies are those
 * of the JSON format (batch_encode.c): one filter, one error shape.
 * Pure: APR only.
 *
 * The boundary. It is written in the response's Content-Type before the
 * first item has run, so it cannot be chosen to fit the bodies; a fresh
 * one per change set does not help the top level, and holding the whole
 * response back to choose one would break the streaming and memory
 * promises of CONTRACT 6. So each boundary (the response's, and each
 * change set's, drawn when the set opens) is "batch_" and 32 letters and
 * digits from apr_generate_random_bytes(), about 190 bits drawn after the
 * request was read: no client or backend can know it, and chance will not
 * produce it. The writer still checks every item part against every open
 * boundary (it looks at every 32nd byte: cheap beside the subrequest)
 * and, should one occur, answers that item 500 BoundaryCollision instead
 * of its response: the framing is never broken, the other items are
 * unaffected, and the failure is visible rather than a silently truncated
 * part. A
 * Content-Transfer-Encoding such as base64 would also avoid it, but
 * neither Google's nor the OData clients decode one.
 */

#include <string.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "batch_encode.h"
#include "batch_multipart.h"

#define TOKEN_PREFIX "batch_"
#define TOKEN_RANDOM (BATCH_MULTIPART_TOKEN_LEN - (sizeof(TOKEN_PREFIX) - 1))

/* One item's head (the framing, the part head and the embedded
 * response head) written straight into one buffer from p, grown by
 * doubling when an item has many headers: no pieces to join after. */
typedef struct pieces_t {
    char *buf; /* len used of cap, always room for a final NUL */
    apr_size_t len, cap;
    apr_pool_t *p;
} pieces_t;

/* Make room for n more bytes and the NUL (the rare path, kept out of
 * put() so that put() inlines and copies literals without a call). */
static void grow(pieces_t *pc, apr_size_t n)
{
    apr_size_t cap = 2 * pc->cap > pc->len + n ? 2 * pc->cap : pc->len + n + 1;
    char *b = apr_palloc(pc->p, cap);

    memcpy(b, pc->buf, pc->len);
    pc->buf = b;
    pc->cap = cap;
}

static APR_INLINE void put(pieces_t *pc, const char *s, apr_size_t n)
{
    if (pc->len + n >= pc->cap) {
        grow(pc, n);
    }
    memcpy(pc->buf + pc->len, s, n);
    pc->len += n;
}

static void putz(pieces_t *pc, const char *s)
{
    put(pc, s, strlen(s));
}

/* a string literal, its length known at compile time */
#define PUTL(pc, lit) put((pc), (lit), sizeof(lit) - 1)

/* ------------------------------------------------------------------ */
/* boundaries                                                         */
/* ------------------------------------------------------------------ */

static apr_status_t make_token(char *out, apr_uint32_t *where)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char rnd[TOKEN_RANDOM];
    apr_status_t rv;
    apr_size_t i;

    if ((rv = apr_generate_random_bytes(rnd, sizeof(rnd))) != APR_SUCCESS) {
        return rv;
    }
    memcpy(out, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
    /* byte % 62 favours a few letters slightly: still > 5.9 bits each */
    memset(where, 0, 256 * sizeof(*where));
    for (i = 0; i < TOKEN_RANDOM; i++) {
        out[sizeof(TOKEN_PREFIX) - 1 + i] = alnum[rnd[i] % 62];
        where[(unsigned char)alnum[rnd[i] % 62]] |= (apr_uint32_t)1 << i;
    }
    out[BATCH_MULTIPART_TOKEN_LEN] = '\0';
    return APR_SUCCESS;
}

/* 1 when the random part of tok (a token of make_token(), or "") occurs
 * in s[0..n): stricter than looking for the whole boundary, and as
 * unlikely. where is tok's table (make_token()). An occurrence of the
 * TOKEN_RANDOM bytes covers exactly one offset j = TOKEN_RANDOM - 1 +
 * k * TOKEN_RANDOM, at the token's offset q with tok[q] == s[j]: so only
 * those bytes of s are looked at, and a full compare is tried only where
 * the table says the byte occurs in the token. */
static int holds_token(const char *s, apr_size_t n, const char *tok,
                       const apr_uint32_t *where)
{
    apr_size_t j;

    if (!tok[0]) {
        return 0;
    }
    tok += sizeof(TOKEN_PREFIX) - 1;
    for (j = TOKEN_RANDOM - 1; j < n; j += TOKEN_RANDOM) {
        apr_uint32_t m = where[(unsigned char)s[j]];

        while (m) { /* each offset q of s[j] in the token, lowest first */
            apr_size_t q = (apr_size_t)__builtin_ctz(m);

            m &= m - 1;
            if (j >= q && n - (j - q) >= TOKEN_RANDOM && s[j - q] == tok[0]
                && !memcmp(s + j - q, tok, TOKEN_RANDOM)) {
                return 1;
            }
        }
    }
    return 0;
}

/* 1 when the writer's open boundaries occur in one of the pieces. */
static int collides(const batch_multipart_writer_t *w, const struct iovec *io,
                    int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (holds_token(io[i].iov_base, io[i].iov_len, w->boundary, w->where)
            || holds_token(io[i].iov_base, io[i].iov_len, w->cs_boundary,
                           w->cs_where)) {
            return 1;
        }
    }
    return 0;
}

apr_status_t batch_multipart_writer_make(batch_multipart_writer_t **pw,
                                         apr_pool_t *p)
{
    batch_multipart_writer_t *w = apr_pcalloc(p, sizeof(*w));
    apr_status_t rv = make_token(w->boundary, w->where);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pw = w;
    return APR_SUCCESS;
}

const char *batch_multipart_content_type(const batch_multipart_writer_t *w,
                                         apr_pool_t *p)
{
    return apr_pstrcat(p, "multipart/mixed; boundary=", w->boundary, NULL);
}

/* ------------------------------------------------------------------ */
/* one item                                                           */
/* ------------------------------------------------------------------ */

/* The reason phrase: the status line's (the glue fills it from httpd's
 * ap_get_status_line) when it is one for this status, else "Unknown":
 * clients parse "HTTP/1.1 NNN Reason" and some require a phrase. */
static const char *reason(const batch_result_t *res)
{
    const char *sl = res->status_line;

    if (sl && apr_isdigit(sl[0]) && apr_isdigit(sl[1]) && apr_isdigit(sl[2])
        && sl[3] == ' ' && sl[4]
        && (sl[0] - '0') * 100 + (sl[1] - '0') * 10 + (sl[2] - '0')
               == res->status
        && !strpbrk(sl + 4, "\r\n")) {
        return sl + 4;
    }
    return "Unknown";
}

/* "HTTP/1.1 NNN " without apr_psprintf (it runs once per item). */
static void put_status(pieces_t *pc, int status)
{
    char s[sizeof("HTTP/1.1 NNN ")];

    if (status < 100 || status > 999) { /* httpd never gives one */
        putz(pc, apr_psprintf(pc->p, "HTTP/1.1 %03d ", status));
        return;
    }
    memcpy(s, "HTTP/1.1 ", 9);
    s[9] = (char)('0' + status / 100);
    s[10] = (char)('0' + status / 10 % 10);
    s[11] = (char)('0' + status % 10);
    s[12] = ' ';
    put(pc, s, 13);
}

/* n in decimal, without a string from the pool. */
static void put_size(pieces_t *pc, apr_size_t n)
{
    char d[3 * sizeof(n)], *e = d + sizeof(d), *s = e;

    do {
        *--s = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    put(pc, s, (apr_size_t)(e - s));
}

/* The embedded response: status line, headers, Content-Length, empty
 * line into pc; the body in out. It always has one header line at least:
 * python3-googleapi's parser fails on a response head of the status line
 * alone (a 204 from a target that sent no header), and a 204 or 1xx may
 * not carry Content-Length. Such a response gets "Cache-Control:
 * no-store", which the batch response says already (docs/behaviour.md). */
static void put_response(pieces_t *pc, batch_multipart_out_t *out,
                         const batch_result_t *res)
{
    const char *ctype, *code, *message;
    const apr_table_t *headers;
    batch_body_t mode =
        batch_encode_body(&ctype, &headers, &code, &message, res, pc->p);
    const apr_array_header_t *hs = batch_encode_headers(headers, pc->p);
    int i;

    put_status(pc, res->status);
    putz(pc, reason(res));
    PUTL(pc, "\r\n");
    if (ctype) {
        PUTL(pc, "Content-Type: ");
        putz(pc, ctype);
        PUTL(pc, "\r\n");
    }
    for (i = 0; i < hs->nelts; i++) {
        const batch_header_t *h = &((const batch_header_t *)hs->elts)[i];
        put(pc, h->name, h->nlen);
        PUTL(pc, ": ");
        putz(pc, h->value);
        PUTL(pc, "\r\n");
    }
    out->body = "";
    out->body_len = 0;
    if (mode == BATCH_BODY_DATA) {
        out->body = res->body;
        out->body_len = res->body_len;
    }
    else if (mode == BATCH_BODY_ERROR) {
        batch_error_t e;

        memset(&e, 0, sizeof(e));
        e.status = res->status;
        e.code = code;
        e.message = message;
        out->body = batch_encode_error(&e, pc->p);
        out->body_len = strlen(out->body);
    }
    if (!res->head && res->status >= 200 && res->status != 204
        && res->status != 304) {
        PUTL(pc, "Content-Length: ");
        put_size(pc, out->body_len);
        PUTL(pc, "\r\n");
    }
    else if (!ctype && hs->nelts == 0) {
        PUTL(pc, "Cache-Control: no-store\r\n");
    }
    PUTL(pc, "\r\n");
}

/* The part head: media type, encoding, Content-ID (Google's clients
 * match "<response-X>" to their "<X>", OData's the value as sent). */
static void put_part_head(pieces_t *pc, const char *content_id)
{
    apr_size_t n = content_id ? strlen(content_id) : 0;

    PUTL(pc, "Content-Type: application/http\r\n"
             "Content-Transfer-Encoding: binary\r\n");
    if (content_id) {
        PUTL(pc, "Content-ID: ");
        if (n >= 2 && content_id[0] == '<' && content_id[n - 1] == '>') {
            PUTL(pc, "<response-");
            put(pc, content_id + 1, n - 1);
        }
        else {
            put(pc, content_id, n);
        }
        PUTL(pc, "\r\n");
    }
    PUTL(pc, "\r\n");
}

/* "\r\n" (unless first) "--" tok "\r\n": a delimiter line. */
static void put_delim(pieces_t *pc, int first, const char *tok)
{
    if (!first) {
        PUTL(pc, "\r\n");
    }
    PUTL(pc, "--");
    put(pc, tok, BATCH_MULTIPART_TOKEN_LEN);
    PUTL(pc, "\r\n");
}

/* The delimiter before the item, opening or closing change sets. */
static apr_status_t put_framing(batch_multipart_writer_t *w, pieces_t *pc,
                                const char *group)
{
    apr_status_t rv;

    if (w->group && (!group || strcmp(group, w->group) != 0)) {
        PUTL(pc, "\r\n--");
        put(pc, w->cs_boundary, BATCH_MULTIPART_TOKEN_LEN);
        PUTL(pc, "--");
        w->group = NULL;
        w->cs_boundary[0] = '\0';
    }
    if (group && !w->group) {
        if ((rv = make_token(w->cs_boundary, w->cs_where)) != APR_SUCCESS) {
            return rv;
        }
        if (w->nparts) {
            PUTL(pc, "\r\n");
        }
        PUTL(pc, "--");
        put(pc, w->boundary, BATCH_MULTIPART_TOKEN_LEN);
        PUTL(pc, "\r\nContent-Type: multipart/mixed; boundary=");
        put(pc, w->cs_boundary, BATCH_MULTIPART_TOKEN_LEN);
        PUTL(pc, "\r\n\r\n");
        w->nparts++;
        w->group = group;
        w->ncs = 0;
    }
    if (w->group) {
        put_delim(pc, !w->ncs, w->cs_boundary);
        w->ncs++;
    }
    else {
        put_delim(pc, !w->nparts, w->boundary);
        w->nparts++;
    }
    return APR_SUCCESS;
}

apr_status_t batch_multipart_write_item(batch_multipart_writer_t *w,
                                        batch_multipart_out_t *out,
                                        const char *content_id,
                                        const char *group,
                                        const batch_result_t *res,
                                        apr_pool_t *ip)
{
    pieces_t pc;
    apr_size_t framing; /* where the part's head starts in pc.buf */
    struct iovec io[2];
    apr_status_t rv;

    pc.p = ip;
    pc.cap = 512; /* a usual head fits */
    pc.len = 0;
    pc.buf = apr_palloc(ip, pc.cap);
    if ((rv = put_framing(w, &pc, group)) != APR_SUCCESS) {
        return rv;
    }
    framing = pc.len;
    put_part_head(&pc, content_id);
    put_response(&pc, out, res);
    /* the part's head (a token split over two headers is found too),
     * then the body: two scans */
    io[0].iov_base = pc.buf + framing;
    io[0].iov_len = pc.len - framing;
    io[1].iov_base = (void *)out->body;
    io[1].iov_len = out->body_len;
    if (collides(w, io, 2)) {
        batch_result_t e;

        memset(&e, 0, sizeof(e));
        e.status = 500;
        e.status_line = "500 Internal Server Error";
        e.error_code = BATCH_MULTIPART_ERR_COLLISION;
        e.error_message = "the item's response holds the boundary of the "
                          "batch response, so it cannot be framed";
        w->collisions++;
        pc.len = framing;
        put_part_head(&pc, content_id);
        io[0].iov_base = pc.buf + framing;
        io[0].iov_len = pc.len - framing;
        if (collides(w, io, 1)) {
            /* the request's own Content-ID held it: leave it out */
            pc.len = framing;
            put_part_head(&pc, NULL);
        }
        put_response(&pc, out, &e);
    }
    pc.buf[pc.len] = '\0';
    out->head = pc.buf;
    out->head_len = pc.len;
    return APR_SUCCESS;
}

const char *batch_multipart_write_close(batch_multipart_writer_t *w,
                                        apr_size_t *plen, apr_pool_t *p)
{
    const char *s =
        apr_pstrcat(p, w->group ? "\r\n--" : "", w->group ? w->cs_boundary : "",
                    w->group ? "--" : "", w->nparts ? "\r\n" : "", "--",
                    w->boundary, "--\r\n", NULL);

    w->group = NULL;
    w->cs_boundary[0] = '\0';
    if (plen) {
        *plen = strlen(s);
    }
    return s;
}
