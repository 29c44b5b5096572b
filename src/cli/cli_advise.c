/* cli_advise.c - placeholder until `rill advise` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_advise(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
