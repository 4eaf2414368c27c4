/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker - ztask-worker's runtime: loads the plugins, registers with the
    broker, hands each TASK to a free slot and reports progress and results.
    The messaging thread (worker_run) heartbeats while slots run plugins. */
#ifndef ZTASK_WORKER_H_INCLUDED
#define ZTASK_WORKER_H_INCLUDED

#include "worker_config.h"

typedef struct worker worker_t;

/* Loads every plugin and calls its init. Returns NULL with the reason in
   error if any plugin cannot load: a worker never starts half-equipped. */
worker_t *worker_new (worker_config_t *config, char *error, size_t error_size);
void worker_destroy (worker_t **self_p);

/* Serves until SIGINT/SIGTERM. Returns 0, or -1 if the broker refused the
   registration or the slots could not start. */
int worker_run (worker_t *self);

#endif
