/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_require - what a task asks of the worker that runs it, in the
    small language of docs/routing.md ("The requirement language"):

    - label requirements, one text each (`--require`), all of which must
      hold: `zone=eu-1`, `tier!=spot`, `gpu_model in (a100,h100)`,
      `os not in (windows)`, `os` (present), `!spot` (absent), `cores>=8`;
    - a plugin version constraint: `render>=1.2`, `render@1.x`;
    - resource requests (`--needs`): `gpu=1,memory_mb=16000`.

    Requirements compile into one immutable ztask_require_t (a single
    allocation) that matches a worker's labels in O(requirements) without
    allocating, and that has a canonical signature, the same for every way
    of writing the same requirements, by which the scheduler groups tasks.
    Version constraints and resource requests are plain structs (no
    allocation at all).

    Every parser takes outside input: it never crashes and refuses with -1
    (or NULL) and a message that starts with the 1-based column of the
    fault and says what was expected, e.g. "column 20: expected a value or
    ')'" for `gpu_model in (a100,`. Callers add what the text was
    (`ztask: --require '...': column 20: ...`).

    A pure library: no czmq, no logging, no globals, thread-safe.

    Not yet used by the scheduler, the protocol or the CLI (issue 12). */
#ifndef ZTASK_REQUIRE_H_INCLUDED
#define ZTASK_REQUIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ---- */
#define ZTASK_REQUIRE_MAX 16          /* requirements per task                   */
#define ZTASK_REQUIRE_TEXT_MAX 255    /* bytes of one requirement text           */
#define ZTASK_REQUIRE_KEY_MAX 63      /* bytes of a label key or resource name   */
#define ZTASK_REQUIRE_SET_MAX 32      /* values in one `in (...)` set            */
#define ZTASK_REQUEST_RESOURCES_MAX 16        /* resources in one request                */
#define ZTASK_RESOURCES_TEXT_MAX 1023 /* bytes of one resource request text      */
#define ZTASK_RESOURCE_AMOUNT_MAX 9007199254740992ULL /* 2^53                    */
#define ZTASK_VERSION_TEXT_MAX 63     /* bytes of a constraint's version         */
#define ZTASK_VERSION_CONSTRAINT_TEXT_MAX 320 /* bytes of `TYPE OP VERSION`      */

/* ---- label requirements ---- */

typedef struct _ztask_require_t ztask_require_t;

/* A worker's label, for ztask_require_match_labels. */
typedef struct {
    const char *key;   /* label key, NUL-terminated       */
    const char *value; /* label value, NUL-terminated     */
} ztask_label_t;

/* Looks a label up: its value, or NULL when the worker has no such key.
   Called at most once per requirement by a match. */
typedef const char *(ztask_label_lookup_fn) (void *arg, const char *key);

/* Checks one requirement text. 0 and, when canonical is not NULL, its
   canonical form in canonical (canonical_size bytes; ZTASK_REQUIRE_TEXT_MAX
   + 1 always suffice: the canonical form is never longer than the text).
   -1 and "column N: expected ..." in error when the text is malformed or
   canonical_size is too small ("column 1: no room for the canonical
   form"). */
int ztask_require_canonical (const char *text, char *canonical, size_t canonical_size, char *error,
                             size_t error_size);

/* Compiles count requirement texts (0 to ZTASK_REQUIRE_MAX; texts may be
   NULL when count is 0). NULL when one is malformed, with its message in
   error and, when failed is not NULL, its index in *failed (-1 when the
   count itself is refused: "at most 16 requirements per task (given 17)").
   Duplicates (after normalising) count once. */
ztask_require_t *ztask_require_new (const char *const *texts, size_t count, char *error, size_t error_size,
                                    int *failed);

/* Destroys the requirements and NULLs the pointer; NULL is fine. */
void ztask_require_destroy (ztask_require_t **self_p);

/* The number of distinct requirements. */
size_t ztask_require_count (const ztask_require_t *self);

/* The index-th requirement's canonical text, in signature order. */
const char *ztask_require_text (const ztask_require_t *self, size_t index);

/* The canonical signature: the distinct canonical texts, sorted bytewise,
   joined with "; " ("" for no requirement). Two sets of requirements have
   the same signature if and only if they normalise to the same set. */
const char *ztask_require_signature (const ztask_require_t *self);

/* True if every requirement holds for the labels lookup finds. */
bool ztask_require_match (const ztask_require_t *self, ztask_label_lookup_fn *lookup, void *arg);

/* The index (signature order) of the first requirement that does not hold,
   or -1 when all hold: for "why is it waiting?". */
int ztask_require_first_unmet (const ztask_require_t *self, ztask_label_lookup_fn *lookup, void *arg);

/* ztask_require_match over an array of labels sorted by key (strcmp) with
   unique keys, looked up by binary search. */
bool ztask_require_match_labels (const ztask_require_t *self, const ztask_label_t *labels, size_t count);

/* Sorts labels by key for ztask_require_match_labels. */
void ztask_labels_sort (ztask_label_t *labels, size_t count);

/* Compares two numbers of the language (-?[0-9]+(.[0-9]+)?) exactly, as
   decimals: -1, 0 or 1 in *order. -1 if either is not such a number. */
int ztask_number_compare (const char *a, const char *b, int *order);

/* ---- plugin versions ---- */

typedef enum {
    ZTASK_VERSION_EQ = 1, /* TYPE=1.4.2                      */
    ZTASK_VERSION_GT,     /* TYPE>1.2                        */
    ZTASK_VERSION_GE,     /* TYPE>=1.2                       */
    ZTASK_VERSION_LT,     /* TYPE<2                          */
    ZTASK_VERSION_LE,     /* TYPE<=2                         */
    ZTASK_VERSION_SERIES  /* TYPE@1.x, TYPE@1.2.x            */
} ztask_version_op_t;

/* A plugin version constraint, e.g. render>=1.2. */
typedef struct {
    char type[256];                          /* the plugin (task type)        */
    ztask_version_op_t op;                   /* the comparison                */
    char version[ZTASK_VERSION_TEXT_MAX + 1]; /* normalised; for SERIES the
                                                prefix without ".x" ("1.2")  */
} ztask_version_constraint_t;

/* True if version is a version: [0-9]+(.[0-9]+)* then optionally
   -PRERELEASE ([0-9A-Za-z.-]+) then optionally +BUILD ([0-9A-Za-z.-]+). */
bool ztask_version_valid (const char *version);

/* Orders two versions: -1, 0 or 1. Dotted numeric components compare as
   numbers (1.10 > 1.9; no overflow), missing components are 0 (1.2 ==
   1.2.0); a version with a pre-release sorts before the same version
   without (1.2.0-rc1 < 1.2.0); pre-releases compare by runs, digits as
   numbers (rc2 < rc10), other runs bytewise, digits before letters; build
   metadata is ignored. A string that is not a version sorts before every
   version; two such strings compare bytewise. */
int ztask_version_compare (const char *a, const char *b);

/* Parses `TYPE OP VERSION` (OP one of = > >= < <= @; spaces around OP
   allowed; TYPE any task type name, OP the last operator character in
   text). 0 and the constraint, or -1 and "column N: expected ..." in
   error. */
int ztask_version_constraint_parse (const char *text, ztask_version_constraint_t *constraint, char *error,
                                    size_t error_size);

/* True if the plugin version satisfies the constraint (its type is not
   compared). A version that is not a version never does. */
bool ztask_version_constraint_match (const ztask_version_constraint_t *constraint, const char *version);

/* Writes the canonical `TYPE>=1.2` / `TYPE@1.x` into text (size bytes):
   its length, or -1 when it does not fit (then text is ""). */
int ztask_version_constraint_format (const ztask_version_constraint_t *constraint, char *text, size_t size);

/* ---- resource requests ---- */

/* One resource and the amount asked for. */
typedef struct {
    char name[ZTASK_REQUIRE_KEY_MAX + 1]; /* [a-z][a-z0-9_.-]{0,62}       */
    uint64_t amount;                      /* 0 .. ZTASK_RESOURCE_AMOUNT_MAX */
} ztask_resource_t;

/* A resource request, sorted by name, names unique. */
typedef struct {
    size_t count;                                /* 0 .. ZTASK_REQUEST_RESOURCES_MAX */
    ztask_resource_t items[ZTASK_REQUEST_RESOURCES_MAX]; /* sorted by name           */
} ztask_resources_t;

/* Bytes that always hold a formatted request, with its NUL. */
#define ZTASK_RESOURCES_FORMAT_SIZE (ZTASK_REQUEST_RESOURCES_MAX * (ZTASK_REQUIRE_KEY_MAX + 1 + 16 + 1) + 1)

/* Parses `name=amount[,name=amount...]` (spaces around tokens allowed).
   0 and the request sorted by name, or -1 and "column N: ..." in error
   (then *resources is empty). */
int ztask_resources_parse (const char *text, ztask_resources_t *resources, char *error, size_t error_size);

/* Writes the canonical `gpu=1,memory_mb=16000` into text (size bytes): its
   length, or -1 when it does not fit (then text is ""). */
int ztask_resources_format (const ztask_resources_t *resources, char *text, size_t size);

#endif
