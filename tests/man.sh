#!/bin/bash
# The man pages (man/*.in, built into man/ with the install paths filled
# in): each renders without a single warning, and each names what the
# code has: every command, option and exit code of `ztask --help`, the
# daemons' options and variables, every key the config parsers accept
# (and no key they do not), every function of <ztask/plugin.h>.
# Options are looked for as mdoc writes them: `.Fl b`, `Fl \-json`.
. "${top_srcdir:-.}/tests/lib.sh"

man="$top_builddir/man"
pages="ztask.1 ztask-plugin.3 ztask.conf.5 ztaskd.8 ztask-worker.8"

skip () {       # skip DESCRIPTION REASON
    tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"
}

# ---- rendering ----
if command -v groff >/dev/null; then
    # Every warning on the page as /usr/local fills it in; on the page as
    # this build filled it in, every warning but line breaking, which
    # depends on how long the install paths are (a deep distcheck prefix
    # makes an unbreakable path longer than a line).
    sample="$(mktemp)"
    for page in $pages; do
        sed -e 's|@bindir@|/usr/local/bin|g' -e 's|@sysconfdir@|/usr/local/etc|g' \
            -e 's|@pkglibdir@|/usr/local/lib/ztask|g' \
            -e 's|@docdir@|/usr/local/share/doc/ztask|g' \
            -e 's|@PACKAGE_VERSION@|0.0.0|g' "$top_srcdir/man/$page.in" > "$sample"
        out=$(groff -ww -z -mandoc "$sample" 2>&1)
        is "$out" "" "$page renders without warnings (groff -ww -z -mandoc)"
        # Nothing dropped on the output side either (character mappings).
        out=$(groff -ww -mandoc -Tutf8 "$sample" 2>&1 >/dev/null)
        is "$out" "" "$page renders for a terminal without warnings"
        out=$(groff -ww -Wbreak -mandoc -Tutf8 "$man/$page" 2>&1 >/dev/null)
        is "$out" "" "$page as built renders without warnings but line breaks"
    done
    rm -f "$sample"
elif [ "${CI:-}" = true ]; then
    ok 1 "groff is installed (apt-get install groff-base)"
else
    skip "the pages render without warnings" "groff is not installed (apt-get install groff-base)"
fi
if command -v mandoc >/dev/null; then
    for page in $pages; do
        out=$(mandoc -Tlint -W warning "$man/$page" 2>&1)
        is "$out" "" "$page: mandoc -Tlint finds nothing"
    done
fi
for page in $pages; do
    left=$(grep -o '@[A-Za-z_]*@' "$man/$page" | sort -u | tr '\n' ' ')
    is "$left" "" "$page: every @variable@ is filled in"
done
version=$("$ZTASK" --version | sed 's/^ztask //')
like "$(grep '^\.Os' "$man/ztask.1")" "^\\.Os ztask $version\$" "the pages carry the version ($version)"

# Lines of section NAME (.Sh NAME up to the next .Sh) of page.
section () {    # section PAGE NAME
    awk -v name="$2" '/^\.Sh / { on = (substr ($0, 5) == name); next } on' "$man/$1"
}

# ---- ztask(1) against ztask --help ----
help=$("$ZTASK" --help)
commands=$(printf '%s\n' "$help" | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
[ "$(printf '%s\n' "$commands" | wc -w)" -ge 8 ]
ok $? "ztask --help lists the commands ($(echo $commands))"
missing=""
for c in $commands; do
    section ztask.1 COMMANDS | grep -q "^\.It Cm $c\( \|$\)" || missing="$missing $c"
done
is "$missing" "" "ztask.1 describes every command of ztask --help under COMMANDS"
longs=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ "$(printf '%s\n' "$longs" | wc -w)" -ge 15 ]
ok $? "ztask --help names its long options ($(echo $longs | wc -w))"
missing=""
for o in $longs; do
    grep -q "Fl \\\\-${o#--}\\( \\|$\\)" "$man/ztask.1" || missing="$missing $o"
done
is "$missing" "" "ztask.1 has every long option of ztask --help"
shorts=$(printf '%s\n' "$help" | grep -o -- '^ *-[a-z],' | tr -d ' ,-' | sort -u)
missing=""
for o in $shorts; do
    grep -q "Fl $o\\( \\|$\\)" "$man/ztask.1" || missing="$missing -$o"
done
is "$missing" "" "ztask.1 has every short option of ztask --help ($(echo $shorts))"
codes=$(printf '%s\n' "$help" | awk '/^Exit status:/ { on = 1; next } /^$/ { on = 0 } on && /^  [0-9]/ { print $1 }')
[ "$(printf '%s\n' "$codes" | wc -w)" -ge 9 ]
ok $? "ztask --help lists the exit codes ($(echo $codes))"
got=$(section ztask.1 "EXIT STATUS" | sed -n 's/^\.It \([0-9][0-9]*\)$/\1/p' | tr '\n' ' ')
is "$got" "$(echo $codes) " "ztask.1's EXIT STATUS has exactly the exit codes of ztask --help"
for v in ZTASK_BROKER ZTASK_CERT ZTASK_BROKER_CERT; do
    printf '%s\n' "$help" | grep -q "\$$v" && section ztask.1 ENVIRONMENT | grep -q "^\.It Ev $v$"
    ok $? "ztask.1 describes \$$v"
done

# ---- the daemons against their -h ----
for d in ztaskd ztask-worker; do
    usage=$("$top_builddir/$d" -h)
    flags=$(printf '%s\n' "$usage" | grep -o -- '^ *-[a-zA-Z]\|;  -[a-zA-Z]' | tr -d ' ;-' | sort -u)
    [ "$(echo $flags | wc -w)" -ge 5 ]
    ok $? "$d -h lists its options ($(echo $flags))"
    missing=""
    for f in $flags; do
        section "$d.8" OPTIONS | grep -q "^\.It Fl $f\( \|$\)" || missing="$missing -$f"
    done
    is "$missing" "" "$d.8 describes every option of $d -h"
    for v in $(printf '%s\n' "$usage" | grep -o 'ZTASK_[A-Z_]*' | sort -u); do
        section "$d.8" ENVIRONMENT | grep -q "^\.It Ev $v$"
        ok $? "$d.8 describes \$$v"
    done
done

# ---- ztask.conf(5) against the config parsers ----
# Every string in the key lists (static const char *const s_..._keys[]).
keys () {       # keys FILE: "list key" per line
    awk '/static const char \*const s_[a-z_]*keys\[\]/ { on = 1; name = $5; sub (/\[.*/, "", name) }
         on { line = $0; while (match (line, /"[a-z_]+"/)) { print name, substr (line, RSTART + 1, RLENGTH - 2); line = substr (line, RSTART + RLENGTH) } }
         on && /NULL/ { on = 0 }' "$1"
}
for part in broker:src/broker/broker_config.c:BROKER worker:src/worker/worker_config.c:WORKER; do
    IFS=: read -r who file title <<<"$part"
    code=$(keys "$top_srcdir/$file" | awk '{ print $2 }' | sort -u)
    [ "$(echo $code | wc -w)" -ge 12 ]
    ok $? "$file has the $who's keys ($(echo $code | wc -w))"
    documented=$(section ztask.conf.5 "$title SETTINGS" | sed -n 's/^\.It Cm \([a-z_]*\)$/\1/p' | sort -u)
    is "$(comm -23 <(printf '%s\n' $code) <(printf '%s\n' $documented) | tr '\n' ' ')" "" \
        "ztask.conf.5 describes every $who key under $title SETTINGS"
    is "$(comm -13 <(printf '%s\n' $code) <(printf '%s\n' $documented) | tr '\n' ' ')" "" \
        "and no key the $who does not know"
done

# ---- ztask-plugin(3) against <ztask/plugin.h> ----
functions=$(grep -o '^[a-z][a-z0-9 _*]* \**\(ztask_[a-z_]*\) (' "$top_srcdir/include/ztask/plugin.h" \
    | sed 's/.*\(ztask_[a-z_]*\) ($/\1/' | sort -u)
[ "$(echo $functions | wc -w)" -ge 10 ]
ok $? "plugin.h declares the host functions ($(echo $functions | wc -w))"
missing=""
for f in $functions ZTASK_PLUGIN; do
    section ztask-plugin.3 SYNOPSIS | grep -q "^\.Fn $f " || missing="$missing $f"
    section ztask-plugin.3 NAME | grep -q "^\.Nm $f\( ,\)\?$" || missing="$missing $f(NAME)"
done
is "$missing" "" "ztask-plugin.3 has every function of <ztask/plugin.h>, in NAME and SYNOPSIS"

done_testing
