/* conn.h - non-blocking TCP connections that frame length-prefixed requests
 * and send queued responses, with sendfile for file ranges (layer: net).
 *
 * Input: a read buffer cut into frames of `int32 big-endian length` + that
 * many bytes (Kafka's framing). A length above limits.max_frame (or
 * negative) is refused before anything is allocated: the connection is
 * closed with a log line. Each whole frame is handed to handler->frame.
 *
 * Output: an ordered queue of segments, each either memory (owned by the
 * connection) or a file range {fd, offset, length} sent with sendfile(2).
 * Queued output is written when the current batch of events ends, so many
 * small responses go out in one writev. While more than limits.out_high
 * bytes are queued the connection stops reading and stops handing out the
 * frames already buffered (backpressure), so queued output stays within
 * out_high plus one answer; it resumes below half of that.
 *
 * Ownership: the connection owns its fd and closes it. After handler->closed
 * runs, the struct conn stays valid until the end of the loop iteration and
 * must not be used afterwards. Loop thread only.
 */
#ifndef RILL_CONN_H
#define RILL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "net/loop.h"

struct conn;

struct conn_budget;

struct conn_limits {
    size_t max_frame; /* largest accepted frame body, bytes */
    size_t out_high;  /* queued output above which reading pauses */
};

#define CONN_DEFAULT_MAX_FRAME (100u * 1024 * 1024)
#define CONN_DEFAULT_OUT_HIGH (16u * 1024 * 1024)

struct conn_handler {
    /* One whole frame without its length prefix; the bytes are valid only
     * during the call. Return 0 to go on, or a negative error to close the
     * connection (the handler logs why). */
    int (*frame)(struct conn *c, void *arg, const uint8_t *p, size_t len);
    /* Exactly once, when the connection closes for any reason. */
    void (*closed)(struct conn *c, void *arg);
    /* Optional: the peer finished sending (read returned 0). Reading stops;
     * frames already buffered are still delivered. The handler answers
     * what it owes, then calls conn_close_after_flush. NULL: close at once. */
    void (*eof)(struct conn *c, void *arg);
};

/* Takes ownership of fd (made non-blocking here) and starts reading. */
int conn_create(struct loop *l, int fd, const struct conn_handler *h, void *arg,
                const struct conn_limits *limits, struct conn **out);
/* Closes now: queued output is dropped, handler->closed runs. Safe to call
 * twice and from inside handler->frame. */
void conn_close(struct conn *c);
/* Closes once all queued output is written (or at once if none). */
void conn_close_after_flush(struct conn *c);
bool conn_is_closed(const struct conn *c);
/* Whether a whole frame is buffered but not yet handed out (paused). */
bool conn_has_frame(const struct conn *c);

/* Framing other than Kafka's int32 length prefix (MQTT), set right after
 * conn_create: given the avail buffered bytes at p, fn returns 1 with
 * *total (the whole frame, header included, which handler->frame then
 * receives whole), 0 when more bytes are needed, or < 0 for a malformed
 * header (the connection closes). limits.max_frame bounds *total. */
typedef int conn_frame_size_fn(const uint8_t *p, size_t avail, size_t *total);
void conn_set_framing(struct conn *c, conn_frame_size_fn *fn);

/* "127.0.0.1:54321" (for log lines); set by the acceptor. */
const char *conn_peer(const struct conn *c);
void conn_set_peer(struct conn *c, const char *peer);

/* --- output (bytes go out in the order they are queued) --- */
/* Copies n bytes into the queue. */
void conn_send_copy(struct conn *c, const void *p, size_t n);
/* Takes b's memory (b is left empty and may be reused). */
void conn_send_buf(struct conn *c, struct buf *b);
/* Queues len bytes of fd from off, sent with sendfile. The fd is dup'ed, so
 * the caller may close its own copy. Returns 0 or -errno. */
int conn_send_file(struct conn *c, int fd, off_t off, size_t len);
/* Bytes queued and not yet written. */
size_t conn_out_bytes(const struct conn *c);

/* --- activity (for idle and handshake timeouts) --- */
/* Milliseconds since bytes last moved in or out / since the connection was
 * created, against the loop's clock. */
int64_t conn_idle_ms(const struct conn *c, int64_t now_ms);
int64_t conn_age_ms(const struct conn *c, int64_t now_ms);
/* Frames handed to the handler so far. */
uint64_t conn_frames(const struct conn *c);

/* --- a memory budget for requests being received (queued.max.request.bytes)
 * A frame larger than a connection's 64 KiB read buffer reserves its whole
 * size from the budget before the buffer grows (then it grows as bytes
 * arrive). If the budget cannot cover it, that connection stops reading
 * and waits, oldest first, until other connections release memory (a frame
 * handed out, a connection closed). Small requests never wait. headroom:
 * an idle connection keeps a large buffer for its next request only while
 * this much of the budget stays free (use the largest frame size, so a
 * waiting frame always fits once the frames in progress end). limit must
 * be >= the largest frame. Loop thread only; destroy after every
 * connection using it closed. */
int conn_budget_create(size_t limit, size_t headroom, struct conn_budget **out);
/* Makes c draw from b (right after conn_create, before any frame). */
void conn_set_budget(struct conn *c, struct conn_budget *b);
/* Speaks TLS (server side) on c from now on: call right after conn_create.
 * File ranges are then read and encrypted instead of sendfile'd. */
struct tls_ctx;
void conn_start_tls(struct conn *c, struct tls_ctx *ctx);
/* The client certificate's subject, "" without one, NULL without TLS. */
const char *conn_tls_subject(const struct conn *c);
void conn_budget_destroy(struct conn_budget *b);
size_t conn_budget_used(const struct conn_budget *b);

/* --- input flow control --- */
/* Stops (true) or resumes (false) handing frames to the handler; frames
 * already read stay buffered. Independent of output backpressure. */
void conn_pause(struct conn *c, bool paused);

#endif
