/* cli_serve.c - placeholder until `rill serve` lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_serve(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
