/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  msg_test - the wire codec against docs/protocol.md: every command's
    row is still in the document, its header is laid out as the document's
    field types say and as golden bytes written from it by hand, every
    command round trips with every field, and anything off the grammar is
    rejected as malformed (-2), another protocol version as -3. Reads
    docs/protocol.md from $top_srcdir (default: the current directory). */
#include "tap.h"
#include "proto/ztask_msg.h"
#include "proto/ztask_task_view.h"
#include "common/ztask_retry.h"

#include <czmq.h>
#include <stddef.h>
#include <stdlib.h>

/* docs/protocol.md's command tables, copied by hand as the document writes
   them: id, and the "fields" and "body" columns verbatim. The test checks
   that each row is still in docs/protocol.md, lays the header out from the
   field types itself (s_doc_encode) and compares that with the codec's
   bytes; s_golden below has the bytes of every command written out in hex.
   Nothing here comes from the codec's own tables. */
typedef struct {
    int command; /* the codec's constant, checked against id */
    const char *name;
    int id;
    const char *fields;
    const char *body;
} spec_t;

static const spec_t s_spec[] = {
    { ZTASK_MSG_SUBMIT, "SUBMIT", 1,
      "corr u32, type string, priority u8, timeout_ms u32, max_attempts u32, key string, due_ms i64 (0: now; left out "
      "when 0 and nothing follows), require requirements, version string, needs text, limit string (these four left "
      "out when all are empty and nothing follows), retry_min_ms u32, retry_max_ms u32 (the retry policy MIN..MAX of "
      "docs/scheduling.md; left out when both are 0: none given and nothing follows), parents parents (left out when "
      "there are none)",
      "payload" },
    { ZTASK_MSG_STATUS, "STATUS", 2, "corr u32, task_id u64, flags u8 (1: include the result; 2: why a queued task waits)", "-" },
    { ZTASK_MSG_WAIT, "WAIT", 3, "corr u32, task_id u64", "-" },
    { ZTASK_MSG_STATS, "STATS", 4, "corr u32", "-" },
    { ZTASK_MSG_WORKERS, "WORKERS", 5, "corr u32", "-" },
    { ZTASK_MSG_CANCEL, "CANCEL", 6, "corr u32, task_id u64", "-" },
    { ZTASK_MSG_LIST, "LIST", 7,
      "corr u32, state u8 (255: any), limit u32, type string (\"\": any), task_id u64 (0: newest; else ids below)",
      "-" },
    { ZTASK_MSG_SUBMIT_WAIT, "SUBMIT_WAIT", 8, "as SUBMIT", "payload" },
    { ZTASK_MSG_RETRY, "RETRY", 9,
      "corr u32, task_id u64 (0: by filter), state u8 (255: failed or cancelled), type string, limit u32, "
      "created_ms i64 (finished at or after; 0: any)",
      "-" },
    { ZTASK_MSG_PURGE, "PURGE", 10,
      "corr u32, state u8 (255: every finished state), type string, finished_ms i64 (finished before)", "-" },
    { ZTASK_MSG_PAUSE, "PAUSE", 11, "corr u32, type string", "-" },
    { ZTASK_MSG_RESUME, "RESUME", 12, "corr u32, type string", "-" },
    { ZTASK_MSG_HISTORY, "HISTORY", 13, "corr u32, task_id u64", "-" },
    { ZTASK_MSG_SCHEDULE_ADD, "SCHEDULE_ADD", 15,
      "corr u32, name string, type string, priority u8, timeout_ms u32, max_attempts u32, cron string, tz string, "
      "flags u8 (1: catchup once)",
      "payload" },
    { ZTASK_MSG_SCHEDULES, "SCHEDULES", 16, "corr u32, name string (\"\": every schedule)", "-" },
    { ZTASK_MSG_SCHEDULE_PAUSE, "SCHEDULE_PAUSE", 17, "corr u32, name string", "-" },
    { ZTASK_MSG_SCHEDULE_RESUME, "SCHEDULE_RESUME", 18, "corr u32, name string", "-" },
    { ZTASK_MSG_SCHEDULE_REMOVE, "SCHEDULE_REMOVE", 19, "corr u32, name string", "-" },
    { ZTASK_MSG_BATCH, "BATCH", 25,
      "corr u32, limit u32 (how many tasks it holds), type string (the then task's; \"\": none), priority u8, timeout_ms u32, max_attempts u32, key string (the batch's), require requirements, version string, needs text, limit string (these four left out when all are empty and nothing follows), retry_min_ms u32, retry_max_ms u32 (left out when both are 0)",
      "tasks" },
    { ZTASK_MSG_BATCH_STATUS, "BATCH_STATUS", 26, "corr u32, task_id u64 (the batch's id)", "-" },
    { ZTASK_MSG_SUBMITTED, "SUBMITTED", 20, "corr u32, task_id u64, flags u8 (1: existing task)", "-" },
    { ZTASK_MSG_TASK_INFO, "TASK_INFO", 21,
      "corr u32, task_id u64, flags u8, type string, priority u8, state u8, attempts u32, max_attempts u32, "
      "progress_done u64, progress_total u64, progress_text string, worker string, error string, "
      "created_ms i64, started_ms i64, finished_ms i64, due_ms i64 (left out when 0 and nothing follows), "
      "require requirements, version string, needs text, limit string (left out when all are empty and nothing "
      "follows), waiting string, waiting_text string (left out when both are empty and nothing follows), "
      "retry_min_ms u32, retry_max_ms u32 (0: the default policy 250ms..10s), next_attempt_ms i64 (wall clock ms "
      "when a task waiting out a retry backoff runs again; 0: none; these three left out when all are 0 and nothing "
      "follows), parents parents (left out when there are none)",
      "result, iff flags & 1" },
    { ZTASK_MSG_PROGRESS, "PROGRESS", 22,
      "corr u32, task_id u64, progress_done u64, progress_total u64, progress_text string", "-" },
    { ZTASK_MSG_JSON, "JSON", 23, "corr u32", "JSON text" },
    { ZTASK_MSG_ERROR, "ERROR", 24, "corr u32, status u16, text string", "-" },
    { ZTASK_MSG_REGISTER, "REGISTER", 40,
      "name string, host string, instance string, slots u16, priorities u16, plugins, running, labels, resources",
      "-" },
    { ZTASK_MSG_HEARTBEAT, "HEARTBEAT", 41, "-", "-" },
    { ZTASK_MSG_WORKER_PROGRESS, "WORKER_PROGRESS", 42,
      "task_id u64, attempt u32, progress_done u64, progress_total u64, progress_text string", "-" },
    { ZTASK_MSG_RESULT, "RESULT", 43, "task_id u64, attempt u32, status u8, error string, retry_after_ms u32 (RETRY: the wait the plugin "
      "asked with ztask_retry_after; 0: the task's retry policy; left out when 0)", "result" },
    { ZTASK_MSG_GOODBYE, "GOODBYE", 44, "-", "-" },
    { ZTASK_MSG_DRAIN, "DRAIN", 45, "-", "-" },
    { ZTASK_MSG_REGISTERED, "REGISTERED", 60, "heartbeat_ms u32", "-" },
    { ZTASK_MSG_TASK, "TASK", 61, "task_id u64, attempt u32, type string, priority u8, timeout_ms u32, "
      "parent_sizes sizes (left out when there are none)", "payload" },
    { ZTASK_MSG_RESULT_ACK, "RESULT_ACK", 62, "task_id u64, attempt u32", "-" },
    { ZTASK_MSG_CANCEL_TASK, "CANCEL_TASK", 63, "task_id u64, attempt u32", "-" },
};
#define SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

/* The field types of the document's "Framing" table. */
typedef enum {
    T_U8, T_U16, T_U32, T_U64, T_I64, T_STRING, T_PLUGINS, T_RUNNING, T_LABELS, T_RESOURCES, T_REQUIREMENTS, T_TEXT,
    T_PARENTS, T_SIZES
} type_t;

/* Where a field the document names lives in ztask_msg_t: by name and type
   (ERROR's "status u16" is not RESULT's "status u8"). */
typedef struct {
    const char *name;
    const char *type;
    type_t kind;
    size_t offset;
} member_t;

#define M(NAME, TYPE, KIND, MEMBER) { NAME, TYPE, KIND, offsetof (ztask_msg_t, MEMBER) }
static const member_t s_members[] = {
    M ("corr", "u32", T_U32, corr),
    M ("task_id", "u64", T_U64, task_id),
    M ("attempt", "u32", T_U32, attempt),
    M ("attempts", "u32", T_U32, attempt),
    M ("priority", "u8", T_U8, priority),
    M ("state", "u8", T_U8, state),
    M ("flags", "u8", T_U8, flags),
    M ("status", "u8", T_U8, status),
    M ("status", "u16", T_U16, error_status),
    M ("slots", "u16", T_U16, slots),
    M ("priorities", "u16", T_U16, priorities),
    M ("timeout_ms", "u32", T_U32, timeout_ms),
    M ("max_attempts", "u32", T_U32, max_attempts),
    M ("heartbeat_ms", "u32", T_U32, heartbeat_ms),
    M ("limit", "u32", T_U32, limit),
    M ("progress_done", "u64", T_U64, progress_done),
    M ("progress_total", "u64", T_U64, progress_total),
    M ("created_ms", "i64", T_I64, created_ms),
    M ("started_ms", "i64", T_I64, started_ms),
    M ("finished_ms", "i64", T_I64, finished_ms),
    M ("due_ms", "i64", T_I64, due_ms),
    M ("retry_min_ms", "u32", T_U32, retry_min_ms),
    M ("retry_max_ms", "u32", T_U32, retry_max_ms),
    M ("next_attempt_ms", "i64", T_I64, next_attempt_ms),
    M ("retry_after_ms", "u32", T_U32, retry_after_ms),
    M ("type", "string", T_STRING, type),
    M ("key", "string", T_STRING, key),
    M ("name", "string", T_STRING, name),
    M ("host", "string", T_STRING, host),
    M ("worker", "string", T_STRING, worker),
    M ("progress_text", "string", T_STRING, text),
    M ("text", "string", T_STRING, text),
    M ("error", "string", T_STRING, error),
    M ("instance", "string", T_STRING, instance),
    M ("plugins", "plugins", T_PLUGINS, plugins),
    M ("running", "running", T_RUNNING, running),
    M ("labels", "labels", T_LABELS, labels),
    M ("resources", "resources", T_RESOURCES, resources),
    M ("require", "requirements", T_REQUIREMENTS, require),
    M ("version", "string", T_STRING, version),
    M ("needs", "text", T_TEXT, needs),
    M ("limit", "string", T_STRING, limit_name),
    M ("waiting", "string", T_STRING, waiting),
    M ("waiting_text", "string", T_STRING, waiting_text),
    M ("parents", "parents", T_PARENTS, parents),
    M ("parent_sizes", "sizes", T_SIZES, parent_sizes),
    M ("cron", "string", T_STRING, text),
    M ("tz", "string", T_STRING, tz),
};
#undef M
#define MEMBER_COUNT (sizeof s_members / sizeof s_members[0])

#define FIELDS_MAX 32

/* A command's fields as the document lists them. */
typedef struct {
    const member_t *field[FIELDS_MAX];
    size_t count;
    int body; /* 0 none, 1 always, 2 iff flags & 1 */
} layout_t;

/* Parses spec's fields and body columns into layout; 0, or -1 (printing
   why) for a field the test does not know. */
static int
s_layout_of (const spec_t *spec, layout_t *layout)
{
    const char *fields = spec->fields;
    if (strncmp (fields, "as ", 3) == 0) /* "as SUBMIT" */
        for (size_t s = 0; s < SPEC_COUNT; s++)
            if (streq (s_spec[s].name, fields + 3))
                fields = s_spec[s].fields;
    layout->count = 0;
    layout->body = streq (spec->body, "-") ? 0 : strstr (spec->body, "iff flags & 1") ? 2 : 1;
    if (streq (fields, "-"))
        return 0;
    char copy[1024];
    snprintf (copy, sizeof copy, "%s", fields);
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        char name[64] = "", type[64] = "";
        char *paren = strchr (item, '(');
        if (paren) /* "flags u8 (1: include the result)": a comment */
            *paren = 0;
        int words = sscanf (item, "%63s %63s", name, type);
        if (words == 1) /* "plugins", "running": the name is the type */
            snprintf (type, sizeof type, "%s", name);
        const member_t *member = NULL;
        for (size_t m = 0; m < MEMBER_COUNT; m++)
            if (streq (s_members[m].name, name) && streq (s_members[m].type, type))
                member = &s_members[m];
        if (!member || layout->count == FIELDS_MAX) {
            printf ("#   %s: unknown field '%s %s'\n", spec->name, name, type);
            return -1;
        }
        layout->field[layout->count++] = member;
    }
    return 0;
}

static uint64_t
s_number (const ztask_msg_t *m, const member_t *f)
{
    const byte *at = (const byte *) m + f->offset;
    switch (f->kind) {
    case T_U8: return *(const uint8_t *) at;
    case T_U16: return *(const uint16_t *) at;
    case T_U32: return *(const uint32_t *) at;
    case T_U64: return *(const uint64_t *) at;
    case T_I64: return (uint64_t) *(const int64_t *) at;
    default: return 0;
    }
}

static const char *
s_string (const ztask_msg_t *m, const member_t *f)
{
    return (const char *) m + f->offset;
}

/* Is field f the same in a and b? */
static bool
s_field_equal (const ztask_msg_t *a, const ztask_msg_t *b, const member_t *f)
{
    switch (f->kind) {
    case T_STRING:
    case T_TEXT: return streq (s_string (a, f), s_string (b, f));
    case T_REQUIREMENTS:
        if (a->require_count != b->require_count)
            return false;
        for (size_t i = 0; i < a->require_count; i++)
            if (!streq (a->require[i], b->require[i]))
                return false;
        return true;
    case T_PARENTS:
        if (a->parent_count != b->parent_count || a->after_any != b->after_any)
            return false;
        for (size_t i = 0; i < a->parent_count; i++)
            if (a->parents[i].task_id != b->parents[i].task_id || a->parents[i].state != b->parents[i].state)
                return false;
        return true;
    case T_SIZES:
        if (a->parent_size_count != b->parent_size_count)
            return false;
        for (size_t i = 0; i < a->parent_size_count; i++)
            if (a->parent_sizes[i] != b->parent_sizes[i])
                return false;
        return true;
    case T_PLUGINS:
        if (a->plugin_count != b->plugin_count)
            return false;
        for (size_t i = 0; i < a->plugin_count; i++)
            if (!streq (a->plugins[i].name, b->plugins[i].name)
                || !streq (a->plugins[i].version, b->plugins[i].version))
                return false;
        return true;
    case T_RUNNING:
        if (a->running_count != b->running_count)
            return false;
        for (size_t i = 0; i < a->running_count; i++)
            if (a->running[i].task_id != b->running[i].task_id || a->running[i].attempt != b->running[i].attempt)
                return false;
        return true;
    case T_LABELS:
        if (a->label_count != b->label_count)
            return false;
        for (size_t i = 0; i < a->label_count; i++)
            if (!streq (a->labels[i].key, b->labels[i].key) || !streq (a->labels[i].value, b->labels[i].value))
                return false;
        return true;
    case T_RESOURCES:
        if (a->resource_count != b->resource_count)
            return false;
        for (size_t i = 0; i < a->resource_count; i++)
            if (!streq (a->resources[i].name, b->resources[i].name) || a->resources[i].amount != b->resources[i].amount)
                return false;
        return true;
    default: return s_number (a, f) == s_number (b, f);
    }
}

/* True if field f of m is zero / empty. */
static bool
s_field_clear (const ztask_msg_t *m, const member_t *f)
{
    switch (f->kind) {
    case T_STRING:
    case T_TEXT: return s_string (m, f)[0] == 0;
    case T_REQUIREMENTS: return m->require_count == 0;
    case T_PARENTS: return m->parent_count == 0 && m->after_any == 0;
    case T_SIZES: return m->parent_size_count == 0;
    case T_PLUGINS: return m->plugin_count == 0;
    case T_RUNNING: return m->running_count == 0;
    case T_LABELS: return m->label_count == 0;
    case T_RESOURCES: return m->resource_count == 0;
    default: return s_number (m, f) == 0;
    }
}

/* True if layout has a field stored where f is (attempt / attempts). */
static bool
s_layout_has (const layout_t *layout, const member_t *f)
{
    for (size_t i = 0; i < layout->count; i++)
        if (layout->field[i]->offset == f->offset)
            return true;
    return false;
}

static size_t
s_put_number (byte *at, uint64_t value, size_t octets)
{
    for (size_t i = 0; i < octets; i++)
        at[i] = (byte) (value >> (8 * (octets - 1 - i)));
    return octets;
}

static size_t
s_put_string (byte *at, const char *text)
{
    size_t length = strlen (text);
    at[0] = (byte) length;
    memcpy (at + 1, text, length);
    return 1 + length;
}

/* The header of m as docs/protocol.md lays it out ("Framing"): signature,
   version, command, then the fields in order, big-endian, strings with a
   u8 length, plugins with a u8 count, running with a u16 count, labels,
   resources and requirements with a u8 count, text with a u16 length. */
static size_t
s_doc_encode (const ztask_msg_t *m, const spec_t *spec, const layout_t *layout, byte *buffer)
{
    size_t n = 0;
    buffer[n++] = 'Z';
    buffer[n++] = 'T';
    buffer[n++] = 1;
    buffer[n++] = (byte) spec->id;
    for (size_t i = 0; i < layout->count; i++) {
        const member_t *f = layout->field[i];
        switch (f->kind) {
        case T_U8: n += s_put_number (buffer + n, s_number (m, f), 1); break;
        case T_U16: n += s_put_number (buffer + n, s_number (m, f), 2); break;
        case T_U32: n += s_put_number (buffer + n, s_number (m, f), 4); break;
        case T_U64:
        case T_I64: n += s_put_number (buffer + n, s_number (m, f), 8); break;
        case T_STRING: n += s_put_string (buffer + n, s_string (m, f)); break;
        case T_TEXT: {
            size_t length = strlen (s_string (m, f));
            n += s_put_number (buffer + n, length, 2);
            memcpy (buffer + n, s_string (m, f), length);
            n += length;
            break;
        }
        case T_REQUIREMENTS:
            buffer[n++] = (byte) m->require_count;
            for (size_t r = 0; r < m->require_count; r++)
                n += s_put_string (buffer + n, m->require[r]);
            break;
        case T_PARENTS:
            buffer[n++] = m->after_any;
            buffer[n++] = (byte) m->parent_count;
            for (size_t p = 0; p < m->parent_count; p++) {
                n += s_put_number (buffer + n, m->parents[p].task_id, 8);
                buffer[n++] = m->parents[p].state;
            }
            break;
        case T_SIZES:
            buffer[n++] = (byte) m->parent_size_count;
            for (size_t p = 0; p < m->parent_size_count; p++)
                n += s_put_number (buffer + n, m->parent_sizes[p], 4);
            break;
        case T_PLUGINS:
            buffer[n++] = (byte) m->plugin_count;
            for (size_t p = 0; p < m->plugin_count; p++) {
                n += s_put_string (buffer + n, m->plugins[p].name);
                n += s_put_string (buffer + n, m->plugins[p].version);
            }
            break;
        case T_RUNNING:
            n += s_put_number (buffer + n, m->running_count, 2);
            for (size_t r = 0; r < m->running_count; r++) {
                n += s_put_number (buffer + n, m->running[r].task_id, 8);
                n += s_put_number (buffer + n, m->running[r].attempt, 4);
            }
            break;
        case T_LABELS:
            buffer[n++] = (byte) m->label_count;
            for (size_t l = 0; l < m->label_count; l++) {
                n += s_put_string (buffer + n, m->labels[l].key);
                n += s_put_string (buffer + n, m->labels[l].value);
            }
            break;
        case T_RESOURCES:
            buffer[n++] = (byte) m->resource_count;
            for (size_t r = 0; r < m->resource_count; r++) {
                n += s_put_string (buffer + n, m->resources[r].name);
                n += s_put_number (buffer + n, m->resources[r].amount, 8);
            }
            break;
        }
    }
    return n;
}

/* docs/protocol.md, read from $top_srcdir (or the current directory). */
static char *
s_read_protocol_doc (void)
{
    const char *top = getenv ("top_srcdir");
    char path[4096];
    snprintf (path, sizeof path, "%s/docs/protocol.md", top && *top ? top : ".");
    FILE *file = fopen (path, "r");
    if (!file) {
        printf ("#   cannot read %s\n", path);
        return NULL;
    }
    static char text[256 * 1024];
    size_t size = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text[size] = 0;
    return text;
}

/* A body with a NUL and high bytes in it: bodies are opaque bytes. */
static const byte s_body[] = { 'r', 'e', 's', 0, 0xFF, 0x80, 'u', 'l', 't' };

/* Strings with multi-byte UTF-8 (2, 3 and 4 bytes) and the longest allowed. */
static char s_long[ZTASK_STRING_MAX + 1];
/* The longest text: 1023 bytes. */
static char s_long_text[ZTASK_TEXT_MAX + 1];

/* Sets every field of m to a distinctive value (encode writes only the
   command's fields). */
static void
s_fill (ztask_msg_t *m, int command)
{
    ztask_msg_reset (m, command);
    m->corr = 0xA1B2C3D4u;
    m->task_id = 0x0102030405060708ull;
    m->attempt = 0xDEADBEEFu;
    m->priority = 7;
    m->state = 3;
    m->flags = ZTASK_FLAG_RESULT;
    m->status = 2;
    m->error_status = 0xBEEF;
    m->slots = 1024;
    m->priorities = 0x03FF;
    m->timeout_ms = 0x11223344u;
    m->max_attempts = 0x55667788u;
    m->heartbeat_ms = 0x99AABBCCu;
    m->limit = 0xFEDCBA98u;
    m->progress_done = UINT64_MAX;
    m->progress_total = 0x8000000000000001ull;
    m->created_ms = -1;
    m->started_ms = INT64_MIN;
    m->finished_ms = INT64_MAX;
    m->due_ms = INT64_C (0x7EDCBA9876543210);
    m->retry_min_ms = 0x0A0B0C0Du;
    m->retry_max_ms = 0x1A1B1C1Du;
    m->next_attempt_ms = INT64_C (0x6E5D4C3B2A190807);
    m->retry_after_ms = 0x2A2B2C2Du;
    strcpy (m->type, "sleep-\xC3\xBC");          /* ü */
    strcpy (m->key, s_long);
    strcpy (m->name, "w-\xE2\x82\xAC");          /* € */
    strcpy (m->host, "host-\xF0\x9F\x98\x80");   /* 😀 */
    strcpy (m->worker, "worker-7");
    strcpy (m->text, "sleeping 250/500 ms");
    strcpy (m->error, "");                       /* empty strings too */
    strcpy (m->instance, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    m->plugin_count = ZTASK_PLUGINS_MAX;
    for (size_t i = 0; i < m->plugin_count; i++) {
        snprintf (m->plugins[i].name, sizeof m->plugins[i].name, "plugin-%zu", i);
        snprintf (m->plugins[i].version, sizeof m->plugins[i].version, "%zu.0.%zu", i, 2 * i);
    }
    m->running_count = ZTASK_RUNNING_MAX;
    for (size_t i = 0; i < m->running_count; i++) {
        m->running[i].task_id = 0xF100000000000000ull + i * 0x0101010101ull;
        m->running[i].attempt = 0xFFFFFFFFu - (uint32_t) i;
    }
    m->label_count = ZTASK_LABELS_MAX;
    for (size_t i = 0; i < m->label_count; i++) {
        snprintf (m->labels[i].key, sizeof m->labels[i].key, "key.%zu", i);
        snprintf (m->labels[i].value, sizeof m->labels[i].value, "v\xC3\xA4lue %zu", i);
    }
    strcpy (m->labels[0].value, s_long);
    m->resource_count = ZTASK_RESOURCES_MAX;
    for (size_t i = 0; i < m->resource_count; i++) {
        snprintf (m->resources[i].name, sizeof m->resources[i].name, "res-%zu", i);
        m->resources[i].amount = UINT64_MAX - i * 0x0102030405ull;
    }
    m->require_count = ZTASK_REQUIRES_MAX;
    for (size_t i = 0; i < m->require_count; i++)
        snprintf (m->require[i], sizeof m->require[i], "zone.%zu in (eu-1,\xC3\xBC)", i);
    strcpy (m->require[1], s_long);
    strcpy (m->require[2], "");                  /* the codec does not parse them */
    strcpy (m->version, ">=1.2.0-rc1");
    strcpy (m->needs, s_long_text);
    strcpy (m->limit_name, "stripe-\xE2\x82\xAC");
    strcpy (m->waiting, "limit");
    strcpy (m->waiting_text, s_long);
    m->after_any = 1;
    m->parent_count = ZTASK_PARENTS_MAX;
    for (size_t i = 0; i < m->parent_count; i++) {
        m->parents[i].task_id = 0xA000000000000000ull + i * 0x0102030405ull;
        m->parents[i].state = (uint8_t) (i % 7);
    }
    m->parents[1].state = ZTASK_PARENT_ENDED;
    m->parent_size_count = ZTASK_PARENTS_MAX;
    for (size_t i = 0; i < m->parent_size_count; i++)
        m->parent_sizes[i] = 0xFFFFFFFFu - (uint32_t) i * 0x01010101u;
    strcpy (m->tz, "America/Argentina/Buenos_Aires");
    ztask_msg_set_body (m, s_body, sizeof s_body);
}

/* Copies the header frame's bytes out of an encoded message. */
static size_t
s_header (zmsg_t *msg, byte *buffer, size_t size)
{
    zframe_t *header = zmsg_first (msg);
    size_t n = zframe_size (header);
    assert (n <= size);
    memcpy (buffer, zframe_data (header), n);
    return n;
}

/* Decodes a message of the given frames; returns the codec's answer. */
static int
s_decode (ztask_msg_t *m, const void *header, size_t size, int bodies)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, header, size);
    for (int i = 0; i < bodies; i++)
        zmsg_addmem (msg, s_body, sizeof s_body);
    return ztask_msg_decode (m, &msg, false);
}

static int
s_bodies (const layout_t *layout, uint8_t flags)
{
    return layout->body == 1 || (layout->body == 2 && (flags & ZTASK_FLAG_RESULT)) ? 1 : 0;
}

static void
s_round_trips (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    char *doc = s_read_protocol_doc ();
    TAP_OK (doc != NULL, "docs/protocol.md is readable");
    for (size_t s = 0; s < SPEC_COUNT; s++) {
        const spec_t *spec = &s_spec[s];
        char row[1024];
        snprintf (row, sizeof row, "\n| %s | %d | %s | %s |\n", spec->name, spec->id, spec->fields, spec->body);
        TAP_OK (doc && strstr (doc, row), "%s: docs/protocol.md's row is the one this test knows", spec->name);
        TAP_OK (spec->command == spec->id, "  its id %d is the codec's", spec->id);
        layout_t layout;
        int known = s_layout_of (spec, &layout);
        TAP_OK (known == 0, "  its fields are known (%zu)", layout.count);
        s_fill (out, spec->command);
        zmsg_t *msg = ztask_msg_encode (out);
        TAP_OK (msg != NULL, "  encodes");
        if (!msg)
            continue;
        byte want[ZTASK_HEADER_MAX], got[ZTASK_HEADER_MAX];
        size_t want_size = s_doc_encode (out, spec, &layout, want);
        size_t got_size = s_header (msg, got, sizeof got);
        TAP_OK (got_size == want_size && memcmp (got, want, want_size) == 0,
                "  the header is laid out as the document says (%zu bytes)", want_size);
        if (got_size != want_size || memcmp (got, want, want_size) != 0)
            for (size_t i = 0; i < want_size || i < got_size; i++)
                if (i >= want_size || i >= got_size || got[i] != want[i]) {
                    printf ("#   first difference at byte %zu of %zu (codec: %zu bytes)\n", i, want_size,
                            got_size);
                    break;
                }
        int frames = 1 + s_bodies (&layout, out->flags);
        TAP_OK ((int) zmsg_size (msg) == frames, "  as %d frame%s", frames, frames == 1 ? "" : "s");
        TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && msg == NULL, "  decodes (message consumed)");
        TAP_OK (in->command == spec->command, "  command %s", ztask_msg_command_name (in->command));
        TAP_OK (streq (ztask_msg_command_name (spec->command), spec->name), "  is named %s", spec->name);
        bool same = true, clear = true;
        for (size_t i = 0; i < layout.count; i++)
            if (!s_field_equal (in, out, layout.field[i])) {
                printf ("#   field %s %s differs\n", layout.field[i]->name, layout.field[i]->type);
                same = false;
            }
        for (size_t m = 0; m < MEMBER_COUNT; m++)
            if (!s_layout_has (&layout, &s_members[m]) && !s_field_clear (in, &s_members[m])) {
                printf ("#   %s %s set but not in the command\n", s_members[m].name, s_members[m].type);
                clear = false;
            }
        TAP_OK (same, "  every field comes back");
        TAP_OK (clear, "  and no other");
        if (s_bodies (&layout, out->flags))
            TAP_OK (in->body && zframe_size (in->body) == sizeof s_body
                        && memcmp (zframe_data (in->body), s_body, sizeof s_body) == 0,
                    "  the body comes back byte for byte");
        else
            TAP_OK (in->body == NULL, "  no body");
        TAP_OK (in->routing_id == NULL, "  no routing id");
    }

    /* TASK_INFO without the result flag: no body, even if one is set. */
    s_fill (out, ZTASK_MSG_TASK_INFO);
    out->flags = 0xFE;
    zmsg_t *msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 1, "TASK_INFO with flags 0xFE encodes without a body");
    TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && in->flags == 0xFE && !in->body,
            "  and decodes with its flags, no body");

    /* A required body that is not set goes out empty. */
    s_fill (out, ZTASK_MSG_SUBMIT);
    zframe_destroy (&out->body);
    msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 2 && zframe_size (zmsg_last (msg)) == 0,
            "SUBMIT without a body encodes an empty body frame");
    TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && in->body && zframe_size (in->body) == 0,
            "  and decodes with an empty body");

    /* REGISTER with no plugins is well-formed (the broker refuses it). */
    s_fill (out, ZTASK_MSG_REGISTER);
    out->plugin_count = 0;
    msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && in->plugin_count == 0,
            "REGISTER with no plugins round trips");

    /* REGISTER of a worker that runs nothing (a first start), and with an
       empty instance (well-formed; the broker decides). */
    s_fill (out, ZTASK_MSG_REGISTER);
    out->running_count = 0;
    out->instance[0] = 0;
    msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && in->running_count == 0 && !in->instance[0]
                && in->plugin_count == ZTASK_PLUGINS_MAX,
            "REGISTER with no running tasks and no instance round trips");
    s_fill (out, ZTASK_MSG_REGISTER);
    strcpy (out->instance, s_long);
    out->running_count = 1;
    out->running[0].task_id = UINT64_MAX;
    out->running[0].attempt = 0;
    msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && streq (in->instance, s_long)
                && in->running_count == 1 && in->running[0].task_id == UINT64_MAX && in->running[0].attempt == 0,
            "REGISTER with a %d-byte instance and one running task round trips", ZTASK_STRING_MAX);

    /* LIST: "any state" and the extremes of the limit go through as they
       are (the broker checks the range). */
    const uint32_t limits[] = { 0, 1, 50, 10000, UINT32_MAX };
    bool limits_ok = true;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        ztask_msg_reset (out, ZTASK_MSG_LIST);
        out->corr = 1;
        out->state = ZTASK_LIST_ANY;
        out->limit = limits[i];
        msg = ztask_msg_encode (out);
        if (!msg || ztask_msg_decode (in, &msg, false) != 0 || in->state != ZTASK_LIST_ANY
            || in->limit != limits[i]) {
            printf ("#   limit %u\n", limits[i]);
            limits_ok = false;
        }
    }
    TAP_OK (limits_ok, "LIST with state %d (any) and limits 0 to 2^32-1 round trips", ZTASK_LIST_ANY);

    /* Encode refuses what it cannot write. */
    s_fill (out, ZTASK_MSG_REGISTER);
    out->plugin_count = ZTASK_PLUGINS_MAX + 1;
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses %d plugins", ZTASK_PLUGINS_MAX + 1);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    out->running_count = ZTASK_RUNNING_MAX + 1;
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses %d running tasks", ZTASK_RUNNING_MAX + 1);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    out->label_count = ZTASK_LABELS_MAX + 1;
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses %d labels", ZTASK_LABELS_MAX + 1);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    out->resource_count = ZTASK_RESOURCES_MAX + 1;
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses %d resources", ZTASK_RESOURCES_MAX + 1);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    memset (out->labels[3].value, 'v', sizeof out->labels[3].value); /* 256 bytes, no NUL */
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses a label value longer than %d bytes", ZTASK_STRING_MAX);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    memset (out->instance, 'u', sizeof out->instance); /* 256 bytes, no NUL: encode reads at most that */
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses an instance longer than %d bytes", ZTASK_STRING_MAX);
    zmsg_destroy (&msg);
    s_fill (out, 99);
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses an unknown command");
    zmsg_destroy (&msg);

    /* The body is copied: the message keeps its own. */
    s_fill (out, ZTASK_MSG_JSON);
    msg = ztask_msg_encode (out);
    TAP_OK (msg && out->body && zframe_size (out->body) == sizeof s_body,
            "encode leaves the body with the message");
    zmsg_destroy (&msg);

    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

/* The bytes on the wire, as docs/protocol.md lays them out. */
static void
s_layout (void)
{
    ztask_msg_t *m = ztask_msg_new ();
    byte got[65536];

    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    m->corr = 0x01020304;
    strcpy (m->type, "echo");
    m->priority = 9;
    m->timeout_ms = 30000;
    m->max_attempts = 2;
    strcpy (m->key, "k");
    ztask_msg_set_body (m, "hi", 2);
    const byte submit[] = { 'Z', 'T', 1, 1,  1, 2, 3, 4,  4, 'e', 'c', 'h', 'o',  9,
                            0, 0, 0x75, 0x30,  0, 0, 0, 2,  1, 'k' };
    zmsg_t *msg = ztask_msg_encode (m);
    size_t n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof submit && memcmp (got, submit, n) == 0, "SUBMIT header bytes as documented");
    TAP_OK (zframe_size (zmsg_last (msg)) == 2 && memcmp (zframe_data (zmsg_last (msg)), "hi", 2) == 0,
            "  payload in the second frame");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_ERROR);
    m->corr = 7;
    m->error_status = ZTASK_ERR_QUEUE_FULL;
    strcpy (m->text, "full");
    const byte error[] = { 'Z', 'T', 1, 24,  0, 0, 0, 7,  0, 3,  4, 'f', 'u', 'l', 'l' };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof error && memcmp (got, error, n) == 0 && zmsg_size (msg) == 1,
            "ERROR header bytes as documented");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_REGISTER);
    strcpy (m->name, "w");
    strcpy (m->host, "h");
    strcpy (m->instance, "u-1");
    m->slots = 2;
    m->priorities = 0x0201;
    m->plugin_count = 2;
    strcpy (m->plugins[0].name, "echo");
    strcpy (m->plugins[0].version, "1.0");
    strcpy (m->plugins[1].name, "sl");
    strcpy (m->plugins[1].version, "");
    m->running_count = 2;
    m->running[0].task_id = 0x0102030405060708ull;
    m->running[0].attempt = 3;
    m->running[1].task_id = 9;
    m->running[1].attempt = 0x01000001;
    m->label_count = 2;
    strcpy (m->labels[0].key, "zone");
    strcpy (m->labels[0].value, "eu-1");
    strcpy (m->labels[1].key, "os");
    strcpy (m->labels[1].value, "linux");
    m->resource_count = 1;
    strcpy (m->resources[0].name, "gpu");
    m->resources[0].amount = 0x0102030405060708ull;
    const byte reg[] = { 'Z', 'T', 1, 40,  1, 'w',  1, 'h',  3, 'u', '-', '1',  0, 2,  2, 1,  2,
                         4, 'e', 'c', 'h', 'o',  3, '1', '.', '0',  2, 's', 'l',  0,
                         0, 2,  1, 2, 3, 4, 5, 6, 7, 8,  0, 0, 0, 3,
                         0, 0, 0, 0, 0, 0, 0, 9,  1, 0, 0, 1,
                         2,  4, 'z', 'o', 'n', 'e',  4, 'e', 'u', '-', '1',  2, 'o', 's',  5, 'l', 'i', 'n', 'u', 'x',
                         1,  3, 'g', 'p', 'u',  1, 2, 3, 4, 5, 6, 7, 8 };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof reg && memcmp (got, reg, n) == 0, "REGISTER header bytes as documented");
    zmsg_destroy (&msg);
    ztask_msg_t *reg_in = ztask_msg_new ();
    TAP_OK (s_decode (reg_in, reg, sizeof reg, 0) == 0 && reg_in->label_count == 2
                && streq (reg_in->labels[1].key, "os") && streq (reg_in->labels[1].value, "linux")
                && reg_in->resource_count == 1 && streq (reg_in->resources[0].name, "gpu")
                && reg_in->resources[0].amount == 0x0102030405060708ull,
            "  and decodes with its labels and resources");
    /* An older worker's REGISTER ends after running: no labels, no resources. */
    size_t old_size = sizeof reg - 33;
    TAP_OK (s_decode (reg_in, reg, old_size, 0) == 0 && reg_in->command == ZTASK_MSG_REGISTER
                && reg_in->label_count == 0 && reg_in->resource_count == 0 && reg_in->running_count == 2
                && reg_in->plugin_count == 2,
            "REGISTER without labels and resources (an older worker's) decodes with none");
    bool cut_bad = true;
    for (size_t cut = old_size + 1; cut < sizeof reg; cut++)
        if (s_decode (reg_in, reg, cut, 0) != -2) {
            printf ("#   cut at %zu of %zu decodes\n", cut, sizeof reg);
            cut_bad = false;
        }
    TAP_OK (cut_bad, "  but one cut anywhere inside them is malformed");
    byte bad[sizeof reg];
    memcpy (bad, reg, sizeof reg);
    bad[old_size] = ZTASK_LABELS_MAX + 1;
    TAP_OK (s_decode (reg_in, bad, sizeof bad, 0) == -2, "  as is a label count over %d", ZTASK_LABELS_MAX);
    memcpy (bad, reg, sizeof reg);
    bad[sizeof reg - 13] = ZTASK_RESOURCES_MAX + 1;
    TAP_OK (s_decode (reg_in, bad, sizeof bad, 0) == -2, "  a resource count over %d", ZTASK_RESOURCES_MAX);
    memcpy (bad, reg, sizeof reg);
    bad[old_size + 2] = 0xFF; /* in "zone" */
    TAP_OK (s_decode (reg_in, bad, sizeof bad, 0) == -2, "  a label key that is not UTF-8");
    memcpy (bad, reg, sizeof reg);
    bad[old_size + 7] = 0xC3; /* in "eu-1": a sequence cut short */
    TAP_OK (s_decode (reg_in, bad, sizeof bad, 0) == -2, "  a label value that is not UTF-8");
    memcpy (bad, reg, sizeof reg);
    bad[sizeof reg - 11] = 0; /* "gpu" with a NUL */
    TAP_OK (s_decode (reg_in, bad, sizeof bad, 0) == -2, "  a resource name with a NUL");
    ztask_msg_destroy (&reg_in);

    ztask_msg_reset (m, ZTASK_MSG_CANCEL);
    m->corr = 9;
    m->task_id = 42;
    const byte cancel[] = { 'Z', 'T', 1, 6,  0, 0, 0, 9,  0, 0, 0, 0, 0, 0, 0, 42 };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof cancel && memcmp (got, cancel, n) == 0 && zmsg_size (msg) == 1,
            "CANCEL header bytes as documented");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_LIST);
    m->corr = 7;
    m->state = ZTASK_LIST_ANY;
    m->limit = 50;
    const byte list[] = { 'Z', 'T', 1, 7,  0, 0, 0, 7,  0xFF,  0, 0, 0, 50,  0,  0, 0, 0, 0, 0, 0, 0, 0 };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof list && memcmp (got, list, n) == 0 && zmsg_size (msg) == 1,
            "LIST header bytes as documented (state 255: any)");
    zmsg_destroy (&msg);
    /* An older client's LIST ends after limit: any type, the newest. */
    ztask_msg_t *old = ztask_msg_new ();
    TAP_OK (s_decode (old, list, 13, 0) == 0 && old->command == ZTASK_MSG_LIST && old->limit == 50
                && old->type[0] == 0 && old->task_id == 0,
            "LIST without type and task_id (an older client's) decodes with both unset");
    TAP_OK (s_decode (old, list, 14, 0) == -2, "  but one cut inside them is malformed");

    /* SUBMIT and TASK_INFO: due_ms is left out when 0 (an older peer
       reads the message), and a header without it is a task for now. */
    const int submits[] = { ZTASK_MSG_SUBMIT, ZTASK_MSG_SUBMIT_WAIT, ZTASK_MSG_TASK_INFO };
    for (size_t i = 0; i < 3; i++) {
        ztask_msg_reset (m, submits[i]);
        m->corr = 3;
        strcpy (m->type, "echo");
        m->due_ms = 0;
        msg = ztask_msg_encode (m);
        size_t without = s_header (msg, got, sizeof got);
        zmsg_destroy (&msg);
        byte short_header[512];
        memcpy (short_header, got, without);
        m->due_ms = 1700000000000;
        msg = ztask_msg_encode (m);
        n = s_header (msg, got, sizeof got);
        zmsg_destroy (&msg);
        const byte due[] = { 0, 0, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00 };
        TAP_OK (n == without + 8 && memcmp (got, short_header, without) == 0 && memcmp (got + without, due, 8) == 0,
                "%s: due_ms 0 is left out; another is 8 more bytes, big-endian",
                ztask_msg_command_name (submits[i]));
        bool body = submits[i] != ZTASK_MSG_TASK_INFO;
        TAP_OK (s_decode (old, short_header, without, body) == 0 && old->command == submits[i] && old->due_ms == 0
                    && streq (old->type, "echo"),
                "  a header without it (an older client's) decodes with due_ms 0");
        TAP_OK (s_decode (old, got, n, body) == 0 && old->due_ms == 1700000000000, "  and with it, due_ms comes back");
        TAP_OK (s_decode (old, got, n - 3, body) == -2, "  but one cut inside it is malformed");
    }

    /* SUBMIT and TASK_INFO: what a task asks (require, version, needs,
       limit) follows due_ms, which is then written even when 0; left out
       when all four are empty. */
    for (size_t i = 0; i < 3; i++) {
        ztask_msg_reset (m, submits[i]);
        m->corr = 3;
        strcpy (m->type, "echo");
        msg = ztask_msg_encode (m);
        size_t without = s_header (msg, got, sizeof got);
        zmsg_destroy (&msg);
        byte short_header[512];
        memcpy (short_header, got, without);
        m->require_count = 2;
        strcpy (m->require[0], "zone=eu-1");
        strcpy (m->require[1], "os");
        msg = ztask_msg_encode (m);
        n = s_header (msg, got, sizeof got);
        zmsg_destroy (&msg);
        const byte tail[] = { 0, 0, 0, 0, 0, 0, 0, 0,  2, 9, 'z', 'o', 'n', 'e', '=', 'e', 'u', '-', '1',  2, 'o', 's',
                              0,  0, 0,  0 };
        const char *name = ztask_msg_command_name (submits[i]);
        TAP_OK (n == without + sizeof tail && memcmp (got, short_header, without) == 0
                    && memcmp (got + without, tail, sizeof tail) == 0,
                "%s: two requirements: due_ms 0, then the count and the strings, then an empty version, needs "
                "(u16) and limit",
                name);
        bool body = submits[i] != ZTASK_MSG_TASK_INFO;
        TAP_OK (s_decode (old, got, n, body) == 0 && old->require_count == 2 && streq (old->require[1], "os")
                    && !old->version[0] && !old->needs[0] && !old->limit_name[0] && old->due_ms == 0,
                "  decodes with them");
        TAP_OK (s_decode (old, short_header, without, body) == 0 && old->require_count == 0,
                "  a header without them (an older client's) asks nothing");
        TAP_OK (s_decode (old, got, without + 8, body) == 0 && old->require_count == 0,
                "  nor one that ends after due_ms");
        bool cuts_bad = true;
        for (size_t cut = without + 9; cut < n; cut++)
            if (s_decode (old, got, cut, body) != -2) {
                printf ("#   cut at %zu of %zu decodes\n", cut, n);
                cuts_bad = false;
            }
        TAP_OK (cuts_bad, "  one cut anywhere inside them is malformed");
        byte wrong[512];
        memcpy (wrong, got, n);
        wrong[without + 8] = ZTASK_REQUIRES_MAX + 1;
        TAP_OK (s_decode (old, wrong, n, body) == -2, "  as is a requirement count over %d", ZTASK_REQUIRES_MAX);
        memcpy (wrong, got, n);
        wrong[without + 10] = 0xC3; /* "zone" -> "\xC3one": not UTF-8 */
        TAP_OK (s_decode (old, wrong, n, body) == -2, "  a requirement that is not UTF-8");
        memcpy (wrong, got, n);
        wrong[without + 11] = 0; /* a NUL in "zone" */
        TAP_OK (s_decode (old, wrong, n, body) == -2, "  a requirement with a NUL");
        /* needs: a u16 length, at most 1023 */
        ztask_msg_reset (m, submits[i]);
        m->corr = 3;
        strcpy (m->type, "echo");
        strcpy (m->needs, s_long_text);
        strcpy (m->limit_name, "api");
        msg = ztask_msg_encode (m);
        n = s_header (msg, got, sizeof got);
        zmsg_destroy (&msg);
        size_t needs_at = without + 8 + 1 + 1;
        TAP_OK (n == without + 8 + 1 + 1 + 2 + ZTASK_TEXT_MAX + 4 && got[needs_at] == (ZTASK_TEXT_MAX >> 8)
                    && got[needs_at + 1] == (ZTASK_TEXT_MAX & 0xFF),
                "  needs of %d bytes: a u16 length", ZTASK_TEXT_MAX);
        TAP_OK (s_decode (old, got, n, body) == 0 && streq (old->needs, s_long_text) && streq (old->limit_name, "api"),
                "  decodes whole");
        byte *big = (byte *) malloc (n + 1);
        memcpy (big, got, needs_at);
        big[needs_at] = (ZTASK_TEXT_MAX + 1) >> 8;
        big[needs_at + 1] = (ZTASK_TEXT_MAX + 1) & 0xFF;
        memset (big + needs_at + 2, 'n', ZTASK_TEXT_MAX + 1);
        memcpy (big + needs_at + 2 + ZTASK_TEXT_MAX + 1, "\x03" "api", 4);
        TAP_OK (s_decode (old, big, n + 1, body) == -2, "  needs of %d bytes: malformed", ZTASK_TEXT_MAX + 1);
        free (big);
        memset (m->needs, 'n', sizeof m->needs); /* 1024 bytes, no NUL: encode reads at most that */
        msg = ztask_msg_encode (m);
        TAP_OK (msg == NULL, "  encode refuses needs of %d bytes", ZTASK_TEXT_MAX + 1);
        zmsg_destroy (&msg);
        m->needs[0] = 0;
        m->require_count = ZTASK_REQUIRES_MAX + 1;
        msg = ztask_msg_encode (m);
        TAP_OK (msg == NULL, "  encode refuses %d requirements", ZTASK_REQUIRES_MAX + 1);
        zmsg_destroy (&msg);
    }

    /* TASK_INFO: the waiting fields come last, after the routing ones
       (written empty), and only when set. */
    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    strcpy (m->type, "echo");
    msg = ztask_msg_encode (m);
    size_t bare = s_header (msg, got, sizeof got);
    zmsg_destroy (&msg);
    strcpy (m->waiting, "busy");
    strcpy (m->waiting_text, "every worker is busy");
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    zmsg_destroy (&msg);
    const byte waiting_tail[] = { 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0, 0,  0,  4, 'b', 'u', 's', 'y',  20 };
    TAP_OK (n == bare + sizeof waiting_tail + 20 && memcmp (got + bare, waiting_tail, sizeof waiting_tail) == 0,
            "TASK_INFO with waiting: due_ms 0 and the empty routing fields, then the two strings");
    TAP_OK (s_decode (old, got, n, 0) == 0 && streq (old->waiting, "busy")
                && streq (old->waiting_text, "every worker is busy") && old->require_count == 0,
            "  decodes with them");
    TAP_OK (s_decode (old, got, n - 26, 0) == 0 && old->waiting[0] == 0, "  a header without them decodes without");
    TAP_OK (s_decode (old, got, n - 1, 0) == -2 && s_decode (old, got, n - 20, 0) == -2,
            "  one cut inside them is malformed");

    /* SUBMIT: parents (dependencies) come last, after the routing fields
       (written empty), and only when there are some. */
    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    strcpy (m->type, "echo");
    msg = ztask_msg_encode (m);
    bare = s_header (msg, got, sizeof got);
    zmsg_destroy (&msg);
    m->after_any = 1;
    m->parent_count = 2;
    m->parents[0].task_id = 7;
    m->parents[1].task_id = 0x0102030405060708ull;
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    zmsg_destroy (&msg);
    const byte parents_tail[] = { 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0, 0,  0,  0, 0, 0, 0,  0, 0, 0, 0,  1, 2,
                                  0, 0, 0, 0, 0, 0, 0, 7,  0,  1, 2, 3, 4, 5, 6, 7, 8,  0 };
    TAP_OK (n == bare + sizeof parents_tail && memcmp (got + bare, parents_tail, sizeof parents_tail) == 0,
            "SUBMIT with parents: due_ms 0, the empty routing fields and retry policy, then after_any, the count, "
            "ids and states");
    TAP_OK (s_decode (old, got, n, 1) == 0 && old->parent_count == 2 && old->after_any == 1
                && old->parents[0].task_id == 7 && old->parents[1].task_id == 0x0102030405060708ull,
            "  decodes with them");
    TAP_OK (s_decode (old, got, n - 20, 1) == 0 && old->parent_count == 0 && old->after_any == 0,
            "  a header without them (an older client's) has none");
    bool parents_cut = true;
    for (size_t cut = n - 19; cut < n; cut++)
        parents_cut = parents_cut && s_decode (old, got, cut, 1) == -2;
    TAP_OK (parents_cut, "  one cut inside them is malformed");
    byte bad_parents[512];
    memcpy (bad_parents, got, n);
    bad_parents[n - 20] = 2;
    TAP_OK (s_decode (old, bad_parents, n, 1) == -2, "  after_any other than 0 or 1 is malformed");
    memcpy (bad_parents, got, n);
    bad_parents[n - 19] = ZTASK_PARENTS_MAX + 1;
    TAP_OK (s_decode (old, bad_parents, n, 1) == -2, "  as is a count over %d", ZTASK_PARENTS_MAX);
    m->parent_count = ZTASK_PARENTS_MAX + 1;
    msg = ztask_msg_encode (m);
    TAP_OK (msg == NULL, "  encode refuses %d parents", ZTASK_PARENTS_MAX + 1);
    zmsg_destroy (&msg);

    /* TASK: the parents' result sizes, only when there are some. */
    ztask_msg_reset (m, ZTASK_MSG_TASK);
    strcpy (m->type, "echo");
    msg = ztask_msg_encode (m);
    bare = s_header (msg, got, sizeof got);
    zmsg_destroy (&msg);
    m->parent_size_count = 2;
    m->parent_sizes[0] = 5;
    m->parent_sizes[1] = 0x01020304;
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    zmsg_destroy (&msg);
    const byte sizes_tail[] = { 2,  0, 0, 0, 5,  1, 2, 3, 4 };
    TAP_OK (n == bare + sizeof sizes_tail && memcmp (got + bare, sizes_tail, sizeof sizes_tail) == 0,
            "TASK with parents' results: the count, then each size (u32)");
    TAP_OK (s_decode (old, got, n, 1) == 0 && old->parent_size_count == 2 && old->parent_sizes[1] == 0x01020304,
            "  decodes with them");
    TAP_OK (s_decode (old, got, bare, 1) == 0 && old->parent_size_count == 0, "  a TASK without them has none");
    TAP_OK (s_decode (old, got, n - 1, 1) == -2, "  one cut inside them is malformed");
    got[bare] = 0;
    TAP_OK (s_decode (old, got, bare + 1, 1) == -2, "  a count of 0 (never sent: they are left out) is malformed");
    ztask_msg_destroy (&old);

    const int acks[] = { ZTASK_MSG_RESULT_ACK, ZTASK_MSG_CANCEL_TASK };
    for (size_t i = 0; i < 2; i++) {
        ztask_msg_reset (m, acks[i]);
        m->task_id = 0x0A0B0C0D0E0F1011ull;
        m->attempt = 2;
        const byte ack[] = { 'Z', 'T', 1, (byte) acks[i],  0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11,
                             0, 0, 0, 2 };
        msg = ztask_msg_encode (m);
        n = s_header (msg, got, sizeof got);
        TAP_OK (n == sizeof ack && memcmp (got, ack, n) == 0 && zmsg_size (msg) == 1,
                "%s header bytes as documented", ztask_msg_command_name (acks[i]));
        zmsg_destroy (&msg);
    }

    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    m->created_ms = -2;
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    /* sig 2, version 1, command 1, corr 4, id 8, flags 1, type 1, priority 1,
       state 1, attempts 4, max 4, done 8, total 8, text 1, worker 1, error 1 */
    size_t at = 2 + 1 + 1 + 4 + 8 + 1 + 1 + 1 + 1 + 4 + 4 + 8 + 8 + 1 + 1 + 1;
    const byte minus_two[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE };
    TAP_OK (n == at + 24 && memcmp (got + at, minus_two, 8) == 0,
            "TASK_INFO times are two's complement big-endian");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_HEARTBEAT);
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == 4 && memcmp (got, "ZT\x01\x29", 4) == 0, "HEARTBEAT is the bare 4-byte header");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_DRAIN);
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == 4 && memcmp (got, "ZT\x01\x2D", 4) == 0 && zmsg_size (msg) == 1,
            "DRAIN is the bare 4-byte header");
    zmsg_destroy (&msg);
    ztask_msg_destroy (&m);
}

/* Golden bytes: every command's header, written out in hex by hand from
   docs/protocol.md for the values s_golden_fill sets (and, for the
   commands with a body, the body "hi"). Values: corr 01020304, task_id
   1122334455667788, attempt(s) 2, priority 9, state 1, flags 1, RESULT
   status 2, ERROR status 3, slots 4, priorities 0201, timeout_ms 30000
   (7530), max_attempts 3, heartbeat_ms 1000 (3e8), limit 50 (32),
   progress 5 of 10, created -2, started 1, finished 256, due 512; strings type
   "echo", key "k", name "w", host "h", instance "u-1", worker "w1", text
   "half", error "e!", version ">=1.2", limit "api", waiting "busy",
   waiting_text "w"; text needs "gpu=1"; plugins echo 1.0; running task 9
   attempt 1; labels zone eu-1; resources gpu 2; requirements "zone=eu-1". */
static const struct {
    int command;
    const char *hex;
} s_golden[] = {
    { ZTASK_MSG_SUBMIT, "5a54 01 01  01020304  04 6563686f  09  00007530  00000003  01 6b  0000000000000200"
                        "  01 09 7a6f6e653d65752d31  05 3e3d312e32  0005 6770753d31  03 617069" },
    { ZTASK_MSG_STATUS, "5a54 01 02  01020304  1122334455667788  01" },
    { ZTASK_MSG_WAIT, "5a54 01 03  01020304  1122334455667788" },
    { ZTASK_MSG_STATS, "5a54 01 04  01020304" },
    { ZTASK_MSG_WORKERS, "5a54 01 05  01020304" },
    { ZTASK_MSG_CANCEL, "5a54 01 06  01020304  1122334455667788" },
    { ZTASK_MSG_LIST, "5a54 01 07  01020304  01  00000032  04 6563686f  1122334455667788" },
    { ZTASK_MSG_SUBMIT_WAIT, "5a54 01 08  01020304  04 6563686f  09  00007530  00000003  01 6b  0000000000000200"
                             "  01 09 7a6f6e653d65752d31  05 3e3d312e32  0005 6770753d31  03 617069" },
    { ZTASK_MSG_RETRY, "5a54 01 09  01020304  1122334455667788  01  04 6563686f  00000032  fffffffffffffffe" },
    { ZTASK_MSG_PURGE, "5a54 01 0a  01020304  01  04 6563686f  0000000000000100" },
    { ZTASK_MSG_PAUSE, "5a54 01 0b  01020304  04 6563686f" },
    { ZTASK_MSG_RESUME, "5a54 01 0c  01020304  04 6563686f" },
    { ZTASK_MSG_HISTORY, "5a54 01 0d  01020304  1122334455667788" },
    { ZTASK_MSG_SCHEDULE_ADD, "5a54 01 0f  01020304  01 77  04 6563686f  09  00007530  00000003  04 68616c66"
                              "  03 555443  01" },
    { ZTASK_MSG_SCHEDULES, "5a54 01 10  01020304  01 77" },
    { ZTASK_MSG_SCHEDULE_PAUSE, "5a54 01 11  01020304  01 77" },
    { ZTASK_MSG_SCHEDULE_RESUME, "5a54 01 12  01020304  01 77" },
    { ZTASK_MSG_SCHEDULE_REMOVE, "5a54 01 13  01020304  01 77" },
    { ZTASK_MSG_BATCH, "5a54 01 19  01020304  00000032  04 6563686f  09  00007530  00000003  01 6b"
                       "  01 09 7a6f6e653d65752d31  05 3e3d312e32  0005 6770753d31  03 617069" },
    { ZTASK_MSG_BATCH_STATUS, "5a54 01 1a  01020304  1122334455667788" },
    { ZTASK_MSG_SUBMITTED, "5a54 01 14  01020304  1122334455667788  01" },
    { ZTASK_MSG_TASK_INFO, "5a54 01 15  01020304  1122334455667788  01  04 6563686f  09  01  00000002  00000003"
                           "  0000000000000005  000000000000000a  04 68616c66  02 7731  02 6521"
                           "  fffffffffffffffe  0000000000000001  0000000000000100  0000000000000200"
                           "  01 09 7a6f6e653d65752d31  05 3e3d312e32  0005 6770753d31  03 617069  04 62757379  01 77" },
    { ZTASK_MSG_PROGRESS, "5a54 01 16  01020304  1122334455667788  0000000000000005  000000000000000a  04 68616c66" },
    { ZTASK_MSG_JSON, "5a54 01 17  01020304" },
    { ZTASK_MSG_ERROR, "5a54 01 18  01020304  0003  04 68616c66" },
    { ZTASK_MSG_REGISTER, "5a54 01 28  01 77  01 68  03 752d31  0004  0201  01 04 6563686f 03 312e30"
                          "  0001 0000000000000009 00000001  01 04 7a6f6e65 04 65752d31  01 03 677075 0000000000000002" },
    { ZTASK_MSG_HEARTBEAT, "5a54 01 29" },
    { ZTASK_MSG_WORKER_PROGRESS, "5a54 01 2a  1122334455667788  00000002  0000000000000005  000000000000000a"
                                 "  04 68616c66" },
    { ZTASK_MSG_RESULT, "5a54 01 2b  1122334455667788  00000002  02  02 6521" },
    { ZTASK_MSG_GOODBYE, "5a54 01 2c" },
    { ZTASK_MSG_DRAIN, "5a54 01 2d" },
    { ZTASK_MSG_REGISTERED, "5a54 01 3c  000003e8" },
    { ZTASK_MSG_TASK, "5a54 01 3d  1122334455667788  00000002  04 6563686f  09  00007530" },
    { ZTASK_MSG_RESULT_ACK, "5a54 01 3e  1122334455667788  00000002" },
    { ZTASK_MSG_CANCEL_TASK, "5a54 01 3f  1122334455667788  00000002" },
};
#define GOLDEN_COUNT (sizeof s_golden / sizeof s_golden[0])

static void
s_golden_fill (ztask_msg_t *m, int command)
{
    ztask_msg_reset (m, command);
    m->corr = 0x01020304u;
    m->task_id = 0x1122334455667788ull;
    m->attempt = 2;
    m->priority = 9;
    m->state = 1;
    m->flags = 1;
    m->status = 2;
    m->error_status = 3;
    m->slots = 4;
    m->priorities = 0x0201;
    m->timeout_ms = 30000;
    m->max_attempts = 3;
    m->heartbeat_ms = 1000;
    m->limit = 50;
    m->progress_done = 5;
    m->progress_total = 10;
    m->created_ms = -2;
    m->started_ms = 1;
    m->finished_ms = 256;
    m->due_ms = 512;
    strcpy (m->type, "echo");
    strcpy (m->key, "k");
    strcpy (m->name, "w");
    strcpy (m->host, "h");
    strcpy (m->instance, "u-1");
    strcpy (m->worker, "w1");
    strcpy (m->text, "half");
    strcpy (m->error, "e!");
    strcpy (m->tz, "UTC");
    m->plugin_count = 1;
    strcpy (m->plugins[0].name, "echo");
    strcpy (m->plugins[0].version, "1.0");
    m->running_count = 1;
    m->running[0].task_id = 9;
    m->running[0].attempt = 1;
    m->label_count = 1;
    strcpy (m->labels[0].key, "zone");
    strcpy (m->labels[0].value, "eu-1");
    m->resource_count = 1;
    strcpy (m->resources[0].name, "gpu");
    m->resources[0].amount = 2;
    m->require_count = 1;
    strcpy (m->require[0], "zone=eu-1");
    strcpy (m->version, ">=1.2");
    strcpy (m->needs, "gpu=1");
    strcpy (m->limit_name, "api");
    strcpy (m->waiting, "busy");
    strcpy (m->waiting_text, "w");
    ztask_msg_set_body (m, "hi", 2);
}

/* Bytes of a REGISTER's labels and resources (after running). */
static size_t
s_register_tail (const ztask_msg_t *m)
{
    size_t n = 2;
    for (size_t i = 0; i < m->label_count; i++)
        n += 2 + strlen (m->labels[i].key) + strlen (m->labels[i].value);
    for (size_t i = 0; i < m->resource_count; i++)
        n += 1 + strlen (m->resources[i].name) + 8;
    return n;
}

/* Encodes a REGISTER with no labels or resources into header as an older
   worker sends it: without their two (zero) counts. Returns its size. */
static size_t
s_register_old (ztask_msg_t *out, byte *header)
{
    assert (out->command == ZTASK_MSG_REGISTER && out->label_count == 0 && out->resource_count == 0);
    zmsg_t *full = ztask_msg_encode (out);
    size_t n = s_header (full, header, ZTASK_HEADER_MAX);
    zmsg_destroy (&full);
    assert (n >= 2 && header[n - 2] == 0 && header[n - 1] == 0);
    return n - 2;
}

/* Bytes of the routing fields of a SUBMIT or TASK_INFO (require, version,
   needs, limit), and of TASK_INFO's waiting fields. */
static size_t
s_routing_tail (const ztask_msg_t *m)
{
    size_t n = 1 + 1 + strlen (m->version) + 2 + strlen (m->needs) + 1 + strlen (m->limit_name);
    for (size_t i = 0; i < m->require_count; i++)
        n += 1 + strlen (m->require[i]);
    return n;
}

static size_t
s_waiting_tail (const ztask_msg_t *m)
{
    return 2 + strlen (m->waiting) + strlen (m->waiting_text);
}

/* Bytes of a SUBMIT's or TASK_INFO's parents, and of a TASK's parents'
   result sizes. */
static size_t
s_parents_tail (const ztask_msg_t *m)
{
    return 2 + m->parent_count * 9;
}

static size_t
s_sizes_tail (const ztask_msg_t *m)
{
    return 1 + m->parent_size_count * 4;
}

/* True if a header of m's command cut to len of its n bytes is one an
   older peer sends (it ends where optional fields begin). */
static bool
s_older_header (const ztask_msg_t *m, size_t len, size_t n)
{
    switch (m->command) {
    case ZTASK_MSG_LIST: return len == 13;
    case ZTASK_MSG_REGISTER: return len == n - s_register_tail (m);
    case ZTASK_MSG_TASK: return len == n - s_sizes_tail (m);
    case ZTASK_MSG_SUBMIT:
    case ZTASK_MSG_SUBMIT_WAIT: {
        size_t parents = n - s_parents_tail (m);
        size_t retry = parents - 8; /* retry_min_ms, retry_max_ms */
        return len == parents || len == retry || len == retry - s_routing_tail (m)
               || len == retry - s_routing_tail (m) - 8;
    }
    case ZTASK_MSG_TASK_INFO: {
        size_t parents = n - s_parents_tail (m);
        size_t retry = parents - 16; /* retry_min_ms, retry_max_ms, next_attempt_ms */
        size_t waiting = retry - s_waiting_tail (m);
        return len == parents || len == retry || len == waiting || len == waiting - s_routing_tail (m)
               || len == waiting - s_routing_tail (m) - 8;
    }
    case ZTASK_MSG_RESULT: return len == n - 4; /* retry_after_ms */
    case ZTASK_MSG_BATCH: {
        size_t retry = n - 8; /* retry_min_ms, retry_max_ms */
        return len == retry || len == retry - s_routing_tail (m);
    }
    default: return false;
    }
}

/* Hex digits (blanks ignored) into bytes; returns the count. */
static size_t
s_unhex (const char *hex, byte *out)
{
    size_t n = 0;
    int high = -1;
    for (; *hex; hex++) {
        if (*hex == ' ')
            continue;
        int digit = *hex <= '9' ? *hex - '0' : *hex - 'a' + 10;
        if (high < 0)
            high = digit;
        else {
            out[n++] = (byte) (high << 4 | digit);
            high = -1;
        }
    }
    return n;
}

static void
s_golden_bytes (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    TAP_OK (GOLDEN_COUNT == SPEC_COUNT, "golden bytes for each of the %zu commands", SPEC_COUNT);
    for (size_t g = 0; g < GOLDEN_COUNT; g++) {
        const spec_t *spec = NULL;
        for (size_t s = 0; s < SPEC_COUNT; s++)
            if (s_spec[s].command == s_golden[g].command)
                spec = &s_spec[s];
        layout_t layout;
        if (!spec || s_layout_of (spec, &layout) != 0) {
            TAP_OK (false, "command %d is in the document's tables", s_golden[g].command);
            continue;
        }
        byte golden[512], got[ZTASK_HEADER_MAX];
        size_t golden_size = s_unhex (s_golden[g].hex, golden);
        s_golden_fill (out, spec->command);
        zmsg_t *msg = ztask_msg_encode (out);
        size_t got_size = msg ? s_header (msg, got, sizeof got) : 0;
        TAP_OK (got_size == golden_size && memcmp (got, golden, golden_size) == 0,
                "%s: the codec writes the golden bytes (%zu)", spec->name, golden_size);
        bool body = s_bodies (&layout, out->flags);
        TAP_OK (msg && (int) zmsg_size (msg) == 1 + body
                    && (!body || (zframe_size (zmsg_last (msg)) == 2 && memcmp (zframe_data (zmsg_last (msg)), "hi", 2) == 0)),
                "  %s", body ? "and the body \"hi\" as a second frame" : "and no body");
        zmsg_destroy (&msg);

        /* Decoding the golden bytes gives the values back, and only the
           command's fields. */
        TAP_OK (s_decode (in, golden, golden_size, body) == 0 && in->command == spec->command,
                "  the golden bytes decode as %s", spec->name);
        bool same = true, clear = true;
        for (size_t i = 0; i < layout.count; i++)
            if (!s_field_equal (in, out, layout.field[i])) {
                printf ("#   field %s %s differs\n", layout.field[i]->name, layout.field[i]->type);
                same = false;
            }
        for (size_t m = 0; m < MEMBER_COUNT; m++)
            if (!s_layout_has (&layout, &s_members[m]) && !s_field_clear (in, &s_members[m]))
                clear = false;
        TAP_OK (same && clear, "  with the golden values in its fields, and nothing else");
    }
    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

static void
s_routing (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    const byte id[] = { 0, 0x6B, 0x8B, 0x45, 0x67 };

    s_fill (out, ZTASK_MSG_SUBMITTED);
    out->routing_id = zframe_new (id, sizeof id);
    zmsg_t *msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 2, "with a routing id, encode puts it first");
    TAP_OK (msg && zframe_size (zmsg_first (msg)) == sizeof id
                && memcmp (zframe_data (zmsg_first (msg)), id, sizeof id) == 0,
            "  byte for byte");
    TAP_OK (ztask_msg_decode (in, &msg, true) == 0, "decode with routing takes it off");
    TAP_OK (in->routing_id && zframe_eq (in->routing_id, out->routing_id), "  into routing_id");
    TAP_OK (in->command == ZTASK_MSG_SUBMITTED && in->task_id == out->task_id, "  and decodes the rest");

    s_fill (out, ZTASK_MSG_RESULT);
    out->routing_id = zframe_new (id, sizeof id);
    msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 3, "a routed RESULT is id, header, body");
    TAP_OK (ztask_msg_decode (in, &msg, true) == 0 && in->body && zframe_size (in->body) == sizeof s_body,
            "  and decodes with its body");
    zframe_destroy (&out->routing_id);

    /* Only a routing id, nothing else. */
    msg = zmsg_new ();
    zmsg_addmem (msg, id, sizeof id);
    TAP_OK (ztask_msg_decode (in, &msg, true) == -2, "a routing id alone is malformed");
    msg = zmsg_new ();
    TAP_OK (ztask_msg_decode (in, &msg, true) == -2, "an empty message with routing is malformed");

    /* Without routing, an identity frame in front is a wrong signature. */
    s_fill (out, ZTASK_MSG_STATS);
    out->routing_id = zframe_new (id, sizeof id);
    msg = ztask_msg_encode (out);
    TAP_OK (ztask_msg_decode (in, &msg, false) == -2, "a routed message decoded without routing is malformed");

    /* Routing, version mismatch: -3 and the routing id is kept for the answer. */
    const byte v2[] = { 'Z', 'T', 2, 4, 0, 0, 0, 1 };
    msg = zmsg_new ();
    zmsg_addmem (msg, id, sizeof id);
    zmsg_addmem (msg, v2, sizeof v2);
    TAP_OK (ztask_msg_decode (in, &msg, true) == -3, "another version with routing: -3");
    TAP_OK (in->routing_id && zframe_size (in->routing_id) == sizeof id, "  with routing_id set to answer");

    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

/* ztask_msg_send / ztask_msg_recv over a real DEALER -> ROUTER pair: the
   same messages and the same refusals as encode / decode. */
static void
s_sockets (void)
{
    zsock_t *router = zsock_new_router ("inproc://msg-test");
    zsock_t *dealer = zsock_new_dealer (">inproc://msg-test");
    assert (router && dealer);
    zsock_set_rcvtimeo (router, 2000);
    zsock_set_rcvtimeo (dealer, 2000);
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();

    s_fill (out, ZTASK_MSG_RESULT);
    TAP_OK (ztask_msg_send (out, dealer) == 0, "sockets: a RESULT is sent");
    TAP_OK (ztask_msg_recv (in, router, true) == 0 && in->command == ZTASK_MSG_RESULT
                && in->task_id == out->task_id && streq (in->error, out->error) && in->routing_id
                && in->body && zframe_size (in->body) == sizeof s_body
                && memcmp (zframe_data (in->body), s_body, sizeof s_body) == 0,
            "sockets: received on the ROUTER with its routing id and body");

    /* Back through the routing id it came with. */
    s_fill (out, ZTASK_MSG_TASK_INFO);
    out->flags |= ZTASK_FLAG_RESULT;
    out->routing_id = zframe_dup (in->routing_id);
    TAP_OK (ztask_msg_send (out, router) == 0, "sockets: a TASK_INFO with a result goes back by routing id");
    zframe_destroy (&out->routing_id);
    TAP_OK (ztask_msg_recv (in, dealer, false) == 0 && in->command == ZTASK_MSG_TASK_INFO
                && in->task_id == out->task_id && in->routing_id == NULL && in->body
                && zframe_size (in->body) == sizeof s_body,
            "sockets: and arrives whole on the DEALER");

    /* Three frames after the routing id, and a header alone where a body
       belongs: malformed, and the next message still decodes. */
    zstr_sendx (dealer, "ZT", "x", "y", NULL);
    TAP_OK (ztask_msg_recv (in, router, true) == -2 && in->routing_id, "sockets: 3 frames are malformed");
    s_fill (out, ZTASK_MSG_RESULT);
    byte header[ZTASK_HEADER_MAX];
    size_t size = ztask_msg_encode_header (out, header);
    zsock_send (dealer, "b", header, size);
    TAP_OK (ztask_msg_recv (in, router, true) == -2, "sockets: a RESULT without its body is malformed");
    s_fill (out, ZTASK_MSG_STATS);
    TAP_OK (ztask_msg_send (out, dealer) == 0 && ztask_msg_recv (in, router, true) == 0
                && in->command == ZTASK_MSG_STATS && in->body == NULL,
            "sockets: the next message decodes");

    zsock_set_rcvtimeo (router, 10);
    TAP_OK (ztask_msg_recv (in, router, true) == -1, "sockets: nothing waiting: -1");
    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

/* A SUBMIT header with type replaced by the given string bytes. */
static size_t
s_submit_with_type (byte *buffer, const char *type, size_t type_len, size_t claimed)
{
    size_t n = 0;
    memcpy (buffer, "ZT\x01\x01\x00\x00\x00\x01", 8);
    n = 8;
    buffer[n++] = (byte) claimed;
    memcpy (buffer + n, type, type_len);
    n += type_len;
    buffer[n++] = 5;                      /* priority     */
    memset (buffer + n, 0, 8);            /* timeout, max */
    n += 8;
    buffer[n++] = 0;                      /* key ""       */
    return n;
}

static void
s_malformed (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    byte header[65536 + 16];

    zmsg_t *msg = zmsg_new ();
    TAP_OK (ztask_msg_decode (in, &msg, false) == -2 && msg == NULL, "an empty message is malformed");
    msg = NULL;
    TAP_OK (ztask_msg_decode (in, &msg, false) == -2, "no message at all is malformed");
    TAP_OK (s_decode (in, "", 0, 0) == -2, "an empty header frame is malformed");

    TAP_OK (s_decode (in, "ZX\x01\x04\x00\x00\x00\x01", 8, 0) == -2, "a wrong signature is malformed");
    TAP_OK (s_decode (in, "zt\x01\x04\x00\x00\x00\x01", 8, 0) == -2, "  (it is case-sensitive)");
    TAP_OK (s_decode (in, "ZT\x01\x04\x00\x00\x00\x01", 8, 0) == 0, "  the same with ZT decodes");

    const int unknown[] = { 0, 8, 19, 27, 39, 46, 59, 64, 255 };
    bool all = true;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        byte h[] = { 'Z', 'T', 1, (byte) unknown[i], 0, 0, 0, 1 };
        for (int bodies = 0; bodies <= 1; bodies++)
            if (s_decode (in, h, sizeof h, bodies) != -2) {
                printf ("#   command %d accepted\n", unknown[i]);
                all = false;
            }
    }
    TAP_OK (all, "unknown commands are malformed");

    /* Every command, truncated at every length, and with a byte too many. */
    for (size_t s = 0; s < SPEC_COUNT; s++) {
        const spec_t *spec = &s_spec[s];
        s_fill (out, spec->command);
        zmsg_t *full = ztask_msg_encode (out);
        size_t n = s_header (full, header, sizeof header);
        zmsg_destroy (&full);
        layout_t layout;
        s_layout_of (spec, &layout);
        int bodies = s_bodies (&layout, out->flags);
        TAP_OK (s_decode (in, header, n, bodies) == 0, "%s: the full header decodes", spec->name);
        bool refused = true;
        for (size_t len = 0; len < n; len++)
            if (!s_older_header (out, len, n) /* an older peer's: see s_layout */
                && s_decode (in, header, len, bodies) != -2) {
                printf ("#   %zu of %zu bytes accepted\n", len, n);
                refused = false;
            }
        TAP_OK (refused, "  truncated at each of %zu lengths: malformed", n);
        header[n] = 0;
        TAP_OK (s_decode (in, header, n + 1, bodies) == -2, "  with a trailing byte: malformed");
        TAP_OK (in->command == 0, "  (command cleared after a malformed decode)");
        if (layout.body == 1) {
            TAP_OK (s_decode (in, header, n, 0) == -2, "  without its body: malformed");
            TAP_OK (s_decode (in, header, n, 2) == -2, "  with two bodies (3 frames): malformed");
        }
        else if (layout.body == 0) {
            TAP_OK (s_decode (in, header, n, 1) == -2, "  with a body: malformed");
            TAP_OK (s_decode (in, header, n, 2) == -2, "  with 3 frames: malformed");
        }
    }

    /* TASK_INFO: the body follows flags & 1. */
    s_fill (out, ZTASK_MSG_TASK_INFO);
    out->flags = 0;
    zmsg_t *full = ztask_msg_encode (out);
    size_t n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 1) == -2, "TASK_INFO without the result flag but with a body: malformed");
    out->flags = ZTASK_FLAG_RESULT;
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 0) == -2, "TASK_INFO with the result flag but no body: malformed");
    TAP_OK (s_decode (in, header, n, 2) == -2, "TASK_INFO with two bodies: malformed");

    /* Strings. */
    n = s_submit_with_type (header, "echo", 4, 4);
    TAP_OK (s_decode (in, header, n, 1) == 0 && streq (in->type, "echo"), "a hand-built SUBMIT decodes");
    n = s_submit_with_type (header, "echo", 4, 200);
    TAP_OK (s_decode (in, header, n, 1) == -2, "a string length past the end: malformed");
    n = s_submit_with_type (header, "echo", 4, 3);
    TAP_OK (s_decode (in, header, n, 1) == -2, "a string length short of the string: malformed");
    n = s_submit_with_type (header, "ec\0o", 4, 4);
    TAP_OK (s_decode (in, header, n, 1) == -2, "an embedded NUL in a string: malformed");
    n = s_submit_with_type (header, "echo\0", 5, 5);
    TAP_OK (s_decode (in, header, n, 1) == -2, "a trailing NUL in a string: malformed");

    static const struct {
        const char *bytes;
        const char *what;
        bool valid;
    } utf8[] = {
        { "\xC3\xBC", "2-byte U+00FC", true },
        { "\xE2\x82\xAC", "3-byte U+20AC", true },
        { "\xF0\x9F\x98\x80", "4-byte U+1F600", true },
        { "\xED\x9F\xBF", "U+D7FF, below the surrogates", true },
        { "\xEE\x80\x80", "U+E000, above the surrogates", true },
        { "\xEF\xBF\xBF", "U+FFFF", true },
        { "\xF4\x8F\xBF\xBF", "U+10FFFF, the last code point", true },
        { "\xC0\xAF", "overlong 2-byte '/'", false },
        { "\xC1\xBF", "overlong 2-byte U+007F", false },
        { "\xE0\x80\xAF", "overlong 3-byte '/'", false },
        { "\xE0\x9F\xBF", "overlong 3-byte U+07FF", false },
        { "\xF0\x80\x80\xAF", "overlong 4-byte '/'", false },
        { "\xF0\x8F\xBF\xBF", "overlong 4-byte U+FFFF", false },
        { "\xC0\x80", "overlong NUL", false },
        { "\xED\xA0\x80", "surrogate U+D800", false },
        { "\xED\xBF\xBF", "surrogate U+DFFF", false },
        { "\xF4\x90\x80\x80", "past U+10FFFF", false },
        { "\xC3\x28", "bad continuation byte", false },
        { "\xE2\x28\xA1", "bad second byte of three", false },
        { "\xE2\x82\x28", "bad third byte of three", false },
        { "\xF0\x9F\x98\x28", "bad fourth byte of four", false },
        { "\x80", "a lone continuation byte", false },
        { "a\xE2\x82", "a sequence cut by the string's end", false },
        { "\xC3", "a lone lead byte", false },
        { "\xF8\x88\x80\x80\x80", "a 5-byte form", false },
        { "\xFE", "byte 0xFE", false },
        { "\xFF", "byte 0xFF", false },
    };
    for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
        size_t len = strlen (utf8[i].bytes);
        n = s_submit_with_type (header, utf8[i].bytes, len, len);
        int rc = s_decode (in, header, n, 1);
        if (utf8[i].valid)
            TAP_OK (rc == 0 && streq (in->type, utf8[i].bytes), "UTF-8 %s: accepted", utf8[i].what);
        else
            TAP_OK (rc == -2, "UTF-8 %s: malformed", utf8[i].what);
    }

    /* Plugins. A REGISTER with name "w", host "", instance "", and an
       empty running list (its last two bytes), as an older worker sends
       it (without labels and resources: s_register_old). */
    ztask_msg_reset (out, ZTASK_MSG_REGISTER);
    strcpy (out->name, "w");
    out->slots = 1;
    out->priorities = 1;
    out->plugin_count = ZTASK_PLUGINS_MAX;
    for (size_t i = 0; i < out->plugin_count; i++)
        strcpy (out->plugins[i].name, "p");
    n = s_register_old (out, header);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->plugin_count == ZTASK_PLUGINS_MAX,
            "%d plugins decode", ZTASK_PLUGINS_MAX);
    size_t count_at = 4 + 2 + 1 + 1 + 2 + 2;
    TAP_OK (header[count_at] == ZTASK_PLUGINS_MAX && header[n - 2] == 0 && header[n - 1] == 0,
            "  (the plugin count is where expected, the empty running list last)");
    /* One more plugin, written by hand: count 65 and a 65th entry before
       the running list. */
    header[count_at] = ZTASK_PLUGINS_MAX + 1;
    memcpy (header + n - 2, "\x01p\x00\x00\x00", 5);
    TAP_OK (s_decode (in, header, n + 3, 0) == -2, "%d plugins: malformed", ZTASK_PLUGINS_MAX + 1);
    memcpy (header + n - 2, "\x00\x00", 2);
    header[count_at] = 255;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a plugin count of 255: malformed");
    header[count_at] = ZTASK_PLUGINS_MAX;
    TAP_OK (s_decode (in, header, n, 0) == 0, "  (restored, it decodes again)");
    header[n - 5] = 0xFF; /* the last plugin's name "p" becomes invalid UTF-8 */
    TAP_OK (s_decode (in, header, n, 0) == -2, "a plugin name that is not UTF-8: malformed");

    /* The instance string: checked like every string. */
    strcpy (out->instance, "u");
    n = s_register_old (out, header);
    size_t instance_at = 4 + 2 + 1;
    TAP_OK (header[instance_at] == 1 && header[instance_at + 1] == 'u' && s_decode (in, header, n, 0) == 0
                && streq (in->instance, "u"),
            "the instance follows the host");
    header[instance_at + 1] = 0x80;
    TAP_OK (s_decode (in, header, n, 0) == -2, "an instance that is not UTF-8: malformed");
    header[instance_at + 1] = 0;
    TAP_OK (s_decode (in, header, n, 0) == -2, "an instance with a NUL: malformed");

    /* Running tasks: up to 1024 entries of task_id u64, attempt u32. */
    out->instance[0] = 0;
    out->plugin_count = 1;
    out->running_count = ZTASK_RUNNING_MAX;
    for (size_t i = 0; i < out->running_count; i++) {
        out->running[i].task_id = i + 1;
        out->running[i].attempt = 1;
    }
    n = s_register_old (out, header);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->running_count == ZTASK_RUNNING_MAX
                && in->running[ZTASK_RUNNING_MAX - 1].task_id == ZTASK_RUNNING_MAX,
            "%d running tasks decode", ZTASK_RUNNING_MAX);
    size_t running_at = n - 12 * ZTASK_RUNNING_MAX - 2;
    TAP_OK (header[running_at] == ZTASK_RUNNING_MAX >> 8 && header[running_at + 1] == (ZTASK_RUNNING_MAX & 0xFF),
            "  (the running count is where expected, a u16)");
    /* 1025: the count and one more entry, written by hand. */
    header[running_at + 1] = (ZTASK_RUNNING_MAX + 1) & 0xFF;
    memcpy (header + n, "\x00\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x01", 12);
    TAP_OK (s_decode (in, header, n + 12, 0) == -2, "%d running tasks: malformed", ZTASK_RUNNING_MAX + 1);
    header[running_at] = 0xFF;
    header[running_at + 1] = 0xFF;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a running count of 65535: malformed");
    header[running_at] = ZTASK_RUNNING_MAX >> 8;
    header[running_at + 1] = ZTASK_RUNNING_MAX & 0xFF;
    TAP_OK (s_decode (in, header, n, 0) == 0, "  (restored, it decodes again)");
    /* Two running tasks, cut inside the second entry. */
    out->running_count = 2;
    n = s_register_old (out, header);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->running_count == 2, "2 running tasks decode");
    TAP_OK (s_decode (in, header, n - 4, 0) == -2, "  without the last attempt: malformed");
    TAP_OK (s_decode (in, header, n - 1, 0) == -2, "  cut one byte short: malformed");
    TAP_OK (s_decode (in, header, n - 12, 0) == -2, "  with the count 2 but one entry: malformed");
    memcpy (header + n, "\x00\x00\x00\x01", 4);
    TAP_OK (s_decode (in, header, n + 4, 0) == -2, "  with 4 bytes after the last entry: malformed");
    header[n - 25] = 1; /* the count says 1: one entry too many follows */
    TAP_OK (s_decode (in, header, n, 0) == -2, "  with the count 1 but two entries: malformed");
    header[n - 25] = 0;
    TAP_OK (s_decode (in, header, n - 24, 0) == 0 && in->running_count == 0,
            "  with the count 0 and the entries cut off: decodes, nothing running");

    /* Labels: up to 64 of key and value strings; resources: up to 16 of
       a name string and a u64. */
    ztask_msg_reset (out, ZTASK_MSG_REGISTER);
    strcpy (out->name, "w");
    out->slots = 1;
    out->priorities = 1;
    out->plugin_count = 1;
    strcpy (out->plugins[0].name, "p");
    out->label_count = ZTASK_LABELS_MAX;
    for (size_t i = 0; i < out->label_count; i++) {
        strcpy (out->labels[i].key, "k");
        strcpy (out->labels[i].value, "v");
    }
    out->resource_count = ZTASK_RESOURCES_MAX;
    for (size_t i = 0; i < out->resource_count; i++) {
        strcpy (out->resources[i].name, "r");
        out->resources[i].amount = i;
    }
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->label_count == ZTASK_LABELS_MAX
                && in->resource_count == ZTASK_RESOURCES_MAX && in->resources[15].amount == 15,
            "%d labels and %d resources decode", ZTASK_LABELS_MAX, ZTASK_RESOURCES_MAX);
    size_t resources_at = n - 10 * ZTASK_RESOURCES_MAX - 1, labels_at = resources_at - 4 * ZTASK_LABELS_MAX - 1;
    TAP_OK (header[labels_at] == ZTASK_LABELS_MAX && header[resources_at] == ZTASK_RESOURCES_MAX,
            "  (the counts are where expected, u8 each, after running)");
    header[labels_at] = ZTASK_LABELS_MAX + 1;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a label count of %d: malformed", ZTASK_LABELS_MAX + 1);
    header[labels_at] = 255;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a label count of 255: malformed");
    header[labels_at] = ZTASK_LABELS_MAX;
    header[resources_at] = ZTASK_RESOURCES_MAX + 1;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a resource count of %d: malformed", ZTASK_RESOURCES_MAX + 1);
    header[resources_at] = ZTASK_RESOURCES_MAX;
    TAP_OK (s_decode (in, header, n, 0) == 0, "  (restored, it decodes again)");
    header[labels_at + 4] = 0x80; /* the first value "v" */
    TAP_OK (s_decode (in, header, n, 0) == -2, "a label value that is not UTF-8: malformed");
    header[labels_at + 4] = 'v';
    header[labels_at + 2] = 0; /* the first key "k" */
    TAP_OK (s_decode (in, header, n, 0) == -2, "a label key with a NUL: malformed");
    header[labels_at + 2] = 'k';
    TAP_OK (s_decode (in, header, labels_at, 0) == 0 && in->label_count == 0 && in->resource_count == 0,
            "cut where the labels begin (an older worker): decodes, none");
    TAP_OK (s_decode (in, header, labels_at + 1, 0) == -2, "cut after the label count: malformed");
    TAP_OK (s_decode (in, header, resources_at, 0) == -2, "labels without the resources: malformed");
    TAP_OK (s_decode (in, header, n - 1, 0) == -2, "cut inside the last amount: malformed");

    /* Versions. */
    TAP_OK (s_decode (in, "ZT\x02\x04\x00\x00\x00\x01", 8, 0) == -3, "version 2: -3");
    TAP_OK (s_decode (in, "ZT\x00\x04\x00\x00\x00\x01", 8, 0) == -3, "version 0: -3");
    TAP_OK (s_decode (in, "ZT\xFF\xEE", 4, 1) == -3, "another version is not parsed further: -3");
    TAP_OK (s_decode (in, "ZX\x02\x04", 4, 0) == -2, "a wrong signature with another version: malformed");

    /* The message object is reusable after all that. */
    s_fill (out, ZTASK_MSG_PROGRESS);
    msg = ztask_msg_encode (out);
    TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && in->progress_done == UINT64_MAX,
            "a good message decodes after malformed ones");

    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

static void
s_strcpy (void)
{
    char field[ZTASK_STRING_MAX + 1];
    char src[600];

    ztask_msg_strcpy (field, "short");
    TAP_OK (streq (field, "short"), "strcpy copies a short string");
    /* A plugin's error in Latin-1 ("café: échec"): still a sendable string. */
    ztask_msg_strcpy (field, "caf\xE9: \xE9" "chec \xE2\x82\xAC \xC3");
    TAP_OK (streq (field, "caf?: ?chec \xE2\x82\xAC ?"), "strcpy turns bytes that are not UTF-8 into '?', keeping the rest");
    ztask_msg_t *scrubbed = ztask_msg_new ();
    ztask_msg_reset (scrubbed, ZTASK_MSG_ERROR);
    ztask_msg_strcpy (scrubbed->text, "\xFF\xFE bad \xC0\x80");
    byte header[ZTASK_HEADER_MAX];
    size_t size = ztask_msg_encode_header (scrubbed, header);
    ztask_msg_t *decoded = ztask_msg_new ();
    TAP_OK (size > 0 && ztask_msg_decode_header (decoded, header, size) == 0 && streq (decoded->text, "?? bad ??"),
            "  and a peer decodes it");
    ztask_msg_destroy (&scrubbed);
    ztask_msg_destroy (&decoded);
    memset (field, 'x', sizeof field);
    ztask_msg_strcpy (field, NULL);
    TAP_OK (field[0] == 0, "strcpy of NULL gives \"\"");

    memset (src, 'a', ZTASK_STRING_MAX);
    src[ZTASK_STRING_MAX] = 0;
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == ZTASK_STRING_MAX, "a string of exactly %d bytes is kept whole", ZTASK_STRING_MAX);

    memset (src, 'a', 500);
    src[500] = 0;
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == ZTASK_STRING_MAX, "a 500-byte ASCII string is cut to %d", ZTASK_STRING_MAX);

    /* 254 ASCII + a 3-byte character straddling byte 255: cut before it. */
    memset (src, 'a', 254);
    strcpy (src + 254, "\xE2\x82\xAC" "tail");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 254 && field[253] == 'a', "a 3-byte character across the limit is left out whole");

    /* 253 ASCII + € ends exactly at 256 bytes: still too long, cut to 253. */
    memset (src, 'a', 253);
    strcpy (src + 253, "\xE2\x82\xAC");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 253, "a character that would end at byte 256 is left out");

    /* 252 ASCII + €: exactly 255 bytes, kept. */
    memset (src, 'a', 252);
    strcpy (src + 252, "\xE2\x82\xAC");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 255 && streq (field + 252, "\xE2\x82\xAC"),
            "a character ending at byte 255 is kept");

    /* Only 4-byte characters: 63 of them fit (252 bytes). */
    src[0] = 0;
    for (int i = 0; i < 100; i++)
        strcat (src, "\xF0\x9F\x98\x80");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 252, "4-byte characters are cut at a character boundary (252 bytes)");

    /* What strcpy cuts still encodes and decodes as valid UTF-8. */
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    ztask_msg_reset (out, ZTASK_MSG_ERROR);
    ztask_msg_strcpy (out->text, src);
    zmsg_t *msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && streq (in->text, out->text),
            "  and the cut string round trips");
    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

static void
s_names (void)
{
    TAP_OK (streq (ztask_msg_command_name (ZTASK_MSG_TASK_INFO), "TASK_INFO"), "command names");
    TAP_OK (streq (ztask_msg_command_name (99), "UNKNOWN"), "  UNKNOWN for others");
    TAP_OK (streq (ztask_msg_error_name (ZTASK_ERR_QUEUE_FULL), "queue full"), "error names");
    TAP_OK (streq (ztask_msg_error_name (ZTASK_ERR_TOO_LARGE), "too large"), "  too large");
    TAP_OK (streq (ztask_msg_error_name (ZTASK_ERR_NOT_FOUND), "not found"), "  not found");
    TAP_OK (streq (ztask_msg_error_name (999), "unknown error"), "  unknown error for others");
}

/* A TASK_INFO as the task libztask, its progress reports and ztaskd's
   HTTP API see (ztask_task_view.h): each field where it belongs. */
static void
s_task_view (void)
{
    ztask_msg_t *m = ztask_msg_new ();
    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    m->task_id = 42;
    m->priority = 7;
    m->state = ZTASK_STATE_BLOCKED;
    m->attempt = 2;
    m->max_attempts = 3;
    m->progress_done = 5;
    m->progress_total = 10;
    m->created_ms = 1000;
    m->started_ms = 2000;
    m->finished_ms = 3000;
    m->due_ms = 4000;
    m->next_attempt_ms = 5000;
    m->after_any = 1;
    strcpy (m->type, "resize");
    strcpy (m->text, "half way");
    strcpy (m->worker, "w-1");
    strcpy (m->error, "timed out");
    strcpy (m->version, ">=1.2");
    strcpy (m->needs, "gpu=1");
    strcpy (m->limit_name, "stripe");
    strcpy (m->waiting, "limit");
    strcpy (m->waiting_text, "limit stripe is full");
    m->require_count = 2;
    strcpy (m->require[0], "zone=eu-1");
    strcpy (m->require[1], "cores>=8");
    m->parent_count = 2;
    m->parents[0] = (ztask_msg_parent_t) { 7, ZTASK_STATE_RUNNING };
    m->parents[1] = (ztask_msg_parent_t) { 8, ZTASK_PARENT_ENDED };
    ztask_task_view_t view;
    const ztask_task_t *t = ztask_task_view (&view, m);
    TAP_OK (t->id == 42 && t->priority == 7 && t->state == ZTASK_STATE_BLOCKED && t->attempts == 2
                && t->max_attempts == 3 && t->progress_done == 5 && t->progress_total == 10,
            "task view: id, priority, state, attempts and progress");
    TAP_OK (t->created_ms == 1000 && t->started_ms == 2000 && t->finished_ms == 3000 && t->due_ms == 4000
                && t->next_attempt_ms == 5000,
            "  its times (due_ms, next_attempt_ms too)");
    TAP_OK (streq (t->type, "resize") && streq (t->progress_text, "half way") && streq (t->worker, "w-1")
                && streq (t->error, "timed out") && streq (t->version, ">=1.2") && streq (t->needs, "gpu=1")
                && streq (t->limit, "stripe") && streq (t->waiting, "limit")
                && streq (t->waiting_text, "limit stripe is full"),
            "  its strings");
    TAP_OK (t->require_count == 2 && streq (t->require[0], "zone=eu-1") && streq (t->require[1], "cores>=8")
                && t->require[2] == NULL,
            "  its requirements, NULL-ended");
    TAP_OK (t->parent_count == 2 && t->parents[0] == 7 && t->parent_states[0] == ZTASK_STATE_RUNNING
                && t->parents[1] == 8 && t->parent_states[1] == -1 && t->after_any == 1,
            "  its parents, an ended one as -1, and after_any");
    TAP_OK (t->retry_min_ms == ZTASK_RETRY_DEFAULT_MIN_MS && t->retry_max_ms == ZTASK_RETRY_DEFAULT_MAX_MS,
            "  no retry policy in the message: the default one");
    TAP_OK (t->result_size == 0 && t->result && streq ((const char *) t->result, ""), "  no result (it is the body)");
    m->retry_min_ms = 1000;
    m->retry_max_ms = 60000;
    m->parent_count = 0;
    m->require_count = 0;
    t = ztask_task_view (&view, m);
    TAP_OK (t->retry_min_ms == 1000 && t->retry_max_ms == 60000, "  a retry policy in the message: that one");
    TAP_OK (t->parents == NULL && t->parent_states == NULL && t->parent_count == 0 && t->require_count == 0
                && t->require && t->require[0] == NULL,
            "  no parents: NULL; no requirements: an empty list");
    ztask_msg_destroy (&m);
}

/* A BATCH's body: tasks appended, read back in order; every cut, a
   header that is not a SUBMIT and sizes past the end are malformed. */
static void
s_batch_bodies (void)
{
    ztask_msg_t *m = ztask_msg_new (), *in = ztask_msg_new ();
    zchunk_t *body = zchunk_new (NULL, 64);
    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    strcpy (m->type, "resize");
    TAP_OK (ztask_msg_batch_append (m, "a.jpg", 5, body) == 0, "batch: a task appended");
    strcpy (m->type, "report");
    m->priority = 9;
    TAP_OK (ztask_msg_batch_append (m, "", 0, body) == 0, "  and one with an empty payload");
    ztask_msg_reset (m, ZTASK_MSG_STATUS);
    TAP_OK (ztask_msg_batch_append (m, "", 0, body) == -1, "  a STATUS is not a task of a batch");
    const byte *data = zchunk_data (body), *payload;
    size_t size = zchunk_size (body), at = 0, payload_size;
    TAP_OK (ztask_msg_batch_next (in, data, size, &at, &payload, &payload_size) == 1 && streq (in->type, "resize")
                && payload_size == 5 && memcmp (payload, "a.jpg", 5) == 0,
            "  the first reads back with its payload");
    TAP_OK (ztask_msg_batch_next (in, data, size, &at, &payload, &payload_size) == 1 && streq (in->type, "report")
                && in->priority == 9 && payload_size == 0,
            "  the second too");
    TAP_OK (ztask_msg_batch_next (in, data, size, &at, &payload, &payload_size) == 0 && at == size,
            "  then the end");
    bool cut = true;
    for (size_t len = 1; len < size; len++) {
        size_t pos = 0;
        int rc;
        while ((rc = ztask_msg_batch_next (in, data, len, &pos, &payload, &payload_size)) == 1)
            ;
        bool boundary = len == 4 + 4 + (size_t) data[3] + 5; /* the first task whole */
        if (boundary ? rc != 0 : rc != -2)
            cut = false;
    }
    TAP_OK (cut, "  cut anywhere but between tasks: malformed");
    byte huge[] = { 0xFF, 0xFF, 0xFF, 0xFF, 'Z', 'T' };
    size_t pos = 0;
    TAP_OK (ztask_msg_batch_next (in, huge, sizeof huge, &pos, &payload, &payload_size) == -2,
            "  a header size past the end: malformed");
    zchunk_t *status = zchunk_new (NULL, 64);
    ztask_msg_reset (m, ZTASK_MSG_STATUS);
    m->task_id = 1;
    byte header[ZTASK_HEADER_MAX];
    size_t n = ztask_msg_encode_header (m, header);
    byte length[4] = { 0, 0, 0, (byte) n };
    zchunk_extend (status, length, 4);
    zchunk_extend (status, header, n);
    zchunk_extend (status, "\0\0\0\0", 4);
    pos = 0;
    TAP_OK (ztask_msg_batch_next (in, zchunk_data (status), zchunk_size (status), &pos, &payload, &payload_size) == -2,
            "  a STATUS header inside: malformed");
    zchunk_destroy (&status);
    zchunk_destroy (&body);
    ztask_msg_destroy (&m);
    ztask_msg_destroy (&in);
}

int
main (void)
{
    /* The longest string field: 255 bytes, multi-byte characters included. */
    memset (s_long_text, 'n', ZTASK_TEXT_MAX);
    memcpy (s_long_text + 10, "\xF0\x9F\x98\x80", 4);
    s_long_text[ZTASK_TEXT_MAX] = 0;
    memset (s_long, 'k', ZTASK_STRING_MAX);
    memcpy (s_long, "\xE2\x82\xAC", 3);
    memcpy (s_long + ZTASK_STRING_MAX - 4, "\xF0\x9F\x98\x80", 4);
    s_long[ZTASK_STRING_MAX] = 0;

    s_round_trips ();
    s_layout ();
    s_golden_bytes ();
    s_routing ();
    s_sockets ();
    s_malformed ();
    s_strcpy ();
    s_names ();
    s_task_view ();
    s_batch_bodies ();
    return tap_done ();
}
