/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  why_waiting - says why a queued task waits. See why_waiting.h.

    The connected workers are sifted in the order the scheduler's rules
    apply (plugin, version, requirements, priority, resource totals); the
    first rule that no worker passes is the answer. When some worker
    passes them all, what holds the task is the fleet (a limit, the free
    resources, a kept worker) or work ahead of it. */
#include "why_waiting.h"
#include "ztask/client.h"

static void
s_say (why_waiting_t *why, const char *code, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_say (why_waiting_t *why, const char *code, const char *format, ...)
{
    why->code = code;
    va_list args;
    va_start (args, format);
    vsnprintf (why->text, sizeof why->text, format, args);
    va_end (args);
}

static const char *
s_priority_name (int level, char *buffer, size_t size)
{
    if (level == ZTASK_PRIORITY_HIGH)
        return "high";
    if (level == ZTASK_PRIORITY_NORMAL)
        return "normal";
    if (level == ZTASK_PRIORITY_LOW)
        return "low";
    snprintf (buffer, size, "%d", level);
    return buffer;
}

static const char *
s_plural (size_t n)
{
    return n == 1 ? "" : "s";
}

/* The worker's version of type's plugin, or NULL. */
static const char *
s_version (const broker_worker_t *worker, const task_type_t *type)
{
    for (size_t i = 0; i < worker->plugin_count; i++)
        if (streq (worker->plugins[i].name, type->name))
            return worker->plugins[i].version;
    return NULL;
}

static const char *
s_label (void *arg, const char *key)
{
    const broker_worker_t *worker = (const broker_worker_t *) arg;
    for (size_t i = 0; i < worker->label_count; i++)
        if (streq (worker->labels[i].key, key))
            return worker->labels[i].value;
    return NULL;
}

static uint64_t
s_total (const broker_worker_t *worker, const char *name)
{
    for (size_t i = 0; i < worker->resource_count; i++)
        if (streq (worker->resources[i].name, name))
            return worker->resources[i].total;
    return 0;
}

/* The resource of sig that worker has too little of in total, or -1. */
static int
s_short (const broker_worker_t *worker, const sched_sig_t *sig)
{
    for (size_t i = 0; i < sig->resources.count; i++)
        if (s_total (worker, sig->resources.items[i].name) < sig->resources.items[i].amount)
            return (int) i;
    return -1;
}

void
why_waiting (scheduler_t *sched, worker_registry_t *workers, const task_t *task, why_waiting_t *why)
{
    (void) sched;
    why->code = "";
    why->text[0] = 0;
    if (task->state != ZTASK_STATE_QUEUED || task->worker || task->delayed_index)
        return;
    const sched_sig_t *sig = scheduler_task_sig (task);
    const task_type_t *type = task->type;
    char level_name[8];
    const char *level = s_priority_name (task->priority, level_name, sizeof level_name);
    if (type->paused) {
        s_say (why, "paused", "task type %s is paused (ztask resume %s)", type->name, type->name);
        return;
    }
    size_t with_plugin = 0, with_version = 0, matching = 0, serving = 0, fitting = 0;
    int unmet = -1;                 /* a requirement the workers with the plugin miss */
    int short_index = -1;           /* a resource every such worker has too little of */
    uint64_t largest = 0;
    for (broker_worker_t *w = worker_registry_first (workers); w; w = worker_registry_next (workers)) {
        const char *version = s_version (w, type);
        if (!version)
            continue;
        with_plugin++;
        if (sig->has_version && !ztask_version_constraint_match (&sig->version, version))
            continue;
        with_version++;
        if (sig->require) {
            int first = ztask_require_first_unmet (sig->require, s_label, w);
            if (first >= 0) {
                if (unmet < 0)
                    unmet = first;
                continue;
            }
        }
        matching++;
        if (!(w->sched.levels & (1u << task->priority)))
            continue;
        serving++;
        int shortage = s_short (w, sig);
        if (shortage >= 0) {
            if (short_index < 0)
                short_index = shortage;
            uint64_t has = s_total (w, sig->resources.items[short_index].name);
            if (has > largest)
                largest = has;
            continue;
        }
        fitting++;
    }
    if (!with_version) {
        if (with_plugin)
            s_say (why, "no_version", "no connected worker has plugin %s (%zu worker%s %s other versions)",
                   sig->version_text, with_plugin, s_plural (with_plugin), with_plugin == 1 ? "has" : "have");
        else
            s_say (why, "no_plugin", "no connected worker has plugin %s",
                   sig->has_version ? sig->version_text : type->name);
        return;
    }
    const char *what = sig->has_version ? sig->version_text : type->name;
    if (!matching) {
        s_say (why, "requirement", "%zu worker%s %s plugin %s but none matches %s", with_version,
               s_plural (with_version), with_version == 1 ? "has" : "have", what,
               ztask_require_text (sig->require, (size_t) unmet));
        return;
    }
    if (!serving) {
        if (sig->require)
            s_say (why, "no_priority", "%zu worker%s match%s %s but none serves priority %s", matching,
                   s_plural (matching), matching == 1 ? "es" : "", ztask_require_signature (sig->require), level);
        else
            s_say (why, "no_priority", "%zu worker%s %s plugin %s but none serves priority %s", matching,
                   s_plural (matching), matching == 1 ? "has" : "have", what, level);
        return;
    }
    if (!fitting) {
        const ztask_resource_t *asked = &sig->resources.items[short_index];
        s_say (why, "resources", "needs %s=%" PRIu64 "; the largest matching worker has %" PRIu64, asked->name,
               asked->amount, largest);
        return;
    }
    const sched_limit_t *limits[2] = { sig->limit, type->limit };
    for (int i = 0; i < 2; i++)
        if (limits[i] && limits[i]->running >= limits[i]->max) {
            s_say (why, "limit", "limit %s is full: %u of %u", limits[i]->name, limits[i]->running, limits[i]->max);
            return;
        }
    if (sig->reserved) {
        const broker_worker_t *kept = (const broker_worker_t *) sig->reserved;
        s_say (why, "reserved", "needs %s free: worker %s is kept for it until that much is free",
               sig->needs_text ? sig->needs_text : "resources", kept->name);
        return;
    }
    if (sig->resources.count)
        s_say (why, "busy", "%zu worker%s can run it; none has a free slot with %s free, or older or"
               " higher-priority tasks go first", fitting, s_plural (fitting), sig->needs_text);
    else
        s_say (why, "busy", "%zu worker%s can run it; all are busy with older or higher-priority tasks", fitting,
               s_plural (fitting));
}
