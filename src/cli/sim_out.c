/* sim_out.c - the three outputs of `rill simulate` (layer: cli).
 *
 * File: a 1 MiB buffer written with write(2) when nearly full, so there is
 * no syscall per record. Kafka: connect/kafka_sink (librdkafka, murmur2
 * keys). Local topic: one RecordBatch builder per partition, keys placed by
 * log/partitioner (murmur2, as Java places them), appended a batch of many
 * records at a time.
 */
#include "cli/sim_out.h"
#include "cli/sim_mqtt.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/kafka_sink.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/partitioner.h"
#include "log/record_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FILE_BUF (1u << 20)
/* A local-topic batch is appended once it holds this many records or
 * bytes (or at a flush, i.e. every tick in real time). */
#define TOPIC_BATCH_RECORDS 2000
#define TOPIC_BATCH_BYTES (512u << 10)
#define TOPIC_DEFAULT_PARTITIONS 8

enum out_kind { OUT_FILE, OUT_KAFKA, OUT_TOPIC, OUT_MQTT };

struct sim_out {
    enum out_kind kind;
    int fd;
    bool own_fd;
    char *buf;
    size_t len;
    struct kafka_sink *kafka;
    struct sim_mqtt *mqtt;
    struct logdir *logdir;
    struct partition **parts;
    struct record_batch_builder *builders;
    int32_t nparts;
    struct buf batch;
    uint64_t count;
    bool finished; /* sim_out_finish already waited for the broker */
};

/* The readings and the truth may go to topics of the same data directory,
 * which one process may open only once (it is locked): both outputs share
 * one handle. The CLI is single-threaded, so plain statics suffice. */
static struct logdir *shared_ld;
static int shared_refs;
static char shared_path[4096];

static int logdir_get(const char *path, struct logdir **out)
{
    if (shared_ld && !strcmp(shared_path, path)) {
        shared_refs++;
        *out = shared_ld;
        return 0;
    }
    if (shared_ld)
        return ERR_INVALID; /* one data directory per run */
    int rc = logdir_open(path, NULL, &shared_ld);
    if (rc < 0)
        return rc;
    snprintf(shared_path, sizeof shared_path, "%s", path);
    shared_refs = 1;
    *out = shared_ld;
    return 0;
}

static void logdir_put(void)
{
    if (shared_ld && --shared_refs == 0) {
        logdir_close(shared_ld);
        shared_ld = NULL;
    }
}

static int topic_open(struct sim_out *o, const struct sim_out_spec *spec,
                      char *err, size_t errlen)
{
    int rc = logdir_get(spec->data_dir, &o->logdir);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s%s", spec->data_dir, err_str(rc),
                 rc == -EBUSY ? " (rill serve has it open: use --bootstrap)"
                              : "");
        return rc;
    }
    int np = logdir_topic_partitions(o->logdir, spec->topic);
    if (np == ERR_NOT_FOUND) {
        struct logdir_topic_config tc;
        logdir_topic_config_init(&tc);
        tc.partitions =
            spec->partitions > 0 ? spec->partitions : TOPIC_DEFAULT_PARTITIONS;
        rc = logdir_topic_create(o->logdir, spec->topic, &tc);
        if (rc < 0) {
            snprintf(err, errlen, "creating topic '%s': %s", spec->topic,
                     err_str(rc));
            return rc;
        }
        np = tc.partitions;
    } else if (np < 0) {
        snprintf(err, errlen, "topic '%s': %s", spec->topic, err_str(np));
        return np;
    }
    o->nparts = np;
    o->parts = mem_calloc((size_t)np, sizeof *o->parts);
    o->builders = mem_calloc((size_t)np, sizeof *o->builders);
    for (int32_t p = 0; p < np; p++) {
        o->parts[p] = logdir_partition(o->logdir, spec->topic, p);
        record_batch_builder_init(&o->builders[p], COMPRESS_NONE);
        if (!o->parts[p]) {
            snprintf(err, errlen, "topic '%s' partition %d missing",
                     spec->topic, p);
            return ERR_NOT_FOUND;
        }
    }
    buf_init(&o->batch);
    return 0;
}

/* Appends partition p's pending records as one batch. */
static int topic_append(struct sim_out *o, int32_t p)
{
    struct record_batch_builder *b = &o->builders[p];
    if (record_batch_builder_count(b) == 0)
        return 0;
    buf_reset(&o->batch);
    int rc = record_batch_builder_finish(b, &o->batch);
    record_batch_builder_reset(b);
    if (rc < 0)
        return rc;
    return partition_append(o->parts[p], o->batch.data, o->batch.len, NULL);
}

static void topic_close(struct sim_out *o)
{
    for (int32_t p = 0; p < o->nparts; p++)
        record_batch_builder_fini(&o->builders[p]);
    mem_free(o->builders);
    mem_free(o->parts);
    buf_fini(&o->batch);
    logdir_put();
}

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
    if (spec->mqtt) {
        o->kind = OUT_MQTT;
        int rc = sim_mqtt_open(spec->mqtt, spec->topic ? spec->topic : "sim",
                               err, errlen, &o->mqtt);
        if (rc < 0) {
            mem_free(o);
            return rc;
        }
    } else if (spec->bootstrap) {
        o->kind = OUT_KAFKA;
        int rc = kafka_sink_create(spec->bootstrap, spec->topic, NULL,
                                   &o->kafka, err, errlen);
        if (rc < 0) {
            mem_free(o);
            return rc;
        }
    } else if (spec->topic) {
        o->kind = OUT_TOPIC;
        int rc = topic_open(o, spec, err, errlen);
        if (rc < 0) {
            if (o->logdir)
                topic_close(o);
            mem_free(o);
            return rc;
        }
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
    case OUT_MQTT:
        if (len && line[len - 1] == '\n')
            len--;
        return sim_mqtt_put(o->mqtt, key, klen, line, len);
    case OUT_TOPIC: {
        if (len && line[len - 1] == '\n')
            len--;
        int32_t p = partitioner_for_key(key, klen, o->nparts);
        struct record_batch_builder *b = &o->builders[p];
        struct slice k = slice_make(key, klen), v = slice_make(line, len);
        int rc = record_batch_builder_add(b, &k, &v, ts_ms, NULL, 0);
        if (rc < 0)
            return rc;
        if (record_batch_builder_count(b) >= TOPIC_BATCH_RECORDS ||
            record_batch_builder_size(b) >= TOPIC_BATCH_BYTES)
            return topic_append(o, p);
        return 0;
    }
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
    case OUT_MQTT:
        return sim_mqtt_flush(o->mqtt);
    case OUT_TOPIC:
        for (int32_t p = 0; p < o->nparts; p++) {
            int rc = topic_append(o, p);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    return 0;
}

int sim_out_finish(struct sim_out *o, int timeout_ms)
{
    if (!o)
        return 0;
    if (o->kind == OUT_KAFKA) {
        o->finished = true;
        return kafka_sink_flush(o->kafka, timeout_ms);
    }
    if (o->kind == OUT_MQTT)
        return sim_mqtt_finish(o->mqtt, timeout_ms);
    return sim_out_flush(o);
}

uint64_t sim_out_count(const struct sim_out *o)
{
    return o ? o->count : 0;
}

int32_t sim_out_end_offsets(const struct sim_out *o, int64_t *out, int32_t max)
{
    if (o && o->kind == OUT_KAFKA)
        return kafka_sink_end_offsets(o->kafka, out, max);
    if (o && o->kind == OUT_TOPIC) {
        int32_t n = o->nparts < max ? o->nparts : max;
        for (int32_t p = 0; p < n; p++)
            out[p] = partition_high_watermark(o->parts[p]);
        return n;
    }
    return 0;
}

uint64_t sim_out_in_flight(const struct sim_out *o)
{
    if (o && o->kind == OUT_MQTT)
        return sim_mqtt_in_flight(o->mqtt);
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
        /* After sim_out_finish, do not wait for an unreachable broker a
         * second time: the run stays bounded by its own flush timeout. */
        if (kafka_sink_flush(o->kafka, o->finished ? 0 : 30000) < 0) {
            struct kafka_sink_stats st;
            kafka_sink_get_stats(o->kafka, &st);
            fprintf(stderr,
                    "rill simulate: %llu of %llu records not delivered: %s\n",
                    (unsigned long long)(st.sent - st.delivered),
                    (unsigned long long)st.sent,
                    kafka_sink_last_error(o->kafka));
        }
        kafka_sink_destroy(o->kafka);
    } else if (o->kind == OUT_MQTT) {
        sim_mqtt_close(o->mqtt);
    } else if (o->kind == OUT_TOPIC) {
        int rc = sim_out_flush(o);
        if (rc < 0)
            fprintf(stderr, "rill simulate: topic append: %s\n", err_str(rc));
        topic_close(o);
    }
    mem_free(o);
}
