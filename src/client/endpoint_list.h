/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  endpoint_list - the brokers a client may talk to: one endpoint, or a
    comma-separated list of the brokers of an active/standby pair (or
    more), of which one leads (docs/high-availability.md).

        endpoint_list_t *brokers = endpoint_list_new ("tcp://a:5570, tcp://b:5570",
                                                      error, sizeof error);
        const char *first = endpoint_list_get (brokers, 0);     "tcp://a:5570"
        size_t next = endpoint_list_after_standby (brokers, 1, "tcp://a:5570");   0

    One endpoint (the text holds no comma) is kept exactly as given:
    libzmq judges it when the client connects, as it always did. In a list,
    blanks around each item are dropped, and an empty item, more than
    ENDPOINT_LIST_MAX items or an item given twice is refused with a reason
    that names the item. Whether each item is an endpoint libzmq accepts is
    the client's check (it needs a socket); endpoint_list only splits and
    compares.

    Two endpoints are the same when they are equal once normalised
    (endpoint_list_normalise): a standby names the leader by its
    `advertise` setting, which need not be spelt as the client's list. */
#ifndef ENDPOINT_LIST_H_INCLUDED
#define ENDPOINT_LIST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define ENDPOINT_LIST_MAX 16   /* the most items a list may hold      */
#define ENDPOINT_LIST_ITEM_MAX 256 /* the longest item, NUL included   */

typedef struct _endpoint_list_t endpoint_list_t;

/* Splits text, a comma-separated list, into at most max items (blanks
   around each dropped) and returns how many, or -1 with why in error
   (an empty item, too many, one too long), naming items "item 2" and
   what the list is as what ("broker endpoint", "certificate file").
   items[i] are malloc'd: free () them (also on -1: those set are NULL
   or valid). Without a comma, text is the one item as it is. */
int endpoint_list_split (const char *text, char **items, size_t max, const char *what, char *error,
                         size_t error_size);

/* The list in text, or NULL with why in error (see the top). */
endpoint_list_t *endpoint_list_new (const char *text, char *error, size_t error_size);
void endpoint_list_destroy (endpoint_list_t **self_p);

/* How many endpoints (1 to ENDPOINT_LIST_MAX). */
size_t endpoint_list_size (endpoint_list_t *self);

/* Endpoint index (< size), as the list gave it (blanks dropped). */
const char *endpoint_list_get (endpoint_list_t *self, size_t index);

/* The whole list, items joined by ",", for messages. */
const char *endpoint_list_text (endpoint_list_t *self);

/* The index of endpoint in the list (normalised comparison), or -1. */
int endpoint_list_find (endpoint_list_t *self, const char *endpoint);

/* Where to go after the broker at index current answered that it is a
   standby (ERROR NOT_LEADER) naming leader as the leader's endpoint ("" while
   none leads): leader's index when the list holds it (and it is not
   current), else the next endpoint after current, round the list. */
size_t endpoint_list_after_standby (endpoint_list_t *self, size_t current, const char *leader);

/* endpoint into buffer in the form used for comparing: without blanks
   around it or a trailing '/', its transport ("tcp://") in lower case and,
   for tcp, ws and wss, its host too (host names ignore case); an ipc path
   keeps its case. Cut to fit size (at least 1). */
void endpoint_list_normalise (const char *endpoint, char *buffer, size_t size);

#endif
