/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * json_oracle.c: json-c in strict mode behind a lexer that refuses what
 * json-c 0.16 lets through or silently changes even with
 * JSON_TOKENER_STRICT (README "Why its own JSON reader"). mod_batch read
 * its batch requests this way before batch_json.c; the tests and fuzz
 * targets keep it as the reference every reader change is checked
 * against. Test code only: the module does not link json-c.
 */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <json-c/json.h>

#include "batch_util.h"
#include "json_oracle.h"

static int equals(const char *s, apr_size_t len, const char *what)
{
    return strlen(what) == len && !memcmp(s, what, len);
}

/* Compare the digits of an integer literal (no sign, no leading zeros)
 * with a limit given as digits: > 0 when it is larger. */
static int digits_cmp(const char *d, apr_size_t n, const char *limit)
{
    apr_size_t ln = strlen(limit);
    if (n != ln) {
        return n > ln ? 1 : -1;
    }
    return memcmp(d, limit, n);
}

/* One number at s[*pi] by RFC 8259's grammar (json-c accepts "1." and
 * "-07"), and an integer must fit in 64 bits (json-c would silently clamp
 * it). */
static const char *lex_number(const char *s, apr_size_t len, apr_size_t *pi)
{
    apr_size_t i = *pi, d0 = *pi, k;
    const char *why =
        batch_util_json_number((const unsigned char *)s, len, &i);
    int neg = s[d0] == '-';

    if (why) {
        return why;
    }
    d0 += neg;
    for (k = d0; k < i; k++) {
        if (!apr_isdigit(s[k])) {
            *pi = i; /* a fraction or an exponent: no range to check */
            return NULL;
        }
    }
    if (digits_cmp(s + d0, i - d0,
                   neg ? "9223372036854775808" : "18446744073709551615")
        > 0) {
        return "an integer is outside the 64-bit range";
    }
    *pi = i;
    return NULL;
}

/* What json-c 0.16 lets through even with JSON_TOKENER_STRICT, checked
 * on the raw text before json-c sees it: NUL bytes, raw control
 * characters inside strings, NaN/Infinity, sloppy or clamped numbers, and
 * member names holding \u0000 (json-c cuts keys at the NUL, so
 * "id\u0000x" would silently become "id"). */
static const char *json_lex(const char *s, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\0') {
            return "contains a NUL byte";
        }
        if (c == '"') {
            int has_nul = 0;
            for (i++;; i++) {
                if (i >= len) {
                    return NULL; /* json-c reports the open string */
                }
                c = (unsigned char)s[i];
                if (c == '"') {
                    break;
                }
                if (c < 0x20) {
                    return c ? "a string contains a raw control character"
                             : "contains a NUL byte";
                }
                if (c == '\\' && i + 1 < len) {
                    i++;
                    if (s[i] == 'u' && i + 4 < len
                        && !memcmp(s + i + 1, "0000", 4)) {
                        has_nul = 1;
                    }
                }
            }
            i++;
            if (has_nul) {
                apr_size_t j = i;
                while (j < len
                       && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n'
                           || s[j] == '\r')) {
                    j++;
                }
                if (j < len && s[j] == ':') {
                    return "a member name contains \\u0000";
                }
            }
            continue;
        }
        if (c == '-' || apr_isdigit(c)) {
            const char *why = lex_number(s, len, &i);
            if (why) {
                return why;
            }
            continue;
        }
        if (apr_isalpha(c)) {
            apr_size_t j = i;
            while (j < len && apr_isalnum(s[j])) {
                j++;
            }
            if (!equals(s + i, j - i, "true") && !equals(s + i, j - i, "false")
                && !equals(s + i, j - i, "null")) {
                return "holds a word that is not true, false or null";
            }
            i = j;
            continue;
        }
        i++;
    }
    return NULL;
}

apr_status_t json_oracle_parse(struct json_object **pobj, const char **why,
                               const char *s, apr_size_t len, int depth,
                               apr_pool_t *p)
{
    struct json_tokener *tok;
    struct json_object *obj;
    enum json_tokener_error jerr;
    apr_size_t end;
    const char *lex;

    *pobj = NULL;
    if (len > (apr_size_t)0x7FFFFFFF) {
        /* json_tokener_parse_ex() takes an int length */
        *why = "is too large";
        return APR_EINVAL;
    }
    if (!batch_util_utf8_valid(s, len)) {
        *why = "is not valid UTF-8";
        return APR_EINVAL;
    }
    if ((lex = json_lex(s, len)) != NULL) {
        *why = apr_pstrcat(p, "is not valid JSON: ", lex, NULL);
        return APR_EINVAL;
    }
    tok = json_tokener_new_ex(depth);
    if (!tok) {
        *why = "could not be parsed (out of memory)";
        return APR_ENOMEM;
    }
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, s, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue && end == len) {
        /* A bare top-level number ("12") may still grow as far as json-c
         * knows; a NUL after the input tells it the text has ended. */
        obj = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);

    if (jerr == json_tokener_error_depth) {
        json_object_put(obj);
        *why = apr_psprintf(p, "is nested deeper than %d levels", depth);
        return APR_EINVAL;
    }
    if (jerr != json_tokener_success) {
        json_object_put(obj);
        if (jerr == json_tokener_continue) {
            /* json-c waits for more input; there is none. */
            *why = "is not valid JSON: unexpected end of data";
        }
        else {
            *why = apr_psprintf(
                p, "is not valid JSON: %s at byte %" APR_SIZE_T_FMT,
                json_tokener_error_desc(jerr), end);
        }
        return APR_EINVAL;
    }
    for (; end < len; end++) {
        char c = s[end];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            json_object_put(obj);
            *why = apr_psprintf(p,
                                "is not valid JSON: trailing data at "
                                "byte %" APR_SIZE_T_FMT,
                                end);
            return APR_EINVAL;
        }
    }
    *pobj = obj;
    return APR_SUCCESS;
}
