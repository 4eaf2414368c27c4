#!/bin/bash
# A worker killed with SIGKILL mid-task: the task completes elsewhere. The
# tasks are hold tasks (tests/fixtures/hold.c): each runs until the test
# releases it, so it is still running when the test kills or stops its
# worker, however slow the machine.
. "${top_srcdir:-.}/tests/lib.sh"

zt_broker

zt_worker doomed 1 '"all"' hold
doomed=$WORKER_PID
id=$("$ZTASK" submit hold -d "")
wait_for "[ \"\$(zt_field $id state)\" = running ]" 20
ok $? "the task is running"
is "$(zt_field "$id" worker)" "doomed" "on the first worker"

zt_worker survivor 2 '"all"' hold
kill -9 "$doomed"
wait_for "grep -q '^$id 2\$' '$HOLD_LOG'" 20
ok $? "after its worker was killed, the task runs again (attempt 2)"
is "$(zt_field "$id" worker)" "survivor" "  on the surviving worker"
zt_release "$id"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 20
ok $? "the task completed after its worker was killed"
is "$(zt_field "$id" worker)" "survivor" "on the surviving worker"
is "$(zt_field "$id" attempts)" "2" "as its second attempt"
is "$("$ZTASK" result "$id")" "released $id" "with its result"
like "$(cat "$T/broker.log")" "worker doomed (silent|unreachable)" "the broker logged the lost worker"

# The broker forgot the dead worker.
is "$(zt_worker_names)" "survivor" "the dead worker is no longer listed, the survivor is"

# SIGTERM drains: the running task finishes on the stopping worker, which
# takes no new task meanwhile (it has a free slot), then leaves.
id=$("$ZTASK" submit hold -d "")
wait_for "[ \"\$(zt_field $id state)\" = running ]" 20
kill -TERM "$WORKER_PID"
wait_for "grep -q 'draining' '$T/broker.log'" 20
ok $? "the broker hears that the worker drains"
later=$("$ZTASK" submit hold -d later)
sleep 0.5
is "$(zt_field "$later" state)" "queued" "a draining worker takes no new task, though a slot is free"
is "$(zt_field "$id" state)" "running" "  while its running task goes on"
zt_release "$id"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 20
ok $? "the running task finishes during the drain"
is "$(zt_field "$id" worker)" "survivor" "on the draining worker"
wait_for "! kill -0 $WORKER_PID" 20
ok $? "then the worker exits"
zt_release later
zt_worker second 1 '"all"' hold
wait_for "[ \"\$(zt_field $later state)\" = done ]" 20
ok $? "the task that waited runs on the next worker"

done_testing
