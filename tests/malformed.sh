#!/bin/bash
# Malformed and hostile input from raw sockets (docs/protocol.md, "Framing"):
# every command truncated, extended, with a wrong signature, version or body,
# unknown commands, bad strings and counts, huge frames, a flood, and well-formed
# commands from the wrong kind of peer. The broker drops and counts what is
# malformed, answers the rest with the right ERROR, logs without flooding,
# and keeps serving the client and the worker that play by the rules.
. "${top_srcdir:-.}/tests/lib.sh"

RAW="$top_builddir/tests/raw_peer"
[ -x "$RAW" ] || { echo "Bail out! $RAW is not built (make tests/raw_peer)"; exit 1; }

# ---- building messages in hex ----
u8 () { printf '%02x' "$1"; }
u16 () { printf '%04x' "$1"; }
u32 () { printf '%08x' "$1"; }
u64 () { printf '%016x' "$1"; }
hexof () { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
str () { local h; h=$(hexof "$1"); printf '%02x%s' $(( ${#h} / 2 )) "$h"; }   # string field
strx () { printf '%02x%s' $(( ${#1} / 2 )) "$1"; }                            # string field, content in hex
rep () { local i; for ((i = 0; i < $2; i++)); do printf '%s' "$1"; done; }    # rep HEX N
hdr () { printf '5a5401%02x' "$1"; }
ERR_PREFIX=$(hdr 24)   # an ERROR answer: then corr u32, status u16

# Every command with a valid header (and body, if it takes one), as docs/protocol.md
# has them. Each one below is checked to be well-formed before it is mangled.
CMDS="SUBMIT STATUS WAIT STATS WORKERS CANCEL LIST SUBMIT_WAIT SUBMITTED TASK_INFO PROGRESS JSON ERROR
      REGISTER HEARTBEAT WORKER_PROGRESS RESULT GOODBYE DRAIN REGISTERED TASK RESULT_ACK CANCEL_TASK"
declare -A ID HDR BODY
def () { ID[$1]=$2; HDR[$1]=$(hdr "$2")$3; BODY[$1]=${4:-}; }   # def NAME ID FIELDS [BODY]
plugin1="$(u8 1)$(str rawplug)$(str 1.0)"
def SUBMIT 1 "$(u32 101)$(str echo)$(u8 5)$(u32 0)$(u32 0)$(str '')" "$(hexof x)"
def STATUS 2 "$(u32 102)$(u64 999999)$(u8 1)"
def WAIT 3 "$(u32 103)$(u64 999999)"
def STATS 4 "$(u32 104)"
def WORKERS 5 "$(u32 105)"
def CANCEL 6 "$(u32 106)$(u64 999999)"
def LIST 7 "$(u32 107)$(u8 255)$(u32 10)"
def SUBMIT_WAIT 8 "$(u32 108)$(str echo)$(u8 5)$(u32 0)$(u32 0)$(str '')" "$(hexof x)"
def SUBMITTED 20 "$(u32 120)$(u64 1)$(u8 0)"
def TASK_INFO 21 "$(u32 121)$(u64 1)$(u8 1)$(str echo)$(u8 0)$(u8 2)$(u32 1)$(u32 3)$(u64 0)$(u64 0)$(str '')$(str w)$(str '')$(u64 0)$(u64 0)$(u64 0)" "$(hexof x)"
def PROGRESS 22 "$(u32 122)$(u64 1)$(u64 1)$(u64 2)$(str half)"
def JSON 23 "$(u32 123)" "$(hexof '{}')"
def ERROR 24 "$(u32 124)$(u16 1)$(str oops)"
def REGISTER 40 "$(str raw-reg)$(str rawhost)$(str '')$(u16 1)$(u16 1)${plugin1}$(u16 0)"
def HEARTBEAT 41 ""
def WORKER_PROGRESS 42 "$(u64 1)$(u32 1)$(u64 1)$(u64 2)$(str half)"
def RESULT 43 "$(u64 1)$(u32 1)$(u8 0)$(str '')" "$(hexof x)"
def GOODBYE 44 ""
def DRAIN 45 ""
def REGISTERED 60 "$(u32 1000)"
def TASK 61 "$(u64 1)$(u32 1)$(str echo)$(u8 0)$(u32 0)" "$(hexof x)"
def RESULT_ACK 62 "$(u64 1)$(u32 1)"
def CANCEL_TASK 63 "$(u64 1)$(u32 1)"
with_body () { [ -n "${BODY[$1]}" ]; }
msg () { printf '%s%s\n' "${2:--}" "$(with_body "$1" && printf ' %s' "${BODY[$1]}")"; }   # msg NAME HEADER: a script line

# ---- the broker's counter ----
malformed () { "$ZTASK" stats --json | tr -d ' \n' | grep -o '"malformed":[0-9]*' | cut -d: -f2; }
log_lines () { grep -ci "$1" "$T/broker.log"; }

zt_broker "max_batch_bytes = 1048576;" # the socket's limit: max_payload's (below)
zt_worker w 2 '"all"' echo
EP=$ZTASK_BROKER
start=$(malformed)
like "$start" '^[0-9]+$' "stats --json has a malformed count"
expected=0   # malformed messages sent so far

# alive WHAT: stops the test if the broker died (another test's broker could
# take over its port, and answer in its place).
alive () {
    kill -0 "$BROKER_PID" 2>/dev/null && return 0
    ok 1 "the broker is alive after $1"
    echo "Bail out! the broker died"
    exit 1
}

# raw SCRIPT-FILE [RAW OPTIONS]: sends the script from one new peer, syncs, prints answers.
raw () { local f=$1; shift; "$RAW" "$EP" -s -t 10000 -f "$f" "$@"; }

# group NAME FILE [TIMES]: every line of FILE is malformed; sent TIMES times (default 1)
# from one new peer: no answer at all, and the counter goes up by exactly the number sent.
group () {
    local name=$1 file=$2 times=${3:-1}
    local count before after out rc
    count=$(( $(grep -c . "$file") * times ))
    before=$(malformed)
    out=$(raw "$file" -n "$times"); rc=$?
    is "$rc" 1 "$name ($count messages): dropped, not answered"
    [ -n "$out" ] && echo "$out" | head -5 | sed 's/^/#   answer: /'
    after=$(malformed)
    is "$(( after - before ))" "$count" "  and each one counted as malformed"
    expected=$(( expected + count ))
    alive "$name"
}

# answers FILE: sends FILE from one new peer; prints the answers without heartbeats.
answers () { raw "$1" | grep -v "^$(hdr 41)\$"; }
# heads FILE: the answers' header frames, cut to command, corr and status, on one line
heads () { answers "$1" | cut -d' ' -f1 | cut -c1-20 | tr '\n' ' ' | sed 's/ $//'; }

# ================= valid baselines: each one well-formed =================
# Without this, a mangled copy of a broken baseline would be dropped for the wrong reason.
before=$(malformed)
declare -A WANT=(
    [SUBMIT]="^$(hdr 20)$(u32 101)" [STATUS]="^$ERR_PREFIX$(u32 102)$(u16 2)" [WAIT]="^$ERR_PREFIX$(u32 103)$(u16 2)"
    [STATS]="^$(hdr 23)$(u32 104) 7b" [WORKERS]="^$(hdr 23)$(u32 105) 7b" [CANCEL]="^$ERR_PREFIX$(u32 106)$(u16 2)"
    [LIST]="^$(hdr 23)$(u32 107) 7b" [SUBMIT_WAIT]="^$(hdr 20)$(u32 108)"
    [SUBMITTED]="^$ERR_PREFIX$(u32 120)$(u16 1)" [TASK_INFO]="^$ERR_PREFIX$(u32 121)$(u16 1)"
    [PROGRESS]="^$ERR_PREFIX$(u32 122)$(u16 1)" [JSON]="^$ERR_PREFIX$(u32 123)$(u16 1)"
    [ERROR]="^$ERR_PREFIX$(u32 124)$(u16 1)"
    [REGISTER]="^$(hdr 60)$(u32 200)\$"
    [HEARTBEAT]="^$ERR_PREFIX$(u32 0)$(u16 5)" [WORKER_PROGRESS]="^$ERR_PREFIX$(u32 0)$(u16 5)"
    [RESULT]="^$ERR_PREFIX$(u32 0)$(u16 5)" [GOODBYE]="^none\$" [DRAIN]="^$ERR_PREFIX$(u32 0)$(u16 5)"
    [REGISTERED]="^$ERR_PREFIX$(u32 0)$(u16 1)" [TASK]="^$ERR_PREFIX$(u32 0)$(u16 1)"
    [RESULT_ACK]="^$ERR_PREFIX$(u32 0)$(u16 1)" [CANCEL_TASK]="^$ERR_PREFIX$(u32 0)$(u16 1)"
)
bad=""
for c in $CMDS; do
    msg "$c" "${HDR[$c]}" > "$T/one"
    [ "$c" = REGISTER ] && msg GOODBYE "${HDR[GOODBYE]}" >> "$T/one"   # leave again
    got=$(answers "$T/one" | head -1); got=${got:-none}
    printf '%s' "$got" | grep -Eq -- "${WANT[$c]}" || { bad="$bad $c"; echo "#   $c: got '$got'"; }
done
is "$bad" "" "the valid form of every command gets its answer (client: the reply; worker: NOT_REGISTERED; broker-to-peer: BAD_REQUEST; GOODBYE: none)"
is "$(( $(malformed) - before ))" 0 "  and none of them counts as malformed"
alive "the valid baselines"

# SUBMIT_WAIT: the SUBMITTED, then (without another request) the TASK_INFO
# of the task's end, both with the request's corr.
msg SUBMIT_WAIT "${HDR[SUBMIT_WAIT]}" > "$T/submit_wait"
got=$("$RAW" "$EP" -r 2 -t 10000 -f "$T/submit_wait" | grep -v "^$(hdr 41)\$" | cut -c1-16 | tr '\n' ' ')
is "$got" "$(hdr 20)$(u32 108) $(hdr 21)$(u32 108) " "SUBMIT_WAIT: SUBMITTED, then TASK_INFO unasked"

# ================= wrong version: answered, not counted =================
: > "$T/version"
for c in $CMDS; do msg "$c" "5a5402$(u8 "${ID[$c]}")${HDR[$c]:8}" >> "$T/version"; done
for v in 0 3 255; do echo "5a54$(u8 $v)04$(u32 1)" >> "$T/version"; done
echo "5a540200" >> "$T/version"                   # version 2, shortest header, command 0
echo "5a5402ff$(rep 00 40)" >> "$T/version"       # version 2, unknown command
n=$(wc -l < "$T/version")
before=$(malformed)
out=$(answers "$T/version")
is "$(printf '%s\n' "$out" | grep -c "^$ERR_PREFIX$(u32 0)$(u16 7)")" "$n" \
    "another version, every command ($n messages): ERROR VERSION to each"
is "$(printf '%s\n' "$out" | grep -vc "^$ERR_PREFIX$(u32 0)$(u16 7)")" 0 "  and nothing else"
is "$(( $(malformed) - before ))" 0 "  and not counted as malformed"
alive "another version"

# ================= malformed, by kind =================
# Truncated: every prefix of a few headers, and every header minus one byte.
: > "$T/truncated"
for c in SUBMIT REGISTER RESULT TASK_INFO WORKER_PROGRESS; do
    h=${HDR[$c]}
    for ((len = 0; len < ${#h} / 2; len++)); do msg "$c" "${h:0:$((len * 2))}" >> "$T/truncated"; done
done
for c in $CMDS; do h=${HDR[$c]}; msg "$c" "${h:0:$(( ${#h} - 2 ))}" >> "$T/truncated"; done
group "truncated headers" "$T/truncated"

# Extended: one trailing byte, and a few more.
: > "$T/extended"
for c in $CMDS; do
    msg "$c" "${HDR[$c]}00" >> "$T/extended"
    msg "$c" "${HDR[$c]}ffffffffff" >> "$T/extended"  # past every optional field (RESULT's retry_after_ms is 4)
done
group "extended headers" "$T/extended"

# Wrong signature.
: > "$T/signature"
for c in $CMDS; do
    h=${HDR[$c]}
    msg "$c" "58${h:2}" >> "$T/signature"       # "XT"
    msg "$c" "5a55${h:4}" >> "$T/signature"     # "ZU"
    msg "$c" "7a74${h:4}" >> "$T/signature"     # "zt"
done
echo "5a" >> "$T/signature"
echo "5a5401" >> "$T/signature"                 # signature and version, no command
echo "-" >> "$T/signature"                      # an empty frame
echo "00000000" >> "$T/signature"
group "wrong signature or shorter than a header" "$T/signature"

# Unknown commands.
: > "$T/unknown"
for id in 0 9 19 25 39 46 59 64 100 200 255; do
    echo "$(hdr $id)" >> "$T/unknown"
    echo "$(hdr $id)$(u32 1)" >> "$T/unknown"
    echo "$(hdr $id)$(u32 1)$(u64 1) 78" >> "$T/unknown"
done
group "unknown commands" "$T/unknown"

# A body where none belongs, none where one must be.
: > "$T/body"
for c in $CMDS; do
    if with_body "$c"; then echo "${HDR[$c]}" >> "$T/body"
    else echo "${HDR[$c]} -" >> "$T/body"; echo "${HDR[$c]} 78" >> "$T/body"; fi
done
h=${HDR[TASK_INFO]}
echo "${h:0:32}00${h:34}" "78" >> "$T/body"     # TASK_INFO flags 0 with a result body
group "body frame present or missing" "$T/body"

# Three frames or more.
: > "$T/frames"
for c in $CMDS; do
    if with_body "$c"; then echo "${HDR[$c]} ${BODY[$c]} 78" >> "$T/frames"
    else echo "${HDR[$c]} - -" >> "$T/frames"; fi
done
{ printf '%s' "${HDR[STATS]}"; rep ' -' 1000; echo; } >> "$T/frames"   # 1001 frames
echo "5a540204 - -" >> "$T/frames"            # another version's header, 3 frames: malformed first
echo "5a540201$(u32 1) 78 78" >> "$T/frames"   # the same with SUBMIT's id and bodies
group "three frames or more" "$T/frames"

# A string that runs past the end of the header.
: > "$T/strings"
{
    echo "$(hdr 1)$(u32 1)ff$(hexof echo) 78"                                          # SUBMIT type
    echo "$(hdr 1)$(u32 1)$(str echo)$(u8 5)$(u32 0)$(u32 0)05$(hexof ab) 78"           # SUBMIT key
    echo "$(hdr 1)$(u32 1)$(str echo)$(u8 5)$(u32 0)$(u32 0)01 78"                      # key length, no byte
    echo "$(hdr 40)20$(hexof raw)"                                                      # REGISTER name
    echo "$(hdr 40)$(str raw)$(str h)$(str '')$(u16 1)$(u16 1)$(u8 1)$(str p)09$(hexof 1.0)$(u16 0)"  # plugin version
    echo "$(hdr 43)$(u64 1)$(u32 1)$(u8 1)0a 78"                                         # RESULT error
    echo "$(hdr 42)$(u64 1)$(u32 1)$(u64 1)$(u64 2)ff$(rep 41 254)"                     # WORKER_PROGRESS text, 1 short
    echo "$(hdr 24)$(u32 1)$(u16 1)02$(hexof a)"                                        # ERROR text
} >> "$T/strings"
group "string lengths past the end" "$T/strings"

# Invalid UTF-8 (overlong, surrogate, lone continuation, 0xFF, cut short, over
# U+10FFFF, 5 and 6 bytes) and NUL in every kind of string field. The control
# below puts valid sequences in the same fields: answered, so it is the bytes
# that are refused, not the message.
BAD_UTF8="c0af e080af f08080af c1bf eda080 edbfbf 80 bf ff fe c3 e282 f09f98 f4908080 f8888080af fc8080808080 610062 00 6100 c328"
utf8_msgs () {   # utf8_msgs CONTENT-HEX: the messages with CONTENT in each string field
    local s; s=$(strx "$1")
    echo "$(hdr 1)$(u32 1)${s}$(u8 5)$(u32 0)$(u32 0)$(str '') 78"                      # SUBMIT type
    echo "$(hdr 1)$(u32 1)$(str echo)$(u8 5)$(u32 0)$(u32 0)${s} 78"                    # SUBMIT key
    echo "$(hdr 40)${s}$(str h)$(str '')$(u16 1)$(u16 1)${plugin1}$(u16 0)"             # REGISTER name
    echo "$(hdr 40)$(str raw)${s}$(str '')$(u16 1)$(u16 1)${plugin1}$(u16 0)"           # REGISTER host
    echo "$(hdr 40)$(str raw)$(str h)${s}$(u16 1)$(u16 1)${plugin1}$(u16 0)"            # REGISTER instance
    echo "$(hdr 40)$(str raw)$(str h)$(str '')$(u16 1)$(u16 1)$(u8 1)${s}$(str 1)$(u16 0)"   # plugin name
    echo "$(hdr 40)$(str raw)$(str h)$(str '')$(u16 1)$(u16 1)$(u8 1)$(str p)${s}$(u16 0)"   # plugin version
    echo "$(hdr 42)$(u64 1)$(u32 1)$(u64 1)$(u64 2)${s}"                                # WORKER_PROGRESS text
    echo "$(hdr 43)$(u64 1)$(u32 1)$(u8 1)${s} 78"                                      # RESULT error
    echo "$(hdr 24)$(u32 1)$(u16 1)${s}"                                                # ERROR text
    echo "$(hdr 61)$(u64 1)$(u32 1)${s}$(u8 0)$(u32 0) 78"                              # TASK type
}
: > "$T/utf8"
for b in $BAD_UTF8; do utf8_msgs "$b" >> "$T/utf8"; done
group "invalid UTF-8 or NUL in a string" "$T/utf8"

# The control: valid UTF-8 at its edges (2, 3 and 4 bytes, U+D7FF, U+E000, U+10FFFF)
# in WORKER_PROGRESS and ERROR text: NOT_REGISTERED and BAD_REQUEST, nothing dropped.
: > "$T/utf8ok"
for g in c3a9 e282ac f09f9880 ed9fbf ee8080 f48fbfbf 7f $(rep 41 255); do
    echo "$(hdr 42)$(u64 1)$(u32 1)$(u64 1)$(u64 2)$(strx "$g")" >> "$T/utf8ok"
    echo "$(hdr 24)$(u32 7)$(u16 1)$(strx "$g")" >> "$T/utf8ok"
done
before=$(malformed)
out=$(answers "$T/utf8ok")
is "$(printf '%s\n' "$out" | grep -Ec "^$ERR_PREFIX($(u32 0)$(u16 5)|$(u32 7)$(u16 1))")" "$(wc -l < "$T/utf8ok")" \
    "valid UTF-8 at the edges and a 255-byte string: each message answered"
is "$(( $(malformed) - before ))" 0 "  and none counted as malformed"
alive "valid UTF-8"

# Counts: plugins over 64, running over 1024, or entries that stop short.
plugins () {   # plugins N: N entries, name "p0", "p1", ..., version "1"
    local i k h
    for ((i = 0; i < $1; i++)); do
        h=70; for ((k = 0; k < ${#i}; k++)); do h+="3${i:k:1}"; done
        printf '%02x%s0131' $(( ${#h} / 2 )) "$h"
    done
}
running () { local i; for ((i = 0; i < $1; i++)); do printf '%016x%08x' $((900000 + i)) 1; done; }
reg () { echo "$(hdr 40)$(str raw-count)$(str h)$(str '')$(u16 1)$(u16 1)$1"; }   # reg PLUGINS-AND-RUNNING
P64=$(plugins 64) R1024=$(running 1024)
: > "$T/counts"
{
    reg "$(u8 65)${P64}$(plugins 1)$(u16 0)"                         # 65 plugins
    reg "$(u8 255)${P64}${P64}${P64}$(plugins 63)$(u16 0)"           # 255 plugins
    reg "$(u8 64)$(plugins 63)$(u16 0)"                              # 64 announced, 63 there
    reg "$(u8 1)$(u16 0)"                                            # 1 announced, none
    reg "${plugin1}$(u16 1025)${R1024}$(running 1)"                  # 1025 running
    reg "${plugin1}$(u16 65535)"                                     # 65535 running, none there
    reg "${plugin1}$(u16 1024)$(running 1023)"                       # 1024 announced, 1023 there
    reg "${plugin1}$(u16 2)$(running 1)$(u64 1)"                     # an entry cut short
} >> "$T/counts"
group "plugin and running counts over the limit or short" "$T/counts"

# The control: exactly 64 plugins and 1024 running tasks is allowed (the broker
# tells this peer to cancel the 1024 tasks it does not know of).
reg "$(u8 64)${P64}$(u16 1024)${R1024}" > "$T/countsok"
msg GOODBYE "${HDR[GOODBYE]}" >> "$T/countsok"
before=$(malformed)
out=$(answers "$T/countsok")
like "$(printf '%s\n' "$out" | head -1)" "^$(hdr 60)" "64 plugins and 1024 running tasks: REGISTERED"
is "$(printf '%s\n' "$out" | grep -c "^$(hdr 63)")" 1024 "  and a CANCEL_TASK for each unknown running task"
is "$(( $(malformed) - before ))" 0 "  not counted as malformed"
alive "64 plugins and 1024 running tasks"

# Huge frames (docs/configuration.md, max_payload). The broker's socket cuts
# off a frame over twice the larger of max_payload and max_result, plus
# 64 KiB, or over max_batch_bytes plus 64 KiB when that is larger (here
# 1 MiB each: 2 x 1 MiB + 64 KiB + 1 KiB) as it
# arrives: its peer is disconnected and gets no answer, and the broker never
# sees it, so nothing is counted. Under that, a header over the codec's
# 64 KB limit is malformed, and a payload over max_payload gets TOO_LARGE.
too_large () { "$ZTASK" stats --json | tr -d ' \n' | grep -o '"too_large":[0-9]*' | cut -d: -f2; }
echo "$(hdr 42)$(u64 1)$(u32 1)$(u64 1)$(u64 2)$(str x),41*70000" > "$T/bigheader"
group "a 70 kB header" "$T/bigheader"
echo "$(hdr 4)$(u32 1),00*1500000" > "$T/bigheader2"
group "a 1.5 MB header (under the socket's limit)" "$T/bigheader2"

# The largest payload the documented limit lets through: 2 x 1 MiB + 64 KiB.
echo "${HDR[SUBMIT]} 78*$((2 * 1048576 + 65536))" > "$T/bigpayload"
before=$(malformed) refused=$(too_large)
out=$(raw "$T/bigpayload" -n 3)
is "$(printf '%s\n' "$out" | grep -c "^$ERR_PREFIX$(u32 101)$(u16 4)")" 3 \
    "three payloads of 2 MiB + 64 KiB (over max_payload, not over the socket's limit): ERROR TOO_LARGE to each"
is "$(printf '%s\n' "$out" | grep -vc "^$ERR_PREFIX$(u32 101)$(u16 4)")" 0 "  and nothing else"
is "$(( $(too_large) - refused ))" 3 "  counted as too large"
is "$(( $(malformed) - before ))" 0 "  not as malformed"
alive "payloads of 2 MiB + 64 KiB"

echo "$(hdr 4)$(u32 1),00*5000000" > "$T/hugeheader"
before=$(malformed)
out=$(raw "$T/hugeheader"); rc=$?
is "$rc" 1 "a 5 MB header (over the socket's limit): cut off, no answer"
[ -n "$out" ] && echo "$out" | cut -c1-80 | head -5 | sed 's/^/#   answer: /'
is "$(( $(malformed) - before ))" 0 "  never reaches the broker: not counted"
alive "a 5 MB header"
# Just over the socket's limit (2 x 1 MiB + 64 KiB + 1 KiB), and far over.
echo "${HDR[SUBMIT]} 78*$((2 * 1048576 + 65536 + 1024 + 1))" > "$T/hugepayload"
echo "${HDR[SUBMIT]} 78*5000000" >> "$T/hugepayload"
before=$(malformed) refused=$(too_large)
out=$(raw "$T/hugepayload" -n 2); rc=$?
is "$rc" 1 "payloads of 2 MiB + 65 KiB + 1 byte and of 5 MB, twice each (over the socket's limit): cut off, no answer"
[ -n "$out" ] && echo "$out" | cut -c1-80 | head -5 | sed 's/^/#   answer: /'
is "$(( $(too_large) - refused )) $(( $(malformed) - before ))" "0 0" \
    "  never reach the broker: counted neither as too large nor as malformed"
alive "payloads over the socket's limit"

# ================= well-formed, but wrong =================
# Invalid fields: BAD_REQUEST with the corr back. A worker command from a peer
# that never registered: NOT_REGISTERED. A command the broker sends, sent to it:
# BAD_REQUEST. None of this is malformed.
: > "$T/wrong"
{
    echo "$(hdr 1)$(u32 201)$(str echo)$(u8 10)$(u32 0)$(u32 0)$(str '') 78"            # priority 10
    echo "$(hdr 1)$(u32 202)$(str '')$(u8 1)$(u32 0)$(u32 0)$(str '') 78"               # empty type
    echo "$(hdr 7)$(u32 203)$(u8 9)$(u32 10)"                                           # LIST state 9
    echo "$(hdr 21)$(u32 204)${HDR[TASK_INFO]:16} ${BODY[TASK_INFO]}"                   # TASK_INFO to the broker
    echo "$(hdr 20)$(u32 205)$(u64 1)$(u8 1)"                                           # SUBMITTED to the broker
    echo "$(hdr 24)$(u32 206)$(u16 999)$(str '')"                                       # ERROR to the broker
} >> "$T/wrong"
want_wrong="$ERR_PREFIX$(u32 201)$(u16 1) $ERR_PREFIX$(u32 202)$(u16 1) $ERR_PREFIX$(u32 203)$(u16 1) $ERR_PREFIX$(u32 204)$(u16 1) $ERR_PREFIX$(u32 205)$(u16 1) $ERR_PREFIX$(u32 206)$(u16 1)"
: > "$T/register-wrong"
{
    reg0 () { echo "$(hdr 40)$1"; }
    reg0 "$(str '')$(str h)$(str '')$(u16 1)$(u16 1)${plugin1}$(u16 0)"                # empty name
    reg0 "$(str raw)$(str h)$(str '')$(u16 0)$(u16 1)${plugin1}$(u16 0)"               # 0 slots
    reg0 "$(str raw)$(str h)$(str '')$(u16 1025)$(u16 1)${plugin1}$(u16 0)"            # 1025 slots
    reg0 "$(str raw)$(str h)$(str '')$(u16 1)$(u16 0)${plugin1}$(u16 0)"               # no priority
    reg0 "$(str raw)$(str h)$(str '')$(u16 1)$(u16 1024)${plugin1}$(u16 0)"            # priority 10
    reg0 "$(str raw)$(str h)$(str '')$(u16 1)$(u16 1)$(u8 0)$(u16 0)"                  # no plugins
    reg0 "$(str raw)$(str h)$(str '')$(u16 1)$(u16 1)$(u8 1)$(str '')$(str 1)$(u16 0)" # empty plugin name
    reg0 "$(str raw)$(str h)$(str '')$(u16 1)$(u16 1)$(u8 2)$(str p)$(str 1)$(str p)$(str 2)$(u16 0)"  # twice
} >> "$T/register-wrong"
for c in HEARTBEAT WORKER_PROGRESS RESULT DRAIN; do msg "$c" "${HDR[$c]}" >> "$T/wrong"; want_wrong="$want_wrong $ERR_PREFIX$(u32 0)$(u16 5)"; done
before=$(malformed)
got=$(heads "$T/wrong")
is "$got" "$want_wrong" "invalid fields: BAD_REQUEST; worker commands unregistered: NOT_REGISTERED; broker-to-peer commands: BAD_REQUEST"
got=$(heads "$T/register-wrong" | tr ' ' '\n' | sort | uniq -c | sed 's/^ *//')
is "$got" "8 $ERR_PREFIX$(u32 0)$(u16 1)" "REGISTER with an invalid field (8 kinds): BAD_REQUEST to each"
is "$(( $(malformed) - before ))" 0 "  none of it counted as malformed"
alive "well-formed but wrong requests"

# A worker that sends client commands and commands meant for peers: a raw peer
# registers, asks STATS (answered), sends SUBMITTED and TASK (BAD_REQUEST), a
# malformed RESULT (dropped), then a stale RESULT: RESULT_ACK shows it is still
# registered after all that. Then it leaves.
{
    echo "$(hdr 40)$(str raw-worker)$(str h)$(str '')$(u16 1)$(u16 1)${plugin1}$(u16 0)"
    echo "$(hdr 4)$(u32 301)"
    echo "$(hdr 20)$(u32 302)$(u64 1)$(u8 0)"
    msg TASK "${HDR[TASK]}"
    echo "$(hdr 43)$(u64 999999)$(u32 1)$(u8 0)$(str '')"          # RESULT without its body
    echo "$(hdr 43)$(u64 999999)$(u32 1)$(u8 0)$(str '') 78"
    msg GOODBYE "${HDR[GOODBYE]}"
} > "$T/worker-mix"
before=$(malformed)
got=$(heads "$T/worker-mix")
ack="$(hdr 62)$(u64 999999)"
is "$got" "$(hdr 60)$(u32 200) $(hdr 23)$(u32 301) $ERR_PREFIX$(u32 302)$(u16 1) $ERR_PREFIX$(u32 0)$(u16 1) ${ack:0:20}" \
    "a registered raw worker: STATS answered, SUBMITTED and TASK refused, a malformed RESULT dropped, still registered"
is "$(( $(malformed) - before ))" 1 "  the malformed RESULT counted"
expected=$(( expected + 1 ))

# ================= a flood, while others are served =================
lines_before=$(log_lines malformed)
echo "${HDR[SUBMIT]:0:20} 78" > "$T/flood"       # a truncated SUBMIT
("$ZTASK" -t 20000 submit echo -d during-flood --wait > "$T/during" 2>&1; echo " exit $?" >> "$T/during") &
during=$!
group "a flood from one peer" "$T/flood" 20000
wait "$during"
is "$(tr -d '\n' < "$T/during")" "during-flood exit 0" "a client is served during the flood"
flood_lines=$(( $(log_lines malformed) - lines_before ))
ok "$([ "$flood_lines" -le 3 ]; echo $?)" "the flood from one peer is logged at most a few times ($flood_lines lines)"

# Logged once per peer: a new peer's first malformed message is logged, flood or not.
lines_before=$(log_lines malformed)
echo "5a54" > "$T/newpeer"
group "one malformed message from a new peer" "$T/newpeer"
ok "$([ $(( $(log_lines malformed) - lines_before )) -ge 1 ]; echo $?)" "  is logged, even after a flood from another peer"

# Refused REGISTERs (well-formed, wrong) are logged: 2000 of them must not flood the log.
lines_before=$(log_lines 'refused worker')
raw "$T/register-wrong" -n 250 > /dev/null
alive "2000 refused REGISTERs"
refused_lines=$(( $(log_lines 'refused worker') - lines_before ))
ok "$([ "$refused_lines" -lt 100 ]; echo $?)" "2000 refused REGISTERs do not flood the log ($refused_lines lines)"

# ================= afterwards: everyone else is still served =================
kill -0 "$BROKER_PID" 2>/dev/null
ok $? "the broker is alive"
is "$("$ZTASK" -t 10000 submit echo -d still-here --wait 2>&1)" "still-here" "a client is served: submit --wait"
is "$(zt_worker_names)" "w" "the worker is still registered (and no raw peer is)"
is "$(grep -c 'registered with the broker' "$T/w.log")" 1 "  and never had to register again"
total=$(( $(malformed) - start ))
is "$total" "$expected" "malformed count went up by exactly the $expected malformed messages sent (no well-formed message counted)"
lines=$(log_lines malformed)
ok "$([ "$lines" -lt 100 ]; echo $?)" "the broker log has $lines 'malformed' lines for $expected malformed messages (< 100)"
ok "$(grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$T/broker.log"; [ $? -ne 0 ]; echo $?)" \
    "no sanitizer report in the broker log"

done_testing
