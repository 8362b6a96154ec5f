/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_encode.c: the last stage of parse -> schedule -> dispatch ->
 * encode. It turns one item's outcome into its entry of the "responses"
 * array (CONTRACT 5 and 6): the headers a client may see, the body in the
 * form its media type calls for, and the {"error":{...}} bodies that
 * mod_batch generates itself. The text is written with a small
 * pool-backed string builder; a JSON body is checked by the
 * allocation-free validator and copied as it is. Whatever bytes and
 * headers an item produced, the output is strict JSON: valid UTF-8, no
 * raw control character, no lone surrogate escape (fuzz_encode_valid).
 * Pure: APR only.
 */

#include <string.h>

#include <apr_cstr.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "batch_util.h"
#include "batch_encode.h"

/* Deepest JSON response body still inlined as a value; a deeper one is
 * passed on as a string (many clients' readers recurse). */
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
static void sb_grow(sb_t *b, apr_size_t n)
{
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

static inline void sb_reserve(sb_t *b, apr_size_t n)
{
    if (b->cap - b->len < n) {
        sb_grow(b, n);
    }
}

static inline void sb_put(sb_t *b, const char *s, apr_size_t n)
{
    sb_reserve(b, n);
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

/* A string literal, its length known at compile time. */
#define SB_LIT(b, s) sb_put((b), (s), sizeof(s) - 1)

/* The hot paths write through a cursor d into room reserved ahead
 * (sb_room), then set the length once (sb_done): stores through b->buf,
 * a char pointer, would make the compiler reload b->buf and b->len
 * after every byte. */
static inline char *sb_room(sb_t *b, apr_size_t n)
{
    sb_reserve(b, n);
    return b->buf + b->len;
}

static inline void sb_done(sb_t *b, const char *d)
{
    b->len = (apr_size_t)(d - b->buf);
}

/* A literal at cursor d, in room reserved for it. */
#define PUT_LIT(d, s) (memcpy((d), (s), sizeof(s) - 1), (d) += sizeof(s) - 1)

/* "00" to "99": the last two digits of a status in one move. */
static const char two_digits[] = "00010203040506070809101112131415161718192021"
                                 "22232425262728293031323334353637383940414243"
                                 "44454647484950515253545556575859606162636465"
                                 "66676869707172737475767778798081828384858687"
                                 "888990919293949596979899";

/* An HTTP status in decimal at d, in room reserved for 10 bytes: three
 * digits without a division loop, else any int (a negative one as 0).
 * Returns the end. */
static inline char *put_status(char *d, int v)
{
    char digits[10];
    int n = 0;

    if (v >= 100 && v <= 999) {
        d[0] = (char)('0' + v / 100);
        memcpy(d + 1, two_digits + 2 * (v % 100), 2);
        return d + 3;
    }
    if (v < 0) {
        v = 0;
    }
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < (int)sizeof(digits));
    memcpy(d, digits + sizeof(digits) - n, (apr_size_t)n);
    return d + n;
}

static inline void sb_putc(sb_t *b, char c)
{
    sb_reserve(b, 1);
    b->buf[b->len++] = c;
}

/* memcpy(d, s, n) for the short runs of ids, names and values, inline:
 * two moves of the largest size that fits, overlapping (no call and no
 * loop up to 32 bytes). */
static inline void copy_run(char *d, const char *s, apr_size_t n)
{
    if (n > 32) {
        memcpy(d, s, n);
    }
    else if (n >= 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    }
    else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    }
    else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    }
    else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Which bytes of a string need an escape (not batch_util_json_plain),
 * sixteen at a time: window_mask(s, i, n) has bit k set when s[i + k]
 * does, for i + k < n; i is a multiple of 16. Short strings and the
 * last window are read in overlapping pieces that stay inside s[0..n):
 * no byte loop, no read past the end. */
#if defined(__SSE2__)
#define LOAD16(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define LOAD8(p) _mm_loadl_epi64((const __m128i *)(const void *)(p))

/* A string of 4 to 15 bytes in one register: its first and its last 8
 * bytes (overlapping), or below 8 its first and last 4 and 'a's (plain)
 * above them. */
static inline __m128i short_v(const char *s, apr_size_t n)
{
    apr_uint32_t lo, hi;
    apr_uint64_t x;

    if (n >= 8) {
        return _mm_unpacklo_epi64(LOAD8(s), LOAD8(s + n - 8));
    }
    memcpy(&lo, s, 4);
    memcpy(&hi, s + n - 4, 4);
    x = (apr_uint64_t)hi << 32 | lo;
    return _mm_unpacklo_epi64(LOAD8(&x), _mm_set1_epi8('a'));
}

/* 1 when one of the 1-3 bytes of s needs an escape: the first, the
 * middle and the last are all there are. */
static inline int tiny_special(const char *s, apr_size_t n)
{
    return !(batch_util_json_plain[(unsigned char)s[0]]
             & batch_util_json_plain[(unsigned char)s[n / 2]]
             & batch_util_json_plain[(unsigned char)s[n - 1]]);
}

static BATCH_INLINE unsigned int window_mask(const char *s, apr_size_t i,
                                             apr_size_t n)
{
    unsigned int m;
    apr_size_t k;

    if (n - i >= 16) {
        return batch_util_json_special_v(LOAD16(s + i));
    }
    if (n >= 16) {
        /* the last 16 bytes, less those of the window before */
        return batch_util_json_special_v(LOAD16(s + n - 16)) >> (16 - (n - i));
    }
    if (n >= 4) {
        /* bits 0-7 (0-3) the first bytes, 8-15 (4-7) the last ones */
        m = batch_util_json_special_v(short_v(s, n));
        k = n >= 8 ? 8 : 4;
        return (m & ((1u << k) - 1)) | (m >> k & ((1u << k) - 1)) << (n - k);
    }
    if (n == 0 || !tiny_special(s, n)) {
        return 0;
    }
    /* 1-3 bytes with an escape: rare, found one by one */
    for (m = 0, k = 0; k < n; k++) {
        m |= (unsigned int)!batch_util_json_plain[(unsigned char)s[k]] << k;
    }
    return m;
}
#else
static BATCH_INLINE unsigned int window_mask(const char *s, apr_size_t i,
                                             apr_size_t n)
{
    unsigned int m = 0;
    apr_size_t k;

    for (k = 0; k < 16 && i + k < n; k++) {
        m |= (unsigned int)!batch_util_json_plain[(unsigned char)s[i + k]] << k;
    }
    return m;
}
#endif

/* The index of the lowest bit set in m (m != 0). */
static inline apr_size_t low_bit(unsigned int m)
{
#if defined(__GNUC__)
    return (apr_size_t)__builtin_ctz(m);
#else
    apr_size_t k = 0;

    while (!(m & 1u)) {
        m >>= 1;
        k++;
    }
    return k;
#endif
}

/* Copies s[0..n) to d[0..n) and returns 1 when no byte of it needs an
 * escape, else returns 0 with d[0..n) holding anything: the usual id,
 * name or value, copied as it is. Read as window_mask() reads (16 bytes
 * at a time, overlapping at the end; 8 or 4 below 16), checked and
 * stored in the same pass. d has room for n. */
static BATCH_INLINE int copy_plain(char *d, const char *s, apr_size_t n)
{
#if defined(__SSE2__)
    apr_size_t i;

    if (n >= 16) {
        for (i = 0; n - i > 16; i += 16) {
            __m128i v = LOAD16(s + i);

            if (batch_util_json_special_v(v)) {
                return 0;
            }
            _mm_storeu_si128((__m128i *)(void *)(d + i), v);
        }
        if (batch_util_json_special_v(LOAD16(s + n - 16))) {
            return 0;
        }
        _mm_storeu_si128((__m128i *)(void *)(d + n - 16), LOAD16(s + n - 16));
        return 1;
    }
    if (n >= 4 ? batch_util_json_special_v(short_v(s, n)) != 0
               : n && tiny_special(s, n)) {
        return 0;
    }
    copy_run(d, s, n);
    return 1;
#else
    apr_size_t i;

    for (i = 0; i < n; i += 16) {
        if (window_mask(s, i, n)) {
            return 0;
        }
    }
    memcpy(d, s, n);
    return 1;
#endif
}

/* Longest string sb_esc() escapes inline (see there). */
#define SB_ESC_INLINE_MAX 256

/* The start of sb_esc(): s[0..n) copied to the buffer, with room
 * reserved, as long as the only escapes are '"' and '\\' (an ETag's
 * quotes) and quotes is set; the runs between them copied whole.
 * Returns where it stopped: n, or the first byte the one escaper must
 * take. */
static apr_size_t esc_quotes(sb_t *b, const char *s, apr_size_t n, int quotes)
{
    char *o = b->buf + b->len;
    apr_size_t i, at = 0;

    for (i = 0; i < n; i += 16) {
        unsigned int m;

        for (m = window_mask(s, i, n); m != 0; m &= m - 1) {
            apr_size_t k = i + low_bit(m);

            copy_run(o, s + at, k - at);
            o += k - at;
            at = k;
            if (!quotes || (s[k] != '"' && s[k] != '\\')) {
                b->len = (apr_size_t)(o - b->buf);
                return k;
            }
            o[0] = '\\';
            o[1] = s[k];
            o += 2;
            at = k + 1;
        }
    }
    copy_run(o, s + at, n - at);
    b->len = (apr_size_t)(o - b->buf) + n - at;
    return n;
}

/* s[0..n) escaped as the inside of a JSON string, in one pass (the one
 * escaper, batch_util_json_escape_to: bytes that are not UTF-8 become
 * U+FFFD). A short string (a header value) is escaped inline while the
 * only escapes are '"' and '\\': at most two bytes out per byte in, so
 * 2n reserved is enough. A long one (a body) reserves no more than the
 * escaper's rounds would. From the first other escape on, the one
 * escaper; when escapes fill the room, the buffer grows and the escaper
 * goes on where it stopped. */
static BATCH_NOINLINE void sb_esc(sb_t *b, const char *s, apr_size_t n)
{
    int quotes = n <= SB_ESC_INLINE_MAX;
    apr_size_t done, used;

    sb_reserve(b, quotes ? 2 * n : n);
    done = esc_quotes(b, s, n, quotes);
    while (done < n) {
        /* + 6: room for at least one escape, so every round moves on */
        sb_reserve(b, n - done + 6);
        b->len += batch_util_json_escape_to(b->buf + b->len, b->cap - b->len,
                                            s + done, n - done, &used);
        done += used;
    }
}

/* "s" (s[0..n) quoted) at cursor d, in room reserved for n + 2, when no
 * byte of s needs an escape (the common case): returns the end. Else
 * NULL: the caller writes it with sb_str, which escapes. */
static BATCH_INLINE char *put_plain_str(char *d, const char *s, apr_size_t n)
{
    d[0] = '"';
    if (!copy_plain(d + 1, s, n)) {
        return NULL;
    }
    d[n + 1] = '"';
    return d + n + 2;
}

/* s[0..n) as a quoted JSON string. Bytes that are not UTF-8 become
 * U+FFFD: header fields may carry any octet (RFC 9110 5.5), JSON may
 * not. */
static void sb_str(sb_t *b, const char *s, apr_size_t n)
{
    char *d = sb_room(b, n + 2), *end = put_plain_str(d, s, n);

    if (end) {
        sb_done(b, end);
        return;
    }
    sb_done(b, d + 1);
    sb_esc(b, s, n);
    sb_putc(b, '"');
}

/* s[0..n) as the inside of a JSON string (sb_esc), copied as it is when
 * it needs no escape. */
static void sb_val(sb_t *b, const char *s, apr_size_t n)
{
    char *d = sb_room(b, n);

    if (copy_plain(d, s, n)) {
        sb_done(b, d + n);
        return;
    }
    sb_esc(b, s, n);
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

/* The status line the glue gave (httpd's, "404 Not Found"), else the
 * bare number: the pure core keeps no copy of httpd's reason phrases. */
static const char *status_line(int status, const char *given, apr_pool_t *p)
{
    if (given && *given) {
        return given;
    }
    return apr_psprintf(p, "%d", status);
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
    SB_LIT(b, "{\"error\":{\"code\":");
    sb_strz(b, code);
    SB_LIT(b, ",\"message\":");
    sb_strz(b, message);
    SB_LIT(b, "}}");
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

/* One header name of the item's response and its values: the entries
 * first..last of the table, linked by next[] (see group_headers). */
typedef struct hdr_t {
    const char *name; /* first spelling seen */
    apr_size_t nlen;  /* strlen(name) */
    int first;        /* the first entry with this name */
    int last;         /* the last one so far */
} hdr_t;

/* Hop-by-hop headers (batch_util_hop_by_hop) and the framing the batch
 * response replaces; none describes the item to the client. Content-Type
 * is written first, under its exact name. By length first (the
 * hop-by-hop test is inline and does the same): most names (ETag,
 * Last-Modified, ...) cost no compare and no call. */
static BATCH_INLINE int is_dropped(const char *name, apr_size_t n)
{
    switch (n) {
    case 12:
        /* httpd's spelling first: a compare of two words */
        return !memcmp(name, "Content-Type", 12)
               || batch_util_caseeq(name, "Content-Type", n);
    case 14:
        return !memcmp(name, "Content-Length", 14)
               || batch_util_caseeq(name, "Content-Length", n);
    default:
        return batch_util_hop_by_hop(name, n);
    }
}

/* The values of every Connection header, joined into one list: the names
 * it lists are hop-by-hop too. */
static const char *connection_list(const apr_array_header_t *arr, apr_pool_t *p)
{
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *list = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && e[i].val
            && apr_cstr_casecmp(e[i].key, "Connection") == 0) {
            list = list ? apr_pstrcat(p, list, ",", e[i].val, NULL) : e[i].val;
        }
    }
    return list;
}

/* Distinct names up to this many are found by a linear search (few
 * headers: cheaper than hashing); beyond it by a hash of the folded
 * names, since a proxied target may answer thousands of them. A table of
 * no more entries than this is grouped in storage on the stack. */
#define HDR_LINEAR_MAX 16

/* The headers of a table a client may see, grouped by name (any case) in
 * first-seen order: out[0..n); next[k] is the next entry after k with the
 * same name, or -1. */
typedef struct hdr_groups_t {
    hdr_t *out;         /* sized for every entry up front: never moves */
    int *next;          /* one per entry */
    int n;              /* hdr_t in out */
    apr_hash_t *byname; /* folded name -> hdr_t, past HDR_LINEAR_MAX */
    apr_pool_t *p;
    hdr_t out_small[HDR_LINEAR_MAX]; /* out and next of a small table */
    int next_small[HDR_LINEAR_MAX];
} hdr_groups_t;

/* 1 when names a (alen bytes) and b (blen) are the same but for case. */
static inline int same_name(const char *a, apr_size_t alen, const char *b,
                            apr_size_t blen)
{
    /* first bytes that differ in more than the case bit rule a name of
     * the same length out at once (both end in a NUL) */
    return alen == blen && !((a[0] ^ b[0]) & ~0x20)
           && batch_util_caseeq(a, b, alen);
}

/* The group of name (n bytes) among the ng groups so far, or NULL. */
static hdr_t *hdr_find(const hdr_groups_t *x, int ng, const char *name,
                       apr_size_t n)
{
    int j;

    if (x->byname) {
        return apr_hash_get(x->byname, batch_util_fold(name, n, x->p),
                            (apr_ssize_t)n);
    }
    for (j = 0; j < ng; j++) {
        if (same_name(x->out[j].name, x->out[j].nlen, name, n)) {
            return &x->out[j];
        }
    }
    return NULL;
}

/* A new group, the ng-th, for entry k; past HDR_LINEAR_MAX groups they
 * go into the hash. */
static void hdr_add(hdr_groups_t *x, int ng, const char *name, apr_size_t n,
                    int k)
{
    hdr_t *h = &x->out[ng];
    int j;

    h->name = name;
    h->nlen = n;
    h->first = h->last = k;
    if (x->byname) {
        apr_hash_set(x->byname, batch_util_fold(name, n, x->p), (apr_ssize_t)n,
                     h);
    }
    else if (ng + 1 > HDR_LINEAR_MAX) {
        x->byname = apr_hash_make(x->p);
        for (j = 0; j <= ng; j++) {
            hdr_t *o = &x->out[j];
            apr_hash_set(x->byname, batch_util_fold(o->name, o->nlen, x->p),
                         (apr_ssize_t)o->nlen, o);
        }
    }
}

/* One grouping pass over e[0..nelts), leaving out the names listed in
 * conn (may be NULL). 1 when it dropped a Connection header with a
 * value: then a pass with the Connection list is due. */
static int group_pass(hdr_groups_t *x, const apr_table_entry_t *e, int nelts,
                      const char *conn)
{
    int *next = x->next;
    int i, ng = 0, connection = 0;

    x->byname = NULL;
    for (i = 0; i < nelts; i++) {
        const char *key = e[i].key;
        apr_size_t n;
        hdr_t *h;

        next[i] = -1;
        if (!key) {
            continue;
        }
        n = strlen(key);
        if (is_dropped(key, n)) {
            connection |= n == 10 && e[i].val != NULL
                          && batch_util_caseeq(key, "Connection", n);
            continue;
        }
        if (conn && batch_util_token_listed(conn, key, n)) {
            continue;
        }
        if ((h = hdr_find(x, ng, key, n)) != NULL) {
            next[h->last] = i;
            h->last = i;
        }
        else {
            hdr_add(x, ng++, key, n, i);
        }
    }
    x->n = ng;
    return connection;
}

/* The headers of arr a client may see, grouped (hdr_groups_t). Linear in
 * the number of entries: repeated names are joined when written, never by
 * re-copying a growing value. The names a Connection header lists are
 * rare: only a table with one is grouped twice, the second time with
 * its list. */
static void group_headers(hdr_groups_t *x, const apr_array_header_t *arr,
                          apr_pool_t *p)
{
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;

    x->p = p;
    if (arr->nelts <= HDR_LINEAR_MAX) {
        x->out = x->out_small;
        x->next = x->next_small;
    }
    else {
        x->out = apr_palloc(p, sizeof(hdr_t) * (apr_size_t)arr->nelts);
        x->next = apr_palloc(p, sizeof(int) * (apr_size_t)arr->nelts);
    }
    if (group_pass(x, e, arr->nelts, NULL)) {
        group_pass(x, e, arr->nelts, connection_list(arr, p));
    }
}

/* The values of group h (entries linked by next[]) joined with ", ", in
 * one allocation: measured first, then copied. */
static const char *join_values(const hdr_t *h, const apr_table_entry_t *e,
                               const int *next, apr_pool_t *p)
{
    apr_size_t total = 0, n;
    char *out, *o;
    int k;

    if (next[h->first] < 0) {
        return e[h->first].val ? e[h->first].val : "";
    }
    for (k = h->first; k >= 0; k = next[k]) {
        total += (e[k].val ? strlen(e[k].val) : 0) + 2;
    }
    o = out = apr_palloc(p, total + 1);
    for (k = h->first; k >= 0; k = next[k]) {
        n = e[k].val ? strlen(e[k].val) : 0;
        memcpy(o, e[k].val ? e[k].val : "", n);
        o += n;
        if (next[k] >= 0) {
            *o++ = ',';
            *o++ = ' ';
        }
    }
    *o = '\0';
    return out;
}

apr_array_header_t *batch_encode_headers(const apr_table_t *t, apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    hdr_groups_t g;
    apr_array_header_t *out;
    int i;

    if (!t) {
        return apr_array_make(p, 1, sizeof(batch_header_t));
    }
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    group_headers(&g, arr, p);
    out = apr_array_make(p, g.n ? g.n : 1, sizeof(batch_header_t));
    for (i = 0; i < g.n; i++) {
        const hdr_t *o = &g.out[i];
        batch_header_t *h = apr_array_push(out);

        h->name = o->name;
        h->nlen = o->nlen;
        h->value = join_values(o, e, g.next, p);
    }
    return out;
}

/* An entity tag as httpd makes them, "xyzzy" or W/"xyzzy" (RFC 9110
 * 8.8.3): its quotes escaped at d and what is between them copied as it
 * is, in room for n + 2, when nothing between them needs an escape.
 * Returns the end, or NULL for any other value. The very bytes sb_esc
 * writes, without the escaper: every static file has an ETag. */
static BATCH_INLINE char *put_etag(char *d, const char *v, apr_size_t n)
{
    apr_size_t w = n >= 2 && v[0] == 'W' && v[1] == '/' ? 2 : 0;

    if (n < w + 2 || v[w] != '"' || v[n - 1] != '"'
        || !copy_plain(d + w + 2, v + w + 1, n - w - 2)) {
        return NULL;
    }
    /* W/ as it is, then \" ... \" */
    memcpy(d, v, w);
    d[w] = '\\';
    d[w + 1] = '"';
    d += n;
    d[0] = '\\';
    d[1] = '"';
    return d + 2;
}

/* One header of group h: "name":"value, value", after a comma unless it
 * is the first. */
static BATCH_INLINE void put_header(sb_t *b, int comma, const hdr_t *h,
                                    const apr_table_entry_t *e, const int *next)
{
    const char *v = e[h->first].val ? e[h->first].val : "";
    apr_size_t vlen = strlen(v);
    /* ,"name":"value" is 6 bytes more than name and value, an entity
     * tag's two escapes 2 more, and one to spare */
    char *d = sb_room(b, h->nlen + vlen + 9), *end;
    int k;

    *d = ',';
    d += comma;
    /* the usual header: one value, a name that needs no escape, in the
     * room reserved, and the value too when it needs none */
    if (next[h->first] < 0 && (end = put_plain_str(d, h->name, h->nlen))) {
        PUT_LIT(end, ":\"");
        if (copy_plain(end, v, vlen)) {
            end[vlen] = '"';
            sb_done(b, end + vlen + 1);
            return;
        }
        if ((d = put_etag(end, v, vlen)) != NULL) {
            *d = '"';
            sb_done(b, d + 1);
            return;
        }
        sb_done(b, end);
        sb_esc(b, v, vlen);
        sb_putc(b, '"');
        return;
    }
    /* any other: each piece on its own */
    sb_done(b, d);
    sb_str(b, h->name, h->nlen);
    SB_LIT(b, ":\"");
    for (k = h->first; k >= 0; k = next[k]) {
        v = e[k].val ? e[k].val : "";
        sb_val(b, v, strlen(v));
        if (next[k] >= 0) {
            SB_LIT(b, ", ");
        }
    }
    sb_putc(b, '"');
}

/* Two names (any case) with different bits here, from their lengths and
 * first letters, are different names. */
static inline apr_uint64_t name_bit(const char *key, apr_size_t n)
{
    return APR_UINT64_C(1) << ((n * 7 + ((unsigned char)key[0] | 0x20)) & 63);
}

/* What put_headers_small() needs to know of e[0..n): the lengths of the
 * names (0 for a NULL one) into klen, and in *prepeats whether two
 * entries may have the same name. 0 when a Connection header with a
 * value names more headers to drop. */
static int measure_names(const apr_table_entry_t *e, int n, apr_size_t *klen,
                         int *prepeats)
{
    apr_uint64_t seen = 0, bit;
    int i, plain = 1;

    *prepeats = 0;
    for (i = 0; i < n; i++) {
        if (!e[i].key) {
            klen[i] = 0;
            continue;
        }
        klen[i] = strlen(e[i].key);
        if (klen[i] == 10 && e[i].val
            && batch_util_caseeq(e[i].key, "Connection", 10)) {
            plain = 0;
        }
        bit = name_bit(e[i].key, klen[i]);
        *prepeats |= (seen & bit) != 0;
        seen |= bit;
    }
    return plain;
}

/* The headers of the usual table: at most HDR_LINEAR_MAX entries, the
 * lengths of their names in klen, no Connection list. No grouping pass:
 * at its first entry a name is written with the values of the later
 * entries of that name (any case; none unless repeats), which are then
 * passed over. The same groups in the same order as group_headers():
 * whether an entry is dropped depends on its name alone. */
static void put_headers_small(sb_t *b, int comma, const apr_table_entry_t *e,
                              int n, const apr_size_t *klen, int repeats)
{
    int next[HDR_LINEAR_MAX], i, j;
    unsigned int later = 0; /* bit j: written with an earlier entry */
    hdr_t h;

    for (i = 0; i < n; i++) {
        if (!e[i].key || (later >> i & 1) || is_dropped(e[i].key, klen[i])) {
            continue;
        }
        h.name = e[i].key;
        h.nlen = klen[i];
        h.first = h.last = i;
        for (j = i + 1; repeats && j < n; j++) {
            if (e[j].key && same_name(e[j].key, klen[j], h.name, h.nlen)) {
                next[h.last] = j;
                h.last = j;
                later |= 1u << j;
            }
        }
        next[h.last] = -1;
        put_header(b, comma, &h, e, next);
        comma = 1;
    }
}

/* The members of the "headers" object, after its '{': the media type
 * first, under its exact name (ctype, clen bytes, may be NULL), then the
 * headers of t a client may see; and the closing '}'. */
static void put_headers(sb_t *b, const apr_table_t *t, const char *ctype,
                        apr_size_t clen, apr_pool_t *p)
{
    int comma = 0;

    if (ctype) {
        char *d = sb_room(b, clen + 17), *end;

        PUT_LIT(d, "\"Content-Type\":");
        if ((end = put_plain_str(d, ctype, clen)) != NULL) {
            sb_done(b, end);
        }
        else {
            sb_done(b, d);
            sb_str(b, ctype, clen);
        }
        comma = 1;
    }
    if (t) {
        const apr_array_header_t *arr = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        apr_size_t klen[HDR_LINEAR_MAX];
        hdr_groups_t g;
        int i, repeats;

        if (arr->nelts <= HDR_LINEAR_MAX
            && measure_names(e, arr->nelts, klen, &repeats)) {
            put_headers_small(b, comma, e, arr->nelts, klen, repeats);
        }
        else {
            group_headers(&g, arr, p);
            for (i = 0; i < g.n; i++) {
                put_header(b, comma, &g.out[i], e, g.next);
                comma = 1;
            }
        }
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

/* The body in the form its media type (ctype, clen bytes) calls for. */
static void put_body(sb_t *b, const char *body, apr_size_t len,
                     const char *ctype, apr_size_t clen)
{
    /* the usual type, spelt as httpd's mime table spells it, without a
     * call; any other is classed by batch_util_media_class */
    batch_media_t mc = clen == 16 && !memcmp(ctype, "application/json", 16)
                           ? BATCH_MEDIA_JSON
                           : batch_util_media_class(ctype);

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

/* batch_encode_body(), inlined into batch_encode_item. */
static BATCH_INLINE batch_body_t encode_body(
    const char **pctype, const apr_table_t **pheaders, const char **pcode,
    const char **pmessage, const batch_result_t *res, apr_pool_t *p)
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

/* The most {"id":,"status":,"headers":{ adds to the id and the status:
 * 6 + 2 (quotes) + 10 + 10 (digits) + 12. */
#define HEAD_MAX 40

/* {"id":"..","status":NNN,"headers":{ in one reservation when the id
 * needs no escape. */
static void put_head(sb_t *b, const char *id, int status)
{
    apr_size_t n = id ? strlen(id) : 0;
    char *d = sb_room(b, n + HEAD_MAX), *end;

    PUT_LIT(d, "{\"id\":");
    if ((end = put_plain_str(d, id ? id : "", n)) == NULL) {
        sb_done(b, d);
        sb_str(b, id, n);
        end = sb_room(b, HEAD_MAX);
    }
    PUT_LIT(end, ",\"status\":");
    end = put_status(end, status);
    PUT_LIT(end, ",\"headers\":{");
    sb_done(b, end);
}

batch_body_t batch_encode_body(const char **pctype,
                               const apr_table_t **pheaders, const char **pcode,
                               const char **pmessage, const batch_result_t *res,
                               apr_pool_t *p)
{
    return encode_body(pctype, pheaders, pcode, pmessage, res, p);
}

apr_status_t batch_encode_item(const char **pjson, apr_size_t *plen,
                               const char *id, const batch_result_t *res,
                               apr_pool_t *p)
{
    const char *ctype, *code, *message;
    const apr_table_t *headers;
    batch_body_t mode = encode_body(&ctype, &headers, &code, &message, res, p);
    apr_size_t clen = ctype ? strlen(ctype) : 0;
    sb_t b;

    sb_init(&b, p,
            256
                + (mode == BATCH_BODY_DATA ? res->body_len + res->body_len / 3
                                           : 0));
    put_head(&b, id, res->status);
    put_headers(&b, headers, ctype, clen, p);
    if (mode == BATCH_BODY_ERROR) {
        SB_LIT(&b, ",\"body\":");
        put_error(&b, code, message);
    }
    else if (mode == BATCH_BODY_DATA) {
        SB_LIT(&b, ",\"body\":");
        put_body(&b, res->body, res->body_len, ctype, clen);
    }
    sb_putc(&b, '}');
    *pjson = sb_finish(&b, plen);
    return APR_SUCCESS;
}
