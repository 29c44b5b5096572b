/* simulator.c - the sensor-data generator behind `rill simulate` (layer:
 * connect).
 *
 * Two min-heaps drive it: the sensor heap orders sensors by their next
 * sample time (each sensor samples periodically at its own rate, with a
 * random phase), and the in-flight heap orders readings that the network
 * delays (disorder, late, duplicates, reconnect bursts) by send time.
 * sim_next() repeatedly takes whichever is earlier, so events leave in send
 * order. Faults are Poisson arrivals on the simulated clock; each one marks
 * a sensor or machine with a time window the sampler checks.
 *
 * Invariants:
 *  1. All randomness comes from s->rng, consumed in a fixed order, so the
 *     same config gives the same events byte for byte.
 *  2. A reading delayed by d is sent at sample time + d; a reading with no
 *     delay is sent directly only when nothing in flight is due earlier.
 *  3. Nothing here allocates per event: the in-flight heap grows by
 *     doubling and is reused.
 */
#include "connect/simulator.h"

#include "base/err.h"
#include "base/mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

/* Per-kind physics: unit, baseline (mean, spread between sensors), noise
 * sigma per reading, drift sigma per reading, the floor (no negative
 * vibration, current), and the SenML unit and factor. */
struct kind_info {
    const char *name;
    const char *unit;
    double base, spread, noise, drift, floor;
    const char *senml_unit;
    double senml_factor;
};

static const struct kind_info kinds[SIM_KIND_N] = {
    {"vibration", "g", 0.5, 0.15, 0.04, 0.0005, 0.0, "m/s2", 9.80665},
    {"temperature", "C", 45.0, 8.0, 0.3, 0.002, -40.0, "Cel", 1.0},
    {"current", "A", 12.0, 4.0, 0.4, 0.003, 0.0, "A", 1.0},
    {"acoustic", "dB", 70.0, 5.0, 1.0, 0.005, 0.0, "dB", 1.0},
};

static const char *const fault_names[SIM_FAULT_N] = {"bearing", "stuck",
                                                     "dropout", "reconnect"};

enum sensor_fault { SF_NONE = 0, SF_SPIKE, SF_RISE, SF_STUCK, SF_DROPOUT };

struct sensor {
    int64_t next_ns; /* next sample time */
    int64_t period_ns;
    double base, drift, last, amp;
    int64_t fault_start_ns, fault_end_ns, ramp_ns;
    int32_t machine;
    uint8_t kind;
    uint8_t fault; /* enum sensor_fault */
    uint8_t idlen;
    char id[13];
};

struct machine {
    int64_t skew_ms;
    int64_t offline_start_ns, offline_end_ns;
    int64_t burst_seq; /* spreads a burst over consecutive ns */
    uint8_t idlen;
    char id[15];
};

struct flight {
    int64_t send_ns;
    uint64_t seq; /* tie-break: insertion order */
    struct sim_event ev;
};

struct sim {
    struct sim_config cfg;
    uint64_t rng[4];
    struct sensor *sensors;
    struct machine *machines;
    int32_t nmachines;
    int32_t *heap; /* sensor indexes, min next_ns first */
    struct flight *flight;
    size_t nflight, capflight;
    uint64_t flight_seq;
    int64_t next_fault_ns[SIM_FAULT_N];
    struct sim_fault *faults;
    size_t nfaults, capfaults;
    int64_t disorder_ns, late_max_ns;
    int kind_slot[SIM_KIND_N]; /* kind -> index within a machine, or -1 */
    bool finished;
    struct sim_stats stats;
};

/* --- randomness ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t rng_u64(uint64_t *st)
{
    uint64_t r = rotl(st[1] * 5, 7) * 9;
    uint64_t t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 45);
    return r;
}

static void rng_seed(uint64_t *st, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        st[i] = splitmix64(&x);
}

/* Uniform in [0, 1). */
static inline double rng_unit(uint64_t *st)
{
    return (double)(rng_u64(st) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately standard normal: the sum of four 16-bit uniforms
 * (Irwin-Hall), scaled to unit variance. One draw, no libm. */
static inline double rng_gauss(uint64_t *st)
{
    uint64_t r = rng_u64(st);
    double sum = (double)(r & 0xffff) + (double)((r >> 16) & 0xffff) +
                 (double)((r >> 32) & 0xffff) + (double)(r >> 48);
    return (sum / 65536.0 - 2.0) * 1.7320508075688772;
}

static inline int64_t rng_range(uint64_t *st, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(rng_u64(st) % (uint64_t)(hi - lo + 1));
}

/* Exponential inter-arrival for a Poisson process of per_min events/min. */
static int64_t next_arrival(uint64_t *st, int64_t now_ns, double per_min)
{
    if (per_min <= 0)
        return INT64_MAX;
    double u = rng_unit(st);
    double gap_s = -log(1.0 - u) * 60.0 / per_min;
    if (gap_s > 1e9)
        return INT64_MAX;
    /* Whole milliseconds, so a fault's window in event time (ms) holds
     * exactly the readings sampled inside it. */
    int64_t t = now_ns + (int64_t)(gap_s * (double)NS_PER_S) + 1;
    return (t + NS_PER_MS - 1) / NS_PER_MS * NS_PER_MS;
}

/* --- config ------------------------------------------------------------- */

void sim_config_default(struct sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->sensors = 2000;
    c->nkinds = SIM_KIND_N;
    for (int i = 0; i < SIM_KIND_N; i++)
        c->kinds[i] = (enum sim_kind)i;
    c->rate = 20000;
    c->start_ms = SIM_DEFAULT_START_MS;
    c->noise_scale = 1.0;
    c->drift_scale = 1.0;
    c->bearing_per_min = 2.0;
    c->stuck_per_min = 2.0;
    c->dropout_per_min = 2.0;
    c->reconnect_per_min = 1.0;
    c->bearing_spike_ms = 5000;
    c->stuck_ms = 30000;
    c->dropout_ms = 15000;
    c->reconnect_ms = 10000;
    c->disorder_ms = 200;
    c->late_fraction = 0.001;
    c->late_max_ms = 120000;
    c->duplicate_fraction = 0.001;
    c->clock_skew_ms = 50;
    c->hot_share = 0;
    c->hot_traffic = 0;
}

void sim_config_clean(struct sim_config *c)
{
    c->bearing_per_min = c->stuck_per_min = 0;
    c->dropout_per_min = c->reconnect_per_min = 0;
    c->disorder_ms = 0;
    c->late_fraction = 0;
    c->duplicate_fraction = 0;
    c->clock_skew_ms = 0;
    c->hot_share = c->hot_traffic = 0;
}

const char *sim_kind_name(enum sim_kind k)
{
    return (unsigned)k < SIM_KIND_N ? kinds[k].name : "?";
}

const char *sim_kind_unit(enum sim_kind k)
{
    return (unsigned)k < SIM_KIND_N ? kinds[k].unit : "?";
}

const char *sim_fault_name(enum sim_fault_kind k)
{
    return (unsigned)k < SIM_FAULT_N ? fault_names[k] : "?";
}

int sim_kinds_parse(const char *s, enum sim_kind *out, int32_t *nout)
{
    int32_t n = 0;
    bool seen[SIM_KIND_N] = {false};
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        int k = -1;
        for (int i = 0; i < SIM_KIND_N; i++)
            if (strlen(kinds[i].name) == len &&
                memcmp(kinds[i].name, s, len) == 0)
                k = i;
        if (k < 0 || seen[k])
            return ERR_PARSE;
        seen[k] = true;
        out[n++] = (enum sim_kind)k;
        s += len;
        if (*s == ',')
            s++;
    }
    if (n == 0)
        return ERR_PARSE;
    *nout = n;
    return 0;
}

/* --- ids ----------------------------------------------------------------- */

static size_t put_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static size_t format_id(char prefix, int32_t n, char *out)
{
    char digits[16];
    size_t nd = put_u64(digits, (uint64_t)n);
    size_t len = 0;
    out[len++] = prefix;
    out[len++] = '-';
    for (size_t i = nd; i < 4; i++)
        out[len++] = '0';
    memcpy(out + len, digits, nd);
    len += nd;
    out[len] = '\0';
    return len;
}

size_t sim_format_sensor_id(int32_t sensor, char *out)
{
    return format_id('s', sensor, out);
}

/* --- hot sensors ---------------------------------------------------------- */

void sim_pick_hot(uint64_t seed, int32_t n, double share, uint8_t *is_hot)
{
    memset(is_hot, 0, (size_t)n);
    int32_t nhot = (int32_t)llround(share * n);
    if (nhot <= 0)
        return;
    if (nhot > n)
        nhot = n;
    int32_t *perm = mem_alloc(sizeof *perm * (size_t)n);
    for (int32_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t st[4];
    rng_seed(st, seed ^ 0x686f7473656e736fULL); /* "hotsenso" */
    for (int32_t i = 0; i < nhot; i++) {
        int32_t j = i + (int32_t)(rng_u64(st) % (uint64_t)(n - i));
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        is_hot[perm[i]] = 1;
    }
    mem_free(perm);
}

/* --- heaps ---------------------------------------------------------------- */

static inline bool sensor_less(const struct sim *s, int32_t a, int32_t b)
{
    int64_t ta = s->sensors[a].next_ns, tb = s->sensors[b].next_ns;
    return ta < tb || (ta == tb && a < b);
}

static void sensor_sift_down(struct sim *s, size_t i)
{
    size_t n = (size_t)s->cfg.sensors;
    int32_t *h = s->heap;
    int32_t x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && sensor_less(s, h[c + 1], h[c]))
            c++;
        if (!sensor_less(s, h[c], x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static inline bool flight_less(const struct flight *a, const struct flight *b)
{
    return a->send_ns < b->send_ns ||
           (a->send_ns == b->send_ns && a->seq < b->seq);
}

static void flight_push(struct sim *s, int64_t send_ns,
                        const struct sim_event *ev)
{
    if (s->nflight == s->capflight) {
        s->capflight = s->capflight ? s->capflight * 2 : 1024;
        s->flight = mem_realloc(s->flight, sizeof *s->flight * s->capflight);
    }
    struct flight f = {send_ns, s->flight_seq++, *ev};
    f.ev.send_ns = send_ns;
    size_t i = s->nflight++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!flight_less(&f, &s->flight[p]))
            break;
        s->flight[i] = s->flight[p];
        i = p;
    }
    s->flight[i] = f;
}

static struct sim_event flight_pop(struct sim *s)
{
    struct sim_event top = s->flight[0].ev;
    struct flight x = s->flight[--s->nflight];
    size_t n = s->nflight, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && flight_less(&s->flight[c + 1], &s->flight[c]))
            c++;
        if (!flight_less(&s->flight[c], &x))
            break;
        s->flight[i] = s->flight[c];
        i = c;
    }
    if (n)
        s->flight[i] = x;
    return top;
}

/* --- create ----------------------------------------------------------------
 */

static int validate(const struct sim_config *c)
{
    if (c->sensors <= 0 || c->sensors > SIM_MAX_SENSORS || c->nkinds <= 0 ||
        c->nkinds > SIM_KIND_N || c->rate <= 0 || c->rate > 1e9)
        return ERR_INVALID;
    if (c->rate / c->sensors > 1e6) /* a sensor period below 1 us */
        return ERR_INVALID;
    if (c->disorder_ms < 0 || c->late_max_ms < 0 || c->clock_skew_ms < 0 ||
        c->late_fraction < 0 || c->late_fraction > 1 ||
        c->duplicate_fraction < 0 || c->duplicate_fraction > 1 ||
        c->hot_share < 0 || c->hot_share > 1 || c->hot_traffic < 0 ||
        c->hot_traffic > 1 || c->noise_scale < 0 || c->drift_scale < 0)
        return ERR_INVALID;
    if (c->late_fraction > 0 && c->late_max_ms <= c->disorder_ms)
        return ERR_INVALID;
    if (c->bearing_per_min < 0 || c->stuck_per_min < 0 ||
        c->dropout_per_min < 0 || c->reconnect_per_min < 0 ||
        c->bearing_spike_ms < 0 || c->stuck_ms < 0 || c->dropout_ms < 0 ||
        c->reconnect_ms < 0 || c->bearing_spike_ms > 3600000 ||
        c->stuck_ms > 86400000 || c->dropout_ms > 86400000 ||
        c->reconnect_ms > 86400000)
        return ERR_INVALID;
    return 0;
}

int sim_create(const struct sim_config *c, struct sim **out)
{
    *out = NULL;
    int rc = validate(c);
    if (rc < 0)
        return rc;
    struct sim *s = mem_calloc(1, sizeof *s);
    s->cfg = *c;
    rng_seed(s->rng, c->seed);
    for (int k = 0; k < SIM_KIND_N; k++)
        s->kind_slot[k] = -1;
    for (int i = 0; i < c->nkinds; i++)
        s->kind_slot[c->kinds[i]] = i;
    int32_t n = c->sensors;
    s->nmachines = (n + c->nkinds - 1) / c->nkinds;
    s->machines = mem_calloc((size_t)s->nmachines, sizeof *s->machines);
    s->sensors = mem_calloc((size_t)n, sizeof *s->sensors);
    s->heap = mem_alloc(sizeof *s->heap * (size_t)n);
    s->disorder_ns = c->disorder_ms * NS_PER_MS;
    s->late_max_ns = c->late_max_ms * NS_PER_MS;

    for (int32_t m = 0; m < s->nmachines; m++) {
        struct machine *mc = &s->machines[m];
        mc->idlen = (uint8_t)format_id('m', m, mc->id);
        mc->skew_ms = rng_range(s->rng, -c->clock_skew_ms, c->clock_skew_ms);
        mc->offline_start_ns = mc->offline_end_ns = -1;
    }

    uint8_t *hot = mem_alloc((size_t)n);
    sim_pick_hot(c->seed, n, c->hot_share, hot);
    int32_t nhot = 0;
    for (int32_t i = 0; i < n; i++)
        nhot += hot[i];
    double hot_rate = 0, cold_rate = c->rate / n;
    if (nhot > 0 && nhot < n && c->hot_traffic > 0) {
        hot_rate = c->rate * c->hot_traffic / nhot;
        cold_rate = c->rate * (1.0 - c->hot_traffic) / (n - nhot);
    }
    for (int32_t i = 0; i < n; i++) {
        struct sensor *se = &s->sensors[i];
        const struct kind_info *ki;
        se->machine = i / c->nkinds;
        se->kind = (uint8_t)c->kinds[i % c->nkinds];
        ki = &kinds[se->kind];
        se->idlen = (uint8_t)format_id('s', i, se->id);
        double r = hot[i] && hot_rate > 0 ? hot_rate : cold_rate;
        if (r <= 0) {
            se->period_ns = INT64_MAX / 4; /* never samples in practice */
        } else {
            double p = (double)NS_PER_S / r;
            se->period_ns = p < 1 ? 1 : (int64_t)llround(p);
        }
        se->next_ns =
            se->period_ns >= INT64_MAX / 4
                ? INT64_MAX / 4
                : (int64_t)(rng_u64(s->rng) % (uint64_t)se->period_ns);
        se->base = ki->base + ki->spread * (2.0 * rng_unit(s->rng) - 1.0);
        se->last = se->base;
        s->heap[i] = i;
    }
    mem_free(hot);
    for (size_t i = (size_t)n / 2; i-- > 0;)
        sensor_sift_down(s, i);

    s->next_fault_ns[SIM_FAULT_BEARING] =
        s->kind_slot[SIM_VIBRATION] >= 0 && s->kind_slot[SIM_TEMPERATURE] >= 0
            ? next_arrival(s->rng, 0, c->bearing_per_min)
            : INT64_MAX;
    s->next_fault_ns[SIM_FAULT_STUCK] =
        next_arrival(s->rng, 0, c->stuck_per_min);
    s->next_fault_ns[SIM_FAULT_DROPOUT] =
        next_arrival(s->rng, 0, c->dropout_per_min);
    s->next_fault_ns[SIM_FAULT_RECONNECT] =
        next_arrival(s->rng, 0, c->reconnect_per_min);
    *out = s;
    return 0;
}

void sim_destroy(struct sim *s)
{
    if (!s)
        return;
    mem_free(s->sensors);
    mem_free(s->machines);
    mem_free(s->heap);
    mem_free(s->flight);
    mem_free(s->faults);
    mem_free(s);
}

/* --- faults --------------------------------------------------------------- */

static inline int64_t event_ms(const struct sim *s, int32_t machine, int64_t ns)
{
    return s->cfg.start_ms + ns / NS_PER_MS + s->machines[machine].skew_ms;
}

static void record_fault(struct sim *s, const struct sim_fault *f)
{
    if (s->nfaults == s->capfaults) {
        s->capfaults = s->capfaults ? s->capfaults * 2 : 16;
        s->faults = mem_realloc(s->faults, sizeof *s->faults * s->capfaults);
    }
    s->faults[s->nfaults++] = *f;
    s->stats.faults[f->kind]++;
}

static int64_t fault_len(struct sim *s, int64_t mean_ms)
{
    /* Uniform in [mean/2, 3*mean/2]. */
    return rng_range(s->rng, mean_ms / 2, mean_ms + mean_ms / 2) * NS_PER_MS;
}

static void inject(struct sim *s, enum sim_fault_kind k, int64_t t)
{
    const struct sim_config *c = &s->cfg;
    struct sim_fault f;
    memset(&f, 0, sizeof f);
    f.kind = k;
    f.sensor = f.sensor2 = -1;
    int32_t m = (int32_t)(rng_u64(s->rng) % (uint64_t)s->nmachines);
    f.machine = m;
    if (k == SIM_FAULT_BEARING) {
        int32_t v = m * c->nkinds + s->kind_slot[SIM_VIBRATION];
        int32_t tp = m * c->nkinds + s->kind_slot[SIM_TEMPERATURE];
        if (v >= c->sensors || tp >= c->sensors ||
            s->sensors[v].fault != SF_NONE || s->sensors[tp].fault != SF_NONE)
            return; /* busy or absent: not injected, not recorded */
        struct sensor *sv = &s->sensors[v], *st = &s->sensors[tp];
        int64_t spike = c->bearing_spike_ms * NS_PER_MS;
        int64_t gap = rng_range(s->rng, 10000, 50000) * NS_PER_MS;
        int64_t rise = 60 * NS_PER_S;
        sv->fault = SF_SPIKE;
        sv->fault_start_ns = t;
        sv->fault_end_ns = t + spike;
        sv->amp = 2.5 + 1.5 * rng_unit(s->rng); /* +2.5 .. +4 g */
        st->fault = SF_RISE;
        st->fault_start_ns = t + gap;
        st->fault_end_ns = t + gap + rise;
        st->ramp_ns = 20 * NS_PER_S;
        st->amp = 15.0 + 10.0 * rng_unit(s->rng); /* +15 .. +25 C */
        f.sensor = v;
        f.sensor2 = tp;
        f.start_ms = event_ms(s, m, t);
        f.spike_end_ms = event_ms(s, m, t + spike);
        f.start2_ms = event_ms(s, m, t + gap);
        f.end2_ms = event_ms(s, m, t + gap + rise);
        f.end_ms = f.end2_ms;
    } else if (k == SIM_FAULT_RECONNECT) {
        struct machine *mc = &s->machines[m];
        if (mc->offline_end_ns > t)
            return;
        int64_t len = fault_len(s, c->reconnect_ms);
        mc->offline_start_ns = t;
        mc->offline_end_ns = t + len;
        mc->burst_seq = 0;
        f.start_ms = event_ms(s, m, t);
        f.end_ms = event_ms(s, m, t + len);
    } else {
        int32_t i =
            m * c->nkinds + (int32_t)(rng_u64(s->rng) % (uint64_t)c->nkinds);
        if (i >= c->sensors || s->sensors[i].fault != SF_NONE)
            return;
        struct sensor *se = &s->sensors[i];
        int64_t len =
            fault_len(s, k == SIM_FAULT_STUCK ? c->stuck_ms : c->dropout_ms);
        se->fault = k == SIM_FAULT_STUCK ? SF_STUCK : SF_DROPOUT;
        se->fault_start_ns = t;
        se->fault_end_ns = t + len;
        f.sensor = i;
        f.start_ms = event_ms(s, m, t);
        f.end_ms = event_ms(s, m, t + len);
    }
    record_fault(s, &f);
}

static void run_faults(struct sim *s, int64_t until_ns)
{
    for (;;) {
        int best = -1;
        for (int k = 0; k < SIM_FAULT_N; k++)
            if (s->next_fault_ns[k] <= until_ns &&
                (best < 0 || s->next_fault_ns[k] < s->next_fault_ns[best]))
                best = k;
        if (best < 0)
            return;
        int64_t t = s->next_fault_ns[best];
        inject(s, (enum sim_fault_kind)best, t);
        double per_min = best == SIM_FAULT_BEARING   ? s->cfg.bearing_per_min
                         : best == SIM_FAULT_STUCK   ? s->cfg.stuck_per_min
                         : best == SIM_FAULT_DROPOUT ? s->cfg.dropout_per_min
                                                     : s->cfg.reconnect_per_min;
        s->next_fault_ns[best] = next_arrival(s->rng, t, per_min);
    }
}

/* --- sampling --------------------------------------------------------------
 */

/* Samples sensor i at its next_ns; returns false when the reading is lost
 * (dropout). Advances the sensor's schedule either way. */
static bool sample(struct sim *s, int32_t i, struct sim_event *ev)
{
    struct sensor *se = &s->sensors[i];
    const struct kind_info *ki = &kinds[se->kind];
    int64_t t = se->next_ns;
    se->next_ns += se->period_ns;
    sensor_sift_down(s, 0);
    s->stats.generated++;

    if (se->fault != SF_NONE && t >= se->fault_end_ns)
        se->fault = SF_NONE;
    bool in_fault = se->fault != SF_NONE && t >= se->fault_start_ns;
    if (in_fault && se->fault == SF_DROPOUT) {
        s->stats.dropped++;
        return false;
    }
    double v;
    uint8_t flags = 0;
    if (in_fault && se->fault == SF_STUCK) {
        v = se->last; /* the frozen value, repeated */
        flags |= SIM_EV_FAULT;
    } else {
        se->drift = se->drift * 0.9995 + rng_gauss(s->rng) * ki->drift *
                                             s->cfg.drift_scale * ki->spread;
        v = se->base + se->drift +
            rng_gauss(s->rng) * ki->noise * s->cfg.noise_scale;
        if (in_fault && se->fault == SF_SPIKE) {
            v += se->amp * (1.0 + 0.1 * rng_gauss(s->rng));
            flags |= SIM_EV_FAULT;
        } else if (in_fault && se->fault == SF_RISE) {
            int64_t into = t - se->fault_start_ns;
            double f =
                into >= se->ramp_ns ? 1.0 : (double)into / (double)se->ramp_ns;
            v += se->amp * f;
            flags |= SIM_EV_FAULT;
        }
        if (v < ki->floor)
            v = ki->floor;
        se->last = v;
    }
    ev->send_ns = t;
    ev->ts = event_ms(s, se->machine, t);
    ev->value = v;
    ev->sensor = i;
    ev->kind = se->kind;
    ev->flags = flags;
    return true;
}

/* The network delay of a reading sampled at t; may set SIM_EV_LATE or
 * SIM_EV_BURST. */
static int64_t delay_of(struct sim *s, struct sim_event *ev, int64_t t)
{
    int64_t d = 0;
    if (s->cfg.late_fraction > 0 && rng_unit(s->rng) < s->cfg.late_fraction) {
        d = s->disorder_ns + 1 +
            (int64_t)(rng_unit(s->rng) *
                      (double)(s->late_max_ns - s->disorder_ns - 1));
        ev->flags |= SIM_EV_LATE;
        s->stats.late++;
    } else if (s->disorder_ns > 0) {
        d = (int64_t)(rng_u64(s->rng) % (uint64_t)(s->disorder_ns / 1000 + 1)) *
            1000;
    }
    struct machine *mc = &s->machines[s->sensors[ev->sensor].machine];
    if (t >= mc->offline_start_ns && t < mc->offline_end_ns) {
        /* Held by the device until the link returns, then sent in a burst
         * in sampling order, one per microsecond. */
        int64_t at = mc->offline_end_ns + (mc->burst_seq++) * 1000;
        if (t + d < at)
            d = at - t;
        ev->flags |= SIM_EV_BURST;
        s->stats.burst++;
    }
    return d;
}

size_t sim_next(struct sim *s, int64_t until_ns, struct sim_event *out,
                size_t max)
{
    size_t n = 0;
    while (n < max) {
        int64_t tf = s->nflight ? s->flight[0].send_ns : INT64_MAX;
        if (s->finished) {
            if (!s->nflight)
                break;
            out[n++] = flight_pop(s);
            continue;
        }
        int64_t tg = s->sensors[s->heap[0]].next_ns;
        if (tf <= tg) {
            if (tf > until_ns)
                break;
            out[n++] = flight_pop(s);
            continue;
        }
        if (tg > until_ns)
            break;
        run_faults(s, tg);
        int32_t i = s->heap[0];
        struct sim_event ev;
        if (!sample(s, i, &ev))
            continue;
        int64_t d = delay_of(s, &ev, tg);
        bool dup = s->cfg.duplicate_fraction > 0 &&
                   rng_unit(s->rng) < s->cfg.duplicate_fraction;
        if (dup) {
            struct sim_event copy = ev;
            copy.flags |= SIM_EV_DUPLICATE;
            /* A retry after a lost acknowledgement: up to 1 s later. */
            flight_push(s, tg + d + 1 + rng_range(s->rng, 0, 999) * NS_PER_MS,
                        &copy);
            s->stats.duplicates++;
        }
        if (d == 0 && (!s->nflight || s->flight[0].send_ns > tg)) {
            out[n++] = ev;
        } else {
            flight_push(s, tg + d, &ev);
        }
    }
    s->stats.emitted += n;
    return n;
}

void sim_finish(struct sim *s)
{
    s->finished = true;
}

int64_t sim_next_due(const struct sim *s)
{
    int64_t tf = s->nflight ? s->flight[0].send_ns : INT64_MAX;
    if (s->finished)
        return tf;
    int64_t tg = s->sensors[s->heap[0]].next_ns;
    return tf < tg ? tf : tg;
}

size_t sim_take_faults(struct sim *s, struct sim_fault *out, size_t max)
{
    size_t n = s->nfaults < max ? s->nfaults : max;
    if (n == 0)
        return 0;
    memcpy(out, s->faults, n * sizeof *out);
    memmove(s->faults, s->faults + n, (s->nfaults - n) * sizeof *out);
    s->nfaults -= n;
    return n;
}

/* --- formatting ------------------------------------------------------------
 */

static inline char *put_str(char *p, const char *str, size_t n)
{
    memcpy(p, str, n);
    return p + n;
}

#define PUT_LIT(p, lit) put_str((p), (lit), sizeof(lit) - 1)

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return p + put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return p + put_u64(p, (uint64_t)v);
}

/* A value with exactly `dec` decimals (1..4), rounded half away from 0. */
static char *put_fixed(char *p, double v, int dec)
{
    static const double scale[] = {1, 10, 100, 1000, 10000};
    if (!(v == v) || v > 1e15 || v < -1e15) /* NaN or absurd: JSON-safe */
        return PUT_LIT(p, "0");
    bool neg = v < 0;
    uint64_t q = (uint64_t)llround(fabs(v) * scale[dec]);
    uint64_t ip = q / (uint64_t)scale[dec], fp = q % (uint64_t)scale[dec];
    if (neg && q)
        *p++ = '-';
    p += put_u64(p, ip);
    *p++ = '.';
    for (int i = dec - 1; i >= 0; i--) {
        p[i] = (char)('0' + fp % 10);
        fp /= 10;
    }
    return p + dec;
}

size_t sim_format_event(const struct sim *s, const struct sim_event *e,
                        enum sim_format fmt, char *out)
{
    const struct sensor *se = &s->sensors[e->sensor];
    const struct machine *mc = &s->machines[se->machine];
    const struct kind_info *ki = &kinds[e->kind];
    char *p = out;
    switch (fmt) {
    case SIM_FMT_CSV:
        p = put_str(p, se->id, se->idlen);
        *p++ = ',';
        p = put_str(p, mc->id, mc->idlen);
        *p++ = ',';
        p = put_str(p, ki->name, strlen(ki->name));
        *p++ = ',';
        p = put_fixed(p, e->value, 4);
        *p++ = ',';
        p = put_str(p, ki->unit, strlen(ki->unit));
        *p++ = ',';
        p = put_i64(p, e->ts);
        break;
    case SIM_FMT_SENML:
        p = PUT_LIT(p, "[{\"bn\":\"");
        p = put_str(p, mc->id, mc->idlen);
        p = PUT_LIT(p, ":\",\"n\":\"");
        p = put_str(p, se->id, se->idlen);
        *p++ = ':';
        p = put_str(p, ki->name, strlen(ki->name));
        p = PUT_LIT(p, "\",\"u\":\"");
        p = put_str(p, ki->senml_unit, strlen(ki->senml_unit));
        p = PUT_LIT(p, "\",\"v\":");
        p = put_fixed(p, e->value * ki->senml_factor, 4);
        p = PUT_LIT(p, ",\"t\":");
        p = put_i64(p, e->ts / 1000 - (e->ts % 1000 < 0));
        *p++ = '.';
        {
            int64_t ms = ((e->ts % 1000) + 1000) % 1000;
            *p++ = (char)('0' + ms / 100);
            *p++ = (char)('0' + ms / 10 % 10);
            *p++ = (char)('0' + ms % 10);
        }
        p = PUT_LIT(p, "}]");
        break;
    case SIM_FMT_JSON:
    default:
        p = PUT_LIT(p, "{\"sensor_id\":\"");
        p = put_str(p, se->id, se->idlen);
        p = PUT_LIT(p, "\",\"machine_id\":\"");
        p = put_str(p, mc->id, mc->idlen);
        p = PUT_LIT(p, "\",\"kind\":\"");
        p = put_str(p, ki->name, strlen(ki->name));
        p = PUT_LIT(p, "\",\"value\":");
        p = put_fixed(p, e->value, 4);
        p = PUT_LIT(p, ",\"unit\":\"");
        p = put_str(p, ki->unit, strlen(ki->unit));
        p = PUT_LIT(p, "\",\"ts\":");
        p = put_i64(p, e->ts);
        *p++ = '}';
        break;
    }
    *p++ = '\n';
    return (size_t)(p - out);
}

size_t sim_format_fault(const struct sim *s, const struct sim_fault *f,
                        char *out)
{
    const struct machine *mc = &s->machines[f->machine];
    char *p = out;
    p = PUT_LIT(p, "{\"fault\":\"");
    p = put_str(p, fault_names[f->kind], strlen(fault_names[f->kind]));
    p = PUT_LIT(p, "\",\"machine_id\":\"");
    p = put_str(p, mc->id, mc->idlen);
    *p++ = '"';
    if (f->sensor >= 0) {
        const struct sensor *se = &s->sensors[f->sensor];
        p = PUT_LIT(p, ",\"sensor_id\":\"");
        p = put_str(p, se->id, se->idlen);
        p = PUT_LIT(p, "\",\"kind\":\"");
        p = put_str(p, kinds[se->kind].name, strlen(kinds[se->kind].name));
        *p++ = '"';
    }
    p = PUT_LIT(p, ",\"start_ms\":");
    p = put_i64(p, f->start_ms);
    p = PUT_LIT(p, ",\"end_ms\":");
    p = put_i64(p, f->end_ms);
    if (f->kind == SIM_FAULT_BEARING) {
        const struct sensor *st = &s->sensors[f->sensor2];
        p = PUT_LIT(p, ",\"spike_end_ms\":");
        p = put_i64(p, f->spike_end_ms);
        p = PUT_LIT(p, ",\"temperature_sensor_id\":\"");
        p = put_str(p, st->id, st->idlen);
        p = PUT_LIT(p, "\",\"temperature_start_ms\":");
        p = put_i64(p, f->start2_ms);
        p = PUT_LIT(p, ",\"temperature_end_ms\":");
        p = put_i64(p, f->end2_ms);
    }
    *p++ = '}';
    *p++ = '\n';
    return (size_t)(p - out);
}

const char *sim_sensor_id(const struct sim *s, int32_t sensor, size_t *len)
{
    *len = s->sensors[sensor].idlen;
    return s->sensors[sensor].id;
}

const char *sim_machine_id(const struct sim *s, int32_t machine, size_t *len)
{
    *len = s->machines[machine].idlen;
    return s->machines[machine].id;
}

int32_t sim_machine_of(const struct sim *s, int32_t sensor)
{
    return s->sensors[sensor].machine;
}

double sim_sensor_rate(const struct sim *s, int32_t sensor)
{
    return (double)NS_PER_S / (double)s->sensors[sensor].period_ns;
}

void sim_get_stats(const struct sim *s, struct sim_stats *out)
{
    *out = s->stats;
}
