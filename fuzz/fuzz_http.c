/* fuzz_http.c - libFuzzer target for the HTTP request parser and the JSON
 * field reader of request bodies (layer: web, test only).
 *
 * Parses the input as a request head; when accepted, checks that every
 * view lies inside the input, that the path starts with '/', that no
 * prefix of the head is accepted, and runs the URL helpers over the
 * path and query. Then reads a "sql" field from the input as a JSON body,
 * a key field as ingest does, and every member as PATCH /topics does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "web/http_parse.h"
#include "web/web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *data, size_t size, struct http_str s)
{
    if (s.n && ((const uint8_t *)s.p < data ||
                (const uint8_t *)s.p + s.n > data + size))
        abort();
}

struct span {
    const uint8_t *data;
    size_t size;
};

static void member(void *arg, const char *key, const char *v, size_t vn,
                   int kind)
{
    const struct span *sp = arg;
    if (!key || (kind != 's' && kind != 'n' && kind != '0' && kind != 'o'))
        abort();
    if (kind != 's' && ((const uint8_t *)v < sp->data ||
                        (const uint8_t *)v + vn > sp->data + sp->size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct http_limits lim = {.max_head = 4096, .max_body = 1u << 20};
    struct http_request req;
    struct http_parse_error err;
    int rc = http_parse_request(p, size, &lim, &req, &err);
    if (rc < 0 && (err.status < 400 || err.status > 599))
        abort();
    if (rc == 1) {
        if (req.head_len == 0 || req.head_len > size ||
            req.content_length > lim.max_body)
            abort();
        inside(data, size, req.method);
        inside(data, size, req.target);
        inside(data, size, req.path);
        inside(data, size, req.query);
        if (req.path.n == 0 || req.path.p[0] != '/')
            abort();
        for (size_t i = 0; i < req.nheaders; i++) {
            inside(data, size, req.headers[i].name);
            inside(data, size, req.headers[i].value);
        }
        struct http_request r2;
        if (http_parse_request(p, req.head_len - 1, &lim, &r2, &err) == 1)
            abort();
        char out[256];
        http_url_decode(req.path, out, sizeof out);
        struct http_str v;
        if (http_query_param(req.query, "format", &v))
            inside(data, size, v);
    }
    struct buf b;
    buf_init(&b);
    if (web_json_field(p, size, "sql", &b) == 0 && b.data &&
        memchr(b.data, '\0', b.len))
        abort(); /* no NUL inside the SQL text */
    /* The key of an NDJSON line, as ingest reads it. */
    if (web_json_scalar(p, size, "sensor_id", &b) == 0 && b.len > size)
        abort();
    buf_fini(&b);
    /* Every member of a PATCH body: values other than strings are views
     * into the input. */
    struct span sp = {data, size};
    web_json_members(p, size, member, &sp);
    return 0;
}
