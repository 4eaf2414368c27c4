/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  cron_test - cron expressions, time zones and fire times
    (src/common/ztask_cron.c, docs/scheduling.md "Recurring schedules: the
    cron language"): every form of the language and its canonical text,
    every refusal with its field and column, the day-of-month/day-of-week
    rule, fire times across month and year ends and leap years, the TZif
    reader (system zones checked against glibc's localtime, hand-made files,
    every truncation of a real file, names refused), local time to UTC with
    gaps and repeats, and cronie's daylight-saving rules: the cases of
    America/New_York and Europe/Paris in 2026, then fire times checked
    against a minute-by-minute simulation of cronie's main loop around the
    transitions of several zones. */
#include "tap.h"
#include "common/ztask_cron.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "2026-03-08T07:00:00Z" (or without seconds) to seconds; civil fields only. */
static int64_t
s_at (const char *iso)
{
    ztask_civil_t c = { 0 };
    if (sscanf (iso, "%d-%d-%dT%d:%d:%d", &c.year, &c.month, &c.day, &c.hour, &c.minute, &c.second) < 5)
        abort ();
    return ztask_civil_to_seconds (&c);
}

static const char *
s_iso (int64_t t, char *buffer, size_t size)
{
    ztask_civil_t c;
    ztask_civil_from_seconds (t, &c);
    snprintf (buffer, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
    return buffer;
}

/* ---- accepted expressions: masks and canonical text ---- */

typedef struct {
    const char *text;
    const char *canonical;
} accepted_t;

static const accepted_t accepted[] = {
    { "* * * * *", "* * * * *" },
    { "0 3 * * *", "0 3 * * *" },
    { "  0\t3  * *   *  ", "0 3 * * *" },
    { "05 03 * * *", "5 3 * * *" },
    { "*/15 9-17 * * mon-fri", "*/15 9-17 * * 1-5" },
    { "0-59/20 * * * *", "0-40/20 * * * *" },
    { "5/15 * * * *", "5-50/15 * * * *" },
    { "1,2,3,10 * * * *", "1-3,10 * * * *" },
    { "0 0 1 jan,JUL *", "0 0 1 1,7 *" },
    { "0 0 1 Jan-Mar,oct-DEC *", "0 0 1 1-3,10-12 *" },
    { "0 0 * * sun", "0 0 * * 0" },
    { "0 0 * * 7", "0 0 * * 0" },
    { "0 0 * * 0-7", "0 0 * * 0-6" },
    { "0 0 * * fri-sun", "0 0 * * 0,5,6" },
    { "0 0 * * 5-0", "0 0 * * 0,5,6" },
    { "0 0 * * SAT-SUN", "0 0 * * 0,6" },
    { "0 12 1/2 * *", "0 12 1-31/2 * *" },
    { "*/7 * * * *", "*/7 * * * *" },
    { "*/20,5 * * * *", "*/20,5 * * * *" },
    { "0 0 * * */2", "0 0 * * */2" },
    { "0 0 */2 * 1", "0 0 */2 * 1" },
    { "*/60 * * * *", "*/60 * * * *" },
    { "59 23 31 12 6", "59 23 31 12 6" },
    { "0 0 29 2 *", "0 0 29 2 *" },
    { "0 0 31 2 1", "0 0 31 2 1" },
    { "0 0 30 * *", "0 0 30 * *" },
    { "0 0 1-12 1-12/1 *", "0 0 1-12 * *" },
    { "1-5,3-9 */6 1,15 * *", "1-9 */6 1,15 * *" },
    { "0-59 0-23 1-31 1-12 0-6", "0-59 0-23 1-31 * 0-6" },
    { "0,3,4,5,9 * * * *", "0,3-5,9 * * * *" },
    { "7/7 * * * 1/2", "7-56/7 * * * 1-5/2" },
    { "0 0 * * 7/1", "0 0 * * 0" },
    { "@yearly", "0 0 1 1 *" },
    { "@annually", "0 0 1 1 *" },
    { "@monthly", "0 0 1 * *" },
    { "@weekly", "0 0 * * 0" },
    { "@daily", "0 0 * * *" },
    { "@midnight", "0 0 * * *" },
    { "@hourly", "0 * * * *" },
    { " @Daily\t", "0 0 * * *" },
};

static void
s_test_accepted (void)
{
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        ztask_cron_t cron, again;
        char error[256] = "", text[ZTASK_CRON_FORMAT_SIZE];
        int rc = ztask_cron_parse (accepted[i].text, &cron, error, sizeof error);
        TAP_OK (rc == 0, "accepted: '%s'%s%s", accepted[i].text, rc ? ": " : "", rc ? error : "");
        int n = ztask_cron_format (&cron, text, sizeof text);
        TAP_OK (n == (int) strlen (text) && strcmp (text, accepted[i].canonical) == 0,
                "canonical form of '%s' is '%s' (got '%s')", accepted[i].text, accepted[i].canonical, text);
        TAP_OK (ztask_cron_parse (text, &again, error, sizeof error) == 0 && ztask_cron_equal (&cron, &again)
                    && memcmp (&cron, &again, sizeof cron) == 0,
                "'%s' parses back to the same cron", text);
    }
    /* the masks themselves */
    ztask_cron_t c;
    ztask_cron_parse ("*/15 9-17 * * mon-fri", &c, NULL, 0);
    TAP_OK (c.minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)) && c.hours == 0x3FE00
                && c.days == 0xFFFFFFFE && c.months == 0x1FFE && c.weekdays == 0x3E
                && c.flags == (ZTASK_CRON_MINUTE_STAR | ZTASK_CRON_DOM_STAR),
            "*/15 9-17 * * mon-fri: masks and flags");
    ztask_cron_parse ("0 0 * * 7", &c, NULL, 0);
    TAP_OK (c.weekdays == 0x01 && c.flags == ZTASK_CRON_DOM_STAR, "day-of-week 7 is Sunday (bit 0)");
    ztask_cron_parse ("0 0 * * 0-7", &c, NULL, 0);
    TAP_OK (c.weekdays == 0x7F && c.flags == ZTASK_CRON_DOM_STAR, "0-7 is every day, without the star flag");
    ztask_cron_parse ("@hourly", &c, NULL, 0);
    TAP_OK (ztask_cron_is_wildcard (&c) && c.minutes == 1 && c.hours == 0xFFFFFF, "@hourly is 0 * * * * (wildcard)");
    ztask_cron_parse ("@daily", &c, NULL, 0);
    TAP_OK (!ztask_cron_is_wildcard (&c), "@daily is a fixed-time job");
    ztask_cron_parse ("0 */2 * * *", &c, NULL, 0);
    TAP_OK (ztask_cron_is_wildcard (&c) && c.flags & ZTASK_CRON_HOUR_STAR, "a stepped hour field is a wildcard");
    ztask_cron_parse ("0-59 0-23 * * *", &c, NULL, 0);
    TAP_OK (!ztask_cron_is_wildcard (&c), "0-59 0-23 is fixed-time (cronie looks at the '*', not the values)");

    /* the longest text accepted; one byte more is refused */
    char longest[ZTASK_CRON_TEXT_MAX + 2];
    memset (longest, ' ', sizeof longest);
    memcpy (longest, "0 0 * * *", 9);
    longest[ZTASK_CRON_TEXT_MAX] = 0;
    TAP_OK (ztask_cron_parse (longest, &c, NULL, 0) == 0, "a %d-byte expression is accepted", ZTASK_CRON_TEXT_MAX);
    longest[ZTASK_CRON_TEXT_MAX] = ' ';
    longest[ZTASK_CRON_TEXT_MAX + 1] = 0;
    char error[256];
    TAP_OK (ztask_cron_parse (longest, &c, error, sizeof error) == -1
                && strcmp (error, "the expression is longer than 255 bytes") == 0 && c.minutes == 0,
            "a %d-byte expression is refused: %s", ZTASK_CRON_TEXT_MAX + 1, error);
    char small[8];
    ztask_cron_parse ("1,3,5,7,9 * * * *", &c, NULL, 0);
    TAP_OK (ztask_cron_format (&c, small, sizeof small) == -1 && small[0] == 0,
            "format refuses a buffer that is too small");
}

/* ---- refused expressions: the exact message ---- */

typedef struct {
    const char *text;
    const char *error;
} refused_t;

static const refused_t refused[] = {
    { "", "expected 5 fields, found 0 (minute hour day-of-month month day-of-week)" },
    { "   \t ", "expected 5 fields, found 0 (minute hour day-of-month month day-of-week)" },
    { "0 3 * *", "expected 5 fields, found 4 (minute hour day-of-month month day-of-week)" },
    { "0 0 3 * * *", "expected 5 fields, found 6 (minute hour day-of-month month day-of-week)" },
    { "0 3 * * * /bin/backup", "expected 5 fields, found 6 (minute hour day-of-month month day-of-week)" },
    { "60 * * * *", "minute field, column 1: 60 is out of range 0-59" },
    { "0 24 * * *", "hour field, column 3: 24 is out of range 0-23" },
    { "0 0 0 * *", "day-of-month field, column 5: 0 is out of range 1-31" },
    { "0 0 32 * *", "day-of-month field, column 5: 32 is out of range 1-31" },
    { "0 0 * 13 *", "month field, column 7: 13 is out of range 1-12" },
    { "0 0 * 0 *", "month field, column 7: 0 is out of range 1-12" },
    { "0 0 * * 8", "day-of-week field, column 9: 8 is out of range 0-7" },
    { "99999999999999999999 * * * *", "minute field, column 1: 99999999999999999999 is out of range 0-59" },
    { "0 0 1 jan ?", "day-of-week field, column 11: expected a number or a day name" },
    { "0 0 1 ? *", "month field, column 7: expected a number or a month name" },
    { "x * * * *", "minute field, column 1: expected a number" },
    { "0 jan * * *", "hour field, column 3: expected a number" },
    { "0 0 * * monday", "day-of-week field, column 9: 'monday' is not a day name (sun, mon, tue, wed, thu, fri, sat)" },
    { "0 0 * foo *",
      "month field, column 7: 'foo' is not a month name (jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec)" },
    { "0 0 * * mo", "day-of-week field, column 9: 'mo' is not a day name (sun, mon, tue, wed, thu, fri, sat)" },
    { "*/0 * * * *", "minute field, column 3: a step of 0 is not allowed (steps start at 1)" },
    { "0 1-5/00 * * *", "hour field, column 7: a step of 0 is not allowed (steps start at 1)" },
    { "*/61 * * * *", "minute field, column 3: step 61 is out of range 1-60" },
    { "0 0 * * */8", "day-of-week field, column 11: step 8 is out of range 1-7" },
    { "*/ * * * *", "minute field, column 3: expected a step (a number from 1 to 60) after '/'" },
    { "0 */x * * *", "hour field, column 5: expected a step (a number from 1 to 24) after '/'" },
    { "5-3 * * * *", "minute field, column 1: range 5-3 goes backwards: its start is greater than its end" },
    { "0 0 * * fri-mon", "day-of-week field, column 9: range 5-1 goes backwards: its start is greater than its end" },
    { "0 0 20-10 * *", "day-of-month field, column 5: range 20-10 goes backwards: its start is greater than its end" },
    { "0 0 * dec-jan *", "month field, column 7: range 12-1 goes backwards: its start is greater than its end" },
    { "1, * * * *", "minute field, column 3: expected a number after ','" },
    { "0 0 * * 1,", "day-of-week field, column 11: expected a number or a day name after ','" },
    { ",1 * * * *", "minute field, column 1: expected a number" },
    { "1,,2 * * * *", "minute field, column 3: expected a number" },
    { "1-2-3 * * * *", "minute field, column 4: expected '/' or ','" },
    { "1- * * * *", "minute field, column 3: expected a number" },
    { "*5 * * * *", "minute field, column 2: expected '/' or ','" },
    { "*/5/2 * * * *", "minute field, column 4: expected ','" },
    { "1x * * * *", "minute field, column 2: expected '-', '/' or ','" },
    { "0 0 * * 1\n", "day-of-week field, column 10: expected '-', '/' or ','" },
    { "0 0 * * \xc3\xa9", "day-of-week field, column 9: expected a number or a day name" },
    { "\xc3\xa9 0 * * \xc3\xa9", "minute field, column 1: expected a number" },
    { "0 \xc3\xa9\xc3\xa9 * * x", "hour field, column 3: expected a number" },
    { "0 0 * * \xc3\xa9x", "day-of-week field, column 9: expected a number or a day name" },
    { "0 0 1 * 1 \xc3\xa9", "expected 5 fields, found 6 (minute hour day-of-month month day-of-week)" },
    { "0 0 31 2 *",
      "day-of-month field, column 5: none of these days occurs in the months of the month field (a month has 29, 30 "
      "or 31 days), so it would never fire" },
    { "0 0 30,31 feb *",
      "day-of-month field, column 5: none of these days occurs in the months of the month field (a month has 29, 30 "
      "or 31 days), so it would never fire" },
    { "0 0 31 4,6,9,11 */1",
      "day-of-month field, column 5: none of these days occurs in the months of the month field (a month has 29, 30 "
      "or 31 days), so it would never fire" },
    { "@reboot",
      "column 1: @reboot is not supported: a schedule fires at times of day, not when the broker starts" },
    { "  @REBOOT", "column 3: @reboot is not supported: a schedule fires at times of day, not when the broker starts" },
    { "@daily x", "column 8: expected nothing after @daily (a macro is the whole expression)" },
    { "@fortnightly",
      "column 1: unknown macro '@fortnightly' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
      "@hourly)" },
    { "@", "column 1: expected a macro after '@' (@yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)" },
    { "@1", "column 1: expected a macro after '@' (@yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)" },
    { "0 @daily * * *", "hour field, column 3: expected a number" },
};

static void
s_test_refused (void)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ztask_cron_t cron;
        memset (&cron, 0xAB, sizeof cron);
        char error[512] = "";
        int rc = ztask_cron_parse (refused[i].text, &cron, error, sizeof error);
        ztask_cron_t zero;
        memset (&zero, 0, sizeof zero);
        TAP_OK (rc == -1 && strcmp (error, refused[i].error) == 0 && memcmp (&cron, &zero, sizeof cron) == 0,
                "refused [%zu]: %s", i, refused[i].error);
        if (strcmp (error, refused[i].error) != 0)
            printf ("#   got '%s'\n", error);
    }
    ztask_cron_t cron;
    char error[64];
    TAP_OK (ztask_cron_parse (NULL, &cron, error, sizeof error) == -1 && strncmp (error, "expected 5 fields", 17) == 0,
            "NULL is an empty expression");
    TAP_OK (ztask_cron_parse ("x", &cron, NULL, 0) == -1, "a refusal without an error buffer");
    char tiny[12];
    TAP_OK (ztask_cron_parse ("0 24 * * *", &cron, tiny, sizeof tiny) == -1 && strlen (tiny) == sizeof tiny - 1,
            "a small error buffer holds the start of the message");
    /* the brief's example: the column of the field, whatever the spacing */
    TAP_OK (ztask_cron_parse ("0   24 * * *", &cron, error, sizeof error) == -1
                && strcmp (error, "hour field, column 5: 24 is out of range 0-23") == 0,
            "columns count the spaces too: %s", error);
}

/* ---- fire times in UTC ---- */

typedef struct {
    const char *cron;
    const char *after;
    const char *next; /* NULL: never */
} fire_t;

static const fire_t fires_utc[] = {
    { "0 3 * * *", "2026-01-15T12:00:00", "2026-01-16T03:00:00" },
    { "0 3 * * *", "2026-01-16T03:00:00", "2026-01-17T03:00:00" },   /* strictly after */
    { "0 3 * * *", "2026-01-16T02:59:59", "2026-01-16T03:00:00" },
    { "*/15 * * * *", "2026-01-15T10:07:30", "2026-01-15T10:15:00" },
    { "*/7 * * * *", "2026-01-15T10:56:00", "2026-01-15T11:00:00" }, /* the step restarts each hour */
    { "* * * * *", "2026-12-31T23:59:59", "2027-01-01T00:00:00" },
    { "0 0 31 * *", "2026-01-31T00:00:00", "2026-03-31T00:00:00" },  /* February and its 28 days */
    { "0 0 31 * *", "2026-03-31T00:00:00", "2026-05-31T00:00:00" },
    { "0 0 30 * *", "2026-01-30T12:00:00", "2026-03-30T00:00:00" },
    { "0 0 1 * *", "2026-12-15T00:00:00", "2027-01-01T00:00:00" },
    { "59 23 31 12 *", "2026-06-01T00:00:00", "2026-12-31T23:59:00" },
    { "0 0 29 2 *", "2026-01-01T00:00:00", "2028-02-29T00:00:00" },  /* leap years */
    { "0 0 29 2 *", "2028-02-29T00:00:00", "2032-02-29T00:00:00" },
    { "0 0 29 2 *", "2096-03-01T00:00:00", "2104-02-29T00:00:00" },  /* 2100 is not one */
    { "0 12 28-31 2 *", "2027-02-28T12:00:00", "2028-02-28T12:00:00" },
    { "0 12 28-31 2 *", "2028-02-28T12:00:00", "2028-02-29T12:00:00" },
    { "0 0 * * 5", "2026-02-01T00:00:00", "2026-02-06T00:00:00" },   /* Fridays (AND: day-of-month is '*') */
    { "0 0 13 * *", "2026-02-01T00:00:00", "2026-02-13T00:00:00" },
    { "0 0 13 * 5", "2026-02-01T00:00:00", "2026-02-06T00:00:00" },  /* OR: the 13th or a Friday */
    { "0 0 13 * 5", "2026-02-06T00:00:00", "2026-02-13T00:00:00" },
    { "0 0 13 * 5", "2026-02-13T00:00:00", "2026-02-20T00:00:00" },
    { "0 0 1-7 * 1", "2026-02-07T00:00:00", "2026-02-09T00:00:00" }, /* OR: not "the first Monday" */
    { "0 0 */2 * 1", "2026-02-01T00:00:00", "2026-02-09T00:00:00" }, /* AND: odd days that are Mondays */
    { "0 0 */2 * 1", "2026-02-09T00:00:00", "2026-02-23T00:00:00" },
    { "0 0 * 2 1", "2026-02-23T00:00:00", "2027-02-01T00:00:00" },
    { "0 0 */28 2 1", "2026-01-01T00:00:00", "2027-02-01T00:00:00" },/* Feb 1 or 29 that is a Monday */
    { "0 0 29 2 1", "2026-01-01T00:00:00", "2026-02-02T00:00:00" },  /* OR: any Monday of February */
    { "30 8 * * mon-fri", "2026-01-16T09:00:00", "2026-01-19T08:30:00" },
    { "0 9-17/4 * * *", "2026-01-16T13:00:00", "2026-01-16T17:00:00" },
    { "0 9-17/4 * * *", "2026-01-16T17:00:00", "2026-01-17T09:00:00" },
    { "@yearly", "2026-01-01T00:00:00", "2027-01-01T00:00:00" },
    { "@weekly", "2026-01-15T00:00:00", "2026-01-18T00:00:00" },
    { "0 0 1 1 *", "9999-06-01T00:00:00", "10000-01-01T00:00:00" },
    { "0 0 1 1 *", "1969-12-31T23:59:59", "1970-01-01T00:00:00" },
    { "0 0 1 1 *", "1066-10-14T00:00:00", "1067-01-01T00:00:00" },
};

static void
s_test_next_utc (void)
{
    for (size_t i = 0; i < sizeof fires_utc / sizeof fires_utc[0]; i++) {
        const fire_t *f = &fires_utc[i];
        ztask_cron_t cron;
        char error[256], got[32];
        if (ztask_cron_parse (f->cron, &cron, error, sizeof error)) {
            TAP_OK (0, "'%s' parses: %s", f->cron, error);
            continue;
        }
        int64_t next = 0;
        int rc = ztask_cron_next (&cron, NULL, s_at (f->after), &next);
        TAP_OK (rc == 0 && next == s_at (f->next), "'%s' after %s: %s (got %s)", f->cron, f->after, f->next,
                rc ? "none" : s_iso (next, got, sizeof got));
    }
    /* a hand-made cron that never fires: bounded, not a loop forever */
    ztask_cron_t cron;
    ztask_cron_parse ("0 0 31 * *", &cron, NULL, 0);
    cron.months = 1 << 2;
    int64_t next = 123;
    clock_t start = clock ();
    int rc = ztask_cron_next (&cron, NULL, s_at ("2026-01-01T00:00:00"), &next);
    double ms = (double) (clock () - start) * 1000.0 / CLOCKS_PER_SEC;
    TAP_OK (rc == -1 && next == 0, "31 February never fires: -1 (searched 400 years in %.2f ms)", ms);
    ztask_tz_t *paris = ztask_tz_load ("Europe/Paris", NULL, 0);
    start = clock ();
    rc = ztask_cron_next (&cron, paris, s_at ("2026-01-01T00:00:00"), &next);
    ms = (double) (clock () - start) * 1000.0 / CLOCKS_PER_SEC;
    TAP_OK (rc == -1, "... nor in Europe/Paris (800 transitions crossed in %.2f ms)", ms);
    ztask_tz_destroy (&paris);
    memset (&cron, 0, sizeof cron);
    TAP_OK (ztask_cron_next (&cron, NULL, 0, &next) == -1, "an empty cron never fires");
    ztask_cron_parse ("* * * * *", &cron, NULL, 0);
    TAP_OK (ztask_cron_next (&cron, NULL, ZTASK_CRON_TIME_MAX + 1, &next) == -1
                && ztask_cron_next (&cron, NULL, ZTASK_CRON_TIME_MIN - 1, &next) == -1,
            "times outside years 1-9999 are refused");
    TAP_OK (ztask_cron_next (&cron, NULL, ZTASK_CRON_TIME_MAX, &next) == 0 && next == ZTASK_CRON_TIME_MAX + 1,
            "the last second accepted still has a next minute");
}

/* A plain matcher, independent of the library's stepping: for the cross-check. */
static bool
s_matches (const ztask_cron_t *c, int64_t local)
{
    ztask_civil_t t;
    ztask_civil_from_seconds (local, &t);
    bool dom = c->days >> t.day & 1, dow = c->weekdays >> t.weekday & 1;
    bool day = (c->flags & (ZTASK_CRON_DOM_STAR | ZTASK_CRON_DOW_STAR)) ? dom && dow : dom || dow;
    return t.second == 0 && (c->minutes >> t.minute & 1) && (c->hours >> t.hour & 1) && (c->months >> t.month & 1)
           && day;
}

/* Minute by minute (skipping days and hours that cannot match), up to limit. */
static int64_t
s_naive_next (const ztask_cron_t *c, int64_t after, int64_t limit)
{
    int64_t t = (after / 60 + 1) * 60;
    while (t <= limit) {
        ztask_civil_t d;
        ztask_civil_from_seconds (t, &d);
        bool dom = c->days >> d.day & 1, dow = c->weekdays >> d.weekday & 1;
        bool day = (c->flags & (ZTASK_CRON_DOM_STAR | ZTASK_CRON_DOW_STAR)) ? dom && dow : dom || dow;
        if (!(c->months >> d.month & 1) || !day)
            t += 86400 - (d.hour * 3600 + d.minute * 60);
        else if (!(c->hours >> d.hour & 1))
            t += 3600 - d.minute * 60;
        else if (s_matches (c, t))
            return t;
        else
            t += 60;
    }
    return -1;
}

static uint64_t s_random_state = 0x9E3779B97F4A7C15ULL;

static uint32_t
s_random (uint32_t n)
{
    s_random_state ^= s_random_state << 13;
    s_random_state ^= s_random_state >> 7;
    s_random_state ^= s_random_state << 17;
    return (uint32_t) (s_random_state % n);
}

/* A random field: '*', a value, a range, a step or a list of them. */
static void
s_random_field (char *out, size_t size, int low, int high, int step_max)
{
    size_t used = 0;
    int elements = 1 + (int) s_random (3);
    for (int e = 0; e < elements; e++) {
        int a = low + (int) s_random ((uint32_t) (high - low + 1)), b = a + (int) s_random ((uint32_t) (high - a + 1));
        int kind = (int) s_random (6), step = 1 + (int) s_random ((uint32_t) step_max);
        const char *comma = e ? "," : "";
        int n;
        if (kind == 0 && e == 0)
            n = snprintf (out + used, size - used, "*");
        else if (kind == 1 && e == 0)
            n = snprintf (out + used, size - used, "*/%d", step);
        else if (kind == 2)
            n = snprintf (out + used, size - used, "%s%d-%d", comma, a, b);
        else if (kind == 3)
            n = snprintf (out + used, size - used, "%s%d-%d/%d", comma, a, b, step);
        else
            n = snprintf (out + used, size - used, "%s%d", comma, a);
        used += (size_t) n;
    }
}

static void
s_test_cross_check (void)
{
    int checked = 0, wrong = 0, refused_never = 0, trips = 0;
    char first_wrong[1024] = "";
    for (int i = 0; i < 400; i++) {
        char f[5][64], text[400];
        s_random_field (f[0], sizeof f[0], 0, 59, 60);
        s_random_field (f[1], sizeof f[1], 0, 23, 24);
        s_random_field (f[2], sizeof f[2], 1, 31, 31);
        s_random_field (f[3], sizeof f[3], 1, 12, 12);
        s_random_field (f[4], sizeof f[4], 0, 7, 7);
        snprintf (text, sizeof text, "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
        ztask_cron_t cron, again;
        char error[256], canonical[ZTASK_CRON_FORMAT_SIZE];
        if (ztask_cron_parse (text, &cron, error, sizeof error) != 0) {
            refused_never++; /* only "never fires" may refuse a generated text */
            if (!strstr (error, "never fire")) {
                wrong++;
                snprintf (first_wrong, sizeof first_wrong, "'%s' refused: %s", text, error);
            }
            continue;
        }
        if (ztask_cron_format (&cron, canonical, sizeof canonical) > 0
            && ztask_cron_parse (canonical, &again, error, sizeof error) == 0 && ztask_cron_equal (&cron, &again))
            trips++;
        int64_t after = s_at ("2025-06-01T00:00:00") + (int64_t) s_random (4 * 365) * 86400 + s_random (86400);
        for (int k = 0; k < 4; k++) {
            int64_t next = -1, naive = s_naive_next (&cron, after, after + 3 * 366 * 86400LL);
            int rc = ztask_cron_next (&cron, NULL, after, &next);
            checked++;
            if (naive < 0 ? !(rc == 0 && next > after + 3 * 366 * 86400LL) : (rc != 0 || next != naive)) {
                if (!wrong++)
                    snprintf (first_wrong, sizeof first_wrong, "'%s' after %lld: %lld, the plain search %lld", text,
                              (long long) after, (long long) next, (long long) naive);
                break;
            }
            if (naive < 0)
                break;
            after = next + (int64_t) s_random (3) * 37;
        }
    }
    TAP_OK (wrong == 0, "400 random expressions: %d fire times agree with a minute-by-minute search%s%s", checked,
            wrong ? "; first wrong: " : "", first_wrong);
    TAP_OK (trips == 400 - refused_never, "%d canonical forms parse back to the same cron (%d refused as never firing)",
            trips, refused_never);
}

/* ---- the TZif reader and conversions ---- */

/* Builds a TZif file: version 0 (v1 only) or '2'..'4'; type k is named "Tkk". */
static size_t
s_tzif (uint8_t *out, int version, const int64_t *times, const uint8_t *types, size_t count, const int32_t *offsets,
        const uint8_t *dst, size_t type_count, const char *footer, uint32_t leaps)
{
    size_t at = 0;
    for (int pass = 0; pass < (version ? 2 : 1); pass++) {
        int width = pass ? 8 : 4;
        memcpy (out + at, "TZif", 4);
        out[at + 4] = (uint8_t) version;
        memset (out + at + 5, 0, 15);
        uint32_t counts[6] = { 0, 0, leaps, (uint32_t) count, (uint32_t) type_count, (uint32_t) (4 * type_count) };
        for (int i = 0; i < 6; i++)
            for (int b = 0; b < 4; b++)
                out[at + 20 + 4 * i + b] = (uint8_t) (counts[i] >> (24 - 8 * b));
        at += 44;
        for (size_t i = 0; i < count; i++) {
            int64_t t = times[i];
            for (int b = 0; b < width; b++)
                out[at++] = (uint8_t) ((uint64_t) t >> (8 * (width - 1 - b)));
        }
        for (size_t i = 0; i < count; i++)
            out[at++] = types[i];
        for (size_t i = 0; i < type_count; i++) {
            for (int b = 0; b < 4; b++)
                out[at++] = (uint8_t) ((uint32_t) offsets[i] >> (24 - 8 * b));
            out[at++] = dst[i];
            out[at++] = (uint8_t) (4 * i);
        }
        for (size_t i = 0; i < type_count; i++) {
            snprintf ((char *) out + at, 5, "T%02zu", i);
            at += 4;
        }
        for (uint32_t i = 0; i < leaps; i++)
            for (int b = 0; b < width + 4; b++)
                out[at++] = 0;
    }
    if (version) {
        out[at++] = '\n';
        memcpy (out + at, footer, strlen (footer));
        at += strlen (footer);
        out[at++] = '\n';
    }
    return at;
}

static uint8_t *
s_read_file (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    uint8_t *data = malloc (1 << 20);
    *size = fread (data, 1, 1 << 20, file);
    fclose (file);
    return data;
}

static const char *const s_zones[] = { "Europe/Paris",      "America/New_York", "Europe/Dublin",
                                       "Africa/Casablanca", "America/Nuuk",     "Antarctica/Troll",
                                       "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Tehran",
                                       "Pacific/Apia",      "Asia/Kolkata",     "Pacific/Chatham",
                                       "America/St_Johns",  "UTC" };

static void
s_test_zones_against_glibc (void)
{
    /* glibc reads the same files: compare offset, dst and abbreviation at
       random instants from 1850 to 2200 (past the files' last transitions,
       so the footer rules are checked too). The test, not the library,
       sets TZ: the test is single-threaded here. */
    char *saved = getenv ("TZ") ? strdup (getenv ("TZ")) : NULL;
    for (size_t z = 0; z < sizeof s_zones / sizeof s_zones[0]; z++) {
        char error[512];
        ztask_tz_t *tz = ztask_tz_load (s_zones[z], error, sizeof error);
        if (!tz) {
            TAP_OK (0, "%s loads: %s", s_zones[z], error);
            continue;
        }
        setenv ("TZ", s_zones[z], 1);
        tzset ();
        int bad = 0, samples = 0, round_trip_bad = 0;
        char first_bad[256] = "";
        int64_t from = s_at ("1850-01-01T00:00:00"), to = s_at ("2200-01-01T00:00:00");
        for (int i = 0; i < 3000; i++) {
            int64_t t = from + (int64_t) ((double) s_random (1u << 30) / (1u << 30) * (double) (to - from));
            if (i % 3 == 0) /* near the 2026-2045 transitions too */
                t = s_at ("2026-01-01T00:00:00") + (int64_t) s_random (20 * 365) * 86400 + s_random (86400);
            time_t tt = (time_t) t;
            struct tm tm;
            if (!localtime_r (&tt, &tm))
                continue;
            ztask_tz_local_t local;
            samples++;
            if (ztask_tz_utc_to_local (tz, t, &local) != 0 || local.offset != tm.tm_gmtoff
                || local.dst != (tm.tm_isdst > 0) || strcmp (local.abbreviation, tm.tm_zone) != 0
                || local.civil.hour != tm.tm_hour || local.civil.day != tm.tm_mday
                || local.civil.weekday != tm.tm_wday) {
                if (!bad++)
                    snprintf (first_bad, sizeof first_bad, "at %lld: %d %d %s, glibc %ld %d %s", (long long) t,
                              local.offset, local.dst, local.abbreviation, (long) tm.tm_gmtoff, tm.tm_isdst,
                              tm.tm_zone);
                continue;
            }
            /* local to UTC gives t back (one of two in a repeat) */
            int64_t a, b;
            int m = ztask_tz_local_to_utc (tz, &local.civil, &a, &b);
            if (!((m == ZTASK_TZ_UNIQUE && a == t) || (m == ZTASK_TZ_AMBIGUOUS && (a == t || b == t) && a < b)))
                round_trip_bad++;
        }
        TAP_OK (bad == 0 && samples > 2900, "%s: %d instants agree with glibc's localtime%s%s", s_zones[z], samples,
                bad ? "; first wrong " : "", first_bad);
        TAP_OK (round_trip_bad == 0, "%s: local time back to UTC gives the instant (%d wrong)", s_zones[z],
                round_trip_bad);
        ztask_tz_destroy (&tz);
    }
    if (saved) {
        setenv ("TZ", saved, 1);
        free (saved);
    }
    else
        unsetenv ("TZ");
    tzset ();
}

static void
s_test_zone_api (void)
{
    char error[512];
    ztask_tz_t *tz = ztask_tz_load ("Europe/Paris", error, sizeof error);
    TAP_OK (tz && strcmp (ztask_tz_name (tz), "Europe/Paris") == 0, "Europe/Paris loads");
    ztask_tz_local_t local;
    TAP_OK (ztask_tz_utc_to_local (tz, s_at ("2026-07-01T12:00:00"), &local) == 0 && local.offset == 7200 && local.dst
                && strcmp (local.abbreviation, "CEST") == 0 && local.civil.hour == 14 && local.civil.weekday == 3
                && local.local == s_at ("2026-07-01T14:00:00"),
            "2026-07-01 12:00 UTC is 14:00 CEST, a Wednesday, in Paris");
    TAP_OK (ztask_tz_utc_to_local (tz, s_at ("2045-01-15T12:00:00"), &local) == 0 && local.offset == 3600 && !local.dst
                && strcmp (local.abbreviation, "CET") == 0,
            "2045 (after the file's transitions: its footer rule) is CET in January");
    TAP_OK (ztask_tz_utc_to_local (tz, s_at ("2045-03-26T01:00:00"), &local) == 0 && local.offset == 7200
                && ztask_tz_utc_to_local (tz, s_at ("2045-03-26T00:59:59"), &local) == 0 && local.offset == 3600,
            "2045: CEST from the last Sunday of March, 01:00 UTC");
    TAP_OK (ztask_tz_utc_to_local (tz, INT64_C(1) << 41, &local) == -1, "an instant beyond 2^40 s is refused");
    ztask_tz_destroy (&tz);
    TAP_OK (tz == NULL, "destroy NULLs the pointer");
    ztask_tz_destroy (&tz);

    ztask_tz_t *ny = ztask_tz_load ("America/New_York", error, sizeof error);
    int64_t a, b;
    ztask_civil_t c = { 2026, 3, 8, 2, 30, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_GAP && a == s_at ("2026-03-08T07:00:00") && b == a,
            "2026-03-08 02:30 in New York is skipped: the jump is at 07:00 UTC");
    c = (ztask_civil_t) { 2026, 3, 8, 2, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_GAP && a == s_at ("2026-03-08T07:00:00"),
            "... 02:00 too (the gap's first second)");
    c = (ztask_civil_t) { 2026, 3, 8, 3, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_UNIQUE && a == s_at ("2026-03-08T07:00:00") && b == a,
            "... 03:00 is the jump's instant");
    c = (ztask_civil_t) { 2026, 3, 8, 1, 59, 59, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_UNIQUE && a == s_at ("2026-03-08T06:59:59"),
            "... 01:59:59 is the second before");
    c = (ztask_civil_t) { 2026, 11, 1, 1, 30, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_AMBIGUOUS && a == s_at ("2026-11-01T05:30:00")
                && b == s_at ("2026-11-01T06:30:00"),
            "2026-11-01 01:30 in New York happens twice: 05:30 and 06:30 UTC");
    c = (ztask_civil_t) { 2026, 11, 1, 2, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_UNIQUE && a == s_at ("2026-11-01T07:00:00"),
            "... 02:00 once");
    c = (ztask_civil_t) { 2026, 7, 1, 12, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == ZTASK_TZ_UNIQUE && a == s_at ("2026-07-01T16:00:00"),
            "2026-07-01 12:00 EDT is 16:00 UTC");
    c = (ztask_civil_t) { 2026, 2, 29, 12, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == -1, "February 29 2026 is refused");
    c = (ztask_civil_t) { 2026, 1, 1, 24, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (ny, &c, &a, &b) == -1, "hour 24 is refused");
    c = (ztask_civil_t) { 2026, 1, 1, 0, 0, 0, 0 };
    TAP_OK (ztask_tz_local_to_utc (NULL, &c, &a, &b) == ZTASK_TZ_UNIQUE && a == s_at ("2026-01-01T00:00:00"),
            "a NULL zone is UTC");
    ztask_tz_destroy (&ny);

    /* names */
    ztask_tz_t *utc = ztask_tz_load (NULL, error, sizeof error);
    TAP_OK (utc && strcmp (ztask_tz_name (utc), "UTC") == 0, "NULL is UTC");
    ztask_tz_destroy (&utc);
    utc = ztask_tz_load ("", error, sizeof error);
    TAP_OK (utc && ztask_tz_utc_to_local (utc, 0, &local) == 0 && local.offset == 0
                && strcmp (local.abbreviation, "UTC") == 0,
            "\"\" is UTC");
    ztask_tz_destroy (&utc);
    utc = ztask_tz_load ("UTC", error, sizeof error);
    TAP_OK (utc && ztask_tz_utc_to_local (utc, 0, &local) == 0 && local.offset == 0, "UTC loads");
    ztask_tz_destroy (&utc);
    const char *bad_names[] = { "../etc/passwd", "/etc/passwd", "Europe//Paris", "Europe/Paris/", "Europe/Par is",
                                "zone.tab",      "Europe/..",   "Europe\nParis", "Europe/Paris\xc3\xa9" };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        error[0] = 0;
        ztask_tz_t *z = ztask_tz_load (bad_names[i], error, sizeof error);
        TAP_OK (!z && strstr (error, "a zone name is letters, digits, '_', '+' and '-' in parts joined by '/'"),
                "zone name %zu refused: %s", i, error);
    }
    TAP_OK (!ztask_tz_load ("../etc/passwd", error, sizeof error)
                && strncmp (error, "time zone '../etc/passwd': a zone name is", 41) == 0,
            "the message names the zone");
    TAP_OK (!ztask_tz_load ("Europe\nParis", error, sizeof error) && strncmp (error, "time zone '?': ", 15) == 0,
            "an unprintable name is not echoed");
    char long_name[ZTASK_TZ_NAME_MAX + 2];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    TAP_OK (!ztask_tz_load (long_name, error, sizeof error)
                && strcmp (error, "time zone name longer than 127 bytes") == 0,
            "a name of 128 bytes is refused: %s", error);
    TAP_OK (!ztask_tz_load ("Europe/Pari", error, sizeof error)
                && strcmp (error, "time zone 'Europe/Pari': unknown (no file /usr/share/zoneinfo/Europe/Pari)") == 0,
            "an unknown zone: %s", error);
    TAP_OK (!ztask_tz_load ("America", error, sizeof error) && strstr (error, "is not a zone file"),
            "a directory: %s", error);
    TAP_OK (!ztask_tz_load ("Europe/Paris/x", error, sizeof error) && strstr (error, "unknown (no file"),
            "a path through a file: %s", error);

    /* files that are not TZif, in a directory of the test's own */
    char dir[] = "/tmp/cron_test.XXXXXX";
    if (!mkdtemp (dir)) {
        TAP_OK (0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf (path, sizeof path, "%s/Fake", dir);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/Fake/Zone", dir);
    FILE *file = fopen (path, "w");
    fputs ("Europe/Paris is a nice place\n", file);
    fclose (file);
    char expected[512];
    snprintf (expected, sizeof expected,
              "time zone 'Fake/Zone': %s: not a TZif file (it does not start with \"TZif\")", path);
    TAP_OK (!ztask_tz_load_dir (dir, "Fake/Zone", error, sizeof error) && strcmp (error, expected) == 0,
            "a file that is not TZif: %s", error);
    snprintf (path, sizeof path, "%s/Empty", dir);
    fclose (fopen (path, "w"));
    TAP_OK (!ztask_tz_load_dir (dir, "Empty", error, sizeof error) && strstr (error, "not a TZif file"),
            "an empty file: %s", error);
    setenv ("TZDIR", dir, 1);
    TAP_OK (!ztask_tz_load ("Fake/Zone", error, sizeof error) && strstr (error, "not a TZif file"),
            "$TZDIR is where zones are looked for");
    unsetenv ("TZDIR");
    snprintf (path, sizeof path, "%s/Fake/Zone", dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/Fake", dir);
    rmdir (path);
    snprintf (path, sizeof path, "%s/Empty", dir);
    unlink (path);
    rmdir (dir);
}

static void
s_test_tzif_files (void)
{
    char error[512];
    uint8_t file[4096];
    /* a version 2 file: +01 until 2020-01-01, then +02 (dst), footer "<+03>-3" */
    int64_t times[] = { s_at ("2000-01-01T00:00:00"), s_at ("2020-01-01T00:00:00") };
    uint8_t types[] = { 1, 2 };
    int32_t offsets[] = { 0, 3600, 7200 };
    uint8_t dst[] = { 0, 0, 1 };
    size_t size = s_tzif (file, '2', times, types, 2, offsets, dst, 3, "<+03>-3", 0);
    ztask_tz_t *tz = ztask_tz_parse (file, size, "Test/Two", error, sizeof error);
    ztask_tz_local_t local;
    TAP_OK (tz && strcmp (ztask_tz_name (tz), "Test/Two") == 0, "a hand-made version 2 file parses%s%s",
            tz ? "" : ": ", tz ? "" : error);
    if (tz) {
        ztask_tz_utc_to_local (tz, s_at ("1990-01-01T00:00:00"), &local);
        TAP_OK (local.offset == 0 && strcmp (local.abbreviation, "T00") == 0, "before the first transition: type 0");
        ztask_tz_utc_to_local (tz, s_at ("2010-01-01T00:00:00"), &local);
        TAP_OK (local.offset == 3600 && strcmp (local.abbreviation, "T01") == 0, "between: type 1");
        ztask_tz_utc_to_local (tz, s_at ("2019-12-31T23:59:59"), &local);
        TAP_OK (local.offset == 3600, "the second before the last transition");
        ztask_tz_utc_to_local (tz, s_at ("2020-01-01T00:00:00"), &local);
        TAP_OK (local.offset == 10800 && strcmp (local.abbreviation, "+03") == 0 && !local.dst,
                "from the last transition on, the footer rules");
    }
    ztask_tz_destroy (&tz);
    /* version 1 only: the last type goes on */
    size = s_tzif (file, 0, times, types, 2, offsets, dst, 3, "", 0);
    tz = ztask_tz_parse (file, size, NULL, error, sizeof error);
    TAP_OK (tz && strcmp (ztask_tz_name (tz), "-") == 0 && ztask_tz_utc_to_local (tz, s_at ("2050-06-01T00:00:00"), &local) == 0
                && local.offset == 7200 && local.dst,
            "a version 1 file: the last type goes on");
    ztask_tz_destroy (&tz);
    /* version 2 with an empty footer */
    size = s_tzif (file, '3', times, types, 2, offsets, dst, 3, "", 0);
    tz = ztask_tz_parse (file, size, "x", error, sizeof error);
    TAP_OK (tz && ztask_tz_utc_to_local (tz, s_at ("2050-06-01T00:00:00"), &local) == 0 && local.offset == 7200,
            "an empty footer: the last type goes on");
    ztask_tz_destroy (&tz);
    /* footers: the forms of RFC 8536 this reader knows, and one it refuses */
    const struct {
        const char *footer;
        const char *when;
        int32_t offset;
    } footers[] = {
        { "EST5EDT,M3.2.0,M11.1.0", "2030-07-01T12:00:00", -4 * 3600 },
        { "EST5EDT,M3.2.0,M11.1.0", "2030-01-01T12:00:00", -5 * 3600 },
        { "EST5EDT", "2030-07-01T12:00:00", -4 * 3600 },           /* no rule: the US one */
        { "<-03>3<-02>,J60/2,J300/2", "2030-06-01T12:00:00", -2 * 3600 },
        { "<-03>3<-02>,J60/2,J300/2", "2030-12-01T12:00:00", -3 * 3600 },
        { "XXX3YYY,59/2,299/2", "2032-02-29T04:59:59", -3 * 3600 }, /* zero-based: day 59 of 2032 is February 29 */
        { "XXX3YYY,59/2,299/2", "2032-02-29T05:00:00", -2 * 3600 },
        { "XXX3YYY,59/2,299/2", "2031-03-01T04:59:59", -3 * 3600 }, /* ... of 2031 March 1 */
        { "XXX3YYY,59/2,299/2", "2031-03-01T05:00:00", -2 * 3600 },
        { "XXX3YYY,J60/2,299/2", "2032-03-01T04:59:59", -3 * 3600 }, /* J60 is March 1, leap year or not */
        { "XXX3YYY,J60/2,299/2", "2032-03-01T05:00:00", -2 * 3600 },
        { "<+0330>-3:30", "2030-06-01T12:00:00", 12600 },
        { "AAA-10:30:15", "2030-06-01T12:00:00", 37815 },
        { "EST5EDT,0/0,J365/25", "2030-06-01T12:00:00", -4 * 3600 }, /* daylight saving all year */
        { "EST5EDT,0/0,J365/25", "2030-12-31T23:30:00", -4 * 3600 },
        { "EST5EDT,0/0,J365/25", "2031-01-01T04:30:00", -4 * 3600 },
        { "IST-1GMT0,M10.5.0,M3.5.0/1", "2030-07-01T12:00:00", 3600 }, /* negative DST (Dublin) */
        { "IST-1GMT0,M10.5.0,M3.5.0/1", "2030-01-01T12:00:00", 0 },
        { "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-07-01T12:00:00", -3600 },
        { "AAA-12BBB-13:45,M9.5.0/2:45,M4.1.0/167", "2030-01-01T12:00:00", 13 * 3600 + 2700 },
    };
    for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
        size = s_tzif (file, '2', NULL, NULL, 0, offsets, dst, 1, footers[i].footer, 0);
        tz = ztask_tz_parse (file, size, "x", error, sizeof error);
        int rc = tz ? ztask_tz_utc_to_local (tz, s_at (footers[i].when), &local) : -1;
        TAP_OK (rc == 0 && local.offset == footers[i].offset, "footer '%s' at %s: offset %d (got %d)%s%s",
                footers[i].footer, footers[i].when, footers[i].offset, rc ? 0 : local.offset, tz ? "" : ": ",
                tz ? "" : error);
        ztask_tz_destroy (&tz);
    }
    const struct {
        const char *footer;
        const char *error;
    } bad_footers[] = {
        { "<+03>-3<+04>,Q1", "unsupported footer TZ string '<+03>-3<+04>,Q1': expected ',' and the start rule (Jn, n or "
                             "Mm.w.d, then an optional /time) at byte 13" },
        { "EST", "unsupported footer TZ string 'EST': expected a UTC offset (hh[:mm[:ss]]) at byte 4" },
        { "E5", "unsupported footer TZ string 'E5': expected a standard time abbreviation at byte 1" },
        { "EST25", "unsupported footer TZ string 'EST25': expected a UTC offset (hh[:mm[:ss]]) at byte 4" },
        { "EST5EDT,M13.1.0,M11.1.0", "unsupported footer TZ string 'EST5EDT,M13.1.0,M11.1.0': expected ',' and the "
                                     "start rule (Jn, n or Mm.w.d, then an optional /time) at byte 8" },
        { "EST5EDT,M3.2.0", "unsupported footer TZ string 'EST5EDT,M3.2.0': expected ',' and the end rule (Jn, n or "
                            "Mm.w.d, then an optional /time) at byte 15" },
        { "EST5EDT,M3.2.0,M11.1.0/168", "unsupported footer TZ string 'EST5EDT,M3.2.0,M11.1.0/168': expected ',' and "
                                        "the end rule (Jn, n or Mm.w.d, then an optional /time) at byte 15" },
        { "EST5EDT,M3.2.0,M11.1.0x", "unsupported footer TZ string 'EST5EDT,M3.2.0,M11.1.0x': expected the end of "
                                     "the TZ string at byte 23" },
        { "EST5\x01", "unsupported footer TZ string 'EST5?': expected a daylight-saving time abbreviation at byte 5" },
    };
    for (size_t i = 0; i < sizeof bad_footers / sizeof bad_footers[0]; i++) {
        size = s_tzif (file, '2', NULL, NULL, 0, offsets, dst, 1, bad_footers[i].footer, 0);
        tz = ztask_tz_parse (file, size, "x", error, sizeof error);
        TAP_OK (!tz && strcmp (error, bad_footers[i].error) == 0, "footer refused: %s", error);
        if (tz || strcmp (error, bad_footers[i].error) != 0)
            printf ("#   expected '%s'\n", bad_footers[i].error);
        ztask_tz_destroy (&tz);
    }
    /* malformed files */
    size = s_tzif (file, '2', times, types, 2, offsets, dst, 3, "", 1);
    TAP_OK (!ztask_tz_parse (file, size, "x", error, sizeof error) && strstr (error, "leap-second zone"),
            "a leap-second file is refused: %s", error);
    int64_t backwards[] = { 200, 100 };
    size = s_tzif (file, '2', backwards, types, 2, offsets, dst, 3, "", 0);
    TAP_OK (!ztask_tz_parse (file, size, "x", error, sizeof error) && strstr (error, "not in ascending order"),
            "transitions out of order are refused: %s", error);
    uint8_t bad_types[] = { 1, 3 };
    size = s_tzif (file, '2', times, bad_types, 2, offsets, dst, 3, "", 0);
    TAP_OK (!ztask_tz_parse (file, size, "x", error, sizeof error) && strstr (error, "names type 3 of 3"),
            "a transition to a type that does not exist is refused: %s", error);
    int32_t huge[] = { 0, 100000, 0 };
    size = s_tzif (file, '2', times, types, 2, huge, dst, 3, "", 0);
    TAP_OK (!ztask_tz_parse (file, size, "x", error, sizeof error) && strstr (error, "a UTC offset of 100000 seconds"),
            "an offset beyond 26 hours is refused: %s", error);
    size = s_tzif (file, '2', times, types, 2, offsets, dst, 0, "", 0);
    TAP_OK (!ztask_tz_parse (file, size, "x", error, sizeof error) && strstr (error, "0 local time types"),
            "no local time type is refused: %s", error);
    size = s_tzif (file, '2', times, types, 2, offsets, dst, 3, "", 0);
    file[4] = '1';
    TAP_OK (!ztask_tz_parse (file, size, "x", error, sizeof error) && strstr (error, "unknown version byte 0x31"),
            "an unknown version is refused: %s", error);
    TAP_OK (!ztask_tz_parse (NULL, 0, "x", error, sizeof error) && strstr (error, "not a TZif file"),
            "no data at all is refused");

    /* every truncation of a real file is refused, none crashes */
    size_t real_size = 0;
    uint8_t *real = s_read_file ("/usr/share/zoneinfo/America/New_York", &real_size);
    if (!real || real_size < 100) {
        TAP_OK (0, "read America/New_York");
        free (real);
        return;
    }
    int accepted_cut = 0;
    for (size_t cut = 0; cut < real_size; cut++) {
        uint8_t *copy = malloc (cut ? cut : 1); /* exactly cut bytes: ASan sees a read past them */
        memcpy (copy, real, cut);
        tz = ztask_tz_parse (copy, cut, "cut", error, sizeof error);
        if (tz)
            accepted_cut++;
        ztask_tz_destroy (&tz);
        free (copy);
    }
    TAP_OK (accepted_cut == 0, "all %zu truncations of America/New_York are refused", real_size);
    tz = ztask_tz_parse (real, real_size, "America/New_York", error, sizeof error);
    TAP_OK (tz != NULL, "the whole file parses");
    ztask_tz_destroy (&tz);
    free (real);
}

/* ---- daylight saving: the cases of the issue ---- */

typedef struct {
    const char *zone;
    const char *cron;
    const char *after; /* UTC */
    const char *next[6];
} dst_case_t;

static const dst_case_t dst_cases[] = {
    /* New York, 2026-03-08: 02:00 EST -> 03:00 EDT (07:00 UTC) */
    { "America/New_York", "30 2 * * *", "2026-03-07T12:00:00",
      { "2026-03-08T07:00:00", "2026-03-09T06:30:00" } },
    { "America/New_York", "0 2 * * *", "2026-03-07T12:00:00", { "2026-03-08T07:00:00", "2026-03-09T06:00:00" } },
    { "America/New_York", "0 3 * * *", "2026-03-07T12:00:00", { "2026-03-08T07:00:00", "2026-03-09T07:00:00" } },
    { "America/New_York", "15,45 2 * * *", "2026-03-07T12:00:00",
      { "2026-03-08T07:00:00", "2026-03-09T06:15:00", "2026-03-09T06:45:00" } },
    { "America/New_York", "*/30 * * * *", "2026-03-08T06:15:00",
      { "2026-03-08T06:30:00", "2026-03-08T07:00:00", "2026-03-08T07:30:00" } },
    { "America/New_York", "30 * * * *", "2026-03-08T06:45:00", { "2026-03-08T07:30:00", "2026-03-08T08:30:00" } },
    { "America/New_York", "30 2 8 3 *", "2026-01-01T00:00:00", { "2026-03-08T07:00:00", "2027-03-08T07:30:00" } },
    /* New York, 2026-11-01: 02:00 EDT -> 01:00 EST (06:00 UTC) */
    { "America/New_York", "30 1 * * *", "2026-10-31T12:00:00",
      { "2026-11-01T05:30:00", "2026-11-02T06:30:00" } },
    { "America/New_York", "0 1 * * *", "2026-10-31T12:00:00", { "2026-11-01T05:00:00", "2026-11-02T06:00:00" } },
    { "America/New_York", "*/30 * * * *", "2026-11-01T04:45:00",
      { "2026-11-01T05:00:00", "2026-11-01T05:30:00", "2026-11-01T06:00:00", "2026-11-01T06:30:00",
        "2026-11-01T07:00:00" } },
    { "America/New_York", "0 * * * *", "2026-11-01T04:30:00",
      { "2026-11-01T05:00:00", "2026-11-01T06:00:00", "2026-11-01T07:00:00" } },
    { "America/New_York", "30 1-2 * * *", "2026-11-01T04:00:00",
      { "2026-11-01T05:30:00", "2026-11-01T07:30:00", "2026-11-02T06:30:00" } },
    /* Paris, 2026-03-29: 02:00 CET -> 03:00 CEST (01:00 UTC); 2026-10-25: 03:00 CEST -> 02:00 CET (01:00 UTC) */
    { "Europe/Paris", "30 2 * * *", "2026-03-28T12:00:00", { "2026-03-29T01:00:00", "2026-03-30T00:30:00" } },
    { "Europe/Paris", "30 2 * * *", "2026-10-24T12:00:00", { "2026-10-25T00:30:00", "2026-10-26T01:30:00" } },
    { "Europe/Paris", "@daily", "2026-10-24T12:00:00", { "2026-10-24T22:00:00", "2026-10-25T23:00:00" } },
    { "Europe/Paris", "*/20 2 * * *", "2026-10-25T00:10:00",
      { "2026-10-25T00:20:00", "2026-10-25T00:40:00", "2026-10-25T01:00:00", "2026-10-25T01:20:00",
        "2026-10-25T01:40:00", "2026-10-26T01:00:00" } },
    /* Lord Howe: a 30-minute shift, 02:00 -> 02:30 on 2026-10-04 (15:30 UTC) */
    { "Australia/Lord_Howe", "15 2 * * *", "2026-10-03T00:00:00", { "2026-10-03T15:30:00", "2026-10-04T15:15:00" } },
    /* Apia skipped 2011-12-30 (a jump of 24 hours): a fixed-time job of that day is lost, as in cronie */
    { "Pacific/Apia", "0 12 * * *", "2011-12-29T12:00:00", { "2011-12-29T22:00:00", "2011-12-30T22:00:00" } },
};

static void
s_test_dst_cases (void)
{
    for (size_t i = 0; i < sizeof dst_cases / sizeof dst_cases[0]; i++) {
        const dst_case_t *d = &dst_cases[i];
        char error[512];
        ztask_tz_t *tz = ztask_tz_load (d->zone, error, sizeof error);
        ztask_cron_t cron;
        if (!tz || ztask_cron_parse (d->cron, &cron, error, sizeof error)) {
            TAP_OK (0, "%s '%s': %s", d->zone, d->cron, error);
            ztask_tz_destroy (&tz);
            continue;
        }
        int64_t t = s_at (d->after);
        char got[256] = "", one[32];
        bool ok = true;
        for (int k = 0; k < 6 && d->next[k]; k++) {
            int64_t next;
            if (ztask_cron_next (&cron, tz, t, &next) != 0) {
                ok = false;
                strcat (got, " none");
                break;
            }
            strcat (got, " ");
            strcat (got, s_iso (next, one, sizeof one));
            ok = ok && next == s_at (d->next[k]);
            t = next;
        }
        TAP_OK (ok, "%s '%s' after %sZ:%s", d->zone, d->cron, d->after, got);
        ztask_tz_destroy (&tz);
    }
}

/* ---- daylight saving: against a simulation of cronie's main loop ---- */

/* cronie's find_jobs for one local minute: does the job run? */
static bool
s_cronie_runs (const ztask_cron_t *c, int64_t local_minute, bool do_wild, bool do_fixed)
{
    if (!s_matches (c, local_minute * 60))
        return false;
    bool wild = ztask_cron_is_wildcard (c);
    return (do_fixed && !wild) || (do_wild && wild);
}

/* cronie's main loop (cron.c), woken at every UTC minute from..to in zone
   tz: timeRunning is the local minute, virtualTime the one it would be had
   the clock not jumped. Fills the UTC minutes at which the job runs. */
static size_t
s_cronie_simulate (const ztask_cron_t *c, const ztask_tz_t *tz, int64_t from, int64_t to, int64_t *runs, size_t max)
{
    size_t count = 0;
    ztask_tz_local_t local;
    ztask_tz_utc_to_local (tz, from - 60, &local);
    int64_t virtual_time = local.local / 60;
    for (int64_t t = from; t < to; t += 60) {
        ztask_tz_utc_to_local (tz, t, &local);
        int64_t running = local.local / 60, diff = running - virtual_time;
        bool run = false;
        if (diff == 1) {
            virtual_time = running;
            run = s_cronie_runs (c, virtual_time, true, true);
        }
        else if (diff > 180 || diff < -180) { /* large: jump, run everything for now */
            virtual_time = running;
            run = s_cronie_runs (c, running, true, true);
        }
        else if (diff > 5) { /* medium: wildcard jobs for now, fixed ones for each minute missed */
            run = s_cronie_runs (c, running, true, false);
            while (virtual_time < running) {
                virtual_time++;
                run = run || s_cronie_runs (c, virtual_time, false, true);
            }
        }
        else if (diff > 0) { /* small: everything for each minute missed */
            while (virtual_time < running) {
                virtual_time++;
                run = run || s_cronie_runs (c, virtual_time, true, true);
            }
        }
        else /* negative: wildcard jobs only, virtual time waits */
            run = s_cronie_runs (c, running, true, false);
        if (run && count < max)
            runs[count++] = t;
    }
    return count;
}

typedef struct {
    const char *zone;
    const char *from; /* UTC: a window of two days */
} window_t;

static void
s_test_against_cronie (void)
{
    /* hand-made zones for the jumps real ones do not have in a recent year:
       3 minutes forward (small) and 4 hours back (large) */
    uint8_t file[1024];
    int64_t small_times[] = { s_at ("2030-01-01T02:00:00") };
    int64_t back_times[] = { s_at ("2030-01-01T02:00:00") };
    uint8_t one[] = { 1 };
    int32_t small_offsets[] = { 0, 180 }, back_offsets[] = { 4 * 3600, 0 };
    uint8_t dst[] = { 0, 0 };
    size_t size = s_tzif (file, '2', small_times, one, 1, small_offsets, dst, 2, "", 0);
    ztask_tz_t *small = ztask_tz_parse (file, size, "Test/Small", NULL, 0);
    size = s_tzif (file, '2', back_times, one, 1, back_offsets, dst, 2, "", 0);
    ztask_tz_t *back = ztask_tz_parse (file, size, "Test/Back", NULL, 0);
    TAP_OK (small && back, "the hand-made zones parse");

    const window_t windows[] = {
        { "America/New_York", "2026-03-07T12:00:00" }, { "America/New_York", "2026-10-31T12:00:00" },
        { "Europe/Paris", "2026-03-28T12:00:00" },     { "Europe/Paris", "2026-10-24T12:00:00" },
        { "Australia/Lord_Howe", "2026-04-04T00:00:00" }, { "Australia/Lord_Howe", "2026-10-03T00:00:00" },
        { "Europe/Dublin", "2026-10-24T12:00:00" },    { "America/Nuuk", "2026-03-27T12:00:00" },
        { "Pacific/Apia", "2011-12-29T00:00:00" },     { "Test/Small", "2029-12-31T12:00:00" },
        { "Test/Back", "2029-12-31T12:00:00" },
    };
    const char *crons[] = { "30 2 * * *",   "0 2 * * *",     "15,45 2 * * *", "30 1 * * *",   "0 1 * * *",
                            "*/30 * * * *", "30 * * * *",    "0 * * * *",     "* * * * *",    "*/7 2 * * *",
                            "0-59/10 1-3 * * *", "0 0 * * *", "45 0-4 * * *", "59 1 * * *",   "1 3 * * *",
                            "30 11-13 * * *", "* 2 * * *",   "0 12 * * *",    "0,30 0-23 * * *" };
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        ztask_tz_t *tz = strcmp (windows[w].zone, "Test/Small") == 0  ? small
                         : strcmp (windows[w].zone, "Test/Back") == 0 ? back
                                                                      : ztask_tz_load (windows[w].zone, NULL, 0);
        int64_t from = s_at (windows[w].from), to = from + 2 * 86400;
        int agree = 0;
        char first_wrong[512] = "";
        for (size_t i = 0; i < sizeof crons / sizeof crons[0]; i++) {
            ztask_cron_t c;
            ztask_cron_parse (crons[i], &c, NULL, 0);
            static int64_t expected[3000], got[3000];
            size_t n = s_cronie_simulate (&c, tz, from, to, expected, 3000), m = 0;
            int64_t t = from - 1, next;
            while (m < 3000 && ztask_cron_next (&c, tz, t, &next) == 0 && next < to) {
                got[m++] = next;
                t = next;
            }
            bool same = n == m && memcmp (expected, got, n * sizeof (int64_t)) == 0;
            if (same)
                agree++;
            else if (!first_wrong[0]) {
                size_t k = 0;
                while (k < n && k < m && expected[k] == got[k])
                    k++;
                char a[32] = "(end)", b[32] = "(end)";
                if (k < n)
                    s_iso (expected[k], a, sizeof a);
                if (k < m)
                    s_iso (got[k], b, sizeof b);
                snprintf (first_wrong, sizeof first_wrong, "'%s': cronie runs %zu times, next gives %zu; at #%zu cronie %s, next %s",
                          crons[i], n, m, k, a, b);
            }
        }
        TAP_OK (agree == (int) (sizeof crons / sizeof crons[0]),
                "%s from %sZ: %d of %zu schedules fire exactly when cronie's loop would run them%s%s",
                windows[w].zone, windows[w].from, agree, sizeof crons / sizeof crons[0], first_wrong[0] ? "; " : "",
                first_wrong);
        if (tz != small && tz != back)
            ztask_tz_destroy (&tz);
    }
    ztask_tz_destroy (&small);
    ztask_tz_destroy (&back);
}

/* ---- threads: one zone shared, no TZ touched ---- */

typedef struct {
    const ztask_tz_t *tz;
    int64_t sum;
} s_thread_arg_t;

static void *
s_thread (void *arg)
{
    s_thread_arg_t *self = (s_thread_arg_t *) arg;
    ztask_cron_t cron;
    ztask_cron_parse ("*/13 1-3 * * *", &cron, NULL, 0);
    int64_t t = s_at ("2026-01-01T00:00:00"), next;
    for (int i = 0; i < 3000 && ztask_cron_next (&cron, self->tz, t, &next) == 0; i++) {
        self->sum += next;
        t = next;
    }
    return NULL;
}

static void
s_test_threads (void)
{
    const char *tz_before = getenv ("TZ");
    char *saved = tz_before ? strdup (tz_before) : NULL;
    ztask_tz_t *tz = ztask_tz_load ("America/New_York", NULL, 0);
    s_thread_arg_t alone = { tz, 0 };
    s_thread (&alone);
    pthread_t threads[4];
    s_thread_arg_t args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (s_thread_arg_t) { tz, 0 };
        pthread_create (&threads[i], NULL, s_thread, &args[i]);
    }
    bool same = true;
    for (int i = 0; i < 4; i++) {
        pthread_join (threads[i], NULL);
        same = same && args[i].sum == alone.sum;
    }
    TAP_OK (same, "4 threads sharing one zone get the same fire times as one");
    const char *tz_after = getenv ("TZ");
    TAP_OK ((!saved && !tz_after) || (saved && tz_after && strcmp (saved, tz_after) == 0),
            "the TZ environment variable is untouched");
    free (saved);
    ztask_tz_destroy (&tz);
}

int
main (void)
{
    unsetenv ("TZDIR");
    s_test_accepted ();
    s_test_refused ();
    s_test_next_utc ();
    s_test_cross_check ();
    s_test_zone_api ();
    s_test_tzif_files ();
    s_test_zones_against_glibc ();
    s_test_dst_cases ();
    s_test_against_cronie ();
    s_test_threads ();
    return tap_done ();
}
