/* explain.c - the EXPLAIN text of a plan (layer: sql).
 *
 * One line per operator, source first, each with what it works on:
 * the topic and partitions read, the event-time column and where the
 * watermark comes from, predicates and expressions (as S-expressions of
 * the syntax tree), window, keys, aggregates with their types, emission
 * and late-data rules, and the sink. Deterministic, for golden tests.
 */
#include "sql/planner.h"
#include "sql/sql_join.h"

#include <inttypes.h>
#include <string.h>

static void window_text(const struct window_spec *w, struct buf *out)
{
    switch (w->kind) {
    case WINDOW_TUMBLE:
        buf_printf(out, "TUMBLE(size %" PRId64 " ms", w->size_ms);
        if (w->offset_ms)
            buf_printf(out, ", offset %" PRId64 " ms", w->offset_ms);
        buf_printf(out, ")");
        break;
    case WINDOW_HOP:
        buf_printf(out, "HOP(slide %" PRId64 " ms, size %" PRId64 " ms)",
                   w->slide_ms, w->size_ms);
        break;
    case WINDOW_CUMULATE:
        buf_printf(out,
                   "CUMULATE(step %" PRId64 " ms, max size %" PRId64 " ms)",
                   w->slide_ms, w->size_ms);
        break;
    case WINDOW_SESSION:
        buf_printf(out, "SESSION(gap %" PRId64 " ms)", w->gap_ms);
        break;
    case WINDOW_NONE:
        buf_printf(out, "none (an updating GROUP BY)");
        break;
    }
}

static void explain(const struct plan *p, struct buf *out, bool inner);

void plan_explain(const struct plan *p, struct buf *out)
{
    explain(p, out, false);
}

static void explain(const struct plan *p, struct buf *out, bool inner)
{
    if (p->sub) {
        /* FROM (SELECT ...): the inner plan's operators, then this one's
         * in the same tasks (sql_subq.c) */
        explain(p->sub, out, true);
        buf_printf(out, "then, over the subquery's rows (same tasks):\n");
        goto operators;
    }
    if (p->join) {
        if (!inner) {
            sql_join_explain(p, out);
            return;
        }
        struct buf j;
        buf_init(&j);
        sql_join_explain(p, &j);
        /* without its sink line: the rows go to the outer query */
        char *sink = j.len ? strstr((char *)j.data, "\nsink: ") : NULL;
        size_t n = sink ? (size_t)(sink - (char *)j.data) + 1 : j.len;
        buf_printf(out, "%.*s", (int)n, (const char *)j.data);
        buf_fini(&j);
        buf_printf(out, "  -> rows to the outer query\n");
        return;
    }
    if (p->transient)
        buf_printf(out, "query: transient SELECT (rows to the terminal)\n");
    else
        buf_printf(out, "query: persistent, writes %s\n", p->sink);
    if (p->repartition)
        buf_printf(out, "stage 0: %d task%s, one per partition of topic %s\n",
                   p->npartitions, p->npartitions == 1 ? "" : "s", p->topic);
    else
        buf_printf(out, "%d task%s, one per partition of topic %s\n",
                   p->npartitions, p->npartitions == 1 ? "" : "s", p->topic);
    buf_printf(out,
               "source: %s (topic %s, %d partition%s, format %s, from "
               "the %s offset)\n",
               p->input, p->topic, p->npartitions,
               p->npartitions == 1 ? "" : "s", p->format,
               p->startup_latest ? "latest" : "earliest");
    if (p->time_column >= 0)
        buf_printf(out,
                   "  event time: %s; watermark per partition = max(%s) - "
                   "%" PRId64 " ms; query watermark = min over partitions",
                   p->in_schema.columns[p->time_column].name,
                   p->in_schema.columns[p->time_column].name,
                   p->watermark_delay_ms);
    else
        buf_printf(out, "  event time: Kafka record timestamp; watermark per "
                        "partition = max(timestamp); query watermark = min "
                        "over partitions");
    if (p->idle_timeout_ms > 0)
        buf_printf(out, " (idle after %" PRId64 " ms)\n", p->idle_timeout_ms);
    else
        buf_printf(out, " (idle timeout off)\n");
    if (p->idle_timeout_ms > 0 && p->idle_advance)
        buf_printf(out, "  every partition idle: the query watermark follows "
                        "processing time - delay (watermark.idle-advance)\n");
    if (p->per_key)
        buf_printf(out,
                   "  per-key watermarks ('watermark.per-key'): each %s has "
                   "its own, max(%s) - %" PRId64
                   " ms; a partition's is the least over its keys not idle, "
                   "the floor under each key%s\n",
                   p->in_key, p->in_schema.columns[p->time_column].name,
                   p->watermark_delay_ms,
                   p->per_key_windows
                       ? "; windows fire per key"
                       : "; windows fire on the floor (the GROUP BY does not "
                         "hold the key in the input's partitions)");
    buf_printf(out, "  bad records: to topic %s.dlq, counted\n", p->input);
operators:
    if (p->window_columns) {
        buf_printf(out, "project (window columns): input columns, "
                        "window_start, window_end of ");
        window_text(&p->wcfg.window, out);
        buf_printf(out, "\n");
    }
    if (p->where[0] && !p->match)
        buf_printf(out, "filter: %s\n", p->where);
    if (p->npre) {
        buf_printf(
            out, "project (computed keys, aggregate arguments): input columns");
        for (int i = 0; i < p->npre; i++)
            buf_printf(out, ", $arg%d = %s", i, p->pre_text[i]);
        buf_printf(out, "\n");
    }
    if (p->repartition && !(p->sub && p->sub->repartition)) {
        if (p->nrepart_cols) {
            buf_printf(out, "project (to the repartition topic):");
            for (int c = 0; c < p->nrepart_cols; c++)
                buf_printf(out, "%s %s", c ? "," : "", p->repart_cols[c]);
            buf_printf(out, "\n");
        }
        buf_printf(out, "repartition: ");
        if (p->over && p->overp.keys[0])
            buf_printf(out, "by %s", p->overp.keys);
        else if (p->over)
            buf_printf(out, "every row (no PARTITION BY: one task)");
        else if (!p->wcfg.nkeys)
            buf_printf(out, "every row (no GROUP BY key: a global "
                            "aggregate, one final task)");
        else
            buf_printf(out, "by ");
        for (int k = 0; k < p->wcfg.nkeys; k++)
            buf_printf(out, "%s%s", k ? ", " : "", p->key_name[k]);
        buf_printf(out,
                   " to topic %s (%d partition%s, binary rows, record "
                   "timestamp = event time, a watermark marker from every "
                   "stage-0 task)\n",
                   p->repart_topic, p->repart_partitions,
                   p->repart_partitions == 1 ? "" : "s");
        buf_printf(out,
                   "stage 1: %d task%s, one per partition of topic %s; "
                   "watermark = min over the stage-0 tasks' markers\n",
                   p->repart_partitions, p->repart_partitions == 1 ? "" : "s",
                   p->repart_topic);
    }
    if (p->match) {
        buf_printf(out, "match_recognize: PARTITION BY ");
        if (!p->wcfg.nkeys)
            buf_printf(out, "(none: one sequence)");
        for (int k = 0; k < p->wcfg.nkeys; k++)
            buf_printf(out, "%s%s", k ? ", " : "", p->key_name[k]);
        buf_printf(out,
                   "; rows buffered per key, matched in event-time order "
                   "once the watermark passes them + the allowed lateness "
                   "(%" PRId64 " ms)\n",
                   p->match_lateness_ms);
        if (p->late_into[0])
            buf_printf(out, "  late rows: to %s (topic %s), counted\n",
                       p->late_into, p->late_topic);
        else
            buf_printf(out, "  late rows: counted\n");
        if (p->where[0])
            buf_printf(out, "filter (WHERE, over the matches): %s\n", p->where);
    }
    if (p->windowed) {
        buf_printf(out, "window aggregate: ");
        window_text(&p->wcfg.window, out);
        buf_printf(out, "\n  keys: ");
        if (!p->wcfg.nkeys && p->wcfg.window.kind == WINDOW_NONE)
            buf_printf(out, "(none)");
        for (int k = 0; k < p->wcfg.nkeys; k++)
            buf_printf(out, "%s%s", k ? ", " : "", p->key_name[k]);
        if (p->wcfg.window.kind != WINDOW_NONE)
            buf_printf(out, "%swindow_start, window_end",
                       p->wcfg.nkeys ? ", " : "");
        if (p->repartition)
            buf_printf(out, " (repartitioned)\n");
        else if (p->npartitions <= 1)
            buf_printf(out, " (one input partition: no repartition)\n");
        else
            buf_printf(out,
                       " (includes the input's key %s: no repartition; "
                       "query watermark = min over the tasks)\n",
                       p->in_key);
        if (p->key_checked)
            buf_printf(out,
                       "  key check: a record whose Kafka key is not its %s, "
                       "or that sits in another partition than murmur2(key) "
                       "picks, is not aggregated: to topic %s.dlq\n",
                       p->in_key, p->input);
        for (int a = 0; a < p->wcfg.naggs; a++)
            buf_printf(out, "  aggregate %d: %s\n", a, p->agg_text[a]);
        buf_printf(out, "  emit: %s",
                   p->wcfg.emit == EMIT_FINAL ? "FINAL (when the watermark "
                                                "passes window end)"
                                              : "CHANGES (after each batch)");
        buf_printf(out, "; allowed lateness %" PRId64 " ms\n",
                   p->wcfg.allowed_lateness_ms);
        if (p->late_create)
            buf_printf(out,
                       "  late rows: to topic %s (created if missing), "
                       "counted\n",
                       p->late_topic);
        else if (p->late_into[0])
            buf_printf(out, "  late rows: to %s (topic %s), counted\n",
                       p->late_into, p->late_topic);
        else
            buf_printf(out, "  late rows: counted per input partition\n");
        if (p->having[0])
            buf_printf(out, "filter (HAVING): %s\n", p->having);
    }
    if (p->over) {
        buf_printf(out,
                   "over aggregate: PARTITION BY %s ORDER BY event time; "
                   "each row once the watermark passes it\n",
                   p->overp.keys[0] ? p->overp.keys : "(none)");
        if (p->key_checked)
            buf_printf(out,
                       "  key check: a record whose Kafka key is not its %s, "
                       "or that sits in another partition than murmur2(key) "
                       "picks, is not computed: to topic %s.dlq\n",
                       p->in_key, p->input);
        for (int a = 0; a < p->overp.cfg.naggs; a++)
            buf_printf(out, "  over %d: %s, %s\n", a, p->overp.text[a],
                       p->overp.frame[a]);
        if (p->late_into[0])
            buf_printf(out, "  late rows: to %s (topic %s%s), counted\n",
                       p->late_into, p->late_topic,
                       p->late_create ? ", created if missing" : "");
        else
            buf_printf(out, "  late rows (ts <= watermark): counted\n");
        if (p->outer)
            buf_printf(out, "filter (outer WHERE): %s\n",
                       p->outer_where[0] ? p->outer_where : "(none)");
    }
    buf_printf(out, "project:");
    for (int c = 0; c < p->out_schema.ncolumns; c++)
        buf_printf(
            out, "%s %s %s = %s", c ? "," : "", p->out_schema.columns[c].name,
            schema_type_name(p->out_schema.columns[c].type), p->project[c]);
    buf_printf(out, "\n");
    if (p->rank_text[0]) {
        buf_printf(out, "%s\n", p->rank_text);
        if (p->key_checked && !p->windowed)
            buf_printf(out,
                       "  key check: a record whose Kafka key is not its %s, "
                       "or that sits in another partition than murmur2(key) "
                       "picks, is not ranked: to topic %s.dlq\n",
                       p->in_key, p->input);
    }
    if (inner) {
        buf_printf(out, "  -> rows to the outer query\n");
        return;
    }
    if (p->transient) {
        buf_printf(out, "sink: terminal, one JSON object per row");
        if (p->limit >= 0)
            buf_printf(out, ", LIMIT %" PRId64, p->limit);
        buf_printf(out, "\n");
    } else {
        buf_printf(out, "sink: %s (JSON rows", p->sink);
        if (p->nkey_columns) {
            buf_printf(out, ", record key ");
            for (int k = 0; k < p->nkey_columns; k++)
                buf_printf(out, "%s%s", k ? "+" : "",
                           p->out_schema.columns[p->key_columns[k]].name);
        } else {
            buf_printf(out, ", no record key");
        }
        buf_printf(out, ")\n");
    }
}
