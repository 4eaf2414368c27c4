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

/* What a summary holds while the batch's tasks are read, once. Each list
   is kept while it fits in the budget (its size estimated on the high
   side: an error's every byte may be escaped as \u00XX). */
typedef struct {
    json_t *all;                 /* every task; NULL once over the budget   */
    json_t *not_done;            /* the tasks not done, as many as fit      */
    size_t all_bytes, not_done_bytes, budget;
    uint32_t counts[7];
    uint32_t omitted;            /* tasks not done left out of not_done     */
} summary_t;

static void
s_summary_row (const store_row_t *row, void *arg)
{
    summary_t *summary = (summary_t *) arg;
    if (row->state < 7)
        summary->counts[row->state]++;
    bool done = row->state == ZTASK_STATE_DONE;
    size_t error = row->error ? strlen (row->error) : 0;
    size_t bytes = 48 + (error ? 12 + 6 * error : 0);
    if (summary->all && summary->all_bytes + bytes > summary->budget) {
        json_decref (summary->all);
        summary->all = NULL;
    }
    bool listed = !done && summary->not_done_bytes + bytes <= summary->budget;
    if (!done && !listed)
        summary->omitted++;
    if (!summary->all && !listed)
        return;
    json_t *entry = json_pack ("{s:I, s:s}", "id", (json_int_t) row->id, "state",
                               ztask_state_name ((ztask_state_t) row->state));
    if (error)
        json_object_set_new (entry, "error", json_string (row->error));
    if (summary->all) {
        json_array_append (summary->all, entry);
        summary->all_bytes += bytes;
    }
    if (listed) {
        json_array_append (summary->not_done, entry);
        summary->not_done_bytes += bytes;
    }
    json_decref (entry);
}

char *
batch_summary (store_t *store, uint64_t batch_id, uint32_t batch_size, size_t max, size_t *size)
{
    summary_t summary = { json_array (), json_array (), 0, 0, max > 200 ? max - 200 : 0, { 0 }, 0 };
    if (store_batch_tasks (store, batch_id, s_summary_row, &summary) != 0) {
        json_decref (summary.all);
        json_decref (summary.not_done);
        return NULL;
    }
    uint32_t held = 0;
    for (int state = 0; state < 7; state++)
        held += summary.counts[state];
    const char *listed = summary.all ? "all" : summary.omitted ? "some" : "not done";
    json_t *doc = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:O}", "batch", (json_int_t) batch_id, "size",
                             (json_int_t) batch_size, "done", (json_int_t) summary.counts[ZTASK_STATE_DONE],
                             "failed", (json_int_t) summary.counts[ZTASK_STATE_FAILED], "cancelled",
                             (json_int_t) summary.counts[ZTASK_STATE_CANCELLED], "purged",
                             (json_int_t) (batch_size > held ? batch_size - held : 0), "listed", listed,
                             "tasks", summary.all ? summary.all : summary.not_done);
    if (summary.omitted && !summary.all)
        json_object_set_new (doc, "omitted", json_integer (summary.omitted));
    json_decref (summary.all);
    json_decref (summary.not_done);
    char *text = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    assert (text);
    *size = strlen (text);
    if (*size > max) { /* a max_payload of a few hundred bytes: the counts only */
        free (text);
        text = NULL;
        json_t *counts = json_pack ("{s:I, s:I, s:s}", "batch", (json_int_t) batch_id, "size",
                                    (json_int_t) batch_size, "listed", "none");
        text = json_dumps (counts, JSON_COMPACT);
        json_decref (counts);
        *size = strlen (text);
    }
    return text;
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
