/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  s1_sched - workload S1, scheduling quality (docs/performance.md).

    Durations scaled 1000x down from 5 s-20 min (5 ms-1.2 s, log-uniform),
    three task types (busy_a, busy_b, busy_c: tests/fixtures/busy.c) over
    workers with different plugin sets, three priorities: a flood of low
    tasks at t=0 holding most of the work, normal and high tasks arriving
    throughout. Every run of a task reports its CLOCK_MONOTONIC start and
    end, so the tool rebuilds each worker's timeline and measures:

    - idle: slot time spent idle while a task that slot could run (its
      worker has the plugin and serves the priority) was waiting, summed
      over the slots. `idle_raw_ms` counts every microsecond; `idle_ms`
      allows each dispatch `res_ms` (a slot counts as busy for res_ms after
      its task ends, a task as waiting only from res_ms after its submit)
      and leaves out machine stalls: what remains is idleness that neither
      a dispatch round trip nor the machine explains. A probe thread that
      wakes every millisecond records each wake-up 5 ms or more late as a
      stall (`stall_ms`, `stalls`); idleness inside stalls is
      `idle_in_stalls_ms`. The "# idle:" and "# gap:" lines name the worst
      stretches and tasks, with times from the first submit.
    - the queue wait (start - submit) of high tasks: p50 / p99 / max (also
      the RESULT line's p50_us / p99_us / max_us), and the p99 of the
      waits less the machine stalls inside them;
    - the makespan (last end - first submit) against a lower bound: the
      largest of work(C) / slots eligible for C over every set C of
      (type, priority) classes (total work / slots when every slot can
      run everything), and submit + duration of each task;
    - per task dispatch gap: start - max (submit, when a slot of the worker
      that ran it became free).

        s1_sched --print-fleet [--fleet F]      the workers to start, one a line:
                                                NAME SLOTS all|high PLUGIN...
        s1_sched --broker ENDPOINT [options]    through ztaskd and those workers
        s1_sched --pushpull [options]           through plain ZeroMQ PUSH/PULL

    Options: --fleet reserved|flat (default reserved: one worker serves only
    high; flat: it serves every level), --seed N (1), --work S (slot-seconds
    of work in all, 450: about S / 18 seconds with the reserved fleet, whose
    18 general slots do the low work), --res-ms R (2),
    --rep N, --system NAME (RESULT's system=), --timeline FILE (one line per
    task), --wait-fleet S (30: how long to wait for the workers),
    --broker-pid PID (report ztaskd's CPU time per task).

    --pushpull runs the same task list through one PUSH socket to one PULL
    socket per slot (threads in this process, the slot counts of the fleet),
    results back over PUSH to a PULL sink: round-robin with ZeroMQ's default
    prefetch, no priorities, and every slot runs every type (round robin
    cannot honour plugin sets), so its fleet is the flat one with all
    plugins everywhere: it is measured against its own, lower bound.
*/
#define _GNU_SOURCE
#include "bench_common.h"
#include "proto/ztask_msg.h"
#include <ztask/client.h>

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TYPE_COUNT 3
#define PRIORITY_LOW 0
#define PRIORITY_NORMAL 5
#define PRIORITY_HIGH 9
#define LEVELS_ALL 0x3ffu
#define LEVELS_HIGH (1u << PRIORITY_HIGH)
#define SHORTEST_MS 5.0
#define LONGEST_MS 1200.0
#define WAIT_CORR 0x80000000u    /* corr of a WAIT: task index + 1 | this bit   */
#define ANSWER_TIMEOUT_US 120000000 /* no answer for this long: give up            */
#define DIAGNOSE_COUNT 5         /* worst idle stretches and gaps printed        */
#define PROBE_TICK_US 1000       /* the stall probe's period                     */
#define STALL_MIN_US 5000        /* a tick this late: the machine stalled        */
#define STALLS_MAX 100000        /* stalls recorded at most                      */

static const char *s_type_names[TYPE_COUNT] = { "busy_a", "busy_b", "busy_c" };
static const double s_type_weights[TYPE_COUNT] = { 0.3, 0.4, 0.3 };

/* One worker of the fleet. */
typedef struct {
    const char *name; /* worker name in its config and in TASK_INFO        */
    int slots;        /* tasks it runs at once                              */
    unsigned types;   /* bit t: has plugin s_type_names[t]                  */
    unsigned levels;  /* bit p: serves priority p                           */
} fleet_worker_t;

/* The heterogeneous fleet: two workers for a+b, two for b+c, one general
   a+b+c, one a+b+c worker reserved for high tasks (--fleet reserved) or
   serving every level (--fleet flat). 24 slots, 18 of them general. */
static const fleet_worker_t s_fleet_reserved[] = {
    { "s1-ab-1", 4, 3u, LEVELS_ALL },  { "s1-ab-2", 4, 3u, LEVELS_ALL },
    { "s1-bc-1", 4, 6u, LEVELS_ALL },  { "s1-bc-2", 4, 6u, LEVELS_ALL },
    { "s1-abc", 2, 7u, LEVELS_ALL },   { "s1-urgent", 6, 7u, LEVELS_HIGH },
};
#define FLEET_SIZE (sizeof s_fleet_reserved / sizeof s_fleet_reserved[0])

/* A time in which the machine ran nothing of ours: the stall probe woke
   STALL_MIN_US or more after its deadline. */
typedef struct {
    int64_t from_us, to_us;
} stall_t;

/* One task of the workload and what became of it. */
typedef struct {
    int type;          /* index into s_type_names                               */
    int priority;      /* PRIORITY_LOW, _NORMAL or _HIGH                        */
    int64_t at_us;     /* when to submit it, from the start of the run          */
    unsigned ms;       /* nominal duration                                      */
    int64_t submit_us; /* monotonic time it was sent                            */
    int64_t start_us;  /* monotonic times the run began and ended (its plugin)  */
    int64_t end_us;
    int worker;        /* fleet index of the worker that ran it; -1: none yet   */
    uint64_t id;       /* the broker's task id (0 with --pushpull)              */
    int64_t created_ms;    /* wall clock: the broker accepted it (TASK_INFO)    */
    int64_t dispatched_ms; /* wall clock: the broker started it                 */
    int64_t finished_ms;   /* wall clock: the broker had its RESULT             */
    bool finished;     /* its outcome is known                                  */
    bool failed;       /* it did not end done, or its result made no sense      */
} task_t;

typedef struct {
    fleet_worker_t fleet[FLEET_SIZE]; /* the workers the run uses                   */
    const char *fleet_name;           /* "reserved" or "flat"                        */
    task_t *tasks;                    /* the workload, in submission order           */
    size_t count;                     /* tasks                                       */
    uint64_t seed;                    /* workload seed                               */
    double work_s;                    /* slot-seconds of work asked for              */
    double res_ms;                    /* dispatch allowance of idle_ms               */
    int64_t t0_us;                    /* first submit                                */
    int64_t wall_offset_us;           /* CLOCK_REALTIME - CLOCK_MONOTONIC, in us     */
    size_t errors;                    /* tasks that failed, errors from the broker   */
    const char *timeline;             /* file for one line per task, or NULL         */
    stall_t *stalls;                  /* when the machine stalled (the probe)        */
    size_t stall_count;
    int broker_pid;                   /* ztaskd's pid for its CPU time; 0: unknown   */
    int64_t broker_cpu_us;            /* its CPU time over the run; -1: unknown      */
} s1_t;

/* ---- the workload ---- */

static uint64_t
s_next_random (uint64_t *state)
{
    /* splitmix64: the same numbers on every machine for one seed */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
s_uniform (uint64_t *state)
{
    return (double) (s_next_random (state) >> 11) / 9007199254740992.0;
}

static unsigned
s_duration_ms (uint64_t *state)
{
    double ms = exp (log (SHORTEST_MS) + s_uniform (state) * (log (LONGEST_MS) - log (SHORTEST_MS)));
    return (unsigned) (ms + 0.5);
}

static int
s_random_type (uint64_t *state)
{
    double u = s_uniform (state);
    for (int t = 0; t < TYPE_COUNT - 1; t++) {
        if (u < s_type_weights[t])
            return t;
        u -= s_type_weights[t];
    }
    return TYPE_COUNT - 1;
}

static void
s_add_task (s1_t *self, size_t *capacity, int type, int priority, int64_t at_us, unsigned ms)
{
    if (self->count == *capacity) {
        *capacity = *capacity ? 2 * *capacity : 1024;
        self->tasks = (task_t *) realloc (self->tasks, *capacity * sizeof (task_t));
        if (!self->tasks)
            abort ();
    }
    task_t *task = &self->tasks[self->count++];
    memset (task, 0, sizeof *task);
    task->type = type;
    task->priority = priority;
    task->at_us = at_us;
    task->ms = ms;
    task->worker = -1;
}

/* By submit time, then by generation order (kept in id until the run). */
static int
s_by_arrival (const void *a, const void *b)
{
    const task_t *x = (const task_t *) a, *y = (const task_t *) b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The workload for a seed: the arrivals of high tasks (every 100-300 ms)
   and normal ones (every 100-300 ms) over 90% of work_s / 24 (when 24
   slots that could all run everything would be done), then a flood of low
   tasks at t=0 that brings the work to work_s slot-seconds.
   The schedule depends only on the seed and work_s, not on the fleet. */
static void
s_generate (s1_t *self)
{
    uint64_t state = self->seed;
    size_t capacity = 0;
    double horizon_us = self->work_s / 24.0 * 0.9 * 1e6;
    double work_ms = 0;
    const int arriving[2] = { PRIORITY_HIGH, PRIORITY_NORMAL };
    for (int k = 0; k < 2; k++)
        for (double at = 100e3 + s_uniform (&state) * 200e3; at < horizon_us;
             at += 100e3 + s_uniform (&state) * 200e3) {
            int type = s_random_type (&state);
            unsigned ms = s_duration_ms (&state);
            s_add_task (self, &capacity, type, arriving[k], (int64_t) at, ms);
            work_ms += ms;
        }
    while (work_ms < self->work_s * 1000) {
        int type = s_random_type (&state);
        unsigned ms = s_duration_ms (&state);
        s_add_task (self, &capacity, type, PRIORITY_LOW, 0, ms);
        work_ms += ms;
    }
    for (size_t i = 0; i < self->count; i++)
        self->tasks[i].id = i;
    qsort (self->tasks, self->count, sizeof (task_t), s_by_arrival);
    for (size_t i = 0; i < self->count; i++)
        self->tasks[i].id = 0;
}

static bool
s_eligible (const fleet_worker_t *worker, const task_t *task)
{
    return (worker->types & (1u << task->type)) && (worker->levels & (1u << task->priority));
}

static int
s_fleet_index (const s1_t *self, const char *name)
{
    for (size_t w = 0; w < FLEET_SIZE; w++)
        if (streq (self->fleet[w].name, name))
            return (int) w;
    return -1;
}

/* Parses a busy result "START_US END_US" into the task. */
static int
s_parse_times (task_t *task, const char *text)
{
    long long start, end;
    char extra;
    if (sscanf (text, "%lld %lld %c", &start, &end, &extra) != 2 || end < start || start <= 0)
        return -1;
    task->start_us = start;
    task->end_us = end;
    return 0;
}

/* Sleeps ms to an absolute deadline, as the busy plugin does. */
static void
s_busy (unsigned ms, int64_t *start_us, int64_t *end_us)
{
    *start_us = bench_now_us ();
    int64_t deadline_us = *start_us + (int64_t) ms * 1000;
    struct timespec until = { (time_t) (deadline_us / 1000000), (long) (deadline_us % 1000000) * 1000 };
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
    *end_us = bench_now_us ();
}

/* Waits up to timeout_ms for sock to be readable. */
static bool
s_readable (zsock_t *sock, long timeout_ms)
{
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    return zmq_poll (&item, 1, timeout_ms) > 0 && (item.revents & ZMQ_POLLIN);
}

static bool
s_has_message (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}

/* The stall probe: a thread that sleeps to a deadline every PROBE_TICK_US
   and records each wake-up STALL_MIN_US or more late. On a shared 2-core
   machine every process sometimes gets no CPU for tens of milliseconds;
   slot idleness inside such a stall is the machine's, not the broker's, and
   is reported apart. Writes self->stalls until the actor is destroyed. */
static void
s_stall_probe (zsock_t *pipe, void *args)
{
    s1_t *self = (s1_t *) args;
    zsock_signal (pipe, 0);
    int64_t deadline = bench_now_us ();
    while (!(zsock_events (pipe) & ZMQ_POLLIN)) {
        deadline += PROBE_TICK_US;
        struct timespec until = { (time_t) (deadline / 1000000), (long) (deadline % 1000000) * 1000 };
        while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
            ;
        int64_t now = bench_now_us ();
        if (now - deadline >= STALL_MIN_US && self->stall_count < STALLS_MAX)
            self->stalls[self->stall_count++] = (stall_t) { deadline, now };
        if (now - deadline > PROBE_TICK_US)
            deadline = now; /* no catching up after a stall */
    }
}

/* Microseconds of [from_us, to_us) inside stalls. */
static int64_t
s_stalled_us (const s1_t *self, int64_t from_us, int64_t to_us)
{
    int64_t total = 0;
    for (size_t k = 0; k < self->stall_count; k++) {
        int64_t from = self->stalls[k].from_us > from_us ? self->stalls[k].from_us : from_us;
        int64_t to = self->stalls[k].to_us < to_us ? self->stalls[k].to_us : to_us;
        total += to > from ? to - from : 0;
    }
    return total;
}

/* ---- through ztaskd ---- */

/* Does the broker's WORKERS answer show every fleet worker as configured
   (and no other worker with a busy_* plugin)? Sets why when not. */
static bool
s_fleet_matches (const s1_t *self, const char *json_text, char *why, size_t size)
{
    json_error_t error;
    json_t *root = json_loads (json_text, 0, &error);
    json_t *list = root ? json_object_get (root, "workers") : NULL;
    bool seen[FLEET_SIZE] = { false };
    bool ok = json_is_array (list);
    snprintf (why, size, "%s", ok ? "" : "WORKERS answer is not {\"workers\": [...]}");
    size_t i;
    json_t *entry;
    json_array_foreach (ok ? list : NULL, i, entry) {
        const char *name = json_string_value (json_object_get (entry, "name"));
        int w = name ? s_fleet_index (self, name) : -1;
        unsigned types = 0, levels = 0;
        size_t j;
        json_t *item;
        json_array_foreach (json_object_get (entry, "plugins"), j, item) {
            const char *plugin = json_string_value (json_object_get (item, "name"));
            for (int t = 0; t < TYPE_COUNT; t++)
                if (plugin && streq (plugin, s_type_names[t]))
                    types |= 1u << t;
        }
        json_array_foreach (json_object_get (entry, "priorities"), j, item)
            levels |= 1u << (json_integer_value (item) & 15);
        if (w < 0) {
            if (types) {
                snprintf (why, size, "worker %s, not in the fleet, runs busy_* tasks", name ? name : "?");
                ok = false;
            }
            continue;
        }
        const fleet_worker_t *want = &self->fleet[w];
        if (json_integer_value (json_object_get (entry, "slots")) != want->slots || types != want->types
            || levels != want->levels) {
            snprintf (why, size, "worker %s has slots/plugins/priorities other than the fleet's", name);
            ok = false;
        }
        seen[w] = true;
    }
    for (size_t w = 0; ok && w < FLEET_SIZE; w++)
        if (!seen[w]) {
            snprintf (why, size, "worker %s is not registered", self->fleet[w].name);
            ok = false;
        }
    json_decref (root);
    return ok;
}

/* Waits until the broker lists the fleet. Returns 0 or -1. */
static int
s_wait_fleet (const s1_t *self, zsock_t *sock, ztask_msg_t *msg, int seconds)
{
    char why[300] = "no answer from the broker";
    int64_t deadline = bench_now_us () + (int64_t) seconds * 1000000;
    for (uint32_t corr = 1; bench_now_us () < deadline; corr++) {
        ztask_msg_reset (msg, ZTASK_MSG_WORKERS);
        msg->corr = corr;
        if (ztask_msg_send (msg, sock) != 0)
            break;
        while (s_readable (sock, 1000)) {
            if (ztask_msg_recv (msg, sock, false) != 0 || msg->corr != corr)
                continue;
            if (msg->command != ZTASK_MSG_JSON || !msg->body)
                break;
            char *text = zframe_strdup (msg->body);
            bool ok = s_fleet_matches (self, text, why, sizeof why);
            free (text);
            if (ok)
                return 0;
            break;
        }
        zclock_sleep (200);
    }
    fprintf (stderr, "s1_sched: the fleet is not ready after %d s: %s\n", seconds, why);
    return -1;
}

static void
s_ztask_submit (s1_t *self, zsock_t *sock, ztask_msg_t *msg, size_t i)
{
    task_t *task = &self->tasks[i];
    char payload[16];
    int length = snprintf (payload, sizeof payload, "%u", task->ms);
    ztask_msg_reset (msg, ZTASK_MSG_SUBMIT);
    msg->corr = (uint32_t) i + 1;
    ztask_msg_strcpy (msg->type, s_type_names[task->type]);
    msg->priority = (uint8_t) task->priority;
    msg->max_attempts = 1;
    ztask_msg_set_body (msg, payload, (size_t) length);
    task->submit_us = bench_now_us ();
    if (ztask_msg_send (msg, sock) != 0) {
        task->finished = task->failed = true;
        self->errors++;
    }
}

/* Ends task i as failed, saying why once. */
static void
s_fail (s1_t *self, size_t i, const char *why)
{
    if (self->errors++ == 0)
        fprintf (stderr, "s1_sched: task #%zu: %s\n", i, why);
    self->tasks[i].finished = self->tasks[i].failed = true;
}

/* Handles one answer from the broker; returns 1 when a task finished. */
static int
s_ztask_answer (s1_t *self, zsock_t *sock, ztask_msg_t *msg)
{
    if (ztask_msg_recv (msg, sock, false) != 0)
        return 0;
    size_t i = (size_t) (msg->corr & ~WAIT_CORR) - 1;
    if (msg->corr == 0 || i >= self->count || self->tasks[i].finished)
        return 0;
    task_t *task = &self->tasks[i];
    char why[400];
    switch (msg->command) {
    case ZTASK_MSG_SUBMITTED:
        task->id = msg->task_id;
        ztask_msg_reset (msg, ZTASK_MSG_WAIT);
        msg->corr = (uint32_t) (i + 1) | WAIT_CORR;
        msg->task_id = task->id;
        if (ztask_msg_send (msg, sock) != 0) {
            s_fail (self, i, "cannot send WAIT");
            return 1;
        }
        return 0;
    case ZTASK_MSG_TASK_INFO:
        if (msg->state != ZTASK_STATE_DONE && msg->state != ZTASK_STATE_FAILED
            && msg->state != ZTASK_STATE_CANCELLED)
            return 0;
        task->worker = s_fleet_index (self, msg->worker);
        task->created_ms = msg->created_ms;
        task->dispatched_ms = msg->started_ms;
        task->finished_ms = msg->finished_ms;
        if (msg->state != ZTASK_STATE_DONE) {
            snprintf (why, sizeof why, "task %" PRIu64 " ended %s: %s", task->id,
                      msg->state == ZTASK_STATE_FAILED ? "failed" : "cancelled", msg->error);
            s_fail (self, i, why);
            return 1;
        }
        char *text = msg->body ? zframe_strdup (msg->body) : strdup ("");
        if (task->worker < 0 || s_parse_times (task, text) != 0) {
            snprintf (why, sizeof why, "task %" PRIu64 ": unknown worker '%s' or result '%.40s'",
                      task->id, msg->worker, text);
            s_fail (self, i, why);
        }
        free (text);
        task->finished = true;
        return 1;
    case ZTASK_MSG_ERROR:
        snprintf (why, sizeof why, "broker: %s: %s", ztask_msg_error_name (msg->error_status), msg->text);
        s_fail (self, i, why);
        return 1;
    default:
        return 0; /* PROGRESS */
    }
}

/* Submits the workload on schedule (pipelined), waits for every task. */
static int
s_run_ztask (s1_t *self, const char *endpoint, int wait_fleet_s)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert (sock);
    zsock_set_sndhwm (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    zsock_set_linger (sock, 0);
    ztask_msg_t *msg = ztask_msg_new ();
    int rc = -1;
    if (zsock_connect (sock, "%s", endpoint) != 0)
        fprintf (stderr, "s1_sched: cannot connect to %s\n", endpoint);
    else if (s_wait_fleet (self, sock, msg, wait_fleet_s) == 0) {
        size_t next = 0, finished = 0;
        int64_t cpu_before = self->broker_pid ? bench_process_cpu_us (self->broker_pid) : -1;
        self->t0_us = bench_now_us ();
        struct timespec wall;
        clock_gettime (CLOCK_REALTIME, &wall);
        self->wall_offset_us = (int64_t) wall.tv_sec * 1000000 + wall.tv_nsec / 1000 - bench_now_us ();
        int64_t last_answer = self->t0_us;
        while (finished < self->count && !zsys_interrupted) {
            int64_t now = bench_now_us ();
            for (int burst = 0; next < self->count && self->t0_us + self->tasks[next].at_us <= now
                                && burst < 256;
                 burst++)
                s_ztask_submit (self, sock, msg, next++);
            long timeout_ms = 0;
            if (next < self->count && self->t0_us + self->tasks[next].at_us > now)
                timeout_ms = (long) ((self->t0_us + self->tasks[next].at_us - now) / 1000);
            else if (next == self->count)
                timeout_ms = 1000;
            if (s_readable (sock, timeout_ms)) {
                last_answer = bench_now_us ();
                while (s_has_message (sock))
                    finished += (size_t) s_ztask_answer (self, sock, msg);
            }
            if (bench_now_us () - last_answer > ANSWER_TIMEOUT_US) {
                fprintf (stderr, "s1_sched: no answer from the broker for %d s; %zu of %zu tasks unfinished\n",
                         ANSWER_TIMEOUT_US / 1000000, self->count - finished, self->count);
                break;
            }
        }
        rc = finished == self->count ? 0 : -1;
        int64_t cpu_after = self->broker_pid ? bench_process_cpu_us (self->broker_pid) : -1;
        if (cpu_before >= 0 && cpu_after >= 0)
            self->broker_cpu_us = cpu_after - cpu_before;
    }
    ztask_msg_destroy (&msg);
    zsock_destroy (&sock);
    return rc;
}

/* ---- through plain ZeroMQ PUSH/PULL ---- */

typedef struct {
    char vent[64]; /* the PUSH socket's endpoint                 */
    char sink[64]; /* the results' PULL socket's endpoint        */
    int worker;    /* fleet index the slot belongs to            */
    int slot;      /* the slot's number, 0 to the fleet's slots  */
} pp_slot_args_t;

#define PP_SLOTS_MAX 256

/* One slot: a PULL socket taking "INDEX MS" round robin, answering
   "INDEX START_US END_US WORKER" (and "HELLO" with "HELLO SLOT") to the
   sink. */
static void
s_pp_slot (zsock_t *pipe, void *args)
{
    pp_slot_args_t *self = (pp_slot_args_t *) args;
    zsock_t *pull = zsock_new_pull (self->vent);
    zsock_t *push = zsock_new_push (self->sink);
    assert (pull && push);
    zpoller_t *poller = zpoller_new (pipe, pull, NULL);
    zsock_signal (pipe, 0);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != pull)
            break; /* $TERM or interrupted */
        char *text = zstr_recv (pull);
        if (!text)
            break;
        size_t index;
        unsigned ms;
        if (streq (text, "HELLO"))
            zstr_sendf (push, "HELLO %d", self->slot);
        else if (sscanf (text, "%zu %u", &index, &ms) == 2) {
            int64_t start_us, end_us;
            s_busy (ms, &start_us, &end_us);
            zstr_sendf (push, "%zu %" PRId64 " %" PRId64 " %d", index, start_us, end_us, self->worker);
        }
        zstr_free (&text);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&pull);
    zsock_destroy (&push);
}

static int
s_run_pushpull (s1_t *self)
{
    self->fleet_name = "all-everywhere";
    for (size_t w = 0; w < FLEET_SIZE; w++) {
        self->fleet[w].types = (1u << TYPE_COUNT) - 1;
        self->fleet[w].levels = LEVELS_ALL;
    }
    zsock_t *vent = zsock_new_push ("@tcp://127.0.0.1:*");
    zsock_t *sink = zsock_new_pull ("@tcp://127.0.0.1:*");
    assert (vent && sink);
    pp_slot_args_t args[PP_SLOTS_MAX];
    zactor_t *actors[PP_SLOTS_MAX];
    size_t actor_count = 0;
    for (size_t w = 0; w < FLEET_SIZE; w++)
        for (int s = 0; s < self->fleet[w].slots && actor_count < PP_SLOTS_MAX; s++) {
            pp_slot_args_t *slot = &args[actor_count];
            snprintf (slot->vent, sizeof slot->vent, ">%s", zsock_endpoint (vent));
            snprintf (slot->sink, sizeof slot->sink, ">%s", zsock_endpoint (sink));
            slot->worker = (int) w;
            slot->slot = (int) actor_count;
            actors[actor_count++] = zactor_new (s_pp_slot, slot);
        }
    /* Round robin only spreads over the PULL sockets already connected:
       send HELLOs until every slot has answered one, then wait for the
       answers to the rest, so that no HELLO is left in a queue. */
    bool seen[PP_SLOTS_MAX] = { false };
    size_t hellos = 0, answered = 0, slots_seen = 0;
    int64_t deadline = bench_now_us () + 10000000;
    while (slots_seen < actor_count && bench_now_us () < deadline) {
        zstr_send (vent, "HELLO");
        hellos++;
        while (s_readable (sink, 2)) {
            char *text = zstr_recv (sink);
            int slot;
            if (text && sscanf (text, "HELLO %d", &slot) == 1 && slot >= 0 && slot < (int) actor_count) {
                answered++;
                slots_seen += !seen[slot];
                seen[slot] = true;
            }
            zstr_free (&text);
        }
    }
    bool ready = slots_seen == actor_count;
    while (answered < hellos && s_readable (sink, 1000)) {
        char *text = zstr_recv (sink);
        answered++;
        zstr_free (&text);
    }
    size_t next = 0, finished = 0;
    self->t0_us = bench_now_us ();
    int64_t last_answer = self->t0_us;
    while (ready && finished < self->count && !zsys_interrupted) {
        int64_t now = bench_now_us ();
        for (; next < self->count && self->t0_us + self->tasks[next].at_us <= now; next++) {
            self->tasks[next].submit_us = bench_now_us ();
            zstr_sendf (vent, "%zu %u", next, self->tasks[next].ms);
        }
        long timeout_ms = next < self->count
                              ? (long) ((self->t0_us + self->tasks[next].at_us - now) / 1000)
                              : 1000;
        if (s_readable (sink, timeout_ms > 0 ? timeout_ms : 0)) {
            last_answer = bench_now_us ();
            while (s_has_message (sink)) {
                char *text = zstr_recv (sink);
                size_t index;
                long long start, end;
                int worker;
                if (text && sscanf (text, "%zu %lld %lld %d", &index, &start, &end, &worker) == 4
                    && index < self->count && !self->tasks[index].finished && worker >= 0
                    && worker < (int) FLEET_SIZE) {
                    self->tasks[index].start_us = start;
                    self->tasks[index].end_us = end;
                    self->tasks[index].worker = worker;
                    self->tasks[index].finished = true;
                    finished++;
                }
                zstr_free (&text);
            }
        }
        if (bench_now_us () - last_answer > ANSWER_TIMEOUT_US)
            break;
    }
    for (size_t a = 0; a < actor_count; a++)
        zactor_destroy (&actors[a]);
    zsock_destroy (&vent);
    zsock_destroy (&sink);
    if (!ready)
        fprintf (stderr, "s1_sched: the PULL slots did not all connect\n");
    return ready && finished == self->count ? 0 : -1;
}

/* ---- the measures ---- */

/* A change on one worker's timeline. */
typedef struct {
    int64_t at_us;
    int busy;    /* change of running tasks                 */
    int waiting; /* change of eligible waiting ones         */
    int stalled; /* change of machine stalls (the probe's)  */
} change_t;

static int
s_by_time (const void *a, const void *b)
{
    const change_t *x = (const change_t *) a, *y = (const change_t *) b;
    return x->at_us < y->at_us ? -1 : x->at_us > y->at_us;
}

/* A stretch of time in which slots of a worker idled while work waited. */
typedef struct {
    int worker;
    int64_t from_us, to_us;
    double slot_us; /* slot-microseconds idle in it */
} stretch_t;

/* Keeps the DIAGNOSE_COUNT largest stretches, largest first. */
static void
s_keep_stretch (stretch_t *worst, stretch_t stretch)
{
    for (int k = 0; k < DIAGNOSE_COUNT; k++)
        if (stretch.slot_us > worst[k].slot_us) {
            memmove (&worst[k + 1], &worst[k], (size_t) (DIAGNOSE_COUNT - 1 - k) * sizeof (stretch_t));
            worst[k] = stretch;
            return;
        }
}

/* Whose clock a timeline is read from: the slots' (the busy plugin's start
   and end, the submitter's send; microseconds), or the broker's (when it
   accepted, started and finished the task; whole milliseconds). */
typedef enum { VIEW_SLOTS, VIEW_BROKER } view_t;

/* Monotonic microseconds of a broker wall-clock millisecond. */
static int64_t
s_broker_us (const s1_t *self, int64_t wall_ms)
{
    return wall_ms * 1000 - self->wall_offset_us;
}

/* A task's submit, start and end as a view sees them. */
static void
s_times (const s1_t *self, const task_t *task, view_t view, int64_t *submit, int64_t *start,
         int64_t *end)
{
    if (view == VIEW_BROKER) {
        *submit = s_broker_us (self, task->created_ms);
        *start = s_broker_us (self, task->dispatched_ms);
        *end = s_broker_us (self, task->finished_ms);
    }
    else {
        *submit = task->submit_us;
        *start = task->start_us;
        *end = task->end_us;
    }
}

/* Slot-microseconds idle while eligible work waited, over every worker:
   the integral of min (free slots, eligible waiting tasks) per worker. A
   slot stays busy for allow_us after its task ends; a task waits from
   allow_us after its submit. With skip_stalls, time in which the machine
   stalled (see s_stall_probe) does not count. worst (may be NULL) gets the
   worst stretches. */
static double
s_idle_us (const s1_t *self, view_t view, int64_t allow_us, bool skip_stalls, stretch_t *worst)
{
    size_t stalls = skip_stalls ? self->stall_count : 0;
    change_t *changes = (change_t *) malloc ((4 * self->count + 2 * stalls) * sizeof (change_t));
    assert (changes);
    double total = 0;
    for (size_t w = 0; w < FLEET_SIZE; w++) {
        size_t n = 0;
        for (size_t i = 0; i < self->count; i++) {
            const task_t *task = &self->tasks[i];
            if (task->failed)
                continue;
            int64_t submit, start, end;
            s_times (self, task, view, &submit, &start, &end);
            if (s_eligible (&self->fleet[w], task) && submit + allow_us < start) {
                changes[n++] = (change_t) { submit + allow_us, 0, 1, 0 };
                changes[n++] = (change_t) { start, 0, -1, 0 };
            }
            if (task->worker == (int) w) {
                changes[n++] = (change_t) { start, 1, 0, 0 };
                changes[n++] = (change_t) { end + allow_us, -1, 0, 0 };
            }
        }
        for (size_t k = 0; k < stalls; k++) {
            changes[n++] = (change_t) { self->stalls[k].from_us, 0, 0, 1 };
            changes[n++] = (change_t) { self->stalls[k].to_us, 0, 0, -1 };
        }
        qsort (changes, n, sizeof (change_t), s_by_time);
        int busy = 0, waiting = 0, stalled = 0;
        stretch_t stretch = { (int) w, 0, 0, 0 };
        for (size_t k = 0; k < n;) {
            int64_t at = changes[k].at_us;
            for (; k < n && changes[k].at_us == at; k++) {
                busy += changes[k].busy;
                waiting += changes[k].waiting;
                stalled += changes[k].stalled;
            }
            int free_slots = self->fleet[w].slots - busy;
            int idle = stalled ? 0 : free_slots < waiting ? free_slots : waiting;
            if (idle > 0 && k < n) {
                double slot_us = (double) idle * (double) (changes[k].at_us - at);
                total += slot_us;
                if (stretch.slot_us == 0)
                    stretch.from_us = at;
                stretch.to_us = changes[k].at_us;
                stretch.slot_us += slot_us;
            }
            else if (stretch.slot_us > 0) {
                if (worst)
                    s_keep_stretch (worst, stretch);
                stretch.slot_us = 0;
            }
        }
        if (worst && stretch.slot_us > 0)
            s_keep_stretch (worst, stretch);
    }
    free (changes);
    return total;
}

/* The first task (in submission order) eligible for worker w and waiting
   at time at_us; -1 if none. */
static long
s_waiting_task (const s1_t *self, view_t view, int w, int64_t at_us, int64_t allow_us)
{
    for (size_t i = 0; i < self->count; i++) {
        const task_t *task = &self->tasks[i];
        int64_t submit, start, end;
        s_times (self, task, view, &submit, &start, &end);
        if (!task->failed && s_eligible (&self->fleet[w], task) && submit + allow_us <= at_us && start > at_us)
            return (long) i;
    }
    return -1;
}

/* Broker events (accept, start, finish of any task) strictly inside
   (from_us, to_us), broker view. */
static size_t
s_broker_events (const s1_t *self, int64_t from_us, int64_t to_us)
{
    size_t events = 0;
    for (size_t i = 0; i < self->count; i++) {
        const task_t *task = &self->tasks[i];
        int64_t times[3];
        s_times (self, task, VIEW_BROKER, &times[0], &times[1], &times[2]);
        for (int k = 0; k < 3; k++)
            events += !task->failed && times[k] > from_us && times[k] < to_us;
    }
    return events;
}

/* Dispatch gaps: for each task, its start minus the later of its submit and
   the moment a slot of its worker became free (slots taken oldest-free
   first). gap_of[i] gets each task's; samples all of them. */
static void
s_gaps (const s1_t *self, int64_t *gap_of, bench_samples_t *samples)
{
    change_t *changes = (change_t *) malloc (2 * self->count * sizeof (change_t));
    int64_t *free_since = (int64_t *) malloc ((self->count + 1024) * sizeof (int64_t));
    assert (changes && free_since);
    for (size_t w = 0; w < FLEET_SIZE; w++) {
        size_t n = 0;
        for (size_t i = 0; i < self->count; i++)
            if (!self->tasks[i].failed && self->tasks[i].worker == (int) w) {
                /* waiting carries the task's index; busy -1 orders ends first */
                changes[n++] = (change_t) { self->tasks[i].start_us, 1, (int) i, 0 };
                changes[n++] = (change_t) { self->tasks[i].end_us, -1, (int) i, 0 };
            }
        qsort (changes, n, sizeof (change_t), s_by_time);
        for (size_t k = 1; k < n; k++) /* ends before starts at the same time */
            for (size_t j = k; j > 0 && changes[j].at_us == changes[j - 1].at_us
                               && changes[j].busy < changes[j - 1].busy;
                 j--) {
                change_t swap = changes[j];
                changes[j] = changes[j - 1];
                changes[j - 1] = swap;
            }
        size_t head = 0, tail = 0;
        for (int s = 0; s < self->fleet[w].slots; s++)
            free_since[tail++] = self->t0_us;
        for (size_t k = 0; k < n; k++) {
            const task_t *task = &self->tasks[changes[k].waiting];
            if (changes[k].busy < 0) {
                free_since[tail++] = task->end_us;
                continue;
            }
            int64_t since = head < tail ? free_since[head++] : task->start_us;
            int64_t gap = task->start_us - (since > task->submit_us ? since : task->submit_us);
            gap_of[changes[k].waiting] = gap;
            bench_samples_add (samples, gap);
        }
    }
    free (changes);
    free (free_since);
}

/* Lower bound of the makespan: the largest of work (C) / slots that can run
   something of C over every set C of (type, priority) classes, and of each
   task's submit + duration. */
static double
s_lower_bound_us (const s1_t *self, double *all_slots_us)
{
    enum { CLASSES = TYPE_COUNT * 3 };
    const int levels[3] = { PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_HIGH };
    double work[CLASSES] = { 0 }, total = 0, bound = 0;
    for (size_t i = 0; i < self->count; i++) {
        const task_t *task = &self->tasks[i];
        if (task->failed)
            continue;
        int level = task->priority == PRIORITY_HIGH ? 2 : task->priority == PRIORITY_NORMAL;
        double duration = (double) (task->end_us - task->start_us);
        work[task->type * 3 + level] += duration;
        total += duration;
        double arrival = (double) (task->submit_us - self->t0_us) + duration;
        bound = arrival > bound ? arrival : bound;
    }
    int slots_all = 0;
    for (size_t w = 0; w < FLEET_SIZE; w++)
        slots_all += self->fleet[w].slots;
    *all_slots_us = total / slots_all;
    for (unsigned set = 1; set < (1u << CLASSES); set++) {
        double set_work = 0;
        int slots = 0;
        for (int c = 0; c < CLASSES; c++)
            if (set & (1u << c))
                set_work += work[c];
        for (size_t w = 0; w < FLEET_SIZE; w++) {
            bool any = false;
            for (int c = 0; c < CLASSES; c++)
                any = any
                      || ((set & (1u << c)) && (self->fleet[w].types & (1u << (c / 3)))
                          && (self->fleet[w].levels & (1u << levels[c % 3])));
            slots += any ? self->fleet[w].slots : 0;
        }
        if (set_work > 0 && slots > 0 && set_work / slots > bound)
            bound = set_work / slots;
    }
    return bound;
}

static const char *
s_priority_name (int priority)
{
    return priority == PRIORITY_HIGH ? "high" : priority == PRIORITY_NORMAL ? "normal" : "low";
}

static double
s_ms (const s1_t *self, int64_t at_us)
{
    return (double) (at_us - self->t0_us) / 1000.0;
}

/* A broker wall-clock time in ms from the first submit; 0 stays 0. */
static double
s_wall_ms (const s1_t *self, int64_t wall_ms)
{
    if (wall_ms == 0 || self->wall_offset_us == 0)
        return 0;
    return s_ms (self, wall_ms * 1000 - self->wall_offset_us);
}

static void
s_write_timeline (const s1_t *self, const int64_t *gap_of)
{
    FILE *file = fopen (self->timeline, "w");
    if (!file) {
        fprintf (stderr, "s1_sched: cannot write %s: %s\n", self->timeline, strerror (errno));
        return;
    }
    fprintf (file, "# index id type priority worker submit_ms start_ms end_ms gap_ms accepted_ms "
                   "dispatched_ms result_ms (ms from the first submit; the last three are the "
                   "broker's own times, wall clock to the ms: when it took the submit, sent the "
                   "task, had the result)\n");
    for (size_t i = 0; i < self->count; i++) {
        const task_t *task = &self->tasks[i];
        fprintf (file, "%zu %" PRIu64 " %s %s %s %.3f %.3f %.3f %.3f %.0f %.0f %.0f%s\n", i, task->id,
                 s_type_names[task->type], s_priority_name (task->priority),
                 task->worker >= 0 ? self->fleet[task->worker].name : "-", s_ms (self, task->submit_us),
                 s_ms (self, task->start_us), s_ms (self, task->end_us), (double) gap_of[i] / 1000.0,
                 s_wall_ms (self, task->created_ms), s_wall_ms (self, task->dispatched_ms),
                 s_wall_ms (self, task->finished_ms),
                 task->failed ? " failed" : "");
    }
    fclose (file);
}

/* A task's dispatch gap, for sorting. */
typedef struct {
    int64_t gap_us;
    size_t index;
} gap_t;

/* Largest gap first. */
static int
s_by_gap (const void *a, const void *b)
{
    const gap_t *x = (const gap_t *) a, *y = (const gap_t *) b;
    return x->gap_us > y->gap_us ? -1 : x->gap_us < y->gap_us;
}

/* Prints the RESULT line and, as # comments, the worst idle stretches and
   dispatch gaps. */
static void
s_report (s1_t *self, const char *system, int rep)
{
    bench_samples_t high = { 0 }, high_less_stalls = { 0 }, normal = { 0 }, gaps = { 0 };
    int64_t last_end = self->t0_us;
    size_t wrong_worker = 0;
    for (size_t i = 0; i < self->count; i++) {
        task_t *task = &self->tasks[i];
        if (task->failed)
            continue;
        if (task->priority == PRIORITY_HIGH) {
            bench_samples_add (&high, task->start_us - task->submit_us);
            bench_samples_add (&high_less_stalls, task->start_us - task->submit_us
                                                    - s_stalled_us (self, task->submit_us, task->start_us));
        }
        else if (task->priority == PRIORITY_NORMAL)
            bench_samples_add (&normal, task->start_us - task->submit_us);
        last_end = task->end_us > last_end ? task->end_us : last_end;
        wrong_worker += !s_eligible (&self->fleet[task->worker], task);
    }
    int64_t allow_us = (int64_t) (self->res_ms * 1000);
    stretch_t worst[DIAGNOSE_COUNT + 1];
    memset (worst, 0, sizeof worst);
    double idle_raw = s_idle_us (self, VIEW_SLOTS, 0, false, NULL);
    double idle_with_stalls = s_idle_us (self, VIEW_SLOTS, allow_us, false, NULL);
    double idle = s_idle_us (self, VIEW_SLOTS, allow_us, true, worst);
    /* The broker's own view, at its millisecond resolution: a free slot it
       knew of while it held an eligible queued task. */
    bool broker_view = self->wall_offset_us != 0;
    stretch_t broker_worst[DIAGNOSE_COUNT + 1];
    memset (broker_worst, 0, sizeof broker_worst);
    double broker_idle = broker_view ? s_idle_us (self, VIEW_BROKER, 1000, false, broker_worst) : 0;
    size_t stalls = 0;
    int64_t stalled_us = 0, longest_stall_us = 0, longest_stall_at = 0;
    for (size_t k = 0; k < self->stall_count; k++) {
        int64_t from = self->stalls[k].from_us > self->t0_us ? self->stalls[k].from_us : self->t0_us;
        int64_t to = self->stalls[k].to_us < last_end ? self->stalls[k].to_us : last_end;
        int64_t length = to - from;
        if (length <= 0)
            continue;
        stalls++;
        stalled_us += length;
        if (length > longest_stall_us) {
            longest_stall_us = length;
            longest_stall_at = self->stalls[k].from_us;
        }
    }
    int64_t *gap_of = (int64_t *) calloc (self->count, sizeof (int64_t));
    assert (gap_of);
    s_gaps (self, gap_of, &gaps);
    double all_slots_us;
    double bound_us = s_lower_bound_us (self, &all_slots_us);
    double makespan_us = (double) (last_end - self->t0_us);

    for (int k = 0; k < DIAGNOSE_COUNT && worst[k].slot_us > 0; k++) {
        long i = s_waiting_task (self, VIEW_SLOTS, worst[k].worker, worst[k].from_us, allow_us);
        printf ("# idle: %s %.3f-%.3f ms (machine stalls in the 50 ms before: %.1f ms), %.3f slot-ms "
                "idle while",
                self->fleet[worst[k].worker].name, s_ms (self, worst[k].from_us), s_ms (self, worst[k].to_us),
                (double) s_stalled_us (self, worst[k].from_us - 50000, worst[k].from_us) / 1000.0,
                worst[k].slot_us / 1000.0);
        if (i >= 0)
            printf (" task #%ld (id %" PRIu64 ", %s %s, submitted %.3f ms, started %.3f ms on %s) waited\n", i,
                    self->tasks[i].id, s_type_names[self->tasks[i].type],
                    s_priority_name (self->tasks[i].priority), s_ms (self, self->tasks[i].submit_us),
                    s_ms (self, self->tasks[i].start_us), self->fleet[self->tasks[i].worker].name);
        else
            printf (" work waited\n");
    }
    for (int k = 0; broker_view && k < DIAGNOSE_COUNT && broker_worst[k].slot_us > 0; k++) {
        const stretch_t *stretch = &broker_worst[k];
        long i = s_waiting_task (self, VIEW_BROKER, stretch->worker, stretch->from_us, 1000);
        printf ("# broker idle: %s %.0f-%.0f ms, %.0f slot-ms: the broker had a free slot there and",
                self->fleet[stretch->worker].name, s_ms (self, stretch->from_us), s_ms (self, stretch->to_us),
                stretch->slot_us / 1000.0);
        if (i >= 0)
            printf (" task #%ld (id %" PRIu64 ", %s %s, accepted %.0f ms, started %.0f ms on %s)",
                    i, self->tasks[i].id, s_type_names[self->tasks[i].type],
                    s_priority_name (self->tasks[i].priority), s_wall_ms (self, self->tasks[i].created_ms),
                    s_wall_ms (self, self->tasks[i].dispatched_ms), self->fleet[self->tasks[i].worker].name);
        else
            printf (" work");
        printf (" queued; it recorded %zu other events meanwhile\n",
                s_broker_events (self, stretch->from_us + 1000, stretch->to_us - 1000));
    }
    gap_t *by_gap = (gap_t *) malloc ((self->count + 1) * sizeof (gap_t));
    assert (by_gap);
    size_t ran = 0;
    for (size_t i = 0; i < self->count; i++)
        if (!self->tasks[i].failed)
            by_gap[ran++] = (gap_t) { gap_of[i], i };
    qsort (by_gap, ran, sizeof (gap_t), s_by_gap);
    for (size_t k = 0; k < ran && k < DIAGNOSE_COUNT; k++) {
        const task_t *task = &self->tasks[by_gap[k].index];
        printf ("# gap: task #%zu (id %" PRIu64 ", %s %s) on %s: submitted %.3f ms, dispatched %.0f ms, "
                "started %.3f ms, %.3f ms after a slot there was free for it (%.1f ms of it machine "
                "stalls)\n",
                by_gap[k].index, task->id, s_type_names[task->type], s_priority_name (task->priority),
                self->fleet[task->worker].name, s_ms (self, task->submit_us),
                s_wall_ms (self, task->dispatched_ms), s_ms (self, task->start_us),
                (double) by_gap[k].gap_us / 1000.0,
                (double) s_stalled_us (self, task->start_us - by_gap[k].gap_us, task->start_us) / 1000.0);
    }
    free (by_gap);
    if (wrong_worker)
        printf ("# %zu tasks ran on a worker the fleet says cannot run them\n", wrong_worker);
    if (stalls)
        printf ("# machine stalls (a thread woke >= %d ms late): %zu, %.1f ms in all, longest %.1f ms at %.3f ms\n",
                STALL_MIN_US / 1000, stalls, (double) stalled_us / 1000.0, (double) longest_stall_us / 1000.0,
                s_ms (self, longest_stall_at));
    if (self->timeline)
        s_write_timeline (self, gap_of);
    int slots = 0;
    for (size_t w = 0; w < FLEET_SIZE; w++)
        slots += self->fleet[w].slots;

    char broker_idle_text[32] = "-";
    if (broker_view)
        snprintf (broker_idle_text, sizeof broker_idle_text, "%.0f", broker_idle / 1000.0);
    char extra[2048];
    snprintf (extra, sizeof extra,
              "idle_ms=%.1f idle_in_stalls_ms=%.1f idle_raw_ms=%.1f res_ms=%g broker_idle_ms=%s "
              "stall_ms=%.1f stalls=%zu "
              "high_wait_p50_ms=%.3f high_wait_p99_ms=%.3f high_wait_max_ms=%.3f "
              "high_wait_p99_less_stalls_ms=%.3f normal_wait_p50_ms=%.1f normal_wait_p99_ms=%.1f makespan_s=%.3f "
              "lower_bound_s=%.3f makespan_ratio=%.4f lb_all_slots_s=%.3f gap_p50_us=%lld "
              "gap_p99_us=%lld gap_max_us=%lld high_n=%zu slots=%d fleet=%s seed=%" PRIu64
              " wrong_worker=%zu",
              idle / 1000.0, (idle_with_stalls - idle) / 1000.0, idle_raw / 1000.0, self->res_ms,
              broker_idle_text,
              (double) stalled_us / 1000.0, stalls, (double) bench_samples_quantile (&high, 0.50) / 1000.0,
              (double) bench_samples_quantile (&high, 0.99) / 1000.0,
              (double) bench_samples_quantile (&high, 1.0) / 1000.0,
              (double) bench_samples_quantile (&high_less_stalls, 0.99) / 1000.0,
              (double) bench_samples_quantile (&normal, 0.50) / 1000.0,
              (double) bench_samples_quantile (&normal, 0.99) / 1000.0, makespan_us / 1e6, bound_us / 1e6,
              bound_us > 0 ? makespan_us / bound_us : 0.0, all_slots_us / 1e6,
              (long long) bench_samples_quantile (&gaps, 0.50),
              (long long) bench_samples_quantile (&gaps, 0.99),
              (long long) bench_samples_quantile (&gaps, 1.0), high.count, slots, self->fleet_name, self->seed, wrong_worker);
    /* latency fields: the high tasks' queue wait */
    bench_result (system, "S1", rep, self->count, makespan_us / 1e6, &high, self->broker_cpu_us,
                  self->errors, extra);
    free (gap_of);
    bench_samples_free (&high);
    bench_samples_free (&high_less_stalls);
    bench_samples_free (&normal);
    bench_samples_free (&gaps);
}

/* ---- main: flags only ---- */

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: s1_sched --print-fleet [--fleet reserved|flat]\n"
             "       s1_sched --broker ENDPOINT | --pushpull [--fleet reserved|flat] [--seed N]\n"
             "                [--work SLOT_SECONDS] [--res-ms MS] [--rep N] [--system NAME]\n"
             "                [--timeline FILE] [--wait-fleet SECONDS] [--broker-pid PID]\n");
    exit (2);
}

int
main (int argc, char *argv[])
{
    s1_t self;
    memset (&self, 0, sizeof self);
    memcpy (self.fleet, s_fleet_reserved, sizeof self.fleet);
    self.fleet_name = "reserved";
    self.seed = 1;
    self.work_s = 450;
    self.res_ms = 2;
    self.broker_cpu_us = -1;
    const char *endpoint = NULL, *system = NULL;
    bool pushpull = false, print_fleet = false;
    int rep = 1, wait_fleet_s = 30;
    for (int a = 1; a < argc; a++) {
        const char *flag = argv[a];
        if (streq (flag, "--pushpull")) {
            pushpull = true;
            continue;
        }
        if (streq (flag, "--print-fleet")) {
            print_fleet = true;
            continue;
        }
        if (a + 1 >= argc)
            s_usage ();
        const char *value = argv[++a];
        char *end = NULL;
        if (streq (flag, "--broker"))
            endpoint = value;
        else if (streq (flag, "--system"))
            system = value;
        else if (streq (flag, "--timeline"))
            self.timeline = value;
        else if (streq (flag, "--fleet") && (streq (value, "reserved") || streq (value, "flat")))
            self.fleet_name = value;
        else if (streq (flag, "--seed"))
            self.seed = strtoull (value, &end, 10);
        else if (streq (flag, "--work"))
            self.work_s = strtod (value, &end);
        else if (streq (flag, "--res-ms"))
            self.res_ms = strtod (value, &end);
        else if (streq (flag, "--rep"))
            rep = (int) strtol (value, &end, 10);
        else if (streq (flag, "--broker-pid"))
            self.broker_pid = (int) strtol (value, &end, 10);
        else if (streq (flag, "--wait-fleet"))
            wait_fleet_s = (int) strtol (value, &end, 10);
        else
            s_usage ();
        if (end && (*end || end == value))
            s_usage ();
    }
    if (self.work_s <= 0 || self.work_s > 1e6 || self.res_ms < 0 || wait_fleet_s < 0)
        s_usage ();
    if (streq (self.fleet_name, "flat"))
        self.fleet[FLEET_SIZE - 1].levels = LEVELS_ALL;
    if (print_fleet) {
        for (size_t w = 0; w < FLEET_SIZE; w++) {
            printf ("%s %d %s", self.fleet[w].name, self.fleet[w].slots,
                    self.fleet[w].levels == LEVELS_HIGH ? "high" : "all");
            for (int t = 0; t < TYPE_COUNT; t++)
                if (self.fleet[w].types & (1u << t))
                    printf (" %s", s_type_names[t]);
            printf ("\n");
        }
        return 0;
    }
    if (!endpoint == !pushpull)
        s_usage ();
    zsys_init ();
    s_generate (&self);
    self.stalls = (stall_t *) malloc (STALLS_MAX * sizeof (stall_t));
    assert (self.stalls);
    zactor_t *probe = zactor_new (s_stall_probe, &self);
    int rc = pushpull ? s_run_pushpull (&self) : s_run_ztask (&self, endpoint, wait_fleet_s);
    zactor_destroy (&probe);
    for (size_t i = 0; i < self.count; i++)
        if (!self.tasks[i].finished) {
            self.tasks[i].failed = true;
            self.errors++;
        }
    if (rc == 0 || self.t0_us)
        s_report (&self, system ? system : pushpull ? "pushpull" : "ztask", rep);
    free (self.tasks);
    free (self.stalls);
    return rc == 0 && self.errors == 0 ? 0 : 1;
}
