/* broker_producer.c - sequence windows and producer id blocks
 * (layer: broker).
 *
 * Rules, as Kafka's ProducerStateManager applies them to one partition:
 *   1. No state for the pid: accept any sequence (the state may have been
 *      lost to retention, or the producer is new here).
 *   2. epoch < known epoch: fenced.
 *   3. epoch > known epoch: the batch must start at sequence 0; the window
 *      restarts.
 *   4. Same epoch: a batch equal to a remembered one (first and last
 *      sequence) is a duplicate; otherwise firstSeq must follow the newest
 *      remembered lastSeq (wrapping at INT32_MAX to 0).
 * The id counter file holds one decimal number: the first id of the next
 * block not yet handed out.
 */
#include "broker/broker_producer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"

#define PID_BLOCK 1000

struct pstate {
    int16_t epoch;
    int n;    /* batches remembered, <= BROKER_PRODUCER_WINDOW */
    int head; /* index of the newest */
    struct broker_producer_batch b[BROKER_PRODUCER_WINDOW];
};

void broker_producer_map_init(struct broker_producer_map *m)
{
    hashmap_init(&m->by_pid);
}

void broker_producer_map_fini(struct broker_producer_map *m)
{
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&m->by_pid, &i, &e);)
        mem_free(e->value);
    hashmap_fini(&m->by_pid);
}

enum broker_seq_result broker_producer_check(struct broker_producer_map *m,
                                             int64_t pid, int16_t epoch,
                                             int32_t first_seq,
                                             int32_t last_seq,
                                             struct broker_producer_batch *dup)
{
    if (pid < 0)
        return BROKER_SEQ_APPEND;
    struct pstate *s = hashmap_get(&m->by_pid, &pid, sizeof(pid));
    if (!s || s->n == 0)
        return BROKER_SEQ_APPEND;
    if (epoch < s->epoch)
        return BROKER_SEQ_FENCED;
    if (epoch > s->epoch)
        return first_seq == 0 ? BROKER_SEQ_APPEND : BROKER_SEQ_OUT_OF_ORDER;
    for (int i = 0; i < s->n; i++) {
        const struct broker_producer_batch *b = &s->b[i];
        if (b->first_seq == first_seq && b->last_seq == last_seq) {
            *dup = *b;
            return BROKER_SEQ_DUPLICATE;
        }
    }
    int32_t last = s->b[s->head].last_seq;
    int32_t want = last == INT32_MAX ? 0 : last + 1;
    return first_seq == want ? BROKER_SEQ_APPEND : BROKER_SEQ_OUT_OF_ORDER;
}

void broker_producer_record(struct broker_producer_map *m, int64_t pid,
                            int16_t epoch, int32_t first_seq, int32_t last_seq,
                            int64_t base_offset, int64_t last_offset)
{
    if (pid < 0)
        return;
    struct pstate *s = hashmap_get(&m->by_pid, &pid, sizeof(pid));
    if (!s) {
        s = mem_calloc(1, sizeof(*s));
        hashmap_put(&m->by_pid, &pid, sizeof(pid), s);
    }
    if (s->n == 0 || epoch != s->epoch) {
        s->epoch = epoch;
        s->n = 0;
        s->head = BROKER_PRODUCER_WINDOW - 1;
    }
    s->head = (s->head + 1) % BROKER_PRODUCER_WINDOW;
    if (s->n < BROKER_PRODUCER_WINDOW)
        s->n++;
    struct broker_producer_batch *b = &s->b[s->head];
    b->first_seq = first_seq;
    b->last_seq = last_seq;
    b->base_offset = base_offset;
    b->last_offset = last_offset;
}

/* --- producer ids ----------------------------------------------------------
 */

static int persist(struct broker_pid_alloc *a, int64_t block_end)
{
    char text[32];
    int n = snprintf(text, sizeof(text), "%lld\n", (long long)block_end);
    return os_write_file_atomic(a->path, text, (size_t)n);
}

int broker_pid_alloc_open(struct broker_pid_alloc *a, const char *data_dir)
{
    snprintf(a->path, sizeof(a->path), "%s/producer-id-block", data_dir);
    a->next = a->block_end = 1000; /* ids below 1000 are never handed out */
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(a->path, 64, &text, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    bool ok = end != text && v >= 0;
    mem_free(text);
    if (!ok)
        return ERR_CORRUPT;
    a->next = a->block_end = v;
    return 0;
}

int broker_pid_alloc_next(struct broker_pid_alloc *a, int64_t *out)
{
    if (a->next >= a->block_end) {
        int rc = persist(a, a->block_end + PID_BLOCK);
        if (rc < 0)
            return rc;
        a->block_end += PID_BLOCK;
    }
    *out = a->next++;
    return 0;
}

bool broker_producer_next(const struct broker_producer_map *m, size_t *iter,
                          int64_t *pid, int16_t *epoch, int32_t *last_seq,
                          int64_t *last_offset)
{
    struct hashmap_entry *e;
    if (!hashmap_next(&m->by_pid, iter, &e))
        return false;
    const struct pstate *s = e->value;
    memcpy(pid, e->key, sizeof(*pid));
    *epoch = s->epoch;
    *last_seq = s->n ? s->b[s->head].last_seq : -1;
    *last_offset = s->n ? s->b[s->head].last_offset : -1;
    return true;
}
