/* main.c - the `rill` command: dispatches to a subcommand (layer: cli).
 *
 * Each subcommand lives in its own src/cli/cli_<name>.c; this table is the
 * one place that lists them, with the one-line help `rill --help` prints.
 */
#include "cli/cli.h"

#include "base/diag.h"
#include "base/os.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define RILL_VERSION "0.1.0"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"topics", cli_topics, "create, list, describe, alter and delete topics"},
    {"produce", cli_produce, "append stdin or --file lines to a topic"},
    {"consume", cli_consume, "print records of a topic"},
    {"log", cli_logtool, "log dump DIR_OR_FILE: print batches, verify CRCs"},
    {"serve", cli_serve, "run the Kafka-protocol broker (and the SQL engine)"},
    {"groups", cli_groups,
     "list, describe, delete consumer groups, reset offsets"},
    {"users", cli_users, "add, list and delete SASL/SCRAM users"},
    {"acls", cli_acls, "add, list and delete ACLs"},
    {"quotas", cli_quotas, "set, list and delete produce/fetch quotas"},
    {"run", cli_run, "run FILE.sql: execute statements, keep queries running"},
    {"sql", cli_sql, "interactive SQL shell"},
    {"queries", cli_queries, "list and describe persistent queries"},
    {"simulate", cli_simulate, "generate realistic sensor data"},
    {"skew", cli_skew, "partition-imbalance explorer"},
    {"advise", cli_advise, "architecture calculator"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: rill COMMAND [ARGS]   (every command takes --data DIR)\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (os_fault_from_env() < 0) {
        fprintf(stderr, "rill: RILL_FAULT does not parse\n");
        return 2;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("rill %s (Kafka protocol: the APIs of Kafka 3.9 for a single "
               "node, docs/kafka-protocol.md)\n",
               RILL_VERSION);
        return 0;
    }
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "rill: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
