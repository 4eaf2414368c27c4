#!/bin/bash
# Finished tasks are deleted from the store after `retention` seconds;
# unfinished ones stay.
. "${top_srcdir:-.}/tests/lib.sh"

zt_broker "retention = 3;"
zt_worker w 1 '"all"' echo
done_id=$("$ZTASK" submit echo -d keep-me-briefly --key short-lived)
waiting_id=$("$ZTASK" submit wordcount -d "no worker has this plugin")
wait_for "[ \"\$(zt_field $done_id state)\" = done ]" 10
ok $? "the task is done"
is "$("$ZTASK" result "$done_id")" "keep-me-briefly" "its result can be read at first"
wait_for "! \"$ZTASK\" status $done_id" 10
ok $? "a few seconds after it finished, it is gone"
"$ZTASK" status "$done_id" >/dev/null 2>&1
is $? 4 "ztask status then says: no such task (exit 4)"
is "$(zt_field "$waiting_id" state)" "queued" "a queued task is never purged"
again=$("$ZTASK" submit echo -d new --key short-lived)
[ "$again" != "$done_id" ]
ok $? "its idempotency key went with it: the same key makes a new task"

done_testing
