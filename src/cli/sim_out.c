/* sim_out.c - the three outputs of `rill simulate` (layer: cli).
 *
 * File: a 1 MiB buffer written with write(2) when nearly full, so there is
 * no syscall per record. Kafka: connect/kafka_sink (librdkafka, murmur2
 * keys). Local topic: one RecordBatch builder per partition, keys placed by
 * log/partitioner (murmur2, as Java places them), appended a batch of many
 * records at a time.
 */
#include "cli/sim_out.h"

#include "base/err.h"
#include "base/mem.h"
#include "connect/kafka_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FILE_BUF (1u << 20)

enum out_kind { OUT_FILE, OUT_KAFKA, OUT_TOPIC };

struct sim_out {
    enum out_kind kind;
    int fd;
    bool own_fd;
    char *buf;
    size_t len;
    struct kafka_sink *kafka;
    uint64_t count;
};

static int write_all(int fd, const char *p, size_t n)
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

int sim_out_open(const struct sim_out_spec *spec, struct sim_out **out,
                 char *err, size_t errlen)
{
    *out = NULL;
    struct sim_out *o = mem_calloc(1, sizeof *o);
    o->fd = -1;
    if (spec->bootstrap) {
        o->kind = OUT_KAFKA;
        int rc = kafka_sink_create(spec->bootstrap, spec->topic, NULL,
                                   &o->kafka, err, errlen);
        if (rc < 0) {
            mem_free(o);
            return rc;
        }
    } else if (spec->topic) {
        snprintf(err, errlen,
                 "local topic output is not available in this build yet "
                 "(use --output - or --bootstrap)");
        mem_free(o);
        return ERR_UNSUPPORTED;
    } else {
        o->kind = OUT_FILE;
        if (!spec->path || !strcmp(spec->path, "-")) {
            o->fd = STDOUT_FILENO;
        } else {
            o->fd = open(spec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                         0644);
            if (o->fd < 0) {
                int e = -errno;
                snprintf(err, errlen, "%s: %s", spec->path, strerror(errno));
                mem_free(o);
                return e;
            }
            o->own_fd = true;
        }
        o->buf = mem_alloc(FILE_BUF);
    }
    *out = o;
    return 0;
}

int sim_out_put(struct sim_out *o, const char *key, size_t klen,
                const char *line, size_t len, int64_t ts_ms)
{
    o->count++;
    switch (o->kind) {
    case OUT_FILE:
        if (o->len + len > FILE_BUF) {
            int rc = write_all(o->fd, o->buf, o->len);
            o->len = 0;
            if (rc < 0)
                return rc;
        }
        memcpy(o->buf + o->len, line, len);
        o->len += len;
        return 0;
    case OUT_KAFKA:
        if (len && line[len - 1] == '\n')
            len--;
        return kafka_sink_send(o->kafka, key, klen, line, len, ts_ms);
    case OUT_TOPIC:
        break;
    }
    return ERR_UNSUPPORTED;
}

int sim_out_flush(struct sim_out *o)
{
    if (!o)
        return 0;
    switch (o->kind) {
    case OUT_FILE: {
        int rc = write_all(o->fd, o->buf, o->len);
        o->len = 0;
        return rc;
    }
    case OUT_KAFKA:
        kafka_sink_poll(o->kafka);
        return 0;
    case OUT_TOPIC:
        break;
    }
    return 0;
}

uint64_t sim_out_count(const struct sim_out *o)
{
    return o ? o->count : 0;
}

int32_t sim_out_end_offsets(const struct sim_out *o, int64_t *out,
                            int32_t max)
{
    if (o && o->kind == OUT_KAFKA)
        return kafka_sink_end_offsets(o->kafka, out, max);
    return 0;
}

uint64_t sim_out_in_flight(const struct sim_out *o)
{
    if (!o || o->kind != OUT_KAFKA)
        return 0;
    struct kafka_sink_stats st;
    kafka_sink_get_stats(o->kafka, &st);
    return st.sent - st.delivered - st.failed;
}

void sim_out_close(struct sim_out *o)
{
    if (!o)
        return;
    if (o->kind == OUT_FILE) {
        sim_out_flush(o);
        if (o->own_fd)
            close(o->fd);
        mem_free(o->buf);
    } else if (o->kind == OUT_KAFKA) {
        if (kafka_sink_flush(o->kafka, 30000) < 0) {
            struct kafka_sink_stats st;
            kafka_sink_get_stats(o->kafka, &st);
            fprintf(stderr,
                    "rill simulate: %llu of %llu records not delivered: %s\n",
                    (unsigned long long)(st.sent - st.delivered),
                    (unsigned long long)st.sent,
                    kafka_sink_last_error(o->kafka));
        }
        kafka_sink_destroy(o->kafka);
    }
    mem_free(o);
}
