/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  schedules - the broker's recurring schedules (docs/scheduling.md): each
    with its compiled cron expression, its zone (loaded once per distinct
    name and shared) and its next fire time, in a binary min-heap on the
    time it is due, so that finding what is due costs O(1) and a fire
    O(log n), whatever the number of schedules.

    Times are wall-clock seconds since the epoch (cron fires at wall-clock
    times); the caller passes "now", so that the logic is tested without a
    clock, and the broker can read its clock with a test offset.

    Firing: schedules_due gives the next schedule due at or before now and
    the fire time to key its task with (NAME@<fire time>); once the task is
    submitted the caller calls schedules_fired, which records the fire
    time and plans the next. A fire more than SCHEDULES_GRACE_S late (no
    broker ran, the clock jumped) is missed, and the schedule's catchup
    decides: skip (the next fire after now), or once (one fire now for
    the missed period, keyed by the latest missed fire time). */
#ifndef ZTASK_SCHEDULES_H_INCLUDED
#define ZTASK_SCHEDULES_H_INCLUDED

#include "broker_config.h"
#include "common/ztask_cron.h"
#include "store.h"

#include <jansson.h>

#define SCHEDULES_GRACE_S 60     /* a fire this late is late, not missed        */
#define SCHEDULES_ISO_SIZE 32    /* "2026-12-03T03:00:00Z" and the NUL, and room */

typedef struct schedules schedules_t;

/* One schedule. The fields are read-only outside schedules.c. */
typedef struct {
    store_schedule_t def;        /* as stored; its strings and payload are the
                                    schedule's own copies                      */
    ztask_cron_t cron;           /* def.cron compiled                          */
    const ztask_tz_t *tz;        /* def.tz loaded (shared; NULL: UTC)          */
    int64_t next_fire;           /* the fire time of the next fire (its key);
                                    -1: none (paused, or it never fires again) */
    int64_t due;                 /* when that fire is due: next_fire, or the
                                    time a catch-up fire was planned at        */
    size_t heap_index;           /* place in the heap; SIZE_MAX: not there     */
} schedule_t;

schedules_t *schedules_new (void);
void schedules_destroy (schedules_t **self_p);

/* Adds def (copied; replaces a schedule of the same name), compiling its
   cron and loading its zone, and plans its next fire from its last fire
   time or def.created_ms (when it was added or last resumed), whichever
   is later, with its catchup as of now. Returns the
   schedule, or NULL with the reason in error ("cron: hour field, column
   3: ...", "tz: time zone 'X': unknown ..."). */
schedule_t *schedules_put (schedules_t *self, const store_schedule_t *def, int64_t now, char *error,
                           size_t error_size);

schedule_t *schedules_lookup (schedules_t *self, const char *name);

/* Removes (and frees) the schedule of that name; 0, or -1 if none. */
int schedules_remove (schedules_t *self, const char *name);

/* Pauses (no fire until resumed) or resumes (the next fire after now:
   fires missed while paused are not caught up). A resume sets
   def.created_ms to now, so that a broker that reads the schedule back
   (a restart, a takeover) plans from there too: the caller stores def. */
void schedules_pause (schedules_t *self, schedule_t *schedule, bool paused, int64_t now);

/* The time the first schedule is due (wall seconds), or -1 when none is. */
int64_t schedules_next_due (schedules_t *self);

/* The first schedule due at or before now, or NULL; *fire_time gets the
   fire time its task is keyed by. It stays first until schedules_fired. */
schedule_t *schedules_due (schedules_t *self, int64_t now, int64_t *fire_time);

/* Records that schedule fired at fire_time, and plans its next fire. */
void schedules_fired (schedules_t *self, schedule_t *schedule, int64_t fire_time, int64_t now);

/* The next count fire times after now (fewer when it stops firing) into
   times; how many. Paused or not, as the schedule would fire. */
size_t schedules_upcoming (const schedule_t *schedule, int64_t now, int64_t *times, size_t count);

/* The schedules by name, into an array of size schedules_size (the
   caller frees the array, not the schedules). */
size_t schedules_size (schedules_t *self);
schedule_t **schedules_sorted (schedules_t *self);

/* The idempotency key of a fire: "NAME@2026-12-03T03:00:00Z". */
void schedules_key (const char *name, int64_t fire_time, char *key, size_t key_size);

/* A time as ISO 8601 UTC, "2026-12-03T03:00:00Z" (buffer: SCHEDULES_ISO_SIZE). */
void schedules_iso (int64_t utc, char *buffer);

/* Reads the store's schedules (at start, on taking the lead), then applies
   the config's: each is added or updated (source config; its paused state
   and last fire time are kept), and a config schedule that is no longer in
   the config is removed from the store. Writes go in the store's round
   (the caller commits). 0, or -1 when the store failed. A stored schedule
   that no longer loads (its zone was removed from the system) is logged
   and left in the store, not held. */
int schedules_load (schedules_t *self, store_t *store, const broker_config_t *config, int64_t now);

/* A schedule as JSON (ztask schedule list/show, docs/scheduling.md);
   with next > 0, also its next fire times after now, in UTC and in its
   zone. A new reference. */
json_t *schedules_json (const schedule_t *schedule, int64_t now, size_t next);

/* Fills def from a config entry (strings point into entry). */
void schedules_def_from_config (const broker_schedule_t *entry, store_schedule_t *def);

#endif
