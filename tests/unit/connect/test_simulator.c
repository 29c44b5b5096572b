/* test_simulator.c - the sensor generator: determinism, formats, and that
 * every realism flag produces what it says (rates, bounds, shares within
 * tolerance over 100K-200K events). */
#include "connect/simulator.h"

#include "base/err.h"
#include "base/mem.h"
#include "../../harness.h"

#include <math.h>
#include <stdlib.h>

#define BATCH 4096

/* Runs a sim for n events, calling fn on each; with drain, then stops
 * sampling and delivers everything still in flight too. */
static size_t drive_ex(const struct sim_config *c, size_t n,
                       void (*fn)(struct sim *, const struct sim_event *,
                                  void *),
                       void *arg, bool drain)
{
    struct sim *s;
    if (sim_create(c, &s) < 0)
        return 0;
    struct sim_event *ev = mem_alloc(sizeof *ev * BATCH);
    size_t total = 0;
    while (total < n) {
        size_t want = n - total < BATCH ? n - total : BATCH;
        size_t got = sim_next(s, INT64_MAX, ev, want);
        if (!got)
            break;
        for (size_t i = 0; i < got; i++)
            fn(s, &ev[i], arg);
        total += got;
    }
    if (drain) {
        size_t got;
        sim_finish(s);
        while ((got = sim_next(s, INT64_MAX, ev, BATCH)) > 0) {
            for (size_t i = 0; i < got; i++)
                fn(s, &ev[i], arg);
            total += got;
        }
    }
    mem_free(ev);
    sim_destroy(s);
    return total;
}

static size_t drive(const struct sim_config *c, size_t n,
                    void (*fn)(struct sim *, const struct sim_event *, void *),
                    void *arg)
{
    return drive_ex(c, n, fn, arg, false);
}

struct hash_acc {
    uint64_t h;
    size_t bytes;
};

static void hash_event(struct sim *s, const struct sim_event *e, void *arg)
{
    struct hash_acc *a = arg;
    char line[SIM_RECORD_MAX];
    size_t n = sim_format_event(s, e, SIM_FMT_JSON, line);
    for (size_t i = 0; i < n; i++)
        a->h = (a->h ^ (uint8_t)line[i]) * 0x100000001b3ULL;
    a->bytes += n;
}

static uint64_t run_hash(uint64_t seed, size_t n)
{
    struct sim_config c;
    sim_config_default(&c);
    c.seed = seed;
    c.bearing_per_min = 30; /* faults on, so they are covered too */
    struct hash_acc a = {0xcbf29ce484222325ULL, 0};
    drive(&c, n, hash_event, &a);
    return a.h;
}

TEST(same_seed_same_bytes)
{
    CHECK(run_hash(7, 100000) == run_hash(7, 100000));
    CHECK(run_hash(7, 100000) != run_hash(8, 100000));
}

TEST(format_json_csv_senml)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    struct sim *s;
    CHECK_EQ_INT(sim_create(&c, &s), 0);
    struct sim_event e = {0, 1764000000123LL, 0.87314, 42, SIM_VIBRATION, 0};
    char line[SIM_RECORD_MAX];
    size_t n = sim_format_event(s, &e, SIM_FMT_JSON, line);
    line[n] = '\0';
    CHECK_EQ_STR(line, "{\"sensor_id\":\"s-0042\",\"machine_id\":\"m-0010\","
                       "\"kind\":\"vibration\",\"value\":0.8731,\"unit\":"
                       "\"g\",\"ts\":1764000000123}\n");
    e.value = -1.5;
    e.kind = SIM_TEMPERATURE;
    n = sim_format_event(s, &e, SIM_FMT_CSV, line);
    line[n] = '\0';
    CHECK_EQ_STR(line, "s-0042,m-0010,temperature,-1.5000,C,1764000000123\n");
    e.value = 45.25;
    n = sim_format_event(s, &e, SIM_FMT_SENML, line);
    line[n] = '\0';
    CHECK_EQ_STR(line, "[{\"bn\":\"m-0010:\",\"n\":\"s-0042:temperature\","
                       "\"u\":\"Cel\",\"v\":45.2500,\"t\":1764000000.123}]\n");
    e.value = 1.0;
    e.kind = SIM_VIBRATION; /* SenML has no "g": m/s2 */
    n = sim_format_event(s, &e, SIM_FMT_SENML, line);
    line[n] = '\0';
    CHECK(strstr(line, "\"u\":\"m/s2\",\"v\":9.8067,") != NULL);
    e.ts = 1764000000005LL;
    n = sim_format_event(s, &e, SIM_FMT_SENML, line);
    line[n] = '\0';
    CHECK(strstr(line, "\"t\":1764000000.005}") != NULL);
    e.ts = 1764000000123LL;
    e.kind = SIM_TEMPERATURE;
    e.value = 0.00004; /* rounds to zero */
    n = sim_format_event(s, &e, SIM_FMT_CSV, line);
    line[n] = '\0';
    CHECK_EQ_STR(line, "s-0042,m-0010,temperature,0.0000,C,1764000000123\n");
    size_t len;
    CHECK_EQ_STR(sim_sensor_id(s, 1999, &len), "s-1999");
    CHECK_EQ_INT(len, 6);
    CHECK_EQ_INT(sim_machine_of(s, 1999), 499);
    char id[16];
    CHECK_EQ_INT(sim_format_sensor_id(123456, id), 8);
    CHECK_EQ_STR(id, "s-123456");
    sim_destroy(s);
}

TEST(kinds_parse_table)
{
    static const struct {
        const char *in;
        int rc;
        int n;
    } cases[] = {
        {"vibration", 0, 1},
        {"vibration,temperature,current,acoustic", 0, 4},
        {"temperature,vibration", 0, 2},
        {"", ERR_PARSE, 0},
        {"pressure", ERR_PARSE, 0},
        {"vibration,vibration", ERR_PARSE, 0},
        {"vibration,", 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum sim_kind k[SIM_KIND_N];
        int32_t n = 0;
        int rc = sim_kinds_parse(cases[i].in, k, &n);
        CHECK_EQ_INT(rc, cases[i].rc);
        if (rc == 0)
            CHECK_EQ_INT(n, cases[i].n);
    }
}

TEST(rejects_bad_config)
{
    struct sim_config c;
    struct sim *s = NULL;
    sim_config_default(&c);
    c.late_fraction = 1.5;
    CHECK_EQ_INT(sim_create(&c, &s), ERR_INVALID);
    sim_config_default(&c);
    c.late_max_ms = c.disorder_ms; /* late must exceed the disorder bound */
    CHECK_EQ_INT(sim_create(&c, &s), ERR_INVALID);
    sim_config_default(&c);
    c.sensors = 0;
    CHECK_EQ_INT(sim_create(&c, &s), ERR_INVALID);
    CHECK(s == NULL);
}

/* --- network effects ----------------------------------------------------- */

struct net_acc {
    int64_t start_ms, disorder_ms, late_max_ms;
    int64_t last_send, max_ts;
    size_t n, late, dup, bad_order, bad_bound, bad_late, behind;
};

static void net_event(struct sim *s, const struct sim_event *e, void *arg)
{
    (void)s;
    struct net_acc *a = arg;
    a->n++;
    if (e->send_ns < a->last_send)
        a->bad_order++;
    a->last_send = e->send_ns;
    int64_t delay_ms = e->send_ns / 1000000 - (e->ts - a->start_ms);
    if (e->flags & SIM_EV_DUPLICATE) {
        a->dup++; /* a retry: up to 1 s after the original */
    } else if (e->flags & SIM_EV_LATE) {
        a->late++;
        if (delay_ms < a->disorder_ms - 1 || delay_ms > a->late_max_ms + 1)
            a->bad_late++;
    } else if (delay_ms < -1 || delay_ms > a->disorder_ms + 1) {
        a->bad_bound++;
    }
    /* What a consumer sees: how far behind the newest event time. */
    if (!(e->flags & (SIM_EV_LATE | SIM_EV_DUPLICATE)) &&
        e->ts < a->max_ts - a->disorder_ms - 1)
        a->behind++;
    if (e->ts > a->max_ts)
        a->max_ts = e->ts;
}

TEST(disorder_late_duplicates_match_flags)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    c.disorder_ms = 150;
    c.late_fraction = 0.01;
    c.late_max_ms = 60000;
    c.duplicate_fraction = 0.02;
    struct net_acc a = {
        c.start_ms, c.disorder_ms, c.late_max_ms, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    size_t n = drive_ex(&c, 200000, net_event, &a, true);
    CHECK(n > 200000);
    CHECK_EQ_INT(a.bad_order, 0);
    CHECK_EQ_INT(a.bad_bound, 0);
    CHECK_EQ_INT(a.bad_late, 0);
    CHECK_EQ_INT(a.behind, 0);
    double late = (double)a.late / (double)n, dup = (double)a.dup / (double)n;
    CHECK(late > 0.0085 && late < 0.0115);
    CHECK(dup > 0.017 && dup < 0.023);
}

struct skew_acc {
    int64_t start_ms;
    int64_t skew_ms;
    size_t bad;
};

static void skew_event(struct sim *s, const struct sim_event *e, void *arg)
{
    (void)s;
    struct skew_acc *a = arg;
    int64_t off = (e->ts - a->start_ms) - e->send_ns / 1000000;
    if (off < -a->skew_ms - 1 || off > a->skew_ms)
        a->bad++;
}

TEST(clock_skew_bounded)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    c.clock_skew_ms = 500;
    struct skew_acc a = {c.start_ms, 500, 0};
    CHECK_EQ_INT(drive(&c, 50000, skew_event, &a), 50000);
    CHECK_EQ_INT(a.bad, 0);
}

/* --- traffic skew --------------------------------------------------------- */

struct hot_acc {
    const uint8_t *hot;
    size_t n, hot_n;
};

static void hot_event(struct sim *s, const struct sim_event *e, void *arg)
{
    (void)s;
    struct hot_acc *a = arg;
    a->n++;
    a->hot_n += a->hot[e->sensor];
}

TEST(hot_sensors_carry_their_share)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    c.sensors = 100;
    c.rate = 100000;
    c.hot_share = 0.1;
    c.hot_traffic = 0.9;
    uint8_t hot[100], hot2_edge[100];
    sim_pick_hot(c.seed, 100, 0.1, hot);
    int nhot = 0;
    for (int i = 0; i < 100; i++)
        nhot += hot[i];
    CHECK_EQ_INT(nhot, 10);
    struct hot_acc a = {hot, 0, 0};
    drive(&c, 200000, hot_event, &a);
    double share = (double)a.hot_n / (double)a.n;
    CHECK(share > 0.89 && share < 0.91);
    /* Edges: no share, all of them. */
    sim_pick_hot(c.seed, 100, 0.0, hot2_edge);
    int none = 0;
    for (int i = 0; i < 100; i++)
        none += hot2_edge[i];
    CHECK_EQ_INT(none, 0);
    sim_pick_hot(c.seed, 100, 1.0, hot2_edge);
    int all = 0;
    for (int i = 0; i < 100; i++)
        all += hot2_edge[i];
    CHECK_EQ_INT(all, 100);
    /* A different seed picks different hot sensors. */
    uint8_t hot2[100];
    sim_pick_hot(c.seed + 1, 100, 0.1, hot2);
    CHECK(memcmp(hot, hot2, sizeof hot) != 0);
}

/* --- faults -----------------------------------------------------------------
 */

/* Keeps every event of a small factory so faults can be checked after. */
struct keep {
    struct sim_event *ev;
    size_t n, cap;
};

static void keep_event(struct sim *s, const struct sim_event *e, void *arg)
{
    (void)s;
    struct keep *k = arg;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 65536;
        k->ev = mem_realloc(k->ev, sizeof *k->ev * k->cap);
    }
    k->ev[k->n++] = *e;
}

TEST(faults_rates_and_effects)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    c.sensors = 400; /* 100 machines, 4000 events/s */
    c.rate = 4000;
    c.stuck_per_min = 60;
    c.dropout_per_min = 60;
    c.bearing_per_min = 30;
    c.stuck_ms = 4000;
    c.dropout_ms = 4000;
    /* 60 s of event time: ~60 stuck, ~60 dropouts, ~30 bearing faults. */
    struct sim *s;
    CHECK_EQ_INT(sim_create(&c, &s), 0);
    struct keep k = {NULL, 0, 0};
    struct sim_event ev[BATCH];
    size_t got;
    while ((got = sim_next(s, 60LL * 1000000000, ev, BATCH)) > 0)
        for (size_t i = 0; i < got; i++)
            keep_event(s, &ev[i], &k);
    struct sim_fault f[512];
    size_t nf = sim_take_faults(s, f, 512);
    size_t count[SIM_FAULT_N] = {0};
    size_t bad_stuck = 0, bad_dropout = 0, bad_spike = 0, bad_rise = 0;
    for (size_t i = 0; i < nf; i++) {
        count[f[i].kind]++;
        double first = NAN, pre_sum = 0, rise_sum = 0, spike_min = 1e9;
        size_t pre_n = 0, rise_n = 0, in_window = 0;
        for (size_t j = 0; j < k.n; j++) {
            const struct sim_event *e = &k.ev[j];
            if (f[i].kind == SIM_FAULT_STUCK && e->sensor == f[i].sensor &&
                e->ts >= f[i].start_ms && e->ts < f[i].end_ms) {
                if (first != first)
                    first = e->value;
                else if (e->value != first)
                    bad_stuck++;
            }
            if (f[i].kind == SIM_FAULT_DROPOUT && e->sensor == f[i].sensor &&
                e->ts >= f[i].start_ms && e->ts < f[i].end_ms)
                bad_dropout++;
            if (f[i].kind == SIM_FAULT_BEARING) {
                if (e->sensor == f[i].sensor && e->ts >= f[i].start_ms &&
                    e->ts < f[i].spike_end_ms) {
                    in_window++;
                    if (e->value < spike_min)
                        spike_min = e->value;
                }
                if (e->sensor == f[i].sensor2 && e->ts < f[i].start_ms) {
                    pre_sum += e->value;
                    pre_n++;
                }
                if (e->sensor == f[i].sensor2 &&
                    e->ts >= f[i].start2_ms + 20000 && e->ts < f[i].end2_ms) {
                    rise_sum += e->value;
                    rise_n++;
                }
            }
        }
        if (f[i].kind == SIM_FAULT_BEARING) {
            int64_t gap = f[i].start2_ms - f[i].start_ms;
            if (gap < 10000 || gap > 50000)
                bad_rise++;
            if (in_window > 0 && spike_min < 1.5) /* baseline ~0.5 g */
                bad_spike++;
            if (pre_n && rise_n && rise_sum / rise_n < pre_sum / pre_n + 10)
                bad_rise++;
        }
    }
    CHECK(count[SIM_FAULT_STUCK] >= 40 && count[SIM_FAULT_STUCK] <= 80);
    CHECK(count[SIM_FAULT_DROPOUT] >= 40 && count[SIM_FAULT_DROPOUT] <= 80);
    CHECK(count[SIM_FAULT_BEARING] >= 15 && count[SIM_FAULT_BEARING] <= 45);
    CHECK_EQ_INT(bad_stuck, 0);
    CHECK_EQ_INT(bad_dropout, 0);
    CHECK_EQ_INT(bad_spike, 0);
    CHECK_EQ_INT(bad_rise, 0);
    struct sim_stats st;
    sim_get_stats(s, &st);
    CHECK(st.dropped > 0);
    CHECK_EQ_INT(st.faults[SIM_FAULT_STUCK], count[SIM_FAULT_STUCK]);
    /* The truth line carries what a detector needs. */
    char line[SIM_TRUTH_MAX];
    for (size_t i = 0; i < nf; i++) {
        if (f[i].kind != SIM_FAULT_BEARING)
            continue;
        size_t n = sim_format_fault(s, &f[i], line);
        line[n] = '\0';
        CHECK(strstr(line, "{\"fault\":\"bearing\",\"machine_id\":\"m-") ==
              line);
        CHECK(strstr(line, "\"temperature_start_ms\":") != NULL);
        CHECK(line[n - 1] == '\n');
        break;
    }
    mem_free(k.ev);
    sim_destroy(s);
}

struct burst_acc {
    size_t burst, n;
};

static void burst_event(struct sim *s, const struct sim_event *e, void *arg)
{
    (void)s;
    struct burst_acc *a = arg;
    a->n++;
    a->burst += (e->flags & SIM_EV_BURST) != 0;
}

TEST(reconnect_makes_bursts)
{
    struct sim_config c;
    sim_config_default(&c);
    sim_config_clean(&c);
    c.sensors = 400;
    c.rate = 4000;
    c.reconnect_per_min = 30;
    c.reconnect_ms = 5000;
    struct burst_acc a = {0, 0};
    drive(&c, 240000, burst_event, &a);
    /* ~30 reconnects x 4 sensors x 10/s x 5 s = ~6000 held readings. */
    CHECK(a.burst > 2000 && a.burst < 12000);
}

/* Nothing is lost or invented: after a drain, every sampled reading was
 * sent once (plus its duplicates), except those lost to dropouts. */
TEST(drain_conserves_readings)
{
    struct sim_config c;
    sim_config_default(&c);
    c.sensors = 400;
    c.rate = 4000;
    c.reconnect_per_min = 20;
    c.dropout_per_min = 20;
    c.late_fraction = 0.01;
    c.duplicate_fraction = 0.01;
    struct sim *s;
    CHECK_EQ_INT(sim_create(&c, &s), 0);
    struct sim_event ev[BATCH];
    uint64_t n = 0;
    size_t got;
    int64_t last = -1;
    bool ordered = true;
    while ((got = sim_next(s, 30LL * 1000000000, ev, BATCH)) > 0) {
        for (size_t i = 0; i < got; i++) {
            ordered = ordered && ev[i].send_ns >= last;
            last = ev[i].send_ns;
        }
        n += got;
    }
    CHECK(sim_next_due(s) > 30LL * 1000000000);
    sim_finish(s);
    while ((got = sim_next(s, 0, ev, BATCH)) > 0) {
        for (size_t i = 0; i < got; i++) {
            ordered = ordered && ev[i].send_ns >= last;
            last = ev[i].send_ns;
        }
        n += got;
    }
    CHECK(ordered);
    CHECK(sim_next_due(s) == INT64_MAX);
    struct sim_stats st;
    sim_get_stats(s, &st);
    CHECK_EQ_INT(n, st.emitted);
    CHECK_EQ_INT(st.emitted, st.generated - st.dropped + st.duplicates);
    CHECK(st.burst > 0 && st.dropped > 0 && st.late > 0);
    /* Every fault kind formats as one JSON line naming its machine. */
    struct sim_fault f[256];
    size_t nf = sim_take_faults(s, f, 256);
    bool seen[SIM_FAULT_N] = {false};
    char line[SIM_TRUTH_MAX];
    for (size_t i = 0; i < nf; i++) {
        size_t len = sim_format_fault(s, &f[i], line);
        line[len] = '\0';
        CHECK(len < SIM_TRUTH_MAX && line[len - 1] == '\n');
        CHECK(strstr(line, sim_fault_name(f[i].kind)) != NULL);
        CHECK(f[i].end_ms > f[i].start_ms);
        seen[f[i].kind] = true;
    }
    CHECK(seen[SIM_FAULT_RECONNECT] && seen[SIM_FAULT_DROPOUT]);
    CHECK_EQ_INT(sim_take_faults(s, f, 256), 0);
    sim_destroy(s);
}

int main(void)
{
    RUN(same_seed_same_bytes);
    RUN(format_json_csv_senml);
    RUN(kinds_parse_table);
    RUN(rejects_bad_config);
    RUN(disorder_late_duplicates_match_flags);
    RUN(clock_skew_bounded);
    RUN(hot_sensors_carry_their_share);
    RUN(faults_rates_and_effects);
    RUN(reconnect_makes_bursts);
    RUN(drain_conserves_readings);
    return harness_summary("test_simulator");
}
