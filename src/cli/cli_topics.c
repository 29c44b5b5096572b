/* cli_topics.c - `rill topics create|list|describe|delete` on a data
 * directory, without a running broker (layer: cli).
 *
 * Opens the logdir directly: create and delete take its write lock (and so
 * fail while `rill serve` holds it: use a Kafka admin client then); list
 * and describe open it read-only and work alongside a broker.
 */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"

static const char usage_text[] =
    "rill topics create NAME --partitions N [--retention-ms MS] "
    "[--retention-bytes B] [--segment-bytes B] [--segment-ms MS]\n"
    "       rill topics list\n"
    "       rill topics describe NAME\n"
    "       rill topics delete NAME\n"
    "  (all take --data DIR; default $RILL_DATA or ./rill-data)";

static int open_dir(const char *dir, bool read_only, struct logdir **ld)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.read_only = read_only;
    o.no_flusher = true;
    int rc = logdir_open(dir, &o, ld);
    if (rc == -EBUSY)
        fprintf(stderr,
                "rill topics: %s is in use by another rill process "
                "(rill serve?)\n",
                dir);
    else if (rc == -ENOENT)
        fprintf(stderr, "rill topics: no data directory at %s\n", dir);
    else if (rc)
        fprintf(stderr, "rill topics: cannot open %s: %s\n", dir, err_str(rc));
    return rc;
}

/* Options are all scanned before positionals, so they may come anywhere. */
struct topic_opts {
    const char *partitions, *retention_ms, *retention_bytes, *segment_bytes;
    const char *segment_ms;
    const char *name;
};

static int opt_i64(const char *name, const char *s, int64_t *v)
{
    if (!s)
        return 0;
    return cli_parse_i64(name, s, v);
}

static int do_create(const struct topic_opts *o, const char *dir)
{
    const char *name = o->name;
    struct logdir_topic_config cfg;
    logdir_topic_config_init(&cfg);
    int64_t parts = 1;
    if (opt_i64("partitions", o->partitions, &parts) ||
        opt_i64("retention-ms", o->retention_ms, &cfg.retention_ms) ||
        opt_i64("retention-bytes", o->retention_bytes, &cfg.retention_bytes) ||
        opt_i64("segment-bytes", o->segment_bytes, &cfg.segment_bytes) ||
        opt_i64("segment-ms", o->segment_ms, &cfg.segment_ms))
        return 2;
    int rc;
    if (!logdir_topic_name_valid(name)) {
        fprintf(stderr,
                "rill topics: invalid topic name '%s' (1-249 of "
                "[a-zA-Z0-9._-], not . or ..)\n",
                name);
        return 1;
    }
    if (parts < 1 || parts > 100000) {
        fprintf(stderr, "rill topics: --partitions must be 1..100000\n");
        return 1;
    }
    cfg.partitions = (int32_t)parts;
    /* The limits logdir_topic_create enforces, named for the user. */
    if (cfg.retention_ms < -1 || cfg.retention_bytes < -1) {
        fprintf(stderr, "rill topics: --retention-ms and --retention-bytes "
                        "must be >= 0, or -1 for no limit\n");
        return 1;
    }
    if (cfg.segment_bytes < 1024 || cfg.segment_bytes > INT32_MAX) {
        fprintf(stderr,
                "rill topics: --segment-bytes must be 1024..2147483647\n");
        return 1;
    }
    if (cfg.segment_ms < 1) {
        fprintf(stderr, "rill topics: --segment-ms must be >= 1\n");
        return 1;
    }
    struct logdir *ld;
    if (open_dir(dir, false, &ld))
        return 1;
    rc = logdir_topic_create(ld, name, &cfg);
    if (rc == ERR_EXISTS)
        fprintf(stderr, "rill topics: topic '%s' already exists\n", name);
    else if (rc)
        fprintf(stderr, "rill topics: create '%s': %s\n", name, err_str(rc));
    else
        printf("created topic %s with %d partition%s\n", name, cfg.partitions,
               cfg.partitions == 1 ? "" : "s");
    logdir_close(ld);
    return rc ? 1 : 0;
}

static int do_delete(const struct topic_opts *o, const char *dir)
{
    const char *name = o->name;
    int rc;
    struct logdir *ld;
    if (open_dir(dir, false, &ld))
        return 1;
    rc = logdir_topic_delete(ld, name);
    if (rc == ERR_NOT_FOUND)
        fprintf(stderr, "rill topics: topic '%s' not found\n", name);
    else if (rc)
        fprintf(stderr, "rill topics: delete '%s': %s\n", name, err_str(rc));
    else
        printf("deleted topic %s\n", name);
    logdir_close(ld);
    return rc ? 1 : 0;
}

static int do_list(const char *dir)
{
    int rc;
    struct logdir *ld;
    rc = open_dir(dir, true, &ld);
    if (rc)
        return 1;
    char **names;
    size_t count;
    rc = logdir_topic_list(ld, &names, &count);
    if (rc) {
        fprintf(stderr, "rill topics: list: %s\n", err_str(rc));
        logdir_close(ld);
        return 1;
    }
    for (size_t i = 0; i < count; i++)
        printf("%s\n", names[i]);
    logdir_names_free(names, count);
    logdir_close(ld);
    return 0;
}

static int do_describe(const struct topic_opts *o, const char *dir)
{
    const char *name = o->name;
    int rc;
    struct logdir *ld;
    if (open_dir(dir, true, &ld))
        return 1;
    struct logdir_topic_config cfg;
    rc = logdir_topic_config(ld, name, &cfg);
    if (rc) {
        fprintf(stderr, "rill topics: topic '%s' not found\n", name);
        logdir_close(ld);
        return 1;
    }
    printf("Topic: %s\tPartitions: %d\tretention.ms: %" PRId64
           "\tretention.bytes: %" PRId64 "\tsegment.bytes: %" PRId64
           "\tsegment.ms: %" PRId64 "\tmax.message.bytes: %d\n",
           name, cfg.partitions, cfg.retention_ms, cfg.retention_bytes,
           cfg.segment_bytes, cfg.segment_ms, cfg.max_message_bytes);
    int status = 0;
    for (int32_t i = 0; i < cfg.partitions; i++) {
        struct partition *p = logdir_partition(ld, name, i);
        if (!p) {
            printf("\tPartition: %d\tMISSING\n", i);
            status = 1;
            continue;
        }
        int failed = partition_failed(p);
        printf("\tPartition: %d\tLogStartOffset: %" PRId64
               "\tHighWatermark: %" PRId64 "\tSizeBytes: %" PRId64
               "\tSegments: %d%s%s\n",
               i, partition_log_start_offset(p), partition_high_watermark(p),
               partition_size_bytes(p), partition_segment_count(p),
               failed ? "\tFAILED: " : "", failed ? err_str(failed) : "");
    }
    logdir_close(ld);
    return status;
}

int cli_topics(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    struct topic_opts o;
    o.partitions = cli_opt(&a, "partitions");
    o.retention_ms = cli_opt(&a, "retention-ms");
    o.retention_bytes = cli_opt(&a, "retention-bytes");
    o.segment_bytes = cli_opt(&a, "segment-bytes");
    o.segment_ms = cli_opt(&a, "segment-ms");
    const char *verb = cli_positional(&a, 0);
    o.name = cli_positional(&a, 0); /* the next unused one */
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!verb) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    bool list = !strcmp(verb, "list");
    if (!list && !o.name &&
        (!strcmp(verb, "create") || !strcmp(verb, "delete") ||
         !strcmp(verb, "describe"))) {
        fprintf(stderr, "rill topics %s: missing topic NAME\nusage: %s\n", verb,
                usage_text);
        return 2;
    }
    if (!strcmp(verb, "create"))
        return do_create(&o, dir);
    if (!strcmp(verb, "delete"))
        return do_delete(&o, dir);
    if (list)
        return do_list(dir);
    if (!strcmp(verb, "describe"))
        return do_describe(&o, dir);
    fprintf(stderr, "rill topics: unknown verb '%s'\nusage: %s\n", verb,
            usage_text);
    return 2;
}
