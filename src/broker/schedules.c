/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  schedules - the broker's recurring schedules. See schedules.h. */
#include "schedules.h"
#include "common/ztask_log.h"

#include <czmq.h>
#include <jansson.h>

struct schedules {
    zhashx_t *by_name;           /* name -> schedule_t (owned)                 */
    zhashx_t *zones;             /* zone name -> ztask_tz_t (owned), loaded once */
    schedule_t **heap;           /* min-heap on due: the schedules that fire   */
    size_t heap_size, heap_max;
};

/* ---- the heap ---- */

static void
s_heap_set (schedules_t *self, size_t i, schedule_t *s)
{
    self->heap[i] = s;
    s->heap_index = i;
}

static void
s_heap_up (schedules_t *self, size_t i)
{
    schedule_t *s = self->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (self->heap[parent]->due <= s->due)
            break;
        s_heap_set (self, i, self->heap[parent]);
        i = parent;
    }
    s_heap_set (self, i, s);
}

static void
s_heap_down (schedules_t *self, size_t i)
{
    schedule_t *s = self->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= self->heap_size)
            break;
        if (child + 1 < self->heap_size && self->heap[child + 1]->due < self->heap[child]->due)
            child++;
        if (self->heap[child]->due >= s->due)
            break;
        s_heap_set (self, i, self->heap[child]);
        i = child;
    }
    s_heap_set (self, i, s);
}

static void
s_heap_remove (schedules_t *self, schedule_t *s)
{
    size_t i = s->heap_index;
    if (i == SIZE_MAX)
        return;
    s->heap_index = SIZE_MAX;
    schedule_t *last = self->heap[--self->heap_size];
    if (i == self->heap_size)
        return;
    s_heap_set (self, i, last);
    s_heap_up (self, i);
    s_heap_down (self, last->heap_index);
}

static void
s_heap_add (schedules_t *self, schedule_t *s)
{
    if (self->heap_size == self->heap_max) {
        self->heap_max = self->heap_max ? 2 * self->heap_max : 16;
        self->heap = (schedule_t **) realloc (self->heap, self->heap_max * sizeof (schedule_t *));
        assert (self->heap);
    }
    s_heap_set (self, self->heap_size++, s);
    s_heap_up (self, s->heap_index);
}

/* ---- planning ---- */

/* The latest fire time at or before now, when cron_next (anchor) is at or
   before now; -1 if none. Looks back from now in growing windows (a
   minute, 4, 16...), then steps forward: a few steps, never every fire
   since the anchor. */
static int64_t
s_latest_at_or_before (const schedule_t *s, int64_t anchor, int64_t now)
{
    int64_t from = anchor, found;
    for (int64_t back = 60; now - back > anchor; back *= 4)
        if (ztask_cron_next (&s->cron, s->tz, now - back, &found) == 0 && found <= now) {
            from = now - back;
            break;
        }
    int64_t latest = -1, at = from;
    while (ztask_cron_next (&s->cron, s->tz, at, &found) == 0 && found <= now)
        latest = at = found;
    return latest;
}

/* Plans s's next fire after anchor (its last fire time, or when planning
   started) as of now, and puts it in the heap (or not: paused, none). */
static void
s_plan (schedules_t *self, schedule_t *s, int64_t anchor, int64_t now)
{
    s_heap_remove (self, s);
    s->next_fire = s->due = -1;
    if (s->def.paused)
        return;
    int64_t next;
    if (ztask_cron_next (&s->cron, s->tz, anchor, &next) != 0)
        return; /* never again */
    if (next < now - SCHEDULES_GRACE_S) {
        /* Missed: fires in (anchor, now - grace). One within the grace
           fires late in any case, and stands for the missed ones. */
        int64_t late;
        if (ztask_cron_next (&s->cron, s->tz, now - SCHEDULES_GRACE_S - 1, &late) != 0)
            return;
        if (late <= now || s->def.catchup == STORE_CATCHUP_SKIP)
            next = late;
        else {
            next = s_latest_at_or_before (s, anchor, now);
            if (next < 0)
                next = late;
            else {
                s->next_fire = next;
                s->due = now; /* once, now, keyed by the latest missed time */
                s_heap_add (self, s);
                return;
            }
        }
    }
    s->next_fire = s->due = next;
    s_heap_add (self, s);
}

/* What s's next fire is planned after: its last fire time, or the time
   it was added or last resumed (def.created_ms), whichever is later, so
   that a broker that reads it back (a restart, a takeover) does not catch
   up fires that were missed while it was paused. */
static int64_t
s_anchor (const schedule_t *s)
{
    int64_t ms = s->def.last_fire_ms > s->def.created_ms ? s->def.last_fire_ms : s->def.created_ms;
    return ms / 1000;
}

/* ---- the class ---- */

static void
s_schedule_free (schedule_t **s_p)
{
    schedule_t *s = *s_p;
    if (s) {
        free ((char *) s->def.name);
        free ((char *) s->def.cron);
        free ((char *) s->def.tz);
        free ((char *) s->def.type);
        free ((void *) s->def.payload);
        free (s);
        *s_p = NULL;
    }
}

static void
s_zone_free (void **item)
{
    ztask_tz_destroy ((ztask_tz_t **) item);
}

schedules_t *
schedules_new (void)
{
    schedules_t *self = (schedules_t *) zmalloc (sizeof (schedules_t));
    assert (self);
    self->by_name = zhashx_new ();
    zhashx_set_destructor (self->by_name, (zhashx_destructor_fn *) s_schedule_free);
    self->zones = zhashx_new ();
    zhashx_set_destructor (self->zones, s_zone_free);
    return self;
}

void
schedules_destroy (schedules_t **self_p)
{
    assert (self_p);
    schedules_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->by_name);
        zhashx_destroy (&self->zones);
        free (self->heap);
        free (self);
        *self_p = NULL;
    }
}

/* The zone of that name, loaded once ("": UTC, NULL without error). */
static int
s_zone (schedules_t *self, const char *name, const ztask_tz_t **tz, char *error, size_t error_size)
{
    *tz = NULL;
    if (!name || !*name)
        return 0;
    ztask_tz_t *zone = (ztask_tz_t *) zhashx_lookup (self->zones, name);
    if (!zone) {
        zone = ztask_tz_load (name, error, error_size);
        if (!zone)
            return -1;
        zhashx_insert (self->zones, name, zone);
    }
    *tz = zone;
    return 0;
}

static char *
s_copy (const char *text)
{
    char *copy = strdup (text ? text : "");
    assert (copy);
    return copy;
}

schedule_t *
schedules_put (schedules_t *self, const store_schedule_t *def, int64_t now, char *error, size_t error_size)
{
    char why[512];
    ztask_cron_t cron;
    if (ztask_cron_parse (def->cron, &cron, why, sizeof why) != 0) {
        snprintf (error, error_size, "cron: %s", why);
        return NULL;
    }
    const ztask_tz_t *tz;
    if (s_zone (self, def->tz, &tz, why, sizeof why) != 0) {
        snprintf (error, error_size, "tz: %s", why);
        return NULL;
    }
    schedule_t *s = (schedule_t *) zmalloc (sizeof (schedule_t));
    assert (s);
    s->def = *def;
    s->def.name = s_copy (def->name);
    s->def.cron = s_copy (def->cron);
    s->def.tz = s_copy (def->tz);
    s->def.type = s_copy (def->type);
    byte *payload = (byte *) malloc (def->payload_size ? def->payload_size : 1);
    assert (payload);
    if (def->payload_size)
        memcpy (payload, def->payload, def->payload_size);
    s->def.payload = payload;
    s->cron = cron;
    s->tz = tz;
    s->heap_index = SIZE_MAX;
    schedules_remove (self, def->name);
    zhashx_insert (self->by_name, s->def.name, s);
    s_plan (self, s, s_anchor (s), now);
    return s;
}

schedule_t *
schedules_lookup (schedules_t *self, const char *name)
{
    return (schedule_t *) zhashx_lookup (self->by_name, name);
}

int
schedules_remove (schedules_t *self, const char *name)
{
    schedule_t *s = schedules_lookup (self, name);
    if (!s)
        return -1;
    s_heap_remove (self, s);
    zhashx_delete (self->by_name, name);
    return 0;
}

void
schedules_pause (schedules_t *self, schedule_t *schedule, bool paused, int64_t now)
{
    if (schedule->def.paused == paused)
        return;
    schedule->def.paused = paused;
    if (!paused) /* stored with it: planned from here after a restart too */
        schedule->def.created_ms = now * 1000;
    s_plan (self, schedule, s_anchor (schedule), now);
}

int64_t
schedules_next_due (schedules_t *self)
{
    return self->heap_size ? self->heap[0]->due : -1;
}

schedule_t *
schedules_due (schedules_t *self, int64_t now, int64_t *fire_time)
{
    if (!self->heap_size || self->heap[0]->due > now)
        return NULL;
    *fire_time = self->heap[0]->next_fire;
    return self->heap[0];
}

void
schedules_fired (schedules_t *self, schedule_t *schedule, int64_t fire_time, int64_t now)
{
    schedule->def.last_fire_ms = fire_time * 1000;
    s_plan (self, schedule, fire_time, now);
}

size_t
schedules_upcoming (const schedule_t *schedule, int64_t now, int64_t *times, size_t count)
{
    size_t n = 0;
    int64_t at = now;
    while (n < count && ztask_cron_next (&schedule->cron, schedule->tz, at, &times[n]) == 0)
        at = times[n++];
    return n;
}

size_t
schedules_size (schedules_t *self)
{
    return zhashx_size (self->by_name);
}

static int
s_by_name (const void *a, const void *b)
{
    return strcmp ((*(schedule_t *const *) a)->def.name, (*(schedule_t *const *) b)->def.name);
}

schedule_t **
schedules_sorted (schedules_t *self)
{
    size_t count = zhashx_size (self->by_name);
    schedule_t **all = (schedule_t **) malloc ((count ? count : 1) * sizeof (schedule_t *));
    assert (all);
    size_t i = 0;
    for (schedule_t *s = (schedule_t *) zhashx_first (self->by_name); s; s = (schedule_t *) zhashx_next (self->by_name))
        all[i++] = s;
    qsort (all, count, sizeof (schedule_t *), s_by_name);
    return all;
}

void
schedules_iso (int64_t utc, char *buffer)
{
    ztask_civil_t c;
    ztask_civil_from_seconds (utc, &c);
    snprintf (buffer, SCHEDULES_ISO_SIZE, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
              c.minute, c.second);
}

void
schedules_key (const char *name, int64_t fire_time, char *key, size_t key_size)
{
    char iso[SCHEDULES_ISO_SIZE];
    schedules_iso (fire_time, iso);
    snprintf (key, key_size, "%s@%s", name, iso);
}

void
schedules_def_from_config (const broker_schedule_t *entry, store_schedule_t *def)
{
    memset (def, 0, sizeof *def);
    def->name = entry->name;
    def->cron = entry->cron;
    def->tz = entry->tz ? entry->tz : "";
    def->type = entry->type;
    def->priority = (uint8_t) entry->priority;
    def->catchup = entry->catchup_once ? STORE_CATCHUP_ONCE : STORE_CATCHUP_SKIP;
    def->source = STORE_SOURCE_CONFIG;
    def->max_attempts = entry->max_attempts;
    def->timeout_ms = entry->timeout_ms;
    def->payload = entry->payload;
    def->payload_size = entry->payload ? strlen (entry->payload) : 0;
}

typedef struct {
    schedules_t *self;
    int64_t now;
} load_t;

static void
s_load_row (const store_schedule_t *def, void *arg)
{
    load_t *load = (load_t *) arg;
    char error[600];
    if (!schedules_put (load->self, def, load->now, error, sizeof error)) {
        ztask_log_error ("broker: schedule %s cannot be loaded (%s): it is kept in the store, and does not fire",
                         def->name, error);
    }
}

int
schedules_load (schedules_t *self, store_t *store, const broker_config_t *config, int64_t now)
{
    load_t load = { self, now };
    if (store_schedules (store, s_load_row, &load) != 0)
        return -1;
    /* The config's, added or updated. */
    for (size_t i = 0; config && i < config->schedule_count; i++) {
        store_schedule_t def;
        schedules_def_from_config (&config->schedules[i], &def);
        schedule_t *held = schedules_lookup (self, def.name);
        def.created_ms = now * 1000;
        if (held) {
            if (held->def.source != STORE_SOURCE_CONFIG)
                ztask_log_warning ("broker: schedule %s from the config replaces the one added with ztask schedule add",
                                   def.name);
            def.created_ms = held->def.created_ms;
            def.last_fire_ms = held->def.last_fire_ms;
            def.paused = held->def.paused;
            bool same = held->def.source == STORE_SOURCE_CONFIG && streq (held->def.cron, def.cron)
                        && streq (held->def.tz, def.tz) && streq (held->def.type, def.type)
                        && held->def.priority == def.priority && held->def.catchup == def.catchup
                        && held->def.max_attempts == def.max_attempts && held->def.timeout_ms == def.timeout_ms
                        && held->def.payload_size == def.payload_size
                        && (def.payload_size == 0 || memcmp (held->def.payload, def.payload, def.payload_size) == 0);
            if (same)
                continue;
        }
        char error[600];
        if (!schedules_put (self, &def, now, error, sizeof error)) {
            /* Checked at load; only a zone removed since could get here. */
            ztask_log_error ("broker: schedule %s of the config: %s", def.name, error);
            continue;
        }
        if (store_schedule_put (store, &def) != 0)
            return -1;
        ztask_log_info ("broker: schedule %s (%s) %s from the config", def.name, def.cron, held ? "updated" : "added");
    }
    /* Config schedules that left the config. */
    schedule_t **all = schedules_sorted (self);
    size_t count = schedules_size (self);
    for (size_t i = 0; i < count; i++) {
        if (all[i]->def.source != STORE_SOURCE_CONFIG)
            continue;
        bool kept = false;
        for (size_t j = 0; config && j < config->schedule_count && !kept; j++)
            kept = streq (config->schedules[j].name, all[i]->def.name);
        if (kept)
            continue;
        ztask_log_info ("broker: schedule %s removed: it is no longer in the config", all[i]->def.name);
        if (store_schedule_remove (store, all[i]->def.name) != 0) {
            free (all);
            return -1;
        }
        schedules_remove (self, all[i]->def.name);
    }
    free (all);
    return 0;
}

/* "2026-03-29T03:00:00+02:00" and its abbreviation, of utc in tz. */
static json_t *
s_local_json (const ztask_tz_t *tz, int64_t utc)
{
    char iso[SCHEDULES_ISO_SIZE];
    schedules_iso (utc, iso);
    ztask_tz_local_t local;
    if (ztask_tz_utc_to_local (tz, utc, &local) != 0)
        return json_pack ("{s:s}", "utc", iso);
    int32_t offset = local.offset < 0 ? -local.offset : local.offset;
    char text[64];
    snprintf (text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", local.civil.year, local.civil.month,
              local.civil.day, local.civil.hour, local.civil.minute, local.civil.second, local.offset < 0 ? '-' : '+',
              (int) (offset / 3600), (int) (offset % 3600 / 60));
    return json_pack ("{s:s, s:s, s:s}", "utc", iso, "local", text, "abbreviation", local.abbreviation);
}

json_t *
schedules_json (const schedule_t *schedule, int64_t now, size_t next)
{
    const store_schedule_t *d = &schedule->def;
    char canonical[ZTASK_CRON_FORMAT_SIZE];
    if (ztask_cron_format (&schedule->cron, canonical, sizeof canonical) < 0)
        canonical[0] = 0;
    char last[SCHEDULES_ISO_SIZE], coming[SCHEDULES_ISO_SIZE];
    if (d->last_fire_ms)
        schedules_iso (d->last_fire_ms / 1000, last);
    if (schedule->next_fire >= 0)
        schedules_iso (schedule->next_fire, coming);
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:o, s:o}",
                             "name", d->name, "cron", d->cron, "cron_canonical", canonical, "tz",
                             *d->tz ? d->tz : "UTC", "type", d->type, "priority", d->priority, "catchup",
                             d->catchup == STORE_CATCHUP_ONCE ? "once" : "skip", "paused", d->paused, "source",
                             d->source == STORE_SOURCE_CONFIG ? "config" : "cli", "max_attempts",
                             (json_int_t) d->max_attempts, "timeout_ms", (json_int_t) d->timeout_ms, "payload_size",
                             (json_int_t) d->payload_size, "created_ms", (json_int_t) d->created_ms, "last_fire",
                             d->last_fire_ms ? json_string (last) : json_null (), "next_fire",
                             schedule->next_fire >= 0 ? json_string (coming) : json_null ());
    assert (doc);
    if (next) {
        int64_t times[16];
        if (next > 16)
            next = 16;
        size_t n = schedules_upcoming (schedule, now, times, next);
        json_t *list = json_array ();
        for (size_t i = 0; i < n; i++)
            json_array_append_new (list, s_local_json (schedule->tz, times[i]));
        json_object_set_new (doc, "next", list);
    }
    return doc;
}
