/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task - one task as the broker holds it while it is queued or running:
    one allocation with the payload at its end. Finished tasks live only
    in the store. */
#ifndef ZTASK_TASK_H_INCLUDED
#define ZTASK_TASK_H_INCLUDED

#include "peer_id.h"

#define TASK_PRIORITY_LEVELS 10

typedef struct task_type task_type_t;
typedef struct sched_sig sched_sig_t;
typedef struct sched_worker sched_worker_t;
typedef struct waiter waiter_t;

/* A task's dependencies (docs/scheduling.md), allocated only for a task
   that has parents or waiting children: a task without either costs one
   pointer. */
typedef struct {
    uint64_t *parents;           /* parent_count parent ids, as submitted    */
    uint64_t *children;          /* child_count ids of blocked tasks waiting
                                    for this one (some may have ended since) */
    uint32_t parent_count;
    uint32_t pending;            /* parents not ended yet (blocked)           */
    uint32_t child_count, child_max;
    uint64_t failed_parent;      /* a parent that failed or was cancelled; 0 */
    uint8_t failed_state;        /* ... its state                             */
    bool after_any;              /* runs once all ended, whatever their states */
    bool batch_then;             /* it is batch_id's then task, which waits for
                                    (pending counts) the batch's tasks     */
    uint64_t batch_id;           /* the batch it belongs to (or, batch_then,
                                    runs after); 0: none                   */
} task_deps_t;

typedef struct task {
    uint64_t id;                 /* store id, also the client-visible id        */
    uint64_t seq;                /* FIFO order across types within a priority   */
    task_type_t *type;           /* plugin that runs it                          */
    sched_sig_t *sig;            /* what it asks of a worker (scheduler.h);
                                    NULL: nothing beyond type and priority   */
    struct task *prev, *next;    /* queue links (queued) or worker's running list */
    struct task *fifo_prev, *fifo_next; /* queued: its type and level's queue of
                                    every signature, oldest first           */
    sched_worker_t *worker;      /* worker running it (running)                  */
    waiter_t *waiters;           /* clients waiting for its end                  */
    task_deps_t *deps;           /* its parents and waiting children; NULL: none */
    char *progress_text;         /* last progress report; NULL until one comes  */
    uint64_t progress_done, progress_total;
    char *milestones;            /* history entries of this attempt's progress,
                                    written with its next transition; NULL: none */
    const char *history;         /* entries the next store write appends
                                    (the broker's buffer, only during that call;
                                    NULL: none), see history.h */
    int64_t created_ms;          /* wall clock                                   */
    int64_t started_ms;
    int64_t due;                 /* held back until (monotonic ms), see delayed.h */
    int64_t due_ms;              /* a delayed task's due time (wall clock ms,
                                    as stored); 0: not delayed               */
    int64_t next_attempt_ms;     /* a requeued task's next attempt (wall clock
                                    ms, as stored); 0: none pending          */
    uint32_t retry_min_ms;       /* retry policy MIN..MAX (ztask_retry.h)     */
    uint32_t retry_max_ms;
    uint32_t delayed_index;      /* its place in the delayed heap + 1; 0: not held */
    uint32_t attempts;           /* attempts started                             */
    uint32_t max_attempts;
    uint32_t timeout_ms;         /* 0: none                                      */
    uint32_t payload_size;
    uint8_t priority;            /* 0..9, higher first                           */
    uint8_t state;               /* ztask_state_t                                */
    bool cancelling;             /* a client cancelled it while it ran           */
    uint8_t milestone;           /* progress quarters recorded this attempt + 1; 0: none */
    uint8_t milestone_count;     /* milestones recorded this attempt             */
    byte payload[];              /* payload_size bytes                           */
} task_t;

/* A client waiting for a task's end (WAIT), answered with its TASK_INFO. */
struct waiter {
    waiter_t *next;
    uint32_t corr;               /* the client's request number               */
    peer_id_t peer;              /* the client                                */
    uint64_t held_until;         /* the broker's commit count at which its
                                    SUBMITTED goes out (0: none pending);
                                    nothing may reach it directly before  */
};

/* A queued task of priority with a copy of payload. */
task_t *task_new (uint64_t id, task_type_t *type, uint8_t priority, const void *payload, size_t size);
void task_destroy (task_t **self_p);

/* Gives task parent_count parents (ids), after_any as task_deps_t says. */
void task_set_parents (task_t *self, const uint64_t *parents, size_t parent_count, bool after_any);

/* self with a copy of payload in place of its own: self is reallocated
   (the old pointer is invalid), so no queue, heap or worker may hold it
   (a blocked task, in the task table only). */
task_t *task_set_payload (task_t *self, const void *payload, size_t size);

/* Its dependencies, allocated if it had none. */
task_deps_t *task_deps (task_t *self);

/* Frees its dependencies (a task of a batch without a then task, once
   stored with its batch id: it has no parents or children). */
void task_deps_drop (task_t *self);

/* Records that the blocked task child_id waits for self. */
void task_add_child (task_t *self, uint64_t child_id);

#define TASK_WAITERS_MAX 1024 /* clients waiting for one task, at most */

/* Adds a waiter unless peer already waits with corr (held_until: see
   waiter_t). Returns 0 (added), 1 (already waiting) or -1
   (TASK_WAITERS_MAX wait already). */
int task_add_waiter (task_t *self, const peer_id_t *peer, uint32_t corr, uint64_t held_until);

#endif
