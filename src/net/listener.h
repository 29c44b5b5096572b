/* listener.h - a listening TCP socket on the event loop (layer: net).
 *
 * Accepts connections and hands each new fd (non-blocking, TCP_NODELAY) to
 * a callback, which owns it from then on. Stopping reading (while at the
 * connection limit, or during shutdown) is listener_pause. Loop thread only.
 */
#ifndef RILL_LISTENER_H
#define RILL_LISTENER_H

#include <stdbool.h>

#include "net/loop.h"

struct listener;

/* fd is the accepted socket; peer is "host:port". */
typedef void listener_accept_fn(struct listener *ls, void *arg, int fd,
                                const char *peer);

/* Parses "host:port" (host may be empty = 127.0.0.1; IPv4 or a name that
 * resolves to IPv4). Returns 0 or ERR_INVALID. */
int listener_parse_addr(const char *s, char *host, int hostlen, int *port);
/* Binds host:port (SO_REUSEADDR) and starts accepting. port 0 picks one;
 * listener_port tells which. Returns 0 or -errno / ERR_INVALID. */
int listener_open(struct loop *l, const char *host, int port,
                  listener_accept_fn *cb, void *arg, struct listener **out);
void listener_pause(struct listener *ls, bool paused);
int listener_port(const struct listener *ls);
/* Stops accepting and closes the socket. NULL is a no-op. */
/* Times accept failed for lack of descriptors or memory and the listener
 * backed off (100 ms each). */
uint64_t listener_backoffs(const struct listener *ls);
void listener_close(struct listener *ls);

#endif
