/* conn.c - framed input and segmented output on one TCP socket (layer: net).
 *
 * Read buffer:  [consumed | unparsed bytes | free space], compacted when a
 * frame does not fit. It grows only to hold one announced frame, only
 * after the announced length passed the max_frame check, and only as the
 * frame's bytes arrive (doubling). With a budget (queued.max.request.bytes)
 * the capacity beyond RBUF_INITIAL is reserved from it first, for the whole
 * announced frame at once (all or nothing, so two half-received frames can
 * never wait on each other); a connection whose frame does not fit waits,
 * not reading, in FIFO order until memory is released.
 * Output queue: a FIFO array of segments; memory segments own their bytes,
 * file segments own a dup'ed fd. Writing is writev over consecutive memory
 * segments, sendfile for a file segment.
 * Invariants:
 *   1. out_bytes == sum of the unsent bytes of every queued segment.
 *   2. The socket is watched for READ iff !closed && !paused && !out_full
 *      && !closing; for WRITE iff output is queued and a write hit EAGAIN.
 *      Buffered frames are handed out under the same conditions, so queued
 *      output stays near out_high plus one answer.
 *   3. After `closed` is set the handler is never called again, except the
 *      single handler->closed call.
 */
#include "net/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/mem.h"
#include "net/tls.h"

#define RBUF_INITIAL (64u * 1024)
#define RBUF_KEEP_MAX (4u * 1024 * 1024)
/* The all-or-nothing reservations of connections' read buffers. */
struct conn_budget {
    size_t limit, used;
    size_t headroom; /* an idle connection keeps a large buffer only while
                        this much stays free: one largest frame */
    struct conn *wait_head, *wait_tail;
};
#define COALESCE_MAX 4096 /* copies up to this size join the tail segment */
#define IOV_MAX_BATCH 64

enum seg_kind { SEG_MEM, SEG_FILE };

struct seg {
    enum seg_kind kind;
    size_t len;  /* total bytes */
    size_t sent; /* bytes already written */
    size_t cap;  /* SEG_MEM: allocated bytes */
    uint8_t *data;
    int fd;
    off_t off;
};

struct conn {
    struct loop *loop;
    struct loop_io io;
    const struct conn_handler *h;
    conn_frame_size_fn *frame_size; /* NULL: Kafka framing */
    void *arg;
    struct conn_limits limits;
    char peer[64];

    uint8_t *rbuf;
    size_t rcap, rstart, rend;
    size_t rallow; /* rbuf may grow to this (RBUF_INITIAL + reserved) */
    size_t want;   /* starved: the frame size it waits to reserve */
    bool starved;  /* waiting for budget: not reading */
    struct conn_budget *budget; /* NULL: no shared bound */
    struct tls *tls;            /* NULL: plaintext */
    uint8_t *tls_buf;           /* file ranges are read here for TLS */
    size_t tls_retry;           /* a write that must be retried as is */
    struct conn *wait_next;
    int64_t created_ms, active_ms; /* activity: bytes in or out */
    uint64_t nframes;

    struct seg *segs;
    size_t seg_head, seg_len, seg_cap; /* ring */
    size_t out_bytes;

    bool closed, closing, paused, out_full, want_write, in_frames, eof;
    struct loop_defer flush_defer; /* write queued output after the batch */
    struct loop_defer free_defer;
    struct loop_defer resume_defer; /* parse buffered frames after resume */
    struct loop_defer tls_defer;    /* read records TLS already decrypted */
};

static void update_watch(struct conn *c)
{
    if (c->closed)
        return;
    uint32_t ev = 0;
    if (!c->paused && !c->out_full && !c->closing && !c->eof && !c->starved)
        ev |= LOOP_READ;
    if (c->want_write)
        ev |= LOOP_WRITE;
    if (loop_io_set(c->loop, &c->io, ev) < 0) {
        conn_close(c);
        return;
    }
    /* Records TLS decrypted already raise no socket event. */
    if ((ev & LOOP_READ) && c->tls && tls_pending(c->tls))
        loop_defer_start(c->loop, &c->tls_defer);
}

static void seg_release(struct seg *s)
{
    if (s->kind == SEG_MEM)
        mem_free(s->data);
    else
        close(s->fd);
}

/* --- the read-buffer budget ---------------------------------------------- */

int conn_budget_create(size_t limit, size_t headroom, struct conn_budget **out)
{
    struct conn_budget *b = mem_calloc(1, sizeof(*b));
    b->limit = limit;
    b->headroom = headroom < limit ? headroom : limit;
    *out = b;
    return 0;
}

void conn_budget_destroy(struct conn_budget *b)
{
    mem_free(b);
}

size_t conn_budget_used(const struct conn_budget *b)
{
    return b->used;
}

void conn_set_budget(struct conn *c, struct conn_budget *b)
{
    c->budget = b;
}

void conn_start_tls(struct conn *c, struct tls_ctx *ctx)
{
    c->tls = tls_create(ctx, c->io.fd);
}

const char *conn_tls_subject(const struct conn *c)
{
    return c->tls ? tls_peer_subject(c->tls) : NULL;
}

/* Lets c grow to `need` bytes; false if the budget cannot cover it now. */
static bool allow(struct conn *c, size_t need)
{
    if (need <= c->rallow)
        return true;
    struct conn_budget *b = c->budget;
    size_t delta = need - c->rallow;
    if (b) {
        if (b->used + delta > b->limit)
            return false;
        b->used += delta;
    }
    c->rallow = need;
    return true;
}

static void wait_remove(struct conn_budget *b, struct conn *c)
{
    struct conn *prev = NULL;
    for (struct conn *w = b->wait_head; w; prev = w, w = w->wait_next) {
        if (w != c)
            continue;
        if (prev)
            prev->wait_next = w->wait_next;
        else
            b->wait_head = w->wait_next;
        if (b->wait_tail == w)
            b->wait_tail = prev;
        w->wait_next = NULL;
        return;
    }
}

/* Gives back what c reserved beyond `keep` bytes of buffer, and lets the
 * waiters that now fit go on, oldest first. */
static void release_to(struct conn *c, size_t keep)
{
    if (c->rallow <= keep)
        return;
    struct conn_budget *b = c->budget;
    size_t delta = c->rallow - keep;
    c->rallow = keep;
    if (!b)
        return;
    b->used -= delta;
    while (b->wait_head) {
        struct conn *w = b->wait_head;
        if (!allow(w, w->want))
            break;
        b->wait_head = w->wait_next;
        if (!b->wait_head)
            b->wait_tail = NULL;
        w->wait_next = NULL;
        w->starved = false;
        update_watch(w);
        loop_defer_start(w->loop, &w->resume_defer);
    }
}

static void starve(struct conn *c, size_t need)
{
    struct conn_budget *b = c->budget;
    c->starved = true;
    c->want = need;
    c->wait_next = NULL;
    if (b->wait_tail)
        b->wait_tail->wait_next = c;
    else
        b->wait_head = c;
    b->wait_tail = c;
    update_watch(c);
}

static void free_cb(struct loop *l, void *arg)
{
    struct conn *c = arg;
    (void)l;
    tls_destroy(c->tls);
    mem_free(c->tls_buf);
    mem_free(c->rbuf);
    mem_free(c->segs);
    mem_free(c);
}

void conn_close(struct conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    if (c->starved)
        wait_remove(c->budget, c);
    c->starved = false;
    release_to(c, RBUF_INITIAL);
    loop_io_stop(c->loop, &c->io);
    close(c->io.fd);
    while (c->seg_len > 0) {
        seg_release(&c->segs[c->seg_head]);
        c->seg_head = (c->seg_head + 1) % c->seg_cap;
        c->seg_len--;
    }
    c->out_bytes = 0;
    c->h->closed(c, c->arg);
    /* Another event of this batch may still point at c. */
    loop_defer_start(c->loop, &c->free_defer);
}

bool conn_is_closed(const struct conn *c)
{
    return c->closed;
}

bool conn_has_frame(const struct conn *c)
{
    size_t avail = c->rend - c->rstart;
    if (c->frame_size) {
        size_t total;
        return !c->closed &&
               c->frame_size(c->rbuf + c->rstart, avail, &total) == 1 &&
               avail >= total;
    }
    if (c->closed || avail < 4)
        return false;
    return avail - 4 >= be32_load(c->rbuf + c->rstart);
}

const char *conn_peer(const struct conn *c)
{
    return c->peer;
}

size_t conn_out_bytes(const struct conn *c)
{
    return c->out_bytes;
}

int64_t conn_idle_ms(const struct conn *c, int64_t now_ms)
{
    return now_ms - c->active_ms;
}

int64_t conn_age_ms(const struct conn *c, int64_t now_ms)
{
    return now_ms - c->created_ms;
}

uint64_t conn_frames(const struct conn *c)
{
    return c->nframes;
}

/* --- output ------------------------------------------------------------- */

static struct seg *seg_push(struct conn *c)
{
    if (c->seg_len == c->seg_cap) {
        size_t ncap = c->seg_cap ? 2 * c->seg_cap : 16;
        struct seg *n = mem_alloc(ncap * sizeof(*n));
        for (size_t i = 0; i < c->seg_len; i++)
            n[i] = c->segs[(c->seg_head + i) % c->seg_cap];
        mem_free(c->segs);
        c->segs = n;
        c->seg_cap = ncap;
        c->seg_head = 0;
    }
    struct seg *s = &c->segs[(c->seg_head + c->seg_len) % c->seg_cap];
    c->seg_len++;
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    return s;
}

static struct seg *seg_tail(struct conn *c)
{
    if (c->seg_len == 0)
        return NULL;
    return &c->segs[(c->seg_head + c->seg_len - 1) % c->seg_cap];
}

static void queued(struct conn *c, size_t n)
{
    c->out_bytes += n;
    if (!c->out_full && c->out_bytes > c->limits.out_high) {
        c->out_full = true;
        update_watch(c);
    }
    loop_defer_start(c->loop, &c->flush_defer);
}

void conn_send_copy(struct conn *c, const void *p, size_t n)
{
    if (c->closed || n == 0)
        return;
    struct seg *t = seg_tail(c);
    if (t && t->kind == SEG_MEM && n <= COALESCE_MAX) {
        if (t->cap - t->len < n && t->len + n <= 64 * 1024) {
            size_t ncap = t->cap * 2 > t->len + n ? t->cap * 2 : t->len + n;
            t->data = mem_realloc(t->data, ncap);
            t->cap = ncap;
        }
        if (t->cap - t->len >= n) {
            memcpy(t->data + t->len, p, n);
            t->len += n;
            queued(c, n);
            return;
        }
    }
    struct seg *s = seg_push(c);
    s->kind = SEG_MEM;
    s->cap = n < 1024 ? 1024 : n;
    s->data = mem_alloc(s->cap);
    memcpy(s->data, p, n);
    s->len = n;
    queued(c, n);
}

void conn_send_buf(struct conn *c, struct buf *b)
{
    if (c->closed || b->len == 0) {
        buf_reset(b);
        return;
    }
    if (b->len <= COALESCE_MAX) {
        conn_send_copy(c, b->data, b->len);
        buf_reset(b);
        return;
    }
    struct seg *s = seg_push(c);
    s->kind = SEG_MEM;
    s->data = b->data;
    s->len = b->len;
    s->cap = b->cap;
    size_t n = b->len;
    buf_init(b);
    queued(c, n);
}

int conn_send_file(struct conn *c, int fd, off_t off, size_t len)
{
    if (c->closed || len == 0)
        return 0;
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0)
        return -errno;
    struct seg *s = seg_push(c);
    s->kind = SEG_FILE;
    s->fd = dfd;
    s->off = off;
    s->len = len;
    queued(c, len);
    return 0;
}

#define TLS_CHUNK (16u * 1024) /* one TLS record */

/* One TLS write from the head segment. A write that returned EAGAIN is
 * retried with the same length (OpenSSL requires it; the bytes are the
 * same: memory does not change, file ranges are read again). Returns bytes
 * written, -1 with errno, or -2 after closing. */
static ssize_t tls_write_seg(struct conn *c, struct seg *s)
{
    size_t want = s->len - s->sent;
    if (want > TLS_CHUNK)
        want = TLS_CHUNK;
    if (c->tls_retry && c->tls_retry <= s->len - s->sent)
        want = c->tls_retry;
    const uint8_t *p = s->data ? s->data + s->sent : NULL;
    if (s->kind == SEG_FILE) {
        if (!c->tls_buf)
            c->tls_buf = mem_alloc(TLS_CHUNK);
        ssize_t r = pread(s->fd, c->tls_buf, want, s->off + (off_t)s->sent);
        if (r <= 0) {
            diag_warn("conn %s: file range ended early; closing", c->peer);
            conn_close(c);
            return -2;
        }
        want = (size_t)r;
        p = c->tls_buf;
    }
    ssize_t w = tls_write(c->tls, p, want);
    c->tls_retry = w < 0 && errno == EAGAIN ? want : 0;
    return w;
}

/* Writes as much as the socket takes. Returns 0, or -1 after closing. */
static int write_out(struct conn *c)
{
    while (c->seg_len > 0) {
        struct seg *s = &c->segs[c->seg_head];
        ssize_t w;
        if (c->tls) {
            w = tls_write_seg(c, s);
            if (w == -2)
                return -1;
            if (w == 0) { /* never: would spin the loop */
                errno = EPIPE;
                w = -1;
            }
        } else if (s->kind == SEG_FILE) {
            off_t pos = s->off + (off_t)s->sent;
            size_t want = s->len - s->sent;
            if (want > (size_t)1 << 30)
                want = (size_t)1 << 30;
            w = sendfile(c->io.fd, s->fd, &pos, want);
            if (w == 0) {
                /* The file is shorter than promised (truncated by recovery
                 * or retention): the response cannot be completed. */
                diag_warn("conn %s: file range ended early; closing", c->peer);
                conn_close(c);
                return -1;
            }
        } else {
            struct iovec iov[IOV_MAX_BATCH];
            int n = 0;
            for (size_t i = 0; i < c->seg_len && n < IOV_MAX_BATCH; i++) {
                struct seg *m = &c->segs[(c->seg_head + i) % c->seg_cap];
                if (m->kind != SEG_MEM)
                    break;
                iov[n].iov_base = m->data + m->sent;
                iov[n].iov_len = m->len - m->sent;
                n++;
            }
            w = writev(c->io.fd, iov, n);
        }
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                if (!c->want_write) {
                    c->want_write = true;
                    update_watch(c);
                }
                return 0;
            }
            diag_debug("conn %s: write: %s", c->peer, strerror(errno));
            conn_close(c);
            return -1;
        }
        size_t left = (size_t)w;
        c->out_bytes -= left;
        c->active_ms = loop_now_ms(c->loop);
        while (left > 0) {
            struct seg *h = &c->segs[c->seg_head];
            size_t take = h->len - h->sent;
            if (take > left)
                take = left;
            h->sent += take;
            left -= take;
            if (h->sent < h->len)
                break;
            seg_release(h);
            c->seg_head = (c->seg_head + 1) % c->seg_cap;
            c->seg_len--;
        }
    }
    bool changed = false;
    if (c->want_write) {
        c->want_write = false;
        changed = true;
    }
    if (c->out_full && c->out_bytes <= c->limits.out_high / 2) {
        c->out_full = false;
        changed = true;
        if (c->rend > c->rstart)
            loop_defer_start(c->loop, &c->resume_defer);
    }
    if (changed)
        update_watch(c);
    if (c->closing && c->seg_len == 0) {
        conn_close(c);
        return -1;
    }
    return 0;
}

static void flush_cb(struct loop *l, void *arg)
{
    struct conn *c = arg;
    (void)l;
    if (!c->closed && !c->want_write)
        (void)write_out(c);
}

void conn_close_after_flush(struct conn *c)
{
    if (c->closed)
        return;
    c->closing = true;
    if (c->seg_len == 0) {
        conn_close(c);
        return;
    }
    update_watch(c);
    loop_defer_start(c->loop, &c->flush_defer);
}

/* --- input ---------------------------------------------------------------- */

/* Hands every whole buffered frame to the handler. Returns -1 if closed. */
static int parse_frames(struct conn *c)
{
    if (c->in_frames)
        return 0; /* re-entered through conn_pause(false) in a handler */
    c->in_frames = true;
    /* out_full stops parsing too, not just reading: a read buffer full of
     * small requests would otherwise queue its answers all at once. */
    while (!c->closed && !c->paused && !c->closing && !c->out_full) {
        size_t avail = c->rend - c->rstart;
        size_t skip = 4, need, raw;
        if (c->frame_size) {
            /* Another protocol's framing: the handler gets the whole frame. */
            int fr = c->frame_size(c->rbuf + c->rstart, avail, &need);
            if (fr < 0) {
                diag_warn("conn %s: malformed frame header; closing", c->peer);
                conn_close(c);
                break;
            }
            if (fr == 0)
                need = avail + 1; /* header incomplete */
            skip = 0;
            raw = need;
        } else {
            if (avail < 4)
                break;
            raw = be32_load(c->rbuf + c->rstart);
            need = 4 + raw;
        }
        if (raw > INT32_MAX || raw > c->limits.max_frame) {
            diag_warn("conn %s: frame length %zu above the limit %zu; "
                      "closing",
                      c->peer, raw, c->limits.max_frame);
            conn_close(c);
            break;
        }
        if (avail < need) {
            /* Make room for the whole frame: compact, then allow the buffer
             * to grow (read_in grows it as the bytes come). */
            if (c->rcap - c->rstart < need) {
                memmove(c->rbuf, c->rbuf + c->rstart, avail);
                c->rend = avail;
                c->rstart = 0;
            }
            if (!allow(c, need))
                starve(c, need);
            break;
        }
        const uint8_t *p = c->rbuf + c->rstart + skip;
        c->rstart += need;
        c->nframes++;
        int rc = c->h->frame(c, c->arg, p, need - skip);
        if (rc < 0) {
            conn_close(c);
            break;
        }
    }
    c->in_frames = false;
    if (c->closed)
        return -1;
    if (c->rstart == c->rend) {
        c->rstart = c->rend = 0;
        struct conn_budget *b = c->budget;
        bool keep = c->rcap <= RBUF_KEEP_MAX &&
                    (!b || b->used + b->headroom <= b->limit);
        if (c->rcap > RBUF_INITIAL && !keep) {
            /* Give back the memory an unusually large frame needed, or any
             * large buffer while memory is short; keep buffers of ordinary
             * batch sizes otherwise (no malloc per request). */
            mem_free(c->rbuf);
            c->rbuf = mem_alloc(RBUF_INITIAL);
            c->rcap = RBUF_INITIAL;
        }
        release_to(c, c->rcap);
    }
    return 0;
}

static void read_in(struct conn *c)
{
    if (c->rend == c->rcap && c->rstart > 0) {
        memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
        c->rend -= c->rstart;
        c->rstart = 0;
    }
    if (c->rend == c->rcap) {
        if (c->rcap >= c->rallow)
            return; /* full of one frame being parsed: cannot happen */
        size_t ncap = c->rcap * 2 < c->rallow ? c->rcap * 2 : c->rallow;
        c->rbuf = mem_realloc(c->rbuf, ncap);
        c->rcap = ncap;
    }
    ssize_t r = c->tls ? tls_read(c->tls, c->rbuf + c->rend, c->rcap - c->rend)
                       : read(c->io.fd, c->rbuf + c->rend, c->rcap - c->rend);
    if (r < 0 && c->tls && errno == EAGAIN && tls_wants_write(c->tls) &&
        !c->want_write) {
        c->want_write = true; /* the engine must write to go on reading */
        update_watch(c);
    }
    if (r == 0) {
        diag_debug("conn %s: peer closed", c->peer);
        if (!c->h->eof) {
            conn_close(c);
            return;
        }
        c->eof = true;
        update_watch(c);
        c->h->eof(c, c->arg);
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            diag_debug("conn %s: read: %s", c->peer, strerror(errno));
            conn_close(c);
        } else if (c->tls && tls_pending(c->tls)) {
            /* The handshake ended with application data buffered. */
            loop_defer_start(c->loop, &c->tls_defer);
        }
        return;
    }
    c->rend += (size_t)r;
    c->active_ms = loop_now_ms(c->loop);
    if (parse_frames(c) < 0)
        return;
    /* TLS may hold records it read from the socket and did not hand out
     * yet, which raise no socket event: read again until EAGAIN. */
    if (c->tls && !c->paused && !c->out_full && !c->eof && !c->starved &&
        !c->closing)
        loop_defer_start(c->loop, &c->tls_defer);
}

static void tls_defer_cb(struct loop *l, void *arg)
{
    struct conn *c = arg;
    (void)l;
    if (!c->closed && !c->paused && !c->out_full && !c->eof && !c->starved)
        read_in(c);
}

static void io_cb(struct loop *l, struct loop_io *io, uint32_t events)
{
    struct conn *c = io->arg;
    (void)l;
    if ((events & LOOP_WRITE) && !c->closed)
        if (write_out(c) < 0)
            return;
    /* TLS: a read that waited for the socket to be writable goes on. */
    if ((events & LOOP_WRITE) && c->tls && tls_wants_write(c->tls))
        events |= LOOP_READ;
    if ((events & LOOP_READ) && !c->closed && !c->paused && !c->out_full &&
        !c->eof && !c->starved)
        read_in(c);
}

static void resume_cb(struct loop *l, void *arg)
{
    struct conn *c = arg;
    (void)l;
    if (!c->closed && !c->paused && !c->out_full && !c->starved)
        (void)parse_frames(c);
}

void conn_pause(struct conn *c, bool paused)
{
    if (c->closed || c->paused == paused)
        return;
    c->paused = paused;
    update_watch(c);
    if (!paused && c->rend > c->rstart)
        loop_defer_start(c->loop, &c->resume_defer);
}

int conn_create(struct loop *l, int fd, const struct conn_handler *h, void *arg,
                const struct conn_limits *limits, struct conn **out)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    struct conn *c = mem_calloc(1, sizeof(*c));
    c->loop = l;
    c->h = h;
    c->arg = arg;
    c->limits.max_frame = limits && limits->max_frame ? limits->max_frame
                                                      : CONN_DEFAULT_MAX_FRAME;
    c->limits.out_high =
        limits && limits->out_high ? limits->out_high : CONN_DEFAULT_OUT_HIGH;
    c->created_ms = c->active_ms = loop_now_ms(l);
    strcpy(c->peer, "?");
    c->rbuf = mem_alloc(RBUF_INITIAL);
    c->rcap = c->rallow = RBUF_INITIAL;
    loop_defer_init(&c->flush_defer, flush_cb, c);
    loop_defer_init(&c->free_defer, free_cb, c);
    loop_defer_init(&c->resume_defer, resume_cb, c);
    loop_defer_init(&c->tls_defer, tls_defer_cb, c);
    loop_io_init(&c->io, fd, io_cb, c);
    int rc = loop_io_set(l, &c->io, LOOP_READ);
    if (rc < 0) {
        close(fd);
        mem_free(c->rbuf);
        mem_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void conn_set_framing(struct conn *c, conn_frame_size_fn *fn)
{
    c->frame_size = fn;
}

void conn_set_peer(struct conn *c, const char *peer)
{
    size_t n = strlen(peer);
    if (n >= sizeof(c->peer))
        n = sizeof(c->peer) - 1;
    memcpy(c->peer, peer, n);
    c->peer[n] = '\0';
}
