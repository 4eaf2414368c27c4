#!/bin/bash
# bench_peers.sh - the peer side of `make bench`: ztask's workloads against
# gearmand, beanstalkd and zbroker (bench/zbroker.c, the minimal ZeroMQ
# load-balancing broker), so that scripts/bench.sh can put ztask beside them.
#
# Output: one RESULT line per run on stdout, in bench/bench_common.h's format:
#   RESULT system=gearmand workload=W1 rep=1 n=50000 seconds=2.410 rate=20746
#          p50_us=... p99_us=... max_us=... cpu_us_per_task=... errors=0 [key=value ...]
# cpu_us_per_task is the server's CPU time per task; W2 adds done_s= and
# done_rate= (when the workers had run every task); B1 adds rss_before_kb=,
# rss_after_kb= and bytes_per_task= (server memory per queued task beyond
# its payload). Progress, skipped peers and failures go to stderr.
#
# Runs (bench/peer_*.c describe the workloads):
#   gearmand          gearmand -t 0, its default in-memory queue   W1 W2 W3 B1
#   beanstalkd        in memory                                     W1 W2 W3 B1
#   beanstalkd-fsync  -b DIR -f 0: binlog fsynced after every write W2 B1
#   zbroker           built from this tree, so always there         W1 W2 W3 B1
# A peer whose server is not installed is skipped with a line on stderr. Each
# server is started here on 127.0.0.1, on a port in 20000-31999 (below the
# ephemeral range) that `ss` shows unused, with its data in a temp dir, and
# stopped by its pid; W1-W3 share one server, B1 gets a fresh one so its
# memory figure starts from an empty queue. Every run is bounded by LIMIT.
#
# Knobs (environment; defaults in brackets; scripts/bench.sh passes its own):
#   REPS        repetitions of every run, repetitions outermost             [3]
#   N           W1 and W2 tasks                                         [50000]
#   N_LAT       W3 measured tasks (after 100 unmeasured)                [10000]
#   N_SYNC      W2 and B1 tasks against beanstalkd-fsync                [10000]
#   B1_N        B1 tasks                                              [1000000]
#   WORKERS     workers in W1 and W2 (W3 has 1, B1 none)                    [4]
#   WINDOW      tasks in flight per client                                [256]
#   PAYLOAD     bytes in each task and result                              [64]
#   B1_CLIENTS  clients in B1                                               [4]
#   QUICK=1     a quick check, never to judge speed: REPS=1 N=2000 N_LAT=200
#               N_SYNC=500 B1_N=5000 unless set
#   LIMIT       seconds allowed per run (gearmand needs ~150 s for 1M B1)  [600]
#   PEERS       which of gearmand beanstalkd beanstalkd-fsync zbroker [all four]
#   RESULTS     if set, a directory that receives raw.txt (the RESULT lines),
#               commands.txt, environment.txt and logs/ (the servers' output)
#
# Run it from the build tree (top_builddir) after `make bench/zbroker
# bench/peer_zmq bench/peer_beanstalk bench/peer_gearman`; it builds what is
# missing. Exit status: 0; 1 if any run failed or hit LIMIT; 2 if it cannot run.
set -u

top_builddir=${top_builddir:-$(pwd)}

if [ "${QUICK:-0}" = 1 ]; then
    REPS=${REPS:-1} N=${N:-2000} N_LAT=${N_LAT:-200} N_SYNC=${N_SYNC:-500} B1_N=${B1_N:-5000}
fi
REPS=${REPS:-3}
N=${N:-50000}
N_LAT=${N_LAT:-10000}
N_SYNC=${N_SYNC:-10000}
B1_N=${B1_N:-1000000}
WORKERS=${WORKERS:-4}
WINDOW=${WINDOW:-256}
PAYLOAD=${PAYLOAD:-64}
B1_CLIENTS=${B1_CLIENTS:-4}
LIMIT=${LIMIT:-600}
PEERS=${PEERS:-gearmand beanstalkd beanstalkd-fsync zbroker}
RESULTS=${RESULTS:-}

say() { echo "bench_peers: $*" >&2; }

for knob in REPS N N_LAT N_SYNC B1_N WORKERS WINDOW PAYLOAD B1_CLIENTS LIMIT; do
    case ${!knob} in
    '' | *[!0-9]* | 0*) say "$knob must be a positive number, not '${!knob}'"; exit 2 ;;
    esac
done
if ! command -v ss >/dev/null; then
    say "needs ss (iproute2) to find free ports"
    exit 2
fi

# have PROGRAM: it is built (building it if needed); 1 if it cannot be.
have() {
    [ -x "$top_builddir/bench/$1" ] && return 0
    make -C "$top_builddir" -s "bench/$1" >&2 && [ -x "$top_builddir/bench/$1" ]
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_peers.XXXXXX") || exit 2
SERVER_PID=
SERVER_NAME=
FAILED=0
RUNS=0
if [ -n "$RESULTS" ]; then
    mkdir -p "$RESULTS/logs" || exit 2
    : > "$RESULTS/raw.txt"
    : > "$RESULTS/commands.txt"
fi

record() { # record FILE LINE: keep LINE in $RESULTS/FILE when RESULTS is set
    [ -z "$RESULTS" ] || echo "$2" >> "$RESULTS/$1"
}

alive() {
    [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 100); do
        alive "$SERVER_PID" || break
        sleep 0.05
    done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    if [ -n "$RESULTS" ] && [ -f "$WORK/$SERVER_NAME.log" ]; then
        cat "$WORK/$SERVER_NAME.log" >> "$RESULTS/logs/$SERVER_NAME.log"
    fi
    rm -f "$WORK/$SERVER_NAME.log"
    SERVER_PID=
}

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The highest port to use: below the ephemeral range, and below 32000.
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
PORT_HIGH=$((EPHEMERAL_LOW <= 32000 ? EPHEMERAL_LOW - 1 : 31999))
if [ "$PORT_HIGH" -lt 20100 ]; then
    say "the ephemeral port range starts at $EPHEMERAL_LOW: no room below it"
    exit 2
fi

# pick_port VAR [AVOID]: a TCP port in 20000..PORT_HIGH that no socket uses.
pick_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % (PORT_HIGH - 20000 + 1)))
        if [ "$port" != "${2:-}" ] && [ -z "$(ss -Htan "sport = :$port")" ]; then
            printf -v "$1" %s "$port"
            return 0
        fi
    done
    say "no free port found in 20000-$PORT_HIGH"
    exit 2
}

# start_server NAME PORT CMD...: starts a server, waits until PORT listens.
start_server() {
    local name=$1 port=$2
    shift 2
    record commands.txt "$*"
    SERVER_NAME=$name
    "$@" >> "$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 200); do
        if ! alive "$SERVER_PID"; then
            say "$name did not start: $*"
            cat "$WORK/$name.log" >&2
            SERVER_PID=
            return 1
        fi
        [ -n "$(ss -Htln "sport = :$port")" ] && return 0
        sleep 0.05
    done
    say "$name is not listening on port $port after 10 s"
    stop_server
    return 1
}

# run PROGRAM ARGS...: one measurement; its RESULT line goes to stdout.
run() {
    local program=$1 out status
    shift
    RUNS=$((RUNS + 1))
    set -- "$@" -c "$WINDOW" -s "$PAYLOAD" -T "$LIMIT" -S "$SERVER_PID"
    record commands.txt "bench/$program $*"
    out=$(timeout -k 5 $((LIMIT + 30)) "$top_builddir/bench/$program" "$@")
    status=$?
    if [ -n "$out" ]; then
        echo "$out"
        record raw.txt "$out"
    fi
    if [ "$status" -ne 0 ] || [ -z "$out" ]; then
        say "FAILED (exit $status): bench/$program $*"
        FAILED=$((FAILED + 1))
    fi
}

# up START_FUNCTION ARGS...: starts a server; failing to counts as a failed run.
up() {
    "$@" && return 0
    FAILED=$((FAILED + 1))
    return 1
}

# W1 W2 W3 on one server, which start_server has started.
three_workloads() {
    local rep=$1 system=$2
    shift 2
    run "$@" -L "$system" -r "$rep" -W W1 -n "$N" -w "$WORKERS"
    run "$@" -L "$system" -r "$rep" -W W2 -n "$N" -w "$WORKERS"
    run "$@" -L "$system" -r "$rep" -W W3 -n "$N_LAT"
}

gearmand_server() { # gearmand_server NAME PORT
    start_server "$1" "$2" gearmand -L 127.0.0.1 -p "$2" -t 0 -l stderr -P "$WORK/$1.pid"
}

beanstalkd_server() { # beanstalkd_server NAME PORT [-b DIR -f 0]
    local name=$1 port=$2
    shift 2
    start_server "$name" "$port" beanstalkd -l 127.0.0.1 -p "$port" "$@"
}

zbroker_server() { # zbroker_server NAME PORT BACKEND_PORT: it binds BACKEND_PORT last
    start_server "$1" "$3" "$top_builddir/bench/zbroker" "tcp://127.0.0.1:$2" "tcp://127.0.0.1:$3" \
        $((LIMIT * 4))
}

# Which peers can run.
ENABLED=
for peer in $PEERS; do
    case $peer in
    gearmand)
        if ! command -v gearmand >/dev/null; then
            say "gearmand not installed, skipped"
        elif ! have peer_gearman; then
            say "bench/peer_gearman cannot be built (is libgearman-dev installed?), gearmand skipped"
        else
            ENABLED="$ENABLED $peer"
        fi
        ;;
    beanstalkd | beanstalkd-fsync)
        if ! command -v beanstalkd >/dev/null; then
            say "beanstalkd not installed, $peer skipped"
        elif ! have peer_beanstalk; then
            say "bench/peer_beanstalk cannot be built"
            exit 2
        else
            ENABLED="$ENABLED $peer"
        fi
        ;;
    zbroker)
        if ! have zbroker || ! have peer_zmq; then
            say "bench/zbroker and bench/peer_zmq cannot be built"
            exit 2
        fi
        ENABLED="$ENABLED $peer"
        ;;
    *)
        say "unknown peer '$peer' in PEERS (gearmand beanstalkd beanstalkd-fsync zbroker)"
        exit 2
        ;;
    esac
done

if [ -n "$RESULTS" ]; then
    {
        echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')  host: $(nproc) cores, $(uname -r)"
        echo "gearmand: $(gearmand --version 2>&1 | grep -m1 .)"
        echo "beanstalkd: $(beanstalkd -v 2>&1 | grep -m1 .)"
        echo "libzmq $(pkg-config --modversion libzmq 2>/dev/null), czmq $(pkg-config --modversion libczmq 2>/dev/null)"
        echo "REPS=$REPS N=$N N_LAT=$N_LAT N_SYNC=$N_SYNC B1_N=$B1_N LIMIT=$LIMIT"
        echo "WORKERS=$WORKERS WINDOW=$WINDOW PAYLOAD=$PAYLOAD B1_CLIENTS=$B1_CLIENTS peers:$ENABLED"
    } > "$RESULTS/environment.txt"
fi
say "REPS=$REPS N=$N N_LAT=$N_LAT N_SYNC=$N_SYNC B1_N=$B1_N LIMIT=$LIMIT peers:${ENABLED:- none}"
for rep in $(seq "$REPS"); do
    for peer in $ENABLED; do
        say "repetition $rep of $REPS: $peer"
        case $peer in
        gearmand)
            pick_port P
            if up gearmand_server gearmand "$P"; then
                three_workloads "$rep" gearmand peer_gearman -p "$P"
                stop_server
            fi
            pick_port P
            if up gearmand_server gearmand "$P"; then
                run peer_gearman -p "$P" -L gearmand -r "$rep" -W B1 -n "$B1_N" -k "$B1_CLIENTS"
                stop_server
            fi
            ;;
        beanstalkd)
            pick_port P
            if up beanstalkd_server beanstalkd "$P"; then
                three_workloads "$rep" beanstalkd peer_beanstalk -p "$P"
                stop_server
            fi
            pick_port P
            if up beanstalkd_server beanstalkd "$P"; then
                run peer_beanstalk -p "$P" -L beanstalkd -r "$rep" -W B1 -n "$B1_N" -k "$B1_CLIENTS"
                stop_server
            fi
            ;;
        beanstalkd-fsync)
            for workload in W2 B1; do
                if [ "$workload" = B1 ]; then fleet=(-k "$B1_CLIENTS"); else fleet=(-w "$WORKERS"); fi
                binlog=$WORK/binlog-$rep-$workload
                mkdir -p "$binlog"
                pick_port P
                if up beanstalkd_server beanstalkd-fsync "$P" -b "$binlog" -f 0; then
                    run peer_beanstalk -p "$P" -L beanstalkd-fsync -r "$rep" -W "$workload" -n "$N_SYNC" \
                        "${fleet[@]}"
                    stop_server
                fi
                rm -rf "$binlog"
            done
            ;;
        zbroker)
            pick_port P
            pick_port P2 "$P"
            if up zbroker_server zbroker "$P" "$P2"; then
                three_workloads "$rep" zbroker peer_zmq -p "$P" -P "$P2"
                stop_server
            fi
            pick_port P
            pick_port P2 "$P"
            if up zbroker_server zbroker "$P" "$P2"; then
                run peer_zmq -p "$P" -P "$P2" -L zbroker -r "$rep" -W B1 -n "$B1_N" -k "$B1_CLIENTS"
                stop_server
            fi
            ;;
        esac
    done
done

say "$RUNS runs, $FAILED failed${RESULTS:+; raw lines, commands and server logs in $RESULTS}"
[ "$FAILED" -eq 0 ]
