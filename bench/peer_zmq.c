/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  peer_zmq - ztask's benchmark workloads against zbroker (bench/zbroker.c),
    the minimal ZeroMQ load-balancing broker: the floor a ZeroMQ broker
    cannot beat. One run is one workload; scripts/bench_peers.sh starts the
    broker and calls this.

        peer_zmq -p FRONTEND_PORT -P BACKEND_PORT -W W1|W2|W3|B1 [-n TASKS]
                 [-c WINDOW] [-w WORKERS] [-k CLIENTS] [-s BYTES] [-T SECONDS]
                 [-r REP] [-S SERVER_PID] [-L SYSTEM]
    (the options, workloads, RESULT line and exit status: peer_harness.h)

    Client: one DEALER on the frontend sends [kind][payload], kind "R" (the
    reply is the result) or "B" (background: the reply is the broker's "A"
    once the task is queued). Worker: one DEALER on the backend says READY,
    then runs one task at a time: [client id][R][payload] -> [client id][payload];
    [client id][B][payload] -> READY.
*/
#define _GNU_SOURCE
#include <czmq.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "peer_harness.h"

#define PROGRAM "peer_zmq"

struct _peer_client_t {
    const peer_options_t *options; //  the run
    peer_tally_t *tally;           //  where submits and replies are counted
    zsock_t *frontend;             //  DEALER on the broker's frontend
};

static peer_client_t *
s_client_new (const peer_options_t *options, peer_tally_t *tally)
{
    peer_client_t *self = (peer_client_t *) peer_alloc (sizeof (peer_client_t));
    self->options = options;
    self->tally = tally;
    self->frontend = zsock_new (ZMQ_DEALER);
    if (!self->frontend || zsock_connect (self->frontend, "tcp://" PEER_HOST ":%d", options->port) < 0)
        peer_die ("cannot connect to the broker's frontend on port %d", options->port);
    return self;
}

static void
s_client_destroy (peer_client_t **self_p)
{
    peer_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->frontend);
    free (self);
    *self_p = NULL;
}

//  One reply per task: its result (W1, W3) or the broker's "A" (W2, B1).
static int
s_client_run (peer_client_t *self, long first, long count)
{
    const peer_options_t *options = self->options;
    bool background = options->workload == PEER_W2 || options->workload == PEER_B1;
    long next = first, end = first + count, replies = 0;
    while (replies < count) {
        while (next < end && next - first - replies < options->window) {
            const char *payload = peer_tally_submit (self->tally, next++);
            zmsg_t *task = zmsg_new ();
            zmsg_addstr (task, background ? "B" : "R");
            zmsg_addmem (task, payload, (size_t) options->payload);
            if (zmsg_send (&task, self->frontend) < 0) {
                fprintf (stderr, PROGRAM ": send failed: %s\n", zmq_strerror (zmq_errno ()));
                return -1;
            }
        }
        zframe_t *reply = zframe_recv (self->frontend);
        if (!reply) {
            fprintf (stderr, PROGRAM ": receive failed: %s\n", zmq_strerror (zmq_errno ()));
            return -1;
        }
        if (!background)
            peer_tally_result (self->tally, zframe_data (reply), zframe_size (reply));
        else if (zframe_streq (reply, "A"))
            peer_tally_accepted (self->tally);
        else
            self->tally->errors++;
        zframe_destroy (&reply);
        replies++;
    }
    return 0;
}

static void
s_worker (const peer_options_t *options, int id)
{
    zsock_t *backend = zsock_new (ZMQ_DEALER);
    if (!backend || zsock_connect (backend, "tcp://" PEER_HOST ":%d", options->port2) < 0)
        peer_die ("worker %d cannot connect to the broker's backend on port %d", id, options->port2);
    zstr_send (backend, "READY");
    peer_ready ();
    while (true) {
        zmsg_t *task = zmsg_recv (backend);
        if (!task)
            peer_die ("worker %d: receive failed", id);
        zframe_t *client = zmsg_pop (task), *kind = zmsg_pop (task);
        if (!client || !kind || zmsg_size (task) != 1)
            peer_die ("worker %d: malformed task", id);
        if (zframe_streq (kind, "R")) {
            zmsg_prepend (task, &client); //  the result is the payload itself
            zmsg_send (&task, backend);
        }
        else {
            zframe_destroy (&client);
            zmsg_destroy (&task);
            zstr_send (backend, "READY");
        }
        zframe_destroy (&kind);
        peer_task_done ();
    }
}

int
main (int argc, char *argv[])
{
    static const peer_driver_t driver = {
        .program = PROGRAM, .system = "zbroker",
        .ports_usage = "-p FRONTEND_PORT -P BACKEND_PORT", .two_ports = true,
        .client_new = s_client_new, .client_run = s_client_run, .client_destroy = s_client_destroy,
        .worker = s_worker,
    };
    zsys_handler_set (NULL); //  SIGTERM ends a worker at once
    return peer_harness_main (&driver, argc, argv);
}
