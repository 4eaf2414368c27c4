#!/bin/bash
# Delayed tasks across a failover (docs/scheduling.md, docs/high-availability.md):
# two brokers on one PostgreSQL store; tasks are scheduled on the leader,
# which is killed (kill -9) before they are due; the standby takes over,
# recovers them as scheduled and runs each once, at (never before) its due
# time, on a worker given both endpoints. A task due in an hour stays
# scheduled through the takeover. No timer is raced: every wait is for a
# state, with a generous limit, and "not before due" compares the
# broker's own timestamps.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start

RECORD_SO="$top_builddir/tests/fixtures/.libs/record.so"
EXECUTIONS="$T/executions.txt"
: > "$EXECUTIONS"
executions () { grep -c "^$1 " "$EXECUTIONS" || true; }
json () { "$ZTASK" -b "$1" "${@:2}" --json 2>/dev/null | tr -d ' \n'; }
field () { "$ZTASK" -b "$1" status --json "$2" | sed -n "s/^  \"$3\": \(.*\)$/\1/p" | head -1 | sed 's/,$//; s/^"\(.*\)"$/\1/'; }

ha_broker a
wait_for "leads a 1" 20
ok $? "broker a leads"
ha_broker b
wait_for "stands_by b a 1" 20
ok $? "broker b stands by"

cat > "$T/w.cfg" <<CFG
broker = ["$EP_a", "$EP_b"];
name = "w";
slots = 4;
plugins = ( { name = "record"; file = "$RECORD_SO"; settings = { path = "$EXECUTIONS"; stamp = true; }; } );
CFG
"$ZWORKER" -c "$T/w.cfg" -f >>"$T/w.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "[ \"\$(zt_worker_names -b $EP_a)\" = w ]" 20
ok $? "a worker given both endpoints registers with the leader"

far=$("$ZTASK" -b "$EP_a" submit record -d 1 --in 1h --key far)
ids=""
for n in 1 2 3; do ids="$ids $("$ZTASK" -b "$EP_a" submit record -d 1 --in 10s --key "soon-$n")"; done
like "$ids" '^( [0-9]+){3}$' "three tasks due in 10 s and one due in an hour are accepted by the leader"
# The kill comes before they fall due, and this says so (a slow run
# fails here rather than testing nothing).
for id in $ids; do is "$(field "$EP_a" "$id" state)" scheduled "  task $id is scheduled before the kill"; done
is "$(field "$EP_a" "$far" state)" scheduled "  the task due in an hour is scheduled on the leader"

kill -9 "$PID_a"; wait "$PID_a" 2>/dev/null
zt_forget "$PID_a"
wait_for "leads b 2" 20
ok $? "the leader is killed; the standby leads (term 2)"
is "$(field "$EP_b" "$far" state)" scheduled "  the task due in an hour is scheduled on the new leader"
for id in $ids; do
    wait_for "[ \"\$(field $EP_b $id state)\" = done ]" 30
    ok $? "task $id ran on the new leader"
    is "$(executions "$id")" 1 "  once"
    [ "$(field "$EP_b" "$id" started_ms)" -ge "$(field "$EP_b" "$id" due_ms)" ]
    ok $? "  not before its due time ($(( $(field "$EP_b" "$id" started_ms) - $(field "$EP_b" "$id" due_ms) )) ms after)"
done
is "$("$ZTASK" -b "$EP_b" submit record -d 1 --in 10s --key soon-2)" "$(echo $ids | cut -d' ' -f2)" \
    "a key the old leader accepted returns the same task on the new one"
is "$(executions "$far")" 0 "the task due in an hour has not run"
"$ZTASK" -b "$EP_b" cancel "$far" >/dev/null
is "$(field "$EP_b" "$far" state)" cancelled "  and is cancelled on the new leader"

done_testing
