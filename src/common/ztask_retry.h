/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_retry - a retry policy: how long a task waits between a failed
    attempt and the next one (docs/scheduling.md, "Retry policies").

    A policy is MIN..MAX ("1s..1h"). After attempt n (n >= 1) failed, the
    next one waits

        step  = min (MAX, MIN * 2^n)
        delay = max (MIN, step / 2 + random (0 .. step / 2))

    that is, "equal jitter": at least the classic exponential step
    min (MAX / 2, MIN * 2^(n-1)) and at most twice that, never less than
    MIN and never more than MAX. Equal rather than full jitter (random
    (0 .. step)): full jitter may retry at once, which breaks MIN's promise
    (a task that kills workers, or a downstream service, gets MIN of rest);
    equal jitter still spreads the retries of tasks that failed together
    over half the step, also once the step has reached MAX.

    The same code parses the policy for the CLI, the broker's config and
    checks what a SUBMIT carries; the broker computes the delays. */
#ifndef ZTASK_RETRY_H_INCLUDED
#define ZTASK_RETRY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default policy: a task that names none and whose type has none. */
#define ZTASK_RETRY_DEFAULT_MIN_MS 250
#define ZTASK_RETRY_DEFAULT_MAX_MS 10000
/* The longest MAX a policy may have: 7 days. */
#define ZTASK_RETRY_MAX_MS (7U * 24 * 3600 * 1000)
/* The longest wait a plugin may ask with ztask_retry_after (longer is
   cut to this): 24 hours. */
#define ZTASK_RETRY_AFTER_MAX_MS (24U * 3600 * 1000)

/* Checks min_ms..max_ms: 1 <= min <= max <= ZTASK_RETRY_MAX_MS. Returns
   0, or -1 with why (error_size bytes) in words. */
int ztask_retry_check (uint64_t min_ms, uint64_t max_ms, char *error, size_t error_size);

/* Parses "MIN..MAX", each a whole number with its unit (ms, s, m, h, d):
   "1s..1h", "250ms..10s". Returns 0 with the bounds, or -1 with why in
   error (the policy is checked as ztask_retry_check does). */
int ztask_retry_parse (const char *text, uint32_t *min_ms, uint32_t *max_ms, char *error, size_t error_size);

/* Writes min_ms..max_ms the way ztask_retry_parse reads it, each in the
   largest unit that divides it ("1s..1h"). */
void ztask_retry_format (uint32_t min_ms, uint32_t max_ms, char *text, size_t text_size);

/* The wait before the attempt after attempt number attempt (>= 1; 0 is
   taken as 1) failed, by the formula above; rng is the state of the
   random numbers (any value; the same state gives the same waits). */
uint32_t ztask_retry_delay (uint32_t min_ms, uint32_t max_ms, uint32_t attempt, uint64_t *rng);

#endif
