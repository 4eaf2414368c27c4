/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  sched_common - the scheduling workloads' shared parts. See sched_common.h. */
#define _GNU_SOURCE
#include "sched_common.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_TICK_US 1000 /* the stall probe's period                  */
#define STALL_MIN_US 5000  /* a tick this late: the machine stalled     */
#define STALLS_MAX 100000  /* stalls recorded at most                   */
#define SIGS (SCHED_TYPES_MAX * SCHED_CLASSES_MAX)

/* ---- the workload ---- */

uint64_t
sched_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double
sched_uniform (uint64_t *state)
{
    return (double) (sched_random (state) >> 11) / 9007199254740992.0;
}

unsigned
sched_duration_ms (uint64_t *state, double shortest_ms, double longest_ms)
{
    double ms = exp (log (shortest_ms) + sched_uniform (state) * (log (longest_ms) - log (shortest_ms)));
    return (unsigned) (ms + 0.5);
}

int
sched_pick (uint64_t *state, const double *weights, int count)
{
    double u = sched_uniform (state);
    for (int i = 0; i < count - 1; i++) {
        if (u < weights[i])
            return i;
        u -= weights[i];
    }
    return count - 1;
}

sched_run_task_t *
sched_add_task (sched_run_t *self, int type, int priority, int64_t at_us, unsigned ms)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? 2 * self->capacity : 1024;
        self->tasks = (sched_run_task_t *) realloc (self->tasks, self->capacity * sizeof (sched_run_task_t));
        if (!self->tasks)
            abort ();
    }
    sched_run_task_t *task = &self->tasks[self->count++];
    memset (task, 0, sizeof *task);
    task->type = type;
    task->priority = priority;
    task->limit = -1;
    task->at_us = at_us;
    task->ms = ms;
    task->worker = -1;
    return task;
}

/* By submit time, then by generation order (kept in id until the run). */
static int
s_by_arrival (const void *a, const void *b)
{
    const sched_run_task_t *x = (const sched_run_task_t *) a, *y = (const sched_run_task_t *) b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

void
sched_sort_by_arrival (sched_run_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        self->tasks[i].id = i;
    qsort (self->tasks, self->count, sizeof (sched_run_task_t), s_by_arrival);
    for (size_t i = 0; i < self->count; i++)
        self->tasks[i].id = 0;
}

bool
sched_eligible (const sched_fleet_worker_t *worker, const sched_run_task_t *task)
{
    if (!(worker->types & (1u << task->type)) || !(worker->levels & (1u << task->priority))
        || (task->require & ~worker->labels))
        return false;
    for (int r = 0; r < SCHED_RESOURCES; r++)
        if (task->needs[r] > worker->resources[r])
            return false;
    return true;
}

int
sched_worker_index (const sched_run_t *self, const char *name)
{
    for (size_t w = 0; w < self->worker_count; w++)
        if (streq (self->workers[w].name, name))
            return (int) w;
    return -1;
}

const char *
sched_priority_name (int priority)
{
    return priority == SCHED_PRIORITY_HIGH ? "high" : priority == SCHED_PRIORITY_NORMAL ? "normal" : "low";
}

/* ---- the flags S1 and S2 share ---- */

void
sched_options_init (sched_options_t *self, sched_run_t *run)
{
    memset (self, 0, sizeof *self);
    self->seed = 1;
    self->work_s = 450;
    self->rep = 1;
    self->wait_fleet_s = 30;
    run->res_ms = 2;
    run->timeline = NULL;
}

int
sched_options_parse (sched_options_t *self, sched_run_t *run, int argc, char *argv[], int *index)
{
    static const char *const flags[] = { "--broker", "--system",     "--timeline",   "--seed",      "--work",
                                         "--res-ms", "--rep",        "--broker-pid", "--wait-fleet" };
    const char *flag = argv[*index];
    size_t f = 0;
    while (f < sizeof flags / sizeof flags[0] && !streq (flag, flags[f]))
        f++;
    if (f == sizeof flags / sizeof flags[0])
        return 0;
    if (*index + 1 >= argc)
        return -1;
    const char *value = argv[++*index];
    char *end = NULL;
    if (streq (flag, "--broker"))
        self->endpoint = value;
    else if (streq (flag, "--system"))
        self->system = value;
    else if (streq (flag, "--timeline"))
        run->timeline = value;
    else if (streq (flag, "--seed"))
        self->seed = strtoull (value, &end, 10);
    else if (streq (flag, "--work"))
        self->work_s = strtod (value, &end);
    else if (streq (flag, "--res-ms"))
        run->res_ms = strtod (value, &end);
    else if (streq (flag, "--rep"))
        self->rep = (int) strtol (value, &end, 10);
    else if (streq (flag, "--broker-pid"))
        self->broker_pid = (int) strtol (value, &end, 10);
    else if (streq (flag, "--wait-fleet"))
        self->wait_fleet_s = (int) strtol (value, &end, 10);
    return end && (*end || end == value) ? -1 : 1;
}

int
sched_options_check (const sched_options_t *self, const sched_run_t *run)
{
    return self->work_s <= 0 || self->work_s > 1e6 || run->res_ms < 0 || self->wait_fleet_s < 0 ? -1 : 0;
}

/* ---- running ---- */

static void
s_stall_probe (zsock_t *pipe, void *args)
{
    sched_run_t *self = (sched_run_t *) args;
    zsock_signal (pipe, 0);
    int64_t deadline = bench_now_us ();
    while (!(zsock_events (pipe) & ZMQ_POLLIN)) {
        deadline += PROBE_TICK_US;
        struct timespec until = { (time_t) (deadline / 1000000), (long) (deadline % 1000000) * 1000 };
        while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
            ;
        int64_t now = bench_now_us ();
        if (now - deadline >= STALL_MIN_US && self->stall_count < STALLS_MAX)
            self->stalls[self->stall_count++] = (sched_stall_t) { deadline, now };
        if (now - deadline > PROBE_TICK_US)
            deadline = now; /* no catching up after a stall */
    }
}

zactor_t *
sched_stall_probe_new (sched_run_t *self)
{
    self->stalls = (sched_stall_t *) malloc (STALLS_MAX * sizeof (sched_stall_t));
    assert (self->stalls);
    self->stall_count = 0;
    return zactor_new (s_stall_probe, self);
}

int64_t
sched_stalled_us (const sched_run_t *self, int64_t from_us, int64_t to_us)
{
    int64_t total = 0;
    for (size_t k = 0; k < self->stall_count; k++) {
        int64_t from = self->stalls[k].from_us > from_us ? self->stalls[k].from_us : from_us;
        int64_t to = self->stalls[k].to_us < to_us ? self->stalls[k].to_us : to_us;
        total += to > from ? to - from : 0;
    }
    return total;
}

bool
sched_readable (zsock_t *sock, long timeout_ms)
{
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    return zmq_poll (&item, 1, timeout_ms) > 0 && (item.revents & ZMQ_POLLIN);
}

bool
sched_has_message (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}

int
sched_parse_times (sched_run_task_t *task, const char *text)
{
    long long start, end;
    char extra;
    if (sscanf (text, "%lld %lld %c", &start, &end, &extra) != 2 || end < start || start <= 0)
        return -1;
    task->start_us = start;
    task->end_us = end;
    return 0;
}

size_t
sched_fail_unfinished (sched_run_t *self)
{
    size_t failed = 0;
    for (size_t i = 0; i < self->count; i++)
        if (!self->tasks[i].finished) {
            self->tasks[i].finished = self->tasks[i].failed = true;
            failed++;
        }
    return failed;
}

/* ---- the timeline ---- */

/* Whose clock a timeline is read from: the slots' (the busy plugin's start
   and end, the submitter's send; microseconds), or the broker's (when it
   accepted, started and finished the task; whole milliseconds). */
typedef enum { VIEW_SLOTS, VIEW_BROKER } view_t;

/* Monotonic microseconds of a broker wall-clock millisecond. */
static int64_t
s_broker_us (const sched_run_t *self, int64_t wall_ms)
{
    return wall_ms * 1000 - self->wall_offset_us;
}

/* A task's submit, start and end as a view sees them. */
static void
s_times (const sched_run_t *self, const sched_run_task_t *task, view_t view, int64_t *submit, int64_t *start,
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

typedef enum { EVENT_STALL, EVENT_WAIT, EVENT_RUN } event_kind_t;

/* A change of the fleet's state. */
typedef struct {
    int64_t at_us;
    int kind;   /* event_kind_t                         */
    int delta;  /* +1: begins, -1: ends                 */
    size_t task;
} event_t;

static int
s_by_time (const void *a, const void *b)
{
    const event_t *x = (const event_t *) a, *y = (const event_t *) b;
    return x->at_us < y->at_us ? -1 : x->at_us > y->at_us;
}

/* A stretch of time in which slots of a worker idled while work waited. */
typedef struct {
    int worker;
    int64_t from_us, to_us;
    double slot_us; /* slot-microseconds idle in it */
    long task;      /* a task that could have started there when it began */
} stretch_t;

/* Keeps the SCHED_DIAGNOSE_COUNT largest stretches, largest first. */
static void
s_keep_stretch (stretch_t *worst, stretch_t stretch)
{
    for (int k = 0; k < SCHED_DIAGNOSE_COUNT; k++)
        if (stretch.slot_us > worst[k].slot_us) {
            memmove (&worst[k + 1], &worst[k], (size_t) (SCHED_DIAGNOSE_COUNT - 1 - k) * sizeof (stretch_t));
            worst[k] = stretch;
            return;
        }
}

/* The state of the fleet while the sweep walks the timeline. */
typedef struct {
    const sched_run_t *run;
    int busy[SCHED_WORKERS_MAX];                  /* running tasks          */
    int used[SCHED_WORKERS_MAX][SCHED_RESOURCES]; /* resources they hold    */
    int limit_running[SCHED_LIMITS];
    int claim[SIGS];                              /* worker kept for it; -1 */
    size_t *waiting;                              /* task indexes, by priority
                                                     (high first), then FIFO */
    size_t waiting_count;
    size_t *candidates;                           /* a worker's fitting tasks */
} sweep_t;

static int
s_sig (const sched_run_task_t *task)
{
    return task->type * SCHED_CLASSES_MAX + task->klass;
}

/* Does a ordered before b in the waiting list? */
static bool
s_before (const sched_run_t *run, size_t a, size_t b)
{
    int pa = run->tasks[a].priority, pb = run->tasks[b].priority;
    return pa != pb ? pa > pb : a < b;
}

/* The place of task i in the waiting list (where it is or would go). */
static size_t
s_waiting_place (const sweep_t *sweep, size_t i)
{
    size_t lo = 0, hi = sweep->waiting_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s_before (sweep->run, sweep->waiting[mid], i))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
s_apply (sweep_t *sweep, const event_t *event, int *stalled)
{
    const sched_run_task_t *task = &sweep->run->tasks[event->task];
    if (event->kind == EVENT_STALL)
        *stalled += event->delta;
    else if (event->kind == EVENT_WAIT) {
        size_t place = s_waiting_place (sweep, event->task);
        if (event->delta > 0) {
            memmove (&sweep->waiting[place + 1], &sweep->waiting[place],
                     (sweep->waiting_count - place) * sizeof (size_t));
            sweep->waiting[place] = event->task;
            sweep->waiting_count++;
        }
        else {
            assert (place < sweep->waiting_count && sweep->waiting[place] == event->task);
            memmove (&sweep->waiting[place], &sweep->waiting[place + 1],
                     (sweep->waiting_count - place - 1) * sizeof (size_t));
            sweep->waiting_count--;
        }
    }
    else {
        int w = task->worker;
        sweep->busy[w] += event->delta;
        for (int r = 0; r < SCHED_RESOURCES; r++)
            sweep->used[w][r] += event->delta * task->needs[r];
        if (task->limit >= 0)
            sweep->limit_running[task->limit] += event->delta;
        /* A kept worker that starts a task of its signature is free again
           (the scheduler drops the reservation when it is used). */
        if (event->delta > 0 && sweep->claim[s_sig (task)] == w)
            sweep->claim[s_sig (task)] = -1;
    }
}

static bool
s_limit_room (const sweep_t *sweep, const sched_run_task_t *task)
{
    return task->limit < 0 || sweep->limit_running[task->limit] < sweep->run->limit_max[task->limit];
}

static bool
s_fits_now (const sweep_t *sweep, int w, const sched_run_task_t *task)
{
    const sched_fleet_worker_t *worker = &sweep->run->workers[w];
    for (int r = 0; r < SCHED_RESOURCES; r++)
        if (task->needs[r] > worker->resources[r] - sweep->used[w][r])
            return false;
    return true;
}

static int
s_need_sum (const sched_run_task_t *task)
{
    int sum = 0;
    for (int r = 0; r < SCHED_RESOURCES; r++)
        sum += task->needs[r];
    return sum;
}

/* Smallest request first, then the waiting order (indexes are FIFO). */
static const sched_run_t *s_sort_run;
static int
s_by_need (const void *a, const void *b)
{
    const sched_run_task_t *x = &s_sort_run->tasks[*(const size_t *) a];
    const sched_run_task_t *y = &s_sort_run->tasks[*(const size_t *) b];
    int nx = s_need_sum (x), ny = s_need_sum (y);
    if (nx != ny)
        return nx < ny ? -1 : 1;
    return *(const size_t *) a < *(const size_t *) b ? -1 : 1;
}

/* How many of the waiting tasks that worker w could run, at priorities in
   [lo, hi], could start there together now: smallest request first, each
   within the free slots left (*free), the free resources and its limit's
   room. Takes what it counts from *free and the resources. */
static int
s_fit_count (sweep_t *sweep, int w, int lo, int hi, int *free, int *left, int *limit_left, long *first,
             unsigned avoid)
{
    const sched_run_t *run = sweep->run;
    int count = 0;
    size_t candidates = 0;
    for (size_t k = 0; k < sweep->waiting_count && *free > 0; k++) {
        const sched_run_task_t *task = &run->tasks[sweep->waiting[k]];
        if (task->priority < lo || task->priority > hi || !sched_eligible (&run->workers[w], task))
            continue;
        bool avoided = false;
        for (int r = 0; r < SCHED_RESOURCES && !avoided; r++)
            avoided = (avoid & (1u << r)) && task->needs[r] > 0;
        if (avoided)
            continue;
        if (task->limit >= 0 && limit_left[task->limit] <= 0)
            continue;
        if (s_need_sum (task) == 0) {
            if (count == 0 && first)
                *first = (long) sweep->waiting[k];
            count++, (*free)--;
            if (task->limit >= 0)
                limit_left[task->limit]--;
        }
        else
            sweep->candidates[candidates++] = sweep->waiting[k];
    }
    if (*free == 0 || candidates == 0)
        return count;
    s_sort_run = run;
    qsort (sweep->candidates, candidates, sizeof (size_t), s_by_need);
    for (size_t k = 0; k < candidates && *free > 0; k++) {
        const sched_run_task_t *task = &run->tasks[sweep->candidates[k]];
        bool fits = task->limit < 0 || limit_left[task->limit] > 0;
        for (int r = 0; r < SCHED_RESOURCES && fits; r++)
            fits = task->needs[r] <= left[r];
        if (!fits)
            continue;
        if (count == 0 && first)
            *first = (long) sweep->candidates[k];
        count++, (*free)--;
        for (int r = 0; r < SCHED_RESOURCES; r++)
            left[r] -= task->needs[r];
        if (task->limit >= 0)
            limit_left[task->limit]--;
    }
    return count;
}

/* Drops the reservations that have nothing left to hold their worker
   for: no waiting task of the signature that the worker could run and
   whose limit has room. */
static void
s_check_claims (sweep_t *sweep)
{
    bool held[SIGS] = { false };
    for (size_t k = 0; k < sweep->waiting_count; k++) {
        const sched_run_task_t *task = &sweep->run->tasks[sweep->waiting[k]];
        int w = sweep->claim[s_sig (task)];
        if (w >= 0 && s_limit_room (sweep, task) && sched_eligible (&sweep->run->workers[w], task))
            held[s_sig (task)] = true;
    }
    for (int s = 0; s < SIGS; s++)
        if (!held[s])
            sweep->claim[s] = -1;
}

/* Idle and kept slots of worker w now; *first: a task that could start
   there (when *idle > 0). */
static void
s_worker_now (sweep_t *sweep, int w, int *idle, int *kept, long *first)
{
    const sched_run_t *run = sweep->run;
    const sched_fleet_worker_t *worker = &run->workers[w];
    *idle = *kept = 0;
    int free = worker->slots - sweep->busy[w];
    if (free <= 0 || sweep->waiting_count == 0)
        return;
    int held = -1;
    for (int s = 0; s < SIGS && held < 0; s++)
        if (sweep->claim[s] == w)
            held = s;
    if (held < 0) {
        /* The task the scheduler would give this worker next: by priority
           and FIFO, one it can run whose limit has room, that fits now or
           that no other worker is kept for already. */
        for (size_t k = 0; k < sweep->waiting_count; k++) {
            const sched_run_task_t *task = &run->tasks[sweep->waiting[k]];
            if (!sched_eligible (worker, task) || !s_limit_room (sweep, task))
                continue;
            bool fits = s_fits_now (sweep, w, task);
            if (fits || sweep->claim[s_sig (task)] < 0) {
                if (!fits) {
                    sweep->claim[s_sig (task)] = w;
                    held = s_sig (task);
                }
                break;
            }
        }
    }
    int left[SCHED_RESOURCES], limit_left[SCHED_LIMITS];
    for (int r = 0; r < SCHED_RESOURCES; r++)
        left[r] = worker->resources[r] - sweep->used[w][r];
    for (size_t l = 0; l < run->limit_count; l++)
        limit_left[l] = run->limit_max[l] - sweep->limit_running[l];
    int level = -1; /* the level the worker is kept for */
    unsigned avoid = 0; /* the resources it is kept for */
    if (held >= 0) {
        for (size_t k = 0; k < sweep->waiting_count && level < 0; k++) {
            const sched_run_task_t *task = &run->tasks[sweep->waiting[k]];
            if (s_sig (task) == held && sched_eligible (worker, task) && s_limit_room (sweep, task)) {
                /* its task fits after all: nothing keeps the worker */
                if (s_fits_now (sweep, w, task))
                    break;
                level = task->priority;
                for (int r = 0; r < SCHED_RESOURCES; r++)
                    if (task->needs[r] > 0)
                        avoid |= 1u << r;
            }
        }
    }
    if (level < 0) {
        *idle = s_fit_count (sweep, w, 0, SCHED_PRIORITY_HIGH, &free, left, limit_left, first, 0);
        return;
    }
    *idle = s_fit_count (sweep, w, level + 1, SCHED_PRIORITY_HIGH, &free, left, limit_left, first, 0);
    /* Kept, it still runs, on all but its last free slot, tasks that need
       none of the resources it is kept for: those slots idle are idle. */
    if (free >= 2) {
        int spare = free - 1;
        *idle += s_fit_count (sweep, w, 0, level, &spare, left, limit_left, *idle ? NULL : first, avoid);
        free = spare + 1;
    }
    *kept = s_fit_count (sweep, w, 0, level, &free, left, limit_left, NULL, 0);
}

/* Slot-microseconds idle while a task that could start waited (*idle_us)
   and those a reservation explains (*kept_us; may be NULL), over every
   worker. A slot stays busy (its resources held, its limit taken) for
   allow_us after its task ends; a task waits from allow_us after its
   submit. With skip_stalls, time in which the machine stalled does not
   count. worst (may be NULL) gets the worst idle stretches. */
static void
s_idle (const sched_run_t *self, view_t view, int64_t allow_us, bool skip_stalls, double *idle_us,
        double *kept_us, double *kept_by_worker, stretch_t *worst)
{
    size_t stalls = skip_stalls ? self->stall_count : 0;
    event_t *events = (event_t *) malloc ((4 * self->count + 2 * stalls + 1) * sizeof (event_t));
    sweep_t sweep;
    memset (&sweep, 0, sizeof sweep);
    sweep.run = self;
    sweep.waiting = (size_t *) malloc ((self->count + 1) * sizeof (size_t));
    sweep.candidates = (size_t *) malloc ((self->count + 1) * sizeof (size_t));
    assert (events && sweep.waiting && sweep.candidates);
    for (int s = 0; s < SIGS; s++)
        sweep.claim[s] = -1;
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++) {
        const sched_run_task_t *task = &self->tasks[i];
        if (task->failed || task->worker < 0)
            continue;
        int64_t submit, start, end;
        s_times (self, task, view, &submit, &start, &end);
        if (submit + allow_us < start) {
            events[n++] = (event_t) { submit + allow_us, EVENT_WAIT, 1, i };
            events[n++] = (event_t) { start, EVENT_WAIT, -1, i };
        }
        events[n++] = (event_t) { start, EVENT_RUN, 1, i };
        events[n++] = (event_t) { end + allow_us, EVENT_RUN, -1, i };
    }
    for (size_t k = 0; k < stalls; k++) {
        events[n++] = (event_t) { self->stalls[k].from_us, EVENT_STALL, 1, 0 };
        events[n++] = (event_t) { self->stalls[k].to_us, EVENT_STALL, -1, 0 };
    }
    qsort (events, n, sizeof (event_t), s_by_time);
    double idle_total = 0, kept_total = 0;
    int stalled = 0;
    stretch_t stretch[SCHED_WORKERS_MAX];
    for (size_t w = 0; w < self->worker_count; w++)
        stretch[w] = (stretch_t) { (int) w, 0, 0, 0, -1 };
    for (size_t k = 0; k < n;) {
        int64_t at = events[k].at_us;
        for (; k < n && events[k].at_us == at; k++)
            s_apply (&sweep, &events[k], &stalled);
        if (k == n)
            break;
        int64_t span = events[k].at_us - at;
        s_check_claims (&sweep);
        for (size_t w = 0; w < self->worker_count; w++) {
            int idle = 0, kept = 0;
            long first = -1;
            if (!stalled)
                s_worker_now (&sweep, (int) w, &idle, &kept, &first);
            kept_total += (double) kept * (double) span;
            if (kept_by_worker)
                kept_by_worker[w] += (double) kept * (double) span;
            if (idle > 0) {
                double slot_us = (double) idle * (double) span;
                idle_total += slot_us;
                if (stretch[w].slot_us == 0) {
                    stretch[w].from_us = at;
                    stretch[w].task = first;
                }
                stretch[w].to_us = events[k].at_us;
                stretch[w].slot_us += slot_us;
            }
            else if (stretch[w].slot_us > 0) {
                if (worst)
                    s_keep_stretch (worst, stretch[w]);
                stretch[w].slot_us = 0;
            }
        }
    }
    for (size_t w = 0; worst && w < self->worker_count; w++)
        if (stretch[w].slot_us > 0)
            s_keep_stretch (worst, stretch[w]);
    free (events);
    free (sweep.waiting);
    free (sweep.candidates);
    *idle_us = idle_total;
    if (kept_us)
        *kept_us = kept_total;
}

/* Broker events (accept, start, finish of any task) strictly inside
   (from_us, to_us), broker view. */
static size_t
s_broker_events (const sched_run_t *self, int64_t from_us, int64_t to_us)
{
    size_t events = 0;
    for (size_t i = 0; i < self->count; i++) {
        const sched_run_task_t *task = &self->tasks[i];
        int64_t times[3];
        s_times (self, task, VIEW_BROKER, &times[0], &times[1], &times[2]);
        for (int k = 0; k < 3; k++)
            events += !task->failed && times[k] > from_us && times[k] < to_us;
    }
    return events;
}

/* A start or an end on one worker. */
typedef struct {
    int64_t at_us;
    int delta;    /* +1 start, -1 end */
    size_t index; /* the task         */
} edge_t;

/* By time, ends before starts at the same time. */
static int
s_edge_order (const void *a, const void *b)
{
    const edge_t *x = (const edge_t *) a, *y = (const edge_t *) b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    return x->delta < y->delta ? -1 : x->delta > y->delta;
}

/* Dispatch gaps: for each task, its start minus the later of its submit and
   the moment a slot of its worker became free (slots taken oldest-free
   first). gap_of[i] gets each task's; samples all of them. */
static void
s_gaps (const sched_run_t *self, int64_t *gap_of, bench_samples_t *samples)
{
    edge_t *edges = (edge_t *) malloc ((2 * self->count + 1) * sizeof (edge_t));
    int64_t *free_since = (int64_t *) malloc ((self->count + 1024) * sizeof (int64_t));
    assert (edges && free_since);
    for (size_t w = 0; w < self->worker_count; w++) {
        size_t n = 0;
        for (size_t i = 0; i < self->count; i++)
            if (!self->tasks[i].failed && self->tasks[i].worker == (int) w) {
                edges[n++] = (edge_t) { self->tasks[i].start_us, 1, i };
                edges[n++] = (edge_t) { self->tasks[i].end_us, -1, i };
            }
        qsort (edges, n, sizeof (edge_t), s_edge_order);
        size_t head = 0, tail = 0;
        for (int s = 0; s < self->workers[w].slots; s++)
            free_since[tail++] = self->t0_us;
        for (size_t k = 0; k < n; k++) {
            const sched_run_task_t *task = &self->tasks[edges[k].index];
            if (edges[k].delta < 0) {
                free_since[tail++] = task->end_us;
                continue;
            }
            int64_t since = head < tail ? free_since[head++] : task->start_us;
            int64_t gap = task->start_us - (since > task->submit_us ? since : task->submit_us);
            gap_of[edges[k].index] = gap;
            bench_samples_add (samples, gap);
        }
    }
    free (edges);
    free (free_since);
}

/* ---- the lower bound ---- */

/* Work of the tasks that exactly the workers of mask can run. */
typedef struct {
    unsigned mask;
    double work;                       /* slot-microseconds      */
    double resource[SCHED_RESOURCES];  /* amount-microseconds    */
} class_work_t;

void
sched_lower_bound (const sched_run_t *self, sched_bound_t *bound)
{
    memset (bound, 0, sizeof *bound);
    class_work_t *classes = (class_work_t *) calloc (self->count + 1, sizeof (class_work_t));
    assert (classes && self->worker_count <= SCHED_WORKERS_MAX);
    size_t class_count = 0;
    double total = 0, limit_work[SCHED_LIMITS] = { 0 };
    for (size_t i = 0; i < self->count; i++) {
        const sched_run_task_t *task = &self->tasks[i];
        if (task->failed)
            continue;
        unsigned mask = 0;
        for (size_t w = 0; w < self->worker_count; w++)
            if (sched_eligible (&self->workers[w], task))
                mask |= 1u << w;
        size_t c = 0;
        while (c < class_count && classes[c].mask != mask)
            c++;
        if (c == class_count)
            classes[class_count++].mask = mask;
        double duration = (double) (task->end_us - task->start_us);
        classes[c].work += duration;
        for (int r = 0; r < SCHED_RESOURCES; r++)
            classes[c].resource[r] += duration * task->needs[r];
        if (task->limit >= 0)
            limit_work[task->limit] += duration;
        total += duration;
        double arrival = (double) (task->submit_us - self->t0_us) + duration;
        bound->arrival_us = arrival > bound->arrival_us ? arrival : bound->arrival_us;
    }
    int all_slots = 0;
    for (size_t w = 0; w < self->worker_count; w++)
        all_slots += self->workers[w].slots;
    bound->all_slots_us = all_slots ? total / all_slots : 0;
    /* Over every set U of workers: the work that only workers of U can
       run needs at least work / (U's slots), and the same per resource. */
    for (unsigned set = 1; set < (1u << self->worker_count); set++) {
        int slots = 0, amount[SCHED_RESOURCES] = { 0 };
        for (size_t w = 0; w < self->worker_count; w++)
            if (set & (1u << w)) {
                slots += self->workers[w].slots;
                for (int r = 0; r < SCHED_RESOURCES; r++)
                    amount[r] += self->workers[w].resources[r];
            }
        double work = 0, resource[SCHED_RESOURCES] = { 0 };
        for (size_t c = 0; c < class_count; c++)
            if (classes[c].mask && (classes[c].mask & ~set) == 0) {
                work += classes[c].work;
                for (int r = 0; r < SCHED_RESOURCES; r++)
                    resource[r] += classes[c].resource[r];
            }
        if (slots && work / slots > bound->slots_us)
            bound->slots_us = work / slots;
        for (int r = 0; r < SCHED_RESOURCES; r++)
            if (amount[r] && resource[r] / amount[r] > bound->resources_us)
                bound->resources_us = resource[r] / amount[r];
    }
    for (size_t l = 0; l < self->limit_count; l++)
        if (self->limit_max[l] > 0 && limit_work[l] / self->limit_max[l] > bound->limits_us)
            bound->limits_us = limit_work[l] / self->limit_max[l];
    bound->bound_us = bound->slots_us;
    if (bound->resources_us > bound->bound_us)
        bound->bound_us = bound->resources_us;
    if (bound->limits_us > bound->bound_us)
        bound->bound_us = bound->limits_us;
    if (bound->arrival_us > bound->bound_us)
        bound->bound_us = bound->arrival_us;
    free (classes);
}

/* ---- the report ---- */

static double
s_ms (const sched_run_t *self, int64_t at_us)
{
    return (double) (at_us - self->t0_us) / 1000.0;
}

/* A broker wall-clock time in ms from the first submit; 0 stays 0. */
static double
s_wall_ms (const sched_run_t *self, int64_t wall_ms)
{
    if (wall_ms == 0 || self->wall_offset_us == 0)
        return 0;
    return s_ms (self, wall_ms * 1000 - self->wall_offset_us);
}

/* "busy_a" or "busy_a/gpu1" (with classes). */
static const char *
s_kind (const sched_run_t *self, const sched_run_task_t *task, char *buffer, size_t size)
{
    if (self->class_names)
        snprintf (buffer, size, "%s/%s", self->type_names[task->type], self->class_names[task->klass]);
    else
        snprintf (buffer, size, "%s", self->type_names[task->type]);
    return buffer;
}

static void
s_write_timeline (const sched_run_t *self, const int64_t *gap_of)
{
    FILE *file = fopen (self->timeline, "w");
    if (!file) {
        fprintf (stderr, "sched: cannot write %s: %s\n", self->timeline, strerror (errno));
        return;
    }
    fprintf (file, "# index id type%s priority worker submit_ms start_ms end_ms gap_ms accepted_ms "
                   "dispatched_ms result_ms (ms from the first submit; the last three are the "
                   "broker's own times, wall clock to the ms: when it took the submit, sent the "
                   "task, had the result)\n",
             self->class_names ? "/class" : "");
    char kind[64];
    for (size_t i = 0; i < self->count; i++) {
        const sched_run_task_t *task = &self->tasks[i];
        fprintf (file, "%zu %" PRIu64 " %s %s %s %.3f %.3f %.3f %.3f %.0f %.0f %.0f%s\n", i, task->id,
                 s_kind (self, task, kind, sizeof kind), sched_priority_name (task->priority),
                 task->worker >= 0 ? self->workers[task->worker].name : "-", s_ms (self, task->submit_us),
                 s_ms (self, task->start_us), s_ms (self, task->end_us), (double) gap_of[i] / 1000.0,
                 s_wall_ms (self, task->created_ms), s_wall_ms (self, task->dispatched_ms),
                 s_wall_ms (self, task->finished_ms), task->failed ? " failed" : "");
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

size_t
sched_report (const sched_run_t *self, const char *workload, const char *system, int rep, int64_t broker_cpu_us,
              size_t errors, const char *extra)
{
    bench_samples_t high = { 0 }, high_less_stalls = { 0 }, high_plain = { 0 }, normal = { 0 }, gaps = { 0 };
    int64_t last_end = self->t0_us;
    size_t wrong_worker = 0;
    for (size_t i = 0; i < self->count; i++) {
        const sched_run_task_t *task = &self->tasks[i];
        if (task->failed)
            continue;
        if (task->priority == SCHED_PRIORITY_HIGH) {
            bench_samples_add (&high, task->start_us - task->submit_us);
            bench_samples_add (&high_less_stalls, task->start_us - task->submit_us
                                                    - sched_stalled_us (self, task->submit_us, task->start_us));
            /* one that waits for no resource and no limit: only for a slot */
            if (s_need_sum (task) == 0 && task->limit < 0)
                bench_samples_add (&high_plain, task->start_us - task->submit_us);
        }
        else if (task->priority == SCHED_PRIORITY_NORMAL)
            bench_samples_add (&normal, task->start_us - task->submit_us);
        last_end = task->end_us > last_end ? task->end_us : last_end;
        wrong_worker += !sched_eligible (&self->workers[task->worker], task);
    }
    int64_t allow_us = (int64_t) (self->res_ms * 1000);
    stretch_t worst[SCHED_DIAGNOSE_COUNT + 1];
    memset (worst, 0, sizeof worst);
    double idle_raw, idle_with_stalls, idle, kept;
    double kept_by_worker[SCHED_WORKERS_MAX] = { 0 };
    s_idle (self, VIEW_SLOTS, 0, false, &idle_raw, NULL, NULL, NULL);
    s_idle (self, VIEW_SLOTS, allow_us, false, &idle_with_stalls, NULL, NULL, NULL);
    s_idle (self, VIEW_SLOTS, allow_us, true, &idle, &kept, kept_by_worker, worst);
    /* The broker's own view, at its millisecond resolution: a free slot it
       knew of while it held a queued task that could start there. */
    bool broker_view = self->wall_offset_us != 0;
    stretch_t broker_worst[SCHED_DIAGNOSE_COUNT + 1];
    memset (broker_worst, 0, sizeof broker_worst);
    double broker_idle = 0;
    if (broker_view)
        s_idle (self, VIEW_BROKER, 1000, false, &broker_idle, NULL, NULL, broker_worst);
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
    int64_t *gap_of = (int64_t *) calloc (self->count + 1, sizeof (int64_t));
    assert (gap_of);
    s_gaps (self, gap_of, &gaps);
    sched_bound_t bound;
    sched_lower_bound (self, &bound);
    double makespan_us = (double) (last_end - self->t0_us);

    char kind[64];
    for (int k = 0; k < SCHED_DIAGNOSE_COUNT && worst[k].slot_us > 0; k++) {
        long i = worst[k].task;
        printf ("# idle: %s %.3f-%.3f ms (machine stalls in the 50 ms before: %.1f ms), %.3f slot-ms "
                "idle while",
                self->workers[worst[k].worker].name, s_ms (self, worst[k].from_us), s_ms (self, worst[k].to_us),
                (double) sched_stalled_us (self, worst[k].from_us - 50000, worst[k].from_us) / 1000.0,
                worst[k].slot_us / 1000.0);
        if (i >= 0)
            printf (" task #%ld (id %" PRIu64 ", %s %s, submitted %.3f ms, started %.3f ms on %s) could start there\n", i,
                    self->tasks[i].id, s_kind (self, &self->tasks[i], kind, sizeof kind),
                    sched_priority_name (self->tasks[i].priority), s_ms (self, self->tasks[i].submit_us),
                    s_ms (self, self->tasks[i].start_us), self->workers[self->tasks[i].worker].name);
        else
            printf (" work waited\n");
    }
    for (int k = 0; broker_view && k < SCHED_DIAGNOSE_COUNT && broker_worst[k].slot_us > 0; k++) {
        const stretch_t *stretch = &broker_worst[k];
        long i = stretch->task;
        printf ("# broker idle: %s %.0f-%.0f ms, %.0f slot-ms: the broker had a free slot there and",
                self->workers[stretch->worker].name, s_ms (self, stretch->from_us), s_ms (self, stretch->to_us),
                stretch->slot_us / 1000.0);
        if (i >= 0)
            printf (" task #%ld (id %" PRIu64 ", %s %s, accepted %.0f ms, started %.0f ms on %s)", i,
                    self->tasks[i].id, s_kind (self, &self->tasks[i], kind, sizeof kind),
                    sched_priority_name (self->tasks[i].priority), s_wall_ms (self, self->tasks[i].created_ms),
                    s_wall_ms (self, self->tasks[i].dispatched_ms), self->workers[self->tasks[i].worker].name);
        else
            printf (" work");
        printf (" queued that could start there; it recorded %zu other events meanwhile\n",
                s_broker_events (self, stretch->from_us + 1000, stretch->to_us - 1000));
    }
    gap_t *by_gap = (gap_t *) malloc ((self->count + 1) * sizeof (gap_t));
    assert (by_gap);
    size_t gap_count = 0;
    for (size_t i = 0; i < self->count; i++)
        if (!self->tasks[i].failed)
            by_gap[gap_count++] = (gap_t) { gap_of[i], i };
    qsort (by_gap, gap_count, sizeof (gap_t), s_by_gap);
    for (size_t k = 0; k < gap_count && k < SCHED_DIAGNOSE_COUNT; k++) {
        const sched_run_task_t *task = &self->tasks[by_gap[k].index];
        printf ("# gap: task #%zu (id %" PRIu64 ", %s %s) on %s: submitted %.3f ms, dispatched %.0f ms, "
                "started %.3f ms, %.3f ms after a slot there was free for it (%.1f ms of it machine "
                "stalls)\n",
                by_gap[k].index, task->id, s_kind (self, task, kind, sizeof kind),
                sched_priority_name (task->priority), self->workers[task->worker].name,
                s_ms (self, task->submit_us), s_wall_ms (self, task->dispatched_ms), s_ms (self, task->start_us),
                (double) by_gap[k].gap_us / 1000.0,
                (double) sched_stalled_us (self, task->start_us - by_gap[k].gap_us, task->start_us) / 1000.0);
    }
    free (by_gap);
    if (kept > 0) {
        printf ("# kept (slots a reservation held for a bigger task while a smaller one could have started):");
        for (size_t w = 0; w < self->worker_count; w++)
            if (kept_by_worker[w] > 0)
                printf (" %s %.1f slot-ms", self->workers[w].name, kept_by_worker[w] / 1000.0);
        printf ("\n");
    }
    if (wrong_worker)
        printf ("# %zu tasks ran on a worker the fleet says cannot run them\n", wrong_worker);
    if (stalls)
        printf ("# machine stalls (a thread woke >= %d ms late): %zu, %.1f ms in all, longest %.1f ms at %.3f ms\n",
                STALL_MIN_US / 1000, stalls, (double) stalled_us / 1000.0, (double) longest_stall_us / 1000.0,
                s_ms (self, longest_stall_at));
    if (self->timeline)
        s_write_timeline (self, gap_of);
    int slots = 0;
    for (size_t w = 0; w < self->worker_count; w++)
        slots += self->workers[w].slots;

    char broker_idle_text[32] = "-";
    if (broker_view)
        snprintf (broker_idle_text, sizeof broker_idle_text, "%.0f", broker_idle / 1000.0);
    char fields[2048];
    snprintf (fields, sizeof fields,
              "idle_ms=%.1f idle_kept_ms=%.1f idle_in_stalls_ms=%.1f idle_raw_ms=%.1f res_ms=%g broker_idle_ms=%s "
              "stall_ms=%.1f stalls=%zu "
              "high_wait_p50_ms=%.3f high_wait_p99_ms=%.3f high_wait_max_ms=%.3f "
              "high_wait_p99_less_stalls_ms=%.3f high_wait_p99_slot_only_ms=%.3f normal_wait_p50_ms=%.1f normal_wait_p99_ms=%.1f makespan_s=%.3f "
              "lower_bound_s=%.3f makespan_ratio=%.4f lb_all_slots_s=%.3f lb_slots_s=%.3f lb_resources_s=%.3f "
              "lb_limits_s=%.3f lb_arrival_s=%.3f gap_p50_us=%lld "
              "gap_p99_us=%lld gap_max_us=%lld high_n=%zu slots=%d wrong_worker=%zu%s%s",
              idle / 1000.0, kept / 1000.0, (idle_with_stalls - idle) / 1000.0, idle_raw / 1000.0, self->res_ms,
              broker_idle_text, (double) stalled_us / 1000.0, stalls,
              (double) bench_samples_quantile (&high, 0.50) / 1000.0,
              (double) bench_samples_quantile (&high, 0.99) / 1000.0,
              (double) bench_samples_quantile (&high, 1.0) / 1000.0,
              (double) bench_samples_quantile (&high_less_stalls, 0.99) / 1000.0,
              (double) bench_samples_quantile (&high_plain, 0.99) / 1000.0,
              (double) bench_samples_quantile (&normal, 0.50) / 1000.0,
              (double) bench_samples_quantile (&normal, 0.99) / 1000.0, makespan_us / 1e6, bound.bound_us / 1e6,
              bound.bound_us > 0 ? makespan_us / bound.bound_us : 0.0, bound.all_slots_us / 1e6,
              bound.slots_us / 1e6, bound.resources_us / 1e6, bound.limits_us / 1e6, bound.arrival_us / 1e6,
              (long long) bench_samples_quantile (&gaps, 0.50), (long long) bench_samples_quantile (&gaps, 0.99),
              (long long) bench_samples_quantile (&gaps, 1.0), high.count, slots, wrong_worker,
              extra && *extra ? " " : "", extra ? extra : "");
    /* latency fields: the high tasks' queue wait */
    bench_result (system, workload, rep, self->count, makespan_us / 1e6, &high, broker_cpu_us, errors, fields);
    free (gap_of);
    bench_samples_free (&high);
    bench_samples_free (&high_less_stalls);
    bench_samples_free (&high_plain);
    bench_samples_free (&normal);
    bench_samples_free (&gaps);
    return wrong_worker;
}
