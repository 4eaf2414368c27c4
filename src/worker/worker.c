/*  worker - ztask-worker's runtime. See worker.h and docs/protocol.md. */
#include "worker.h"
#include "slot.h"
#include "common/ztask_cert.h"
#include "common/ztask_logfile.h"
#include "proto/ztask_msg.h"

#define DEFAULT_HEARTBEAT_MS 1000
#define LIVENESS 3 /* missed broker heartbeats before reconnecting */
#define RECONNECT_MAX_MS 10000

/* A result sent but not yet acknowledged: re-sent after a reconnect. */
typedef struct {
    uint64_t task_id;
    uint32_t attempt;
    uint8_t status;
    char error[ZTASK_STRING_MAX + 1];
    zframe_t *result;
} pending_result_t;

/* What a slot runs, as the broker knows it. */
typedef struct {
    uint64_t task_id; /* 0: idle */
    uint32_t attempt;
} slot_task_t;

struct worker {
    worker_config_t *config;
    ztask_module_t *modules[WORKER_PLUGINS_MAX]; /* same order as config->plugins */
    slot_t **slots;
    slot_task_t *running;   /* per slot: the task it runs               */
    zlistx_t *pending;      /* pending_result_t, oldest first           */
    char instance[ZTASK_STRING_MAX + 1]; /* this process's id for the broker */
    int64_t reconnect_ms;   /* silence tolerated before reconnecting    */
    zsock_t *broker;        /* DEALER to the broker                      */
    zsock_t *monitor;       /* the DEALER's handshake events             */
    unsigned connections;   /* sockets made so far, to name monitors     */
    unsigned handshake;     /* HANDSHAKE_* failures logged since the last
                               handshake that succeeded                  */
    zpoller_t *poller;      /* broker socket and slot threads            */
    ztask_msg_t *in, *out;
    char host[256];
    bool registered;        /* REGISTERED received on this connection    */
    unsigned heartbeat_ms;
    int64_t heard_at;       /* last message from the broker (monotonic)  */
    int64_t sent_at;        /* last message to the broker                */
    bool refused;           /* the broker refused the registration       */
    bool draining;          /* stopping: takes no new tasks              */
};

static void s_disconnect (worker_t *self);

static void
s_pending_destroy (void **item)
{
    pending_result_t *pending = (pending_result_t *) *item;
    zframe_destroy (&pending->result);
    free (pending);
    *item = NULL;
}

worker_t *
worker_new (worker_config_t *config, char *error, size_t error_size)
{
    worker_t *self = (worker_t *) zmalloc (sizeof (worker_t));
    assert (self);
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
        zsys_info ("worker: loaded plugin %s %s from %s", plugin->name, plugin->version, p->file);
    }
    self->in = ztask_msg_new ();
    self->out = ztask_msg_new ();
    self->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
    self->reconnect_ms = DEFAULT_HEARTBEAT_MS * LIVENESS;
    zuuid_t *uuid = zuuid_new ();
    ztask_msg_strcpy (self->instance, zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    self->pending = zlistx_new ();
    zlistx_set_destructor (self->pending, s_pending_destroy);
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
        if (self->slots)
            for (unsigned i = 0; i < self->config->slots; i++)
                slot_destroy (&self->slots[i]);
        free (self->slots);
        free (self->running);
        zlistx_destroy (&self->pending);
        s_disconnect (self);
        zpoller_destroy (&self->poller);
        for (size_t i = 0; i < self->config->plugin_count; i++)
            ztask_module_destroy (&self->modules[i]);
        ztask_msg_destroy (&self->in);
        ztask_msg_destroy (&self->out);
        free (self);
        *self_p = NULL;
    }
}

static void
s_send (worker_t *self)
{
    if (ztask_msg_send (self->out, self->broker) == 0)
        self->sent_at = zclock_mono ();
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
    /* Tasks still running stay ours: the broker must not start them again. */
    m->running_count = 0;
    for (unsigned i = 0; i < self->config->slots && self->running; i++)
        if (self->running[i].task_id) {
            m->running[m->running_count].task_id = self->running[i].task_id;
            m->running[m->running_count].attempt = self->running[i].attempt;
            m->running_count++;
        }
    self->registered = false;
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
    memcpy (m->error, pending->error, sizeof m->error);
    m->body = pending->result; /* borrowed for the send */
    s_send (self);
    m->body = NULL;
}

/* Watches the DEALER's handshakes, so a broker that refuses our key (or
   speaks plain TCP when we want CURVE, or the other way round) is named
   in the log rather than showing only as silence. The loop reads every
   event as it comes: libzmq's I/O thread sends them with a blocking send,
   so an unread monitor would in the end stall every socket we have. */
static void
s_monitor_start (worker_t *self)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://ztask-worker-monitor-%p-%u", (void *) self,
              ++self->connections);
    int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor (zsock_resolve (self->broker), endpoint, events) != 0)
        return; /* only the log is poorer for it */
    self->monitor = zsock_new_pair (endpoint); /* '>' is the default for PAIR: connects */
    if (self->monitor)
        zpoller_add (self->poller, self->monitor);
    else
        zmq_socket_monitor (zsock_resolve (self->broker), NULL, 0);
}

/* Closes the DEALER and its monitor: the monitor stops before its reader
   closes, else libzmq's I/O thread could block for good on an event no
   one will read. */
static void
s_disconnect (worker_t *self)
{
    if (self->monitor) {
        zmq_socket_monitor (zsock_resolve (self->broker), NULL, 0);
        if (self->poller)
            zpoller_remove (self->poller, self->monitor);
        zsock_destroy (&self->monitor);
    }
    if (self->broker) {
        if (self->poller)
            zpoller_remove (self->poller, self->broker);
        zsock_destroy (&self->broker);
    }
}

/* Kinds of handshake failure, as bits of worker_t.handshake. */
#define HANDSHAKE_REFUSED 1   /* ZAP said no: our key is not allowed        */
#define HANDSHAKE_MISMATCH 2  /* one side CURVE, the other plain            */
#define HANDSHAKE_CLOSED 4    /* the broker hung up: a wrong broker key, or
                                 plain TCP to a CURVE broker, said no more  */
#define HANDSHAKE_OTHER 8

/* Logs a handshake failure, each kind once until a handshake succeeds
   (libzmq retries every 100 ms or so). */
static void
s_from_monitor (worker_t *self)
{
    uint16_t event;
    uint32_t value;
    if (ztask_monitor_event (self->monitor, &event, &value) != 0)
        return;
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (self->handshake)
            zsys_info ("worker: handshake with the broker at %s succeeded", self->config->broker);
        self->handshake = 0;
        return;
    }
    unsigned kind = event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? HANDSHAKE_REFUSED
                    : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                        ? HANDSHAKE_MISMATCH
                    : event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ? HANDSHAKE_CLOSED
                                                                    : HANDSHAKE_OTHER;
    if (self->handshake & kind)
        return;
    self->handshake |= kind;
    const char *broker = self->config->broker;
    zcert_t *cert = self->config->curve_cert;
    if (kind == HANDSHAKE_REFUSED)
        zsys_error ("worker: the broker at %s refused this worker's key %s (ZAP status %u): put this "
                    "worker's public certificate (NAME.key) in the broker's allow/workers directory",
                    broker, cert ? zcert_public_txt (cert) : "(none)", value);
    else if (kind == HANDSHAKE_MISMATCH && cert)
        zsys_error ("worker: the broker at %s does not use CURVE, but this worker's config sets 'curve'",
                    broker);
    else if (kind == HANDSHAKE_MISMATCH)
        zsys_error ("worker: the broker at %s requires CURVE: set curve = { secret = ...; broker = ...; } in "
                    "this worker's config (docs/security.md)",
                    broker);
    else if (kind == HANDSHAKE_CLOSED)
        zsys_error ("worker: the broker at %s closed the connection during the handshake (%s): %s", broker,
                    zmq_strerror ((int) value),
                    cert ? "is curve.broker this broker's public certificate?"
                         : "does it require CURVE? (then set curve = { ... } in this worker's config, "
                           "docs/security.md)");
    else
        zsys_error ("worker: the handshake with the broker at %s failed (libzmq event 0x%x, error 0x%x)",
                    broker, event, value);
}

/* (Re)connects to the broker with a fresh socket and registers. */
static void
s_connect (worker_t *self)
{
    s_disconnect (self);
    self->broker = zsock_new (ZMQ_DEALER);
    assert (self->broker);
    zsock_set_linger (self->broker, 0);
    zsock_set_rcvtimeo (self->broker, 0);
    zsock_set_sndtimeo (self->broker, 0);
    if (self->config->curve_cert) {
        /* Our keys, and the broker's public key to check it by. */
        zcert_apply (self->config->curve_cert, self->broker);
        zsock_set_curve_serverkey (self->broker, self->config->curve_broker_key);
    }
    s_monitor_start (self);
    if (zsock_connect (self->broker, "%s", self->config->broker) != 0)
        zsys_error ("worker: cannot connect to %s: %s", self->config->broker, zmq_strerror (zmq_errno ()));
    zpoller_add (self->poller, self->broker);
    self->heard_at = zclock_mono ();
    s_register (self);
}

/* Sends a result and keeps it until the broker acknowledges it. */
static void
s_result (worker_t *self, uint64_t task_id, uint32_t attempt, int status, const char *error,
          const void *result, size_t size)
{
    pending_result_t *pending = (pending_result_t *) zmalloc (sizeof (pending_result_t));
    assert (pending);
    pending->task_id = task_id;
    pending->attempt = attempt;
    pending->status = (uint8_t) status;
    ztask_msg_strcpy (pending->error, error);
    pending->result = zframe_new (result, result ? size : 0);
    zlistx_add_end (self->pending, pending);
    s_send_result (self, pending);
}

static void
s_on_result_ack (worker_t *self, ztask_msg_t *in)
{
    for (pending_result_t *p = (pending_result_t *) zlistx_first (self->pending); p;
         p = (pending_result_t *) zlistx_next (self->pending))
        if (p->task_id == in->task_id && p->attempt == in->attempt) {
            zlistx_delete (self->pending, zlistx_cursor (self->pending));
            return;
        }
}

static void
s_on_cancel_task (worker_t *self, ztask_msg_t *in)
{
    for (unsigned i = 0; i < self->config->slots; i++)
        if (self->running[i].task_id == in->task_id && self->running[i].attempt == in->attempt) {
            zsys_info ("worker: stopping task %" PRIu64 " as the broker asked", in->task_id);
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
        if (!slot_busy (self->slots[i])) {
            slot = self->slots[i];
            index = i;
        }
    if (!module) {
        char error[300];
        snprintf (error, sizeof error, "worker %s has no plugin '%s'", self->config->name, in->type);
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_RETRY, error, NULL, 0);
        return;
    }
    if (!slot || self->draining) {
        zsys_warning ("worker: task %" PRIu64 " arrived %s; handed back", in->task_id,
                      slot ? "while draining" : "with every slot busy");
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_RETRY,
                  slot ? "the worker is stopping" : "no free slot", NULL, 0);
        return;
    }
    self->running[index].task_id = in->task_id;
    self->running[index].attempt = in->attempt;
    zframe_t *payload = in->body ? in->body : zframe_new (NULL, 0);
    in->body = NULL;
    slot_start (slot, module, in->task_id, in->attempt, &payload, in->timeout_ms);
}

static void
s_from_broker (worker_t *self)
{
    while (true) {
        int rc = ztask_msg_recv (self->in, self->broker, false);
        if (rc == -1)
            return; /* nothing more */
        self->heard_at = zclock_mono ();
        if (rc != 0) {
            zsys_warning ("worker: dropped a malformed message from the broker");
            continue;
        }
        ztask_msg_t *in = self->in;
        switch (in->command) {
        case ZTASK_MSG_REGISTERED:
            if (!self->registered)
                zsys_info ("worker: %s registered with the broker at %s", self->config->name,
                           self->config->broker);
            self->registered = true;
            if (in->heartbeat_ms >= 50 && in->heartbeat_ms <= 60000)
                self->heartbeat_ms = in->heartbeat_ms;
            self->reconnect_ms = (int64_t) self->heartbeat_ms * LIVENESS;
            /* Results the broker may not have: it ignores those it has. */
            for (pending_result_t *p = (pending_result_t *) zlistx_first (self->pending); p;
                 p = (pending_result_t *) zlistx_next (self->pending))
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
            if (in->error_status == ZTASK_ERR_NOT_REGISTERED) {
                zsys_info ("worker: the broker does not know us (restarted?): registering again");
                s_register (self);
            }
            else if (!self->registered && in->error_status == ZTASK_ERR_BAD_REQUEST) {
                zsys_error ("worker: the broker refused the registration: %s", in->text);
                self->refused = true;
            }
            else
                zsys_warning ("worker: broker error: %s: %s", ztask_msg_error_name (in->error_status),
                              in->text);
            break;
        default:
            zsys_warning ("worker: unexpected %s from the broker", ztask_msg_command_name (in->command));
        }
    }
}

static void
s_from_slot (worker_t *self, slot_t *slot)
{
    slot_event_t event;
    slot_recv (slot, &event);
    if (event.kind == SLOT_PROGRESS) {
        ztask_msg_t *m = self->out;
        ztask_msg_reset (m, ZTASK_MSG_WORKER_PROGRESS);
        m->task_id = event.task_id;
        m->attempt = event.attempt;
        m->progress_done = event.done;
        m->progress_total = event.total;
        ztask_msg_strcpy (m->text, event.text);
        s_send (self);
    }
    else if (event.kind == SLOT_DONE) {
        for (unsigned i = 0; i < self->config->slots; i++)
            if (self->slots[i] == slot)
                self->running[i].task_id = 0;
        s_result (self, event.task_id, event.attempt, event.status, event.error, event.result,
                  event.result_size);
    }
}

/* True once nothing runs and every result is acknowledged. */
static bool
s_drained (worker_t *self)
{
    for (unsigned i = 0; i < self->config->slots; i++)
        if (slot_busy (self->slots[i]))
            return false;
    return zlistx_size (self->pending) == 0;
}

int
worker_run (worker_t *self)
{
    /* Threads start here, not in worker_new, so main can daemonize (fork)
       after the plugins loaded and before any thread exists. */
    self->slots = (slot_t **) zmalloc (self->config->slots * sizeof (slot_t *));
    self->running = (slot_task_t *) zmalloc (self->config->slots * sizeof (slot_task_t));
    assert (self->slots && self->running);
    self->poller = zpoller_new (NULL);
    zpoller_set_nonstop (self->poller, true); /* SIGTERM drains; the loop decides */
    for (unsigned i = 0; i < self->config->slots; i++) {
        self->slots[i] = slot_new (self->config->max_result, self->config->isolation);
        zpoller_add (self->poller, slot_actor (self->slots[i]));
    }
    s_connect (self);
    int64_t drain_deadline = 0;
    while (!self->refused) {
        int64_t now = zclock_mono ();
        if (zsys_interrupted && !self->draining) {
            /* SIGTERM: no new tasks; running ones may finish until the
               drain timeout, then go back to the broker. */
            self->draining = true;
            drain_deadline = now + self->config->drain_timeout_ms;
            zsys_info ("worker: %s draining: finishing running tasks (up to %u ms)", self->config->name,
                       self->config->drain_timeout_ms);
            ztask_msg_reset (self->out, ZTASK_MSG_DRAIN);
            s_send (self);
        }
        if (self->draining && (s_drained (self) || now >= drain_deadline))
            break;
        void *which = zpoller_wait (self->poller, (int) self->heartbeat_ms / 2);
        ztask_logfile_check ();
        if (which == self->broker)
            s_from_broker (self);
        else if (which && which == self->monitor)
            s_from_monitor (self);
        else if (which)
            for (unsigned i = 0; i < self->config->slots; i++)
                if (which == slot_actor (self->slots[i]))
                    s_from_slot (self, self->slots[i]);
        now = zclock_mono ();
        for (unsigned i = 0; i < self->config->slots; i++)
            slot_check_timeout (self->slots[i], now);
        if (now - self->heard_at > self->reconnect_ms) {
            zsys_warning ("worker: no word from the broker at %s for %d ms: reconnecting",
                          self->config->broker, (int) (now - self->heard_at));
            s_connect (self);
            /* Back off while the broker stays away. */
            self->reconnect_ms = self->reconnect_ms * 2 < RECONNECT_MAX_MS ? self->reconnect_ms * 2
                                                                            : RECONNECT_MAX_MS;
        }
        else if (now - self->sent_at >= (int64_t) self->heartbeat_ms) {
            ztask_msg_reset (self->out, ZTASK_MSG_HEARTBEAT);
            s_send (self);
        }
    }
    if (self->refused)
        return -1;
    /* Leaving: the broker requeues whatever still runs. */
    ztask_msg_reset (self->out, ZTASK_MSG_GOODBYE);
    s_send (self);
    zsock_set_linger (self->broker, 500); /* let GOODBYE leave before the socket goes */
    for (unsigned i = 0; i < self->config->slots; i++)
        slot_cancel (self->slots[i], "the worker is stopping");
    zsys_info ("worker: %s stopped", self->config->name);
    return 0;
}
