#!/bin/bash
# The PostgreSQL store: the store's promises on a real server, settings
# that name no usable database, and an outage of the database under a
# running broker (submits refused as unavailable, nothing accepted lost,
# and the broker serving again by itself once the database is back).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
SCHEMA_NOW=9 # the schema version this ztaskd writes (store_postgres.c)
pg_start

# ---- the promises of store.h, on PostgreSQL ----
out=$("$top_builddir/tests/store_backend_test" "$PG_CONNINFO" 2>&1)
ok $? "store_backend_test passes on PostgreSQL"
printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/#   /'

# ---- settings that name no usable database: one clear line, exit 1 ----
# ztaskd_refuses STORE PATTERN DESCRIPTION
ztaskd_refuses () {
    cat > "$T/bad.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$1";
CFG
    local out rc
    out=$(timeout 30 "$ZTASKD" -c "$T/bad.cfg" -f 2>&1); rc=$?
    [ "$rc" -eq 1 ]
    ok $? "$3: ztaskd exits 1 (got $rc)"
    like "$out" "$2" "$3: it says why"
}
ztaskd_refuses "postgresql://ztask@127.0.0.1:$PG_PORT/no_such_db" 'cannot connect to PostgreSQL: .*no_such_db.* does not exist' \
    "a database that does not exist"
ztaskd_refuses "host=127.0.0.1 port=$PG_PORT user=nobody_here dbname=ztask_test" 'cannot connect to PostgreSQL: .*nobody_here' \
    "a role that does not exist"
closed=$(( PG_PORT == 65535 ? PG_PORT - 1 : PG_PORT + 1 ))
ztaskd_refuses "postgresql://ztask@127.0.0.1:$closed/ztask_test" 'cannot connect to PostgreSQL: .*(refused|failed)' \
    "a port nothing listens on"
ztaskd_refuses "host=no-such-host.invalid dbname=ztask_test" 'cannot connect to PostgreSQL: .*no-such-host.invalid' \
    "a host name that does not resolve"
ztaskd_refuses "postgresql://ztask@[::1" 'cannot connect to PostgreSQL: .*(invalid|URI)' "a malformed URI"

pg_sql "CREATE DATABASE other" >/dev/null
"$pg_bin/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U ztask -d other -c "CREATE TABLE ztask_tasks (x int)" >/dev/null
ztaskd_refuses "host=127.0.0.1 port=$PG_PORT user=ztask dbname=other" 'not a ztask store' \
    "a database whose ztask_tasks is another program's"
is "$("$pg_bin/psql" -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d other -c "SELECT to_regclass('ztask_meta')")" "" \
    "  and it is left as it was"

# A store of a newer ztask: made by this one, then its version raised.
pg_sql "CREATE DATABASE future" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=future" >/dev/null 2>&1
"$pg_bin/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U ztask -d future \
    -c "UPDATE ztask_meta SET value = '99' WHERE key = 'schema_version'" >/dev/null
ztaskd_refuses "host=127.0.0.1 port=$PG_PORT user=ztask dbname=future" "schema version 99; this ztaskd reads version $SCHEMA_NOW: upgrade ztaskd" \
    "a store of a newer ztask"

# A store of the previous schema (version 1, before leadership): upgraded
# in place, its tasks kept (its task is id 1000000, above the ids
# store_backend_test leaves).
pg_sql "CREATE DATABASE old" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=old" >/dev/null 2>&1
old_sql () { "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d old -c "$1"; }
old_sql "DROP TABLE ztask_batches; ALTER TABLE ztask_tasks DROP COLUMN batch_id;
         DROP TABLE ztask_schedules; DROP FUNCTION ztask_lead; DROP FUNCTION ztask_fence; DROP FUNCTION ztask_renew; DROP TABLE ztask_leader;
         ALTER TABLE ztask_tasks DROP COLUMN history; DROP TABLE ztask_paused;
         ALTER TABLE ztask_tasks DROP COLUMN due_ms;
         ALTER TABLE ztask_tasks DROP COLUMN requirements, DROP COLUMN version_constraint, DROP COLUMN needs,
           DROP COLUMN limit_name, DROP COLUMN retry_min_ms, DROP COLUMN retry_max_ms, DROP COLUMN next_attempt_ms, DROP COLUMN parents;
         DROP INDEX ztask_tasks_active; DROP INDEX ztask_tasks_finished;
         CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state < 2;
         CREATE INDEX ztask_tasks_finished ON ztask_tasks (finished_ms) WHERE state >= 2;
         UPDATE ztask_meta SET value = '1' WHERE key = 'schema_version';
         INSERT INTO ztask_tasks (id, type, priority, state, max_attempts, payload, created_ms)
         VALUES (1000000, 'echo', 4, 0, 3, 'from v1', 0)" >/dev/null
cat > "$T/old.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "host=127.0.0.1 port=$PG_PORT user=ztask dbname=old";
CFG
"$ZTASKD" -c "$T/old.cfg" -f >"$T/old.log" 2>&1 &
old_pid=$!
PIDS="$PIDS $old_pid"
wait_for "grep -q 'leads (term 1)' '$T/old.log'" 20
ok $? "a store of schema version 1 is served"
like "$(cat "$T/old.log")" "upgraded the ztask schema in database old .* from version 1 to $SCHEMA_NOW" "  after upgrading it in place"
old_ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/old.log" | sed 's/listening on //')
is "$("$ZTASK" -b "$old_ep" status --json 1000000 | tr -d ' \n' | grep -o '"state":"[a-z]*"')" '"state":"queued"' \
    "  with its queued task"
is "$(old_sql "SELECT value FROM ztask_meta WHERE key = 'schema_version'")" $SCHEMA_NOW "  the store says version $SCHEMA_NOW"
is "$(old_sql "SELECT count(*) FROM ztask_tasks WHERE history = ''")" "$(old_sql "SELECT count(*) FROM ztask_tasks")" \
    "  its tasks have an empty history"
kill "$old_pid"; wait "$old_pid" 2>/dev/null

# A store of schema version 3 (before delayed tasks: no due_ms, the partial
# indexes by state < 2 and >= 2): upgraded in place to 8.
pg_sql "CREATE DATABASE v3" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=v3" >/dev/null 2>&1
v3_sql () { "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d v3 -c "$1"; }
v3_sql "DROP TABLE ztask_batches; ALTER TABLE ztask_tasks DROP COLUMN batch_id;
        DROP TABLE ztask_schedules; ALTER TABLE ztask_tasks DROP COLUMN due_ms;
        ALTER TABLE ztask_tasks DROP COLUMN requirements, DROP COLUMN version_constraint, DROP COLUMN needs,
          DROP COLUMN limit_name, DROP COLUMN retry_min_ms, DROP COLUMN retry_max_ms, DROP COLUMN next_attempt_ms, DROP COLUMN parents;
        DROP INDEX ztask_tasks_active; DROP INDEX ztask_tasks_finished;
        CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state < 2;
        CREATE INDEX ztask_tasks_finished ON ztask_tasks (finished_ms) WHERE state >= 2;
        UPDATE ztask_meta SET value = '3' WHERE key = 'schema_version';
        INSERT INTO ztask_tasks (id, type, priority, state, max_attempts, payload, created_ms)
        VALUES (1000000, 'echo', 4, 0, 3, 'from v3', 0)" >/dev/null
sed "s/dbname=old/dbname=v3/" "$T/old.cfg" > "$T/v3.cfg"
"$ZTASKD" -c "$T/v3.cfg" -f >"$T/v3.log" 2>&1 &
v3_pid=$!
PIDS="$PIDS $v3_pid"
wait_for "grep -q 'leads (term 1)' '$T/v3.log'" 20
ok $? "a store of schema version 3 is served"
like "$(cat "$T/v3.log")" "upgraded the ztask schema in database v3 .* from version 3 to $SCHEMA_NOW" "  after upgrading it in place"
v3_ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/v3.log" | sed 's/listening on //')
is "$("$ZTASK" -b "$v3_ep" status --json 1000000 | tr -d ' \n' | grep -o '"state":"[a-z]*"')" '"state":"queued"' \
    "  with its queued task"
is "$(v3_sql "SELECT value FROM ztask_meta WHERE key = 'schema_version'")" $SCHEMA_NOW "  the store says version $SCHEMA_NOW"
like "$(v3_sql "SELECT indexdef FROM pg_indexes WHERE indexname = 'ztask_tasks_active'")" "WHERE \(state = ANY" \
    "  its index of unfinished tasks holds the scheduled ones too"
delayed=$("$ZTASK" -b "$v3_ep" submit echo -d later --in 1h)
is "$("$ZTASK" -b "$v3_ep" status --json "$delayed" | tr -d ' \n' | grep -o '"state":"[a-z]*"')" '"state":"scheduled"' \
    "  a delayed task is stored as scheduled"
is "$(v3_sql "SELECT state, due_ms > 0 FROM ztask_tasks WHERE id = $delayed")" "5|t" "  with its due time"
kill "$v3_pid"; wait "$v3_pid" 2>/dev/null

# A store of schema version 4 (before tasks asked anything of their
# workers): upgraded in place to the current version, its tasks asking nothing.
pg_sql "CREATE DATABASE v4" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=v4" >/dev/null 2>&1
v4_sql () { "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d v4 -c "$1"; }
v4_sql "DROP TABLE ztask_batches; ALTER TABLE ztask_tasks DROP COLUMN batch_id;
        DROP TABLE ztask_schedules; ALTER TABLE ztask_tasks DROP COLUMN requirements, DROP COLUMN version_constraint, DROP COLUMN needs,
          DROP COLUMN limit_name, DROP COLUMN retry_min_ms, DROP COLUMN retry_max_ms, DROP COLUMN next_attempt_ms, DROP COLUMN parents;
        DROP INDEX ztask_tasks_active;
        CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state IN (0, 1, 5);
        UPDATE ztask_meta SET value = '4' WHERE key = 'schema_version';
        INSERT INTO ztask_tasks (id, type, priority, state, max_attempts, payload, created_ms)
        VALUES (1000000, 'echo', 4, 0, 3, 'from v4', 0)" >/dev/null
sed "s/dbname=old/dbname=v4/" "$T/old.cfg" > "$T/v4.cfg"
"$ZTASKD" -c "$T/v4.cfg" -f >"$T/v4.log" 2>&1 &
v4_pid=$!
PIDS="$PIDS $v4_pid"
wait_for "grep -q 'leads (term 1)' '$T/v4.log'" 20
ok $? "a store of schema version 4 is served"
like "$(cat "$T/v4.log")" "upgraded the ztask schema in database v4 .* from version 4 to $SCHEMA_NOW" "  after upgrading it in place"
v4_ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/v4.log" | sed 's/listening on //')
status=$("$ZTASK" -b "$v4_ep" status --json 1000000 | tr -d ' \n')
like "$status" '"state":"queued"' "  with its queued task"
like "$status" '"require":\[\],"version":"","needs":"","limit":""' "  which asks nothing of its worker"
is "$(v4_sql "SELECT value FROM ztask_meta WHERE key = 'schema_version'")" $SCHEMA_NOW "  the store says version $SCHEMA_NOW"
is "$(v4_sql "SELECT to_regclass ('ztask_schedules') IS NOT NULL")" t "  and has the schedules table (version 6)"
asks=$("$ZTASK" -b "$v4_ep" submit echo -d later --in 1h --require 'zone = eu-1' --require os --needs 'gpu=1')
is "$(v4_sql "SELECT requirements, needs, limit_name IS NULL FROM ztask_tasks WHERE id = $asks")" "os
zone=eu-1|gpu=1|t" "  a new task is stored with what it asks"
kill "$v4_pid"; wait "$v4_pid" 2>/dev/null

# A store of schema version 5 (before retry policies): upgraded in place
# to the current version, its tasks with the default policy and no pending attempt.
pg_sql "CREATE DATABASE v5" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=v5" >/dev/null 2>&1
v5_sql () { "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d v5 -c "$1"; }
v5_sql "DROP TABLE ztask_batches; ALTER TABLE ztask_tasks DROP COLUMN batch_id;
        DROP TABLE ztask_schedules; ALTER TABLE ztask_tasks DROP COLUMN retry_min_ms, DROP COLUMN retry_max_ms, DROP COLUMN next_attempt_ms, DROP COLUMN parents;
        DROP INDEX ztask_tasks_active;
        CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state IN (0, 1, 5);
        UPDATE ztask_meta SET value = '5' WHERE key = 'schema_version';
        INSERT INTO ztask_tasks (id, type, priority, state, max_attempts, payload, created_ms)
        VALUES (1000000, 'echo', 4, 0, 3, 'from v5', 0)" >/dev/null
sed "s/dbname=old/dbname=v5/" "$T/old.cfg" > "$T/v5.cfg"
"$ZTASKD" -c "$T/v5.cfg" -f >"$T/v5.log" 2>&1 &
v5_pid=$!
PIDS="$PIDS $v5_pid"
wait_for "grep -q 'leads (term 1)' '$T/v5.log'" 20
ok $? "a store of schema version 5 is served"
like "$(cat "$T/v5.log")" "upgraded the ztask schema in database v5 .* from version 5 to $SCHEMA_NOW" "  after upgrading it in place"
v5_ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/v5.log" | sed 's/listening on //')
status=$("$ZTASK" -b "$v5_ep" status --json 1000000 | tr -d ' \n')
like "$status" '"retry_backoff":\{"min_ms":250,"max_ms":10000\},"next_attempt_ms":0' \
    "  its queued task has the default retry policy and no pending attempt"
is "$(v5_sql "SELECT value FROM ztask_meta WHERE key = 'schema_version'")" $SCHEMA_NOW "  the store says version $SCHEMA_NOW"
policy=$("$ZTASK" -b "$v5_ep" submit echo -d later --in 1h --retry-backoff 1s..1h)
is "$(v5_sql "SELECT retry_min_ms, retry_max_ms FROM ztask_tasks WHERE id = $policy")" "1000|3600000" \
    "  a new task is stored with its retry policy"
kill "$v5_pid"; wait "$v5_pid" 2>/dev/null

# A store of schema version 7 (before dependencies: no parents column, the
# index of unfinished tasks without state 6): upgraded in place to the
# current version.
pg_sql "CREATE DATABASE v7" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=v7" >/dev/null 2>&1
v7_sql () { "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d v7 -c "$1"; }
v7_sql "DROP TABLE ztask_batches; ALTER TABLE ztask_tasks DROP COLUMN batch_id;
        ALTER TABLE ztask_tasks DROP COLUMN parents;
        DROP INDEX ztask_tasks_active;
        CREATE INDEX ztask_tasks_active ON ztask_tasks (id) WHERE state IN (0, 1, 5);
        UPDATE ztask_meta SET value = '7' WHERE key = 'schema_version';
        INSERT INTO ztask_tasks (id, type, priority, state, max_attempts, payload, created_ms)
        VALUES (1000000, 'echo', 4, 0, 3, 'from v7', 0)" >/dev/null
sed "s/dbname=old/dbname=v7/" "$T/old.cfg" > "$T/v7.cfg"
"$ZTASKD" -c "$T/v7.cfg" -f >"$T/v7.log" 2>&1 &
v7_pid=$!
PIDS="$PIDS $v7_pid"
wait_for "grep -q 'leads (term 1)' '$T/v7.log'" 20
ok $? "a store of schema version 7 is served"
like "$(cat "$T/v7.log")" "upgraded the ztask schema in database v7 .* from version 7 to $SCHEMA_NOW" "  after upgrading it in place"
v7_ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/v7.log" | sed 's/listening on //')
status=$("$ZTASK" -b "$v7_ep" status --json 1000000 | tr -d ' \n')
like "$status" '"state":"queued".*"parents":\[\]' "  with its queued task, without parents"
is "$(v7_sql "SELECT value FROM ztask_meta WHERE key = 'schema_version'")" $SCHEMA_NOW "  the store says version $SCHEMA_NOW"
like "$(v7_sql "SELECT indexdef FROM pg_indexes WHERE indexname = 'ztask_tasks_active'")" "6\]" \
    "  its index of unfinished tasks holds the blocked ones too"
child=$("$ZTASK" -b "$v7_ep" submit echo -d child --after 1000000)
is "$(v7_sql "SELECT state, parents FROM ztask_tasks WHERE id = $child")" "6|1000000" \
    "  a task after the queued one is stored blocked, with its parent"
kill "$v7_pid"; wait "$v7_pid" 2>/dev/null

# A store of schema version 8 (before batches: no batch_id column, no
# ztask_batches): upgraded in place to 9, its tasks of no batch. (What
# the batches' statements do on that schema is store_backend_test's, above:
# a new store is made by the same step.)
pg_sql "CREATE DATABASE v8" >/dev/null
"$top_builddir/tests/store_backend_test" "host=127.0.0.1 port=$PG_PORT user=ztask dbname=v8" >/dev/null 2>&1
v8_sql () { "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d v8 -c "$1"; }
v8_sql "DROP TABLE ztask_batches; ALTER TABLE ztask_tasks DROP COLUMN batch_id;
        UPDATE ztask_meta SET value = '8' WHERE key = 'schema_version';
        INSERT INTO ztask_tasks (id, type, priority, state, max_attempts, payload, created_ms)
        VALUES (1000000, 'echo', 4, 0, 3, 'from v8', 0), (1000001, 'echo', 4, 6, 3, 'blocked in v8', 0);
        UPDATE ztask_tasks SET parents = '1000000' WHERE id = 1000001" >/dev/null
is "$(v8_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'ztask_tasks' AND column_name = 'batch_id'")" 0 \
    "a store of schema version 8 has no batch_id column"
sed "s/dbname=old/dbname=v8/" "$T/old.cfg" > "$T/v8.cfg"
"$ZTASKD" -c "$T/v8.cfg" -f >"$T/v8.log" 2>&1 &
v8_pid=$!
PIDS="$PIDS $v8_pid"
wait_for "grep -q 'leads (term 1)' '$T/v8.log'" 20
ok $? "a store of schema version 8 is served"
like "$(cat "$T/v8.log")" "upgraded the ztask schema in database v8 .* from version 8 to 9" "  after upgrading it in place"
v8_ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/v8.log" | sed 's/listening on //')
like "$("$ZTASK" -b "$v8_ep" status --json 1000000 | tr -d ' \n')" '"state":"queued"' "  with its queued task"
like "$("$ZTASK" -b "$v8_ep" status --json 1000001 | tr -d ' \n')" '"state":"blocked".*"waiting_for":\[1000000\]' \
    "  and its blocked one, after it"
is "$(v8_sql "SELECT value FROM ztask_meta WHERE key = 'schema_version'")" 9 "  the store says version 9"
is "$(v8_sql "SELECT count(*) FROM ztask_tasks WHERE batch_id IS NOT NULL")" 0 "  its tasks belong to no batch"
is "$(v8_sql "SELECT to_regclass ('ztask_batches') IS NOT NULL, to_regclass ('ztask_batches_key') IS NOT NULL,
               to_regclass ('ztask_tasks_batch') IS NOT NULL")" "t|t|t" \
    "  it has the batches table, its key index and the index of tasks by batch"
new=$("$ZTASK" -b "$v8_ep" submit echo -d 'after the upgrade')
is "$(v8_sql "SELECT state, batch_id IS NULL FROM ztask_tasks WHERE id = ${new:-0}")" "0|t" \
    "  a new task is stored (the insert writes the new column)"
kill "$v8_pid"; wait "$v8_pid" 2>/dev/null

# ---- a broker on PostgreSQL, and an outage of the database ----
pg_sql "CREATE DATABASE broker" >/dev/null
ZT_STORE="host=127.0.0.1 port=$PG_PORT user=ztask dbname=broker"
zt_broker
zt_worker w 2 '"all"' echo sleep
is "$("$ZTASK" submit echo -d 'on postgres' --wait)" "on postgres" "a task runs through a broker on PostgreSQL"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"store":\{"backend":"PostgreSQL","available":true\}' \
    "stats names the store and says it is available"
before=$("$ZTASK" submit sleep -d 1500)
ok $? "a task is accepted before the outage ($before)"

pg_down
# The broker notices at its next commit: the first submit from now on.
wait_for "\"$ZTASK\" submit echo -d during >/dev/null 2>&1; \"$ZTASK\" stats --json | tr -d ' \n' | grep -q '\"available\":false'" 20
ok $? "with the database down the broker says its store is unavailable"
out=$("$ZTASK" submit echo -d refused 2>&1); rc=$?
is "$rc" 8 "  and refuses a submit with exit 8 (store unavailable)"
like "$out" "store is unavailable" "  saying why"
like "$(cat "$T/broker.log")" "store failed; refusing submits until it is back" "the broker logs the outage"
kill -0 "$BROKER_PID" 2>/dev/null
ok $? "the broker keeps running"

pg_up
wait_for "\"$ZTASK\" submit echo -d after --wait 2>/dev/null | grep -q after" 30
ok $? "once the database is back the broker accepts and runs tasks again"
like "$(cat "$T/broker.log")" "store is back; accepting tasks again" "  and logs it"
wait_for "[ \"\$(zt_field $before state)\" = done ]" 30
ok $? "the task accepted before the outage ends done"
is "$(zt_field "$before" error)" "" "  with no error"

# ---- the broker's sessions are ended under it (a standby that took over
#      does that to a frozen leader): a status read is "unavailable", never
#      "no task", and the broker reconnects at once ----
done_id=$("$ZTASK" submit echo -d gone --wait --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
[ -n "$done_id" ]
ok $? "a finished task, now only in the store ($done_id)"
pg_sql "SELECT count (pg_terminate_backend (pid)) FROM pg_stat_activity WHERE datname = 'broker' AND pid <> pg_backend_pid ()" >/dev/null
"$ZTASK" status "$done_id" > "$T/ended.out" 2>&1; rc=$?
# 0 if the broker's lease check (every second) came first and reconnected.
[ "$rc" -eq 0 ] || [ "$rc" -eq 8 ]
ok $? "a status right after: the task, or store unavailable (exit $rc: $(head -1 "$T/ended.out"))"
wait_for "\"$ZTASK\" status $done_id >/dev/null 2>&1" 10
ok $? "  and the task again as soon as the broker has reconnected"
like "$("$ZTASK" status "$done_id")" "done" "  done"

done_testing
