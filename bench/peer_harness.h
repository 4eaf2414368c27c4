/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  peer_harness - runs one of ztask's benchmark workloads against a peer
    (gearmand, beanstalkd, zbroker) through the few callbacks its driver
    provides (peer_driver_t): connect a client, submit tasks through it and
    wait for their replies, run a worker. The harness does the rest, the
    same for every peer: options, the forked workers and burst clients, the
    time limit, the check of every reply, timing and the RESULT line.

        PROGRAM -p PORT [-P PORT2] -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW]
                [-w WORKERS] [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP]
                [-S SERVER_PID] [-L SYSTEM]

    The workloads. Every task is a no-op whose result is its payload,
    "<seq>|<tag>|" padded to BYTES (64); every result is checked against
    the payload it belongs to.
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

    Prints one RESULT line (bench_common.h) with system=SYSTEM (the
    driver's peer by default). Exit status: 0; 1 if a task was lost,
    duplicated, corrupted or refused, or a connection failed; 2 for a usage
    error; 124 at the time limit (-T, default 120 s), when every process of
    the run is killed.
*/
#ifndef ZTASK_PEER_HARNESS_H_INCLUDED
#define ZTASK_PEER_HARNESS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_common.h"

#define PEER_HOST "127.0.0.1" //  where every peer listens

typedef enum { PEER_W1, PEER_W2, PEER_W3, PEER_B1 } peer_workload_t;

//  One run, from the command line.
typedef struct {
    peer_workload_t workload; //  what to run
    const char *system;       //  system= in the RESULT line
    long tasks;               //  tasks measured (W3: after the warm-up)
    int window;               //  most tasks unanswered at one client
    int workers;              //  worker processes
    int clients;              //  client processes (B1)
    int payload;              //  bytes in each task and each result
    int port;                 //  the server's port (zbroker: its frontend)
    int port2;                //  the server's second port (zbroker's backend); 0 if it has one
    int time_limit;           //  seconds before the run is abandoned
    int rep;                  //  rep= in the RESULT line
    int server_pid;           //  the server, for CPU time and memory; 0: not measured
} peer_options_t;

//  One client process's view of its tasks, indexed by sequence number.
typedef struct {
    const peer_options_t *options; //  the run
    const char *tag;               //  routing tag in each payload ("" if none)
    long total;                    //  sequence numbers run from 0 to total - 1
    long measure_from;             //  first sequence number that is measured
    int64_t *submitted_at;         //  bench_now_us () of each submit
    bool *answered;                //  whether each result has come
    long results;                  //  results received
    long accepted;                 //  background submits accepted
    long errors;                   //  results malformed, unknown or duplicated; refusals
    int64_t first_us;              //  first measured submit
    int64_t last_us;               //  last result or acceptance
    bench_samples_t latency;       //  submit to result, measured tasks only
    char *payload;                 //  the task being submitted, until the next submit
    char *expected;                //  scratch: the payload a result must equal
} peer_tally_t;

//  A driver's client: its connection(s) to the peer; each driver defines
//  struct _peer_client_t.
typedef struct _peer_client_t peer_client_t;

//  What a driver provides: its peer's protocol, as a client and as a worker.
typedef struct {
    const char *program;     //  the program's name, in messages ("peer_gearman")
    const char *system;      //  system= unless -L says otherwise ("gearmand")
    const char *ports_usage; //  the port options in the usage line ("-p PORT")
    bool two_ports;          //  -P PORT2 is accepted and required, as well as -p PORT
    //  Connects a client whose submits and replies go to tally (ready to
    //  submit when it returns); dies if it cannot.
    peer_client_t *(*client_new) (const peer_options_t *options, peer_tally_t *tally);
    //  Submits tasks first .. first + count - 1 (peer_tally_submit), at most
    //  options->window unanswered, until every one has its result (W1, W3:
    //  peer_tally_result) or its acceptance (W2, B1: peer_tally_accepted).
    //  0, or -1 if a task was refused or the connection failed.
    int (*client_run) (peer_client_t *self, long first, long count);
    void (*client_destroy) (peer_client_t **self_p);
    //  A worker process: connects, calls peer_ready, then runs tasks (the
    //  result is the payload) and calls peer_task_done after each; never
    //  returns (it is killed at the end of the run).
    void (*worker) (const peer_options_t *options, int id);
} peer_driver_t;

//  Parses the command line, runs the workload, prints the RESULT line;
//  returns the exit status.
int peer_harness_main (const peer_driver_t *driver, int argc, char *argv[]);

//  Prints "PROGRAM[pid]: message" on stderr and exits 1.
void peer_die (const char *format, ...) __attribute__ ((format (printf, 1, 2), noreturn));
//  calloc that dies when out of memory.
void *peer_alloc (size_t size);

//  Task seq is being submitted: returns its payload, options->payload bytes
//  that stay valid until the next submit: "<seq>|<tag>|" padded with '.'.
const char *peer_tally_submit (peer_tally_t *self, long seq);
//  A background task was accepted.
void peer_tally_accepted (peer_tally_t *self);
//  A result came: counted if it is the payload of a task submitted and not
//  yet answered, else an error.
void peer_tally_result (peer_tally_t *self, const void *data, size_t size);

//  A worker or burst client is connected and serving.
void peer_ready (void);
//  A worker has run a task.
void peer_task_done (void);

#endif
