/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_task_view - the task a TASK_INFO message describes, as a
    ztask_task_t whose strings and arrays point into the message (and into
    the view's own arrays): no allocation, valid while both live. The one
    place that says which message field is which task field, for
    libztask's tasks (which copy it), its progress reports and ztaskd's
    HTTP API (which turn it into JSON, task_json.h).
    Every string is "" rather than NULL, require has a NULL after its
    entries; parents and parent_states are NULL when it has none. The
    result is not part of the view: result is "" and result_size 0 (the
    bytes are the message's body). A retry policy the broker left out is
    the default one (ztask_retry.h). */
#ifndef ZTASK_TASK_VIEW_H_INCLUDED
#define ZTASK_TASK_VIEW_H_INCLUDED

#include "ztask/client.h"
#include "proto/ztask_msg.h"

typedef struct {
    ztask_task_t task;                         /* the task, pointing into the
                                                  message and the arrays below */
    char *require[ZTASK_REQUIRES_MAX + 1];     /* task.require: NULL-ended    */
    uint64_t parents[ZTASK_PARENTS_MAX];       /* task.parents                */
    int parent_states[ZTASK_PARENTS_MAX];      /* task.parent_states: -1 ended */
} ztask_task_view_t;

/* Fills view from msg (a TASK_INFO) and returns &view->task. */
ztask_task_t *ztask_task_view (ztask_task_view_t *view, ztask_msg_t *msg);

#endif
