/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  delayed - tasks waiting out a backoff. See delayed.h. */
#include "delayed.h"

struct delayed {
    task_t **heap;   /* heap[0] is due first; task->delayed_index = i + 1 */
    size_t size;
    size_t capacity;
};

delayed_t *
delayed_new (void)
{
    delayed_t *self = (delayed_t *) zmalloc (sizeof (delayed_t));
    assert (self);
    return self;
}

void
delayed_destroy (delayed_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->heap);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_place (delayed_t *self, size_t i, task_t *task)
{
    self->heap[i] = task;
    task->delayed_index = (uint32_t) (i + 1);
}

static void
s_sift_up (delayed_t *self, size_t i)
{
    task_t *task = self->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (self->heap[parent]->due <= task->due)
            break;
        s_place (self, i, self->heap[parent]);
        i = parent;
    }
    s_place (self, i, task);
}

static void
s_sift_down (delayed_t *self, size_t i)
{
    task_t *task = self->heap[i];
    while (true) {
        size_t child = 2 * i + 1;
        if (child >= self->size)
            break;
        if (child + 1 < self->size && self->heap[child + 1]->due < self->heap[child]->due)
            child++;
        if (task->due <= self->heap[child]->due)
            break;
        s_place (self, i, self->heap[child]);
        i = child;
    }
    s_place (self, i, task);
}

void
delayed_add (delayed_t *self, task_t *task, int64_t due)
{
    assert (task->delayed_index == 0);
    if (self->size == self->capacity) {
        self->capacity = self->capacity ? 2 * self->capacity : 64;
        self->heap = (task_t **) realloc (self->heap, self->capacity * sizeof (task_t *));
        assert (self->heap);
    }
    task->due = due;
    self->heap[self->size++] = task;
    s_sift_up (self, self->size - 1);
}

void
delayed_remove (delayed_t *self, task_t *task)
{
    assert (task->delayed_index > 0 && task->delayed_index <= self->size);
    size_t i = task->delayed_index - 1;
    task->delayed_index = 0;
    task_t *last = self->heap[--self->size];
    if (i == self->size)
        return;
    s_place (self, i, last);
    if (i > 0 && self->heap[(i - 1) / 2]->due > last->due)
        s_sift_up (self, i);
    else
        s_sift_down (self, i);
}

task_t *
delayed_pop_due (delayed_t *self, int64_t now)
{
    if (self->size == 0 || self->heap[0]->due > now)
        return NULL;
    task_t *task = self->heap[0];
    delayed_remove (self, task);
    return task;
}

int64_t
delayed_next_due (delayed_t *self)
{
    return self->size ? self->heap[0]->due : -1;
}

size_t
delayed_size (delayed_t *self)
{
    return self->size;
}
