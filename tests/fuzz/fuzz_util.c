/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * fuzz_util.c: fuzz target over the helpers of batch_util.c. The first
 * input byte picks the helper ((byte & 15) % 8, so seed files start with
 * the digit '0'..'7'), the rest is its input:
 *   0 base64: decode(encode(x)) == x for any x; whatever decode accepts
 *     re-encodes to the same bytes up to alphabet and padding
 *   1 UTF-8: batch_util_utf8_valid() agrees with a plain reference
 *     decoder; utf8_chars() counts code points
 *   2 media class: ignores ASCII case and parameters
 *   3 sizes: an accepted size is >= 1 and its decimal form gives it back
 *   4 JSON escaping: "escaped" reads back as the very string
 *   5 strict JSON reader: an accepted document re-serializes into one it
 *     accepts too; depth from the second byte
 *   6 token and header value checks agree with their definitions
 *   7 the allocation-free validator batch_util_json_valid() (the encoder
 *     embeds what it accepts verbatim) accepts exactly what the module's
 *     strict reader batch_json_parse() accepts (lone surrogate escapes
 *     refused by both) and what it accepted before issue 15
 *     (json_valid_ref.h), and json-c reads all that it accepts
 */

#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "batch_json.h"
#include "batch_util.h"
#include "json_oracle.h"
#include "json_valid_ref.h"
#include "batch_item.h"

static void do_base64(const char *in, size_t n, apr_pool_t *p)
{
    const char *enc, *dec, *dec2, *enc2;
    apr_size_t elen, dlen, dlen2, elen2, i;

    /* any bytes round-trip */
    enc = batch_util_base64_encode(&elen, in, n, p);
    FUZZ_CHECK(elen == (n + 2) / 3 * 4 && strlen(enc) == elen);
    FUZZ_CHECK(batch_util_base64_decode(&dec, &dlen, enc, elen, p)
               == APR_SUCCESS);
    FUZZ_CHECK(dlen == n && !memcmp(dec, in, n));

    /* what decode accepts: only alphabet characters and '=' at the end */
    if (batch_util_base64_decode(&dec, &dlen, in, n, p) != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(dlen <= n / 4 * 3 + 2);
    for (i = 0; i < n; i++) {
        char c = in[i];
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                   || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-'
                   || c == '_' || (c == '=' && i + 2 >= n));
    }
    enc2 = batch_util_base64_encode(&elen2, dec, dlen, p);
    FUZZ_CHECK(batch_util_base64_decode(&dec2, &dlen2, enc2, elen2, p)
               == APR_SUCCESS);
    FUZZ_CHECK(dlen2 == dlen && !memcmp(dec2, dec, dlen));
}

/* Reference: RFC 3629 section 4 ABNF, one code point at a time. */
static int utf8_ref(const unsigned char *s, size_t n, size_t *chars)
{
    size_t i = 0;

    *chars = 0;
    while (i < n) {
        unsigned c = s[i];
        unsigned cp, need, k, min;

        if (c < 0x80) {
            i++;
            ++*chars;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            need = 1, cp = c & 0x1F, min = 0x80;
        }
        else if ((c & 0xF0) == 0xE0) {
            need = 2, cp = c & 0x0F, min = 0x800;
        }
        else if ((c & 0xF8) == 0xF0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        }
        else {
            return 0;
        }
        if (i + need >= n) {
            return 0;
        }
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += need + 1;
        ++*chars;
    }
    return 1;
}

static void do_utf8(const char *in, size_t n, apr_pool_t *p)
{
    size_t chars;
    int ok = batch_util_utf8_valid(in, n);

    (void)p;
    FUZZ_CHECK(ok == utf8_ref((const unsigned char *)in, n, &chars));
    if (ok) {
        FUZZ_CHECK(batch_util_utf8_chars(in, n) == chars);
    }
}

static void do_media(const char *in, size_t n, apr_pool_t *p)
{
    char *s = apr_pstrmemdup(p, in, n), *u = apr_pstrdup(p, s), *c;
    batch_media_t mc = batch_util_media_class(s);

    FUZZ_CHECK(mc == BATCH_MEDIA_BINARY || mc == BATCH_MEDIA_JSON
               || mc == BATCH_MEDIA_TEXT);
    for (c = u; *c; c++) {
        if (*c >= 'a' && *c <= 'z') {
            *c = (char)(*c - 32);
        }
    }
    FUZZ_CHECK(batch_util_media_class(u) == mc);
    FUZZ_CHECK(batch_util_media_class(apr_pstrcat(p, s, ";x=y", NULL)) == mc
               || strchr(s, ';') == NULL);
}

static void do_size(const char *in, size_t n, apr_pool_t *p)
{
    char *s = apr_pstrmemdup(p, in, n);
    apr_off_t v = 0, v2 = 0;

    if (batch_util_parse_size(&v, s) != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(v >= 1);
    FUZZ_CHECK(batch_util_parse_size(&v2, apr_psprintf(p, "%" APR_OFF_T_FMT, v))
               == APR_SUCCESS);
    FUZZ_CHECK(v2 == v);
}

static void do_escape(const char *in, size_t n, apr_pool_t *p)
{
    const char *esc, *doc, *why = NULL;
    apr_size_t elen;
    struct json_object *obj = NULL;

    if (!batch_util_utf8_valid(in, n)) {
        return;
    }
    esc = batch_util_json_escape(&elen, in, n, p);
    FUZZ_CHECK(strlen(esc) == elen);
    doc = apr_pstrcat(p, "[\"", esc, "\"]", NULL);
    FUZZ_CHECK(json_oracle_parse(&obj, &why, doc, strlen(doc), 4, p)
               == APR_SUCCESS);
    FUZZ_CHECK(json_object_array_length(obj) == 1);
    {
        struct json_object *str = json_object_array_get_idx(obj, 0);
        FUZZ_CHECK((size_t)json_object_get_string_len(str) == n
                   && !memcmp(json_object_get_string(str), in, n));
    }
    json_object_put(obj);
}

static void do_json(const char *in, size_t n, apr_pool_t *p)
{
    struct json_object *obj = NULL, *obj2 = NULL;
    const char *why = NULL, *js;
    int depth;

    if (n < 1) {
        return;
    }
    depth = 1 + ((unsigned char)in[0] % 80);
    in++, n--;
    if (json_oracle_parse(&obj, &why, in, n, depth, p) != APR_SUCCESS) {
        FUZZ_CHECK(why != NULL && obj == NULL);
        return;
    }
    js = obj ? json_object_to_json_string_ext(
             obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
             : "null";
    FUZZ_CHECK(js != NULL);
    FUZZ_CHECK(json_oracle_parse(&obj2, &why, js, strlen(js), depth, p)
               == APR_SUCCESS);
    json_object_put(obj2);
    json_object_put(obj);
}

static void do_valid(const char *in, size_t n, apr_pool_t *p)
{
    struct json_object *obj = NULL;
    struct json_tokener *tok;
    const char *why = NULL;
    int depth, valid;

    if (n < 1) {
        return;
    }
    depth = 1 + ((unsigned char)in[0] % 80);
    in++, n--;
    valid = batch_util_json_valid(in, n, depth);
    /* the same answer as the validator before issue 15, also with no
     * level allowed and past the cap */
    FUZZ_CHECK(valid == json_valid_ref(in, n, depth));
    FUZZ_CHECK(batch_util_json_valid(in, n, 0) == json_valid_ref(in, n, 0));
    FUZZ_CHECK(batch_util_json_valid(in, n, BATCH_JSON_VALID_MAX_DEPTH + 1)
               == json_valid_ref(in, n, BATCH_JSON_VALID_MAX_DEPTH + 1));
    {
        const batch_json_t *root;
        FUZZ_CHECK(valid
                   == (batch_json_parse(&root, &why, NULL, in, n, depth, p)
                       == APR_SUCCESS));
    }
    if (!valid) {
        return;
    }
    /* json-c counts nesting its own way ("[1]" needs 2): the depth was
     * checked by the validator, json-c only has to read the text */
    tok = json_tokener_new_ex(BATCH_JSON_VALID_MAX_DEPTH + 2);
    FUZZ_CHECK(tok != NULL);
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, in, (int)n);
    if (json_tokener_get_error(tok) == json_tokener_continue) {
        obj = json_tokener_parse_ex(tok, "", 1);
    }
    FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success);
    json_object_put(obj);
    json_tokener_free(tok);
}

static void do_token(const char *in, size_t n, apr_pool_t *p)
{
    char *s = apr_pstrmemdup(p, in, n);
    size_t i, len = strlen(s);
    int tok = len > 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c))) {
            tok = 0;
        }
    }
    FUZZ_CHECK(batch_util_is_token(s) == tok);
    {
        /* the one control-character rule: C0 but tab, DEL, C1 in UTF-8 */
        int ok = 1;
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)in[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F
                || (c == 0xC2 && i + 1 < n && (unsigned char)in[i + 1] >= 0x80
                    && (unsigned char)in[i + 1] <= 0x9F)) {
                ok = 0;
            }
        }
        FUZZ_CHECK(batch_item_has_ctl(in, n, 1) == !ok);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuzz_mode_fn modes[] = {do_base64, do_utf8,   do_media,
                                         do_size,   do_escape, do_json,
                                         do_token,  do_valid};

    return fuzz_modes(data, size, modes, sizeof(modes) / sizeof(modes[0]));
}
