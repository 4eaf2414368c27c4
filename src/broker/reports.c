/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  reports - the documents of ztask stats and ztask workers. See reports.h. */
#include "reports.h"
#include "ztask/client.h"

json_t *
report_stats (scheduler_t *scheduler, worker_registry_t *workers, size_t retrying, size_t scheduled,
              const broker_counters_t *counters)
{
    size_t slots = 0, free_slots = 0;
    for (broker_worker_t *w = worker_registry_first (workers); w; w = worker_registry_next (workers)) {
        slots += w->sched.slots;
        free_slots += w->sched.free;
    }
    json_t *types = json_array ();
    for (task_type_t *t = scheduler_type_first (scheduler); t; t = scheduler_type_next (scheduler)) {
        json_t *queued = json_array ();
        size_t total = 0;
        for (int l = 0; l < TASK_PRIORITY_LEVELS; l++) {
            json_array_append_new (queued, json_integer ((json_int_t) t->level[l].queued));
            total += t->level[l].queued;
        }
        json_array_append_new (types, json_pack ("{s:s, s:I, s:o, s:I, s:I, s:I, s:b, s:b}", "type", t->name,
                                                 "workers", (json_int_t) t->workers, "queued", queued,
                                                 "running", (json_int_t) t->running, "done",
                                                 (json_int_t) t->done, "failed", (json_int_t) t->failed,
                                                 "waiting_for_plugin", total > 0 && t->workers == 0,
                                                 "paused", t->paused));
    }
    json_t *limits = json_array ();
    for (sched_limit_t *l = scheduler_limit_first (scheduler); l; l = scheduler_limit_next (scheduler))
        json_array_append_new (limits, json_pack ("{s:s, s:I, s:I}", "name", l->name, "max", (json_int_t) l->max,
                                                  "running", (json_int_t) l->running));
    const broker_counters_t *c = counters;
    json_t *refused = json_pack ("{s:I, s:I, s:I, s:I, s:I}", "too_large", (json_int_t) c->refused.too_large,
                                 "queue_full", (json_int_t) c->refused.queue_full, "role",
                                 (json_int_t) c->refused.role, "version", (json_int_t) c->refused.version,
                                 "not_registered", (json_int_t) c->refused.not_registered);
    return json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "queued",
                      (json_int_t) scheduler_queued (scheduler), "retrying", (json_int_t) retrying, "scheduled",
                      (json_int_t) scheduled, "running",
                      (json_int_t) scheduler_running (scheduler), "done", (json_int_t) c->done, "failed",
                      (json_int_t) c->failed, "workers", (json_int_t) worker_registry_size (workers), "slots",
                      (json_int_t) slots, "slots_free", (json_int_t) free_slots, "malformed",
                      (json_int_t) c->malformed, "refused", refused, "types", types, "limits", limits);
}

/* One resource of the workers document: {total, used, free}. */
static json_t *
s_resource (json_int_t total, json_int_t used)
{
    return json_pack ("{s:I, s:I, s:I}", "total", total, "used", used, "free", total - used);
}

json_t *
report_workers (worker_registry_t *workers)
{
    json_t *list = json_array ();
    for (broker_worker_t *w = worker_registry_first (workers); w; w = worker_registry_next (workers)) {
        json_t *plugins = json_array (), *levels = json_array (), *tasks = json_array ();
        for (size_t i = 0; i < w->plugin_count; i++)
            json_array_append_new (plugins, json_pack ("{s:s, s:s}", "name", w->plugins[i].name,
                                                       "version", w->plugins[i].version));
        for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
            if (w->sched.levels & (1u << l))
                json_array_append_new (levels, json_integer (l));
        for (task_t *t = w->sched.running; t; t = t->next)
            json_array_append_new (tasks, json_pack ("{s:I, s:s, s:i, s:I, s:I, s:s}", "id",
                                                     (json_int_t) t->id, "type", t->type->name,
                                                     "priority", t->priority, "progress_done",
                                                     (json_int_t) t->progress_done, "progress_total",
                                                     (json_int_t) t->progress_total, "progress_text",
                                                     t->progress_text ? t->progress_text : ""));
        json_t *labels = json_object (), *resources = json_object ();
        for (size_t i = 0; i < w->label_count; i++)
            json_object_set_new (labels, w->labels[i].key, json_string (w->labels[i].value));
        /* Slots are a resource too, used by the running tasks; the others
           are held by the running tasks that asked for them (the
           scheduler's count). */
        json_int_t busy = (json_int_t) (w->sched.slots - w->sched.free);
        json_object_set_new (resources, "slots", s_resource (w->sched.slots, busy));
        for (size_t i = 0; i < w->resource_count; i++) {
            uint64_t used = 0;
            for (size_t r = 0; r < w->sched.resource_count; r++)
                if (streq (w->sched.resources[r].name, w->resources[i].name))
                    used = w->sched.resources[r].used;
            json_object_set_new (resources, w->resources[i].name,
                                 s_resource ((json_int_t) w->resources[i].total, (json_int_t) used));
        }
        json_array_append_new (list, json_pack ("{s:s, s:s, s:o, s:o, s:I, s:I, s:b, s:o, s:o, s:o}", "name",
                                                w->name, "host", w->host, "plugins", plugins, "priorities",
                                                levels, "slots", (json_int_t) w->sched.slots, "busy", busy,
                                                "draining", w->sched.draining, "tasks", tasks, "labels", labels,
                                                "resources", resources));
    }
    return json_pack ("{s:o}", "workers", list);
}

void
report_list_row (const store_row_t *row, void *arg)
{
    json_array_append_new (
        (json_t *) arg,
        json_pack ("{s:I, s:s, s:i, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:I}", "id", (json_int_t) row->id, "type",
                   row->type, "priority", row->priority, "state", ztask_state_name ((ztask_state_t) row->state),
                   "attempts", (json_int_t) row->attempts, "max_attempts", (json_int_t) row->max_attempts,
                   "worker", row->worker, "error", row->error, "created_ms", (json_int_t) row->created_ms,
                   "finished_ms", (json_int_t) row->finished_ms, "due_ms", (json_int_t) row->due_ms));
}
