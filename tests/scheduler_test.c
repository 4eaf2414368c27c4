/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  scheduler_test - the scheduling rules (README, docs/architecture.md) on the scheduler
    alone, without sockets: eligibility, strict priority across types, FIFO
    within a level, specialisation, credit, reserved capacity, worker loss,
    cancel, and a randomized run checked step by step against brute force.
*/
#include "tap.h"
#include "broker/scheduler.h"

#define ALL_LEVELS 0x3FF

static uint64_t s_next_id = 1;

/* A new task of type at priority, not yet offered. */
static task_t *
s_task (task_type_t *type, uint8_t priority)
{
    return task_new (s_next_id++, type, priority, "p", 1);
}

/* A new worker, added with all its slots free. */
static sched_worker_t *
s_worker (scheduler_t *sched, task_type_t **types, size_t type_count, uint16_t levels,
          uint32_t slots)
{
    sched_worker_t *worker = (sched_worker_t *) zmalloc (sizeof (sched_worker_t));
    assert (worker);
    scheduler_worker_add (sched, worker, types, type_count, levels, slots, NULL);
    return worker;
}

static size_t
s_running_count (sched_worker_t *worker)
{
    size_t count = 0;
    for (task_t *task = worker->running; task; task = task->next)
        count++;
    return count;
}

/* Removes a worker, ends the tasks on its slots and frees it. */
static void
s_worker_drop (scheduler_t *sched, sched_worker_t **worker_p)
{
    sched_worker_t *worker = *worker_p;
    scheduler_worker_remove (sched, worker);
    task_t *task;
    while ((task = worker->running)) {
        scheduler_release (sched, task);
        task_destroy (&task);
    }
    free (worker);
    *worker_p = NULL;
}

/* Ends a running task; returns the worker it ran on. */
static sched_worker_t *
s_end (scheduler_t *sched, task_t **task_p)
{
    sched_worker_t *worker = (*task_p)->worker;
    scheduler_release (sched, *task_p);
    task_destroy (task_p);
    return worker;
}

static void
s_test_eligibility (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *a = scheduler_type (sched, "a");
    task_type_t *b = scheduler_type (sched, "b");
    task_type_t *c = scheduler_type (sched, "c");
    TAP_OK (a && b && c && a != b && b != c, "eligibility: types are created");
    TAP_OK (scheduler_type (sched, "a") == a && scheduler_type_lookup (sched, "b") == b
                && scheduler_type_lookup (sched, "nope") == NULL,
            "eligibility: a type is created once and found by name");

    /* A worker with plugin a that serves only priority 0. */
    sched_worker_t *low = s_worker (sched, &a, 1, 1 << 0, 1);
    TAP_OK (a->workers == 1 && b->workers == 0 && c->workers == 0, "eligibility: a has 1 worker");
    task_t *a9 = s_task (a, 9);
    TAP_OK (scheduler_submit (sched, a9, false) == NULL && a9->worker == NULL,
            "eligibility: a@9 is not given to a worker that does not serve 9");
    task_t *b0 = s_task (b, 0);
    TAP_OK (scheduler_submit (sched, b0, false) == NULL && b0->worker == NULL,
            "eligibility: b@0 is not given to a worker without plugin b");
    TAP_OK (scheduler_assign (sched, low) == NULL && low->free == 1 && low->running == NULL,
            "eligibility: assign gives a worker nothing it cannot run");
    TAP_OK (scheduler_queued (sched) == 2 && scheduler_running (sched) == 0,
            "eligibility: 2 queued, 0 running");

    sched_worker_t *wb = s_worker (sched, &b, 1, ALL_LEVELS, 2);
    TAP_OK (b->workers == 1, "eligibility: b has 1 worker");
    TAP_OK (scheduler_assign (sched, wb) == b0 && b0->worker == wb && wb->running == b0,
            "eligibility: b@0 goes to the new worker with plugin b");
    TAP_OK (scheduler_assign (sched, wb) == NULL && wb->free == 1,
            "eligibility: the b worker does not get the a task");
    task_t *a0 = s_task (a, 0);
    TAP_OK (scheduler_submit (sched, a0, false) == low && a0->worker == low,
            "eligibility: a@0 goes to the a worker that serves 0");

    /* Type c: no worker has it. */
    task_t *c5 = s_task (c, 5);
    TAP_OK (scheduler_submit (sched, c5, false) == NULL && c5->worker == NULL,
            "eligibility: a task whose type no worker has stays queued");
    TAP_OK (wb->free == 1 && scheduler_assign (sched, wb) == NULL,
            "eligibility: ... even while another worker has a free slot");
    sched_worker_t *wc = s_worker (sched, &c, 1, ALL_LEVELS, 1);
    TAP_OK (c->workers == 1, "eligibility: c has 1 worker");
    TAP_OK (scheduler_assign (sched, wc) == c5 && c5->worker == wc,
            "eligibility: the c task is assigned as soon as a worker with c is added");
    TAP_OK (scheduler_assign (sched, wc) == NULL, "eligibility: nothing more for the c worker");

    /* a@9 waits for a worker with a that serves 9. */
    TAP_OK (scheduler_queued (sched) == 1 && a9->worker == NULL, "eligibility: a@9 still queued");
    sched_worker_t *w9 = s_worker (sched, &a, 1, 1 << 9, 1);
    TAP_OK (a->workers == 2, "eligibility: a has 2 workers");
    TAP_OK (scheduler_assign (sched, w9) == a9 && a9->worker == w9,
            "eligibility: a@9 goes to the new a worker that serves 9");
    TAP_OK (scheduler_queued (sched) == 0 && scheduler_running (sched) == 4
                && a->running == 2 && b->running == 1 && c->running == 1,
            "eligibility: 0 queued, 4 running (a 2, b 1, c 1)");

    s_worker_drop (sched, &low);
    s_worker_drop (sched, &wb);
    s_worker_drop (sched, &wc);
    s_worker_drop (sched, &w9);
    TAP_OK (scheduler_running (sched) == 0 && a->workers == 0 && b->workers == 0
                && c->workers == 0 && a->running == 0,
            "eligibility: all gone after the workers are removed");
    scheduler_destroy (&sched);
    TAP_OK (sched == NULL, "scheduler_destroy nulls the pointer");
}

/* Queues older_type@older_prio then newer_type@newer_prio behind a busy
   worker with both types, and checks the order the worker gets them in. */
static void
s_check_priority (const char *older_name, uint8_t older_prio, const char *newer_name,
                  uint8_t newer_prio)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *types[2] = { scheduler_type (sched, "a"), scheduler_type (sched, "b") };
    task_type_t *older_type = scheduler_type (sched, older_name);
    task_type_t *newer_type = scheduler_type (sched, newer_name);
    sched_worker_t *worker = s_worker (sched, types, 2, ALL_LEVELS, 1);
    task_t *filler = s_task (types[0], 5);
    TAP_OK (scheduler_submit (sched, filler, false) == worker, "priority: the worker is busy");
    task_t *older = s_task (older_type, older_prio);
    task_t *newer = s_task (newer_type, newer_prio);
    TAP_OK (scheduler_submit (sched, older, false) == NULL
                && scheduler_submit (sched, newer, false) == NULL,
            "priority: %s@%d (older) and %s@%d (newer) queue", older_type->name, older_prio,
            newer_type->name, newer_prio);
    TAP_OK (older->seq < newer->seq, "priority: the older has the smaller seq");
    TAP_OK (s_end (sched, &filler) == worker && worker->free == 1, "priority: a slot is free");
    task_t *first = scheduler_assign (sched, worker);
    task_t *high = older_prio > newer_prio ? older : newer;
    task_t *low = high == older ? newer : older;
    TAP_OK (first == high, "priority: %s@%d goes first", high->type->name, high->priority);
    TAP_OK (scheduler_assign (sched, worker) == NULL, "priority: one slot, one task");
    TAP_OK (s_end (sched, &first) == worker && scheduler_assign (sched, worker) == low,
            "priority: then %s@%d", low->type->name, low->priority);
    s_worker_drop (sched, &worker);
    scheduler_destroy (&sched);
}

static void
s_test_priority (void)
{
    s_check_priority ("a", 0, "b", 9);
    s_check_priority ("b", 0, "a", 9);
    s_check_priority ("a", 4, "b", 5);
    s_check_priority ("b", 8, "a", 7);
    s_check_priority ("a", 0, "a", 9);
}

static void
s_test_fifo (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *types[2] = { scheduler_type (sched, "a"), scheduler_type (sched, "b") };
    sched_worker_t *worker = s_worker (sched, types, 2, ALL_LEVELS, 1);
    task_t *running = s_task (types[0], 5);
    TAP_OK (scheduler_submit (sched, running, false) == worker, "fifo: the worker is busy");
    /* Type of each queued task, in submit order; the lower one goes last. */
    const int order[] = { 0, 1, 1, 0, 0, 1, 0, 1 };
    const size_t count = sizeof order / sizeof order[0];
    task_t *queued[8];
    task_t *lower = s_task (types[1], 4);
    for (size_t i = 0; i < count; i++) {
        queued[i] = s_task (types[order[i]], 5);
        scheduler_submit (sched, queued[i], false);
        if (i == 2)
            scheduler_submit (sched, lower, false);
    }
    TAP_OK (scheduler_queued (sched) == count + 1, "fifo: %zu queued", count + 1);
    TAP_OK (types[0]->level[5].queued == 4 && types[1]->level[5].queued == 4
                && types[1]->level[4].queued == 1,
            "fifo: per type and level counts");
    bool in_order = true;
    for (size_t i = 0; i < count; i++) {
        s_end (sched, &running);
        running = scheduler_assign (sched, worker);
        if (running != queued[i]) {
            in_order = false;
            printf ("#   expected task %zu (%s), got %s\n", i, types[order[i]]->name,
                    running ? running->type->name : "none");
        }
        if (!running)
            break;
    }
    TAP_OK (in_order, "fifo: tasks of one level go oldest first across types");
    if (running)
        s_end (sched, &running);
    running = scheduler_assign (sched, worker);
    TAP_OK (running == lower, "fifo: the lower level goes after the whole level above");
    s_worker_drop (sched, &worker);
    TAP_OK (scheduler_queued (sched) == 0 && scheduler_running (sched) == 0,
            "fifo: nothing left");
    scheduler_destroy (&sched);
}

static void
s_test_specialisation (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *abc[3] = { scheduler_type (sched, "a"), scheduler_type (sched, "b"),
                            scheduler_type (sched, "c") };
    task_type_t *a = abc[0];

    /* Fewer plugins first, although the general worker is idle longer. */
    sched_worker_t *general = s_worker (sched, abc, 3, ALL_LEVELS, 1);
    sched_worker_t *special = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    task_t *t1 = s_task (a, 5), *t2 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, t1, false) == special,
            "specialisation: a task goes to the worker with fewer plugins");
    TAP_OK (scheduler_submit (sched, t2, false) == general,
            "specialisation: the next one to the general worker, the only one free");
    s_worker_drop (sched, &general);
    s_worker_drop (sched, &special);

    /* Plugins count before levels. */
    sched_worker_t *few_levels = s_worker (sched, abc, 2, 1 << 5, 1);
    sched_worker_t *few_plugins = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    t1 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, t1, false) == few_plugins,
            "specialisation: fewer plugins wins over fewer levels");
    s_worker_drop (sched, &few_levels);
    s_worker_drop (sched, &few_plugins);

    /* Equal plugins: fewer levels first. */
    sched_worker_t *all = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    sched_worker_t *two = s_worker (sched, &a, 1, (1 << 5) | (1 << 9), 1);
    t1 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, t1, false) == two,
            "specialisation: equal plugins, the worker with fewer levels");
    s_worker_drop (sched, &all);
    s_worker_drop (sched, &two);

    /* Equal class: idle longest. */
    sched_worker_t *w1 = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    sched_worker_t *w2 = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    t1 = s_task (a, 5);
    t2 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, t1, false) == w1,
            "idle: the worker added first is idle longest");
    TAP_OK (scheduler_submit (sched, t2, false) == w2, "idle: then the other");
    /* w2 is freed first. */
    s_end (sched, &t2);
    TAP_OK (scheduler_assign (sched, w2) == NULL, "idle: w2 free");
    s_end (sched, &t1);
    TAP_OK (scheduler_assign (sched, w1) == NULL, "idle: w1 free");
    task_t *t3 = s_task (a, 5), *t4 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, t3, false) == w2,
            "idle: the worker freed earlier gets the task");
    TAP_OK (scheduler_submit (sched, t4, false) == w1, "idle: the other gets the next");
    /* Now w1 is freed first. */
    s_end (sched, &t4);
    scheduler_assign (sched, w1);
    s_end (sched, &t3);
    scheduler_assign (sched, w2);
    task_t *t5 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, t5, false) == w1, "idle: again the one freed earlier");
    s_worker_drop (sched, &w1);
    s_worker_drop (sched, &w2);
    TAP_OK (scheduler_running (sched) == 0 && a->workers == 0, "specialisation: nothing left");
    scheduler_destroy (&sched);
}

static void
s_test_credit (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *a = scheduler_type (sched, "a");
    sched_worker_t *worker = s_worker (sched, &a, 1, ALL_LEVELS, 2);
    TAP_OK (worker->slots == 2 && worker->free == 2, "credit: 2 slots, both free");
    task_t *t1 = s_task (a, 1), *t2 = s_task (a, 1), *t3 = s_task (a, 1), *t4 = s_task (a, 9);
    TAP_OK (scheduler_submit (sched, t1, false) == worker && worker->free == 1,
            "credit: first task takes a slot");
    TAP_OK (scheduler_submit (sched, t2, false) == worker && worker->free == 0,
            "credit: second task takes the other");
    TAP_OK (scheduler_submit (sched, t3, false) == NULL && t3->worker == NULL,
            "credit: the third queues");
    TAP_OK (scheduler_submit (sched, t4, false) == NULL, "credit: so does a higher one");
    TAP_OK (scheduler_assign (sched, worker) == NULL,
            "credit: assign gives nothing beyond the slots");
    TAP_OK (s_running_count (worker) == 2 && scheduler_running (sched) == 2
                && scheduler_queued (sched) == 2,
            "credit: 2 running, 2 queued");
    s_end (sched, &t1);
    TAP_OK (worker->free == 1 && s_running_count (worker) == 1, "credit: release frees a slot");
    TAP_OK (scheduler_assign (sched, worker) == t4 && worker->free == 0,
            "credit: assign fills it with the best queued task");
    TAP_OK (scheduler_assign (sched, worker) == NULL, "credit: and no more");
    s_end (sched, &t2);
    TAP_OK (scheduler_assign (sched, worker) == t3, "credit: then the next");
    TAP_OK (scheduler_queued (sched) == 0 && scheduler_running (sched) == 2,
            "credit: 0 queued, 2 running");
    s_worker_drop (sched, &worker);
    scheduler_destroy (&sched);
}

static void
s_test_reserved (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *a = scheduler_type (sched, "a");
    sched_worker_t *general1 = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    sched_worker_t *reserved = s_worker (sched, &a, 1, 1 << 9, 1);
    sched_worker_t *general2 = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    task_t *low[4];
    int given = 0;
    for (int i = 0; i < 4; i++) {
        low[i] = s_task (a, 0);
        sched_worker_t *worker = scheduler_submit (sched, low[i], false);
        TAP_OK (worker != reserved, "reserved: priority-0 task %d is not given to it", i);
        given += worker != NULL;
    }
    TAP_OK (given == 2 && general1->free == 0 && general2->free == 0,
            "reserved: the general workers take 2, the rest queue");
    TAP_OK (reserved->free == 1 && reserved->running == NULL
                && scheduler_assign (sched, reserved) == NULL,
            "reserved: it stays free with priority-0 tasks queued");
    task_t *urgent = s_task (a, 9);
    TAP_OK (scheduler_submit (sched, urgent, false) == reserved && urgent->worker == reserved,
            "reserved: a 9 task goes to it while the general workers are busy");
    task_t *urgent2 = s_task (a, 9);
    TAP_OK (scheduler_submit (sched, urgent2, false) == NULL, "reserved: a second 9 task queues");
    task_t *done = general1->running;
    s_end (sched, &done);
    TAP_OK (scheduler_assign (sched, general1) == urgent2,
            "reserved: a freed general worker takes the 9 task before the 0 tasks");
    s_end (sched, &urgent);
    TAP_OK (scheduler_assign (sched, reserved) == NULL && reserved->free == 1,
            "reserved: freed, it still takes no priority-0 task");
    TAP_OK (scheduler_queued (sched) == 2, "reserved: 2 still queued");
    s_worker_drop (sched, &general1);
    s_worker_drop (sched, &general2);
    s_worker_drop (sched, &reserved);
    /* low[0] and low[1] ran on the general workers; the others wait. */
    for (int i = 2; i < 4; i++) {
        scheduler_dequeue (sched, low[i]);
        task_destroy (&low[i]);
    }
    TAP_OK (scheduler_queued (sched) == 0 && scheduler_running (sched) == 0,
            "reserved: nothing left");
    scheduler_destroy (&sched);
}

static void
s_test_removal (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *ab[2] = { scheduler_type (sched, "a"), scheduler_type (sched, "b") };
    task_type_t *a = ab[0], *b = ab[1];
    sched_worker_t *lost = s_worker (sched, &a, 1, ALL_LEVELS, 2);
    sched_worker_t *other = s_worker (sched, ab, 2, ALL_LEVELS, 1);
    TAP_OK (a->workers == 2 && b->workers == 1, "removal: a has 2 workers, b 1");
    task_t *r1 = s_task (a, 5), *r2 = s_task (a, 5), *r3 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, r1, false) == lost
                && scheduler_submit (sched, r2, false) == lost
                && scheduler_submit (sched, r3, false) == other,
            "removal: 3 tasks running, 2 on the worker to lose");
    /* Newer tasks of the same level: one of the same type, one of another. */
    task_t *n1 = s_task (a, 5), *n2 = s_task (b, 5);
    TAP_OK (scheduler_submit (sched, n1, false) == NULL
                && scheduler_submit (sched, n2, false) == NULL,
            "removal: 2 newer tasks queue");

    scheduler_worker_remove (sched, lost);
    TAP_OK (a->workers == 1 && b->workers == 1, "removal: a's worker count drops to 1");
    TAP_OK (s_running_count (lost) == 2 && r1->worker == lost && r2->worker == lost,
            "removal: its running tasks stay on worker->running");
    TAP_OK (scheduler_running (sched) == 3 && a->running == 3, "removal: still counted running");
    TAP_OK (lost->free == 0 && scheduler_assign (sched, lost) == NULL,
            "removal: the removed worker gets nothing from assign");

    /* As the broker does: release them all, then requeue them at the front. */
    task_t *orphans[2];
    size_t orphan_count = 0;
    task_t *task;
    while ((task = lost->running)) {
        scheduler_release (sched, task);
        orphans[orphan_count++] = task;
    }
    TAP_OK (orphan_count == 2 && lost->running == NULL && lost->free == 0,
            "removal: released, it has no slot to give");
    TAP_OK (scheduler_running (sched) == 1 && a->running == 1 && r1->worker == NULL,
            "removal: released tasks are no longer running");
    for (size_t i = 0; i < orphan_count; i++)
        TAP_OK (scheduler_submit (sched, orphans[i], true) == NULL,
                "removal: requeued task %zu waits, the other worker being busy", i);
    TAP_OK (scheduler_queued (sched) == 4 && a->level[5].queued == 3 && b->level[5].queued == 1,
            "removal: 4 queued");
    TAP_OK (a->plain->level[5].head == r1 && r1->next == r2 && r2->next == n1,
            "removal: requeued tasks are at the head of their level, oldest first");
    task_t *n3 = s_task (a, 5);
    TAP_OK (scheduler_submit (sched, n3, false) == NULL && lost->running == NULL,
            "removal: a new task is not given to the removed worker");

    /* The other worker takes, in turn: the requeued tasks, then the rest
       in submit order, across types. */
    uint64_t expect[] = { r1->id, r2->id, n1->id, n2->id, n3->id };
    bool in_order = true;
    task_t *running = r3;
    for (size_t i = 0; i < 5; i++) {
        s_end (sched, &running);
        running = scheduler_assign (sched, other);
        if (!running || running->id != expect[i]) {
            in_order = false;
            printf ("#   %zu: expected task %" PRIu64 ", got %" PRIu64 "\n", i, expect[i],
                    running ? running->id : 0);
        }
        if (!running)
            break;
    }
    if (running)
        s_end (sched, &running);
    TAP_OK (in_order, "removal: requeued tasks first, then newer ones oldest first across types");
    TAP_OK (lost->running == NULL && lost->free == 0,
            "removal: the removed worker received nothing");
    free (lost);
    s_worker_drop (sched, &other);
    TAP_OK (a->workers == 0 && b->workers == 0, "removal: no workers left");
    while (scheduler_queued (sched)) {
        task_t *left = a->plain->level[5].head ? a->plain->level[5].head : b->plain->level[5].head;
        if (!left)
            break;
        scheduler_dequeue (sched, left);
        task_destroy (&left);
    }
    TAP_OK (scheduler_queued (sched) == 0 && scheduler_running (sched) == 0,
            "removal: nothing left");
    scheduler_destroy (&sched);
}

static void
s_test_dequeue (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *ab[2] = { scheduler_type (sched, "a"), scheduler_type (sched, "b") };
    task_type_t *a = ab[0], *b = ab[1];
    sched_worker_t *worker = s_worker (sched, ab, 2, ALL_LEVELS, 1);
    task_t *running = s_task (a, 3);
    scheduler_submit (sched, running, false);
    task_t *q[6];
    for (int i = 0; i < 6; i++) {
        q[i] = s_task (i % 3 == 2 ? b : a, 3);
        scheduler_submit (sched, q[i], false);
    }
    /* a: q0 q1 q3 q4, b: q2 q5 */
    TAP_OK (scheduler_queued (sched) == 6 && a->level[3].queued == 4 && b->level[3].queued == 2,
            "dequeue: 6 queued (a 4, b 2)");
    scheduler_dequeue (sched, q[1]);
    task_destroy (&q[1]);
    TAP_OK (scheduler_queued (sched) == 5 && a->level[3].queued == 3, "dequeue: middle of a");
    scheduler_dequeue (sched, q[0]);
    task_destroy (&q[0]);
    TAP_OK (scheduler_queued (sched) == 4 && a->level[3].queued == 2 && a->plain->level[3].head == q[3],
            "dequeue: head of a");
    scheduler_dequeue (sched, q[4]);
    task_destroy (&q[4]);
    TAP_OK (scheduler_queued (sched) == 3 && a->level[3].queued == 1 && a->plain->level[3].tail == q[3]
                && q[3]->next == NULL,
            "dequeue: tail of a");
    scheduler_dequeue (sched, q[3]);
    task_destroy (&q[3]);
    TAP_OK (a->level[3].queued == 0 && a->plain->level[3].head == NULL && a->plain->level[3].tail == NULL,
            "dequeue: a's level is empty");
    TAP_OK (scheduler_queued (sched) == 2 && scheduler_running (sched) == 1,
            "dequeue: 2 queued, 1 running");
    s_end (sched, &running);
    running = scheduler_assign (sched, worker);
    TAP_OK (running == q[2], "dequeue: the remaining tasks keep their order (q2)");
    s_end (sched, &running);
    running = scheduler_assign (sched, worker);
    TAP_OK (running == q[5], "dequeue: ... then q5");
    s_end (sched, &running);
    TAP_OK (scheduler_assign (sched, worker) == NULL && scheduler_queued (sched) == 0
                && scheduler_running (sched) == 0 && worker->free == 1,
            "dequeue: all counts back to 0");
    s_worker_drop (sched, &worker);
    scheduler_destroy (&sched);
}

/* ---- randomized property test ---- */

/* Workers have a zone (a or b), 0 to 2 GPUs (and then the label gpu), a
   version of their plugins (1.0 or 2.0); a task asks one of R_KINDS
   things; tasks of type e are under the limit "e" (1 at a time), tasks of
   kind 6 under the limit "L" (2 at a time). The oracle decides each
   choice by brute force over every task and worker. */
#define R_TYPES 5
#define R_KINDS 8
#define R_WORKERS 10
#define R_TASKS_MAX 400
#define R_IDS_MAX 100000
#define R_FAIL_SHOW 5
#define R_LIMIT_L 2
#define R_LIMIT_E 1

/* A worker as the test sees it; sched first, as the broker embeds it. */
typedef struct {
    sched_worker_t sched;
    unsigned types;          /* bit t: has type t                              */
    bool live;               /* added and not removed                          */
    int zone;                /* 0: a, 1: b                                     */
    uint64_t gpus;           /* resource gpu                                   */
    int version;             /* of every plugin: 1 or 2                        */
    ztask_label_t labels[2];
    const char *versions[R_TYPES];
} r_worker_t;

typedef struct {
    scheduler_t *sched;
    task_type_t *types[R_TYPES];   /* a..e                                     */
    sched_sig_t *sigs[R_TYPES][R_KINDS];
    r_worker_t workers[R_WORKERS]; /* live, or free for reuse                  */
    task_t *tasks[R_TASKS_MAX];    /* queued (worker NULL) or running          */
    size_t task_count;
    int64_t order[R_IDS_MAX];      /* expected rank within its level, by id    */
    uint8_t kind[R_IDS_MAX];       /* what the task asks, by id                */
    int64_t back, front;           /* last ranks given at the back, the front  */
    uint64_t rand;                 /* xorshift state                           */
    int step;                      /* for failure messages                     */
    size_t assigns, submits, removals, requeues, reservations, unblocked, limited, spared; /* operations done */
    size_t contested;              /* steps with a queued task and a free
                                      worker that cannot run it               */
    bool outside[R_IDS_MAX];       /* by id: neither queued nor running yet
                                      (being offered, or requeued soon)      */
    size_t fail_conserving, fail_slots, fail_eligible, fail_priority, fail_fifo, /* failed checks */
        fail_special, fail_counts, fail_lists, fail_reserve, fail_limits;
} r_ctx_t;

static const char *s_r_kind_name[R_KINDS] = { "plain", "zone=a", "gpu", ">=2.0", "gpu=1", "gpu=2", "limit L",
                                              "zone=b gpu=1" };

static uint32_t
s_rand (r_ctx_t *ctx, uint32_t n)
{
    ctx->rand ^= ctx->rand >> 12;
    ctx->rand ^= ctx->rand << 25;
    ctx->rand ^= ctx->rand >> 27;
    return (uint32_t) ((ctx->rand * UINT64_C (2685821657736338717)) >> 33) % n;
}

static int
s_r_type_index (r_ctx_t *ctx, task_type_t *type)
{
    for (int t = 0; t < R_TYPES; t++)
        if (ctx->types[t] == type)
            return t;
    return -1;
}

static uint64_t
s_r_gpu_need (int kind)
{
    return kind == 4 || kind == 7 ? 1 : kind == 5 ? 2 : 0;
}

/* Could worker ever run task: plugin, level, labels, version, totals. */
static bool
s_r_ever (r_ctx_t *ctx, r_worker_t *worker, task_t *task)
{
    int kind = ctx->kind[task->id];
    if (!(worker->types & (1u << s_r_type_index (ctx, task->type)))
        || !(worker->sched.levels & (1u << task->priority)))
        return false;
    switch (kind) {
    case 1: return worker->zone == 0;
    case 2: return worker->gpus > 0;
    case 3: return worker->version == 2;
    case 7: return worker->zone == 1 && worker->gpus >= 1;
    default: return worker->gpus >= s_r_gpu_need (kind);
    }
}

static uint64_t
s_r_gpus_used (r_ctx_t *ctx, r_worker_t *worker)
{
    uint64_t used = 0;
    for (task_t *task = worker->sched.running; task; task = task->next)
        used += s_r_gpu_need (ctx->kind[task->id]);
    return used;
}

/* ... and now, with what it has free (its slots aside). */
static bool
s_r_now (r_ctx_t *ctx, r_worker_t *worker, task_t *task)
{
    return s_r_ever (ctx, worker, task)
           && worker->gpus - s_r_gpus_used (ctx, worker) >= s_r_gpu_need (ctx->kind[task->id]);
}

/* Running tasks of kind (or any kind, -1) of type index (or any, -1). */
static size_t
s_r_running (r_ctx_t *ctx, int kind, int type)
{
    size_t count = 0;
    for (size_t i = 0; i < ctx->task_count; i++) {
        task_t *task = ctx->tasks[i];
        if (task->worker && (kind < 0 || ctx->kind[task->id] == kind)
            && (type < 0 || s_r_type_index (ctx, task->type) == type))
            count++;
    }
    return count;
}

static bool
s_r_limits_ok (r_ctx_t *ctx, task_t *task)
{
    if (ctx->kind[task->id] == 6 && s_r_running (ctx, 6, -1) >= R_LIMIT_L)
        return false;
    return s_r_type_index (ctx, task->type) != 4 || s_r_running (ctx, -1, 4) < R_LIMIT_E;
}

/* In the free lists: a free slot, not kept for a signature. */
static bool
s_r_linked (r_worker_t *worker)
{
    return worker->live && worker->sched.free > 0 && !worker->sched.reserved;
}

/* The highest level at which the signature worker is kept for has a task
   it serves (and may start), or -1. */
static int
s_r_kept_level (r_ctx_t *ctx, r_worker_t *worker)
{
    int level = -1;
    for (size_t i = 0; i < ctx->task_count; i++) {
        task_t *task = ctx->tasks[i];
        if (!task->worker && !ctx->outside[task->id] && scheduler_task_sig (task) == worker->sched.reserved
            && (worker->sched.levels & (1u << task->priority)) && s_r_limits_ok (ctx, task)
            && task->priority > level)
            level = task->priority;
    }
    return level;
}

/* Specialisation class: fewer plugins, then fewer levels, then fewer
   kinds of resources, is smaller. */
static int
s_r_class (r_worker_t *worker)
{
    return (int) worker->sched.type_count * 1000 + worker->sched.level_count * 10 + (worker->gpus > 0);
}

static bool
s_r_older (r_ctx_t *ctx, task_t *a, task_t *b)
{
    return ctx->order[a->id] < ctx->order[b->id];
}

/* A kept worker with a slot to spare takes the best task at or below the
   kept priority floor that needs no GPU (every kept signature needs GPUs). */
static task_t *
s_r_spare (r_ctx_t *ctx, r_worker_t *worker, int floor)
{
    if (worker->sched.free < 2)
        return NULL;
    for (int l = floor; l >= 0; l--) {
        task_t *best = NULL;
        for (size_t i = 0; i < ctx->task_count; i++) {
            task_t *task = ctx->tasks[i];
            if (task->worker || task->priority != l || s_r_gpu_need (ctx->kind[task->id])
                || !s_r_limits_ok (ctx, task) || !s_r_now (ctx, worker, task))
                continue;
            if (!best || s_r_older (ctx, task, best))
                best = task;
        }
        if (best) {
            ctx->spared++;
            return best;
        }
    }
    return NULL;
}

/* Brute force: what assign must do for worker: the task it takes, or NULL
   with *keep set to the signature it must be kept for (or NULL). */
static task_t *
s_r_best (r_ctx_t *ctx, r_worker_t *worker, sched_sig_t **keep)
{
    *keep = NULL;
    if (!worker->sched.free) {
        *keep = worker->sched.reserved; /* unchanged */
        return NULL;
    }
    sched_sig_t *kept = worker->sched.reserved;
    int floor = kept ? s_r_kept_level (ctx, worker) : -1;
    if (floor < 0)
        kept = NULL;
    for (int l = TASK_PRIORITY_LEVELS - 1; l > floor; l--) {
        task_t *best = NULL;
        bool big = false;
        for (size_t i = 0; i < ctx->task_count; i++) {
            task_t *task = ctx->tasks[i];
            if (task->worker || task->priority != l || !s_r_limits_ok (ctx, task) || !s_r_ever (ctx, worker, task))
                continue;
            bool now = s_r_now (ctx, worker, task);
            if (!now && (kept || scheduler_task_sig (task)->reserved))
                continue;
            if (!best || s_r_older (ctx, task, best))
                best = task, big = !now;
        }
        if (best && big) {
            *keep = scheduler_task_sig (best);
            return s_r_spare (ctx, worker, l);
        }
        if (best)
            return best;
    }
    if (!kept)
        return NULL;
    task_t *best = NULL;
    for (size_t i = 0; i < ctx->task_count; i++) {
        task_t *task = ctx->tasks[i];
        if (!task->worker && scheduler_task_sig (task) == kept && task->priority == floor
            && (!best || s_r_older (ctx, task, best)))
            best = task;
    }
    if (best && s_r_now (ctx, worker, best))
        return best;
    *keep = kept;
    return s_r_spare (ctx, worker, floor);
}

#define R_FAIL(ctx, counter, ...)                                                      \
    do {                                                                               \
        if ((ctx)->counter++ < R_FAIL_SHOW) {                                          \
            printf ("#   step %d: ", (ctx)->step);                                     \
            printf (__VA_ARGS__);                                                      \
            printf ("\n");                                                             \
        }                                                                              \
    } while (0)

/* Fills worker's free slots as the broker does, checking each choice. */
static void
s_r_fill (r_ctx_t *ctx, r_worker_t *worker)
{
    while (true) {
        sched_sig_t *keep;
        task_t *expect = s_r_best (ctx, worker, &keep);
        task_t *got = scheduler_assign (ctx->sched, &worker->sched);
        if (!got) {
            if (expect)
                R_FAIL (ctx, fail_eligible, "assign gave nothing, task %" PRIu64 " was eligible", expect->id);
            if (keep && worker->sched.reserved != keep)
                R_FAIL (ctx, fail_reserve, "assign did not keep the worker for a big task");
            if (!keep && worker->sched.reserved)
                R_FAIL (ctx, fail_reserve, "assign kept the worker, no big task was first");
            if (keep && worker->sched.reserved == keep && worker->sched.free)
                ctx->reservations++;
            return;
        }
        ctx->assigns++;
        if (got->worker != &worker->sched || !s_r_ever (ctx, worker, got))
            R_FAIL (ctx, fail_eligible, "assign gave task %" PRIu64 " it cannot run", got->id);
        if (!expect)
            R_FAIL (ctx, fail_eligible, "assign gave task %" PRIu64 " (%s), none eligible%s", got->id,
                    s_r_kind_name[ctx->kind[got->id]], keep ? " (it should be kept)" : "");
        else if (got->priority != expect->priority)
            R_FAIL (ctx, fail_priority, "assign gave priority %d, %d was eligible", got->priority,
                    expect->priority);
        else if (got != expect)
            R_FAIL (ctx, fail_fifo, "assign gave task %" PRIu64 " before task %" PRIu64, got->id, expect->id);
    }
}

/* Places what became possible (the broker calls it after every event). */
static void
s_r_unblocked (r_ctx_t *ctx)
{
    task_t *task;
    while ((task = scheduler_unblocked (ctx->sched))) {
        ctx->unblocked++;
        r_worker_t *worker = (r_worker_t *) task->worker;
        if (!worker || !worker->live || !s_r_ever (ctx, worker, task)
            || worker->gpus < s_r_gpus_used (ctx, worker))
            R_FAIL (ctx, fail_eligible, "unblocked placed task %" PRIu64 " where it cannot run", task->id);
    }
}

/* Offers task as the broker does, checking the worker chosen. */
static void
s_r_offer (r_ctx_t *ctx, task_t *task, bool front)
{
    r_worker_t *best = NULL;
    ctx->outside[task->id] = true;
    if (s_r_limits_ok (ctx, task)) {
        for (int w = 0; w < R_WORKERS; w++) {
            r_worker_t *worker = &ctx->workers[w];
            if (s_r_linked (worker) && s_r_now (ctx, worker, task)
                && (!best || s_r_class (worker) < s_r_class (best)))
                best = worker;
        }
        /* A kept worker takes tasks above the priority it is kept for. */
        for (int w = 0; w < R_WORKERS && !best; w++) {
            r_worker_t *worker = &ctx->workers[w];
            if (worker->live && worker->sched.reserved && worker->sched.free && s_r_now (ctx, worker, task)
                && (s_r_kept_level (ctx, worker) < task->priority
                    || (worker->sched.free >= 2 && !s_r_gpu_need (ctx->kind[task->id]))))
                best = worker;
        }
    }
    else
        ctx->limited++;
    ctx->order[task->id] = front ? --ctx->front : ++ctx->back;
    r_worker_t *got = (r_worker_t *) scheduler_submit (ctx->sched, task, front);
    ctx->outside[task->id] = false;
    ctx->submits++;
    if (!got) {
        if (best)
            R_FAIL (ctx, fail_conserving, "task %" PRIu64 " (%s) queued with a free eligible worker", task->id,
                    s_r_kind_name[ctx->kind[task->id]]);
    }
    else if (!best || !got->live || task->worker != &got->sched || !s_r_ever (ctx, got, task)
             || got->gpus < s_r_gpus_used (ctx, got))
        R_FAIL (ctx, fail_eligible, "task %" PRIu64 " (%s) given to a worker that cannot run it", task->id,
                s_r_kind_name[ctx->kind[task->id]]);
    else if (!best->sched.reserved && s_r_class (got) != s_r_class (best))
        R_FAIL (ctx, fail_special, "task %" PRIu64 " given to class %d, %d was free", task->id, s_r_class (got),
                s_r_class (best));
}

static void
s_r_forget (r_ctx_t *ctx, task_t *task)
{
    for (size_t i = 0; i < ctx->task_count; i++)
        if (ctx->tasks[i] == task) {
            ctx->tasks[i] = ctx->tasks[--ctx->task_count];
            return;
        }
    assert (false);
}

static void
s_r_add_worker (r_ctx_t *ctx)
{
    r_worker_t *worker = NULL;
    for (int w = 0; w < R_WORKERS && !worker; w++)
        if (!ctx->workers[w].live)
            worker = &ctx->workers[w];
    if (!worker)
        return;
    unsigned types = 1 + s_rand (ctx, (1u << R_TYPES) - 1);
    uint16_t levels;
    uint32_t kind = s_rand (ctx, 4);
    if (kind == 0)
        levels = ALL_LEVELS;
    else if (kind == 1)
        levels = (uint16_t) (1u << s_rand (ctx, 10)); /* reserved for one level */
    else
        levels = (uint16_t) (1 + s_rand (ctx, ALL_LEVELS));
    task_type_t *list[R_TYPES];
    size_t count = 0;
    for (int t = 0; t < R_TYPES; t++)
        if (types & (1u << t))
            list[count++] = ctx->types[t];
    worker->types = types;
    worker->live = true;
    worker->zone = (int) s_rand (ctx, 2);
    worker->gpus = s_rand (ctx, 3);
    worker->version = 1 + (int) s_rand (ctx, 2);
    worker->labels[0] = (ztask_label_t) { "zone", worker->zone ? "b" : "a" };
    worker->labels[1] = (ztask_label_t) { "gpu", "yes" };
    for (size_t t = 0; t < count; t++)
        worker->versions[t] = worker->version == 2 ? "2.0" : "1.0";
    const char *names[] = { "gpu" };
    uint64_t totals[] = { worker->gpus };
    sched_offer_t offer = { worker->versions, worker->labels, worker->gpus ? 2 : 1, names, totals,
                            worker->gpus ? 1 : 0 };
    scheduler_worker_add (ctx->sched, &worker->sched, list, count, levels, 1 + s_rand (ctx, 3), &offer);
    s_r_fill (ctx, worker);
}

static void
s_r_remove_worker (r_ctx_t *ctx)
{
    int live[R_WORKERS], count = 0;
    for (int w = 0; w < R_WORKERS; w++)
        if (ctx->workers[w].live)
            live[count++] = w;
    if (count == 0)
        return;
    r_worker_t *worker = &ctx->workers[live[s_rand (ctx, (uint32_t) count)]];
    scheduler_worker_remove (ctx->sched, &worker->sched);
    worker->live = false;
    ctx->removals++;
    if (worker->sched.reserved)
        R_FAIL (ctx, fail_reserve, "a removed worker is still kept");
    task_t *orphans[R_TASKS_MAX];
    size_t orphan_count = 0;
    task_t *task;
    while ((task = worker->sched.running)) {
        scheduler_release (ctx->sched, task);
        if (task->worker || worker->sched.free)
            R_FAIL (ctx, fail_slots, "released task still linked or removed worker has slots");
        ctx->outside[task->id] = true;
        orphans[orphan_count++] = task;
    }
    if (worker->sched.resources)
        R_FAIL (ctx, fail_slots, "a removed worker's resources outlive its tasks");
    for (size_t i = 0; i < orphan_count; i++) {
        s_r_offer (ctx, orphans[i], true);
        ctx->requeues++;
    }
}

static void
s_r_submit (r_ctx_t *ctx)
{
    if (ctx->task_count >= R_TASKS_MAX || s_next_id >= R_IDS_MAX)
        return;
    /* Type 4 is rarer, so it is often queued with no worker for it. */
    uint32_t t = s_rand (ctx, 9);
    task_t *task = s_task (ctx->types[t < 8 ? t / 2 : 4], (uint8_t) s_rand (ctx, 10));
    int kind = s_rand (ctx, 2) ? 0 : 1 + (int) s_rand (ctx, R_KINDS - 1);
    ctx->kind[task->id] = (uint8_t) kind;
    task->sig = ctx->sigs[s_r_type_index (ctx, task->type)][kind];
    ctx->tasks[ctx->task_count++] = task;
    s_r_offer (ctx, task, false);
}

static void
s_r_release (r_ctx_t *ctx)
{
    task_t *running[R_TASKS_MAX];
    size_t count = 0;
    for (size_t i = 0; i < ctx->task_count; i++)
        if (ctx->tasks[i]->worker)
            running[count++] = ctx->tasks[i];
    if (count == 0)
        return;
    task_t *task = running[s_rand (ctx, (uint32_t) count)];
    r_worker_t *worker = (r_worker_t *) task->worker;
    scheduler_release (ctx->sched, task);
    if (s_rand (ctx, 5) == 0)
        s_r_offer (ctx, task, false); /* retry, at the back */
    else {
        s_r_forget (ctx, task);
        task_destroy (&task);
    }
    s_r_fill (ctx, worker);
}

static void
s_r_cancel (r_ctx_t *ctx)
{
    task_t *queued[R_TASKS_MAX];
    size_t count = 0;
    for (size_t i = 0; i < ctx->task_count; i++)
        if (!ctx->tasks[i]->worker)
            queued[count++] = ctx->tasks[i];
    if (count == 0)
        return;
    task_t *task = queued[s_rand (ctx, (uint32_t) count)];
    scheduler_dequeue (ctx->sched, task);
    s_r_forget (ctx, task);
    task_destroy (&task);
}

/* The invariants, by brute force, after every step. */
static void
s_r_check (r_ctx_t *ctx)
{
    size_t queued = 0, running = 0;
    size_t type_workers[R_TYPES] = { 0 }, type_running[R_TYPES] = { 0 };
    size_t level_queued[R_TYPES][TASK_PRIORITY_LEVELS];
    memset (level_queued, 0, sizeof level_queued);
    bool free_ineligible = false;
    for (size_t i = 0; i < ctx->task_count; i++) {
        task_t *task = ctx->tasks[i];
        int t = s_r_type_index (ctx, task->type);
        if (task->worker) {
            running++;
            type_running[t]++;
            continue;
        }
        queued++;
        level_queued[t][task->priority]++;
        if (!s_r_limits_ok (ctx, task))
            continue;
        for (int w = 0; w < R_WORKERS; w++) {
            r_worker_t *worker = &ctx->workers[w];
            if (!worker->live || worker->sched.free == 0)
                continue;
            bool may = s_r_linked (worker) || s_r_kept_level (ctx, worker) < task->priority
                       || (worker->sched.free >= 2 && !s_r_gpu_need (ctx->kind[task->id]));
            if (may && s_r_now (ctx, worker, task))
                R_FAIL (ctx, fail_conserving, "task %" PRIu64 " (%s, %d) waits, worker %d has a free slot%s",
                        task->id, s_r_kind_name[ctx->kind[task->id]], task->priority, w,
                        worker->sched.reserved ? " (kept for a lower priority)" : "");
            else
                free_ineligible = true;
        }
    }
    if (free_ineligible)
        ctx->contested++;
    if (s_r_running (ctx, 6, -1) > R_LIMIT_L || s_r_running (ctx, -1, 4) > R_LIMIT_E)
        R_FAIL (ctx, fail_limits, "a limit is exceeded: L %zu, e %zu", s_r_running (ctx, 6, -1),
                s_r_running (ctx, -1, 4));
    for (int w = 0; w < R_WORKERS; w++) {
        r_worker_t *worker = &ctx->workers[w];
        if (!worker->live)
            continue;
        size_t on_slots = 0;
        for (task_t *task = worker->sched.running; task; task = task->next) {
            on_slots++;
            if (task->worker != &worker->sched || !s_r_ever (ctx, worker, task))
                R_FAIL (ctx, fail_slots, "worker %d runs a task it cannot run", w);
        }
        if (on_slots > worker->sched.slots || worker->sched.free + on_slots != worker->sched.slots)
            R_FAIL (ctx, fail_slots, "worker %d: %zu running, %u free, %u slots", w, on_slots,
                    worker->sched.free, worker->sched.slots);
        uint64_t used = s_r_gpus_used (ctx, worker);
        if (used > worker->gpus || (worker->gpus && worker->sched.resources[0].used != used))
            R_FAIL (ctx, fail_slots, "worker %d: %" PRIu64 " of %" PRIu64 " GPUs used", w, used, worker->gpus);
        sched_sig_t *kept = worker->sched.reserved;
        if (kept) {
            /* Kept for a signature that has a waiting task it could run
               but has not the free GPUs for. */
            task_t *waiting = NULL;
            for (size_t i = 0; i < ctx->task_count && !waiting; i++)
                if (!ctx->tasks[i]->worker && scheduler_task_sig (ctx->tasks[i]) == kept
                    && (worker->sched.levels & (1u << ctx->tasks[i]->priority)))
                    waiting = ctx->tasks[i];
            if (kept->reserved != &worker->sched || !waiting || !s_r_ever (ctx, worker, waiting)
                || (worker->sched.free && s_r_now (ctx, worker, waiting) && s_r_limits_ok (ctx, waiting)))
                R_FAIL (ctx, fail_reserve, "worker %d kept for a signature without reason", w);
        }
        for (int t = 0; t < R_TYPES; t++)
            if (worker->types & (1u << t))
                type_workers[t]++;
    }
    if (scheduler_queued (ctx->sched) != queued || scheduler_running (ctx->sched) != running)
        R_FAIL (ctx, fail_counts, "scheduler counts %zu queued %zu running, expected %zu %zu",
                scheduler_queued (ctx->sched), scheduler_running (ctx->sched), queued, running);
    for (int t = 0; t < R_TYPES; t++) {
        task_type_t *type = ctx->types[t];
        if (type->workers != type_workers[t] || type->running != type_running[t])
            R_FAIL (ctx, fail_counts, "type %s: %zu workers %zu running, expected %zu %zu",
                    type->name, type->workers, type->running, type_workers[t], type_running[t]);
        for (int l = 0; l < TASK_PRIORITY_LEVELS; l++) {
            size_t listed = 0;
            for (int k = 0; k < R_KINDS; k++) {
                sched_sig_t *sig = ctx->sigs[t][k];
                sig_level_t *sl = &sig->level[l];
                size_t in_sig = 0;
                task_t *prev = NULL;
                for (task_t *task = sl->head; task && in_sig <= queued; task = task->next) {
                    if (task->prev != prev || task->worker || scheduler_task_sig (task) != sig
                        || task->priority != l || (prev && prev->seq >= task->seq))
                        R_FAIL (ctx, fail_lists, "type %s level %d: bad link", type->name, l);
                    prev = task;
                    in_sig++;
                }
                if (sl->tail != prev || in_sig != sl->queued || (sl->queued > 0) != (sl->heap_index > 0))
                    R_FAIL (ctx, fail_lists, "type %s level %d kind %d: bad list", type->name, l, k);
                listed += in_sig;
            }
            type_level_t *tl = &type->level[l];
            if (listed != tl->queued || tl->queued != level_queued[t][l])
                R_FAIL (ctx, fail_lists, "type %s level %d: %zu listed, %zu counted, %zu expected",
                        type->name, l, listed, tl->queued, level_queued[t][l]);
            for (size_t i = 0; i < tl->heap_count; i++)
                if ((i && tl->heap[(i - 1) / 2]->level[l].heap_key > tl->heap[i]->level[l].heap_key)
                    || tl->heap[i]->level[l].heap_key > tl->heap[i]->level[l].head->seq)
                    R_FAIL (ctx, fail_lists, "type %s level %d: heap out of order", type->name, l);
            /* The level's FIFO: every queued task, oldest first. */
            size_t in_fifo = 0;
            task_t *prev = NULL;
            for (task_t *task = tl->head; task && in_fifo <= queued; task = task->fifo_next) {
                if (task->fifo_prev != prev || task->worker || task->type != type || task->priority != l
                    || (prev && prev->seq >= task->seq))
                    R_FAIL (ctx, fail_lists, "type %s level %d: bad fifo link", type->name, l);
                prev = task;
                in_fifo++;
            }
            if (tl->tail != prev || in_fifo != tl->queued)
                R_FAIL (ctx, fail_lists, "type %s level %d: %zu in the fifo, %zu queued", type->name, l, in_fifo,
                        tl->queued);
        }
    }
}

/* Type lifetime: a type no worker has and no task uses is forgotten only
   by scheduler_collect, so a pointer taken in a round outlives a worker
   leaving in the same round (a worker registering again). */
static void
s_test_type_lifetime (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *a = scheduler_type (sched, "a");
    sched_worker_t *first = s_worker (sched, &a, 1, ALL_LEVELS, 1);
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "a") == a, "lifetime: a type with a worker is kept");

    /* Registering again: the type is looked up, then the old worker goes. */
    task_type_t *again = scheduler_type (sched, "a");
    s_worker_drop (sched, &first);
    TAP_OK (again == a && scheduler_type_lookup (sched, "a") == a && a->workers == 0,
            "lifetime: a type that lost its last worker stays until collected");
    sched_worker_t *second = s_worker (sched, &again, 1, ALL_LEVELS, 1);
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "a") == a && a->workers == 1,
            "lifetime: used again in the same round, it is kept");
    task_t *task = s_task (a, 3);
    TAP_OK (scheduler_submit (sched, task, false) == second, "lifetime: and its tasks reach the new worker");
    task_t *live = s_task (a, 3); /* a live task of a, not queued */
    scheduler_task_added (sched, live);

    /* Forgotten once nothing uses it, at the collect after. */
    s_worker_drop (sched, &second); /* ends the task too */
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "a") == a, "lifetime: a live task keeps its type");
    scheduler_task_ended (sched, live, true);
    task_destroy (&live);
    TAP_OK (a->done == 1 && a->tasks == 0, "lifetime: the ended task is counted");
    TAP_OK (scheduler_type_lookup (sched, "a") == a, "lifetime: not forgotten before the collect");
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "a") == NULL, "lifetime: forgotten at the collect");

    /* A type only named (a refused request) goes at the next collect. */
    scheduler_type (sched, "named-once");
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "named-once") == NULL, "lifetime: a type only named is forgotten");
    scheduler_destroy (&sched);
}

static void
s_test_random (uint64_t seed, int steps)
{
    r_ctx_t *ctx = (r_ctx_t *) zmalloc (sizeof (r_ctx_t));
    assert (ctx);
    ctx->sched = scheduler_new ();
    ctx->rand = seed;
    const char *names[R_TYPES] = { "a", "b", "c", "d", "e" };
    assert (scheduler_limit_set (ctx->sched, "e", R_LIMIT_E) == 0);
    assert (scheduler_limit_set (ctx->sched, "L", R_LIMIT_L) == 0);
    for (int t = 0; t < R_TYPES; t++) {
        ctx->types[t] = scheduler_type (ctx->sched, names[t]);
        char version[16];
        snprintf (version, sizeof version, "%s>=2.0", names[t]);
        const char *zone_a[] = { "zone=a" }, *gpu[] = { "gpu" }, *zone_b[] = { "zone = b" };
        sched_needs_t needs[R_KINDS] = {
            { NULL, 0, NULL, NULL, NULL },      { zone_a, 1, NULL, NULL, NULL },
            { gpu, 1, NULL, NULL, NULL },       { NULL, 0, version, NULL, NULL },
            { NULL, 0, NULL, "gpu=1", NULL },   { NULL, 0, NULL, "gpu = 2", NULL },
            { NULL, 0, NULL, NULL, "L" },       { zone_b, 1, NULL, "gpu=1", NULL },
        };
        char error[256];
        for (int k = 0; k < R_KINDS; k++) {
            ctx->sigs[t][k] = scheduler_sig (ctx->sched, ctx->types[t], &needs[k], error, sizeof error);
            assert (ctx->sigs[t][k]);
        }
    }
    for (ctx->step = 0; ctx->step < steps; ctx->step++) {
        uint32_t op = s_rand (ctx, 100);
        if (op < 6)
            s_r_add_worker (ctx);
        else if (op < 10)
            s_r_remove_worker (ctx);
        else if (op < 50)
            s_r_submit (ctx);
        else if (op < 92)
            s_r_release (ctx);
        else
            s_r_cancel (ctx);
        s_r_unblocked (ctx);
        s_r_check (ctx);
    }
    printf ("# seed %" PRIx64 ": %d steps, %zu submits, %zu assigns, %zu removals, %zu requeues,"
            " %zu reservations, %zu spared slots of kept workers, %zu unblocked, %zu over a limit, %zu tasks left\n",
            seed, steps, ctx->submits, ctx->assigns, ctx->removals, ctx->requeues, ctx->reservations,
            ctx->spared, ctx->unblocked, ctx->limited, ctx->task_count);
    TAP_OK (ctx->assigns > 500 && ctx->removals > 50 && ctx->requeues > 20 && ctx->contested > 100
                && ctx->reservations > 5 && ctx->unblocked > 5 && ctx->limited > 20 && ctx->spared > 0,
            "random %" PRIx64 ": the run exercised assigns, removals, requeues, free workers"
            " beside queued tasks, reservations, kept workers' spare slots, limits and unblocked tasks",
            seed);
    TAP_OK (ctx->fail_reserve == 0,
            "random %" PRIx64 ": a worker was kept exactly when a big task came first (%zu)", seed,
            ctx->fail_reserve);
    TAP_OK (ctx->fail_limits == 0, "random %" PRIx64 ": fleet limits never exceeded (%zu)", seed,
            ctx->fail_limits);
    TAP_OK (ctx->fail_conserving == 0,
            "random %" PRIx64 ": work-conserving: no eligible task waited beside a free slot (%zu)",
            seed, ctx->fail_conserving);
    TAP_OK (ctx->fail_slots == 0, "random %" PRIx64 ": slots never over-committed (%zu)", seed,
            ctx->fail_slots);
    TAP_OK (ctx->fail_eligible == 0,
            "random %" PRIx64 ": tasks only went to eligible workers, and assign found them (%zu)",
            seed, ctx->fail_eligible);
    TAP_OK (ctx->fail_priority == 0,
            "random %" PRIx64 ": each assign gave the highest eligible priority (%zu)", seed,
            ctx->fail_priority);
    TAP_OK (ctx->fail_fifo == 0,
            "random %" PRIx64 ": each assign gave the oldest of its priority, requeued first (%zu)",
            seed, ctx->fail_fifo);
    TAP_OK (ctx->fail_special == 0,
            "random %" PRIx64 ": submit chose the most specialised free worker (%zu)", seed,
            ctx->fail_special);
    TAP_OK (ctx->fail_counts == 0 && ctx->fail_lists == 0,
            "random %" PRIx64 ": totals, type counts and queue lists consistent (%zu, %zu)", seed,
            ctx->fail_counts, ctx->fail_lists);

    /* Tear down: remove every worker, then cancel what is left. */
    for (int w = 0; w < R_WORKERS; w++) {
        r_worker_t *worker = &ctx->workers[w];
        if (!worker->live)
            continue;
        scheduler_worker_remove (ctx->sched, &worker->sched);
        worker->live = false;
        task_t *task;
        while ((task = worker->sched.running)) {
            scheduler_release (ctx->sched, task);
            s_r_forget (ctx, task);
            task_destroy (&task);
        }
    }
    while (ctx->task_count) {
        task_t *task = ctx->tasks[0];
        scheduler_dequeue (ctx->sched, task);
        s_r_forget (ctx, task);
        task_destroy (&task);
    }
    bool empty = scheduler_queued (ctx->sched) == 0 && scheduler_running (ctx->sched) == 0;
    for (int t = 0; t < R_TYPES; t++)
        empty = empty && ctx->types[t]->workers == 0 && ctx->types[t]->running == 0;
    TAP_OK (empty, "random %" PRIx64 ": all counts 0 after teardown", seed);
    scheduler_destroy (&ctx->sched);
    free (ctx);
}

/* A paused type is never dispatched: a free worker with its plugin takes
   the other types' tasks (work conservation among the rest), its tasks
   wait in order; a resume places them at once, highest priority first;
   a paused type is never forgotten. */
static void
s_test_pause (void)
{
    scheduler_t *sched = scheduler_new ();
    task_type_t *a = scheduler_type (sched, "pa");
    task_type_t *b = scheduler_type (sched, "pb");
    task_type_t *types[] = { a, b };
    scheduler_pause (sched, a, true);
    sched_worker_t *w = s_worker (sched, types, 2, ALL_LEVELS, 2);
    task_t *a1 = s_task (a, 3), *a2 = s_task (a, 9);
    TAP_OK (scheduler_submit (sched, a1, false) == NULL && scheduler_submit (sched, a2, false) == NULL,
            "pause: a paused type's tasks are queued though a slot is free");
    TAP_OK (scheduler_assign (sched, w) == NULL, "pause: a free slot does not take them");
    task_t *b1 = s_task (b, 0);
    TAP_OK (scheduler_submit (sched, b1, false) == w, "pause: another type's task goes to the free slot at once");
    task_t *b2 = s_task (b, 1);
    scheduler_release (sched, b1);
    TAP_OK (scheduler_submit (sched, b2, false) == w, "pause: ... and the next one, the paused ones still waiting");
    TAP_OK (a->level[3].queued == 1 && a->level[9].queued == 1 && scheduler_queued (sched) == 2,
            "pause: both paused tasks wait");
    TAP_OK (scheduler_unblocked (sched) == NULL, "pause: nothing placed while paused");
    scheduler_pause (sched, a, false);
    task_t *first = scheduler_unblocked (sched);
    TAP_OK (first == a2 && a2->worker == w, "resume: the priority 9 task goes first to the free slot");
    TAP_OK (scheduler_unblocked (sched) == NULL && a->level[3].queued == 1,
            "resume: no free slot left: the other waits");
    scheduler_release (sched, b2);
    TAP_OK (scheduler_assign (sched, w) == a1, "resume: the freed slot takes it as any queued task");
    task_destroy (&b1);
    task_destroy (&b2);
    s_end (sched, &a1);
    s_end (sched, &a2);
    s_worker_drop (sched, &w);
    /* Lifetime: a paused type without tasks or workers stays; resumed, it goes. */
    task_type_t *c = scheduler_type (sched, "pc");
    scheduler_pause (sched, c, true);
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "pc") == c, "pause: a paused type with no task or worker is kept");
    scheduler_pause (sched, c, false);
    TAP_OK (scheduler_unblocked (sched) == NULL, "resume: nothing to place");
    scheduler_collect (sched);
    TAP_OK (scheduler_type_lookup (sched, "pc") == NULL, "resume: once resumed and unused, it is forgotten");
    scheduler_destroy (&sched);
}

int
main (void)
{
    s_test_eligibility ();
    s_test_priority ();
    s_test_fifo ();
    s_test_specialisation ();
    s_test_credit ();
    s_test_reserved ();
    s_test_removal ();
    s_test_dequeue ();
    s_test_type_lifetime ();
    s_test_pause ();
    s_test_random (UINT64_C (0x5eed2024), 4000);
    s_test_random (UINT64_C (0x2545f4914f6cdd1d), 4000);
    s_test_random (UINT64_C (0x9e3779b97f4a7c15), 4000);
    return tap_done ();
}
