/* connect_mqtt.c - the MQTT connector against an external broker, through
 * libmosquitto (layer: connect).
 *
 * Source: subscribes to 'mqtt.topic' (a filter, wildcards allowed; several
 * separated by commas) at 'mqtt.qos' and appends each message to the log
 * topic: key = the MQTT topic name, value = the payload, timestamp =
 * arrival. The session is persistent ('mqtt.clean-session' false by
 * default), so the broker keeps QoS 1/2 messages for rill while it is
 * away. libmosquitto acknowledges a message as it hands it over; rill
 * appends it in the same step, so only a crash in between can lose one.
 * Sink: publishes each row's JSON to 'mqtt.topic', a template whose
 * {column} parts are the row's values (alerts/{machine_id}), at
 * 'mqtt.qos'; a batch counts as delivered once every message of it is
 * acknowledged (QoS 1: PUBACK, QoS 2: PUBCOMP; QoS 0: written to the
 * socket). A row whose topic cannot be made (NULL field, a wildcard or
 * an empty result) goes to the dead-letter topic.
 * TLS: 'mqtt.broker' = 'ssl://HOST:PORT', the broker's certificate checked
 * against 'mqtt.tls.ca' (else the system's CAs) and its name; a client
 * certificate with 'mqtt.tls.cert' and 'mqtt.tls.key'.
 */
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/connector_int.h"
#include "row/row_batch.h"
#include "row/row_decoder.h"
#include "row/scalar.h"

#define CONNECT_TIMEOUT_MS 3000
#define ACK_TIMEOUT_MS 10000
#define TOPIC_MAX 1024

static const struct connector_option_def mqtt_options[] = {
    {"mqtt.broker", CONNECTOR_BOTH, true,
     "HOST:PORT of the broker; ssl://HOST:PORT (or mqtts://) for TLS"},
    {"mqtt.topic", CONNECTOR_BOTH, true,
     "a filter (source) or a topic template like 'alerts/{machine_id}' "
     "(sink)"},
    {"mqtt.qos", CONNECTOR_BOTH, false, "0, 1 or 2"},
    {"mqtt.client-id", CONNECTOR_BOTH, false, "a client identifier"},
    {"mqtt.username", CONNECTOR_BOTH, false, "a user name"},
    {"mqtt.password", CONNECTOR_BOTH, false, "a password"},
    {"mqtt.retain", CONNECTOR_SNK, false, "'true' or 'false'"},
    {"mqtt.clean-session", CONNECTOR_SRC, false, "'true' or 'false'"},
    {"mqtt.tls.ca", CONNECTOR_BOTH, false,
     "PEM file of the CAs to trust (default: the system's)"},
    {"mqtt.tls.cert", CONNECTOR_BOTH, false,
     "PEM file of a client certificate (with mqtt.tls.key)"},
    {"mqtt.tls.key", CONNECTOR_BOTH, false,
     "PEM file of the client certificate's private key"},
    {"mqtt.tls.insecure", CONNECTOR_BOTH, false,
     "'true': do not check the broker's name against its certificate"},
    {"mqtt.max-inflight", CONNECTOR_SNK, false,
     "QoS 1/2 messages unacknowledged at once, 1..65535"},
    {NULL, 0, false, NULL},
};

/* A template part: literal text, or a column. */
struct part {
    const char *lit;
    size_t len;
    int column; /* -1: literal */
};

struct mqtt_conn {
    struct connector *c;
    struct mosquitto *mosq;
    bool sink, connected, failed;
    char host[256];
    int port, qos;
    bool retain, clean, tls;
    int last_rc; /* the last connection error logged (once per kind) */
    char *topic; /* template (sink) or filters (source) */
    struct part parts[64];
    int nparts;
    bool has_fields;
    int outstanding;
    struct row_decoder *dec;
    struct row_batch *batch;
    struct buf tbuf;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static void lib_init(void)
{
    mosquitto_lib_init();
}

/* Splits tpl into parts; ERR_INVALID with a message for a bad one. */
static int parse_template(const char *tpl, const struct schema *s,
                          struct part *parts, int *nparts, char *err,
                          size_t errlen)
{
    int n = 0;
    const char *p = tpl;
    while (*p) {
        if (n >= 64) {
            snprintf(err, errlen, "option 'mqtt.topic': too many parts");
            return ERR_INVALID;
        }
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) {
                snprintf(err, errlen, "option 'mqtt.topic': '{' without '}'");
                return ERR_INVALID;
            }
            int col = schema_find(s, p + 1, (size_t)(close - p - 1));
            if (col < 0) {
                snprintf(err, errlen,
                         "option 'mqtt.topic': {%.*s} is not a column",
                         (int)(close - p - 1), p + 1);
                return ERR_INVALID;
            }
            parts[n++] = (struct part){NULL, 0, col};
            p = close + 1;
            continue;
        }
        const char *q = p;
        while (*q && *q != '{')
            q++;
        parts[n++] = (struct part){p, (size_t)(q - p), -1};
        p = q;
    }
    *nparts = n;
    return 0;
}

/* [tcp:// | mqtt:// | ssl:// | mqtts://]HOST:PORT; *tls set for the
 * last two. 0 or ERR_INVALID. */
static int parse_broker(const char *v, char *host, size_t hn, int *port,
                        bool *tls)
{
    static const struct {
        const char *scheme;
        bool tls;
    } schemes[] = {{"tcp://", false},
                   {"mqtt://", false},
                   {"ssl://", true},
                   {"mqtts://", true}};
    *tls = false;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].scheme);
        if (!strncasecmp(v, schemes[i].scheme, n)) {
            v += n;
            *tls = schemes[i].tls;
            break;
        }
    }
    return connector_parse_hostport(v, host, hn, port);
}

static int mqtt_validate(const struct connector_spec *s, char *err,
                         size_t errlen)
{
    const char *v = connector_spec_option(s, "mqtt.broker");
    char host[256];
    int port;
    bool tls;
    if (parse_broker(v, host, sizeof host, &port, &tls)) {
        snprintf(err, errlen,
                 "option 'mqtt.broker': expected HOST:PORT or "
                 "ssl://HOST:PORT");
        return ERR_INVALID;
    }
    static const char *const files[] = {"mqtt.tls.ca", "mqtt.tls.cert",
                                        "mqtt.tls.key"};
    for (int i = 0; i < 3; i++) {
        if (!(v = connector_spec_option(s, files[i])))
            continue;
        if (!tls) {
            snprintf(err, errlen,
                     "option '%s' needs TLS: write 'mqtt.broker' as "
                     "ssl://HOST:PORT",
                     files[i]);
            return ERR_INVALID;
        }
        if (access(v, R_OK)) {
            snprintf(err, errlen, "option '%s': cannot read %s", files[i], v);
            return ERR_INVALID;
        }
    }
    if (!connector_spec_option(s, "mqtt.tls.cert") !=
        !connector_spec_option(s, "mqtt.tls.key")) {
        snprintf(err, errlen,
                 "options 'mqtt.tls.cert' and 'mqtt.tls.key' go together");
        return ERR_INVALID;
    }
    if ((v = connector_spec_option(s, "mqtt.tls.insecure")) && !tls) {
        snprintf(err, errlen,
                 "option 'mqtt.tls.insecure' needs TLS: write 'mqtt.broker' "
                 "as ssl://HOST:PORT");
        return ERR_INVALID;
    }
    if ((v = connector_spec_option(s, "mqtt.qos")) && strcmp(v, "0") &&
        strcmp(v, "1") && strcmp(v, "2")) {
        snprintf(err, errlen, "option 'mqtt.qos': expected 0, 1 or 2");
        return ERR_INVALID;
    }
    if ((v = connector_spec_option(s, "mqtt.max-inflight"))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || end == v || n < 1 || n > 65535) {
            snprintf(err, errlen,
                     "option 'mqtt.max-inflight': expected 1..65535");
            return ERR_INVALID;
        }
    }
    const char *bools[] = {"mqtt.retain", "mqtt.clean-session",
                           "mqtt.tls.insecure"};
    for (int i = 0; i < 3; i++)
        if ((v = connector_spec_option(s, bools[i])) && strcasecmp(v, "true") &&
            strcasecmp(v, "false")) {
            snprintf(err, errlen, "option '%s': expected 'true' or 'false'",
                     bools[i]);
            return ERR_INVALID;
        }
    v = connector_spec_option(s, "mqtt.topic");
    if (s->role == CONNECTOR_SINK) {
        struct part parts[64];
        int n;
        if (parse_template(v, s->schema, parts, &n, err, errlen))
            return ERR_INVALID;
        if (strchr(v, '+') || strchr(v, '#') || !*v) {
            snprintf(err, errlen,
                     "option 'mqtt.topic': a sink's topic has no wildcards");
            return ERR_INVALID;
        }
    } else {
        char *copy = mem_strdup(v), *save = NULL;
        for (char *f = strtok_r(copy, ",", &save); f;
             f = strtok_r(NULL, ",", &save)) {
            bool bad = false;
            if (mosquitto_sub_topic_check(f) != MOSQ_ERR_SUCCESS)
                bad = true;
            if (bad) {
                snprintf(err, errlen,
                         "option 'mqtt.topic': '%s' is not a "
                         "valid MQTT filter",
                         f);
                mem_free(copy);
                return ERR_INVALID;
            }
        }
        mem_free(copy);
    }
    return 0;
}

/* ---- callbacks (run inside mosquitto_loop, on the task's thread) ---- */

static void on_connect(struct mosquitto *mosq, void *arg, int rc)
{
    struct mqtt_conn *m = arg;
    if (rc) {
        m->failed = true;
        diag_warn("connector %s: broker refused the connection: %s",
                  connector_name(m->c), mosquitto_connack_string(rc));
        return;
    }
    m->connected = true;
    if (m->sink)
        return;
    char *copy = mem_strdup(m->topic), *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f;
         f = strtok_r(NULL, ",", &save))
        mosquitto_subscribe(mosq, NULL, f, m->qos);
    mem_free(copy);
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
    (void)mosq;
    (void)rc;
    struct mqtt_conn *m = arg;
    m->connected = false;
}

static void on_publish(struct mosquitto *mosq, void *arg, int mid)
{
    (void)mosq;
    (void)mid;
    struct mqtt_conn *m = arg;
    if (m->outstanding > 0)
        m->outstanding--;
}

static void on_message(struct mosquitto *mosq, void *arg,
                       const struct mosquitto_message *msg)
{
    (void)mosq;
    struct mqtt_conn *m = arg;
    if (connector_emit(m->c, msg->topic, strlen(msg->topic), true, msg->payload,
                       (size_t)msg->payloadlen, clock_now_ms()))
        m->failed = true;
}

/* ---- connection ---- */

/* Logs why a connection failed, once until it changes or succeeds. */
static void conn_failed(struct mqtt_conn *m, int rc)
{
    if (rc != m->last_rc)
        diag_warn(
            "connector %s: cannot connect to %s:%d%s: %s", connector_name(m->c),
            m->host, m->port, m->tls ? " (TLS)" : "",
            rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    m->last_rc = rc;
}

static int do_connect(struct mqtt_conn *m)
{
    m->connected = m->failed = false;
    int rc = mosquitto_connect(m->mosq, m->host, m->port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        conn_failed(m, rc);
        return ERR_FAILED;
    }
    int64_t deadline = clock_mono_ms() + CONNECT_TIMEOUT_MS;
    while (!m->connected && !m->failed && clock_mono_ms() < deadline) {
        rc = mosquitto_loop(m->mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            conn_failed(m, rc); /* a TLS handshake that failed, say */
            break;
        }
    }
    if (!m->connected) {
        mosquitto_disconnect(m->mosq);
        return ERR_FAILED;
    }
    m->last_rc = 0;
    return 0;
}

static int mqtt_open(void *state)
{
    return do_connect(state);
}

static void mqtt_close(void *state)
{
    struct mqtt_conn *m = state;
    mosquitto_disconnect(m->mosq);
    mosquitto_loop(m->mosq, 10, 1);
    m->connected = false;
}

/* ---- sink ---- */

static void put_value(struct buf *b, struct value v)
{
    char tmp[64];
    size_t n = 0;
    switch (v.type) {
    case SCHEMA_BOOLEAN:
        buf_put_str(b, v.u.b ? "true" : "false");
        return;
    case SCHEMA_INT:
        n = scalar_format_int(v.u.i32, tmp);
        break;
    case SCHEMA_BIGINT:
        n = scalar_format_int(v.u.i64, tmp);
        break;
    case SCHEMA_DOUBLE:
        n = scalar_format_double(v.u.f64, tmp);
        break;
    case SCHEMA_TIMESTAMP:
        n = scalar_format_timestamp(v.u.i64, tmp);
        break;
    case SCHEMA_STRING:
        buf_put(b, v.u.str.ptr, v.u.str.len);
        return;
    default:
        return;
    }
    buf_put(b, tmp, n);
}

/* The row's topic into m->tbuf (NUL-terminated), or a reason. */
static const char *make_topic(struct mqtt_conn *m,
                              const struct connector_row *row)
{
    buf_reset(&m->tbuf);
    if (m->has_fields) {
        row_batch_reset(m->batch);
        struct row_error e;
        int got = row_decoder_decode(m->dec, m->batch, (const char *)row->value,
                                     row->value_len, clock_now_ms(), NULL, &e);
        if (got < 1)
            return "the value is not a row of the stream";
    }
    for (int i = 0; i < m->nparts; i++) {
        const struct part *p = &m->parts[i];
        if (p->column < 0) {
            buf_put(&m->tbuf, p->lit, p->len);
            continue;
        }
        struct value v = row_batch_get(m->batch, 0, p->column);
        if (v.type == SCHEMA_NULL)
            return "a field of the topic template is NULL";
        size_t before = m->tbuf.len;
        put_value(&m->tbuf, v);
        for (size_t k = before; k < m->tbuf.len; k++)
            if (m->tbuf.data[k] == '+' || m->tbuf.data[k] == '#' ||
                m->tbuf.data[k] == 0)
                return "a field of the topic template holds '+', '#' or "
                       "NUL";
    }
    if (m->tbuf.len == 0 || m->tbuf.len > TOPIC_MAX)
        return "the topic is empty or too long";
    buf_put_u8(&m->tbuf, 0);
    return NULL;
}

/* Acknowledge what the broker sends at once. A broker without
 * TCP_NODELAY (mosquitto's default) holds each PUBACK after the first
 * until its last segment is acknowledged, and once a batch is written
 * rill has nothing to send that would carry the acknowledgement: the
 * kernel's delayed ACK (40 ms) then paced a batch (9K rows/s). Linux
 * clears TCP_QUICKACK as it goes, so it is set again before each wait. */
static void quick_ack(struct mqtt_conn *m)
{
#ifdef TCP_QUICKACK
    int fd = mosquitto_socket(m->mosq), one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
    (void)m;
#endif
}

static int mqtt_write(void *state, const struct connector_row *rows, int n)
{
    struct mqtt_conn *m = state;
    m->outstanding = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].value_null)
            continue;
        const char *why = make_topic(m, &rows[i]);
        if (why) {
            connector_dead_letter(m->c, &rows[i], why, NULL, 0);
            continue;
        }
        int mid;
        int rc = mosquitto_publish(m->mosq, &mid, (const char *)m->tbuf.data,
                                   (int)rows[i].value_len, rows[i].value,
                                   m->qos, m->retain);
        if (rc != MOSQ_ERR_SUCCESS)
            return 0;
        if (m->qos > 0)
            m->outstanding++;
        /* Keep the socket moving so acknowledgements come back. */
        if ((i & 31) == 31) {
            quick_ack(m);
            if (mosquitto_loop(m->mosq, 0, 1) != 0)
                return 0;
        }
    }
    int64_t deadline = clock_mono_ms() + ACK_TIMEOUT_MS;
    for (;;) {
        quick_ack(m);
        int rc = mosquitto_loop(m->mosq, 20, 1);
        if (rc != MOSQ_ERR_SUCCESS || !m->connected)
            return 0;
        if (m->outstanding == 0 && mosquitto_want_write(m->mosq) == false)
            break;
        if (clock_mono_ms() > deadline)
            return 0;
    }
    return n;
}

/* ---- source ---- */

static int mqtt_poll(void *state, int64_t now_ms)
{
    (void)now_ms;
    struct mqtt_conn *m = state;
    if (!m->connected && do_connect(m))
        return ERR_FAILED;
    int rc = mosquitto_loop(m->mosq, 50, 64);
    if (rc != MOSQ_ERR_SUCCESS || !m->connected || m->failed) {
        m->connected = false;
        mosquitto_disconnect(m->mosq);
        return ERR_FAILED;
    }
    return 1;
}

/* ---- lifecycle ---- */

static int tls_setup(struct mqtt_conn *m, char *err, size_t errlen)
{
    const char *ca = connector_option(m->c, "mqtt.tls.ca");
    const char *cert = connector_option(m->c, "mqtt.tls.cert");
    const char *key = connector_option(m->c, "mqtt.tls.key");
    const char *insecure = connector_option(m->c, "mqtt.tls.insecure");
    int rc = MOSQ_ERR_SUCCESS;
    if (!ca)
        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    /* libmosquitto wants a CA file or directory with a certificate. */
    if (!rc && (ca || cert))
        rc = mosquitto_tls_set(m->mosq, ca, ca ? NULL : "/etc/ssl/certs", cert,
                               key, NULL);
    if (!rc)
        rc = mosquitto_tls_opts_set(m->mosq, 1, NULL, NULL);
    if (!rc && insecure && !strcasecmp(insecure, "true"))
        rc = mosquitto_tls_insecure_set(m->mosq, true);
    if (rc) {
        snprintf(err, errlen, "TLS: %s", mosquitto_strerror(rc));
        return ERR_INVALID;
    }
    return 0;
}

static int mqtt_create(struct connector *c, void **state, char *err,
                       size_t errlen)
{
    pthread_once(&lib_once, lib_init);
    struct mqtt_conn *m = mem_calloc(1, sizeof *m);
    m->c = c;
    buf_init(&m->tbuf);
    parse_broker(connector_option(c, "mqtt.broker"), m->host, sizeof m->host,
                 &m->port, &m->tls);
    m->qos = (int)connector_option_i64(c, "mqtt.qos", 1);
    const char *v = connector_option(c, "mqtt.retain");
    m->retain = v && !strcasecmp(v, "true");
    v = connector_option(c, "mqtt.clean-session");
    m->clean = v && !strcasecmp(v, "true");
    m->topic = mem_strdup(connector_option(c, "mqtt.topic"));
    m->sink = connector_is_sink(c);
    if (m->sink) {
        m->clean = true;
        if (parse_template(m->topic, connector_schema(c), m->parts, &m->nparts,
                           err, errlen))
            goto fail;
        for (int i = 0; i < m->nparts; i++)
            if (m->parts[i].column >= 0)
                m->has_fields = true;
        if (m->has_fields &&
            (row_decoder_create(ROW_FORMAT_JSON, connector_schema(c), NULL,
                                &m->dec) ||
             row_batch_create(connector_schema(c), 1, &m->batch))) {
            snprintf(err, errlen, "cannot decode the stream's rows");
            goto fail;
        }
    }
    char id[128];
    v = connector_option(c, "mqtt.client-id");
    snprintf(id, sizeof id, "%s", v ? v : "");
    if (!v)
        snprintf(id, sizeof id, "rill-%s-%s", connector_name(c),
                 m->sink ? "sink" : "source");
    m->mosq = mosquitto_new(id, m->clean, m);
    if (!m->mosq) {
        snprintf(err, errlen, "cannot create an MQTT client");
        goto fail;
    }
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         MQTT_PROTOCOL_V311);
    /* At most 'mqtt.max-inflight' QoS 1/2 messages unacknowledged
     * (libmosquitto's default, 20, unless set): MQTT 3.1.1 has no way to
     * learn the broker's window, and mosquitto's own is 20 (QoS 2 beyond
     * it stalls). */
    mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    if (m->sink)
        mosquitto_int_option(
            m->mosq, MOSQ_OPT_SEND_MAXIMUM,
            (int)connector_option_i64(c, "mqtt.max-inflight", 20));
    if (m->tls && tls_setup(m, err, errlen))
        goto fail;
    const char *user = connector_option(c, "mqtt.username");
    if (user)
        mosquitto_username_pw_set(m->mosq, user,
                                  connector_option(c, "mqtt.password"));
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_callback_set(m->mosq, on_publish);
    mosquitto_message_callback_set(m->mosq, on_message);
    *state = m;
    return 0;
fail:
    if (m->mosq)
        mosquitto_destroy(m->mosq);
    row_decoder_destroy(m->dec);
    row_batch_destroy(m->batch);
    buf_fini(&m->tbuf);
    mem_free(m->topic);
    mem_free(m);
    return ERR_INVALID;
}

static void mqtt_destroy(void *state)
{
    struct mqtt_conn *m = state;
    if (m->connected)
        mqtt_close(m);
    mosquitto_destroy(m->mosq);
    row_decoder_destroy(m->dec);
    row_batch_destroy(m->batch);
    buf_fini(&m->tbuf);
    mem_free(m->topic);
    mem_free(m);
}

const struct connector_kind connector_kind_mqtt = {
    .name = "mqtt",
    .roles = CONNECTOR_BOTH,
    .options = mqtt_options,
    .validate = mqtt_validate,
    .create = mqtt_create,
    .destroy = mqtt_destroy,
    .open = mqtt_open,
    .close = mqtt_close,
    .write = mqtt_write,
    .poll = mqtt_poll,
};
