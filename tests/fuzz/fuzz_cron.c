/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  fuzz_cron - libFuzzer target for cron expressions, the TZif reader and
    fire times (src/common/ztask_cron.c). The input is a cron text, up to
    the first newline, then a zone: the rest of the input, read as a TZif
    file when it starts with "TZif", else a system zone it picks (UTC,
    Europe/Paris, America/New_York, Australia/Lord_Howe, Pacific/Apia).
    Every text and file is copied into a buffer of exactly its size so
    that AddressSanitizer sees any read past its end.

    Checked, besides what the sanitizers see:
    - the text refused: the message is "FIELD field, column N: ...",
      "column N: ..." with N between 1 and the text's length + 1, "expected
      5 fields, found N ..." or "the expression is longer than 255 bytes";
      the cron is all zeros;
    - the text accepted: its canonical form parses back to the same cron;
      in UTC, the next fire time is after `after`, on a minute, matching
      every field, and (when within two days) no minute in between matches;
    - in the zone: fire times strictly increase, each the first second of
      a local minute that matches the fields, or the instant of a jump in
      the zone's offset (a skipped time's fire); local time back to UTC
      gives the instant again;
    - the whole input and the zone part as a TZif file: parsed or refused,
      never a crash; parsed, conversions at a few instants are consistent. */
#include "common/ztask_cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ztask_tz_t *s_system_zones[5];
static const char *const s_system_names[5] = { "", "Europe/Paris", "America/New_York", "Australia/Lord_Howe",
                                               "Pacific/Apia" };

static void
s_fail (const char *what, const char *text, long long a, long long b)
{
    fprintf (stderr, "fuzz_cron: %s\n  text '%.300s'\n  %lld %lld\n", what, text ? text : "(null)", a, b);
    abort ();
}

/* A copy of data[0..size) in a buffer of exactly size bytes (1 when empty). */
static void *
s_copy (const void *data, size_t size)
{
    void *copy = malloc (size ? size : 1);
    if (!copy)
        abort ();
    if (size)
        memcpy (copy, data, size);
    return copy;
}

static uint64_t
s_hash (const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

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

static void
s_check_error (const char *error, const char *text)
{
    size_t length = strlen (text);
    unsigned long column = 0;
    const char *at = strstr (error, "column ");
    if (strncmp (error, "expected 5 fields, found ", 25) == 0
        || strcmp (error, "the expression is longer than 255 bytes") == 0)
        return;
    if (!at || sscanf (at, "column %lu: ", &column) != 1)
        s_fail ("an error without its column", error, 0, 0);
    if (column < 1 || column > length + 1)
        s_fail ("an error's column is out of the text", error, (long long) column, (long long) length);
}

/* True if the offset changes in (t - 60, t]: t may be the fire of a skipped time. */
static bool
s_jump_before (const ztask_tz_t *tz, int64_t t)
{
    ztask_tz_local_t a, b;
    for (int k = 0; k < 60; k++) {
        if (ztask_tz_utc_to_local (tz, t - k, &a) || ztask_tz_utc_to_local (tz, t - k - 1, &b))
            return false;
        if (a.offset != b.offset)
            return true;
    }
    return false;
}

static void
s_check_zone (const ztask_tz_t *tz, uint64_t seed)
{
    ztask_tz_local_t local;
    for (int i = 0; i < 4; i++) {
        int64_t t = (int64_t) (seed % 8000000000ULL) - 2000000000LL; /* 1906 to 2160 */
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        if (ztask_tz_utc_to_local (tz, t, &local) != 0)
            s_fail ("utc_to_local refuses a time within range", ztask_tz_name (tz), t, 0);
        if (local.local != t + local.offset || strlen (local.abbreviation) > ZTASK_TZ_ABBR_MAX)
            s_fail ("utc_to_local is inconsistent", ztask_tz_name (tz), t, local.offset);
        int64_t first, second;
        int match = ztask_tz_local_to_utc (tz, &local.civil, &first, &second);
        if (!((match == ZTASK_TZ_UNIQUE && first == t && second == t)
              || (match == ZTASK_TZ_AMBIGUOUS && first < second && (first == t || second == t))
              || (match == ZTASK_TZ_AMBIGUOUS && first <= t && t <= second)))
            s_fail ("local_to_utc does not give the instant back", ztask_tz_name (tz), t, match);
    }
}

static void
s_check_next (const ztask_cron_t *cron, const char *text, const ztask_tz_t *tz, uint64_t seed)
{
    int64_t after = (int64_t) (seed % 8000000000ULL) - 2000000000LL;
    if (seed % 7 == 0)
        after = ZTASK_CRON_TIME_MAX - (int64_t) (seed % 100000);
    /* UTC, exactly */
    int64_t next;
    if (ztask_cron_next (cron, NULL, after, &next) != 0)
        s_fail ("a parsed cron never fires in UTC", text, after, 0);
    if (next <= after || next % 60 != 0 || !s_matches (cron, next))
        s_fail ("a UTC fire time is wrong", text, after, next);
    if (next - after <= 2 * 86400)
        for (int64_t t = (after / 60 + 1) * 60; t < next; t += 60)
            if (s_matches (cron, t))
                s_fail ("a UTC fire time skips a matching minute", text, t, next);
    /* in the zone: increasing, matching, or a jump's instant */
    int64_t t = after;
    for (int i = 0; i < 6; i++) {
        if (ztask_cron_next (cron, tz, t, &next) != 0)
            return; /* a hand-made zone may swallow every match */
        ztask_tz_local_t local;
        if (next <= t || ztask_tz_utc_to_local (tz, next, &local) != 0)
            s_fail ("a zone fire time does not increase", text, t, next);
        if (local.local % 60 != 0)
            s_fail ("a zone fire time is not on a local minute", text, next, local.local);
        if (!s_matches (cron, local.local) && !s_jump_before (tz, next))
            s_fail ("a zone fire time matches nothing and follows no jump", text, next, local.local);
        t = next;
    }
}

static void
s_check_text (const char *text, size_t length, const ztask_tz_t *tz, uint64_t seed)
{
    ztask_cron_t cron, again;
    char error[512], canonical[ZTASK_CRON_FORMAT_SIZE];
    if (ztask_cron_parse (text, &cron, error, sizeof error) != 0) {
        ztask_cron_t zero;
        memset (&zero, 0, sizeof zero);
        if (memcmp (&cron, &zero, sizeof cron) != 0)
            s_fail ("a refused cron is not zeroed", text, 0, 0);
        s_check_error (error, text);
        return;
    }
    if (length > ZTASK_CRON_TEXT_MAX)
        s_fail ("a text over the limit is accepted", text, (long long) length, 0);
    int n = ztask_cron_format (&cron, canonical, sizeof canonical);
    if (n <= 0 || (size_t) n != strlen (canonical))
        s_fail ("a cron does not format", text, n, 0);
    if (n <= ZTASK_CRON_TEXT_MAX) {
        if (ztask_cron_parse (canonical, &again, error, sizeof error) != 0)
            s_fail ("a canonical form is refused", canonical, 0, 0);
        if (!ztask_cron_equal (&cron, &again) || memcmp (&cron, &again, sizeof cron) != 0)
            s_fail ("a canonical form parses to another cron", canonical, 0, 0);
    }
    s_check_next (&cron, text, tz, seed);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_system_zones[0]) /* once: loading is not what is fuzzed here */
        for (int i = 0; i < 5; i++) {
            char error[512];
            s_system_zones[i] = ztask_tz_load (s_system_names[i], error, sizeof error);
            if (!s_system_zones[i])
                s_fail ("a system zone does not load", error, i, 0);
        }
    uint64_t seed = s_hash (data, size);
    const uint8_t *newline = (const uint8_t *) memchr (data, '\n', size);
    size_t text_size = newline ? (size_t) (newline - data) : size;
    const uint8_t *nul = (const uint8_t *) memchr (data, 0, text_size);
    size_t text_length = nul ? (size_t) (nul - data) : text_size;
    const uint8_t *rest = newline ? newline + 1 : data + size;
    size_t rest_size = (size_t) (data + size - rest);

    /* the whole input as a TZif file */
    void *whole = s_copy (data, size);
    char error[512];
    ztask_tz_t *tz = ztask_tz_parse (whole, size, "whole", error, sizeof error);
    if (tz)
        s_check_zone (tz, seed);
    ztask_tz_destroy (&tz);
    free (whole);

    /* the zone: the rest as a TZif file, else a system zone */
    void *zone_bytes = s_copy (rest, rest_size);
    ztask_tz_t *own = NULL;
    if (rest_size >= 4 && memcmp (rest, "TZif", 4) == 0) {
        own = ztask_tz_parse (zone_bytes, rest_size, "input", error, sizeof error);
        if (!own && !error[0])
            s_fail ("a refused TZif file without a message", NULL, (long long) rest_size, 0);
        if (own)
            s_check_zone (own, seed);
    }
    const ztask_tz_t *zone = own ? own : s_system_zones[seed % 5];

    /* the text */
    char *text = (char *) malloc (text_length + 1); /* exactly the text and its NUL */
    if (!text)
        abort ();
    if (text_length)
        memcpy (text, data, text_length);
    text[text_length] = 0;
    s_check_text (text, text_length, zone, seed >> 8);
    free (text);
    ztask_tz_destroy (&own);
    free (zone_bytes);
    return 0;
}
