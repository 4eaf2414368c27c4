#!/bin/bash
# Recurring schedules (docs/scheduling.md): `ztask schedule add|list|show|
# pause|resume|remove`, refusals (cron, zone, name), schedules in the
# broker's config, firing through the submit path keyed NAME@<fire time>,
# catchup (skip, once) across a broker that was down, and no second fire
# across kill -9 and restart.
# No timer is raced: ztaskd reads the schedules' clock moved by
# ZTASK_TEST_NOW_OFFSET_MS (a test-only setting), so each broker start
# puts "now" where the test wants it (2030); a fire is waited for with a
# generous limit, and "nothing fired" is checked after two requests have
# been answered (the broker fires what is due in the loop round after it
# answers a request).
. "${top_srcdir:-.}/tests/lib.sh"

RECORD_SO="$top_builddir/tests/fixtures/.libs/record.so"
EXECUTIONS="$T/executions.txt"
: > "$EXECUTIONS"

json () { "$ZTASK" "$@" --json 2>/dev/null | tr -d ' \n'; }
tasks () { json list | grep -o '"id":' | wc -l; }
# The id of the task holding key $1 (submitting it again returns it).
key_task () { "$ZTASK" submit record -d 1 --key "$1"; }
epoch () { date -u -d "$1" +%s; }

# start_at ISO [EXTRA CONFIG]: (re)starts ztaskd with its schedules' clock at ISO.
start_at () {
    if [ -n "${BROKER_PID:-}" ]; then
        { kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null
        zt_forget "$BROKER_PID"
        echo "---- restart at $1" >>"$T/broker.log"
    fi
    export ZTASK_TEST_NOW_OFFSET_MS=$(( $(epoch "$1") * 1000 - $(date +%s%3N) ))
    if [ -z "${ZTASK_BROKER:-}" ]; then
        zt_broker "${2:-}"
        sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg"
        return
    fi
    sed -i '/^schedules/,$d' "$T/broker.cfg"
    [ -n "${2:-}" ] && printf '%s\n' "$2" >>"$T/broker.cfg"
    local before
    before=$(grep -c 'listening on tcp' "$T/broker.log")
    "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt $before ]" 10 \
        || { echo "Bail out! ztaskd did not start again"; exit 1; }
}

# ---- the commands, at 2030-01-01 02:00 UTC ----
start_at 2030-01-01T02:00:00Z
out=$("$ZTASK" schedule add nightly --cron '0 3 * * *' --catchup once record -d 1)
ok $? "schedule add nightly (0 3 * * *, catchup once)"
like "$out" "schedule nightly added" "  it says so"
like "$out" "2030-01-01T03:00:00\+00:00 UTC += 2030-01-01T03:00:00Z" "  and shows its next fire"
"$ZTASK" schedule add skipper --cron '@daily' record -d 1 </dev/null >/dev/null
ok $? "schedule add skipper (@daily, catchup skip by default)"
out=$("$ZTASK" schedule add paris --cron '30 2 * * mon-fri' --tz Europe/Paris -p high record </dev/null)
ok $? "schedule add paris in Europe/Paris"
like "$out" "2030-01-02T02:30:00\+01:00 CET += 2030-01-02T01:30:00Z" "  its next fires in its zone and in UTC (02:30 Paris passed an hour ago)"
is "$(printf '%s\n' "$out" | grep -c ' = 2030-')" 3 "  three of them"
like "$(json schedule show paris)" '"cron_canonical":"302\*\*1-5",.*"priority":9,' "show --json: canonical cron, priority"
list=$("$ZTASK" schedule list)
like "$list" "nightly +0 3 \* \* \* +UTC +record +2030-01-01T03:00:00Z +active" "schedule list shows nightly"
is "$(printf '%s\n' "$list" | grep -c active)" 3 "  and the three schedules"
like "$(json schedule list)" '^\{"schedules":\[\{"name":"nightly".*"name":"paris".*"name":"skipper"' "list --json, by name"

# refusals, checked before anything is sent (exit 2) or by the broker
err=$("$ZTASK" schedule add bad --cron '0 24 * * *' record 2>&1 </dev/null); rc=$?
is "$rc" 2 "a bad cron expression exits 2"
like "$err" "hour field, column 3: 24 is out of range 0-23" "  naming the field and the column"
err=$("$ZTASK" schedule add bad --cron '0 3 * * *' --tz Europe/Pari record 2>&1 </dev/null); rc=$?
is "$rc" 2 "an unknown zone exits 2"
like "$err" "time zone 'Europe/Pari': unknown" "  naming the zone"
err=$("$ZTASK" schedule add Bad_Name --cron '0 3 * * *' record 2>&1 </dev/null); rc=$?
is "$rc" 2 "an invalid schedule name exits 2"
like "$err" "invalid schedule name: .*lowercase" "  saying what a name is"
err=$("$ZTASK" schedule add nightly --cron '0 4 * * *' record 2>&1 </dev/null); rc=$?
is "$rc" 6 "adding a name the broker holds is refused"
like "$err" "schedule nightly exists already" "  saying so"
err=$("$ZTASK" schedule show nosuch 2>&1); rc=$?
is "$rc" 4 "show of an unknown schedule exits 4 (not found)"
err=$("$ZTASK" schedule frob x 2>&1); rc=$?
is "$rc" 2 "an unknown schedule subcommand exits 2"
err=$("$ZTASK" schedule add x --cron '* * * * *' 2>&1 </dev/null); rc=$?
is "$rc" 2 "schedule add without a TYPE exits 2"

# pause, resume, remove
"$ZTASK" schedule add temp --cron '*/5 * * * *' record </dev/null >/dev/null
like "$("$ZTASK" schedule pause paris)" "schedule paris paused" "schedule pause"
like "$(json schedule show paris)" '"paused":true,.*"next_fire":null' "  it is paused, with no next fire"
like "$("$ZTASK" schedule list)" "paris .* paused" "  list says so"
like "$("$ZTASK" schedule resume temp)" "schedule temp resumed" "schedule resume (of an active one: no change)"
like "$("$ZTASK" schedule remove temp)" "schedule temp removed" "schedule remove"
"$ZTASK" schedule show temp >/dev/null 2>&1
is "$?" 4 "  it is gone"
is "$(tasks)" 0 "nothing fired yet"

# ---- a fire while the broker runs: 02:59:58, so 03:00 is 2 s away ----
cat > "$T/w1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "w1";
slots = 2;
plugins = ( { name = "record"; file = "$RECORD_SO"; settings = { path = "$EXECUTIONS"; }; } );
CFG
"$ZWORKER" -c "$T/w1.cfg" -f >>"$T/w1.log" 2>&1 &
PIDS="$PIDS $!"
start_at 2030-01-01T02:59:58Z
wait_for "[ \$(tasks) -ge 1 ]" 30
ok $? "at 03:00 (the broker's clock) nightly fires"
n1=$(key_task nightly@2030-01-01T03:00:00Z)
like "$n1" '^[0-9]+$' "  its task holds the key nightly@2030-01-01T03:00:00Z ($n1)"
is "$(tasks)" 1 "  one task (skipper fires at midnight, paris is paused)"
wait_for "[ \"\$(zt_field $n1 state)\" = done ]" 30
ok $? "  it runs on the worker"
like "$(json schedule show nightly)" '"last_fire":"2030-01-01T03:00:00Z","next_fire":"2030-01-02T03:00:00Z"' \
    "  nightly's last and next fire"
is "$(grep -c "^$n1 " "$EXECUTIONS")" 1 "  it ran once"

# ---- kill -9 and restart 30 s after the fire: nothing fires twice ----
start_at 2030-01-01T03:00:30Z
"$ZTASK" schedule list >/dev/null; "$ZTASK" schedule list >/dev/null
is "$(tasks)" 1 "after kill -9 and a restart within the minute, no second fire"
is "$(key_task nightly@2030-01-01T03:00:00Z)" "$n1" "  the fire's key still returns its task"

# ---- down for two days and a half: catchup ----
start_at 2030-01-03T12:00:00Z
wait_for "[ \$(tasks) -ge 2 ]" 30
ok $? "after two missed nights, nightly (catchup once) fires"
"$ZTASK" schedule list >/dev/null; "$ZTASK" schedule list >/dev/null
is "$(tasks)" 2 "  once, and skipper (catchup skip) does not fire"
n3=$(key_task nightly@2030-01-03T03:00:00Z)
is "$(tasks)" 2 "  keyed by the latest missed fire time, nightly@2030-01-03T03:00:00Z ($n3)"
like "$(json schedule show nightly)" '"last_fire":"2030-01-03T03:00:00Z","next_fire":"2030-01-04T03:00:00Z"' \
    "  then it waits for the next night"
like "$(json schedule show skipper)" '"last_fire":null,"next_fire":"2030-01-04T00:00:00Z"' \
    "  skipper waits for its next fire after now"
start_at 2030-01-03T12:00:05Z
"$ZTASK" schedule list >/dev/null; "$ZTASK" schedule list >/dev/null
is "$(tasks)" 2 "kill -9 and restart again: the catch-up fire is not repeated"

# ---- schedules in the broker's config ----
start_at 2030-01-03T12:00:10Z 'schedules = ( { name = "cfg-report"; cron = "0 4 * * *"; tz = "America/New_York";
  type = "record"; priority = "low"; payload = "cfg"; catchup = "once"; } );'
like "$(json schedule show cfg-report)" '"tz":"America/New_York","type":"record","priority":0,"catchup":"once","paused":false,"source":"config"' \
    "a config schedule is held, source config"
like "$("$ZTASK" schedule list)" "cfg-report .* active \(config\)" "  list says where it comes from"
err=$("$ZTASK" schedule remove cfg-report 2>&1); rc=$?
is "$rc" 6 "  it cannot be removed with the CLI"
like "$err" "declared in the broker's config" "  saying where to remove it"
"$ZTASK" schedule pause cfg-report >/dev/null
start_at 2030-01-03T12:00:15Z 'schedules = ( { name = "cfg-report"; cron = "0 5 * * *"; tz = "America/New_York";
  type = "record"; priority = "low"; payload = "cfg"; catchup = "once"; } );'
like "$(json schedule show cfg-report)" '"cron":"05\*\*\*".*"paused":true' \
    "a changed config schedule is updated at start, its paused state kept"
start_at 2030-01-03T12:00:20Z
"$ZTASK" schedule show cfg-report >/dev/null 2>&1
is "$?" 4 "a config schedule no longer in the config is removed at start"
is "$(printf '%s\n' "$("$ZTASK" schedule list)" | grep -c active)" 2 "  the others stay"

# a config error names the schedule's field
cat > "$T/bad.cfg" <<CFG
endpoint = "tcp://127.0.0.1:*";
store = "$T/bad.db";
schedules = ( { name = "x"; cron = "0 24 * * *"; type = "record"; } );
CFG
err=$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1); rc=$?
[ "$rc" -ne 0 ]
ok $? "ztaskd refuses a config schedule with a bad cron"
like "$err" "bad.cfg:3: schedules\[0\].cron: hour field, column 3: 24 is out of range 0-23" "  naming file, line, field and column"
sed -i 's|cron = "0 24 \* \* \*"; type|cron = "0 3 * * *"; tz = "Mars/Olympus"; type|' "$T/bad.cfg"
like "$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1)" "schedules\[0\].tz: time zone 'Mars/Olympus': unknown" "  and an unknown zone"
sed -i 's|name = "x"|name = "X y"|; s|tz = "Mars/Olympus"; ||' "$T/bad.cfg"
like "$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1)" "schedules\[0\].name: " "  and a bad name"

done_testing
