#!/bin/bash
# log_format = "json": ztaskd (a log file with -l, rotated with SIGHUP) and
# a worker (stderr with -f), both at log_level debug, write nothing but
# JSON objects, one a line, with time, level, event and msg; the lines
# about a task carry its task_id, type, worker and attempt: a task that
# succeeds, one that fails, one cancelled while it runs. The logs are read
# after both processes have stopped, so every line is there.
. "${top_srcdir:-.}/tests/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
CRASH_SO="$top_builddir/tests/fixtures/.libs/crash.so"
[ -f "$CRASH_SO" ] && [ -f "$HOLD_SO" ] || { echo "Bail out! the crash and hold fixtures are missing (make check builds them)"; exit 1; }

# --- the config keys: bad values are refused with file:line ---
printf 'store = "%s";\nlog_format = "yaml";\n' "$T/bad.db" > "$T/bad.cfg"
err=$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1); rc=$?
is "$rc" 1 "ztaskd refuses log_format = \"yaml\""
like "$err" "bad.cfg:2: 'log_format' must be \"text\" or \"json\", not \"yaml\"" "  naming the file and line"

# --- a broker logging JSON to a file (-l), at debug level ---
cat > "$T/broker.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$T/ztask.db";
heartbeat_ms = 200;
log_format = "json";
log_level = "debug";
CFG
"$ZTASKD" -c "$T/broker.cfg" -f -l "$T/broker.json" >"$T/broker.log" 2>&1 &
BROKER_PID=$!
PIDS="$PIDS $BROKER_PID"
wait_for "grep -q 'listening on tcp' '$T/broker.json'" 10 || { echo "Bail out! ztaskd did not start"; exit 1; }
ZTASK_BROKER=$(grep -o 'listening on tcp://[0-9.:]*' "$T/broker.json" | tail -1 | sed 's/listening on //')
export ZTASK_BROKER

# --- a worker logging JSON to stderr (-f), at debug level (task.started and task.done) ---
cat > "$T/w1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w1";
slots = 2;
log_format = "json";
log_level = "debug";
plugins = ( { name = "echo"; }, { name = "crash"; file = "$CRASH_SO"; }, $(zt_plugin_entry hold) );
CFG
"$ZWORKER" -c "$T/w1.cfg" -f >"$T/w1.json" 2>&1 &
WORKER_PID=$!
PIDS="$PIDS $WORKER_PID"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 10 || { echo "Bail out! worker w1 did not register"; exit 1; }

# --- three tasks: done, failed, cancelled ---
ok_id=$("$ZTASK" submit echo -d hello)
wait_for "[ \"\$(zt_field $ok_id state)\" = done ]" 10
is "$(zt_field "$ok_id" state)" done "a task that succeeds"
fail_id=$("$ZTASK" submit crash -d "please fail")
wait_for "[ \"\$(zt_field $fail_id state)\" = failed ]" 10
is "$(zt_field "$fail_id" state)" failed "a task that fails"
hold_id=$("$ZTASK" submit hold -d "")
wait_for "zt_held $hold_id" 10
ok $? "a held task runs"
"$ZTASK" cancel "$hold_id" >/dev/null
wait_for "[ \"\$(zt_field $hold_id state)\" = cancelled ]" 10
is "$(zt_field "$hold_id" state)" cancelled "it is cancelled"

# --- the broker's log file rotated: SIGHUP reopens it ---
mv "$T/broker.json" "$T/broker.json.1"
kill -HUP "$BROKER_PID"
wait_for "grep -q 'reopened' '$T/broker.json'" 10
ok $? "SIGHUP: the broker reopens its log file"
is "$("$ZTASK" submit echo -d again --wait)" "again" "a task after the rotation"

# --- stop both, then read the logs whole ---
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null; zt_forget "$WORKER_PID"
kill -TERM "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null; zt_forget "$BROKER_PID"
is "$(cat "$T/broker.log")" "" "the broker wrote nothing to stderr (all in its log file)"

check=$(python3 - "$ok_id" "$fail_id" "$hold_id" "$T/broker.json.1" "$T/broker.json" -- "$T/w1.json" <<'PY'
import json, re, sys
ok_id, fail_id, hold_id = (int(x) for x in sys.argv[1:4])
split = sys.argv.index("--")
broker_files, worker_files = sys.argv[4:split], sys.argv[split + 1:]
problems = []
def read(files):
    lines = []
    for name in files:
        with open(name, "rb") as f:
            for number, raw in enumerate(f, 1):
                where = "%s:%d" % (name.rsplit("/", 1)[-1], number)
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except Exception as e:
                    problems.append("%s: not JSON (%s): %r" % (where, e, raw[:100]))
                    continue
                if not isinstance(obj, dict):
                    problems.append("%s: not an object" % where)
                    continue
                for key in ("time", "level", "event", "msg", "component"):
                    if not isinstance(obj.get(key), str):
                        problems.append("%s: no %s" % (where, key))
                if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", obj.get("time", "")):
                    problems.append("%s: time %r" % (where, obj.get("time")))
                if obj.get("level") not in ("error", "warning", "notice", "info", "debug"):
                    problems.append("%s: level %r" % (where, obj.get("level")))
                lines.append(obj)
    return lines
broker, worker = read(broker_files), read(worker_files)
def events(lines, task_id):
    return [l for l in lines if l.get("task_id") == task_id]
def check(lines, who, task_id, want, type_):
    got = events(lines, task_id)
    names = [l["event"] for l in got]
    for event in want:
        if event not in names:
            problems.append("%s: no %s for task %d (has %s)" % (who, event, task_id, names))
    for l in got:
        if l.get("type") != type_ or l.get("worker") != "w1" or l.get("attempt") != 1:
            problems.append("%s: task %d line without its fields: %r" % (who, task_id, l))
check(broker, "broker", ok_id, ["task.started", "task.done"], "echo")
check(worker, "worker", ok_id, ["task.started", "task.done"], "echo")
check(broker, "broker", fail_id, ["task.started", "task.failed"], "crash")
check(worker, "worker", fail_id, ["task.started", "task.failed"], "crash")
check(broker, "broker", hold_id, ["task.started", "task.cancelled"], "hold")
check(worker, "worker", hold_id, ["task.started", "task.cancelled"], "hold")
failed = [l for l in broker if l.get("task_id") == fail_id and l["event"] == "task.failed"]
if failed and "unknown payload" not in failed[0]["msg"]:
    problems.append("broker: task.failed without the error: %r" % failed[0]["msg"])
if failed and failed[0]["level"] != "warning":
    problems.append("broker: task.failed at %s" % failed[0]["level"])
if not any(l["event"] == "broker.log" and l["component"] == "broker" and l["msg"].startswith("listening on")
           for l in broker):
    problems.append("broker: no 'listening on' line with component broker")
print("%d broker lines, %d worker lines" % (len(broker), len(worker)))
for p in problems[:20]:
    print("PROBLEM " + p)
PY
)
printf '%s\n' "$check" | sed 's/^/# /'
ok $(printf '%s\n' "$check" | grep -q PROBLEM; echo $(( ! $? ))) \
    "every line of both logs is a JSON object with time, level, event, msg; task lines carry task_id, type, worker, attempt"
like "$check" '^[0-9]+ broker lines, [0-9]+ worker lines' "  (the check ran)"

done_testing
