#include "core/loop.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

struct loop_msg {
    struct loop_msg *next;
    loop_fn fn;
    void *arg;
};

static _Thread_local struct loop *current;

struct loop *loop_current(void)
{
    return current;
}

/* Takes the whole queue under the lock, then runs it without the lock, so a
 * posted function may itself post. */
static void drain(struct loop *l)
{
    pthread_mutex_lock(&l->lock);
    struct loop_msg *m = l->head;
    l->head = l->tail = NULL;
    pthread_mutex_unlock(&l->lock);
    while (m) {
        struct loop_msg *next = m->next;
        m->fn(m->arg);
        free(m);
        m = next;
    }
}

static void on_wake(uv_async_t *h)
{
    drain(h->data);
}

struct loop_group *loop_group_new(unsigned count)
{
    struct loop_group *g = xcalloc(1, sizeof *g);
    g->count = count;
    g->loops = xcalloc(count, sizeof *g->loops);
    for (unsigned i = 0; i < count; i++) {
        struct loop *l = &g->loops[i];
        l->index = i;
        l->group = g;
        if (uv_loop_init(&l->uv) != 0) {
            log_err("loop", "uv_loop_init failed", NULL);
            abort();
        }
        l->uv.data = l;
        pthread_mutex_init(&l->lock, NULL);
        uv_async_init(&l->uv, &l->wake, on_wake);
        l->wake.data = l;
    }
    return g;
}

void loop_set_stop_hook(struct loop *l, loop_fn fn, void *arg)
{
    l->on_stop = fn;
    l->on_stop_arg = arg;
}

static void *run(void *arg)
{
    struct loop *l = arg;
    current = l;
    uv_run(&l->uv, UV_RUN_DEFAULT);
    return NULL;
}

int loop_group_start(struct loop_group *g)
{
    for (unsigned i = 0; i < g->count; i++) {
        if (pthread_create(&g->loops[i].thread, NULL, run, &g->loops[i]) != 0) {
            log_err("loop", "pthread_create failed", NULL);
            return ONAIR_EIO;
        }
        char name[16]; /* the kernel's limit, NUL included */
        snprintf(name, sizeof name, "loop-%u", i);
        pthread_setname_np(g->loops[i].thread, name); /* for top -H, perf, gdb */
    }
    return 0;
}

static void stop_on_loop(void *arg)
{
    struct loop *l = arg;
    if (l->on_stop)
        l->on_stop(l->on_stop_arg);
    /* The wake handle is what keeps an idle loop alive; once it is closed the
     * loop ends as soon as the hook's handles finish closing. Posts that
     * arrive later are refused (closed) rather than lost silently. */
    pthread_mutex_lock(&l->lock);
    l->closed = true;
    pthread_mutex_unlock(&l->lock);
    drain(l);
    uv_close((uv_handle_t *)&l->wake, NULL);
}

void loop_group_stop(struct loop_group *g)
{
    for (unsigned i = 0; i < g->count; i++)
        loop_post(&g->loops[i], stop_on_loop, &g->loops[i]);
}

void loop_group_join(struct loop_group *g)
{
    for (unsigned i = 0; i < g->count; i++)
        pthread_join(g->loops[i].thread, NULL);
    for (unsigned i = 0; i < g->count; i++) {
        struct loop *l = &g->loops[i];
        drain(l);
        if (uv_loop_close(&l->uv) != 0)
            log_warn("loop", "loop closed with handles still open", "loop=%u", i);
        pthread_mutex_destroy(&l->lock);
    }
    free(g->loops);
    free(g);
}

int loop_post(struct loop *l, loop_fn fn, void *arg)
{
    struct loop_msg *m = xmalloc(sizeof *m);
    m->next = NULL;
    m->fn = fn;
    m->arg = arg;
    pthread_mutex_lock(&l->lock);
    if (l->closed) {
        pthread_mutex_unlock(&l->lock);
        free(m);
        return ONAIR_ECLOSED;
    }
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
    pthread_mutex_unlock(&l->lock);
    uv_async_send(&l->wake);
    return 0;
}
