/* http_server.c - HTTP/1.1 connections on a net/ loop of their own
 * (layer: web).
 *
 * States of a connection:
 *
 *   READING --complete request--> BUSY --http_respond--> READING (keep-alive)
 *      |                            |  \--http_stream_begin--> STREAMING
 *      |                            |                              |
 *      +--malformed / idle / EOF----+---- peer left / stop --------+--> CLOSED
 *      |                                                           ^
 *      +--malformed: error answered--> LINGER --EOF / 2 s----------+
 *
 * Invariants:
 *   1. Only READING parses; BUSY and STREAMING keep reading (so a peer that
 *      leaves is noticed at once) into the same bounded buffer.
 *   2. in holds at most limits.max_head + limits.max_body bytes: one whole
 *      request and what was pipelined behind it (more closes the
 *      connection).
 *   3. A struct http_conn is freed on the loop thread once it is CLOSED
 *      and its reference count (1 for the server until close, +1 per
 *      http_conn_ref) reaches zero, after the current batch of events.
 */
#include "web/http_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "net/listener.h"
#include "net/tls.h"

#define READ_CHUNK 16384
#define STOP_POLL_MS 10
/* After an error answer, read and drop what the peer still sends for at
 * most this long before closing: closing with unread input makes the
 * kernel send a reset, which can destroy the answer before the peer reads
 * it (the "lingering close" of RFC 9112 9.6). */
#define LINGER_MS 2000
/* A request head must be whole this long after its first byte, however
 * slowly it trickles in: a connection that never finishes one (slowloris)
 * is answered 408 and closed. */
#define HEAD_TIMEOUT_MS 10000

enum conn_state { ST_READING, ST_BUSY, ST_STREAMING, ST_LINGER, ST_CLOSED };

struct http_conn {
    struct http_conn *prev, *next;
    struct http_server *srv;
    struct loop_io io;
    enum conn_state state;
    int refs;
    bool keep_alive;  /* of the request being answered */
    bool close_after; /* close once out is written */
    bool linger;      /* ... after reading what the peer still sends */
    size_t req_len;   /* head + body of the request being answered */
    struct buf in;
    struct buf out;
    size_t out_off;  /* bytes of out already written */
    int64_t last_ms; /* last activity, for the idle timeout */
    int64_t head_ms; /* when an incomplete head began; 0: none */
    void (*on_close)(void *arg);
    void *on_close_arg;
    struct loop_defer flush; /* writes out after the batch */
    struct loop_defer again; /* parses the next pipelined request */
    struct loop_defer free;  /* invariant 3 */
    char peer[64];
    struct tls *tls; /* HTTPS: every byte goes through it */
};

struct http_server {
    struct http_server_options o;
    struct loop *loop;
    struct listener *ls;
    pthread_t thread;
    bool thread_started;
    struct http_conn *conns;
    int nconns;
    struct loop_timer tick;
    atomic_int holds;
    atomic_bool stopping;
    bool closing; /* loop thread: stop began */
};

const char *http_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

static void conn_close_now(struct http_conn *c);

static void maybe_free(struct http_conn *c)
{
    if (c->state == ST_CLOSED && c->refs == 0)
        loop_defer_start(c->srv->loop, &c->free);
}

static void free_cb(struct loop *l, void *arg)
{
    struct http_conn *c = arg;
    (void)l;
    buf_fini(&c->in);
    buf_fini(&c->out);
    mem_free(c);
}

/* read(2) / send(2), or through TLS (same contract: bytes, 0 at the end,
 * -1 with errno EAGAIN when the socket, or the TLS engine, must wait). */
static ssize_t sock_read(struct http_conn *c, void *p, size_t n)
{
    return c->tls ? tls_read(c->tls, p, n) : read(c->io.fd, p, n);
}

static ssize_t sock_write(struct http_conn *c, const void *p, size_t n)
{
    return c->tls ? tls_write(c->tls, p, n)
                  : send(c->io.fd, p, n, MSG_NOSIGNAL);
}

static void update_events(struct http_conn *c)
{
    if (c->state == ST_CLOSED)
        return;
    uint32_t ev = LOOP_READ;
    if (c->out_off < c->out.len || (c->tls && tls_wants_write(c->tls)))
        ev |= LOOP_WRITE;
    if (c->io.events != ev)
        loop_io_set(c->srv->loop, &c->io, ev);
}

/* Writes what it can of out. Returns -1 when the connection closed. */
static int write_out(struct http_conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w =
            sock_write(c, c->out.data + c->out_off, c->out.len - c->out_off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close_now(c);
            return -1;
        }
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out.len) {
        c->out.len = c->out_off = 0;
        if (c->close_after && c->linger && c->state != ST_LINGER) {
            shutdown(c->io.fd, SHUT_WR);
            c->state = ST_LINGER;
            c->last_ms = loop_now_ms(c->srv->loop);
        } else if (c->close_after && !c->linger) {
            conn_close_now(c);
            return -1;
        }
    } else if (c->out_off > (1u << 20) && c->out_off * 2 > c->out.len) {
        memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
        c->out.len -= c->out_off;
        c->out_off = 0;
    }
    update_events(c);
    return 0;
}

static void flush_cb(struct loop *l, void *arg)
{
    struct http_conn *c = arg;
    (void)l;
    if (c->state != ST_CLOSED)
        write_out(c);
}

static void queue_flush(struct http_conn *c)
{
    loop_defer_start(c->srv->loop, &c->flush);
}

static void conn_close_now(struct http_conn *c)
{
    if (c->state == ST_CLOSED)
        return;
    struct http_server *s = c->srv;
    c->state = ST_CLOSED;
    loop_io_stop(s->loop, &c->io);
    tls_destroy(c->tls);
    c->tls = NULL;
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    if (c->on_close) {
        void (*fn)(void *) = c->on_close;
        c->on_close = NULL;
        fn(c->on_close_arg);
    }
    c->refs--; /* the server's own reference */
    maybe_free(c);
}

static void error_close(struct http_conn *c, int status, const char *msg)
{
    metrics_add(METRIC_HTTP_BAD_REQUESTS, 1);
    diag_debug("http: %s: %d %s; closing", c->peer, status, msg);
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", msg);
    c->keep_alive = false;
    c->linger = true;
    c->state = ST_BUSY;
    http_respond(c, status, "application/json", body, (size_t)n);
}

/* Parses and dispatches one request if a whole one is buffered. */
static void try_request(struct http_conn *c)
{
    struct http_server *s = c->srv;
    if (c->state != ST_READING || c->in.len == 0)
        return;
    struct http_request req;
    struct http_parse_error err;
    int rc = http_parse_request((const char *)c->in.data, c->in.len,
                                &s->o.limits, &req, &err);
    if (rc < 0) {
        error_close(c, err.status, err.message);
        return;
    }
    if (rc == 0) {
        if (!c->head_ms)
            c->head_ms = loop_now_ms(s->loop);
        return;
    }
    c->head_ms = 0;
    size_t total = req.head_len + (size_t)req.content_length;
    if (c->in.len < total)
        return;
    c->state = ST_BUSY;
    c->req_len = total;
    c->keep_alive = req.keep_alive && !s->closing;
    metrics_add(METRIC_HTTP_REQUESTS, 1);
    http_conn_ref(c);
    s->o.handler(s->o.arg, c, &req, (const char *)c->in.data + req.head_len,
                 (size_t)req.content_length);
    http_conn_unref(c);
}

static void next_cb(struct loop *l, void *arg)
{
    (void)l;
    try_request(arg);
}

static void io_cb(struct loop *l, struct loop_io *io, uint32_t events)
{
    struct http_conn *c = io->arg;
    struct http_server *s = c->srv;
    if (c->state != ST_LINGER)
        c->last_ms = loop_now_ms(l);
    if ((events & LOOP_WRITE) && write_out(c) < 0)
        return;
    /* TLS: a handshake that waited for the socket to be writable goes on
     * in the read path (tls_read drives it). */
    if (!(events & LOOP_READ) && !(c->tls && c->out_off == c->out.len))
        return;
    if (c->state == ST_LINGER) {
        char drop[READ_CHUNK];
        ssize_t r = sock_read(c, drop, sizeof drop);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            conn_close_now(c);
        return;
    }
    size_t cap = s->o.limits.max_head + (size_t)s->o.limits.max_body;
    /* TLS hands out one record (<= 16 KiB) per read and may hold more
     * decrypted bytes no socket event will announce: read them all. */
    for (int round = 0; round < (c->tls ? 64 : 4); round++) {
        if (c->in.len >= cap) {
            if (c->state == ST_READING)
                error_close(c, 413, "request too large");
            else
                conn_close_now(c); /* invariant 2 */
            return;
        }
        size_t room =
            cap - c->in.len < READ_CHUNK ? cap - c->in.len : READ_CHUNK;
        buf_reserve(&c->in, room);
        ssize_t r = sock_read(c, c->in.data + c->in.len, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                update_events(c); /* the TLS engine may want to write */
                break;
            }
            conn_close_now(c);
            return;
        }
        if (r == 0) {
            /* The peer is done sending: nothing more to read, and a
             * browser or curl that half-closes has left. */
            conn_close_now(c);
            return;
        }
        c->in.len += (size_t)r;
        if ((size_t)r < room && !(c->tls && tls_pending(c->tls)))
            break;
    }
    try_request(c);
}

static void on_accept(struct listener *ls, void *arg, int fd, const char *peer)
{
    struct http_server *s = arg;
    (void)ls;
    if (s->closing || s->nconns >= s->o.max_conns) {
        static const char busy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n";
        ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
        (void)w;
        close(fd);
        return;
    }
    struct http_conn *c = mem_calloc(1, sizeof *c);
    c->srv = s;
    c->refs = 1;
    c->state = ST_READING;
    buf_init(&c->in);
    buf_init(&c->out);
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    loop_defer_init(&c->flush, flush_cb, c);
    loop_defer_init(&c->again, next_cb, c);
    loop_defer_init(&c->free, free_cb, c);
    loop_io_init(&c->io, fd, io_cb, c);
    if (s->o.tls)
        c->tls = tls_create(s->o.tls, fd);
    if (loop_io_set(s->loop, &c->io, LOOP_READ) < 0) {
        tls_destroy(c->tls);
        close(fd);
        buf_fini(&c->in);
        buf_fini(&c->out);
        mem_free(c);
        return;
    }
    c->last_ms = loop_now_ms(s->loop);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
}

/* Closes idle connections; during stop, stops the loop once every hold is
 * released. */
static void tick_cb(struct loop *l, struct loop_timer *t)
{
    struct http_server *s = t->arg;
    int64_t now = loop_now_ms(l);
    for (struct http_conn *c = s->conns, *n; c; c = n) {
        n = c->next;
        if (c->state == ST_READING && c->head_ms &&
            now - c->head_ms > HEAD_TIMEOUT_MS)
            error_close(c, 408, "request head not complete within 10 s");
        else if ((c->state == ST_READING && now - c->last_ms > s->o.idle_ms) ||
                 (c->state == ST_LINGER && now - c->last_ms > LINGER_MS))
            conn_close_now(c);
    }
    if (s->closing && atomic_load(&s->holds) == 0)
        loop_stop(l);
}

static void stop_cb(struct loop *l, void *arg)
{
    struct http_server *s = arg;
    (void)l;
    s->closing = true;
    listener_close(s->ls);
    s->ls = NULL;
    while (s->conns)
        conn_close_now(s->conns);
    loop_timer_start(s->loop, &s->tick, 0, STOP_POLL_MS);
}

static void *thread_main(void *arg)
{
    struct http_server *s = arg;
    loop_run(s->loop);
    return NULL;
}

int http_server_start(const struct http_server_options *o,
                      struct http_server **out, char *err, size_t errlen)
{
    struct http_server *s = mem_calloc(1, sizeof *s);
    s->o = *o;
    if (!s->o.limits.max_head)
        s->o.limits.max_head = 16384;
    if (!s->o.limits.max_body)
        s->o.limits.max_body = 16u << 20;
    if (s->o.max_conns <= 0)
        s->o.max_conns = 256;
    if (s->o.idle_ms <= 0)
        s->o.idle_ms = 60000;
    int rc = loop_create(&s->loop);
    if (rc < 0) {
        snprintf(err, errlen, "event loop: %s", err_str(rc));
        mem_free(s);
        return rc;
    }
    rc = listener_open(s->loop, o->host, o->port, on_accept, s, &s->ls);
    if (rc < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", o->host, o->port,
                 err_str(rc));
        loop_destroy(s->loop);
        mem_free(s);
        return rc;
    }
    loop_timer_init(&s->tick, tick_cb, s);
    loop_timer_start(s->loop, &s->tick, 1000, 1000);
    if (pthread_create(&s->thread, NULL, thread_main, s)) {
        snprintf(err, errlen, "cannot start the HTTP thread");
        listener_close(s->ls);
        loop_destroy(s->loop);
        mem_free(s);
        return ERR_FAILED;
    }
    s->thread_started = true;
    *out = s;
    return 0;
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    loop_post(s->loop, stop_cb, s);
    pthread_join(s->thread, NULL);
    /* Frees what the last batch deferred. */
    loop_run_once(s->loop, 0);
    loop_destroy(s->loop);
    mem_free(s);
}

int http_server_port(const struct http_server *s)
{
    return listener_port(s->ls);
}

struct loop *http_server_loop(struct http_server *s)
{
    return s->loop;
}

void http_server_hold(struct http_server *s)
{
    atomic_fetch_add(&s->holds, 1);
}

void http_server_release(struct http_server *s)
{
    atomic_fetch_sub(&s->holds, 1);
}

const char *http_conn_peer(const struct http_conn *c)
{
    return c->peer;
}

bool http_server_stopping(const struct http_server *s)
{
    return atomic_load(&s->stopping);
}

/* --- answering ------------------------------------------------------------ */

static void put_head(struct http_conn *c, int status, const char *ctype,
                     const char *extra, bool has_len, size_t len)
{
    buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
    if (ctype)
        buf_printf(&c->out, "Content-Type: %s\r\n", ctype);
    if (has_len)
        buf_printf(&c->out, "Content-Length: %zu\r\n", len);
    buf_printf(&c->out, "Cache-Control: no-store\r\n");
    if (extra)
        buf_put_str(&c->out, extra);
    buf_printf(&c->out, "Connection: %s\r\n\r\n",
               c->keep_alive ? "keep-alive" : "close");
}

/* The request is answered: drop its bytes, read the next one. */
static void request_done(struct http_conn *c)
{
    size_t n = c->req_len <= c->in.len ? c->req_len : c->in.len;
    memmove(c->in.data, c->in.data + n, c->in.len - n);
    c->in.len -= n;
    c->req_len = 0;
    if (!c->keep_alive) {
        c->close_after = true;
    } else {
        c->state = ST_READING;
        loop_defer_start(c->srv->loop, &c->again);
    }
    queue_flush(c);
}

void http_respond_h(struct http_conn *c, int status, const char *content_type,
                    const char *extra_headers, const void *body, size_t len)
{
    if (c->state != ST_BUSY)
        return;
    put_head(c, status, content_type, extra_headers, true, len);
    buf_put(&c->out, body, len);
    request_done(c);
}

void http_respond(struct http_conn *c, int status, const char *content_type,
                  const void *body, size_t len)
{
    http_respond_h(c, status, content_type, NULL, body, len);
}

void http_stream_begin(struct http_conn *c, int status,
                       const char *content_type)
{
    if (c->state != ST_BUSY)
        return;
    c->keep_alive = false;
    put_head(c, status, content_type, "X-Accel-Buffering: no\r\n", false, 0);
    c->state = ST_STREAMING;
    queue_flush(c);
}

void http_stream_write(struct http_conn *c, const void *p, size_t n)
{
    if (c->state != ST_STREAMING)
        return;
    buf_put(&c->out, p, n);
    queue_flush(c);
}

void http_stream_end(struct http_conn *c)
{
    if (c->state != ST_STREAMING)
        return;
    c->on_close = NULL;
    c->close_after = true;
    queue_flush(c);
}

size_t http_conn_out_bytes(const struct http_conn *c)
{
    return c->out.len - c->out_off;
}

void http_conn_ref(struct http_conn *c)
{
    c->refs++;
}

void http_conn_unref(struct http_conn *c)
{
    c->refs--;
    maybe_free(c);
}

bool http_conn_closed(const struct http_conn *c)
{
    return c->state == ST_CLOSED;
}

void http_conn_on_close(struct http_conn *c, void (*fn)(void *arg), void *arg)
{
    c->on_close = fn;
    c->on_close_arg = arg;
}

void *http_conn_on_close_arg(const struct http_conn *c)
{
    return c->on_close ? c->on_close_arg : NULL;
}

struct http_server *http_conn_server(struct http_conn *c)
{
    return c->srv;
}
