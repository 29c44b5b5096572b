/* partitioner.c - Java's murmur2 key placement (layer: log): the log's
 * names for base/murmur2.h, which the runtime shares.
 */
#include "log/partitioner.h"

#include "base/murmur2.h"

int32_t partitioner_murmur2(const void *key, size_t n)
{
    return murmur2_hash(key, n);
}

int32_t partitioner_for_key(const void *key, size_t n, int32_t partitions)
{
    return murmur2_partition(key, n, partitions);
}
