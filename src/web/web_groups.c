/* web_groups.c - consumer-group offsets and lag for /metrics, /groups
 * and the dashboard (layer: web).
 *
 * The broker keeps committed offsets in a map only its thread may touch,
 * and persists every commit to __consumer_offsets (broker/group_offsets.h).
 * This file keeps its own copy of the map by reading that topic from
 * where it stopped (a read of the log, thread-safe) and replaying the new
 * batches with the broker's own decoder: nothing of the broker's state is
 * shared. Lag = the partition's end offset minus the committed offset.
 */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "broker/group_offsets.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "web/web_int.h"

#define READ_MAX (4u << 20)

struct web_groups {
    pthread_mutex_t mu; /* a scrape and a GET may run at once */
    struct group_offsets *go;
    int64_t next; /* next offset of __consumer_offsets to replay */
};

void web_groups_create(struct web_groups **out)
{
    struct web_groups *g = mem_calloc(1, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    group_offsets_create(&g->go);
    *out = g;
}

void web_groups_destroy(struct web_groups *g)
{
    if (!g)
        return;
    group_offsets_close(g->go);
    pthread_mutex_destroy(&g->mu);
    mem_free(g);
}

/* Replays what was appended since the last call (g->mu held). */
static void refresh(struct web *w, struct web_groups *g)
{
    struct partition *p = logdir_partition(w->o.logdir, GROUP_OFFSETS_TOPIC, 0);
    if (!p)
        return;
    int64_t start = partition_log_start_offset(p);
    if (g->next < start) {
        /* Compacted or retained away: start over from what is there. */
        group_offsets_close(g->go);
        group_offsets_create(&g->go);
        g->next = start;
    }
    struct buf b;
    buf_init(&b);
    for (int round = 0; round < 64; round++) {
        buf_reset(&b);
        int64_t next = g->next;
        if (partition_read_copy(p, g->next, READ_MAX, &b, &next) < 0 ||
            b.len == 0 || next <= g->next)
            break;
        if (group_offsets_replay(g->go, b.data, b.len) < 0)
            break;
        g->next = next;
    }
    buf_fini(&b);
}

struct lag_row {
    const char *topic;
    int32_t partition;
    int64_t committed, end;
};

/* Calls fn for every committed partition of every group (g->mu held). */
static void each(struct web *w, struct web_groups *g,
                 void (*fn)(void *, const char *, const struct lag_row *),
                 void *arg)
{
    const char *group;
    for (size_t gi = 0; group_offsets_next_group(g->go, &gi, &group);) {
        struct slice gs = slice_make(group, strlen(group));
        const char *topic;
        int32_t part;
        const struct group_offset *o;
        for (size_t it = 0;
             group_offsets_next(g->go, gs, &it, &topic, &part, &o);) {
            struct partition *p = logdir_partition(w->o.logdir, topic, part);
            struct lag_row r = {topic, part, o->offset,
                                p ? partition_high_watermark(p) : -1};
            fn(arg, group, &r);
        }
    }
}

struct prom {
    struct buf *out;
    int pass;
};

static void prom_row(void *arg, const char *group, const struct lag_row *r)
{
    struct prom *p = arg;
    struct buf *b = p->out;
    if (p->pass == 0) {
        buf_printf(b, "rill_group_committed_offset{group=");
    } else {
        if (r->end < 0)
            return;
        buf_printf(b, "rill_group_lag{group=");
    }
    /* A label value: \\, \" and \n escaped (the exposition format). */
    buf_put_u8(b, '"');
    for (const char *q = group; *q; q++) {
        if (*q == '\\' || *q == '"')
            buf_put_u8(b, '\\');
        if (*q == '\n')
            buf_put_str(b, "\\n");
        else
            buf_put_u8(b, (uint8_t)*q);
    }
    buf_put_u8(b, '"');
    buf_printf(b, ",topic=\"%s\",partition=\"%d\"} %" PRId64 "\n", r->topic,
               r->partition,
               p->pass == 0
                   ? r->committed
                   : (r->end > r->committed ? r->end - r->committed : 0));
}

void web_groups_metrics(struct web *w, struct buf *out)
{
    struct web_groups *g = w->groups;
    pthread_mutex_lock(&g->mu);
    refresh(w, g);
    struct prom p = {out, 0};
    buf_printf(out, "# HELP rill_group_committed_offset The group's committed "
                    "offset.\n# TYPE rill_group_committed_offset gauge\n");
    each(w, g, prom_row, &p);
    p.pass = 1;
    buf_printf(out, "# HELP rill_group_lag Records between the group's "
                    "committed offset and the partition's end.\n"
                    "# TYPE rill_group_lag gauge\n");
    each(w, g, prom_row, &p);
    pthread_mutex_unlock(&g->mu);
}

struct json_state {
    struct buf *out;
    const char *only;  /* one group (GET /groups/{g}), or NULL: all */
    const char *group; /* the group being written, or NULL */
    int64_t lag;
    size_t lag_at; /* where its total goes */
};

static void close_group(struct json_state *s)
{
    if (!s->group)
        return;
    buf_printf(s->out, "],\"lag\":%" PRId64 "}", s->lag);
}

static void json_row(void *arg, const char *group, const struct lag_row *r)
{
    struct json_state *s = arg;
    if (s->only && strcmp(s->only, group))
        return;
    if (!s->group || strcmp(s->group, group)) {
        bool first = s->group == NULL;
        close_group(s);
        buf_put_str(s->out, first ? "{\"group\":" : ",{\"group\":");
        web_json_cstr(s->out, group);
        buf_put_str(s->out, ",\"partitions\":[");
        s->group = group;
        s->lag = 0;
    } else {
        buf_put_u8(s->out, ',');
    }
    int64_t lag = r->end > r->committed ? r->end - r->committed : 0;
    s->lag += lag;
    buf_put_str(s->out, "{\"topic\":");
    web_json_cstr(s->out, r->topic);
    buf_printf(s->out,
               ",\"partition\":%d,\"committed\":%" PRId64 ",\"end\":%" PRId64
               ",\"lag\":%" PRId64 "}",
               r->partition, r->committed, r->end, lag);
}

void web_groups_json(struct web *w, struct buf *out)
{
    struct web_groups *g = w->groups;
    buf_put_u8(out, '[');
    pthread_mutex_lock(&g->mu);
    refresh(w, g);
    struct json_state s = {.out = out};
    each(w, g, json_row, &s);
    close_group(&s);
    pthread_mutex_unlock(&g->mu);
    buf_put_u8(out, ']');
}

void web_groups_get(struct web *w, struct http_conn *c)
{
    struct buf b;
    buf_init(&b);
    web_groups_json(w, &b);
    buf_put_u8(&b, '\n');
    http_respond(c, 200, "application/json", b.data, b.len);
    buf_fini(&b);
}

void web_group_get(struct web *w, struct http_conn *c, const char *group)
{
    struct web_groups *g = w->groups;
    struct buf b;
    buf_init(&b);
    pthread_mutex_lock(&g->mu);
    refresh(w, g);
    struct json_state s = {.out = &b, .only = group};
    each(w, g, json_row, &s);
    close_group(&s);
    pthread_mutex_unlock(&g->mu);
    if (!s.group) {
        buf_fini(&b);
        return web_error(c, 404,
                         "no such group (or it has no committed offsets)");
    }
    buf_put_u8(&b, '\n');
    http_respond(c, 200, "application/json", b.data, b.len);
    buf_fini(&b);
}
