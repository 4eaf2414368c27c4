/*  slot - runs one task at a time on its own thread, so the worker's
    messaging thread keeps heartbeating while a plugin runs for minutes.

    The messaging thread hands a task over with slot_start (shared state
    under the slot's mutex, and a condition variable to wake the thread);
    the slot's thread reports back the same way and wakes the messaging
    thread by writing one byte to notify_fd, a non-blocking pipe the worker
    polls next to its broker socket. It writes only when the slot goes from
    no event to having one, so after reading the pipe the worker must call
    slot_recv on every slot until it returns SLOT_NOTHING. Events are a
    progress report (rate-limited on the slot's thread; a newer one replaces
    one not yet taken) and the end of the task, in that order. Cancel and
    timeout set the context's flag that plugins check.

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

typedef enum { SLOT_NOTHING, SLOT_PROGRESS, SLOT_DONE } slot_event_kind_t;

typedef struct {
    slot_event_kind_t kind;
    uint64_t task_id;
    uint32_t attempt;
    /* SLOT_PROGRESS */
    uint64_t done, total;
    char text[256];
    /* SLOT_DONE: status is a ZTASK_RESULT_*; error stays valid until the
       slot's next slot_start; result (malloc'd, or NULL) is the caller's */
    int status;
    const char *error;
    void *result;
    size_t result_size;
} slot_event_t;

/* How a slot runs plugins: on its thread, or in a child process per task
   (a crash fails only that attempt; cancel and timeout kill the child). */
#define SLOT_THREAD 0
#define SLOT_PROCESS 1

/* notify_fd: the write end of the worker's non-blocking pipe (see above).
   Returns NULL if the thread cannot start. */
slot_t *slot_new (size_t max_result, int isolation, int notify_fd);
/* Cancels a running task and waits for its plugin to return (process
   isolation: kills the child and reaps it). */
void slot_destroy (slot_t **self_p);

bool slot_busy (slot_t *self);
uint64_t slot_task_id (slot_t *self);

/* Starts a task. payload's content moves to the slot (payload is left
   an empty message). timeout_ms 0: no limit. */
void slot_start (slot_t *self, ztask_module_t *module, uint64_t task_id, uint32_t attempt,
                 zmq_msg_t *payload, uint32_t timeout_ms);

/* Asks the running plugin to stop (ztask_cancelled returns true); process
   isolation kills it. The task then ends as ZTASK_RESULT_RETRY with why
   as its error ("timed out after N ms" for a timeout). */
void slot_cancel (slot_t *self, const char *why);

/* Cancels the task if its timeout has passed. */
void slot_check_timeout (slot_t *self, int64_t now);

/* Takes the slot's next event; kind SLOT_NOTHING when it has none. */
void slot_recv (slot_t *self, slot_event_t *event);

#endif
