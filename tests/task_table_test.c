/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  task_table_test - live tasks by id: every id inserted is found until it
    is deleted, deleted ids are gone, through growth, shrinking and the
    backward-shift deletion, checked against a plain array over random
    steps; iteration sees each task once. */
#include "tap.h"
#include "broker/task_table.h"

#define IDS 20000

static task_t *s_tasks[IDS + 1];   /* by id; NULL: not made */
static bool s_in_table[IDS + 1];   /* the reference            */

static task_t *
s_task (uint64_t id)
{
    if (!s_tasks[id])
        s_tasks[id] = task_new (id, NULL, 0, NULL, 0);
    return s_tasks[id];
}

/* Every id agrees with the reference: found iff it is in. */
static bool
s_agrees (task_table_t *table, size_t *size)
{
    *size = 0;
    for (uint64_t id = 1; id <= IDS; id++) {
        task_t *found = task_table_lookup (table, id);
        if (s_in_table[id] ? found != s_tasks[id] : found != NULL)
            return false;
        *size += s_in_table[id];
    }
    return task_table_size (table) == *size;
}

int
main (void)
{
    task_table_t *table = task_table_new ();
    TAP_OK (task_table_size (table) == 0 && task_table_lookup (table, 1) == NULL, "a new table is empty");
    task_table_delete (table, 12345);
    TAP_OK (task_table_size (table) == 0, "deleting an absent id changes nothing");

    /* Sequential ids, as the broker makes them: grow well past the start. */
    for (uint64_t id = 1; id <= IDS; id++) {
        task_table_insert (table, s_task (id));
        s_in_table[id] = true;
    }
    size_t size;
    TAP_OK (s_agrees (table, &size) && size == IDS, "%d sequential ids, all found", IDS);

    size_t cursor = 0, seen = 0;
    bool once = true;
    static bool visited[IDS + 1];
    task_t *task;
    while ((task = task_table_next (table, &cursor))) {
        once &= !visited[task->id];
        visited[task->id] = true;
        seen++;
    }
    TAP_OK (once && seen == IDS, "iteration sees each task once");

    /* Random inserts and deletes (half of them of absent or present ids). */
    srand (11);
    bool agreed = true;
    for (int step = 0; step < 200000; step++) {
        uint64_t id = (uint64_t) (rand () % IDS) + 1;
        if (rand () % 2) {
            if (!s_in_table[id]) {
                task_table_insert (table, s_task (id));
                s_in_table[id] = true;
            }
        }
        else {
            task_table_delete (table, id);
            s_in_table[id] = false;
        }
        if (step % 20000 == 0)
            agreed &= s_agrees (table, &size);
    }
    TAP_OK (agreed && s_agrees (table, &size), "200,000 random inserts and deletes agree with a reference");

    /* Delete everything, so the table shrinks back, then fill a little. */
    for (uint64_t id = 1; id <= IDS; id++) {
        task_table_delete (table, id);
        s_in_table[id] = false;
    }
    TAP_OK (s_agrees (table, &size) && size == 0, "emptied: nothing found");
    for (uint64_t id = 100; id < 110; id++) {
        task_table_insert (table, s_task (id));
        s_in_table[id] = true;
    }
    TAP_OK (s_agrees (table, &size) && size == 10, "refilled after shrinking");
    task_table_destroy (&table);
    TAP_OK (table == NULL, "destroy nulls the pointer");

    for (uint64_t id = 1; id <= IDS; id++)
        task_destroy (&s_tasks[id]);
    return tap_done ();
}
