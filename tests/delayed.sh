#!/bin/bash
# Delayed tasks (docs/scheduling.md): `ztask submit --in DUR / --at TIME`.
# A scheduled task is not dispatched while a worker is free, is listed by
# `list --state scheduled`, shows its due time in `status`, counts as
# scheduled (not queued) in `stats`, can be cancelled, keeps its key; at
# its due time it runs, once, never before (started_ms >= due_ms); it
# survives a kill -9 of the broker; an --at in the past runs now and says
# so; bad --in / --at values exit 2 with a clear message.
# No timer is raced: "not before due" is checked on a task due in an hour
# (and then cancelled); "at due" waits for the run with a generous limit
# and compares the broker's own timestamps.
. "${top_srcdir:-.}/tests/lib.sh"

RECORD_SO="$top_builddir/tests/fixtures/.libs/record.so"
EXECUTIONS="$T/executions.txt" # "TASKID ATTEMPT MS" per execution (record plugin)
: > "$EXECUTIONS"

executions () { grep -c "^$1 " "$EXECUTIONS" || true; }
json () { "$ZTASK" "$@" --json 2>/dev/null | tr -d ' \n'; }

zt_broker
sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg" # a restart listens there again

cat > "$T/w1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w1";
slots = 2;
plugins = ( { name = "record"; file = "$RECORD_SO"; settings = { path = "$EXECUTIONS"; stamp = true; }; } );
CFG
"$ZWORKER" -c "$T/w1.cfg" -f >>"$T/w1.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 10 || { echo "Bail out! worker w1 did not register"; exit 1; }

# ---- a task due in an hour waits, while a worker is free ----
far=$("$ZTASK" submit record -d 1 --in 1h)
like "$far" '^[0-9]+$' "submit --in 1h prints the task id ($far)"
is "$(zt_field "$far" state)" scheduled "  the task is scheduled"
now=$(date +%s%3N)
due=$(zt_field "$far" due_ms)
[ "$due" -gt $((now + 3500000)) ] && [ "$due" -le $((now + 3600000)) ]
ok $? "  due in an hour (due_ms $due)"
out=$("$ZTASK" submit record -d 1 --wait)
is "$out" "ok $(( far + 1 ))" "a task submitted now runs on the free worker meanwhile"
is "$(zt_field "$far" state)" scheduled "  the delayed one is still scheduled"
is "$(executions "$far")" 0 "  and has not run"
like "$("$ZTASK" status "$far")" "due at +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+" "ztask status shows 'due at ...'"
like "$(json list --state scheduled)" "\"id\":$far,[^}]*\"state\":\"scheduled\"" "ztask list --state scheduled lists it"
like "$(json list --state queued)" '^\{"tasks":\[\]\}$' "  and list --state queued does not"
like "$(json stats)" '"queued":0,"retrying":0,"scheduled":1,' "ztask stats counts it as scheduled, not queued"
like "$("$ZTASK" stats)" "0 queued, .* 1 scheduled" "  also in its text"

# ---- a key works as for any task; cancel works on a scheduled task ----
k1=$("$ZTASK" submit record -d 1 --in 1h --key remind-1)
is "$("$ZTASK" submit record -d 1 --in 2h --key remind-1)" "$k1" "a scheduled task's key returns it again"
"$ZTASK" cancel "$k1" >/dev/null
ok $? "cancel of a scheduled task succeeds"
is "$(zt_field "$k1" state)" cancelled "  it is cancelled"
like "$(json stats)" '"scheduled":1,' "  and no longer counted as scheduled"
"$ZTASK" retry "$k1" >/dev/null
ok $? "a cancelled scheduled task can be retried"
wait_for "[ \"\$(zt_field $k1 state)\" = done ]" 30
ok $? "  it runs now, not at its old due time"
is "$(zt_field "$k1" due_ms)" 0 "  and no longer shows a due time"

# ---- due in a second: it runs, once, not before its due time ----
t0=$(date +%s%3N) # before the submit: the CLI makes due = its clock + 1 s
out=$("$ZTASK" -t 60000 submit record -d 1 --in 1s --wait)
soon=${out#ok }
is "$out" "ok $soon" "submit --in 1s --wait waits for the task and prints its result"
is "$(executions "$soon")" 1 "  it ran once"
due=$(zt_field "$soon" due_ms)
started=$(zt_field "$soon" started_ms)
[ "$started" -ge "$due" ] && [ "$due" -ge $((t0 + 1000)) ]
ok $? "  not before its due time (submitted after $t0, due $due, started $started)"
echo "# lateness of task $soon: $((started - due)) ms"
like "$("$ZTASK" status "$soon")" "was due " "  ztask status of the finished task shows when it was due"
like "$(json status "$soon" --history)" '"event":"scheduled".*"event":"queued","attempt":0,"worker":"","text":"due"' \
    "  its history: scheduled, then queued when due"

# ---- --at: UTC, an offset, the past ----
at=$("$ZTASK" submit record -d 1 --at 2099-01-01T02:00:00.250+02:00)
is "$(zt_field "$at" due_ms)" 4070908800250 "--at with an offset and milliseconds is that instant"
"$ZTASK" cancel "$at" >/dev/null
at=$("$ZTASK" submit record -d 1 --at 2099-01-01T00:00:00Z)
is "$(zt_field "$at" due_ms)" 4070908800000 "--at in UTC"
"$ZTASK" cancel "$at" >/dev/null
out=$("$ZTASK" submit record -d 1 --at 2020-01-01T00:00:00Z --wait 2>"$T/past.err"); rc=$?
is "$rc $out" "0 ok $((at + 1))" "--at in the past runs the task now"
like "$(cat "$T/past.err")" "^ztask: --at is in the past: the task runs now$" "  and says so on stderr"
is "$(zt_field "$((at + 1))" due_ms)" 0 "  as a task that was not delayed"

# ---- bad input: exit 2, a clear message, nothing submitted ----
bad () { # bad EXPECTED-PATTERN ARGS...
    local out rc
    out=$("$ZTASK" submit record -d 1 "${@:2}" 2>&1); rc=$?
    is "$rc" 2 "submit ${*:2}: exit 2"
    like "$out" "$1" "  $out"
}
bad "invalid --in '10': give a duration with its unit" --in 10
bad "invalid --in '1w'" --in 1w
bad "invalid --in '-5m'" --in -5m
bad "invalid --at 'tomorrow': give a time in ISO 8601" --at tomorrow
bad "invalid --at '2026-12-03T03:00:00'" --at 2026-12-03T03:00:00
bad "invalid --at '2026-02-30T03:00:00Z'" --at 2026-02-30T03:00:00Z
bad "invalid --at '2026-12-03T24:00:00Z'" --at 2026-12-03T24:00:00Z
bad "invalid --at '2999-01-01T00:00:00Z': more than 100 years ahead" --at 2999-01-01T00:00:00Z
bad "give --in or --at, not both" --in 10m --at 2099-01-01T00:00:00Z
out=$("$ZTASK" list --in 10m 2>&1); rc=$?
is "$rc" 2 "list --in: exit 2"
like "$out" "option --in is for 'submit', not 'list'" "  $out"

# ---- a kill -9 while tasks are scheduled: they survive and run once ----
# Due in 10 s: the kill comes well before, and the test checks that it
# does (scheduled just before it), so a slow run fails loudly instead of
# testing nothing.
restart=$("$ZTASK" submit record -d 1 --in 10s --key restart-1)
is "$(zt_field "$restart" state)" scheduled "a task due in 10 s is scheduled before the kill"
zt_broker_restart
ok $? "the broker is killed (kill -9) with tasks scheduled and started again"
is "$(zt_field "$far" state)" scheduled "  the task due in an hour is still scheduled"
like "$(json stats)" '"scheduled":[12],' "  and counted as scheduled"
wait_for "[ \"\$(zt_field $restart state)\" = done ]" 30
ok $? "  the task due in 10 s ran after the restart"
is "$(executions "$restart")" 1 "  once"
is "$(zt_field "$restart" attempts)" 1 "  in its first attempt"
[ "$(zt_field "$restart" started_ms)" -ge "$(zt_field "$restart" due_ms)" ]
ok $? "  not before its due time"
is "$("$ZTASK" submit record -d 1 --in 2s --key restart-1)" "$restart" "  its key still returns it"
"$ZTASK" cancel "$far" >/dev/null
is "$(zt_field "$far" state)" cancelled "the task due in an hour is cancelled after the restart"
is "$(executions "$far")" 0 "  having never run"
like "$(json stats)" '"scheduled":0,' "nothing is scheduled any more"

done_testing
