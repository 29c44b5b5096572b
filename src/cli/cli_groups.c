/* cli_groups.c - placeholder until `rill groups` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_groups(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
