/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_names - which characters a name may hold. The one rule for every
    name a client, worker or broker sends or stores: task type, idempotency
    key, worker name, plugin name (and the labels and schedule names to
    come). libztask and the CLI check names before they send them, the
    worker its configuration, the broker what it receives.

    A name is 1 to ZTASK_STRING_MAX (255) bytes of well-formed UTF-8 with
    no control character: no C0 (U+0000-U+001F: NUL, tab, newline, ESC...),
    no DEL (U+007F), no C1 (U+0080-U+009F). Anything else goes: spaces,
    punctuation, letters of any script. A name that passes is safe to print
    on a terminal as it is. (The functions of include/ztask/client.h that
    deal in names, ztask_state_name and ztask_priority_parse, live in
    ztask_names.c too.) */
#ifndef ZTASK_NAMES_H_INCLUDED
#define ZTASK_NAMES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

/* True if name (NUL-terminated) is a valid name. Otherwise false and,
   when why is not NULL, why not in why (why_size bytes), to follow "invalid
   task type: " and the like, e.g. "it holds the control character U+001B
   (byte 4)"; the reason never quotes the name itself. */
bool ztask_name_valid (const char *name, char *why, size_t why_size);

/* A label key or resource name (what a worker advertises, docs/routing.md)
   is stricter: a lowercase ASCII letter, then up to 62 more of a-z, 0-9,
   '_', '.' and '-' (so 1 to ZTASK_LABEL_KEY_MAX bytes). True if key is
   one; otherwise false and why not in why, as for ztask_name_valid (the
   reason never quotes the key). A label's value follows ztask_name_valid. */
#define ZTASK_LABEL_KEY_MAX 63
bool ztask_label_key_valid (const char *key, char *why, size_t why_size);

/* A schedule's name (docs/scheduling.md): a lowercase ASCII letter or a
   digit, then up to 63 more of a-z, 0-9, '.', '_' and '-' (so 1 to
   ZTASK_SCHEDULE_NAME_MAX bytes): it goes into each fire's key, into
   file names and URLs. True if name is one; otherwise false and why not
   in why (the reason never quotes the name). */
#define ZTASK_SCHEDULE_NAME_MAX 64
bool ztask_schedule_name_valid (const char *name, char *why, size_t why_size);

/* The same, saying it in the one text every place that refuses a
   schedule name gives (the CLI, libztask, the broker, its config):
   returns 0 if name is one; otherwise -1 and in error "invalid schedule
   name: WHY (a-z or 0-9, then up to 63 of a-z, 0-9, '.', '_', '-')"
   (at most 200 bytes). */
int ztask_schedule_name_check (const char *name, char *error, size_t error_size);

/* A task state by its name, as ztask_state_name writes it: "queued",
   "running", "done", "failed", "cancelled", "scheduled", "blocked"
   (exactly, lower case). Returns the ztask_state_t, or -1 for any other
   text or NULL. What the CLI's --state and the HTTP API's state= take
   (each then narrows it to what its command allows). */
int ztask_state_parse (const char *text);

#endif
