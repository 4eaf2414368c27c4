/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store_postgres - the store in a PostgreSQL database (libpq), for a
    broker whose machine must be replaceable. See store.h for what each
    function promises, and docs/high-availability.md.

    Group commit without a round trip per task: the connection runs in
    libpq's pipeline mode. The writes of a round (BEGIN, then the INSERTs
    and UPDATEs) are queued on the connection and the server works
    through them as they arrive; store_commit sends COMMIT and a sync
    point and reads every result back in one go. A read (a key, a
    finished task's status) waits for the results queued before it: it
    sees the round's uncommitted writes, as with SQLite.

    New tasks are not sent one INSERT each: they wait in the batch (rows
    in memory, in id order) and go as one INSERT ... SELECT FROM unnest
    of one array per column (binary arrays: one Bind message, one
    statement for the server to run) when the batch is full (256 rows:
    the server inserts them while the broker reads the rest of the
    round), before any read or any statement that is not about one task
    of an earlier batch (or a batch's row, in a table of its own), and at
    the commit, in the round's transaction and before the fence. A start,
    requeue, end or new payload of a task still in the batch changes its
    row there: a task submitted and dispatched in the same round is one
    INSERT, no UPDATE. The UPDATEs of older tasks are sent one by one as
    they happen.

    Recovery reads the unfinished tasks RECOVER_BATCH rows at a time (by
    id, from where the last batch ended), so that a million queued tasks
    never sit in one result in memory; the server reads the next batch
    while the broker takes in the last.

    Tables are named ztask_* so that the database may hold others; the
    schema's version is in ztask_meta. Values travel in binary where they
    are bytes (payload, result) or read back (every result column).
*/
#include "store_backend.h"
#include "common/ztask_log.h"
#include "pg_conn.h"
#include "pg_lease.h"
#include "scheduler.h" /* task_type_t: a task's type name */
#include "ztask/client.h"

#include <endian.h>

/* The schema this ztaskd reads and writes (s_schema_ready brings older
   ones up to it, one s_schema_vN step after the other). */
#define SCHEMA_VERSION 9
#define SCHEMA_LOCK "7236541926581302" /* pg_advisory_xact_lock key: "ztask schema" */

/* What a store_row_t holds, in the order s_row reads it; the columns a
   statement selects after them start at ROW_COLUMN_COUNT. */
#define ROW_COLUMNS                                                                                \
    "id, type, priority, state, attempts, max_attempts, timeout_ms, worker, error, created_ms,"   \
    " started_ms, finished_ms, due_ms, requirements, version_constraint, needs, limit_name,"       \
    " retry_min_ms, retry_max_ms, next_attempt_ms, parents, batch_id"
#define ROW_COLUMN_COUNT 22

static const char *s_schema =
    "CREATE TABLE ztask_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE ztask_tasks ("
    "  id BIGINT PRIMARY KEY,"
    "  type TEXT NOT NULL,"
    "  priority SMALLINT NOT NULL,"
    "  state SMALLINT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL,"
    "  timeout_ms BIGINT NOT NULL DEFAULT 0,"
    "  idem_key TEXT,"
    "  payload BYTEA NOT NULL,"
    "  result BYTEA,"
    "  error TEXT,"
    "  worker TEXT,"
    "  created_ms BIGINT NOT NULL,"
    "  started_ms BIGINT,"
    "  finished_ms BIGINT);"
    "CREATE UNIQUE INDEX ztask_tasks_key ON ztask_tasks (idem_key) WHERE idem_key IS NOT NULL;"
    "CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state < 2;"
    "CREATE INDEX ztask_tasks_finished ON ztask_tasks (finished_ms) WHERE state >= 2;";

/* The leader election (docs/high-availability.md). Also in version 4,
   which replaces the one a version 2 or 3 store may hold from before it
   stopped waiting on the row a frozen leader holds. */
#define LEAD_FUNCTION \
    "CREATE OR REPLACE FUNCTION ztask_lead (p TEXT, me TEXT, ep TEXT, lease_ms INTEGER, held BIGINT)" \
    " RETURNS TABLE (is_leader BOOLEAN, lterm BIGINT, lholder TEXT, lendpoint TEXT) LANGUAGE plpgsql AS $$" \
    " DECLARE r ztask_leader%ROWTYPE;" \
    " BEGIN" \
    "  PERFORM set_config ('lock_timeout', '2000', true);" \
    "  IF NOT EXISTS (SELECT 1 FROM ztask_leader WHERE pool = p) THEN" \
    "   INSERT INTO ztask_leader VALUES (p, 0, '', '', 0, '-infinity') ON CONFLICT (pool) DO NOTHING;" \
    "  END IF;" \
    "  SELECT * INTO r FROM ztask_leader WHERE pool = p;" \
    "  IF (held = 0 OR r.term <> held) AND r.expires > clock_timestamp ()" \
    "     AND NOT (r.holder = me AND r.endpoint = ep AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a" \
    "      WHERE a.pid = r.backend AND a.application_name = 'ztaskd')) THEN" \
    "   RETURN QUERY SELECT false, r.term, r.holder, r.endpoint; RETURN;" \
    "  END IF;" \
    "  IF (held = 0 OR r.term <> held) AND r.backend <> 0 AND r.backend <> pg_backend_pid () THEN" \
    "   PERFORM pg_terminate_backend (a.pid) FROM pg_stat_activity a" \
    "    WHERE a.pid = r.backend AND a.application_name = 'ztaskd';" \
    "  END IF;" \
    "  UPDATE ztask_leader SET term = CASE WHEN held > 0 AND term = held THEN term ELSE term + 1 END," \
    "   holder = me, endpoint = ep, backend = pg_backend_pid ()," \
    "   expires = clock_timestamp () + lease_ms * INTERVAL '1 millisecond'" \
    "   WHERE pool = p AND ((held > 0 AND term = held) OR expires <= clock_timestamp ()" \
    "    OR (holder = me AND endpoint = ep AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a" \
    "     WHERE a.pid = backend AND a.application_name = 'ztaskd')))" \
    "   RETURNING * INTO r;" \
    "  IF FOUND THEN RETURN QUERY SELECT true, r.term, r.holder, r.endpoint; RETURN; END IF;" \
    "  SELECT * INTO r FROM ztask_leader WHERE pool = p;" \
    "  RETURN QUERY SELECT false, r.term, r.holder, r.endpoint;" \
    " END $$;"

/* Version 2: leadership among the brokers sharing the store
   (docs/high-availability.md). One row per pool of brokers ("default"
   today; a partition of the fleet tomorrow): the term counts the leaders
   so far, expires is the leader's lease on the server's clock (no broker's
   clock is trusted), backend its main session, which a broker taking over
   an expired lease terminates so that nothing it left open can commit.

   ztask_lead takes the lease if it is free or expired (a new term), or
   renews it for the term held; a broker restarted in place (the lease's
   own name and endpoint) takes it at once when the session that held it
   is gone (the old process died: nothing of it can commit); it returns whether the caller leads, and
   who does. ztask_fence ends every transaction of a leader: it fails
   (SQLSTATE ZT001) unless the term still leads, and holds the row until
   the commit, so a takeover waits for that commit or makes it fail.
   Nothing in ztask_lead waits for a row lock before the old leader's
   session is terminated: a leader frozen between its renewal (an UPDATE
   of the row) and its COMMIT holds the row, and an INSERT ... ON CONFLICT
   on it would wait for that transaction (lock_timeout, again and again);
   the plain reads see the last committed lease, and the terminate ends
   the frozen transaction, so the UPDATE after it goes through.
   ztask_renew is the lease keeper's renewal. */
static const char *s_schema_v2 =
    "CREATE TABLE ztask_leader ("
    "  pool TEXT PRIMARY KEY,"
    "  term BIGINT NOT NULL,"
    "  holder TEXT NOT NULL,"
    "  endpoint TEXT NOT NULL,"
    "  backend INTEGER NOT NULL,"
    "  expires TIMESTAMPTZ NOT NULL);"
    LEAD_FUNCTION
    "CREATE FUNCTION ztask_fence (p TEXT, t BIGINT) RETURNS VOID LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  PERFORM 1 FROM ztask_leader WHERE pool = p AND term = t FOR SHARE;"
    "  IF NOT FOUND THEN"
    "   RAISE EXCEPTION 'term % no longer leads: another broker took over', t USING ERRCODE = 'ZT001';"
    "  END IF;"
    " END $$;"
    "CREATE FUNCTION ztask_renew (p TEXT, t BIGINT, lease_ms INTEGER) RETURNS BOOLEAN LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  UPDATE ztask_leader SET expires = clock_timestamp () + lease_ms * INTERVAL '1 millisecond'"
    "   WHERE pool = p AND term = t;"
    "  RETURN FOUND;"
    " END $$;"
    "UPDATE ztask_meta SET value = '2' WHERE key = 'schema_version';";

/* Version 3: each task's history (history.h) in its row, appended by the
   statement that records the transition; the paused task types. */
static const char *s_schema_v3 =
    "ALTER TABLE ztask_tasks ADD COLUMN history TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE ztask_paused (type TEXT PRIMARY KEY);"
    "UPDATE ztask_meta SET value = '3' WHERE key = 'schema_version';";

/* Version 4: delayed tasks: their due time, and state 5 (scheduled),
   which is unfinished: the partial indexes hold the states they serve. */
static const char *s_schema_v4 =
    "ALTER TABLE ztask_tasks ADD COLUMN due_ms BIGINT;"
    "DROP INDEX ztask_tasks_active;"
    "DROP INDEX ztask_tasks_finished;"
    "CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state IN (0, 1, 5);"
    "CREATE INDEX ztask_tasks_finished ON ztask_tasks (finished_ms) WHERE state IN (2, 3, 4);"
    LEAD_FUNCTION
    "UPDATE ztask_meta SET value = '4' WHERE key = 'schema_version';";

/* Version 5: what a task asks of its worker (docs/routing.md): its
   requirements (canonical, joined with newlines), plugin version
   constraint, resource request and limit name; NULL when it asks none.
   (ztask_lead is as version 4 left it: a store at 2 or 3 gets it there.) */
static const char *s_schema_v5 =
    "ALTER TABLE ztask_tasks ADD COLUMN requirements TEXT, ADD COLUMN version_constraint TEXT,"
    "  ADD COLUMN needs TEXT, ADD COLUMN limit_name TEXT;"
    "UPDATE ztask_meta SET value = '5' WHERE key = 'schema_version';";

/* Version 6: recurring schedules (docs/scheduling.md), one row each,
   written when one is added, changed or fires (its last fire time). */
static const char *s_schema_v6 =
    "CREATE TABLE ztask_schedules ("
    "  name TEXT PRIMARY KEY,"
    "  cron TEXT NOT NULL,"
    "  tz TEXT NOT NULL DEFAULT '',"
    "  type TEXT NOT NULL,"
    "  priority SMALLINT NOT NULL,"
    "  payload BYTEA NOT NULL,"
    "  max_attempts INTEGER NOT NULL DEFAULT 0,"
    "  timeout_ms BIGINT NOT NULL DEFAULT 0,"
    "  catchup TEXT NOT NULL DEFAULT 'skip' CHECK (catchup IN ('skip', 'once')),"
    "  paused SMALLINT NOT NULL DEFAULT 0,"
    "  source TEXT NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'config')),"
    "  created_ms BIGINT NOT NULL,"
    "  last_fire_ms BIGINT);"
    "UPDATE ztask_meta SET value = '6' WHERE key = 'schema_version';";

/* Version 7: retry policies (docs/scheduling.md): a task's MIN..MAX and
   when a requeued task's next attempt is due (NULL: none; a row upgraded
   from before has the default policy). From version 6. */
static const char *s_schema_v7 =
    "ALTER TABLE ztask_tasks ADD COLUMN retry_min_ms INTEGER, ADD COLUMN retry_max_ms INTEGER,"
    "  ADD COLUMN next_attempt_ms BIGINT;"
    "UPDATE ztask_meta SET value = '7' WHERE key = 'schema_version';";

/* Version 8 (dependencies, docs/scheduling.md): a task's parents ("3,4",
   "any:3,4"; NULL: none), and state 6 (blocked), which is unfinished: the
   active index holds it too. From version 7. */
#define DEPS_SCHEMA_VERSION 8
static const char *s_schema_deps =
    "ALTER TABLE ztask_tasks ADD COLUMN parents TEXT;"
    "DROP INDEX ztask_tasks_active;"
    "CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state IN (0, 1, 5, 6);"
    "UPDATE ztask_meta SET value = '8' WHERE key = 'schema_version';";

/* Version 9 (batches, docs/scheduling.md): the batch a task belongs to
   (its first task's id; NULL: none), indexed where it has one; the
   batches, one row each, written in the round of their tasks: id is the
   first task's id, then_id the task that runs once every one ended, the
   idempotency key unique where there is one. From version 8. */
static const char *s_schema_batches =
    "ALTER TABLE ztask_tasks ADD COLUMN batch_id BIGINT;"
    "CREATE INDEX ztask_tasks_batch ON ztask_tasks (batch_id) WHERE batch_id IS NOT NULL;"
    "CREATE TABLE ztask_batches ("
    "  id BIGINT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  then_id BIGINT,"
    "  created_ms BIGINT NOT NULL,"
    "  idem_key TEXT);"
    "CREATE UNIQUE INDEX ztask_batches_key ON ztask_batches (idem_key) WHERE idem_key IS NOT NULL;"
    "CREATE INDEX ztask_batches_then ON ztask_batches (then_id) WHERE then_id IS NOT NULL;"
    "UPDATE ztask_meta SET value = '9' WHERE key = 'schema_version';";

enum {
    INSERT_BATCH, FIND_KEY, STARTED, REQUEUED, FINISHED, GET, SELECT_NEW, SELECT_OLD, RECOVER, RECOVERED,
    PURGE, MAX_ID, LEAD, FENCE, RESIGN, RETRY, PURGE_TASKS, PAUSE, RESUME, PAUSED,
    SCHEDULE_PUT, SCHEDULE_REMOVE, SCHEDULES, BATCH_INSERT, BATCH_FIND_KEY, BATCH_GET, BATCH_TASKS,
    BATCHES_WAITING, SET_PAYLOAD, BATCH_OF_THEN, PURGE_BATCHES, STATEMENTS
};

/* store_select's filter: $1 states (a bit per state; 0: any), $2 type
   (NULL: any), $3 below this id (0: none), $4 ended at or after (0: any),
   $5 limit; $6 now (wall ms): a scheduled task due by then is queued. */
#define SELECT_WHERE                                                                                \
    " WHERE ($1::int4 = 0 OR ((1 << (CASE WHEN state = 5 AND due_ms <= $6::int8 THEN 0 ELSE state END)::int4)" \
    " & $1::int4) <> 0) AND ($2::text IS NULL OR type = $2)"                                          \
    " AND ($3::int8 = 0 OR id < $3) AND ($4::int8 = 0 OR finished_ms >= $4)"

static const char *s_sql[STATEMENTS] = {
    /* The columns in the order of batch_column_t. */
    [INSERT_BATCH] = "INSERT INTO ztask_tasks (id, type, priority, state, attempts, max_attempts, timeout_ms,"
                     " idem_key, payload, result, error, worker, created_ms, started_ms, finished_ms, history,"
                     " due_ms, requirements, version_constraint, needs, limit_name, retry_min_ms, retry_max_ms,"
                     " next_attempt_ms, parents, batch_id)"
                     " SELECT * FROM unnest ($1::int8[], $2::text[], $3::int2[], $4::int2[], $5::int4[],"
                     " $6::int4[], $7::int8[], $8::text[], $9::bytea[], $10::bytea[], $11::text[], $12::text[],"
                     " $13::int8[], $14::int8[], $15::int8[], $16::text[], $17::int8[], $18::text[], $19::text[],"
                     " $20::text[], $21::text[], $22::int4[], $23::int4[], $24::int8[], $25::text[], $26::int8[])",
    [FIND_KEY] = "SELECT id FROM ztask_tasks WHERE idem_key = $1",
    [STARTED] = "UPDATE ztask_tasks SET state = 1, attempts = $1, worker = $2, started_ms = $3,"
                " history = history || $4, next_attempt_ms = NULL WHERE id = $5",
    [REQUEUED] = "UPDATE ztask_tasks SET state = $5, attempts = $1, history = history || $2,"
                 " next_attempt_ms = NULLIF ($4::int8, 0) WHERE id = $3",
    [FINISHED] = "UPDATE ztask_tasks SET state = $1, attempts = $2, error = $3, result = $4, finished_ms = $5,"
                 " history = history || $6 WHERE id = $7",
    [GET] = "SELECT " ROW_COLUMNS ", result, history FROM ztask_tasks WHERE id = $1",
    [SELECT_NEW] = "SELECT " ROW_COLUMNS " FROM ztask_tasks" SELECT_WHERE " ORDER BY id DESC LIMIT $5",
    [SELECT_OLD] = "SELECT " ROW_COLUMNS " FROM ztask_tasks" SELECT_WHERE " ORDER BY id LIMIT $5",
    [RECOVER] = "SELECT " ROW_COLUMNS ", payload FROM ztask_tasks WHERE state IN (0, 1, 5, 6) AND id > $1"
                " ORDER BY id LIMIT $2",
    [RECOVERED] = "UPDATE ztask_tasks SET state = 0,"
                  " history = history || $1 || attempts || $2 || coalesce (worker, '') || $3 WHERE state = 1",
    [PURGE] = "DELETE FROM ztask_tasks WHERE id IN (SELECT id FROM ztask_tasks WHERE state IN (2, 3, 4)"
              " AND finished_ms < $1 ORDER BY finished_ms LIMIT $2)",
    [MAX_ID] = "SELECT coalesce (max (id), 0) FROM ztask_tasks",
    [LEAD] = "SELECT is_leader, lterm, lholder, lendpoint FROM ztask_lead ($1, $2, $3, $4, $5)",
    [FENCE] = "SELECT ztask_fence ($1, $2)",
    [RESIGN] = "UPDATE ztask_leader SET expires = '-infinity' WHERE pool = $1 AND term = $2",
    [RETRY] = "UPDATE ztask_tasks SET state = 0, attempts = 0, error = NULL, result = NULL, worker = NULL,"
              " started_ms = NULL, finished_ms = NULL, due_ms = NULL, next_attempt_ms = NULL, history = history || $1"
              " WHERE id = $2 AND state IN (3, 4)"
              " RETURNING " ROW_COLUMNS ", payload",
    [PURGE_TASKS] = "DELETE FROM ztask_tasks WHERE id IN (SELECT id FROM ztask_tasks WHERE state IN (2, 3, 4)"
                    " AND ((1 << state::int4) & $1::int4) <> 0 AND ($2::text IS NULL OR type = $2)"
                    " AND finished_ms < $3 ORDER BY finished_ms LIMIT $4)",
    [PAUSE] = "INSERT INTO ztask_paused (type) VALUES ($1) ON CONFLICT DO NOTHING",
    [RESUME] = "DELETE FROM ztask_paused WHERE type = $1",
    [PAUSED] = "SELECT type FROM ztask_paused",
    [SCHEDULE_PUT] = "INSERT INTO ztask_schedules (name, cron, tz, type, priority, payload, max_attempts,"
                     " timeout_ms, catchup, paused, source, created_ms, last_fire_ms)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                     " ON CONFLICT (name) DO UPDATE SET cron = $2, tz = $3, type = $4, priority = $5,"
                     " payload = $6, max_attempts = $7, timeout_ms = $8, catchup = $9, paused = $10,"
                     " source = $11, created_ms = $12, last_fire_ms = $13",
    [SCHEDULE_REMOVE] = "DELETE FROM ztask_schedules WHERE name = $1",
    [SCHEDULES] = "SELECT name, cron, tz, type, priority, payload, max_attempts, timeout_ms, catchup, paused,"
                  " source, created_ms, last_fire_ms FROM ztask_schedules ORDER BY name",
    [BATCH_INSERT] = "INSERT INTO ztask_batches (id, size, then_id, created_ms, idem_key) VALUES ($1, $2, $3, $4, $5)",
    [BATCH_FIND_KEY] = "SELECT id FROM ztask_batches WHERE idem_key = $1",
    /* The batch's row once for each state its tasks are in (with how
       many), or once with a NULL state when the store holds none; $2 now
       (wall ms): a scheduled task due by then counts as queued. */
    [BATCH_GET] = "SELECT b.id, b.size, b.then_id, b.created_ms, b.idem_key, c.state, c.tasks FROM ztask_batches b"
                  " LEFT JOIN (SELECT CASE WHEN state = 5 AND due_ms <= $2::int8 THEN 0 ELSE state END AS state,"
                  " count(*) AS tasks FROM ztask_tasks WHERE batch_id = $1 GROUP BY 1) c ON true WHERE b.id = $1",
    [BATCH_TASKS] = "SELECT id, CASE WHEN state = 5 AND due_ms <= $2::int8 THEN 0 ELSE state END, error"
                    " FROM ztask_tasks WHERE batch_id = $1 ORDER BY id",
    [BATCHES_WAITING] = "SELECT b.id, b.size, b.then_id, b.created_ms, b.idem_key FROM ztask_batches b"
                        " JOIN ztask_tasks t ON t.id = b.then_id WHERE t.state = 6 ORDER BY b.id",
    [SET_PAYLOAD] = "UPDATE ztask_tasks SET payload = $1 WHERE id = $2",
    [BATCH_OF_THEN] = "SELECT id FROM ztask_batches WHERE then_id = $1",
    /* batches made before the cut-off whose tasks and then task are all gone */
    [PURGE_BATCHES] = "DELETE FROM ztask_batches WHERE id IN (SELECT b.id FROM ztask_batches b"
                      " WHERE b.created_ms < $1 AND NOT EXISTS (SELECT 1 FROM ztask_tasks t WHERE t.batch_id = b.id)"
                      " AND (b.then_id IS NULL OR NOT EXISTS (SELECT 1 FROM ztask_tasks t WHERE t.id = b.then_id)) LIMIT $2)",
};

static const char *s_statement_name[STATEMENTS] = {
    [INSERT_BATCH] = "ztask_insert", [FIND_KEY] = "ztask_find_key", [STARTED] = "ztask_started",
    [REQUEUED] = "ztask_requeued", [FINISHED] = "ztask_finished", [GET] = "ztask_get",
    [SELECT_NEW] = "ztask_select_new", [SELECT_OLD] = "ztask_select_old", [RECOVER] = "ztask_recover",
    [RECOVERED] = "ztask_recovered", [PURGE] = "ztask_purge",   [MAX_ID] = "ztask_max_id",
    [LEAD] = "ztask_lead",       [FENCE] = "ztask_fence",       [RESIGN] = "ztask_resign",
    [RETRY] = "ztask_retry",     [PURGE_TASKS] = "ztask_purge_tasks", [PAUSE] = "ztask_pause",
    [RESUME] = "ztask_resume",   [PAUSED] = "ztask_paused",
    [SCHEDULE_PUT] = "ztask_schedule_put", [SCHEDULE_REMOVE] = "ztask_schedule_remove",
    [SCHEDULES] = "ztask_schedules", [BATCH_INSERT] = "ztask_batch_insert",
    [BATCH_FIND_KEY] = "ztask_batch_find_key", [BATCH_GET] = "ztask_batch_get",
    [BATCH_TASKS] = "ztask_batch_tasks", [BATCHES_WAITING] = "ztask_batches_waiting",
    [SET_PAYLOAD] = "ztask_set_payload", [BATCH_OF_THEN] = "ztask_batch_of_then",
    [PURGE_BATCHES] = "ztask_purge_batches",
};

/* The columns of INSERT_BATCH, one array parameter each. */
typedef enum {
    COL_ID, COL_TYPE, COL_PRIORITY, COL_STATE, COL_ATTEMPTS, COL_MAX_ATTEMPTS, COL_TIMEOUT_MS, COL_KEY,
    COL_PAYLOAD, COL_RESULT, COL_ERROR, COL_WORKER, COL_CREATED_MS, COL_STARTED_MS, COL_FINISHED_MS, COL_HISTORY,
    COL_DUE_MS, COL_REQUIRE, COL_VERSION, COL_NEEDS, COL_LIMIT, COL_RETRY_MIN_MS, COL_RETRY_MAX_MS,
    COL_NEXT_ATTEMPT_MS, COL_PARENTS, COL_BATCH_ID, COLUMNS
} batch_column_t;

/* Their element types (pg_type oids: int8 20, int2 21, int4 23, text 25, bytea 17). */
static const uint32_t s_column_oid[COLUMNS] = { 20, 25, 21, 21, 23, 23, 20, 25, 17, 17, 25, 25, 20, 20, 20, 25, 20,
                                                25, 25, 25, 25, 23, 23, 20, 25, 20 };

#define BATCH_ROWS_MAX 256           /* new tasks sent in one INSERT at most     */
#define BATCH_BYTES_MAX (4 << 20)    /* ... and bytes of their strings, payloads */
#define RECOVER_BATCH 10000          /* rows of one recovery read                */

/* Bytes held in the batch's data; size < 0: SQL NULL. */
typedef struct {
    size_t offset;
    int64_t size;
} span_t;

/* A new task's row as the batch's INSERT will write it. */
typedef struct {
    uint64_t id;
    int64_t created_ms, started_ms, finished_ms, due_ms; /* due_ms 0: NULL */
    int64_t next_attempt_ms;     /* 0: NULL                                     */
    uint64_t batch_id;           /* the batch it belongs to; 0: NULL            */
    uint32_t attempts, max_attempts, timeout_ms, retry_min_ms, retry_max_ms;
    uint8_t priority, state;
    bool started, finished;      /* started_ms, finished_ms are set; else NULL */
    span_t type, key, payload, result, error, worker, history;
    span_t require, version, needs, limit; /* what it asks of its worker */
    span_t parents;              /* its parents (store_parents_text)         */
} batch_row_t;

/* Bytes that grow. */
typedef struct {
    byte *data;
    size_t size, max;
} buffer_t;

/* The pool of brokers that elect one leader (see s_schema_v2). */
#define POOL "default"
#define FENCED_SQLSTATE "ZT001"

struct store_backend {
    PGconn *conn;
    char *where;                 /* "database D on H:P", for log lines  */
    char *location;              /* for the lease keeper's connection   */
    bool in_transaction;         /* BEGIN sent, COMMIT not yet          */
    int pending;                 /* queries sent whose results are unread */
    bool failed;                 /* a query of this transaction failed  */
    bool fenced;                 /* ... because the term no longer leads */
    uint64_t term;               /* the term this broker leads; 0: none */
    pg_lease_t *lease;           /* renews the lease while leading      */
    byte *row_data;              /* store_get's strings and result      */
    size_t row_max;
    char *batch_key;             /* store_batch_get's key                */
    batch_row_t *batch;          /* new tasks not sent yet, by id       */
    size_t batch_rows, batch_max;
    buffer_t batch_data;         /* their strings and payloads          */
    buffer_t columns[COLUMNS];   /* the INSERT's arrays (reused)        */
};

static void s_resigned (store_backend_t *self);

/* ---- a query's parameters ---- */

#define PARAMS_MAX 16

typedef struct {
    int count;
    const char *values[PARAMS_MAX];
    int lengths[PARAMS_MAX];
    int formats[PARAMS_MAX];
    char numbers[PARAMS_MAX][24]; /* text of the integer parameters */
} params_t;

static void
s_param_int (params_t *p, int64_t value)
{
    snprintf (p->numbers[p->count], sizeof p->numbers[0], "%" PRId64, value);
    p->values[p->count] = p->numbers[p->count];
    p->lengths[p->count] = 0;
    p->formats[p->count++] = 0;
}

/* Text, or NULL for SQL NULL. */
static void
s_param_text (params_t *p, const char *value)
{
    p->values[p->count] = value;
    p->lengths[p->count] = 0;
    p->formats[p->count++] = 0;
}

static void
s_param_bytes (params_t *p, const void *data, size_t size)
{
    p->values[p->count] = data ? (const char *) data : "";
    p->lengths[p->count] = (int) size;
    p->formats[p->count++] = 1;
}

/* ---- bytes that grow ---- */

static byte *
s_buffer_grow (buffer_t *self, size_t size)
{
    if (self->size + size > self->max) {
        size_t max = self->max ? self->max : 4096;
        while (max < self->size + size)
            max *= 2;
        self->data = (byte *) realloc (self->data, max);
        assert (self->data);
        self->max = max;
    }
    byte *at = self->data + self->size;
    self->size += size;
    return at;
}

static void
s_buffer_put (buffer_t *self, const void *data, size_t size)
{
    if (size)
        memcpy (s_buffer_grow (self, size), data, size);
}

static void
s_buffer_be32 (buffer_t *self, uint32_t value)
{
    value = htobe32 (value);
    s_buffer_put (self, &value, 4);
}

/* ---- the pipeline ---- */

/* Logs a failed result once per transaction; marks the transaction failed. */
static void
s_failed (store_backend_t *self, const char *what)
{
    if (!self->failed) {
        int length = (int) strlen (what);
        while (length && (what[length - 1] == '\n' || what[length - 1] == ' '))
            length--; /* libpq ends its messages with a newline */
        ztask_log_error ("store: %s: %.*s", self->where, length, what);
    }
    self->failed = true;
}

/* Reads the results of the oldest n queries sent; keeps the last one's
   rows when keep (returned; else NULL). */
static PGresult *
s_consume (store_backend_t *self, int n, bool keep)
{
    PGresult *kept = NULL;
    for (int i = 0; i < n; i++) {
        PGresult *result = PQgetResult (self->conn);
        if (!result) {
            s_failed (self, PQstatus (self->conn) == CONNECTION_BAD ? "the connection is lost"
                                                                     : "a result is missing");
            self->pending = 0;
            return kept;
        }
        ExecStatusType status = PQresultStatus (result);
        if (status == PGRES_FATAL_ERROR) {
            const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);
            if (state && streq (state, FENCED_SQLSTATE))
                self->fenced = true;
            s_failed (self, PQresultErrorMessage (result));
        }
        else if (status == PGRES_PIPELINE_ABORTED)
            self->failed = true; /* an earlier query failed */
        if (keep && i == n - 1 && (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK))
            kept = result;
        else
            PQclear (result);
        PQgetResult (self->conn); /* NULL: the end of this query's results */
        self->pending--;
    }
    return kept;
}

static int
s_send (store_backend_t *self, int statement, const params_t *params)
{
    if (PQsendQueryPrepared (self->conn, s_statement_name[statement], params ? params->count : 0,
                             params ? params->values : NULL, params ? params->lengths : NULL,
                             params ? params->formats : NULL, 1)
        != 1) {
        s_failed (self, PQerrorMessage (self->conn));
        return -1;
    }
    self->pending++;
    return 0;
}

/* Opens the round's transaction if it is not open. */
static int
s_begin (store_backend_t *self)
{
    if (self->in_transaction)
        return self->failed ? -1 : 0;
    if (PQsendQueryParams (self->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1) {
        s_failed (self, PQerrorMessage (self->conn));
        return -1;
    }
    self->pending++;
    self->in_transaction = true;
    return 0;
}

static int s_batch_send (store_backend_t *self);

/* Queues a write in the round's transaction. Only the change of one task
   outside the batch (a task the batch does not hold) and a batch's row
   (ztask_batches: nothing in the batch reads or writes it) may overtake
   the batch: anything else sends the batch first. */
static int
s_write (store_backend_t *self, int statement, const params_t *params)
{
    if (s_begin (self) != 0)
        return -1;
    bool overtakes = statement == STARTED || statement == REQUEUED || statement == FINISHED
                  || statement == SET_PAYLOAD || statement == BATCH_INSERT;
    if (!overtakes && s_batch_send (self) != 0)
        return -1;
    return s_send (self, statement, params);
}

/* Sends a read (after the writes queued before it) and asks the server
   for its result now; returns its place in the pipeline (the results to
   read up to its own, s_consume), or -1. */
static int
s_ask (store_backend_t *self, int statement, const params_t *params)
{
    if (s_write (self, statement, params) != 0)
        return -1;
    if (PQsendFlushRequest (self->conn) != 1 || PQflush (self->conn) != 0) {
        s_failed (self, PQerrorMessage (self->conn));
        return -1;
    }
    return self->pending;
}

/* Runs a query in the round's transaction and waits for its result, and
   so for every write queued before it. NULL if it failed. */
static PGresult *
s_read (store_backend_t *self, int statement, const params_t *params)
{
    int place = s_ask (self, statement, params);
    return place < 0 ? NULL : s_consume (self, place, true);
}

/* Sends sql and a sync point, and reads every result up to that point. */
static void
s_sync (store_backend_t *self, const char *sql)
{
    if (PQsendQueryParams (self->conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1)
        self->pending++;
    else
        s_failed (self, PQerrorMessage (self->conn));
    if (PQpipelineSync (self->conn) != 1 || PQflush (self->conn) != 0)
        s_failed (self, PQerrorMessage (self->conn));
    s_consume (self, self->pending, false);
    PGresult *sync = PQgetResult (self->conn);
    if (!sync || PQresultStatus (sync) != PGRES_PIPELINE_SYNC)
        s_failed (self, "the sync point did not come back");
    PQclear (sync);
    self->pending = 0;
}

static int
s_postgres_commit (store_backend_t *self)
{
    if (!self->in_transaction)
        return 0;
    s_batch_send (self); /* a failure is the transaction's: seen below */
    if (self->term) {
        /* Last before COMMIT, so that it holds the leader's row only
           from here to the commit (the server runs both at once). */
        params_t p = { 0 };
        s_param_text (&p, POOL);
        s_param_int (&p, (int64_t) self->term);
        s_send (self, FENCE, &p);
    }
    self->in_transaction = false;
    s_sync (self, "COMMIT");
    bool failed = self->failed, fenced = self->fenced;
    /* After an error the server skipped the COMMIT: the transaction is
       still open, aborted, until it is rolled back. */
    if (failed && PQstatus (self->conn) == CONNECTION_OK)
        s_sync (self, "ROLLBACK");
    self->failed = self->fenced = false;
    if (fenced)
        s_resigned (self);
    return fenced ? STORE_FENCED : failed ? -1 : 0;
}

static void
s_postgres_rollback (store_backend_t *self)
{
    self->batch_rows = 0; /* rows never sent */
    self->batch_data.size = 0;
    if (!self->in_transaction)
        return;
    self->in_transaction = false;
    if (PQstatus (self->conn) == CONNECTION_OK)
        s_sync (self, "ROLLBACK");
    self->failed = self->fenced = false;
}

/* ---- reading rows ---- */

/* A binary integer column (int2, int4 or int8); 0 for NULL. */
static int64_t
s_int (const PGresult *result, int row, int column)
{
    if (PQgetisnull (result, row, column))
        return 0;
    const char *value = PQgetvalue (result, row, column);
    switch (PQgetlength (result, row, column)) {
    case 2: {
        uint16_t v;
        memcpy (&v, value, 2);
        return (int16_t) be16toh (v);
    }
    case 4: {
        uint32_t v;
        memcpy (&v, value, 4);
        return (int32_t) be32toh (v);
    }
    case 8: {
        uint64_t v;
        memcpy (&v, value, 8);
        return (int64_t) be64toh (v);
    }
    default: return 0;
    }
}

/* A text or bytea column: libpq ends every value with a NUL. */
static const char *
s_text (const PGresult *result, int row, int column)
{
    return PQgetisnull (result, row, column) ? "" : PQgetvalue (result, row, column);
}

static void
s_row (const PGresult *result, int i, store_row_t *row)
{
    memset (row, 0, sizeof *row);
    row->id = (uint64_t) s_int (result, i, 0);
    row->type = s_text (result, i, 1);
    row->priority = (uint8_t) s_int (result, i, 2);
    row->state = (uint8_t) s_int (result, i, 3);
    row->attempts = (uint32_t) s_int (result, i, 4);
    row->max_attempts = (uint32_t) s_int (result, i, 5);
    row->timeout_ms = (uint32_t) s_int (result, i, 6);
    row->worker = s_text (result, i, 7);
    row->error = s_text (result, i, 8);
    row->created_ms = s_int (result, i, 9);
    row->started_ms = s_int (result, i, 10);
    row->finished_ms = s_int (result, i, 11);
    row->due_ms = s_int (result, i, 12);
    row->require = s_text (result, i, 13);
    row->version = s_text (result, i, 14);
    row->needs = s_text (result, i, 15);
    row->limit = s_text (result, i, 16);
    row->retry_min_ms = (uint32_t) s_int (result, i, 17);
    row->retry_max_ms = (uint32_t) s_int (result, i, 18);
    row->next_attempt_ms = s_int (result, i, 19);
    row->parents = s_text (result, i, 20);
    row->batch_id = (uint64_t) s_int (result, i, 21);
    if (row->state == ZTASK_STATE_SCHEDULED && row->due_ms <= zclock_time ())
        row->state = ZTASK_STATE_QUEUED; /* due: see store.h */
}

/* The column after the row's, bytes ("" for NULL). */
static const void *
s_bytes (const PGresult *result, int i, size_t *size)
{
    *size = (size_t) PQgetlength (result, i, ROW_COLUMN_COUNT);
    return s_text (result, i, ROW_COLUMN_COUNT);
}

/* ---- opening ---- */

/* Runs SQL (no parameters, not in pipeline mode); NULL after logging. */
static PGresult *
s_exec (store_backend_t *self, const char *sql)
{
    PGresult *result = PQexec (self->conn, sql);
    ExecStatusType status = PQresultStatus (result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        ztask_log_error ("store: %s: %s", self->where, PQresultErrorMessage (result));
        PQclear (result);
        return NULL;
    }
    return result;
}

static int
s_exec_ok (store_backend_t *self, const char *sql)
{
    PGresult *result = s_exec (self, sql);
    PQclear (result);
    return result ? 0 : -1;
}

/* The value of a one-row, one-column query; NULL if no row or on error. */
static char *
s_scalar (store_backend_t *self, const char *sql)
{
    PGresult *result = s_exec (self, sql);
    char *value = result && PQntuples (result) == 1 && !PQgetisnull (result, 0, 0)
                    ? strdup (PQgetvalue (result, 0, 0))
                    : NULL;
    PQclear (result);
    return value;
}

/* One step of the upgrade: version 5 to 6 (recurring schedules), in the
   schema transaction. 0 or -1. */
static int
s_upgrade_to_6 (store_backend_t *self)
{
    return s_exec_ok (self, s_schema_v6);
}

/* Version 6 to 7 (s_schema_v7), in the caller's transaction. 0 or -1. */
static int
s_upgrade_to_7 (store_backend_t *self)
{
    return s_exec_ok (self, s_schema_v7);
}

/* The dependencies step: a schema at version 7 goes to DEPS_SCHEMA_VERSION
   (in the caller's transaction). Returns 0 or -1. */
static int
s_upgrade_step_deps (store_backend_t *self, int version)
{
    return version == 7 ? s_exec_ok (self, s_schema_deps) : 0;
}

/* Creates the schema, or checks the one there. */
static int
s_schema_ready (store_backend_t *self)
{
    if (s_exec_ok (self, "BEGIN") != 0)
        return -1;
    /* Two brokers starting at once create it once. */
    int rc = s_exec_ok (self, "SELECT pg_advisory_xact_lock (" SCHEMA_LOCK ")");
    char *meta = rc == 0 ? s_scalar (self, "SELECT to_regclass ('ztask_meta')::text") : NULL;
    char *tasks = rc == 0 ? s_scalar (self, "SELECT to_regclass ('ztask_tasks')::text") : NULL;
    if (rc == 0 && !meta && tasks) {
        ztask_log_error ("store: %s has a table ztask_tasks but no ztask_meta: it is not a ztask store", self->where);
        rc = -1;
    }
    else if (rc == 0 && !meta) {
        char *sql = zsys_sprintf ("%sINSERT INTO ztask_meta VALUES ('schema_version', '1');%s%s%s%s%s%s%s%s",
                                  s_schema, s_schema_v2, s_schema_v3, s_schema_v4, s_schema_v5, s_schema_v6,
                                  s_schema_v7, s_schema_deps, s_schema_batches);
        rc = s_exec_ok (self, sql);
        zstr_free (&sql);
        if (rc == 0)
            ztask_log_info ("store: created the ztask schema (version %d) in %s", SCHEMA_VERSION, self->where);
    }
    else if (rc == 0) {
        char *version = s_scalar (self, "SELECT value FROM ztask_meta WHERE key = 'schema_version'");
        int number = version ? atoi (version) : 0;
        if (number >= 1 && number < SCHEMA_VERSION) {
            rc = number == 1 ? s_exec_ok (self, s_schema_v2) : 0;
            if (rc == 0 && number <= 2)
                rc = s_exec_ok (self, s_schema_v3);
            if (rc == 0 && number <= 3)
                rc = s_exec_ok (self, s_schema_v4);
            if (rc == 0 && number <= 4)
                rc = s_exec_ok (self, s_schema_v5);
            if (rc == 0 && number <= 5)
                rc = s_upgrade_to_6 (self);
            if (rc == 0 && number <= 6)
                rc = s_upgrade_to_7 (self);
            if (rc == 0)
                rc = s_upgrade_step_deps (self, number <= 7 ? 7 : number);
            if (rc == 0 && number <= DEPS_SCHEMA_VERSION)
                rc = s_exec_ok (self, s_schema_batches);
            if (rc == 0)
                ztask_log_info ("store: upgraded the ztask schema in %s from version %d to %d", self->where, number,
                           SCHEMA_VERSION);
        }
        else if (number != SCHEMA_VERSION) {
            ztask_log_error ("store: %s has ztask schema version %s; this ztaskd reads version %d%s", self->where,
                        version ? version : "(none)", SCHEMA_VERSION,
                        number > SCHEMA_VERSION ? ": upgrade ztaskd" : "");
            rc = -1;
        }
        zstr_free (&version);
    }
    zstr_free (&meta);
    zstr_free (&tasks);
    if (s_exec_ok (self, rc == 0 ? "COMMIT" : "ROLLBACK") != 0)
        rc = -1;
    return rc;
}

static void s_postgres_close (store_backend_t **self_p);

static store_backend_t *
s_postgres_open (const char *location, const char *sync)
{
    /* What each ztask sync level asks of PostgreSQL (docs/configuration.md). */
    const char *commit = streq (sync, "full") ? "on" : streq (sync, "normal") ? "local"
                       : streq (sync, "off")  ? "off" : NULL;
    if (!commit) {
        ztask_log_error ("store: sync must be full, normal or off, not '%s'", sync);
        return NULL;
    }
    store_backend_t *self = (store_backend_t *) zmalloc (sizeof (store_backend_t));
    assert (self);
    char error[512];
    self->conn = pg_conn_open (location, error, sizeof error);
    if (!self->conn) {
        ztask_log_error ("store: cannot connect to PostgreSQL: %s", error);
        s_postgres_close (&self);
        return NULL;
    }
    self->where = zsys_sprintf ("database %s on %s:%s", PQdb (self->conn), PQhost (self->conn),
                                PQport (self->conn));
    char *encoding = s_scalar (self, "SHOW server_encoding");
    if (!encoding || !streq (encoding, "UTF8")) {
        ztask_log_error ("store: %s has encoding %s; ztask needs a UTF8 database", self->where,
                    encoding ? encoding : "(unknown)");
        zstr_free (&encoding);
        s_postgres_close (&self);
        return NULL;
    }
    zstr_free (&encoding);
    char *set = zsys_sprintf ("SET synchronous_commit = %s", commit);
    int rc = s_exec_ok (self, set);
    zstr_free (&set);
    if (rc != 0 || s_schema_ready (self) != 0) {
        s_postgres_close (&self);
        return NULL;
    }
    self->location = strdup (location);
    for (int i = 0; i < STATEMENTS; i++) {
        PGresult *result = PQprepare (self->conn, s_statement_name[i], s_sql[i], 0, NULL);
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            ztask_log_error ("store: %s: %s", self->where, PQresultErrorMessage (result));
            PQclear (result);
            s_postgres_close (&self);
            return NULL;
        }
        PQclear (result);
    }
    if (PQenterPipelineMode (self->conn) != 1) {
        ztask_log_error ("store: %s: %s", self->where, PQerrorMessage (self->conn));
        s_postgres_close (&self);
        return NULL;
    }
    ztask_log_info ("store: PostgreSQL %s, synchronous_commit = %s", self->where, commit);
    return self;
}

static void
s_postgres_close (store_backend_t **self_p)
{
    assert (self_p);
    store_backend_t *self = *self_p;
    if (self) {
        if (self->conn && PQstatus (self->conn) == CONNECTION_OK && PQpipelineStatus (self->conn) == PQ_PIPELINE_ON)
            s_postgres_commit (self);
        pg_lease_stop (&self->lease);
        PQfinish (self->conn);
        zstr_free (&self->where);
        free (self->location);
        free (self->row_data);
        zstr_free (&self->batch_key);
        free (self->batch);
        free (self->batch_data.data);
        for (int c = 0; c < COLUMNS; c++)
            free (self->columns[c].data);
        free (self);
        *self_p = NULL;
    }
}

static uint64_t
s_postgres_max_id (store_backend_t *self)
{
    PGresult *result = s_read (self, MAX_ID, NULL);
    bool got = result && PQntuples (result) == 1;
    uint64_t max = got ? (uint64_t) s_int (result, 0, 0) : 0;
    PQclear (result);
    return s_postgres_commit (self) == 0 && got ? max : UINT64_MAX;
}

/* ---- leadership ---- */

/* This broker no longer leads: no more fencing by its term, no renewal. */
static void
s_resigned (store_backend_t *self)
{
    self->term = 0;
    pg_lease_stop (&self->lease);
}

static int
s_postgres_lead (store_backend_t *self, const char *name, const char *endpoint, unsigned lease_ms,
                 uint64_t held, store_leader_t *leader)
{
    if (self->term && self->lease && pg_lease_lost (self->lease))
        s_resigned (self); /* the keeper saw another term: we no longer lead */
    params_t p = { 0 };
    s_param_text (&p, POOL);
    s_param_text (&p, name);
    s_param_text (&p, endpoint);
    s_param_int (&p, lease_ms);
    s_param_int (&p, (int64_t) held);
    /* Called between rounds: ztask_lead's transaction holds nothing
       else, and is not fenced (ztask_lead is the check). */
    assert (!self->in_transaction);
    uint64_t held_term = self->term;
    self->term = 0;
    PGresult *result = s_read (self, LEAD, &p);
    bool got = result && PQntuples (result) == 1, leading = false;
    if (got) {
        leading = *PQgetvalue (result, 0, 0) != 0; /* binary bool */
        leader->term = (uint64_t) s_int (result, 0, 1);
        snprintf (leader->name, sizeof leader->name, "%s", s_text (result, 0, 2));
        snprintf (leader->endpoint, sizeof leader->endpoint, "%s", s_text (result, 0, 3));
    }
    PQclear (result);
    if (!got || s_postgres_commit (self) != 0) {
        s_resigned (self);
        return -1;
    }
    if (!leading) {
        s_resigned (self);
        return 0;
    }
    self->term = leader->term;
    if (held_term != leader->term || !self->lease) {
        pg_lease_stop (&self->lease);
        self->lease = pg_lease_start (self->location, POOL, self->term, lease_ms);
    }
    return 1;
}

static void
s_postgres_resign (store_backend_t *self)
{
    if (!self->term)
        return;
    params_t p = { 0 };
    s_param_text (&p, POOL);
    s_param_int (&p, (int64_t) self->term);
    s_resigned (self);
    PQclear (s_read (self, RESIGN, &p));
    s_postgres_commit (self);
}

/* ---- the batch of new tasks ---- */

/* Copies size bytes of data into the batch's data; data NULL: SQL NULL. */
static span_t
s_span (store_backend_t *self, const void *data, size_t size)
{
    span_t span = { self->batch_data.size, data ? (int64_t) size : -1 };
    if (data)
        s_buffer_put (&self->batch_data, data, size);
    return span;
}

static span_t
s_span_text (store_backend_t *self, const char *text)
{
    return s_span (self, text, text ? strlen (text) : 0);
}

/* What a write appends to the task's history. */
static const char *
s_history (const task_t *task)
{
    return task->history ? task->history : "";
}

/* A copy of span's bytes with task's new history entries after them (the
   old copy stays unused in the batch's data until it is sent). */
static span_t
s_span_append (store_backend_t *self, span_t span, const task_t *task)
{
    const char *more = s_history (task);
    size_t old = span.size > 0 ? (size_t) span.size : 0, size = strlen (more);
    if (!size)
        return span;
    span_t grown = { self->batch_data.size, (int64_t) (old + size) };
    byte *at = s_buffer_grow (&self->batch_data, old + size); /* may move the data */
    memcpy (at, self->batch_data.data + span.offset, old);
    memcpy (at + old, more, size);
    return grown;
}

/* The batch's row of task id, or NULL. */
static batch_row_t *
s_batch_find (store_backend_t *self, uint64_t id)
{
    size_t low = 0, high = self->batch_rows;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->batch[middle].id < id)
            low = middle + 1;
        else
            high = middle;
    }
    return low < self->batch_rows && self->batch[low].id == id ? &self->batch[low] : NULL;
}

/* A NULL element: length -1, and the array's has-nulls flag set. */
static void
s_element_null (buffer_t *column)
{
    s_buffer_be32 (column, UINT32_MAX);
    uint32_t flag = htobe32 (1);
    memcpy (column->data + 4, &flag, 4);
}

/* One element of an integer column: width 2, 4 or 8 bytes; null: NULL. */
static void
s_element_int (buffer_t *column, int64_t value, int width, bool null)
{
    if (null) {
        s_element_null (column);
        return;
    }
    s_buffer_be32 (column, (uint32_t) width);
    if (width == 2) {
        uint16_t v = htobe16 ((uint16_t) value);
        s_buffer_put (column, &v, 2);
    }
    else if (width == 4)
        s_buffer_be32 (column, (uint32_t) value);
    else {
        uint64_t v = htobe64 ((uint64_t) value);
        s_buffer_put (column, &v, 8);
    }
}

/* One element of a text or bytea column. */
static void
s_element_span (buffer_t *column, const store_backend_t *self, span_t span)
{
    if (span.size < 0) {
        s_element_null (column);
        return;
    }
    s_buffer_be32 (column, (uint32_t) span.size);
    s_buffer_put (column, self->batch_data.data + span.offset, (size_t) span.size);
}

/* Sends the batch as one INSERT in the round's transaction and empties it.
   Each column is an array in PostgreSQL's binary format: ndim 1, a
   has-nulls flag, the element type, the length, lower bound 1, then each
   element's length (-1: NULL) and bytes. */
static int
s_batch_send (store_backend_t *self)
{
    size_t rows = self->batch_rows;
    if (!rows)
        return 0;
    self->batch_rows = 0;
    if (self->failed) {
        self->batch_data.size = 0; /* the transaction rolls back anyway */
        return -1;
    }
    buffer_t *col = self->columns;
    for (int c = 0; c < COLUMNS; c++) {
        col[c].size = 0;
        s_buffer_be32 (&col[c], 1);
        s_buffer_be32 (&col[c], 0); /* has nulls: the first NULL sets it */
        s_buffer_be32 (&col[c], s_column_oid[c]);
        s_buffer_be32 (&col[c], (uint32_t) rows);
        s_buffer_be32 (&col[c], 1);
    }
    for (size_t i = 0; i < rows; i++) {
        const batch_row_t *row = &self->batch[i];
        s_element_int (&col[COL_ID], (int64_t) row->id, 8, false);
        s_element_span (&col[COL_TYPE], self, row->type);
        s_element_int (&col[COL_PRIORITY], row->priority, 2, false);
        s_element_int (&col[COL_STATE], row->state, 2, false);
        s_element_int (&col[COL_ATTEMPTS], row->attempts, 4, false);
        s_element_int (&col[COL_MAX_ATTEMPTS], row->max_attempts, 4, false);
        s_element_int (&col[COL_TIMEOUT_MS], row->timeout_ms, 8, false);
        s_element_span (&col[COL_KEY], self, row->key);
        s_element_span (&col[COL_PAYLOAD], self, row->payload);
        s_element_span (&col[COL_RESULT], self, row->result);
        s_element_span (&col[COL_ERROR], self, row->error);
        s_element_span (&col[COL_WORKER], self, row->worker);
        s_element_int (&col[COL_CREATED_MS], row->created_ms, 8, false);
        s_element_int (&col[COL_STARTED_MS], row->started_ms, 8, !row->started);
        s_element_int (&col[COL_FINISHED_MS], row->finished_ms, 8, !row->finished);
        s_element_span (&col[COL_HISTORY], self, row->history);
        s_element_int (&col[COL_DUE_MS], row->due_ms, 8, !row->due_ms);
        s_element_span (&col[COL_REQUIRE], self, row->require);
        s_element_span (&col[COL_VERSION], self, row->version);
        s_element_span (&col[COL_NEEDS], self, row->needs);
        s_element_span (&col[COL_LIMIT], self, row->limit);
        s_element_int (&col[COL_RETRY_MIN_MS], row->retry_min_ms, 4, false);
        s_element_int (&col[COL_RETRY_MAX_MS], row->retry_max_ms, 4, false);
        s_element_int (&col[COL_NEXT_ATTEMPT_MS], row->next_attempt_ms, 8, !row->next_attempt_ms);
        s_element_span (&col[COL_PARENTS], self, row->parents);
        s_element_int (&col[COL_BATCH_ID], (int64_t) row->batch_id, 8, !row->batch_id);
    }
    self->batch_data.size = 0;
    const char *values[COLUMNS];
    int lengths[COLUMNS], formats[COLUMNS];
    for (int c = 0; c < COLUMNS; c++) {
        values[c] = (const char *) col[c].data;
        lengths[c] = (int) col[c].size;
        formats[c] = 1;
    }
    if (PQsendQueryPrepared (self->conn, s_statement_name[INSERT_BATCH], COLUMNS, values, lengths, formats, 1)
        != 1) {
        s_failed (self, PQerrorMessage (self->conn));
        return -1;
    }
    self->pending++;
    return 0;
}

/* ---- writes ---- */

static int
s_postgres_insert (store_backend_t *self, const task_t *task, const char *key)
{
    if (s_begin (self) != 0)
        return -1;
    /* Rows stay in id order (the broker's ids only grow; if not, the
       batch so far goes first). */
    if (self->batch_rows
        && (task->id <= self->batch[self->batch_rows - 1].id || self->batch_rows == BATCH_ROWS_MAX
            || self->batch_data.size >= BATCH_BYTES_MAX)
        && s_batch_send (self) != 0)
        return -1;
    if (self->batch_rows == self->batch_max) {
        self->batch_max = self->batch_max ? self->batch_max * 2 : 64;
        self->batch = (batch_row_t *) realloc (self->batch, self->batch_max * sizeof (batch_row_t));
        assert (self->batch);
    }
    batch_row_t *row = &self->batch[self->batch_rows++];
    memset (row, 0, sizeof *row);
    row->id = task->id;
    row->priority = task->priority;
    row->state = task->state == ZTASK_STATE_SCHEDULED || task->state == ZTASK_STATE_BLOCKED ? task->state
                                                                                            : ZTASK_STATE_QUEUED;
    row->due_ms = task->due_ms;
    row->max_attempts = task->max_attempts;
    row->timeout_ms = task->timeout_ms;
    row->retry_min_ms = task->retry_min_ms;
    row->retry_max_ms = task->retry_max_ms;
    row->created_ms = task->created_ms;
    row->type = s_span_text (self, task->type->name);
    row->key = s_span_text (self, key);
    row->payload = s_span (self, task->payload, task->payload_size);
    row->result = row->error = row->worker = s_span (self, NULL, 0);
    row->history = s_span_text (self, s_history (task));
    store_needs_t needs;
    char require[STORE_REQUIRE_SIZE];
    store_needs_of (task, &needs, require);
    row->require = s_span_text (self, needs.require);
    row->version = s_span_text (self, needs.version);
    row->needs = s_span_text (self, needs.needs);
    row->limit = s_span_text (self, needs.limit);
    char parents[STORE_PARENTS_SIZE];
    row->parents = s_span_text (self, store_parents_text (task, parents));
    row->batch_id = store_batch_of (task);
    return 0;
}

static int
s_postgres_started (store_backend_t *self, const task_t *task, const char *worker)
{
    batch_row_t *row = s_batch_find (self, task->id);
    if (row) {
        row->state = ZTASK_STATE_RUNNING;
        row->attempts = task->attempts;
        row->next_attempt_ms = 0;
        row->worker = s_span_text (self, worker);
        row->started = true;
        row->started_ms = task->started_ms;
        row->history = s_span_append (self, row->history, task);
        return self->failed ? -1 : 0;
    }
    params_t p = { 0 };
    s_param_int (&p, task->attempts);
    s_param_text (&p, worker);
    s_param_int (&p, task->started_ms);
    s_param_text (&p, s_history (task));
    s_param_int (&p, (int64_t) task->id);
    return s_write (self, STARTED, &p);
}

static int
s_postgres_requeued (store_backend_t *self, const task_t *task)
{
    /* a released child with a due time ahead is scheduled */
    int state = task->state == ZTASK_STATE_SCHEDULED ? ZTASK_STATE_SCHEDULED : ZTASK_STATE_QUEUED;
    batch_row_t *row = s_batch_find (self, task->id);
    if (row) {
        row->state = (uint8_t) state;
        row->attempts = task->attempts;
        row->next_attempt_ms = task->next_attempt_ms;
        row->history = s_span_append (self, row->history, task);
        return self->failed ? -1 : 0;
    }
    params_t p = { 0 };
    s_param_int (&p, task->attempts);
    s_param_text (&p, s_history (task));
    s_param_int (&p, (int64_t) task->id);
    s_param_int (&p, task->next_attempt_ms);
    s_param_int (&p, state);
    return s_write (self, REQUEUED, &p);
}

static int
s_postgres_finished (store_backend_t *self, const task_t *task, int state, const char *error,
                     const void *result, size_t result_size, int64_t finished_ms)
{
    batch_row_t *row = s_batch_find (self, task->id);
    if (row) {
        row->state = (uint8_t) state;
        row->attempts = task->attempts;
        row->error = s_span_text (self, error && *error ? error : NULL);
        row->result = s_span (self, result, result_size);
        row->finished = true;
        row->finished_ms = finished_ms;
        row->history = s_span_append (self, row->history, task);
        return self->failed ? -1 : 0;
    }
    params_t p = { 0 };
    s_param_int (&p, state);
    s_param_int (&p, task->attempts);
    s_param_text (&p, error && *error ? error : NULL);
    if (result)
        s_param_bytes (&p, result, result_size);
    else
        s_param_text (&p, NULL);
    s_param_int (&p, finished_ms);
    s_param_text (&p, s_history (task));
    s_param_int (&p, (int64_t) task->id);
    return s_write (self, FINISHED, &p);
}

static int
s_postgres_purge (store_backend_t *self, int64_t finished_before, int batch)
{
    params_t p = { 0 };
    s_param_int (&p, finished_before);
    s_param_int (&p, batch);
    PGresult *result = s_read (self, PURGE, &p);
    int purged = result ? atoi (PQcmdTuples (result)) : -1;
    PQclear (result);
    result = purged < 0 ? NULL : s_read (self, PURGE_BATCHES, &p);
    if (!result)
        return -1;
    PQclear (result);
    return purged;
}

/* The id a read of one row selects, 0 if none, or STORE_KEY_FAILED. */
static uint64_t
s_id_of (store_backend_t *self, int statement, const params_t *params)
{
    PGresult *result = s_read (self, statement, params);
    if (!result)
        return STORE_KEY_FAILED;
    uint64_t id = PQntuples (result) == 1 ? (uint64_t) s_int (result, 0, 0) : 0;
    PQclear (result);
    return id;
}

static uint64_t
s_postgres_batch_of_then (store_backend_t *self, uint64_t task_id)
{
    params_t p = { 0 };
    s_param_int (&p, (int64_t) task_id);
    return s_id_of (self, BATCH_OF_THEN, &p);
}

/* ---- reads ---- */

static uint64_t
s_postgres_find_key (store_backend_t *self, const char *key)
{
    params_t p = { 0 };
    s_param_text (&p, key);
    return s_id_of (self, FIND_KEY, &p);
}

static int
s_postgres_get (store_backend_t *self, uint64_t id, bool with_result, store_row_t *row)
{
    params_t p = { 0 };
    s_param_int (&p, (int64_t) id);
    PGresult *result = s_read (self, GET, &p);
    if (!result)
        return STORE_FAILED;
    if (PQntuples (result) != 1) {
        PQclear (result);
        return -1;
    }
    s_row (result, 0, row);
    if (with_result)
        row->result = s_bytes (result, 0, &row->result_size);
    row->history = s_text (result, 0, ROW_COLUMN_COUNT + 1);
    store_row_copy (row, &self->row_data, &self->row_max); /* outlives the result */
    PQclear (result);
    return 0;
}

/* Sends the recovery read of the unfinished tasks after id `after` and
   returns its place in the pipeline (the results to read up to its own),
   or -1. */
static int
s_recover_send (store_backend_t *self, uint64_t after)
{
    params_t p = { 0 };
    s_param_int (&p, (int64_t) after);
    s_param_int (&p, RECOVER_BATCH);
    return s_ask (self, RECOVER, &p);
}

static int
s_postgres_recover (store_backend_t *self, store_row_fn *fn, void *arg)
{
    int place = s_recover_send (self, 0);
    while (place > 0) {
        PGresult *result = s_consume (self, place, true);
        if (!result)
            return -1;
        int rows = PQntuples (result);
        place = 0;
        if (rows == RECOVER_BATCH) {
            /* The next batch is read while this one is handed over. */
            place = s_recover_send (self, (uint64_t) s_int (result, rows - 1, 0));
            if (place < 0) {
                PQclear (result);
                return -1;
            }
        }
        for (int i = 0; i < rows; i++) {
            store_row_t row;
            s_row (result, i, &row);
            row.payload = s_bytes (result, i, &row.payload_size);
            fn (&row, arg);
        }
        PQclear (result);
    }
    if (place < 0)
        return -1;
    char at[64];
    snprintf (at, sizeof at, "%" PRId64 "\trequeued\t", zclock_time ());
    params_t p = { 0 };
    s_param_text (&p, at);
    s_param_text (&p, "\t");
    s_param_text (&p, "\t" STORE_RECOVERED_WHY "\n");
    return s_write (self, RECOVERED, &p);
}

/* Calls fn for each row of a read (s_row's columns; one more is the payload). */
static void
s_rows (PGresult *result, store_row_fn *fn, void *arg)
{
    for (int i = 0; i < PQntuples (result); i++) {
        store_row_t row;
        s_row (result, i, &row);
        if (PQnfields (result) > ROW_COLUMN_COUNT)
            row.payload = s_bytes (result, i, &row.payload_size);
        fn (&row, arg);
    }
}

static int
s_postgres_select (store_backend_t *self, const store_filter_t *filter, store_row_fn *fn, void *arg)
{
    params_t p = { 0 };
    s_param_int (&p, filter->states);
    s_param_text (&p, filter->type && *filter->type ? filter->type : NULL);
    s_param_int (&p, (int64_t) filter->before_id);
    s_param_int (&p, filter->finished_from);
    s_param_int (&p, filter->limit);
    s_param_int (&p, zclock_time ());
    PGresult *result = s_read (self, filter->oldest_first ? SELECT_OLD : SELECT_NEW, &p);
    if (!result)
        return -1;
    s_rows (result, fn, arg);
    PQclear (result);
    return 0;
}

static int
s_postgres_retry (store_backend_t *self, const task_t *task, store_row_fn *fn, void *arg)
{
    params_t p = { 0 };
    s_param_text (&p, s_history (task));
    s_param_int (&p, (int64_t) task->id);
    PGresult *result = s_read (self, RETRY, &p);
    if (!result)
        return STORE_FAILED;
    int rows = PQntuples (result);
    s_rows (result, fn, arg);
    PQclear (result);
    return rows == 1 ? 0 : -1;
}

static int
s_postgres_purge_tasks (store_backend_t *self, unsigned states, const char *type, int64_t finished_before,
                        int limit)
{
    params_t p = { 0 };
    s_param_int (&p, states);
    s_param_text (&p, type);
    s_param_int (&p, finished_before);
    s_param_int (&p, limit);
    PGresult *result = s_read (self, PURGE_TASKS, &p);
    int purged = result ? atoi (PQcmdTuples (result)) : -1;
    PQclear (result);
    return purged;
}

static int
s_postgres_pause (store_backend_t *self, const char *type, bool paused)
{
    params_t p = { 0 };
    s_param_text (&p, type);
    return s_write (self, paused ? PAUSE : RESUME, &p);
}

static int
s_postgres_paused (store_backend_t *self, store_type_fn *fn, void *arg)
{
    PGresult *result = s_read (self, PAUSED, NULL);
    if (!result)
        return -1;
    for (int i = 0; i < PQntuples (result); i++)
        fn (s_text (result, i, 0), arg);
    PQclear (result);
    return 0;
}

static int
s_postgres_schedule_put (store_backend_t *self, const store_schedule_t *schedule)
{
    params_t p = { 0 };
    s_param_text (&p, schedule->name);
    s_param_text (&p, schedule->cron);
    s_param_text (&p, schedule->tz ? schedule->tz : "");
    s_param_text (&p, schedule->type);
    s_param_int (&p, schedule->priority);
    s_param_bytes (&p, schedule->payload, schedule->payload_size);
    s_param_int (&p, schedule->max_attempts);
    s_param_int (&p, schedule->timeout_ms);
    s_param_text (&p, schedule->catchup == STORE_CATCHUP_ONCE ? "once" : "skip");
    s_param_int (&p, schedule->paused ? 1 : 0);
    s_param_text (&p, schedule->source == STORE_SOURCE_CONFIG ? "config" : "cli");
    s_param_int (&p, schedule->created_ms);
    if (schedule->last_fire_ms)
        s_param_int (&p, schedule->last_fire_ms);
    else
        s_param_text (&p, NULL);
    return s_write (self, SCHEDULE_PUT, &p);
}

static int
s_postgres_schedule_remove (store_backend_t *self, const char *name)
{
    params_t p = { 0 };
    s_param_text (&p, name);
    return s_write (self, SCHEDULE_REMOVE, &p);
}

static int
s_postgres_schedules (store_backend_t *self, store_schedule_fn *fn, void *arg)
{
    PGresult *result = s_read (self, SCHEDULES, NULL);
    if (!result)
        return -1;
    for (int i = 0; i < PQntuples (result); i++) {
        store_schedule_t schedule = {
            .name = s_text (result, i, 0),
            .cron = s_text (result, i, 1),
            .tz = s_text (result, i, 2),
            .type = s_text (result, i, 3),
            .priority = (uint8_t) s_int (result, i, 4),
            .payload = PQgetvalue (result, i, 5),
            .payload_size = (size_t) PQgetlength (result, i, 5),
            .max_attempts = (uint32_t) s_int (result, i, 6),
            .timeout_ms = (uint32_t) s_int (result, i, 7),
            .catchup = streq (s_text (result, i, 8), "once") ? STORE_CATCHUP_ONCE : STORE_CATCHUP_SKIP,
            .paused = s_int (result, i, 9) != 0,
            .source = streq (s_text (result, i, 10), "config") ? STORE_SOURCE_CONFIG : STORE_SOURCE_CLI,
            .created_ms = s_int (result, i, 11),
            .last_fire_ms = s_int (result, i, 12),
        };
        fn (&schedule, arg);
    }
    PQclear (result);
    return 0;
}

/* ---- batches ---- */

static int
s_postgres_batch_insert (store_backend_t *self, const store_batch_t *batch)
{
    params_t p = { 0 };
    s_param_int (&p, (int64_t) batch->id);
    s_param_int (&p, batch->size);
    if (batch->then_id)
        s_param_int (&p, (int64_t) batch->then_id);
    else
        s_param_text (&p, NULL);
    s_param_int (&p, batch->created_ms);
    s_param_text (&p, batch->key && *batch->key ? batch->key : NULL);
    return s_write (self, BATCH_INSERT, &p);
}

static uint64_t
s_postgres_batch_find_key (store_backend_t *self, const char *key)
{
    params_t p = { 0 };
    s_param_text (&p, key);
    return s_id_of (self, BATCH_FIND_KEY, &p);
}

/* A ztask_batches row (id, size, then_id, created_ms, idem_key) of a
   result into batch; the key points into the result. */
static void
s_batch_row (const PGresult *result, int i, store_batch_t *batch)
{
    memset (batch, 0, sizeof *batch);
    batch->id = (uint64_t) s_int (result, i, 0);
    batch->size = (uint32_t) s_int (result, i, 1);
    batch->then_id = (uint64_t) s_int (result, i, 2);
    batch->created_ms = s_int (result, i, 3);
    batch->key = s_text (result, i, 4);
}

static int
s_postgres_batch_get (store_backend_t *self, uint64_t id, store_batch_t *batch)
{
    params_t p = { 0 };
    s_param_int (&p, (int64_t) id);
    s_param_int (&p, zclock_time ());
    PGresult *result = s_read (self, BATCH_GET, &p);
    if (!result)
        return STORE_FAILED;
    int rows = PQntuples (result);
    if (rows == 0) {
        PQclear (result);
        return -1;
    }
    s_batch_row (result, 0, batch);
    /* Its key outlives the result, until the next batch_get. */
    zstr_free (&self->batch_key);
    self->batch_key = strdup (batch->key);
    assert (self->batch_key);
    batch->key = self->batch_key;
    for (int i = 0; i < rows; i++) {
        int64_t state = s_int (result, i, 5);
        if (!PQgetisnull (result, i, 5) && state >= 0 && state < 7)
            batch->counts[state] = (uint32_t) s_int (result, i, 6);
    }
    PQclear (result);
    return 0;
}

static int
s_postgres_batch_tasks (store_backend_t *self, uint64_t id, store_row_fn *fn, void *arg)
{
    params_t p = { 0 };
    s_param_int (&p, (int64_t) id);
    s_param_int (&p, zclock_time ());
    PGresult *result = s_read (self, BATCH_TASKS, &p);
    if (!result)
        return -1;
    for (int i = 0; i < PQntuples (result); i++) {
        store_row_t row = { .id = (uint64_t) s_int (result, i, 0),
                            .state = (uint8_t) s_int (result, i, 1),
                            .error = s_text (result, i, 2),
                            .batch_id = id };
        fn (&row, arg);
    }
    PQclear (result);
    return 0;
}

static int
s_postgres_batches_waiting (store_backend_t *self, store_batch_fn *fn, void *arg)
{
    PGresult *result = s_read (self, BATCHES_WAITING, NULL);
    if (!result)
        return -1;
    for (int i = 0; i < PQntuples (result); i++) {
        store_batch_t batch;
        s_batch_row (result, i, &batch);
        fn (&batch, arg);
    }
    PQclear (result);
    return 0;
}

static int
s_postgres_set_payload (store_backend_t *self, const task_t *task)
{
    batch_row_t *row = s_batch_find (self, task->id);
    if (row) {
        row->payload = s_span (self, task->payload, task->payload_size); /* inserted this round */
        return self->failed ? -1 : 0;
    }
    params_t p = { 0 };
    s_param_bytes (&p, task->payload, task->payload_size);
    s_param_int (&p, (int64_t) task->id);
    return s_write (self, SET_PAYLOAD, &p);
}

const store_backend_ops_t store_postgres = {
    .name = "PostgreSQL",
    .open = s_postgres_open,
    .close = s_postgres_close,
    .max_id = s_postgres_max_id,
    .commit = s_postgres_commit,
    .rollback = s_postgres_rollback,
    .insert = s_postgres_insert,
    .find_key = s_postgres_find_key,
    .started = s_postgres_started,
    .requeued = s_postgres_requeued,
    .finished = s_postgres_finished,
    .get = s_postgres_get,
    .recover = s_postgres_recover,
    .purge = s_postgres_purge,
    .select = s_postgres_select,
    .retry = s_postgres_retry,
    .purge_tasks = s_postgres_purge_tasks,
    .pause = s_postgres_pause,
    .paused = s_postgres_paused,
    .schedule_put = s_postgres_schedule_put,
    .schedule_remove = s_postgres_schedule_remove,
    .schedules = s_postgres_schedules,
    .batch_insert = s_postgres_batch_insert,
    .batch_find_key = s_postgres_batch_find_key,
    .batch_of_then = s_postgres_batch_of_then,
    .batch_get = s_postgres_batch_get,
    .batch_tasks = s_postgres_batch_tasks,
    .batches_waiting = s_postgres_batches_waiting,
    .set_payload = s_postgres_set_payload,
    .lead = s_postgres_lead,
    .resign = s_postgres_resign,
};
