/* web.c - routes of rill's HTTP API and the JSON helpers they share
 * (layer: web).
 *
 * The routing table is the switch in handle(); each route lives in its own
 * file (web_metrics.c, web_sql.c, web_queries.c, web_topics.c,
 * web_assets.c). Routes that may block (SQL over the socket, pushes) run
 * as jobs (web_job.c); the rest answer on the loop thread at once.
 */
#include "web/web.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "net/listener.h"
#include "net/tls.h"
#include "row/json_encode.h"
#include "broker/auth_acls.h"
#include "web/web_int.h"

void web_json_str(struct buf *b, const char *s, size_t n)
{
    json_encode_string(b, s, n);
}

void web_json_cstr(struct buf *b, const char *s)
{
    json_encode_string(b, s, strlen(s));
}

void web_error(struct http_conn *c, int status, const char *msg)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"error\":");
    web_json_cstr(&b, msg);
    buf_put_str(&b, "}\n");
    http_respond(c, status, "application/json", b.data, b.len);
    buf_fini(&b);
}

void web_iso8601(int64_t ms, char *out, size_t n)
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)s * 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the JSON string at json[*i] (the opening quote) into out (when
 * not NULL); *i ends after the closing quote. */
static int read_string(const char *json, size_t n, size_t *i, struct buf *out)
{
    size_t k = *i + 1;
    while (k < n && json[k] != '"') {
        char c = json[k++];
        if ((unsigned char)c < 0x20)
            return ERR_INVALID;
        if (c != '\\') {
            if (out)
                buf_put_u8(out, (uint8_t)c);
            continue;
        }
        if (k >= n)
            return ERR_INVALID;
        char e = json[k++];
        const char *map = e ? strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e) : NULL;
        if (e == 'u') {
            if (k + 4 > n)
                return ERR_INVALID;
            unsigned v = 0;
            for (int d = 0; d < 4; d++) {
                int h = hexv(json[k + (size_t)d]);
                if (h < 0)
                    return ERR_INVALID;
                v = v * 16 + (unsigned)h;
            }
            k += 4;
            if (v == 0 || (v >= 0xd800 && v < 0xe000))
                return ERR_INVALID; /* no NULs, no surrogate halves */
            if (out) {
                if (v < 0x80) {
                    buf_put_u8(out, (uint8_t)v);
                } else if (v < 0x800) {
                    buf_put_u8(out, (uint8_t)(0xc0 | (v >> 6)));
                    buf_put_u8(out, (uint8_t)(0x80 | (v & 0x3f)));
                } else {
                    buf_put_u8(out, (uint8_t)(0xe0 | (v >> 12)));
                    buf_put_u8(out, (uint8_t)(0x80 | ((v >> 6) & 0x3f)));
                    buf_put_u8(out, (uint8_t)(0x80 | (v & 0x3f)));
                }
            }
        } else if (map && ((map - "\"\"\\\\//b\bf\fn\nr\rt\t") % 2) == 0) {
            if (out)
                buf_put_u8(out, (uint8_t)map[1]);
        } else {
            return ERR_INVALID;
        }
    }
    if (k >= n)
        return ERR_INVALID;
    *i = k + 1;
    return 0;
}

static void skip_ws(const char *json, size_t n, size_t *i)
{
    while (*i < n && strchr(" \t\r\n", json[*i]) && json[*i])
        (*i)++;
}

/* Skips one JSON value of any kind (bounded nesting). */
static int skip_value(const char *json, size_t n, size_t *i)
{
    int depth = 0;
    do {
        skip_ws(json, n, i);
        if (*i >= n)
            return ERR_INVALID;
        char c = json[*i];
        if (c == '"') {
            if (read_string(json, n, i, NULL))
                return ERR_INVALID;
        } else if (c == '{' || c == '[') {
            if (++depth > 64)
                return ERR_INVALID;
            (*i)++;
        } else if (c == '}' || c == ']') {
            depth--;
            (*i)++;
        } else if (c == ',' || c == ':') {
            (*i)++;
        } else {
            /* A number or literal: at least one of its bytes, else the
             * text is not JSON (a NUL or stray byte must not stall us). */
            size_t start = *i;
            while (*i < n &&
                   (isalnum((unsigned char)json[*i]) || json[*i] == '-' ||
                    json[*i] == '+' || json[*i] == '.'))
                (*i)++;
            if (*i == start)
                return ERR_INVALID;
        }
    } while (depth > 0);
    return 0;
}

/* The field key of the object json: a string's contents, or (scalar) the
 * text of a number, true or false. */
static int json_field(const char *json, size_t n, const char *key,
                      struct buf *out, bool scalar)
{
    size_t i = 0;
    skip_ws(json, n, &i);
    if (i >= n || json[i] != '{')
        return ERR_INVALID;
    i++;
    struct buf name;
    buf_init(&name);
    int rc = ERR_NOT_FOUND;
    for (;;) {
        skip_ws(json, n, &i);
        if (i < n && json[i] == '}')
            break;
        if (i >= n || json[i] != '"')
            goto bad;
        buf_reset(&name);
        if (read_string(json, n, &i, &name))
            goto bad;
        skip_ws(json, n, &i);
        if (i >= n || json[i] != ':')
            goto bad;
        i++;
        skip_ws(json, n, &i);
        bool want =
            key && name.len == strlen(key) && !memcmp(name.data, key, name.len);
        if (want && i < n && json[i] == '"') {
            buf_reset(out);
            if (read_string(json, n, &i, out))
                goto bad;
            buf_put_u8(out, '\0');
            out->len--;
            rc = 0;
        } else {
            size_t start = i;
            if (skip_value(json, n, &i))
                goto bad;
            if (want && scalar && json[start] != '{' && json[start] != '[' &&
                !(i - start == 4 && !memcmp(json + start, "null", 4))) {
                buf_reset(out);
                buf_put(out, json + start, i - start);
                buf_put_u8(out, '\0');
                out->len--;
                rc = 0;
            }
        }
        skip_ws(json, n, &i);
        if (i < n && json[i] == ',') {
            i++;
            continue;
        }
        if (i < n && json[i] == '}')
            break;
        goto bad;
    }
    buf_fini(&name);
    return rc;
bad:
    buf_fini(&name);
    return ERR_INVALID;
}

/* A JSON number, true or false, exactly. */
static bool scalar_ok(const char *p, size_t n)
{
    if ((n == 4 && !memcmp(p, "true", 4)) || (n == 5 && !memcmp(p, "false", 5)))
        return true;
    char tmp[64], *end;
    if (n == 0 || n >= sizeof tmp || !(*p == '-' || (*p >= '0' && *p <= '9')))
        return false;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    strtod(tmp, &end);
    return *end == '\0';
}

int web_json_members(const char *json, size_t n,
                     void (*fn)(void *arg, const char *key, const char *v,
                                size_t vn, int kind),
                     void *arg)
{
    size_t i = 0;
    skip_ws(json, n, &i);
    if (i >= n || json[i] != '{')
        return ERR_INVALID;
    i++;
    struct buf name, val;
    buf_init(&name);
    buf_init(&val);
    int rc = ERR_INVALID;
    for (bool first = true;; first = false) {
        skip_ws(json, n, &i);
        if (first && i < n && json[i] == '}')
            break;
        if (i >= n || json[i] != '"')
            goto out;
        buf_reset(&name);
        if (read_string(json, n, &i, &name))
            goto out;
        buf_put_u8(&name, '\0');
        skip_ws(json, n, &i);
        if (i >= n || json[i] != ':')
            goto out;
        i++;
        skip_ws(json, n, &i);
        if (i < n && json[i] == '"') {
            buf_reset(&val);
            if (read_string(json, n, &i, &val))
                goto out;
            fn(arg, (const char *)name.data, (const char *)val.data, val.len,
               's');
        } else {
            size_t start = i;
            if (skip_value(json, n, &i))
                goto out;
            int kind = json[start] == '{' || json[start] == '[' ? 'o'
                       : i - start == 4 && !memcmp(json + start, "null", 4)
                           ? '0'
                           : 'n';
            if (kind == 'n' && !scalar_ok(json + start, i - start))
                goto out;
            fn(arg, (const char *)name.data, json + start, i - start, kind);
        }
        skip_ws(json, n, &i);
        if (i < n && json[i] == ',') {
            i++;
            continue;
        }
        if (i < n && json[i] == '}')
            break;
        goto out;
    }
    i++; /* past the '}' */
    skip_ws(json, n, &i);
    rc = i == n ? 0 : ERR_INVALID;
out:
    buf_fini(&name);
    buf_fini(&val);
    return rc;
}

int web_json_field(const char *json, size_t n, const char *key, struct buf *out)
{
    return json_field(json, n, key, out, false);
}

int web_json_scalar(const char *json, size_t n, const char *key,
                    struct buf *out)
{
    return json_field(json, n, key, out, true);
}

/* Splits "/a/b/c" after the first segment: parts "b", "c" decoded. */
static int split_path(struct http_str path, char parts[2][256], int *nparts)
{
    *nparts = 0;
    size_t i = 1;
    while (i < path.n && path.p[i] != '/')
        i++;
    while (i < path.n && *nparts < 2) {
        size_t s = ++i;
        while (i < path.n && path.p[i] != '/')
            i++;
        struct http_str seg = {path.p + s, i - s};
        if (seg.n == 0)
            continue;
        if (http_url_decode(seg, parts[*nparts], 256) < 0)
            return -1;
        (*nparts)++;
    }
    return i < path.n ? -1 : 0;
}

static bool path_is(struct http_str path, const char *p)
{
    size_t n = strlen(p);
    return path.n == n && memcmp(path.p, p, n) == 0;
}

static bool path_under(struct http_str path, const char *p)
{
    size_t n = strlen(p);
    return path.n >= n && memcmp(path.p, p, n) == 0 &&
           (path.n == n || path.p[n] == '/');
}

static void handle(void *arg, struct http_conn *c,
                   const struct http_request *req, const char *body, size_t len)
{
    struct web *w = arg;
    bool get = http_str_ieq(req->method, "GET");
    bool post = http_str_ieq(req->method, "POST");
    struct http_str path = req->path;
    if (path_is(path, "/healthz")) {
        if (!get)
            return web_error(c, 405, "use GET");
        static const char ok[] = "{\"status\":\"ok\"}\n";
        return http_respond(c, 200, "application/json", ok, sizeof ok - 1);
    }
    if (path_is(path, "/readyz")) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (http_server_stopping(w->http))
            return web_error(c, 503, "shutting down");
        static const char ok[] = "{\"status\":\"ready\"}\n";
        return http_respond(c, 200, "application/json", ok, sizeof ok - 1);
    }
    if (!web_auth_allow(w, c, req))
        return;
    /* ACLs (docs/security.md, "HTTP"): overviews need DESCRIBE on the
     * cluster; SQL, which reads and writes any topic, ALTER on it. */
    if (path_is(path, "/metrics")) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_DESCRIBE))
            return;
        return web_metrics_get(w, c);
    }
    if (path_is(path, "/sql")) {
        if (!post)
            return web_error(c, 405, "use POST with the SQL script as body");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_ALTER))
            return;
        return web_sql_post(w, c, req, body, len);
    }
    if (path_is(path, "/query")) {
        if (!post)
            return web_error(c, 405, "use POST with a SELECT as body");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_ALTER))
            return;
        return web_query_post(w, c, req, body, len);
    }
    if (path_is(path, "/streams")) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_DESCRIBE))
            return;
        return web_streams_get(w, c);
    }
    if (path_is(path, "/events")) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_DESCRIBE))
            return;
        return web_events_get(w, c, req);
    }
    if (path_is(path, "/skew") || path_is(path, "/advise")) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_DESCRIBE))
            return;
        return path_is(path, "/skew") ? web_skew_get(c, req)
                                      : web_advise_get(c, req);
    }
    if (path_is(path, "/groups")) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_DESCRIBE))
            return;
        return web_groups_get(w, c);
    }
    char parts[2][256];
    int np;
    if (path_under(path, "/groups")) {
        if (split_path(path, parts, &np) == 0 && np == 1) {
            if (!get)
                return web_error(c, 405, "use GET");
            return web_group_get(w, c, parts[0]);
        }
        if (split_path(path, parts, &np) < 0 || np != 2 ||
            strcmp(parts[1], "reset-offsets"))
            return web_error(c, 404, "no such resource");
        if (!post)
            return web_error(c, 405, "use POST");
        if (!web_acl_allow(w, c, AUTH_RES_GROUP, parts[0], AUTH_OP_READ))
            return;
        return web_group_reset(w, c, parts[0], body, len);
    }
    if (path_under(path, "/queries")) {
        if (split_path(path, parts, &np) < 0)
            return web_error(c, 404, "no such resource");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "",
                           get ? AUTH_OP_DESCRIBE : AUTH_OP_ALTER))
            return;
        if (np == 2)
            return web_queries_action(w, c, parts[0], parts[1], post);
        if (np && http_str_ieq(req->method, "DELETE"))
            return web_queries_delete(w, c, parts[0]);
        if (!get)
            return web_error(c, 405, np ? "use GET or DELETE" : "use GET");
        return web_queries_get(w, c, np ? parts[0] : NULL);
    }
    if (path_under(path, "/topics")) {
        if (split_path(path, parts, &np) < 0 || np > 1)
            return web_error(c, 404, "no such resource");
        return web_topics_route(w, c, req, np ? parts[0] : NULL, body, len);
    }
    if (get) {
        char p[256];
        if (http_url_decode(path, p, sizeof p) >= 0 && web_assets_get(c, p))
            return;
    }
    web_error(c, 404, "no such resource");
}

int web_start(const struct web_options *o, struct web **out, char *err,
              size_t errlen)
{
    char host[256];
    int port;
    const char *addr = o->listen;
    bool https = strncmp(addr, "https://", 8) == 0;
    if (https)
        addr += 8;
    else if (strncmp(addr, "http://", 7) == 0)
        addr += 7;
    if (listener_parse_addr(addr, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "bad HTTP listen address '%s' (HOST:PORT)",
                 o->listen);
        return ERR_INVALID;
    }
    struct web *w = mem_calloc(1, sizeof *w);
    w->o = *o;
    snprintf(w->data_dir, sizeof w->data_dir, "%s", o->data_dir);
    w->o.data_dir = w->data_dir;
    snprintf(w->kafka_bootstrap, sizeof w->kafka_bootstrap, "%s",
             o->kafka_bootstrap ? o->kafka_bootstrap : "");
    w->o.kafka_bootstrap = w->kafka_bootstrap;
    w->o.listen = NULL;
    w->started_ms = clock_now_ms();
    snprintf(w->super_users, sizeof w->super_users, "%s",
             o->super_users ? o->super_users : "");
    w->o.super_users = w->super_users;
    if (o->acls) {
        int arc = web_acl_create(w->data_dir, &w->acl);
        if (arc < 0) {
            snprintf(err, errlen, "ACLs of %s/security: %s", w->data_dir,
                     err_str(arc));
            mem_free(w);
            return arc;
        }
    }
    if (o->require_auth) {
        int arc = web_auth_create(w->data_dir, &w->auth);
        if (arc < 0) {
            snprintf(err, errlen, "users of %s/security: %s", w->data_dir,
                     err_str(arc));
            web_acl_destroy(w->acl);
            mem_free(w);
            return arc;
        }
    }
    if (https) {
        struct tls_options to = {
            .cert_file = o->ssl_cert,
            .key_file = o->ssl_key && o->ssl_key[0] ? o->ssl_key : NULL,
            .key_password = o->ssl_key_password && o->ssl_key_password[0]
                                ? o->ssl_key_password
                                : NULL,
            .ca_file = o->ssl_ca && o->ssl_ca[0] ? o->ssl_ca : NULL,
            .client_auth = (enum tls_client_auth)o->ssl_client_auth,
        };
        char terr[512];
        int trc = !o->ssl_cert || !o->ssl_cert[0]
                      ? ERR_INVALID
                      : tls_ctx_create(&to, &w->tls, terr, sizeof terr);
        if (trc < 0) {
            snprintf(err, errlen, "https:// needs ssl.keystore.location%s%s",
                     o->ssl_cert && o->ssl_cert[0] ? ": " : "",
                     o->ssl_cert && o->ssl_cert[0] ? terr : "");
            web_auth_destroy(w->auth);
            web_acl_destroy(w->acl);
            mem_free(w);
            return trc;
        }
    }
    web_groups_create(&w->groups);
    struct http_server_options ho = {
        .host = host,
        .port = port,
        .handler = handle,
        .arg = w,
        .tls = w->tls,
    };
    int rc = http_server_start(&ho, &w->http, err, errlen);
    if (rc < 0) {
        web_groups_destroy(w->groups);
        web_auth_destroy(w->auth);
        web_acl_destroy(w->acl);
        tls_ctx_destroy(w->tls);
        mem_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void web_stop(struct web *w)
{
    if (!w)
        return;
    http_server_stop(w->http);
    web_groups_destroy(w->groups);
    web_auth_destroy(w->auth);
    web_acl_destroy(w->acl);
    tls_ctx_destroy(w->tls);
    mem_free(w);
}

int web_port(const struct web *w)
{
    return http_server_port(w->http);
}
