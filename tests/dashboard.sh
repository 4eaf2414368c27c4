#!/bin/bash
# The web dashboard (web/) in a real browser: a broker with its http
# section on, workers, a task held running at a known progress, one queued
# behind it, one done and one failed; headless Chromium loads the page
# from the broker and the test asserts on what it rendered (the totals,
# the queue depth, the held task's progress bar, the failed task's error),
# types the token, clicks Retry (a wrong token first: refused inline), and
# checks with ztask that the task was requeued and ran again; then the
# broker stops (the page shows its banner) and starts again (the page
# recovers by itself).
#
# Chromium is driven by tests/cdp.py over --remote-debugging-pipe (the
# DevTools protocol on two pipes, Python's standard library only). Every
# check waits for a condition in the page with a deadline; the broker's
# state is held still by the hold fixture, not by timing.
# Without chromium, python3 or curl the test is skipped, except in CI (CI=true),
# where that is a failure.
. "${top_srcdir:-.}/tests/lib.sh"

CDP="$top_srcdir/tests/cdp.py"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
    if [ "${CI:-}" = true ]; then
        echo "Bail out! chromium, python3 or curl is missing: apt-get install chromium python3 curl"
        exit 1
    fi
    echo "1..0 # SKIP chromium, python3 or curl is missing (apt-get install chromium python3 curl)"
    exit 0
fi

# The hold fixture reports 2 of 5 while held; "strict-sleep" is the sleep
# plugin with max_ms = 10, which fails a longer sleep without retrying.
zt_plugin_entry () {
    case $1 in
    hold) printf '{ name = "hold"; file = "%s"; settings = { dir = "%s"; log = "%s"; progress_done = 2; progress_total = 5; }; }' \
              "$HOLD_SO" "$HOLD_DIR" "$HOLD_LOG" ;;
    strict-sleep) printf '{ name = "sleep"; settings = { max_ms = 10; }; }' ;;
    *) printf '{ name = "%s"; }' "$1" ;;
    esac
}

TOKEN=dashboard-test-token-7f3a9c
printf '%s' "$TOKEN" > "$T/token"
chmod 600 "$T/token"
port=$(zt_free_port)
URL="http://127.0.0.1:$port"
HTTP_CONFIG="http = { listen = \"127.0.0.1:$port\"; token_file = \"$T/token\"; web_root = \"$top_srcdir/web\"; };"
zt_broker "$HTTP_CONFIG"
# The same endpoint after the restart below, where the workers reconnect.
sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg"
wait_for "curl -sf '$URL/api/v1/stats'" 10 \
    || { echo "Bail out! the broker's http section did not start on $URL"; exit 1; }
like "$(curl -sf "$URL/")" 'src="app.js"' "GET / is the dashboard's page"

# ---- the state the page shows, held still ----
# A sleep task fails on "strict" (max_ms 10); strict goes away, so that
# its retry later runs on "general", which has no limit.
zt_worker strict 1 '"all"' strict-sleep
strict_pid=$WORKER_PID
fid=$("$ZTASK" submit sleep -d 50)
wait_for "[ \"\$(zt_field $fid state)\" = failed ]" 15
is "$(zt_field "$fid" state)" failed "task $fid failed on the strict worker"
kill -TERM "$strict_pid"; wait "$strict_pid" 2>/dev/null; zt_forget "$strict_pid"
wait_for "[ \"\$(zt_worker_names)\" = '' ]" 10

zt_worker general 2 '"all"' echo sleep
did=$("$ZTASK" submit echo -d hello)
wait_for "[ \"\$(zt_field $did state)\" = done ]" 15
zt_worker holder 1 '"all"' hold
hid=$("$ZTASK" submit hold)
wait_for "zt_held $hid" 15
# The progress reaches the broker a moment after the task started.
wait_for "\"$ZTASK\" workers --json | grep -q '\"progress_done\": 2'" 15
qid=$("$ZTASK" submit hold -p high)
is "$(zt_field "$qid" state)" queued "task $qid waits behind the held one"
error=$(zt_field "$fid" error)
like "$error" "max_ms" "the failed task's error names the limit"

# ---- the browser ----
# One page for the whole run. The steps' outputs (one a line) go to
# $T/page.out in order; tests/cdp.py writes why it stopped to page.log.
text () { printf '(function(){var e=document.querySelector(%s);return e?e.textContent.trim():"(none)";})()' "$1"; }
attr () { printf '(function(){var e=document.querySelector(%s);var v=e&&e.getAttribute(%s);return v===null?"(none)":v;})()' "$1" "$2"; }
count () { printf 'String(document.querySelectorAll(%s).length)' "$1"; }
retry_btn="'[data-action=retry][data-task-id=\"$fid\"]'"
failed_row="'#failed-tasks tr[data-task-id=\"$fid\"]'"
ready='document.body.hasAttribute("data-ready")'
recovered='document.getElementById("banner").hidden && document.getElementById("updated").classList.contains("live")'
python3 "$CDP" --chromium "$CHROMIUM" --size 1366x768 --timeout 20 "$URL/" \
    wait "$ready" \
    eval "$(text '"#total-queued"')" \
    eval "$(text '"#total-running"')" \
    eval "$(text '"#total-done"')" \
    eval "$(text '"#total-failed"')" \
    eval "$(text '"#total-workers"')" \
    eval "$(text '"#total-slots-free"') + '/' + $(text '"#total-slots-total"')" \
    eval "$(text "'#queue-body tr[data-type=\"hold\"] td[data-priority=\"9\"]'")" \
    eval "$(attr "'#workers progress[data-task-id=\"$hid\"]'" '"value"') + '/' + $(attr "'#workers progress[data-task-id=\"$hid\"]'" '"max"')" \
    eval "$(text "'#workers .progress-text[data-task-id=\"$hid\"]'")" \
    eval "$(text "'#failed-tasks .error-text[data-task-id=\"$fid\"]'")" \
    eval "$(count '"button[data-action]:not([hidden])"')" \
    eval 'String(document.getElementById("banner").hidden)' \
    click '#settings-summary' \
    type '#token-input' wrong-token key Enter \
    wait "document.querySelector($retry_btn)" \
    click "[data-action=retry][data-task-id=\"$fid\"]" \
    wait 'document.getElementById("action-result").getAttribute("data-http") === "403"' \
    eval "$(text '"#action-result .msg"')" \
    click '#settings-summary' \
    type '#token-input' "$TOKEN" key Enter \
    wait "document.querySelector($retry_btn)" \
    focus "[data-action=retry][data-task-id=\"$fid\"]" key Enter \
    until "/^Retry/.test(document.querySelector('#action-result .msg').textContent) && document.getElementById('action-result').getAttribute('data-status') === 'ok'" \
    eval "$(text '"#action-result .msg"')" \
    until "!document.querySelector($failed_row)" \
    eval "location.hash = '#/task/$hid'; 'task page'" \
    wait "document.getElementById('task-state').textContent === 'running'" \
    eval "$(attr '"#task-progress"' '"value"') + '/' + $(attr '"#task-progress"' '"max"')" \
    until "document.querySelector('#task-history li[data-event=started]')" \
    eval "location.hash = '#/'; 'overview'" \
    sh "touch '$T/stop-broker'" \
    wait '!document.getElementById("banner").hidden' \
    eval "$(attr '"#banner"' '"data-kind"')" \
    sh "touch '$T/saw-banner'" \
    until "$recovered" \
    noerrors \
    >"$T/page.out" 2>"$T/page.log" &
cdp_pid=$!
PIDS="$PIDS $cdp_pid"

# Meanwhile: stop the broker when the page asks, start it again once the
# page has shown its banner (the same config: store, endpoint, http port).
# (No deadline of its own here: each step of tests/cdp.py has one.)
if wait_for "[ -f '$T/stop-broker' ] || ! zt_mine $cdp_pid" 300 && [ -f "$T/stop-broker" ]; then
    kill -TERM "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null; zt_forget "$BROKER_PID"
    if wait_for "[ -f '$T/saw-banner' ] || ! zt_mine $cdp_pid" 300 && [ -f "$T/saw-banner" ]; then
        echo "---- restart" >>"$T/broker.log"
        "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
        BROKER_PID=$!
        PIDS="$PIDS $BROKER_PID"
    fi
fi
wait "$cdp_pid"; rc=$?; zt_forget "$cdp_pid"
is "$rc" 0 "the browser ran every step (tests/cdp.py)"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/page.log"

mapfile -t got < "$T/page.out"
is "${got[0]:-}" 1 "#total-queued: 1 (the high hold task)"
is "${got[1]:-}" 1 "#total-running: 1 (the held task)"
is "${got[2]:-}" 1 "#total-done: 1 (the echo task)"
is "${got[3]:-}" 1 "#total-failed: 1 (the strict sleep)"
is "${got[4]:-}" 2 "#total-workers: 2"
is "${got[5]:-}" 2/3 "slots free / total: 2/3"
is "${got[6]:-}" 1 "queue depth: one hold task at priority 9"
is "${got[7]:-}" 2/5 "the held task's progress bar: value 2 of max 5"
like "${got[8]:-}" '^held . 40 %$' "  and its text: held, 40 %"
is "${got[9]:-}" "$error" "the failed task's row shows its error"
is "${got[10]:-}" 0 "no action button without a token"
is "${got[11]:-}" true "no banner while the broker answers"
like "${got[12]:-}" "refused \\(403\\)" "Retry with a wrong token: refused inline (403)"
is "${got[13]:-}" true "Retry with the token: the page reports success"
like "${got[14]:-}" "requeued 1 task \\(#$fid\\)" "  naming the task requeued"
is "${got[15]:-}" true "  and the task leaves the failed list"
is "${got[17]:-}" 2/5 "the task page (#/task/$hid) shows its progress bar"
is "${got[18]:-}" true "  and its history (queued, started)"
is "${got[20]:-}" unreachable "the broker stopped: the banner says it cannot be reached"
is "${got[21]:-}" true "the broker back: the banner goes and the page shows it again"

# The retried task ran again, on general (no max_ms): done this time.
wait_for "[ \"\$(zt_field $fid state)\" = done ]" 20
is "$(zt_field "$fid" state)" done "the retried task $fid ran again and is done"
is "$("$ZTASK" result "$fid" 2>&1)" "slept 50 ms" "  with sleep's result"

done_testing
