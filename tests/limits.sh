#!/bin/bash
# Limits: a full queue and oversized payloads get named refusals, counted
# in ztask stats; a message too big for any limit is cut off as it
# arrives and the broker serves on.
. "${top_srcdir:-.}/tests/lib.sh"

# max_batch_bytes at its least, so that the socket's limit is the one
# max_payload sets (2 x 1000 + 64 KiB + 1 KiB) but for the batches' 1 MiB.
zt_broker "max_queued = 3; max_payload = 1000; max_batch_bytes = 1048576;"
for n in 1 2 3; do "$ZTASK" submit wordcount -d "$n" >/dev/null; done
err=$("$ZTASK" submit wordcount -d 4 2>&1)
is $? 6 "a submit beyond max_queued is refused (exit 6)"
like "$err" "queue full" "  as 'queue full'"

big=$(head -c 1001 /dev/zero | tr '\0' x)
err=$(printf '%s' "$big" | "$ZTASK" submit echo 2>&1)
is $? 6 "a payload of max_payload + 1 bytes is refused (exit 6)"
like "$err" "too large" "  as 'too large'"

# 5 MB: far over what the broker accepts; libzmq drops it on arrival.
head -c 5000000 /dev/zero > "$T/huge"
"$ZTASK" -t 2000 submit echo -i "$T/huge" >/dev/null 2>&1
is $? 5 "a 5 MB message gets no answer: the broker never takes it in"
kill -0 "$BROKER_PID"
ok $? "the broker is alive"
rss_kb=$(awk '/VmRSS/ { print $2 }' /proc/$BROKER_PID/status)
[ "$rss_kb" -lt 100000 ]
ok $? "and did not buffer it (resident ${rss_kb} kB)"

stats=$("$ZTASK" stats --json | tr -d ' \n')
like "$stats" '"queue_full":1' "stats counts the queue-full refusal"
like "$stats" '"too_large":1' "stats counts the too-large refusal"
zt_worker w 1 '"all"' echo wordcount
is "$("$ZTASK" submit echo -d fine --wait)" "fine" "the broker serves on"

# Waiting requests per task are bounded (1024): WAIT number 1025 for one
# task is refused, the ones before it are held without an answer.
RAW="$top_builddir/tests/raw_peer"
id=$("$ZTASK" submit sleep -d 10)   # no worker has sleep: it stays queued
for corr in $(seq 1 1025); do printf '5a540103%08x%016x\n' "$corr" "$id"; done > "$T/waits"
out=$("$RAW" "$ZTASK_BROKER" -s -t 10000 -f "$T/waits")
is "$(printf '%s\n' "$out" | grep -c .)" 1 "1025 WAITs for one task: one answer"
like "$out" "^5a540118$(printf '%08x' 1025)0001" "  an ERROR (bad request) to the 1025th"
"$ZTASK" cancel "$id" >/dev/null
ok $? "the task still cancels (its 1024 waiters answered)"
is "$("$ZTASK" submit echo -d "still fine" --wait)" "still fine" "  and other tasks are still waited for"

done_testing
