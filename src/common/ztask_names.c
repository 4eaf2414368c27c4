/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_names - which characters a name may hold (ztask_names.h), and
    the names of task states and priority levels (include/ztask/client.h). */
#include "ztask_names.h"
#include "common/ztask_utf8.h"
#include "proto/ztask_msg.h"
#include "ztask/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
ztask_name_valid (const char *name, char *why, size_t why_size)
{
    char unused[1];
    if (!why) {
        why = unused;
        why_size = sizeof unused;
    }
    if (!name || !*name) {
        snprintf (why, why_size, "it is empty");
        return false;
    }
    size_t size = strnlen (name, ZTASK_STRING_MAX + 1);
    if (size > ZTASK_STRING_MAX) {
        snprintf (why, why_size, "it is longer than %d bytes", ZTASK_STRING_MAX);
        return false;
    }
    for (size_t at = 0; at < size;) {
        uint32_t cp;
        size_t length = ztask_utf8_next (name + at, size - at, &cp);
        if (length == 0) {
            snprintf (why, why_size, "it is not valid UTF-8 (byte %zu)", at + 1);
            return false;
        }
        if (ztask_utf8_is_control (cp)) {
            snprintf (why, why_size, "it holds the control character U+%04X (byte %zu); names may not hold "
                      "control characters (U+0000-U+001F, U+007F-U+009F)", (unsigned) cp, at + 1);
            return false;
        }
        at += length;
    }
    return true;
}

/* The rule label keys and schedule names share: an ASCII word of a-z,
   0-9, '_', '.' and '-', 1 to max bytes, starting with a lowercase letter
   (or, if digit_first, a digit). */
static bool
s_word_valid (const char *word, bool digit_first, size_t max, char *why, size_t why_size)
{
    char unused[1];
    if (!why) {
        why = unused;
        why_size = sizeof unused;
    }
    if (!word || !*word) {
        snprintf (why, why_size, "it is empty");
        return false;
    }
    if (!((word[0] >= 'a' && word[0] <= 'z') || (digit_first && word[0] >= '0' && word[0] <= '9'))) {
        snprintf (why, why_size, digit_first ? "it must start with a lowercase letter a-z or a digit 0-9"
                                             : "it must start with a lowercase letter a-z");
        return false;
    }
    for (size_t size = 0; word[size]; size++) {
        char c = word[size];
        if (size == max) {
            snprintf (why, why_size, "it is longer than %zu bytes", max);
            return false;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) {
            snprintf (why, why_size, "byte %zu is not one of a-z, 0-9, '_', '.' or '-'", size + 1);
            return false;
        }
    }
    return true;
}

bool
ztask_label_key_valid (const char *key, char *why, size_t why_size)
{
    return s_word_valid (key, false, ZTASK_LABEL_KEY_MAX, why, why_size);
}

bool
ztask_schedule_name_valid (const char *name, char *why, size_t why_size)
{
    return s_word_valid (name, true, ZTASK_SCHEDULE_NAME_MAX, why, why_size);
}

int
ztask_schedule_name_check (const char *name, char *error, size_t error_size)
{
    char why[120];
    if (ztask_schedule_name_valid (name, why, sizeof why))
        return 0;
    snprintf (error, error_size, "invalid schedule name: %s (a-z or 0-9, then up to 63 of a-z, 0-9, '.', '_', '-')",
              why);
    return -1;
}

const char *
ztask_state_name (ztask_state_t state)
{
    switch (state) {
    case ZTASK_STATE_QUEUED: return "queued";
    case ZTASK_STATE_RUNNING: return "running";
    case ZTASK_STATE_DONE: return "done";
    case ZTASK_STATE_FAILED: return "failed";
    case ZTASK_STATE_CANCELLED: return "cancelled";
    case ZTASK_STATE_SCHEDULED: return "scheduled";
    case ZTASK_STATE_BLOCKED: return "blocked";
    default: return "unknown";
    }
}

int
ztask_state_parse (const char *text)
{
    for (int state = ZTASK_STATE_QUEUED; text && state <= ZTASK_STATE_BLOCKED; state++)
        if (strcmp (text, ztask_state_name ((ztask_state_t) state)) == 0)
            return state;
    return -1;
}

int
ztask_priority_parse (const char *text)
{
    if (!text)
        return -1;
    if (strcmp (text, "low") == 0)
        return ZTASK_PRIORITY_LOW;
    if (strcmp (text, "normal") == 0)
        return ZTASK_PRIORITY_NORMAL;
    if (strcmp (text, "high") == 0)
        return ZTASK_PRIORITY_HIGH;
    if (text[0] >= '0' && text[0] <= '9' && text[1] == 0)
        return text[0] - '0';
    return -1;
}
