#!/bin/bash
# A worker killed with SIGKILL mid-task: the task completes elsewhere.
. "${top_srcdir:-.}/tests/lib.sh"

zt_broker

zt_worker doomed 1 '"all"' sleep
doomed=$WORKER_PID
id=$("$ZTASK" submit sleep -d 1500)
wait_for "[ \"\$(zt_field $id state)\" = running ]" 5
ok $? "the task is running"
is "$(zt_field "$id" worker)" "doomed" "on the first worker"

zt_worker survivor 1 '"all"' sleep
kill -9 "$doomed"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 15
ok $? "the task completed after its worker was killed"
is "$(zt_field "$id" worker)" "survivor" "on the surviving worker"
is "$(zt_field "$id" attempts)" "2" "as its second attempt"
is "$("$ZTASK" result "$id")" "slept 1500 ms" "with its result"
like "$(cat "$T/broker.log")" "worker doomed (silent|unreachable)" "the broker logged the lost worker"

# The broker forgot the dead worker.
"$ZTASK" workers --json | grep -q '"name": "doomed"'
ok $((! $?)) "the dead worker is no longer listed"

# SIGTERM drains: the running task finishes on the stopping worker, which
# takes no new task meanwhile, then leaves.
id=$("$ZTASK" submit sleep -d 1500)
wait_for "[ \"\$(zt_field $id state)\" = running ]" 5
kill -TERM "$WORKER_PID"
wait_for "grep -q 'draining' '$T/broker.log'" 5
ok $? "the broker hears that the worker drains"
later=$("$ZTASK" submit sleep -d 10)
sleep 0.5
is "$(zt_field "$later" state)" "queued" "a draining worker takes no new task"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 10
ok $? "the running task finishes during the drain"
is "$(zt_field "$id" worker)" "survivor" "on the draining worker"
wait_for "! kill -0 $WORKER_PID" 10
ok $? "then the worker exits"
zt_worker second 1 '"all"' sleep
wait_for "[ \"\$(zt_field $later state)\" = done ]" 10
ok $? "the task that waited runs on the next worker"

done_testing
