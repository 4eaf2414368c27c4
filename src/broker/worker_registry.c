/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_registry - the workers registered with the broker. See worker_registry.h. */
#include "worker_registry.h"

struct worker_registry {
    zhashx_t *by_peer;           /* &peer_id_t -> broker_worker_t (owned)  */
    zhashx_t *by_instance;       /* instance id -> broker_worker_t          */
};

/* FNV-1a over the routing id. */
static size_t
s_peer_hash (const void *key)
{
    const peer_id_t *peer = (const peer_id_t *) key;
    uint64_t hash = 14695981039346656037ULL;
    for (size_t i = 0; i < peer->size; i++)
        hash = (hash ^ peer->data[i]) * 1099511628211ULL;
    return (size_t) hash;
}

static int
s_peer_compare (const void *a, const void *b)
{
    const peer_id_t *x = (const peer_id_t *) a, *y = (const peer_id_t *) b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return memcmp (x->data, y->data, x->size);
}

static void
s_worker_destroy (void **item)
{
    broker_worker_t *worker = (broker_worker_t *) *item;
    free (worker->plugins);
    free (worker->resources); /* and the labels: the same allocation */
    free (worker);
    *item = NULL;
}

/* Copies the labels and resources of in into one allocation: the two
   arrays, then their strings. */
static void
s_advertised_copy (broker_worker_t *worker, const ztask_msg_t *in)
{
    size_t strings = 0;
    for (size_t i = 0; i < in->label_count; i++)
        strings += strlen (in->labels[i].key) + strlen (in->labels[i].value) + 2;
    for (size_t i = 0; i < in->resource_count; i++)
        strings += strlen (in->resources[i].name) + 1;
    size_t arrays = in->resource_count * sizeof (broker_resource_t) + in->label_count * sizeof (ztask_label_t);
    char *block = (char *) malloc (arrays + strings + 1);
    assert (block);
    worker->resources = (broker_resource_t *) block;
    worker->labels = (ztask_label_t *) (block + in->resource_count * sizeof (broker_resource_t));
    char *text = block + arrays;
    for (size_t i = 0; i < in->resource_count; i++) {
        worker->resources[i].name = text;
        text = stpcpy (text, in->resources[i].name) + 1;
        worker->resources[i].total = in->resources[i].amount;
    }
    for (size_t i = 0; i < in->label_count; i++) {
        worker->labels[i].key = text;
        text = stpcpy (text, in->labels[i].key) + 1;
        worker->labels[i].value = text;
        text = stpcpy (text, in->labels[i].value) + 1;
    }
    worker->resource_count = in->resource_count;
    worker->label_count = in->label_count;
}

worker_registry_t *
worker_registry_new (void)
{
    worker_registry_t *self = (worker_registry_t *) zmalloc (sizeof (worker_registry_t));
    assert (self);
    self->by_peer = zhashx_new ();
    assert (self->by_peer);
    zhashx_set_destructor (self->by_peer, s_worker_destroy);
    zhashx_set_key_hasher (self->by_peer, s_peer_hash);
    zhashx_set_key_comparator (self->by_peer, s_peer_compare);
    zhashx_set_key_duplicator (self->by_peer, NULL); /* the key is the worker's own peer */
    zhashx_set_key_destructor (self->by_peer, NULL);
    self->by_instance = zhashx_new ();
    assert (self->by_instance);
    return self;
}

void
worker_registry_destroy (worker_registry_t **self_p)
{
    assert (self_p);
    worker_registry_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->by_instance);
        zhashx_destroy (&self->by_peer);
        free (self);
        *self_p = NULL;
    }
}

broker_worker_t *
worker_registry_add (worker_registry_t *self, const peer_id_t *peer, const ztask_msg_t *in)
{
    broker_worker_t *worker = (broker_worker_t *) zmalloc (sizeof (broker_worker_t));
    assert (worker);
    worker->peer = *peer;
    memcpy (worker->name, in->name, sizeof worker->name);
    memcpy (worker->host, in->host, sizeof worker->host);
    memcpy (worker->instance, in->instance, sizeof worker->instance);
    worker->plugins = (ztask_msg_plugin_t *) malloc (in->plugin_count * sizeof (ztask_msg_plugin_t) + 1);
    assert (worker->plugins);
    memcpy (worker->plugins, in->plugins, in->plugin_count * sizeof (ztask_msg_plugin_t));
    worker->plugin_count = in->plugin_count;
    s_advertised_copy (worker, in);
    worker->heard_at = zclock_mono ();
    int rc = zhashx_insert (self->by_peer, &worker->peer, worker);
    assert (rc == 0); /* the caller forgot an earlier record of this peer */
    if (worker->instance[0])
        zhashx_update (self->by_instance, worker->instance, worker);
    return worker;
}

void
worker_registry_delete (worker_registry_t *self, broker_worker_t *worker)
{
    if (worker->instance[0] && zhashx_lookup (self->by_instance, worker->instance) == worker)
        zhashx_delete (self->by_instance, worker->instance);
    zhashx_delete (self->by_peer, &worker->peer); /* frees worker */
}

broker_worker_t *
worker_registry_lookup (worker_registry_t *self, const peer_id_t *peer)
{
    return (broker_worker_t *) zhashx_lookup (self->by_peer, peer);
}

broker_worker_t *
worker_registry_instance (worker_registry_t *self, const char *instance)
{
    return instance[0] ? (broker_worker_t *) zhashx_lookup (self->by_instance, instance) : NULL;
}

broker_worker_t *
worker_registry_first (worker_registry_t *self)
{
    return (broker_worker_t *) zhashx_first (self->by_peer);
}

broker_worker_t *
worker_registry_next (worker_registry_t *self)
{
    return (broker_worker_t *) zhashx_next (self->by_peer);
}

size_t
worker_registry_size (worker_registry_t *self)
{
    return zhashx_size (self->by_peer);
}
