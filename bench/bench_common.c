/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  bench_common - shared benchmark helpers. See bench_common.h. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t
bench_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
bench_samples_add (bench_samples_t *self, int64_t value)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? 2 * self->capacity : 4096;
        self->values = (int64_t *) realloc (self->values, self->capacity * sizeof (int64_t));
        if (!self->values)
            abort ();
    }
    self->values[self->count++] = value;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

int64_t
bench_samples_quantile (bench_samples_t *self, double q)
{
    if (self->count == 0)
        return 0;
    qsort (self->values, self->count, sizeof (int64_t), s_compare);
    size_t i = (size_t) (q * (double) (self->count - 1) + 0.5);
    return self->values[i < self->count ? i : self->count - 1];
}

void
bench_samples_free (bench_samples_t *self)
{
    free (self->values);
    memset (self, 0, sizeof *self);
}

int64_t
bench_process_cpu_us (int pid)
{
    char path[64], buffer[1024];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t size = fread (buffer, 1, sizeof buffer - 1, file);
    fclose (file);
    buffer[size] = 0;
    /* Fields after the command name (which may hold spaces): 14 utime, 15 stime. */
    char *p = strrchr (buffer, ')');
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    long ticks = sysconf (_SC_CLK_TCK);
    return (int64_t) ((utime + stime) * 1000000ULL / (unsigned long long) (ticks > 0 ? ticks : 100));
}

int64_t
bench_machine_busy_us (void)
{
    FILE *file = fopen ("/proc/stat", "r");
    if (!file)
        return -1;
    unsigned long long user, nice, system, idle, iowait, irq, softirq;
    int fields = fscanf (file, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
                         &iowait, &irq, &softirq);
    fclose (file);
    if (fields != 7)
        return -1;
    long ticks = sysconf (_SC_CLK_TCK);
    return (int64_t) ((user + nice + system + irq + softirq) * 1000000ULL
                      / (unsigned long long) (ticks > 0 ? ticks : 100));
}

int64_t
bench_process_rss (int pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    int64_t rss = -1;
    while (fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0) {
            rss = (int64_t) strtoll (line + 6, NULL, 10) * 1024;
            break;
        }
    fclose (file);
    return rss;
}

void
bench_result (const char *system, const char *workload, int rep, size_t n, double seconds,
              bench_samples_t *latency, int64_t cpu_us, size_t errors, const char *extra)
{
    printf ("RESULT system=%s workload=%s rep=%d n=%zu seconds=%.3f rate=%.0f", system, workload, rep,
            n, seconds, seconds > 0 ? (double) n / seconds : 0.0);
    if (latency && latency->count)
        printf (" p50_us=%lld p99_us=%lld max_us=%lld", (long long) bench_samples_quantile (latency, 0.50),
                (long long) bench_samples_quantile (latency, 0.99),
                (long long) bench_samples_quantile (latency, 1.0));
    if (cpu_us >= 0)
        printf (" cpu_us_per_task=%.2f", n ? (double) cpu_us / (double) n : 0.0);
    printf (" errors=%zu%s%s\n", errors, extra && *extra ? " " : "", extra ? extra : "");
    fflush (stdout);
}
