#!/bin/bash
# The Quick start's main job: builds ztask, starts a broker and two workers
# from conf/, sends a mix of example tasks through them, shows where each ran
# and what it returned, then stops everything it started.
#
#   scripts/demo.sh --installed   the same with the installed ztask (a Debian
#                                 package, or make install): ztaskd, ztask-worker
#                                 and ztask from PATH, their own plugin directory,
#                                 the sample configs in $ZTASK_CONF_DIR (default
#                                 /etc/ztask); nothing is built
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
if [ "${1:-}" = --installed ]; then
    for program in ztaskd ztask-worker ztask; do
        command -v "$program" >/dev/null || { echo "demo: $program is not installed (not in PATH)"; exit 1; }
    done
    ztaskd=$(command -v ztaskd); worker=$(command -v ztask-worker); ztask=$(command -v ztask)
    conf=${ZTASK_CONF_DIR:-/etc/ztask}
    unset ZTASK_PLUGIN_DIR   # the installed plugins
elif [ $# -gt 0 ]; then
    echo "usage: scripts/demo.sh [--installed]"; exit 2
else
    sh scripts/build.sh || { echo "demo: the build failed"; exit 1; }
    export ZTASK_PLUGIN_DIR="$top/plugins/.libs"
    ztaskd="$top/ztaskd"; worker="$top/ztask-worker"; ztask="$top/ztask"
    conf="$top/conf"
fi

export ZTASK_BROKER="tcp://127.0.0.1:5570"   # as in conf/*.cfg
run=$(mktemp -d "${TMPDIR:-/tmp}/ztask-demo.XXXXXX")
pids=""
stop () {
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$run"
}
trap stop EXIT

if "$ztask" -t 300 stats >/dev/null 2>&1; then
    echo "demo: something already answers on $ZTASK_BROKER; stop it first (or edit conf/*.cfg)"
    exit 1
fi

section () { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "Starting $ztaskd and two workers from $conf (logs in $run)"
(cd "$run" && exec "$ztaskd" -c "$conf/broker.cfg" -f) >"$run/broker.log" 2>&1 &
pids="$pids $!"
"$worker" -c "$conf/worker-general.cfg" -f >"$run/general.log" 2>&1 &
pids="$pids $!"
"$worker" -c "$conf/worker-urgent.cfg" -f >"$run/urgent.log" 2>&1 &
pids="$pids $!"
for i in $(seq 100); do
    "$ztask" stats --json 2>/dev/null | grep -q '"workers": 2,' && break
    sleep 0.1
done
"$ztask" workers

section "Submitting tasks: a flood of slow low-priority ones, then urgent and everyday work"
ids=""
submit () {    # submit TYPE PRIORITY PAYLOAD
    local id
    id=$("$ztask" submit "$1" -p "$2" -d "$3") || exit 1
    printf '  task %-3s %-10s %-7s %s\n' "$id" "$1" "$2" "$(printf '%s' "$3" | tr '\n' ' ' | cut -c 1-40)"
    ids="$ids $id"
}
for n in 1 2 3 4; do submit sleep low 1500; done
submit sleep high 300
submit wordcount high "$(cat README.md)"
submit echo normal "hello from the demo"
submit wordcount normal "the quick brown fox jumps over the lazy dog"
submit sleep normal 200

section "While they run"
sleep 0.5
"$ztask" workers
echo
"$ztask" stats

section "Results"
printf '  %-4s %-10s %-8s %-9s %-8s %s\n' ID TYPE PRIORITY STATE WORKER RESULT
for id in $ids; do
    json=$("$ztask" status --json "$id")
    field () { printf '%s\n' "$json" | sed -n "s/^  \"$1\": \(.*\)$/\1/p" | head -1 | sed 's/,$//; s/^"\(.*\)"$/\1/'; }
    for i in $(seq 600); do
        state=$(field state)
        [ "$state" = done ] || [ "$state" = failed ] && break
        sleep 0.1; json=$("$ztask" status --json "$id")
    done
    result=$("$ztask" result "$id" 2>&1 | head -c 60 | tr '\n' ' ')
    case $(field priority) in 0) priority=low ;; 5) priority=normal ;; 9) priority=high ;; *) priority=$(field priority) ;; esac
    printf '  %-4s %-10s %-8s %-9s %-8s %s\n' "$id" "$(field type)" "$priority" "$(field state)" "$(field worker)" "$result"
done

section "Final statistics"
"$ztask" stats
echo
echo "The high-priority tasks ran on 'urgent' at once, while 'general' worked through"
echo "the low-priority flood. Stopping the broker and workers."
