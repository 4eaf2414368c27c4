/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_retry - retry policies. See ztask_retry.h. */
#include "ztask_retry.h"
#include "ztask_duration.h"

#include <stdio.h>
#include <string.h>

int
ztask_retry_check (uint64_t min_ms, uint64_t max_ms, char *error, size_t error_size)
{
    if (min_ms < 1)
        snprintf (error, error_size, "MIN must be at least 1ms");
    else if (max_ms > ZTASK_RETRY_MAX_MS)
        snprintf (error, error_size, "MAX must be at most 7d");
    else if (min_ms > max_ms)
        snprintf (error, error_size, "MIN must not be more than MAX");
    else
        return 0;
    return -1;
}

/* One bound: digits and a unit (ztask_duration.h), up to end. 0 or -1.
   Past the largest policy, say so rather than refuse the form: any such
   amount is as refused as the next (MAX is at most 7d). */
static int
s_parse_bound (const char *text, const char *end, uint64_t *ms)
{
    int rc = ztask_duration_parse_span (text, (size_t) (end - text), 0, ZTASK_RETRY_MAX_MS, ms);
    if (rc == -2)
        *ms = (uint64_t) ZTASK_RETRY_MAX_MS + 1;
    return rc == -1 ? -1 : 0;
}

int
ztask_retry_parse (const char *text, uint32_t *min_ms, uint32_t *max_ms, char *error, size_t error_size)
{
    const char *dots = text ? strstr (text, "..") : NULL;
    uint64_t min = 0, max = 0;
    if (!dots || s_parse_bound (text, dots, &min) != 0
        || s_parse_bound (dots + 2, dots + 2 + strlen (dots + 2), &max) != 0) {
        snprintf (error, error_size,
                  "give MIN..MAX, each a whole number with its unit (ms, s, m, h or d), e.g. 1s..1h");
        return -1;
    }
    if (ztask_retry_check (min, max, error, error_size) != 0)
        return -1;
    *min_ms = (uint32_t) min;
    *max_ms = (uint32_t) max;
    return 0;
}

void
ztask_retry_format (uint32_t min_ms, uint32_t max_ms, char *text, size_t text_size)
{
    char min[32], max[32];
    ztask_duration_format (min_ms, min, sizeof min);
    ztask_duration_format (max_ms, max, sizeof max);
    snprintf (text, text_size, "%s..%s", min, max);
}

/* splitmix64: a small generator whose every state is valid. */
static uint64_t
s_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t
ztask_retry_delay (uint32_t min_ms, uint32_t max_ms, uint32_t attempt, uint64_t *rng)
{
    if (min_ms < 1)
        min_ms = 1;
    if (max_ms < min_ms)
        max_ms = min_ms;
    if (attempt < 1)
        attempt = 1;
    /* step = min (MAX, MIN * 2^attempt), without overflow: MAX < 2^32. */
    uint64_t step = max_ms;
    if (attempt < 32 && ((uint64_t) min_ms << attempt) < step)
        step = (uint64_t) min_ms << attempt;
    uint64_t half = step / 2;
    uint64_t delay = half + s_random (rng) % (step - half + 1);
    if (delay < min_ms)
        delay = min_ms;
    if (delay > max_ms)
        delay = max_ms;
    return (uint32_t) delay;
}
