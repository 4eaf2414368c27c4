/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  cli_output - tables, JSON and the progress line of the ztask command. */
#if HAVE_CONFIG_H
#include <config.h>
#endif
#include "cli_output.h"
#include "common/task_json.h"
#include "common/ztask_utf8.h"
#include "common/ztask_retry.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* ---- text from the wire ---- */

char *
cli_output_clean (const void *data, size_t length, bool lines, char *buffer, size_t size)
{
    assert (size > 0);
    const char *in = (const char *) data;
    size_t at = 0, used = 0;
    while (at < length) {
        uint32_t cp;
        size_t n = ztask_utf8_next (in + at, length - at, &cp);
        bool keep = n > 0 && (!ztask_utf8_is_control (cp) || (lines && (cp == '\n' || cp == '\t')));
        size_t out = keep ? n : 1;
        if (used + out >= size)
            break;
        if (keep)
            memcpy (buffer + used, in + at, n);
        else
            buffer[used] = '?';
        used += out;
        at += n ? n : 1; /* a byte that is not UTF-8: one '?' each */
    }
    buffer[used] = 0;
    return buffer;
}

const char *
cli_output_text (const char *text, char *buffer, size_t size)
{
    return cli_output_clean (text ? text : "", text ? strlen (text) : 0, false, buffer, size);
}

/* ---- JSON ---- */

json_t *
cli_output_task_json (const ztask_task_t *task, bool with_result)
{
    return ztask_task_json (task, with_result); /* shared with ztaskd's HTTP API (src/common/task_json.c) */
}

int
cli_output_json (FILE *out, const json_t *json)
{
    char *text = json_dumps (json, JSON_INDENT (2));
    if (!text)
        return -1;
    /* jansson writes non-ASCII as UTF-8, which can only be inside strings:
       a DEL byte, or C2 80-9F (U+0080-U+009F), is a control in a string. */
    int rc = 0;
    const char *run = text, *s = text;
    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char) *s, next = (unsigned char) s[1];
        if (c != 0x7F && !(c == 0xC2 && next >= 0x80 && next <= 0x9F))
            continue;
        if (fwrite (run, 1, (size_t) (s - run), out) != (size_t) (s - run)
            || fprintf (out, "\\u%04X", c == 0x7F ? c : next) < 0)
            rc = -1;
        if (c == 0xC2)
            s++;
        run = s + 1;
    }
    if (rc == 0 && (fwrite (run, 1, (size_t) (s - run), out) != (size_t) (s - run) || fputc ('\n', out) == EOF))
        rc = -1;
    free (text);
    return rc;
}

/* ---- tasks ---- */

/* "2024-05-01 12:00:00.123" in local time; "-" for 0. */
static void
s_time (int64_t ms, char *buffer, size_t size)
{
    if (ms <= 0) {
        snprintf (buffer, size, "-");
        return;
    }
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    char text[32];
    if (!localtime_r (&seconds, &tm) || !strftime (text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm)) {
        snprintf (buffer, size, "%" PRId64 " ms", ms);
        return;
    }
    snprintf (buffer, size, "%s.%03d", text, (int) (ms % 1000));
}

/* "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
static void
s_duration (int64_t ms, char *buffer, size_t size)
{
    if (ms < 1000)
        snprintf (buffer, size, "%" PRId64 " ms", ms);
    else if (ms < 60000)
        snprintf (buffer, size, "%.1f s", (double) ms / 1000);
    else if (ms < 3600000)
        snprintf (buffer, size, "%" PRId64 " min %02" PRId64 " s", ms / 60000, ms / 1000 % 60);
    else
        snprintf (buffer, size, "%" PRId64 " h %02" PRId64 " min", ms / 3600000, ms / 60000 % 60);
}

/* done of total in percent, 0-100 (done * 100 could overflow). */
static unsigned
s_percent (uint64_t done, uint64_t total)
{
    if (done >= total)
        return 100;
    return (unsigned) ((double) done * 100 / (double) total);
}

/* "50% (250/500) sleeping", "250 (sleeping)", "" when nothing reported. */
static void
s_progress (uint64_t done, uint64_t total, const char *text, char *buffer, size_t size)
{
    if (total > 0) {
        unsigned percent = s_percent (done, total);
        snprintf (buffer, size, "%u%% (%" PRIu64 "/%" PRIu64 ")%s%s", percent, done, total,
                  text && *text ? " " : "", text ? text : "");
    }
    else if (done > 0)
        snprintf (buffer, size, "%" PRIu64 "%s%s", done, text && *text ? " " : "", text ? text : "");
    else
        snprintf (buffer, size, "%s", text ? text : "");
}

static const char *
s_priority_name (int priority)
{
    switch (priority) {
    case ZTASK_PRIORITY_LOW: return " (low)";
    case ZTASK_PRIORITY_NORMAL: return " (normal)";
    case ZTASK_PRIORITY_HIGH: return " (high)";
    default: return "";
    }
}

void
cli_output_task (FILE *out, const ztask_task_t *task)
{
    char created[48], started[48], finished[48], took[32], progress[400], text[1024];
    fprintf (out, "task %" PRIu64 ": %s\n", task->id, ztask_state_name (task->state));
    fprintf (out, "  type        %s\n", cli_output_text (task->type, text, sizeof text));
    fprintf (out, "  priority    %d%s\n", task->priority, s_priority_name (task->priority));
    fprintf (out, "  attempts    %u of %u\n", task->attempts, task->max_attempts);
    /* What it asks of its worker (docs/routing.md). */
    for (size_t i = 0; task->require && i < task->require_count; i++)
        fprintf (out, "  %s%s\n", i ? "            " : "requires    ",
                 cli_output_text (task->require[i], text, sizeof text));
    if (task->version && task->version[0]) {
        char type[300];
        fprintf (out, "  version     %s%s\n", cli_output_text (task->type, type, sizeof type),
                 cli_output_text (task->version, text, sizeof text));
    }
    if (task->needs && task->needs[0])
        fprintf (out, "  needs       %s\n", cli_output_text (task->needs, text, sizeof text));
    if (task->limit && task->limit[0])
        fprintf (out, "  limit       %s\n", cli_output_text (task->limit, text, sizeof text));
    if (task->parent_count && task->parents) {
        /* Its parents with their states; a blocked task waits for those
           not ended yet. */
        fprintf (out, "  after       %s", task->after_any ? "any end of " : "");
        size_t waiting = 0;
        for (size_t i = 0; i < task->parent_count; i++) {
            int state = task->parent_states ? task->parent_states[i] : -1;
            fprintf (out, "%s%" PRIu64 " (%s)", i ? ", " : "", task->parents[i],
                     state < 0 ? "ended" : ztask_state_name ((ztask_state_t) state));
            if (state >= 0 && state != ZTASK_STATE_DONE && state != ZTASK_STATE_FAILED
                && state != ZTASK_STATE_CANCELLED)
                waiting++;
        }
        fprintf (out, "\n");
        if (task->state == ZTASK_STATE_BLOCKED) {
            fprintf (out, "  waits for  ");
            for (size_t i = 0; i < task->parent_count; i++) {
                int state = task->parent_states ? task->parent_states[i] : -1;
                if (state >= 0 && state != ZTASK_STATE_DONE && state != ZTASK_STATE_FAILED
                    && state != ZTASK_STATE_CANCELLED)
                    fprintf (out, " %" PRIu64, task->parents[i]);
            }
            fprintf (out, " (%zu of %zu)\n", waiting, task->parent_count);
        }
    }
    if (task->worker[0])
        fprintf (out, "  worker      %s\n", cli_output_text (task->worker, text, sizeof text));
    s_progress (task->progress_done, task->progress_total, cli_output_text (task->progress_text, text, sizeof text),
                progress, sizeof progress);
    if (progress[0] && task->state == ZTASK_STATE_RUNNING)
        fprintf (out, "  progress    %s\n", progress);
    s_time (task->created_ms, created, sizeof created);
    fprintf (out, "  created     %s\n", created);
    if (task->due_ms > 0) {
        char due[48];
        s_time (task->due_ms, due, sizeof due);
        fprintf (out, "  %s      %s\n", task->state == ZTASK_STATE_SCHEDULED ? "due at" : "was due", due);
    }
    if (task->retry_min_ms) {
        char policy[64];
        ztask_retry_format (task->retry_min_ms, task->retry_max_ms, policy, sizeof policy);
        fprintf (out, "  retry       %s (exponential, with jitter)\n", policy);
    }
    if (task->next_attempt_ms > 0) {
        char next[48], in[32];
        struct timespec now;
        clock_gettime (CLOCK_REALTIME, &now);
        int64_t ahead = task->next_attempt_ms - ((int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000);
        s_time (task->next_attempt_ms, next, sizeof next);
        s_duration (ahead > 0 ? ahead : 0, in, sizeof in);
        fprintf (out, "  next try    %s (in %s, after a failed attempt)\n", next, in);
    }
    if (task->started_ms > 0) {
        s_time (task->started_ms, started, sizeof started);
        fprintf (out, "  started     %s\n", started);
    }
    if (task->finished_ms > 0) {
        s_time (task->finished_ms, finished, sizeof finished);
        if (task->started_ms > 0 && task->finished_ms >= task->started_ms) {
            s_duration (task->finished_ms - task->started_ms, took, sizeof took);
            fprintf (out, "  finished    %s (ran %s)\n", finished, took);
        }
        else
            fprintf (out, "  finished    %s\n", finished);
    }
    if (task->error[0])
        fprintf (out, "  error       %s\n", cli_output_text (task->error, text, sizeof text));
    if (task->state == ZTASK_STATE_DONE)
        fprintf (out, "  result      see 'ztask result %" PRIu64 "'\n", task->id);
    if (task->state == ZTASK_STATE_QUEUED && task->waiting_text && task->waiting_text[0])
        fprintf (out, "  waiting     %s\n", cli_output_text (task->waiting_text, text, sizeof text));
}

int
cli_output_result (FILE *out, const ztask_task_t *task)
{
    const char *bytes = (const char *) task->result;
    size_t size = task->result_size;
    char *clean = NULL;
    bool terminal = isatty (fileno (out));
    if (terminal && size) {
        clean = (char *) malloc (size + 1);
        if (!clean)
            return -1;
        bytes = cli_output_clean (task->result, size, true, clean, size + 1);
        size = strlen (clean);
    }
    int rc = size && fwrite (bytes, 1, size, out) != size ? -1 : 0;
    if (rc == 0 && terminal && (size == 0 || bytes[size - 1] != '\n'))
        fputc ('\n', out);
    free (clean);
    return rc == 0 && fflush (out) == 0 ? 0 : -1;
}

/* ---- tables ---- */

#define TABLE_COLUMNS_MAX 8
#define CELL_MAX 1024  /* a cell made from a protocol string (255 bytes)     */

/* Rows of text cells printed in aligned columns; a row may carry detail
   lines printed under it. */
typedef struct {
    size_t columns;
    const char *align;    /* per column: 'l' left or 'r' right          */
    char **cells;         /* rows x columns, owned                      */
    char **details;       /* per row: lines under it, or NULL; owned    */
    size_t rows;
    size_t capacity;
} table_t;

static void
s_table_init (table_t *self, const char *align)
{
    memset (self, 0, sizeof *self);
    self->align = align;
    self->columns = strlen (align);
    assert (self->columns <= TABLE_COLUMNS_MAX);
}

/* Adds a row of self->columns cells (copied) and its detail lines (or NULL). */
static void
s_table_add (table_t *self, const char **cells, const char *details)
{
    if (self->rows == self->capacity) {
        self->capacity = self->capacity ? 2 * self->capacity : 16;
        self->cells = (char **) realloc (self->cells, self->capacity * self->columns * sizeof (char *));
        self->details = (char **) realloc (self->details, self->capacity * sizeof (char *));
        assert (self->cells && self->details);
    }
    for (size_t c = 0; c < self->columns; c++) {
        self->cells[self->rows * self->columns + c] = strdup (cells[c] ? cells[c] : "");
        assert (self->cells[self->rows * self->columns + c]);
    }
    self->details[self->rows] = details && *details ? strdup (details) : NULL;
    self->rows++;
}

/* Columns a UTF-8 string takes, counting each character as one. */
static size_t
s_width (const char *text)
{
    size_t width = 0;
    for (const unsigned char *s = (const unsigned char *) text; *s; s++)
        if ((*s & 0xC0) != 0x80)
            width++;
    return width;
}

static void
s_table_print (table_t *self, FILE *out)
{
    size_t widths[TABLE_COLUMNS_MAX] = { 0 };
    for (size_t r = 0; r < self->rows; r++)
        for (size_t c = 0; c < self->columns; c++) {
            size_t w = s_width (self->cells[r * self->columns + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t r = 0; r < self->rows; r++) {
        /* The last non-empty cell ends the line: no trailing blanks. */
        size_t last = self->columns;
        while (last > 1 && !self->cells[r * self->columns + last - 1][0])
            last--;
        for (size_t c = 0; c < last; c++) {
            const char *cell = self->cells[r * self->columns + c];
            size_t pad = widths[c] - s_width (cell);
            if (c > 0)
                fputs ("  ", out);
            if (self->align[c] == 'r')
                fprintf (out, "%*s%s", (int) pad, "", cell);
            else if (c + 1 < last)
                fprintf (out, "%s%*s", cell, (int) pad, "");
            else
                fputs (cell, out);
        }
        fputc ('\n', out);
        if (self->details[r])
            fputs (self->details[r], out);
    }
}

static void
s_table_free (table_t *self)
{
    for (size_t i = 0; i < self->rows * self->columns; i++)
        free (self->cells[i]);
    for (size_t r = 0; r < self->rows; r++)
        free (self->details[r]);
    free (self->cells);
    free (self->details);
    memset (self, 0, sizeof *self);
}

/* ---- stats and workers ---- */

/* The integer at key, or 0 if it is missing or not an integer. */
static json_int_t
s_int (const json_t *object, const char *key)
{
    return json_integer_value (json_object_get (object, key));
}

/* The string at key, cleaned into buffer; "?" if it is missing. */
static const char *
s_text (const json_t *object, const char *key, char *buffer, size_t size)
{
    const char *text = json_string_value (json_object_get (object, key));
    return cli_output_text (text ? text : "?", buffer, size);
}

/* The "broker" object of the stats (a broker of an active/standby pair,
   or a single one), when there is one: "broker:   b1 (leader, term 7) at
   tcp://10.0.0.1:5570". Each part shows only when the object has it. */
static void
s_stats_broker (FILE *out, const json_t *broker)
{
    if (!json_is_object (broker))
        return;
    const char *name = json_string_value (json_object_get (broker, "name"));
    const char *role = json_string_value (json_object_get (broker, "role"));
    const char *endpoint = json_string_value (json_object_get (broker, "endpoint"));
    const json_t *term = json_object_get (broker, "term");
    char name_text[CELL_MAX], role_text[CELL_MAX], endpoint_text[CELL_MAX];
    fputs ("broker:  ", out);
    if (name && *name)
        fprintf (out, " %s", cli_output_text (name, name_text, sizeof name_text));
    if (role && *role) {
        fprintf (out, " (%s", cli_output_text (role, role_text, sizeof role_text));
        if (json_is_integer (term))
            fprintf (out, ", term %" JSON_INTEGER_FORMAT, json_integer_value (term));
        fputc (')', out);
    }
    if (endpoint && *endpoint)
        fprintf (out, " at %s", cli_output_text (endpoint, endpoint_text, sizeof endpoint_text));
    fputc ('\n', out);
}

int
cli_output_stats (FILE *out, const json_t *stats)
{
    const json_t *types = json_object_get (stats, "types");
    if (!json_is_object (stats) || !json_is_array (types))
        return -1;
    s_stats_broker (out, json_object_get (stats, "broker"));
    fprintf (out,
             "tasks:    %" JSON_INTEGER_FORMAT " queued, %" JSON_INTEGER_FORMAT " running, "
             "%" JSON_INTEGER_FORMAT " done, %" JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT " scheduled\n",
             s_int (stats, "queued"), s_int (stats, "running"), s_int (stats, "done"), s_int (stats, "failed"),
             s_int (stats, "scheduled"));
    fprintf (out,
             "workers:  %" JSON_INTEGER_FORMAT " connected, %" JSON_INTEGER_FORMAT " slots "
             "(%" JSON_INTEGER_FORMAT " free)\n",
             s_int (stats, "workers"), s_int (stats, "slots"), s_int (stats, "slots_free"));
    if (s_int (stats, "malformed") > 0)
        fprintf (out, "dropped:  %" JSON_INTEGER_FORMAT " malformed messages\n", s_int (stats, "malformed"));
    const json_t *limits = json_object_get (stats, "limits");
    if (json_array_size (limits) > 0) {
        fprintf (out, "limits:  ");
        size_t i;
        const json_t *limit;
        json_array_foreach (limits, i, limit) {
            char name[CELL_MAX];
            fprintf (out, "%s %s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " running%s", i ? "," : "",
                     s_text (limit, "name", name, sizeof name), s_int (limit, "running"), s_int (limit, "max"),
                     s_int (limit, "running") >= s_int (limit, "max") ? " (full)" : "");
        }
        fputc ('\n', out);
    }
    if (json_array_size (types) == 0) {
        fprintf (out, "\nno tasks submitted yet\n");
        return 0;
    }
    fputc ('\n', out);
    table_t table;
    s_table_init (&table, "lrlrrrl");
    const char *header[] = { "TYPE", "WORKERS", "QUEUED (priority:count)", "RUNNING", "DONE", "FAILED", "" };
    s_table_add (&table, header, NULL);
    size_t index;
    const json_t *type;
    json_array_foreach (types, index, type) {
        char workers[24], queued[256] = "", running[24], done[24], failed[24];
        size_t at = 0;
        const json_t *levels = json_object_get (type, "queued");
        /* Highest priority first: the order the broker serves them in. */
        for (size_t level = json_array_size (levels); level-- > 0;) {
            json_int_t count = json_integer_value (json_array_get (levels, level));
            if (count > 0 && at < sizeof queued)
                at += (size_t) snprintf (queued + at, sizeof queued - at, "%s%zu:%" JSON_INTEGER_FORMAT,
                                         at ? " " : "", level, count);
        }
        if (!queued[0])
            snprintf (queued, sizeof queued, "-");
        snprintf (workers, sizeof workers, "%" JSON_INTEGER_FORMAT, s_int (type, "workers"));
        snprintf (running, sizeof running, "%" JSON_INTEGER_FORMAT, s_int (type, "running"));
        snprintf (done, sizeof done, "%" JSON_INTEGER_FORMAT, s_int (type, "done"));
        snprintf (failed, sizeof failed, "%" JSON_INTEGER_FORMAT, s_int (type, "failed"));
        const char *note = json_is_true (json_object_get (type, "paused"))
                               ? "paused: not dispatched until 'ztask resume'"
                           : json_is_true (json_object_get (type, "waiting_for_plugin"))
                               ? "waiting for a plugin: no connected worker has it"
                               : "";
        char name[CELL_MAX];
        const char *row[] = { s_text (type, "type", name, sizeof name), workers, queued, running, done, failed,
                              note };
        s_table_add (&table, row, NULL);
    }
    s_table_print (&table, out);
    s_table_free (&table);
    return 0;
}

void
cli_output_levels (const json_t *levels, char *buffer, size_t size)
{
    size_t at = 0, count = json_array_size (levels);
    buffer[0] = 0;
    for (size_t i = 0; i < count && at < size;) {
        json_int_t first = json_integer_value (json_array_get (levels, i));
        size_t k = i;
        while (k + 1 < count && json_integer_value (json_array_get (levels, k + 1))
                                    == json_integer_value (json_array_get (levels, k)) + 1)
            k++;
        json_int_t last = json_integer_value (json_array_get (levels, k));
        const char *comma = at ? "," : "";
        if (k == i)
            at += (size_t) snprintf (buffer + at, size - at, "%s%" JSON_INTEGER_FORMAT, comma, first);
        else
            at += (size_t) snprintf (buffer + at, size - at, "%s%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
                                     comma, first, last);
        i = k + 1;
    }
    if (!buffer[0])
        snprintf (buffer, size, "-");
}

/* A worker's labels on one line, "    labels: os=linux zone=eu-1", but
   host (its own column); nothing without labels. */
static void
s_worker_labels (FILE *out, const json_t *labels, const char *host)
{
    const char *key;
    const json_t *value;
    bool any = false;
    json_object_foreach ((json_t *) labels, key, value) {
        const char *text = json_string_value (value);
        if (!text || (strcmp (key, "host") == 0 && strcmp (text, host) == 0))
            continue;
        char key_text[CELL_MAX], value_text[CELL_MAX];
        fprintf (out, "%s%s=%s", any ? " " : "    labels: ", cli_output_text (key, key_text, sizeof key_text),
                 cli_output_text (text, value_text, sizeof value_text));
        any = true;
    }
    if (any)
        fputc ('\n', out);
}

/* A worker's resources, used/total, "    resources: slots 1/2, gpu 0/2";
   nothing when slots (in BUSY/SLOTS already) are all it has. */
static void
s_worker_resources (FILE *out, const json_t *resources)
{
    if (json_object_size (resources) == 0
        || (json_object_size (resources) == 1 && json_object_get (resources, "slots")))
        return;
    const char *name;
    const json_t *resource;
    bool any = false;
    json_object_foreach ((json_t *) resources, name, resource) {
        char name_text[CELL_MAX];
        fprintf (out, "%s%s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, any ? ", " : "    resources: ",
                 cli_output_text (name, name_text, sizeof name_text), s_int (resource, "used"),
                 s_int (resource, "total"));
        any = true;
    }
    fputc ('\n', out);
}

/* The detail lines of a worker: its labels, its resources and its running
   tasks; NULL when there are none. */
static char *
s_worker_details (const json_t *worker, const char *host)
{
    const json_t *tasks = json_object_get (worker, "tasks");
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    if (json_is_object (json_object_get (worker, "labels")))
        s_worker_labels (out, json_object_get (worker, "labels"), host);
    if (json_is_object (json_object_get (worker, "resources")))
        s_worker_resources (out, json_object_get (worker, "resources"));
    size_t index;
    const json_t *task;
    json_array_foreach (tasks, index, task) {
        char progress[400], said[CELL_MAX], type[CELL_MAX];
        s_text (task, "progress_text", said, sizeof said);
        s_progress ((uint64_t) s_int (task, "progress_done"), (uint64_t) s_int (task, "progress_total"),
                    json_is_string (json_object_get (task, "progress_text")) ? said : "", progress, sizeof progress);
        fprintf (out, "    task %" JSON_INTEGER_FORMAT "  %s  priority %" JSON_INTEGER_FORMAT "  %s\n",
                 s_int (task, "id"), s_text (task, "type", type, sizeof type), s_int (task, "priority"),
                 progress[0] ? progress : "started");
    }
    fclose (out);
    return text;
}

int
cli_output_workers (FILE *out, const json_t *workers)
{
    const json_t *list = json_object_get (workers, "workers");
    if (!json_is_object (workers) || !json_is_array (list))
        return -1;
    /* Which broker answered matters only with standbys beside it. */
    const json_t *broker = json_object_get (workers, "broker");
    const char *role = json_string_value (json_object_get (broker, "role"));
    if (role && strcmp (role, "single") != 0)
        s_stats_broker (out, broker);
    if (json_array_size (list) == 0) {
        fprintf (out, "no workers connected\n");
        return 0;
    }
    table_t table;
    s_table_init (&table, "llrll");
    const char *header[] = { "NAME", "HOST", "BUSY/SLOTS", "PRIORITIES", "PLUGINS" };
    s_table_add (&table, header, NULL);
    size_t index;
    const json_t *worker;
    json_array_foreach (list, index, worker) {
        char slots[48], levels[64], plugins[1024] = "", name[CELL_MAX], host[CELL_MAX];
        snprintf (slots, sizeof slots, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, s_int (worker, "busy"),
                  s_int (worker, "slots"));
        cli_output_levels (json_object_get (worker, "priorities"), levels, sizeof levels);
        size_t at = 0, i;
        const json_t *plugin;
        json_array_foreach (json_object_get (worker, "plugins"), i, plugin) {
            char plugin_name[CELL_MAX], version[CELL_MAX];
            if (at < sizeof plugins)
                at += (size_t) snprintf (plugins + at, sizeof plugins - at, "%s%s@%s", at ? " " : "",
                                         s_text (plugin, "name", plugin_name, sizeof plugin_name),
                                         s_text (plugin, "version", version, sizeof version));
        }
        const char *host_name = json_string_value (json_object_get (worker, "host"));
        char *details = s_worker_details (worker, host_name ? host_name : "");
        const char *row[] = { s_text (worker, "name", name, sizeof name), s_text (worker, "host", host, sizeof host),
                              slots, levels, plugins };
        s_table_add (&table, row, details);
        free (details);
    }
    s_table_print (&table, out);
    s_table_free (&table);
    return 0;
}

/* ---- schedules ---- */

int
cli_output_schedules (FILE *out, const json_t *list)
{
    const json_t *schedules = json_object_get (list, "schedules");
    if (!json_is_object (list) || !json_is_array (schedules))
        return -1;
    if (json_array_size (schedules) == 0) {
        fprintf (out, "no schedules\n");
        return 0;
    }
    table_t table;
    s_table_init (&table, "llllll");
    const char *header[] = { "NAME", "CRON", "TZ", "TYPE", "NEXT (UTC)", "STATE" };
    s_table_add (&table, header, NULL);
    size_t index;
    const json_t *schedule;
    json_array_foreach (schedules, index, schedule) {
        if (!json_is_object (schedule)) {
            s_table_free (&table);
            return -1;
        }
        char name[CELL_MAX], cron[CELL_MAX], tz[CELL_MAX], type[CELL_MAX], next[CELL_MAX], state[64];
        const char *next_fire = json_string_value (json_object_get (schedule, "next_fire"));
        cli_output_text (next_fire ? next_fire : "-", next, sizeof next);
        const char *source = json_string_value (json_object_get (schedule, "source"));
        snprintf (state, sizeof state, "%s%s", json_is_true (json_object_get (schedule, "paused")) ? "paused" : "active",
                  source && strcmp (source, "config") == 0 ? " (config)" : "");
        const char *row[] = { s_text (schedule, "name", name, sizeof name), s_text (schedule, "cron", cron, sizeof cron),
                              s_text (schedule, "tz", tz, sizeof tz), s_text (schedule, "type", type, sizeof type),
                              next, state };
        s_table_add (&table, row, NULL);
    }
    s_table_print (&table, out);
    s_table_free (&table);
    return 0;
}

int
cli_output_schedule (FILE *out, const json_t *schedule)
{
    if (!json_is_object (schedule) || !json_is_string (json_object_get (schedule, "name")))
        return -1;
    char text[CELL_MAX];
    fprintf (out, "name:      %s\n", s_text (schedule, "name", text, sizeof text));
    fprintf (out, "cron:      %s", s_text (schedule, "cron", text, sizeof text));
    fprintf (out, " (%s)\n", s_text (schedule, "cron_canonical", text, sizeof text));
    fprintf (out, "tz:        %s\n", s_text (schedule, "tz", text, sizeof text));
    fprintf (out, "type:      %s", s_text (schedule, "type", text, sizeof text));
    fprintf (out, ", priority %" JSON_INTEGER_FORMAT ", payload %" JSON_INTEGER_FORMAT " bytes\n",
             s_int (schedule, "priority"), s_int (schedule, "payload_size"));
    fprintf (out, "catchup:   %s\n", s_text (schedule, "catchup", text, sizeof text));
    fprintf (out, "state:     %s", json_is_true (json_object_get (schedule, "paused")) ? "paused" : "active");
    const char *source = json_string_value (json_object_get (schedule, "source"));
    fprintf (out, " (from the %s)\n", source && strcmp (source, "config") == 0 ? "broker's config" : "command line");
    const char *last = json_string_value (json_object_get (schedule, "last_fire"));
    fprintf (out, "last fire: %s\n", last ? cli_output_text (last, text, sizeof text) : "never");
    const json_t *next = json_object_get (schedule, "next");
    size_t index;
    const json_t *fire;
    if (json_is_array (next)) {
        fprintf (out, "next fires:%s\n", json_array_size (next) ? "" : " none");
        json_array_foreach (next, index, fire) {
            char utc[CELL_MAX], local[CELL_MAX], abbreviation[CELL_MAX];
            fprintf (out, "  %s", s_text (fire, "local", local, sizeof local));
            fprintf (out, " %s", s_text (fire, "abbreviation", abbreviation, sizeof abbreviation));
            fprintf (out, "  = %s\n", s_text (fire, "utc", utc, sizeof utc));
        }
    }
    return 0;
}

/* ---- task lists ---- */

int
cli_output_list (FILE *out, const json_t *list, const char *state)
{
    const json_t *tasks = json_object_get (list, "tasks");
    if (!json_is_object (list) || !json_is_array (tasks))
        return -1;
    size_t index;
    const json_t *task;
    json_array_foreach (tasks, index, task) {
        if (!json_is_object (task))
            return -1;
    }
    if (json_array_size (tasks) == 0) {
        fprintf (out, "no %s%stasks\n", state ? state : "", state ? " " : "");
        return 0;
    }
    table_t table;
    s_table_init (&table, "rlrlrll");
    const char *header[] = { "ID", "TYPE", "PRIORITY", "STATE", "ATTEMPTS", "WORKER", "ERROR" };
    s_table_add (&table, header, NULL);
    json_array_foreach (tasks, index, task) {
        char id[24], priority[24], attempts[24];
        char type[CELL_MAX], worker[CELL_MAX], error[CELL_MAX], state_name[CELL_MAX];
        snprintf (id, sizeof id, "%" JSON_INTEGER_FORMAT, s_int (task, "id"));
        snprintf (priority, sizeof priority, "%" JSON_INTEGER_FORMAT, s_int (task, "priority"));
        snprintf (attempts, sizeof attempts, "%" JSON_INTEGER_FORMAT, s_int (task, "attempts"));
        s_text (task, "type", type, sizeof type);
        const char *name = json_string_value (json_object_get (task, "worker"));
        cli_output_text (name && *name ? name : "-", worker, sizeof worker);
        cli_output_text (json_string_value (json_object_get (task, "error")), error, sizeof error);
        const char *row[] = { id, type, priority, s_text (task, "state", state_name, sizeof state_name), attempts,
                              worker, error };
        s_table_add (&table, row, NULL);
    }
    s_table_print (&table, out);
    s_table_free (&table);
    return 0;
}

/* ---- history ---- */

int
cli_output_history (FILE *out, const json_t *doc)
{
    const json_t *history = json_object_get (doc, "history");
    if (!json_is_array (history))
        return -1;
    table_t table;
    s_table_init (&table, "llrll");
    const char *header[] = { "AT", "EVENT", "ATTEMPT", "WORKER", "TEXT" };
    s_table_add (&table, header, NULL);
    size_t index;
    const json_t *entry;
    json_array_foreach (history, index, entry) {
        char at[64], event[CELL_MAX], attempt[24], worker[CELL_MAX], text[CELL_MAX];
        int64_t ms = (int64_t) s_int (entry, "at_ms");
        s_time (ms, at, sizeof at);
        snprintf (attempt, sizeof attempt, "%" JSON_INTEGER_FORMAT, s_int (entry, "attempt"));
        const char *name = json_string_value (json_object_get (entry, "worker"));
        cli_output_text (name && *name ? name : "-", worker, sizeof worker);
        const char *row[] = { at, s_text (entry, "event", event, sizeof event), attempt, worker,
                              s_text (entry, "text", text, sizeof text) };
        s_table_add (&table, row, NULL);
    }
    fprintf (out, "history:\n");
    s_table_print (&table, out);
    s_table_free (&table);
    return 0;
}

/* ---- the progress line ---- */

#define BAR_CELLS 10

void
cli_progress_init (cli_progress_t *self, FILE *out)
{
    self->out = out;
    self->shown = 0;
}

/* Columns of the terminal, 80 if unknown. */
static size_t
s_columns (FILE *out)
{
    struct winsize size;
    if (ioctl (fileno (out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return 80;
}

void
cli_progress_show (cli_progress_t *self, const ztask_task_t *task)
{
    char line[512], text[256];
    cli_output_text (task->progress_text, text, sizeof text); /* the plugin's text may hold anything */
    if (task->progress_total > 0) {
        unsigned percent = s_percent (task->progress_done, task->progress_total);
        unsigned cells = percent * BAR_CELLS / 100;
        char bar[BAR_CELLS + 1];
        for (unsigned i = 0; i < BAR_CELLS; i++)
            bar[i] = i < cells ? '#' : ' ';
        bar[BAR_CELLS] = 0;
        snprintf (line, sizeof line, "[%s] %3u%% %s (%" PRIu64 "/%" PRIu64 ")", bar, percent, text,
                  task->progress_done, task->progress_total);
    }
    else if (task->progress_done > 0)
        snprintf (line, sizeof line, "[ running  ] %s (%" PRIu64 ")", text, task->progress_done);
    else
        snprintf (line, sizeof line, "[ running  ] %s", text);
    /* Fit the terminal, cutting at a character boundary. */
    size_t limit = s_columns (self->out) - 1, width = 0, at = 0;
    for (; line[at]; at++) {
        if (((unsigned char) line[at] & 0xC0) != 0x80 && width++ == limit)
            break;
    }
    line[at] = 0;
    width = s_width (line);
    fprintf (self->out, "\r%s", line);
    if (width < self->shown)
        fprintf (self->out, "%*s\r%s", (int) (self->shown - width), "", line);
    fflush (self->out);
    self->shown = width;
}

void
cli_progress_clear (cli_progress_t *self)
{
    if (self->shown) {
        fprintf (self->out, "\r%*s\r", (int) self->shown, "");
        fflush (self->out);
        self->shown = 0;
    }
}
