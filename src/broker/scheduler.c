/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  scheduler - matches queued tasks with free worker slots. See scheduler.h. */
#include "scheduler.h"

#define TYPES_MAX 4096 /* distinct task types the broker keeps track of */
#define SIGS_MAX 16384 /* distinct signatures (beyond each type's plain one) */
#define LIMITS_MAX 1024 /* fleet-wide limits */
/* Queue stamps count up from here at the back of a level and down at its
   front, so every queue stays sorted by seq. */
#define SEQ_START (UINT64_C (1) << 62)

/* A worker's membership in the free list of one (type, level). */
struct free_node {
    sched_worker_t *worker;
    free_bucket_t *bucket;
    free_node_t *prev, *next;
};

/* Free workers of one specialisation, idle longest first. */
struct free_bucket {
    size_t plugins;          /* how many plugins these workers have        */
    size_t levels;           /* how many levels they serve                 */
    size_t kinds;            /* how many kinds of resources they have      */
    free_node_t *head, *tail;
};

/* A list of pointers that grows. */
#define S_PUSH(array, count, max)                                                                  \
    do {                                                                                           \
        if ((count) == (max)) {                                                                    \
            (max) = (max) ? 2 * (max) : 8;                                                         \
            (array) = realloc ((array), (max) * sizeof *(array));                                  \
            assert (array);                                                                        \
        }                                                                                          \
    } while (0)

struct scheduler {
    zhashx_t *types;         /* name -> task_type_t                        */
    zhashx_t *sigs;          /* type name + 0x1e + key -> sched_sig_t (not plain ones) */
    zhashx_t *limits;        /* name -> sched_limit_t                      */
    task_type_t **unused;    /* types that may have no user left           */
    size_t unused_count, unused_max;
    sched_sig_t **unused_sigs; /* signatures likewise                      */
    size_t unused_sig_count, unused_sig_max;
    sched_worker_t *pending_workers; /* reservation dropped: offer them tasks */
    sched_worker_t **kept;   /* reserved workers                           */
    size_t kept_count, kept_max;
    task_type_t **pending_types; /* resumed types                          */
    size_t pending_type_count, pending_type_max;
    sched_limit_t **pending_limits; /* full limits with room again        */
    size_t pending_limit_count, pending_limit_max;
    uint64_t next_seq;       /* FIFO stamp for the next task at the back   */
    uint64_t front_seq;      /* stamp for the next task requeued at the front */
    size_t queued;           /* tasks in all queues                        */
    size_t running;          /* tasks on worker slots                      */
    size_t unfilled;         /* workers given a slot or resources back and
                                not yet offered tasks (scheduler_assign)   */
};

static sched_sig_t *
s_sig_alloc (task_type_t *type)
{
    sched_sig_t *sig = (sched_sig_t *) zmalloc (sizeof (sched_sig_t));
    assert (sig);
    sig->type = type;
    return sig;
}

static void
s_sig_free (sched_sig_t *sig)
{
    if (sig->limit)
        for (size_t i = 0; i < sig->limit->sig_count; i++)
            if (sig->limit->sigs[i] == sig) {
                sig->limit->sigs[i] = sig->limit->sigs[--sig->limit->sig_count];
                break;
            }
    ztask_require_destroy (&sig->require);
    free (sig->key);
    free (sig->version_text);
    free (sig->needs_text);
    free (sig);
}

static void
s_type_destroy (void **item)
{
    task_type_t *type = (task_type_t *) *item;
    for (int l = 0; l < TASK_PRIORITY_LEVELS; l++) {
        for (size_t b = 0; b < type->level[l].bucket_count; b++)
            free (type->level[l].buckets[b]);
        free (type->level[l].buckets);
        free (type->level[l].heap);
    }
    /* Its other signatures are in the signature table, which frees them
       (the broker forgets a type only once nothing uses its signatures). */
    s_sig_free (type->plain);
    free (type->sigs);
    if (type->limit)
        type->limit->type = NULL;
    free (type->name);
    free (type);
    *item = NULL;
}

static void
s_sig_destroy (void **item)
{
    sched_sig_t *sig = (sched_sig_t *) *item;
    task_type_t *type = sig->type;
    for (size_t i = 0; i < type->sig_count; i++)
        if (type->sigs[i] == sig) {
            type->sigs[i] = type->sigs[--type->sig_count];
            break;
        }
    s_sig_free (sig);
    *item = NULL;
}

static void
s_limit_destroy (void **item)
{
    sched_limit_t *limit = (sched_limit_t *) *item;
    free (limit->name);
    free (limit->sigs);
    free (limit);
    *item = NULL;
}

scheduler_t *
scheduler_new (void)
{
    scheduler_t *self = (scheduler_t *) zmalloc (sizeof (scheduler_t));
    assert (self);
    self->types = zhashx_new ();
    assert (self->types);
    zhashx_set_destructor (self->types, s_type_destroy);
    self->sigs = zhashx_new ();
    assert (self->sigs);
    zhashx_set_destructor (self->sigs, s_sig_destroy);
    self->limits = zhashx_new ();
    assert (self->limits);
    zhashx_set_destructor (self->limits, s_limit_destroy);
    self->next_seq = SEQ_START;
    self->front_seq = SEQ_START - 1;
    return self;
}

void
scheduler_destroy (scheduler_t **self_p)
{
    assert (self_p);
    scheduler_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->sigs); /* before the types they name */
        zhashx_destroy (&self->types);
        zhashx_destroy (&self->limits);
        free (self->unused);
        free (self->unused_sigs);
        free (self->pending_types);
        free (self->pending_limits);
        free (self->kept);
        free (self);
        *self_p = NULL;
    }
}

task_type_t *
scheduler_type_lookup (scheduler_t *self, const char *name)
{
    return (task_type_t *) zhashx_lookup (self->types, name);
}

/* Puts type on the list scheduler_collect checks (once). */
static void
s_type_maybe_unused (scheduler_t *self, task_type_t *type)
{
    if (type->unused_maybe)
        return;
    S_PUSH (self->unused, self->unused_count, self->unused_max);
    self->unused[self->unused_count++] = type;
    type->unused_maybe = true;
}

static void
s_sig_maybe_unused (scheduler_t *self, sched_sig_t *sig)
{
    if (sig->unused_maybe || sig == sig->type->plain)
        return;
    S_PUSH (self->unused_sigs, self->unused_sig_count, self->unused_sig_max);
    self->unused_sigs[self->unused_sig_count++] = sig;
    sig->unused_maybe = true;
}

static bool
s_type_used (task_type_t *type)
{
    if (type->workers || type->tasks || type->running || type->paused || type->pending)
        return true;
    for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
        if (type->level[l].queued)
            return true;
    return false;
}

static bool
s_sig_used (sched_sig_t *sig)
{
    if (sig->tasks || sig->reserved)
        return true;
    for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
        if (sig->level[l].queued)
            return true;
    return false;
}

task_type_t *
scheduler_type (scheduler_t *self, const char *name)
{
    task_type_t *type = scheduler_type_lookup (self, name);
    if (type || zhashx_size (self->types) >= TYPES_MAX)
        return type;
    type = (task_type_t *) zmalloc (sizeof (task_type_t));
    assert (type);
    type->name = strdup (name);
    assert (type->name);
    type->plain = s_sig_alloc (type);
    type->plain->any = true;
    type->plain->key = strdup ("");
    assert (type->plain->key);
    S_PUSH (type->sigs, type->sig_count, type->sig_max);
    type->sigs[type->sig_count++] = type->plain;
    sched_limit_t *limit = scheduler_limit_lookup (self, name);
    if (limit) {
        type->limit = limit;
        limit->type = type;
    }
    zhashx_insert (self->types, name, type);
    s_type_maybe_unused (self, type); /* a type named by a refused request */
    return type;
}

void
scheduler_collect (scheduler_t *self)
{
    /* Signatures first: a type is forgotten only when none of its
       signatures is used, and forgetting it frees its plain one. */
    for (size_t i = 0; i < self->unused_sig_count; i++) {
        sched_sig_t *sig = self->unused_sigs[i];
        sig->unused_maybe = false;
        if (!s_sig_used (sig)) {
            char key[512];
            snprintf (key, sizeof key, "%s\x1e%s", sig->type->name, sig->key);
            zhashx_delete (self->sigs, key); /* frees sig */
        }
    }
    self->unused_sig_count = 0;
    for (size_t i = 0; i < self->unused_count; i++) {
        task_type_t *type = self->unused[i];
        type->unused_maybe = false;
        if (!s_type_used (type)) {
            /* Its signatures are unused too (each task counts in both). */
            while (type->sig_count > 1) {
                sched_sig_t *sig = type->sigs[1];
                char key[512];
                snprintf (key, sizeof key, "%s\x1e%s", type->name, sig->key);
                zhashx_delete (self->sigs, key);
            }
            zhashx_delete (self->types, type->name); /* frees type */
        }
    }
    self->unused_count = 0;
}

sched_sig_t *
scheduler_task_sig (const task_t *task)
{
    return task->sig ? task->sig : task->type->plain;
}

void
scheduler_task_added (scheduler_t *self, task_t *task)
{
    (void) self;
    task->type->tasks++;
    scheduler_task_sig (task)->tasks++;
}

void
scheduler_task_ended (scheduler_t *self, task_t *task, bool done)
{
    task_type_t *type = task->type;
    sched_sig_t *sig = scheduler_task_sig (task);
    assert (type->tasks > 0 && sig->tasks > 0);
    type->tasks--;
    if (--sig->tasks == 0)
        s_sig_maybe_unused (self, sig);
    if (done)
        type->done++;
    else
        type->failed++;
    if (type->tasks == 0)
        s_type_maybe_unused (self, type);
}

task_type_t *
scheduler_type_first (scheduler_t *self)
{
    return (task_type_t *) zhashx_first (self->types);
}

task_type_t *
scheduler_type_next (scheduler_t *self)
{
    return (task_type_t *) zhashx_next (self->types);
}

size_t
scheduler_queued (scheduler_t *self)
{
    return self->queued;
}

size_t
scheduler_running (scheduler_t *self)
{
    return self->running;
}

/* ---- limits ---- */

int
scheduler_limit_set (scheduler_t *self, const char *name, uint32_t max)
{
    sched_limit_t *limit = scheduler_limit_lookup (self, name);
    if (!limit) {
        if (zhashx_size (self->limits) >= LIMITS_MAX)
            return -1;
        limit = (sched_limit_t *) zmalloc (sizeof (sched_limit_t));
        assert (limit);
        limit->name = strdup (name);
        assert (limit->name);
        zhashx_insert (self->limits, name, limit);
        task_type_t *type = scheduler_type_lookup (self, name);
        if (type) {
            type->limit = limit;
            limit->type = type;
        }
    }
    limit->max = max;
    return 0;
}

sched_limit_t *
scheduler_limit_lookup (scheduler_t *self, const char *name)
{
    return (sched_limit_t *) zhashx_lookup (self->limits, name);
}

sched_limit_t *
scheduler_limit_first (scheduler_t *self)
{
    return (sched_limit_t *) zhashx_first (self->limits);
}

sched_limit_t *
scheduler_limit_next (scheduler_t *self)
{
    return (sched_limit_t *) zhashx_next (self->limits);
}

static bool
s_limits_full (const sched_sig_t *sig)
{
    return (sig->limit && sig->limit->running >= sig->limit->max)
           || (sig->type->limit && sig->type->limit->running >= sig->type->limit->max);
}

static void s_unreserve (scheduler_t *self, sched_sig_t *sig, bool pending);

/* A full limit keeps no worker: its tasks could not start there anyway. */
static void
s_limit_take (scheduler_t *self, sched_limit_t *limit)
{
    if (!limit || ++limit->running < limit->max)
        return;
    for (size_t i = 0; i < limit->sig_count; i++)
        s_unreserve (self, limit->sigs[i], true);
    for (size_t i = 0; limit->type && i < limit->type->sig_count; i++)
        s_unreserve (self, limit->type->sigs[i], true);
}

static void
s_limit_give (scheduler_t *self, sched_limit_t *limit)
{
    if (!limit)
        return;
    assert (limit->running > 0);
    if (limit->running-- == limit->max && !limit->pending) {
        limit->pending = true;
        S_PUSH (self->pending_limits, self->pending_limit_count, self->pending_limit_max);
        self->pending_limits[self->pending_limit_count++] = limit;
    }
}

/* ---- signatures ---- */

sched_sig_t *
scheduler_sig (scheduler_t *self, task_type_t *type, const sched_needs_t *needs, char *error,
               size_t error_size)
{
    if (!needs || (!needs->require_count && !(needs->version && *needs->version)
                   && !(needs->needs && *needs->needs) && !(needs->limit && *needs->limit)))
        return type->plain;
    char message[256];
    int failed = -1;
    ztask_require_t *require = NULL;
    if (needs->require_count) {
        require = ztask_require_new (needs->require, needs->require_count, message, sizeof message, &failed);
        if (!require) {
            if (failed >= 0)
                snprintf (error, error_size, "requirement '%.255s': %s", needs->require[failed], message);
            else
                snprintf (error, error_size, "%s", message);
            return NULL;
        }
    }
    ztask_version_constraint_t version;
    char version_text[ZTASK_VERSION_CONSTRAINT_TEXT_MAX + 1] = "";
    bool has_version = needs->version && *needs->version;
    if (has_version) {
        if (ztask_version_constraint_parse (needs->version, &version, message, sizeof message) == -1) {
            snprintf (error, error_size, "version constraint '%.320s': %s", needs->version, message);
            ztask_require_destroy (&require);
            return NULL;
        }
        if (strcmp (version.type, type->name) != 0) {
            snprintf (error, error_size, "version constraint '%.320s' names plugin %.255s, the task's type is %.255s",
                      needs->version, version.type, type->name);
            ztask_require_destroy (&require);
            return NULL;
        }
        ztask_version_constraint_format (&version, version_text, sizeof version_text);
    }
    ztask_resources_t resources = { 0 };
    char needs_text[ZTASK_RESOURCES_FORMAT_SIZE] = "";
    if (needs->needs && *needs->needs) {
        if (ztask_resources_parse (needs->needs, &resources, message, sizeof message) == -1) {
            snprintf (error, error_size, "resources '%.1023s': %s", needs->needs, message);
            ztask_require_destroy (&require);
            return NULL;
        }
        for (size_t i = 0; i < resources.count; i++)
            if (strcmp (resources.items[i].name, "slots") == 0) {
                snprintf (error, error_size, "resources '%.1023s': every task takes one slot; slots cannot be asked for",
                          needs->needs);
                ztask_require_destroy (&require);
                return NULL;
            }
        ztask_resources_format (&resources, needs_text, sizeof needs_text);
    }
    sched_limit_t *limit = NULL;
    if (needs->limit && *needs->limit) {
        limit = scheduler_limit_lookup (self, needs->limit);
        if (!limit) {
            snprintf (error, error_size, "no limit named '%.255s' in the broker's config", needs->limit);
            ztask_require_destroy (&require);
            return NULL;
        }
    }
    const char *signature = require ? ztask_require_signature (require) : "";
    if (!require && !has_version && !resources.count && !limit)
        return type->plain; /* e.g. "--needs ''" */
    size_t key_size = strlen (type->name) + 1 + strlen (version_text) + 1 + strlen (signature) + 1
                      + strlen (needs_text) + 1 + (limit ? strlen (limit->name) : 0) + 1;
    char *full = (char *) malloc (key_size);
    assert (full);
    snprintf (full, key_size, "%s\x1e%s\x1f%s\x1f%s\x1f%s", type->name, version_text, signature, needs_text,
              limit ? limit->name : "");
    sched_sig_t *sig = (sched_sig_t *) zhashx_lookup (self->sigs, full);
    if (sig) {
        free (full);
        ztask_require_destroy (&require);
        return sig;
    }
    if (zhashx_size (self->sigs) >= SIGS_MAX) {
        snprintf (error, error_size, "the broker has %d distinct kinds of requests already", SIGS_MAX);
        free (full);
        ztask_require_destroy (&require);
        return NULL;
    }
    if (strlen (full) >= 512) { /* scheduler_collect's key buffer */
        snprintf (error, error_size, "the request's requirements are too long together");
        free (full);
        ztask_require_destroy (&require);
        return NULL;
    }
    sig = s_sig_alloc (type);
    sig->key = strdup (full + strlen (type->name) + 1);
    assert (sig->key);
    sig->require = require;
    sig->has_version = has_version;
    if (has_version) {
        sig->version = version;
        sig->version_text = strdup (version_text);
        assert (sig->version_text);
    }
    sig->resources = resources;
    sig->any = !require && !has_version && !resources.count;
    if (resources.count) {
        sig->needs_text = strdup (needs_text);
        assert (sig->needs_text);
    }
    if (limit) {
        sig->limit = limit;
        S_PUSH (limit->sigs, limit->sig_count, limit->sig_max);
        limit->sigs[limit->sig_count++] = sig;
    }
    zhashx_insert (self->sigs, full, sig);
    free (full);
    S_PUSH (type->sigs, type->sig_count, type->sig_max);
    type->sigs[type->sig_count++] = sig;
    s_sig_maybe_unused (self, sig); /* named by a request that may be refused */
    return sig;
}

/* Does sig ask nothing of a worker beyond plugin and level? */
static bool
s_sig_any (const sched_sig_t *sig)
{
    return sig->any;
}

static const char *
s_worker_version (const sched_worker_t *worker, const task_type_t *type)
{
    if (!worker->versions)
        return NULL;
    for (size_t t = 0; t < worker->type_count; t++)
        if (worker->types[t] == type)
            return worker->versions[t];
    return NULL;
}

static sched_resource_t *
s_worker_resource (const sched_worker_t *worker, const char *name)
{
    size_t lo = 0, hi = worker->resource_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int order = strcmp (worker->resources[mid].name, name);
        if (order == 0)
            return &worker->resources[mid];
        if (order < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Could worker ever run sig's tasks (it has their plugin)? With now, also
   with what it has free at the moment (not its slots). */
static bool
s_sig_fits (const sched_worker_t *worker, const sched_sig_t *sig, bool now)
{
    if (s_sig_any (sig))
        return true;
    if (sig->has_version) {
        const char *version = s_worker_version (worker, sig->type);
        if (!version || !ztask_version_constraint_match (&sig->version, version))
            return false;
    }
    if (sig->require && !ztask_require_match_labels (sig->require, worker->labels, worker->label_count))
        return false;
    for (size_t i = 0; i < sig->resources.count; i++) {
        const ztask_resource_t *asked = &sig->resources.items[i];
        if (asked->amount == 0)
            continue;
        sched_resource_t *has = s_worker_resource (worker, asked->name);
        /* used may exceed total after a worker came back with less and
           kept its tasks */
        if (!has || has->total < asked->amount
            || (now && (has->used > has->total || has->total - has->used < asked->amount)))
            return false;
    }
    return true;
}

bool
scheduler_can_ever_run (const sched_worker_t *worker, const task_t *task)
{
    bool has = false;
    for (size_t t = 0; t < worker->type_count && !has; t++)
        has = worker->types[t] == task->type;
    return has && (worker->levels & (1u << task->priority))
           && s_sig_fits (worker, scheduler_task_sig (task), false);
}

task_t *
scheduler_oldest (task_type_t *type, int level)
{
    return type->level[level].head;
}

/* ---- the heap of signatures with queued tasks, per (type, level) ---- */

static uint64_t
s_head_seq (const sched_sig_t *sig, int level)
{
    return sig->level[level].heap_key;
}

static void
s_heap_set (type_level_t *tl, size_t i, sched_sig_t *sig, int level)
{
    tl->heap[i] = sig;
    sig->level[level].heap_index = i + 1;
}

static void
s_heap_up (type_level_t *tl, size_t i, int level)
{
    sched_sig_t *sig = tl->heap[i];
    uint64_t seq = s_head_seq (sig, level);
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (s_head_seq (tl->heap[parent], level) <= seq)
            break;
        s_heap_set (tl, i, tl->heap[parent], level);
        i = parent;
    }
    s_heap_set (tl, i, sig, level);
}

static void
s_heap_down (type_level_t *tl, size_t i, int level)
{
    sched_sig_t *sig = tl->heap[i];
    uint64_t seq = s_head_seq (sig, level);
    while (true) {
        size_t child = 2 * i + 1;
        if (child >= tl->heap_count)
            break;
        if (child + 1 < tl->heap_count
            && s_head_seq (tl->heap[child + 1], level) < s_head_seq (tl->heap[child], level))
            child++;
        if (s_head_seq (tl->heap[child], level) >= seq)
            break;
        s_heap_set (tl, i, tl->heap[child], level);
        i = child;
    }
    s_heap_set (tl, i, sig, level);
}

static void
s_heap_push (type_level_t *tl, sched_sig_t *sig, int level)
{
    S_PUSH (tl->heap, tl->heap_count, tl->heap_max);
    tl->heap[tl->heap_count++] = sig;
    s_heap_up (tl, tl->heap_count - 1, level);
}

static void
s_heap_remove (type_level_t *tl, sched_sig_t *sig, int level)
{
    size_t i = sig->level[level].heap_index - 1;
    sig->level[level].heap_index = 0;
    sched_sig_t *last = tl->heap[--tl->heap_count];
    if (last == sig)
        return;
    s_heap_set (tl, i, last, level);
    s_heap_up (tl, i, level);
    s_heap_down (tl, last->level[level].heap_index - 1, level);
}

/* ---- free worker index ---- */

/* The bucket of (type, level) for a specialisation, created in order. */
static free_bucket_t *
s_bucket (type_level_t *tl, size_t plugins, size_t levels, size_t kinds)
{
    size_t i = 0;
    while (i < tl->bucket_count) {
        free_bucket_t *b = tl->buckets[i];
        if (b->plugins == plugins && b->levels == levels && b->kinds == kinds)
            return b;
        if (b->plugins > plugins || (b->plugins == plugins && b->levels > levels)
            || (b->plugins == plugins && b->levels == levels && b->kinds > kinds))
            break;
        i++;
    }
    free_bucket_t **grown = (free_bucket_t **) realloc (tl->buckets, (tl->bucket_count + 1) * sizeof *grown);
    assert (grown);
    tl->buckets = grown;
    memmove (&tl->buckets[i + 1], &tl->buckets[i], (tl->bucket_count - i) * sizeof *grown);
    free_bucket_t *b = (free_bucket_t *) zmalloc (sizeof (free_bucket_t));
    assert (b);
    b->plugins = plugins;
    b->levels = levels;
    b->kinds = kinds;
    tl->buckets[i] = b;
    tl->bucket_count++;
    return b;
}

static void
s_node_link (free_node_t *node)
{
    free_bucket_t *b = node->bucket;
    node->next = NULL;
    node->prev = b->tail;
    if (b->tail)
        b->tail->next = node;
    else
        b->head = node;
    b->tail = node;
}

static void
s_node_unlink (free_node_t *node)
{
    free_bucket_t *b = node->bucket;
    if (node->prev)
        node->prev->next = node->next;
    else
        b->head = node->next;
    if (node->next)
        node->next->prev = node->prev;
    else
        b->tail = node->prev;
    node->prev = node->next = NULL;
}

/* Is worker in the free lists? While it has a free slot and is neither
   draining nor kept for a signature. */
static bool
s_linked (const sched_worker_t *worker)
{
    return worker->nodes && worker->free > 0 && !worker->draining && !worker->reserved;
}

/* Worker becomes the most recently idle of its buckets. */
static void
s_worker_link (sched_worker_t *worker)
{
    for (size_t i = 0; i < worker->node_count; i++)
        s_node_link (&worker->nodes[i]);
}

static void
s_worker_unlink (sched_worker_t *worker)
{
    for (size_t i = 0; i < worker->node_count; i++)
        s_node_unlink (&worker->nodes[i]);
}

/* ---- reservations ---- */

static void
s_pending_worker (scheduler_t *self, sched_worker_t *worker)
{
    if (worker->pending)
        return;
    worker->pending = true;
    worker->pending_next = self->pending_workers;
    self->pending_workers = worker;
}

static void
s_pending_worker_drop (scheduler_t *self, sched_worker_t *worker)
{
    if (!worker->pending)
        return;
    for (sched_worker_t **p = &self->pending_workers; *p; p = &(*p)->pending_next)
        if (*p == worker) {
            *p = worker->pending_next;
            break;
        }
    worker->pending = false;
    worker->pending_next = NULL;
}

static void
s_reserve (scheduler_t *self, sched_worker_t *worker, sched_sig_t *sig)
{
    assert (!worker->reserved && !sig->reserved);
    if (s_linked (worker))
        s_worker_unlink (worker);
    worker->reserved = sig;
    sig->reserved = worker;
    S_PUSH (self->kept, self->kept_count, self->kept_max);
    self->kept[self->kept_count++] = worker;
}

/* Drops sig's reservation: its worker is free for any task again and is
   offered tasks through scheduler_unblocked (pending: true). */
static void
s_unreserve (scheduler_t *self, sched_sig_t *sig, bool pending)
{
    sched_worker_t *worker = sig->reserved;
    if (!worker)
        return;
    worker->reserved = NULL;
    sig->reserved = NULL;
    for (size_t i = 0; i < self->kept_count; i++)
        if (self->kept[i] == worker) {
            self->kept[i] = self->kept[--self->kept_count];
            break;
        }
    if (s_linked (worker)) {
        s_worker_link (worker);
        if (pending)
            s_pending_worker (self, worker);
    }
    s_sig_maybe_unused (self, sig);
}

/* ---- slots ---- */

static void
s_unfilled (scheduler_t *self, sched_worker_t *worker, bool unfilled)
{
    if (worker->unfilled == unfilled)
        return;
    worker->unfilled = unfilled;
    if (unfilled)
        self->unfilled++;
    else
        self->unfilled--;
}

static void
s_worker_resources_free (sched_worker_t *worker)
{
    free (worker->resources);
    worker->resources = NULL;
    worker->resource_count = 0;
}

static void
s_running_push (sched_worker_t *worker, task_t *task)
{
    task->worker = worker;
    task->prev = NULL;
    task->next = worker->running;
    if (worker->running)
        worker->running->prev = task;
    worker->running = task;
}

/* Takes a free slot of worker, and the resources sig asks, for task. A
   worker that still has free slots goes to the back of its buckets, so
   equal workers share the load. */
static void
s_take_slot (scheduler_t *self, sched_worker_t *worker, task_t *task)
{
    assert (worker->free > 0);
    sched_sig_t *sig = scheduler_task_sig (task);
    if (s_linked (worker))
        s_worker_unlink (worker);
    worker->free--;
    if (s_linked (worker))
        s_worker_link (worker);
    for (size_t i = 0; i < sig->resources.count; i++) {
        sched_resource_t *has = s_worker_resource (worker, sig->resources.items[i].name);
        if (has)
            has->used += sig->resources.items[i].amount;
    }
    s_limit_take (self, sig->limit);
    s_limit_take (self, sig->type->limit);
    s_running_push (worker, task);
    task->type->running++;
    self->running++;
}

void
scheduler_release (scheduler_t *self, task_t *task)
{
    sched_worker_t *worker = task->worker;
    assert (worker);
    if (task->prev)
        task->prev->next = task->next;
    else
        worker->running = task->next;
    if (task->next)
        task->next->prev = task->prev;
    task->prev = task->next = NULL;
    task->worker = NULL;
    task->type->running--;
    self->running--;
    sched_sig_t *sig = scheduler_task_sig (task);
    for (size_t i = 0; i < sig->resources.count; i++) {
        sched_resource_t *has = s_worker_resource (worker, sig->resources.items[i].name);
        if (has) {
            assert (has->used >= sig->resources.items[i].amount);
            has->used -= sig->resources.items[i].amount;
        }
    }
    s_limit_give (self, sig->limit);
    s_limit_give (self, sig->type->limit);
    /* A removed worker (no nodes) has no slots to give back; a draining
       one gives them back but is not offered tasks. */
    if (!worker->nodes) {
        if (!worker->running)
            s_worker_resources_free (worker);
        return;
    }
    worker->free++;
    if (worker->free == 1 && s_linked (worker))
        s_worker_link (worker);
    s_unfilled (self, worker, true);
}

int
scheduler_adopt (scheduler_t *self, sched_worker_t *worker, task_t *task)
{
    if (worker->free == 0 || worker->draining)
        return -1;
    s_take_slot (self, worker, task);
    return 0;
}

void
scheduler_worker_drain (scheduler_t *self, sched_worker_t *worker)
{
    if (worker->draining)
        return;
    if (worker->reserved)
        s_unreserve (self, worker->reserved, false);
    if (s_linked (worker))
        s_worker_unlink (worker);
    worker->draining = true;
    s_pending_worker_drop (self, worker);
}

/* ---- workers ---- */

static int
s_resource_compare (const void *a, const void *b)
{
    return strcmp (((const sched_resource_t *) a)->name, ((const sched_resource_t *) b)->name);
}

void
scheduler_worker_add (scheduler_t *self, sched_worker_t *worker, task_type_t **types,
                      size_t type_count, uint16_t levels, uint32_t slots, const sched_offer_t *offer)
{
    assert (slots > 0);
    memset (worker, 0, sizeof *worker);
    worker->types = (task_type_t **) malloc (type_count * sizeof *types + 1);
    assert (worker->types);
    memcpy (worker->types, types, type_count * sizeof *types);
    worker->type_count = type_count;
    worker->levels = levels & ((1u << TASK_PRIORITY_LEVELS) - 1);
    worker->level_count = (uint16_t) __builtin_popcount (worker->levels);
    worker->slots = worker->free = slots;
    if (offer && offer->versions) {
        worker->versions = (const char **) malloc (type_count * sizeof (char *) + 1);
        assert (worker->versions);
        memcpy (worker->versions, offer->versions, type_count * sizeof (char *));
    }
    if (offer && offer->label_count) {
        worker->labels = (ztask_label_t *) malloc (offer->label_count * sizeof (ztask_label_t));
        assert (worker->labels);
        memcpy (worker->labels, offer->labels, offer->label_count * sizeof (ztask_label_t));
        worker->label_count = offer->label_count;
        ztask_labels_sort (worker->labels, worker->label_count);
    }
    if (offer && offer->resource_count) {
        worker->resources = (sched_resource_t *) zmalloc (offer->resource_count * sizeof (sched_resource_t));
        assert (worker->resources);
        for (size_t i = 0; i < offer->resource_count; i++) {
            worker->resources[i].name = offer->resource_names[i];
            worker->resources[i].total = offer->resource_totals[i];
        }
        worker->resource_count = offer->resource_count;
        qsort (worker->resources, worker->resource_count, sizeof (sched_resource_t), s_resource_compare);
    }
    worker->node_count = type_count * worker->level_count;
    worker->nodes = (free_node_t *) zmalloc (worker->node_count * sizeof (free_node_t) + 1);
    assert (worker->nodes);
    size_t n = 0;
    for (size_t t = 0; t < type_count; t++) {
        types[t]->workers++;
        for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
            if (worker->levels & (1u << l)) {
                worker->nodes[n].worker = worker;
                worker->nodes[n].bucket
                    = s_bucket (&types[t]->level[l], type_count, worker->level_count, worker->resource_count);
                n++;
            }
    }
    s_worker_link (worker);
    s_unfilled (self, worker, true);
}

void
scheduler_worker_remove (scheduler_t *self, sched_worker_t *worker)
{
    s_unfilled (self, worker, false);
    if (worker->reserved)
        s_unreserve (self, worker->reserved, false);
    if (s_linked (worker))
        s_worker_unlink (worker);
    s_pending_worker_drop (self, worker);
    for (size_t t = 0; t < worker->type_count; t++)
        if (--worker->types[t]->workers == 0)
            s_type_maybe_unused (self, worker->types[t]);
    free (worker->nodes);
    worker->nodes = NULL;
    worker->node_count = 0;
    worker->free = 0;
    free (worker->types);
    worker->types = NULL;
    worker->type_count = 0;
    free (worker->versions);
    worker->versions = NULL;
    free (worker->labels);
    worker->labels = NULL;
    worker->label_count = 0;
    /* Its resources stay until its running tasks are released. */
    if (!worker->running)
        s_worker_resources_free (worker);
}

/* ---- tasks ---- */

static void
s_enqueue (scheduler_t *self, task_t *task, bool front)
{
    sched_sig_t *sig = scheduler_task_sig (task);
    int level = task->priority;
    sig_level_t *sl = &sig->level[level];
    type_level_t *tl = &task->type->level[level];
    /* A requeued task goes before every task queued at its priority, of
       any type: assign compares the heads of the queues by seq. */
    task->seq = front ? self->front_seq-- : self->next_seq++;
    if (front) {
        task->prev = NULL;
        task->next = sl->head;
        if (sl->head)
            sl->head->prev = task;
        else
            sl->tail = task;
        sl->head = task;
    }
    else {
        task->next = NULL;
        task->prev = sl->tail;
        if (sl->tail)
            sl->tail->next = task;
        else
            sl->head = task;
        sl->tail = task;
    }
    sl->queued++;
    if (front) {
        task->fifo_prev = NULL;
        task->fifo_next = tl->head;
        if (tl->head)
            tl->head->fifo_prev = task;
        else
            tl->tail = task;
        tl->head = task;
    }
    else {
        task->fifo_next = NULL;
        task->fifo_prev = tl->tail;
        if (tl->tail)
            tl->tail->fifo_next = task;
        else
            tl->head = task;
        tl->tail = task;
    }
    if (sl->queued == 1) {
        sl->heap_key = task->seq;
        s_heap_push (tl, sig, level);
    }
    else if (front) {
        sl->heap_key = task->seq; /* smaller: restore the heap now */
        s_heap_up (tl, sl->heap_index - 1, level);
    }
    tl->queued++;
    self->queued++;
}

/* Takes task out of its queue; keeps a reservation that still has tasks. */
static void
s_unqueue (scheduler_t *self, task_t *task)
{
    sched_sig_t *sig = scheduler_task_sig (task);
    int level = task->priority;
    sig_level_t *sl = &sig->level[level];
    type_level_t *tl = &task->type->level[level];
    if (task->fifo_prev)
        task->fifo_prev->fifo_next = task->fifo_next;
    else
        tl->head = task->fifo_next;
    if (task->fifo_next)
        task->fifo_next->fifo_prev = task->fifo_prev;
    else
        tl->tail = task->fifo_prev;
    task->fifo_prev = task->fifo_next = NULL;
    if (task->prev)
        task->prev->next = task->next;
    else
        sl->head = task->next;
    if (task->next)
        task->next->prev = task->prev;
    else
        sl->tail = task->prev;
    task->prev = task->next = NULL;
    sl->queued--;
    if (sl->queued == 0)
        s_heap_remove (tl, sig, level);
    /* else its key may now be below its oldest task's seq: still a lower
       bound, set right when a search meets it (s_best_in_heap) */
    tl->queued--;
    self->queued--;
    if (sl->queued == 0)
        s_sig_maybe_unused (self, sig);
    /* The priority its worker is kept for may have dropped: tasks above
       it may take the worker's free slots now. */
    if (sig->reserved && sig->reserved->free)
        s_pending_worker (self, sig->reserved);
}

/* Drops sig's reservation when it has no queued task left. */
static void
s_reservation_check (scheduler_t *self, sched_sig_t *sig)
{
    if (!sig->reserved)
        return;
    for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
        if (sig->level[l].queued && (sig->reserved->levels & (1u << l)))
            return;
    s_unreserve (self, sig, true);
}

void
scheduler_dequeue (scheduler_t *self, task_t *task)
{
    s_unqueue (self, task);
    s_reservation_check (self, scheduler_task_sig (task));
}

/* The most specialised free worker that can run sig's task at level now. */
static sched_worker_t *
s_free_worker (type_level_t *tl, const sched_sig_t *sig)
{
    bool any = s_sig_any (sig);
    for (size_t b = 0; b < tl->bucket_count; b++)
        for (free_node_t *node = tl->buckets[b]->head; node; node = node->next)
            if (any || s_sig_fits (node->worker, sig, true))
                return node->worker;
    return NULL;
}

/* Does sig ask for none of the resources kept asks for? Such a task may
   run on a worker kept for kept without delaying it, if a slot is left. */
static bool
s_disjoint (const sched_sig_t *sig, const sched_sig_t *kept)
{
    size_t i = 0, k = 0;
    while (i < sig->resources.count && k < kept->resources.count) {
        const ztask_resource_t *a = &sig->resources.items[i], *b = &kept->resources.items[k];
        int order = strcmp (a->name, b->name);
        if (order == 0 && a->amount && b->amount)
            return false;
        if (order <= 0)
            i++;
        if (order >= 0)
            k++;
    }
    return true;
}

/* May worker, kept for a signature, take a task of sig at level now?
   Above the priority it is kept for, yes; at or below it, only while it
   keeps a slot free and none of the resources for that signature. */
static bool
s_spare (const sched_worker_t *worker, const sched_sig_t *sig, int level, int kept_level)
{
    return level > kept_level || (worker->free >= 2 && s_disjoint (sig, worker->reserved));
}

/* The priority its reservation holds worker for: the highest level at
   which its signature has a task that it serves; -1 when none (or the
   signature cannot start: paused, or over its limit). */
static int
s_kept_level (const sched_worker_t *worker)
{
    const sched_sig_t *kept = worker->reserved;
    if (!kept || kept->type->paused || s_limits_full (kept))
        return -1;
    for (int l = TASK_PRIORITY_LEVELS - 1; l >= 0; l--)
        if ((worker->levels & (1u << l)) && kept->level[l].head)
            return l;
    return -1;
}

/* A reservation holds a worker back from tasks of its own priority and
   below only, and from those only its last slot and the resources it is
   kept for (s_spare): the most specialised kept worker that can run task
   now, or NULL. Cost: the kept workers. */
static sched_worker_t *
s_kept_worker (scheduler_t *self, const task_t *task, const sched_sig_t *sig)
{
    sched_worker_t *best = NULL;
    for (size_t i = 0; i < self->kept_count; i++) {
        sched_worker_t *worker = self->kept[i];
        if (worker->free == 0 || worker->draining || !(worker->levels & (1u << task->priority))
            || !s_spare (worker, sig, task->priority, s_kept_level (worker)))
            continue;
        bool has = false;
        for (size_t t = 0; t < worker->type_count && !has; t++)
            has = worker->types[t] == task->type;
        if (!has || !s_sig_fits (worker, sig, true))
            continue;
        if (!best || worker->type_count < best->type_count
            || (worker->type_count == best->type_count
                && (worker->level_count < best->level_count
                    || (worker->level_count == best->level_count
                        && worker->resource_count < best->resource_count))))
            best = worker;
    }
    return best;
}

sched_worker_t *
scheduler_submit (scheduler_t *self, task_t *task, bool front)
{
    assert (task->priority < TASK_PRIORITY_LEVELS);
    sched_sig_t *sig = scheduler_task_sig (task);
    type_level_t *tl = &task->type->level[task->priority];
    /* Work-conserving invariant: a free eligible worker has nothing better
       to do, so the most specialised one takes the task now. (A worker
       kept for this signature has not the free resources yet, or it
       would have taken its oldest task.) */
    /* A signature with tasks queued at this level has no free worker that
       could run them (the same invariant, true whenever no worker awaits
       its scheduler_assign and nothing awaits scheduler_unblocked): no
       need to look, which keeps a burst of tasks that wait for a GPU from
       scanning the free CPU workers for each. */
    bool settled = !self->unfilled && !self->pending_workers && !self->pending_type_count
                   && !self->pending_limit_count;
    if (!task->type->paused && !s_limits_full (sig) && !(settled && sig->level[task->priority].queued)) {
        sched_worker_t *worker = s_free_worker (tl, sig);
        if (!worker)
            worker = s_kept_worker (self, task, sig);
        if (worker) {
            s_take_slot (self, worker, task);
            return worker;
        }
    }
    s_enqueue (self, task, front);
    return NULL;
}

/* The best signature at a level for a worker: the one whose oldest task is
   the oldest among those it can run now, or that it could run but has not
   the free resources for and that no other worker is kept for (*big).
   Visits the type's heap in seq order, skipping what the worker cannot
   run: a subtree is pruned once its root is no older than the best. */
static void
s_best_in_heap (const sched_worker_t *worker, type_level_t *tl, int level, size_t i, bool may_keep,
                const sched_sig_t *spare, sched_sig_t **best, uint64_t *best_seq, bool *big)
{
    while (i < tl->heap_count) {
        sched_sig_t *sig = tl->heap[i];
        sig_level_t *sl = &sig->level[level];
        if (*best && sl->heap_key >= *best_seq)
            return; /* a lower bound of every seq below */
        uint64_t seq = sl->head->seq;
        if (sl->heap_key != seq) {
            sl->heap_key = seq; /* stale: set it, put it in its place, look again */
            s_heap_down (tl, i, level);
            continue;
        }
        if (!s_limits_full (sig) && (!spare || s_disjoint (sig, spare)) && s_sig_fits (worker, sig, false)) {
            if (s_sig_fits (worker, sig, true)) {
                *best = sig, *best_seq = seq, *big = false;
                return;
            }
            if (may_keep && !sig->reserved) {
                *best = sig, *best_seq = seq, *big = true;
                return;
            }
        }
        s_best_in_heap (worker, tl, level, 2 * i + 1, may_keep, spare, best, best_seq, big);
        i = 2 * i + 2; /* the right child, without recursion */
    }
}

static task_t *
s_take (scheduler_t *self, sched_worker_t *worker, sched_sig_t *sig, int level)
{
    task_t *task = sig->level[level].head;
    s_unqueue (self, task);
    s_take_slot (self, worker, task);
    s_reservation_check (self, sig); /* its last task may have gone elsewhere */
    return task;
}

/* The best signature for worker at the highest of the levels from hi
   down to lo (those it serves) that has one: the oldest task it can run
   now or, with may_keep, could run but has not the free resources for
   and that no worker is kept for (*big); only signatures disjoint from
   spare when it is not NULL. NULL when none. */
static sched_sig_t *
s_best (sched_worker_t *worker, int hi, int lo, bool may_keep, const sched_sig_t *spare, int *level, bool *big)
{
    for (int l = hi; l >= lo; l--) {
        if (!(worker->levels & (1u << l)))
            continue;
        sched_sig_t *best = NULL;
        uint64_t best_seq = 0;
        *big = false;
        for (size_t t = 0; t < worker->type_count; t++) {
            task_type_t *type = worker->types[t];
            type_level_t *tl = &type->level[l];
            if (type->paused || !tl->head || (best && tl->head->seq >= best_seq))
                continue;
            /* The type's oldest task at this level first: when the worker
               can run it (now, or keep itself for it), nothing of the type
               is older; else search the signatures. */
            sched_sig_t *sig = scheduler_task_sig (tl->head);
            if (!s_limits_full (sig) && (!spare || s_disjoint (sig, spare)) && s_sig_fits (worker, sig, false)) {
                if (s_sig_fits (worker, sig, true)) {
                    best = sig, best_seq = tl->head->seq, *big = false;
                    continue;
                }
                if (may_keep && !sig->reserved) {
                    best = sig, best_seq = tl->head->seq, *big = true;
                    continue;
                }
            }
            s_best_in_heap (worker, tl, l, 0, may_keep, spare, &best, &best_seq, big);
        }
        if (best) {
            *level = l;
            return best;
        }
    }
    return NULL;
}

task_t *
scheduler_assign (scheduler_t *self, sched_worker_t *worker)
{
    s_unfilled (self, worker, false);
    if (worker->free == 0 || self->queued == 0 || worker->draining)
        return NULL;
    /* A kept worker takes tasks of a higher priority than the one it is
       kept for, then that one once it fits, and meanwhile, while it has a
       slot to spare, tasks that need none of the resources it is kept
       for; a reservation that has nothing left to hold it for (no task,
       paused, over its limit) is dropped. */
    sched_sig_t *kept = worker->reserved;
    int floor = s_kept_level (worker);
    if (kept && floor < 0) {
        s_unreserve (self, kept, false);
        kept = NULL;
    }
    int level;
    bool big;
    sched_sig_t *best = s_best (worker, TASK_PRIORITY_LEVELS - 1, floor + 1, !kept, NULL, &level, &big);
    if (best && big) {
        s_reserve (self, worker, best); /* then it may spare a slot, below */
        kept = best;
        floor = level;
    }
    else if (best)
        return s_take (self, worker, best, level);
    if (!kept)
        return NULL;
    if (s_sig_fits (worker, kept, true)) {
        task_t *task = s_take (self, worker, kept, floor);
        s_unreserve (self, kept, false); /* the next of its tasks may fit elsewhere */
        return task;
    }
    if (worker->free >= 2 && (best = s_best (worker, floor, 0, false, kept, &level, &big)))
        return s_take (self, worker, best, level);
    return NULL; /* kept free until it fits */
}

void
scheduler_pause (scheduler_t *self, task_type_t *type, bool paused)
{
    bool was = type->paused;
    type->paused = paused;
    if (paused)
        for (size_t i = 0; i < type->sig_count; i++)
            if (type->sigs[i]->reserved)
                s_unreserve (self, type->sigs[i], true);
    if (!paused) {
        s_type_maybe_unused (self, type);
        if (was && !type->pending) {
            type->pending = true;
            S_PUSH (self->pending_types, self->pending_type_count, self->pending_type_max);
            self->pending_types[self->pending_type_count++] = type;
        }
    }
}

/* Among sigs, the oldest task of the highest priority that a free worker
   can run now: placed on that worker. */
static void
s_best_placeable (scheduler_t *self, sched_sig_t **sigs, size_t count, task_t **best,
                  sched_worker_t **best_worker)
{
    for (size_t i = 0; i < count; i++) {
        sched_sig_t *sig = sigs[i];
        if (sig->type->paused || s_limits_full (sig))
            continue;
        for (int l = TASK_PRIORITY_LEVELS - 1; l >= 0; l--) {
            task_t *head = sig->level[l].head;
            if (!head)
                continue;
            if (*best && (l < (*best)->priority || (l == (*best)->priority && head->seq > (*best)->seq)))
                break;
            sched_worker_t *worker = s_free_worker (&sig->type->level[l], sig);
            if (!worker)
                worker = s_kept_worker (self, head, sig);
            if (worker) {
                *best = head;
                *best_worker = worker;
                break;
            }
        }
    }
}

task_t *
scheduler_unblocked (scheduler_t *self)
{
    /* Workers whose reservation was dropped take what they can. */
    while (self->pending_workers) {
        sched_worker_t *worker = self->pending_workers;
        task_t *task = scheduler_assign (self, worker);
        if (task)
            return task;
        s_pending_worker_drop (self, worker);
    }
    /* Resumed types and limits with room again: their tasks may fit a
       free worker now. */
    while (self->pending_type_count || self->pending_limit_count) {
        task_t *best = NULL;
        sched_worker_t *worker = NULL;
        for (size_t i = 0; i < self->pending_type_count; i++) {
            task_type_t *type = self->pending_types[i];
            s_best_placeable (self, type->sigs, type->sig_count, &best, &worker);
        }
        for (size_t i = 0; i < self->pending_limit_count; i++) {
            sched_limit_t *limit = self->pending_limits[i];
            if (limit->type)
                s_best_placeable (self, limit->type->sigs, limit->type->sig_count, &best, &worker);
            s_best_placeable (self, limit->sigs, limit->sig_count, &best, &worker);
        }
        if (best) {
            sched_sig_t *sig = scheduler_task_sig (best);
            s_unqueue (self, best);
            s_take_slot (self, worker, best);
            s_reservation_check (self, sig);
            return best;
        }
        for (size_t i = 0; i < self->pending_type_count; i++)
            self->pending_types[i]->pending = false;
        for (size_t i = 0; i < self->pending_limit_count; i++)
            self->pending_limits[i]->pending = false;
        self->pending_type_count = self->pending_limit_count = 0;
    }
    return NULL;
}
