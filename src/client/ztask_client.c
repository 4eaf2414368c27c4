/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_client - libztask's client API (include/ztask/client.h).

    One DEALER socket to the broker. Each request carries a new corr number
    and the client reads until the answer with that number arrives: answers
    to earlier requests that gave up (stale) are dropped. A request waits at
    most timeout_ms; a WAIT may take as long as the task runs, so while the
    broker is silent the client sends the same WAIT again every few seconds:
    a broker that restarted meanwhile (and forgot the waiter) then answers
    too, and a broker that still knows the waiter ignores the duplicate.

    CURVE. With ztask_client_set_curve (or $ZTASK_CERT and
    $ZTASK_BROKER_CERT) the DEALER is made again with our keys and the
    broker's public key. A broker that refuses a key, or one that wants
    CURVE from a plain client, does not answer: it only closes the
    connection during the handshake. So while a request waits, the client
    watches its socket's handshake events (a libzmq socket monitor; libzmq
    retries a failed handshake every 100 ms or so) and, when the request
    times out, says what the handshake said rather than "is ztaskd
    running?". The monitor lives only while we wait and read it: libzmq's
    I/O thread sends each event with a blocking send, so a monitor that is
    not read (its queue full) or whose reader went away first would stall
    every socket of the process. It is stopped before its reader closes.

    Signals. The first czmq socket in a process runs zsys_init (), which
    (unless the application called zsys_handler_set (NULL) first or set
    ZSYS_SIGHANDLER=false) installs czmq's SIGINT/SIGTERM handler; that
    handler only sets zsys_interrupted. We leave this alone on purpose:
    calling zsys_handler_set (NULL) here would switch off the handling that
    czmq applications, and the ztask command (whose Ctrl-C must end a
    --wait cleanly), rely on, and a library cannot tell which kind of
    program it is in. What the library guarantees instead: it never
    installs a signal handler itself; every request and wait returns -1
    with "interrupted" as soon as zsys_interrupted is set; and a signal
    that interrupts a poll without setting zsys_interrupted (a handler of
    the application's own) is not an error, the call carries on. An
    application that wants its own SIGINT behaviour calls zsys_handler_set
    (NULL) or sets ZSYS_SIGHANDLER=false before its first ztask_client_new,
    or installs its handler after it.

    Failover. Given a list of brokers (an active/standby pair: one leads,
    the others answer every request with ERROR NOT_LEADER naming it), the
    client still talks to one broker at a time: one DEALER, connected to
    the current endpoint only (a DEALER connected to several would deal
    requests round-robin, some to a frozen old leader). A request is sent
    again elsewhere (s_receive_failover) when
      - a standby answers: to the leader it names if the list has it, else
        to the next broker of the list (s_follow_leader); after as many
        standby answers in a row as the list has brokers (no leader yet),
        it first backs off 100-200 ms;
      - a broker answers UNAVAILABLE (its store is down, or it is an old
        leader woken from a freeze that has not yet found out that another
        took over): to the next broker of the list, until every broker of
        the list has answered so, which ends the call with that error;
      - the current broker is silent for a try's time (TRY_MS, or the
        time limit shared among the brokers when that is shorter; twice
        as long after each silent try, so that a slow leader gets its
        time): to the next broker of the list.
    Every request stays within timeout_ms, and the broker that answered
    stays current for the next one. A request to be sent again keeps its
    payload until it is answered, and a submit without a key gets one
    (auto_key.h), so that a submit sent again to the new leader finds the
    task the old one stored rather than making a second. A wait
    (s_wait_failover) cannot tell a frozen broker from a long task by
    silence alone, so after PROBE_AFTER_MS of silence it sends the WAIT
    again (ignored by a broker that has it) with a STATUS probe (same
    corr, with the result), which a live leader answers at once: a final
    TASK_INFO ends the wait, any other keeps it going, and no answer
    within the try's time moves the wait to the next broker. With one
    endpoint nothing of this happens: the client behaves as it always did,
    and a standby's answer is an error that names the leader.
*/
#include "ztask/client.h"
#include "common/ztask_cert.h"
#include "common/ztask_endpoints.h"
#include "common/ztask_monitor.h"
#include "common/ztask_names.h"
#include "common/ztask_retry.h"
#include "common/ztask_cron.h"
#include "common/ztask_utf8.h"
#include "client/auto_key.h"
#include "proto/ztask_msg.h"
#include "proto/ztask_task_view.h"

#include <errno.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 5000 /* a request's default time limit           */
#define LINGER_MS 100           /* destroy never waits longer than this     */
#define WAIT_RESEND_MS 3000     /* silence after which a WAIT is sent again */
#define POLL_MAX_MS 1000        /* longest single poll, see s_receive        */
#define ERROR_MAX 512
/* With a list of brokers (see the top of this file): */
#define TRY_MS 1000             /* a broker's first try at a request         */
#define TRY_MIN_MS 100          /* ... with a short time limit, at least     */
#define TRY_MAX_MS 8000         /* the longest try (they double)             */
#define PROBE_AFTER_MS 1000     /* silence after which a wait probes         */
#define BACKOFF_MS 100          /* when no broker leads: wait 100-200 ms     */

/* What s_receive found. */
#define RECEIVED_ERROR -1   /* an ERROR answer (but NOT_LEADER), a malformed
                               message, an interrupt: the error is set      */
#define RECEIVED_NOTHING 0  /* the deadline passed                          */
#define RECEIVED_ANSWER 1   /* self->reply answers the current request      */
#define RECEIVED_STANDBY 2  /* ERROR NOT_LEADER: self->reply->text names the
                               leader's endpoint, "" while none leads       */
#define RECEIVED_UNAVAILABLE 3 /* with a list of brokers, ERROR UNAVAILABLE
                               (noted in self->unavailable)                 */

/* Why the calling thread's last ztask_client_new failed ("": out of
   memory), for ztask_client_error (NULL). */
static __thread char s_new_error[ERROR_MAX];

struct ztask_client {
    zsock_t *dealer;        /* DEALER socket connected to the broker         */
    ztask_monitor_t *monitor; /* the DEALER's handshake events while a
                               request waits; NULL otherwise                 */
    zcert_t *cert;          /* our certificate with CURVE; NULL: plain TCP   */
    char broker_keys[ZTASK_ENDPOINTS_MAX][Z85_KEY_SIZE + 1]; /* with CURVE,
                               each broker's public key in the list's order,
                               or one for every broker                      */
    size_t broker_key_count; /* 1 (for every broker) or one per broker      */
    char handshake[ERROR_MAX]; /* why the last handshake failed; "" if none  */
    bool handshake_detailed; /* handshake says more than "closed"           */
    char *setup_error;      /* $ZTASK_CERT trouble that every request
                               reports; NULL: none                           */
    ztask_endpoints_t *brokers; /* the endpoints given: one, or a list to
                               fail over on; its current one is the one the
                               DEALER connects to                           */
    int standby_index;      /* the broker whose standby answer (ERROR
                               NOT_LEADER) came last in this call; -1: none,
                               or something else came after it              */
    char leader[ZTASK_STRING_MAX + 1]; /* the leader a standby named in this
                               call (the latest); "": none did              */
    int leader_from;        /* the standby that named it; -1: none           */
    size_t unavailables;    /* UNAVAILABLE answers in this call (a list)     */
    char unavailable[ERROR_MAX]; /* the last of them, with its broker       */
    char auto_key[AUTO_KEY_SIZE]; /* the key made up for a submit with none */
    int timeout_ms;         /* a request's time limit; < 0: none             */
    uint32_t corr;          /* number of the latest request                  */
    ztask_msg_t *request;   /* the latest request, kept to send it again     */
    ztask_msg_t *reply;     /* the message last received                     */
    ztask_msg_t *probe;     /* a wait's STATUS probe; NULL with one broker   */
    char error[ERROR_MAX];  /* text of the last failure; "" before any       */
    int code;               /* ZTASK_CLIENT_E_* of the last call             */
};

static int
s_fail (ztask_client_t *self, int code, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

/* Records why a call failed, code being its kind (ZTASK_CLIENT_E_*);
   returns -1 for the caller to return. */
static int
s_fail (ztask_client_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    self->code = code;
    return -1;
}

/* Starts a public call: nothing has failed yet. */
static void
s_begin (ztask_client_t *self)
{
    assert (self);
    self->code = ZTASK_CLIENT_E_OK;
}

/* Checks a name we are about to send (ztask_names.h has the rule: the
   broker refuses the same); what names it in the error. */
static int
s_check_name (ztask_client_t *self, const char *name, const char *what)
{
    char why[160];
    if (!ztask_name_valid (name, why, sizeof why))
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid %s: %s", what, why);
    return 0;
}

/* True when the client was given a list of brokers to fail over on. */
static bool
s_failover (ztask_client_t *self)
{
    return ztask_endpoints_size (self->brokers) > 1;
}

/* The endpoint the DEALER connects to: the current one of the list. */
static const char *
s_endpoint (ztask_client_t *self)
{
    return ztask_endpoints_current (self->brokers);
}

/* ---- the connection ---- */

/* The broker certificate files in files (one, or a comma-separated list
   with one per broker) into files[], checking their number. With one
   broker, files is one file name as it is (commas and all). Returns how
   many (1 or the number of brokers), or -1 with the error set. */
static int
s_broker_cert_files (ztask_client_t *self, const char *files, char **items)
{
    size_t brokers = ztask_endpoints_size (self->brokers);
    if (brokers == 1) {
        items[0] = strdup (files);
        return items[0] ? 1 : s_fail (self, ZTASK_CLIENT_E_INTERNAL, "out of memory");
    }
    char error[ERROR_MAX - 32];
    int count = ztask_endpoints_split (files, items, ZTASK_ENDPOINTS_MAX, "broker certificate file", error,
                                       sizeof error);
    if (count < 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "broker certificates: %s", error);
    if (count != 1 && (size_t) count != brokers)
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "%d broker certificate files for %zu brokers: give one per broker, in the order of the "
                       "endpoints (%.200s), or one for all",
                       count, brokers, ztask_endpoints_text (self->brokers));
    return count;
}

/* Loads the public keys of the broker certificate files into keys.
   Returns 0, or -1 with the error set. */
static int
s_broker_keys_load (ztask_client_t *self, char **files, int count, char (*keys)[Z85_KEY_SIZE + 1])
{
    char error[ERROR_MAX - 64];
    for (int i = 0; i < count; i++) {
        zcert_t *broker = ztask_cert_load (files[i], false, error, sizeof error);
        if (!broker && count == 1)
            return s_fail (self, ZTASK_CLIENT_E_USAGE, "broker certificate: %s", error);
        if (!broker)
            return s_fail (self, ZTASK_CLIENT_E_USAGE, "broker certificate %d (for %.100s): %s", i + 1,
                           ztask_endpoints_get (self->brokers, (size_t) i), error);
        snprintf (keys[i], Z85_KEY_SIZE + 1, "%s", zcert_public_txt (broker));
        zcert_destroy (&broker);
    }
    return 0;
}

/* Loads our certificate and the brokers' into self (both NULL: CURVE
   off). Returns 0, or -1 with the error set and self unchanged. */
static int
s_curve_load (ztask_client_t *self, const char *secret_file, const char *broker_files)
{
    if (!secret_file && !broker_files) {
        zcert_destroy (&self->cert);
        self->broker_key_count = 0;
        return 0;
    }
    if (!secret_file || !broker_files)
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "CURVE needs both files: this client's secret certificate and the broker's public "
                       "certificate");
    if (!zsys_has_curve ())
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "CURVE is asked for, but this libzmq was built without it");
    char *files[ZTASK_ENDPOINTS_MAX] = { NULL };
    char keys[ZTASK_ENDPOINTS_MAX][Z85_KEY_SIZE + 1];
    int count = s_broker_cert_files (self, broker_files, files);
    zcert_t *cert = NULL;
    if (count > 0) {
        char error[ERROR_MAX - 32];
        cert = ztask_cert_load (secret_file, true, error, sizeof error);
        if (!cert)
            s_fail (self, ZTASK_CLIENT_E_USAGE, "client certificate: %s", error);
        else if (s_broker_keys_load (self, files, count, keys) != 0)
            zcert_destroy (&cert);
    }
    for (size_t i = 0; i < ZTASK_ENDPOINTS_MAX; i++)
        free (files[i]);
    if (!cert)
        return -1;
    zcert_destroy (&self->cert);
    self->cert = cert;
    memcpy (self->broker_keys, keys, sizeof keys[0] * (size_t) count);
    self->broker_key_count = (size_t) count;
    return 0;
}

/* Watches the DEALER's handshakes (see the top of this file), for as long
   as the DEALER lives: a monitor per request would make and close two
   sockets a request, which libzmq reaps later, so that a busy client
   could run past czmq's socket limit. Without a monitor the client works
   the same, only its timeouts say less. */
static void
s_monitor_start (ztask_client_t *self)
{
    self->monitor = ztask_monitor_new (zsock_resolve (self->dealer));
}

static void
s_monitor_stop (ztask_client_t *self)
{
    ztask_monitor_destroy (&self->monitor);
}

/* (Re)makes the DEALER with the current keys and connects it. Returns 0,
   or -1 (an invalid endpoint, out of memory). */
static int
s_open (ztask_client_t *self)
{
    s_monitor_stop (self);
    zsock_destroy (&self->dealer);
    self->handshake[0] = 0;
    self->handshake_detailed = false;
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer)
        return -1;
    zsock_set_linger (self->dealer, LINGER_MS);
    zsock_set_sndtimeo (self->dealer, 0);
    if (strchr (s_endpoint (self), '['))
        zsock_set_ipv6 (self->dealer, 1); /* tcp://[::1]:5570 */
    if (self->cert) {
        size_t key = self->broker_key_count > 1 ? ztask_endpoints_index (self->brokers) : 0;
        zcert_apply (self->cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, self->broker_keys[key]);
    }
    s_monitor_start (self); /* before the connect: its handshake is watched */
    return zsock_connect (self->dealer, "%s", s_endpoint (self)) == 0 ? 0 : -1;
}

/* Reads one handshake event into self->handshake. A bare "closed" does
   not replace a failure that said more: libzmq retries, and a plain
   client's retries end either way, depending on timing. */
static void
s_monitor_event (ztask_client_t *self)
{
    uint16_t event;
    uint32_t value;
    int kind = ztask_monitor_read (self->monitor, &event, &value);
    if (kind == ZTASK_HANDSHAKE_OK) {
        self->handshake[0] = 0;
        self->handshake_detailed = false;
    }
    else if (kind == ZTASK_HANDSHAKE_CLOSED) {
        if (!self->handshake_detailed)
            /* What a CURVE server does with a HELLO it cannot decrypt, and
               sometimes with a plain client. */
            snprintf (self->handshake, sizeof self->handshake,
                      "the broker closed the connection during the handshake (%s): %s",
                      zmq_strerror ((int) value),
                      self->cert ? "is the broker certificate this broker's public certificate?"
                                 : "does it require CURVE? (then give this client its certificate and the "
                                   "broker's: ztask --cert and --broker-cert, $ZTASK_CERT and "
                                   "$ZTASK_BROKER_CERT, or ztask_client_set_curve)");
    }
    else if (kind > 0) {
        self->handshake_detailed = true;
        if (kind == ZTASK_HANDSHAKE_REFUSED)
            snprintf (self->handshake, sizeof self->handshake,
                      "the broker refused this client's key %s (ZAP status %u): the broker's allow/clients "
                      "directory must hold this client's public certificate",
                      self->cert ? zcert_public_txt (self->cert) : "", value);
        else if (kind == ZTASK_HANDSHAKE_MISMATCH)
            snprintf (self->handshake, sizeof self->handshake, "%s",
                      self->cert ? "the broker does not use CURVE, but this client does"
                                 : "the broker requires CURVE: give this client its certificate and the "
                                   "broker's (ztask --cert and --broker-cert, $ZTASK_CERT and "
                                   "$ZTASK_BROKER_CERT, or ztask_client_set_curve)");
        else
            snprintf (self->handshake, sizeof self->handshake,
                      "the handshake with the broker failed (libzmq event 0x%x, error 0x%x)", event, value);
    }
}

const char *
ztask_broker_endpoint (const char *endpoint)
{
    if (endpoint)
        return endpoint;
    endpoint = getenv ("ZTASK_BROKER");
    return endpoint && *endpoint ? endpoint : ZTASK_DEFAULT_ENDPOINT;
}

ztask_client_t *
ztask_client_new (const char *endpoint)
{
    endpoint = ztask_broker_endpoint (endpoint);
    s_new_error[0] = 0;
    ztask_client_t *self = (ztask_client_t *) zmalloc (sizeof (ztask_client_t));
    if (!self)
        return NULL;
    self->timeout_ms = DEFAULT_TIMEOUT_MS;
    self->standby_index = -1;
    self->leader_from = -1;
    /* Checked as text only (ztask_endpoints.h): nothing is connected but
       the DEALER, to the first endpoint, below. */
    self->brokers = ztask_endpoints_parse (endpoint, s_new_error, sizeof s_new_error);
    self->request = ztask_msg_new ();
    self->reply = ztask_msg_new ();
    if (!self->brokers || !self->request || !self->reply) {
        ztask_client_destroy (&self);
        return NULL;
    }
    if (s_failover (self) && !(self->probe = ztask_msg_new ())) {
        ztask_client_destroy (&self);
        return NULL;
    }
    const char *cert = getenv ("ZTASK_CERT"), *broker_cert = getenv ("ZTASK_BROKER_CERT");
    cert = cert && *cert ? cert : NULL;
    broker_cert = broker_cert && *broker_cert ? broker_cert : NULL;
    if (cert || broker_cert) {
        if (!cert || !broker_cert)
            s_fail (self, ZTASK_CLIENT_E_USAGE, "%s is set but %s is not: set both for CURVE, or neither",
                    cert ? "$ZTASK_CERT" : "$ZTASK_BROKER_CERT", cert ? "$ZTASK_BROKER_CERT" : "$ZTASK_CERT");
        else if (s_curve_load (self, cert, broker_cert) == 0)
            self->error[0] = 0;
        else {
            /* Never plain TCP where CURVE was asked for: every request
               fails until ztask_client_set_curve succeeds. */
            char error[ERROR_MAX];
            snprintf (error, sizeof error, "%s", self->error);
            s_fail (self, ZTASK_CLIENT_E_USAGE, "$ZTASK_CERT / $ZTASK_BROKER_CERT: %s", error);
        }
        if (self->error[0])
            self->setup_error = strdup (self->error);
        self->error[0] = 0;
        self->code = ZTASK_CLIENT_E_OK;
    }
    if (s_open (self) != 0) {
        /* Out of memory (""), or libzmq refuses what passed the check. */
        if (!self->dealer)
            s_new_error[0] = 0;
        else if (s_failover (self))
            snprintf (s_new_error, sizeof s_new_error,
                      "invalid broker endpoint 1 of the list, '%s': libzmq refuses it (%s)", s_endpoint (self),
                      zmq_strerror (zmq_errno ()));
        else
            snprintf (s_new_error, sizeof s_new_error, "invalid broker endpoint '%s': libzmq refuses it (%s)",
                      s_endpoint (self), zmq_strerror (zmq_errno ()));
        ztask_client_destroy (&self);
    }
    return self;
}

void
ztask_client_destroy (ztask_client_t **self_p)
{
    assert (self_p);
    ztask_client_t *self = *self_p;
    if (self) {
        s_monitor_stop (self);
        zsock_destroy (&self->dealer);
        zcert_destroy (&self->cert);
        ztask_msg_destroy (&self->request);
        ztask_msg_destroy (&self->reply);
        ztask_msg_destroy (&self->probe);
        free (self->setup_error);
        ztask_endpoints_destroy (&self->brokers);
        free (self);
        *self_p = NULL;
    }
}

int
ztask_client_set_curve (ztask_client_t *self, const char *secret_cert_file, const char *broker_cert_file)
{
    s_begin (self);
    if (s_curve_load (self, secret_cert_file, broker_cert_file) != 0)
        return -1;
    free (self->setup_error);
    self->setup_error = NULL;
    if (s_open (self) != 0)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "cannot connect to %s: %s", s_endpoint (self),
                       zmq_strerror (zmq_errno ()));
    return 0;
}

void
ztask_client_set_timeout (ztask_client_t *self, int timeout_ms)
{
    assert (self);
    self->timeout_ms = timeout_ms;
}

const char *
ztask_client_error (ztask_client_t *self)
{
    if (!self)
        return s_new_error[0] ? s_new_error : "no client: ztask_client_new failed (out of memory)";
    return self->error;
}

int
ztask_client_error_code (ztask_client_t *self)
{
    return self ? self->code : ZTASK_CLIENT_E_USAGE;
}

/* ---- requests ---- */

/* Sends msg as it is (corr included). Sending only queues the message
   while the connection is made in the background; the queue is full
   (EAGAIN: the socket never blocks) only when the broker has been away for
   a long time. Returns 0, -1, or -2 when the queue is full. */
static int
s_send_msg (ztask_client_t *self, ztask_msg_t *msg)
{
    if (ztask_msg_send (msg, self->dealer) != 0) {
        int error = zmq_errno ();
        if (error == EINVAL)
            return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid request: a field is too long");
        if (zsys_interrupted)
            return s_fail (self, ZTASK_CLIENT_E_INTERRUPTED, "interrupted");
        if (error == EAGAIN) {
            s_fail (self, ZTASK_CLIENT_E_UNREACHABLE, "the broker at %s takes no messages: is ztaskd running?",
                    s_endpoint (self));
            return -2;
        }
        return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE, "cannot send to the broker at %s: %s", s_endpoint (self),
                       zmq_strerror (error));
    }
    return 0;
}

/* Sends self->request as it is (see s_send_msg). */
static int
s_send (ztask_client_t *self)
{
    return s_send_msg (self, self->request);
}

/* Starts a request: self->request gets a new corr and goes out. */
static int
s_start (ztask_client_t *self)
{
    if (self->setup_error)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "%s", self->setup_error);
    if (!self->dealer)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "no connection to %s (out of memory?)", s_endpoint (self));
    self->corr++;
    if (self->corr == 0)
        self->corr = 1; /* 0 is what the broker puts on messages to workers */
    self->request->corr = self->corr;
    self->handshake[0] = 0; /* what an earlier request saw may be old news */
    self->handshake_detailed = false;
    self->standby_index = -1;
    self->leader[0] = 0;
    self->leader_from = -1;
    self->unavailables = 0;
    self->unavailable[0] = 0;
    int rc = s_send (self);
    if (!s_failover (self))
        zframe_destroy (&self->request->body); /* a payload can be large */
    return rc == 0 ? 0 : -1;
}

/* Receives until a message answering the current request arrives or the
   deadline (monotonic ms; < 0: none) passes, watching the handshakes
   meanwhile. Returns RECEIVED_ANSWER with the message in self->reply,
   RECEIVED_STANDBY (the same, an ERROR NOT_LEADER), RECEIVED_NOTHING at
   the deadline, or RECEIVED_ERROR with the error set (another ERROR
   answer, a malformed message, an interrupt). */
static int
s_receive (ztask_client_t *self, int64_t deadline)
{
    zmq_pollitem_t items[2] = {
        { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 },
        { self->monitor ? zsock_resolve (ztask_monitor_sock (self->monitor)) : NULL, 0, ZMQ_POLLIN, 0 }
    };
    while (true) {
        if (zsys_interrupted)
            return s_fail (self, ZTASK_CLIENT_E_INTERRUPTED, "interrupted");
        /* At most a second per poll: a signal that lands between the check
           above and the poll is then noticed soon all the same. */
        long wait = POLL_MAX_MS;
        if (deadline >= 0) {
            int64_t now = zclock_mono ();
            if (now >= deadline)
                return 0;
            if (deadline - now < wait)
                wait = (long) (deadline - now);
        }
        int rc = zmq_poll (items, self->monitor ? 2 : 1, wait);
        if (rc < 0) {
            if (zmq_errno () == EINTR)
                continue; /* the loop checks zsys_interrupted */
            return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE, "cannot poll the broker connection: %s",
                           zmq_strerror (zmq_errno ()));
        }
        if (self->monitor && (items[1].revents & ZMQ_POLLIN))
            s_monitor_event (self);
        if (!(items[0].revents & ZMQ_POLLIN))
            continue; /* the loop checks the deadline */
        rc = ztask_msg_recv (self->reply, self->dealer, false);
        if (rc == -1)
            continue; /* interrupted: the loop checks zsys_interrupted */
        if (rc == -3)
            return s_fail (self, ZTASK_CLIENT_E_REFUSED,
                           "the broker at %s speaks another protocol version than this client (%d)",
                           s_endpoint (self), ZTASK_PROTO_VERSION);
        if (rc != 0)
            return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "malformed answer from the broker at %s",
                           s_endpoint (self));
        if (self->reply->corr != self->corr)
            continue; /* the answer to an earlier request that gave up */
        if (self->reply->command == ZTASK_MSG_ERROR) {
            int status = self->reply->error_status;
            if (status == ZTASK_ERR_NOT_LEADER)
                return RECEIVED_STANDBY;
            if (status == ZTASK_ERR_UNAVAILABLE && s_failover (self)) {
                snprintf (self->unavailable, sizeof self->unavailable, "the broker at %s: UNAVAILABLE: %s",
                          s_endpoint (self), self->reply->text);
                self->unavailables++;
                return RECEIVED_UNAVAILABLE;
            }
            int code = status == ZTASK_ERR_NOT_FOUND     ? ZTASK_CLIENT_E_NOT_FOUND
                       : status == ZTASK_ERR_INTERNAL    ? ZTASK_CLIENT_E_INTERNAL
                       : status == ZTASK_ERR_UNAVAILABLE ? ZTASK_CLIENT_E_UNAVAILABLE
                                                         : ZTASK_CLIENT_E_REFUSED;
            const char *name = ztask_msg_error_name (status);
            if (self->reply->text[0])
                return s_fail (self, code, "%s: %s", name, self->reply->text);
            return s_fail (self, code, "%s", name);
        }
        return RECEIVED_ANSWER;
    }
}



static int
s_no_answer (ztask_client_t *self, int timeout_ms)
{
    const char *brokers = ztask_endpoints_text (self->brokers);
    if (s_failover (self) && self->handshake[0])
        return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE,
                       "no answer from any broker of %s within %d ms (the last one, at %s: %s)", brokers, timeout_ms,
                       s_endpoint (self), self->handshake);
    if (s_failover (self))
        return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE,
                       "no answer from any broker of %s within %d ms: is ztaskd running?", brokers, timeout_ms);
    if (self->handshake[0])
        return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE, "no answer from the broker at %s within %d ms: %s",
                       s_endpoint (self), timeout_ms, self->handshake);
    return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE,
                   "no answer from the broker at %s within %d ms: is ztaskd running?", s_endpoint (self),
                   timeout_ms);
}

/* ---- standbys and failover ---- */

/* Notes that the current broker is a standby (self->reply is its ERROR
   NOT_LEADER), for s_standby_error. A leader named stays noted when a
   later standby names none. */
static void
s_note_standby (ztask_client_t *self)
{
    int current = (int) ztask_endpoints_index (self->brokers);
    self->standby_index = current;
    if (self->reply->text[0]) {
        ztask_msg_strcpy (self->leader, self->reply->text);
        self->leader_from = current;
    }
}

/* The call ends because a standby answered last (s_note_standby): says
   where the leader is, as the standbys told. */
static int
s_standby_error (ztask_client_t *self, int timeout_ms)
{
    assert (self->standby_index >= 0);
    int from = self->leader_from >= 0 ? self->leader_from : self->standby_index;
    const char *standby = ztask_endpoints_get (self->brokers, (size_t) from);
    const char *leader = self->leader;
    if (!s_failover (self) && *leader)
        return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE,
                       "the broker at %s is a standby; the leader is at %s (give both: %s,%s)", standby, leader,
                       leader, standby);
    if (!s_failover (self))
        return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE,
                       "the broker at %s is a standby, and no broker leads at the moment (a takeover is under "
                       "way): try again soon",
                       standby);
    const char *brokers = ztask_endpoints_text (self->brokers);
    if (!*leader)
        return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE,
                       "no broker of %s led within %d ms (a takeover under way?): try again soon", brokers,
                       timeout_ms);
    if (ztask_endpoints_find (self->brokers, leader) < 0)
        return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE,
                       "the broker at %s is a standby; the leader is at %s, which is not in the list %s: add it",
                       standby, leader, brokers);
    return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE,
                   "the broker at %s is a standby; the leader, at %s, did not answer within %d ms", standby, leader,
                   timeout_ms);
}

/* The deadline passed without an answer: says why as far as we know. */
static int
s_nothing (ztask_client_t *self, int timeout_ms)
{
    if (self->unavailable[0])
        return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE, "%s", self->unavailable);
    if (self->standby_index >= 0)
        return s_standby_error (self, timeout_ms);
    return s_no_answer (self, timeout_ms);
}

/* A broker of the list answered UNAVAILABLE (its store is down, or it was
   a frozen leader that has not yet found out that another took over):
   the request goes on to the next broker, until every broker of the list
   has answered so; then that is the call's error. Returns 0 (go on) or
   -1. */
static int s_next_broker (ztask_client_t *self);

static int
s_unavailable (ztask_client_t *self)
{
    if (self->unavailables >= ztask_endpoints_size (self->brokers))
        return s_fail (self, ZTASK_CLIENT_E_UNAVAILABLE, "%s", self->unavailable);
    self->standby_index = -1;
    return s_next_broker (self);
}

/* Connects the client to the broker its list just made current
   (ztask_endpoints_next, ztask_endpoints_not_leader). Returns 0, or -1
   (out of memory, or an endpoint that passed the list's check of the
   text but that this libzmq refuses, e.g. ws:// without its support). */
static int
s_reconnect (ztask_client_t *self)
{
    if (s_open (self) == 0)
        return 0;
    if (!self->dealer)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "cannot connect to %s: out of memory", s_endpoint (self));
    return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid broker endpoint %zu of the list, '%s': libzmq refuses it (%s)",
                   ztask_endpoints_index (self->brokers) + 1, s_endpoint (self), zmq_strerror (zmq_errno ()));
}

/* The current broker is silent or gone: on to the next one of the list. */
static int
s_next_broker (ztask_client_t *self)
{
    ztask_endpoints_next (self->brokers);
    return s_reconnect (self);
}

/* Waits BACKOFF_MS and up to as much again (apart, clients waiting for a
   takeover do not all come back at once), but not past deadline.
   Returns 0, or -1 when interrupted. */
static int
s_back_off (ztask_client_t *self, int64_t deadline)
{
    int64_t ms = BACKOFF_MS + zclock_mono () % (BACKOFF_MS + 1);
    if (deadline >= 0 && deadline - zclock_mono () < ms)
        ms = deadline - zclock_mono ();
    if (ms > 0)
        zclock_sleep ((int) ms);
    if (zsys_interrupted)
        return s_fail (self, ZTASK_CLIENT_E_INTERRUPTED, "interrupted");
    return 0;
}

/* A standby answered (self->reply, ERROR NOT_LEADER): the client moves
   where ztask_endpoints_not_leader says, to the leader it names if the
   list has it, else to the next broker of the list. standbys is how many
   standby answers came in a row: when the list has had its round (no
   broker leads yet, or the leader is not in the list) the client backs
   off first. The caller sends the request again. Returns 0, or -1
   (interrupted, out of memory). */
static int
s_follow_leader (ztask_client_t *self, size_t standbys, int64_t deadline)
{
    s_note_standby (self);
    if (standbys % ztask_endpoints_size (self->brokers) == 0 && s_back_off (self, deadline) != 0)
        return -1; /* still connected to the standby, which stays current */
    ztask_endpoints_not_leader (self->brokers, self->reply->text);
    return s_reconnect (self);
}

/* The next try's time: twice this one's, at most TRY_MAX_MS. */
static int
s_longer (int try_ms)
{
    return try_ms * 2 < TRY_MAX_MS ? try_ms * 2 : TRY_MAX_MS;
}

/* A request's first try: TRY_MS, or with a time limit too short to give
   every broker of the list that long, the limit shared among them (but
   at least TRY_MIN_MS): a short -t still reaches the second broker. */
static int
s_first_try (ztask_client_t *self)
{
    if (self->timeout_ms < 0)
        return TRY_MS;
    int share = self->timeout_ms / (int) ztask_endpoints_size (self->brokers);
    return share >= TRY_MS ? TRY_MS : share >= TRY_MIN_MS ? share : TRY_MIN_MS;
}

/* s_receive for a request (already sent) with a list of brokers: sends it
   again to another broker while the current one is silent or a standby
   (see the top of this file), until the deadline. Returns as s_receive,
   but never RECEIVED_STANDBY: at the deadline (RECEIVED_NOTHING),
   self->standby_index says whether a standby answered last. */
static int
s_receive_failover (ztask_client_t *self, int64_t deadline)
{
    int try_ms = s_first_try (self);
    size_t standbys = 0; /* standby answers in a row */
    while (true) {
        int64_t until = zclock_mono () + try_ms;
        bool last_try = deadline >= 0 && until >= deadline;
        int rc = s_receive (self, last_try ? deadline : until);
        if (rc == RECEIVED_ANSWER || rc == RECEIVED_ERROR)
            return rc;
        if (rc == RECEIVED_STANDBY) {
            if (s_follow_leader (self, ++standbys, deadline) != 0)
                return RECEIVED_ERROR;
        }
        else if (rc == RECEIVED_UNAVAILABLE) {
            standbys = 0;
            if (s_unavailable (self) != 0)
                return RECEIVED_ERROR;
        }
        else {
            if (last_try)
                return RECEIVED_NOTHING;
            standbys = 0;
            self->standby_index = -1;
            try_ms = s_longer (try_ms);
            if (s_next_broker (self) != 0)
                return RECEIVED_ERROR;
        }
        if (deadline >= 0 && zclock_mono () >= deadline)
            return RECEIVED_NOTHING;
        if (s_send (self) == -1)
            return RECEIVED_ERROR; /* -2, a full queue: this try will time out */
    }
}

/* Sends self->request and receives its answer, which must be expect.
   Returns 0 with the answer in self->reply, or -1. */
static int
s_request (ztask_client_t *self, int expect)
{
    if (s_start (self) != 0)
        return -1;
    int64_t deadline = self->timeout_ms >= 0 ? zclock_mono () + self->timeout_ms : -1;
    int rc;
    if (s_failover (self)) {
        rc = s_receive_failover (self, deadline);
        zframe_destroy (&self->request->body); /* kept to send it again; a payload can be large */
    }
    else
        rc = s_receive (self, deadline);
    if (rc == RECEIVED_STANDBY) {
        s_note_standby (self);
        return s_standby_error (self, self->timeout_ms);
    }
    if (rc == RECEIVED_NOTHING)
        return s_nothing (self, self->timeout_ms);
    if (rc < 0)
        return -1;
    if (self->reply->command != expect)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "unexpected %s answer from the broker at %s (expected %s)",
                       ztask_msg_command_name (self->reply->command), s_endpoint (self),
                       ztask_msg_command_name (expect));
    return 0;
}

/* ---- tasks ---- */

static char *
s_strdup (const char *text)
{
    return strdup (text ? text : "");
}

void
ztask_task_destroy (ztask_task_t **task_p)
{
    assert (task_p);
    ztask_task_t *task = *task_p;
    if (task) {
        free (task->type);
        free (task->progress_text);
        free (task->worker);
        free (task->error);
        free (task->result);
        for (size_t i = 0; task->require && i < task->require_count; i++)
            free (task->require[i]);
        free (task->require);
        free (task->version);
        free (task->needs);
        free (task->limit);
        free (task->waiting);
        free (task->waiting_text);
        free (task->parents);
        free (task->parent_states);
        free (task);
        *task_p = NULL;
    }
}

/* A new task from a TASK_INFO message (ztask_task_view.h says which
   field is which), its own copy, or NULL when out of memory. */
static ztask_task_t *
s_task_new (ztask_msg_t *msg)
{
    ztask_task_t *task = (ztask_task_t *) calloc (1, sizeof (ztask_task_t));
    if (!task)
        return NULL;
    ztask_task_view_t view;
    const ztask_task_t *from = ztask_task_view (&view, msg);
    *task = *from; /* then its own copy of each string and array */
    task->type = s_strdup (from->type);
    task->progress_text = s_strdup (from->progress_text);
    task->worker = s_strdup (from->worker);
    task->error = s_strdup (from->error);
    task->version = s_strdup (from->version);
    task->needs = s_strdup (from->needs);
    task->limit = s_strdup (from->limit);
    task->waiting = s_strdup (from->waiting);
    task->waiting_text = s_strdup (from->waiting_text);
    task->require_count = task->parent_count = 0;
    task->parents = NULL;
    task->parent_states = NULL;
    task->require = (char **) calloc (from->require_count + 1, sizeof (char *));
    bool copied = task->require != NULL;
    for (size_t i = 0; copied && i < from->require_count; i++) {
        task->require[i] = s_strdup (from->require[i]);
        copied = task->require[i] != NULL;
        task->require_count = i + 1;
    }
    if (from->parent_count) {
        task->parents = (uint64_t *) calloc (from->parent_count, sizeof (uint64_t));
        task->parent_states = (int *) calloc (from->parent_count, sizeof (int));
        copied = copied && task->parents && task->parent_states;
        if (copied) {
            memcpy (task->parents, from->parents, from->parent_count * sizeof (uint64_t));
            memcpy (task->parent_states, from->parent_states, from->parent_count * sizeof (int));
        }
        task->parent_count = from->parent_count;
    }
    task->result_size = msg->body ? zframe_size (msg->body) : 0;
    task->result = malloc (task->result_size + 1);
    if (!task->type || !task->progress_text || !task->worker || !task->error || !task->result || !copied
        || !task->version || !task->needs || !task->limit || !task->waiting || !task->waiting_text) {
        ztask_task_destroy (&task);
        return NULL;
    }
    if (task->result_size)
        memcpy (task->result, zframe_data (msg->body), task->result_size);
    ((char *) task->result)[task->result_size] = 0;
    return task;
}

/* Checks that a TASK_INFO is about task id and hands it out as *task_p. */
static int
s_task_info (ztask_client_t *self, uint64_t id, ztask_task_t **task_p)
{
    if (self->reply->task_id != id)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL,
                       "the broker at %s answered about task %" PRIu64 " instead of task %" PRIu64,
                       s_endpoint (self), self->reply->task_id, id);
    if (!task_p)
        return 0;
    *task_p = s_task_new (self->reply);
    return *task_p ? 0 : s_fail (self, ZTASK_CLIENT_E_INTERNAL, "out of memory");
}

/* A due time 100 years ahead, at most (the broker refuses more). */
#define DUE_AHEAD_MAX_MS (100LL * 366 * 24 * 3600 * 1000)

/* ---- requests ---- */

struct ztask_request {
    ztask_submit_opts_t opts;   /* priority, timeout, attempts; key: its own copy */
    int64_t due_ms;             /* 0: now                                    */
    char **require;             /* require_count requirement texts           */
    size_t require_count, require_max;
    char *version;              /* NULL: any                                 */
    char *needs;                /* NULL: none                                */
    char *limit;                /* NULL: none                                */
    uint32_t retry_min_ms;      /* retry policy; 0, 0: the broker's          */
    uint32_t retry_max_ms;
    uint64_t *after;            /* after_count parent ids; NULL: none         */
    size_t after_count;
    bool after_any;
};

/* A request that asks nothing but the defaults (ZTASK_SUBMIT_OPTS_INIT),
   as ztask_request_new makes one. */
#define REQUEST_DEFAULTS { .opts = ZTASK_SUBMIT_OPTS_INIT }

ztask_request_t *
ztask_request_new (void)
{
    ztask_request_t *self = (ztask_request_t *) malloc (sizeof (ztask_request_t));
    if (self)
        *self = (ztask_request_t) REQUEST_DEFAULTS;
    return self;
}

void
ztask_request_destroy (ztask_request_t **self_p)
{
    assert (self_p);
    ztask_request_t *self = *self_p;
    if (self) {
        free ((char *) self->opts.key);
        for (size_t i = 0; i < self->require_count; i++)
            free (self->require[i]);
        free (self->require);
        free (self->version);
        free (self->needs);
        free (self->limit);
        free (self->after);
        free (self);
        *self_p = NULL;
    }
}

/* Replaces *field with a copy of text (NULL or "": none). 0 or -1. */
static int
s_set_text (char **field, const char *text)
{
    char *copy = NULL;
    if (text && *text && !(copy = strdup (text)))
        return -1;
    free (*field);
    *field = copy;
    return 0;
}

int
ztask_request_set_priority (ztask_request_t *self, int priority)
{
    if (!self || priority < ZTASK_PRIORITY_MIN || priority > ZTASK_PRIORITY_MAX)
        return -1;
    self->opts.priority = priority;
    return 0;
}

int
ztask_request_set_timeout (ztask_request_t *self, uint32_t timeout_ms)
{
    if (!self)
        return -1;
    self->opts.timeout_ms = timeout_ms;
    return 0;
}

int
ztask_request_set_attempts (ztask_request_t *self, uint32_t max_attempts)
{
    if (!self)
        return -1;
    self->opts.max_attempts = max_attempts;
    return 0;
}

int
ztask_request_set_key (ztask_request_t *self, const char *key)
{
    return self ? s_set_text ((char **) &self->opts.key, key) : -1;
}

int
ztask_request_set_due (ztask_request_t *self, int64_t due_ms)
{
    if (!self)
        return -1;
    self->due_ms = due_ms;
    return 0;
}

int
ztask_request_set_retry_backoff (ztask_request_t *self, uint32_t min_ms, uint32_t max_ms)
{
    if (!self || ((min_ms || max_ms) && ztask_retry_check (min_ms, max_ms, NULL, 0) != 0))
        return -1;
    self->retry_min_ms = min_ms;
    self->retry_max_ms = max_ms;
    return 0;
}

int
ztask_request_add_require (ztask_request_t *self, const char *requirement)
{
    if (!self || !requirement)
        return -1;
    if (self->require_count == self->require_max) {
        /* Kept past the most a task takes, so that the submit can say how
           many were given; bounded all the same. */
        if (self->require_max >= 1024)
            return -1;
        size_t max = self->require_max ? self->require_max * 2 : 4;
        char **grown = (char **) realloc (self->require, max * sizeof (char *));
        if (!grown)
            return -1;
        self->require = grown;
        self->require_max = max;
    }
    char *copy = strdup (requirement);
    if (!copy)
        return -1;
    self->require[self->require_count++] = copy;
    return 0;
}

int
ztask_request_set_after (ztask_request_t *self, const uint64_t *ids, size_t count, int any)
{
    if (!self || count > ZTASK_PARENTS_MAX || (count && !ids))
        return -1;
    uint64_t *copy = NULL;
    if (count) {
        copy = (uint64_t *) malloc (count * sizeof (uint64_t));
        if (!copy)
            return -1;
        memcpy (copy, ids, count * sizeof (uint64_t));
    }
    free (self->after);
    self->after = copy;
    self->after_count = count;
    self->after_any = any != 0;
    return 0;
}

int
ztask_request_set_version (ztask_request_t *self, const char *constraint)
{
    return self ? s_set_text (&self->version, constraint) : -1;
}

int
ztask_request_set_needs (ztask_request_t *self, const char *resources)
{
    return self ? s_set_text (&self->needs, resources) : -1;
}

int
ztask_request_set_limit (ztask_request_t *self, const char *limit)
{
    return self ? s_set_text (&self->limit, limit) : -1;
}

/* Checks that text (what names it) can be sent in a field of max bytes:
   that long at most, and UTF-8. What it says is the broker's to judge. */
static int
s_check_text (ztask_client_t *self, const char *text, size_t max, const char *what)
{
    size_t length = strlen (text);
    if (length > max)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid %s: it is %zu bytes long; at most %zu go", what, length,
                       max);
    if (!ztask_utf8_valid (text, length))
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid %s: it is not UTF-8", what);
    return 0;
}

/* Puts what request asks of the worker into the message m, after checking
   that it can be sent. */
static int
s_submit_routing (ztask_client_t *self, const ztask_request_t *request, ztask_msg_t *m)
{
    if (request->require_count > ZTASK_REQUIRES_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "at most %d requirements per task (given %zu)", ZTASK_REQUIRES_MAX,
                       request->require_count);
    for (size_t i = 0; i < request->require_count; i++) {
        char what[64];
        snprintf (what, sizeof what, "requirement %zu", i + 1);
        if (s_check_text (self, request->require[i], ZTASK_STRING_MAX, what) != 0)
            return -1;
        snprintf (m->require[i], sizeof m->require[i], "%s", request->require[i]);
    }
    m->require_count = request->require_count;
    if (request->after_count > ZTASK_PARENTS_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "at most %d parents per task (given %zu)", ZTASK_PARENTS_MAX,
                       request->after_count);
    for (size_t i = 0; i < request->after_count; i++) {
        if (!request->after[i])
            return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid parent id 0");
        m->parents[i].task_id = request->after[i];
    }
    m->parent_count = request->after_count;
    m->after_any = request->after_any && request->after_count;
    if (request->version) {
        if (s_check_text (self, request->version, ZTASK_STRING_MAX, "version constraint") != 0)
            return -1;
        snprintf (m->version, sizeof m->version, "%s", request->version);
    }
    if (request->needs) {
        if (s_check_text (self, request->needs, ZTASK_TEXT_MAX, "resource request") != 0)
            return -1;
        snprintf (m->needs, sizeof m->needs, "%s", request->needs);
    }
    if (request->limit) {
        if (s_check_name (self, request->limit, "limit name") != 0)
            return -1;
        snprintf (m->limit_name, sizeof m->limit_name, "%s", request->limit);
    }
    return 0;
}

/* Checks a submit's arguments and sets up self->request as command
   (SUBMIT or SUBMIT_WAIT) from request. */
static int
s_submit_request (ztask_client_t *self, int command, const char *type, const void *payload, size_t size,
                  const ztask_request_t *request)
{
    static const ztask_request_t defaults = REQUEST_DEFAULTS;
    if (!request)
        request = &defaults;
    const ztask_submit_opts_t *opts = &request->opts;
    int64_t due_ms = request->due_ms;
    if (due_ms < 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "invalid due time %" PRId64 ": use 0 (now) or milliseconds since the epoch", due_ms);
    if (due_ms > zclock_time () + DUE_AHEAD_MAX_MS)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid due time %" PRId64 ": more than 100 years ahead",
                       due_ms);
    if (!type || !*type)
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "invalid task type: it is empty (name the plugin that runs the task)");
    if (s_check_name (self, type, "task type") != 0)
        return -1;
    if (opts->priority < ZTASK_PRIORITY_MIN || opts->priority > ZTASK_PRIORITY_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid priority %d: use %d (lowest) to %d (highest)",
                       opts->priority,
                       ZTASK_PRIORITY_MIN, ZTASK_PRIORITY_MAX);
    if (opts->key && *opts->key && s_check_name (self, opts->key, "idempotency key") != 0)
        return -1;
    if (!payload && size)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid payload: no data for %zu bytes", size);

    ztask_msg_t *m = self->request;
    ztask_msg_reset (m, command);
    ztask_msg_strcpy (m->type, type);
    m->priority = (uint8_t) opts->priority;
    m->timeout_ms = opts->timeout_ms;
    m->max_attempts = opts->max_attempts;
    m->due_ms = due_ms;
    m->retry_min_ms = request->retry_min_ms;
    m->retry_max_ms = request->retry_max_ms;
    ztask_msg_strcpy (m->key, opts->key);
    if (s_submit_routing (self, request, m) != 0)
        return -1;
    ztask_msg_set_body (m, payload, size);
    /* With a list of brokers, the request may go to a second one after
       the first stored the task: a key makes the second find it. */
    if (!m->key[0] && s_failover (self)) {
        if (auto_key_make (self->auto_key) != 0)
            return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "cannot make an idempotency key: %s", strerror (errno));
        ztask_msg_strcpy (m->key, self->auto_key);
    }
    return 0;
}

int
ztask_client_submit (ztask_client_t *self, const char *type, const void *payload, size_t size,
                     const ztask_submit_opts_t *opts, uint64_t *id)
{
    return ztask_client_submit_at (self, type, payload, size, opts, 0, id);
}

/* A request (on the stack, not to be destroyed) of opts (NULL: the
   defaults) and due_ms, asking nothing more. */
static ztask_request_t
s_request_of (const ztask_submit_opts_t *opts, int64_t due_ms)
{
    ztask_request_t request = REQUEST_DEFAULTS;
    request.due_ms = due_ms;
    if (opts)
        request.opts = *opts;
    return request;
}

int
ztask_client_submit_at (ztask_client_t *self, const char *type, const void *payload, size_t size,
                        const ztask_submit_opts_t *opts, int64_t due_ms, uint64_t *id)
{
    ztask_request_t request = s_request_of (opts, due_ms);
    return ztask_client_submit_request (self, type, payload, size, &request, id);
}

int
ztask_client_submit_request (ztask_client_t *self, const char *type, const void *payload, size_t size,
                             const ztask_request_t *request, uint64_t *id)
{
    s_begin (self);
    if (s_submit_request (self, ZTASK_MSG_SUBMIT, type, payload, size, request) != 0
        || s_request (self, ZTASK_MSG_SUBMITTED) != 0)
        return -1;
    if (self->reply->task_id == 0)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "the broker at %s answered with task id 0",
                       s_endpoint (self));
    if (id)
        *id = self->reply->task_id;
    return 0;
}

static int
s_status (ztask_client_t *self, uint64_t id, bool with_result, ztask_task_t **task_p)
{
    s_begin (self);
    if (task_p)
        *task_p = NULL;
    ztask_msg_reset (self->request, ZTASK_MSG_STATUS);
    self->request->task_id = id;
    /* Why a queued task waits, too: an older broker ignores the flag. */
    self->request->flags = (with_result ? ZTASK_FLAG_RESULT : 0) | ZTASK_FLAG_WAITING;
    if (s_request (self, ZTASK_MSG_TASK_INFO) != 0)
        return -1;
    return s_task_info (self, id, task_p);
}

int
ztask_client_status (ztask_client_t *self, uint64_t id, ztask_task_t **task_p)
{
    return s_status (self, id, false, task_p);
}

int
ztask_client_result (ztask_client_t *self, uint64_t id, ztask_task_t **task_p)
{
    return s_status (self, id, true, task_p);
}

/* Calls progress with what a PROGRESS message says (or a TASK_INFO for a
   task that has not ended). A PROGRESS carries only the id and the
   progress fields: the task is then running, its other fields 0 or "". */
static void
s_report_progress (ztask_msg_t *msg, ztask_progress_fn *progress, void *arg)
{
    ztask_task_view_t view;
    ztask_task_t *task = ztask_task_view (&view, msg);
    if (msg->command != ZTASK_MSG_TASK_INFO)
        task->state = ZTASK_STATE_RUNNING;
    progress (task, arg);
}

/* Handles a message answering a wait on task id (self->reply: PROGRESS
   or TASK_INFO). Returns 1 to wait on, 0 when the task has ended (in
   *task_p), or -1. */
static int
s_wait_message (ztask_client_t *self, uint64_t id, ztask_progress_fn *progress, void *arg,
                ztask_task_t **task_p)
{
    ztask_msg_t *reply = self->reply;
    if (reply->command == ZTASK_MSG_PROGRESS) {
        if (reply->task_id == id && progress)
            s_report_progress (reply, progress, arg);
        return 1;
    }
    if (reply->command != ZTASK_MSG_TASK_INFO)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL,
                       "unexpected %s answer from the broker at %s (expected TASK_INFO)",
                       ztask_msg_command_name (reply->command), s_endpoint (self));
    if (reply->task_id == id && reply->state < ZTASK_STATE_DONE) {
        /* Not ended yet: a broker answers WAIT only at the end, but
           should one report a live task (the answer to a probe), keep
           waiting. */
        if (progress)
            s_report_progress (reply, progress, arg);
        return 1;
    }
    return s_task_info (self, id, task_p);
}

/* The wait's own time limit passed. */
static int
s_wait_expired (ztask_client_t *self, uint64_t id, int timeout_ms)
{
    if (self->handshake[0] || self->standby_index >= 0)
        return s_nothing (self, timeout_ms);
    return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE, "task %" PRIu64 " did not finish within %d ms", id,
                   timeout_ms);
}

/* Waits for the answers to the WAIT in self->request (already sent, or
   implied by a SUBMIT_WAIT with the same corr), re-sending it after a long
   silence. */
static int
s_wait_answers (ztask_client_t *self, uint64_t id, int timeout_ms, ztask_progress_fn *progress, void *arg,
                ztask_task_t **task_p)
{
    int64_t deadline = timeout_ms >= 0 ? zclock_mono () + timeout_ms : -1;
    int64_t resend_at = zclock_mono () + WAIT_RESEND_MS;
    while (true) {
        int64_t until = deadline >= 0 && deadline < resend_at ? deadline : resend_at;
        int rc = s_receive (self, until);
        if (rc == RECEIVED_STANDBY) {
            s_note_standby (self);
            return s_standby_error (self, timeout_ms);
        }
        if (rc < 0)
            return -1;
        int64_t now = zclock_mono ();
        if (rc == RECEIVED_NOTHING) {
            if (deadline >= 0 && now >= deadline)
                return s_wait_expired (self, id, timeout_ms);
            /* A long silence: the broker may have restarted and forgotten
               us. The same WAIT again; a broker that knows it ignores it. */
            if (s_send (self) == -1)
                return -1; /* -2, a full queue: earlier copies are still in it */
            resend_at = now + WAIT_RESEND_MS;
            continue;
        }
        resend_at = now + WAIT_RESEND_MS;
        rc = s_wait_message (self, id, progress, arg, task_p);
        if (rc <= 0)
            return rc;
    }
}

/* Asks the current broker whether it is there, during a wait with a list
   of brokers: the WAIT in self->request again (a broker that has it
   ignores it; one that restarted, or has just taken over, learns it), then
   STATUS with the same corr and the result, which a live leader answers
   at once. Returns 0 or -1 (-2, a full queue, counts as sent: the probe
   then goes unanswered). */
static int
s_wait_probe (ztask_client_t *self)
{
    ztask_msg_reset (self->probe, ZTASK_MSG_STATUS);
    self->probe->corr = self->request->corr;
    self->probe->task_id = self->request->task_id;
    self->probe->flags = ZTASK_FLAG_RESULT;
    if (s_send (self) == -1 || s_send_msg (self, self->probe) == -1)
        return -1;
    return 0;
}

/* s_wait_answers with a list of brokers: probes the current broker after
   PROBE_AFTER_MS of silence, and moves to another broker when a probe
   goes unanswered for a try's time or a standby answers (see the top of
   this file), probing there at once. */
static int
s_wait_failover (ztask_client_t *self, uint64_t id, int timeout_ms, ztask_progress_fn *progress, void *arg,
                 ztask_task_t **task_p)
{
    int64_t deadline = timeout_ms >= 0 ? zclock_mono () + timeout_ms : -1;
    int64_t probe_at = zclock_mono () + PROBE_AFTER_MS; /* when silence calls for a probe  */
    int64_t probe_until = -1; /* an unanswered probe's time limit; -1: none out   */
    int try_ms = TRY_MS;
    size_t standbys = 0;      /* standby answers in a row                        */
    while (true) {
        int64_t until = probe_until >= 0 ? probe_until : probe_at;
        if (deadline >= 0 && deadline < until)
            until = deadline;
        int rc = s_receive (self, until);
        if (rc == RECEIVED_ERROR)
            return -1;
        if (rc == RECEIVED_NOTHING && deadline >= 0 && zclock_mono () >= deadline)
            return s_wait_expired (self, id, timeout_ms);
        if (rc == RECEIVED_ANSWER) {
            standbys = 0;
            self->standby_index = -1;
            try_ms = TRY_MS;
            probe_until = -1;
            probe_at = zclock_mono () + PROBE_AFTER_MS;
            rc = s_wait_message (self, id, progress, arg, task_p);
            if (rc <= 0)
                return rc;
            continue;
        }
        if (rc == RECEIVED_STANDBY) {
            if (s_follow_leader (self, ++standbys, deadline) != 0)
                return -1;
        }
        else if (rc == RECEIVED_UNAVAILABLE) {
            standbys = 0;
            if (s_unavailable (self) != 0)
                return -1;
        }
        else if (probe_until >= 0) {
            /* The probe went unanswered: this broker is gone or frozen. */
            standbys = 0;
            self->standby_index = -1;
            try_ms = s_longer (try_ms);
            if (s_next_broker (self) != 0)
                return -1;
        }
        if (s_wait_probe (self) != 0)
            return -1;
        probe_until = zclock_mono () + try_ms;
    }
}

/* Waits for the task's end as the client's brokers allow. */
static int
s_wait (ztask_client_t *self, uint64_t id, int timeout_ms, ztask_progress_fn *progress, void *arg,
        ztask_task_t **task_p)
{
    if (s_failover (self))
        return s_wait_failover (self, id, timeout_ms, progress, arg, task_p);
    return s_wait_answers (self, id, timeout_ms, progress, arg, task_p);
}

/* The progress callback must not use this client: it runs in the middle
   of the wait, which owns the request. */
int
ztask_client_wait_progress (ztask_client_t *self, uint64_t id, int timeout_ms,
                            ztask_progress_fn *progress, void *arg, ztask_task_t **task_p)
{
    s_begin (self);
    if (task_p)
        *task_p = NULL;
    ztask_msg_reset (self->request, ZTASK_MSG_WAIT);
    self->request->task_id = id;
    if (s_start (self) != 0)
        return -1;
    return s_wait (self, id, timeout_ms, progress, arg, task_p);
}

int
ztask_client_submit_wait (ztask_client_t *self, const char *type, const void *payload, size_t size,
                          const ztask_submit_opts_t *opts, int timeout_ms, ztask_progress_fn *progress,
                          void *arg, uint64_t *id_p, ztask_task_t **task_p)
{
    return ztask_client_submit_wait_at (self, type, payload, size, opts, 0, timeout_ms, progress, arg, id_p,
                                        task_p);
}

int
ztask_client_submit_wait_at (ztask_client_t *self, const char *type, const void *payload, size_t size,
                             const ztask_submit_opts_t *opts, int64_t due_ms, int timeout_ms,
                             ztask_progress_fn *progress, void *arg, uint64_t *id_p, ztask_task_t **task_p)
{
    ztask_request_t request = s_request_of (opts, due_ms);
    return ztask_client_submit_wait_request (self, type, payload, size, &request, timeout_ms, progress, arg, id_p,
                                             task_p);
}

int
ztask_client_submit_wait_request (ztask_client_t *self, const char *type, const void *payload, size_t size,
                                  const ztask_request_t *request, int timeout_ms, ztask_progress_fn *progress,
                                  void *arg, uint64_t *id_p, ztask_task_t **task_p)
{
    s_begin (self);
    if (id_p)
        *id_p = 0;
    if (task_p)
        *task_p = NULL;
    if (s_submit_request (self, ZTASK_MSG_SUBMIT_WAIT, type, payload, size, request) != 0
        || s_request (self, ZTASK_MSG_SUBMITTED) != 0)
        return -1;
    uint64_t id = self->reply->task_id;
    if (id == 0)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "the broker at %s answered with task id 0",
                       s_endpoint (self));
    if (id_p)
        *id_p = id;
    /* The broker waits on our behalf already; should it go silent, a WAIT
       with the same corr asks again (it ignores the repeat). */
    ztask_msg_reset (self->request, ZTASK_MSG_WAIT);
    self->request->corr = self->corr;
    self->request->task_id = id;
    return s_wait (self, id, timeout_ms, progress, arg, task_p);
}

int
ztask_client_wait (ztask_client_t *self, uint64_t id, int timeout_ms, ztask_task_t **task_p)
{
    return ztask_client_wait_progress (self, id, timeout_ms, NULL, NULL, task_p);
}

/* ---- cancelling ---- */

int
ztask_client_cancel (ztask_client_t *self, uint64_t id, ztask_task_t **task_p)
{
    s_begin (self);
    if (task_p)
        *task_p = NULL;
    ztask_msg_reset (self->request, ZTASK_MSG_CANCEL);
    self->request->task_id = id;
    if (s_request (self, ZTASK_MSG_TASK_INFO) != 0)
        return -1;
    return s_task_info (self, id, task_p);
}

/* ---- broker information ---- */

/* Sends self->request (set up by the caller) and hands out the JSON
   answer's body as a string in *json. */
static int
s_json (ztask_client_t *self, char **json)
{
    if (s_request (self, ZTASK_MSG_JSON) != 0)
        return -1;
    zframe_t *body = self->reply->body;
    size_t size = body ? zframe_size (body) : 0;
    if (size == 0 || memchr (zframe_data (body), 0, size))
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "the broker at %s sent an empty or binary JSON answer",
                       s_endpoint (self));
    char *text = (char *) malloc (size + 1);
    if (!text)
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "out of memory");
    memcpy (text, zframe_data (body), size);
    text[size] = 0;
    *json = text;
    return 0;
}

/* STATS or WORKERS: a request of only its corr. */
static int
s_info (ztask_client_t *self, int command, char **json)
{
    s_begin (self);
    assert (json);
    *json = NULL;
    ztask_msg_reset (self->request, command);
    return s_json (self, json);
}

int
ztask_client_stats (ztask_client_t *self, char **json)
{
    return s_info (self, ZTASK_MSG_STATS, json);
}

int
ztask_client_workers (ztask_client_t *self, char **json)
{
    return s_info (self, ZTASK_MSG_WORKERS, json);
}

int
ztask_client_list (ztask_client_t *self, int state, unsigned limit, char **json)
{
    ztask_list_opts_t opts = { state, NULL, 0, limit };
    return ztask_client_list_filter (self, &opts, json);
}

int
ztask_client_list_filter (ztask_client_t *self, const ztask_list_opts_t *opts, char **json)
{
    ztask_list_opts_t defaults = ZTASK_LIST_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    s_begin (self);
    assert (json);
    *json = NULL;
    if (opts->type && *opts->type && s_check_name (self, opts->type, "task type") != 0)
        return -1;
    if (opts->state != -1 && (opts->state < ZTASK_STATE_QUEUED || opts->state > ZTASK_STATE_BLOCKED))
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid state %d: use -1 (any) or a ztask_state_t",
                       opts->state);
    if (opts->limit < 1 || opts->limit > ZTASK_LIST_LIMIT_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid limit %u: list 1 to %d tasks at a time", opts->limit,
                       ZTASK_LIST_LIMIT_MAX);
    ztask_msg_reset (self->request, ZTASK_MSG_LIST);
    self->request->state = opts->state == -1 ? ZTASK_LIST_ANY : (uint8_t) opts->state;
    self->request->limit = opts->limit;
    ztask_msg_strcpy (self->request->type, opts->type ? opts->type : "");
    self->request->task_id = opts->before_id;
    return s_json (self, json);
}

/* ---- acting on tasks ---- */

/* Sends self->request; the JSON answer goes to *json when json is not NULL. */
static int
s_action (ztask_client_t *self, char **json)
{
    char *text = NULL;
    if (s_json (self, &text) != 0)
        return -1;
    if (json)
        *json = text;
    else
        free (text);
    return 0;
}

int
ztask_client_retry (ztask_client_t *self, uint64_t id, char **json)
{
    s_begin (self);
    if (json)
        *json = NULL;
    if (id == 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid task id 0");
    ztask_msg_reset (self->request, ZTASK_MSG_RETRY);
    self->request->task_id = id;
    return s_action (self, json);
}

int
ztask_client_retry_filter (ztask_client_t *self, int state, const char *type, int64_t finished_since_ms,
                           unsigned limit, char **json)
{
    s_begin (self);
    if (json)
        *json = NULL;
    if (state != -1 && state != ZTASK_STATE_FAILED && state != ZTASK_STATE_CANCELLED)
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "invalid state %d: retry takes failed, cancelled or (-1) both", state);
    if (type && *type && s_check_name (self, type, "task type") != 0)
        return -1;
    if (finished_since_ms < 0 || limit > ZTASK_LIST_LIMIT_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid %s", finished_since_ms < 0 ? "time" : "limit");
    ztask_msg_reset (self->request, ZTASK_MSG_RETRY);
    self->request->state = state == -1 ? ZTASK_LIST_ANY : (uint8_t) state;
    ztask_msg_strcpy (self->request->type, type ? type : "");
    self->request->created_ms = finished_since_ms;
    self->request->limit = limit;
    return s_action (self, json);
}

int
ztask_client_purge (ztask_client_t *self, int state, const char *type, int64_t finished_before_ms,
                    uint64_t *purged)
{
    s_begin (self);
    if (purged)
        *purged = 0;
    if (state != -1 && state != ZTASK_STATE_DONE && state != ZTASK_STATE_FAILED && state != ZTASK_STATE_CANCELLED)
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "invalid state %d: purge takes done, failed, cancelled or (-1) all three", state);
    if (type && *type && s_check_name (self, type, "task type") != 0)
        return -1;
    if (finished_before_ms <= 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid time %" PRId64 ": purge needs a time after 1970",
                       finished_before_ms);
    ztask_msg_reset (self->request, ZTASK_MSG_PURGE);
    self->request->state = state == -1 ? ZTASK_LIST_ANY : (uint8_t) state;
    ztask_msg_strcpy (self->request->type, type ? type : "");
    self->request->finished_ms = finished_before_ms;
    char *text = NULL;
    if (s_json (self, &text) != 0)
        return -1;
    /* {"purged": N}: libztask reads no other JSON, so no parser for it. */
    const char *count = strstr (text, "\"purged\":");
    unsigned long long n = 0;
    int rc = 0;
    if (!count || sscanf (count + 9, " %llu", &n) != 1)
        rc = s_fail (self, ZTASK_CLIENT_E_INTERNAL, "the broker at %s sent a purge answer without a count",
                     s_endpoint (self));
    else if (purged)
        *purged = (uint64_t) n;
    free (text);
    return rc;
}

static int
s_pause (ztask_client_t *self, int command, const char *type, char **json)
{
    s_begin (self);
    if (json)
        *json = NULL;
    if (s_check_name (self, type ? type : "", "task type") != 0)
        return -1;
    ztask_msg_reset (self->request, command);
    ztask_msg_strcpy (self->request->type, type);
    return s_action (self, json);
}

int
ztask_client_pause (ztask_client_t *self, const char *type, char **json)
{
    return s_pause (self, ZTASK_MSG_PAUSE, type, json);
}

int
ztask_client_resume (ztask_client_t *self, const char *type, char **json)
{
    return s_pause (self, ZTASK_MSG_RESUME, type, json);
}

/* A schedule's name: [a-z0-9][a-z0-9._-]{0,63}. */
static int
s_check_schedule_name (ztask_client_t *self, const char *name)
{
    char error[256];
    if (ztask_schedule_name_check (name ? name : "", error, sizeof error) != 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "%s", error);
    return 0;
}

int
ztask_client_schedule_add (ztask_client_t *self, const char *name, const char *cron, const char *tz,
                           const char *type, const void *payload, size_t size, const ztask_submit_opts_t *opts,
                           int flags, char **json)
{
    s_begin (self);
    if (json)
        *json = NULL;
    if (s_check_schedule_name (self, name) != 0 || s_check_name (self, type ? type : "", "task type") != 0)
        return -1;
    char why[512];
    ztask_cron_t compiled;
    if (ztask_cron_parse (cron ? cron : "", &compiled, why, sizeof why) != 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "cron: %s", why);
    if (tz && strlen (tz) > ZTASK_STRING_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "tz: a zone name is at most %d bytes", ZTASK_TZ_NAME_MAX);
    int priority = opts ? opts->priority : ZTASK_PRIORITY_NORMAL;
    if (priority < ZTASK_PRIORITY_MIN || priority > ZTASK_PRIORITY_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "priority must be %d to %d", ZTASK_PRIORITY_MIN,
                       ZTASK_PRIORITY_MAX);
    ztask_msg_t *m = self->request;
    ztask_msg_reset (m, ZTASK_MSG_SCHEDULE_ADD);
    ztask_msg_strcpy (m->name, name);
    ztask_msg_strcpy (m->type, type);
    ztask_msg_strcpy (m->text, cron);
    ztask_msg_strcpy (m->tz, tz ? tz : "");
    m->priority = (uint8_t) priority;
    m->timeout_ms = opts ? opts->timeout_ms : 0;
    m->max_attempts = opts ? opts->max_attempts : 0;
    m->flags = (flags & ZTASK_SCHEDULE_CATCHUP_ONCE) ? ZTASK_FLAG_CATCHUP_ONCE : 0;
    ztask_msg_set_body (m, payload ? payload : "", payload ? size : 0);
    return s_action (self, json);
}

int
ztask_client_schedule (ztask_client_t *self, int action, const char *name, char **json)
{
    s_begin (self);
    if (json)
        *json = NULL;
    static const int commands[] = { ZTASK_MSG_SCHEDULES, ZTASK_MSG_SCHEDULES, ZTASK_MSG_SCHEDULE_PAUSE,
                                    ZTASK_MSG_SCHEDULE_RESUME, ZTASK_MSG_SCHEDULE_REMOVE };
    if (action < ZTASK_SCHEDULE_LIST || action > ZTASK_SCHEDULE_REMOVE)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "unknown schedule action %d", action);
    if (action != ZTASK_SCHEDULE_LIST && s_check_schedule_name (self, name) != 0)
        return -1;
    ztask_msg_reset (self->request, commands[action]);
    ztask_msg_strcpy (self->request->name, action == ZTASK_SCHEDULE_LIST ? "" : name);
    return s_action (self, json);
}

int
ztask_client_history (ztask_client_t *self, uint64_t id, char **json)
{
    s_begin (self);
    assert (json);
    *json = NULL;
    ztask_msg_reset (self->request, ZTASK_MSG_HISTORY);
    self->request->task_id = id;
    return s_json (self, json);
}

_Static_assert (ZTASK_RETRY_BACKOFF_MAX_MS == ZTASK_RETRY_MAX_MS, "client.h and ztask_retry.h agree");

/* ---- batches ---- */

struct ztask_batch {
    zchunk_t *body;              /* the BATCH body: its tasks, encoded       */
    size_t size;                 /* how many                                 */
    ztask_msg_t *then;           /* the then task's fields; type "": none    */
    char key[ZTASK_STRING_MAX + 1];
    bool existing;               /* the last submit found the key's batch    */
};

/* The time a broker may take to store a batch of count tasks, beyond an
   answer's usual time: 10 us a task (it stores about 60,000 a second). */
#define BATCH_US_PER_TASK 10

ztask_batch_t *
ztask_batch_new (void)
{
    ztask_batch_t *self = (ztask_batch_t *) calloc (1, sizeof (ztask_batch_t));
    if (!self)
        return NULL;
    self->body = zchunk_new (NULL, 4096);
    self->then = ztask_msg_new ();
    if (!self->body || !self->then)
        ztask_batch_destroy (&self);
    return self;
}

void
ztask_batch_destroy (ztask_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ztask_batch_t *self = *self_p;
    zchunk_destroy (&self->body);
    ztask_msg_destroy (&self->then);
    free (self);
    *self_p = NULL;
}

size_t
ztask_batch_size (ztask_batch_t *self)
{
    return self ? self->size : 0;
}

int
ztask_batch_existing (ztask_batch_t *self)
{
    return self && self->existing;
}

int
ztask_batch_set_key (ztask_batch_t *self, const char *key)
{
    if (!self || !key || strlen (key) > ZTASK_STRING_MAX || (*key && !ztask_name_valid (key, NULL, 0))) {
        errno = EINVAL;
        return -1;
    }
    snprintf (self->key, sizeof self->key, "%s", key);
    return 0;
}

/* A batch's task or then task, checked and set up in self->request as a
   SUBMIT (without a key of its own). */
static int
s_batch_request (ztask_client_t *self, ztask_batch_t *batch, const char *type, const void *payload, size_t size,
                 const ztask_request_t *request)
{
    if (!batch)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "no batch");
    if (request && request->opts.key && *request->opts.key)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "a task of a batch has no key of its own (give the batch one)");
    if (s_submit_request (self, ZTASK_MSG_SUBMIT, type, payload, size, request) != 0)
        return -1;
    self->request->key[0] = 0; /* a key made up for failover: the batch has one */
    return 0;
}

int
ztask_client_batch_add (ztask_client_t *self, ztask_batch_t *batch, const char *type, const void *payload,
                        size_t size, const ztask_request_t *request)
{
    s_begin (self);
    if (batch && batch->size >= ZTASK_BATCH_MAX)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "a batch holds at most %d tasks", ZTASK_BATCH_MAX);
    if (s_batch_request (self, batch, type, payload, size, request) != 0)
        return -1;
    zframe_destroy (&self->request->body); /* the payload goes into the batch's body */
    if (ztask_msg_batch_append (self->request, payload, size, batch->body) != 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "the task does not fit in a message");
    batch->size++;
    return 0;
}

/* Copies the fields of a then task (a BATCH's own) from one message to
   another. */
static void
s_then_fields (ztask_msg_t *to, const ztask_msg_t *from)
{
    ztask_msg_strcpy (to->type, from->type);
    to->priority = from->priority;
    to->timeout_ms = from->timeout_ms;
    to->max_attempts = from->max_attempts;
    to->retry_min_ms = from->retry_min_ms;
    to->retry_max_ms = from->retry_max_ms;
    to->require_count = from->require_count;
    memcpy (to->require, from->require, from->require_count * sizeof from->require[0]);
    ztask_msg_strcpy (to->version, from->version);
    snprintf (to->needs, sizeof to->needs, "%s", from->needs);
    ztask_msg_strcpy (to->limit_name, from->limit_name);
}

int
ztask_client_batch_then (ztask_client_t *self, ztask_batch_t *batch, const char *type,
                         const ztask_request_t *request)
{
    s_begin (self);
    if (request && (request->due_ms || request->after_count))
        return s_fail (self, ZTASK_CLIENT_E_USAGE,
                       "a then task runs once its batch ended: it has no due time or parents of its own");
    if (s_batch_request (self, batch, type, NULL, 0, request) != 0)
        return -1;
    ztask_msg_reset (batch->then, ZTASK_MSG_BATCH);
    s_then_fields (batch->then, self->request);
    return 0;
}

int
ztask_client_submit_batch (ztask_client_t *self, ztask_batch_t *batch, uint64_t *batch_id, uint64_t *then_id)
{
    s_begin (self);
    if (!batch || batch->size == 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "a batch needs at least one task");
    ztask_msg_t *m = self->request;
    ztask_msg_reset (m, ZTASK_MSG_BATCH);
    if (batch->then->command == ZTASK_MSG_BATCH)
        s_then_fields (m, batch->then);
    m->limit = (uint32_t) batch->size;
    ztask_msg_strcpy (m->key, batch->key);
    /* With a list of brokers, a batch sent again to a second one after
       the first stored it: a key makes the second find it. */
    if (!m->key[0] && s_failover (self)) {
        if (auto_key_make (self->auto_key) != 0)
            return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "cannot make an idempotency key: %s", strerror (errno));
        ztask_msg_strcpy (m->key, self->auto_key);
    }
    ztask_msg_set_body (m, zchunk_data (batch->body), zchunk_size (batch->body));
    char *text = NULL;
    int timeout_ms = self->timeout_ms;
    if (timeout_ms >= 0) {
        int64_t longer = (int64_t) timeout_ms + (int64_t) (batch->size * BATCH_US_PER_TASK / 1000);
        self->timeout_ms = longer > INT_MAX ? INT_MAX : (int) longer;
    }
    int rc = s_json (self, &text);
    self->timeout_ms = timeout_ms;
    if (rc != 0) {
        size_t size = zchunk_size (batch->body);
        if (self->code != ZTASK_CLIENT_E_UNREACHABLE || size <= 64 * 1024 * 1024)
            return -1;
        /* A broker cuts off a message over its limit: it never answers. */
        char error[ERROR_MAX];
        snprintf (error, sizeof error, "%s", self->error);
        return s_fail (self, ZTASK_CLIENT_E_UNREACHABLE,
                       "%.400s (the batch is %zu MiB: a broker drops a batch over its max_batch_bytes, 64 MiB by"
                       " default, without an answer)", error, size >> 20);
    }
    json_error_t error;
    json_t *doc = json_loads (text, 0, &error);
    free (text);
    json_int_t id = 0, then_task = 0;
    json_t *then_value = doc ? json_object_get (doc, "then") : NULL;
    batch->existing = doc && json_is_true (json_object_get (doc, "existing"));
    if (!doc || json_unpack (doc, "{s:I}", "batch", &id) != 0 || id <= 0) {
        json_decref (doc);
        return s_fail (self, ZTASK_CLIENT_E_INTERNAL, "the broker at %s sent a batch answer without its id",
                       s_endpoint (self));
    }
    if (json_is_integer (then_value))
        then_task = json_integer_value (then_value);
    json_decref (doc);
    if (batch_id)
        *batch_id = (uint64_t) id;
    if (then_id)
        *then_id = (uint64_t) then_task;
    return 0;
}

int
ztask_client_batch_status (ztask_client_t *self, uint64_t batch_id, char **json)
{
    s_begin (self);
    assert (json);
    *json = NULL;
    if (batch_id == 0)
        return s_fail (self, ZTASK_CLIENT_E_USAGE, "invalid batch id 0");
    ztask_msg_reset (self->request, ZTASK_MSG_BATCH_STATUS);
    self->request->task_id = batch_id;
    return s_json (self, json);
}
