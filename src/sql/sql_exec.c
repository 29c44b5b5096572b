/* sql_exec.c - the statement executor: catalog statements in full, query
 * statements checked and handed to the engine (layer: sql).
 *
 * Order of work for every statement: check everything (names, types,
 * options) first, then change the log (create a topic), then the catalog;
 * an error after the log changed undoes it, so a failed statement leaves
 * nothing behind. Name checks of queries live in sql_exec_check.c, SHOW
 * and DESCRIBE in sql_exec_show.c; their shared internals in
 * sql_exec_int.h.
 */
#include "sql/sql_exec.h"
#include "sql/sql_exec_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/connector.h"
#include "log/logdir.h"
#include "stream/stream_log.h"
#include "row/row_decoder.h"
#include "sql/sql_connect.h"
#include "sql/sql_parse.h"

#define MAX_PARTITIONS 100000

/* ---- errors ---- */

int sql_exec_fail(struct sql_exec_error *err, struct sql_pos pos, int code,
                  const char *fmt, ...)
{
    err->pos = pos;
    int n = 0;
    if (pos.line > 0)
        n = snprintf(err->message, sizeof err->message,
                     "line %d, column %d: ", pos.line, pos.column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

const char *sql_exec_error_detail(const struct sql_exec_error *err)
{
    const char *m = err->message;
    int line, col, used = 0;
    if (sscanf(m, "line %d, column %d: %n", &line, &col, &used) == 2 && used)
        return m + used;
    return m;
}

static struct sql_pos no_pos(void)
{
    struct sql_pos p = {0, 0, 0};
    return p;
}

static bool word_char(char ch)
{
    unsigned char u = (unsigned char)ch;
    return isalnum(u) || u == '_' || u == '$' || u >= 0x80;
}

/* The position of the first case-insensitive occurrence of `needle` in the
 * statement's text at or after byte `from`; the statement's own position
 * when absent. Columns count UTF-8 characters, like the lexer's. */
struct sql_pos sql_exec_locate(const struct sql_stmt *st, const char *needle,
                               size_t from)
{
    size_t n = strlen(needle);
    struct sql_pos pos = st->pos;
    if (!st->text || !n || from > st->text_len)
        return pos;
    size_t at = SIZE_MAX;
    const char *t = st->text;
    for (size_t i = from; i + n <= st->text_len; i++)
        if (strncasecmp(t + i, needle, n) == 0 &&
            !(i > 0 && word_char(t[i - 1]) && word_char(needle[0])) &&
            !(i + n < st->text_len && word_char(t[i + n]) &&
              word_char(needle[n - 1]))) {
            at = i;
            break;
        }
    if (at == SIZE_MAX)
        return pos;
    /* A quoted name or value: point at its opening quote, as the lexer
     * does for the token. */
    if (at > 0 && (t[at - 1] == '\'' || t[at - 1] == '`' || t[at - 1] == '"'))
        at--;
    for (size_t i = 0; i < at; i++) {
        unsigned char ch = (unsigned char)st->text[i];
        if (ch == '\n') {
            pos.line++;
            pos.column = 1;
        } else if ((ch & 0xC0) != 0x80) {
            pos.column++;
        }
    }
    pos.offset += at;
    return pos;
}

/* The byte offset in the statement just past the word `needle`. */
size_t sql_exec_find_off(const struct sql_stmt *st, const char *needle)
{
    struct sql_pos p = sql_exec_locate(st, needle, 0);
    size_t off = p.offset - st->pos.offset;
    return off + (off || !strncasecmp(st->text, needle, strlen(needle))
                      ? strlen(needle)
                      : 0);
}

/* ---- small text helpers ---- */

void sql_exec_fmt_time(int64_t ms, char *out, size_t n)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03dZ", (int)(ms % 1000));
}

static void fmt_interval(int64_t ms, char *out, size_t n)
{
    static const struct {
        int64_t ms;
        const char *name;
    } units[] = {{86400000, "DAY"},
                 {3600000, "HOUR"},
                 {60000, "MINUTE"},
                 {1000, "SECOND"},
                 {1, "MILLISECOND"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].ms == 0 || units[i].ms == 1) {
            snprintf(out, n, "INTERVAL '%" PRId64 "' %s", ms / units[i].ms,
                     units[i].name);
            return;
        }
}

void sql_exec_format_table(struct buf *out, const char *const *cells,
                           size_t nrows, size_t ncols)
{
    size_t width[32] = {0};
    if (ncols > 32)
        ncols = 32;
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            size_t w = strlen(cells[r * ncols + c] ? cells[r * ncols + c] : "");
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < nrows; r++) {
        size_t len0 = out->len;
        for (size_t c = 0; c < ncols; c++) {
            const char *s = cells[r * ncols + c] ? cells[r * ncols + c] : "";
            if (c + 1 < ncols)
                buf_printf(out, "%-*s  ", (int)width[c], s);
            else
                buf_printf(out, "%s", s);
        }
        while (out->len > len0 && out->data[out->len - 1] == ' ')
            out->len--;
        buf_put_u8(out, '\n');
    }
    buf_put_u8(out, '\0');
    out->len--;
}

int sql_exec_parse_duration(const char *text, int64_t *ms)
{
    const char *p = text;
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return ERR_INVALID;
    char *end;
    long long v = strtoll(p, &end, 10);
    while (*end == ' ')
        end++;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"", 1},
                 {"ms", 1},
                 {"millisecond", 1},
                 {"milliseconds", 1},
                 {"s", 1000},
                 {"sec", 1000},
                 {"second", 1000},
                 {"seconds", 1000},
                 {"min", 60000},
                 {"minute", 60000},
                 {"minutes", 60000},
                 {"h", 3600000},
                 {"hour", 3600000},
                 {"hours", 3600000},
                 {"d", 86400000},
                 {"day", 86400000},
                 {"days", 86400000}};
    size_t ulen = strlen(end);
    while (ulen && end[ulen - 1] == ' ')
        ulen--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].unit) == ulen &&
            strncasecmp(end, units[i].unit, ulen) == 0) {
            if (v > INT64_MAX / units[i].ms)
                return ERR_INVALID;
            if (ulen == 0 && v != 0)
                return ERR_INVALID; /* '30' alone: say the unit */
            *ms = v * units[i].ms;
            return 0;
        }
    return ERR_INVALID;
}

/* ---- settings and options ---- */

static const char *const startup_modes[] = {"earliest-offset", "latest-offset"};

static bool valid_startup_mode(const char *v)
{
    for (size_t i = 0; i < 2; i++)
        if (strcasecmp(v, startup_modes[i]) == 0)
            return true;
    return false;
}

enum opt_use { OPT_SOURCE = 1, OPT_SINK = 2 };

static const struct {
    const char *key;
    int use;
    const char *help;
} known_options[] = {
    {"topic", OPT_SOURCE | OPT_SINK, "a topic name"},
    {"format", OPT_SOURCE | OPT_SINK,
     "'json', 'csv', 'senml', 'senml-cbor', 'influx' or 'sparkplug'"},
    {"key", OPT_SOURCE | OPT_SINK, "a column name"},
    {"partitions", OPT_SOURCE | OPT_SINK, "an integer 1..100000"},
    {"watermark.idle-timeout", OPT_SOURCE, "a duration like '30 s'"},
    {"watermark.idle-advance", OPT_SOURCE, "'true' or 'false'"},
    {"watermark.per-key", OPT_SOURCE, "'true' or 'false'"},
    {"scan.startup.mode", OPT_SOURCE, "'earliest-offset' or 'latest-offset'"},
    {"csv.delimiter", OPT_SOURCE, "one character"},
};

static int check_option(const struct sql_stmt *st, const struct sql_option *o,
                        int use, struct sql_exec_error *err)
{
    size_t with = sql_exec_find_off(st, "WITH");
    struct sql_pos kpos = sql_exec_locate(st, o->key, with);
    int k = -1;
    for (size_t i = 0; i < sizeof known_options / sizeof known_options[0]; i++)
        if (strcasecmp(o->key, known_options[i].key) == 0)
            k = (int)i;
    if (k < 0 && connector_option_known(o->key))
        return 0; /* checked with the relation: sql_connect_check */
    if (k < 0)
        return sql_exec_fail(
            err, kpos, ERR_INVALID,
            "unknown option '%s' in WITH (known: topic, format, key, "
            "partitions, 'watermark.idle-timeout', "
            "'watermark.idle-advance', 'watermark.per-key', "
            "'scan.startup.mode', 'csv.delimiter')",
            o->key);
    if (!(known_options[k].use & use))
        return sql_exec_fail(
            err, kpos, ERR_INVALID,
            "option '%s' does not apply to CREATE ... AS SELECT", o->key);
    struct sql_pos vpos =
        sql_exec_locate(st, o->value, kpos.offset - st->pos.offset);
    const char *v = o->value;
    bool ok = true;
    const char *key = known_options[k].key;
    if (!strcmp(key, "topic")) {
        ok = logdir_topic_name_valid(v);
    } else if (!strcmp(key, "format")) {
        ok = row_format_parse(v, strlen(v)) >= 0 &&
             (use == OPT_SOURCE || strcasecmp(v, "json") == 0);
        if (!ok && use == OPT_SINK)
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "format '%s' cannot be written: query output is "
                "'json'",
                v);
    } else if (!strcmp(key, "partitions")) {
        char *end;
        long long n = strtoll(v, &end, 10);
        ok = *v && !*end && n >= 1 && n <= MAX_PARTITIONS;
    } else if (!strcmp(key, "watermark.idle-timeout")) {
        int64_t ms;
        ok = sql_exec_parse_duration(v, &ms) == 0;
    } else if (!strcmp(key, "watermark.idle-advance") ||
               !strcmp(key, "watermark.per-key")) {
        ok = !strcasecmp(v, "true") || !strcasecmp(v, "false");
    } else if (!strcmp(key, "scan.startup.mode")) {
        ok = valid_startup_mode(v);
    } else if (!strcmp(key, "csv.delimiter")) {
        ok = strlen(v) == 1;
    }
    if (!ok)
        return sql_exec_fail(err, vpos, ERR_INVALID,
                             "invalid value '%s' for option '%s': expected %s",
                             v, key, known_options[k].help);
    return 0;
}

static const char *stmt_option(const struct sql_stmt *st, const char *key)
{
    for (size_t i = 0; i < st->noptions; i++)
        if (strcasecmp(st->options[i].key, key) == 0)
            return st->options[i].value;
    return NULL;
}

static int check_options(const struct sql_stmt *st, int use,
                         struct sql_exec_error *err)
{
    for (size_t i = 0; i < st->noptions; i++) {
        int rc = check_option(st, &st->options[i], use, err);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(st->options[i].key, st->options[j].key) == 0) {
                struct sql_pos first = sql_exec_locate(
                    st, st->options[j].key, sql_exec_find_off(st, "WITH"));
                return sql_exec_fail(
                    err,
                    sql_exec_locate(st, st->options[i].key,
                                    first.offset - st->pos.offset + 2),
                    ERR_INVALID, "option '%s' is given twice",
                    st->options[i].key);
            }
    }
    return 0;
}

const char *sql_exec_setting(const struct sql_exec *ex, const char *key)
{
    for (size_t i = 0; i < ex->nsettings; i++)
        if (strcasecmp(ex->settings[i].key, key) == 0)
            return ex->settings[i].value;
    return NULL;
}

/* ---- the engine stub ---- */

static int none_start(void *ctx, struct sql_query_start *q,
                      struct sql_exec_error *err)
{
    (void)ctx;
    return sql_exec_fail(err, q->stmt ? q->stmt->pos : no_pos(),
                         ERR_UNSUPPORTED, SQL_EXEC_NOT_IMPLEMENTED);
}

static int none_stop(void *ctx, const char *id)
{
    (void)ctx;
    (void)id;
    return ERR_NOT_FOUND;
}

static int none_explain(void *ctx, struct sql_query_start *q, struct buf *out,
                        struct sql_exec_error *err)
{
    (void)out;
    return none_start(ctx, q, err);
}

static int none_stats(void *ctx, const char *id, struct buf *out)
{
    (void)ctx;
    (void)id;
    (void)out;
    return ERR_NOT_FOUND;
}

const struct sql_engine_ops sql_engine_none = {
    .start_query = none_start,
    .stop_query = none_stop,
    .run_select = none_start,
    .explain = none_explain,
    .query_stats = none_stats,
};

/* ---- lifecycle ---- */

int sql_exec_create(const struct sql_exec_options *opts, struct sql_exec **out)
{
    if (!opts || !opts->catalog)
        return ERR_INVALID;
    struct sql_exec *ex = mem_calloc(1, sizeof(*ex));
    ex->o = *opts;
    if (!ex->o.engine)
        ex->o.engine = &sql_engine_none;
    if (!ex->o.now_ms)
        ex->o.now_ms = clock_now_ms;
    *out = ex;
    return 0;
}

void sql_exec_destroy(struct sql_exec *ex)
{
    if (!ex)
        return;
    for (size_t i = 0; i < ex->nsettings; i++) {
        mem_free(ex->settings[i].key);
        mem_free(ex->settings[i].value);
    }
    mem_free(ex->settings);
    mem_free(ex);
}

/* ---- CREATE STREAM | TABLE ---- */

static int map_type(const struct sql_type *t, enum schema_type *out, char *decl,
                    size_t n)
{
    switch (t->kind) {
    case SQL_TYPE_STRING:
        snprintf(decl, n, "STRING");
        *out = SCHEMA_STRING;
        return 0;
    case SQL_TYPE_VARCHAR:
        if (t->length)
            snprintf(decl, n, "VARCHAR(%d)", t->length);
        else
            snprintf(decl, n, "VARCHAR");
        *out = SCHEMA_STRING;
        return 0;
    case SQL_TYPE_BOOLEAN:
        snprintf(decl, n, "BOOLEAN");
        *out = SCHEMA_BOOLEAN;
        return 0;
    case SQL_TYPE_TINYINT:
        snprintf(decl, n, "TINYINT");
        *out = SCHEMA_INT;
        return 0;
    case SQL_TYPE_SMALLINT:
        snprintf(decl, n, "SMALLINT");
        *out = SCHEMA_INT;
        return 0;
    case SQL_TYPE_INT:
        snprintf(decl, n, "INT");
        *out = SCHEMA_INT;
        return 0;
    case SQL_TYPE_BIGINT:
        snprintf(decl, n, "BIGINT");
        *out = SCHEMA_BIGINT;
        return 0;
    case SQL_TYPE_FLOAT:
        snprintf(decl, n, "FLOAT");
        *out = SCHEMA_DOUBLE;
        return 0;
    case SQL_TYPE_DOUBLE:
        snprintf(decl, n, "DOUBLE");
        *out = SCHEMA_DOUBLE;
        return 0;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMP_LTZ:
        if (t->precision > 3)
            return ERR_RANGE;
        snprintf(decl, n, "%s(%d)",
                 t->kind == SQL_TYPE_TIMESTAMP ? "TIMESTAMP" : "TIMESTAMP_LTZ",
                 t->precision ? t->precision : 3);
        *out = SCHEMA_TIMESTAMP;
        return 0;
    default:
        return ERR_UNSUPPORTED;
    }
}

static const char *type_kind_name(enum sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_DECIMAL:
        return "DECIMAL";
    case SQL_TYPE_DATE:
        return "DATE";
    case SQL_TYPE_BYTES:
        return "BYTES";
    case SQL_TYPE_ROW:
        return "ROW";
    default:
        return "this type";
    }
}

static int fill_columns(const struct sql_stmt *st, struct catalog_relation *r,
                        struct sql_exec_error *err)
{
    schema_init(&r->schema);
    for (size_t i = 0; i < st->ncolumns; i++) {
        const struct sql_column *c = &st->columns[i];
        if (c->computed || !c->type)
            return sql_exec_fail(
                err, c->pos, ERR_UNSUPPORTED,
                "computed column '%s' is not supported yet (parsed; "
                "runtime in progress)",
                c->name);
        if (c->metadata)
            return sql_exec_fail(
                err, c->pos, ERR_UNSUPPORTED,
                "METADATA column '%s' is not supported yet (parsed; "
                "runtime in progress)",
                c->name);
        enum schema_type t;
        char decl[48];
        int rc = map_type(c->type, &t, decl, sizeof decl);
        if (rc == ERR_RANGE)
            return sql_exec_fail(
                err, c->pos, ERR_UNSUPPORTED,
                "column '%s': TIMESTAMP(%d) is not supported: rill "
                "keeps milliseconds, use TIMESTAMP(3)",
                c->name, c->type->precision);
        if (rc)
            return sql_exec_fail(
                err, c->pos, ERR_UNSUPPORTED,
                "column '%s': type %s is not supported yet (parsed; "
                "runtime in progress); use STRING, BOOLEAN, INT, "
                "BIGINT, DOUBLE or TIMESTAMP(3)",
                c->name, type_kind_name(c->type->kind));
        if (strlen(c->name) >= SCHEMA_NAME_MAX)
            return sql_exec_fail(
                err, c->pos, ERR_TOO_LARGE,
                "column name '%.20s...' is longer than %d bytes", c->name,
                SCHEMA_NAME_MAX - 1);
        if (c->path && strlen(c->path) >= SCHEMA_PATH_MAX)
            return sql_exec_fail(
                err, c->pos, ERR_TOO_LARGE,
                "field path of column '%s' is longer than %d bytes", c->name,
                SCHEMA_PATH_MAX - 1);
        rc = schema_add(&r->schema, c->name, t, !c->not_null, c->path);
        if (rc == ERR_EXISTS)
            return sql_exec_fail(
                err, c->pos, ERR_EXISTS,
                "duplicate column '%s' (names are case-insensitive)", c->name);
        if (rc == ERR_TOO_LARGE)
            return sql_exec_fail(err, c->pos, ERR_TOO_LARGE,
                                 "too many columns: at most %d",
                                 SCHEMA_MAX_COLUMNS);
        if (rc < 0)
            return sql_exec_fail(err, c->pos, ERR_INVALID,
                                 "column '%s': invalid field path '%s'",
                                 c->name, c->path ? c->path : "");
        r->sql_types[rc] = mem_strdup(decl);
    }
    return 0;
}

static int fill_watermark(const struct sql_stmt *st, struct catalog_relation *r,
                          struct sql_exec_error *err)
{
    if (!st->watermark_column)
        return 0;
    struct sql_pos wpos = sql_exec_locate(st, "WATERMARK", 0);
    int idx = schema_find(&r->schema, st->watermark_column,
                          strlen(st->watermark_column));
    if (idx < 0)
        return sql_exec_fail(err, wpos, ERR_NOT_FOUND,
                             "WATERMARK FOR '%s': no such column",
                             st->watermark_column);
    const struct schema_column *col = &r->schema.columns[idx];
    if (col->type != SCHEMA_TIMESTAMP)
        return sql_exec_fail(err, wpos, ERR_INVALID,
                             "WATERMARK FOR '%s': the column is %s; it must be "
                             "TIMESTAMP(3)",
                             col->name, schema_type_name(col->type));
    const struct sql_expr *e = st->watermark;
    const struct sql_expr *c = e;
    int64_t delay = 0;
    if (e && e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_SUB &&
        e->right->kind == SQL_EXPR_INTERVAL) {
        c = e->left;
        delay = e->right->ival;
    }
    if (!c || c->kind != SQL_EXPR_COLUMN || c->nparts != 1 ||
        strcasecmp(c->parts[0], col->name) != 0)
        return sql_exec_fail(
            err,
            !e                                      ? wpos
            : e->kind == SQL_EXPR_BINARY && e->left ? e->left->pos
                                                    : e->pos,
            ERR_UNSUPPORTED,
            "expected the watermark as '%s' or '%s - INTERVAL ...' "
            "(bounded out-of-orderness)",
            col->name, col->name);
    if (delay < 0)
        return sql_exec_fail(err, e->right->pos, ERR_INVALID,
                             "the watermark delay must not be negative");
    char text[SCHEMA_NAME_MAX + 64], iv[48];
    if (delay) {
        fmt_interval(delay, iv, sizeof iv);
        snprintf(text, sizeof text, "%s - %s", col->name, iv);
    } else {
        snprintf(text, sizeof text, "%s", col->name);
    }
    r->time_column = mem_strdup(col->name);
    r->watermark_delay_ms = delay;
    r->watermark = mem_strdup(text);
    return 0;
}

/* Deletes a topic this statement created (undoing it). */
static void drop_topic(struct sql_exec *ex, const char *topic)
{
    if (ex->o.log)
        stream_log_delete(ex->o.log, topic);
    else
        logdir_topic_delete(ex->o.logdir, topic);
}

/* Creates the topic unless it exists; *created says which; *note gets a
 * remark when the existing topic's partition count differs. */
static int ensure_topic(struct sql_exec *ex, const struct sql_stmt *st,
                        const char *topic, int32_t partitions, bool explicit,
                        bool compact, bool *created, int32_t *actual,
                        struct sql_exec_error *err)
{
    *created = false;
    if (ex->o.log) {
        int n = stream_log_partitions(ex->o.log, topic);
        if (n > 0) {
            *actual = n;
            return 0;
        }
        int rc = stream_log_create(ex->o.log, topic, partitions);
        if (rc < 0)
            return sql_exec_fail(err, st->pos, rc,
                                 "cannot create topic '%s': %s", topic,
                                 err_str(rc));
        *created = true;
        *actual = partitions;
        return 0;
    }
    if (!ex->o.logdir)
        return sql_exec_fail(
            err, st->pos, ERR_INVALID,
            "no data directory is open: cannot create topic '%s'", topic);
    int n = logdir_topic_partitions(ex->o.logdir, topic);
    if (n > 0) {
        *actual = n;
        (void)explicit;
        return 0;
    }
    struct logdir_topic_config cfg;
    logdir_topic_config_init(&cfg);
    cfg.partitions = partitions;
    /* A TABLE's topic is its changelog: the log keeps the latest record
     * of each key (docs/log.md "Compacted topics"). */
    if (compact)
        cfg.cleanup_policy = LOGDIR_CLEANUP_COMPACT;
    int rc = logdir_topic_create(ex->o.logdir, topic, &cfg);
    if (rc < 0)
        return sql_exec_fail(err, st->pos, rc, "cannot create topic '%s': %s",
                             topic, err_str(rc));
    *created = true;
    *actual = partitions;
    return 0;
}

/* Whether a and b are the same text once runs of white space are one
 * space and both ends are trimmed (a trailing ';' too). */
static bool same_statement(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;
    while (na && (isspace((unsigned char)a[na - 1]) || a[na - 1] == ';'))
        na--;
    while (nb && (isspace((unsigned char)b[nb - 1]) || b[nb - 1] == ';'))
        nb--;
    while (i < na && isspace((unsigned char)a[i]))
        i++;
    while (j < nb && isspace((unsigned char)b[j]))
        j++;
    while (i < na && j < nb) {
        bool sa = isspace((unsigned char)a[i]),
             sb = isspace((unsigned char)b[j]);
        if (sa != sb)
            return false;
        if (sa) {
            while (i < na && isspace((unsigned char)a[i]))
                i++;
            while (j < nb && isspace((unsigned char)b[j]))
                j++;
            continue;
        }
        if (a[i++] != b[j++])
            return false;
    }
    return i == na && j == nb;
}

/* A RUNNING query of the catalog whose statement is st's, or NULL. */
static const struct catalog_query *running_twin(const struct catalog *cat,
                                                const struct sql_stmt *st)
{
    for (size_t i = 0; i < catalog_query_count(cat); i++) {
        const struct catalog_query *q = catalog_query_at(cat, i);
        if (q->state == CATALOG_QUERY_RUNNING && q->sql &&
            same_statement(q->sql, strlen(q->sql), st->text, st->text_len))
            return q;
    }
    return NULL;
}

static int exec_create(struct sql_exec *ex, const struct sql_stmt *st,
                       struct buf *out, struct sql_exec_error *err)
{
    struct catalog *cat = ex->o.catalog;
    bool table = st->kind == SQL_STMT_CREATE_TABLE;
    const char *what = table ? "table" : "stream";
    const struct catalog_relation *old = catalog_relation_find(cat, st->name);
    struct sql_pos npos =
        sql_exec_locate(st, st->name, sql_exec_find_off(st, what));
    if (old) {
        if (st->if_not_exists) {
            buf_printf(out, "%s %s already exists (skipped)\n",
                       old->kind == CATALOG_TABLE ? "table" : "stream",
                       old->name);
            return 0;
        }
        return sql_exec_fail(err, npos, ERR_EXISTS, "%s '%s' already exists",
                             old->kind == CATALOG_TABLE ? "table" : "stream",
                             old->name);
    }
    if (strlen(st->name) > CATALOG_NAME_MAX)
        return sql_exec_fail(err, npos, ERR_TOO_LARGE,
                             "name is longer than %d bytes", CATALOG_NAME_MAX);
    if (st->ncolumns == 0)
        return sql_exec_fail(err, npos, ERR_INVALID, "%s '%s' has no columns",
                             what, st->name);
    int rc = check_options(st, OPT_SOURCE, err);
    if (rc)
        return rc;
    struct catalog_relation r;
    memset(&r, 0, sizeof r);
    rc = fill_columns(st, &r, err);
    if (!rc)
        rc = fill_watermark(st, &r, err);
    if (rc)
        goto out;
    r.name = mem_strdup(st->name);
    r.kind = table ? CATALOG_TABLE : CATALOG_STREAM;
    r.created_ms = ex->o.now_ms();
    const char *topic = stmt_option(st, "topic");
    if (!topic)
        topic = st->name;
    if (!logdir_topic_name_valid(topic)) {
        rc = sql_exec_fail(
            err, npos, ERR_INVALID,
            "'%s' is not a valid topic name (1-249 of [a-zA-Z0-9._-]): "
            "add WITH (topic = '...')",
            topic);
        goto out;
    }
    r.topic = mem_strdup(topic);
    const char *format = stmt_option(st, "format");
    r.format = mem_strdup(format ? format : "json");
    for (char *p = r.format; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *key = stmt_option(st, "key");
    if (st->primary_key) {
        if (key && strcasecmp(key, st->primary_key) != 0) {
            rc = sql_exec_fail(err, st->primary_key_pos, ERR_INVALID,
                               "PRIMARY KEY (%s) and WITH (key = '%s') "
                               "differ: give one",
                               st->primary_key, key);
            goto out;
        }
        key = st->primary_key;
    }
    if (key) {
        int idx = schema_find(&r.schema, key, strlen(key));
        if (idx < 0) {
            rc = sql_exec_fail(
                err, sql_exec_locate(st, key, sql_exec_find_off(st, "WITH")),
                ERR_NOT_FOUND, "key '%s' is not a column of %s", key, st->name);
            goto out;
        }
        r.key = mem_strdup(r.schema.columns[idx].name);
    } else if (table) {
        rc = sql_exec_fail(
            err, npos, ERR_INVALID,
            "a table needs its key: add PRIMARY KEY (column) NOT ENFORCED "
            "or WITH (key = 'column') (later rows for a key replace "
            "earlier ones)");
        goto out;
    }
    const char *per_key = stmt_option(st, "watermark.per-key");
    if (per_key && !strcasecmp(per_key, "true") &&
        (!key || !st->watermark_column)) {
        rc = sql_exec_fail(
            err, sql_exec_locate(st, "watermark.per-key", 0), ERR_INVALID,
            "'watermark.per-key' needs %s: per-key watermarks track each "
            "key's event time",
            !key ? "the stream's key (WITH key = 'column', the device)"
                 : "a watermark (WATERMARK FOR column AS ...)");
        goto out;
    }
    if (stmt_option(st, "csv.delimiter") && strcmp(r.format, "csv") != 0) {
        rc = sql_exec_fail(err, sql_exec_locate(st, "csv.delimiter", 0),
                           ERR_INVALID,
                           "option 'csv.delimiter' needs format = 'csv'");
        goto out;
    }
    /* The decoder must be able to fill these columns from this format. */
    struct row_decoder *dec = NULL;
    int fmt = row_format_parse(r.format, strlen(r.format));
    if (fmt < 0 ||
        row_decoder_create((enum row_format)fmt, &r.schema, NULL, &dec) < 0) {
        bool senml = !strncmp(r.format, "senml", 5);
        rc = sql_exec_fail(
            err, sql_exec_locate(st, r.format, sql_exec_find_off(st, "WITH")),
            ERR_INVALID, "format '%s' cannot fill these columns%s", r.format,
            senml ? ": SenML columns are name STRING, unit STRING, "
                    "value DOUBLE, string_value STRING, bool_value "
                    "BOOLEAN, data_value STRING, sum DOUBLE, ts "
                    "TIMESTAMP(3), update_time DOUBLE (docs/formats.md)"
                  : " (see docs/formats.md)");
        goto out;
    }
    row_decoder_destroy(dec);
    const char *parts = stmt_option(st, "partitions");
    r.partitions = parts ? (int32_t)strtol(parts, NULL, 10) : 1;
    for (size_t i = 0; i < st->noptions; i++) {
        r.options = mem_realloc(r.options, (i + 1) * sizeof(*r.options));
        r.options[i].key = mem_strdup(st->options[i].key);
        for (char *p = r.options[i].key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        r.options[i].value = mem_strdup(st->options[i].value);
        r.noptions = i + 1;
    }
    char cerr[512];
    if (sql_connect_check(&r, false, cerr, sizeof cerr)) {
        rc = sql_exec_fail(err, st->pos, ERR_INVALID, "%s", cerr);
        goto out;
    }
    bool created = false;
    int32_t actual = 0;
    rc = ensure_topic(ex, st, r.topic, r.partitions, parts != NULL,
                      r.kind == CATALOG_TABLE, &created, &actual, err);
    if (rc)
        goto out;
    int32_t wanted = r.partitions;
    r.partitions = actual;
    rc = catalog_relation_add(cat, &r);
    if (rc) {
        if (created)
            drop_topic(ex, r.topic);
        rc = sql_exec_fail(err, st->pos, rc, "cannot write the catalog %s: %s",
                           catalog_path(cat), err_str(rc));
        goto out;
    }
    if (created)
        buf_printf(out,
                   "created %s %s (topic %s created with %d partition%s)\n",
                   what, r.name, r.topic, actual, actual == 1 ? "" : "s");
    else if (parts && actual != wanted)
        buf_printf(out,
                   "created %s %s (topic %s exists with %d partition%s; "
                   "partitions = %d ignored)\n",
                   what, r.name, r.topic, actual, actual == 1 ? "" : "s",
                   wanted);
    else
        buf_printf(out, "created %s %s (topic %s exists, %d partition%s)\n",
                   what, r.name, r.topic, actual, actual == 1 ? "" : "s");
out:
    catalog_relation_fini(&r);
    return rc;
}

/* ---- query statements ---- */

static void init_start(struct sql_exec *ex, struct sql_query_start *q,
                       const struct sql_stmt *st, const struct sql_select *sel)
{
    memset(q, 0, sizeof *q);
    q->stmt = st;
    q->select = sel;
    q->catalog = ex->o.catalog;
    q->logdir = ex->o.logdir;
    q->log = ex->o.log;
    q->settings = ex->settings;
    q->nsettings = ex->nsettings;
    q->emit = ex->o.emit;
    q->emit_arg = ex->o.emit_arg;
    schema_init(&q->out_schema);
}

static const char *query_kind(enum sql_stmt_kind k)
{
    switch (k) {
    case SQL_STMT_CREATE_STREAM_AS:
        return "CREATE STREAM AS";
    case SQL_STMT_CREATE_TABLE_AS:
        return "CREATE TABLE AS";
    case SQL_STMT_INSERT:
        return "INSERT INTO";
    default:
        return "SELECT";
    }
}

/* Checks the sink of a persistent query; *exists says whether it does. */
static int check_sink(struct sql_exec *ex, const struct sql_stmt *st,
                      struct sql_exec_checker *ck, struct sql_exec_error *err,
                      bool *skip)
{
    *skip = false;
    const struct catalog_relation *r =
        catalog_relation_find(ex->o.catalog, st->name);
    bool insert = st->kind == SQL_STMT_INSERT;
    struct sql_pos npos =
        sql_exec_locate(st, st->name,
                        insert ? sql_exec_find_off(st, "INTO")
                               : sql_exec_find_off(st, "CREATE"));
    if (insert && !r)
        return sql_exec_fail(
            err, npos, ERR_NOT_FOUND,
            "INSERT INTO unknown stream '%s' (create it first)", st->name);
    if (!insert && r) {
        if (st->if_not_exists) {
            *skip = true;
            return 0;
        }
        return sql_exec_fail(err, npos, ERR_EXISTS, "%s '%s' already exists",
                             r->kind == CATALOG_TABLE ? "table" : "stream",
                             r->name);
    }
    if (!insert) {
        int rc = check_options(st, OPT_SINK, err);
        if (rc)
            return rc;
        const char *topic = stmt_option(st, "topic");
        if (!topic && !logdir_topic_name_valid(st->name))
            return sql_exec_fail(
                err, npos, ERR_INVALID,
                "'%s' is not a valid topic name: add WITH (topic = "
                "'...')",
                st->name);
    }
    for (size_t i = 0; i < ck->ninputs; i++)
        if (!strcasecmp(ck->inputs[i], st->name))
            return sql_exec_fail(err, npos, ERR_INVALID,
                                 "the query reads and writes '%s'", st->name);
    /* Internal topics (__consumer_offsets, __transaction_state,
     * __mqtt_retained, ...) are written by rill alone: a stream over one
     * may be read, never written. */
    const char *topic = insert ? r->topic : stmt_option(st, "topic");
    if (!topic)
        topic = st->name;
    if (!strncmp(topic, "__", 2))
        return sql_exec_fail(err, npos, ERR_INVALID,
                             "'%s' is an internal topic: rill writes it alone",
                             topic);
    return 0;
}

static int exec_persistent(struct sql_exec *ex, const struct sql_stmt *st,
                           struct buf *out, struct sql_exec_error *err)
{
    struct catalog *cat = ex->o.catalog;
    struct sql_exec_checker ck = {.ex = ex, .err = err};
    int rc = sql_exec_check_select(&ck, st->query);
    if (rc)
        return rc;
    bool skip;
    rc = check_sink(ex, st, &ck, err, &skip);
    if (rc)
        return rc;
    if (skip) {
        buf_printf(out, "%s already exists (skipped)\n", st->name);
        return 0;
    }
    bool insert = st->kind == SQL_STMT_INSERT;
    const struct catalog_relation *target =
        insert ? catalog_relation_find(cat, st->name) : NULL;
    if (insert) {
        /* The same INSERT running twice (a script run again) writes every
         * row twice: refused. Different INSERTs into one stream merge. */
        const struct catalog_query *twin = running_twin(cat, st);
        if (twin)
            return sql_exec_fail(
                err, st->pos, ERR_EXISTS,
                "the same INSERT INTO %s already runs as %s (its rows would "
                "be written twice); STOP QUERY %s or DROP it first",
                st->name, twin->id, twin->id);
    }
    const char *topic = insert ? target->topic : stmt_option(st, "topic");
    if (!topic)
        topic = st->name;
    if (insert) {
        char cerr[512];
        if (sql_connect_check(target, true, cerr, sizeof cerr))
            return sql_exec_fail(err, st->pos, ERR_INVALID, "%s", cerr);
    }
    const char *parts = stmt_option(st, "partitions");
    int32_t nparts = parts ? (int32_t)strtol(parts, NULL, 10) : 1;
    bool created = false;
    int32_t actual = nparts;
    if (!insert) {
        rc = ensure_topic(ex, st, topic, nparts, parts != NULL, false, &created,
                          &actual, err);
        if (rc)
            return rc;
    }
    char id[32];
    catalog_query_next_id(cat, id, sizeof id);
    struct sql_query_start q;
    init_start(ex, &q, st, st->query);
    q.id = id;
    q.sink = insert ? target->name : st->name;
    rc = ex->o.engine->start_query(ex->o.engine_ctx, &q, err);
    if (rc)
        goto out_topic;
    struct catalog_relation r;
    memset(&r, 0, sizeof r);
    if (!insert) {
        if (q.out_schema.ncolumns == 0) {
            rc = sql_exec_fail(err, st->pos, ERR_INVALID,
                               "the engine gave the query no output columns");
            goto out_stop;
        }
        const char *k = stmt_option(st, "key");
        if (k && schema_find(&q.out_schema, k, strlen(k)) < 0) {
            rc = sql_exec_fail(
                err, sql_exec_locate(st, k, sql_exec_find_off(st, "WITH")),
                ERR_NOT_FOUND, "key '%s' is not a column of the query's output",
                k);
            goto out_stop;
        }
        r.name = mem_strdup(st->name);
        r.kind = st->kind == SQL_STMT_CREATE_TABLE_AS ? CATALOG_TABLE
                                                      : CATALOG_STREAM;
        r.schema = q.out_schema;
        for (int i = 0; i < r.schema.ncolumns; i++)
            r.sql_types[i] =
                mem_strdup(schema_type_name(r.schema.columns[i].type));
        r.topic = mem_strdup(topic);
        r.format = mem_strdup("json");
        r.key = k ? mem_strdup(
                        q.out_schema
                            .columns[schema_find(&q.out_schema, k, strlen(k))]
                            .name)
                  : NULL;
        r.partitions = actual;
        r.query_id = mem_strdup(id);
        r.created_ms = ex->o.now_ms();
        for (size_t i = 0; i < st->noptions; i++) {
            r.options = mem_realloc(r.options, (i + 1) * sizeof(*r.options));
            r.options[i].key = mem_strdup(st->options[i].key);
            r.options[i].value = mem_strdup(st->options[i].value);
            r.noptions = i + 1;
        }
        char cerr[512];
        if (sql_connect_check(&r, true, cerr, sizeof cerr)) {
            catalog_relation_fini(&r);
            rc = sql_exec_fail(err, st->pos, ERR_INVALID, "%s", cerr);
            goto out_stop;
        }
        rc = catalog_relation_add(cat, &r);
        if (rc) {
            catalog_relation_fini(&r);
            sql_exec_fail(err, st->pos, rc, "cannot write the catalog: %s",
                          err_str(rc));
            goto out_stop;
        }
    }
    struct catalog_query cq;
    memset(&cq, 0, sizeof cq);
    cq.kind = mem_strdup(query_kind(st->kind));
    cq.sql = mem_strndup(st->text, st->text_len);
    cq.sink = mem_strdup(q.sink);
    cq.inputs = mem_calloc(ck.ninputs + 1, sizeof(char *));
    for (size_t i = 0; i < ck.ninputs; i++)
        cq.inputs[i] = mem_strdup(ck.inputs[i]);
    cq.ninputs = ck.ninputs;
    cq.settings = ex->settings;
    cq.nsettings = ex->nsettings;
    cq.state = CATALOG_QUERY_RUNNING;
    cq.created_ms = ex->o.now_ms();
    char got[32];
    rc = catalog_query_add(cat, &cq, got, sizeof got);
    mem_free(cq.kind);
    mem_free(cq.sql);
    mem_free(cq.sink);
    for (size_t i = 0; i < cq.ninputs; i++)
        mem_free(cq.inputs[i]);
    mem_free(cq.inputs);
    if (rc) {
        sql_exec_fail(err, st->pos, rc, "cannot write the catalog: %s",
                      err_str(rc));
        if (!insert)
            catalog_relation_drop(cat, st->name);
        catalog_relation_fini(&r);
        goto out_stop;
    }
    if (insert)
        buf_printf(out, "started query %s: INSERT INTO %s\n", got, q.sink);
    else
        buf_printf(out,
                   "created %s %s (topic %s, %d partition%s), started "
                   "query %s\n",
                   r.kind == CATALOG_TABLE ? "table" : "stream", r.name, topic,
                   actual, actual == 1 ? "" : "s", got);
    catalog_relation_fini(&r);
    return 0;
out_stop:
    ex->o.engine->stop_query(ex->o.engine_ctx, id);
out_topic:
    if (created)
        drop_topic(ex, topic);
    return rc;
}

static int exec_select(struct sql_exec *ex, const struct sql_stmt *st,
                       struct sql_exec_error *err)
{
    struct sql_exec_checker ck = {.ex = ex, .err = err};
    int rc = sql_exec_check_select(&ck, st->query);
    if (rc)
        return rc;
    struct sql_query_start q;
    init_start(ex, &q, st, st->query);
    q.cancel = ex->o.select_cancel;
    q.detach = ex->o.select_detach;
    q.attach = ex->o.select_attach;
    q.detach_arg = ex->o.select_arg;
    return ex->o.engine->run_select(ex->o.engine_ctx, &q, err);
}

static int exec_explain(struct sql_exec *ex, const struct sql_stmt *st,
                        struct buf *out, struct sql_exec_error *err)
{
    const struct sql_stmt *in = st->inner;
    if (!in || !in->query)
        return sql_exec_fail(
            err, st->pos, ERR_INVALID,
            "expected SELECT, INSERT or CREATE ... AS SELECT after "
            "EXPLAIN");
    struct sql_exec_checker ck = {.ex = ex, .err = err};
    int rc = sql_exec_check_select(&ck, in->query);
    if (rc)
        return rc;
    if (in->kind == SQL_STMT_INSERT &&
        !catalog_relation_find(ex->o.catalog, in->name))
        return sql_exec_fail(
            err, sql_exec_locate(in, in->name, sql_exec_find_off(in, "INTO")),
            ERR_NOT_FOUND, "INSERT INTO unknown stream '%s'", in->name);
    struct sql_query_start q;
    init_start(ex, &q, in, in->query);
    q.sink = in->kind == SQL_STMT_SELECT ? NULL : in->name;
    return ex->o.engine->explain(ex->o.engine_ctx, &q, out, err);
}

/* ---- DROP ---- */

static int exec_drop(struct sql_exec *ex, const struct sql_stmt *st,
                     struct buf *out, struct sql_exec_error *err)
{
    struct catalog *cat = ex->o.catalog;
    struct sql_pos npos =
        sql_exec_locate(st, st->name, sql_exec_find_off(st, "DROP"));
    if (st->object == SQL_OBJECT_QUERY) {
        const struct catalog_query *q = catalog_query_find(cat, st->name);
        if (!q) {
            if (st->if_exists) {
                buf_printf(out, "query %s does not exist (skipped)\n",
                           st->name);
                return 0;
            }
            return sql_exec_fail(err, npos, ERR_NOT_FOUND,
                                 "unknown query '%s' (SHOW QUERIES lists them)",
                                 st->name);
        }
        char id[64];
        snprintf(id, sizeof id, "%s", q->id);
        int rc = ex->o.engine->stop_query(ex->o.engine_ctx, id);
        if (rc && rc != ERR_NOT_FOUND)
            return sql_exec_fail(err, npos, rc, "cannot stop query %s: %s", id,
                                 err_str(rc));
        rc = catalog_query_drop(cat, id);
        if (rc)
            return sql_exec_fail(err, st->pos, rc,
                                 "cannot write the catalog: %s", err_str(rc));
        buf_printf(out, "dropped query %s\n", id);
        return 0;
    }
    if (st->object == SQL_OBJECT_TOPIC)
        return sql_exec_fail(
            err, st->pos, ERR_UNSUPPORTED,
            "DROP TOPIC is not a statement: use rill topics delete");
    bool table = st->object == SQL_OBJECT_TABLE;
    const char *what = table ? "table" : "stream";
    const struct catalog_relation *r = catalog_relation_find(cat, st->name);
    if (!r) {
        if (st->if_exists) {
            buf_printf(out, "%s %s does not exist (skipped)\n", what, st->name);
            return 0;
        }
        return sql_exec_fail(err, npos, ERR_NOT_FOUND, "unknown %s '%s'", what,
                             st->name);
    }
    if ((r->kind == CATALOG_TABLE) != table)
        return sql_exec_fail(err, npos, ERR_INVALID,
                             "'%s' is a %s: use DROP %s", r->name,
                             r->kind == CATALOG_TABLE ? "table" : "stream",
                             r->kind == CATALOG_TABLE ? "TABLE" : "STREAM");
    char qid[64];
    if (catalog_relation_in_use(cat, r->name, qid, sizeof qid))
        return sql_exec_fail(
            err, npos, ERR_INVALID,
            "%s '%s' is used by running query %s: DROP QUERY %s "
            "first",
            what, r->name, qid, qid);
    char name[CATALOG_NAME_MAX + 1], topic[LOGDIR_TOPIC_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", r->name);
    snprintf(topic, sizeof topic, "%s", r->topic);
    int rc = catalog_relation_drop(cat, name);
    if (rc)
        return sql_exec_fail(err, st->pos, rc, "cannot write the catalog: %s",
                             err_str(rc));
    buf_printf(out, "dropped %s %s (topic %s kept)\n", what, name, topic);
    return 0;
}

/* ---- SET ---- */

static int exec_set(struct sql_exec *ex, const struct sql_stmt *st,
                    struct buf *out, struct sql_exec_error *err)
{
    const char *k = st->key, *v = st->value;
    struct sql_pos kpos = sql_exec_locate(st, k, 3);
    struct sql_pos vpos =
        sql_exec_locate(st, v, kpos.offset - st->pos.offset + strlen(k));
    if (!strcasecmp(k, "scan.startup.mode")) {
        if (!valid_startup_mode(v))
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "invalid value '%s' for 'scan.startup.mode': "
                "expected 'earliest-offset' or 'latest-offset'",
                v);
    } else if (!strcasecmp(k, "scan.bounded.mode")) {
        if (strcasecmp(v, "unbounded") && strcasecmp(v, "latest-offset"))
            return sql_exec_fail(err, vpos, ERR_INVALID,
                                 "invalid value '%s' for 'scan.bounded.mode': "
                                 "expected 'unbounded' or 'latest-offset'",
                                 v);
    } else if (!strcasecmp(k, "watermark.idle-timeout")) {
        int64_t ms;
        if (sql_exec_parse_duration(v, &ms))
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "invalid value '%s' for 'watermark.idle-timeout': "
                "expected a duration like '30 s', '500 ms', "
                "'2 min' or '0'",
                v);
    } else if (!strcasecmp(k, "watermark.idle-advance")) {
        if (strcasecmp(v, "true") && strcasecmp(v, "false"))
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "invalid value '%s' for 'watermark.idle-advance': "
                "expected 'true' or 'false'",
                v);
    } else if (!strcasecmp(k, "table.exec.state.ttl")) {
        int64_t ms;
        if (sql_exec_parse_duration(v, &ms))
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "invalid value '%s' for 'table.exec.state.ttl': "
                "expected a duration like '1 h', '30 min' or '0'",
                v);
    } else if (!strcasecmp(k, "execution.checkpointing.interval")) {
        int64_t ms;
        if (sql_exec_parse_duration(v, &ms) || ms < 1 || ms > 3600000)
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "invalid value '%s' for 'execution.checkpointing.interval': "
                "expected a duration from '1 ms' to '1 h', like '100 ms'",
                v);
    } else if (!strcasecmp(k, "execution.checkpointing.mode")) {
        if (strcasecmp(v, "EXACTLY_ONCE") && strcasecmp(v, "AT_LEAST_ONCE"))
            return sql_exec_fail(
                err, vpos, ERR_INVALID,
                "invalid value '%s' for 'execution.checkpointing.mode': "
                "expected 'EXACTLY_ONCE' or 'AT_LEAST_ONCE'",
                v);
    } else if (!strcasecmp(k, "match.max-partial-matches") ||
               !strcasecmp(k, "match.max-rows")) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || n < 1 || n > 1000000000000LL)
            return sql_exec_fail(err, vpos, ERR_INVALID,
                                 "invalid value '%s' for '%s': expected a "
                                 "positive integer",
                                 v, k);
    } else {
        return sql_exec_fail(
            err, kpos, ERR_INVALID,
            "unknown setting '%s' (known: 'scan.startup.mode', "
            "'scan.bounded.mode', "
            "'watermark.idle-timeout', 'watermark.idle-advance', "
            "'table.exec.state.ttl', 'match.max-partial-matches', "
            "'match.max-rows', 'execution.checkpointing.interval', "
            "'execution.checkpointing.mode')",
            k);
    }
    for (size_t i = 0; i < ex->nsettings; i++)
        if (!strcasecmp(ex->settings[i].key, k)) {
            mem_free(ex->settings[i].value);
            ex->settings[i].value = mem_strdup(v);
            goto done;
        }
    ex->settings =
        mem_realloc(ex->settings, (ex->nsettings + 1) * sizeof(*ex->settings));
    ex->settings[ex->nsettings].key = mem_strdup(k);
    for (char *p = ex->settings[ex->nsettings].key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ex->settings[ex->nsettings].value = mem_strdup(v);
    ex->nsettings++;
done:
    buf_printf(out, "set '%s' = '%s'\n", k, v);
    return 0;
}

/* ---- entry points ---- */

int sql_exec_stmt(struct sql_exec *ex, const struct sql_stmt *st,
                  struct buf *out, struct sql_exec_error *err)
{
    memset(err, 0, sizeof *err);
    switch (st->kind) {
    case SQL_STMT_CREATE_STREAM:
    case SQL_STMT_CREATE_TABLE:
        return exec_create(ex, st, out, err);
    case SQL_STMT_CREATE_STREAM_AS:
    case SQL_STMT_CREATE_TABLE_AS:
    case SQL_STMT_INSERT:
        return exec_persistent(ex, st, out, err);
    case SQL_STMT_SELECT:
        return exec_select(ex, st, err);
    case SQL_STMT_DROP:
        return exec_drop(ex, st, out, err);
    case SQL_STMT_SHOW:
        return sql_exec_run_show(ex, st, out, err);
    case SQL_STMT_DESCRIBE:
        if (st->json)
            return sql_exec_run_control(ex, st, out, err);
        return sql_exec_run_describe(ex, st, out, err);
    case SQL_STMT_EXPLAIN_WATERMARK:
    case SQL_STMT_STOP_QUERY:
    case SQL_STMT_RESUME_QUERY:
        return sql_exec_run_control(ex, st, out, err);
    case SQL_STMT_EXPLAIN:
        return exec_explain(ex, st, out, err);
    case SQL_STMT_SET:
        return exec_set(ex, st, out, err);
    }
    return sql_exec_fail(err, st->pos, ERR_UNSUPPORTED, "unknown statement");
}

int sql_exec_script(struct sql_exec *ex, const char *text, size_t len,
                    struct buf *out, struct sql_exec_error *err)
{
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_script script;
    struct sql_error perr;
    memset(err, 0, sizeof *err);
    int rc = sql_parse_script(text, len, &arena, &script, &perr);
    if (rc) {
        err->pos = perr.pos;
        snprintf(err->message, sizeof err->message, "%s", perr.message);
        goto out;
    }
    for (size_t i = 0; i < script.nstmts && !rc; i++)
        rc = sql_exec_stmt(ex, script.stmts[i], out, err);
out:
    arena_fini(&arena);
    return rc;
}

int sql_exec_start_saved(struct sql_exec *ex, const char *id, bool *bad,
                         struct sql_exec_error *err)
{
    const struct catalog_query *q = catalog_query_find(ex->o.catalog, id);
    memset(err, 0, sizeof *err);
    *bad = false;
    if (!q)
        return ERR_NOT_FOUND;
    struct arena arena;
    arena_init(&arena, 16384);
    struct sql_stmt *st;
    struct sql_error perr;
    int rc = sql_parse_stmt(q->sql, strlen(q->sql), &arena, &st, &perr);
    if (rc) {
        snprintf(err->message, sizeof err->message, "%s", perr.message);
    } else {
        struct sql_exec_checker ck = {.ex = ex, .err = err};
        rc = st->query ? sql_exec_check_select(&ck, st->query) : ERR_INVALID;
        if (!st->query)
            snprintf(err->message, sizeof err->message, "not a query");
    }
    if (rc) {
        *bad = true;
    } else {
        struct sql_query_start qs;
        init_start(ex, &qs, st, st->query);
        qs.id = q->id;
        qs.sink = q->sink;
        qs.settings = q->settings;
        qs.nsettings = q->nsettings;
        qs.resume = true;
        rc = ex->o.engine->start_query(ex->o.engine_ctx, &qs, err);
    }
    arena_fini(&arena);
    return rc;
}

int sql_exec_resume(struct sql_exec *ex, struct buf *out)
{
    struct catalog *cat = ex->o.catalog;
    int started = 0;
    char **ids = mem_calloc(catalog_query_count(cat) + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < catalog_query_count(cat); i++) {
        const struct catalog_query *q = catalog_query_at(cat, i);
        if (q->state == CATALOG_QUERY_RUNNING)
            ids[n++] = mem_strdup(q->id);
    }
    for (size_t i = 0; i < n; i++) {
        struct sql_exec_error err;
        bool bad;
        int rc = sql_exec_start_saved(ex, ids[i], &bad, &err);
        if (rc && bad) {
            buf_printf(out, "query %s stopped: %s\n", ids[i], err.message);
            catalog_query_set_state(cat, ids[i], CATALOG_QUERY_STOPPED,
                                    err.message);
        } else if (rc) {
            buf_printf(out, "query %s not started: %s\n", ids[i],
                       sql_exec_error_detail(&err));
        } else {
            buf_printf(out, "query %s started\n", ids[i]);
            started++;
        }
        mem_free(ids[i]);
    }
    mem_free(ids);
    return started;
}
