/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store_sqlite - the store in an SQLite file (WAL mode): the embedded
    default. See store.h for what each function promises. */
#include "store_backend.h"
#include "common/ztask_log.h"
#include "scheduler.h" /* task_type_t: a task's type name */
#include "ztask/client.h"

#include <sqlite3.h>

/* The schema this ztaskd reads and writes; each upgrade step below
   (s_upgrade_N) brings one older version a step closer. */
#define SCHEMA_VERSION 9
#define S_STR(x) #x
#define S_XSTR(x) S_STR (x)
#define SET_SCHEMA_VERSION "PRAGMA user_version = " S_XSTR (SCHEMA_VERSION) ";"

/* Every index costs page writes on the hot path, so each holds only the
   rows it serves: keys only for tasks that have one; unfinished tasks
   (queued 0, running 1, scheduled 5, blocked 6) in id order (a state change from queued to running rewrites the entry in
   place); finished tasks in the order they ended (each new one goes at
   the end). */
#define TASKS_TABLE(name)                          \
    "CREATE TABLE IF NOT EXISTS " name " ("       \
    "  id INTEGER PRIMARY KEY,"                    \
    "  type TEXT NOT NULL,"                        \
    "  priority INTEGER NOT NULL,"                 \
    "  state INTEGER NOT NULL,"                    \
    "  attempts INTEGER NOT NULL DEFAULT 0,"       \
    "  max_attempts INTEGER NOT NULL,"             \
    "  timeout_ms INTEGER NOT NULL DEFAULT 0,"     \
    "  idem_key TEXT,"                             \
    "  payload BLOB NOT NULL,"                     \
    "  result BLOB,"                               \
    "  error TEXT,"                                \
    "  worker TEXT,"                               \
    "  created_ms INTEGER NOT NULL,"               \
    "  started_ms INTEGER,"                        \
    "  finished_ms INTEGER,"                       \
    "  history TEXT NOT NULL DEFAULT '',"          \
    "  due_ms INTEGER,"                            \
    "  requirements TEXT,"                         \
    "  version_constraint TEXT,"                   \
    "  needs TEXT,"                                \
    "  limit_name TEXT,"                           \
    "  retry_min_ms INTEGER,"                      \
    "  retry_max_ms INTEGER,"                      \
    "  next_attempt_ms INTEGER,"                   \
    "  parents TEXT,"                              \
    "  batch_id INTEGER);"

/* Batches (version 9): one row each, written with its tasks; id is its
   first task's id; then_id the task that runs once every one ended. */
#define BATCHES_TABLE                                                       \
    "CREATE TABLE IF NOT EXISTS batches ("                                   \
    "  id INTEGER PRIMARY KEY,"                                              \
    "  size INTEGER NOT NULL,"                                               \
    "  then_id INTEGER,"                                                     \
    "  created_ms INTEGER NOT NULL,"                                         \
    "  idem_key TEXT);"                                                      \
    "CREATE UNIQUE INDEX IF NOT EXISTS batches_key ON batches (idem_key) WHERE idem_key IS NOT NULL;" \
    "CREATE INDEX IF NOT EXISTS batches_then ON batches (then_id) WHERE then_id IS NOT NULL;"

/* Recurring schedules (version 6): one row each, written when one is
   added, changed or fires (its last fire time). */
#define SCHEDULES_TABLE                                                     \
    "CREATE TABLE IF NOT EXISTS schedules ("                                 \
    "  name TEXT PRIMARY KEY,"                                               \
    "  cron TEXT NOT NULL,"                                                  \
    "  tz TEXT NOT NULL DEFAULT '',"                                         \
    "  type TEXT NOT NULL,"                                                  \
    "  priority INTEGER NOT NULL,"                                           \
    "  payload BLOB NOT NULL,"                                               \
    "  max_attempts INTEGER NOT NULL DEFAULT 0,"                             \
    "  timeout_ms INTEGER NOT NULL DEFAULT 0,"                               \
    "  catchup TEXT NOT NULL DEFAULT 'skip' CHECK (catchup IN ('skip', 'once')),"   \
    "  paused INTEGER NOT NULL DEFAULT 0,"                                   \
    "  source TEXT NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'config')),"    \
    "  created_ms INTEGER NOT NULL,"                                         \
    "  last_fire_ms INTEGER) WITHOUT ROWID;"

static const char *s_schema =
    TASKS_TABLE ("tasks")
    "CREATE UNIQUE INDEX IF NOT EXISTS tasks_key ON tasks (idem_key) WHERE idem_key IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS tasks_active ON tasks (id) WHERE state IN (0, 1, 5, 6);"
    "CREATE INDEX IF NOT EXISTS tasks_finished ON tasks (finished_ms) WHERE state IN (2, 3, 4);"
    "CREATE INDEX IF NOT EXISTS tasks_batch ON tasks (batch_id) WHERE batch_id IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS paused_types (type TEXT PRIMARY KEY) WITHOUT ROWID;"
    SCHEDULES_TABLE
    BATCHES_TABLE;

/* Version 1 had a UNIQUE column (an index entry for every task, keyed or
   not) and its unfinished tasks indexed by state: rebuilt into version 2. */
static const char *s_upgrade_1 =
    "BEGIN;"
    TASKS_TABLE ("tasks_v2")
    "INSERT INTO tasks_v2 (id, type, priority, state, attempts, max_attempts, timeout_ms, idem_key, payload,"
    "  result, error, worker, created_ms, started_ms, finished_ms)"
    " SELECT id, type, priority, state, attempts, max_attempts, timeout_ms,"
    "  idem_key, payload, result, error, worker, created_ms, started_ms, finished_ms FROM tasks;"
    "DROP TABLE tasks;"
    "ALTER TABLE tasks_v2 RENAME TO tasks;"
    SET_SCHEMA_VERSION
    "COMMIT;";

/* Version 3: each task's history (history.h) in its row, and the paused
   task types (the table is created by s_schema). */
static const char *s_upgrade_2 =
    "BEGIN;"
    "ALTER TABLE tasks ADD COLUMN history TEXT NOT NULL DEFAULT '';"
    "PRAGMA user_version = 3;"
    "COMMIT;";

/* Version 4: delayed tasks: their due time, and state 5 (scheduled), which
   is unfinished: the two partial indexes are made again by s_schema with
   the states they hold now. */
static const char *s_upgrade_3 =
    "BEGIN;"
    "ALTER TABLE tasks ADD COLUMN due_ms INTEGER;"
    "DROP INDEX IF EXISTS tasks_active;"
    "DROP INDEX IF EXISTS tasks_finished;"
    "PRAGMA user_version = 4;"
    "COMMIT;";

/* Version 5: what a task asks of its worker (docs/routing.md): its
   requirements (canonical, joined with newlines), plugin version
   constraint, resource request and limit name; NULL when it asks none. */
static const char *s_upgrade_4 =
    "BEGIN;"
    "ALTER TABLE tasks ADD COLUMN requirements TEXT;"
    "ALTER TABLE tasks ADD COLUMN version_constraint TEXT;"
    "ALTER TABLE tasks ADD COLUMN needs TEXT;"
    "ALTER TABLE tasks ADD COLUMN limit_name TEXT;"
    "PRAGMA user_version = 5;"
    "COMMIT;";

/* Version 7: retry policies (docs/scheduling.md): a task's MIN..MAX and
   when a requeued task's next attempt is due (NULL: none; a row upgraded
   from before has the default policy). From version 5, or 6 (which adds
   the schedules table, a table of its own). */
static const char *s_upgrade_retry =
    "BEGIN;"
    "ALTER TABLE tasks ADD COLUMN retry_min_ms INTEGER;"
    "ALTER TABLE tasks ADD COLUMN retry_max_ms INTEGER;"
    "ALTER TABLE tasks ADD COLUMN next_attempt_ms INTEGER;"
    "PRAGMA user_version = 7;"
    "COMMIT;";

/* Version 6: recurring schedules (docs/scheduling.md). */
static const char *s_upgrade_5 =
    "BEGIN;"
    SCHEDULES_TABLE
    "PRAGMA user_version = 6;"
    "COMMIT;";

/* Version 8 (dependencies, docs/scheduling.md): a task's parents ("3,4",
   "any:3,4"; NULL: none), and state 6 (blocked), which is unfinished: the
   two partial indexes are made again by s_schema with the states they
   hold now. From version 7. */
#define DEPS_SCHEMA_VERSION 8
static const char *s_upgrade_deps =
    "BEGIN;"
    "ALTER TABLE tasks ADD COLUMN parents TEXT;"
    "DROP INDEX IF EXISTS tasks_active;"
    "DROP INDEX IF EXISTS tasks_finished;"
    "PRAGMA user_version = " S_XSTR (DEPS_SCHEMA_VERSION) ";"
    "COMMIT;";

/* Version 9 (batches, docs/scheduling.md): the batch a task belongs to
   (NULL: none); the batches table and the index are made by s_schema. */
static const char *s_upgrade_batches =
    "BEGIN;"
    "ALTER TABLE tasks ADD COLUMN batch_id INTEGER;"
    "PRAGMA user_version = 9;"
    "COMMIT;";

/* What a store_row_t holds, in the order s_row reads it; the columns a
   statement selects after them start at ROW_COLUMN_COUNT. */
#define ROW_COLUMNS                                                                                \
    "id, type, priority, state, attempts, max_attempts, timeout_ms, worker, error, created_ms,"   \
    " started_ms, finished_ms, due_ms, requirements, version_constraint, needs, limit_name,"       \
    " retry_min_ms, retry_max_ms, next_attempt_ms, parents, batch_id"
#define ROW_COLUMN_COUNT 22

enum {
    INSERT, FIND_KEY, STARTED, REQUEUED, FINISHED, GET, SELECT_NEW, SELECT_OLD, PURGE, RETRY, RETRIED,
    PURGE_TASKS, PAUSE, RESUME, PAUSED, SCHEDULE_PUT, SCHEDULE_REMOVE, SCHEDULES, BATCH_INSERT, BATCH_FIND_KEY,
    BATCH_GET, BATCH_COUNTS, BATCH_TASKS, BATCHES_WAITING, SET_PAYLOAD, BATCH_OF_THEN, PURGE_BATCHES, STATEMENTS
};

/* store_select's filter: ?1 states (a bit per state; 0: any), ?2 type
   (NULL: any), ?3 below this id (0: none), ?4 ended at or after (0: any),
   ?5 limit; ?6 now (wall ms): a scheduled task due by then is queued. */
#define SELECT_WHERE                                                                                \
    " WHERE (?1 = 0 OR ((1 << (CASE WHEN state = 5 AND due_ms <= ?6 THEN 0 ELSE state END)) & ?1) != 0)" \
    " AND (?2 IS NULL OR type = ?2)"                                                               \
    " AND (?3 = 0 OR id < ?3) AND (?4 = 0 OR finished_ms >= ?4)"

static const char *s_sql[STATEMENTS] = {
    [INSERT] = "INSERT INTO tasks (id, type, priority, state, max_attempts, timeout_ms, idem_key,"
               " payload, created_ms, history, due_ms, requirements, version_constraint, needs, limit_name,"
               " retry_min_ms, retry_max_ms, parents, batch_id)"
               " VALUES (?1, ?2, ?3, ?10, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    [FIND_KEY] = "SELECT id FROM tasks WHERE idem_key = ?",
    [STARTED] = "UPDATE tasks SET state = 1, attempts = ?, worker = ?, started_ms = ?, history = history || ?,"
                " next_attempt_ms = NULL"
                " WHERE id = ?",
    [REQUEUED] = "UPDATE tasks SET state = ?5, attempts = ?1, history = history || ?2, next_attempt_ms = ?4"
                 " WHERE id = ?3",
    [FINISHED] = "UPDATE tasks SET state = ?, attempts = ?, error = ?, result = ?, finished_ms = ?,"
                 " history = history || ? WHERE id = ?",
    [GET] = "SELECT " ROW_COLUMNS ", result, history FROM tasks WHERE id = ?",
    [SELECT_NEW] = "SELECT " ROW_COLUMNS " FROM tasks" SELECT_WHERE " ORDER BY id DESC LIMIT ?5",
    [SELECT_OLD] = "SELECT " ROW_COLUMNS " FROM tasks" SELECT_WHERE " ORDER BY id LIMIT ?5",
    [RETRY] = "UPDATE tasks SET state = 0, attempts = 0, error = NULL, result = NULL, worker = NULL,"
              " started_ms = NULL, finished_ms = NULL, due_ms = NULL, next_attempt_ms = NULL, history = history || ?"
              " WHERE id = ? AND state IN (3, 4)",
    [RETRIED] = "SELECT " ROW_COLUMNS ", payload FROM tasks WHERE id = ?",
    [PURGE_TASKS] = "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE state IN (2, 3, 4)"
                    " AND ((1 << state) & ?1) != 0 AND (?2 IS NULL OR type = ?2) AND finished_ms < ?3"
                    " ORDER BY finished_ms LIMIT ?4)",
    [PAUSE] = "INSERT OR IGNORE INTO paused_types (type) VALUES (?)",
    [RESUME] = "DELETE FROM paused_types WHERE type = ?",
    [PAUSED] = "SELECT type FROM paused_types",
    [SCHEDULE_PUT] = "INSERT OR REPLACE INTO schedules (name, cron, tz, type, priority, payload, max_attempts,"
                     " timeout_ms, catchup, paused, source, created_ms, last_fire_ms)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SCHEDULE_REMOVE] = "DELETE FROM schedules WHERE name = ?",
    [SCHEDULES] = "SELECT name, cron, tz, type, priority, payload, max_attempts, timeout_ms, catchup, paused,"
                  " source, created_ms, last_fire_ms FROM schedules ORDER BY name",
    [BATCH_INSERT] = "INSERT INTO batches (id, size, then_id, created_ms, idem_key) VALUES (?, ?, ?, ?, ?)",
    [BATCH_FIND_KEY] = "SELECT id FROM batches WHERE idem_key = ?",
    [BATCH_GET] = "SELECT id, size, then_id, created_ms, idem_key FROM batches WHERE id = ?",
    /* a scheduled task past its due time counts as queued (store.h) */
    [BATCH_COUNTS] = "SELECT CASE WHEN state = 5 AND due_ms <= ?2 THEN 0 ELSE state END, count(*) FROM tasks"
                     " WHERE batch_id = ?1 GROUP BY 1",
    [BATCH_TASKS] = "SELECT id, CASE WHEN state = 5 AND due_ms <= ?2 THEN 0 ELSE state END, error FROM tasks"
                    " WHERE batch_id = ?1 ORDER BY id",
    [BATCHES_WAITING] = "SELECT b.id, b.size, b.then_id, b.created_ms, b.idem_key FROM batches b"
                        " JOIN tasks t ON t.id = b.then_id WHERE t.state = 6 ORDER BY b.id",
    [SET_PAYLOAD] = "UPDATE tasks SET payload = ? WHERE id = ?",
    [BATCH_OF_THEN] = "SELECT id FROM batches WHERE then_id = ?",
    /* batches made before the cut-off whose tasks and then task are all gone */
    [PURGE_BATCHES] = "DELETE FROM batches WHERE id IN (SELECT b.id FROM batches b"
                      " WHERE b.created_ms < ?1 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.batch_id = b.id)"
                      " AND (b.then_id IS NULL OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = b.then_id)) LIMIT ?2)",
    [PURGE] = "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE state IN (2, 3, 4)"
              " AND finished_ms < ? LIMIT ?)",
};

struct store_backend {
    sqlite3 *db;
    sqlite3_stmt *stmt[STATEMENTS]; /* prepared once, reset after each use */
    bool in_transaction;            /* a batch is open                     */
    uint64_t max_id;                /* the largest id in the store at open */
    char *path;                     /* for log messages                    */
    byte *row_data;                 /* store_get's strings and result      */
    size_t row_max;
};

static int
s_exec (store_backend_t *self, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &error) != SQLITE_OK) {
        ztask_log_error ("store: %s: %s", self->path, error ? error : sqlite3_errmsg (self->db));
        sqlite3_free (error);
        return -1;
    }
    return 0;
}

/* True if the database already holds tables (a new store holds none). */
static bool
s_has_tables (store_backend_t *self)
{
    sqlite3_stmt *s = NULL;
    bool found = false;
    if (sqlite3_prepare_v2 (self->db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &s, NULL) == SQLITE_OK)
        found = sqlite3_step (s) == SQLITE_ROW;
    sqlite3_finalize (s);
    return found;
}

static void s_sqlite_close (store_backend_t **self_p);
static int s_sqlite_commit (store_backend_t *self);

/* Version 5 or 6 to 7 (s_upgrade_retry): sets *user_version. 0 or -1. */
static int
s_upgrade_to_7 (store_backend_t *self, int *user_version)
{
    ztask_log_info ("store: upgrading %s from schema version %d to 7 (retry policies)", self->path, *user_version);
    if (s_exec (self, s_upgrade_retry)) {
        s_exec (self, "ROLLBACK");
        return -1;
    }
    *user_version = 7;
    return 0;
}

/* One step of the upgrade: version 5 to 6 (recurring schedules). 0 and
   *version 6, or -1 (rolled back). */
static int
s_upgrade_to_6 (store_backend_t *self, const char *path, int *version)
{
    ztask_log_info ("store: upgrading %s from schema version 5 to 6 (recurring schedules)", path);
    if (s_exec (self, s_upgrade_5)) {
        s_exec (self, "ROLLBACK");
        return -1;
    }
    *version = 6;
    return 0;
}

/* The dependencies step: a store at version 7 goes to
   DEPS_SCHEMA_VERSION (*user_version follows). Returns 0, or -1 after
   logging why (rolled back). */
static int
s_upgrade_step_deps (store_backend_t *self, const char *path, int *user_version)
{
    if (*user_version != 7)
        return 0;
    ztask_log_info ("store: upgrading %s from schema version 7 to %d (dependencies)", path, DEPS_SCHEMA_VERSION);
    if (s_exec (self, s_upgrade_deps)) {
        s_exec (self, "ROLLBACK");
        return -1;
    }
    *user_version = DEPS_SCHEMA_VERSION;
    return 0;
}

static store_backend_t *
s_sqlite_open (const char *path, const char *sync)
{
    const char *pragma = NULL;
    if (streq (sync, "full"))
        pragma = "PRAGMA synchronous = FULL;";
    else if (streq (sync, "normal"))
        pragma = "PRAGMA synchronous = NORMAL;";
    else if (streq (sync, "off"))
        pragma = "PRAGMA synchronous = OFF;";
    else {
        ztask_log_error ("store: sync must be full, normal or off, not '%s'", sync);
        return NULL;
    }
    store_backend_t *self = (store_backend_t *) zmalloc (sizeof (store_backend_t));
    assert (self);
    self->path = strdup (path);
    /* One thread uses the connection: no SQLite mutex around each call,
       and no memory statistics (their mutex is taken on every malloc).
       The latter can only be set before SQLite initialises; later calls
       fail harmlessly. */
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                         NULL)
        != SQLITE_OK) {
        ztask_log_error ("store: cannot open %s: %s", path, self->db ? sqlite3_errmsg (self->db) : "out of memory");
        s_sqlite_close (&self);
        return NULL;
    }
    /* Exclusive, before the first read: the broker is the store's only
       user, so SQLite keeps the WAL index in its own memory and takes no
       file lock per transaction; a second ztaskd finds the store locked. */
    sqlite3_busy_timeout (self->db, 5000); /* a ztaskd restarted while the old one still closes */
    sqlite3_stmt *version = NULL;
    int user_version = -1, rc = s_exec (self, "PRAGMA locking_mode = EXCLUSIVE;");
    if (rc == 0 && (rc = sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &version, NULL)) == SQLITE_OK
        && (rc = sqlite3_step (version)) == SQLITE_ROW)
        user_version = sqlite3_column_int (version, 0);
    sqlite3_finalize (version);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        ztask_log_error ("store: %s is locked: another ztaskd (or another program) is using it", path);
        s_sqlite_close (&self);
        return NULL;
    }
    if (user_version < 0) {
        ztask_log_error ("store: %s is not an SQLite database: %s", path, sqlite3_errmsg (self->db));
        s_sqlite_close (&self);
        return NULL;
    }
    if (user_version == 0 && s_has_tables (self)) {
        ztask_log_error ("store: %s is an SQLite database of another program, not a ztask store", path);
        s_sqlite_close (&self);
        return NULL;
    }
    if (user_version == 1) {
        ztask_log_info ("store: upgrading %s from schema version 1 to %d", path, SCHEMA_VERSION);
        if (s_exec (self, s_upgrade_1)) {
            s_exec (self, "ROLLBACK");
            s_sqlite_close (&self);
            return NULL;
        }
        user_version = SCHEMA_VERSION;
    }
    if (user_version == 2) {
        ztask_log_info ("store: upgrading %s from schema version 2 to 3 (task history, paused types)", path);
        if (s_exec (self, s_upgrade_2)) {
            s_exec (self, "ROLLBACK");
            s_sqlite_close (&self);
            return NULL;
        }
        user_version = 3;
    }
    if (user_version == 3) {
        ztask_log_info ("store: upgrading %s from schema version 3 to 4 (delayed tasks)", path);
        if (s_exec (self, s_upgrade_3)) {
            s_exec (self, "ROLLBACK");
            s_sqlite_close (&self);
            return NULL;
        }
        user_version = 4;
    }
    if (user_version == 4) {
        ztask_log_info ("store: upgrading %s from schema version 4 to 5 (what tasks ask of workers)", path);
        if (s_exec (self, s_upgrade_4)) {
            s_exec (self, "ROLLBACK");
            s_sqlite_close (&self);
            return NULL;
        }
        user_version = 5;
    }
    if (user_version == 5 && s_upgrade_to_6 (self, path, &user_version) != 0) {
        s_sqlite_close (&self);
        return NULL;
    }
    if (user_version == 6 && s_upgrade_to_7 (self, &user_version) != 0) {
        s_sqlite_close (&self);
        return NULL;
    }
    if (s_upgrade_step_deps (self, path, &user_version) != 0) {
        s_sqlite_close (&self);
        return NULL;
    }
    if (user_version == DEPS_SCHEMA_VERSION) {
        ztask_log_info ("store: upgrading %s from schema version 8 to 9 (batches)", path);
        if (s_exec (self, s_upgrade_batches)) {
            s_exec (self, "ROLLBACK");
            s_sqlite_close (&self);
            return NULL;
        }
        user_version = 9;
    }
    if (user_version != 0 && user_version != SCHEMA_VERSION) {
        ztask_log_error ("store: %s has schema version %d; this ztaskd reads version %d%s", path,
                    user_version, SCHEMA_VERSION, user_version > SCHEMA_VERSION ? ": upgrade ztaskd" : "");
        s_sqlite_close (&self);
        return NULL;
    }
    if (s_exec (self, "PRAGMA journal_mode = WAL;")
        || s_exec (self, pragma) || s_exec (self, s_schema) || s_exec (self, SET_SCHEMA_VERSION)) {
        s_sqlite_close (&self);
        return NULL;
    }
    for (int i = 0; i < STATEMENTS; i++)
        if (sqlite3_prepare_v2 (self->db, s_sql[i], -1, &self->stmt[i], NULL) != SQLITE_OK) {
            ztask_log_error ("store: %s: %s", path, sqlite3_errmsg (self->db));
            s_sqlite_close (&self);
            return NULL;
        }
    sqlite3_stmt *max = NULL;
    self->max_id = 0;
    if (sqlite3_prepare_v2 (self->db, "SELECT max(id) FROM tasks", -1, &max, NULL) == SQLITE_OK
        && sqlite3_step (max) == SQLITE_ROW)
        self->max_id = (uint64_t) sqlite3_column_int64 (max, 0);
    sqlite3_finalize (max);
    return self;
}

static void
s_sqlite_close (store_backend_t **self_p)
{
    assert (self_p);
    store_backend_t *self = *self_p;
    if (self) {
        if (self->db)
            s_sqlite_commit (self);
        for (int i = 0; i < STATEMENTS; i++)
            sqlite3_finalize (self->stmt[i]);
        sqlite3_close (self->db);
        free (self->path);
        free (self->row_data);
        free (self);
        *self_p = NULL;
    }
}

static uint64_t
s_sqlite_max_id (store_backend_t *self)
{
    return self->max_id;
}

/* An SQLite store is this broker's alone: it leads, always in term 1. */
static int
s_sqlite_lead (store_backend_t *self, const char *name, const char *endpoint, unsigned lease_ms, uint64_t held,
               store_leader_t *leader)
{
    (void) self, (void) lease_ms, (void) held;
    leader->term = 1;
    snprintf (leader->name, sizeof leader->name, "%s", name);
    snprintf (leader->endpoint, sizeof leader->endpoint, "%s", endpoint);
    return 1;
}

static void
s_sqlite_resign (store_backend_t *self)
{
    (void) self;
}

static int
s_begin (store_backend_t *self)
{
    if (self->in_transaction)
        return 0;
    if (s_exec (self, "BEGIN"))
        return -1;
    self->in_transaction = true;
    return 0;
}

static int
s_sqlite_commit (store_backend_t *self)
{
    if (!self->in_transaction)
        return 0;
    self->in_transaction = false;
    if (s_exec (self, "COMMIT")) {
        s_exec (self, "ROLLBACK");
        return -1;
    }
    return 0;
}

static void
s_sqlite_rollback (store_backend_t *self)
{
    if (!self->in_transaction)
        return;
    self->in_transaction = false;
    s_exec (self, "ROLLBACK");
}

/* Resets a statement whose last step gave rc (its bindings cleared);
   0 if it ran to its end, else -1 after logging why. */
static int
s_rows_done (store_backend_t *self, sqlite3_stmt *s, int rc)
{
    sqlite3_reset (s);
    sqlite3_clear_bindings (s);
    if (rc != SQLITE_DONE) {
        ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int
s_run (store_backend_t *self, sqlite3_stmt *stmt)
{
    return s_rows_done (self, stmt, sqlite3_step (stmt));
}

/* What a write appends to the task's history. */
static const char *
s_history (const task_t *task)
{
    return task->history ? task->history : "";
}

static int
s_sqlite_insert (store_backend_t *self, const task_t *task, const char *key)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[INSERT];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) task->id);
    sqlite3_bind_text (s, 2, task->type->name, -1, SQLITE_STATIC);
    sqlite3_bind_int (s, 3, task->priority);
    sqlite3_bind_int64 (s, 4, task->max_attempts);
    sqlite3_bind_int64 (s, 5, task->timeout_ms);
    if (key && *key)
        sqlite3_bind_text (s, 6, key, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 6);
    sqlite3_bind_blob (s, 7, task->payload_size ? (const void *) task->payload : "", (int) task->payload_size,
                       SQLITE_STATIC);
    sqlite3_bind_int64 (s, 8, task->created_ms);
    sqlite3_bind_text (s, 9, s_history (task), -1, SQLITE_STATIC);
    sqlite3_bind_int (s, 10, task->state == ZTASK_STATE_SCHEDULED || task->state == ZTASK_STATE_BLOCKED
                                 ? task->state : ZTASK_STATE_QUEUED);
    if (task->due_ms)
        sqlite3_bind_int64 (s, 11, task->due_ms);
    else
        sqlite3_bind_null (s, 11);
    store_needs_t needs;
    char require[STORE_REQUIRE_SIZE];
    store_needs_of (task, &needs, require);
    const char *texts[] = { needs.require, needs.version, needs.needs, needs.limit };
    for (int i = 0; i < 4; i++)
        if (texts[i])
            sqlite3_bind_text (s, 12 + i, texts[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_null (s, 12 + i);
    sqlite3_bind_int64 (s, 16, task->retry_min_ms);
    sqlite3_bind_int64 (s, 17, task->retry_max_ms);
    char parents_buffer[STORE_PARENTS_SIZE];
    const char *parents = store_parents_text (task, parents_buffer);
    if (parents)
        sqlite3_bind_text (s, 18, parents, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 18);
    uint64_t batch_id = store_batch_of (task);
    if (batch_id)
        sqlite3_bind_int64 (s, 19, (sqlite3_int64) batch_id);
    else
        sqlite3_bind_null (s, 19);
    return s_run (self, s);
}

/* The id a bound statement selects, 0 if none, or STORE_KEY_FAILED; the
   statement is reset. */
static uint64_t
s_id_of (store_backend_t *self, sqlite3_stmt *s)
{
    uint64_t id = 0;
    int rc = sqlite3_step (s);
    if (rc == SQLITE_ROW)
        id = (uint64_t) sqlite3_column_int64 (s, 0);
    else if (rc != SQLITE_DONE) {
        ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        id = STORE_KEY_FAILED;
    }
    sqlite3_reset (s);
    sqlite3_clear_bindings (s);
    return id;
}

static uint64_t
s_sqlite_find_key (store_backend_t *self, const char *key)
{
    sqlite3_stmt *s = self->stmt[FIND_KEY];
    sqlite3_bind_text (s, 1, key, -1, SQLITE_STATIC);
    return s_id_of (self, s);
}

static int
s_sqlite_started (store_backend_t *self, const task_t *task, const char *worker)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[STARTED];
    sqlite3_bind_int64 (s, 1, task->attempts);
    sqlite3_bind_text (s, 2, worker, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 3, task->started_ms);
    sqlite3_bind_text (s, 4, s_history (task), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 5, (sqlite3_int64) task->id);
    return s_run (self, s);
}

static int
s_sqlite_requeued (store_backend_t *self, const task_t *task)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[REQUEUED];
    sqlite3_bind_int64 (s, 1, task->attempts);
    sqlite3_bind_text (s, 2, s_history (task), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 3, (sqlite3_int64) task->id);
    if (task->next_attempt_ms)
        sqlite3_bind_int64 (s, 4, task->next_attempt_ms);
    else
        sqlite3_bind_null (s, 4);
    /* a released child with a due time ahead is scheduled */
    sqlite3_bind_int (s, 5, task->state == ZTASK_STATE_SCHEDULED ? ZTASK_STATE_SCHEDULED : ZTASK_STATE_QUEUED);
    return s_run (self, s);
}

static int
s_sqlite_finished (store_backend_t *self, const task_t *task, int state, const char *error,
                const void *result, size_t result_size, int64_t finished_ms)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[FINISHED];
    sqlite3_bind_int (s, 1, state);
    sqlite3_bind_int64 (s, 2, task->attempts);
    if (error && *error)
        sqlite3_bind_text (s, 3, error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 3);
    if (result)
        sqlite3_bind_blob (s, 4, result_size ? result : "", (int) result_size, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 4);
    sqlite3_bind_int64 (s, 5, finished_ms);
    sqlite3_bind_text (s, 6, s_history (task), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 7, (sqlite3_int64) task->id);
    return s_run (self, s);
}

static const char *
s_column_text (sqlite3_stmt *s, int column)
{
    const unsigned char *text = sqlite3_column_text (s, column);
    return text ? (const char *) text : "";
}

/* The columns of GET, LIST and RECOVER, in this order, into row. */
static void
s_row (sqlite3_stmt *s, store_row_t *row)
{
    memset (row, 0, sizeof *row);
    row->id = (uint64_t) sqlite3_column_int64 (s, 0);
    row->type = s_column_text (s, 1);
    row->priority = (uint8_t) sqlite3_column_int (s, 2);
    row->state = (uint8_t) sqlite3_column_int (s, 3);
    row->attempts = (uint32_t) sqlite3_column_int64 (s, 4);
    row->max_attempts = (uint32_t) sqlite3_column_int64 (s, 5);
    row->timeout_ms = (uint32_t) sqlite3_column_int64 (s, 6);
    row->worker = s_column_text (s, 7);
    row->error = s_column_text (s, 8);
    row->created_ms = sqlite3_column_int64 (s, 9);
    row->started_ms = sqlite3_column_int64 (s, 10);
    row->finished_ms = sqlite3_column_int64 (s, 11);
    row->due_ms = sqlite3_column_int64 (s, 12);
    row->require = s_column_text (s, 13);
    row->version = s_column_text (s, 14);
    row->needs = s_column_text (s, 15);
    row->limit = s_column_text (s, 16);
    row->retry_min_ms = (uint32_t) sqlite3_column_int64 (s, 17);
    row->retry_max_ms = (uint32_t) sqlite3_column_int64 (s, 18);
    row->next_attempt_ms = sqlite3_column_int64 (s, 19);
    row->parents = s_column_text (s, 20);
    row->batch_id = (uint64_t) sqlite3_column_int64 (s, 21);
    if (row->state == ZTASK_STATE_SCHEDULED && row->due_ms <= zclock_time ())
        row->state = ZTASK_STATE_QUEUED; /* due: see store.h */
}

/* The column after the row's, a blob, as bytes and size ("" for NULL). */
static const void *
s_blob (sqlite3_stmt *s, size_t *size)
{
    const void *blob = sqlite3_column_blob (s, ROW_COLUMN_COUNT);
    *size = blob ? (size_t) sqlite3_column_bytes (s, ROW_COLUMN_COUNT) : 0;
    return blob ? blob : "";
}

static int
s_sqlite_get (store_backend_t *self, uint64_t id, bool with_result, store_row_t *row)
{
    sqlite3_stmt *s = self->stmt[GET];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) id);
    int rc = sqlite3_step (s);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        sqlite3_reset (s);
        return rc == SQLITE_DONE ? -1 : STORE_FAILED;
    }
    s_row (s, row);
    if (with_result)
        row->result = s_blob (s, &row->result_size);
    row->history = s_column_text (s, ROW_COLUMN_COUNT + 1);
    /* A copy, so the statement is reset at once: a statement left on its
       row would hold a read snapshot open and keep the WAL from being
       checkpointed. */
    store_row_copy (row, &self->row_data, &self->row_max);
    sqlite3_reset (s);
    sqlite3_clear_bindings (s);
    return 0;
}

static int
s_sqlite_recover (store_backend_t *self, store_row_fn *fn, void *arg)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT " ROW_COLUMNS ", payload FROM tasks INDEXED BY tasks_active"
                                      " WHERE state IN (0, 1, 5, 6) ORDER BY id",
                            -1, &s, NULL) != SQLITE_OK) {
        ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        store_row_t row;
        s_row (s, &row);
        row.payload = s_blob (s, &row.payload_size);
        fn (&row, arg);
    }
    sqlite3_finalize (s);
    if (rc != SQLITE_DONE) {
        ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        return -1;
    }
    /* "state IN (0, 1, 5, 6)" lets SQLite use tasks_active rather than scan the table. */
    if (sqlite3_prepare_v2 (self->db, "UPDATE tasks SET state = 0, history = history || ? || attempts || ?"
                                      " || coalesce (worker, '') || ? WHERE state IN (0, 1, 5, 6) AND state = 1",
                            -1, &s, NULL) != SQLITE_OK) {
        ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        return -1;
    }
    char at[64];
    snprintf (at, sizeof at, "%" PRId64 "\trequeued\t", zclock_time ());
    sqlite3_bind_text (s, 1, at, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, "\t", -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 3, "\t" STORE_RECOVERED_WHY "\n", -1, SQLITE_STATIC);
    rc = s_begin (self) == 0 ? s_run (self, s) : -1;
    sqlite3_finalize (s);
    return rc;
}

/* Runs a prepared read, calling fn for each row (s_row's columns). */
static int
s_rows (store_backend_t *self, sqlite3_stmt *s, store_row_fn *fn, void *arg)
{
    int rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        store_row_t row;
        s_row (s, &row);
        if (sqlite3_column_count (s) > ROW_COLUMN_COUNT)
            row.payload = s_blob (s, &row.payload_size);
        fn (&row, arg);
    }
    return s_rows_done (self, s, rc);
}

static int
s_sqlite_select (store_backend_t *self, const store_filter_t *filter, store_row_fn *fn, void *arg)
{
    sqlite3_stmt *s = self->stmt[filter->oldest_first ? SELECT_OLD : SELECT_NEW];
    sqlite3_bind_int64 (s, 1, filter->states);
    if (filter->type && *filter->type)
        sqlite3_bind_text (s, 2, filter->type, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 2);
    sqlite3_bind_int64 (s, 3, (sqlite3_int64) filter->before_id);
    sqlite3_bind_int64 (s, 4, filter->finished_from);
    sqlite3_bind_int64 (s, 5, filter->limit);
    sqlite3_bind_int64 (s, 6, zclock_time ());
    return s_rows (self, s, fn, arg);
}

static int
s_sqlite_retry (store_backend_t *self, const task_t *task, store_row_fn *fn, void *arg)
{
    if (s_begin (self))
        return STORE_FAILED;
    sqlite3_stmt *s = self->stmt[RETRY];
    sqlite3_bind_text (s, 1, s_history (task), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) task->id);
    if (s_run (self, s) != 0)
        return STORE_FAILED;
    if (sqlite3_changes (self->db) != 1)
        return -1;
    s = self->stmt[RETRIED];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) task->id);
    return s_rows (self, s, fn, arg) == 0 ? 0 : STORE_FAILED;
}

static int
s_sqlite_purge_tasks (store_backend_t *self, unsigned states, const char *type, int64_t finished_before,
                      int limit)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[PURGE_TASKS];
    sqlite3_bind_int64 (s, 1, states);
    if (type)
        sqlite3_bind_text (s, 2, type, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 2);
    sqlite3_bind_int64 (s, 3, finished_before);
    sqlite3_bind_int (s, 4, limit);
    if (s_run (self, s) != 0)
        return -1;
    return sqlite3_changes (self->db);
}

static int
s_sqlite_pause (store_backend_t *self, const char *type, bool paused)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[paused ? PAUSE : RESUME];
    sqlite3_bind_text (s, 1, type, -1, SQLITE_STATIC);
    return s_run (self, s);
}

static int
s_sqlite_paused (store_backend_t *self, store_type_fn *fn, void *arg)
{
    sqlite3_stmt *s = self->stmt[PAUSED];
    int rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW)
        fn (s_column_text (s, 0), arg);
    return s_rows_done (self, s, rc);
}

static int
s_sqlite_schedule_put (store_backend_t *self, const store_schedule_t *schedule)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[SCHEDULE_PUT];
    sqlite3_bind_text (s, 1, schedule->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, schedule->cron, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 3, schedule->tz ? schedule->tz : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 4, schedule->type, -1, SQLITE_STATIC);
    sqlite3_bind_int (s, 5, schedule->priority);
    sqlite3_bind_blob (s, 6, schedule->payload_size ? schedule->payload : "", (int) schedule->payload_size,
                       SQLITE_STATIC);
    sqlite3_bind_int64 (s, 7, schedule->max_attempts);
    sqlite3_bind_int64 (s, 8, schedule->timeout_ms);
    sqlite3_bind_text (s, 9, schedule->catchup == STORE_CATCHUP_ONCE ? "once" : "skip", -1, SQLITE_STATIC);
    sqlite3_bind_int (s, 10, schedule->paused);
    sqlite3_bind_text (s, 11, schedule->source == STORE_SOURCE_CONFIG ? "config" : "cli", -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 12, schedule->created_ms);
    if (schedule->last_fire_ms)
        sqlite3_bind_int64 (s, 13, schedule->last_fire_ms);
    else
        sqlite3_bind_null (s, 13);
    return s_run (self, s);
}

static int
s_sqlite_schedule_remove (store_backend_t *self, const char *name)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[SCHEDULE_REMOVE];
    sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
    return s_run (self, s);
}

static int
s_sqlite_schedules (store_backend_t *self, store_schedule_fn *fn, void *arg)
{
    sqlite3_stmt *s = self->stmt[SCHEDULES];
    int rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        /* The blob first, then its size (sqlite3_column_bytes' advice). */
        const void *payload = sqlite3_column_blob (s, 5);
        size_t payload_size = (size_t) sqlite3_column_bytes (s, 5);
        store_schedule_t schedule = {
            .name = s_column_text (s, 0),
            .cron = s_column_text (s, 1),
            .tz = s_column_text (s, 2),
            .type = s_column_text (s, 3),
            .priority = (uint8_t) sqlite3_column_int (s, 4),
            .payload = payload,
            .payload_size = payload_size,
            .max_attempts = (uint32_t) sqlite3_column_int64 (s, 6),
            .timeout_ms = (uint32_t) sqlite3_column_int64 (s, 7),
            .catchup = streq (s_column_text (s, 8), "once") ? STORE_CATCHUP_ONCE : STORE_CATCHUP_SKIP,
            .paused = sqlite3_column_int (s, 9) != 0,
            .source = streq (s_column_text (s, 10), "config") ? STORE_SOURCE_CONFIG : STORE_SOURCE_CLI,
            .created_ms = sqlite3_column_int64 (s, 11),
            .last_fire_ms = sqlite3_column_int64 (s, 12),
        };
        fn (&schedule, arg);
    }
    return s_rows_done (self, s, rc);
}

static int
s_sqlite_batch_insert (store_backend_t *self, const store_batch_t *batch)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[BATCH_INSERT];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) batch->id);
    sqlite3_bind_int64 (s, 2, batch->size);
    if (batch->then_id)
        sqlite3_bind_int64 (s, 3, (sqlite3_int64) batch->then_id);
    else
        sqlite3_bind_null (s, 3);
    sqlite3_bind_int64 (s, 4, batch->created_ms);
    if (batch->key && *batch->key)
        sqlite3_bind_text (s, 5, batch->key, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 5);
    return s_run (self, s);
}

static uint64_t
s_sqlite_batch_find_key (store_backend_t *self, const char *key)
{
    sqlite3_stmt *s = self->stmt[BATCH_FIND_KEY];
    sqlite3_bind_text (s, 1, key, -1, SQLITE_STATIC);
    return s_id_of (self, s);
}

/* A batches row (id, size, then_id, created_ms, idem_key) into batch;
   the key points into the statement's row. */
static void
s_batch_row (sqlite3_stmt *s, store_batch_t *batch)
{
    memset (batch, 0, sizeof *batch);
    batch->id = (uint64_t) sqlite3_column_int64 (s, 0);
    batch->size = (uint32_t) sqlite3_column_int64 (s, 1);
    batch->then_id = (uint64_t) sqlite3_column_int64 (s, 2);
    batch->created_ms = sqlite3_column_int64 (s, 3);
    batch->key = s_column_text (s, 4);
}

static int
s_sqlite_batch_get (store_backend_t *self, uint64_t id, store_batch_t *batch)
{
    sqlite3_stmt *s = self->stmt[BATCH_GET];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) id);
    int rc = sqlite3_step (s);
    if (rc == SQLITE_ROW) {
        s_batch_row (s, batch);
        batch->key = ""; /* not kept past the reset */
    }
    sqlite3_reset (s);
    sqlite3_clear_bindings (s);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            ztask_log_error ("store: %s: %s", self->path, sqlite3_errmsg (self->db));
        return rc == SQLITE_DONE ? -1 : STORE_FAILED;
    }
    s = self->stmt[BATCH_COUNTS];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (s, 2, zclock_time ());
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        int state = sqlite3_column_int (s, 0);
        if (state >= 0 && state < 7)
            batch->counts[state] = (uint32_t) sqlite3_column_int64 (s, 1);
    }
    return s_rows_done (self, s, rc) != 0 ? STORE_FAILED : 0;
}

static int
s_sqlite_batch_tasks (store_backend_t *self, uint64_t id, store_row_fn *fn, void *arg)
{
    sqlite3_stmt *s = self->stmt[BATCH_TASKS];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (s, 2, zclock_time ());
    int rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        store_row_t row = { .id = (uint64_t) sqlite3_column_int64 (s, 0),
                            .state = (uint8_t) sqlite3_column_int (s, 1),
                            .error = s_column_text (s, 2),
                            .batch_id = id };
        fn (&row, arg);
    }
    return s_rows_done (self, s, rc);
}

static int
s_sqlite_batches_waiting (store_backend_t *self, store_batch_fn *fn, void *arg)
{
    sqlite3_stmt *s = self->stmt[BATCHES_WAITING];
    int rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        store_batch_t batch;
        s_batch_row (s, &batch);
        fn (&batch, arg);
    }
    return s_rows_done (self, s, rc);
}

static int
s_sqlite_set_payload (store_backend_t *self, const task_t *task)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[SET_PAYLOAD];
    sqlite3_bind_blob (s, 1, task->payload_size ? (const void *) task->payload : "", (int) task->payload_size,
                       SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) task->id);
    return s_run (self, s);
}

static int
s_sqlite_purge (store_backend_t *self, int64_t finished_before, int batch)
{
    if (s_begin (self))
        return -1;
    sqlite3_stmt *s = self->stmt[PURGE];
    sqlite3_bind_int64 (s, 1, finished_before);
    sqlite3_bind_int (s, 2, batch);
    if (s_run (self, s) != 0)
        return -1;
    int purged = sqlite3_changes (self->db);
    s = self->stmt[PURGE_BATCHES];
    sqlite3_bind_int64 (s, 1, finished_before);
    sqlite3_bind_int (s, 2, batch);
    return s_run (self, s) != 0 ? -1 : purged;
}

static uint64_t
s_sqlite_batch_of_then (store_backend_t *self, uint64_t task_id)
{
    sqlite3_stmt *s = self->stmt[BATCH_OF_THEN];
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) task_id);
    return s_id_of (self, s);
}

const store_backend_ops_t store_sqlite = {
    .name = "SQLite",
    .open = s_sqlite_open,
    .close = s_sqlite_close,
    .max_id = s_sqlite_max_id,
    .lead = s_sqlite_lead,
    .resign = s_sqlite_resign,
    .commit = s_sqlite_commit,
    .insert = s_sqlite_insert,
    .find_key = s_sqlite_find_key,
    .started = s_sqlite_started,
    .requeued = s_sqlite_requeued,
    .finished = s_sqlite_finished,
    .get = s_sqlite_get,
    .recover = s_sqlite_recover,
    .purge = s_sqlite_purge,
    .select = s_sqlite_select,
    .retry = s_sqlite_retry,
    .purge_tasks = s_sqlite_purge_tasks,
    .pause = s_sqlite_pause,
    .paused = s_sqlite_paused,
    .schedule_put = s_sqlite_schedule_put,
    .schedule_remove = s_sqlite_schedule_remove,
    .schedules = s_sqlite_schedules,
    .rollback = s_sqlite_rollback,
    .batch_insert = s_sqlite_batch_insert,
    .batch_find_key = s_sqlite_batch_find_key,
    .batch_get = s_sqlite_batch_get,
    .batch_tasks = s_sqlite_batch_tasks,
    .batches_waiting = s_sqlite_batches_waiting,
    .set_payload = s_sqlite_set_payload,
    .batch_of_then = s_sqlite_batch_of_then,
};
