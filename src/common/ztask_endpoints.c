/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_endpoints - the brokers a client or a worker may talk to
    (ztask_endpoints.h). */
#include "common/ztask_endpoints.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct _ztask_endpoints_t {
    char *items[ZTASK_ENDPOINTS_MAX]; /* the endpoints, in the list's order   */
    size_t size;                      /* how many                              */
    size_t current;                   /* the one talked to now                 */
    char *text;                       /* items joined by ",", for messages     */
};

/* Transports a DEALER connects with, as libzmq spells them. */
static const char *const s_transports[] = { "tcp", "ipc", "inproc", "tipc", "vmci", "ws", "wss", NULL };

#define S_EXAMPLES "e.g. \"tcp://10.0.0.1:5570\", \"ipc:///run/ztask.sock\""

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- one endpoint ---- */

/* Length of endpoint's transport ("tcp" in "tcp://..."), 0 if it has
   none. */
static size_t
s_transport_length (const char *endpoint)
{
    const char *scheme_end = strstr (endpoint, "://");
    return scheme_end ? (size_t) (scheme_end - endpoint) : 0;
}

/* The transport of s_transports that endpoint's first length bytes are,
   ignoring case, or NULL. */
static const char *
s_transport (const char *endpoint, size_t length)
{
    for (const char *const *name = s_transports; *name; name++)
        if (strlen (*name) == length && strncasecmp (endpoint, *name, length) == 0)
            return *name;
    return NULL;
}

/* True if address (length bytes) is HOST:PORT, PORT 1-65535. */
static bool
s_host_port (const char *address, size_t length)
{
    const char *colon = NULL;
    for (const char *s = address; s < address + length; s++)
        if (*s == ':')
            colon = s;
    if (!colon || colon == address)
        return false;
    const char *port = colon + 1;
    size_t digits = (size_t) (address + length - port);
    if (digits < 1 || digits > 5)
        return false;
    int value = 0;
    for (size_t i = 0; i < digits; i++) {
        if (!isdigit ((unsigned char) port[i]))
            return false;
        value = value * 10 + (port[i] - '0');
    }
    return value >= 1 && value <= 65535;
}

/* Why endpoint (no control character in it) is no endpoint to connect
   to, into why; false if it is one. */
static bool
s_invalid (const char *endpoint, char *why, size_t why_size)
{
    if (strpbrk (endpoint, " \t\r\n,")) {
        snprintf (why, why_size,
                  "it holds a space or a comma: one endpoint per entry, a list's endpoints separated by commas");
        return true;
    }
    size_t transport = s_transport_length (endpoint);
    const char *name = transport ? s_transport (endpoint, transport) : NULL;
    if (!name || !endpoint[transport + 3]) {
        snprintf (why, why_size,
                  "not a ZeroMQ endpoint to connect to: TRANSPORT://ADDRESS with a transport of tcp, ipc, inproc, "
                  "tipc, vmci, ws or wss (" S_EXAMPLES ")");
        return true;
    }
    if (strncmp (endpoint, name, transport) != 0) {
        snprintf (why, why_size, "libzmq takes the transport in lower case: '%s%s'", name, endpoint + transport);
        return true;
    }
    const char *address = endpoint + transport + 3;
    if (strcmp (name, "tcp") == 0 && !s_host_port (address, strlen (address))) {
        snprintf (why, why_size, "it needs a host and a port from 1 to 65535 (tcp://HOST:PORT)");
        return true;
    }
    if ((strcmp (name, "ws") == 0 || strcmp (name, "wss") == 0) && !s_host_port (address, strcspn (address, "/"))) {
        snprintf (why, why_size, "it needs a host and a port from 1 to 65535 (%s://HOST:PORT/PATH)", name);
        return true;
    }
    return false;
}

/* Checks endpoint, item place (from 1) of a list, or the only one (place
   0). Returns 0, or -1 with why in error. */
static int
s_check (const char *endpoint, size_t place, char *error, size_t error_size)
{
    char name[64];
    if (place)
        snprintf (name, sizeof name, "broker endpoint %zu of the list", place);
    else
        snprintf (name, sizeof name, "the broker endpoint");
    size_t length = strlen (endpoint);
    char why[300];
    if (length == 0) {
        snprintf (error, error_size, "%s is empty", name);
        return -1;
    }
    if (length > ZTASK_ENDPOINT_MAX) {
        snprintf (error, error_size, "%s is longer than %d bytes (%zu)", name, ZTASK_ENDPOINT_MAX, length);
        return -1;
    }
    for (size_t i = 0; i < length; i++)
        if ((unsigned char) endpoint[i] < 0x20 || endpoint[i] == 0x7f) {
            /* Not quoted: it could do things to a terminal. */
            snprintf (error, error_size, "%s holds a control character (byte %zu)", name, i + 1);
            return -1;
        }
    if (s_invalid (endpoint, why, sizeof why)) {
        if (place)
            snprintf (error, error_size, "invalid broker endpoint %zu of the list, '%s': %s", place, endpoint, why);
        else
            snprintf (error, error_size, "invalid broker endpoint '%s': %s", endpoint, why);
        return -1;
    }
    return 0;
}

int
ztask_endpoint_check (const char *endpoint, char *error, size_t error_size)
{
    assert (endpoint);
    return s_check (endpoint, 0, error, error_size);
}

/* ztask_endpoint_normalise; returns false when endpoint had to be cut. */
static bool
s_normalise (const char *endpoint, char *buffer, size_t size)
{
    assert (endpoint && buffer && size > 0);
    while (s_blank (*endpoint))
        endpoint++;
    size_t length = strlen (endpoint);
    while (length > 0 && (s_blank (endpoint[length - 1]) || endpoint[length - 1] == '/'))
        length--;
    bool whole = length < size;
    if (!whole)
        length = size - 1;
    memcpy (buffer, endpoint, length);
    buffer[length] = 0;
    char *host = strstr (buffer, "://");
    if (!host)
        return whole;
    for (char *s = buffer; s < host; s++)
        *s = (char) tolower ((unsigned char) *s);
    bool by_name = strncmp (buffer, "tcp:", 4) == 0 || strncmp (buffer, "ws:", 3) == 0
                   || strncmp (buffer, "wss:", 4) == 0;
    if (!by_name)
        return whole; /* an ipc path (and the like) keeps its case */
    /* The host ends at the port's ':' (after "]" for an IPv6 address),
       or at a ws path. */
    host += 3;
    size_t host_length = strcspn (host, "/");
    char *bracket = memchr (host, ']', host_length);
    char *port = NULL;
    for (char *s = bracket ? bracket : host; s < host + host_length; s++)
        if (*s == ':')
            port = s;
    for (char *s = host; s < host + host_length && s != port; s++)
        *s = (char) tolower ((unsigned char) *s);
    return whole;
}

void
ztask_endpoint_normalise (const char *endpoint, char *buffer, size_t size)
{
    s_normalise (endpoint, buffer, size);
}

bool
ztask_endpoint_same (const char *a, const char *b)
{
    assert (a && b);
    char first[ZTASK_ENDPOINT_MAX + 1], second[ZTASK_ENDPOINT_MAX + 1];
    /* Longer than any endpoint: no endpoint, the same as none. */
    if (!s_normalise (a, first, sizeof first) || !s_normalise (b, second, sizeof second))
        return false;
    return *first && strcmp (first, second) == 0;
}

/* ---- a list ---- */

int
ztask_endpoints_split (const char *text, char **items, size_t max, const char *what, char *error,
                       size_t error_size)
{
    assert (text && items && max > 0 && what);
    size_t count = 1;
    for (const char *comma = strchr (text, ','); comma; comma = strchr (comma + 1, ','))
        count++;
    if (count > max) {
        snprintf (error, error_size, "a list holds at most %zu %ss (this one %zu)", max, what, count);
        return -1;
    }
    const char *start = text;
    for (size_t i = 0; i < count; i++) {
        const char *end = start + strcspn (start, ",");
        const char *first = start, *last = end;
        while (first < last && s_blank (*first))
            first++;
        while (last > first && s_blank (last[-1]))
            last--;
        if (first == last && count == 1) {
            snprintf (error, error_size, "the %s is empty", what);
            return -1;
        }
        if (first == last) {
            snprintf (error, error_size, "%s %zu of the list is empty (separate the items with one comma)", what,
                      i + 1);
            return -1;
        }
        items[i] = strndup (first, (size_t) (last - first));
        if (!items[i]) {
            snprintf (error, error_size, "out of memory");
            return -1;
        }
        start = end + 1;
    }
    return (int) count;
}

/* items joined by ",", or NULL when out of memory. */
static char *
s_join (char **items, size_t size)
{
    size_t length = 1;
    for (size_t i = 0; i < size; i++)
        length += strlen (items[i]) + 1;
    char *text = (char *) malloc (length);
    if (!text)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < size; i++) {
        size_t item = strlen (items[i]);
        if (i)
            text[at++] = ',';
        memcpy (text + at, items[i], item);
        at += item;
    }
    text[at] = 0;
    return text;
}

ztask_endpoints_t *
ztask_endpoints_new (void)
{
    ztask_endpoints_t *self = (ztask_endpoints_t *) calloc (1, sizeof (ztask_endpoints_t));
    if (!self)
        return NULL;
    self->text = strdup ("");
    if (!self->text)
        ztask_endpoints_destroy (&self);
    return self;
}

void
ztask_endpoints_destroy (ztask_endpoints_t **self_p)
{
    assert (self_p);
    ztask_endpoints_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->size; i++)
            free (self->items[i]);
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

/* Adds endpoint (malloc'd, taken over also on -1) as item place of the
   list (place 0: the only one) once it checks and is new. Returns 0, or
   -1 with why in error. */
static int
s_add (ztask_endpoints_t *self, char *endpoint, size_t place, char *error, size_t error_size)
{
    int twice;
    if (self->size == ZTASK_ENDPOINTS_MAX)
        snprintf (error, error_size, "a list holds at most %d broker endpoints", ZTASK_ENDPOINTS_MAX);
    else if (s_check (endpoint, place, error, error_size) != 0)
        ; /* error says why */
    else if ((twice = ztask_endpoints_find (self, endpoint)) >= 0)
        snprintf (error, error_size, "broker endpoint %zu of the list, '%s', repeats endpoint %d ('%s')", place,
                  endpoint, twice + 1, self->items[twice]);
    else {
        self->items[self->size] = endpoint;
        char *text = s_join (self->items, self->size + 1);
        if (text) {
            free (self->text);
            self->text = text;
            self->size++;
            return 0;
        }
        self->items[self->size] = NULL;
        snprintf (error, error_size, "out of memory");
    }
    free (endpoint);
    return -1;
}

int
ztask_endpoints_add (ztask_endpoints_t *self, const char *endpoint, char *error, size_t error_size)
{
    assert (self && endpoint);
    char *copy = strdup (endpoint);
    if (!copy) {
        snprintf (error, error_size, "out of memory");
        return -1;
    }
    return s_add (self, copy, self->size + 1, error, error_size);
}

ztask_endpoints_t *
ztask_endpoints_parse (const char *text, char *error, size_t error_size)
{
    assert (text);
    char *items[ZTASK_ENDPOINTS_MAX] = { NULL };
    int count = ztask_endpoints_split (text, items, ZTASK_ENDPOINTS_MAX, "broker endpoint", error, error_size);
    ztask_endpoints_t *self = count > 0 ? ztask_endpoints_new () : NULL;
    if (count > 0 && !self)
        snprintf (error, error_size, "out of memory");
    int i = 0;
    for (; self && i < count; i++)
        if (s_add (self, items[i], count > 1 ? (size_t) i + 1 : 0, error, error_size) != 0) {
            ztask_endpoints_destroy (&self);
            i++; /* s_add took it */
            break;
        }
    for (; i < ZTASK_ENDPOINTS_MAX; i++)
        free (items[i]);
    return self;
}

size_t
ztask_endpoints_size (ztask_endpoints_t *self)
{
    assert (self);
    return self->size;
}

const char *
ztask_endpoints_get (ztask_endpoints_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->items[index];
}

const char *
ztask_endpoints_text (ztask_endpoints_t *self)
{
    assert (self);
    return self->text;
}

int
ztask_endpoints_find (ztask_endpoints_t *self, const char *endpoint)
{
    assert (self && endpoint);
    for (size_t i = 0; i < self->size; i++)
        if (ztask_endpoint_same (self->items[i], endpoint))
            return (int) i;
    return -1;
}

const char *
ztask_endpoints_current (ztask_endpoints_t *self)
{
    assert (self && self->size > 0);
    return self->items[self->current];
}

size_t
ztask_endpoints_index (ztask_endpoints_t *self)
{
    assert (self);
    return self->current;
}

void
ztask_endpoints_next (ztask_endpoints_t *self)
{
    assert (self && self->size > 0);
    self->current = (self->current + 1) % self->size;
}

ztask_leader_t
ztask_endpoints_not_leader (ztask_endpoints_t *self, const char *leader)
{
    assert (self && self->size > 0 && leader);
    int index = *leader ? ztask_endpoints_find (self, leader) : -1;
    if (index >= 0 && (size_t) index != self->current) {
        self->current = (size_t) index;
        return ZTASK_LEADER_LISTED;
    }
    ztask_endpoints_next (self);
    return !*leader ? ZTASK_LEADER_NONE : index >= 0 ? ZTASK_LEADER_ITSELF : ZTASK_LEADER_UNLISTED;
}
