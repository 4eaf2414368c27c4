#!/bin/bash
# Active/standby brokers on one PostgreSQL store (docs/high-availability.md):
# one leads, the other stands by and names it; a killed leader is replaced
# and nothing it accepted is lost; a worker given both endpoints follows the
# leader and keeps its running task; a frozen leader (SIGSTOP) is replaced
# and, woken, commits nothing; a leader that stops cleanly hands over at once.
# No timer is raced: every wait is for a state (a log line, an answer).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start

json () { "$ZTASK" -b "$1" "${@:2}" --json 2>/dev/null | tr -d ' \n'; }

# ---- one leads, one stands by ----
ha_broker a
wait_for "leads a 1" 20
ok $? "the first broker leads (term 1)"
ha_broker b
wait_for "stands_by b a 1" 20
ok $? "the second stands by and knows who leads"
like "$(json "$EP_a" stats)" "\"broker\":\{\"name\":\"a\",\"role\":\"leader\",\"term\":1,\"endpoint\":\"$EP_a\"\}" \
    "ztask stats on the leader says it leads, in which term, at which endpoint"
like "$("$ZTASK" -b "$EP_a" workers)" "^broker: +a \(leader, term 1\) at $EP_a" "  so does ztask workers"
out=$("$ZTASK" -b "$EP_b" stats 2>&1); rc=$?
[ "$rc" -ne 0 ]
ok $? "the standby serves nothing (exit $rc)"
like "$out" "$EP_a" "  and names the leader's endpoint: $out"
out=$("$ZTASK" -b "$EP_b" submit echo -d x 2>&1)
like "$out" "$EP_a" "  a submit to the standby is refused, naming the leader"

# ---- the leader is killed: the standby takes over with the queue ----
for n in 1 2 3; do "$ZTASK" -b "$EP_a" submit queued-type -d "q$n" --key "k$n" >/dev/null; done
kill -9 "$PID_a"; wait "$PID_a" 2>/dev/null
wait_for "leads b 2" 20
ok $? "the standby leads (term 2) after the leader was killed"
like "$(json "$EP_b" stats)" '"queued":3' "  with the 3 queued tasks recovered from the store"
is "$("$ZTASK" -b "$EP_b" submit queued-type -d q2 --key k2)" 2 "  a resubmit with a key finds the task the old leader accepted"
is "$("$ZTASK" -b "$EP_b" submit queued-type -d q4)" 4 "  new tasks take the next id"

ha_broker a
wait_for "stands_by a b 2" 20
ok $? "the old leader, restarted, stands by"

# ---- a worker given both endpoints follows the leader, keeping its task ----
cat > "$T/w.cfg" <<CFG
broker = ["$EP_a", "$EP_b"];
name = "w";
slots = 2;
priorities = "all";
plugins = ( $(zt_plugin_entry hold) );
CFG
"$ZWORKER" -c "$T/w.cfg" -f >>"$T/w.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "[ \"\$(zt_worker_names -b $EP_b)\" = w ]" 20
ok $? "a worker with the list [standby, leader] registers with the leader"
id=$("$ZTASK" -b "$EP_b" submit hold -d held)
wait_for "zt_held $id" 20
ok $? "  and runs a task ($id)"

# ---- the leader freezes (SIGSTOP): replaced; woken, it commits nothing ----
kill -STOP "$PID_b"
# A submit that reaches the frozen leader waits in its socket until it wakes.
"$ZTASK" -b "$EP_b" -t 60000 submit fenced-type -d late >"$T/late.out" 2>&1 &
late=$!
wait_for "leads a 3" 20
ok $? "a standby takes over from the frozen leader (term 3)"
wait_for "[ \"\$(zt_worker_names -b $EP_a)\" = w ]" 20
ok $? "  the worker moved to the new leader"
like "$(json "$EP_a" status "$id")" '"state":"running"' "  and still runs task $id there (its attempt kept)"
kill -CONT "$PID_b"
wait "$late"; rc=$?
[ "$rc" -ne 0 ]
ok $? "the old leader, woken, refuses the submit it held (exit $rc: $(head -1 "$T/late.out"))"
wait_for "stands_by b a 3" 20
ok $? "  and stands by"
json "$EP_a" list --limit 100 | grep -q fenced-type
ok $((! $?)) "  nothing it accepted after losing the lead is in the store"
zt_release held
wait_for "[ \"\$(json $EP_a status $id | grep -o '\"state\":\"done\"')\" != '' ]" 20
ok $? "the task ends done on the new leader"
is "$(grep -c "^$id " "$HOLD_LOG")" 1 "  having run once"

# ---- a clean stop hands over at once ----
kill -TERM "$PID_a"; wait "$PID_a" 2>/dev/null
grep -q "broker: a resigned the lead" "$T/a.log"
ok $? "a leader stopped with SIGTERM resigns"
wait_for "leads b 4" 20
ok $? "  and the standby leads (term 4)"

# ---- a leader frozen between its renewal and its COMMIT holds the lease
#      row: the standby must still take over (it ends that session first,
#      never waiting on the row). The frozen transaction is played by a
#      psql session of its own, named ztaskd, that the row names as the
#      leader's session: it renews, and sleeps before committing. ----
ha_broker a
wait_for "stands_by a b 4" 20
ok $? "the stopped broker, restarted, stands by"
kill -STOP "$PID_b"
PGAPPNAME=ztaskd "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U ztask -d ztask_test >"$T/frozen.out" 2>&1 <<'SQL' &
UPDATE ztask_leader SET backend = pg_backend_pid () WHERE pool = 'default';
BEGIN;
UPDATE ztask_leader SET expires = expires WHERE pool = 'default';
SELECT pg_sleep (120);
SQL
frozen=$!
PIDS="$PIDS $frozen"
wait_for "[ \"\$(pg_sql \"SELECT count (*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'ztask_leader' AND l.mode = 'RowExclusiveLock' AND l.granted\")\" -gt 0 ]" 20
ok $? "the frozen leader's renewal holds the lease row"
wait_for "leads a 5" 20
ok $? "  the standby takes over all the same (term 5)"
wait_for "! kill -0 $frozen" 20
ok $? "  having ended the frozen session"
kill -CONT "$PID_b"
wait_for "grep -q 'broker: b no longer leads' '$T/b.log' || stands_by b a 5" 20
ok $? "  the old leader, woken, stands by"

kill -0 "$PID_a" 2>/dev/null && kill -0 "$PID_b" 2>/dev/null
ok $? "no broker crashed"
done_testing
