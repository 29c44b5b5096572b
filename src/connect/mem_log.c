/* mem_log.c - stream_log.h in memory, within a budget (layer: connect).
 * See mem_log.h.
 */
#include "connect/mem_log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#define DEFAULT_BUDGET (64u << 20)
#define DEFAULT_PART (1u << 20)
/* One read copies at most this much (a record larger than it alone): a
 * reader's buffers are bounded and counted in the budget at open. */
#define READ_BYTES (64u << 10)
#define READ_RECORDS 1024
#define REC_CONTROL 1u
#define REC_KEY 2u
#define REC_VALUE 4u

struct mem_rec {
    size_t pos; /* key at pos, value after it, in the data ring */
    uint32_t klen, vlen;
    int64_t ts;
    unsigned flags;
};

struct mem_part {
    pthread_mutex_t mu;
    uint8_t *data;
    size_t cap, head; /* the next record's bytes go at head */
    struct mem_rec *recs;
    size_t rcap, rfirst, rcount; /* a ring of the records held */
    int64_t start;               /* offset of recs[rfirst] */
};

struct mem_topic {
    char *name;
    int n;
    struct mem_part *parts;
};

struct mem_log {
    struct mem_log_options o;
    pthread_mutex_t mu; /* topics; and the append condition */
    pthread_cond_t cond;
    struct mem_topic **topics;
    int ntopics;
    size_t reserved;
    _Atomic uint64_t seq;
};

void mem_log_create(const struct mem_log_options *o, struct mem_log **out)
{
    struct mem_log *ml = mem_calloc(1, sizeof *ml);
    if (o)
        ml->o = *o;
    if (!ml->o.budget_bytes)
        ml->o.budget_bytes = DEFAULT_BUDGET;
    if (!ml->o.partition_bytes)
        ml->o.partition_bytes = DEFAULT_PART;
    pthread_mutex_init(&ml->mu, NULL);
    pthread_cond_init(&ml->cond, NULL);
    *out = ml;
}

static void topic_free(struct mem_topic *t)
{
    for (int i = 0; i < t->n; i++) {
        pthread_mutex_destroy(&t->parts[i].mu);
        mem_free(t->parts[i].data);
        mem_free(t->parts[i].recs);
    }
    mem_free(t->parts);
    mem_free(t->name);
    mem_free(t);
}

void mem_log_destroy(struct mem_log *ml)
{
    if (!ml)
        return;
    for (int i = 0; i < ml->ntopics; i++)
        topic_free(ml->topics[i]);
    mem_free(ml->topics);
    pthread_mutex_destroy(&ml->mu);
    pthread_cond_destroy(&ml->cond);
    mem_free(ml);
}

size_t mem_log_reserved(const struct mem_log *ml)
{
    return ml->reserved;
}

size_t mem_log_budget(const struct mem_log *ml)
{
    return ml->o.budget_bytes;
}

/* Records a ring holds at most: one per 64 data bytes (smaller records
 * are dropped by count, not by bytes). */
static size_t rec_slots(size_t bytes)
{
    return bytes / 64 + 16;
}

/* Bytes one partition takes: its data ring and its record ring. */
static size_t part_cost(const struct mem_log *ml)
{
    return ml->o.partition_bytes +
           rec_slots(ml->o.partition_bytes) * sizeof(struct mem_rec);
}

/* Holds ml->mu. */
static struct mem_topic *find(struct mem_log *ml, const char *name)
{
    for (int i = 0; i < ml->ntopics; i++)
        if (!strcmp(ml->topics[i]->name, name))
            return ml->topics[i];
    return NULL;
}

/* ---- a partition's ring ---- */

/* Drops the oldest record. Holds p->mu. */
static void evict(struct mem_part *p)
{
    p->rfirst = (p->rfirst + 1) % p->rcap;
    p->rcount--;
    p->start++;
    if (!p->rcount)
        p->head = 0;
}

/* Appends one record, dropping the oldest ones to make room: 0 or
 * ERR_TOO_LARGE (bigger than the ring). Holds p->mu. */
static int part_append(struct mem_part *p, const void *key, size_t klen,
                       bool has_key, const void *value, size_t vlen,
                       bool has_value, int64_t ts, bool control)
{
    size_t s = klen + vlen;
    if (s > p->cap || klen > UINT32_MAX || vlen > UINT32_MAX)
        return ERR_TOO_LARGE;
    if (p->rcount == p->rcap)
        evict(p);
    for (;;) {
        if (!p->rcount) {
            p->head = 0;
            break;
        }
        size_t tail = p->recs[p->rfirst].pos;
        if (p->head > tail || (p->head == tail && p->rcount == 0)) {
            /* free: [head, cap) and [0, tail) */
            if (p->cap - p->head >= s)
                break;
            if (tail >= s) {
                p->head = 0;
                break;
            }
        } else if (p->head < tail && tail - p->head >= s) {
            break;
        }
        evict(p);
    }
    struct mem_rec *r = &p->recs[(p->rfirst + p->rcount) % p->rcap];
    r->pos = p->head;
    r->klen = (uint32_t)klen;
    r->vlen = (uint32_t)vlen;
    r->ts = ts;
    r->flags = (control ? REC_CONTROL : 0) | (has_key ? REC_KEY : 0) |
               (has_value ? REC_VALUE : 0);
    if (klen)
        memcpy(p->data + p->head, key, klen);
    if (vlen)
        memcpy(p->data + p->head + klen, value, vlen);
    p->head += s;
    p->rcount++;
    return 0;
}

static void wake(struct mem_log *ml)
{
    atomic_fetch_add(&ml->seq, 1);
    pthread_mutex_lock(&ml->mu);
    pthread_cond_broadcast(&ml->cond);
    pthread_mutex_unlock(&ml->mu);
}

/* ---- log ops: topics ---- */

static int log_partitions(void *ctx, const char *topic)
{
    struct mem_log *ml = ctx;
    pthread_mutex_lock(&ml->mu);
    struct mem_topic *t = find(ml, topic);
    int n = t ? t->n : ERR_NOT_FOUND;
    pthread_mutex_unlock(&ml->mu);
    return n;
}

static int log_create(void *ctx, const char *topic, int partitions)
{
    struct mem_log *ml = ctx;
    if (!topic || !*topic || partitions > 100000)
        return ERR_INVALID;
    if (partitions <= 0)
        partitions = 1;
    pthread_mutex_lock(&ml->mu);
    int rc = 0;
    size_t cost = part_cost(ml) * (size_t)partitions;
    if (find(ml, topic)) {
        rc = ERR_EXISTS;
    } else if (ml->reserved + cost > ml->o.budget_bytes) {
        rc = ERR_TOO_LARGE;
    } else {
        struct mem_topic *t = mem_calloc(1, sizeof *t);
        t->name = mem_strdup(topic);
        t->n = partitions;
        t->parts = mem_calloc((size_t)partitions, sizeof *t->parts);
        for (int i = 0; i < partitions; i++) {
            struct mem_part *p = &t->parts[i];
            pthread_mutex_init(&p->mu, NULL);
            p->cap = ml->o.partition_bytes;
            p->data = mem_alloc(p->cap);
            p->rcap = rec_slots(p->cap);
            p->recs = mem_calloc(p->rcap, sizeof *p->recs);
        }
        ml->topics = mem_realloc(ml->topics, (size_t)(ml->ntopics + 1) *
                                                 sizeof *ml->topics);
        ml->topics[ml->ntopics++] = t;
        ml->reserved += cost;
    }
    pthread_mutex_unlock(&ml->mu);
    return rc;
}

static int log_delete(void *ctx, const char *topic)
{
    struct mem_log *ml = ctx;
    pthread_mutex_lock(&ml->mu);
    int rc = ERR_NOT_FOUND;
    for (int i = 0; i < ml->ntopics; i++)
        if (!strcmp(ml->topics[i]->name, topic)) {
            ml->reserved -= part_cost(ml) * (size_t)ml->topics[i]->n;
            topic_free(ml->topics[i]);
            ml->topics[i] = ml->topics[--ml->ntopics];
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&ml->mu);
    return rc;
}

static int log_topics(void *ctx, char ***names, size_t *n)
{
    struct mem_log *ml = ctx;
    pthread_mutex_lock(&ml->mu);
    char **v = mem_calloc((size_t)ml->ntopics + 1, sizeof *v);
    for (int i = 0; i < ml->ntopics; i++)
        v[i] = mem_strdup(ml->topics[i]->name);
    size_t k = (size_t)ml->ntopics;
    pthread_mutex_unlock(&ml->mu);
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *names = v;
    *n = k;
    return 0;
}

/* ---- readers ---- */

struct mem_reader {
    struct stream_reader base;
    struct stream_records recs;
    struct mem_log *ml;
    struct mem_part *p;
    struct buf bytes;         /* the chunk's keys and values */
    struct stream_record *at; /* the chunk's records (pointers into bytes) */
    size_t n, cap, next;
};

static int records_next_many(struct stream_records *it,
                             struct stream_record *out, int max)
{
    struct mem_reader *r =
        (struct mem_reader *)((char *)it - offsetof(struct mem_reader, recs));
    int k = 0;
    while (k < max && r->next < r->n)
        out[k++] = r->at[r->next++];
    return k;
}

static const struct stream_records_ops records_ops = {records_next_many};

static int reader_read(struct stream_reader *base, int64_t offset,
                       size_t max_bytes, struct stream_chunk *out)
{
    struct mem_reader *r = (struct mem_reader *)base;
    struct mem_part *p = r->p;
    r->n = r->next = 0;
    buf_reset(&r->bytes);
    pthread_mutex_lock(&p->mu);
    int64_t end = p->start + (int64_t)p->rcount;
    if (offset < p->start) {
        pthread_mutex_unlock(&p->mu);
        return ERR_RANGE;
    }
    if (offset >= end) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    int64_t maxts = INT64_MIN;
    size_t taken = 0;
    for (int64_t o = offset; o < end; o++) {
        const struct mem_rec *m =
            &p->recs[(p->rfirst + (size_t)(o - p->start)) % p->rcap];
        size_t s = (size_t)m->klen + m->vlen;
        if (r->n && (max_bytes <= 1 || taken + s > max_bytes ||
                     taken + s > READ_BYTES || r->n == READ_RECORDS))
            break;
        /* Offsets now, pointers once the buffer stops moving. */
        struct stream_record *sr = &r->at[r->n++];
        memset(sr, 0, sizeof *sr);
        sr->key = (const uint8_t *)(uintptr_t)r->bytes.len;
        buf_put(&r->bytes, p->data + m->pos, s);
        sr->key_len = m->klen;
        sr->value_len = m->vlen;
        sr->key_null = !(m->flags & REC_KEY);
        sr->value_null = !(m->flags & REC_VALUE);
        sr->control = m->flags & REC_CONTROL;
        sr->offset = o;
        sr->timestamp = m->ts;
        if (m->ts > maxts)
            maxts = m->ts;
        taken += s;
    }
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < r->n; i++) {
        size_t at = (size_t)(uintptr_t)r->at[i].key;
        r->at[i].key = r->bytes.data + at;
        r->at[i].value = r->bytes.data + at + r->at[i].key_len;
    }
    out->records = &r->recs;
    out->next_offset = offset + (int64_t)r->n;
    out->max_timestamp = maxts;
    return 1;
}

static void reader_release(struct stream_reader *base)
{
    struct mem_reader *r = (struct mem_reader *)base;
    r->n = r->next = 0;
}

static int64_t reader_start(struct stream_reader *base)
{
    struct mem_part *p = ((struct mem_reader *)base)->p;
    pthread_mutex_lock(&p->mu);
    int64_t s = p->start;
    pthread_mutex_unlock(&p->mu);
    return s;
}

static int64_t reader_end(struct stream_reader *base)
{
    struct mem_part *p = ((struct mem_reader *)base)->p;
    pthread_mutex_lock(&p->mu);
    int64_t e = p->start + (int64_t)p->rcount;
    pthread_mutex_unlock(&p->mu);
    return e;
}

static int reader_offset_for_time(struct stream_reader *base, int64_t ts,
                                  int64_t *offset)
{
    struct mem_part *p = ((struct mem_reader *)base)->p;
    pthread_mutex_lock(&p->mu);
    int64_t o = p->start, end = p->start + (int64_t)p->rcount;
    while (o < end &&
           p->recs[(p->rfirst + (size_t)(o - p->start)) % p->rcap].ts < ts)
        o++;
    pthread_mutex_unlock(&p->mu);
    *offset = o;
    return 0;
}

/* What a reader takes from the budget. */
static size_t reader_cost(void)
{
    return sizeof(struct mem_reader) + READ_BYTES +
           READ_RECORDS * sizeof(struct stream_record);
}

static void reader_close(struct stream_reader *base)
{
    struct mem_reader *r = (struct mem_reader *)base;
    pthread_mutex_lock(&r->ml->mu);
    r->ml->reserved -= reader_cost();
    pthread_mutex_unlock(&r->ml->mu);
    buf_fini(&r->bytes);
    mem_free(r->at);
    mem_free(r);
}

static const struct stream_reader_ops reader_ops = {
    reader_read, reader_release,         reader_start,
    reader_end,  reader_offset_for_time, reader_close,
    NULL};

static int log_reader(void *ctx, const char *topic, int partition,
                      unsigned flags, struct stream_reader **out)
{
    struct mem_log *ml = ctx;
    (void)flags; /* nothing is durable here, nothing needs a check */
    pthread_mutex_lock(&ml->mu);
    struct mem_topic *t = find(ml, topic);
    struct mem_part *p =
        t && partition >= 0 && partition < t->n ? &t->parts[partition] : NULL;
    int rc = !p                                                  ? ERR_NOT_FOUND
             : ml->reserved + reader_cost() > ml->o.budget_bytes ? ERR_TOO_LARGE
                                                                 : 0;
    if (!rc)
        ml->reserved += reader_cost();
    pthread_mutex_unlock(&ml->mu);
    if (rc)
        return rc;
    struct mem_reader *r = mem_calloc(1, sizeof *r);
    r->cap = READ_RECORDS;
    r->at = mem_alloc(r->cap * sizeof *r->at);
    r->base.ops = &reader_ops;
    r->recs.ops = &records_ops;
    r->ml = ml;
    r->p = p;
    buf_init(&r->bytes);
    *out = &r->base;
    return 0;
}

/* ---- writers ---- */

struct mem_writer {
    struct stream_writer base;
    struct mem_log *ml;
    struct mem_topic *t;
    bool appended; /* since the last flush: wake readers then */
};

static int writer_partitions(struct stream_writer *base)
{
    return ((struct mem_writer *)base)->t->n;
}

static int writer_add(struct stream_writer *base, int partition,
                      const void *key, size_t klen, bool has_key,
                      const void *value, size_t vlen, int64_t ts)
{
    struct mem_writer *w = (struct mem_writer *)base;
    if (partition < 0 || partition >= w->t->n)
        return ERR_INVALID;
    struct mem_part *p = &w->t->parts[partition];
    pthread_mutex_lock(&p->mu);
    int rc = part_append(p, key, has_key ? klen : 0, has_key, value, vlen,
                         value != NULL, ts, false);
    pthread_mutex_unlock(&p->mu);
    w->appended |= rc == 0;
    return rc;
}

static int writer_flush(struct stream_writer *base, uint64_t *lost)
{
    struct mem_writer *w = (struct mem_writer *)base;
    (void)lost;
    if (w->appended) {
        w->appended = false;
        wake(w->ml);
    }
    return 0;
}

static int writer_marker(struct stream_writer *base, const void *value,
                         size_t n)
{
    struct mem_writer *w = (struct mem_writer *)base;
    for (int i = 0; i < w->t->n; i++) {
        struct mem_part *p = &w->t->parts[i];
        pthread_mutex_lock(&p->mu);
        int rc = part_append(p, NULL, 0, false, value, n, true, 0, true);
        pthread_mutex_unlock(&p->mu);
        if (rc)
            return rc;
    }
    w->appended = true;
    return writer_flush(base, NULL);
}

static void writer_close(struct stream_writer *base)
{
    writer_flush(base, NULL);
    mem_free(base);
}

static const struct stream_writer_ops writer_ops = {writer_partitions,
                                                    writer_add,
                                                    writer_flush,
                                                    writer_marker,
                                                    writer_close,
                                                    NULL,
                                                    NULL,
                                                    NULL,
                                                    NULL};

static int log_writer(void *ctx, const char *topic, bool create,
                      struct stream_writer **out)
{
    struct mem_log *ml = ctx;
    if (create) {
        int rc = log_create(ctx, topic, 1);
        if (rc && rc != ERR_EXISTS)
            return rc;
    }
    pthread_mutex_lock(&ml->mu);
    struct mem_topic *t = find(ml, topic);
    pthread_mutex_unlock(&ml->mu);
    if (!t)
        return ERR_NOT_FOUND;
    struct mem_writer *w = mem_calloc(1, sizeof *w);
    w->base.ops = &writer_ops;
    w->ml = ml;
    w->t = t;
    *out = &w->base;
    return 0;
}

/* ---- wake-ups ---- */

static uint64_t log_seq(void *ctx)
{
    return atomic_load(&((struct mem_log *)ctx)->seq);
}

static void log_wait(void *ctx, uint64_t seq, int64_t timeout_ms)
{
    struct mem_log *ml = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&ml->mu);
    while (atomic_load(&ml->seq) == seq &&
           pthread_cond_timedwait(&ml->cond, &ml->mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&ml->mu);
}

static const char *log_state_dir(void *ctx)
{
    (void)ctx;
    return NULL;
}

static const struct stream_log_ops log_ops = {
    log_partitions, log_create, log_delete,    log_reader, log_writer,
    log_seq,        log_wait,   log_state_dir, log_topics};

void mem_log_stream_log(struct mem_log *ml, struct stream_log *out)
{
    out->ops = &log_ops;
    out->ctx = ml;
}
