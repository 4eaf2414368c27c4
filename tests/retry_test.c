/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  retry_test - retry policies (src/common/ztask_retry.c): parsing and
    its refusals, and the backoff: within [MIN, MAX], its floor rising
    with the attempt up to the cap, its jitter within the step, the same
    waits from the same seed. */
#include "common/ztask_retry.h"
#include "tap.h"

#include <inttypes.h>

static int
s_parses (const char *text, uint32_t min, uint32_t max)
{
    uint32_t a = 0, b = 0;
    char error[256] = "";
    return ztask_retry_parse (text, &a, &b, error, sizeof error) == 0 && a == min && b == max;
}

static int
s_refused (const char *text, const char *why)
{
    uint32_t a = 0, b = 0;
    char error[256] = "";
    int rc = ztask_retry_parse (text, &a, &b, error, sizeof error);
    return rc == -1 && strstr (error, why) != NULL;
}

int
main (void)
{
    TAP_OK (s_parses ("1s..1h", 1000, 3600000), "1s..1h");
    TAP_OK (s_parses ("250ms..10s", 250, 10000), "250ms..10s");
    TAP_OK (s_parses ("5m..5m", 300000, 300000), "MIN equal to MAX");
    TAP_OK (s_parses ("1ms..7d", 1, 7U * 86400000), "the widest policy");
    TAP_OK (s_refused ("1h..1s", "MIN must not be more than MAX"), "MIN over MAX refused");
    TAP_OK (s_refused ("0s..1s", "at least 1ms"), "a zero MIN refused");
    TAP_OK (s_refused ("1s..8d", "at most 7d"), "MAX over 7 days refused");
    TAP_OK (s_refused ("1s", "MIN..MAX"), "no range refused");
    TAP_OK (s_refused ("1..10", "unit"), "no unit refused");
    TAP_OK (s_refused ("1s..1w", "unit"), "an unknown unit refused");
    TAP_OK (s_refused ("-1s..1h", "MIN..MAX"), "a sign refused");
    TAP_OK (s_refused ("1s...1h", "MIN..MAX"), "three dots refused");
    TAP_OK (s_refused ("1s..1h ", "MIN..MAX"), "a trailing space refused");
    TAP_OK (s_refused ("99999999999999s..1h", "MIN must not be more than MAX"),
            "a huge number refused, as the MIN over 7d it is");
    /* 213503982335 days in ms wraps a uint64 to about 9.6 hours. */
    TAP_OK (s_refused ("1ms..213503982335d", "at most 7d"), "a MAX whose ms overflow is refused, not wrapped");
    TAP_OK (s_refused ("213503982335d..1h", "MIN must not be more than MAX"), "  likewise a MIN");
    TAP_OK (s_refused ("1ms..999999999999d", "at most 7d"), "  12 digits of days");
    TAP_OK (s_refused ("", "MIN..MAX"), "empty refused");
    TAP_OK (s_refused (NULL, "MIN..MAX"), "NULL refused");

    char text[64];
    ztask_retry_format (1000, 3600000, text, sizeof text);
    TAP_OK (strcmp (text, "1s..1h") == 0, "formatted as %s", text);
    ztask_retry_format (250, 10000, text, sizeof text);
    TAP_OK (strcmp (text, "250ms..10s") == 0, "formatted as %s", text);
    ztask_retry_format (1500, 86400000, text, sizeof text);
    TAP_OK (strcmp (text, "1500ms..1d") == 0, "formatted as %s", text);

    /* Bounds and floor, over many seeds and attempts. */
    const uint32_t policies[][2] = { { 1000, 3600000 }, { 250, 10000 }, { 1, 1 }, { 5000, 6000 },
                                     { 1, ZTASK_RETRY_MAX_MS }, { 7, 7000000 } };
    int in_range = 1, floor_holds = 1, cap_holds = 1;
    for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
        uint32_t min = policies[p][0], max = policies[p][1];
        for (uint64_t seed = 0; seed < 200; seed++) {
            uint64_t rng = seed * 7919;
            for (uint32_t attempt = 0; attempt < 80; attempt++) {
                uint32_t delay = ztask_retry_delay (min, max, attempt, &rng);
                if (delay < min || delay > max)
                    in_range = 0;
                /* at least the classic step min (MAX/2, MIN*2^(n-1)), at most twice it */
                uint32_t n = attempt ? attempt : 1;
                uint64_t step = n < 40 && ((uint64_t) min << n) < max ? (uint64_t) min << n : max;
                if (delay < step / 2 && delay != min)
                    floor_holds = 0;
                if (delay > step)
                    cap_holds = 0;
            }
        }
    }
    TAP_OK (in_range, "every delay is within [MIN, MAX]");
    TAP_OK (floor_holds, "every delay is at least half the step (the exponential floor)");
    TAP_OK (cap_holds, "every delay is at most the step min (MAX, MIN * 2^n)");

    /* The first retry of 1s..1h: [1s, 2s]; the floor rises monotonely to
       MAX/2 and stays there. */
    uint64_t rng = 42;
    uint32_t lowest[20], highest[20];
    for (int n = 1; n < 20; n++) {
        lowest[n] = UINT32_MAX;
        highest[n] = 0;
        for (int i = 0; i < 2000; i++) {
            uint32_t d = ztask_retry_delay (1000, 3600000, (uint32_t) n, &rng);
            if (d < lowest[n])
                lowest[n] = d;
            if (d > highest[n])
                highest[n] = d;
        }
    }
    TAP_OK (lowest[1] >= 1000 && highest[1] <= 2000, "1s..1h: first retry in [1s, 2s] (%u..%u)", lowest[1],
            highest[1]);
    TAP_OK (lowest[2] >= 2000 && highest[2] <= 4000, "1s..1h: second retry in [2s, 4s] (%u..%u)", lowest[2],
            highest[2]);
    /* the floor min (MAX/2, MIN * 2^(n-1)) doubles, then stays at MAX/2 */
    int monotone = 1;
    for (int n = 1; n < 20; n++) {
        uint32_t floor = n < 12 ? 1000U << (n - 1) : 1800000U;
        if (lowest[n] < floor || (n > 1 && highest[n] < lowest[n - 1]))
            monotone = 0;
    }
    TAP_OK (monotone, "the floor rises with the attempt, up to MAX/2");
    TAP_OK (lowest[19] >= 1800000 && highest[19] <= 3600000, "capped: [MAX/2, MAX] (%u..%u)", lowest[19],
            highest[19]);
    TAP_OK (highest[1] - lowest[1] > 500, "there is jitter: first retries spread over %u ms",
            highest[1] - lowest[1]);

    /* Jitter is a uniform spread: both halves of the range are hit. */
    int low_half = 0, high_half = 0;
    rng = 7;
    for (int i = 0; i < 1000; i++) {
        uint32_t d = ztask_retry_delay (1000, 3600000, 1, &rng);
        if (d < 1500)
            low_half++;
        else
            high_half++;
    }
    TAP_OK (low_half > 350 && high_half > 350, "jitter spread: %d below 1.5s, %d above", low_half, high_half);

    /* Deterministic: the same seed gives the same waits. */
    uint64_t a = 12345, b = 12345;
    int same = 1;
    for (uint32_t n = 1; n < 50; n++)
        if (ztask_retry_delay (250, 10000, n, &a) != ztask_retry_delay (250, 10000, n, &b))
            same = 0;
    TAP_OK (same, "the same seed gives the same delays");
    uint64_t c = 1;
    uint32_t first = ztask_retry_delay (250, 10000, 1, &c), changed = 0;
    for (int i = 0; i < 20; i++)
        changed |= ztask_retry_delay (250, 10000, 1, &c) != first;
    TAP_OK (changed, "the state advances: later draws differ");

    /* Degenerate input never escapes the bounds. */
    rng = 0;
    TAP_OK (ztask_retry_delay (0, 0, 0, &rng) == 1, "MIN 0 is taken as 1ms");
    TAP_OK (ztask_retry_delay (500, 100, 3, &rng) == 500, "MAX under MIN is taken as MIN");
    TAP_OK (ztask_retry_delay (1, ZTASK_RETRY_MAX_MS, UINT32_MAX, &rng) >= ZTASK_RETRY_MAX_MS / 2,
            "a huge attempt number is capped, without overflow");

    char error[128];
    TAP_OK (ztask_retry_check (1, 1, error, sizeof error) == 0, "1ms..1ms is a policy");
    TAP_OK (ztask_retry_check (2, 1, error, sizeof error) == -1, "2ms..1ms is not");
    TAP_OK (ztask_retry_check (1, (uint64_t) ZTASK_RETRY_MAX_MS + 1, error, sizeof error) == -1,
            "over 7 days is not");
    return tap_done ();
}
