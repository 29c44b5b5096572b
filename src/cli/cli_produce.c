/* cli_produce.c - `rill produce TOPIC`: append lines of stdin or a file to
 * a topic of a data directory, without a broker (layer: cli).
 *
 * One record per line (the newline dropped). With --key-separator the text
 * before the first separator is the key, and the key picks the partition as
 * Java's producer does (murmur2); a line without a separator, or no
 * separator option, gives a null key placed "sticky": all of one batch on
 * one partition, the next batch on the next. Records are gathered into
 * RecordBatch v2 batches of up to --batch-bytes per partition and appended
 * a batch at a time. Takes the data directory's write lock.
 */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "log/compress.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/partitioner.h"
#include "log/record_batch.h"

static const char usage_text[] =
    "rill produce TOPIC [--file F] [--key-separator SEP] [--partition P]\n"
    "       [--acks all|1] [--partitions N (if created)] [--compression "
    "none|gzip|snappy|lz4|zstd]\n"
    "       [--batch-bytes B] [--timestamp MS] [--quiet] [--data DIR]\n"
    "       or, on a running broker: [--file F] [--key-separator SEP] "
    "[--partition P] [--acks all|1]\n"
    "       [--quiet] --bootstrap HOST:PORT";

struct part_state {
    struct partition *p;
    struct record_batch_builder b;
    int64_t records, bytes, batches;
    int64_t first, last;
};

struct producer {
    const char *topic;
    struct part_state *parts;
    int32_t nparts;
    int32_t sticky;
    size_t batch_bytes;
    struct buf out;
};

/* Finishes the partition's open batch and appends it. */
static int flush_part(struct producer *pr, int32_t i)
{
    struct part_state *ps = &pr->parts[i];
    int32_t n = record_batch_builder_count(&ps->b);
    if (n == 0)
        return 0;
    buf_reset(&pr->out);
    int rc = record_batch_builder_finish(&ps->b, &pr->out);
    if (rc == 0) {
        int64_t base;
        rc = partition_append(ps->p, pr->out.data, pr->out.len, &base);
        if (rc == 0) {
            if (ps->first < 0)
                ps->first = base;
            ps->last = base + n - 1;
            ps->records += n;
            ps->bytes += (int64_t)pr->out.len;
            ps->batches++;
        }
    }
    if (rc)
        fprintf(stderr, "rill produce: append to %s-%d: %s\n", pr->topic, i,
                err_str(rc));
    record_batch_builder_reset(&ps->b);
    if (i == pr->sticky)
        pr->sticky = (pr->sticky + 1) % pr->nparts;
    return rc;
}

static int add_line(struct producer *pr, const char *line, size_t len,
                    const char *sep, size_t seplen, int32_t fixed_part,
                    int64_t ts)
{
    struct slice key, value;
    const struct slice *kp = NULL;
    value = slice_make(line, len);
    if (sep) {
        const char *at = memmem(line, len, sep, seplen);
        if (at) {
            key = slice_make(line, (size_t)(at - line));
            value = slice_make(at + seplen, len - (size_t)(at - line) - seplen);
            kp = &key;
        }
    }
    int32_t part;
    if (fixed_part >= 0)
        part = fixed_part;
    else if (kp)
        part = partitioner_for_key(key.ptr, key.len, pr->nparts);
    else
        part = pr->sticky;
    struct part_state *ps = &pr->parts[part];
    /* Keep the batch under the limit: flush first if this record would
     * push it over (a single huge record still gets a batch of its own). */
    size_t approx = len + 32;
    if (record_batch_builder_count(&ps->b) > 0 &&
        record_batch_builder_size(&ps->b) + approx > pr->batch_bytes) {
        int rc = flush_part(pr, part);
        if (rc)
            return rc;
        if (!kp && fixed_part < 0) {
            part = pr->sticky;
            ps = &pr->parts[part];
        }
    }
    int rc = record_batch_builder_add(&ps->b, kp, &value, ts, NULL, 0);
    if (rc)
        fprintf(stderr, "rill produce: record too large\n");
    return rc;
}

static int open_topic(struct logdir *ld, const char *topic, int64_t parts,
                      bool parts_given, int32_t *nparts,
                      struct logdir_topic_config *cfg)
{
    int n = logdir_topic_partitions(ld, topic);
    if (n == ERR_NOT_FOUND) {
        if (!logdir_topic_name_valid(topic)) {
            fprintf(stderr, "rill produce: invalid topic name '%s'\n", topic);
            return 1;
        }
        logdir_topic_config_init(cfg);
        cfg->partitions = (int32_t)parts;
        int rc = logdir_topic_create(ld, topic, cfg);
        if (rc && rc != ERR_EXISTS) {
            fprintf(stderr, "rill produce: create topic '%s': %s\n", topic,
                    err_str(rc));
            return 1;
        }
        fprintf(stderr,
                "rill produce: created topic %s with %" PRId64
                " partition(s)\n",
                topic, parts);
        n = logdir_topic_partitions(ld, topic);
    } else if (n > 0 && parts_given && n != parts) {
        fprintf(stderr,
                "rill produce: note: topic %s exists with %d "
                "partitions; --partitions ignored\n",
                topic, n);
    }
    if (n <= 0 || logdir_topic_config(ld, topic, cfg) != 0) {
        fprintf(stderr, "rill produce: topic '%s': %s\n", topic,
                err_str(n <= 0 ? n : ERR_NOT_FOUND));
        return 1;
    }
    *nparts = n;
    return 0;
}

int cli_produce(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    const char *file = cli_opt(&a, "file");
    const char *sep = cli_opt(&a, "key-separator");
    const char *acks = cli_opt(&a, "acks");
    const char *part_s = cli_opt(&a, "partition");
    const char *parts_s = cli_opt(&a, "partitions");
    const char *codec_s = cli_opt(&a, "compression");
    const char *batch_s = cli_opt(&a, "batch-bytes");
    const char *ts_s = cli_opt(&a, "timestamp");
    bool quiet = cli_flag(&a, "quiet");
    const char *bootstrap = cli_opt(&a, "bootstrap");
    const char *topic = cli_positional(&a, 0);
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!topic) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    int64_t fixed_part = -1, parts = 1, batch_bytes = 256 * 1024, ts_fixed = -1;
    if ((part_s && cli_parse_i64("partition", part_s, &fixed_part)) ||
        (parts_s && cli_parse_i64("partitions", parts_s, &parts)) ||
        (batch_s && cli_parse_i64("batch-bytes", batch_s, &batch_bytes)) ||
        (ts_s && cli_parse_i64("timestamp", ts_s, &ts_fixed)))
        return 2;
    bool acks_all = false;
    if (acks) {
        if (!strcmp(acks, "all") || !strcmp(acks, "-1"))
            acks_all = true;
        else if (strcmp(acks, "1") != 0 && strcmp(acks, "0") != 0) {
            fprintf(stderr, "rill produce: --acks expects all or 1\n");
            return 2;
        }
    }
    int codec = COMPRESS_NONE;
    if (codec_s && (codec = compress_codec_parse(codec_s)) < 0) {
        fprintf(stderr, "rill produce: unknown --compression '%s'\n", codec_s);
        return 2;
    }
    if (parts < 1 || parts > 100000 || batch_bytes < 64 ||
        (ts_s && ts_fixed < 0)) {
        fprintf(stderr,
                "rill produce: bad --partitions, --batch-bytes or "
                "--timestamp\nusage: %s\n",
                usage_text);
        return 2;
    }
    if (sep && !*sep) {
        fprintf(stderr, "rill produce: --key-separator must not be empty\n");
        return 2;
    }
    if (bootstrap)
        return cli_produce_remote(bootstrap, topic, file, sep,
                                  (int32_t)fixed_part, acks, quiet);

    FILE *in = stdin;
    if (file && strcmp(file, "-") != 0) {
        in = fopen(file, "rb");
        if (!in) {
            fprintf(stderr, "rill produce: %s: %s\n", file, strerror(errno));
            return 1;
        }
    }
    static char inbuf[1 << 16];
    setvbuf(in, inbuf, _IOFBF, sizeof inbuf);

    struct logdir *ld;
    rc = logdir_open(dir, NULL, &ld);
    if (rc) {
        if (rc == -EBUSY)
            fprintf(stderr,
                    "rill produce: %s is in use by another rill "
                    "process (rill serve?): produce through it with "
                    "a Kafka client instead\n",
                    dir);
        else
            fprintf(stderr, "rill produce: cannot open %s: %s\n", dir,
                    err_str(rc));
        if (in != stdin)
            fclose(in);
        return 1;
    }
    int status = 1;
    struct producer pr;
    memset(&pr, 0, sizeof pr);
    pr.topic = topic;
    buf_init(&pr.out);
    struct logdir_topic_config cfg;
    if (open_topic(ld, topic, parts, parts_s != NULL, &pr.nparts, &cfg))
        goto out_close;
    if (fixed_part >= pr.nparts) {
        fprintf(stderr, "rill produce: topic %s has no partition %" PRId64 "\n",
                topic, fixed_part);
        goto out_close;
    }
    /* Stay under the topic's max.message.bytes even if nothing compresses. */
    if (cfg.max_message_bytes > 1024 &&
        batch_bytes > cfg.max_message_bytes - 512)
        batch_bytes = cfg.max_message_bytes - 512;
    pr.batch_bytes = (size_t)batch_bytes;
    pr.parts = mem_calloc((size_t)pr.nparts, sizeof *pr.parts);
    for (int32_t i = 0; i < pr.nparts; i++) {
        pr.parts[i].p = logdir_partition(ld, topic, i);
        pr.parts[i].first = pr.parts[i].last = -1;
        record_batch_builder_init(&pr.parts[i].b, codec);
    }

    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int64_t lines = 0, now = 0;
    size_t seplen = sep ? strlen(sep) : 0;
    rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)got;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        /* One clock read per 256 lines: timestamps stay ms-accurate
         * enough for a CLI and the loop makes no syscall per record. */
        if ((lines & 255) == 0)
            now = clock_now_ms();
        rc = add_line(&pr, line, len, sep, seplen, (int32_t)fixed_part,
                      ts_s ? ts_fixed : now);
        lines++;
    }
    free(line);
    if (ferror(in)) {
        fprintf(stderr, "rill produce: read error: %s\n", strerror(errno));
        rc = -EIO;
    }
    for (int32_t i = 0; i < pr.nparts; i++) {
        int frc = flush_part(&pr, i);
        if (!rc)
            rc = frc;
    }
    if (rc == 0 && acks_all) {
        for (int32_t i = 0; i < pr.nparts && rc == 0; i++) {
            struct part_state *ps = &pr.parts[i];
            if (ps->records == 0)
                continue;
            rc = partition_wait_durable(ps->p, ps->last + 1, 60000);
            if (rc)
                fprintf(stderr,
                        "rill produce: waiting for fsync of %s-%d: "
                        "%s\n",
                        topic, i, err_str(rc));
        }
    }
    /* The topic's retention.ms / retention.bytes apply here too (rill
     * serve's flusher runs them periodically): whole old segments go. */
    int deleted = logdir_retention_run(ld, clock_now_ms());
    if (deleted > 0 && !quiet)
        fprintf(stderr,
                "rill produce: retention deleted %d old segment(s) of %s\n",
                deleted, topic);
    if (!quiet) {
        int64_t total = 0, bytes = 0, batches = 0;
        for (int32_t i = 0; i < pr.nparts; i++) {
            total += pr.parts[i].records;
            bytes += pr.parts[i].bytes;
            batches += pr.parts[i].batches;
        }
        printf("produced %" PRId64 " records (%" PRId64 " bytes in %" PRId64
               " batches) to %s%s\n",
               total, bytes, batches, topic,
               !acks_all ? ""
               : rc == 0 ? ", durable (acks=all)"
                         : ", NOT acknowledged as durable (acks=all failed)");
        for (int32_t i = 0; i < pr.nparts; i++) {
            struct part_state *ps = &pr.parts[i];
            if (ps->records == 0)
                continue;
            printf("  partition %d: %" PRId64 " records, %" PRId64
                   " bytes, offsets %" PRId64 "..%" PRId64 "\n",
                   i, ps->records, ps->bytes, ps->first, ps->last);
        }
    }
    status = rc ? 1 : 0;
    for (int32_t i = 0; i < pr.nparts; i++)
        record_batch_builder_fini(&pr.parts[i].b);
    mem_free(pr.parts);
out_close:
    buf_fini(&pr.out);
    logdir_close(ld);
    if (in != stdin)
        fclose(in);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
