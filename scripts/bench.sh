#!/usr/bin/env bash
# scripts/bench.sh - ztask's benchmarks, run by `make bench` (docs/performance.md).
#
# Starts ztaskd (a temporary store) and ztask-worker processes with the
# no-op plugin (tests/fixtures/noop.la) on 127.0.0.1, runs every workload
# REPS times with ztask-bench, stops exactly the processes it started (by
# pid), then runs scripts/bench_peers.sh (gearmand, beanstalkd, zbroker: the
# same workloads, same knobs) and scripts/bench_s1.sh (scheduling) when they
# exist, and prints one table: median, min and max over the repetitions and
# the ratio of each ztask figure to each peer's, then the issue's targets.
#
#   make bench                              full run (REPS=3, default sizes)
#   make bench BENCH_FLAGS=--quick          tiny sizes: proves it works, never judges speed
#   QUICK=1 scripts/bench.sh                the same from the shell (after make bench once)
#   scripts/bench.sh --table RAW.txt        the table again from saved RESULT lines
#
# Knobs (environment): REPS (3), N (50000: W1, W2, scale), N_LAT (10000: W3),
# B1_N (1000000: B1 burst), SCALE_N (B1_N: queued tasks in the scale test),
# IDLE_WORKERS (1000), IDLE_SECONDS (10), WORKERS (4), WINDOW (256),
# PAYLOAD (64), B1_CLIENTS (4), LIMIT (600: seconds per ztask-bench run),
# PEERS (0 skips bench_peers.sh; else which peers it runs, default all),
# S1 (1; 0 skips bench_s1.sh), S1_ARGS (options for bench/s1_sched),
# S1_REPS (REPS), RESULTS (where raw RESULT lines, commands, logs and the
# table go; default bench-results/DATE in the build directory). QUICK=1
# sets N=2000 N_LAT=200 B1_N=5000 REPS=1 IDLE_WORKERS=100 IDLE_SECONDS=2
# S1_ARGS="--work 45" unless they are set: CI uses it only to prove the
# benchmark still works, never to judge speed. bench_peers.sh and
# bench_s1.sh get the same environment (bench_peers.sh has its own QUICK).
#
# Workloads (bench/ztask_bench.c has the details), all with 64-byte
# payloads and results, workers of 1 slot:
#   W1       round trip, 1 client, 256 in flight, 4 workers, sync=normal
#   W2       submits only (256 unacknowledged), 4 workers running them;
#            system ztask: sync=normal, ztask-full: sync=full
#   W3       one task at a time, 1 worker (W3-lib: through libztask's client API)
#   B1       B1_N tasks from 4 clients, no worker, sync=full: accept rate and
#            broker memory per queued task; B1-drain: 4 workers then run them all
#   scale-W1-qK, scale-W3-qK: W1 and W3 at priority 5 with K tasks queued at
#            priority 0 that the 4 workers (priorities 1-9) never take
#   idle     IDLE_WORKERS registered idle workers: broker CPU over IDLE_SECONDS
#
# Exit status: non-zero if any run failed (errors > 0, a time limit, a
# server that did not start).
set -euo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}

# ---- the table: from RESULT lines (bench_common.h) ----

# print_table RAW: one row per (workload, system, metric) with median, min
# and max over the repetitions, the ratio of ztask's median to each peer's,
# then each target of the issue with its figure and met / not met.
print_table () {
    awk -v quick="${QUICK:-0}" '
function kv(line,    i, n, f, p) {
    delete r; n = split(line, f, " ")
    for (i = 2; i <= n; i++) { p = index(f[i], "="); if (p) r[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) }
}
function note(w, s, m, v,    k) {
    k = w SUBSEP s SUBSEP m
    if (!(k in cnt)) { order[++rows] = k }
    vals[k, ++cnt[k]] = v + 0
    if (!((w, s) in seen_ws)) seen_ws[w, s] = 1
}
function med(k,    i, j, n, t, a) {
    n = cnt[k]; if (!n) return ""
    for (i = 1; i <= n; i++) a[i] = vals[k, i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function has(w, s, m) { return (w SUBSEP s SUBSEP m) in cnt }
function get(w, s, m) { return med(w SUBSEP s SUBSEP m) }
function rank(w) {
    if (w == "W1") return 1; if (w == "W2") return 2; if (w == "W3") return 3; if (w == "W3-lib") return 4
    if (w == "B1") return 5; if (w == "B1-drain") return 6; if (w ~ /^scale-/) return 7; if (w == "idle") return 8
    if (w == "S1") return 9
    return 10
}
function fmt(v) { return v == "" ? "-" : (v >= 100 || v == int(v) ? sprintf("%.0f", v) : sprintf("%.2f", v)) }
function target(what, figure, ok) {
    printf "  %-62s %-26s %s\n", what, figure, ok == "" ? "not measured" : (ok ? "met" : "NOT met")
}
/^RESULT / {
    kv($0); w = r["workload"]; s = r["system"]
    if (w == "" || s == "") next
    if (s !~ /^ztask/ && !(s in peer)) { peer[s] = 1; peers[++npeers] = s }
    if (w ~ /^W3/ || w ~ /^scale-W3/) {
        note(w, s, "p50 us", r["p50_us"]); note(w, s, "p99 us", r["p99_us"]); note(w, s, "max us", r["max_us"])
    } else if (w == "S1") {
        note(w, s, "idle ms", r["idle_ms"]); note(w, s, "high p99 ms", r["high_wait_p99_ms"])
        note(w, s, "makespan/LB", r["makespan_ratio"])
    } else if (w == "idle") {
        note(w, s, "cpu % core", r["cpu_pct"])
    } else if ("rate" in r) {
        note(w, s, w ~ /^(B1|scale-fill-.*)$/ ? "accepted/s" : "tasks/s", r["rate"])
    }
    if (w == "W2" && ("done_rate" in r)) note(w, s, "done/s", r["done_rate"])
    if (w ~ /^(B1|scale-fill-.*)$/ && ("bytes_per_task" in r)) note(w, s, "B/task", r["bytes_per_task"])
    if (w ~ /^(W1|W2|B1)$/ && ("cpu_us_per_task" in r)) note(w, s, "srv us/task", r["cpu_us_per_task"])
    if (w == "W1" && ("all_cpu_us_per_task" in r)) note(w, s, "all us/task", r["all_cpu_us_per_task"])
    if (r["errors"] + 0 > 0) errors[w, s] += r["errors"]
}
END {
    if (!rows) { print "no RESULT lines"; exit 1 }
    # rows sorted by workload rank, keeping first-seen order otherwise
    for (i = 1; i <= rows; i++) { split(order[i], p, SUBSEP); key[i] = sprintf("%d %05d", rank(p[1]), i) }
    for (i = 2; i <= rows; i++) for (j = i; j > 1 && key[j - 1] > key[j]; j--) {
        t = key[j]; key[j] = key[j - 1]; key[j - 1] = t; t = order[j]; order[j] = order[j - 1]; order[j - 1] = t
    }
    head = sprintf("%-20s %-16s %-12s %10s %10s %10s %4s", "workload", "system", "metric", "median", "min", "max", "reps")
    for (i = 1; i <= npeers; i++) head = head sprintf(" %12s", "vs " peers[i])
    print head
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP); w = p[1]; s = p[2]; m = p[3]
        v = med(order[i])
        line = sprintf("%-20s %-16s %-12s %10s %10s %10s %4d", w, s, m, fmt(v), fmt(lo), fmt(hi), cnt[order[i]])
        for (j = 1; j <= npeers; j++) {
            ratio = ""
            if (s ~ /^ztask/ && has(w, peers[j], m) && get(w, peers[j], m) > 0) ratio = sprintf("%.2fx", v / get(w, peers[j], m))
            line = line sprintf(" %12s", ratio)
        }
        sub(/ +$/, "", line)
        if ((w, s) in errors) line = line "  ERRORS: " errors[w, s]
        print line
    }
    print ""
    print "median, min, max over the repetitions (reps). vs PEER: ztask median / peer median for the same"
    print "workload and metric (tasks/s: higher is better; us, B/task, % core: lower is better)."
    print "srv us/task: broker CPU (user + system, /proc/PID/stat) per task. ztask: sync=normal,"
    print "ztask-full: sync=full. all us/task: busy CPU of the whole machine (/proc/stat: server,"
    print "client and workers together) per task. B/task: broker RSS growth per queued task minus the payload."
    print ""
    if (quick) {
        print "QUICK=1: tiny sizes that prove the benchmark runs; the targets are not judged."
        exit
    }
    print "Targets (ratios against peers measured by the same run):"
    g = "gearmand"; b = "beanstalkd"; bf = "beanstalkd-fsync"; z = "zbroker"
    v = get("B1", "ztask-full", "accepted/s")
    target("B1 accept, sync=full >= 5x beanstalkd -b -f 0", has("B1", bf, "accepted/s") ? sprintf("%.2fx", v / get("B1", bf, "accepted/s")) : "", \
           has("B1", bf, "accepted/s") && v != "" ? v >= 5 * get("B1", bf, "accepted/s") : "")
    target("B1 accept, sync=full >= 1x beanstalkd in memory", has("B1", b, "accepted/s") ? sprintf("%.2fx", v / get("B1", b, "accepted/s")) : "", \
           has("B1", b, "accepted/s") && v != "" ? v >= get("B1", b, "accepted/s") : "")
    v = get("B1", "ztask-full", "B/task")
    target("B1 broker memory per queued task <= 300 B beyond payload", v == "" ? "" : fmt(v) " B", v == "" ? "" : v <= 300)
    v = get("W1", "ztask", "tasks/s")
    target("W1 >= 1.0x gearmand -t 0", has("W1", g, "tasks/s") ? sprintf("%.2fx", v / get("W1", g, "tasks/s")) : "", \
           has("W1", g, "tasks/s") && v != "" ? v >= get("W1", g, "tasks/s") : "")
    target("W1 >= 1.5x zbroker", has("W1", z, "tasks/s") ? sprintf("%.2fx", v / get("W1", z, "tasks/s")) : "", \
           has("W1", z, "tasks/s") && v != "" ? v >= 1.5 * get("W1", z, "tasks/s") : "")
    v = get("W1", "ztask", "srv us/task")
    target("W1 broker CPU per task <= 20 us", v == "" ? "" : fmt(v) " us", v == "" ? "" : v <= 20)
    v = get("W2", "ztask", "tasks/s")
    target("W2 sync=normal >= 1.0x gearmand", has("W2", g, "tasks/s") ? sprintf("%.2fx", v / get("W2", g, "tasks/s")) : "", \
           has("W2", g, "tasks/s") && v != "" ? v >= get("W2", g, "tasks/s") : "")
    v = get("W2", "ztask-full", "tasks/s")
    target("W2 sync=full >= 5x beanstalkd -b -f 0", has("W2", bf, "tasks/s") ? sprintf("%.2fx", v / get("W2", bf, "tasks/s")) : "", \
           has("W2", bf, "tasks/s") && v != "" ? v >= 5 * get("W2", bf, "tasks/s") : "")
    v = get("W3", "ztask", "p50 us")
    target("W3 p50 <= gearmand p50", has("W3", g, "p50 us") ? sprintf("%s vs %s us", fmt(v), fmt(get("W3", g, "p50 us"))) : "", \
           has("W3", g, "p50 us") && v != "" ? v <= get("W3", g, "p50 us") : "")
    # scale: the smallest and the largest queue measured
    qlo = ""; qhi = ""
    for (i = 1; i <= rows; i++) {
        split(order[i], p, SUBSEP)
        if (p[1] ~ /^scale-W1-q[0-9]+$/ && p[3] == "tasks/s") {
            q = substr(p[1], 11) + 0
            if (qlo == "" || q < qlo) qlo = q
            if (qhi == "" || q > qhi) qhi = q
        }
    }
    if (qlo != "" && qhi != qlo) {
        a = get("scale-W1-q" qlo, "ztask", "tasks/s"); c = get("scale-W1-q" qhi, "ztask", "tasks/s")
        target(sprintf("scale: time per dispatch at %d queued <= 1.3x at %d (W1)", qhi, qlo), sprintf("%.2fx", a / c), a / c <= 1.3)
        a = get("scale-W3-q" qlo, "ztask", "p50 us"); c = get("scale-W3-q" qhi, "ztask", "p50 us")
        if (a != "" && c != "") target(sprintf("scale: W3 p50 at %d queued <= 1.3x at %d", qhi, qlo), sprintf("%.2fx", c / a), c / a <= 1.3)
    } else target("scale: time per dispatch at 1M queued <= 1.3x at 10", "", "")
    v = get("idle", "ztask", "cpu % core")
    target("idle workers: broker CPU < 5% of a core", v == "" ? "" : fmt(v) "%", v == "" ? "" : v < 5)
    print "  S1 (scheduling): the S1 rows; bench/s1_sched.c and scripts/bench_s1.sh define and judge them."
}' "$1"
}

if [ "${1:-}" = "--table" ]; then
    [ -f "${2:-}" ] || { echo "usage: $0 --table RAW.txt" >&2; exit 2; }
    print_table "$2"
    exit
fi
if [ "${1:-}" = "--quick" ]; then QUICK=1; shift; fi
if [ $# -gt 0 ]; then
    echo "usage: $0 [--quick] | --table RAW.txt   (knobs are environment variables: see the top of $0)" >&2
    exit 2
fi

# ---- knobs ----

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    REPS=${REPS:-1} N=${N:-2000} N_LAT=${N_LAT:-200} B1_N=${B1_N:-5000}
    IDLE_WORKERS=${IDLE_WORKERS:-100} IDLE_SECONDS=${IDLE_SECONDS:-2} S1_ARGS=${S1_ARGS:---work 45}
fi
REPS=${REPS:-3}
N=${N:-50000}
N_LAT=${N_LAT:-10000}
B1_N=${B1_N:-1000000}
SCALE_N=${SCALE_N:-$B1_N}
IDLE_WORKERS=${IDLE_WORKERS:-1000}
IDLE_SECONDS=${IDLE_SECONDS:-10}
WORKERS=${WORKERS:-4}
WINDOW=${WINDOW:-256}
PAYLOAD=${PAYLOAD:-64}
B1_CLIENTS=${B1_CLIENTS:-4}
LIMIT=${LIMIT:-600}
PEERS=${PEERS:-} # bench_peers.sh reads it too: the peers to run
S1=${S1:-1}
S1_ARGS=${S1_ARGS:-} # options for bench/s1_sched, through bench_s1.sh
RESULTS=${RESULTS:-$top_builddir/bench-results/$(date -u +%Y%m%d-%H%M%S)}
export QUICK REPS N N_LAT B1_N SCALE_N IDLE_WORKERS IDLE_SECONDS WORKERS WINDOW PAYLOAD B1_CLIENTS LIMIT

ZTASKD=$top_builddir/ztaskd
ZWORKER=$top_builddir/ztask-worker
ZBENCH=$top_builddir/ztask-bench
PLUGIN_DIR=$top_builddir/tests/fixtures/.libs
for f in "$ZTASKD" "$ZWORKER" "$ZBENCH" "$PLUGIN_DIR/noop.so"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "bench.sh: $f is missing: run make bench" >&2; exit 2; }
done

mkdir -p "$RESULTS"
RAW=$RESULTS/raw.txt       # RESULT lines, ztask's and the peers'
CMDS=$RESULTS/commands.txt # every server and benchmark command, in order
: > "$RAW"
: > "$CMDS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ztask-bench.XXXXXX") # stores, configs, logs
BROKER_PID=
WORKER_PIDS=()
FAILED=0

alive () { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# stop_pid PID: SIGTERM, up to 10 s to finish, then SIGKILL.
stop_pid () {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 200); do alive "$1" || break; sleep 0.05; done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

stop_workers () { # stop_workers [KEEP]: all but the first KEEP workers
    local keep=${1:-0} i
    for ((i = ${#WORKER_PIDS[@]} - 1; i >= keep; i--)); do
        stop_pid "${WORKER_PIDS[$i]}"
        unset "WORKER_PIDS[$i]"
    done
}

stop_broker () {
    stop_workers
    if [ -n "$BROKER_PID" ]; then stop_pid "$BROKER_PID"; BROKER_PID=; fi
}

cleanup () {
    stop_broker
    if [ "$FAILED" -ne 0 ] && [ -d "$WORK" ]; then
        mkdir -p "$RESULTS/logs"
        cp "$WORK"/*.log "$RESULTS/logs/" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail () { echo "bench.sh: FAILED: $*" >&2; FAILED=$((FAILED + 1)); }

# start_broker NAME SYNC: ztaskd on a free loopback port with its own store;
# sets BROKER_PID and EP (the endpoint it reports in its log). 1 if it did not start.
start_broker () {
    local name=$1 sync=$2
    rm -f "$WORK/$name".db*
    cat > "$WORK/$name.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$WORK/$name.db";
sync = "$sync";
CFG
    echo "$ZTASKD -c $WORK/$name.cfg -f   # sync=$sync" >> "$CMDS"
    # 1,000 idle workers: a descriptor each, and the bench's own sockets.
    ( ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$ZTASKD" -c "$WORK/$name.cfg" -f ) > "$WORK/$name.log" 2>&1 &
    BROKER_PID=$!
    EP=
    for _ in $(seq 200); do
        EP=$(grep -o 'listening on tcp://[0-9.:]*' "$WORK/$name.log" 2>/dev/null | tail -1 | sed 's/listening on //') || true
        [ -n "$EP" ] && return 0
        alive "$BROKER_PID" || break
        sleep 0.05
    done
    fail "ztaskd ($name) did not start:"; cat "$WORK/$name.log" >&2
    stop_broker
    return 1
}

# start_workers COUNT PRIORITIES: ztask-worker processes of 1 slot serving noop.
start_workers () {
    local count=$1 priorities=$2 i name
    for ((i = 1; i <= count; i++)); do
        name=w$((${#WORKER_PIDS[@]} + 1))
        cat > "$WORK/$name.cfg" <<CFG
broker = "$EP";
name = "$name";
slots = 1;
priorities = $priorities;
plugin_dir = "$PLUGIN_DIR";
plugins = ( { name = "noop"; } );
CFG
        echo "$ZWORKER -c $WORK/$name.cfg -f" >> "$CMDS"
        "$ZWORKER" -c "$WORK/$name.cfg" -f >> "$WORK/$name.log" 2>&1 &
        WORKER_PIDS+=($!)
    done
}

# run REP ARGS...: one ztask-bench run against the current broker; keeps its RESULT line.
run () {
    local rep=$1 out rc=0
    shift
    if [ -z "$BROKER_PID" ] || ! alive "$BROKER_PID"; then fail "no broker for: ztask-bench $*"; return 0; fi
    echo "$ZBENCH -e $EP -b $BROKER_PID -r $rep -T $LIMIT $*" >> "$CMDS"
    out=$(timeout -k 10 $((LIMIT + 60)) "$ZBENCH" -e "$EP" -b "$BROKER_PID" -r "$rep" -T "$LIMIT" "$@" \
          2> >(tee -a "$WORK/bench.log" >&2)) || rc=$?
    printf '%s\n' "$out" | grep '^RESULT ' >> "$RAW" || true
    printf '%s\n' "$out" | grep '^RESULT ' | sed 's/^/  /' >&2 || true
    [ "$rc" -eq 0 ] || fail "ztask-bench $* (exit $rc$([ "$rc" -eq 124 ] && echo ': time limit'))"
}

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
    echo "store: $(df -hT "$WORK" | awk 'NR == 2 {print $2 " on " $1}') ($WORK)"
    echo "ztask: $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown), libzmq $(pkg-config --modversion libzmq 2>/dev/null), czmq $(pkg-config --modversion libczmq 2>/dev/null), sqlite $(pkg-config --modversion sqlite3 2>/dev/null)"
    echo "REPS=$REPS N=$N N_LAT=$N_LAT B1_N=$B1_N SCALE_N=$SCALE_N IDLE_WORKERS=$IDLE_WORKERS IDLE_SECONDS=$IDLE_SECONDS WORKERS=$WORKERS WINDOW=$WINDOW PAYLOAD=$PAYLOAD LIMIT=$LIMIT QUICK=$QUICK"
    [ "$QUICK" = 1 ] && echo "QUICK=1: tiny sizes, proves the benchmark works; never judge speed by it"
} > "$RESULTS/environment.txt"
cat "$RESULTS/environment.txt" >&2

common=(-c "$WINDOW" -s "$PAYLOAD")
for rep in $(seq "$REPS"); do
    echo "== ztask, repetition $rep of $REPS" >&2

    # W1, W2 (sync=normal), W3: 4 workers, then 1.
    if start_broker normal normal; then
        start_workers "$WORKERS" '"all"'
        run "$rep" -m rt -n "$N" -k "$WORKERS" "${common[@]}"
        run "$rep" -m submit -n "$N" -k "$WORKERS" "${common[@]}"
        stop_workers 1
        run "$rep" -m lat -n "$N_LAT" -k 1 -s "$PAYLOAD"
        run "$rep" -m lat -A -W W3-lib -n "$N_LAT" -k 1 -s "$PAYLOAD"
        stop_broker
    fi

    # W2 with sync=full.
    if start_broker full full; then
        start_workers "$WORKERS" '"all"'
        run "$rep" -m submit -S ztask-full -n "$N" -k "$WORKERS" "${common[@]}"
        stop_broker
    fi

    # B1: the burst into a broker with no worker (sync=full), then the drain.
    if start_broker burst full; then
        run "$rep" -m burst -S ztask-full -n "$B1_N" -C "$B1_CLIENTS" -k 0 "${common[@]}"
        t0=$(date +%s%6N)
        start_workers "$WORKERS" '"all"'
        run "$rep" -m drain -S ztask-full -n "$B1_N" -t "$t0"
        stop_broker
    fi

    # Scale: dispatch with 10, then SCALE_N, tasks queued at priority 0 that
    # the workers (priorities 1-9) never take.
    if start_broker scale normal; then
        start_workers "$WORKERS" '"1-9"'
        queued=0
        for k in 10 "$SCALE_N"; do
            run "$rep" -m burst -W "scale-fill-q$k" -p 0 -n $((k - queued)) -C "$B1_CLIENTS" -k "$WORKERS" "${common[@]}"
            queued=$k
            run "$rep" -m rt -W "scale-W1-q$k" -n "$N" -k "$WORKERS" "${common[@]}"
            run "$rep" -m lat -W "scale-W3-q$k" -n "$N_LAT" -k "$WORKERS" -s "$PAYLOAD"
        done
        stop_broker
    fi

    # Idle workers: broker CPU with IDLE_WORKERS registered, heartbeating.
    if start_broker idle normal; then
        run "$rep" -m idle -M "$IDLE_WORKERS" -d "$IDLE_SECONDS" -k 0
        stop_broker
    fi
done

# The peers and the scheduling workload, by their own scripts (same knobs).
for script in bench_peers bench_s1; do
    path=$top_srcdir/scripts/$script.sh
    if [ "$script" = bench_peers ] && [ "$PEERS" = 0 ]; then echo "== $script: skipped (PEERS=0)" >&2; continue; fi
    if [ "$script" = bench_s1 ] && [ "$S1" = 0 ]; then echo "== $script: skipped (S1=0)" >&2; continue; fi
    if [ ! -x "$path" ] || [ ! -s "$path" ]; then
        echo "== $script: scripts/$script.sh is missing or empty: skipped" >&2
        echo "# $script.sh missing or empty: skipped" >> "$CMDS"
        continue
    fi
    echo "== $script" >&2
    args=()
    [ "$script" = bench_s1 ] && read -r -a args <<< "$S1_ARGS"
    echo "RESULTS=$RESULTS/$script $path ${args[*]}" >> "$CMDS"
    rc=0
    RESULTS=$RESULTS/$script S1_REPS=${S1_REPS:-$REPS} top_srcdir=$top_srcdir top_builddir=$top_builddir \
        "$path" "${args[@]}" > "$RESULTS/$script.out" 2> >(tee "$RESULTS/$script.err" >&2) || rc=$?
    grep '^RESULT ' "$RESULTS/$script.out" >> "$RAW" || true
    grep -v '^RESULT ' "$RESULTS/$script.out" >&2 || true
    [ "$rc" -eq 0 ] || fail "scripts/$script.sh (exit $rc)"
done

echo >&2
print_table "$RAW" | tee "$RESULTS/table.txt"
echo "results: $RESULTS (raw.txt: RESULT lines; commands.txt; environment.txt; table.txt); failed runs: $FAILED" >&2
[ "$FAILED" -eq 0 ]
