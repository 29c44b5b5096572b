/* sql_exec_show.c - SHOW and DESCRIBE: the catalog and the log as aligned
 * text tables (layer: sql).
 *
 * Reads only: the catalog's records, the logdir's topics and partition
 * offsets, and the engine's run-time counters when it has them.
 */
#include "sql/sql_exec_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "stream/stream_log.h"
#include "log/partition.h"

static void show_relations(const struct catalog *cat, enum catalog_kind kind,
                           struct buf *out)
{
    size_t n = catalog_relation_count(cat), rows = 1;
    const char **cells = mem_calloc((n + 1) * 6, sizeof(char *));
    char(*num)[16] = mem_calloc(n + 1, sizeof(*num));
    const char *hdr[6] = {"name",       "topic", "format",
                          "partitions", "key",   "watermark"};
    memcpy(cells, hdr, sizeof hdr);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_relation *r = catalog_relation_at(cat, i);
        if (r->kind != kind)
            continue;
        const char **row = cells + rows * 6;
        snprintf(num[rows], sizeof num[rows], "%d", r->partitions);
        row[0] = r->name;
        row[1] = r->topic;
        row[2] = r->format;
        row[3] = num[rows];
        row[4] = r->key ? r->key : "-";
        row[5] = r->watermark ? r->watermark : "-";
        rows++;
    }
    sql_exec_format_table(out, cells, rows, 6);
    const char *what = kind == CATALOG_TABLE ? "table" : "stream";
    buf_printf(out, "(%zu %s%s)\n", rows - 1, what, rows == 2 ? "" : "s");
    mem_free(num);
    mem_free(cells);
}

void sql_exec_show_queries(const struct catalog *cat, struct buf *out)
{
    size_t n = catalog_query_count(cat);
    const char **cells = mem_calloc((n + 1) * 6, sizeof(char *));
    char(*created)[32] = mem_calloc(n + 1, sizeof(*created));
    char(*inputs)[256] = mem_calloc(n + 1, sizeof(*inputs));
    const char *hdr[6] = {"id", "state", "kind", "sink", "inputs", "created"};
    memcpy(cells, hdr, sizeof hdr);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_query *q = catalog_query_at(cat, i);
        const char **row = cells + (i + 1) * 6;
        size_t k = 0;
        for (size_t j = 0; j < q->ninputs && k < sizeof inputs[i]; j++)
            k += (size_t)snprintf(inputs[i] + k, sizeof inputs[i] - k, "%s%s",
                                  j ? "," : "", q->inputs[j]);
        sql_exec_fmt_time(q->created_ms, created[i], sizeof created[i]);
        row[0] = q->id;
        row[1] = catalog_query_state_name(q->state);
        row[2] = q->kind;
        row[3] = q->sink ? q->sink : "-";
        row[4] = q->ninputs ? inputs[i] : "-";
        row[5] = created[i];
    }
    sql_exec_format_table(out, cells, n + 1, 6);
    buf_printf(out, "(%zu quer%s)\n", n, n == 1 ? "y" : "ies");
    mem_free(inputs);
    mem_free(created);
    mem_free(cells);
}

static int show_topics(struct sql_exec *ex, const struct sql_stmt *st,
                       struct buf *out, struct sql_exec_error *err)
{
    if (!ex->o.logdir && !ex->o.log)
        return sql_exec_fail(err, st->pos, ERR_INVALID,
                             "no data directory is open");
    char **names;
    size_t n;
    int rc = ex->o.log ? stream_log_topics(ex->o.log, &names, &n)
                       : logdir_topic_list(ex->o.logdir, &names, &n);
    if (rc)
        return sql_exec_fail(err, st->pos, rc, "cannot list topics: %s",
                             err_str(rc));
    const char **cells = mem_calloc((n + 1) * 2, sizeof(char *));
    char(*num)[16] = mem_calloc(n + 1, sizeof(*num));
    cells[0] = "topic";
    cells[1] = "partitions";
    for (size_t i = 0; i < n; i++) {
        snprintf(num[i], sizeof num[i], "%d",
                 ex->o.log ? stream_log_partitions(ex->o.log, names[i])
                           : logdir_topic_partitions(ex->o.logdir, names[i]));
        cells[(i + 1) * 2] = names[i];
        cells[(i + 1) * 2 + 1] = num[i];
    }
    sql_exec_format_table(out, cells, n + 1, 2);
    buf_printf(out, "(%zu topic%s)\n", n, n == 1 ? "" : "s");
    mem_free(num);
    mem_free(cells);
    stream_log_names_free(names, n);
    return 0;
}

int sql_exec_run_show(struct sql_exec *ex, const struct sql_stmt *st,
                      struct buf *out, struct sql_exec_error *err)
{
    switch (st->object) {
    case SQL_OBJECT_STREAM:
        show_relations(ex->o.catalog, CATALOG_STREAM, out);
        return 0;
    case SQL_OBJECT_TABLE:
        show_relations(ex->o.catalog, CATALOG_TABLE, out);
        return 0;
    case SQL_OBJECT_QUERY:
        sql_exec_show_queries(ex->o.catalog, out);
        return 0;
    case SQL_OBJECT_TOPIC:
        return show_topics(ex, st, out, err);
    }
    return 0;
}

/* ---- DESCRIBE ---- */

/* A partition's start and end offsets (-1 when unknown). */
static void partition_offsets(struct sql_exec *ex, const char *topic, int i,
                              int64_t *start, int64_t *end)
{
    if (ex->o.log) {
        struct stream_reader *r;
        if (stream_log_reader(ex->o.log, topic, i, 0, &r) == 0) {
            *start = stream_reader_start(r);
            *end = stream_reader_end(r);
            stream_reader_close(r);
        }
        return;
    }
    struct partition *p = logdir_partition(ex->o.logdir, topic, i);
    if (p) {
        *start = partition_log_start_offset(p);
        *end = partition_high_watermark(p);
    }
}

static void describe_relation(struct sql_exec *ex,
                              const struct catalog_relation *r, struct buf *out)
{
    const struct catalog *cat = ex->o.catalog;
    buf_printf(out, "%s %s\n", catalog_kind_name(r->kind), r->name);
    int n = r->schema.ncolumns;
    const char **cells = mem_calloc((size_t)(n + 1) * 4, sizeof(char *));
    cells[0] = "column";
    cells[1] = "type";
    cells[2] = "nullable";
    cells[3] = "path";
    for (int i = 0; i < n; i++) {
        const struct schema_column *c = &r->schema.columns[i];
        const char **row = cells + (i + 1) * 4;
        row[0] = c->name;
        row[1] = r->sql_types[i] ? r->sql_types[i] : schema_type_name(c->type);
        row[2] = c->nullable ? "yes" : "NOT NULL";
        row[3] = c->path;
    }
    sql_exec_format_table(out, cells, (size_t)n + 1, 4);
    mem_free(cells);
    char created[32];
    sql_exec_fmt_time(r->created_ms, created, sizeof created);
    buf_printf(out, "time column: %s\n",
               r->time_column ? r->time_column
                              : "(none: the Kafka record timestamp)");
    if (r->watermark)
        buf_printf(out, "watermark:   %s (delay %" PRId64 " ms)\n",
                   r->watermark, r->watermark_delay_ms);
    else
        buf_printf(out, "watermark:   (none)\n");
    buf_printf(out, "format:      %s\n", r->format);
    buf_printf(out, "key:         %s\n", r->key ? r->key : "(none)");
    buf_printf(out, "options:     ");
    if (!r->noptions)
        buf_printf(out, "(none)");
    for (size_t i = 0; i < r->noptions; i++)
        buf_printf(out, "%s%s = '%s'", i ? ", " : "", r->options[i].key,
                   r->options[i].value);
    buf_printf(out, "\ncreated:     %s\n", created);
    if (r->query_id)
        buf_printf(out, "written by:  query %s\n", r->query_id);
    size_t used = 0;
    for (size_t i = 0; i < catalog_query_count(cat); i++) {
        const struct catalog_query *q = catalog_query_at(cat, i);
        bool reads = false;
        for (size_t k = 0; k < q->ninputs; k++)
            reads = reads || !strcasecmp(q->inputs[k], r->name);
        bool writes = q->sink && !strcasecmp(q->sink, r->name);
        if (!reads && !writes)
            continue;
        buf_printf(out, "%s%s (%s, %s)", used++ ? ", " : "queries:     ", q->id,
                   reads ? "reads" : "writes",
                   catalog_query_state_name(q->state));
    }
    if (used)
        buf_put_u8(out, '\n');
    int np = ex->o.log      ? stream_log_partitions(ex->o.log, r->topic)
             : ex->o.logdir ? logdir_topic_partitions(ex->o.logdir, r->topic)
                            : ERR_NOT_FOUND;
    if (np < 0) {
        buf_printf(out, "topic:       %s (missing)\n", r->topic);
        return;
    }
    buf_printf(out, "topic:       %s (%d partition%s)\n", r->topic, np,
               np == 1 ? "" : "s");
    const char **pc = mem_calloc((size_t)(np + 1) * 3, sizeof(char *));
    char(*num)[24] = mem_calloc((size_t)(np + 1) * 3, sizeof(*num));
    pc[0] = "partition";
    pc[1] = "start offset";
    pc[2] = "end offset";
    for (int i = 0; i < np; i++) {
        int64_t start = -1, end = -1;
        partition_offsets(ex, r->topic, i, &start, &end);
        int k = (i + 1) * 3;
        snprintf(num[k], sizeof num[k], "%d", i);
        snprintf(num[k + 1], sizeof num[k + 1], "%" PRId64, start);
        snprintf(num[k + 2], sizeof num[k + 2], "%" PRId64, end);
        pc[k] = num[k];
        pc[k + 1] = num[k + 1];
        pc[k + 2] = num[k + 2];
    }
    sql_exec_format_table(out, pc, (size_t)np + 1, 3);
    mem_free(num);
    mem_free(pc);
}

int sql_exec_describe_query(const struct catalog *cat,
                            const struct sql_engine_ops *engine,
                            void *engine_ctx, const char *id, struct buf *out)
{
    const struct catalog_query *q = catalog_query_find(cat, id);
    if (!q)
        return ERR_NOT_FOUND;
    char created[32];
    sql_exec_fmt_time(q->created_ms, created, sizeof created);
    buf_printf(out, "QUERY %s\n", q->id);
    buf_printf(out, "state:    %s%s%s\n", catalog_query_state_name(q->state),
               q->error ? ": " : "", q->error ? q->error : "");
    buf_printf(out, "kind:     %s\n", q->kind);
    buf_printf(out, "sink:     %s\n", q->sink ? q->sink : "-");
    buf_printf(out, "inputs:   ");
    for (size_t i = 0; i < q->ninputs; i++)
        buf_printf(out, "%s%s", i ? ", " : "", q->inputs[i]);
    buf_printf(out, "%s\ncreated:  %s\nsettings: ", q->ninputs ? "" : "-",
               created);
    if (!q->nsettings)
        buf_printf(out, "(none)");
    for (size_t i = 0; i < q->nsettings; i++)
        buf_printf(out, "%s'%s' = '%s'", i ? ", " : "", q->settings[i].key,
                   q->settings[i].value);
    buf_printf(out, "\nsql:      %s\n", q->sql);
    size_t before = out->len;
    int rc = engine && engine->query_stats
                 ? engine->query_stats(engine_ctx, q->id, out)
                 : ERR_NOT_FOUND;
    if (rc < 0) {
        out->len = before;
        buf_printf(out, "runtime:  not running in this process (rows in, "
                        "rows out, late rows per input partition: n/a)\n");
    }
    return 0;
}

int sql_exec_run_describe(struct sql_exec *ex, const struct sql_stmt *st,
                          struct buf *out, struct sql_exec_error *err)
{
    const struct catalog_relation *r =
        catalog_relation_find(ex->o.catalog, st->name);
    if (r) {
        describe_relation(ex, r, out);
        return 0;
    }
    if (sql_exec_describe_query(ex->o.catalog, ex->o.engine, ex->o.engine_ctx,
                                st->name, out) == 0)
        return 0;
    return sql_exec_fail(
        err, sql_exec_locate(st, st->name, sql_exec_find_off(st, "DESCRIBE")),
        ERR_NOT_FOUND,
        "unknown stream, table or query '%s' (SHOW STREAMS, SHOW "
        "TABLES and SHOW QUERIES list them)",
        st->name);
}
