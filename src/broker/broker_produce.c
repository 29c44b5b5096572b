/* broker_produce.c - the Produce handler (v3-7): validation, idempotence,
 * append, and acks (layer: broker).
 *
 * Per partition, in Kafka's order: exactly one RecordBatch v2 (else
 * INVALID_RECORD), size <= message.max.bytes (MESSAGE_TOO_LARGE), the
 * transaction checks for a transactional batch (txn_coord_produce_check:
 * 47 / 48 / 49), the idempotence window (duplicate -> original offset, gap
 * -> 45, old epoch -> 47), then partition_append, which checks the CRC
 * (CORRUPT_MESSAGE) and rewrites baseOffset in the request buffer, which is
 * ours (the connection's read buffer), so the batch is written without a copy.
 * acks=0: no answer. acks=1: answered now. acks=-1 (or
 * rill.fsync.every.ack): the answer is kept (topic names copied) until the
 * flusher reports every appended offset durable; a failed fsync turns that
 * partition's answer into KAFKA_STORAGE_ERROR.
 */
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_int.h"
#include "broker/broker_log.h"
#include "broker/broker_validate.h"
#include "broker/txn_coord.h"
#include "broker/txn_part.h"
#include "kafka/kafka_proto.h"
#include "log/partition.h"
#include "log/record_batch.h"

/* One partition's outcome, kept for a deferred answer. */
struct pres {
    int32_t topic; /* index into the names */
    int32_t partition;
    int16_t error;
    int64_t base_offset;
    int64_t log_start;
    const char *why;      /* static: the refusal's reason, or NULL */
    int32_t record_index; /* KIP-467: the record refused, or -1 */
};

struct produce_wait {
    struct broker *b;
    struct broker_pending *pending;
    int16_t version;
    int remaining;
    size_t ntopics, nparts;
    struct slice *names; /* point into `text` */
    size_t *topic_nparts;
    struct pres *res;
    struct broker_durable_wait *waits; /* nparts entries, unused ones idle */
    bool *waiting;
    char *text;
    struct loop_timer timeout; /* the request's timeout_ms */
};

/* Whether every record of the (validated) batch has a key. */
/* Whether every record has a key; else *keyless = the index of the first
 * without one (-1 when the records do not walk). */
static bool keys_present(const uint8_t *p, size_t n, struct buf *scratch,
                         int32_t *keyless)
{
    struct record_iter it;
    struct record rec;
    *keyless = -1;
    if (record_iter_init(&it, p, n, scratch) < 0)
        return false;
    int rc;
    for (int32_t i = 0; (rc = record_iter_next(&it, &rec)) == 1; i++)
        if (rec.key_null) {
            *keyless = i;
            return false;
        }
    return rc == 0;
}

static int16_t error_for(int rc)
{
    switch (rc) {
    case ERR_CORRUPT:
        return KAFKA_ERR_CORRUPT_MESSAGE;
    case ERR_TOO_LARGE:
        return KAFKA_ERR_MESSAGE_TOO_LARGE;
    case ERR_INVALID:
        return KAFKA_ERR_INVALID_RECORD;
    case ERR_CLOSED:
        return KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    default:
        return KAFKA_ERR_KAFKA_STORAGE_ERROR;
    }
}

/* Appends one partition's records; fills the outcome; returns the offset
 * that must become durable for this partition (end offset), or -1. */
static int64_t produce_partition(struct broker *b, struct arena *a,
                                 struct slice topic, struct slice txn_id,
                                 const struct kafka_produce_partition *pp,
                                 struct kafka_produce_partition_response *pr)
{
    pr->partition_index = pp->partition_index;
    pr->base_offset = -1;
    pr->log_append_time_ms = -1;
    pr->log_start_offset = -1;
    if (!broker_topic_client_writable(b, topic)) {
        /* Internal topics are written by rill only (Kafka: 17). */
        pr->error_code = KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
        return -1;
    }
    int16_t err = 0;
    struct broker_part *bp =
        broker_part_find(b, topic, pp->partition_index, true, &err);
    if (!bp) {
        pr->error_code = err;
        return -1;
    }
    pr->log_start_offset = partition_log_start_offset(bp->p);
    const uint8_t *p = pp->records.ptr;
    size_t n = pp->records.len;
    struct record_batch_header h;
    int rc = p ? record_batch_header_decode(p, n, &h) : ERR_INVALID;
    if (rc == ERR_AGAIN) {
        pr->error_code = KAFKA_ERR_CORRUPT_MESSAGE; /* truncated batch */
        return -1;
    }
    if (rc < 0 || record_batch_size(&h) != n ||
        record_batch_attr_control(h.attributes) ||
        (int64_t)h.last_offset_delta + 1 != h.record_count ||
        h.record_count <= 0 || (h.producer_id >= 0 && h.base_sequence < 0)) {
        /* Not exactly one valid magic-2 batch. */
        pr->error_code = KAFKA_ERR_INVALID_RECORD;
        return -1;
    }
    if ((int64_t)n > b->cfg.message_max_bytes) {
        pr->error_code = KAFKA_ERR_MESSAGE_TOO_LARGE;
        return -1;
    }
    /* The records themselves, before anything is stored (the CRC alone
     * lets a producer's broken records through to every consumer). */
    const char *why = NULL;
    int32_t bad_index = -1;
    rc = broker_validate_batch_at(p, n, (size_t)b->cfg.message_max_bytes,
                                  broker_log_scratch(b), &why, &bad_index);
    if (rc < 0) {
        b->stats.bad_batches++;
        pr->error_code = rc == ERR_CORRUPT ? KAFKA_ERR_CORRUPT_MESSAGE
                                           : KAFKA_ERR_INVALID_RECORD;
        /* v8+ (KIP-467): the reason, and which record when one is to
         * blame (Kafka's LogValidator names the record the same way). */
        pr->error_message = slice_make(why, strlen(why));
        if (bad_index >= 0) {
            pr->record_errors = arena_alloc(a, sizeof(*pr->record_errors));
            pr->record_errors[0].batch_index = bad_index;
            pr->record_errors[0].message = pr->error_message;
            pr->nrecord_errors = 1;
        }
        /* One line a second at most: a client looping on a bad batch
         * must not flood the log. */
        static int64_t last_ms;
        int64_t now = loop_now_ms(b->loop);
        if (now - last_ms >= 1000) {
            last_ms = now;
            diag_warn("broker: produce to %.*s-%d refused: %s (%llu bad "
                      "batches so far)",
                      (int)topic.len, (const char *)topic.ptr,
                      pp->partition_index, why,
                      (unsigned long long)b->stats.bad_batches);
        }
        return -1;
    }
    /* A compacted topic keeps the latest record of each key: a record
     * without one is refused (Kafka: "Compacted topic cannot accept
     * message without key", INVALID_RECORD). */
    int32_t keyless = -1;
    if (partition_compacted(bp->p) &&
        !keys_present(p, n, broker_log_scratch(b), &keyless)) {
        pr->error_code = KAFKA_ERR_INVALID_RECORD;
        /* v8+ (KIP-467): which record, as Kafka's LogValidator says. */
        static const char keyless_msg[] =
            "Compacted topic cannot accept message without key";
        pr->error_message = slice_make(keyless_msg, sizeof keyless_msg - 1);
        if (keyless >= 0) {
            pr->record_errors = arena_alloc(a, sizeof(*pr->record_errors));
            pr->record_errors[0].batch_index = keyless;
            pr->record_errors[0].message = pr->error_message;
            pr->nrecord_errors = 1;
        }
        return -1;
    }
    /* Transactional: the coordinator's checks (txn_coord.h). */
    bool txn = record_batch_attr_transactional(h.attributes);
    if (txn || txn_id.ptr) {
        int16_t terr = txn_coord_produce_check(b, txn_id, bp, &h);
        if (terr) {
            pr->error_code = terr;
            return -1;
        }
    }
    int64_t last_seq = (int64_t)h.base_sequence + h.last_offset_delta;
    if (last_seq > INT32_MAX)
        last_seq -= (int64_t)INT32_MAX + 1;
    struct broker_producer_batch dup;
    switch (broker_producer_check(&bp->producers, h.producer_id,
                                  h.producer_epoch, h.base_sequence,
                                  (int32_t)last_seq, &dup)) {
    case BROKER_SEQ_DUPLICATE:
        pr->base_offset = dup.base_offset;
        return dup.last_offset + 1;
    case BROKER_SEQ_OUT_OF_ORDER:
        pr->error_code = KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        return -1;
    case BROKER_SEQ_FENCED:
        pr->error_code = KAFKA_ERR_INVALID_PRODUCER_EPOCH;
        return -1;
    case BROKER_SEQ_APPEND:
        break;
    }
    int64_t base = -1;
    /* The frame bytes live in the connection's (mutable) read buffer. */
    uint8_t *mut = (uint8_t *)(uintptr_t)p;
    rc = partition_append(bp->p, mut, n, &base);
    if (rc < 0) {
        pr->error_code = error_for(rc);
        if (rc != ERR_CORRUPT && rc != ERR_INVALID && rc != ERR_TOO_LARGE)
            diag_warn("broker: append to %.*s-%d failed: %s", (int)topic.len,
                      (const char *)topic.ptr, pp->partition_index,
                      err_str(rc));
        return -1;
    }
    b->stats.produce_batches++;
    b->stats.produce_bytes += n;
    int64_t last = base + h.last_offset_delta;
    broker_producer_record(&bp->producers, h.producer_id, h.producer_epoch,
                           h.base_sequence, (int32_t)last_seq, base, last);
    if (txn)
        txn_part_on_append(b, bp, h.producer_id, base);
    pr->base_offset = base;
    return last + 1;
}

/* --- deferred answers (acks=-1) ------------------------------------------- */

static void wait_encode(struct produce_wait *w, struct buf *out)
{
    struct kafka_produce_response resp = {0};
    struct kafka_produce_topic_response *tops =
        mem_calloc(w->ntopics ? w->ntopics : 1, sizeof(*tops));
    struct kafka_produce_partition_response *parts =
        mem_calloc(w->nparts ? w->nparts : 1, sizeof(*parts));
    struct kafka_record_error *errs =
        mem_calloc(w->nparts ? w->nparts : 1, sizeof(*errs));
    size_t k = 0;
    for (size_t t = 0; t < w->ntopics; t++) {
        tops[t].name = w->names[t];
        tops[t].npartitions = w->topic_nparts[t];
        tops[t].partitions = &parts[k];
        for (size_t j = 0; j < w->topic_nparts[t]; j++, k++) {
            parts[k].partition_index = w->res[k].partition;
            parts[k].error_code = w->res[k].error;
            parts[k].base_offset = w->res[k].base_offset;
            parts[k].log_append_time_ms = -1;
            parts[k].log_start_offset = w->res[k].log_start;
            if (w->res[k].why) {
                parts[k].error_message =
                    slice_make(w->res[k].why, strlen(w->res[k].why));
                if (w->res[k].record_index >= 0) {
                    errs[k].batch_index = w->res[k].record_index;
                    errs[k].message = parts[k].error_message;
                    parts[k].record_errors = &errs[k];
                    parts[k].nrecord_errors = 1;
                }
            }
        }
    }
    resp.ntopics = w->ntopics;
    resp.topics = tops;
    kafka_produce_response_encode(out, w->version, &resp);
    mem_free(errs);
    mem_free(parts);
    mem_free(tops);
}

static void wait_free(struct produce_wait *w)
{
    mem_free(w->text);
    mem_free(w->waiting);
    mem_free(w->waits);
    mem_free(w->res);
    mem_free(w->topic_nparts);
    mem_free(w->names);
    mem_free(w);
}

static void wait_finish(struct produce_wait *w)
{
    loop_timer_stop(w->b->loop, &w->timeout);
    struct buf body;
    buf_init(&body);
    wait_encode(w, &body);
    broker_pending_complete(w->pending, &body);
    buf_fini(&body);
    wait_free(w);
}

static void durable_done(struct broker *b, struct broker_durable_wait *dw,
                         int err)
{
    struct produce_wait *w = dw->arg;
    (void)b;
    size_t i = (size_t)(dw - w->waits);
    w->waiting[i] = false;
    if (err < 0) {
        w->res[i].error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
        w->res[i].base_offset = -1;
    }
    if (--w->remaining == 0)
        wait_finish(w);
}

/* The fsync did not come within timeout_ms: answer REQUEST_TIMED_OUT for
 * what is still waiting (the data may still become durable; an idempotent
 * producer's retry then gets the original offset). */
static void wait_timeout(struct loop *l, struct loop_timer *t)
{
    struct produce_wait *w = t->arg;
    (void)l;
    for (size_t i = 0; i < w->nparts; i++) {
        if (!w->waiting[i])
            continue;
        broker_log_wait_cancel(w->b, &w->waits[i]);
        w->waiting[i] = false;
        w->res[i].error = KAFKA_ERR_REQUEST_TIMED_OUT;
    }
    wait_finish(w);
}

static void wait_cancel(struct broker_pending *p, void *arg)
{
    struct produce_wait *w = arg;
    (void)p;
    loop_timer_stop(w->b->loop, &w->timeout);
    for (size_t i = 0; i < w->nparts; i++)
        if (w->waiting[i])
            broker_log_wait_cancel(w->b, &w->waits[i]);
    wait_free(w);
}

/* --- the handler --------------------------------------------------------- */

int broker_handle_produce(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_produce_request rq;
    int rc = kafka_produce_request_decode(&req->body, req->api_version,
                                          req->arena, &rq);
    if (rc < 0)
        return rc;
    bool durable = rq.acks == -1 || (rq.acks == 1 && b->cfg.fsync_every_ack);
    bool bad_acks = rq.acks != 0 && rq.acks != 1 && rq.acks != -1;
    size_t nparts = 0;
    for (size_t t = 0; t < rq.ntopics; t++)
        nparts += rq.topics[t].npartitions;

    struct kafka_produce_response resp = {0};
    resp.ntopics = rq.ntopics;
    resp.topics = arena_calloc(req->arena, (rq.ntopics ? rq.ntopics : 1) *
                                               sizeof(*resp.topics));
    int64_t *ends =
        arena_alloc(req->arena, (nparts ? nparts : 1) * sizeof(int64_t));
    size_t k = 0;
    for (size_t t = 0; t < rq.ntopics; t++) {
        const struct kafka_produce_topic *tp = &rq.topics[t];
        struct kafka_produce_topic_response *tr = &resp.topics[t];
        tr->name = tp->name;
        tr->npartitions = tp->npartitions;
        tr->partitions =
            arena_calloc(req->arena, (tp->npartitions ? tp->npartitions : 1) *
                                         sizeof(*tr->partitions));
        bool denied = !broker_acl_topic(req, tp->name, AUTH_OP_WRITE);
        for (size_t j = 0; j < tp->npartitions; j++, k++) {
            struct kafka_produce_partition_response *pr = &tr->partitions[j];
            if (bad_acks || denied) {
                pr->partition_index = tp->partitions[j].partition_index;
                pr->error_code = bad_acks
                                     ? KAFKA_ERR_INVALID_REQUIRED_ACKS
                                     : KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                pr->base_offset = -1;
                pr->log_append_time_ms = -1;
                pr->log_start_offset = -1;
                ends[k] = -1;
                continue;
            }
            ends[k] =
                produce_partition(b, req->arena, tp->name, rq.transactional_id,
                                  &tp->partitions[j], pr);
        }
    }
    if (k > 0)
        broker_fetch_notify(b);
    if (rq.acks == 0)
        return BROKER_NO_RESPONSE;
    size_t nwait = 0;
    if (durable)
        for (size_t i = 0; i < nparts; i++)
            nwait += ends[i] >= 0;
    if (nwait == 0) {
        kafka_produce_response_encode(out, req->api_version, &resp);
        return 0;
    }

    /* acks=-1: keep the outcome (names copied) until durable. */
    struct produce_wait *w = mem_calloc(1, sizeof(*w));
    w->b = b;
    loop_timer_init(&w->timeout, wait_timeout, w);
    w->version = req->api_version;
    w->ntopics = rq.ntopics;
    w->nparts = nparts;
    w->names = mem_calloc(rq.ntopics, sizeof(*w->names));
    w->topic_nparts = mem_calloc(rq.ntopics, sizeof(*w->topic_nparts));
    w->res = mem_calloc(nparts, sizeof(*w->res));
    w->waits = mem_calloc(nparts, sizeof(*w->waits));
    w->waiting = mem_calloc(nparts, sizeof(*w->waiting));
    size_t text = 0;
    for (size_t t = 0; t < rq.ntopics; t++)
        text += rq.topics[t].name.len + 1;
    w->text = mem_alloc(text);
    size_t at = 0;
    k = 0;
    for (size_t t = 0; t < rq.ntopics; t++) {
        struct slice nm = rq.topics[t].name;
        if (nm.len)
            memcpy(w->text + at, nm.ptr, nm.len);
        w->names[t] = slice_make(w->text + at, nm.len);
        at += nm.len + 1;
        w->topic_nparts[t] = resp.topics[t].npartitions;
        for (size_t j = 0; j < resp.topics[t].npartitions; j++, k++) {
            const struct kafka_produce_partition_response *pr =
                &resp.topics[t].partitions[j];
            w->res[k].topic = (int32_t)t;
            w->res[k].partition = pr->partition_index;
            w->res[k].error = pr->error_code;
            w->res[k].base_offset = pr->base_offset;
            w->res[k].log_start = pr->log_start_offset;
            /* error_message is only ever a static reason */
            w->res[k].why = (const char *)pr->error_message.ptr;
            w->res[k].record_index =
                pr->nrecord_errors ? pr->record_errors[0].batch_index : -1;
        }
    }
    w->pending = broker_defer(req);
    broker_pending_set_cancel(w->pending, wait_cancel, w);
    w->remaining = (int)nwait;
    k = 0;
    for (size_t t = 0; t < rq.ntopics; t++) {
        for (size_t j = 0; j < rq.topics[t].npartitions; j++, k++) {
            if (ends[k] < 0)
                continue;
            int16_t err = 0;
            struct broker_durable_wait *dw = &w->waits[k];
            dw->part = broker_part_find(
                b, rq.topics[t].name,
                rq.topics[t].partitions[j].partition_index, false, &err);
            dw->end_offset = ends[k];
            dw->done = durable_done;
            dw->arg = w;
            w->waiting[k] = true;
        }
    }
    /* Register once everything is set (done() runs from a posted message,
     * never inside this call). */
    for (size_t i = 0; i < nparts; i++)
        if (w->waiting[i])
            broker_log_wait_durable(b, &w->waits[i]);
    if (rq.timeout_ms > 0)
        loop_timer_start(b->loop, &w->timeout, rq.timeout_ms, 0);
    return BROKER_DEFERRED;
}
