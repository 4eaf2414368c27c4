/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  history - a task's transitions in the store. See history.h. */
#include "history.h"
#include "proto/ztask_msg.h"

#include <inttypes.h>

/* Copies src (a valid UTF-8 prefix of at most 255 bytes) with every
   control character as a space; returns the bytes written. */
static size_t
s_clean (char *to, const char *src)
{
    char field[ZTASK_STRING_MAX + 1];
    ztask_msg_strcpy (field, src ? src : "");
    size_t n = 0;
    for (const char *c = field; *c; c++)
        to[n++] = (unsigned char) *c < 0x20 || *c == 0x7F ? ' ' : *c;
    return n;
}

size_t
history_entry (char *buffer, int64_t at_ms, const char *event, uint32_t attempt, const char *worker,
               const char *text)
{
    int n = snprintf (buffer, 64, "%" PRId64 "\t%.15s\t%" PRIu32 "\t", at_ms, event, attempt);
    size_t size = n > 0 ? (size_t) n : 0;
    size += s_clean (buffer + size, worker);
    buffer[size++] = '\t';
    size += s_clean (buffer + size, text);
    buffer[size++] = '\n';
    buffer[size] = 0;
    return size;
}

void
history_to_json (const char *stored, json_t *list)
{
    const char *line = stored ? stored : "";
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t length = end ? (size_t) (end - line) : strlen (line);
        const char *field[5];
        size_t size[5], count = 0;
        const char *at = line, *stop = line + length;
        while (count < 5) {
            const char *tab = memchr (at, '\t', (size_t) (stop - at));
            field[count] = at;
            size[count++] = (size_t) ((tab ? tab : stop) - at);
            if (!tab)
                break;
            at = tab + 1;
        }
        if (count == 5) {
            char number[24];
            snprintf (number, sizeof number, "%.*s", (int) (size[0] < 23 ? size[0] : 23), field[0]);
            int64_t at_ms = strtoll (number, NULL, 10);
            snprintf (number, sizeof number, "%.*s", (int) (size[2] < 23 ? size[2] : 23), field[2]);
            long long attempt = strtoll (number, NULL, 10);
            json_array_append_new (
                list, json_pack ("{s:I, s:s%, s:I, s:s%, s:s%}", "at_ms", (json_int_t) at_ms, "event", field[1],
                                 size[1], "attempt", (json_int_t) attempt, "worker", field[3], size[3], "text",
                                 field[4], size[4]));
        }
        line += length + (end ? 1 : 0);
    }
}
