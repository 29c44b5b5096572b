/* http_parse.h - HTTP/1.1 request heads: request line and header fields,
 * parsed in place (layer: web).
 *
 * The parser reads bytes that arrived so far and either needs more, or
 * returns the length of a complete head (up to and including the empty
 * line), or refuses it with the HTTP status to answer before closing the
 * connection. It copies nothing: every string is a view into the caller's
 * buffer, valid while that buffer is. It never allocates, and it looks at
 * most limits->max_head bytes (a longer head is refused, 431).
 * What it refuses (RFC 9112): a request line that is not
 * `METHOD SP target SP HTTP/1.x`, a target not starting with '/', header
 * names with bytes outside tchar, obsolete line folding, control bytes in
 * values, more than HTTP_MAX_HEADERS fields, a Content-Length that is not
 * digits or disagrees with a second one, a body above limits->max_body
 * (413), any Transfer-Encoding (501: bodies must carry Content-Length).
 * Bare LF line ends are accepted (curl never sends them; netcat users do).
 */
#ifndef RILL_HTTP_PARSE_H
#define RILL_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 48

struct http_str {
    const char *p;
    size_t n;
};

struct http_header {
    struct http_str name, value;
};

struct http_request {
    struct http_str method; /* "GET" */
    struct http_str target; /* "/topics/x?limit=3", as sent */
    struct http_str path;   /* "/topics/x" (not percent-decoded) */
    struct http_str query;  /* "limit=3" (empty when none) */
    int minor;              /* HTTP/1.<minor> */
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    uint64_t content_length; /* 0 when absent */
    bool keep_alive;         /* 1.1 unless "close"; 1.0 only if asked */
    size_t head_len;         /* bytes of the head, final empty line included */
};

struct http_limits {
    size_t max_head; /* request line + header fields, bytes */
    uint64_t max_body;
};

struct http_parse_error {
    int status;    /* 400, 413, 414, 431, 501, 505 */
    size_t offset; /* byte offset of the fault in the head */
    char message[96];
};

/* Parses the head at p[0..n). Returns 1 with *req filled (head_len set),
 * 0 when more bytes are needed, or -1 with *err filled. */
int http_parse_request(const char *p, size_t n, const struct http_limits *lim,
                       struct http_request *req, struct http_parse_error *err);

/* The value of the first header named name (case-insensitive), or NULL. */
const struct http_str *http_request_header(const struct http_request *req,
                                           const char *name);
/* Whether s equals lit ignoring ASCII case. */
bool http_str_ieq(struct http_str s, const char *lit);

/* Percent-decodes s into out (at most outlen-1 bytes plus NUL; '+' stays).
 * Returns the length, or -1 when it does not fit, has a bad escape or a
 * NUL byte. */
int http_url_decode(struct http_str s, char *out, size_t outlen);
/* The raw value of query parameter name in query ("a=1&b=2"), or false. */
bool http_query_param(struct http_str query, const char *name,
                      struct http_str *value);

#endif
