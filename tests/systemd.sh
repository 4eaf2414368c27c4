#!/bin/bash
# The systemd units (systemd/*.in, built into systemd/): systemd-analyze
# verify finds nothing wrong with them (their binaries, man pages and
# settings), and the daemons speak Type=notify's protocol: READY=1 once
# they are ready, nothing when they fail to start. notify_listen stands in
# for systemd's notify socket. Without systemd-analyze the verify checks
# are skipped, except in CI ($CI = true), where that is a failure.
. "${top_srcdir:-.}/tests/lib.sh"

skip () {       # skip DESCRIPTION REASON
    tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"
}
units="ztaskd.service ztask-worker@.service"

# ---- systemd-analyze verify ----
if command -v systemd-analyze >/dev/null; then
    # The units as built, run from this build tree, and their
    # Documentation= pages from man/ (systemd-analyze runs man on them).
    mkdir -p "$T/units" "$T/man/man1" "$T/man/man3" "$T/man/man5" "$T/man/man8"
    for page in "$top_builddir"/man/*.[1-8]; do
        cp "$page" "$T/man/man${page##*.}/"
    done
    for unit in $units; do
        grep -q '^ExecStart=/[^ ]*/ztask' "$top_builddir/systemd/$unit"
        ok $? "$unit starts its daemon by an absolute path"
        sed "s|^ExecStart=/[^ ]*/\(ztask[a-z-]*\) |ExecStart=$top_builddir/\1 |" \
            "$top_builddir/systemd/$unit" > "$T/units/$unit"
    done
    # An instance of the template, as systemctl start ztask-worker@general sees it.
    cp "$T/units/ztask-worker@.service" "$T/units/ztask-worker@general.service"
    for unit in $units ztask-worker@general.service; do
        out=$(cd "$T/units" && MANPATH="$T/man" SYSTEMD_LOG_LEVEL=warning \
              systemd-analyze verify "./$unit" 2>&1)
        rc=$?
        is "$rc:$out" "0:" "systemd-analyze verify $unit: no complaint"
    done
elif [ "${CI:-}" = true ]; then
    ok 1 "systemd-analyze is installed (apt-get install systemd)"
else
    skip "systemd-analyze verify" "systemd-analyze is not installed (apt-get install systemd)"
fi
for unit in $units; do
    u="$top_builddir/systemd/$unit"
    grep -q '^Type=notify$' "$u" && grep -q '^ExecStart=.* -f ' "$u"
    ok $? "$unit: Type=notify, in the foreground (-f)"
    for setting in User=ztask ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes; do
        grep -q "^$setting$" "$u"
        ok $? "$unit: $setting"
    done
    grep -q '^StateDirectory=ztask' "$u" && grep -q '^WorkingDirectory=%S/ztask' "$u"
    ok $? "$unit: runs in its StateDirectory"
done
like "$(grep '^ExecStart=' "$top_builddir/systemd/ztask-worker@.service")" \
    ' -c /.*/ztask/worker-%i\.cfg$' "ztask-worker@NAME runs worker-NAME.cfg"
like "$(grep '^ExecStart=' "$top_builddir/systemd/ztaskd.service")" \
    ' -c /.*/ztask/broker\.cfg$' "ztaskd runs broker.cfg"
like "$(cat "$top_srcdir/systemd/ztask.sysusers")" '^u ztask ' "sysusers.d creates the user ztask"

# ---- readiness: the sd_notify protocol ----
# listen NAME: notify_listen on $T/NAME.sock (waits until it is bound);
# sets LISTEN_PID.
listen () {
    "$top_builddir/tests/notify_listen" "$T/$1.sock" 120 > "$T/$1.notify" 2>&1 &
    LISTEN_PID=$!
    wait_for "[ -S '$T/$1.sock' ]" 30 || { echo "Bail out! notify_listen did not start"; exit 1; }
}

listen broker
export NOTIFY_SOCKET="$T/broker.sock"
zt_broker
unset NOTIFY_SOCKET
wait "$LISTEN_PID"
is "$?:$(cat "$T/broker.notify")" "0:READY=1" "ztaskd says READY=1"
"$ZTASK" -t 20000 stats >/dev/null
ok $? "and answers (it said so after binding)"

listen worker
NOTIFY_SOCKET="$T/worker.sock" zt_worker w 1 '"all"' echo
wait "$LISTEN_PID"
is "$?:$(cat "$T/worker.notify")" "0:READY=1" "ztask-worker says READY=1"
is "$("$ZTASK" -t 20000 submit echo -d ready --wait)" "ready" "and runs tasks"

# A worker that cannot start says nothing. A broker started after it on
# the same socket says READY=1: the socket then holds the worker's
# messages, if any, before the broker's (datagrams keep their order).
listen failing
cat > "$T/failing.cfg" <<CFG
broker = "$ZTASK_BROKER";
plugins = ( { name = "initfail"; file = "$top_builddir/tests/fixtures/.libs/initfail.so"; } );
CFG
NOTIFY_SOCKET="$T/failing.sock" "$ZWORKER" -c "$T/failing.cfg" -f > "$T/failing.log" 2>&1
is "$?" 1 "a worker whose plugin's init fails exits 1"
cat > "$T/second.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$T/second.db";
CFG
NOTIFY_SOCKET="$T/failing.sock" "$ZTASKD" -c "$T/second.cfg" -f > "$T/second.log" 2>&1 &
PIDS="$PIDS $!"
wait "$LISTEN_PID"
is "$?:$(cat "$T/failing.notify")" "0:READY=1" "without saying READY=1"

# A NOTIFY_SOCKET it cannot use is said in the log; the broker runs on.
cat > "$T/third.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$T/third.db";
CFG
NOTIFY_SOCKET="not/absolute" "$ZTASKD" -c "$T/third.cfg" -f > "$T/third.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
wait_for "grep -q 'cannot tell systemd' '$T/third.log'" 30
ok $? "a NOTIFY_SOCKET that is no socket path: a warning in the log"
kill -0 "$pid"
ok $? "and the broker runs on"

done_testing
