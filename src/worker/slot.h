/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  slot - runs one task at a time on its own thread, so the worker's
    messaging thread keeps heartbeating while a plugin runs for minutes.

    The messaging thread hands a task over with slot_start (shared state
    under the slot's mutex, and a condition variable to wake the thread). The slot's
    thread reports back itself: it calls the worker's report function with
    each event, on its own thread, holding none of the slot's locks. Events
    are progress reports (rate-limited on the slot's thread) and then, once
    per task, the end of it. Cancel and timeout set the context's flag that
    plugins check.

    With SLOT_PROCESS the slot's thread forks a fresh child per task and
    runs the plugin there; the events are the same. Cancel and timeout also
    kill the child (SIGKILL, within about 20 ms), and a child that dies
    before finishing ends the task as ZTASK_RESULT_RETRY with the cause
    named ("plugin crashed: killed by signal 11 (Segmentation fault)").
    The slot's thread reaps its own children: the worker must not reap
    (waitpid (-1, ...)) nor set SIGCHLD to SIG_IGN.

    The slot's thread blocks SIGINT, SIGTERM and SIGHUP, so that they
    interrupt the messaging thread's poll and are seen at once.
*/
#ifndef ZTASK_SLOT_H_INCLUDED
#define ZTASK_SLOT_H_INCLUDED

#include "plugin/ztask_module.h"

#include <czmq.h>

typedef struct slot slot_t;

typedef enum { SLOT_PROGRESS, SLOT_DONE } slot_event_kind_t;

typedef struct {
    slot_event_kind_t kind;
    uint64_t task_id;
    uint32_t attempt;
    /* SLOT_PROGRESS */
    uint64_t done, total;
    char text[256];
    /* SLOT_DONE: status is a ZTASK_RESULT_*; result (malloc'd, or NULL)
       becomes the report's to free */
    int status;
    uint32_t retry_after_ms;  /* RETRY: the plugin's wait (ztask_retry_after); 0: none */
    char error[256];
    void *result;
    size_t result_size;
} slot_event_t;

/* How a slot runs plugins: on its thread, or in a child process per task
   (a crash fails only that attempt; cancel and timeout kill the child). */
#define SLOT_THREAD 0
#define SLOT_PROCESS 1

/* Takes a slot's event, on the slot's thread. A SLOT_DONE report comes
   after the slot is free again: slot_start may be called from then on. */
typedef void (slot_report_fn) (void *arg, slot_t *slot, slot_event_t *event);

/* report (with arg) gets every event. Returns NULL if the thread cannot
   start. */
slot_t *slot_new (size_t max_result, int isolation, slot_report_fn *report, void *arg);
/* Cancels a running task and waits for its plugin to return (process
   isolation: kills the child and reaps it) and for its last report: call
   it without holding what report locks. */
void slot_destroy (slot_t **self_p);

/* Starts a task: hands it to the slot's thread, which begins at the next
   slot_kick. payload's content moves to the slot (payload is left an
   empty message). timeout_ms 0: no limit. */
/* parent_sizes (parent_count, copied): the task's parents' results follow
   its payload in payload, of these sizes (dependencies). */
void slot_start (slot_t *self, ztask_module_t *module, uint64_t task_id, uint32_t attempt,
                 const uint32_t *parent_sizes, size_t parent_count,
                 zmq_msg_t *payload, uint32_t timeout_ms);

/* Wakes the slot's thread if slot_start gave it a task since the last
   kick. The worker kicks once it has let go of what the thread's report
   locks, so that a quick task does not end on a held lock. */
void slot_kick (slot_t *self);

/* Asks the running plugin to stop (ztask_cancelled returns true); process
   isolation kills it. The task then ends as ZTASK_RESULT_RETRY with why
   as its error ("timed out after N ms" for a timeout), unless the plugin
   returns ZTASK_OK all the same: then its result is reported, as
   ZTASK_RESULT_OK. Does nothing once the task has ended. */
void slot_cancel (slot_t *self, const char *why);

/* Cancels the task if its timeout has passed. */
void slot_check_timeout (slot_t *self, int64_t now);

#endif
