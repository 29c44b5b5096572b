/* auth_quotas.h - per-principal byte-rate quotas: the overrides file
 * <data>/security/quotas and Kafka's rate and throttle arithmetic
 * (layer: broker; no I/O besides the file).
 *
 * File: one line per principal, written 0600 and replaced atomically:
 *     User:alice producer_byte_rate=1048576 consumer_byte_rate=2097152
 * (either key may be absent: that direction uses the broker's default;
 * -1 means unlimited). Bytes <= 0x20 and '%' of the principal are %XX.
 * The principal <default> is the default user (AUTH_QUOTA_DEFAULT_USER).
 *
 * Rate (Kafka's Rate with 11 one-second samples): the bytes of the samples
 * that are not older than 11 s, over the time since the oldest of them
 * began, counted as at least 10 s. Throttle: when that rate O is above the
 * quota T, (O - T) / T * window, at most 11 s (KIP-13, KIP-219).
 * Not thread-safe (one owner).
 */
#ifndef RILL_AUTH_QUOTAS_H
#define RILL_AUTH_QUOTAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_QUOTA_SAMPLES 11
#define AUTH_QUOTA_SAMPLE_MS 1000

struct auth_quota_rate {
    int64_t start_ms[AUTH_QUOTA_SAMPLES];
    int64_t bytes[AUTH_QUOTA_SAMPLES];
    int cur;
};

/* Adds bytes at now_ms; returns the throttle time in ms for a quota of
 * limit bytes/s (0 when under it; limit < 0: no quota, always 0). */
int32_t auth_quota_record(struct auth_quota_rate *r, int64_t now_ms,
                          int64_t bytes, int64_t limit);
/* The rate (bytes/s) as defined above. */
double auth_quota_rate_value(const struct auth_quota_rate *r, int64_t now_ms);

struct auth_quota_entry {
    char principal[320];
    int64_t producer_byte_rate; /* -2: not set (broker default) */
    int64_t consumer_byte_rate;
};

#define AUTH_QUOTA_DEFAULT (-2)
/* The entry of the default user (Kafka's user entity with a null name,
 * AlterClientQuotas): above quota.*.default, below a user's own. */
#define AUTH_QUOTA_DEFAULT_USER "<default>"

struct auth_quotas;

int auth_quotas_open(const char *dir, struct auth_quotas **out);
void auth_quotas_destroy(struct auth_quotas *q);
void auth_quotas_refresh(struct auth_quotas *q);
int auth_quotas_save(struct auth_quotas *q);
/* The entry of principal, or NULL. */
const struct auth_quota_entry *auth_quotas_find(const struct auth_quotas *q,
                                                const char *principal);
/* Sets principal's values (AUTH_QUOTA_DEFAULT leaves one as it is). */
void auth_quotas_set(struct auth_quotas *q, const char *principal,
                     int64_t producer, int64_t consumer);
/* Sets both values exactly (AUTH_QUOTA_DEFAULT unsets one); an entry with
 * neither set goes. */
void auth_quotas_replace(struct auth_quotas *q, const char *principal,
                         int64_t producer, int64_t consumer);
int auth_quotas_remove(struct auth_quotas *q, const char *principal);
size_t auth_quotas_count(const struct auth_quotas *q);
const struct auth_quota_entry *auth_quotas_at(const struct auth_quotas *q,
                                              size_t i);

#endif
