/* auth_quotas.c - quota overrides file and Kafka's rate/throttle
 * arithmetic (layer: broker). Formats and rules are in auth_quotas.h.
 */
#include "broker/auth_quotas.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "broker/auth_file.h"

/* --- rate ---------------------------------------------------------------- */

double auth_quota_rate_value(const struct auth_quota_rate *r, int64_t now_ms)
{
    const int64_t horizon = (int64_t)AUTH_QUOTA_SAMPLES * AUTH_QUOTA_SAMPLE_MS;
    int64_t total = 0, oldest = now_ms;
    for (int i = 0; i < AUTH_QUOTA_SAMPLES; i++) {
        if (r->start_ms[i] == 0 || now_ms - r->start_ms[i] >= horizon)
            continue;
        total += r->bytes[i];
        if (r->start_ms[i] < oldest)
            oldest = r->start_ms[i];
    }
    int64_t elapsed = now_ms - oldest;
    const int64_t min_elapsed =
        (int64_t)(AUTH_QUOTA_SAMPLES - 1) * AUTH_QUOTA_SAMPLE_MS;
    if (elapsed < min_elapsed)
        elapsed = min_elapsed;
    return (double)total * 1000.0 / (double)elapsed;
}

int32_t auth_quota_record(struct auth_quota_rate *r, int64_t now_ms,
                          int64_t bytes, int64_t limit)
{
    if (now_ms <= 0)
        now_ms = 1; /* 0 marks an unused sample */
    if (r->start_ms[r->cur] == 0 ||
        now_ms - r->start_ms[r->cur] >= AUTH_QUOTA_SAMPLE_MS) {
        r->cur = (r->cur + 1) % AUTH_QUOTA_SAMPLES;
        r->start_ms[r->cur] = now_ms;
        r->bytes[r->cur] = 0;
    }
    r->bytes[r->cur] += bytes;
    if (limit < 0)
        return 0;
    double rate = auth_quota_rate_value(r, now_ms);
    if (limit == 0)
        return (int32_t)AUTH_QUOTA_SAMPLES * AUTH_QUOTA_SAMPLE_MS;
    if (rate <= (double)limit)
        return 0;
    /* The window the rate was measured over (as in the rate above). */
    int64_t oldest = now_ms;
    for (int i = 0; i < AUTH_QUOTA_SAMPLES; i++)
        if (r->start_ms[i] && r->start_ms[i] < oldest &&
            now_ms - r->start_ms[i] <
                (int64_t)AUTH_QUOTA_SAMPLES * AUTH_QUOTA_SAMPLE_MS)
            oldest = r->start_ms[i];
    int64_t window = now_ms - oldest;
    if (window < (int64_t)(AUTH_QUOTA_SAMPLES - 1) * AUTH_QUOTA_SAMPLE_MS)
        window = (int64_t)(AUTH_QUOTA_SAMPLES - 1) * AUTH_QUOTA_SAMPLE_MS;
    double ms = (rate - (double)limit) / (double)limit * (double)window;
    const double max = (double)AUTH_QUOTA_SAMPLES * AUTH_QUOTA_SAMPLE_MS;
    return (int32_t)(ms > max ? max : ms);
}

/* --- the overrides file -------------------------------------------------- */

struct auth_quotas {
    char dir[1024], path[1100];
    struct auth_quota_entry *v;
    size_t n, cap;
    struct auth_file_stamp stamp;
};

static int parse_value(const char *s, const char *key, int64_t *out)
{
    size_t kl = strlen(key);
    if (strncmp(s, key, kl) || s[kl] != '=')
        return 1; /* not this key */
    char *end;
    errno = 0;
    long long v = strtoll(s + kl + 1, &end, 10);
    if (errno || *end || end == s + kl + 1 || v < -1)
        return ERR_PARSE;
    *out = v;
    return 0;
}

static int parse_line(char *line, struct auth_quota_entry *e)
{
    char *save = NULL, *t = strtok_r(line, " \t", &save);
    if (!t)
        return ERR_PARSE;
    char *p = auth_file_unescape(t);
    if (strlen(p) >= sizeof(e->principal) ||
        (!strchr(p, ':') && strcmp(p, AUTH_QUOTA_DEFAULT_USER) != 0)) {
        mem_free(p);
        return ERR_PARSE;
    }
    snprintf(e->principal, sizeof(e->principal), "%s", p);
    mem_free(p);
    e->producer_byte_rate = e->consumer_byte_rate = AUTH_QUOTA_DEFAULT;
    while ((t = strtok_r(NULL, " \t", &save))) {
        int a = parse_value(t, "producer_byte_rate", &e->producer_byte_rate);
        int b = a == 1 ? parse_value(t, "consumer_byte_rate",
                                     &e->consumer_byte_rate)
                       : 0;
        if (a < 0 || b != 0)
            return ERR_PARSE;
    }
    return 0;
}

static int load(struct auth_quotas *q)
{
    struct auth_file_stamp st;
    auth_file_stamp_take(q->path, &st);
    if (!st.exists) {
        q->n = 0;
        q->stamp = st;
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(q->path, 16 << 20, &text, &len);
    if (rc < 0)
        return rc;
    struct auth_quota_entry *v = NULL;
    size_t n = 0, cap = 0;
    int lineno = 0;
    char *p = text, *end = text + len;
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        lineno++;
        char *s = p;
        p = nl ? nl + 1 : end;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            v = mem_realloc(v, cap * sizeof(*v));
        }
        if (parse_line(s, &v[n]) < 0) {
            diag_error("quotas: %s:%d does not parse", q->path, lineno);
            rc = ERR_PARSE;
        }
        n++;
    }
    mem_free(text);
    if (rc < 0) {
        mem_free(v);
        return rc;
    }
    mem_free(q->v);
    q->v = v;
    q->n = n;
    q->cap = cap;
    q->stamp = st;
    return 0;
}

int auth_quotas_open(const char *dir, struct auth_quotas **out)
{
    struct auth_quotas *q = mem_calloc(1, sizeof(*q));
    snprintf(q->dir, sizeof(q->dir), "%s/security", dir);
    snprintf(q->path, sizeof(q->path), "%s/quotas", q->dir);
    int rc = load(q);
    if (rc < 0) {
        auth_quotas_destroy(q);
        return rc;
    }
    *out = q;
    return 0;
}

void auth_quotas_destroy(struct auth_quotas *q)
{
    if (!q)
        return;
    mem_free(q->v);
    mem_free(q);
}

void auth_quotas_refresh(struct auth_quotas *q)
{
    if (!auth_file_changed(q->path, &q->stamp))
        return;
    if (load(q) < 0)
        diag_error("quotas: %s changed but does not load; keeping the "
                   "quotas read before",
                   q->path);
    else
        diag_info("quotas: %s re-read (%zu principals)", q->path, q->n);
}

int auth_quotas_save(struct auth_quotas *q)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "# rill quotas (docs/security.md): PRINCIPAL "
                    "producer_byte_rate=N consumer_byte_rate=N\n");
    for (size_t i = 0; i < q->n; i++) {
        const struct auth_quota_entry *e = &q->v[i];
        auth_file_put_escaped(&b, e->principal);
        if (e->producer_byte_rate != AUTH_QUOTA_DEFAULT)
            buf_printf(&b, " producer_byte_rate=%" PRId64,
                       e->producer_byte_rate);
        if (e->consumer_byte_rate != AUTH_QUOTA_DEFAULT)
            buf_printf(&b, " consumer_byte_rate=%" PRId64,
                       e->consumer_byte_rate);
        buf_put(&b, "\n", 1);
    }
    int rc = auth_file_write(q->dir, q->path, &b);
    buf_fini(&b);
    if (rc == 0)
        auth_file_stamp_take(q->path, &q->stamp);
    return rc;
}

const struct auth_quota_entry *auth_quotas_find(const struct auth_quotas *q,
                                                const char *principal)
{
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->v[i].principal, principal))
            return &q->v[i];
    return NULL;
}

void auth_quotas_set(struct auth_quotas *q, const char *principal,
                     int64_t producer, int64_t consumer)
{
    struct auth_quota_entry *e = NULL;
    for (size_t i = 0; i < q->n && !e; i++)
        if (!strcmp(q->v[i].principal, principal))
            e = &q->v[i];
    if (!e) {
        if (q->n == q->cap) {
            q->cap = q->cap ? 2 * q->cap : 16;
            q->v = mem_realloc(q->v, q->cap * sizeof(*q->v));
        }
        e = &q->v[q->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->principal, sizeof(e->principal), "%s", principal);
        e->producer_byte_rate = e->consumer_byte_rate = AUTH_QUOTA_DEFAULT;
    }
    if (producer != AUTH_QUOTA_DEFAULT)
        e->producer_byte_rate = producer;
    if (consumer != AUTH_QUOTA_DEFAULT)
        e->consumer_byte_rate = consumer;
}

void auth_quotas_replace(struct auth_quotas *q, const char *principal,
                         int64_t producer, int64_t consumer)
{
    if (producer == AUTH_QUOTA_DEFAULT && consumer == AUTH_QUOTA_DEFAULT) {
        auth_quotas_remove(q, principal);
        return;
    }
    auth_quotas_set(q, principal, producer, consumer);
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->v[i].principal, principal)) {
            q->v[i].producer_byte_rate = producer;
            q->v[i].consumer_byte_rate = consumer;
        }
}

int auth_quotas_remove(struct auth_quotas *q, const char *principal)
{
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->v[i].principal, principal)) {
            q->v[i] = q->v[--q->n];
            return 0;
        }
    return ERR_NOT_FOUND;
}

size_t auth_quotas_count(const struct auth_quotas *q)
{
    return q->n;
}

const struct auth_quota_entry *auth_quotas_at(const struct auth_quotas *q,
                                              size_t i)
{
    return i < q->n ? &q->v[i] : NULL;
}
