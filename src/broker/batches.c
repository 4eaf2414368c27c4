/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  batches - the documents about batches, and their then tasks' recovery. */
#include "batches.h"
#include "ztask/client.h"

#include <inttypes.h>

json_t *
batch_answer (const store_batch_t *batch, bool existing)
{
    return json_pack ("{s:I, s:I, s:o, s:b}", "batch", (json_int_t) batch->id, "size", (json_int_t) batch->size,
                      "then", batch->then_id ? json_integer ((json_int_t) batch->then_id) : json_null (),
                      "existing", existing);
}

json_t *
batch_status (const store_batch_t *batch, int then_state)
{
    json_t *counts = json_object ();
    uint32_t held = 0, ended = 0;
    for (int state = 0; state < 7; state++) {
        json_object_set_new (counts, ztask_state_name ((ztask_state_t) state), json_integer (batch->counts[state]));
        held += batch->counts[state];
        if (state == ZTASK_STATE_DONE || state == ZTASK_STATE_FAILED || state == ZTASK_STATE_CANCELLED)
            ended += batch->counts[state];
    }
    /* Purged tasks ended (only finished tasks are purged). */
    uint32_t purged = batch->size > held ? batch->size - held : 0;
    json_t *then = json_null ();
    if (batch->then_id)
        then = json_pack ("{s:I, s:s}", "id", (json_int_t) batch->then_id, "state",
                          then_state >= 0 ? ztask_state_name ((ztask_state_t) then_state) : "purged");
    return json_pack ("{s:I, s:I, s:I, s:o, s:I, s:I, s:o}", "batch", (json_int_t) batch->id, "size",
                      (json_int_t) batch->size, "created_ms", (json_int_t) batch->created_ms, "counts", counts,
                      "ended", (json_int_t) (ended + purged), "purged", (json_int_t) purged, "then", then);
}

/* ---- the summary ---- */

typedef struct {
    json_t *tasks;               /* the entries listed                     */
    uint32_t counts[7];
    bool all;                    /* list done tasks too                    */
    bool any;                    /* list any                               */
} summary_t;

static void
s_summary_row (const store_row_t *row, void *arg)
{
    summary_t *summary = (summary_t *) arg;
    if (row->state < 7)
        summary->counts[row->state]++;
    if (!summary->any || (!summary->all && row->state == ZTASK_STATE_DONE))
        return;
    json_t *entry = json_pack ("{s:I, s:s}", "id", (json_int_t) row->id, "state",
                               ztask_state_name ((ztask_state_t) row->state));
    if (row->error && *row->error)
        json_object_set_new (entry, "error", json_string (row->error));
    json_array_append_new (summary->tasks, entry);
}

/* The summary listing every task (level 0), those not done (1) or none
   (2); NULL if the store failed. */
static char *
s_summary (store_t *store, uint64_t batch_id, uint32_t batch_size, int level)
{
    summary_t summary = { json_array (), { 0 }, level == 0, level < 2 };
    if (store_batch_tasks (store, batch_id, s_summary_row, &summary) != 0) {
        json_decref (summary.tasks);
        return NULL;
    }
    uint32_t held = 0;
    for (int state = 0; state < 7; state++)
        held += summary.counts[state];
    static const char *const listed[] = { "all", "not done", "none" };
    json_t *doc = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o}", "batch", (json_int_t) batch_id, "size",
                             (json_int_t) batch_size, "done", (json_int_t) summary.counts[ZTASK_STATE_DONE],
                             "failed", (json_int_t) summary.counts[ZTASK_STATE_FAILED], "cancelled",
                             (json_int_t) summary.counts[ZTASK_STATE_CANCELLED], "purged",
                             (json_int_t) (batch_size > held ? batch_size - held : 0), "listed", listed[level],
                             "tasks", summary.tasks);
    char *text = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    assert (text);
    return text;
}

char *
batch_summary (store_t *store, uint64_t batch_id, uint32_t batch_size, size_t max, size_t *size)
{
    for (int level = 0; level < 3; level++) {
        char *text = s_summary (store, batch_id, batch_size, level);
        if (!text)
            return NULL;
        *size = strlen (text);
        if (*size <= max || level == 2)
            return text; /* the counts alone are about 150 bytes */
        free (text);
    }
    return NULL;
}

/* ---- recovery ---- */

typedef struct {
    uint64_t batch_id, then_id;
    uint32_t live;
} batch_wait_t;

struct batch_waits {
    zhashx_t *by_batch;          /* "b<id>" and "t<then id>" -> batch_wait_t */
};

static void
s_wait_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_waiting (const store_batch_t *batch, void *arg)
{
    batch_waits_t *self = (batch_waits_t *) arg;
    batch_wait_t *wait = (batch_wait_t *) calloc (1, sizeof *wait);
    assert (wait);
    wait->batch_id = batch->id;
    wait->then_id = batch->then_id;
    char key[32];
    snprintf (key, sizeof key, "b%" PRIu64, batch->id);
    zhashx_insert (self->by_batch, key, wait); /* owns it */
    snprintf (key, sizeof key, "t%" PRIu64, batch->then_id);
    zhashx_insert (self->by_batch, key, wait);
}

batch_waits_t *
batch_waits_load (store_t *store)
{
    batch_waits_t *self = (batch_waits_t *) calloc (1, sizeof *self);
    assert (self);
    self->by_batch = zhashx_new ();
    assert (self->by_batch);
    if (store_batches_waiting (store, s_waiting, self) != 0)
        batch_waits_destroy (&self);
    return self;
}

void
batch_waits_destroy (batch_waits_t **self_p)
{
    assert (self_p);
    batch_waits_t *self = *self_p;
    if (self) {
        /* Each wait is under two keys: free it once, under "b". */
        for (batch_wait_t *wait = (batch_wait_t *) zhashx_first (self->by_batch); wait;
             wait = (batch_wait_t *) zhashx_next (self->by_batch))
            if (*(const char *) zhashx_cursor (self->by_batch) == 'b')
                s_wait_destroy ((void **) &wait);
        zhashx_destroy (&self->by_batch);
        free (self);
        *self_p = NULL;
    }
}

uint64_t
batch_waits_task (batch_waits_t *self, uint64_t batch_id)
{
    if (!batch_id)
        return 0;
    char key[32];
    snprintf (key, sizeof key, "b%" PRIu64, batch_id);
    batch_wait_t *wait = (batch_wait_t *) zhashx_lookup (self->by_batch, key);
    if (!wait)
        return 0;
    wait->live++;
    return wait->then_id;
}

bool
batch_waits_then (batch_waits_t *self, uint64_t task_id, uint64_t *batch_id, uint32_t *live)
{
    char key[32];
    snprintf (key, sizeof key, "t%" PRIu64, task_id);
    batch_wait_t *wait = (batch_wait_t *) zhashx_lookup (self->by_batch, key);
    if (!wait)
        return false;
    *batch_id = wait->batch_id;
    *live = wait->live;
    return true;
}
