/* connect_file.c - the file connector: a directory of NDJSON or CSV files
 * (layer: connect).
 *
 * Source: reads the files of 'path' in name order, one record per line
 * (the relation's format decodes it), and follows the last one as it
 * grows; new files are picked up. Its position (file name, byte offset of
 * the next whole line) is saved by the driver after the lines before it
 * are appended to the log (connector.c, invariant 3), so a restart
 * neither skips nor repeats a line. Lines are split at '\n': a quoted CSV
 * field holding a line break is not supported.
 * Sink: appends rows to part-NNNNNNNN.<ndjson|csv|lp> in 'path' (each
 * record's JSON, CSV, or InfluxDB line protocol: connect_influx.c), rolling to
 * a new file past 'sink.rolling-policy.file-size' or
 * 'sink.rolling-policy.rollover-interval'. Each batch is fdatasync'ed
 * before its offsets are recorded, with the current file's number and
 * size in the same file (connector.c): on restart or after a failed write
 * that file is cut back to the recorded size, so a replay never writes a
 * row twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "connect/connector_int.h"
#include "row/json_decode.h"
#include "row/row_batch.h"
#include "row/row_decoder.h"
#include "row/scalar.h"

#define READ_MAX (256u << 10)
#define NAME_MAX_LEN 255

static const struct connector_option_def file_options[] = {
    {"path", CONNECTOR_BOTH, true, "a directory"},
    {"file.format", CONNECTOR_SNK, false, "'ndjson', 'csv' or 'influx'"},
    {"influx.measurement", CONNECTOR_SNK, false, "a measurement name"},
    {"influx.tags", CONNECTOR_SNK, false, "columns written as tags"},
    {"influx.time", CONNECTOR_SNK, false, "the timestamp column"},
    {"file.skip-header", CONNECTOR_SRC, false,
     "'true' to skip each file's first line"},
    {"sink.rolling-policy.file-size", CONNECTOR_SNK, false,
     "a size like '64 MB'"},
    {"sink.rolling-policy.rollover-interval", CONNECTOR_SNK, false,
     "a duration like '15 min'"},
    {NULL, 0, false, NULL},
};

struct file_conn {
    struct connector *c;
    char dir[1024];
    bool sink;
    /* source */
    bool skip_header;
    char cur[NAME_MAX_LEN + 1]; /* file being read ("" none yet) */
    int64_t cur_off;            /* next byte to read */
    char *readbuf;
    /* sink */
    bool csv, influx;
    struct connector_influx lp;
    int64_t roll_bytes, roll_ms;
    int fd;
    uint32_t seq;
    int64_t size, opened_ms;
    struct buf out;
    struct row_decoder *dec;
    struct row_batch *batch;
};

static int file_validate(const struct connector_spec *s, char *err,
                         size_t errlen)
{
    const char *v;
    int64_t n;
    if ((v = connector_spec_option(s, "file.format")) &&
        strcasecmp(v, "ndjson") && strcasecmp(v, "csv") &&
        strcasecmp(v, "influx")) {
        snprintf(err, errlen,
                 "option 'file.format': expected 'ndjson', "
                 "'csv' or 'influx'");
        return ERR_INVALID;
    }
    if (v && !strcasecmp(v, "influx") && connector_influx_check(s, err, errlen))
        return ERR_INVALID;
    if ((v = connector_spec_option(s, "sink.rolling-policy.file-size")) &&
        (connector_parse_bytes(v, &n) || n < 1)) {
        snprintf(err, errlen,
                 "option 'sink.rolling-policy.file-size': "
                 "expected a size like '64 MB'");
        return ERR_INVALID;
    }
    if ((v = connector_spec_option(s,
                                   "sink.rolling-policy.rollover-interval")) &&
        (connector_parse_ms(v, &n) || n < 1)) {
        snprintf(err, errlen,
                 "option 'sink.rolling-policy.rollover-"
                 "interval': expected a duration like '15 min'");
        return ERR_INVALID;
    }
    if ((v = connector_spec_option(s, "file.skip-header")) &&
        strcasecmp(v, "true") && strcasecmp(v, "false")) {
        snprintf(err, errlen,
                 "option 'file.skip-header': expected 'true' or 'false'");
        return ERR_INVALID;
    }
    return 0;
}

/* ---- source ---- */

/* The source's position: "<byte offset> <file name>". */
static void source_restore(struct file_conn *f)
{
    const char *st = connector_restored(f->c);
    long long off;
    char name[NAME_MAX_LEN + 1];
    if (st && sscanf(st, "%lld %255[^\n]", &off, name) == 2 && off >= 0) {
        snprintf(f->cur, sizeof f->cur, "%s", name);
        f->cur_off = off;
    }
}

static bool skip_name(const char *n)
{
    return n[0] == '.' || strlen(n) > NAME_MAX_LEN;
}

/* The smallest regular file name > after ("" for the first), or "". */
static void next_file(const char *dir, const char *after, char *out)
{
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (skip_name(e->d_name) || strcmp(e->d_name, after) <= 0)
            continue;
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
            continue;
        if (!out[0] || strcmp(e->d_name, out) < 0)
            snprintf(out, NAME_MAX_LEN + 1, "%s", e->d_name);
    }
    closedir(d);
}

static int file_poll(void *state, int64_t now_ms)
{
    struct file_conn *f = state;
    if (!f->cur[0]) {
        next_file(f->dir, "", f->cur);
        f->cur_off = 0;
        if (!f->cur[0])
            return 0;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", f->dir, f->cur);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* Removed under us: go on with the next one. */
        char nx[NAME_MAX_LEN + 1];
        next_file(f->dir, f->cur, nx);
        if (!nx[0])
            return 0;
        snprintf(f->cur, sizeof f->cur, "%s", nx);
        f->cur_off = 0;
        return 1;
    }
    ssize_t n = pread(fd, f->readbuf, READ_MAX, f->cur_off);
    close(fd);
    if (n < 0)
        return -errno;
    size_t used = 0;
    const char *p = f->readbuf, *end = f->readbuf + n;
    bool emitted = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        size_t len = (size_t)(nl - p);
        if (len && p[len - 1] == '\r')
            len--;
        bool header = f->skip_header && f->cur_off + (int64_t)used == 0;
        if (len && !header) {
            int rc = connector_emit(f->c, NULL, 0, false, p, len, now_ms);
            if (rc)
                return rc;
            emitted = true;
        }
        used += (size_t)(nl - p) + 1;
        p = nl + 1;
    }
    if (used == 0 && n > 0 && (size_t)n == READ_MAX) {
        diag_warn("connector %s: %s: a line longer than %u bytes; skipped",
                  connector_name(f->c), path, READ_MAX);
        used = (size_t)n;
    }
    f->cur_off += (int64_t)used;
    if (emitted || used)
        return 1;
    /* At the end of this file: a newer one means this one is complete
     * (its last line, without '\n', counts). */
    char nx[NAME_MAX_LEN + 1];
    next_file(f->dir, f->cur, nx);
    if (!nx[0])
        return 0;
    if (n > 0) {
        size_t len = (size_t)n;
        bool header = f->skip_header && f->cur_off == 0;
        if (!header) {
            int rc =
                connector_emit(f->c, NULL, 0, false, f->readbuf, len, now_ms);
            if (rc)
                return rc;
        }
        f->cur_off += n;
    }
    snprintf(f->cur, sizeof f->cur, "%s", nx);
    f->cur_off = 0;
    return 1;
}

/* ---- sink ---- */

static const char *ext(const struct file_conn *f)
{
    return f->csv ? "csv" : f->influx ? "lp" : "ndjson";
}

static int sink_open_file(struct file_conn *f, bool truncate_to, int64_t size)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/part-%08u.%s", f->dir, f->seq, ext(f));
    /* A new file starts empty: anything in it is from a batch that was
     * never recorded. */
    int fd = os_open(
        path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate_to ? 0 : O_TRUNC),
        0640);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st)) {
        int e = -errno;
        os_close(fd);
        return e;
    }
    int64_t at = st.st_size;
    if (truncate_to && size < at) {
        int rc = os_ftruncate(fd, size);
        if (rc) {
            os_close(fd);
            return rc;
        }
        at = size;
    }
    if (lseek(fd, at, SEEK_SET) < 0) {
        int e = -errno;
        os_close(fd);
        return e;
    }
    f->fd = fd;
    f->size = at;
    f->opened_ms = clock_now_ms();
    return 0;
}

/* Highest part number in the directory (0 if none). */
static uint32_t max_seq(const char *dir)
{
    uint32_t m = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned v;
        if (sscanf(e->d_name, "part-%8u.", &v) == 1 && v > m)
            m = v;
    }
    closedir(d);
    return m;
}

/* Files past the recorded one were rolled to after the last recorded
 * batch: what they hold was not recorded, and is written again. */
static void drop_after(struct file_conn *f, unsigned seq)
{
    DIR *d = opendir(f->dir);
    if (!d)
        return;
    struct dirent *e;
    char suffix[16];
    snprintf(suffix, sizeof suffix, ".%s", ext(f));
    while ((e = readdir(d))) {
        unsigned v;
        size_t n = strlen(e->d_name), sl = strlen(suffix);
        if (sscanf(e->d_name, "part-%8u.", &v) != 1 || v <= seq || n < sl ||
            strcmp(e->d_name + n - sl, suffix))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
        os_unlink(path);
    }
    closedir(d);
}

static int file_open(void *state)
{
    struct file_conn *f = state;
    if (f->fd >= 0)
        return 0;
    int rc = os_mkdir_p(f->dir);
    if (rc)
        return rc;
    const char *st = connector_restored(f->c);
    unsigned seq;
    long long size;
    if (f->seq == 0 && st && sscanf(st, "%u %lld", &seq, &size) == 2 &&
        size >= 0) {
        f->seq = seq;
        drop_after(f, seq);
        return sink_open_file(f, true, size);
    }
    if (f->seq > 0)
        return sink_open_file(f, true, f->size);
    f->seq = max_seq(f->dir) + 1;
    return sink_open_file(f, false, 0);
}

static void file_close(void *state)
{
    struct file_conn *f = state;
    if (f->fd >= 0)
        os_close(f->fd);
    f->fd = -1;
}

static void csv_field(struct buf *b, const char *p, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
    if (!quote) {
        buf_put(b, p, n);
        return;
    }
    buf_put_u8(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            buf_put_u8(b, '"');
        buf_put_u8(b, (uint8_t)p[i]);
    }
    buf_put_u8(b, '"');
}

static void csv_row(struct file_conn *f, int row)
{
    const struct row_batch *b = f->batch;
    for (int col = 0; col < b->ncolumns; col++) {
        if (col)
            buf_put_u8(&f->out, ',');
        struct value v = row_batch_get(b, row, col);
        char tmp[64];
        size_t n = 0;
        switch (v.type) {
        case SCHEMA_NULL:
            break;
        case SCHEMA_BOOLEAN:
            buf_put_str(&f->out, v.u.b ? "true" : "false");
            break;
        case SCHEMA_INT:
        case SCHEMA_BIGINT:
            n = scalar_format_int(v.type == SCHEMA_INT ? v.u.i32 : v.u.i64,
                                  tmp);
            buf_put(&f->out, tmp, n);
            break;
        case SCHEMA_DOUBLE:
            n = scalar_format_double(v.u.f64, tmp);
            buf_put(&f->out, tmp, n);
            break;
        case SCHEMA_TIMESTAMP:
            n = scalar_format_timestamp(v.u.i64, tmp);
            buf_put(&f->out, tmp, n);
            break;
        case SCHEMA_STRING:
            csv_field(&f->out, v.u.str.ptr, v.u.str.len);
            break;
        default:
            break;
        }
    }
    buf_put_u8(&f->out, '\n');
}

static void file_checkpoint(void *state, struct buf *out)
{
    struct file_conn *f = state;
    if (f->sink)
        buf_printf(out, "%u %lld", f->seq, (long long)f->size);
    else
        buf_printf(out, "%lld %s", (long long)f->cur_off, f->cur);
}

static int file_write(void *state, const struct connector_row *rows, int n)
{
    struct file_conn *f = state;
    int64_t now = clock_now_ms();
    if (f->size > 0 && (f->size >= f->roll_bytes ||
                        (f->roll_ms > 0 && now - f->opened_ms >= f->roll_ms))) {
        if (os_fdatasync(f->fd))
            return 0;
        os_close(f->fd);
        f->fd = -1;
        f->seq++;
        if (sink_open_file(f, false, 0))
            return 0;
    }
    buf_reset(&f->out);
    for (int i = 0; i < n; i++) {
        if (rows[i].value_null)
            continue;
        if (f->influx) {
            const char *why = connector_influx_row(&f->lp, &rows[i], &f->out);
            if (why)
                connector_dead_letter(f->c, &rows[i], why, NULL, 0);
            continue;
        }
        if (!f->csv) {
            buf_put(&f->out, rows[i].value, rows[i].value_len);
            buf_put_u8(&f->out, '\n');
            continue;
        }
        row_batch_reset(f->batch);
        struct row_error e;
        int got =
            row_decoder_decode(f->dec, f->batch, (const char *)rows[i].value,
                               rows[i].value_len, now, NULL, &e);
        if (got < 0) {
            connector_dead_letter(f->c, &rows[i], "not a row of the stream",
                                  e.message, strlen(e.message));
            continue;
        }
        for (int r = 0; r < got; r++)
            csv_row(f, r);
    }
    size_t off = 0;
    while (off < f->out.len) {
        ssize_t w = os_write(f->fd, f->out.data + off, f->out.len - off);
        if (w < 0) {
            diag_warn("connector %s: write: %s", connector_name(f->c),
                      strerror(errno));
            /* cut back what part of the batch went out */
            if (os_ftruncate(f->fd, f->size) == 0)
                lseek(f->fd, f->size, SEEK_SET);
            return 0;
        }
        off += (size_t)w;
    }
    if (os_fdatasync(f->fd))
        return 0;
    f->size += (int64_t)f->out.len;
    return n;
}

/* ---- lifecycle ---- */

static int file_create(struct connector *c, void **state, char *err,
                       size_t errlen)
{
    struct file_conn *f = mem_calloc(1, sizeof *f);
    f->c = c;
    f->fd = -1;
    f->sink = connector_is_sink(c);
    snprintf(f->dir, sizeof f->dir, "%s", connector_option(c, "path"));
    const char *v = connector_option(c, "file.skip-header");
    f->skip_header = v && !strcasecmp(v, "true");
    v = connector_option(c, "file.format");
    f->csv = v && !strcasecmp(v, "csv");
    f->influx = v && !strcasecmp(v, "influx");
    if (f->influx && connector_influx_init(c, &f->lp, err, errlen)) {
        mem_free(f);
        return ERR_INVALID;
    }
    f->roll_bytes = 64 << 20;
    if ((v = connector_option(c, "sink.rolling-policy.file-size")))
        connector_parse_bytes(v, &f->roll_bytes);
    if ((v = connector_option(c, "sink.rolling-policy.rollover-interval")))
        connector_parse_ms(v, &f->roll_ms);
    buf_init(&f->out);
    if (f->csv) {
        if (row_decoder_create(ROW_FORMAT_JSON, connector_schema(c), NULL,
                               &f->dec) ||
            row_batch_create(connector_schema(c), 1024, &f->batch)) {
            snprintf(err, errlen, "cannot decode the stream's rows");
            row_decoder_destroy(f->dec);
            buf_fini(&f->out);
            mem_free(f);
            return ERR_INVALID;
        }
    }
    f->readbuf = mem_alloc(READ_MAX);
    if (!f->sink)
        source_restore(f);
    *state = f;
    return 0;
}

static void file_destroy(void *state)
{
    struct file_conn *f = state;
    file_close(f);
    row_decoder_destroy(f->dec);
    row_batch_destroy(f->batch);
    if (f->influx)
        connector_influx_fini(&f->lp);
    buf_fini(&f->out);
    mem_free(f->readbuf);
    mem_free(f);
}

const struct connector_kind connector_kind_file = {
    .name = "file",
    .roles = CONNECTOR_BOTH,
    .options = file_options,
    .validate = file_validate,
    .create = file_create,
    .destroy = file_destroy,
    .open = file_open,
    .close = file_close,
    .write = file_write,
    .checkpoint = file_checkpoint,
    .poll = file_poll,
};
