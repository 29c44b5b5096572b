/* cli_consume.c - placeholder until the log CLI lands (layer: cli). */
#include "cli/cli.h"

#include <stdio.h>

int cli_consume(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "rill %s: not implemented yet\n", argv[0]);
    return 1;
}
