/* cli_simulate.c - placeholder until `rill simulate` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_simulate(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
