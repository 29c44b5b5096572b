/* test_http_parse.c - the HTTP request-head parser: a table of heads and
 * what each gives (fields, or the status it is refused with), every head
 * also fed byte by byte (incomplete prefixes must ask for more), and the
 * URL helpers.
 */
#include "../../harness.h"

#include <string.h>

#include "web/http_parse.h"

static const struct http_limits lim = {.max_head = 1024, .max_body = 4096};

struct row {
    const char *head;
    int status;         /* 0: accepted */
    const char *method; /* when accepted */
    const char *path;
    const char *query;
    long long content_length;
    int keep_alive;
};

static const struct row rows[] = {
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/", "", 0, 1},
    {"GET /metrics?x=1&y HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/metrics",
     "x=1&y", 0, 1},
    {"POST /sql HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", 0, "POST",
     "/sql", "", 12, 1},
    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0, "GET", "/",
     "", 0, 0},
    {"GET / HTTP/1.0\r\n\r\n", 0, "GET", "/", "", 0, 0},
    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, "GET", "/", "", 0,
     1},
    {"GET / HTTP/1.1\nHost: a\n\n", 0, "GET", "/", "", 0, 1},
    {"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "GET", "/", "", 0, 1},
    {"GET / HTTP/1.1\r\nHost:    a  \r\nX-A:\r\n\r\n", 0, "GET", "/", "", 0, 1},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: "
     "5\r\n\r\n",
     0, "POST", "/", "", 5, 1},
    /* refused */
    {"get / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, 0, 0, 0, 0, 0},
    {"GET / FTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, 0, 0, 0, 0, 0},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n", 400, 0, 0, 0,
     0, 0},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, 0, 0, 0,
     0, 0},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: "
     "6\r\n\r\n",
     400, 0, 0, 0, 0, 0},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\n\r\n", 413, 0, 0, 0,
     0, 0},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
     "99999999999999999999999\r\n\r\n",
     413, 0, 0, 0, 0, 0},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501, 0,
     0, 0, 0, 0},
};

static void check_row(const struct row *r, const char *p, size_t n)
{
    struct http_request req;
    struct http_parse_error err;
    int rc = http_parse_request(p, n, &lim, &req, &err);
    if (r->status) {
        CHECK_EQ_INT(rc, -1);
        if (rc == -1)
            CHECK_EQ_INT(err.status, r->status);
        if (rc != -1 || err.status != r->status)
            fprintf(stderr, "    head: %s\n", r->head);
        return;
    }
    CHECK_EQ_INT(rc, 1);
    if (rc != 1) {
        fprintf(stderr, "    head: %s (%s)\n", r->head, err.message);
        return;
    }
    CHECK_EQ_INT(req.head_len, n);
    CHECK(http_str_ieq(req.method, r->method));
    CHECK(req.path.n == strlen(r->path) &&
          !memcmp(req.path.p, r->path, req.path.n));
    CHECK(req.query.n == strlen(r->query) &&
          (!req.query.n || !memcmp(req.query.p, r->query, req.query.n)));
    CHECK_EQ_INT(req.content_length, r->content_length);
    CHECK_EQ_INT(req.keep_alive, r->keep_alive);
}

TEST(table)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_row(&rows[i], rows[i].head, strlen(rows[i].head));
}

/* Every strict prefix of an accepted head needs more bytes (0); a refused
 * head is refused at some prefix or whole, never accepted. */
TEST(byte_by_byte)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *h = rows[i].head;
        size_t n = strlen(h);
        for (size_t k = 0; k < n; k++) {
            struct http_request req;
            struct http_parse_error err;
            int rc = http_parse_request(h, k, &lim, &req, &err);
            if (rows[i].status == 0)
                CHECK_EQ_INT(rc, 0);
            else
                CHECK(rc != 1);
            if (rc != 0)
                break;
        }
    }
}

TEST(pipelined_and_body_not_counted)
{
    const char *two = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n";
    struct http_request req;
    struct http_parse_error err;
    CHECK_EQ_INT(http_parse_request(two, strlen(two), &lim, &req, &err), 1);
    CHECK_EQ_INT(req.head_len, 28);
    CHECK(req.path.n == 2 && req.path.p[1] == 'a');
}

TEST(limits)
{
    char big[2048];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    struct http_request req;
    struct http_parse_error err;
    CHECK_EQ_INT(http_parse_request(big, sizeof big, &lim, &req, &err), -1);
    CHECK_EQ_INT(err.status, 414);
    /* Headers beyond max_head without the empty line: 431. */
    char hdrs[2048];
    size_t n = (size_t)snprintf(hdrs, sizeof hdrs, "GET / HTTP/1.1\r\n");
    while (n + 16 < sizeof hdrs)
        n += (size_t)snprintf(hdrs + n, sizeof hdrs - n, "X-Pad: 12345\r\n");
    CHECK_EQ_INT(http_parse_request(hdrs, n, &lim, &req, &err), -1);
    CHECK_EQ_INT(err.status, 431);
    /* Too many fields within the size limit: 431. */
    struct http_limits wide = {.max_head = 65536, .max_body = 1};
    char many[8192];
    n = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "X-%d: v\r\n", i);
    n += (size_t)snprintf(many + n, sizeof many - n, "\r\n");
    CHECK_EQ_INT(http_parse_request(many, n, &wide, &req, &err), -1);
    CHECK_EQ_INT(err.status, 431);
}

TEST(headers_lookup)
{
    const char *h = "GET / HTTP/1.1\r\nHost: x\r\nContent-Type:  "
                    "application/json \r\n\r\n";
    struct http_request req;
    struct http_parse_error err;
    CHECK_EQ_INT(http_parse_request(h, strlen(h), &lim, &req, &err), 1);
    const struct http_str *ct = http_request_header(&req, "content-TYPE");
    CHECK(ct && http_str_ieq(*ct, "application/json"));
    CHECK(http_request_header(&req, "accept") == NULL);
}

TEST(url_helpers)
{
    char out[32];
    struct http_str s = {"a%20b%2Fc", 9};
    CHECK_EQ_INT(http_url_decode(s, out, sizeof out), 5);
    CHECK_EQ_STR(out, "a b/c");
    struct http_str bad1 = {"a%2", 3}, bad2 = {"%zz", 3}, nul = {"a%00", 4};
    CHECK_EQ_INT(http_url_decode(bad1, out, sizeof out), -1);
    CHECK_EQ_INT(http_url_decode(bad2, out, sizeof out), -1);
    CHECK_EQ_INT(http_url_decode(nul, out, sizeof out), -1);
    struct http_str longer = {"abcdef", 6};
    CHECK_EQ_INT(http_url_decode(longer, out, 6), -1);
    struct http_str q = {"format=sse&acks=all&flag", 24}, v;
    CHECK(http_query_param(q, "acks", &v) && v.n == 3 &&
          !memcmp(v.p, "all", 3));
    CHECK(http_query_param(q, "flag", &v) && v.n == 0);
    CHECK(!http_query_param(q, "form", &v));
    CHECK(!http_query_param(q, "sse", &v));
}

int main(void)
{
    RUN(table);
    RUN(byte_by_byte);
    RUN(pipelined_and_body_not_counted);
    RUN(limits);
    RUN(headers_lookup);
    RUN(url_helpers);
    return harness_summary("test_http_parse");
}
