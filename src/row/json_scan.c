/* json_scan.c - the slow half of JSON lexing (layer: row).
 *
 * Escapes (including \uXXXX surrogate pairs), UTF-8 validation (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF) and the validating
 * skip of values no column asks for.
 */
#include "row/json_scan.h"

#include "base/err.h"
#include "row/scalar.h"

/* GNU range designators (gcc and clang accept them in -std=c11). */
const uint8_t json_scan_special[256] = {
    [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1};

const char *json_scan_kind(const struct json_scan *s)
{
    if (s->p >= s->end)
        return "end of input";
    switch (*s->p) {
    case '"':
        return "string";
    case '{':
        return "object";
    case '[':
        return "array";
    case 't':
    case 'f':
        return "boolean";
    case 'n':
        return "null";
    case '-':
        return "number";
    default:
        if (*s->p >= '0' && *s->p <= '9')
            return "number";
        return "invalid character";
    }
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t n;
    uint32_t min, cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

int json_scan_string_slow(struct json_scan *s, const char *start,
                          struct row_str *out, char *scratch, size_t cap)
{
    /* Pass 1: find the closing quote, validating everything. */
    const char *q = start, *end = s->end;
    bool escaped = false;
    for (;;) {
        if (q >= end) {
            s->p = q;
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "unterminated string");
        }
        uint8_t c = (uint8_t)*q;
        if (c == '"')
            break;
        if (c < 0x20) {
            s->p = q;
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "control character in string");
        }
        if (c >= 0x80) {
            size_t n = utf8_len((const uint8_t *)q, (const uint8_t *)end);
            if (n == 0) {
                s->p = q;
                return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                     "invalid UTF-8 in string");
            }
            q += n;
            continue;
        }
        if (c != '\\') {
            q++;
            continue;
        }
        escaped = true;
        const char *esc = q;
        q++;
        if (q >= end)
            continue; /* reported as unterminated above */
        switch (*q) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            q++;
            break;
        case 'u': {
            uint32_t cp = 0, lo = 0;
            if (hex4(q + 1, end, &cp) != 0)
                goto bad_escape;
            q += 5;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                goto bad_surrogate;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
                    hex4(q + 2, end, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                    goto bad_surrogate;
                q += 6;
            }
            break;
        }
        default:
            goto bad_escape;
        }
        continue;
bad_escape:
        s->p = esc;
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "invalid escape in string");
bad_surrogate:
        s->p = esc;
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "unpaired UTF-16 surrogate in string");
    }
    size_t raw = (size_t)(q - start);
    s->p = q + 1;
    if (!escaped) {
        out->ptr = start;
        out->len = (uint32_t)raw;
        return 0;
    }
    /* Pass 2: decode; the result is never longer than the raw text. */
    char *d;
    if (scratch && cap >= raw)
        d = scratch;
    else if (s->arena)
        d = arena_alloc(s->arena, raw ? raw : 1);
    else {
        out->ptr = NULL;
        out->len = 0;
        return 0;
    }
    size_t n = 0;
    for (const char *r = start; r < q;) {
        if (*r != '\\') {
            d[n++] = *r++;
            continue;
        }
        r++;
        switch (*r++) {
        case 'b':
            d[n++] = '\b';
            break;
        case 'f':
            d[n++] = '\f';
            break;
        case 'n':
            d[n++] = '\n';
            break;
        case 'r':
            d[n++] = '\r';
            break;
        case 't':
            d[n++] = '\t';
            break;
        case 'u': {
            uint32_t cp = 0, lo = 0;
            hex4(r, q, &cp);
            r += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                hex4(r + 2, q, &lo);
                r += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            n += put_utf8(d + n, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            d[n++] = r[-1];
            break;
        }
    }
    out->ptr = d;
    out->len = (uint32_t)n;
    return 0;
}

int json_scan_skip(struct json_scan *s, int depth)
{
    if (depth > JSON_SCAN_MAX_DEPTH)
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "nesting deeper than %d", JSON_SCAN_MAX_DEPTH);
    if (s->p >= s->end)
        return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                             "expected a value, found end of input");
    int rc;
    struct row_str str;
    switch (*s->p) {
    case '"':
        return json_scan_string(s, &str, NULL, 0);
    case 't':
        if (json_scan_lit(s, "true", 4))
            return 0;
        break;
    case 'f':
        if (json_scan_lit(s, "false", 5))
            return 0;
        break;
    case 'n':
        if (json_scan_lit(s, "null", 4))
            return 0;
        break;
    case '[':
        s->p++;
        json_scan_ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        for (;;) {
            json_scan_ws(s);
            if ((rc = json_scan_skip(s, depth + 1)) != 0)
                return rc;
            json_scan_ws(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == ']') {
                s->p++;
                return 0;
            }
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "expected ',' or ']' in array");
        }
    case '{':
        s->p++;
        json_scan_ws(s);
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        for (;;) {
            json_scan_ws(s);
            if (s->p >= s->end || *s->p != '"')
                return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                     "expected a string key in object");
            if ((rc = json_scan_string(s, &str, NULL, 0)) != 0)
                return rc;
            json_scan_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                     "expected ':' after key");
            s->p++;
            json_scan_ws(s);
            if ((rc = json_scan_skip(s, depth + 1)) != 0)
                return rc;
            json_scan_ws(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == '}') {
                s->p++;
                return 0;
            }
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "expected ',' or '}' in object");
        }
    default: {
        struct scalar_number num;
        const char *stop;
        rc = scalar_parse_number(s->p, s->end, &num, &stop);
        if (rc == 0) {
            s->p = stop;
            return 0;
        }
        if (rc == ERR_RANGE)
            return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                                 "number out of range");
        s->p = stop;
        break;
    }
    }
    return row_error_set(s->err, ERR_PARSE, json_scan_off(s),
                         "invalid JSON value");
}
