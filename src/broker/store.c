/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store - the broker's durable record of tasks, on the backend that the
    `store` setting names. See store.h. */
#include "store_backend.h"
#include "scheduler.h" /* sched_sig_t: what a task asks */
#include "ztask/client.h"

struct store {
    const store_backend_ops_t *ops;
    store_backend_t *backend;    /* NULL while the store cannot be reached */
    char *location, *sync;       /* for store_reopen                      */
    uint64_t next_id;            /* id for the next new task              */
    uint64_t held;               /* the term this broker led last; 0: none */
};

bool
store_is_postgres (const char *location)
{
    /* A URI, or a libpq conninfo ("host=db1 dbname=ztask"): an SQLite file
       name holds no '=' in practice, and "./a=b.db" still names a file. */
    return strncmp (location, "postgresql://", 13) == 0 || strncmp (location, "postgres://", 11) == 0
        || (strchr (location, '=') && !strchr (location, '/'));
}

store_t *
store_open (const char *location, const char *sync)
{
    store_t *self = (store_t *) zmalloc (sizeof (store_t));
    assert (self);
    self->ops = store_is_postgres (location) ? &store_postgres : &store_sqlite;
    self->backend = self->ops->open (location, sync);
    if (!self->backend) {
        free (self);
        return NULL;
    }
    self->location = strdup (location);
    self->sync = strdup (sync);
    uint64_t max = self->ops->max_id (self->backend);
    if (max == UINT64_MAX) {
        store_close (&self);
        return NULL;
    }
    self->next_id = max + 1;
    return self;
}

int
store_reopen (store_t *self)
{
    if (self->backend)
        self->ops->close (&self->backend);
    self->backend = self->ops->open (self->location, self->sync);
    if (!self->backend)
        return -1;
    /* Ids given out but never committed are not used again. */
    uint64_t max = self->ops->max_id (self->backend);
    if (max == UINT64_MAX)
        return -1;
    if (max + 1 > self->next_id)
        self->next_id = max + 1;
    return 0;
}

int
store_lead (store_t *self, const char *name, const char *endpoint, unsigned lease_ms, store_leader_t *leader)
{
    memset (leader, 0, sizeof *leader);
    int rc = self->ops->lead (self->backend, name, endpoint, lease_ms, self->held, leader);
    if (rc == 1 && leader->term != self->held) {
        /* A new term: the last leader may have stored tasks since this
           broker last looked. */
        uint64_t max = self->ops->max_id (self->backend);
        if (max == UINT64_MAX)
            return -1;
        if (max + 1 > self->next_id)
            self->next_id = max + 1;
        self->held = leader->term;
    }
    return rc;
}

void
store_resign (store_t *self)
{
    if (self->backend)
        self->ops->resign (self->backend);
}

bool
store_is_shared (store_t *self)
{
    return self->ops == &store_postgres;
}

void
store_close (store_t **self_p)
{
    assert (self_p);
    store_t *self = *self_p;
    if (self) {
        if (self->backend)
            self->ops->close (&self->backend);
        free (self->location);
        free (self->sync);
        free (self);
        *self_p = NULL;
    }
}

void
store_row_copy (store_row_t *row, byte **data_p, size_t *max)
{
    size_t type_size = strlen (row->type) + 1, worker_size = strlen (row->worker) + 1;
    size_t error_size = strlen (row->error) + 1;
    size_t history_size = row->history ? strlen (row->history) + 1 : 0;
    const char **texts[] = { &row->require, &row->version, &row->needs, &row->limit, &row->parents };
    size_t texts_size = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        texts_size += strlen (*texts[i] ? *texts[i] : "") + 1;
    size_t size = type_size + worker_size + error_size + history_size + texts_size + row->result_size;
    if (size > *max) {
        free (*data_p);
        *data_p = (byte *) malloc (size);
        assert (*data_p);
        *max = size;
    }
    byte *data = *data_p;
    row->type = (const char *) memcpy (data, row->type, type_size);
    row->worker = (const char *) memcpy (data += type_size, row->worker, worker_size);
    row->error = (const char *) memcpy (data += worker_size, row->error, error_size);
    data += error_size;
    if (row->history)
        row->history = (const char *) memcpy (data, row->history, history_size);
    data += history_size;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *text = *texts[i] ? *texts[i] : "";
        size_t text_size = strlen (text) + 1;
        *texts[i] = (const char *) memcpy (data, text, text_size);
        data += text_size;
    }
    if (row->result)
        row->result = memcpy (data, row->result, row->result_size);
}

const char *
store_parents_text (const task_t *task, char *buffer)
{
    if (!task->deps || !task->deps->parent_count)
        return NULL;
    size_t at = (size_t) snprintf (buffer, STORE_PARENTS_SIZE, "%s", task->deps->after_any ? "any:" : "");
    for (uint32_t i = 0; i < task->deps->parent_count && i < 64; i++)
        at += (size_t) snprintf (buffer + at, STORE_PARENTS_SIZE - at, "%s%" PRIu64, i ? "," : "",
                                 task->deps->parents[i]);
    return buffer;
}

void
store_needs_of (const task_t *task, store_needs_t *needs, char *buffer)
{
    memset (needs, 0, sizeof *needs);
    const sched_sig_t *sig = task->sig;
    if (!sig || sig == task->type->plain)
        return;
    size_t count = sig->require ? ztask_require_count (sig->require) : 0, used = 0;
    for (size_t i = 0; i < count; i++) {
        const char *text = ztask_require_text (sig->require, i);
        size_t size = strlen (text);
        if (used + size + 2 > STORE_REQUIRE_SIZE)
            break; /* cannot be: 16 texts of 255 bytes at most */
        if (used)
            buffer[used++] = '\n';
        memcpy (buffer + used, text, size);
        used += size;
    }
    buffer[used] = 0;
    needs->require = count ? buffer : NULL;
    needs->version = sig->version_text;
    needs->needs = sig->needs_text;
    needs->limit = sig->limit ? sig->limit->name : NULL;
}

const char *
store_backend_name (store_t *self)
{
    return self->ops->name;
}

uint64_t
store_next_id (store_t *self)
{
    return self->next_id++;
}

uint64_t
store_peek_id (store_t *self)
{
    return self->next_id;
}

int
store_commit (store_t *self)
{
    return self->ops->commit (self->backend);
}

int
store_insert (store_t *self, const task_t *task, const char *key)
{
    return self->ops->insert (self->backend, task, key && *key ? key : NULL);
}

uint64_t
store_find_key (store_t *self, const char *key)
{
    return self->ops->find_key (self->backend, key);
}

int
store_started (store_t *self, const task_t *task, const char *worker)
{
    return self->ops->started (self->backend, task, worker);
}

int
store_requeued (store_t *self, const task_t *task)
{
    return self->ops->requeued (self->backend, task);
}

int
store_finished (store_t *self, const task_t *task, int state, const char *error, const void *result,
                size_t result_size, int64_t finished_ms)
{
    return self->ops->finished (self->backend, task, state, error, result, result_size, finished_ms);
}

int
store_get (store_t *self, uint64_t id, bool with_result, store_row_t *row)
{
    return self->ops->get (self->backend, id, with_result, row);
}

int
store_recover (store_t *self, store_row_fn *fn, void *arg)
{
    return self->ops->recover (self->backend, fn, arg);
}

int
store_list (store_t *self, int state, unsigned limit, store_row_fn *fn, void *arg)
{
    store_filter_t filter = { state < 0 ? 0 : 1u << state, NULL, 0, 0, limit, false };
    return self->ops->select (self->backend, &filter, fn, arg);
}

int
store_select (store_t *self, const store_filter_t *filter, store_row_fn *fn, void *arg)
{
    return self->ops->select (self->backend, filter, fn, arg);
}

int
store_retry (store_t *self, const task_t *task, store_row_fn *fn, void *arg)
{
    return self->ops->retry (self->backend, task, fn, arg);
}

int
store_purge_tasks (store_t *self, unsigned states, const char *type, int64_t finished_before, int limit)
{
    if (!states)
        states = (1u << ZTASK_STATE_DONE) | (1u << ZTASK_STATE_FAILED) | (1u << ZTASK_STATE_CANCELLED);
    return self->ops->purge_tasks (self->backend, states, type && *type ? type : NULL, finished_before, limit);
}

int
store_pause (store_t *self, const char *type, bool paused)
{
    return self->ops->pause (self->backend, type, paused);
}

int
store_paused (store_t *self, store_type_fn *fn, void *arg)
{
    return self->ops->paused (self->backend, fn, arg);
}

int
store_schedule_put (store_t *self, const store_schedule_t *schedule)
{
    return self->ops->schedule_put (self->backend, schedule);
}

int
store_schedule_remove (store_t *self, const char *name)
{
    return self->ops->schedule_remove (self->backend, name);
}

int
store_schedules (store_t *self, store_schedule_fn *fn, void *arg)
{
    return self->ops->schedules (self->backend, fn, arg);
}

void
store_rollback (store_t *self)
{
    self->ops->rollback (self->backend);
}

uint64_t
store_batch_of (const task_t *task)
{
    return task->deps && !task->deps->batch_then ? task->deps->batch_id : 0;
}

int
store_batch_insert (store_t *self, const store_batch_t *batch)
{
    return self->ops->batch_insert (self->backend, batch);
}

uint64_t
store_batch_find_key (store_t *self, const char *key)
{
    return self->ops->batch_find_key (self->backend, key);
}

int
store_batch_get (store_t *self, uint64_t id, store_batch_t *batch)
{
    return self->ops->batch_get (self->backend, id, batch);
}

int
store_batch_tasks (store_t *self, uint64_t id, store_row_fn *fn, void *arg)
{
    return self->ops->batch_tasks (self->backend, id, fn, arg);
}

int
store_batches_waiting (store_t *self, store_batch_fn *fn, void *arg)
{
    return self->ops->batches_waiting (self->backend, fn, arg);
}

uint64_t
store_batch_of_then (store_t *self, uint64_t task_id)
{
    return self->ops->batch_of_then (self->backend, task_id);
}

int
store_set_payload (store_t *self, const task_t *task)
{
    return self->ops->set_payload (self->backend, task);
}

int
store_purge (store_t *self, int64_t finished_before, int batch)
{
    return self->ops->purge (self->backend, finished_before, batch);
}
