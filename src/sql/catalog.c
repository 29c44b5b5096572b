/* catalog.c - the SQL catalog kept in <data>/_catalog/catalog (layer: sql).
 *
 * Holds streams, tables and persistent queries in memory (sorted arrays:
 * a catalog has tens of entries, not millions) and rewrites the whole file
 * atomically after each change. It does not validate SQL: sql_exec.c does.
 *
 * File format (text, one record a line, UTF-8):
 *
 *   rill-catalog 1
 *   next_query N
 *   relation name=.. kind=STREAM|TABLE created=MS topic=.. format=..
 *            partitions=N [key=..] [time=..] delay=MS [watermark=..] [query=..]
 *   column name=.. type=<schema type> sql=<declared type> nullable=0|1
 * [path=..] option key=.. value=..                       (belongs to the
 * relation above) query id=.. kind=.. state=RUNNING|STOPPED created=MS sink=..
 * sql=.. [error=..] input name=..                                 (belongs to
 * the query above) setting key=.. value=..                       (belongs to
 * the query above) crc <8 hex digits: CRC-32C of every byte before this line>
 *
 * Values are percent-encoded: bytes <= 0x20, 0x7f, '%' and '=' become %XX,
 * so a value never holds a space or a newline. An absent key means NULL.
 * Unknown keys are ignored (a newer rill may add some); unknown record tags
 * and a bad crc are ERR_CORRUPT.
 */
#include "sql/catalog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"

struct catalog {
    char *dir;  /* <data>/_catalog */
    char *path; /* <data>/_catalog/catalog */
    struct catalog_relation **rels;
    size_t nrels, caprels;
    struct catalog_query **queries;
    size_t nqueries, capqueries;
    int64_t next_query;
};

static char *dup_or_null(const char *s)
{
    return s ? mem_strdup(s) : NULL;
}

/* ---- records: copy and free ---- */

static void options_free(struct catalog_option *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mem_free(o[i].key);
        mem_free(o[i].value);
    }
    mem_free(o);
}

static struct catalog_option *options_copy(const struct catalog_option *o,
                                           size_t n)
{
    if (!n)
        return NULL;
    struct catalog_option *r = mem_calloc(n, sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        r[i].key = mem_strdup(o[i].key);
        r[i].value = mem_strdup(o[i].value ? o[i].value : "");
    }
    return r;
}

static void options_push(struct catalog_option **o, size_t *n, const char *k,
                         const char *v)
{
    *o = mem_realloc(*o, (*n + 1) * sizeof(**o));
    (*o)[*n].key = mem_strdup(k);
    (*o)[*n].value = mem_strdup(v);
    (*n)++;
}

void catalog_relation_fini(struct catalog_relation *r)
{
    if (!r)
        return;
    mem_free(r->name);
    for (int i = 0; i < SCHEMA_MAX_COLUMNS; i++)
        mem_free(r->sql_types[i]);
    mem_free(r->time_column);
    mem_free(r->watermark);
    options_free(r->options, r->noptions);
    mem_free(r->topic);
    mem_free(r->format);
    mem_free(r->key);
    mem_free(r->query_id);
    memset(r, 0, sizeof(*r));
}

static struct catalog_relation *relation_copy(const struct catalog_relation *s)
{
    struct catalog_relation *r = mem_calloc(1, sizeof(*r));
    r->name = mem_strdup(s->name);
    r->kind = s->kind;
    r->schema = s->schema;
    for (int i = 0; i < s->schema.ncolumns; i++)
        r->sql_types[i] = dup_or_null(s->sql_types[i]);
    r->time_column = dup_or_null(s->time_column);
    r->watermark_delay_ms = s->watermark_delay_ms;
    r->watermark = dup_or_null(s->watermark);
    r->options = options_copy(s->options, s->noptions);
    r->noptions = s->noptions;
    r->topic = dup_or_null(s->topic);
    r->format = dup_or_null(s->format);
    r->key = dup_or_null(s->key);
    r->partitions = s->partitions;
    r->query_id = dup_or_null(s->query_id);
    r->created_ms = s->created_ms;
    return r;
}

static void relation_free(struct catalog_relation *r)
{
    catalog_relation_fini(r);
    mem_free(r);
}

static void query_free(struct catalog_query *q)
{
    if (!q)
        return;
    mem_free(q->id);
    mem_free(q->kind);
    mem_free(q->sql);
    mem_free(q->sink);
    for (size_t i = 0; i < q->ninputs; i++)
        mem_free(q->inputs[i]);
    mem_free(q->inputs);
    options_free(q->settings, q->nsettings);
    mem_free(q->error);
    mem_free(q);
}

static struct catalog_query *query_copy(const struct catalog_query *s)
{
    struct catalog_query *q = mem_calloc(1, sizeof(*q));
    q->id = dup_or_null(s->id);
    q->kind = mem_strdup(s->kind ? s->kind : "");
    q->sql = mem_strdup(s->sql ? s->sql : "");
    q->sink = dup_or_null(s->sink);
    if (s->ninputs) {
        q->inputs = mem_calloc(s->ninputs, sizeof(char *));
        for (size_t i = 0; i < s->ninputs; i++)
            q->inputs[i] = mem_strdup(s->inputs[i]);
    }
    q->ninputs = s->ninputs;
    q->settings = options_copy(s->settings, s->nsettings);
    q->nsettings = s->nsettings;
    q->state = s->state;
    q->error = dup_or_null(s->error);
    q->created_ms = s->created_ms;
    return q;
}

/* ---- the arrays ---- */

static size_t rel_index(const struct catalog *c, const char *name, bool *found)
{
    size_t lo = 0, hi = c->nrels;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcasecmp(c->rels[mid]->name, name);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void rel_insert(struct catalog *c, size_t at, struct catalog_relation *r)
{
    if (c->nrels == c->caprels) {
        c->caprels = c->caprels ? c->caprels * 2 : 8;
        c->rels = mem_realloc(c->rels, c->caprels * sizeof(*c->rels));
    }
    memmove(c->rels + at + 1, c->rels + at, (c->nrels - at) * sizeof(*c->rels));
    c->rels[at] = r;
    c->nrels++;
}

static struct catalog_relation *rel_remove(struct catalog *c, size_t at)
{
    struct catalog_relation *r = c->rels[at];
    memmove(c->rels + at, c->rels + at + 1,
            (c->nrels - at - 1) * sizeof(*c->rels));
    c->nrels--;
    return r;
}

static ssize_t query_index(const struct catalog *c, const char *id)
{
    for (size_t i = 0; i < c->nqueries; i++)
        if (strcasecmp(c->queries[i]->id, id) == 0)
            return (ssize_t)i;
    return -1;
}

static void query_insert(struct catalog *c, size_t at, struct catalog_query *q)
{
    if (c->nqueries == c->capqueries) {
        c->capqueries = c->capqueries ? c->capqueries * 2 : 8;
        c->queries =
            mem_realloc(c->queries, c->capqueries * sizeof(*c->queries));
    }
    memmove(c->queries + at + 1, c->queries + at,
            (c->nqueries - at) * sizeof(*c->queries));
    c->queries[at] = q;
    c->nqueries++;
}

static struct catalog_query *query_remove(struct catalog *c, size_t at)
{
    struct catalog_query *q = c->queries[at];
    memmove(c->queries + at, c->queries + at + 1,
            (c->nqueries - at - 1) * sizeof(*c->queries));
    c->nqueries--;
    return q;
}

/* ---- encoding ---- */

static void put_val(struct buf *b, const char *key, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!v)
        return;
    buf_printf(b, " %s=", key);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '%' || *p == '=') {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_put(b, e, 3);
        } else {
            buf_put_u8(b, *p);
        }
    }
}

static void put_i64(struct buf *b, const char *key, int64_t v)
{
    buf_printf(b, " %s=%" PRId64, key, v);
}

static void encode(const struct catalog *c, struct buf *b)
{
    buf_printf(b, "rill-catalog 1\nnext_query %" PRId64 "\n", c->next_query);
    for (size_t i = 0; i < c->nrels; i++) {
        const struct catalog_relation *r = c->rels[i];
        buf_put_str(b, "relation");
        put_val(b, "name", r->name);
        put_val(b, "kind", catalog_kind_name(r->kind));
        put_i64(b, "created", r->created_ms);
        put_val(b, "topic", r->topic);
        put_val(b, "format", r->format);
        put_i64(b, "partitions", r->partitions);
        put_val(b, "key", r->key);
        put_val(b, "time", r->time_column);
        put_i64(b, "delay", r->watermark_delay_ms);
        put_val(b, "watermark", r->watermark);
        put_val(b, "query", r->query_id);
        buf_put_u8(b, '\n');
        for (int k = 0; k < r->schema.ncolumns; k++) {
            const struct schema_column *col = &r->schema.columns[k];
            buf_put_str(b, "column");
            put_val(b, "name", col->name);
            put_val(b, "type", schema_type_name(col->type));
            put_val(b, "sql", r->sql_types[k]);
            put_i64(b, "nullable", col->nullable);
            if (strcmp(col->path, col->name) != 0)
                put_val(b, "path", col->path);
            buf_put_u8(b, '\n');
        }
        for (size_t k = 0; k < r->noptions; k++) {
            buf_put_str(b, "option");
            put_val(b, "key", r->options[k].key);
            put_val(b, "value", r->options[k].value);
            buf_put_u8(b, '\n');
        }
    }
    for (size_t i = 0; i < c->nqueries; i++) {
        const struct catalog_query *q = c->queries[i];
        buf_put_str(b, "query");
        put_val(b, "id", q->id);
        put_val(b, "kind", q->kind);
        put_val(b, "state", catalog_query_state_name(q->state));
        put_i64(b, "created", q->created_ms);
        put_val(b, "sink", q->sink);
        put_val(b, "sql", q->sql);
        put_val(b, "error", q->error);
        buf_put_u8(b, '\n');
        for (size_t k = 0; k < q->ninputs; k++) {
            buf_put_str(b, "input");
            put_val(b, "name", q->inputs[k]);
            buf_put_u8(b, '\n');
        }
        for (size_t k = 0; k < q->nsettings; k++) {
            buf_put_str(b, "setting");
            put_val(b, "key", q->settings[k].key);
            put_val(b, "value", q->settings[k].value);
            buf_put_u8(b, '\n');
        }
    }
    buf_printf(b, "crc %08" PRIx32 "\n", crc32c(0, b->data, b->len));
}

static int save(struct catalog *c)
{
    if (!c->dir)
        return 0; /* in memory */
    int rc = os_mkdir_p(c->dir);
    if (rc < 0)
        return rc;
    struct buf b;
    buf_init(&b);
    encode(c, &b);
    rc = os_write_file_atomic(c->path, b.data, b.len);
    buf_fini(&b);
    return rc;
}

/* ---- decoding ---- */

#define MAX_FIELDS 16

struct line {
    const char *tag;
    int nfields;
    char *keys[MAX_FIELDS];
    char *vals[MAX_FIELDS];
};

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Splits a line (modified in place) into tag and decoded key=value pairs. */
static int split(char *s, struct line *ln)
{
    memset(ln, 0, sizeof(*ln));
    char *save = NULL;
    char *tok = strtok_r(s, " ", &save);
    if (!tok)
        return ERR_CORRUPT;
    ln->tag = tok;
    while ((tok = strtok_r(NULL, " ", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq || ln->nfields == MAX_FIELDS)
            return ERR_CORRUPT;
        *eq = '\0';
        char *v = eq + 1, *w = v;
        for (char *p = v; *p; p++) {
            if (*p == '%') {
                int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
                if (lo < 0 || (hi == 0 && lo == 0))
                    return ERR_CORRUPT;
                *w++ = (char)(hi * 16 + lo);
                p += 2;
            } else {
                *w++ = *p;
            }
        }
        *w = '\0';
        ln->keys[ln->nfields] = tok;
        ln->vals[ln->nfields] = v;
        ln->nfields++;
    }
    return 0;
}

static const char *field(const struct line *ln, const char *key)
{
    for (int i = 0; i < ln->nfields; i++)
        if (strcmp(ln->keys[i], key) == 0)
            return ln->vals[i];
    return NULL;
}

static int field_i64(const struct line *ln, const char *key, int64_t *out)
{
    const char *v = field(ln, key);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return ERR_CORRUPT;
    *out = x;
    return 0;
}

static int parse_line(struct catalog *c, struct line *ln,
                      struct catalog_relation **rel, struct catalog_query **q,
                      const char **why)
{
    const char *v;
    int64_t n = 0;
    if (!strcmp(ln->tag, "relation")) {
        v = field(ln, "name");
        if (!v || !*v) {
            *why = "relation without a name";
            return ERR_CORRUPT;
        }
        struct catalog_relation *r = mem_calloc(1, sizeof(*r));
        r->name = mem_strdup(v);
        v = field(ln, "kind");
        r->kind = v && !strcmp(v, "TABLE") ? CATALOG_TABLE : CATALOG_STREAM;
        r->topic = dup_or_null(field(ln, "topic"));
        r->format = dup_or_null(field(ln, "format"));
        r->key = dup_or_null(field(ln, "key"));
        r->time_column = dup_or_null(field(ln, "time"));
        r->watermark = dup_or_null(field(ln, "watermark"));
        r->query_id = dup_or_null(field(ln, "query"));
        schema_init(&r->schema);
        int rc = field_i64(ln, "created", &r->created_ms);
        if (!rc)
            rc = field_i64(ln, "delay", &r->watermark_delay_ms);
        if (!rc)
            rc = field_i64(ln, "partitions", &n);
        r->partitions = (int32_t)n;
        bool found;
        size_t at = rel_index(c, r->name, &found);
        if (rc || found || !r->topic || !r->format || n < 1 || n > INT32_MAX) {
            *why = found ? "duplicate relation" : "bad relation record";
            relation_free(r);
            return ERR_CORRUPT;
        }
        rel_insert(c, at, r);
        *rel = r;
        *q = NULL;
    } else if (!strcmp(ln->tag, "column")) {
        const char *name = field(ln, "name"), *type = field(ln, "type");
        int t = type ? schema_type_parse(type, strlen(type)) : ERR_INVALID;
        if (field_i64(ln, "nullable", &n) < 0 || !*rel || !name || t < 0) {
            *why = "bad column record";
            return ERR_CORRUPT;
        }
        int idx = schema_add(&(*rel)->schema, name, (enum schema_type)t, n != 0,
                             field(ln, "path"));
        if (idx < 0) {
            *why = "bad column record";
            return ERR_CORRUPT;
        }
        (*rel)->sql_types[idx] = dup_or_null(field(ln, "sql"));
    } else if (!strcmp(ln->tag, "option") || !strcmp(ln->tag, "setting")) {
        const char *k = field(ln, "key"), *val = field(ln, "value");
        bool is_opt = ln->tag[0] == 'o';
        if (!k || !val || (is_opt ? !*rel : !*q)) {
            *why = "bad option record";
            return ERR_CORRUPT;
        }
        if (is_opt)
            options_push(&(*rel)->options, &(*rel)->noptions, k, val);
        else
            options_push(&(*q)->settings, &(*q)->nsettings, k, val);
    } else if (!strcmp(ln->tag, "query")) {
        v = field(ln, "id");
        if (!v || !*v || query_index(c, v) >= 0) {
            *why = "bad or duplicate query record";
            return ERR_CORRUPT;
        }
        struct catalog_query *nq = mem_calloc(1, sizeof(*nq));
        nq->id = mem_strdup(v);
        nq->kind = mem_strdup(field(ln, "kind") ? field(ln, "kind") : "");
        nq->sql = mem_strdup(field(ln, "sql") ? field(ln, "sql") : "");
        nq->sink = dup_or_null(field(ln, "sink"));
        nq->error = dup_or_null(field(ln, "error"));
        v = field(ln, "state");
        nq->state = v && !strcmp(v, "STOPPED") ? CATALOG_QUERY_STOPPED
                                               : CATALOG_QUERY_RUNNING;
        if (field_i64(ln, "created", &nq->created_ms) < 0) {
            query_free(nq);
            *why = "bad query record";
            return ERR_CORRUPT;
        }
        query_insert(c, c->nqueries, nq);
        *q = nq;
        *rel = NULL;
    } else if (!strcmp(ln->tag, "input")) {
        v = field(ln, "name");
        if (!v || !*q) {
            *why = "bad input record";
            return ERR_CORRUPT;
        }
        (*q)->inputs =
            mem_realloc((*q)->inputs, ((*q)->ninputs + 1) * sizeof(char *));
        (*q)->inputs[(*q)->ninputs++] = mem_strdup(v);
    } else {
        *why = "unknown record";
        return ERR_CORRUPT;
    }
    return 0;
}

static int load(struct catalog *c, char *text, size_t len, char *err,
                size_t errlen)
{
    /* The crc line covers every byte before it. */
    char *crcline = NULL;
    if (len >= 13 && text[len - 1] == '\n') {
        char *p = text + len - 1;
        while (p > text && p[-1] != '\n')
            p--;
        if (!strncmp(p, "crc ", 4))
            crcline = p;
    }
    if (!crcline) {
        snprintf(err, errlen, "%s: no crc line (truncated?)", c->path);
        return ERR_CORRUPT;
    }
    uint32_t want = (uint32_t)strtoul(crcline + 4, NULL, 16);
    if (crc32c(0, text, (size_t)(crcline - text)) != want) {
        snprintf(err, errlen, "%s: crc mismatch", c->path);
        return ERR_CORRUPT;
    }
    *crcline = '\0';
    struct catalog_relation *rel = NULL;
    struct catalog_query *q = NULL;
    int lineno = 0, rc = 0;
    char *save = NULL;
    for (char *s = strtok_r(text, "\n", &save); s;
         s = strtok_r(NULL, "\n", &save)) {
        lineno++;
        const char *why = "malformed line";
        if (lineno == 1) {
            if (strcmp(s, "rill-catalog 1") != 0) {
                snprintf(err, errlen, "%s:1: not a version 1 catalog", c->path);
                return ERR_CORRUPT;
            }
            continue;
        }
        struct line ln;
        if (!strncmp(s, "next_query ", 11)) {
            char *end;
            c->next_query = strtoll(s + 11, &end, 10);
            rc = end == s + 11 || *end || c->next_query < 1 ? ERR_CORRUPT : 0;
        } else {
            rc = split(s, &ln);
            if (!rc)
                rc = parse_line(c, &ln, &rel, &q, &why);
        }
        if (rc) {
            snprintf(err, errlen, "%s:%d: %s", c->path, lineno, why);
            return ERR_CORRUPT;
        }
    }
    return 0;
}

/* ---- public ---- */

int catalog_open(const char *data_dir, struct catalog **out, char *err,
                 size_t errlen)
{
    struct catalog *c = mem_calloc(1, sizeof(*c));
    c->next_query = 1;
    if (err && errlen)
        err[0] = '\0';
    if (!data_dir) {
        c->path = mem_strdup("(in memory)");
        *out = c;
        return 0;
    }
    size_t n = strlen(data_dir) + 32;
    c->dir = mem_alloc(n);
    snprintf(c->dir, n, "%s/_catalog", data_dir);
    c->path = mem_alloc(n + 8);
    snprintf(c->path, n + 8, "%s/catalog", c->dir);
    c->next_query = 1;
    if (err && errlen)
        err[0] = '\0';
    char dummy[8];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = os_read_file(c->path, CATALOG_FILE_MAX, &text, &len);
    if (rc == -ENOENT) {
        *out = c;
        return 0;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", c->path, err_str(rc));
        catalog_close(c);
        return rc;
    }
    rc = load(c, text, len, err, errlen);
    free(text);
    if (rc < 0) {
        catalog_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void catalog_close(struct catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nrels; i++)
        relation_free(c->rels[i]);
    mem_free(c->rels);
    for (size_t i = 0; i < c->nqueries; i++)
        query_free(c->queries[i]);
    mem_free(c->queries);
    mem_free(c->dir);
    mem_free(c->path);
    mem_free(c);
}

const char *catalog_path(const struct catalog *c)
{
    return c->path;
}

size_t catalog_relation_count(const struct catalog *c)
{
    return c->nrels;
}

const struct catalog_relation *catalog_relation_at(const struct catalog *c,
                                                   size_t i)
{
    return i < c->nrels ? c->rels[i] : NULL;
}

const struct catalog_relation *catalog_relation_find(const struct catalog *c,
                                                     const char *name)
{
    bool found;
    size_t i = rel_index(c, name, &found);
    return found ? c->rels[i] : NULL;
}

int catalog_relation_add(struct catalog *c, const struct catalog_relation *rel)
{
    if (!rel->name || !rel->name[0] || strlen(rel->name) > CATALOG_NAME_MAX)
        return ERR_INVALID;
    bool found;
    size_t at = rel_index(c, rel->name, &found);
    if (found)
        return ERR_EXISTS;
    rel_insert(c, at, relation_copy(rel));
    int rc = save(c);
    if (rc < 0)
        relation_free(rel_remove(c, at));
    return rc;
}

int catalog_relation_drop(struct catalog *c, const char *name)
{
    bool found;
    size_t at = rel_index(c, name, &found);
    if (!found)
        return ERR_NOT_FOUND;
    struct catalog_relation *r = rel_remove(c, at);
    int rc = save(c);
    if (rc < 0)
        rel_insert(c, at, r);
    else
        relation_free(r);
    return rc;
}

const char *catalog_relation_option(const struct catalog_relation *rel,
                                    const char *key)
{
    for (size_t i = 0; i < rel->noptions; i++)
        if (strcasecmp(rel->options[i].key, key) == 0)
            return rel->options[i].value;
    return NULL;
}

size_t catalog_query_count(const struct catalog *c)
{
    return c->nqueries;
}

const struct catalog_query *catalog_query_at(const struct catalog *c, size_t i)
{
    return i < c->nqueries ? c->queries[i] : NULL;
}

const struct catalog_query *catalog_query_find(const struct catalog *c,
                                               const char *id)
{
    ssize_t i = query_index(c, id);
    return i < 0 ? NULL : c->queries[i];
}

void catalog_query_next_id(const struct catalog *c, char *out, size_t n)
{
    snprintf(out, n, "q_%" PRId64, c->next_query);
}

int catalog_query_add(struct catalog *c, const struct catalog_query *q,
                      char *id_out, size_t n)
{
    struct catalog_query *nq = query_copy(q);
    char id[32];
    catalog_query_next_id(c, id, sizeof id);
    mem_free(nq->id);
    nq->id = mem_strdup(id);
    query_insert(c, c->nqueries, nq);
    c->next_query++;
    int rc = save(c);
    if (rc < 0) {
        c->next_query--;
        query_free(query_remove(c, c->nqueries - 1));
        return rc;
    }
    if (id_out && n)
        snprintf(id_out, n, "%s", id);
    return 0;
}

int catalog_query_drop(struct catalog *c, const char *id)
{
    ssize_t i = query_index(c, id);
    if (i < 0)
        return ERR_NOT_FOUND;
    struct catalog_query *q = query_remove(c, (size_t)i);
    int rc = save(c);
    if (rc < 0)
        query_insert(c, (size_t)i, q);
    else
        query_free(q);
    return rc;
}

int catalog_query_set_state(struct catalog *c, const char *id,
                            enum catalog_query_state state, const char *error)
{
    ssize_t i = query_index(c, id);
    if (i < 0)
        return ERR_NOT_FOUND;
    struct catalog_query *q = c->queries[i];
    enum catalog_query_state old_state = q->state;
    char *old_error = q->error;
    q->state = state;
    q->error = dup_or_null(error);
    int rc = save(c);
    if (rc < 0) {
        mem_free(q->error);
        q->state = old_state;
        q->error = old_error;
    } else {
        mem_free(old_error);
    }
    return rc;
}

bool catalog_relation_in_use(const struct catalog *c, const char *name,
                             char *id_out, size_t n)
{
    for (size_t i = 0; i < c->nqueries; i++) {
        const struct catalog_query *q = c->queries[i];
        if (q->state != CATALOG_QUERY_RUNNING)
            continue;
        bool used = q->sink && strcasecmp(q->sink, name) == 0;
        for (size_t k = 0; k < q->ninputs && !used; k++)
            used = strcasecmp(q->inputs[k], name) == 0;
        if (used) {
            if (id_out && n)
                snprintf(id_out, n, "%s", q->id);
            return true;
        }
    }
    return false;
}

const char *catalog_query_state_name(enum catalog_query_state s)
{
    return s == CATALOG_QUERY_STOPPED ? "STOPPED" : "RUNNING";
}

const char *catalog_kind_name(enum catalog_kind k)
{
    return k == CATALOG_TABLE ? "TABLE" : "STREAM";
}
