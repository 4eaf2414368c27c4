#!/bin/sh
# Builds ztask and runs the whole test suite; ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
sh scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }
make -j2 check >/dev/null 2>&1
rc=$?
log=test-suite.log
[ -f "$log" ] || { echo "no $log: the test harness did not run"; echo "0 passed, 1 failed"; exit 1; }
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
