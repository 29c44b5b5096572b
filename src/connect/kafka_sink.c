/* kafka_sink.c - librdkafka producer behind `rill simulate --bootstrap`
 * (layer: connect).
 *
 * A thin wrapper: rill's defaults, a delivery-report callback that counts,
 * and backpressure when the local queue is full (poll, retry) instead of
 * dropping records. It does not do transactions; the stream layer's Kafka
 * writer will.
 */
#include "connect/kafka_sink.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#define MAX_TRACKED 1024

struct kafka_sink {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    struct kafka_sink_stats stats;
    int32_t npart;                   /* highest partition seen + 1 */
    int64_t end_offset[MAX_TRACKED]; /* last acknowledged offset + 1 */
    char last_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    struct kafka_sink *k = opaque;
    if (m->err) {
        k->stats.failed++;
        snprintf(k->last_error, sizeof k->last_error, "%s",
                 rd_kafka_err2str(m->err));
    } else {
        k->stats.delivered++;
        if (m->partition >= 0 && m->partition < MAX_TRACKED) {
            if (m->offset + 1 > k->end_offset[m->partition])
                k->end_offset[m->partition] = m->offset + 1;
            if (m->partition >= k->npart)
                k->npart = m->partition + 1;
        }
    }
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *val,
               char *err, size_t errlen)
{
    if (rd_kafka_conf_set(conf, key, val, err, errlen) != RD_KAFKA_CONF_OK)
        return ERR_INVALID;
    return 0;
}

int kafka_sink_create(const char *bootstrap, const char *topic,
                      const char *const *props, struct kafka_sink **out,
                      char *err, size_t errlen)
{
    static const char *const defaults[][2] = {
        {"acks", "all"},
        {"linger.ms", "5"},
        {"batch.num.messages", "10000"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "262144"},
        {"enable.idempotence", "false"},
    };
    *out = NULL;
    struct kafka_sink *k = mem_calloc(1, sizeof *k);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_topic_conf_t *tconf = NULL;
    if (set(conf, "bootstrap.servers", bootstrap, err, errlen) < 0)
        goto out_conf;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (set(conf, defaults[i][0], defaults[i][1], err, errlen) < 0)
            goto out_conf;
    tconf = rd_kafka_topic_conf_new();
    if (rd_kafka_topic_conf_set(tconf, "partitioner", "murmur2_random", err,
                                errlen) != RD_KAFKA_CONF_OK)
        goto out_conf;
    for (size_t i = 0; props && props[i]; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq) {
            snprintf(err, errlen, "property '%s' is not key=value", props[i]);
            goto out_conf;
        }
        char key[128];
        size_t kl = (size_t)(eq - props[i]);
        if (kl >= sizeof key) {
            snprintf(err, errlen, "property key too long");
            goto out_conf;
        }
        memcpy(key, props[i], kl);
        key[kl] = '\0';
        if (set(conf, key, eq + 1, err, errlen) < 0)
            goto out_conf;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!k->rk)
        goto out_conf;
    /* rd_kafka_new took conf. */
    k->rkt = rd_kafka_topic_new(k->rk, topic, tconf);
    if (!k->rkt) {
        snprintf(err, errlen, "topic '%s': %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_destroy(k->rk);
        mem_free(k);
        return ERR_INVALID;
    }
    *out = k;
    return 0;

out_conf:
    if (tconf)
        rd_kafka_topic_conf_destroy(tconf);
    rd_kafka_conf_destroy(conf);
    mem_free(k);
    return ERR_INVALID;
}

int kafka_sink_send(struct kafka_sink *k, const void *key, size_t klen,
                    const void *value, size_t vlen, int64_t ts_ms)
{
    int64_t deadline = clock_mono_ms() + 30000;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            k->rk, RD_KAFKA_V_RKT(k->rkt),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)value, vlen),
            RD_KAFKA_V_KEY((void *)(uintptr_t)key, klen),
            RD_KAFKA_V_TIMESTAMP(ts_ms),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            k->stats.sent++;
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(k->last_error, sizeof k->last_error, "%s",
                     rd_kafka_err2str(e));
            return ERR_FAILED;
        }
        if (clock_mono_ms() > deadline)
            return ERR_TIMEOUT;
        rd_kafka_poll(k->rk, 10);
    }
}

void kafka_sink_poll(struct kafka_sink *k)
{
    rd_kafka_poll(k->rk, 0);
}

int kafka_sink_flush(struct kafka_sink *k, int timeout_ms)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(k->rk, timeout_ms);
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return ERR_TIMEOUT;
    return k->stats.failed ? ERR_FAILED : 0;
}

void kafka_sink_get_stats(const struct kafka_sink *k,
                          struct kafka_sink_stats *out)
{
    *out = k->stats;
}

int32_t kafka_sink_end_offsets(const struct kafka_sink *k, int64_t *out,
                               int32_t max)
{
    int32_t n = k->npart < max ? k->npart : max;
    memcpy(out, k->end_offset, sizeof *out * (size_t)n);
    return n;
}

const char *kafka_sink_last_error(const struct kafka_sink *k)
{
    return k->last_error;
}

void kafka_sink_destroy(struct kafka_sink *k)
{
    if (!k)
        return;
    rd_kafka_topic_destroy(k->rkt);
    rd_kafka_destroy(k->rk);
    mem_free(k);
}
