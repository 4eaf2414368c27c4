#!/bin/bash
# Cancelling tasks (ztask cancel) and listing them (ztask list) against a
# real broker and workers: a queued task never runs, a running one stops and
# frees its slot, an ended one stays as it was; list filters, orders and
# limits.
. "${top_srcdir:-.}/tests/lib.sh"

# Milliseconds since the epoch.
now_ms () { echo $(( $(date +%s%N) / 1000000 )); }

# --- before any broker: usage errors ---
"$ZTASK" cancel >/dev/null 2>&1;                      is $? 2 "cancel without an id: exit 2"
"$ZTASK" cancel abc >/dev/null 2>&1;                  is $? 2 "cancel of a non-numeric id: exit 2"
"$ZTASK" cancel 0 >/dev/null 2>&1;                    is $? 2 "cancel of id 0: exit 2"
err=$("$ZTASK" list --state bogus 2>&1);              is $? 2 "list --state with an unknown state: exit 2"
like "$err" "unknown state 'bogus'" "  and says which"
"$ZTASK" list --limit 0 >/dev/null 2>&1;              is $? 2 "list --limit 0: exit 2"
"$ZTASK" list --limit 10001 >/dev/null 2>&1;          is $? 2 "list --limit 10001: exit 2"
"$ZTASK" list --limit x >/dev/null 2>&1;              is $? 2 "list --limit x: exit 2"
"$ZTASK" list 12 >/dev/null 2>&1;                     is $? 2 "list with an argument: exit 2"
"$ZTASK" status 1 --state done >/dev/null 2>&1;       is $? 2 "--state belongs to list, not status: exit 2"
err=$("$ZTASK" -b tcp://127.0.0.1:1 -t 300 cancel 1 2>&1); is $? 5 "cancel without a broker: exit 5"
like "$err" "no answer from the broker" "  and says so"

zt_broker
# w runs echo and sleep in one slot; nobody has wordcount yet.
zt_worker w 1 '"all"' echo sleep

# --- a queued task: cancelled at once, never runs ---
qid=$("$ZTASK" submit wordcount -d "never runs")
sleep 0.3
is "$(zt_field "$qid" state)" "queued" "a task no worker has the plugin for stays queued"
out=$("$ZTASK" cancel "$qid");                        is $? 0 "cancel of a queued task: exit 0"
is "$out" "task $qid cancelled" "  prints that it is cancelled"
is "$(zt_field "$qid" state)" "cancelled" "  its state is cancelled"
out=$("$ZTASK" cancel "$qid");                        is $? 0 "cancelling it again: exit 0"
is "$out" "task $qid cancelled" "  still cancelled"
like "$("$ZTASK" cancel --json "$qid" | tr -d ' \n')" "\"id\":$qid,.*\"state\":\"cancelled\"" \
    "cancel --json prints the task"
"$ZTASK" result "$qid" >/dev/null 2>&1;               is $? 1 "result of a cancelled task: exit 1"

zt_worker wc 1 '"all"' wordcount
is "$("$ZTASK" submit wordcount -d "a b" --wait)" '{"lines": 0, "words": 2, "bytes": 3}' \
    "a worker with the plugin arrives and runs a later task"
sleep 0.3
is "$(zt_field "$qid" state)" "cancelled" "  the cancelled task stays cancelled"
is "$(zt_field "$qid" attempts)" "0" "  and never ran"
is "$(zt_field "$qid" worker)" "" "  on any worker"

# --- a running task: its worker stops it and frees the slot ---
# It would sleep an hour: only the cancel can end it while the test runs.
rid=$("$ZTASK" submit sleep -d 3600000)
wait_for "[ \"\$(zt_field $rid state)\" = running ]" 20
ok $? "an hour-long sleep task is running on the one-slot worker"
start=$(now_ms)
out=$("$ZTASK" cancel "$rid");                        is $? 0 "cancel of a running task: exit 0"
is "$out" "task $rid is being stopped" "  prints that it is being stopped"
wait_for "[ \"\$(zt_field $rid state)\" = cancelled ]" 30
ok $? "  it ends cancelled ($(( $(now_ms) - start )) ms after the cancel)"
is "$(zt_field "$rid" attempts)" "1" "  after its one attempt"
next=$(timeout 60 "$ZTASK" submit sleep -d 10 --wait)
elapsed=$(( $(now_ms) - start ))
is "$next" "slept 10 ms" "the worker's only slot runs the next task, not after the hour ($elapsed ms after the cancel)"
is "$("$ZTASK" workers | awk '$1 == "w" {print $3}')" "0/1" "  and the worker has no busy slot"
is "$(zt_field "$rid" state)" "cancelled" "  the cancelled task stays cancelled"

# --- an ended task stays as it was ---
did=$("$ZTASK" submit echo -d "kept")
wait_for "[ \"\$(zt_field $did state)\" = done ]" 5
out=$("$ZTASK" cancel "$did");                        is $? 1 "cancel of a done task: exit 1"
is "$out" "task $did already done" "  prints that it is already done"
is "$(zt_field "$did" state)" "done" "  it stays done"
is "$("$ZTASK" result "$did")" "kept" "  with its result"
fid=$("$ZTASK" submit sleep -d "never")
wait_for "[ \"\$(zt_field $fid state)\" = failed ]" 5
out=$("$ZTASK" cancel "$fid");                        is $? 1 "cancel of a failed task: exit 1"
is "$out" "task $fid already failed" "  prints that it already failed"
is "$(zt_field "$fid" state)" "failed" "  it stays failed"

# --- an unknown task ---
err=$("$ZTASK" cancel 999999 2>&1);                   is $? 4 "cancel of an unknown task: exit 4"
like "$err" "not found" "  and says so"

# --- list ---
out=$("$ZTASK" list --state failed)
is $? 0 "list --state failed: exit 0"
like "$(printf '%s\n' "$out" | head -1)" '^ *ID +TYPE +PRIORITY +STATE +ATTEMPTS +WORKER +ERROR$' \
    "  a table with a header"
row=$(printf '%s\n' "$out" | awk -v id="$fid" '$1 == id')
like "$row" "^ *$fid +sleep +5 +failed +1 +w +payload must be a whole number of milliseconds" \
    "  shows the failed task with its worker and error"
is "$(printf '%s\n' "$out" | awk 'NR > 1 && $4 != "failed"' | wc -l)" "0" "  and only failed tasks"
printf '%s\n' "$out" | awk 'NR > 1 {print $1}' | grep -qx "$did"
ok $(( ! $? )) "  not the done ones"
out=$("$ZTASK" list --state cancelled)
ids=$(printf '%s\n' "$out" | awk 'NR > 1 {print $1}' | tr '\n' ' ')
is "$ids" "$rid $qid " "list --state cancelled: both cancelled tasks, newest first"
like "$(printf '%s\n' "$out" | awk -v id="$qid" '$1 == id')" "cancelled +0 +-( |$)" \
    "  the one that never ran: no attempt, no worker"
is "$("$ZTASK" list --state queued)" "no queued tasks" "list of a state no task is in says so"

json=$("$ZTASK" list --json)
is $? 0 "list --json: exit 0"
like "$(printf '%s' "$json" | tr -d ' \n')" '^\{"tasks":\[\{.*\}\]\}$' "  an object with a tasks array"
flat=$(printf '%s' "$json" | tr -d ' \n')
for key in '"id":[0-9]+' '"type":"' '"priority":[0-9]+' '"state":"' '"attempts":[0-9]+' '"worker":"' \
    '"error":"' '"created_ms":[0-9]+' '"finished_ms":[0-9]+'; do
    like "$flat" "\{[^}]*$key" "  tasks have $key"
done
ids=$(printf '%s\n' "$json" | grep -o '"id": *[0-9]*' | grep -o '[0-9]*$')
is "$(printf '%s\n' "$ids" | wc -l)" "6" "  every task so far (6)"
is "$(printf '%s\n' "$ids" | tr '\n' ' ')" "$(printf '%s\n' "$ids" | sort -rn | tr '\n' ' ')" "  newest first"
is "$(printf '%s\n' "$ids" | head -1)" "$fid" "  the latest submitted first"
like "$flat" "\{\"id\":$fid,[^}]*\"state\":\"failed\"[^}]*\"error\":\"payloadmustbe" "  with the failed task's error"

out=$("$ZTASK" list --limit 1)
is "$(printf '%s\n' "$out" | wc -l)" "2" "list --limit 1: a header and one task"
is "$(printf '%s\n' "$out" | awk 'NR == 2 {print $1}')" "$fid" "  the newest"
is "$("$ZTASK" list --json --limit 1 | grep -c '"id":')" "1" "list --json --limit 1: one task"
is "$("$ZTASK" list --state done --limit 2 | awk 'NR > 1 {print $4}' | tr '\n' ' ')" "done done " \
    "--state and --limit together: two done tasks"

done_testing
