#!/bin/sh
# Builds ztask and runs the whole test suite; prints a line per test file as
# it finishes (so a run of several minutes does not look hung), then the
# failed checks and "N passed, N failed, N skipped". Exit status: make
# check's.
cd "$(dirname "$0")/.." || exit 1
sh scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

# A test file has finished when automake writes its .trs; old ones go first.
rm -f tests/*.trs test-suite.log
out=$(mktemp "${TMPDIR:-/tmp}/ztask-check.XXXXXX")
trap 'rm -f "$out" "$out.seen"' EXIT
: > "$out.seen"
start=$(date +%s)
echo "make -j2 check: building the tests, then running them (a line per test file)"
make -j2 check >"$out" 2>&1 &
make_pid=$!

# report: one line per .trs not reported yet, "[m:ss] RESULT file: counts".
report () {
    for trs in tests/*.trs; do
        [ -f "$trs" ] || continue
        grep -qxF "$trs" "$out.seen" && continue
        grep -q '^:global-test-result:' "$trs" || continue # still being written
        echo "$trs" >> "$out.seen"
        result=$(sed -n 's/^:global-test-result: *//p' "$trs")
        counts=$(sed -n 's/^:test-result: *//p' "$trs" | sort | uniq -c \
                 | awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }')
        name=${trs%.trs}
        [ -f "$name.sh" ] && name=$name.sh
        elapsed=$(( $(date +%s) - start ))
        printf '[%d:%02d] %-5s %s: %s\n' $((elapsed / 60)) $((elapsed % 60)) "$result" "$name" \
            "${counts:-no result}"
    done
}
while kill -0 "$make_pid" 2>/dev/null; do
    report
    sleep 1
done
wait "$make_pid"
rc=$?
report

log=test-suite.log
if [ ! -f "$log" ]; then
    tail -30 "$out"
    echo "no $log: the test harness did not run (make check's last lines above)"
    echo "0 passed, 1 failed"
    exit 1
fi
for t in tests/*.log; do
    [ "$t" = tests/test-suite.log ] && continue
    grep -h '^\(not ok\|Bail out\)' "$t" 2>/dev/null | sed "s|^|$t: |"
done
sed -n 's/^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\): */\1 /p' "$log"
pass=$(sed -n 's/^# PASS: *//p' "$log"); fail=$(sed -n 's/^# FAIL: *//p' "$log")
error=$(sed -n 's/^# ERROR: *//p' "$log"); xpass=$(sed -n 's/^# XPASS: *//p' "$log")
skip=$(sed -n 's/^# SKIP: *//p' "$log")
echo "$pass passed, $((fail + error + xpass)) failed, $skip skipped"
[ "$rc" -eq 0 ]
