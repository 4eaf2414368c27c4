/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_cron - cron expressions, time zones and fire times: the
    foundation of recurring schedules (issue 14; the language and its
    daylight-saving rules: docs/scheduling.md, "Recurring schedules: the
    cron language").

    Two parts:

    - ztask_cron_t: a five-field cron expression (minute hour day-of-month
      month day-of-week, or a macro such as @daily) compiled into bitmasks.
      A plain struct, no allocation: parse it once, keep it by value.
      ztask_cron_format writes its canonical text back.

    - ztask_tz_t: one zone of the system tz database (/usr/share/zoneinfo,
      or $TZDIR), read from its TZif file (RFC 8536) once and immutable
      afterwards. It converts UTC to local time and back without touching
      the process's TZ variable, tzset or localtime: a loaded zone may be
      shared by any number of threads.

    ztask_cron_next (cron, zone, after, &next) gives the first fire time
    strictly after `after`, with cronie's rules for the hours that
    daylight saving skips or repeats.

    Every parser takes outside input (any bytes): it never crashes, never
    reads past the text or the buffer it is given, and refuses with -1 (or
    NULL) and a message that names what is wrong and where:
    "hour field, column 3: 24 is out of range 0-23",
    "expected 5 fields, found 4 (minute hour day-of-month month day-of-week)",
    "time zone 'Europe/Pari': unknown (no file /usr/share/zoneinfo/Europe/Pari)".
    Callers add what the text was (`ztask: --cron '...': hour field, ...`).

    A pure library: no czmq, no logging, no globals, thread-safe. Times
    are seconds since the epoch (UTC, leap seconds not counted, as
    time_t); "local seconds" are a local wall-clock time read as if it
    were UTC (the civil fields packed the same way), for arithmetic. */
#ifndef ZTASK_CRON_H_INCLUDED
#define ZTASK_CRON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ---- */
#define ZTASK_CRON_TEXT_MAX 255    /* bytes of a cron expression                     */
#define ZTASK_CRON_FORMAT_SIZE 512 /* always enough for ztask_cron_format            */
#define ZTASK_TZ_NAME_MAX 127      /* bytes of a zone name ("America/New_York")      */
#define ZTASK_TZ_ABBR_MAX 15       /* bytes of a zone abbreviation ("CEST")          */
#define ZTASK_TZ_FILE_MAX 262144   /* bytes of a TZif file (the largest are ~4 KiB)  */
/* The times ztask_cron_next accepts: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
#define ZTASK_CRON_TIME_MIN INT64_C(-62135596800)
#define ZTASK_CRON_TIME_MAX INT64_C(253402300799)

/* ---- cron expressions ---- */

/* Flags: which fields start with '*' (also with '*' then a step). Cronie's
   rules hang on them:
   a job whose minute or hour field starts with '*' is a "wildcard" job
   for daylight saving; if the day-of-month or the day-of-week field
   starts with '*', a day must match both day fields, else either. */
#define ZTASK_CRON_MINUTE_STAR 0x01 /* minute field starts with '*'         */
#define ZTASK_CRON_HOUR_STAR 0x02   /* hour field starts with '*'           */
#define ZTASK_CRON_DOM_STAR 0x04    /* day-of-month field starts with '*'   */
#define ZTASK_CRON_DOW_STAR 0x08    /* day-of-week field starts with '*'    */

/* A compiled expression. Bit n of a mask set means value n matches. Parse
   fills every byte (padding included), so two parses of equivalent texts
   compare equal with ztask_cron_equal (and memcmp). */
typedef struct {
    uint64_t minutes; /* bits 0-59                                        */
    uint32_t hours;   /* bits 0-23                                        */
    uint32_t days;    /* days of the month, bits 1-31                     */
    uint16_t months;  /* bits 1-12 (January = 1)                          */
    uint8_t weekdays; /* bits 0-6 (Sunday = 0; 7 in the text is Sunday)   */
    uint8_t flags;    /* ZTASK_CRON_*_STAR                                */
} ztask_cron_t;

/* Parses an expression: five fields separated by spaces or tabs, or one
   of @yearly @annually @monthly @weekly @daily @midnight @hourly. 0 and
   the compiled form in *cron; -1 and a message in error (error_size bytes,
   may be NULL) with *cron zeroed. Refused besides syntax: @reboot, a step
   of 0, a range that goes backwards (except a day-of-week range that ends
   on Sunday as 0: fri-sun), and an expression that can never fire
   ("0 0 31 2 *"). */
int ztask_cron_parse (const char *text, ztask_cron_t *cron, char *error, size_t error_size);

/* Writes the canonical text of cron into buffer (size bytes; ZTASK_CRON_FORMAT_SIZE
   always suffices): numbers only, each field as short a list of values,
   ranges a-b and steps a-b/n as the greedy choice gives, a field that
   started with '*' still starting with '*', with its step if any (so that
   parsing the text gives the same cron back): "0 3 * * 1-5", "0 0 1 * *".
   The length, or -1 when buffer is too small (then it holds ""). */
int ztask_cron_format (const ztask_cron_t *cron, char *buffer, size_t size);

/* True if the two compile to the same thing. */
bool ztask_cron_equal (const ztask_cron_t *a, const ztask_cron_t *b);

/* True for a "wildcard" job (minute or hour field starts with '*'), which
   runs in both passes of a repeated hour and not at all in a skipped one;
   false for a "fixed-time" job, which runs once in a repeated hour and right
   after a skipped one (docs/scheduling.md). */
bool ztask_cron_is_wildcard (const ztask_cron_t *cron);

/* ---- time zones ---- */

typedef struct _ztask_tz_t ztask_tz_t;

/* Civil (calendar) time: proleptic Gregorian, no time zone. */
typedef struct {
    int year;    /* e.g. 2026                          */
    int month;   /* 1-12                               */
    int day;     /* 1-31                               */
    int hour;    /* 0-23                               */
    int minute;  /* 0-59                               */
    int second;  /* 0-59                               */
    int weekday; /* 0-6, Sunday = 0 (an output only)   */
} ztask_civil_t;

/* What a zone says of one instant. */
typedef struct {
    ztask_civil_t civil;                       /* the local wall-clock time              */
    int64_t local;                             /* the same as local seconds              */
    int32_t offset;                            /* seconds east of UTC (CEST: 7200)       */
    bool dst;                                  /* daylight-saving time                   */
    char abbreviation[ZTASK_TZ_ABBR_MAX + 1];  /* "CEST", "EST", "-03", "UTC"            */
} ztask_tz_local_t;

/* What ztask_tz_local_to_utc found. */
typedef enum {
    ZTASK_TZ_UNIQUE = 0,    /* the local time happened once                              */
    ZTASK_TZ_AMBIGUOUS = 1, /* twice (clocks went back): *first < *second                */
    ZTASK_TZ_GAP = 2        /* never (clocks jumped over it): both are the jump's instant */
} ztask_tz_match_t;

/* Loads a zone of the tz database by name ("Europe/Paris", "UTC",
   "America/Argentina/Buenos_Aires") from $TZDIR, else /usr/share/zoneinfo.
   NULL or "" is UTC (no file read). A name is 1 to ZTASK_TZ_NAME_MAX
   bytes of letters, digits, '_', '+', '-' and '/', no empty part, not
   starting with '/'. NULL and a message in error when the name is
   refused, there is no such zone, the file is not TZif or is malformed,
   or its footer TZ string is one this reader does not know. */
ztask_tz_t *ztask_tz_load (const char *name, char *error, size_t error_size);

/* The same from an explicit directory (NULL: as ztask_tz_load). */
ztask_tz_t *ztask_tz_load_dir (const char *directory, const char *name, char *error, size_t error_size);

/* Parses a TZif file (RFC 8536, versions 1 to 4) held in memory; name is
   what ztask_tz_name will say (NULL: "-"). NULL and a message in error
   when data is not TZif or is malformed. Leap-second files ("right/...")
   are refused. */
ztask_tz_t *ztask_tz_parse (const void *data, size_t size, const char *name, char *error, size_t error_size);

/* Destroys a zone and NULLs the pointer; NULL is fine. */
void ztask_tz_destroy (ztask_tz_t **self_p);

/* The zone's name as loaded ("UTC" for NULL or ""). */
const char *ztask_tz_name (const ztask_tz_t *self);

/* The local time at a UTC instant; self NULL is UTC. 0, or -1 when utc
   is beyond +-2^40 seconds (about 34,000 years; every fire time is within). */
int ztask_tz_utc_to_local (const ztask_tz_t *self, int64_t utc, ztask_tz_local_t *local);

/* The UTC instant(s) of a local wall-clock time (civil->weekday ignored);
   self NULL is UTC. Returns a ztask_tz_match_t: UNIQUE (*first ==
   *second), AMBIGUOUS (the earlier and the later instant), or GAP (the
   time was skipped: both are the instant of the jump, when the clocks
   show the first time after the gap); -1 when a field is out of range
   or the year is outside 1-9999. */
int ztask_tz_local_to_utc (const ztask_tz_t *self, const ztask_civil_t *civil, int64_t *first, int64_t *second);

/* ---- civil time arithmetic (no zone) ---- */

/* Seconds to civil fields, weekday included (seconds since the epoch, or
   local seconds). Any int64 value whose year fits an int. */
void ztask_civil_from_seconds (int64_t seconds, ztask_civil_t *civil);

/* Civil fields to seconds (weekday ignored). Fields are not checked:
   the day count is linear (day 0 is the last of the month before). */
int64_t ztask_civil_to_seconds (const ztask_civil_t *civil);

/* ---- fire times ---- */

/* The first fire time of cron strictly after `after` (UTC seconds), in
   zone tz (NULL: UTC), into *next: 0, or -1 when `after` is outside
   ZTASK_CRON_TIME_MIN..ZTASK_CRON_TIME_MAX or the cron never fires (no
   parsed expression does: the parser refuses those; only a hand-made
   struct, or a zone whose jumps swallow every match, gets here).

   A fire time is the first second of a local minute whose fields match,
   with cronie's daylight-saving rules (docs/scheduling.md): when the
   clocks jump forward by 5 minutes to 3 hours, a fixed-time job whose
   time falls in the gap fires once, at the instant of the jump, and a
   wildcard job does not fire for the gap; by less than 5 minutes both
   fire at the jump; by 3 hours or more neither. When the clocks go back
   by up to 3 hours (181 minutes), a fixed-time job fires in the first
   pass of the repeated time only, a wildcard job in both; by more, both
   fire in both.

   Cost: fields are stepped, never minutes: O(months searched) in civil
   arithmetic plus O(log transitions) per zone transition crossed. The
   worst case is the "never" answer: 400 years (the Gregorian cycle, after
   which every date falls on the same weekday again) = 4,800 months and
   about 800 daylight-saving transitions, well under a millisecond; a
   real schedule finds its next time within a year: microseconds. */
int ztask_cron_next (const ztask_cron_t *cron, const ztask_tz_t *tz, int64_t after, int64_t *next);

#endif
