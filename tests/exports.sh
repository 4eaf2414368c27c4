#!/bin/bash
# libztask exports its public API and nothing else: the functions declared
# in include/ztask/client.h and plugin.h, each one, no internal ztask_msg_*,
# ztask_cfg_* and the like; src/client/libztask.sym, the export list, says
# the same. ztask-worker exports plugin.h's host functions to the plugins
# it loads. A function added to a header without the export list (or the
# other way round) fails here.
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
n=0
failed=0
check () {     # check EXIT-CODE DESCRIPTION [DETAIL...]
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"
    else echo "not ok $n - $2"; failed=$((failed + 1)); shift 2; printf '#   %s\n' "$@"; fi
}

LIB="$top_builddir/.libs/libztask.so"
if ! command -v nm >/dev/null 2>&1 || [ ! -f "$LIB" ]; then
    echo "1..0 # SKIP nm or the shared libztask.so is not there (a static-only build)"
    exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ztask-exports.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Function declarations start a line with their type, no indent (comments
# and examples are indented).
declared () {
    grep -hE '^[a-z][a-z0-9_ ]*[ *]ztask_[a-z0-9_]+ \(' "$@" | grep -v '^typedef' \
        | sed -E 's/^.*[ *](ztask_[a-z0-9_]+) \(.*$/\1/' | sort -u
}
declared "$top_srcdir/include/ztask/client.h" "$top_srcdir/include/ztask/plugin.h" > "$T/public"
declared "$top_srcdir/include/ztask/plugin.h" > "$T/host"
nm -D --defined-only "$LIB" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sort -u > "$T/exported"
sort -u "$top_srcdir/src/client/libztask.sym" > "$T/sym"

check $(( $(wc -l < "$T/public") >= 20 ? 0 : 1 )) "the headers declare the API ($(wc -l < "$T/public") functions)"
missing=$(comm -23 "$T/public" "$T/exported")
check $([ -z "$missing" ]; echo $?) "libztask.so exports every function of client.h and plugin.h" $missing
extra=$(comm -13 "$T/public" "$T/exported")
check $([ -z "$extra" ]; echo $?) "libztask.so exports nothing else" $extra
check $(cmp -s "$T/public" "$T/sym"; echo $?) "src/client/libztask.sym lists exactly the headers' functions" \
    $(diff "$T/public" "$T/sym" | grep '^[<>]')

# The program itself, or (linked to a shared library) libtool's wrapper's.
WORKER="$top_builddir/ztask-worker"
head -c 4 "$WORKER" | grep -q ELF || WORKER="$top_builddir/.libs/ztask-worker"
nm -D --defined-only "$WORKER" | awk '{ print $3 }' | sort -u > "$T/worker"
missing=$(comm -23 "$T/host" "$T/worker")
check $([ -z "$missing" ]; echo $?) "ztask-worker exports plugin.h's host functions to its plugins" $missing

echo "1..$n"
[ "$failed" -eq 0 ]
