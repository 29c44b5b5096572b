/* test_listener.c - address parsing (table) and accepting on port 0. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "net/listener.h"
#include "../../harness.h"

static const struct {
    const char *in;
    int rc;
    const char *host;
    int port;
} addrs[] = {
    {"127.0.0.1:9092", 0, "127.0.0.1", 9092},
    {":9093", 0, "127.0.0.1", 9093},
    {"localhost:0", 0, "localhost", 0},
    {"kafka.example:65535", 0, "kafka.example", 65535},
    {"127.0.0.1", ERR_INVALID, NULL, 0},
    {"127.0.0.1:", ERR_INVALID, NULL, 0},
    {"127.0.0.1:65536", ERR_INVALID, NULL, 0},
    {"127.0.0.1:-1", ERR_INVALID, NULL, 0},
    {"127.0.0.1:12ab", ERR_INVALID, NULL, 0},
};

TEST(parse_table)
{
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        char host[64] = "";
        int port = -7;
        int rc = listener_parse_addr(addrs[i].in, host, sizeof(host), &port);
        CHECK_EQ_INT(rc, addrs[i].rc);
        if (rc == 0) {
            CHECK_EQ_STR(host, addrs[i].host);
            CHECK_EQ_INT(port, addrs[i].port);
        }
    }
}

static int accepted;
static void on_accept(struct listener *ls, void *arg, int fd, const char *peer)
{
    (void)ls;
    (void)arg;
    CHECK(strncmp(peer, "127.0.0.1:", 10) == 0);
    accepted++;
    close(fd);
}

TEST(accepts_on_port_zero_and_pauses)
{
    struct loop *l;
    CHECK_EQ_INT(loop_create(&l), 0);
    struct listener *ls = NULL;
    CHECK_EQ_INT(listener_open(l, "127.0.0.1", 0, on_accept, NULL, &ls), 0);
    int port = listener_port(ls);
    CHECK(port > 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ_INT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    for (int i = 0; i < 10 && accepted == 0; i++)
        loop_run_once(l, 20);
    CHECK_EQ_INT(accepted, 1);
    close(fd);
    listener_pause(ls, true);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ_INT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    for (int i = 0; i < 5; i++)
        loop_run_once(l, 10);
    CHECK_EQ_INT(accepted, 1); /* paused: left in the backlog */
    listener_pause(ls, false);
    for (int i = 0; i < 10 && accepted == 1; i++)
        loop_run_once(l, 20);
    CHECK_EQ_INT(accepted, 2);
    close(fd);
    /* A busy port is an error, not a crash. */
    struct listener *ls2 = NULL;
    CHECK(listener_open(l, "127.0.0.1", port, on_accept, NULL, &ls2) < 0);
    listener_close(ls);
    loop_destroy(l);
}

int main(void)
{
    RUN(parse_table);
    RUN(accepts_on_port_zero_and_pauses);
    return harness_summary("test_listener");
}
