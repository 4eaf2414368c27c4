#!/bin/bash
# CI's hardening stage, after the main test suite:
#   1. the whole test suite again, built with ASan + UBSan (a clean clone);
#   2. the unit tests, and the broker in tests/signals.sh, under valgrind;
#   3. a short libFuzzer run per fuzz target (FUZZ_SECONDS, default 60);
#   4. `make bench BENCH_FLAGS=--quick PEERS=0`: proves the benchmark still
#      builds and runs (ztask's workloads and S1, tiny sizes, no peer), never
#      judges speed: it passes on exit 0 with ztask rows for W1, W2, W3, B1,
#      D1, recovery, failover, chain, batch, W1-http and metrics-snapshot (the
#      HTTP endpoint under a scraper), and PostgreSQL rows for W2, B1 and batch.
# Needs a configured, built tree (scripts/test.sh makes one). Ends with
# "N passed, N failed" over the four stages.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
passed=0
failed=0
count () {    # count NAME PASSED FAILED
    echo "hardening: $1: $2 passed, $3 failed"
    passed=$((passed + $2)); failed=$((failed + $3))
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ztask-hardening.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 1. Sanitizers: every test, in a separate clone so this tree stays as built.
if git clone -q "$top" "$tmp/san" && cd "$tmp/san" && ./autogen.sh >/dev/null 2>&1 \
    && ./configure --enable-sanitizers --enable-werror >/dev/null && make -j2 >/dev/null 2>&1; then
    make -j2 check >/dev/null 2>&1
    log=test-suite.log
    p=$(sed -n 's/^# PASS: *//p' "$log"); f=$(sed -n 's/^# FAIL: *//p' "$log")
    e=$(sed -n 's/^# ERROR: *//p' "$log")
    reports=$(grep -l "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" tests/*.log 2>/dev/null | wc -l)
    grep -h '^not ok' tests/*.log 2>/dev/null | sed 's/^/hardening: asan: /'
    count "asan+ubsan test suite" "${p:-0}" $(( ${f:-0} + ${e:-0} + reports ))
else
    echo "hardening: the sanitizer build failed"
    count "asan+ubsan build" 0 1
fi
cd "$top" || exit 1

# 2. valgrind.
if command -v valgrind >/dev/null; then
    vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
    p=0; f=0
    # Every unit test the Makefile has (its unit_tests variable), so a new
    # one cannot escape valgrind; none found is a failure, not a pass.
    unit_tests=$(make -s print-unit-tests 2>/dev/null | grep '^tests/')
    if [ -z "$unit_tests" ] || ! make -j2 $unit_tests >/dev/null 2>&1; then
        f=$((f + 1)); echo "hardening: valgrind: no unit test list from 'make print-unit-tests', or they do not build"
    fi
    for t in $unit_tests; do
        if top_builddir="$top" top_srcdir="$top" ./libtool --mode=execute $vg "$t" >"$tmp/vg.out" 2>&1; then
            p=$((p + 1))
        else
            f=$((f + 1)); echo "hardening: valgrind: $t"; tail -20 "$tmp/vg.out" | sed 's/^/hardening:   /'
        fi
    done
    if make check TESTS=tests/signals.sh \
        ZTASK_WRAP="$top/libtool --mode=execute $vg --log-file=$tmp/vg-broker.%p" >/dev/null 2>&1; then
        p=$((p + 1))
    else
        f=$((f + 1)); echo "hardening: valgrind: ztaskd in tests/signals.sh"; cat "$tmp"/vg-broker.* 2>/dev/null | tail -30
    fi
    count "valgrind" "$p" "$f"
else
    echo "hardening: valgrind is not installed"
    count "valgrind" 0 1
fi

# 3. Fuzzing.
if [ -x scripts/fuzz.sh ] && command -v clang >/dev/null; then
    if FUZZ_SECONDS=${FUZZ_SECONDS:-60} FUZZ_BUILD_DIR="$tmp/fuzz" ./scripts/fuzz.sh run > "$tmp/fuzz.out" 2>&1; then
        grep -i "executions\|executed" "$tmp/fuzz.out" | sed 's/^/hardening: fuzz: /'
        count "fuzzing" 1 0
    else
        tail -30 "$tmp/fuzz.out" | sed 's/^/hardening: fuzz: /'
        count "fuzzing" 0 1
    fi
else
    echo "hardening: clang (libFuzzer) or scripts/fuzz.sh missing: fuzzing skipped"
fi

# 4. The benchmark, tiny: only that it still works. Its table's speed
# figures and targets ("met", "NOT met") mean nothing at these sizes on a
# shared CI machine, so none of it is printed, nor counted. LIMIT bounds each
# run, timeout the whole (26 s on an idle 2-core machine, 60 s loaded). PostgreSQL
# is installed here, so the PostgreSQL rows run too (CI=true: a missing
# server fails the run).
start=$(date +%s)
RESULTS="$tmp/bench" LIMIT=60 timeout -k 10 300 make bench BENCH_FLAGS=--quick PEERS=0 >"$tmp/bench.out" 2>&1
rc=$?
seconds=$(( $(date +%s) - start ))
missing=""
for w in W1 W2 W3 B1 D1-accept D1-lateness recovery failover chain chain-link batch batch-then W1-http \
         metrics-snapshot-q5000 W2:ztask-pg B1:ztask-pg-full batch:ztask-pg-full batch-then:ztask-pg-full; do
    awk -v w="${w%%:*}" -v s="${w#*:}" '$1 == w && $2 ~ (s == w ? "^ztask" : "^" s "$") { found = 1 } END { exit !found }' \
        "$tmp/bench/table.txt" 2>/dev/null || missing="$missing $w"
done
if [ "$rc" -eq 0 ] && [ -z "$missing" ]; then
    echo "hardening: bench: make bench --quick (PEERS=0) ran in ${seconds} s, ztask rows for W1 W2 W3 B1 D1 recovery failover chain batch W1-http metrics-snapshot, PostgreSQL rows for W2 B1 batch"
    count "bench (quick)" 1 0
else
    echo "hardening: bench: make bench --quick (PEERS=0) exit $rc after ${seconds} s${missing:+, no ztask row for$missing}"
    grep -v -E '(met|not measured)$' "$tmp/bench.out" | tail -40 | sed 's/^/hardening: bench: /'
    count "bench (quick)" 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
