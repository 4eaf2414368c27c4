/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task_json - a task as JSON, the document `ztask status --json` prints
    and ztaskd's HTTP API serves (one code for both). See task_json.h. */
#include "task_json.h"

#include <stdlib.h>
#include <string.h>

/* Base64 (RFC 4648, with padding) of data, or NULL when out of memory. */
static char *
s_base64 (const unsigned char *data, size_t size)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *text = (char *) malloc ((size + 2) / 3 * 4 + 1);
    if (!text)
        return NULL;
    char *at = text;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t bits = (uint32_t) data[i] << 16;
        if (i + 1 < size)
            bits |= (uint32_t) data[i + 1] << 8;
        if (i + 2 < size)
            bits |= data[i + 2];
        *at++ = digits[(bits >> 18) & 63];
        *at++ = digits[(bits >> 12) & 63];
        *at++ = i + 1 < size ? digits[(bits >> 6) & 63] : '=';
        *at++ = i + 2 < size ? digits[bits & 63] : '=';
    }
    *at = 0;
    return text;
}

static json_t *
s_string (const char *text)
{
    json_t *json = json_string (text ? text : "");
    /* Strings from the codec are valid UTF-8; should one not be, show
       that rather than nothing. */
    return json ? json : json_string ("(not UTF-8)");
}

json_t *
ztask_task_json (const ztask_task_t *task, bool with_result)
{
    json_t *json = json_object ();
    json_object_set_new (json, "id", json_integer ((json_int_t) task->id));
    json_object_set_new (json, "type", s_string (task->type));
    json_object_set_new (json, "priority", json_integer (task->priority));
    json_object_set_new (json, "state", json_string (ztask_state_name (task->state)));
    json_object_set_new (json, "attempts", json_integer (task->attempts));
    json_object_set_new (json, "max_attempts", json_integer (task->max_attempts));
    json_object_set_new (json, "progress",
                         json_pack ("{s:I, s:I, s:o}", "done", (json_int_t) task->progress_done,
                                    "total", (json_int_t) task->progress_total, "text",
                                    s_string (task->progress_text)));
    json_object_set_new (json, "worker", s_string (task->worker));
    json_object_set_new (json, "error", s_string (task->error));
    json_object_set_new (json, "created_ms", json_integer (task->created_ms));
    json_object_set_new (json, "started_ms", json_integer (task->started_ms));
    json_object_set_new (json, "finished_ms", json_integer (task->finished_ms));
    json_object_set_new (json, "due_ms", json_integer (task->due_ms));
    /* Its retry policy, and when a task waiting out a backoff runs again
       (0: it does not wait; docs/scheduling.md). */
    json_object_set_new (json, "retry_backoff",
                         json_pack ("{s:I, s:I}", "min_ms", (json_int_t) task->retry_min_ms, "max_ms",
                                    (json_int_t) task->retry_max_ms));
    json_object_set_new (json, "next_attempt_ms", json_integer (task->next_attempt_ms));
    /* What it asks of its worker (docs/routing.md), and why it waits. */
    json_t *require = json_array ();
    for (size_t i = 0; task->require && i < task->require_count; i++)
        json_array_append_new (require, s_string (task->require[i]));
    json_object_set_new (json, "require", require);
    json_object_set_new (json, "version", s_string (task->version));
    json_object_set_new (json, "needs", s_string (task->needs));
    json_object_set_new (json, "limit", s_string (task->limit));
    if (task->waiting && task->waiting[0])
        json_object_set_new (json, "waiting",
                             json_pack ("{s:o, s:o}", "code", s_string (task->waiting), "text",
                                        s_string (task->waiting_text)));
    else
        json_object_set_new (json, "waiting", json_null ());
    /* Dependencies: its parents and, while it is blocked, the ones it
       still waits for (those not ended). */
    json_t *parents = json_array (), *waiting_for = json_array ();
    for (size_t i = 0; task->parents && i < task->parent_count; i++) {
        int state = task->parent_states ? task->parent_states[i] : -1;
        json_array_append_new (parents, json_pack ("{s:I, s:s}", "id", (json_int_t) task->parents[i], "state",
                                                   state < 0 ? "ended" : ztask_state_name ((ztask_state_t) state)));
        if (task->state == ZTASK_STATE_BLOCKED && state >= 0 && state != ZTASK_STATE_DONE
            && state != ZTASK_STATE_FAILED && state != ZTASK_STATE_CANCELLED)
            json_array_append_new (waiting_for, json_integer ((json_int_t) task->parents[i]));
    }
    json_object_set_new (json, "parents", parents);
    json_object_set_new (json, "after_any", json_boolean (task->after_any));
    json_object_set_new (json, "waiting_for", waiting_for);
    if (with_result) {
        json_object_set_new (json, "result_size", json_integer ((json_int_t) task->result_size));
        /* json_stringn refuses bytes that are not UTF-8. */
        json_t *text = json_stringn ((const char *) task->result, task->result_size);
        if (text)
            json_object_set_new (json, "result", text);
        else {
            char *base64 = s_base64 ((const unsigned char *) task->result, task->result_size);
            if (base64)
                json_object_set_new (json, "result_base64", json_string (base64));
            free (base64);
        }
    }
    return json;
}

