/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  duration_test - the one duration grammar (src/common/ztask_duration.c)
    that ztask's --in/--since/--before/-t/--timeout, the HTTP API's since=
    and before= and retry policies share, and the task state names
    (ztask_state_parse in src/common/ztask_names.c) that --state and
    state= share. */
#include "common/ztask_duration.h"
#include "common/ztask_names.h"
#include "ztask/client.h"
#include "tap.h"

#include <inttypes.h>

#define DAY_MS UINT64_C (86400000)

/* Parses text as an age is parsed (unit required, at most 100 years). */
static int
s_age (const char *text, uint64_t *ms)
{
    return ztask_duration_parse (text, 0, ZTASK_AGE_MAX_MS, ms);
}

int
main (void)
{
    static const struct {
        const char *text;
        uint64_t ms;
    } good[] = {
        { "500ms", 500 },         { "30s", 30000 },           { "10m", 600000 },        { "1h", 3600000 },
        { "7d", 7 * DAY_MS },     { "0s", 0 },                { "0ms", 0 },             { "007m", 420000 },
        { "90s", 90000 },         { "36500d", 36500 * DAY_MS }, { "1000ms", 1000 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t ms = 12345;
        int rc = s_age (good[i].text, &ms);
        TAP_OK (rc == 0 && ms == good[i].ms, "'%s' is %" PRIu64 " ms (rc %d, %" PRIu64 ")", good[i].text, good[i].ms,
                rc, ms);
    }
    static const char *const bad[] = { "",   "7",   "s",    "-1s",  "+1s", " 1s", "1s ", "1 s", "1.5h", "1w",
                                       "1y", "1H",  "1sec", "1mss", "1dd", "ms",  "1s1", "d7",  "0x10s" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 12345;
        int rc = s_age (bad[i], &ms);
        TAP_OK (rc == -1 && ms == 12345, "'%s' is not a duration (rc %d), *ms untouched", bad[i], rc);
    }
    uint64_t ms = 12345;
    TAP_OK (ztask_duration_parse (NULL, 1000, UINT64_MAX, &ms) == -1 && ms == 12345, "NULL is not a duration");

    /* Too long: -2, however many digits, never wrapped. */
    TAP_OK (s_age ("36501d", &ms) == -2, "over 100 years as an age: -2");
    TAP_OK (s_age ("3153600000001ms", &ms) == -2, "  in ms too");
    TAP_OK (s_age ("213503982335d", &ms) == -2, "days whose ms wrap a uint64: -2, not wrapped");
    TAP_OK (s_age ("99999999999999999999999999h", &ms) == -2, "26 digits: -2");
    TAP_OK (ztask_duration_parse ("18446744073709551615ms", 0, UINT64_MAX, &ms) == 0 && ms == UINT64_MAX,
            "the largest uint64 in ms parses with no cap");
    TAP_OK (ztask_duration_parse ("18446744073709551616ms", 0, UINT64_MAX, &ms) == -2, "one more is -2");
    TAP_OK (ztask_duration_parse ("2s", 0, 2000, &ms) == 0 && ms == 2000, "max_ms itself is fine");
    TAP_OK (ztask_duration_parse ("2001ms", 0, 2000, &ms) == -2, "one ms over is not");
    TAP_OK (ztask_duration_parse ("1s", 0, 999, &ms) == -2, "a unit larger than max_ms: -2");

    /* A bare number: in the caller's unit, or refused. */
    TAP_OK (ztask_duration_parse ("2000", 1, INT32_MAX, &ms) == 0 && ms == 2000, "bare, in ms (ztask -t)");
    TAP_OK (ztask_duration_parse ("30", 1000, UINT32_MAX, &ms) == 0 && ms == 30000, "bare, in s (submit --timeout)");
    TAP_OK (ztask_duration_parse ("30", 0, UINT32_MAX, &ms) == -1, "bare, refused when no unit is given");
    TAP_OK (ztask_duration_parse ("2d", 1000, UINT32_MAX, &ms) == 0 && ms == 2 * DAY_MS,
            "a unit wins over the bare unit");

    /* A span: one bound of "MIN..MAX". */
    const char *policy = "250ms..10s";
    TAP_OK (ztask_duration_parse_span (policy, 5, 0, UINT64_MAX, &ms) == 0 && ms == 250, "span: the first 5 bytes");
    TAP_OK (ztask_duration_parse_span (policy, 7, 0, UINT64_MAX, &ms) == -1, "span: with a dot, not one");
    TAP_OK (ztask_duration_parse_span (policy, 0, 0, UINT64_MAX, &ms) == -1, "span: empty, not one");

    /* Written back in the largest unit that divides it. */
    static const struct {
        uint64_t ms;
        const char *text;
    } formats[] = { { 0, "0ms" },   { 1, "1ms" },   { 1500, "1500ms" },  { 90000, "90s" },
                    { 3600000, "1h" }, { 5400000, "90m" }, { 7 * DAY_MS, "7d" } };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char text[32];
        ztask_duration_format (formats[i].ms, text, sizeof text);
        TAP_OK (strcmp (text, formats[i].text) == 0 && s_age (text, &ms) == 0 && ms == formats[i].ms,
                "%" PRIu64 " ms is written %s and reads back", formats[i].ms, text);
    }

    /* Task state names. */
    for (int state = ZTASK_STATE_QUEUED; state <= ZTASK_STATE_BLOCKED; state++)
        TAP_OK (ztask_state_parse (ztask_state_name ((ztask_state_t) state)) == state, "state '%s' parses",
                ztask_state_name ((ztask_state_t) state));
    TAP_OK (ztask_state_parse ("Queued") == -1 && ztask_state_parse ("queued ") == -1 && ztask_state_parse ("") == -1
                && ztask_state_parse ("any") == -1 && ztask_state_parse ("unknown") == -1
                && ztask_state_parse ("finished") == -1 && ztask_state_parse (NULL) == -1,
            "other state texts are not states (\"any\" and \"finished\" are the callers')");
    return tap_done ();
}
