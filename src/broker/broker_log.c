/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_log - the broker's task-lifecycle log lines. See broker_log.h. */
#include "broker_log.h"
#include "scheduler.h"

#include "ztask/client.h"

#include <inttypes.h>

void
broker_log_started_write (const task_t *task, const char *worker)
{
    ztask_log_task (ZTASK_LOG_LEVEL_DEBUG, "task.started", task->id, task->type->name, worker, task->attempts,
                    "broker: task %" PRIu64 " (%s) attempt %u started on %s", task->id, task->type->name,
                    task->attempts, worker);
}

void
broker_log_finished (const task_t *task, const char *worker, int state, const char *error)
{
    if (state == ZTASK_STATE_DONE)
        ztask_log_task (ZTASK_LOG_LEVEL_DEBUG, "task.done", task->id, task->type->name, worker, task->attempts,
                        "broker: task %" PRIu64 " (%s) attempt %u done on %s", task->id, task->type->name,
                        task->attempts, worker);
    else if (state == ZTASK_STATE_CANCELLED)
        ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.cancelled", task->id, task->type->name, worker,
                        task->attempts, "broker: task %" PRIu64 " (%s) cancelled: %s", task->id,
                        task->type->name, error ? error : "cancelled");
    else
        ztask_log_task (ZTASK_LOG_LEVEL_WARNING, "task.failed", task->id, task->type->name, worker,
                        task->attempts, "broker: task %" PRIu64 " (%s) failed after attempt %u of %u: %s",
                        task->id, task->type->name, task->attempts, task->max_attempts,
                        error && *error ? error : "failed");
}

void
broker_log_requeued (const task_t *task, const char *worker, const char *why)
{
    ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.requeued", task->id, task->type->name, worker, task->attempts,
                    "broker: task %" PRIu64 " (%s) requeued after attempt %u of %u: %s", task->id,
                    task->type->name, task->attempts, task->max_attempts, why);
}

void
broker_log_handed_back (const task_t *task, const char *worker, bool worker_left)
{
    ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.handed_back", task->id, task->type->name, worker,
                    task->attempts, "broker: task %" PRIu64 " (%s) handed back by %s%s: requeued", task->id,
                    task->type->name, worker && *worker ? worker : "its worker",
                    worker_left ? " (leaving)" : "");
}
