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

/* MurmurHash2, 32 bits, seed 0x9747b28c, as org.apache.kafka.common.utils
 * .Utils.murmur2 computes it: little-endian words, unsigned bytes, logical
 * shifts, the tail folded high byte first. Inline: the runtime checks the
 * key of every record of a keyed input with it. */

/* murmur2 of n bytes, as Java's Utils.murmur2 returns it (an int). */
static inline int32_t murmur2_hash(const void *key, size_t n)
{
    const uint8_t *p = (const uint8_t *)key;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)n;
    size_t words = n / 4;

    for (size_t i = 0; i < words; i++) {
        const uint8_t *w = p + i * 4;
        uint32_t k = (uint32_t)w[0] | ((uint32_t)w[1] << 8) |
                     ((uint32_t)w[2] << 16) | ((uint32_t)w[3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = p + words * 4;
    switch (n % 4) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

/* Partition of a non-null key in [0, partitions); partitions must be > 0
 * (returns 0 otherwise). */
static inline int32_t murmur2_partition(const void *key, size_t n,
                                        int32_t partitions)
{
    if (partitions <= 0)
        return 0;
    uint32_t positive = (uint32_t)murmur2_hash(key, n) & 0x7fffffffu;
    return (int32_t)(positive % (uint32_t)partitions);
}

#endif
