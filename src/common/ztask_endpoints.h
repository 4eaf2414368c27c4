/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_endpoints - the brokers a client (libztask) or a worker may talk
    to: one endpoint, or those of an active/standby pair (or more), of
    which one leads (docs/high-availability.md); the one talked to now; and
    where to go after a standby's ERROR NOT_LEADER or a silence. The one
    rule for what a broker endpoint and a list of them are, how endpoints
    compare and where NOT_LEADER sends you, for libztask and ztask-worker
    alike. Each keeps its own timing (the client's try times in
    ztask_client.c, the worker's REGISTER timeouts and pauses in worker.c).

        ztask_endpoints_t *brokers = ztask_endpoints_parse ("tcp://a:5570, tcp://b:5570",
                                                            error, sizeof error);
        connect to ztask_endpoints_current (brokers)           "tcp://a:5570"
        ... ERROR NOT_LEADER "TCP://B:5570" from it:
        ztask_endpoints_not_leader (brokers, "TCP://B:5570")   ZTASK_LEADER_LISTED
        connect to ztask_endpoints_current (brokers)           "tcp://b:5570"
        ... silence: ztask_endpoints_next (brokers), and connect there.

    An endpoint is TRANSPORT://ADDRESS, 1 to ZTASK_ENDPOINT_MAX bytes (a
    standby's NOT_LEADER text must hold it) with no blank or comma. The
    transport is one a DEALER connects with, in lower case as libzmq takes
    it: tcp, ipc, inproc, tipc, vmci, ws, wss. A tcp address is HOST:PORT,
    ws and wss ones HOST:PORT[/PATH], with PORT 1-65535 ("tcp://10.0.0.1:5570",
    "tcp://[::1]:5570", "ipc:///run/ztask.sock"). This is a check of the
    text only: no name is resolved and nothing is connected.

    A list is 1 to ZTASK_ENDPOINTS_MAX endpoints separated by commas, blanks
    around each dropped; no endpoint may be given twice. Errors name the
    bad item: "invalid broker endpoint 2 of the list, 'nonsense': ...", or
    for a text without a comma "invalid broker endpoint 'nonsense': ...".

    Two endpoints are the same when they are equal once normalised
    (ztask_endpoint_normalise): a standby names the leader by its
    `advertise` setting, which need not be spelt as the list has it. Case
    does not matter in the transport nor in a tcp, ws or wss host ("TCP://
    Broker-A:5570" is "tcp://broker-a:5570"); an ipc path keeps its case.
    No name is resolved: list each broker as it advertises itself. */
#ifndef ZTASK_ENDPOINTS_H_INCLUDED
#define ZTASK_ENDPOINTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define ZTASK_ENDPOINTS_MAX 16  /* the most endpoints a list may hold      */
#define ZTASK_ENDPOINT_MAX 255  /* the longest endpoint, bytes (no NUL)    */

typedef struct _ztask_endpoints_t ztask_endpoints_t;

/* What a standby's ERROR NOT_LEADER said (ztask_endpoints_not_leader). */
typedef enum {
    ZTASK_LEADER_LISTED,   /* it named another endpoint of the list: that
                              one is current now                          */
    ZTASK_LEADER_UNLISTED, /* it named an endpoint the list lacks: the
                              next one is current                         */
    ZTASK_LEADER_ITSELF,   /* it named the very broker that answered (its
                              lead just ended): the next one is current   */
    ZTASK_LEADER_NONE      /* "": no broker leads (a takeover is under
                              way): the next one is current               */
} ztask_leader_t;

/* Checks one endpoint (see the top). Returns 0, or -1 with why in error,
   naming it: "invalid broker endpoint 'localhost:5570': not a ZeroMQ
   endpoint (...)". */
int ztask_endpoint_check (const char *endpoint, char *error, size_t error_size);

/* endpoint into buffer in the form used for comparing: without blanks
   around it or a trailing '/', its transport in lower case and, for tcp,
   ws and wss, its host too; an ipc path keeps its case. Cut to fit size
   (at least 1). */
void ztask_endpoint_normalise (const char *endpoint, char *buffer, size_t size);

/* True if a and b name the same endpoint (normalised, see the top). */
bool ztask_endpoint_same (const char *a, const char *b);

/* Splits text, a comma-separated list, into at most max items, blanks
   around each dropped, and returns how many, or -1 with why in error (an
   empty item, too many), naming the items after what ("broker endpoint",
   "broker certificate file"): "broker certificate file 2 of the list is
   empty". items[i] are malloc'd: free () them (also on -1: those set are
   NULL or valid). The items are not checked any further. */
int ztask_endpoints_split (const char *text, char **items, size_t max, const char *what, char *error,
                           size_t error_size);

/* The list in text (see the top), the first endpoint current, or NULL
   with why in error. */
ztask_endpoints_t *ztask_endpoints_parse (const char *text, char *error, size_t error_size);

/* An empty list, for ztask_endpoints_add; NULL when out of memory. */
ztask_endpoints_t *ztask_endpoints_new (void);

/* Adds endpoint (copied), an item of a list given one by one (a worker
   config's `broker = [...]`), once it checks, is not in the list yet and
   the list has room. Returns 0, or -1 with why in error, naming the item
   by its place: "invalid broker endpoint 2 of the list, 'localhost': ...". */
int ztask_endpoints_add (ztask_endpoints_t *self, const char *endpoint, char *error, size_t error_size);

void ztask_endpoints_destroy (ztask_endpoints_t **self_p);

/* How many endpoints (1 to ZTASK_ENDPOINTS_MAX once parsed). */
size_t ztask_endpoints_size (ztask_endpoints_t *self);

/* Endpoint index (< size), as the list gave it (blanks dropped). */
const char *ztask_endpoints_get (ztask_endpoints_t *self, size_t index);

/* The whole list, endpoints joined by ",", for messages. */
const char *ztask_endpoints_text (ztask_endpoints_t *self);

/* The index of the endpoint that is the same as endpoint, or -1. */
int ztask_endpoints_find (ztask_endpoints_t *self, const char *endpoint);

/* The endpoint talked to now, and its place in the list (from 0). */
const char *ztask_endpoints_current (ztask_endpoints_t *self);
size_t ztask_endpoints_index (ztask_endpoints_t *self);

/* The current broker is silent or gone: the next one, after the last the
   first, becomes current (with one endpoint, the same). */
void ztask_endpoints_next (ztask_endpoints_t *self);

/* The current broker answered ERROR NOT_LEADER with leader (its text,
   the leader's endpoint or ""): makes the leader's endpoint current if
   the list has it and it is another broker, else the next one. Returns
   what the answer said. */
ztask_leader_t ztask_endpoints_not_leader (ztask_endpoints_t *self, const char *leader);

#endif
