/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_task_view - a TASK_INFO message as a ztask_task_t. See
    ztask_task_view.h. */
#include "ztask_task_view.h"
#include "common/ztask_retry.h"

#include <string.h>

ztask_task_t *
ztask_task_view (ztask_task_view_t *view, ztask_msg_t *msg)
{
    static char empty[1] = "";
    memset (view, 0, sizeof *view);
    ztask_task_t *task = &view->task;
    task->id = msg->task_id;
    task->type = msg->type;
    task->priority = msg->priority;
    task->state = (ztask_state_t) msg->state;
    task->attempts = msg->attempt;
    task->max_attempts = msg->max_attempts;
    task->progress_done = msg->progress_done;
    task->progress_total = msg->progress_total;
    task->progress_text = msg->text;
    task->worker = msg->worker;
    task->error = msg->error;
    task->result = empty;
    task->result_size = 0;
    task->created_ms = msg->created_ms;
    task->started_ms = msg->started_ms;
    task->finished_ms = msg->finished_ms;
    task->due_ms = msg->due_ms;
    /* The broker leaves the default policy out (an older one has only it). */
    task->retry_min_ms = msg->retry_min_ms ? msg->retry_min_ms : ZTASK_RETRY_DEFAULT_MIN_MS;
    task->retry_max_ms = msg->retry_min_ms ? msg->retry_max_ms : ZTASK_RETRY_DEFAULT_MAX_MS;
    task->next_attempt_ms = msg->next_attempt_ms;
    /* The codec holds the counts to their limits; so does the view. */
    size_t count = msg->require_count < ZTASK_REQUIRES_MAX ? msg->require_count : ZTASK_REQUIRES_MAX;
    for (size_t i = 0; i < count; i++)
        view->require[i] = msg->require[i];
    task->require = view->require;
    task->require_count = count;
    task->version = msg->version;
    task->needs = msg->needs;
    task->limit = msg->limit_name;
    task->waiting = msg->waiting;
    task->waiting_text = msg->waiting_text;
    count = msg->parent_count < ZTASK_PARENTS_MAX ? msg->parent_count : ZTASK_PARENTS_MAX;
    for (size_t i = 0; i < count; i++) {
        view->parents[i] = msg->parents[i].task_id;
        view->parent_states[i] = msg->parents[i].state == ZTASK_PARENT_ENDED ? -1 : msg->parents[i].state;
    }
    if (count) {
        task->parents = view->parents;
        task->parent_states = view->parent_states;
        task->parent_count = count;
    }
    task->after_any = msg->after_any;
    return task;
}
