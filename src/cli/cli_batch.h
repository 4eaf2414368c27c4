/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  cli_batch - the file of `ztask batch submit FILE` (docs/scheduling.md),
    read into a ztask_batch_t, and the batch's status as text.

    A file is one task a line, "TYPE PAYLOAD" (the payload is the rest of
    the line after one space or tab, and may be empty; empty lines and
    lines that start with '#' are skipped), or, when its first character
    that is not white space is '[', a JSON array of objects: {"type",
    "payload" (a string; ""), "priority" (0-9 or a name), "attempts",
    "timeout" (ms), "require" (an array of strings), "needs", "limit"},
    each field but type overriding the command line's. */
#ifndef CLI_BATCH_H_INCLUDED
#define CLI_BATCH_H_INCLUDED

#include "ztask/client.h"

#include <jansson.h>
#include <stdio.h>

/* What the command line says of every task of the batch. */
typedef struct {
    int priority;
    uint32_t timeout_ms, max_attempts;
    int64_t due_ms;                  /* 0: now                            */
    const char *const *require;      /* require_count texts               */
    size_t require_count;
    const char *needs, *limit;       /* NULL: none                        */
    uint32_t retry_min_ms, retry_max_ms;
} cli_batch_defaults_t;

/* Adds the tasks of the file at path ("-": standard input) to batch.
   Returns 0, or -1 with why (naming the line or the entry) in error: a
   file that cannot be read, a line or an entry that is not a task, or
   one the library refused. */
int cli_batch_read (const char *path, ztask_client_t *client, ztask_batch_t *batch,
                    const cli_batch_defaults_t *defaults, char *error, size_t error_size);

/* Prints batch status's JSON (ztask_client_batch_status) for people.
   Returns 0, or -1 when it is not in the form this ztask knows. */
int cli_batch_print_status (FILE *out, json_t *status);

#endif
