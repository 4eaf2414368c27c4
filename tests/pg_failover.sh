#!/bin/bash
# A PostgreSQL primary failover under a running broker: a primary and a
# streaming standby it waits for (synchronous_standby_names), ztaskd on a
# multi-host conninfo (target_session_attrs=read-write) with sync = "full".
# The primary dies with tasks queued and running, the standby is promoted:
# the broker reconnects to it by itself, and every task whose submit
# returned an id ends done; a submit refused meanwhile (exit 8) is repeated
# with its key and accepted once.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start
PRIMARY_PORT=$PG_PORT

# ---- the streaming standby, on a free port ----
pg_sql "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
pg_sql "SELECT pg_reload_conf ()" >/dev/null
pg_as "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U ztask -D "$PG_DIR/data.standby" -R -X stream \
    >"$PG_DIR/basebackup.log" 2>&1 \
    || { echo "Bail out! pg_basebackup failed:"; sed 's/^/# /' "$PG_DIR/basebackup.log"; exit 1; }
tries=0
while :; do
    STANDBY_PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000 ))
    if [ "$STANDBY_PORT" -ne "$PRIMARY_PORT" ] && pg_as "$pg_bin/pg_ctl" -D "$PG_DIR/data.standby" \
        -l "$PG_DIR/standby.log" -w -t 60 \
        -o "-p $STANDBY_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=off" start >/dev/null 2>&1; then
        break
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 5 ] || { echo "Bail out! the standby did not start:"; tail -20 "$PG_DIR/standby.log" | sed 's/^/# /'; exit 1; }
done
wait_for "[ \"\$(pg_sql 'SELECT sync_state FROM pg_stat_replication')\" = sync ]" 60
ok $? "the standby streams from the primary, synchronously"

# ---- the broker, on both servers ----
ZT_STORE="host=127.0.0.1,127.0.0.1 port=$PRIMARY_PORT,$STANDBY_PORT user=ztask dbname=ztask_test target_session_attrs=read-write"
zt_broker 'sync = "full";'
zt_worker w 2 '"all"' echo hold
running=$("$ZTASK" submit hold -d held-1)
wait_for "zt_held $running" 20
ok $? "a task runs on the worker ($running)"
ids=""
for n in $(seq 1 40); do
    ids="$ids $("$ZTASK" submit echo -d "before-$n" --key "before-$n")"
done
is "$(echo $ids | wc -w)" 40 "40 tasks accepted before the failover"

# ---- the primary dies; the standby is promoted ----
pg_as "$pg_bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
ok $? "the primary is stopped (immediate: as if its machine died)"
pg_as "$pg_bin/pg_ctl" -D "$PG_DIR/data.standby" -w promote >/dev/null 2>&1
ok $? "the standby is promoted"
# It inherited synchronous_standby_names from its primary: with no standby
# of its own, every commit would wait for one (what a failover manager such
# as Patroni resets; docs/high-availability.md).
pg_as "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$STANDBY_PORT" -U ztask -d ztask_test \
    -c "ALTER SYSTEM RESET synchronous_standby_names" -c "SELECT pg_reload_conf ()" >/dev/null
# Submits with a key, each repeated until accepted: refused (exit 8)
# while the broker reconnects, never created twice.
refused=0 unexpected=""
for n in $(seq 1 20); do
    while :; do
        id=$("$ZTASK" -t 5000 submit echo -d "during-$n" --key "during-$n" 2>/dev/null); rc=$?
        [ "$rc" -eq 0 ] && break
        # 8: the store is unavailable; 5: no answer in time (reconnecting)
        [ "$rc" -eq 8 ] || [ "$rc" -eq 5 ] || { unexpected="$unexpected during-$n:$rc"; break; }
        refused=$((refused + 1))
        sleep 0.2
    done
    ids="$ids $id"
done
echo "# $refused submits were refused while the broker reconnected"
is "$unexpected" "" "every submit was accepted, refused as unavailable (8) or unanswered (5) meanwhile"
like "$(cat "$T/broker.log")" "store is back; accepting tasks again" "the broker reconnected to the promoted standby by itself"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"store":\{"backend":"PostgreSQL","available":true\}' "  and says its store is available"

zt_release held-1
pending () {
    local id
    for id in $ids $running; do
        [ "$(zt_field "$id" state)" = done ] || { echo "$id"; return; }
    done
}
wait_for "[ -z \"\$(pending)\" ]" 60
ok $? "every task whose submit returned an id ends done (61 tasks)"
is "$(pg_as "$pg_bin/psql" -X -A -t -h 127.0.0.1 -p "$STANDBY_PORT" -U ztask -d ztask_test \
    -c "SELECT count (*) FROM ztask_tasks WHERE idem_key LIKE 'during-%'")" 20 \
    "  each submit repeated during the failover made one task"
is "$(grep -c "^$running " "$HOLD_LOG")" 1 "  the running task ran once"
done_testing
