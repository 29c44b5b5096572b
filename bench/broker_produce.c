/* broker_produce.c - the librdkafka client that bench/broker_produce.sh
 * drives against `rill serve` (benchmark G2/G2b).
 *
 *   broker_produce produce BOOTSTRAP TOPIC SECONDS VALUE_BYTES ACKS
 *   broker_produce consume BOOTSTRAP TOPIC PARTITIONS MAX_SECONDS
 *
 * produce: one producer, linger.ms=5, keyless values spread over the
 * topic's partitions, as fast as delivery allows for SECONDS; prints
 * "acked=N wall_s=S". consume: one consumer reads every partition from the
 * beginning until it reaches the end offsets; prints "records=N wall_s=S".
 * With no arguments (bench/run.sh runs every binary) it does nothing.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

static long long acked, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        failed++;
    else
        acked++;
}

/* BENCH_KAFKA_CONF="k=v,k=v": extra client properties (e.g. TLS:
 * security.protocol=ssl,ssl.ca.location=ca.pem). Returns 0 or -1. */
static int extra_conf(rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    const char *env = getenv("BENCH_KAFKA_CONF");
    if (!env || !*env)
        return 0;
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s", env);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        if (rd_kafka_conf_set(conf, kv, eq + 1, err, errlen))
            return -1;
    }
    return 0;
}

static int produce(const char *bootstrap, const char *topic, double seconds,
                   int value_bytes, const char *acks)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof(err)) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "acks", acks, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err,
                          sizeof(err)) ||
        rd_kafka_conf_set(conf, "batch.num.messages", "10000", err,
                          sizeof(err)) ||
        extra_conf(conf, err, sizeof(err))) {
        fprintf(stderr, "conf: %s\n", err);
        return 1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        return 1;
    }
    char *value = malloc((size_t)value_bytes);
    memset(value, 'v', (size_t)value_bytes);
    int64_t t0 = clock_mono_ns();
    int64_t stop = t0 + (int64_t)(seconds * 1e9);
    long long sent = 0;
    while (clock_mono_ns() < stop) {
        for (int i = 0; i < 1000; i++) {
            if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                  RD_KAFKA_V_VALUE(value, (size_t)value_bytes),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_END) != 0) {
                rd_kafka_poll(rk, 1);
                break;
            }
            sent++;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 30000);
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    printf("acked=%lld failed=%lld sent=%lld wall_s=%.2f\n", acked, failed,
           sent, wall);
    rd_kafka_destroy(rk);
    free(value);
    return failed ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic, int partitions,
                   double max_seconds)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof(err)) ||
        rd_kafka_conf_set(conf, "group.id", "bench-unused", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err,
                          sizeof(err)) ||
        rd_kafka_conf_set(conf, "fetch.max.bytes", "52428800", err,
                          sizeof(err)) ||
        extra_conf(conf, err, sizeof(err))) {
        fprintf(stderr, "conf: %s\n", err);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", err);
        return 1;
    }
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t t0 = clock_mono_ns();
    int64_t stop = t0 + (int64_t)(max_seconds * 1e9);
    long long n = 0;
    int eofs = 0;
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    static rd_kafka_message_t *msgs[10000];
    while (eofs < partitions && clock_mono_ns() < stop) {
        ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs, 10000);
        for (ssize_t i = 0; i < got; i++) {
            if (msgs[i]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                eofs++;
            else if (!msgs[i]->err)
                n++;
            rd_kafka_message_destroy(msgs[i]);
        }
    }
    rd_kafka_queue_destroy(q);
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    printf("records=%lld wall_s=%.2f\n", n, wall);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "produce"))
        return produce(argv[2], argv[3], atof(argv[4]), atoi(argv[5]), argv[6]);
    if (argc == 6 && !strcmp(argv[1], "consume"))
        return consume(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
    if (argc > 1) {
        fprintf(stderr, "usage: broker_produce produce BOOTSTRAP TOPIC "
                        "SECONDS VALUE_BYTES ACKS\n"
                        "       broker_produce consume BOOTSTRAP TOPIC "
                        "PARTITIONS MAX_SECONDS\n");
        return 2;
    }
    return 0; /* run by bench/run.sh without arguments: the .sh drives it */
}
