/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_require - label requirements, plugin version constraints and
    resource requests (ztask_require.h; the language: docs/routing.md).

    Each requirement text is parsed into an s_parsed_t (fixed size, on the
    stack), written out in canonical form, and the distinct canonical forms,
    sorted, are copied into one allocation: the header, an array of
    s_requirement_t, the value pointers of the sets, then the strings. */
#include "ztask_require.h"
#include "ztask_utf8.h"
#include "common/ztask_utf8.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    S_EQ = 1, /* key=value               */
    S_NE,     /* key!=value              */
    S_IN,     /* key in (a,b)            */
    S_NOT_IN, /* key not in (a,b)        */
    S_PRESENT, /* key                    */
    S_ABSENT, /* !key                    */
    S_GT,     /* key>N                   */
    S_GE,     /* key>=N                  */
    S_LT,     /* key<N                   */
    S_LE      /* key<=N                  */
} s_op_t;

/* One requirement as parsed, before it is compiled. */
typedef struct {
    s_op_t op;                                      /* the operator                          */
    char key[ZTASK_REQUIRE_KEY_MAX + 1];            /* the label key                         */
    size_t value_count;                             /* values (1 for = != and numbers)       */
    const char *values[ZTASK_REQUIRE_SET_MAX];      /* into buffer; sorted, unique for sets  */
    char buffer[ZTASK_REQUIRE_TEXT_MAX + ZTASK_REQUIRE_SET_MAX + 2]; /* the values, unescaped */
    size_t buffer_used;                             /* bytes of buffer used                  */
} s_parsed_t;

/* One compiled requirement; every pointer points into the same allocation. */
typedef struct {
    s_op_t op;                 /* the operator                                */
    const char *key;           /* the label key                               */
    const char *const *values; /* sorted values; a number in canonical form   */
    size_t value_count;        /* entries in values                           */
    const char *text;          /* the canonical text                          */
} s_requirement_t;

struct _ztask_require_t {
    size_t count;                      /* distinct requirements                */
    const char *signature;             /* canonical texts joined with "; "     */
    s_requirement_t requirements[];    /* sorted by canonical text             */
};

/* A number of the language split into its parts, zeros trimmed. */
typedef struct {
    bool negative;        /* below zero (never for zero)            */
    const char *integer;  /* integer digits without leading zeros   */
    size_t integer_size;  /* 0 when the integer part is 0           */
    const char *fraction; /* fraction digits without trailing zeros */
    size_t fraction_size; /* 0 when there is no fraction            */
} s_number_t;

/* ---- small helpers ---- */

static bool
s_digit (int c)
{
    return c >= '0' && c <= '9';
}

static bool
s_space (int c)
{
    return c == ' ' || c == '\t';
}

static bool
s_key_start (int c)
{
    return c >= 'a' && c <= 'z';
}

static bool
s_key_char (int c)
{
    return s_key_start (c) || s_digit (c) || c == '_' || c == '.' || c == '-';
}

/* A character a value may hold without quotes. */
static bool
s_bare (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || s_digit (c) || (c && strchr ("_.:/+@%-", c));
}

static size_t
s_skip_space (const char *text, size_t at)
{
    while (s_space (text[at]))
        at++;
    return at;
}


/* Writes "column N: WHAT" into error and returns -1. */
static int
s_fail (char *error, size_t error_size, const char *text, size_t at, const char *format, ...)
{
    if (!error || !error_size)
        return -1;
    int n = snprintf (error, error_size, "column %zu: ", ztask_utf8_column (text, at));
    if (n >= 0 && (size_t) n < error_size) {
        va_list args;
        va_start (args, format);
        vsnprintf (error + n, error_size - (size_t) n, format, args);
        va_end (args);
    }
    return -1;
}

/* Appends size bytes to out (capacity bytes, *used so far); false when full. */
static bool
s_put (char *out, size_t capacity, size_t *used, const char *data, size_t size)
{
    if (*used + size >= capacity)
        return false;
    memcpy (out + *used, data, size);
    *used += size;
    out[*used] = 0;
    return true;
}

static bool
s_puts (char *out, size_t capacity, size_t *used, const char *data)
{
    return s_put (out, capacity, used, data, strlen (data));
}

/* ---- numbers ---- */

/* Length of the number -?[0-9]+(.[0-9]+)? at the start of text, 0 if none. */
static size_t
s_number_length (const char *text, size_t size)
{
    size_t at = 0;
    if (at < size && text[at] == '-')
        at++;
    size_t digits = at;
    while (at < size && s_digit (text[at]))
        at++;
    if (at == digits)
        return 0;
    if (at + 1 < size && text[at] == '.' && s_digit (text[at + 1])) {
        at++;
        while (at < size && s_digit (text[at]))
            at++;
    }
    return at;
}

/* Splits text[0..size), which must be exactly one number, into *number. */
static bool
s_number (const char *text, size_t size, s_number_t *number)
{
    if (size == 0 || s_number_length (text, size) != size)
        return false;
    size_t at = 0;
    number->negative = text[0] == '-';
    if (number->negative)
        at++;
    while (at < size && text[at] == '0')
        at++;
    number->integer = text + at;
    while (at < size && s_digit (text[at]))
        at++;
    number->integer_size = (size_t) (text + at - number->integer);
    number->fraction = text + at;
    number->fraction_size = 0;
    if (at < size && text[at] == '.') {
        number->fraction = text + at + 1;
        number->fraction_size = size - at - 1;
        while (number->fraction_size && number->fraction[number->fraction_size - 1] == '0')
            number->fraction_size--;
    }
    if (number->integer_size == 0 && number->fraction_size == 0)
        number->negative = false; /* -0 is 0 */
    return true;
}

/* Orders two digit strings without leading zeros by value. */
static int
s_digits_compare (const char *a, size_t a_size, const char *b, size_t b_size)
{
    if (a_size != b_size)
        return a_size < b_size ? -1 : 1;
    int c = memcmp (a, b, a_size);
    return (c > 0) - (c < 0);
}

static int
s_number_order (const s_number_t *a, const s_number_t *b)
{
    if (a->negative != b->negative)
        return a->negative ? -1 : 1;
    int order = s_digits_compare (a->integer, a->integer_size, b->integer, b->integer_size);
    for (size_t i = 0; order == 0 && (i < a->fraction_size || i < b->fraction_size); i++) {
        char x = i < a->fraction_size ? a->fraction[i] : '0';
        char y = i < b->fraction_size ? b->fraction[i] : '0';
        order = (x > y) - (x < y);
    }
    return a->negative ? -order : order;
}

int
ztask_number_compare (const char *a, const char *b, int *order)
{
    s_number_t x, y;
    if (!a || !b || !s_number (a, strlen (a), &x) || !s_number (b, strlen (b), &y))
        return -1;
    *order = s_number_order (&x, &y);
    return 0;
}

/* ---- parsing one requirement ---- */

/* Parses a value at *at into p->buffer and p->values: a bare run or a
   quoted string. expected names what was expected when there is neither. */
static int
s_parse_value (const char *text, size_t size, size_t *at, s_parsed_t *p, const char *expected, char *error,
               size_t error_size)
{
    size_t i = *at;
    char *value = p->buffer + p->buffer_used;
    size_t capacity = sizeof p->buffer - p->buffer_used;
    size_t length = 0;
    if (text[i] == '"') {
        size_t open = i++;
        for (;;) {
            if (i >= size)
                return s_fail (error, error_size, text, i, "expected '\"' to close the value opened at column %zu",
                               ztask_utf8_column (text, open));
            if (text[i] == '"') {
                i++;
                break;
            }
            size_t n = 1;
            const char *from = text + i;
            if (text[i] == '\\') {
                if (text[i + 1] != '"' && text[i + 1] != '\\')
                    return s_fail (error, error_size, text, i, "expected \\\" or \\\\ (a backslash escapes only '\"' "
                                   "and '\\')");
                from = text + i + 1;
                i += 2;
            }
            else {
                uint32_t cp;
                n = ztask_utf8_next (text + i, size - i, &cp);
                if (n == 0)
                    return s_fail (error, error_size, text, i, "a value must be UTF-8");
                if (ztask_utf8_is_control (cp))
                    return s_fail (error, error_size, text, i, "a value may not hold a control character");
                i += n;
            }
            if (length + n + 1 > capacity)
                return s_fail (error, error_size, text, i, "the values are too long");
            memcpy (value + length, from, n);
            length += n;
        }
    }
    else {
        while (s_bare (text[i])) {
            if (length + 2 > capacity)
                return s_fail (error, error_size, text, i, "the values are too long");
            value[length++] = text[i++];
        }
        if (length == 0)
            return s_fail (error, error_size, text, i, "%s", expected);
    }
    value[length] = 0;
    p->buffer_used += length + 1;
    p->values[p->value_count++] = value;
    *at = i;
    return 0;
}

static int
s_string_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Parses `(v, v, ...)` at *at, then sorts the values and drops duplicates. */
static int
s_parse_set (const char *text, size_t size, size_t *at, s_parsed_t *p, const char *after, char *error,
             size_t error_size)
{
    size_t i = s_skip_space (text, *at);
    if (text[i] != '(')
        return s_fail (error, error_size, text, i, "expected '(' after '%s'", after);
    i = s_skip_space (text, i + 1);
    const char *expected = "expected a value";
    for (;;) {
        if (p->value_count > 0 && text[i] == ')') { /* a trailing comma */
            i++;
            break;
        }
        if (p->value_count == ZTASK_REQUIRE_SET_MAX)
            return s_fail (error, error_size, text, i, "a set holds at most %d values", ZTASK_REQUIRE_SET_MAX);
        if (s_parse_value (text, size, &i, p, expected, error, error_size))
            return -1;
        i = s_skip_space (text, i);
        if (text[i] == ')') {
            i++;
            break;
        }
        if (text[i] != ',')
            return s_fail (error, error_size, text, i, "expected ',' or ')'");
        i = s_skip_space (text, i + 1);
        expected = "expected a value or ')'";
    }
    qsort (p->values, p->value_count, sizeof p->values[0], s_string_compare);
    size_t unique = 0;
    for (size_t v = 0; v < p->value_count; v++)
        if (unique == 0 || strcmp (p->values[unique - 1], p->values[v]) != 0)
            p->values[unique++] = p->values[v];
    p->value_count = unique;
    *at = i;
    return 0;
}

/* Parses a number at *at and keeps it in canonical form as the one value. */
static int
s_parse_number (const char *text, size_t size, size_t *at, s_parsed_t *p, char *error, size_t error_size)
{
    size_t i = s_skip_space (text, *at);
    size_t n = s_number_length (text + i, size - i);
    s_number_t number;
    if (n == 0 || s_bare (text[i + n]) || !s_number (text + i, n, &number))
        return s_fail (error, error_size, text, i, "expected a number (like 8, -1 or 0.5)");
    char *value = p->buffer + p->buffer_used;
    size_t used = 0, capacity = sizeof p->buffer - p->buffer_used;
    value[0] = 0;
    bool fits = (!number.negative || s_puts (value, capacity, &used, "-"))
                && (number.integer_size ? s_put (value, capacity, &used, number.integer, number.integer_size)
                                        : s_puts (value, capacity, &used, "0"))
                && (!number.fraction_size
                    || (s_puts (value, capacity, &used, ".")
                        && s_put (value, capacity, &used, number.fraction, number.fraction_size)));
    if (!fits)
        return s_fail (error, error_size, text, i, "the number is too long");
    p->buffer_used += used + 1;
    p->values[p->value_count++] = value;
    *at = i + n;
    return 0;
}

/* True if the word is at text + at, followed by a space, '(' or the end. */
static bool
s_word (const char *text, size_t at, const char *word)
{
    size_t n = strlen (word);
    if (strncmp (text + at, word, n) != 0)
        return false;
    char next = text[at + n];
    return next == 0 || s_space (next) || next == '(';
}

static int
s_parse (const char *text, s_parsed_t *p, char *error, size_t error_size)
{
    p->op = 0;
    p->key[0] = 0;
    p->value_count = 0;
    p->buffer_used = 0;
    if (!text)
        text = "";
    size_t size = strnlen (text, ZTASK_REQUIRE_TEXT_MAX + 1);
    if (size > ZTASK_REQUIRE_TEXT_MAX)
        return s_fail (error, error_size, text, ZTASK_REQUIRE_TEXT_MAX, "the requirement is longer than %d bytes",
                       ZTASK_REQUIRE_TEXT_MAX);
    size_t at = s_skip_space (text, 0);
    bool absent = text[at] == '!';
    if (absent)
        at = s_skip_space (text, at + 1);
    if (!s_key_start (text[at]))
        return s_fail (error, error_size, text, at, "expected %sa label key (a lowercase letter, then a-z, 0-9, "
                       "'_', '.' or '-')", absent ? "" : "'!' or ");
    size_t key = at;
    while (s_key_char (text[at]))
        at++;
    if (at - key > ZTASK_REQUIRE_KEY_MAX)
        return s_fail (error, error_size, text, key, "the label key is longer than %d bytes", ZTASK_REQUIRE_KEY_MAX);
    memcpy (p->key, text + key, at - key);
    p->key[at - key] = 0;
    at = s_skip_space (text, at);
    int rc = 0;
    char c = text[at];
    if (absent)
        p->op = S_ABSENT;
    else if (c == 0)
        p->op = S_PRESENT;
    else if (c == '=' || (c == '!' && text[at + 1] == '=')) {
        p->op = c == '=' ? S_EQ : S_NE;
        at = s_skip_space (text, at + (c == '=' ? 1 : 2));
        rc = s_parse_value (text, size, &at, p, "expected a value", error, error_size);
    }
    else if (c == '>' || c == '<') {
        bool equal = text[at + 1] == '=';
        p->op = c == '>' ? (equal ? S_GE : S_GT) : (equal ? S_LE : S_LT);
        at += equal ? 2 : 1;
        rc = s_parse_number (text, size, &at, p, error, error_size);
    }
    else if (s_word (text, at, "in")) {
        p->op = S_IN;
        at += 2;
        rc = s_parse_set (text, size, &at, p, "in", error, error_size);
    }
    else if (s_word (text, at, "not") && s_space (text[at + 3])) {
        at = s_skip_space (text, at + 3);
        if (!s_word (text, at, "in"))
            return s_fail (error, error_size, text, at, "expected 'in' after 'not'");
        p->op = S_NOT_IN;
        at += 2;
        rc = s_parse_set (text, size, &at, p, "not in", error, error_size);
    }
    else
        return s_fail (error, error_size, text, at, "expected an operator (=, !=, in, not in, <, <=, >, >=) or the "
                       "end");
    if (rc)
        return -1;
    at = s_skip_space (text, at);
    if (text[at])
        return s_fail (error, error_size, text, at, "expected the end of the requirement (quote a value that holds "
                       "spaces, commas or parentheses)");
    return 0;
}

/* ---- canonical form ---- */

static bool
s_format_value (char *out, size_t capacity, size_t *used, const char *value)
{
    bool bare = *value != 0;
    for (const char *c = value; *c && bare; c++)
        bare = s_bare (*c);
    if (bare)
        return s_puts (out, capacity, used, value);
    if (!s_puts (out, capacity, used, "\""))
        return false;
    for (const char *c = value; *c; c++) {
        if ((*c == '"' || *c == '\\') && !s_puts (out, capacity, used, "\\"))
            return false;
        if (!s_put (out, capacity, used, c, 1))
            return false;
    }
    return s_puts (out, capacity, used, "\"");
}

/* Writes the canonical text of p into out; its length, or -1 when it does not fit. */
static int
s_format (const s_parsed_t *p, char *out, size_t capacity)
{
    size_t used = 0;
    if (capacity == 0)
        return -1;
    out[0] = 0;
    static const char *const operators[] = {
        [S_EQ] = "=", [S_NE] = "!=", [S_IN] = " in(", [S_NOT_IN] = " not in(", [S_PRESENT] = "",
        [S_ABSENT] = "", [S_GT] = ">", [S_GE] = ">=", [S_LT] = "<", [S_LE] = "<="
    };
    bool fits = (p->op != S_ABSENT || s_puts (out, capacity, &used, "!")) && s_puts (out, capacity, &used, p->key)
                && s_puts (out, capacity, &used, operators[p->op]);
    for (size_t v = 0; fits && v < p->value_count; v++) {
        if (v > 0)
            fits = s_puts (out, capacity, &used, ",");
        fits = fits && s_format_value (out, capacity, &used, p->values[v]);
    }
    if (fits && (p->op == S_IN || p->op == S_NOT_IN))
        fits = s_puts (out, capacity, &used, ")");
    if (!fits) {
        out[0] = 0;
        return -1;
    }
    return (int) used;
}

int
ztask_require_canonical (const char *text, char *canonical, size_t canonical_size, char *error, size_t error_size)
{
    s_parsed_t parsed;
    if (s_parse (text, &parsed, error, error_size))
        return -1;
    if (canonical && s_format (&parsed, canonical, canonical_size) < 0)
        return s_fail (error, error_size, "", 0, "no room for the canonical form");
    return 0;
}

/* ---- compiled requirements ---- */

ztask_require_t *
ztask_require_new (const char *const *texts, size_t count, char *error, size_t error_size, int *failed)
{
    int unused;
    if (!failed)
        failed = &unused;
    *failed = -1;
    if (count > ZTASK_REQUIRE_MAX) {
        if (error && error_size)
            snprintf (error, error_size, "at most %d requirements per task (given %zu)", ZTASK_REQUIRE_MAX, count);
        return NULL;
    }
    s_parsed_t parsed[ZTASK_REQUIRE_MAX];
    char canonical[ZTASK_REQUIRE_MAX][ZTASK_REQUIRE_TEXT_MAX + 1];
    size_t order[ZTASK_REQUIRE_MAX];
    for (size_t i = 0; i < count; i++) {
        if (s_parse (texts[i], &parsed[i], error, error_size)) {
            *failed = (int) i;
            return NULL;
        }
        int n = s_format (&parsed[i], canonical[i], sizeof canonical[i]);
        assert (n >= 0); /* never longer than the text */
        (void) n;
        /* insertion sort by canonical text */
        size_t j = i;
        while (j > 0 && strcmp (canonical[order[j - 1]], canonical[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t unique = 0;
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || strcmp (canonical[order[unique - 1]], canonical[order[i]]) != 0)
            order[unique++] = order[i];

    size_t value_total = 0, string_bytes = 1; /* the signature's NUL */
    for (size_t i = 0; i < unique; i++) {
        const s_parsed_t *p = &parsed[order[i]];
        size_t text_size = strlen (canonical[order[i]]);
        /* "; " and the text in the signature, the text and its NUL, the key, the values */
        string_bytes += 2 + text_size + text_size + 1 + strlen (p->key) + 1 + p->buffer_used;
        value_total += p->value_count;
    }
    size_t size = sizeof (ztask_require_t) + unique * sizeof (s_requirement_t) + value_total * sizeof (char *)
                  + string_bytes;
    ztask_require_t *self = (ztask_require_t *) malloc (size);
    if (!self) {
        if (error && error_size)
            snprintf (error, error_size, "out of memory");
        return NULL;
    }
    self->count = unique;
    const char **values = (const char **) (self->requirements + unique);
    char *strings = (char *) (values + value_total);
    char *signature = strings;
    size_t signature_size = 0;
    for (size_t i = 0; i < unique; i++) {
        size_t text_size = strlen (canonical[order[i]]);
        if (i > 0) {
            memcpy (signature + signature_size, "; ", 2);
            signature_size += 2;
        }
        memcpy (signature + signature_size, canonical[order[i]], text_size);
        signature_size += text_size;
    }
    signature[signature_size] = 0;
    self->signature = signature;
    strings += signature_size + 1;
    for (size_t i = 0; i < unique; i++) {
        const s_parsed_t *p = &parsed[order[i]];
        s_requirement_t *r = &self->requirements[i];
        r->op = p->op;
        size_t n = strlen (canonical[order[i]]) + 1;
        r->text = memcpy (strings, canonical[order[i]], n);
        strings += n;
        n = strlen (p->key) + 1;
        r->key = memcpy (strings, p->key, n);
        strings += n;
        r->values = values;
        r->value_count = p->value_count;
        for (size_t v = 0; v < p->value_count; v++) {
            n = strlen (p->values[v]) + 1;
            *values++ = memcpy (strings, p->values[v], n);
            strings += n;
        }
    }
    assert ((size_t) (strings - (char *) self) <= size);
    if (error && error_size)
        error[0] = 0;
    return self;
}

void
ztask_require_destroy (ztask_require_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

size_t
ztask_require_count (const ztask_require_t *self)
{
    assert (self);
    return self->count;
}

const char *
ztask_require_text (const ztask_require_t *self, size_t index)
{
    assert (self);
    assert (index < self->count);
    return self->requirements[index].text;
}

const char *
ztask_require_signature (const ztask_require_t *self)
{
    assert (self);
    return self->signature;
}

static bool
s_in_set (const s_requirement_t *r, const char *value)
{
    size_t low = 0, high = r->value_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int c = strcmp (r->values[middle], value);
        if (c == 0)
            return true;
        if (c < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return false;
}

/* True if the requirement holds for the label's value (NULL: no such label). */
static bool
s_holds (const s_requirement_t *r, const char *value)
{
    switch (r->op) {
    case S_PRESENT: return value != NULL;
    case S_ABSENT: return value == NULL;
    case S_EQ: return value && strcmp (value, r->values[0]) == 0;
    case S_NE: return !value || strcmp (value, r->values[0]) != 0;
    case S_IN: return value && s_in_set (r, value);
    case S_NOT_IN: return !value || !s_in_set (r, value);
    default: break;
    }
    s_number_t have, want;
    if (!value || !s_number (value, strlen (value), &have))
        return false; /* absent or not a number: every comparison fails */
    bool ok = s_number (r->values[0], strlen (r->values[0]), &want);
    assert (ok);
    (void) ok;
    int order = s_number_order (&have, &want);
    switch (r->op) {
    case S_GT: return order > 0;
    case S_GE: return order >= 0;
    case S_LT: return order < 0;
    case S_LE: return order <= 0;
    default: return false;
    }
}

int
ztask_require_first_unmet (const ztask_require_t *self, ztask_label_lookup_fn *lookup, void *arg)
{
    assert (self);
    assert (lookup);
    for (size_t i = 0; i < self->count; i++) {
        const s_requirement_t *r = &self->requirements[i];
        if (!s_holds (r, lookup (arg, r->key)))
            return (int) i;
    }
    return -1;
}

bool
ztask_require_match (const ztask_require_t *self, ztask_label_lookup_fn *lookup, void *arg)
{
    return ztask_require_first_unmet (self, lookup, arg) < 0;
}

typedef struct {
    const ztask_label_t *labels; /* sorted by key */
    size_t count;                /* entries in labels */
} s_label_array_t;

static const char *
s_label_array_lookup (void *arg, const char *key)
{
    const s_label_array_t *array = (const s_label_array_t *) arg;
    size_t low = 0, high = array->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int c = strcmp (array->labels[middle].key, key);
        if (c == 0)
            return array->labels[middle].value;
        if (c < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

bool
ztask_require_match_labels (const ztask_require_t *self, const ztask_label_t *labels, size_t count)
{
    s_label_array_t array = { labels, count };
    return ztask_require_match (self, s_label_array_lookup, &array);
}

static int
s_label_compare (const void *a, const void *b)
{
    return strcmp (((const ztask_label_t *) a)->key, ((const ztask_label_t *) b)->key);
}

void
ztask_labels_sort (ztask_label_t *labels, size_t count)
{
    if (count > 1)
        qsort (labels, count, sizeof *labels, s_label_compare);
}

/* ---- plugin versions ---- */

/* A version split into its parts. */
typedef struct {
    const char *core;      /* 1.2.3                                   */
    size_t core_size;      /* bytes of core                           */
    const char *pre;       /* the pre-release after '-', or NULL      */
    size_t pre_size;       /* bytes of pre                            */
    size_t size;           /* bytes of the whole, build included      */
} s_version_t;

static bool
s_ident_char (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || s_digit (c) || c == '.' || c == '-';
}

/* Splits text[0..size) into *version: true if it is exactly one version
   (with a build part only when build is true). */
static bool
s_version (const char *text, size_t size, bool build, s_version_t *version)
{
    size_t at = 0;
    for (;;) {
        size_t start = at;
        while (at < size && s_digit (text[at]))
            at++;
        if (at == start)
            return false;
        if (at < size && text[at] == '.')
            at++;
        else
            break;
    }
    version->core = text;
    version->core_size = at;
    version->pre = NULL;
    version->pre_size = 0;
    if (at < size && text[at] == '-') {
        size_t start = ++at;
        while (at < size && s_ident_char (text[at]))
            at++;
        if (at == start)
            return false;
        version->pre = text + start;
        version->pre_size = at - start;
    }
    if (build && at < size && text[at] == '+') {
        size_t start = ++at;
        while (at < size && s_ident_char (text[at]))
            at++;
        if (at == start)
            return false;
    }
    version->size = at;
    return at == size;
}

bool
ztask_version_valid (const char *version)
{
    s_version_t v;
    return version && s_version (version, strlen (version), true, &v);
}

/* The next dotted component of core at *at, without leading zeros; "" past the end. */
static void
s_component (const char *core, size_t core_size, size_t *at, const char **digits, size_t *size)
{
    size_t i = *at;
    while (i < core_size && core[i] == '0' && i + 1 < core_size && s_digit (core[i + 1]))
        i++;
    if (i < core_size && core[i] == '0')
        i++; /* a lone 0 is "" */
    *digits = core + i;
    while (i < core_size && s_digit (core[i]))
        i++;
    *size = (size_t) (core + i - *digits);
    if (i < core_size && core[i] == '.')
        i++;
    *at = i;
}

/* Orders the first limit components (all when limit is 0) of two cores. */
static int
s_core_compare (const char *a, size_t a_size, const char *b, size_t b_size, size_t limit)
{
    size_t i = 0, j = 0;
    for (size_t n = 0; (i < a_size || j < b_size) && (limit == 0 || n < limit); n++) {
        const char *x, *y;
        size_t x_size, y_size;
        s_component (a, a_size, &i, &x, &x_size);
        s_component (b, b_size, &j, &y, &y_size);
        int c = s_digits_compare (x, x_size, y, y_size);
        if (c)
            return c;
    }
    return 0;
}

/* Orders two pre-releases: runs of digits as numbers, other characters bytewise, digits first. */
static int
s_pre_compare (const char *a, size_t a_size, const char *b, size_t b_size)
{
    size_t i = 0, j = 0;
    while (i < a_size && j < b_size) {
        bool x = s_digit (a[i]), y = s_digit (b[j]);
        if (x && y) {
            while (i < a_size && a[i] == '0' && i + 1 < a_size && s_digit (a[i + 1]))
                i++;
            while (j < b_size && b[j] == '0' && j + 1 < b_size && s_digit (b[j + 1]))
                j++;
            size_t x0 = i, y0 = j;
            while (i < a_size && s_digit (a[i]))
                i++;
            while (j < b_size && s_digit (b[j]))
                j++;
            int c = s_digits_compare (a + x0, i - x0, b + y0, j - y0);
            if (c)
                return c;
        }
        else if (x != y)
            return x ? -1 : 1;
        else if (a[i] != b[j])
            return (unsigned char) a[i] < (unsigned char) b[j] ? -1 : 1;
        else {
            i++;
            j++;
        }
    }
    return (i < a_size) - (j < b_size);
}

static int
s_version_order (const s_version_t *a, const s_version_t *b)
{
    int c = s_core_compare (a->core, a->core_size, b->core, b->core_size, 0);
    if (c)
        return c;
    if (!a->pre || !b->pre)
        return (a->pre == NULL) - (b->pre == NULL); /* a pre-release comes first */
    return s_pre_compare (a->pre, a->pre_size, b->pre, b->pre_size);
}

int
ztask_version_compare (const char *a, const char *b)
{
    s_version_t x, y;
    bool x_ok = a && s_version (a, strlen (a), true, &x);
    bool y_ok = b && s_version (b, strlen (b), true, &y);
    if (x_ok && y_ok)
        return s_version_order (&x, &y);
    if (x_ok != y_ok)
        return x_ok ? 1 : -1;
    int c = strcmp (a ? a : "", b ? b : "");
    return (c > 0) - (c < 0);
}

/* Writes core without leading zeros in its components and, when trim is
   true, without trailing .0 components (at least one is kept). */
static bool
s_core_normalise (const char *core, size_t core_size, bool trim, char *out, size_t capacity, size_t *used)
{
    size_t keep = 0, count = 0, at = 0;
    const char *digits;
    size_t size;
    while (at < core_size) {
        s_component (core, core_size, &at, &digits, &size);
        count++;
        if (size || !trim)
            keep = count;
    }
    if (keep == 0)
        keep = 1;
    at = 0;
    for (size_t n = 0; n < keep; n++) {
        s_component (core, core_size, &at, &digits, &size);
        if ((n > 0 && !s_puts (out, capacity, used, "."))
            || (size ? !s_put (out, capacity, used, digits, size) : !s_puts (out, capacity, used, "0")))
            return false;
    }
    return true;
}

int
ztask_version_constraint_parse (const char *text, ztask_version_constraint_t *constraint, char *error,
                                size_t error_size)
{
    assert (constraint);
    memset (constraint, 0, sizeof *constraint);
    if (!text)
        text = "";
    size_t size = strnlen (text, ZTASK_VERSION_CONSTRAINT_TEXT_MAX + 1);
    if (size > ZTASK_VERSION_CONSTRAINT_TEXT_MAX)
        return s_fail (error, error_size, text, ZTASK_VERSION_CONSTRAINT_TEXT_MAX,
                       "the version constraint is longer than %d bytes", ZTASK_VERSION_CONSTRAINT_TEXT_MAX);
    size_t op_at = size;
    for (size_t i = size; i > 0; i--)
        if (strchr ("<>=@", text[i - 1])) {
            op_at = i - 1;
            break;
        }
    if (op_at == size)
        return s_fail (error, error_size, text, size, "expected a version operator (=, >, >=, <, <= or @) and a "
                       "version");
    size_t version_at = op_at + 1;
    char c = text[op_at];
    if (c == '=' && op_at > 0 && (text[op_at - 1] == '>' || text[op_at - 1] == '<')) {
        op_at--;
        c = text[op_at];
        constraint->op = c == '>' ? ZTASK_VERSION_GE : ZTASK_VERSION_LE;
    }
    else
        constraint->op = c == '=' ? ZTASK_VERSION_EQ
                       : c == '>' ? ZTASK_VERSION_GT
                       : c == '<' ? ZTASK_VERSION_LT
                                  : ZTASK_VERSION_SERIES;

    /* the type: any name (UTF-8, no control character), spaces around trimmed */
    size_t type_at = s_skip_space (text, 0), type_end = op_at;
    while (type_end > type_at && s_space (text[type_end - 1]))
        type_end--;
    if (type_end == type_at)
        return s_fail (error, error_size, text, type_at, "expected a plugin name before '%.*s'",
                       (int) (version_at - op_at), text + op_at);
    if (type_end - type_at >= sizeof constraint->type)
        return s_fail (error, error_size, text, type_at, "the plugin name is longer than %zu bytes",
                       sizeof constraint->type - 1);
    for (size_t i = type_at; i < type_end;) {
        uint32_t cp;
        size_t n = ztask_utf8_next (text + i, type_end - i, &cp);
        if (n == 0)
            return s_fail (error, error_size, text, i, "a plugin name must be UTF-8");
        if (ztask_utf8_is_control (cp))
            return s_fail (error, error_size, text, i, "a plugin name may not hold a control character");
        i += n;
    }
    memcpy (constraint->type, text + type_at, type_end - type_at);

    /* the version, spaces around trimmed */
    size_t at = s_skip_space (text, version_at), end = size;
    while (end > at && s_space (text[end - 1]))
        end--;
    const char *version = text + at;
    size_t version_size = end - at, used = 0;
    char *out = constraint->version;
    size_t capacity = sizeof constraint->version;
    if (constraint->op == ZTASK_VERSION_SERIES) {
        s_version_t v;
        if (version_size < 3 || memcmp (version + version_size - 2, ".x", 2) != 0
            || !s_version (version, version_size - 2, false, &v) || v.pre)
            return s_fail (error, error_size, text, at, "expected a version series like 1.x or 1.2.x");
        if (version_size > ZTASK_VERSION_TEXT_MAX
            || !s_core_normalise (version, version_size - 2, false, out, capacity, &used))
            return s_fail (error, error_size, text, at, "the version is longer than %d bytes", ZTASK_VERSION_TEXT_MAX);
        return 0;
    }
    s_version_t v;
    if (version_size == 0 || !s_version (version, version_size, false, &v))
        return s_fail (error, error_size, text, at, "expected a version (like 1.2 or 1.2.0-rc1)");
    if (version_size > ZTASK_VERSION_TEXT_MAX || !s_core_normalise (v.core, v.core_size, true, out, capacity, &used)
        || (v.pre && (!s_puts (out, capacity, &used, "-") || !s_put (out, capacity, &used, v.pre, v.pre_size))))
        return s_fail (error, error_size, text, at, "the version is longer than %d bytes", ZTASK_VERSION_TEXT_MAX);
    return 0;
}

bool
ztask_version_constraint_match (const ztask_version_constraint_t *constraint, const char *version)
{
    assert (constraint);
    s_version_t have, want;
    if (!version || !s_version (version, strlen (version), true, &have))
        return false;
    const char *c = constraint->version;
    size_t c_size = strlen (c);
    if (constraint->op == ZTASK_VERSION_SERIES) {
        size_t components = 1;
        for (size_t i = 0; i < c_size; i++)
            components += c[i] == '.';
        return s_core_compare (have.core, have.core_size, c, c_size, components) == 0;
    }
    if (!s_version (c, c_size, false, &want))
        return false; /* not parsed by ztask_version_constraint_parse */
    int order = s_version_order (&have, &want);
    switch (constraint->op) {
    case ZTASK_VERSION_EQ: return order == 0;
    case ZTASK_VERSION_GT: return order > 0;
    case ZTASK_VERSION_GE: return order >= 0;
    case ZTASK_VERSION_LT: return order < 0;
    case ZTASK_VERSION_LE: return order <= 0;
    default: return false;
    }
}

int
ztask_version_constraint_format (const ztask_version_constraint_t *constraint, char *text, size_t size)
{
    assert (constraint);
    static const char *const operators[] = {
        [ZTASK_VERSION_EQ] = "=", [ZTASK_VERSION_GT] = ">", [ZTASK_VERSION_GE] = ">=",
        [ZTASK_VERSION_LT] = "<", [ZTASK_VERSION_LE] = "<=", [ZTASK_VERSION_SERIES] = "@"
    };
    if (size == 0)
        return -1;
    text[0] = 0;
    if (constraint->op < ZTASK_VERSION_EQ || constraint->op > ZTASK_VERSION_SERIES)
        return -1;
    size_t used = 0, type_size = strlen (constraint->type);
    /* "a> =1": a type that ends in '<' or '>' before '=' must not read as ">=" */
    bool space = constraint->op == ZTASK_VERSION_EQ && type_size
                 && (constraint->type[type_size - 1] == '<' || constraint->type[type_size - 1] == '>');
    if (!s_puts (text, size, &used, constraint->type) || (space && !s_puts (text, size, &used, " "))
        || !s_puts (text, size, &used, operators[constraint->op])
        || !s_puts (text, size, &used, constraint->version)
        || (constraint->op == ZTASK_VERSION_SERIES && !s_puts (text, size, &used, ".x"))) {
        text[0] = 0;
        return -1;
    }
    return (int) used;
}

/* ---- resource requests ---- */

static int
s_resource_compare (const void *a, const void *b)
{
    return strcmp (((const ztask_resource_t *) a)->name, ((const ztask_resource_t *) b)->name);
}

int
ztask_resources_parse (const char *text, ztask_resources_t *resources, char *error, size_t error_size)
{
    assert (resources);
    resources->count = 0;
    if (!text)
        text = "";
    size_t size = strnlen (text, ZTASK_RESOURCES_TEXT_MAX + 1);
    if (size > ZTASK_RESOURCES_TEXT_MAX)
        return s_fail (error, error_size, text, ZTASK_RESOURCES_TEXT_MAX, "the resource request is longer than %d "
                       "bytes", ZTASK_RESOURCES_TEXT_MAX);
    size_t at = 0;
    for (;;) {
        at = s_skip_space (text, at);
        if (!s_key_start (text[at])) {
            resources->count = 0;
            return s_fail (error, error_size, text, at, "expected a resource name (a lowercase letter, then a-z, "
                           "0-9, '_', '.' or '-')");
        }
        size_t name = at;
        while (s_key_char (text[at]))
            at++;
        size_t name_size = at - name;
        int rc = 0;
        if (name_size > ZTASK_REQUIRE_KEY_MAX)
            rc = s_fail (error, error_size, text, name, "the resource name is longer than %d bytes",
                         ZTASK_REQUIRE_KEY_MAX);
        for (size_t i = 0; rc == 0 && i < resources->count; i++)
            if (strlen (resources->items[i].name) == name_size
                && memcmp (resources->items[i].name, text + name, name_size) == 0)
                rc = s_fail (error, error_size, text, name, "the resource '%.*s' is asked for twice", (int) name_size,
                             text + name);
        if (rc == 0 && resources->count == ZTASK_REQUEST_RESOURCES_MAX)
            rc = s_fail (error, error_size, text, name, "at most %d resources per request", ZTASK_REQUEST_RESOURCES_MAX);
        at = s_skip_space (text, at);
        if (rc == 0 && text[at] != '=')
            rc = s_fail (error, error_size, text, at, "expected '=' after the resource name");
        if (rc == 0)
            at = s_skip_space (text, at + 1);
        size_t digits = at;
        uint64_t amount = 0;
        bool too_large = false;
        while (rc == 0 && s_digit (text[at])) {
            unsigned d = (unsigned) (text[at++] - '0');
            if (amount > (ZTASK_RESOURCE_AMOUNT_MAX - d) / 10)
                too_large = true;
            else
                amount = amount * 10 + d;
        }
        if (rc == 0 && (at == digits || s_bare (text[at])))
            rc = s_fail (error, error_size, text, digits, "expected an amount (a whole number from 0 to %llu)",
                         ZTASK_RESOURCE_AMOUNT_MAX);
        if (rc == 0 && too_large)
            rc = s_fail (error, error_size, text, digits, "the amount is larger than 2^53 (%llu)",
                         ZTASK_RESOURCE_AMOUNT_MAX);
        if (rc == 0)
            at = s_skip_space (text, at);
        if (rc == 0 && text[at] != ',' && text[at] != 0)
            rc = s_fail (error, error_size, text, at, "expected ',' or the end");
        if (rc) {
            resources->count = 0;
            return -1;
        }
        ztask_resource_t *item = &resources->items[resources->count++];
        memcpy (item->name, text + name, name_size);
        item->name[name_size] = 0;
        item->amount = amount;
        if (text[at] == 0)
            break;
        at++; /* ',' */
    }
    qsort (resources->items, resources->count, sizeof resources->items[0], s_resource_compare);
    return 0;
}

int
ztask_resources_format (const ztask_resources_t *resources, char *text, size_t size)
{
    assert (resources);
    if (size == 0)
        return -1;
    text[0] = 0;
    size_t used = 0;
    for (size_t i = 0; i < resources->count && i < ZTASK_REQUEST_RESOURCES_MAX; i++) {
        char amount[32];
        snprintf (amount, sizeof amount, "=%" PRIu64, resources->items[i].amount);
        if ((i > 0 && !s_puts (text, size, &used, ",")) || !s_puts (text, size, &used, resources->items[i].name)
            || !s_puts (text, size, &used, amount)) {
            text[0] = 0;
            return -1;
        }
    }
    return (int) used;
}
