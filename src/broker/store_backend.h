/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store_backend - what a store backend implements. store.c picks one by
    the `store` setting and keeps what every backend shares (the next id).
    Each operation does what the store.h function of the same name
    promises, on the backend's own state (store_backend_t). */
#ifndef ZTASK_STORE_BACKEND_H_INCLUDED
#define ZTASK_STORE_BACKEND_H_INCLUDED

#include "store.h"

typedef struct store_backend store_backend_t;

typedef struct {
    const char *name;            /* for log lines: "SQLite", "PostgreSQL" */
    /* NULL, after logging why, when the store cannot be opened. */
    store_backend_t *(*open) (const char *location, const char *sync);
    void (*close) (store_backend_t **self_p);
    /* The largest task id in the store now (0: none; UINT64_MAX when it
       cannot be read). */
    uint64_t (*max_id) (store_backend_t *self);
    int (*commit) (store_backend_t *self);
    void (*rollback) (store_backend_t *self);
    int (*insert) (store_backend_t *self, const task_t *task, const char *key);
    uint64_t (*find_key) (store_backend_t *self, const char *key);
    int (*started) (store_backend_t *self, const task_t *task, const char *worker);
    int (*requeued) (store_backend_t *self, const task_t *task);
    int (*finished) (store_backend_t *self, const task_t *task, int state, const char *error, const void *result,
                     size_t result_size, int64_t finished_ms);
    int (*get) (store_backend_t *self, uint64_t id, bool with_result, store_row_t *row);
    int (*recover) (store_backend_t *self, store_row_fn *fn, void *arg);
    int (*purge) (store_backend_t *self, int64_t finished_before, int batch);
    int (*select) (store_backend_t *self, const store_filter_t *filter, store_row_fn *fn, void *arg);
    int (*retry) (store_backend_t *self, const task_t *task, store_row_fn *fn, void *arg);
    int (*purge_tasks) (store_backend_t *self, unsigned states, const char *type, int64_t finished_before,
                        int limit);
    int (*pause) (store_backend_t *self, const char *type, bool paused);
    int (*paused) (store_backend_t *self, store_type_fn *fn, void *arg);
    int (*schedule_put) (store_backend_t *self, const store_schedule_t *schedule);
    int (*schedule_remove) (store_backend_t *self, const char *name);
    int (*schedules) (store_backend_t *self, store_schedule_fn *fn, void *arg);
    int (*batch_insert) (store_backend_t *self, const store_batch_t *batch);
    uint64_t (*batch_find_key) (store_backend_t *self, const char *key);
    int (*batch_get) (store_backend_t *self, uint64_t id, store_batch_t *batch);
    int (*batch_tasks) (store_backend_t *self, uint64_t id, store_row_fn *fn, void *arg);
    int (*batches_waiting) (store_backend_t *self, store_batch_fn *fn, void *arg);
    int (*set_payload) (store_backend_t *self, const task_t *task);
    uint64_t (*batch_of_then) (store_backend_t *self, uint64_t task_id);
    /* store_lead with held, the term this broker held last (0: none). */
    int (*lead) (store_backend_t *self, const char *name, const char *endpoint, unsigned lease_ms, uint64_t held,
                 store_leader_t *leader);
    void (*resign) (store_backend_t *self);
} store_backend_ops_t;

/* Copies row's strings and result into *data (grown as needed, *max
   bytes) and points row at the copies: for a get, whose row must outlive
   the backend's statement or result. */
void store_row_copy (store_row_t *row, byte **data, size_t *max);

/* What a task asks of its worker, as a store writes it: NULL for each
   part it does not ask (the column is NULL). */
typedef struct {
    const char *require;         /* the requirements' canonical texts, joined
                                    with newlines (in buffer)                 */
    const char *version;         /* "render>=1.2"                            */
    const char *needs;           /* "gpu=1,memory_mb=16000"                  */
    const char *limit;           /* the limit's name                          */
} store_needs_t;

/* Fills needs from task->sig (NULL, or its type's plain signature: every
   part NULL); buffer (STORE_REQUIRE_SIZE bytes) holds the joined
   requirements. */
void store_needs_of (const task_t *task, store_needs_t *needs, char *buffer);

extern const store_backend_ops_t store_sqlite;
extern const store_backend_ops_t store_postgres;

#endif
