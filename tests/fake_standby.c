/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  fake_standby - a broker that is a standby and nothing else, for
    tests/client_failover.sh: until the active/standby broker is in this
    tree, it gives the clients the answer a standby gives.

        fake_standby ENDPOINT LEADER

    Binds a ROUTER to ENDPOINT (tcp://127.0.0.1:*: it picks the port) and
    prints the endpoint it bound on its first line. It answers every
    message with ERROR NOT_LEADER (corr copied) whose text is LEADER ("" for
    a takeover under way), as docs/protocol.md says of a standby, and
    counts them: each answer's line is "answered N". Runs until killed. */
#include "proto/ztask_msg.h"

#include <czmq.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: fake_standby ENDPOINT LEADER\n");
        return 2;
    }
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router || zsock_bind (router, "%s", argv[1]) < 0) {
        fprintf (stderr, "fake_standby: cannot bind %s\n", argv[1]);
        zsock_destroy (&router);
        return 1;
    }
    printf ("%s\n", zsock_last_endpoint (router));
    fflush (stdout);
    ztask_msg_t *msg = ztask_msg_new ();
    unsigned answered = 0;
    while (!zsys_interrupted) {
        if (ztask_msg_recv (msg, router, true) != 0)
            continue;
        uint32_t corr = msg->corr;
        zframe_t *peer = msg->routing_id;
        msg->routing_id = NULL;
        ztask_msg_reset (msg, ZTASK_MSG_ERROR);
        msg->routing_id = peer;
        msg->corr = corr;
        msg->error_status = ZTASK_ERR_NOT_LEADER;
        ztask_msg_strcpy (msg->text, argv[2]);
        ztask_msg_send (msg, router);
        printf ("answered %u\n", ++answered);
        fflush (stdout);
    }
    ztask_msg_destroy (&msg);
    zsock_destroy (&router);
    return 0;
}
