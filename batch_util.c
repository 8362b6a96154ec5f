/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_util.c: the small pure helpers every stage leans on. The parser
 * uses them to check ids, tokens, header values and base64 bodies and to
 * read the batch document strictly; the encoder uses them to turn item
 * bodies back into JSON; the configuration code uses the size parser.
 * APR only: no httpd, no logging, no state.
 */

#include <errno.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_cstr.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "batch_util.h"

/* ------------------------------------------------------------------ */
/* sizes                                                              */
/* ------------------------------------------------------------------ */

apr_status_t batch_util_parse_size(apr_off_t *psize, const char *s)
{
    /* apr_off_t is 64-bit on every platform httpd 2.4 builds for with
     * large file support; computing the limit from the type keeps this
     * honest either way. */
    const apr_off_t max =
        (apr_off_t)((~(apr_uint64_t)0) >> 1 >> (64 - 8 * sizeof(apr_off_t)));
    apr_int64_t v;
    apr_off_t mult = 1;
    char *c;

    /* apr_strtoi64 also takes leading space and a sign: not here */
    if (!s || !apr_isdigit(*s)) {
        return APR_EINVAL;
    }
    errno = 0;
    v = apr_strtoi64(s, &c, 10);
    if (errno == ERANGE || v > max) {
        return APR_EINVAL;
    }
    switch (*c) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mult = 1024;
        c++;
        break;
    case 'm':
    case 'M':
        mult = 1024 * 1024;
        c++;
        break;
    case 'g':
    case 'G':
        mult = 1024 * 1024 * 1024;
        c++;
        break;
    default:
        return APR_EINVAL;
    }
    if (*c != '\0' || v < 1 || v > max / mult) {
        return APR_EINVAL;
    }
    *psize = (apr_off_t)v * mult;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* results                                                            */
/* ------------------------------------------------------------------ */

void batch_util_result_error(batch_result_t *res, int status, const char *code,
                             const char *message)
{
    res->status = status;
    res->error_code = code;
    res->error_message = message;
    res->headers = NULL;
    res->content_type = NULL;
    res->body = NULL;
    res->body_len = 0;
}

/* ------------------------------------------------------------------ */
/* media types                                                        */
/* ------------------------------------------------------------------ */

static int ends_with(const char *s, apr_size_t len, const char *suffix)
{
    apr_size_t n = strlen(suffix);
    return len >= n && !memcmp(s + len - n, suffix, n);
}

static int equals(const char *s, apr_size_t len, const char *what)
{
    return strlen(what) == len && !memcmp(s, what, len);
}

batch_media_t batch_util_media_class(const char *content_type)
{
    char type[128];
    const char *b, *e;
    apr_size_t len, i;

    if (!content_type) {
        return BATCH_MEDIA_BINARY;
    }
    if (strncmp(content_type, "application/json", 16) == 0
        && (content_type[16] == '\0' || content_type[16] == ';')) {
        return BATCH_MEDIA_JSON; /* the common case, without a copy */
    }
    /* The media type is what precedes the parameters, with optional
     * whitespace around it (RFC 9110 8.3.1). */
    b = content_type;
    while (*b == ' ' || *b == '\t') {
        b++;
    }
    e = b;
    while (*e && *e != ';') {
        e++;
    }
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    len = (apr_size_t)(e - b);
    if (len == 0 || len >= sizeof(type)) {
        /* No real media type is this long; binary is the safe class. */
        return BATCH_MEDIA_BINARY;
    }
    for (i = 0; i < len; i++) {
        type[i] = (char)apr_tolower(b[i]);
    }
    type[len] = '\0';

    if (equals(type, len, "application/json")
        || ends_with(type, len, "+json")) {
        return BATCH_MEDIA_JSON;
    }
    if ((len > 5 && !strncmp(type, "text/", 5))
        || equals(type, len, "application/xml") || ends_with(type, len, "+xml")
        || equals(type, len, "application/javascript")
        || equals(type, len, "application/x-www-form-urlencoded")) {
        return BATCH_MEDIA_TEXT;
    }
    return BATCH_MEDIA_BINARY;
}

/* ------------------------------------------------------------------ */
/* UTF-8, tokens, header values                                       */
/* ------------------------------------------------------------------ */

/* The ranges of RFC 3629's table, so that the second byte alone rules
 * out overlongs, surrogates and code points above U+10FFFF. */
apr_size_t batch_util_utf8_seq(const unsigned char *u, apr_size_t i,
                               apr_size_t len)
{
    unsigned char c = u[i], lo = 0x80, hi = 0xBF;
    apr_size_t n, k;

    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    }
    else {
        /* ASCII, a stray continuation byte, 0xC0/0xC1 (always overlong)
         * or 0xF5 and up (beyond U+10FFFF) */
        return 0;
    }
    if (len - i < n || u[i + 1] < lo || u[i + 1] > hi) {
        return 0;
    }
    for (k = 2; k < n; k++) {
        if ((u[i + k] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

int batch_util_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0;

    while (i < len) {
        apr_size_t n;

        if (u[i] < 0x80) {
            /* most bodies are ASCII: skip 8 bytes at a time while no byte
             * has its high bit set */
            i++;
            while (len - i >= 8) {
                apr_uint64_t w;

                memcpy(&w, u + i, 8);
                if (w & APR_UINT64_C(0x8080808080808080)) {
                    break;
                }
                i += 8;
            }
            continue;
        }
        n = batch_util_utf8_seq(u, i, len);
        if (n == 0) {
            return 0;
        }
        i += n;
    }
    return 1;
}

apr_size_t batch_util_utf8_chars(const char *s, apr_size_t len)
{
    apr_size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

static int is_tchar(unsigned char c)
{
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int batch_util_is_token(const char *s)
{
    if (!s || !*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!is_tchar((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}

const char *batch_util_fold(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *f;
    apr_size_t i = 0;

    while (i < len && !(s[i] >= 'A' && s[i] <= 'Z')) {
        i++;
    }
    if (i == len) {
        return s;
    }
    f = apr_pstrmemdup(p, s, len);
    for (; i < len; i++) {
        if (f[i] >= 'A' && f[i] <= 'Z') {
            f[i] = (char)(f[i] + ('a' - 'A'));
        }
    }
    return f;
}

/* ------------------------------------------------------------------ */
/* hop-by-hop headers                                                 */
/* ------------------------------------------------------------------ */

int batch_util_token_listed(const char *list, const char *name, apr_size_t len)
{
    const char *v = list;

    if (!list || len == 0) {
        return 0;
    }
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
        if ((apr_size_t)(t - s) == len && !apr_cstr_casecmpn(s, name, len)) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* base64                                                             */
/* ------------------------------------------------------------------ */

/* Value of c in either alphabet; 64/65 flag which alphabet-specific
 * character it was so that a mix of both can be refused. */
static int b64_value(unsigned char c, int *alphabet)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '/') {
        *alphabet |= 1;
        return c == '+' ? 62 : 63;
    }
    if (c == '-' || c == '_') {
        *alphabet |= 2;
        return c == '-' ? 62 : 63;
    }
    return -1;
}

/* Our own decoder, not apr_base64_decode(): that one stops quietly at
 * the first byte outside its alphabet and knows no URL-safe alphabet, so
 * it cannot tell a body that is not base64 (a 400, CONTRACT 5) from one
 * that is. */
apr_status_t batch_util_base64_decode(const char **pout, apr_size_t *poutlen,
                                      const char *in, apr_size_t inlen,
                                      apr_pool_t *p)
{
    apr_size_t n = inlen, pad = 0, i, o = 0;
    apr_uint32_t acc = 0;
    int alphabet = 0, bits = 0;
    char *out;

    /* Padding, when present, must complete the last quantum exactly. */
    while (n > 0 && in[n - 1] == '=') {
        n--;
        pad++;
    }
    if (pad > 2 || (pad > 0 && inlen % 4 != 0) || n % 4 == 1) {
        return APR_EINVAL;
    }
    if (pad > 0 && (n % 4) + pad != 4) {
        return APR_EINVAL;
    }
    out = apr_palloc(p, n / 4 * 3 + 3);
    for (i = 0; i < n; i++) {
        int v = b64_value((unsigned char)in[i], &alphabet);
        if (v < 0 || alphabet == 3) {
            return APR_EINVAL;
        }
        acc = (acc << 6) | (apr_uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    /* Left-over bits of a short last quantum are dropped, as atob() and
     * most decoders do (RFC 4648 3.5 lets a decoder choose). */
    out[o] = '\0';
    *pout = out;
    if (poutlen) {
        *poutlen = o;
    }
    return APR_SUCCESS;
}

const char *batch_util_base64_encode(apr_size_t *poutlen, const char *in,
                                     apr_size_t inlen, apr_pool_t *p)
{
    /* apr_base64_encode_binary() takes an int length: whole groups of 3
     * bytes at a time, so that only the last one is padded */
    const apr_size_t chunk = (apr_size_t)3 << 20;
    char *out = apr_palloc(p, (inlen + 2) / 3 * 4 + 1);
    apr_size_t i = 0, o = 0;

    do {
        apr_size_t n = inlen - i < chunk ? inlen - i : chunk;

        /* the count includes the NUL it writes */
        o += (apr_size_t)apr_base64_encode_binary(
                 out + o, (const unsigned char *)in + i, (int)n)
             - 1;
        i += n;
    } while (i < inlen);
    if (poutlen) {
        *poutlen = o;
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at u[i] (lead byte >= 0x80),
 * 0 when it is not one. */
static apr_size_t utf8_seq_at(const unsigned char *u, apr_size_t i,
                              apr_size_t len)
{
    apr_size_t n = u[i] >= 0xF0 ? 4 : u[i] >= 0xE0 ? 3 : 2;

    if (len - i < n || !batch_util_utf8_valid((const char *)u + i, n)) {
        return 0;
    }
    return n;
}

/* The escaped form of the byte (or UTF-8 sequence) at u[i], which is
 * not plain, in e (at most 6 bytes); its length. *pn is set to the
 * bytes it stands for. */
static apr_size_t escape_one(char *e, const unsigned char *u, apr_size_t i,
                             apr_size_t len, apr_size_t *pn)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = u[i];

    *pn = 1;
    if (c >= 0x80) {
        apr_size_t k = utf8_seq_at(u, i, len);
        if (k == 0) {
            /* not UTF-8: U+FFFD, one per byte */
            memcpy(e, "\xEF\xBF\xBD", 3);
            return 3;
        }
        memcpy(e, u + i, k);
        *pn = k;
        return k;
    }
    e[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        e[1] = (char)c;
        return 2;
    case '\n':
        e[1] = 'n';
        return 2;
    case '\r':
        e[1] = 'r';
        return 2;
    case '\t':
        e[1] = 't';
        return 2;
    }
    /* the other controls */
    e[1] = 'u';
    e[2] = '0';
    e[3] = '0';
    e[4] = hex[c >> 4];
    e[5] = hex[c & 0xF];
    return 6;
}

apr_size_t batch_util_json_escape_to(char *out, apr_size_t cap, const char *s,
                                     apr_size_t len, apr_size_t *pused)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0, o = 0;

    while (i < len) {
        apr_size_t run = batch_util_json_plain_run(u, i, len), n, k;
        char e[6];

        if (out && run - i > cap - o) {
            run = i + (cap - o);
        }
        if (out) {
            memcpy(out + o, s + i, run - i);
        }
        o += run - i;
        i = run;
        if (i == len) {
            break;
        }
        k = escape_one(e, u, i, len, &n);
        if (out) {
            if (k > cap - o) {
                break; /* full: the caller grows out and goes on */
            }
            memcpy(out + o, e, k);
        }
        o += k;
        i += n;
    }
    if (pused) {
        *pused = i;
    }
    return o;
}

const char *batch_util_json_escape(apr_size_t *poutlen, const char *s,
                                   apr_size_t len, apr_pool_t *p)
{
    apr_size_t need = batch_util_json_escape_to(NULL, 0, s, len, NULL);
    char *out = apr_palloc(p, need + 1);

    batch_util_json_escape_to(out, need, s, len, NULL);
    out[need] = '\0';
    if (poutlen) {
        *poutlen = need;
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* Strict JSON validation without building a tree                     */
/* ------------------------------------------------------------------ */

const unsigned char batch_util_json_plain[256] = {
    [0x20 ... 0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7F] = 1};

/* The 4 hex digits at s[i], or -1 when they are not (or not there). */
static long hex4_at(const unsigned char *s, apr_size_t i, apr_size_t len)
{
    long v = 0;
    apr_size_t k;

    if (len < 4 || i > len - 4) {
        return -1;
    }
    for (k = i; k < i + 4; k++) {
        if (!apr_isxdigit(s[k])) {
            return -1;
        }
        v = (v << 4) | (s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
    }
    return v;
}

/* The \u escape at s[i] (s[i + 1] == 'u'): its length, 6, or 12 for a
 * surrogate pair; 0 when it lacks its 4 hex digits or is a lone
 * surrogate. A lone surrogate is no character (RFC 8259 8.2): the
 * module's own reader refuses it, and so do strict decoders downstream,
 * so a body holding one must not be copied into the batch response. */
static apr_size_t u_escape_len(const unsigned char *s, apr_size_t i,
                               apr_size_t len)
{
    long cp = hex4_at(s, i + 2, len), lo;

    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
        return 0;
    }
    if (cp < 0xD800 || cp > 0xDBFF) {
        return 6;
    }
    lo = (len - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u')
             ? hex4_at(s, i + 8, len)
             : -1;
    return (lo >= 0xDC00 && lo <= 0xDFFF) ? 12 : 0;
}

/* The rest of a string from s[i], inside it, in the text s[0..len): RFC
 * 8259 escapes (surrogates paired), no raw control characters,
 * well-formed UTF-8. Returns the index just past the closing quote, or 0
 * when the string is not valid (a valid one never ends at 0). */
static apr_size_t jv_string_rest(const unsigned char *s, apr_size_t len,
                                 apr_size_t i)
{
    while (i < len) {
        unsigned char c;

        i = batch_util_json_plain_run(s, i, len);
        if (i >= len) {
            break;
        }
        c = s[i];
        if (c == '"') {
            return i + 1;
        }
        if (c < 0x20) {
            return 0;
        }
        if (c == '\\') {
            if (i + 1 >= len) {
                return 0;
            }
            c = s[i + 1];
            if (c == 'u') {
                apr_size_t k = u_escape_len(s, i, len);

                if (k == 0) {
                    return 0;
                }
                i += k;
                continue;
            }
            if (!strchr("\"\\/bfnrt", c) || c == '\0') {
                return 0;
            }
            i += 2;
            continue;
        }
        if (c >= 0x80) {
            apr_size_t n = batch_util_utf8_seq(s, i, len);

            if (n == 0) {
                return 0;
            }
            i += n;
            continue;
        }
        i++;
    }
    return 0;
}

/* A string from s[i] on, s[i] inside it, in the text s[0..end): the index
 * just past its closing quote, or 0 when it is not valid. Out of line:
 * the validator's hot path (jv_string16(), inlined by hand into
 * jv_nested()) comes here only for longer strings. */
static BATCH_NOINLINE apr_size_t jv_string_more(const unsigned char *s,
                                                apr_size_t end, apr_size_t i)
{
    i = batch_util_json_plain_run(s, i, end);
    if (i < end && s[i] == '"') {
        return i + 1;
    }
    return jv_string_rest(s, end, i);
}

/*
 * The string whose first byte after the opening quote is s[*pi], when
 * s[*pi..*pi + 16) is in the text s[0..end): 1 and *pi just past its
 * closing quote, or 0 when it is not valid. This is the validator's hot
 * path, for the strings most bodies are made of (member names and values
 * shorter than sixteen bytes, plain up to their closing quote): one
 * sixteen-byte step, with no loop to set up. When the first byte that is
 * not plain is no quote, jv_string_rest() takes over there (escapes,
 * UTF-8, errors); a longer string goes on in jv_string_more().
 */
static BATCH_INLINE int jv_string16(const unsigned char *s, apr_size_t end,
                                    apr_size_t *pi)
{
    apr_size_t i = *pi, k;
#if defined(__SSE2__)
    unsigned int mask = batch_util_json_special16(s + i);

    if (BATCH_LIKELY(mask != 0)) {
        i += (apr_size_t)__builtin_ctzll(mask);
        if (BATCH_LIKELY(s[i] == '"')) {
            *pi = i + 1;
            return 1;
        }
        k = jv_string_rest(s, end, i);
    }
    else {
        k = jv_string_more(s, end, i + 16);
    }
#else
    k = jv_string_more(s, end, i);
#endif
    if (k == 0) {
        return 0;
    }
    *pi = k;
    return 1;
}

/* The string whose opening quote is at s[*pi]: jv_string16() when its
 * first sixteen bytes are in the text (i <= lim, lim being end - 16, or 0
 * in a text shorter than that, as no string starts before s[1]). */
static BATCH_INLINE int jv_string(const unsigned char *s, apr_size_t end,
                                  apr_size_t lim, apr_size_t *pi)
{
    apr_size_t i = *pi + 1;

    if (i <= lim) {
        *pi = i;
        return jv_string16(s, end, pi);
    }
    *pi = jv_string_more(s, end, i);
    return *pi != 0;
}

/* isdigit() is 0-9 in every locale (C11 7.4.1.5); a compare is cheaper */
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

const char *batch_util_json_number(const unsigned char *s, apr_size_t len,
                                   apr_size_t *pi)
{
    apr_size_t i = *pi;

    if (s[i] == '-') {
        i++;
    }
    if (i >= len || !IS_DIGIT(s[i])) {
        *pi = i;
        return "a number has no digits";
    }
    if (s[i] == '0') {
        if (i + 1 < len && IS_DIGIT(s[i + 1])) {
            *pi = i;
            return "a number has a leading zero";
        }
        i++;
    }
    else {
        while (i < len && IS_DIGIT(s[i])) {
            i++;
        }
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !IS_DIGIT(s[i])) {
            *pi = i;
            return "a number has no digits after '.'";
        }
        while (i < len && IS_DIGIT(s[i])) {
            i++;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (i >= len || !IS_DIGIT(s[i])) {
            *pi = i;
            return "a number has no exponent digits";
        }
        while (i < len && IS_DIGIT(s[i])) {
            i++;
        }
    }
    *pi = i;
    return NULL;
}

/* A number, true, false or null at s[i]: the index just past it, or 0
 * when there is none. */
static apr_size_t jv_scalar(const unsigned char *s, apr_size_t len,
                            apr_size_t i)
{
    unsigned char c = s[i];

    if (c == '-' || IS_DIGIT(c)) {
        return batch_util_json_number(s, len, &i) == NULL ? i : 0;
    }
    if (len - i >= 4
        && (!memcmp(s + i, "true", 4) || !memcmp(s + i, "null", 4))) {
        return i + 4;
    }
    if (len - i >= 5 && !memcmp(s + i, "false", 5)) {
        return i + 5;
    }
    return 0;
}

/* JSON whitespace (RFC 8259 2): space, tab, line feed, carriage return */
#define JV_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/* The first byte at or after s[i] that is no JSON whitespace (a compare
 * or two when there is none). No bound: the caller knows that one comes
 * before the end (see jv_nested()). */
static inline apr_size_t jv_ws(const unsigned char *s, apr_size_t i)
{
    while (JV_WS(s[i])) {
        i++;
    }
    return i;
}

/*
 * The container at s[i] ('{' or '['), which has to end the text: s[end - 1]
 * is its closing byte, and there is no whitespace there. The grammar's
 * places are labels, and each tests first the bytes that compact JSON has
 * there (whitespace goes the longer way):
 *   open      s[i] opens a container: one more level, its closing byte in
 *             close, the enclosing one's on the stack
 *   name      a member name must come
 *   named     a member name has ended: ':' and a value must come
 *   value     a value must come (no whitespace first)
 *   in_object a value has ended in an object
 *   after     a value has ended: ',' or the container's closing byte
 *   pop       s[i] closes the innermost container
 * The lane of compact JSON, where a member is `,"name":"value"` more
 * often than not: named and in_object test `:"` and `,"` as one pair and
 * hand the string after it to jv_string16(), when the pair and the
 * string's first sixteen bytes are in the text (i + 2 <= lim); a member
 * costs two compares and two sixteen-byte steps.
 * No byte is read at or past the end, with no bound check but after a
 * pop: s[end - 1] is a '}' or ']', so every token but a closing byte (a
 * string's closing quote, the last byte of a number or literal, ',', ':',
 * an opening byte) ends before it, and the byte after such a token is
 * still in the text; a whitespace run stops at s[end - 1] at the latest.
 * Numbers, literals and jv_string_more() check their own bounds;
 * jv_string16() reads sixteen bytes unchecked, so it is only called with
 * its start at or below lim (end - 16), which each caller tests first.
 */
static BATCH_INLINE int jv_nested(const unsigned char *s, apr_size_t i,
                                  apr_size_t end, int depth)
{
    unsigned char stack[BATCH_JSON_VALID_MAX_DEPTH]; /* the outer closes */
    unsigned char close = 0; /* '}' or ']': the innermost container's */
    int top = 0;             /* open containers */
    const apr_size_t lim = end >= 16 ? end - 16 : 0; /* see jv_string() */

open:
    if (top >= depth) {
        return 0;
    }
    stack[top++] = close;
    close = (unsigned char)(s[i] + 2); /* '{' + 2 is '}', '[' + 2 is ']' */
    i = jv_ws(s, i + 1);
    if (s[i] == close) {
        goto pop;
    }
    if (close == ']') {
        goto value;
    }
name:
    if (s[i] != '"' || !jv_string(s, end, lim, &i)) {
        return 0;
    }
named:
    if (BATCH_LIKELY(i + 2 <= lim && !memcmp(s + i, ":\"", 2))) {
        i += 2;
        if (!jv_string16(s, end, &i)) {
            return 0;
        }
        goto in_object;
    }
    i = jv_ws(s, i);
    if (s[i] != ':') {
        return 0;
    }
    i = jv_ws(s, i + 1);
value:
    if (s[i] == '"') {
        if (!jv_string(s, end, lim, &i)) {
            return 0;
        }
    }
    else if (s[i] == '{' || s[i] == '[') {
        goto open;
    }
    else if ((i = jv_scalar(s, end, i)) == 0) {
        return 0;
    }
    if (close == ']') {
        goto after;
    }
in_object:
    if (BATCH_LIKELY(i + 2 <= lim && !memcmp(s + i, ",\"", 2))) {
        i += 2;
        if (!jv_string16(s, end, &i)) {
            return 0;
        }
        goto named;
    }
after:
    i = jv_ws(s, i);
    if (s[i] == ',') {
        i = jv_ws(s, i + 1);
        if (close == ']') {
            goto value;
        }
        goto name;
    }
    if (s[i] != close) {
        return 0;
    }
pop:
    i++;
    close = stack[--top];
    if (top == 0 || i == end) {
        return top == 0 && i == end;
    }
    goto after;
}

/* Whitespace around the text is cut first, so that a container text ends
 * with its closing byte (jv_nested() relies on that); a scalar text is
 * one token up to the end. */
int batch_util_json_valid(const char *text, apr_size_t len, int depth)
{
    const unsigned char *s = (const unsigned char *)text;
    apr_size_t i = 0, end = len;

    while (i < len && JV_WS(s[i])) {
        i++;
    }
    if (i == len) {
        return 0;
    }
    while (JV_WS(s[end - 1])) { /* stops at s[i] at the latest */
        end--;
    }
    if (s[i] == '{' || s[i] == '[') {
        if (s[end - 1] != '}' && s[end - 1] != ']') {
            return 0;
        }
        return jv_nested(s, i, end,
                         depth > BATCH_JSON_VALID_MAX_DEPTH
                             ? BATCH_JSON_VALID_MAX_DEPTH
                             : depth);
    }
    if (s[i] == '"') {
        return jv_string(s, end, end >= 16 ? end - 16 : 0, &i) && i == end;
    }
    return jv_scalar(s, end, i) == end;
}
