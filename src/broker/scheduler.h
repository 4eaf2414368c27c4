/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  scheduler - matches queued tasks with free worker slots (docs/architecture.md).

    Eligibility: a worker may run a task if it has the task's plugin and
    serves its priority. A free slot takes the eligible queued task of the
    highest priority, FIFO within a level across types. A new task goes to
    the most specialised free worker (fewest plugins, then fewest priority
    levels), then the one idle longest. Free slots are the credit: a worker
    is never given more tasks than it has slots.

    Cost: queues are per (type, priority) and free workers are indexed per
    (type, priority, specialisation), so a decision looks at the heads of at
    most plugins x 10 queues, or the first non-empty of a handful of
    specialisation buckets: never at the queued tasks or connected workers
    one by one. No sockets here; the broker does the sending.
*/
#ifndef ZTASK_SCHEDULER_H_INCLUDED
#define ZTASK_SCHEDULER_H_INCLUDED

#include "task.h"

typedef struct scheduler scheduler_t;
typedef struct free_node free_node_t;
typedef struct free_bucket free_bucket_t;

/* One priority level of one task type: its queue and its free workers. */
typedef struct {
    task_t *head, *tail;     /* queued tasks, oldest first                     */
    size_t queued;
    free_bucket_t **buckets; /* free eligible workers by specialisation, most specialised first */
    size_t bucket_count;
} type_level_t;

/* A task type (plugin name). Its counters are the scheduler's: read them,
   change them only through the functions below. */
struct task_type {
    char *name;
    size_t workers;          /* connected workers that have this plugin        */
    size_t running;          /* tasks of this type running now                 */
    uint64_t done, failed;   /* tasks of this type ended since the type was last
                                created (a type no worker or task uses is forgotten;
                                the broker's own totals are cumulative) */
    size_t tasks;            /* the broker's live tasks of this type (any state) */
    bool unused_maybe;       /* on the list scheduler_collect checks           */
    bool paused;             /* never dispatched (kept while paused, used or not) */
    type_level_t level[TASK_PRIORITY_LEVELS];
};

/* The scheduler's part of a worker; the broker embeds it in its record. */
struct sched_worker {
    task_type_t **types;     /* plugins it has                                 */
    size_t type_count;
    uint16_t levels;         /* bit n: serves priority n                       */
    uint16_t level_count;
    uint32_t slots;          /* concurrent tasks it runs                       */
    uint32_t free;           /* slots without a task                           */
    free_node_t *nodes;      /* its place in each free list: type x level      */
    size_t node_count;
    task_t *running;         /* tasks on its slots (linked with task->next)    */
    bool draining;           /* takes no new tasks (its slots free up unused)  */
};

scheduler_t *scheduler_new (void);
void scheduler_destroy (scheduler_t **self_p);

/* The type for a plugin name, created on first use; NULL when the limit of
   distinct types is reached.

   Lifetime: a type that no worker has and no task uses is forgotten, so
   types named once (by a bad client or worker) do not fill the table for
   good; but only by scheduler_collect, never by any other call. So a type
   pointer taken during a round of the broker's loop stays valid until the
   round ends, whatever workers leave or tasks end meanwhile. */
task_type_t *scheduler_type (scheduler_t *self, const char *name);

/* Forgets the types that nothing has used since they were created or last
   lost a user. The broker calls it once per round, when it holds no type
   pointer of its own. Cost: the number of such types. */
void scheduler_collect (scheduler_t *self);

/* A live task of type exists from now on (submitted or recovered). */
void scheduler_task_added (scheduler_t *self, task_type_t *type);
/* A live task of type has ended (done, or failed or cancelled): counted,
   and the type is collected if nothing else uses it. */
void scheduler_task_ended (scheduler_t *self, task_type_t *type, bool done);

/* Type by name if it exists. */
task_type_t *scheduler_type_lookup (scheduler_t *self, const char *name);
/* First / next type, in no particular order (for statistics). */
task_type_t *scheduler_type_first (scheduler_t *self);
task_type_t *scheduler_type_next (scheduler_t *self);

/* Adds a worker with the given plugins (types), levels and slots, all free.
   The caller then calls scheduler_assign until it returns NULL. */
void scheduler_worker_add (scheduler_t *self, sched_worker_t *worker, task_type_t **types,
                           size_t type_count, uint16_t levels, uint32_t slots);

/* Removes a worker; its running tasks stay on worker->running for the
   caller to requeue or finish (they are unlinked as the caller takes them).
   Its types stay valid until scheduler_collect. */
void scheduler_worker_remove (scheduler_t *self, sched_worker_t *worker);

/* Offers a task. Returns the worker whose slot now runs it (task is on its
   running list), or NULL if it was queued. A requeued task (front = true)
   goes to the head of its level. */
sched_worker_t *scheduler_submit (scheduler_t *self, task_t *task, bool front);

/* Gives one free slot of worker the best eligible queued task: returns it
   (dequeued, on the worker's running list), or NULL if none is eligible. */
task_t *scheduler_assign (scheduler_t *self, sched_worker_t *worker);

/* Puts a specific task (not queued) on a free slot of worker: a worker
   that reconnects keeps the tasks it still runs. Returns -1 if no slot is
   free. */
int scheduler_adopt (scheduler_t *self, sched_worker_t *worker, task_t *task);

/* The worker takes no new tasks from now on (it is stopping). */
void scheduler_worker_drain (scheduler_t *self, sched_worker_t *worker);

/* A task on a worker's slot has ended (or is taken back): unlinks it and
   frees the slot. The caller then calls scheduler_assign. */
void scheduler_release (scheduler_t *self, task_t *task);

/* Removes a queued task from its queue (cancel). */
void scheduler_dequeue (scheduler_t *self, task_t *task);

/* Pauses or resumes a type: a paused type's tasks are queued, never
   given to a slot (scheduler_submit queues them, scheduler_assign skips
   the type). After a resume the caller calls scheduler_resumed until it
   returns NULL. A paused type is never forgotten. */
void scheduler_pause (scheduler_t *self, task_type_t *type, bool paused);

/* After a resume: takes the best queued task of type that a free worker
   can run (highest priority first, then the most specialised worker, as
   scheduler_submit), puts it on that worker's slot and returns it (its
   worker is task->worker), or NULL when none is left to place. Other
   types' tasks never wait for a free slot, so these are the only ones a
   free slot may now take. */
task_t *scheduler_resumed (scheduler_t *self, task_type_t *type);

/* Totals. */
size_t scheduler_queued (scheduler_t *self);
size_t scheduler_running (scheduler_t *self);

#endif
