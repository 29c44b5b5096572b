/* catalog.h - the SQL catalog: streams, tables and persistent queries,
 * persisted in the data directory (layer: sql).
 *
 * The catalog is one text file, <data>/_catalog/catalog, rewritten whole
 * and atomically (os_write_file_atomic) after every change, so a crash
 * leaves either the old or the new catalog, never a mix. Every mutating
 * call persists before it returns; if the write fails the in-memory change
 * is undone and the error returned. It validates nothing about SQL (the
 * executor, sql_exec.h, does); it only keeps names unique. Names of
 * relations and queries compare case-insensitively, as in SQL, and keep
 * the spelling they were created with.
 *
 * Ownership: records returned by find/at are borrowed and valid until the
 * next mutating call. Not thread-safe; one process writes the catalog: the
 * one holding the data directory's lock (rill run / rill sql / rill serve);
 * readers (rill queries) may read the file at any time.
 */
#ifndef RILL_CATALOG_H
#define RILL_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/schema.h"

#define CATALOG_NAME_MAX 128 /* relation names, bytes without the NUL */
#define CATALOG_FILE_MAX (64u << 20)

enum catalog_kind {
    CATALOG_STREAM,
    CATALOG_TABLE, /* read as a changelog keyed by `key` */
};

enum catalog_query_state {
    CATALOG_QUERY_RUNNING, /* should run: restarted with the process */
    CATALOG_QUERY_STOPPED, /* kept for inspection; `error` says why */
};

struct catalog_option {
    char *key; /* lower case, as validated by the executor */
    char *value;
};

/* A stream or table. The executor fills it; catalog_relation_add copies. */
struct catalog_relation {
    char *name;
    enum catalog_kind kind;
    struct schema schema;                /* columns, types, JSON paths */
    char *sql_types[SCHEMA_MAX_COLUMNS]; /* as declared: "VARCHAR(20)" */
    char *time_column;                   /* WATERMARK FOR col, or NULL */
    int64_t watermark_delay_ms;          /* ts - INTERVAL ... */
    char *watermark;                     /* canonical text, or NULL */
    struct catalog_option *options;      /* WITH (...) as written */
    size_t noptions;
    /* Effective settings (defaults applied). */
    char *topic;
    char *format; /* json | csv | senml */
    char *key;    /* key column, or NULL */
    int32_t partitions;
    char *query_id; /* the persistent query writing it (CREATE ... AS) */
    int64_t created_ms;
};

struct catalog_query {
    char *id;      /* q_1, q_2, ... never reused */
    char *kind;    /* "CREATE STREAM AS", "CREATE TABLE AS", "INSERT INTO" */
    char *sql;     /* the statement's source text */
    char *sink;    /* the relation it writes */
    char **inputs; /* relations it reads */
    size_t ninputs;
    struct catalog_option *settings; /* SET options in force at creation */
    size_t nsettings;
    enum catalog_query_state state;
    char *error; /* why it is STOPPED, or NULL */
    int64_t created_ms;
};

struct catalog;

/* Opens the catalog of the data directory `data_dir`: reads
 * <data>/_catalog/catalog if present, else starts empty (the directory is
 * created on the first change). data_dir NULL: a catalog in memory only
 * (librill's in-memory engines), never written. Returns 0, ERR_CORRUPT
 * (with a message in err naming the line) or a negative errno. */
int catalog_open(const char *data_dir, struct catalog **out, char *err,
                 size_t errlen);
void catalog_close(struct catalog *c); /* NULL is a no-op */
/* The catalog file's path. */
const char *catalog_path(const struct catalog *c);

/* ---- relations ---- */
size_t catalog_relation_count(const struct catalog *c);
/* In name order (case-insensitive). */
const struct catalog_relation *catalog_relation_at(const struct catalog *c,
                                                   size_t i);
const struct catalog_relation *catalog_relation_find(const struct catalog *c,
                                                     const char *name);
/* Deep-copies rel. ERR_EXISTS if the name is taken, ERR_INVALID for an
 * empty or over-long name, or the write's error. */
int catalog_relation_add(struct catalog *c, const struct catalog_relation *rel);
/* ERR_NOT_FOUND, or the write's error. */
int catalog_relation_drop(struct catalog *c, const char *name);
/* The value of option `key` as written in WITH, or NULL. */
const char *catalog_relation_option(const struct catalog_relation *rel,
                                    const char *key);
/* Frees what a caller-built relation owns (the fields above); not for
 * records returned by the catalog. */
void catalog_relation_fini(struct catalog_relation *rel);

/* ---- queries ---- */
size_t catalog_query_count(const struct catalog *c);
/* In creation order. */
const struct catalog_query *catalog_query_at(const struct catalog *c, size_t i);
const struct catalog_query *catalog_query_find(const struct catalog *c,
                                               const char *id);
/* The id the next catalog_query_add will assign ("q_7"). */
void catalog_query_next_id(const struct catalog *c, char *out, size_t n);
/* Deep-copies q under a new id (q->id is ignored), written to id_out.
 * Returns 0 or the write's error. */
int catalog_query_add(struct catalog *c, const struct catalog_query *q,
                      char *id_out, size_t n);
int catalog_query_drop(struct catalog *c, const char *id);
/* error may be NULL. ERR_NOT_FOUND or the write's error. */
int catalog_query_set_state(struct catalog *c, const char *id,
                            enum catalog_query_state state, const char *error);
/* Whether a RUNNING query reads or writes `name`; its id goes to id_out. */
bool catalog_relation_in_use(const struct catalog *c, const char *name,
                             char *id_out, size_t n);
const char *catalog_query_state_name(enum catalog_query_state s);
const char *catalog_kind_name(enum catalog_kind k); /* "STREAM", "TABLE" */

#endif
