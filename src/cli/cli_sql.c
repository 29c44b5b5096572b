/* cli_sql.c - placeholder until `rill sql` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_sql(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
