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
zt_worker w 2 '"all"' echo sleep wordcount

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
sid=$("$ZTASK" submit sleep -d 2000)
"$ZTASK" result "$sid" >/dev/null 2>&1;                is $? 3 "result of a running task: exit 3"
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
like "$("$ZTASK" workers)" "w" "workers prints a table"
like "$("$ZTASK" stats)" "sleep" "stats prints a table by type"

# --- progress reaches a waiting client ---
"$ZTASK" submit sleep -d 600 --wait >/dev/null
is "$?" 0 "--wait on a task that reports progress"

done_testing
