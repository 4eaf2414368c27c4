# tests/lib.sh - helpers for ztask's integration tests (TAP).
#
# Each test starts its own ztaskd and ztask-worker processes on a loopback
# port the broker picks (tcp://127.0.0.1:*), keeps their logs in a temp dir,
# and on exit kills exactly the processes it started.

# Sourced once: a wrapper that runs a test on another store (tests/pg_*.sh)
# sources it, then the test, which sources it again.
[ -n "${ZT_LIB_LOADED:-}" ] && return 0
ZT_LIB_LOADED=1

set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
ZTASKD="$top_builddir/ztaskd"
ZWORKER="$top_builddir/ztask-worker"
ZTASK="$top_builddir/ztask"
export ZTASK_PLUGIN_DIR="$top_builddir/plugins/.libs"

T=$(mktemp -d "${TMPDIR:-/tmp}/ztask-test.XXXXXX")
PIDS=""
tap_n=0
tap_failed=0

# Succeeds while pid $1 is a running child of this shell (not a zombie). A
# child that has exited is soon reaped by bash, and its pid may then belong
# to another process (pids wrap around quickly on a busy machine): never
# signal a pid this does not vouch for.
zt_mine () { ps -o ppid=,stat= -p "$1" 2>/dev/null | grep -Eq "^ *$$ +[^Z]"; }

# Drops a reaped pid from PIDS so that the exit cleanup never signals a
# pid the system may have given to another process since.
zt_forget () { PIDS=$(printf ' %s ' $PIDS | sed "s/ $1 / /g"); }

zt_cleanup () {
    for pid in $PIDS; do zt_mine "$pid" && kill -9 "$pid" 2>/dev/null; done
    for pid in $PIDS; do wait "$pid" 2>/dev/null; done
    if type pg_stop >/dev/null 2>&1; then pg_stop; fi
    if [ "$tap_failed" -ne 0 ]; then
        for log in "$T"/*.log; do
            [ -f "$log" ] || continue
            echo "# ---- $log"; sed 's/^/#   /' "$log" | tail -30
        done
    fi
    rm -rf "$T"
}
trap zt_cleanup EXIT

ok () {         # ok CONDITION-EXIT-CODE DESCRIPTION
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $tap_n - $2"
    else echo "not ok $tap_n - $2"; tap_failed=$((tap_failed + 1)); fi
}
is () {         # is GOT EXPECTED DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"
    else ok 1 "$3"; echo "#   got '$1', expected '$2'"; fi
}
like () {       # like GOT PATTERN DESCRIPTION (grep -E)
    if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"
    else ok 1 "$3"; echo "#   '$1' does not match /$2/"; fi
}
done_testing () { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }

# Waits up to $2 seconds (default 10) for command $1 to succeed.
wait_for () {
    local deadline=$(( $(date +%s) + ${2:-10} ))
    while ! eval "$1" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# A loopback port nothing listens on now, for a broker the test starts
# later or for an endpoint where nothing must answer. Below the kernel's
# ephemeral range (32768 and up): a client that keeps reconnecting to a
# port in that range can be given that very port as its own source port
# and connect to itself (a TCP simultaneous open), and the broker started
# there later cannot bind. Below the range brokers pick from (20000-32000)
# as well, and below scripts/pg_server.sh's (18000-19999): a port of a
# server that is down for a while must not be taken meanwhile.
zt_free_port () {
    local port
    while :; do
        port=$((10000 + RANDOM % 8000))
        (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

# zt_broker [EXTRA CONFIG LINES]: starts ztaskd, exports ZTASK_BROKER.
# The store is $ZT_STORE when set (tests/pg_*.sh), else an SQLite file.
zt_broker () {
    cat > "$T/broker.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "${ZT_STORE:-$T/ztask.db}";
heartbeat_ms = 200;
${1:-}
CFG
    # A broker started again on the same log: wait for its own line.
    local before
    before=$(grep -c 'listening on tcp' "$T/broker.log" 2>/dev/null)
    "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt ${before:-0} ]" 10 \
        || { echo "Bail out! ztaskd did not start"; exit 1; }
    ZTASK_BROKER=$(grep -o 'listening on tcp://[0-9.:]*' "$T/broker.log" | tail -1 | sed 's/listening on //')
    export ZTASK_BROKER
}

# zt_broker_restart: kills the broker with SIGKILL and starts it again on
# the same config (and store); succeeds once it listens again.
zt_broker_restart () {
    { kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
    zt_forget "$BROKER_PID"
    local before
    before=$(grep -c 'listening on tcp' "$T/broker.log")
    echo "---- restart" >>"$T/broker.log"
    "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt $before ]" 10
}

# The hold fixture (tests/fixtures/hold.c): a task that runs until the test
# releases it. Its release files live in $HOLD_DIR, and every execution is
# logged to $HOLD_LOG as "TASKID ATTEMPT".
HOLD_SO="$top_builddir/tests/fixtures/.libs/hold.so"
HOLD_DIR="$T/hold"
HOLD_LOG="$T/hold.executions"
mkdir -p "$HOLD_DIR"
# The plugins entry of a worker config for plugin $1: "hold" is the fixture.
zt_plugin_entry () {
    if [ "$1" = hold ]; then
        printf '{ name = "hold"; file = "%s"; settings = { dir = "%s"; log = "%s"; }; }' \
            "$HOLD_SO" "$HOLD_DIR" "$HOLD_LOG"
    else
        printf '{ name = "%s"; }' "$1"
    fi
}
# zt_release ID|NAME...: releases the hold tasks submitted with an empty
# payload (ID) or with payload NAME.
zt_release () { local n; for n in "$@"; do : > "$HOLD_DIR/$n"; done; }
# zt_held ID: succeeds once task ID has started on a hold worker (an
# execution of it is logged), whatever the broker is doing.
zt_held () { grep -q "^$1 " "$HOLD_LOG" 2>/dev/null; }

# zt_worker NAME SLOTS PRIORITIES PLUGIN...: starts a worker and waits until
# the broker lists it. PRIORITIES is a libconfig value: "all" or ["high"].
# The plugin "hold" is the test fixture above. Sets WORKER_PID.
zt_worker () {
    local name=$1 slots=$2 priorities=$3; shift 3
    local plugins="" p
    for p in "$@"; do
        [ "$p" != hold ] || [ -f "$HOLD_SO" ] \
            || { echo "Bail out! $HOLD_SO is missing (make check builds it)"; exit 1; }
        plugins="$plugins${plugins:+, }$(zt_plugin_entry "$p")"
    done
    cat > "$T/$name.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$name";
slots = $slots;
priorities = $priorities;
plugins = ( $plugins );
CFG
    "$ZWORKER" -c "$T/$name.cfg" -f >>"$T/$name.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$name\"'" 10 \
        || { echo "Bail out! worker $name did not register"; exit 1; }
}

# The names of the workers the broker lists, sorted, on one line ("" when
# none; "no answer (exit N)" when ztask fails): zt_worker_names [ZTASK OPTION...]
zt_worker_names () {
    local json rc
    json=$("$ZTASK" "$@" workers --json 2>/dev/null); rc=$?
    [ "$rc" -eq 0 ] || { echo "no answer (exit $rc)"; return 1; }
    printf '%s\n' "$json" | sed -n 's/^      "name": "\(.*\)",$/\1/p' | sort | tr '\n' ' ' | sed 's/ $//'
}

# Field of `ztask status --json ID` (one "key": value per line; a string
# comes back as written in JSON, without its quotes): zt_field ID FIELD
zt_field () {
    "$ZTASK" status --json "$1" | sed -n "s/^  \"$2\": \(.*\)$/\1/p" | head -1 \
        | sed 's/,$//; s/^"\(.*\)"$/\1/'
}
