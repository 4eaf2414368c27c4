#!/bin/bash
# isolation = "process": a plugin that crashes, exits or hangs fails only
# that attempt, with the cause named; the worker lives on and the next task
# runs in a fresh child. isolation = "thread" still runs plugins.
. "${top_srcdir:-.}/tests/lib.sh"

CRASH_SO="$top_builddir/tests/fixtures/.libs/crash.so"
[ -f "$CRASH_SO" ] || { echo "Bail out! $CRASH_SO is missing (make check builds it)"; exit 1; }
ulimit -c 0 # the crashes on purpose leave no core files

# crash_worker NAME ISOLATION [PRIORITIES]: a one-slot worker loading the
# crash fixture. Sets WORKER_PID.
crash_worker () {
    local priorities=${3:-'"all"'}
    cat > "$T/$1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$1";
slots = 1;
priorities = $priorities;
isolation = "$2";
drain_timeout_ms = 500;
max_result = 200000;
plugins = ( { name = "crash"; file = "$CRASH_SO"; }, { name = "echo"; }, { name = "sleep"; },
            $(zt_plugin_entry hold) );
CFG
    "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$1\"'" 10 \
        || { echo "Bail out! worker $1 did not register"; exit 1; }
}

# run_crash PAYLOAD [SUBMIT OPTIONS]: submits a one-attempt crash task and
# waits (up to 10 s) until it is done or failed. Sets ID and STATE.
run_crash () {
    local payload=$1; shift
    ID=$("$ZTASK" submit crash -d "$payload" --attempts 1 "$@")
    wait_for "zt_field $ID state | grep -Eq '^(done|failed)$'" 10
    STATE=$(zt_field "$ID" state)
}

# Children of the worker (plugin processes still alive, or zombies).
children () { ps -o pid= --ppid "$1" | wc -l; }
# Succeeds while process $1 runs (kill -0 alone also counts a zombie).
alive () { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" | grep -q Z; }

zt_broker

# ---- process isolation ----
crash_worker iso-process process
worker=$WORKER_PID

run_crash segv
is "$STATE" failed "segv: the attempt fails"
like "$(zt_field "$ID" error)" "plugin crashed: killed by signal 11 \(" "  naming signal 11"
alive "$worker"
ok $? "  the worker is still alive"
like "$(cat "$T/iso-process.log")" "task $ID attempt 1: plugin crashed: killed by signal 11" \
    "  and logged the crash"

run_crash ok
is "$STATE" done "the next task runs in a fresh child"
is "$("$ZTASK" result "$ID")" "survived" "  with its result"
is "$(zt_field "$ID" worker)" iso-process "  on the same worker"

run_crash exit
is "$STATE" failed "exit (3) inside run fails the attempt"
like "$(zt_field "$ID" error)" "plugin exited with status 3 before finishing" "  naming the status"
alive "$worker"
ok $? "  the worker is still alive"

start=$(date +%s%N)
run_crash hang --timeout 500ms
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
is "$STATE" failed "a hanging plugin that never checks ztask_cancelled is stopped by its timeout"
like "$(zt_field "$ID" error)" "timed out" "  as timed out"
# (run_crash waited at most 10 s: a timeout that did not stop it fails above)
echo "# the 500 ms timeout stopped it $elapsed ms after the submit"
is "$(children "$worker")" 0 "  its process was killed and reaped"

run_crash ok
is "$STATE" done "the worker still serves after the timeout"

run_crash abort
is "$STATE" failed "abort fails the attempt"
like "$(zt_field "$ID" error)" "killed by signal 6 \(" "  naming signal 6"
is "$(children "$worker")" 0 "no plugin process is left behind (no zombies)"

# A crash is worth another attempt; a plugin's own failure says whether.
ID=$("$ZTASK" submit crash -d segv --attempts 2)
wait_for "[ \"\$(zt_field $ID state)\" = failed ]" 10
is "$(zt_field "$ID" attempts)" 2 "a crashed attempt is retried (attempts 2 of 2)"
ID=$("$ZTASK" submit crash -d bogus --attempts 2)
wait_for "[ \"\$(zt_field $ID state)\" = failed ]" 10
is "$(zt_field "$ID" attempts)" 1 "a plugin's failure without retry is not retried"
like "$(zt_field "$ID" error)" "crash: unknown payload" "  and its error comes back from the child"

# Progress and results travel over the child's pipe. The hold task reports
# "held" and runs until the test releases it: the progress is seen while
# the child runs.
ID=$("$ZTASK" submit hold -d "")
wait_for "\"\$ZTASK\" status --json $ID | tr -d ' \n' | grep -q '\"progress\":{\"done\":0,\"total\":1,\"text\":\"held\"}'" 20
ok $? "progress from the child reaches the broker"
is "$(zt_field "$ID" state)" running "  while the task runs"
is "$(children "$worker")" 1 "  in a child process"
zt_release "$ID"
wait_for "[ \"\$(zt_field $ID state)\" = done ]" 20
is "$("$ZTASK" result "$ID")" "released $ID" "  and the result, once released"
head -c 150000 /dev/urandom | base64 -w 0 | head -c 150000 > "$T/big"
ID=$("$ZTASK" submit echo -i "$T/big")
wait_for "[ \"\$(zt_field $ID state)\" = done ]" 5
"$ZTASK" result "$ID" > "$T/big.out"
cmp -s "$T/big" "$T/big.out"
ok $? "a 150000-byte result (more than a pipe holds) comes back whole"
head -c 250000 /dev/zero | tr '\0' x > "$T/huge"
ID=$("$ZTASK" submit echo -i "$T/huge" --attempts 1)
wait_for "[ \"\$(zt_field $ID state)\" = failed ]" 5
like "$(zt_field "$ID" error)" "result refused: larger than the worker's max_result" \
    "a result above max_result is refused in the child"

# Cancel kills a hanging plugin too.
ID=$("$ZTASK" submit crash -d hang --attempts 1)
wait_for "[ \"\$(zt_field $ID state)\" = running ] && [ \"\$(children $worker)\" = 1 ]" 20
ok $? "a hanging task runs in a child process"
"$ZTASK" cancel "$ID" >/dev/null
wait_for "[ \"\$(children $worker)\" = 0 ]" 20
ok $? "  cancel kills and reaps it"
wait_for "[ \"\$(zt_field $ID state)\" = cancelled ]" 20
ok $? "  and the task is cancelled"
run_crash ok
is "$STATE" done "the worker still serves after the cancel"

# Stopping the worker while a child runs kills and reaps it.
ID=$("$ZTASK" submit crash -d hang --attempts 1)
wait_for "[ \"\$(zt_field $ID state)\" = running ] && [ \"\$(children $worker)\" = 1 ]" 5
ok $? "a hanging task runs in a child process"
child=$(ps -o pid= --ppid "$worker" | tr -d ' ')
kill -TERM "$worker"
wait_for "! alive $worker" 5
ok $? "the worker stops on SIGTERM while a plugin hangs"
[ -n "$child" ] && wait_for "! alive $child" 2
ok $? "  and its plugin process is gone"

# ---- thread isolation (the default) still works ----
# It serves only high priority: the hanging task handed back above must not
# reach a worker that cannot kill it.
crash_worker iso-thread thread '["high"]'
run_crash ok -p high
is "$STATE" done "thread isolation runs the plugin"
is "$("$ZTASK" result "$ID")" "survived" "  with its result"
is "$(zt_field "$ID" worker)" iso-thread "  on the thread worker"

done_testing
