/* err.h - error codes shared by every layer (layer: base).
 *
 * Fallible functions return int: 0 is success, a negative value an error.
 * Values in (-4096, 0) are negated errno codes; rill's own codes live in a
 * separate negative range starting at ERR_BASE so they never collide.
 * Protocol error codes (Kafka, HTTP) are made only at the protocol edges.
 */
#ifndef RILL_ERR_H
#define RILL_ERR_H

enum {
    ERR_BASE = -20000,
    ERR_CORRUPT = ERR_BASE, /* bad CRC, bad magic, torn or invalid bytes */
    ERR_FAILED = -20001,    /* object is in the FAILED state after I/O error */
    ERR_NOT_FOUND = -20002, /* topic, partition, key, file absent */
    ERR_EXISTS = -20003,    /* already exists */
    ERR_INVALID = -20004,   /* invalid argument or request */
    ERR_TOO_LARGE = -20005, /* size above a configured limit */
    ERR_RANGE = -20006,     /* offset or index out of range */
    ERR_PARSE = -20007,     /* text or binary input does not parse */
    ERR_UNSUPPORTED = -20008, /* valid but not implemented */
    ERR_CLOSED = -20009,      /* object already closed or shutting down */
    ERR_TIMEOUT = -20010,     /* deadline passed */
    ERR_AGAIN = -20011,       /* no data yet; try later */
    ERR_DUPLICATE = -20012,   /* duplicate (e.g. producer sequence) */
    ERR_SEQUENCE = -20013,    /* out-of-order sequence or fenced epoch */
    ERR_LAST = -20014
};

/* Returns a static, human-readable description of an error code. Never NULL. */
const char *err_str(int err);

#endif
