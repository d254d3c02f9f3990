/*
 * loop.h - I/O loops on their own threads, and messages between them.
 *
 * A struct loop is one libuv loop run by one thread. Everything a loop owns
 * (connections, timers) is touched only by that thread. Other threads talk
 * to a loop only through loop_post(), which queues a function to run on the
 * loop's thread (MPSC queue + uv_async wake-up).
 *
 * Lifecycle: loop_group_new() creates the loops, loop_group_start() starts
 * their threads, loop_group_stop() asks every loop to run its stop hooks and
 * end once no handle is active, loop_group_join() waits and frees.
 */
#ifndef ONAIR_CORE_LOOP_H
#define ONAIR_CORE_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

typedef void (*loop_fn)(void *arg);

struct loop_msg;

struct loop {
    uv_loop_t uv;
    unsigned index; /* 0..n-1 within its group */
    struct loop_group *group;

    /* Private to loop.c. */
    uv_async_t wake;
    pthread_t thread;
    pthread_mutex_t lock;
    struct loop_msg *head, *tail; /* guarded by lock */
    bool closed;                  /* guarded by lock: posts are refused */
    loop_fn on_stop;              /* run on the loop thread at loop_group_stop */
    void *on_stop_arg;
};

struct loop_group {
    unsigned count;
    struct loop *loops; /* count of them */
};

/* Creates count loops (count >= 1). Aborts if libuv can't make a loop. */
struct loop_group *loop_group_new(unsigned count);

/* Registers fn to run on loop l's thread when the group is stopped; it must
 * close the handles it owns so the loop can end. Call before start. */
void loop_set_stop_hook(struct loop *l, loop_fn fn, void *arg);

/* Starts one thread per loop. Returns 0 or ONAIR_EIO. */
int loop_group_start(struct loop_group *g);

/* Runs every loop's stop hook on its own thread; each loop thread ends once
 * it has no active handles left. Any thread may call this, once. */
void loop_group_stop(struct loop_group *g);

/* Waits for the threads, drains and frees everything. */
void loop_group_join(struct loop_group *g);

/* Queues fn(arg) to run on l's thread, in posting order. Any thread.
 * Returns 0, or ONAIR_ECLOSED once the loop has stopped (fn never runs). */
int loop_post(struct loop *l, loop_fn fn, void *arg);

/* The loop whose thread is calling, or NULL on any other thread. */
struct loop *loop_current(void);

#endif
