/*  store - the broker's durable record of tasks (SQLite in WAL mode).

    Writes are grouped: the first write of a loop iteration opens a
    transaction and store_commit, called once at the end of the iteration,
    commits it. The broker answers submits only after that commit, so an
    accepted task is on disk (to the degree the sync level promises).
*/
#ifndef ZTASK_STORE_H_INCLUDED
#define ZTASK_STORE_H_INCLUDED

#include "task.h"
#include "../proto/ztask_msg.h"

typedef struct store store_t;

/* sync: "full", "normal" or "off" (see docs/configuration.md). Returns NULL
   and logs why when the file cannot be opened or is not a ztask store. */
store_t *store_open (const char *path, const char *sync);
void store_close (store_t **self_p);

/* Id for the next new task. */
uint64_t store_next_id (store_t *self);
/* The id store_next_id will give next, without taking it. */
uint64_t store_peek_id (store_t *self);

/* Commits the open transaction, if any. Returns 0 or -1. */
int store_commit (store_t *self);

/* Records a new queued task. key may be NULL or "". */
int store_insert (store_t *self, const task_t *task, const char *key);

/* The task holding an idempotency key, or 0. */
uint64_t store_find_key (store_t *self, const char *key);

/* A task started its attempt number task->attempts on worker. */
int store_started (store_t *self, const task_t *task, const char *worker);

/* A running task went back to the queue (with its attempts: a hand-back
   gives its attempt back). */
int store_requeued (store_t *self, const task_t *task);

/* A task ended: state is ZTASK_STATE_DONE, _FAILED or _CANCELLED. */
int store_finished (store_t *self, const task_t *task, int state, const char *error,
                    const void *result, size_t result_size, int64_t finished_ms);

/* Fills info's TASK_INFO fields (and body, with_result) from the stored
   task. Returns 0, or -1 if there is no such task. */
int store_get (store_t *self, uint64_t id, ztask_msg_t *info, bool with_result);

/* Calls fn for each task that was queued or running, oldest first, with a
   new task_t (state queued) that fn takes over; was_running tells which.
   type_fn maps a type name. */
typedef task_type_t *(store_type_fn) (const char *name, void *arg);
typedef void (store_task_fn) (task_t *task, bool was_running, void *arg);
int store_recover (store_t *self, store_type_fn *type_fn, store_task_fn *task_fn, void *arg);

/* Tasks newest first, as a JSON array of objects; state < 0: any state. */
struct json_t;
struct json_t *store_list (store_t *self, int state, unsigned limit);

/* Deletes up to `batch` finished tasks that ended before finished_before
   (wall clock ms). Returns how many, or -1. */
int store_purge (store_t *self, int64_t finished_before, int batch);

#endif
