/* cli_remote_io.c - `rill produce|consume TOPIC --bootstrap HOST:PORT`: the
 * same commands against a running broker (`rill serve` or any Kafka
 * cluster) through librdkafka (layer: cli).
 *
 * produce: one record per line, key before --key-separator, keyed records
 * placed by murmur2 like the Java producer and the local `rill produce`
 * (librdkafka's murmur2_random partitioner), --acks all or 1; the exit
 * status is 1 if any record was not acknowledged. consume: every partition
 * (or --partition P) from --from beginning|end|OFFSET|-N, printed with the
 * kcat-style --format, until the end of every partition (or, with --follow,
 * until interrupted) or --max records. librdkafka's own log is silenced;
 * errors are one line.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static rd_kafka_conf_t *conf_new(const char *prog, const char *bootstrap)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", prog, err, sizeof err) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rill %s: %s\n", prog, err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    const char *dbg = getenv("RILL_RDKAFKA_DEBUG");
    if (dbg && *dbg) {
        rd_kafka_conf_set(conf, "log_level", "7", err, sizeof err);
        rd_kafka_conf_set(conf, "debug", dbg, err, sizeof err);
    }
    return conf;
}

/* --- produce ------------------------------------------------------------ */

struct dr_state {
    int64_t ok, failed;
    char first_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    struct dr_state *s = opaque;
    (void)rk;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        s->ok++;
        return;
    }
    if (s->failed++ == 0)
        snprintf(s->first_error, sizeof s->first_error, "%s",
                 rd_kafka_err2str(m->err));
}

int cli_produce_remote(const char *bootstrap, const char *topic,
                       const char *file, const char *sep, int32_t partition,
                       const char *acks, bool quiet)
{
    char err[512];
    FILE *in = stdin;
    if (file && !(in = fopen(file, "r"))) {
        fprintf(stderr, "rill produce: cannot open %s\n", file);
        return 1;
    }
    rd_kafka_conf_t *conf = conf_new("rill-produce", bootstrap);
    struct dr_state s = {0};
    if (!conf ||
        rd_kafka_conf_set(conf, "acks",
                          acks && !strcmp(acks, "1") ? "1" : "all", err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "message.timeout.ms", "30000", err,
                          sizeof err) != RD_KAFKA_CONF_OK) {
        if (conf) {
            fprintf(stderr, "rill produce: %s\n", err);
            rd_kafka_conf_destroy(conf);
        }
        if (in != stdin)
            fclose(in);
        return 1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &s);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rill produce: %s\n", err);
        if (in != stdin)
            fclose(in);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t sent = 0, refused = 0;
    size_t seplen = sep ? strlen(sep) : 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        char *key = NULL, *val = line;
        size_t klen = 0, vlen = (size_t)n;
        char *at = seplen ? strstr(line, sep) : NULL;
        if (at) {
            key = line;
            klen = (size_t)(at - line);
            val = at + seplen;
            vlen = (size_t)n - klen - seplen;
        }
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_PARTITION(partition >= 0 ? partition
                                                    : RD_KAFKA_PARTITION_UA),
                RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE(val, vlen),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 100);
                continue;
            }
            if (e) {
                if (refused++ == 0 && s.failed == 0)
                    snprintf(s.first_error, sizeof s.first_error, "%s",
                             rd_kafka_err2str(e));
            } else {
                sent++;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    rd_kafka_flush(rk, 60000);
    int64_t lost = sent - s.ok - s.failed;
    if (s.failed + refused)
        fprintf(stderr,
                "rill produce: %" PRId64 " record(s) not delivered: %s\n",
                s.failed + refused, s.first_error);
    else if (lost > 0)
        fprintf(stderr,
                "rill produce: %" PRId64 " record(s) not acknowledged "
                "within 60 s (is a broker listening on %s?)\n",
                lost, bootstrap);
    if (!quiet)
        printf("produced %" PRId64 " records to %s via %s (acks=%s)\n", s.ok,
               topic, bootstrap, acks && !strcmp(acks, "1") ? "1" : "all");
    rd_kafka_destroy(rk);
    return s.failed || refused || lost > 0 ? 1 : 0;
}

/* --- consume ------------------------------------------------------------ */

static void put_escaped_format(const char *fmt, const rd_kafka_message_t *m)
{
    for (const char *p = fmt; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            putchar(*p == 'n'   ? '\n'
                    : *p == 't' ? '\t'
                    : *p == 'r' ? '\r'
                                : *p);
            continue;
        }
        if (*p != '%' || !p[1]) {
            putchar(*p);
            continue;
        }
        switch (*++p) {
        case 't':
            fputs(rd_kafka_topic_name(m->rkt), stdout);
            break;
        case 'p':
            printf("%" PRId32, m->partition);
            break;
        case 'o':
            printf("%" PRId64, m->offset);
            break;
        case 'k':
            if (m->key)
                fwrite(m->key, 1, m->key_len, stdout);
            break;
        case 's':
            if (m->payload)
                fwrite(m->payload, 1, m->len, stdout);
            break;
        case 'T':
            printf("%" PRId64, rd_kafka_message_timestamp(m, NULL));
            break;
        case 'K':
            printf("%d", m->key ? (int)m->key_len : -1);
            break;
        case 'S':
            printf("%d", m->payload ? (int)m->len : -1);
            break;
        default:
            putchar(*p);
            break;
        }
    }
}

int cli_consume_remote(const char *bootstrap, const char *topic,
                       const char *from, int32_t partition, int64_t max,
                       const char *format, bool follow)
{
    char err[512];
    int64_t start = RD_KAFKA_OFFSET_BEGINNING;
    if (from && !strcmp(from, "end"))
        start = RD_KAFKA_OFFSET_END;
    else if (from && strcmp(from, "beginning") != 0) {
        int64_t v;
        if (from[0] == '@' || cli_parse_i64("from", from, &v)) {
            fprintf(stderr, "rill consume: --from beginning|end|OFFSET|-N "
                            "with --bootstrap\n");
            return 2;
        }
        start = v < 0 ? RD_KAFKA_OFFSET_TAIL(-v) : v;
    }
    rd_kafka_conf_t *conf = conf_new("rill-consume", bootstrap);
    if (!conf ||
        rd_kafka_conf_set(conf, "group.id", "rill-consume", err, sizeof err) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err,
                          sizeof err) != RD_KAFKA_CONF_OK) {
        if (conf) {
            fprintf(stderr, "rill consume: %s\n", err);
            rd_kafka_conf_destroy(conf);
        }
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rill consume: %s\n", err);
        return 1;
    }
    /* Every partition of the topic, from Metadata (no auto-creation). */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
    if (e) {
        fprintf(stderr,
                "rill consume: metadata from %s: %s (is a broker "
                "listening there?)\n",
                bootstrap, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
            for (int j = 0; j < md->topics[i].partition_cnt; j++) {
                int32_t p = md->topics[i].partitions[j].id;
                if (partition < 0 || p == partition)
                    rd_kafka_topic_partition_list_add(l, topic, p)->offset =
                        start;
            }
    rd_kafka_metadata_destroy(md);
    int rc = 0;
    if (l->cnt == 0) {
        fprintf(stderr, "rill consume: topic '%s'%s not found on %s\n", topic,
                partition >= 0 ? " (or that partition)" : "", bootstrap);
        rc = 1;
        goto out;
    }
    rd_kafka_assign(rk, l);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int eofs = 0;
    int64_t n = 0;
    const char *fmt = format ? format : "%s\\n";
    while (!stop && (max <= 0 || n < max) && (follow || eofs < l->cnt)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (m->err) {
            fprintf(stderr, "rill consume: %s\n", rd_kafka_message_errstr(m));
            rc = 1;
            rd_kafka_message_destroy(m);
            break;
        } else {
            put_escaped_format(fmt, m);
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    fflush(stdout);
out:
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
