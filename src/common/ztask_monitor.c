/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_monitor - a socket's handshake events. See ztask_monitor.h. */
#include "ztask_monitor.h"

#include <stdatomic.h>

struct ztask_monitor {
    void *socket;    /* the libzmq socket watched (not owned)     */
    zsock_t *reader; /* the PAIR end that receives its events     */
};

#define HANDSHAKE_EVENTS                                                                                   \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
     | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

static ztask_monitor_t *
s_new (void *socket, int events)
{
    static atomic_uint s_made; /* names each monitor's endpoint once */
    char endpoint[80];
    snprintf (endpoint, sizeof endpoint, "inproc://ztask-monitor-%p-%u", socket,
              atomic_fetch_add (&s_made, 1));
    if (zmq_socket_monitor (socket, endpoint, events) != 0)
        return NULL;
    ztask_monitor_t *self = (ztask_monitor_t *) zmalloc (sizeof (ztask_monitor_t));
    if (self) {
        self->socket = socket;
        self->reader = zsock_new_pair (endpoint); /* '>' is PAIR's default: connects */
    }
    if (!self || !self->reader) {
        zmq_socket_monitor (socket, NULL, 0);
        free (self);
        return NULL;
    }
    /* A fresh pipe does not signal its first message on ZMQ_FD: libzmq
       expects a look first. Looking arms it for callers that poll the FD. */
    zsock_events (self->reader);
    return self;
}

ztask_monitor_t *
ztask_monitor_new (void *socket)
{
    return s_new (socket, HANDSHAKE_EVENTS);
}

ztask_monitor_t *
ztask_monitor_new_with_disconnects (void *socket)
{
    return s_new (socket, HANDSHAKE_EVENTS | ZMQ_EVENT_DISCONNECTED);
}

void
ztask_monitor_destroy (ztask_monitor_t **self_p)
{
    assert (self_p);
    ztask_monitor_t *self = *self_p;
    if (self) {
        zmq_socket_monitor (self->socket, NULL, 0);
        zsock_destroy (&self->reader);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
ztask_monitor_sock (ztask_monitor_t *self)
{
    assert (self);
    return self->reader;
}

int
ztask_monitor_read (ztask_monitor_t *self, uint16_t *event, uint32_t *value)
{
    assert (self);
    zmsg_t *msg = zmsg_recv (self->reader);
    zframe_t *frame = msg ? zmsg_first (msg) : NULL;
    int kind = -1;
    if (frame && zframe_size (frame) >= 6) {
        memcpy (event, zframe_data (frame), 2);
        memcpy (value, zframe_data (frame) + 2, 4);
        kind = *event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? ZTASK_HANDSHAKE_OK
               : *event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? ZTASK_HANDSHAKE_REFUSED
               : *event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && *value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                   ? ZTASK_HANDSHAKE_MISMATCH
               : *event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ? ZTASK_HANDSHAKE_CLOSED
               : *event == ZMQ_EVENT_DISCONNECTED               ? ZTASK_MONITOR_DISCONNECTED
                                                                : ZTASK_HANDSHAKE_OTHER;
    }
    zmsg_destroy (&msg);
    return kind;
}
