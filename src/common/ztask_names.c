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

bool
ztask_label_key_valid (const char *key, char *why, size_t why_size)
{
    char unused[1];
    if (!why) {
        why = unused;
        why_size = sizeof unused;
    }
    if (!key || !*key) {
        snprintf (why, why_size, "it is empty");
        return false;
    }
    if (!(key[0] >= 'a' && key[0] <= 'z')) {
        snprintf (why, why_size, "it must start with a lowercase letter a-z");
        return false;
    }
    size_t size = 0;
    for (; key[size]; size++) {
        char c = key[size];
        if (size == ZTASK_LABEL_KEY_MAX) {
            snprintf (why, why_size, "it is longer than %d bytes", ZTASK_LABEL_KEY_MAX);
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
ztask_schedule_name_valid (const char *name, char *why, size_t why_size)
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
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) {
        snprintf (why, why_size, "it must start with a lowercase letter a-z or a digit 0-9");
        return false;
    }
    for (size_t size = 0; name[size]; size++) {
        char c = name[size];
        if (size == ZTASK_SCHEDULE_NAME_MAX) {
            snprintf (why, why_size, "it is longer than %d bytes", ZTASK_SCHEDULE_NAME_MAX);
            return false;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) {
            snprintf (why, why_size, "byte %zu is not one of a-z, 0-9, '.', '_' or '-'", size + 1);
            return false;
        }
    }
    return true;
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
