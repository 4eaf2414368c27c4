/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker - ztaskd's server. See broker.h and docs/protocol.md. */
#include "broker.h"
#include "broker_log.h"
#include "batches.h"
#include "common/ztask_log.h"
#include "delayed.h"
#include "metrics.h"
#include "history.h"
#include "outbox.h"
#include "reports.h"
#include "scheduler.h"
#include "schedules.h"
#include "store.h"
#include "task_table.h"
#include "type_defaults.h"
#include "why_waiting.h"
#include "worker_registry.h"
#include "common/ztask_cert.h"
#include "common/ztask_logfile.h"
#include "common/ztask_names.h"
#include "common/ztask_retry.h"
#include "proto/ztask_msg.h"
#include "ztask/client.h"

#include <jansson.h>

#define BATCH_MAX 1024  /* messages handled between two commits           */
#define PURGE_BATCH 1000     /* finished tasks deleted per purge step      */
#define PURGE_INTERVAL_MS 10000
#define BACKOFF_BASE_MS 250  /* a task handed back waits this long (retries
                                follow the task's retry policy)       */
#define MALFORMED_PEERS_MAX 1024   /* peers remembered for "logged once"  */
#define MALFORMED_REPORT_MS 60000  /* summary of further malformed input  */
#define IDENTITY_KEY_MAX (2 * 255 + 1)
#define WAITERS_MAX 100000   /* waiting requests (WAIT, SUBMIT_WAIT) held in all */
#define STORE_RETRY_MS 2000  /* reconnecting to a store that failed...    */
#define STORE_RETRY_SLOW_MS 10000 /* ... after a minute of trying          */
#define STORE_RETRY_FAST_FOR_MS 60000
#define STANDBY_POLL_MS 250  /* a standby looks at the lease this often   */
#define RELEASE_MAX 4096     /* held tasks made queued in one round, at most */
#define DUE_AHEAD_MAX_MS (100LL * 366 * 24 * 3600 * 1000) /* a due time 100 years ahead, at most */
#define FIRES_MAX 256        /* schedule fires submitted in one round, at most */
#define SCHEDULES_MAX 100000 /* schedules a broker holds, at most            */
#define SCHEDULE_NEXT 3      /* fire times ztask schedule show lists          */
#define BATCH_THEN_TASK SIZE_MAX /* batch_task: the then task is being checked */
#define BATCH_PARENTS_MAX 10000 /* parents a batch's tasks name in all, at most:
                                   each is read from the store at submit   */

/* What a checked submit will be (s_submit_plan). */
typedef struct {
    task_type_t *type;
    sched_sig_t *sig;
    const broker_type_defaults_t *defaults; /* its type's, from the config; NULL */
    uint32_t pending;            /* its parents not ended yet (a batch's then
                                    task: the batch's tasks)                */
    uint64_t failed_parent;      /* the first that ended but not done; 0    */
    uint8_t failed_state;        /* ... its state                           */
} submit_plan_t;

struct broker {
    broker_config_t config;
    zsock_t *router;
    void *socket;                /* router's libzmq socket: the hot path uses it directly */
    zlistx_t *endpoints;         /* bound endpoints, real ports          */
    store_t *store;
    scheduler_t *scheduler;
    worker_registry_t *workers;  /* registered workers                   */
    delayed_t *delayed;          /* tasks waiting out a backoff, and the
                                    scheduled (delayed) ones until due    */
    size_t scheduled;            /* of those, the scheduled ones         */
    size_t blocked;              /* tasks waiting for their parents      */
    uint64_t *ready;             /* blocked tasks whose parents changed:
                                    ready_count ids (s_release_children) */
    size_t ready_count, ready_max;
    bool releasing;              /* s_release_children is at work        */
    byte *parents_body;          /* a TASK's payload and parents' results */
    size_t parents_body_max;
    uint64_t retry_random;       /* state of the retry policies' jitter  */
    task_table_t *tasks;         /* queued and running tasks by id; the
                                    table does not own them: s_finish and
                                    broker_destroy free them              */
    outbox_t *outbox;            /* answers that wait for the commit     */
    ztask_msg_t *in;             /* message being handled                */
    peer_id_t from;              /* who sent it                          */
    zmq_msg_t body;              /* its body frame, when it has one      */
    ztask_msg_t *out;            /* message being built                  */
    byte *header;                /* out's header, encoded (ZTASK_HEADER_MAX) */
    uint64_t uncommitted_from;   /* tasks from this id on are not yet committed */
    uint64_t commits;            /* commits done: see waiter_t's held_until */
    zpoller_t *poller;           /* waits on router                      */
    bool store_down;             /* a commit failed: nothing is accepted */
    int64_t store_lost_at;       /* when it failed (monotonic ms)        */
    int64_t next_store_try;      /* when to try the store again          */
    int64_t store_back_at;       /* when it last came back (monotonic ms) */
    int64_t next_tick;           /* heartbeats and expiry (monotonic ms) */
    int64_t next_purge;          /* retention clean-up (monotonic ms)    */
    size_t waiters;              /* waiting requests held, on all tasks  */
    uint64_t send_failures;      /* replies a peer could not take        */
    broker_counters_t counters;  /* totals since start (ztask stats)     */
    zhashx_t *malformed_peers;   /* peer -> malformed count since the last report */
    uint64_t malformed_unreported; /* not logged one by one              */
    int64_t next_malformed_report;
    zactor_t *auth;              /* zauth, with CURVE on                 */
    zcertstore_t *client_keys;   /* allow/clients: may submit and query  */
    zcertstore_t *worker_keys;   /* allow/workers: may register          */
    /* Leadership among brokers sharing the store (an SQLite store's
       broker always leads): */
    bool leading;                /* serving; false: a standby            */
    store_leader_t leader;       /* who leads (or led last), for NOT_LEADER */
    char *name;                  /* this broker's name                   */
    char *advertise;             /* the endpoint it gives as the leader's */
    int64_t next_lead;           /* when to look at the lease (monotonic ms) */
    /* The HTTP thread's way in (only with http configured): */
    zsock_t *internal_router;    /* ROUTER on inproc, no CURVE; its peers are
                                    clients with every client right       */
    void *internal;              /* its libzmq socket; NULL: none          */
    char *internal_endpoint;     /* inproc://ztaskd-http-...               */
    unsigned recv_turn;          /* receives since the internal socket was last looked at */
    metrics_t *metrics;          /* counters and histograms (/metrics)     */
    char *note;                  /* history entries for the next store write (s_note) */
    size_t note_max;
    /* Recurring schedules (docs/scheduling.md): */
    schedules_t *schedules;      /* held while leading, with their next fires */
    ztask_msg_t *fire;           /* the SUBMIT a fire makes                  */
    ztask_msg_t *member;         /* a BATCH's task being read                */
    submit_plan_t *plans;        /* a BATCH's tasks, checked (plans_max)     */
    task_t **batch_tasks;        /* ... and stored, not yet placed           */
    size_t plans_max;
    batch_waits_t *batch_waits;  /* while recovering: then tasks waiting     */
    int64_t now_offset_ms;       /* ZTASK_TEST_NOW_OFFSET_MS: tests only      */
    int fire_status;             /* the ERROR a fire's SUBMIT got; 0: none   */
    uint64_t retry_then;         /* the task being retried is the then task of
                                    this batch (s_retried_row); 0: not one */
    bool round_failed;           /* a read the round's writes need failed:
                                    s_commit rolls the round back          */
    size_t batch_task;           /* the batch task being checked (1: the first),
                                    named in each refusal; 0: none         */
    char fire_refusal[ZTASK_STRING_MAX + 1]; /* ... and its text             */
};

/* ---- keys ---- */

/* The routing id in hex, for logs. */
static void
s_identity_key (const peer_id_t *peer, char *key)
{
    static const char hex[] = "0123456789abcdef";
    const byte *data = peer->data;
    size_t size = peer->size;
    for (size_t i = 0; i < size; i++) {
        key[2 * i] = hex[data[i] >> 4];
        key[2 * i + 1] = hex[data[i] & 15];
    }
    key[2 * size] = 0;
}

/* True the first time a peer misbehaves (this minute): only then is it
   logged, so a peer cannot flood the log. */
static bool
s_first_noise (broker_t *self, const peer_id_t *peer)
{
    char key[IDENTITY_KEY_MAX] = "?";
    if (peer->size)
        s_identity_key (peer, key);
    uintptr_t count = (uintptr_t) zhashx_lookup (self->malformed_peers, key);
    if (count == 0 && zhashx_size (self->malformed_peers) >= MALFORMED_PEERS_MAX)
        return false; /* too many peers to remember: stay quiet */
    zhashx_update (self->malformed_peers, key, (void *) (count + 1));
    return count == 0;
}

static task_t *
s_task_lookup (broker_t *self, uint64_t id)
{
    return task_table_lookup (self->tasks, id);
}

/* ---- sending ---- */

/* Encodes self->out into self->header; its body, when it has one, is
   self->out->body or (when not NULL) the given bytes. Returns the header
   size, 0 if a field is invalid. */
static size_t
s_encode (broker_t *self, const void **body, size_t *body_size, bool *with_body)
{
    size_t size = ztask_msg_encode_header (self->out, self->header);
    *with_body = ztask_msg_has_body (self->out);
    if (*with_body && !*body && self->out->body) {
        *body = zframe_data (self->out->body);
        *body_size = zframe_size (self->out->body);
    }
    return size;
}

/* Sends self->out to peer, with body (if not NULL) as its body frame.
   Returns 0 or -1 (peer gone or full). */
static int
s_send_body (broker_t *self, const peer_id_t *peer, const void *body, size_t body_size)
{
    if (!peer->size)
        return 0; /* the broker itself (a schedule's fire): nothing to send */
    bool with_body;
    size_t size = s_encode (self, &body, &body_size, &with_body);
    if (!size)
        return -1;
    if (peer_send (peer->via ? peer->via : self->socket, peer->data, peer->size, self->header, size, body, body_size, with_body) != 0) {
        self->send_failures++;
        return -1;
    }
    return 0;
}

static int
s_send (broker_t *self, const peer_id_t *peer)
{
    return s_send_body (self, peer, NULL, 0);
}

static void
s_send_error (broker_t *self, const peer_id_t *peer, uint32_t corr, int status, const char *text)
{
    switch (status) {
    case ZTASK_ERR_TOO_LARGE: self->counters.refused.too_large++; break;
    case ZTASK_ERR_QUEUE_FULL: self->counters.refused.queue_full++; break;
    case ZTASK_ERR_VERSION: self->counters.refused.version++; break;
    case ZTASK_ERR_NOT_REGISTERED: self->counters.refused.not_registered++; break;
    default: break;
    }
    if (!peer->size) { /* a schedule's fire, refused: s_fire_due logs why */
        self->fire_status = status;
        snprintf (self->fire_refusal, sizeof self->fire_refusal, "%s", text);
        return;
    }
    ztask_msg_reset (self->out, ZTASK_MSG_ERROR);
    self->out->corr = corr;
    self->out->error_status = (uint16_t) status;
    if (self->batch_task) {
        char named[ZTASK_STRING_MAX + 1];
        if (self->batch_task == BATCH_THEN_TASK)
            snprintf (named, sizeof named, "then task: %s", text);
        else
            snprintf (named, sizeof named, "batch task %zu: %s", self->batch_task, text);
        ztask_msg_strcpy (self->out->text, named);
    }
    else
        ztask_msg_strcpy (self->out->text, text);
    s_send (self, peer);
}

static int
s_send_to_worker (broker_t *self, broker_worker_t *worker, const void *body, size_t body_size)
{
    if (s_send_body (self, &worker->peer, body, body_size) != 0) {
        worker->lost = "unreachable";
        return -1;
    }
    worker->sent_at = zclock_mono ();
    return 0;
}

/* Queues self->out for peer, with body (if not NULL) as its body frame,
   to be sent once the batch is committed (a reply that must not run ahead
   of the store). */
static void
s_send_after_commit_body (broker_t *self, const peer_id_t *peer, const void *body, size_t body_size)
{
    if (!peer->size)
        return; /* the broker itself (a schedule's fire) */
    bool with_body;
    size_t size = s_encode (self, &body, &body_size, &with_body);
    if (size)
        outbox_put (self->outbox, peer, self->header, size, body, body_size, with_body);
}

static void
s_send_after_commit (broker_t *self, const peer_id_t *peer)
{
    s_send_after_commit_body (self, peer, NULL, 0);
}

/* ---- what a task asks of its worker (docs/routing.md) ---- */

/* A version constraint as TASK_INFO carries it: without the type (the
   scheduler's and the store's "render>=1.2" is ">=1.2"). */
static const char *
s_version_without_type (const char *type, const char *version)
{
    size_t length = strlen (type);
    return strncmp (version, type, length) == 0 ? version + length : version;
}

/* Fills out's routing fields from what task asks (its signature). */
static void
s_info_needs (ztask_msg_t *out, const task_t *task)
{
    const sched_sig_t *sig = task->sig;
    if (!sig || sig == task->type->plain)
        return;
    size_t count = sig->require ? ztask_require_count (sig->require) : 0;
    for (size_t i = 0; i < count && i < ZTASK_REQUIRES_MAX; i++)
        ztask_msg_strcpy (out->require[out->require_count++], ztask_require_text (sig->require, i));
    if (sig->version_text)
        ztask_msg_strcpy (out->version, s_version_without_type (task->type->name, sig->version_text));
    if (sig->needs_text)
        snprintf (out->needs, sizeof out->needs, "%s", sig->needs_text);
    if (sig->limit)
        ztask_msg_strcpy (out->limit_name, sig->limit->name);
}

/* Fills out's routing fields from a stored row (its requirements are
   joined with newlines). */
static void
s_row_needs (ztask_msg_t *out, const store_row_t *row)
{
    for (const char *at = row->require; *at && out->require_count < ZTASK_REQUIRES_MAX;) {
        size_t length = strcspn (at, "\n");
        if (length) {
            char text[ZTASK_STRING_MAX + 1];
            snprintf (text, sizeof text, "%.*s", (int) (length < ZTASK_STRING_MAX ? length : ZTASK_STRING_MAX), at);
            ztask_msg_strcpy (out->require[out->require_count++], text);
        }
        at += length;
        if (*at)
            at++;
    }
    ztask_msg_strcpy (out->version, s_version_without_type (row->type, row->version));
    snprintf (out->needs, sizeof out->needs, "%s", row->needs);
    ztask_msg_strcpy (out->limit_name, row->limit);
}

/* ---- dependencies (docs/scheduling.md) ---- */

/* Reads a stored parents text ("3,4", "any:3,4"; store.h) into parents
   (at most ZTASK_PARENTS_MAX; NULL: only counts) with state
   ZTASK_PARENT_ENDED; *after_any says which rule. Returns the count. */
static size_t
s_parse_parents (const char *text, uint8_t *after_any, ztask_msg_parent_t *parents)
{
    *after_any = 0;
    if (!text || !*text)
        return 0;
    if (strncmp (text, "any:", 4) == 0) {
        *after_any = 1;
        text += 4;
    }
    size_t count = 0;
    while (*text && count < ZTASK_PARENTS_MAX) {
        char *end;
        uint64_t id = strtoull (text, &end, 10);
        if (end == text)
            break; /* not a number: the rest is not read */
        if (parents) {
            parents[count].task_id = id;
            parents[count].state = ZTASK_PARENT_ENDED;
        }
        count++;
        text = *end == ',' ? end + 1 : end;
    }
    return count;
}

/* A live task's parents into m, each with its state if it is live. */
static void
s_info_parents (broker_t *self, ztask_msg_t *m, const task_t *task)
{
    if (!task->deps || !task->deps->parent_count)
        return;
    m->after_any = task->deps->after_any;
    m->parent_count = task->deps->parent_count;
    for (size_t i = 0; i < m->parent_count; i++) {
        m->parents[i].task_id = task->deps->parents[i];
        task_t *parent = task_table_lookup (self->tasks, task->deps->parents[i]);
        m->parents[i].state = parent ? parent->state : ZTASK_PARENT_ENDED;
    }
}

/* A task's retry policy into TASK_INFO m: left out (0) when it is the
   default, so that an older client reads the TASK_INFO of every task
   that neither has a policy of its own nor waits out a backoff (the
   client shows 0 as the default). */
static void
s_info_retry (ztask_msg_t *m, uint32_t min_ms, uint32_t max_ms)
{
    if (min_ms && !(min_ms == ZTASK_RETRY_DEFAULT_MIN_MS && max_ms == ZTASK_RETRY_DEFAULT_MAX_MS)) {
        m->retry_min_ms = min_ms;
        m->retry_max_ms = max_ms;
    }
}

/* Fills self->out as TASK_INFO for a live task. */
static void
s_task_info (broker_t *self, task_t *task, uint32_t corr)
{
    ztask_msg_t *m = self->out;
    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    m->corr = corr;
    m->task_id = task->id;
    ztask_msg_strcpy (m->type, task->type->name);
    m->priority = task->priority;
    m->state = task->state;
    m->attempt = task->attempts;
    m->max_attempts = task->max_attempts;
    m->progress_done = task->progress_done;
    m->progress_total = task->progress_total;
    ztask_msg_strcpy (m->text, task->progress_text);
    if (task->worker)
        ztask_msg_strcpy (m->worker, ((broker_worker_t *) task->worker)->name);
    m->created_ms = task->created_ms;
    m->started_ms = task->started_ms;
    m->due_ms = task->due_ms;
    s_info_retry (m, task->retry_min_ms, task->retry_max_ms);
    if (task->state == ZTASK_STATE_QUEUED && task->delayed_index)
        m->next_attempt_ms = task->next_attempt_ms; /* still waiting out its backoff */
    s_info_needs (m, task);
    s_info_parents (self, m, task);
}

/* Fills self->out as TASK_INFO for a stored task; with its result as
   body when the row has it. */
static void
s_row_info (broker_t *self, const store_row_t *row, uint32_t corr)
{
    ztask_msg_t *m = self->out;
    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    m->corr = corr;
    m->task_id = row->id;
    ztask_msg_strcpy (m->type, row->type);
    m->priority = row->priority;
    m->state = row->state;
    m->attempt = row->attempts;
    m->max_attempts = row->max_attempts;
    ztask_msg_strcpy (m->worker, row->worker);
    ztask_msg_strcpy (m->error, row->error);
    m->created_ms = row->created_ms;
    m->started_ms = row->started_ms;
    m->finished_ms = row->finished_ms;
    m->due_ms = row->due_ms;
    s_info_retry (m, row->retry_min_ms, row->retry_max_ms);
    if (row->state == ZTASK_STATE_QUEUED && row->next_attempt_ms > zclock_time ())
        m->next_attempt_ms = row->next_attempt_ms;
    s_row_needs (m, row);
    m->parent_count = s_parse_parents (row->parents, &m->after_any, NULL);
    s_parse_parents (row->parents, &m->after_any, m->parents);
    if (row->result)
        m->flags |= ZTASK_FLAG_RESULT;
}

/* ---- task lifecycle ---- */

static void s_dispatch_worker (broker_t *self, broker_worker_t *worker);
static int s_recover (broker_t *self);
static void s_store_lost (broker_t *self);
static void s_schedule (broker_t *self, task_t *task);
static void s_send_json (broker_t *self, ztask_msg_t *in, json_t *doc);
static void s_send_json_after_commit (broker_t *self, ztask_msg_t *in, json_t *doc);
static void s_drop_state (broker_t *self, int status);
static void s_lead (broker_t *self);
static void s_note (broker_t *self, task_t *task, const char *event, const char *worker, const char *text);
static void s_noted (task_t *task);
static void s_milestone (broker_t *self, task_t *task, const char *worker);
static int s_recover_paused (broker_t *self);
static task_t *s_task_from_row (broker_t *self, const store_row_t *row, const char *otherwise);
static void s_history_later (task_t *task, const char *event, const char *text);
static void s_requeue (broker_t *self, task_t *task, const char *worker_name, const char *why,
                       uint32_t retry_after_ms);

/* A child's TASK body into self->parents_body: its payload, then each
   parent's result as the store holds it (a parent's result read when the
   task starts; one the store no longer has is empty), their sizes into
   m. Returns the body's size, or -1 when the store could not be read. */
static ssize_t
s_parents_body (broker_t *self, const task_t *task, ztask_msg_t *m)
{
    size_t size = 0;
    for (uint32_t i = 0; i <= task->deps->parent_count && i <= ZTASK_PARENTS_MAX; i++) {
        store_row_t row;
        const void *bytes = task->payload;
        size_t length = task->payload_size;
        if (i > 0) {
            int rc = store_get (self->store, task->deps->parents[i - 1], true, &row);
            if (rc == STORE_FAILED)
                return -1;
            bool read = rc == 0 && row.result;
            bytes = read ? row.result : "";
            length = read ? row.result_size : 0;
            m->parent_sizes[i - 1] = (uint32_t) length;
            m->parent_size_count = i;
        }
        if (size + length > self->parents_body_max) {
            self->parents_body_max = (size + length) * 2;
            self->parents_body = (byte *) realloc (self->parents_body, self->parents_body_max);
            assert (self->parents_body);
        }
        memcpy (self->parents_body + size, bytes, length);
        size += length;
    }
    return (ssize_t) size;
}

/* Sends a task that the scheduler put on worker's slot. */
/* When a task's wait in the queue began (wall clock): its submit, or its
   due time when it was delayed. */
static int64_t
s_queued_since (const task_t *task)
{
    return task->due_ms > task->created_ms ? task->due_ms : task->created_ms;
}

static void
s_start (broker_t *self, broker_worker_t *worker, task_t *task)
{
    task->attempts++;
    task->state = ZTASK_STATE_RUNNING;
    task->started_ms = zclock_time ();
    task->next_attempt_ms = 0;
    free (task->progress_text);
    task->progress_text = NULL;
    task->progress_done = task->progress_total = 0;
    s_note (self, task, "started", worker->name, NULL);
    store_started (self->store, task, worker->name);
    broker_log_started (task, worker->name);
    metrics_started (self->metrics, task->type->name, task->priority,
                     task->attempts == 1 ? task->started_ms - s_queued_since (task) : -1, task->started_ms);
    s_noted (task);
    task->milestone = task->milestone_count = 0;
    ztask_msg_t *m = self->out;
    ztask_msg_reset (m, ZTASK_MSG_TASK);
    m->task_id = task->id;
    m->attempt = task->attempts;
    ztask_msg_strcpy (m->type, task->type->name);
    m->priority = task->priority;
    m->timeout_ms = task->timeout_ms;
    if (task->deps && task->deps->parent_count) {
        ssize_t size = s_parents_body (self, task, m);
        if (size < 0) {
            /* Never run a child on results it could not read: the attempt
               fails before it is sent and the task waits out its backoff
               (the store is checked again meanwhile). */
            self->next_lead = 0;
            scheduler_release (self->scheduler, task);
            s_requeue (self, task, worker->name, "its parents' results could not be read from the store", 0);
            return;
        }
        s_send_to_worker (self, worker, self->parents_body, (size_t) size);
    }
    else
        s_send_to_worker (self, worker, task->payload, task->payload_size);
    /* A failed send marks the worker lost; the reaper requeues the task. */
}

/* Offers a queued task to the scheduler and starts it if a slot took it. */
static void
s_offer (broker_t *self, task_t *task, bool front)
{
    task->state = ZTASK_STATE_QUEUED;
    broker_worker_t *worker = (broker_worker_t *) scheduler_submit (self->scheduler, task, front);
    if (worker)
        s_start (self, worker, task);
}

/* ---- dependencies ---- */

static void s_finish (broker_t *self, task_t *task, const char *worker_name, int state, const char *error,
                      const void *result, size_t result_size, bool at_once);

/* Puts a blocked task on the list s_release_children goes through. */
static void
s_ready_add (broker_t *self, uint64_t id)
{
    if (self->ready_count == self->ready_max) {
        self->ready_max = self->ready_max ? self->ready_max * 2 : 64;
        self->ready = (uint64_t *) realloc (self->ready, self->ready_max * sizeof (uint64_t));
        assert (self->ready);
    }
    self->ready[self->ready_count++] = id;
}

/* parent ended in state: each blocked child waiting for it has one parent
   fewer to wait for, and goes on the ready list when it may run or must
   be cancelled (children that ended meanwhile are skipped). */
static void
s_parent_ended (broker_t *self, task_t *parent, int state)
{
    for (uint32_t i = 0; i < parent->deps->child_count; i++) {
        task_t *child = task_table_lookup (self->tasks, parent->deps->children[i]);
        if (!child || child->state != ZTASK_STATE_BLOCKED || !child->deps || !child->deps->pending)
            continue;
        task_deps_t *deps = child->deps;
        deps->pending--;
        if (state != ZTASK_STATE_DONE && !deps->failed_parent) {
            deps->failed_parent = parent->id;
            deps->failed_state = (uint8_t) state;
        }
        if (deps->pending == 0 || (deps->failed_parent && !deps->after_any))
            s_ready_add (self, child->id);
    }
}

/* A child whose parents all ended (and none failed, or it runs after any
   end): queued, unless its payload and its parents' results would not fit
   in a TASK (the broker's max_payload), when it fails saying so. */
/* A batch's then task whose tasks all ended: its payload becomes the
   batch's summary (batches.h). Returns it (moved in memory), or NULL
   when the store could not be read: then the round is rolled back (its
   last task's end too, which its worker sends again) and the broker reads
   its state back, which releases it again. */
static task_t *
s_then_summary (broker_t *self, task_t *then)
{
    store_batch_t batch;
    size_t size = 0;
    char *summary = NULL;
    if (store_batch_get (self->store, then->deps->batch_id, &batch) == 0)
        summary = batch_summary (self->store, batch.id, batch.size, self->config.max_payload, &size);
    if (!summary) {
        ztask_log_error ("broker: the summary of batch %" PRIu64 " could not be read: its then task %" PRIu64
                         " waits for the store", then->deps->batch_id, then->id);
        self->round_failed = true;
        return NULL;
    }
    task_table_delete (self->tasks, then->id);
    then = task_set_payload (then, summary, size);
    task_table_insert (self->tasks, then);
    free (summary);
    store_set_payload (self->store, then);
    return then;
}

static void
s_child_ready (broker_t *self, task_t *child)
{
    if (child->deps->batch_then && !(child = s_then_summary (self, child)))
        return;
    size_t total = child->payload_size;
    for (uint32_t i = 0; i < child->deps->parent_count; i++) {
        store_row_t row;
        if (store_get (self->store, child->deps->parents[i], true, &row) == 0 && row.result)
            total += row.result_size;
    }
    if (total > self->config.max_payload) {
        char error[ZTASK_STRING_MAX + 1];
        snprintf (error, sizeof error,
                  "its payload and its parents' results are %zu bytes, over the broker's max_payload of %zu",
                  total, self->config.max_payload);
        s_finish (self, child, "", ZTASK_STATE_FAILED, error, NULL, 0, false);
        return;
    }
    const char *why = child->deps->failed_parent ? "its parents ended" : "its parents are done";
    if (child->due_ms > zclock_time ()) {
        /* It has a due time still ahead (--after with --in / --at):
           scheduled until then. */
        child->state = ZTASK_STATE_SCHEDULED;
        char text[96];
        snprintf (text, sizeof text, "%s; due at %" PRId64 " ms", why, child->due_ms);
        s_note (self, child, "scheduled", NULL, text);
        store_requeued (self->store, child);
        s_noted (child);
        s_schedule (self, child);
        return;
    }
    child->state = ZTASK_STATE_QUEUED;
    s_note (self, child, "queued", NULL, why);
    store_requeued (self->store, child);
    s_noted (child);
    s_offer (self, child, false);
}

/* Goes through the ready list until it is empty (ending a child there
   may put its own children on it: a loop, not a recursion, however long
   a chain). */
static void
s_release_children (broker_t *self)
{
    if (self->releasing)
        return;
    self->releasing = true;
    while (self->ready_count) {
        task_t *child = task_table_lookup (self->tasks, self->ready[--self->ready_count]);
        if (!child || child->state != ZTASK_STATE_BLOCKED)
            continue;
        task_deps_t *deps = child->deps;
        if (deps->failed_parent && !deps->after_any) {
            self->blocked--;
            char error[64];
            snprintf (error, sizeof error, "parent %" PRIu64 " %s", deps->failed_parent,
                      deps->failed_state == ZTASK_STATE_CANCELLED ? "was cancelled" : "failed");
            s_finish (self, child, "", ZTASK_STATE_CANCELLED, error, NULL, 0, false);
        }
        else if (deps->pending == 0) {
            self->blocked--;
            s_child_ready (self, child);
        }
    }
    self->releasing = false;
}

/* Ends a task that is no longer queued or running (its last attempt ran
   on worker_name): records it, answers its waiters, forgets it. at_once:
   the end is a worker's result that the worker keeps, and sends again to
   a restarted broker, until its RESULT_ACK (after the commit); the
   waiters may hear of it before the commit. Any other end (cancel, lost
   worker) reaches them only once committed. */
/* Whether w's SUBMITTED still waits for the commit: then what it hears
   next must wait too, so as not to overtake it. */
static bool
s_held (broker_t *self, const waiter_t *w)
{
    return w->held_until > self->commits;
}

static void
s_finish (broker_t *self, task_t *task, const char *worker_name, int state, const char *error,
          const void *result, size_t result_size, bool at_once)
{
    task->state = (uint8_t) state;
    int64_t now = zclock_time ();
    s_note (self, task, ztask_state_name ((ztask_state_t) state), worker_name, error);
    store_finished (self->store, task, state, error, result, result_size, now);
    broker_log_finished (task, worker_name, state, error);
    metrics_ended (self->metrics, task->type->name, task->priority, state, task->started_ms ? now - task->started_ms : -1, now);
    s_noted (task);
    if (state == ZTASK_STATE_DONE)
        self->counters.done++;
    else
        self->counters.failed++;
    for (waiter_t *w = task->waiters; w; w = w->next) {
        self->waiters--;
        s_task_info (self, task, w->corr);
        ztask_msg_t *m = self->out;
        m->finished_ms = now;
        ztask_msg_strcpy (m->worker, worker_name);
        ztask_msg_strcpy (m->error, error);
        m->flags |= ZTASK_FLAG_RESULT;
        /* A task not yet committed has not been accepted: its end waits
           for the commit, after the SUBMITTED answer. */
        if (!at_once || task->id >= self->uncommitted_from || s_held (self, w))
            s_send_after_commit_body (self, &w->peer, result ? result : "", result_size);
        else
            s_send_body (self, &w->peer, result ? result : "", result_size);
    }
    if (task->deps && task->deps->child_count)
        s_parent_ended (self, task, state);
    task_table_delete (self->tasks, task->id);
    scheduler_task_ended (self->scheduler, task, state == ZTASK_STATE_DONE);
    task_destroy (&task);
    s_release_children (self);
}

/* A running task's attempt failed (RETRY) or its worker is gone: after
   the backoff of its retry policy (so a task that kills workers cannot
   hog the front of the queue), or retry_after_ms when its plugin asked
   for that wait (ztask_retry_after; 0: none asked; capped to
   ZTASK_RETRY_AFTER_MAX_MS), it goes back to the front of its level; it
   fails when its attempts are used up, and ends cancelled if a client
   cancelled it meanwhile. The next attempt's due time is stored with it
   (`ztask status` shows it; a restart keeps it). */
static void
s_requeue (broker_t *self, task_t *task, const char *worker_name, const char *why, uint32_t retry_after_ms)
{
    if (task->cancelling) {
        s_finish (self, task, worker_name, ZTASK_STATE_CANCELLED, "cancelled by a client", NULL, 0, false);
        return;
    }
    if (task->attempts >= task->max_attempts) {
        char error[ZTASK_STRING_MAX + 1];
        snprintf (error, sizeof error, "%s; %u of %u attempts used", why, task->attempts,
                  task->max_attempts);
        s_finish (self, task, worker_name, ZTASK_STATE_FAILED, error, NULL, 0, false);
        return;
    }
    uint32_t delay = retry_after_ms
                       ? (retry_after_ms < ZTASK_RETRY_AFTER_MAX_MS ? retry_after_ms : ZTASK_RETRY_AFTER_MAX_MS)
                       : ztask_retry_delay (task->retry_min_ms, task->retry_max_ms, task->attempts,
                                            &self->retry_random);
    task->next_attempt_ms = zclock_time () + delay;
    char text[ZTASK_STRING_MAX + 64];
    snprintf (text, sizeof text, "%s; next attempt in %u ms%s", why, delay,
              retry_after_ms ? " (the plugin asked)" : "");
    broker_log_requeued (task, worker_name, why);
    s_note (self, task, "requeued", worker_name, text);
    store_requeued (self->store, task);
    metrics_retried (self->metrics, task->type->name, task->priority);
    s_noted (task);
    task->state = ZTASK_STATE_QUEUED;
    delayed_add (self->delayed, task, zclock_mono () + delay);
}

/* A running task that its worker handed back: it is leaving (GOODBYE),
   or it did not run the task (a RESULT HANDED_BACK: it was draining, or
   had no free slot). Not a failure, so its attempt is given back (the
   worker drops that attempt's result, so the number can be used again),
   and it goes to the front of its level: at once when the worker left,
   after the shortest backoff otherwise (a worker that keeps handing a
   task back must not be sent it again in a tight loop). */
static void
s_hand_back (broker_t *self, task_t *task, const char *worker_name, bool worker_left)
{
    if (task->cancelling) {
        s_finish (self, task, worker_name, ZTASK_STATE_CANCELLED, "cancelled by a client", NULL, 0, false);
        return;
    }
    broker_log_handed_back (task, worker_name, worker_left);
    if (task->attempts > 0)
        task->attempts--;
    task->next_attempt_ms = 0;
    s_note (self, task, "requeued", worker_name,
            worker_left ? "handed back: its worker left (no attempt used)"
                        : "handed back: its worker did not run it (no attempt used)");
    store_requeued (self->store, task);
    s_noted (task);
    if (worker_left)
        s_offer (self, task, true);
    else {
        task->state = ZTASK_STATE_QUEUED;
        delayed_add (self->delayed, task, zclock_mono () + BACKOFF_BASE_MS);
    }
}

/* Holds a scheduled task (task->due_ms, wall clock) in the heap until it
   is due. The heap runs on the monotonic clock: the wall clock due time
   is turned into one now (at submit, at recovery), so a wall clock that
   is set later does not move it; 1 ms more, so that it never starts
   before its due time on the wall clock that stamps started_ms. */
static void
s_schedule (broker_t *self, task_t *task)
{
    int64_t ahead = task->due_ms - zclock_time ();
    delayed_add (self->delayed, task, zclock_mono () + (ahead > 0 ? ahead + 1 : 0));
    self->scheduled++;
}

/* Takes a task out of the queue or the backoff heap, wherever it waits. */
static void
s_unqueue (broker_t *self, task_t *task)
{
    if (task->state == ZTASK_STATE_BLOCKED) {
        self->blocked--; /* it waits in no queue */
        return;
    }
    if (task->state == ZTASK_STATE_SCHEDULED)
        self->scheduled--;
    if (task->delayed_index)
        delayed_remove (self->delayed, task);
    else
        scheduler_dequeue (self->scheduler, task);
}

/* ---- workers ---- */

/* Forgets a worker; the tasks it was running go to orphans (the caller
   requeues them or gives them back to the same worker reconnecting). */
static void
s_worker_forget (broker_t *self, broker_worker_t *worker, zlistx_t *orphans)
{
    scheduler_worker_remove (self->scheduler, &worker->sched);
    task_t *task;
    while ((task = worker->sched.running)) {
        scheduler_release (self->scheduler, task);
        zlistx_add_end (orphans, task);
    }
    worker_registry_delete (self->workers, worker);
}

/* Forgets a worker and requeues what it was running: as a failed attempt,
   or (handed_back: the worker chose to leave) as no attempt at all. */
static void
s_worker_remove (broker_t *self, broker_worker_t *worker, const char *why, bool handed_back)
{
    char reason[128], name[ZTASK_STRING_MAX + 1];
    snprintf (reason, sizeof reason, "worker %.64s %s", worker->name, why);
    memcpy (name, worker->name, sizeof name);
    zlistx_t *orphans = zlistx_new ();
    s_worker_forget (self, worker, orphans);
    size_t requeued = zlistx_size (orphans);
    ztask_log_info ("broker: worker %s %s, %zu task%s requeued", name, why, requeued,
               requeued == 1 ? "" : "s");
    for (task_t *task = (task_t *) zlistx_first (orphans); task; task = (task_t *) zlistx_next (orphans))
        if (handed_back)
            s_hand_back (self, task, name, true);
        else
            s_requeue (self, task, name, reason, 0);
    zlistx_destroy (&orphans);
}

/* Removes workers marked lost; requeuing their tasks may mark more. */
static void
s_reap (broker_t *self)
{
    broker_worker_t *w = worker_registry_first (self->workers);
    while (w) {
        if (w->lost) {
            s_worker_remove (self, w, w->lost, false);
            w = worker_registry_first (self->workers); /* the table changed */
        }
        else
            w = worker_registry_next (self->workers);
    }
}

/* Fills every free slot of worker with the best eligible queued task. */
static void
s_dispatch_worker (broker_t *self, broker_worker_t *worker)
{
    task_t *task;
    while (!worker->lost && (task = scheduler_assign (self->scheduler, &worker->sched)))
        s_start (self, worker, task);
}

/* Starts what became possible without a slot freeing (scheduler_unblocked):
   a type resumed, a fleet limit with room again, a reservation dropped. */
static void
s_dispatch_unblocked (broker_t *self)
{
    task_t *task;
    while ((task = scheduler_unblocked (self->scheduler)))
        s_start (self, (broker_worker_t *) task->worker, task);
}

static void
s_send_cancel_task (broker_t *self, broker_worker_t *worker, uint64_t task_id, uint32_t attempt)
{
    ztask_msg_reset (self->out, ZTASK_MSG_CANCEL_TASK);
    self->out->task_id = task_id;
    self->out->attempt = attempt;
    s_send_to_worker (self, worker, NULL, 0);
}

/* Why name (what: "task type", "worker name"...) is not a valid name
   (docs/protocol.md, Names), written into text; NULL if it is. */
static const char *
s_name_refusal (const char *what, const char *name, char *text, size_t text_size)
{
    char why[128];
    if (ztask_name_valid (name, why, sizeof why))
        return NULL;
    snprintf (text, text_size, "invalid %s: %s", what, why);
    return text;
}

/* Formats a refusal into text and returns it. */
static const char *
s_refusal_text (char *text, size_t text_size, const char *format, ...) __attribute__ ((format (printf, 3, 4)));
static const char *
s_refusal_text (char *text, size_t text_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (text, text_size, format, args);
    va_end (args);
    return text;
}

/* Why a REGISTER's labels and resources cannot be accepted, or NULL:
   keys and names follow ztask_label_key_valid (so at most 63 bytes, safe
   to quote), each once; values ztask_name_valid; "slots" is the slots
   field, not a resource; an amount is at most 2^53 (exact in JSON). */
static const char *
s_advertised_refusal (ztask_msg_t *in, char *text, size_t text_size)
{
    char why[160];
    for (size_t i = 0; i < in->label_count; i++) {
        const ztask_msg_label_t *label = &in->labels[i];
        if (!ztask_label_key_valid (label->key, why, sizeof why))
            return s_refusal_text (text, text_size, "invalid label key: %s", why);
        if (!ztask_name_valid (label->value, why, sizeof why))
            return s_refusal_text (text, text_size, "invalid value of label '%.63s': %s", label->key, why);
        for (size_t k = 0; k < i; k++)
            if (streq (in->labels[k].key, label->key))
                return s_refusal_text (text, text_size, "label '%.63s' is given twice", label->key);
    }
    for (size_t i = 0; i < in->resource_count; i++) {
        const ztask_msg_resource_t *resource = &in->resources[i];
        if (!ztask_label_key_valid (resource->name, why, sizeof why))
            return s_refusal_text (text, text_size, "invalid resource name: %s", why);
        if (streq (resource->name, "slots"))
            return "resource 'slots' is reserved: it is the slots field";
        if (resource->amount > (1ULL << 53))
            return s_refusal_text (text, text_size, "resource '%.63s' is more than 2^53", resource->name);
        for (size_t k = 0; k < i; k++)
            if (streq (in->resources[k].name, resource->name))
                return s_refusal_text (text, text_size, "resource '%.63s' is given twice", resource->name);
    }
    return NULL;
}

/* Why a REGISTER cannot be accepted, or NULL; fills types. */
static const char *
s_register_refusal (broker_t *self, ztask_msg_t *in, task_type_t **types, char *text, size_t text_size)
{
    if (!in->name[0])
        return "worker name is empty";
    const char *refusal = s_name_refusal ("worker name", in->name, text, text_size);
    if (!refusal && in->host[0])
        refusal = s_name_refusal ("host name", in->host, text, text_size);
    if (refusal)
        return refusal;
    if (in->slots < 1 || in->slots > 1024)
        return "slots must be 1 to 1024";
    if (in->priorities == 0 || in->priorities >> TASK_PRIORITY_LEVELS)
        return "priorities must name levels 0 to 9";
    if (in->plugin_count == 0)
        return "a worker needs at least one plugin";
    for (size_t i = 0; i < in->plugin_count; i++) {
        if (!in->plugins[i].name[0])
            return "empty plugin name";
        if ((refusal = s_name_refusal ("plugin name", in->plugins[i].name, text, text_size))
            || (in->plugins[i].version[0]
                && (refusal = s_name_refusal ("plugin version", in->plugins[i].version, text, text_size))))
            return refusal;
        for (size_t k = 0; k < i; k++)
            if (streq (in->plugins[k].name, in->plugins[i].name))
                return "a plugin is named twice";
    }
    if ((refusal = s_advertised_refusal (in, text, text_size)))
        return refusal;
    /* Types valid until the round ends (scheduler_collect), whatever
       forgetting an earlier registration of this worker does meanwhile;
       types of a refused worker are collected then. */
    for (size_t i = 0; i < in->plugin_count; i++)
        if (!(types[i] = scheduler_type (self->scheduler, in->plugins[i].name)))
            return "too many task types";
    return NULL;
}

/* A registering worker reports what it still runs: the tasks that are
   still that attempt stay on it (after a reconnect, or a broker restart
   that recovered them as queued); it is told to stop the others. */
static size_t
s_keep_running (broker_t *self, broker_worker_t *worker, ztask_msg_t *in)
{
    size_t kept = 0;
    for (size_t i = 0; i < in->running_count; i++) {
        task_t *task = s_task_lookup (self, in->running[i].task_id);
        if (task && task->worker == &worker->sched)
            continue; /* listed twice */
        /* Only an attempt that was started (>= 1) can be running. */
        bool same_attempt = task && !task->worker && in->running[i].attempt >= 1
                         && task->attempts == in->running[i].attempt;
        if (same_attempt && task->state == ZTASK_STATE_QUEUED) {
            s_unqueue (self, task);
            if (scheduler_adopt (self->scheduler, &worker->sched, task) == 0) {
                task->state = ZTASK_STATE_RUNNING;
                s_note (self, task, "started", worker->name, "kept by its worker, which still ran it");
                store_started (self->store, task, worker->name);
                s_noted (task);
            }
            else
                s_offer (self, task, true);
        }
        else if (same_attempt && task->state == ZTASK_STATE_RUNNING)
            (void) scheduler_adopt (self->scheduler, &worker->sched, task); /* else requeued below */
        if (task && task->worker == &worker->sched) {
            kept++;
            if (task->cancelling)
                s_send_cancel_task (self, worker, task->id, task->attempts);
        }
        else
            s_send_cancel_task (self, worker, in->running[i].task_id, in->running[i].attempt);
    }
    return kept;
}

static void
s_on_register (broker_t *self, ztask_msg_t *in)
{
    task_type_t *types[ZTASK_PLUGINS_MAX];
    char text[256];
    const char *problem = s_register_refusal (self, in, types, text, sizeof text);
    if (problem) {
        if (s_first_noise (self, &self->from))
            ztask_log_warning ("broker: refused worker '%s': %s (further refusals from this peer are not logged)",
                          in->name, problem);
        s_send_error (self, &self->from, 0, ZTASK_ERR_BAD_REQUEST, problem);
        return;
    }
    /* An earlier registration of the same socket or of the same process
       (reconnected with a new socket) goes; its tasks wait in orphans. */
    zlistx_t *orphans = zlistx_new ();
    broker_worker_t *old = worker_registry_lookup (self->workers, &self->from);
    if (old)
        s_worker_forget (self, old, orphans);
    if ((old = worker_registry_instance (self->workers, in->instance)))
        s_worker_forget (self, old, orphans);

    broker_worker_t *worker = worker_registry_add (self->workers, &self->from, in);
    const char *versions[ZTASK_PLUGINS_MAX], *resource_names[ZTASK_RESOURCES_MAX];
    uint64_t resource_totals[ZTASK_RESOURCES_MAX];
    for (size_t i = 0; i < worker->plugin_count; i++)
        versions[i] = worker->plugins[i].version;
    for (size_t i = 0; i < worker->resource_count; i++) {
        resource_names[i] = worker->resources[i].name;
        resource_totals[i] = worker->resources[i].total;
    }
    sched_offer_t offer = { versions, worker->labels, worker->label_count, resource_names, resource_totals,
                            worker->resource_count };
    scheduler_worker_add (self->scheduler, &worker->sched, types, in->plugin_count, in->priorities, in->slots,
                          &offer);
    ztask_msg_reset (self->out, ZTASK_MSG_REGISTERED);
    self->out->heartbeat_ms = self->config.heartbeat_ms;
    s_send_to_worker (self, worker, NULL, 0);

    size_t kept = s_keep_running (self, worker, in);
    char why[96];
    snprintf (why, sizeof why, "worker %.40s reconnected without it", worker->name);
    for (task_t *task = (task_t *) zlistx_first (orphans); task; task = (task_t *) zlistx_next (orphans))
        if (!task->worker)
            s_requeue (self, task, worker->name, why, 0);
    zlistx_destroy (&orphans);
    char kept_text[48] = "";
    if (kept)
        snprintf (kept_text, sizeof kept_text, ", kept %zu running task%s", kept, kept == 1 ? "" : "s");
    ztask_log_info ("broker: worker %s (%s) registered: %zu plugin%s, %u slot%s%s", worker->name,
               worker->host, in->plugin_count, in->plugin_count == 1 ? "" : "s", in->slots,
               in->slots == 1 ? "" : "s", kept_text);
    s_dispatch_worker (self, worker);
}

/* The task a worker reports on, if that is the attempt it was given. */
static task_t *
s_current_attempt (broker_t *self, broker_worker_t *worker, ztask_msg_t *in)
{
    task_t *task = s_task_lookup (self, in->task_id);
    if (!task || task->worker != &worker->sched || task->attempts != in->attempt)
        return NULL;
    return task;
}

static void
s_on_result (broker_t *self, broker_worker_t *worker, ztask_msg_t *in)
{
    /* Acknowledged once committed, current or stale, so the worker stops
       re-sending it. */
    ztask_msg_reset (self->out, ZTASK_MSG_RESULT_ACK);
    self->out->task_id = in->task_id;
    self->out->attempt = in->attempt;
    s_send_after_commit (self, &worker->peer);

    task_t *task = s_task_lookup (self, in->task_id);
    if (task && task->attempts == in->attempt && !task->worker && task->state == ZTASK_STATE_QUEUED)
        s_unqueue (self, task); /* a result re-sent after a broker restart */
    else if ((task = s_current_attempt (self, worker, in)))
        scheduler_release (self->scheduler, task);
    else {
        ztask_log_debug ("broker: stale result for task %" PRIu64 " attempt %u from %s", in->task_id,
                    in->attempt, worker->name);
        return;
    }
    size_t result_size = zmq_msg_size (&self->body);
    if (in->status == ZTASK_RESULT_OK && result_size > self->config.max_result) {
        char error[128];
        snprintf (error, sizeof error, "result of %zu bytes is over the broker's max_result of %zu",
                  result_size, self->config.max_result);
        s_finish (self, task, worker->name, ZTASK_STATE_FAILED, error, NULL, 0, true);
    }
    else if (in->status == ZTASK_RESULT_OK)
        s_finish (self, task, worker->name, ZTASK_STATE_DONE, NULL, zmq_msg_data (&self->body), result_size,
                  true);
    else if (in->status == ZTASK_RESULT_HANDED_BACK)
        s_hand_back (self, task, worker->name, false); /* never ran: no attempt used */
    else if (task->cancelling)
        s_finish (self, task, worker->name, ZTASK_STATE_CANCELLED, "cancelled by a client", NULL, 0, false);
    else if (in->status == ZTASK_RESULT_RETRY)
        s_requeue (self, task, worker->name, in->error[0] ? in->error : "failed", in->retry_after_ms);
    else
        s_finish (self, task, worker->name, ZTASK_STATE_FAILED, in->error[0] ? in->error : "failed",
                  NULL, 0, true);
    s_dispatch_worker (self, worker);
}

/* Where task stands, as PROGRESS to a waiting client (after_commit:
   behind its SUBMITTED, which waits for the commit). */
static void
s_send_progress (broker_t *self, task_t *task, const peer_id_t *peer, uint32_t corr, bool after_commit)
{
    ztask_msg_reset (self->out, ZTASK_MSG_PROGRESS);
    self->out->corr = corr;
    self->out->task_id = task->id;
    self->out->progress_done = task->progress_done;
    self->out->progress_total = task->progress_total;
    ztask_msg_strcpy (self->out->text, task->progress_text);
    if (after_commit)
        s_send_after_commit (self, peer);
    else
        s_send (self, peer);
}

/* Whether a running task has reported progress. */
static bool
s_has_progress (const task_t *task)
{
    return task->state == ZTASK_STATE_RUNNING
           && (task->progress_total || task->progress_done || task->progress_text);
}

static void
s_on_worker_progress (broker_t *self, broker_worker_t *worker, ztask_msg_t *in)
{
    task_t *task = s_current_attempt (self, worker, in);
    if (!task)
        return;
    task->progress_done = in->progress_done;
    task->progress_total = in->progress_total;
    if (!task->progress_text || strcmp (task->progress_text, in->text)) {
        free (task->progress_text);
        task->progress_text = strdup (in->text);
    }
    s_milestone (self, task, worker->name);
    if (task->id >= self->uncommitted_from)
        return; /* not accepted yet: nothing may reach its waiters before SUBMITTED */
    for (waiter_t *w = task->waiters; w; w = w->next)
        s_send_progress (self, task, &w->peer, w->corr, s_held (self, w));
}

/* ---- clients ---- */

/* Why a submit is malformed (BAD_REQUEST), or NULL. */
static const char *
s_submit_refusal (ztask_msg_t *in, char *text, size_t text_size)
{
    if (!in->type[0])
        return "task type is empty";
    if (in->priority >= TASK_PRIORITY_LEVELS)
        return "priority must be 0 to 9";
    if (in->due_ms < 0)
        return "due_ms must be 0 (now) or a wall clock time in milliseconds since the epoch";
    if (in->due_ms > zclock_time () + DUE_AHEAD_MAX_MS)
        return "due_ms is more than 100 years ahead";
    for (size_t i = 0; i < in->parent_count; i++) {
        if (!in->parents[i].task_id)
            return "parent id 0: no task has it";
        for (size_t j = 0; j < i; j++)
            if (in->parents[j].task_id == in->parents[i].task_id) {
                snprintf (text, text_size, "parent %" PRIu64 " is given twice", in->parents[i].task_id);
                return text;
            }
    }
    if (in->retry_min_ms || in->retry_max_ms) {
        char why[128];
        if (ztask_retry_check (in->retry_min_ms, in->retry_max_ms, why, sizeof why) != 0) {
            snprintf (text, text_size, "invalid retry backoff %u ms..%u ms: %s", in->retry_min_ms,
                      in->retry_max_ms, why);
            return text;
        }
    }
    const char *refusal = s_name_refusal ("task type", in->type, text, text_size);
    if (!refusal && in->key[0])
        refusal = s_name_refusal ("key", in->key, text, text_size);
    if (!refusal && in->limit_name[0])
        refusal = s_name_refusal ("limit name", in->limit_name, text, text_size);
    return refusal;
}

/* The constraint on type's plugin version as the scheduler reads it
   ("render>=1.2"): the client's ">=1.2" after the type, or its text as it
   is when that names the type itself; NULL for none. */
static const char *
s_version_constraint (const char *type, const char *version, char *buffer, size_t size)
{
    const char *at = version + strspn (version, " \t");
    if (!*at)
        return NULL;
    if (!strchr ("<>=@", *at))
        return version;
    snprintf (buffer, size, "%s%s", type, version);
    return buffer;
}

/* Makes error (from scheduler_sig) fit an ERROR's text: a long text it
   quotes is shortened in the middle, so that the column after it stays. */
static const char *
s_fit_error (char *error)
{
    size_t length = strlen (error);
    char *open = strchr (error, '\'');
    char *close = open ? strstr (open + 1, "': ") : NULL;
    if (length <= ZTASK_STRING_MAX || !close || close - open <= 64)
        return error;
    size_t cut = length - ZTASK_STRING_MAX + 3; /* bytes to drop, "..." added */
    if ((size_t) (close - open - 1) < cut + 24)
        cut = (size_t) (close - open - 1) - 24;
    char *from = open + 1 + 20;
    while (((unsigned char) *from & 0xC0) == 0x80)
        from++; /* not inside a character */
    char *to = from + cut;
    while (((unsigned char) *to & 0xC0) == 0x80)
        to++;
    memcpy (from, "...", 3);
    memmove (from + 3, to, strlen (to) + 1);
    return error;
}

/* The signature for what in asks of type's workers, completed by the
   type's defaults from the config (NULL: nothing more), or -1 after
   answering BAD_REQUEST with the scheduler's reason. */
static int
s_submit_sig (broker_t *self, ztask_msg_t *in, task_type_t *type, const broker_type_defaults_t *defaults,
              sched_sig_t **sig_p)
{
    const char *require[ZTASK_REQUIRES_MAX], *all[TYPE_DEFAULTS_REQUIRE_MAX];
    for (size_t i = 0; i < in->require_count && i < ZTASK_REQUIRES_MAX; i++)
        require[i] = in->require[i];
    char version[2 * ZTASK_STRING_MAX + 2];
    sched_needs_t given = { require, in->require_count,
                            s_version_constraint (type->name, in->version, version, sizeof version), in->needs,
                            in->limit_name };
    sched_needs_t needs;
    type_defaults_apply (defaults, &given, &needs, all);
    char error[2048];
    sched_sig_t *sig = scheduler_sig (self->scheduler, type, &needs, error, sizeof error);
    if (!sig) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, s_fit_error (error));
        return -1;
    }
    *sig_p = sig == type->plain ? NULL : sig;
    return 0;
}

/* Why a payload of size bytes cannot be accepted (TOO_LARGE), or NULL. */
static const char *
s_payload_refusal (broker_t *self, size_t size, int *status, char *text, size_t text_size)
{
    if (size <= self->config.max_payload)
        return NULL;
    *status = ZTASK_ERR_TOO_LARGE;
    snprintf (text, text_size, "payload of %zu bytes is over the broker's max_payload of %zu", size,
              self->config.max_payload);
    return text;
}

/* Why count new tasks cannot be accepted now (QUEUE_FULL), or NULL. */
static const char *
s_room_refusal (broker_t *self, size_t count, int *status, char *text, size_t text_size)
{
    /* Tasks waiting out a backoff are queued tasks too, and so are blocked
       ones as far as this limit goes. */
    size_t held = scheduler_queued (self->scheduler) + delayed_size (self->delayed) + self->blocked;
    if (held + count <= self->config.max_queued)
        return NULL;
    *status = ZTASK_ERR_QUEUE_FULL;
    if (count == 1)
        return "the broker holds max_queued tasks; submit again later";
    snprintf (text, text_size, "the broker holds %zu tasks; %zu more would be over its max_queued of %zu",
              held, count, self->config.max_queued);
    return text;
}

/* Makes the sender of in wait for task's end (held: its SUBMITTED answer
   waits for this round's commit). Returns 0, or -1 when it was refused
   with an ERROR (too many waiting, on the task or in all). */
static int
s_add_waiter (broker_t *self, ztask_msg_t *in, task_t *task, bool held)
{
    uint64_t held_until = held ? self->commits + 1 : 0;
    int rc = self->waiters < WAITERS_MAX ? task_add_waiter (task, &self->from, in->corr, held_until) : -2;
    if (rc == 0)
        self->waiters++;
    if (rc >= 0)
        return 0;
    char text[128];
    if (rc == -1)
        snprintf (text, sizeof text, "%d clients wait for task %" PRIu64 " already", TASK_WAITERS_MAX,
                  task->id);
    else
        snprintf (text, sizeof text, "the broker holds %d waiting requests; wait again later", WAITERS_MAX);
    s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
    return -1;
}

#define STORE_UNREADABLE "the broker could not read its store; try again later"

/* A read or write of the store failed: the request is refused UNAVAILABLE
   (as while the store is down; a write's round will fail its commit), and
   the lease is looked at this round, which finds out whether the
   connection (and the lead) is still there. */
static void
s_store_failed (broker_t *self, ztask_msg_t *in, const char *text)
{
    s_send_error (self, &self->from, in->corr, ZTASK_ERR_UNAVAILABLE, text);
    self->next_lead = 0;
}

/* What in's parents say (each must be a task the store holds): how many
   have not ended (live tasks) into *pending, the first that ended but not
   done into *failed (its state into *failed_state). Returns 0, or -1 after
   answering (an unknown parent: BAD_REQUEST). */
static int
s_submit_parents (broker_t *self, ztask_msg_t *in, uint32_t *pending, uint64_t *failed, uint8_t *failed_state)
{
    *pending = 0;
    *failed = 0;
    for (size_t i = 0; i < in->parent_count; i++) {
        uint64_t id = in->parents[i].task_id;
        if (task_table_lookup (self->tasks, id)) {
            (*pending)++;
            continue;
        }
        store_row_t row;
        int rc = store_get (self->store, id, false, &row);
        if (rc == STORE_FAILED) {
            s_store_failed (self, in, STORE_UNREADABLE);
            return -1;
        }
        if (rc != 0) {
            char text[128];
            snprintf (text, sizeof text, "no task %" PRIu64 ": a parent (--after) must be a task the broker holds",
                      id);
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
            return -1;
        }
        if (row.state != ZTASK_STATE_DONE && !*failed) {
            *failed = id;
            *failed_state = row.state;
        }
    }
    return 0;
}

/* The rest of the checks of in (a SUBMIT that s_submit_refusal let
   through) as a new task: its type, its parents, what it asks of its
   worker. Returns 0 with plan filled, or -1 after answering. */
static int
s_submit_plan (broker_t *self, ztask_msg_t *in, submit_plan_t *plan)
{
    memset (plan, 0, sizeof *plan);
    plan->type = scheduler_type (self->scheduler, in->type);
    if (!plan->type) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, "too many distinct task types");
        return -1;
    }
    if (in->parent_count
        && s_submit_parents (self, in, &plan->pending, &plan->failed_parent, &plan->failed_state) != 0)
        return -1;
    /* A scan of the config's types (at most 1024), once a submit, and none
       at all when the config has none. */
    plan->defaults = self->config.type_default_count ? broker_config_type (&self->config, plan->type->name) : NULL;
    return s_submit_sig (self, in, plan->type, plan->defaults, &plan->sig);
}

/* Makes the task that in and plan describe, with payload, and stores it
   (in the round's transaction); batch_id: the batch it belongs to (0:
   none). Returns it, in the task table but not yet placed (s_place), or
   NULL when the store failed (nothing answered). */
static task_t *
s_submit_store (broker_t *self, ztask_msg_t *in, const submit_plan_t *plan, const void *payload, size_t size,
                uint64_t batch_id, bool then)
{
    task_t *task = task_new (store_next_id (self->store), plan->type, in->priority, payload, size);
    task->sig = plan->sig;
    type_retry_t retry;
    type_defaults_retry (plan->defaults, in->retry_min_ms, in->retry_max_ms, in->max_attempts,
                         self->config.max_attempts, &retry);
    task->max_attempts = retry.max_attempts;
    task->retry_min_ms = retry.retry_min_ms;
    task->retry_max_ms = retry.retry_max_ms;
    task->timeout_ms = in->timeout_ms;
    task->created_ms = zclock_time ();
    if (batch_id)
        task_deps (task)->batch_id = batch_id;
    /* A due time still ahead: scheduled until then (a past one: now). */
    bool delayed = in->due_ms > task->created_ms;
    char due_text[64] = "";
    if (delayed) {
        task->state = ZTASK_STATE_SCHEDULED;
        task->due_ms = in->due_ms;
        snprintf (due_text, sizeof due_text, "due at %" PRId64 " ms", task->due_ms);
    }
    if (in->parent_count) {
        /* Blocked first; scheduled once its parents are done, if its due
           time is still ahead then (s_child_ready). */
        uint64_t ids[ZTASK_PARENTS_MAX];
        for (size_t i = 0; i < in->parent_count; i++)
            ids[i] = in->parents[i].task_id;
        task_set_parents (task, ids, in->parent_count, in->after_any);
        task->deps->pending = plan->pending;
        task->deps->failed_parent = plan->failed_parent;
        task->deps->failed_state = plan->failed_state;
        if (plan->pending && !(plan->failed_parent && !in->after_any))
            task->state = ZTASK_STATE_BLOCKED;
        snprintf (due_text, sizeof due_text, "waits for %u of its %zu parents", plan->pending, in->parent_count);
    }
    if (then) {
        /* The batch's then task: blocked until every task of the batch
           ended (each has it as a child), whatever their states. */
        task_deps_t *deps = task_deps (task);
        deps->batch_then = true;
        deps->after_any = true;
        deps->pending = plan->pending;
        task->state = ZTASK_STATE_BLOCKED;
        snprintf (due_text, sizeof due_text, "waits for the %u tasks of batch %" PRIu64, plan->pending, batch_id);
    }
    bool blocked = task->state == ZTASK_STATE_BLOCKED;
    s_note (self, task, delayed ? "scheduled" : blocked ? "blocked" : "queued", NULL,
            delayed || blocked ? due_text : NULL);
    int inserted = store_insert (self->store, task, in->key);
    s_noted (task);
    if (inserted != 0) {
        task_destroy (&task);
        return NULL;
    }
    task_table_insert (self->tasks, task);
    scheduler_task_added (self->scheduler, task);
    metrics_submitted (self->metrics, plan->type->name, task->priority, task->created_ms);
    return task;
}

/* Places a task s_submit_store made: held until due, blocked until its
   parents end, or offered (and perhaps started). A task whose parents
   ended already runs, or is cancelled, at once: task may be gone from the
   table (and freed) on return. */
static void
s_place (broker_t *self, task_t *task)
{
    if (task->state == ZTASK_STATE_BLOCKED) {
        self->blocked++;
        for (uint32_t i = 0; i < task->deps->parent_count; i++) {
            task_t *parent = task_table_lookup (self->tasks, task->deps->parents[i]);
            if (parent)
                task_add_child (parent, task->id);
        }
    }
    else if (task->deps && task->deps->parent_count) {
        /* Its parents ended already (it may have a due time too). */
        task->state = ZTASK_STATE_BLOCKED;
        self->blocked++;
        s_ready_add (self, task->id);
        s_release_children (self);
    }
    else if (task->state == ZTASK_STATE_SCHEDULED)
        s_schedule (self, task);
    else
        s_offer (self, task, false);
}

#define STORE_NOT_STORED                                                                                     \
    "the broker could not store the task: it was not accepted; submit it again (with the same key) later"

/* SUBMIT, and SUBMIT_WAIT (wait): the client also waits for the task's
   end, as with a WAIT sent with the same corr. */
static void
s_on_submit (broker_t *self, ztask_msg_t *in, bool wait)
{
    int status = ZTASK_ERR_BAD_REQUEST;
    char text[256];
    const char *refusal = s_submit_refusal (in, text, sizeof text);
    if (refusal) {
        s_send_error (self, &self->from, in->corr, status, refusal);
        return;
    }
    /* A key the broker holds returns its task, however full the queue. */
    uint64_t existing = in->key[0] ? store_find_key (self->store, in->key) : 0;
    if (existing == STORE_KEY_FAILED) {
        s_store_failed (self, in, STORE_UNREADABLE); /* never a second task for the key */
        return;
    }
    if (existing) {
        task_t *task = wait ? s_task_lookup (self, existing) : NULL;
        if (task && s_add_waiter (self, in, task, true) != 0)
            return;
        outbox_submitted (self->outbox, &self->from, in->corr, existing, ZTASK_FLAG_EXISTING);
        if (task && s_has_progress (task))
            s_send_progress (self, task, &self->from, in->corr, true); /* where it stands, after SUBMITTED */
        if (wait && !task) {
            /* Ended already: its TASK_INFO follows the SUBMITTED. */
            store_row_t row;
            if (store_get (self->store, existing, true, &row) == 0) {
                s_row_info (self, &row, in->corr);
                s_send_after_commit_body (self, &self->from, row.result, row.result_size);
            }
        }
        return;
    }
    refusal = s_payload_refusal (self, zmq_msg_size (&self->body), &status, text, sizeof text);
    if (!refusal)
        refusal = s_room_refusal (self, 1, &status, text, sizeof text);
    if (!refusal && wait && self->waiters >= WAITERS_MAX) {
        status = ZTASK_ERR_QUEUE_FULL;
        refusal = "the broker holds its limit of waiting requests; submit again later";
    }
    if (refusal) {
        s_send_error (self, &self->from, in->corr, status, refusal);
        return;
    }
    submit_plan_t plan;
    if (s_submit_plan (self, in, &plan) != 0)
        return;
    task_t *task
        = s_submit_store (self, in, &plan, zmq_msg_data (&self->body), zmq_msg_size (&self->body), 0, false);
    if (!task) {
        s_store_failed (self, in, STORE_NOT_STORED);
        return;
    }
    outbox_submitted (self->outbox, &self->from, in->corr, task->id, 0);
    if (wait) {
        task_add_waiter (task, &self->from, in->corr, self->commits + 1); /* a new task: room for it is certain */
        self->waiters++;
    }
    s_place (self, task);
}

/* ---- batches ---- */

/* A write failed halfway through something that must commit whole (a
   batch): nothing of the round is kept; the answers it held are refused,
   and the broker reads its state back from the store, as after a failed
   commit. */
static void
s_round_failed (broker_t *self)
{
    store_rollback (self->store);
    self->send_failures += outbox_release (self->outbox, false);
    self->uncommitted_from = store_peek_id (self->store);
    s_store_lost (self);
}

/* Room for count plans and stored tasks of a batch. */
static void
s_batch_room (broker_t *self, size_t count)
{
    if (count <= self->plans_max)
        return;
    free (self->plans);
    free (self->batch_tasks);
    self->plans = (submit_plan_t *) malloc (count * sizeof (submit_plan_t));
    self->batch_tasks = (task_t **) malloc (count * sizeof (task_t *));
    assert (self->plans && self->batch_tasks);
    self->plans_max = count;
}

/* Why BATCH in cannot be taken, before its tasks are read, or NULL. */
static const char *
s_batch_refusal (broker_t *self, ztask_msg_t *in, int *status, char *text, size_t text_size)
{
    if (in->key[0])
        return s_name_refusal ("batch key", in->key, text, text_size);
    if (in->limit == 0)
        return "a batch needs at least one task";
    if (zmq_msg_size (&self->body) > self->config.max_batch_bytes) {
        *status = ZTASK_ERR_TOO_LARGE;
        snprintf (text, text_size, "a batch of %zu bytes is over the broker's max_batch_bytes of %zu",
                  zmq_msg_size (&self->body), self->config.max_batch_bytes);
        return text;
    }
    if (in->limit > self->config.max_batch) {
        snprintf (text, text_size, "a batch of %u tasks is over the broker's max_batch of %zu", in->limit,
                  self->config.max_batch);
        return text;
    }
    /* Each task takes at least its two sizes and a header's 4 bytes:
       room for the count is not made before the body could hold it. */
    if (in->limit > zmq_msg_size (&self->body) / 12) {
        snprintf (text, text_size, "the batch's body of %zu bytes cannot hold the %u tasks it announces",
                  zmq_msg_size (&self->body), in->limit);
        return text;
    }
    return NULL;
}

/* Checks each task of BATCH in (s_submit_refusal, payload, plan) into
   self->plans. Returns 0, or -1 after answering (naming the task). */
static int
s_batch_check (broker_t *self, ztask_msg_t *in)
{
    const byte *body = (const byte *) zmq_msg_data (&self->body), *payload;
    size_t size = zmq_msg_size (&self->body), at = 0, payload_size, count = 0;
    ztask_msg_t *member = self->member;
    char text[256];
    int rc;
    size_t parents = 0;
    s_batch_room (self, in->limit);
    while ((rc = ztask_msg_batch_next (member, body, size, &at, &payload, &payload_size)) == 1
           && count < in->limit) {
        self->batch_task = ++count;
        member->corr = in->corr;
        int status = ZTASK_ERR_BAD_REQUEST;
        parents += member->parent_count;
        const char *refusal = member->key[0] ? "a task of a batch has no key of its own (give the batch one)"
                            : parents > BATCH_PARENTS_MAX
                                ? "the batch's tasks name more than 10000 parents (--after) in all"
                                : s_submit_refusal (member, text, sizeof text);
        if (!refusal)
            refusal = s_payload_refusal (self, payload_size, &status, text, sizeof text);
        if (refusal)
            s_send_error (self, &self->from, in->corr, status, refusal);
        if (refusal || s_submit_plan (self, member, &self->plans[count - 1]) != 0) {
            self->batch_task = 0;
            return -1;
        }
    }
    self->batch_task = 0;
    if (rc == -2 || rc == 1 || count != in->limit) {
        snprintf (text, sizeof text, "the batch's body %s (task %zu of the %u it announces)",
                  rc == -2 ? "is malformed" : rc == 1 ? "holds more tasks than it announces" : "ends early",
                  count + (rc != 0), in->limit);
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
        return -1;
    }
    return 0;
}

/* Stores the checked tasks of BATCH in into self->batch_tasks (the batch's
   id: the first's), its then task (then_plan; NULL: none) into *then_task,
   and its row into batch. Returns 0, or -1 when the store failed. */
static int
s_batch_store (broker_t *self, ztask_msg_t *in, const submit_plan_t *then_plan, store_batch_t *batch,
               task_t **then_task)
{
    const byte *body = (const byte *) zmq_msg_data (&self->body), *payload;
    size_t size = zmq_msg_size (&self->body), at = 0, payload_size;
    batch->id = store_peek_id (self->store);
    batch->then_id = then_plan ? batch->id + in->limit : 0;
    for (uint32_t i = 0; i < in->limit; i++) {
        int rc = ztask_msg_batch_next (self->member, body, size, &at, &payload, &payload_size);
        assert (rc == 1); /* s_batch_check read it */
        task_t *task = s_submit_store (self, self->member, &self->plans[i], payload, payload_size, batch->id, false);
        if (!task)
            return -1;
        if (then_plan)
            task_add_child (task, batch->then_id);
        else if (!task->deps->parent_count)
            task_deps_drop (task); /* its batch id is stored: nothing waits for it */
        self->batch_tasks[i] = task;
    }
    *then_task = NULL;
    if (then_plan) {
        char key[ZTASK_STRING_MAX + 1];
        snprintf (key, sizeof key, "%s", in->key);
        in->key[0] = 0; /* the batch's, not the then task's */
        assert (store_peek_id (self->store) == batch->then_id);
        *then_task = s_submit_store (self, in, then_plan, "", 0, batch->id, true);
        snprintf (in->key, sizeof in->key, "%s", key);
        if (!*then_task)
            return -1;
    }
    batch->size = in->limit;
    batch->created_ms = self->batch_tasks[0]->created_ms;
    batch->key = in->key;
    return store_batch_insert (self->store, batch);
}

/* BATCH: in's body holds its tasks (ztask_msg_batch_next), in's own
   fields its then task (type "": none) and its key. Every task is checked
   before any is stored, and all are stored in this round's transaction:
   they commit together, or (a write failed) nothing of the round does. */
static void
s_batch (broker_t *self, ztask_msg_t *in)
{
    int status = ZTASK_ERR_BAD_REQUEST;
    char text[256];
    const char *refusal = s_batch_refusal (self, in, &status, text, sizeof text);
    if (refusal) {
        s_send_error (self, &self->from, in->corr, status, refusal);
        return;
    }
    /* A key the broker holds returns its batch, however full the queue. */
    uint64_t existing = in->key[0] ? store_batch_find_key (self->store, in->key) : 0;
    if (existing == STORE_KEY_FAILED) {
        s_store_failed (self, in, STORE_UNREADABLE);
        return;
    }
    if (existing) {
        store_batch_t batch;
        if (store_batch_get (self->store, existing, &batch) != 0)
            s_store_failed (self, in, STORE_UNREADABLE);
        else
            s_send_json_after_commit (self, in, batch_answer (&batch, true));
        return;
    }
    refusal = s_room_refusal (self, in->limit + (in->type[0] != 0), &status, text, sizeof text);
    if (refusal) {
        s_send_error (self, &self->from, in->corr, status, refusal);
        return;
    }
    submit_plan_t then_plan;
    if (in->type[0]) {
        /* The then task: a SUBMIT's checks, on the fields a BATCH has. */
        char key[ZTASK_STRING_MAX + 1];
        snprintf (key, sizeof key, "%s", in->key);
        in->key[0] = 0;
        refusal = s_submit_refusal (in, text, sizeof text);
        snprintf (in->key, sizeof in->key, "%s", key);
        self->batch_task = BATCH_THEN_TASK;
        if (refusal)
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, refusal);
        int planned = refusal ? -1 : s_submit_plan (self, in, &then_plan);
        self->batch_task = 0;
        if (planned != 0)
            return;
        then_plan.pending = in->limit;
    }
    if (s_batch_check (self, in) != 0)
        return;
    store_batch_t batch = { 0 };
    task_t *then = NULL;
    if (s_batch_store (self, in, in->type[0] ? &then_plan : NULL, &batch, &then) != 0) {
        s_round_failed (self);
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_UNAVAILABLE,
                      "the broker could not store the batch: none of its tasks was accepted; submit it again"
                      " (with the same key) later");
        return;
    }
    /* The then task first (counted blocked), so that tasks of the batch
       that end at once (a parent failed) count down its wait. */
    if (then)
        s_place (self, then);
    for (uint32_t i = 0; i < in->limit; i++)
        s_place (self, self->batch_tasks[i]);
    ztask_log_info ("broker: batch %" PRIu64 " of %u tasks accepted%s", batch.id, batch.size,
                    batch.then_id ? ", with a then task" : "");
    s_send_json_after_commit (self, in, batch_answer (&batch, false));
}

static void
s_on_batch (broker_t *self, ztask_msg_t *in)
{
    s_batch (self, in);
    if (self->plans_max > 4096) { /* a large batch's room is not kept */
        free (self->plans);
        free (self->batch_tasks);
        self->plans = NULL;
        self->batch_tasks = NULL;
        self->plans_max = 0;
    }
}

/* BATCH_STATUS: the counts of batch in->task_id. */
static void
s_on_batch_status (broker_t *self, ztask_msg_t *in)
{
    store_batch_t batch;
    int rc = store_batch_get (self->store, in->task_id, &batch);
    if (rc == STORE_FAILED) {
        s_store_failed (self, in, STORE_UNREADABLE);
        return;
    }
    if (rc != 0) {
        char text[128];
        snprintf (text, sizeof text, "no batch %" PRIu64 " (a batch's id is its first task's)", in->task_id);
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_NOT_FOUND, text);
        return;
    }
    int then_state = -1;
    if (batch.then_id) {
        task_t *then = task_table_lookup (self->tasks, batch.then_id);
        store_row_t row;
        if (then)
            then_state = then->state;
        else if ((rc = store_get (self->store, batch.then_id, false, &row)) == 0)
            then_state = row.state;
        else if (rc == STORE_FAILED) {
            s_store_failed (self, in, STORE_UNREADABLE);
            return;
        }
    }
    s_send_json (self, in, batch_status (&batch, then_state));
}

/* Reads task in->task_id into row. Returns 0, or -1 after answering
   NOT_FOUND or UNAVAILABLE. */
static int
s_read_row (broker_t *self, ztask_msg_t *in, bool with_result, store_row_t *row)
{
    int rc = store_get (self->store, in->task_id, with_result, row);
    if (rc == STORE_FAILED) {
        s_store_failed (self, in, STORE_UNREADABLE);
        return -1;
    }
    if (rc != 0) {
        char text[64];
        snprintf (text, sizeof text, "no task %" PRIu64, in->task_id);
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_NOT_FOUND, text);
        return -1;
    }
    return 0;
}

static void
s_on_status (broker_t *self, ztask_msg_t *in, bool wait)
{
    task_t *task = s_task_lookup (self, in->task_id);
    if (task && wait) {
        /* A client that starts waiting after the last report hears where
           the task stands now, not only at the next report. */
        if (s_add_waiter (self, in, task, false) == 0 && s_has_progress (task)
            && task->id < self->uncommitted_from)
            s_send_progress (self, task, &self->from, in->corr, false);
        return;
    }
    if (task) {
        s_task_info (self, task, in->corr);
        for (size_t i = 0; i < self->out->parent_count; i++) {
            store_row_t row; /* an ended parent: how it ended */
            if (self->out->parents[i].state == ZTASK_PARENT_ENDED
                && store_get (self->store, self->out->parents[i].task_id, false, &row) == 0)
                self->out->parents[i].state = row.state;
        }
        if (in->flags & ZTASK_FLAG_WAITING) {
            why_waiting_t why;
            why_waiting (self->scheduler, self->workers, task, &why);
            ztask_msg_strcpy (self->out->waiting, why.code);
            ztask_msg_strcpy (self->out->waiting_text, why.text);
        }
        s_send (self, &self->from);
        return;
    }
    store_row_t row;
    bool with_result = wait || (in->flags & ZTASK_FLAG_RESULT);
    if (s_read_row (self, in, with_result, &row) != 0)
        return;
    s_row_info (self, &row, in->corr);
    s_send_body (self, &self->from, row.result, row.result_size);
}

static void
s_on_cancel (broker_t *self, ztask_msg_t *in)
{
    task_t *task = s_task_lookup (self, in->task_id);
    if (task && (task->state == ZTASK_STATE_QUEUED || task->state == ZTASK_STATE_SCHEDULED
                 || task->state == ZTASK_STATE_BLOCKED)) {
        s_unqueue (self, task);
        uint64_t id = task->id;
        s_finish (self, task, "", ZTASK_STATE_CANCELLED, "cancelled by a client", NULL, 0, false);
        store_row_t row; /* the uncommitted row: same connection */
        if (store_get (self->store, id, false, &row) == 0) {
            s_row_info (self, &row, in->corr);
            s_send_after_commit (self, &self->from);
        }
        return;
    }
    if (task && task->state == ZTASK_STATE_RUNNING) {
        /* The worker stops it; its RESULT then ends it cancelled. */
        if (!task->cancelling && task->worker)
            s_send_cancel_task (self, (broker_worker_t *) task->worker, task->id, task->attempts);
        task->cancelling = true;
    }
    s_on_status (self, in, false); /* a running or finished task: as it is */
}

static void
s_send_json (broker_t *self, ztask_msg_t *in, json_t *doc)
{
    char *text = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    ztask_msg_reset (self->out, ZTASK_MSG_JSON);
    self->out->corr = in->corr;
    ztask_msg_set_body (self->out, text, text ? strlen (text) : 0);
    free (text);
    s_send (self, &self->from);
}

static void
s_on_list (broker_t *self, ztask_msg_t *in)
{
    if (in->state != ZTASK_LIST_ANY && in->state > ZTASK_STATE_BLOCKED) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, "unknown task state");
        return;
    }
    unsigned limit = in->limit < 1 ? 1 : in->limit > 10000 ? 10000 : in->limit;
    /* Queued and running rows are current in the store, except progress. */
    json_t *tasks = json_array ();
    store_filter_t filter = { in->state == ZTASK_LIST_ANY ? 0 : 1u << in->state, in->type, in->task_id, 0, limit,
                              false };
    if (store_select (self->store, &filter, report_list_row, tasks) != 0) {
        json_decref (tasks);
        s_store_failed (self, in, STORE_UNREADABLE);
        return;
    }
    s_send_json (self, in, json_pack ("{s:o}", "tasks", tasks));
}

/* Which broker answers, and whether it leads (stats and workers). */
static json_t *
s_broker_json (broker_t *self)
{
    return json_pack ("{s:s, s:s, s:I, s:s}", "name", self->name, "role",
                      store_is_shared (self->store) ? "leader" : "single", "term", (json_int_t) self->leader.term,
                      "endpoint", self->advertise);
}

static void
s_on_stats (broker_t *self, ztask_msg_t *in)
{
    json_t *stats = report_stats (self->scheduler, self->workers, delayed_size (self->delayed) - self->scheduled,
                                  self->scheduled, &self->counters);
    json_object_set_new (stats, "blocked", json_integer ((json_int_t) self->blocked));
    json_object_set_new (stats, "store", json_pack ("{s:s, s:b}", "backend", store_backend_name (self->store),
                                                    "available", !self->store_down));
    json_object_set_new (stats, "broker", s_broker_json (self));
    s_send_json (self, in, stats);
}

static void
s_on_workers (broker_t *self, ztask_msg_t *in)
{
    json_t *workers = report_workers (self->workers);
    json_object_set_new (workers, "broker", s_broker_json (self));
    s_send_json (self, in, workers);
}

/* The gauges of the moment, from the heads of the per-(type, level)
   queues and the workers: O(types x 10 + workers). */
static void
s_metrics_gauges (broker_t *self, metrics_data_t *d, int64_t now)
{
    metrics_gauges_reset (self->metrics);
    for (task_type_t *t = scheduler_type_first (self->scheduler); t; t = scheduler_type_next (self->scheduler)) {
        size_t queued[TASK_PRIORITY_LEVELS], total = 0;
        int64_t heads[TASK_PRIORITY_LEVELS];
        for (int l = 0; l < TASK_PRIORITY_LEVELS; l++) {
            queued[l] = t->level[l].queued;
            total += queued[l];
            task_t *oldest = scheduler_oldest (t, l);
            heads[l] = oldest ? s_queued_since (oldest) : 0;
        }
        metrics_gauges_type (self->metrics, t->name, queued, t->running, total > 0 && t->workers == 0, heads, now);
    }
    d->workers = d->slots = d->slots_free = 0;
    for (broker_worker_t *w = worker_registry_first (self->workers); w; w = worker_registry_next (self->workers)) {
        d->workers++;
        d->slots += w->sched.slots;
        d->slots_free += w->sched.free;
    }
    d->retrying = delayed_size (self->delayed) - self->scheduled;
    d->scheduled = self->scheduled;
    d->malformed = self->counters.malformed;
    d->refused_too_large = self->counters.refused.too_large;
    d->refused_queue_full = self->counters.refused.queue_full;
    d->refused_role = self->counters.refused.role;
    d->refused_version = self->counters.refused.version;
    d->refused_not_registered = self->counters.refused.not_registered;
    d->leading = self->leading;
    d->store_available = !self->store_down;
    snprintf (d->name, sizeof d->name, "%s", self->name ? self->name : "");
    snprintf (d->role, sizeof d->role, "%s",
              !store_is_shared (self->store) ? "single" : self->leading ? "leader" : "standby");
    snprintf (d->backend, sizeof d->backend, "%s", store_backend_name (self->store));
    snprintf (d->leader_endpoint, sizeof d->leader_endpoint, "%s", self->leading ? self->advertise : self->leader.endpoint);
    d->now_ms = now;
}

/* METRICS (internal): the snapshot, copied as it is into the answer. */
static void
s_on_metrics (broker_t *self, ztask_msg_t *in)
{
    if (!self->internal || self->from.via != self->internal) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST,
                      "METRICS is internal to the broker: read /metrics over HTTP");
        return;
    }
    int64_t start = zclock_usecs ();
    metrics_data_t *data = metrics_data (self->metrics);
    s_metrics_gauges (self, data, zclock_time ());
    ztask_msg_reset (self->out, ZTASK_MSG_METRICS);
    self->out->corr = in->corr;
    self->out->flags = ZTASK_FLAG_RESULT;
    s_send_body (self, &self->from, data, sizeof *data);
    data->snapshot_us = zclock_usecs () - start; /* shown by the next one */
}

/* ---- operators: history, retry, purge, pause (docs/protocol.md) ---- */

#define MILESTONES_MAX 6     /* progress entries in the history, per attempt */
#define ACTION_LIMIT 10000   /* tasks one RETRY or PURGE acts on, at most    */

/* Points task->history at its milestones and an entry for this
   transition, for the store write that follows (then s_noted). */
static void
s_note (broker_t *self, task_t *task, const char *event, const char *worker, const char *text)
{
    size_t kept = task->milestones ? strlen (task->milestones) : 0;
    if (kept + HISTORY_ENTRY_MAX > self->note_max) {
        self->note_max = kept + HISTORY_ENTRY_MAX;
        free (self->note);
        self->note = (char *) malloc (self->note_max);
        assert (self->note);
    }
    if (kept)
        memcpy (self->note, task->milestones, kept);
    history_entry (self->note + kept, zclock_time (), event, task->attempts, worker, text);
    task->history = self->note;
}

/* The store has the entries: the milestones are written. */
static void
s_noted (task_t *task)
{
    task->history = NULL;
    free (task->milestones);
    task->milestones = NULL;
}

/* A progress report: the first of an attempt and each quarter crossed
   become history entries, kept with the task until its next transition
   is written (no write of their own). */
static void
s_milestone (broker_t *self, task_t *task, const char *worker)
{
    (void) self;
    unsigned quarter = 0;
    if (task->progress_total)
        quarter = task->progress_done >= task->progress_total
                    ? 4
                    : (unsigned) ((double) task->progress_done / (double) task->progress_total * 4);
    if ((task->milestone && quarter + 1 <= task->milestone) || task->milestone_count >= MILESTONES_MAX)
        return;
    task->milestone = (uint8_t) (quarter + 1);
    task->milestone_count++;
    char text[ZTASK_STRING_MAX + 1], entry[HISTORY_ENTRY_MAX];
    if (task->progress_total)
        snprintf (text, sizeof text, "%" PRIu64 "/%" PRIu64 " %s", task->progress_done, task->progress_total,
                  task->progress_text ? task->progress_text : "");
    else
        snprintf (text, sizeof text, "%s", task->progress_text ? task->progress_text : "");
    size_t size = history_entry (entry, zclock_time (), "progress", task->attempts, worker, text);
    size_t kept = task->milestones ? strlen (task->milestones) : 0;
    char *grown = (char *) realloc (task->milestones, kept + size + 1);
    assert (grown);
    memcpy (grown + kept, entry, size + 1);
    task->milestones = grown;
}

/* Keeps a history entry with the task until its next transition is
   written (as a progress milestone is). */
static void
s_history_later (task_t *task, const char *event, const char *text)
{
    char entry[HISTORY_ENTRY_MAX];
    size_t size = history_entry (entry, zclock_time (), event, task->attempts, NULL, text);
    size_t kept = task->milestones ? strlen (task->milestones) : 0;
    char *grown = (char *) realloc (task->milestones, kept + size + 1);
    assert (grown);
    memcpy (grown + kept, entry, size + 1);
    task->milestones = grown;
}

/* Sends a JSON answer once the round is committed (an action's effect is
   then in the store). */
static void
s_send_json_after_commit (broker_t *self, ztask_msg_t *in, json_t *doc)
{
    char *text = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    ztask_msg_reset (self->out, ZTASK_MSG_JSON);
    self->out->corr = in->corr;
    s_send_after_commit_body (self, &self->from, text ? text : "", text ? strlen (text) : 0);
    free (text);
}

/* Who acted, for the history: the CURVE key when there is one. */
static void
s_actor (ztask_msg_t *in, const char *what, char *text, size_t size)
{
    if (in->user_id[0])
        snprintf (text, size, "%s by an operator (key %.40s)", what, in->user_id);
    else
        snprintf (text, size, "%s by an operator", what);
}

static void
s_on_history (broker_t *self, ztask_msg_t *in)
{
    store_row_t row;
    if (s_read_row (self, in, false, &row) != 0)
        return;
    json_t *list = json_array ();
    history_to_json (row.history, list);
    task_t *task = s_task_lookup (self, in->task_id);
    if (task && task->milestones)
        history_to_json (task->milestones, list); /* not written yet */
    s_send_json (self, in, json_pack ("{s:I, s:o}", "id", (json_int_t) in->task_id, "history", list));
}

/* A retried task of a batch whose then task still waits: the then task
   waits for it again, as after a restart (its count is read back then). */
static void
s_retried_batch_task (broker_t *self, task_t *task, uint64_t batch_id)
{
    store_batch_t batch;
    if (store_batch_get (self->store, batch_id, &batch) != 0 || !batch.then_id)
        return;
    task_t *then = task_table_lookup (self->tasks, batch.then_id);
    if (!then || then->state != ZTASK_STATE_BLOCKED || !then->deps || !then->deps->batch_then)
        return;
    task_deps (task)->batch_id = batch_id;
    task_add_child (task, then->id);
    then->deps->pending++;
}

/* A row store_retry read back: the task is live and queued again. A
   batch's then task runs on a summary read anew (its tasks all ended:
   s_retry_one made sure). */
static void
s_retried_row (const store_row_t *row, void *arg)
{
    broker_t *self = (broker_t *) arg;
    task_t *task = s_task_from_row (self, row, "it waits in the store for a restart");
    if (!task)
        return;
    task->attempts = 0;
    if (row->batch_id)
        s_retried_batch_task (self, task, row->batch_id);
    if (self->retry_then) {
        task_deps_t *deps = task_deps (task);
        deps->batch_then = true;
        deps->batch_id = self->retry_then;
        task_t *summed = s_then_summary (self, task);
        if (!summed)
            return; /* the round is rolled back */
        task = summed;
    }
    s_offer (self, task, false);
}

/* Room for tasks in the queue (max_queued). */
static size_t
s_queue_room (broker_t *self)
{
    size_t queued = scheduler_queued (self->scheduler) + delayed_size (self->delayed);
    return queued < self->config.max_queued ? self->config.max_queued - queued : 0;
}

/* Requeues one failed or cancelled task. Returns 0, -1 (not such a task
   now), or STORE_FAILED. */
/* Retries task id (failed or cancelled). Returns 0, -1 (no such failed or
   cancelled task), -2 (a batch's then task whose batch has tasks that
   have not ended: not retried, why in text) or STORE_FAILED. */
static int
s_retry_one (broker_t *self, ztask_msg_t *in, uint64_t id, char *text, size_t text_size)
{
    uint64_t batch_id = store_batch_of_then (self->store, id);
    if (batch_id == STORE_KEY_FAILED)
        return STORE_FAILED;
    store_batch_t batch;
    if (batch_id) {
        int rc = store_batch_get (self->store, batch_id, &batch);
        if (rc != 0)
            return STORE_FAILED;
        uint32_t live = batch.counts[ZTASK_STATE_QUEUED] + batch.counts[ZTASK_STATE_RUNNING]
                      + batch.counts[ZTASK_STATE_SCHEDULED] + batch.counts[ZTASK_STATE_BLOCKED];
        if (live) {
            snprintf (text, text_size, "task %" PRIu64 " is the then task of batch %" PRIu64 ", which has %u tasks"
                      " not ended: retry it once they have", id, batch_id, live);
            return -2;
        }
    }
    self->retry_then = batch_id;
    task_t probe;
    memset (&probe, 0, sizeof probe);
    probe.id = id;
    char actor[128];
    s_actor (in, "retried", actor, sizeof actor);
    s_note (self, &probe, "retried", NULL, actor);
    int rc = store_retry (self->store, &probe, s_retried_row, self);
    probe.history = NULL;
    self->retry_then = 0;
    return rc;
}

static void
s_on_retry (broker_t *self, ztask_msg_t *in)
{
    json_t *ids = json_array ();
    if (in->task_id) {
        store_row_t row;
        char text[128];
        if (s_read_row (self, in, false, &row) != 0) {
            json_decref (ids);
            return;
        }
        if (row.state != ZTASK_STATE_FAILED && row.state != ZTASK_STATE_CANCELLED) {
            json_decref (ids);
            snprintf (text, sizeof text, "task %" PRIu64 " is %s: only a failed or cancelled task is retried",
                      in->task_id, ztask_state_name ((ztask_state_t) row.state));
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
            return;
        }
        if (s_queue_room (self) == 0) {
            json_decref (ids);
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_QUEUE_FULL,
                          "the broker holds max_queued tasks; retry again later");
            return;
        }
        int rc = s_retry_one (self, in, in->task_id, text, sizeof text);
        if (rc == STORE_FAILED) {
            json_decref (ids);
            s_store_failed (self, in, "the broker could not write its store: nothing was retried");
            return;
        }
        if (rc == -2) {
            json_decref (ids);
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
            return;
        }
        if (rc == 0)
            json_array_append_new (ids, json_integer ((json_int_t) in->task_id));
    }
    else {
        if (in->state != ZTASK_LIST_ANY && in->state != ZTASK_STATE_FAILED && in->state != ZTASK_STATE_CANCELLED) {
            json_decref (ids);
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST,
                          "retry takes failed or cancelled tasks (state 3, 4 or 255 for both)");
            return;
        }
        size_t room = s_queue_room (self);
        unsigned limit = in->limit == 0 || in->limit > ACTION_LIMIT ? ACTION_LIMIT : in->limit;
        if (limit > room)
            limit = (unsigned) room;
        store_filter_t filter = {
            in->state == ZTASK_LIST_ANY ? (1u << ZTASK_STATE_FAILED) | (1u << ZTASK_STATE_CANCELLED)
                                        : 1u << in->state,
            in->type, 0, in->created_ms, limit, true
        };
        json_t *rows = json_array ();
        if (limit && store_select (self->store, &filter, report_list_row, rows) != 0) {
            json_decref (rows);
            json_decref (ids);
            s_store_failed (self, in, STORE_UNREADABLE);
            return;
        }
        size_t i;
        json_t *row;
        json_array_foreach (rows, i, row) {
            uint64_t id = (uint64_t) json_integer_value (json_object_get (row, "id"));
            char text[256];
            int rc = s_retry_one (self, in, id, text, sizeof text); /* -2: left as it is */
            if (rc == STORE_FAILED) {
                json_decref (rows);
                json_decref (ids);
                s_store_failed (self, in, "the broker could not write its store: nothing was retried");
                return;
            }
            if (rc == 0)
                json_array_append_new (ids, json_integer ((json_int_t) id));
        }
        json_decref (rows);
    }
    size_t retried = json_array_size (ids);
    if (retried)
        ztask_log_info ("broker: %zu task%s retried by an operator", retried, retried == 1 ? "" : "s");
    s_send_json_after_commit (self, in, json_pack ("{s:I, s:o}", "retried", (json_int_t) retried, "ids", ids));
}

static void
s_on_purge (broker_t *self, ztask_msg_t *in)
{
    char text[256];
    const char *refusal = NULL;
    if (in->state != ZTASK_LIST_ANY && (in->state < ZTASK_STATE_DONE || in->state > ZTASK_STATE_CANCELLED))
        refusal = "purge takes finished tasks: state done (2), failed (3), cancelled (4) or 255 for all three";
    else if (in->finished_ms <= 0)
        refusal = "purge needs a time: the tasks that ended before it go";
    else if (in->type[0])
        refusal = s_name_refusal ("task type", in->type, text, sizeof text);
    if (refusal) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, refusal);
        return;
    }
    int purged = store_purge_tasks (self->store, in->state == ZTASK_LIST_ANY ? 0 : 1u << in->state, in->type,
                                    in->finished_ms, ACTION_LIMIT);
    if (purged < 0) {
        s_store_failed (self, in, "the broker could not write its store: nothing was purged");
        return;
    }
    if (purged)
        ztask_log_info ("broker: %d finished task%s purged by an operator", purged, purged == 1 ? "" : "s");
    s_send_json_after_commit (self, in, json_pack ("{s:i}", "purged", purged));
}

static void
s_on_pause (broker_t *self, ztask_msg_t *in, bool paused)
{
    char text[256];
    const char *refusal = in->type[0] ? s_name_refusal ("task type", in->type, text, sizeof text)
                                      : "task type is empty";
    task_type_t *type = refusal ? NULL : scheduler_type (self->scheduler, in->type);
    if (!refusal && !type)
        refusal = "too many distinct task types";
    if (refusal) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, refusal);
        return;
    }
    if (store_pause (self->store, in->type, paused) != 0) {
        s_store_failed (self, in, "the broker could not write its store: nothing changed");
        return;
    }
    if (type->paused != paused)
        ztask_log_info ("broker: task type %s %s by an operator", type->name, paused ? "paused" : "resumed");
    scheduler_pause (self->scheduler, type, paused);
    s_dispatch_unblocked (self);
    s_send_json_after_commit (self, in, json_pack ("{s:s, s:b}", "type", in->type, "paused", paused));
}

/* store_type_fn: a paused type read back from the store. */
static void
s_paused_type (const char *name, void *arg)
{
    broker_t *self = (broker_t *) arg;
    task_type_t *type = scheduler_type (self->scheduler, name);
    if (type)
        scheduler_pause (self->scheduler, type, true);
}

/* Reads the paused types back (at start, after an outage, on taking the
   lead), before the tasks, so that none of theirs is dispatched. */
static int
s_recover_paused (broker_t *self)
{
    return store_paused (self->store, s_paused_type, self);
}

/* ---- recurring schedules (docs/scheduling.md) ---- */

/* The broker's wall clock for schedules, in seconds: with
   ZTASK_TEST_NOW_OFFSET_MS (tests only), moved by that much. */
static int64_t
s_schedule_now (broker_t *self)
{
    int64_t ms = zclock_time () + self->now_offset_ms;
    return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
}

/* The schedule in->name names, or NULL after answering BAD_REQUEST (not
   a schedule name) or NOT_FOUND. */
static schedule_t *
s_schedule_named (broker_t *self, ztask_msg_t *in)
{
    char text[256];
    if (ztask_schedule_name_check (in->name, text, sizeof text) != 0) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
        return NULL;
    }
    schedule_t *schedule = schedules_lookup (self->schedules, in->name);
    if (!schedule) {
        snprintf (text, sizeof text, "no schedule %.64s", in->name);
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_NOT_FOUND, text);
    }
    return schedule;
}

static void
s_on_schedule_add (broker_t *self, ztask_msg_t *in)
{
    char why[160], text[600];
    const char *refusal = NULL;
    int status = ZTASK_ERR_BAD_REQUEST;
    if (ztask_schedule_name_check (in->name, text, sizeof text) != 0)
        refusal = text;
    else if (!in->type[0])
        refusal = "task type is empty";
    else if (in->priority >= TASK_PRIORITY_LEVELS)
        refusal = "priority must be 0 to 9";
    else if ((refusal = s_name_refusal ("task type", in->type, text, sizeof text)))
        ;
    else if (schedules_lookup (self->schedules, in->name))
        refusal = s_refusal_text (text, sizeof text, "schedule %s exists already: remove it first", in->name);
    else if (schedules_size (self->schedules) >= SCHEDULES_MAX)
        refusal = s_refusal_text (text, sizeof text, "the broker holds %d schedules, its limit", SCHEDULES_MAX);
    else if (zmq_msg_size (&self->body) > self->config.max_payload) {
        status = ZTASK_ERR_TOO_LARGE;
        refusal = s_refusal_text (text, sizeof text, "payload of %zu bytes is over the broker's max_payload of %zu",
                                  zmq_msg_size (&self->body), self->config.max_payload);
    }
    if (refusal) {
        s_send_error (self, &self->from, in->corr, status, refusal);
        return;
    }
    int64_t now = s_schedule_now (self);
    store_schedule_t def = { .name = in->name, .cron = in->text, .tz = in->tz, .type = in->type,
                             .priority = in->priority,
                             .catchup = in->flags & ZTASK_FLAG_CATCHUP_ONCE ? STORE_CATCHUP_ONCE : STORE_CATCHUP_SKIP,
                             .source = STORE_SOURCE_CLI, .max_attempts = in->max_attempts,
                             .timeout_ms = in->timeout_ms, .payload = zmq_msg_data (&self->body),
                             .payload_size = zmq_msg_size (&self->body), .created_ms = now * 1000 };
    schedule_t *schedule = schedules_put (self->schedules, &def, now, why, sizeof why);
    if (!schedule) {
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, why);
        return;
    }
    if (store_schedule_put (self->store, &schedule->def) != 0) {
        schedules_remove (self->schedules, in->name);
        s_store_failed (self, in, "the broker could not write its store: the schedule was not added");
        return;
    }
    ztask_log_info ("broker: schedule %s (%s%s%s) added by an operator", in->name, in->text, in->tz[0] ? ", " : "",
                    in->tz);
    s_send_json_after_commit (self, in, schedules_json (schedule, now, SCHEDULE_NEXT));
}

/* SCHEDULES: every schedule (name ""), or one with its next fire times. */
static void
s_on_schedules (broker_t *self, ztask_msg_t *in)
{
    int64_t now = s_schedule_now (self);
    if (in->name[0]) {
        schedule_t *schedule = s_schedule_named (self, in);
        if (schedule)
            s_send_json (self, in, schedules_json (schedule, now, SCHEDULE_NEXT));
        return;
    }
    json_t *list = json_array ();
    schedule_t **all = schedules_sorted (self->schedules);
    for (size_t i = 0; i < schedules_size (self->schedules); i++)
        json_array_append_new (list, schedules_json (all[i], now, 0));
    free (all);
    s_send_json (self, in, json_pack ("{s:o}", "schedules", list));
}

static void
s_on_schedule_pause (broker_t *self, ztask_msg_t *in, bool paused)
{
    schedule_t *schedule = s_schedule_named (self, in);
    if (!schedule)
        return;
    int64_t now = s_schedule_now (self);
    bool was = schedule->def.paused;
    schedules_pause (self->schedules, schedule, paused, now);
    if (store_schedule_put (self->store, &schedule->def) != 0) {
        schedules_pause (self->schedules, schedule, was, now);
        s_store_failed (self, in, "the broker could not write its store: nothing changed");
        return;
    }
    if (was != paused)
        ztask_log_info ("broker: schedule %s %s by an operator", in->name, paused ? "paused" : "resumed");
    s_send_json_after_commit (self, in, schedules_json (schedule, now, 0));
}

static void
s_on_schedule_remove (broker_t *self, ztask_msg_t *in)
{
    schedule_t *schedule = s_schedule_named (self, in);
    if (!schedule)
        return;
    if (schedule->def.source == STORE_SOURCE_CONFIG) {
        char text[256];
        snprintf (text, sizeof text,
                  "schedule %.64s is declared in the broker's config: remove it there (ztask schedule pause stops it now)",
                  in->name);
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST, text);
        return;
    }
    if (store_schedule_remove (self->store, in->name) != 0) {
        s_store_failed (self, in, "the broker could not write its store: nothing changed");
        return;
    }
    ztask_log_info ("broker: schedule %s removed by an operator", in->name);
    schedules_remove (self->schedules, in->name);
    s_send_json_after_commit (self, in, json_pack ("{s:s, s:b}", "name", in->name, "removed", true));
}

/* Submits the task of each schedule due, as a SUBMIT from the broker
   itself (the same checks, defaults and key path as a client's), keyed
   NAME@<fire time>: a fire that a restart or a failover repeats finds its
   task and makes no second one. The task and the schedule's new last
   fire time are written in the same round, so commit together. */
static void
s_fire_due (broker_t *self)
{
    if (!self->leading || self->store_down)
        return;
    int64_t now = s_schedule_now (self), fire_time;
    schedule_t *schedule;
    for (int n = 0; n < FIRES_MAX && (schedule = schedules_due (self->schedules, now, &fire_time)); n++) {
        const store_schedule_t *d = &schedule->def;
        ztask_msg_t *fire = self->fire;
        ztask_msg_reset (fire, ZTASK_MSG_SUBMIT);
        ztask_msg_strcpy (fire->type, d->type);
        fire->priority = d->priority;
        fire->timeout_ms = d->timeout_ms;
        fire->max_attempts = d->max_attempts;
        schedules_key (d->name, fire_time, fire->key, sizeof fire->key);
        zmq_msg_close (&self->body);
        zmq_msg_init_size (&self->body, d->payload_size);
        if (d->payload_size)
            memcpy (zmq_msg_data (&self->body), d->payload, d->payload_size);
        memset (&self->from, 0, sizeof self->from); /* the broker itself: no answers */
        self->fire_status = 0;
        self->fire_refusal[0] = 0;
        uint64_t next_id = store_peek_id (self->store);
        s_on_submit (self, fire, false);
        if (self->fire_status == ZTASK_ERR_UNAVAILABLE)
            return; /* the store failed: this fire is tried again once it is back */
        if (self->fire_status)
            ztask_log_warning ("broker: schedule %s: its fire %s was refused: %s", d->name, fire->key,
                               self->fire_refusal);
        else if (store_peek_id (self->store) != next_id)
            ztask_log_info ("broker: schedule %s fired: task %" PRIu64 " (key %s)", d->name, next_id, fire->key);
        else
            ztask_log_info ("broker: schedule %s: its fire %s had its task already", d->name, fire->key);
        schedules_fired (self->schedules, schedule, fire_time, now);
        if (store_schedule_put (self->store, &schedule->def) != 0)
            return; /* the round's commit fails too: all is read back */
    }
}

/* ---- the loop ---- */

/* With CURVE on: may this peer's key send this command? Worker commands
   need a key under allow/workers, client commands one under allow/clients. */
static bool
s_role_allows (broker_t *self, ztask_msg_t *in, bool worker_command)
{
    if (!self->auth || (self->from.via == self->internal && !worker_command))
        return true;
    zcertstore_t *keys = worker_command ? self->worker_keys : self->client_keys;
    if (in->user_id[0] && zcertstore_lookup (keys, in->user_id))
        return true;
    self->counters.refused.role++;
    s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST,
                  worker_command ? "this key may not act as a worker (it is not under allow/workers)"
                                 : "this key may not submit or query tasks (it is not under allow/clients)");
    return false;
}

static void
s_handle (broker_t *self, ztask_msg_t *in)
{
    int command = in->command;
    bool worker_command = command >= ZTASK_MSG_REGISTER && command <= ZTASK_MSG_DRAIN;
    if (!s_role_allows (self, in, worker_command))
        return;
    if (command == ZTASK_MSG_METRICS) { /* answered by a standby too, store or no store */
        s_on_metrics (self, in);
        return;
    }
    if (self->store_down && command != ZTASK_MSG_STATS && command != ZTASK_MSG_WORKERS) {
        /* Nothing that needs the store. Workers' messages are let go: a
           result is not acknowledged (the worker keeps it and sends it
           again once it has registered again, which the first message
           after the outage asks of it); a REGISTER is told to wait. */
        if (!worker_command || command == ZTASK_MSG_REGISTER)
            s_send_error (self, &self->from, in->corr, ZTASK_ERR_UNAVAILABLE,
                          "the broker's store is unavailable; try again later");
        return;
    }
    if (!self->leading && !self->store_down) {
        /* A standby serves nothing; it names the leader. */
        s_send_error (self, &self->from, worker_command ? 0 : in->corr, ZTASK_ERR_NOT_LEADER,
                      self->leader.endpoint);
        return;
    }
    if (worker_command) {
        if (command == ZTASK_MSG_REGISTER) {
            s_on_register (self, in);
            return;
        }
        broker_worker_t *worker = worker_registry_lookup (self->workers, &self->from);
        if (!worker) {
            if (command != ZTASK_MSG_GOODBYE)
                s_send_error (self, &self->from, 0, ZTASK_ERR_NOT_REGISTERED,
                              "unknown worker: register again");
            return;
        }
        worker->heard_at = zclock_mono ();
        if (command == ZTASK_MSG_RESULT)
            s_on_result (self, worker, in);
        else if (command == ZTASK_MSG_DRAIN) {
            scheduler_worker_drain (self->scheduler, &worker->sched);
            ztask_log_info ("broker: worker %s is draining", worker->name);
        }
        else if (command == ZTASK_MSG_WORKER_PROGRESS)
            s_on_worker_progress (self, worker, in);
        else if (command == ZTASK_MSG_GOODBYE)
            s_worker_remove (self, worker, "left", true);
        return;
    }
    switch (command) {
    case ZTASK_MSG_SUBMIT: s_on_submit (self, in, false); break;
    case ZTASK_MSG_SUBMIT_WAIT: s_on_submit (self, in, true); break;
    case ZTASK_MSG_STATUS: s_on_status (self, in, false); break;
    case ZTASK_MSG_WAIT: s_on_status (self, in, true); break;
    case ZTASK_MSG_STATS: s_on_stats (self, in); break;
    case ZTASK_MSG_WORKERS: s_on_workers (self, in); break;
    case ZTASK_MSG_CANCEL: s_on_cancel (self, in); break;
    case ZTASK_MSG_LIST: s_on_list (self, in); break;
    case ZTASK_MSG_RETRY: s_on_retry (self, in); break;
    case ZTASK_MSG_PURGE: s_on_purge (self, in); break;
    case ZTASK_MSG_PAUSE: s_on_pause (self, in, true); break;
    case ZTASK_MSG_RESUME: s_on_pause (self, in, false); break;
    case ZTASK_MSG_HISTORY: s_on_history (self, in); break;
    case ZTASK_MSG_SCHEDULE_ADD: s_on_schedule_add (self, in); break;
    case ZTASK_MSG_SCHEDULES: s_on_schedules (self, in); break;
    case ZTASK_MSG_SCHEDULE_PAUSE: s_on_schedule_pause (self, in, true); break;
    case ZTASK_MSG_SCHEDULE_RESUME: s_on_schedule_pause (self, in, false); break;
    case ZTASK_MSG_SCHEDULE_REMOVE: s_on_schedule_remove (self, in); break;
    case ZTASK_MSG_BATCH: s_on_batch (self, in); break;
    case ZTASK_MSG_BATCH_STATUS: s_on_batch_status (self, in); break;
    default:
        /* Well-formed, but a broker-to-peer command: not ours to receive. */
        s_send_error (self, &self->from, in->corr, ZTASK_ERR_BAD_REQUEST,
                      "command not accepted by the broker");
    }
}

/* The store failed a commit: what the broker holds in memory has run
   ahead of it. It lets go of all of it, and takes it back from the store
   once the store is back (s_store_retry), as a restarted broker would:
   tasks from the store, workers when they register again with the tasks
   they run and the results they hold. Meanwhile submits are refused
   UNAVAILABLE and workers are asked to wait. */
static void
s_store_lost (broker_t *self)
{
    ztask_log_error ("broker: the %s store failed; refusing submits until it is back (trying again every %d s,"
                " every %d s after a minute)",
                store_backend_name (self->store), STORE_RETRY_MS / 1000, STORE_RETRY_SLOW_MS / 1000);
    self->store_down = true;
    self->store_lost_at = zclock_mono ();
    self->next_store_try = self->store_lost_at + STORE_RETRY_MS;
    /* A shared store's connection is lost most often because a standby
       took over and ended this broker's session (it was frozen): it
       reconnects at once, to stand by and name the new leader, rather
       than refuse for the retry delay. Once: a store that fails again at
       once waits for the delay. */
    if (store_is_shared (self->store) && self->store_lost_at - self->store_back_at >= STORE_RETRY_MS)
        self->next_store_try = self->store_lost_at;
    self->leading = false; /* until the store says so again */
    s_drop_state (self, ZTASK_ERR_UNAVAILABLE);
}

/* A scheduler with the fleet-wide limits of config. */
static scheduler_t *
s_scheduler_new (const broker_config_t *config)
{
    scheduler_t *scheduler = scheduler_new ();
    for (size_t i = 0; i < config->limit_count; i++) {
        int rc = scheduler_limit_set (scheduler, config->limits[i].name, config->limits[i].max);
        assert (rc == 0); /* the config holds at most as many as the scheduler */
        (void) rc;
    }
    return scheduler;
}

/* Lets go of every worker and task held in memory (the store has them);
   waiting clients get an ERROR status (UNAVAILABLE or NOT_LEADER). */
static void
s_drop_state (broker_t *self, int status)
{
    zlistx_t *orphans = zlistx_new ();
    broker_worker_t *worker;
    while ((worker = worker_registry_first (self->workers)))
        s_worker_forget (self, worker, orphans);
    zlistx_destroy (&orphans);
    size_t cursor = 0;
    task_t *task;
    while ((task = task_table_next (self->tasks, &cursor))) {
        for (waiter_t *w = task->waiters; w; w = w->next)
            s_send_error (self, &w->peer, w->corr, status,
                          status == ZTASK_ERR_NOT_LEADER ? self->leader.endpoint
                                                         : "the broker's store is unavailable; wait for the task again later");
        task_destroy (&task);
    }
    self->waiters = 0;
    task_table_destroy (&self->tasks);
    self->tasks = task_table_new ();
    delayed_destroy (&self->delayed);
    self->delayed = delayed_new ();
    self->scheduled = 0;
    self->blocked = 0;
    self->ready_count = 0;
    scheduler_destroy (&self->scheduler);
    self->scheduler = s_scheduler_new (&self->config);
    schedules_destroy (&self->schedules); /* read back with the tasks */
    self->schedules = schedules_new ();
}

/* While the store is down: tries to reach it again, then to lead (and so
   recover) or stand by. */
static void
s_store_retry (broker_t *self)
{
    if (zclock_mono () < self->next_store_try)
        return;
    if (store_reopen (self->store) != 0) {
        int64_t now = zclock_mono ();
        self->next_store_try
            = now + (now - self->store_lost_at < STORE_RETRY_FAST_FOR_MS ? STORE_RETRY_MS : STORE_RETRY_SLOW_MS);
        return;
    }
    self->store_down = false;
    self->store_back_at = zclock_mono ();
    self->next_lead = 0;
    s_lead (self);
    if (!self->store_down)
        ztask_log_info ("broker: the %s store is back; %s", store_backend_name (self->store),
                   self->leading ? "accepting tasks again" : "standing by");
}

/* Stops serving: another broker leads. */
static void
s_step_down (broker_t *self)
{
    ztask_log_warning ("broker: %s no longer leads (another broker took over); standing by", self->name);
    self->leading = false;
    s_drop_state (self, ZTASK_ERR_NOT_LEADER);
    self->next_lead = 0;
}

/* Looks at the lease when due: takes it (and recovers the queue from the
   store), keeps it, or stands by. */
static void
s_lead (broker_t *self)
{
    int64_t now = zclock_mono ();
    if (self->store_down || now < self->next_lead)
        return;
    uint64_t known = self->leader.term;
    int rc = store_lead (self->store, self->name, self->advertise, self->config.lease_ms, &self->leader);
    unsigned renew_ms = self->config.lease_ms / 3;
    self->next_lead = now + (rc == 1 ? renew_ms : STANDBY_POLL_MS < renew_ms ? STANDBY_POLL_MS : renew_ms);
    if (rc < 0) {
        s_store_lost (self);
        return;
    }
    if (rc == 0) {
        if (self->leading)
            s_step_down (self);
        else if (self->leader.term != known || !known)
            ztask_log_info ("broker: %s stands by; %s leads (term %" PRIu64 ") at %s", self->name,
                       *self->leader.name ? self->leader.name : "no broker", self->leader.term,
                       *self->leader.endpoint ? self->leader.endpoint : "-");
        return;
    }
    if (self->leading)
        return; /* renewed */
    if (s_recover (self) != 0) {
        s_store_lost (self);
        return;
    }
    self->leading = true;
    if (store_is_shared (self->store))
        ztask_log_info ("broker: %s leads (term %" PRIu64 ") at %s", self->name, self->leader.term, self->advertise);
}

/* Commits the batch, then sends what had to wait for it. */
static void
s_commit (broker_t *self)
{
    if (self->store_down)
        return;
    if (self->round_failed) {
        self->round_failed = false;
        s_round_failed (self);
        return;
    }
    int64_t commit_start = zclock_usecs ();
    int rc = store_commit (self->store);
    metrics_commit (self->metrics, zclock_usecs () - commit_start);
    self->send_failures += outbox_release (self->outbox, rc == 0);
    if (rc == 0)
        self->commits++; /* held waiters have had their SUBMITTED */
    self->uncommitted_from = store_peek_id (self->store);
    if (rc == STORE_FENCED)
        s_step_down (self);
    else if (rc != 0)
        s_store_lost (self);
}

/* Counts a malformed message; logs the first from each peer, and the rest
   as one summary a minute, so garbage cannot flood the log. */
static void
s_malformed (broker_t *self, const peer_id_t *peer)
{
    self->counters.malformed++;
    char key[IDENTITY_KEY_MAX] = "?";
    if (peer->size)
        s_identity_key (peer, key);
    if (s_first_noise (self, peer))
        ztask_log_warning ("broker: dropped a malformed message from peer %s; further ones are counted"
                      " (ztask stats) and summarised once a minute", key);
    else
        self->malformed_unreported++;
}

static void
s_malformed_report (broker_t *self, int64_t now)
{
    if (now < self->next_malformed_report)
        return;
    if (self->malformed_unreported)
        ztask_log_warning ("broker: %" PRIu64 " more malformed messages from %zu peers in the last minute",
                      self->malformed_unreported, zhashx_size (self->malformed_peers));
    self->malformed_unreported = 0;
    zhashx_purge (self->malformed_peers);
    self->next_malformed_report = now + MALFORMED_REPORT_MS;
}

/* Heartbeats to workers that heard nothing lately; forgets silent ones. */
static void
s_tick (broker_t *self)
{
    int64_t now = zclock_mono ();
    int64_t dead_after = (int64_t) self->config.heartbeat_ms * self->config.heartbeat_liveness;
    for (broker_worker_t *w = worker_registry_first (self->workers); w;
         w = worker_registry_next (self->workers)) {
        if (now - w->heard_at > dead_after)
            w->lost = "silent (missed heartbeats)";
        else if (now - w->sent_at >= (int64_t) self->config.heartbeat_ms) {
            ztask_msg_reset (self->out, ZTASK_MSG_HEARTBEAT);
            s_send_to_worker (self, w, NULL, 0);
        }
    }
    self->next_tick = now + self->config.heartbeat_ms / 2;
    s_malformed_report (self, now);
    if (self->config.retention_s && now >= self->next_purge && self->leading) {
        int purged = store_purge (self->store, zclock_time () - (int64_t) self->config.retention_s * 1000,
                                  PURGE_BATCH);
        /* A full batch: more are due, purge again at the next tick. A
           short retention is checked more often than every 10 s. */
        int64_t interval = (int64_t) self->config.retention_s * 500;
        if (interval > PURGE_INTERVAL_MS)
            interval = PURGE_INTERVAL_MS;
        self->next_purge = now + (purged == PURGE_BATCH ? 0 : interval);
    }
}

/* Offers the tasks whose backoff has run out (at the front of their
   level), and queues the scheduled ones that fell due (at the back, as
   new tasks): at most RELEASE_MAX a round, so that a million falling due
   at once do not stall the loop (the next round comes at once). */
static void
s_release_due (broker_t *self)
{
    int64_t now = zclock_mono ();
    task_t *task;
    for (int n = 0; n < RELEASE_MAX && (task = delayed_pop_due (self->delayed, now)); n++) {
        if (task->state == ZTASK_STATE_SCHEDULED) {
            /* No write of its own: the store reads a scheduled row whose
               due time has passed as queued (store.h), and the history
               entry goes with the task's next write. */
            self->scheduled--;
            task->state = ZTASK_STATE_QUEUED;
            s_history_later (task, "queued", "due");
            s_offer (self, task, false);
        }
        else
            s_offer (self, task, true);
    }
}

/* Receives one message, if one is waiting, into self->in, from and body.
   Returns as ztask_msg_recv_frames. */
static int
s_recv (broker_t *self)
{
    zmq_msg_t routing_id;
    zmq_msg_init (&routing_id);
    /* The internal socket (the HTTP thread) is looked at when the public
       one is empty, and every 64th message, so a busy fleet cannot
       starve it. */
    void *socket = self->socket;
    int rc = -1;
    if (self->internal && ++self->recv_turn % 64 == 0)
        rc = ztask_msg_recv_frames (self->in, socket = self->internal, ZMQ_DONTWAIT, &routing_id, &self->body);
    if (rc == -1)
        rc = ztask_msg_recv_frames (self->in, socket = self->socket, ZMQ_DONTWAIT, &routing_id, &self->body);
    if (rc == -1 && self->internal)
        rc = ztask_msg_recv_frames (self->in, socket = self->internal, ZMQ_DONTWAIT, &routing_id, &self->body);
    peer_id_set (&self->from, socket, zmq_msg_data (&routing_id), zmq_msg_size (&routing_id));
    zmq_msg_close (&routing_id);
    return rc;
}

int
broker_poll (broker_t *self, int timeout_ms)
{
    int64_t due = delayed_next_due (self->delayed);
    int64_t next = due >= 0 && due < self->next_tick ? due : self->next_tick;
    int64_t fire = self->leading && !self->store_down ? schedules_next_due (self->schedules) : -1;
    if (fire >= 0) { /* a wall-clock second, on the monotonic clock */
        int64_t at = zclock_mono () + fire * 1000 - (zclock_time () + self->now_offset_ms);
        if (at < next)
            next = at;
    }
    if (!self->store_down && self->next_lead < next)
        next = self->next_lead;
    int64_t wait = next - zclock_mono ();
    if (timeout_ms >= 0 && wait > timeout_ms)
        wait = timeout_ms;
    if (wait > 0)
        zpoller_wait (self->poller, (int) wait); /* a signal ends it early: fine */
    ztask_logfile_check ();
    /* Drain what is ready, up to a batch, then commit once. */
    for (int n = 0; n < BATCH_MAX; n++) {
        int rc = s_recv (self);
        if (rc == -1)
            break;
        if (rc == 0)
            s_handle (self, self->in);
        else if (rc == -3)
            s_send_error (self, &self->from, 0, ZTASK_ERR_VERSION,
                          "this broker speaks ztask protocol version 1");
        else
            s_malformed (self, &self->from);
    }
    if (self->store_down)
        s_store_retry (self);
    s_release_due (self);
    s_fire_due (self);
    s_reap (self);
    s_dispatch_unblocked (self);
    s_commit (self);
    s_lead (self); /* between rounds: its transaction holds nothing else */
    if (zclock_mono () >= self->next_tick) {
        s_tick (self);
        s_reap (self);
        s_dispatch_unblocked (self);
        s_commit (self);
    }
    /* No handler holds a type now: forget the ones nothing uses. */
    scheduler_collect (self->scheduler);
    return 0;
}

int
broker_run (broker_t *self)
{
    while (!zsys_interrupted)
        broker_poll (self, -1);
    s_commit (self);
    if (self->leading && store_is_shared (self->store)) {
        store_resign (self->store); /* a standby takes over at once */
        ztask_log_info ("broker: %s resigned the lead", self->name);
    }
    return 0;
}

/* ---- construction ---- */

/* Starts zauth with the allow-list and makes the ROUTER a CURVE server.
   Must run before any bind. */
static int
s_curve_start (broker_t *self)
{
    const broker_config_t *config = &self->config;
    if (!zsys_has_curve ()) {
        ztask_log_error ("broker: curve is configured, but this libzmq was built without CURVE");
        return -1;
    }
    char error[512];
    zcert_t *cert = ztask_cert_load (config->curve_secret, true, error, sizeof error);
    if (!cert) {
        ztask_log_error ("broker: %s", error);
        return -1;
    }
    if (!zsys_file_exists (config->curve_allow)) {
        ztask_log_error ("broker: the CURVE allow-list directory %s does not exist", config->curve_allow);
        zcert_destroy (&cert);
        return -1;
    }
    self->auth = zactor_new (zauth, NULL);
    assert (self->auth);
    zstr_sendx (self->auth, "CURVE", config->curve_allow, NULL);
    zsock_wait (self->auth);
    char *clients = zsys_sprintf ("%s/clients", config->curve_allow);
    char *workers = zsys_sprintf ("%s/workers", config->curve_allow);
    self->client_keys = zcertstore_new (clients);
    self->worker_keys = zcertstore_new (workers);
    zstr_free (&clients);
    zstr_free (&workers);
    zcert_apply (cert, self->router);
    zsock_set_curve_server (self->router, 1);
    ztask_log_info ("broker: CURVE on; public key %s; allow-list %s", zcert_public_txt (cert),
               config->curve_allow);
    zcert_destroy (&cert);
    return 0;
}

/* The signature of what a stored task asks (NULL: nothing more). What
   no longer holds (a text this broker does not parse, a limit no longer
   configured) is dropped with a warning, never the task: without its
   limit if that is what went, else with its limit only, else plain. */
static sched_sig_t *
s_row_sig (broker_t *self, const store_row_t *row, task_type_t *type)
{
    if (!*row->require && !*row->version && !*row->needs && !*row->limit)
        return NULL;
    const char *require[ZTASK_REQUIRES_MAX];
    char texts[STORE_REQUIRE_SIZE];
    snprintf (texts, sizeof texts, "%s", row->require);
    size_t count = 0;
    for (char *save = NULL, *text = strtok_r (texts, "\n", &save); text && count < ZTASK_REQUIRES_MAX;
         text = strtok_r (NULL, "\n", &save))
        require[count++] = text;
    sched_needs_t needs = { require, count, row->version, row->needs, row->limit };
    char error[2048];
    sched_sig_t *sig = scheduler_sig (self->scheduler, type, &needs, error, sizeof error);
    if (!sig && *row->limit && !scheduler_limit_lookup (self->scheduler, row->limit)) {
        ztask_log_warning ("broker: task %" PRIu64 " counts against limit '%s', which the config no longer has:"
                           " recovered without it",
                           row->id, row->limit);
        needs.limit = NULL;
        sig = scheduler_sig (self->scheduler, type, &needs, error, sizeof error);
    }
    if (!sig) {
        ztask_log_warning ("broker: task %" PRIu64 " asks what this broker cannot read (%s): recovered %s",
                           row->id, error, needs.limit ? "with its limit only" : "asking nothing of its worker");
        sched_needs_t limit_only = { NULL, 0, NULL, NULL, needs.limit };
        sig = needs.limit ? scheduler_sig (self->scheduler, type, &limit_only, error, sizeof error) : NULL;
    }
    return sig == type->plain ? NULL : sig;
}

/* A stored task made live again (recovered or retried), or NULL after
   logging why it stays in the store only. */
static task_t *
s_task_from_row (broker_t *self, const store_row_t *row, const char *otherwise)
{
    task_type_t *type = scheduler_type (self->scheduler, row->type);
    if (!type || row->priority >= TASK_PRIORITY_LEVELS) {
        ztask_log_warning ("broker: stored task %" PRIu64 " has %s; %s", row->id,
                           type ? "an invalid priority" : "a type over the limit of distinct types", otherwise);
        return NULL;
    }
    task_t *task = task_new (row->id, type, row->priority, row->payload, row->payload_size);
    task->sig = s_row_sig (self, row, type);
    task->attempts = row->attempts;
    task->max_attempts = row->max_attempts;
    task->timeout_ms = row->timeout_ms;
    task->created_ms = row->created_ms;
    if (row->parents && *row->parents) {
        ztask_msg_parent_t parents[ZTASK_PARENTS_MAX];
        uint8_t after_any;
        size_t count = s_parse_parents (row->parents, &after_any, parents);
        uint64_t ids[ZTASK_PARENTS_MAX];
        for (size_t i = 0; i < count; i++)
            ids[i] = parents[i].task_id;
        if (count)
            task_set_parents (task, ids, count, after_any);
    }
    /* a row stored before retry policies has the default one */
    bool policy = row->retry_min_ms && ztask_retry_check (row->retry_min_ms, row->retry_max_ms, NULL, 0) == 0;
    task->retry_min_ms = policy ? row->retry_min_ms : ZTASK_RETRY_DEFAULT_MIN_MS;
    task->retry_max_ms = policy ? row->retry_max_ms : ZTASK_RETRY_DEFAULT_MAX_MS;
    task_table_insert (self->tasks, task);
    scheduler_task_added (self->scheduler, task);
    return task;
}

/* An unfinished task read back from the store at start. */
static void
s_recover_row (const store_row_t *row, void *arg)
{
    broker_t *self = (broker_t *) arg;
    task_t *task = s_task_from_row (self, row, "left in the store as it is");
    if (!task)
        return;
    int64_t now = zclock_time ();
    task->due_ms = row->due_ms;
    /* A task of a batch whose then task waits: the then task waits for it
       again; a waiting then task: for its batch's live tasks
       (s_recover_blocked counts them once all are back). */
    uint64_t then_id = batch_waits_task (self->batch_waits, row->batch_id), batch_id;
    uint32_t live;
    if (then_id) {
        task_deps (task)->batch_id = row->batch_id;
        task_add_child (task, then_id);
    }
    else if (row->state == ZTASK_STATE_BLOCKED && batch_waits_then (self->batch_waits, row->id, &batch_id, &live)) {
        task_deps_t *deps = task_deps (task);
        deps->batch_id = batch_id;
        deps->batch_then = true;
        deps->after_any = true;
    }
    if (row->state == ZTASK_STATE_RUNNING)
        /* Its worker may still run it: give it time to reconnect and
           keep it before anyone else gets it. */
        delayed_add (self->delayed, task,
                     zclock_mono () + (int64_t) self->config.heartbeat_ms * self->config.heartbeat_liveness);
    else if (row->state == ZTASK_STATE_SCHEDULED) {
        task->state = ZTASK_STATE_SCHEDULED;
        s_schedule (self, task); /* due already: queued in the next round */
    }
    else if (row->state == ZTASK_STATE_BLOCKED && task->deps) {
        /* Its parents are looked at once every task is back (s_recover). */
        task->state = ZTASK_STATE_BLOCKED;
        self->blocked++;
        s_ready_add (self, task->id);
    }
    else if (row->next_attempt_ms > now) {
        /* Still waiting out its retry backoff: the rest of it, on the
           monotonic clock from now on (never longer than a wait the
           broker could have set: a wall clock set back meanwhile does
           not hold it longer). */
        int64_t ahead = row->next_attempt_ms - now;
        int64_t longest = ZTASK_RETRY_AFTER_MAX_MS > task->retry_max_ms ? ZTASK_RETRY_AFTER_MAX_MS : task->retry_max_ms;
        if (ahead > longest)
            ahead = longest;
        task->next_attempt_ms = now + ahead;
        delayed_add (self->delayed, task, zclock_mono () + ahead);
    }
    else
        s_offer (self, task, false);
}

/* The blocked tasks recovered (on the ready list): each waits again for
   its parents that are back as live tasks, and sees how the others ended
   (while no broker ran, too); those with nothing left to wait for run or
   are cancelled now. Returns 0 or -1 (the store failed). */
static int
s_recover_blocked (broker_t *self)
{
    size_t count = self->ready_count;
    for (size_t r = 0; r < count; r++) {
        task_t *child = task_table_lookup (self->tasks, self->ready[r]);
        if (!child || child->state != ZTASK_STATE_BLOCKED)
            continue;
        task_deps_t *deps = child->deps;
        deps->pending = 0;
        uint64_t batch_id;
        if (deps->batch_then)
            batch_waits_then (self->batch_waits, child->id, &batch_id, &deps->pending);
        for (uint32_t i = 0; i < deps->parent_count; i++) {
            task_t *parent = task_table_lookup (self->tasks, deps->parents[i]);
            if (parent) {
                task_add_child (parent, child->id);
                deps->pending++;
                continue;
            }
            store_row_t row;
            int rc = store_get (self->store, deps->parents[i], false, &row);
            if (rc == STORE_FAILED)
                return -1;
            if ((rc != 0 || row.state != ZTASK_STATE_DONE) && !deps->failed_parent) {
                deps->failed_parent = deps->parents[i]; /* gone from the store: not known done */
                deps->failed_state = rc == 0 ? row.state : ZTASK_STATE_FAILED;
            }
        }
    }
    /* Those still waiting stay blocked (s_release_children skips them). */
    s_release_children (self);
    return 0;
}

/* Reads the unfinished tasks back from the store (at start, and when the
   store is back after an outage). */
static int
s_recover (broker_t *self)
{
    self->batch_waits = batch_waits_load (self->store);
    int rc = !self->batch_waits || s_recover_paused (self) != 0
          || store_recover (self->store, s_recover_row, self) != 0 || s_recover_blocked (self) != 0;
    batch_waits_destroy (&self->batch_waits);
    if (rc
        || schedules_load (self->schedules, self->store, &self->config, s_schedule_now (self)) != 0
        || store_commit (self->store) != 0)
        return -1;
    scheduler_collect (self->scheduler);
    self->uncommitted_from = store_peek_id (self->store);
    if (task_table_size (self->tasks))
        ztask_log_info ("broker: recovered %zu unfinished tasks from the %s store", task_table_size (self->tasks),
                   store_backend_name (self->store));
    if (schedules_size (self->schedules))
        ztask_log_info ("broker: %zu recurring schedules held", schedules_size (self->schedules));
    return 0;
}

/* The host's name, or "localhost". */
static char *
s_hostname (void)
{
    char host[256] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        snprintf (host, sizeof host, "localhost");
    return strdup (host);
}

/* Sets the name and advertised endpoint: the configured ones, or the
   host's name and the first endpoint bound, a wildcard host (0.0.0.0, *,
   [::]) replaced by the host's name. */
static void
s_identify (broker_t *self)
{
    self->name = self->config.name ? strdup (self->config.name) : s_hostname ();
    if (self->config.advertise)
        self->advertise = strdup (self->config.advertise);
    else {
        const char *bound = broker_endpoint (self, 0);
        const char *host = strstr (bound, "://"), *port = strrchr (bound, ':');
        host = host ? host + 3 : bound;
        size_t host_size = port && port > host ? (size_t) (port - host) : 0;
        if (host_size && (!strncmp (host, "0.0.0.0", host_size) || !strncmp (host, "*", host_size)
                          || !strncmp (host, "[::]", host_size) || !strncmp (host, "[::0]", host_size))) {
            char *name = s_hostname ();
            self->advertise = zsys_sprintf ("%.*s%s%s", (int) (host - bound), bound, name, port);
            free (name);
        }
        else
            self->advertise = strdup (bound);
    }
    assert (self->name && self->advertise);
}

broker_t *
broker_new (const broker_config_t *config)
{
    broker_t *self = (broker_t *) zmalloc (sizeof (broker_t));
    assert (self);
    self->config = *config; /* shallow: the caller keeps config alive */
    self->scheduler = s_scheduler_new (config);
    self->workers = worker_registry_new ();
    self->delayed = delayed_new ();
    self->retry_random = (uint64_t) zclock_time () ^ ((uint64_t) getpid () << 32);
    self->tasks = task_table_new ();
    zmq_msg_init (&self->body);
    self->header = (byte *) malloc (ZTASK_HEADER_MAX);
    assert (self->header);
    self->endpoints = zlistx_new ();
    zlistx_set_duplicator (self->endpoints, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (self->endpoints, (zlistx_destructor_fn *) zstr_free);
    self->in = ztask_msg_new ();
    self->out = ztask_msg_new ();
    self->metrics = metrics_new ();
    self->schedules = schedules_new ();
    self->fire = ztask_msg_new ();
    self->member = ztask_msg_new ();
    const char *offset = getenv ("ZTASK_TEST_NOW_OFFSET_MS"); /* tests only: docs/scheduling.md */
    if (offset && *offset) {
        self->now_offset_ms = strtoll (offset, NULL, 10);
        ztask_log_warning ("broker: ZTASK_TEST_NOW_OFFSET_MS is set: schedules see the clock %" PRId64
                           " ms off (for tests only)", self->now_offset_ms);
    }

    self->store = store_open (config->store, config->sync);
    if (!self->store) {
        broker_destroy (&self);
        return NULL;
    }

    self->malformed_peers = zhashx_new ();
    self->router = zsock_new (ZMQ_ROUTER);
    assert (self->router);
    self->socket = zsock_resolve (self->router);
    self->outbox = outbox_new (self->socket);
    self->poller = zpoller_new (self->router, NULL);
    assert (self->poller);
    self->next_tick = zclock_mono ();
    if (config->curve_secret && s_curve_start (self) != 0) {
        broker_destroy (&self);
        return NULL;
    }
    /* A message far larger than any payload or result we accept (over
       twice the limit) is cut off by libzmq as it arrives (the peer is
       disconnected, and sees no answer), never buffered whole; up to that,
       it gets a TOO_LARGE answer. */
    size_t largest = config->max_payload > config->max_result ? config->max_payload : config->max_result;
    largest = 2 * largest + 65536 + 1024;
    if (largest < config->max_batch_bytes + 65536) /* a BATCH holds many tasks */
        largest = config->max_batch_bytes + 65536;
    zsock_set_maxmsgsize (self->router, (int) largest); /* at most 1 GiB + 64 KiB */
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_sndtimeo (self->router, 0); /* a full peer never blocks the loop */
    zsock_set_rcvtimeo (self->router, 0); /* the loop drains without blocking */
    zsock_set_sndhwm (self->router, 100000);
    zsock_set_rcvhwm (self->router, 100000);
    zsock_set_linger (self->router, 500);
    /* czmq picks a port of a "![FROM-TO]" range with random (), which it
       seeds with the time in seconds: brokers started within the same
       second would try the same ports in the same order (tests, a fleet
       started at once). Seeded per process instead. */
    srandom ((unsigned) (zclock_usecs () ^ ((int64_t) getpid () << 16)));
    for (size_t i = 0; i < config->endpoint_count; i++) {
        if (zsock_bind (self->router, "%s", config->endpoints[i]) < 0) {
            ztask_log_error ("broker: cannot bind %s: %s", config->endpoints[i], zmq_strerror (zmq_errno ()));
            broker_destroy (&self);
            return NULL;
        }
        char *bound = zsock_last_endpoint (self->router);
        ztask_log_info ("broker: listening on %s", bound);
        zlistx_add_end (self->endpoints, bound);
        zstr_free (&bound);
    }
    if (config->http_listen) {
        /* The HTTP thread's socket: inproc, so only this process reaches it. */
        self->internal_router = zsock_new (ZMQ_ROUTER);
        assert (self->internal_router);
        self->internal = zsock_resolve (self->internal_router);
        zsock_set_router_mandatory (self->internal_router, 1);
        zsock_set_sndtimeo (self->internal_router, 0);
        zsock_set_rcvtimeo (self->internal_router, 0);
        self->internal_endpoint = zsys_sprintf ("inproc://ztaskd-http-%p", (void *) self);
        if (zsock_bind (self->internal_router, "%s", self->internal_endpoint) < 0) {
            ztask_log_error ("broker: cannot bind %s: %s", self->internal_endpoint, zmq_strerror (zmq_errno ()));
            broker_destroy (&self);
            return NULL;
        }
        zpoller_add (self->poller, self->internal_router);
    }
    s_identify (self);
    /* Lead (recovering the unfinished tasks from the store) or stand by. */
    s_lead (self);
    if (self->store_down) {
        broker_destroy (&self);
        return NULL;
    }
    return self;
}

void
broker_destroy (broker_t **self_p)
{
    assert (self_p);
    broker_t *self = *self_p;
    if (self) {
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->router);
        zsock_destroy (&self->internal_router);
        zstr_free (&self->internal_endpoint);
        metrics_destroy (&self->metrics);
        zactor_destroy (&self->auth);
        zcertstore_destroy (&self->client_keys);
        zcertstore_destroy (&self->worker_keys);
        zhashx_destroy (&self->malformed_peers);
        outbox_destroy (&self->outbox);
        free (self->header);
        free (self->ready);
        free (self->parents_body);
        zmq_msg_close (&self->body);
        /* Workers before tasks: tasks point at their workers' slots. */
        for (broker_worker_t *w = worker_registry_first (self->workers); w;
             w = worker_registry_next (self->workers))
            scheduler_worker_remove (self->scheduler, &w->sched);
        worker_registry_destroy (&self->workers);
        delayed_destroy (&self->delayed);
        if (self->tasks) {
            size_t cursor = 0;
            task_t *task;
            while ((task = task_table_next (self->tasks, &cursor)))
                task_destroy (&task);
        }
        task_table_destroy (&self->tasks);
        scheduler_destroy (&self->scheduler);
        store_close (&self->store);
        free (self->note);
        zlistx_destroy (&self->endpoints);
        free (self->name);
        free (self->advertise);
        ztask_msg_destroy (&self->in);
        ztask_msg_destroy (&self->out);
        ztask_msg_destroy (&self->fire);
        ztask_msg_destroy (&self->member);
        free (self->plans);
        free (self->batch_tasks);
        schedules_destroy (&self->schedules);
        free (self);
        *self_p = NULL;
    }
}

const char *
broker_endpoint (broker_t *self, size_t i)
{
    const char *endpoint = (const char *) zlistx_first (self->endpoints);
    while (endpoint && i--)
        endpoint = (const char *) zlistx_next (self->endpoints);
    return endpoint;
}

const char *
broker_internal_endpoint (broker_t *self)
{
    return self->internal_endpoint;
}
