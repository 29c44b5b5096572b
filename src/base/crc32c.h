/* crc32c.h - CRC-32C (Castagnoli), as Kafka's RecordBatch v2 uses (layer:
 * base).
 *
 * Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
 * start-up), else a portable slicing-by-8 table. Both give identical results.
 */
#ifndef RILL_CRC32C_H
#define RILL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over n bytes at p; returns the finalised CRC. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
/* The portable implementation, exposed so tests can compare both. */
uint32_t crc32c_portable(uint32_t crc, const void *p, size_t n);

#endif
