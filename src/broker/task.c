/*  task - one task as the broker holds it while queued or running. */
#include "task.h"

task_t *
task_new (uint64_t id, task_type_t *type, uint8_t priority, zframe_t **payload_p)
{
    task_t *self = (task_t *) zmalloc (sizeof (task_t));
    assert (self);
    self->id = id;
    self->type = type;
    self->priority = priority;
    self->payload = *payload_p;
    *payload_p = NULL;
    return self;
}

void
task_destroy (task_t **self_p)
{
    assert (self_p);
    task_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->payload);
        free (self->progress_text);
        while (self->waiters) {
            waiter_t *next = self->waiters->next;
            zframe_destroy (&self->waiters->routing_id);
            free (self->waiters);
            self->waiters = next;
        }
        free (self);
        *self_p = NULL;
    }
}
