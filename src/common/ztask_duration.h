/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_duration - a length of time as people type it: a whole number
    and its unit, "500ms", "30s", "10m", "1h", "7d". The one grammar of
    every duration the CLI, the HTTP API and the broker's config take
    (retry policies' bounds too; docs/scheduling.md, "Durations", lists
    where):

        duration = digits [unit]
        unit     = "ms" | "s" | "m" | "h" | "d"

    Digits are ASCII 0-9, as many as fit (leading zeros are fine); no sign,
    no space, no fraction, no other unit ("1w", "1y", "1H" are refused).
    Whether a bare number is taken (and in which unit) is the caller's:
    an age ("7" could be days or seconds) needs its unit, a request
    timeout counts in milliseconds. */
#ifndef ZTASK_DURATION_H_INCLUDED
#define ZTASK_DURATION_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* The longest age (ztask --since/--before, the HTTP API's since= and
   before=) or delay (ztask submit --in) a client may give: 100 years. */
#define ZTASK_AGE_MAX_MS (UINT64_C (100) * 365 * 86400000)

/* Parses text (NUL-terminated) into *ms. A bare number counts in
   bare_unit_ms, or is refused when bare_unit_ms is 0. Returns 0; -1 when
   text is not a duration (NULL, empty, no digits, a sign, a space, an
   unknown unit, a bare number where none is taken); -2 when it is one
   but longer than max_ms (however many digits it has). *ms is set only
   on 0. */
int ztask_duration_parse (const char *text, uint64_t bare_unit_ms, uint64_t max_ms, uint64_t *ms);

/* The same for the length bytes at text (no NUL needed), e.g. one bound
   of a retry policy's "MIN..MAX". */
int ztask_duration_parse_span (const char *text, size_t length, uint64_t bare_unit_ms, uint64_t max_ms,
                               uint64_t *ms);

/* Writes ms in the largest unit that divides it, the way
   ztask_duration_parse reads it: "1h", "90s", "250ms" ("0ms" for 0). */
void ztask_duration_format (uint64_t ms, char *text, size_t text_size);

#endif
