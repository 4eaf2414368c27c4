#!/bin/bash
# Finished tasks are deleted from the store after `retention` seconds;
# unfinished ones stay.
. "${top_srcdir:-.}/tests/lib.sh"

zt_broker "retention = 3;"
zt_worker w 1 '"all"' echo
waiting_id=$("$ZTASK" submit wordcount -d "no worker has this plugin")
# The result comes with the answer to --wait, sent as the task ends: it
# cannot have been purged yet, however slow the machine.
json=$("$ZTASK" submit echo -d keep-me-briefly --key short-lived --wait --json)
ok $? "the task is done"
done_id=$(printf '%s\n' "$json" | sed -n 's/^  "id": \([0-9]*\),*$/\1/p')
like "$done_id" '^[0-9]+$' "  with an id"
like "$json" '"result": "keep-me-briefly"' "its result is there at first"
wait_for "! \"$ZTASK\" status $done_id" 30
ok $? "a few seconds after it finished, it is gone"
"$ZTASK" status "$done_id" >/dev/null 2>&1
is $? 4 "ztask status then says: no such task (exit 4)"
is "$(zt_field "$waiting_id" state)" "queued" "a queued task is never purged"
again=$("$ZTASK" submit echo -d new --key short-lived)
[ "$again" != "$done_id" ]
ok $? "its idempotency key went with it: the same key makes a new task"

done_testing
