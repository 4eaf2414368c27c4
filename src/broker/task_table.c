/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task_table - live tasks by id, open addressing (see task_table.h). */
#include "task_table.h"

#define MIN_CAPACITY 64    /* a power of two                                */

struct task_table {
    task_t **slots;        /* capacity entries; NULL: empty                 */
    size_t capacity;       /* a power of two                                */
    size_t size;           /* tasks held                                    */
};

/* Ids are sequential: a multiplicative hash spreads them over the slots. */
static size_t
s_home (task_table_t *self, uint64_t id)
{
    return (size_t) ((id * 0x9E3779B97F4A7C15ULL) >> 32) & (self->capacity - 1);
}

static void
s_place (task_table_t *self, task_t *task)
{
    size_t i = s_home (self, task->id);
    while (self->slots[i])
        i = (i + 1) & (self->capacity - 1);
    self->slots[i] = task;
}

static void
s_resize (task_table_t *self, size_t capacity)
{
    task_t **old = self->slots;
    size_t old_capacity = self->capacity;
    self->slots = (task_t **) calloc (capacity, sizeof (task_t *));
    assert (self->slots);
    self->capacity = capacity;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i])
            s_place (self, old[i]);
    free (old);
}

task_table_t *
task_table_new (void)
{
    task_table_t *self = (task_table_t *) zmalloc (sizeof (task_table_t));
    assert (self);
    s_resize (self, MIN_CAPACITY);
    return self;
}

void
task_table_destroy (task_table_t **self_p)
{
    assert (self_p);
    task_table_t *self = *self_p;
    if (self) {
        free (self->slots);
        free (self);
        *self_p = NULL;
    }
}

void
task_table_insert (task_table_t *self, task_t *task)
{
    /* At most 3/4 full, so probe runs stay short. */
    if (4 * (self->size + 1) > 3 * self->capacity)
        s_resize (self, 2 * self->capacity);
    s_place (self, task);
    self->size++;
}

task_t *
task_table_lookup (task_table_t *self, uint64_t id)
{
    for (size_t i = s_home (self, id); self->slots[i]; i = (i + 1) & (self->capacity - 1))
        if (self->slots[i]->id == id)
            return self->slots[i];
    return NULL;
}

void
task_table_delete (task_table_t *self, uint64_t id)
{
    size_t mask = self->capacity - 1;
    size_t i = s_home (self, id);
    while (self->slots[i] && self->slots[i]->id != id)
        i = (i + 1) & mask;
    if (!self->slots[i])
        return;
    /* Backward shift: move up every later entry of the run that may sit
       in the hole, so lookups never need tombstones. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; self->slots[j]; j = (j + 1) & mask) {
        size_t home = s_home (self, self->slots[j]->id);
        /* slots[j] may move to hole if its home is not in (hole, j]. */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            self->slots[hole] = self->slots[j];
            hole = j;
        }
    }
    self->slots[hole] = NULL;
    self->size--;
    if (self->capacity > MIN_CAPACITY && 8 * self->size < self->capacity)
        s_resize (self, self->capacity / 2);
}

size_t
task_table_size (task_table_t *self)
{
    return self->size;
}

task_t *
task_table_next (task_table_t *self, size_t *cursor)
{
    while (*cursor < self->capacity) {
        task_t *task = self->slots[(*cursor)++];
        if (task)
            return task;
    }
    return NULL;
}
