/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store_test - the SQLite task store against a file in a temporary
    directory: sync levels, insert and get, idempotency keys, state updates
    with binary results, reopening, recovery after a crash, and refusing
    files it must not use (not SQLite, newer schema).
*/
#include "tap.h"

#include <jansson.h>
#include "broker/reports.h"
#include "broker/store.h"
#include "proto/ztask_msg.h"
#include "broker/scheduler.h"
#include "ztask/client.h"

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>

/* The schema version this ztaskd writes (store_sqlite.c). */
#define SCHEMA_NOW 9
#include <sys/wait.h>
#include <unistd.h>

#define CREATED_MS INT64_C (1700000000123)

static char s_dir[] = "/tmp/ztask-store-test-XXXXXX";

static char *
s_path (const char *name)
{
    char *path = zsys_sprintf ("%s/%s", s_dir, name);
    assert (path);
    return path;
}

/* A new task, as the broker builds one for a submit. */
static task_t *
s_task (scheduler_t *sched, uint64_t id, const char *type, uint8_t priority, const void *data,
        size_t size)
{
    task_t *task = task_new (id, scheduler_type (sched, type), priority, data, size);
    task->max_attempts = 3;
    task->timeout_ms = 1500;
    task->created_ms = CREATED_MS + (int64_t) id;
    return task;
}

/* Runs a query returning one integer through a connection of our own. */
static int64_t
s_query_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int64_t value = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

static bool
s_query_text (const char *path, const char *sql, const char *expect)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    bool equal = false;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        equal = streq ((const char *) sqlite3_column_text (stmt, 0), expect);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return equal;
}

static int
s_exec (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_close (db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* What store_recover's callbacks work with. */
typedef struct {
    scheduler_t *sched;      /* maps type names                                */
    zlistx_t *tasks;         /* recovered tasks, in the order given            */
    size_t running_count;    /* of which were running                          */
    uint64_t running_id;     /* the last of those                              */
} recovery_t;

/* A recovered row as the broker takes it: a task (type "unknown" is
   skipped, as if the limit of types were reached). */
static void
s_recover_row (const store_row_t *row, void *arg)
{
    recovery_t *recovery = (recovery_t *) arg;
    if (streq (row->type, "unknown"))
        return;
    task_t *task = task_new (row->id, scheduler_type (recovery->sched, row->type), row->priority, row->payload,
                             row->payload_size);
    task->attempts = row->attempts;
    task->max_attempts = row->max_attempts;
    task->timeout_ms = row->timeout_ms;
    task->created_ms = row->created_ms;
    if (row->state == ZTASK_STATE_RUNNING) {
        recovery->running_count++;
        recovery->running_id = task->id;
    }
    zlistx_add_end (recovery->tasks, task);
}

/* store_get into a TASK_INFO, as the broker answers with it. */
static int
s_get (store_t *store, uint64_t id, ztask_msg_t *info, bool with_result)
{
    store_row_t row;
    if (store_get (store, id, with_result, &row) != 0)
        return -1;
    info->task_id = row.id;
    ztask_msg_strcpy (info->type, row.type);
    info->priority = row.priority;
    info->state = row.state;
    info->attempt = row.attempts;
    info->max_attempts = row.max_attempts;
    ztask_msg_strcpy (info->worker, row.worker);
    ztask_msg_strcpy (info->error, row.error);
    info->created_ms = row.created_ms;
    info->started_ms = row.started_ms;
    info->finished_ms = row.finished_ms;
    if (with_result) {
        info->flags |= ZTASK_FLAG_RESULT;
        ztask_msg_set_body (info, row.result, row.result_size);
    }
    return 0;
}

/* store_list into the JSON array of ztask list. */
static json_t *
s_list (store_t *store, int state, unsigned limit)
{
    json_t *tasks = json_array ();
    if (store_list (store, state, limit, report_list_row, tasks) != 0)
        json_decref (tasks);
    return tasks;
}

static void
s_task_destroy (void **item)
{
    task_destroy ((task_t **) item);
}

static void
s_test_sync (void)
{
    const char *levels[] = { "full", "normal", "off" };
    scheduler_t *sched = scheduler_new ();
    for (int i = 0; i < 3; i++) {
        char *name = zsys_sprintf ("sync-%s.db", levels[i]);
        char *path = s_path (name);
        store_t *store = store_open (path, levels[i]);
        TAP_OK (store != NULL, "sync %s: store opens", levels[i]);
        if (store) {
            task_t *task = s_task (sched, store_next_id (store), "echo", 5, "x", 1);
            ztask_msg_t *info = ztask_msg_new ();
            TAP_OK (task->id == 1 && store_insert (store, task, NULL) == 0
                        && store_commit (store) == 0 && s_get (store, 1, info, false) == 0
                        && info->task_id == 1,
                    "sync %s: a task is stored and read back", levels[i]);
            ztask_msg_destroy (&info);
            task_destroy (&task);
            store_close (&store);
            TAP_OK (store == NULL, "sync %s: store_close nulls the pointer", levels[i]);
            TAP_OK (s_query_text (path, "PRAGMA journal_mode", "wal"), "sync %s: in WAL mode",
                    levels[i]);
        }
        zstr_free (&path);
        zstr_free (&name);
    }
    char *path = s_path ("sync-bad.db");
    TAP_OK (store_open (path, "fast") == NULL, "sync: 'fast' is refused");
    TAP_OK (store_open (path, "") == NULL && store_open (path, "FULL") == NULL,
            "sync: '' and 'FULL' are refused");
    TAP_OK (access (path, F_OK) != 0, "sync: a refused store leaves no file behind");
    zstr_free (&path);
    scheduler_destroy (&sched);
}

static void
s_test_tasks (void)
{
    scheduler_t *sched = scheduler_new ();
    ztask_msg_t *info = ztask_msg_new ();
    char *path = s_path ("tasks.db");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "tasks: a new store opens");
    if (!store) {
        zstr_free (&path);
        ztask_msg_destroy (&info);
        scheduler_destroy (&sched);
        return;
    }
    TAP_OK (store_next_id (store) == 1 && store_next_id (store) == 2,
            "tasks: ids of a new store start at 1");

    /* t1: binary payload, a key, every field set. */
    const char payload1[] = "hello\0world";
    task_t *t1 = s_task (sched, 1, "echo", 7, payload1, sizeof payload1);
    TAP_OK (store_insert (store, t1, "key-1") == 0, "tasks: insert with a key");
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks") == -1,
            "tasks: another connection cannot read the store while it is open (exclusive)");
    TAP_OK (store_open (path, "normal") == NULL, "tasks: nor can a second store_open (it is locked)");
    TAP_OK (store_commit (store) == 0, "tasks: commit");
    TAP_OK (store_commit (store) == 0, "tasks: commit with nothing open");

    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 1, info, false) == 0, "tasks: get t1");
    TAP_OK (info->task_id == 1 && streq (info->type, "echo") && info->priority == 7
                && info->state == ZTASK_STATE_QUEUED && info->attempt == 0
                && info->max_attempts == 3
                && streq (info->worker, "") && streq (info->error, "")
                && info->created_ms == CREATED_MS + 1 && info->started_ms == 0
                && info->finished_ms == 0,
            "tasks: t1 reads back with all its fields");
    TAP_OK (info->body == NULL && info->flags == 0, "tasks: no result asked, none given");
    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 999, info, true) == -1, "tasks: get of an unknown id fails");

    /* Keys. */
    TAP_OK (store_find_key (store, "key-1") == 1, "tasks: the key finds t1");
    TAP_OK (store_find_key (store, "key-2") == 0, "tasks: an unknown key finds nothing");
    task_t *t2 = s_task (sched, 2, "echo", 5, "b", 1);
    task_t *t3 = s_task (sched, 3, "sleep", 0, "c", 1);
    TAP_OK (store_insert (store, t2, NULL) == 0 && store_insert (store, t3, "") == 0,
            "tasks: inserts without a key (NULL and \"\")");
    TAP_OK (store_find_key (store, "") == 0, "tasks: the empty key is not a key");
    task_t *dup = s_task (sched, 4, "echo", 5, "d", 1);
    TAP_OK (store_insert (store, dup, "key-1") == -1, "tasks: a second task with a key is refused");
    task_destroy (&dup);
    /* t4: queued, recovered; zero-length payload. */
    task_t *t4 = s_task (sched, 4, "wordcount", 9, NULL, 0);
    TAP_OK (store_insert (store, t4, "key-4") == 0 && store_commit (store) == 0,
            "tasks: the batch still commits after the refused insert");
    TAP_OK (store_find_key (store, "key-4") == 4, "tasks: key-4 finds t4");

    /* t1 runs and is done, with a binary result. */
    t1->attempts = 1;
    t1->started_ms = CREATED_MS + 1000;
    TAP_OK (store_started (store, t1, "w-1") == 0, "tasks: t1 started");
    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 1, info, false) == 0 && info->state == ZTASK_STATE_RUNNING
                && info->attempt == 1 && streq (info->worker, "w-1")
                && info->started_ms == CREATED_MS + 1000 && info->finished_ms == 0,
            "tasks: t1 reads back running on w-1");
    const unsigned char result[] = { 0x00, 0xff, 'a', 0x00, 0x80, 0x01, 0x00 };
    TAP_OK (store_finished (store, t1, ZTASK_STATE_DONE, NULL, result, sizeof result,
                            CREATED_MS + 2000)
                == 0,
            "tasks: t1 finished");
    TAP_OK (store_commit (store) == 0, "tasks: commit");
    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 1, info, true) == 0 && info->state == ZTASK_STATE_DONE
                && info->attempt == 1 && streq (info->worker, "w-1") && streq (info->error, "")
                && info->started_ms == CREATED_MS + 1000 && info->finished_ms == CREATED_MS + 2000,
            "tasks: t1 reads back done");
    TAP_OK ((info->flags & ZTASK_FLAG_RESULT) && info->body
                && zframe_size (info->body) == sizeof result
                && memcmp (zframe_data (info->body), result, sizeof result) == 0,
            "tasks: with_result gives t1's binary result byte for byte");
    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 1, info, false) == 0 && info->body == NULL && info->flags == 0,
            "tasks: without with_result, no body");

    /* t2 fails with an error and no result. */
    t2->attempts = 3;
    TAP_OK (store_finished (store, t2, ZTASK_STATE_FAILED, "boom: 3 of 3 attempts used", NULL, 0,
                            CREATED_MS + 3000)
                == 0,
            "tasks: t2 failed");
    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 2, info, true) == 0 && info->state == ZTASK_STATE_FAILED
                && info->attempt == 3 && streq (info->error, "boom: 3 of 3 attempts used")
                && info->finished_ms == CREATED_MS + 3000 && info->body
                && zframe_size (info->body) == 0,
            "tasks: t2 reads back failed with its error and an empty result");

    /* t3 runs, goes back to the queue, runs again and is left running. */
    t3->attempts = 1;
    TAP_OK (store_started (store, t3, "w-2") == 0 && store_requeued (store, t3) == 0,
            "tasks: t3 started and requeued");
    ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
    TAP_OK (s_get (store, 3, info, false) == 0 && info->state == ZTASK_STATE_QUEUED
                && info->attempt == 1,
            "tasks: t3 reads back queued after 1 attempt");
    t3->attempts = 2;
    t3->started_ms = CREATED_MS + 4000;
    TAP_OK (store_started (store, t3, "w-3") == 0, "tasks: t3 started again");

    /* t5 is cancelled while queued; t42 is left uncommitted at close. */
    task_t *t5 = s_task (sched, 5, "echo", 1, "e", 1);
    TAP_OK (store_insert (store, t5, NULL) == 0
                && store_finished (store, t5, ZTASK_STATE_CANCELLED, "cancelled", NULL, 0,
                                   CREATED_MS + 5000)
                       == 0,
            "tasks: t5 inserted and cancelled");
    task_t *t6 = s_task (sched, 6, "unknown", 1, "f", 1);
    TAP_OK (store_insert (store, t6, NULL) == 0, "tasks: t6 of a type recovery will not map");
    task_t *t42 = s_task (sched, 42, "sleep", 5, "forty-two", 9);
    TAP_OK (store_insert (store, t42, NULL) == 0, "tasks: t42 inserted, not committed");
    store_close (&store);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks") == 7,
            "tasks: close commits the open batch (7 tasks)");
    TAP_OK (s_query_int (path, "SELECT length(payload) FROM tasks WHERE id = 1")
                    == (int64_t) sizeof payload1
                && s_query_int (path, "SELECT timeout_ms FROM tasks WHERE id = 1") == 1500,
            "tasks: payload (with its NUL) and timeout are stored");
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks INDEXED BY tasks_key WHERE idem_key IS NOT NULL")
                    == 2,
            "tasks: only the 2 tasks with a key are in the key index");
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "tasks: schema version %d", SCHEMA_NOW);

    /* Reopen: ids go on after the highest, not after the count. */
    store = store_open (path, "full");
    TAP_OK (store != NULL, "tasks: the store reopens");
    if (store) {
        TAP_OK (store_next_id (store) == 43, "tasks: next id is 43, after the max id");
        ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
        TAP_OK (s_get (store, 1, info, true) == 0 && info->state == ZTASK_STATE_DONE
                    && info->body && zframe_size (info->body) == sizeof result
                    && memcmp (zframe_data (info->body), result, sizeof result) == 0,
                "tasks: t1 and its result survive reopening");
        TAP_OK (store_find_key (store, "key-1") == 1, "tasks: and its key");

        /* Recover: queued t4 and t42, running t3, in id order; not the
           ended t1, t2, t5, nor t6 whose type does not map. */
        zlistx_t *recovered = zlistx_new ();
        zlistx_set_destructor (recovered, s_task_destroy);
        recovery_t recovery = { sched, recovered, 0, 0 };
        TAP_OK (store_recover (store, s_recover_row, &recovery) == 0,
                "recover: succeeds");
        TAP_OK (recovery.running_count == 1 && recovery.running_id == 3,
                "recover: says that t3, and only t3, was running");
        TAP_OK (store_commit (store) == 0, "recover: commit");
        TAP_OK (zlistx_size (recovered) == 3, "recover: 3 tasks (%zu)", zlistx_size (recovered));
        task_t *r = (task_t *) zlistx_first (recovered);
        TAP_OK (r && r->id == 3 && streq (r->type->name, "sleep") && r->priority == 0
                    && r->state == ZTASK_STATE_QUEUED && r->attempts == 2 && r->max_attempts == 3
                    && r->timeout_ms == 1500 && r->created_ms == CREATED_MS + 3
                    && r->worker == NULL && r->payload_size == 1
                    && memcmp (r->payload, "c", 1) == 0,
                "recover: first t3 (was running), as queued, with its payload and attempts");
        r = (task_t *) zlistx_next (recovered);
        TAP_OK (r && r->id == 4 && streq (r->type->name, "wordcount") && r->priority == 9
                    && r->state == ZTASK_STATE_QUEUED && r->attempts == 0 && r->payload_size == 0,
                "recover: then t4, queued, with its empty payload");
        r = (task_t *) zlistx_next (recovered);
        TAP_OK (r && r->id == 42 && streq (r->type->name, "sleep") && r->priority == 5
                    && r->state == ZTASK_STATE_QUEUED && r->payload_size == 9
                    && memcmp (r->payload, "forty-two", 9) == 0,
                "recover: then t42, with its payload");
        zlistx_destroy (&recovered);
        ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
        TAP_OK (s_get (store, 3, info, false) == 0 && info->state == ZTASK_STATE_QUEUED
                    && info->attempt == 2,
                "recover: the running t3 is queued in the store");
        ztask_msg_reset (info, ZTASK_MSG_TASK_INFO);
        TAP_OK (s_get (store, 5, info, false) == 0 && info->state == ZTASK_STATE_CANCELLED
                    && streq (info->error, "cancelled"),
                "recover: the cancelled t5 is left alone");
        store_close (&store);
        char *wal = zsys_sprintf ("%s-wal", path);
        TAP_OK (access (wal, F_OK) != 0,
                "tasks: a clean close leaves no WAL file (every statement finalized)");
        zstr_free (&wal);
    }
    TAP_OK (s_query_int (path, "SELECT state FROM tasks WHERE id = 3") == ZTASK_STATE_QUEUED
                && s_query_int (path, "SELECT count(*) FROM tasks WHERE state = 1") == 0,
            "recover: no task is left running on disk");

    task_destroy (&t1);
    task_destroy (&t2);
    task_destroy (&t3);
    task_destroy (&t4);
    task_destroy (&t5);
    task_destroy (&t6);
    task_destroy (&t42);
    zstr_free (&path);
    ztask_msg_destroy (&info);
    scheduler_destroy (&sched);
}

/* A writer killed with SIGKILL loses nothing it committed. */
static void
s_test_crash (void)
{
    char *path = s_path ("crash.db");
    fflush (stdout);
    pid_t pid = fork ();
    assert (pid >= 0);
    if (pid == 0) {
        scheduler_t *sched = scheduler_new ();
        store_t *store = store_open (path, "normal");
        if (!store)
            _exit (1);
        task_t *queued = s_task (sched, store_next_id (store), "echo", 5, "kept", 4);
        task_t *running = s_task (sched, store_next_id (store), "sleep", 9, "also kept", 9);
        task_t *unaccepted = s_task (sched, store_next_id (store), "echo", 5, "lost", 4);
        if (store_insert (store, queued, "crash-key") || store_insert (store, running, NULL)
            || store_commit (store))
            _exit (1);
        running->attempts = 1;
        if (store_started (store, running, "w-1") || store_commit (store)
            || store_insert (store, unaccepted, NULL))
            _exit (1);
        kill (getpid (), SIGKILL);
        _exit (1);
    }
    int status = 0;
    waitpid (pid, &status, 0);
    TAP_OK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "crash: the writer was killed");
    scheduler_t *sched = scheduler_new ();
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "crash: the store reopens");
    if (store) {
        TAP_OK (store_next_id (store) == 3, "crash: the uncommitted task is gone, next id 3");
        TAP_OK (store_find_key (store, "crash-key") == 1, "crash: the committed key is there");
        zlistx_t *recovered = zlistx_new ();
        zlistx_set_destructor (recovered, s_task_destroy);
        recovery_t recovery = { sched, recovered, 0, 0 };
        TAP_OK (store_recover (store, s_recover_row, &recovery) == 0
                    && zlistx_size (recovered) == 2,
                "crash: 2 tasks recovered");
        task_t *first = (task_t *) zlistx_first (recovered);
        task_t *second = (task_t *) zlistx_next (recovered);
        TAP_OK (first && first->id == 1 && first->attempts == 0 && first->payload_size == 4
                    && memcmp (first->payload, "kept", 4) == 0,
                "crash: the queued task, with its payload");
        TAP_OK (second && second->id == 2 && second->attempts == 1
                    && second->state == ZTASK_STATE_QUEUED
                    && second->payload_size == 9,
                "crash: the running task, queued again after 1 attempt");
        zlistx_destroy (&recovered);
        store_close (&store);
    }
    scheduler_destroy (&sched);
    zstr_free (&path);
}

/* A version 1 store (UNIQUE key column, state index) is rebuilt into
   version 2 with its tasks, keys and ids intact. */
static void
s_test_upgrade (void)
{
    char *path = s_path ("v1.db");
    TAP_OK (s_exec (path,
                    "PRAGMA journal_mode = WAL;"
                    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                    " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
                    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
                    " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT UNIQUE,"
                    " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
                    " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER);"
                    "CREATE INDEX tasks_active ON tasks (state) WHERE state < 2;"
                    "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state >= 2;"
                    "INSERT INTO tasks (id, type, priority, state, max_attempts, idem_key, payload,"
                    " created_ms) VALUES (7, 'echo', 5, 0, 3, 'old-key', x'6869', 1);"
                    "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, payload,"
                    " result, created_ms, finished_ms) VALUES (9, 'echo', 1, 2, 1, 3, x'', x'6f6b', 2, 3);"
                    "PRAGMA user_version = 1;")
                == 0,
            "upgrade: a version 1 store made");
    scheduler_t *sched = scheduler_new ();
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade: it opens");
    if (store) {
        TAP_OK (store_next_id (store) == 10, "upgrade: ids go on after 9");
        TAP_OK (store_find_key (store, "old-key") == 7, "upgrade: its key still finds task 7");
        task_t *dup = s_task (sched, 10, "echo", 5, "d", 1);
        TAP_OK (store_insert (store, dup, "old-key") == -1, "upgrade: the key is still unique");
        task_destroy (&dup);
        ztask_msg_t *info = ztask_msg_new ();
        TAP_OK (s_get (store, 9, info, true) == 0 && info->state == ZTASK_STATE_DONE && info->body
                    && zframe_size (info->body) == 2 && memcmp (zframe_data (info->body), "ok", 2) == 0,
                "upgrade: the finished task keeps its result");
        ztask_msg_destroy (&info);
        zlistx_t *recovered = zlistx_new ();
        zlistx_set_destructor (recovered, s_task_destroy);
        recovery_t recovery = { sched, recovered, 0, 0 };
        task_t *first = NULL;
        TAP_OK (store_recover (store, s_recover_row, &recovery) == 0
                    && zlistx_size (recovered) == 1 && (first = (task_t *) zlistx_first (recovered))
                    && first->id == 7 && first->payload_size == 2 && memcmp (first->payload, "hi", 2) == 0,
                "upgrade: the queued task is recovered with its payload");
        zlistx_destroy (&recovered);
        store_close (&store);
    }
    scheduler_destroy (&sched);
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade: the store is at version %d", SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM sqlite_master WHERE name = 'tasks_key'") == 1
                && s_query_int (path, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_autoindex%'")
                       == 0,
            "upgrade: the partial key index replaces the UNIQUE column");
    zstr_free (&path);
}

/* A version 2 store gains the history column (empty for its tasks) and
   the paused types table; its tasks are intact. */
static void
s_test_upgrade_2 (void)
{
    char *path = s_path ("v2.db");
    TAP_OK (s_exec (path,
                    "PRAGMA journal_mode = WAL;"
                    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                    " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
                    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
                    " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT,"
                    " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
                    " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER);"
                    "CREATE UNIQUE INDEX tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
                    "CREATE INDEX tasks_active ON tasks (id) WHERE state < 2;"
                    "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state >= 2;"
                    "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, payload, error,"
                    " created_ms, finished_ms) VALUES (4, 'echo', 5, 3, 3, 3, x'6869', 'bad', 1, 2);"
                    "PRAGMA user_version = 2;")
                == 0,
            "upgrade 2: a version 2 store made");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade 2: it opens");
    if (store) {
        store_row_t row;
        TAP_OK (store_get (store, 4, false, &row) == 0 && row.state == ZTASK_STATE_FAILED
                    && streq (row.error, "bad") && row.history && streq (row.history, ""),
                "upgrade 2: its failed task is there, with an empty history");
        TAP_OK (store_pause (store, "echo", true) == 0 && store_commit (store) == 0,
                "upgrade 2: a type can be paused");
        store_close (&store);
    }
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade 2: the store is at version %d", SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM paused_types") == 1, "upgrade 2: the paused type is stored");
    zstr_free (&path);
}

/* A row read back by s_scheduled_row. */
typedef struct {
    int count;
    store_row_t row;             /* the last one (strings not kept)           */
} rows_t;

static void
s_rows_fn (const store_row_t *row, void *arg)
{
    rows_t *rows = (rows_t *) arg;
    rows->count++;
    rows->row = *row;
}

/* A version 3 store (no due column; partial indexes by state < 2 and
   >= 2) gains the due column, its indexes hold the states they serve
   now, and its tasks are intact and recovered. */
static void
s_test_upgrade_3 (void)
{
    char *path = s_path ("v3.db");
    TAP_OK (s_exec (path,
                    "PRAGMA journal_mode = WAL;"
                    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                    " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
                    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
                    " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT,"
                    " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
                    " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER,"
                    " history TEXT NOT NULL DEFAULT '');"
                    "CREATE UNIQUE INDEX tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
                    "CREATE INDEX tasks_active ON tasks (id) WHERE state < 2;"
                    "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state >= 2;"
                    "CREATE TABLE paused_types (type TEXT PRIMARY KEY) WITHOUT ROWID;"
                    "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, payload, error,"
                    " created_ms, finished_ms) VALUES (4, 'echo', 5, 3, 3, 3, x'6869', 'bad', 1, 2);"
                    "INSERT INTO tasks (id, type, priority, state, max_attempts, payload, created_ms)"
                    " VALUES (5, 'echo', 5, 0, 3, x'6869', 3);"
                    "PRAGMA user_version = 3;")
                == 0,
            "upgrade 3: a version 3 store made");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade 3: it opens");
    if (store) {
        store_row_t row;
        TAP_OK (store_get (store, 4, false, &row) == 0 && row.state == ZTASK_STATE_FAILED && row.due_ms == 0
                    && streq (row.error, "bad"),
                "upgrade 3: its failed task is there, due_ms 0");
        rows_t rows = { 0 };
        TAP_OK (store_recover (store, s_rows_fn, &rows) == 0 && rows.count == 1 && rows.row.id == 5
                    && rows.row.state == ZTASK_STATE_QUEUED && rows.row.payload_size == 2,
                "upgrade 3: its queued task is recovered");
        store_close (&store);
    }
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade 3: the store is at version %d", SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM pragma_table_info ('tasks') WHERE name IN"
                               " ('requirements', 'version_constraint', 'needs', 'limit_name')")
                == 4,
            "upgrade 3: and has the columns of version 5");
    TAP_OK (s_query_text (path, "SELECT sql FROM sqlite_master WHERE name = 'tasks_active'",
                          "CREATE INDEX tasks_active ON tasks (id) WHERE state IN (0, 1, 5, 6)"),
            "upgrade 3: tasks_active holds queued, running, scheduled and blocked tasks");
    TAP_OK (s_query_text (path, "SELECT sql FROM sqlite_master WHERE name = 'tasks_finished'",
                          "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state IN (2, 3, 4)"),
            "upgrade 3: tasks_finished holds the finished ones");
    zstr_free (&path);
}

/* What the last row of a read asked (copied: the row's strings are the
   store's). */
typedef struct {
    int count;
    uint64_t id;
    char require[256], version[64], needs[64], limit[64];
} needs_rows_t;

static void
s_needs_fn (const store_row_t *row, void *arg)
{
    needs_rows_t *rows = (needs_rows_t *) arg;
    rows->count++;
    rows->id = row->id;
    snprintf (rows->require, sizeof rows->require, "%s", row->require);
    snprintf (rows->version, sizeof rows->version, "%s", row->version);
    snprintf (rows->needs, sizeof rows->needs, "%s", row->needs);
    snprintf (rows->limit, sizeof rows->limit, "%s", row->limit);
}

/* A version 4 store (no columns for what a task asks) gains them, NULL
   for its tasks, which read back asking nothing and are recovered; a new
   task that asks something is stored with it. */
/* A version 5 store (no schedules) gains the schedules table, and its
   tasks are as they were. */
static void
s_test_upgrade_5 (void)
{
    char *path = s_path ("v5.db");
    TAP_OK (s_exec (path,
                    "PRAGMA journal_mode = WAL;"
                    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                    " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
                    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
                    " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT,"
                    " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
                    " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER,"
                    " history TEXT NOT NULL DEFAULT '', due_ms INTEGER, requirements TEXT,"
                    " version_constraint TEXT, needs TEXT, limit_name TEXT);"
                    "CREATE UNIQUE INDEX tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
                    "CREATE INDEX tasks_active ON tasks (id) WHERE state IN (0, 1, 5);"
                    "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state IN (2, 3, 4);"
                    "CREATE TABLE paused_types (type TEXT PRIMARY KEY) WITHOUT ROWID;"
                    "INSERT INTO tasks (id, type, priority, state, max_attempts, payload, created_ms)"
                    " VALUES (9, 'echo', 5, 0, 3, x'6869', 3);"
                    "PRAGMA user_version = 5;")
                == 0,
            "upgrade 5: a version 5 store made");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade 5: it opens");
    if (store) {
        store_row_t row;
        TAP_OK (store_get (store, 9, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED, "upgrade 5: its task is there");
        store_schedule_t schedule = { .name = "nightly", .cron = "0 3 * * *", .tz = "", .type = "report",
                                      .priority = 5, .payload = "", .created_ms = 1 };
        TAP_OK (store_schedule_put (store, &schedule) == 0 && store_commit (store) == 0,
                "upgrade 5: a schedule can be stored");
        store_close (&store);
    }
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade 5: the store is at version %d",
            SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM schedules WHERE catchup = 'skip' AND source = 'cli'") == 1,
            "upgrade 5: the schedules table holds it");
    zstr_free (&path);
}

static void
s_test_upgrade_4 (void)
{
    char *path = s_path ("v4.db");
    TAP_OK (s_exec (path,
                    "PRAGMA journal_mode = WAL;"
                    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                    " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
                    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
                    " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT,"
                    " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
                    " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER,"
                    " history TEXT NOT NULL DEFAULT '', due_ms INTEGER);"
                    "CREATE UNIQUE INDEX tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
                    "CREATE INDEX tasks_active ON tasks (id) WHERE state IN (0, 1, 5);"
                    "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state IN (2, 3, 4);"
                    "CREATE TABLE paused_types (type TEXT PRIMARY KEY) WITHOUT ROWID;"
                    "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, payload, error,"
                    " created_ms, finished_ms) VALUES (4, 'echo', 5, 3, 3, 3, x'6869', 'bad', 1, 2);"
                    "INSERT INTO tasks (id, type, priority, state, max_attempts, payload, created_ms, due_ms)"
                    " VALUES (5, 'echo', 5, 5, 3, x'6869', 3, 4102444800000);"
                    "PRAGMA user_version = 4;")
                == 0,
            "upgrade 4: a version 4 store made");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade 4: it opens");
    if (store) {
        store_row_t row;
        TAP_OK (store_get (store, 4, false, &row) == 0 && row.state == ZTASK_STATE_FAILED && streq (row.error, "bad")
                    && streq (row.require, "") && streq (row.version, "") && streq (row.needs, "")
                    && streq (row.limit, ""),
                "upgrade 4: its failed task is there, asking nothing");
        rows_t rows = { 0 };
        TAP_OK (store_recover (store, s_rows_fn, &rows) == 0 && rows.count == 1 && rows.row.id == 5
                    && rows.row.state == ZTASK_STATE_SCHEDULED && rows.row.due_ms == 4102444800000,
                "upgrade 4: its scheduled task is recovered with its due time");
        scheduler_t *sched = scheduler_new ();
        task_t *task = s_task (sched, store_next_id (store), "render", 5, "x", 1);
        const char *require[] = { "zone = eu-1" };
        sched_needs_t needs = { require, 1, NULL, "gpu=1", NULL };
        char error[256];
        task->sig = scheduler_sig (sched, task->type, &needs, error, sizeof error);
        TAP_OK (task->sig && store_insert (store, task, NULL) == 0 && store_commit (store) == 0
                    && store_get (store, task->id, false, &row) == 0 && streq (row.require, "zone=eu-1")
                    && streq (row.needs, "gpu=1"),
                "upgrade 4: a new task is stored with what it asks");
        store_close (&store);
        task_destroy (&task);
        scheduler_destroy (&sched);
    }
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade 4: the store is at version %d", SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks WHERE requirements IS NULL AND needs IS NULL"
                               " AND version_constraint IS NULL AND limit_name IS NULL")
                == 2,
            "upgrade 4: the old tasks' new columns are NULL");
    zstr_free (&path);
}

/* A version 5 store (no retry policy columns) gains them, NULL for its
   tasks, which read back with no policy (the broker gives them the
   default) and no pending attempt; a new task's policy and a requeued
   task's next attempt are stored, and starting it clears the latter. The
   same step takes a version 6 store (which adds a table of its own). */
static void
s_test_upgrade_retry (int version)
{
    char name[32];
    snprintf (name, sizeof name, "retry-v%d.db", version);
    char *path = s_path (name);
    char *sql = zsys_sprintf (
        "PRAGMA journal_mode = WAL;"
        "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
        " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
        " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT,"
        " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
        " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER,"
        " history TEXT NOT NULL DEFAULT '', due_ms INTEGER, requirements TEXT, version_constraint TEXT,"
        " needs TEXT, limit_name TEXT);"
        "CREATE UNIQUE INDEX tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
        "CREATE INDEX tasks_active ON tasks (id) WHERE state IN (0, 1, 5);"
        "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state IN (2, 3, 4);"
        "CREATE TABLE paused_types (type TEXT PRIMARY KEY) WITHOUT ROWID;"
        "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, payload, created_ms)"
        " VALUES (6, 'echo', 5, 0, 1, 3, x'6869', 1);"
        "PRAGMA user_version = %d;",
        version);
    TAP_OK (s_exec (path, sql) == 0, "upgrade %d: a version %d store made", version, version);
    zstr_free (&sql);
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade %d: it opens", version);
    if (store) {
        rows_t rows = { 0 };
        TAP_OK (store_recover (store, s_rows_fn, &rows) == 0 && rows.count == 1 && rows.row.id == 6
                    && rows.row.retry_min_ms == 0 && rows.row.retry_max_ms == 0 && rows.row.next_attempt_ms == 0,
                "upgrade %d: its queued task is recovered, without a policy or a pending attempt", version);
        scheduler_t *sched = scheduler_new ();
        task_t *task = s_task (sched, store_next_id (store), "render", 5, "x", 1);
        task->retry_min_ms = 1000;
        task->retry_max_ms = 3600000;
        store_row_t row;
        TAP_OK (store_insert (store, task, NULL) == 0 && store_commit (store) == 0
                    && store_get (store, task->id, false, &row) == 0 && row.retry_min_ms == 1000
                    && row.retry_max_ms == 3600000 && row.next_attempt_ms == 0,
                "upgrade %d: a new task is stored with its retry policy", version);
        task->attempts = 1;
        task->next_attempt_ms = 4102444800000;
        TAP_OK (store_started (store, task, "w") == 0 && store_requeued (store, task) == 0
                    && store_commit (store) == 0 && store_get (store, task->id, false, &row) == 0
                    && row.state == ZTASK_STATE_QUEUED && row.next_attempt_ms == 4102444800000,
                "upgrade %d: a requeued task's next attempt is stored", version);
        task->attempts = 2;
        TAP_OK (store_started (store, task, "w") == 0 && store_commit (store) == 0
                    && store_get (store, task->id, false, &row) == 0 && row.next_attempt_ms == 0,
                "upgrade %d: starting it clears the next attempt", version);
        store_close (&store);
        task_destroy (&task);
        scheduler_destroy (&sched);
    }
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade %d: the store is at version %d", version,
            SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks WHERE id = 6 AND retry_min_ms IS NULL"
                               " AND retry_max_ms IS NULL AND next_attempt_ms IS NULL")
                == 1,
            "upgrade %d: the old task's new columns are NULL", version);
    zstr_free (&path);
}

/* What a task asks of its worker is stored as its signature has it:
   canonical texts, requirements joined with newlines, NULL columns for
   what it does not ask; it reads back, is selected and recovered with
   it, and keeps it through its transitions. */
static void
s_test_needs (void)
{
    char *path = s_path ("needs.db");
    store_t *store = store_open (path, "normal");
    scheduler_t *sched = scheduler_new ();
    TAP_OK (store != NULL && scheduler_limit_set (sched, "stripe-api", 2) == 0, "needs: a store and a limit");
    if (!store) {
        scheduler_destroy (&sched);
        zstr_free (&path);
        return;
    }
    char error[256];
    task_t *all = s_task (sched, store_next_id (store), "render", 5, "a", 1);
    const char *require[] = { "zone = \"eu-1\"", "gpu_model in ( h100 , a100 )", "!spot" };
    sched_needs_t needs = { require, 3, "render >= 01.2.0", " memory_mb = 16000 , gpu = 1", "stripe-api" };
    all->sig = scheduler_sig (sched, all->type, &needs, error, sizeof error);
    task_t *limit_only = s_task (sched, store_next_id (store), "mail", 5, "b", 1);
    sched_needs_t limit = { NULL, 0, NULL, NULL, "stripe-api" };
    limit_only->sig = scheduler_sig (sched, limit_only->type, &limit, error, sizeof error);
    task_t *plain = s_task (sched, store_next_id (store), "mail", 5, "c", 1);
    TAP_OK (all->sig && limit_only->sig, "needs: two signatures");
    TAP_OK (store_insert (store, all, NULL) == 0 && store_insert (store, limit_only, NULL) == 0
                && store_insert (store, plain, NULL) == 0,
            "needs: three tasks stored");
    store_row_t row;
    TAP_OK (store_get (store, all->id, false, &row) == 0 && streq (row.require, "!spot\ngpu_model in(a100,h100)\nzone=eu-1")
                && streq (row.version, "render>=1.2") && streq (row.needs, "gpu=1,memory_mb=16000")
                && streq (row.limit, "stripe-api"),
            "needs: read back in canonical form (before the commit)");
    TAP_OK (store_commit (store) == 0, "needs: commit");
    TAP_OK (store_get (store, limit_only->id, false, &row) == 0 && streq (row.require, "") && streq (row.version, "")
                && streq (row.needs, "") && streq (row.limit, "stripe-api"),
            "needs: a task with a limit only");
    TAP_OK (store_get (store, plain->id, false, &row) == 0 && streq (row.require, "") && streq (row.limit, ""),
            "needs: a plain task asks nothing");
    all->attempts = 1;
    all->started_ms = CREATED_MS + 10;
    TAP_OK (store_started (store, all, "w-1") == 0
                && store_finished (store, all, ZTASK_STATE_DONE, NULL, "ok", 2, CREATED_MS + 20) == 0
                && store_commit (store) == 0 && store_get (store, all->id, true, &row) == 0
                && row.state == ZTASK_STATE_DONE && streq (row.needs, "gpu=1,memory_mb=16000")
                && row.result_size == 2 && memcmp (row.result, "ok", 2) == 0,
            "needs: kept through its run, beside its result");
    needs_rows_t rows = { 0 };
    store_filter_t filter = { 1u << ZTASK_STATE_DONE, NULL, 0, 0, 10, false };
    TAP_OK (store_select (store, &filter, s_needs_fn, &rows) == 0 && rows.count == 1
                && streq (rows.version, "render>=1.2") && streq (rows.limit, "stripe-api"),
            "needs: a select reads them");
    store_close (&store);
    store = store_open (path, "normal");
    rows = (needs_rows_t) { 0 };
    filter.states = 1u << ZTASK_STATE_QUEUED;
    filter.oldest_first = true;
    TAP_OK (store && store_select (store, &filter, s_needs_fn, &rows) == 0 && rows.count == 2
                && rows.id == plain->id && streq (rows.limit, ""),
            "needs: reopened, the queued two are there");
    rows = (needs_rows_t) { 0 };
    TAP_OK (store && store_recover (store, s_needs_fn, &rows) == 0 && rows.count == 2 && rows.id == plain->id,
            "needs: and recovered");
    rows = (needs_rows_t) { 0 };
    filter.limit = 1;
    TAP_OK (store && store_select (store, &filter, s_needs_fn, &rows) == 0 && rows.count == 1
                && rows.id == limit_only->id && streq (rows.limit, "stripe-api") && streq (rows.require, ""),
            "needs: the one with a limit recovered with it");
    store_close (&store);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks WHERE requirements IS NULL AND version_constraint IS NULL"
                               " AND needs IS NULL AND limit_name IS NULL")
                == 1,
            "needs: the plain task's columns are NULL");
    task_destroy (&all);
    task_destroy (&limit_only);
    task_destroy (&plain);
    scheduler_destroy (&sched);
    zstr_free (&path);
}

/* A scheduled task is stored with its due time, listed and recovered as
   scheduled, never purged as finished; one whose due time has passed
   reads (and is selected) as queued, with no write. */
/* What store_recover gave for one task: its state and parents text. */
typedef struct {
    uint64_t id;
    int state;                   /* -1: not recovered */
    char parents[STORE_PARENTS_SIZE];
    size_t count;
} recovered_t;

static void
s_recovered_fn (const store_row_t *row, void *arg)
{
    recovered_t *r = (recovered_t *) arg;
    r->count++;
    if (row->id == r->id) {
        r->state = row->state;
        snprintf (r->parents, sizeof r->parents, "%s", row->parents ? row->parents : "(null)");
    }
}

/* A version 7 store (no parents column; the active index without state
   6) gains the column, NULL for its tasks, which read back without
   parents; a blocked task stored then is recovered blocked. */
static void
s_test_upgrade_7 (void)
{
    char *path = s_path ("v7.db");
    TAP_OK (s_exec (path,
                    "PRAGMA journal_mode = WAL;"
                    "CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                    " priority INTEGER NOT NULL, state INTEGER NOT NULL,"
                    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
                    " timeout_ms INTEGER NOT NULL DEFAULT 0, idem_key TEXT,"
                    " payload BLOB NOT NULL, result BLOB, error TEXT, worker TEXT,"
                    " created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER,"
                    " history TEXT NOT NULL DEFAULT '', due_ms INTEGER, requirements TEXT,"
                    " version_constraint TEXT, needs TEXT, limit_name TEXT, retry_min_ms INTEGER,"
                    " retry_max_ms INTEGER, next_attempt_ms INTEGER);"
                    "CREATE UNIQUE INDEX tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
                    "CREATE INDEX tasks_active ON tasks (id) WHERE state IN (0, 1, 5);"
                    "CREATE INDEX tasks_finished ON tasks (finished_ms) WHERE state IN (2, 3, 4);"
                    "CREATE TABLE paused_types (type TEXT PRIMARY KEY) WITHOUT ROWID;"
                    "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, payload, result,"
                    " created_ms, finished_ms) VALUES (4, 'echo', 5, 2, 1, 3, x'6869', x'6f6b', 1, 2);"
                    "INSERT INTO tasks (id, type, priority, state, max_attempts, payload, created_ms)"
                    " VALUES (5, 'echo', 5, 0, 3, x'6869', 3);"
                    "PRAGMA user_version = 7;")
                == 0,
            "upgrade 7: a version 7 store made");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "upgrade 7: it opens");
    if (store) {
        store_row_t row;
        TAP_OK (store_get (store, 4, true, &row) == 0 && row.state == ZTASK_STATE_DONE && streq (row.parents, "")
                    && row.result_size == 2,
                "upgrade 7: its done task is there, without parents");
        recovered_t r = { 5, -1, "", 0 };
        TAP_OK (store_recover (store, s_recovered_fn, &r) == 0 && r.count == 1 && r.state == ZTASK_STATE_QUEUED
                    && streq (r.parents, ""),
                "upgrade 7: its queued task is recovered, without parents");
        scheduler_t *sched = scheduler_new ();
        task_t *task = s_task (sched, store_next_id (store), "echo", 5, "x", 1);
        const uint64_t parents[] = { 4, 5 };
        task_set_parents (task, parents, 2, false);
        task->state = ZTASK_STATE_BLOCKED;
        TAP_OK (store_insert (store, task, NULL) == 0 && store_commit (store) == 0
                    && store_get (store, task->id, false, &row) == 0 && row.state == ZTASK_STATE_BLOCKED
                    && streq (row.parents, "4,5"),
                "upgrade 7: a blocked task is stored with its parents");
        recovered_t b = { task->id, -1, "", 0 };
        TAP_OK (store_recover (store, s_recovered_fn, &b) == 0 && b.count == 2 && b.state == ZTASK_STATE_BLOCKED
                    && streq (b.parents, "4,5"),
                "upgrade 7: and recovered blocked, with them (the active index holds state 6)");
        store_close (&store);
        task_destroy (&task);
        scheduler_destroy (&sched);
    }
    TAP_OK (s_query_int (path, "PRAGMA user_version") == SCHEMA_NOW, "upgrade 7: the store is at version %d",
            SCHEMA_NOW);
    TAP_OK (s_query_int (path, "SELECT count(*) FROM tasks WHERE parents IS NULL") == 2,
            "upgrade 7: the old tasks' parents are NULL");
    zstr_free (&path);
}

/* Blocked tasks: stored with their parents ("any:" for --after-any),
   listed by state 6, made queued by store_requeued, recovered with their
   parents whatever their state. */
static void
s_test_parents (void)
{
    char *path = s_path ("parents.db");
    store_t *store = store_open (path, "normal");
    scheduler_t *sched = scheduler_new ();
    TAP_OK (store != NULL, "parents: a store");
    if (!store) {
        scheduler_destroy (&sched);
        zstr_free (&path);
        return;
    }
    task_t *parent = s_task (sched, store_next_id (store), "echo", 5, "p", 1);
    task_t *child = s_task (sched, store_next_id (store), "echo", 5, "c", 1);
    const uint64_t ids[] = { parent->id, 12345678901234ull };
    task_set_parents (child, ids, 2, true);
    child->state = ZTASK_STATE_BLOCKED;
    TAP_OK (store_insert (store, parent, NULL) == 0 && store_insert (store, child, "child") == 0
                && store_commit (store) == 0,
            "parents: a parent and its blocked child stored");
    char want[64];
    snprintf (want, sizeof want, "any:%" PRIu64 ",12345678901234", parent->id);
    store_row_t row;
    TAP_OK (store_get (store, child->id, false, &row) == 0 && row.state == ZTASK_STATE_BLOCKED
                && streq (row.parents, want),
            "parents: the child reads back blocked, with its parents (%s)", want);
    TAP_OK (store_get (store, parent->id, false, &row) == 0 && streq (row.parents, ""),
            "parents: the parent has none");
    rows_t rows = { 0 };
    store_filter_t blocked = { 1u << ZTASK_STATE_BLOCKED, NULL, 0, 0, 10, false };
    TAP_OK (store_select (store, &blocked, s_rows_fn, &rows) == 0 && rows.count == 1 && rows.row.id == child->id,
            "parents: a select of state blocked finds the child only");
    recovered_t r = { child->id, -1, "", 0 };
    TAP_OK (store_recover (store, s_recovered_fn, &r) == 0 && r.count == 2 && r.state == ZTASK_STATE_BLOCKED
                && streq (r.parents, want),
            "parents: both are recovered, the child blocked with its parents");
    TAP_OK (store_requeued (store, child) == 0 && store_commit (store) == 0
                && store_get (store, child->id, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED
                && streq (row.parents, want),
            "parents: released, it is queued and keeps its parents");
    store_close (&store);
    task_destroy (&parent);
    task_destroy (&child);
    scheduler_destroy (&sched);
    zstr_free (&path);
}

static void
s_test_scheduled (void)
{
    char *path = s_path ("scheduled.db");
    store_t *store = store_open (path, "normal");
    scheduler_t *sched = scheduler_new ();
    TAP_OK (store != NULL, "scheduled: a store");
    if (!store) {
        scheduler_destroy (&sched);
        zstr_free (&path);
        return;
    }
    task_t *later = s_task (sched, store_next_id (store), "echo", 5, "hi", 2);
    later->state = ZTASK_STATE_SCHEDULED;
    later->due_ms = zclock_time () + 3600000;
    task_t *due = s_task (sched, store_next_id (store), "echo", 5, "hu", 2);
    due->state = ZTASK_STATE_SCHEDULED;
    due->due_ms = zclock_time () - 1;
    task_t *now = s_task (sched, store_next_id (store), "echo", 5, "ho", 2);
    TAP_OK (store_insert (store, later, "later") == 0 && store_insert (store, now, NULL) == 0
                && store_insert (store, due, NULL) == 0 && store_commit (store) == 0,
            "scheduled: a scheduled, a queued and a scheduled task already due stored");
    store_row_t row;
    TAP_OK (store_get (store, later->id, false, &row) == 0 && row.state == ZTASK_STATE_SCHEDULED
                && row.due_ms == later->due_ms,
            "scheduled: read back as scheduled, with its due time");
    TAP_OK (store_get (store, due->id, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED
                && row.due_ms == due->due_ms,
            "scheduled: the one already due reads as queued, with its due time");
    TAP_OK (store_get (store, now->id, false, &row) == 0 && row.state == ZTASK_STATE_QUEUED && row.due_ms == 0,
            "scheduled: the other as queued, due_ms 0");
    rows_t rows = { 0 };
    store_filter_t filter = { 1u << ZTASK_STATE_SCHEDULED, NULL, 0, 0, 10, false };
    TAP_OK (store_select (store, &filter, s_rows_fn, &rows) == 0 && rows.count == 1 && rows.row.id == later->id
                && rows.row.due_ms == later->due_ms,
            "scheduled: a select of state scheduled finds it alone");
    rows = (rows_t) { 0 };
    filter.states = 1u << ZTASK_STATE_QUEUED;
    int selected = store_select (store, &filter, s_rows_fn, &rows);
    TAP_OK (selected == 0 && rows.count == 2 && rows.row.id == due->id,
            "scheduled: a select of state queued finds the queued one and the one due");
    filter.states = 1u << ZTASK_STATE_SCHEDULED;
    TAP_OK (store_purge (store, INT64_MAX, 100) == 0 && store_purge_tasks (store, 0, NULL, INT64_MAX, 100) == 0
                && store_commit (store) == 0,
            "scheduled: purges take no unfinished task");
    store_close (&store);
    store = store_open (path, "normal");
    TAP_OK (store != NULL, "scheduled: opened again");
    rows_t recovered = { 0 };
    if (store) {
        TAP_OK (store_recover (store, s_rows_fn, &recovered) == 0 && recovered.count == 3,
                "scheduled: all three are recovered");
        rows = (rows_t) { 0 };
        TAP_OK (store_select (store, &filter, s_rows_fn, &rows) == 0 && rows.count == 1
                    && rows.row.state == ZTASK_STATE_SCHEDULED,
                "scheduled: still scheduled after the recovery");
        later->attempts = 1;
        later->started_ms = zclock_time ();
        TAP_OK (store_started (store, later, "w") == 0 && store_commit (store) == 0
                    && store_get (store, later->id, false, &row) == 0 && row.state == ZTASK_STATE_RUNNING
                    && row.due_ms == later->due_ms,
                "scheduled: started, it is running, keeping its due time");
        store_close (&store);
    }
    task_destroy (&later);
    task_destroy (&now);
    task_destroy (&due);
    scheduler_destroy (&sched);
    zstr_free (&path);
}

static void
s_test_refused (void)
{
    /* Not an SQLite file. */
    char *path = s_path ("not-sqlite.db");
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char) ("this is not a database\n"[i % 23]);
    FILE *file = fopen (path, "w");
    assert (file);
    fwrite (junk, 1, sizeof junk, file);
    fclose (file);
    TAP_OK (store_open (path, "normal") == NULL, "refused: a file that is not SQLite");
    char back[sizeof junk + 1];
    file = fopen (path, "r");
    assert (file);
    size_t size = fread (back, 1, sizeof back, file);
    fclose (file);
    TAP_OK (size == sizeof junk && memcmp (back, junk, sizeof junk) == 0,
            "refused: ... and left unchanged");
    zstr_free (&path);

    /* Another program's SQLite database is not taken over. */
    path = s_path ("other.db");
    TAP_OK (s_exec (path, "CREATE TABLE accounts (id INTEGER)") == 0, "refused: another program's database made");
    TAP_OK (store_open (path, "normal") == NULL, "refused: another program's database");
    TAP_OK (s_exec (path, "SELECT count(*) FROM tasks") != 0, "refused: ... and no tasks table added to it");
    zstr_free (&path);

    /* A store of a newer ztask. */
    path = s_path ("newer.db");
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "refused: a store is created");
    store_close (&store);
    TAP_OK (s_exec (path, "PRAGMA user_version = 99") == 0,
            "refused: its schema version set to 99");
    TAP_OK (store_open (path, "normal") == NULL, "refused: a store with schema version 99");
    TAP_OK (s_query_int (path, "PRAGMA user_version") == 99, "refused: ... and left at version 99");
    zstr_free (&path);

    /* A short text file, a directory, a file in a missing directory. */
    path = s_path ("short.txt");
    file = fopen (path, "w");
    assert (file);
    fputs ("hello\n", file);
    fclose (file);
    TAP_OK (store_open (path, "normal") == NULL, "refused: a short text file");
    zstr_free (&path);
    TAP_OK (store_open (s_dir, "normal") == NULL, "refused: a directory");
    path = s_path ("missing/tasks.db");
    TAP_OK (store_open (path, "normal") == NULL, "refused: a file in a missing directory");
    zstr_free (&path);
}

/* Removes the temporary directory and everything in it. */
/* Retention: finished tasks older than the cut-off go, in batches;
   unfinished ones and newer ones stay; list reads what is left. */
static void
s_test_purge_and_list (void)
{
    scheduler_t *sched = scheduler_new ();
    char *path = s_path ("purge.db");
    store_t *store = store_open (path, "normal");
    for (uint64_t id = 1; id <= 6; id++) {
        task_t *task = s_task (sched, store_next_id (store), "echo", 5, "x", 1);
        store_insert (store, task, NULL);
        /* 1-4 finished at 1000+id, 5 finished late, 6 still queued */
        if (id <= 5)
            store_finished (store, task, id == 3 ? ZTASK_STATE_FAILED : ZTASK_STATE_DONE,
                            id == 3 ? "broke" : NULL, "r", 1, id <= 4 ? 1000 + (int64_t) id : 9000);
        task_destroy (&task);
    }
    store_commit (store);
    json_t *failed = s_list (store, ZTASK_STATE_FAILED, 10);
    TAP_OK (json_array_size (failed) == 1
                && json_integer_value (json_object_get (json_array_get (failed, 0), "id")) == 3
                && streq (json_string_value (json_object_get (json_array_get (failed, 0), "error")), "broke"),
            "list: by state, with the error");
    json_decref (failed);
    json_t *all = s_list (store, -1, 2);
    TAP_OK (json_array_size (all) == 2
                && json_integer_value (json_object_get (json_array_get (all, 0), "id")) == 6,
            "list: any state, newest first, limited");
    json_decref (all);
    TAP_OK (store_purge (store, 1003, 1000) == 2, "purge: the two finished before the cut-off go");
    TAP_OK (store_purge (store, 1005, 1) == 1 && store_purge (store, 1005, 1) == 1
                && store_purge (store, 1005, 1) == 0,
            "purge: in batches of the size asked");
    store_commit (store);
    ztask_msg_t *info = ztask_msg_new ();
    TAP_OK (s_get (store, 5, info, false) == 0 && s_get (store, 6, info, false) == 0
                && s_get (store, 1, info, false) == -1,
            "purge: a newer finished task and a queued one stay");
    ztask_msg_destroy (&info);
    store_close (&store);
    zstr_free (&path);
    scheduler_destroy (&sched);
}

static int
s_remove_dir (void)
{
    DIR *dir = opendir (s_dir);
    if (!dir)
        return -1;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        char *path = s_path (entry->d_name);
        unlink (path);
        zstr_free (&path);
    }
    closedir (dir);
    return rmdir (s_dir);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    if (!mkdtemp (s_dir)) {
        TAP_OK (false, "mkdtemp %s: %s", s_dir, strerror (errno));
        return tap_done ();
    }
    printf ("# store files in %s\n", s_dir);
    s_test_sync ();
    s_test_tasks ();
    s_test_crash ();
    s_test_upgrade ();
    s_test_upgrade_2 ();
    s_test_upgrade_3 ();
    s_test_upgrade_4 ();
    s_test_upgrade_5 ();
    s_test_upgrade_retry (5);
    s_test_upgrade_retry (6);
    s_test_needs ();
    s_test_scheduled ();
    s_test_upgrade_7 ();
    s_test_parents ();
    s_test_refused ();
    s_test_purge_and_list ();
    TAP_OK (s_remove_dir () == 0, "the temporary directory is removed");
    return tap_done ();
}
