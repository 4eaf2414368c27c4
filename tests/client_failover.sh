#!/bin/bash
# A client given a list of brokers (ztask -b a,b, $ZTASK_BROKER,
# ztask_client_new) finds the one that answers: lists refused with the bad
# item named, requests that land on the live broker when the first of the
# list has nothing listening, the idempotency key libztask makes up for a
# submit with a list (none with one endpoint), and a submit --wait that
# goes on waiting when its broker is killed and comes back on the other
# endpoint of the list. All on SQLite, one broker at a time: a standby's
# answer, ERROR NOT_LEADER, comes from real active/standby brokers on
# PostgreSQL in tests/client_standby.sh.
. "${top_srcdir:-.}/tests/lib.sh"

SQL="$top_builddir/tests/store_sql"
[ -x "$SQL" ] || { echo "Bail out! $SQL is not built (make tests/store_sql)"; exit 1; }

# The idempotency key of task $1 as the store holds it ("NULL": none).
# Only while no broker runs: a running broker holds the store's lock.
stored_key () { "$SQL" "$T/ztask.db" "SELECT idem_key FROM tasks WHERE id = $1"; }

# --- lists refused before anything is sent ---
err=$("$ZTASK" -b "tcp://127.0.0.1:1,,tcp://127.0.0.1:2" stats 2>&1)
is $? 2 "a list with an empty item: exit 2"
like "$err" "broker endpoint 2 of the list is empty" "  naming the item"
like "$err" "\(the list comes from -b\)" "  and where the list comes from"
err=$(ZTASK_BROKER="tcp://127.0.0.1:1,nonsense" "$ZTASK" stats 2>&1)
is $? 2 "a list in \$ZTASK_BROKER with an invalid endpoint: exit 2"
like "$err" "invalid broker endpoint 2 of the list, 'nonsense'" "  naming the item"
like "$err" "from \\\$ZTASK_BROKER" "  and the variable"
err=$("$ZTASK" -b "$(seq -f 'tcp://127.0.0.1:%g' 1 17 | paste -sd, -)" stats 2>&1)
is $? 2 "a list of 17 endpoints: exit 2"
like "$err" "at most 16" "  saying how many a list holds"
err=$("$ZTASK" -b "tcp://127.0.0.1:1,tcp://127.0.0.1:1" stats 2>&1)
is $? 2 "the same endpoint twice: exit 2"
like "$err" "repeats endpoint 1" "  saying so"
err=$("$ZTASK" -b "tcp://127.0.0.1:1,tcp://127.0.0.1:2" --cert me.key_secret --broker-cert a.key,b.key,c.key \
      stats 2>&1)
is $? 2 "three broker certificates for two brokers: exit 2"
like "$err" "3 broker certificate files for 2 brokers" "  saying so"

# --- no broker at all ---
P1=$(zt_free_port)
P2=$(zt_free_port)
err=$("$ZTASK" -b "tcp://127.0.0.1:$P1,tcp://127.0.0.1:$P2" -t 1500 stats 2>&1)
is $? 5 "a list where nothing listens: exit 5 within -t"
like "$err" "no answer from any broker of tcp://127.0.0.1:$P1,tcp://127.0.0.1:$P2 within 1500 ms" \
    "  naming the list"

# --- the first endpoint has nothing listening, the second is a broker ---
zt_broker
zt_worker w 2 '"all"' echo hold
LIVE=$ZTASK_BROKER
LIST="tcp://127.0.0.1:$P1,$LIVE"

listed=$("$ZTASK" -b "$LIST" submit echo -d listed)
like "$listed" '^[0-9]+$' "submit with a list whose first broker is down: the task's id"
wait_for "[ \"\$(zt_field $listed state)\" = done ]" 20
ok $? "  it runs on the live broker"
like "$("$ZTASK" -b "$LIST" status "$listed")" "done" "status with the list"
is "$("$ZTASK" -b "$LIST" result "$listed")" "listed" "result with the list"
like "$("$ZTASK" -b "$LIST" stats)" "^tasks: " "stats with the list"
like "$("$ZTASK" -b "$LIST" list --limit 1)" "echo" "list with the list"
is "$(ZTASK_BROKER="$LIST" "$ZTASK" submit echo -d from-env --wait)" "from-env" \
    "submit --wait with the list in \$ZTASK_BROKER: the result"
keyed=$("$ZTASK" -b "$LIST" submit echo -d one --key mine)
is "$("$ZTASK" -b "$LIST" submit echo -d two --key mine)" "$keyed" "a --key given with a list is kept: the same task"
single=$("$ZTASK" submit echo -d single)
like "$single" '^[0-9]+$' "submit to one endpoint, as ever"
out=$(ZTASK_BROKER="$LIST" timeout 90 "$top_builddir/tests/wait_client" wait "$HOLD_DIR/client-list" 2>&1)
is $? 0 "ztask_client_wait_progress with a list: the progress and the end"
like "$(printf '%s\n' "$out" | tail -1)" '^end done released [0-9]+$' "  the task is done"

# --- the broker is killed while a client waits, and comes back on the
#     other endpoint of the list, with the same store ---
NEXT="tcp://127.0.0.1:$P2"
runs=$(wc -l < "$HOLD_LOG")
"$ZTASK" -b "$LIVE,$NEXT" submit hold -d moved --wait > "$T/moved.out" 2> "$T/moved.err" &
waiter=$!
PIDS="$PIDS $waiter"
wait_for "[ \$(wc -l < '$HOLD_LOG') -gt $runs ]" 20
ok $? "submit --wait with a list: the task runs"
moved=$(awk '{ id = $1 } END { print id }' "$HOLD_LOG")
{ kill -9 "$BROKER_PID" "$WORKER_PID"; wait "$BROKER_PID" "$WORKER_PID"; } 2>/dev/null
zt_forget "$BROKER_PID"
zt_forget "$WORKER_PID"

# The store, while no broker holds it: the keys.
like "$(stored_key "$listed")" '^auto-[0-9a-f]{32}$' "a submit with a list got a made-up key (auto- and 32 hex digits)"
like "$(stored_key "$moved")" '^auto-[0-9a-f]{32}$' "  so did the submit --wait"
is "$(stored_key "$keyed")" "mine" "  the key given is not replaced"
is "$(stored_key "$single")" "NULL" "a submit to one endpoint gets no key"

sed "s|^endpoint = .*|endpoint = \"$NEXT\";|" "$T/broker.cfg" > "$T/broker-next.cfg"
"$ZTASKD" -c "$T/broker-next.cfg" -f >>"$T/broker-next.log" 2>&1 &
BROKER_PID=$!
PIDS="$PIDS $BROKER_PID"
wait_for "grep -q 'listening on tcp' '$T/broker-next.log'" 30 \
    || { sed 's/^/# /' "$T/broker-next.log"; echo "Bail out! ztaskd did not start on $NEXT"; exit 1; }
ZTASK_BROKER=$NEXT
zt_worker w2 1 '"all"' hold
kill -0 "$waiter" 2>/dev/null
ok $? "the client still waits while the broker moves"
wait_for "[ \$(grep -c '^$moved ' '$HOLD_LOG') -ge 2 ]" 20
ok $? "  the task runs again under the broker on the other endpoint"
zt_release moved
wait_for "! kill -0 $waiter" 30
ok $? "  released, the waiting client returns"
wait "$waiter"
is $? 0 "  exit 0"
zt_forget "$waiter"
is "$(cat "$T/moved.out")" "released $moved" "  with the result, from the broker on the other endpoint"
is "$(cat "$T/moved.err")" "" "  and nothing on stderr"

done_testing
