/*
 * store.c - the store thread pool: one bounded FIFO of jobs, N threads, each
 * owning one backend connection. See store.h for the contract.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"

struct job {
    struct job *next;
    store_job_fn run;
    store_done_fn done;
    void *arg;
    struct loop *origin;
};

struct store {
    const struct store_backend *backend;
    struct store_options opt;
    unsigned nthreads;
    unsigned queue_max;
    pthread_t *threads;
    struct store_conn **conns;

    pthread_mutex_t lock;
    pthread_cond_t more;
    struct job *head, *tail; /* guarded by lock */
    unsigned queued;         /* guarded by lock */
    bool closing;            /* guarded by lock */
    atomic_uint running;     /* jobs being run right now */
};

struct worker_arg {
    struct store *s;
    struct store_conn *conn;
};

static void finish(struct job *j)
{
    if (!j->done) {
        free(j);
        return;
    }
    if (!j->origin) {
        j->done(j->arg);
        free(j);
        return;
    }
    if (loop_post(j->origin, j->done, j->arg) != 0) {
        /* Shutdown closes the store before the loops (main.c), so this only
         * happens if that order is broken. The completion touches loop-owned
         * state and must not run on this thread: drop it, loudly. */
        log_err("store", "job finished after its loop stopped; completion dropped", NULL);
    }
    free(j);
}

static void *worker(void *p)
{
    struct worker_arg *wa = p;
    struct store *s = wa->s;
    struct store_conn *conn = wa->conn;
    free(wa);
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->head && !s->closing)
            pthread_cond_wait(&s->more, &s->lock);
        struct job *j = s->head;
        if (!j) { /* closing and drained */
            pthread_mutex_unlock(&s->lock);
            break;
        }
        s->head = j->next;
        if (!s->head)
            s->tail = NULL;
        s->queued--;
        atomic_fetch_add(&s->running, 1);
        pthread_mutex_unlock(&s->lock);

        j->run(conn, s->backend, j->arg);
        atomic_fetch_sub(&s->running, 1);
        finish(j);
    }
    return NULL;
}

struct store *store_open(const struct store_backend *b, const struct store_options *opt,
                         unsigned nthreads, unsigned queue_max)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->backend = b;
    s->opt = *opt;
    s->nthreads = nthreads ? nthreads : 1;
    s->queue_max = queue_max ? queue_max : 1;
    s->threads = xcalloc(s->nthreads, sizeof *s->threads);
    s->conns = xcalloc(s->nthreads, sizeof *s->conns);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->more, NULL);

    for (unsigned i = 0; i < s->nthreads; i++) {
        int rc = b->open(opt, &s->conns[i]);
        if (rc != 0) {
            log_err("store", "cannot open database", "backend=%s err=\"%s\"", b->name,
                    onair_strerror(rc));
            goto fail_conns;
        }
        if (i == 0 && (rc = b->migrate(s->conns[0])) != 0) {
            log_err("store", "cannot migrate database", "backend=%s err=\"%s\"", b->name,
                    onair_strerror(rc));
            goto fail_conns;
        }
    }
    for (unsigned i = 0; i < s->nthreads; i++) {
        struct worker_arg *wa = xmalloc(sizeof *wa);
        wa->s = s;
        wa->conn = s->conns[i];
        if (pthread_create(&s->threads[i], NULL, worker, wa) != 0) {
            log_err("store", "cannot start store thread", NULL);
            abort();
        }
    }
    return s;

fail_conns:
    for (unsigned i = 0; i < s->nthreads; i++)
        if (s->conns[i])
            b->close(s->conns[i]);
    pthread_cond_destroy(&s->more);
    pthread_mutex_destroy(&s->lock);
    free(s->conns);
    free(s->threads);
    free(s);
    return NULL;
}

int store_submit(struct store *s, struct loop *origin, store_job_fn job, store_done_fn done,
                 void *arg)
{
    pthread_mutex_lock(&s->lock);
    if (s->closing) {
        pthread_mutex_unlock(&s->lock);
        return ONAIR_ECLOSED;
    }
    if (s->queued >= s->queue_max) {
        pthread_mutex_unlock(&s->lock);
        return ONAIR_EAGAIN;
    }
    struct job *j = xmalloc(sizeof *j);
    j->next = NULL;
    j->run = job;
    j->done = done;
    j->arg = arg;
    j->origin = origin;
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->queued++;
    pthread_cond_signal(&s->more);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int store_run_sync(struct store *s, store_job_fn job, void *arg)
{
    struct store_conn *conn;
    int rc = s->backend->open(&s->opt, &conn);
    if (rc != 0)
        return rc;
    job(conn, s->backend, arg);
    s->backend->close(conn);
    return 0;
}

struct store_conn *store_conn_open(struct store *s)
{
    struct store_conn *c = NULL;
    int rc = s->backend->open(&s->opt, &c);
    if (rc) {
        log_err("store", "cannot open a connection", "err=\"%s\"", onair_strerror(rc));
        return NULL;
    }
    return c;
}

void store_conn_close(struct store *s, struct store_conn *c)
{
    if (c)
        s->backend->close(c);
}

const struct store_backend *store_backend_of(const struct store *s)
{
    return s->backend;
}

unsigned store_queue_depth(const struct store *s)
{
    struct store *m = (struct store *)s;
    pthread_mutex_lock(&m->lock);
    unsigned q = m->queued;
    pthread_mutex_unlock(&m->lock);
    return q + atomic_load(&m->running);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_broadcast(&s->more);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    for (unsigned i = 0; i < s->nthreads; i++)
        s->backend->close(s->conns[i]);
    pthread_cond_destroy(&s->more);
    pthread_mutex_destroy(&s->lock);
    free(s->conns);
    free(s->threads);
    free(s);
}
