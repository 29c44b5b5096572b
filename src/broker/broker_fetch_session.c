/* broker_fetch_session.c - incremental fetch sessions (KIP-227) (layer:
 * broker). See broker_fetch_session.h for the protocol rules.
 *
 * A session is an array of partition entries (pointers, so the order can
 * rotate) plus a map from "topic\0partition" to the entry; sessions are
 * found by id in a second map. Invariants:
 *   1. Every entry is in its session's array and map exactly once.
 *   2. A session's next_epoch is the epoch its next incremental request
 *      must carry (1 after creation, wrapping to 1 after INT32_MAX).
 */
#include "broker/broker_fetch_session.h"

#include <string.h>
#include <sys/random.h>

#include "base/diag.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "log/partition.h"

#define ERR_FETCH_SESSION_ID_NOT_FOUND 70
#define ERR_INVALID_FETCH_SESSION_EPOCH 71

struct fsess_ent {
    char *key; /* name '\0' partition (4 bytes) */
    size_t keylen;
    size_t namelen;
    struct kafka_uuid id;
    int32_t partition;
    int64_t fetch_offset;
    int32_t max_bytes;
    bool answered; /* the cached values below are set */
    bool to_tail;  /* returned records in the answer being built */
    int64_t hw, lso, log_start;
};

struct fsess {
    int32_t id;
    int32_t next_epoch;
    int64_t last_used_ms;
    struct fsess_ent **ents;
    size_t n, cap;
    struct hashmap by_key;
};

struct fetch_sessions {
    struct hashmap by_id; /* int32 id -> struct fsess */
    uint32_t next_id;
};

void fsess_create(struct fetch_sessions **out)
{
    struct fetch_sessions *fs = mem_calloc(1, sizeof(*fs));
    hashmap_init(&fs->by_id);
    if (getrandom(&fs->next_id, sizeof fs->next_id, 0) != sizeof fs->next_id)
        fs->next_id = 1;
    *out = fs;
}

static void sess_free(struct fsess *s)
{
    for (size_t i = 0; i < s->n; i++) {
        mem_free(s->ents[i]->key);
        mem_free(s->ents[i]);
    }
    mem_free(s->ents);
    hashmap_fini(&s->by_key);
    mem_free(s);
}

void fsess_free(struct fetch_sessions *fs)
{
    if (!fs)
        return;
    struct hashmap_entry *e;
    for (size_t it = 0; hashmap_next(&fs->by_id, &it, &e);)
        sess_free(e->value);
    hashmap_fini(&fs->by_id);
    mem_free(fs);
}

static struct fsess *sess_get(struct fetch_sessions *fs, int32_t id)
{
    return hashmap_get(&fs->by_id, &id, sizeof id);
}

static void sess_close(struct fetch_sessions *fs, int32_t id)
{
    struct fsess *s = hashmap_remove(&fs->by_id, &id, sizeof id);
    if (s)
        sess_free(s);
}

/* key = name '\0' partition */
static size_t make_key(char *buf, struct slice name, int32_t partition)
{
    memcpy(buf, name.ptr ? name.ptr : (const uint8_t *)"", name.len);
    buf[name.len] = '\0';
    memcpy(buf + name.len + 1, &partition, sizeof partition);
    return name.len + 1 + sizeof partition;
}

static void sess_upsert(struct fsess *s, struct slice name,
                        struct kafka_uuid id,
                        const struct kafka_fetch_partition *p)
{
    char key[LOGDIR_TOPIC_NAME_MAX + 1 + sizeof(int32_t)];
    if (name.len + 1 + sizeof(int32_t) > sizeof key)
        return; /* longer than any topic name: never found anyway */
    size_t kl = make_key(key, name, p->partition_index);
    struct fsess_ent *e = hashmap_get(&s->by_key, key, kl);
    if (!e) {
        e = mem_calloc(1, sizeof(*e));
        e->key = mem_alloc(kl);
        memcpy(e->key, key, kl);
        e->keylen = kl;
        e->namelen = name.len;
        e->id = id;
        e->partition = p->partition_index;
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 16;
            s->ents = mem_realloc(s->ents, s->cap * sizeof(*s->ents));
        }
        s->ents[s->n++] = e;
        hashmap_put(&s->by_key, key, kl, e);
    }
    e->fetch_offset = p->fetch_offset;
    e->max_bytes = p->partition_max_bytes;
}

static void sess_forget(struct fsess *s, struct slice name,
                        const struct kafka_uuid *id, int32_t partition)
{
    for (size_t i = 0; i < s->n; i++) {
        struct fsess_ent *e = s->ents[i];
        bool match = e->partition == partition &&
                     (id ? memcmp(e->id.b, id->b, sizeof id->b) == 0
                         : e->namelen == name.len &&
                               memcmp(e->key, name.ptr, name.len) == 0);
        if (!match)
            continue;
        hashmap_remove(&s->by_key, e->key, e->keylen);
        mem_free(e->key);
        mem_free(e);
        memmove(&s->ents[i], &s->ents[i + 1],
                (s->n - i - 1) * sizeof(*s->ents));
        s->n--;
        return;
    }
}

static void sess_apply(struct fsess *s, const struct kafka_fetch_request *rq,
                       int16_t version)
{
    for (size_t t = 0; t < rq->ntopics; t++)
        for (size_t j = 0; j < rq->topics[t].npartitions; j++)
            sess_upsert(s, rq->topics[t].name, rq->topics[t].topic_id,
                        &rq->topics[t].partitions[j]);
    for (size_t t = 0; t < rq->nforgotten; t++)
        for (size_t j = 0; j < rq->forgotten[t].npartitions; j++)
            sess_forget(s, rq->forgotten[t].name,
                        version >= 13 && rq->forgotten_ids
                            ? &rq->forgotten_ids[t]
                            : NULL,
                        rq->forgotten[t].partitions[j]);
}

/* A new session, or NULL when the cache is full of sessions used within
 * FSESS_IDLE_MS. */
static struct fsess *sess_new(struct fetch_sessions *fs, int64_t now)
{
    if (hashmap_count(&fs->by_id) >= FSESS_MAX) {
        struct fsess *lru = NULL;
        struct hashmap_entry *e;
        for (size_t it = 0; hashmap_next(&fs->by_id, &it, &e);) {
            struct fsess *s = e->value;
            if (!lru || s->last_used_ms < lru->last_used_ms)
                lru = s;
        }
        if (!lru || now - lru->last_used_ms < FSESS_IDLE_MS)
            return NULL;
        diag_debug("fetch session %d evicted (idle)", lru->id);
        sess_close(fs, lru->id);
    }
    struct fsess *s = mem_calloc(1, sizeof(*s));
    do {
        s->id = (int32_t)(fs->next_id++ & 0x7fffffff);
    } while (s->id == 0 || sess_get(fs, s->id));
    s->next_epoch = 1;
    s->last_used_ms = now;
    hashmap_init(&s->by_key);
    hashmap_put(&fs->by_id, &s->id, sizeof s->id, s);
    return s;
}

struct fsess_result fsess_begin(struct fetch_sessions *fs,
                                const struct kafka_fetch_request *rq,
                                int16_t version, int64_t now_ms)
{
    struct fsess_result res = {0, 0, false, false};
    if (version < 7)
        return res;
    int32_t id = rq->session_id, epoch = rq->session_epoch;
    if (epoch == -1) { /* FINAL_EPOCH: close, answer sessionless */
        if (id != 0)
            sess_close(fs, id);
        return res;
    }
    if (epoch == 0) { /* INITIAL_EPOCH: a new session (full) */
        if (id != 0)
            sess_close(fs, id);
        struct fsess *s = sess_new(fs, now_ms);
        if (!s)
            return res;
        sess_apply(s, rq, version);
        res.session_id = s->id;
        res.from_session = true;
        return res;
    }
    struct fsess *s = id != 0 ? sess_get(fs, id) : NULL;
    if (!s) {
        res.error = ERR_FETCH_SESSION_ID_NOT_FOUND;
        return res;
    }
    if (epoch != s->next_epoch) {
        res.error = ERR_INVALID_FETCH_SESSION_EPOCH;
        return res;
    }
    s->next_epoch = epoch == INT32_MAX ? 1 : epoch + 1;
    s->last_used_ms = now_ms;
    sess_apply(s, rq, version);
    res.session_id = s->id;
    res.from_session = true;
    res.incremental = true;
    return res;
}

size_t fsess_parts(struct fetch_sessions *fs, int32_t id, struct arena *a,
                   struct fsess_part **out)
{
    struct fsess *s = sess_get(fs, id);
    size_t n = s ? s->n : 0;
    struct fsess_part *ps = arena_calloc(a, (n ? n : 1) * sizeof(*ps));
    for (size_t i = 0; i < n; i++) {
        const struct fsess_ent *e = s->ents[i];
        ps[i].name = slice_make(e->key, e->namelen);
        ps[i].id = e->id;
        ps[i].partition = e->partition;
        ps[i].fetch_offset = e->fetch_offset;
        ps[i].max_bytes = e->max_bytes;
    }
    *out = ps;
    return n;
}

void fsess_filter(struct fetch_sessions *fs, int32_t id, bool incremental,
                  struct kafka_fetch_response *resp,
                  struct kafka_fetch_partition_response *prs,
                  struct partition_slice *slices, size_t *flat_base,
                  size_t nparts)
{
    struct fsess *s = sess_get(fs, id);
    if (!s || s->n != nparts)
        return;
    /* The answer's flat order is the session's order (fsess_parts). */
    size_t k = 0;
    for (size_t t = 0; t < resp->ntopics; t++)
        for (size_t j = 0; j < resp->topics[t].npartitions; j++, k++)
            if (s->ents[k]->partition != prs[k].partition_index ||
                s->ents[k]->namelen != resp->topics[t].name.len)
                return;
    size_t nk = 0, nt = 0, moved = 0;
    k = 0;
    for (size_t t = 0; t < resp->ntopics; t++) {
        struct kafka_fetch_topic_response tr = resp->topics[t];
        size_t first = nk;
        for (size_t j = 0; j < tr.npartitions; j++, k++) {
            struct fsess_ent *e = s->ents[k];
            struct kafka_fetch_partition_response *p = &prs[k];
            bool has_records = p->records_splice ? p->records_splice_len > 0
                                                 : p->records.len > 0;
            bool changed = !e->answered || p->error_code != 0 || has_records ||
                           p->high_watermark != e->hw ||
                           p->last_stable_offset != e->lso ||
                           p->log_start_offset != e->log_start;
            e->answered = true;
            e->hw = p->high_watermark;
            e->lso = p->last_stable_offset;
            e->log_start = p->log_start_offset;
            e->to_tail = has_records;
            moved += has_records;
            if (incremental && !changed)
                continue; /* never holds a slice: no records */
            if (nk != k) {
                prs[nk] = prs[k];
                slices[nk] = slices[k];
                memset(&slices[k], 0, sizeof(slices[k]));
            }
            nk++;
        }
        if (nk == first)
            continue;
        tr.partitions = &prs[first];
        tr.npartitions = nk - first;
        resp->topics[nt] = tr;
        flat_base[nt] = first;
        nt++;
    }
    resp->ntopics = nt;
    /* Fairness: partitions that returned records go to the end. */
    if (moved > 0 && moved < s->n) {
        struct fsess_ent **tail = mem_alloc(moved * sizeof(*tail));
        size_t w = 0, m = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (s->ents[i]->to_tail)
                tail[m++] = s->ents[i];
            else
                s->ents[w++] = s->ents[i];
        }
        memcpy(&s->ents[w], tail, moved * sizeof(*tail));
        mem_free(tail);
    }
}
