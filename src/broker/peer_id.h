/*  peer_id - a peer's routing id on the broker's ROUTER socket, held by
    value so that answering a peer never allocates. libzmq's routing ids
    are 1 to 255 bytes (5 when the peer sets none). */
#ifndef ZTASK_PEER_ID_H_INCLUDED
#define ZTASK_PEER_ID_H_INCLUDED

#include <czmq.h>

typedef struct {
    uint8_t size;     /* bytes used in data            */
    byte data[255];   /* the routing id                */
} peer_id_t;

static inline void
peer_id_set (peer_id_t *self, const void *data, size_t size)
{
    self->size = (uint8_t) (size > sizeof self->data ? sizeof self->data : size);
    memcpy (self->data, data, self->size);
}

static inline bool
peer_id_eq (const peer_id_t *a, const peer_id_t *b)
{
    return a->size == b->size && memcmp (a->data, b->data, a->size) == 0;
}

#endif
