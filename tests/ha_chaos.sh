#!/bin/bash
# Failover chaos: two brokers on one PostgreSQL store (one leads, one stands
# by: docs/high-availability.md), three workers given both endpoints, and
# submit loops given both (ztask -b A,B), some with --wait, submitting a
# few thousand tasks, each with a key of its own, while the leader is
# SIGKILLed three times (and restarted on its endpoint, so that two brokers
# are always there) and SIGSTOPped once (and woken once the other leads and
# every worker has moved there: it must stand by without leading or
# committing again, and refuse the submit that waited in its socket). A
# failed submit is repeated with its key, as a client should; right after
# each kill or stop a --wait submit (key probe-K) goes out through the
# list, so that the new leader always has something to dispatch.
#
# At the end: every task was accepted, every submit of a key returned the
# same id and no two keys share one; every id a submit returned ends done
# (ztask list/status through the list) and the store's rows are exactly
# the accepted tasks under their keys, all done, with nothing only the
# frozen leader heard; a --wait submit printed its task's result, also
# when a few keys are submitted again after the failovers; every accepted
# task ran, and a task ran twice only when it was in flight at a failover
# (each pair of runs straddles a kill or the stop, and their number is
# bounded as in tests/chaos.sh); the lead moved only at the kills and the
# stop; both brokers are up.
#
# Reported as TAP diagnostics: for each kill or stop the time to the
# takeover (the new leader's "leads (term N)" line, asserted within
# lease_ms + 2 s) and to the first execution started after it (the first
# dispatch by the new leader), when each worker was listed by the new
# leader, the repeated tasks and their runs, the failed submits by message
# and by when they came (after which kill, or after the SIGCONT), and
# whether any submit got TASK_INFO or PROGRESS before SUBMITTED.
#
# Sizes come from the environment:
#   HA_CHAOS_TASKS       tasks to submit                          (2000)
#   HA_CHAOS_SECONDS     how long submitting lasts (paced; longer on a
#                        loaded machine)                            (30)
#   HA_CHAOS_WORKERS     workers                                     (3)
#   HA_CHAOS_SLOTS       slots per worker                            (2)
#   HA_CHAOS_SUBMITTERS  submit loops without --wait                 (5)
#   HA_CHAOS_WAITERS     submit loops with --wait                    (3)
#   HA_CHAOS_WAIT_EVERY  every so many tasks is submitted with --wait (4)
#   HA_CHAOS_EVENTS      what happens to the leader, in order, spread
#                        over the submits            ("kill kill stop kill")
#   HA_CHAOS_SUBMIT_MS   a submit's time for an answer (ztask -t)   (3000)
#   HA_CHAOS_AGAIN       keys submitted again at the end              (20)
#   HA_CHAOS_DRAIN_SECONDS the most the final wait for the queue lasts (60)
#   HA_CHAOS_SUBMIT_LIMIT_SECONDS the most submitting may last
#                        before the test bails out    (4 x SECONDS + 120)
#
# How repeats are bounded: the record plugin (stamp = true) writes a line
# "TASKID ATTEMPT MS" when each execution starts. Just before each kill or
# stop the test reads what the leader has running (`ztask stats`), and adds
# the executions that started between that reading and the takeover (the
# dead or frozen leader's last dispatches start meanwhile): an upper bound
# of the attempts a failover could interrupt. Such a task runs again when
# its worker could not re-register with the new leader within a liveness
# period (heartbeat_ms x heartbeat_liveness after the takeover), or when
# the old leader sent it to a worker but died or froze before committing
# its start (a broker sends a task at once and commits its start with the
# round): the new leader then recovers it as queued, not running. The
# frozen leader is woken only once every worker is registered with the new
# one, so it has nobody to dispatch to.
#
# No timer is raced: every wait is for a state (a log line, an answer, the
# workers listed by the leader), with a generous limit, and the submits as
# a whole have one too: the test always ends.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start

TASKS=${HA_CHAOS_TASKS:-2000}
DURATION=${HA_CHAOS_SECONDS:-30}
WORKERS=${HA_CHAOS_WORKERS:-3}
SLOTS=${HA_CHAOS_SLOTS:-2}
SUBMITTERS=${HA_CHAOS_SUBMITTERS:-5}
WAITERS=${HA_CHAOS_WAITERS:-3}
WAIT_EVERY=${HA_CHAOS_WAIT_EVERY:-4}
read -r -a EVENTS <<< "${HA_CHAOS_EVENTS:-kill kill stop kill}"
SUBMIT_MS=${HA_CHAOS_SUBMIT_MS:-3000}
DRAIN=${HA_CHAOS_DRAIN_SECONDS:-60}
STATE_S=60        # the most a wait for a state (a takeover, a registration) lasts
WAIT_LIMIT_S=120  # the most one `submit --wait` may take (timeout(1))
GIVE_UP_MS=90000  # a task not accepted after this long of tries is given up
LOOPS=$((SUBMITTERS + WAITERS))
RECORD_SO="$top_builddir/tests/fixtures/.libs/record.so"

mkdir -p "$T/exec" "$T/submit"
# $T/exec/wI          executions on worker wI: "TASKID ATTEMPT MS"
# $T/submit/ids.J     "KEY ID" for each task submit loop J got accepted
# $T/submit/errors.J  "MS KEY try N: exit RC: MESSAGE" per failed submit
#                     (repeated with its key)
# $T/submit/bad.J     --wait submits whose output was not the task's result
# $T/events           one line per kill or stop: "K NAME KIND KILL_MS
#                     TAKEOVER_MS TERM RUNNING CONT_MS" (times: when the
#                     test sent the signal, when it saw the new leader's
#                     "leads" line, when it sent SIGCONT, or - for a kill)

tick () { local t=${EPOCHREALTIME/[.,]/}; NOW=$((t / 1000)); }
lines () { cat "$@" 2>/dev/null | wc -l; }
ms_sleep () { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# Waits like wait_for, polling more often, and sets NOW when COND holds:
# poll COND SECONDS
poll () {
    local deadline=$(( $(date +%s) + $2 ))
    while ! eval "$1" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.02
    done
    tick
}

# ---- two brokers ----

ha_broker a 'max_attempts = 10;'
wait_for "leads a 1" "$STATE_S" || { echo "Bail out! broker a did not lead"; exit 1; }
ha_broker b 'max_attempts = 10;'
wait_for "stands_by b a 1" "$STATE_S" || { echo "Bail out! broker b did not stand by"; exit 1; }
EPS="$EP_a,$EP_b"
LEASE_MS=$(sed -n 's/^lease_ms = \([0-9]*\);$/\1/p' "$T/a.cfg")
LEADER=a STANDBY=b TERM=1
ep () { eval "echo \$EP_$1"; }
pid () { eval "echo \$PID_$1"; }
# The last term broker NAME says it leads in (0: none): last_term NAME
last_term () {
    sed -n "s/.*broker: $1 leads (term \([0-9]*\)).*/\1/p" "$T/$1.log" | tail -1 | grep . || echo 0
}
took_over () { [ "$(last_term "$1")" -gt "$2" ]; }   # took_over NAME TERM
# Checks that the lead is where the kills and the stop put it (LEADER in
# TERM); if not (a leader that lost its lease by itself), counts it, says
# so and follows the logs: check_lead WHEN
lead_moves=0
check_lead () {
    local ta tb
    [ "$(last_term "$LEADER")" = "$TERM" ] && [ "$(last_term "$STANDBY")" -lt "$TERM" ] && return 0
    lead_moves=$((lead_moves + 1))
    ta=$(last_term a) tb=$(last_term b)
    echo "# $1: the lead moved without a kill: a's last term $ta, b's $tb (expected $LEADER in term $TERM)"
    grep -h -E 'broker: [ab] (leads|no longer leads|stands by)' "$T/a.log" "$T/b.log" | tail -4 | sed 's/^/#   /'
    if [ "$ta" -gt "$tb" ]; then LEADER=a STANDBY=b TERM=$ta; else LEADER=b STANDBY=a TERM=$tb; fi
}

# Top-level number FIELD of `ztask stats --json` from broker list or
# endpoint EP (empty if no answer): zstat EP FIELD
zstat () {
    "$ZTASK" -b "$1" stats --json 2>/dev/null | tr -d ' \n' | grep -Eo "\"$2\":[0-9]+" | head -1 | cut -d: -f2
}

# ---- three workers, each given both brokers ----

WORKER_NAMES=""
for ((i = 0; i < WORKERS; i++)); do
    cat > "$T/w$i.cfg" <<CFG
broker = ["$EP_a", "$EP_b"];
name = "w$i";
slots = $SLOTS;
plugins = ( { name = "record"; file = "$RECORD_SO"; settings = { path = "$T/exec/w$i"; stamp = true; }; } );
CFG
    "$ZWORKER" -c "$T/w$i.cfg" -f >>"$T/w$i.log" 2>&1 &
    PIDS="$PIDS $!"
    WORKER_NAMES="$WORKER_NAMES${WORKER_NAMES:+ }w$i"
done
all_workers () { [ "$(zt_worker_names -b "$1")" = "$WORKER_NAMES" ]; }   # all_workers EP
# Waits until broker EP lists every worker, and sets BACK to when each
# appeared, in ms after FROM_MS ("w0 +1200 w1 +1350 ..."): workers_back EP FROM_MS
workers_back () {
    local deadline=$(( $(date +%s) + STATE_S )) names w
    declare -A seen=()
    BACK=""
    while :; do
        names=$(zt_worker_names -b "$1")
        tick
        for w in $names; do
            [ -n "${seen[$w]:-}" ] || { seen[$w]=1; BACK="$BACK${BACK:+ }$w +$((NOW - $2))"; }
        done
        [ "$names" = "$WORKER_NAMES" ] && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.02
    done
}
wait_for "all_workers $EP_a" "$STATE_S" || { echo "Bail out! the workers did not register"; exit 1; }

# ---- submit loops ----

# submit_one J KEY PAYLOAD WAIT: submits task KEY until a submit returns
# its id (appended to ids.J as "KEY ID"), repeating a failed one with the
# same key. With WAIT=1 the submit waits (--wait) and must print the
# task's result. Returns 1 when the task is given up (GIVE_UP_MS of tries).
submit_one () {
    local j=$1 key=$2 payload=$3 wait=$4 rc tries=0 give_up id out
    tick
    give_up=$((NOW + GIVE_UP_MS))
    while :; do
        tries=$((tries + 1))
        if [ "$wait" = 1 ]; then
            timeout -k 5 "$WAIT_LIMIT_S" "$ZTASK" -b "$EPS" -t "$SUBMIT_MS" --json \
                submit record -d "$payload" --key "$key" --wait >"$T/submit/out.$j" 2>"$T/submit/err.$j" &
        else
            "$ZTASK" -b "$EPS" -t "$SUBMIT_MS" submit record -d "$payload" --key "$key" \
                >"$T/submit/out.$j" 2>"$T/submit/err.$j" &
        fi
        child=$!
        wait "$child"
        rc=$?
        child=""
        if [ "$rc" -eq 0 ]; then
            if [ "$wait" = 1 ]; then
                # The task in JSON, one "key": value a line.
                id=$(sed -n 's/^  "id": \([0-9]*\),$/\1/p' "$T/submit/out.$j")
                grep -q '^  "state": "done",$' "$T/submit/out.$j" \
                    && grep -q "^  \"result\": \"ok $id\"\$" "$T/submit/out.$j" \
                    || echo "$key: $(tr -d '\n' < "$T/submit/out.$j")" >>"$T/submit/bad.$j"
            else
                read -r id < "$T/submit/out.$j"
            fi
            echo "$key ${id:-none}" >>"$T/submit/ids.$j"
            return 0
        fi
        tick
        echo "$NOW $key try $tries: exit $rc: $(tr '\n' ' ' < "$T/submit/err.$j" | head -c 300)" \
            >>"$T/submit/errors.$j"
        [ "$NOW" -gt "$give_up" ] && return 1
        sleep 0.2
    done
}

# Sets OWNER to the loop that submits task N (without a fork: this runs
# for every task in every loop): every WAIT_EVERY-th task goes to a --wait
# loop (WAITERS of them, numbered from SUBMITTERS), the others to a loop
# without (0 to SUBMITTERS - 1): owner N
owner () {
    if ((WAITERS > 0 && $1 % WAIT_EVERY == WAIT_EVERY - 1)); then
        OWNER=$((SUBMITTERS + $1 / WAIT_EVERY % WAITERS))
    else
        OWNER=$(($1 % SUBMITTERS))
    fi
}

# submit_loop J WAIT: submits its tasks N (key hc-N), paced over DURATION s,
# each of a payload of 5 to 30 ms.
submit_loop () {
    local j=$1 wait=$2 n due
    child=""
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 1' TERM
    for ((n = 0; n < TASKS; n++)); do
        owner "$n"
        [ "$OWNER" -eq "$j" ] || continue
        due=$((START_MS + n * DURATION * 1000 / TASKS))
        tick
        [ "$due" -gt "$NOW" ] && ms_sleep $((due - NOW))
        submit_one "$j" "hc-$n" $((5 + RANDOM % 26)) "$wait" || echo "hc-$n" >>"$T/submit/unaccepted.$j"
    done
    tick
    echo "$NOW" > "$T/submit/finished.$j"
}

LOOP_PIDS="" PROBE_PIDS="" LATE_PID=""
ha_chaos_cleanup () {
    local pid
    for pid in $LOOP_PIDS $PROBE_PIDS $LATE_PID; do zt_mine "$pid" && kill -TERM "$pid" 2>/dev/null; done
    for pid in $LOOP_PIDS $PROBE_PIDS $LATE_PID; do wait "$pid" 2>/dev/null; done
    if [ "$tap_failed" -ne 0 ]; then
        echo "# ---- events"; sed 's/^/#   /' "$T/events" 2>/dev/null
        echo "# ---- failed submits (the last 10)"
        cat "$T"/submit/errors.* 2>/dev/null | tail -10 | sed 's/^/#   /'
    fi
    zt_cleanup
}
trap ha_chaos_cleanup EXIT

# ---- kills and a stop of the leader ----

inflight=0
# Executions started at or after MS, over every worker: started_since MS
started_since () { cat "$T"/exec/* 2>/dev/null | awk -v t="$1" '$3 >= t' | wc -l; }

# The leader's running tasks (the most it can have when it does not answer).
leader_running () {
    local running
    running=$(zstat "$(ep "$LEADER")" running)
    echo "${running:-$((WORKERS * SLOTS))}"
}

# A --wait submit sent through the list right after the leader is lost,
# while no broker may lead: the first dispatch has a task to run whatever
# the loops are doing. Its key is probe-K.
probe () {
    ( child=""
      trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 1' TERM
      submit_one "probe$1" "probe-$1" 5 1 || echo "probe-$1" >>"$T/submit/unaccepted.probe$1" ) &
    PROBE_PIDS="$PROBE_PIDS $!"
}

# took_over_from EVENT K OLD NEW RUNNING READING: after event K (OLD's kill
# or stop), sends the probe and waits for NEW to take over; then TERM is
# NEW's, NOW when it was seen, and the attempts in flight (RUNNING at
# READING, and those started since) are added to inflight.
took_over_from () {
    probe "$2"
    poll "took_over $4 $TERM" "$STATE_S" \
        || { echo "Bail out! $1 $2: $4 did not take over from $3 within $STATE_S s"; exit 1; }
    TERM=$(last_term "$4")
    inflight=$((inflight + $5 + $(started_since "$6")))
}

# event_kill K: SIGKILLs the leader, waits for the standby to take over,
# restarts the killed broker on its endpoint and waits for it to stand by
# and for every worker to be registered with the new leader.
event_kill () {
    local k=$1 old=$LEADER new=$STANDBY running reading kill_ms end_ms
    tick; reading=$NOW
    running=$(leader_running)
    tick; kill_ms=$NOW
    kill -9 "$(pid "$old")"; wait "$(pid "$old")" 2>/dev/null
    zt_forget "$(pid "$old")"
    took_over_from kill "$k" "$old" "$new" "$running" "$reading"
    end_ms=$NOW
    echo "$k $old kill $kill_ms $end_ms $TERM $running -" >>"$T/events"
    ha_broker "$old"
    poll "stands_by $old $new $TERM" "$STATE_S"
    ok $? "kill $k: $old, killed, was replaced by $new (term $TERM); restarted, it stands by"
    workers_back "$(ep "$new")" "$kill_ms"
    ok $? "  every worker registered with $new (ms after the kill: $BACK)"
    LEADER=$new STANDBY=$old
}

# event_stop K: SIGSTOPs the leader, waits for the standby to take over and
# every worker to move there, then SIGCONTs the old one: it must stand by
# without having led or committed again. A submit only the frozen one hears
# (type late, waiting in its socket) must be refused when it wakes.
event_stop () {
    local k=$1 old=$LEADER new=$STANDBY running reading kill_ms end_ms logged rc
    tick; reading=$NOW
    running=$(leader_running)
    logged=$(lines "$T/$old.log")
    tick; kill_ms=$NOW
    kill -STOP "$(pid "$old")"
    "$ZTASK" -b "$(ep "$old")" -t 60000 submit late -d "frozen $k" --key "late-$k" >"$T/late.out" 2>&1 &
    LATE_PID=$!
    took_over_from stop "$k" "$old" "$new" "$running" "$reading"
    end_ms=$NOW
    ok 0 "stop $k: $old, frozen, was replaced by $new (term $TERM)"
    workers_back "$(ep "$new")" "$kill_ms"
    ok $? "  every worker registered with $new (ms after the stop: $BACK)"
    tick
    echo "$k $old stop $kill_ms $end_ms $TERM $running $NOW" >>"$T/events"
    kill -CONT "$(pid "$old")"
    wait "$LATE_PID"; rc=$?
    LATE_PID=""
    [ "$rc" -eq 8 ]
    ok $? "  woken, $old refuses the submit it held as unavailable (exit $rc: $(head -1 "$T/late.out"))"
    poll "stands_by $old $new $TERM" "$STATE_S"
    ok $? "  and stands by ($((NOW - kill_ms)) ms after the stop)"
    tail -n +$((logged + 1)) "$T/$old.log" > "$T/woken.$k.log"
    ! grep -q "broker: $old leads" "$T/woken.$k.log"
    ok $? "  it did not lead again"
    grep -E "broker: (.* (no longer leads|stands by)|the .* store)" "$T/woken.$k.log" | head -4 \
        | sed 's/^/#     woken: /'
    LEADER=$new STANDBY=$old
}

# ---- the run ----

echo "# $TASKS tasks over $DURATION s, $WORKERS workers x $SLOTS slots, $SUBMITTERS submit loops" \
     "and $WAITERS with --wait; lease $LEASE_MS ms; events: ${EVENTS[*]}"
tick
START_MS=$NOW
for ((j = 0; j < LOOPS; j++)); do
    submit_loop "$j" $((j >= SUBMITTERS)) &
    LOOP_PIDS="$LOOP_PIDS $!"
done

happened=0 accepted=0 next_count=0
finished () { local f=("$T"/submit/finished.*); [ -e "${f[0]}" ] && [ "${#f[@]}" -eq "$LOOPS" ]; }
run_event () {
    happened=$((happened + 1))
    check_lead "before ${EVENTS[happened - 1]} $happened"
    "event_${EVENTS[happened - 1]}" "$happened"
}
SUBMIT_LIMIT_S=${HA_CHAOS_SUBMIT_LIMIT_SECONDS:-$((DURATION * 4 + 120))}
limit_ms=$((START_MS + SUBMIT_LIMIT_S * 1000))
while ! finished; do
    tick
    if [ "$NOW" -gt "$limit_ms" ]; then
        echo "Bail out! the submits did not end within $SUBMIT_LIMIT_S s ($(lines "$T"/submit/ids.*) accepted)"
        exit 1
    fi
    if [ "$happened" -lt "${#EVENTS[@]}" ] && [ "$NOW" -ge "$next_count" ]; then
        accepted=$(lines "$T"/submit/ids.*)
        next_count=$((NOW + 500))
        [ "$accepted" -ge $((TASKS * (happened + 1) / (${#EVENTS[@]} + 1))) ] && run_event
    fi
    sleep 0.1
done
# Every event asked for, even if the submits ended early.
while [ "$happened" -lt "${#EVENTS[@]}" ]; do run_event; done
for pid in $LOOP_PIDS $PROBE_PIDS; do wait "$pid" 2>/dev/null; done
LOOP_PIDS="" PROBE_PIDS=""
tick
submitted_ms=$NOW

# ---- the queue empties ----
drained () {   # nothing queued, waiting out a backoff or running
    local s field
    s=$("$ZTASK" -b "$EPS" stats --json 2>/dev/null | tr -d ' \n') || return 1
    for field in queued retrying running; do
        case "$(printf '%s' "$s" | grep -Eo "\"$field\":[0-9]+" | head -1)" in
            "\"$field\":0") ;;
            "") [ "$field" = retrying ] || return 1 ;;
            *) return 1 ;;
        esac
    done
}
wait_for drained "$DRAIN"
ok $? "the queue empties within $DRAIN s of the last submit"
tick
end_ms=$NOW
check_lead "at the end"
is "$lead_moves" 0 "the lead moved only at the kills and the stop"

# ---- what the submits were told ----
sort "$T"/submit/ids.* > "$T/accepted.kid" 2>/dev/null
awk '{ print $2 }' "$T/accepted.kid" | sort -u > "$T/accepted"
n_accepted=$(lines "$T/accepted.kid")
n_expected=$((TASKS + ${#EVENTS[@]}))
retried=$(lines "$T"/submit/errors.*)
is "$n_accepted" "$n_expected" \
    "every task was accepted: $TASKS and ${#EVENTS[@]} probes ($retried submits failed and were repeated with their key)"
is "$(awk '{ print $1 }' "$T/accepted.kid" | sort -u | wc -l)" "$n_accepted" "  each key once"
is "$(lines "$T/accepted")" "$n_accepted" "  each with its own id"
is "$(cat "$T"/submit/bad.* 2>/dev/null | wc -l)" 0 "every --wait submit printed its task, done, with its result"
cat "$T"/submit/bad.* 2>/dev/null | head -5 | sed 's/^/#   /'

# ---- keys submitted again, with --wait, after the failovers: the task
# the key got (from whichever leader accepted it), done, with its result ----
AGAIN=${HA_CHAOS_AGAIN:-20}
awk -v m="$AGAIN" -v n="$n_accepted" 'NR % int (n / m > 1 ? n / m : 1) == 0' "$T/accepted.kid" | head -"$AGAIN" \
    > "$T/again.kid"
: > "$T/again.bad"
while read -r key id; do
    timeout -k 5 "$WAIT_LIMIT_S" "$ZTASK" -b "$EPS" --json submit record -d 5 --key "$key" --wait \
        >"$T/again.out" 2>"$T/again.err"
    rc=$?
    grep -q "^  \"id\": $id,\$" "$T/again.out" && grep -q '^  "state": "done",$' "$T/again.out" \
        && grep -q "^  \"result\": \"ok $id\"\$" "$T/again.out" \
        || echo "$key (id $id): exit $rc: $(tr -d '\n' < "$T/again.err") $(tr -d '\n' < "$T/again.out" | head -c 200)" \
            >>"$T/again.bad"
done < "$T/again.kid"
is "$(lines "$T/again.bad")" 0 \
    "$(lines "$T/again.kid") keys submitted again with --wait return their task, done, with its result"
head -5 "$T/again.bad" | sed 's/^/#   /'

# ---- what ztask and the store say ----
"$ZTASK" -b "$EPS" list --state done --limit 10000 --json 2>/dev/null \
    | sed -n 's/^ *"id": \([0-9]*\),*$/\1/p' | sort -u > "$T/listed.done"
comm -23 "$T/accepted" "$T/listed.done" > "$T/unlisted"
: > "$T/asked"
if [ -s "$T/unlisted" ]; then
    # Older than the newest 10000 done tasks, or not done.
    timeout -k 5 300 xargs -n 50 sh -c 'for id; do
            state=$("$0" -b "$1" status --json "$id" 2>&1 | tr -d " \n" | grep -o "\"state\":\"[a-z]*\"" | cut -d\" -f4)
            echo "$id ${state:-missing}"
        done' "$ZTASK" "$EPS" < "$T/unlisted" > "$T/asked"
fi
awk '$2 == "done" { print $1 }' "$T/asked" | sort -u | comm -23 "$T/unlisted" - > "$T/not_done"
is "$(lines "$T/not_done")" 0 "every id a submit returned ends done ($(lines "$T/listed.done") listed done, $(lines "$T/asked") asked one by one)"
head -10 "$T/not_done" | while read -r id; do
    echo "#   task $id: $(awk -v id="$id" '$1 == id { print $2 }' "$T/asked" | grep . || echo "not asked")"
done

# The rows themselves: "ID|KEY|STATE|TYPE", state 2 is done.
pg_sql "SELECT id, coalesce (idem_key, ''), state, type FROM ztask_tasks ORDER BY id" > "$T/rows"
awk '{ print $2 "|" $1 }' "$T/accepted.kid" | sort > "$T/accepted.ik"
cut -d'|' -f1,2 "$T/rows" | sort > "$T/rows.ik"
is "$(comm -3 "$T/accepted.ik" "$T/rows.ik" | wc -l)" 0 \
    "the store holds exactly the accepted tasks, each under the key it was submitted with"
comm -3 "$T/accepted.ik" "$T/rows.ik" | head -10 | sed 's/^/#   /'
is "$(awk -F'|' '$3 != 2' "$T/rows" | wc -l)" 0 "  all of them done"
is "$(awk -F'|' '$4 == "late"' "$T/rows" | wc -l)" 0 "  none that only the frozen leader heard"

# ---- executions ----
cat "$T"/exec/* > "$T/executions"
awk '{ print $1 }' "$T/executions" | sort -u > "$T/executed"
n_exec=$(lines "$T/executions")
repeats=$((n_exec - $(lines "$T/executed")))
is "$(comm -23 "$T/accepted" "$T/executed" | wc -l)" 0 "every accepted task was executed"
is "$(comm -13 "$T/accepted" "$T/executed" | wc -l)" 0 "no task that was not accepted was executed"

# The figures of each event: the takeover as the test saw the new leader's
# log line, the first execution that started after it.
takeovers_ok=0
while read -r k name kind at_ms taken_ms term _; do
    first=$(awk -v t="$taken_ms" '$3 >= t { print $3 }' "$T/executions" | sort -n | head -1)
    [ -n "$first" ] && first="$((first - at_ms)) ms" || first=none
    echo "# $kind $k: takeover $((taken_ms - at_ms)) ms, first dispatch $first ($name $kind, term $term after)"
    [ $((taken_ms - at_ms)) -le $((LEASE_MS + 2000)) ] && takeovers_ok=$((takeovers_ok + 1))
done < "$T/events"
is "$takeovers_ok" "${#EVENTS[@]}" "every takeover came within the lease ($LEASE_MS ms) + 2000 ms"

# Repeats: each pair of successive executions of a task must straddle a
# kill or stop (the first started before the takeover, the next after the
# kill or stop), and their number is bounded by the attempts in flight.
awk 'NR == FNR { k[NR] = $4; e[NR] = $5; n = NR; next }
     { t[$1] = t[$1] " " $3; c[$1]++ }
     END {
        for (id in c) if (c[id] > 1) {
            m = split (substr (t[id], 2), s, " ")
            for (i = 1; i < m; i++) for (j = i + 1; j <= m; j++)
                if (s[j] < s[i]) { x = s[i]; s[i] = s[j]; s[j] = x }
            lone = 0
            for (i = 1; i < m; i++) {
                hit = 0
                for (q = 1; q <= n; q++)
                    if (s[i] <= e[q] && s[i + 1] >= k[q]) hit = 1
                if (!hit) lone++
            }
            print id, lone   # lone: pairs of runs that straddle no failover
        }
     }' "$T/events" "$T/executions" | sort -n > "$T/repeated"
echo "# repeats: $repeats, in flight at the kills and the stop: $inflight; $n_exec executions of $n_accepted tasks"
# Each repeated task: its executions, "worker/attempt at MS after the kill
# or stop it follows".
grep -H '' "$T"/exec/* | sed 's|^.*/exec/\([^:]*\):|\1 |' > "$T/executions.w"
awk '{ print $1 }' "$T/repeated" | head -10 | while read -r id; do
    echo "#   task $id: $(awk -v id="$id" 'NR == FNR { k[NR] = $4; what[NR] = $3 " " $1; n = NR; next }
        $2 == id { e = 0; for (q = 1; q <= n; q++) if ($4 >= k[q]) e = q
                   if (e) printf "%s/%s at %s %+.0f ms; ", $1, $3, what[e], $4 - k[e]
                   else printf "%s/%s before the first event; ", $1, $3 }' \
        "$T/events" "$T/executions.w")"
done
[ "$repeats" -le "$inflight" ]
ok $? "repeated executions ($repeats) are no more than the attempts in flight at the failovers ($inflight)"
is "$(awk '$2 > 0' "$T/repeated" | wc -l)" 0 "  and each repeat straddles a failover"

# ---- what the clients saw ----
# Failed submits (repeated with their key), by the event they followed
# and message: how many, and when after the kill or stop (after the
# SIGCONT for a stop's that came after it).
cat "$T"/submit/errors.* 2>/dev/null | sort -n > "$T/errors"
echo "# failed submits (repeated with their key): $(lines "$T/errors")"
awk 'NR == FNR { k[NR] = $4; c[NR] = $8; what[NR] = $3 " " $1; n = NR; next }
     { e = 0; for (q = 1; q <= n; q++) if ($1 >= k[q]) e = q
       msg = $0; sub (/^[^:]*: /, "", msg); gsub (/[0-9]+/, "N", msg)
       from = e ? (c[e] != "-" && $1 >= c[e] ? c[e] : k[e]) : 0
       tag = e ? what[e] (from == k[e] ? " +" : " SIGCONT +") : "start +"
       key = tag SUBSEP msg
       if (!(key in count)) { lo[key] = $1 - from; order[++m] = key }
       count[key]++; hi[key] = $1 - from }
     END { for (i = 1; i <= m; i++) { split (order[i], p, SUBSEP)
             printf "#   %s%d..%d ms: %d x %s\n", p[1], lo[order[i]], hi[order[i]], count[order[i]], p[2] } }' \
    "$T/events" "$T/errors" | head -20
early=$(cat "$T/errors" "$T/again.bad" | grep -c 'unexpected [A-Z_]* answer .*expected SUBMITTED')
echo "# submits answered with TASK_INFO or PROGRESS before SUBMITTED: $early"
[ "$early" -gt 0 ] && cat "$T/errors" "$T/again.bad" | grep 'expected SUBMITTED' | head -3 | sed 's/^/#   /'
echo "# accepted: $n_accepted tasks; $(lines "$T"/submit/unaccepted.*) given up"
for ((j = 0; j < LOOPS; j++)); do
    echo "# loop $j ($([ "$j" -lt "$SUBMITTERS" ] && echo "without --wait" || echo "with --wait")):" \
         "$(lines "$T/submit/ids.$j") tasks, done after $((($(cat "$T/submit/finished.$j") - START_MS) / 1000)) s"
done
elapsed_ms=$((end_ms - START_MS))
echo "# elapsed: $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s" \
     "(submitting $(((submitted_ms - START_MS) / 1000)) s)"

zt_mine "$PID_a" && zt_mine "$PID_b"
ok $? "both brokers are up at the end"
grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer|SEGV' "$T"/a.log "$T"/b.log
ok $((! $?)) "  no sanitizer report or crash in their logs"
done_testing
