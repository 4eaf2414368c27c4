#!/bin/bash
# The README's screenshot: builds ztask, starts a broker with its http
# section on and the demo's workers (conf/worker-*.cfg, as scripts/demo.sh
# does), runs the demo's kind of load for a while (a flood of slow low
# tasks, urgent and everyday work, a few that fail, a type nobody serves,
# one paused type), then has headless Chromium (tests/cdp.py) take the
# dashboard at 1440x900 with the token entered, and stops everything.
#
#   scripts/dashboard-shot.sh [OUT.png]    default docs/dashboard.png
#   SHOT_SECONDS=120 scripts/dashboard-shot.sh   load for longer (default 180)
#
# Uses the ports 5570 (ZeroMQ, as conf/*.cfg) and 5580 (HTTP); refuses to
# run when something answers there.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
out=${1:-docs/dashboard.png}
seconds=${SHOT_SECONDS:-180}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || { echo "dashboard-shot: chromium is not installed (apt-get install chromium)"; exit 1; }
command -v python3 >/dev/null || { echo "dashboard-shot: python3 is missing"; exit 1; }

sh scripts/build.sh || { echo "dashboard-shot: the build failed"; exit 1; }
export ZTASK_PLUGIN_DIR="$top/plugins/.libs"
ztaskd="$top/ztaskd"; worker="$top/ztask-worker"; ztask="$top/ztask"
export ZTASK_BROKER="tcp://127.0.0.1:5570"
url="http://127.0.0.1:5580"

run=$(mktemp -d "${TMPDIR:-/tmp}/ztask-shot.XXXXXX")
pids=""
stop () {
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$run"
}
trap stop EXIT

if "$ztask" -t 300 stats >/dev/null 2>&1 || (: </dev/tcp/127.0.0.1/5580) 2>/dev/null; then
    echo "dashboard-shot: something already answers on $ZTASK_BROKER or $url; stop it first"
    exit 1
fi

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s' "$token" > "$run/token"
chmod 600 "$run/token"
cat conf/broker.cfg > "$run/broker.cfg"
cat >> "$run/broker.cfg" <<CFG
name = "ztaskd-demo";
http = { listen = "127.0.0.1:5580"; token_file = "$run/token"; web_root = "$top/web"; };
CFG
(cd "$run" && exec "$ztaskd" -c "$run/broker.cfg" -f) >"$run/broker.log" 2>&1 &
pids="$pids $!"
"$worker" -c conf/worker-general.cfg -f >"$run/general.log" 2>&1 &
pids="$pids $!"
"$worker" -c conf/worker-urgent.cfg -f >"$run/urgent.log" 2>&1 &
pids="$pids $!"
# A third worker for the low flood, on another (pretend) host.
sed -e 's/^name = .*/name = "batch";/' -e 's/^slots = .*/slots = 3;/' \
    -e 's/^priorities = .*/priorities = ["low"];/' conf/worker-general.cfg > "$run/batch.cfg"
"$worker" -c "$run/batch.cfg" -f >"$run/batch.log" 2>&1 &
pids="$pids $!"
for i in $(seq 100); do
    curl -sf "$url/api/v1/stats" 2>/dev/null | grep -q '"workers": 3,' && break
    sleep 0.1
done
curl -sf "$url/api/v1/stats" >/dev/null || { echo "dashboard-shot: no dashboard on $url (see $run/broker.log)"; cat "$run/broker.log"; exit 1; }

echo "dashboard-shot: $seconds s of load (logs in $run)"
submit () { "$ztask" submit "$@" >/dev/null 2>&1; }
readme=$(head -c 60000 README.md)
end=$(( $(date +%s) + seconds ))
n=0
while [ "$(date +%s)" -lt "$end" ]; do
    n=$((n + 1))
    submit sleep -p low -d $(( 800 + RANDOM % 1700 ))
    submit echo -p normal -d "hello $n"
    [ $((n % 2)) -eq 0 ] && submit wordcount -p normal -d "$readme"
    [ $((n % 3)) -eq 0 ] && submit sleep -p high -d $(( 100 + RANDOM % 400 ))
    [ $((n % 4)) -eq 0 ] && submit sleep -p 2 -d $(( 2000 + RANDOM % 3000 ))
    [ $((n % 9)) -eq 0 ] && submit sleep -p normal -d "soon"          # fails: not a number
    [ $((n % 15)) -eq 0 ] && submit thumbnail -p normal -d "IMG_$n.jpg"  # no worker has it
    sleep 0.3
done
# Long tasks still running when the page is taken, with their progress bars.
for ms in 40000 55000 70000; do submit sleep -p low -d "$ms"; done
submit sleep -p 2 -d 50000
submit sleep -p high -d 30000
# A paused type with work waiting (ztask pause, issue 13).
"$ztask" pause wordcount >/dev/null 2>&1 || echo "dashboard-shot: ztask pause is not available; no paused type"
for i in 1 2 3 4 5 6; do submit wordcount -p normal -d "$readme"; done
submit wordcount -p high -d "$readme"
sleep 2

python3 tests/cdp.py --chromium "$chromium" --size 1440x900 --timeout 30 "$url/" \
    wait 'document.body.hasAttribute("data-ready")' \
    click '#settings-summary' type '#token-input' "$token" key Enter \
    wait 'document.querySelector("#chart-wait svg") && document.querySelector("#workers progress")' \
    click '#action-result .link-btn' \
    eval 'document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); "ready"' \
    shot "$out" \
    noerrors >/dev/null || { echo "dashboard-shot: the browser failed"; exit 1; }
echo "dashboard-shot: wrote $out"
