/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  peer_id - a peer's routing id on the broker's ROUTER socket, held by
    value so that answering a peer never allocates. libzmq's routing ids
    are 1 to 255 bytes (5 when the peer sets none). via is the ROUTER it
    came on (the public one, or the internal inproc one of the HTTP
    thread): answers go back on it. */
#ifndef ZTASK_PEER_ID_H_INCLUDED
#define ZTASK_PEER_ID_H_INCLUDED

#include <czmq.h>

typedef struct {
    void *via;        /* the libzmq ROUTER socket it came on */
    uint8_t size;     /* bytes used in data            */
    byte data[255];   /* the routing id                */
} peer_id_t;

/* via: the socket it came on; NULL: the broker's public one. */
static inline void
peer_id_set (peer_id_t *self, void *via, const void *data, size_t size)
{
    self->via = via;
    self->size = (uint8_t) (size > sizeof self->data ? sizeof self->data : size);
    memcpy (self->data, data, self->size);
}

static inline bool
peer_id_eq (const peer_id_t *a, const peer_id_t *b)
{
    return a->via == b->via && a->size == b->size && memcmp (a->data, b->data, a->size) == 0;
}

/* Sends a message of up to three frames (peer, header, body if with_body)
   on a ROUTER socket straight from these buffers, without blocking:
   libzmq copies them (small ones without allocating). Returns 0, or -1
   when the peer is gone (ROUTER_MANDATORY) or its queue is full. */
static inline int
peer_send (void *socket, const byte *peer, size_t peer_size, const byte *header, size_t header_size,
           const void *body, size_t body_size, bool with_body)
{
    if (zmq_send (socket, peer, peer_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    /* The rest of a message whose first frame was taken cannot fail. */
    zmq_send (socket, header, header_size, with_body ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT);
    if (with_body)
        zmq_send (socket, body, body_size, ZMQ_DONTWAIT);
    return 0;
}

#endif
