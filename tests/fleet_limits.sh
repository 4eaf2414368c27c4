#!/bin/bash
# Fleet-wide limits (docs/routing.md): `limits = { hold = 1; }` lets one
# task of type hold run at a time across every worker, however many slots
# are free; the others wait queued and never block other work; `ztask
# stats` shows the limit's use. The config's refusals of bad limits and
# per-type defaults name the file and line.
. "${top_srcdir:-.}/tests/lib.sh"

# --- config refusals: each names the file and the line ---
refuse () { # refuse CONFIG-LINES EXPECTED-PATTERN DESCRIPTION
    printf 'endpoint = "tcp://127.0.0.1:%s";\nstore = "%s";\n%s\n' "$(zt_free_port)" "$T/refused.db" "$1" \
        > "$T/bad.cfg"
    local out
    out=$("$ZTASKD" -c "$T/bad.cfg" -f 2>&1)
    local rc=$?
    [ "$rc" -ne 0 ]
    ok $? "$3: ztaskd refuses to start (exit $rc)"
    like "$out" "bad.cfg:[0-9]+: $2" "  and says so with the file and line"
}
refuse 'limits = { hold = 0; };' "limit hold must be 1 to 1000000, not 0" "a limit of 0"
refuse 'limits = { hold = "4"; };' "limit hold must be a whole number" "a limit that is a string"
refuse 'limits = 4;' "'limits' must be a group" "limits that are not a group"
refuse 'types = { hold = { needs = "gpu=x"; }; };' "types.hold.needs 'gpu=x': column 5" \
    "a default resource request with an error"
refuse 'types = { hold = { require = ( "zone in (a," ); }; };' "types.hold.require 'zone in \\(a,': column" \
    "a default requirement with an error"
refuse 'types = { hold = { limit = "nope"; }; };' ".*no limit named 'nope'" "a default limit not in limits"
refuse 'types = { hold = { gpus = 1; }; };' "unknown setting 'gpus'" "an unknown key in a type's defaults"
refuse 'types = { hold = { needs = "slots=2"; }; };' "types.hold.needs 'slots=2': every task takes one slot" \
    "a default that asks for slots"

# --- a limit on a type: one at a time across two workers with 4 slots ---
zt_broker 'limits = { hold = 1; };'
zt_worker w1 2 '"all"' hold echo
zt_worker w2 2 '"all"' hold echo
a=$("$ZTASK" submit hold -d a)
wait_for "zt_held $a" 15 || { echo "Bail out! task $a did not start"; exit 1; }
b=$("$ZTASK" submit hold -d b)
c=$("$ZTASK" submit hold -d c)
# The broker decides at submit: what is not running now is queued.
is "$(zt_field "$b" state)" queued "with the limit full, a second hold task waits (3 slots free)"
is "$(zt_field "$c" state)" queued "  and a third"
out=$("$ZTASK" stats)
like "$out" "limits: +hold 1/1 running \\(full\\)" "ztask stats shows the limit in use, full"
like "$("$ZTASK" stats --json | tr -d ' \n')" '"limits":\[\{"name":"hold","max":1,"running":1\}\]' \
    "  and --json gives name, max and running"
is "$("$ZTASK" submit echo -d hi --wait 2>&1)" "hi" "other work is not blocked by the full limit: echo runs"
zt_release a
wait_for "zt_held $b" 15
ok $? "once the running one ends, the next (b, the oldest) starts"
is "$(zt_field "$c" state)" queued "  and c still waits"
zt_release b c
wait_for "[ \"\$(zt_field $c state)\" = done ]" 15
is "$(zt_field "$c" state)" done "all three end done"
is "$(grep -c '' "$HOLD_LOG")" 3 "each ran once"

done_testing
