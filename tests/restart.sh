#!/bin/bash
# Broker restart: ztaskd killed with SIGKILL and started again on the same
# store and endpoint loses no accepted task, lets a worker that kept running
# a task deliver its result, answers a client that was waiting, and keeps
# handing out larger ids.
. "${top_srcdir:-.}/tests/lib.sh"

RECORD_SO="$top_builddir/tests/fixtures/.libs/record.so"
EXECUTIONS="$T/executions.txt" # "TASKID ATTEMPT" per execution (record plugin)

# ---- helpers (restart-specific; tests/lib.sh has the common ones) ----

# Pins the endpoint in broker.cfg to the port the broker picked, so that a
# restart with the same config listens where clients and workers connect.
zt_broker_pin_endpoint () {
    sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg"
}

# SIGKILLs the broker and starts it again with the same config (store and
# endpoint). Returns non-zero if the new broker does not listen in 10 s.
zt_broker_kill () {
    { kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
    zt_forget "$BROKER_PID"
}
zt_broker_start_again () {
    local before
    before=$(grep -c 'listening on tcp' "$T/broker.log")
    echo "---- restart" >>"$T/broker.log"
    "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt $before ]" 10
}
zt_broker_restart () { zt_broker_kill; zt_broker_start_again; }

# zt_record_worker NAME SLOTS: a worker with the record plugin and the
# hold fixture (tests/lib.sh: a task that runs until the test releases it).
zt_record_worker () {
    cat > "$T/$1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$1";
slots = $2;
plugins = ( { name = "record"; file = "$RECORD_SO"; settings = { path = "$EXECUTIONS"; }; },
            $(zt_plugin_entry hold) );
CFG
    "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$1\"'" 10 \
        || { echo "Bail out! worker $1 did not register"; exit 1; }
}

# Executions of task ID recorded so far (record or hold).
executions () { cat "$EXECUTIONS" "$HOLD_LOG" 2>/dev/null | grep -c "^$1 " || true; }

# Shows what the logs say about task ID when an assertion failed since
# failed_before was set.
explain_if_failed () {
    [ "$tap_failed" -eq "$failed_before" ] && return 0
    failed_before=$tap_failed
    echo "#   executions of task $1 (id attempt):"; cat "$EXECUTIONS" "$HOLD_LOG" 2>/dev/null | grep "^$1 " | sed 's/^/#     /'
    echo "#   status: $("$ZTASK" status --json "$1" 2>&1 | tr -d '\n' | tr -s ' ')"
    grep -h -E "task $1( |$)|restarted|registered|requeued|recovered|reconnect" "$T"/*.log \
        | tail -15 | sed 's/^/#     /'
}

: > "$EXECUTIONS"
zt_broker 'sync = "normal";'
zt_broker_pin_endpoint
endpoint=$ZTASK_BROKER

# ---- (a) tasks accepted while no worker is connected survive a kill -9 ----
queued=""
for n in 1 2 3 4 5; do queued="$queued $("$ZTASK" submit record -d 10)"; done
like "$queued" '^( [0-9]+){5}$' "five tasks accepted with no worker connected"
zt_broker_restart
ok $? "the broker restarts after kill -9 on the same store and endpoint"
is "$(grep -o 'listening on tcp://[0-9.:]*' "$T/broker.log" | tail -1 | sed 's/listening on //')" \
    "$endpoint" "  and listens on the same endpoint"
# It listens before it recovers (a PostgreSQL broker first takes the lease):
# wait for the log line rather than race it.
wait_for "grep -q 'recovered 5 unfinished tasks' '$T/broker.log'" 20
ok $? "  and recovers the five tasks"
states=""
for id in $queued; do states="$states $(zt_field "$id" state)"; done
is "$states" " queued queued queued queued queued" "they are still queued after the restart"

zt_record_worker w1 4
all_done () { local id; for id in "$@"; do [ "$(zt_field "$id" state)" = done ] || return 1; done; }
wait_for "all_done $queued" 10
ok $? "all complete when a worker arrives"
once=0
for id in $queued; do [ "$(executions "$id")" = 1 ] && once=$((once + 1)); done
is "$once" 5 "  each ran exactly once"

# ---- (b) a task running while the broker restarts completes exactly once ----
# ---- (c) a client waiting across the restart gets the result            ----
# Hold tasks: they run until released, so both are running when the broker
# is killed, however slow the machine.
long=$("$ZTASK" submit hold -d "")
"$ZTASK" submit hold -d waited --wait >"$T/wait.out" 2>"$T/wait.err" &
waiter=$!
PIDS="$PIDS $waiter"
# Both have started once the hold log holds two lines.
wait_for "[ \$(wc -l < '$HOLD_LOG') -ge 2 ]" 20
ok $? "two hold tasks are running, one of them awaited by a client"
waited=$(awk -v long="$long" '$1 != long { print $1 }' "$HOLD_LOG" | head -1)
echo "# running: task $long, task $waited (awaited)"
failed_before=$tap_failed
zt_broker_restart
ok $? "the broker is killed mid-run and restarted"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 20
ok $? "the worker reconnects to the restarted broker"
is "$(zt_field "$long" state) $(zt_field "$waited" state)" "running running" \
    "  and keeps both tasks running: they are still held"
zt_release "$long" waited
wait_for "[ \"\$(zt_field $long state)\" = done ]" 15
ok $? "the task running across the restart is done"
is "$("$ZTASK" result "$long" 2>&1)" "released $long" "  with its result"
is "$(executions "$long")" 1 "  after exactly one execution (its result, sent after the restart, was accepted)"
explain_if_failed "$long"
echo "# task $long: attempts $(zt_field "$long" attempts), worker $(zt_field "$long" worker)"

wait_for "! kill -0 $waiter" 15
ok $? "the client's submit --wait returned after the restart"
wait "$waiter" 2>/dev/null
is "$?" 0 "  with exit status 0"
zt_forget "$waiter"
is "$(cat "$T/wait.out")" "released $waited" "  and printed the result"
[ $tap_failed -eq $failed_before ] || sed 's/^/#   stderr: /' "$T/wait.err"
is "$(executions "$waited")" 1 "  of its task's only execution"
explain_if_failed "$waited"

# ---- (d) ids go on growing after a restart ----
max=0
for id in $queued $long $waited; do [ "$id" -gt "$max" ] && max=$id; done
new=$("$ZTASK" submit record -d 1)
[ -n "$new" ] && [ "$new" -gt "$max" ]
ok $? "a task submitted after the restart gets a larger id ($new > $max)"
wait_for "[ \"\$(zt_field $new state)\" = done ]" 10
ok $? "  and completes"

done_testing
