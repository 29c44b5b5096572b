/* http_api.c - the HTTP API's own costs, in-process server, client in a
 * child process (so only the server's CPU is counted, BENCHMARKS.md):
 *   http_get_healthz    keep-alive GET /healthz answered, requests per
 *                       second per core of the server (user+sys CPU of
 *                       this process: the HTTP thread and the flusher)
 *   http_get_latency    the same requests one at a time: p50 / p99 in us
 *                       (client-side, loopback round trip included)
 *   http_ingest_ndjson  POST /topics/t of 1,000-line NDJSON bodies (150 B
 *                       records), records appended per second per core
 *   metrics_add         ns per counter increment (base/metrics.h), the
 *                       cost added to the broker and log data paths
 * Usage: http_api [requests]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "base/diag.h"
#include "base/metrics.h"
#include "log/logdir.h"
#include "web/web.h"

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* Reads one response with Content-Length; returns its status. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - got - 1);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strstr(buf, "Content-Length: ");
        size_t body = cl ? (size_t)atol(cl + 16) : 0;
        if (got >= (size_t)(end + 4 - buf) + body)
            return atoi(buf + 9);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The client: n GETs, pipelined 16 deep; then n GETs one by one, timed. */
static void client_get(int port, int n, int latency_fd)
{
    int fd = connect_to(port);
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n";
    char buf[65536];
    /* One request alone tells the (fixed) length of an answer. */
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1) ||
        read_response(fd, buf, sizeof buf) != 200)
        exit(1);
    size_t one_len = strlen(buf);
    for (int i = 1; i < n; i += 16) {
        char many[16 * sizeof req];
        size_t len = 0;
        for (int k = 0; k < 16; k++) {
            memcpy(many + len, req, sizeof req - 1);
            len += sizeof req - 1;
        }
        if (write(fd, many, len) != (ssize_t)len)
            exit(1);
        size_t want = 16 * one_len, got = 0;
        while (got < want) {
            ssize_t r = read(fd, buf,
                             want - got < sizeof buf ? want - got : sizeof buf);
            if (r <= 0)
                exit(1);
            got += (size_t)r;
        }
    }
    int m = n / 10;
    uint64_t *lat = malloc((size_t)m * sizeof *lat);
    for (int i = 0; i < m; i++) {
        uint64_t t0 = metrics_now_us();
        if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1) ||
            read_response(fd, buf, sizeof buf) != 200)
            exit(1);
        lat[i] = metrics_now_us() - t0;
    }
    qsort(lat, (size_t)m, sizeof *lat, cmp_u64);
    uint64_t out[2] = {lat[m / 2], lat[m * 99 / 100]};
    if (write(latency_fd, out, sizeof out) != sizeof out)
        exit(1);
    close(fd);
}

static void client_ingest(int port, int bodies)
{
    int fd = connect_to(port);
    static char body[200 * 1000];
    size_t len = 0;
    for (int i = 0; i < 1000; i++)
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "{\"sensor_id\":\"s-%04d\",\"machine_id\":\"m-"
                                "%04d\",\"kind\":\"vibration\",\"value\":%d."
                                "%04d,\"unit\":\"g\",\"ts\":1764000000123}\n",
                                i, i / 4, i % 3, i);
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "POST /topics/t?partition=0 HTTP/1.1\r\nHost: b\r\n"
                      "Content-Type: application/x-ndjson\r\nContent-Length: "
                      "%zu\r\n\r\n",
                      len);
    char buf[4096];
    for (int i = 0; i < bodies; i++) {
        if (write(fd, head, (size_t)hl) != hl ||
            write(fd, body, len) != (ssize_t)len ||
            read_response(fd, buf, sizeof buf) != 200)
            exit(1);
    }
    close(fd);
}

static double run_child(void (*fn)(int, int, int), int port, int n, int lfd)
{
    double c0 = bench_cpu_s();
    pid_t pid = fork();
    if (pid == 0) {
        fn(port, n, lfd);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "http_api: client failed\n");
        exit(1);
    }
    return bench_cpu_s() - c0;
}

static void get_fn(int port, int n, int lfd)
{
    client_get(port, n, lfd);
}

static void ingest_fn(int port, int n, int lfd)
{
    (void)lfd;
    client_ingest(port, n);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    diag_set_level(DIAG_WARN);
    char dir[] = "/tmp/rill-bench-http-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct logdir *ld;
    if (logdir_open(dir, NULL, &ld))
        return 1;
    struct logdir_topic_config tc;
    logdir_topic_config_init(&tc);
    logdir_topic_create(ld, "t", &tc);
    struct web *w;
    char err[256];
    struct web_options wo = {
        .listen = "127.0.0.1:0", .data_dir = dir, .logdir = ld};
    if (web_start(&wo, &w, err, sizeof err)) {
        fprintf(stderr, "http_api: %s\n", err);
        return 1;
    }
    int port = web_port(w);
    int pfd[2];
    if (pipe(pfd))
        return 1;
    int total = 1 + ((n - 1 + 15) / 16) * 16 + n / 10;
    double cpu = run_child(get_fn, port, n, pfd[1]);
    uint64_t lat[2];
    if (read(pfd[0], lat, sizeof lat) != sizeof lat)
        return 1;
    printf("http_get_healthz %.0f requests/s/core (%d keep-alive requests, "
           "16 pipelined)\n",
           total / cpu, total);
    printf("http_get_latency p50 %llu us, p99 %llu us (one at a time, "
           "loopback)\n",
           (unsigned long long)lat[0], (unsigned long long)lat[1]);
    int bodies = n / 1000 > 20 ? n / 1000 : 20;
    cpu = run_child(ingest_fn, port, bodies, -1);
    printf("http_ingest_ndjson %.0f records/s/core (%d bodies of 1,000 "
           "records)\n",
           bodies * 1000.0 / cpu, bodies);
    web_stop(w);
    logdir_close(ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    uint64_t m = 50u * 1000 * 1000;
    double t0 = bench_wall_s();
    for (uint64_t i = 0; i < m; i++)
        metrics_add(METRIC_LOG_APPENDS, 1);
    printf("metrics_add %.2f ns per increment\n",
           (bench_wall_s() - t0) * 1e9 / (double)m);
    return 0;
}
