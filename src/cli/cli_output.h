/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  cli_output - how the ztask command shows things: tasks, results,
    broker statistics and workers as text for people or as JSON (jansson),
    and a task's progress line on a terminal.

    Text that came from the wire (task types, keys, worker names and hosts,
    plugin names and versions, progress and error texts, the broker's error
    messages) is anyone's: a client, a worker, a plugin, an older broker's
    store. It never reaches the terminal as it is: every such string goes
    through cli_output_clean (text for people) or cli_output_json (JSON,
    where it is escaped), so that no control character (an ESC that starts
    a terminal escape sequence, a newline that fakes a line) gets out. */
#ifndef CLI_OUTPUT_H_INCLUDED
#define CLI_OUTPUT_H_INCLUDED

#include "ztask/client.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* The one sanitiser: data[0..length) made safe to print, in buffer (size
   bytes: at most size - 1 of them and a NUL, never cutting a character
   in two). Every control character (C0 U+0000-U+001F, DEL U+007F, C1
   U+0080-U+009F) and every byte that is not part of well-formed UTF-8
   becomes one '?'; with lines, newline and tab stay as they are. Returns
   buffer. */
char *cli_output_clean (const void *data, size_t length, bool lines, char *buffer, size_t size);

/* cli_output_clean of a string (NULL: ""), without lines. */
const char *cli_output_text (const char *text, char *buffer, size_t size);

/* A task as a JSON object (src/common/task_json.h): id, type, priority,
   state, attempts, max_attempts, progress {done, total, text}, worker,
   error, created_ms, started_ms, finished_ms, due_ms, require, version,
   needs, limit, waiting {code, text} or null; with_result adds
   result_size and either result (when the bytes are UTF-8 text) or
   result_base64. */
json_t *cli_output_task_json (const ztask_task_t *task, bool with_result);

/* Prints json indented by two spaces and a newline. Strings come out
   exact, in JSON's escapes: jansson escapes C0 controls (\u001b, \n),
   and this escapes DEL and C1 controls too (\u007f, \u009b), which a
   terminal could otherwise act on. Returns 0 or -1. */
int cli_output_json (FILE *out, const json_t *json);

/* Prints a task for people: state, type, priority, attempts, what it
   asks of its worker (requirements, version, needs, limit), progress,
   worker, times, error, where the result is, and why a queued task waits
   (every text cleaned). */
void cli_output_task (FILE *out, const ztask_task_t *task);

/* Writes the result bytes. Not to a terminal (a file, a pipe): exactly as
   they are. To a terminal: cleaned with lines (newlines and tabs stay,
   other controls and bytes that are not UTF-8 show as '?', as ls shows
   odd file names), and a newline added when the result does not end with
   one. Returns 0 or -1. */
int cli_output_result (FILE *out, const ztask_task_t *task);

/* Prints the broker's stats / workers JSON (see docs/protocol.md) as
   tables; the stats' "broker" object (its name, role, term and endpoint),
   when there is one, as a first line "broker:   b1 (leader, term 7) at
   tcp://...". Returns 0, or -1 if the document does not have the expected
   shape. */
int cli_output_stats (FILE *out, const json_t *stats);
int cli_output_workers (FILE *out, const json_t *workers);

/* Prints the broker's task list JSON ({"tasks": [...]}, see
   docs/protocol.md, LIST) as a table: ID TYPE PRIORITY STATE ATTEMPTS
   WORKER ERROR, in the broker's order (newest first). state names the
   state the list was limited to (for "no failed tasks"), or is NULL.
   Returns 0, or -1 if the document does not have the expected shape. */
int cli_output_list (FILE *out, const json_t *list, const char *state);

/* The broker's schedule list ({"schedules": [...]}, docs/scheduling.md)
   as a table: NAME CRON TZ TYPE NEXT (UTC) STATE; and one schedule, with
   its next fire times in its zone and in UTC. 0, or -1 if the document
   does not have the expected shape. */
int cli_output_schedules (FILE *out, const json_t *list);
int cli_output_schedule (FILE *out, const json_t *schedule);

/* A HISTORY document as a table (time, event, attempt, worker, text).
   Returns 0, or -1 if it is not one. */
int cli_output_history (FILE *out, const json_t *history);

/* Priority levels as a short list: [0..9] "0-9", [9] "9", [0,5,9] "0,5,9",
   [0,1,2,7] "0-2,7". */
void cli_output_levels (const json_t *levels, char *buffer, size_t size);

/* A task's progress on one terminal line, redrawn in place:
       [#####     ]  50% sleeping (250/500)  */
typedef struct {
    FILE *out;     /* the terminal (stderr)                         */
    size_t shown;  /* columns of the line now on screen; 0: none    */
} cli_progress_t;

void cli_progress_init (cli_progress_t *self, FILE *out);
void cli_progress_show (cli_progress_t *self, const ztask_task_t *task);
/* Erases the line, if one is shown. */
void cli_progress_clear (cli_progress_t *self);

#endif
