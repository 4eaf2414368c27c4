/*  cli_output - how the ztask command shows things: tasks, results,
    broker statistics and workers as text for people or as JSON (jansson),
    and a task's progress line on a terminal. */
#ifndef CLI_OUTPUT_H_INCLUDED
#define CLI_OUTPUT_H_INCLUDED

#include "ztask/client.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* A task as a JSON object: id, type, priority, state, attempts,
   max_attempts, progress {done, total, text}, worker, error, created_ms,
   started_ms, finished_ms; with_result adds result_size and either result
   (when the bytes are UTF-8 text) or result_base64. */
json_t *cli_output_task_json (const ztask_task_t *task, bool with_result);

/* Prints json indented by two spaces and a newline. Returns 0 or -1. */
int cli_output_json (FILE *out, const json_t *json);

/* Prints a task for people: state, type, priority, attempts, progress,
   worker, times, error, and how large the result is. */
void cli_output_task (FILE *out, const ztask_task_t *task);

/* Writes the result bytes as they are, adding a newline only when out is
   a terminal and the result does not end with one. Returns 0 or -1. */
int cli_output_result (FILE *out, const ztask_task_t *task);

/* Prints the broker's stats / workers JSON (see docs/protocol.md) as
   tables. Returns 0, or -1 if the document does not have the expected
   shape. */
int cli_output_stats (FILE *out, const json_t *stats);
int cli_output_workers (FILE *out, const json_t *workers);

/* Prints the broker's task list JSON ({"tasks": [...]}, see
   docs/protocol.md, LIST) as a table: ID TYPE PRIORITY STATE ATTEMPTS
   WORKER ERROR, in the broker's order (newest first). state names the
   state the list was limited to (for "no failed tasks"), or is NULL.
   Returns 0, or -1 if the document does not have the expected shape. */
int cli_output_list (FILE *out, const json_t *list, const char *state);

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
