/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  outbox - the answers that must not run ahead of the store: "accepted
    means durable" in one place.

    During a round of its loop the broker writes to the store in one open
    transaction, and holds here every message that tells a peer about a
    write of that round: SUBMITTED for a new task, RESULT_ACK for a result,
    the end of a task to its waiters. Once the round's transaction has
    committed, outbox_release sends them in the order they were put; if
    the commit failed, each submitter gets ERROR UNAVAILABLE instead of
    SUBMITTED and the rest is dropped: nothing is acknowledged that the
    store does not have (workers send their results again, clients submit
    again with their key).
*/
#ifndef ZTASK_OUTBOX_H_INCLUDED
#define ZTASK_OUTBOX_H_INCLUDED

#include "peer_id.h"

typedef struct outbox outbox_t;

/* An outbox that sends on socket (a ROUTER's libzmq socket). */
outbox_t *outbox_new (void *socket);
void outbox_destroy (outbox_t **self_p);

/* The answer to a submit: SUBMITTED with task_id and flags once committed. */
void outbox_submitted (outbox_t *self, const peer_id_t *peer, uint32_t corr, uint64_t task_id,
                       uint8_t flags);

/* An encoded message (header, and body when with_body), sent once committed. */
void outbox_put (outbox_t *self, const peer_id_t *peer, const byte *header, size_t header_size,
                 const void *body, size_t body_size, bool with_body);

/* Bytes held. */
size_t outbox_size (outbox_t *self);

/* Sends what is held (committed), or refuses the submits (UNAVAILABLE)
   and drops the rest (not committed); the outbox is empty after. Returns the messages
   that a peer could not take (gone, or its queue full). */
size_t outbox_release (outbox_t *self, bool committed);

#endif
