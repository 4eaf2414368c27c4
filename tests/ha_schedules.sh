#!/bin/bash
# Recurring schedules across failovers (docs/scheduling.md,
# docs/guarantees.md): two brokers, a and b, on one PostgreSQL store
# (docs/high-availability.md), a worker given both endpoints, and four
# schedules every 5 minutes: tick (added through a, catchup once), cfgtick
# (in both brokers' config, catchup skip), held (paused through a) and
# back (catchup once: paused through a, missed a fire, then resumed
# through a). The lead moves by kill -9 only:
#
#   a leads        03:00 fires on a (every schedule); held and back paused
#   a restarted    03:05 fires on a (tick, cfgtick); back resumed
#   a killed       b takes over before 03:10 and fires 03:10 (tick,
#                  cfgtick, back): held stays paused, and back does not
#                  catch up the 03:05 it missed while paused
#   b killed       a takes over 30 s after b's 03:10 fire: no second one
#   a killed,      03:15 ... 03:30 pass with no broker: at 03:32:30 b
#   b started      leads; tick and back (once) fire once, keyed 03:30;
#                  cfgtick (skip) does not fire
#   b killed       before 03:35 (its clock near 03:33); a takes over with
#                  its clock past 03:35, within the 60 s grace, and fires
#                  03:35 late: a fire the killed leader never made is made
#
# Then for each schedule the store holds exactly the tasks of the fire
# times listed above (keys NAME@<fire time>; psql on the store): none
# twice, none missing, none extra; the broker whose log says it fired
# each one led then; every task ran once, on the worker.
#
# No timer is raced: each broker start sets the clock its schedules read
# (ZTASK_TEST_NOW_OFFSET_MS, as in tests/schedules.sh) a few seconds
# before the fire it should make, or well between fires; a fire made late
# is still made (within 60 s of its time), so a slow start only makes it
# late. Fires are waited for with generous limits; "nothing more fired"
# is checked once a keyed submit (a probe) handled after the takeover
# has been answered: the broker fires what is due at the takeover in its
# first round as leader, and answers a submit only once that round's (or
# a later one's) transaction is committed.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start

RECORD_SO="$top_builddir/tests/fixtures/.libs/record.so"
EXECUTIONS="$T/executions.txt"
: > "$EXECUTIONS"
STATE_S=60 # the most a wait for a state (a lead, a fire, a task done) lasts
CFG='schedules = ( { name = "cfgtick"; cron = "*/5 * * * *"; type = "record"; payload = "1"; } );'
DAY=2030-01-01

# start NAME HH:MM:SS: starts broker NAME (tests/pg.sh: ha_broker) with
# the clock its schedules read at that time of $DAY (UTC).
start () {
    ZTASK_TEST_NOW_OFFSET_MS=$(( $(date -u -d "${DAY}T$2Z" +%s) * 1000 - $(date +%s%3N) ))
    export ZTASK_TEST_NOW_OFFSET_MS
    echo "---- started with its clock at $2" >>"$T/$1.log"
    ha_broker "$1" "$CFG"
    unset ZTASK_TEST_NOW_OFFSET_MS
}
pid_of () { eval "echo \$PID_$1"; }
ep_of () { eval "echo \$EP_$1"; }
kill9 () {
    local pid
    pid=$(pid_of "$1")
    kill -9 "$pid"; wait "$pid" 2>/dev/null
    zt_forget "$pid"
    echo "---- killed (kill -9)" >>"$T/$1.log"
}
# How many times broker NAME's log says it took the lead / stood by.
leads_n () { grep -c "broker: $1 leads (term" "$T/$1.log" 2>/dev/null; }
stands_n () { grep -c "broker: $1 stands by" "$T/$1.log" 2>/dev/null; }

# The fire times of schedule NAME's tasks in the store, sorted, on one
# line, as HH:MM of $DAY ("03:00 03:05"; a key of another form is shown
# whole): keys NAME
keys () {
    pg_sql "SELECT split_part (idem_key, '@', 2) FROM ztask_tasks WHERE idem_key LIKE '$1@%' ORDER BY idem_key" \
        | sed "s/^${DAY}T\([0-9][0-9]:[0-9][0-9]\):00Z$/\1/" | tr '\n' ' ' | sed 's/ $//'
}
has_key () { [ "$(pg_sql "SELECT count (*) FROM ztask_tasks WHERE idem_key = '$1@${DAY}T$2:00Z'")" = 1 ]; }
tasks_n () { pg_sql "SELECT count (*) FROM ztask_tasks"; }
undone_n () { pg_sql "SELECT count (*) FROM ztask_tasks WHERE state <> 2"; }
# The broker whose log says it fired key NAME@HH:MM (its task made then).
fired_by () {
    grep -l "broker: schedule $1 fired: task [0-9]* (key $1@${DAY}T$2:00Z)" "$T/a.log" "$T/b.log" 2>/dev/null \
        | sed 's|.*/\(.\)\.log$|\1|' | tr '\n' ' ' | sed 's/ $//'
}
json () { "$ZTASK" -b "$1" "${@:2}" --json 2>/dev/null | tr -d ' \n'; }

# settle NAME: a keyed submit to broker NAME, answered once committed;
# handled after NAME took the lead, so once it is answered, what NAME
# fired at the takeover is in the store.
probes=0
settle () {
    probes=$((probes + 1))
    "$ZTASK" -b "$(ep_of "$1")" submit record -d 1 --key "probe-$probes" 2>&1 | grep -Eq '^[0-9]+$' \
        || ok 1 "the probe submit to $1 is accepted"
}

# check WHEN TICK CFGTICK BACK HELD: the store's fire times of each schedule.
check () {
    is "$(keys tick)" "$2" "$1: tick (catchup once) fired at $2"
    is "$(keys cfgtick)" "$3" "$1: cfgtick (config, catchup skip) fired at $3"
    is "$(keys back)" "$4" "$1: back (paused, resumed) fired at $4"
    is "$(keys held)" "$5" "$1: held (paused) fired at $5 only"
}

# ---- a leads, b stands by; the schedules are added through a ----
start a 02:55:30
wait_for "leads a 1" "$STATE_S" || { echo "Bail out! broker a did not lead"; exit 1; }
start b 02:55:30
wait_for "stands_by b a 1" "$STATE_S" || { echo "Bail out! broker b did not stand by"; exit 1; }
cat > "$T/w.cfg" <<CFG
broker = ["$EP_a", "$EP_b"];
name = "w";
slots = 2;
plugins = ( { name = "record"; file = "$RECORD_SO"; settings = { path = "$EXECUTIONS"; }; } );
CFG
"$ZWORKER" -c "$T/w.cfg" -f >>"$T/w.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "[ \"\$(zt_worker_names -b $EP_a)\" = w ]" "$STATE_S"
ok $? "a worker given both endpoints registers with the leader, a"

"$ZTASK" -b "$EP_a" schedule add tick --cron '*/5 * * * *' --catchup once record -d 1 </dev/null >/dev/null
ok $? "schedule add tick through a (*/5, catchup once)"
"$ZTASK" -b "$EP_a" schedule add held --cron '*/5 * * * *' record -d 1 </dev/null >/dev/null
ok $? "schedule add held through a (*/5, catchup skip)"
"$ZTASK" -b "$EP_a" schedule add back --cron '*/5 * * * *' --catchup once record -d 1 </dev/null >/dev/null
ok $? "schedule add back through a (*/5, catchup once)"
like "$(json "$EP_a" schedule list)" '"name":"back".*"name":"cfgtick".*"source":"config".*"name":"held".*"name":"tick"' \
    "a holds the four, cfgtick from its config"
settle a
is "$(keys tick)$(keys cfgtick)$(keys back)$(keys held)" "" "nothing fired at 02:55:30"

# ---- 03:00 fires on a ----
# b goes first (a standby: nothing changes), then a is restarted with its
# clock 3 s before 03:00, alone: it leads again.
kill9 b
kill9 a
n=$(leads_n a)
start a 02:59:57
wait_for "[ \$(leads_n a) -gt $n ]" "$STATE_S" || { echo "Bail out! broker a did not lead again"; exit 1; }
wait_for "has_key tick 03:00 && has_key cfgtick 03:00 && has_key back 03:00 && has_key held 03:00" "$STATE_S"
ok $? "at 03:00 (a's clock) the four schedules fire"
settle a
check "03:00 on a" 03:00 03:00 03:00 03:00
is "$(fired_by tick 03:00) $(fired_by cfgtick 03:00) $(fired_by back 03:00) $(fired_by held 03:00)" "a a a a" \
    "  a fired them"
wait_for "[ \$(undone_n) = 0 ]" "$STATE_S"
ok $? "  the worker ran them"
like "$("$ZTASK" -b "$EP_a" schedule pause held)" "schedule held paused" "held paused through a"
like "$("$ZTASK" -b "$EP_a" schedule pause back)" "schedule back paused" "back paused through a"

# ---- 03:05 fires on a (restarted): back, paused, misses it ----
kill9 a
n=$(leads_n a)
start a 03:04:57
wait_for "[ \$(leads_n a) -gt $n ]" "$STATE_S" || { echo "Bail out! broker a did not lead again"; exit 1; }
wait_for "has_key tick 03:05 && has_key cfgtick 03:05" "$STATE_S"
ok $? "at 03:05 a (restarted) fires tick and cfgtick"
settle a
check "03:05 on a" "03:00 03:05" "03:00 03:05" 03:00 03:00
like "$(json "$EP_a" schedule show back)" '"paused":true,.*"last_fire":"2030-01-01T03:00:00Z","next_fire":null' \
    "  back is still paused after a's restart, its last fire 03:00"
like "$(json "$EP_a" schedule resume back)" '"paused":false,.*"last_fire":"2030-01-01T03:00:00Z","next_fire":"2030-01-01T03:10:00Z"' \
    "back resumed through a at 03:05: its next fire is 03:10 (the 03:05 it missed paused is not caught up)"
wait_for "[ \$(undone_n) = 0 ]" "$STATE_S"
ok $? "  the worker ran the 03:05 fires"

# ---- failover to b before 03:10: b fires 03:10 ----
n=$(stands_n b)
start b 03:09:57
wait_for "[ \$(stands_n b) -gt $n ]" "$STATE_S" || { echo "Bail out! broker b did not stand by"; exit 1; }
n=$(leads_n b)
kill9 a
wait_for "[ \$(leads_n b) -gt $n ]" "$STATE_S"
ok $? "a killed (kill -9): b takes over"
wait_for "has_key tick 03:10 && has_key cfgtick 03:10 && has_key back 03:10" "$STATE_S"
ok $? "at 03:10 (b's clock) tick, cfgtick and back fire"
settle b
check "03:10 on b" "03:00 03:05 03:10" "03:00 03:05 03:10" "03:00 03:10" 03:00
is "$(fired_by tick 03:10) $(fired_by cfgtick 03:10) $(fired_by back 03:10)" "b b b" "  b fired them"
like "$(json "$EP_b" schedule show held)" '"paused":true,.*"last_fire":"2030-01-01T03:00:00Z","next_fire":null' \
    "  held, paused through a, is paused on b"
like "$(json "$EP_b" schedule show back)" '"paused":false,.*"last_fire":"2030-01-01T03:10:00Z","next_fire":"2030-01-01T03:15:00Z"' \
    "  back, resumed through a, is active on b"
wait_for "[ \$(undone_n) = 0 ]" "$STATE_S"
ok $? "  the worker, moved to b, ran them"

# ---- failover to a 30 s after b's 03:10 fire: nothing fires twice ----
n=$(stands_n a)
start a 03:10:30
wait_for "[ \$(stands_n a) -gt $n ]" "$STATE_S" || { echo "Bail out! broker a did not stand by"; exit 1; }
n=$(leads_n a)
kill9 b
wait_for "[ \$(leads_n a) -gt $n ]" "$STATE_S"
ok $? "b killed: a takes over, its clock 30 s after b's 03:10 fire"
settle a
check "03:10:30 on a" "03:00 03:05 03:10" "03:00 03:05 03:10" "03:00 03:10" 03:00
like "$(json "$EP_a" schedule show tick)" '"last_fire":"2030-01-01T03:10:00Z","next_fire":"2030-01-01T03:15:00Z"' \
    "  a plans tick's next fire after b's"

# ---- no broker leads while 03:15 ... 03:30 pass ----
kill9 a
n=$(leads_n b)
start b 03:32:30
wait_for "[ \$(leads_n b) -gt $n ]" "$STATE_S"
ok $? "a killed with b down; b started with its clock at 03:32:30 leads"
wait_for "has_key tick 03:30 && has_key back 03:30" "$STATE_S"
ok $? "  tick and back (catchup once) catch up"
settle b
check "03:32:30 on b" "03:00 03:05 03:10 03:30" "03:00 03:05 03:10" "03:00 03:10 03:30" 03:00
is "$(fired_by tick 03:30) $(fired_by back 03:30)" "b b" "  once each, on b, keyed by the latest missed fire"
like "$(json "$EP_b" schedule show cfgtick)" '"last_fire":"2030-01-01T03:10:00Z","next_fire":"2030-01-01T03:35:00Z"' \
    "  cfgtick (catchup skip) waits for 03:35"
wait_for "[ \$(undone_n) = 0 ]" "$STATE_S"
ok $? "  the worker ran them"

# ---- b killed before 03:35; a takes over after it, within the grace ----
n=$(stands_n a)
start a 03:35:05
wait_for "[ \$(stands_n a) -gt $n ]" "$STATE_S" || { echo "Bail out! broker a did not stand by"; exit 1; }
is "$(keys tick | grep -c 03:35)" 0 "b (its clock at 03:32) has not fired 03:35"
n=$(leads_n a)
kill9 b
wait_for "[ \$(leads_n a) -gt $n ]" "$STATE_S"
ok $? "b killed: a takes over, its clock past 03:35"
wait_for "has_key tick 03:35 && has_key cfgtick 03:35 && has_key back 03:35" "$STATE_S"
ok $? "  the 03:35 fires b never made are made by a, late"
settle a
check "03:35 on a" "03:00 03:05 03:10 03:30 03:35" "03:00 03:05 03:10 03:35" "03:00 03:10 03:30 03:35" 03:00
is "$(fired_by tick 03:35) $(fired_by cfgtick 03:35) $(fired_by back 03:35)" "a a a" "  by a"
like "$(json "$EP_a" schedule resume held)" '"paused":false,.*"next_fire":"2030-01-01T03:40:00Z"' \
    "held resumed through a: its next fire is 03:40, nothing caught up"

# ---- every task once ----
wait_for "[ \$(undone_n) = 0 ]" "$STATE_S"
ok $? "every task is done"
total=$(tasks_n)
is "$(pg_sql "SELECT count (*) FROM ztask_tasks WHERE idem_key LIKE 'probe-%'")" "$probes" \
    "the store holds the $probes probes"
is "$((total - probes))" 14 "  and the 14 fires' tasks, nothing else"
is "$(pg_sql "SELECT count (*) - count (DISTINCT idem_key) FROM ztask_tasks")" 0 "  no key twice"
is "$(json "$EP_a" list --limit 1000 | grep -o '"id":' | wc -l)" "$total" \
    "ztask list on the leader lists them all ($total)"
is "$(wc -l < "$EXECUTIONS")" "$total" "the worker ran $total tasks"
is "$(cut -d' ' -f1 "$EXECUTIONS" | sort | uniq -d | tr '\n' ' ')" "" "  each once"
kill -0 "$PID_a" 2>/dev/null
ok $? "a, the leader, is up"
done_testing
