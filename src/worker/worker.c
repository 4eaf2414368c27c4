/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker - ztask-worker's runtime. See worker.h and docs/protocol.md.

    Two kinds of thread talk to the broker: the messaging thread (this
    loop: everything from the broker, heartbeats, timeouts) and the slot
    threads, which send their own progress and results the moment a plugin
    reports them, so that a task's end costs no wake-up of this loop. They
    share the broker socket through worker_link, which serialises its
    users and keeps a slot thread's send from hiding a message from the
    loop.

    The worker's mutex guards the worker's own state: the pending results,
    `running`, `closing` and the outgoing message `out`. The loop holds it
    except while it waits, a slot thread while it reports.

    With several brokers (active/standby, `broker` lists them) the worker
    is connected to one at a time and follows the leader: a standby's ERROR
    NOT_LEADER sends it on to the leader it names, or to the next broker
    (common/ztask_endpoints.h has the rule, which clients follow too), and
    a standby answer from every broker in a row (a lap of the list: none
    leads yet) pauses the next REGISTER NO_LEADER_PAUSE_MS; a broker that
    does not answer a REGISTER within REGISTER_TIMEOUT_MS, or that goes
    silent or drops the connection while the worker is registered, sends
    it to the next one. Running tasks and
    unacknowledged results go along (REGISTER, then the re-sends after
    REGISTERED). With one broker the worker reconnects to it as before.
*/
#include "worker.h"
#include "common/ztask_log.h"
#include "slot.h"
#include "worker_link.h"
#include "common/ztask_cert.h"
#include "common/ztask_endpoints.h"
#include "common/ztask_logfile.h"
#include "common/ztask_monitor.h"
#include "proto/ztask_msg.h"

#include <pthread.h>
#include <stdarg.h>

#define DEFAULT_HEARTBEAT_MS 1000
#define LIVENESS 3 /* missed broker heartbeats before reconnecting */
#define RECONNECT_MAX_MS 10000
/* Several brokers: */
#define REGISTER_TIMEOUT_MS 500 /* unanswered REGISTER: on to the next one    */
#define NO_LEADER_PAUSE_MS 150  /* every broker in a row said NOT_LEADER:
                                   pause before the next REGISTER            */
#define LOOKING_LOG_MS 10000    /* while moves go on, a summary this often   */

/* A result sent but not yet acknowledged: re-sent after a reconnect. */
typedef struct pending_result pending_result_t;
struct pending_result {
    pending_result_t *next; /* the next younger one                      */
    uint64_t task_id;
    uint32_t attempt;
    uint8_t status;
    uint32_t retry_after_ms; /* RETRY: the plugin's wait; 0: the policy's */
    char error[ZTASK_STRING_MAX + 1];
    void *result;           /* owned (malloc); NULL: none                */
    size_t result_size;
};

/* What a slot runs, as the broker knows it. */
typedef struct {
    uint64_t task_id; /* 0: idle */
    uint32_t attempt;
    const char *type; /* its plugin's name (config's), for the log */
    bool cancelled;   /* the broker asked to stop it                 */
} slot_task_t;

struct worker {
    pthread_mutex_t lock;   /* see the top of the file                   */
    worker_config_t *config;
    ztask_module_t *modules[WORKER_PLUGINS_MAX]; /* same order as config->plugins */
    slot_t **slots;
    slot_task_t *running;   /* per slot: the task it runs; task_id 0:
                               free for the next TASK                    */
    pending_result_t *pending; /* oldest first                          */
    pending_result_t **pending_end; /* where the next one is linked      */
    char instance[ZTASK_STRING_MAX + 1]; /* this process's id for the broker */
    int64_t reconnect_ms;   /* silence tolerated before reconnecting    */
    worker_link_t *link;    /* the DEALER to the broker (thread-safe)    */
    ztask_endpoints_t *brokers; /* the brokers we may register with, and
                               the one we are on                         */
    size_t not_leaders;     /* ERROR NOT_LEADER answers in a row: a whole
                               lap of them and we pause (s_on_not_leader) */
    unsigned handshake;     /* HANDSHAKE_* failures logged since the last
                               handshake that succeeded                  */
    bool closing;           /* worker_run has returned: reports dropped  */
    ztask_msg_t *in, *out;
    zmq_msg_t body;         /* the body frame of the message in `in`     */
    char host[256];
    bool registered;        /* REGISTERED received on this connection    */
    unsigned heartbeat_ms;
    int64_t heard_at;       /* last message from the broker (monotonic)  */
    int64_t registering_since; /* a REGISTER no answer has come for was
                               sent then; 0: none                        */
    int64_t register_at;    /* REGISTER then (a paused move); 0: none    */
    bool connection_lost;   /* the monitor saw our registered connection end */
    int64_t looking_since;  /* the first move since we were registered;
                               0: none                                   */
    unsigned moves;         /* moves since then                          */
    int64_t summary_at;     /* when to log the next summary of moves     */
    bool refused;           /* the broker refused the registration       */
    bool draining;          /* stopping: takes no new tasks              */
};

static void
s_pending_destroy (pending_result_t **pending_p)
{
    pending_result_t *pending = *pending_p;
    if (pending) {
        free (pending->result);
        free (pending);
        *pending_p = NULL;
    }
}

worker_t *
worker_new (worker_config_t *config, char *error, size_t error_size)
{
    worker_t *self = (worker_t *) zmalloc (sizeof (worker_t));
    assert (self);
    pthread_mutex_init (&self->lock, NULL);
    self->config = config;
    for (size_t i = 0; i < config->plugin_count; i++) {
        worker_plugin_config_t *p = &config->plugins[i];
        self->modules[i] = ztask_module_load (p->file, p->name, &p->settings, config->allow_insecure_plugins,
                                              error, error_size);
        if (!self->modules[i]) {
            worker_destroy (&self);
            return NULL;
        }
        const ztask_plugin_t *plugin = ztask_module_plugin (self->modules[i]);
        ztask_log_info ("worker: loaded plugin %s %s from %s", plugin->name, plugin->version, p->file);
    }
    self->in = ztask_msg_new ();
    self->out = ztask_msg_new ();
    zmq_msg_init (&self->body);
    self->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
    self->reconnect_ms = DEFAULT_HEARTBEAT_MS * LIVENESS;
    zuuid_t *uuid = zuuid_new ();
    ztask_msg_strcpy (self->instance, zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    self->pending_end = &self->pending;
    /* The config's endpoints checked already: only memory can fail here. */
    self->brokers = ztask_endpoints_new ();
    if (!self->brokers)
        snprintf (error, error_size, "out of memory");
    for (size_t i = 0; self->brokers && i < config->broker_count; i++)
        if (ztask_endpoints_add (self->brokers, config->brokers[i], error, error_size) != 0)
            ztask_endpoints_destroy (&self->brokers);
    if (!self->brokers) {
        worker_destroy (&self);
        return NULL;
    }
    assert (ztask_endpoints_size (self->brokers) > 0);
    if (gethostname (self->host, sizeof self->host - 1) != 0)
        snprintf (self->host, sizeof self->host, "unknown");
    return self;
}

void
worker_destroy (worker_t **self_p)
{
    assert (self_p);
    worker_t *self = *self_p;
    if (self) {
        /* Unlocked: a slot thread's last report takes the lock. */
        if (self->slots)
            for (unsigned i = 0; i < self->config->slots; i++)
                slot_destroy (&self->slots[i]);
        free (self->slots);
        free (self->running);
        while (self->pending) {
            pending_result_t *next = self->pending->next;
            s_pending_destroy (&self->pending);
            self->pending = next;
        }
        worker_link_destroy (&self->link);
        ztask_endpoints_destroy (&self->brokers);
        for (size_t i = 0; i < self->config->plugin_count; i++)
            ztask_module_destroy (&self->modules[i]);
        ztask_msg_destroy (&self->in);
        ztask_msg_destroy (&self->out);
        zmq_msg_close (&self->body);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

/* Sends self->out, with body as its body frame when the command has one.
   Never blocks: with no connection the message is dropped, as the
   heartbeat and the re-sends after REGISTERED expect. */
static void
s_send_body (worker_t *self, const void *body, size_t body_size)
{
    worker_link_send (self->link, self->out, body, body_size);
}

static void
s_send (worker_t *self)
{
    s_send_body (self, NULL, 0);
}

static void
s_register (worker_t *self)
{
    ztask_msg_t *m = self->out;
    ztask_msg_reset (m, ZTASK_MSG_REGISTER);
    ztask_msg_strcpy (m->name, self->config->name);
    ztask_msg_strcpy (m->host, self->host);
    m->slots = (uint16_t) self->config->slots;
    m->priorities = self->config->priorities;
    ztask_msg_strcpy (m->instance, self->instance);
    m->plugin_count = self->config->plugin_count;
    for (size_t i = 0; i < self->config->plugin_count; i++) {
        const ztask_plugin_t *plugin = ztask_module_plugin (self->modules[i]);
        ztask_msg_strcpy (m->plugins[i].name, plugin->name);
        ztask_msg_strcpy (m->plugins[i].version, plugin->version);
    }
    /* What this worker is (the facts, then the config's labels) and has. */
    _Static_assert (WORKER_FACTS + WORKER_LABELS_MAX <= ZTASK_LABELS_MAX, "a REGISTER holds every label");
    _Static_assert (WORKER_RESOURCES_MAX <= ZTASK_RESOURCES_MAX, "a REGISTER holds every resource");
    m->label_count = self->config->label_count;
    for (size_t i = 0; i < self->config->label_count; i++) {
        ztask_msg_strcpy (m->labels[i].key, self->config->labels[i].key);
        ztask_msg_strcpy (m->labels[i].value, self->config->labels[i].value);
    }
    m->resource_count = self->config->resource_count;
    for (size_t i = 0; i < self->config->resource_count; i++) {
        ztask_msg_strcpy (m->resources[i].name, self->config->resources[i].name);
        m->resources[i].amount = self->config->resources[i].amount;
    }
    /* Tasks still running stay ours: the broker must not start them again. */
    m->running_count = 0;
    for (unsigned i = 0; i < self->config->slots && self->running; i++)
        if (self->running[i].task_id) {
            m->running[m->running_count].task_id = self->running[i].task_id;
            m->running[m->running_count].attempt = self->running[i].attempt;
            m->running_count++;
        }
    self->registered = false;
    self->registering_since = zclock_mono ();
    self->register_at = 0;
    s_send (self);
}

/* Sends a pending result (again). */
static void
s_send_result (worker_t *self, pending_result_t *pending)
{
    ztask_msg_t *m = self->out;
    ztask_msg_reset (m, ZTASK_MSG_RESULT);
    m->task_id = pending->task_id;
    m->attempt = pending->attempt;
    m->status = pending->status;
    m->retry_after_ms = pending->retry_after_ms;
    memcpy (m->error, pending->error, sizeof m->error);
    s_send_body (self, pending->result, pending->result_size);
}

/* The DEALER's handshakes are watched (worker_link's monitor), so a
   broker that refuses our key (or speaks plain TCP when we want CURVE, or
   the other way round) is named in the log rather than showing only as
   silence. The loop reads every event as it comes: libzmq's I/O thread
   sends them with a blocking send, so an unread monitor would in the end
   stall every socket we have. */

/* Kinds of handshake failure (ZTASK_HANDSHAKE_*), as bits of
   worker_t.handshake. */
#define HANDSHAKE_REFUSED (1u << ZTASK_HANDSHAKE_REFUSED)
#define HANDSHAKE_MISMATCH (1u << ZTASK_HANDSHAKE_MISMATCH)
#define HANDSHAKE_CLOSED (1u << ZTASK_HANDSHAKE_CLOSED)

/* Logs a handshake failure, each kind once until a handshake succeeds
   (libzmq retries every 100 ms or so). */
static void
s_monitor_event (worker_t *self)
{
    uint16_t event;
    uint32_t value;
    ztask_monitor_t *monitor = worker_link_monitor (self->link);
    int read = monitor ? ztask_monitor_read (monitor, &event, &value) : -1;
    if (read < 0)
        return;
    const char *broker = ztask_endpoints_current (self->brokers);
    if (read == ZTASK_MONITOR_DISCONNECTED) {
        /* Only the end of a registered connection says the broker is
           gone: a failed handshake ends one too. */
        self->connection_lost = self->connection_lost || self->registered;
        return;
    }
    if (read == ZTASK_HANDSHAKE_OK) {
        if (self->handshake)
            ztask_log_info ("worker: handshake with the broker at %s succeeded", broker);
        self->handshake = 0;
        return;
    }
    unsigned kind = 1u << read;
    if (self->handshake & kind)
        return;
    self->handshake |= kind;
    zcert_t *cert = self->config->curve_cert;
    if (kind == HANDSHAKE_REFUSED)
        ztask_log_error ("worker: the broker at %s refused this worker's key %s (ZAP status %u): put this "
                    "worker's public certificate (NAME.key) in the broker's allow/workers directory",
                    broker, cert ? zcert_public_txt (cert) : "(none)", value);
    else if (kind == HANDSHAKE_MISMATCH && cert)
        ztask_log_error ("worker: the broker at %s does not use CURVE, but this worker's config sets 'curve'",
                    broker);
    else if (kind == HANDSHAKE_MISMATCH)
        ztask_log_error ("worker: the broker at %s requires CURVE: set curve = { secret = ...; broker = ...; } in "
                    "this worker's config (docs/security.md)",
                    broker);
    else if (kind == HANDSHAKE_CLOSED)
        ztask_log_error ("worker: the broker at %s closed the connection during the handshake (%s): %s", broker,
                    zmq_strerror ((int) value),
                    cert ? "is curve.broker this broker's public certificate?"
                         : "does it require CURVE? (then set curve = { ... } in this worker's config, "
                           "docs/security.md)");
    else
        ztask_log_error ("worker: the handshake with the broker at %s failed (libzmq event 0x%x, error 0x%x)",
                    broker, event, value);
}

/* Reads every monitor event there is. Ends by asking the socket, so its
   FD signals the next one. */
static void
s_from_monitor (worker_t *self)
{
    ztask_monitor_t *monitor = worker_link_monitor (self->link);
    while (monitor && (zsock_events (ztask_monitor_sock (monitor)) & ZMQ_POLLIN))
        s_monitor_event (self);
}

/* (Re)connects to the current broker with a fresh socket (its key with
   CURVE) and registers, at once or after pause_ms. */
static void
s_connect (worker_t *self, int pause_ms)
{
    size_t index = ztask_endpoints_index (self->brokers);
    worker_link_connect (self->link, ztask_endpoints_current (self->brokers), self->config->curve_cert,
                         self->config->curve_broker_keys[index]);
    self->heard_at = zclock_mono ();
    self->connection_lost = false;
    self->registering_since = 0;
    self->registered = false;
    if (pause_ms)
        self->register_at = self->heard_at + pause_ms;
    else
        s_register (self);
}

/* Logs a move to another broker: each one until the worker has made two
   laps of its list since it was last registered, then a summary every
   LOOKING_LOG_MS (a takeover means moves every few hundred ms). */
static void
s_log_move (worker_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static void
s_log_move (worker_t *self, const char *format, ...)
{
    int64_t now = zclock_mono ();
    if (!self->looking_since) {
        self->looking_since = now;
        self->moves = 0;
        self->summary_at = now + LOOKING_LOG_MS;
    }
    self->moves++;
    if (self->moves <= 2 * ztask_endpoints_size (self->brokers)) {
        char text[1024];
        va_list args;
        va_start (args, format);
        vsnprintf (text, sizeof text, format, args);
        va_end (args);
        ztask_log_info ("%s", text);
    }
    else if (now >= self->summary_at) {
        ztask_log_info ("worker: still looking for the leading broker: %u moves in %d s, trying %s", self->moves,
                   (int) ((now - self->looking_since) / 1000), ztask_endpoints_current (self->brokers));
        self->summary_at = now + LOOKING_LOG_MS;
    }
}

/* ERROR NOT_LEADER: the broker we are on is a standby. On to the leader it
   names if we list it, else to the next broker, and REGISTER there: at
   once, or after a short pause when every broker in a row said the same
   (none leads yet). */
static void
s_on_not_leader (worker_t *self, const char *leader)
{
    const char *standby = ztask_endpoints_current (self->brokers); /* owned by the list */
    ztask_leader_t said = ztask_endpoints_not_leader (self->brokers, leader);
    const char *next = ztask_endpoints_current (self->brokers);
    if (said == ZTASK_LEADER_LISTED)
        s_log_move (self, "worker: broker at %s is a standby; leader at %s", standby, leader);
    else if (said == ZTASK_LEADER_UNLISTED)
        s_log_move (self, "worker: broker at %s is a standby; its leader %s is not in this worker's 'broker' list: "
                    "trying %s", standby, leader, next);
    else if (said == ZTASK_LEADER_ITSELF)
        s_log_move (self, "worker: broker at %s is a standby that names itself the leader (its lead just "
                    "ended); trying %s", standby, next);
    else
        s_log_move (self, "worker: broker at %s is a standby and no broker leads yet; trying %s", standby, next);
    /* As many answers in a row as the list has brokers: a whole lap (with
       one broker, every answer), so none leads for now. */
    self->not_leaders++;
    bool lap = self->not_leaders % ztask_endpoints_size (self->brokers) == 0;
    s_connect (self, lap ? NO_LEADER_PAUSE_MS : 0);
}

/* REGISTERED: says so once per registration, with how long the search took
   when its moves were summarised. */
static void
s_on_registered (worker_t *self)
{
    const char *broker = ztask_endpoints_current (self->brokers);
    if (self->registered)
        return;
    if (self->looking_since && self->moves > 2 * ztask_endpoints_size (self->brokers))
        ztask_log_info ("worker: %s registered with the broker at %s (after %u moves in %.1f s)", self->config->name,
                   broker, self->moves, (double) (zclock_mono () - self->looking_since) / 1000);
    else
        ztask_log_info ("worker: %s registered with the broker at %s", self->config->name, broker);
    self->looking_since = 0;
    self->not_leaders = 0;
}

/* Sends a result and keeps it until the broker acknowledges it. result
   (malloc'd, may be NULL) is taken over. */
static void
s_result (worker_t *self, uint64_t task_id, uint32_t attempt, int status, uint32_t retry_after_ms,
          const char *error, void *result, size_t size)
{
    pending_result_t *pending = (pending_result_t *) malloc (sizeof (pending_result_t));
    assert (pending);
    pending->next = NULL;
    pending->task_id = task_id;
    pending->attempt = attempt;
    pending->status = (uint8_t) status;
    pending->retry_after_ms = status == ZTASK_RESULT_RETRY ? retry_after_ms : 0;
    ztask_msg_strcpy (pending->error, error);
    pending->result = result;
    pending->result_size = result ? size : 0;
    *self->pending_end = pending;
    self->pending_end = &pending->next;
    s_send_result (self, pending);
}

static void
s_on_result_ack (worker_t *self, ztask_msg_t *in)
{
    for (pending_result_t **link = &self->pending; *link; link = &(*link)->next) {
        pending_result_t *p = *link;
        if (p->task_id == in->task_id && p->attempt == in->attempt) {
            *link = p->next;
            if (!*link)
                self->pending_end = link;
            s_pending_destroy (&p);
            return;
        }
    }
}

static void
s_on_cancel_task (worker_t *self, ztask_msg_t *in)
{
    for (unsigned i = 0; i < self->config->slots; i++)
        if (self->running[i].task_id == in->task_id && self->running[i].attempt == in->attempt) {
            ztask_log_info ("worker: stopping task %" PRIu64 " as the broker asked", in->task_id);
            self->running[i].cancelled = true;
            slot_cancel (self->slots[i], "cancelled");
        }
}

static void
s_on_task (worker_t *self, ztask_msg_t *in)
{
    ztask_module_t *module = NULL;
    for (size_t i = 0; i < self->config->plugin_count && !module; i++)
        if (streq (self->config->plugins[i].name, in->type))
            module = self->modules[i];
    slot_t *slot = NULL;
    unsigned index = 0;
    for (unsigned i = 0; i < self->config->slots && !slot; i++)
        if (self->running[i].task_id == 0) {
            slot = self->slots[i];
            index = i;
        }
    if (!module) {
        char error[300];
        snprintf (error, sizeof error, "worker %s has no plugin '%s'", self->config->name, in->type);
        ztask_log_task (ZTASK_LOG_LEVEL_WARNING, "task.handed_back", in->task_id, in->type, self->config->name,
                        in->attempt, "worker: task %" PRIu64 " handed back: %s", in->task_id, error);
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_RETRY, 0, error, NULL, 0);
        return;
    }
    uint64_t results = 0;
    for (size_t i = 0; i < in->parent_size_count; i++)
        results += in->parent_sizes[i];
    if (results > zmq_msg_size (&self->body)) {
        ztask_log_warning ("worker: task %" PRIu64 " came with parents' results larger than its body: failed",
                           in->task_id);
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_FAILED, 0,
                  "the broker sent parents' results larger than the task's body", NULL, 0);
        return;
    }
    if (!slot || self->draining) {
        ztask_log_task (ZTASK_LOG_LEVEL_WARNING, "task.handed_back", in->task_id, in->type, self->config->name,
                        in->attempt, "worker: task %" PRIu64 " arrived %s; handed back", in->task_id,
                        slot ? "while draining" : "with every slot busy");
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_HANDED_BACK, 0,
                  slot ? "the worker is stopping" : "no free slot", NULL, 0);
        return;
    }
    self->running[index].task_id = in->task_id;
    self->running[index].attempt = in->attempt;
    self->running[index].type = ztask_module_plugin (module)->name;
    self->running[index].cancelled = false;
    ztask_log_task (ZTASK_LOG_LEVEL_DEBUG, "task.started", in->task_id, in->type, self->config->name, in->attempt,
                    "worker: task %" PRIu64 " (%s) attempt %u started", in->task_id, in->type, in->attempt);
    slot_start (slot, module, in->task_id, in->attempt, in->parent_sizes, in->parent_size_count, &self->body,
                in->timeout_ms);
}

static void
s_from_broker (worker_t *self)
{
    while (true) {
        int rc = worker_link_recv (self->link, self->in, &self->body);
        if (rc == -1)
            return; /* nothing more for now */
        self->heard_at = zclock_mono ();
        self->registering_since = 0; /* answered */
        if (rc != 0) {
            ztask_log_warning ("worker: dropped a malformed message from the broker");
            continue;
        }
        ztask_msg_t *in = self->in;
        switch (in->command) {
        case ZTASK_MSG_REGISTERED:
            s_on_registered (self);
            self->registered = true;
            if (in->heartbeat_ms >= 50 && in->heartbeat_ms <= 60000)
                self->heartbeat_ms = in->heartbeat_ms;
            self->reconnect_ms = (int64_t) self->heartbeat_ms * LIVENESS;
            /* Results the broker may not have: it ignores those it has. */
            for (pending_result_t *p = self->pending; p; p = p->next)
                s_send_result (self, p);
            if (self->draining) {
                ztask_msg_reset (self->out, ZTASK_MSG_DRAIN);
                s_send (self);
            }
            break;
        case ZTASK_MSG_RESULT_ACK: s_on_result_ack (self, in); break;
        case ZTASK_MSG_CANCEL_TASK: s_on_cancel_task (self, in); break;
        case ZTASK_MSG_TASK: s_on_task (self, in); break;
        case ZTASK_MSG_HEARTBEAT: break;
        case ZTASK_MSG_ERROR:
            if (in->error_status == ZTASK_ERR_NOT_LEADER)
                s_on_not_leader (self, in->text);
            else if (in->error_status == ZTASK_ERR_NOT_REGISTERED) {
                ztask_log_info ("worker: the broker does not know us (restarted?): registering again");
                s_register (self);
            }
            else if (!self->registered && in->error_status == ZTASK_ERR_BAD_REQUEST) {
                ztask_log_error ("worker: the broker refused the registration: %s", in->text);
                self->refused = true;
            }
            else
                ztask_log_warning ("worker: broker error: %s: %s", ztask_msg_error_name (in->error_status),
                              in->text);
            break;
        default:
            ztask_log_warning ("worker: unexpected %s from the broker", ztask_msg_command_name (in->command));
        }
    }
}

/* A slot's report (slot.h), on the slot's thread: progress and results go
   to the broker from here. */
/* The end of a task that ran on a slot: task.done (debug: a worker may
   run thousands a second), task.cancelled, task.failed (the broker retries
   it when event->status says so). */
static void
s_log_end (worker_t *self, const slot_task_t *task, const slot_event_t *event)
{
    const char *name = self->config->name;
    if (event->status == ZTASK_RESULT_OK)
        ztask_log_task (ZTASK_LOG_LEVEL_DEBUG, "task.done", event->task_id, task->type, name, event->attempt,
                        "worker: task %" PRIu64 " (%s) attempt %u done", event->task_id, task->type,
                        event->attempt);
    else if (task->cancelled)
        ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.cancelled", event->task_id, task->type, name,
                        event->attempt, "worker: task %" PRIu64 " (%s) attempt %u cancelled: %s",
                        event->task_id, task->type, event->attempt, event->error);
    else
        ztask_log_task (ZTASK_LOG_LEVEL_WARNING, "task.failed", event->task_id, task->type, name,
                        event->attempt, "worker: task %" PRIu64 " (%s) attempt %u failed%s: %s", event->task_id,
                        task->type, event->attempt,
                        event->status == ZTASK_RESULT_RETRY ? " (another attempt may run)" : "",
                        *event->error ? event->error : "no error text");
}

static void
s_on_slot_report (void *arg, slot_t *slot, slot_event_t *event)
{
    worker_t *self = (worker_t *) arg;
    pthread_mutex_lock (&self->lock);
    if (self->closing) {
        /* The broker has our GOODBYE and requeues what ran. */
        free (event->result);
        pthread_mutex_unlock (&self->lock);
        return;
    }
    if (event->kind == SLOT_PROGRESS) {
        ztask_msg_t *m = self->out;
        ztask_msg_reset (m, ZTASK_MSG_WORKER_PROGRESS);
        m->task_id = event->task_id;
        m->attempt = event->attempt;
        m->progress_done = event->done;
        m->progress_total = event->total;
        ztask_msg_strcpy (m->text, event->text);
        s_send (self);
    }
    else {
        for (unsigned i = 0; i < self->config->slots; i++)
            if (self->slots[i] == slot) {
                s_log_end (self, &self->running[i], event);
                self->running[i].task_id = 0;
            }
        s_result (self, event->task_id, event->attempt, event->status, event->retry_after_ms, event->error,
                  event->result, event->result_size);
    }
    pthread_mutex_unlock (&self->lock);
}

/* Waits up to timeout_ms for the broker, unlocked meanwhile (tasks
   handed over this turn start now, with the lock free for their
   reports). Returns WORKER_LINK_* bits; 0 after a signal. */
static int
s_wait (worker_t *self, int timeout_ms)
{
    pthread_mutex_unlock (&self->lock);
    for (unsigned i = 0; i < self->config->slots; i++)
        slot_kick (self->slots[i]);
    int ready = worker_link_wait (self->link, timeout_ms);
    pthread_mutex_lock (&self->lock);
    return ready;
}

/* One broker: reconnects to it after heartbeat x liveness of silence,
   waiting longer each time it stays away. */
static void
s_check_only_broker (worker_t *self, int64_t now)
{
    if (now - self->heard_at > self->reconnect_ms) {
        ztask_log_warning ("worker: no word from the broker at %s for %d ms: reconnecting",
                      ztask_endpoints_current (self->brokers), (int) (now - self->heard_at));
        s_connect (self, 0);
        /* Back off while the broker stays away. */
        self->reconnect_ms = self->reconnect_ms * 2 < RECONNECT_MAX_MS ? self->reconnect_ms * 2 : RECONNECT_MAX_MS;
    }
}

/* Several brokers: moves on to the next one from a broker that dropped
   our registered connection, has been silent for heartbeat x liveness,
   or has not answered our REGISTER within REGISTER_TIMEOUT_MS. */
static void
s_check_brokers (worker_t *self, int64_t now)
{
    const char *from = ztask_endpoints_current (self->brokers); /* owned by the list */
    const char *why;
    if (self->connection_lost)
        why = "lost the connection to";
    else if (now - self->heard_at > self->reconnect_ms)
        why = "no word from";
    else if (self->registering_since && now - self->registering_since > REGISTER_TIMEOUT_MS)
        why = "no answer to REGISTER from";
    else
        return;
    ztask_endpoints_next (self->brokers);
    self->not_leaders = 0; /* a silent broker breaks a run of standby answers */
    s_log_move (self, "worker: %s the broker at %s; trying %s", why, from, ztask_endpoints_current (self->brokers));
    s_connect (self, 0);
}

/* How long the loop may wait: until the next heartbeat is due, at most
   until a paused REGISTER or the end of a REGISTER's time to answer. */
static int
s_wait_ms (worker_t *self, int64_t now)
{
    int64_t wait = self->heartbeat_ms / 2;
    if (self->register_at && self->register_at - now < wait)
        wait = self->register_at - now;
    if (ztask_endpoints_size (self->brokers) > 1 && self->registering_since
        && self->registering_since + REGISTER_TIMEOUT_MS + 1 - now < wait)
        wait = self->registering_since + REGISTER_TIMEOUT_MS + 1 - now;
    return wait > 0 ? (int) wait : 0;
}

/* True once nothing runs and every result is acknowledged. */
static bool
s_drained (worker_t *self)
{
    for (unsigned i = 0; i < self->config->slots; i++)
        if (self->running[i].task_id)
            return false;
    return self->pending == NULL;
}

int
worker_run (worker_t *self)
{
    /* Threads start here, not in worker_new, so main can daemonize (fork)
       after the plugins loaded and before any thread exists. */
    self->slots = (slot_t **) zmalloc (self->config->slots * sizeof (slot_t *));
    self->running = (slot_task_t *) zmalloc (self->config->slots * sizeof (slot_task_t));
    assert (self->slots && self->running);
    if (!(self->link = worker_link_new ()))
        return -1;
    for (unsigned i = 0; i < self->config->slots; i++)
        if (!(self->slots[i] = slot_new (self->config->max_result, self->config->isolation, s_on_slot_report,
                                         self)))
            return -1;
    pthread_mutex_lock (&self->lock);
    s_connect (self, 0);
    int64_t drain_deadline = 0;
    while (!self->refused) {
        int64_t now = zclock_mono ();
        if (zsys_interrupted && !self->draining) {
            /* SIGTERM: no new tasks; running ones may finish until the
               drain timeout, then go back to the broker. */
            self->draining = true;
            drain_deadline = now + self->config->drain_timeout_ms;
            ztask_log_info ("worker: %s draining: finishing running tasks (up to %u ms)", self->config->name,
                       self->config->drain_timeout_ms);
            ztask_msg_reset (self->out, ZTASK_MSG_DRAIN);
            s_send (self);
        }
        if (self->draining && (s_drained (self) || now >= drain_deadline))
            break;
        /* SIGTERM interrupts the wait (slot threads block it); the loop
           decides what it means. */
        int ready = s_wait (self, s_wait_ms (self, now));
        ztask_logfile_check ();
        /* A wait that timed out looks at the broker all the same: whatever
           a lost signal could hide waits no longer than that. */
        if (ready & (WORKER_LINK_MESSAGE | WORKER_LINK_TIMEOUT))
            s_from_broker (self);
        if (ready & WORKER_LINK_MONITOR)
            s_from_monitor (self);
        now = zclock_mono ();
        for (unsigned i = 0; i < self->config->slots; i++)
            slot_check_timeout (self->slots[i], now);
        if (ztask_endpoints_size (self->brokers) > 1)
            s_check_brokers (self, now);
        else
            s_check_only_broker (self, now);
        if (self->register_at && now >= self->register_at)
            s_register (self);
        else if (!self->register_at && now - worker_link_sent_at (self->link) >= (int64_t) self->heartbeat_ms) {
            ztask_msg_reset (self->out, ZTASK_MSG_HEARTBEAT);
            s_send (self);
        }
    }
    if (!self->refused) {
        /* Leaving: the broker requeues whatever still runs. */
        ztask_msg_reset (self->out, ZTASK_MSG_GOODBYE);
        s_send (self);
        worker_link_linger (self->link, 500); /* let GOODBYE leave before the socket goes */
    }
    self->closing = true;
    pthread_mutex_unlock (&self->lock);
    if (self->refused)
        return -1;
    for (unsigned i = 0; i < self->config->slots; i++)
        slot_cancel (self->slots[i], "the worker is stopping");
    ztask_log_info ("worker: %s stopped", self->config->name);
    return 0;
}
