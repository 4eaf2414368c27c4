#!/bin/bash
# Batches (docs/scheduling.md): `ztask batch submit FILE [--then TYPE]` and
# `ztask batch status ID`. A batch's tasks are accepted all or none (a
# refused task names itself, and nothing of the batch is stored); its id is
# its first task's and its tasks have the ids that follow; a key returns
# the batch that has it; the then task is blocked until every task ended,
# whatever their states, then runs with the batch's summary as payload
# (the echo plugin gives it back as its result), listing only the tasks
# not done when the whole list would be over max_payload; a kill -9 of the
# broker mid-batch loses nothing and runs the then task once, after the
# last task ends.
# No timer is raced: the tasks are hold tasks the test releases, and every
# wait is for a state.
. "${top_srcdir:-.}/tests/lib.sh"

PARENTS_SO="$top_builddir/tests/fixtures/.libs/parents.so"
json () { "$ZTASK" "$@" --json 2>/dev/null | tr -d ' \n'; }
result () { "$ZTASK" result "$1" 2>&1; }
state_is () { wait_for "[ \"\$(zt_field $1 state)\" = $2 ]" 30; }
count () { "$ZTASK" list --limit 1000 --json 2>/dev/null | grep -c '"id":'; }

zt_broker 'max_batch = 1000; max_payload = 600;'
sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg" # a restart listens there again

cat > "$T/w1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w1";
slots = 8;
plugins = ( $(zt_plugin_entry hold), { name = "parents"; file = "$PARENTS_SO"; }, { name = "echo"; } );
CFG
"$ZWORKER" -c "$T/w1.cfg" -f >>"$T/w1.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 10 || { echo "Bail out! worker w1 did not register"; exit 1; }

# ---- a batch of three, one a line, with a then task ----
cat > "$T/three.txt" <<'TXT'
# one task a line: TYPE PAYLOAD
parents one

hold b1
parents fail
TXT
b=$("$ZTASK" batch submit "$T/three.txt" --then echo); rc=$?
is "$rc" 0 "batch submit of a three-line file succeeds"
like "$b" '^[0-9]+$' "  and prints the batch id ($b)"
is "$(zt_field "$b" type)" parents "  the batch id is its first task's id"
is "$(zt_field "$((b + 1))" type)" hold "  the second line is task id+1"
is "$(zt_field "$((b + 2))" type)" parents "  the third is id+2"
then=$((b + 3))
wait_for "zt_held $((b + 1))" 20
ok $? "the hold task of the batch runs"
state_is "$((b + 2))" failed
ok $? "  the 'fail' task fails"
is "$(zt_field "$then" type)" echo "the then task follows the batch's tasks ($then)"
is "$(zt_field "$then" state)" blocked "  it is blocked while a task of the batch runs"
like "$(json list --state blocked)" "\"id\":$then," "  list --state blocked shows it"
like "$(json batch status "$b")" \
    "^\{\"batch\":$b,\"size\":3,\"created_ms\":[0-9]+,\"counts\":\{\"queued\":0,\"running\":1,\"done\":1,\"failed\":1,\"cancelled\":0,\"scheduled\":0,\"blocked\":0\},\"ended\":2,\"purged\":0,\"then\":\{\"id\":$then,\"state\":\"blocked\"\}\}$" \
    "batch status --json: the counts by state, and the then task"
out=$("$ZTASK" batch status "$b")
like "$out" "^batch $b: 3 tasks, 2 ended \(66%\)" "batch status for people: size and ended"
like "$out" "running 1  done 1  failed 1" "  the counts"
like "$out" "then task $then: blocked" "  the then task"
zt_release b1
state_is "$then" done
ok $? "once the last task ended, the then task runs (a failed task does not cancel it)"
is "$(result "$then")" \
    "{\"batch\":$b,\"size\":3,\"done\":2,\"failed\":1,\"cancelled\":0,\"purged\":0,\"listed\":\"all\",\"tasks\":[{\"id\":$b,\"state\":\"done\"},{\"id\":$((b + 1)),\"state\":\"done\"},{\"id\":$((b + 2)),\"state\":\"failed\",\"error\":\"failed as asked\"}]}" \
    "  its payload is the summary: counts, then each task with its state and error"
like "$(json status "$then" --history)" '"event":"blocked".*"event":"queued"' "  its history: blocked, then queued"
like "$(json batch status "$b")" "\"ended\":3,.*\"then\":\{\"id\":$then,\"state\":\"done\"\}" "  batch status: all ended, then task done"

# ---- JSON, options for every task, a key ----
cat > "$T/tasks.json" <<'JSON'
[ { "type": "parents", "payload": "j1" },
  { "type": "parents", "payload": "j2", "priority": "low", "attempts": 2 } ]
JSON
j=$("$ZTASK" batch submit "$T/tasks.json" -p high --key nightly-1); rc=$?
is "$rc" 0 "a JSON batch with a key is accepted"
is "$(zt_field "$j" priority)" 9 "  -p high holds for a task that gives no priority"
is "$(zt_field "$((j + 1))" priority)" 0 "  a task's own priority wins"
is "$(zt_field "$((j + 1))" max_attempts)" 2 "  and its attempts"
state_is "$((j + 1))" done
ok $? "  its tasks run"
before=$(count)
again=$("$ZTASK" batch submit "$T/tasks.json" --key nightly-1 --json | tr -d ' \n')
like "$again" "^\{\"batch\":$j,\"then\":null,\"existing\":true\}$" "the same key again returns the same batch"
is "$(count)" "$before" "  and stores no task"

# ---- all or none ----
cat > "$T/bad.json" <<'JSON'
[ { "type": "parents", "payload": "ok" },
  { "type": "parents", "payload": "ok" },
  { "type": "parents", "require": ["zone=="] } ]
JSON
before=$(count)
out=$("$ZTASK" batch submit "$T/bad.json" 2>&1); rc=$?
is "$rc" 6 "a batch with a task the broker refuses is refused (exit 6)"
like "$out" "batch task 3: .*zone==" "  naming the task and what is wrong with it"
is "$(count)" "$before" "  and none of its tasks is stored"
seq 1 1001 | sed 's/^/parents /' > "$T/big.txt"
out=$("$ZTASK" batch submit "$T/big.txt" 2>&1); rc=$?
is "$rc" 6 "a batch over max_batch is refused"
like "$out" "a batch of 1001 tasks is over the broker's max_batch of 1000" "  saying so"
head -c 700 /dev/zero | tr '\0' x | sed 's/^/parents /' > "$T/large.txt"
out=$("$ZTASK" batch submit "$T/large.txt" 2>&1); rc=$?
is "$rc" 6 "a batch with a payload over max_payload is refused"
like "$out" "batch task 1: payload of 700 bytes is over the broker's max_payload of 600" "  naming the task"
is "$(count)" "$before" "  nothing stored"
: > "$T/empty.txt"
out=$("$ZTASK" batch submit "$T/empty.txt" 2>&1); rc=$?
is "$rc" 2 "an empty file is refused before anything is sent (exit 2)"
like "$out" "holds no task" "  saying so"
printf '[{"type": "parents", "colour": "red"}]' > "$T/unknown.json"
out=$("$ZTASK" batch submit "$T/unknown.json" 2>&1); rc=$?
is "$rc" 2 "an unknown field in a JSON task is refused"
like "$out" 'task 1: unknown field "colour"' "  naming it"
printf 'parents ok\n\tparents' > "$T/notype.txt"
out=$("$ZTASK" batch submit "$T/notype.txt" 2>&1); rc=$?
is "$rc" 2 "a line without a type is refused"
like "$out" "line 2: invalid task type" "  naming the line"
out=$("$ZTASK" batch submit "$T/missing.txt" 2>&1); rc=$?
is "$rc" 2 "a file that cannot be read is refused"
like "$out" "cannot open .*missing.txt" "  saying why"
out=$("$ZTASK" batch status 999999 2>&1); rc=$?
is "$rc" 4 "batch status of an unknown batch: exit 4"
like "$out" "no batch 999999" "  saying so"
out=$("$ZTASK" batch list 2>&1); rc=$?
is "$rc" 2 "an unknown batch command is refused"

# ---- the summary when the whole list is over max_payload ----
{ seq 1 29 | sed 's/^/parents p/'; echo "parents fail"; } > "$T/thirty.txt"
m=$("$ZTASK" batch submit "$T/thirty.txt" --then echo)
state_is "$((m + 30))" done
ok $? "a batch of 30 with a then task ends"
is "$(result "$((m + 30))")" \
    "{\"batch\":$m,\"size\":30,\"done\":29,\"failed\":1,\"cancelled\":0,\"purged\":0,\"listed\":\"not done\",\"tasks\":[{\"id\":$((m + 29)),\"state\":\"failed\",\"error\":\"failed as asked\"}]}" \
    "  its summary lists only the task not done: the whole list is over max_payload"

# ---- the then task: its options, cancel and retry ----
printf 'hold c1\nparents c2\n' > "$T/two.txt"
c=$("$ZTASK" batch submit "$T/two.txt" --then echo -p high --attempts 2)
cthen=$((c + 2))
is "$(zt_field "$cthen" priority)" 9 "the then task takes -p"
is "$(zt_field "$cthen" max_attempts)" 2 "  and --attempts"
wait_for "zt_held $c" 20
ok $? "  a task of its batch runs"
out=$("$ZTASK" retry "$((c + 1))" 2>&1)
"$ZTASK" cancel "$cthen" >/dev/null
is "$(zt_field "$cthen" state)" cancelled "a blocked then task can be cancelled"
out=$("$ZTASK" retry "$cthen" 2>&1); rc=$?
is "$rc" 6 "  and is not retried while its batch has tasks not ended"
like "$out" "task $cthen is the then task of batch $c, which has 1 tasks not ended" "  saying so"
zt_release c1
state_is "$c" done
ok $? "  once they all ended"
"$ZTASK" retry "$cthen" >/dev/null
state_is "$cthen" done
ok $? "  it is retried, and runs"
like "$(result "$cthen")" "^\{\"batch\":$c,\"size\":2,\"done\":2," "  with the batch's summary read then"

# A task of a batch retried while the then task waits: the then task
# waits for it again.
printf 'hold d1\nhold d2\n' > "$T/retry.txt"
d=$("$ZTASK" batch submit "$T/retry.txt" --then echo)
dthen=$((d + 2))
wait_for "zt_held $d && zt_held $((d + 1))" 20
ok $? "a batch's two tasks run"
"$ZTASK" cancel "$d" >/dev/null
state_is "$d" cancelled
ok $? "  the first is cancelled"
"$ZTASK" retry "$d" >/dev/null
like "$(zt_field "$d" state)" '^(queued|running)$' "  and retried"
zt_release d2
state_is "$((d + 1))" done
ok $? "  the second ends"
wait_for "[ \"\$(grep -c '^$d ' '$HOLD_LOG')\" -ge 2 ]" 20
ok $? "  the retried first runs again"
is "$(zt_field "$dthen" state)" blocked "  the then task waits for it"
zt_release d1
state_is "$dthen" done
ok $? "  and runs once it ended"
like "$(result "$dthen")" '"done":2,"failed":0,"cancelled":0,' "  its summary counts the retried task done"

# ---- kill -9 mid-batch ----
printf 'hold k1\nhold k2\nparents k3\n' > "$T/kill.txt"
k=$("$ZTASK" batch submit "$T/kill.txt" --then echo)
kthen=$((k + 3))
wait_for "zt_held $k && zt_held $((k + 1))" 20
ok $? "a batch's two hold tasks run"
zt_release k1
state_is "$k" done
state_is "$((k + 2))" done
ok $? "  two of its three tasks are done before the kill"
zt_broker_restart
ok $? "the broker is killed (kill -9) and started again"
is "$(zt_field "$kthen" state)" blocked "  the then task is still blocked"
like "$(json batch status "$k")" '"done":2,' "  the batch's two done tasks are still done"
zt_release k2
state_is "$kthen" done
ok $? "once the last task ends after the restart, the then task runs"
is "$(zt_field "$kthen" attempts)" 1 "  once"
is "$(result "$kthen")" \
    "{\"batch\":$k,\"size\":3,\"done\":3,\"failed\":0,\"cancelled\":0,\"purged\":0,\"listed\":\"all\",\"tasks\":[{\"id\":$k,\"state\":\"done\"},{\"id\":$((k + 1)),\"state\":\"done\"},{\"id\":$((k + 2)),\"state\":\"done\"}]}" \
    "  with the summary of all three"

# A cancelled task ends too.
printf 'hold r1\n' > "$T/one.txt"
r=$("$ZTASK" batch submit "$T/one.txt" --then echo)
wait_for "zt_held $r" 20
ok $? "a one-task batch runs"
"$ZTASK" cancel "$r" >/dev/null
state_is "$((r + 1))" done
ok $? "  a cancelled task ends it too: its then task runs"
like "$(result "$((r + 1))")" "\"cancelled\":1,.*\"state\":\"cancelled\"" "  and the summary says it was cancelled"

done_testing
