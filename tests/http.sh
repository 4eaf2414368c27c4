#!/bin/bash
# ztaskd's HTTP endpoint against a real broker and workers: /metrics in the
# Prometheus text format (promtool) with the counters and gauges of known
# tasks, the JSON API equal to what `ztask --json` prints, an action with
# and without the token, and hostile requests (a huge header, a 1 MB body,
# a bad method, path traversal, an unknown path, an idle half-sent
# request) each answered while the broker still dispatches. The HTTP
# client is python3's standard library (no curl needed).
. "${top_srcdir:-.}/tests/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }

# http METHOD PATH [HEADER: VALUE]... : prints the status, a newline, the body.
# HTTP_BODY=N sends N bytes of body.
cat > "$T/hclient.py" <<'PY'
import http.client, os, sys
port = int(os.environ["HTTP_PORT"])
method, path, headers = sys.argv[1], sys.argv[2], {}
for h in sys.argv[3:]:
    k, v = h.split(":", 1)
    headers[k.strip()] = v.strip()
body = b"x" * int(os.environ.get("HTTP_BODY", "0")) if os.environ.get("HTTP_BODY") else None
c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
try:
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    sys.stdout.write("%d\n" % r.status)
    sys.stdout.write(r.read().decode("utf-8", "replace"))
except (ConnectionError, http.client.HTTPException) as e:
    sys.stdout.write("closed %s\n" % type(e).__name__)
PY
http () { python3 "$T/hclient.py" "$@"; }
status_of () { http "$@" | head -1; }
body_of () { http "$@" | tail -n +2; }
# JSON equality, whatever the formatting: same A B
same_json () { python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]) == json.loads(sys.argv[2]) else 1)' "$1" "$2"; }
# The value of a sample in the metrics text: metric NAME{LABELS}
metric () { printf '%s\n' "$METRICS" | awk -v k="$1" '$1 == k { print $2 }'; }

# --- configuration errors ---
TOKEN=0123456789abcdef0123456789abcdef
printf '%s\n' "$TOKEN" > "$T/token"
chmod 600 "$T/token"
printf 'short\n' > "$T/short"; chmod 600 "$T/short"
: > "$T/empty"; chmod 600 "$T/empty"
printf '%s\n' "$TOKEN" > "$T/open"; chmod 644 "$T/open"
for bad in short empty open missing; do
    printf 'store = "%s/x.db";\nhttp = { listen = "127.0.0.1:0"; token_file = "%s/%s"; };\n' "$T" "$T" "$bad" > "$T/bad.cfg"
    err=$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1); rc=$?
    ok $([ $rc -ne 0 ] && echo 0 || echo 1) "a token file that is $bad: ztaskd refuses to start"
    like "$err" "bad.cfg:2: http.token_file" "  with file:line"
done
printf 'http = { listen = "127.0.0.1:0"; colour = "red"; };\n' > "$T/bad.cfg"
err=$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1)
like "$err" "bad.cfg:1: .*colour" "an unknown key in http: an error naming it"
printf 'http = { listen = "nowhere"; };\n' > "$T/bad.cfg"
err=$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1)
like "$err" "bad.cfg:1: http.listen must be HOST:PORT" "a listen without a port: an error"

# --- a broker with http, workers ---
zt_broker "http = { listen = \"127.0.0.1:0\"; token_file = \"$T/token\"; web_root = \"$top_srcdir/web\"; };"
wait_for "grep -q 'broker: http on 127.0.0.1:[0-9]' '$T/broker.log'" 10 || { echo "Bail out! no http line"; exit 1; }
HTTP_PORT=$(grep -o 'broker: http on 127.0.0.1:[0-9]*' "$T/broker.log" | tail -1 | sed 's/.*://')
export HTTP_PORT
zt_worker e 2 '"all"' echo
zt_worker h 1 '"all"' hold

for i in 1 2 3; do "$ZTASK" submit echo -d "hello $i" --wait >/dev/null; done
hid1=$("$ZTASK" submit hold -p high)
wait_for "zt_held $hid1" 10
hid2=$("$ZTASK" submit hold -p high)
sid=$("$ZTASK" submit report --in 1h) # due in an hour: scheduled

# --- /metrics ---
is "$(status_of GET /metrics)" 200 "GET /metrics: 200"
METRICS=$(body_of GET /metrics)
if command -v promtool >/dev/null 2>&1; then
    out=$(printf '%s\n' "$METRICS" | promtool check metrics 2>&1); rc=$?
    is "$rc" 0 "promtool check metrics accepts it"
    [ $rc -eq 0 ] || printf '# %s\n' "$out"
elif [ "${CI:-}" = true ]; then
    ok 1 "promtool is installed (CI: the metrics check must run; apt-get install prometheus)"
else
    echo "# promtool (Debian: prometheus) is not installed: the format check is skipped"
fi
is "$(metric 'ztask_tasks_done_total{type="echo",priority="5"}')" 3 "3 echo tasks done at normal (5): done_total 3"
is "$(metric 'ztask_tasks_submitted_total{type="echo",priority="5"}')" 3 "  submitted_total 3"
is "$(metric 'ztask_tasks_started_total{type="echo",priority="5"}')" 3 "  started_total 3"
is "$(metric 'ztask_run_seconds_count{type="echo"}')" 3 "  3 run times observed"
is "$(metric 'ztask_tasks_queued{type="hold",priority="9"}')" 1 "a held task and one behind it: queued{hold,9} 1"
is "$(metric 'ztask_tasks_running{type="hold"}')" 1 "  running{hold} 1"
is "$(metric 'ztask_tasks_scheduled')" 1 "a task due in an hour: scheduled 1"
is "$(metric 'ztask_tasks_queued{type="report",priority="5"}')" 0 "  and not queued"
is "$(metric 'ztask_workers')" 2 "workers 2"
is "$(metric 'ztask_slots')" 3 "slots 3"
is "$(metric 'ztask_slots_free')" 2 "slots_free 2"
is "$(metric 'ztask_broker_leader')" 1 "broker_leader 1"
like "$(metric 'ztask_store_bytes')" '^[1-9][0-9]*$' "store_bytes: the SQLite file's size"
like "$(metric 'ztask_oldest_queued_seconds{priority="9"}')" '^[0-9]+\.[0-9]+$' "oldest_queued_seconds{9} is a number"
like "$(metric 'process_open_fds')" '^[1-9][0-9]*$' "process_open_fds"

# --- the API is what ztask --json prints ---
api=$(body_of GET /api/v1/stats); cli=$("$ZTASK" stats --json)
same_json "$api" "$cli"; ok $? "GET /api/v1/stats = ztask stats --json"
api=$(body_of GET /api/v1/workers); cli=$("$ZTASK" workers --json)
same_json "$api" "$cli"; ok $? "GET /api/v1/workers = ztask workers --json"
api=$(body_of GET '/api/v1/tasks?limit=3'); cli=$("$ZTASK" list --json --limit 3)
same_json "$api" "$cli"; ok $? "GET /api/v1/tasks?limit=3 = ztask list --json --limit 3"
api=$(body_of GET '/api/v1/tasks?state=done'); cli=$("$ZTASK" list --json --state done)
same_json "$api" "$cli"; ok $? "GET /api/v1/tasks?state=done = ztask list --json --state done"
api=$(body_of GET /api/v1/tasks/1 | python3 -c 'import json,sys; d=json.load(sys.stdin); h=d.pop("history"); assert isinstance(h, list); print(json.dumps(d))')
cli=$("$ZTASK" status --json 1)
same_json "$api" "$cli"; ok $? "GET /api/v1/tasks/1 = ztask status --json 1, plus its history"
api=$(body_of GET "/api/v1/tasks/$sid" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("history"); print(json.dumps(d))')
cli=$("$ZTASK" status --json "$sid")
same_json "$api" "$cli"; ok $? "  and for a scheduled task (its due_ms too)"
bid=$("$ZTASK" submit echo -d child --after "$hid1,1") # blocked: hid1 is held
api=$(body_of GET "/api/v1/tasks/$bid" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("history"); print(json.dumps(d))')
cli=$("$ZTASK" status --json "$bid")
same_json "$api" "$cli"; ok $? "  and for a blocked task (its parents too)"
like "$(printf '%s' "$api" | tr -d ' ')" "\"parents\":\\[\\{[^]]*\"id\":$hid1" "  whose parents name the held task"
like "$(body_of GET /api/v1/series)" '^\{"bucket_s":10,"now_ms":[0-9]+,"buckets":\[' "GET /api/v1/series"
is "$(status_of GET /api/v1/tasks/999999)" 404 "an unknown task: 404"
is "$(status_of GET /api/v1/tasks/abc)" 400 "a bad task id: 400"
is "$(status_of GET '/api/v1/tasks?limit=zero')" 400 "a bad limit: 400"
like "$(body_of GET /)" "<html" "GET / serves the dashboard"
is "$(status_of GET /style.css)" 200 "GET /style.css"

# --- an action: cancel the queued hold task ---
is "$(status_of POST /api/v1/tasks/$hid2/cancel)" 401 "cancel without a token: 401"
is "$(status_of POST /api/v1/tasks/$hid2/cancel 'Authorization: Bearer wrong-wrong-wrong-wrong')" 403 "  a wrong token: 403"
is "$(status_of POST /api/v1/tasks/$hid2/cancel "Authorization: Bearer $TOKEN" 'Origin: http://evil.example')" 403 \
    "  a foreign Origin: 403"
is "$(zt_field "$hid2" state)" queued "  the task is still queued"
out=$(http POST /api/v1/tasks/$hid2/cancel "Authorization: Bearer $TOKEN" "Origin: http://127.0.0.1:$HTTP_PORT")
is "$(printf '%s\n' "$out" | head -1)" 200 "cancel with the token and our own Origin: 200"
like "$(printf '%s\n' "$out" | tail -n +2)" '"state":"cancelled"' "  answers the task, cancelled"
is "$(zt_field "$hid2" state)" cancelled "  ztask status says cancelled"
METRICS=$(body_of GET /metrics)
is "$(metric 'ztask_tasks_cancelled_total{type="hold",priority="9"}')" 1 "  cancelled_total{hold,9} 1"

# --- hostile requests, while the broker dispatches ---
big=$(python3 -c 'print("a" * 100000)')
like "$(status_of GET /metrics "X-Big: $big")" '^(431|closed)' "a 100 KB header: 431 (or the connection closed)"
# A 1 MB body announced by Content-Length is refused before it is read
# (the answer comes after the head alone); one sent chunked, with no
# length, is read and dropped as it comes, then refused.
raw_status () { # raw_status CHUNKED(0|1): the status line's code
    python3 - "$HTTP_PORT" "$1" "$TOKEN" <<'PY'
import socket, sys
port, chunked, token = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
head = "POST /api/v1/tasks/1/cancel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n" % token
if chunked:
    s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b"x" * 65536
    for _ in range(16):
        s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    s.sendall(b"0\r\n\r\n")
else:
    s.sendall((head + "Content-Length: 1048576\r\n\r\n").encode())
answer = b""
while b"\r\n" not in answer:
    data = s.recv(4096)
    if not data:
        break
    answer += data
print(answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/") else "closed")
PY
}
is "$(raw_status 0)" 413 "a 1 MB body (Content-Length): 413 before it is sent"
is "$(raw_status 1)" 413 "a 1 MB body sent chunked: 413"
is "$(status_of BREW /metrics)" 405 "an unknown method: 405"
is "$(status_of DELETE /api/v1/stats)" 405 "DELETE on a read: 405"
like "$(status_of GET /../../etc/passwd)" '^40[04]$' "path traversal: 400 or 404"
is "$(status_of GET /web/../src/ztaskd.c)" 400 "path traversal inside: 400"
is "$(status_of GET /nothing/here)" 404 "an unknown path: 404"
# An idle client that sent half a request holds its connection (until the
# test lets it go); it must not hold up anyone else. The state is held,
# not timed: /metrics must answer while the half request is still open.
python3 - "$HTTP_PORT" "$T/slow.release" > "$T/slow.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
print("sent", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
print("released", flush=True)
PY
SLOW_PID=$!
PIDS="$PIDS $SLOW_PID"
wait_for "grep -q sent '$T/slow.out'" 10
ok $? "an idle client has sent half a request"
is "$(status_of GET /metrics)" 200 "/metrics while the half request is open: 200"
ok $(grep -q released "$T/slow.out" && echo 1 || echo 0) "  answered while the idle client still held its connection"
out=$("$ZTASK" submit echo -d after --wait); rc=$?
is "$rc" 0 "the broker still dispatches: an echo task runs"
is "$out" "after" "  with its result"
: > "$T/slow.release"
wait "$SLOW_PID" 2>/dev/null
zt_forget "$SLOW_PID"
zt_release "$hid1"

# --- METRICS is refused on the public socket ---
# METRICS (14), corr 7, flags 0 -> ERROR (24), corr 7, BAD_REQUEST (1)
like "$("$top_builddir/tests/raw_peer" "$ZTASK_BROKER" -r 1 -t 5000 5a54010e0000000700 2>&1)" "^5a54011800000007 ?0001" \
    "METRICS from the public endpoint: ERROR BAD_REQUEST"

done_testing
