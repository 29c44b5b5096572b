/* cli_skew.c - placeholder until `rill skew` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_skew(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
