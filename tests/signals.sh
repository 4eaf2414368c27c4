#!/bin/bash
# Daemon signals: SIGHUP reopens log files (logrotate), SIGTERM stops the
# broker cleanly. With ZTASK_WRAP set (e.g. to a valgrind command) the
# broker runs under it, and its clean exit status covers leaks and errors.
. "${top_srcdir:-.}/tests/lib.sh"

cat > "$T/broker.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$T/ztask.db";
heartbeat_ms = 200;
CFG
${ZTASK_WRAP:-} "$ZTASKD" -c "$T/broker.cfg" -f -l "$T/ztaskd.log" 2>"$T/stderr.log" &
pid=$!
PIDS="$PIDS $pid"
wait_for "grep -q 'listening on tcp' '$T/ztaskd.log'" 30
ok $? "-l FILE: the broker logs to the file"
ZTASK_BROKER=$(grep -o 'listening on tcp://[0-9.:]*' "$T/ztaskd.log" | sed 's/listening on //')
export ZTASK_BROKER

mv "$T/ztaskd.log" "$T/ztaskd.log.1"
kill -HUP "$pid"
wait_for "[ -f '$T/ztaskd.log' ]" 5
ok $? "SIGHUP: the broker opens a new log file"
kill -0 "$pid"
ok $? "and keeps running"
id=$("$ZTASK" -t 20000 submit echo -d after-hup)
like "$id" '^[0-9]+$' "and keeps serving"
zt_worker w 1 '"all"' echo
is "$("$ZTASK" -t 20000 submit echo -d round-trip --wait)" "round-trip" "and runs tasks"
"$ZTASK" -t 20000 stats >/dev/null && "$ZTASK" -t 20000 list >/dev/null && "$ZTASK" -t 20000 workers >/dev/null
ok $? "and answers stats, list and workers"
is "$(zt_worker_names -t 20000)" "w" "  workers lists the worker"
kill -9 "$WORKER_PID"
wait_for "! \"$ZTASK\" -t 20000 stats --json | tr -d ' \n' | grep -q '\"type\":\"echo\"'" 15
ok $? "a type no worker has and no task uses is forgotten"
id=$("$ZTASK" -t 20000 submit sleep -d 10)

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: the broker exits with status 0"
like "$(cat "$T/ztaskd.log")" "broker: stopped" "and says so in its log"
"$ZTASKD" -c "$T/broker.cfg" -f -l "$T/ztaskd.log" 2>>"$T/stderr.log" &
PIDS="$PIDS $!"
wait_for "[ \"\$(grep -c 'listening on tcp' '$T/ztaskd.log')\" -ge 2 ]" 10
ZTASK_BROKER=$(grep -o 'listening on tcp://[0-9.:]*' "$T/ztaskd.log" | tail -1 | sed 's/listening on //')
is "$(zt_field "$id" state)" "queued" "the task accepted before SIGTERM is in the store after a restart"
[ -z "$(zt_field "$id" worker)" ]
ok $? "never started"

# pid_file: written with the daemon's pid and locked against a second copy.
cat > "$T/pid.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$T/pid.db";
pid_file = "$T/ztaskd.pid";
CFG
"$ZTASKD" -c "$T/pid.cfg" -f 2>"$T/pid1.log" &
pid=$!
PIDS="$PIDS $pid"
wait_for "grep -q 'listening on' '$T/pid1.log'" 10
is "$(tr -d " \n" < "$T/ztaskd.pid" 2>/dev/null)" "$pid" "pid_file holds the broker's pid"
"$ZTASKD" -c "$T/pid.cfg" -f >/dev/null 2>"$T/pid2.log"
is $? 1 "a second broker with the same pid_file refuses to start"
like "$(cat "$T/pid2.log")" "cannot write the pid file $T/ztaskd.pid" "  and says why"

"$ZTASKD" -c "$T/broker.cfg" -f -l /nonexistent/dir/x.log >/dev/null 2>"$T/err.txt"
is "$?" 1 "an unwritable log file stops the start"
like "$(cat "$T/err.txt")" "cannot open the log file /nonexistent/dir/x.log" "with a clear message"

done_testing
