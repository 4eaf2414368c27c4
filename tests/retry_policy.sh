#!/bin/bash
# Retry policies (issue 14, part 5): a task's --retry-backoff MIN..MAX and
# --attempts, a type's retry_backoff and attempts in the broker's config,
# the default 250ms..10s, a plugin's ztask_retry_after, across a broker
# killed with -9, and bad input refused. Nothing here waits on a timer to
# fire: the retrying fixture fails while its flag file exists, and every
# check of a backoff reads the due time the broker reports (next_attempt_ms)
# in one status snapshot, against that attempt's start and the clock after
# the snapshot was taken.
. "${top_srcdir:-.}/tests/lib.sh"

RETRYING_SO="$top_builddir/tests/fixtures/.libs/retrying.so"
[ -f "$RETRYING_SO" ] || { echo "Bail out! $RETRYING_SO is missing (make check builds it)"; exit 1; }

zt_broker 'types = { retrying = { retry_backoff = "5m..6h"; attempts = 4; }; };'
sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg"
cat > "$T/w1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w1";
slots = 4;
priorities = "all";
plugins = ( { name = "retrying"; file = "$RETRYING_SO"; },
            { name = "retrying2"; file = "${RETRYING_SO%/*}/retrying2.so"; } );
CFG
"$ZWORKER" -c "$T/w1.cfg" -f >>"$T/w1.log" 2>&1 &
WORKER_PID=$!
PIDS="$PIDS $WORKER_PID"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 10 \
    || { echo "Bail out! worker w1 did not register"; exit 1; }

now_ms () { date +%s%3N; }
# A field of a status snapshot (SNAP holds `ztask status --json`).
snap () { printf '%s\n' "$SNAP" | sed -n "s/^ *\"$1\": \(.*\)$/\1/p" | head -1 | sed 's/,$//; s/^"\(.*\)"$/\1/'; }
# snapshot ID: waits until task ID waits out a backoff after attempt >= $2
# (default 1); SNAP then holds that status and AFTER the clock right after it.
snapshot () {
    local i
    for i in $(seq 1 400); do
        SNAP=$("$ZTASK" status --json "$1"); AFTER=$(now_ms)
        if [ "$(snap next_attempt_ms)" != 0 ] && [ -n "$(snap next_attempt_ms)" ] \
            && [ "$(snap attempts)" -ge "${2:-1}" ]; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# retrying2 is the same fixture under a type the config has no defaults for.
# ---- a task's own policy: the first retry within [MIN, 2 MIN] ----
FLAG="$T/flag"
: > "$FLAG"
a=$("$ZTASK" submit retrying2 -d "$FLAG" --retry-backoff 1s..1h --attempts 10); rc=$?
ok $rc "submit --retry-backoff 1s..1h --attempts 10 is accepted"
snapshot "$a"; ok $? "the failed task waits out a backoff (status shows next_attempt_ms)"
is "$(snap state)" queued "  it is queued meanwhile"
is "$(snap min_ms) $(snap max_ms) $(snap max_attempts)" "1000 3600000 10" "  with its policy 1s..1h and 10 attempts"
n=$(snap attempts); started=$(snap started_ms); next=$(snap next_attempt_ms)
# after attempt n the wait is in [min (MAX/2, MIN 2^(n-1)), min (MAX, MIN 2^n)]
low=$((1000 << (n - 1))); high=$((1000 << n))
ok $([ $((next - started)) -ge "$low" ] && echo 0 || echo 1) \
    "  its next attempt is due at least ${low} ms after attempt $n started ($((next - started)) ms)"
ok $([ $((next - AFTER)) -le "$high" ] && echo 0 || echo 1) \
    "  and at most ${high} ms from now ($((next - AFTER)) ms)"
"$ZTASK" status "$a" > "$T/status.txt"
like "$(cat "$T/status.txt")" 'retry +1s\.\.1h \(exponential, with jitter\)' "  ztask status shows the policy"
# A backoff of at least 30 s outlasts the checks: the next try is still ahead.
l=$("$ZTASK" submit retrying2 -d "$FLAG" --retry-backoff 30s..1h --attempts 10)
snapshot "$l"; ok $? "a task with a 30s..1h policy fails and waits out its backoff"
"$ZTASK" status "$l" > "$T/status-long.txt"
like "$(cat "$T/status-long.txt")" 'next try +[0-9-]+ [0-9:.]+' "  ztask status shows when the next attempt is due"
"$ZTASK" cancel "$l" >/dev/null
snapshot "$a" 2; ok $? "  it ran again and failed again (attempt 2 waits out a longer backoff)"
ok $([ $(( $(snap next_attempt_ms) - $(snap started_ms) )) -ge 2000 ] && echo 0 || echo 1) \
    "  after attempt $(snap attempts) the wait is at least 2 s"
rm -f "$FLAG"
wait_for "[ \"\$(zt_field $a state)\" = done ]" 60
is "$(zt_field "$a" state)" done "once its flag is gone the next attempt ends it done"
is "$(zt_field "$a" next_attempt_ms)" 0 "  and no next attempt is due any more"

# ---- the type's policy from the broker's config, and the default ----
: > "$FLAG"
b=$("$ZTASK" submit retrying -d "$FLAG")
snapshot "$b"; ok $? "a task of a type with config defaults fails and waits out a backoff"
is "$(snap min_ms) $(snap max_ms) $(snap max_attempts)" "300000 21600000 4" \
    "  with its type's retry_backoff 5m..6h and attempts 4"
ok $([ $(( $(snap next_attempt_ms) - $(snap started_ms) )) -ge 300000 ] && echo 0 || echo 1) \
    "  its next attempt is at least 5 minutes away"
c=$("$ZTASK" submit retrying -d "$FLAG" --retry-backoff 2m..3h --attempts 7)
snapshot "$c"
is "$(snap min_ms) $(snap max_ms) $(snap max_attempts)" "120000 10800000 7" \
    "  a task's own --retry-backoff and --attempts win over its type's"
d=$("$ZTASK" submit nobody -d x)
SNAP=$("$ZTASK" status --json "$d")
is "$(snap min_ms) $(snap max_ms) $(snap next_attempt_ms)" "250 10000 0" \
    "a task of another type has the default policy 250ms..10s (and waits for no backoff)"

# ---- a plugin's ztask_retry_after ----
e=$("$ZTASK" submit retrying2 -d "$FLAG 600000" --retry-backoff 1s..2s)
snapshot "$e"; ok $? "a plugin that calls ztask_retry_after (ctx, 600000, ...) waits out that delay"
next_e=$(snap next_attempt_ms)
ok $([ $((next_e - $(snap started_ms))) -ge 600000 ] && echo 0 || echo 1) \
    "  its next attempt is due at least 600000 ms after its attempt started, over its policy's 2 s"
ok $([ $((next_e - AFTER)) -le 600000 ] && echo 0 || echo 1) "  and at most 600000 ms from now"
f=$("$ZTASK" submit retrying2 -d "$FLAG 999999999999")
snapshot "$f"
ok $([ $(( $(snap next_attempt_ms) - $(snap started_ms) )) -ge 86400000 ] \
    && [ $(( $(snap next_attempt_ms) - AFTER )) -le 86400000 ] && echo 0 || echo 1) \
    "  a wait asked beyond 24 hours is cut to 24 hours"
like "$("$ZTASK" status --history --json "$e" | tr -d '\n')" 'next attempt in 600000 ms \(the plugin asked\)' \
    "  its history says the plugin asked for the wait"

# ---- kill -9 and a restart: the policy and the due time survive ----
{ kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
zt_forget "$BROKER_PID"
"$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
BROKER_PID=$!
PIDS="$PIDS $BROKER_PID"
wait_for "\"$ZTASK\" status $e >/dev/null 2>&1" 20
ok $? "the broker is restarted on its store after kill -9"
SNAP=$("$ZTASK" status --json "$e")
is "$(snap state) $(snap attempts) $(snap next_attempt_ms)" "queued 1 $next_e" \
    "  the task waiting out its plugin's delay is still queued, its next attempt due at the same time"
SNAP=$("$ZTASK" status --json "$c")
is "$(snap min_ms) $(snap max_ms) $(snap max_attempts)" "120000 10800000 7" "  a task's policy survives the restart"
ok $([ "$(snap next_attempt_ms)" -gt "$(now_ms)" ] && echo 0 || echo 1) "  and so does its pending backoff"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"w1\"'" 20
rm -f "$FLAG"
for t in $b $c $e $f $d; do "$ZTASK" cancel "$t" >/dev/null 2>&1; done
is "$(zt_field "$e" state)" cancelled "a task waiting out a backoff can be cancelled"

# ---- bad input ----
for bad in 1h..1s 0s..1s 1s..8d 1s 1..10 1s..1w ""; do
    "$ZTASK" submit retrying -d x --retry-backoff "$bad" >/dev/null 2>"$T/err"; rc=$?
    is "$rc" 2 "--retry-backoff '$bad' is refused with exit 2"
done
"$ZTASK" submit retrying -d x --retry-backoff 1h..1s >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "invalid --retry-backoff '1h..1s': MIN must not be more than MAX" "  and says why"
"$ZTASK" submit retrying -d x --retry-backoff 1s..8d >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "MAX must be at most 7d" "  a MAX over 7 days too"
cat > "$T/bad.cfg" <<CFG
endpoint = "tcp://127.0.0.1:*";
store = "$T/bad.db";
types = { render = { retry_backoff = "10s..1s"; }; };
CFG
"$ZTASKD" -c "$T/bad.cfg" -f >"$T/bad.log" 2>&1; rc=$?
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "a broker config with a bad retry_backoff is refused"
like "$(cat "$T/bad.log")" 'bad\.cfg:[0-9]+: types\.render\.retry_backoff .10s\.\.1s.: MIN must not be more than MAX' \
    "  with file:line and what is wrong"
sed -i 's/retry_backoff = "10s..1s";/attempts = 0;/' "$T/bad.cfg"
"$ZTASKD" -c "$T/bad.cfg" -f >"$T/bad.log" 2>&1; rc=$?
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "a type's attempts of 0 is refused"

done_testing
