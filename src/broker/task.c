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
