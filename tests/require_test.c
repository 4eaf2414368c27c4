/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  require_test - the requirement language (src/common/ztask_require.c,
    docs/routing.md "The requirement language"): accepted requirements and
    their canonical forms, refused ones with their exact column and message,
    signatures, matching over label sets (the absent-key rule, numbers),
    plugin versions and constraints, resource requests, and the limits. */
#include "tap.h"
#include "common/ztask_require.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one requirement: accepted, with its canonical form ---- */

typedef struct {
    const char *text;
    const char *canonical;
} accepted_t;

static const accepted_t accepted[] = {
    { "zone=eu-1", "zone=eu-1" },
    { " zone = eu-1 ", "zone=eu-1" },
    { "\tzone=\teu-1\t", "zone=eu-1" },
    { "zone=\"eu-1\"", "zone=eu-1" },
    { "zone = \"eu 1\"", "zone=\"eu 1\"" },
    { "zone=\"\"", "zone=\"\"" },
    { "note=\"a, b (c)\"", "note=\"a, b (c)\"" },
    { "note=\"say \\\"hi\\\"\"", "note=\"say \\\"hi\\\"\"" },
    { "path=\"C:\\\\x\"", "path=\"C:\\\\x\"" },
    { "city=\"Zürich\"", "city=\"Zürich\"" },
    { "url=http://a.example/x+y@z%20", "url=http://a.example/x+y@z%20" },
    { "tier!=spot", "tier!=spot" },
    { "tier != spot", "tier!=spot" },
    { "os", "os" },
    { "  os  ", "os" },
    { "!spot", "!spot" },
    { "! spot", "!spot" },
    { "in", "in" },
    { "not", "not" },
    { "gpu_model in (a100,h100)", "gpu_model in(a100,h100)" },
    { "gpu_model in(h100, a100)", "gpu_model in(a100,h100)" },
    { "gpu_model in ( h100 , a100 , h100 )", "gpu_model in(a100,h100)" },
    { "gpu_model in (a100,)", "gpu_model in(a100)" },
    { "gpu_model in (\"a 1\", b)", "gpu_model in(\"a 1\",b)" },
    { "os not in (windows, darwin)", "os not in(darwin,windows)" },
    { "os not  in(windows)", "os not in(windows)" },
    { "in in (in)", "in in(in)" },
    { "not not in (not)", "not not in(not)" },
    { "cores>=8", "cores>=8" },
    { "cores >= 08", "cores>=8" },
    { "cores>8", "cores>8" },
    { "load<0.50", "load<0.5" },
    { "load <= 1.0", "load<=1" },
    { "temp>-0", "temp>0" },
    { "temp>-0.25", "temp>-0.25" },
    { "a.b-c_d9=x", "a.b-c_d9=x" },
    { "x=-1", "x=-1" },
    { "x=1.0", "x=1.0" },
};

/* ---- refused, with the exact message ---- */

typedef struct {
    const char *text;
    const char *error;
} refused_t;

static const refused_t refused[] = {
    { "gpu_model in (a100,", "column 20: expected a value or ')'" },
    { "", "column 1: expected '!' or a label key (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "   ", "column 4: expected '!' or a label key (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "Zone=eu", "column 1: expected '!' or a label key (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "9zone", "column 1: expected '!' or a label key (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "!", "column 2: expected a label key (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "!=x", "column 2: expected a label key (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "!zone=x", "column 6: expected the end of the requirement (quote a value that holds spaces, commas or "
                 "parentheses)" },
    { "zone=", "column 6: expected a value" },
    { "zone= ", "column 7: expected a value" },
    { "zone==eu", "column 6: expected a value" },
    { "zone!", "column 5: expected an operator (=, !=, in, not in, <, <=, >, >=) or the end" },
    { "zoneX=1", "column 5: expected an operator (=, !=, in, not in, <, <=, >, >=) or the end" },
    { "zone ~ eu", "column 6: expected an operator (=, !=, in, not in, <, <=, >, >=) or the end" },
    { "zone inx (a)", "column 6: expected an operator (=, !=, in, not in, <, <=, >, >=) or the end" },
    { "zone=eu 1", "column 9: expected the end of the requirement (quote a value that holds spaces, commas or "
                   "parentheses)" },
    { "zone=a,b", "column 7: expected the end of the requirement (quote a value that holds spaces, commas or "
                  "parentheses)" },
    { "zone=\"eu", "column 9: expected '\"' to close the value opened at column 6" },
    { "zone=\"a\\b\"", "column 8: expected \\\" or \\\\ (a backslash escapes only '\"' and '\\')" },
    { "zone=\"a\tb\"", "column 8: a value may not hold a control character" },
    { "zone=\"a\xff\"", "column 8: a value must be UTF-8" },
    { "zone=é", "column 6: expected a value" },
    { "city=\"Zürich", "column 13: expected '\"' to close the value opened at column 6" },
    { "zone in", "column 8: expected '(' after 'in'" },
    { "zone in a", "column 9: expected '(' after 'in'" },
    { "zone not in a", "column 13: expected '(' after 'not in'" },
    { "zone not (a)", "column 10: expected 'in' after 'not'" },
    { "zone in ()", "column 10: expected a value" },
    { "zone in (,a)", "column 10: expected a value" },
    { "zone in (a,,b)", "column 12: expected a value or ')'" },
    { "zone in (a b)", "column 12: expected ',' or ')'" },
    { "zone in (a", "column 11: expected ',' or ')'" },
    { "zone in (a) x", "column 13: expected the end of the requirement (quote a value that holds spaces, commas or "
                       "parentheses)" },
    { "cores>=", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=eight", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=8x", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=1.2.3", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=.5", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=5.", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=1e3", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores>=+1", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores> =8", "column 8: expected a number (like 8, -1 or 0.5)" },
    { "cores=>8", "column 7: expected a value" },
};

/* ---- matching ---- */

/* A worker: labels as "k=v" strings, NULL-terminated. */
static const char *const worker_gpu[] = { "zone=eu-1", "gpu_model=a100", "tier=on-demand", "os=linux",
                                          "cores=32", "memory_mb=262144", "load=0.75", "temp=-4.5",
                                          "note=a, b", "version=abc", NULL };
static const char *const worker_spot[] = { "zone=eu-2", "tier=spot", "os=linux", "cores=8", "spot=yes",
                                           "load=1.5", NULL };
static const char *const worker_bare[] = { NULL };

typedef struct {
    const char *const *labels;
    const char *requirement;
    bool match;
} match_t;

static const match_t matches[] = {
    { worker_gpu, "zone=eu-1", true },
    { worker_spot, "zone=eu-1", false },
    { worker_bare, "zone=eu-1", false },          /* absent: = fails */
    { worker_gpu, "tier!=spot", true },
    { worker_spot, "tier!=spot", false },
    { worker_bare, "tier!=spot", true },          /* absent: != holds */
    { worker_gpu, "gpu_model in (a100,h100)", true },
    { worker_spot, "gpu_model in (a100,h100)", false },
    { worker_gpu, "gpu_model in (h100)", false },
    { worker_gpu, "gpu_model not in (h100)", true },
    { worker_gpu, "gpu_model not in (a100)", false },
    { worker_bare, "gpu_model not in (a100)", true }, /* absent: not in holds */
    { worker_gpu, "os", true },
    { worker_bare, "os", false },
    { worker_gpu, "!spot", true },
    { worker_spot, "!spot", false },
    { worker_gpu, "note=\"a, b\"", true },
    { worker_gpu, "note=a", false },
    { worker_gpu, "cores>=32", true },
    { worker_gpu, "cores>32", false },
    { worker_gpu, "cores>31.99", true },
    { worker_gpu, "cores<=32.0", true },
    { worker_gpu, "cores<32", false },
    { worker_spot, "cores>=16", false },
    { worker_spot, "cores<16", true },
    { worker_bare, "cores<16", false },          /* absent: comparisons fail */
    { worker_gpu, "version>=1", false },         /* not a number: comparisons fail */
    { worker_gpu, "version<1", false },
    { worker_gpu, "memory_mb>=16000", true },
    { worker_gpu, "memory_mb>=1000000", false },
    { worker_gpu, "load<1", true },
    { worker_spot, "load<1", false },
    { worker_gpu, "load>0.7", true },
    { worker_gpu, "load>0.75", false },
    { worker_gpu, "load>=0.750", true },
    { worker_gpu, "temp<-4", true },
    { worker_gpu, "temp<-4.5", false },
    { worker_gpu, "temp>-5", true },
    { worker_gpu, "temp>-10", true },
    { worker_gpu, "cores=32", true },
    { worker_gpu, "cores=32.0", false },         /* = compares text */
};

/* Splits "k=v" labels into a sorted array (strings owned by the caller's storage). */
static size_t
s_labels (const char *const *source, ztask_label_t *labels, char storage[][64])
{
    size_t n = 0;
    for (; source[n]; n++) {
        snprintf (storage[n], 64, "%s", source[n]);
        char *eq = strchr (storage[n], '=');
        *eq = 0;
        labels[n].key = storage[n];
        labels[n].value = eq + 1;
    }
    ztask_labels_sort (labels, n);
    return n;
}

typedef struct {
    const char *const *labels;
    int calls;
} lookup_t;

static const char *
s_lookup (void *arg, const char *key)
{
    lookup_t *self = (lookup_t *) arg;
    self->calls++;
    size_t n = strlen (key);
    for (size_t i = 0; self->labels[i]; i++)
        if (strncmp (self->labels[i], key, n) == 0 && self->labels[i][n] == '=')
            return self->labels[i] + n + 1;
    return NULL;
}

static const char *
s_worker_name (const char *const *labels)
{
    return labels == worker_gpu ? "gpu" : labels == worker_spot ? "spot" : "bare";
}

static void
s_check_one (void)
{
    char canonical[ZTASK_REQUIRE_TEXT_MAX + 1], again[ZTASK_REQUIRE_TEXT_MAX + 1], error[256];
    size_t n = sizeof accepted / sizeof accepted[0];
    int good = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = ztask_require_canonical (accepted[i].text, canonical, sizeof canonical, error, sizeof error);
        bool same = rc == 0 && strcmp (canonical, accepted[i].canonical) == 0;
        bool stable = rc == 0 && ztask_require_canonical (canonical, again, sizeof again, error, sizeof error) == 0
                      && strcmp (again, canonical) == 0;
        if (TAP_OK (same && stable && strlen (canonical) <= strlen (accepted[i].text),
                    "accepts '%s' as '%s'", accepted[i].text, accepted[i].canonical))
            good++;
        else
            printf ("#   rc %d, canonical '%s', error '%s'\n", rc, rc == 0 ? canonical : "", rc ? error : "");
    }
    (void) good;

    n = sizeof refused / sizeof refused[0];
    for (size_t i = 0; i < n; i++) {
        error[0] = 0;
        int rc = ztask_require_canonical (refused[i].text, canonical, sizeof canonical, error, sizeof error);
        char shown[64];
        snprintf (shown, sizeof shown, "%s", refused[i].text);
        for (char *s = shown; *s; s++)
            *s = (unsigned char) *s < 0x20 || (unsigned char) *s == 0xff ? '?' : *s;
        if (!TAP_OK (rc == -1 && strcmp (error, refused[i].error) == 0, "refuses '%s': %s", shown, refused[i].error))
            printf ("#   rc %d, got '%s'\n", rc, error);
    }

    /* the length limits */
    char text[400];
    memset (text, 0, sizeof text);
    strcpy (text, "k=");
    memset (text + 2, 'v', ZTASK_REQUIRE_TEXT_MAX - 2);
    TAP_OK (ztask_require_canonical (text, canonical, sizeof canonical, error, sizeof error) == 0
                && strlen (canonical) == ZTASK_REQUIRE_TEXT_MAX,
            "a requirement of 255 bytes is accepted");
    strcat (text, "v");
    TAP_OK (ztask_require_canonical (text, canonical, sizeof canonical, error, sizeof error) == -1
                && strcmp (error, "column 256: the requirement is longer than 255 bytes") == 0,
            "one of 256 bytes is refused at column 256 (%s)", error);
    memset (text, 0, sizeof text);
    memset (text, 'k', ZTASK_REQUIRE_KEY_MAX);
    TAP_OK (ztask_require_canonical (text, NULL, 0, error, sizeof error) == 0, "a key of 63 bytes is accepted");
    text[ZTASK_REQUIRE_KEY_MAX] = 'k';
    TAP_OK (ztask_require_canonical (text, NULL, 0, error, sizeof error) == -1
                && strcmp (error, "column 1: the label key is longer than 63 bytes") == 0,
            "a key of 64 bytes is refused (%s)", error);
    strcpy (text, "k in (");
    for (int v = 0; v < ZTASK_REQUIRE_SET_MAX; v++)
        sprintf (text + strlen (text), "%s%d", v ? "," : "", v);
    strcat (text, ")");
    TAP_OK (ztask_require_canonical (text, NULL, 0, error, sizeof error) == 0, "a set of 32 values is accepted");
    strcpy (text + strlen (text) - 1, ",x)");
    TAP_OK (ztask_require_canonical (text, NULL, 0, error, sizeof error) == -1
                && strcmp (error, "column 93: a set holds at most 32 values") == 0,
            "a set of 33 values is refused (%s)", error);
    TAP_OK (ztask_require_canonical ("zone in (b,a)", canonical, 8, error, sizeof error) == -1
                && strcmp (error, "column 1: no room for the canonical form") == 0,
            "too small a buffer for the canonical form is an error");
}

static void
s_check_set (void)
{
    char error[256];
    int failed = 99;
    const char *one[] = { " zone = eu-1 ", "gpu_model in (h100, a100)", "os", "tier != spot", "cores>=08" };
    const char *two[] = { "cores >= 8", "tier!=spot", "os", "zone=eu-1", "gpu_model in(a100,h100)", "os" };
    ztask_require_t *a = ztask_require_new (one, 5, error, sizeof error, &failed);
    ztask_require_t *b = ztask_require_new (two, 6, error, sizeof error, &failed);
    TAP_OK (a && b, "compiles two ways of writing the same five requirements");
    if (!a || !b)
        return;
    const char *expect = "cores>=8; gpu_model in(a100,h100); os; tier!=spot; zone=eu-1";
    TAP_OK (strcmp (ztask_require_signature (a), expect) == 0, "signature: %s", ztask_require_signature (a));
    TAP_OK (strcmp (ztask_require_signature (a), ztask_require_signature (b)) == 0,
            "the same signature for both, duplicates counted once");
    TAP_OK (ztask_require_count (b) == 5 && strcmp (ztask_require_text (b, 1), "gpu_model in(a100,h100)") == 0,
            "five distinct requirements, in signature order");

    char storage[16][64];
    ztask_label_t labels[16];
    size_t count = s_labels (worker_gpu, labels, storage);
    TAP_OK (ztask_require_match_labels (a, labels, count), "the GPU worker meets all five");
    count = s_labels (worker_spot, labels, storage);
    TAP_OK (!ztask_require_match_labels (a, labels, count), "the spot worker does not");
    lookup_t lookup = { worker_spot, 0 };
    int unmet = ztask_require_first_unmet (a, s_lookup, &lookup);
    TAP_OK (unmet == 1 && strcmp (ztask_require_text (a, (size_t) unmet), "gpu_model in(a100,h100)") == 0,
            "the first unmet requirement is named (%d)", unmet);
    lookup.labels = worker_gpu;
    lookup.calls = 0;
    bool matched = ztask_require_match (a, s_lookup, &lookup);
    TAP_OK (matched && lookup.calls == 5, "a match looks each requirement's key up once (%d lookups)", lookup.calls);
    ztask_require_destroy (&a);
    ztask_require_destroy (&b);
    TAP_OK (a == NULL && b == NULL, "destroy NULLs the pointer");
    ztask_require_destroy (&a);

    ztask_require_t *none = ztask_require_new (NULL, 0, error, sizeof error, &failed);
    TAP_OK (none && ztask_require_count (none) == 0 && strcmp (ztask_require_signature (none), "") == 0
                && ztask_require_match_labels (none, NULL, 0),
            "no requirement: empty signature, matches every worker");
    ztask_require_destroy (&none);

    const char *bad[] = { "zone=eu-1", "gpu_model in (a100," };
    failed = 99;
    TAP_OK (ztask_require_new (bad, 2, error, sizeof error, &failed) == NULL && failed == 1
                && strcmp (error, "column 20: expected a value or ')'") == 0,
            "a malformed second requirement: index 1 and its message (%s)", error);
    const char *many[ZTASK_REQUIRE_MAX + 1];
    char texts[ZTASK_REQUIRE_MAX + 1][16];
    for (int i = 0; i <= ZTASK_REQUIRE_MAX; i++) {
        snprintf (texts[i], sizeof texts[i], "k%d", i);
        many[i] = texts[i];
    }
    ztask_require_t *full = ztask_require_new (many, ZTASK_REQUIRE_MAX, error, sizeof error, &failed);
    TAP_OK (full && ztask_require_count (full) == ZTASK_REQUIRE_MAX, "16 requirements are accepted");
    ztask_require_destroy (&full);
    failed = 99;
    TAP_OK (ztask_require_new (many, ZTASK_REQUIRE_MAX + 1, error, sizeof error, &failed) == NULL && failed == -1
                && strcmp (error, "at most 16 requirements per task (given 17)") == 0,
            "17 are refused (%s)", error);

    /* the longest: 16 requirements of 255 bytes, each a set */
    char big[ZTASK_REQUIRE_MAX][ZTASK_REQUIRE_TEXT_MAX + 1];
    const char *bigs[ZTASK_REQUIRE_MAX];
    for (int i = 0; i < ZTASK_REQUIRE_MAX; i++) {
        snprintf (big[i], sizeof big[i], "k%02d in (", i);
        for (char letter = 'a'; strlen (big[i]) < ZTASK_REQUIRE_TEXT_MAX - 30; letter++)
            snprintf (big[i] + strlen (big[i]), 30, "\"%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c\\\"\",", letter,
                      letter, letter, letter, letter, letter, letter, letter, letter, letter, letter, letter, letter,
                      letter, letter, letter, letter, letter, letter);
        strcat (big[i], "z)");
        bigs[i] = big[i];
    }
    full = ztask_require_new (bigs, ZTASK_REQUIRE_MAX, error, sizeof error, &failed);
    TAP_OK (full && strlen (ztask_require_signature (full)) > 16 * 225, "16 long sets compile (%s)", full ? "" : error);
    ztask_require_destroy (&full);
}

static void
s_check_match (void)
{
    char error[256], storage[16][64];
    ztask_label_t labels[16];
    size_t n = sizeof matches / sizeof matches[0];
    for (size_t i = 0; i < n; i++) {
        const char *text = matches[i].requirement;
        ztask_require_t *r = ztask_require_new (&text, 1, error, sizeof error, NULL);
        size_t count = s_labels (matches[i].labels, labels, storage);
        lookup_t lookup = { matches[i].labels, 0 };
        bool by_array = r && ztask_require_match_labels (r, labels, count);
        bool by_lookup = r && ztask_require_match (r, s_lookup, &lookup);
        if (!TAP_OK (r && by_array == matches[i].match && by_lookup == matches[i].match, "%s %s the %s worker",
                     text, matches[i].match ? "matches" : "does not match", s_worker_name (matches[i].labels)))
            printf ("#   compiled %s, by array %d, by lookup %d (%s)\n", r ? "yes" : "no", by_array, by_lookup,
                    r ? "" : error);
        ztask_require_destroy (&r);
    }
    int order = 99;
    TAP_OK (ztask_number_compare ("10", "9", &order) == 0 && order == 1, "10 > 9 as numbers");
    TAP_OK (ztask_number_compare ("-0.10", "0", &order) == 0 && order == -1, "-0.10 < 0");
    TAP_OK (ztask_number_compare ("-0", "0.000", &order) == 0 && order == 0, "-0 == 0.000");
    TAP_OK (ztask_number_compare ("-2", "-10", &order) == 0 && order == 1, "-2 > -10");
    TAP_OK (ztask_number_compare ("123456789012345678901234567890.5", "123456789012345678901234567890.49", &order) == 0
                && order == 1,
            "exact beyond double precision");
    TAP_OK (ztask_number_compare ("1e3", "1", &order) == -1 && ztask_number_compare ("", "1", &order) == -1,
            "1e3 and '' are not numbers");
}

/* ---- versions ---- */

typedef struct {
    const char *a;
    const char *b;
    int order;
} version_order_t;

static const version_order_t version_orders[] = {
    { "1.10", "1.9", 1 },
    { "1.9", "1.10", -1 },
    { "1.2", "1.2.0", 0 },
    { "1.2.0.0", "1.2", 0 },
    { "01.002", "1.2", 0 },
    { "2", "1.99.99", 1 },
    { "1.2.0-rc1", "1.2.0", -1 },
    { "1.2.0", "1.2.0-rc1", 1 },
    { "1.2.0-rc1", "1.2.0-rc2", -1 },
    { "1.2.0-rc2", "1.2.0-rc10", -1 },
    { "1.2.0-alpha", "1.2.0-beta", -1 },
    { "1.2.0-1", "1.2.0-alpha", -1 },
    { "1.2.0-rc1", "1.1.9", 1 },
    { "1.2.0+build.7", "1.2.0", 0 },
    { "1.2.0-rc.1+b", "1.2.0-rc.1", 0 },
    { "99999999999999999999999.1", "99999999999999999999998.9", 1 },
    { "dev", "0.0.1", -1 },
    { "0.0.1", "dev", 1 },
    { "dev", "dev", 0 },
    { "1.", "1", -1 },
    { "v1.2", "1.2", -1 },
};

typedef struct {
    const char *text;
    const char *canonical;
    const char *yes[4];
    const char *no[4];
} constraint_case_t;

static const constraint_case_t constraints[] = {
    { "render>=1.2", "render>=1.2", { "1.2", "1.2.0", "1.10", "2.0" }, { "1.1.9", "1.2.0-rc1", "dev", "" } },
    { "render > 1.2", "render>1.2", { "1.2.1", "1.10", "1.3-rc1", NULL }, { "1.2", "1.2.0", "1.1", NULL } },
    { "render<=2", "render<=2", { "2", "2.0.0", "1.99", "2.0.0-rc1" }, { "2.0.1", "10", NULL, NULL } },
    { "render<2", "render<2", { "1.99", "2.0.0-rc1", NULL, NULL }, { "2", "2.0", NULL, NULL } },
    { "render=1.4.2", "render=1.4.2", { "1.4.2", "1.4.2.0", "1.4.2+linux", NULL }, { "1.4.20", "1.4.2-rc1", NULL } },
    { "render=1.4.0", "render=1.4", { "1.4", "1.4.0", NULL, NULL }, { "1.4.1", NULL, NULL, NULL } },
    { "render=01.0.0-rc1", "render=1-rc1", { "1.0.0-rc1", "1-rc1", NULL, NULL }, { "1.0.0", "1.0.0-rc2", NULL } },
    { "render@1.x", "render@1.x", { "1.0", "1.10.3", "1", "1.0.0-rc1" }, { "2.0", "0.9", "11.0", NULL } },
    { "render@1.2.x", "render@1.2.x", { "1.2", "1.2.9", "1.2.0-rc1", NULL }, { "1.3", "1.20", "1", NULL } },
    { "render@1.0.x", "render@1.0.x", { "1", "1.0.5", NULL, NULL }, { "1.1", NULL, NULL, NULL } },
    { "render @ 01.x", "render@1.x", { "1.5", NULL, NULL, NULL }, { "0.5", NULL, NULL, NULL } },
    { "big model>=2", "big model>=2", { "2.1", NULL, NULL, NULL }, { "1", NULL, NULL, NULL } },
    { "a>b>=2", "a>b>=2", { "3", NULL, NULL, NULL }, { "1", NULL, NULL, NULL } },
    { "a> = 2", "a> =2", { "2", NULL, NULL, NULL }, { "3", NULL, NULL, NULL } },
    { "a<>=2", "a<>=2", { "3", NULL, NULL, NULL }, { "1", NULL, NULL, NULL } },
    { "ünïcode=1", "ünïcode=1", { "1.0", NULL, NULL, NULL }, { "1.1", NULL, NULL, NULL } },
};

static const refused_t constraint_refused[] = {
    { "render", "column 7: expected a version operator (=, >, >=, <, <= or @) and a version" },
    { "", "column 1: expected a version operator (=, >, >=, <, <= or @) and a version" },
    { ">=1.2", "column 1: expected a plugin name before '>='" },
    { "  @1.x", "column 3: expected a plugin name before '@'" },
    { "render>=", "column 9: expected a version (like 1.2 or 1.2.0-rc1)" },
    { "render>=1.2.", "column 9: expected a version (like 1.2 or 1.2.0-rc1)" },
    { "render>=v1", "column 9: expected a version (like 1.2 or 1.2.0-rc1)" },
    { "render>=1.2+b", "column 9: expected a version (like 1.2 or 1.2.0-rc1)" },
    { "render>= 1 2", "column 10: expected a version (like 1.2 or 1.2.0-rc1)" },
    { "render@1", "column 8: expected a version series like 1.x or 1.2.x" },
    { "render@1.2", "column 8: expected a version series like 1.x or 1.2.x" },
    { "render@x", "column 8: expected a version series like 1.x or 1.2.x" },
    { "render@1.x.x", "column 8: expected a version series like 1.x or 1.2.x" },
    { "render@1-rc1.x", "column 8: expected a version series like 1.x or 1.2.x" },
    { "ren\tder>=1", "column 4: a plugin name may not hold a control character" },
    { "ren\xff>=1", "column 4: a plugin name must be UTF-8" },
};

static void
s_check_versions (void)
{
    size_t n = sizeof version_orders / sizeof version_orders[0];
    for (size_t i = 0; i < n; i++) {
        const version_order_t *v = &version_orders[i];
        int order = ztask_version_compare (v->a, v->b);
        int back = ztask_version_compare (v->b, v->a);
        TAP_OK (order == v->order && back == -v->order, "%s %s %s", v->a,
                v->order < 0 ? "<" : v->order > 0 ? ">" : "==", v->b);
    }
    TAP_OK (ztask_version_valid ("1.2.0-rc.1+build-5") && !ztask_version_valid ("1..2")
                && !ztask_version_valid ("") && !ztask_version_valid (NULL) && !ztask_version_valid ("1.2-")
                && !ztask_version_valid ("1.2+"),
            "what a version is");

    char text[400], error[256];
    n = sizeof constraints / sizeof constraints[0];
    for (size_t i = 0; i < n; i++) {
        const constraint_case_t *c = &constraints[i];
        ztask_version_constraint_t constraint;
        int rc = ztask_version_constraint_parse (c->text, &constraint, error, sizeof error);
        int length = rc == 0 ? ztask_version_constraint_format (&constraint, text, sizeof text) : -1;
        bool ok = rc == 0 && length == (int) strlen (c->canonical) && strcmp (text, c->canonical) == 0;
        for (int y = 0; ok && y < 4 && c->yes[y]; y++)
            if (!ztask_version_constraint_match (&constraint, c->yes[y])) {
                printf ("#   %s should match %s\n", c->text, c->yes[y]);
                ok = false;
            }
        for (int y = 0; ok && y < 4 && c->no[y]; y++)
            if (ztask_version_constraint_match (&constraint, c->no[y])) {
                printf ("#   %s should not match %s\n", c->text, c->no[y]);
                ok = false;
            }
        if (!TAP_OK (ok, "constraint '%s' is '%s' and matches what it should", c->text, c->canonical))
            printf ("#   rc %d, '%s', error '%s'\n", rc, rc == 0 ? text : "", rc ? error : "");
    }
    ztask_version_constraint_t constraint;
    TAP_OK (ztask_version_constraint_parse ("render>=1.2", &constraint, error, sizeof error) == 0
                && strcmp (constraint.type, "render") == 0 && constraint.op == ZTASK_VERSION_GE
                && strcmp (constraint.version, "1.2") == 0 && !ztask_version_constraint_match (&constraint, NULL),
            "the parts of render>=1.2; a NULL version never matches");
    TAP_OK (ztask_version_constraint_format (&constraint, text, 6) == -1 && text[0] == 0,
            "format refuses too small a buffer");
    n = sizeof constraint_refused / sizeof constraint_refused[0];
    for (size_t i = 0; i < n; i++) {
        error[0] = 0;
        int rc = ztask_version_constraint_parse (constraint_refused[i].text, &constraint, error, sizeof error);
        char shown[64];
        snprintf (shown, sizeof shown, "%s", constraint_refused[i].text);
        for (char *s = shown; *s; s++)
            *s = (unsigned char) *s < 0x20 || (unsigned char) *s == 0xff ? '?' : *s;
        if (!TAP_OK (rc == -1 && strcmp (error, constraint_refused[i].error) == 0, "refuses constraint '%s': %s",
                     shown, constraint_refused[i].error))
            printf ("#   rc %d, got '%s'\n", rc, error);
    }
}

/* ---- resources ---- */

static const accepted_t resources_accepted[] = {
    { "gpu=1,memory_mb=16000", "gpu=1,memory_mb=16000" },
    { " memory_mb = 16000 , gpu = 1 ", "gpu=1,memory_mb=16000" },
    { "gpu=0", "gpu=0" },
    { "gpu=007", "gpu=7" },
    { "cpu=9007199254740992", "cpu=9007199254740992" },
    { "z=1,y=2,x=3,w=4,v=5,u=6,t=7,s=8,r=9,q=10,p=11,o=12,n=13,m=14,l=15,k=16",
      "k=16,l=15,m=14,n=13,o=12,p=11,q=10,r=9,s=8,t=7,u=6,v=5,w=4,x=3,y=2,z=1" },
    { "a.b-c_d=2", "a.b-c_d=2" },
};

static const refused_t resources_refused[] = {
    { "", "column 1: expected a resource name (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "gpu", "column 4: expected '=' after the resource name" },
    { "gpu=", "column 5: expected an amount (a whole number from 0 to 9007199254740992)" },
    { "gpu=-1", "column 5: expected an amount (a whole number from 0 to 9007199254740992)" },
    { "gpu=1.5", "column 5: expected an amount (a whole number from 0 to 9007199254740992)" },
    { "gpu=2x", "column 5: expected an amount (a whole number from 0 to 9007199254740992)" },
    { "gpu=9007199254740993", "column 5: the amount is larger than 2^53 (9007199254740992)" },
    { "gpu=99999999999999999999999", "column 5: the amount is larger than 2^53 (9007199254740992)" },
    { "gpu=1,", "column 7: expected a resource name (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "gpu=1 2", "column 7: expected ',' or the end" },
    { "gpu=1;cpu=2", "column 6: expected ',' or the end" },
    { "gpu=1,cpu=2,gpu=3", "column 13: the resource 'gpu' is asked for twice" },
    { "GPU=1", "column 1: expected a resource name (a lowercase letter, then a-z, 0-9, '_', '.' or '-')" },
    { "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1,k=1,l=1,m=1,n=1,o=1,p=1,q=1",
      "column 65: at most 16 resources per request" },
};

static void
s_check_resources (void)
{
    char text[ZTASK_RESOURCES_FORMAT_SIZE], error[256];
    ztask_resources_t resources;
    size_t n = sizeof resources_accepted / sizeof resources_accepted[0];
    for (size_t i = 0; i < n; i++) {
        int rc = ztask_resources_parse (resources_accepted[i].text, &resources, error, sizeof error);
        int length = rc == 0 ? ztask_resources_format (&resources, text, sizeof text) : -1;
        if (!TAP_OK (rc == 0 && length == (int) strlen (text) && strcmp (text, resources_accepted[i].canonical) == 0,
                     "needs '%s' is '%s'", resources_accepted[i].text, resources_accepted[i].canonical))
            printf ("#   rc %d, '%s', error '%s'\n", rc, rc == 0 ? text : "", rc ? error : "");
    }
    ztask_resources_parse ("memory_mb=16000,gpu=1", &resources, error, sizeof error);
    TAP_OK (resources.count == 2 && strcmp (resources.items[0].name, "gpu") == 0 && resources.items[0].amount == 1
                && strcmp (resources.items[1].name, "memory_mb") == 0 && resources.items[1].amount == 16000,
            "parsed into a sorted array");
    TAP_OK (ztask_resources_format (&resources, text, 5) == -1 && text[0] == 0, "format refuses too small a buffer");
    n = sizeof resources_refused / sizeof resources_refused[0];
    for (size_t i = 0; i < n; i++) {
        error[0] = 0;
        resources.count = 7;
        int rc = ztask_resources_parse (resources_refused[i].text, &resources, error, sizeof error);
        if (!TAP_OK (rc == -1 && resources.count == 0 && strcmp (error, resources_refused[i].error) == 0,
                     "refuses needs '%s': %s", resources_refused[i].text, resources_refused[i].error))
            printf ("#   rc %d, got '%s'\n", rc, error);
    }
    char name[100] = "";
    memset (name, 'n', 64);
    strcat (name, "=1");
    TAP_OK (ztask_resources_parse (name, &resources, error, sizeof error) == -1
                && strcmp (error, "column 1: the resource name is longer than 63 bytes") == 0,
            "a resource name of 64 bytes is refused");
    char *long_text = calloc (1, ZTASK_RESOURCES_TEXT_MAX + 2);
    memset (long_text, ' ', ZTASK_RESOURCES_TEXT_MAX + 1);
    long_text[0] = 'a';
    long_text[1] = '=';
    long_text[2] = '1';
    TAP_OK (ztask_resources_parse (long_text, &resources, error, sizeof error) == -1
                && strcmp (error, "column 1024: the resource request is longer than 1023 bytes") == 0,
            "a request of 1024 bytes is refused (%s)", error);
    long_text[ZTASK_RESOURCES_TEXT_MAX] = 0;
    TAP_OK (ztask_resources_parse (long_text, &resources, error, sizeof error) == 0, "one of 1023 bytes is accepted");
    free (long_text);
}

int
main (void)
{
    s_check_one ();
    s_check_set ();
    s_check_match ();
    s_check_versions ();
    s_check_resources ();
    return tap_done ();
}
