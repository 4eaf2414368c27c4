/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  bench_common - what every ztask benchmark program shares: a monotonic
    clock, latency samples with percentiles, a broker's and the machine's
    CPU time from /proc,
    and the one RESULT line scripts/bench.sh parses:

        RESULT system=ztask workload=W1 rep=1 n=50000 seconds=2.41 rate=20746
               p50_us=... p99_us=... max_us=... cpu_us_per_task=... errors=0 [key=value ...]
*/
#ifndef ZTASK_BENCH_COMMON_H_INCLUDED
#define ZTASK_BENCH_COMMON_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Microseconds on a monotonic clock. */
int64_t bench_now_us (void);

/* Latency samples. */
typedef struct {
    int64_t *values;
    size_t count, capacity;
} bench_samples_t;

void bench_samples_add (bench_samples_t *self, int64_t value);
/* q in [0, 1]; sorts the samples; 0 when empty. */
int64_t bench_samples_quantile (bench_samples_t *self, double q);
void bench_samples_free (bench_samples_t *self);

/* User + system CPU time of a process, in microseconds, from
   /proc/PID/stat; -1 if unreadable. */
int64_t bench_process_cpu_us (int pid);
/* Busy CPU time of the whole machine (all cores: user, nice, system, irq,
   softirq), in microseconds, from /proc/stat; -1 if unreadable. Around a
   run it gives what every process of the workload spent together. */
int64_t bench_machine_busy_us (void);
/* Resident memory of a process in bytes, from /proc/PID/status; -1. */
int64_t bench_process_rss (int pid);

/* Prints the RESULT line: the fixed fields, then `extra` (may be NULL or
   "key=value key=value"). latency may be NULL. cpu_us < 0: unknown. */
void bench_result (const char *system, const char *workload, int rep, size_t n, double seconds,
                   bench_samples_t *latency, int64_t cpu_us, size_t errors, const char *extra);

#endif
