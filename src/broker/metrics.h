/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  metrics - the broker's Prometheus metrics (docs/operations.md).

    Counters and histograms are kept incrementally by hooks the broker
    calls as tasks move (each an O(1) update and one hash lookup of the
    type's name); gauges are filled in only when a snapshot is taken, from
    the scheduler's per-(type, level) counts and queue heads: O(types x 10
    + workers), never O(queued tasks). The whole state is one flat struct,
    metrics_data_t, so a snapshot is a memcpy that the broker sends to its
    HTTP thread (the internal METRICS command), which renders the text
    there (metrics_render) without touching the broker.

    Per-type records are the metrics' own, not the scheduler's: a type the
    scheduler forgets keeps its counters. At most METRICS_TYPES_MAX types
    get their own label; further ones are counted under type="_other". */
#ifndef ZTASK_METRICS_H_INCLUDED
#define ZTASK_METRICS_H_INCLUDED

#include <czmq.h>

#define METRICS_LEVELS 10         /* priority levels 0-9                      */
#define METRICS_TYPES_MAX 64      /* types with their own label               */
#define METRICS_TYPE_NAME_MAX 255
#define METRICS_OTHER_TYPE "_other" /* the label of the types beyond the limit */
#define METRICS_SERIES_BUCKETS 360  /* one hour ...                           */
#define METRICS_BUCKET_MS 10000     /* ... of 10-second buckets               */
#define METRICS_HIST_MAX 16         /* upper bounds of a histogram, +Inf aside */
#define METRICS_DATA_VERSION 1

/* A histogram: counts per bucket (not cumulative; the last is +Inf). */
typedef struct {
    uint64_t counts[METRICS_HIST_MAX + 1];
    uint64_t count;
    double sum;                  /* seconds                                  */
} metrics_hist_t;

typedef struct {
    char name[METRICS_TYPE_NAME_MAX + 1];
    bool used;                   /* any counter or gauge set                 */
    /* counters per priority level */
    uint64_t submitted[METRICS_LEVELS], started[METRICS_LEVELS], done[METRICS_LEVELS],
        failed[METRICS_LEVELS], retried[METRICS_LEVELS], cancelled[METRICS_LEVELS];
    metrics_hist_t run;          /* run time of ended attempts               */
    /* gauges, filled in by metrics_snapshot */
    uint64_t queued[METRICS_LEVELS];
    uint64_t running;
    bool waiting_for_plugin;     /* queued tasks and no worker has the plugin */
} metrics_type_t;

/* One 10-s bucket of /api/v1/series. */
typedef struct {
    int64_t t_ms;                /* start (wall ms); 0: nothing in it        */
    uint64_t submitted, done, failed;
    uint64_t waits;              /* tasks started (first attempts)           */
    double wait_ms_sum, wait_ms_max;
} metrics_bucket_t;

/* Everything a snapshot holds (sent whole, in this process's layout). */
typedef struct {
    uint32_t version;            /* METRICS_DATA_VERSION                     */
    uint32_t size;               /* sizeof (metrics_data_t)                  */
    int64_t now_ms;              /* when the snapshot was taken (wall)       */
    size_t type_count;           /* types[0 .. type_count) in use            */
    metrics_type_t types[METRICS_TYPES_MAX + 1]; /* the last: "_other"        */
    metrics_hist_t wait[METRICS_LEVELS]; /* queue wait (submit to first start) */
    metrics_hist_t commit;       /* store commit latency                     */
    metrics_bucket_t series[METRICS_SERIES_BUCKETS];
    /* gauges and the broker's own counters, copied in at snapshot time */
    int64_t oldest_queued_ms[METRICS_LEVELS]; /* age of the oldest queued head; -1: none */
    uint64_t retrying;           /* tasks waiting out a backoff              */
    uint64_t scheduled;          /* delayed tasks not yet due                */
    uint64_t workers, slots, slots_free;
    uint64_t malformed;
    int64_t snapshot_us;         /* broker time the previous snapshot took   */
    uint64_t refused_too_large, refused_queue_full, refused_role, refused_version, refused_not_registered;
    bool leading;                /* serving (an SQLite broker always is)     */
    bool store_available;
    char name[256];              /* the broker's name                        */
    char role[16];               /* "single", "leader" or "standby"          */
    char backend[16];            /* "sqlite" or "postgresql"                 */
    char leader_endpoint[256];   /* who leads (standby), "" when unknown     */
} metrics_data_t;

typedef struct metrics metrics_t;

metrics_t *metrics_new (void);
void metrics_destroy (metrics_t **self_p);

/* Hooks (now_ms: wall clock). wait_ms < 0: not a first attempt (no wait
   recorded); run_ms < 0: never started. state is ZTASK_STATE_DONE,
   _FAILED or _CANCELLED. */
void metrics_submitted (metrics_t *self, const char *type, int priority, int64_t now_ms);
void metrics_started (metrics_t *self, const char *type, int priority, int64_t wait_ms, int64_t now_ms);
void metrics_ended (metrics_t *self, const char *type, int priority, int state, int64_t run_ms, int64_t now_ms);
void metrics_retried (metrics_t *self, const char *type, int priority);
void metrics_commit (metrics_t *self, int64_t usecs);

/* Clears the gauges before metrics_snapshot_type and the like fill them. */
void metrics_gauges_reset (metrics_t *self);
/* A type's gauges: queued per level, running, whether it waits for a plugin,
   and the creation time (wall ms) of each level's queue head (0: empty). */
void metrics_gauges_type (metrics_t *self, const char *type, const size_t *queued, size_t running,
                          bool waiting_for_plugin, const int64_t *head_created_ms, int64_t now_ms);

/* The live data: the broker fills the other gauges in directly, then
   sends it (sizeof (metrics_data_t) bytes). */
metrics_data_t *metrics_data (metrics_t *self);

/* Renders data as the Prometheus text format 0.0.4, appending to out.
   Process metrics are read from /proc by the caller's thread here. */
void metrics_render (const metrics_data_t *data, const char *store_file, zchunk_t *out);

/* The /api/v1/series document (JSON text, caller frees). */
char *metrics_series_json (const metrics_data_t *data);

#endif
