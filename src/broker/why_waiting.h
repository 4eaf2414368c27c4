/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  why_waiting - says why a queued task waits, in words and as a code
    (`ztask status ID`, TASK_INFO, the API): "no connected worker has
    plugin render>=2.0", "2 workers match zone=eu-1 but none serves
    priority high", "needs gpu=4; the largest matching worker has 2",
    "limit stripe-api is full: 2 of 2". Cost: the connected workers once;
    asked for one task at a time, never on the dispatch path. */
#ifndef ZTASK_WHY_WAITING_H_INCLUDED
#define ZTASK_WHY_WAITING_H_INCLUDED

#include "scheduler.h"
#include "worker_registry.h"

typedef struct {
    /* "paused", "no_plugin", "no_version", "no_priority", "requirement",
       "resources", "limit", "reserved", "busy" (every worker that could
       run it is busy with other work), or "" when it is not queued */
    const char *code;
    char text[256];
} why_waiting_t;

void why_waiting (scheduler_t *sched, worker_registry_t *workers, const task_t *task, why_waiting_t *why);

#endif
