/* cli_serve.c - `rill serve`: the Kafka-protocol broker (layer: cli).
 *
 *   rill serve [--config FILE] [--data DIR] [--listen HOST:PORT]
 *              [--advertised HOST:PORT] [--http-listen HOST:PORT]
 *              [--set KEY=VALUE]...
 *
 * Settings: defaults, then the properties file, then the flags (each flag
 * is a config_set of the matching Kafka key). SIGTERM / SIGINT shut down
 * cleanly: stop accepting, finish in-flight requests, stop the SQL
 * queries, flush, exit 0.
 *
 * Next to the broker runs the SQL server (sql/sql_server.h): the catalog
 * of the data directory, its persistent queries (resumed at start) on the
 * broker's own log, and statements from `rill run` / `rill sql` over the
 * Unix socket <data>/rill.sock. Signals are blocked in every thread and
 * taken by one thread with sigwait (see sql_server.h).
 * With --http-listen (or http.listeners) the HTTP API, dashboard and
 * /metrics run too (web/web.h, docs/http.md): started last, stopped first.
 */
#include "cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "base/diag.h"
#include "broker/broker.h"
#include "broker/mqtt_server.h"
#include "log/logdir.h"
#include "sql/sql_server.h"
#include "web/web.h"

/* While Kafka fetches are parked, re-check them this often, so rows the
 * in-process queries append reach long-polling consumers promptly. */
#define FETCH_POLL_MS 5

static const char usage_text[] =
    "usage: rill serve [--config FILE] [--data DIR] [--listen HOST:PORT]\n"
    "                  [--advertised HOST:PORT] [--mqtt-listen HOST:PORT]\n"
    "                  [--http-listen HOST:PORT] [--log-format "
    "text|logfmt|json]\n"
    "                  [--set KEY=VALUE]...\n"
    "  keys: listeners, advertised.listeners, log.dirs, num.partitions,\n"
    "        auto.create.topics.enable, log.retention.ms, "
    "log.flush.interval.ms,\n"
    "        message.max.bytes, max.connections, rill.fsync.every.ack "
    "(docs/broker.md)\n"
    "        mqtt.listeners, mqtt.map.NAME, mqtt.default.topic, "
    "mqtt.fsync.ack (docs/mqtt.md)\n"
    "        http.listeners (docs/http.md), log.format\n";

static atomic_bool sig_done;

static void on_signal(int sig)
{
    (void)sig; /* never runs: the signals are blocked and sigwait'ed */
}

static void wake_fetches(void *arg)
{
    broker_fetch_wake(arg);
}

static void *signal_thread(void *arg)
{
    struct broker *b = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig;
    while (sigwait(&set, &sig) == 0 && !atomic_load(&sig_done)) {
        broker_shutdown(b);
        break;
    }
    return NULL;
}

/* The topmost ancestor of path (or path itself) that does not exist yet,
 * or "" if path exists. */
static void first_missing_dir(const char *path, char *out, size_t cap)
{
    struct stat st;
    char tmp[1024];
    out[0] = '\0';
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return;
    while (tmp[0] && stat(tmp, &st) != 0) {
        snprintf(out, cap, "%s", tmp);
        char *slash = strrchr(tmp, '/');
        while (slash && slash > tmp && slash[1] == '\0') {
            *slash = '\0'; /* trailing slashes */
            slash = strrchr(tmp, '/');
        }
        if (!slash || slash == tmp)
            break;
        *slash = '\0';
    }
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int cli_serve(int argc, char **argv)
{
    struct cli_args a;
    struct config props;
    char err[256];
    int status = 1;
    char created[1024] = "";
    config_init(&props);
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help")) {
        fputs(usage_text, stdout);
        status = 0;
        goto out;
    }
    const char *file = cli_opt(&a, "config");
    if (file && config_load(&props, file, err, sizeof(err)) < 0) {
        fprintf(stderr, "rill serve: %s: %s\n", file, err);
        status = 2;
        goto out;
    }
    /* --set KEY=VALUE, any number of times. */
    for (int i = 1; i + 1 < a.argc; i++) {
        if (strcmp(argv[i], "--set") != 0)
            continue;
        const char *kv = argv[i + 1];
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            fprintf(stderr, "rill serve: --set expects KEY=VALUE, got %s\n",
                    kv);
            status = 2;
            goto out;
        }
        char key[256];
        size_t kl = (size_t)(eq - kv);
        if (kl >= sizeof(key))
            kl = sizeof(key) - 1;
        memcpy(key, kv, kl);
        key[kl] = '\0';
        config_set(&props, key, eq + 1);
        a.used[i] = a.used[i + 1] = true;
        i++;
    }
    const char *v;
    if ((v = cli_opt(&a, "listen")))
        config_set(&props, "listeners", v);
    if ((v = cli_opt(&a, "advertised")))
        config_set(&props, "advertised.listeners", v);
    if ((v = cli_opt(&a, "mqtt-listen")))
        config_set(&props, "mqtt.listeners", v);
    if ((v = cli_opt(&a, "http-listen")))
        config_set(&props, "http.listeners", v);
    if ((v = cli_opt(&a, "log-format")))
        config_set(&props, "log.format", v);
    if ((v = config_get(&props, "log.format", NULL))) {
        /* Before any line: every later one is in this format. */
        enum diag_format df;
        if (diag_parse_format(v, &df) < 0) {
            fprintf(stderr,
                    "rill serve: log.format is text, logfmt or json, "
                    "not '%s'\n",
                    v);
            status = 2;
            goto out;
        }
        diag_set_format(df);
    }
    const char *data_flag = cli_opt(&a, "data");
    if (data_flag || !config_get(&props, "log.dirs", NULL))
        config_set(&props, "log.dirs", cli_data_dir(data_flag));
    if (cli_check_unused(&a, usage_text) != 0) {
        status = 2;
        goto out;
    }

    struct broker_config cfg;
    broker_config_defaults(&cfg);
    if (broker_config_apply(&cfg, &props, err, sizeof(err)) < 0) {
        fprintf(stderr, "rill serve: %s\n", err);
        status = 2;
        goto out;
    }
    /* Topic data is nobody else's business: files 0640, folders 0750. */
    umask(027);
    /* Before any thread starts: every thread inherits the mask. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    /* A data directory this run creates (with any parent it creates) is
     * removed again if the run fails to start: nothing left behind. */
    first_missing_dir(cfg.data_dir, created, sizeof created);
    struct broker *b = NULL;
    if (broker_create(&cfg, &b) < 0)
        goto restore; /* broker_create logged why */
    struct sql_server *sql = NULL;
    /* Whoever appends (a query, MQTT, HTTP ingest, a producer) wakes
     * parked fetches and MQTT deliveries: the logdir's one append
     * subscription, no thread of ours waking on every append. */
    logdir_set_append_listener(broker_logdir(b), wake_fetches, b);
    struct query_run_options qo = {.durable_only = cfg.read_durable,
                                   .log_events = true};
    if (sql_server_start(cfg.data_dir, broker_logdir(b), &qo, &sql, err,
                         sizeof err) < 0) {
        fprintf(stderr, "rill serve: SQL: %s\n", err);
        broker_destroy(b);
        goto restore;
    }
    struct mqtt_server *mqtt = NULL;
    if (mqtt_server_create(b, &props, err, sizeof err, &mqtt) < 0) {
        fprintf(stderr, "rill serve: %s\n", err);
        sql_server_stop(sql);
        broker_destroy(b);
        goto restore;
    }
    broker_set_fetch_poll_ms(b, FETCH_POLL_MS);
    broker_set_topic_guard(b, sql_server_topic_in_use, sql);
    struct web *web = NULL;
    const char *http = config_get(&props, "http.listeners", NULL);
    if (http && *http) {
        /* The web's admin client reaches the Kafka listener on loopback
         * unless it listens on one address only. */
        char kafka[300];
        const char *kl = config_get(&props, "listeners", "");
        const char *kc = strrchr(kl, ':');
        const char *kh = strstr(kl, "://") ? strstr(kl, "://") + 3 : kl;
        int khl = kc && kc > kh && strchr(kl, ',') == NULL ? (int)(kc - kh) : 0;
        bool any = khl == 0 || (khl == 7 && !strncmp(kh, "0.0.0.0", 7));
        snprintf(kafka, sizeof kafka, "%.*s:%d", any ? 9 : khl,
                 any ? "127.0.0.1" : kh, broker_port(b));
        struct web_options wo = {
            .listen = http,
            .data_dir = cfg.data_dir,
            .logdir = broker_logdir(b),
            .default_partitions = cfg.num_partitions,
            .kafka_bootstrap = kafka,
            .broker = b,
            .require_auth = cfg.sasl,
            .acls = cfg.acls,
            .allow_if_no_acl = cfg.allow_if_no_acl,
            .super_users = cfg.super_users,
            .ssl_cert = cfg.ssl_cert,
            .ssl_key = cfg.ssl_key,
            .ssl_key_password = cfg.ssl_key_password,
            .ssl_ca = cfg.ssl_ca,
            .ssl_client_auth = cfg.ssl_client_auth,
        };
        if (config_get_bool(&props, "http.authentication.required",
                            &wo.require_auth) < 0) {
            fprintf(stderr, "rill serve: http.authentication.required: "
                            "true or false\n");
            mqtt_server_destroy(mqtt);
            sql_server_stop(sql);
            broker_destroy(b);
            goto restore;
        }
        if (web_start(&wo, &web, err, sizeof err) < 0) {
            fprintf(stderr, "rill serve: HTTP: %s\n", err);
            mqtt_server_destroy(mqtt);
            sql_server_stop(sql);
            broker_destroy(b);
            goto restore;
        }
        const char *colon = strrchr(http, ':');
        int hl = colon ? (int)(colon - http) : 0;
        diag_info("http: API, dashboard and /metrics on http://%.*s:%d/", hl,
                  hl ? http : "127.0.0.1", web_port(web));
    }
    created[0] = '\0'; /* started: the data directory stays */
    pthread_t st;
    atomic_store(&sig_done, false);
    bool sig_thread = pthread_create(&st, NULL, signal_thread, b) == 0;
    status = broker_run(b) < 0 ? 1 : 0;
    if (sig_thread) {
        atomic_store(&sig_done, true);
        pthread_kill(st, SIGTERM); /* taken by its sigwait */
        pthread_join(st, NULL);
    }
    web_stop(web); /* its statements run in SQL sessions */
    mqtt_server_destroy(mqtt);
    sql_server_stop(sql); /* queries stop before the log closes */
    logdir_set_append_listener(broker_logdir(b), NULL, NULL);
    if (broker_close(b) < 0)
        status = 1; /* acknowledged data may not be durable: say so */
restore:
    if (created[0]) {
        nftw(created, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        diag_info("serve: removed %s, created by this failed start", created);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
out:
    config_fini(&props);
    return status;
}
