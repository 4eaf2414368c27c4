#!/bin/bash
# Runs `make check` N times (default 5) with a busy loop on every core
# beside it, to shake out tests that race a timer, and prints every check
# that failed at least once (test file and TAP line), how many runs it
# failed in, and a summary. Exit status: 0 only if every run was clean.
#
#   scripts/stress-tests.sh [-n N | N] [-j JOBS]
#
# JOBS is make's -j (default 2). Needs a configured tree (scripts/build.sh
# makes one). The logs of the failed test files are kept in a directory
# named at the end.
set -u
cd "$(dirname "$0")/.." || exit 1
runs=5 jobs=2
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs=${2:-}; shift 2 || { echo "stress-tests: -n needs a number" >&2; exit 2; } ;;
        -j) jobs=${2:-}; shift 2 || { echo "stress-tests: -j needs a number" >&2; exit 2; } ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) runs=$1; shift ;;
        *) echo "stress-tests: unknown argument '$1' (try -h)" >&2; exit 2 ;;
    esac
done
case "$runs$jobs" in
    *[!0-9]*|"") echo "stress-tests: -n and -j take whole numbers" >&2; exit 2 ;;
esac
[ "$runs" -ge 1 ] && [ "$jobs" -ge 1 ] || { echo "stress-tests: -n and -j must be at least 1" >&2; exit 2; }
[ -f Makefile ] || { echo "stress-tests: no Makefile: run scripts/build.sh first" >&2; exit 2; }

keep=$(mktemp -d "${TMPDIR:-/tmp}/ztask-stress.XXXXXX")
failures="$keep/failures"   # "RUN<TAB>FILE: TAP LINE" per failed check
: > "$failures"

# The busy loops: one per core, started here and killed (by pid) on exit.
BUSY=""
stop_busy () {
    local pid
    for pid in $BUSY; do kill "$pid" 2>/dev/null; done
    for pid in $BUSY; do wait "$pid" 2>/dev/null; done
    BUSY=""
}
trap 'stop_busy' EXIT
trap 'stop_busy; exit 130' INT TERM

echo "stress-tests: building first (no busy loop yet)"
make -j"$jobs" >/dev/null 2>&1 || { echo "stress-tests: the build failed: run make to see why" >&2; exit 1; }
make -j"$jobs" check TESTS= >/dev/null 2>&1 || { echo "stress-tests: building the tests failed" >&2; exit 1; }

cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
for ((c = 0; c < cores; c++)); do
    ( while :; do :; done ) &
    BUSY="$BUSY $!"
done
echo "stress-tests: $runs run(s) of make -j$jobs check, with a busy loop on each of $cores cores"

clean=0
for ((run = 1; run <= runs; run++)); do
    start=$(date +%s)
    make -j"$jobs" check >"$keep/make.$run.out" 2>&1
    rc=$?
    seconds=$(( $(date +%s) - start ))
    before=$(wc -l < "$failures")
    for log in tests/*.log; do
        [ "$log" = tests/test-suite.log ] && continue
        trs=${log%.log}.trs
        name=${log%.log}; [ -f "$name.sh" ] && name=$name.sh
        grep -h '^\(not ok\|Bail out\)' "$log" 2>/dev/null | sed "s|^|$run	$name: |" >> "$failures"
        # A file that failed without a "not ok" line (it crashed, or its
        # plan does not match): its harness result.
        if grep -q '^:global-test-result: \(FAIL\|ERROR\|XPASS\)' "$trs" 2>/dev/null \
            && ! grep -q '^\(not ok\|Bail out\)' "$log"; then
            why=$(grep -h '^ERROR: ' "$log" | head -1)
            echo "$run	$name: ${why:-the test file failed}" >> "$failures"
        fi
        if grep -q '^:global-test-result: \(FAIL\|ERROR\|XPASS\)' "$trs" 2>/dev/null; then
            mkdir -p "$keep/run-$run/tests" && cp "$log" "$keep/run-$run/tests/"
        fi
    done
    failed=$(( $(wc -l < "$failures") - before ))
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "$run	make check: exit $rc with no failed test (see $keep/make.$run.out)" >> "$failures"
        failed=1
    fi
    summary=$(sed -n 's/^# \(TOTAL\|PASS\|FAIL\|ERROR\|SKIP\): */\1 /p' test-suite.log 2>/dev/null | tr '\n' ' ')
    if [ "$failed" -eq 0 ]; then
        clean=$((clean + 1))
        echo "run $run/$runs: clean in ${seconds} s (${summary% })"
    else
        echo "run $run/$runs: $failed failed check(s) in ${seconds} s (${summary% })"
    fi
done
stop_busy

if [ ! -s "$failures" ]; then
    echo "stress-tests: all $runs runs clean"
    rm -rf "$keep"
    exit 0
fi
echo
echo "Checks that failed at least once (runs failed in, of $runs: file: TAP line):"
# Grouped by file and TAP line, the number of runs each failed in first.
awk -F'\t' '{ if (!(($2) in runs)) order[n++] = $2; runs[$2] = runs[$2] " " $1 }
            END { for (i = 0; i < n; i++) { k = split(runs[order[i]], r, " "); printf "  %d: %s (run%s%s)\n", k, order[i], (k > 1 ? "s" : ""), runs[order[i]] } }' \
    "$failures"
distinct=$(cut -f2 "$failures" | sort -u | wc -l)
echo
echo "stress-tests: $clean of $runs runs clean; $distinct distinct check(s) failed at least once"
echo "stress-tests: the logs of the failed test files are in $keep"
exit 1
