/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  sleep - sleeps for the number of milliseconds given as payload.

    Payload: a decimal number of milliseconds, e.g. "250" (surrounding
    whitespace allowed). Result: "slept 250 ms".
    Settings: max_ms, the longest sleep accepted (default: no limit).

    Shows the parts of the API a long task uses: settings read once in init,
    progress reports, and a cancellation check between short steps.
*/
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <ztask/plugin.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STEP_MS 50            /* longest sleep between two cancellation checks */
#define LONGEST_MS 86400000ULL /* a day: anything longer is surely a mistake  */

/* What init read from the settings; shared read-only by all slots. */
typedef struct {
    long long max_ms; /* longest sleep accepted; -1: no limit */
} sleep_state_t;

static int
s_init (const ztask_settings_t *settings, void **state_p)
{
    const char *text = ztask_setting (settings, "max_ms");
    long long max_ms;
    if (ztask_setting_int (settings, "max_ms", -1, &max_ms) != 0 || (text && max_ms < 0)) {
        ztask_log (ZTASK_LOG_ERROR, "max_ms must be a number of milliseconds >= 0, not '%s'", text);
        return -1;
    }
    sleep_state_t *state = (sleep_state_t *) malloc (sizeof (sleep_state_t));
    if (!state) {
        ztask_log (ZTASK_LOG_ERROR, "out of memory");
        return -1;
    }
    state->max_ms = max_ms;
    *state_p = state;
    return 0;
}

static void
s_fini (void *state)
{
    free (state);
}

static int
s_isspace (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Parses text as decimal digits with optional surrounding whitespace, at
   most LONGEST_MS. Returns 0 and sets *value, or -1. The payload is not
   NUL-terminated, hence the explicit size. */
static int
s_parse_ms (const char *text, size_t size, unsigned long long *value)
{
    size_t at = 0;
    while (at < size && s_isspace (text[at]))
        at++;
    size_t digits = 0;
    unsigned long long ms = 0;
    while (at < size && text[at] >= '0' && text[at] <= '9') {
        ms = ms * 10 + (unsigned long long) (text[at++] - '0');
        if (ms > LONGEST_MS)
            return -1;
        digits++;
    }
    while (at < size && s_isspace (text[at]))
        at++;
    if (digits == 0 || at != size)
        return -1;
    *value = ms;
    return 0;
}

static int
s_run (ztask_ctx_t *ctx, void *state)
{
    const sleep_state_t *self = (const sleep_state_t *) state;
    size_t size;
    const char *payload = (const char *) ztask_payload (ctx, &size);
    unsigned long long total;
    if (s_parse_ms (payload, size, &total) != 0) {
        ztask_set_error (ctx, 0,
                         "payload must be a whole number of milliseconds up to %llu, e.g. \"250\"",
                         LONGEST_MS);
        return ZTASK_FAILED;
    }
    if (self->max_ms >= 0 && total > (unsigned long long) self->max_ms) {
        ztask_set_error (ctx, 0, "%llu ms is more than this worker's max_ms of %lld ms", total,
                         self->max_ms);
        return ZTASK_FAILED;
    }
    unsigned long long done = 0;
    while (done < total) {
        if (ztask_cancelled (ctx)) {
            ztask_set_error (ctx, 0, "cancelled after %llu of %llu ms", done, total);
            return ZTASK_FAILED;
        }
        unsigned long long step = total - done < STEP_MS ? total - done : STEP_MS;
        struct timespec pause = { 0, (long) step * 1000000L };
        while (nanosleep (&pause, &pause) != 0 && errno == EINTR)
            ; /* interrupted by a signal: sleep the rest */
        done += step;
        ztask_progress (ctx, done, total, "sleeping");
    }
    char result[64];
    int length = snprintf (result, sizeof result, "slept %llu ms", total);
    if (ztask_set_result (ctx, result, (size_t) length) != 0)
        return ZTASK_FAILED;
    return ZTASK_OK;
}

ZTASK_PLUGIN ("sleep", "1.0.0", "sleeps for the payload's number of milliseconds", s_init, s_run,
              s_fini);
