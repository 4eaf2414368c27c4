/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  cli_batch - reads a batch file; prints a batch's status. */
#include "cli/cli_batch.h"
#include "cli/cli_output.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define BATCH_FILE_MAX (1024UL * 1024 * 1024) /* the largest file read */

/* The whole file (NUL-terminated, *size bytes before it), or NULL with
   why in error. */
static char *
s_read_all (const char *path, size_t *size, char *error, size_t error_size)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file) {
        snprintf (error, error_size, "cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    size_t max = 65536, length = 0;
    char *data = (char *) malloc (max);
    while (data) {
        length += fread (data + length, 1, max - length - 1, file);
        if (ferror (file) || feof (file) || length > BATCH_FILE_MAX)
            break;
        if (length == max - 1) {
            char *grown = (char *) realloc (data, max * 2);
            if (!grown) {
                free (data);
                data = NULL;
                break;
            }
            data = grown;
            max *= 2;
        }
    }
    bool failed = !data || ferror (file) || length > BATCH_FILE_MAX;
    if (failed)
        snprintf (error, error_size, "cannot read %s: %s", path,
                  !data ? "out of memory" : length > BATCH_FILE_MAX ? "over 1 GiB" : strerror (errno));
    if (file != stdin)
        fclose (file);
    if (failed) {
        free (data);
        return NULL;
    }
    data[length] = 0;
    *size = length;
    return data;
}

/* A request of defaults, with the fields of entry (a JSON object; NULL:
   none) over them; NULL with why in error. */
static ztask_request_t *
s_request (const cli_batch_defaults_t *defaults, json_t *entry, char *error, size_t error_size)
{
    ztask_request_t *request = ztask_request_new ();
    int priority = defaults->priority;
    json_int_t attempts = defaults->max_attempts, timeout = defaults->timeout_ms;
    const char *needs = defaults->needs, *limit = defaults->limit;
    json_t *require = NULL;
    if (entry) {
        json_t *value = json_object_get (entry, "priority");
        if (json_is_string (value))
            priority = ztask_priority_parse (json_string_value (value));
        else if (json_is_integer (value))
            priority = json_integer_value (value) >= 0 && json_integer_value (value) <= 9
                     ? (int) json_integer_value (value) : -1;
        else if (value)
            priority = -1;
        if (priority < 0) {
            snprintf (error, error_size, "\"priority\" must be 0-9, low, normal or high");
            ztask_request_destroy (&request);
            return NULL;
        }
        json_error_t why;
        if (json_unpack_ex (entry, &why, 0, "{s?I, s?I, s?o, s?s, s?s}", "attempts", &attempts, "timeout",
                            &timeout, "require", &require, "needs", &needs, "limit", &limit)
            != 0) {
            snprintf (error, error_size, "%s", why.text);
            ztask_request_destroy (&request);
            return NULL;
        }
        if (attempts < 0 || attempts > UINT32_MAX || timeout < 0 || timeout > UINT32_MAX
            || (require && !json_is_array (require))) {
            snprintf (error, error_size, "%s", require && !json_is_array (require)
                                                   ? "\"require\" must be an array of strings"
                                                   : "\"attempts\" and \"timeout\" must be 0 to 4294967295");
            ztask_request_destroy (&request);
            return NULL;
        }
    }
    bool ok = request && ztask_request_set_priority (request, priority) == 0
              && ztask_request_set_timeout (request, (uint32_t) timeout) == 0
              && ztask_request_set_attempts (request, (uint32_t) attempts) == 0
              && ztask_request_set_due (request, defaults->due_ms) == 0
              && ztask_request_set_needs (request, needs) == 0 && ztask_request_set_limit (request, limit) == 0
              && ztask_request_set_retry_backoff (request, defaults->retry_min_ms, defaults->retry_max_ms) == 0;
    if (require) {
        size_t i;
        json_t *text;
        json_array_foreach (require, i, text) {
            if (!json_is_string (text)) {
                snprintf (error, error_size, "\"require\" must be an array of strings");
                ztask_request_destroy (&request);
                return NULL;
            }
            ok = ok && ztask_request_add_require (request, json_string_value (text)) == 0;
        }
    }
    else
        for (size_t i = 0; ok && i < defaults->require_count; i++)
            ok = ztask_request_add_require (request, defaults->require[i]) == 0;
    if (!ok) {
        snprintf (error, error_size, "out of memory, or a value the library refused");
        ztask_request_destroy (&request);
    }
    return request;
}

/* One task a line. */
static int
s_read_lines (char *data, ztask_client_t *client, ztask_batch_t *batch, const cli_batch_defaults_t *defaults,
              char *error, size_t error_size)
{
    ztask_request_t *request = s_request (defaults, NULL, error, error_size);
    if (!request)
        return -1;
    size_t number = 0;
    int rc = 0;
    char text[256];
    for (char *line = data; line && *line && rc == 0;) {
        char *end = strchr (line, '\n');
        if (end)
            *end = 0;
        number++;
        size_t length = strlen (line);
        if (length && line[length - 1] == '\r')
            line[--length] = 0;
        if (*line && *line != '#') {
            size_t type_length = strcspn (line, " \t");
            char *payload = line + type_length + (line[type_length] != 0);
            line[type_length] = 0;
            if (ztask_client_batch_add (client, batch, line, payload, strlen (payload), request) != 0) {
                snprintf (error, error_size, "line %zu: %s", number,
                          cli_output_text (ztask_client_error (client), text, sizeof text));
                rc = -1;
            }
        }
        line = end ? end + 1 : NULL;
    }
    ztask_request_destroy (&request);
    return rc;
}

/* A JSON array of tasks. */
static int
s_read_json (const char *data, ztask_client_t *client, ztask_batch_t *batch, const cli_batch_defaults_t *defaults,
             char *error, size_t error_size)
{
    json_error_t why;
    json_t *tasks = json_loads (data, JSON_REJECT_DUPLICATES, &why);
    if (!tasks) {
        snprintf (error, error_size, "line %d, column %d: %s", why.line, why.column, why.text);
        return -1;
    }
    int rc = json_is_array (tasks) ? 0 : -1;
    if (rc)
        snprintf (error, error_size, "a JSON batch is an array of tasks");
    size_t i;
    json_t *entry;
    char text[512];
    json_array_foreach (tasks, i, entry) {
        if (rc)
            break;
        const char *type = NULL, *payload = "";
        if (!json_is_object (entry) || json_unpack (entry, "{s:s, s?s}", "type", &type, "payload", &payload) != 0) {
            snprintf (error, error_size, "task %zu: an object with \"type\" (a string) and maybe \"payload\""
                                         " (a string)", i + 1);
            rc = -1;
            break;
        }
        const char *key;
        json_t *value;
        json_object_foreach (entry, key, value) {
            static const char *const known[] = { "type", "payload", "priority", "attempts", "timeout",
                                                 "require", "needs", "limit", NULL };
            size_t k = 0;
            while (known[k] && strcmp (known[k], key))
                k++;
            if (!known[k]) {
                snprintf (error, error_size, "task %zu: unknown field \"%s\"", i + 1,
                          cli_output_text (key, text, sizeof text));
                rc = -1;
            }
        }
        ztask_request_t *request = rc ? NULL : s_request (defaults, entry, text, sizeof text);
        if (!rc && !request) {
            snprintf (error, error_size, "task %zu: %s", i + 1, text);
            rc = -1;
        }
        if (!rc && ztask_client_batch_add (client, batch, type, payload, strlen (payload), request) != 0) {
            snprintf (error, error_size, "task %zu: %s", i + 1,
                      cli_output_text (ztask_client_error (client), text, sizeof text));
            rc = -1;
        }
        ztask_request_destroy (&request);
    }
    json_decref (tasks);
    return rc;
}

int
cli_batch_read (const char *path, ztask_client_t *client, ztask_batch_t *batch,
                const cli_batch_defaults_t *defaults, char *error, size_t error_size)
{
    size_t size;
    char *data = s_read_all (path, &size, error, error_size);
    if (!data)
        return -1;
    int rc;
    if (strlen (data) != size) {
        snprintf (error, error_size, "%s holds a NUL byte: a batch file is text", path);
        rc = -1;
    }
    else if (data[strspn (data, " \t\r\n")] == '[')
        rc = s_read_json (data, client, batch, defaults, error, error_size);
    else
        rc = s_read_lines (data, client, batch, defaults, error, error_size);
    free (data);
    if (rc == 0 && ztask_batch_size (batch) == 0) {
        snprintf (error, error_size, "%s holds no task", path);
        rc = -1;
    }
    return rc;
}

int
cli_batch_print_status (FILE *out, json_t *status)
{
    json_int_t id, size, ended, purged, created;
    json_t *counts, *then;
    if (json_unpack (status, "{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "batch", &id, "size", &size, "ended", &ended,
                     "purged", &purged, "created_ms", &created, "counts", &counts, "then", &then)
            != 0
        || !json_is_object (counts) || size <= 0)
        return -1;
    fprintf (out, "batch %" JSON_INTEGER_FORMAT ": %" JSON_INTEGER_FORMAT " tasks, %" JSON_INTEGER_FORMAT
                  " ended (%d%%)\n",
             id, size, ended, (int) (ended * 100 / size));
    static const char *const states[] = { "queued", "scheduled", "blocked", "running", "done", "failed",
                                          "cancelled" };
    fputs ("  ", out);
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        json_t *count = json_object_get (counts, states[i]);
        fprintf (out, "%s%s %" JSON_INTEGER_FORMAT, i ? "  " : "", states[i],
                 json_is_integer (count) ? json_integer_value (count) : 0);
    }
    fputs ("\n", out);
    if (purged)
        fprintf (out, "  purged %" JSON_INTEGER_FORMAT " (ended, then deleted)\n", purged);
    json_int_t then_id;
    const char *state;
    char text[64];
    if (json_is_object (then) && json_unpack (then, "{s:I, s:s}", "id", &then_id, "state", &state) == 0)
        fprintf (out, "  then task %" JSON_INTEGER_FORMAT ": %s\n", then_id, cli_output_text (state, text, sizeof text));
    return 0;
}
