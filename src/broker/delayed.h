/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  delayed - tasks waiting out a backoff before they are offered again: a
    task whose worker died, or recovered as running after a broker restart
    (a grace period for its worker to reclaim it). A binary min-heap on the
    due time: insert, remove and pop are O(log n). */
#ifndef ZTASK_DELAYED_H_INCLUDED
#define ZTASK_DELAYED_H_INCLUDED

#include "task.h"

typedef struct delayed delayed_t;

delayed_t *delayed_new (void);
void delayed_destroy (delayed_t **self_p);

/* Holds task until due (monotonic ms). */
void delayed_add (delayed_t *self, task_t *task, int64_t due);
/* Takes a held task out early (cancel, a worker reclaiming it). */
void delayed_remove (delayed_t *self, task_t *task);
/* The next task due at or before now, removed; NULL if none. */
task_t *delayed_pop_due (delayed_t *self, int64_t now);
/* Due time of the next task, or -1 when empty. */
int64_t delayed_next_due (delayed_t *self);
size_t delayed_size (delayed_t *self);

#endif
