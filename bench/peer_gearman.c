/*  peer_gearman - ztask's benchmark workloads against gearmand, through
    libgearman. One run is one workload; scripts/bench_peers.sh starts
    gearmand (in memory, `-t 0`) and calls this.

        peer_gearman -p PORT -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW] [-w WORKERS]
                     [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID]
                     [-L SYSTEM]

    Client: gearman_client_add_task (W1, W3) or add_task_background (W2, B1),
    all driven by one gearman_client_run_tasks call. Worker:
    gearman_worker_add_function + gearman_worker_work, one job at a time; a
    background task is accepted at its JOB_CREATED.

    The workloads (the same in peer_beanstalk.c and peer_zmq.c). Every
    task is a no-op whose result is its payload, "<seq>|<tag>|" padded to
    BYTES (64); every result is checked against the payload it belongs to.
        W1  round trip: TASKS (50000) tasks, at most WINDOW (256) unanswered,
            WORKERS (4) worker processes of one task at a time;
            rate = TASKS / (first submit .. last result), latency of each.
        W2  dispatch only: background tasks, at most WINDOW unacknowledged;
            rate = TASKS / (first submit .. last acceptance). The workers run
            them meanwhile; it then waits, untimed, until they have run them
            all: done_s= and done_rate= from the first submit to then.
        W3  latency: one task at a time, 1 worker, after 100 unmeasured ones:
            p50 / p99 / max.
        B1  burst: CLIENTS (4) client processes submit TASKS background tasks
            between them, WINDOW unacknowledged each, and no worker runs them;
            rate as W2. With -S, the server's memory per queued task:
            bytes_per_task = (RSS after - RSS before) / TASKS - BYTES.
    With -S, cpu_us_per_task is the server's CPU time (user + system, all
    threads) from the first submit to the last result (W1, W3), to the last
    acceptance (B1), or until the workers have run every task (W2).

    Prints one RESULT line (bench_common.h) with system=SYSTEM (gearmand).
    Exit status: 0; 1 if a task was lost, duplicated, corrupted or refused,
    or a connection failed; 2 for a usage error; 124 at the time limit
    (-T, default 120 s), when every process of the run is killed.
*/
#define _GNU_SOURCE
#include <libgearman/gearman.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define PROGRAM "peer_gearman"
#define SYSTEM "gearmand"
#define HOST "127.0.0.1"
#define WARMUP 100       //  unmeasured tasks before W3
#define SETTLE_US 200000 //  once all are connected, for registrations to land
#define MAX_CHILDREN 64  //  workers plus burst clients

typedef enum { W1, W2, W3, B1 } workload_t;
static const char *s_workload_names[] = { "W1", "W2", "W3", "B1" };

typedef struct {
    workload_t workload; //  what to run
    const char *system;  //  system= in the RESULT line
    long tasks;          //  tasks measured (W3: after the warm-up)
    int window;          //  most tasks unanswered at one client
    int workers;         //  worker processes
    int clients;         //  client processes (B1)
    int payload;         //  bytes in each task and each result
    int port;            //  the server's port
    int time_limit;      //  seconds before the run is abandoned
    int rep;             //  rep= in the RESULT line
    int server_pid;      //  the server, for CPU time and memory; 0: not measured
} options_t;

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

//  One client process's view of its tasks, indexed by sequence number.
typedef struct {
    const options_t *options; //  the run
    const char *tag;          //  routing tag in each payload ("" if none)
    long total;               //  sequence numbers run from 0 to total - 1
    long measure_from;        //  first sequence number that is measured
    int64_t *submitted_at;    //  bench_now_us () of each submit
    bool *answered;           //  whether each result has come
    long results;             //  results received
    long accepted;            //  background submits accepted
    long errors;              //  results malformed, unknown or duplicated; refusals
    int64_t first_us;         //  first measured submit
    int64_t last_us;          //  last result or acceptance
    bench_samples_t latency;  //  submit to result, measured tasks only
    char *expected;           //  scratch: the payload a result must equal
} tally_t;

static shared_t *s_shared;
static pid_t s_children[MAX_CHILDREN];
static int s_child_count;

static void
s_die (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, PROGRAM "[%d]: ", (int) getpid ());
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    exit (1);
}

static void *
s_alloc (size_t size)
{
    void *memory = calloc (1, size ? size : 1);
    if (!memory)
        s_die ("out of memory");
    return memory;
}

//  The payload of task seq: "<seq>|<tag>|" padded with '.' to size bytes.
static void
s_payload (char *buffer, int size, long seq, const char *tag)
{
    char head[128];
    int length = snprintf (head, sizeof head, "%ld|%s|", seq, tag);
    if (length < 0 || length > size)
        s_die ("a payload of %d bytes cannot hold \"%s\"", size, head);
    memcpy (buffer, head, (size_t) length);
    memset (buffer + length, '.', (size_t) (size - length));
}

static void
s_tally_init (tally_t *self, const options_t *options, long total, long measure_from)
{
    memset (self, 0, sizeof *self);
    self->options = options;
    self->tag = "";
    self->total = total;
    self->measure_from = measure_from;
    self->submitted_at = (int64_t *) s_alloc ((size_t) total * sizeof (int64_t));
    self->answered = (bool *) s_alloc ((size_t) total * sizeof (bool));
    self->expected = (char *) s_alloc ((size_t) options->payload);
}

static void
s_tally_submitted (tally_t *self, long seq)
{
    int64_t now = bench_now_us ();
    self->submitted_at[seq] = now;
    if (seq >= self->measure_from && self->first_us == 0)
        self->first_us = now;
}

static void
s_tally_accepted (tally_t *self)
{
    self->accepted++;
    self->last_us = bench_now_us ();
}

//  A result must be the payload of a task submitted and not yet answered.
static void
s_tally_result (tally_t *self, const void *data, size_t size)
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
s_tally_free (tally_t *self)
{
    free (self->submitted_at);
    free (self->answered);
    free (self->expected);
    bench_samples_free (&self->latency);
}

//  A worker or burst client is connected and serving.
static void
s_ready (void)
{
    atomic_fetch_add (&s_shared->ready, 1);
}

//  A worker has run a task.
static void
s_task_done (void)
{
    if (atomic_fetch_add (&s_shared->completed, 1) + 1 == s_shared->target)
        atomic_store (&s_shared->completed_at, bench_now_us ());
}

//  ---------------------------------------------------------------------
//  gearmand: client and worker through libgearman

#define FUNCTION "noop"

//  The client adds tasks with gearman_client_add_task (W1, W3) or
//  gearman_client_add_task_background (W2, B1) and drives them all with one
//  gearman_client_run_tasks call; each result (W1, W3) or JOB_CREATED (W2, B1)
//  adds the next task from its callback, which keeps the window full.
typedef struct {
    const options_t *options;   //  the run
    tally_t *tally;             //  where submits and replies are counted
    gearman_client_st *gearman; //  the connection to gearmand
    bool background;            //  W2, B1: background tasks
    long next;                  //  next sequence number to submit
    long end;                   //  one past the last one of this run
    long answered;              //  results or acceptances in this run
    long failures;              //  tasks that failed or could not be added
    char *payload;              //  the task being sent
} client_t;

static void
s_client_submit (client_t *self)
{
    if (self->next >= self->end)
        return;
    gearman_return_t rc;
    gearman_task_st *task;
    s_payload (self->payload, self->options->payload, self->next, "");
    s_tally_submitted (self->tally, self->next++);
    if (self->background)
        task = gearman_client_add_task_background (self->gearman, NULL, self, FUNCTION, NULL, self->payload,
                                                   (size_t) self->options->payload, &rc);
    else
        task = gearman_client_add_task (self->gearman, NULL, self, FUNCTION, NULL, self->payload,
                                        (size_t) self->options->payload, &rc);
    if (!task || rc != GEARMAN_SUCCESS)
        self->failures++;
}

static gearman_return_t
s_client_on_created (gearman_task_st *task)
{
    client_t *self = (client_t *) gearman_task_context (task);
    if (self->background) { //  a background task ends at JOB_CREATED
        s_tally_accepted (self->tally);
        self->answered++;
        s_client_submit (self);
    }
    return GEARMAN_SUCCESS;
}

static gearman_return_t
s_client_on_complete (gearman_task_st *task)
{
    client_t *self = (client_t *) gearman_task_context (task);
    s_tally_result (self->tally, gearman_task_data (task), gearman_task_data_size (task));
    self->answered++;
    s_client_submit (self);
    return GEARMAN_SUCCESS;
}

static gearman_return_t
s_client_on_fail (gearman_task_st *task)
{
    client_t *self = (client_t *) gearman_task_context (task);
    self->failures++;
    s_client_submit (self);
    return GEARMAN_SUCCESS;
}

static client_t *
s_client_new (const options_t *options, tally_t *tally)
{
    client_t *self = (client_t *) s_alloc (sizeof (client_t));
    self->options = options;
    self->tally = tally;
    self->background = options->workload == W2 || options->workload == B1;
    self->payload = (char *) s_alloc ((size_t) options->payload);
    self->gearman = gearman_client_create (NULL);
    if (!self->gearman || gearman_client_add_server (self->gearman, HOST, (in_port_t) options->port) != GEARMAN_SUCCESS)
        s_die ("gearman client setup failed");
    gearman_client_add_options (self->gearman, GEARMAN_CLIENT_FREE_TASKS);
    gearman_client_set_created_fn (self->gearman, s_client_on_created);
    gearman_client_set_complete_fn (self->gearman, s_client_on_complete);
    gearman_client_set_fail_fn (self->gearman, s_client_on_fail);
    //  Connect now, not in the timed part.
    if (gearman_client_echo (self->gearman, "ping", 4) != GEARMAN_SUCCESS)
        s_die ("cannot reach gearmand on port %d: %s", options->port, gearman_client_error (self->gearman));
    return self;
}

static void
s_client_destroy (client_t **self_p)
{
    client_t *self = *self_p;
    if (!self)
        return;
    gearman_client_free (self->gearman);
    free (self->payload);
    free (self);
    *self_p = NULL;
}

//  Submits tasks first .. first + count - 1, at most a window unanswered,
//  until every one has its result (W1, W3) or its JOB_CREATED (W2, B1).
//  0, or -1 if a task failed or the connection did.
static int
s_client_run (client_t *self, long first, long count)
{
    self->next = first;
    self->end = first + count;
    self->answered = 0;
    self->failures = 0;
    for (int i = 0; i < self->options->window; i++)
        s_client_submit (self);
    gearman_return_t rc = gearman_client_run_tasks (self->gearman);
    if (rc != GEARMAN_SUCCESS) {
        fprintf (stderr, PROGRAM ": gearman_client_run_tasks: %s\n", gearman_client_error (self->gearman));
        return -1;
    }
    if (self->failures || self->answered != count) {
        fprintf (stderr, PROGRAM ": %ld tasks failed, %ld of %ld answered\n", self->failures, self->answered,
                 count);
        return -1;
    }
    return 0;
}

static void *
s_worker_noop (gearman_job_st *job, void *context, size_t *size, gearman_return_t *rc)
{
    (void) context;
    size_t workload_size = gearman_job_workload_size (job);
    void *result = malloc (workload_size); //  libgearman frees it
    if (result)
        memcpy (result, gearman_job_workload (job), workload_size);
    *size = result ? workload_size : 0;
    *rc = result ? GEARMAN_SUCCESS : GEARMAN_WORK_FAIL;
    s_task_done ();
    return result;
}

static void
s_worker (const options_t *options, int id)
{
    gearman_worker_st *worker = gearman_worker_create (NULL);
    if (!worker || gearman_worker_add_server (worker, HOST, (in_port_t) options->port) != GEARMAN_SUCCESS
        || gearman_worker_add_function (worker, FUNCTION, 0, s_worker_noop, NULL) != GEARMAN_SUCCESS)
        s_die ("worker %d: gearman setup failed", id);
    if (gearman_worker_echo (worker, "ping", 4) != GEARMAN_SUCCESS) //  connected
        s_die ("worker %d: %s", id, gearman_worker_error (worker));
    s_ready ();
    while (true) {
        gearman_return_t rc = gearman_worker_work (worker);
        if (rc != GEARMAN_SUCCESS)
            s_die ("worker %d: gearman_worker_work: %s", id, gearman_strerror (rc));
    }
}

//  ---------------------------------------------------------------------
//  The run: forked workers and burst clients, timing, the RESULT line

//  The time limit: kill every process of the run and give up.
static void
s_on_alarm (int signum)
{
    static const char message[] = PROGRAM ": time limit reached, run abandoned\n";
    (void) signum;
    (void) !write (STDERR_FILENO, message, sizeof message - 1);
    for (int i = 0; i < s_child_count; i++)
        kill (s_children[i], SIGKILL);
    _exit (124);
}

static void
s_spawn (void (*body) (const options_t *, int), const options_t *options, int id)
{
    pid_t parent = getpid ();
    fflush (NULL);
    pid_t pid = fork ();
    if (pid < 0)
        s_die ("fork: %s", strerror (errno));
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
            s_die ("a worker or client exited before it was ready");
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
s_burst_client (const options_t *options, int id)
{
    long share = options->tasks / options->clients;
    long first = id * share;
    long count = id == options->clients - 1 ? options->tasks - first : share;
    tally_t tally;
    s_tally_init (&tally, options, options->tasks, 0);
    client_t *client = s_client_new (options, &tally);
    s_ready ();
    while (!atomic_load (&s_shared->go))
        usleep (50);
    int rc = s_client_run (client, first, count);
    s_shared->finished_at[id] = tally.last_us;
    atomic_fetch_add (&s_shared->accepted, tally.accepted);
    atomic_fetch_add (&s_shared->errors, tally.errors + (rc < 0 || tally.accepted != count));
    s_client_destroy (&client);
    s_tally_free (&tally);
    _exit (rc < 0 ? 1 : 0);
}

static int64_t
s_server_cpu_us (const options_t *options)
{
    return options->server_pid ? bench_process_cpu_us (options->server_pid) : -1;
}

static int
s_run (const options_t *options)
{
    workload_t workload = options->workload;
    long warmup = workload == W3 ? WARMUP : 0;
    s_shared = (shared_t *) mmap (NULL, sizeof (shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                  -1, 0);
    if (s_shared == MAP_FAILED)
        s_die ("mmap: %s", strerror (errno));
    s_shared->target = workload == B1 ? 0 : options->tasks + warmup;
    signal (SIGALRM, s_on_alarm);
    alarm ((unsigned) options->time_limit);

    //  Fork first: the parent's own connection must not be shared with children.
    for (int id = 0; id < options->workers; id++)
        s_spawn (s_worker, options, id);
    for (int id = 0; workload == B1 && id < options->clients; id++)
        s_spawn (s_burst_client, options, id);
    tally_t tally;
    s_tally_init (&tally, options, options->tasks + warmup, warmup);
    client_t *client = workload == B1 ? NULL : s_client_new (options, &tally);
    s_wait_ready (options->workers + (workload == B1 ? options->clients : 0));
    if (warmup && s_client_run (client, 0, warmup) < 0)
        s_die ("the warm-up failed");

    int64_t rss_before = options->server_pid ? bench_process_rss (options->server_pid) : -1;
    int64_t cpu_before = s_server_cpu_us (options), cpu_after = -1;
    int64_t start_us = 0, end_us = 0;
    long errors = 0, answered = 0;
    char extra[256];
    int length = snprintf (extra, sizeof extra, "window=%d workers=%d payload=%d", options->window,
                           options->workers, options->payload);

    if (workload == B1) {
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
        if (s_client_run (client, warmup, options->tasks) < 0)
            errors++;
        start_us = tally.first_us;
        end_us = tally.last_us;
        answered = workload == W2 ? tally.accepted : tally.results - warmup;
        if (workload == W2 && errors == 0) {
            while (atomic_load (&s_shared->completed) < s_shared->target)
                usleep (1000); //  bounded by the time limit
            double done_s = (double) (atomic_load (&s_shared->completed_at) - start_us) / 1e6;
            snprintf (extra + length, sizeof extra - (size_t) length, " done_s=%.3f done_rate=%.0f", done_s,
                      done_s > 0 ? (double) options->tasks / done_s : 0.0);
        }
        cpu_after = s_server_cpu_us (options);
        errors += tally.errors;
        usleep (20000); //  a task run twice would show up in the count
    }
    long completed = atomic_load (&s_shared->completed);
    s_stop_children ();
    alarm (0);
    if (answered != options->tasks) {
        fprintf (stderr, PROGRAM ": %ld of %ld tasks answered\n", answered, options->tasks);
        errors += labs (options->tasks - answered);
    }
    if (completed != s_shared->target) {
        fprintf (stderr, PROGRAM ": the workers ran %ld tasks, not %ld\n", completed, s_shared->target);
        errors += labs (s_shared->target - completed);
    }
    bench_result (options->system, s_workload_names[workload], options->rep, (size_t) options->tasks,
                  end_us > start_us ? (double) (end_us - start_us) / 1e6 : 0,
                  workload == W1 || workload == W3 ? &tally.latency : NULL,
                  cpu_before >= 0 && cpu_after >= 0 ? cpu_after - cpu_before : -1, (size_t) errors, extra);
    s_client_destroy (&client);
    s_tally_free (&tally);
    return errors ? 1 : 0;
}

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: " PROGRAM " -p PORT -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW]\n"
             "         [-w WORKERS] [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID] [-L SYSTEM]\n"
             "  defaults: -n 50000 -c 256 -w 4 (W3: 1, B1: 0) -k 4 -s 64 -T 120 -r 1 -L " SYSTEM "\n"
             "  W3 runs one task at a time after %d unmeasured ones; B1 runs no worker\n",
             WARMUP);
    exit (2);
}

static long
s_number (const char *text, long low, long high, const char *what)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || end == text || *end || value < low || value > high) {
        fprintf (stderr, PROGRAM ": %s must be a number from %ld to %ld, not \"%s\"\n", what, low, high, text);
        exit (2);
    }
    return value;
}

int
main (int argc, char *argv[])
{
    options_t options = { .system = SYSTEM, .tasks = 50000, .window = 256, .workers = -1, .clients = 4,
                          .payload = 64, .time_limit = 120, .rep = 1 };
    int workload = -1, option;
    while ((option = getopt (argc, argv, "W:n:c:w:k:s:p:T:r:S:L:h")) != -1) {
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
        case 'T': options.time_limit = (int) s_number (optarg, 1, 3600, "-T"); break;
        case 'r': options.rep = (int) s_number (optarg, 0, 1000000, "-r"); break;
        case 'S': options.server_pid = (int) s_number (optarg, 1, 1 << 30, "-S"); break;
        case 'L': options.system = optarg; break;
        default: s_usage ();
        }
    }
    if (optind != argc || workload < 0 || !options.port)
        s_usage ();
    options.workload = (workload_t) workload;
    if (options.workers < 0)
        options.workers = options.workload == W3 ? 1 : options.workload == B1 ? 0 : 4;
    if (options.workload == W3)
        options.window = 1;
    if (options.workload == B1 && options.workers > 0) {
        fprintf (stderr, PROGRAM ": B1 runs no worker\n");
        return 2;
    }
    if (options.workload != B1 && options.workers == 0) {
        fprintf (stderr, PROGRAM ": %s needs a worker\n", s_workload_names[options.workload]);
        return 2;
    }
    if (options.workload != B1)
        options.clients = 0;
    return s_run (&options);
}
