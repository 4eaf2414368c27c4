/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  s2_sched - workload S2, scheduling quality on a mixed fleet
    (docs/performance.md, docs/routing.md).

    S1's workload (bench/s1_sched.c: durations 5 ms-1.2 s log-uniform, the
    three busy types, a flood of low tasks at t=0 with most of the work,
    normal and high tasks arriving every 100-300 ms) on a fleet of unlike
    machines, with tasks that ask for them:

      worker      zone  gpu  slots
      s2-cpu-a1   a     -    4
      s2-cpu-a2   a     -    4
      s2-cpu-b1   b     -    4
      s2-cpu-b2   b     -    4
      s2-gpu-a    a     2    4
      s2-gpu-b    b     1    4      (every worker: busy_a, busy_b, busy_c, all levels)

      class    share  asks
      any      58%    nothing
      zone-a   14%    --require zone=a
      zone-b   14%    --require zone=b
      gpu1      4%    --needs gpu=1
      gpu1-b    2%    --require zone=b --needs gpu=1
      gpu2      2%    --needs gpu=2        (only s2-gpu-a can run it)
      api       6%    --limit api          (broker: limits = { api = 2; })

    Tasks are submitted through libztask (ztask_request_t), one client, on
    schedule; then the tool waits for each and reads where and when it ran
    (the busy plugin's CLOCK_MONOTONIC start and end, the broker's worker
    name and times). sched_common.c rebuilds the timeline and measures, as
    for S1:

    - idle: slot time idle while a waiting task could have started there
      (the worker has its plugin, serves its priority and has its labels;
      its free resources cover the task's request; its limit has room),
      with a dispatch allowance of --res-ms (2) and machine stalls left
      out; 0 expected.
    - kept: idle slot time that a reservation explains: a worker kept for
      a task too big for what it has free (a gpu2 task on s2-gpu-a while a
      gpu1 task runs there) starts nothing smaller of that priority or
      below until it fits, so its free slots may idle while CPU work waits.
      By design (docs/routing.md): reported apart, not in idle.
    - the high tasks' wait p50 / p99 / max, normal tasks' p50 / p99;
    - makespan against a lower bound: the largest of, over every set U of
      workers, the work only U can run / U's slots, the GPU work (gpus x
      time) only U can run / U's GPUs, the api work / 2, and each task's
      submit + duration.

        s2_sched --print-fleet       the workers to start, one a line:
                                     NAME SLOTS all PLUGIN... [label:KEY=VALUE] [resource:NAME=N]
        s2_sched --print-broker      what the broker's config needs (the limit)
        s2_sched --broker ENDPOINT [--seed N] [--work S] [--res-ms R] [--rep N] [--system NAME]
                 [--timeline FILE] [--wait-fleet S] [--broker-pid PID] [--plain]

    --work S: slot-seconds of work in all (450: about S / 20 seconds).
    --plain submits every task with plain options (no requirement, request
    or limit): a control run on the same fleet.
*/
#define _GNU_SOURCE
#include "sched_common.h"
#include <ztask/client.h>

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_COUNT 3
#define CLASS_COUNT 7
#define SHORTEST_MS 5.0
#define LONGEST_MS 1200.0
#define LABEL_ZONE_A 1u
#define LABEL_ZONE_B 2u
#define RESOURCE_GPU 0
#define LIMIT_API 0
#define API_MAX 2
#define WAIT_TIMEOUT_MS 120000 /* a task not done this long after we wait for it: give up */

static const char *s_type_names[TYPE_COUNT] = { "busy_a", "busy_b", "busy_c" };
static const double s_type_weights[TYPE_COUNT] = { 0.3, 0.4, 0.3 };
static const char *s_limit_names[] = { "api" };
static const char *s_resource_names[SCHED_RESOURCES] = { "gpu", NULL };

/* What a class of tasks asks. */
typedef struct {
    const char *name;
    double share;        /* of the tasks                          */
    unsigned require;    /* labels                                */
    const char *require_text;
    int gpu;             /* gpus it holds while it runs           */
    const char *needs_text;
    int limit;           /* -1: none                              */
} task_class_t;

static const task_class_t s_classes[CLASS_COUNT] = {
    { "any", 0.58, 0, NULL, 0, NULL, -1 },
    { "zone-a", 0.14, LABEL_ZONE_A, "zone=a", 0, NULL, -1 },
    { "zone-b", 0.14, LABEL_ZONE_B, "zone=b", 0, NULL, -1 },
    { "gpu1", 0.04, 0, NULL, 1, "gpu=1", -1 },
    { "gpu1-b", 0.02, LABEL_ZONE_B, "zone=b", 1, "gpu=1", -1 },
    { "gpu2", 0.02, 0, NULL, 2, "gpu=2", -1 },
    { "api", 0.06, 0, NULL, 0, NULL, LIMIT_API },
};
static const char *s_class_names[CLASS_COUNT] = { "any", "zone-a", "zone-b", "gpu1", "gpu1-b", "gpu2", "api" };

/* The mixed fleet: 24 slots, 3 GPUs, two zones. */
static const sched_fleet_worker_t s_fleet[] = {
    { "s2-cpu-a1", 4, 7u, SCHED_LEVELS_ALL, LABEL_ZONE_A, { 0 } },
    { "s2-cpu-a2", 4, 7u, SCHED_LEVELS_ALL, LABEL_ZONE_A, { 0 } },
    { "s2-cpu-b1", 4, 7u, SCHED_LEVELS_ALL, LABEL_ZONE_B, { 0 } },
    { "s2-cpu-b2", 4, 7u, SCHED_LEVELS_ALL, LABEL_ZONE_B, { 0 } },
    { "s2-gpu-a", 4, 7u, SCHED_LEVELS_ALL, LABEL_ZONE_A, { 2, 0 } },
    { "s2-gpu-b", 4, 7u, SCHED_LEVELS_ALL, LABEL_ZONE_B, { 1, 0 } },
};
#define FLEET_SIZE (sizeof s_fleet / sizeof s_fleet[0])

typedef struct {
    sched_run_t run;        /* fleet, tasks, clocks, stalls (sched_common.h) */
    sched_options_t options; /* the shared flags: seed, work, broker pid... */
    bool plain;             /* submit without requirements (control run)     */
    size_t errors;          /* tasks that failed, errors from the broker     */
    int64_t broker_cpu_us;  /* its CPU time over the run; -1: unknown        */
} s2_t;

/* ---- the workload ---- */

/* As S1's: high and normal arrivals every 100-300 ms over 90% of
   work_s / 24, then a flood of low tasks at t=0 up to work_s
   slot-seconds; each task of a class drawn by share. */
static void
s_generate (s2_t *self)
{
    uint64_t state = self->options.seed;
    double shares[CLASS_COUNT];
    for (int c = 0; c < CLASS_COUNT; c++)
        shares[c] = s_classes[c].share;
    double horizon_us = self->options.work_s / 24.0 * 0.9 * 1e6;
    double work_ms = 0;
    const int arriving[2] = { SCHED_PRIORITY_HIGH, SCHED_PRIORITY_NORMAL };
    for (int k = 0; k <= 2; k++) {
        double at = 100e3 + sched_uniform (&state) * 200e3;
        while (k < 2 ? at < horizon_us : work_ms < self->options.work_s * 1000) {
            int type = sched_pick (&state, s_type_weights, TYPE_COUNT);
            unsigned ms = sched_duration_ms (&state, SHORTEST_MS, LONGEST_MS);
            int c = sched_pick (&state, shares, CLASS_COUNT);
            sched_run_task_t *task
                = sched_add_task (&self->run, type, k < 2 ? arriving[k] : SCHED_PRIORITY_LOW, k < 2 ? (int64_t) at : 0, ms);
            task->klass = c;
            if (!self->plain) { /* a plain run's tasks ask nothing: any worker may run them */
                task->require = s_classes[c].require;
                task->needs[RESOURCE_GPU] = s_classes[c].gpu;
                task->limit = s_classes[c].limit;
            }
            work_ms += ms;
            at += 100e3 + sched_uniform (&state) * 200e3;
        }
    }
    sched_sort_by_arrival (&self->run);
}

/* ---- through ztaskd ---- */

/* Does the broker list every worker of the fleet with its slots (and no
   other worker)? Sets why when not. */
static bool
s_fleet_ready (const s2_t *self, const char *json_text, char *why, size_t size)
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
        if (w < 0) {
            snprintf (why, size, "worker %s is not in the fleet", name ? name : "?");
            ok = false;
            continue;
        }
        if (json_integer_value (json_object_get (entry, "slots")) != self->run.workers[w].slots) {
            snprintf (why, size, "worker %s has other slots than the fleet's", name);
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

static int
s_wait_fleet (const s2_t *self, ztask_client_t *client, int seconds)
{
    char why[300] = "no answer from the broker";
    int64_t deadline = bench_now_us () + (int64_t) seconds * 1000000;
    while (bench_now_us () < deadline) {
        char *json = NULL;
        if (ztask_client_workers (client, &json) == 0) {
            bool ok = s_fleet_ready (self, json, why, sizeof why);
            free (json);
            if (ok)
                return 0;
        }
        else
            snprintf (why, sizeof why, "%s", ztask_client_error (client));
        zclock_sleep (200);
    }
    fprintf (stderr, "s2_sched: the fleet is not ready after %d s: %s\n", seconds, why);
    return -1;
}

static void
s_fail (s2_t *self, size_t i, const char *why)
{
    if (self->errors++ == 0)
        fprintf (stderr, "s2_sched: task #%zu: %s\n", i, why);
    self->run.tasks[i].finished = self->run.tasks[i].failed = true;
}

/* Submits task i: what its class asks, through a ztask_request_t. */
static void
s_submit (s2_t *self, ztask_client_t *client, size_t i)
{
    sched_run_task_t *task = &self->run.tasks[i];
    const task_class_t *klass = &s_classes[task->klass];
    char payload[16];
    int length = snprintf (payload, sizeof payload, "%u", task->ms);
    ztask_request_t *request = ztask_request_new ();
    assert (request);
    ztask_request_set_priority (request, task->priority);
    ztask_request_set_attempts (request, 1);
    if (!self->plain) {
        if (klass->require_text)
            ztask_request_add_require (request, klass->require_text);
        if (klass->needs_text)
            ztask_request_set_needs (request, klass->needs_text);
        if (klass->limit >= 0)
            ztask_request_set_limit (request, s_limit_names[klass->limit]);
    }
    task->submit_us = bench_now_us ();
    int rc = ztask_client_submit_request (client, s_type_names[task->type], payload, (size_t) length, request,
                                          &task->id);
    ztask_request_destroy (&request);
    if (rc != 0) {
        char why[512];
        snprintf (why, sizeof why, "submit: %s", ztask_client_error (client));
        s_fail (self, i, why);
    }
}

/* Waits for task i's end and takes its times. */
static void
s_collect (s2_t *self, ztask_client_t *client, size_t i)
{
    sched_run_task_t *task = &self->run.tasks[i];
    if (task->finished)
        return;
    ztask_task_t *info = NULL;
    char why[512];
    if (ztask_client_wait (client, task->id, WAIT_TIMEOUT_MS, &info) != 0) {
        snprintf (why, sizeof why, "task %" PRIu64 ": wait: %s", task->id, ztask_client_error (client));
        s_fail (self, i, why);
        return;
    }
    task->worker = sched_worker_index (&self->run, info->worker);
    task->created_ms = info->created_ms;
    task->dispatched_ms = info->started_ms;
    task->finished_ms = info->finished_ms;
    if (info->state != ZTASK_STATE_DONE) {
        snprintf (why, sizeof why, "task %" PRIu64 " ended %s: %s", task->id,
                  info->state == ZTASK_STATE_FAILED ? "failed" : "cancelled", info->error);
        s_fail (self, i, why);
    }
    else if (task->worker < 0 || sched_parse_times (task, (const char *) info->result) != 0) {
        snprintf (why, sizeof why, "task %" PRIu64 ": unknown worker '%s' or result '%.40s'", task->id,
                  info->worker, (const char *) info->result);
        s_fail (self, i, why);
    }
    else
        task->finished = true;
    ztask_task_destroy (&info);
}

/* Submits the workload on schedule, then waits for every task. */
static int
s_run (s2_t *self, const char *endpoint, int wait_fleet_s)
{
    ztask_client_t *client = ztask_client_new (endpoint);
    if (!client) {
        fprintf (stderr, "s2_sched: %s\n", ztask_client_error (NULL));
        return -1;
    }
    ztask_client_set_timeout (client, 10000);
    int rc = -1;
    if (s_wait_fleet (self, client, wait_fleet_s) == 0) {
        int64_t cpu_before = self->options.broker_pid ? bench_process_cpu_us (self->options.broker_pid) : -1;
        self->run.t0_us = bench_now_us ();
        struct timespec wall;
        clock_gettime (CLOCK_REALTIME, &wall);
        self->run.wall_offset_us = (int64_t) wall.tv_sec * 1000000 + wall.tv_nsec / 1000 - bench_now_us ();
        for (size_t i = 0; i < self->run.count && !zsys_interrupted; i++) {
            int64_t due = self->run.t0_us + self->run.tasks[i].at_us, now = bench_now_us ();
            if (due > now)
                zclock_sleep ((int) ((due - now + 999) / 1000));
            s_submit (self, client, i);
        }
        for (size_t i = 0; i < self->run.count && !zsys_interrupted; i++)
            s_collect (self, client, i);
        int64_t cpu_after = self->options.broker_pid ? bench_process_cpu_us (self->options.broker_pid) : -1;
        if (cpu_before >= 0 && cpu_after >= 0)
            self->broker_cpu_us = cpu_after - cpu_before;
        rc = zsys_interrupted ? -1 : 0;
    }
    ztask_client_destroy (&client);
    return rc;
}

/* ---- main: flags only ---- */

static void
s_usage (void)
{
    fprintf (stderr, "usage: s2_sched --print-fleet | --print-broker\n"
                     "       s2_sched --broker ENDPOINT [--seed N] [--work SLOT_SECONDS] [--res-ms MS] [--rep N]\n"
                     "                [--system NAME] [--timeline FILE] [--wait-fleet SECONDS] [--broker-pid PID]\n"
                     "                [--plain]\n");
    exit (2);
}

static void
s_print_fleet (const s2_t *self)
{
    for (size_t w = 0; w < FLEET_SIZE; w++) {
        const sched_fleet_worker_t *worker = &self->run.workers[w];
        printf ("%s %d all", worker->name, worker->slots);
        for (int t = 0; t < TYPE_COUNT; t++)
            if (worker->types & (1u << t))
                printf (" %s", s_type_names[t]);
        if (worker->labels & LABEL_ZONE_A)
            printf (" label:zone=a");
        if (worker->labels & LABEL_ZONE_B)
            printf (" label:zone=b");
        for (int r = 0; r < SCHED_RESOURCES; r++)
            if (worker->resources[r])
                printf (" resource:%s=%d", s_resource_names[r], worker->resources[r]);
        printf ("\n");
    }
}

int
main (int argc, char *argv[])
{
    s2_t self;
    memset (&self, 0, sizeof self);
    memcpy (self.run.workers, s_fleet, sizeof s_fleet);
    self.run.worker_count = FLEET_SIZE;
    self.run.type_names = s_type_names;
    self.run.type_count = TYPE_COUNT;
    self.run.class_names = s_class_names;
    self.run.class_count = CLASS_COUNT;
    self.run.limit_names = s_limit_names;
    self.run.limit_max[LIMIT_API] = API_MAX;
    self.run.limit_count = 1;
    self.run.resource_names = s_resource_names;
    sched_options_init (&self.options, &self.run);
    self.broker_cpu_us = -1;
    for (int a = 1; a < argc; a++) {
        const char *flag = argv[a];
        if (streq (flag, "--print-fleet")) {
            s_print_fleet (&self);
            return 0;
        }
        if (streq (flag, "--print-broker")) {
            printf ("limits = { %s = %d; };\n", s_limit_names[LIMIT_API], API_MAX);
            return 0;
        }
        if (streq (flag, "--plain"))
            self.plain = true;
        else if (sched_options_parse (&self.options, &self.run, argc, argv, &a) != 1)
            s_usage ();
    }
    if (!self.options.endpoint || sched_options_check (&self.options, &self.run) != 0)
        s_usage ();
    zsys_init ();
    s_generate (&self);
    zactor_t *probe = sched_stall_probe_new (&self.run);
    int rc = s_run (&self, self.options.endpoint, self.options.wait_fleet_s);
    zactor_destroy (&probe);
    self.errors += sched_fail_unfinished (&self.run);
    if (self.run.t0_us) {
        char extra[256];
        size_t counts[CLASS_COUNT] = { 0 };
        for (size_t i = 0; i < self.run.count; i++)
            counts[self.run.tasks[i].klass]++;
        int length = snprintf (extra, sizeof extra, "fleet=mixed seed=%" PRIu64 " asks=%s", self.options.seed,
                               self.plain ? "none" : "classes");
        for (int c = 0; c < CLASS_COUNT && length < (int) sizeof extra; c++)
            length += snprintf (extra + length, sizeof extra - (size_t) length, " n_%s=%zu", s_class_names[c], counts[c]);
        if (sched_report (&self.run, "S2", self.options.system ? self.options.system : self.plain ? "ztask-plain" : "ztask", self.options.rep,
                          self.broker_cpu_us, self.errors, extra) > 0 && !self.plain)
            rc = -1;
    }
    free (self.run.tasks);
    free (self.run.stalls);
    return rc == 0 && self.errors == 0 ? 0 : 1;
}
