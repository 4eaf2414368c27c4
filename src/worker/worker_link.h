/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_link - the worker's DEALER socket to the broker, shared by the
    messaging thread and the slot threads.

    Any thread may send (worker_link_send): the link's mutex serialises the
    socket's users, so each message leaves whole, its frames never mixed
    with another thread's. Only the messaging thread connects, receives
    and waits (worker_link_connect, worker_link_recv, worker_link_wait).

    ZMQ_FD only says "look again", and using the socket may take the
    signal of a message that arrived meanwhile. So after each send the
    sender asks the socket, and if a message waits it wakes
    worker_link_wait through a pipe: a slot thread's send never hides a
    message from the messaging thread.
*/
#ifndef ZTASK_WORKER_LINK_H_INCLUDED
#define ZTASK_WORKER_LINK_H_INCLUDED

#include "common/ztask_monitor.h"
#include "proto/ztask_msg.h"

#include <czmq.h>

typedef struct worker_link worker_link_t;

/* What worker_link_wait saw (bits). */
#define WORKER_LINK_MESSAGE 1 /* the broker socket may have a message   */
#define WORKER_LINK_MONITOR 2 /* the monitor has an event               */
#define WORKER_LINK_TIMEOUT 4 /* the time ran out                       */

/* A link with no socket yet. Returns NULL if its wake pipe cannot be made
   (logged). */
worker_link_t *worker_link_new (void);
void worker_link_destroy (worker_link_t **self_p);

/* (Re)connects with a fresh DEALER (linger 0, never blocking), with CURVE
   when cert is set (server_key: the broker's public key, Z85), and a
   monitor of its handshakes (worker_link_monitor). A message the old
   socket had not sent is dropped. Returns 0, or -1 if the endpoint is
   refused (logged; sends are dropped until the next connect). */
int worker_link_connect (worker_link_t *self, const char *endpoint, zcert_t *cert, const char *server_key);

/* How long the socket may keep unsent messages once destroyed. */
void worker_link_linger (worker_link_t *self, int linger_ms);

/* Sends msg, with body (body_size bytes) as its body frame when its
   command has one. Any thread. Never blocks: returns 0 once libzmq has
   the whole message, -1 if it is dropped (no connection, or a full
   queue). */
int worker_link_send (worker_link_t *self, ztask_msg_t *msg, const void *body, size_t body_size);

/* Receives one message into msg and body, not waiting. Returns 0, -1 when
   there is none, -2 for a malformed one (dropped). Messaging thread. */
int worker_link_recv (worker_link_t *self, ztask_msg_t *msg, zmq_msg_t *body);

/* Waits up to timeout_ms for a message or a monitor event. Returns
   WORKER_LINK_* bits, 0 if a signal interrupted it. Messaging thread;
   call it without holding what a sender holds. */
int worker_link_wait (worker_link_t *self, int timeout_ms);

/* When a message was last sent (zclock_mono), 0 if never. */
int64_t worker_link_sent_at (worker_link_t *self);

/* The monitor of the DEALER's handshake events and disconnections
   (ztask_monitor_new_with_disconnects), or NULL. Read it at once
   (ztask_monitor_read) whenever worker_link_wait says WORKER_LINK_MONITOR:
   an unread monitor stalls libzmq's I/O thread. Messaging thread. */
ztask_monitor_t *worker_link_monitor (worker_link_t *self);

#endif
