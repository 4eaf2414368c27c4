/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  metrics - the broker's Prometheus metrics. See metrics.h. */
#include "metrics.h"
#include "ztask/client.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct metrics {
    zhashx_t *index;             /* type name -> slot + 1 in data.types      */
    metrics_data_t data;
};

/* Upper bounds of each histogram's buckets, seconds; 0 ends the list. */
static const double s_wait_bounds[METRICS_HIST_MAX + 1]
    = { 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 0 };
static const double s_run_bounds[METRICS_HIST_MAX + 1]
    = { 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 0 };
static const double s_commit_bounds[METRICS_HIST_MAX + 1]
    = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 0 };

metrics_t *
metrics_new (void)
{
    metrics_t *self = (metrics_t *) zmalloc (sizeof (metrics_t));
    assert (self);
    self->index = zhashx_new ();
    assert (self->index);
    self->data.version = METRICS_DATA_VERSION;
    self->data.size = sizeof (metrics_data_t);
    for (int l = 0; l < METRICS_LEVELS; l++)
        self->data.oldest_queued_ms[l] = -1;
    snprintf (self->data.types[METRICS_TYPES_MAX].name, sizeof self->data.types[0].name, "%s",
              METRICS_OTHER_TYPE);
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    assert (self_p);
    metrics_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->index);
        free (self);
        *self_p = NULL;
    }
}

metrics_data_t *
metrics_data (metrics_t *self)
{
    return &self->data;
}

/* The record of type name: its own, or "_other" once the table is full. */
static metrics_type_t *
s_type (metrics_t *self, const char *name)
{
    uintptr_t slot = (uintptr_t) zhashx_lookup (self->index, name);
    if (slot)
        return &self->data.types[slot - 1];
    if (self->data.type_count >= METRICS_TYPES_MAX) {
        self->data.types[METRICS_TYPES_MAX].used = true;
        return &self->data.types[METRICS_TYPES_MAX];
    }
    metrics_type_t *type = &self->data.types[self->data.type_count++];
    snprintf (type->name, sizeof type->name, "%s", name);
    type->used = true;
    zhashx_insert (self->index, name, (void *) (uintptr_t) self->data.type_count);
    return type;
}

static int
s_level (int priority)
{
    return priority < 0 ? 0 : priority >= METRICS_LEVELS ? METRICS_LEVELS - 1 : priority;
}

static void
s_observe (metrics_hist_t *hist, const double *bounds, double seconds)
{
    int b = 0;
    while (bounds[b] > 0 && seconds > bounds[b])
        b++;
    hist->counts[b]++;
    hist->count++;
    hist->sum += seconds;
}

/* The series bucket for now_ms, emptied when it held an older 10 s. */
static metrics_bucket_t *
s_bucket (metrics_t *self, int64_t now_ms)
{
    int64_t start = now_ms - now_ms % METRICS_BUCKET_MS;
    metrics_bucket_t *bucket = &self->data.series[(start / METRICS_BUCKET_MS) % METRICS_SERIES_BUCKETS];
    if (bucket->t_ms != start) {
        memset (bucket, 0, sizeof *bucket);
        bucket->t_ms = start;
    }
    return bucket;
}

void
metrics_submitted (metrics_t *self, const char *type, int priority, int64_t now_ms)
{
    s_type (self, type)->submitted[s_level (priority)]++;
    s_bucket (self, now_ms)->submitted++;
}

void
metrics_started (metrics_t *self, const char *type, int priority, int64_t wait_ms, int64_t now_ms)
{
    int level = s_level (priority);
    s_type (self, type)->started[level]++;
    if (wait_ms < 0)
        return;
    s_observe (&self->data.wait[level], s_wait_bounds, (double) wait_ms / 1000);
    metrics_bucket_t *bucket = s_bucket (self, now_ms);
    bucket->waits++;
    bucket->wait_ms_sum += (double) wait_ms;
    if ((double) wait_ms > bucket->wait_ms_max)
        bucket->wait_ms_max = (double) wait_ms;
}

void
metrics_ended (metrics_t *self, const char *type, int priority, int state, int64_t run_ms, int64_t now_ms)
{
    metrics_type_t *record = s_type (self, type);
    int level = s_level (priority);
    if (state == ZTASK_STATE_DONE) {
        record->done[level]++;
        s_bucket (self, now_ms)->done++;
    }
    else if (state == ZTASK_STATE_FAILED) {
        record->failed[level]++;
        s_bucket (self, now_ms)->failed++;
    }
    else
        record->cancelled[level]++;
    if (run_ms >= 0)
        s_observe (&record->run, s_run_bounds, (double) run_ms / 1000);
}

void
metrics_retried (metrics_t *self, const char *type, int priority)
{
    s_type (self, type)->retried[s_level (priority)]++;
}

void
metrics_commit (metrics_t *self, int64_t usecs)
{
    s_observe (&self->data.commit, s_commit_bounds, (double) usecs / 1e6);
}

void
metrics_gauges_reset (metrics_t *self)
{
    metrics_data_t *d = &self->data;
    for (size_t i = 0; i <= METRICS_TYPES_MAX; i++) {
        memset (d->types[i].queued, 0, sizeof d->types[i].queued);
        d->types[i].running = 0;
        d->types[i].waiting_for_plugin = false;
    }
    for (int l = 0; l < METRICS_LEVELS; l++)
        d->oldest_queued_ms[l] = -1;
}

void
metrics_gauges_type (metrics_t *self, const char *type, const size_t *queued, size_t running,
                     bool waiting_for_plugin, const int64_t *head_created_ms, int64_t now_ms)
{
    bool any = running > 0;
    for (int l = 0; l < METRICS_LEVELS && !any; l++)
        any = queued[l] > 0;
    if (!any && !zhashx_lookup (self->index, type))
        return; /* a type only workers have: no record spent on it */
    metrics_type_t *record = s_type (self, type);
    for (int l = 0; l < METRICS_LEVELS; l++) {
        record->queued[l] += queued[l];
        if (head_created_ms[l] > 0) {
            int64_t age = now_ms - head_created_ms[l];
            if (age < 0)
                age = 0;
            if (age > self->data.oldest_queued_ms[l])
                self->data.oldest_queued_ms[l] = age;
        }
    }
    record->running += running;
    record->waiting_for_plugin |= waiting_for_plugin;
}

/* ---- rendering (the HTTP thread) ---- */

static void
s_printf (zchunk_t *out, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_printf (zchunk_t *out, const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start (args, format);
    int size = vsnprintf (line, sizeof line, format, args);
    va_end (args);
    if (size > 0)
        zchunk_extend (out, line, (size_t) size < sizeof line ? (size_t) size : sizeof line - 1);
}

/* A label value escaped as the text format wants (\\, \", \n). */
static void
s_escape (const char *value, char *escaped, size_t size)
{
    size_t at = 0;
    for (; *value && at + 3 < size; value++) {
        if (*value == '\\' || *value == '"') {
            escaped[at++] = '\\';
            escaped[at++] = *value;
        }
        else if (*value == '\n') {
            escaped[at++] = '\\';
            escaped[at++] = 'n';
        }
        else
            escaped[at++] = *value;
    }
    escaped[at] = 0;
}

static void
s_head (zchunk_t *out, const char *name, const char *type, const char *help)
{
    s_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A histogram's series, labels ("" or 'x="y"') included in each. */
static void
s_histogram (zchunk_t *out, const char *name, const char *labels, const metrics_hist_t *hist, const double *bounds)
{
    uint64_t cumulative = 0;
    const char *comma = *labels ? "," : "";
    for (int b = 0; bounds[b] > 0; b++) {
        cumulative += hist->counts[b];
        s_printf (out, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, comma, bounds[b], cumulative);
    }
    s_printf (out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, comma, hist->count);
    if (*labels) {
        s_printf (out, "%s_sum{%s} %.9g\n", name, labels, hist->sum);
        s_printf (out, "%s_count{%s} %" PRIu64 "\n", name, labels, hist->count);
    }
    else {
        s_printf (out, "%s_sum %.9g\n", name, hist->sum);
        s_printf (out, "%s_count %" PRIu64 "\n", name, hist->count);
    }
}

/* The used type records, in order, "_other" last when used. */
static const metrics_type_t *
s_type_at (const metrics_data_t *d, size_t i)
{
    if (i < d->type_count && i < METRICS_TYPES_MAX)
        return &d->types[i];
    if (i == (d->type_count < METRICS_TYPES_MAX ? d->type_count : METRICS_TYPES_MAX)
        && d->types[METRICS_TYPES_MAX].used)
        return &d->types[METRICS_TYPES_MAX];
    return NULL;
}

/* A per-(type, priority) counter; a pair that never counted anything is
   left out (every counter of a pair that did is shown). */
static void
s_type_counter (zchunk_t *out, const metrics_data_t *d, const char *name, const char *help, size_t offset)
{
    s_head (out, name, "counter", help);
    const metrics_type_t *t;
    for (size_t i = 0; (t = s_type_at (d, i)); i++) {
        char type[2 * METRICS_TYPE_NAME_MAX + 2];
        s_escape (t->name, type, sizeof type);
        for (int l = 0; l < METRICS_LEVELS; l++) {
            if (!t->submitted[l] && !t->started[l] && !t->done[l] && !t->failed[l] && !t->retried[l]
                && !t->cancelled[l])
                continue;
            const uint64_t *values = (const uint64_t *) ((const char *) t + offset);
            s_printf (out, "%s{type=\"%s\",priority=\"%d\"} %" PRIu64 "\n", name, type, l, values[l]);
        }
    }
}

/* Process metrics from /proc (Linux); left out where unreadable. */
static void
s_process (zchunk_t *out)
{
    long ticks = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
    char buffer[1024];
    FILE *file = fopen ("/proc/self/stat", "r");
    size_t size = file ? fread (buffer, 1, sizeof buffer - 1, file) : 0;
    if (file)
        fclose (file);
    buffer[size] = 0;
    const char *after = strrchr (buffer, ')'); /* the command name may hold anything */
    unsigned long utime = 0, stime = 0, vsize = 0;
    unsigned long long start = 0;
    long rss = 0;
    if (after && ticks > 0
        && sscanf (after + 2,
                   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
                   &utime, &stime, &start, &vsize, &rss)
               == 5) {
        s_head (out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        s_printf (out, "process_cpu_seconds_total %.2f\n", (double) (utime + stime) / (double) ticks);
        s_head (out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        s_printf (out, "process_resident_memory_bytes %ld\n", rss * page);
        s_head (out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        s_printf (out, "process_virtual_memory_bytes %lu\n", vsize);
        file = fopen ("/proc/stat", "r");
        unsigned long long boot = 0;
        char line[256];
        while (file && fgets (line, sizeof line, file))
            if (sscanf (line, "btime %llu", &boot) == 1)
                break;
        if (file)
            fclose (file);
        if (boot) {
            s_head (out, "process_start_time_seconds", "gauge",
                    "Start time of the process since unix epoch in seconds.");
            s_printf (out, "process_start_time_seconds %.2f\n", (double) boot + (double) start / (double) ticks);
        }
    }
    DIR *dir = opendir ("/proc/self/fd");
    if (dir) {
        long fds = -1; /* opendir's own */
        while (readdir (dir))
            fds++;
        closedir (dir);
        s_head (out, "process_open_fds", "gauge", "Number of open file descriptors.");
        s_printf (out, "process_open_fds %ld\n", fds - 2 > 0 ? fds - 2 : 0); /* . and .. */
    }
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
        s_head (out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        s_printf (out, "process_max_fds %llu\n", (unsigned long long) limit.rlim_cur);
    }
}

void
metrics_render (const metrics_data_t *d, const char *store_file, zchunk_t *out)
{
    char name[2 * sizeof d->name], role[2 * sizeof d->role], backend[2 * sizeof d->backend];
    s_escape (d->name, name, sizeof name);
    s_escape (d->role, role, sizeof role);
    s_escape (d->backend, backend, sizeof backend);
    s_head (out, "ztask_broker_info", "gauge", "The broker: its name, role and store backend (always 1).");
    s_printf (out, "ztask_broker_info{name=\"%s\",role=\"%s\",backend=\"%s\"} 1\n", name, role, backend);
    s_head (out, "ztask_broker_leader", "gauge", "1 when this broker serves (leads, or is a single broker).");
    s_printf (out, "ztask_broker_leader %d\n", d->leading ? 1 : 0);
    s_head (out, "ztask_store_available", "gauge", "1 when the broker's store is reachable.");
    s_printf (out, "ztask_store_available %d\n", d->store_available ? 1 : 0);

    s_type_counter (out, d, "ztask_tasks_submitted_total", "Tasks accepted.",
                    offsetof (metrics_type_t, submitted));
    s_type_counter (out, d, "ztask_tasks_started_total", "Attempts started on a worker.",
                    offsetof (metrics_type_t, started));
    s_type_counter (out, d, "ztask_tasks_done_total", "Tasks ended done.", offsetof (metrics_type_t, done));
    s_type_counter (out, d, "ztask_tasks_failed_total", "Tasks ended failed.", offsetof (metrics_type_t, failed));
    s_type_counter (out, d, "ztask_tasks_retried_total", "Attempts that failed and were requeued for another.",
                    offsetof (metrics_type_t, retried));
    s_type_counter (out, d, "ztask_tasks_cancelled_total", "Tasks ended cancelled.",
                    offsetof (metrics_type_t, cancelled));

    s_head (out, "ztask_tasks_refused_total", "counter", "Requests refused with an error, by reason.");
    s_printf (out, "ztask_tasks_refused_total{reason=\"too_large\"} %" PRIu64 "\n", d->refused_too_large);
    s_printf (out, "ztask_tasks_refused_total{reason=\"queue_full\"} %" PRIu64 "\n", d->refused_queue_full);
    s_printf (out, "ztask_tasks_refused_total{reason=\"role\"} %" PRIu64 "\n", d->refused_role);
    s_printf (out, "ztask_tasks_refused_total{reason=\"version\"} %" PRIu64 "\n", d->refused_version);
    s_printf (out, "ztask_tasks_refused_total{reason=\"not_registered\"} %" PRIu64 "\n",
              d->refused_not_registered);
    s_head (out, "ztask_metrics_snapshot_seconds", "gauge",
            "Broker time the previous metrics snapshot took (gauges and the copy).");
    s_printf (out, "ztask_metrics_snapshot_seconds %.6f\n", (double) d->snapshot_us / 1e6);
    s_head (out, "ztask_malformed_messages_total", "counter", "Wire messages dropped as malformed.");
    s_printf (out, "ztask_malformed_messages_total %" PRIu64 "\n", d->malformed);

    const metrics_type_t *t;
    s_head (out, "ztask_tasks_queued", "gauge", "Tasks queued, by type and priority.");
    for (size_t i = 0; (t = s_type_at (d, i)); i++) {
        char type[2 * METRICS_TYPE_NAME_MAX + 2];
        s_escape (t->name, type, sizeof type);
        for (int l = 0; l < METRICS_LEVELS; l++)
            s_printf (out, "ztask_tasks_queued{type=\"%s\",priority=\"%d\"} %" PRIu64 "\n", type, l, t->queued[l]);
    }
    s_head (out, "ztask_tasks_retrying", "gauge", "Tasks waiting out a retry backoff before they queue again.");
    s_printf (out, "ztask_tasks_retrying %" PRIu64 "\n", d->retrying);
    s_head (out, "ztask_tasks_scheduled", "gauge", "Delayed tasks not yet due (ztask submit --in / --at).");
    s_printf (out, "ztask_tasks_scheduled %" PRIu64 "\n", d->scheduled);
    s_head (out, "ztask_tasks_running", "gauge", "Tasks running, by type.");
    for (size_t i = 0; (t = s_type_at (d, i)); i++) {
        char type[2 * METRICS_TYPE_NAME_MAX + 2];
        s_escape (t->name, type, sizeof type);
        s_printf (out, "ztask_tasks_running{type=\"%s\"} %" PRIu64 "\n", type, t->running);
    }
    s_head (out, "ztask_tasks_waiting_for_plugin", "gauge",
            "1 when a type has queued tasks and no connected worker has its plugin.");
    for (size_t i = 0; (t = s_type_at (d, i)); i++) {
        char type[2 * METRICS_TYPE_NAME_MAX + 2];
        s_escape (t->name, type, sizeof type);
        s_printf (out, "ztask_tasks_waiting_for_plugin{type=\"%s\"} %d\n", type, t->waiting_for_plugin ? 1 : 0);
    }
    s_head (out, "ztask_oldest_queued_seconds", "gauge",
            "Age of the oldest queued task of each priority (since it was submitted); 0 when none.");
    for (int l = 0; l < METRICS_LEVELS; l++)
        s_printf (out, "ztask_oldest_queued_seconds{priority=\"%d\"} %.3f\n", l,
                  d->oldest_queued_ms[l] < 0 ? 0.0 : (double) d->oldest_queued_ms[l] / 1000);
    s_head (out, "ztask_workers", "gauge", "Workers connected.");
    s_printf (out, "ztask_workers %" PRIu64 "\n", d->workers);
    s_head (out, "ztask_slots", "gauge", "Slots of the connected workers.");
    s_printf (out, "ztask_slots %" PRIu64 "\n", d->slots);
    s_head (out, "ztask_slots_free", "gauge", "Slots without a task.");
    s_printf (out, "ztask_slots_free %" PRIu64 "\n", d->slots_free);
    if (store_file && strcasecmp (d->backend, "sqlite") == 0) {
        char wal[4096];
        struct stat st;
        uint64_t bytes = 0;
        if (stat (store_file, &st) == 0)
            bytes += (uint64_t) st.st_size;
        snprintf (wal, sizeof wal, "%s-wal", store_file);
        if (stat (wal, &st) == 0)
            bytes += (uint64_t) st.st_size;
        s_head (out, "ztask_store_bytes", "gauge", "Size of the SQLite store (the file and its WAL).");
        s_printf (out, "ztask_store_bytes %" PRIu64 "\n", bytes);
    }

    s_head (out, "ztask_queue_wait_seconds", "histogram",
            "Time from submit to the first start, by priority.");
    for (int l = 0; l < METRICS_LEVELS; l++) {
        char labels[32];
        snprintf (labels, sizeof labels, "priority=\"%d\"", l);
        s_histogram (out, "ztask_queue_wait_seconds", labels, &d->wait[l], s_wait_bounds);
    }
    s_head (out, "ztask_run_seconds", "histogram", "Run time of ended attempts, by type.");
    for (size_t i = 0; (t = s_type_at (d, i)); i++) {
        char type[2 * METRICS_TYPE_NAME_MAX + 2], labels[sizeof type + 16];
        s_escape (t->name, type, sizeof type);
        snprintf (labels, sizeof labels, "type=\"%s\"", type);
        s_histogram (out, "ztask_run_seconds", labels, &t->run, s_run_bounds);
    }
    s_head (out, "ztask_store_commit_seconds", "histogram", "Latency of the store's group commits.");
    s_histogram (out, "ztask_store_commit_seconds", "", &d->commit, s_commit_bounds);
    s_process (out);
}

char *
metrics_series_json (const metrics_data_t *d)
{
    json_t *buckets = json_array ();
    int64_t current = d->now_ms - d->now_ms % METRICS_BUCKET_MS;
    for (int i = METRICS_SERIES_BUCKETS - 1; i >= 0; i--) {
        int64_t start = current - (int64_t) i * METRICS_BUCKET_MS;
        if (start < 0)
            continue;
        const metrics_bucket_t *b = &d->series[(start / METRICS_BUCKET_MS) % METRICS_SERIES_BUCKETS];
        bool here = b->t_ms == start;
        json_array_append_new (
            buckets, json_pack ("{s:I, s:I, s:I, s:I, s:f, s:f}", "t_ms", (json_int_t) start, "submitted",
                                (json_int_t) (here ? b->submitted : 0), "done", (json_int_t) (here ? b->done : 0),
                                "failed", (json_int_t) (here ? b->failed : 0), "wait_ms_avg",
                                here && b->waits ? b->wait_ms_sum / (double) b->waits : 0.0, "wait_ms_max",
                                here ? b->wait_ms_max : 0.0));
    }
    json_t *doc = json_pack ("{s:i, s:I, s:o}", "bucket_s", METRICS_BUCKET_MS / 1000, "now_ms",
                             (json_int_t) d->now_ms, "buckets", buckets);
    char *text = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    return text;
}
