/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  peer_gearman - ztask's benchmark workloads against gearmand, through
    libgearman. One run is one workload; scripts/bench_peers.sh starts
    gearmand (in memory, `-t 0`) and calls this.

        peer_gearman -p PORT -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW] [-w WORKERS]
                     [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID]
                     [-L SYSTEM]
    (the options, workloads, RESULT line and exit status: peer_harness.h)

    Client: gearman_client_add_task (W1, W3) or add_task_background (W2, B1),
    all driven by one gearman_client_run_tasks call. Worker:
    gearman_worker_add_function + gearman_worker_work, one job at a time; a
    background task is accepted at its JOB_CREATED.
*/
#define _GNU_SOURCE
#include <libgearman/gearman.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer_harness.h"

#define PROGRAM "peer_gearman"
#define FUNCTION "noop"

//  The client adds tasks with gearman_client_add_task (W1, W3) or
//  gearman_client_add_task_background (W2, B1) and drives them all with one
//  gearman_client_run_tasks call; each result (W1, W3) or JOB_CREATED (W2, B1)
//  adds the next task from its callback, which keeps the window full.
struct _peer_client_t {
    const peer_options_t *options; //  the run
    peer_tally_t *tally;           //  where submits and replies are counted
    gearman_client_st *gearman;    //  the connection to gearmand
    bool background;               //  W2, B1: background tasks
    long next;                     //  next sequence number to submit
    long end;                      //  one past the last one of this run
    long answered;                 //  results or acceptances in this run
    long failures;                 //  tasks that failed or could not be added
};

static void
s_client_submit (peer_client_t *self)
{
    if (self->next >= self->end)
        return;
    gearman_return_t rc;
    gearman_task_st *task;
    const char *payload = peer_tally_submit (self->tally, self->next++);
    if (self->background)
        task = gearman_client_add_task_background (self->gearman, NULL, self, FUNCTION, NULL, payload,
                                                   (size_t) self->options->payload, &rc);
    else
        task = gearman_client_add_task (self->gearman, NULL, self, FUNCTION, NULL, payload,
                                        (size_t) self->options->payload, &rc);
    if (!task || rc != GEARMAN_SUCCESS)
        self->failures++;
}

static gearman_return_t
s_client_on_created (gearman_task_st *task)
{
    peer_client_t *self = (peer_client_t *) gearman_task_context (task);
    if (self->background) { //  a background task ends at JOB_CREATED
        peer_tally_accepted (self->tally);
        self->answered++;
        s_client_submit (self);
    }
    return GEARMAN_SUCCESS;
}

static gearman_return_t
s_client_on_complete (gearman_task_st *task)
{
    peer_client_t *self = (peer_client_t *) gearman_task_context (task);
    peer_tally_result (self->tally, gearman_task_data (task), gearman_task_data_size (task));
    self->answered++;
    s_client_submit (self);
    return GEARMAN_SUCCESS;
}

static gearman_return_t
s_client_on_fail (gearman_task_st *task)
{
    peer_client_t *self = (peer_client_t *) gearman_task_context (task);
    self->failures++;
    s_client_submit (self);
    return GEARMAN_SUCCESS;
}

static peer_client_t *
s_client_new (const peer_options_t *options, peer_tally_t *tally)
{
    peer_client_t *self = (peer_client_t *) peer_alloc (sizeof (peer_client_t));
    self->options = options;
    self->tally = tally;
    self->background = options->workload == PEER_W2 || options->workload == PEER_B1;
    self->gearman = gearman_client_create (NULL);
    if (!self->gearman
        || gearman_client_add_server (self->gearman, PEER_HOST, (in_port_t) options->port) != GEARMAN_SUCCESS)
        peer_die ("gearman client setup failed");
    gearman_client_add_options (self->gearman, GEARMAN_CLIENT_FREE_TASKS);
    gearman_client_set_created_fn (self->gearman, s_client_on_created);
    gearman_client_set_complete_fn (self->gearman, s_client_on_complete);
    gearman_client_set_fail_fn (self->gearman, s_client_on_fail);
    //  Connect now, not in the timed part.
    if (gearman_client_echo (self->gearman, "ping", 4) != GEARMAN_SUCCESS)
        peer_die ("cannot reach gearmand on port %d: %s", options->port, gearman_client_error (self->gearman));
    return self;
}

static void
s_client_destroy (peer_client_t **self_p)
{
    peer_client_t *self = *self_p;
    if (!self)
        return;
    gearman_client_free (self->gearman);
    free (self);
    *self_p = NULL;
}

//  Adds a window of tasks, then gearman_client_run_tasks runs until the
//  callbacks above have seen the last JOB_CREATED (W2, B1) or result (W1, W3).
static int
s_client_run (peer_client_t *self, long first, long count)
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
    peer_task_done ();
    return result;
}

static void
s_worker (const peer_options_t *options, int id)
{
    gearman_worker_st *worker = gearman_worker_create (NULL);
    if (!worker || gearman_worker_add_server (worker, PEER_HOST, (in_port_t) options->port) != GEARMAN_SUCCESS
        || gearman_worker_add_function (worker, FUNCTION, 0, s_worker_noop, NULL) != GEARMAN_SUCCESS)
        peer_die ("worker %d: gearman setup failed", id);
    if (gearman_worker_echo (worker, "ping", 4) != GEARMAN_SUCCESS) //  connected
        peer_die ("worker %d: %s", id, gearman_worker_error (worker));
    peer_ready ();
    while (true) {
        gearman_return_t rc = gearman_worker_work (worker);
        if (rc != GEARMAN_SUCCESS)
            peer_die ("worker %d: gearman_worker_work: %s", id, gearman_strerror (rc));
    }
}

int
main (int argc, char *argv[])
{
    static const peer_driver_t driver = {
        .program = PROGRAM, .system = "gearmand", .ports_usage = "-p PORT",
        .client_new = s_client_new, .client_run = s_client_run, .client_destroy = s_client_destroy,
        .worker = s_worker,
    };
    return peer_harness_main (&driver, argc, argv);
}
