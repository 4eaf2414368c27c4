#!/bin/bash
# A client given a list of brokers follows the leader of real active/standby
# brokers (several ztaskd on one PostgreSQL store, docs/high-availability.md;
# a standby answers ERROR NOT_LEADER naming the endpoint the leader
# advertises). Given only a standby it names the leader (exit 8); given
# [standby, leader] its requests land on the leader, also when the leader
# advertises itself in capitals with a trailing '/', and when it advertises
# an endpoint not in the list (the client tries the next); the next request
# of a client starts at the leader the last one found; a request made while
# no broker leads keeps trying and lands on the standby that takes over; a
# submit --wait across the leader's kill gets its result; a broker whose
# store is gone (UNAVAILABLE) is passed over. (Lists, keys and
# silent brokers without a standby: tests/client_failover.sh.)
# No timer is raced: every wait is for a state (a log line, an answer, the
# lease in the store).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start

port () { echo "${1##*:}"; }
# stop NAME...: stops brokers of a pool that the test is done with.
stop () {
    local name pid
    for name in "$@"; do
        eval "pid=\$PID_$name"
        kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    done
}
# The broker line of `ztask stats` (lines "broker:   NAME (ROLE, term N) at EP").
broker_line () { printf '%s\n' "$1" | grep '^broker:'; }

# Where the client went, from strace's record of its connect(2) calls: a
# standby's answer moves the client to another broker on a new connection,
# so the connections to a standby's port count its answers. Nothing is
# replaced: the client and the brokers are the real ones. (libztask first
# checks a list with a socket of its own that connects to every endpoint
# and is closed at once; it allows IPv6, so it connects as AF_INET6 to
# ::ffff:127.0.0.1, and is not counted: the client's own connections to
# tcp://127.0.0.1 are AF_INET.)
#   traced FILE COMMAND...: runs COMMAND, its connect calls in FILE.
#   connects FILE PORT: how many of the client's own went to PORT.
#   counted DESCRIPTION: true if the counts can be checked; if not, a
#   skipped check with DESCRIPTION.
# Without strace (or where ptrace is not allowed) the counts are skipped;
# in CI (CI=true) a missing strace is a failure.
if ! command -v strace >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && { echo "Bail out! strace is missing: apt-get install strace"; exit 1; }
    no_strace="strace is not installed (apt-get install strace)"
elif ! strace -f -qq -e trace=connect -o /dev/null true >/dev/null 2>&1; then
    no_strace="strace cannot trace here (ptrace not allowed)"
else
    no_strace=""
fi
traced () {
    local file=$1; shift
    if [ -n "$no_strace" ]; then : > "$file"; "$@"; return; fi
    # LeakSanitizer cannot run under ptrace: off for a traced sanitizer build.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -f -qq -e trace=connect -o "$file" "$@"
}
connects () { grep -c "sa_family=AF_INET, sin_port=htons($2)," "$1"; }
counted () {
    [ -z "$no_strace" ] && return 0
    tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $no_strace"
    return 1
}

# ---- a leads, b stands by; a worker with both endpoints ----
ha_broker a
wait_for "leads a 1" 20 || { echo "Bail out! a does not lead"; exit 1; }
ha_broker b
wait_for "stands_by b a 1" 20 || { echo "Bail out! b does not stand by"; exit 1; }
ZTASK_BROKER="$EP_a,$EP_b"
export ZTASK_BROKER
zt_worker w 2 '"all"' echo hold

err=$("$ZTASK" -b "$EP_b" stats 2>&1)
is $? 8 "one endpoint, a standby: exit 8"
is "$err" "ztask: the broker at $EP_b is a standby; the leader is at $EP_a (give both: $EP_a,$EP_b)" \
    "  the error names the leader and how to give both"
err=$("$ZTASK" -b "$EP_b" submit echo -d refused 2>&1)
is $? 8 "  a submit too"

out=$("$ZTASK" -b "$EP_b,$EP_a" stats)
like "$out" "^tasks: " "a list, the standby first: stats from the leader it names"
is "$(broker_line "$out")" "broker:   a (leader, term 1) at $EP_a" "  its broker line names the leader"
is "$("$ZTASK" -b "$EP_b,$EP_a" submit echo -d via-standby --wait)" "via-standby" "submit --wait through the standby"

out=$(ZTASK_BROKER="$EP_b,$EP_a" traced "$T/next.trace" timeout 90 "$top_builddir/tests/wait_client" wait \
      "$HOLD_DIR/client-standby" 2>&1)
is $? 0 "libztask: a submit then a wait, the standby first in the list"
like "$(printf '%s\n' "$out" | tail -1)" '^end done released [0-9]+$' "  the task is done"
if counted "  the wait starts at the leader the submit found"; then
    is "$(connects "$T/next.trace" "$(port "$EP_b")")" 1 \
        "  the wait starts at the leader the submit found: one connection to the standby"
fi

# ---- a leader that advertises itself in capitals with a trailing / ----
ha_pool ztask_caps
ha_broker l
wait_for "leads l 1" 20 || { echo "Bail out! l does not lead"; exit 1; }
# Its port known, it resigns and leads again, advertising it so.
kill -TERM "$PID_l"; wait "$PID_l" 2>/dev/null
CAPS="TCP://127.0.0.1:$(port "$EP_l")/"
echo "advertise = \"$CAPS\";" >> "$T/l.cfg"
ha_broker l
wait_for "leads l 2" 20
ok $? "a leader advertising $CAPS leads (term 2)"
ha_broker s
wait_for "grep -q 'broker: s stands by; l leads (term 2) at $CAPS' '$T/s.log'" 20
ok $? "  its standby names it so"
DEAD=$(zt_free_port)
out=$(traced "$T/caps.trace" "$ZTASK" -b "$EP_s,tcp://127.0.0.1:$DEAD,$EP_l" stats)
is "$(broker_line "$out")" "broker:   l (leader, term 2) at $CAPS" \
    "the list [standby, nothing, leader as listening]: stats from the leader"
if counted "  the client went straight to the leader"; then
    is "$(connects "$T/caps.trace" "$DEAD")" 0 "  the client went straight to the leader, not to $DEAD"
fi
stop s l

# ---- a leader that advertises an endpoint not in the list ----
AWAY="tcp://10.255.255.1:5570"
ha_pool ztask_away
ha_broker x "advertise = \"$AWAY\";"
wait_for "leads x 1" 20 || { echo "Bail out! x does not lead"; exit 1; }
ha_broker y
ha_broker z
wait_for "stands_by y x 1 && stands_by z x 1" 20
ok $? "a leader advertising $AWAY leads; two standbys name it"
out=$("$ZTASK" -b "$EP_y,$EP_x" stats)
is "$(broker_line "$out")" "broker:   x (leader, term 1) at $AWAY" \
    "a standby naming a leader not in the list: the client tries the next broker, the leader"
err=$(traced "$T/away.trace" "$ZTASK" -b "$EP_y,$EP_z" -t 1500 stats 2>&1)
is $? 8 "standbys only, naming a leader not in the list: exit 8"
like "$err" "the leader is at $AWAY, which is not in the list $EP_y,$EP_z" "  saying so"
if counted "  the client backs off between rounds"; then
    tries=$(( $(connects "$T/away.trace" "$(port "$EP_y")") + $(connects "$T/away.trace" "$(port "$EP_z")") ))
    # A round of 2 answers, then 100-200 ms: at most 32 in 1.5 s (without
    # the back-off, many more: 80 under strace on a slow machine).
    [ "$tries" -lt 40 ]
    ok $? "  the client backs off between rounds ($tries standby answers in 1.5 s)"
fi
stop z y x

# ---- submit --wait with a list across the leader's kill ----
runs=$(wc -l < "$HOLD_LOG")
"$ZTASK" -b "$EP_b,$EP_a" -t 60000 submit hold -d across --wait > "$T/across.out" 2> "$T/across.err" &
waiter=$!
PIDS="$PIDS $waiter"
wait_for "[ \$(wc -l < '$HOLD_LOG') -gt $runs ]" 20
ok $? "submit --wait with the list [standby, leader]: the task runs"
across=$(awk '{ id = $1 } END { print id }' "$HOLD_LOG")
kill -9 "$PID_a"; wait "$PID_a" 2>/dev/null
wait_for "leads b 2" 20
ok $? "the leader is killed; the standby leads (term 2)"
wait_for "[ \"\$(zt_worker_names -b $EP_b)\" = w ]" 20
ok $? "  the worker moved to it"
like "$("$ZTASK" -b "$EP_b" status "$across")" "running" "  still running task $across"
kill -0 "$waiter" 2>/dev/null
ok $? "  the client still waits"
zt_release across
wait_for "! kill -0 $waiter" 30
ok $? "released, the waiting client returns"
wait "$waiter"
is $? 0 "  exit 0"
is "$(cat "$T/across.out")" "released $across" "  with the result"
is "$(cat "$T/across.err")" "" "  and nothing on stderr"
is "$(grep -c "^$across " "$HOLD_LOG")" 1 "  the task ran once"

# ---- no broker leads: the client keeps trying, and lands on the standby
#      that takes over ----
ha_broker a
wait_for "stands_by a b 2" 20
ok $? "the old leader, restarted, stands by"
# Frozen, the standby cannot take over before the test lets it.
kill -STOP "$PID_a"
kill -9 "$PID_b"; wait "$PID_b" 2>/dev/null
"$ZTASK" -b "$EP_b,$EP_a" -t 30000 stats > "$T/none.out" 2> "$T/none.err" &
asker=$!
PIDS="$PIDS $asker"
wait_for "[ \"\$(pg_sql 'SELECT expires < clock_timestamp () FROM ztask_leader')\" = t ]" 20
ok $? "the leader is killed and its lease has run out: no broker leads"
kill -0 "$asker" 2>/dev/null
ok $? "  a client with the list keeps trying"
kill -CONT "$PID_a"
wait_for "leads a 3" 20
ok $? "the standby, woken, leads (term 3)"
wait_for "! kill -0 $asker" 30
ok $? "  the client returns within its -t"
wait "$asker"
is $? 0 "  exit 0"
is "$(broker_line "$(cat "$T/none.out")")" "broker:   a (leader, term 3) at $EP_a" "  with the stats of the new leader"
is "$(cat "$T/none.err")" "" "  and nothing on stderr"

# ---- a broker that answers "store unavailable" is passed over, as a
#      standby is: the client tries the next of its list (a frozen leader
#      that wakes answers so until it has reconnected) ----
unset HA_STORE # back to the pool of a and b
ha_broker c
wait_for "stands_by c a 3" 20
ok $? "a second broker stands by"
pg_down
wait_for "grep -q 'store failed' '$T/a.log' && grep -q 'store failed' '$T/c.log'" 20
ok $? "the database is stopped: both brokers find their store gone"
zt_broker # an SQLite broker of its own, beside them
"$ZTASK" -b "$EP_a,$ZTASK_BROKER" -t 20000 submit echo -d "past the unavailable" > "$T/past.out" 2> "$T/past.err"
is $? 0 "a submit with the list [store gone, serving]: accepted"
past=$(cat "$T/past.out")
like "$("$ZTASK" -b "$ZTASK_BROKER" status "$past" 2>&1)" "echo" "  by the broker that serves"
is "$(cat "$T/past.err")" "" "  and nothing on stderr"
"$ZTASK" -b "$EP_a,$EP_c" -t 20000 submit echo -d x > "$T/gone.out" 2> "$T/gone.err"
is $? 8 "every broker of the list without its store: exit 8 (store unavailable)"
like "$(cat "$T/gone.err")" "UNAVAILABLE" "  saying so"
pg_up
wait_for "grep -q 'store is back' '$T/a.log'" 30
ok $? "the database back, the leader finds it again"

kill -0 "$PID_a" 2>/dev/null && kill -0 "$PID_c" 2>/dev/null
ok $? "no broker crashed"
done_testing
