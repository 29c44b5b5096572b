/* cli_queries.c - `rill queries list|describe ID`: the persistent queries
 * of a data directory's catalog (layer: cli).
 *
 * Reads the catalog file only (no data directory lock), so it works next
 * to a running `rill run` or `rill serve`. Run-time counters (rows, late
 * rows per input partition) come from the engine running the query; read
 * from the file alone they show as not available.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/catalog.h"
#include "sql/sql_exec.h"

static const char usage_text[] = "rill queries list [--data DIR]\n"
                                 "       rill queries describe ID [--data DIR]";

int cli_queries(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help")) {
        printf("usage: %s\n", usage_text);
        return 0;
    }
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    const char *verb = cli_positional(&a, 0);
    const char *id =
        verb && !strcmp(verb, "describe") ? cli_positional(&a, 0) : NULL;
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    if (!verb || (strcmp(verb, "list") && strcmp(verb, "describe")) ||
        (!strcmp(verb, "describe") && !id)) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "rill queries: no data directory at %s\n", dir);
        return 1;
    }
    struct catalog *cat;
    char msg[512];
    rc = catalog_open(dir, &cat, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "rill queries: cannot read the catalog: %s\n",
                msg[0] ? msg : err_str(rc));
        return 1;
    }
    struct buf out;
    buf_init(&out);
    int status = 0;
    if (!strcmp(verb, "list")) {
        sql_exec_show_queries(cat, &out);
    } else if (sql_exec_describe_query(cat, NULL, NULL, id, &out) ==
               ERR_NOT_FOUND) {
        fprintf(stderr, "rill queries: unknown query '%s'\n", id);
        status = 1;
    }
    fwrite(out.data, 1, out.len, stdout);
    buf_fini(&out);
    catalog_close(cat);
    return status;
}
