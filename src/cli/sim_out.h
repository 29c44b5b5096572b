/* sim_out.h - where `rill simulate` sends records: a file or stdout, a
 * local topic (embedded log), a Kafka-protocol broker, or an MQTT broker
 * (layer: cli).
 *
 * One small interface over three sinks so the pacing loop does not care.
 * Records are keyed (the sensor or machine id); file outputs write the
 * line as is, topic outputs drop its trailing newline. Writes are batched:
 * nothing is guaranteed written until sim_out_flush returns 0.
 */
#ifndef RILL_SIM_OUT_H
#define RILL_SIM_OUT_H

#include <stddef.h>
#include <stdint.h>

struct sim_out;

struct sim_out_spec {
    const char *path;      /* "-" or NULL = stdout (when no topic) */
    const char *topic;     /* local topic, or Kafka topic with bootstrap */
    const char *bootstrap; /* HOST:PORT: send through librdkafka */
    const char *mqtt;      /* HOST:PORT: MQTT QoS 1 to TOPIC/KEY */
    const char *data_dir;  /* for local topics */
    int32_t partitions;    /* local topic created with this many (0: 8) */
};

/* Returns 0 or a negative error with a message in err. */
int sim_out_open(const struct sim_out_spec *spec, struct sim_out **out,
                 char *err, size_t errlen);
/* Queues one record; -EPIPE when stdout's reader has gone. */
int sim_out_put(struct sim_out *o, const char *key, size_t klen,
                const char *line, size_t len, int64_t ts_ms);
int sim_out_flush(struct sim_out *o);
/* Flushes and, for Kafka, waits up to timeout_ms for every acknowledgement
 * (ERR_TIMEOUT; ERR_FAILED if a delivery failed). */
int sim_out_finish(struct sim_out *o, int timeout_ms);
/* Records accepted so far. */
uint64_t sim_out_count(const struct sim_out *o);
/* End offsets per partition known so far (topic outputs); returns how many
 * partitions were written to out (0 for file outputs). */
int32_t sim_out_end_offsets(const struct sim_out *o, int64_t *out, int32_t max);
/* Records handed over but not yet acknowledged (Kafka output). */
uint64_t sim_out_in_flight(const struct sim_out *o);
/* Flushes what it can and frees; NULL is a no-op. */
void sim_out_close(struct sim_out *o);

#endif
