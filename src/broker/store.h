/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store - the broker's durable record of tasks: an SQLite file (WAL
    mode, the embedded default) or a PostgreSQL database (store_is_postgres).

    Writes are grouped: the first write of a loop round opens a
    transaction and store_commit, called once at the end of the round,
    commits it. The broker answers submits only after that commit, so an
    accepted task is stored (to the degree the sync level promises).
    Reads see the round's uncommitted writes.
*/
#ifndef ZTASK_STORE_H_INCLUDED
#define ZTASK_STORE_H_INCLUDED

#include "task.h"

typedef struct store store_t;

/* A scheduled task (a delayed one, ZTASK_STATE_SCHEDULED) is written once,
   with its due time; when that time has passed the store reads it as
   queued (state and filters alike), so falling due costs no write: a
   million tasks due at once are queued by the broker in memory alone.

   A stored task as the store reads it back. Strings are "" when absent;
   strings and bytes point into the store's buffers and stay valid until
   the next call on the store (or, in a store_row_fn, until it returns). */
typedef struct {
    uint64_t id;
    const char *type;
    uint8_t priority;
    uint8_t state;               /* ztask_state_t                               */
    uint32_t attempts, max_attempts, timeout_ms;
    const char *worker;          /* the worker of its last attempt              */
    const char *error;           /* why it failed or was cancelled              */
    int64_t created_ms, started_ms, finished_ms; /* wall clock; 0: not yet      */
    int64_t due_ms;              /* a delayed task's due time (wall); 0: none   */
    /* What it asks of its worker (docs/routing.md), as the scheduler's
       signature had it when it was stored: canonical texts, "" for none. */
    const char *require;         /* requirements, joined with newlines          */
    const char *version;         /* plugin version constraint, "render>=1.2"    */
    const char *needs;           /* resource request, "gpu=1,memory_mb=16000"   */
    const char *limit;           /* fleet-wide limit name                       */
    uint32_t retry_min_ms, retry_max_ms; /* retry policy; 0: the default        */
    int64_t next_attempt_ms;     /* a requeued task's next attempt (wall); 0: none */
    /* Its parents (dependencies): "" for none, else their ids joined with
       commas, after "any:" when it runs whatever their states ("any:3,4"). */
    const char *parents;
    uint64_t batch_id;           /* the batch it belongs to (its first task's id); 0: none */
    const void *payload;         /* store_recover and store_retry only           */
    size_t payload_size;
    const void *result;          /* store_get with with_result only; else NULL  */
    size_t result_size;
    const char *history;         /* store_get only (else NULL): see history.h   */
} store_row_t;

/* Bytes that always hold a task's requirements joined with newlines, with
   the NUL (16 of at most 255 bytes: ztask_require.h). */
#define STORE_REQUIRE_SIZE (16 * 256)

/* Called with each row a read returns. */
typedef void (store_row_fn) (const store_row_t *row, void *arg);

/* True if location names a PostgreSQL database: a postgresql:// or
   postgres:// URI, or a libpq conninfo ("host=db1 dbname=ztask"); else it
   is an SQLite file's path. */
bool store_is_postgres (const char *location);

/* sync: "full", "normal" or "off" (see docs/configuration.md). Returns NULL
   and logs why when the store cannot be opened or is not a ztask store. */
store_t *store_open (const char *location, const char *sync);
void store_close (store_t **self_p);

/* Closes the store and opens it again (after a commit failed: a lost
   connection, a full disk). Returns 0, or -1 after logging why it is
   still unavailable; the store must not be used until this returns 0.
   With PostgreSQL it waits for the connection, at most connect_timeout. */
int store_reopen (store_t *self);

/* "SQLite" or "PostgreSQL". */
const char *store_backend_name (store_t *self);

/* Id for the next new task. */
uint64_t store_next_id (store_t *self);
/* The id store_next_id will give next, without taking it. */
uint64_t store_peek_id (store_t *self);

/* ---- leadership (docs/high-availability.md) ----
   Brokers that share a store elect one leader, which alone writes: each
   of its commits checks in the same transaction that its term still
   leads. An SQLite store is one broker's own: it always leads. */

typedef struct {
    uint64_t term;               /* the leader's term (counts the leaders)   */
    char name[256];              /* its name                                  */
    char endpoint[256];          /* the endpoint it advertises; "" if unknown */
} store_leader_t;

/* Tries to lead, or to go on leading, as name, advertising endpoint, with
   a lease of lease_ms. Returns 1 if this broker leads (leader holds its
   term; its lease is renewed in the background until it stops leading),
   0 if another leads or a takeover is not yet possible (leader says who
   led last), -1 if the store failed (as a failed commit). A broker that
   loses the lead is told by store_commit (STORE_FENCED) or by the next
   store_lead. */
int store_lead (store_t *self, const char *name, const char *endpoint, unsigned lease_ms, store_leader_t *leader);

/* Stops leading and lets the lease run out at once, so that a standby
   takes over without waiting for it (a clean shutdown). */
void store_resign (store_t *self);

/* True if other brokers may share this store (a standby may take over). */
bool store_is_shared (store_t *self);

/* store_commit: this broker no longer leads; nothing of the round was
   written, and nothing will be until it leads again. */
#define STORE_FENCED -2

/* Commits the open transaction, if any. Returns 0, -1 (the store
   failed), or STORE_FENCED. */
int store_commit (store_t *self);

/* Drops the open transaction, if any: nothing of the round is written
   (a batch failed halfway). The broker then reads its state back. */
void store_rollback (store_t *self);

/* Each write about a task (insert, started, requeued, finished, retry)
   appends task->history (NULL: nothing) to the task's stored history,
   in the same statement. */

/* Records a new task, queued or (task->state ZTASK_STATE_SCHEDULED) a
   delayed one with its due time task->due_ms, or (ZTASK_STATE_BLOCKED)
   one waiting for its parents (task->deps), and what task->sig asks of
   its worker (requirements, version, needs, limit). key may be NULL or "".
   A blocked task that may run is made queued by store_requeued. */
int store_insert (store_t *self, const task_t *task, const char *key);

/* store_find_key: the store could not be read. */
#define STORE_KEY_FAILED UINT64_MAX

/* The task holding an idempotency key, 0 if none, or STORE_KEY_FAILED. */
uint64_t store_find_key (store_t *self, const char *key);

/* A task started its attempt number task->attempts on worker. */
int store_started (store_t *self, const task_t *task, const char *worker);

/* A running task went back to the queue (with its attempts: a hand-back
   gives its attempt back), its next attempt due at task->next_attempt_ms
   (0: none pending). */
int store_requeued (store_t *self, const task_t *task);

/* A task ended: state is ZTASK_STATE_DONE, _FAILED or _CANCELLED. */
int store_finished (store_t *self, const task_t *task, int state, const char *error,
                    const void *result, size_t result_size, int64_t finished_ms);

/* store_get: the store could not be read (a lost connection). */
#define STORE_FAILED -3

/* Reads one task into row (its result too, with_result). Returns 0, -1
   if there is no such task, or STORE_FAILED. */
int store_get (store_t *self, uint64_t id, bool with_result, store_row_t *row);

/* The text of task's parents as row->parents has it, into buffer
   (STORE_PARENTS_SIZE bytes); NULL when it has none. */
#define STORE_PARENTS_SIZE (64 * 21 + 8)
const char *store_parents_text (const task_t *task, char *buffer);

/* Calls fn for each task that was queued, running, scheduled or blocked, oldest first (with
   its payload; row->state tells which), then records the running ones as
   queued (a "requeued" history entry, STORE_RECOVERED_WHY). Returns 0 or -1. */
#define STORE_RECOVERED_WHY "the broker restarted or took over (its worker may still run it)"
int store_recover (store_t *self, store_row_fn *fn, void *arg);

/* Calls fn for up to limit tasks, newest first; state < 0: any state.
   Returns 0 or -1. */
int store_list (store_t *self, int state, unsigned limit, store_row_fn *fn, void *arg);

/* Deletes up to `batch` finished tasks that ended before finished_before
   (wall clock ms), and as many batches made before then whose tasks are
   all gone. Returns how many tasks, or -1. */
int store_purge (store_t *self, int64_t finished_before, int batch);

/* Which tasks a store_select reads. */
typedef struct {
    unsigned states;             /* bit n: tasks in state n; 0: any state       */
    const char *type;            /* NULL or "": any type                         */
    uint64_t before_id;          /* 0: from the newest; else only smaller ids    */
    int64_t finished_from;       /* 0: any; else ended at or after (wall ms)     */
    unsigned limit;              /* most rows                                    */
    bool oldest_first;           /* ascending ids (else newest first)            */
} store_filter_t;

/* Calls fn for each task filter selects (without payload, result or
   history). Returns 0 or -1. */
int store_select (store_t *self, const store_filter_t *filter, store_row_fn *fn, void *arg);

/* An operator's retry: a failed or cancelled task goes back to the queue
   with 0 attempts, no error, result, worker or times of its last run;
   task->history is appended (only id and history are read from task).
   Calls fn with its row, payload included. Returns 0, -1 if there is no
   failed or cancelled task id, or STORE_FAILED. */
int store_retry (store_t *self, const task_t *task, store_row_fn *fn, void *arg);

/* Deletes up to limit finished tasks in states (bits 2, 3, 4; 0: all
   three) of type (NULL or "": any) that ended before finished_before,
   those that ended first first. Returns how many, or -1. */
int store_purge_tasks (store_t *self, unsigned states, const char *type, int64_t finished_before, int limit);

/* Records that type is paused (or no longer). Returns 0 or -1. */
int store_pause (store_t *self, const char *type, bool paused);

/* Calls fn with each paused type. Returns 0 or -1. */
typedef void (store_type_fn) (const char *type, void *arg);
int store_paused (store_t *self, store_type_fn *fn, void *arg);

/* ---- recurring schedules (docs/scheduling.md) ---- */

#define STORE_CATCHUP_SKIP 0     /* missed fires are skipped               */
#define STORE_CATCHUP_ONCE 1     /* missed fires make one fire             */
#define STORE_SOURCE_CLI 0       /* added with ztask schedule add          */
#define STORE_SOURCE_CONFIG 1    /* declared in the broker's config        */

/* A stored schedule. Strings are never NULL ("" when absent); as for
   store_row_t, what a read gives points into the store's buffers. */
typedef struct {
    const char *name;            /* [a-z0-9][a-z0-9._-]{0,63}               */
    const char *cron;            /* the expression as given                 */
    const char *tz;              /* zone name; "": UTC                       */
    const char *type;            /* the task type each fire submits          */
    uint8_t priority;
    uint8_t catchup;             /* STORE_CATCHUP_*                          */
    uint8_t source;              /* STORE_SOURCE_*                           */
    bool paused;
    uint32_t max_attempts, timeout_ms; /* of each task; 0: the defaults     */
    const void *payload;
    size_t payload_size;
    int64_t created_ms;          /* wall clock: when it was added or last
                                    resumed (fires are planned after the
                                    later of this and last_fire_ms)         */
    int64_t last_fire_ms;        /* the last fire time (wall ms); 0: never   */
} store_schedule_t;

typedef void (store_schedule_fn) (const store_schedule_t *schedule, void *arg);

/* Adds or replaces (by name) a schedule, in the round's transaction (so a
   fire's task and its new last fire time commit together). 0 or -1. */
int store_schedule_put (store_t *self, const store_schedule_t *schedule);

/* Deletes a schedule. 0 (also when there was none) or -1. */
int store_schedule_remove (store_t *self, const char *name);

/* Calls fn for each schedule, by name. 0 or -1. */
int store_schedules (store_t *self, store_schedule_fn *fn, void *arg);

/* ---- batches (docs/scheduling.md) ----
   A batch's tasks are inserted as any task, each with its batch id (the
   id of its first task, store_batch_of); its row is written in the same
   round, so the tasks and the batch commit together or not at all. */

typedef struct {
    uint64_t id;                 /* its first task's id                       */
    uint32_t size;               /* how many tasks it was submitted with      */
    uint64_t then_id;            /* the task that runs once every one ended
                                    (blocked until then); 0: none            */
    int64_t created_ms;          /* wall clock                                */
    const char *key;             /* its idempotency key; "" for none (what a
                                    read gives may be "" whatever it is)   */
    /* store_batch_get only: its tasks the store holds, by state
       (ztask_state_t; a scheduled one past its due time as queued). Their
       sum is below size once some were purged. */
    uint32_t counts[7];          /* indexed by ztask_state_t, queued 0 .. blocked 6 */
} store_batch_t;

/* The batch task belongs to (its tasks' batch_id column), 0 for none:
   the then task is not one of its tasks. */
uint64_t store_batch_of (const task_t *task);

/* Records a batch (its tasks are inserted one by one). 0 or -1. */
int store_batch_insert (store_t *self, const store_batch_t *batch);

/* The batch holding an idempotency key, 0 if none, or STORE_KEY_FAILED. */
uint64_t store_batch_find_key (store_t *self, const char *key);

/* Reads batch id with its counts. Returns 0, -1 if there is none, or
   STORE_FAILED. */
int store_batch_get (store_t *self, uint64_t id, store_batch_t *batch);

/* Calls fn with each task of batch id the store holds, in id order (id,
   state and error only). Returns 0 or -1. */
int store_batch_tasks (store_t *self, uint64_t id, store_row_fn *fn, void *arg);

/* Calls fn with each batch whose then task is still blocked (counts are
   not read). Returns 0 or -1. */
typedef void (store_batch_fn) (const store_batch_t *batch, void *arg);
int store_batches_waiting (store_t *self, store_batch_fn *fn, void *arg);

/* The batch whose then task is task_id, 0 if none, or STORE_KEY_FAILED. */
uint64_t store_batch_of_then (store_t *self, uint64_t task_id);

/* A blocked task's payload becomes task->payload (a batch's then task
   gets its summary when it may run). Returns 0 or -1. */
int store_set_payload (store_t *self, const task_t *task);

#endif
