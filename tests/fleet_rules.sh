#!/bin/bash
# The matching rules of docs/routing.md with real processes: the GPU
# machine is kept for GPU work (most specialised first, counting kinds of
# resources); a worker whose next task needs more than it has free is kept
# for it (no smaller task of its priority starts there), still takes a
# higher-priority task, and runs the big one once enough is free. Tasks
# are held by the hold fixture until the test releases them.
. "${top_srcdir:-.}/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
[ -f "$HOLD_SO" ] || { echo "Bail out! $HOLD_SO is missing (make check builds it)"; exit 1; }

jf () {
    "$ZTASK" status --json "$1" | python3 -c 'import json,sys
t = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$2"
}
state () { jf "$1" 't["state"]'; }
on_worker () { zt_held "$1" && [ "$(jf "$1" 't["worker"]')" = "$2" ]; }
# worker NAME SLOTS RESOURCES: a hold worker with those resources.
worker () {
    cat > "$T/$1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$1";
slots = $2;
plugins = ( $(zt_plugin_entry hold) );
resources = { $3 };
CFG
    "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$1\"'" 10 \
        || { echo "Bail out! worker $1 did not register"; exit 1; }
}
ended () { wait_for "[ \"\$(state $1)\" = done ]" 15; }

zt_broker

# ---- the GPU machine is kept for GPU work ----
worker gpu 1 'gpu = 1;'
worker cpu 1 ''
p1=$("$ZTASK" submit hold -d p1)
wait_for "on_worker $p1 cpu" 15
ok $? "a task that needs no GPU goes to the worker without one, though both are free"
p2=$("$ZTASK" submit hold -d p2)
wait_for "on_worker $p2 gpu" 15
ok $? "with that one busy, the next goes to the GPU machine: no slot idles while work waits"
g1=$("$ZTASK" submit hold -d g1 --needs gpu=1)
is "$(state "$g1")" queued "a GPU task waits while the GPU machine's only slot is taken"
is "$(jf "$g1" 't["waiting"]["code"]')" busy "  waiting: busy"
zt_release p2
wait_for "on_worker $g1 gpu" 15
ok $? "once that slot frees, the GPU task takes it (it is the oldest that fits)"
zt_release p1 g1
ended "$g1"; ended "$p1"

# ---- a big task keeps a worker free for itself ----
# big: 3 slots, 2 GPUs. a and b take one GPU each, d a slot without one.
worker big 3 'gpu = 2;'
# The cpu and gpu workers take no part from here: fill them with held tasks.
f1=$("$ZTASK" submit hold -d f1); f2=$("$ZTASK" submit hold -d f2)
wait_for "zt_held $f1 && zt_held $f2" 15
a=$("$ZTASK" submit hold -d a --needs gpu=1)
b=$("$ZTASK" submit hold -d b --needs gpu=1)
wait_for "on_worker $a big && on_worker $b big" 15
ok $? "two gpu=1 tasks run on big"
c=$("$ZTASK" submit hold -d c --needs gpu=2)
is "$(state "$c")" queued "a gpu=2 task waits: both GPUs are held"
d=$("$ZTASK" submit hold -d d)
wait_for "on_worker $d big" 15
ok $? "a task that needs no GPU still takes big's third slot (nothing is kept yet)"
zt_release a
ended "$a"
is "$(jf "$c" 't["waiting"]["code"]')" reserved "once a's slot and GPU are back, big is kept for the gpu=2 task"
like "$(jf "$c" 't["waiting"]["text"]')" "worker big is kept for it" "  and its status says so"
e=$("$ZTASK" submit hold -d e)
is "$(state "$e")" queued "a new task of the same priority waits though big has a free slot"
is "$(jf "$e" 't["waiting"]["code"]')" busy "  (waiting: busy)"
h=$("$ZTASK" submit hold -d h -p high)
wait_for "on_worker $h big" 15
ok $? "a high-priority task still takes the kept worker's free slot"
zt_release b
wait_for "on_worker $c big" 15
ok $? "once both GPUs are free, the gpu=2 task starts on big"
is "$(state "$e")" queued "  and e still waits: big's slots are full (d, h, c)"
zt_release d
wait_for "on_worker $e big" 15
ok $? "then e takes the next free slot"
zt_release c e h f1 f2
for t in "$b" "$c" "$d" "$e" "$h" "$f1" "$f2"; do ended "$t"; done
is "$(grep -c '' "$HOLD_LOG")" 11 "every task ran once"

done_testing
