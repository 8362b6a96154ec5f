/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_util.h: small pure helpers shared by the stages: size suffixes,
 * media-type classes, base64, UTF-8 and HTTP token checks, JSON string
 * escaping. APR only; no httpd, no logging.
 */
#ifndef BATCH_UTIL_H
#define BATCH_UTIL_H

#include <apr_pools.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string.h>

#include <apr_strings.h>
#include "batch_hints.h"
#include "batch_types.h"

/**
 * Parse a size with an optional K, M or G suffix (x1024, 1024^2, 1024^3),
 * case-insensitive. Digits only before the suffix; no sign, no spaces, no
 * trailing junk, no overflow; the value must be >= 1.
 * @return APR_SUCCESS and *psize, or APR_EINVAL
 */
apr_status_t batch_util_parse_size(apr_off_t *psize, const char *s);

/**
 * Make res an item that mod_batch itself refused or failed (CONTRACT 4,
 * 6): status, error code (BATCH_ERR_*) and message, which the encoder
 * writes as {"error":{...}}; whatever the item produced (headers,
 * content type, body) is dropped. status_line and head are kept.
 */
void batch_util_result_error(batch_result_t *res, int status, const char *code,
                             const char *message);

/**
 * Class of a Content-Type value (parameters and case ignored, CONTRACT 5).
 * NULL or empty gives BATCH_MEDIA_BINARY.
 */
batch_media_t batch_util_media_class(const char *content_type);

/** 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 *  nothing above U+10FFFF). NUL bytes are allowed. */
int batch_util_utf8_valid(const char *s, apr_size_t len);

/** Length (2-4) of the well-formed UTF-8 sequence at u[i], whose lead
 *  byte is >= 0x80; 0 when there is none (broken, overlong, surrogate,
 *  above U+10FFFF or cut short by len). */
apr_size_t batch_util_utf8_seq(const unsigned char *u, apr_size_t i,
                               apr_size_t len);

/** Number of code points in valid UTF-8 s[0..len). */
apr_size_t batch_util_utf8_chars(const char *s, apr_size_t len);

/** 1 when s is a non-empty HTTP token (RFC 9110 tchar). */
int batch_util_is_token(const char *s);

/**
 * ASCII case folding, independent of the process locale (ids and header
 * names are compared case-insensitively). The result is a hash key of
 * len bytes: s itself when it has no upper-case letter, else a copy
 * from p.
 */
const char *batch_util_fold(const char *s, apr_size_t len, apr_pool_t *p);

/**
 * 1 when a and b (n bytes each) are equal but for ASCII case; bytes past
 * a NUL are compared too, so give lengths already known equal. Inline:
 * header names are compared per entry, and apr_cstr_casecmpn() costs a
 * table look-up and a call per byte.
 */
static inline int batch_util_caseeq(const char *a, const char *b, apr_size_t n)
{
    apr_size_t i = 0;

    /* the same spelling (the common case) eight bytes a step */
    while (n - i >= 8 && !memcmp(a + i, b + i, 8)) {
        i += 8;
    }
    for (; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

        if (x != y
            && ((x | 0x20) != (y | 0x20)
                || (unsigned char)((x | 0x20) - 'a') > 'z' - 'a')) {
            return 0;
        }
    }
    return 1;
}

/**
 * 1 when name (len bytes, any case) is a hop-by-hop header of RFC 9110
 * 7.6.1: Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade. The one list the parser (what an item may
 * not set), the dispatcher (what an item does not inherit) and the
 * encoder (what an item's response does not pass on) start from. Inline
 * and by length first: most names cost no string compare and no call.
 */
static inline int batch_util_hop_by_hop(const char *name, apr_size_t len)
{
#define BATCH_HOP_IS(what)                                                     \
    (len == sizeof(what) - 1 && batch_util_caseeq(name, what, len))
    switch (len) {
    case 2:
        return BATCH_HOP_IS("TE");
    case 7:
        return BATCH_HOP_IS("Trailer") || BATCH_HOP_IS("Upgrade");
    case 10:
        return BATCH_HOP_IS("Connection") || BATCH_HOP_IS("Keep-Alive");
    case 16:
        return BATCH_HOP_IS("Proxy-Connection");
    case 17:
        return BATCH_HOP_IS("Transfer-Encoding");
    default:
        return 0;
    }
#undef BATCH_HOP_IS
}

/**
 * 1 when name (len bytes) is an element of list, a comma-separated field
 * value such as Connection's (RFC 9110 5.6.1: optional whitespace around
 * elements, empty elements ignored), compared case-insensitively. NULL
 * list: 0.
 */
int batch_util_token_listed(const char *list, const char *name, apr_size_t len);

/**
 * Decode base64 in the standard or the URL-safe alphabet, padding
 * optional (RFC 4648). Whitespace is not accepted.
 * @param pout   decoded bytes, allocated from p (NUL terminated, not counted)
 * @return APR_SUCCESS, or APR_EINVAL for anything not base64
 */
apr_status_t batch_util_base64_decode(const char **pout, apr_size_t *poutlen,
                                      const char *in, apr_size_t inlen,
                                      apr_pool_t *p);

/** Encode in the standard alphabet with padding; result from p, NUL
 *  terminated, length in *poutlen (may be NULL). */
const char *batch_util_base64_encode(apr_size_t *poutlen, const char *in,
                                     apr_size_t inlen, apr_pool_t *p);

/**
 * The one JSON string escaper (the inside of a JSON string, no quotes):
 * '"' and '\\' escaped, \n \r \t as such, the other control characters
 * as \u00XX, '/' and DEL as they are, well-formed UTF-8 as it is, and
 * every byte that is not part of well-formed UTF-8 as U+FFFD (header
 * fields may carry any octet, RFC 9110 5.5; JSON may not). One pass;
 * plain runs go sixteen bytes a step (batch_util_json_plain_run).
 * @param out    where to write, at most cap bytes: it stops before an
 *               escape that would not fit, so a caller can grow out and
 *               go on from *pused; NULL to only measure (cap ignored)
 * @param pused  bytes of s consumed (may be NULL)
 * @return the bytes written (or, with out NULL, that would be)
 */
apr_size_t batch_util_json_escape_to(char *out, apr_size_t cap, const char *s,
                                     apr_size_t len, apr_size_t *pused);

/** batch_util_json_escape_to() into a buffer from p, NUL terminated,
 *  length in *poutlen (may be NULL). */
const char *batch_util_json_escape(apr_size_t *poutlen, const char *s,
                                   apr_size_t len, apr_pool_t *p);

/**
 * Scan one number at s[*pi] (a '-' or a digit) by RFC 8259's grammar,
 * with no range limit (the text is kept as it is): no leading zero, no
 * "1.", no ".5", no "+1", no "1e".
 * @return NULL with *pi just past the number, or a reason ("a number has
 *         a leading zero") with *pi at the offending byte (len at the end)
 */
const char *batch_util_json_number(const unsigned char *s, apr_size_t len,
                                   apr_size_t *pi);

/** 1 for the bytes a JSON string holds as they are: 0x20-0x7F but '"'
 *  and '\\' (shared by the validator and the encoder's escaping). */
extern const unsigned char batch_util_json_plain[256];

#if defined(__SSE2__)
/* Bit k set when byte k of v is not plain (batch_util_json_plain), for
 * sixteen bytes already in a register. */
static inline unsigned int batch_util_json_special_v(__m128i v)
{
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    /* v - 0x20 with signed saturation is negative (top bit set, which is
     * all movemask reads) exactly for 0x00-0x1F and 0x80-0xFF, the bytes
     * below 0x20 as signed: one instruction, where a signed compare is
     * two (GCC makes v < 0x20 into !(v > 0x1F)) */
    __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
        _mm_subs_epi8(v, space));

    return (unsigned int)_mm_movemask_epi8(special);
}

/* Bit k set when p[k] (k < 16) is not plain (batch_util_json_plain). */
static inline unsigned int batch_util_json_special16(const unsigned char *p)
{
    return batch_util_json_special_v(
        _mm_loadu_si128((const __m128i *)(const void *)p));
}
#endif

/* Lowest bytes of x (loaded little-endian) that are not plain: the
 * lowest 0x80 bit set marks the first one exactly (a borrow only runs on
 * from a byte that is itself a hit). Eight bytes a step without SSE2, or
 * for strings shorter than sixteen bytes. */
static inline apr_uint64_t batch_util_json_special8(apr_uint64_t x)
{
    const apr_uint64_t ones = APR_UINT64_C(0x0101010101010101);
    const apr_uint64_t high = APR_UINT64_C(0x8080808080808080);
    apr_uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

    return (((x - ones * 0x20) & ~x) | x | ((q - ones) & ~q)
            | ((b - ones) & ~b))
           & high;
}

/**
 * The end of the run of plain bytes (batch_util_json_plain) that starts
 * at s[i]: the index of the first byte in [i, len) that is not plain, or
 * len. Sixteen bytes per step where SSE2 is there (every x86-64), the
 * last step overlapping the one before when s[0..len) is long enough;
 * eight bytes a step in a shorter string. That makes the scanning of
 * bodies, header names and values several times cheaper than a byte
 * loop.
 */
static inline apr_size_t batch_util_json_plain_run(const unsigned char *s,
                                                   apr_size_t i, apr_size_t len)
{
#if defined(__SSE2__)
    while (len - i >= 16) {
        unsigned int mask = batch_util_json_special16(s + i);

        if (mask != 0) {
            return i + (apr_size_t)__builtin_ctz(mask);
        }
        i += 16;
    }
    if (i < len && len >= 16) {
        /* the last 16 bytes of s, less those before i */
        unsigned int mask =
            batch_util_json_special16(s + len - 16) >> (i - (len - 16));

        return mask ? i + (apr_size_t)__builtin_ctz(mask) : len;
    }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__)                               \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (len - i >= 8) {
        apr_uint64_t x, m;

        memcpy(&x, s + i, 8);
        m = batch_util_json_special8(x);
        if (m != 0) {
            return i + (apr_size_t)(__builtin_ctzll(m) >> 3);
        }
        i += 8;
    }
#endif
    while (i < len && batch_util_json_plain[s[i]]) {
        i++;
    }
    return i;
}

/** Deepest nesting batch_util_json_valid() can check. */
#define BATCH_JSON_VALID_MAX_DEPTH 1024

/**
 * 1 when s[0..len) is one JSON text by RFC 8259 (whitespace around it
 * allowed): strict grammar, well-formed UTF-8 in strings, no raw control
 * characters, no lone surrogate escape (what batch_json_parse() accepts),
 * nesting at most depth levels ("[]" is 1; capped at
 * BATCH_JSON_VALID_MAX_DEPTH). Allocates nothing, so a valid text can be
 * copied into a JSON document as it is.
 */
int batch_util_json_valid(const char *s, apr_size_t len, int depth);

#endif /* BATCH_UTIL_H */
