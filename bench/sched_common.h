/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  sched_common - what the scheduling workloads S1 (s1_sched.c) and S2
    (s2_sched.c) share: their random numbers, the stall probe, the busy
    plugin's result, and the analysis of a run: every task reports the
    CLOCK_MONOTONIC start and end of its run (tests/fixtures/busy.c), from
    which the tool rebuilds each worker's timeline and measures

    - idle: slot time spent idle while a waiting task could have started
      there: the worker could run it (plugin, priority, labels, resource
      totals), its free resources covered it and its fleet-wide limit had
      room. Per worker and instant, the number of idle slots is the most
      such tasks that fit together (smallest request first), at most its
      free slots: with no resources or limits, min (free slots, eligible
      waiting tasks). `allow_us` is the dispatch allowance (a slot counts
      as busy for it after its task ends, a task as waiting only from it
      after its submit), and time inside machine stalls (the probe's) can
      be left out.
    - kept: the part of that idleness that a reservation explains, by
      design (src/broker/scheduler.h): a worker whose best waiting task (by
      priority, then FIFO) fits its totals but not what it has free now is
      kept for that task's signature and starts nothing of that priority or
      below until it fits; at most one worker per signature. The analysis
      replays that rule on the timeline (a worker keeps its reservation
      while the signature has an eligible task waiting whose limit has
      room, and loses it when it starts a task of it), and counts the idle
      slots of a kept worker, below the level it is kept for, as kept, not
      idle. Tasks above that level still count as idle if they fitted.
    - dispatch gaps, the makespan's lower bound, the high tasks' waits,
      the worst stretches and gaps as "# " lines, a timeline file, and
      the RESULT line (bench_common.h).

    A signature, here, is a task's (type, class): the workload gives the
    same class to tasks that ask the same (requirements, resources, limit).
*/
#ifndef ZTASK_SCHED_COMMON_H_INCLUDED
#define ZTASK_SCHED_COMMON_H_INCLUDED

#include "bench_common.h"

#include <czmq.h>
#include <stdbool.h>

#define SCHED_RESOURCES 2      /* kinds of consumable resources a fleet uses */
#define SCHED_LIMITS 4         /* fleet-wide limits a workload uses          */
#define SCHED_WORKERS_MAX 16   /* workers of a fleet (the lower bound visits
                                  every subset of them)                      */
#define SCHED_CLASSES_MAX 16   /* task classes of a workload                 */
#define SCHED_TYPES_MAX 8      /* task types of a workload                   */
#define SCHED_PRIORITY_LOW 0
#define SCHED_PRIORITY_NORMAL 5
#define SCHED_PRIORITY_HIGH 9
#define SCHED_LEVELS_ALL 0x3ffu
#define SCHED_DIAGNOSE_COUNT 5 /* worst idle stretches and gaps printed      */

/* One worker of the fleet. */
typedef struct {
    const char *name;                /* worker name in its config and in TASK_INFO */
    int slots;                       /* tasks it runs at once                   */
    unsigned types;                  /* bit t: has plugin type_names[t]         */
    unsigned levels;                 /* bit p: serves priority p                */
    unsigned labels;                 /* bit k: has label k (the workload's own) */
    int resources[SCHED_RESOURCES];  /* totals                                  */
} sched_fleet_worker_t;

/* One task of the workload and what became of it. */
typedef struct {
    int type;          /* index into the run's type_names                        */
    int klass;         /* index into the run's class_names (0 with one class)   */
    int priority;      /* SCHED_PRIORITY_LOW, _NORMAL or _HIGH                  */
    unsigned require;  /* labels (bits) the worker must have                     */
    int needs[SCHED_RESOURCES]; /* resources it holds while it runs             */
    int limit;         /* fleet-wide limit it counts against; -1: none          */
    int64_t at_us;     /* when to submit it, from the start of the run          */
    unsigned ms;       /* nominal duration                                      */
    int64_t submit_us; /* monotonic time it was sent                            */
    int64_t start_us;  /* monotonic times the run began and ended (its plugin)  */
    int64_t end_us;
    int worker;        /* fleet index of the worker that ran it; -1: none yet   */
    uint64_t id;       /* the broker's task id (0 with --pushpull)              */
    int64_t created_ms;    /* wall clock: the broker accepted it                */
    int64_t dispatched_ms; /* wall clock: the broker started it                 */
    int64_t finished_ms;   /* wall clock: the broker had its result             */
    bool finished;     /* its outcome is known                                  */
    bool failed;       /* it did not end done, or its result made no sense      */
} sched_run_task_t;

/* A time in which the machine ran nothing of ours: the stall probe woke
   5 ms or more after its deadline. */
typedef struct {
    int64_t from_us, to_us;
} sched_stall_t;

/* A run: the fleet, the workload, the clocks. The workload fills it in. */
typedef struct {
    sched_fleet_worker_t workers[SCHED_WORKERS_MAX];
    size_t worker_count;
    const char *const *type_names;  /* type_count names                          */
    size_t type_count;
    const char *const *class_names; /* class_count names, NULL: one class        */
    size_t class_count;
    const char *const *limit_names; /* limit_count names                         */
    int limit_max[SCHED_LIMITS];    /* running at most, fleet-wide               */
    size_t limit_count;
    const char *const *resource_names; /* SCHED_RESOURCES names (NULL: none)     */
    sched_run_task_t *tasks;            /* the workload, in submission order         */
    size_t count;
    size_t capacity;
    double res_ms;                  /* dispatch allowance of idle_ms             */
    int64_t t0_us;                  /* first submit                              */
    int64_t wall_offset_us;         /* CLOCK_REALTIME - CLOCK_MONOTONIC, in us   */
    sched_stall_t *stalls;          /* when the machine stalled (the probe)      */
    size_t stall_count;
    const char *timeline;           /* file for one line per task, or NULL       */
} sched_run_t;

/* ---- the workload ---- */

/* splitmix64: the same numbers on every machine for one seed. */
uint64_t sched_random (uint64_t *state);
/* Uniform in [0, 1). */
double sched_uniform (uint64_t *state);
/* Log-uniform in [shortest, longest] milliseconds, rounded. */
unsigned sched_duration_ms (uint64_t *state, double shortest_ms, double longest_ms);
/* An index 0..count-1 drawn with the given weights (summing to 1). */
int sched_pick (uint64_t *state, const double *weights, int count);
/* Appends a task (zeroed but for these) and returns it. */
sched_run_task_t *sched_add_task (sched_run_t *self, int type, int priority, int64_t at_us, unsigned ms);
/* Sorts the tasks by submit time (stable: generation order within). */
void sched_sort_by_arrival (sched_run_t *self);

/* Could worker ever run task (plugin, priority, labels, resource totals)? */
bool sched_eligible (const sched_fleet_worker_t *worker, const sched_run_task_t *task);
/* The fleet index of a worker name, or -1. */
int sched_worker_index (const sched_run_t *self, const char *name);
const char *sched_priority_name (int priority);

/* ---- the flags S1 and S2 share ---- */

/* What a workload's command line says, beyond its own flags. */
typedef struct {
    const char *endpoint;  /* --broker ENDPOINT; NULL: not given                  */
    const char *system;    /* --system NAME (RESULT's system=); NULL: the default */
    uint64_t seed;         /* --seed N: the workload's seed (1)                   */
    double work_s;         /* --work S: slot-seconds of work asked for (450)      */
    int rep;               /* --rep N: RESULT's rep= (1)                          */
    int wait_fleet_s;      /* --wait-fleet S: how long to wait for the workers (30) */
    int broker_pid;        /* --broker-pid PID: ztaskd's, for its CPU time; 0: unknown */
} sched_options_t;

/* Sets the defaults, also those of run's flags (--res-ms 2, --timeline none). */
void sched_options_init (sched_options_t *self, sched_run_t *run);
/* Parses the shared flag at argv[*index] and its value (--broker, --system,
   --timeline, --seed, --work, --res-ms, --rep, --broker-pid, --wait-fleet)
   into self or run, and moves *index onto the value: 1. A flag not among
   them: 0 (*index unchanged). A shared flag without a value, or with a
   value that is not a whole number (a number for --work and --res-ms):
   -1. */
int sched_options_parse (sched_options_t *self, sched_run_t *run, int argc, char *argv[], int *index);
/* After the flags: 0 when the values are in range (--work above 0 and at
   most 1e6, --res-ms and --wait-fleet not negative), else -1. */
int sched_options_check (const sched_options_t *self, const sched_run_t *run);

/* ---- running ---- */

/* The stall probe: a thread that sleeps to a deadline every millisecond
   and records each wake-up 5 ms or more late in self->stalls (allocated
   here) until the actor is destroyed. On a shared 2-core machine every
   process sometimes gets no CPU for tens of milliseconds; slot idleness
   inside such a stall is the machine's, not the broker's. */
zactor_t *sched_stall_probe_new (sched_run_t *self);
/* Microseconds of [from_us, to_us) inside stalls. */
int64_t sched_stalled_us (const sched_run_t *self, int64_t from_us, int64_t to_us);

/* Waits up to timeout_ms for sock to be readable. */
bool sched_readable (zsock_t *sock, long timeout_ms);
bool sched_has_message (zsock_t *sock);

/* Parses a busy result "START_US END_US" into the task: 0, or -1. */
int sched_parse_times (sched_run_task_t *task, const char *text);

/* Marks every task without an outcome failed; returns how many. */
size_t sched_fail_unfinished (sched_run_t *self);

/* ---- the measures ---- */

/* The lower bound of the makespan and its parts (microseconds). */
typedef struct {
    double bound_us;     /* the largest of the rest                           */
    double slots_us;     /* max over sets U of workers: the work only U can run / U's slots */
    double resources_us; /* the same for each resource: its work (amount x time) / U's total */
    double limits_us;    /* each limit: the work under it / its maximum          */
    double arrival_us;   /* the latest submit + duration                         */
    double all_slots_us; /* all the work / all the slots                         */
} sched_bound_t;

void sched_lower_bound (const sched_run_t *self, sched_bound_t *bound);

/* Prints the "# " diagnostics and the RESULT line (workload, system,
   rep; extra: more "key=value" fields, may be NULL), writes the timeline
   file if asked. broker_cpu_us < 0: unknown. Returns the number of tasks
   that ran on a worker that cannot run them (0 unless something is wrong). */
size_t sched_report (const sched_run_t *self, const char *workload, const char *system, int rep,
                     int64_t broker_cpu_us, size_t errors, const char *extra);

#endif
