/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  dispatch_sigs - the scale row "dispatch-sigs" (docs/performance.md):
    the cost of one dispatch in the broker's scheduler (src/broker/
    scheduler.h, linked in as the broker links it, no sockets) with many
    tasks queued, over one requirement signature or many.

    Variants, each a scheduler of its own holding `queued` tasks of one
    type at one priority, spread uniformly at random over its signatures,
    and `workers` workers of `slots` slots each, every slot busy:

      plain        tasks that ask nothing beyond their type (the reference
                   of references: no requirement is ever matched)
      1            one signature: `os=linux`, `memory_mb>=256`
      N            N signatures (--sigs, 1000): `os=linux`,
                   `memory_mb>=K*256` for K = 1..N; every worker (os=linux,
                   memory_mb=1048576) can run every one of them
      N-tenth      N signatures `rack=rR`, `memory_mb>=K*256` (R = i % 10,
                   K = i / 10 + 1): worker w is in rack r(w % 10), so each
                   worker can run a tenth of the signatures (and of the
                   queue)

    Workers carry the labels a real one sends (host, os, arch, cores,
    memory_mb, and zone, rack), so every match does the label look-ups it
    does in the broker.

    A dispatch, as the broker does it when a task ends: scheduler_release
    of a running task, scheduler_assign of the slot it freed (the worker's
    best eligible queued task), scheduler_unblocked (nothing pending here).
    Timed with CLOCK_MONOTONIC over batches of --batch dispatches (never
    one by one); after each batch, untimed, the released tasks are queued
    again at the back with their own signature, so the queue stays at
    `queued` give or take a batch. The variants' batches are interleaved
    (one batch of each in turn), so that a noisy machine slows them alike
    and their ratio holds. Batches are long (10,000 dispatches) so that
    what one variant leaves in the caches does not weigh on the next: with
    batches of 1,000 and the N-tenth variant in between, the N variant's
    ratio doubled. A repetition is --dispatches dispatches of each
    variant; the figure is the median over --reps repetitions (after one
    untimed warm-up repetition).

    Memory: the process's RSS growth while a variant's tasks are queued
    (its scheduler, signatures and workers exist before), per task, minus
    the --payload bytes each task carries: what the scheduler and the task
    record cost (the broker adds its task table and store on top; B1
    measures the whole broker). The variants are filled one after the
    other and none is freed before the end, so each growth is its own.

    One RESULT line per variant (bench_common.h), workload
    dispatch-sigs-VARIANT, system ztask-sched:
        ns_per_dispatch (median), ns_min, ns_max, ratio (its median over
        the median of variant 1, repetition by repetition: the median of
        those ratios), bytes_per_task, rss_per_task, queued, sigs, workers,
        slots, runnable (signatures a worker can run).

        dispatch_sigs [--queued Q] [--sigs N] [--workers W] [--slots K]
                      [--dispatches D] [--reps R] [--batch B] [--payload BYTES]
                      [--rep N] [--seed S] [--variants LIST]

    Defaults: Q 1000000, N 1000, W 100, K 4, D 100000, R 7, B 10000,
    payload 64, variants "plain,1,N,N-tenth" (a comma list of plain, 1, N,
    N-tenth).
*/
#define _GNU_SOURCE
#include "bench_common.h"
#include "broker/scheduler.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LABELS 7
#define RACKS 10
#define MEMORY_STEP_MB 256
#define VARIANTS_MAX 4

/* One worker of a variant and the strings its labels point to. */
typedef struct {
    sched_worker_t sched;      /* the scheduler's part                        */
    char host[48], rack[32];   /* label values of its own                     */
    ztask_label_t labels[LABELS];
} bench_worker_t;

typedef enum { KIND_PLAIN, KIND_ONE, KIND_ALL, KIND_TENTH } kind_t;

/* One variant: a scheduler, its workers, its tasks. */
typedef struct {
    kind_t kind;
    char name[32];               /* dispatch-sigs-NAME                        */
    scheduler_t *sched;
    task_type_t *type;
    sched_sig_t **sigs;          /* the signatures tasks are spread over      */
    size_t sig_count;
    size_t runnable;             /* signatures one worker can run             */
    bench_worker_t *workers;
    task_t **running;            /* slot i of the fleet: its task              */
    size_t slot_count;
    size_t cursor;               /* the next slot to release                  */
    task_t **released;           /* the batch's released tasks, to requeue   */
    int64_t rss_growth;          /* bytes, while its tasks were queued       */
    double *ns;                  /* per repetition: ns per dispatch           */
    double *ratio;               /* per repetition: ns / variant 1's ns       */
    int64_t timed_ns;            /* of the repetition under way               */
    size_t errors;               /* an assign that found nothing: a bug       */
} variant_t;

typedef struct {
    size_t queued, sig_count, worker_count, slots, dispatches, batch, payload;
    int reps, rep;
    uint64_t seed;
} options_t;

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t
s_next_random (uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static sched_sig_t *
s_sig (variant_t *self, size_t i)
{
    char os[32] = "os=linux", rack[32], memory[48];
    const char *require[2];
    size_t step = self->kind == KIND_TENTH ? i / RACKS + 1 : i + 1;
    snprintf (memory, sizeof memory, "memory_mb>=%zu", step * MEMORY_STEP_MB);
    snprintf (rack, sizeof rack, "rack=r%zu", i % RACKS);
    require[0] = self->kind == KIND_TENTH ? rack : os;
    require[1] = memory;
    sched_needs_t needs = { require, 2, NULL, NULL, NULL };
    char error[512];
    sched_sig_t *sig = scheduler_sig (self->sched, self->type, &needs, error, sizeof error);
    if (!sig) {
        fprintf (stderr, "dispatch_sigs: signature %zu: %s\n", i, error);
        exit (1);
    }
    return sig;
}

/* The scheduler, its signatures and workers (all slots free). */
static void
s_variant_new (variant_t *self, kind_t kind, const options_t *options)
{
    memset (self, 0, sizeof *self);
    self->kind = kind;
    snprintf (self->name, sizeof self->name, "%s",
              kind == KIND_PLAIN ? "plain" : kind == KIND_ONE ? "1" : "N");
    if (kind == KIND_ALL || kind == KIND_TENTH)
        snprintf (self->name, sizeof self->name, "%zu%s", options->sig_count, kind == KIND_TENTH ? "-tenth" : "");
    self->sched = scheduler_new ();
    self->type = scheduler_type (self->sched, "bench");
    assert (self->type);
    self->sig_count = kind == KIND_PLAIN || kind == KIND_ONE ? 1 : options->sig_count;
    self->sigs = (sched_sig_t **) malloc (self->sig_count * sizeof (sched_sig_t *));
    assert (self->sigs);
    for (size_t i = 0; i < self->sig_count; i++)
        self->sigs[i] = kind == KIND_PLAIN ? self->type->plain : s_sig (self, i);
    self->runnable = kind == KIND_TENTH ? (self->sig_count + RACKS - 1) / RACKS : self->sig_count;
    self->workers = (bench_worker_t *) calloc (options->worker_count, sizeof (bench_worker_t));
    assert (self->workers);
    for (size_t w = 0; w < options->worker_count; w++) {
        bench_worker_t *worker = &self->workers[w];
        snprintf (worker->host, sizeof worker->host, "node-%03zu.example.net", w);
        snprintf (worker->rack, sizeof worker->rack, "r%zu", w % RACKS);
        const ztask_label_t labels[LABELS] = {
            { "host", worker->host }, { "os", "linux" },      { "arch", "x86_64" },  { "cores", "64" },
            { "memory_mb", "1048576" }, { "zone", "eu-1" },   { "rack", worker->rack },
        };
        memcpy (worker->labels, labels, sizeof labels);
        sched_offer_t offer = { NULL, worker->labels, LABELS, NULL, NULL, 0 };
        scheduler_worker_add (self->sched, &worker->sched, &self->type, 1, 0x3ff, (uint32_t) options->slots,
                              &offer);
    }
    self->slot_count = options->worker_count * options->slots;
    self->running = (task_t **) calloc (self->slot_count, sizeof (task_t *));
    self->released = (task_t **) calloc (options->batch, sizeof (task_t *));
    self->ns = (double *) calloc ((size_t) options->reps, sizeof (double));
    self->ratio = (double *) calloc ((size_t) options->reps, sizeof (double));
    assert (self->running && self->released && self->ns && self->ratio);
}

/* Submits the running tasks (one per slot), then the queued ones. The
   RSS growth of the latter is the variant's. Slot i of the fleet belongs
   to worker i % workers, so that consecutive releases visit every worker. */
static int
s_variant_fill (variant_t *self, const options_t *options, uint64_t *seed, uint64_t *next_id)
{
    const char payload[256] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    size_t taken = 0;
    /* Every slot gets a task of a signature its worker can run. */
    for (size_t s = 0; s < self->slot_count; s++) {
        size_t w = s % options->worker_count;
        size_t i = (size_t) (s_next_random (seed) % self->sig_count);
        if (self->kind == KIND_TENTH)
            i = (i - i % RACKS + w % RACKS) % self->sig_count;
        task_t *task = task_new ((*next_id)++, self->type, 5, payload, options->payload);
        task->sig = self->sigs[i] == self->type->plain ? NULL : self->sigs[i];
        scheduler_task_added (self->sched, task);
        if (scheduler_adopt (self->sched, &self->workers[w].sched, task) != 0) {
            fprintf (stderr, "dispatch_sigs: %s: slot %zu not free\n", self->name, s);
            return -1;
        }
        self->running[s] = task;
        taken++;
    }
    int64_t rss_before = bench_process_rss (getpid ());
    for (size_t q = 0; q < options->queued; q++) {
        size_t i = (size_t) (s_next_random (seed) % self->sig_count);
        task_t *task = task_new ((*next_id)++, self->type, 5, payload, options->payload);
        task->sig = self->sigs[i] == self->type->plain ? NULL : self->sigs[i];
        scheduler_task_added (self->sched, task);
        if (scheduler_submit (self->sched, task, false)) {
            fprintf (stderr, "dispatch_sigs: %s: a submit found a free slot\n", self->name);
            return -1;
        }
    }
    int64_t rss_after = bench_process_rss (getpid ());
    self->rss_growth = rss_before >= 0 && rss_after >= 0 ? rss_after - rss_before : -1;
    if (scheduler_queued (self->sched) != options->queued || scheduler_running (self->sched) != taken) {
        fprintf (stderr, "dispatch_sigs: %s: %zu queued, %zu running after the fill\n", self->name,
                 scheduler_queued (self->sched), scheduler_running (self->sched));
        return -1;
    }
    return 0;
}

/* One batch: count dispatches timed, then the released tasks queued again
   untimed. */
static void
s_batch (variant_t *self, size_t count)
{
    int64_t start = s_now_ns ();
    for (size_t k = 0; k < count; k++) {
        size_t s = self->cursor;
        self->cursor = self->cursor + 1 == self->slot_count ? 0 : self->cursor + 1;
        task_t *task = self->running[s];
        sched_worker_t *worker = task->worker;
        scheduler_release (self->sched, task);
        task_t *next = scheduler_assign (self->sched, worker);
        while (scheduler_unblocked (self->sched))
            ;
        self->released[k] = task;
        self->running[s] = next;
        if (!next) {
            /* Cannot happen with a queue this long: the worker keeps a free
               slot; give it the task it just ended. */
            self->errors++;
            self->running[s] = task;
            scheduler_adopt (self->sched, worker, task);
            self->released[k] = NULL;
        }
    }
    self->timed_ns += s_now_ns () - start;
    for (size_t k = 0; k < count; k++)
        if (self->released[k] && scheduler_submit (self->sched, self->released[k], false))
            self->errors++; /* a free slot took it: counted, never happens */
}

static int
s_by_value (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_median (const double *values, int count, double *lo, double *hi)
{
    double *sorted = (double *) malloc ((size_t) count * sizeof (double));
    assert (sorted);
    memcpy (sorted, values, (size_t) count * sizeof (double));
    qsort (sorted, (size_t) count, sizeof (double), s_by_value);
    double median = count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
    if (lo)
        *lo = sorted[0];
    if (hi)
        *hi = sorted[count - 1];
    free (sorted);
    return median;
}

static void
s_usage (void)
{
    fprintf (stderr, "usage: dispatch_sigs [--queued Q] [--sigs N] [--workers W] [--slots K] [--dispatches D]\n"
                     "                     [--reps R] [--batch B] [--payload BYTES] [--rep N] [--seed S]\n"
                     "                     [--variants plain,1,N,N-tenth]\n");
    exit (2);
}

static size_t
s_size (const char *value, size_t lo, size_t hi)
{
    char *end = NULL;
    unsigned long long n = strtoull (value, &end, 10);
    if (!*value || *end || value[0] == '-' || n < lo || n > hi)
        s_usage ();
    return (size_t) n;
}

int
main (int argc, char *argv[])
{
    options_t options = { 1000000, 1000, 100, 4, 100000, 10000, 64, 7, 1, 1 };
    const char *variant_list = "plain,1,N,N-tenth";
    for (int a = 1; a < argc; a++) {
        if (a + 1 >= argc)
            s_usage ();
        const char *flag = argv[a], *value = argv[++a];
        if (streq (flag, "--queued"))
            options.queued = s_size (value, 1, 100000000);
        else if (streq (flag, "--sigs")) {
            options.sig_count = s_size (value, RACKS, 16000);
            if (options.sig_count % RACKS)
                s_usage (); /* N-tenth spreads them evenly over the racks */
        }
        else if (streq (flag, "--workers"))
            options.worker_count = s_size (value, RACKS, 100000);
        else if (streq (flag, "--slots"))
            options.slots = s_size (value, 1, 1024);
        else if (streq (flag, "--dispatches"))
            options.dispatches = s_size (value, 1, 1000000000);
        else if (streq (flag, "--reps"))
            options.reps = (int) s_size (value, 1, 1000);
        else if (streq (flag, "--batch"))
            options.batch = s_size (value, 1, 1000000);
        else if (streq (flag, "--payload"))
            options.payload = s_size (value, 0, 256);
        else if (streq (flag, "--rep"))
            options.rep = (int) s_size (value, 0, 1000000);
        else if (streq (flag, "--seed"))
            options.seed = s_size (value, 0, SIZE_MAX);
        else if (streq (flag, "--variants"))
            variant_list = value;
        else
            s_usage ();
    }
    if (options.batch > options.queued)
        options.batch = options.queued; /* the queue never runs dry in a batch */

    kind_t kinds[VARIANTS_MAX];
    size_t count = 0;
    char *list = strdup (variant_list);
    assert (list);
    for (char *save = NULL, *item = strtok_r (list, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        kind_t kind;
        if (streq (item, "plain"))
            kind = KIND_PLAIN;
        else if (streq (item, "1"))
            kind = KIND_ONE;
        else if (streq (item, "N"))
            kind = KIND_ALL;
        else if (streq (item, "N-tenth"))
            kind = KIND_TENTH;
        else
            s_usage ();
        for (size_t v = 0; v < count; v++)
            if (kinds[v] == kind)
                s_usage ();
        if (count == VARIANTS_MAX)
            s_usage ();
        kinds[count++] = kind;
    }
    free (list);
    if (count == 0)
        s_usage ();

    variant_t *variants = (variant_t *) calloc (count, sizeof (variant_t));
    assert (variants);
    variant_t *reference = NULL;
    uint64_t seed = options.seed, next_id = 1;
    for (size_t v = 0; v < count; v++) {
        s_variant_new (&variants[v], kinds[v], &options);
        int64_t start = s_now_ns ();
        if (s_variant_fill (&variants[v], &options, &seed, &next_id) != 0)
            return 1;
        fprintf (stderr, "dispatch_sigs: %s: %zu queued, %zu running in %.1f s\n", variants[v].name,
                 options.queued, variants[v].slot_count, (double) (s_now_ns () - start) / 1e9);
        if (kinds[v] == KIND_ONE)
            reference = &variants[v];
    }
    /* Repetition 0 warms up (caches, page faults of the requeued tasks). */
    for (int r = 0; r <= options.reps; r++) {
        for (size_t v = 0; v < count; v++)
            variants[v].timed_ns = 0;
        for (size_t done = 0; done < options.dispatches; done += options.batch) {
            size_t n = options.dispatches - done < options.batch ? options.dispatches - done : options.batch;
            for (size_t v = 0; v < count; v++)
                s_batch (&variants[v], n);
        }
        if (r == 0)
            continue;
        for (size_t v = 0; v < count; v++)
            variants[v].ns[r - 1] = (double) variants[v].timed_ns / (double) options.dispatches;
        for (size_t v = 0; v < count && reference; v++)
            variants[v].ratio[r - 1] = variants[v].ns[r - 1] / reference->ns[r - 1];
    }
    int status = 0;
    for (size_t v = 0; v < count; v++) {
        variant_t *self = &variants[v];
        double lo, hi;
        double ns = s_median (self->ns, options.reps, &lo, &hi);
        char ratio[32] = "";
        if (reference)
            snprintf (ratio, sizeof ratio, " ratio=%.3f", s_median (self->ratio, options.reps, NULL, NULL));
        double per_task = self->rss_growth >= 0 ? (double) self->rss_growth / (double) options.queued : -1;
        char extra[512];
        snprintf (extra, sizeof extra,
                  "ns_per_dispatch=%.1f ns_min=%.1f ns_max=%.1f%s bytes_per_task=%.0f rss_per_task=%.0f "
                  "payload=%zu queued=%zu sigs=%zu runnable=%zu workers=%zu slots=%zu reps=%d batch=%zu",
                  ns, lo, hi, ratio, per_task >= 0 ? per_task - (double) options.payload : -1, per_task,
                  options.payload, options.queued, self->sig_count, self->runnable, options.worker_count,
                  options.slots, options.reps, options.batch);
        char workload[64];
        snprintf (workload, sizeof workload, "dispatch-sigs-%s", self->name);
        double seconds = 0;
        for (int r = 0; r < options.reps; r++)
            seconds += self->ns[r] * (double) options.dispatches / 1e9;
        bench_result ("ztask-sched", workload, options.rep, options.dispatches * (size_t) options.reps, seconds,
                      NULL, -1, self->errors, extra);
        if (self->errors)
            status = 1;
    }
    /* The schedulers are not freed: the process ends (freeing millions of
       tasks one by one would only cost time). */
    return status;
}
