#!/bin/bash
# soak.sh - the chaos test (tests/chaos.sh) as a long run: many tasks over
# several workers while workers are SIGKILLed at random and the broker is
# SIGKILLed and restarted several times. Prints the same figures (repeats,
# attempts in flight at the kills, tasks, kills) plus the throughput, and
# exits non-zero if any task was lost or any other check failed.
#
# Run it from the build tree after building:  ./scripts/soak.sh
#
# Sizes (environment; defaults in brackets):
#   SOAK_SECONDS       how long submitting and killing last           [600]
#   SOAK_TASKS         tasks                                       [100000]
#   SOAK_WORKERS       workers running at any time                      [8]
#   SOAK_SLOTS         slots per worker                                 [2]
#   SOAK_SUBMITTERS    parallel submit loops (each runs `ztask submit`) [8]
#   SOAK_BROKER_KILLS  broker kills, spread over the run                [5]
#   SOAK_KILL_MS       a worker is killed every KILL_MS..2*KILL_MS   [2000]
#   SOAK_DRAIN_SECONDS the most the final wait for the queue lasts    [300]
# Submitting is paced to last SOAK_SECONDS; it takes longer when the machine
# cannot start `ztask submit` that often (the throughput line tells).
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_builddir top_srcdir

for program in ztaskd ztask-worker ztask; do
    if [ ! -x "$top_builddir/$program" ]; then
        echo "soak.sh: no $top_builddir/$program: run it from the build tree after make" >&2
        exit 2
    fi
done
# The record plugin is a test fixture: make builds it for make check only.
if [ ! -f "$top_builddir/tests/fixtures/.libs/record.so" ]; then
    echo "soak.sh: building the record plugin (tests/fixtures/record.la)"
    make -C "$top_builddir" -s tests/fixtures/record.la || exit 2
fi

export CHAOS_SECONDS=${SOAK_SECONDS:-600}
export CHAOS_TASKS=${SOAK_TASKS:-100000}
export CHAOS_WORKERS=${SOAK_WORKERS:-8}
export CHAOS_SLOTS=${SOAK_SLOTS:-2}
export CHAOS_SUBMITTERS=${SOAK_SUBMITTERS:-8}
export CHAOS_BROKER_KILLS=${SOAK_BROKER_KILLS:-5}
export CHAOS_KILL_MS=${SOAK_KILL_MS:-2000}
export CHAOS_DRAIN_SECONDS=${SOAK_DRAIN_SECONDS:-300}

echo "soak: $CHAOS_TASKS tasks over $CHAOS_SECONDS s (tests/chaos.sh with these sizes)"
start=$(date +%s)
bash "$top_srcdir/tests/chaos.sh"
status=$?
echo "soak: $(( $(date +%s) - start )) s in all; $([ $status -eq 0 ] && echo "every check passed" \
    || echo "FAILED (see the 'not ok' lines above)")"
exit $status
