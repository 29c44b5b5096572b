/* connect_webhook.c - the webhook sink: rows as HTTP POSTs, through
 * libcurl (layer: connect).
 *
 * 'sink.batch-size' = 1 (the default) posts each row's JSON object; more
 * posts a JSON array of up to that many rows. The answer decides:
 *   2xx                      delivered
 *   no answer (refused, timeout, reset)
 *                            the target is down: nothing is delivered,
 *                            the driver retries with backoff, the log
 *                            keeps the rows (store and forward)
 *   408, 429, 5xx            retried 'sink.max-retries' times with
 *                            backoff ('sink.retry-backoff', doubling),
 *                            then dead-lettered
 *   other 4xx, 3xx           dead-lettered at once
 * Dead letters go to <name>.dlq with the status and the response body
 * (first 4 KB). 'webhook.format' = 'influx' posts InfluxDB line protocol
 * instead (one line per row, a batch per request: InfluxDB's write API).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/connector_int.h"

#define RESPONSE_MAX 4096

static const struct connector_option_def webhook_options[] = {
    {"url", CONNECTOR_SNK, true, "an http:// or https:// URL"},
    {"sink.max-retries", CONNECTOR_SNK, false,
     "retries of a 408, 429 or 5xx answer, 0..100"},
    {"webhook.timeout", CONNECTOR_SNK, false, "a duration like '5 s'"},
    {"webhook.format", CONNECTOR_SNK, false, "'json' or 'influx'"},
    {"influx.measurement", CONNECTOR_SNK, false, "a measurement name"},
    {"influx.tags", CONNECTOR_SNK, false, "columns written as tags"},
    {"influx.time", CONNECTOR_SNK, false, "the timestamp column"},
    {NULL, 0, false, NULL},
};

struct hook {
    struct connector *c;
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    int batch, max_retries;
    int64_t backoff_ms, timeout_ms;
    struct buf body, response;
    bool influx;
    struct connector_influx lp;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int webhook_validate(const struct connector_spec *s, char *err,
                            size_t errlen)
{
    const char *v = connector_spec_option(s, "url");
    if (strncasecmp(v, "http://", 7) && strncasecmp(v, "https://", 8)) {
        snprintf(err, errlen,
                 "option 'url': expected an http:// or "
                 "https:// URL");
        return ERR_INVALID;
    }
    if ((v = connector_spec_option(s, "sink.max-retries"))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 0 || n > 100) {
            snprintf(err, errlen,
                     "option 'sink.max-retries': expected "
                     "0..100");
            return ERR_INVALID;
        }
    }
    if ((v = connector_spec_option(s, "webhook.format")) &&
        strcasecmp(v, "json") && strcasecmp(v, "influx")) {
        snprintf(err, errlen,
                 "option 'webhook.format': expected 'json' or "
                 "'influx'");
        return ERR_INVALID;
    }
    if (v && !strcasecmp(v, "influx") && connector_influx_check(s, err, errlen))
        return ERR_INVALID;
    int64_t ms;
    if ((v = connector_spec_option(s, "webhook.timeout")) &&
        (connector_parse_ms(v, &ms) || ms < 1)) {
        snprintf(err, errlen,
                 "option 'webhook.timeout': expected a "
                 "duration like '5 s'");
        return ERR_INVALID;
    }
    return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t len = size * n;
    if (b->len < RESPONSE_MAX) {
        size_t room = RESPONSE_MAX - b->len;
        buf_put(b, p, len < room ? len : room);
    }
    return len;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* POSTs h->body: the HTTP status, or 0 when no answer came. */
static long post(struct hook *h)
{
    buf_reset(&h->response);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)h->body.data);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)h->body.len);
    CURLcode rc = curl_easy_perform(h->curl);
    if (rc != CURLE_OK)
        return 0;
    long status = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static bool transient(long status)
{
    return status == 408 || status == 429 || status >= 500;
}

/* Delivers rows[0..n) as one request: 1 delivered or dead-lettered, 0
 * target down. */
static int deliver(struct hook *h, const struct connector_row *rows, int n)
{
    buf_reset(&h->body);
    int k = 0;
    if (h->influx) {
        for (int i = 0; i < n; i++) {
            if (rows[i].value_null)
                continue;
            const char *why = connector_influx_row(&h->lp, &rows[i], &h->body);
            if (why && connector_dead_letter(h->c, &rows[i], why, NULL, 0))
                return 0;
            k += why == NULL;
        }
        if (k == 0)
            return 1;
        goto send;
    }
    if (h->batch > 1)
        buf_put_u8(&h->body, '[');
    for (int i = 0; i < n; i++) {
        if (rows[i].value_null)
            continue;
        if (k++)
            buf_put_u8(&h->body, ',');
        buf_put(&h->body, rows[i].value, rows[i].value_len);
    }
    if (h->batch > 1)
        buf_put_u8(&h->body, ']');
    if (k == 0)
        return 1;
send:;
    long status = 0;
    int64_t wait = h->backoff_ms;
    for (int attempt = 0;; attempt++) {
        status = post(h);
        if (status == 0)
            return 0;
        if (status >= 200 && status < 300)
            return 1;
        if (!transient(status) || attempt >= h->max_retries)
            break;
        sleep_ms(wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
    }
    char reason[64];
    snprintf(reason, sizeof reason, "HTTP %ld", status);
    for (int i = 0; i < n; i++)
        if (!rows[i].value_null &&
            connector_dead_letter(h->c, &rows[i], reason,
                                  (const char *)h->response.data,
                                  h->response.len))
            return 0;
    return 1;
}

static int webhook_write(void *state, const struct connector_row *rows, int n)
{
    struct hook *h = state;
    if (h->batch > 1)
        return deliver(h, rows, n) ? n : 0;
    for (int i = 0; i < n; i++)
        if (!deliver(h, rows + i, 1))
            return i;
    return n;
}

static int webhook_create(struct connector *c, void **state, char *err,
                          size_t errlen)
{
    pthread_once(&curl_once, curl_init);
    struct hook *h = mem_calloc(1, sizeof *h);
    h->c = c;
    h->curl = curl_easy_init();
    if (!h->curl) {
        mem_free(h);
        snprintf(err, errlen, "cannot create an HTTP client");
        return ERR_FAILED;
    }
    h->url = mem_strdup(connector_option(c, "url"));
    h->batch = (int)connector_option_i64(c, "sink.batch-size", 1);
    h->max_retries = (int)connector_option_i64(c, "sink.max-retries", 3);
    h->backoff_ms = 200;
    const char *v = connector_option(c, "sink.retry-backoff");
    if (v)
        connector_parse_ms(v, &h->backoff_ms);
    h->timeout_ms = 5000;
    if ((v = connector_option(c, "webhook.timeout")))
        connector_parse_ms(v, &h->timeout_ms);
    buf_init(&h->body);
    buf_init(&h->response);
    v = connector_option(c, "webhook.format");
    h->influx = v && !strcasecmp(v, "influx");
    if (h->influx && connector_influx_init(c, &h->lp, err, errlen)) {
        curl_easy_cleanup(h->curl);
        buf_fini(&h->body);
        buf_fini(&h->response);
        mem_free(h->url);
        mem_free(h);
        return ERR_INVALID;
    }
    h->headers = curl_slist_append(
        NULL, h->influx ? "Content-Type: text/plain; charset=utf-8"
                        : "Content-Type: application/json");
    curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->response);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "rill");
    *state = h;
    return 0;
}

static void webhook_destroy(void *state)
{
    struct hook *h = state;
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    if (h->influx)
        connector_influx_fini(&h->lp);
    buf_fini(&h->body);
    buf_fini(&h->response);
    mem_free(h->url);
    mem_free(h);
}

const struct connector_kind connector_kind_webhook = {
    .name = "webhook",
    .roles = CONNECTOR_SNK,
    .options = webhook_options,
    .validate = webhook_validate,
    .create = webhook_create,
    .destroy = webhook_destroy,
    .write = webhook_write,
};
