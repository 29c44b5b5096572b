/* cli_simulate.c - `rill simulate`: realistic sensor data to stdout, a local
 * topic or a Kafka-protocol broker (layer: cli).
 *
 * The generator (connect/simulator.h) decides what is sent and when; this
 * file parses flags, paces the run (virtual clock: as fast as possible;
 * real time: open-loop ticks on a timerfd, emitting whatever is due, so a
 * slow sink makes the next tick catch up rather than slowing the schedule)
 * and hands formatted records to one output. Ground truth (the injected
 * faults) goes to --truth FILE or --truth-topic NAME as JSON lines.
 */
#include "cli/cli.h"
#include "cli/sim_out.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/simulator.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

static const char usage[] =
    "rill simulate [--scenario factory|generic] [--sensors N] [--kinds "
    "LIST]\n"
    "    [--rate EVENTS_PER_S | --sensor-hz HZ] [--seed S] [--virtual-clock]\n"
    "    [--start-ms MS] [--duration S] [--count N]\n"
    "    [--output - | --topic NAME [--data DIR] [--partitions P] |\n"
    "     --bootstrap HOST:PORT --topic NAME | --mqtt HOST:PORT --topic "
    "PREFIX]\n"
    "    [--format json|csv|senml]\n"
    "    [--truth FILE | --truth-topic NAME] [--clean] [--noise X] [--drift "
    "X]\n"
    "    [--bearing-per-min X] [--stuck-per-min X] [--dropout-per-min X]\n"
    "    [--reconnect-per-min X] [--bearing-spike-ms MS] [--stuck-ms MS]\n"
    "    [--dropout-ms MS] [--reconnect-ms MS] [--disorder-ms MS]\n"
    "    [--late-fraction F]"
    " [--late-max-ms MS] [--duplicate-fraction F] [--clock-skew-ms MS]\n"
    "    [--hot-share F --hot-traffic F] [--tick-ms MS] [--stats] [--status "
    "FILE]\n"
    "  (see docs/simulate.md)";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int parse_double(const char *flag, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) {
        fprintf(stderr, "rill simulate: --%s expects a number, got '%s'\n",
                flag, s);
        return 2;
    }
    *out = v;
    return 0;
}

#define OPT_D(name, field)                                                     \
    do {                                                                       \
        const char *v_ = cli_opt(&a, name);                                    \
        if (v_ && parse_double(name, v_, &(field)))                            \
            return 2;                                                          \
    } while (0)
#define OPT_I(name, field)                                                     \
    do {                                                                       \
        const char *v_ = cli_opt(&a, name);                                    \
        if (v_ && cli_parse_i64(name, v_, &(field)))                           \
            return 2;                                                          \
    } while (0)

struct run {
    struct sim *sim;
    struct sim_out *out;
    struct sim_out *truth;
    enum sim_format fmt;
    int64_t count; /* 0 = unbounded */
    int64_t emitted;
    const char *status; /* --status FILE, rewritten every second */
    int64_t status_last_ns, status_last_n, t0;
    struct sim_event ev[4096];
};

/* Rewrites the --status file (temp file + rename, so readers never see a
 * torn one): one JSON object with the counters a live dashboard shows. */
static void write_status(struct run *r, bool final)
{
    if (!r->status)
        return;
    int64_t now = clock_mono_ns();
    if (!final && now - r->status_last_ns < 1000000000)
        return;
    double dt = (double)(now - r->status_last_ns) / 1e9;
    double rate = r->status_last_ns && dt > 0
                      ? (double)(r->emitted - r->status_last_n) / dt
                      : 0.0;
    r->status_last_ns = now;
    r->status_last_n = r->emitted;
    struct sim_stats st;
    sim_get_stats(r->sim, &st);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", r->status);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f,
            "{\"events\":%" PRId64 ",\"events_per_s\":%.0f,\"elapsed_s\":%.1f,"
            "\"late\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"burst\":%" PRIu64
            ",\"dropped\":%" PRIu64 ",\"faults\":{\"bearing\":%" PRIu64
            ",\"stuck\":%" PRIu64 ",\"dropout\":%" PRIu64
            ",\"reconnect\":%" PRIu64 "},\"in_flight\":%" PRIu64
            ",\"end_offsets\":[",
            r->emitted, rate, (double)(now - r->t0) / 1e9, st.late,
            st.duplicates, st.burst, st.dropped, st.faults[SIM_FAULT_BEARING],
            st.faults[SIM_FAULT_STUCK], st.faults[SIM_FAULT_DROPOUT],
            st.faults[SIM_FAULT_RECONNECT], sim_out_in_flight(r->out));
    int64_t off[1024];
    int32_t np = sim_out_end_offsets(r->out, off, 1024);
    for (int32_t i = 0; i < np; i++)
        fprintf(f, "%s%" PRId64, i ? "," : "", off[i]);
    fprintf(f, "],\"done\":%s}\n", final ? "true" : "false");
    if (fclose(f) == 0)
        rename(tmp, r->status);
}

/* Moves injected faults to the truth output. */
static int pump_truth(struct run *r)
{
    struct sim_fault f[64];
    size_t n;
    char line[SIM_TRUTH_MAX];
    while ((n = sim_take_faults(r->sim, f, 64)) > 0) {
        for (size_t i = 0; i < n && r->truth; i++) {
            size_t len = sim_format_fault(r->sim, &f[i], line);
            size_t klen;
            const char *key = sim_machine_id(r->sim, f[i].machine, &klen);
            int rc = sim_out_put(r->truth, key, klen, line, len, f[i].start_ms);
            if (rc < 0)
                return rc;
        }
    }
    return r->truth ? sim_out_flush(r->truth) : 0;
}

/* Emits every event due by until_ns (bounded by --count). Returns 1 when
 * the count is reached, 0 otherwise, or a negative error. */
static int pump(struct run *r, int64_t until_ns)
{
    char line[SIM_RECORD_MAX];
    for (;;) {
        size_t want = sizeof r->ev / sizeof r->ev[0];
        if (r->count > 0 && (int64_t)want > r->count - r->emitted)
            want = (size_t)(r->count - r->emitted);
        if (want == 0)
            return 1;
        size_t n = sim_next(r->sim, until_ns, r->ev, want);
        if (n == 0)
            return 0;
        for (size_t i = 0; i < n; i++) {
            size_t len = sim_format_event(r->sim, &r->ev[i], r->fmt, line);
            size_t klen;
            const char *key = sim_sensor_id(r->sim, r->ev[i].sensor, &klen);
            int rc = sim_out_put(r->out, key, klen, line, len, r->ev[i].ts);
            if (rc < 0)
                return rc;
        }
        r->emitted += (int64_t)n;
        int rc = pump_truth(r);
        if (rc < 0)
            return rc;
        if (stop_requested)
            return 0;
    }
}

static int run_virtual(struct run *r, int64_t dur_ns)
{
    int64_t until = dur_ns > 0 ? dur_ns : INT64_MAX;
    int rc = pump(r, until);
    if (rc < 0 || rc == 1)
        return rc;
    if (!stop_requested) {
        sim_finish(r->sim);
        rc = pump(r, INT64_MAX);
    }
    return rc < 0 ? rc : 0;
}

static int run_realtime(struct run *r, int64_t dur_ns, int64_t tick_ms)
{
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (tfd < 0)
        return -errno;
    struct itimerspec its = {{tick_ms / 1000, (tick_ms % 1000) * 1000000},
                             {tick_ms / 1000, (tick_ms % 1000) * 1000000}};
    if (timerfd_settime(tfd, 0, &its, NULL) < 0) {
        int e = -errno;
        close(tfd);
        return e;
    }
    int64_t t0 = clock_mono_ns();
    int rc = 0;
    while (!stop_requested) {
        int64_t now = clock_mono_ns() - t0;
        bool last = dur_ns > 0 && now >= dur_ns;
        rc = pump(r, last ? dur_ns : now);
        if (rc != 0)
            break;
        rc = sim_out_flush(r->out);
        write_status(r, false);
        if (rc < 0 || last)
            break;
        uint64_t ticks;
        if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
    }
    close(tfd);
    if (rc == 1)
        rc = 0;
    if (rc == 0 && !stop_requested) {
        /* What is still in flight arrives now. */
        sim_finish(r->sim);
        rc = pump(r, INT64_MAX);
        if (rc == 1)
            rc = 0;
    }
    return rc;
}

int cli_simulate(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help") || cli_flag(&a, "h")) {
        printf("usage: %s\n", usage);
        return 0;
    }
    struct sim_config c;
    sim_config_default(&c);

    const char *scenario = cli_opt(&a, "scenario");
    if (scenario && strcmp(scenario, "factory") != 0) {
        if (strcmp(scenario, "generic") != 0) {
            fprintf(stderr, "rill simulate: unknown scenario '%s'\n", scenario);
            return 2;
        }
        sim_config_clean(&c);
    }
    if (cli_flag(&a, "clean"))
        sim_config_clean(&c);

    int64_t seed = 1, sensors = c.sensors, start_ms = -1, count = INT64_MIN;
    int64_t partitions = 0, tick_ms = 10;
    double rate = -1, sensor_hz = -1, duration = -HUGE_VAL;
    OPT_I("seed", seed);
    OPT_I("sensors", sensors);
    OPT_D("rate", rate);
    OPT_D("sensor-hz", sensor_hz);
    OPT_I("start-ms", start_ms);
    OPT_I("count", count);
    OPT_D("duration", duration);
    OPT_I("partitions", partitions);
    OPT_I("tick-ms", tick_ms);
    OPT_D("noise", c.noise_scale);
    OPT_D("drift", c.drift_scale);
    OPT_D("bearing-per-min", c.bearing_per_min);
    OPT_D("stuck-per-min", c.stuck_per_min);
    OPT_D("dropout-per-min", c.dropout_per_min);
    OPT_D("reconnect-per-min", c.reconnect_per_min);
    OPT_I("bearing-spike-ms", c.bearing_spike_ms);
    OPT_I("stuck-ms", c.stuck_ms);
    OPT_I("dropout-ms", c.dropout_ms);
    OPT_I("reconnect-ms", c.reconnect_ms);
    OPT_I("disorder-ms", c.disorder_ms);
    OPT_D("late-fraction", c.late_fraction);
    OPT_I("late-max-ms", c.late_max_ms);
    OPT_D("duplicate-fraction", c.duplicate_fraction);
    OPT_I("clock-skew-ms", c.clock_skew_ms);
    OPT_D("hot-share", c.hot_share);
    OPT_D("hot-traffic", c.hot_traffic);
    const char *kinds = cli_opt(&a, "kinds");
    const char *format = cli_opt(&a, "format");
    const char *output = cli_opt(&a, "output");
    const char *topic = cli_opt(&a, "topic");
    const char *bootstrap = cli_opt(&a, "bootstrap");
    const char *mqtt = cli_opt(&a, "mqtt");
    const char *data = cli_opt(&a, "data");
    const char *truth = cli_opt(&a, "truth");
    const char *truth_topic = cli_opt(&a, "truth-topic");
    const char *status = cli_opt(&a, "status");
    bool virtual_clock = cli_flag(&a, "virtual-clock");
    bool stats = cli_flag(&a, "stats");
    int rc = cli_check_unused(&a, usage);
    if (rc)
        return rc;

    if (kinds && sim_kinds_parse(kinds, c.kinds, &c.nkinds) < 0) {
        fprintf(stderr, "rill simulate: --kinds takes a list of vibration, "
                        "temperature, current, acoustic\n");
        return 2;
    }
    if (sensors <= 0 || sensors > SIM_MAX_SENSORS) {
        fprintf(stderr, "rill simulate: --sensors must be 1..1000000\n");
        return 2;
    }
    c.seed = (uint64_t)seed;
    c.sensors = (int32_t)sensors;
    c.rate = rate > 0 ? rate : sensors * (sensor_hz > 0 ? sensor_hz : 10.0);
    if (start_ms >= 0)
        c.start_ms = start_ms;
    else if (!virtual_clock)
        c.start_ms = clock_now_ms();
    if (tick_ms < 1 || tick_ms > 1000) {
        fprintf(stderr, "rill simulate: --tick-ms must be 1..1000\n");
        return 2;
    }
    /* INT64_MIN, -HUGE_VAL: not given. A given bound must bound something, and
     * a virtual clock run (millions of events/s) needs one: it would not end.
     */
    bool has_duration = duration != -HUGE_VAL, has_count = count != INT64_MIN;
    if ((has_duration && !(duration > 0)) || (has_count && count < 1)) {
        fprintf(stderr, "rill simulate: --duration must be > 0 and --count "
                        ">= 1\n");
        return 2;
    }
    if (virtual_clock && !has_duration && !has_count) {
        fprintf(stderr, "rill simulate: --virtual-clock needs --duration or "
                        "--count\n");
        return 2;
    }
    if (!has_duration)
        duration = 0;
    if (!has_count)
        count = 0;

    struct run *r = mem_calloc(1, sizeof *r);
    r->fmt = SIM_FMT_JSON;
    if (format && !strcmp(format, "csv"))
        r->fmt = SIM_FMT_CSV;
    else if (format && !strcmp(format, "senml"))
        r->fmt = SIM_FMT_SENML;
    else if (format && strcmp(format, "json") != 0) {
        fprintf(stderr, "rill simulate: --format is json, csv or senml\n");
        rc = 2;
        goto out_free;
    }
    r->count = count;
    r->status = status;

    rc = sim_create(&c, &r->sim);
    if (rc < 0) {
        fprintf(stderr,
                "rill simulate: invalid settings (rates, fractions in [0,1], "
                "--late-max-ms above --disorder-ms)\n");
        rc = 2;
        goto out_free;
    }

    char err[256] = "";
    struct sim_out_spec spec = {
        .path = output,
        .topic = topic,
        .bootstrap = bootstrap,
        .mqtt = mqtt,
        .data_dir = cli_data_dir(data),
        .partitions = (int32_t)partitions,
    };
    if (bootstrap && !topic) {
        fprintf(stderr, "rill simulate: --bootstrap needs --topic\n");
        rc = 2;
        goto out_sim;
    }
    if (sim_out_open(&spec, &r->out, err, sizeof err) < 0) {
        fprintf(stderr, "rill simulate: %s\n", err);
        rc = 1;
        goto out_sim;
    }
    if (truth || truth_topic) {
        struct sim_out_spec ts = {
            .path = truth,
            .topic = truth ? NULL : truth_topic,
            .bootstrap = truth ? NULL : bootstrap,
            .data_dir = cli_data_dir(data),
            .partitions = 1,
        };
        if (sim_out_open(&ts, &r->truth, err, sizeof err) < 0) {
            fprintf(stderr, "rill simulate: truth: %s\n", err);
            rc = 1;
            goto out_out;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int64_t dur_ns = (int64_t)(duration * 1e9);
    int64_t t0 = clock_mono_ns();
    r->t0 = t0;
    if (virtual_clock)
        rc = run_virtual(r, dur_ns);
    else
        rc = run_realtime(r, dur_ns, tick_ms);
    int frc = sim_out_finish(r->out, 30000);
    if (rc == 0)
        rc = frc;
    if (rc == 0 && r->truth)
        rc = pump_truth(r);
    if (rc == 0 && r->truth)
        rc = sim_out_finish(r->truth, 30000);
    write_status(r, true);
    if (rc < 0 && rc != -EPIPE) {
        fprintf(stderr, "rill simulate: %s\n", err_str(rc));
        rc = 1;
    } else {
        rc = 0;
    }
    if (stats) {
        struct sim_stats st;
        sim_get_stats(r->sim, &st);
        double wall = (double)(clock_mono_ns() - t0) / 1e9;
        fprintf(stderr,
                "simulate events=%" PRIu64 " generated=%" PRIu64
                " late=%" PRIu64 " duplicates=%" PRIu64 " burst=%" PRIu64
                " dropped=%" PRIu64 " faults: bearing=%" PRIu64
                " stuck=%" PRIu64 " dropout=%" PRIu64 " reconnect=%" PRIu64
                " wall_s=%.3f events_per_s=%.0f\n",
                st.emitted, st.generated, st.late, st.duplicates, st.burst,
                st.dropped, st.faults[SIM_FAULT_BEARING],
                st.faults[SIM_FAULT_STUCK], st.faults[SIM_FAULT_DROPOUT],
                st.faults[SIM_FAULT_RECONNECT], wall,
                wall > 0 ? (double)st.emitted / wall : 0.0);
    }
    sim_out_close(r->truth);
out_out:
    sim_out_close(r->out);
out_sim:
    sim_destroy(r->sim);
out_free:
    mem_free(r);
    return rc;
}
