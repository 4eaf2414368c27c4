#!/bin/bash
# What workers advertise (docs/routing.md): labels and resources from the
# worker's config, the facts it finds itself (host, os, arch, cores,
# memory_mb), shown by `ztask workers` and its --json document; the config
# refusals (file:line) and the broker's refusals of a bad REGISTER.
. "${top_srcdir:-.}/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is not installed"; exit 0; }
RAW="$top_builddir/tests/raw_peer"
[ -x "$RAW" ] || { echo "Bail out! $RAW is not built (make tests/raw_peer)"; exit 1; }
[ -f "$HOLD_SO" ] || { echo "Bail out! $HOLD_SO is missing (make check builds it)"; exit 1; }

# jget JSON EXPR: prints EXPR (python, over the document d) of the workers
# document JSON; the worker named w is W.
jget () {
    python3 -c 'import json,sys
d = json.loads(sys.argv[1]); W = {w["name"]: w for w in d["workers"]}
v = eval(sys.argv[2])
print(json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

zt_broker

# --- a GPU worker: labels and resources from its config ---
cat > "$T/gpu1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "gpu1";
slots = 2;
plugins = ( { name = "echo"; }, $(zt_plugin_entry hold) );
labels = { zone = "eu-1"; gpu_model = "a100"; tier = "spot"; rack = "r 7 / ünïcode"; };
resources = { gpu = 2; memory_mb = 65536; cpu = 16; big = 9007199254740992L; none = 0; };
CFG
"$ZWORKER" -c "$T/gpu1.cfg" -f >>"$T/gpu1.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"gpu1\"'" 10 \
    || { echo "Bail out! worker gpu1 did not register"; exit 1; }

doc=$("$ZTASK" workers --json)
is "$(jget "$doc" 'W["gpu1"]["labels"]["zone"]')" "eu-1" "labels: zone from the config"
is "$(jget "$doc" 'W["gpu1"]["labels"]["gpu_model"]')" "a100" "  gpu_model"
is "$(jget "$doc" 'W["gpu1"]["labels"]["tier"]')" "spot" "  tier"
is "$(jget "$doc" 'W["gpu1"]["labels"]["rack"]')" "r 7 / ünïcode" "  a value with blanks, '/' and UTF-8"
is "$(jget "$doc" 'W["gpu1"]["labels"]["host"]')" "$(hostname)" "fact host = hostname"
is "$(jget "$doc" 'W["gpu1"]["labels"]["host"] == W["gpu1"]["host"]')" "true" "  = the worker's host field"
is "$(jget "$doc" 'W["gpu1"]["labels"]["cores"]')" "$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)" \
    "fact cores = nproc"
is "$(jget "$doc" 'W["gpu1"]["labels"]["os"]')" "$(uname -s | tr 'A-Z' 'a-z')" "fact os = uname -s, lowercased"
is "$(jget "$doc" 'W["gpu1"]["labels"]["arch"]')" "$(uname -m)" "fact arch = uname -m"
if [ -r /proc/meminfo ]; then
    mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
    is "$(jget "$doc" 'W["gpu1"]["labels"]["memory_mb"]')" "$mem" "fact memory_mb = MemTotal in MiB"
fi
is "$(jget "$doc" 'sorted(W["gpu1"]["labels"])')" \
    '["arch", "cores", "gpu_model", "host", "memory_mb", "os", "rack", "tier", "zone"]' "  and no other label"
is "$(jget "$doc" 'W["gpu1"]["resources"]["gpu"]')" '{"total": 2, "used": 0, "free": 2}' "resources: gpu"
is "$(jget "$doc" 'W["gpu1"]["resources"]["memory_mb"]["total"]')" 65536 "  memory_mb"
is "$(jget "$doc" 'W["gpu1"]["resources"]["cpu"]["total"]')" 16 "  cpu"
is "$(jget "$doc" 'W["gpu1"]["resources"]["big"]["total"]')" 9007199254740992 "  2^53 (an L number) exactly"
is "$(jget "$doc" 'W["gpu1"]["resources"]["none"]')" '{"total": 0, "used": 0, "free": 0}' "  0 is allowed"
is "$(jget "$doc" 'W["gpu1"]["resources"]["slots"]')" '{"total": 2, "used": 0, "free": 2}' \
    "  slots is a resource too"
is "$(jget "$doc" 'sorted(W["gpu1"]["resources"])')" '["big", "cpu", "gpu", "memory_mb", "none", "slots"]' \
    "  and no other resource"
is "$(jget "$doc" '[W["gpu1"]["slots"], W["gpu1"]["busy"], W["gpu1"]["draining"]]')" '[2, 0, false]' \
    "the fields from before are unchanged"

# --- a running task holds a slot: slots used 1; a task that asks no GPU holds none ---
id=$("$ZTASK" submit hold)
wait_for "zt_held $id" 15 || echo "# task $id did not start"
wait_for "\"$ZTASK\" workers --json | grep -q '\"busy\": 1'" 10
doc=$("$ZTASK" workers --json)
is "$(jget "$doc" 'W["gpu1"]["resources"]["slots"]')" '{"total": 2, "used": 1, "free": 1}' \
    "a running task: slots used 1, free 1"
is "$(jget "$doc" 'W["gpu1"]["resources"]["gpu"]["used"]')" 0 "  gpu used 0 (the task asked for none)"

out=$("$ZTASK" workers)
line=$(printf '%s\n' "$out" | grep '^    labels: ')
like "$line" "zone=eu-1" "ztask workers shows the labels: zone=eu-1"
like "$line" "gpu_model=a100 tier=spot" "  gpu_model and tier, compactly"
like "$line" "cores=[0-9]+" "  and the facts"
case "$line" in *"host="*) ok 1 "  but not host (its own column)" ;; *) ok 0 "  but not host (its own column)" ;; esac
like "$(printf '%s\n' "$out" | grep '^    resources: ')" "^    resources: slots 1/2, gpu 0/2, memory_mb 0/65536, cpu 0/16" \
    "ztask workers shows the resources used/total"
like "$(printf '%s\n' "$out" | grep "^    task $id ")" "hold" "  and the running task under them"
like "$(printf '%s\n' "$out" | head -1)" '^NAME +HOST +BUSY/SLOTS +PRIORITIES +PLUGINS$' "  the table is as before"
zt_release "$id"
wait_for "[ \"\$(zt_field $id state)\" = done ]" 15
is "$(zt_field "$id" state)" "done" "the held task ends"

# --- a worker with neither: the facts, and slots as its only resource ---
zt_worker plain 1 '"all"' echo
doc=$("$ZTASK" workers --json)
is "$(jget "$doc" 'sorted(W["plain"]["labels"])')" '["arch", "cores", "host", "memory_mb", "os"]' \
    "a worker without labels still sends the facts"
is "$(jget "$doc" 'W["plain"]["resources"]')" '{"slots": {"total": 1, "used": 0, "free": 1}}' "  and slots"
out=$("$ZTASK" workers)
is "$(printf '%s\n' "$out" | awk '/^plain / {getline; print}' | grep -c '^    resources: ')" 0 \
    "  ztask workers prints no resources line for slots alone"

# --- worker configs that are refused: file and line named, exit non-zero ---
refused () {    # refused NAME LINE-2-TEXT EXPECTED DESCRIPTION
    printf 'broker = "%s";\n%s\nplugins = ( { name = "echo"; } );\n' "$ZTASK_BROKER" "$2" > "$T/$1.cfg"
    out=$(timeout 20 "$ZWORKER" -c "$T/$1.cfg" -f 2>&1); rc=$?
    ok $([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo 0 || echo 1) "$4: the worker refuses to start (exit $rc)"
    like "$out" "$T/$1.cfg:2: $3" "  naming file and line: $3"
}
refused dup 'labels = { zone = "a"; zone = "b"; };' "this key is set twice" "a duplicate label"
refused negative 'resources = { gpu = -2; };' "resource 'gpu' is -2; it must be 0 or more" "a negative resource"
refused reserved 'labels = { host = "other"; };' "label 'host' is reserved" "a reserved label (host)"
refused reserved2 'labels = { memory_mb = "1"; };' "label 'memory_mb' is reserved" "a reserved label (memory_mb)"
refused number 'labels = { gpus = 2; };' "label 'gpus' must be a string" "a label that is not a string"
refused upper 'labels = { Zone = "a"; };' "invalid label key 'Zone': it must start with a lowercase letter" \
    "an uppercase label key"
refused fraction 'resources = { gpu = 1.5; };' "resource 'gpu' must be a whole number" "a fractional resource"
refused slots 'resources = { slots = 4; };' "resource 'slots' is reserved" "slots as a resource"
refused empty 'labels = { zone = ""; };' "invalid value of label 'zone': it is empty" "an empty label value"
is "$(zt_worker_names)" "gpu1 plain" "no refused worker registered"

# --- the sample configs (conf/worker-gpu.cfg, conf/worker-spot.cfg) load and register ---
for sample in gpu spot; do
    sed "s|^broker = .*|broker = \"$ZTASK_BROKER\";|" "$top_srcdir/conf/worker-$sample.cfg" > "$T/sample-$sample.cfg"
    "$ZWORKER" -c "$T/sample-$sample.cfg" -f >>"$T/sample-$sample.log" 2>&1 &
    PIDS="$PIDS $!"
done
wait_for "\"$ZTASK\" workers --json | grep -q '\"name\": \"spot-1\"' && \"$ZTASK\" workers --json | grep -q '\"name\": \"gpu-1\"'" 10
doc=$("$ZTASK" workers --json)
is "$(jget "$doc" '[W["gpu-1"]["labels"]["gpu_model"], W["gpu-1"]["labels"]["zone"], W["gpu-1"]["resources"]["gpu"]["total"]]')" \
    '["a100", "eu-1", 2]' "conf/worker-gpu.cfg registers with its labels and resources"
is "$(jget "$doc" 'W["spot-1"]["labels"]["tier"]')" "spot" "conf/worker-spot.cfg registers with tier = spot"

# --- REGISTER on the wire: the broker's own checks ---
hs () { printf '%02x' "$(printf '%s' "$1" | wc -c)"; printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
u64 () { printf '%016x' "$1"; }
# REGISTER (40): name, host "", instance "", slots 1, priorities all,
# plugins: echo, running: none; then $1 (the trailing fields, if any).
register () { echo "5a540128$(hs "$2")0000000103ff01$(hs echo)000000$1"; }
error_text () {  # the text of the ERROR in raw_peer's output, or the output
    local hex
    hex=$(printf '%s' "$1" | grep -o '^5a540118[0-9a-f]*' | head -1)
    [ -n "$hex" ] || { printf '%s' "$1"; return; }
    printf '%s' "${hex:22}" | python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().strip()).decode())'
}
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "" old)" 2>&1)
like "$out" "^5a54013c" "a REGISTER without labels and resources (an older worker) is REGISTERED"
labels () { printf '%02x' $(($# / 2)); while [ $# -gt 0 ]; do hs "$1"; hs "$2"; shift 2; done; }
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "$(labels zone a tier b)00" new)" 2>&1)
like "$out" "^5a54013c" "one with labels and no resources is REGISTERED"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "$(labels zone a zone b)00" r1)" 2>&1)
is "$(error_text "$out")" "label 'zone' is given twice" "a duplicate label key: ERROR BAD_REQUEST, named"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "$(labels Zone a)00" r2)" 2>&1)
like "$(error_text "$out")" "^invalid label key: it must start with a lowercase letter" "an invalid label key"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "$(labels zone "$(printf 'a\tb')")00" r3)" 2>&1)
like "$(error_text "$out")" "^invalid value of label 'zone': it holds the control character U\+0009" \
    "a label value with a control character"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "0001$(hs gpu)$(u64 9007199254740993)" r4)" 2>&1)
is "$(error_text "$out")" "resource 'gpu' is more than 2^53" "a resource over 2^53"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "0002$(hs gpu)$(u64 1)$(hs gpu)$(u64 2)" r5)" 2>&1)
is "$(error_text "$out")" "resource 'gpu' is given twice" "a duplicate resource"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 5000 "$(register "0001$(hs slots)$(u64 1)" r6)" 2>&1)
like "$(error_text "$out")" "^resource 'slots' is reserved" "slots as a resource"
# Labels but the resources cut off: malformed, dropped without an answer.
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 500 "$(register "$(labels zone a)" r7)" 2>&1)
is "$out" "" "labels with the resources field missing: dropped as malformed"
out=$("$RAW" "$ZTASK_BROKER" -r 1 -t 500 "$(register "41$(printf '01610161%.0s' $(seq 65))00" r8)" 2>&1)
is "$out" "" "65 labels: dropped as malformed"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"malformed":2,' "  both counted as malformed"

done_testing
