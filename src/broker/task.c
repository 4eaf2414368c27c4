/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task - one task as the broker holds it while queued or running. */
#include "task.h"

task_t *
task_new (uint64_t id, task_type_t *type, uint8_t priority, const void *payload, size_t size)
{
    task_t *self = (task_t *) malloc (sizeof (task_t) + size);
    assert (self);
    memset (self, 0, sizeof (task_t));
    self->id = id;
    self->type = type;
    self->priority = priority;
    self->payload_size = (uint32_t) size;
    if (size)
        memcpy (self->payload, payload, size);
    return self;
}

void
task_destroy (task_t **self_p)
{
    assert (self_p);
    task_t *self = *self_p;
    if (self) {
        free (self->progress_text);
        free (self->milestones);
        if (self->deps) {
            free (self->deps->parents);
            free (self->deps->children);
            free (self->deps);
        }
        while (self->waiters) {
            waiter_t *next = self->waiters->next;
            free (self->waiters);
            self->waiters = next;
        }
        free (self);
        *self_p = NULL;
    }
}

int
task_add_waiter (task_t *self, const peer_id_t *peer, uint32_t corr, uint64_t held_until)
{
    size_t count = 0;
    for (waiter_t *w = self->waiters; w; w = w->next, count++)
        if (w->corr == corr && peer_id_eq (&w->peer, peer))
            return 1; /* a repeated WAIT */
    if (count >= TASK_WAITERS_MAX)
        return -1;
    waiter_t *waiter = (waiter_t *) malloc (sizeof (waiter_t));
    assert (waiter);
    waiter->corr = corr;
    waiter->peer = *peer;
    waiter->held_until = held_until;
    waiter->next = self->waiters;
    self->waiters = waiter;
    return 0;
}

task_deps_t *
task_deps (task_t *self)
{
    if (!self->deps) {
        self->deps = (task_deps_t *) calloc (1, sizeof (task_deps_t));
        assert (self->deps);
    }
    return self->deps;
}

task_t *
task_set_payload (task_t *self, const void *payload, size_t size)
{
    assert (size <= UINT32_MAX);
    task_t *grown = (task_t *) realloc (self, sizeof (task_t) + size);
    assert (grown);
    grown->payload_size = (uint32_t) size;
    if (size)
        memcpy (grown->payload, payload, size);
    return grown;
}

void
task_deps_drop (task_t *self)
{
    if (!self->deps)
        return;
    assert (!self->deps->parent_count && !self->deps->child_count);
    free (self->deps->parents);
    free (self->deps->children);
    free (self->deps);
    self->deps = NULL;
}

void
task_set_parents (task_t *self, const uint64_t *parents, size_t parent_count, bool after_any)
{
    assert (parent_count > 0 && parent_count <= UINT32_MAX);
    task_deps_t *deps = task_deps (self);
    free (deps->parents);
    deps->parents = (uint64_t *) malloc (parent_count * sizeof (uint64_t));
    assert (deps->parents);
    memcpy (deps->parents, parents, parent_count * sizeof (uint64_t));
    deps->parent_count = (uint32_t) parent_count;
    deps->after_any = after_any;
}

void
task_add_child (task_t *self, uint64_t child_id)
{
    task_deps_t *deps = task_deps (self);
    if (deps->child_count == deps->child_max) {
        uint32_t max = deps->child_max ? deps->child_max * 2 : 1; /* most have one (a batch's then task) */
        uint64_t *grown = (uint64_t *) realloc (deps->children, max * sizeof (uint64_t));
        assert (grown);
        deps->children = grown;
        deps->child_max = max;
    }
    deps->children[deps->child_count++] = child_id;
}
