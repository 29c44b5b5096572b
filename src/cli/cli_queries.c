/* cli_queries.c - placeholder until `rill queries` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_queries(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
