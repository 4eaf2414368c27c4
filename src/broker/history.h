/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  history - a task's transitions as the store keeps them: one line per
    entry, appended to the task's row by the UPDATE that records the
    transition (no write of its own):

        at_ms TAB event TAB attempt TAB worker TAB text LF

    Worker and text hold no control character (each becomes a space), so
    the tabs and line ends are the only separators. docs/protocol.md
    (HISTORY) lists the events. */
#ifndef ZTASK_HISTORY_H_INCLUDED
#define ZTASK_HISTORY_H_INCLUDED

#include <czmq.h>
#include <jansson.h>

/* The longest entry history_entry writes, with its NUL. */
#define HISTORY_ENTRY_MAX (24 + 16 + 12 + 2 * 256 + 8)

/* Writes one entry into buffer (HISTORY_ENTRY_MAX bytes); worker and text
   may be NULL. Returns its length. */
size_t history_entry (char *buffer, int64_t at_ms, const char *event, uint32_t attempt, const char *worker,
                      const char *text);

/* The entries of stored (may be NULL or ""), oldest first, appended to
   the JSON array list as {"at_ms", "event", "attempt", "worker", "text"}.
   A line that is not an entry is skipped. */
void history_to_json (const char *stored, json_t *list);

#endif
