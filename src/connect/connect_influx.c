/* connect_influx.c - InfluxDB line protocol as a sink's output format
 * (file.format = 'influx', webhook.format = 'influx'): each record's JSON
 * row is decoded with the stream's schema and written as one line
 * (row/influx.h) (layer: connect).
 *
 * Options: 'influx.measurement' (a fixed name; default: the column
 * `measurement` when there is one, else the stream's name), 'influx.tags'
 * (columns written as tags, separated by commas; default: the stream's
 * key column), 'influx.time' (the timestamp column; default: `time`,
 * `ts`, `window_start` or `window_end`, the first that is a TIMESTAMP).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "connect/connector_int.h"

static int setup(const struct schema *s, const char *name, const char *key,
                 const char *meas, const char *tags, const char *time,
                 struct connector_influx *ci, char *err, size_t errlen)
{
    memset(&ci->enc, 0, sizeof ci->enc);
    ci->ntags = 0;
    ci->enc.measurement_column = -1;
    ci->enc.time_column = -1;
    if (meas) {
        snprintf(ci->measurement, sizeof ci->measurement, "%s", meas);
        ci->enc.measurement = ci->measurement;
    } else if (schema_find(s, "measurement", 11) >= 0 &&
               s->columns[schema_find(s, "measurement", 11)].type ==
                   SCHEMA_STRING) {
        ci->enc.measurement_column = schema_find(s, "measurement", 11);
    } else {
        snprintf(ci->measurement, sizeof ci->measurement, "%s", name);
        ci->enc.measurement = ci->measurement;
    }
    if (tags) {
        char *copy = mem_strdup(tags), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                n--;
            int col = schema_find(s, t, n);
            if (col < 0 || ci->ntags >= 16) {
                snprintf(err, errlen,
                         "option 'influx.tags': '%.*s' is not a column", (int)n,
                         t);
                mem_free(copy);
                return ERR_INVALID;
            }
            ci->tags[ci->ntags++] = col;
        }
        mem_free(copy);
    } else if (key && schema_find(s, key, strlen(key)) >= 0) {
        ci->tags[ci->ntags++] = schema_find(s, key, strlen(key));
    }
    if (time) {
        int col = schema_find(s, time, strlen(time));
        if (col < 0 || (s->columns[col].type != SCHEMA_TIMESTAMP &&
                        s->columns[col].type != SCHEMA_BIGINT)) {
            snprintf(err, errlen,
                     "option 'influx.time': '%s' is not a TIMESTAMP column",
                     time);
            return ERR_INVALID;
        }
        ci->enc.time_column = col;
    } else {
        static const char *const names[] = {"time", "ts", "window_start",
                                            "window_end"};
        for (int i = 0; i < 4 && ci->enc.time_column < 0; i++) {
            int col = schema_find(s, names[i], strlen(names[i]));
            if (col >= 0 && s->columns[col].type == SCHEMA_TIMESTAMP)
                ci->enc.time_column = col;
        }
    }
    ci->enc.tag_columns = ci->tags;
    ci->enc.ntags = ci->ntags;
    return 0;
}

int connector_influx_check(const struct connector_spec *s, char *err,
                           size_t errlen)
{
    struct connector_influx ci;
    return setup(s->schema, s->name, s->key,
                 connector_spec_option(s, "influx.measurement"),
                 connector_spec_option(s, "influx.tags"),
                 connector_spec_option(s, "influx.time"), &ci, err, errlen);
}

int connector_influx_init(struct connector *c, struct connector_influx *ci,
                          char *err, size_t errlen)
{
    memset(ci, 0, sizeof *ci);
    int rc =
        setup(connector_schema(c), connector_name(c), connector_key_column(c),
              connector_option(c, "influx.measurement"),
              connector_option(c, "influx.tags"),
              connector_option(c, "influx.time"), ci, err, errlen);
    if (rc)
        return rc;
    if (row_decoder_create(ROW_FORMAT_JSON, connector_schema(c), NULL,
                           &ci->dec) ||
        row_batch_create(connector_schema(c), 1, &ci->batch)) {
        snprintf(err, errlen, "cannot decode the stream's rows");
        connector_influx_fini(ci);
        return ERR_INVALID;
    }
    return 0;
}

void connector_influx_fini(struct connector_influx *ci)
{
    row_decoder_destroy(ci->dec);
    row_batch_destroy(ci->batch);
    ci->dec = NULL;
    ci->batch = NULL;
}

const char *connector_influx_row(struct connector_influx *ci,
                                 const struct connector_row *row,
                                 struct buf *out)
{
    row_batch_reset(ci->batch);
    struct row_error e;
    if (row_decoder_decode(ci->dec, ci->batch, (const char *)row->value,
                           row->value_len, clock_now_ms(), NULL, &e) != 1)
        return "the value is not a row of the stream";
    if (influx_encode_row(ci->batch, 0, &ci->enc, out))
        return "the row has no field (or no measurement) for line protocol";
    return NULL;
}
