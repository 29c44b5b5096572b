/* alert_latency.c - benchmark G3: event-to-alert latency over the Kafka
 * protocol against `rill serve` (started and stopped here).
 *
 *   alert_latency [--mode transport] [--durability async|fsync|both]
 *                 [--rate N] [--seconds S] [--every K] [--partitions P]
 *                 [--tick-us U] [--rill PATH]
 *
 * An open-loop paced producer (librdkafka, linger.ms=0) sends --rate
 * events/s on a fixed schedule that a slow broker does not stretch; each
 * JSON value carries its send time (CLOCK_MONOTONIC microseconds, read just
 * before the send) and every K-th event (default 100, ~1%) is one an alert
 * rule would flag. A consumer (fetch.wait.max.ms=1, fetch.min.bytes=1)
 * reads the output topic and records receive time - send time of every
 * alert in a log-linear histogram (HdrHistogram-like: 64 sub-buckets per
 * power of two, < 1.6% error). Prints per durability:
 *
 *   alert_latency mode=transport durability=async p50_us=.. p99_us=..
 *       p999_us=.. max_us=.. samples=.. rate=.. sent=.. received=..
 *       errors=.. sched_lag_p99_us=.. wall_s=..
 *
 * durability=async: acks=1, the log fsyncs in the background (at least every
 * log.flush.interval.ms), and fetches and queries read up to the log end:
 * an alert never waits for an fsync. durability=fsync: acks=all with
 * rill.fsync.every.ack=true, so an event is acknowledged only after its
 * group-commit fdatasync, and rill.read.durable=true (docs/broker.md), so
 * the query reads only durable events and the consumer only durable
 * alerts: an alert is seen only after its event and the alert record are
 * both fsync'ed ("alerts only after fsync").
 *
 * Modes (the output topic the consumer reads):
 *   transport  the consumer reads the input topic itself and only the
 *              flagged events count: the broker's produce -> fetch floor.
 *   query      after the server is up, setup runs `rill run FILE.sql
 *              --data DIR` against it (over its SQL socket): a stream over
 *              topic `events` and the persistent query "CREATE STREAM
 *              alerts AS SELECT seq, send_us, sensor_id, value FROM events
 *              WHERE alert = 1", which runs inside `rill serve`. The
 *              consumer reads topic `alerts` (1 partition, every message
 *              counts): produce -> log -> query -> log -> fetch.
 *              --guarantee and --interval set the query's
 *              'execution.checkpointing.*' (docs/checkpoints.md: an
 *              exactly-once query's output waits for its checkpoint).
 *
 * Default --seconds is long enough for 100,000 alert samples (100 s at
 * 100K events/s). With no arguments (bench/run.sh) it runs both
 * durabilities. Everything is bounded: start 10 s, drain 10 s, stop 10 s.
 * sched_lag_p99_us shows how far the producer ran behind its schedule (on a
 * busy machine); events are never skipped or delayed to catch up.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>

#include "base/clock.h"

#define TOPIC_IN "events"

/* ---- histogram: values in microseconds, 64 sub-buckets per octave ---- */

#define H_SUB 64
#define H_OCTAVES 40
#define H_BUCKETS (2 * H_SUB + (H_OCTAVES - 1) * H_SUB)

struct hist {
    uint64_t count[H_BUCKETS];
    uint64_t total;
    uint64_t max;
};

static int hist_index(uint64_t v)
{
    if (v < 2 * H_SUB)
        return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6; /* v >> shift is in [64, 128) */
    int idx = 2 * H_SUB + (shift - 1) * H_SUB + (int)((v >> shift) - H_SUB);
    return idx < H_BUCKETS ? idx : H_BUCKETS - 1;
}

/* The highest value that falls in bucket idx. */
static uint64_t hist_upper(int idx)
{
    if (idx < 2 * H_SUB)
        return (uint64_t)idx;
    int shift = (idx - 2 * H_SUB) / H_SUB + 1;
    uint64_t sub = (uint64_t)((idx - 2 * H_SUB) % H_SUB + H_SUB);
    return ((sub + 1) << shift) - 1;
}

static void hist_add(struct hist *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->total++;
    if (v > h->max)
        h->max = v;
}

static uint64_t hist_pct(const struct hist *h, double pct)
{
    if (!h->total)
        return 0;
    uint64_t want = (uint64_t)((double)h->total * pct / 100.0 + 0.999999);
    if (want < 1)
        want = 1;
    uint64_t seen = 0;
    for (int i = 0; i < H_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= want) {
            uint64_t u = hist_upper(i);
            return u < h->max ? u : h->max;
        }
    }
    return h->max;
}

/* ---- options and modes ---- */

struct opts {
    const char *mode;
    const char *durability;
    long rate;
    double seconds; /* 0: enough for min_samples alerts */
    long every;
    int partitions;
    long tick_us;
    const char *rill;
    /* query mode: 'execution.checkpointing.mode' and '.interval' (NULL:
     * the engine's defaults, exactly-once every 100 ms) */
    const char *guarantee, *interval;
};

struct bench;

struct mode {
    const char *name;
    const char *out_topic; /* the topic the consumer reads */
    int count_every_kth;   /* 1: only flagged input events count */
    int out_one_partition; /* 1: out_topic has 1 partition, else --partitions */
    int (*setup)(struct bench *b);
};

struct bench {
    const struct opts *o;
    const struct mode *m;
    const char *durability;
    char dir[64];
    char bootstrap[32];
    pid_t server;
    /* consumer thread */
    pthread_t thr;
    atomic_int stop;
    atomic_llong received; /* messages read from out_topic */
    atomic_llong warm;     /* warm-up messages seen */
    struct hist lat;
    int consumer_rc;
};

static int mode_transport_setup(struct bench *b)
{
    (void)b;
    return 0;
}

/* Runs `rill run FILE.sql --data DIR` (the server's data directory, so the
 * statements go to the running server over <data>/rill.sock) and waits for
 * it, at most 10 s. The script declares the input stream over TOPIC_IN with
 * exactly the fields the producer writes (no event time: a plain filter
 * needs no watermark) and starts the alert query inside the server. */
static int mode_query_setup(struct bench *b)
{
    char sql[96], log[96], data[96];
    snprintf(sql, sizeof sql, "%s/alerts.sql", b->dir);
    snprintf(log, sizeof log, "%s/run.log", b->dir);
    snprintf(data, sizeof data, "%s/data", b->dir);
    FILE *f = fopen(sql, "w");
    if (!f) {
        perror("alert_latency: alerts.sql");
        return -1;
    }
    if (b->o->guarantee)
        fprintf(f, "SET 'execution.checkpointing.mode' = '%s';\n",
                b->o->guarantee);
    if (b->o->interval)
        fprintf(f, "SET 'execution.checkpointing.interval' = '%s';\n",
                b->o->interval);
    fprintf(f,
            "CREATE STREAM " TOPIC_IN " (alert INT, seq BIGINT, send_us "
            "BIGINT, sensor_id STRING, value DOUBLE)\n"
            "    WITH (topic = '" TOPIC_IN "', format = 'json', "
            "partitions = %d);\n"
            "CREATE STREAM alerts AS\n"
            "    SELECT seq, send_us, sensor_id, value FROM " TOPIC_IN
            " WHERE alert = 1;\n",
            b->o->partitions);
    if (fclose(f) != 0) {
        perror("alert_latency: alerts.sql");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(b->o->rill, b->o->rill, "run", sql, "--data", data, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    int64_t deadline = clock_mono_ms() + 10000;
    pid_t w;
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
           clock_mono_ms() < deadline)
        usleep(10000);
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fprintf(stderr, "alert_latency: rill run did not finish in 10 s\n");
        return -1;
    }
    if (w != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "alert_latency: rill run %s failed; see %s\n", sql,
                log);
        return -1;
    }
    return 0;
}

static const struct mode modes[] = {
    {"transport", TOPIC_IN, 1, 0, mode_transport_setup},
    {"query", "alerts", 0, 1, mode_query_setup},
};

/* ---- rill serve ---- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int can_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int server_start(struct bench *b)
{
    int port = free_port();
    if (port < 0)
        return -1;
    snprintf(b->bootstrap, sizeof b->bootstrap, "127.0.0.1:%d", port);
    char data[96], log[96], parts[48];
    snprintf(data, sizeof data, "%s/data", b->dir);
    snprintf(log, sizeof log, "%s/serve.log", b->dir);
    snprintf(parts, sizeof parts, "num.partitions=%d", b->o->partitions);
    int fsync_every = strcmp(b->durability, "fsync") == 0;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(b->o->rill, b->o->rill, "serve", "--data", data, "--listen",
              b->bootstrap, "--set", parts, "--set",
              fsync_every ? "rill.fsync.every.ack=true"
                          : "rill.fsync.every.ack=false",
              "--set",
              fsync_every ? "rill.read.durable=true"
                          : "rill.read.durable=false",
              (char *)NULL);
        _exit(127);
    }
    b->server = pid;
    int64_t deadline = clock_mono_ms() + 10000;
    while (clock_mono_ms() < deadline) {
        if (can_connect(port))
            return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            b->server = 0;
            break;
        }
        usleep(20000);
    }
    fprintf(stderr, "alert_latency: rill serve (%s) did not start; see %s\n",
            b->o->rill, log);
    return -1;
}

static void server_stop(struct bench *b)
{
    if (b->server <= 0)
        return;
    kill(b->server, SIGTERM);
    int64_t deadline = clock_mono_ms() + 10000;
    while (waitpid(b->server, NULL, WNOHANG) == 0) {
        if (clock_mono_ms() > deadline) {
            kill(b->server, SIGKILL);
            waitpid(b->server, NULL, 0);
            break;
        }
        usleep(20000);
    }
    b->server = 0;
}

static int rm_entry(const char *p, const struct stat *s, int flag,
                    struct FTW *f)
{
    (void)s;
    (void)flag;
    (void)f;
    remove(p);
    return 0;
}

/* ---- librdkafka helpers ---- */

static int conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "alert_latency: %s=%s: %s\n", k, v, err);
        return -1;
    }
    return 0;
}

static atomic_llong delivered, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        failed++;
    else
        delivered++;
}

static rd_kafka_t *producer_new(struct bench *b)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    int async = strcmp(b->durability, "async") == 0;
    if (conf_set(c, "bootstrap.servers", b->bootstrap) ||
        conf_set(c, "acks", async ? "1" : "all") ||
        conf_set(c, "linger.ms", "0") ||
        conf_set(c, "enable.idempotence", "false") ||
        conf_set(c, "socket.nagle.disable", "true") ||
        conf_set(c, "queue.buffering.max.messages", "1000000") ||
        conf_set(c, "message.timeout.ms", "10000")) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "alert_latency: producer: %s\n", err);
        rd_kafka_conf_destroy(c);
    }
    return rk;
}

/* The number after "send_us": in a value that is not NUL-terminated. */
static int64_t parse_send_us(const char *p, size_t len)
{
    static const char key[] = "\"send_us\":";
    const char *end = p + len;
    for (; p + sizeof key - 1 < end; p++)
        if (*p == '"' && memcmp(p, key, sizeof key - 1) == 0)
            break;
    p += sizeof key - 1;
    if (p >= end)
        return -1;
    int64_t v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (*p - '0');
    return v;
}

static void *consumer_main(void *arg)
{
    struct bench *b = arg;
    char err[256];
    b->consumer_rc = -1;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (conf_set(c, "bootstrap.servers", b->bootstrap) ||
        conf_set(c, "group.id", "alert-latency-unused") ||
        conf_set(c, "fetch.wait.max.ms", "1") ||
        conf_set(c, "fetch.min.bytes", "1") ||
        conf_set(c, "fetch.error.backoff.ms", "5") ||
        conf_set(c, "socket.nagle.disable", "true") ||
        conf_set(c, "enable.partition.eof", "false")) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "alert_latency: consumer: %s\n", err);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, b->m->out_topic, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int parts = b->m->out_one_partition ? 1 : b->o->partitions;
    for (int p = 0; p < parts; p++)
        rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q);
    /* One message per call: rd_kafka_consume_batch_queue would wait for a
     * full batch or its whole timeout, adding up to that to every sample. */
    while (!atomic_load(&b->stop)) {
        rd_kafka_message_t *m = rd_kafka_consume_queue(q, 10);
        if (!m)
            continue;
        int64_t now_us = clock_mono_ns() / 1000;
        if (!m->err && m->len >= 10) {
            const char *v = m->payload;
            /* The warm-up events (and their alerts) carry send_us 0. */
            int64_t s = parse_send_us(v, m->len);
            if (s == 0) {
                b->warm++;
            } else {
                b->received++;
                /* transport: only flagged events; query: every one */
                if (s > 0 && (!b->m->count_every_kth || v[9] == '1'))
                    hist_add(&b->lat, (uint64_t)(now_us > s ? now_us - s : 0));
            }
        }
        rd_kafka_message_destroy(m);
    }
    for (int p = 0; p < parts; p++)
        rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    b->consumer_rc = 0;
    return NULL;
}

/* ---- one run ---- */

static int send_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int part,
                    const char *v, size_t len)
{
    for (int tries = 0; tries < 1000; tries++) {
        if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY,
                             (void *)(uintptr_t)v, len, NULL, 0, NULL) == 0)
            return 0;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return -1;
        rd_kafka_poll(rk, 10);
    }
    return -1;
}

static int run(const struct opts *o, const struct mode *m,
               const char *durability)
{
    static struct bench bench; /* the histogram is large; one run at once */
    struct bench *b = &bench;
    memset(b, 0, sizeof *b);
    b->o = o;
    b->m = m;
    b->durability = durability;
    delivered = failed = 0;
    int rc = -1;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    int consumer = 0;
    snprintf(b->dir, sizeof b->dir, "/tmp/rill-alert-latency.XXXXXX");
    if (!mkdtemp(b->dir)) {
        perror("alert_latency: mkdtemp");
        return -1;
    }
    if (server_start(b) < 0 || m->setup(b) < 0)
        goto out;
    rk = producer_new(b);
    if (!rk)
        goto out;
    rkt = rd_kafka_topic_new(rk, TOPIC_IN, NULL);

    /* Warm-up: one flagged event per partition, stamped send_us 0, creates
     * the topic and the connections (and in mode query passes the query);
     * the consumer must see them all before timing starts. */
    static const char warm[] = "{\"alert\":1,\"seq\":-1,\"send_us\":0,"
                               "\"sensor_id\":\"warm\",\"value\":0.0}";
    for (int p = 0; p < o->partitions; p++)
        if (send_one(rk, rkt, p, warm, sizeof warm - 1) < 0)
            goto out;
    if (rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || failed) {
        fprintf(stderr, "alert_latency: warm-up not acknowledged\n");
        goto out;
    }
    if (pthread_create(&b->thr, NULL, consumer_main, b) != 0)
        goto out;
    consumer = 1;
    int64_t deadline = clock_mono_ms() + 10000;
    while (b->warm < o->partitions && clock_mono_ms() < deadline)
        usleep(5000);
    if (b->warm < o->partitions) {
        fprintf(stderr, "alert_latency: consumer saw no warm-up message\n");
        goto out;
    }
    usleep(200000); /* let the fetch loop settle into long polls */

    /* The paced producer: event i is due at t0 + i / rate. Each wake-up
     * sends every event due by now, stamped with the time of its send. */
    double seconds = o->seconds > 0
                         ? o->seconds
                         : 100000.0 * (double)o->every / (double)o->rate + 1;
    long long total = (long long)(seconds * (double)o->rate);
    double interval_ns = 1e9 / (double)o->rate;
    struct hist *lag = calloc(1, sizeof *lag);
    char v[160];
    int64_t t0 = clock_mono_ns();
    long long seq = 0;
    while (seq < total) {
        int64_t now = clock_mono_ns();
        int64_t due = t0 + (int64_t)((double)seq * interval_ns);
        while (due <= now && seq < total) {
            int64_t send_ns = clock_mono_ns();
            int64_t send_us = send_ns / 1000;
            int flag = seq % o->every == 0;
            int len = snprintf(v, sizeof v,
                               "{\"alert\":%d,\"seq\":%lld,\"send_us\":%lld,"
                               "\"sensor_id\":\"s-%04lld\",\"value\":%d.%d}",
                               flag, seq, (long long)send_us, seq % 2000,
                               (int)(seq % 90) + 10, (int)(seq % 10));
            if (send_one(rk, rkt, (int)(seq % o->partitions), v, (size_t)len) <
                0) {
                fprintf(stderr, "alert_latency: produce: %s\n",
                        rd_kafka_err2str(rd_kafka_last_error()));
                free(lag);
                goto out;
            }
            hist_add(lag, send_ns > due ? (uint64_t)(send_ns - due) / 1000 : 0);
            seq++;
            due = t0 + (int64_t)((double)seq * interval_ns);
        }
        rd_kafka_poll(rk, 0);
        int64_t next = due;
        int64_t cap = clock_mono_ns() + o->tick_us * 1000;
        if (next > cap)
            next = cap;
        struct timespec ts = {.tv_sec = next / 1000000000,
                              .tv_nsec = next % 1000000000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    rd_kafka_flush(rk, 10000);
    /* Drain: wait (bounded) until the consumer has read what was sent:
     * every event (transport) or the alert of every K-th one (query). */
    long long want = m->count_every_kth ? seq : (seq + o->every - 1) / o->every;
    deadline = clock_mono_ms() + 10000;
    while (b->received < want && clock_mono_ms() < deadline)
        usleep(10000);
    atomic_store(&b->stop, 1);
    pthread_join(b->thr, NULL);
    consumer = 0;
    printf("alert_latency mode=%s durability=%s p50_us=%llu p99_us=%llu "
           "p999_us=%llu max_us=%llu samples=%llu rate=%ld sent=%lld "
           "received=%lld errors=%lld sched_lag_p99_us=%llu wall_s=%.1f\n",
           m->name, durability, (unsigned long long)hist_pct(&b->lat, 50),
           (unsigned long long)hist_pct(&b->lat, 99),
           (unsigned long long)hist_pct(&b->lat, 99.9),
           (unsigned long long)b->lat.max, (unsigned long long)b->lat.total,
           o->rate, seq, (long long)b->received, (long long)failed,
           (unsigned long long)hist_pct(lag, 99), wall);
    fflush(stdout);
    free(lag);
    rc = failed || b->received < want ? -1 : 0;
    if (rc < 0)
        fprintf(stderr, "alert_latency: %lld failed, %lld of %lld read\n",
                (long long)failed, (long long)b->received, want);

out:
    if (consumer) {
        atomic_store(&b->stop, 1);
        pthread_join(b->thr, NULL);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk)
        rd_kafka_destroy(rk);
    server_stop(b);
    nftw(b->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: alert_latency [--mode transport|query] "
                    "[--durability async|fsync|both]\n"
                    "    [--rate EVENTS_PER_S] [--seconds S] [--every K] "
                    "[--partitions P] [--tick-us U] [--rill PATH]\n"
                    "    [--guarantee EXACTLY_ONCE|AT_LEAST_ONCE] "
                    "[--interval '10 ms']\n");
}

int main(int argc, char **argv)
{
    static char rill_path[PATH_MAX];
    struct opts o = {.mode = "transport",
                     .durability = "both",
                     .rate = 100000,
                     .every = 100,
                     .partitions = 1,
                     .tick_us = 100};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "--mode"))
            o.mode = v;
        else if (!strcmp(a, "--durability"))
            o.durability = v;
        else if (!strcmp(a, "--rate"))
            o.rate = atol(v);
        else if (!strcmp(a, "--seconds"))
            o.seconds = atof(v);
        else if (!strcmp(a, "--every"))
            o.every = atol(v);
        else if (!strcmp(a, "--partitions"))
            o.partitions = atoi(v);
        else if (!strcmp(a, "--tick-us"))
            o.tick_us = atol(v);
        else if (!strcmp(a, "--rill"))
            o.rill = v;
        else if (!strcmp(a, "--guarantee"))
            o.guarantee = v;
        else if (!strcmp(a, "--interval"))
            o.interval = v;
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (o.rate <= 0 || o.every <= 0 || o.partitions <= 0 ||
        o.partitions > 1024 || o.tick_us <= 0 || o.seconds < 0 ||
        o.seconds > 3600) {
        usage();
        return 2;
    }
    if (!o.rill)
        o.rill = getenv("RILL");
    if (!o.rill) {
        /* BUILD/bench/alert_latency -> BUILD/rill */
        ssize_t n =
            readlink("/proc/self/exe", rill_path, sizeof rill_path - 16);
        if (n > 0) {
            rill_path[n] = '\0';
            char *s = strrchr(rill_path, '/');
            if (s) {
                *s = '\0';
                s = strrchr(rill_path, '/');
            }
            if (s)
                strcpy(s, "/rill");
        }
        o.rill = rill_path;
    }
    const struct mode *m = NULL;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(modes[i].name, o.mode))
            m = &modes[i];
    if (!m || (strcmp(o.durability, "async") && strcmp(o.durability, "fsync") &&
               strcmp(o.durability, "both"))) {
        usage();
        return 2;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    if (strcmp(o.durability, "fsync") != 0)
        rc |= run(&o, m, "async");
    if (strcmp(o.durability, "async") != 0)
        rc |= run(&o, m, "fsync");
    return rc ? 1 : 0;
}
