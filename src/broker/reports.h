/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  reports - the documents that `ztask stats` and `ztask workers` print,
    built from the broker's live state (JSON, see docs/protocol.md). */
#ifndef ZTASK_REPORTS_H_INCLUDED
#define ZTASK_REPORTS_H_INCLUDED

#include "scheduler.h"
#include "store.h"
#include "worker_registry.h"

#include <jansson.h>

/* The broker's own totals since it started. */
typedef struct {
    uint64_t done, failed;       /* tasks ended done / not done          */
    uint64_t malformed;          /* messages dropped as malformed        */
    struct {
        uint64_t too_large, queue_full, role, version, not_registered;
    } refused;                   /* requests answered with an ERROR      */
} broker_counters_t;

/* The stats document; retrying: tasks held back (backoff, or for their
   worker after a restart); scheduled: delayed tasks not yet due. */
json_t *report_stats (scheduler_t *scheduler, worker_registry_t *workers, size_t retrying, size_t scheduled,
                      const broker_counters_t *counters);

/* The workers document: each worker, its plugins, levels, slots, tasks,
   labels and resources (slots among them). */
json_t *report_workers (worker_registry_t *workers);

/* store_row_fn for ztask list: appends the row to the JSON array arg. */
void report_list_row (const store_row_t *row, void *arg);

#endif
