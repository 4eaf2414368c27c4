/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask-bench - the load generator behind `make bench` (scripts/bench.sh,
    docs/performance.md). It speaks the wire protocol (docs/protocol.md)
    directly through libztask's codec on DEALER sockets, so it can keep many
    requests in flight; ztask_client_* is one request at a time (-A uses it).

        ztask-bench -m MODE -e ENDPOINT [options]

    Modes (one workload per call; each prints one RESULT line, see
    bench_common.h):
      rt      W1 round trip: SUBMIT_WAIT (SUBMITTED, then TASK_INFO with the
              result), keeping -c tasks in flight; rate = tasks / (first
              submit .. last result). Latency percentiles are submit -> result
              under load.
      submit  W2 dispatch only: SUBMIT with up to -c unacknowledged; rate =
              accepted submits / (first submit .. last SUBMITTED). Then waits
              (STATS) until the workers have finished them: done_s, done_rate
              (the broker's CPU per task covers both parts).
      lat     W3 latency: one task at a time (SUBMIT_WAIT, SUBMITTED,
              TASK_INFO) after 100 unmeasured warm-up tasks; p50/p99/max of
              submit -> result. With -A through ztask_client_submit_wait.
      burst   B1: -C client threads, each with its own DEALER, submit -n
              tasks in all (-c unacknowledged each); rate = accepted submits/s;
              with -b, broker memory per queued task beyond the payload.
      delayed D1: delayed tasks. A burst as B1 (-C clients, -n tasks) of
              tasks all due at the same instant, -D ms after the burst
              starts: every -E-th task is of type -y (noop: the workers
              run it), the others of a type no worker has
              ("bench-delayed-idle": at their due time they become queued
              and stay so). RESULT D1-accept: accept rate and, with -b,
              broker memory per scheduled task beyond the payload (measured
              before any is due). RESULT D1-lateness: once they are due and
              the noop ones have run, each of those is asked for (STATUS)
              and its lateness is started_ms - due_ms (the broker's clock):
              p50/p99/max in microseconds (ms resolution).
      chain   a dependency chain: -n tasks (type -y) submitted one after
              another through libztask's client
              (ztask_client_submit_request), each after the one before
              (ztask_request_set_after), against a reference of the same
              -n tasks without parents submitted the same way; run
              by the broker's workers (meant for one worker of one slot:
              -k 1). Each is timed from its first submit until its last
              task is done (ztask_client_wait on it; STATS must then show
              all -n done, none failed); RESULT chain-plain and chain, with
              accept_s / accept_rate (first submit .. last SUBMITTED) and
              pending_at_accept (STATS blocked + queued then: how far the
              worker was behind); RESULT chain-link: seconds = chain -
              plain, per_link_us = that / -n, ratio = chain / plain,
              accept_ratio = the chained submits' accept rate / the plain
              ones', srv_us_per_link = the broker's extra CPU per link
              (with -b). The reference runs first with an odd -r, second
              with an even one.
              Then the same three lines with "-held": the type paused
              (PAUSE) while the tasks are submitted, timed from its RESUME,
              so that the workers' part is measured alone (every child
              blocked when its parent ends). 100 unmeasured plain tasks
              come first.
      batch   a batch (docs/scheduling.md, "Batches"): -n tasks of a type
              no worker has ("bench-batch-idle"), -s byte payloads, built
              through libztask (ztask_client_batch_add; build_s: the
              client's side alone) and handed over with
              ztask_client_submit_batch: seconds = from that call to its
              answer (the client encodes and sends the batch; the broker
              reads and checks every task, stores them all in one
              transaction and commits). ztask_client_batch_status must
              then count all -n queued, and STATS -n more queued than
              before. RESULT batch: rate = -n / seconds, with -b the
              broker's CPU per task over the submit and its RSS growth
              per task beyond the payload: peak_bytes_per_task at the
              answer (the batch's message still counted), bytes_per_task
              once the checks are answered (what it keeps). Then the same
              again with a then task (ztask_client_batch_then, type
              "bench-batch-then"): RESULT batch-then, whose status must
              show the then task blocked. -W names the first; the second
              is its name with "-then".
      drain   B1 drain: waits until the broker has nothing queued or running
              (STATS) and checks it has finished -n tasks since it started;
              time from -t (wall clock, microseconds since the epoch: when
              the workers were started) or from now.
      idle    scale: -M DEALERs register as workers (type "bench-idle", which
              nobody submits) and heartbeat for -d seconds; with -b, the
              broker's CPU over those seconds as cpu_pct (% of one core).
      ready   recovery: asks each broker of -e (a list: tcp://a,tcp://b)
              for STATS until one serves with at least -n tasks queued;
              seconds = from -t (wall clock, microseconds since the epoch:
              when the broker was started, or the old leader's lease ran
              out) to that answer.
      scrape  the cost of a metrics snapshot: -n GETs of /metrics on the
              broker's HTTP port (-H), one after another; latency is each
              scrape's round trip, broker_us_max / broker_us_p50 the broker's
              own time per snapshot (ztask_metrics_snapshot_seconds, which
              each scrape reports for the one before it).
      failover  W2's load across leader kills: SUBMITs (-c unacknowledged)
              to the broker of -e (a list) that leads, pausing while it has
              -q tasks queued or more (STATS every 100 ms), so that a
              takeover recovers a bounded queue. When the leader answers
              NOT_LEADER or leaves requests unanswered for 500 ms, it
              probes every broker of the list (one SUBMIT each, again 20 ms
              after a refusal) until one accepts, and prints
              "TAKEOVER wall_us=T endpoint=E" (T: wall clock of that
              SUBMITTED) when E is not the broker that led before. Runs
              until SIGTERM or -d seconds; scripts/bench.sh kills the
              leaders and turns the TAKEOVER lines into takeover times.

    Every task is a no-op ("noop" plugin, tests/fixtures/noop.c): the
    payload is "<seq>|" padded with '.' to -s bytes and the result must come
    back equal to it; anything else counts as an error. -R SIGS: every
    task requires "memory_mb>=K", K = seq % SIGS + 1, so the tasks of a run
    spread over SIGS requirement signatures (docs/routing.md) that every
    worker of a machine with SIGS MiB or more meets (memory_mb is a fact
    each worker sends); the requirement goes in the SUBMIT's require field,
    as ztask_request_add_require puts it there (scale-sigs rows). -T bounds the run:
    past it the program prints why and exits 124. -H PORT with rt: a
    thread scrapes /metrics on the broker's HTTP port at 10 Hz and asks
    the API what the dashboard asks (stats, workers, tasks, series) once a
    second each, for the whole run (W1 with the operator's view open);
    scrapes=N and scrape_errors=N go on the RESULT line. Exit status: 0 when every
    task succeeded, 1 on errors or bad usage.
*/
#define _GNU_SOURCE
#include "bench_common.h"
#include "proto/ztask_msg.h"
#include "ztask/client.h"

#include <czmq.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define WARMUP 100                  /* unmeasured tasks before a latency run   */
#define STATS_CORR 0x7ffffff0u      /* corr of our STATS requests              */
#define SEQ_MAX 0x7fffff00L         /* tasks per run: corr keeps seq below it  */
#define POLL_MS 10                  /* STATS polling interval while waiting    */
#define IDLE_PLUGIN "bench-idle"    /* a type no client submits               */
#define BATCH_TYPE "bench-batch-idle" /* batch: a type no worker has          */
#define BATCH_THEN "bench-batch-then" /* batch: its then task's type          */
#define ANSWER_MS 30000             /* a broker silent this long has failed   */

typedef struct {
    const char *mode;         /* rt, submit, lat, burst, drain, idle         */
    const char *endpoint;     /* broker endpoint                             */
    const char *system;       /* RESULT system=                              */
    const char *workload;     /* RESULT workload= (NULL: from the mode)      */
    const char *type;         /* task type submitted                         */
    const char *extra;        /* appended to the RESULT line                 */
    long tasks;               /* -n                                          */
    int window;               /* -c: requests in flight per client           */
    int payload;              /* -s: payload (and result) bytes              */
    int priority;             /* -p                                          */
    int clients;              /* -C: burst client threads                    */
    int sockets;              /* -M: idle worker sockets                     */
    int seconds;              /* -d: idle measurement                        */
    int time_limit;           /* -T: seconds before the run is abandoned     */
    int broker_pid;           /* -b: 0 when unknown                          */
    int rep;                  /* -r: repetition number for the RESULT line   */
    int expect_workers;       /* -k: wait until the broker lists this many   */
    long queue_cap;           /* -q: failover pauses at this many queued     */
    int64_t start_epoch_us;   /* -t: drain start (wall clock), 0: now        */
    bool api;                 /* -A: lat through ztask_client_*              */
    int http_port;            /* -H: the broker's HTTP port (rt: scrape it)  */
    int64_t due_in_ms;        /* -D: delayed: due this long after the start  */
    long every;               /* -E: delayed: every E-th task is measured    */
    int64_t due_ms;           /* delayed: the tasks' due time (wall ms)      */
    long sigs;                /* -R: requirement signatures cycled; 0: none  */
    uint64_t *ids;            /* delayed: ids of the measured tasks, by seq / every */
} opts_t;

typedef struct {
    long queued, retrying, running, blocked, done, failed, workers;
} stats_t;

/* ---- helpers ---- */

static void
s_on_alarm (int signal)
{
    (void) signal;
    static const char text[] = "ztask-bench: time limit reached, run abandoned\n";
    ssize_t rc = write (STDERR_FILENO, text, sizeof text - 1);
    (void) rc;
    _exit (124);
}

static int64_t
s_wall_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
s_cpu (const opts_t *o)
{
    return o->broker_pid > 0 ? bench_process_cpu_us (o->broker_pid) : -1;
}

/* "<seq>|" padded with '.' to size bytes. */
static void
s_payload (char *buf, int size, long seq)
{
    char head[32];
    int n = snprintf (head, sizeof head, "%ld|", seq);
    if (n > size)
        n = size;
    memcpy (buf, head, (size_t) n);
    memset (buf + n, '.', (size_t) (size - n));
}

static zsock_t *
s_connect (const opts_t *o)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock) {
        fprintf (stderr, "ztask-bench: cannot create a socket: %s\n", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_sndhwm (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, ANSWER_MS);
    if (zsock_connect (sock, "%s", o->endpoint) != 0) {
        fprintf (stderr, "ztask-bench: cannot connect to %s\n", o->endpoint);
        zsock_destroy (&sock);
    }
    return sock;
}

/* SUBMIT, or SUBMIT_WAIT (command): task seq with its payload. */
static int
s_send_submit (ztask_msg_t *out, zsock_t *sock, int command, const opts_t *o, long seq, char *buf)
{
    ztask_msg_reset (out, command);
    out->corr = (uint32_t) seq;
    ztask_msg_strcpy (out->type, o->every && seq % o->every ? "bench-delayed-idle" : o->type);
    out->priority = (uint8_t) o->priority;
    out->due_ms = o->due_ms;
    if (o->sigs) {
        snprintf (out->require[0], sizeof out->require[0], "memory_mb>=%ld", seq % o->sigs + 1);
        out->require_count = 1;
    }
    s_payload (buf, o->payload, seq);
    ztask_msg_set_body (out, buf, (size_t) o->payload);
    return ztask_msg_send (out, sock);
}

/* True when a TASK_INFO says the task is done with the result it should have. */
static bool
s_result_ok (const ztask_msg_t *in, const opts_t *o, long seq, char *buf)
{
    if (in->state != ZTASK_STATE_DONE || !in->body || zframe_size (in->body) != (size_t) o->payload)
        return false;
    s_payload (buf, o->payload, seq);
    return memcmp (zframe_data (in->body), buf, (size_t) o->payload) == 0;
}

/* The same for a task as libztask's client returns it. */
static bool
s_task_ok (const ztask_task_t *task, const opts_t *o, long seq, char *buf)
{
    if (task->state != ZTASK_STATE_DONE || task->result_size != (size_t) o->payload)
        return false;
    s_payload (buf, o->payload, seq);
    return memcmp (task->result, buf, (size_t) o->payload) == 0;
}

static void
s_report_error (const ztask_msg_t *in, size_t errors)
{
    if (errors > 3)
        return; /* the first few say enough */
    if (in->command == ZTASK_MSG_ERROR)
        fprintf (stderr, "ztask-bench: broker answered %s: %s\n", ztask_msg_error_name (in->error_status),
                 in->text);
    else if (in->command == ZTASK_MSG_TASK_INFO)
        fprintf (stderr, "ztask-bench: task %llu ended %s%s%s\n", (unsigned long long) in->task_id,
                 ztask_state_name ((ztask_state_t) in->state), in->error[0] ? ": " : "", in->error);
    else
        fprintf (stderr, "ztask-bench: unexpected %s\n", ztask_msg_command_name (in->command));
}

/* Asks the broker for STATS on sock (nothing else may be in flight). */
static int
s_stats (zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out, stats_t *stats)
{
    ztask_msg_reset (out, ZTASK_MSG_STATS);
    out->corr = STATS_CORR;
    if (ztask_msg_send (out, sock) != 0)
        return -1;
    while (true) {
        int rc = ztask_msg_recv (in, sock, false);
        if (rc == -1)
            return -1;
        if (rc == 0 && in->command == ZTASK_MSG_JSON && in->corr == STATS_CORR)
            break;
    }
    json_t *root = in->body ? json_loadb ((const char *) zframe_data (in->body), zframe_size (in->body), 0, NULL)
                            : NULL;
    if (!root)
        return -1;
    stats->queued = (long) json_integer_value (json_object_get (root, "queued"));
    stats->retrying = (long) json_integer_value (json_object_get (root, "retrying"));
    stats->running = (long) json_integer_value (json_object_get (root, "running"));
    stats->blocked = (long) json_integer_value (json_object_get (root, "blocked"));
    stats->done = (long) json_integer_value (json_object_get (root, "done"));
    stats->failed = (long) json_integer_value (json_object_get (root, "failed"));
    stats->workers = (long) json_integer_value (json_object_get (root, "workers"));
    json_decref (root);
    return 0;
}

/* Waits until the broker lists exactly o->expect_workers workers (when set);
   also makes sure the connection is up before anything is timed. */
static int
s_ready (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out, stats_t *stats)
{
    int64_t deadline = bench_now_us () + (int64_t) ANSWER_MS * 1000;
    while (true) {
        if (s_stats (sock, in, out, stats) != 0) {
            fprintf (stderr, "ztask-bench: no STATS answer from %s\n", o->endpoint);
            return -1;
        }
        if (o->expect_workers < 0 || stats->workers == o->expect_workers)
            return 0;
        if (bench_now_us () > deadline) {
            fprintf (stderr, "ztask-bench: the broker lists %ld workers, not %d\n", stats->workers,
                     o->expect_workers);
            return -1;
        }
        zclock_sleep (POLL_MS);
    }
}

/* Polls STATS until the broker has nothing queued, waiting out a backoff
   or running. (Not until its done count reaches a figure: a task type's
   counters start again from 0 when the broker forgets the type.) */
static int
s_wait_idle (zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out, stats_t *stats)
{
    while (true) {
        if (s_stats (sock, in, out, stats) != 0)
            return -1;
        if (stats->queued == 0 && stats->retrying == 0 && stats->running == 0 && stats->blocked == 0)
            return 0;
        zclock_sleep (POLL_MS);
    }
}

static const char *
s_default_workload (const char *mode)
{
    if (streq (mode, "rt"))
        return "W1";
    if (streq (mode, "submit"))
        return "W2";
    if (streq (mode, "lat"))
        return "W3";
    if (streq (mode, "burst"))
        return "B1";
    if (streq (mode, "drain"))
        return "B1-drain";
    if (streq (mode, "delayed"))
        return "D1";
    if (streq (mode, "chain"))
        return "chain";
    if (streq (mode, "batch"))
        return "batch";
    if (streq (mode, "ready"))
        return "recovery";
    if (streq (mode, "failover"))
        return "failover-load";
    if (streq (mode, "scrape"))
        return "metrics-snapshot";
    return "idle";
}

static void
s_result (const opts_t *o, size_t n, double seconds, bench_samples_t *latency, int64_t cpu_us,
          size_t errors, const char *extra)
{
    char line[512];
    snprintf (line, sizeof line, "%s%s%s", extra ? extra : "", extra && *extra && o->extra ? " " : "",
              o->extra ? o->extra : "");
    bench_result (o->system, o->workload, o->rep, n, seconds, latency, cpu_us, errors, line);
}

/* ---- HTTP: the scraper and the dashboard's polling ---- */

/* GET path on 127.0.0.1:port (HTTP/1.0, the connection closed after);
   the body into buffer (NUL-terminated, cut at size). Returns the status,
   or -1. */
static int
s_http_get (int port, const char *path, char *buffer, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    struct timeval timeout = { 10, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char request[512];
    int length = snprintf (request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || write (fd, request, (size_t) length) != length) {
        close (fd);
        return -1;
    }
    size_t used = 0;
    ssize_t got;
    while (used + 1 < size && (got = read (fd, buffer + used, size - used - 1)) > 0)
        used += (size_t) got;
    /* drain whatever did not fit */
    char sink[4096];
    while (used + 1 >= size && read (fd, sink, sizeof sink) > 0)
        ;
    close (fd);
    buffer[used] = 0;
    int status = -1;
    if (sscanf (buffer, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    char *body = strstr (buffer, "\r\n\r\n");
    if (body)
        memmove (buffer, body + 4, strlen (body + 4) + 1);
    return status;
}

typedef struct {
    int port;
    volatile bool stop;
    long scrapes, errors;
    pthread_t thread;
} scraper_t;

static void *
s_scraper (void *arg)
{
    scraper_t *self = (scraper_t *) arg;
    static const char *const api[] = { "/api/v1/stats", "/api/v1/workers", "/api/v1/tasks?limit=50",
                                       "/api/v1/series" };
    size_t size = 4 * 1024 * 1024;
    char *buffer = (char *) malloc (size);
    assert (buffer);
    int64_t next = bench_now_us ();
    for (long tick = 0; !self->stop; tick++) {
        if (s_http_get (self->port, "/metrics", buffer, size) != 200)
            self->errors++;
        self->scrapes++;
        if (tick % 10 == 0) /* once a second: what an open dashboard asks */
            for (int i = 0; i < 4; i++)
                if (s_http_get (self->port, api[i], buffer, size) != 200)
                    self->errors++;
        next += 100000; /* 10 Hz */
        int64_t wait = next - bench_now_us ();
        if (wait > 0)
            usleep ((useconds_t) wait);
    }
    free (buffer);
    return NULL;
}

/* scrape: -n snapshots one after another; the broker's time per snapshot. */
static int
s_run_scrape (const opts_t *o)
{
    size_t size = 8 * 1024 * 1024;
    char *buffer = (char *) malloc (size);
    assert (buffer);
    bench_samples_t latency = { 0 }, broker = { 0 };
    size_t errors = 0;
    int64_t t0 = bench_now_us ();
    for (long i = 0; i <= o->tasks; i++) {
        int64_t start = bench_now_us ();
        int status = s_http_get (o->http_port, "/metrics", buffer, size);
        const char *gauge = strstr (buffer, "\nztask_metrics_snapshot_seconds ");
        if (status != 200 || !gauge) {
            errors++;
            continue;
        }
        if (i == 0)
            continue; /* its figure is of a snapshot before the run */
        bench_samples_add (&latency, bench_now_us () - start);
        bench_samples_add (&broker, (int64_t) (strtod (gauge + 32, NULL) * 1e6 + 0.5));
    }
    int64_t t1 = bench_now_us ();
    char extra[128];
    snprintf (extra, sizeof extra, "broker_us_p50=%" PRId64 " broker_us_max=%" PRId64,
              bench_samples_quantile (&broker, 0.5), bench_samples_quantile (&broker, 1.0));
    s_result (o, (size_t) o->tasks, (double) (t1 - t0) / 1e6, &latency, -1, errors, extra);
    bench_samples_free (&latency);
    bench_samples_free (&broker);
    free (buffer);
    return errors ? 1 : 0;
}

/* ---- W1: round trip, pipelined ---- */

static int
s_run_rt (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out)
{
    long n = o->tasks, next = 0, finished = 0, inflight = 0;
    size_t errors = 0;
    int64_t *sent_at = (int64_t *) calloc ((size_t) n, sizeof (int64_t));
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    bench_samples_t latency = { 0 };
    assert (sent_at && buf);

    scraper_t scraper = { o->http_port, false, 0, 0, 0 };
    if (o->http_port && pthread_create (&scraper.thread, NULL, s_scraper, &scraper) != 0)
        return -1;
    int64_t cpu0 = s_cpu (o), machine0 = bench_machine_busy_us (), t0 = bench_now_us ();
    while (finished < n) {
        while (inflight < o->window && next < n) {
            sent_at[next] = bench_now_us ();
            if (s_send_submit (out, sock, ZTASK_MSG_SUBMIT_WAIT, o, next, buf) != 0) {
                fprintf (stderr, "ztask-bench: cannot send\n");
                return -1;
            }
            next++;
            inflight++;
        }
        int rc = ztask_msg_recv (in, sock, false);
        if (rc == -1)
            return -1;
        if (rc != 0) {
            errors++;
            continue;
        }
        long seq = (long) in->corr;
        if (in->command == ZTASK_MSG_SUBMITTED && seq < next)
            ; /* accepted: its TASK_INFO follows when it ends */
        else if (in->command == ZTASK_MSG_TASK_INFO && seq < next) {
            if (!s_result_ok (in, o, seq, buf))
                s_report_error (in, ++errors);
            bench_samples_add (&latency, bench_now_us () - sent_at[seq]);
            finished++;
            inflight--;
        }
        else if (in->command == ZTASK_MSG_ERROR && seq < next) {
            s_report_error (in, ++errors);
            finished++;
            inflight--;
        }
        else if (in->command != ZTASK_MSG_PROGRESS)
            s_report_error (in, ++errors);
    }
    int64_t t1 = bench_now_us (), cpu1 = s_cpu (o), machine1 = bench_machine_busy_us ();
    char extra[160] = "";
    if (machine0 >= 0 && machine1 >= 0)
        snprintf (extra, sizeof extra, "all_cpu_us_per_task=%.2f", (double) (machine1 - machine0) / (double) n);
    if (o->http_port) {
        scraper.stop = true;
        pthread_join (scraper.thread, NULL);
        size_t used = strlen (extra);
        snprintf (extra + used, sizeof extra - used, " scrapes=%ld scrape_errors=%ld", scraper.scrapes,
                  scraper.errors);
        errors += (size_t) scraper.errors;
    }
    s_result (o, (size_t) n, (double) (t1 - t0) / 1e6, &latency, cpu0 >= 0 ? cpu1 - cpu0 : -1, errors,
              extra);
    bench_samples_free (&latency);
    free (sent_at);
    free (buf);
    return errors ? 1 : 0;
}

/* ---- W2: dispatch only ---- */

static int
s_run_submit (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out, const stats_t *before)
{
    long n = o->tasks, next = 0, acked = 0, unacked = 0;
    size_t errors = 0;
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    assert (buf);

    int64_t cpu0 = s_cpu (o), t0 = bench_now_us ();
    while (acked < n) {
        while (unacked < o->window && next < n) {
            if (s_send_submit (out, sock, ZTASK_MSG_SUBMIT, o, next, buf) != 0)
                return -1;
            next++;
            unacked++;
        }
        int rc = ztask_msg_recv (in, sock, false);
        if (rc == -1)
            return -1;
        if (rc == 0 && (in->command == ZTASK_MSG_SUBMITTED || in->command == ZTASK_MSG_ERROR)) {
            if (in->command == ZTASK_MSG_ERROR)
                s_report_error (in, ++errors);
            acked++;
            unacked--;
        }
        else
            errors++;
    }
    int64_t t_accepted = bench_now_us ();
    /* Then the workers' part: until the broker has finished them all. */
    stats_t after;
    long accepted = n - (long) errors;
    if (s_wait_idle (sock, in, out, &after) != 0)
        return -1;
    int64_t t_done = bench_now_us (), cpu1 = s_cpu (o);
    long failed = after.failed - before->failed, done = after.done - before->done;
    if (failed > 0 || done != accepted) {
        fprintf (stderr, "ztask-bench: of %ld accepted tasks %ld done, %ld failed\n", accepted, done, failed);
        errors += (size_t) (done < accepted ? accepted - done : failed);
    }
    double done_s = (double) (t_done - t0) / 1e6;
    char extra[128];
    snprintf (extra, sizeof extra, "done_s=%.3f done_rate=%.0f", done_s, done_s > 0 ? (double) n / done_s : 0);
    s_result (o, (size_t) n, (double) (t_accepted - t0) / 1e6, NULL, cpu0 >= 0 ? cpu1 - cpu0 : -1, errors,
              extra);
    free (buf);
    return errors ? 1 : 0;
}

/* ---- W3: latency, one at a time ---- */

/* Receives until the answer with this corr (progress reports skipped). */
static int
s_await (zsock_t *sock, ztask_msg_t *in, uint32_t corr)
{
    while (true) {
        int rc = ztask_msg_recv (in, sock, false);
        if (rc == -1)
            return -1;
        if (rc == 0 && in->corr == corr && in->command != ZTASK_MSG_PROGRESS)
            return 0;
    }
}

/* One task over the DEALER: 0 done and right, 1 wrong, -1 no answer. */
static int
s_lat_dealer (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out, long seq, char *buf,
              size_t errors)
{
    if (s_send_submit (out, sock, ZTASK_MSG_SUBMIT_WAIT, o, seq, buf) != 0
        || s_await (sock, in, (uint32_t) seq) != 0)
        return -1;
    bool ok = in->command == ZTASK_MSG_SUBMITTED;
    if (ok) {
        if (s_await (sock, in, (uint32_t) seq) != 0)
            return -1;
        ok = in->command == ZTASK_MSG_TASK_INFO && s_result_ok (in, o, seq, buf);
    }
    if (!ok)
        s_report_error (in, errors + 1);
    return ok ? 0 : 1;
}

/* One task through libztask's client API: 0 done and right, 1 not. */
static int
s_lat_api (const opts_t *o, ztask_client_t *client, long seq, char *buf, size_t errors)
{
    uint64_t id;
    ztask_task_t *task = NULL;
    ztask_submit_opts_t sopts = ZTASK_SUBMIT_OPTS_INIT;
    sopts.priority = o->priority;
    s_payload (buf, o->payload, seq);
    bool ok = ztask_client_submit_wait (client, o->type, buf, (size_t) o->payload, &sopts, -1, NULL, NULL, &id,
                                        &task)
                      == 0
              && task->state == ZTASK_STATE_DONE
              && task->result_size == (size_t) o->payload
              && memcmp (task->result, buf, (size_t) o->payload) == 0;
    if (!ok && errors < 3)
        fprintf (stderr, "ztask-bench: task %ld: %s\n", seq,
                 task ? task->error : ztask_client_error (client));
    ztask_task_destroy (&task);
    return ok ? 0 : 1;
}

static int
s_run_lat (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out)
{
    ztask_client_t *client = NULL;
    if (o->api) {
        client = ztask_client_new (o->endpoint);
        if (!client)
            return -1;
        ztask_client_set_timeout (client, o->time_limit * 1000);
    }
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    assert (buf);
    bench_samples_t latency = { 0 };
    size_t errors = 0;
    long total = o->tasks + WARMUP;
    int64_t cpu0 = s_cpu (o), t0 = bench_now_us ();
    for (long seq = 0; seq < total; seq++) {
        if (seq == WARMUP) {
            cpu0 = s_cpu (o);
            t0 = bench_now_us ();
        }
        int64_t start = bench_now_us ();
        int rc = client ? s_lat_api (o, client, seq, buf, errors) : s_lat_dealer (o, sock, in, out, seq, buf, errors);
        if (rc < 0)
            return -1;
        if (rc > 0)
            errors++;
        if (seq >= WARMUP)
            bench_samples_add (&latency, bench_now_us () - start);
    }
    int64_t t1 = bench_now_us (), cpu1 = s_cpu (o);
    s_result (o, (size_t) o->tasks, (double) (t1 - t0) / 1e6, &latency, cpu0 >= 0 ? cpu1 - cpu0 : -1,
              errors, client ? "client=libztask" : "client=dealer");
    bench_samples_free (&latency);
    ztask_client_destroy (&client);
    free (buf);
    return errors ? 1 : 0;
}

/* ---- B1: burst of submits from several clients ---- */

typedef struct {
    const opts_t *o;
    long first, count;          /* its tasks: seq first .. first + count - 1 */
    pthread_barrier_t *ready;   /* all connected: the main thread measures   */
    pthread_barrier_t *go;      /* then everyone submits                     */
    int64_t end_us;             /* last SUBMITTED                            */
    size_t errors;
    int rc;                     /* 0, or -1: could not connect or send       */
} burst_client_t;

static void *
s_burst_client (void *arg)
{
    burst_client_t *self = (burst_client_t *) arg;
    const opts_t *o = self->o;
    zsock_t *sock = s_connect (o);
    ztask_msg_t *in = ztask_msg_new (), *out = ztask_msg_new ();
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    assert (in && out && buf);
    stats_t stats;
    self->rc = sock && s_stats (sock, in, out, &stats) == 0 ? 0 : -1; /* the connection is up */
    pthread_barrier_wait (self->ready);
    pthread_barrier_wait (self->go);
    long next = 0, acked = 0, unacked = 0;
    while (self->rc == 0 && acked < self->count) {
        while (unacked < o->window && next < self->count) {
            if (s_send_submit (out, sock, ZTASK_MSG_SUBMIT, o, self->first + next, buf) != 0) {
                self->rc = -1;
                break;
            }
            next++;
            unacked++;
        }
        int rc = ztask_msg_recv (in, sock, false);
        if (rc == -1)
            self->rc = -1;
        else if (rc == 0 && (in->command == ZTASK_MSG_SUBMITTED || in->command == ZTASK_MSG_ERROR)) {
            if (in->command == ZTASK_MSG_ERROR)
                s_report_error (in, ++self->errors);
            else if (o->ids && in->corr % o->every == 0)
                o->ids[in->corr / o->every] = in->task_id; /* corr: the task's seq */
            acked++;
            unacked--;
        }
        else
            self->errors++;
    }
    self->end_us = bench_now_us ();
    free (buf);
    ztask_msg_destroy (&in);
    ztask_msg_destroy (&out);
    zsock_destroy (&sock);
    return NULL;
}

static int
s_run_burst (const opts_t *o)
{
    int count = o->clients;
    burst_client_t *clients = (burst_client_t *) calloc ((size_t) count, sizeof (burst_client_t));
    pthread_t *threads = (pthread_t *) calloc ((size_t) count, sizeof (pthread_t));
    pthread_barrier_t ready, go;
    assert (clients && threads);
    pthread_barrier_init (&ready, NULL, (unsigned) count + 1);
    pthread_barrier_init (&go, NULL, (unsigned) count + 1);
    long first = 0;
    for (int i = 0; i < count; i++) {
        clients[i].o = o;
        clients[i].first = first;
        clients[i].count = o->tasks / count + (i < o->tasks % count ? 1 : 0);
        clients[i].ready = &ready;
        clients[i].go = &go;
        first += clients[i].count;
        if (pthread_create (&threads[i], NULL, s_burst_client, &clients[i]) != 0) {
            fprintf (stderr, "ztask-bench: cannot start a client thread\n");
            exit (1);
        }
    }
    pthread_barrier_wait (&ready);
    int64_t rss0 = o->broker_pid > 0 ? bench_process_rss (o->broker_pid) : -1;
    int64_t cpu0 = s_cpu (o), t0 = bench_now_us ();
    pthread_barrier_wait (&go);
    int64_t t1 = t0;
    size_t errors = 0;
    int rc = 0;
    for (int i = 0; i < count; i++) {
        pthread_join (threads[i], NULL);
        if (clients[i].end_us > t1)
            t1 = clients[i].end_us;
        errors += clients[i].errors;
        if (clients[i].rc != 0)
            rc = -1;
    }
    int64_t cpu1 = s_cpu (o);
    int64_t rss1 = o->broker_pid > 0 ? bench_process_rss (o->broker_pid) : -1;
    char extra[160] = "";
    if (rss0 >= 0 && rss1 >= 0)
        snprintf (extra, sizeof extra, "clients=%d rss_before_kb=%lld rss_after_kb=%lld bytes_per_task=%.0f",
                  count, (long long) rss0 / 1024, (long long) rss1 / 1024,
                  (double) (rss1 - rss0) / (double) o->tasks - o->payload);
    else
        snprintf (extra, sizeof extra, "clients=%d", count);
    if (rc == 0)
        s_result (o, (size_t) o->tasks, (double) (t1 - t0) / 1e6, NULL, cpu0 >= 0 ? cpu1 - cpu0 : -1,
                  errors, extra);
    pthread_barrier_destroy (&ready);
    pthread_barrier_destroy (&go);
    free (clients);
    free (threads);
    return rc < 0 ? -1 : errors ? 1 : 0;
}

/* ---- D1: delayed tasks that fall due together ---- */

static int
s_run_delayed (const opts_t *options)
{
    opts_t d = *options;
    if (!d.every)
        d.every = 1000;
    long measured = (d.tasks + d.every - 1) / d.every;
    d.ids = (uint64_t *) calloc ((size_t) measured, sizeof (uint64_t));
    assert (d.ids);
    d.due_ms = s_wall_us () / 1000 + d.due_in_ms;
    d.workload = "D1-accept";
    int rc = s_run_burst (&d);
    int64_t accepted_ms = s_wall_us () / 1000;
    if (rc == 0 && accepted_ms >= d.due_ms) {
        fprintf (stderr, "ztask-bench: delayed: the submits took longer than -D %lld ms: raise it\n",
                 (long long) d.due_in_ms);
        rc = 1;
    }
    zsock_t *sock = rc == 0 ? s_connect (&d) : NULL;
    ztask_msg_t *in = ztask_msg_new (), *out = ztask_msg_new ();
    stats_t stats = { 0 };
    /* Until the measured ones have run (the others stay queued). */
    while (rc == 0 && sock) {
        if (s_stats (sock, in, out, &stats) != 0) {
            rc = -1;
            break;
        }
        if (stats.done + stats.failed >= measured)
            break;
        zclock_sleep (POLL_MS);
    }
    bench_samples_t lateness = { 0 };
    size_t errors = 0;
    for (long i = 0; rc == 0 && i < measured; i++) {
        ztask_msg_reset (out, ZTASK_MSG_STATUS);
        out->corr = (uint32_t) (i + 1);
        out->task_id = d.ids[i];
        if (ztask_msg_send (out, sock) != 0) {
            rc = -1;
            break;
        }
        int got;
        while ((got = ztask_msg_recv (in, sock, false)) == 0 && in->corr != (uint32_t) (i + 1))
            ;
        if (got != 0) {
            rc = -1;
            break;
        }
        if (in->command != ZTASK_MSG_TASK_INFO || in->state != ZTASK_STATE_DONE || in->due_ms != d.due_ms
            || in->started_ms < in->due_ms)
            errors++;
        else
            bench_samples_add (&lateness, (in->started_ms - in->due_ms) * 1000);
    }
    if (rc == 0) {
        char extra[160];
        snprintf (extra, sizeof extra, "scheduled=%ld measured=%ld due_after_accept_ms=%lld", d.tasks, measured,
                  (long long) (d.due_ms - accepted_ms));
        opts_t r = d;
        r.workload = "D1-lateness";
        s_result (&r, (size_t) measured, (double) (s_wall_us () / 1000 - d.due_ms) / 1e3, &lateness, -1, errors,
                  extra);
    }
    bench_samples_free (&lateness);
    ztask_msg_destroy (&in);
    ztask_msg_destroy (&out);
    zsock_destroy (&sock);
    free (d.ids);
    return rc < 0 ? -1 : errors ? 1 : rc;
}

/* ---- chain: a dependency chain against the same tasks without one ---- */

typedef struct {
    double seconds;             /* first submit (held: the resume) .. the
                                   last task done                            */
    double accept_s;            /* first submit .. the last SUBMITTED        */
    long pending_at_accept;     /* blocked + queued then                     */
    int64_t cpu_us;             /* the broker's CPU over the phase; -1       */
    size_t errors;
} chain_phase_t;

/* One phase of the chain mode: o->tasks tasks submitted one after another
   through libztask's client (each after the one before when linked), then
   a wait for the last one; the broker's STATS must then show them all
   done. held: the type is paused while they are submitted, and timed
   from its resume. Returns 0, or -1 when the broker could not be reached
   or refused. */
static int
s_chain_phase (const opts_t *o, ztask_client_t *client, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out,
               bool linked, bool held, char *buf, chain_phase_t *phase)
{
    memset (phase, 0, sizeof *phase);
    stats_t before, after, mid;
    if (s_wait_idle (sock, in, out, &before) != 0)
        return -1;
    if (held && ztask_client_pause (client, o->type, NULL) != 0) {
        fprintf (stderr, "ztask-bench: chain: pause %s: %s\n", o->type, ztask_client_error (client));
        return -1;
    }
    ztask_request_t *request = ztask_request_new ();
    assert (request);
    ztask_request_set_priority (request, o->priority);
    uint64_t last = 0;
    int rc = 0;
    int64_t cpu0 = s_cpu (o), t0 = bench_now_us ();
    for (long seq = 0; seq < o->tasks && rc == 0; seq++) {
        if (linked && last)
            ztask_request_set_after (request, &last, 1, 0);
        s_payload (buf, o->payload, seq);
        if (ztask_client_submit_request (client, o->type, buf, (size_t) o->payload, request, &last) != 0) {
            fprintf (stderr, "ztask-bench: chain: submit %ld: %s\n", seq, ztask_client_error (client));
            rc = -1;
        }
    }
    int64_t t_accepted = bench_now_us ();
    ztask_request_destroy (&request);
    /* How many wait when the last submit is accepted: with the worker
       running, how far it was behind (one STATS round trip; it runs on
       meanwhile). */
    if (rc == 0 && s_stats (sock, in, out, &mid) != 0)
        rc = -1;
    phase->pending_at_accept = rc == 0 ? mid.blocked + mid.queued : 0;
    int64_t t_start = t0;
    if (held) {
        cpu0 = s_cpu (o);
        t_start = bench_now_us ();
        if (ztask_client_resume (client, o->type, NULL) != 0) {
            fprintf (stderr, "ztask-bench: chain: resume %s: %s\n", o->type, ztask_client_error (client));
            return -1;
        }
    }
    if (rc != 0)
        return -1;
    ztask_task_t *task = NULL;
    if (ztask_client_wait (client, last, -1, &task) != 0) {
        fprintf (stderr, "ztask-bench: chain: waiting for task %llu: %s\n", (unsigned long long) last,
                 ztask_client_error (client));
        return -1;
    }
    int64_t t_done = bench_now_us ();
    if (!s_task_ok (task, o, o->tasks - 1, buf)) {
        fprintf (stderr, "ztask-bench: chain: the last task %llu ended %s%s%s\n", (unsigned long long) last,
                 ztask_state_name (task->state), *task->error ? ": " : "", task->error);
        phase->errors++;
    }
    ztask_task_destroy (&task);
    /* The last one done: every other one should be too (a child runs
       after its parent; one slot runs plain tasks in order). If some
       still ran, the phase lasted until they ended. */
    if (s_wait_idle (sock, in, out, &after) != 0)
        return -1;
    if (after.done - before.done != o->tasks || after.failed != before.failed) {
        fprintf (stderr, "ztask-bench: chain: of %ld tasks %ld done, %ld failed\n", o->tasks,
                 after.done - before.done, after.failed - before.failed);
        t_done = bench_now_us ();
        phase->errors++;
    }
    phase->cpu_us = cpu0 >= 0 ? s_cpu (o) - cpu0 : -1;
    phase->seconds = (double) (t_done - t_start) / 1e6;
    phase->accept_s = (double) (t_accepted - t0) / 1e6;
    return 0;
}

/* The RESULT lines of a chain and its reference: each, then per link. */
static void
s_chain_results (const opts_t *o, const char *suffix, const chain_phase_t *plain, const chain_phase_t *chain)
{
    char workload[64], extra[192];
    opts_t r = *o;
    r.workload = workload;
    const chain_phase_t *phases[] = { plain, chain };
    for (int i = 0; i < 2; i++) {
        snprintf (workload, sizeof workload, "chain%s%s", i ? "" : "-plain", suffix);
        snprintf (extra, sizeof extra, "accept_s=%.3f accept_rate=%.0f pending_at_accept=%ld", phases[i]->accept_s,
                  (double) o->tasks / phases[i]->accept_s, phases[i]->pending_at_accept);
        s_result (&r, (size_t) o->tasks, phases[i]->seconds, NULL, phases[i]->cpu_us, phases[i]->errors, extra);
    }
    /* What the chain cost beyond the same tasks unlinked, per link, and
       the broker's CPU likewise (srv_us_per_link; either may come out
       below 0 when the difference is within the noise); accept_ratio:
       the chained submits' accept rate over the plain ones'. */
    snprintf (workload, sizeof workload, "chain-link%s", suffix);
    int used = snprintf (extra, sizeof extra, "per_link_us=%.1f ratio=%.3f accept_ratio=%.3f",
                         (chain->seconds - plain->seconds) * 1e6 / (double) o->tasks, chain->seconds / plain->seconds,
                         chain->accept_s > 0 ? plain->accept_s / chain->accept_s : 0);
    if (chain->cpu_us >= 0 && plain->cpu_us >= 0)
        snprintf (extra + used, sizeof extra - (size_t) used, " srv_us_per_link=%.1f",
                  (double) (chain->cpu_us - plain->cpu_us) / (double) o->tasks);
    s_result (&r, (size_t) o->tasks, chain->seconds - plain->seconds, NULL, -1, plain->errors + chain->errors,
              extra);
}

static int
s_run_chain (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out)
{
    ztask_client_t *client = ztask_client_new (o->endpoint);
    if (!client)
        return -1;
    ztask_client_set_timeout (client, o->time_limit * 1000);
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    assert (buf);
    /* Unmeasured plain tasks first (the type, the worker and the
       client's connection warm); then each pair, the reference first in
       odd repetitions (-r) and second in even ones, so that the median
       of several is not biased by the order (the store grows, the WAL
       is checkpointed, the machine's load drifts). */
    opts_t warm = *o;
    warm.tasks = WARMUP;
    chain_phase_t warmup, pairs[2][2]; /* [held][linked] */
    int rc = s_chain_phase (&warm, client, sock, in, out, false, false, buf, &warmup);
    size_t errors = warmup.errors;
    for (int held = 0; held < 2; held++)
        for (int i = 0; i < 2; i++) {
            bool linked = o->rep % 2 ? i == 1 : i == 0;
            if (rc == 0)
                rc = s_chain_phase (o, client, sock, in, out, linked, held, buf, &pairs[held][linked]);
            if (rc == 0)
                errors += pairs[held][linked].errors;
        }
    if (rc == 0) {
        s_chain_results (o, "", &pairs[0][0], &pairs[0][1]);
        s_chain_results (o, "-held", &pairs[1][0], &pairs[1][1]);
    }
    free (buf);
    ztask_client_destroy (&client);
    return rc < 0 ? -1 : errors ? 1 : 0;
}

/* ---- batch: many tasks accepted in one commit ---- */

/* The count of state in a batch status document's "counts"; -1 if absent. */
static long
s_batch_count (json_t *status, const char *state)
{
    json_t *value = json_object_get (json_object_get (status, "counts"), state);
    return json_is_integer (value) ? (long) json_integer_value (value) : -1;
}

/* One batch of o->tasks tasks (with a then task when then): built, timed
   from ztask_client_submit_batch's call to its answer, then checked. Its
   RESULT line under workload. Returns 0, 1 (the broker's counts are not
   what they should be) or -1 (refused, or no answer). */
static int
s_batch_phase (const opts_t *o, ztask_client_t *client, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out,
               bool then, const char *workload, char *buf)
{
    stats_t before, after;
    if (s_stats (sock, in, out, &before) != 0)
        return -1;
    ztask_batch_t *batch = ztask_batch_new ();
    ztask_request_t *request = ztask_request_new ();
    assert (batch && request);
    ztask_request_set_priority (request, o->priority);
    int64_t t_build = bench_now_us ();
    int rc = 0;
    for (long seq = 0; seq < o->tasks && rc == 0; seq++) {
        s_payload (buf, o->payload, seq);
        if (ztask_client_batch_add (client, batch, BATCH_TYPE, buf, (size_t) o->payload, request) != 0) {
            fprintf (stderr, "ztask-bench: batch: task %ld: %s\n", seq, ztask_client_error (client));
            rc = -1;
        }
    }
    if (rc == 0 && then && ztask_client_batch_then (client, batch, BATCH_THEN, request) != 0) {
        fprintf (stderr, "ztask-bench: batch: then task: %s\n", ztask_client_error (client));
        rc = -1;
    }
    double build_s = (double) (bench_now_us () - t_build) / 1e6;
    uint64_t batch_id = 0, then_id = 0;
    int64_t rss0 = o->broker_pid > 0 ? bench_process_rss (o->broker_pid) : -1;
    int64_t cpu0 = s_cpu (o), t0 = bench_now_us ();
    if (rc == 0 && ztask_client_submit_batch (client, batch, &batch_id, &then_id) != 0) {
        fprintf (stderr, "ztask-bench: batch of %ld: %s\n", o->tasks, ztask_client_error (client));
        rc = -1;
    }
    int64_t t1 = bench_now_us (), cpu1 = s_cpu (o);
    int64_t rss1 = o->broker_pid > 0 ? bench_process_rss (o->broker_pid) : -1;
    ztask_batch_destroy (&batch);
    ztask_request_destroy (&request);
    if (rc != 0)
        return -1;
    /* Every task of it queued, by the batch's own counts and by STATS. */
    size_t errors = 0;
    char *text = NULL;
    if (ztask_client_batch_status (client, batch_id, &text) != 0) {
        fprintf (stderr, "ztask-bench: batch %llu status: %s\n", (unsigned long long) batch_id,
                 ztask_client_error (client));
        return -1;
    }
    json_t *status = json_loads (text, 0, NULL);
    free (text);
    long size = status ? (long) json_integer_value (json_object_get (status, "size")) : -1;
    long queued = status ? s_batch_count (status, "queued") : -1;
    const char *then_state = status ? json_string_value (json_object_get (json_object_get (status, "then"), "state"))
                                    : NULL;
    if (size != o->tasks || queued != o->tasks) {
        fprintf (stderr, "ztask-bench: batch %llu: size %ld, %ld queued; expected %ld of each\n",
                 (unsigned long long) batch_id, size, queued, o->tasks);
        errors++;
    }
    if (then && (!then_id || !then_state || !streq (then_state, "blocked"))) {
        fprintf (stderr, "ztask-bench: batch %llu: its then task %llu is %s, not blocked\n",
                 (unsigned long long) batch_id, (unsigned long long) then_id, then_state ? then_state : "missing");
        errors++;
    }
    json_decref (status);
    if (s_stats (sock, in, out, &after) != 0)
        return -1;
    if (after.queued - before.queued != o->tasks || after.blocked - before.blocked != (then ? 1 : 0)) {
        fprintf (stderr, "ztask-bench: batch: STATS counts %ld more queued and %ld more blocked, expected %ld and %d\n",
                 after.queued - before.queued, after.blocked - before.blocked, o->tasks, then ? 1 : 0);
        errors++;
    }
    /* The broker's memory at the answer holds the batch's message too
       (peak); once the checks are answered, what it keeps. */
    int64_t rss2 = o->broker_pid > 0 ? bench_process_rss (o->broker_pid) : -1;
    char extra[320];
    int used = snprintf (extra, sizeof extra, "build_s=%.3f batch=%llu then=%llu queued_before=%ld", build_s,
                         (unsigned long long) batch_id, (unsigned long long) then_id, before.queued);
    if (rss0 >= 0 && rss1 >= 0 && rss2 >= 0)
        snprintf (extra + used, sizeof extra - (size_t) used,
                  " rss_before_kb=%lld rss_answer_kb=%lld rss_after_kb=%lld peak_bytes_per_task=%.0f"
                  " bytes_per_task=%.0f",
                  (long long) rss0 / 1024, (long long) rss1 / 1024, (long long) rss2 / 1024,
                  (double) (rss1 - rss0) / (double) o->tasks - o->payload,
                  (double) (rss2 - rss0) / (double) o->tasks - o->payload);
    opts_t r = *o;
    r.workload = workload;
    s_result (&r, (size_t) o->tasks, (double) (t1 - t0) / 1e6, NULL, cpu0 >= 0 ? cpu1 - cpu0 : -1, errors, extra);
    return errors ? 1 : 0;
}

/* batch: one batch, then one with a then task (their tasks stay queued:
   no worker has their type). */
static int
s_run_batch (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out)
{
    ztask_client_t *client = ztask_client_new (o->endpoint);
    if (!client)
        return -1;
    ztask_client_set_timeout (client, o->time_limit * 1000);
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    assert (buf);
    /* The client's connection up before anything is timed. */
    char *text = NULL;
    int rc = ztask_client_stats (client, &text) == 0 ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "ztask-bench: batch: stats: %s\n", ztask_client_error (client));
    free (text);
    char then_workload[80];
    snprintf (then_workload, sizeof then_workload, "%s-then", o->workload);
    int first = rc == 0 ? s_batch_phase (o, client, sock, in, out, false, o->workload, buf) : -1;
    int second = first >= 0 ? s_batch_phase (o, client, sock, in, out, true, then_workload, buf) : -1;
    free (buf);
    ztask_client_destroy (&client);
    return first < 0 || second < 0 ? -1 : first || second ? 1 : 0;
}

/* ---- B1 drain: until the broker has finished them ---- */

static int
s_run_drain (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out)
{
    int64_t t0 = o->start_epoch_us > 0 ? o->start_epoch_us : s_wall_us ();
    int64_t cpu0 = s_cpu (o);
    stats_t after;
    if (s_wait_idle (sock, in, out, &after) != 0)
        return -1;
    int64_t t1 = s_wall_us (), cpu1 = s_cpu (o);
    /* The broker's counters since it started (or since the type appeared). */
    size_t errors = (size_t) after.failed;
    if (after.done + after.failed < o->tasks) {
        fprintf (stderr, "ztask-bench: the broker finished %ld tasks, expected %ld\n",
                 after.done + after.failed, o->tasks);
        errors += (size_t) (o->tasks - after.done - after.failed);
    }
    s_result (o, (size_t) o->tasks, (double) (t1 - t0) / 1e6, NULL, cpu0 >= 0 ? cpu1 - cpu0 : -1, errors,
              NULL);
    return errors ? 1 : 0;
}

/* ---- scale: many idle workers ---- */

typedef struct {
    const opts_t *o;
    int count;
    zsock_t **socks;
    zmq_pollitem_t *items;
    int64_t *sent_at;           /* last message to the broker (monotonic us) */
    bool *registered;
    int registered_count;
    uint32_t heartbeat_ms;      /* from REGISTERED                           */
    size_t errors;
    ztask_msg_t *in, *out;
} idle_t;

static int
s_idle_register (idle_t *self, int i)
{
    ztask_msg_t *out = self->out;
    ztask_msg_reset (out, ZTASK_MSG_REGISTER);
    snprintf (out->name, sizeof out->name, "idle-%d-%d", (int) getpid (), i);
    ztask_msg_strcpy (out->host, "ztask-bench");
    snprintf (out->instance, sizeof out->instance, "ztask-bench-%d-%d", (int) getpid (), i);
    out->slots = 1;
    out->priorities = (1u << (ZTASK_PRIORITY_MAX + 1)) - 1;
    out->plugin_count = 1;
    ztask_msg_strcpy (out->plugins[0].name, IDLE_PLUGIN);
    ztask_msg_strcpy (out->plugins[0].version, "1.0.0");
    self->sent_at[i] = bench_now_us ();
    return ztask_msg_send (out, self->socks[i]);
}

/* Answers the broker and heartbeats every socket until `until` (monotonic
   us) or, with until 0, until every socket is registered. */
static int
s_idle_pump (idle_t *self, int64_t until)
{
    while (until ? bench_now_us () < until : self->registered_count < self->count) {
        if (zmq_poll (self->items, self->count, POLL_MS) < 0)
            return -1;
        for (int i = 0; i < self->count; i++) {
            if (!(self->items[i].revents & ZMQ_POLLIN))
                continue;
            int rc = ztask_msg_recv (self->in, self->socks[i], false);
            if (rc == -1)
                return -1;
            if (rc == 0 && self->in->command == ZTASK_MSG_REGISTERED) {
                if (!self->registered[i]) {
                    self->registered[i] = true;
                    self->registered_count++;
                }
                self->heartbeat_ms = self->in->heartbeat_ms;
            }
            else if (rc == 0 && self->in->command == ZTASK_MSG_ERROR
                     && self->in->error_status == ZTASK_ERR_NOT_REGISTERED) {
                s_report_error (self->in, ++self->errors); /* the broker forgot it */
                s_idle_register (self, i);
            }
            else if (rc != 0 || self->in->command != ZTASK_MSG_HEARTBEAT)
                s_report_error (self->in, ++self->errors);
        }
        /* A heartbeat from each worker every interval, spread over it. */
        int64_t now = bench_now_us (), due = (int64_t) self->heartbeat_ms * 900;
        ztask_msg_reset (self->out, ZTASK_MSG_HEARTBEAT);
        for (int i = 0; i < self->count; i++)
            if (now - self->sent_at[i] >= due) {
                if (ztask_msg_send (self->out, self->socks[i]) != 0)
                    return -1;
                self->sent_at[i] = now;
            }
    }
    return 0;
}

static int
s_run_idle (const opts_t *o, zsock_t *sock, ztask_msg_t *in, ztask_msg_t *out, const stats_t *before)
{
    idle_t self = { o, o->sockets, NULL, NULL, NULL, NULL, 0, 1000, 0, in, out };
    self.socks = (zsock_t **) calloc ((size_t) self.count, sizeof (zsock_t *));
    self.items = (zmq_pollitem_t *) calloc ((size_t) self.count, sizeof (zmq_pollitem_t));
    self.sent_at = (int64_t *) calloc ((size_t) self.count, sizeof (int64_t));
    self.registered = (bool *) calloc ((size_t) self.count, sizeof (bool));
    assert (self.socks && self.items && self.sent_at && self.registered);
    int64_t t_register = bench_now_us ();
    for (int i = 0; i < self.count; i++) {
        self.socks[i] = s_connect (o);
        if (!self.socks[i])
            return -1;
        self.items[i].socket = zsock_resolve (self.socks[i]);
        self.items[i].events = ZMQ_POLLIN;
        if (s_idle_register (&self, i) != 0)
            return -1;
    }
    if (s_idle_pump (&self, 0) != 0)
        return -1;
    double register_s = (double) (bench_now_us () - t_register) / 1e6;
    /* Stagger the heartbeats over one interval, let the broker settle. */
    int64_t now = bench_now_us ();
    for (int i = 0; i < self.count; i++)
        self.sent_at[i] = now - (int64_t) self.heartbeat_ms * 1000 * i / self.count;
    if (s_idle_pump (&self, now + 1000000) != 0)
        return -1;
    int64_t cpu0 = s_cpu (o), t0 = bench_now_us ();
    if (s_idle_pump (&self, t0 + (int64_t) o->seconds * 1000000) != 0)
        return -1;
    int64_t t1 = bench_now_us (), cpu1 = s_cpu (o);
    stats_t after;
    if (s_stats (sock, in, out, &after) != 0)
        return -1;
    if (after.workers < before->workers + self.count) {
        fprintf (stderr, "ztask-bench: the broker lists %ld workers, expected %ld\n", after.workers,
                 before->workers + self.count);
        self.errors += (size_t) (before->workers + self.count - after.workers);
    }
    double seconds = (double) (t1 - t0) / 1e6;
    char extra[160];
    snprintf (extra, sizeof extra, "workers=%d heartbeat_ms=%u register_s=%.3f cpu_pct=%.2f", self.count,
              self.heartbeat_ms, register_s,
              cpu0 >= 0 ? 100.0 * (double) (cpu1 - cpu0) / (double) (t1 - t0) : -1.0);
    s_result (o, (size_t) self.count, seconds, NULL, -1, self.errors, extra);
    ztask_msg_reset (out, ZTASK_MSG_GOODBYE);
    for (int i = 0; i < self.count; i++) {
        ztask_msg_send (out, self.socks[i]);
        zsock_set_linger (self.socks[i], 200);
        zsock_destroy (&self.socks[i]);
    }
    free (self.socks);
    free (self.items);
    free (self.sent_at);
    free (self.registered);
    return self.errors ? 1 : 0;
}

/* ---- the broker lists of ready and failover ---- */

#define BROKERS_MAX 16
#define SILENCE_MS 500              /* failover: a leader this silent is gone  */
#define PROBE_MS 20                 /* failover: probe again after a refusal   */

typedef struct {
    int count;
    char *endpoints[BROKERS_MAX];
    zsock_t *socks[BROKERS_MAX];
    zmq_pollitem_t items[BROKERS_MAX];
} brokers_t;

/* A DEALER to each endpoint of the comma-separated list; reconnecting
   every 10 ms, so that a restarted broker is found at once. */
static int
s_brokers_connect (const opts_t *o, brokers_t *self)
{
    memset (self, 0, sizeof *self);
    char *list = strdup (o->endpoint), *save = NULL;
    assert (list);
    for (char *e = strtok_r (list, ",", &save); e && self->count < BROKERS_MAX; e = strtok_r (NULL, ",", &save)) {
        zsock_t *sock = zsock_new (ZMQ_DEALER);
        if (!sock)
            break;
        zsock_set_sndhwm (sock, 0);
        zsock_set_rcvhwm (sock, 0);
        zsock_set_linger (sock, 0);
        zsock_set_reconnect_ivl (sock, 10);
        if (zsock_connect (sock, "%s", e) != 0) {
            fprintf (stderr, "ztask-bench: cannot connect to %s\n", e);
            zsock_destroy (&sock);
            break;
        }
        self->endpoints[self->count] = strdup (e);
        self->socks[self->count] = sock;
        self->items[self->count].socket = zsock_resolve (sock);
        self->items[self->count].events = ZMQ_POLLIN;
        self->count++;
    }
    free (list);
    return self->count ? 0 : -1;
}

static void
s_brokers_close (brokers_t *self)
{
    for (int i = 0; i < self->count; i++) {
        zsock_destroy (&self->socks[i]);
        free (self->endpoints[i]);
    }
}

static int
s_send_stats (ztask_msg_t *out, zsock_t *sock)
{
    ztask_msg_reset (out, ZTASK_MSG_STATS);
    out->corr = STATS_CORR;
    return ztask_msg_send (out, sock);
}

/* The "queued" count of a STATS answer; -1 if it is not one. */
static long
s_stats_queued (const ztask_msg_t *in)
{
    if (in->command != ZTASK_MSG_JSON || in->corr != STATS_CORR || !in->body)
        return -1;
    json_t *root = json_loadb ((const char *) zframe_data (in->body), zframe_size (in->body), 0, NULL);
    long queued = root ? (long) json_integer_value (json_object_get (root, "queued")) : -1;
    json_decref (root);
    return queued;
}

/* ---- recovery: until a broker serves the queue ---- */

static int
s_run_ready (const opts_t *o, ztask_msg_t *in, ztask_msg_t *out)
{
    int64_t t0 = o->start_epoch_us > 0 ? o->start_epoch_us : s_wall_us ();
    brokers_t brokers;
    if (s_brokers_connect (o, &brokers) != 0)
        return -1;
    /* A STATS to each; another only once it is answered (a broker that is
       recovering answers when it is done). */
    bool asked[BROKERS_MAX] = { false };
    int64_t due[BROKERS_MAX] = { 0 };
    long queued = -1;
    int serving = -1;
    while (serving < 0) {
        int64_t now = bench_now_us ();
        for (int i = 0; i < brokers.count; i++)
            if (!asked[i] && now >= due[i]) {
                if (s_send_stats (out, brokers.socks[i]) != 0)
                    return -1;
                asked[i] = true;
            }
        if (zmq_poll (brokers.items, brokers.count, 5) < 0)
            return -1;
        for (int i = 0; i < brokers.count && serving < 0; i++) {
            if (!(brokers.items[i].revents & ZMQ_POLLIN) || ztask_msg_recv (in, brokers.socks[i], false) != 0)
                continue;
            if (in->corr != STATS_CORR)
                continue;
            asked[i] = false;
            due[i] = bench_now_us () + POLL_MS * 1000; /* a standby or a short queue: again soon */
            queued = s_stats_queued (in);
            if (queued >= o->tasks)
                serving = i;
        }
    }
    int64_t t1 = s_wall_us ();
    char extra[320];
    snprintf (extra, sizeof extra, "queued=%ld endpoint=%s", queued, brokers.endpoints[serving]);
    s_result (o, (size_t) queued, (double) (t1 - t0) / 1e6, NULL, -1, 0, extra);
    s_brokers_close (&brokers);
    return 0;
}

/* ---- failover: W2's load while leaders are killed ---- */

static volatile sig_atomic_t s_stop;

static void
s_on_stop (int signal)
{
    (void) signal;
    s_stop = 1;
}

static int
s_run_failover (const opts_t *o, ztask_msg_t *in, ztask_msg_t *out)
{
    brokers_t brokers;
    if (s_brokers_connect (o, &brokers) != 0)
        return -1;
    signal (SIGTERM, s_on_stop);
    signal (SIGINT, s_on_stop);
    char *buf = (char *) malloc ((size_t) o->payload + 1);
    assert (buf);
    long unacked[BROKERS_MAX] = { 0 }, seq = 0, accepted = 0, takeovers = 0, stalls = 0, in_doubt = 0;
    bool stats_out[BROKERS_MAX] = { false };
    int64_t waiting_since[BROKERS_MAX] = { 0 }, probe_due[BROKERS_MAX] = { 0 };
    int leader = -1;            /* the broker that leads, as far as we know  */
    bool searching = true;      /* probing every broker for the leader       */
    bool paused = false;        /* the leader holds queue_cap tasks or more  */
    int64_t next_stats = 0;
    size_t errors = 0;
    int64_t t0 = bench_now_us (), until = t0 + (int64_t) o->seconds * 1000000;
    int rc = 0;
    while (!s_stop && bench_now_us () < until && rc == 0) {
        int64_t now = bench_now_us ();
        for (int i = 0; i < brokers.count; i++) {
            bool send = searching ? unacked[i] == 0 && now >= probe_due[i]
                                  : i == leader && !paused && unacked[i] < o->window;
            while (send) {
                if (unacked[i] == 0 && !stats_out[i])
                    waiting_since[i] = now;
                if (s_send_submit (out, brokers.socks[i], ZTASK_MSG_SUBMIT, o, seq++ % SEQ_MAX, buf) != 0) {
                    rc = -1;
                    break;
                }
                unacked[i]++;
                send = !searching && unacked[i] < o->window;
            }
        }
        if (!searching && !stats_out[leader] && now >= next_stats) {
            if (unacked[leader] == 0)
                waiting_since[leader] = now;
            if (s_send_stats (out, brokers.socks[leader]) != 0)
                rc = -1;
            stats_out[leader] = true;
        }
        if (zmq_poll (brokers.items, brokers.count, 2) < 0)
            break; /* a signal */
        now = bench_now_us ();
        for (int i = 0; i < brokers.count; i++) {
            while (zmq_poll (&brokers.items[i], 1, 0) > 0 && (brokers.items[i].revents & ZMQ_POLLIN)) {
                if (ztask_msg_recv (in, brokers.socks[i], false) != 0) {
                    errors++;
                    continue;
                }
                waiting_since[i] = now;
                if (in->corr == STATS_CORR) {
                    stats_out[i] = false;
                    long queued = s_stats_queued (in);
                    if (queued >= 0 && i == leader)
                        paused = queued >= o->queue_cap;
                    next_stats = now + 100000;
                    continue;
                }
                if (unacked[i] > 0)
                    unacked[i]--;
                if (in->command == ZTASK_MSG_SUBMITTED) {
                    accepted++;
                    if (searching) {
                        searching = false;
                        paused = false;
                        if (leader >= 0 && i != leader) {
                            takeovers++;
                            printf ("TAKEOVER wall_us=%lld endpoint=%s\n", (long long) s_wall_us (),
                                    brokers.endpoints[i]);
                            fflush (stdout);
                        }
                        else if (leader == i)
                            stalls++; /* silent for a while, but it still leads */
                        leader = i;
                        next_stats = now;
                    }
                }
                else if (in->command == ZTASK_MSG_ERROR
                         && (in->error_status == ZTASK_ERR_NOT_LEADER || in->error_status == ZTASK_ERR_UNAVAILABLE)) {
                    if (!searching && i == leader)
                        searching = true;
                    probe_due[i] = now + PROBE_MS * 1000;
                }
                else
                    s_report_error (in, ++errors);
            }
        }
        /* A leader that leaves its requests unanswered is gone: they are
           in doubt (a killed broker never answers them; a restarted one
           cannot), and it is probed like any other broker. */
        if (!searching && (unacked[leader] > 0 || stats_out[leader])
            && now - waiting_since[leader] > SILENCE_MS * 1000) {
            searching = true;
            stats_out[leader] = false;
            in_doubt += unacked[leader];
            unacked[leader] = 0;
        }
    }
    for (int i = 0; i < brokers.count; i++)
        in_doubt += unacked[i];
    char extra[160];
    snprintf (extra, sizeof extra, "takeovers=%ld stalls=%ld in_doubt=%ld", takeovers, stalls, in_doubt);
    s_result (o, (size_t) accepted, (double) (bench_now_us () - t0) / 1e6, NULL, -1, errors, extra);
    free (buf);
    s_brokers_close (&brokers);
    return rc < 0 ? -1 : errors ? 1 : 0;
}

/* ---- main ---- */

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: ztask-bench -m rt|submit|lat|burst|delayed|chain|batch|drain|idle|ready|failover|scrape [-e ENDPOINT[,ENDPOINT...]] [options]\n"
             "  -n TASKS (50000)     -c WINDOW (256)     -s PAYLOAD_BYTES (64)   -p PRIORITY (5)\n"
             "  -y TYPE (noop)       -C CLIENTS (4)      -M IDLE_WORKERS (1000)  -d IDLE_SECONDS (10)\n"
             "  -b BROKER_PID        -k WORKERS          -t START_EPOCH_US       -A (lat: libztask API)\n"
             "  -S SYSTEM (ztask)    -W WORKLOAD         -r REP (1)              -x 'KEY=VALUE ...'\n"
             "  -q QUEUE_CAP (10000: failover)  -T SECONDS (600): time limit, exit 124 past it\n"
             "  -H HTTP_PORT (rt: scrape /metrics at 10 Hz and poll the API; scrape: required)\n"
             "  -D DUE_IN_MS (delayed: required)  -E EVERY (1000: delayed, every E-th task is measured)\n"
             "  -R SIGS: each task requires memory_mb>=K, K = seq %% SIGS + 1 (SIGS signatures)\n"
             "ENDPOINT defaults to $ZTASK_BROKER. See the comment at the top of bench/ztask_bench.c.\n");
    exit (1);
}

static long
s_number (const char *text, long low, long high)
{
    char *end;
    long value = strtol (text, &end, 10);
    if (*text == 0 || *end != 0 || value < low || value > high) {
        fprintf (stderr, "ztask-bench: '%s' is not a number from %ld to %ld\n", text, low, high);
        exit (1);
    }
    return value;
}

int
main (int argc, char **argv)
{
    opts_t o = { NULL, getenv ("ZTASK_BROKER"), "ztask", NULL, "noop", NULL, 50000, 256, 64, 5, 4,
                 1000, 10, 600, 0, 1, -1, 10000, 0, false, 0, 0, 0, 0, 0, NULL };
    int c;
    while ((c = getopt (argc, argv, "m:e:S:W:y:x:n:c:s:p:C:M:d:T:b:r:k:q:t:H:D:E:R:Ah")) != -1) {
        switch (c) {
        case 'm': o.mode = optarg; break;
        case 'e': o.endpoint = optarg; break;
        case 'S': o.system = optarg; break;
        case 'W': o.workload = optarg; break;
        case 'y': o.type = optarg; break;
        case 'x': o.extra = optarg; break;
        case 'n': o.tasks = s_number (optarg, 1, SEQ_MAX); break;
        case 'c': o.window = (int) s_number (optarg, 1, 100000); break;
        case 's': o.payload = (int) s_number (optarg, 1, 1 << 20); break;
        case 'p': o.priority = (int) s_number (optarg, 0, ZTASK_PRIORITY_MAX); break;
        case 'C': o.clients = (int) s_number (optarg, 1, 1024); break;
        case 'M': o.sockets = (int) s_number (optarg, 1, 100000); break;
        case 'd': o.seconds = (int) s_number (optarg, 1, 86400); break;
        case 'T': o.time_limit = (int) s_number (optarg, 1, 86400); break;
        case 'b': o.broker_pid = (int) s_number (optarg, 1, 1L << 30); break;
        case 'r': o.rep = (int) s_number (optarg, 0, 1000000); break;
        case 'k': o.expect_workers = (int) s_number (optarg, 0, 1000000); break;
        case 'q': o.queue_cap = s_number (optarg, 1, SEQ_MAX); break;
        case 't': o.start_epoch_us = (int64_t) strtoll (optarg, NULL, 10); break;
        case 'A': o.api = true; break;
        case 'H': o.http_port = (int) s_number (optarg, 1, 65535); break;
        case 'D': o.due_in_ms = (int64_t) s_number (optarg, 1, 86400000); break;
        case 'E': o.every = s_number (optarg, 1, SEQ_MAX); break;
        case 'R': o.sigs = s_number (optarg, 1, 1000000); break;
        default: s_usage ();
        }
    }
    if (optind != argc || !o.mode
        || !(streq (o.mode, "rt") || streq (o.mode, "submit") || streq (o.mode, "lat")
             || streq (o.mode, "burst") || streq (o.mode, "drain") || streq (o.mode, "idle")
             || streq (o.mode, "ready") || streq (o.mode, "failover") || streq (o.mode, "scrape")
             || streq (o.mode, "delayed") || streq (o.mode, "chain") || streq (o.mode, "batch"))
        || (streq (o.mode, "scrape") && !o.http_port) || (streq (o.mode, "delayed") && !o.due_in_ms))
        s_usage ();
    if (!o.endpoint)
        o.endpoint = ZTASK_DEFAULT_ENDPOINT;
    if (!o.workload)
        o.workload = s_default_workload (o.mode);

    zsys_handler_set (NULL); /* the default dispositions: a signal ends the run */
    signal (SIGALRM, s_on_alarm);
    alarm ((unsigned) o.time_limit);
    if (streq (o.mode, "idle")) {
        /* two descriptors per socket (its TCP connection and its mailbox) */
        struct rlimit limit;
        if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            setrlimit (RLIMIT_NOFILE, &limit);
        }
        zsys_set_max_sockets ((size_t) o.sockets + 64);
    }

    ztask_msg_t *in = ztask_msg_new (), *out = ztask_msg_new ();
    zsock_t *sock = NULL;
    stats_t before;
    int rc = -1;
    /* ready and failover: a list of brokers, none of which may be serving yet. */
    if (streq (o.mode, "ready"))
        rc = s_run_ready (&o, in, out);
    else if (streq (o.mode, "scrape"))
        rc = s_run_scrape (&o);
    else if (streq (o.mode, "failover"))
        rc = s_run_failover (&o, in, out);
    else if ((sock = s_connect (&o)) && s_ready (&o, sock, in, out, &before) == 0) {
        if (streq (o.mode, "rt"))
            rc = s_run_rt (&o, sock, in, out);
        else if (streq (o.mode, "submit"))
            rc = s_run_submit (&o, sock, in, out, &before);
        else if (streq (o.mode, "lat"))
            rc = s_run_lat (&o, sock, in, out);
        else if (streq (o.mode, "burst"))
            rc = s_run_burst (&o);
        else if (streq (o.mode, "delayed"))
            rc = s_run_delayed (&o);
        else if (streq (o.mode, "chain"))
            rc = s_run_chain (&o, sock, in, out);
        else if (streq (o.mode, "batch"))
            rc = s_run_batch (&o, sock, in, out);
        else if (streq (o.mode, "drain"))
            rc = s_run_drain (&o, sock, in, out);
        else
            rc = s_run_idle (&o, sock, in, out, &before);
    }
    if (rc < 0)
        fprintf (stderr, "ztask-bench: %s run against %s failed (no answer or cannot send)\n", o.mode,
                 o.endpoint);
    ztask_msg_destroy (&in);
    ztask_msg_destroy (&out);
    zsock_destroy (&sock);
    return rc == 0 ? 0 : 1;
}
