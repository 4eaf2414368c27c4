#!/bin/bash
# A result the plugin produced is not thrown away (docs/guarantees.md,
# "Cancel" and "A time limit"): a plugin that returns success after it was
# cancelled, or after its timeout, ends `done` with its result; one that
# fails then ends cancelled, or timed out. With isolation = "process" the
# plugin's process is killed: no result, so cancelled or timed out.
#
# The fixture (tests/fixtures/ignore_cancel.c) runs until the test creates
# its gate file and says when it has seen the cancel flag, so every state
# checked here holds until the test releases it: no timer decides it.
. "${top_srcdir:-.}/tests/lib.sh"

IGNORE_SO="$top_builddir/tests/fixtures/.libs/ignore_cancel.so"
[ -f "$IGNORE_SO" ] || { echo "Bail out! $IGNORE_SO is missing (make check builds it)"; exit 1; }

# ic_worker NAME ISOLATION: a one-slot worker with the fixture. Sets WORKER_PID.
ic_worker () {
    cat > "$T/$1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$1";
slots = 1;
priorities = "all";
isolation = "$2";
drain_timeout_ms = 500;
plugins = ( { name = "ignore_cancel"; file = "$IGNORE_SO"; } );
CFG
    "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$1\"'" 10 \
        || { echo "Bail out! worker $1 did not register"; exit 1; }
}

# ends ID: waits (up to 10 s) until the task has ended; prints its state.
ends () {
    wait_for "zt_field $1 state | grep -Eq '^(done|failed|cancelled)$'" 10
    zt_field "$1" state
}

zt_broker
ic_worker ic-thread thread
thread_worker=$WORKER_PID

# --- cancelled, then returns success: done, with its result ---
gate=$T/gate-cancel-ok
id=$("$ZTASK" submit ignore_cancel -d "$gate" --attempts 1)
wait_for "[ -e '$gate.started' ]" 10
ok $? "the plugin runs"
out=$("$ZTASK" cancel "$id");                           is $? 0 "cancel of the running task: exit 0"
is "$out" "task $id is being stopped" "  it is being stopped"
wait_for "[ -e '$gate.cancelled' ]" 10
ok $? "  the plugin sees ztask_cancelled set (and goes on)"
is "$(zt_field "$id" state)" "running" "  the task is still running while the plugin holds it"
touch "$gate"
is "$(ends "$id")" "done" "a plugin that returns success after the cancel ends done"
is "$("$ZTASK" result "$id")" "ignored the cancel" "  with the result it produced after the cancel"
is "$(zt_field "$id" error)" "" "  and no error"
is "$(zt_field "$id" attempts)" "1" "  after its one attempt"
like "$(cat "$T/ic-thread.log")" "task $id attempt 1 succeeded although it was stopped: reporting its result" \
    "  the worker logs that it reports a result after a cancel"

# --- timed out, then returns success: done, with its result ---
gate=$T/gate-timeout-ok
id=$("$ZTASK" submit ignore_cancel -d "$gate" --attempts 1 --timeout 200ms)
wait_for "[ -e '$gate.cancelled' ]" 10
ok $? "a plugin past its 200 ms timeout sees ztask_cancelled set (and goes on)"
is "$(zt_field "$id" state)" "running" "  the task is still running while the plugin holds it"
touch "$gate"
is "$(ends "$id")" "done" "a plugin that returns success after its timeout ends done"
is "$("$ZTASK" result "$id")" "ignored the cancel" "  with its result"
is "$(zt_field "$id" attempts)" "1" "  after its one attempt"
like "$(cat "$T/ic-thread.log")" "task $id attempt 1 succeeded although it timed out: reporting its result" \
    "  the worker logs that it reports a result after the timeout"

# --- the same plugins failing: cancelled, and timed out ---
gate=$T/gate-cancel-fail
id=$("$ZTASK" submit ignore_cancel -d "fail:$gate" --attempts 1)
wait_for "[ -e '$gate.started' ]" 10
"$ZTASK" cancel "$id" >/dev/null
wait_for "[ -e '$gate.cancelled' ]" 10
ok $? "a plugin that will fail sees the cancel"
touch "$gate"
is "$(ends "$id")" "cancelled" "  and once it fails, the task ends cancelled"
is "$(zt_field "$id" error)" "cancelled by a client" "  cancelled by a client"

gate=$T/gate-timeout-fail
id=$("$ZTASK" submit ignore_cancel -d "fail:$gate" --attempts 1 --timeout 200ms)
wait_for "[ -e '$gate.cancelled' ]" 10
ok $? "a plugin that will fail sees its timeout"
touch "$gate"
is "$(ends "$id")" "failed" "  and once it fails, the task fails"
like "$(zt_field "$id" error)" "^timed out after 200 ms" "  as timed out (not the plugin's own error)"

# --- not cancelled at all: done, and says so ---
gate=$T/gate-plain
touch "$gate"
id=$("$ZTASK" submit ignore_cancel -d "$gate")
is "$(ends "$id")" "done" "a task nobody cancels ends done"
is "$("$ZTASK" result "$id")" "not cancelled" "  and its plugin never saw the cancel flag"

kill -TERM "$thread_worker"
wait "$thread_worker"
is $? 0 "the thread-isolation worker stops cleanly"

# --- isolation = "process": the child is killed, so there is no result ---
ic_worker ic-process process
process_worker=$WORKER_PID
children () { ps -o pid= --ppid "$1" | wc -l; }

gate=$T/gate-process-cancel
id=$("$ZTASK" submit ignore_cancel -d "$gate" --attempts 1)
wait_for "[ -e '$gate.started' ]" 10
ok $? "process isolation: the plugin runs in its child"
"$ZTASK" cancel "$id" >/dev/null
is "$(ends "$id")" "cancelled" "  a cancel kills the child: the task ends cancelled"
is "$(children "$process_worker")" 0 "  the child was killed and reaped"
[ ! -e "$gate.cancelled" ]
ok $? "  (the child never saw the flag: it was killed)"

gate=$T/gate-process-timeout
id=$("$ZTASK" submit ignore_cancel -d "$gate" --attempts 1 --timeout 200ms)
is "$(ends "$id")" "failed" "process isolation: a timeout kills the child: the task fails"
like "$(zt_field "$id" error)" "^timed out after 200 ms" "  as timed out"

gate=$T/gate-process-plain
touch "$gate"
id=$("$ZTASK" submit ignore_cancel -d "$gate")
is "$(ends "$id")" "done" "  the worker still runs the next task"
is "$("$ZTASK" result "$id")" "not cancelled" "  with its result"

done_testing
