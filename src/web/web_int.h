/* web_int.h - shared by the files of the web module (layer: web).
 * Nothing outside src/web/ includes it.
 */
#ifndef RILL_WEB_INT_H
#define RILL_WEB_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "web/http_server.h"
#include "web/web.h"

struct web_groups; /* web_groups.c */

/* Push queries open at once over HTTP. Each holds a session of the SQL
 * server (64 in all): the rest stay for `rill sql`, scrapes and the
 * dashboard's feed. */
#define WEB_MAX_PUSHES 40

struct web {
    struct web_options o;
    atomic_int pushes; /* open POST /query streams */
    struct web_groups *groups;
    char data_dir[1024];
    char kafka_bootstrap[300]; /* o.kafka_bootstrap points here */
    struct http_server *http;
    int64_t started_ms;
    struct web_auth *auth; /* NULL: no login needed */
    struct web_acl *acl;   /* NULL: ACLs off */
    char super_users[2048];
    /* The request being routed: "User:<Basic user>" or "User:ANONYMOUS"
     * (set by web_auth_allow; one request at a time on the web thread). */
    char principal[320];
    struct tls_ctx *tls; /* https:// */
};

/* web_auth.c: HTTP Basic against the data directory's users. allow
 * answers 401 itself and returns false when the request may not go on. */
struct web_auth;
int web_auth_create(const char *data_dir, struct web_auth **out);
void web_auth_destroy(struct web_auth *a);
bool web_auth_allow(struct web *w, struct http_conn *c,
                    const struct http_request *req);

/* web_acl.c: Kafka's ACLs on the routes, for w->principal. allow answers
 * 403 itself and returns false when the request may not go on; true when
 * ACLs are off. rtype/op: AUTH_RES_* / AUTH_OP_* (broker/auth_acls.h). */
struct web_acl;
int web_acl_create(const char *data_dir, struct web_acl **out);
void web_acl_destroy(struct web_acl *a);
bool web_acl_allow(struct web *w, struct http_conn *c, int rtype,
                   const char *name, int op);
/* Creating a topic: CREATE on the cluster or on the topic. */
bool web_acl_allow_create(struct web *w, struct http_conn *c,
                          const char *topic);

/* Routes (each answers c, now or later). parts are the path's segments
 * after the first ("/topics/a/b" -> parts {"a", "b"}), percent-decoded. */
void web_metrics_get(struct web *w, struct http_conn *c);
void web_sql_post(struct web *w, struct http_conn *c,
                  const struct http_request *req, const char *body, size_t len);
void web_query_post(struct web *w, struct http_conn *c,
                    const struct http_request *req, const char *body,
                    size_t len);
void web_queries_get(struct web *w, struct http_conn *c, const char *id);
/* DROP QUERY id (stops it and removes it from the catalog). */
void web_queries_delete(struct web *w, struct http_conn *c, const char *id);
/* /queries/{id}/{action}: POST stop (STOP QUERY), POST resume (RESUME
 * QUERY), GET watermark (EXPLAIN WATERMARK, text). */
void web_queries_action(struct web *w, struct http_conn *c, const char *id,
                        const char *action, bool post);
void web_topics_route(struct web *w, struct http_conn *c,
                      const struct http_request *req, const char *name,
                      const char *body, size_t len);
bool web_assets_get(struct http_conn *c, const char *path);

/* Kafka-API changes (web_admin.c): DELETE /topics/{t}, PATCH /topics/{t},
 * POST /groups/{g}/reset-offsets. */
void web_topic_delete(struct web *w, struct http_conn *c, const char *t);
void web_topic_patch(struct web *w, struct http_conn *c, const char *t,
                     const char *body, size_t len);
void web_group_reset(struct web *w, struct http_conn *c, const char *group,
                     const char *body, size_t len);

/* JSON helpers. */
void web_json_str(struct buf *b, const char *s, size_t n);
void web_json_cstr(struct buf *b, const char *s);
/* {"error": msg} with status. */
void web_error(struct http_conn *c, int status, const char *msg);
/* The value of string field key at the top level of a JSON object,
 * unescaped into out (a NUL ends it). Returns 0, ERR_NOT_FOUND, or
 * ERR_INVALID when the text is not an object of that shape. */
int web_json_field(const char *json, size_t n, const char *key,
                   struct buf *out);
/* The same for a string, number, true or false value (a number's text as
 * written); null, objects and arrays are ERR_NOT_FOUND. The whole object
 * is checked either way. */
int web_json_scalar(const char *json, size_t n, const char *key,
                    struct buf *out);
/* Calls fn for each member of the JSON object json[0..n): its key, and
 * its value: kind 's' a string (unescaped), 'n' a number, true or false
 * (its text), '0' null, 'o' an object or array (its text). Returns 0 or
 * ERR_INVALID (not an object, or malformed); fn may have been called for
 * members before the error. */
int web_json_members(const char *json, size_t n,
                     void (*fn)(void *arg, const char *key, const char *v,
                                size_t vn, int kind),
                     void *arg);
/* ISO-8601 UTC with milliseconds ("2026-12-07T19:03:43.120Z"). */
void web_iso8601(int64_t ms, char *out, size_t n);

#endif

/* --- jobs: a request answered from a thread of its own (web_job.c) ---
 * The job's thread may block (the SQL socket); what it answers is posted
 * to the loop in order. A job whose client left sees web_job_gone() turn
 * true, and the fd it registered is shut down to wake it. */
struct web_job;
typedef void web_job_fn(struct web_job *j, void *arg);
/* Starts fn(j, arg) on a new thread for c (loop thread). When it cannot
 * start, answers 503 and returns ERR_FAILED (arg is then the caller's). */
int web_job_start(struct web *w, struct http_conn *c, web_job_fn *fn,
                  void *arg);
struct web *web_job_web(struct web_job *j);
/* From the job's thread: */
void web_job_respond(struct web_job *j, int status, const char *ctype,
                     struct buf *body); /* takes body's memory */
void web_job_begin(struct web_job *j, int status, const char *ctype);
/* Queues p; waits while more than 1 MiB is queued and the client stays.
 * Returns -1 once the client has gone. */
int web_job_write(struct web_job *j, const void *p, size_t n);
bool web_job_gone(struct web_job *j);
void web_job_set_fd(struct web_job *j, int fd); /* -1: none */

/* --- SQL through the server's socket (web_sql.c) --- */
struct web_sql_sink {
    void (*text)(void *arg, const char *s, size_t n); /* 'T' */
    int (*row)(void *arg, const char *s, size_t n);   /* 'R'; <0 stops */
    void (*error)(void *arg, int line, int column, const char *msg,
                  size_t n); /* 'E' */
    /* No frame for idle_ms (then again every idle_ms); <0 stops. NULL:
     * wait. */
    int (*idle)(void *arg);
    int idle_ms; /* re-read before every wait */
    /* Before waiting for the socket (nothing more is buffered); NULL:
     * none. <0 stops. */
    int (*flush)(void *arg);
    void *arg;
};
/* Runs a script in a session of its own on <data>/rill.sock, answering
 * through sink. Returns 0 (all ran), 1 (a statement failed), ERR_NOT_FOUND
 * (no SQL server listens), ERR_CLOSED (the client left or a callback
 * stopped it) or another negative error. Job thread only. */
int web_sql_exec(struct web_job *j, const char *text, size_t len,
                 const struct web_sql_sink *sink);

/* --- queries (web_queries.c: the one file that knows how the SQL server
 * describes queries) --- */
/* Appends a JSON array of every persistent query (id NULL) or the object
 * of one, with its run-time counters when it runs. Returns 0,
 * ERR_NOT_FOUND (unknown id) or a web_sql_exec error. Job thread only. */
int web_queries_json(struct web_job *j, const char *id, struct buf *out);
/* The catalog's streams and tables: [{"name", "kind", "topic", "format",
 * "partitions", "key", "watermark"}]. */
int web_streams_json(struct web_job *j, struct buf *out);
void web_streams_get(struct web *w, struct http_conn *c);
/* The key column of the stream or table over topic (SHOW STREAMS / SHOW
 * TABLES) into key. Returns 0, ERR_NOT_FOUND (no such relation or no key)
 * or a web_sql_exec error. */
int web_stream_key(struct web_job *j, const char *topic, char *key, size_t n);
/* Prometheus families of the queries (rows, lag per stage, watermark,
 * late rows, dead letters). Same errors. */
int web_queries_metrics(struct web_job *j, struct buf *out);

/* --- consumer groups (web_groups.c): committed offsets read from
 * __consumer_offsets (any thread; the broker's own map is its thread's) */
void web_groups_create(struct web_groups **out);
void web_groups_destroy(struct web_groups *g);
/* Prometheus families: committed offset and lag per group partition. */
void web_groups_metrics(struct web *w, struct buf *out);
/* GET /groups: [{"group", "lag", "partitions": [...]}] */
void web_groups_get(struct web *w, struct http_conn *c);
/* GET /groups/{g}: one group's committed offsets and lag (404: none). */
void web_group_get(struct web *w, struct http_conn *c, const char *group);
void web_groups_json(struct web *w, struct buf *out);
void web_topics_json(struct web *w, struct buf *out);

/* GET /skew and GET /advise: the course's calculators (web_calc.c). */
void web_skew_get(struct http_conn *c, const struct http_request *req);
void web_advise_get(struct http_conn *c, const struct http_request *req);

/* GET /events: server-sent events for the dashboard (web_events.c). */
void web_events_get(struct web *w, struct http_conn *c,
                    const struct http_request *req);
