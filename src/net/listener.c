/* listener.c - accepts TCP connections on the loop (layer: net).
 *
 * Level-triggered: each readable event accepts up to a bounded number of
 * connections so one busy listener cannot starve the others. EMFILE and
 * friends are logged (rate-limited) and the listener backs off for
 * BACKOFF_MS: level-triggered, retrying at once would spin a core on a
 * connection that cannot be taken while descriptors are short.
 */
#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"

#define BACKOFF_MS 100

struct listener {
    struct loop *loop;
    struct loop_io io;
    struct loop_timer backoff;
    bool backing_off;
    uint64_t backoffs;
    listener_accept_fn *cb;
    void *arg;
    int port;
    bool paused;
    int64_t last_warn_ms;
};

int listener_parse_addr(const char *s, char *host, int hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return ERR_INVALID;
    size_t hl = (size_t)(colon - s);
    if ((int)hl >= hostlen)
        return ERR_INVALID;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
        return ERR_INVALID;
    if (hl == 0)
        snprintf(host, (size_t)hostlen, "127.0.0.1");
    else {
        memcpy(host, s, hl);
        host[hl] = '\0';
    }
    *port = (int)p;
    return 0;
}

static void accept_cb(struct loop *l, struct loop_io *io, uint32_t events)
{
    struct listener *ls = io->arg;
    (void)events;
    for (int i = 0; i < 64 && !ls->paused; i++) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        int fd = accept4(io->fd, (struct sockaddr *)&sa, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            int64_t now = loop_now_ms(l);
            if (now - ls->last_warn_ms > 1000) {
                diag_warn("listener: accept: %s; not accepting for %d ms",
                          strerror(errno), BACKOFF_MS);
                ls->last_warn_ms = now;
            }
            ls->backoffs++;
            ls->backing_off = true;
            (void)loop_io_set(l, &ls->io, 0);
            loop_timer_start(l, &ls->backoff, BACKOFF_MS, 0);
            return;
        }
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char peer[64];
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
        snprintf(peer, sizeof(peer), "%s:%d", ip, ntohs(sa.sin_port));
        ls->cb(ls, ls->arg, fd, peer);
    }
}

static void backoff_cb(struct loop *l, struct loop_timer *t)
{
    struct listener *ls = t->arg;
    ls->backing_off = false;
    if (!ls->paused)
        (void)loop_io_set(l, &ls->io, LOOP_READ);
}

uint64_t listener_backoffs(const struct listener *ls)
{
    return ls->backoffs;
}

static int resolve(const char *host, struct in_addr *out)
{
    if (inet_pton(AF_INET, host, out) == 1)
        return 0;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return ERR_INVALID;
    *out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

int listener_open(struct loop *l, const char *host, int port,
                  listener_accept_fn *cb, void *arg, struct listener **out)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    int rc = resolve(host, &sa.sin_addr);
    if (rc < 0)
        return rc;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 1024) < 0) {
        rc = -errno;
        goto out_close;
    }
    socklen_t sl = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        rc = -errno;
        goto out_close;
    }
    struct listener *ls = mem_calloc(1, sizeof(*ls));
    ls->loop = l;
    ls->cb = cb;
    ls->arg = arg;
    ls->port = ntohs(sa.sin_port);
    loop_io_init(&ls->io, fd, accept_cb, ls);
    loop_timer_init(&ls->backoff, backoff_cb, ls);
    rc = loop_io_set(l, &ls->io, LOOP_READ);
    if (rc < 0) {
        mem_free(ls);
        goto out_close;
    }
    *out = ls;
    return 0;

out_close:
    close(fd);
    return rc;
}

void listener_pause(struct listener *ls, bool paused)
{
    if (ls->paused == paused)
        return;
    ls->paused = paused;
    (void)loop_io_set(ls->loop, &ls->io,
                      paused || ls->backing_off ? 0 : LOOP_READ);
}

int listener_port(const struct listener *ls)
{
    return ls->port;
}

void listener_close(struct listener *ls)
{
    if (!ls)
        return;
    loop_timer_stop(ls->loop, &ls->backoff);
    loop_io_stop(ls->loop, &ls->io);
    close(ls->io.fd);
    mem_free(ls);
}
