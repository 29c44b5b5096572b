/* web_job.c - requests answered from threads of their own: SQL over the
 * socket, pushes, anything that may block (layer: web).
 *
 * A job's thread never touches the connection: it posts messages to the
 * loop (loop_post runs them in order), and the loop thread writes them.
 * The last message, posted when the thread's function returns, releases
 * the connection and frees the job, so every earlier message still finds
 * it.
 * Invariants:
 *   1. After a whole (not streamed) answer, a keep-alive connection may
 *      carry the next request and its job: a finished job touches the
 *      connection only while it is still its own (never answered, or its
 *      stream, or its close callback).
 *   2. j->c is used on the loop thread only; j->gone, j->fd and j->queued
 *      are the only fields both threads touch (atomics).
 *   3. gone turns true before fd is read by the loop thread, and fd is set
 *      before gone is read by the job thread: one of them shuts it down.
 */
#include "web/web_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "base/err.h"
#include "base/mem.h"

#define JOB_OUT_HIGH (1u << 20)

struct web_job {
    struct web *w;
    struct http_conn *c; /* invariant 1 */
    web_job_fn *fn;
    void *arg;
    bool answered; /* loop thread */
    bool streamed; /* loop thread: the answer is a stream (it ends the
                      connection, so no later request shares it) */
    atomic_bool gone;
    atomic_int fd;
    atomic_size_t queued;
};

enum msg_kind { MSG_RESPOND, MSG_BEGIN, MSG_CHUNK, MSG_FINISH };

struct msg {
    struct web_job *j;
    enum msg_kind kind;
    int status;
    const char *ctype;
    struct buf body;
};

static void on_gone(void *arg)
{
    struct web_job *j = arg;
    atomic_store(&j->gone, true);
    int fd = atomic_load(&j->fd);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

static void deliver(struct loop *l, void *arg)
{
    struct msg *m = arg;
    struct web_job *j = m->j;
    (void)l;
    bool open = !http_conn_closed(j->c);
    switch (m->kind) {
    case MSG_RESPOND:
        if (open)
            http_respond(j->c, m->status, m->ctype, m->body.data, m->body.len);
        j->answered = true;
        break;
    case MSG_BEGIN:
        if (open)
            http_stream_begin(j->c, m->status, m->ctype);
        j->answered = true;
        j->streamed = true;
        break;
    case MSG_CHUNK:
        if (open)
            http_stream_write(j->c, m->body.data, m->body.len);
        atomic_fetch_sub(&j->queued, m->body.len);
        break;
    case MSG_FINISH:
        /* Once answered, a keep-alive connection may already carry the
         * next request, whose job set its own close callback. */
        if (http_conn_on_close_arg(j->c) == j)
            http_conn_on_close(j->c, NULL, NULL);
        /* Invariant 1: the connection is still this job's only if it was
         * never answered or carries this job's stream. */
        if (open && !j->answered)
            web_error(j->c, 500, "the request ended without an answer");
        else if (open && j->streamed)
            http_stream_end(j->c);
        http_conn_unref(j->c);
        http_server_release(j->w->http);
        mem_free(j);
        break;
    }
    buf_fini(&m->body);
    mem_free(m);
}

static void post(struct web_job *j, enum msg_kind kind, int status,
                 const char *ctype, struct buf *body)
{
    struct msg *m = mem_calloc(1, sizeof *m);
    m->j = j;
    m->kind = kind;
    m->status = status;
    m->ctype = ctype;
    buf_init(&m->body);
    if (body) {
        m->body = *body;
        buf_init(body);
    }
    loop_post(http_server_loop(j->w->http), deliver, m);
}

static void *job_main(void *arg)
{
    struct web_job *j = arg;
    j->fn(j, j->arg);
    post(j, MSG_FINISH, 0, NULL, NULL);
    return NULL;
}

int web_job_start(struct web *w, struct http_conn *c, web_job_fn *fn, void *arg)
{
    struct web_job *j = mem_calloc(1, sizeof *j);
    j->w = w;
    j->c = c;
    j->fn = fn;
    j->arg = arg;
    atomic_store(&j->fd, -1);
    http_conn_ref(c);
    http_conn_on_close(c, on_gone, j);
    http_server_hold(w->http);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &at, job_main, j);
    pthread_attr_destroy(&at);
    if (rc) {
        http_conn_on_close(c, NULL, NULL);
        http_server_release(w->http);
        http_conn_unref(c);
        mem_free(j);
        web_error(c, 503, "cannot start a thread for the request");
        return ERR_FAILED;
    }
    return 0;
}

struct web *web_job_web(struct web_job *j)
{
    return j->w;
}

void web_job_respond(struct web_job *j, int status, const char *ctype,
                     struct buf *body)
{
    post(j, MSG_RESPOND, status, ctype, body);
}

void web_job_begin(struct web_job *j, int status, const char *ctype)
{
    post(j, MSG_BEGIN, status, ctype, NULL);
}

int web_job_write(struct web_job *j, const void *p, size_t n)
{
    while (atomic_load(&j->queued) > JOB_OUT_HIGH && !web_job_gone(j)) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (web_job_gone(j))
        return -1;
    struct buf b;
    buf_init(&b);
    buf_put(&b, p, n);
    atomic_fetch_add(&j->queued, n);
    post(j, MSG_CHUNK, 0, NULL, &b);
    return 0;
}

bool web_job_gone(struct web_job *j)
{
    return atomic_load(&j->gone) || http_server_stopping(j->w->http);
}

void web_job_set_fd(struct web_job *j, int fd)
{
    atomic_store(&j->fd, fd);
    if (fd >= 0 && atomic_load(&j->gone))
        shutdown(fd, SHUT_RDWR);
}
