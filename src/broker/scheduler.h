/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  scheduler - matches queued tasks with free worker slots (docs/architecture.md,
    docs/routing.md).

    Eligibility: a worker may run a task if it has the task's plugin (in a
    version the task accepts), serves its priority, has labels that meet
    every requirement of the task and resources (totals) that cover its
    request. It may run it now if it also has a free slot and the free
    resources, and if no fleet-wide limit of the task is full.

    Order: a free slot takes the eligible queued task of the highest
    priority, FIFO within a level across types and signatures. A new task
    goes to the most specialised free worker that can run it now (fewest
    plugins, then fewest priority levels, then fewest kinds of resources:
    the GPU machine is kept for GPU work), then the one idle longest.

    Big tasks do not starve: when the task a worker would take next (by
    priority and FIFO) fits its totals but not what it has free now, the
    worker is kept (reserved) for that task's signature until it fits (at
    most one kept worker per signature). Meanwhile it takes tasks of a
    higher priority, and, while it has two free slots or more, tasks that
    ask for none of the resources it is kept for.

    Signatures: tasks that ask the same (requirements, version, resources,
    limit) share one sched_sig_t, which holds their queue per priority
    level; each (type, level) also keeps all its queued tasks in one FIFO
    and a heap of its non-empty signatures by the age of their oldest
    task. A free slot first looks at the oldest task of each of its types'
    levels: when the worker can run it, that is the answer, whatever the
    number of signatures. Otherwise it searches the heap in age order,
    skipping the signatures the worker cannot run: never the queued tasks
    one by one. No sockets here; the broker does the sending.
*/
#ifndef ZTASK_SCHEDULER_H_INCLUDED
#define ZTASK_SCHEDULER_H_INCLUDED

#include "task.h"
#include "common/ztask_require.h"

typedef struct scheduler scheduler_t;
typedef struct free_node free_node_t;
typedef struct free_bucket free_bucket_t;
typedef struct sched_sig sched_sig_t;
typedef struct sched_limit sched_limit_t;

/* One priority level of one task type: its signatures with queued tasks
   and its free workers. */
typedef struct {
    size_t queued;           /* tasks queued at this level, all signatures   */
    task_t *head, *tail;     /* those tasks, oldest first (fifo links)       */
    sched_sig_t **heap;      /* signatures with queued tasks at this level,
                                min-heap by heap_key: the seq of their oldest
                                task when last looked at, a lower bound of it
                                (taking a signature's oldest task leaves its
                                key as it is until a search meets it)       */
    size_t heap_count, heap_max;
    free_bucket_t **buckets; /* free workers with the plugin that serve the
                                level, by specialisation, most specialised first */
    size_t bucket_count;
} type_level_t;

/* One priority level of a signature: its queue. */
typedef struct {
    task_t *head, *tail;     /* queued tasks, oldest first                   */
    size_t queued;
    size_t heap_index;       /* its place in the type level's heap + 1; 0: out */
    uint64_t heap_key;       /* its key there: see type_level_t              */
} sig_level_t;

/* A fleet-wide limit (broker config `limits`): at most max tasks under it
   run at once. A limit named like a task type limits that type. */
struct sched_limit {
    char *name;
    uint32_t max;
    uint32_t running;
    sched_sig_t **sigs;      /* signatures that carry it by name             */
    size_t sig_count, sig_max;
    task_type_t *type;       /* the type it is named after, if that exists  */
    bool pending;            /* was full and has room again                  */
};

/* What a task asks of the worker beyond its type and priority: requirement
   texts, a plugin version constraint ("render>=1.2", for the task's own
   type), a resource request ("gpu=1,memory_mb=16000") and a limit name.
   Everything may be NULL / 0. */
typedef struct {
    const char *const *require;
    size_t require_count;
    const char *version;
    const char *needs;
    const char *limit;
} sched_needs_t;

/* Tasks of one type that ask the same; shared, owned by the scheduler.
   What dispatch reads comes first, so that it shares cache lines. */
struct sched_sig {
    task_type_t *type;
    ztask_require_t *require; /* NULL: none                                  */
    sched_limit_t *limit;    /* the limit named by the tasks, or NULL        */
    sched_worker_t *reserved; /* the worker kept free for its next task      */
    bool any;                /* asks nothing of a worker (no requirement,
                                version or resource)                        */
    bool has_version;
    bool unused_maybe;
    size_t tasks;            /* live tasks with this signature               */
    sig_level_t level[TASK_PRIORITY_LEVELS];
    char *key;               /* canonical needs, the intern key              */
    char *version_text;      /* canonical, or NULL                           */
    char *needs_text;        /* canonical, or NULL                           */
    ztask_version_constraint_t version;
    ztask_resources_t resources; /* count 0: none                           */
};

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
    bool pending;            /* resumed: its queued tasks may fit free slots */
    sched_limit_t *limit;    /* the limit named after it, or NULL            */
    sched_sig_t *plain;      /* its tasks that ask nothing more              */
    sched_sig_t **sigs;      /* every signature of it, plain first           */
    size_t sig_count, sig_max;
    type_level_t level[TASK_PRIORITY_LEVELS];
};

/* A resource of a worker: its total and what its running tasks hold. */
typedef struct {
    const char *name;        /* the caller's string, kept while the worker is */
    uint64_t total, used;
} sched_resource_t;

/* What a worker offers beyond plugins, levels and slots (all the caller's
   strings, kept as long as the worker is). */
typedef struct {
    const char *const *versions; /* its version of each plugin (type order), may be NULL */
    const ztask_label_t *labels;  /* any order                                */
    size_t label_count;
    const char *const *resource_names;
    const uint64_t *resource_totals;
    size_t resource_count;
} sched_offer_t;

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
    const char **versions;   /* plugin versions, parallel to types (or NULL) */
    ztask_label_t *labels;   /* sorted by key                                */
    size_t label_count;
    sched_resource_t *resources; /* sorted by name                           */
    size_t resource_count;
    sched_sig_t *reserved;   /* kept free for this signature's next task     */
    bool pending;            /* on the scheduler's list to be offered tasks  */
    bool unfilled;           /* has capacity back, not yet offered tasks     */
    sched_worker_t *pending_next;
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

/* The signature of type's tasks that ask needs (NULL: nothing more, the
   type's plain signature): the same pointer for the same needs however
   written. NULL when a text is malformed, with "requirement 'TEXT':
   column N: ..." (or "version constraint", "resources") in error, or when
   the limit named is not configured, or when too many signatures exist.
   Lifetime as types: kept while a task uses it, forgotten by
   scheduler_collect only. */
sched_sig_t *scheduler_sig (scheduler_t *self, task_type_t *type, const sched_needs_t *needs, char *error,
                            size_t error_size);

/* A live task exists from now on (submitted or recovered); its type and
   sig (NULL: plain) are set. */
void scheduler_task_added (scheduler_t *self, task_t *task);
/* A live task has ended (done, or failed or cancelled): counted, and its
   type and signature are collected if nothing else uses them. */
void scheduler_task_ended (scheduler_t *self, task_t *task, bool done);

/* ---- fleet-wide limits ---- */

/* Sets the limit name to max (config, before any task): 0, or -1 when
   there are too many limits. */
int scheduler_limit_set (scheduler_t *self, const char *name, uint32_t max);
sched_limit_t *scheduler_limit_lookup (scheduler_t *self, const char *name);
/* First / next limit, in no particular order (statistics). */
sched_limit_t *scheduler_limit_first (scheduler_t *self);
sched_limit_t *scheduler_limit_next (scheduler_t *self);

/* Type by name if it exists. */
task_type_t *scheduler_type_lookup (scheduler_t *self, const char *name);
/* First / next type, in no particular order (for statistics). */
task_type_t *scheduler_type_first (scheduler_t *self);
task_type_t *scheduler_type_next (scheduler_t *self);

/* Adds a worker with the given plugins (types), levels and slots, all free,
   and what else it offers (offer may be NULL: no versions, labels or
   resources). The caller then calls scheduler_assign until it returns
   NULL. */
void scheduler_worker_add (scheduler_t *self, sched_worker_t *worker, task_type_t **types,
                           size_t type_count, uint16_t levels, uint32_t slots, const sched_offer_t *offer);

/* Could worker ever run task (plugin, version, level, labels, resource
   totals), whatever runs now? For "why is it waiting?". */
bool scheduler_can_ever_run (const sched_worker_t *worker, const task_t *task);
/* The signature of task (its plain one when it asks nothing more). */
sched_sig_t *scheduler_task_sig (const task_t *task);
/* The oldest queued task of type at level, or NULL. */
task_t *scheduler_oldest (task_type_t *type, int level);

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
   the type). After a resume the caller calls scheduler_unblocked until it
   returns NULL. A paused type is never forgotten. */
void scheduler_pause (scheduler_t *self, task_type_t *type, bool paused);

/* Work that became possible without a slot of its own freeing: a type
   resumed, a full limit with room again, a reservation dropped. Takes the
   best such queued task that a free worker can run now, puts it on that
   worker's slot and returns it (its worker is task->worker), or NULL when
   nothing is left to place. The broker calls it until NULL after every
   event that releases or dequeues a task and after a resume. */
task_t *scheduler_unblocked (scheduler_t *self);

/* Totals. */
size_t scheduler_queued (scheduler_t *self);
size_t scheduler_running (scheduler_t *self);

#endif
