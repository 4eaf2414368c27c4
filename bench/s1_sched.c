/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  s1_sched - workload S1, scheduling quality (docs/performance.md).

    Durations scaled 1000x down from 5 s-20 min (5 ms-1.2 s, log-uniform),
    three task types (busy_a, busy_b, busy_c: tests/fixtures/busy.c) over
    workers with different plugin sets, three priorities: a flood of low
    tasks at t=0 holding most of the work, normal and high tasks arriving
    throughout. Every run of a task reports its CLOCK_MONOTONIC start and
    end, so the tool rebuilds each worker's timeline (sched_common.c, which
    S2 shares) and measures:

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
#include "sched_common.h"
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
#define PRIORITY_LOW SCHED_PRIORITY_LOW
#define PRIORITY_NORMAL SCHED_PRIORITY_NORMAL
#define PRIORITY_HIGH SCHED_PRIORITY_HIGH
#define LEVELS_ALL SCHED_LEVELS_ALL
#define LEVELS_HIGH (1u << PRIORITY_HIGH)
#define SHORTEST_MS 5.0
#define LONGEST_MS 1200.0
#define WAIT_CORR 0x80000000u    /* corr of a WAIT: task index + 1 | this bit   */
#define ANSWER_TIMEOUT_US 120000000 /* no answer for this long: give up            */

static const char *s_type_names[TYPE_COUNT] = { "busy_a", "busy_b", "busy_c" };
static const double s_type_weights[TYPE_COUNT] = { 0.3, 0.4, 0.3 };

/* The heterogeneous fleet: two workers for a+b, two for b+c, one general
   a+b+c, one a+b+c worker reserved for high tasks (--fleet reserved) or
   serving every level (--fleet flat). 24 slots, 18 of them general. */
static const sched_fleet_worker_t s_fleet_reserved[] = {
    { "s1-ab-1", 4, 3u, LEVELS_ALL, 0, { 0 } },  { "s1-ab-2", 4, 3u, LEVELS_ALL, 0, { 0 } },
    { "s1-bc-1", 4, 6u, LEVELS_ALL, 0, { 0 } },  { "s1-bc-2", 4, 6u, LEVELS_ALL, 0, { 0 } },
    { "s1-abc", 2, 7u, LEVELS_ALL, 0, { 0 } },   { "s1-urgent", 6, 7u, LEVELS_HIGH, 0, { 0 } },
};
#define FLEET_SIZE (sizeof s_fleet_reserved / sizeof s_fleet_reserved[0])

typedef sched_run_task_t task_t;

typedef struct {
    sched_run_t run;                  /* fleet, tasks, clocks, stalls (sched_common.h) */
    const char *fleet_name;           /* "reserved" or "flat"                        */
    sched_options_t options;          /* the shared flags: seed, work, broker pid... */
    size_t errors;                    /* tasks that failed, errors from the broker   */
    int64_t broker_cpu_us;            /* its CPU time over the run; -1: unknown      */
} s1_t;

/* ---- the workload ---- */

/* The workload for a seed: the arrivals of high tasks (every 100-300 ms)
   and normal ones (every 100-300 ms) over 90% of work_s / 24 (when 24
   slots that could all run everything would be done), then a flood of low
   tasks at t=0 that brings the work to work_s slot-seconds.
   The schedule depends only on the seed and work_s, not on the fleet. */
static void
s_generate (s1_t *self)
{
    uint64_t state = self->options.seed;
    double horizon_us = self->options.work_s / 24.0 * 0.9 * 1e6;
    double work_ms = 0;
    const int arriving[2] = { PRIORITY_HIGH, PRIORITY_NORMAL };
    for (int k = 0; k < 2; k++)
        for (double at = 100e3 + sched_uniform (&state) * 200e3; at < horizon_us;
             at += 100e3 + sched_uniform (&state) * 200e3) {
            int type = sched_pick (&state, s_type_weights, TYPE_COUNT);
            unsigned ms = sched_duration_ms (&state, SHORTEST_MS, LONGEST_MS);
            sched_add_task (&self->run, type, arriving[k], (int64_t) at, ms);
            work_ms += ms;
        }
    while (work_ms < self->options.work_s * 1000) {
        int type = sched_pick (&state, s_type_weights, TYPE_COUNT);
        unsigned ms = sched_duration_ms (&state, SHORTEST_MS, LONGEST_MS);
        sched_add_task (&self->run, type, PRIORITY_LOW, 0, ms);
        work_ms += ms;
    }
    sched_sort_by_arrival (&self->run);
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
        int w = name ? sched_worker_index (&self->run, name) : -1;
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
        const sched_fleet_worker_t *want = &self->run.workers[w];
        if (json_integer_value (json_object_get (entry, "slots")) != want->slots || types != want->types
            || levels != want->levels) {
            snprintf (why, size, "worker %s has slots/plugins/priorities other than the fleet's", name);
            ok = false;
        }
        seen[w] = true;
    }
    for (size_t w = 0; ok && w < FLEET_SIZE; w++)
        if (!seen[w]) {
            snprintf (why, size, "worker %s is not registered", self->run.workers[w].name);
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
        while (sched_readable (sock, 1000)) {
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
    task_t *task = &self->run.tasks[i];
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
    self->run.tasks[i].finished = self->run.tasks[i].failed = true;
}

/* Handles one answer from the broker; returns 1 when a task finished. */
static int
s_ztask_answer (s1_t *self, zsock_t *sock, ztask_msg_t *msg)
{
    if (ztask_msg_recv (msg, sock, false) != 0)
        return 0;
    size_t i = (size_t) (msg->corr & ~WAIT_CORR) - 1;
    if (msg->corr == 0 || i >= self->run.count || self->run.tasks[i].finished)
        return 0;
    task_t *task = &self->run.tasks[i];
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
        task->worker = sched_worker_index (&self->run, msg->worker);
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
        if (task->worker < 0 || sched_parse_times (task, text) != 0) {
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
        int64_t cpu_before = self->options.broker_pid ? bench_process_cpu_us (self->options.broker_pid) : -1;
        self->run.t0_us = bench_now_us ();
        struct timespec wall;
        clock_gettime (CLOCK_REALTIME, &wall);
        self->run.wall_offset_us = (int64_t) wall.tv_sec * 1000000 + wall.tv_nsec / 1000 - bench_now_us ();
        int64_t last_answer = self->run.t0_us;
        while (finished < self->run.count && !zsys_interrupted) {
            int64_t now = bench_now_us ();
            for (int burst = 0; next < self->run.count && self->run.t0_us + self->run.tasks[next].at_us <= now
                                && burst < 256;
                 burst++)
                s_ztask_submit (self, sock, msg, next++);
            long timeout_ms = 0;
            if (next < self->run.count && self->run.t0_us + self->run.tasks[next].at_us > now)
                timeout_ms = (long) ((self->run.t0_us + self->run.tasks[next].at_us - now) / 1000);
            else if (next == self->run.count)
                timeout_ms = 1000;
            if (sched_readable (sock, timeout_ms)) {
                last_answer = bench_now_us ();
                while (sched_has_message (sock))
                    finished += (size_t) s_ztask_answer (self, sock, msg);
            }
            if (bench_now_us () - last_answer > ANSWER_TIMEOUT_US) {
                fprintf (stderr, "s1_sched: no answer from the broker for %d s; %zu of %zu tasks unfinished\n",
                         ANSWER_TIMEOUT_US / 1000000, self->run.count - finished, self->run.count);
                break;
            }
        }
        rc = finished == self->run.count ? 0 : -1;
        int64_t cpu_after = self->options.broker_pid ? bench_process_cpu_us (self->options.broker_pid) : -1;
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
        self->run.workers[w].types = (1u << TYPE_COUNT) - 1;
        self->run.workers[w].levels = LEVELS_ALL;
    }
    zsock_t *vent = zsock_new_push ("@tcp://127.0.0.1:*");
    zsock_t *sink = zsock_new_pull ("@tcp://127.0.0.1:*");
    assert (vent && sink);
    pp_slot_args_t args[PP_SLOTS_MAX];
    zactor_t *actors[PP_SLOTS_MAX];
    size_t actor_count = 0;
    for (size_t w = 0; w < FLEET_SIZE; w++)
        for (int s = 0; s < self->run.workers[w].slots && actor_count < PP_SLOTS_MAX; s++) {
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
        while (sched_readable (sink, 2)) {
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
    while (answered < hellos && sched_readable (sink, 1000)) {
        char *text = zstr_recv (sink);
        answered++;
        zstr_free (&text);
    }
    size_t next = 0, finished = 0;
    self->run.t0_us = bench_now_us ();
    int64_t last_answer = self->run.t0_us;
    while (ready && finished < self->run.count && !zsys_interrupted) {
        int64_t now = bench_now_us ();
        for (; next < self->run.count && self->run.t0_us + self->run.tasks[next].at_us <= now; next++) {
            self->run.tasks[next].submit_us = bench_now_us ();
            zstr_sendf (vent, "%zu %u", next, self->run.tasks[next].ms);
        }
        long timeout_ms = next < self->run.count
                              ? (long) ((self->run.t0_us + self->run.tasks[next].at_us - now) / 1000)
                              : 1000;
        if (sched_readable (sink, timeout_ms > 0 ? timeout_ms : 0)) {
            last_answer = bench_now_us ();
            while (sched_has_message (sink)) {
                char *text = zstr_recv (sink);
                size_t index;
                long long start, end;
                int worker;
                if (text && sscanf (text, "%zu %lld %lld %d", &index, &start, &end, &worker) == 4
                    && index < self->run.count && !self->run.tasks[index].finished && worker >= 0
                    && worker < (int) FLEET_SIZE) {
                    self->run.tasks[index].start_us = start;
                    self->run.tasks[index].end_us = end;
                    self->run.tasks[index].worker = worker;
                    self->run.tasks[index].finished = true;
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
    return ready && finished == self->run.count ? 0 : -1;
}

/* ---- the report ---- */

static void
s_report (s1_t *self, const char *system, int rep)
{
    char extra[128];
    snprintf (extra, sizeof extra, "fleet=%s seed=%" PRIu64, self->fleet_name, self->options.seed);
    sched_report (&self->run, "S1", system, rep, self->broker_cpu_us, self->errors, extra);
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
    memcpy (self.run.workers, s_fleet_reserved, sizeof s_fleet_reserved);
    self.run.worker_count = FLEET_SIZE;
    self.run.type_names = s_type_names;
    self.run.type_count = TYPE_COUNT;
    self.fleet_name = "reserved";
    sched_options_init (&self.options, &self.run);
    self.broker_cpu_us = -1;
    bool pushpull = false, print_fleet = false;
    for (int a = 1; a < argc; a++) {
        const char *flag = argv[a];
        if (streq (flag, "--pushpull"))
            pushpull = true;
        else if (streq (flag, "--print-fleet"))
            print_fleet = true;
        else if (streq (flag, "--fleet") && a + 1 < argc && (streq (argv[a + 1], "reserved") || streq (argv[a + 1], "flat")))
            self.fleet_name = argv[++a];
        else if (sched_options_parse (&self.options, &self.run, argc, argv, &a) != 1)
            s_usage ();
    }
    if (sched_options_check (&self.options, &self.run) != 0)
        s_usage ();
    if (streq (self.fleet_name, "flat"))
        self.run.workers[FLEET_SIZE - 1].levels = LEVELS_ALL;
    if (print_fleet) {
        for (size_t w = 0; w < FLEET_SIZE; w++) {
            printf ("%s %d %s", self.run.workers[w].name, self.run.workers[w].slots,
                    self.run.workers[w].levels == LEVELS_HIGH ? "high" : "all");
            for (int t = 0; t < TYPE_COUNT; t++)
                if (self.run.workers[w].types & (1u << t))
                    printf (" %s", s_type_names[t]);
            printf ("\n");
        }
        return 0;
    }
    const char *endpoint = self.options.endpoint;
    if (!endpoint == !pushpull)
        s_usage ();
    zsys_init ();
    s_generate (&self);
    zactor_t *probe = sched_stall_probe_new (&self.run);
    int rc = pushpull ? s_run_pushpull (&self) : s_run_ztask (&self, endpoint, self.options.wait_fleet_s);
    zactor_destroy (&probe);
    self.errors += sched_fail_unfinished (&self.run);
    if (rc == 0 || self.run.t0_us)
        s_report (&self, self.options.system ? self.options.system : pushpull ? "pushpull" : "ztask", self.options.rep);
    free (self.run.tasks);
    free (self.run.stalls);
    return rc == 0 && self.errors == 0 ? 0 : 1;
}
