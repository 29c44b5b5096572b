/* cli_consume.c - `rill consume TOPIC`: print the records of a topic from a
 * data directory, without a broker (layer: cli).
 *
 * Opens the logdir read-only (no lock), so it runs beside `rill serve` or a
 * `rill produce`; with --follow it reopens the directory every poll to see
 * what other processes appended. Checks every batch's CRC, decompresses,
 * skips control batches (transaction markers) and records below the start
 * offset inside the first batch. Partitions are read round-robin, a chunk
 * of batches at a time, each in offset order.
 */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"

static const char usage_text[] =
    "rill consume TOPIC [--from beginning|end|OFFSET|-N|@TIMESTAMP_MS]\n"
    "       [--partition P] [--max N] [--follow] [--format FMT]\n"
    "       [--data DIR | --bootstrap HOST:PORT (a running broker; --from\n"
    "        without @TIMESTAMP_MS, FMT without %h)]\n"
    "  FMT (kcat style): %t topic %p partition %o offset %k key %s value\n"
    "       %T timestamp %K key size %S value size %h headers %% ;"
    " escapes \\n \\t \\r \\\\ (default \"%s\\n\")";

#define READ_CHUNK (1u << 20)
#define POLL_MS 200

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct consumer {
    const char *topic;
    const char *dir;
    const char *format;
    struct logdir *ld;
    int32_t first_part, nparts; /* the partitions read: [first, first+n) */
    int64_t *next;              /* next offset to print, per partition read */
    int64_t printed, max;
    struct buf data, scratch;
    bool out_closed;
};

static void put_slice(struct slice s)
{
    if (s.len)
        fwrite(s.ptr, 1, s.len, stdout);
}

static void print_headers(const struct record *r)
{
    struct record_header_iter hi;
    struct slice k, v;
    bool vnull;
    bool first = true;
    record_header_iter_init(&hi, r);
    while (record_header_iter_next(&hi, &k, &v, &vnull) == 1) {
        if (!first)
            putchar(',');
        put_slice(k);
        putchar('=');
        if (!vnull)
            put_slice(v);
        first = false;
    }
}

static void print_record(const struct consumer *c, int32_t part,
                         const struct record *r)
{
    for (const char *f = c->format; *f; f++) {
        if (*f == '\\' && f[1]) {
            f++;
            switch (*f) {
            case 'n':
                putchar('\n');
                break;
            case 't':
                putchar('\t');
                break;
            case 'r':
                putchar('\r');
                break;
            case '0':
                putchar('\0');
                break;
            default:
                putchar(*f);
                break;
            }
            continue;
        }
        if (*f != '%' || !f[1]) {
            putchar(*f);
            continue;
        }
        f++;
        switch (*f) {
        case 't':
            fputs(c->topic, stdout);
            break;
        case 'p':
            printf("%d", part);
            break;
        case 'o':
            printf("%" PRId64, r->offset);
            break;
        case 'k':
            put_slice(r->key);
            break;
        case 's':
            put_slice(r->value);
            break;
        case 'T':
            printf("%" PRId64, r->timestamp);
            break;
        case 'K':
            printf("%d", r->key_null ? -1 : (int)r->key.len);
            break;
        case 'S':
            printf("%d", r->value_null ? -1 : (int)r->value.len);
            break;
        case 'h':
            print_headers(r);
            break;
        case '%':
            putchar('%');
            break;
        default:
            putchar('%');
            putchar(*f);
            break;
        }
    }
}

/* Resolves --from for one partition. Returns 0 or 1 (error printed). */
static int start_offset(struct consumer *c, struct partition *p,
                        const char *from, int64_t *out)
{
    int64_t start = partition_log_start_offset(p);
    int64_t end = partition_high_watermark(p);
    if (!from || !strcmp(from, "beginning")) {
        *out = start;
    } else if (!strcmp(from, "end")) {
        *out = end;
    } else if (from[0] == '@') {
        int64_t ts, off;
        if (cli_parse_i64("from", from + 1, &ts))
            return 1;
        int rc = partition_offset_for_timestamp(p, ts, &off);
        if (rc) {
            fprintf(stderr, "rill consume: %s-%d: offset for timestamp: %s\n",
                    c->topic, partition_id(p), err_str(rc));
            return 1;
        }
        *out = off < 0 ? end : off;
    } else {
        int64_t v;
        if (cli_parse_i64("from", from, &v))
            return 1;
        *out = v < 0 ? end + v : v; /* -N: the last N */
    }
    if (*out < start)
        *out = start;
    if (*out > end)
        *out = end;
    return 0;
}

/* Prints the records of one batch at or above *next. Returns 0, 1 when
 * --max was reached, or a negative error. */
static int print_batch(struct consumer *c, int32_t part, const uint8_t *p,
                       size_t n, const struct record_batch_header *h)
{
    int64_t *next = &c->next[part - c->first_part];
    int64_t after = record_batch_last_offset(h) + 1;
    if (record_batch_verify(p, n) != 0) {
        fprintf(stderr,
                "rill consume: %s-%d: batch at offset %" PRId64
                " has a bad CRC\n",
                c->topic, part, h->base_offset);
        return ERR_CORRUPT;
    }
    if (record_batch_attr_control(h->attributes) || after <= *next) {
        if (after > *next)
            *next = after;
        return 0;
    }
    struct record_iter it;
    struct record r;
    int rc = record_iter_init(&it, p, n, &c->scratch);
    while (rc == 0 && (rc = record_iter_next(&it, &r)) == 1) {
        rc = 0;
        if (r.offset < *next)
            continue;
        print_record(c, part, &r);
        *next = r.offset + 1;
        if (c->max >= 0 && ++c->printed >= c->max)
            return 1;
    }
    if (rc < 0) {
        fprintf(stderr,
                "rill consume: %s-%d: batch at offset %" PRId64 ": %s\n",
                c->topic, part, h->base_offset, err_str(rc));
        return rc;
    }
    if (after > *next)
        *next = after;
    return 0;
}

/* One round over the partitions. Returns 1 if anything was read, 0 if all
 * are at their high watermark, 2 when --max was reached, <0 on error. */
static int poll_once(struct consumer *c)
{
    int progress = 0;
    for (int32_t i = 0; i < c->nparts; i++) {
        int32_t part = c->first_part + i;
        struct partition *p = logdir_partition(c->ld, c->topic, part);
        if (!p)
            return ERR_NOT_FOUND;
        int64_t hwm = partition_high_watermark(p);
        if (c->next[i] < partition_log_start_offset(p))
            c->next[i] = partition_log_start_offset(p); /* retention */
        if (c->next[i] >= hwm)
            continue;
        buf_reset(&c->data);
        int64_t nxt;
        int rc = partition_read_copy(p, c->next[i], READ_CHUNK, &c->data, &nxt);
        if (rc == ERR_RANGE)
            continue;
        if (rc)
            return rc;
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bn;
        record_batch_walk_init(&w, c->data.data, c->data.len);
        while ((rc = record_batch_walk_next(&w, &h, &bp, &bn)) == 1) {
            rc = print_batch(c, part, bp, bn, &h);
            if (rc == 1)
                return 2;
            if (rc < 0)
                return rc;
            progress = 1;
            if (ferror(stdout)) {
                c->out_closed = true;
                return 2;
            }
        }
        if (rc < 0)
            return rc;
        if (!progress && nxt > c->next[i]) {
            c->next[i] = nxt; /* nothing decodable, move on */
            progress = 1;
        }
    }
    return progress;
}

static int open_ro(struct consumer *c)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.read_only = true;
    o.no_flusher = true;
    if (cli_dir_missing("consume", c->dir)) {
        c->ld = NULL;
        return -ENOENT;
    }
    int rc = logdir_open(c->dir, &o, &c->ld);
    if (rc) {
        fprintf(stderr, "rill consume: cannot open %s: %s\n", c->dir,
                rc == -ENOENT ? "no such data directory" : err_str(rc));
        c->ld = NULL;
    }
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int cli_consume(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    struct consumer c;
    memset(&c, 0, sizeof c);
    c.dir = cli_data_dir(cli_opt(&a, "data"));
    const char *from = cli_opt(&a, "from");
    const char *part_s = cli_opt(&a, "partition");
    const char *max_s = cli_opt(&a, "max");
    c.format = cli_opt(&a, "format");
    bool follow = cli_flag(&a, "follow");
    const char *bootstrap = cli_opt(&a, "bootstrap");
    c.topic = cli_positional(&a, 0);
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!c.topic) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    if (!c.format)
        c.format = "%s\\n";
    int64_t part = -1;
    c.max = -1;
    if ((part_s && cli_parse_i64("partition", part_s, &part)) ||
        (max_s && cli_parse_i64("max", max_s, &c.max)))
        return 2;
    if ((part_s && part < 0) || (max_s && c.max < 0)) {
        fprintf(stderr, "rill consume: --partition and --max must be >= 0\n");
        return 2;
    }
    if (from && strcmp(from, "beginning") && strcmp(from, "end")) {
        int64_t v;
        if (cli_parse_i64("from", from[0] == '@' ? from + 1 : from, &v))
            return 2;
    }
    if (c.max == 0)
        return 0;
    if (bootstrap)
        return cli_consume_remote(bootstrap, c.topic, from, (int32_t)part,
                                  c.max, c.format, follow);
    if (open_ro(&c))
        return 1;
    int status = 1;
    int n = logdir_topic_partitions(c.ld, c.topic);
    if (n <= 0) {
        fprintf(stderr, "rill consume: topic '%s' not found\n", c.topic);
        goto out_close;
    }
    if (part >= n) {
        fprintf(stderr, "rill consume: topic %s has no partition %" PRId64 "\n",
                c.topic, part);
        goto out_close;
    }
    c.first_part = part >= 0 ? (int32_t)part : 0;
    c.nparts = part >= 0 ? 1 : n;
    c.next = mem_calloc((size_t)c.nparts, sizeof *c.next);
    for (int32_t i = 0; i < c.nparts; i++) {
        struct partition *p = logdir_partition(c.ld, c.topic, c.first_part + i);
        if (!p || start_offset(&c, p, from, &c.next[i]))
            goto out_free;
    }
    buf_init(&c.data);
    buf_init(&c.scratch);
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    if (follow) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    for (;;) {
        rc = poll_once(&c);
        if (rc < 0 || rc == 2 || stop_flag)
            break;
        if (rc == 1)
            continue;
        if (!follow)
            break;
        fflush(stdout);
        sleep_ms(POLL_MS);
        if (stop_flag)
            break;
        /* Other processes append to the files; a fresh read-only open sees
         * their new high watermark. */
        logdir_close(c.ld);
        if (open_ro(&c)) {
            rc = -ENOENT;
            break;
        }
    }
    if (rc == ERR_NOT_FOUND)
        fprintf(stderr, "rill consume: topic '%s' disappeared\n", c.topic);
    else if (rc < 0 && rc != -ENOENT && rc != ERR_CORRUPT)
        fprintf(stderr, "rill consume: read: %s\n", err_str(rc));
    status = rc < 0 ? 1 : 0;
    if (fflush(stdout) != 0 || c.out_closed)
        status = c.out_closed ? 0 : 1; /* a closed pipe is a normal end */
    buf_fini(&c.data);
    buf_fini(&c.scratch);
out_free:
    mem_free(c.next);
out_close:
    logdir_close(c.ld);
    return status;
}
