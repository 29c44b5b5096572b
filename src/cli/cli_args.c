/* cli_args.c - option scanning shared by the subcommands (layer: cli). */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *cli_data_dir(const char *flag_value)
{
    if (flag_value && *flag_value)
        return flag_value;
    const char *env = getenv("RILL_DATA");
    if (env && *env)
        return env;
    return "./rill-data";
}

void cli_args_init(struct cli_args *a, int argc, char **argv)
{
    a->argc = argc > 256 ? 256 : argc;
    a->argv = argv;
    memset(a->used, 0, sizeof a->used);
    a->used[0] = true;
}

const char *cli_opt(struct cli_args *a, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < a->argc; i++) {
        const char *s = a->argv[i];
        if (strncmp(s, "--", 2) != 0 || strncmp(s + 2, name, n) != 0)
            continue;
        if (s[2 + n] == '=') {
            a->used[i] = true;
            return s + 3 + n;
        }
        if (s[2 + n] == '\0' && i + 1 < a->argc) {
            a->used[i] = a->used[i + 1] = true;
            return a->argv[i + 1];
        }
    }
    return NULL;
}

bool cli_flag(struct cli_args *a, const char *name)
{
    for (int i = 1; i < a->argc; i++) {
        const char *s = a->argv[i];
        if (strncmp(s, "--", 2) == 0 && strcmp(s + 2, name) == 0) {
            a->used[i] = true;
            return true;
        }
    }
    return false;
}

const char *cli_positional(struct cli_args *a, int idx)
{
    int seen = 0;
    for (int i = 1; i < a->argc; i++) {
        if (a->used[i])
            continue;
        const char *s = a->argv[i];
        if (s[0] == '-' && s[1] == '-' && s[2])
            continue;
        if (seen++ == idx) {
            a->used[i] = true;
            return s;
        }
    }
    return NULL;
}

bool cli_dir_missing(const char *prog, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return false;
    fprintf(stderr,
            "rill %s: no data directory at %s (--data DIR or "
            "$RILL_DATA names it)\n",
            prog, dir);
    return true;
}

int cli_check_unused(struct cli_args *a, const char *usage)
{
    for (int i = 1; i < a->argc; i++) {
        /* Every subcommand answers --help with its usage, exit 0. */
        if (!strcmp(a->argv[i], "--help") || !strcmp(a->argv[i], "-h")) {
            printf("usage: %s\n", usage);
            exit(0);
        }
    }
    for (int i = 1; i < a->argc; i++) {
        if (!a->used[i]) {
            fprintf(stderr, "rill %s: unexpected argument '%s'\nusage: %s\n",
                    a->argv[0], a->argv[i], usage);
            return 2;
        }
    }
    return 0;
}

int cli_parse_i64(const char *flag, const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "rill: --%s expects an integer, got '%s'\n", flag, s);
        return 2;
    }
    *out = v;
    return 0;
}
