/* sql_exec_control.c - statements that look into and steer a running
 * persistent query (layer: sql):
 *
 *   EXPLAIN WATERMARK [FOR] q   how q's watermark is made: per input
 *                               partition, who holds it back and why, how
 *                               late the late rows were;
 *   STOP QUERY q                stops q, keeps it (STOPPED in the catalog,
 *                               its progress and repartition topic kept);
 *   RESUME QUERY q              starts it again where it stopped;
 *   DESCRIBE q FORMAT JSON      everything DESCRIBE q says, as one JSON
 *                               object (the HTTP API's structured source).
 *
 * The figures come from the engine's query_info hook (a snapshot of the
 * tasks' published counters, stream/query_runtime.h). Watermarks print as
 * ISO-8601 UTC.
 */
#include "sql/sql_exec_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/json_encode.h"
#include "stream/query_runtime.h"

static void json_str(struct buf *b, const char *s)
{
    json_encode_string(b, s, strlen(s));
}

/* "4.2 s", "120 ms", "3 min 5 s", "2 h 10 min". */
static void fmt_span(int64_t ms, char *out, size_t n)
{
    const char *sign = ms < 0 ? "-" : "";
    if (ms < 0)
        ms = -ms;
    if (ms < 1000)
        snprintf(out, n, "%s%" PRId64 " ms", sign, ms);
    else if (ms < 60000)
        snprintf(out, n, "%s%.1f s", sign, (double)ms / 1000.0);
    else if (ms < 3600000)
        snprintf(out, n, "%s%" PRId64 " min %" PRId64 " s", sign, ms / 60000,
                 ms / 1000 % 60);
    else
        snprintf(out, n, "%s%" PRId64 " h %" PRId64 " min", sign, ms / 3600000,
                 ms / 60000 % 60);
}

static const char *bucket_name(int b)
{
    static const char *const names[QUERY_LATENESS_BUCKETS] = {
        "<= 100 ms", "<= 1 s", "<= 10 s", "<= 1 min",
        "<= 10 min", "<= 1 h", "> 1 h"};
    return names[b];
}

static int get_info(struct sql_exec *ex, const char *id, struct query_info *qi)
{
    if (!ex->o.engine->query_info)
        return ERR_NOT_FOUND;
    return ex->o.engine->query_info(ex->o.engine_ctx, id, qi);
}

/* ---- EXPLAIN WATERMARK ---- */

static void explain_text(const struct catalog_query *q,
                         const struct query_info *qi, struct buf *out)
{
    char t[48], s1[32], s2[32];
    query_info_format_time(qi->watermark, t, sizeof t);
    buf_printf(out, "QUERY %s watermark: %s", q->id, t);
    if (qi->watermark != INT64_MIN) {
        fmt_span(qi->now_ms - qi->watermark, s1, sizeof s1);
        buf_printf(out, " (%s behind the wall clock)", s1);
    }
    fmt_span(qi->delay_ms, s1, sizeof s1);
    if (qi->idle_timeout_ms > 0)
        fmt_span(qi->idle_timeout_ms, s2, sizeof s2);
    else
        snprintf(s2, sizeof s2, "off");
    int nkeys = 0;
    for (int i = 0; i < qi->ninputs; i++)
        nkeys += qi->inputs[i].nkeys;
    if (qi->per_key)
        buf_printf(out,
                   "\nhow: the least watermark over the input partitions that "
                   "are not idle;\n     a partition's is the least over its "
                   "keys that are not idle (the floor),\n     a key's is its "
                   "newest event time minus %s; a window grouped by the key "
                   "fires on its key's\nidle timeout: %s, idle advance: "
                   "%s, per-key watermarks: on (%d keys)\n",
                   s1, s2, qi->idle_advance ? "on" : "off", nkeys);
    else
        buf_printf(out,
                   "\nhow: the least watermark over the input partitions "
                   "that are not idle;\n     a partition's is its newest "
                   "event time minus %s (bounded out-of-orderness)\nidle "
                   "timeout: %s, idle advance: %s, per-key watermarks: off\n",
                   s1, s2, qi->idle_advance ? "on" : "off");
    if (qi->holder >= 0) {
        const struct query_info_input *h = &qi->inputs[qi->holder];
        buf_printf(out, "held back by: %s partition %d", h->topic,
                   h->partition);
        if (h->has_holder)
            buf_printf(out, ", key '%s' (of its %d keys)", h->holder_key,
                       h->nkeys);
        buf_printf(out, ": %s", qi->reason);
        if (qi->holder_gap_ms > 0) {
            fmt_span(qi->holder_gap_ms, s1, sizeof s1);
            buf_printf(out, " (%s behind the next slowest partition)", s1);
        } else if (qi->holder_gap_ms == 0) {
            buf_printf(out, " (level with another partition)");
        }
        buf_printf(out, "\n");
    } else {
        buf_printf(out, "held back by: none: %s\n", qi->reason);
    }
    /* one row per input partition */
    size_t ncols = 8, nrows = (size_t)qi->ninputs + 1;
    char(*cell)[300] = mem_calloc(nrows * ncols, sizeof *cell);
    const char **pc = mem_calloc(nrows * ncols, sizeof *pc);
    static const char *const head[] = {"input",        "partition", "watermark",
                                       "behind clock", "idle",      "quiet",
                                       "unread",       "note"};
    for (size_t c = 0; c < ncols; c++)
        pc[c] = head[c];
    for (int i = 0; i < qi->ninputs; i++) {
        const struct query_info_input *in = &qi->inputs[i];
        char(*r)[300] = cell + (size_t)(i + 1) * ncols;
        snprintf(r[0], sizeof r[0], "%s%s", in->topic,
                 in->stage ? " (stage 1)" : "");
        snprintf(r[1], sizeof r[1], "%d", in->partition);
        query_info_format_time(in->watermark, r[2], sizeof r[2]);
        if (in->watermark == INT64_MIN)
            snprintf(r[3], sizeof r[3], "-");
        else
            fmt_span(qi->now_ms - in->watermark, r[3], sizeof r[3]);
        snprintf(r[4], sizeof r[4], "%s",
                 in->stage  ? "-"
                 : in->idle ? "yes"
                            : "no");
        fmt_span(in->quiet_ms, r[5], sizeof r[5]);
        if (in->next < 0)
            snprintf(r[6], sizeof r[6], "-");
        else
            snprintf(r[6], sizeof r[6], "%" PRId64,
                     in->end > in->next ? in->end - in->next : 0);
        if (in->has_holder && !in->stage)
            snprintf(r[7], sizeof r[7], "%skey '%.64s' holds its floor",
                     i == qi->holder ? "<- holds it back; " : "",
                     in->holder_key);
        else
            snprintf(r[7], sizeof r[7], "%s",
                     i == qi->holder ? "<- holds it back" : "");
        for (size_t c = 0; c < ncols; c++)
            pc[(size_t)(i + 1) * ncols + c] = r[c];
    }
    sql_exec_format_table(out, pc, nrows, ncols);
    mem_free(pc);
    mem_free(cell);
    buf_printf(out, "late rows: %" PRIu64, qi->late_rows);
    if (qi->late_rows) {
        buf_printf(out, " (how late, behind the watermark:");
        bool first = true;
        for (int b = 0; b < QUERY_LATENESS_BUCKETS; b++)
            if (qi->lateness[b]) {
                buf_printf(out, "%s %s: %" PRIu64, first ? "" : ",",
                           bucket_name(b), qi->lateness[b]);
                first = false;
            }
        fmt_span(qi->max_lateness_ms, s1, sizeof s1);
        buf_printf(out, "; the latest %s)", s1);
    }
    buf_printf(out, "\n");
}

static int exec_explain_watermark(struct sql_exec *ex,
                                  const struct sql_stmt *st, struct buf *out,
                                  struct sql_exec_error *err)
{
    struct sql_pos npos =
        sql_exec_locate(st, st->name, sql_exec_find_off(st, "WATERMARK"));
    const struct catalog_query *q = catalog_query_find(ex->o.catalog, st->name);
    if (!q)
        return sql_exec_fail(err, npos, ERR_NOT_FOUND,
                             "unknown query '%s' (SHOW QUERIES lists them)",
                             st->name);
    struct query_info qi;
    int rc = get_info(ex, q->id, &qi);
    if (rc)
        return sql_exec_fail(err, npos, rc,
                             "query %s does not run in this process (%s): "
                             "it has no watermark here",
                             q->id, catalog_query_state_name(q->state));
    explain_text(q, &qi, out);
    query_info_fini(&qi);
    return 0;
}

/* ---- STOP QUERY, RESUME QUERY ---- */

static int exec_stop(struct sql_exec *ex, const struct sql_stmt *st,
                     struct buf *out, struct sql_exec_error *err)
{
    struct sql_pos npos =
        sql_exec_locate(st, st->name, sql_exec_find_off(st, "QUERY"));
    const struct catalog_query *q = catalog_query_find(ex->o.catalog, st->name);
    if (!q)
        return sql_exec_fail(err, npos, ERR_NOT_FOUND,
                             "unknown query '%s' (SHOW QUERIES lists them)",
                             st->name);
    char id[64];
    snprintf(id, sizeof id, "%s", q->id);
    const struct sql_engine_ops *e = ex->o.engine;
    int rc = e->halt_query ? e->halt_query(ex->o.engine_ctx, id)
                           : e->stop_query(ex->o.engine_ctx, id);
    if (rc && rc != ERR_NOT_FOUND)
        return sql_exec_fail(err, npos, rc, "cannot stop query %s: %s", id,
                             err_str(rc));
    if (q->state == CATALOG_QUERY_STOPPED && rc == ERR_NOT_FOUND) {
        buf_printf(out, "query %s was already stopped\n", id);
        return 0;
    }
    rc = catalog_query_set_state(ex->o.catalog, id, CATALOG_QUERY_STOPPED,
                                 "STOP QUERY");
    if (rc)
        return sql_exec_fail(err, st->pos, rc, "cannot write the catalog: %s",
                             err_str(rc));
    buf_printf(out,
               "stopped query %s (RESUME QUERY %s goes on from where it "
               "stopped)\n",
               id, id);
    return 0;
}

static int exec_resume(struct sql_exec *ex, const struct sql_stmt *st,
                       struct buf *out, struct sql_exec_error *err)
{
    struct sql_pos npos =
        sql_exec_locate(st, st->name, sql_exec_find_off(st, "QUERY"));
    const struct catalog_query *q = catalog_query_find(ex->o.catalog, st->name);
    if (!q)
        return sql_exec_fail(err, npos, ERR_NOT_FOUND,
                             "unknown query '%s' (SHOW QUERIES lists them)",
                             st->name);
    char id[64];
    snprintf(id, sizeof id, "%s", q->id);
    struct query_info qi;
    if (get_info(ex, id, &qi) == 0) {
        bool running = qi.running;
        query_info_fini(&qi);
        if (running) {
            buf_printf(out, "query %s is already running\n", id);
            return 0;
        }
        /* finished or failed: stop what is left before starting again */
        const struct sql_engine_ops *e = ex->o.engine;
        if (e->halt_query)
            e->halt_query(ex->o.engine_ctx, id);
    }
    struct sql_exec_error serr;
    bool bad;
    int rc = sql_exec_start_saved(ex, id, &bad, &serr);
    if (rc)
        return sql_exec_fail(err, npos, rc, "cannot resume query %s: %s", id,
                             sql_exec_error_detail(&serr));
    rc =
        catalog_query_set_state(ex->o.catalog, id, CATALOG_QUERY_RUNNING, NULL);
    if (rc) {
        ex->o.engine->halt_query
            ? ex->o.engine->halt_query(ex->o.engine_ctx, id)
            : ex->o.engine->stop_query(ex->o.engine_ctx, id);
        return sql_exec_fail(err, st->pos, rc, "cannot write the catalog: %s",
                             err_str(rc));
    }
    buf_printf(out, "resumed query %s\n", id);
    return 0;
}

/* ---- DESCRIBE q FORMAT JSON ---- */

/* A stage's rows in per second: its first operator's (null while the
 * rates are not known), and the object's closing brace. */
static void stage_rate(const struct query_info *qi, int stage, struct buf *out)
{
    for (int i = 0; i < qi->nops; i++)
        if (qi->ops[i].stage == stage) {
            if (qi->rates_known)
                buf_printf(out, ",\"rows_in_per_s\":%.1f}",
                           qi->ops[i].rows_in_per_s);
            else
                buf_put_str(out, ",\"rows_in_per_s\":null}");
            return;
        }
    buf_put_str(out, "}");
}

static void info_json(const struct query_info *qi, struct buf *out)
{
    char t[48];
    buf_printf(out,
               ",\"runtime_state\":\"%s\",\"records_in\":%" PRIu64
               ",\"rows_in\":%" PRIu64 ",\"rows_out\":%" PRIu64
               ",\"dead_letters\":%" PRIu64
               ",\"dead_letters_not_written\":%" PRIu64
               ",\"corrupt_batches\":%" PRIu64 ",\"late_rows\":%" PRIu64
               ",\"write_errors\":%" PRIu64 ",\"rows_muted\":%" PRIu64,
               qi->running ? "running" : "finished", qi->records_in,
               qi->rows_in, qi->rows_out, qi->dead_letters, qi->dlq_errors,
               qi->corrupt_batches, qi->late_rows, qi->write_errors, qi->muted);
    if (qi->windowed)
        buf_printf(out, ",\"windows_fired\":%" PRIu64, qi->windows_fired);
    if (qi->rates_known)
        buf_printf(out,
                   ",\"records_in_per_s\":%.1f,\"rows_in_per_s\":%.1f,"
                   "\"rows_out_per_s\":%.1f,\"rate_span_ms\":%" PRId64,
                   qi->records_in_per_s, qi->rows_in_per_s, qi->rows_out_per_s,
                   qi->rate_span_ms);
    else
        buf_put_str(out, ",\"records_in_per_s\":null,\"rows_in_per_s\":null,"
                         "\"rows_out_per_s\":null,\"rate_span_ms\":null");
    static const char *const kinds[] = {"late_samples", "dead_letter_samples"};
    for (int kind = 0; kind < 2; kind++) {
        buf_printf(out, ",\"%s\":[", kinds[kind]);
        for (int i = 0; i < qi->nsamples[kind]; i++) {
            if (i)
                buf_put_u8(out, ',');
            buf_put_str(out, qi->samples[kind][i]);
        }
        buf_put_u8(out, ']');
    }
    buf_printf(out, ",\"late_partitions\":[");
    for (int p = 0; p < qi->nlate_partitions; p++)
        buf_printf(out, "%s%" PRIu64, p ? "," : "", qi->late_partition[p]);
    buf_printf(out, "],\"lag_records\":%" PRId64, qi->lag[0]);
    buf_printf(
        out, ",\"stages\":[{\"stage\":\"input\",\"tasks\":%d,\"lag\":%" PRId64,
        qi->n0, qi->lag[0]);
    stage_rate(qi, 0, out);
    if (qi->repartition) {
        buf_printf(out,
                   ",{\"stage\":\"repartition\",\"tasks\":%d,\"lag\":%" PRId64,
                   qi->n1, qi->lag[1]);
        stage_rate(qi, 1, out);
    }
    buf_printf(out, "],\"tasks\":%d", qi->n0 + qi->n1);
    if (qi->ckpt_tasks)
        buf_printf(
            out,
            ",\"checkpoint_tasks\":%d,\"checkpoint_duration_us\":%" PRId64
            ",\"checkpoint_bytes\":%" PRId64,
            qi->ckpt_tasks, qi->ckpt_us_max, qi->ckpt_bytes);
    if (qi->watermark == INT64_MIN) {
        buf_printf(out, ",\"watermark\":null,\"watermark_iso\":null,"
                        "\"watermark_lag_ms\":null");
    } else {
        query_info_format_time(qi->watermark, t, sizeof t);
        buf_printf(out,
                   ",\"watermark\":%" PRId64 ",\"watermark_iso\":\"%s\","
                   "\"watermark_lag_ms\":%" PRId64,
                   qi->watermark, t, qi->now_ms - qi->watermark);
    }
    buf_printf(out, ",\"operators\":[");
    for (int i = 0; i < qi->nops; i++) {
        const struct query_info_op *op = &qi->ops[i];
        buf_printf(out, "%s{\"stage\":%d,\"name\":", i ? "," : "", op->stage);
        json_str(out, op->name);
        buf_printf(out, ",\"rows_in\":%" PRIu64 ",\"rows_out\":%" PRIu64,
                   op->rows_in, op->rows_out);
        if (qi->rates_known)
            buf_printf(out, ",\"rows_in_per_s\":%.1f,\"rows_out_per_s\":%.1f",
                       op->rows_in_per_s, op->rows_out_per_s);
        else
            buf_put_str(out, ",\"rows_in_per_s\":null,\"rows_out_per_s\":null");
        if (op->stateful)
            buf_printf(
                out, ",\"state_entries\":%" PRIu64 ",\"state_bytes\":%" PRIu64,
                op->state_entries, op->state_bytes);
        buf_put_str(out, "}");
    }
    buf_printf(out,
               "],\"watermark_explain\":{\"delay_ms\":%" PRId64
               ",\"idle_timeout_ms\":%" PRId64
               ",\"idle_advance\":%s,\"per_key\":%s,\"reason\":",
               qi->delay_ms, qi->idle_timeout_ms,
               qi->idle_advance ? "true" : "false",
               qi->per_key ? "true" : "false");
    json_str(out, qi->reason ? qi->reason : "");
    if (qi->holder >= 0) {
        const struct query_info_input *h = &qi->inputs[qi->holder];
        buf_printf(out, ",\"holder\":{\"topic\":");
        json_str(out, h->topic);
        buf_printf(out, ",\"partition\":%d,", h->partition);
        if (qi->per_key) {
            buf_put_str(out, "\"key\":");
            if (h->has_holder) {
                json_str(out, h->holder_key);
                buf_printf(out, ",\"key_watermark\":%" PRId64 ",",
                           h->holder_key_wm);
            } else {
                buf_put_str(out, "null,\"key_watermark\":null,");
            }
        }
        buf_put_str(out, "\"gap_ms\":");
        if (qi->holder_gap_ms >= 0)
            buf_printf(out, "%" PRId64 "}", qi->holder_gap_ms);
        else
            buf_put_str(out, "null}");
    } else {
        buf_put_str(out, ",\"holder\":null");
    }
    buf_put_str(out, ",\"inputs\":[");
    for (int i = 0; i < qi->ninputs; i++) {
        const struct query_info_input *in = &qi->inputs[i];
        buf_printf(out, "%s{\"topic\":", i ? "," : "");
        json_str(out, in->topic);
        buf_printf(out, ",\"stage\":%d,\"partition\":%d,", in->stage,
                   in->partition);
        if (in->watermark == INT64_MIN) {
            buf_put_str(out, "\"watermark\":null,\"watermark_iso\":null,"
                             "\"watermark_lag_ms\":null");
        } else {
            query_info_format_time(in->watermark, t, sizeof t);
            buf_printf(out,
                       "\"watermark\":%" PRId64 ",\"watermark_iso\":\"%s\","
                       "\"watermark_lag_ms\":%" PRId64,
                       in->watermark, t, qi->now_ms - in->watermark);
        }
        if (qi->per_key && !in->stage) {
            buf_printf(out, ",\"keys\":%d,\"holder_key\":", in->nkeys);
            if (in->has_holder)
                json_str(out, in->holder_key);
            else
                buf_put_str(out, "null");
        }
        buf_printf(out,
                   ",\"idle\":%s,\"quiet_ms\":%" PRId64 ",\"next\":%" PRId64
                   ",\"end\":%" PRId64 ",\"holds_back\":%s}",
                   in->idle ? "true" : "false", in->quiet_ms, in->next, in->end,
                   i == qi->holder ? "true" : "false");
    }
    buf_printf(out, "],\"lateness\":[");
    for (int b = 0; b < QUERY_LATENESS_BUCKETS; b++) {
        if (b < QUERY_LATENESS_BUCKETS - 1)
            buf_printf(out, "%s{\"le_ms\":%" PRId64 ",\"rows\":%" PRIu64 "}",
                       b ? "," : "", query_lateness_bounds[b], qi->lateness[b]);
        else
            buf_printf(out, ",{\"le_ms\":null,\"rows\":%" PRIu64 "}",
                       qi->lateness[b]);
    }
    buf_printf(out, "],\"max_lateness_ms\":%" PRId64 "}", qi->max_lateness_ms);
}

int sql_exec_describe_query_json(struct sql_exec *ex, const char *id,
                                 struct buf *out)
{
    const struct catalog_query *q = catalog_query_find(ex->o.catalog, id);
    if (!q)
        return ERR_NOT_FOUND;
    char created[40];
    sql_exec_fmt_time(q->created_ms, created, sizeof created);
    buf_put_str(out, "{\"id\":");
    json_str(out, q->id);
    buf_put_str(out, ",\"state\":");
    json_str(out, catalog_query_state_name(q->state));
    buf_put_str(out, ",\"error\":");
    if (q->error)
        json_str(out, q->error);
    else
        buf_put_str(out, "null");
    buf_put_str(out, ",\"kind\":");
    json_str(out, q->kind);
    buf_put_str(out, ",\"sink\":");
    if (q->sink)
        json_str(out, q->sink);
    else
        buf_put_str(out, "null");
    buf_put_str(out, ",\"inputs\":[");
    for (size_t i = 0; i < q->ninputs; i++) {
        if (i)
            buf_put_str(out, ",");
        json_str(out, q->inputs[i]);
    }
    buf_printf(out, "],\"created\":\"%s\",\"settings\":{", created);
    for (size_t i = 0; i < q->nsettings; i++) {
        if (i)
            buf_put_str(out, ",");
        json_str(out, q->settings[i].key);
        buf_put_str(out, ":");
        json_str(out, q->settings[i].value);
    }
    buf_put_str(out, "},\"sql\":");
    json_str(out, q->sql);
    struct query_info qi;
    if (get_info(ex, q->id, &qi) == 0) {
        buf_put_str(out, ",\"running\":true");
        info_json(&qi, out);
        query_info_fini(&qi);
    } else {
        buf_put_str(out, ",\"running\":false");
    }
    buf_put_str(out, "}\n");
    return 0;
}

int sql_exec_run_control(struct sql_exec *ex, const struct sql_stmt *st,
                         struct buf *out, struct sql_exec_error *err)
{
    switch (st->kind) {
    case SQL_STMT_EXPLAIN_WATERMARK:
        return exec_explain_watermark(ex, st, out, err);
    case SQL_STMT_STOP_QUERY:
        return exec_stop(ex, st, out, err);
    case SQL_STMT_RESUME_QUERY:
        return exec_resume(ex, st, out, err);
    case SQL_STMT_DESCRIBE:
        if (sql_exec_describe_query_json(ex, st->name, out) == 0)
            return 0;
        return sql_exec_fail(
            err,
            sql_exec_locate(st, st->name, sql_exec_find_off(st, "DESCRIBE")),
            ERR_NOT_FOUND,
            "unknown query '%s' (FORMAT JSON describes queries; SHOW "
            "QUERIES lists them)",
            st->name);
    default:
        return sql_exec_fail(err, st->pos, ERR_UNSUPPORTED,
                             "unknown statement");
    }
}
