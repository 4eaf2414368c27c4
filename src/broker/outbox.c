/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  outbox - the answers that must not run ahead of the store. See outbox.h. */
#include "outbox.h"
#include "proto/ztask_msg.h"

#define HELD_MAX_KEPT (16 * 1024 * 1024) /* a larger buffer is given back after a release */

/* Held records, back to back in one buffer, in the order put:
   kind (1 byte), peer id size (1), peer id, the socket it came on
   (pointer), then
   KIND_SUBMITTED: corr (4), task id (8), flags (1);
   KIND_MESSAGE: header size (4), header, body size (4; UINT32_MAX: no
   body frame), body. */
enum { KIND_SUBMITTED = 'S', KIND_MESSAGE = 'M' };

struct outbox {
    void *socket;            /* the ROUTER it sends on                     */
    byte *held;              /* the records                                */
    size_t size, max;        /* bytes used and allocated                   */
    ztask_msg_t *answer;     /* SUBMITTED or ERROR being encoded           */
    byte *header;            /* its header (ZTASK_HEADER_MAX)              */
};

outbox_t *
outbox_new (void *socket)
{
    outbox_t *self = (outbox_t *) zmalloc (sizeof (outbox_t));
    assert (self);
    self->socket = socket;
    self->answer = ztask_msg_new ();
    self->header = (byte *) malloc (ZTASK_HEADER_MAX);
    assert (self->header);
    return self;
}

void
outbox_destroy (outbox_t **self_p)
{
    assert (self_p);
    outbox_t *self = *self_p;
    if (self) {
        ztask_msg_destroy (&self->answer);
        free (self->header);
        free (self->held);
        free (self);
        *self_p = NULL;
    }
}

static void
s_put (outbox_t *self, const void *data, size_t size)
{
    if (self->size + size > self->max) {
        size_t max = self->max ? self->max : 65536;
        while (max < self->size + size)
            max *= 2;
        self->held = (byte *) realloc (self->held, max);
        assert (self->held);
        self->max = max;
    }
    memcpy (self->held + self->size, data, size);
    self->size += size;
}

static void
s_put_peer (outbox_t *self, byte kind, const peer_id_t *peer)
{
    s_put (self, &kind, 1);
    s_put (self, &peer->size, 1);
    s_put (self, peer->data, peer->size);
    s_put (self, &peer->via, sizeof peer->via);
}

void
outbox_submitted (outbox_t *self, const peer_id_t *peer, uint32_t corr, uint64_t task_id, uint8_t flags)
{
    if (!peer->size)
        return; /* the broker itself (a schedule's fire): nobody to tell */
    s_put_peer (self, KIND_SUBMITTED, peer);
    s_put (self, &corr, 4);
    s_put (self, &task_id, 8);
    s_put (self, &flags, 1);
}

void
outbox_put (outbox_t *self, const peer_id_t *peer, const byte *header, size_t header_size,
            const void *body, size_t body_size, bool with_body)
{
    uint32_t header_field = (uint32_t) header_size;
    uint32_t body_field = with_body ? (uint32_t) body_size : UINT32_MAX;
    s_put_peer (self, KIND_MESSAGE, peer);
    s_put (self, &header_field, 4);
    s_put (self, header, header_size);
    s_put (self, &body_field, 4);
    if (with_body)
        s_put (self, body, body_size);
}

size_t
outbox_size (outbox_t *self)
{
    return self->size;
}

/* Encodes and sends self->answer to peer. Returns 0 or -1. */
static int
s_send_answer (outbox_t *self, void *socket, const byte *peer, size_t peer_size)
{
    size_t size = ztask_msg_encode_header (self->answer, self->header);
    assert (size); /* SUBMITTED and ERROR have no field that can be invalid */
    return peer_send (socket, peer, peer_size, self->header, size, NULL, 0, false);
}

size_t
outbox_release (outbox_t *self, bool committed)
{
    size_t failures = 0;
    for (size_t pos = 0; pos < self->size;) {
        byte kind = self->held[pos];
        size_t peer_size = self->held[pos + 1];
        const byte *peer = self->held + pos + 2;
        pos += 2 + peer_size;
        void *socket;
        memcpy (&socket, self->held + pos, sizeof socket);
        pos += sizeof socket;
        if (!socket)
            socket = self->socket;
        int rc = 0;
        if (kind == KIND_SUBMITTED) {
            uint32_t corr;
            uint64_t task_id;
            memcpy (&corr, self->held + pos, 4);
            memcpy (&task_id, self->held + pos + 4, 8);
            uint8_t flags = self->held[pos + 12];
            pos += 13;
            ztask_msg_t *m = self->answer;
            if (committed) {
                ztask_msg_reset (m, ZTASK_MSG_SUBMITTED);
                m->task_id = task_id;
                m->flags = flags;
            }
            else {
                ztask_msg_reset (m, ZTASK_MSG_ERROR);
                m->error_status = ZTASK_ERR_UNAVAILABLE;
                ztask_msg_strcpy (m->text, "the broker's store is unavailable: the task was not accepted;"
                                           " submit it again (with the same key) later");
            }
            m->corr = corr;
            rc = s_send_answer (self, socket, peer, peer_size);
        }
        else {
            uint32_t header_size, body_size;
            memcpy (&header_size, self->held + pos, 4);
            const byte *header = self->held + pos + 4;
            pos += 4 + header_size;
            memcpy (&body_size, self->held + pos, 4);
            const byte *body = self->held + pos + 4;
            bool with_body = body_size != UINT32_MAX;
            pos += 4 + (with_body ? body_size : 0);
            if (committed)
                rc = peer_send (socket, peer, peer_size, header, header_size, body,
                                with_body ? body_size : 0, with_body);
        }
        if (rc != 0)
            failures++;
    }
    self->size = 0;
    if (self->max > HELD_MAX_KEPT) { /* a round of large results: give it back */
        free (self->held);
        self->held = NULL;
        self->max = 0;
    }
    return failures;
}
