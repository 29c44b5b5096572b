/* mqtt_map.c - MQTT topic names to log topics, keys and fields
 * (layer: broker). See mqtt_map.h for the rule syntax.
 *
 * A rule keeps its filter with captures stripped ("factory/+/+/reading")
 * for matching, and per level the capture name (or none). Matching walks
 * the name level by level once per rule, so a publish costs a few
 * hundred nanoseconds with a handful of rules; nothing is allocated.
 */
#include "broker/mqtt_map.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "broker/mqtt_codec.h"
#include "log/logdir.h"

#define MAX_LEVELS 64

struct rule {
    char *filter;    /* captures stripped */
    size_t topic;    /* index into m->topics */
    int key_capture; /* -1: the whole topic name */
    bool json_fields;
    size_t ncaps;
    char *cap_names[MQTT_MAP_MAX_CAPTURES];
    int cap_levels[MQTT_MAP_MAX_CAPTURES];
};

struct mqtt_map {
    struct rule *rules;
    size_t nrules;
    char **topics; /* rule targets, then the default */
    size_t ntopics;
    char *default_topic;
};

static size_t topic_index(struct mqtt_map *m, const char *name)
{
    for (size_t i = 0; i < m->ntopics; i++)
        if (strcmp(m->topics[i], name) == 0)
            return i;
    m->topics = mem_realloc(m->topics, (m->ntopics + 1) * sizeof(char *));
    m->topics[m->ntopics] = mem_strdup(name);
    return m->ntopics++;
}

int mqtt_map_create(const char *default_topic, struct mqtt_map **out)
{
    if (!logdir_topic_name_valid(default_topic))
        return ERR_INVALID;
    struct mqtt_map *m = mem_calloc(1, sizeof(*m));
    m->default_topic = mem_strdup(default_topic);
    *out = m;
    return 0;
}

void mqtt_map_destroy(struct mqtt_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nrules; i++) {
        mem_free(m->rules[i].filter);
        for (size_t j = 0; j < m->rules[i].ncaps; j++)
            mem_free(m->rules[i].cap_names[j]);
    }
    for (size_t i = 0; i < m->ntopics; i++)
        mem_free(m->topics[i]);
    mem_free(m->topics);
    mem_free(m->rules);
    mem_free(m->default_topic);
    mem_free(m);
}

static int fail(char *err, int errlen, const char *msg, const char *rule)
{
    snprintf(err, (size_t)errlen, "mqtt map \"%s\": %s", rule, msg);
    return ERR_INVALID;
}

/* Next whitespace-separated word of *s into w (NUL-terminated). */
static bool word(const char **s, char *w, size_t cap)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\t')
        n++;
    if (n == 0 || n >= cap)
        return false;
    memcpy(w, p, n);
    w[n] = '\0';
    *s = p + n;
    return true;
}

int mqtt_map_add(struct mqtt_map *m, const char *text, char *err, int errlen)
{
    char filt[1024], arrow[8], topic[LOGDIR_TOPIC_NAME_MAX + 1], opt[300];
    const char *s = text;
    if (!word(&s, filt, sizeof filt) || !word(&s, arrow, sizeof arrow) ||
        strcmp(arrow, "->") != 0 || !word(&s, topic, sizeof topic))
        return fail(err, errlen, "expected FILTER -> TOPIC [options]", text);
    if (!logdir_topic_name_valid(topic))
        return fail(err, errlen, "invalid log topic name", text);
    struct rule r;
    memset(&r, 0, sizeof r);
    r.key_capture = -1;
    /* Strip capture names: "+machine" -> "+". */
    char stripped[1024];
    size_t o = 0;
    int level = 0;
    for (const char *p = filt; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 1 && p[0] == '+') {
            if (r.ncaps == MQTT_MAP_MAX_CAPTURES)
                goto out_bad_filter;
            r.cap_names[r.ncaps] = mem_strndup(p + 1, n - 1);
            r.cap_levels[r.ncaps++] = level;
            stripped[o++] = '+';
        } else {
            memcpy(stripped + o, p, n);
            o += n;
        }
        level++;
        if (!e)
            break;
        stripped[o++] = '/';
        p = e + 1;
    }
    stripped[o] = '\0';
    if (!mqtt_topic_filter_valid(slice_make(stripped, o), false) ||
        level > MAX_LEVELS)
        goto out_bad_filter;
    while (word(&s, opt, sizeof opt)) {
        if (strncmp(opt, "key=", 4) == 0) {
            r.key_capture = -2;
            for (size_t i = 0; i < r.ncaps; i++)
                if (strcmp(r.cap_names[i], opt + 4) == 0)
                    r.key_capture = (int)i;
            if (r.key_capture == -2) {
                fail(err, errlen, "key= names no capture of the filter", text);
                goto out_free;
            }
        } else if (strcmp(opt, "fields=json") == 0) {
            r.json_fields = true;
        } else if (strcmp(opt, "fields=headers") == 0) {
            r.json_fields = false;
        } else {
            fail(err, errlen, "unknown option (key=NAME, fields=json|headers)",
                 text);
            goto out_free;
        }
    }
    r.filter = mem_strdup(stripped);
    r.topic = topic_index(m, topic);
    m->rules = mem_realloc(m->rules, (m->nrules + 1) * sizeof(*m->rules));
    m->rules[m->nrules++] = r;
    return 0;

out_bad_filter:
    fail(err, errlen, "invalid MQTT topic filter", text);
out_free:
    for (size_t i = 0; i < r.ncaps; i++)
        mem_free(r.cap_names[i]);
    return ERR_INVALID;
}

/* Splits a topic name into at most MAX_LEVELS levels; returns the count,
 * or MAX_LEVELS + 1 when there are more. */
static size_t split_levels(struct slice t, struct slice *lv)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= t.len; i++) {
        if (i == t.len || t.ptr[i] == '/') {
            if (n == MAX_LEVELS)
                return MAX_LEVELS + 1;
            lv[n++] = slice_make(t.ptr + start, i - start);
            start = i + 1;
        }
    }
    return n;
}

void mqtt_map_match(const struct mqtt_map *m, struct slice topic,
                    struct mqtt_map_result *r)
{
    r->key = topic;
    r->json_fields = false;
    r->ncaptures = 0;
    r->log_topic = m->default_topic;
    struct slice lv[MAX_LEVELS];
    size_t nlv = 0;
    for (size_t i = 0; i < m->nrules; i++) {
        const struct rule *ru = &m->rules[i];
        if (!mqtt_topic_match(slice_make(ru->filter, strlen(ru->filter)),
                              topic))
            continue;
        r->log_topic = m->topics[ru->topic];
        r->json_fields = ru->json_fields;
        if (ru->ncaps == 0)
            return;
        if (nlv == 0)
            nlv = split_levels(topic, lv);
        for (size_t j = 0; j < ru->ncaps; j++) {
            if ((size_t)ru->cap_levels[j] >= nlv || nlv > MAX_LEVELS)
                continue; /* '+' cannot be past the end of a match */
            struct mqtt_map_capture *c = &r->captures[r->ncaptures++];
            c->name = ru->cap_names[j];
            c->value = lv[ru->cap_levels[j]];
            if ((int)j == ru->key_capture)
                r->key = c->value;
        }
        return;
    }
}

size_t mqtt_map_topics(const struct mqtt_map *m)
{
    return m->ntopics;
}

const char *mqtt_map_topic(const struct mqtt_map *m, size_t i)
{
    return i < m->ntopics ? m->topics[i] : m->default_topic;
}

bool mqtt_map_topic_overlaps(const struct mqtt_map *m, size_t i, struct slice f)
{
    if (i >= m->ntopics)
        return true;
    for (size_t k = 0; k < m->nrules; k++)
        if (m->rules[k].topic == i &&
            mqtt_filters_overlap(
                slice_make(m->rules[k].filter, strlen(m->rules[k].filter)), f))
            return true;
    return false;
}

static void put_json_string(struct buf *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_put_u8(out, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            buf_put_u8(out, '\\');
            buf_put_u8(out, c);
        } else if (c < 0x20) {
            uint8_t *e = buf_extend(out, 6);
            memcpy(e, "\\u00", 4);
            e[4] = (uint8_t)hex[c >> 4];
            e[5] = (uint8_t)hex[c & 15];
        } else {
            buf_put_u8(out, c);
        }
    }
    buf_put_u8(out, '"');
}

bool mqtt_map_json_fields(const struct mqtt_map_result *r, struct slice payload,
                          struct buf *out)
{
    size_t i = 0;
    while (i < payload.len &&
           (payload.ptr[i] == ' ' || payload.ptr[i] == '\t' ||
            payload.ptr[i] == '\n' || payload.ptr[i] == '\r'))
        i++;
    if (i == payload.len || payload.ptr[i] != '{')
        return false;
    size_t j = i + 1;
    while (j < payload.len &&
           (payload.ptr[j] == ' ' || payload.ptr[j] == '\t' ||
            payload.ptr[j] == '\n' || payload.ptr[j] == '\r'))
        j++;
    bool empty = j < payload.len && payload.ptr[j] == '}';
    buf_reset(out);
    buf_put_u8(out, '{');
    for (size_t k = 0; k < r->ncaptures; k++) {
        if (k)
            buf_put_u8(out, ',');
        put_json_string(out, (const uint8_t *)r->captures[k].name,
                        strlen(r->captures[k].name));
        buf_put_u8(out, ':');
        put_json_string(out, r->captures[k].value.ptr,
                        r->captures[k].value.len);
    }
    if (r->ncaptures && !empty)
        buf_put_u8(out, ',');
    buf_put(out, payload.ptr + i + 1, payload.len - i - 1);
    return true;
}
