#!/bin/sh
# scripts/fuzz.sh - builds and runs ztask's libFuzzer targets (tests/fuzz/).
#
#   scripts/fuzz.sh [run] [TARGET...]     build, then fuzz each target for FUZZ_SECONDS;
#                                         exits 1 if a target crashed
#   scripts/fuzz.sh build [TARGET...]     build only
#   scripts/fuzz.sh regress [TARGET...]   build, then run each target once on every file of
#                                         tests/fuzz/corpus/TARGET and tests/fuzz/regressions/TARGET
#   scripts/fuzz.sh minimize TARGET FILE  shrink a crashing input and keep it as
#                                         tests/fuzz/regressions/TARGET/NAME
#   scripts/fuzz.sh seeds                 rewrite tests/fuzz/corpus/fuzz_msg (one message per command)
#
# Targets: fuzz_msg (the wire codec), fuzz_config (broker.cfg / worker.cfg parsing),
#          fuzz_http (ztaskd's HTTP request handling and metrics text),
#          fuzz_require (the requirement language: labels, plugin versions, resources),
#          fuzz_cron (cron expressions, TZif zones and fire times).
# Environment:
#   FUZZ_CC         compiler (clang); it must support -fsanitize=fuzzer
#   FUZZ_BUILD_DIR  binaries, scratch corpora, logs and crash files
#                   ($top_builddir/fuzz-build, else ./fuzz-build)
#   FUZZ_SECONDS    run time per target in "run" mode (60)
#   FUZZ_ARGS       more libFuzzer flags, e.g. "-max_len=16384 -use_value_profile=1"
#   top_srcdir, top_builddir  as automake sets them (VPATH builds): sources are read from
#                   top_srcdir, config.h is looked for in top_builddir
# Exit status: 0 ok, 1 a crash / build failure, 77 no clang with libFuzzer (skip).
#
# Flag lists ($SAN, $PKGS, $CFLAGS_ALL, ...) are split on purpose, and
# CONFIG_FLAGS holds a C string literal's quotes on purpose:
# shellcheck disable=SC2086,SC2089,SC2090
set -u

mode=run
case "${1:-}" in
run | build | regress | minimize | seeds) mode=$1; shift ;;
-h | --help) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

SRC=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SRC=$(cd "$SRC" && pwd) || exit 1
BLD_TOP=${top_builddir:-$SRC}
B=${FUZZ_BUILD_DIR:-${top_builddir:+$top_builddir/fuzz-build}}
B=${B:-./fuzz-build}
CC=${FUZZ_CC:-clang}
SECONDS_EACH=${FUZZ_SECONDS:-60}
ALL_TARGETS="fuzz_msg fuzz_config fuzz_http fuzz_require fuzz_cron"

# Sources each target links, besides tests/fuzz/TARGET.c.
sources () {
    case "$1" in
    fuzz_msg) echo src/proto/ztask_msg.c src/common/ztask_utf8.c ;;
    fuzz_config) echo src/common/ztask_cfg.c src/common/ztask_names.c src/common/ztask_utf8.c src/broker/broker_config.c \
        src/worker/worker_config.c src/common/ztask_endpoints.c src/plugin/ztask_host.c src/common/ztask_cert.c \
        src/common/ztask_log.c src/common/ztask_require.c src/common/ztask_retry.c src/common/ztask_duration.c \
        src/common/ztask_cron.c ;;
    fuzz_http) echo src/broker/http_api.c src/broker/metrics.c src/common/task_json.c src/proto/ztask_msg.c \
        src/common/ztask_utf8.c src/common/ztask_names.c src/common/ztask_duration.c src/proto/ztask_task_view.c ;;
    fuzz_require) echo src/common/ztask_require.c src/common/ztask_utf8.c ;;
    fuzz_cron) echo src/common/ztask_cron.c src/common/ztask_utf8.c ;;
    *) return 1 ;;
    esac
}

die () { echo "fuzz.sh: $*" >&2; exit 1; }

mkdir -p "$B" || die "cannot create $B"
B=$(cd "$B" && pwd)

# ---- compiler and flags ----
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz.sh: $CC not found; install clang (with its libFuzzer runtime) or set FUZZ_CC" >&2
    exit 77
fi
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
if ! printf 'int LLVMFuzzerTestOneInput (const unsigned char *d, unsigned long n) { (void) d; (void) n; return 0; }\n' \
    | "$CC" $SAN -x c - -o "$B/probe" 2>"$B/probe.log"; then
    echo "fuzz.sh: $CC cannot build a libFuzzer target ($B/probe.log); install clang's compiler-rt" >&2
    exit 77
fi
rm -f "$B/probe"

PKGS="libczmq libzmq libconfig"
if pkg-config --exists jansson 2>/dev/null; then PKGS="$PKGS jansson"; fi
pkg-config --exists $PKGS || die "pkg-config does not find: $PKGS"
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
PKG_LIBS=$(pkg-config --libs $PKGS)

# config.h of a configured tree if there is one; ZTASK_PLUGIN_DIR comes from
# Makefile.am's AM_CPPFLAGS, not config.h, so it is always defined here.
if [ -f "$BLD_TOP/config.h" ]; then CONFIG_FLAGS="-I$BLD_TOP"
elif [ -f "$SRC/config.h" ]; then CONFIG_FLAGS="-I$SRC"
else CONFIG_FLAGS="-DPACKAGE_VERSION=\"0.1.0\""
fi
CFLAGS_ALL="-g -O1 -Wall -Wextra $SAN -I$SRC/include -I$SRC/src -I$SRC $CONFIG_FLAGS $PKG_CFLAGS"

targets () {
    if [ $# -eq 0 ]; then echo "$ALL_TARGETS"; return; fi
    for t in "$@"; do sources "$t" >/dev/null || die "unknown target '$t' (targets: $ALL_TARGETS)"; done
    echo "$@"
}

# build TARGET: compiles tests/fuzz/TARGET.c and its sources into $B/TARGET,
# unless the binary is newer than every source and header and the flags match.
build () {
    t=$1
    srcs=""
    for s in $(sources "$t"); do srcs="$srcs $SRC/$s"; done
    flags="$CFLAGS_ALL -DZTASK_PLUGIN_DIR=\"/usr/lib/ztask\""
    if [ -x "$B/$t" ] && [ "$(cat "$B/$t.flags" 2>/dev/null)" = "$flags" ] \
        && [ -z "$(find "$SRC/src" "$SRC/include" "$SRC/tests/fuzz/$t.c" -newer "$B/$t" \
            \( -name '*.c' -o -name '*.h' \) 2>/dev/null | head -n 1)" ]; then
        return 0
    fi
    echo "fuzz.sh: building $B/$t" >&2
    if ! $CC $CFLAGS_ALL -DZTASK_PLUGIN_DIR='"/usr/lib/ztask"' "$SRC/tests/fuzz/$t.c" $srcs \
        -o "$B/$t" $PKG_LIBS 2>"$B/$t.build.log"; then
        cat "$B/$t.build.log" >&2
        rm -f "$B/$t"
        die "building $t failed"
    fi
    printf '%s' "$flags" >"$B/$t.flags"
}

# dict TARGET: writes a libFuzzer dictionary of the target's keywords.
dict () {
    case "$1" in
    fuzz_msg) cat <<'EOF'
sig="ZT\x01"
sig_v2="ZT\x02"
two_frames="\x02"
three_frames="\x03"
EOF
        ;;
    fuzz_http)
        for w in GET POST HEAD /metrics /api/v1/ stats workers tasks series retry purge types pause resume \
            cancel state type limit before since Bearer http:// failed done any 1h 7d /../ //; do
            printf 'w_%s="%s"\n' "$(printf '%s' "$w" | tr -c 'a-zA-Z0-9' _)" "$w"
        done
        ;;
    fuzz_require)
        for w in " in (" " not in (" "!=" ">=" "<=" "@" ".x" "," ")" '\"' "-rc1" "+build" "zone" "gpu" \
            "memory_mb" "1.10" "-0.5" "9007199254740993"; do
            printf 'w_%s="%s"\n' "$(printf '%s' "$w" | od -An -tx1 | tr -dc '0-9a-f')" "$w"
        done
        ;;
    fuzz_cron)
        for w in "*/" "*" "-" "," "/" " " "@daily" "@hourly" "@weekly" "@monthly" "@yearly" "@reboot" "jan" \
            "dec" "sun" "mon" "fri" "sat" "59" "23" "31" "12" "7" "TZif" "TZif2" "<+03>-3" "EST5EDT" \
            ",M3.2.0,M11.1.0" ",J60/2,J300/2" ",0/0,J365/25" "/-1" "/167" ":30" "<-02>2<-01>"; do
            printf 'w_%s="%s"\n' "$(printf '%s' "$w" | od -An -tx1 | tr -dc '0-9a-f')" "$w"
        done
        ;;
    fuzz_config)
        for w in endpoint store sync heartbeat_ms heartbeat_liveness max_attempts max_payload \
            max_queued retention max_result user pid_file curve secret allow broker name slots \
            priorities plugin_dir isolation drain_timeout_ms plugins file settings; do
            printf 'k_%s="%s"\n' "$w" "$w"
        done
        cat <<'EOF'
v_tcp="\"tcp://127.0.0.1:*\""
v_full="\"full\""
v_normal="\"normal\""
v_off="\"off\""
v_all="\"all\""
v_low="\"low\""
v_high="\"high\""
v_range="\"3-7\""
v_thread="\"thread\""
v_process="\"process\""
v_true="true"
v_false="false"
v_long="9223372036854775807L"
v_hex="0x7fffffff"
v_float="1.5e300"
s_eq=" = "
s_semi=";"
s_group="{ name = \"echo\"; }"
s_list="( { name = \"echo\"; settings = { n = 1; }; } )"
s_array="[ 1, 2 ]"
s_include="@include"
EOF
        ;;
    esac
}

# files DIR...: the regular files under the directories, one a line.
files () {
    for d in "$@"; do
        [ -d "$d" ] && find "$d" -type f ! -name '.*' ! -name 'README*'
    done | LC_ALL=C sort
}

case "$mode" in
build)
    for t in $(targets "$@"); do build "$t"; done
    echo "fuzz.sh: built in $B: $(targets "$@")"
    ;;

run)
    failed=0
    for t in $(targets "$@"); do build "$t"; done
    for t in $(targets "$@"); do
        corpus="$B/corpus/$t" # scratch: libFuzzer adds the inputs it finds here
        mkdir -p "$corpus"
        [ -d "$SRC/tests/fuzz/corpus/$t" ] && cp "$SRC/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
        crashes="$B/crashes/$t/$(date +%Y%m%d-%H%M%S)"
        mkdir -p "$crashes"
        dict "$t" >"$B/$t.dict"
        echo "fuzz.sh: fuzzing $t for $SECONDS_EACH s (log: $B/$t.log)" >&2
        "$B/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 \
            -artifact_prefix="$crashes/" -dict="$B/$t.dict" ${FUZZ_ARGS:-} "$corpus" </dev/null >"$B/$t.log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$t.log" | awk '{ n += $1 } END { print n + 0 }')
        found=$(find "$crashes" -type f | head -n 5)
        if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
            echo "$t: $execs executions, $(files "$corpus" | wc -l) inputs in the corpus, no crash"
            rmdir "$crashes" 2>/dev/null
        else
            failed=1
            echo "$t: CRASH after $execs executions (exit $rc); log: $B/$t.log"
            grep -m 3 '^==[0-9]*==ERROR\|^SUMMARY\|runtime error' "$B/$t.log" | sed 's/^/    /'
            for f in $found; do
                echo "    input: $f"
                echo "    keep it as a regression: scripts/fuzz.sh minimize $t $f"
            done
        fi
    done
    exit "$failed"
    ;;

regress)
    failed=0
    for t in $(targets "$@"); do build "$t"; done
    for t in $(targets "$@"); do
        list=$(files "$SRC/tests/fuzz/corpus/$t" "$SRC/tests/fuzz/regressions/$t")
        if [ -z "$list" ]; then
            echo "$t: no inputs"
            continue
        fi
        n=$(echo "$list" | wc -l)
        # With only files as arguments libFuzzer runs each once and stops.
        # IFS: one argument per line, so paths with spaces survive.
        old_ifs=$IFS
        IFS='
'
        "$B/$t" -timeout=10 $list </dev/null >"$B/$t.regress.log" 2>&1
        rc=$?
        IFS=$old_ifs
        if [ "$rc" -eq 0 ]; then
            echo "$t: $n inputs, no crash"
        else
            failed=1
            echo "$t: CRASH (exit $rc) on one of $n inputs; log: $B/$t.regress.log"
            grep -m 1 -B 1 '^==[0-9]*==ERROR\|runtime error\|deadly signal' "$B/$t.regress.log" | sed 's/^/    /'
            grep '^Running: ' "$B/$t.regress.log" | tail -n 1 | sed 's/^/    /'
        fi
    done
    exit "$failed"
    ;;

minimize)
    [ $# -eq 2 ] || die "usage: scripts/fuzz.sh minimize TARGET CRASH-FILE"
    t=$1
    crash=$2
    sources "$t" >/dev/null || die "unknown target '$t' (targets: $ALL_TARGETS)"
    [ -f "$crash" ] || die "no file $crash"
    build "$t"
    mkdir -p "$SRC/tests/fuzz/regressions/$t"
    out="$SRC/tests/fuzz/regressions/$t/$(basename "$crash")"
    "$B/$t" -minimize_crash=1 -max_total_time="${FUZZ_SECONDS:-60}" -exact_artifact_path="$out" \
        "$crash" </dev/null >"$B/$t.minimize.log" 2>&1
    if [ ! -f "$out" ]; then
        # Leaks and some crashes do not minimize; keep the input as it is.
        cp "$crash" "$out" || exit 1
        echo "fuzz.sh: could not minimize (see $B/$t.minimize.log); kept the input as is" >&2
    fi
    echo "kept $out ($(wc -c <"$out") bytes); scripts/fuzz.sh regress $t runs it"
    ;;

seeds)
    out="$SRC/tests/fuzz/corpus/fuzz_msg"
    mkdir -p "$out"
    $CC -g -O1 -fsanitize=address,undefined -DZTASK_FUZZ_SEEDS -I"$SRC/include" -I"$SRC/src" \
        $PKG_CFLAGS "$SRC/tests/fuzz/fuzz_msg.c" "$SRC/src/proto/ztask_msg.c" "$SRC/src/common/ztask_utf8.c" -o "$B/fuzz_msg_seeds" \
        $PKG_LIBS || die "building the seed writer failed"
    "$B/fuzz_msg_seeds" "$out"
    ;;
esac
