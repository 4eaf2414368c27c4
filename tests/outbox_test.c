/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  outbox_test - answers wait for the commit: nothing leaves before
    outbox_release; a commit sends everything in the order it was put; a
    failed commit refuses the submits and drops the rest. */
#include "tap.h"
#include "broker/outbox.h"
#include "proto/ztask_msg.h"
#include "ztask/client.h"

/* Receives one message on peer, decoded into msg; -1 if none is waiting. */
static int
s_recv (zsock_t *peer, ztask_msg_t *msg)
{
    if (!(zsock_events (peer) & ZMQ_POLLIN))
        return -1;
    return ztask_msg_recv (msg, peer, false);
}

int
main (void)
{
    zsys_init ();
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_router_mandatory (router, 1);
    assert (zsock_bind (router, "inproc://outbox-test") == 0);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zsock_set_identity (client, "client");
    zsock_set_rcvtimeo (client, 5000); /* a message that was sent arrives well within */
    assert (zsock_connect (client, "inproc://outbox-test") == 0);
    peer_id_t peer, gone;
    peer_id_set (&peer, NULL, "client", 6);
    peer_id_set (&gone, NULL, "nobody", 6);

    outbox_t *outbox = outbox_new (zsock_resolve (router));
    ztask_msg_t *msg = ztask_msg_new ();
    byte *header = (byte *) malloc (ZTASK_HEADER_MAX);

    /* Round 1: a submit, then a task's end with a body, then a message to a
       peer that is gone. */
    outbox_submitted (outbox, &peer, 7, 42, 0);
    ztask_msg_reset (msg, ZTASK_MSG_TASK_INFO);
    msg->corr = 7;
    msg->task_id = 42;
    msg->state = ZTASK_STATE_DONE;
    msg->flags = ZTASK_FLAG_RESULT;
    size_t size = ztask_msg_encode_header (msg, header);
    outbox_put (outbox, &peer, header, size, "result", 6, true);
    outbox_put (outbox, &gone, header, size, NULL, 0, false);
    TAP_OK (outbox_size (outbox) > 0, "held: the outbox holds the round's answers");
    /* outbox_put never touches the socket: a message it sent by mistake
       would be in the inproc pipe already. */
    TAP_OK (s_recv (client, msg) == -1, "held: nothing reaches the peer before the release");

    TAP_OK (outbox_release (outbox, true) == 1, "committed: one message could not be sent (its peer is gone)");
    TAP_OK (outbox_size (outbox) == 0, "committed: the outbox is empty after the release");
    TAP_OK (ztask_msg_recv (msg, client, false) == 0 && msg->command == ZTASK_MSG_SUBMITTED && msg->corr == 7
                && msg->task_id == 42 && msg->flags == 0,
            "committed: the submit is answered SUBMITTED first");
    TAP_OK (ztask_msg_recv (msg, client, false) == 0 && msg->command == ZTASK_MSG_TASK_INFO && msg->task_id == 42
                && msg->body && zframe_size (msg->body) == 6
                && memcmp (zframe_data (msg->body), "result", 6) == 0,
            "committed: then the task's end, with its body");

    /* Round 2: the commit fails. */
    outbox_submitted (outbox, &peer, 8, 43, ZTASK_FLAG_EXISTING);
    outbox_put (outbox, &peer, header, size, "result", 6, true);
    outbox_submitted (outbox, &peer, 9, 44, 0);
    TAP_OK (outbox_release (outbox, false) == 0, "not committed: released");
    TAP_OK (ztask_msg_recv (msg, client, false) == 0 && msg->command == ZTASK_MSG_ERROR && msg->corr == 8
                && msg->error_status == ZTASK_ERR_UNAVAILABLE,
            "not committed: the first submitter gets ERROR UNAVAILABLE");
    TAP_OK (ztask_msg_recv (msg, client, false) == 0 && msg->command == ZTASK_MSG_ERROR && msg->corr == 9,
            "not committed: so does the second, with nothing between them");
    TAP_OK (s_recv (client, msg) == -1, "not committed: the task's end was dropped");

    /* A large round: the buffer grows, and is given back after. */
    byte *big = (byte *) zmalloc (1024 * 1024);
    for (int i = 0; i < 20; i++)
        outbox_put (outbox, &gone, header, size, big, 1024 * 1024, true);
    TAP_OK (outbox_size (outbox) > 20 * 1024 * 1024, "large: 20 MiB held");
    TAP_OK (outbox_release (outbox, false) == 0 && outbox_size (outbox) == 0, "large: dropped");
    free (big);

    free (header);
    ztask_msg_destroy (&msg);
    outbox_destroy (&outbox);
    TAP_OK (outbox == NULL, "outbox_destroy nulls the pointer");
    zsock_destroy (&client);
    zsock_destroy (&router);
    return tap_done ();
}
