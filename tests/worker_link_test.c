/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_link_test - the worker's shared DEALER (src/worker/worker_link.c)
    against a ROUTER standing in for the broker, over tcp://127.0.0.1:

    - several threads sending at once: the ROUTER gets every message whole
      (header and body of the same message, nothing mixed in), each
      thread's in the order it sent them;
    - a message that waits while another thread sends still wakes the
      wait (which would otherwise sleep out its whole timeout);
    - without a connection nothing is sent and nothing blocks; a refused
      endpoint says so; a reconnect is a new peer for the broker;
    - the monitor reports the handshake. */
#include "tap.h"
#include "worker/worker_link.h"
#include "common/ztask_cert.h"

#include <pthread.h>
#include <sched.h>

#define THREADS 8
#define MESSAGES 3000  /* per thread: RESULTs (with a body) and WORKER_PROGRESS */
#define BODY_MAX 3000  /* some bodies beyond libzmq's small-message size   */
#define WAKE_ROUNDS 20
#define PATIENCE_MS 10000 /* far longer than anything here takes */

typedef struct {
    worker_link_t *link;
    unsigned index;   /* 0 .. THREADS-1 */
    unsigned retries; /* sends dropped for a full queue, and sent again */
} sender_t;

/* The body of thread index's message seq. */
static size_t
s_body (unsigned index, uint32_t seq, byte *body)
{
    size_t size = (seq * 37u + index * 11u) % BODY_MAX;
    for (size_t i = 0; i < size; i++)
        body[i] = (byte) (index * 31u + seq + i);
    return size;
}

/* Fills msg as thread index's message seq: even seqs RESULT, odd ones
   WORKER_PROGRESS. */
static void
s_message (ztask_msg_t *msg, unsigned index, uint32_t seq)
{
    ztask_msg_reset (msg, seq % 2 ? ZTASK_MSG_WORKER_PROGRESS : ZTASK_MSG_RESULT);
    msg->task_id = index + 1;
    msg->attempt = seq;
    if (seq % 2) {
        msg->progress_done = seq;
        msg->progress_total = MESSAGES;
        snprintf (msg->text, sizeof msg->text, "thread %u progress %u", index, seq);
    }
    else {
        msg->status = ZTASK_RESULT_OK;
        snprintf (msg->error, sizeof msg->error, "thread %u result %u", index, seq);
    }
}

static void *
s_sender (void *arg)
{
    sender_t *sender = (sender_t *) arg;
    ztask_msg_t *msg = ztask_msg_new ();
    byte body[BODY_MAX];
    for (uint32_t seq = 0; seq < MESSAGES; seq++) {
        s_message (msg, sender->index, seq);
        size_t size = s_body (sender->index, seq, body);
        while (worker_link_send (sender->link, msg, body, size) != 0) {
            sender->retries++; /* the queue is full: the ROUTER reads on */
            sched_yield ();
        }
    }
    ztask_msg_destroy (&msg);
    return NULL;
}

/* Receives one message on the ROUTER (waiting up to PATIENCE_MS). Returns
   what ztask_msg_recv_frames does; routing_id and body get its frames. */
static int
s_router_recv (zsock_t *router, ztask_msg_t *msg, zmq_msg_t *routing_id, zmq_msg_t *body)
{
    zsock_set_rcvtimeo (router, PATIENCE_MS);
    return ztask_msg_recv_frames (msg, zsock_resolve (router), 0, routing_id, body);
}

/* Checks that msg and body are thread index's message seq (expected: a
   message to build it in). */
static bool
s_is_message (ztask_msg_t *msg, zmq_msg_t *body, unsigned index, uint32_t seq, ztask_msg_t *expected)
{
    byte expected_body[BODY_MAX];
    s_message (expected, index, seq);
    size_t size = s_body (index, seq, expected_body);
    if (msg->command != expected->command || msg->attempt != seq)
        return false;
    if (msg->command == ZTASK_MSG_WORKER_PROGRESS)
        return msg->progress_done == seq && msg->progress_total == MESSAGES && streq (msg->text, expected->text);
    return msg->status == ZTASK_RESULT_OK && streq (msg->error, expected->error) && zmq_msg_size (body) == size
           && memcmp (zmq_msg_data (body), expected_body, size) == 0;
}

/* Sends a HEARTBEAT from the link on its own thread (as a slot would). */
static void *
s_heartbeat (void *arg)
{
    ztask_msg_t *msg = ztask_msg_new ();
    ztask_msg_reset (msg, ZTASK_MSG_HEARTBEAT);
    intptr_t rc = worker_link_send ((worker_link_t *) arg, msg, NULL, 0);
    ztask_msg_destroy (&msg);
    return (void *) rc;
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);

    /* ---- no connection ---- */
    worker_link_t *link = worker_link_new ();
    TAP_OK (link != NULL, "a link is made");
    ztask_msg_t *msg = ztask_msg_new ();
    zmq_msg_t body, routing_id;
    zmq_msg_init (&body);
    zmq_msg_init (&routing_id);
    ztask_msg_reset (msg, ZTASK_MSG_HEARTBEAT);
    TAP_OK (worker_link_send (link, msg, NULL, 0) == -1, "before a connect, a send is dropped");
    TAP_OK (worker_link_sent_at (link) == 0, "  and nothing counts as sent");
    TAP_OK (worker_link_recv (link, msg, &body) == -1, "  a receive finds nothing");
    TAP_OK (worker_link_wait (link, 0) == WORKER_LINK_TIMEOUT, "  a wait times out");
    TAP_OK (worker_link_monitor (link) == NULL, "  there is no monitor");
    TAP_OK (worker_link_connect (link, "bogus://nowhere", NULL, NULL) == -1,
            "a refused endpoint: connect says so");
    ztask_msg_reset (msg, ZTASK_MSG_HEARTBEAT);
    TAP_OK (worker_link_send (link, msg, NULL, 0) == -1, "  and sends are dropped, not blocked");

    /* ---- the broker: a ROUTER on a loopback port ---- */
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    zsock_set_linger (router, 0);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    TAP_OK (port > 0, "the ROUTER listens on port %d", port);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    TAP_OK (worker_link_connect (link, endpoint, NULL, NULL) == 0, "the link connects to %s", endpoint);
    ztask_monitor_t *monitor = worker_link_monitor (link);
    TAP_OK (monitor != NULL, "  with a monitor");

    /* The first message names the link's peer, and the monitor sees the handshake. */
    int64_t before = zclock_mono ();
    ztask_msg_reset (msg, ZTASK_MSG_HEARTBEAT);
    TAP_OK (worker_link_send (link, msg, NULL, 0) == 0, "a HEARTBEAT is sent");
    TAP_OK (worker_link_sent_at (link) >= before, "  sent_at is when");
    int rc = s_router_recv (router, msg, &routing_id, &body);
    TAP_OK (rc == 0 && msg->command == ZTASK_MSG_HEARTBEAT, "  the ROUTER receives it");
    zframe_t *peer = zframe_new (zmq_msg_data (&routing_id), zmq_msg_size (&routing_id));
    bool handshake = false;
    int64_t give_up = zclock_mono () + PATIENCE_MS;
    while (!handshake && zclock_mono () < give_up) {
        int ready = worker_link_wait (link, 100);
        uint16_t event;
        uint32_t value;
        while ((ready & WORKER_LINK_MONITOR) && (zsock_events (ztask_monitor_sock (monitor)) & ZMQ_POLLIN)
               && ztask_monitor_read (monitor, &event, &value) >= 0)
            handshake |= event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    }
    TAP_OK (handshake, "the monitor reports the handshake");

    /* ---- THREADS senders at once ---- */
    pthread_t threads[THREADS];
    sender_t senders[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        senders[i].link = link;
        senders[i].index = i;
        senders[i].retries = 0;
        pthread_create (&threads[i], NULL, s_sender, &senders[i]);
    }
    uint32_t next[THREADS] = { 0 };
    ztask_msg_t *expected = ztask_msg_new ();
    unsigned received = 0, wrong = 0, malformed = 0, foreign = 0;
    while (received + malformed < THREADS * MESSAGES) {
        rc = s_router_recv (router, msg, &routing_id, &body);
        if (rc == -1)
            break; /* nothing for PATIENCE_MS: something was lost */
        if (rc != 0) {
            malformed++;
            continue;
        }
        if (zmq_msg_size (&routing_id) != zframe_size (peer)
            || memcmp (zmq_msg_data (&routing_id), zframe_data (peer), zframe_size (peer)) != 0)
            foreign++;
        unsigned index = (unsigned) msg->task_id - 1;
        if (msg->task_id < 1 || msg->task_id > THREADS || !s_is_message (msg, &body, index, next[index], expected)) {
            if (wrong++ < 5)
                printf ("#   unexpected: command %d task %" PRIu64 " attempt %u (body %zu bytes)\n",
                        msg->command, msg->task_id, msg->attempt, zmq_msg_size (&body));
        }
        else
            next[index]++;
        received++;
    }
    ztask_msg_destroy (&expected);
    unsigned retries = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join (threads[i], NULL);
        retries += senders[i].retries;
    }
    TAP_OK (received == THREADS * MESSAGES, "%d threads sending at once: all %d messages arrive (%u; %u "
            "sends met a full queue and were repeated)", THREADS, THREADS * MESSAGES, received, retries);
    TAP_OK (malformed == 0, "  none malformed (%u): no frames of two messages mixed", malformed);
    TAP_OK (wrong == 0, "  each whole, with its own body, in its thread's order (%u out of place)", wrong);
    TAP_OK (foreign == 0, "  all from the link's one peer");
    bool all_in_order = true;
    for (unsigned i = 0; i < THREADS; i++)
        all_in_order &= next[i] == MESSAGES;
    TAP_OK (all_in_order, "  every thread's last message came last");

    /* ---- a waiting message wakes the wait, whoever sent last ---- */
    while (worker_link_recv (link, msg, &body) != -1)
        ; /* nothing is due, but start from empty */
    unsigned woken = 0, got = 0;
    for (int round = 0; round < WAKE_ROUNDS; round++) {
        ztask_msg_t *out = ztask_msg_new ();
        ztask_msg_reset (out, ZTASK_MSG_HEARTBEAT);
        zmsg_t *wire = ztask_msg_encode (out);
        zmsg_pushmem (wire, zframe_data (peer), zframe_size (peer));
        zmsg_send (&wire, router);
        ztask_msg_destroy (&out);
        /* Most rounds the message is at the link before the other thread
           sends (whose send may take its signal); some not: either way
           the wait must see it. */
        if (round % 4)
            zclock_sleep (20);
        pthread_t thread;
        void *sent;
        pthread_create (&thread, NULL, s_heartbeat, link);
        pthread_join (thread, &sent);
        int ready = 0;
        give_up = zclock_mono () + PATIENCE_MS;
        while (!(ready & WORKER_LINK_MESSAGE) && zclock_mono () < give_up) {
            ready = worker_link_wait (link, PATIENCE_MS);
            uint16_t event;
            uint32_t value;
            while ((ready & WORKER_LINK_MONITOR) && (zsock_events (ztask_monitor_sock (monitor)) & ZMQ_POLLIN))
                ztask_monitor_read (monitor, &event, &value); /* not what this waits for */
            ready &= ~WORKER_LINK_MONITOR;
        }
        if (ready != WORKER_LINK_MESSAGE || sent != NULL)
            break; /* timed out: once is enough to fail */
        woken++;
        while (worker_link_recv (link, msg, &body) == 0)
            got += msg->command == ZTASK_MSG_HEARTBEAT;
        /* the ROUTER drains the slot thread's HEARTBEAT */
        if (s_router_recv (router, msg, &routing_id, &body) != 0)
            break;
    }
    TAP_OK (woken == WAKE_ROUNDS, "a message that waits while another thread sends wakes the wait (%u of %d "
            "rounds, none timed out)", woken, WAKE_ROUNDS);
    TAP_OK (got == WAKE_ROUNDS, "  and is received (%u)", got);
    TAP_OK (worker_link_recv (link, msg, &body) == -1, "  then nothing more");

    /* ---- a reconnect: a new peer, the old socket gone ---- */
    TAP_OK (worker_link_connect (link, endpoint, NULL, NULL) == 0, "a reconnect succeeds");
    ztask_msg_reset (msg, ZTASK_MSG_GOODBYE);
    TAP_OK (worker_link_send (link, msg, NULL, 0) == 0, "  a GOODBYE is sent on the new socket");
    rc = s_router_recv (router, msg, &routing_id, &body);
    TAP_OK (rc == 0 && msg->command == ZTASK_MSG_GOODBYE, "  the ROUTER receives it");
    TAP_OK (zmq_msg_size (&routing_id) != zframe_size (peer)
                || memcmp (zmq_msg_data (&routing_id), zframe_data (peer), zframe_size (peer)) != 0,
            "  from a new peer");
    worker_link_linger (link, 0);

    zframe_destroy (&peer);
    zmq_msg_close (&body);
    zmq_msg_close (&routing_id);
    ztask_msg_destroy (&msg);
    worker_link_destroy (&link);
    TAP_OK (link == NULL, "destroy clears the pointer");
    zsock_destroy (&router);
    return tap_done ();
}
