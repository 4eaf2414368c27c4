/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  endpoint_list - the brokers a client may talk to (endpoint_list.h). */
#include "client/endpoint_list.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _endpoint_list_t {
    char *items[ENDPOINT_LIST_MAX]; /* the endpoints, in the list's order    */
    size_t size;                    /* how many                               */
    char *text;                     /* items joined by ",", for messages      */
};

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t';
}

int
endpoint_list_split (const char *text, char **items, size_t max, const char *what, char *error,
                     size_t error_size)
{
    assert (text && items && max > 0);
    if (!strchr (text, ',')) {
        items[0] = strdup (text);
        return items[0] ? 1 : (snprintf (error, error_size, "out of memory"), -1);
    }
    size_t count = 0;
    for (const char *start = text;; count++) {
        const char *end = start + strcspn (start, ",");
        if (count == max) {
            snprintf (error, error_size, "a list of %ss holds at most %zu items", what, max);
            return -1;
        }
        const char *first = start, *last = end;
        while (first < last && s_blank (*first))
            first++;
        while (last > first && s_blank (last[-1]))
            last--;
        if (first == last) {
            snprintf (error, error_size, "%s %zu of the list is empty (separate the items with one comma)",
                      what, count + 1);
            return -1;
        }
        if ((size_t) (last - first) >= ENDPOINT_LIST_ITEM_MAX) {
            snprintf (error, error_size, "%s %zu of the list is longer than %d bytes", what, count + 1,
                      ENDPOINT_LIST_ITEM_MAX - 1);
            return -1;
        }
        items[count] = strndup (first, (size_t) (last - first));
        if (!items[count]) {
            snprintf (error, error_size, "out of memory");
            return -1;
        }
        if (!*end)
            return (int) count + 1;
        start = end + 1;
    }
}

/* items joined by ",", or NULL when out of memory. */
static char *
s_join (char **items, size_t size)
{
    size_t length = 0;
    for (size_t i = 0; i < size; i++)
        length += strlen (items[i]) + 1;
    char *text = (char *) malloc (length);
    if (!text)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < size; i++) {
        size_t item = strlen (items[i]);
        memcpy (text + at, items[i], item);
        at += item;
        text[at++] = i + 1 < size ? ',' : 0;
    }
    return text;
}

/* -1, or the index of an item before index that is the same endpoint. */
static int
s_repeated (endpoint_list_t *self, size_t index)
{
    char item[ENDPOINT_LIST_ITEM_MAX], other[ENDPOINT_LIST_ITEM_MAX];
    endpoint_list_normalise (self->items[index], item, sizeof item);
    for (size_t i = 0; i < index; i++) {
        endpoint_list_normalise (self->items[i], other, sizeof other);
        if (strcmp (item, other) == 0)
            return (int) i;
    }
    return -1;
}

endpoint_list_t *
endpoint_list_new (const char *text, char *error, size_t error_size)
{
    assert (text);
    endpoint_list_t *self = (endpoint_list_t *) calloc (1, sizeof (endpoint_list_t));
    if (!self) {
        snprintf (error, error_size, "out of memory");
        return NULL;
    }
    int count = endpoint_list_split (text, self->items, ENDPOINT_LIST_MAX, "broker endpoint", error, error_size);
    if (count < 0) {
        endpoint_list_destroy (&self);
        return NULL;
    }
    self->size = (size_t) count;
    for (size_t i = 1; i < self->size; i++) {
        int first = s_repeated (self, i);
        if (first >= 0) {
            snprintf (error, error_size, "broker endpoint %zu of the list (%.*s) repeats endpoint %d", i + 1,
                      ENDPOINT_LIST_ITEM_MAX, self->items[i], first + 1);
            endpoint_list_destroy (&self);
            return NULL;
        }
    }
    self->text = s_join (self->items, self->size);
    if (!self->text) {
        snprintf (error, error_size, "out of memory");
        endpoint_list_destroy (&self);
    }
    return self;
}

void
endpoint_list_destroy (endpoint_list_t **self_p)
{
    assert (self_p);
    endpoint_list_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < ENDPOINT_LIST_MAX; i++)
            free (self->items[i]);
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

size_t
endpoint_list_size (endpoint_list_t *self)
{
    assert (self);
    return self->size;
}

const char *
endpoint_list_get (endpoint_list_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->items[index];
}

const char *
endpoint_list_text (endpoint_list_t *self)
{
    assert (self);
    return self->text;
}

int
endpoint_list_find (endpoint_list_t *self, const char *endpoint)
{
    assert (self && endpoint);
    char wanted[ENDPOINT_LIST_ITEM_MAX], item[ENDPOINT_LIST_ITEM_MAX];
    endpoint_list_normalise (endpoint, wanted, sizeof wanted);
    for (size_t i = 0; i < self->size; i++) {
        endpoint_list_normalise (self->items[i], item, sizeof item);
        if (strcmp (wanted, item) == 0)
            return (int) i;
    }
    return -1;
}

size_t
endpoint_list_after_standby (endpoint_list_t *self, size_t current, const char *leader)
{
    assert (self && current < self->size);
    int index = leader && *leader ? endpoint_list_find (self, leader) : -1;
    if (index >= 0 && (size_t) index != current)
        return (size_t) index;
    return (current + 1) % self->size;
}

void
endpoint_list_normalise (const char *endpoint, char *buffer, size_t size)
{
    assert (endpoint && buffer && size > 0);
    while (s_blank (*endpoint))
        endpoint++;
    size_t length = strlen (endpoint);
    while (length > 0 && (s_blank (endpoint[length - 1]) || endpoint[length - 1] == '/'))
        length--;
    if (length >= size)
        length = size - 1;
    memcpy (buffer, endpoint, length);
    buffer[length] = 0;
    char *host = strstr (buffer, "://");
    if (!host)
        return;
    for (char *s = buffer; s < host; s++)
        *s = (char) tolower ((unsigned char) *s);
    bool by_name = strncmp (buffer, "tcp:", 4) == 0 || strncmp (buffer, "ws:", 3) == 0
                   || strncmp (buffer, "wss:", 4) == 0;
    if (!by_name)
        return;
    /* The host ends at the port's ':' (after "]" for an IPv6 address). */
    host += 3;
    char *bracket = strchr (host, ']');
    char *port = strrchr (bracket ? bracket : host, ':');
    for (char *s = host; *s && s != port && *s != '/'; s++)
        *s = (char) tolower ((unsigned char) *s);
}
