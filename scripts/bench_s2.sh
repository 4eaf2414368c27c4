#!/bin/bash
# bench_s2.sh - workload S2, scheduling quality on a mixed fleet (issue 12;
# bench/s2_sched.c, docs/performance.md): scripts/bench_s1.sh's fleet
# start-up and runs with bench/s2_sched. Options go to s2_sched, e.g.
#
#   scripts/bench_s2.sh --work 450 --seed 1
#
# Environment: S2_SYSTEMS ("ztask"; "ztask ztask-plain" adds a control run
# whose tasks ask nothing), S2_REPS (1), and bench_s1.sh's (top_builddir,
# S1_TIMELINE_DIR, S1_KEEP_LOGS).
SCHED_WORKLOAD=S2 exec "$(dirname "$0")/bench_s1.sh" "$@"
