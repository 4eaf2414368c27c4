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

# A worker that leaves cleanly (SIGTERM) hands its task back at once.
id=$("$ZTASK" submit sleep -d 3000)
wait_for "[ \"\$(zt_field $id state)\" = running ]" 5
kill -TERM "$WORKER_PID"
zt_worker second 1 '"all"' sleep
wait_for "[ \"\$(zt_field $id state)\" = done ]" 15
ok $? "a task handed back by a stopping worker completes on another"
is "$(zt_field "$id" worker)" "second" "on the new worker"

done_testing
