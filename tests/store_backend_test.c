/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store_backend_test - what store.h promises, on whichever backend the
    location names: tests/store_backend_test [LOCATION]. Without one it
    runs on a new SQLite file; tests/postgres.sh runs it on a PostgreSQL
    database of its own. (tests/store_test.c covers what only the SQLite
    file has: its locking, upgrades and a crash mid-write.)
*/
#include "tap.h"
#include "broker/scheduler.h"
#include "broker/store.h"
#include "ztask/client.h"

static scheduler_t *s_sched;

static task_t *
s_task (uint64_t id, const char *type, uint8_t priority, const void *payload, size_t size)
{
    task_t *task = task_new (id, scheduler_type (s_sched, type), priority, payload, size);
    task->max_attempts = 3;
    task->timeout_ms = 1500;
    task->created_ms = 1000 + (int64_t) id;
    return task;
}

/* What store_recover and store_list give, kept past their callbacks. */
typedef struct {
    int count;
    uint64_t ids[16];
    uint8_t states[16];
    size_t payload_sizes[16];
    bool payload_ok[16];         /* the payload is "payload-<id>" */
    uint64_t batch_ids[16];
} rows_t;

static void
s_collect (const store_row_t *row, void *arg)
{
    rows_t *rows = (rows_t *) arg;
    if (rows->count == 16)
        return;
    int i = rows->count++;
    rows->ids[i] = row->id;
    rows->states[i] = row->state;
    rows->payload_sizes[i] = row->payload_size;
    rows->batch_ids[i] = row->batch_id;
    char expected[32];
    snprintf (expected, sizeof expected, "payload-%" PRIu64, row->id);
    rows->payload_ok[i] = row->payload && row->payload_size == strlen (expected)
                       && memcmp (row->payload, expected, row->payload_size) == 0;
}

static void
s_collect_type (const char *type, void *arg)
{
    zlistx_add_end ((zlistx_t *) arg, (void *) type);
}

/* What a recovery of many rows gives: counts and whether it kept order. */
typedef struct {
    size_t count, running;
    uint64_t last;               /* the last id seen                  */
    bool ordered, payloads_ok;   /* ids grow; payloads "payload-<id>" */
} tally_t;

static void
s_tally (const store_row_t *row, void *arg)
{
    tally_t *tally = (tally_t *) arg;
    char expected[32];
    snprintf (expected, sizeof expected, "payload-%" PRIu64, row->id);
    if (row->id <= tally->last)
        tally->ordered = false;
    if (!row->payload || row->payload_size != strlen (expected)
        || memcmp (row->payload, expected, row->payload_size) != 0)
        tally->payloads_ok = false;
    tally->last = row->id;
    tally->count++;
    if (row->state == ZTASK_STATE_RUNNING)
        tally->running++;
}

/* What store_batch_tasks gives, kept past its callback. */
typedef struct {
    int count;
    uint64_t ids[8], batch_ids[8];
    uint8_t states[8];
    char errors[8][32];
} batch_rows_t;

static void
s_collect_batch_task (const store_row_t *row, void *arg)
{
    batch_rows_t *rows = (batch_rows_t *) arg;
    if (rows->count == 8)
        return;
    int i = rows->count++;
    rows->ids[i] = row->id;
    rows->batch_ids[i] = row->batch_id;
    rows->states[i] = row->state;
    snprintf (rows->errors[i], sizeof rows->errors[i], "%s", row->error ? row->error : "(null)");
}

/* What store_batches_waiting gives, kept past its callback. */
typedef struct {
    int count;
    uint64_t ids[4], then_ids[4];
    uint32_t sizes[4];
    int64_t created_ms[4];
    char keys[4][32];
} batches_t;

static void
s_collect_batch (const store_batch_t *batch, void *arg)
{
    batches_t *batches = (batches_t *) arg;
    if (batches->count == 4)
        return;
    int i = batches->count++;
    batches->ids[i] = batch->id;
    batches->then_ids[i] = batch->then_id;
    batches->sizes[i] = batch->size;
    batches->created_ms[i] = batch->created_ms;
    snprintf (batches->keys[i], sizeof batches->keys[i], "%s", batch->key ? batch->key : "(null)");
}

/* What a recovery gives of the batch test's tasks (ids[i]), by id. */
typedef struct {
    uint64_t ids[4];
    bool seen[4];
    uint8_t states[4];
    uint64_t batch_ids[4];
    char payloads[4][32];
} recovered_t;

static void
s_collect_recovered (const store_row_t *row, void *arg)
{
    recovered_t *found = (recovered_t *) arg;
    for (int i = 0; i < 4; i++)
        if (found->ids[i] == row->id) {
            found->seen[i] = true;
            found->states[i] = row->state;
            found->batch_ids[i] = row->batch_id;
            snprintf (found->payloads[i], sizeof found->payloads[i], "%.*s", (int) row->payload_size,
                      row->payload ? (const char *) row->payload : "");
        }
}

/* A task of batch batch_id (then: its then task, blocked). */
static task_t *
s_batch_task (store_t *store, uint64_t batch_id, bool then)
{
    uint64_t id = store_next_id (store);
    task_t *task = s_task (id, "batchy", 3, "member", 6);
    task_deps (task)->batch_id = batch_id ? batch_id : id;
    task_deps (task)->batch_then = then;
    if (then)
        task->state = ZTASK_STATE_BLOCKED;
    return task;
}

static task_t *
s_insert (store_t *store, const char *key)
{
    uint64_t id = store_next_id (store);
    char payload[32];
    snprintf (payload, sizeof payload, "payload-%" PRIu64, id);
    task_t *task = s_task (id, "echo", 5, payload, strlen (payload));
    store_insert (store, task, key);
    return task;
}

static task_t *
s_insert_type (store_t *store, const char *type)
{
    uint64_t id = store_next_id (store);
    char payload[32];
    snprintf (payload, sizeof payload, "payload-%" PRIu64, id);
    task_t *task = s_task (id, type, 2, payload, strlen (payload));
    store_insert (store, task, NULL);
    return task;
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    if (!getenv ("ZTASK_TEST_LOG"))
        zsys_set_logstream (NULL);
    char dir[] = "/tmp/ztask-store-backend.XXXXXX";
    char *location = NULL;
    if (argc > 1)
        location = strdup (argv[1]);
    else {
        assert (mkdtemp (dir));
        location = zsys_sprintf ("%s/ztask.db", dir);
    }
    s_sched = scheduler_new ();
    TAP_OK (store_open (location, "fast") == NULL, "open: a sync level that does not exist is refused");
    store_t *store = store_open (location, "full");
    TAP_OK (store != NULL, "open: a new store opens");
    if (!store)
        return tap_done ();
    printf ("# %s store\n", store_backend_name (store));
    TAP_OK (store_peek_id (store) == 1, "open: ids of a new store start at 1");

    /* Round 1: three tasks, read back before the commit. */
    task_t *t1 = s_insert (store, "key-1");
    task_t *t2 = s_insert (store, NULL);
    task_t *t3 = s_insert (store, "");
    TAP_OK (store_find_key (store, "key-1") == 1, "round: a key is found before its commit");
    TAP_OK (store_find_key (store, "") == 0 && store_find_key (store, "other") == 0,
            "round: the empty key is no key, an unknown one finds nothing");
    store_row_t row;
    TAP_OK (store_get (store, 2, false, &row) == 0 && row.id == 2 && row.state == ZTASK_STATE_QUEUED,
            "round: a task is read back before its commit");
    TAP_OK (store_commit (store) == 0, "round: commit");
    TAP_OK (store_commit (store) == 0, "round: a commit with nothing written");

    TAP_OK (store_get (store, 1, false, &row) == 0 && row.id == 1 && streq (row.type, "echo")
                && row.priority == 5 && row.state == ZTASK_STATE_QUEUED && row.attempts == 0
                && row.max_attempts == 3 && row.timeout_ms == 1500 && streq (row.worker, "")
                && streq (row.error, "") && row.created_ms == 1001 && row.started_ms == 0
                && row.finished_ms == 0 && row.result == NULL,
            "get: every field of a queued task");
    TAP_OK (store_get (store, 99, true, &row) == -1, "get: an unknown id is not found");

    /* Round 2: t1 runs and ends done with a binary result; t2 fails; t3
       runs, is requeued with its attempt given back. */
    const byte result[] = { 'o', 0, 'k', 0xff, 0 };
    t1->attempts = 1;
    t1->started_ms = 2001;
    store_started (store, t1, "w-1");
    TAP_OK (store_get (store, 1, false, &row) == 0 && row.state == ZTASK_STATE_RUNNING && row.attempts == 1
                && streq (row.worker, "w-1") && row.started_ms == 2001,
            "started: running on w-1, attempt 1");
    store_finished (store, t1, ZTASK_STATE_DONE, NULL, result, sizeof result, 3001);
    t2->attempts = 3;
    store_finished (store, t2, ZTASK_STATE_FAILED, "boom: 3 of 3 attempts used", NULL, 0, 3002);
    t3->attempts = 1;
    store_started (store, t3, "w-2");
    t3->attempts = 0;
    store_requeued (store, t3);
    TAP_OK (store_commit (store) == 0, "round 2: commit");
    TAP_OK (store_get (store, 1, true, &row) == 0 && row.state == ZTASK_STATE_DONE && row.finished_ms == 3001
                && row.result_size == sizeof result && memcmp (row.result, result, sizeof result) == 0,
            "finished: done, with its binary result byte for byte");
    TAP_OK (store_get (store, 1, false, &row) == 0 && row.result == NULL, "get: no result unless asked");
    TAP_OK (store_get (store, 2, true, &row) == 0 && row.state == ZTASK_STATE_FAILED && row.attempts == 3
                && streq (row.error, "boom: 3 of 3 attempts used") && row.result && row.result_size == 0,
            "finished: failed, with its error and an empty result");
    TAP_OK (store_get (store, 3, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED && row.attempts == 0,
            "requeued: queued, its attempt given back");

    /* Round 3: a running task, a second task with a key already held. */
    t3->attempts = 1;
    t3->started_ms = 4003;
    store_started (store, t3, "w-2");
    task_t *t4 = s_insert (store, NULL);
    TAP_OK (store_commit (store) == 0, "round 3: commit");
    task_t *dup = s_task (store_next_id (store), "echo", 1, "x", 1);
    int rc = store_insert (store, dup, "key-1");
    rc |= store_commit (store);
    TAP_OK (rc != 0 && store_find_key (store, "key-1") == 1, "keys: a second task with a held key is refused");
    store_commit (store);

    /* list */
    rows_t rows = { 0 };
    TAP_OK (store_list (store, -1, 3, s_collect, &rows) == 0 && rows.count == 3 && rows.ids[0] == 4
                && rows.ids[1] == 3 && rows.ids[2] == 2,
            "list: any state, newest first, limited");
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_list (store, ZTASK_STATE_FAILED, 10, s_collect, &rows) == 0 && rows.count == 1
                && rows.ids[0] == 2,
            "list: by state");

    /* Reopen: recovery gives the unfinished tasks with their payloads. */
    store_close (&store);
    TAP_OK (store == NULL, "close nulls the pointer");
    store = store_open (location, "normal");
    TAP_OK (store != NULL && store_peek_id (store) > 4, "reopen: ids go on after the largest");
    if (!store)
        return tap_done ();
    TAP_OK (store_find_key (store, "key-1") == 1, "reopen: the key is still held");
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_recover (store, s_collect, &rows) == 0 && store_commit (store) == 0 && rows.count == 2
                && rows.ids[0] == 3 && rows.states[0] == ZTASK_STATE_RUNNING && rows.payload_ok[0]
                && rows.ids[1] == 4 && rows.states[1] == ZTASK_STATE_QUEUED && rows.payload_ok[1],
            "recover: the running and the queued task, oldest first, with their payloads");
    TAP_OK (store_get (store, 3, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED && row.attempts == 1,
            "recover: the running task is queued in the store, its attempt counted");

    /* Purge: finished before the cut-off, in batches. */
    TAP_OK (store_purge (store, 3002, 10) == 1, "purge: the task finished before the cut-off goes");
    TAP_OK (store_purge (store, 9999, 1) == 1 && store_purge (store, 9999, 1) == 0,
            "purge: in batches of the size asked; unfinished tasks stay");
    store_commit (store);
    TAP_OK (store_get (store, 1, false, &row) == -1 && store_get (store, 2, false, &row) == -1
                && store_get (store, 3, false, &row) == 0 && store_get (store, 4, false, &row) == 0,
            "purge: only the finished tasks are gone");
    TAP_OK (store_find_key (store, "key-1") == 0, "purge: and their keys with them");

    /* History: each write appends task->history; get reads it back. */
    task_t *h = s_insert (store, NULL); /* no history: nothing appended */
    h->history = "1\tqueued\t0\t\t\n";
    store_requeued (store, h);
    h->attempts = 1;
    h->history = "2\tstarted\t1\tw-h\t\n";
    store_started (store, h, "w-h");
    h->history = "3\tfailed\t1\tw-h\tno luck\n";
    store_finished (store, h, ZTASK_STATE_FAILED, "no luck", NULL, 0, 7000);
    h->history = NULL;
    TAP_OK (store_get (store, h->id, false, &row) == 0 && row.history
                && streq (row.history, "1\tqueued\t0\t\t\n2\tstarted\t1\tw-h\t\n3\tfailed\t1\tw-h\tno luck\n"),
            "history: each transition's entries appended in order, read back before the commit");
    TAP_OK (store_commit (store) == 0, "history: commit");
    /* A task inserted and ended in one round (one row in the batch). */
    task_t *hb = s_insert (store, NULL);
    hb->history = "4\tqueued\t0\t\t\n";
    store_started (store, hb, "w-b"); /* (the insert had none: the first entry comes now) */
    hb->history = "5\tcancelled\t0\t\tby a client\n";
    store_finished (store, hb, ZTASK_STATE_CANCELLED, "by a client", NULL, 0, 7001);
    hb->history = NULL;
    TAP_OK (store_commit (store) == 0 && store_get (store, hb->id, false, &row) == 0
                && streq (row.history, "4\tqueued\t0\t\t\n5\tcancelled\t0\t\tby a client\n")
                && row.state == ZTASK_STATE_CANCELLED,
            "history: of a task inserted and ended in the same round");

    /* Retry: a failed task goes back to the queue, fresh, with its payload. */
    memset (&rows, 0, sizeof rows);
    h->history = "8\tretried\t0\t\tby an operator\n";
    TAP_OK (store_retry (store, h, s_collect, &rows) == 0 && rows.count == 1 && rows.ids[0] == h->id
                && rows.states[0] == ZTASK_STATE_QUEUED && rows.payload_ok[0],
            "retry: the failed task's row comes back queued, with its payload");
    TAP_OK (store_get (store, h->id, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED && row.attempts == 0
                && streq (row.error, "") && streq (row.worker, "") && row.finished_ms == 0 && row.started_ms == 0
                && strstr (row.history, "retried\t0\t\tby an operator\n"),
            "retry: attempts 0, no error, worker or times; recorded in the history");
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_retry (store, h, s_collect, &rows) == -1 && rows.count == 0,
            "retry: a queued task is not retried");
    task_t *ghost = s_task (999999, "echo", 1, "", 0);
    TAP_OK (store_retry (store, ghost, s_collect, &rows) == -1, "retry: nor an unknown one");
    task_destroy (&ghost);
    h->history = NULL;
    TAP_OK (store_commit (store) == 0, "retry: commit");
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_retry (store, hb, s_collect, &rows) == 0 && rows.count == 1 && store_commit (store) == 0,
            "retry: a cancelled task is retried too");

    /* Select: type filter, states, paging, finished since, oldest first. */
    task_t *s1 = s_insert_type (store, "mail");
    store_finished (store, s1, ZTASK_STATE_FAILED, "smtp down", NULL, 0, 8000);
    task_t *s2 = s_insert_type (store, "mail");
    store_finished (store, s2, ZTASK_STATE_FAILED, "smtp down", NULL, 0, 8100);
    task_t *s3 = s_insert_type (store, "mail");
    TAP_OK (store_commit (store) == 0, "select: three mail tasks stored");
    store_filter_t filter = { 0, "mail", 0, 0, 10, false };
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_select (store, &filter, s_collect, &rows) == 0 && rows.count == 3 && rows.ids[0] == s3->id
                && rows.ids[2] == s1->id,
            "select: by type, newest first");
    filter.before_id = s3->id;
    filter.limit = 1;
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_select (store, &filter, s_collect, &rows) == 0 && rows.count == 1 && rows.ids[0] == s2->id,
            "select: the page below an id");
    store_filter_t failed = { 1u << ZTASK_STATE_FAILED, "mail", 0, 8050, 10, true };
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_select (store, &failed, s_collect, &rows) == 0 && rows.count == 1 && rows.ids[0] == s2->id,
            "select: failed, ended since a time");
    failed.finished_from = 0;
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_select (store, &failed, s_collect, &rows) == 0 && rows.count == 2 && rows.ids[0] == s1->id,
            "select: oldest first");

    /* Purge by state, type and time. */
    TAP_OK (store_purge_tasks (store, 1u << ZTASK_STATE_DONE, "mail", 99999, 100) == 0,
            "purge tasks: no done mail task");
    TAP_OK (store_purge_tasks (store, 1u << ZTASK_STATE_FAILED, "other", 99999, 100) == 0,
            "purge tasks: no failed task of another type");
    TAP_OK (store_purge_tasks (store, 1u << ZTASK_STATE_FAILED, "mail", 8050, 100) == 1,
            "purge tasks: the failed mail task that ended before the time");
    TAP_OK (store_purge_tasks (store, 0, NULL, 99999, 100) == 1, "purge tasks: any finished state, any type");
    TAP_OK (store_commit (store) == 0 && store_get (store, s1->id, false, &row) == -1
                && store_get (store, s2->id, false, &row) == -1 && store_get (store, s3->id, false, &row) == 0,
            "purge tasks: the queued task stays");

    /* Paused types: stored, read back after a reopen. */
    TAP_OK (store_pause (store, "mail", true) == 0 && store_pause (store, "mail", true) == 0
                && store_pause (store, "sms", true) == 0 && store_pause (store, "sms", false) == 0
                && store_commit (store) == 0,
            "pause: mail paused (twice), sms paused and resumed");
    store_close (&store);
    store = store_open (location, "normal");
    TAP_OK (store != NULL, "pause: reopen");
    if (!store)
        return tap_done ();
    zlistx_t *paused = zlistx_new ();
    zlistx_set_duplicator (paused, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (paused, (zlistx_destructor_fn *) zstr_free);
    TAP_OK (store_paused (store, s_collect_type, paused) == 0 && zlistx_size (paused) == 1
                && streq ((char *) zlistx_first (paused), "mail"),
            "pause: the paused set is read back");
    zlistx_destroy (&paused);
    TAP_OK (store_pause (store, "mail", false) == 0 && store_commit (store) == 0, "pause: mail resumed");
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_recover (store, s_collect, &rows) == 0 && store_commit (store) == 0, "recover again");
    task_destroy (&h);
    task_destroy (&hb);
    task_destroy (&s1);
    task_destroy (&s2);
    task_destroy (&s3);

    /* What a task asks of its worker: stored as its signature has it
       (canonical, requirements joined with newlines), read back before
       and after the commit, kept through its transitions; a plain task
       asks nothing. The first two are one round's batch (PostgreSQL: one
       INSERT of arrays), the third is started in the same round. */
    TAP_OK (scheduler_limit_set (s_sched, "stripe-api", 2) == 0, "needs: a limit");
    const char *require[] = { "zone = eu-1", "gpu_model in (h100, a100)" };
    sched_needs_t asks = { require, 2, "render>=01.2", "memory_mb=16000, gpu=1", "stripe-api" };
    sched_needs_t limit_only = { NULL, 0, NULL, NULL, "stripe-api" };
    char error[256];
    task_t *n1 = s_task (store_next_id (store), "render", 2, "n", 1);
    task_t *n2 = s_task (store_next_id (store), "mail", 2, "n", 1);
    task_t *n3 = s_task (store_next_id (store), "mail", 2, "n", 1);
    n1->sig = scheduler_sig (s_sched, n1->type, &asks, error, sizeof error);
    n2->sig = scheduler_sig (s_sched, n2->type, &limit_only, error, sizeof error);
    TAP_OK (n1->sig && n2->sig && store_insert (store, n1, NULL) == 0 && store_insert (store, n2, NULL) == 0
                && store_insert (store, n3, NULL) == 0,
            "needs: a task asking everything, one with a limit, a plain one");
    n3->attempts = 1;
    n3->started_ms = 5000;
    TAP_OK (store_started (store, n3, "w-n") == 0, "needs: the plain one started in the same round");
    TAP_OK (store_get (store, n1->id, false, &row) == 0 && streq (row.require, "gpu_model in(a100,h100)\nzone=eu-1")
                && streq (row.version, "render>=1.2") && streq (row.needs, "gpu=1,memory_mb=16000")
                && streq (row.limit, "stripe-api"),
            "needs: read back before the commit, canonical");
    TAP_OK (store_commit (store) == 0, "needs: commit");
    TAP_OK (store_get (store, n1->id, false, &row) == 0 && streq (row.require, "gpu_model in(a100,h100)\nzone=eu-1")
                && streq (row.version, "render>=1.2") && streq (row.needs, "gpu=1,memory_mb=16000")
                && streq (row.limit, "stripe-api"),
            "needs: and after it");
    TAP_OK (store_get (store, n2->id, false, &row) == 0 && streq (row.require, "") && streq (row.version, "")
                && streq (row.needs, "") && streq (row.limit, "stripe-api"),
            "needs: the one with a limit only");
    TAP_OK (store_get (store, n3->id, false, &row) == 0 && row.state == ZTASK_STATE_RUNNING && streq (row.require, "")
                && streq (row.version, "") && streq (row.needs, "") && streq (row.limit, ""),
            "needs: the plain one asks nothing");
    n1->attempts = 1;
    n1->started_ms = 5001;
    TAP_OK (store_started (store, n1, "w-n") == 0
                && store_finished (store, n1, ZTASK_STATE_DONE, NULL, "ok", 2, 6000) == 0
                && store_finished (store, n2, ZTASK_STATE_CANCELLED, "cancelled", NULL, 0, 6000) == 0
                && store_finished (store, n3, ZTASK_STATE_DONE, NULL, "ok", 2, 6000) == 0 && store_commit (store) == 0,
            "needs: all three end");
    TAP_OK (store_get (store, n1->id, true, &row) == 0 && row.state == ZTASK_STATE_DONE
                && streq (row.needs, "gpu=1,memory_mb=16000") && streq (row.limit, "stripe-api")
                && row.result_size == 2,
            "needs: kept through the run, beside the result");
    task_destroy (&n1);
    task_destroy (&n2);
    task_destroy (&n3);

    /* One round of many submits: more than one write of new tasks (the
       PostgreSQL store sends them 1,024 at a time) and more than one read
       of a recovery (10,000 at a time); some start, end or go back to the
       queue in the same round. */
    enum { MANY = 25003 };
    uint64_t first = store_peek_id (store);
    size_t unfinished = 0, running = 0;
    for (int i = 0; i < MANY; i++) {
        char key[32];
        snprintf (key, sizeof key, "many-%d", i);
        task_t *task = s_insert (store, i % 7 == 0 ? key : NULL);
        if (i % 5 == 1 || i % 5 == 3) {
            task->attempts = 1;
            task->started_ms = 5000 + i;
            store_started (store, task, "w-many");
        }
        if (i % 10 == 1)
            store_finished (store, task, ZTASK_STATE_DONE, NULL, "r", 1, 6000 + i);
        else if (i % 5 == 3) {
            task->attempts = 0;
            store_requeued (store, task);
        }
        unfinished += i % 10 != 1;
        running += i % 10 == 6;
        task_destroy (&task);
    }
    TAP_OK (store_find_key (store, "many-700") == first + 700, "many: a key is found before the commit");
    TAP_OK (store_commit (store) == 0, "many: a round of %d new tasks commits", MANY);
    TAP_OK (store_get (store, first + 11, true, &row) == 0 && row.state == ZTASK_STATE_DONE
                && row.attempts == 1 && streq (row.worker, "w-many") && row.started_ms == 5011
                && row.finished_ms == 6011 && row.result_size == 1 && memcmp (row.result, "r", 1) == 0
                && streq (row.error, ""),
            "many: a task submitted, started and done in one round is stored done");
    TAP_OK (store_get (store, first + 16, false, &row) == 0 && row.state == ZTASK_STATE_RUNNING
                && row.attempts == 1 && streq (row.worker, "w-many") && row.started_ms == 5016
                && row.finished_ms == 0,
            "many: one started in its round is stored running");
    TAP_OK (store_get (store, first + 13, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED
                && row.attempts == 0,
            "many: one started and requeued in its round is stored queued, its attempt given back");
    TAP_OK (store_get (store, first + 24999, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED
                && row.created_ms == 1000 + (int64_t) (first + 24999) && row.max_attempts == 3
                && row.timeout_ms == 1500 && row.priority == 5 && streq (row.type, "echo"),
            "many: the last batch's rows have every field");
    store_close (&store);
    store = store_open (location, "normal");
    TAP_OK (store != NULL && store_peek_id (store) == first + MANY, "many: reopen: ids go on after the round");
    if (!store)
        return tap_done ();
    TAP_OK (store_find_key (store, "many-24997") == first + 24997, "many: reopen: keys of the round are held");
    tally_t tally = { 0, 0, 0, true, true };
    TAP_OK (store_recover (store, s_tally, &tally) == 0 && store_commit (store) == 0,
            "many: recover reads them");
    TAP_OK (tally.count == unfinished + 5 && tally.running == running && tally.ordered && tally.payloads_ok,
            "many: every unfinished task once, oldest first, with its payload (%zu of %zu, %zu of %zu running)",
            tally.count, unfinished + 5, tally.running, running);
    TAP_OK (store_get (store, first + 16, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED,
            "many: recover queues the running ones in the store");

    /* Batches: A of five tasks (one started in its round, one scheduled
       for later, one already due) with a key and a then task whose
       payload is set in the round it is inserted; B of one task, no key,
       its then task's payload set in a later round. */
    task_t *m1 = s_batch_task (store, 0, false);
    uint64_t a = m1->id;
    task_t *m2 = s_batch_task (store, a, false);
    task_t *m3 = s_batch_task (store, a, false);
    task_t *m4 = s_batch_task (store, a, false);
    m4->state = ZTASK_STATE_SCHEDULED;
    m4->due_ms = 4102444800000; /* 2100 */
    task_t *m5 = s_batch_task (store, a, false);
    m5->state = ZTASK_STATE_SCHEDULED;
    m5->due_ms = 1000; /* due: read as queued */
    task_t *th = s_batch_task (store, a, true);
    task_t *b1 = s_batch_task (store, 0, false);
    uint64_t b = b1->id;
    task_t *thb = s_batch_task (store, b, true);
    TAP_OK (store_batch_of (m1) == a && store_batch_of (m5) == a && store_batch_of (th) == 0
                && store_batch_of (b1) == b && store_batch_of (thb) == 0,
            "batch: its tasks belong to it, its then task does not");
    store_batch_t batch_a = { .id = a, .size = 5, .then_id = th->id, .created_ms = 1234, .key = "batch-a" };
    store_batch_t batch_b = { .id = b, .size = 1, .then_id = thb->id, .created_ms = 1235, .key = "" };
    rc = store_insert (store, m1, NULL) | store_insert (store, m2, NULL) | store_insert (store, m3, NULL)
       | store_insert (store, m4, NULL) | store_insert (store, m5, NULL);
    rc |= store_batch_insert (store, &batch_a); /* between its tasks and its then task */
    rc |= store_insert (store, th, NULL) | store_insert (store, b1, NULL) | store_insert (store, thb, NULL);
    rc |= store_batch_insert (store, &batch_b);
    TAP_OK (rc == 0, "batch: two batches' tasks and rows written");
    th = task_set_payload (th, "summary-a", 9);
    TAP_OK (store_set_payload (store, th) == 0, "batch: a then task's payload set in the round of its insert");
    m1->attempts = 1;
    m1->started_ms = 9001;
    TAP_OK (store_started (store, m1, "w-b") == 0, "batch: a task started in the same round");
    store_batch_t got;
    TAP_OK (store_batch_find_key (store, "batch-a") == a, "batch: its key is found before the commit");
    TAP_OK (store_batch_get (store, a, &got) == 0 && got.id == a && got.size == 5 && got.then_id == th->id
                && got.created_ms == 1234 && got.counts[ZTASK_STATE_QUEUED] == 3
                && got.counts[ZTASK_STATE_RUNNING] == 1 && got.counts[ZTASK_STATE_SCHEDULED] == 1
                && got.counts[ZTASK_STATE_DONE] == 0 && got.counts[ZTASK_STATE_BLOCKED] == 0,
            "batch: read back before the commit, counted by state (the due one as queued)");
    TAP_OK (store_commit (store) == 0, "batch: commit");
    TAP_OK (store_batch_find_key (store, "batch-a") == a && store_batch_find_key (store, "batch-b") == 0
                && store_batch_find_key (store, "") == 0,
            "batch: its key is held; another, or none, finds nothing");
    TAP_OK (store_batch_get (store, 999999, &got) == -1, "batch: an unknown batch is not found");
    TAP_OK (store_get (store, m2->id, false, &row) == 0 && row.batch_id == a && store_get (store, th->id, false, &row) == 0
                && row.batch_id == 0 && row.state == ZTASK_STATE_BLOCKED && store_get (store, b, false, &row) == 0
                && row.batch_id == b && store_get (store, first, false, &row) == 0 && row.batch_id == 0,
            "batch: get reads a task's batch (none for a then task or a task of no batch)");
    store_filter_t batchy = { 0, "batchy", 0, 0, 16, true };
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_select (store, &batchy, s_collect, &rows) == 0 && rows.count == 8 && rows.ids[0] == a
                && rows.batch_ids[0] == a && rows.batch_ids[4] == a && rows.batch_ids[5] == 0 && rows.batch_ids[6] == b
                && rows.batch_ids[7] == 0,
            "batch: select reads each task's batch");
    batches_t waiting = { 0 };
    TAP_OK (store_batches_waiting (store, s_collect_batch, &waiting) == 0 && waiting.count == 2
                && waiting.ids[0] == a && waiting.then_ids[0] == th->id && waiting.sizes[0] == 5
                && waiting.created_ms[0] == 1234 && streq (waiting.keys[0], "batch-a") && waiting.ids[1] == b
                && waiting.then_ids[1] == thb->id && waiting.sizes[1] == 1 && streq (waiting.keys[1], ""),
            "batch: both wait for their then tasks, with their rows");

    /* A's tasks end (done, failed, cancelled; the due one runs and is
       done); B's then task gets its payload; A's then task may run. */
    store_finished (store, m1, ZTASK_STATE_DONE, NULL, "r", 1, 9100);
    m2->attempts = 3;
    store_finished (store, m2, ZTASK_STATE_FAILED, "boom", NULL, 0, 9101);
    store_finished (store, m3, ZTASK_STATE_CANCELLED, "by a client", NULL, 0, 9102);
    m5->attempts = 1;
    m5->started_ms = 9003;
    store_started (store, m5, "w-b");
    store_finished (store, m5, ZTASK_STATE_DONE, NULL, "r", 1, 9103);
    thb = task_set_payload (thb, "summary-b", 9);
    TAP_OK (store_set_payload (store, thb) == 0, "batch: a then task's payload set in a later round");
    TAP_OK (store_requeued (store, th) == 0, "batch: A's then task queued");
    memset (&waiting, 0, sizeof waiting);
    TAP_OK (store_batches_waiting (store, s_collect_batch, &waiting) == 0 && waiting.count == 1
                && waiting.ids[0] == b,
            "batch: once its then task is queued A no longer waits (read before the commit)");
    TAP_OK (store_commit (store) == 0, "batch: commit the ends");
    memset (&got, 0, sizeof got);
    TAP_OK (store_batch_get (store, a, &got) == 0 && got.counts[ZTASK_STATE_DONE] == 2
                && got.counts[ZTASK_STATE_FAILED] == 1 && got.counts[ZTASK_STATE_CANCELLED] == 1
                && got.counts[ZTASK_STATE_SCHEDULED] == 1 && got.counts[ZTASK_STATE_QUEUED] == 0
                && got.counts[ZTASK_STATE_RUNNING] == 0 && got.counts[ZTASK_STATE_BLOCKED] == 0,
            "batch: counts after the ends");
    batch_rows_t members = { 0 };
    TAP_OK (store_batch_tasks (store, a, s_collect_batch_task, &members) == 0 && members.count == 5
                && members.ids[0] == m1->id && members.ids[1] == m2->id && members.ids[2] == m3->id
                && members.ids[3] == m4->id && members.ids[4] == m5->id,
            "batch: its tasks, in id order, without its then task");
    TAP_OK (members.states[0] == ZTASK_STATE_DONE && members.states[1] == ZTASK_STATE_FAILED
                && members.states[2] == ZTASK_STATE_CANCELLED && members.states[3] == ZTASK_STATE_SCHEDULED
                && members.states[4] == ZTASK_STATE_DONE && streq (members.errors[0], "")
                && streq (members.errors[1], "boom") && streq (members.errors[2], "by a client")
                && streq (members.errors[4], "") && members.batch_ids[0] == a && members.batch_ids[4] == a,
            "batch: each with its state and error");
    memset (&members, 0, sizeof members);
    TAP_OK (store_batch_tasks (store, 999999, s_collect_batch_task, &members) == 0 && members.count == 0,
            "batch: an unknown batch has no tasks");
    memset (&rows, 0, sizeof rows);
    TAP_OK (store_retry (store, m2, s_collect, &rows) == 0 && rows.count == 1 && rows.batch_ids[0] == a
                && store_commit (store) == 0,
            "batch: retry reads the task's batch");
    TAP_OK (store_batch_of_then (store, th->id) == a && store_batch_of_then (store, thb->id) == b
                && store_batch_of_then (store, m1->id) == 0 && store_batch_of_then (store, 999999) == 0,
            "batch: a then task's batch is found (none for another task)");

    /* A second batch with A's key is refused (on PostgreSQL its round
       rolls back; on SQLite the failed statement alone, as for a task). */
    task_t *dup_member = s_batch_task (store, 0, false);
    store_batch_t dup_batch = { .id = dup_member->id, .size = 1, .created_ms = 1236, .key = "batch-a" };
    rc = store_insert (store, dup_member, NULL) | store_batch_insert (store, &dup_batch);
    rc |= store_commit (store);
    TAP_OK (rc != 0 && store_batch_find_key (store, "batch-a") == a && store_batch_get (store, dup_member->id, &got) == -1,
            "batch: a second batch with a held key is refused");
    store_commit (store);
    task_destroy (&dup_member);

    /* Reopen: recovery reads the batch of each unfinished task and the
       then tasks' payloads. */
    store_close (&store);
    store = store_open (location, "normal");
    TAP_OK (store != NULL, "batch: reopen");
    if (!store)
        return tap_done ();
    recovered_t found = { .ids = { th->id, thb->id, m2->id, m4->id } };
    TAP_OK (store_recover (store, s_collect_recovered, &found) == 0 && store_commit (store) == 0
                && found.seen[0] && found.seen[1] && found.seen[2] && found.seen[3],
            "batch: recover reads A's then task, B's, A's retried and scheduled tasks");
    TAP_OK (found.states[0] == ZTASK_STATE_QUEUED && found.batch_ids[0] == 0 && streq (found.payloads[0], "summary-a"),
            "batch: A's then task queued, of no batch, with the payload set in its round (%s)", found.payloads[0]);
    TAP_OK (found.states[1] == ZTASK_STATE_BLOCKED && found.batch_ids[1] == 0 && streq (found.payloads[1], "summary-b"),
            "batch: B's then task blocked, with the payload set later (%s)", found.payloads[1]);
    TAP_OK (found.states[2] == ZTASK_STATE_QUEUED && found.batch_ids[2] == a && streq (found.payloads[2], "member")
                && found.states[3] == ZTASK_STATE_SCHEDULED && found.batch_ids[3] == a,
            "batch: A's tasks with their batch");
    memset (&waiting, 0, sizeof waiting);
    TAP_OK (store_batches_waiting (store, s_collect_batch, &waiting) == 0 && waiting.count == 1 && waiting.ids[0] == b,
            "batch: reopen: B still waits");

    /* Retention: a batch whose tasks are all gone goes with them; one
       with a task left stays. */
    task_t *c1 = s_batch_task (store, 0, false);
    uint64_t c = c1->id;
    store_batch_t batch_c = { .id = c, .size = 1, .created_ms = 1237, .key = "batch-c" };
    store_insert (store, c1, NULL);
    store_batch_insert (store, &batch_c);
    store_finished (store, c1, ZTASK_STATE_DONE, NULL, "r", 1, 9200);
    TAP_OK (store_commit (store) == 0 && store_batch_get (store, c, &got) == 0, "batch: C, done, is stored");
    TAP_OK (store_purge (store, INT64_C (1) << 62, 1000) >= 1 && store_commit (store) == 0,
            "batch: the retention purge runs");
    TAP_OK (store_batch_get (store, c, &got) == -1 && store_batch_find_key (store, "batch-c") == 0,
            "batch: C's row went with its task (and its key is free)");
    TAP_OK (store_batch_get (store, a, &got) == 0 && store_batch_get (store, b, &got) == 0,
            "batch: A and B, with tasks left, stay");
    task_destroy (&c1);
    task_destroy (&m1);
    task_destroy (&m2);
    task_destroy (&m3);
    task_destroy (&m4);
    task_destroy (&m5);
    task_destroy (&th);
    task_destroy (&b1);
    task_destroy (&thb);

    store_close (&store);
    task_destroy (&t1);
    task_destroy (&t2);
    task_destroy (&t3);
    task_destroy (&t4);
    task_destroy (&dup);
    scheduler_destroy (&s_sched);
    if (argc <= 1) {
        char *command = zsys_sprintf ("rm -rf '%s'", dir);
        TAP_OK (system (command) == 0, "the temporary directory is removed");
        zstr_free (&command);
    }
    zstr_free (&location);
    return tap_done ();
}
