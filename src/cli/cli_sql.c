/* cli_sql.c - `rill sql`, the interactive SQL shell (layer: cli).
 *
 * On a terminal: a prompt, line editing and history (libedit, kept in
 * ~/.rill_history); a statement may span lines and runs when a line ends
 * it with ';' (outside strings and comments). When stdin is not a terminal
 * it reads statements from stdin without a prompt, runs each as it
 * completes (errors name lines of stdin), goes on after an error and
 * exits 1 if any failed. The session (data directory, catalog, executor)
 * is cli_run.c's: when `rill serve` runs on the data directory, the
 * statements go to it over <data>/rill.sock.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <editline/readline.h>

#include "base/arena.h"
#include "base/buf.h"
#include "sql/sql_lex.h"

#define HISTORY_MAX 1000

/* Whether text holds a statement ending in ';' (after its last token),
 * with no string, quoted name or comment left open. */
static bool complete(const char *text, size_t len)
{
    struct arena arena;
    arena_init(&arena, 4096);
    struct sql_lex lx;
    sql_lex_init(&lx, text, len, &arena);
    enum sql_tok last = SQL_TOK_EOF;
    bool done = false;
    for (;;) {
        struct sql_token t;
        struct sql_error err;
        if (sql_lex_next(&lx, &t, &err)) {
            /* An unterminated string or comment may end on a later line;
             * any other lexical error is reported by running it. */
            done = strstr(err.message, "unterminated") == NULL;
            break;
        }
        if (t.kind == SQL_TOK_EOF) {
            done = last == SQL_TOK_SEMI;
            break;
        }
        last = t.kind;
    }
    arena_fini(&arena);
    return done;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Runs a statement read from stdin. The text is preceded by one newline
 * per line read before it, so positions in errors are lines of stdin. */
static int run_piped_stmt(struct cli_sql_session *s, struct buf *stmt,
                          size_t lines_before)
{
    struct buf text;
    buf_init(&text);
    for (size_t i = 0; i < lines_before; i++)
        buf_put_u8(&text, '\n');
    buf_put(&text, stmt->data, stmt->len);
    int rc = cli_sql_session_exec(s, "sql", (const char *)text.data, text.len);
    buf_fini(&text);
    return rc;
}

static int run_pipe(struct cli_sql_session *s)
{
    struct buf stmt;
    buf_init(&stmt);
    char *line = NULL;
    size_t cap = 0, lines = 0, first = 0;
    ssize_t n;
    int status = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        buf_put(&stmt, line, (size_t)n);
        lines++;
        if (complete((const char *)stmt.data, stmt.len)) {
            if (run_piped_stmt(s, &stmt, first))
                status = 1;
            buf_reset(&stmt);
            first = lines;
        }
    }
    if (!blank((const char *)stmt.data, stmt.len) &&
        run_piped_stmt(s, &stmt, first))
        status = 1;
    free(line);
    buf_fini(&stmt);
    return status;
}

static bool is_quit(const char *line)
{
    while (*line == ' ')
        line++;
    return !strncmp(line, "quit", 4) || !strncmp(line, "exit", 4) ||
           !strncmp(line, "\\q", 2);
}

/* Ctrl-C in the shell: at the prompt it drops the statement being typed;
 * while a SELECT runs, the engine's own handler ends that SELECT
 * (query_run.c installs it for the SELECT and puts this one back). The
 * session and its SET settings stay either way; quit or Ctrl-D leaves. */
static volatile sig_atomic_t sigint_seen;
static int sig_pipe[2] = {-1, -1}; /* the handler's wake-up (shell_getc) */
static struct cli_sql_session *shell_session;

static void on_sigint(int sig)
{
    (void)sig;
    int saved = errno;
    sigint_seen = 1;
    if (sig_pipe[1] >= 0 && write(sig_pipe[1], "", 1) < 0) {
        /* full: a wake-up is pending anyway */
    }
    cli_sql_session_interrupt(shell_session); /* a statement in rill serve */
    errno = saved;
}

/* libedit reads keys through this. The SIGINT handler also writes a byte
 * to sig_pipe, and the wait is on the terminal and that pipe, so a Ctrl-C
 * is never lost between the check of sigint_seen and the wait, whichever
 * thread of the process took the signal (a plain read() blocked on after
 * the signal landed would wait for the next key). EOF makes readline
 * return. */
static int shell_getc(FILE *f)
{
    int fd = fileno(f);
    char drain[64];
    for (;;) {
        if (sigint_seen) {
            while (read(sig_pipe[0], drain, sizeof drain) > 0)
                ;
            return EOF;
        }
        fd_set in;
        FD_ZERO(&in);
        FD_SET(fd, &in);
        FD_SET(sig_pipe[0], &in);
        int top = fd > sig_pipe[0] ? fd : sig_pipe[0];
        int n = select(top + 1, &in, NULL, NULL, NULL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return EOF;
        if (FD_ISSET(sig_pipe[0], &in)) {
            /* a stale byte (a Ctrl-C during a statement) or this one */
            while (read(sig_pipe[0], drain, sizeof drain) > 0)
                ;
            continue;
        }
        unsigned char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 1)
            return c;
        if (r < 0 && errno == EINTR)
            continue;
        return EOF;
    }
}

static int run_tty(struct cli_sql_session *s)
{
    char hist[4096] = "";
    const char *home = getenv("HOME");
    if (home && *home)
        snprintf(hist, sizeof hist, "%s/.rill_history", home);
    /* Ctrl-C is ours (shell_getc, on_sigint), not libedit's: its handler
     * re-raises the signal to the whole process group. */
    rl_catch_signals = 0;
    int (*old_getc)(FILE *) = rl_getc_function;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == 0)
        rl_getc_function = shell_getc;
    using_history();
    stifle_history(HISTORY_MAX);
    if (hist[0])
        read_history(hist);
    printf("rill sql: statements end with ';'. quit or Ctrl-D leaves. "
           "docs/sql.md is the reference.\n");
    if (cli_sql_session_remote(s))
        printf("Connected to rill serve: statements and their queries run "
               "inside it.\n");
    shell_session = s;
    struct sigaction sa, old_int;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint; /* no SA_RESTART: the read returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    struct buf stmt;
    buf_init(&stmt);
    for (;;) {
        sigint_seen = 0;
        char *line = readline(stmt.len ? "   ...> " : "rill> ");
        if (sigint_seen) {
            /* Ctrl-C: forget what was typed, a fresh prompt. */
            free(line);
            buf_reset(&stmt);
            putchar('\n');
            fflush(stdout);
            continue;
        }
        if (!line) {
            putchar('\n');
            break;
        }
        if (!stmt.len && is_quit(line)) {
            free(line);
            break;
        }
        buf_put_str(&stmt, line);
        buf_put_u8(&stmt, '\n');
        free(line);
        if (blank((const char *)stmt.data, stmt.len)) {
            buf_reset(&stmt);
            continue;
        }
        if (!complete((const char *)stmt.data, stmt.len))
            continue;
        /* One history entry per statement, on one line. */
        buf_put_u8(&stmt, '\0');
        char *entry = strdup((const char *)stmt.data);
        for (char *p = entry; *p; p++)
            if (*p == '\n')
                *p = ' ';
        size_t e = strlen(entry);
        while (e && entry[e - 1] == ' ')
            entry[--e] = '\0';
        add_history(entry);
        free(entry);
        cli_sql_session_exec(s, "sql", (const char *)stmt.data, stmt.len - 1);
        buf_reset(&stmt);
        if (hist[0])
            write_history(hist);
    }
    buf_fini(&stmt);
    sigaction(SIGINT, &old_int, NULL);
    if (sig_pipe[0] >= 0) {
        rl_getc_function = old_getc;
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
    }
    if (hist[0])
        write_history(hist);
    return 0;
}

static const char usage_text[] =
    "rill sql [--data DIR]\n"
    "  an interactive SQL shell (history in ~/.rill_history); with stdin\n"
    "  not a terminal, runs the statements read from stdin. When rill serve\n"
    "  runs on DIR, statements run inside it (over DIR/rill.sock)";

int cli_sql(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    if (cli_flag(&a, "help")) {
        printf("usage: %s\n", usage_text);
        return 0;
    }
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    int rc = cli_check_unused(&a, usage_text);
    if (rc)
        return rc;
    struct cli_sql_session *s;
    if (cli_sql_session_open(dir, "rill sql", &s))
        return 1;
    int status = isatty(STDIN_FILENO) ? run_tty(s) : run_pipe(s);
    cli_sql_session_close(s);
    return status;
}
