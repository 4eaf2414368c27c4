/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_log - the broker's task-lifecycle log lines (ztask_log_task, so
    a JSON line carries task_id, type, worker and attempt):

        task.failed       warning  failed for good (the plugin said so, or
                                   its attempts are used up), with the error
        task.requeued     info     back in the queue for another attempt:
                                   worker gone, timed out, plugin asked to retry
        task.handed_back  info     back in the queue, no attempt used (the
                                   worker drained or had no free slot)
        task.cancelled    info     ended by a client's cancel
        task.started      debug    sent to a worker
        task.done         debug    done

    The broker runs 100,000+ tasks a second: started and done cost one
    test of the level when debug is off, nothing is formatted. */
#ifndef ZTASK_BROKER_LOG_H_INCLUDED
#define ZTASK_BROKER_LOG_H_INCLUDED

#include "common/ztask_log.h"
#include "task.h"

/* task was sent to worker (attempt task->attempts). */
#define broker_log_started(task, worker)                                                             \
    do {                                                                                             \
        if (ztask_log_enabled (ZTASK_LOG_LEVEL_DEBUG))                                               \
            broker_log_started_write ((task), (worker));                                             \
    } while (0)
void broker_log_started_write (const task_t *task, const char *worker);

/* task ended in state (ZTASK_STATE_DONE, _FAILED or _CANCELLED); its last
   attempt ran on worker ("" or NULL: none). */
void broker_log_finished (const task_t *task, const char *worker, int state, const char *error);

/* task goes back to the queue after worker's attempt: why. */
void broker_log_requeued (const task_t *task, const char *worker, const char *why);

/* task goes back to the queue: worker handed it back (worker_left: it left). */
void broker_log_handed_back (const task_t *task, const char *worker, bool worker_left);

#endif
