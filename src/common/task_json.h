/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task_json - a task as a JSON object: id, type, priority, state,
    attempts, max_attempts, progress {done, total, text}, worker, error,
    created_ms, started_ms, finished_ms, due_ms; retry_backoff {min_ms,
    max_ms} and next_attempt_ms (when a task waiting out a retry backoff
    runs again; 0: it does not wait); what it asks of its
    worker: require (an array of requirements), version (">=1.2"), needs
    ("gpu=1"), limit (each "" when none); waiting: why a queued task
    waits, {code, text}, or null; with_result adds result_size and
    either result (when the bytes are UTF-8 text) or result_base64. The
    document of `ztask status --json` and of ztaskd's GET /api/v1/tasks/ID. */
#ifndef ZTASK_TASK_JSON_H_INCLUDED
#define ZTASK_TASK_JSON_H_INCLUDED

#include "ztask/client.h"

#include <jansson.h>
#include <stdbool.h>

json_t *ztask_task_json (const ztask_task_t *task, bool with_result);

#endif
