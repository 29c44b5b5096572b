/* sql_wire.h - frame I/O shared by sql_server.c and sql_client.c
 * (layer: sql). Internal; the protocol is described in sql_server.h.
 */
#ifndef RILL_SQL_WIRE_H
#define RILL_SQL_WIRE_H

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/sql_server.h"

/* Writes all of p; 0 or a negative errno. Retries EINTR. */
static inline int sql_wire_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads exactly n bytes: 0, 1 at a clean end of stream before any byte,
 * or a negative error. */
static inline int sql_wire_read_all(int fd, void *p, size_t n)
{
    uint8_t *c = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return got ? ERR_CORRUPT : 1;
        got += (size_t)r;
    }
    return 0;
}

/* Sends one frame: type, then a and b (either may be empty), in one
 * sendmsg when the socket takes it all. Retries EINTR and short writes. */
static inline int sql_wire_send(int fd, int type, const void *a, size_t alen,
                                const void *b, size_t blen)
{
    uint8_t hdr[5];
    be32_store(hdr, (uint32_t)(1 + alen + blen));
    hdr[4] = (uint8_t)type;
    struct iovec iov[3] = {{hdr, sizeof hdr},
                           {(void *)(uintptr_t)a, alen},
                           {(void *)(uintptr_t)b, blen}};
    struct iovec *v = iov;
    int nv = 3;
    while (nv) {
        struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)nv};
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        size_t left = (size_t)w;
        while (nv && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            nv--;
        }
        if (nv) {
            v->iov_base = (uint8_t *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return 0;
}

/* Receives one frame into payload (reset first): 0, 1 at a clean end of
 * stream, or a negative error (ERR_TOO_LARGE, ERR_CORRUPT, -errno). */
static inline int sql_wire_recv(int fd, int *type, struct buf *payload)
{
    uint8_t hdr[5];
    int rc = sql_wire_read_all(fd, hdr, 4);
    if (rc)
        return rc;
    uint32_t len = be32_load(hdr);
    if (len < 1)
        return ERR_CORRUPT;
    if (len > SQL_WIRE_MAX_FRAME)
        return ERR_TOO_LARGE;
    rc = sql_wire_read_all(fd, hdr + 4, 1);
    if (rc)
        return rc == 1 ? ERR_CORRUPT : rc;
    *type = hdr[4];
    buf_reset(payload);
    if (len > 1) {
        uint8_t *d = buf_extend(payload, len - 1);
        rc = sql_wire_read_all(fd, d, len - 1);
        if (rc)
            return rc == 1 ? ERR_CORRUPT : rc;
    }
    return 0;
}

#endif
