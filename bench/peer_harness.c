/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  peer_harness - runs one benchmark workload against a peer through its
    driver's callbacks (peer_harness.h says what is measured and how).
*/
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer_harness.h"

#define WARMUP 100       //  unmeasured tasks before W3
#define SETTLE_US 200000 //  once all are connected, for registrations to land
#define MAX_CHILDREN 64  //  workers plus burst clients

static const char *s_workload_names[] = { "W1", "W2", "W3", "B1" };

//  Shared by the parent and the processes it forks (an anonymous shared map).
typedef struct {
    atomic_long completed;             //  tasks the workers have run
    atomic_llong completed_at;         //  bench_now_us () when completed reached target
    long target;                       //  tasks the workers must run
    atomic_int ready;                  //  workers and burst clients connected
    atomic_int go;                     //  burst clients start when set
    atomic_long accepted;              //  B1: acceptances over all clients
    atomic_long errors;                //  B1: errors over all clients
    int64_t finished_at[MAX_CHILDREN]; //  B1: each client's last acceptance
} shared_t;

static const peer_driver_t *s_driver; //  the peer's protocol; its name in messages
static shared_t *s_shared;
static pid_t s_children[MAX_CHILDREN];
static int s_child_count;

void
peer_die (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s[%d]: ", s_driver->program, (int) getpid ());
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    exit (1);
}

void *
peer_alloc (size_t size)
{
    void *memory = calloc (1, size ? size : 1);
    if (!memory)
        peer_die ("out of memory");
    return memory;
}

//  The payload of task seq: "<seq>|<tag>|" padded with '.' to size bytes.
static void
s_payload (char *buffer, int size, long seq, const char *tag)
{
    char head[128];
    int length = snprintf (head, sizeof head, "%ld|%s|", seq, tag);
    if (length < 0 || length > size)
        peer_die ("a payload of %d bytes cannot hold \"%s\"", size, head);
    memcpy (buffer, head, (size_t) length);
    memset (buffer + length, '.', (size_t) (size - length));
}

//  ---------------------------------------------------------------------
//  The tally: one client's submits and replies

static void
s_tally_init (peer_tally_t *self, const peer_options_t *options, long total, long measure_from)
{
    memset (self, 0, sizeof *self);
    self->options = options;
    self->tag = "";
    self->total = total;
    self->measure_from = measure_from;
    self->submitted_at = (int64_t *) peer_alloc ((size_t) total * sizeof (int64_t));
    self->answered = (bool *) peer_alloc ((size_t) total * sizeof (bool));
    self->payload = (char *) peer_alloc ((size_t) options->payload);
    self->expected = (char *) peer_alloc ((size_t) options->payload);
}

const char *
peer_tally_submit (peer_tally_t *self, long seq)
{
    s_payload (self->payload, self->options->payload, seq, self->tag);
    int64_t now = bench_now_us ();
    self->submitted_at[seq] = now;
    if (seq >= self->measure_from && self->first_us == 0)
        self->first_us = now;
    return self->payload;
}

void
peer_tally_accepted (peer_tally_t *self)
{
    self->accepted++;
    self->last_us = bench_now_us ();
}

void
peer_tally_result (peer_tally_t *self, const void *data, size_t size)
{
    int64_t now = bench_now_us ();
    const char *text = (const char *) data;
    long seq = 0;
    size_t digits = 0;
    while (digits < size && digits < 12 && text[digits] >= '0' && text[digits] <= '9')
        seq = seq * 10 + (text[digits++] - '0');
    if (digits == 0 || seq >= self->total || self->answered[seq] || self->submitted_at[seq] == 0) {
        self->errors++;
        return;
    }
    s_payload (self->expected, self->options->payload, seq, self->tag);
    if (size != (size_t) self->options->payload || memcmp (data, self->expected, size) != 0) {
        self->errors++;
        return;
    }
    self->answered[seq] = true;
    self->results++;
    self->last_us = now;
    if (seq >= self->measure_from)
        bench_samples_add (&self->latency, now - self->submitted_at[seq]);
}

static void
s_tally_free (peer_tally_t *self)
{
    free (self->submitted_at);
    free (self->answered);
    free (self->payload);
    free (self->expected);
    bench_samples_free (&self->latency);
}

void
peer_ready (void)
{
    atomic_fetch_add (&s_shared->ready, 1);
}

void
peer_task_done (void)
{
    if (atomic_fetch_add (&s_shared->completed, 1) + 1 == s_shared->target)
        atomic_store (&s_shared->completed_at, bench_now_us ());
}

//  ---------------------------------------------------------------------
//  The run: forked workers and burst clients, timing, the RESULT line

//  The time limit: kill every process of the run and give up.
static void
s_on_alarm (int signum)
{
    static const char message[] = ": time limit reached, run abandoned\n";
    (void) signum;
    (void) !write (STDERR_FILENO, s_driver->program, strlen (s_driver->program));
    (void) !write (STDERR_FILENO, message, sizeof message - 1);
    for (int i = 0; i < s_child_count; i++)
        kill (s_children[i], SIGKILL);
    _exit (124);
}

static void
s_spawn (void (*body) (const peer_options_t *, int), const peer_options_t *options, int id)
{
    pid_t parent = getpid ();
    fflush (NULL);
    pid_t pid = fork ();
    if (pid < 0)
        peer_die ("fork: %s", strerror (errno));
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL); //  never outlive the run
        if (getppid () != parent)
            _exit (1);
        signal (SIGALRM, SIG_DFL);
        alarm ((unsigned) options->time_limit + 5);
        body (options, id);
        _exit (0);
    }
    s_children[s_child_count++] = pid;
}

static void
s_wait_ready (int count)
{
    while (atomic_load (&s_shared->ready) < count) {
        if (waitpid (-1, NULL, WNOHANG) > 0)
            peer_die ("a worker or client exited before it was ready");
        usleep (1000);
    }
    usleep (SETTLE_US);
}

//  SIGTERM every child, allow a second, then SIGKILL what is left.
static void
s_stop_children (void)
{
    int left = s_child_count;
    for (int i = 0; i < s_child_count; i++)
        kill (s_children[i], SIGTERM);
    for (int tries = 0; left > 0 && tries < 1000; tries++) {
        while (left > 0 && waitpid (-1, NULL, WNOHANG) > 0)
            left--;
        if (left > 0)
            usleep (1000);
    }
    for (int i = 0; left > 0 && i < s_child_count; i++)
        kill (s_children[i], SIGKILL);
    while (left > 0 && waitpid (-1, NULL, 0) > 0)
        left--;
    s_child_count = 0;
}

//  B1: one of the clients; it submits its share of the tasks after "go".
static void
s_burst_client (const peer_options_t *options, int id)
{
    long share = options->tasks / options->clients;
    long first = id * share;
    long count = id == options->clients - 1 ? options->tasks - first : share;
    peer_tally_t tally;
    s_tally_init (&tally, options, options->tasks, 0);
    peer_client_t *client = s_driver->client_new (options, &tally);
    peer_ready ();
    while (!atomic_load (&s_shared->go))
        usleep (50);
    int rc = s_driver->client_run (client, first, count);
    s_shared->finished_at[id] = tally.last_us;
    atomic_fetch_add (&s_shared->accepted, tally.accepted);
    atomic_fetch_add (&s_shared->errors, tally.errors + (rc < 0 || tally.accepted != count));
    s_driver->client_destroy (&client);
    s_tally_free (&tally);
    _exit (rc < 0 ? 1 : 0);
}

static int64_t
s_server_cpu_us (const peer_options_t *options)
{
    return options->server_pid ? bench_process_cpu_us (options->server_pid) : -1;
}

static int
s_run (const peer_options_t *options)
{
    peer_workload_t workload = options->workload;
    long warmup = workload == PEER_W3 ? WARMUP : 0;
    s_shared = (shared_t *) mmap (NULL, sizeof (shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                  -1, 0);
    if (s_shared == MAP_FAILED)
        peer_die ("mmap: %s", strerror (errno));
    s_shared->target = workload == PEER_B1 ? 0 : options->tasks + warmup;
    signal (SIGALRM, s_on_alarm);
    alarm ((unsigned) options->time_limit);

    //  Fork first: the parent's own connection must not be shared with children.
    for (int id = 0; id < options->workers; id++)
        s_spawn (s_driver->worker, options, id);
    for (int id = 0; workload == PEER_B1 && id < options->clients; id++)
        s_spawn (s_burst_client, options, id);
    peer_tally_t tally;
    s_tally_init (&tally, options, options->tasks + warmup, warmup);
    peer_client_t *client = workload == PEER_B1 ? NULL : s_driver->client_new (options, &tally);
    s_wait_ready (options->workers + (workload == PEER_B1 ? options->clients : 0));
    if (warmup && s_driver->client_run (client, 0, warmup) < 0)
        peer_die ("the warm-up failed");

    int64_t rss_before = options->server_pid ? bench_process_rss (options->server_pid) : -1;
    int64_t cpu_before = s_server_cpu_us (options), cpu_after = -1;
    int64_t machine_before = bench_machine_busy_us ();
    int64_t start_us = 0, end_us = 0;
    long errors = 0, answered = 0;
    char extra[256];
    int length = snprintf (extra, sizeof extra, "window=%d workers=%d payload=%d", options->window,
                           options->workers, options->payload);

    if (workload == PEER_B1) {
        start_us = bench_now_us ();
        atomic_store (&s_shared->go, 1);
        for (int i = 0; i < s_child_count; i++) {
            int status;
            if (waitpid (s_children[i], &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
                errors++;
        }
        s_child_count = 0;
        cpu_after = s_server_cpu_us (options);
        for (int i = 0; i < options->clients; i++)
            if (s_shared->finished_at[i] > end_us)
                end_us = s_shared->finished_at[i];
        answered = atomic_load (&s_shared->accepted);
        errors += atomic_load (&s_shared->errors);
        length += snprintf (extra + length, sizeof extra - (size_t) length, " clients=%d", options->clients);
        if (rss_before > 0) {
            usleep (100000); //  let the last acknowledged task land in the queue
            int64_t rss_after = bench_process_rss (options->server_pid);
            double per_task = (double) (rss_after - rss_before) / (double) options->tasks - options->payload;
            snprintf (extra + length, sizeof extra - (size_t) length,
                      " rss_before_kb=%lld rss_after_kb=%lld bytes_per_task=%.0f", (long long) rss_before / 1024,
                      (long long) rss_after / 1024, per_task);
        }
    }
    else {
        if (s_driver->client_run (client, warmup, options->tasks) < 0)
            errors++;
        start_us = tally.first_us;
        end_us = tally.last_us;
        answered = workload == PEER_W2 ? tally.accepted : tally.results - warmup;
        if (workload == PEER_W2 && errors == 0) {
            while (atomic_load (&s_shared->completed) < s_shared->target)
                usleep (1000); //  bounded by the time limit
            double done_s = (double) (atomic_load (&s_shared->completed_at) - start_us) / 1e6;
            snprintf (extra + length, sizeof extra - (size_t) length, " done_s=%.3f done_rate=%.0f", done_s,
                      done_s > 0 ? (double) options->tasks / done_s : 0.0);
        }
        cpu_after = s_server_cpu_us (options);
        int64_t machine_after = bench_machine_busy_us ();
        if (workload == PEER_W1 && machine_before >= 0 && machine_after >= 0)
            length += snprintf (extra + length, sizeof extra - (size_t) length, " all_cpu_us_per_task=%.2f",
                                (double) (machine_after - machine_before) / (double) options->tasks);
        errors += tally.errors;
        usleep (20000); //  a task run twice would show up in the count
    }
    long completed = atomic_load (&s_shared->completed);
    s_stop_children ();
    alarm (0);
    if (answered != options->tasks) {
        fprintf (stderr, "%s: %ld of %ld tasks answered\n", s_driver->program, answered, options->tasks);
        errors += labs (options->tasks - answered);
    }
    if (completed != s_shared->target) {
        fprintf (stderr, "%s: the workers ran %ld tasks, not %ld\n", s_driver->program, completed,
                 s_shared->target);
        errors += labs (s_shared->target - completed);
    }
    bench_result (options->system, s_workload_names[workload], options->rep, (size_t) options->tasks,
                  end_us > start_us ? (double) (end_us - start_us) / 1e6 : 0,
                  workload == PEER_W1 || workload == PEER_W3 ? &tally.latency : NULL,
                  cpu_before >= 0 && cpu_after >= 0 ? cpu_after - cpu_before : -1, (size_t) errors, extra);
    if (client)
        s_driver->client_destroy (&client);
    s_tally_free (&tally);
    return errors ? 1 : 0;
}

//  ---------------------------------------------------------------------
//  The command line

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: %s %s -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW]\n"
             "         [-w WORKERS] [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID] [-L SYSTEM]\n"
             "  defaults: -n 50000 -c 256 -w 4 (W3: 1, B1: 0) -k 4 -s 64 -T 120 -r 1 -L %s\n"
             "  W3 runs one task at a time after %d unmeasured ones; B1 runs no worker\n",
             s_driver->program, s_driver->ports_usage, s_driver->system, WARMUP);
    exit (2);
}

static long
s_number (const char *text, long low, long high, const char *what)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || end == text || *end || value < low || value > high) {
        fprintf (stderr, "%s: %s must be a number from %ld to %ld, not \"%s\"\n", s_driver->program, what, low,
                 high, text);
        exit (2);
    }
    return value;
}

int
peer_harness_main (const peer_driver_t *driver, int argc, char *argv[])
{
    s_driver = driver;
    peer_options_t options = { .system = driver->system, .tasks = 50000, .window = 256, .workers = -1,
                               .clients = 4, .payload = 64, .time_limit = 120, .rep = 1 };
    int workload = -1, option;
    while ((option = getopt (argc, argv, driver->two_ports ? "W:n:c:w:k:s:p:P:T:r:S:L:h"
                                                           : "W:n:c:w:k:s:p:T:r:S:L:h"))
           != -1) {
        switch (option) {
        case 'W':
            for (int i = 0; i < 4; i++)
                if (strcmp (optarg, s_workload_names[i]) == 0)
                    workload = i;
            if (workload < 0)
                s_usage ();
            break;
        case 'n': options.tasks = s_number (optarg, 1, 10000000, "-n"); break;
        case 'c': options.window = (int) s_number (optarg, 1, 100000, "-c"); break;
        case 'w': options.workers = (int) s_number (optarg, 0, MAX_CHILDREN / 2, "-w"); break;
        case 'k': options.clients = (int) s_number (optarg, 1, MAX_CHILDREN / 2, "-k"); break;
        case 's': options.payload = (int) s_number (optarg, 32, 60000, "-s"); break;
        case 'p': options.port = (int) s_number (optarg, 1, 65535, "-p"); break;
        case 'P': options.port2 = (int) s_number (optarg, 1, 65535, "-P"); break;
        case 'T': options.time_limit = (int) s_number (optarg, 1, 3600, "-T"); break;
        case 'r': options.rep = (int) s_number (optarg, 0, 1000000, "-r"); break;
        case 'S': options.server_pid = (int) s_number (optarg, 1, 1 << 30, "-S"); break;
        case 'L': options.system = optarg; break;
        default: s_usage ();
        }
    }
    if (optind != argc || workload < 0 || !options.port || (driver->two_ports && !options.port2))
        s_usage ();
    options.workload = (peer_workload_t) workload;
    if (options.workers < 0)
        options.workers = options.workload == PEER_W3 ? 1 : options.workload == PEER_B1 ? 0 : 4;
    if (options.workload == PEER_W3)
        options.window = 1;
    if (options.workload == PEER_B1 && options.workers > 0) {
        fprintf (stderr, "%s: B1 runs no worker\n", driver->program);
        return 2;
    }
    if (options.workload != PEER_B1 && options.workers == 0) {
        fprintf (stderr, "%s: %s needs a worker\n", driver->program, s_workload_names[options.workload]);
        return 2;
    }
    if (options.workload != PEER_B1)
        options.clients = 0;
    return s_run (&options);
}
