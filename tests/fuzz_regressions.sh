#!/bin/sh
# Fuzz regressions: builds the libFuzzer targets (tests/fuzz/) with ASan and
# UBSan and runs each once over its seed corpus and its saved crash inputs
# (tests/fuzz/corpus/TARGET, tests/fuzz/regressions/TARGET). No fuzzing
# here: scripts/fuzz.sh does that. Skips when clang cannot build libFuzzer
# targets. Sources come from $top_srcdir, binaries go to $top_builddir/fuzz-build.
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$top_builddir/fuzz-build}
export top_srcdir top_builddir FUZZ_BUILD_DIR
FUZZ="$top_srcdir/scripts/fuzz.sh"

out=$(sh "$FUZZ" build 2>&1)
rc=$?
if [ "$rc" -eq 77 ]; then
    echo "1..0 # SKIP clang with libFuzzer not installed"
    exit 0
fi

targets="fuzz_msg fuzz_config fuzz_http fuzz_require fuzz_cron"
echo "1..6"
if [ "$rc" -eq 0 ]; then echo "ok 1 - the fuzz targets build"
else
    echo "not ok 1 - the fuzz targets build"
    echo "$out" | sed 's/^/#   /'
fi
n=1
for t in $targets; do
    n=$((n + 1))
    if [ "$rc" -ne 0 ]; then
        echo "not ok $n - $t: not built"
        continue
    fi
    if result=$(sh "$FUZZ" regress "$t" 2>&1); then echo "ok $n - $(echo "$result" | tail -n 1)"
    else
        echo "not ok $n - $t crashes on a corpus or regression input"
        echo "$result" | sed 's/^/#   /'
        sed -n '/ERROR\|runtime error/,$p' "$FUZZ_BUILD_DIR/$t.regress.log" | head -n 40 | sed 's/^/#   /'
    fi
done
