/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  delayed_test - the backoff heap: tasks come out in due order, early
    removal works from any position, nothing is lost or duplicated. */
#include "tap.h"
#include "broker/delayed.h"

#define TASKS 2000

int
main (void)
{
    delayed_t *delayed = delayed_new ();
    TAP_OK (delayed_next_due (delayed) == -1 && delayed_size (delayed) == 0, "a new heap is empty");
    TAP_OK (delayed_pop_due (delayed, 1000000) == NULL, "and pops nothing");

    static task_t tasks[TASKS];
    srand (7);
    for (int i = 0; i < TASKS; i++) {
        tasks[i].id = (uint64_t) i + 1;
        delayed_add (delayed, &tasks[i], rand () % 5000);
    }
    TAP_OK (delayed_size (delayed) == TASKS, "holds %d tasks", TASKS);

    /* Remove every third task early, from wherever it sits. */
    int removed = 0;
    for (int i = 0; i < TASKS; i += 3) {
        delayed_remove (delayed, &tasks[i]);
        removed++;
    }
    TAP_OK (delayed_size (delayed) == (size_t) (TASKS - removed), "early removal shrinks it");
    bool indexes_cleared = true;
    for (int i = 0; i < TASKS; i += 3)
        indexes_cleared &= tasks[i].delayed_index == 0;
    TAP_OK (indexes_cleared, "removed tasks know they are out");

    TAP_OK (delayed_pop_due (delayed, -1) == NULL, "nothing is due before its time");
    int64_t now = 2500, last = -1;
    bool in_order = true, due_only = true;
    int popped = 0;
    task_t *task;
    while ((task = delayed_pop_due (delayed, now))) {
        in_order &= task->due >= last;
        due_only &= task->due <= now;
        last = task->due;
        popped++;
    }
    TAP_OK (due_only, "pop gives only tasks due by now");
    TAP_OK (in_order, "in due order");
    TAP_OK (delayed_next_due (delayed) > now, "what stays is due later (%lld)",
            (long long) delayed_next_due (delayed));
    while ((task = delayed_pop_due (delayed, 1000000))) {
        in_order &= task->due >= last;
        last = task->due;
        popped++;
    }
    TAP_OK (in_order && popped == TASKS - removed, "all the others come out, in order (%d)", popped);
    int expected = 0;
    for (int i = 0; i < TASKS; i++)
        expected += i % 3 != 0;
    bool each_once = true;
    for (int i = 0; i < TASKS; i++)
        each_once &= tasks[i].delayed_index == 0;
    TAP_OK (each_once && popped == expected, "each exactly once");
    delayed_destroy (&delayed);
    TAP_OK (delayed == NULL, "destroy clears the reference");
    return tap_done ();
}
