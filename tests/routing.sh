#!/bin/bash
# Routing by plugin and priority, with real ztaskd and ztask-worker processes.
. "${top_srcdir:-.}/tests/lib.sh"

zt_broker

# --- a task for a plugin no worker has waits, then runs when one arrives ---
id=$("$ZTASK" submit wordcount -d "one two three")
ok $? "submit wordcount before any worker has it"
sleep 0.5
is "$(zt_field "$id" state)" "queued" "it stays queued while no worker has the plugin"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"type":"wordcount"[^}]*"waiting_for_plugin":true' \
    "stats shows it waiting for a plugin"

# A heterogeneous fleet:
#   ew: echo + wordcount, low and normal only
#   gs: echo + sleep + wordcount, every level
#   urgent: sleep + wordcount, high only (reserved capacity)
zt_worker ew 2 '["low", "normal"]' echo wordcount
out=$("$ZTASK" submit --wait wordcount -d "x" >/dev/null; "$ZTASK" result "$id")
is "$out" '{"lines": 0, "words": 3, "bytes": 13}' "the waiting task ran once a worker with the plugin arrived"
is "$(zt_field "$id" worker)" "ew" "and it ran on that worker"

zt_worker gs 2 '"all"' echo sleep wordcount
zt_worker urgent 1 '["high"]' sleep wordcount

# --- --wait returns the result ---
is "$("$ZTASK" submit echo -d 'hello, ztask' --wait)" "hello, ztask" "--wait prints the result"

# --- two types x three priorities: each task completes on an eligible worker ---
ids=""
for type in echo wordcount sleep; do
    for p in low normal high; do
        for n in 1 2; do
            payload="$n"; [ "$type" = sleep ] && payload=$((n * 20))
            ids="$ids $type:$p:$("$ZTASK" submit "$type" -p "$p" -d "$payload")"
        done
    done
done
bad=0; count=0
for entry in $ids; do
    type=${entry%%:*}; rest=${entry#*:}; p=${rest%%:*}; id=${rest#*:}
    "$ZTASK" submit --wait echo -d sync >/dev/null
    wait_for "[ \"\$(zt_field $id state)\" = done ]" 20 || { bad=$((bad + 1)); echo "# task $id ($type $p) not done"; continue; }
    worker=$(zt_field "$id" worker)
    count=$((count + 1))
    case "$type:$p:$worker" in
        echo:low:ew|echo:normal:ew|echo:*:gs) ;;
        wordcount:low:ew|wordcount:normal:ew|wordcount:*:gs|wordcount:high:urgent) ;;
        sleep:*:gs|sleep:high:urgent) ;;
        *) bad=$((bad + 1)); echo "# task $id ($type $p) ran on ineligible worker $worker" ;;
    esac
done
is "$count" 18 "all 18 tasks of three types and three priorities completed"
is "$bad" 0 "each ran on a worker with its plugin and its priority"

# --- a high task while general capacity is busy with long low tasks ---
# The low tasks sleep an hour: they hold the general worker's slots (and
# their places in the queue) until the test cancels them, however slow the
# machine.
low=""
for n in 1 2 3 4; do low="$low $("$ZTASK" submit sleep -p low -d 3600000)"; done
# Only gs serves low sleep tasks: two run there, two wait.
wait_for "\"$ZTASK\" stats --json | tr -d ' \n' | grep -q '\"type\":\"sleep\",\"workers\":2,\"queued\":\[2,0,0,0,0,0,0,0,0,0\],\"running\":2'" 20
ok $? "the general worker is busy with long low tasks"
start=$(date +%s%N)
out=$(timeout 60 "$ZTASK" submit sleep -p high -d 50 --wait)
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$out" "slept 50 ms" "the high task completed: it did not wait behind the hour-long low tasks (${elapsed_ms} ms)"
last=$("$ZTASK" submit sleep -p high -d 10)
"$ZTASK" submit --wait sleep -p high -d 10 >/dev/null
is "$(zt_field "$last" worker)" "urgent" "high tasks run on the reserved worker while the general one is busy"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"type":"sleep","workers":2,"queued":\[2,0,0,0,0,0,0,0,0,0\],"running":2' \
    "the low tasks stay queued: the reserved worker never takes them"
for id in $low; do "$ZTASK" cancel "$id" >/dev/null; done
all_cancelled () { local id; for id in $low; do [ "$(zt_field "$id" state)" = cancelled ] || return 1; done; }
wait_for all_cancelled 20
ok $? "the four low tasks are cancelled"

# --- the broker's done total outlives the types it counts ---
total_done () { "$ZTASK" stats --json | tr -d ' \n' | grep -o '^{[^[]*"done":[0-9]*' | grep -o '[0-9]*$'; }
before=$(total_done)
[ "${before:-0}" -ge 5 ]
ok $? "stats counts the tasks done so far ($before)"
for pid in $PIDS; do [ "$pid" != "$BROKER_PID" ] && { kill -9 "$pid"; wait "$pid"; } 2>/dev/null; done
wait_for "! \"$ZTASK\" stats --json | tr -d ' \n' | grep -q '\"type\":\"wordcount\"'" 10
ok $? "with its workers gone and no task left, the wordcount type is forgotten"
after=$(total_done)
[ "${after:-0}" -ge "$before" ]
ok $? "  and the done total still counts its tasks ($after >= $before)"

done_testing
