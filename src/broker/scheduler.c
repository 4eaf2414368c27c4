/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  scheduler - matches queued tasks with free worker slots. See scheduler.h. */
#include "scheduler.h"

#define TYPES_MAX 4096 /* distinct task types the broker keeps track of */
/* Queue stamps count up from here at the back of a level and down at its
   front, so every (type, level) queue stays sorted by seq. */
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
    free_node_t *head, *tail;
};

struct scheduler {
    zhashx_t *types;         /* name -> task_type_t                        */
    task_type_t **unused;    /* types that may have no user left           */
    size_t unused_count, unused_max;
    uint64_t next_seq;       /* FIFO stamp for the next task at the back   */
    uint64_t front_seq;      /* stamp for the next task requeued at the front */
    size_t queued;           /* tasks in all queues                        */
    size_t running;          /* tasks on worker slots                      */
};

static void
s_type_destroy (void **item)
{
    task_type_t *type = (task_type_t *) *item;
    for (int l = 0; l < TASK_PRIORITY_LEVELS; l++) {
        for (size_t b = 0; b < type->level[l].bucket_count; b++)
            free (type->level[l].buckets[b]);
        free (type->level[l].buckets);
    }
    free (type->name);
    free (type);
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
        zhashx_destroy (&self->types);
        free (self->unused);
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
    if (self->unused_count == self->unused_max) {
        self->unused_max = self->unused_max ? 2 * self->unused_max : 16;
        self->unused = (task_type_t **) realloc (self->unused, self->unused_max * sizeof *self->unused);
        assert (self->unused);
    }
    self->unused[self->unused_count++] = type;
    type->unused_maybe = true;
}

static bool
s_type_used (task_type_t *type)
{
    if (type->workers || type->tasks || type->running || type->paused)
        return true;
    for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
        if (type->level[l].queued)
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
    zhashx_insert (self->types, name, type);
    s_type_maybe_unused (self, type); /* a type named by a refused request */
    return type;
}

void
scheduler_collect (scheduler_t *self)
{
    for (size_t i = 0; i < self->unused_count; i++) {
        task_type_t *type = self->unused[i];
        type->unused_maybe = false;
        if (!s_type_used (type))
            zhashx_delete (self->types, type->name); /* frees type */
    }
    self->unused_count = 0;
}

void
scheduler_task_added (scheduler_t *self, task_type_t *type)
{
    (void) self;
    type->tasks++;
}

void
scheduler_task_ended (scheduler_t *self, task_type_t *type, bool done)
{
    assert (type->tasks > 0);
    type->tasks--;
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

/* ---- free worker index ---- */

/* The bucket of (type, level) for a specialisation, created in order. */
static free_bucket_t *
s_bucket (type_level_t *tl, size_t plugins, size_t levels)
{
    size_t i = 0;
    while (i < tl->bucket_count) {
        free_bucket_t *b = tl->buckets[i];
        if (b->plugins == plugins && b->levels == levels)
            return b;
        if (b->plugins > plugins || (b->plugins == plugins && b->levels > levels))
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

/* ---- slots ---- */

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

/* Takes a free slot of worker for task. A worker that still has free slots
   goes to the back of its buckets, so equal workers share the load. */
static void
s_take_slot (scheduler_t *self, sched_worker_t *worker, task_t *task)
{
    assert (worker->free > 0);
    worker->free--;
    s_worker_unlink (worker);
    if (worker->free > 0)
        s_worker_link (worker);
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
    /* A removed worker (no nodes) has no slots to give back; a draining
       one gives them back but is not offered tasks. */
    if (worker->nodes && worker->free++ == 0 && !worker->draining)
        s_worker_link (worker);
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
    if (worker->free > 0)
        s_worker_unlink (worker);
    worker->draining = true;
}

/* ---- workers ---- */

void
scheduler_worker_add (scheduler_t *self, sched_worker_t *worker, task_type_t **types,
                      size_t type_count, uint16_t levels, uint32_t slots)
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
    worker->node_count = type_count * worker->level_count;
    worker->nodes = (free_node_t *) zmalloc (worker->node_count * sizeof (free_node_t) + 1);
    assert (worker->nodes);
    size_t n = 0;
    for (size_t t = 0; t < type_count; t++) {
        types[t]->workers++;
        for (int l = 0; l < TASK_PRIORITY_LEVELS; l++)
            if (worker->levels & (1u << l)) {
                worker->nodes[n].worker = worker;
                worker->nodes[n].bucket = s_bucket (&types[t]->level[l], type_count, worker->level_count);
                n++;
            }
    }
    s_worker_link (worker);
}

void
scheduler_worker_remove (scheduler_t *self, sched_worker_t *worker)
{
    if (worker->free > 0 && !worker->draining)
        s_worker_unlink (worker);
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
}

/* ---- tasks ---- */

static void
s_enqueue (scheduler_t *self, task_t *task, bool front)
{
    type_level_t *tl = &task->type->level[task->priority];
    /* A requeued task goes before every task queued at its priority, of
       any type: assign compares the heads of the queues by seq. */
    task->seq = front ? self->front_seq-- : self->next_seq++;
    if (front) {
        task->prev = NULL;
        task->next = tl->head;
        if (tl->head)
            tl->head->prev = task;
        else
            tl->tail = task;
        tl->head = task;
    }
    else {
        task->next = NULL;
        task->prev = tl->tail;
        if (tl->tail)
            tl->tail->next = task;
        else
            tl->head = task;
        tl->tail = task;
    }
    tl->queued++;
    self->queued++;
}

void
scheduler_dequeue (scheduler_t *self, task_t *task)
{
    type_level_t *tl = &task->type->level[task->priority];
    if (task->prev)
        task->prev->next = task->next;
    else
        tl->head = task->next;
    if (task->next)
        task->next->prev = task->prev;
    else
        tl->tail = task->prev;
    task->prev = task->next = NULL;
    tl->queued--;
    self->queued--;
}

sched_worker_t *
scheduler_submit (scheduler_t *self, task_t *task, bool front)
{
    assert (task->priority < TASK_PRIORITY_LEVELS);
    type_level_t *tl = &task->type->level[task->priority];
    /* Work-conserving invariant: a free eligible worker has nothing better
       to do, so the most specialised one takes the task now. */
    for (size_t b = 0; b < tl->bucket_count && !task->type->paused; b++) {
        free_node_t *node = tl->buckets[b]->head;
        if (node) {
            s_take_slot (self, node->worker, task);
            return node->worker;
        }
    }
    s_enqueue (self, task, front);
    return NULL;
}

task_t *
scheduler_assign (scheduler_t *self, sched_worker_t *worker)
{
    if (worker->free == 0 || self->queued == 0 || worker->draining)
        return NULL;
    for (int l = TASK_PRIORITY_LEVELS - 1; l >= 0; l--) {
        if (!(worker->levels & (1u << l)))
            continue;
        task_t *best = NULL;
        for (size_t t = 0; t < worker->type_count; t++) {
            task_t *head = worker->types[t]->level[l].head;
            if (head && !worker->types[t]->paused && (!best || head->seq < best->seq))
                best = head;
        }
        if (best) {
            scheduler_dequeue (self, best);
            s_take_slot (self, worker, best);
            return best;
        }
    }
    return NULL;
}

void
scheduler_pause (scheduler_t *self, task_type_t *type, bool paused)
{
    type->paused = paused;
    if (!paused)
        s_type_maybe_unused (self, type);
}

task_t *
scheduler_resumed (scheduler_t *self, task_type_t *type)
{
    if (type->paused)
        return NULL;
    for (int l = TASK_PRIORITY_LEVELS - 1; l >= 0; l--) {
        type_level_t *tl = &type->level[l];
        if (!tl->head)
            continue;
        for (size_t b = 0; b < tl->bucket_count; b++) {
            free_node_t *node = tl->buckets[b]->head;
            if (node) {
                task_t *task = tl->head;
                scheduler_dequeue (self, task);
                s_take_slot (self, node->worker, task);
                return task;
            }
        }
    }
    return NULL;
}
