#!/bin/bash
# The ztask command against a real broker: results, JSON, errors, exit codes.
. "${top_srcdir:-.}/tests/lib.sh"

# --- before any broker: usage errors and an unreachable broker ---
"$ZTASK" >/dev/null 2>&1;                              is $? 2 "no command: exit 2"
"$ZTASK" frobnicate >/dev/null 2>&1;                   is $? 2 "an unknown command: exit 2"
err=$("$ZTASK" submit sleep -p urgent -d 1 2>&1);      is $? 2 "an unknown priority: exit 2"
like "$err" "unknown priority 'urgent'" "  and says which"
"$ZTASK" status abc >/dev/null 2>&1;                   is $? 2 "a non-numeric id: exit 2"
"$ZTASK" submit sleep --attempts 0 -d 1 >/dev/null 2>&1; is $? 2 "--attempts 0: exit 2"
"$ZTASK" submit >/dev/null 2>&1;                       is $? 2 "submit without a type: exit 2"
err=$("$ZTASK" -b tcp://127.0.0.1:1 -t 300 stats 2>&1); is $? 5 "no broker: exit 5"
like "$err" "no answer from the broker" "  and says so"

zt_broker "max_payload = 100;"
zt_worker w 2 '"all"' echo sleep wordcount hold

# --- submit and results ---
id=$("$ZTASK" submit echo -d "abc")
like "$id" '^[0-9]+$' "submit prints the task id"
"$ZTASK" submit echo -d x --wait >/dev/null
is "$("$ZTASK" result "$id")" "abc" "result prints the result"
is "$(printf 'from stdin' | "$ZTASK" submit echo --wait)" "from stdin" "the payload can come from stdin"
printf 'one two\nthree\n' > "$T/input.txt"
is "$("$ZTASK" submit wordcount -i "$T/input.txt" --wait)" '{"lines": 2, "words": 3, "bytes": 14}' \
    "the payload can come from a file (-i)"
"$ZTASK" submit wordcount -i "$T/missing.txt" >/dev/null 2>&1; is $? 2 "a missing -i file: exit 2"

# --- failures ---
err=$("$ZTASK" submit sleep -d "soon" --wait 2>&1);    is $? 1 "a failed task with --wait: exit 1"
like "$err" "failed" "  with the error text"
fid=$("$ZTASK" submit sleep -d "never")
wait_for "[ \"\$(zt_field $fid state)\" = failed ]" 10
"$ZTASK" result "$fid" >/dev/null 2>&1;                is $? 1 "result of a failed task: exit 1"
like "$(zt_field "$fid" error)" "." "status shows the error of a failed task"

# --- not finished, not found, refused ---
sid=$("$ZTASK" submit hold -d "")   # runs until released
wait_for "zt_held $sid" 20
"$ZTASK" result "$sid" >/dev/null 2>&1;                is $? 3 "result of a running task: exit 3"
zt_release "$sid"
wait_for "[ \"\$(zt_field $sid state)\" = done ]" 20
ok $? "  it ends once released"
"$ZTASK" status 999999 >/dev/null 2>&1;                is $? 4 "an unknown task: exit 4"
err=$(head -c 200 /dev/zero | tr '\0' x | "$ZTASK" submit echo 2>&1); is $? 6 "a payload over max_payload: exit 6"
like "$err" "too large" "  and says why"

# --- idempotency key ---
k1=$("$ZTASK" submit echo -d once --key order-17)
k2=$("$ZTASK" submit echo -d twice --key order-17)
is "$k2" "$k1" "a repeated --key returns the existing task"
is "$("$ZTASK" submit echo -d first --key order-18 --wait)" "first" "--wait with a new --key: its result"
is "$("$ZTASK" submit echo -d second --key order-18 --wait)" "first" \
   "--wait with a --key of an ended task: that task's result, nothing run again"

# --- JSON ---
json=$("$ZTASK" status --json "$id" | tr -d ' \n')
like "$json" "\"id\":$id," "status --json has the id"
like "$json" '"state":"done"' "  the state"
like "$json" '"type":"echo"' "  the type"
like "$json" '"worker":"w"' "  the worker"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"workers":1,' "stats --json counts the workers"
like "$("$ZTASK" workers --json | tr -d ' \n')" '"plugins":\[\{"name":"echo","version":"1.0.0"\}' \
    "workers --json lists plugins with versions"
out=$("$ZTASK" workers)
like "$(printf '%s\n' "$out" | head -1)" '^NAME +HOST +BUSY/SLOTS +PRIORITIES +PLUGINS$' "workers prints a table"
is "$(printf '%s\n' "$out" | sed 1d | grep -v '^ ' | awk '{ print $1 }')" "w" "  with one row: worker w"
like "$(printf '%s\n' "$out" | awk '$1 == "w"')" '^w +[^ ]+ +[0-9]+/2 +0-9 +echo@1\.0\.0 sleep@1\.0\.0 wordcount@1\.0\.0 hold@1\.0\.0$' \
    "  its slots, priorities and plugins"
like "$("$ZTASK" stats)" "sleep" "stats prints a table by type"

# --- progress reaches a waiting client ---
# A hold task reports "held" (0 of 1) as it starts and runs until released:
# the progress must show while it runs, before the test releases it.

# On a terminal (script(1) gives it one): the progress line on stderr,
# then the result.
script -qfc "\"$ZTASK\" submit hold -d tty --wait" /dev/null > "$T/tty.out" 2>&1 < /dev/null &
waiter=$!
PIDS="$PIDS $waiter"
wait_for "grep -q 'held (0/1)' '$T/tty.out'" 20
ok $? "submit --wait on a terminal shows the progress while the task runs"
like "$(tr '\r' '\n' < "$T/tty.out" | grep 'held')" '^\[ +\] +0% held \(0/1\)$' "  as a progress line"
tty_id=$(awk '{ id = $1 } END { print id }' "$HOLD_LOG")
is "$(zt_field "$tty_id" state)" running "  the task still held"
zt_release tty
wait_for "! kill -0 $waiter" 20
ok $? "  released, submit --wait returns"
wait "$waiter"
is $? 0 "  exit 0"
out=$(tr '\r' '\n' < "$T/tty.out" | grep -v '^ *$' | tail -1)
is "$out" "released $tty_id" "  the progress line is cleared and the result follows"

# stdout to a file, stderr on the terminal: the progress on the terminal
# only; the file holds the result alone.
script -qfc "\"$ZTASK\" submit hold -d tty2 --wait > '$T/tty2.result'" /dev/null > "$T/tty2.out" 2>&1 < /dev/null &
waiter=$!
PIDS="$PIDS $waiter"
wait_for "grep -q 'held (0/1)' '$T/tty2.out'" 20
ok $? "submit --wait with stdout redirected: the progress shows on the terminal (stderr)"
zt_release tty2
wait_for "! kill -0 $waiter" 20
wait "$waiter"
is $? 0 "  exit 0 once released"
tty2_id=$(awk '{ id = $1 } END { print id }' "$HOLD_LOG")
is "$(cat "$T/tty2.result")" "released $tty2_id" "  and the result alone in the file"

# A client that starts waiting after the task's last report (here its
# only one): it hears the progress at once, not at a next report.
late_id=$("$ZTASK" submit hold -d late --key late-waiter)
wait_for "zt_held $late_id" 20
script -qfc "\"$ZTASK\" submit hold -d late --key late-waiter --wait" /dev/null > "$T/late.out" 2>&1 < /dev/null &
waiter=$!
PIDS="$PIDS $waiter"
wait_for "grep -q 'held (0/1)' '$T/late.out'" 20
ok $? "a client that waits after the last progress report is told the progress at once"
zt_release late
wait_for "! kill -0 $waiter" 20
wait "$waiter"
is $? 0 "  exit 0 once released"

# Neither a terminal: no progress output; the result alone on stdout.
"$ZTASK" submit hold -d plain --wait > "$T/plain.out" 2> "$T/plain.err" &
waiter=$!
PIDS="$PIDS $waiter"
wait_for "[ \$(wc -l < '$HOLD_LOG') -ge 5 ]" 20
plain_id=$(awk '{ id = $1 } END { print id }' "$HOLD_LOG")
wait_for "\"\$ZTASK\" status --json $plain_id | tr -d ' \n' | grep -q '\"text\":\"held\"'" 20
ok $? "submit --wait to a pipe: the task reports progress while held"
zt_release plain
wait_for "! kill -0 $waiter" 20
wait "$waiter"
is $? 0 "  exit 0 once released"
is "$(cat "$T/plain.out")" "released $plain_id" "  stdout holds the result alone"
is "$(cat "$T/plain.err")" "" "  and stderr nothing (progress shows only on a terminal)"

# libztask: the progress callback of ztask_client_wait_progress and of
# ztask_client_submit_wait. wait_client releases the task from the
# callback on the first report: the task ends only if a PROGRESS arrived.
for mode in wait submit_wait; do
    out=$(timeout 90 "$top_builddir/tests/wait_client" "$mode" "$HOLD_DIR/client-$mode" 2>&1)
    is $? 0 "ztask_client_$([ $mode = wait ] && echo wait_progress || echo submit_wait): the callback gets the progress of the running task"
    like "$(printf '%s\n' "$out" | head -1)" '^progress 0/1 held$' "  its first report: 0/1 held"
    like "$(printf '%s\n' "$out" | tail -1)" '^end done released [0-9]+$' "  then the task is done"
done

done_testing
