/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_list - the brokers a worker may register with, in the order its
    config lists them, and the one it is on. With active/standby brokers
    (docs/high-availability.md) only one of them leads; the others answer
    every worker message with ERROR NOT_LEADER, naming the leader's
    endpoint or "" while none leads. This class decides where the worker
    goes next; the worker connects there and registers.

        broker_list_t *list = broker_list_new (endpoints, 2);
        ... ERROR NOT_LEADER "tcp://10.0.0.1:5570" from the current one:
        broker_list_not_leader (list, "tcp://10.0.0.1:5570");
        connect to broker_list_current (list), after a pause if
        broker_list_lap_refused (list) ...
        ... REGISTERED: broker_list_registered (list);
        ... silence: broker_list_next (list);

    Endpoints are compared as text, ignoring case in the transport and in
    a TCP address: "TCP://Broker-A:5570" is "tcp://broker-a:5570", but no
    name is resolved (list the endpoint each broker advertises).
*/
#ifndef ZTASK_BROKER_LIST_H_INCLUDED
#define ZTASK_BROKER_LIST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define BROKER_LIST_MAX 16          /* endpoints a worker may list        */
#define BROKER_ENDPOINT_MAX 255     /* bytes: NOT_LEADER's text must fit   */

typedef struct broker_list broker_list_t;

/* What an ERROR NOT_LEADER said (broker_list_not_leader). */
typedef enum {
    BROKER_LEADER_LISTED,   /* it named an endpoint of the list: now current */
    BROKER_LEADER_UNLISTED, /* it named an endpoint the list lacks: the next
                               one is current                              */
    BROKER_LEADER_NONE      /* "": no broker leads (a takeover under way):
                               the next one is current                     */
} broker_leader_t;

/* Checks an endpoint a worker can connect to: "transport://address", 1 to
   BROKER_ENDPOINT_MAX bytes, no space or comma; for tcp:// an address of
   HOST:PORT with PORT 1-65535. Returns 0, or -1 with why in error. */
int broker_endpoint_check (const char *endpoint, char *error, size_t error_size);

/* True if a and b name the same endpoint (see the top of the file). */
bool broker_endpoint_same (const char *a, const char *b);

/* A list of count (1 to BROKER_LIST_MAX) endpoints, copied; the first is
   current. */
broker_list_t *broker_list_new (char *const *endpoints, size_t count);
void broker_list_destroy (broker_list_t **self_p);

size_t broker_list_size (broker_list_t *self);
/* The endpoint the worker is on, and its place in the list (from 0). */
const char *broker_list_current (broker_list_t *self);
size_t broker_list_index (broker_list_t *self);

/* The current broker is silent (or gone): the next one, after the last
   the first, becomes current. */
void broker_list_next (broker_list_t *self);

/* The current broker answered ERROR NOT_LEADER with leader (its text):
   makes the leader's endpoint current if the list has it, else the next
   one. Returns what the answer said. */
broker_leader_t broker_list_not_leader (broker_list_t *self, const char *leader);

/* True when the last answers, as many in a row as the list has endpoints
   (a whole lap), were all NOT_LEADER: every broker is a standby for now.
   The worker pauses a little before it registers again, so that it does
   not spin while a takeover is under way. */
bool broker_list_lap_refused (broker_list_t *self);

/* The current broker registered the worker: it leads. */
void broker_list_registered (broker_list_t *self);

#endif
