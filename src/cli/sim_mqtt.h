/* sim_mqtt.h - a small blocking MQTT 3.1.1 publisher for `rill simulate
 * --mqtt HOST:PORT` (layer: cli).
 *
 * Publishes each record at QoS 1 to PREFIX/KEY (the record key: a sensor
 * or machine id), with up to 1,000 messages in flight; packets are
 * buffered and written 64 KiB at a time, acknowledgements read as they
 * come. Not a general client: no subscriptions, no reconnects (a lost
 * connection is an error). Single-threaded.
 */
#ifndef RILL_SIM_MQTT_H
#define RILL_SIM_MQTT_H

#include <stddef.h>
#include <stdint.h>

struct sim_mqtt;

/* Connects (CONNECT with clean session) and waits for the CONNACK.
 * Returns 0 or a negative error with a message in err. */
int sim_mqtt_open(const char *hostport, const char *prefix, char *err,
                  size_t errlen, struct sim_mqtt **out);
/* Queues one PUBLISH (payload without its trailing newline). Blocks while
 * the in-flight window is full. Returns 0 or a negative error. */
int sim_mqtt_put(struct sim_mqtt *m, const char *key, size_t klen,
                 const char *payload, size_t len);
/* Writes what is queued and reads the acknowledgements that arrived. */
int sim_mqtt_flush(struct sim_mqtt *m);
/* Flushes and waits up to timeout_ms for every PUBACK (ERR_TIMEOUT). */
int sim_mqtt_finish(struct sim_mqtt *m, int timeout_ms);
uint64_t sim_mqtt_in_flight(const struct sim_mqtt *m);
/* Sends DISCONNECT and closes; NULL is a no-op. */
void sim_mqtt_close(struct sim_mqtt *m);

#endif
