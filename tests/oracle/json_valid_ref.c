/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * json_valid_ref.c: the reference for batch_util_json_valid(), its code
 * at main 06daf93 but for the scan of plain string bytes, which goes a
 * byte at a time here (by RFC 8259's definition, not the module's
 * table), so that the fast validator's SIMD and its shared helpers are
 * checked too. It keeps batch_util_utf8_seq() and
 * batch_util_json_number(), which did not change. Test code only.
 */

#include <string.h>

#include <apr_lib.h>

#include "batch_util.h"
#include "json_valid_ref.h"

/* the bytes a JSON string holds as they are (RFC 8259 7: unescaped is
 * 0x20-0x21, 0x23-0x5B, 0x5D-0x10FFFF; here the ASCII ones) */
static int plain(unsigned char c)
{
    return c >= 0x20 && c <= 0x7F && c != '"' && c != '\\';
}

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

static int valid_string(const unsigned char *s, apr_size_t len,
                        apr_size_t *pi)
{
    apr_size_t i = *pi + 1;

    while (i < len) {
        unsigned char c;

        while (i < len && plain(s[i])) {
            i++;
        }
        if (i >= len) {
            break;
        }
        c = s[i];
        if (c == '"') {
            *pi = i + 1;
            return 1;
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

#define JV_VALUE 0        /* a value must follow */
#define JV_VALUE_OR_END 1 /* after '[' */
#define JV_KEY 2          /* after ',' in an object */
#define JV_KEY_OR_END 3   /* after '{' */
#define JV_COLON 4        /* after a member name */
#define JV_AFTER 5        /* after a value */

static int valid_scalar(const unsigned char *s, apr_size_t len, apr_size_t *pi)
{
    apr_size_t i = *pi;
    unsigned char c = s[i];

    if (c == '"') {
        return valid_string(s, len, pi);
    }
    if (c == '-' || apr_isdigit(c)) {
        return batch_util_json_number(s, len, pi) == NULL;
    }
    if (len - i >= 4
        && (!memcmp(s + i, "true", 4) || !memcmp(s + i, "null", 4))) {
        *pi = i + 4;
        return 1;
    }
    if (len - i >= 5 && !memcmp(s + i, "false", 5)) {
        *pi = i + 5;
        return 1;
    }
    return 0;
}

/* one token in the given state: 1 and the state moved on, 0 to refuse */
static int step(const unsigned char *s, apr_size_t len, apr_size_t *pi,
                unsigned char *stack, int *ptop, int *pstate, int depth)
{
    unsigned char c = s[*pi];
    int top = *ptop;

    switch (*pstate) {
    case JV_VALUE_OR_END:
        if (c == ']') {
            top--;
            *pstate = JV_AFTER;
            ++*pi;
            break;
        }
        /* fall through */
    case JV_VALUE:
        if (c == '{' || c == '[') {
            if (top >= depth) {
                return 0;
            }
            stack[top++] = c;
            *pstate = c == '{' ? JV_KEY_OR_END : JV_VALUE_OR_END;
            ++*pi;
        }
        else if (!valid_scalar(s, len, pi)) {
            return 0;
        }
        else {
            *pstate = JV_AFTER;
        }
        break;
    case JV_KEY_OR_END:
        if (c == '}') {
            top--;
            *pstate = JV_AFTER;
            ++*pi;
            break;
        }
        /* fall through */
    case JV_KEY:
        if (c != '"' || !valid_string(s, len, pi)) {
            return 0;
        }
        *pstate = JV_COLON;
        break;
    case JV_COLON:
        if (c != ':') {
            return 0;
        }
        *pstate = JV_VALUE;
        ++*pi;
        break;
    default: /* JV_AFTER */
        if (top == 0) {
            return 0; /* trailing data */
        }
        if (c == ',') {
            *pstate = stack[top - 1] == '{' ? JV_KEY : JV_VALUE;
        }
        else if ((c == '}' && stack[top - 1] == '{')
                 || (c == ']' && stack[top - 1] == '[')) {
            top--;
        }
        else {
            return 0;
        }
        ++*pi;
        break;
    }
    *ptop = top;
    return 1;
}

int json_valid_ref(const char *text, apr_size_t len, int depth)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char stack[BATCH_JSON_VALID_MAX_DEPTH];
    int top = 0, state = JV_VALUE;
    apr_size_t i = 0;

    if (depth > BATCH_JSON_VALID_MAX_DEPTH) {
        depth = BATCH_JSON_VALID_MAX_DEPTH;
    }
    for (;;) {
        while (i < len
               && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'
                   || s[i] == '\r')) {
            i++;
        }
        if (i >= len) {
            return state == JV_AFTER && top == 0;
        }
        if (!step(s, len, &i, stack, &top, &state, depth)) {
            return 0;
        }
    }
}
