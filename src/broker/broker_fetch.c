/* broker_fetch.c - the Fetch handler (v4-17): reads as file ranges sent
 * with sendfile, max_bytes limits, and long polling (layer: broker).
 *
 * A fetch is evaluated against the log: per partition, the batches from the
 * one containing fetch_offset up to the high watermark (the log end, or the
 * durable offset under rill.read.durable), within
 * partition_max_bytes and what is left of max_bytes (the first partition
 * with data always gets at least one whole batch, KIP-74; a later one whose
 * next batch does not fit gets none). If fewer than
 * min_bytes are available and max_wait_ms > 0, the request is parked: its
 * spec is copied to the heap, a timer is armed, and every append re-checks
 * parked fetches (once per loop iteration, not per batch). The answer is
 * built at the moment it is sent, so it carries the newest data. Under
 * rill.read.durable a parked fetch also asks for the fsync of the data it
 * waits on, and the durable round (broker_log.c) re-checks parked fetches
 * as soon as an fsync advanced a durable offset.
 * Fetch sessions (KIP-227, broker_fetch_session.c): an incremental fetch
 * evaluates every partition of its session and the answer keeps only what
 * changed (fsess_filter, at the moment the answer is built). v13+ topics
 * come by id and are looked up by name once per request.
 * Invariants:
 *   1. A parked fetch is on the `parked` list, has its timer armed, and its
 *      pending slot waiting; it leaves all three together.
 *   2. Responses only hold dup'ed fds: a segment deleted by retention after
 *      the answer was built is still readable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "broker/broker_acl.h"
#include "broker/broker_fetch_session.h"
#include "broker/broker_int.h"
#include "broker/broker_log.h"
#include "broker/txn_part.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/partition.h"

#define FETCH_MAX_WAIT_MS 30000

struct fetch_part {
    int32_t partition;
    int64_t fetch_offset;
    int32_t max_bytes;
    bool denied; /* no READ on the topic (ACLs) */
};

struct fetch_spec {
    int16_t version;
    int8_t isolation; /* 1 read_committed: up to the LSO (txn_part.h) */
    int32_t min_bytes, max_bytes;
    size_t ntopics, nparts;
    struct slice *names;    /* "" for an unknown topic id (v13+) */
    struct kafka_uuid *ids; /* v13+: the topics' ids, else NULL */
    int32_t session_id;     /* KIP-227: the answer's session id */
    bool sess_update;       /* the answer updates the session's cache */
    bool incremental;       /* and carries only what changed */
    size_t *topic_nparts;
    struct fetch_part *parts;
};

struct fetch_park {
    struct fetch_park *prev, *next;
    struct broker *b;
    struct broker_pending *pending;
    struct fetch_spec spec;
    char *text;
    struct loop_timer timer;
};

struct broker_fetchwait {
    struct fetch_park *parked;
    struct loop_defer recheck;
    bool recheck_queued;
    /* broker_set_fetch_poll_ms: while fetches are parked, re-check them
     * this often (0: off), for writers that append to the log without the
     * broker seeing it (queries run by `rill serve`). */
    int poll_ms;
    struct loop_timer poll;
    uint64_t poll_seq;               /* logdir_append_seq at the last poll */
    struct fetch_sessions *sessions; /* KIP-227 */
    /* In-process writers (the queries `rill serve` runs) call
     * broker_fetch_wake after they append: it posts one re-check to the
     * loop (b->wake_pending coalesces them), so their output reaches
     * waiting consumers at once without a thread of ours waking on every
     * append; the poll stays as a cheap safety net. */
};

/* --- evaluation ------------------------------------------------------------
 */

/* Small ranges are copied into the answer instead of spliced from the file
 * (sendfile): their slice, and the segment file it pins, is released at
 * once, so a Fetch over thousands of partitions holds no descriptor per
 * partition (the segment fd cache, log/fd_cache.h, can close them again),
 * and a few KiB cost less to copy than a dup and a sendfile. At most
 * FETCH_COPY_BUDGET bytes per answer are copied (memory per request). */
#define FETCH_COPY_MAX (16u << 10)
#define FETCH_COPY_BUDGET (1u << 20)

static int copy_slice(const struct partition_slice *s, uint8_t *dst)
{
    size_t done = 0;
    while (done < s->len) {
        ssize_t n = pread(s->fd, dst + done, s->len - done,
                          (off_t)(s->file_pos + (int64_t)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : ERR_CORRUPT;
        done += (size_t)n;
    }
    return 0;
}

struct splice_ctx {
    struct broker_resp *r;
    struct partition_slice *slices; /* by flat partition index */
    size_t *flat_base;              /* topic index -> first flat index */
    int err;
};

static void on_splice(void *arg, size_t ti, size_t pi, size_t pos, size_t len)
{
    struct splice_ctx *c = arg;
    struct partition_slice *s = &c->slices[c->flat_base[ti] + pi];
    (void)pos;
    int rc = broker_resp_add_file(c->r, s->fd, s->file_pos, len);
    if (rc < 0)
        c->err = rc;
}

/* Counts the bytes available; with r != NULL also builds the answer into r.
 * Returns the byte count; *errors tells whether some partition failed.
 * Under rill.read.durable, counting (r == NULL) also asks for an fsync of
 * every partition the fetch waits on that holds data not yet durable. */
static size_t fetch_eval(struct broker *b, const struct fetch_spec *sp,
                         struct arena *a, struct broker_resp *r, bool *errors)
{
    bool ask_sync = r == NULL && b->cfg.read_durable;
    struct kafka_fetch_response resp = {0};
    struct kafka_fetch_partition_response *prs = NULL;
    struct partition_slice *slices = NULL;
    size_t *flat_base = NULL;
    if (r) {
        resp.ntopics = sp->ntopics;
        resp.topics = arena_calloc(a, (sp->ntopics ? sp->ntopics : 1) *
                                          sizeof(*resp.topics));
        prs = arena_calloc(a, (sp->nparts ? sp->nparts : 1) * sizeof(*prs));
        slices =
            arena_calloc(a, (sp->nparts ? sp->nparts : 1) * sizeof(*slices));
        flat_base = arena_calloc(a, (sp->ntopics ? sp->ntopics : 1) *
                                        sizeof(*flat_base));
    }
    size_t total = 0, k = 0, copied = 0;
    int64_t left = sp->max_bytes > 0 ? sp->max_bytes : INT32_MAX;
    *errors = false;
    for (size_t t = 0; t < sp->ntopics; t++) {
        if (r) {
            resp.topics[t].name = sp->names[t];
            if (sp->ids)
                resp.topics[t].topic_id = sp->ids[t];
            resp.topics[t].npartitions = sp->topic_nparts[t];
            resp.topics[t].partitions = &prs[k];
            flat_base[t] = k;
        }
        for (size_t j = 0; j < sp->topic_nparts[t]; j++, k++) {
            const struct fetch_part *fp = &sp->parts[k];
            struct kafka_fetch_partition_response tmp = {0};
            struct kafka_fetch_partition_response *pr = r ? &prs[k] : &tmp;
            pr->partition_index = fp->partition;
            pr->high_watermark = -1;
            pr->last_stable_offset = -1;
            pr->log_start_offset = -1;
            pr->aborted_null = true;
            pr->preferred_read_replica = -1;
            /* Empty, never null, also for a partition in error: librdkafka
             * reads null records as a bad message set and backs off for
             * good, so auto.offset.reset would never run. */
            pr->records = slice_make("", 0);
            if (fp->denied) {
                pr->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                *errors = true;
                continue;
            }
            int16_t err = 0;
            struct broker_part *bp =
                broker_part_find(b, sp->names[t], fp->partition, false, &err);
            if (!bp) {
                /* v13+: a topic id that names no topic (deleted, or
                 * recreated under a new id) */
                pr->error_code = sp->ids && sp->names[t].len == 0
                                     ? KAFKA_ERR_UNKNOWN_TOPIC_ID
                                     : err;
                *errors = true;
                continue;
            }
            /* end: what readers may see (the durable offset under
             * rill.read.durable); leo: the log end. Offsets in [end, leo)
             * exist but are not visible yet: such a fetch gets no records
             * rather than OFFSET_OUT_OF_RANGE, as in Kafka between the
             * high watermark and the log end. */
            int64_t leo = partition_high_watermark(bp->p);
            int64_t end = broker_log_visible_end(b, bp);
            int64_t start = partition_log_start_offset(bp->p);
            pr->high_watermark = end;
            if (sp->isolation == 1 || bp->txn)
                end = txn_part_lso(b, bp, end);
            pr->last_stable_offset = end;
            if (sp->isolation != 1)
                end = pr->high_watermark;
            pr->log_start_offset = start;
            if (fp->fetch_offset < start || fp->fetch_offset > leo) {
                pr->error_code = KAFKA_ERR_OFFSET_OUT_OF_RANGE;
                *errors = true;
                continue;
            }
            pr->records = slice_make("", 0);
            if (fp->fetch_offset >= end) {
                /* Waiting for data that is there but not yet durable:
                 * ask for the fsync now instead of waiting for the flush
                 * interval (only when counting, i.e. before parking and
                 * on re-checks). */
                if (ask_sync && end < leo)
                    partition_request_sync(bp->p);
                continue;
            }
            if (left <= 0)
                continue;
            size_t want = fp->max_bytes > 0 ? (size_t)fp->max_bytes : 1;
            if ((int64_t)want > left)
                want = (size_t)left;
            struct partition_slice s = {0};
            int rc =
                partition_read_upto(bp->p, fp->fetch_offset, end, want, &s);
            if (rc == ERR_RANGE) {
                pr->error_code = KAFKA_ERR_OFFSET_OUT_OF_RANGE;
                *errors = true;
                continue;
            }
            if (rc < 0) {
                pr->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                *errors = true;
                continue;
            }
            /* The read returns a first batch larger than `want` whole; only
             * the first partition with data may exceed the limits (KIP-74,
             * Kafka's minOneMessage), the others then get nothing. */
            if (total > 0 && s.len > want) {
                partition_slice_release(&s);
                continue;
            }
            total += s.len;
            left -= (int64_t)s.len;
            if (r && sp->isolation == 1 && s.len > 0) {
                pr->naborted = txn_part_aborted(b, bp, fp->fetch_offset,
                                                s.next_offset, a, &pr->aborted);
                pr->aborted_null = false;
            }
            if (r && s.len > 0 && s.len <= FETCH_COPY_MAX &&
                copied + s.len <= FETCH_COPY_BUDGET) {
                uint8_t *mem = arena_alloc(a, s.len);
                if (copy_slice(&s, mem) == 0) {
                    pr->records = slice_make(mem, s.len);
                    copied += s.len;
                    partition_slice_release(&s);
                    continue;
                }
            }
            if (r && s.len > 0) {
                partition_note_fetch(bp->p, s.next_offset - fp->fetch_offset,
                                     (int64_t)s.len);
                pr->records_splice = true;
                pr->records_splice_len = s.len;
                slices[k] = s;
            } else {
                partition_slice_release(&s);
            }
        }
    }
    if (r) {
        resp.session_id = sp->session_id;
        if (sp->sess_update && b->fetchwait)
            fsess_filter(b->fetchwait->sessions, sp->session_id,
                         sp->incremental, &resp, prs, slices, flat_base,
                         sp->nparts);
        struct splice_ctx c = {r, slices, flat_base, 0};
        kafka_fetch_response_encode(&r->body, sp->version, &resp, on_splice,
                                    &c);
        for (size_t i = 0; i < sp->nparts; i++)
            partition_slice_release(&slices[i]);
        if (c.err < 0) {
            diag_warn("broker: fetch: cannot duplicate a segment fd: %s",
                      err_str(c.err));
            *errors = true;
        }
        b->stats.fetch_bytes += total;
    }
    return total;
}

/* --- parking ------------------------------------------------------------- */

static struct broker_fetchwait *fw_get(struct broker *b);

static void park_unlink(struct broker *b, struct fetch_park *fp)
{
    struct broker_fetchwait *fw = b->fetchwait;
    if (fp->prev)
        fp->prev->next = fp->next;
    else
        fw->parked = fp->next;
    if (fp->next)
        fp->next->prev = fp->prev;
    loop_timer_stop(b->loop, &fp->timer);
}

static void park_free(struct fetch_park *fp)
{
    mem_free(fp->spec.names);
    mem_free(fp->spec.topic_nparts);
    mem_free(fp->spec.parts);
    mem_free(fp->spec.ids);
    mem_free(fp->text);
    mem_free(fp);
}

static void park_answer(struct broker *b, struct fetch_park *fp)
{
    park_unlink(b, fp);
    struct broker_resp r;
    broker_resp_init(&r);
    bool errors;
    fetch_eval(b, &fp->spec, &b->arena, &r, &errors);
    arena_reset(&b->arena);
    broker_pending_complete_resp(fp->pending, &r);
    broker_resp_fini(&r);
    park_free(fp);
}

static void park_timeout(struct loop *l, struct loop_timer *t)
{
    struct fetch_park *fp = t->arg;
    (void)l;
    park_answer(fp->b, fp);
}

static void park_cancel(struct broker_pending *p, void *arg)
{
    struct fetch_park *fp = arg;
    (void)p;
    park_unlink(fp->b, fp);
    park_free(fp);
}

static void recheck_cb(struct loop *l, void *arg)
{
    struct broker *b = arg;
    struct broker_fetchwait *fw = b->fetchwait;
    (void)l;
    fw->recheck_queued = false;
    struct fetch_park *fp = fw->parked;
    while (fp) {
        struct fetch_park *next = fp->next;
        bool errors;
        size_t n = fetch_eval(b, &fp->spec, NULL, NULL, &errors);
        if (errors || n >= (size_t)fp->spec.min_bytes)
            park_answer(b, fp);
        fp = next;
    }
}

static void poll_cb(struct loop *l, struct loop_timer *t)
{
    struct broker *b = t->arg;
    struct broker_fetchwait *fw = b->fetchwait;
    if (!fw->parked) {
        loop_timer_stop(l, &fw->poll);
        return;
    }
    /* Nothing appended anywhere since the last poll: nothing to see. */
    uint64_t seq = logdir_append_seq(b->logdir);
    if (seq == fw->poll_seq)
        return;
    fw->poll_seq = seq;
    recheck_cb(l, b);
}

static void wake_post_cb(struct loop *l, void *arg)
{
    struct broker *b = arg;
    atomic_store(&b->wake_pending, false);
    if (b->append_hook)
        b->append_hook(b->append_hook_arg);
    if (b->fetchwait && b->fetchwait->parked)
        recheck_cb(l, b);
}

void broker_fetch_wake(struct broker *b)
{
    if (atomic_exchange(&b->wake_pending, true))
        return; /* a re-check is on its way and will see this append */
    loop_post(b->loop, wake_post_cb, b);
}

static struct broker_fetchwait *fw_get(struct broker *b)
{
    if (!b->fetchwait) {
        b->fetchwait = mem_calloc(1, sizeof(*b->fetchwait));
        loop_defer_init(&b->fetchwait->recheck, recheck_cb, b);
        loop_timer_init(&b->fetchwait->poll, poll_cb, b);
        fsess_create(&b->fetchwait->sessions);
    }
    return b->fetchwait;
}

void broker_set_fetch_poll_ms(struct broker *b, int ms)
{
    struct broker_fetchwait *fw = fw_get(b);
    fw->poll_ms = ms > 0 ? ms : 0;
}

void broker_fetch_notify(struct broker *b)
{
    struct broker_fetchwait *fw = b->fetchwait;
    if (b->append_hook)
        b->append_hook(b->append_hook_arg);
    if (!fw || !fw->parked)
        return;
    loop_defer_start(b->loop, &fw->recheck);
}

void broker_fetch_fini(struct broker *b)
{
    struct broker_fetchwait *fw = b->fetchwait;
    if (!fw)
        return;
    while (fw->parked)
        park_answer(b, fw->parked);
    if (loop_timer_active(&fw->poll))
        loop_timer_stop(b->loop, &fw->poll);
    fsess_free(fw->sessions);
    mem_free(fw);
    b->fetchwait = NULL;
}

/* Deep-copies the spec (names point into the request frame). */
static struct fetch_park *park_create(struct broker *b,
                                      const struct fetch_spec *sp)
{
    struct fetch_park *fp = mem_calloc(1, sizeof(*fp));
    fp->b = b;
    fp->spec = *sp;
    size_t text = 1;
    for (size_t t = 0; t < sp->ntopics; t++)
        text += sp->names[t].len;
    fp->text = mem_alloc(text);
    fp->spec.names = mem_calloc(sp->ntopics + 1, sizeof(struct slice));
    fp->spec.topic_nparts = mem_calloc(sp->ntopics + 1, sizeof(size_t));
    fp->spec.parts = mem_calloc(sp->nparts + 1, sizeof(struct fetch_part));
    if (sp->ids) {
        fp->spec.ids = mem_calloc(sp->ntopics + 1, sizeof(struct kafka_uuid));
        memcpy(fp->spec.ids, sp->ids, sp->ntopics * sizeof(*sp->ids));
    }
    size_t at = 0;
    for (size_t t = 0; t < sp->ntopics; t++) {
        if (sp->names[t].len)
            memcpy(fp->text + at, sp->names[t].ptr, sp->names[t].len);
        fp->spec.names[t] = slice_make(fp->text + at, sp->names[t].len);
        at += sp->names[t].len;
        fp->spec.topic_nparts[t] = sp->topic_nparts[t];
    }
    memcpy(fp->spec.parts, sp->parts, sp->nparts * sizeof(*sp->parts));
    return fp;
}

/* --- the handler --------------------------------------------------------- */

/* The spec of a sessionless fetch, or of a new session: the request's
 * partitions (names already resolved from v13+ ids). */
static void spec_from_request(struct broker_req *req,
                              const struct kafka_fetch_request *rq,
                              struct fetch_spec *sp)
{
    sp->ntopics = rq->ntopics;
    for (size_t t = 0; t < rq->ntopics; t++)
        sp->nparts += rq->topics[t].npartitions;
    size_t nt = sp->ntopics ? sp->ntopics : 1;
    sp->names = arena_alloc(req->arena, nt * sizeof(*sp->names));
    sp->topic_nparts = arena_alloc(req->arena, nt * sizeof(*sp->topic_nparts));
    sp->parts = arena_alloc(req->arena,
                            (sp->nparts ? sp->nparts : 1) * sizeof(*sp->parts));
    if (req->api_version >= 13)
        sp->ids = arena_alloc(req->arena, nt * sizeof(*sp->ids));
    size_t k = 0;
    for (size_t t = 0; t < rq->ntopics; t++) {
        sp->names[t] = rq->topics[t].name;
        if (sp->ids)
            sp->ids[t] = rq->topics[t].topic_id;
        sp->topic_nparts[t] = rq->topics[t].npartitions;
        bool denied = !broker_acl_topic(req, rq->topics[t].name, AUTH_OP_READ);
        for (size_t j = 0; j < rq->topics[t].npartitions; j++, k++) {
            const struct kafka_fetch_partition *p =
                &rq->topics[t].partitions[j];
            sp->parts[k].denied = denied;
            sp->parts[k].partition = p->partition_index;
            sp->parts[k].fetch_offset = p->fetch_offset;
            sp->parts[k].max_bytes = p->partition_max_bytes;
        }
    }
}

static bool same_name(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

/* The spec of an incremental fetch: every partition of the session, in
 * its order, consecutive partitions of one topic under one topic entry
 * (as Kafka's answer groups them). */
static void spec_from_session(struct broker_req *req, int32_t id,
                              struct fetch_spec *sp)
{
    struct fsess_part *ps;
    size_t n = fsess_parts(req->b->fetchwait->sessions, id, req->arena, &ps);
    size_t nt = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || !same_name(ps[i].name, ps[i - 1].name))
            nt++;
    sp->ntopics = nt;
    sp->nparts = n;
    sp->names = arena_alloc(req->arena, (nt ? nt : 1) * sizeof(*sp->names));
    sp->topic_nparts =
        arena_calloc(req->arena, (nt ? nt : 1) * sizeof(*sp->topic_nparts));
    sp->parts = arena_alloc(req->arena, (n ? n : 1) * sizeof(*sp->parts));
    if (req->api_version >= 13)
        sp->ids = arena_alloc(req->arena, (nt ? nt : 1) * sizeof(*sp->ids));
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !same_name(ps[i].name, ps[i - 1].name))
            t++;
        sp->names[t] = ps[i].name;
        if (sp->ids)
            sp->ids[t] = ps[i].id;
        sp->topic_nparts[t]++;
        sp->parts[i].denied = !broker_acl_topic(req, ps[i].name, AUTH_OP_READ);
        sp->parts[i].partition = ps[i].partition;
        sp->parts[i].fetch_offset = ps[i].fetch_offset;
        sp->parts[i].max_bytes = ps[i].max_bytes;
    }
}

int broker_handle_fetch(struct broker_req *req, struct buf *out)
{
    struct broker *b = req->b;
    struct kafka_fetch_request rq;
    int rc = kafka_fetch_request_decode(&req->body, req->api_version,
                                        req->arena, &rq);
    if (rc < 0)
        return rc;
    if (req->api_version >= 13) {
        /* KIP-516: topics by id; the names are looked up once here ("" for
         * an id that names no topic). */
        for (size_t t = 0; t < rq.ntopics; t++) {
            char *name = arena_alloc(req->arena, LOGDIR_TOPIC_NAME_MAX + 1);
            if (logdir_topic_by_id(b->logdir, rq.topics[t].topic_id.b, name) <
                0)
                name[0] = '\0';
            rq.topics[t].name = slice_make(name, strlen(name));
        }
    }
    /* KIP-227: v7+ may open, use or close a fetch session. */
    struct fsess_result fr = fsess_begin(
        fw_get(b)->sessions, &rq, req->api_version, loop_now_ms(b->loop));
    if (fr.error) {
        struct kafka_fetch_response er = {0};
        er.error_code = fr.error;
        kafka_fetch_response_encode(out, req->api_version, &er, NULL, NULL);
        return 0;
    }
    struct fetch_spec sp = {0};
    sp.version = req->api_version;
    sp.isolation = rq.isolation_level;
    sp.min_bytes = rq.min_bytes;
    sp.max_bytes = rq.max_bytes;
    sp.session_id = fr.session_id;
    sp.sess_update = fr.from_session;
    sp.incremental = fr.incremental;
    if (fr.incremental)
        spec_from_session(req, fr.session_id, &sp);
    else
        spec_from_request(req, &rq, &sp);
    bool errors = false;
    int32_t wait = rq.max_wait_ms;
    if (wait > FETCH_MAX_WAIT_MS)
        wait = FETCH_MAX_WAIT_MS;
    if (wait > 0 && !b->draining) {
        size_t n = fetch_eval(b, &sp, NULL, NULL, &errors);
        if (!errors && (int64_t)n < (int64_t)rq.min_bytes) {
            struct broker_fetchwait *fw = fw_get(b);
            struct fetch_park *fp = park_create(b, &sp);
            fp->pending = broker_defer(req);
            broker_pending_set_cancel(fp->pending, park_cancel, fp);
            fp->next = fw->parked;
            if (fw->parked)
                fw->parked->prev = fp;
            fw->parked = fp;
            loop_timer_init(&fp->timer, park_timeout, fp);
            loop_timer_start(b->loop, &fp->timer, wait, 0);
            if (fw->poll_ms && !loop_timer_active(&fw->poll))
                loop_timer_start(b->loop, &fw->poll, fw->poll_ms, fw->poll_ms);
            return BROKER_DEFERRED;
        }
    }
    struct broker_resp r;
    broker_resp_init(&r);
    fetch_eval(b, &sp, req->arena, &r, &errors);
    broker_req_set_resp(req, &r);
    broker_resp_fini(&r);
    return 0;
}
