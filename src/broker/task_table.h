/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task_table - the broker's live tasks (queued, held back or running) by
    id: open addressing with linear probing over an array of pointers, so a
    task costs 8 to 16 bytes here and a lookup touches one or two cache
    lines. The table does not own the tasks. */
#ifndef ZTASK_TASK_TABLE_H_INCLUDED
#define ZTASK_TASK_TABLE_H_INCLUDED

#include "task.h"

typedef struct task_table task_table_t;

task_table_t *task_table_new (void);
void task_table_destroy (task_table_t **self_p);

/* Adds task under task->id, which must not be in the table. */
void task_table_insert (task_table_t *self, task_t *task);
task_t *task_table_lookup (task_table_t *self, uint64_t id);
/* Removes the task with id, if there is one. */
void task_table_delete (task_table_t *self, uint64_t id);
size_t task_table_size (task_table_t *self);

/* Iteration in no order: start with *cursor = 0; NULL at the end. The
   table must not change during it. */
task_t *task_table_next (task_table_t *self, size_t *cursor);

#endif
