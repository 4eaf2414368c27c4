#!/bin/bash
# bench_s1.sh - workloads S1 (scheduling quality, issue 5) and S2 (the same
# on a mixed fleet, issue 12; scripts/bench_s2.sh runs this with
# SCHED_WORKLOAD=S2): runs bench/s1_sched (bench/s2_sched) through ztaskd
# and a heterogeneous fleet of ztask-workers, S1 also through plain ZeroMQ
# PUSH/PULL, and prints one RESULT line per run (plus "# " lines naming the
# worst idle stretches and dispatch gaps).
#
#   scripts/bench_s1.sh [S1_SCHED OPTIONS...]     e.g. --work 450 --seed 1
#   scripts/bench_s2.sh [S2_SCHED OPTIONS...]
#
# Each ztask run gets a fresh ztaskd (temporary store, sync "normal", a port
# it picks, and what `s2_sched --print-broker` says: the limit) and the
# workers `s1_sched --print-fleet` (`s2_sched --print-fleet`) lists, loading
# tests/fixtures/.libs/busy_{a,b,c}.so, with their labels and resources
# (S2); the script stops exactly the processes it started. Systems
# (S1_SYSTEMS, default all three):
#   ztask       one worker reserved for high tasks (the fleet S1 is judged on)
#   ztask-flat  the same fleet with that worker serving every level
#   pushpull    the same slots, round robin, every slot runs every type
# S2 (S2_SYSTEMS, default ztask):
#   ztask       the mixed fleet, tasks asking for zones, GPUs, the api limit
#   ztask-plain the same fleet and tasks asking nothing (a control run)
# Environment: top_builddir, top_srcdir (as `make bench` sets them; default
# this checkout), S1_SYSTEMS, S2_SYSTEMS, S1_REPS / S2_REPS (1),
# S1_TIMELINE_DIR (keep a per-task timeline of each run there),
# S1_KEEP_LOGS (keep the temp dir with the logs).
# Exit: 0, 1 if a run failed, 77 if something is not built.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=${top_builddir:-$here}
top_srcdir=${top_srcdir:-$here}
WORKLOAD=${SCHED_WORKLOAD:-S1}
case $WORKLOAD in
S1) S1="$top_builddir/bench/s1_sched" SYSTEMS=${S1_SYSTEMS:-"ztask ztask-flat pushpull"} REPS=${S1_REPS:-1} ;;
S2) S1="$top_builddir/bench/s2_sched" SYSTEMS=${S2_SYSTEMS:-ztask} REPS=${S2_REPS:-1} ;;
*) echo "bench_s1: SCHED_WORKLOAD is S1 or S2, not '$WORKLOAD'" >&2; exit 2 ;;
esac
tool=$(basename "$S1")
ZTASKD="$top_builddir/ztaskd"
ZWORKER="$top_builddir/ztask-worker"
FIXTURES="$top_builddir/tests/fixtures/.libs"

for f in "$S1" "$ZTASKD" "$ZWORKER" "$FIXTURES/busy_a.so" "$FIXTURES/busy_b.so" "$FIXTURES/busy_c.so"; do
    if [ ! -x "$f" ] && [ ! -f "$f" ]; then
        echo "bench_s1: $f is not built: make bench/$tool tests/fixtures/busy_a.la" \
             "tests/fixtures/busy_b.la tests/fixtures/busy_c.la ztaskd ztask-worker" >&2
        exit 77
    fi
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/ztask-$WORKLOAD.XXXXXX")
PIDS=""

# Stops the processes this script started: SIGTERM, up to 10 s, then SIGKILL.
stop_started () {
    local pid
    [ -n "$PIDS" ] || return 0
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 100); do
        local alive=""
        for pid in $PIDS; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
    for pid in $PIDS; do wait "$pid" 2>/dev/null; done
    PIDS=""
}
cleanup () {
    stop_started
    if [ -n "${S1_KEEP_LOGS:-}" ]; then echo "# bench_s1: logs kept in $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_logs () {    # show_logs DIR: the tail of each log, as comments
    local log
    for log in "$1"/*.log; do
        [ -f "$log" ] || continue
        echo "# ---- $log"; tail -20 "$log" | sed 's/^/#   /'
    done
}

# start_fleet DIR [FLEET]: a broker and the fleet's workers; sets ENDPOINT, BROKER_PID.
start_fleet () {
    local dir=$1 name slots levels rest word deadline
    local -a fleet=()
    [ -n "${2:-}" ] && fleet=(--fleet "$2")
    mkdir -p "$dir"
    cat >"$dir/broker.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$dir/sched.db";
sync = "normal";
CFG
    [ "$WORKLOAD" = S2 ] && "$S1" --print-broker >>"$dir/broker.cfg"
    "$ZTASKD" -c "$dir/broker.cfg" -f >"$dir/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    deadline=$(( $(date +%s) + 10 ))
    until grep -qs 'listening on tcp' "$dir/broker.log"; do
        if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$BROKER_PID" 2>/dev/null; then
            echo "bench_s1: ztaskd did not start" >&2
            return 1
        fi
        sleep 0.05
    done
    ENDPOINT=$(grep -o 'listening on tcp://[0-9.:]*' "$dir/broker.log" | tail -1 | sed 's/listening on //')
    # NAME SLOTS all|high PLUGIN... [label:KEY=VALUE]... [resource:NAME=N]...
    while read -r name slots levels rest; do
        [ "$levels" = high ] && levels='["high"]' || levels='"all"'
        local list="" labels="" resources=""
        for word in $rest; do
            case $word in
            label:*=*) word=${word#label:}; labels="$labels ${word%%=*} = \"${word#*=}\";" ;;
            resource:*=*) word=${word#resource:}; resources="$resources ${word%%=*} = ${word#*=};" ;;
            *) list="$list${list:+, }{ name = \"$word\"; file = \"$FIXTURES/$word.so\"; }" ;;
            esac
        done
        {
            echo "broker = \"$ENDPOINT\";"
            echo "name = \"$name\";"
            echo "slots = $slots;"
            echo "priorities = $levels;"
            [ -n "$labels" ] && echo "labels = {$labels };"
            [ -n "$resources" ] && echo "resources = {$resources };"
            echo "plugins = ( $list );"
        } >"$dir/$name.cfg"
        "$ZWORKER" -c "$dir/$name.cfg" -f >"$dir/$name.log" 2>&1 &
        PIDS="$PIDS $!"
    done < <("$S1" --print-fleet "${fleet[@]}")
}

status=0
for rep in $(seq "$REPS"); do
    for system in $SYSTEMS; do
        dir="$RUN/$system-$rep"
        timeline=()
        if [ -n "${S1_TIMELINE_DIR:-}" ]; then
            mkdir -p "$S1_TIMELINE_DIR"
            timeline=(--timeline "$S1_TIMELINE_DIR/$WORKLOAD-$system-$rep.txt")
        fi
        case $WORKLOAD-$system in
        S2-ztask | S2-ztask-plain)
            plain=()
            [ "$system" = ztask-plain ] && plain=(--plain)
            if start_fleet "$dir"; then
                "$S1" --broker "$ENDPOINT" --broker-pid "$BROKER_PID" --system "$system" --rep "$rep" \
                    "${plain[@]}" "${timeline[@]}" "$@"
                rc=$?
            else
                rc=1
            fi
            [ "$rc" -ne 0 ] && show_logs "$dir"
            stop_started
            ;;
        S1-ztask | S1-ztask-flat)
            fleet=reserved
            [ "$system" = ztask-flat ] && fleet=flat
            if start_fleet "$dir" "$fleet"; then
                "$S1" --broker "$ENDPOINT" --broker-pid "$BROKER_PID" --fleet "$fleet" --system "$system" \
                    --rep "$rep" "${timeline[@]}" "$@"
                rc=$?
            else
                rc=1
            fi
            [ "$rc" -ne 0 ] && show_logs "$dir"
            stop_started
            ;;
        S1-pushpull)
            "$S1" --pushpull --system pushpull --rep "$rep" "${timeline[@]}" "$@"
            rc=$?
            ;;
        *)
            echo "bench_s1: unknown $WORKLOAD system '$system' in ${WORKLOAD}_SYSTEMS" >&2
            rc=1
            ;;
        esac
        [ "$rc" -ne 0 ] && status=1
    done
done
exit $status
