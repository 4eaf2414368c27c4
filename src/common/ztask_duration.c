/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_duration - durations such as "10m". See ztask_duration.h. */
#include "ztask_duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The units, smallest first. */
static const struct {
    const char *suffix;
    uint64_t ms;
} s_units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
#define UNIT_COUNT (sizeof s_units / sizeof s_units[0])

int
ztask_duration_parse_span (const char *text, size_t length, uint64_t bare_unit_ms, uint64_t max_ms,
                           uint64_t *ms)
{
    if (!text)
        return -1;
    size_t digits = 0;
    while (digits < length && text[digits] >= '0' && text[digits] <= '9')
        digits++;
    if (digits == 0)
        return -1;
    uint64_t unit_ms = bare_unit_ms;
    if (digits < length) {
        size_t i = 0;
        while (i < UNIT_COUNT
               && !(strlen (s_units[i].suffix) == length - digits
                    && memcmp (text + digits, s_units[i].suffix, length - digits) == 0))
            i++;
        if (i == UNIT_COUNT)
            return -1;
        unit_ms = s_units[i].ms;
    }
    if (unit_ms == 0)
        return -1; /* a bare number, and none is taken */
    /* Too long once the count passes max_ms / unit_ms: say so, however
       many digits follow, rather than wrap. */
    uint64_t count = 0, most = max_ms / unit_ms;
    for (size_t d = 0; d < digits; d++) {
        unsigned digit = (unsigned) (text[d] - '0');
        if (digit > most || count > (most - digit) / 10)
            return -2;
        count = count * 10 + digit;
    }
    *ms = count * unit_ms;
    return 0;
}

int
ztask_duration_parse (const char *text, uint64_t bare_unit_ms, uint64_t max_ms, uint64_t *ms)
{
    return ztask_duration_parse_span (text, text ? strlen (text) : 0, bare_unit_ms, max_ms, ms);
}

void
ztask_duration_format (uint64_t ms, char *text, size_t text_size)
{
    size_t i = UNIT_COUNT - 1;
    while (i > 0 && (ms == 0 || ms % s_units[i].ms != 0))
        i--;
    snprintf (text, text_size, "%" PRIu64 "%s", ms / s_units[i].ms, s_units[i].suffix);
}
