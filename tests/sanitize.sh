#!/bin/bash
# Names and texts that attack the operator's terminal (issue 11, section 3).
# The client refuses control characters in the names it sends (exit 2,
# nothing stored). What it prints that came from the wire (task types,
# worker names, progress and error texts, a store left by an older broker
# that took anything) reaches the terminal cleaned: every control character
# and every byte that is not UTF-8 shows as '?', in every command and in
# table and plain output; --json stays exact, in JSON's escapes. `ztask
# result` writes the result's bytes as they are when stdout is not a
# terminal (the payload is the product), and cleaned (newlines and tabs
# kept) when it is one.
#
# Hostile texts get in two ways the broker cannot refuse: rows written into
# the store file directly (as an older broker could have left them), and a
# plugin (tests/fixtures/hostile.c) whose progress and error texts hold
# them. Each check asserts that no control byte but newline reaches stdout
# or stderr, and that the text is there, cleaned (so it did go through).
. "${top_srcdir:-.}/tests/lib.sh"

HOSTILE_SO="$top_builddir/tests/fixtures/.libs/hostile.so"
SQL="$top_builddir/tests/store_sql"
[ -f "$HOSTILE_SO" ] || { echo "Bail out! $HOSTILE_SO is missing (make check builds it)"; exit 1; }
[ -x "$SQL" ] || { echo "Bail out! $SQL is not built (make tests/store_sql)"; exit 1; }
command -v script >/dev/null || { echo "Bail out! script (util-linux) is needed for the terminal checks"; exit 1; }

# controls FILE [0d]: the control bytes in FILE, in hex, one per line: C0
# (but newline, and carriage return when 0d is given), DEL, and C1 (as
# UTF-8, "c2 9b"). Empty when FILE is clean.
controls () {
    od -An -tx1 -v "$1" | tr -s ' \n' '  ' | grep -oE ' (0[0-9a-f]|1[0-9a-f]|7f|c2 [89][0-9a-f])' \
        | sed 's/^ //' | grep -vx '0a' | { [ "${2:-}" = 0d ] && grep -vx 0d || cat; }
}
# clean WHAT: stdout ($T/out) and stderr ($T/err) of the last run hold no control byte.
clean () {
    local found
    found=$(controls "$T/out"; controls "$T/err")
    is "$(echo $found)" "" "$1: no control byte reaches stdout or stderr"
}
# run ARGS...: ztask ARGS with stdout in $T/out, stderr in $T/err; sets RC.
run () { "$ZTASK" "$@" > "$T/out" 2> "$T/err"; RC=$?; }
has () { like "$(cat "$T/out" "$T/err")" "$1" "$2"; }   # has PATTERN DESCRIPTION (grep -E, fixed text quoted)
# fixed TEXT: TEXT as a grep -E pattern that matches it literally.
fixed () { printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g'; }
hex () { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }

# The hostile texts, and what they look like cleaned.
TYPE=$'type\e[31mX\nY'
TYPE_CLEAN='type?[31mX?Y'
WORKER=$'wk\e[2J\u009BZ'
WORKER_CLEAN='wk?[2J?Z'
ERROR=$'err\e[31m\nNEXT\x7f'
ERROR_CLEAN='err?[31m?NEXT?'
KEY=$'key\e]0;pwned\a'
RESULT=$'res\e[31mRED\n\aend\n'
RESULT_CLEAN=$'res?[31mRED\n?end\n'
PLUGIN_CLEAN='esc?[31mRED nl?LINE tab?T del? c1?31m bel? end'          # tests/fixtures/hostile.c
PLUGIN_JSON=$(fixed 'esc\u001B[31mRED nl\nLINE tab\tT del\u007F c1\u009B31m bel\u0007 end')   # as JSON has it

# ---- the client refuses hostile names (libztask's own check: tests/text_test.c) ----
zt_broker
run submit "$TYPE" -d x
is "$RC" 2 "submit with ESC and a newline in the type: exit 2"
has "invalid task type: it holds the control character U\+001B" "  saying why"
clean "  the refusal"
run submit echo --key "$KEY" -d x
is "$RC" 2 "submit with ESC and BEL in --key: exit 2"
has "invalid --key: it holds the control character U\+001B" "  saying why"
run submit $'c1\u009B' -d x
is "$RC" 2 "submit with a C1 control (U+009B) in the type: exit 2"
run submit $'del\x7f' -d x
is "$RC" 2 "submit with DEL in the type: exit 2"
run list --json
like "$(tr -d ' \n' < "$T/out")" '^\{"tasks":\[\]\}$' "  and the broker stored none of them"

# ---- a store as an older broker could have left it ----
kill "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
now=$(( $(date +%s) * 1000 ))
text () { printf "CAST(X'%s' AS TEXT)" "$(hex "$1")"; }
"$SQL" "$T/ztask.db" "INSERT INTO tasks (id, type, priority, state, attempts, max_attempts, timeout_ms,
        idem_key, payload, result, error, worker, created_ms, started_ms, finished_ms) VALUES
    (1, $(text "$TYPE"), 5, 0, 0, 3, 0, $(text "$KEY"), X'', NULL, NULL, NULL, $now, NULL, NULL),
    (2, 'echo', 5, 3, 1, 1, 0, NULL, X'78', NULL, $(text "$ERROR"), $(text "$WORKER"), $now, $now, $now),
    (3, $(text "$TYPE"), 9, 2, 1, 3, 0, NULL, X'', X'$(hex "$RESULT")', NULL, $(text "$WORKER"), $now, $now, $now);"
ok $? "hostile rows written into the store"
zt_broker   # the same store file

run status 1
is "$RC" 0 "status of a task with a hostile type"
has "type +$(fixed "$TYPE_CLEAN")\$" "  the type shows cleaned"
clean "  status"
run status 2
has "worker +$(fixed "$WORKER_CLEAN")\$" "status of a failed task: the worker shows cleaned"
has "error +$(fixed "$ERROR_CLEAN")\$" "  and the error"
clean "  status"
run status --json 2
has "\"error\": \"err\\\\u001B\[31m\\\\nNEXT\\\\u007F\"" "status --json: the error exact, in JSON escapes"
has "\"worker\": \"wk\\\\u001B\[2J\\\\u009BZ\"" "  and the worker, C1 escaped too"
clean "  status --json"

run list
is "$RC" 0 "list with hostile types, workers and errors"
has "^ *3 +$(fixed "$TYPE_CLEAN") +9 +done +1 +$(fixed "$WORKER_CLEAN")\$" "  task 3 on one row, cleaned"
has "^ *2 +echo +5 +failed +1 +$(fixed "$WORKER_CLEAN") +$(fixed "$ERROR_CLEAN")\$" "  task 2 on one row, cleaned"
is "$(wc -l < "$T/out")" 4 "  a header and three rows: no line broken by a newline"
clean "  list"
run list --state failed --json
has "\"error\": \"err\\\\u001B\[31m\\\\nNEXT\\\\u007F\"" "list --json: exact, in JSON escapes"
clean "  list --json"

run stats
is "$RC" 0 "stats with a hostile type queued"
has "^$(fixed "$TYPE_CLEAN") +0 +9:0|^$(fixed "$TYPE_CLEAN") +0 +5:1" "  the type shows cleaned in its row"
clean "  stats"
run stats --json
has "\"type\": \"type\\\\u001B\[31mX\\\\nY\"" "stats --json: the type exact, in JSON escapes"
clean "  stats --json"

run result 2
is "$RC" 1 "result of the failed task: exit 1"
has "task 2 failed: $(fixed "$ERROR_CLEAN")\$" "  its error on stderr, cleaned"
clean "  result (failed)"
run result 3
is "$RC" 0 "result of the done task, to a file"
is "$(hex "$(cat "$T/out"; echo .)")" "$(hex "$RESULT.")" "  the result's bytes exactly as they are (not a terminal: documented)"
run result --json 3
has "\"result\": \"res\\\\u001B\[31mRED\\\\n\\\\u0007end\\\\n\"" "result --json: exact, in JSON escapes"
clean "  result --json"
script -qec "stty -onlcr; '$ZTASK' result 3" /dev/null < /dev/null > "$T/out" 2> "$T/err"
is "$?" 0 "result of the done task, on a terminal"
is "$(hex "$(cat "$T/out"; echo .)")" "$(hex "$RESULT_CLEAN.")" "  cleaned, its newlines kept"
clean "  result on a terminal"

# ---- a plugin's progress and error texts ----
cat > "$T/w.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w";
slots = 4;
priorities = "all";
plugins = ( { name = "hostile"; file = "$HOSTILE_SO"; }, { name = "echo"; } );
CFG
"$ZWORKER" -c "$T/w.cfg" -f >> "$T/w.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w\"'" 10 || { echo "Bail out! worker w did not register"; exit 1; }

# A task that reports its hostile progress, then holds until cancelled.
P=$("$ZTASK" submit hostile -d progress)
wait_for "\"$ZTASK\" status --json $P | grep -q '\"done\": 1'" 10
ok $? "a task reports a hostile progress text"
run status "$P"
has "progress +50% \(1/2\) $(fixed "$PLUGIN_CLEAN")\$" "status: the progress text shows cleaned"
clean "  status (running)"
run status --json "$P"
has "\"text\": \"$PLUGIN_JSON\"" "status --json: the progress text exact, in JSON escapes"
clean "  status --json (running)"
run workers
has "^w +" "workers lists w"
has "^    task $P  hostile  priority 5  50% \(1/2\) $(fixed "$PLUGIN_CLEAN")\$" "  its running task's progress cleaned"
clean "  workers"
run workers --json
has "\"progress_text\": \"$PLUGIN_JSON\"" "workers --json: exact, in JSON escapes"
clean "  workers --json"

# submit --wait on a terminal draws the progress line on stderr.
script -qec "stty -onlcr; '$ZTASK' submit hostile -d progress --wait" /dev/null < /dev/null > "$T/pty" 2>&1 &
pty_pid=$!
PIDS="$PIDS $pty_pid"
running_ids () { "$ZTASK" list --state running --json | sed -n 's/^      "id": \([0-9]*\),$/\1/p'; }
wait_for "[ \$(running_ids | grep -vx $P | wc -l) -eq 1 ]" 10
W=$(running_ids | grep -vx "$P")
wait_for "grep -qF '$PLUGIN_CLEAN' '$T/pty'" 10
ok $? "submit --wait on a terminal: the progress line shows the hostile text cleaned"
run cancel "$W"
wait "$pty_pid"
is "$?" 1 "  cancelled: submit --wait exits 1"
is "$(echo $(controls "$T/pty" 0d))" "" "  no control byte but newline and carriage return reached the terminal"

run cancel "$P"
is "$RC" 0 "cancel of the task with hostile progress"
has "^task $P is being stopped\$" "  being stopped"
clean "  cancel"
wait_for "zt_field $P state | grep -Eqx 'cancelled|failed'" 10
ok $? "  it ended"
run cancel --json "$P"
has "\"state\": \"(cancelled|failed)\"" "cancel --json of the ended task"
clean "  cancel --json"

run submit hostile -d fail --attempts 1 --wait
is "$RC" 1 "submit --wait of a task that fails with a hostile error: exit 1"
has "failed: $(fixed "$PLUGIN_CLEAN")\$" "  the error on stderr, cleaned"
clean "  submit --wait"
run submit hostile -d fail --attempts 1 --wait --json
has "\"error\": \"$PLUGIN_JSON\"" "submit --wait --json: the error exact, in JSON escapes"
clean "  submit --wait --json"
run submit echo -d "$RESULT" --wait
is "$(hex "$(cat "$T/out"; echo .)")" "$(hex "$RESULT.")" "submit --wait, not to a terminal: the result's bytes as they are"

done_testing
