/* web.h - the HTTP face of `rill serve`: REST API, dashboard, /metrics
 * (layer: web).
 *
 * Runs an http_server (web/http_server.h: its own thread and net/ event
 * loop, not the broker's) with the routes of docs/http.md and
 * docs/openapi.yaml. SQL goes through the same door as `rill sql`: the
 * SQL socket of the data directory (sql/sql_server.h), one session per
 * request. Topics are read and created on the broker's logdir (which is
 * thread-safe). Start it after the broker and the SQL server, stop it
 * before them.
 */
#ifndef RILL_WEB_H
#define RILL_WEB_H

#include <stdbool.h>
#include <stddef.h>

struct broker;
struct logdir;
struct web;

struct web_options {
    const char *listen;   /* "host:port" or "https://host:port" (port 0: any;
                             web_port tells) */
    const char *data_dir; /* where <data>/rill.sock is */
    struct logdir *logdir;
    int default_partitions; /* POST /topics/{t}/create without a count */
    /* The broker's Kafka listener as a client reaches it ("127.0.0.1:9092"):
     * topic deletion, topic configs and group offset resets go through it
     * (web_admin.c). NULL: those answer 503. */
    const char *kafka_bootstrap;
    /* The broker itself: the admin routes then reach its Kafka API in
     * process (broker_connect_internal), as the HTTP user, whatever the
     * listener demands (SASL, TLS); kafka_bootstrap only names it. */
    struct broker *broker;
    /* HTTP Basic with a user of <data>/security/users on every route but
     * /healthz and /readyz (http.authentication.required). */
    bool require_auth;
    /* Kafka's ACLs on the routes (rill.acls.enable, docs/security.md),
     * with the broker's super.users and allow.everyone.if.no.acl.found;
     * the bindings of <data>/security/acls. */
    bool acls;
    bool allow_if_no_acl;
    const char *super_users;
    /* listen "https://HOST:PORT": TLS with these PEM files (the Kafka
     * listener's ssl.* settings). */
    const char *ssl_cert, *ssl_key, *ssl_key_password, *ssl_ca;
    int ssl_client_auth; /* 0 none, 1 requested, 2 required */
};

/* Returns 0 or a negative error with a message in err. */
int web_start(const struct web_options *o, struct web **out, char *err,
              size_t errlen);
/* Closes every HTTP connection, ends running statements and pushes, stops
 * the thread. NULL is a no-op. */
void web_stop(struct web *w);
int web_port(const struct web *w);

#endif
