#!/bin/bash
# What a task asks of its worker (docs/routing.md), end to end with real
# ztaskd and ztask-worker processes: requirements on labels, a plugin
# version constraint, resources and a fleet-wide limit, given with
# `ztask submit` and through libztask's request (tests/request_client);
# malformed ones refused with their column (ztask exit 2, checked before
# sending; the broker's BAD_REQUEST for the library); a task routed only
# to a worker whose labels match, one needing a GPU waiting for a free
# one, a limit of 1 letting one run at a time; `ztask status` (and
# --json) showing what each asks and why a queued one waits; all of it
# surviving kill -9 of the broker; a stored text the broker cannot read,
# or a limit dropped from the config, costing the task only that part.
# Tasks are held with the hold fixture: nothing races a timer.
# tests/pg_requirements.sh runs it on PostgreSQL.
. "${top_srcdir:-.}/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
[ -f "$HOLD_SO" ] || { echo "Bail out! $HOLD_SO is missing (make check builds it)"; exit 1; }
RC="$top_builddir/tests/request_client"
[ -x "$RC" ] || { echo "Bail out! $RC is not built (make tests/request_client)"; exit 1; }

# jf ID EXPR: EXPR (python, over the task document t) of `ztask status --json ID`.
jf () {
    "$ZTASK" status --json "$1" | python3 -c 'import json,sys
t = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$2"
}
# wj EXPR: EXPR over the workers document, the worker named N as W[N].
wj () {
    "$ZTASK" workers --json | python3 -c 'import json,sys
d = json.load(sys.stdin); W = {w["name"]: w for w in d["workers"]}
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}
state () { jf "$1" 't["state"]'; }
# started ID NAME: task ID has started on worker NAME (held).
on_worker () { zt_held "$1" && [ "$(jf "$1" 't["worker"]')" = "$2" ]; }

# The store as SQL sees it (SQLite file, or the PostgreSQL database of
# tests/pg_requirements.sh): store_exec SQL; its tasks table is $TASKS.
if [ -n "${ZT_STORE:-}" ]; then
    TASKS=ztask_tasks
    store_exec () { pg_sql "$1"; }
else
    TASKS=tasks
    store_exec () { "$top_builddir/tests/store_sql" "$T/ztask.db" "$1"; }
fi

# A worker with labels and resources: labeled_worker NAME SLOTS LABELS RESOURCES
labeled_worker () {
    cat > "$T/$1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$1";
slots = $2;
plugins = ( $(zt_plugin_entry hold), { name = "echo"; } );
labels = { $3 };
resources = { $4 };
CFG
    "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    PIDS="$PIDS $!"
    wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"$1\"'" 10 \
        || { echo "Bail out! worker $1 did not register"; exit 1; }
}

# A broker restarted on the same store and endpoint (workers come back).
pin_endpoint () { sed -i "s|^endpoint = .*|endpoint = \"$ZTASK_BROKER\";|" "$T/broker.cfg"; }
broker_kill () { { kill -9 "$BROKER_PID"; wait "$BROKER_PID"; } 2>/dev/null; zt_forget "$BROKER_PID"; }
broker_start () {
    local before
    before=$(grep -c 'listening on tcp' "$T/broker.log")
    echo "---- restart" >>"$T/broker.log"
    "$ZTASKD" -c "$T/broker.cfg" -f >>"$T/broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    wait_for "[ \$(grep -c 'listening on tcp' '$T/broker.log') -gt $before ]" 10
}

zt_broker 'limits = { stripe-api = 1; };
types = { report = { require = ( "os" ); needs = "cpu=1"; }; };'
pin_endpoint

# ---- malformed input: refused with the column of the fault ----
refused () { # refused EXPECTED-EXIT PATTERN DESCRIPTION ZTASK-ARG...
    local rc=$1 pattern=$2 what=$3 out got; shift 3
    out=$("$ZTASK" submit "$@" 2>&1); got=$?
    is "$got" "$rc" "$what: ztask exits $rc"
    like "$out" "$pattern" "  saying where"
}
refused 2 "ztask: --require 'zone in \(a,': column 12: expected a value or '\)'" "--require 'zone in (a,'" \
    hold --require 'zone in (a,'
refused 2 "ztask: --require 'Zone=eu': column 1: expected '!' or a label key" "--require 'Zone=eu'" \
    hold --require zone=eu --require 'Zone=eu'
refused 2 "ztask: --needs 'gpu=-1': column 5: expected an amount" "--needs 'gpu=-1'" hold --needs 'gpu=-1'
refused 2 "ztask: --needs 'gpu=1,gpu=2': column 7: the resource 'gpu' is asked for twice" "--needs with gpu twice" \
    hold --needs 'gpu=1,gpu=2'
refused 2 "ztask: version constraint 'hold>=': column 7: expected a version" "TYPE 'hold>='" 'hold>='
refused 2 "ztask: version constraint 'hold@1.2': column 6: expected a version series like 1.x" "TYPE 'hold@1.2'" \
    'hold@1.2'
refused 2 "ztask: invalid --limit: it holds the control character U\+0009" "--limit with a tab" hold --limit "$(printf 'a\tb')"
refused 2 "ztask: at most 16 --require per task" "17 --require" \
    hold $(for i in $(seq 17); do printf -- '--require k%s ' "$i"; done)
refused 6 "bad request: no limit named 'nope'" "--limit nope (not in the broker's limits): the broker refuses" \
    hold --limit nope
is "$("$ZTASK" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')" 0 \
    "nothing was accepted"

# The library sends what it is given; the broker refuses it (BAD_REQUEST:
# error code 3, ZTASK_CLIENT_E_REFUSED) with the column.
lib_refused () { # lib_refused PATTERN DESCRIPTION REQUEST_CLIENT-ARG...
    local out rc pattern=$1 what=$2; shift 2
    out=$("$RC" submit hold "$@" 2>&1); rc=$?
    is "$rc" 1 "library, $what: the submit fails"
    like "$out" "^error 3 $pattern" "  refused by the broker (BAD_REQUEST), saying where"
}
lib_refused "bad request: requirement 'zone in \(a,': column 12: expected a value or '\)'" "-r 'zone in (a,'" \
    -r 'zone in (a,'
lib_refused "bad request: resources 'gpu=x': column 5: expected an amount" "needs 'gpu=x'" -n 'gpu=x'
lib_refused "bad request: version constraint 'hold>=': column 7: expected a version" "version '>='" -v '>='
lib_refused "bad request: version constraint 'echo>=1' names plugin echo" "version 'echo>=1' (another plugin)" \
    -v 'echo>=1'
lib_refused "bad request: no limit named 'nope'" "limit 'nope'" -l nope
# A 1001-byte request with its fault at the end: the message quotes it
# shortened, so that the column still fits an ERROR's text.
long="gpu=1$(printf ' %.0s' $(seq 990)),cpu=x"
lib_refused "bad request: resources 'gpu=1 +\.\.\. *,cpu=x': column 1001: expected an amount" \
    "a 1001-byte needs with its fault at the end: the column stays" -n "$long"
out=$("$RC" submit hold $(for i in $(seq 17); do printf -- '-r k%s ' "$i"; done) 2>&1)
like "$out" "^error 1 at most 16 requirements per task \(given 17\)" "library, 17 requirements: refused before sending"

# ---- routing by labels: a task goes only to a worker that matches ----
labeled_worker gpu1 2 'zone = "eu-1"; gpu_model = "a100";' 'gpu = 1;'
labeled_worker cpu1 2 'zone = "us-1"; tier = "spot";' 'cpu = 8;'

a=$("$ZTASK" submit hold -d ra --require zone=eu-1)
b=$("$ZTASK" submit hold -d rb --require 'tier=spot')
c=$("$ZTASK" submit hold -d rc --require 'gpu_model in (a100,h100)' --require '!spot')
wait_for "on_worker $a gpu1 && on_worker $b cpu1 && on_worker $c gpu1" 15
ok $? "zone=eu-1 and 'gpu_model in (a100,h100)', '!spot' run on gpu1; tier=spot on cpu1"
d=$("$ZTASK" submit hold -d rd --require zone=eu-1)
is "$(state "$d")" queued "with gpu1's slots taken, zone=eu-1 waits though cpu1 has a free slot"
out=$("$ZTASK" status "$d")
like "$out" "  requires    zone=eu-1" "ztask status shows the requirement"
like "$out" "  waiting     1 worker can run it; all are busy" "  and why it waits"
is "$(jf "$d" '[t["require"], t["version"], t["needs"], t["limit"], t["waiting"]["code"]]')" \
    '[["zone=eu-1"], "", "", "", "busy"]' "  --json: require, version, needs, limit, waiting.code"
e=$("$ZTASK" submit hold -d re --require 'zone = ap-1')
is "$(jf "$e" 't["waiting"]["code"]')" requirement "a requirement no worker meets: waiting code 'requirement'"
is "$(jf "$e" 't["waiting"]["text"]')" "2 workers have plugin hold but none matches zone=ap-1" "  and the text says which"
out=$("$RC" status "$e")
like "$out" "require zone=ap-1" "the library's task has its requirements (canonical)"
like "$out" "waiting requirement" "  and the waiting code"
like "$out" "waiting_text 2 workers have plugin hold but none matches zone=ap-1" "  and text"
zt_release ra
wait_for "on_worker $d gpu1" 15
ok $? "once a gpu1 slot frees, the waiting zone=eu-1 task runs there"
zt_release rb rc rd
wait_for "[ \"\$(state $d)\" = done ] && [ \"\$(state $b)\" = done ] && [ \"\$(state $c)\" = done ]" 15
ok $? "  they all end done"
is "$(jf "$a" '[t["state"], t["require"], t["waiting"]]')" '["done", ["zone=eu-1"], null]' \
    "a finished task keeps its requirements (from the store); no waiting"

# ---- a plugin version constraint ----
v=$("$ZTASK" submit 'hold>=2' -d rv)
is "$(jf "$v" '[t["type"], t["version"], t["waiting"]["code"]]')" '["hold", ">=2", "no_version"]' \
    "hold>=2 (the workers have hold 1.0.0) waits: no_version"
like "$("$ZTASK" status "$v")" "  version     hold>=2" "  ztask status shows the constraint"
w=$("$ZTASK" submit 'hold@1.x' -d rw)
wait_for "zt_held $w" 15
ok $? "hold@1.x runs"
zt_release rw
"$RC" submit echo -v '>= 1.0' -d lib-version -w > "$T/lib.out"
like "$(cat "$T/lib.out")" "version >=1" "the library's '>= 1.0' runs and comes back canonical (>=1)"

# ---- resources: a task needing gpu=1 waits until a GPU is free ----
g1=$("$ZTASK" submit hold -d g1 --needs gpu=1)
wait_for "on_worker $g1 gpu1" 15
ok $? "needs gpu=1: runs on gpu1, the only worker with a GPU"
is "$(wj 'W["gpu1"]["resources"]["gpu"]')" '{"total": 1, "used": 1, "free": 0}' "ztask workers: gpu 1 used, 0 free"
like "$("$ZTASK" workers | grep -A3 '^gpu1')" "resources: .*gpu 1/1" "  (ztask workers: gpu 1/1)"
g2=$("$ZTASK" submit hold -d g2 --needs gpu=1)
is "$(state "$g2")" queued "a second gpu=1 task waits (gpu1 has a free slot, no free GPU)"
like "$(jf "$g2" 't["waiting"]["code"]')" '^(reserved|busy)$' "  waiting: reserved or busy"
like "$(jf "$g2" 't["waiting"]["text"]')" "gpu1|gpu=1" "  its text names the GPU or the worker"
g3=$("$ZTASK" submit hold -d g3 --needs gpu=2)
is "$(jf "$g3" '[t["needs"], t["waiting"]["code"], t["waiting"]["text"]]')" \
    '["gpu=2", "resources", "needs gpu=2; the largest matching worker has 1"]' "gpu=2 waits: no worker has 2"
zt_release g1
wait_for "on_worker $g2 gpu1" 15
ok $? "once the GPU is free, the waiting gpu=1 task runs on gpu1"
zt_release g2
"$ZTASK" cancel "$g3" >/dev/null
wait_for "[ \"\$(state $g2)\" = done ]" 15
is "$(wj 'W["gpu1"]["resources"]["gpu"]["used"]')" 0 "  and the GPU is free again"

# ---- a limit of 1 lets one run at a time ----
l1=$("$ZTASK" submit hold -d l1 --limit stripe-api)
wait_for "zt_held $l1" 15
ok $? "--limit stripe-api (max 1): the first runs"
l2=$("$ZTASK" submit hold -d l2 --limit stripe-api)
is "$(state "$l2")" queued "  the second waits (3 slots free)"
is "$(jf "$l2" '[t["limit"], t["waiting"]["code"], t["waiting"]["text"]]')" \
    '["stripe-api", "limit", "limit stripe-api is full: 1 of 1"]' "  saying the limit is full"
like "$("$ZTASK" status "$l2")" "  limit       stripe-api" "  ztask status shows its limit"
zt_release l1
wait_for "zt_held $l2" 15
ok $? "  once the first ends, the second runs"
zt_release l2

# ---- the config's defaults for a type (types = { report = ... }) ----
r1=$("$ZTASK" submit report --require zone=eu-1)
is "$(jf "$r1" '[t["require"], t["needs"]]')" '[["os", "zone=eu-1"], "cpu=1"]' \
    "a type's default requirements are added to the task's, its needs apply when the task gives none"
r2=$("$ZTASK" submit report --needs gpu=1)
is "$(jf "$r2" '[t["require"], t["needs"]]')" '[["os"], "gpu=1"]' "  the task's own --needs stand"
"$ZTASK" cancel "$r1" >/dev/null; "$ZTASK" cancel "$r2" >/dev/null

# ---- no plugin ----
n=$("$ZTASK" submit nosuch)
is "$(jf "$n" '[t["waiting"]["code"], t["waiting"]["text"]]')" '["no_plugin", "no connected worker has plugin nosuch"]' \
    "a type no worker has: no_plugin"

# ---- kill -9: what tasks ask survives ----
q=$("$ZTASK" submit 'nosuch>=1.2' --require 'zone = eu-1' --require 'gpu_model in ( h100, a100 )' \
    --needs 'memory_mb = 16000, gpu=1' --limit stripe-api)
asks='[t["require"], t["version"], t["needs"], t["limit"]]'
expected='[["gpu_model in(a100,h100)", "zone=eu-1"], ">=1.2", "gpu=1,memory_mb=16000", "stripe-api"]'
is "$(jf "$q" "$asks")" "$expected" "a queued task asking everything, in canonical form"
h=$("$ZTASK" submit hold -d h --needs gpu=1 --require zone=eu-1)
wait_for "on_worker $h gpu1" 15
ok $? "a gpu=1 task runs on gpu1 before the kill"
x=$("$ZTASK" submit nosuch --require os --limit stripe-api)
y=$("$ZTASK" submit nosuch --require os --needs gpu=1)
broker_kill
broker_start
ok $? "the broker, killed with SIGKILL, starts again on the same store"
is "$(jf "$q" "$asks")" "$expected" "  the queued task asks the same"
is "$(jf "$e" '[t["state"], t["require"]]')" '["queued", ["zone=ap-1"]]' "  and so does the one no worker matches"
wait_for "[ \"\$(zt_worker_names)\" = 'cpu1 gpu1' ]" 20
ok $? "  the workers register again"
is "$(jf "$e" 't["waiting"]["code"]')" requirement "  it still waits for a matching worker"
is "$(jf "$h" '[t["state"], t["worker"], t["needs"]]')" '["running", "gpu1", "gpu=1"]' \
    "  the gpu=1 task gpu1 kept running is running there still"
is "$(wj 'W["gpu1"]["resources"]["gpu"]["used"]')" 1 "  holding the GPU"
g4=$("$ZTASK" submit hold -d g4 --needs gpu=1)
is "$(state "$g4")" queued "  so another gpu=1 task waits"
zt_release h
wait_for "on_worker $g4 gpu1" 15
ok $? "  and runs once it ends"
zt_release g4

# ---- what no longer holds is dropped, never the task ----
broker_kill
store_exec "UPDATE $TASKS SET requirements = 'zone in (' WHERE id = $y" >/dev/null
sed -i 's/^limits = .*$//' "$T/broker.cfg"
broker_start
ok $? "restarted with the limit gone from the config, and task $y's stored requirement broken"
# The broker logs them while it recovers, which may end after its
# "listening" line: wait for the lines themselves.
wait_for "grep -qF \"task $x counts against limit 'stripe-api', which the config no longer has: recovered without it\" '$T/broker.log'" 20
ok $? "  the broker says it recovers task $x without its limit"
wait_for "grep -qF \"task $y asks what this broker cannot read (requirement 'zone in (': column\" '$T/broker.log'" 20
ok $? "  and task $y without what it cannot read"
is "$(jf "$x" '[t["state"], t["require"], t["limit"]]')" '["queued", ["os"], ""]' \
    "  task $x is queued, with its requirement, without the limit"
is "$(jf "$y" '[t["state"], t["require"], t["needs"]]')" '["queued", [], ""]' "  task $y is queued, asking nothing"
is "$(jf "$q" '[t["state"], t["require"], t["needs"], t["limit"]]')" \
    '["queued", ["gpu_model in(a100,h100)", "zone=eu-1"], "gpu=1,memory_mb=16000", ""]' \
    "  task $q keeps the rest of what it asks"
out=$("$ZTASK" submit hold --limit stripe-api 2>&1)
like "$out" "no limit named 'stripe-api'" "a new task naming the dropped limit is refused"

done_testing
