/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_link - the worker's DEALER to the broker, shared by threads.
    See worker_link.h.

    libzmq allows a socket to change threads across a full memory barrier:
    the mutex is that barrier, and it keeps two threads from being inside
    the socket at once. Every use of the socket happens under it; only the
    wait polls the socket's FD unlocked (the FD is a plain descriptor, and
    only the messaging thread replaces the socket). The wait takes the
    lock only when the socket is dirty: a slot thread that reports the
    moment the loop goes to sleep does not find the lock taken.

    The FD signals a message only once the socket has been asked since it
    was last used (a receive that found nothing, or ZMQ_EVENTS). Every send
    ends by asking (s_settle), and wakes the wait through the pipe if a
    message is there already; a receive that got a message leaves the
    socket "dirty", and the wait asks before it sleeps.
*/
#include "worker_link.h"
#include "common/ztask_log.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

struct worker_link {
    pthread_mutex_t lock;   /* guards everything below but wake[0]      */
    zsock_t *dealer;        /* to the broker; NULL before a connect      */
    void *socket;           /* its libzmq socket, for the raw calls      */
    int fd;                 /* its ZMQ_FD (the messaging thread's)       */
    ztask_monitor_t *monitor; /* the DEALER's handshake events, or NULL  */
    int monitor_fd;         /* its reader's ZMQ_FD                       */
    atomic_bool dirty;      /* used since last asked: its FD may not
                               signal a message already there (read
                               unlocked by the wait)                     */
    int wake[2];            /* pipe: a sender writes [1] when a message
                               waits that the FD may not signal          */
    byte *header;           /* ZTASK_HEADER_MAX: a header being sent     */
    _Atomic int64_t sent_at; /* last message sent (monotonic ms)         */
};

worker_link_t *
worker_link_new (void)
{
    worker_link_t *self = (worker_link_t *) zmalloc (sizeof (worker_link_t));
    assert (self);
    pthread_mutex_init (&self->lock, NULL);
    self->fd = self->monitor_fd = -1;
    self->header = (byte *) malloc (ZTASK_HEADER_MAX);
    assert (self->header);
    if (pipe (self->wake) != 0) {
        ztask_log_error ("worker: cannot make the wake pipe: %s", strerror (errno));
        self->wake[0] = self->wake[1] = -1;
        worker_link_destroy (&self);
        return NULL;
    }
    for (int i = 0; i < 2; i++)
        if (fcntl (self->wake[i], F_SETFL, O_NONBLOCK) != 0 || fcntl (self->wake[i], F_SETFD, FD_CLOEXEC) != 0)
            ztask_log_error ("worker: fcntl on the wake pipe: %s", strerror (errno));
    return self;
}

/* Closes the DEALER and its monitor: the monitor stops before its reader
   closes, else libzmq's I/O thread could block for good on an event no
   one will read. Under the lock. */
static void
s_disconnect (worker_link_t *self)
{
    ztask_monitor_destroy (&self->monitor);
    self->monitor_fd = -1;
    zsock_destroy (&self->dealer);
    self->socket = NULL;
    self->fd = -1;
}

void
worker_link_destroy (worker_link_t **self_p)
{
    assert (self_p);
    worker_link_t *self = *self_p;
    if (self) {
        s_disconnect (self);
        for (int i = 0; i < 2; i++)
            if (self->wake[i] >= 0)
                close (self->wake[i]);
        free (self->header);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

/* Watches the DEALER's handshakes (the worker names a broker that refuses
   its key in the log, rather than showing only silence) and the end of its
   connection (a worker with several brokers moves on at once). Under the
   lock. */
static void
s_monitor_start (worker_link_t *self)
{
    self->monitor = ztask_monitor_new_with_disconnects (self->socket); /* NULL: only the log is poorer for it */
    if (self->monitor)
        self->monitor_fd = zsock_fd (ztask_monitor_sock (self->monitor));
}

int
worker_link_connect (worker_link_t *self, const char *endpoint, zcert_t *cert, const char *server_key)
{
    pthread_mutex_lock (&self->lock);
    s_disconnect (self);
    self->dealer = zsock_new (ZMQ_DEALER);
    assert (self->dealer);
    self->socket = zsock_resolve (self->dealer);
    self->fd = zsock_fd (self->dealer); /* the socket's for life */
    zsock_set_linger (self->dealer, 0);
    zsock_set_rcvtimeo (self->dealer, 0);
    zsock_set_sndtimeo (self->dealer, 0);
    if (cert) {
        /* Our keys, and the broker's public key to check it by. */
        zcert_apply (cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, server_key);
    }
    s_monitor_start (self);
    int rc = 0;
    if (zsock_connect (self->dealer, "%s", endpoint) != 0) {
        ztask_log_error ("worker: cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        rc = -1;
    }
    self->dirty = true;
    pthread_mutex_unlock (&self->lock);
    return rc;
}

void
worker_link_linger (worker_link_t *self, int linger_ms)
{
    pthread_mutex_lock (&self->lock);
    if (self->dealer)
        zsock_set_linger (self->dealer, linger_ms);
    pthread_mutex_unlock (&self->lock);
}

/* After a send: asks the socket, which leaves its FD to signal the next
   message, and wakes the wait if one is there already (the send may have
   taken its signal). Under the lock. */
static void
s_settle (worker_link_t *self)
{
    int events = 0;
    size_t size = sizeof events;
    self->dirty = false;
    if (zmq_getsockopt (self->socket, ZMQ_EVENTS, &events, &size) != 0)
        self->dirty = true;
    else if (events & ZMQ_POLLIN)
        while (write (self->wake[1], "", 1) < 0 && errno == EINTR)
            ; /* a full pipe wakes the wait all the same */
}

int
worker_link_send (worker_link_t *self, ztask_msg_t *msg, const void *body, size_t body_size)
{
    int rc = -1;
    pthread_mutex_lock (&self->lock);
    size_t size = self->socket ? ztask_msg_encode_header (msg, self->header) : 0;
    if (size) {
        bool with_body = ztask_msg_has_body (msg);
        int flags = with_body ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT;
        if (zmq_send (self->socket, self->header, size, flags) >= 0) {
            /* The rest of a message whose first frame was taken cannot fail. */
            if (with_body)
                zmq_send (self->socket, body, body_size, ZMQ_DONTWAIT);
            self->sent_at = zclock_mono ();
            rc = 0;
        }
        s_settle (self);
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
worker_link_recv (worker_link_t *self, ztask_msg_t *msg, zmq_msg_t *body)
{
    int rc = -1;
    pthread_mutex_lock (&self->lock);
    if (self->socket) {
        rc = ztask_msg_recv_frames (msg, self->socket, ZMQ_DONTWAIT, NULL, body);
        /* Nothing more, and libzmq took every pending command: the FD
           signals the next message. Not so after a message. */
        self->dirty = rc != -1;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
worker_link_wait (worker_link_t *self, int timeout_ms)
{
    /* Not dirty: the last use asked the socket. A send racing with this
       asks it again and writes the pipe if a message waits. */
    if (atomic_load (&self->dirty)) {
        pthread_mutex_lock (&self->lock);
        int events = 0;
        size_t size = sizeof events;
        self->dirty = false;
        bool waiting = self->socket && zmq_getsockopt (self->socket, ZMQ_EVENTS, &events, &size) == 0
                       && (events & ZMQ_POLLIN);
        pthread_mutex_unlock (&self->lock);
        if (waiting)
            return WORKER_LINK_MESSAGE;
    }
    /* The messaging thread's own fields: only it connects. */
    struct pollfd items[3] = {
        { self->wake[0], POLLIN, 0 },
        { self->fd, POLLIN, 0 },      /* -1 without a socket: ignored */
        { self->monitor_fd, POLLIN, 0 },
    };
    int rc = poll (items, 3, timeout_ms);
    if (rc == 0)
        return WORKER_LINK_TIMEOUT;
    if (rc < 0)
        return 0; /* EINTR: the caller looks at what the signal means */
    if (items[0].revents) {
        char bytes[64];
        while (read (self->wake[0], bytes, sizeof bytes) == (ssize_t) sizeof bytes)
            ;
    }
    return (items[0].revents || items[1].revents ? WORKER_LINK_MESSAGE : 0)
           | (items[2].revents ? WORKER_LINK_MONITOR : 0);
}

int64_t
worker_link_sent_at (worker_link_t *self)
{
    return atomic_load (&self->sent_at);
}

ztask_monitor_t *
worker_link_monitor (worker_link_t *self)
{
    return self->monitor; /* only the messaging thread replaces it */
}
