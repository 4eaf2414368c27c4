/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_list - the brokers a worker may register with. See broker_list.h. */
#include "broker_list.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct broker_list {
    char *endpoints[BROKER_LIST_MAX]; /* as configured (owned)             */
    size_t count;                     /* 1 to BROKER_LIST_MAX              */
    size_t current;                   /* the one the worker is on          */
    size_t refused;                   /* NOT_LEADER answers in a row       */
};

/* Transports a DEALER can connect with. */
static const char *const s_transports[] = { "tcp", "ipc", "inproc", "tipc", "vmci", "ws", "wss", NULL };

/* Length of endpoint's transport ("tcp" in "tcp://..."), 0 if it has
   none. */
static size_t
s_transport_length (const char *endpoint)
{
    const char *scheme_end = strstr (endpoint, "://");
    return scheme_end ? (size_t) (scheme_end - endpoint) : 0;
}

/* True if the transport of endpoint (length bytes) is one of names. */
static bool
s_transport_is (const char *endpoint, size_t length, const char *const *names)
{
    for (const char *const *name = names; *name; name++)
        if (strlen (*name) == length && strncasecmp (endpoint, *name, length) == 0)
            return true;
    return false;
}

/* tcp:// address: HOST:PORT, PORT 1-65535. */
static int
s_tcp_check (const char *endpoint, const char *address, char *error, size_t error_size)
{
    const char *colon = strrchr (address, ':');
    const char *port = colon ? colon + 1 : NULL;
    bool digits = port && *port && strspn (port, "0123456789") == strlen (port) && strlen (port) <= 5;
    if (!colon || colon == address || !digits || atoi (port) < 1 || atoi (port) > 65535) {
        snprintf (error, error_size, "endpoint '%s' needs a host and a port from 1 to 65535 (tcp://HOST:PORT)",
                  endpoint);
        return -1;
    }
    return 0;
}

int
broker_endpoint_check (const char *endpoint, char *error, size_t error_size)
{
    size_t length = strlen (endpoint);
    size_t transport = s_transport_length (endpoint);
    if (length == 0 || length > BROKER_ENDPOINT_MAX) {
        snprintf (error, error_size, "an endpoint is 1 to %d bytes (this one is %zu)", BROKER_ENDPOINT_MAX,
                  length);
        return -1;
    }
    if (strpbrk (endpoint, " \t\r\n,")) {
        snprintf (error, error_size, "endpoint '%s' holds a space or a comma: one endpoint per entry", endpoint);
        return -1;
    }
    if (!transport || !s_transport_is (endpoint, transport, s_transports) || !endpoint[transport + 3]) {
        snprintf (error, error_size,
                  "endpoint '%s' is not a ZeroMQ endpoint a worker can connect to (e.g. "
                  "\"tcp://10.0.0.1:5570\", \"ipc:///run/ztask.sock\")",
                  endpoint);
        return -1;
    }
    static const char *const tcp[] = { "tcp", NULL };
    if (s_transport_is (endpoint, transport, tcp))
        return s_tcp_check (endpoint, endpoint + transport + 3, error, error_size);
    return 0;
}

bool
broker_endpoint_same (const char *a, const char *b)
{
    size_t transport = s_transport_length (a);
    if (strlen (a) != strlen (b) || transport != s_transport_length (b) || strncasecmp (a, b, transport) != 0)
        return false;
    /* Host names (and IPv6 hex digits) ignore case; paths do not. */
    static const char *const hosts[] = { "tcp", "ws", "wss", NULL };
    if (transport && s_transport_is (a, transport, hosts))
        return strcasecmp (a + transport, b + transport) == 0;
    return strcmp (a + transport, b + transport) == 0;
}

broker_list_t *
broker_list_new (char *const *endpoints, size_t count)
{
    assert (count >= 1 && count <= BROKER_LIST_MAX);
    broker_list_t *self = (broker_list_t *) calloc (1, sizeof (broker_list_t));
    assert (self);
    for (size_t i = 0; i < count; i++) {
        self->endpoints[i] = strdup (endpoints[i]);
        assert (self->endpoints[i]);
    }
    self->count = count;
    return self;
}

void
broker_list_destroy (broker_list_t **self_p)
{
    assert (self_p);
    broker_list_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++)
            free (self->endpoints[i]);
        free (self);
        *self_p = NULL;
    }
}

size_t
broker_list_size (broker_list_t *self)
{
    return self->count;
}

const char *
broker_list_current (broker_list_t *self)
{
    return self->endpoints[self->current];
}

size_t
broker_list_index (broker_list_t *self)
{
    return self->current;
}

void
broker_list_next (broker_list_t *self)
{
    self->current = (self->current + 1) % self->count;
    self->refused = 0; /* a silent broker breaks the run of answers */
}

broker_leader_t
broker_list_not_leader (broker_list_t *self, const char *leader)
{
    self->refused++;
    if (*leader)
        for (size_t i = 0; i < self->count; i++)
            if (broker_endpoint_same (self->endpoints[i], leader)) {
                self->current = i;
                return BROKER_LEADER_LISTED;
            }
    self->current = (self->current + 1) % self->count;
    return *leader ? BROKER_LEADER_UNLISTED : BROKER_LEADER_NONE;
}

bool
broker_list_lap_refused (broker_list_t *self)
{
    return self->refused > 0 && self->refused % self->count == 0;
}

void
broker_list_registered (broker_list_t *self)
{
    self->refused = 0;
}
