/*  task - one task as the broker holds it while it is queued or running.
    Finished tasks live only in the store. */
#ifndef ZTASK_TASK_H_INCLUDED
#define ZTASK_TASK_H_INCLUDED

#include <czmq.h>

#define TASK_PRIORITY_LEVELS 10

typedef struct task_type task_type_t;
typedef struct sched_worker sched_worker_t;
typedef struct waiter waiter_t;

typedef struct task {
    uint64_t id;                 /* store id, also the client-visible id        */
    uint64_t seq;                /* FIFO order across types within a priority   */
    task_type_t *type;           /* plugin that runs it                          */
    uint8_t priority;            /* 0..9, higher first                           */
    uint8_t state;               /* ztask_state_t                                */
    uint32_t attempts;           /* attempts started                             */
    uint32_t max_attempts;
    uint32_t timeout_ms;         /* 0: none                                      */
    int64_t created_ms;          /* wall clock                                   */
    int64_t started_ms;
    struct task *prev, *next;    /* queue links (queued) or worker's running list */
    sched_worker_t *worker;      /* worker running it (running)                  */
    zframe_t *payload;
    char *progress_text;         /* last progress report; NULL until one comes  */
    uint64_t progress_done, progress_total;
    waiter_t *waiters;           /* clients waiting for its end                  */
    int64_t due;                 /* held back until (monotonic ms), see delayed.h */
    size_t delayed_index;        /* its place in the delayed heap + 1; 0: not held */
    bool cancelling;             /* a client cancelled it while it ran           */
} task_t;

/* A client waiting for a task's end (WAIT), answered with its TASK_INFO. */
struct waiter {
    zframe_t *routing_id;
    uint32_t corr;
    waiter_t *next;
};

task_t *task_new (uint64_t id, task_type_t *type, uint8_t priority, zframe_t **payload_p);
void task_destroy (task_t **self_p);

#endif
