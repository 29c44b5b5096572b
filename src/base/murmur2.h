/* murmur2.h - Java's murmur2 key hash and key placement (layer: base).
 *
 * Java's producer (and kafka-python) put a non-null key on partition
 * (murmur2(key) & 0x7fffffff) % partitions. The log's partitioner and the
 * runtime's check of keyed inputs both use this one. Pure functions, any
 * thread.
 */
#ifndef RILL_MURMUR2_H
#define RILL_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/* murmur2 of n bytes, as Java's Utils.murmur2 returns it (an int). */
int32_t murmur2_hash(const void *key, size_t n);

/* Partition of a non-null key in [0, partitions); partitions must be > 0
 * (returns 0 otherwise). */
int32_t murmur2_partition(const void *key, size_t n, int32_t partitions);

#endif
