/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_registry - the workers registered with the broker, found by
    their connection (routing id) and by their process (instance id, the
    same across reconnects). The registry owns the records; the scheduler
    keeps its part of each (sched) in its free lists. */
#ifndef ZTASK_WORKER_REGISTRY_H_INCLUDED
#define ZTASK_WORKER_REGISTRY_H_INCLUDED

#include "scheduler.h"
#include "common/ztask_require.h"
#include "proto/ztask_msg.h"

/* A resource a worker advertised (REGISTER), and how much of it it has. */
typedef struct {
    const char *name;
    uint64_t total;
} broker_resource_t;

/* A registered worker; sched comes first so a sched_worker_t * is one. */
typedef struct {
    sched_worker_t sched;
    peer_id_t peer;              /* its routing id                       */
    char name[ZTASK_STRING_MAX + 1];
    char host[ZTASK_STRING_MAX + 1];
    char instance[ZTASK_STRING_MAX + 1]; /* its process's id, "" if it sent none */
    ztask_msg_plugin_t *plugins; /* names and versions it registered     */
    size_t plugin_count;
    ztask_label_t *labels;       /* label_count, in the order it sent them
                                    (its facts first; not sorted, as
                                    ztask_require_match_labels wants);
                                    with resources and their strings, one
                                    allocation                           */
    size_t label_count;
    broker_resource_t *resources; /* resource_count (not slots)          */
    size_t resource_count;
    int64_t heard_at;            /* last message from it (monotonic ms)  */
    int64_t sent_at;             /* last message to it                   */
    const char *lost;            /* why it is to be removed, or NULL     */
} broker_worker_t;

typedef struct worker_registry worker_registry_t;

worker_registry_t *worker_registry_new (void);
/* Frees the records; remove them from the scheduler first. */
void worker_registry_destroy (worker_registry_t **self_p);

/* A new record for the REGISTER in (from peer), heard from now; the
   caller adds its sched part to the scheduler. The peer and the instance
   must not be registered already (forget those records first). */
broker_worker_t *worker_registry_add (worker_registry_t *self, const peer_id_t *peer, const ztask_msg_t *in);

/* Forgets and frees a record (already removed from the scheduler). */
void worker_registry_delete (worker_registry_t *self, broker_worker_t *worker);

broker_worker_t *worker_registry_lookup (worker_registry_t *self, const peer_id_t *peer);
/* The worker of a process, whatever its connection; NULL for "". */
broker_worker_t *worker_registry_instance (worker_registry_t *self, const char *instance);

/* First / next worker, in no particular order; the registry must not
   change between the two. */
broker_worker_t *worker_registry_first (worker_registry_t *self);
broker_worker_t *worker_registry_next (worker_registry_t *self);

size_t worker_registry_size (worker_registry_t *self);

#endif
