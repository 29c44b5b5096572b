/* cep.c - the MATCH_RECOGNIZE operator: per-key buffers, the Pike VM
 * matcher, measures (layer: stream).
 *
 * Invariants:
 *  1. A key's pending rows are sorted by (event time, arrival); a row is
 *     released to the matcher once ts <= watermark - allowed lateness, and a
 *     row arriving with ts <= that bound is late (never matched).
 *  2. A key's threads (partial matches) are ordered by preference: by the
 *     start row of their attempt, then by the program's priority. An attempt
 *     is the set of threads started at one row (aid = that row's sequence
 *     number in the key); it is resolved when it has no live thread left,
 *     and attempts are emitted front first (an earlier attempt's AFTER
 *     MATCH SKIP decides whether later ones survive).
 *  3. When a thread reaches MATCH, the attempt records that match and every
 *     lower-priority thread of the attempt is cut; higher-priority threads
 *     go on and replace the match if they reach MATCH later.
 *  4. History nodes (row, variable, previous node) are reference counted
 *     and shared by the threads that branched from one another; a row slot
 *     is freed when no node, pending buffer or PREV ring refers to it.
 *     Slots, nodes and thread arrays come from pools: no allocation per
 *     row once warm.
 *  6. Only rows of variables something reads (a navigation or aggregate
 *     naming the variable, AFTER MATCH SKIP TO it, or any navigation over
 *     every row) become history nodes; a thread also keeps its last row
 *     and that row's variable (MEASURES' bare columns, CLASSIFIER,
 *     MATCH_ROWTIME, SKIP PAST LAST ROW). So `V X*? T` holds two nodes,
 *     not one per X row.
 *  5. Threads of one attempt at the same instruction are merged (the
 *     preferred one kept) when their futures are equal: always when no
 *     DEFINE reads the rows of one variable, else when their histories
 *     are equal. The per-key bound (max_partial) refuses runaway patterns
 *     with an error.
 */
#include "stream/cep.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/hashmap.h" /* hashmap_hash */
#include "base/mem.h"

#define SLOT_INLINE 48 /* string bytes kept in a row slot */
#define POOL_CHUNK 256
#define HUGE_SLAB ((size_t)2 << 20)

/* A row: only the input columns read after the row is pushed (the
 * stored ones, c->vidx); the DEFINE conditions on the row alone are
 * evaluated once, at push, into bits; PARTITION BY columns come from the
 * key. */
struct slot {
    int64_t ts;
    int64_t seq;
    uint32_t refs;
    uint32_t bits; /* local DEFINE conditions that hold */
    int32_t partition;
    uint64_t nulls; /* bit j: stored column j is NULL */
    char *overflow; /* strings past SLOT_INLINE */
    uint64_t w[];   /* stored column j at w[woff[j]]: a string is its
                     * pointer and length (two words), else one word */
};

struct hnode {
    struct slot *row;
    struct hnode *prev;
    uint64_t hash; /* of the variables of the chain */
    uint32_t refs;
    int16_t var;
    int32_t len;
};

struct hslot {
    uint64_t stamp;
    uint64_t hash;
    int64_t aid;
    int32_t pc;
    struct hnode *h;
};

struct thread {
    int32_t pc;
    int16_t last_var; /* the variable of the last row consumed */
    int64_t aid;
    struct hnode *h;   /* the kept rows (invariant 6) */
    struct slot *last; /* the last row consumed, NULL before any */
};

/* A match or a partial match: its kept rows, last row and variable. */
struct mres {
    struct hnode *h;
    struct slot *last; /* NULL: none */
    int16_t last_var;
};

struct attempt {
    int64_t aid;
    int64_t start_ts;
    int live;
    uint64_t cut; /* the step that cut its lower-priority threads */
    struct mres match;
    struct mres partial; /* timed out with this partial match */
    bool expired;
};

struct pend {
    int64_t ts;
    struct slot *row;
    uint32_t bits; /* row->bits: read without touching the row */
    uint32_t overflow;
};

struct key {
    struct pend *pend; /* sorted by (ts, arrival) from phead */
    int phead, npend, pcap;
    int64_t next_ts;    /* pend[phead].ts when npend > phead */
    struct slot **ring; /* the last maxprev released rows (PREV) */
    int nring, rhead;
    struct thread *th;
    int nth, thcap;
    struct attempt *att; /* ring of atcap (power of two) */
    int64_t abase;
    int natt, atcap;
    int64_t nrows;
    int64_t match_number;
    bool active;
    uint64_t hash;
    uint32_t klen;
    struct value keyv[CEP_MAX_KEYS]; /* strings point into kbytes */
    uint8_t kbytes[];                /* the key's encoding (key_bytes) */
};

struct cep {
    const struct schema *in;
    int capacity;
    int nin;
    size_t slot_size;
    /* the stored columns (struct slot) */
    int nstored;
    int stored[SCHEMA_MAX_COLUMNS];
    int vidx[SCHEMA_MAX_COLUMNS]; /* column -> stored index, -1: none */
    int woff[SCHEMA_MAX_COLUMNS]; /* stored index -> first word */
    int nwords;
    int keyidx[SCHEMA_MAX_COLUMNS]; /* column -> PARTITION BY key, -1 */
    bool stored_strings;
    /* variables and pattern */
    int nvars;
    char vars[CEP_MAX_VARS][SCHEMA_NAME_MAX];
    struct cep_program prog;
    /* references and schemas */
    struct schema sch[2];
    int nrefs[2];
    struct cep_ref refs[2][CEP_MAX_REFS];
    enum schema_type rtype[2][CEP_MAX_REFS];
    bool navigates;      /* some DEFINE looks at the match */
    uint32_t keep;       /* variables whose rows become history nodes */
    uint32_t start_mask; /* variables a match can start with */
    bool label_refs;     /* ... at the rows of one variable */
    bool match_refs;     /* ... at anything but PREV */
    int maxprev;
    /* DEFINE */
    struct expr_ctx *local_ctx, *def_ctx;
    struct expr *local[CEP_MAX_VARS], *general[CEP_MAX_VARS];
    uint32_t always;              /* vars without a local condition (TRUE) */
    int local_same[CEP_MAX_VARS]; /* an earlier var with the same one */
    struct row_batch *defb;
    /* MEASURES */
    struct expr_ctx *mea_ctx;
    int nmeasures;
    struct expr *measure[SCHEMA_MAX_COLUMNS];
    struct row_batch *meab;
    struct schema out_schema;
    int nlead; /* output columns before the measures: input columns */
    int lead[SCHEMA_MAX_COLUMNS];
    struct hnode **chain; /* ALL ROWS PER MATCH: a match's nodes in order */
    int nchain;
    struct row_batch *outb;
    struct operator_node *op;
    /* options */
    struct cep_options o;
    bool dedup, dedup_across, dedup_history;
    struct hslot *htab; /* dedup_history: (pc, history) seen this step */
    size_t hcap, hused;
    /* state */
    struct key **ktab; /* open addressing by key hash */
    size_t kcap, nkeys;
    struct key *klast; /* the previous row's key */
    struct key **active;
    int nactive, actcap;
    struct slot **free_slots; /* a stack: freeing touches no row */
    size_t slab_bytes;        /* the last slab's size */
    size_t nfree, freecap;
    void **slabs;
    int nslabs, slabcap;
    struct hnode *free_nodes; /* chained through prev */
    int64_t wm;
    int64_t rows_held;
    uint64_t nodes_held;
    int64_t nthreads;  /* over every key */
    int64_t key_bytes; /* keys and their arrays */
    struct cep_stats st;
    uint64_t *late_part;
    int nlate_part;
    /* scratch */
    struct thread *nx;
    int nnx, nxcap;
    int32_t *stack;
    uint64_t *seen;
    int64_t *seen_aid;
    uint64_t stamp, stamp0, hstamp;
    uint64_t *visit;
    uint8_t *gres;
    int *gmap;
    uint32_t *lbits;
    int gcap;
    struct buf keybuf;
    int rc;
};

/* ---- building ---- */

int cep_create(const struct schema *in, int capacity, struct cep **out)
{
    if (!in || capacity <= 0 || capacity > ROW_BATCH_MAX_CAPACITY)
        return ERR_INVALID;
    struct cep *c = mem_calloc(1, sizeof *c);
    c->in = in;
    c->capacity = capacity;
    c->nin = in->ncolumns;
    for (int s = 0; s < 2; s++) {
        c->sch[s] = *in;
    }
    buf_init(&c->keybuf);
    c->wm = INT64_MIN;
    *out = c;
    return 0;
}

int cep_add_var(struct cep *c, const char *name)
{
    for (int i = 0; i < c->nvars; i++)
        if (!strcmp(c->vars[i], name))
            return i;
    if (c->nvars >= CEP_MAX_VARS)
        return ERR_TOO_LARGE;
    snprintf(c->vars[c->nvars], SCHEMA_NAME_MAX, "%s", name);
    c->always |= 1u << c->nvars;
    return c->nvars++;
}

int cep_nvars(const struct cep *c)
{
    return c->nvars;
}

const char *cep_var_name(const struct cep *c, int var)
{
    return var >= 0 && var < c->nvars ? c->vars[var] : NULL;
}

int cep_set_pattern(struct cep *c, const struct cep_node *root, char *err,
                    size_t errlen)
{
    cep_program_fini(&c->prog);
    int rc = cep_program_compile(root, c->nvars, &c->prog, err, errlen);
    if (rc)
        return rc;
    if (c->prog.nullable) {
        snprintf(err, errlen,
                 "the pattern can match no rows at all (every part of it is "
                 "optional)");
        cep_program_fini(&c->prog);
        return ERR_INVALID;
    }
    return 0;
}

static bool numeric(enum schema_type t)
{
    return t == SCHEMA_INT || t == SCHEMA_BIGINT || t == SCHEMA_DOUBLE;
}

int cep_add_ref(struct cep *c, enum cep_scope scope, const struct cep_ref *r)
{
    int s = scope == CEP_MEASURE;
    for (int i = 0; i < c->nrefs[s]; i++)
        if (!memcmp(&c->refs[s][i], r, sizeof *r))
            return c->nin + i;
    if (c->nrefs[s] >= CEP_MAX_REFS)
        return ERR_TOO_LARGE;
    if (r->var < -1 || r->var >= c->nvars)
        return ERR_INVALID;
    enum schema_type t = SCHEMA_NULL;
    enum schema_type ct = SCHEMA_NULL;
    if (r->column >= 0) {
        if (r->column >= c->nin)
            return ERR_INVALID;
        ct = c->in->columns[r->column].type;
    }
    switch (r->kind) {
    case CEP_REF_PREV:
        if (r->offset < 0 || r->offset > CEP_MAX_PREV || r->column < 0)
            return ERR_INVALID;
        if (r->offset > c->maxprev)
            c->maxprev = r->offset;
        t = ct;
        break;
    case CEP_REF_FIRST:
    case CEP_REF_LAST:
        if (r->offset < 0 || r->column < 0)
            return ERR_INVALID;
        t = ct;
        break;
    case CEP_REF_AGG:
        switch (r->agg) {
        case AGG_COUNT_STAR:
        case AGG_COUNT:
            t = SCHEMA_BIGINT;
            break;
        case AGG_SUM:
            if (!numeric(ct))
                return ERR_INVALID;
            t = ct == SCHEMA_DOUBLE ? SCHEMA_DOUBLE : SCHEMA_BIGINT;
            break;
        case AGG_AVG:
            if (!numeric(ct))
                return ERR_INVALID;
            t = SCHEMA_DOUBLE;
            break;
        case AGG_MIN:
        case AGG_MAX:
            if (!numeric(ct) && ct != SCHEMA_STRING && ct != SCHEMA_TIMESTAMP)
                return ERR_INVALID;
            t = ct;
            break;
        default:
            return ERR_UNSUPPORTED;
        }
        if (r->agg != AGG_COUNT_STAR && r->column < 0)
            return ERR_INVALID;
        break;
    case CEP_REF_CLASSIFIER:
        t = SCHEMA_STRING;
        break;
    case CEP_REF_MATCH_NUMBER:
        t = SCHEMA_BIGINT;
        break;
    case CEP_REF_MATCH_ROWTIME:
        t = SCHEMA_TIMESTAMP;
        break;
    case CEP_REF_TIMED_OUT:
        t = SCHEMA_BOOLEAN;
        break;
    }
    char name[16];
    snprintf(name, sizeof name, "$%c%d", s ? 'm' : 'd', c->nrefs[s]);
    int col = schema_add(&c->sch[s], name, t, true, NULL);
    if (col < 0)
        return col;
    c->refs[s][c->nrefs[s]] = *r;
    c->rtype[s][c->nrefs[s]] = t;
    c->nrefs[s]++;
    return col;
}

const struct schema *cep_schema(const struct cep *c, enum cep_scope scope)
{
    return &c->sch[scope == CEP_MEASURE];
}

int cep_set_defines(struct cep *c, struct expr_ctx *local_ctx,
                    struct expr_ctx *ctx, struct expr *const *local,
                    struct expr *const *general)
{
    c->local_ctx = local_ctx;
    c->def_ctx = ctx;
    for (int v = 0; v < c->nvars; v++) {
        c->local[v] = local ? local[v] : NULL;
        c->general[v] = general ? general[v] : NULL;
        c->local_same[v] = -1;
        for (int u = 0; u < v && c->local[v]; u++)
            if (c->local[u] && c->local_same[u] < 0 &&
                expr_same(c->local[u], c->local[v])) {
                c->local_same[v] = u;
                break;
            }
        if (c->local[v])
            c->always &= ~(1u << v); /* now: vars without a local part */
        if (c->general[v])
            c->navigates = true;
    }
    for (int i = 0; i < c->nrefs[0]; i++) {
        if (c->refs[0][i].kind != CEP_REF_PREV)
            c->match_refs = true;
        if (c->refs[0][i].var >= 0 && c->refs[0][i].kind != CEP_REF_PREV)
            c->label_refs = true;
    }
    if (c->navigates && !c->defb) {
        int rc = row_batch_create(&c->sch[0], c->capacity, &c->defb);
        if (rc)
            return rc;
    }
    return 0;
}

int cep_set_measures(struct cep *c, struct expr_ctx *ctx, int n,
                     struct expr *const *exprs, const char *const *names)
{
    c->mea_ctx = ctx;
    schema_init(&c->out_schema);
    /* ONE ROW PER MATCH: the keys; ALL ROWS PER MATCH: every column */
    c->nlead = 0;
    for (int k = 0; k < (c->o.all_rows ? c->nin : c->o.nkeys); k++)
        c->lead[c->nlead++] = c->o.all_rows ? k : c->o.keys[k];
    for (int k = 0; k < c->nlead; k++) {
        const struct schema_column *col = &c->in->columns[c->lead[k]];
        int rc = schema_add(&c->out_schema, col->name, col->type, true, NULL);
        if (rc < 0)
            return rc;
    }
    if (n + c->nlead > SCHEMA_MAX_COLUMNS)
        return ERR_TOO_LARGE;
    for (int i = 0; i < n; i++) {
        int rc = schema_add(&c->out_schema, names[i], expr_type(exprs[i]), true,
                            NULL);
        if (rc < 0)
            return rc;
        c->measure[i] = exprs[i];
    }
    c->nmeasures = n;
    int rc = row_batch_create(&c->sch[1], c->capacity, &c->meab);
    if (!rc)
        rc = row_batch_create(&c->out_schema, c->capacity, &c->outb);
    return rc;
}

int cep_set_options(struct cep *c, const struct cep_options *o)
{
    if (o->nkeys < 0 || o->nkeys > CEP_MAX_KEYS)
        return ERR_INVALID;
    for (int k = 0; k < o->nkeys; k++)
        if (o->keys[k] < 0 || o->keys[k] >= c->nin)
            return ERR_INVALID;
    c->o = *o;
    if (c->o.max_partial <= 0)
        c->o.max_partial = CEP_DEFAULT_MAX_PARTIAL;
    if (c->o.max_rows <= 0)
        c->o.max_rows = CEP_DEFAULT_MAX_ROWS;
    return 0;
}

/* ---- pools ---- */

static void slot_put(struct cep *c, struct slot *s)
{
    if (c->nfree == c->freecap) {
        c->freecap = c->freecap ? 2 * c->freecap : POOL_CHUNK;
        c->free_slots =
            mem_realloc(c->free_slots, c->freecap * sizeof *c->free_slots);
    }
    c->free_slots[c->nfree++] = s;
}

static struct slot *slot_get(struct cep *c)
{
    if (!c->nfree) {
        /* slabs grow with the rows held, up to 2 MiB: the rows held until
         * the watermark passes them are read back seconds later, in any
         * order; huge pages (where the kernel grants them) spare the TLB */
        size_t bytes =
            c->slab_bytes ? 2 * c->slab_bytes : c->slot_size * POOL_CHUNK;
        if (bytes > HUGE_SLAB)
            bytes = HUGE_SLAB;
        c->slab_bytes = bytes;
        size_t align = bytes == HUGE_SLAB ? HUGE_SLAB : 64;
        char *raw = mem_alloc(bytes + align);
        char *slab = raw + (align - (uintptr_t)raw % align) % align;
        if (bytes == HUGE_SLAB)
            (void)madvise(slab, bytes, MADV_HUGEPAGE); /* a hint */
        if (c->nslabs == c->slabcap) {
            c->slabcap = c->slabcap ? 2 * c->slabcap : 16;
            c->slabs =
                mem_realloc(c->slabs, (size_t)c->slabcap * sizeof *c->slabs);
        }
        c->slabs[c->nslabs++] = raw;
        for (size_t i = bytes / c->slot_size; i-- > 0;)
            slot_put(c, (struct slot *)(slab + i * c->slot_size));
    }
    struct slot *s = c->free_slots[--c->nfree];
    s->refs = 1;
    s->overflow = NULL;
    c->rows_held++;
    return s;
}

static void slot_unref(struct cep *c, struct slot *s)
{
    if (!s || --s->refs)
        return;
    mem_free(s->overflow);
    slot_put(c, s);
    c->rows_held--;
}

static struct hnode *node_new(struct cep *c, struct slot *row, int var,
                              struct hnode *prev)
{
    struct hnode *h = c->free_nodes;
    if (!h) {
        struct hnode *chunk = mem_alloc(POOL_CHUNK * sizeof *chunk);
        if (c->nslabs == c->slabcap) {
            c->slabcap = c->slabcap ? 2 * c->slabcap : 16;
            c->slabs =
                mem_realloc(c->slabs, (size_t)c->slabcap * sizeof *c->slabs);
        }
        c->slabs[c->nslabs++] = chunk;
        for (int i = POOL_CHUNK - 1; i >= 0; i--) {
            chunk[i].prev = c->free_nodes;
            c->free_nodes = &chunk[i];
        }
        h = c->free_nodes;
    }
    c->free_nodes = h->prev;
    h->row = row;
    row->refs++;
    h->prev = prev; /* takes the caller's reference to prev */
    h->refs = 1;
    h->var = (int16_t)var;
    h->len = prev ? prev->len + 1 : 1;
    h->hash =
        ((prev ? prev->hash : 0x9e3779b97f4a7c15u) ^ (uint64_t)(var + 1)) *
        0xff51afd7ed558ccdu;
    c->nodes_held++;
    return h;
}

static void node_unref(struct cep *c, struct hnode *h)
{
    while (h && --h->refs == 0) {
        struct hnode *p = h->prev;
        slot_unref(c, h->row);
        h->prev = c->free_nodes;
        c->free_nodes = h;
        c->nodes_held--;
        h = p;
    }
}

static struct hnode *node_ref(struct hnode *h)
{
    if (h)
        h->refs++;
    return h;
}

static void mres_clear(struct cep *c, struct mres *m)
{
    node_unref(c, m->h);
    slot_unref(c, m->last);
    memset(m, 0, sizeof *m);
}

static void mres_set(struct cep *c, struct mres *m, struct hnode *h,
                     struct slot *last, int var)
{
    mres_clear(c, m);
    m->h = node_ref(h);
    m->last = last;
    if (last)
        last->refs++;
    m->last_var = (int16_t)var;
}

static void thread_free(struct cep *c, struct thread *t)
{
    node_unref(c, t->h);
    slot_unref(c, t->last);
}

/* ---- keys ---- */

static void activate(struct cep *c, struct key *k)
{
    if (k->active)
        return;
    if (c->nactive == c->actcap) {
        c->actcap = c->actcap ? 2 * c->actcap : 64;
        c->active =
            mem_realloc(c->active, (size_t)c->actcap * sizeof *c->active);
    }
    c->active[c->nactive++] = k;
    k->active = true;
}

/* The key of row `row` as bytes (type, then the value) in c->keybuf. */
static void key_bytes(struct cep *c, const struct row_batch *b, int row)
{
    size_t need = 0;
    for (int i = 0; i < c->o.nkeys; i++) {
        const struct row_column *col = &b->columns[c->o.keys[i]];
        need += 1 + 8 +
                (col->type == SCHEMA_STRING && !col->nulls[row]
                     ? col->data.str[row].len
                     : 0);
    }
    buf_reset(&c->keybuf);
    uint8_t *p = buf_extend(&c->keybuf, need), *p0 = p;
    for (int i = 0; i < c->o.nkeys; i++) {
        const struct row_column *col = &b->columns[c->o.keys[i]];
        if (col->nulls[row] || col->type == SCHEMA_NULL) {
            *p++ = SCHEMA_NULL;
            continue;
        }
        *p++ = (uint8_t)col->type;
        switch (col->type) {
        case SCHEMA_BOOLEAN:
            *p++ = col->data.b[row] != 0;
            break;
        case SCHEMA_INT:
            memcpy(p, &col->data.i32[row], 4);
            p += 4;
            break;
        case SCHEMA_STRING: {
            uint32_t n = col->data.str[row].len;
            memcpy(p, &n, 4);
            if (n)
                memcpy(p + 4, col->data.str[row].ptr, n);
            p += 4 + n;
            break;
        }
        default:
            memcpy(p, &col->data.i64[row], 8);
            p += 8;
            break;
        }
    }
    c->keybuf.len = (size_t)(p - p0);
}

/* The key's values, read back from its bytes. */
static void key_values(struct cep *c, struct key *k)
{
    const uint8_t *p = k->kbytes;
    for (int i = 0; i < c->o.nkeys; i++) {
        struct value v = value_null();
        uint8_t t = *p++;
        v.type = (enum schema_type)t;
        switch (t) {
        case SCHEMA_NULL:
            break;
        case SCHEMA_BOOLEAN:
            v.u.b = *p++ != 0;
            break;
        case SCHEMA_INT:
            memcpy(&v.u.i32, p, 4);
            p += 4;
            break;
        case SCHEMA_STRING: {
            uint32_t n;
            memcpy(&n, p, 4);
            v.u.str.ptr = (const char *)p + 4;
            v.u.str.len = n;
            p += 4 + n;
            break;
        }
        default:
            memcpy(&v.u.i64, p, 8);
            p += 8;
            break;
        }
        k->keyv[i] = v;
    }
}

static void ktab_grow(struct cep *c)
{
    size_t n = c->kcap ? 2 * c->kcap : 64;
    struct key **t = mem_calloc(n, sizeof *t);
    for (size_t i = 0; i < c->kcap; i++) {
        struct key *k = c->ktab[i];
        if (!k)
            continue;
        size_t j = (size_t)k->hash & (n - 1);
        while (t[j])
            j = (j + 1) & (n - 1);
        t[j] = k;
    }
    mem_free(c->ktab);
    c->key_bytes += (int64_t)((n - c->kcap) * sizeof *t);
    c->ktab = t;
    c->kcap = n;
}

static struct key *key_find(struct cep *c, const struct row_batch *b, int row)
{
    key_bytes(c, b, row);
    const uint8_t *kb = c->keybuf.data;
    uint32_t n = (uint32_t)c->keybuf.len;
    struct key *k = c->klast;
    if (k && k->klen == n && !memcmp(k->kbytes, kb, n))
        return k; /* rows of one key often come together */
    uint64_t h = hashmap_hash(kb, n);
    if (2 * (c->nkeys + 1) > c->kcap)
        ktab_grow(c);
    size_t m = c->kcap - 1, i = (size_t)h & m;
    for (; (k = c->ktab[i]) != NULL; i = (i + 1) & m)
        if (k->hash == h && k->klen == n && !memcmp(k->kbytes, kb, n))
            return c->klast = k;
    k = mem_calloc(1, sizeof *k + n);
    k->hash = h;
    k->klen = n;
    memcpy(k->kbytes, kb, n);
    key_values(c, k);
    c->ktab[i] = k;
    c->nkeys++;
    c->key_bytes += (int64_t)(sizeof *k + n);
    return c->klast = k;
}

static struct attempt *att_at(struct key *k, int64_t aid)
{
    if (aid < k->abase || aid >= k->abase + k->natt)
        return NULL;
    return &k->att[aid & (k->atcap - 1)];
}

static struct attempt *att_push(struct cep *c, struct key *k, int64_t aid,
                                int64_t ts)
{
    if (k->natt == k->atcap) {
        int ncap = k->atcap ? 2 * k->atcap : 16;
        struct attempt *na = mem_alloc((size_t)ncap * sizeof *na);
        for (int i = 0; i < k->natt; i++) {
            int64_t id = k->abase + i;
            na[id & (ncap - 1)] = k->att[id & (k->atcap - 1)];
        }
        mem_free(k->att);
        c->key_bytes += (int64_t)(ncap - k->atcap) * (int64_t)sizeof *na;
        k->att = na;
        k->atcap = ncap;
    }
    if (k->natt == 0)
        k->abase = aid;
    struct attempt *a = &k->att[aid & (k->atcap - 1)];
    memset(a, 0, sizeof *a);
    a->aid = aid;
    a->start_ts = ts;
    k->natt++;
    return a;
}

static void att_pop(struct cep *c, struct key *k)
{
    struct attempt *a = &k->att[k->abase & (k->atcap - 1)];
    mres_clear(c, &a->match);
    mres_clear(c, &a->partial);
    k->abase++;
    k->natt--;
}

/* ---- references ---- */

static struct value slot_value(const struct cep *c, const struct slot *s,
                               int col)
{
    int j = c->vidx[col];
    if (j < 0 || (s->nulls >> j & 1))
        return value_null();
    const uint64_t *w = &s->w[c->woff[j]];
    struct value v = value_null();
    v.type = c->in->columns[col].type;
    switch (v.type) {
    case SCHEMA_STRING:
        memcpy(&v.u.str.ptr, w, sizeof v.u.str.ptr);
        v.u.str.len = (uint32_t)w[1];
        break;
    case SCHEMA_BOOLEAN:
        v.u.b = w[0] != 0;
        break;
    case SCHEMA_INT:
        v.u.i32 = (int32_t)w[0];
        break;
    default: /* BIGINT, TIMESTAMP, DOUBLE: the 8 bytes */
        memcpy(&v.u.i64, w, 8);
        break;
    }
    return v;
}

/* The rows of a match, newest first: the tentative current row (cur, var)
 * when given, then the chain h. */
struct walk {
    struct slot *cur;
    int cur_var;
    struct hnode *h;
};

static bool walk_next(struct walk *w, struct slot **row, int *var)
{
    if (w->cur) {
        *row = w->cur;
        *var = w->cur_var;
        w->cur = NULL;
        return true;
    }
    if (!w->h)
        return false;
    *row = w->h->row;
    *var = w->h->var;
    w->h = w->h->prev;
    return true;
}

static double num(struct value v)
{
    switch (v.type) {
    case SCHEMA_INT:
        return v.u.i32;
    case SCHEMA_DOUBLE:
        return v.u.f64;
    default:
        return (double)v.u.i64;
    }
}

static int cmp_value(struct value a, struct value b)
{
    if (a.type == SCHEMA_STRING) {
        uint32_t n = a.u.str.len < b.u.str.len ? a.u.str.len : b.u.str.len;
        int r = memcmp(a.u.str.ptr, b.u.str.ptr, n);
        if (r)
            return r;
        return a.u.str.len < b.u.str.len ? -1 : a.u.str.len > b.u.str.len;
    }
    double x = num(a), y = num(b);
    if (a.type != SCHEMA_DOUBLE && a.type != SCHEMA_INT)
        return a.u.i64 < b.u.i64 ? -1 : a.u.i64 > b.u.i64;
    return x < y ? -1 : x > y;
}

struct refctx {
    struct slot *cur; /* DEFINE: the current row; NULL for MEASURES */
    int cur_var;
    int last_var; /* MEASURES: the last row's variable */
    struct hnode *h;
    struct key *k;
    int64_t match_number;
    bool timed_out;
    int64_t rowtime;
};

static struct value ref_value(struct cep *c, const struct cep_ref *r,
                              const struct refctx *x)
{
    struct walk w = {x->cur, x->cur_var, x->h};
    struct slot *row;
    int var;
    switch (r->kind) {
    case CEP_REF_PREV:
        if (x->cur) {
            if (r->offset == 0)
                return slot_value(c, x->cur, r->column);
            if (r->offset > x->k->nring)
                return value_null();
            int i = (x->k->rhead - r->offset + c->maxprev) % c->maxprev;
            return slot_value(c, x->k->ring[i], r->column);
        }
        for (int i = 0; walk_next(&w, &row, &var); i++)
            if (i == r->offset)
                return slot_value(c, row, r->column);
        return value_null();
    case CEP_REF_LAST: {
        int n = 0;
        while (walk_next(&w, &row, &var))
            if (r->var < 0 || var == r->var) {
                if (n++ == r->offset)
                    return slot_value(c, row, r->column);
            }
        return value_null();
    }
    case CEP_REF_FIRST: {
        int m = 0;
        while (walk_next(&w, &row, &var))
            m += r->var < 0 || var == r->var;
        if (r->offset >= m)
            return value_null();
        int target = m - 1 - r->offset, n = 0;
        w = (struct walk){x->cur, x->cur_var, x->h};
        while (walk_next(&w, &row, &var))
            if (r->var < 0 || var == r->var) {
                if (n++ == target)
                    return slot_value(c, row, r->column);
            }
        return value_null();
    }
    case CEP_REF_AGG: {
        int64_t cnt = 0, isum = 0;
        double dsum = 0;
        struct value best = value_null();
        while (walk_next(&w, &row, &var)) {
            if (r->var >= 0 && var != r->var)
                continue;
            if (r->agg == AGG_COUNT_STAR) {
                cnt++;
                continue;
            }
            struct value v = slot_value(c, row, r->column);
            if (v.type == SCHEMA_NULL)
                continue;
            cnt++;
            if (r->agg == AGG_MIN || r->agg == AGG_MAX) {
                int k = best.type == SCHEMA_NULL ? 0 : cmp_value(v, best);
                if (best.type == SCHEMA_NULL ||
                    (r->agg == AGG_MIN ? k < 0 : k > 0))
                    best = v;
            } else if (v.type == SCHEMA_DOUBLE) {
                dsum += v.u.f64;
            } else {
                isum += v.type == SCHEMA_INT ? v.u.i32 : v.u.i64;
                dsum += num(v);
            }
        }
        switch (r->agg) {
        case AGG_COUNT_STAR:
        case AGG_COUNT:
            return value_bigint(cnt);
        case AGG_SUM:
            if (!cnt)
                return value_null();
            if (c->in->columns[r->column].type == SCHEMA_DOUBLE)
                return value_double(dsum);
            return value_bigint(isum);
        case AGG_AVG:
            return cnt ? value_double(dsum / (double)cnt) : value_null();
        default:
            return best;
        }
    }
    case CEP_REF_CLASSIFIER:
        var = x->cur ? x->cur_var : x->last_var;
        if (var < 0 || var >= c->nvars)
            return value_null();
        return value_string(c->vars[var], (uint32_t)strlen(c->vars[var]));
    case CEP_REF_MATCH_NUMBER:
        return value_bigint(x->match_number);
    case CEP_REF_MATCH_ROWTIME:
        return value_timestamp(x->rowtime);
    case CEP_REF_TIMED_OUT:
        return value_bool(x->timed_out);
    }
    return value_null();
}

/* Row j of batch b (an evaluation schema of scope s) for ctx x; base: the
 * row whose input columns fill the first columns. Strings are copied into
 * the batch when copy is set (measures outlive the rows they came from). */
static void fill_row(struct cep *c, int s, struct row_batch *b,
                     const struct slot *base, const struct refctx *x, bool copy)
{
    struct value vals[SCHEMA_MAX_COLUMNS];
    for (int i = 0; i < c->nin; i++) {
        vals[i] = c->vidx[i] >= 0     ? slot_value(c, base, i)
                  : c->keyidx[i] >= 0 ? x->k->keyv[c->keyidx[i]]
                                      : value_null();
    }
    for (int i = 0; i < c->nrefs[s]; i++) {
        struct value v = ref_value(c, &c->refs[s][i], x);
        if (v.type != SCHEMA_NULL && v.type != c->rtype[s][i]) {
            /* INT column values of a BIGINT aggregate, etc. */
            enum schema_type t = c->rtype[s][i];
            if (t == SCHEMA_BIGINT)
                v = value_bigint(v.type == SCHEMA_INT ? v.u.i32 : v.u.i64);
            else if (t == SCHEMA_DOUBLE)
                v = value_double(num(v));
        }
        vals[c->nin + i] = v;
    }
    struct row_meta m = {.event_ts = x->rowtime,
                         .offset = -1,
                         .record_ts = -1,
                         .partition = base->partition,
                         .watermark = c->wm};
    row_batch_append(b, vals, &m, copy);
}

/* ---- output ---- */

static int flush_out(struct cep *c)
{
    if (!c->outb || !c->outb->nrows)
        return 0;
    int rc = operator_emit(c->op, c->outb);
    row_batch_reset(c->outb);
    return rc;
}

/* Evaluates the measures over the pending measure rows into outb. */
static int run_measures(struct cep *c)
{
    struct row_batch *m = c->meab;
    if (!m || !m->nrows)
        return 0;
    struct expr_result res[SCHEMA_MAX_COLUMNS];
    for (int i = 0; i < c->nmeasures; i++) {
        int rc = expr_eval(c->mea_ctx, c->measure[i], m, &res[i]);
        if (rc)
            return rc;
    }
    int rc = 0;
    for (int r = 0; r < m->nrows && !rc; r++) {
        struct value vals[SCHEMA_MAX_COLUMNS];
        for (int k = 0; k < c->nlead; k++)
            vals[k] = row_batch_get(m, r, c->lead[k]);
        for (int i = 0; i < c->nmeasures; i++) {
            struct value v = expr_result_get(&res[i], r);
            vals[c->nlead + i] = v;
        }
        if (row_batch_full(c->outb) && (rc = flush_out(c)))
            break;
        int at = row_batch_append(c->outb, vals, &m->meta[r], true);
        if (at < 0)
            rc = at;
    }
    row_batch_reset(m);
    expr_ctx_reset(c->mea_ctx);
    if (!rc)
        rc = flush_out(c);
    return rc;
}

static int emit_row(struct cep *c, struct key *k, const struct mres *r,
                    bool timed_out, int64_t rowtime)
{
    if (!c->meab)
        return 0;
    if (row_batch_full(c->meab)) {
        int rc = run_measures(c);
        if (rc)
            return rc;
    }
    k->match_number++;
    struct refctx x = {.h = r->h,
                       .k = k,
                       .cur_var = -1,
                       .last_var = r->last_var,
                       .match_number = k->match_number,
                       .timed_out = timed_out,
                       .rowtime = rowtime};
    if (c->o.all_rows && r->h) {
        /* a row per matched row, oldest first, its measures over the
         * rows up to it (RUNNING semantics; every row is kept) */
        int n = r->h->len;
        if (n > c->nchain) {
            c->chain = mem_realloc(c->chain, (size_t)n * sizeof *c->chain);
            c->nchain = n;
        }
        int i = n;
        for (struct hnode *h = r->h; h && i > 0; h = h->prev)
            c->chain[--i] = h;
        for (i = 0; i < n; i++) {
            if (row_batch_full(c->meab)) {
                int rc = run_measures(c);
                if (rc)
                    return rc;
            }
            x.h = c->chain[i];
            x.last_var = c->chain[i]->var;
            fill_row(c, 1, c->meab, c->chain[i]->row, &x, true);
        }
    } else {
        fill_row(c, 1, c->meab, r->last, &x, true);
    }
    if (timed_out)
        c->st.timeouts++;
    else
        c->st.matches++;
    return 0;
}

/* ---- the matcher ---- */

static int fail_limit(struct cep *c, const char *what, int64_t limit,
                      const char *setting)
{
    diag_error("MATCH_RECOGNIZE: more than %" PRId64 " %s; the query stops "
               "(SET '%s' raises the limit; WITHIN or stricter DEFINEs end "
               "partial matches sooner)",
               limit, what, setting);
    c->rc = ERR_TOO_LARGE;
    return ERR_TOO_LARGE;
}

static void nx_add(struct cep *c, int pc, int64_t aid, struct hnode *h,
                   struct slot *last, int last_var)
{
    if (c->nnx == c->nxcap) {
        c->nxcap = c->nxcap ? 2 * c->nxcap : 64;
        c->nx = mem_realloc(c->nx, (size_t)c->nxcap * sizeof *c->nx);
    }
    if (last)
        last->refs++;
    c->nx[c->nnx++] =
        (struct thread){pc, (int16_t)last_var, aid, node_ref(h), last};
}

static bool same_history(const struct hnode *a, const struct hnode *b)
{
    for (; a && b; a = a->prev, b = b->prev) {
        if (a == b)
            return true;
        if (a->var != b->var || a->row != b->row)
            return false;
    }
    return a == b;
}

/* Whether a thread at pc with history h (attempt aid) was already added
 * in this step; records it if not. Threads with equal histories at one
 * instruction have equal futures: the first (preferred) one is kept. */
static bool seen_history(struct cep *c, int pc, int64_t aid, struct hnode *h)
{
    if (c->hstamp != c->stamp0) {
        c->hused = 0;
        c->hstamp = c->stamp0;
    }
    if (2 * (c->hused + 1) > c->hcap) {
        /* entries of this step are lost: a duplicate may survive, which
         * costs work, never a wrong result */
        size_t n = c->hcap ? 2 * c->hcap : 256;
        mem_free(c->htab);
        mem_free(c->chain);
        c->htab = mem_calloc(n, sizeof *c->htab);
        c->hcap = n;
        c->hused = 0;
    }
    uint64_t k = (h->hash ^ (uint64_t)pc * 0x9e3779b97f4a7c15u) ^ (uint64_t)aid;
    size_t m = c->hcap - 1;
    for (size_t i = (size_t)k & m;; i = (i + 1) & m) {
        struct hslot *e = &c->htab[i];
        if (e->stamp != c->stamp0) {
            *e = (struct hslot){c->stamp0, k, aid, pc, h};
            c->hused++;
            return false;
        }
        if (e->hash == k && e->pc == pc && e->aid == aid &&
            same_history(e->h, h))
            return true;
    }
}

/* Follows the empty transitions from pc for attempt a with history h,
 * adding threads at VAR instructions to nx in preference order; a MATCH
 * records the match (h non-NULL) and cuts the rest. */
static void closure(struct cep *c, int pc, struct attempt *a, struct hnode *h,
                    struct slot *last, int last_var)
{
    const struct cep_inst *in = c->prog.inst;
    uint64_t cl = ++c->stamp; /* visited mark of this closure */
    int sp = 0;
    c->stack[sp++] = pc;
    while (sp) {
        pc = c->stack[--sp];
        if (a->cut == c->stamp0)
            return;
        if (c->dedup) {
            if (c->seen[pc] == c->stamp0 &&
                (c->dedup_across || c->seen_aid[pc] == a->aid))
                continue;
            c->seen[pc] = c->stamp0;
            c->seen_aid[pc] = a->aid;
        }
        if (c->visit[pc] == cl)
            continue;
        c->visit[pc] = cl;
        switch (in[pc].op) {
        case CEP_OP_VAR:
            if (c->dedup_history && h && seen_history(c, pc, a->aid, h))
                break;
            nx_add(c, pc, a->aid, h, last, last_var);
            a->live++;
            break;
        case CEP_OP_JMP:
            c->stack[sp++] = in[pc].x;
            break;
        case CEP_OP_SPLIT:
            c->stack[sp++] = in[pc].y;
            c->stack[sp++] = in[pc].x;
            break;
        case CEP_OP_MATCH:
            if (!last)
                break;
            mres_set(c, &a->match, h, last, last_var);
            a->cut = c->stamp0;
            return;
        }
    }
}

static void ensure_th(struct cep *c, struct key *k, int n)
{
    if (n <= k->thcap)
        return;
    int cap = k->thcap ? k->thcap : 8;
    while (cap < n)
        cap *= 2;
    k->th = mem_realloc(k->th, (size_t)cap * sizeof *k->th);
    c->key_bytes += (int64_t)(cap - k->thcap) * (int64_t)sizeof *k->th;
    k->thcap = cap;
}

/* Appends nx to the key's threads (replace: instead of them). */
static void take_nx(struct cep *c, struct key *k, bool replace)
{
    int base = replace ? 0 : k->nth;
    ensure_th(c, k, base + c->nnx);
    c->nthreads += base + c->nnx - k->nth;
    if (c->nnx)
        memcpy(k->th + base, c->nx, (size_t)c->nnx * sizeof *c->nx);
    k->nth = base + c->nnx;
    c->nnx = 0;
}

/* Kills the threads of attempts before aid `before`. */
static void kill_before(struct cep *c, struct key *k, int64_t before)
{
    int n = 0;
    for (int i = 0; i < k->nth; i++) {
        if (k->th[i].aid < before) {
            thread_free(c, &k->th[i]);
            c->nthreads--;
            continue;
        }
        k->th[n++] = k->th[i];
    }
    k->nth = n;
}

/* Attempts started at or before `bound` - within (every one at the end of
 * input) can no longer complete: their threads die; with TIMEOUT ROWS the
 * preferred partial match of one without a match is kept to be emitted. */
static void expire(struct cep *c, struct key *k, int64_t bound, bool end)
{
    if (!k->natt)
        return;
    int64_t upto = k->abase;
    for (; upto < k->abase + k->natt; upto++) {
        struct attempt *a = att_at(k, upto);
        bool dead = end;
        if (c->o.within_ms > 0 && a->start_ts <= bound - c->o.within_ms)
            dead = true;
        if (!dead)
            break;
        if (a->expired)
            continue;
        a->expired = true;
        /* the end of a bounded input is not a timeout: nobody knows
         * whether the row that would have ended it was coming */
        if (a->live && !a->match.last && !end && c->o.timeout_rows &&
            c->o.within_ms > 0)
            for (int i = 0; i < k->nth; i++)
                if (k->th[i].aid == a->aid) {
                    if (k->th[i].last)
                        mres_set(c, &a->partial, k->th[i].h, k->th[i].last,
                                 k->th[i].last_var);
                    break;
                }
        a->live = 0;
    }
    if (upto > k->abase)
        kill_before(c, k, upto);
}

static int64_t skip_resume(struct cep *c, const struct attempt *a,
                           const struct mres *m)
{
    const struct hnode *h = m->h;
    int64_t r = m->last->seq + 1;
    const struct hnode *p;
    switch (c->o.skip) {
    case CEP_SKIP_PAST_LAST_ROW:
        break;
    case CEP_SKIP_TO_NEXT_ROW:
        r = a->aid + 1;
        break;
    case CEP_SKIP_TO_FIRST:
        r = a->aid + 1;
        for (p = h; p; p = p->prev)
            if (p->var == c->o.skip_var)
                r = p->row->seq;
        break;
    case CEP_SKIP_TO_LAST:
        r = a->aid + 1;
        for (p = h; p; p = p->prev)
            if (p->var == c->o.skip_var) {
                r = p->row->seq;
                break;
            }
        break;
    }
    return r > a->aid ? r : a->aid + 1;
}

/* Emits resolved attempts from the front. */
static int resolve(struct cep *c, struct key *k)
{
    while (k->natt) {
        struct attempt *a = att_at(k, k->abase);
        if (a->live > 0)
            break;
        bool matched = a->match.last != NULL;
        struct mres *h = matched ? &a->match : &a->partial;
        if (!h->last) {
            att_pop(c, k);
            continue;
        }
        int64_t rowtime =
            matched ? h->last->ts : a->start_ts + c->o.within_ms - 1;
        int rc = emit_row(c, k, h, !matched, rowtime);
        if (rc)
            return rc;
        int64_t resume = skip_resume(c, a, h);
        kill_before(c, k, resume);
        while (k->natt && k->abase < resume)
            att_pop(c, k);
    }
    return 0;
}

/* DEFINE conditions that navigate the match, for every thread of k on
 * row s: gres[i] for thread i. */
static int eval_general(struct cep *c, struct key *k, struct slot *s)
{
    if (!c->navigates)
        return 0;
    if (k->nth > c->gcap) {
        c->gcap = k->nth * 2;
        c->gres = mem_realloc(c->gres, (size_t)c->gcap);
    }
    int i = 0;
    while (i < k->nth) {
        int from = i;
        struct row_batch *b = c->defb;
        for (; i < k->nth && !row_batch_full(b); i++) {
            int v = c->prog.inst[k->th[i].pc].var;
            c->gres[i] = 0;
            if (!c->general[v] || !(s->bits >> v & 1))
                continue;
            struct refctx x = {.cur = s,
                               .cur_var = v,
                               .h = k->th[i].h,
                               .k = k,
                               .rowtime = s->ts};
            fill_row(c, 0, b, s, &x, false);
            c->gmap[b->nrows - 1] = i;
        }
        (void)from;
        uint32_t done = 0;
        for (int j = 0; j < b->nrows; j++) {
            int v = c->prog.inst[k->th[c->gmap[j]].pc].var;
            if (done & (1u << v))
                continue;
            done |= 1u << v;
            struct expr_result r;
            int rc = expr_eval(c->def_ctx, c->general[v], b, &r);
            if (rc)
                return rc;
            for (int q = j; q < b->nrows; q++) {
                int t = c->gmap[q];
                if (c->prog.inst[k->th[t].pc].var != v)
                    continue;
                c->gres[t] = r.col->nulls[q] == 0 && r.col->data.b[q];
            }
        }
        row_batch_reset(b);
        expr_ctx_reset(c->def_ctx);
    }
    return 0;
}

static void ring_push(struct cep *c, struct key *k, struct slot *s)
{
    if (!c->maxprev)
        return;
    if (!k->ring)
        k->ring = mem_calloc((size_t)c->maxprev, sizeof *k->ring);
    struct slot **r = &k->ring[k->rhead];
    if (k->nring == c->maxprev)
        slot_unref(c, *r);
    else
        k->nring++;
    *r = s;
    s->refs++;
    k->rhead = (k->rhead + 1) % c->maxprev;
}

static int process_row(struct cep *c, struct key *k, struct slot *s)
{
    s->seq = k->nrows++;
    bool starts = (s->bits & c->start_mask) != 0;
    if (!starts && !k->nth) {
        /* nothing to continue, nothing to start: (no attempt is open
         * either: resolve pops the ones without threads) */
        ring_push(c, k, s);
        return 0;
    }
    if (c->o.within_ms > 0)
        expire(c, k, s->ts, false);
    /* a new attempt at s: its first threads, after every other */
    c->stamp0 = ++c->stamp;
    if (c->dedup)
        for (int i = 0; i < k->nth; i++) {
            c->seen[k->th[i].pc] = c->stamp0;
            c->seen_aid[k->th[i].pc] = k->th[i].aid;
        }
    struct attempt *a = att_push(c, k, s->seq, s->ts);
    c->nnx = 0;
    if (starts)
        closure(c, 0, a, NULL, NULL, -1);
    take_nx(c, k, false);
    int rc = eval_general(c, k, s);
    if (rc)
        return rc;
    /* the step */
    c->stamp0 = ++c->stamp;
    c->nnx = 0;
    for (int i = 0; i < k->nth; i++) {
        struct thread t = k->th[i];
        a = att_at(k, t.aid);
        a->live--;
        int v = c->prog.inst[t.pc].var;
        bool ok = a->cut != c->stamp0 && (s->bits >> v & 1) &&
                  (!c->general[v] || c->gres[i]);
        if (!ok) {
            thread_free(c, &t);
            continue;
        }
        struct hnode *h = t.h;
        if (c->keep >> v & 1)
            h = node_new(c, s, v, t.h); /* takes the thread's reference */
        closure(c, t.pc + 1, a, h, s, v);
        node_unref(c, h);
        slot_unref(c, t.last);
    }
    take_nx(c, k, true);
    if (k->nth > c->o.max_partial)
        return fail_limit(c, "partial matches for one key", c->o.max_partial,
                          "match.max-partial-matches");
    ring_push(c, k, s);
    return resolve(c, k);
}

/* ---- the operator ---- */

struct cep_opnode {
    struct operator_node base;
    struct cep *c;
};

static void store_row(struct cep *c, struct slot *s, const struct row_batch *b,
                      int row)
{
    size_t total = 0;
    uint64_t nulls = 0;
    for (int j = 0; j < c->nstored; j++) {
        const struct row_column *col = &b->columns[c->stored[j]];
        uint64_t *w = &s->w[c->woff[j]];
        if (col->nulls[row] || col->type == SCHEMA_NULL) {
            nulls |= (uint64_t)1 << j;
            continue;
        }
        switch (col->type) {
        case SCHEMA_BOOLEAN:
            w[0] = col->data.b[row] != 0;
            break;
        case SCHEMA_INT:
            w[0] = (uint64_t)(int64_t)col->data.i32[row];
            break;
        case SCHEMA_STRING:
            total += col->data.str[row].len;
            w[1] = col->data.str[row].len;
            break;
        default: /* the 8 bytes of an int64 or a double */
            memcpy(w, &col->data.i64[row], 8);
            break;
        }
    }
    s->nulls = nulls;
    if (!c->stored_strings)
        return;
    char *dst = (char *)&s->w[c->nwords];
    if (total > SLOT_INLINE)
        dst = s->overflow = mem_alloc(total);
    for (int j = 0; j < c->nstored; j++) {
        const struct row_column *col = &b->columns[c->stored[j]];
        if (col->type != SCHEMA_STRING || (nulls >> j & 1))
            continue;
        uint64_t *w = &s->w[c->woff[j]];
        const char *p = dst;
        if (w[1]) {
            memcpy(dst, col->data.str[row].ptr, w[1]);
            dst += w[1];
        }
        memcpy(w, &p, sizeof p);
    }
}

static void late_row(struct cep *c, const struct row_batch *in, int row)
{
    c->st.rows_late++;
    int p = in->meta[row].partition;
    if (p >= 0 && p < 1 << 20) {
        if (p >= c->nlate_part) {
            int n = p + 1;
            c->late_part =
                mem_realloc(c->late_part, (size_t)n * sizeof *c->late_part);
            memset(c->late_part + c->nlate_part, 0,
                   (size_t)(n - c->nlate_part) * sizeof *c->late_part);
            c->nlate_part = n;
        }
        c->late_part[p]++;
    }
    if (c->o.late)
        c->o.late(c->o.late_arg, in, row);
}

static int cep_push(struct operator_node *op, const struct row_batch *in)
{
    struct cep *c = ((struct cep_opnode *)op)->c;
    if (c->rc)
        return c->rc;
    int n = in->nrows;
    uint32_t *bits = c->lbits;
    for (int i = 0; i < n; i++)
        bits[i] = c->always; /* the variables without a local part */
    if (c->local_ctx) {
        for (int v = 0; v < c->nvars; v++) {
            if (!c->local[v])
                continue;
            if (c->local_same[v] >= 0) {
                /* the same condition as an earlier variable's */
                uint32_t u = (uint32_t)c->local_same[v];
                for (int i = 0; i < n; i++)
                    bits[i] |= (bits[i] >> u & 1) << v;
                continue;
            }
            struct expr_result r;
            int rc = expr_eval(c->local_ctx, c->local[v], in, &r);
            if (rc)
                return rc;
            for (int i = 0; i < n; i++)
                if (!r.col->nulls[i] && r.col->data.b[i])
                    bits[i] |= 1u << v;
        }
        expr_ctx_reset(c->local_ctx);
    }
    int64_t lateness = c->o.allowed_lateness_ms;
    for (int i = 0; i < n; i++) {
        int64_t ts = in->meta[i].event_ts;
        /* the watermark the row saw (record by record, as windows) */
        int64_t wm =
            in->meta[i].watermark > c->wm ? in->meta[i].watermark : c->wm;
        if (wm != INT64_MIN && ts <= wm - lateness) {
            late_row(c, in, i);
            continue;
        }
        struct key *k = key_find(c, in, i);
        /* the pool's rows are cold (freed without being touched): fetch
         * the ones the next rows take while this one is stored */
        if (c->nfree > 8)
            __builtin_prefetch(c->free_slots[c->nfree - 8], 1, 3);
        struct slot *s = slot_get(c);
        s->ts = ts;
        s->partition = in->meta[i].partition;
        s->bits = bits[i];
        store_row(c, s, in, i);
        if (k->npend == k->pcap) {
            if (k->phead > 0) {
                memmove(k->pend, k->pend + k->phead,
                        (size_t)(k->npend - k->phead) * sizeof *k->pend);
                k->npend -= k->phead;
                k->phead = 0;
            } else {
                int ncap = k->pcap ? 2 * k->pcap : 8;
                c->key_bytes +=
                    (int64_t)(ncap - k->pcap) * (int64_t)sizeof(struct pend);
                k->pcap = ncap;
                k->pend =
                    mem_realloc(k->pend, (size_t)k->pcap * sizeof *k->pend);
            }
        }
        int at = k->npend;
        while (at > k->phead && k->pend[at - 1].ts > ts) {
            k->pend[at] = k->pend[at - 1];
            at--;
        }
        k->pend[at] = (struct pend){ts, s, s->bits, s->overflow != NULL};
        k->npend++;
        if (at == k->phead)
            k->next_ts = ts;
        activate(c, k);
        c->st.rows_in++;
    }
    if (c->rows_held > c->o.max_rows)
        return fail_limit(c, "rows held (pending or in partial matches)",
                          c->o.max_rows, "match.max-rows");
    return 0;
}

static int cep_advance(struct operator_node *op, int64_t wm)
{
    struct cep *c = ((struct cep_opnode *)op)->c;
    if (c->rc)
        return c->rc;
    if (wm <= c->wm)
        return 0;
    c->wm = wm;
    bool end = wm == INT64_MAX;
    int64_t lat = c->o.allowed_lateness_ms;
    int64_t rel =
        end ? INT64_MAX : (wm < INT64_MIN + lat ? INT64_MIN : wm - lat);
    int rc = 0;
    for (int i = 0; i < c->nactive && !rc; i++) {
        struct key *k = c->active[i];
        if (k->phead < k->npend && k->next_ts <= rel) {
            while (!rc && k->phead < k->npend && k->pend[k->phead].ts <= rel) {
                const struct pend *pe = &k->pend[k->phead++];
                if (!(pe->bits & c->start_mask) && !k->nth && !c->maxprev &&
                    !pe->overflow) {
                    /* nothing to continue, nothing to start, no PREV: the
                     * row goes back to the pool untouched (only the
                     * pending list refers to it) */
                    k->nrows++;
                    slot_put(c, pe->row);
                    c->rows_held--;
                    continue;
                }
                struct slot *s = pe->row;
                rc = process_row(c, k, s);
                slot_unref(c, s);
            }
            if (k->phead == k->npend)
                k->phead = k->npend = 0;
            else
                k->next_ts = k->pend[k->phead].ts;
        }
        if (!rc && (end || c->o.within_ms > 0) && k->natt) {
            /* the next row of this key is after rel: attempts whose
             * deadline is at or before rel + 1 can no longer end well */
            expire(c, k, rel == INT64_MAX ? INT64_MAX : rel + 1, end);
            rc = resolve(c, k);
        }
    }
    int n = 0;
    for (int i = 0; i < c->nactive; i++) {
        struct key *k = c->active[i];
        if (k->npend || k->natt || k->nth)
            c->active[n++] = k;
        else
            k->active = false;
    }
    c->nactive = n;
    if (!rc)
        rc = run_measures(c);
    if (rc && !c->rc)
        c->rc = rc;
    return rc;
}

static int cep_flush(struct operator_node *op)
{
    struct cep *c = ((struct cep_opnode *)op)->c;
    int rc = run_measures(c);
    return rc ? rc : flush_out(c);
}

static void key_free(struct cep *c, struct key *k)
{
    for (int i = k->phead; i < k->npend; i++)
        slot_unref(c, k->pend[i].row);
    for (int i = 0; i < k->nth; i++)
        thread_free(c, &k->th[i]);
    while (k->natt)
        att_pop(c, k);
    for (int i = 0; i < k->nring; i++)
        slot_unref(c, k->ring[i]);
    mem_free(k->ring);
    mem_free(k->pend);
    mem_free(k->th);
    mem_free(k->att);
    mem_free(k);
}

void cep_destroy(struct cep *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->kcap; i++)
        if (c->ktab[i])
            key_free(c, c->ktab[i]);
    mem_free(c->ktab);
    for (int i = 0; i < c->nslabs; i++)
        mem_free(c->slabs[i]);
    mem_free(c->slabs);
    mem_free(c->free_slots);
    mem_free(c->active);
    mem_free(c->nx);
    mem_free(c->stack);
    mem_free(c->seen);
    mem_free(c->seen_aid);
    mem_free(c->visit);
    mem_free(c->htab);
    mem_free(c->gres);
    mem_free(c->gmap);
    mem_free(c->lbits);
    mem_free(c->late_part);
    buf_fini(&c->keybuf);
    row_batch_destroy(c->defb);
    row_batch_destroy(c->meab);
    row_batch_destroy(c->outb);
    expr_ctx_destroy(c->local_ctx);
    expr_ctx_destroy(c->def_ctx);
    expr_ctx_destroy(c->mea_ctx);
    cep_program_fini(&c->prog);
    mem_free(c);
}

static void cep_op_destroy(struct operator_node *op)
{
    cep_destroy(((struct cep_opnode *)op)->c);
    mem_free(op);
}

/* State: the rows held (pending or in partial matches) and the bytes of
 * everything per key (cep_stats). */
static void cep_state(const struct operator_node *op,
                      struct operator_state *out)
{
    struct cep_stats st;
    cep_stats(((const struct cep_opnode *)op)->c, &st);
    out->entries = st.rows_buffered;
    out->bytes = st.state_bytes;
}

static const struct operator_ops cep_ops = {.name = "match_recognize",
                                            .push = cep_push,
                                            .advance = cep_advance,
                                            .flush = cep_flush,
                                            .destroy = cep_op_destroy,
                                            .state = cep_state};

int operator_cep_create(struct cep *c, struct operator_node **out)
{
    if (!c->prog.n || !c->meab) {
        cep_destroy(c);
        return ERR_INVALID;
    }
    int n = c->prog.n;
    c->stack = mem_alloc((size_t)(2 * n + 4) * sizeof *c->stack);
    c->seen = mem_calloc((size_t)n, sizeof *c->seen);
    c->seen_aid = mem_calloc((size_t)n, sizeof *c->seen_aid);
    c->visit = mem_calloc((size_t)n, sizeof *c->visit);
    c->gmap = mem_alloc((size_t)c->capacity * sizeof *c->gmap);
    c->lbits = mem_alloc((size_t)ROW_BATCH_MAX_CAPACITY * sizeof *c->lbits);
    /* invariant 5: the future of a thread depends on its instruction and
     * on what its DEFINEs read: the match's rows but not their variables
     * (merge within an attempt: same start, same rows), or the variables
     * too (merge equal histories only). Never across attempts: a later
     * attempt's thread merged into an earlier one's would be lost when a
     * third, earlier match skips past the earlier attempt only. */
    /* the variables a match can start with: VARs reachable from 0 */
    {
        int sp = 0;
        c->stack[sp++] = 0;
        while (sp) {
            int pc = c->stack[--sp];
            if (c->visit[pc])
                continue;
            c->visit[pc] = 1;
            const struct cep_inst *in = &c->prog.inst[pc];
            if (in->op == CEP_OP_VAR) {
                c->start_mask |= 1u << in->var;
            } else if (in->op == CEP_OP_JMP) {
                c->stack[sp++] = in->x;
            } else if (in->op == CEP_OP_SPLIT) {
                c->stack[sp++] = in->y;
                c->stack[sp++] = in->x;
            }
        }
        memset(c->visit, 0, (size_t)n * sizeof *c->visit);
        c->stamp = 1;
    }
    /* invariant 6: the variables whose rows are kept as nodes */
    c->keep = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < c->nrefs[s]; i++) {
            const struct cep_ref *r = &c->refs[s][i];
            bool rows = r->kind == CEP_REF_FIRST || r->kind == CEP_REF_LAST ||
                        r->kind == CEP_REF_AGG ||
                        (r->kind == CEP_REF_PREV && s == 1);
            if (rows && (r->var < 0 || r->kind == CEP_REF_PREV))
                c->keep = ~0u;
            else if (rows)
                c->keep |= 1u << r->var;
        }
    if (c->o.skip == CEP_SKIP_TO_FIRST || c->o.skip == CEP_SKIP_TO_LAST)
        c->keep |= 1u << c->o.skip_var;
    if (c->o.all_rows)
        c->keep = ~0u;
    /* the columns a row keeps: what navigations, the navigating DEFINEs
     * and the MEASURES read (PARTITION BY columns come from the key);
     * every column for ALL ROWS PER MATCH */
    uint64_t need = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < c->nrefs[s]; i++)
            if (c->refs[s][i].column >= 0 && c->refs[s][i].column < 64)
                need |= (uint64_t)1 << c->refs[s][i].column;
    for (int v = 0; v < c->nvars; v++)
        need |= expr_columns_read(c->general[v]);
    for (int i = 0; i < c->nmeasures; i++)
        need |= expr_columns_read(c->measure[i]);
    for (int i = 0; i < c->nin; i++)
        c->keyidx[i] = -1;
    if (!c->o.all_rows)
        for (int k = 0; k < c->o.nkeys; k++)
            c->keyidx[c->o.keys[k]] = k;
    c->nstored = 0;
    c->stored_strings = false;
    for (int i = 0; i < c->nin; i++) {
        c->vidx[i] = -1;
        bool keyed = c->keyidx[i] >= 0 && !(need >> i & 1);
        if (!c->o.all_rows && (keyed || !(need >> i & 1)))
            continue;
        c->vidx[i] = c->nstored;
        c->woff[c->nstored] = c->nwords;
        c->stored[c->nstored++] = i;
        c->nwords++;
        if (c->in->columns[i].type == SCHEMA_STRING) {
            c->stored_strings = true;
            c->nwords++;
        }
    }
    c->slot_size = sizeof(struct slot) + (size_t)c->nwords * 8 +
                   (c->stored_strings ? SLOT_INLINE : 0);
    /* whole cache lines: a row touches as few as it can */
    c->slot_size = (c->slot_size + 63) & ~(size_t)63;
    c->dedup = !c->label_refs;
    c->dedup_history = c->label_refs;
    c->dedup_across = false;
    struct cep_opnode *o = mem_calloc(1, sizeof *o);
    o->base.ops = &cep_ops;
    o->base.out_schema = &c->out_schema;
    o->base.watermark = INT64_MIN;
    o->c = c;
    c->op = &o->base;
    *out = &o->base;
    return 0;
}

void cep_stats(const struct cep *c, struct cep_stats *out)
{
    *out = c->st;
    out->partial_matches = (uint64_t)c->nthreads;
    out->rows_buffered = (uint64_t)c->rows_held;
    out->keys = c->nkeys;
    out->state_bytes = (uint64_t)c->key_bytes +
                       (uint64_t)c->rows_held * c->slot_size +
                       c->nodes_held * sizeof(struct hnode);
}

uint64_t cep_late_count(const struct cep *c, int partition)
{
    return partition >= 0 && partition < c->nlate_part ? c->late_part[partition]
                                                       : 0;
}
