/* query_info.c - a snapshot of a running query for people: watermarks
 * per input partition and who holds the query's back, lateness of the
 * late rows, rows and state per operator (layer: stream). Read from the
 * tasks' published counters (struct task_pub), never from their private
 * state, so any thread may ask while the tasks run. Formatting as text
 * or JSON is the front end's (sql/sql_exec_control.c).
 *
 * Who holds the watermark back: the query's watermark (stage 0) is the
 * least over the board's slots that are not idle (query_task.c), so the
 * holder is that slot; its reason is, in order: no data yet, records
 * not yet read (lagging: the query is behind its input), or its newest
 * event time is the oldest (the source is behind, or its clock is).
 *
 * Rates (rows per second, per operator and for the query) are the
 * runtime's: stage-0 task 0 samples the counters once a second into a
 * small ring (query_info_sample); a snapshot divides the difference
 * between the newest sample and the one ~5 s older by the time between.
 */
#include "stream/query_runtime_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

const int64_t query_lateness_bounds[QUERY_LATENESS_BUCKETS - 1] = {
    100, 1000, 10000, 60000, 600000, 3600000};

int query_info_bucket(int64_t ms)
{
    int i = 0;
    while (i < QUERY_LATENESS_BUCKETS - 1 && ms > query_lateness_bounds[i])
        i++;
    return i;
}

void query_info_format_time(int64_t ms, char *out, size_t n)
{
    if (ms == INT64_MIN) {
        snprintf(out, n, "none");
        return;
    }
    int64_t s = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        s--;
    }
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, n, "%lld ms", (long long)ms);
        return;
    }
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    if (k == 0) {
        snprintf(out, n, "%lld ms", (long long)ms);
        return;
    }
    snprintf(out + k, n - k, ".%03dZ", (int)frac);
}

static const char *input_topic(const struct query *q, int source)
{
    return source ? q->spec.extra_inputs[source - 1] : q->in_topic;
}

/* Stage 0's inputs from the board; stage 1's from its tasks. */
static void add_inputs(const struct query *q, struct query_info *qi)
{
    int64_t mono = clock_mono_ms();
    qi->inputs =
        mem_calloc((size_t)(q->nslots + q->n1 + 1), sizeof *qi->inputs);
    for (int i = 0; i < q->ntasks; i++) {
        struct task *k = q->tasks[i];
        int64_t quiet = mono - atomic_load(&k->last_input);
        for (int s = 0; s < k->nins; s++) {
            struct query_info_input *in = &qi->inputs[qi->ninputs++];
            in->stage = k->stage;
            in->partition = k->part;
            in->quiet_ms = quiet < 0 ? 0 : quiet;
            in->next = k->ins[s] ? atomic_load(&k->pub.next[s]) : -1;
            in->end = k->ins[s] ? stream_reader_end(k->ins[s]) : -1;
            if (k->stage == 0) {
                int slot = s * q->n0 + k->part;
                snprintf(in->topic, sizeof in->topic, "%s", input_topic(q, s));
                in->watermark = atomic_load(&q->board_wm[slot]);
                in->idle = atomic_load(&q->board_idle[slot]);
                if (s == 0 && pipeline_per_key_watermarks(k->pipe)) {
                    struct task_pub *p = &((struct task *)k)->pub;
                    qi->per_key = true;
                    in->nkeys = atomic_load(&p->nkeys);
                    pthread_mutex_lock(&p->key_mu);
                    in->has_holder = p->has_holder;
                    in->holder_key_wm = p->holder_key_wm;
                    size_t n = p->holder_key_len;
                    memcpy(in->holder_key, p->holder_key, n);
                    in->holder_key[n] = '\0';
                    pthread_mutex_unlock(&p->key_mu);
                }
            } else {
                snprintf(in->topic, sizeof in->topic, "%s", q->repart_topic);
                in->watermark = atomic_load(&k->pub.watermark);
            }
        }
    }
}

static void find_holder(struct query_info *qi)
{
    qi->holder = -1;
    qi->holder_gap_ms = -1;
    for (int i = 0; i < qi->ninputs; i++) {
        const struct query_info_input *in = &qi->inputs[i];
        if (in->stage || in->idle)
            continue;
        if (qi->holder < 0 || in->watermark < qi->inputs[qi->holder].watermark)
            qi->holder = i;
    }
    if (qi->holder < 0) {
        qi->reason = qi->idle_advance
                         ? "every input is idle: the watermark follows the "
                           "wall clock ('watermark.idle-advance')"
                         : "every input is idle: the watermark stays until "
                           "one delivers again (set 'watermark.idle-advance' "
                           "to follow the clock)";
        return;
    }
    const struct query_info_input *h = &qi->inputs[qi->holder];
    int64_t second = INT64_MAX;
    for (int i = 0; i < qi->ninputs; i++) {
        const struct query_info_input *in = &qi->inputs[i];
        if (i != qi->holder && !in->stage && !in->idle &&
            in->watermark < second)
            second = in->watermark;
    }
    if (second != INT64_MAX && h->watermark != INT64_MIN && second != INT64_MIN)
        qi->holder_gap_ms = second - h->watermark;
    if (h->watermark == INT64_MIN)
        qi->reason = qi->idle_timeout_ms > 0
                         ? "no data yet from this partition (it turns idle "
                           "after 'watermark.idle-timeout')"
                         : "no data yet from this partition, and idleness "
                           "is off (set 'watermark.idle-timeout')";
    else if (h->next >= 0 && h->end > h->next)
        qi->reason = "lagging: records not yet read";
    else if (h->has_holder)
        qi->reason = "the key named has the oldest event time among the "
                     "keys not idle: that device is behind (backfilling), "
                     "or its clock is; the other keys' windows fire on "
                     "their own watermarks";
    else
        qi->reason = "its newest event time is the oldest: the source is "
                     "behind, or its clock is";
}

/* Operators of each stage, summed over that stage's tasks (every task of
 * a stage runs the same chain). */
static void add_ops(const struct query *q, struct query_info *qi)
{
    for (int stage = 0; stage < 2; stage++) {
        int base = qi->nops, n = 0;
        for (int i = 0; i < q->ntasks; i++) {
            const struct task *k = q->tasks[i];
            if (k->stage != stage)
                continue;
            const struct task_pub *p = &k->pub;
            if (!n) {
                n = p->nops;
                for (int o = 0; o < n; o++) {
                    struct query_info_op *op = &qi->ops[base + o];
                    op->name = p->op_name[o];
                    op->stage = stage;
                    op->stateful = p->op_stateful[o];
                }
                qi->nops += n;
            }
            for (int o = 0; o < n && o < p->nops; o++) {
                struct query_info_op *op = &qi->ops[base + o];
                op->rows_in += atomic_load(&p->op_in[o]);
                op->rows_out += atomic_load(&p->op_out[o]);
                op->state_entries += atomic_load(&p->op_entries[o]);
                op->state_bytes += atomic_load(&p->op_bytes[o]);
            }
        }
    }
}

/* The counters now, summed as query_runtime_info sums them. */
static void sum_counters(const struct query *q, struct query_rate_sample *s)
{
    memset(s, 0, sizeof *s);
    int base[2] = {0, 0}, n[2] = {0, 0};
    for (int i = 0; i < q->ntasks; i++) {
        const struct task *k = q->tasks[i];
        if (k && !n[k->stage])
            n[k->stage] = k->pub.nops;
    }
    base[1] = n[0];
    for (int i = 0; i < q->ntasks; i++) {
        const struct task *k = q->tasks[i];
        if (!k)
            continue;
        const struct task_pub *p = &k->pub;
        if (k->stage == 0) {
            s->records_in += atomic_load(&p->records_in);
            s->rows_in += atomic_load(&p->rows_in);
        }
        if (!(q->repartition && k->stage == 0))
            s->rows_out += atomic_load(&p->emitted);
        for (int o = 0; o < n[k->stage] && o < p->nops; o++) {
            s->op_in[base[k->stage] + o] += atomic_load(&p->op_in[o]);
            s->op_out[base[k->stage] + o] += atomic_load(&p->op_out[o]);
        }
    }
}

void query_info_sample(struct query *q, int64_t now_mono)
{
    pthread_mutex_lock(&q->rate_mu);
    int last = (q->rate_next + QUERY_RATE_SAMPLES - 1) % QUERY_RATE_SAMPLES;
    bool due = !q->nrates || now_mono - q->rates[last].mono >= 1000;
    pthread_mutex_unlock(&q->rate_mu);
    if (!due)
        return;
    struct query_rate_sample s;
    sum_counters(q, &s);
    s.mono = now_mono;
    pthread_mutex_lock(&q->rate_mu);
    q->rates[q->rate_next] = s;
    q->rate_next = (q->rate_next + 1) % QUERY_RATE_SAMPLES;
    if (q->nrates < QUERY_RATE_SAMPLES)
        q->nrates++;
    pthread_mutex_unlock(&q->rate_mu);
}

static double per_s(uint64_t now, uint64_t then, int64_t ms)
{
    return now > then ? (double)(now - then) * 1000.0 / (double)ms : 0.0;
}

/* Rates from the newest sample and the newest one at least
 * QUERY_RATE_SPAN_MS older (else the oldest held). */
static void add_rates(struct query *q, struct query_info *qi)
{
    struct query_rate_sample a, b;
    pthread_mutex_lock(&q->rate_mu);
    int n = q->nrates;
    if (n >= 2) {
        int newest =
            (q->rate_next + QUERY_RATE_SAMPLES - 1) % QUERY_RATE_SAMPLES;
        b = q->rates[newest];
        int pick = -1;
        for (int back = 1; back < n; back++) {
            int i = (newest + QUERY_RATE_SAMPLES - back) % QUERY_RATE_SAMPLES;
            pick = i;
            if (b.mono - q->rates[i].mono >= QUERY_RATE_SPAN_MS)
                break;
        }
        a = q->rates[pick];
    }
    pthread_mutex_unlock(&q->rate_mu);
    if (n < 2 || b.mono <= a.mono)
        return;
    int64_t ms = b.mono - a.mono;
    qi->rates_known = true;
    qi->rate_span_ms = ms;
    qi->records_in_per_s = per_s(b.records_in, a.records_in, ms);
    qi->rows_in_per_s = per_s(b.rows_in, a.rows_in, ms);
    qi->rows_out_per_s = per_s(b.rows_out, a.rows_out, ms);
    for (int o = 0; o < qi->nops && o < 2 * QUERY_INFO_OPS_MAX; o++) {
        qi->ops[o].rows_in_per_s = per_s(b.op_in[o], a.op_in[o], ms);
        qi->ops[o].rows_out_per_s = per_s(b.op_out[o], a.op_out[o], ms);
    }
}

static void add_samples(struct query *q, struct query_info *qi);

int query_runtime_info(struct query_runtime *rt, const char *id,
                       struct query_info *out)
{
    memset(out, 0, sizeof *out);
    struct query *q = query_runtime_find(rt, id);
    if (!q)
        return ERR_NOT_FOUND;
    out->now_ms = clock_now_ms();
    out->delay_ms = q->spec.watermark_delay_ms;
    out->idle_timeout_ms = q->spec.idle_timeout_ms;
    out->idle_advance = q->spec.idle_advance;
    out->repartition = q->repartition;
    out->windowed = q->windowed;
    out->running = !atomic_load(&q->finished) && !query_runtime_error(q);
    add_inputs(q, out);
    find_holder(out);
    add_ops(q, out);
    add_rates(q, out);
    add_samples(q, out);
    out->n0 = q->n0;
    out->n1 = q->repartition ? q->n1 : 0;
    out->nlate_partitions = q->n0;
    out->late_partition =
        mem_calloc((size_t)q->n0 + 1, sizeof *out->late_partition);
    int64_t wm = INT64_MAX;
    for (int i = 0; i < q->ntasks; i++) {
        const struct task *k = q->tasks[i];
        const struct task_pub *p = &k->pub;
        if (k->stage == 0) {
            out->records_in += atomic_load(&p->records_in);
            out->rows_in += atomic_load(&p->rows_in);
            out->corrupt_batches += atomic_load(&p->corrupt);
        }
        for (int s = 0; s < k->nins; s++)
            if (k->ins[s]) {
                int64_t end = stream_reader_end(k->ins[s]),
                        next = atomic_load(&p->next[s]);
                if (end > next)
                    out->lag[k->stage ? 1 : 0] += end - next;
            }
        out->dead_letters += atomic_load(&p->dead);
        out->dlq_errors += atomic_load(&p->dlq_errors);
        out->records_skipped += atomic_load(&p->skipped);
        if (atomic_load(&p->ckpt_at) > 0) {
            int64_t us = atomic_load(&p->ckpt_us);
            out->ckpt_tasks++;
            out->ckpt_us_max = us > out->ckpt_us_max ? us : out->ckpt_us_max;
            out->ckpt_bytes += atomic_load(&p->ckpt_bytes);
        }
        out->write_errors += atomic_load(&p->write_errors);
        out->muted += atomic_load(&p->muted);
        out->late_rows += atomic_load(&p->late);
        for (int b = 0; b < QUERY_LATENESS_BUCKETS; b++)
            out->lateness[b] += atomic_load(&p->lateness[b]);
        int64_t m = atomic_load(&p->max_lateness);
        if (m > out->max_lateness_ms)
            out->max_lateness_ms = m;
        if (q->repartition && k->stage == 0)
            continue;
        out->rows_out += atomic_load(&p->emitted);
        out->windows_fired += atomic_load(&p->fired);
        for (int j = 0; j < q->n0 && j < p->nlate; j++)
            out->late_partition[j] += atomic_load(&p->late_part[j]);
        int64_t w = atomic_load(&k->pub.watermark);
        wm = w < wm ? w : wm;
    }
    out->watermark = wm == INT64_MAX ? INT64_MIN : wm;
    return 0;
}

void query_info_keep_sample(struct task *k, int kind, const char *json,
                            size_t len)
{
    struct query *q = k->q;
    struct query_samples *s = &q->samples[kind];
    int64_t now = clock_mono_ms();
    if (len > QUERY_SAMPLE_MAX ||
        (s->n == QUERY_SAMPLES && now - k->last_sample[kind] < QUERY_SAMPLE_MS))
        return;
    if (pthread_mutex_trylock(&q->rate_mu))
        return;
    k->last_sample[kind] = now;
    char *copy = mem_alloc(len + 1);
    memcpy(copy, json, len);
    copy[len] = '\0';
    mem_free(s->item[s->next]);
    s->item[s->next] = copy;
    s->next = (s->next + 1) % QUERY_SAMPLES;
    if (s->n < QUERY_SAMPLES)
        s->n++;
    pthread_mutex_unlock(&q->rate_mu);
}

static void add_samples(struct query *q, struct query_info *qi)
{
    pthread_mutex_lock(&q->rate_mu);
    for (int kind = 0; kind < 2; kind++) {
        const struct query_samples *s = &q->samples[kind];
        for (int i = 0; i < s->n; i++) {
            int at = (s->next - 1 - i + 2 * QUERY_SAMPLES) % QUERY_SAMPLES;
            qi->samples[kind][i] = mem_strdup(s->item[at]);
        }
        qi->nsamples[kind] = s->n;
    }
    pthread_mutex_unlock(&q->rate_mu);
}

void query_info_fini(struct query_info *qi)
{
    if (!qi)
        return;
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < qi->nsamples[kind]; i++)
            mem_free(qi->samples[kind][i]);
        qi->nsamples[kind] = 0;
    }
    mem_free(qi->inputs);
    mem_free(qi->late_partition);
    qi->late_partition = NULL;
    qi->inputs = NULL;
    qi->ninputs = 0;
}
