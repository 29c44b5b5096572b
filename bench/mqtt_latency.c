/* mqtt_latency.c - publish -> subscriber latency through an MQTT broker
 * (any: rill serve or mosquitto), open loop (bench only).
 *
 *   mqtt_latency PORT RATE SECONDS [QOS]
 *
 * One thread, two MQTT 3.1.1 connections on 127.0.0.1:PORT: a subscriber
 * on bench/lat/# and a publisher that sends 200 B payloads to bench/lat/x
 * at RATE messages per second on a fixed schedule (a late send does not
 * push the schedule back: open loop, so queueing shows in the figures).
 * Each payload carries its scheduled send time; the subscriber records
 * arrival - scheduled. Prints one line:
 *   mqtt_latency rate=20000 qos=0 sent=N received=N p50_us=..
 *                p99_us=.. p999_us=.. max_us=..
 * At QoS 1 both sides answer acknowledgements (PUBACK) as they come.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "broker/mqtt_codec.h"

#define PAYLOAD 200

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            perror("write");
            exit(1);
        }
        b += w;
        n -= (size_t)w;
    }
}

/* Reads one whole packet into b (blocking); returns its type. */
struct rd {
    uint8_t buf[1 << 20];
    size_t len;
};

static int next_packet(struct rd *r, uint8_t **pkt, size_t *plen)
{
    size_t total;
    if (mqtt_frame_size(r->buf, r->len, &total) == 1 && r->len >= total) {
        *pkt = r->buf;
        *plen = total;
        return 1;
    }
    return 0;
}

static void consume(struct rd *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

static int fill(int fd, struct rd *r)
{
    ssize_t n = read(fd, r->buf + r->len, sizeof(r->buf) - r->len);
    if (n <= 0)
        return -1;
    r->len += (size_t)n;
    return 0;
}

static void handshake(int fd, struct rd *r, const char *id)
{
    struct buf b;
    buf_init(&b);
    struct mqtt_connect c;
    memset(&c, 0, sizeof c);
    c.version = MQTT_V311;
    c.clean_start = true;
    c.keep_alive = 60;
    c.client_id = slice_make(id, strlen(id));
    mqtt_connect_encode(&b, &c);
    send_all(fd, b.data, b.len);
    buf_fini(&b);
    uint8_t *p;
    size_t n;
    while (!next_packet(r, &p, &n))
        if (fill(fd, r) < 0)
            exit(1);
    if (p[0] >> 4 != MQTT_CONNACK || p[3] != 0) {
        fprintf(stderr, "CONNACK refused\n");
        exit(1);
    }
    consume(r, n);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: mqtt_latency PORT RATE SECONDS [QOS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double rate = atof(argv[2]);
    double secs = atof(argv[3]);
    uint8_t qos = argc > 4 ? (uint8_t)atoi(argv[4]) : 0;
    static struct rd rs, rp;
    int sfd = dial(port), pfd = dial(port);
    char id[64];
    snprintf(id, sizeof id, "lat-sub-%d", (int)getpid());
    handshake(sfd, &rs, id);
    snprintf(id, sizeof id, "lat-pub-%d", (int)getpid());
    handshake(pfd, &rp, id);
    struct buf b;
    buf_init(&b);
    mqtt_subscribe_encode(&b, MQTT_V311, 1, "bench/lat/#", qos);
    send_all(sfd, b.data, b.len);
    buf_reset(&b);
    uint8_t *pk;
    size_t pn;
    while (!next_packet(&rs, &pk, &pn))
        if (fill(sfd, &rs) < 0)
            return 1;
    consume(&rs, pn); /* SUBACK */

    size_t total = (size_t)(rate * secs);
    int64_t *lat = calloc(total ? total : 1, sizeof(int64_t));
    size_t sent = 0, got = 0;
    int64_t period = (int64_t)(1e9 / rate);
    int64_t start = now_ns() + 1000000;
    int64_t end_wait = start + (int64_t)(secs * 1e9) + 2000000000;
    uint8_t payload[PAYLOAD];
    memset(payload, 'x', sizeof payload);
    uint16_t pid = 0;
    struct buf acks;
    buf_init(&acks);
    while (got < total && now_ns() < end_wait) {
        int64_t t = now_ns();
        /* Send everything that is due (open loop). */
        while (sent < total && start + (int64_t)sent * period <= t) {
            int64_t due = start + (int64_t)sent * period;
            memcpy(payload, &due, sizeof due);
            struct mqtt_publish_out po;
            memset(&po, 0, sizeof po);
            po.topic = slice_make("bench/lat/x", 11);
            po.qos = qos;
            if (qos) {
                if (++pid == 0)
                    pid = 1;
                po.packet_id = pid;
            }
            po.payload = slice_make(payload, sizeof payload);
            mqtt_publish_encode(&b, MQTT_V311, &po);
            sent++;
        }
        if (b.len) {
            send_all(pfd, b.data, b.len);
            buf_reset(&b);
        }
        int64_t next_due =
            sent < total ? start + (int64_t)sent * period : t + 1000000;
        int timeout_ms = (int)((next_due - now_ns()) / 1000000);
        if (timeout_ms < 0)
            timeout_ms = 0;
        struct pollfd pf[2] = {{sfd, POLLIN, 0}, {pfd, POLLIN, 0}};
        if (poll(pf, 2, timeout_ms) < 0)
            continue;
        if (pf[1].revents & POLLIN) {
            if (fill(pfd, &rp) < 0)
                break;
            while (next_packet(&rp, &pk, &pn))
                consume(&rp, pn); /* PUBACKs */
        }
        if (pf[0].revents & POLLIN) {
            if (fill(sfd, &rs) < 0)
                break;
            int64_t arrive = now_ns();
            while (next_packet(&rs, &pk, &pn)) {
                uint8_t type, flags;
                const uint8_t *body;
                size_t blen;
                struct mqtt_publish p;
                if (mqtt_packet_split(pk, pn, &type, &flags, &body, &blen) ==
                        0 &&
                    type == MQTT_PUBLISH &&
                    mqtt_publish_decode(body, blen, flags, MQTT_V311, &p) ==
                        0 &&
                    p.payload.len >= 8) {
                    int64_t due;
                    memcpy(&due, p.payload.ptr, sizeof due);
                    if (got < total)
                        lat[got++] = arrive - due;
                    if (p.qos == 1)
                        mqtt_ack_encode(&acks, MQTT_V311, MQTT_PUBACK,
                                        p.packet_id, 0);
                }
                consume(&rs, pn);
            }
            if (acks.len) {
                send_all(sfd, acks.data, acks.len);
                buf_reset(&acks);
            }
        }
    }
    qsort(lat, got, sizeof(int64_t), cmp64);
#define PCT(q) (got ? lat[(size_t)((double)(got - 1) * (q))] / 1000 : -1)
    printf("mqtt_latency rate=%.0f qos=%u sent=%zu received=%zu p50_us=%lld "
           "p99_us=%lld p999_us=%lld max_us=%lld\n",
           rate, qos, sent, got, (long long)PCT(0.50), (long long)PCT(0.99),
           (long long)PCT(0.999), (long long)PCT(1.0));
    buf_fini(&b);
    buf_fini(&acks);
    free(lat);
    close(sfd);
    close(pfd);
    return got == total ? 0 : 1;
}
