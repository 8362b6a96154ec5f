/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_encode.c: the last stage of parse -> schedule -> dispatch ->
 * encode. It turns one item's outcome into its entry of the "responses"
 * array (CONTRACT 5 and 6): the headers a client may see, the body in the
 * form its media type calls for, and the {"error":{...}} bodies that
 * mod_batch generates itself. The text is written with a small
 * pool-backed string builder rather than through json-c, which is used
 * only to check and re-serialize a JSON response body. Whatever bytes an
 * item produced, the output is valid UTF-8 JSON. Pure: APR and json-c.
 */

#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "batch_util.h"
#include "batch_encode.h"

/* Deepest JSON response body still inlined as a value; a deeper one is
 * passed on as a string (json-c serializes recursively). */
#define ENCODE_JSON_DEPTH 512

/* ------------------------------------------------------------------ */
/* string builder                                                     */
/* ------------------------------------------------------------------ */

typedef struct sb_t {
    apr_pool_t *p;
    char *buf;
    apr_size_t len;
    apr_size_t cap; /* bytes usable, one more is kept for the NUL */
} sb_t;

static void sb_init(sb_t *b, apr_pool_t *p, apr_size_t cap)
{
    b->p = p;
    b->len = 0;
    b->cap = cap;
    b->buf = apr_palloc(p, cap + 1);
}

/* Doubling keeps the pool's waste (abandoned smaller buffers) below the
 * size of the final text. */
static void sb_reserve(sb_t *b, apr_size_t n)
{
    if (b->cap - b->len < n) {
        apr_size_t cap = b->cap * 2;
        char *nb;
        if (cap < b->len + n) {
            cap = b->len + n;
        }
        nb = apr_palloc(b->p, cap + 1);
        memcpy(nb, b->buf, b->len);
        b->buf = nb;
        b->cap = cap;
    }
}

static void sb_put(sb_t *b, const char *s, apr_size_t n)
{
    sb_reserve(b, n);
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void sb_puts(sb_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* A non-negative int in decimal (an HTTP status). */
static void sb_int(sb_t *b, int v)
{
    char digits[12];
    int n = 0;

    if (v < 0) {
        v = 0;
    }
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < (int)sizeof(digits));
    sb_put(b, digits + sizeof(digits) - n, (apr_size_t)n);
}

static void sb_putc(sb_t *b, char c)
{
    sb_reserve(b, 1);
    b->buf[b->len++] = c;
}

/* Length of the well-formed UTF-8 sequence at s, or 0. */
static apr_size_t utf8_seq(const char *s, apr_size_t avail)
{
    unsigned char c = (unsigned char)s[0];
    apr_size_t n = c < 0xC2   ? 0
                   : c < 0xE0 ? 2
                   : c < 0xF0 ? 3
                   : c < 0xF5 ? 4
                              : 0;

    if (n == 0 || n > avail || !batch_util_utf8_valid(s, n)) {
        return 0;
    }
    return n;
}

/* s[0..n) as a quoted JSON string. Bytes that are not UTF-8 become
 * U+FFFD: header fields may carry any octet (RFC 9110 5.5), JSON may
 * not. */
static void sb_str(sb_t *b, const char *s, apr_size_t n)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t i = 0, run;

    sb_reserve(b, n + 2);
    b->buf[b->len++] = '"';
    run = batch_util_json_plain_run((const unsigned char *)s, 0, n);
    if (run == n) {
        /* the common case: nothing to escape */
        memcpy(b->buf + b->len, s, n);
        b->len += n;
        b->buf[b->len++] = '"';
        return;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];

        run = batch_util_json_plain_run((const unsigned char *)s, i, n);
        c = run < n ? (unsigned char)s[run] : 0;
        if (run > i) {
            sb_put(b, s + i, run - i);
            i = run;
            continue;
        }
        if (c >= 0x80) {
            apr_size_t k = utf8_seq(s + i, n - i);
            if (k) {
                sb_put(b, s + i, k);
                i += k;
            }
            else {
                sb_put(b, "\xEF\xBF\xBD", 3);
                i++;
            }
            continue;
        }
        sb_reserve(b, 6);
        b->buf[b->len++] = '\\';
        switch (c) {
        case '"':
        case '\\':
            b->buf[b->len++] = (char)c;
            break;
        case '\n':
            b->buf[b->len++] = 'n';
            break;
        case '\r':
            b->buf[b->len++] = 'r';
            break;
        case '\t':
            b->buf[b->len++] = 't';
            break;
        default:
            b->buf[b->len++] = 'u';
            b->buf[b->len++] = '0';
            b->buf[b->len++] = '0';
            b->buf[b->len++] = hex[c >> 4];
            b->buf[b->len++] = hex[c & 0xF];
            break;
        }
        i++;
    }
    sb_putc(b, '"');
}

static void sb_strz(sb_t *b, const char *s)
{
    sb_str(b, s ? s : "", s ? strlen(s) : 0);
}

static void sb_base64(sb_t *b, const char *s, apr_size_t n)
{
    apr_size_t elen;
    const char *e = batch_util_base64_encode(&elen, s, n, b->p);

    sb_reserve(b, elen + 2);
    sb_putc(b, '"');
    sb_put(b, e, elen);
    sb_putc(b, '"');
}

static const char *sb_finish(sb_t *b, apr_size_t *plen)
{
    b->buf[b->len] = '\0';
    if (plen) {
        *plen = b->len;
    }
    return b->buf;
}

/* ------------------------------------------------------------------ */
/* status lines and error bodies                                      */
/* ------------------------------------------------------------------ */

const char *batch_encode_reason(int status)
{
    /* httpd 2.4's own phrases, so that a generated error reads the same
     * whether its status line came from httpd or from this table. */
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 102:
        return "Processing";
    case 103:
        return "Early Hints";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 205:
        return "Reset Content";
    case 206:
        return "Partial Content";
    case 207:
        return "Multi-Status";
    case 208:
        return "Already Reported";
    case 226:
        return "IM Used";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 305:
        return "Use Proxy";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 407:
        return "Proxy Authentication Required";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Request Entity Too Large";
    case 414:
        return "Request-URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Requested Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 418:
        return "I'm a teapot";
    case 421:
        return "Misdirected Request";
    case 422:
        return "Unprocessable Entity";
    case 423:
        return "Locked";
    case 424:
        return "Failed Dependency";
    case 426:
        return "Upgrade Required";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 451:
        return "Unavailable For Legal Reasons";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 506:
        return "Variant Also Negotiates";
    case 507:
        return "Insufficient Storage";
    case 508:
        return "Loop Detected";
    case 510:
        return "Not Extended";
    case 511:
        return "Network Authentication Required";
    }
    return NULL;
}

static const char *status_line(int status, const char *given, apr_pool_t *p)
{
    const char *reason;

    if (given && *given) {
        return given;
    }
    reason = batch_encode_reason(status);
    return reason ? apr_psprintf(p, "%d %s", status, reason)
                  : apr_psprintf(p, "%d", status);
}

/* "404 Not Found" -> "NotFound"; "Error" when there is no phrase. */
static const char *status_code(const char *line, apr_pool_t *p)
{
    char *code = apr_palloc(p, strlen(line) + 1);
    apr_size_t n = 0;

    while (*line >= '0' && *line <= '9') {
        line++;
    }
    for (; *line; line++) {
        char c = *line;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')) {
            code[n++] = c;
        }
    }
    code[n] = '\0';
    return n ? code : "Error";
}

static void put_error(sb_t *b, const char *code, const char *message)
{
    sb_puts(b, "{\"error\":{\"code\":");
    sb_strz(b, code);
    sb_puts(b, ",\"message\":");
    sb_strz(b, message);
    sb_puts(b, "}}");
}

const char *batch_encode_error(const batch_error_t *err, apr_pool_t *p)
{
    sb_t b;
    const char *msg = err->message;

    if (!msg) {
        msg = status_line(err->status, NULL, p);
    }
    sb_init(&b, p, 64 + strlen(msg));
    put_error(&b, err->code ? err->code : "Error", msg);
    return sb_finish(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* headers                                                            */
/* ------------------------------------------------------------------ */

typedef struct name_t {
    const char *name;
    apr_size_t len;
} name_t;

#define NAME(s)                                                                \
    {                                                                          \
        s, sizeof(s) - 1                                                       \
    }

/* Hop-by-hop headers (RFC 9110 7.6.1) and the framing the batch
 * response replaces; none describes the item to the client. Content-Type
 * is written first, under its exact name. */
static const name_t dropped_headers[] = {
    NAME("Connection"),        NAME("Keep-Alive"),
    NAME("Proxy-Connection"),  NAME("TE"),
    NAME("Trailer"),           NAME("Upgrade"),
    NAME("Transfer-Encoding"), NAME("Content-Length"),
    NAME("Content-Type")};

/* 1 when name (n bytes) is one of dropped_headers, in any case; the
 * length is compared first, so most names cost no string compare. */
static int is_dropped(const char *name, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < sizeof(dropped_headers) / sizeof(dropped_headers[0]); i++) {
        if (dropped_headers[i].len == n
            && !apr_cstr_casecmpn(name, dropped_headers[i].name, n)) {
            return 1;
        }
    }
    return 0;
}

static char *fold(const char *s, apr_pool_t *p)
{
    char *f = apr_pstrdup(p, s);
    char *c;

    for (c = f; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c + ('a' - 'A'));
        }
    }
    return f;
}

/* Names listed in Connection headers are hop-by-hop too. */
static apr_hash_t *connection_names(const apr_array_header_t *arr,
                                    apr_pool_t *p)
{
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_hash_t *h = apr_hash_make(p);
    int i;

    for (i = 0; i < arr->nelts; i++) {
        const char *v;
        if (!e[i].key || !e[i].val
            || apr_cstr_casecmp(e[i].key, "Connection") != 0) {
            continue;
        }
        v = e[i].val;
        while (*v) {
            const char *s, *t;
            while (*v == ' ' || *v == '\t' || *v == ',') {
                v++;
            }
            s = v;
            while (*v && *v != ',') {
                v++;
            }
            t = v;
            while (t > s && (t[-1] == ' ' || t[-1] == '\t')) {
                t--;
            }
            if (t > s) {
                char *name = fold(apr_pstrmemdup(p, s, (apr_size_t)(t - s)), p);
                apr_hash_set(h, name, APR_HASH_KEY_STRING, name);
            }
        }
    }
    return h;
}

apr_array_header_t *batch_encode_headers(const apr_table_t *t, apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    apr_hash_t *conn = NULL;
    apr_array_header_t *out;
    int i, j;

    if (!t) {
        return apr_array_make(p, 1, sizeof(batch_header_t));
    }
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    out =
        apr_array_make(p, arr->nelts ? arr->nelts : 1, sizeof(batch_header_t));
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && (e[i].key[0] | 0x20) == 'c'
            && !apr_cstr_casecmp(e[i].key, "Connection")) {
            conn = connection_names(arr, p);
            break;
        }
    }
    for (i = 0; i < arr->nelts; i++) {
        const char *val = e[i].val ? e[i].val : "";
        apr_size_t n;
        batch_header_t *h = NULL;

        if (!e[i].key) {
            continue;
        }
        n = strlen(e[i].key);
        if (is_dropped(e[i].key, n)) {
            continue;
        }
        if (conn
            && apr_hash_get(conn, fold(e[i].key, p), APR_HASH_KEY_STRING)) {
            continue;
        }
        /* responses carry few headers (LimitRequestFields bounds
         * proxied ones): a linear search beats a hash per item */
        for (j = 0; j < out->nelts; j++) {
            batch_header_t *o = &((batch_header_t *)out->elts)[j];
            if (o->nlen == n && !apr_cstr_casecmpn(o->name, e[i].key, n)) {
                h = o;
                break;
            }
        }
        if (h) {
            h->value = apr_pstrcat(p, h->value, ", ", val, NULL);
            continue;
        }
        h = apr_array_push(out);
        h->name = e[i].key;
        h->nlen = n;
        h->value = val;
    }
    return out;
}

static void put_headers(sb_t *b, const apr_table_t *t, const char *ctype,
                        apr_pool_t *p)
{
    const apr_array_header_t *out = batch_encode_headers(t, p);
    int first = 1, i;

    sb_putc(b, '{');
    if (ctype) {
        sb_puts(b, "\"Content-Type\":");
        sb_strz(b, ctype);
        first = 0;
    }
    for (i = 0; i < out->nelts; i++) {
        const batch_header_t *h = &((const batch_header_t *)out->elts)[i];
        if (!first) {
            sb_putc(b, ',');
        }
        first = 0;
        sb_str(b, h->name, h->nlen);
        sb_putc(b, ':');
        sb_strz(b, h->value);
    }
    sb_putc(b, '}');
}

/* ------------------------------------------------------------------ */
/* bodies                                                             */
/* ------------------------------------------------------------------ */

/* A JSON body that is valid JSON goes in as the value itself, copied as
 * it is (validated without building a tree: re-parsing and re-printing
 * each body cost more than the subrequest); 0 otherwise. */
static int put_json(sb_t *b, const char *body, apr_size_t len)
{
    while (len > 0
           && (body[0] == ' ' || body[0] == '\t' || body[0] == '\n'
               || body[0] == '\r')) {
        body++;
        len--;
    }
    while (len > 0
           && (body[len - 1] == ' ' || body[len - 1] == '\t'
               || body[len - 1] == '\n' || body[len - 1] == '\r')) {
        len--;
    }
    if (len == 0 || !batch_util_json_valid(body, len, ENCODE_JSON_DEPTH)) {
        return 0;
    }
    sb_put(b, body, len);
    return 1;
}

static void put_body(sb_t *b, const char *body, apr_size_t len,
                     const char *ctype)
{
    batch_media_t mc = batch_util_media_class(ctype);

    if (mc == BATCH_MEDIA_JSON && put_json(b, body, len)) {
        return;
    }
    /* JSON that does not parse is passed on as text (CONTRACT 5) */
    if (mc != BATCH_MEDIA_BINARY && batch_util_utf8_valid(body, len)) {
        sb_str(b, body, len);
        return;
    }
    sb_base64(b, body, len);
}

batch_body_t batch_encode_body(const char **pctype,
                               const apr_table_t **pheaders, const char **pcode,
                               const char **pmessage, const batch_result_t *res,
                               apr_pool_t *p)
{
    batch_body_t mode;
    const apr_table_t *headers = res->headers;
    int has_data = res->body != NULL && res->body_len > 0;

    *pcode = NULL;
    *pmessage = NULL;
    if (res->error_code) {
        /* mod_batch's own refusal replaces whatever the item had */
        mode = BATCH_BODY_ERROR;
        *pcode = res->error_code;
        *pmessage = res->error_message
                        ? res->error_message
                        : status_line(res->status, res->status_line, p);
        headers = NULL;
    }
    else if (res->status == 204 || res->status == 304) {
        mode = BATCH_BODY_NONE;
    }
    else if (!has_data) {
        mode = (res->status >= 400 && !res->head) ? BATCH_BODY_ERROR
                                                  : BATCH_BODY_NONE;
        if (mode == BATCH_BODY_ERROR) {
            *pmessage = status_line(res->status, res->status_line, p);
            *pcode = status_code(*pmessage, p);
        }
    }
    else {
        mode = BATCH_BODY_DATA;
    }

    if (res->error_code || mode == BATCH_BODY_ERROR) {
        *pctype = "application/json";
    }
    else if (res->content_type) {
        *pctype = res->content_type;
    }
    else {
        *pctype = headers ? apr_table_get(headers, "Content-Type") : NULL;
    }
    *pheaders = headers;
    /* never a body for HEAD, whatever its status (CONTRACT 5) */
    return res->head ? BATCH_BODY_NONE : mode;
}

apr_status_t batch_encode_item(const char **pjson, apr_size_t *plen,
                               const char *id, const batch_result_t *res,
                               apr_pool_t *p)
{
    const char *ctype, *code, *message;
    const apr_table_t *headers;
    batch_body_t mode =
        batch_encode_body(&ctype, &headers, &code, &message, res, p);
    sb_t b;

    sb_init(&b, p,
            256
                + (mode == BATCH_BODY_DATA ? res->body_len + res->body_len / 3
                                           : 0));
    sb_puts(&b, "{\"id\":");
    sb_strz(&b, id);
    sb_puts(&b, ",\"status\":");
    sb_int(&b, res->status);
    sb_puts(&b, ",\"headers\":");
    put_headers(&b, headers, ctype, p);
    if (mode == BATCH_BODY_ERROR) {
        sb_puts(&b, ",\"body\":");
        put_error(&b, code, message);
    }
    else if (mode == BATCH_BODY_DATA) {
        sb_puts(&b, ",\"body\":");
        put_body(&b, res->body, res->body_len, ctype);
    }
    sb_putc(&b, '}');
    *pjson = sb_finish(&b, plen);
    return APR_SUCCESS;
}
