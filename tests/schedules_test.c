/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  schedules_test - recurring schedules without sockets: next fires,
    the heap's order, catchup skip and once (and the grace for a late
    fire), pause and resume, the fire keys, and the store's schedules
    (SQLite) with the config applied over them. */
#include "tap.h"
#include "broker/schedules.h"
#include "common/ztask_names.h"

#include <czmq.h>

static int64_t
s_at (int year, int month, int day, int hour, int minute, int second)
{
    ztask_civil_t c = { year, month, day, hour, minute, second, 0 };
    return ztask_civil_to_seconds (&c);
}

static store_schedule_t
s_def (const char *name, const char *cron, const char *tz, int catchup, int64_t created)
{
    store_schedule_t def = { .name = name, .cron = cron, .tz = tz, .type = "report", .priority = 5,
                             .catchup = (uint8_t) catchup, .payload = "p", .payload_size = 1,
                             .created_ms = created * 1000 };
    return def;
}

static void
s_collect (const store_schedule_t *def, void *arg)
{
    zlistx_add_end ((zlistx_t *) arg, zsys_sprintf ("%s %s %s %d %d %" PRId64, def->name, def->cron, def->tz,
                                                    def->paused, def->source, def->last_fire_ms));
}

int
main (void)
{
    schedules_t *self = schedules_new ();
    char error[600], key[128];
    int64_t t0 = s_at (2030, 1, 1, 2, 0, 0), fire;

    /* ---- planning ---- */
    store_schedule_t def = s_def ("nightly", "0 3 * * *", "", STORE_CATCHUP_SKIP, t0);
    schedule_t *s = schedules_put (self, &def, t0, error, sizeof error);
    TAP_OK (s && s->next_fire == s_at (2030, 1, 1, 3, 0, 0), "a new schedule fires next at 03:00");
    TAP_OK (schedules_next_due (self) == s->next_fire, "  its due time heads the heap");
    TAP_OK (schedules_due (self, t0, &fire) == NULL, "  nothing is due at 02:00");
    TAP_OK (schedules_due (self, s_at (2030, 1, 1, 3, 0, 0), &fire) == s && fire == s_at (2030, 1, 1, 3, 0, 0),
            "  it is due at 03:00, keyed by 03:00");
    schedules_key ("nightly", fire, key, sizeof key);
    TAP_OK (streq (key, "nightly@2030-01-01T03:00:00Z"), "  the key is %s", key);
    schedules_fired (self, s, fire, s_at (2030, 1, 1, 3, 0, 1));
    TAP_OK (s->def.last_fire_ms == fire * 1000 && s->next_fire == s_at (2030, 1, 2, 3, 0, 0),
            "  fired: the next fire is the next night");

    /* Refusals. */
    def = s_def ("bad", "0 24 * * *", "", 0, t0);
    TAP_OK (!schedules_put (self, &def, t0, error, sizeof error) && strstr (error, "cron: hour field, column 3"),
            "a bad cron is refused: %s", error);
    def = s_def ("bad", "0 3 * * *", "Europe/Pari", 0, t0);
    TAP_OK (!schedules_put (self, &def, t0, error, sizeof error) && strstr (error, "tz: time zone 'Europe/Pari'"),
            "an unknown zone is refused: %s", error);
    TAP_OK (schedules_size (self) == 1, "  neither is held");

    /* A zone: 02:30 in Paris is 01:30 UTC in winter. */
    def = s_def ("paris", "30 2 * * *", "Europe/Paris", 0, t0);
    schedule_t *paris = schedules_put (self, &def, t0, error, sizeof error);
    TAP_OK (paris && paris->next_fire == s_at (2030, 1, 2, 1, 30, 0), "Europe/Paris 02:30 is 01:30 UTC");
    def = s_def ("paris2", "0 9 * * *", "Europe/Paris", 0, t0);
    schedule_t *paris2 = schedules_put (self, &def, t0, error, sizeof error);
    TAP_OK (paris2 && paris2->tz == paris->tz, "  a zone is loaded once and shared");
    TAP_OK (schedules_next_due (self) == paris2->next_fire && paris2->next_fire == s_at (2030, 1, 1, 8, 0, 0),
            "  the heap's head is the earliest of all (09:00 Paris)");
    int64_t times[3];
    TAP_OK (schedules_upcoming (paris, t0, times, 3) == 3 && times[2] == s_at (2030, 1, 4, 1, 30, 0),
            "  its next three fires");

    /* ---- catchup after a broker was down ---- */
    int64_t later = s_at (2030, 1, 3, 12, 0, 0);
    def = s_def ("skip", "0 3 * * *", "", STORE_CATCHUP_SKIP, t0);
    s = schedules_put (self, &def, later, error, sizeof error);
    TAP_OK (s && s->next_fire == s_at (2030, 1, 4, 3, 0, 0) && s->due == s->next_fire,
            "catchup skip: missed nights are skipped, the next is after now");
    def = s_def ("once", "0 3 * * *", "", STORE_CATCHUP_ONCE, t0);
    s = schedules_put (self, &def, later, error, sizeof error);
    TAP_OK (s && s->next_fire == s_at (2030, 1, 3, 3, 0, 0) && s->due == later,
            "catchup once: one fire now, keyed by the latest missed time");
    schedules_fired (self, s, s->next_fire, later);
    TAP_OK (s->next_fire == s_at (2030, 1, 4, 3, 0, 0), "  then the next after now");
    def = s_def ("once-min", "* * * * *", "", STORE_CATCHUP_ONCE, t0);
    s = schedules_put (self, &def, later + 30, error, sizeof error);
    TAP_OK (s && s->next_fire == later && s->due == later,
            "  every minute: the fire within the grace stands for the missed ones (%" PRId64 ")", s->next_fire - later);
    def = s_def ("once-year", "0 0 1 1 *", "", STORE_CATCHUP_ONCE, s_at (2020, 6, 1, 0, 0, 0));
    s = schedules_put (self, &def, later, error, sizeof error);
    TAP_OK (s && s->next_fire == s_at (2030, 1, 1, 0, 0, 0), "  yearly, missed for years: the latest, 2030-01-01");
    def = s_def ("late", "0 3 * * *", "", STORE_CATCHUP_SKIP, t0);
    def.last_fire_ms = s_at (2030, 1, 2, 3, 0, 0) * 1000;
    s = schedules_put (self, &def, s_at (2030, 1, 3, 3, 0, 45), error, sizeof error);
    TAP_OK (s && s->next_fire == s_at (2030, 1, 3, 3, 0, 0),
            "a fire 45 s late (a restart) is late, not missed: it fires, even with skip");
    s = schedules_put (self, &def, s_at (2030, 1, 3, 3, 1, 1), error, sizeof error);
    TAP_OK (s && s->next_fire == s_at (2030, 1, 4, 3, 0, 0), "  61 s late, it is missed: skipped");

    /* ---- pause, resume ---- */
    schedules_pause (self, s, true, later);
    TAP_OK (s->next_fire == -1 && s->heap_index == SIZE_MAX, "paused: out of the heap");
    schedules_pause (self, s, false, s_at (2030, 1, 5, 12, 0, 0));
    TAP_OK (s->next_fire == s_at (2030, 1, 6, 3, 0, 0), "resumed: the next fire after now, none caught up");
    /* The resume goes into the stored schedule: a broker that reads it
       back later (a restart, a takeover) does not catch up either. */
    def = s_def ("resumed", "0 3 * * *", "", STORE_CATCHUP_ONCE, t0);
    def.last_fire_ms = s_at (2030, 1, 1, 3, 0, 0) * 1000;
    s = schedules_put (self, &def, s_at (2030, 1, 1, 3, 0, 5), error, sizeof error);
    schedules_pause (self, s, true, s_at (2030, 1, 1, 4, 0, 0));
    schedules_pause (self, s, false, s_at (2030, 1, 3, 12, 0, 0));
    TAP_OK (s->next_fire == s_at (2030, 1, 4, 3, 0, 0) && s->def.created_ms == s_at (2030, 1, 3, 12, 0, 0) * 1000,
            "resumed (catchup once) after missing two nights: the next fire after now, the resume kept");
    schedules_t *other = schedules_new ();
    schedule_t *taken = schedules_put (other, &s->def, s_at (2030, 1, 3, 12, 30, 0), error, sizeof error);
    TAP_OK (taken && taken->next_fire == s_at (2030, 1, 4, 3, 0, 0) && taken->due == taken->next_fire,
            "  another broker that reads it back plans the same: nothing caught up");
    schedules_destroy (&other);

    /* ---- the heap drains in due order ---- */
    int64_t last = INT64_MIN, now = s_at (2031, 1, 1, 0, 0, 0);
    int fires = 0;
    bool ordered = true;
    schedule_t *due;
    while ((due = schedules_due (self, now, &fire)) && fires < 100000) {
        ordered = ordered && due->due >= last;
        last = due->due;
        schedules_fired (self, due, fire, due->due);
        fires++;
    }
    TAP_OK (ordered && fires > 365, "a year of fires comes out in due order (%d)", fires);
    TAP_OK (schedules_remove (self, "paris") == 0 && schedules_remove (self, "paris") == -1
                && !schedules_lookup (self, "paris"),
            "remove");
    schedules_destroy (&self);

    /* ---- names ---- */
    TAP_OK (ztask_schedule_name_valid ("nightly-report.v2_x", NULL, 0) && ztask_schedule_name_valid ("9", NULL, 0),
            "valid schedule names");
    char why[128];
    TAP_OK (!ztask_schedule_name_valid ("Nightly", why, sizeof why) && !ztask_schedule_name_valid ("", NULL, 0)
                && !ztask_schedule_name_valid ("-x", NULL, 0) && !ztask_schedule_name_valid ("a b", NULL, 0),
            "invalid ones: %s", why);
    char long_name[80];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[64] = 0;
    TAP_OK (ztask_schedule_name_valid (long_name, NULL, 0), "64 bytes is fine");
    long_name[64] = 'a';
    long_name[65] = 0;
    TAP_OK (!ztask_schedule_name_valid (long_name, why, sizeof why), "65 is not: %s", why);
    TAP_OK (!ztask_schedule_name_valid ("a@b", why, sizeof why)
                && strcmp (why, "byte 2 is not one of a-z, 0-9, '_', '.' or '-'") == 0,
            "a byte outside the set is named: %s", why);
    TAP_OK (!ztask_schedule_name_valid ("_x", why, sizeof why)
                && strcmp (why, "it must start with a lowercase letter a-z or a digit 0-9") == 0,
            "so is a bad first byte: %s", why);
    TAP_OK (ztask_schedule_name_check ("nightly", error, sizeof error) == 0
                && ztask_schedule_name_check ("_x", error, sizeof error) == -1
                && strcmp (error, "invalid schedule name: it must start with a lowercase letter a-z or a digit 0-9 "
                                  "(a-z or 0-9, then up to 63 of a-z, 0-9, '.', '_', '-')") == 0,
            "the one refusal text (CLI, libztask, broker, config): %s", error);
    /* Label keys follow the same rule but for a digit first and 63 bytes. */
    TAP_OK (ztask_label_key_valid ("zone-1.a_b", NULL, 0) && !ztask_label_key_valid ("9", why, sizeof why)
                && strcmp (why, "it must start with a lowercase letter a-z") == 0,
            "a label key may not start with a digit: %s", why);
    long_name[63] = 0;
    TAP_OK (ztask_label_key_valid (long_name, NULL, 0), "a label key of 63 bytes is fine");
    long_name[63] = 'a';
    long_name[64] = 0;
    TAP_OK (!ztask_label_key_valid (long_name, why, sizeof why) && strcmp (why, "it is longer than 63 bytes") == 0,
            "64 is not: %s", why);

    /* ---- the store, and the config over it ---- */
    char path[] = "/tmp/schedules_test.XXXXXX";
    int fd = mkstemp (path);
    close (fd);
    unlink (path);
    store_t *store = store_open (path, "normal");
    TAP_OK (store != NULL, "an SQLite store");
    def = s_def ("cli-one", "*/5 * * * *", "UTC", STORE_CATCHUP_ONCE, t0);
    def.last_fire_ms = 42000;
    store_schedule_t old = s_def ("old-config", "0 1 * * *", "", 0, t0);
    old.source = STORE_SOURCE_CONFIG;
    store_schedule_t kept = s_def ("kept", "0 1 * * *", "", 0, t0);
    kept.source = STORE_SOURCE_CONFIG;
    kept.paused = true;
    kept.last_fire_ms = 7000;
    TAP_OK (store_schedule_put (store, &def) == 0 && store_schedule_put (store, &old) == 0
                && store_schedule_put (store, &kept) == 0 && store_commit (store) == 0,
            "schedules written");
    store_close (&store);
    store = store_open (path, "normal");
    broker_config_t config;
    memset (&config, 0, sizeof config);
    broker_schedule_t entries[2] = {
        { "kept", "0 2 * * *", "", "report", 5, "", false, 0, 0 },
        { "new-one", "@hourly", "Europe/Paris", "report", 9, "hello", true, 3, 1000 },
    };
    config.schedules = entries;
    config.schedule_count = 2;
    self = schedules_new ();
    TAP_OK (schedules_load (self, store, &config, t0) == 0 && store_commit (store) == 0, "loaded, config applied");
    TAP_OK (schedules_size (self) == 3 && schedules_lookup (self, "cli-one") && !schedules_lookup (self, "old-config"),
            "  the CLI's kept, the config's that left removed");
    s = schedules_lookup (self, "kept");
    TAP_OK (s && streq (s->def.cron, "0 2 * * *") && s->def.paused && s->def.last_fire_ms == 7000,
            "  a config schedule updated, its paused state and last fire kept");
    s = schedules_lookup (self, "new-one");
    TAP_OK (s && s->def.priority == 9 && s->def.catchup == STORE_CATCHUP_ONCE && s->def.payload_size == 5
                && s->def.source == STORE_SOURCE_CONFIG,
            "  a new config schedule added");
    zlistx_t *rows = zlistx_new ();
    zlistx_set_destructor (rows, (zlistx_destructor_fn *) zstr_free);
    TAP_OK (store_schedules (store, s_collect, rows) == 0 && zlistx_size (rows) == 3, "the store holds the same three");
    const char *first = (const char *) zlistx_first (rows);
    TAP_OK (first && streq (first, "cli-one */5 * * * * UTC 0 0 42000"), "  read back as written: %s", first);
    TAP_OK (store_schedule_remove (store, "cli-one") == 0 && store_commit (store) == 0, "remove from the store");
    zlistx_purge (rows);
    store_schedules (store, s_collect, rows);
    TAP_OK (zlistx_size (rows) == 2, "  gone");
    zlistx_destroy (&rows);
    schedules_destroy (&self);
    store_close (&store);
    unlink (path);
    char *wal = zsys_sprintf ("%s-wal", path), *shm = zsys_sprintf ("%s-shm", path);
    unlink (wal);
    unlink (shm);
    zstr_free (&wal);
    zstr_free (&shm);
    return tap_done ();
}
