/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_cron - cron expressions, TZif time zones and fire times
    (ztask_cron.h; the language and the daylight-saving rules:
    docs/scheduling.md).

    Parsing: the text is split into five fields at spaces and tabs; each
    field is a list of elements ('*', N, A-B, each with an optional /STEP)
    that set bits in the field's mask. The flags remember which fields
    started with '*': cronie's day rule and daylight-saving rule hang on
    them, so the canonical text keeps them.

    Zones: a TZif file becomes one allocation (the struct, the transition
    times, their types, the local time types) plus the footer's POSIX TZ
    rule for the times after the last transition. s_span answers "which
    local time type rules at instant t, since when and until when"; every
    conversion and the fire-time search are built on it.

    Fire times: the search walks the zone's spans (each a stretch of UTC
    time with one UTC offset). Inside a span, local time is UTC plus a
    constant, so the next matching local minute is found by stepping the
    fields (month, then day, hour, minute: s_local_next); at a span's
    start the jump from the previous offset decides what a skipped or
    repeated stretch of local time does (cronie's rules). */
#include "ztask_cron.h"
#include "ztask_utf8.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DAY 86400
/* 400 Gregorian years: after them every date falls on the same weekday again. */
#define S_CYCLE_SECONDS (INT64_C(146097) * S_DAY)
/* cronie's thresholds (cron.c): a forward jump under 5 minutes runs every
   job of the skipped minutes, one of 3 hours or more none; a backward jump
   of more than 181 minutes (its timeDiff below -180) reruns everything. */
#define S_JUMP_SMALL (5 * 60)
#define S_JUMP_LARGE (3 * 3600)
#define S_BACK_LARGE (181 * 60)
/* The offsets RFC 8536 allows (-25 h + 1 s to 26 h - 1 s), and a margin around them. */
#define S_OFFSET_MIN (-89999)
#define S_OFFSET_MAX 93599
#define S_OFFSET_MARGIN (27 * 3600)
#define S_MINUTES_ALL UINT64_C(0x0FFFFFFFFFFFFFFF)
#define S_HOURS_ALL UINT32_C(0x00FFFFFF)
#define S_DAYS_ALL UINT32_C(0xFFFFFFFE)
#define S_MONTHS_ALL UINT16_C(0x1FFE)
#define S_WEEKDAYS_ALL UINT8_C(0x7F)
#define S_DEFAULT_ZONEINFO "/usr/share/zoneinfo"

/* ---- civil time ---- */

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static bool
s_leap (int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
s_days_in_month (int64_t year, int month)
{
    static const int days[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && s_leap (year) ? 29 : days[month];
}

/* Days since 1970-01-01 of a date (month 1-12, day 1-31; H. Hinnant's algorithm). */
static int64_t
s_days_from_civil (int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t yoe = year - era * 400;
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
s_civil_from_days (int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int) (doy - (153 * mp + 2) / 5 + 1);
    *month = (int) (mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* 0 = Sunday. */
static int
s_weekday (int64_t days)
{
    return (int) (days - s_floor_div (days + 4, 7) * 7 + 4);
}

void
ztask_civil_from_seconds (int64_t seconds, ztask_civil_t *civil)
{
    assert (civil);
    int64_t days = s_floor_div (seconds, S_DAY);
    int64_t rest = seconds - days * S_DAY;
    int64_t year;
    s_civil_from_days (days, &year, &civil->month, &civil->day);
    civil->year = (int) year;
    civil->hour = (int) (rest / 3600);
    civil->minute = (int) (rest % 3600 / 60);
    civil->second = (int) (rest % 60);
    civil->weekday = s_weekday (days);
}

int64_t
ztask_civil_to_seconds (const ztask_civil_t *civil)
{
    assert (civil);
    int64_t months = (int64_t) civil->month - 1;
    int64_t year = (int64_t) civil->year + s_floor_div (months, 12);
    int month = (int) (months - s_floor_div (months, 12) * 12) + 1;
    int64_t days = s_days_from_civil (year, month, 1) + (int64_t) civil->day - 1;
    return days * S_DAY + (int64_t) civil->hour * 3600 + (int64_t) civil->minute * 60 + civil->second;
}

/* ---- error messages ---- */

static void
s_error (char *error, size_t error_size, const char *format, ...)
{
    if (!error || !error_size)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (error, error_size, format, args);
    va_end (args);
}

/* ---- cron expressions: parsing ---- */

typedef struct {
    const char *name;         /* "day-of-week"                                   */
    int low;                  /* smallest value                                  */
    int high;                 /* largest value (day-of-week: 7, Sunday again)    */
    int last;                 /* where '*' and A/STEP end (day-of-week: 6)       */
    int step_max;             /* the field's width: a larger step makes no sense */
    const char *const *names; /* 3-letter names of low.. (NULL: numbers only)    */
    const char *name_kind;    /* "month" / "day"                                 */
    const char *name_list;    /* for the message of an unknown name              */
    uint8_t star_flag;        /* ZTASK_CRON_*_STAR, 0 for the month              */
} s_field_t;

static const char *const s_month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const s_day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

enum { S_MINUTE, S_HOUR, S_DOM, S_MONTH, S_DOW, S_FIELDS };

static const s_field_t s_fields[S_FIELDS] = {
    { "minute", 0, 59, 59, 60, NULL, NULL, NULL, ZTASK_CRON_MINUTE_STAR },
    { "hour", 0, 23, 23, 24, NULL, NULL, NULL, ZTASK_CRON_HOUR_STAR },
    { "day-of-month", 1, 31, 31, 31, NULL, NULL, NULL, ZTASK_CRON_DOM_STAR },
    { "month", 1, 12, 12, 12, s_month_names, "month", "jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec",
      0 },
    { "day-of-week", 0, 7, 6, 7, s_day_names, "day", "sun, mon, tue, wed, thu, fri, sat", ZTASK_CRON_DOW_STAR },
};

static bool
s_digit (int c)
{
    return c >= '0' && c <= '9';
}

static bool
s_alpha (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
s_space (int c)
{
    return c == ' ' || c == '\t';
}

static int
s_lower (int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}


/* Writes "FIELD field, column N: WHAT" into error and returns -1. */
static int
s_field_fail (char *error, size_t error_size, const char *text, size_t at, const s_field_t *field,
              const char *format, ...)
{
    if (!error || !error_size)
        return -1;
    int n = snprintf (error, error_size, "%s field, column %zu: ", field->name, ztask_utf8_column (text, at));
    if (n >= 0 && (size_t) n < error_size) {
        va_list args;
        va_start (args, format);
        vsnprintf (error + n, error_size - (size_t) n, format, args);
        va_end (args);
    }
    return -1;
}

/* "a number", "a number or a month name": what a value may be. */
static const char *
s_expected (const s_field_t *field)
{
    if (field->names == s_month_names)
        return "a number or a month name";
    if (field->names == s_day_names)
        return "a number or a day name";
    return "a number";
}

/* Reads a value (digits, or a name where the field has names) at *at, the
   field ending at end. 0 and the value, *at past it; -1 with the message. */
static int
s_value (const char *text, size_t *at, size_t end, const s_field_t *field, int *value, char *error,
         size_t error_size)
{
    size_t start = *at, i = start;
    if (i < end && s_digit (text[i])) {
        long number = 0;
        while (i < end && s_digit (text[i])) {
            if (number <= 100000)
                number = number * 10 + (text[i] - '0');
            i++;
        }
        if (number < field->low || number > field->high)
            return s_field_fail (error, error_size, text, start, field, "%.*s is out of range %d-%d",
                                 (int) (i - start), text + start, field->low, field->high);
        *value = (int) number;
        *at = i;
        return 0;
    }
    if (i < end && s_alpha (text[i]) && field->names) {
        while (i < end && s_alpha (text[i]))
            i++;
        size_t length = i - start;
        if (length == 3)
            for (int n = 0; field->names[n]; n++)
                if (s_lower (text[start]) == field->names[n][0] && s_lower (text[start + 1]) == field->names[n][1]
                    && s_lower (text[start + 2]) == field->names[n][2]) {
                    *value = field->low + n;
                    *at = i;
                    return 0;
                }
        return s_field_fail (error, error_size, text, start, field, "'%.*s' is not a %s name (%s)",
                             (int) (length > 20 ? 20 : length), text + start, field->name_kind, field->name_list);
    }
    return s_field_fail (error, error_size, text, start, field, "expected %s", s_expected (field));
}

/* Reads "/STEP" at *at (the '/' already seen there). */
static int
s_step (const char *text, size_t *at, size_t end, const s_field_t *field, int *step, char *error,
        size_t error_size)
{
    size_t start = *at + 1, i = start;
    if (i >= end || !s_digit (text[i]))
        return s_field_fail (error, error_size, text, i, field, "expected a step (a number from 1 to %d) after '/'",
                             field->step_max);
    long number = 0;
    while (i < end && s_digit (text[i])) {
        if (number <= 100000)
            number = number * 10 + (text[i] - '0');
        i++;
    }
    if (number == 0)
        return s_field_fail (error, error_size, text, start, field, "a step of 0 is not allowed (steps start at 1)");
    if (number > field->step_max)
        return s_field_fail (error, error_size, text, start, field, "step %.*s is out of range 1-%d",
                             (int) (i - start), text + start, field->step_max);
    *step = (int) number;
    *at = i;
    return 0;
}

/* Parses one field, text[at..end), into *bits (bit n = value n). */
static int
s_parse_field (const char *text, size_t at, size_t end, const s_field_t *field, uint64_t *bits, char *error,
               size_t error_size)
{
    *bits = 0;
    size_t i = at;
    for (;;) {
        size_t element = i;
        int low, high, step = 1;
        const char *after; /* what may follow, for the message */
        if (text[i] == '*') {
            low = field->low;
            high = field->last;
            i++;
            after = "'/' or ','";
            if (i < end && text[i] == '/') {
                if (s_step (text, &i, end, field, &step, error, error_size))
                    return -1;
                after = "','";
            }
        }
        else {
            if (s_value (text, &i, end, field, &low, error, error_size))
                return -1;
            high = low;
            after = "'-', '/' or ','";
            if (i < end && text[i] == '-') {
                i++;
                if (s_value (text, &i, end, field, &high, error, error_size))
                    return -1;
                if (low > high) {
                    if (field->names == s_day_names && high == 0)
                        high = 7; /* fri-sun: Sunday as 7 (cronie) */
                    else
                        return s_field_fail (error, error_size, text, element, field,
                                             "range %d-%d goes backwards: its start is greater than its end", low,
                                             high);
                }
                after = "'/' or ','";
            }
            else if (i < end && text[i] == '/')
                high = low > field->last ? low : field->last; /* A/STEP: A to the last value */
            if (i < end && text[i] == '/') {
                if (s_step (text, &i, end, field, &step, error, error_size))
                    return -1;
                after = "','";
            }
        }
        for (int v = low; v <= high; v += step)
            *bits |= UINT64_C(1) << v;
        if (i >= end)
            return 0;
        if (text[i] != ',')
            return s_field_fail (error, error_size, text, i, field, "expected %s", after);
        i++;
        if (i >= end)
            return s_field_fail (error, error_size, text, i, field, "expected %s after ','", s_expected (field));
    }
}

static const char *const s_macros[][2] = {
    { "yearly", "0 0 1 1 *" }, { "annually", "0 0 1 1 *" }, { "monthly", "0 0 1 * *" }, { "weekly", "0 0 * * 0" },
    { "daily", "0 0 * * *" },  { "midnight", "0 0 * * *" }, { "hourly", "0 * * * *" },
};

static bool
s_word_is (const char *text, size_t length, const char *word)
{
    if (strlen (word) != length)
        return false;
    for (size_t i = 0; i < length; i++)
        if (s_lower (text[i]) != word[i])
            return false;
    return true;
}

static int s_parse (const char *text, ztask_cron_t *cron, char *error, size_t error_size);

static int
s_parse_macro (const char *text, size_t at, ztask_cron_t *cron, char *error, size_t error_size)
{
    size_t end = at + 1;
    while (text[end] && !s_space (text[end]))
        end++;
    const char *name = text + at + 1;
    size_t length = end - at - 1;
    size_t rest = end;
    while (s_space (text[rest]))
        rest++;
    if (s_word_is (name, length, "reboot")) {
        s_error (error, error_size,
                 "column %zu: @reboot is not supported: a schedule fires at times of day, not when the broker "
                 "starts",
                 ztask_utf8_column (text, at));
        return -1;
    }
    for (size_t i = 0; i < sizeof s_macros / sizeof s_macros[0]; i++)
        if (s_word_is (name, length, s_macros[i][0])) {
            if (text[rest]) {
                s_error (error, error_size, "column %zu: expected nothing after @%s (a macro is the whole expression)",
                         ztask_utf8_column (text, rest), s_macros[i][0]);
                return -1;
            }
            return s_parse (s_macros[i][1], cron, error, error_size);
        }
    bool word = length > 0 && length <= 20;
    for (size_t i = 0; i < length && word; i++)
        word = s_alpha (name[i]);
    if (word)
        s_error (error, error_size,
                 "column %zu: unknown macro '@%.*s' (expected @yearly, @annually, @monthly, @weekly, @daily, "
                 "@midnight or @hourly)",
                 ztask_utf8_column (text, at), (int) length, name);
    else
        s_error (error, error_size,
                 "column %zu: expected a macro after '@' (@yearly, @annually, @monthly, @weekly, @daily, "
                 "@midnight or @hourly)",
                 ztask_utf8_column (text, at));
    return -1;
}

/* True if some day of the day-of-month field occurs in some month of the month field. */
static bool
s_days_occur (const ztask_cron_t *cron)
{
    for (int month = 1; month <= 12; month++)
        if (cron->months & (1u << month)) {
            int days = month == 2 ? 29 : s_days_in_month (2001, month);
            if (cron->days & ((UINT32_C (2) << days) - 2))
                return true;
        }
    return false;
}

static int
s_parse (const char *text, ztask_cron_t *cron, char *error, size_t error_size)
{
    size_t at = 0;
    while (s_space (text[at]))
        at++;
    if (text[at] == '@')
        return s_parse_macro (text, at, cron, error, error_size);

    size_t starts[S_FIELDS], ends[S_FIELDS], count = 0;
    for (size_t i = at; text[i];) {
        if (count < S_FIELDS)
            starts[count] = i;
        while (text[i] && !s_space (text[i]))
            i++;
        if (count < S_FIELDS)
            ends[count] = i;
        count++;
        while (s_space (text[i]))
            i++;
    }
    if (count != S_FIELDS) {
        s_error (error, error_size, "expected 5 fields, found %zu (minute hour day-of-month month day-of-week)",
                 count);
        return -1;
    }
    uint64_t bits[S_FIELDS];
    uint8_t flags = 0;
    for (int f = 0; f < S_FIELDS; f++) {
        if (s_parse_field (text, starts[f], ends[f], &s_fields[f], &bits[f], error, error_size))
            return -1;
        if (text[starts[f]] == '*')
            flags |= s_fields[f].star_flag;
    }
    cron->minutes = bits[S_MINUTE];
    cron->hours = (uint32_t) bits[S_HOUR];
    cron->days = (uint32_t) bits[S_DOM];
    cron->months = (uint16_t) bits[S_MONTH];
    cron->weekdays = (uint8_t) ((bits[S_DOW] | bits[S_DOW] >> 7) & S_WEEKDAYS_ALL); /* 7 is Sunday */
    cron->flags = flags;
    if ((flags & (ZTASK_CRON_DOM_STAR | ZTASK_CRON_DOW_STAR)) && !s_days_occur (cron))
        return s_field_fail (error, error_size, text, starts[S_DOM], &s_fields[S_DOM],
                             "none of these days occurs in the months of the month field (a month has 29, 30 or "
                             "31 days), so it would never fire");
    return 0;
}

int
ztask_cron_parse (const char *text, ztask_cron_t *cron, char *error, size_t error_size)
{
    assert (cron);
    memset (cron, 0, sizeof *cron);
    if (!text)
        text = "";
    if (strnlen (text, ZTASK_CRON_TEXT_MAX + 1) > ZTASK_CRON_TEXT_MAX) {
        s_error (error, error_size, "the expression is longer than %d bytes", ZTASK_CRON_TEXT_MAX);
        return -1;
    }
    if (s_parse (text, cron, error, error_size) == 0)
        return 0;
    memset (cron, 0, sizeof *cron);
    return -1;
}

bool
ztask_cron_equal (const ztask_cron_t *a, const ztask_cron_t *b)
{
    assert (a && b);
    return a->minutes == b->minutes && a->hours == b->hours && a->days == b->days && a->months == b->months
           && a->weekdays == b->weekdays && a->flags == b->flags;
}

bool
ztask_cron_is_wildcard (const ztask_cron_t *cron)
{
    assert (cron);
    return (cron->flags & (ZTASK_CRON_MINUTE_STAR | ZTASK_CRON_HOUR_STAR)) != 0;
}

/* ---- cron expressions: the canonical text ---- */

typedef struct {
    char *buffer;  /* where the text goes   */
    size_t size;   /* its capacity          */
    size_t used;   /* bytes written so far  */
    bool full;     /* something did not fit */
} s_out_t;

static void
s_put (s_out_t *out, const char *format, ...)
{
    if (out->full)
        return;
    va_list args;
    va_start (args, format);
    int n = vsnprintf (out->buffer + out->used, out->size - out->used, format, args);
    va_end (args);
    if (n < 0 || (size_t) n >= out->size - out->used)
        out->full = true;
    else
        out->used += (size_t) n;
}

/* Writes the values of bits between low and last as a list, each lowest
   remaining value starting the longest progression it can (a-b, a-b/n),
   or standing alone when that progression is shorter than 3. */
static void
s_put_list (s_out_t *out, uint64_t bits, int low, int last, bool comma)
{
    for (int a = low; a <= last; a++) {
        if (!(bits & (UINT64_C(1) << a)))
            continue;
        int best_step = 1, best_count = 1;
        for (int step = 1; a + step <= last; step++) {
            int count = 1;
            while (a + count * step <= last && (bits & (UINT64_C(1) << (a + count * step))))
                count++;
            if (count > best_count) {
                best_count = count;
                best_step = step;
            }
        }
        if (best_count >= 3) {
            int b = a + (best_count - 1) * best_step;
            if (best_step == 1)
                s_put (out, "%s%d-%d", comma ? "," : "", a, b);
            else
                s_put (out, "%s%d-%d/%d", comma ? "," : "", a, b, best_step);
            for (int k = 0; k < best_count; k++)
                bits &= ~(UINT64_C(1) << (a + k * best_step));
        }
        else {
            s_put (out, "%s%d", comma ? "," : "", a);
            bits &= ~(UINT64_C(1) << a);
        }
        comma = true;
    }
}

static void
s_put_field (s_out_t *out, const s_field_t *field, uint64_t bits, bool star)
{
    uint64_t all = 0;
    for (int v = field->low; v <= field->last; v++)
        all |= UINT64_C(1) << v;
    bits &= all;
    if (star || (!field->star_flag && bits == all)) {
        /* '*' with the step whose values are all set and cover the most */
        int best_step = 0, best_count = 0;
        uint64_t best_bits = 0;
        for (int step = 1; step <= field->step_max; step++) {
            uint64_t pattern = 0;
            int count = 0;
            for (int v = field->low; v <= field->last; v += step, count++)
                pattern |= UINT64_C(1) << v;
            if ((pattern & bits) == pattern && count > best_count) {
                best_step = step;
                best_count = count;
                best_bits = pattern;
            }
        }
        if (best_step == 0) /* a hand-made struct that no text gives: the lowest value */
            best_step = field->step_max, best_bits = UINT64_C(1) << field->low;
        if (best_step == 1)
            s_put (out, "*");
        else
            s_put (out, "*/%d", best_step);
        s_put_list (out, bits & ~best_bits, field->low, field->last, true);
    }
    else if (bits)
        s_put_list (out, bits, field->low, field->last, false);
    else
        s_put (out, "%d", field->low); /* an empty hand-made field */
}

int
ztask_cron_format (const ztask_cron_t *cron, char *buffer, size_t size)
{
    assert (cron);
    if (!buffer || !size)
        return -1;
    s_out_t out = { buffer, size, 0, false };
    buffer[0] = 0;
    const uint64_t bits[S_FIELDS] = { cron->minutes, cron->hours, cron->days, cron->months, cron->weekdays };
    for (int f = 0; f < S_FIELDS; f++) {
        if (f)
            s_put (&out, " ");
        s_put_field (&out, &s_fields[f], bits[f], (cron->flags & s_fields[f].star_flag) != 0);
    }
    if (out.full) {
        buffer[0] = 0;
        return -1;
    }
    return (int) out.used;
}

/* ---- time zones: the object ---- */

/* A local time type: what the clocks say for a while. */
typedef struct {
    int32_t offset;                           /* seconds east of UTC        */
    bool dst;                                 /* daylight-saving time       */
    char abbreviation[ZTASK_TZ_ABBR_MAX + 1]; /* "CEST"                     */
} s_type_t;

/* One date rule of a POSIX TZ string (the footer). */
typedef enum {
    S_RULE_JULIAN1 = 1, /* Jn: day n (1-365), February 29 never counted */
    S_RULE_JULIAN0,     /* n: day n (0-365), February 29 counted        */
    S_RULE_MONTH        /* Mm.w.d: day d of week w (5: last) of month m */
} s_rule_kind_t;

typedef struct {
    s_rule_kind_t kind; /* which form                                          */
    int day;            /* Jn / n: the day; Mm.w.d: the weekday d (0 = Sunday) */
    int week;           /* Mm.w.d: w, 1-5                                      */
    int month;          /* Mm.w.d: m, 1-12                                     */
    int32_t time;       /* local time of day of the change, seconds (-167 h to 167 h) */
} s_rule_t;

struct _ztask_tz_t {
    char name[ZTASK_TZ_NAME_MAX + 1]; /* as loaded                                     */
    size_t transition_count;          /* entries in transitions and transition_types */
    int64_t *transitions;             /* UTC instants, strictly ascending            */
    uint8_t *transition_types;        /* the type from each transition on            */
    size_t type_count;                /* entries in types (1-256)                    */
    s_type_t *types;                  /* types[0] also rules before the first one    */
    bool has_footer;                  /* a TZ string rules after the last transition */
    bool footer_has_dst;              /* ... with daylight saving                     */
    s_type_t footer_std;              /* its standard time                           */
    s_type_t footer_dst;              /* its daylight-saving time                    */
    s_rule_t footer_start;            /* when daylight saving starts (local std time) */
    s_rule_t footer_end;              /* when it ends (local daylight-saving time)   */
};

static const s_type_t s_utc_type = { 0, false, "UTC" };

/* A stretch of time with one local time type. */
typedef struct {
    const s_type_t *type; /* the type in effect                           */
    int64_t start;        /* its first instant (INT64_MIN: since ever)    */
    int64_t end;          /* the first instant after (INT64_MAX: forever) */
} s_span_t;

static ztask_tz_t *
s_tz_new (const char *name, size_t transition_count, size_t type_count)
{
    size_t size = sizeof (ztask_tz_t) + transition_count * sizeof (int64_t) + type_count * sizeof (s_type_t)
                  + transition_count;
    ztask_tz_t *self = (ztask_tz_t *) calloc (1, size);
    if (!self)
        return NULL;
    snprintf (self->name, sizeof self->name, "%s", name ? name : "-");
    self->transition_count = transition_count;
    self->type_count = type_count;
    self->transitions = (int64_t *) (self + 1);
    self->types = (s_type_t *) (self->transitions + transition_count);
    self->transition_types = (uint8_t *) (self->types + type_count);
    return self;
}

void
ztask_tz_destroy (ztask_tz_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

const char *
ztask_tz_name (const ztask_tz_t *self)
{
    return self ? self->name : "UTC";
}

/* The day (days since the epoch) a footer rule names in a year. */
static int64_t
s_rule_day (const s_rule_t *rule, int64_t year)
{
    int64_t jan1 = s_days_from_civil (year, 1, 1);
    if (rule->kind == S_RULE_JULIAN1)
        return jan1 + rule->day - 1 + (s_leap (year) && rule->day >= 60);
    if (rule->kind == S_RULE_JULIAN0)
        return jan1 + rule->day;
    int64_t first = s_days_from_civil (year, rule->month, 1);
    int day = 1 + (rule->day - s_weekday (first) + 7) % 7 + 7 * (rule->week - 1);
    int days = s_days_in_month (year, rule->month);
    while (day > days)
        day -= 7;
    return first + day - 1;
}

/* The span of the footer's rule around t, not starting before lower. */
static void
s_footer_span (const ztask_tz_t *self, int64_t t, int64_t lower, s_span_t *span)
{
    if (!self->footer_has_dst) {
        span->type = &self->footer_std;
        span->start = lower;
        span->end = INT64_MAX;
        return;
    }
    /* the changes of five years around t, in order (a tie: the end of
       daylight saving first, so that a rule with it all year keeps it) */
    int64_t year;
    int month, day;
    s_civil_from_days (s_floor_div (t + self->footer_std.offset, S_DAY), &year, &month, &day);
    int64_t at[10];
    bool to_dst[10];
    int n = 0;
    for (int64_t y = year - 2; y <= year + 2; y++) {
        at[n] = s_rule_day (&self->footer_end, y) * S_DAY + self->footer_end.time - self->footer_dst.offset;
        to_dst[n++] = false;
        at[n] = s_rule_day (&self->footer_start, y) * S_DAY + self->footer_start.time - self->footer_std.offset;
        to_dst[n++] = true;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && (at[j - 1] > at[j] || (at[j - 1] == at[j] && to_dst[j - 1] && !to_dst[j])); j--) {
            int64_t a = at[j];
            bool b = to_dst[j];
            at[j] = at[j - 1];
            to_dst[j] = to_dst[j - 1];
            at[j - 1] = a;
            to_dst[j - 1] = b;
        }
    int last = -1;
    for (int i = 0; i < n && at[i] <= t; i++)
        last = i;
    bool dst = last >= 0 ? to_dst[last] : !to_dst[0];
    span->type = dst ? &self->footer_dst : &self->footer_std;
    span->start = last >= 0 && at[last] > lower ? at[last] : lower;
    span->end = last + 1 < n ? at[last + 1] : INT64_MAX;
}

/* The span that holds instant t (|t| well inside 2^62). */
static void
s_span (const ztask_tz_t *self, int64_t t, s_span_t *span)
{
    if (!self) {
        span->type = &s_utc_type;
        span->start = INT64_MIN;
        span->end = INT64_MAX;
        return;
    }
    size_t n = self->transition_count;
    if (n == 0) {
        if (self->has_footer)
            s_footer_span (self, t, INT64_MIN, span);
        else {
            span->type = &self->types[0];
            span->start = INT64_MIN;
            span->end = INT64_MAX;
        }
        return;
    }
    if (t < self->transitions[0]) {
        span->type = &self->types[0];
        span->start = INT64_MIN;
        span->end = self->transitions[0];
        return;
    }
    size_t low = 0, high = n - 1; /* the last transition <= t */
    while (low < high) {
        size_t middle = low + (high - low + 1) / 2;
        if (self->transitions[middle] <= t)
            low = middle;
        else
            high = middle - 1;
    }
    if (low == n - 1 && self->has_footer) {
        s_footer_span (self, t, self->transitions[low], span);
        return;
    }
    span->type = &self->types[self->transition_types[low]];
    span->start = self->transitions[low];
    span->end = low + 1 < n ? self->transitions[low + 1] : INT64_MAX;
}

/* ---- time zones: reading TZif ---- */

static uint32_t
s_be32 (const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static int64_t
s_be64 (const uint8_t *p)
{
    return (int64_t) ((uint64_t) s_be32 (p) << 32 | s_be32 (p + 4));
}

/* Copies an abbreviation, characters other than letters, digits, '+' and '-' as '?'. */
static void
s_copy_abbreviation (char *to, const char *from, size_t length)
{
    if (length > ZTASK_TZ_ABBR_MAX)
        length = ZTASK_TZ_ABBR_MAX;
    for (size_t i = 0; i < length; i++) {
        char c = from[i];
        to[i] = s_alpha (c) || s_digit (c) || c == '+' || c == '-' ? c : '?';
    }
    to[length] = 0;
}

/* A TZif header's counts. */
typedef struct {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} s_header_t;

static int
s_header (const uint8_t *data, size_t size, size_t at, s_header_t *header, int *version, char *error,
          size_t error_size)
{
    if (size < at + 44 || memcmp (data + at, "TZif", 4) != 0) {
        s_error (error, error_size, at ? "malformed TZif file: no second header where the version 2 data should be"
                                       : "not a TZif file (it does not start with \"TZif\")");
        return -1;
    }
    *version = data[at + 4];
    if (*version != 0 && (*version < '2' || *version > '9')) {
        s_error (error, error_size, "malformed TZif file: unknown version byte 0x%02x", *version);
        return -1;
    }
    const uint8_t *p = data + at + 20;
    header->isutcnt = s_be32 (p);
    header->isstdcnt = s_be32 (p + 4);
    header->leapcnt = s_be32 (p + 8);
    header->timecnt = s_be32 (p + 12);
    header->typecnt = s_be32 (p + 16);
    header->charcnt = s_be32 (p + 20);
    return 0;
}

/* Bytes of the data block after a header (counts are 32-bit: no overflow in 64). */
static uint64_t
s_block_size (const s_header_t *h, int time_size)
{
    return (uint64_t) h->timecnt * (uint64_t) (time_size + 1) + (uint64_t) h->typecnt * 6 + h->charcnt
           + (uint64_t) h->leapcnt * (uint64_t) (time_size + 4) + h->isstdcnt + h->isutcnt;
}

static int s_parse_footer (ztask_tz_t *self, const char *text, size_t length, char *error, size_t error_size);

ztask_tz_t *
ztask_tz_parse (const void *bytes, size_t size, const char *name, char *error, size_t error_size)
{
    const uint8_t *data = (const uint8_t *) bytes;
    if (!data)
        size = 0;
    s_header_t h;
    int version;
    if (s_header (data, size, 0, &h, &version, error, error_size))
        return NULL;
    size_t at = 44;
    int time_size = 4;
    if (version != 0) { /* skip the 32-bit data: the 64-bit header and data follow */
        uint64_t skip = s_block_size (&h, 4);
        if (skip > size - at) {
            s_error (error, error_size, "malformed TZif file: truncated in the version 1 data");
            return NULL;
        }
        at += (size_t) skip;
        int version2;
        if (s_header (data, size, at, &h, &version2, error, error_size))
            return NULL;
        at += 44;
        time_size = 8;
    }
    if (h.typecnt == 0 || h.typecnt > 256) {
        s_error (error, error_size, "malformed TZif file: %u local time types (1 to 256 expected)", h.typecnt);
        return NULL;
    }
    if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
        s_error (error, error_size, "malformed TZif file: indicator counts differ from the type count");
        return NULL;
    }
    if (h.charcnt == 0) {
        s_error (error, error_size, "malformed TZif file: no abbreviation characters");
        return NULL;
    }
    if (h.leapcnt != 0) {
        s_error (error, error_size, "a leap-second zone (a \"right/\" file): not supported, use the zone without "
                                    "\"right/\"");
        return NULL;
    }
    uint64_t block = s_block_size (&h, time_size);
    if (block > size - at) {
        s_error (error, error_size, "malformed TZif file: truncated (%u transitions, %u types announced)",
                 h.timecnt, h.typecnt);
        return NULL;
    }
    ztask_tz_t *self = s_tz_new (name, h.timecnt, h.typecnt);
    if (!self) {
        s_error (error, error_size, "out of memory");
        return NULL;
    }
    const uint8_t *p = data + at;
    for (size_t i = 0; i < h.timecnt; i++, p += time_size) {
        self->transitions[i] = time_size == 8 ? s_be64 (p) : (int64_t) (int32_t) s_be32 (p);
        if (i > 0 && self->transitions[i] <= self->transitions[i - 1]) {
            s_error (error, error_size, "malformed TZif file: transition times are not in ascending order");
            goto fail;
        }
    }
    for (size_t i = 0; i < h.timecnt; i++, p++) {
        if (*p >= h.typecnt) {
            s_error (error, error_size, "malformed TZif file: a transition names type %u of %u", *p, h.typecnt);
            goto fail;
        }
        self->transition_types[i] = *p;
    }
    const uint8_t *chars = p + (size_t) h.typecnt * 6;
    for (size_t i = 0; i < h.typecnt; i++, p += 6) {
        int32_t offset = (int32_t) s_be32 (p);
        if (offset < S_OFFSET_MIN || offset > S_OFFSET_MAX) {
            s_error (error, error_size, "malformed TZif file: a UTC offset of %ld seconds", (long) offset);
            goto fail;
        }
        if (p[4] > 1 || p[5] >= h.charcnt) {
            s_error (error, error_size, "malformed TZif file: a local time type is out of range");
            goto fail;
        }
        self->types[i].offset = offset;
        self->types[i].dst = p[4] == 1;
        const char *abbreviation = (const char *) chars + p[5];
        size_t length = strnlen (abbreviation, h.charcnt - p[5]);
        s_copy_abbreviation (self->types[i].abbreviation, abbreviation, length);
    }
    at += (size_t) block;
    if (version != 0) { /* the footer: "\n" TZ string "\n" */
        if (at >= size || data[at] != '\n') {
            s_error (error, error_size, "malformed TZif file: no footer after the version 2 data");
            goto fail;
        }
        const uint8_t *start = data + at + 1;
        const uint8_t *newline = (const uint8_t *) memchr (start, '\n', size - at - 1);
        if (!newline) {
            s_error (error, error_size, "malformed TZif file: the footer does not end with a newline");
            goto fail;
        }
        if (s_parse_footer (self, (const char *) start, (size_t) (newline - start), error, error_size))
            goto fail;
    }
    return self;
fail:
    ztask_tz_destroy (&self);
    return NULL;
}

/* ---- time zones: the footer (a POSIX TZ string, RFC 8536 section 3.3) ---- */

typedef struct {
    const char *text; /* the TZ string (not NUL-terminated) */
    size_t length;    /* its bytes                          */
    size_t at;        /* where parsing is                   */
} s_tzstring_t;

static int
s_peek (const s_tzstring_t *s)
{
    return s->at < s->length ? (unsigned char) s->text[s->at] : -1;
}

/* An abbreviation: 3 or more letters, or <...> of letters, digits, '+', '-'. */
static bool
s_tz_name (s_tzstring_t *s, char *name)
{
    size_t start = s->at, length = 0;
    if (s_peek (s) == '<') {
        s->at++;
        start = s->at;
        while (s_alpha (s_peek (s)) || s_digit (s_peek (s)) || s_peek (s) == '+' || s_peek (s) == '-')
            s->at++;
        length = s->at - start;
        if (s_peek (s) != '>')
            return false;
        s->at++;
    }
    else {
        while (s_alpha (s_peek (s)))
            s->at++;
        length = s->at - start;
    }
    if (length < 3 || length > ZTASK_TZ_ABBR_MAX)
        return false;
    s_copy_abbreviation (name, s->text + start, length);
    return true;
}

/* [+-]hh[:mm[:ss]], hours up to max_hours: seconds into *value. */
static bool
s_tz_time (s_tzstring_t *s, int max_hours, int32_t *value)
{
    int sign = 1;
    if (s_peek (s) == '+' || s_peek (s) == '-')
        sign = s->text[s->at++] == '-' ? -1 : 1;
    int parts[3] = { 0, 0, 0 };
    for (int part = 0; part < 3; part++) {
        if (part > 0) {
            if (s_peek (s) != ':')
                break;
            s->at++;
        }
        int digits = 0, number = 0;
        while (s_digit (s_peek (s)) && digits < 3) {
            number = number * 10 + (s->text[s->at++] - '0');
            digits++;
        }
        if (digits == 0 || (part > 0 && (digits > 2 || number > 59)) || s_digit (s_peek (s)))
            return false;
        parts[part] = number;
    }
    if (parts[0] > max_hours)
        return false;
    *value = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

static bool
s_tz_number (s_tzstring_t *s, int low, int high, int *value)
{
    int digits = 0, number = 0;
    while (s_digit (s_peek (s)) && digits < 4) {
        number = number * 10 + (s->text[s->at++] - '0');
        digits++;
    }
    if (digits == 0 || s_digit (s_peek (s)) || number < low || number > high)
        return false;
    *value = number;
    return true;
}

/* date[/time]: Jn, n or Mm.w.d, the time 02:00 unless given (-167 h to 167 h). */
static bool
s_tz_rule (s_tzstring_t *s, s_rule_t *rule)
{
    if (s_peek (s) == 'J') {
        s->at++;
        rule->kind = S_RULE_JULIAN1;
        if (!s_tz_number (s, 1, 365, &rule->day))
            return false;
    }
    else if (s_peek (s) == 'M') {
        s->at++;
        rule->kind = S_RULE_MONTH;
        if (!s_tz_number (s, 1, 12, &rule->month) || s_peek (s) != '.')
            return false;
        s->at++;
        if (!s_tz_number (s, 1, 5, &rule->week) || s_peek (s) != '.')
            return false;
        s->at++;
        if (!s_tz_number (s, 0, 6, &rule->day))
            return false;
    }
    else {
        rule->kind = S_RULE_JULIAN0;
        if (!s_tz_number (s, 0, 365, &rule->day))
            return false;
    }
    rule->time = 7200;
    if (s_peek (s) == '/') {
        s->at++;
        if (!s_tz_time (s, 167, &rule->time))
            return false;
    }
    return true;
}

static int
s_parse_footer (ztask_tz_t *self, const char *text, size_t length, char *error, size_t error_size)
{
    if (length == 0)
        return 0; /* no rule: the last transition's type goes on */
    s_tzstring_t s = { text, length, 0 };
    const char *what = NULL;
    size_t where = 0; /* where the construct that failed starts */
    int32_t offset;
    if (!s_tz_name (&s, self->footer_std.abbreviation))
        what = "a standard time abbreviation";
    else if (where = s.at, !s_tz_time (&s, 24, &offset))
        what = "a UTC offset (hh[:mm[:ss]])";
    else {
        self->footer_std.offset = -offset; /* POSIX offsets count west of Greenwich */
        self->footer_std.dst = false;
        if (s_peek (&s) >= 0) {
            self->footer_has_dst = true;
            self->footer_dst.dst = true;
            self->footer_dst.offset = self->footer_std.offset + 3600;
            if (where = s.at, !s_tz_name (&s, self->footer_dst.abbreviation))
                what = "a daylight-saving time abbreviation";
            else if (s_peek (&s) >= 0 && s_peek (&s) != ',') {
                if (where = s.at, !s_tz_time (&s, 24, &offset))
                    what = "a daylight-saving UTC offset (hh[:mm[:ss]])";
                else
                    self->footer_dst.offset = -offset;
            }
            if (!what && s_peek (&s) < 0) { /* no rule: the US rule, as POSIX systems default to */
                self->footer_start = (s_rule_t) { S_RULE_MONTH, 0, 2, 3, 7200 };
                self->footer_end = (s_rule_t) { S_RULE_MONTH, 0, 1, 11, 7200 };
            }
            else if (!what) {
                where = s.at;
                if (s_peek (&s) != ',' || (s.at++, !s_tz_rule (&s, &self->footer_start)))
                    what = "',' and the start rule (Jn, n or Mm.w.d, then an optional /time)";
                else if (where = s.at, s_peek (&s) != ',' || (s.at++, !s_tz_rule (&s, &self->footer_end)))
                    what = "',' and the end rule (Jn, n or Mm.w.d, then an optional /time)";
            }
        }
        if (!what && s_peek (&s) >= 0)
            what = "the end of the TZ string", where = s.at;
    }
    if (!what && (self->footer_std.offset < S_OFFSET_MIN || self->footer_std.offset > S_OFFSET_MAX
                  || (self->footer_has_dst
                      && (self->footer_dst.offset < S_OFFSET_MIN || self->footer_dst.offset > S_OFFSET_MAX))))
        what = "a UTC offset within -25 to +26 hours", where = 0;
    if (!what) {
        self->has_footer = true;
        return 0;
    }
    char shown[65];
    size_t n = length < 64 ? length : 64;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) text[i];
        shown[i] = c >= 0x20 && c < 0x7F && c != '\'' ? (char) c : '?';
    }
    shown[n] = 0;
    s_error (error, error_size, "unsupported footer TZ string '%s%s': expected %s at byte %zu", shown,
             length > 64 ? "..." : "", what, where + 1);
    return -1;
}

/* ---- time zones: loading ---- */

static bool
s_zone_name_valid (const char *name)
{
    size_t length = strnlen (name, ZTASK_TZ_NAME_MAX + 1);
    if (length == 0 || length > ZTASK_TZ_NAME_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (c == '/') {
            if (i == 0 || i == length - 1 || name[i - 1] == '/')
                return false;
        }
        else if (!(s_alpha (c) || s_digit (c) || c == '_' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

static ztask_tz_t *
s_utc_new (const char *name)
{
    ztask_tz_t *self = s_tz_new (name, 0, 1);
    if (self)
        self->types[0] = s_utc_type;
    return self;
}

ztask_tz_t *
ztask_tz_load (const char *name, char *error, size_t error_size)
{
    return ztask_tz_load_dir (NULL, name, error, error_size);
}

ztask_tz_t *
ztask_tz_load_dir (const char *directory, const char *name, char *error, size_t error_size)
{
    if (!name || !*name) {
        ztask_tz_t *self = s_utc_new ("UTC");
        if (!self)
            s_error (error, error_size, "out of memory");
        return self;
    }
    if (!s_zone_name_valid (name)) {
        if (strnlen (name, ZTASK_TZ_NAME_MAX + 1) > ZTASK_TZ_NAME_MAX)
            s_error (error, error_size, "time zone name longer than %d bytes", ZTASK_TZ_NAME_MAX);
        else {
            bool printable = true;
            for (const char *c = name; *c && printable; c++)
                printable = *c >= 0x20 && *c < 0x7F && *c != '\'';
            s_error (error, error_size,
                     "time zone '%s': a zone name is letters, digits, '_', '+' and '-' in parts joined by '/' "
                     "(like Europe/Paris or UTC)",
                     printable ? name : "?");
        }
        return NULL;
    }
    if (!directory) {
        const char *tzdir = getenv ("TZDIR");
        directory = tzdir && *tzdir ? tzdir : S_DEFAULT_ZONEINFO;
    }
    char path[4096];
    if ((size_t) snprintf (path, sizeof path, "%s/%s", directory, name) >= sizeof path) {
        s_error (error, error_size, "time zone '%s': the path is too long", name);
        return NULL;
    }
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int code = errno;
        if ((code == ENOENT || code == ENOTDIR) && strcmp (name, "UTC") == 0)
            return s_utc_new ("UTC"); /* no tz database: UTC is still UTC */
        if (code == ENOENT || code == ENOTDIR)
            s_error (error, error_size, "time zone '%s': unknown (no file %s)", name, path);
        else
            s_error (error, error_size, "time zone '%s': cannot open %s: %s", name, path, strerror (code));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        s_error (error, error_size, "time zone '%s': %s is not a zone file (a directory of zones?)", name, path);
        close (fd);
        return NULL;
    }
    if (st.st_size > ZTASK_TZ_FILE_MAX) {
        s_error (error, error_size, "time zone '%s': %s is larger than %d bytes: not a zone file", name, path,
                 ZTASK_TZ_FILE_MAX);
        close (fd);
        return NULL;
    }
    uint8_t *data = (uint8_t *) malloc ((size_t) st.st_size + 1);
    size_t size = 0;
    while (data && size < (size_t) st.st_size + 1) { /* one byte more: a file that grew is noticed */
        ssize_t n = read (fd, data + size, (size_t) st.st_size + 1 - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s_error (error, error_size, "time zone '%s': cannot read %s: %s", name, path, strerror (errno));
            free (data);
            close (fd);
            return NULL;
        }
        if (n == 0)
            break;
        size += (size_t) n;
    }
    close (fd);
    if (!data) {
        s_error (error, error_size, "out of memory");
        return NULL;
    }
    char reason[256];
    ztask_tz_t *self = ztask_tz_parse (data, size, name, reason, sizeof reason);
    free (data);
    if (!self)
        s_error (error, error_size, "time zone '%s': %s: %s", name, path, reason);
    return self;
}

/* ---- time zones: conversions ---- */

#define S_TIME_LIMIT INT64_C(1099511627776) /* 2^40 s, about 34,800 years */

int
ztask_tz_utc_to_local (const ztask_tz_t *self, int64_t utc, ztask_tz_local_t *local)
{
    assert (local);
    memset (local, 0, sizeof *local);
    if (utc < -S_TIME_LIMIT || utc > S_TIME_LIMIT)
        return -1;
    s_span_t span;
    s_span (self, utc, &span);
    local->offset = span.type->offset;
    local->dst = span.type->dst;
    memcpy (local->abbreviation, span.type->abbreviation, sizeof local->abbreviation);
    local->local = utc + span.type->offset;
    ztask_civil_from_seconds (local->local, &local->civil);
    return 0;
}

int
ztask_tz_local_to_utc (const ztask_tz_t *self, const ztask_civil_t *civil, int64_t *first, int64_t *second)
{
    assert (civil && first && second);
    *first = *second = 0;
    if (civil->year < 1 || civil->year > 9999 || civil->month < 1 || civil->month > 12 || civil->day < 1
        || civil->day > s_days_in_month (civil->year, civil->month) || civil->hour < 0 || civil->hour > 23
        || civil->minute < 0 || civil->minute > 59 || civil->second < 0 || civil->second > 59)
        return -1;
    int64_t local = ztask_civil_to_seconds (civil);
    /* every span that may hold a solution: offsets are within 27 hours */
    int64_t t = local - S_OFFSET_MARGIN, stop = local + S_OFFSET_MARGIN;
    int found = 0;
    int64_t jump = 0;
    bool have_jump = false;
    const s_type_t *previous = NULL;
    for (;;) {
        s_span_t span;
        s_span (self, t, &span);
        int64_t u = local - span.type->offset;
        if (u >= span.start && u < span.end) {
            if (found++ == 0)
                *first = u;
            *second = u;
        }
        /* a jump over the local time at this span's start */
        if (previous && !have_jump && span.start + previous->offset <= local && local < span.start + span.type->offset) {
            jump = span.start;
            have_jump = true;
        }
        if (span.end == INT64_MAX || span.end > stop)
            break;
        previous = span.type;
        t = span.end;
    }
    if (found == 1)
        return ZTASK_TZ_UNIQUE;
    if (found > 1)
        return ZTASK_TZ_AMBIGUOUS;
    if (!have_jump)
        return -1; /* a hand-made zone that no offset within 27 hours reaches */
    *first = *second = jump;
    return ZTASK_TZ_GAP;
}

/* ---- fire times ---- */

/* Bit d (1-31) set for each day of the month (ndays long, first day a
   weekday first) that the day fields accept: both when either starts
   with '*', else either (cronie). */
static uint32_t
s_day_mask (const ztask_cron_t *cron, int first, int ndays)
{
    uint32_t valid = ((UINT32_C(1) << ndays) - 1) << 1;
    uint32_t by_weekday = 0;
    for (int k = 0; k < 7; k++)
        if (cron->weekdays & (1u << ((first + k) % 7)))
            for (int day = 1 + k; day <= ndays; day += 7)
                by_weekday |= UINT32_C(1) << day;
    uint32_t by_day = cron->days & valid;
    if (cron->flags & (ZTASK_CRON_DOM_STAR | ZTASK_CRON_DOW_STAR))
        return by_day & by_weekday;
    return by_day | by_weekday;
}

static int
s_lowest (uint64_t bits)
{
    return __builtin_ctzll (bits);
}

/* The first local minute (local seconds) at or after from, and not after
   limit, whose fields match: fields are stepped (month, day, hour,
   minute), so the cost is the number of months crossed. */
static bool
s_local_next (const ztask_cron_t *cron, int64_t from, int64_t limit, int64_t *found)
{
    int64_t t = s_floor_div (from, 60) * 60;
    if (t < from)
        t += 60;
    if (t > limit)
        return false;
    int64_t days = s_floor_div (t, S_DAY);
    int64_t rest = t - days * S_DAY;
    int64_t year;
    int month, day;
    s_civil_from_days (days, &year, &month, &day);
    int hour = (int) (rest / 3600), minute = (int) (rest % 3600 / 60);
    uint16_t months = cron->months & S_MONTHS_ALL;
    for (;;) {
        if (!(months & (1u << month))) { /* the next month of the field */
            uint16_t later = months & (uint16_t) ~((2u << month) - 1);
            if (later)
                month = s_lowest (later);
            else {
                year++;
                month = s_lowest (months);
            }
            day = 1, hour = 0, minute = 0;
            if (s_days_from_civil (year, month, 1) * S_DAY > limit)
                return false;
        }
        int ndays = s_days_in_month (year, month);
        int64_t first = s_days_from_civil (year, month, 1);
        uint32_t matching = s_day_mask (cron, s_weekday (first), ndays) & ~((UINT32_C(1) << day) - 1);
        if (matching) { /* a day of this month from `day` on */
            int match = s_lowest (matching);
            if (match != day)
                day = match, hour = 0, minute = 0;
            uint32_t hours = cron->hours & S_HOURS_ALL & ~((UINT32_C(1) << hour) - 1);
            if (hours) {
                int h = s_lowest (hours);
                if (h != hour)
                    hour = h, minute = 0;
                uint64_t minutes = cron->minutes & S_MINUTES_ALL & ~((UINT64_C(1) << minute) - 1);
                if (minutes) {
                    int64_t result = (first + day - 1) * S_DAY + hour * 3600 + s_lowest (minutes) * 60;
                    if (result > limit)
                        return false;
                    *found = result;
                    return true;
                }
                if (++hour <= 23) { /* no minute left in this hour */
                    minute = 0;
                    continue;
                }
            }
            if (++day <= ndays) { /* no hour left in this day */
                hour = 0, minute = 0;
                continue;
            }
        }
        if (++month > 12) /* no day left in this month */
            month = 1, year++;
        day = 1, hour = 0, minute = 0;
        if (s_days_from_civil (year, month, 1) * S_DAY > limit)
            return false;
    }
}

/* True if a struct can match at all (a parsed one always can). */
static bool
s_can_fire (const ztask_cron_t *cron)
{
    bool days = cron->days & S_DAYS_ALL, weekdays = cron->weekdays & S_WEEKDAYS_ALL;
    bool day_ok = (cron->flags & (ZTASK_CRON_DOM_STAR | ZTASK_CRON_DOW_STAR)) ? days && weekdays : days || weekdays;
    return (cron->minutes & S_MINUTES_ALL) && (cron->hours & S_HOURS_ALL) && (cron->months & S_MONTHS_ALL) && day_ok;
}

int
ztask_cron_next (const ztask_cron_t *cron, const ztask_tz_t *tz, int64_t after, int64_t *next)
{
    assert (cron && next);
    *next = 0;
    if (after < ZTASK_CRON_TIME_MIN || after > ZTASK_CRON_TIME_MAX || !s_can_fire (cron))
        return -1;
    int64_t horizon = after + S_CYCLE_SECONDS + 2 * S_DAY;
    bool wildcard = ztask_cron_is_wildcard (cron);
    int64_t u = after + 1;
    while (u <= horizon) {
        s_span_t span;
        s_span (tz, u, &span);
        int32_t offset = span.type->offset;
        int64_t best = INT64_MAX, from = u + offset;
        /* the jump into this span, when it is recent enough to matter */
        if (span.start != INT64_MIN && span.start > u - 2 * S_DAY) {
            s_span_t before;
            s_span (tz, span.start - 1, &before);
            int32_t previous = before.type->offset;
            if (offset > previous) { /* forward: local [start + previous, start + offset) never happens */
                int64_t jump_local = span.start + offset;
                int64_t fire = span.start + (s_floor_div (jump_local + 59, 60) * 60 - jump_local);
                int64_t gap = (int64_t) offset - previous, skipped;
                if (u <= fire && fire < span.end && gap < S_JUMP_LARGE && (!wildcard || gap < S_JUMP_SMALL)
                    && s_local_next (cron, span.start + previous, jump_local - 1, &skipped))
                    best = fire;
            }
            else if (offset < previous && !wildcard && (int64_t) previous - offset <= S_BACK_LARGE) {
                /* backward: local [start + offset, start + previous) is a second pass */
                if (from < span.start + previous)
                    from = span.start + previous;
            }
        }
        int64_t last = span.end == INT64_MAX || span.end - 1 > horizon ? horizon : span.end - 1;
        int64_t local;
        if (from <= last + offset && s_local_next (cron, from, last + offset, &local) && local - offset < best)
            best = local - offset;
        if (best != INT64_MAX) {
            *next = best;
            return 0;
        }
        if (span.end == INT64_MAX || span.end > horizon)
            return -1;
        u = span.end;
    }
    return -1;
}
