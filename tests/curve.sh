#!/bin/bash
# CURVE: ztask keygen; a broker with an allow-list lets in only the keys it
# holds, and each only in its role (allow/workers register, allow/clients
# submit and query); plain TCP peers and unknown keys get nothing.
. "${top_srcdir:-.}/tests/lib.sh"

K="$T/keys"
mkdir -p "$K" "$T/allow/clients" "$T/allow/workers"

# --- keygen ---
out=$("$ZTASK" keygen broker -o "$K");                  is $? 0 "keygen writes a certificate"
like "$out" "$K/broker.key" "  prints the public file"
like "$out" "$K/broker.key_secret" "  and the secret file"
key=$(printf '%s\n' "$out" | sed -n 's/^public key: *//p')
[ "${#key}" -eq 40 ];                                   ok $? "  and the public key (Z85, 40 characters)"
grep -qF "public-key = \"$key\"" "$K/broker.key";        ok $? "NAME.key holds that public key"
grep -q 'secret-key' "$K/broker.key";                   is $? 1 "  and no secret key"
grep -q 'secret-key' "$K/broker.key_secret";            ok $? "NAME.key_secret holds the secret key"
grep -q 'name = "broker"' "$K/broker.key";              ok $? "  with name = NAME in the metadata"
is "$(stat -c %a "$K/broker.key_secret")" 600 "the secret file has mode 0600"
err=$("$ZTASK" keygen broker -o "$K" 2>&1);             is $? 2 "keygen does not overwrite an existing certificate"
like "$err" "exists: not replacing it" "  and says so"
is "$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$K/broker.key")" "$key" "  leaving the old key in place"
"$ZTASK" keygen broker -o "$T/missing" >/dev/null 2>&1; is $? 2 "keygen into a missing directory: exit 2"
"$ZTASK" keygen ../evil -o "$K" >/dev/null 2>&1;        is $? 2 "keygen refuses a name with a slash"
for name in w1 alice mallory; do
    "$ZTASK" keygen "$name" -o "$K" >/dev/null || { echo "Bail out! keygen $name failed"; exit 1; }
done
cp "$K/w1.key" "$T/allow/workers/"
cp "$K/alice.key" "$T/allow/clients/"

# --- a CURVE broker ---
zt_broker "curve = { secret = \"$K/broker.key_secret\"; allow = \"$T/allow\"; };"
# alice is the client of every check below unless one says otherwise.
export ZTASK_CERT="$K/alice.key_secret" ZTASK_BROKER_CERT="$K/broker.key"

# curve_config NAME KEY: writes $T/NAME.cfg, a worker with CURVE key KEY.
curve_config () {
    cat > "$T/$1.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "$1";
slots = 1;
curve = { secret = "$K/$2.key_secret"; broker = "$K/broker.key"; };
plugins = ( { name = "echo"; } );
CFG
}
# curve_worker NAME KEY: starts that worker; sets WORKER_PID without
# waiting for it to register.
curve_worker () {
    curve_config "$1" "$2"
    "$ZWORKER" -c "$T/$1.cfg" -f >>"$T/$1.log" 2>&1 &
    WORKER_PID=$!
    PIDS="$PIDS $WORKER_PID"
}
listed () { "$ZTASK" workers --json | grep -q "\"name\": \"$1\""; }

curve_worker w1 w1
wait_for "listed w1" 10;                                ok $? "a worker whose key is in allow/workers registers"
is "$("$ZTASK" submit echo -d "over curve" --wait)" "over curve" \
    "a client whose key is in allow/clients submits and gets the result"
id=$("$ZTASK" submit echo -d again)
wait_for "[ \"\$(zt_field $id state)\" = done ]" 10;    ok $? "  and follows its task"
is "$(env -u ZTASK_CERT -u ZTASK_BROKER_CERT "$ZTASK" --cert "$K/alice.key_secret" \
      --broker-cert "$K/broker.key" result "$id")" "again" "--cert and --broker-cert work as the variables do"

# --- who may not ---
start=$(date +%s%N)
err=$("$ZTASK" -t 1000 --cert "$K/mallory.key_secret" stats 2>&1); is $? 5 "a client with an unknown key gets no answer: exit 5"
# Without -t it would wait the default 5000 ms: anything shorter shows -t
# was used, with room for a slow machine.
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed" -lt 5000 ];                                ok $? "  within the -t 1000 limit, not the default 5 s ($elapsed ms)"
like "$err" "refused this client's key" "  and is told that the broker refused its key"
err=$(env -u ZTASK_CERT -u ZTASK_BROKER_CERT "$ZTASK" -t 1000 stats 2>&1)
is $? 5 "a plain client cannot talk to a CURVE broker: exit 5"
like "$err" "requires? CURVE" "  and is told the broker requires CURVE"
err=$("$ZTASK" -t 1000 --broker-cert "$K/mallory.key" stats 2>&1)
is $? 5 "a client with the wrong broker certificate gets no answer: exit 5"
err=$("$ZTASK" --cert "$K/w1.key_secret" submit echo -d x 2>&1); is $? 6 "a worker key cannot submit: exit 6"
like "$err" "may not submit" "  the broker says so"
err=$("$ZTASK" --cert "$K/w1.key_secret" workers 2>&1); is $? 6 "  nor query"

curve_config as-client alice
timeout 10 "$ZWORKER" -c "$T/as-client.cfg" -f >>"$T/as-client.log" 2>&1
is $? 1 "a client key cannot register as a worker: the worker stops (exit 1)"
grep -q "may not act as a worker" "$T/as-client.log";   ok $? "  with the broker's reason in its log"
is "$(zt_worker_names)" "w1" "  and is never listed (w1 is)"

curve_worker stranger mallory
wait_for "grep -q \"refused this worker's key\" '$T/stranger.log'" 10
ok $? "a worker with an unknown key logs that the broker refused its key"
is "$(zt_worker_names)" "w1" "  and is never listed (w1 is)"
zt_mine "$WORKER_PID" && kill "$WORKER_PID" 2>/dev/null

cat > "$T/plain.cfg" <<CFG
broker = "$ZTASK_BROKER";
name = "plain";
plugins = ( { name = "echo"; } );
CFG
"$ZWORKER" -c "$T/plain.cfg" -f >>"$T/plain.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "grep -Eq 'requires? CURVE' '$T/plain.log'" 10; ok $? "a plain worker logs that the broker requires CURVE"
is "$(zt_worker_names)" "w1" "  and is never listed (w1 is)"

# --- certificate files that do not do ---
err=$("$ZTASK" --cert "$K/alice.key" stats 2>&1);       is $? 2 "a public certificate given as --cert: exit 2"
like "$err" "holds no secret key" "  saying why"
err=$("$ZTASK" --broker-cert "$K/broker.key_secret" stats 2>&1); is $? 2 "the broker's secret given as --broker-cert: exit 2"
like "$err" "is a secret certificate" "  saying why"
err=$(ZTASK_CERT="$T/nope.key_secret" "$ZTASK" stats 2>&1); is $? 2 "a missing \$ZTASK_CERT file: exit 2"
like "$err" "cannot read $T/nope.key_secret" "  naming it"
cat > "$T/bad.cfg" <<CFG
broker = "$ZTASK_BROKER";
plugins = ( { name = "echo"; } );
curve = { secret = "$K/nope.key_secret"; broker = "$K/broker.key"; };
CFG
err=$("$ZWORKER" -c "$T/bad.cfg" -f 2>&1);              is $? 1 "a worker with a missing certificate does not start"
like "$err" "bad.cfg:3: curve.secret: cannot read $K/nope.key_secret" "  naming file:line and the path"

# --- the allow-list is read as it changes: no restart to add or revoke ---
"$ZTASK" keygen bob -o "$K" >/dev/null
"$ZTASK" -t 1000 --cert "$K/bob.key_secret" stats >/dev/null 2>&1; is $? 5 "a new key is refused before it is allowed"
cp "$K/bob.key" "$T/allow/clients/"
"$ZTASK" -t 2000 --cert "$K/bob.key_secret" stats >/dev/null 2>&1; is $? 0 "  and let in once its public certificate is in allow/clients"
rm "$T/allow/clients/bob.key"
"$ZTASK" -t 1000 --cert "$K/bob.key_secret" stats >/dev/null 2>&1; is $? 5 "  and refused again once it is removed"

# --- pid_file and user ---
curve_config svc w1
printf 'pid_file = "svc.pid";\n' >> "$T/svc.cfg"
[ "$(id -u)" -eq 0 ] && printf 'user = "nobody";\n' >> "$T/svc.cfg"
"$ZWORKER" -c "$T/svc.cfg" -f >>"$T/svc.log" 2>&1 &
SVC_PID=$!
PIDS="$PIDS $SVC_PID"
wait_for "listed svc" 10;                               ok $? "a worker with pid_file registers"
is "$(tr -d ' \n' < "$T/svc.pid" 2>/dev/null)" "$SVC_PID" "  and writes its pid there (relative to its config)"
timeout 10 "$ZWORKER" -c "$T/svc.cfg" -f >>"$T/svc2.log" 2>&1
is $? 1 "a second worker with the same pid_file does not start"
if [ "$(id -u)" -eq 0 ]; then
    is "$(awk '/^Uid:/ { print $2 }' "/proc/$SVC_PID/status")" "$(id -u nobody)" \
        "with user = \"nobody\", the worker runs as nobody"
    is "$(awk '/^Gid:/ { print $2 }' "/proc/$SVC_PID/status")" "$(id -g nobody)" \
        "  in nobody's group, not root's"
    is "$(awk '/^Groups:/ { print $2 }' "/proc/$SVC_PID/status")" "$(id -G nobody | cut -d' ' -f1)" \
        "  with nobody's supplementary groups"
else
    ok 0 "with user = \"nobody\", the worker runs as nobody # SKIP not running as root"
    ok 0 "  in nobody's group # SKIP not running as root"
    ok 0 "  with nobody's supplementary groups # SKIP not running as root"
fi
zt_mine "$SVC_PID" && kill "$SVC_PID" 2>/dev/null

# --- the allowed worker still works after all that ---
is "$("$ZTASK" submit echo -d "still here" --wait)" "still here" "the allowed worker and client still work"

done_testing
