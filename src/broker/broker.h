/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker - ztaskd's server: one ROUTER socket for clients and workers, the
    scheduler, the store, heartbeats. Single-threaded: every handler runs to
    completion without blocking; the store's commit groups a whole batch of
    messages, and submit answers wait for that commit. */
#ifndef ZTASK_BROKER_H_INCLUDED
#define ZTASK_BROKER_H_INCLUDED

#include "broker_config.h"

typedef struct broker broker_t;

/* Opens the store, recovers its unfinished tasks and binds the endpoints.
   Returns NULL after logging why. */
broker_t *broker_new (const broker_config_t *config);
void broker_destroy (broker_t **self_p);

/* Serves until SIGINT/SIGTERM (zsys_interrupted). Returns 0, or -1 on a
   fatal error. */
int broker_run (broker_t *self);

/* One round of the loop: waits for a message up to timeout_ms (-1: until
   the next heartbeat or backoff is due; 0: not at all), handles what has
   arrived, commits, and sends what waited for the commit. broker_run is
   this in a loop; tests drive the broker with it, in their own thread. */
int broker_poll (broker_t *self, int timeout_ms);

/* The i-th bound endpoint with its real port, or NULL. */
const char *broker_endpoint (broker_t *self, size_t i);

/* The inproc endpoint the HTTP thread connects a DEALER to (only with
   http configured; else NULL): the ordinary protocol plus METRICS, with
   every client right whether CURVE is on or not. */
const char *broker_internal_endpoint (broker_t *self);

#endif
