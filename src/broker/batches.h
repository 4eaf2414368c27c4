/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  batches - what the broker says about batches (docs/scheduling.md): the
    answer to BATCH and BATCH_STATUS, the summary a batch's then task gets
    as its payload, and, while the broker recovers, which then tasks still
    wait for which batch. The tasks themselves are ordinary tasks (each
    with its batch id); broker.c accepts, places and ends them. */
#ifndef ZTASK_BATCHES_H_INCLUDED
#define ZTASK_BATCHES_H_INCLUDED

#include "store.h"

#include <jansson.h>

/* BATCH's answer: {"batch", "size", "then" (null: none), "existing"}. */
json_t *batch_answer (const store_batch_t *batch, bool existing);

/* BATCH_STATUS's answer, from store_batch_get's batch; then_state: the
   then task's state (-1: none, or purged). */
json_t *batch_status (const store_batch_t *batch, int then_state);

/* The then task's payload: a JSON text (malloc'd, *size bytes, at most
   max) with the batch's counts and, as far as max allows, its tasks
   (docs/scheduling.md says which), read once. NULL when the store could not be
   read. */
char *batch_summary (store_t *store, uint64_t batch_id, uint32_t batch_size, size_t max, size_t *size);

/* ---- recovery ---- */

/* The batches whose then task waited when the broker stopped: while the
   unfinished tasks are read back, each then task learns how many of its
   batch's tasks are still live. */
typedef struct batch_waits batch_waits_t;

/* Reads them from store; NULL if the store failed. */
batch_waits_t *batch_waits_load (store_t *store);
void batch_waits_destroy (batch_waits_t **self_p);

/* For a recovered task of batch_id (0: none): the id of the then task it
   is waited for by (its count goes up), or 0 when none waits. */
uint64_t batch_waits_task (batch_waits_t *self, uint64_t batch_id);

/* For a recovered task: if it is a waiting then task, its batch's id
   into *batch_id and how many of the batch's tasks are live into *live
   (complete once every unfinished task was read back). */
bool batch_waits_then (batch_waits_t *self, uint64_t task_id, uint64_t *batch_id, uint32_t *live);

#endif
