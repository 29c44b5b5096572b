/* cli.h - the `rill` subcommands and their shared helpers (layer: cli).
 *
 * Each subcommand is `int cli_<name>(int argc, char **argv)` where argv[0]
 * is the subcommand's name; it returns the process exit status (0 ok, 1 a
 * runtime error, 2 a usage error). Subcommands are listed in main.c's table.
 */
#ifndef RILL_CLI_H
#define RILL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The data directory: --data DIR, else $RILL_DATA, else ./rill-data. */
const char *cli_data_dir(const char *flag_value);

/* Tiny option scanner: `--name value`, `--name=value` and boolean `--flag`.
 * cli_opt returns the value of --name (and marks both argv slots used) or
 * NULL; cli_flag returns whether --name is present. cli_positional returns
 * the idx-th unused non-option argument after argv[0]. */
struct cli_args {
    int argc;
    char **argv;
    bool used[256];
};
void cli_args_init(struct cli_args *a, int argc, char **argv);
const char *cli_opt(struct cli_args *a, const char *name);
bool cli_flag(struct cli_args *a, const char *name);
const char *cli_positional(struct cli_args *a, int idx);
/* Whether the data directory dir is absent (then says so on stderr as
 * "rill <prog>: ..."): commands that only read must not show an empty
 * listing for a directory that is not there. */
bool cli_dir_missing(const char *prog, const char *dir);
/* Reports the first unused option as an error; returns 0 or 2. A --help
 * or -h anywhere prints usage on stdout and exits 0. */
int cli_check_unused(struct cli_args *a, const char *usage);
/* Parses a decimal int64 flag value or exits with a usage error. */
int cli_parse_i64(const char *flag, const char *s, int64_t *out);

int cli_topics(int argc, char **argv);
/* `rill topics VERB ... --bootstrap HOST:PORT` (cli_topics_remote.c): the
 * verbs against a running broker through librdkafka's admin API. name is
 * NULL for list; partitions <= 0 means not given; keys/values are Kafka
 * topic settings (retention.ms, ...). Returns the exit status. */
struct cli_topic_settings {
    const char *name;
    int32_t partitions;
    size_t n;
    const char *keys[16];
    const char *values[16];
};
int cli_topics_remote(const char *bootstrap, const char *verb,
                      const struct cli_topic_settings *s, int timeout_ms);
int cli_produce(int argc, char **argv);
/* `rill produce|consume TOPIC --bootstrap HOST:PORT` (cli_remote_io.c):
 * through librdkafka against a running broker. partition < 0: any / all;
 * max <= 0: no limit. Return the exit status. */
int cli_produce_remote(const char *bootstrap, const char *topic,
                       const char *file, const char *sep, int32_t partition,
                       const char *acks, bool quiet);
int cli_consume_remote(const char *bootstrap, const char *topic,
                       const char *from, int32_t partition, int64_t max,
                       const char *format, bool follow);
int cli_consume(int argc, char **argv);
int cli_logtool(int argc, char **argv); /* `rill log dump` */
int cli_serve(int argc, char **argv);
int cli_groups(int argc, char **argv);
int cli_users(int argc, char **argv); /* cli_auth.c */
int cli_acls(int argc, char **argv);  /* cli_auth.c */
/* `rill acls VERB ... --bootstrap` (cli_acls_remote.c): f is the binding
 * (add) or the filter (list, delete) with its operation taken from
 * ops[0..nops) in turn (none: ANY). Returns the exit status. */
struct auth_acl;
int cli_acls_remote(const char *bootstrap, const char *config_file,
                    const char *verb, const struct auth_acl *f, const int *ops,
                    int nops, int timeout_ms);
/* `rill users VERB ... --bootstrap` (cli_users_remote.c): Describe /
 * AlterUserScramCredentials over the Kafka protocol, TLS and SASL from the
 * client properties file. mech 0: both SCRAM mechanisms. Returns the exit
 * status. */
int cli_users_remote(const char *bootstrap, const char *config_file,
                     const char *verb, const char *name, const char *pw,
                     int mech, int32_t iterations, int timeout_ms);
int cli_quotas(int argc, char **argv);
int cli_simulate(int argc, char **argv);
int cli_skew(int argc, char **argv);
int cli_advise(int argc, char **argv);
int cli_run(int argc, char **argv);     /* rill run FILE.sql */
int cli_sql(int argc, char **argv);     /* interactive SQL shell */
int cli_queries(int argc, char **argv); /* rill queries list|describe */

/* An SQL session on a data directory, shared by `rill run` and `rill sql`
 * (cli_run.c): the logdir (write lock), the catalog, an executor. open
 * prints its own errors as "<prog>: ..." and returns 0 or 1. exec runs the
 * statements of text: results to stdout, the first error to stderr as
 * "<where>:<line>:<column>: <message>"; returns 0 or 1 (stopped there). */
struct cli_sql_session;
int cli_sql_session_open(const char *dir, const char *prog,
                         struct cli_sql_session **out);
void cli_sql_session_close(struct cli_sql_session *s);
int cli_sql_session_exec(struct cli_sql_session *s, const char *where,
                         const char *text, size_t len);
/* Async-signal-safe, for the shell's SIGINT handler: ends the statement
 * running inside `rill serve` (the session then reconnects and sends its
 * SET statements again, so the shell keeps them). Embedded sessions: a
 * no-op (the engine ends its SELECT on SIGINT itself). */
void cli_sql_session_interrupt(struct cli_sql_session *s);
/* Whether the session's statements go to a running `rill serve`
 * (<data>/rill.sock) rather than run in this process. */
bool cli_sql_session_remote(const struct cli_sql_session *s);

#endif
