/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  zbroker - the minimal ZeroMQ load-balancing task broker, the reference
    that `make bench` measures ztask against: what ZeroMQ routing alone
    costs on this machine.

        clients (DEALER) -> ROUTER frontend | zbroker | ROUTER backend <- workers (DEALER)

    Two FIFO queues: tasks waiting for a worker, and ready workers waiting for
    a task, longest waiting first. A new task goes to the worker that has
    waited longest; a worker that comes back takes the oldest waiting task.

    Frames (each ROUTER adds or strips the peer's routing id):
        client -> broker    [kind][payload]     kind "R": wants the result, "B": background
        broker -> client    [result] after "R"; ["A"] as soon as a "B" task is queued
        broker -> worker    [client id][kind][payload]
        worker -> broker    [client id][result] after "R"; ["READY"] at start and after "B"

    The backend sets ZMQ_ROUTER_MANDATORY: without it a task sent to a worker
    that has gone vanishes silently; with it the send fails, the worker is
    forgotten and the task goes to the next one. Anything else malformed is
    dropped and counted. No persistence, retries, heartbeats or priorities.

        zbroker FRONTEND BACKEND [SECONDS]

    It stops on SIGINT or SIGTERM, or after SECONDS (default 600), so a
    benchmark that dies cannot leave it behind for long.
*/
#include <czmq.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    zsock_t *frontend;      //  ROUTER the clients connect to
    zsock_t *backend;       //  ROUTER the workers connect to (mandatory routing)
    zlist_t *ready_workers; //  routing ids (zframe_t *), longest waiting first
    zlist_t *waiting_tasks; //  [client id][kind][payload] (zmsg_t *), oldest first
    size_t dropped;         //  malformed messages dropped
    size_t workers_lost;    //  workers that were gone when given a task
} zbroker_t;

static void
s_broker_destroy (zbroker_t **self_p)
{
    zbroker_t *self = *self_p;
    if (!self)
        return;
    zframe_t *worker;
    while ((worker = (zframe_t *) zlist_pop (self->ready_workers)))
        zframe_destroy (&worker);
    zmsg_t *task;
    while ((task = (zmsg_t *) zlist_pop (self->waiting_tasks)))
        zmsg_destroy (&task);
    zlist_destroy (&self->ready_workers);
    zlist_destroy (&self->waiting_tasks);
    zsock_destroy (&self->frontend);
    zsock_destroy (&self->backend);
    free (self);
    *self_p = NULL;
}

static zbroker_t *
s_broker_new (const char *frontend, const char *backend)
{
    zbroker_t *self = (zbroker_t *) zmalloc (sizeof (zbroker_t));
    if (!self)
        return NULL;
    self->frontend = zsock_new (ZMQ_ROUTER);
    self->backend = zsock_new (ZMQ_ROUTER);
    self->ready_workers = zlist_new ();
    self->waiting_tasks = zlist_new ();
    if (!self->frontend || !self->backend || !self->ready_workers || !self->waiting_tasks) {
        s_broker_destroy (&self);
        return NULL;
    }
    zsock_set_router_mandatory (self->backend, 1);
    if (zsock_bind (self->frontend, "%s", frontend) < 0 || zsock_bind (self->backend, "%s", backend) < 0) {
        zsys_error ("zbroker: cannot bind %s and %s: %s", frontend, backend, zmq_strerror (zmq_errno ()));
        s_broker_destroy (&self);
    }
    return self;
}

//  Sends a task to the worker that has waited longest, forgetting workers
//  that have gone. Returns 0 and takes the task, or -1 if no worker is ready.

static int
s_broker_dispatch (zbroker_t *self, zmsg_t **task_p)
{
    zframe_t *worker;
    while ((worker = (zframe_t *) zlist_pop (self->ready_workers))) {
        //  The routing id alone first: under ZMQ_ROUTER_MANDATORY that is
        //  the frame that fails for a departed worker, and the task stays ours.
        int rc = zframe_send (&worker, self->backend, ZFRAME_MORE | ZFRAME_REUSE);
        zframe_destroy (&worker);
        if (rc == 0) {
            zmsg_send (task_p, self->backend);
            return 0;
        }
        if (errno != EHOSTUNREACH)
            zsys_warning ("zbroker: send to a worker failed: %s", zmq_strerror (errno));
        self->workers_lost++;
    }
    return -1;
}

static void
s_broker_from_client (zbroker_t *self, zmsg_t *msg)
{
    zframe_t *client = zmsg_first (msg), *kind = zmsg_next (msg);
    if (zmsg_size (msg) != 3 || !(zframe_streq (kind, "R") || zframe_streq (kind, "B"))) {
        zmsg_destroy (&msg);
        self->dropped++;
        return;
    }
    if (zframe_streq (kind, "B")) {
        zmsg_t *accepted = zmsg_new ();
        zmsg_addmem (accepted, zframe_data (client), zframe_size (client));
        zmsg_addstr (accepted, "A");
        zmsg_send (&accepted, self->frontend);
    }
    if (s_broker_dispatch (self, &msg) < 0)
        zlist_append (self->waiting_tasks, msg);
}

static void
s_broker_from_worker (zbroker_t *self, zmsg_t *msg)
{
    zframe_t *worker = zmsg_pop (msg);
    if (zmsg_size (msg) == 2)
        zmsg_send (&msg, self->frontend); //  [client id][result]
    else if (zmsg_size (msg) == 1 && zframe_streq (zmsg_first (msg), "READY"))
        zmsg_destroy (&msg);
    else {
        zmsg_destroy (&msg);
        zframe_destroy (&worker);
        self->dropped++;
        return;
    }
    zlist_append (self->ready_workers, worker);
    zmsg_t *task = (zmsg_t *) zlist_pop (self->waiting_tasks);
    if (task && s_broker_dispatch (self, &task) < 0)
        zlist_push (self->waiting_tasks, task);
}

static void
s_broker_run (zbroker_t *self, int64_t lifetime_ms)
{
    //  Workers first: a reply frees a worker and must not wait behind new tasks.
    zpoller_t *poller = zpoller_new (self->backend, self->frontend, NULL);
    int64_t deadline = zclock_mono () + lifetime_ms;
    while (!zsys_interrupted && zclock_mono () < deadline) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, 1000);
        if (!which) {
            if (zpoller_terminated (poller))
                break;
            continue;
        }
        zmsg_t *msg = zmsg_recv (which);
        if (!msg)
            break;
        if (which == self->backend)
            s_broker_from_worker (self, msg);
        else
            s_broker_from_client (self, msg);
    }
    zpoller_destroy (&poller);
}

int
main (int argc, char *argv[])
{
    char *end = NULL;
    long seconds = argc == 4 ? strtol (argv[3], &end, 10) : 600;
    if (argc < 3 || argc > 4 || (end && (*end || seconds < 1 || seconds > 86400))) {
        fprintf (stderr, "usage: zbroker FRONTEND BACKEND [SECONDS]\n"
                         "  e.g. zbroker tcp://127.0.0.1:5555 tcp://127.0.0.1:5556 600\n");
        return 2;
    }
    zbroker_t *broker = s_broker_new (argv[1], argv[2]);
    if (!broker)
        return 1;
    s_broker_run (broker, (int64_t) seconds * 1000);
    if (broker->dropped || broker->workers_lost)
        zsys_info ("zbroker: %zu malformed messages dropped, %zu departed workers skipped", broker->dropped,
                   broker->workers_lost);
    s_broker_destroy (&broker);
    return 0;
}
