/* sql_client.c - connects to `rill serve`'s SQL socket and runs
 * statements there (layer: sql). Protocol: sql_server.h.
 */
#include "sql/sql_client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/sql_server.h"
#include "sql/sql_wire.h"

struct sql_client {
    int fd;
    struct buf frame;
};

int sql_client_connect(const char *dir, struct sql_client **out)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (sql_server_socket_path(dir, a.sun_path, sizeof a.sun_path))
        return ERR_NOT_FOUND;
    if (access(a.sun_path, F_OK))
        return ERR_NOT_FOUND;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        int e = errno;
        close(fd);
        /* No one listening: a stale socket of a server that died. */
        return e == ECONNREFUSED || e == ENOENT ? ERR_NOT_FOUND : -e;
    }
    struct sql_client *c = mem_calloc(1, sizeof *c);
    c->fd = fd;
    buf_init(&c->frame);
    *out = c;
    return 0;
}

void sql_client_close(struct sql_client *c)
{
    if (!c)
        return;
    close(c->fd);
    buf_fini(&c->frame);
    mem_free(c);
}

void sql_client_interrupt(struct sql_client *c)
{
    if (c)
        shutdown(c->fd, SHUT_RDWR);
}

int sql_client_exec(struct sql_client *c, const char *text, size_t len,
                    const struct sql_client_sink *sink)
{
    int sent = sql_wire_send(c->fd, SQL_WIRE_QUERY, text, len, NULL, 0);
    /* A server that refuses the session (too many) answers and closes at
     * once, maybe before our request is written: the write then fails with
     * EPIPE, but its answer is still there to read. */
    if (sent && sent != -EPIPE && sent != -ECONNRESET)
        return sent;
    for (;;) {
        int type;
        int rc = sql_wire_recv(c->fd, &type, &c->frame);
        if (rc && sent)
            return sent;
        if (rc)
            return rc == 1 ? ERR_CLOSED : rc;
        const char *p = (const char *)c->frame.data;
        size_t n = c->frame.len;
        switch (type) {
        case SQL_WIRE_TEXT:
        case SQL_WIRE_ROW:
            if (sink->text)
                sink->text(sink->arg, p, n, type == SQL_WIRE_ROW);
            break;
        case SQL_WIRE_ERROR: {
            if (n < 8)
                return ERR_CORRUPT;
            struct sql_pos pos = {(int)be32_load(p), (int)be32_load(p + 4), 0};
            char msg[1024];
            size_t m = n - 8 < sizeof msg - 1 ? n - 8 : sizeof msg - 1;
            memcpy(msg, p + 8, m);
            msg[m] = '\0';
            if (sink->error)
                sink->error(sink->arg, &pos, msg);
            break;
        }
        case SQL_WIRE_DONE:
            return n >= 1 && p[0] ? 1 : 0;
        default:
            return ERR_CORRUPT;
        }
    }
}
