/* simulator.h - deterministic IoT sensor-data generator (layer: connect).
 *
 * Generates readings of machines' sensors (vibration g, temperature °C,
 * current A, acoustic dB) with noise and slow drift, injected faults
 * (bearing failure, stuck sensors, dropouts, network reconnect bursts),
 * network effects (bounded disorder, late readings, duplicates) and device
 * clock skew, in the order a collector would receive them. It does no I/O:
 * callers pull events with sim_next(), format them with sim_format_event()
 * and send them where they like (stdout, a log topic, Kafka).
 *
 * Time: the simulator runs on its own clock, nanoseconds since the start of
 * the run ("send time"); event times (ts) are ms since the epoch as the
 * device stamps them (start_ms + sample time + the machine's clock skew).
 * The same config and seed always give the same event sequence: all
 * randomness comes from one xoshiro256** stream seeded by splitmix64.
 * One struct sim belongs to one thread.
 */
#ifndef RILL_SIMULATOR_H
#define RILL_SIMULATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_kind {
    SIM_VIBRATION = 0,
    SIM_TEMPERATURE,
    SIM_CURRENT,
    SIM_ACOUSTIC,
    SIM_KIND_N
};

enum sim_format { SIM_FMT_JSON = 0, SIM_FMT_CSV, SIM_FMT_SENML };

enum sim_fault_kind {
    SIM_FAULT_BEARING = 0, /* vibration spike, then temperature rise */
    SIM_FAULT_STUCK,       /* one sensor repeats its last value */
    SIM_FAULT_DROPOUT,     /* one sensor sends nothing */
    SIM_FAULT_RECONNECT,   /* a machine's link drops; a burst on return */
    SIM_FAULT_N
};

/* At most this many sensors (about 100 bytes of state each). */
#define SIM_MAX_SENSORS 1000000

/* Bytes a formatted event or fault line may take, newline included. */
#define SIM_RECORD_MAX 256
#define SIM_TRUTH_MAX 512
/* The fixed start of event time when the caller sets none (virtual clock):
 * 2025-11-24T16:00:00Z. */
#define SIM_DEFAULT_START_MS 1764000000000LL

/* Event flags (struct sim_event.flags). */
#define SIM_EV_LATE 0x01      /* delivered later than the disorder bound */
#define SIM_EV_DUPLICATE 0x02 /* a second send of an earlier reading */
#define SIM_EV_BURST 0x04     /* held during a reconnect, sent in a burst */
#define SIM_EV_FAULT 0x08     /* value shaped by a fault (spike/rise/stuck) */

struct sim_config {
    uint64_t seed;
    int32_t sensors; /* total sensors */
    int32_t nkinds;  /* kinds per machine, in order */
    enum sim_kind kinds[SIM_KIND_N];
    double rate;        /* total events/s (send-time) */
    int64_t start_ms;   /* event time of send time 0 */
    double noise_scale; /* 1.0 = the kind's default noise */
    double drift_scale; /* 1.0 = the kind's default drift */
    /* Faults, factory-wide Poisson rates per minute of simulated time. */
    double bearing_per_min;
    double stuck_per_min;
    double dropout_per_min;
    double reconnect_per_min;
    int64_t bearing_spike_ms; /* how long the vibration spike lasts */
    int64_t stuck_ms, dropout_ms, reconnect_ms; /* mean durations */
    /* Network effects. */
    int64_t disorder_ms;       /* every reading delayed U[0, this] */
    double late_fraction;      /* of readings delayed beyond it ... */
    int64_t late_max_ms;       /* ... up to this */
    double duplicate_fraction; /* readings sent twice */
    int64_t clock_skew_ms;     /* per machine, U[-this, +this] */
    /* Traffic skew: hot_share of the sensors carry hot_traffic of events. */
    double hot_share;
    double hot_traffic;
};

struct sim_event {
    int64_t send_ns; /* when it is sent, ns since the run's start */
    int64_t ts;      /* event time, ms since the epoch (device clock) */
    double value;
    int32_t sensor;
    uint8_t kind;  /* enum sim_kind */
    uint8_t flags; /* SIM_EV_* */
};

struct sim_fault {
    enum sim_fault_kind kind;
    int32_t machine;
    int32_t sensor;   /* -1 for a whole-machine fault (reconnect) */
    int32_t sensor2;  /* bearing: the temperature sensor; else -1 */
    int64_t start_ms; /* event time (device clock) */
    int64_t end_ms;
    int64_t start2_ms, end2_ms; /* bearing: the temperature rise */
    int64_t spike_end_ms;       /* bearing: end of the vibration spike */
};

struct sim_stats {
    uint64_t generated; /* readings sampled (dropped ones included) */
    uint64_t emitted;   /* events returned by sim_next */
    uint64_t late;
    uint64_t duplicates;
    uint64_t burst;
    uint64_t dropped; /* readings lost to dropouts */
    uint64_t faults[SIM_FAULT_N];
};

struct sim;

/* The factory scenario: 2,000 sensors (500 machines x 4 kinds), 10
 * readings/s each, with every realism effect on at its default. */
void sim_config_default(struct sim_config *c);
/* Turns off every fault, network effect, skew and traffic skew. */
void sim_config_clean(struct sim_config *c);

const char *sim_kind_name(enum sim_kind k);
const char *sim_kind_unit(enum sim_kind k);
const char *sim_fault_name(enum sim_fault_kind k);
/* Parses a comma-separated kind list ("vibration,temperature");
 * ERR_PARSE on an unknown or repeated kind. */
int sim_kinds_parse(const char *s, enum sim_kind *kinds, int32_t *nkinds);

/* Validates the config (ERR_INVALID) and allocates. */
int sim_create(const struct sim_config *c, struct sim **out);
void sim_destroy(struct sim *s);

/* Fills ev with up to max events sent at or before until_ns, in send
 * order; returns how many (0: nothing more is due by until_ns). After
 * sim_finish() no new readings are sampled and sim_next drains the
 * readings still in flight, whatever until_ns says. */
size_t sim_next(struct sim *s, int64_t until_ns, struct sim_event *ev,
                size_t max);
void sim_finish(struct sim *s);
/* Send time of the next event sim_next would return (INT64_MAX: none). */
int64_t sim_next_due(const struct sim *s);

/* Faults injected since the last call (in injection order), at most max. */
size_t sim_take_faults(struct sim *s, struct sim_fault *out, size_t max);

/* Formats an event as one line (newline included) into out, which has
 * room for SIM_RECORD_MAX bytes; returns its length. */
size_t sim_format_event(const struct sim *s, const struct sim_event *e,
                        enum sim_format fmt, char *out);
/* Formats a fault as one JSON line into out (SIM_TRUTH_MAX bytes). */
size_t sim_format_fault(const struct sim *s, const struct sim_fault *f,
                        char *out);
/* The record key of a sensor ("s-0042"), borrowed from the sim. */
const char *sim_sensor_id(const struct sim *s, int32_t sensor, size_t *len);
const char *sim_machine_id(const struct sim *s, int32_t machine, size_t *len);
int32_t sim_machine_of(const struct sim *s, int32_t sensor);
/* The sensor's rate in events/s (traffic skew applied). */
double sim_sensor_rate(const struct sim *s, int32_t sensor);
void sim_get_stats(const struct sim *s, struct sim_stats *out);

/* Which sensors are hot: marks round(share * n) of n sensors in is_hot,
 * picked by a seeded shuffle (the same choice `rill skew` makes). */
void sim_pick_hot(uint64_t seed, int32_t n, double share, uint8_t *is_hot);
/* Formats the sensor key "s-%04d" into out (16 bytes); returns length. */
size_t sim_format_sensor_id(int32_t sensor, char *out);

#endif
