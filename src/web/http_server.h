/* http_server.h - an HTTP/1.1 server on its own thread and net/ event loop
 * (layer: web).
 *
 * The server owns a thread running a struct loop, a listener and its
 * connections. Each complete request (head parsed by http_parse.h, body
 * read whole, both bounded by limits) goes to the handler on the loop
 * thread; the handler answers at once (http_respond) or later: it may
 * keep the connection (http_conn_ref) and answer from a loop_post'ed
 * callback, or stream (http_stream_begin / _write / _end: a body delimited
 * by the connection's close, for NDJSON and server-sent events). Until the
 * answer is complete the connection reads no further request (pipelined
 * bytes wait in its buffer) but still notices the peer leaving.
 * A malformed request is answered with its 4xx/5xx status and closes that
 * connection only. Keep-alive: HTTP/1.1 by default; an idle connection is
 * closed after idle_ms, and a request head not whole 10 s after its first
 * byte is answered 408. Not here: TLS, chunked request bodies, HTTP/2.
 *
 * Threads: http_server_start / _stop / _port / _loop / _hold / _release
 * from any thread; everything taking a struct http_conn on the loop thread
 * only (the handler and loop_post'ed callbacks).
 */
#ifndef RILL_HTTP_SERVER_H
#define RILL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "net/loop.h"
#include "web/http_parse.h"

struct http_server;
struct http_conn;

/* req and body are valid during the call only. */
typedef void http_handler_fn(void *arg, struct http_conn *c,
                             const struct http_request *req, const char *body,
                             size_t body_len);

struct tls_ctx;
struct http_server_options {
    const char *host;          /* "127.0.0.1" */
    int port;                  /* 0: any free port (http_server_port tells) */
    struct http_limits limits; /* 0s: 16 KiB head, 16 MiB body */
    int max_conns;             /* 0: 256 */
    int idle_ms;               /* 0: 60 s */
    http_handler_fn *handler;
    void *arg;
    struct tls_ctx *tls; /* HTTPS with this context (not owned); NULL: HTTP */
};

/* Binds host:port and starts the server thread. Returns 0 or a negative
 * error with a message in err. */
int http_server_start(const struct http_server_options *o,
                      struct http_server **out, char *err, size_t errlen);
/* Stops accepting, closes every connection (close callbacks run), waits
 * until every hold is released, then stops the thread and frees. Not from
 * the loop thread. NULL is a no-op. */
void http_server_stop(struct http_server *s);
int http_server_port(const struct http_server *s);
struct loop *http_server_loop(struct http_server *s);
/* Work running outside the loop (a thread answering a request) holds the
 * server: stop waits for it after closing the connections. Any thread. */
void http_server_hold(struct http_server *s);
void http_server_release(struct http_server *s);
bool http_server_stopping(const struct http_server *s);
/* The peer's "ip:port" as accepted. */
const char *http_conn_peer(const struct http_conn *c);

/* --- answering (loop thread) --- */
/* A whole response with Content-Length; extra_headers (may be NULL) are
 * complete "Name: value\r\n" lines. */
void http_respond(struct http_conn *c, int status, const char *content_type,
                  const void *body, size_t len);
void http_respond_h(struct http_conn *c, int status, const char *content_type,
                    const char *extra_headers, const void *body, size_t len);
/* A streamed response: no Content-Length, Connection: close; the body
 * ends when http_stream_end is called or either side closes. */
void http_stream_begin(struct http_conn *c, int status,
                       const char *content_type);
void http_stream_write(struct http_conn *c, const void *p, size_t n);
void http_stream_end(struct http_conn *c);
/* Bytes queued and not yet written (backpressure for streams). */
size_t http_conn_out_bytes(const struct http_conn *c);

/* Keeps c's memory valid past its close until the matching unref. */
void http_conn_ref(struct http_conn *c);
void http_conn_unref(struct http_conn *c);
bool http_conn_closed(const struct http_conn *c);
/* Called once when c closes for any reason before the response ended
 * (the peer left, the server stops); NULL removes it. */
void http_conn_on_close(struct http_conn *c, void (*fn)(void *arg), void *arg);
/* The arg of the close callback set now (NULL: none). */
void *http_conn_on_close_arg(const struct http_conn *c);
struct http_server *http_conn_server(struct http_conn *c);

const char *http_status_text(int status);

#endif
