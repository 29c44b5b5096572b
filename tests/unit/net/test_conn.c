/* test_conn.c - framing, oversize frames, ordered output with sendfile. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/conn.h"
#include "../../harness.h"

struct seen {
    int frames;
    size_t lens[16];
    char first[64];
    int closed;
    bool echo;
    bool pause_after_first;
    size_t big_answer; /* > 0: answer every frame with this many bytes */
};

static int on_frame(struct conn *c, void *arg, const uint8_t *p, size_t len)
{
    struct seen *s = arg;
    if (s->frames < 16)
        s->lens[s->frames] = len;
    if (s->frames == 0) {
        size_t n = len < 63 ? len : 63;
        memcpy(s->first, p, n);
        s->first[n] = 0;
    }
    s->frames++;
    if (s->echo) {
        uint8_t hdr[4];
        be32_store(hdr, (uint32_t)len);
        conn_send_copy(c, hdr, 4);
        conn_send_copy(c, p, len);
    }
    if (s->big_answer) {
        static uint8_t zeros[64 * 1024];
        conn_send_copy(c, zeros, s->big_answer);
    }
    if (s->pause_after_first && s->frames == 1)
        conn_pause(c, true);
    return 0;
}

static void on_closed(struct conn *c, void *arg)
{
    (void)c;
    ((struct seen *)arg)->closed++;
}

static const struct conn_handler handler = {on_frame, on_closed, NULL};

static void on_eof(struct conn *c, void *arg)
{
    (void)arg;
    conn_close_after_flush(c);
}

static const struct conn_handler eof_handler = {on_frame, on_closed, on_eof};

static void put_frame(int fd, const char *s)
{
    uint8_t hdr[4];
    be32_store(hdr, (uint32_t)strlen(s));
    CHECK_EQ_INT(write(fd, hdr, 4), 4);
    CHECK_EQ_INT(write(fd, s, strlen(s)), (long long)strlen(s));
}

static void spin(struct loop *l, int n)
{
    for (int i = 0; i < n; i++)
        loop_run_once(l, 5);
}

TEST(frames_split_and_batched)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct seen s = {0};
    struct conn *c;
    CHECK_EQ_INT(conn_create(l, sv[0], &handler, &s, NULL, &c), 0);
    /* Three frames in one write, then one frame split byte by byte. */
    uint8_t buf[64];
    size_t n = 0;
    const char *msgs[] = {"hello", "", "abc"};
    for (int i = 0; i < 3; i++) {
        be32_store(buf + n, (uint32_t)strlen(msgs[i]));
        memcpy(buf + n + 4, msgs[i], strlen(msgs[i]));
        n += 4 + strlen(msgs[i]);
    }
    CHECK_EQ_INT(write(sv[1], buf, n), (long long)n);
    spin(l, 3);
    CHECK_EQ_INT(s.frames, 3);
    CHECK_EQ_STR(s.first, "hello");
    CHECK_EQ_INT(s.lens[1], 0);
    CHECK_EQ_INT(s.lens[2], 3);
    uint8_t one[9] = {0, 0, 0, 5, 'w', 'o', 'r', 'l', 'd'};
    for (int i = 0; i < 9; i++) {
        CHECK_EQ_INT(write(sv[1], one + i, 1), 1);
        spin(l, 1);
    }
    CHECK_EQ_INT(s.frames, 4);
    CHECK_EQ_INT(s.lens[3], 5);
    conn_close(c);
    CHECK_EQ_INT(s.closed, 1);
    conn_close(c); /* twice is fine */
    spin(l, 1);
    close(sv[1]);
    loop_destroy(l);
}

TEST(oversize_and_negative_length_close)
{
    uint32_t bad[] = {0x7fffffffu, 0x80000000u, 1025};
    for (int i = 0; i < 3; i++) {
        struct loop *l;
        CHECK_EQ_INT(loop_create(&l), 0);
        int sv[2];
        CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        struct seen s = {0};
        struct conn *c;
        struct conn_limits lim = {1024, 4096};
        CHECK_EQ_INT(conn_create(l, sv[0], &handler, &s, &lim, &c), 0);
        uint8_t hdr[4];
        be32_store(hdr, bad[i]);
        CHECK_EQ_INT(write(sv[1], hdr, 4), 4);
        spin(l, 2);
        CHECK_EQ_INT(s.frames, 0);
        CHECK_EQ_INT(s.closed, 1);
        char b;
        CHECK_EQ_INT(read(sv[1], &b, 1), 0); /* peer sees EOF */
        close(sv[1]);
        loop_destroy(l);
    }
}

TEST(echo_and_file_segments_in_order)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct seen s = {0};
    s.echo = true;
    struct conn *c;
    CHECK_EQ_INT(conn_create(l, sv[0], &handler, &s, NULL, &c), 0);
    put_frame(sv[1], "ping");
    spin(l, 2);
    char path[] = "/tmp/rill-test-conn-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ_INT(write(fd, "0123456789", 10), 10);
    unlink(path);
    conn_send_copy(c, "A", 1);
    CHECK_EQ_INT(conn_send_file(c, fd, 3, 4), 0);
    close(fd); /* the connection keeps its own copy */
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "Z");
    conn_send_buf(c, &b);
    CHECK_EQ_INT(b.len, 0);
    buf_fini(&b);
    spin(l, 3);
    CHECK_EQ_INT(conn_out_bytes(c), 0);
    char got[32] = {0};
    ssize_t r = read(sv[1], got, sizeof(got) - 1);
    CHECK_EQ_INT(r, 14);
    CHECK(memcmp(got, "\0\0\0\4ping", 8) == 0);
    CHECK_EQ_STR(got + 8, "A3456Z");
    conn_close(c);
    spin(l, 1);
    close(sv[1]);
    loop_destroy(l);
}

TEST(pause_keeps_frames_buffered)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct seen s = {0};
    s.pause_after_first = true;
    struct conn *c;
    CHECK_EQ_INT(conn_create(l, sv[0], &handler, &s, NULL, &c), 0);
    put_frame(sv[1], "one");
    put_frame(sv[1], "two");
    spin(l, 3);
    CHECK_EQ_INT(s.frames, 1);
    conn_pause(c, false);
    spin(l, 2);
    CHECK_EQ_INT(s.frames, 2);
    close(sv[1]); /* peer hang-up closes the connection */
    spin(l, 3);
    CHECK_EQ_INT(s.closed, 1);
    loop_destroy(l);
}

TEST(backpressure_stops_reading)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct seen s = {0};
    s.echo = true;
    struct conn *c;
    struct conn_limits lim = {1 << 20, 64 * 1024};
    CHECK_EQ_INT(conn_create(l, sv[0], &handler, &s, &lim, &c), 0);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    /* The peer never reads: echoes pile up until reading pauses. */
    char *big = malloc(8192);
    memset(big, 'x', 8191);
    big[8191] = 0;
    int sent = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t hdr[4];
        be32_store(hdr, 8191);
        if (write(sv[1], hdr, 4) != 4)
            break;
        if (write(sv[1], big, 8191) != 8191)
            break;
        sent++;
        loop_run_once(l, 0);
    }
    spin(l, 5);
    CHECK(s.frames < sent || sent < 2000);
    CHECK(conn_out_bytes(c) > 0);
    /* Memory stays bounded: queued output is near the limit, not the sum. */
    CHECK(conn_out_bytes(c) < 64 * 1024 + 2 * 8200);
    free(big);
    conn_close(c);
    spin(l, 1);
    close(sv[1]);
    loop_destroy(l);
}

/* Many small requests arrive in one read, each with a large answer: the
 * frames already buffered wait too, so output stays near the bound. */
TEST(backpressure_holds_buffered_frames)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct seen s = {0};
    s.big_answer = 16 * 1024;
    struct conn *c;
    struct conn_limits lim = {1 << 20, 64 * 1024};
    CHECK_EQ_INT(conn_create(l, sv[0], &handler, &s, &lim, &c), 0);
    enum { N = 400 };
    uint8_t req[N * 8];
    for (int i = 0; i < N; i++) {
        be32_store(req + 8 * i, 4);
        memcpy(req + 8 * i + 4, "ping", 4);
    }
    CHECK_EQ_INT(write(sv[1], req, sizeof(req)), (long long)sizeof(req));
    spin(l, 5);
    /* Not 400 x 16 KB: about the bound's worth, plus socket buffers. */
    CHECK(s.frames < N);
    CHECK(conn_out_bytes(c) <= 64 * 1024 + 16 * 1024);
    /* The peer reads: every answer comes, every frame is handled. */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    static uint8_t sink[256 * 1024];
    size_t got = 0;
    for (int i = 0; i < 20000 && got < (size_t)N * 16 * 1024; i++) {
        ssize_t r = read(sv[1], sink, sizeof(sink));
        if (r > 0)
            got += (size_t)r;
        loop_run_once(l, 0);
    }
    CHECK_EQ_INT(s.frames, N);
    CHECK_EQ_INT(got, (long long)N * 16 * 1024);
    conn_close(c);
    spin(l, 1);
    close(sv[1]);
    loop_destroy(l);
}

TEST(half_close_still_answers)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct seen s = {0};
    s.echo = true;
    struct conn *c;
    CHECK_EQ_INT(conn_create(l, sv[0], &eof_handler, &s, NULL, &c), 0);
    put_frame(sv[1], "last words");
    CHECK_EQ_INT(shutdown(sv[1], SHUT_WR), 0);
    spin(l, 4);
    CHECK_EQ_INT(s.frames, 1);
    CHECK_EQ_INT(s.closed, 1);
    char got[64] = {0};
    ssize_t r = read(sv[1], got, sizeof(got));
    CHECK_EQ_INT(r, 14); /* the answer arrived before the close */
    CHECK_EQ_INT(read(sv[1], got, sizeof(got)), 0);
    close(sv[1]);
    loop_destroy(l);
}

/* Writes all of p to a non-blocking-free socketpair end, spinning the loop
 * so the reader drains it. */
static void put_all(struct loop *l, int fd, const uint8_t *p, size_t n)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    size_t at = 0;
    for (int tries = 0; at < n && tries < 100000; tries++) {
        ssize_t w = write(fd, p + at, n - at);
        if (w > 0)
            at += (size_t)w;
        else
            loop_run_once(l, 1);
    }
    CHECK_EQ_INT((long long)at, (long long)n);
}

/* queued.max.request.bytes: a large frame reserves its whole size before
 * the buffer grows; a second one that does not fit waits (not reading)
 * until the first is handed out, then goes through. Small frames never
 * wait. Everything reserved is given back. */
TEST(budget_bounds_large_frames)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    struct conn_budget *b;
    const size_t big = 150 * 1024;
    CHECK_EQ_INT(conn_budget_create(100 * 1024, big, &b), 0);
    int a[2], c2[2], c3[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, c2), 0);
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, c3), 0);
    struct seen sa = {0}, sb = {0}, sc = {0};
    struct conn *ca, *cb, *cc;
    struct conn_limits lim = {1u << 20, 1u << 20};
    CHECK_EQ_INT(conn_create(l, a[0], &handler, &sa, &lim, &ca), 0);
    CHECK_EQ_INT(conn_create(l, c2[0], &handler, &sb, &lim, &cb), 0);
    CHECK_EQ_INT(conn_create(l, c3[0], &handler, &sc, &lim, &cc), 0);
    conn_set_budget(ca, b);
    conn_set_budget(cb, b);
    conn_set_budget(cc, b);
    uint8_t *frame = calloc(1, 4 + big);
    be32_store(frame, (uint32_t)big);
    /* A: header and half the body. It holds big + 4 - 64 KiB. */
    put_all(l, a[1], frame, 4 + big / 2);
    spin(l, 3);
    CHECK_EQ_INT(conn_budget_used(b), (long long)(4 + big - 64 * 1024));
    /* B: the whole frame; it cannot reserve, so it is not delivered. */
    int fl = fcntl(c2[1], F_GETFL);
    fcntl(c2[1], F_SETFL, fl | O_NONBLOCK);
    ssize_t wb = write(c2[1], frame, 4 + big);
    CHECK(wb > 0);
    spin(l, 5);
    CHECK_EQ_INT(sb.frames, 0);
    /* C: small frames go through meanwhile. */
    put_frame(c3[1], "small");
    spin(l, 3);
    CHECK_EQ_INT(sc.frames, 1);
    /* A finishes: handed out, memory released, B proceeds. */
    put_all(l, a[1], frame + 4 + big / 2, big - big / 2);
    spin(l, 5);
    CHECK_EQ_INT(sa.frames, 1);
    CHECK_EQ_INT(sa.lens[0], (long long)big);
    if ((size_t)wb < 4 + big)
        put_all(l, c2[1], frame + wb, 4 + big - (size_t)wb);
    spin(l, 10);
    CHECK_EQ_INT(sb.frames, 1);
    CHECK_EQ_INT(sb.lens[0], (long long)big);
    CHECK_EQ_INT(conn_budget_used(b), 0);
    /* B announces another and closes mid-way: its reservation is freed. */
    put_all(l, c2[1], frame, 1000);
    spin(l, 3);
    CHECK(conn_budget_used(b) > 0);
    conn_close(cb);
    CHECK_EQ_INT(conn_budget_used(b), 0);
    conn_close(ca);
    conn_close(cc);
    spin(l, 1);
    free(frame);
    close(a[1]);
    close(c2[1]);
    close(c3[1]);
    conn_budget_destroy(b);
    loop_destroy(l);
}

int main(void)
{
    RUN(half_close_still_answers);
    RUN(budget_bounds_large_frames);
    RUN(frames_split_and_batched);
    RUN(oversize_and_negative_length_close);
    RUN(echo_and_file_segments_in_order);
    RUN(pause_keeps_frames_buffered);
    RUN(backpressure_stops_reading);
    RUN(backpressure_holds_buffered_frames);
    return harness_summary("test_conn");
}
