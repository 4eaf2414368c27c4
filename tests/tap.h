/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  tap.h - minimal TAP output for ztask's C tests (automake's tap-driver).

        TAP_OK (x == 3, "x is %d", x);
        return tap_done ();
*/
#ifndef ZTASK_TAP_H_INCLUDED
#define ZTASK_TAP_H_INCLUDED

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count = 0;
static int tap_failed = 0;

static inline int
tap_ok (int pass, const char *file, int line, const char *format, ...)
{
    va_list args;
    tap_count++;
    if (!pass)
        tap_failed++;
    printf ("%sok %d - ", pass ? "" : "not ", tap_count);
    va_start (args, format);
    vprintf (format, args);
    va_end (args);
    printf ("\n");
    if (!pass)
        printf ("#   failed at %s:%d\n", file, line);
    fflush (stdout);
    return pass;
}

/* Formats a description (one buffer per call site use; TAP output is serial). */
static inline const char *
tap_format (const char *format, ...)
{
    static char buffer[512];
    va_list args;
    va_start (args, format);
    vsnprintf (buffer, sizeof buffer, format, args);
    va_end (args);
    return buffer;
}

#define TAP_OK(cond, ...) tap_ok ((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
/* Passes if haystack contains needle; shows both otherwise. */
static inline int
tap_contains (const char *haystack, const char *needle, const char *file, int line,
              const char *description)
{
    int pass = haystack && strstr (haystack, needle);
    tap_ok (pass, file, line, "%s", description);
    if (!pass)
        printf ("#   '%s' not in '%s'\n", needle, haystack ? haystack : "(null)");
    return pass;
}

#define TAP_CONTAINS(haystack, needle, ...)                                                \
    tap_contains ((haystack), (needle), __FILE__, __LINE__, tap_format (__VA_ARGS__))

static inline int
tap_done (void)
{
    printf ("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
