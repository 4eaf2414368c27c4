#!/bin/bash
# A worker given several brokers finds the one that answers: it skips a
# dead endpoint, and when its broker is killed with SIGKILL and comes back
# on the other endpoint of its list (same store), it registers there,
# keeps its running task (not run twice) and delivers its result; a
# draining worker does the same until its drain ends; with CURVE it uses
# the key of each broker it connects to. The tasks are hold
# tasks (tests/fixtures/hold.c): each runs until the test releases it, so
# it is running when the broker is killed, however slow the machine.
# (The standby's ERROR NOT_LEADER path is tested with the real standby
# broker; endpoints_test covers where it sends the worker.)
. "${top_srcdir:-.}/tests/lib.sh"

# ---- helpers ----

# A loopback endpoint nothing listens on (zt_free_port).
zt_dead_endpoint () { echo "tcp://127.0.0.1:$(zt_free_port)"; }

# zt_list_worker NAME BROKER-SETTING: a worker with one hold slot whose
# config sets `broker = BROKER-SETTING;` ("" leaves it out: the worker
# takes $WORKER_BROKER_ENV as $ZTASK_BROKER). Waits until the broker at
# $ZTASK_BROKER lists it; sets WORKER_PID.
zt_list_worker () {
    {
        [ -n "$2" ] && echo "broker = $2;"
        echo "name = \"$1\";"
        echo "plugins = ( $(zt_plugin_entry hold) );"
    } > "$T/$1.cfg"
    ZTASK_BROKER=${WORKER_BROKER_ENV:-$ZTASK_BROKER} "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$1\"'" 15
}

# Kills the broker with SIGKILL and starts it again on endpoint $1, with
# the same store; exports ZTASK_BROKER=$1 for the ztask commands.
zt_broker_move () {
    { kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
    zt_forget "$BROKER_PID"
    sed -i "s|^endpoint = .*|endpoint = \"$1\";|" "$T/broker.cfg"
    local before
    before=$(grep -c 'listening on tcp' "$T/broker.log")
    echo "---- restart on $1" >>"$T/broker.log"
    "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    export ZTASK_BROKER=$1
    wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt $before ]" 10
}

# Executions of task ID (the hold fixture logs each start).
executions () { grep -c "^$1 " "$HOLD_LOG" 2>/dev/null || true; }

zt_broker
first=$ZTASK_BROKER
dead=$(zt_dead_endpoint)
echo "# broker at $first; nothing at $dead"

# ---- (a) [dead, live]: the worker skips the dead endpoint ----
zt_list_worker skip "[\"$dead\", \"$first\"]"
ok $? "a worker given [dead, live] registers with the live broker"
like "$(cat "$T/skip.log")" "no answer to REGISTER from the broker at $dead; trying $first" \
    "  after it logged that the dead one did not answer"
kill "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null; zt_forget "$WORKER_PID"

WORKER_BROKER_ENV="$dead,$first" zt_list_worker env ""
ok $? "so does one given \$ZTASK_BROKER=\"dead,live\""
kill "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null; zt_forget "$WORKER_PID"

# ---- (b) its broker dies and comes back on the other endpoint ----
# Pin the first endpoint, so that the broker can come back there later.
sed -i "s|^endpoint = .*|endpoint = \"$first\";|" "$T/broker.cfg"
second=$(zt_dead_endpoint)
zt_list_worker follower "\"$first, $second\""
ok $? "a worker given \"first, second\" registers with the broker at the first"
id=$("$ZTASK" submit hold -d "")
wait_for "zt_held $id" 20
ok $? "its task $id is running (held)"

zt_broker_move "$second"
ok $? "the broker is killed and started again on the second endpoint, same store"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"follower\"'" 20
ok $? "the worker registers with it there"
like "$(cat "$T/follower.log")" "lost the connection to the broker at $first; trying $second" \
    "  having moved on as soon as the connection to the first ended"
is "$(zt_field "$id" state) $(zt_field "$id" worker)" "running follower" "  and keeps its task running"
zt_release "$id"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 20
ok $? "released, the task ends done"
is "$("$ZTASK" result "$id" 2>&1)" "released $id" "  with its result"
is "$(executions "$id") $(zt_field "$id" attempts)" "1 1" "  after one execution, one attempt"

# ---- (c) a draining worker follows too, until its drain ends ----
id=$("$ZTASK" submit hold -d "")
wait_for "zt_held $id" 20
ok $? "another task $id is running"
kill -TERM "$WORKER_PID"
wait_for "grep -q 'draining' '$T/broker.log'" 20
ok $? "the worker drains (SIGTERM)"
zt_broker_move "$first"
ok $? "the broker is killed and started again on the first endpoint"
wait_for "\"$ZTASK\" workers --json | grep -q '\"draining\": true'" 20
ok $? "the draining worker registers with it there, still draining"
is "$(zt_field "$id" state)" "running" "  with its task still running"
zt_release "$id"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 20
ok $? "released, the task ends done"
is "$("$ZTASK" result "$id" 2>&1) $(executions "$id")" "released $id 1" "  with its result, after one execution"
wait_for "! kill -0 $WORKER_PID" 20
ok $? "then the worker exits"
wait "$WORKER_PID" 2>/dev/null
is "$?" 0 "  with status 0"
zt_forget "$WORKER_PID"

# ---- (d) CURVE: each endpoint with its own broker key ----
K="$T/keys"
mkdir -p "$K" "$T/allow/clients" "$T/allow/workers"
for name in broker-a broker-b w1 alice; do
    "$ZTASK" keygen "$name" -o "$K" >/dev/null || { echo "Bail out! keygen $name failed"; exit 1; }
done
cp "$K/w1.key" "$T/allow/workers/"
cp "$K/alice.key" "$T/allow/clients/"
# The broker at the first endpoint has broker-a's keys, at the second broker-b's.
{ kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
zt_forget "$BROKER_PID"
sed -i "s|^endpoint = .*|endpoint = \"$first\";|" "$T/broker.cfg"
echo "curve = { secret = \"$K/broker-a.key_secret\"; allow = \"$T/allow\"; };" >>"$T/broker.cfg"
zt_broker_move "$first"
ok $? "a CURVE broker with broker-a's keys listens on the first endpoint"
export ZTASK_CERT="$K/alice.key_secret" ZTASK_BROKER_CERT="$K/broker-a.key"
cat > "$T/curved.cfg" <<CFG
broker = ["$first", "$second"];
name = "curved";
curve = { secret = "$K/w1.key_secret";
          broker = ["$K/broker-a.key", "$K/broker-b.key"]; };
plugins = ( $(zt_plugin_entry hold) );
CFG
"$ZWORKER" -c "$T/curved.cfg" -f >>"$T/curved.log" 2>&1 &
WORKER_PID=$!
PIDS="$PIDS $WORKER_PID"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"curved\"'" 15
ok $? "a worker with a curve.broker key per endpoint registers with broker-a"
id=$("$ZTASK" submit hold -d "")
wait_for "zt_held $id" 20
ok $? "its task $id is running"
sed -i "s|broker-a.key_secret|broker-b.key_secret|" "$T/broker.cfg"
zt_broker_move "$second"
ok $? "the broker comes back on the second endpoint with broker-b's keys"
export ZTASK_BROKER_CERT="$K/broker-b.key"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"curved\"'" 20
ok $? "the worker registers there, with broker-b's key"
zt_release "$id"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 20
ok $? "released, its task ends done"
is "$(executions "$id") $(zt_field "$id" attempts)" "1 1" "  after one execution, one attempt"
kill "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null; zt_forget "$WORKER_PID"

done_testing
