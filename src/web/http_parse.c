/* http_parse.c - HTTP/1.1 request-head parser (layer: web).
 *
 * One pass over the bytes received so far; when the head is incomplete it
 * returns 0 and the caller calls again with more bytes (heads are small:
 * re-scanning costs less than keeping state). Grammar: RFC 9112 sections
 * 3 (request line) and 5 (field lines), strict where a lenient reading
 * could be read differently by a proxy in front of us (request smuggling):
 * Transfer-Encoding and duplicate Content-Length.
 */
#include "web/http_parse.h"

#include <stdio.h>
#include <string.h>

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int fail(struct http_parse_error *err, int status, size_t off,
                const char *msg)
{
    err->status = status;
    err->offset = off;
    snprintf(err->message, sizeof err->message, "%s", msg);
    return -1;
}

bool http_str_ieq(struct http_str s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s.p[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

/* Finds the end of the line starting at i: returns the index of its '\n'
 * or n when not there yet. */
static size_t line_end(const char *p, size_t n, size_t i)
{
    const char *nl = memchr(p + i, '\n', n - i);
    return nl ? (size_t)(nl - p) : n;
}

/* Whether the comma-separated list v holds token tok. */
static bool list_has(struct http_str v, const char *tok)
{
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        size_t s = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
            e--;
        struct http_str t = {v.p + s, e - s};
        if (t.n && http_str_ieq(t, tok))
            return true;
    }
    return false;
}

static int request_line(const char *p, size_t e, struct http_request *req,
                        struct http_parse_error *err)
{
    size_t i = 0;
    while (i < e && p[i] >= 'A' && p[i] <= 'Z')
        i++;
    if (i == 0 || i > 16 || i >= e || p[i] != ' ')
        return fail(err, 400, i, "bad request method");
    req->method = (struct http_str){p, i};
    size_t t = ++i;
    while (i < e && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
        i++;
    if (i == t || i >= e || p[i] != ' ')
        return fail(err, 400, i, "bad request target");
    if (p[t] != '/')
        return fail(err, 400, t, "request target must start with '/'");
    req->target = (struct http_str){p + t, i - t};
    const char *q = memchr(req->target.p, '?', req->target.n);
    if (q) {
        req->path = (struct http_str){req->target.p, (size_t)(q - p) - t};
        req->query = (struct http_str){q + 1, req->target.n - req->path.n - 1};
    } else {
        req->path = req->target;
        req->query = (struct http_str){q, 0};
    }
    i++;
    size_t vlen = e - i;
    if (vlen != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || p[i + 7] < '0' ||
        p[i + 7] > '9') {
        if (vlen == 8 && memcmp(p + i, "HTTP/", 5) == 0)
            return fail(err, 505, i, "only HTTP/1.x is served");
        return fail(err, 400, i, "bad HTTP version");
    }
    req->minor = p[i + 7] - '0';
    return 0;
}

static int header_line(const char *p, size_t s, size_t e,
                       struct http_request *req, bool *have_len,
                       const struct http_limits *lim,
                       struct http_parse_error *err)
{
    if (p[s] == ' ' || p[s] == '\t')
        return fail(err, 400, s, "obsolete line folding");
    size_t i = s;
    while (i < e && is_tchar((unsigned char)p[i]))
        i++;
    if (i == s || i >= e || p[i] != ':')
        return fail(err, 400, i, "bad header field name");
    struct http_str name = {p + s, i - s};
    i++;
    while (i < e && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t ve = e;
    while (ve > i && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
        ve--;
    for (size_t k = i; k < ve; k++) {
        unsigned char c = (unsigned char)p[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(err, 400, k, "control byte in a header value");
    }
    struct http_str value = {p + i, ve - i};
    if (req->nheaders == HTTP_MAX_HEADERS)
        return fail(err, 431, s, "too many header fields");
    req->headers[req->nheaders++] = (struct http_header){name, value};
    if (http_str_ieq(name, "content-length")) {
        if (value.n == 0 || value.n > 18)
            return fail(err, value.n ? 413 : 400, i, "bad Content-Length");
        uint64_t v = 0;
        for (size_t k = 0; k < value.n; k++) {
            if (value.p[k] < '0' || value.p[k] > '9')
                return fail(err, 400, i + k, "bad Content-Length");
            v = v * 10 + (uint64_t)(value.p[k] - '0');
        }
        if (*have_len && v != req->content_length)
            return fail(err, 400, s, "two different Content-Length fields");
        *have_len = true;
        req->content_length = v;
        if (v > lim->max_body)
            return fail(err, 413, i, "request body too large");
    } else if (http_str_ieq(name, "transfer-encoding")) {
        return fail(err, 501, s,
                    "Transfer-Encoding is not supported: send Content-Length");
    } else if (http_str_ieq(name, "connection")) {
        if (list_has(value, "close"))
            req->keep_alive = false;
        else if (list_has(value, "keep-alive"))
            req->keep_alive = true;
    }
    return 0;
}

int http_parse_request(const char *p, size_t n, const struct http_limits *lim,
                       struct http_request *req, struct http_parse_error *err)
{
    memset(req, 0, sizeof *req);
    size_t limit = n < lim->max_head ? n : lim->max_head;
    /* Leading empty lines before a request are allowed (RFC 9112 2.2). */
    size_t i = 0;
    while (i < limit && (p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= 64)
        return fail(err, 400, i, "empty lines before the request");
    size_t e = line_end(p, limit, i);
    if (e == limit) {
        if (n >= lim->max_head)
            return fail(err, 414, i, "request line too long");
        return 0;
    }
    size_t le = e > i && p[e - 1] == '\r' ? e - 1 : e;
    if (memchr(p + i, '\r', le - i))
        return fail(err, 400, i, "stray CR in the request line");
    if (request_line(p + i, le - i, req, err) < 0) {
        err->offset += i;
        return -1;
    }
    req->keep_alive = req->minor >= 1;
    bool have_len = false;
    i = e + 1;
    for (;;) {
        e = line_end(p, limit, i);
        if (e == limit) {
            if (n >= lim->max_head)
                return fail(err, 431, i, "request head too large");
            return 0;
        }
        le = e > i && p[e - 1] == '\r' ? e - 1 : e;
        if (memchr(p + i, '\r', le - i))
            return fail(err, 400, i, "stray CR in a header line");
        if (le == i)
            break;
        if (header_line(p, i, le, req, &have_len, lim, err) < 0)
            return -1;
        i = e + 1;
    }
    if (req->minor >= 1 && !http_request_header(req, "host"))
        return fail(err, 400, 0, "HTTP/1.1 request without Host");
    req->head_len = e + 1;
    return 1;
}

const struct http_str *http_request_header(const struct http_request *req,
                                           const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (http_str_ieq(req->headers[i].name, name))
            return &req->headers[i].value;
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_url_decode(struct http_str s, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '%') {
            int a = i + 1 < s.n ? hexval(s.p[i + 1]) : -1;
            int b = i + 2 < s.n ? hexval(s.p[i + 2]) : -1;
            if (a < 0 || b < 0)
                return -1;
            c = (char)(a * 16 + b);
            i += 2;
        }
        if (c == '\0' || o + 1 >= outlen)
            return -1;
        out[o++] = c;
    }
    if (outlen == 0)
        return -1;
    out[o] = '\0';
    return (int)o;
}

bool http_query_param(struct http_str query, const char *name,
                      struct http_str *value)
{
    size_t nl = strlen(name), i = 0;
    while (i < query.n) {
        size_t s = i;
        while (i < query.n && query.p[i] != '&')
            i++;
        size_t e = i++;
        if (e - s >= nl && memcmp(query.p + s, name, nl) == 0 &&
            (e - s == nl || query.p[s + nl] == '=')) {
            size_t v = e - s == nl ? e : s + nl + 1;
            *value = (struct http_str){query.p + v, e - v};
            return true;
        }
    }
    return false;
}
