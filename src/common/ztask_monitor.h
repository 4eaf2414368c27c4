/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_monitor - watches a socket's handshakes with its peer, so that a
    client or worker can say why a broker does not answer (it refused our
    CURVE key, it wants CURVE, it does not) rather than show only silence.
    Shared by libztask's client and the worker.

    libzmq's I/O thread sends each event with a blocking send: a monitor
    that is not read (its queue full), or whose reader closed first, would
    stall every socket of the process. So: read every event as it comes
    (or keep a monitor only while reading it), and always end it with
    ztask_monitor_destroy, which stops the events before it closes the
    reader.

        ztask_monitor_t *monitor = ztask_monitor_new (zsock_resolve (dealer));
        ... poll zsock_resolve (ztask_monitor_sock (monitor)) beside the dealer;
        uint32_t value;
        uint16_t event;
        int kind = ztask_monitor_read (monitor, &event, &value);
        ...
        ztask_monitor_destroy (&monitor);
*/
#ifndef ZTASK_MONITOR_H_INCLUDED
#define ZTASK_MONITOR_H_INCLUDED

#include <czmq.h>

/* What a handshake event says (ztask_monitor_read). */
#define ZTASK_HANDSHAKE_OK 0       /* it succeeded                               */
#define ZTASK_HANDSHAKE_REFUSED 1  /* the peer's ZAP handler refused our key
                                      (value: the ZAP status, e.g. 400)          */
#define ZTASK_HANDSHAKE_MISMATCH 2 /* one side uses CURVE, the other does not    */
#define ZTASK_HANDSHAKE_CLOSED 3   /* the peer closed the connection during the
                                      handshake and said no more (value: errno):
                                      a CURVE server that cannot decrypt our
                                      HELLO (a wrong server key), or a CURVE
                                      server seeing a plain client              */
#define ZTASK_HANDSHAKE_OTHER 4    /* any other failure (event and value say)    */
#define ZTASK_MONITOR_DISCONNECTED 5 /* the connection ended (the peer closed it
                                      or went away; also after a failed
                                      handshake): only from a monitor made by
                                      ztask_monitor_new_with_disconnects     */

typedef struct ztask_monitor ztask_monitor_t;

/* Starts watching the handshakes of socket (a libzmq socket: zsock_resolve
   of a zsock). Returns NULL when it cannot; the caller then goes on
   without: only its messages say less. */
ztask_monitor_t *ztask_monitor_new (void *socket);

/* The same, and it also reports the end of each connection
   (ZTASK_MONITOR_DISCONNECTED), so that a worker that follows the leading
   broker notices at once that the broker it is registered with is gone. */
ztask_monitor_t *ztask_monitor_new_with_disconnects (void *socket);

/* Stops the events, then closes the reader. */
void ztask_monitor_destroy (ztask_monitor_t **self_p);

/* The reader, to poll (its ZMQ_FD is armed: it signals the first event). */
zsock_t *ztask_monitor_sock (ztask_monitor_t *self);

/* Reads one event (blocks if none is waiting): returns its kind
   (ZTASK_HANDSHAKE_*, ZTASK_MONITOR_DISCONNECTED) with libzmq's event and
   value, or -1 for a frame
   that is not an event. */
int ztask_monitor_read (ztask_monitor_t *self, uint16_t *event, uint32_t *value);

#endif
