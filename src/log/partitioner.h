/* partitioner.h - Java-compatible key placement (layer: log).
 *
 * Java's producer (and kafka-python) put a non-null key on partition
 * (murmur2(key) & 0x7fffffff) % partitions, murmur2 being MurmurHash2 with
 * seed 0x9747b28c. librdkafka's default (crc32) differs; see
 * docs/record-batch.md. Pure functions, any thread.
 */
#ifndef RILL_PARTITIONER_H
#define RILL_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

/* murmur2 of n bytes, as Java's Utils.murmur2 returns it (an int). */
int32_t partitioner_murmur2(const void *key, size_t n);

/* Partition of a non-null key in [0, partitions); partitions must be > 0
 * (returns 0 otherwise). An empty key is hashed like any other. */
int32_t partitioner_for_key(const void *key, size_t n, int32_t partitions);

#endif
