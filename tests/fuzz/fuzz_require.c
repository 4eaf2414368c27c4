/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  fuzz_require - libFuzzer target for the requirement language
    (src/common/ztask_require.c): the input is split into lines (at most
    ZTASK_REQUIRE_MAX + 1), each copied into a buffer of exactly its size so
    that AddressSanitizer sees any read past its end.

    Checked, besides what the sanitizers see:
    - each line as a requirement: accepted, its canonical form is no longer
      than the line and is its own canonical form (parse (canonical (x)) ==
      canonical (x)); refused, the error is "column N: ..." with N between 1
      and the line's length + 1;
    - each line as a resource request and as a plugin version constraint:
      accepted, formatting then parsing gives the same text back; a request
      holds at most 16 resources, sorted, names unique;
    - ztask_version_compare and ztask_number_compare are antisymmetric and
      reflexive over neighbouring lines;
    - all the lines as one task's requirements: compiled, the canonical
      texts compile to the same signature; matched against labels made of
      the lines that hold '=' (each key and value in its own buffer of
      exactly its size), through the sorted array and through a lookup
      callback, with the same answer, and ztask_require_first_unmet agrees. */
#include "common/ztask_require.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINES (ZTASK_REQUIRE_MAX + 1)

static void
s_fail (const char *what, const char *a, const char *b)
{
    fprintf (stderr, "fuzz_require: %s\n  '%.600s'\n  '%.600s'\n", what, a ? a : "(null)", b ? b : "(null)");
    abort ();
}

/* A copy of data[0..size) in a buffer of exactly size + 1 bytes. */
static char *
s_copy (const char *data, size_t size)
{
    char *copy = (char *) malloc (size + 1);
    if (!copy)
        abort ();
    if (size)
        memcpy (copy, data, size);
    copy[size] = 0;
    return copy;
}

/* The error is "column N: something" with 1 <= N <= length + 1. */
static void
s_check_error (const char *error, const char *line)
{
    unsigned long column = 0;
    int consumed = 0;
    if (sscanf (error, "column %lu: %n", &column, &consumed) != 1 || consumed == 0 || error[consumed] == 0)
        s_fail ("an error without its column", error, line);
    if (column < 1 || column > strlen (line) + 1)
        s_fail ("an error's column is out of the line", error, line);
}

static void
s_check_requirement (const char *line)
{
    char canonical[ZTASK_REQUIRE_TEXT_MAX + 1], again[ZTASK_REQUIRE_TEXT_MAX + 1], error[512];
    if (ztask_require_canonical (line, canonical, sizeof canonical, error, sizeof error) != 0) {
        s_check_error (error, line);
        return;
    }
    if (strlen (canonical) > strlen (line))
        s_fail ("the canonical form is longer than the text", canonical, line);
    if (ztask_require_canonical (canonical, again, sizeof again, error, sizeof error) != 0)
        s_fail ("the canonical form is refused", canonical, error);
    if (strcmp (canonical, again) != 0)
        s_fail ("the canonical form is not its own canonical form", canonical, again);
}

static void
s_check_resources (const char *line)
{
    ztask_resources_t resources, again;
    char text[ZTASK_RESOURCES_FORMAT_SIZE], text_again[ZTASK_RESOURCES_FORMAT_SIZE], error[512];
    if (ztask_resources_parse (line, &resources, error, sizeof error) != 0) {
        s_check_error (error, line);
        if (resources.count != 0)
            s_fail ("a refused request is not empty", line, error);
        return;
    }
    if (resources.count > ZTASK_REQUEST_RESOURCES_MAX)
        s_fail ("too many resources", line, NULL);
    for (size_t i = 0; i < resources.count; i++) {
        if (resources.items[i].amount > ZTASK_RESOURCE_AMOUNT_MAX)
            s_fail ("an amount above 2^53", line, NULL);
        if (i > 0 && strcmp (resources.items[i - 1].name, resources.items[i].name) >= 0)
            s_fail ("resources not sorted or not unique", resources.items[i - 1].name, resources.items[i].name);
    }
    int length = ztask_resources_format (&resources, text, sizeof text);
    if (length < 0 || (size_t) length != strlen (text))
        s_fail ("a request does not format", line, NULL);
    if (ztask_resources_parse (text, &again, error, sizeof error) != 0)
        s_fail ("a formatted request is refused", text, error);
    if (ztask_resources_format (&again, text_again, sizeof text_again) < 0 || strcmp (text, text_again) != 0)
        s_fail ("a formatted request changes when parsed again", text, text_again);
}

static void
s_check_constraint (const char *line, const char *next)
{
    ztask_version_constraint_t constraint, again;
    char text[512], text_again[512], error[512];
    if (ztask_version_constraint_parse (line, &constraint, error, sizeof error) != 0) {
        s_check_error (error, line);
        return;
    }
    if (ztask_version_constraint_format (&constraint, text, sizeof text) < 0)
        s_fail ("a constraint does not format", line, NULL);
    if (ztask_version_constraint_parse (text, &again, error, sizeof error) != 0)
        s_fail ("a formatted constraint is refused", text, error);
    if (ztask_version_constraint_format (&again, text_again, sizeof text_again) < 0 || strcmp (text, text_again) != 0)
        s_fail ("a formatted constraint changes when parsed again", text, text_again);
    if (next) {
        bool a = ztask_version_constraint_match (&constraint, next);
        bool b = ztask_version_constraint_match (&again, next);
        if (a != b)
            s_fail ("a constraint and its canonical form disagree", text, next);
        if (a && !ztask_version_valid (next))
            s_fail ("a constraint matches what is not a version", text, next);
    }
}

static void
s_check_orders (const char *a, const char *b)
{
    if (ztask_version_compare (a, a) != 0)
        s_fail ("a version is not equal to itself", a, NULL);
    int ab = ztask_version_compare (a, b), ba = ztask_version_compare (b, a);
    if (ab < -1 || ab > 1 || ab != -ba)
        s_fail ("version order is not antisymmetric", a, b);
    int x = 2, y = 2;
    int rx = ztask_number_compare (a, b, &x), ry = ztask_number_compare (b, a, &y);
    if (rx != ry || (rx == 0 && (x != -y || x < -1 || x > 1)))
        s_fail ("number order is not antisymmetric", a, b);
    if (ztask_number_compare (a, a, &x) == 0 && x != 0)
        s_fail ("a number is not equal to itself", a, NULL);
}

typedef struct {
    const ztask_label_t *labels;
    size_t count;
} s_labels_t;

static const char *
s_lookup (void *arg, const char *key)
{
    const s_labels_t *self = (const s_labels_t *) arg;
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->labels[i].key, key) == 0)
            return self->labels[i].value;
    return NULL;
}

static int
s_first_key (const ztask_label_t *labels, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (labels[i].key, key) == 0)
            return (int) i;
    return -1;
}

static void
s_check_set (char **lines, size_t count)
{
    char error[512];
    int failed = 99;
    ztask_require_t *self = ztask_require_new ((const char *const *) lines, count, error, sizeof error, &failed);
    if (!self) {
        if (count > ZTASK_REQUIRE_MAX ? failed != -1 : (failed < 0 || (size_t) failed >= count))
            s_fail ("a refusal names no requirement", error, NULL);
        if (failed >= 0)
            s_check_error (error, lines[failed]);
        return;
    }
    /* the canonical texts compile to the same signature */
    size_t n = ztask_require_count (self);
    if (n > count)
        s_fail ("more requirements than texts", ztask_require_signature (self), NULL);
    const char *texts[ZTASK_REQUIRE_MAX];
    for (size_t i = 0; i < n; i++)
        texts[n - 1 - i] = ztask_require_text (self, i); /* reversed: the order must not matter */
    ztask_require_t *again = ztask_require_new (texts, n, error, sizeof error, &failed);
    if (!again)
        s_fail ("canonical texts are refused", ztask_require_signature (self), error);
    if (strcmp (ztask_require_signature (self), ztask_require_signature (again)) != 0)
        s_fail ("the signature changes", ztask_require_signature (self), ztask_require_signature (again));

    /* labels: each line KEY=VALUE, in buffers of exactly their size, keys unique */
    ztask_label_t labels[LINES];
    char *owned[2 * LINES];
    size_t label_count = 0, owned_count = 0;
    for (size_t i = 0; i < count; i++) {
        const char *eq = strchr (lines[i], '=');
        if (!eq)
            continue;
        char *key = s_copy (lines[i], (size_t) (eq - lines[i]));
        char *value = s_copy (eq + 1, strlen (eq + 1));
        owned[owned_count++] = key;
        owned[owned_count++] = value;
        if (s_first_key (labels, label_count, key) < 0)
            labels[label_count++] = (ztask_label_t) { key, value };
    }
    ztask_labels_sort (labels, label_count);
    s_labels_t arg = { labels, label_count };
    bool by_array = ztask_require_match_labels (self, labels, label_count);
    bool by_lookup = ztask_require_match (self, s_lookup, &arg);
    int unmet = ztask_require_first_unmet (self, s_lookup, &arg);
    if (by_array != by_lookup || by_lookup != (unmet < 0) || unmet >= (int) n)
        s_fail ("the matchers disagree", ztask_require_signature (self), NULL);
    if (ztask_require_match (again, s_lookup, &arg) != by_lookup)
        s_fail ("the canonical texts match differently", ztask_require_signature (self), NULL);
    for (size_t i = 0; i < owned_count; i++)
        free (owned[i]);
    ztask_require_destroy (&again);
    ztask_require_destroy (&self);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *lines[LINES];
    size_t count = 0;
    const char *at = (const char *) data, *end = at + size;
    while (count < LINES && (at < end || count == 0)) {
        const char *newline = memchr (at, '\n', (size_t) (end - at));
        const char *stop = newline ? newline : end;
        const char *nul = memchr (at, 0, (size_t) (stop - at));
        lines[count++] = s_copy (at, (size_t) ((nul ? nul : stop) - at));
        if (!newline)
            break;
        at = newline + 1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *next = lines[(i + 1) % count];
        s_check_requirement (lines[i]);
        s_check_resources (lines[i]);
        s_check_constraint (lines[i], next);
        s_check_orders (lines[i], next);
    }
    s_check_set (lines, count);
    for (size_t i = 0; i < count; i++)
        free (lines[i]);
    return 0;
}
