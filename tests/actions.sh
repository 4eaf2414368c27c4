#!/bin/bash
# Acting on tasks (issue 13): retry by id and by filter, purge, pause and
# resume (across a broker killed with -9), and each task's history. Every
# outcome is held by construction: the flaky fixture fails while its flag
# file exists, the hold fixture runs until released; a paused type's task
# is shown still queued after a later task of another type ran on the
# same free worker.
. "${top_srcdir:-.}/tests/lib.sh"

FLAKY_SO="$top_builddir/tests/fixtures/.libs/flaky.so"
[ -f "$FLAKY_SO" ] || { echo "Bail out! $FLAKY_SO is missing (make check builds it)"; exit 1; }

zt_broker
# The same port after a restart, for the worker to find it again.
sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg"
# One worker, two slots: flaky and hold.
start_worker () {
    cat > "$T/w1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w1";
slots = 2;
priorities = "all";
plugins = ( { name = "flaky"; file = "$FLAKY_SO"; }, $(zt_plugin_entry hold) );
CFG
    "$ZWORKER" -c "$T/w1.cfg" -f >>"$T/w1.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 10 \
        || { echo "Bail out! worker w1 did not register"; exit 1; }
}
start_worker
state () { zt_field "$1" state; }
events () { "$ZTASK" status --history --json "$1" | sed -n 's/^ *"event": "\(.*\)",*$/\1/p' | tr '\n' ' ' | sed 's/ $//'; }

# ---- a failed task, retried by id ----
FLAG="$T/flag"
: > "$FLAG"
id=$("$ZTASK" submit flaky -d "$FLAG")
timeout 60 "$ZTASK" submit flaky -d "$FLAG" --key same --wait >/dev/null 2>&1
wait_for "[ \"\$(zt_field $id state)\" = failed ]"
is "$(state "$id")" failed "a flaky task fails while its flag is there"
is "$(zt_field "$id" error)" "$FLAG is there" "  with its error"
rm -f "$FLAG"
out=$("$ZTASK" retry "$id"); rc=$?
ok $rc "ztask retry ID exits 0"
is "$out" "retried 1 task: $id" "  and says what it retried"
wait_for "[ \"\$(zt_field $id state)\" = done ]"
is "$(state "$id")" done "the retried task runs again and is done"
is "$(zt_field "$id" attempts)" 1 "  with fresh attempts (1 used)"
like "$(events "$id")" '^queued started( progress)+ failed retried started( progress)+ done$' \
    "its history: queued, started, failed, retried, started, done"
"$ZTASK" status "$id" --history > "$T/history.txt"
like "$(cat "$T/history.txt")" 'retried +0 +- +retried by an operator' "  the human table names who retried it"
like "$(cat "$T/history.txt")" 'AT +EVENT +ATTEMPT +WORKER +TEXT' "  status --history prints a table with its header"
is "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ +[a-z]+ ' "$T/history.txt")" "$(events "$id" | wc -w)" \
    "  and a row for each entry of the history"
"$ZTASK" retry "$id" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 6 "retrying a done task is refused (exit 6)"
like "$(cat "$T/err")" "is done: only a failed or cancelled task is retried" "  and says why"
"$ZTASK" retry 999999 >/dev/null 2>&1; is $? 4 "retrying an unknown task: exit 4"

# ---- retry by filter ----
: > "$FLAG"
a=$("$ZTASK" submit flaky -d "$FLAG")
b=$("$ZTASK" submit flaky -d "$FLAG")
wait_for "[ \"\$(zt_field $a state)\" = failed ] && [ \"\$(zt_field $b state)\" = failed ]"
is "$("$ZTASK" list --type flaky --state failed --json | grep -c '"id"')" 3 \
    "list --type flaky --state failed: the two new ones and the keyed one"
is "$("$ZTASK" list --type hold --json | grep -c '"id"')" 0 "list --type hold: none"
is "$("$ZTASK" list --type flaky --before "$b" --limit 1 --json | sed -n 's/^ *"id": \([0-9]*\),$/\1/p')" "$a" \
    "list --before ID: the next page"
rm -f "$FLAG"
out=$("$ZTASK" retry --state failed --type flaky --since 1h --json); rc=$?
ok $rc "ztask retry --state failed --type flaky --since 1h exits 0"
like "$(printf '%s' "$out" | tr -d ' \n')" '"retried":3' "  and retried the three failed flaky tasks"
wait_for "[ \"\$(zt_field $a state)\" = done ] && [ \"\$(zt_field $b state)\" = done ]"
is "$(state "$a") $(state "$b")" "done done" "  which run again and are done"
is "$("$ZTASK" retry --type flaky --json | tr -d ' \n')" '{"retried":0,"ids":[]}' "a filter that matches nothing retries nothing"

# ---- purge ----
out=$("$ZTASK" purge --state done --type flaky --before 0s); rc=$?
ok $rc "ztask purge --state done --type flaky --before 0s exits 0"
is "$out" "purged 4 tasks" "  and purged the four done flaky tasks"
"$ZTASK" status "$id" >/dev/null 2>&1; is $? 4 "a purged task is gone (exit 4)"
is "$("$ZTASK" purge --state finished --before 1d --json | tr -d ' \n')" '{"purged":0}' \
    "purge --before 1d: nothing that old"

# ---- pause, across a restart, then resume ----
out=$("$ZTASK" pause hold); rc=$?
ok $rc "ztask pause hold exits 0"
like "$out" "task type hold paused" "  and says so"
h=$("$ZTASK" submit hold)
f=$(timeout 60 "$ZTASK" submit flaky -d "$FLAG" --wait)
is "$(state "$h")" queued "a paused type's task stays queued while a later task ran on the free worker"
zt_held "$h"; is $? 1 "  it never started"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"type":"hold",[^}]*"paused":true' "stats: hold is paused"
like "$("$ZTASK" stats)" 'hold .*paused' "  (also in the table)"
"$ZTASK" pause nothing-here >/dev/null
like "$("$ZTASK" stats --json | tr -d ' \n')" '"type":"nothing-here",[^}]*"paused":true' \
    "stats: a paused type with no task or worker is listed"
"$ZTASK" resume nothing-here >/dev/null

{ kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
zt_forget "$BROKER_PID"
before=$(grep -c 'listening on tcp' "$T/broker.log")
"$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
BROKER_PID=$!
PIDS="$PIDS $BROKER_PID"
wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt $before ]" 10
ok $? "the broker is restarted on its store and port"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 10
ok $? "the worker is back with the restarted broker"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"type":"hold",[^}]*"paused":true' "after kill -9 and a restart hold is still paused"
f2=$(timeout 60 "$ZTASK" submit flaky -d "$FLAG" --wait)
is "$(state "$h")" queued "  its task still queued after another task ran"
zt_held "$h"; is $? 1 "  and never started"
out=$("$ZTASK" resume hold --json); rc=$?
ok $rc "ztask resume hold exits 0"
is "$(printf '%s' "$out" | tr -d ' \n')" '{"type":"hold","paused":false}' "  and answers the type, not paused"
wait_for "zt_held $h"
ok $? "the held-back task starts at once on the free slot"
zt_release "$h"
wait_for "[ \"\$(zt_field $h state)\" = done ]"
is "$(state "$h")" done "  and is done"
like "$(events "$h")" '^queued requeued started( progress)+ done$|^queued started( progress)+ done$' \
    "  its history has no start before the resume"

# ---- cancel is recorded ----
c=$("$ZTASK" submit hold)
wait_for "zt_held $c"
"$ZTASK" cancel "$c" >/dev/null
wait_for "[ \"\$(zt_field $c state)\" = cancelled ]"
like "$(events "$c")" '^queued started( progress)* cancelled$' "a cancelled task's history ends cancelled"
like "$("$ZTASK" status "$c" --history)" 'cancelled +1 +w1 +cancelled by a client' "  saying by whom"
"$ZTASK" retry "$c" >/dev/null; ok $? "a cancelled task can be retried"
wait_for "zt_held $c"
zt_release "$c"
wait_for "[ \"\$(zt_field $c state)\" = done ]"
is "$(state "$c")" done "  and then runs to the end"

# ---- usage errors: exit 2, nothing sent ----
usage () { "$ZTASK" "$@" >/dev/null 2>"$T/err"; is $? 2 "usage error: ztask $*"; }
usage retry
usage retry 1 --state failed
usage retry --state done
usage retry --since 1x
usage retry --since 7
usage purge --state failed
usage purge --state running --before 1d
usage purge --state failed --before 7
usage purge --before 1d
usage pause
usage pause "bad$(printf '\t')type"
usage list --before abc
usage status 1 --since 1h
like "$(cat "$T/err")" "option --since is for 'retry', not 'status'" "  (an option of another command is named)"

done_testing
