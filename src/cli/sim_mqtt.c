/* sim_mqtt.c - the MQTT output of `rill simulate` (layer: cli).
 *
 * Packets are encoded by broker/mqtt_codec into one output buffer, written
 * when it passes 64 KiB or at a flush; PUBACKs are read without blocking
 * after every write, and blocking only while 1,000 messages are unacked.
 */
#include "cli/sim_mqtt.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/mqtt_codec.h"

#define WINDOW 1000
#define OUT_FLUSH (64u * 1024)

struct sim_mqtt {
    int fd;
    char *prefix;
    struct buf out, topic;
    uint8_t in[65536];
    size_t in_len;
    uint16_t pid;
    uint64_t sent, acked;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads what is there (waiting up to wait_ms) and counts PUBACKs. */
static int read_acks(struct sim_mqtt *m, int wait_ms)
{
    struct pollfd pf = {m->fd, POLLIN, 0};
    int pr = poll(&pf, 1, wait_ms);
    if (pr <= 0)
        return pr < 0 && errno != EINTR ? -errno : 0;
    ssize_t r = read(m->fd, m->in + m->in_len, sizeof(m->in) - m->in_len);
    if (r == 0)
        return ERR_CLOSED;
    if (r < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    m->in_len += (size_t)r;
    size_t pos = 0, total;
    while (mqtt_frame_size(m->in + pos, m->in_len - pos, &total) == 1 &&
           m->in_len - pos >= total) {
        uint8_t type = m->in[pos] >> 4;
        if (type == MQTT_PUBACK)
            m->acked++;
        else if (type == MQTT_CONNACK && total >= 4 && m->in[pos + 3] != 0)
            return ERR_INVALID;
        pos += total;
    }
    memmove(m->in, m->in + pos, m->in_len - pos);
    m->in_len -= pos;
    return 0;
}

int sim_mqtt_open(const char *hostport, const char *prefix, char *err,
                  size_t errlen, struct sim_mqtt **out)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "--mqtt expects HOST:PORT, got %s", hostport);
        return ERR_INVALID;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &ai) !=
            0 ||
        !ai) {
        snprintf(err, errlen, "--mqtt: cannot resolve %s", hostport);
        return ERR_INVALID;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        int e = -errno;
        snprintf(err, errlen, "--mqtt %s: %s", hostport, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return e;
    }
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sim_mqtt *m = mem_calloc(1, sizeof(*m));
    m->fd = fd;
    m->prefix = mem_strdup(prefix);
    buf_init(&m->out);
    buf_init(&m->topic);
    char id[64];
    int n = snprintf(id, sizeof id, "rill-sim-%d-%lld", (int)getpid(),
                     (long long)clock_now_ms());
    struct mqtt_connect c;
    memset(&c, 0, sizeof c);
    c.version = MQTT_V311;
    c.clean_start = true;
    c.keep_alive = 0;
    c.client_id = slice_make(id, (size_t)n);
    mqtt_connect_encode(&m->out, &c);
    int rc = write_all(fd, m->out.data, m->out.len);
    buf_reset(&m->out);
    /* The CONNACK: 4 bytes, code 0. */
    int64_t deadline = clock_mono_ms() + 5000;
    while (rc == 0 && m->in_len < 4 && clock_mono_ms() < deadline) {
        ssize_t r = read(fd, m->in + m->in_len, 4 - m->in_len);
        if (r <= 0) {
            rc = r == 0 ? ERR_CLOSED : -errno;
            break;
        }
        m->in_len += (size_t)r;
    }
    if (rc == 0 && (m->in_len < 4 || m->in[0] != 0x20 || m->in[3] != 0))
        rc = ERR_INVALID;
    if (rc < 0) {
        snprintf(err, errlen, "--mqtt %s: no CONNACK (%s)", hostport,
                 err_str(rc));
        sim_mqtt_close(m);
        return rc;
    }
    m->in_len = 0;
    *out = m;
    return 0;
}

int sim_mqtt_flush(struct sim_mqtt *m)
{
    if (m->out.len) {
        int rc = write_all(m->fd, m->out.data, m->out.len);
        buf_reset(&m->out);
        if (rc < 0)
            return rc;
    }
    return read_acks(m, 0);
}

int sim_mqtt_put(struct sim_mqtt *m, const char *key, size_t klen,
                 const char *payload, size_t len)
{
    while (m->sent - m->acked >= WINDOW) {
        int rc = sim_mqtt_flush(m);
        if (rc == 0 && m->sent - m->acked >= WINDOW)
            rc = read_acks(m, 1000);
        if (rc < 0)
            return rc;
    }
    buf_reset(&m->topic);
    buf_put_str(&m->topic, m->prefix);
    buf_put_u8(&m->topic, '/');
    buf_put(&m->topic, key, klen);
    struct mqtt_publish_out po;
    memset(&po, 0, sizeof po);
    po.topic = slice_make(m->topic.data, m->topic.len);
    po.qos = 1;
    if (++m->pid == 0)
        m->pid = 1;
    po.packet_id = m->pid;
    po.payload = slice_make(payload, len);
    mqtt_publish_encode(&m->out, MQTT_V311, &po);
    m->sent++;
    if (m->out.len >= OUT_FLUSH)
        return sim_mqtt_flush(m);
    return 0;
}

int sim_mqtt_finish(struct sim_mqtt *m, int timeout_ms)
{
    int rc = sim_mqtt_flush(m);
    int64_t deadline = clock_mono_ms() + timeout_ms;
    while (rc == 0 && m->acked < m->sent) {
        if (clock_mono_ms() >= deadline)
            return ERR_TIMEOUT;
        rc = read_acks(m, 100);
    }
    return rc;
}

uint64_t sim_mqtt_in_flight(const struct sim_mqtt *m)
{
    return m->sent - m->acked;
}

void sim_mqtt_close(struct sim_mqtt *m)
{
    if (!m)
        return;
    (void)sim_mqtt_flush(m);
    static const uint8_t disconnect[2] = {0xe0, 0};
    (void)write_all(m->fd, disconnect, 2);
    close(m->fd);
    buf_fini(&m->out);
    buf_fini(&m->topic);
    mem_free(m->prefix);
    mem_free(m);
}
