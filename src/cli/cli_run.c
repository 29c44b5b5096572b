/* cli_run.c - placeholder until `rill run` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_run(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
