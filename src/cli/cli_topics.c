/* cli_topics.c - `rill topics create|list|describe|delete|alter` on a data
 * directory, or with --bootstrap HOST:PORT on a running broker
 * (cli_topics_remote.c) (layer: cli).
 *
 * On a data directory it opens the logdir directly: create, delete and
 * alter take its write lock (and so fail while `rill serve` holds it; the
 * message then points to --bootstrap); list and describe open it read-only
 * and work alongside a broker.
 */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"

static const char usage_text[] =
    "rill topics create NAME --partitions N [SETTINGS]\n"
    "       rill topics list\n"
    "       rill topics describe NAME\n"
    "       rill topics delete NAME\n"
    "       rill topics alter NAME [--partitions N] [SETTINGS]\n"
    "  SETTINGS: [--retention-ms MS] [--retention-bytes B] "
    "[--segment-bytes B]\n"
    "            [--segment-ms MS] [--max-message-bytes B]\n"
    "            [--config KEY=VALUE]... (Kafka topic keys, e.g.\n"
    "            cleanup.policy=compact, delete.retention.ms=MS,\n"
    "            min.compaction.lag.ms=MS, min.cleanable.dirty.ratio=R)\n"
    "  on a data directory: --data DIR (default $RILL_DATA or ./rill-data);\n"
    "  on a running broker (rill serve or any Kafka cluster): --bootstrap "
    "HOST:PORT [--timeout MS]";

static const char *verb_now = "VERB";

static int open_dir(const char *dir, bool read_only, struct logdir **ld)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.read_only = read_only;
    o.no_flusher = true;
    if (read_only && cli_dir_missing("topics", dir))
        return -ENOENT;
    int rc = logdir_open(dir, &o, ld);
    if (rc == -EBUSY)
        fprintf(stderr,
                "rill topics: %s is held by a running broker (rill serve); "
                "manage its topics through it: rill topics %s ... "
                "--bootstrap HOST:PORT\n",
                dir, verb_now);
    else if (rc == -ENOENT)
        fprintf(stderr, "rill topics: no data directory at %s\n", dir);
    else if (rc)
        fprintf(stderr, "rill topics: cannot open %s: %s\n", dir, err_str(rc));
    return rc;
}

/* Options are all scanned before positionals, so they may come anywhere. */
struct topic_opts {
    const char *partitions, *retention_ms, *retention_bytes, *segment_bytes;
    const char *segment_ms, *max_message_bytes;
    const char *name;
    /* --config KEY=VALUE, repeatable (Kafka topic keys) */
    const char *configs[16];
    size_t nconfigs;
};

/* Every --config KEY=VALUE (or --config=KEY=VALUE), marked used. */
static size_t config_opts(struct cli_args *a, const char **out, size_t max)
{
    size_t n = 0;
    for (int i = 1; i < a->argc && n < max; i++) {
        const char *s = a->argv[i];
        if (a->used[i])
            continue;
        if (!strncmp(s, "--config=", 9)) {
            a->used[i] = true;
            out[n++] = s + 9;
        } else if (!strcmp(s, "--config") && i + 1 < a->argc) {
            a->used[i] = a->used[i + 1] = true;
            out[n++] = a->argv[++i];
        }
    }
    return n;
}

/* Applies one KEY=VALUE to cfg (a data directory's topic); 0 or 2. */
static int apply_config(struct logdir_topic_config *cfg, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        fprintf(stderr, "rill topics: --config takes KEY=VALUE, not '%s'\n",
                kv);
        return 2;
    }
    size_t kn = (size_t)(eq - kv);
    const char *v = eq + 1;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    bool num = end != v && *end == '\0';
#define KEY_IS(k) (kn == strlen(k) && !strncmp(kv, k, kn))
    if (KEY_IS("cleanup.policy")) {
        int bits = logdir_cleanup_policy_parse(v, strlen(v));
        if (bits > 0) {
            cfg->cleanup_policy = bits;
            return 0;
        }
    } else if (KEY_IS("min.cleanable.dirty.ratio")) {
        double r = strtod(v, &end);
        if (end != v && *end == '\0' && r >= 0 && r <= 1) {
            cfg->min_cleanable_dirty_ratio = r;
            return 0;
        }
    } else if (num && n >= 0 && KEY_IS("delete.retention.ms")) {
        cfg->delete_retention_ms = n;
        return 0;
    } else if (num && n >= 0 && KEY_IS("min.compaction.lag.ms")) {
        cfg->min_compaction_lag_ms = n;
        return 0;
    } else if (num && KEY_IS("retention.ms")) {
        cfg->retention_ms = n;
        return 0;
    } else if (num && KEY_IS("retention.bytes")) {
        cfg->retention_bytes = n;
        return 0;
    } else if (num && KEY_IS("segment.bytes")) {
        cfg->segment_bytes = n;
        return 0;
    } else if (num && KEY_IS("segment.ms")) {
        cfg->segment_ms = n;
        return 0;
    } else if (num && n >= 64 && n <= INT32_MAX &&
               KEY_IS("max.message.bytes")) {
        cfg->max_message_bytes = (int32_t)n;
        return 0;
    }
#undef KEY_IS
    fprintf(stderr, "rill topics: --config %s: unknown key or bad value\n", kv);
    return 2;
}

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
    if (o->max_message_bytes) {
        int64_t v;
        if (opt_i64("max-message-bytes", o->max_message_bytes, &v))
            return 2;
        if (v < 64 || v > INT32_MAX) {
            fprintf(stderr, "rill topics: --max-message-bytes out of range\n");
            return 1;
        }
        cfg.max_message_bytes = (int32_t)v;
    }
    for (size_t i = 0; i < o->nconfigs; i++)
        if (apply_config(&cfg, o->configs[i]))
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
    /* Deleting from a directory that is not there is an error, and must
     * not leave an empty one behind. */
    if (cli_dir_missing("topics", dir) || open_dir(dir, false, &ld))
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

/* The settings given on the command line, as Kafka topic keys. */
static int settings(const struct topic_opts *o, struct cli_topic_settings *s)
{
    static const char *const keys[] = {"retention.ms", "retention.bytes",
                                       "segment.bytes", "segment.ms",
                                       "max.message.bytes"};
    static const char *const flags[] = {"retention-ms", "retention-bytes",
                                        "segment-bytes", "segment-ms",
                                        "max-message-bytes"};
    const char *vals[] = {o->retention_ms, o->retention_bytes, o->segment_bytes,
                          o->segment_ms, o->max_message_bytes};
    memset(s, 0, sizeof(*s));
    s->name = o->name;
    int64_t v = 0;
    if (o->partitions) {
        if (opt_i64("partitions", o->partitions, &v))
            return 2;
        if (v < 1 || v > 100000) {
            fprintf(stderr, "rill topics: --partitions must be 1..100000\n");
            return 2;
        }
        s->partitions = (int32_t)v;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!vals[i])
            continue;
        if (opt_i64(flags[i], vals[i], &v))
            return 2;
        s->keys[s->n] = keys[i];
        s->values[s->n] = vals[i];
        s->n++;
    }
    /* --config KEY=VALUE: the key is copied (the value points into argv). */
    static char key_store[16][64];
    for (size_t i = 0; i < o->nconfigs && s->n < 16; i++) {
        const char *eq = strchr(o->configs[i], '=');
        size_t kn = eq ? (size_t)(eq - o->configs[i]) : 0;
        if (!eq || kn == 0 || kn >= sizeof key_store[0]) {
            fprintf(stderr, "rill topics: --config takes KEY=VALUE\n");
            return 2;
        }
        memcpy(key_store[i], o->configs[i], kn);
        key_store[i][kn] = '\0';
        s->keys[s->n] = key_store[i];
        s->values[s->n] = eq + 1;
        s->n++;
    }
    return 0;
}

/* alter on a data directory: the same checks as the broker's. */
static int do_alter(const struct topic_opts *o, const char *dir)
{
    struct cli_topic_settings s;
    int rc = settings(o, &s);
    if (rc)
        return rc;
    if (s.partitions <= 0 && s.n == 0) {
        fprintf(stderr, "rill topics alter: nothing to change\nusage: %s\n",
                usage_text);
        return 2;
    }
    struct logdir *ld;
    if (cli_dir_missing("topics", dir) || open_dir(dir, false, &ld))
        return 1;
    struct logdir_topic_config cfg;
    rc = logdir_topic_config(ld, o->name, &cfg);
    if (rc) {
        fprintf(stderr, "rill topics: topic '%s' not found\n", o->name);
        goto out_close;
    }
    if (opt_i64("retention-ms", o->retention_ms, &cfg.retention_ms) ||
        opt_i64("retention-bytes", o->retention_bytes, &cfg.retention_bytes) ||
        opt_i64("segment-bytes", o->segment_bytes, &cfg.segment_bytes) ||
        opt_i64("segment-ms", o->segment_ms, &cfg.segment_ms)) {
        rc = 2;
        goto out_close;
    }
    if (o->max_message_bytes) {
        int64_t v;
        if (opt_i64("max-message-bytes", o->max_message_bytes, &v)) {
            rc = 2;
            goto out_close;
        }
        cfg.max_message_bytes = v < 0 || v > INT32_MAX ? -1 : (int32_t)v;
    }
    for (size_t i = 0; i < o->nconfigs; i++)
        if (apply_config(&cfg, o->configs[i])) {
            rc = 2;
            goto out_close;
        }
    if (s.n > 0) {
        rc = logdir_topic_alter(ld, o->name, &cfg);
        if (rc) {
            fprintf(stderr, "rill topics: alter '%s': %s\n", o->name,
                    rc == ERR_INVALID ? "a value is out of range"
                                      : err_str(rc));
            goto out_close;
        }
        for (size_t i = 0; i < s.n; i++)
            printf("topic %s: %s = %s\n", o->name, s.keys[i], s.values[i]);
    }
    if (s.partitions > 0) {
        rc = logdir_topic_add_partitions(ld, o->name, s.partitions);
        if (rc) {
            fprintf(stderr, "rill topics: alter '%s': %s\n", o->name,
                    rc == ERR_INVALID ? "the partition count can only grow"
                                      : err_str(rc));
            goto out_close;
        }
        printf("topic %s now has %d partitions\n", o->name, s.partitions);
    }
out_close:
    logdir_close(ld);
    return rc == 2 ? 2 : rc ? 1 : 0;
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
    o.max_message_bytes = cli_opt(&a, "max-message-bytes");
    o.nconfigs = config_opts(&a, o.configs, 16);
    const char *bootstrap = cli_opt(&a, "bootstrap");
    const char *tmo = cli_opt(&a, "timeout");
    bool help = cli_flag(&a, "help");
    const char *verb = cli_positional(&a, 0);
    o.name = cli_positional(&a, 0); /* the next unused one */
    if (help) {
        printf("usage: %s\n", usage_text);
        return 0;
    }
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!verb) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    verb_now = verb;
    bool list = !strcmp(verb, "list");
    bool known = list || !strcmp(verb, "create") || !strcmp(verb, "delete") ||
                 !strcmp(verb, "describe") || !strcmp(verb, "alter");
    if (!list && !o.name && known) {
        fprintf(stderr, "rill topics %s: missing topic NAME\nusage: %s\n", verb,
                usage_text);
        return 2;
    }
    if (known && bootstrap) {
        struct cli_topic_settings st;
        int64_t timeout_ms = 10000;
        if (tmo && cli_parse_i64("timeout", tmo, &timeout_ms))
            return 2;
        rc = settings(&o, &st);
        if (rc)
            return rc;
        if (!strcmp(verb, "alter") && st.partitions <= 0 && st.n == 0) {
            fprintf(stderr, "rill topics alter: nothing to change\nusage: %s\n",
                    usage_text);
            return 2;
        }
        return cli_topics_remote(bootstrap, verb, &st, (int)timeout_ms);
    }
    if (!strcmp(verb, "alter"))
        return do_alter(&o, dir);
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
