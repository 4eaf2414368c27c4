/*  worker - ztask-worker's runtime. See worker.h and docs/protocol.md. */
#include "worker.h"
#include "slot.h"
#include "proto/ztask_msg.h"

#define DEFAULT_HEARTBEAT_MS 1000
#define LIVENESS 3 /* missed broker heartbeats before reconnecting */

struct worker {
    worker_config_t *config;
    ztask_module_t *modules[WORKER_PLUGINS_MAX]; /* same order as config->plugins */
    slot_t **slots;
    zsock_t *broker;        /* DEALER to the broker                      */
    zpoller_t *poller;      /* broker socket and slot threads            */
    ztask_msg_t *in, *out;
    char host[256];
    bool registered;        /* REGISTERED received on this connection    */
    unsigned heartbeat_ms;
    int64_t heard_at;       /* last message from the broker (monotonic)  */
    int64_t sent_at;        /* last message to the broker                */
    bool refused;           /* the broker refused the registration       */
};

worker_t *
worker_new (worker_config_t *config, char *error, size_t error_size)
{
    worker_t *self = (worker_t *) zmalloc (sizeof (worker_t));
    assert (self);
    self->config = config;
    for (size_t i = 0; i < config->plugin_count; i++) {
        worker_plugin_config_t *p = &config->plugins[i];
        self->modules[i] = ztask_module_load (p->file, p->name, &p->settings, error, error_size);
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
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->broker);
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
    m->plugin_count = self->config->plugin_count;
    for (size_t i = 0; i < self->config->plugin_count; i++) {
        const ztask_plugin_t *plugin = ztask_module_plugin (self->modules[i]);
        ztask_msg_strcpy (m->plugins[i].name, plugin->name);
        ztask_msg_strcpy (m->plugins[i].version, plugin->version);
    }
    self->registered = false;
    s_send (self);
}

/* (Re)connects to the broker with a fresh socket and registers. */
static void
s_connect (worker_t *self)
{
    if (self->broker) {
        zpoller_remove (self->poller, self->broker);
        zsock_destroy (&self->broker);
    }
    self->broker = zsock_new (ZMQ_DEALER);
    assert (self->broker);
    zsock_set_linger (self->broker, 0);
    zsock_set_rcvtimeo (self->broker, 0);
    zsock_set_sndtimeo (self->broker, 0);
    if (zsock_connect (self->broker, "%s", self->config->broker) != 0)
        zsys_error ("worker: cannot connect to %s: %s", self->config->broker, zmq_strerror (zmq_errno ()));
    zpoller_add (self->poller, self->broker);
    self->heard_at = zclock_mono ();
    s_register (self);
}

static void
s_result (worker_t *self, uint64_t task_id, uint32_t attempt, int status, const char *error,
          const void *result, size_t size)
{
    ztask_msg_t *m = self->out;
    ztask_msg_reset (m, ZTASK_MSG_RESULT);
    m->task_id = task_id;
    m->attempt = attempt;
    m->status = (uint8_t) status;
    ztask_msg_strcpy (m->error, error);
    ztask_msg_set_body (m, result, result ? size : 0);
    s_send (self);
}

static void
s_on_task (worker_t *self, ztask_msg_t *in)
{
    ztask_module_t *module = NULL;
    for (size_t i = 0; i < self->config->plugin_count && !module; i++)
        if (streq (self->config->plugins[i].name, in->type))
            module = self->modules[i];
    slot_t *slot = NULL;
    for (unsigned i = 0; i < self->config->slots && !slot; i++)
        if (!slot_busy (self->slots[i]))
            slot = self->slots[i];
    if (!module) {
        char error[300];
        snprintf (error, sizeof error, "worker %s has no plugin '%s'", self->config->name, in->type);
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_RETRY, error, NULL, 0);
        return;
    }
    if (!slot) {
        zsys_warning ("worker: task %" PRIu64 " arrived with every slot busy; handed back", in->task_id);
        s_result (self, in->task_id, in->attempt, ZTASK_RESULT_RETRY, "no free slot", NULL, 0);
        return;
    }
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
            break;
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
    else if (event.kind == SLOT_DONE)
        s_result (self, event.task_id, event.attempt, event.status, event.error, event.result,
                  event.result_size);
}

int
worker_run (worker_t *self)
{
    /* Threads start here, not in worker_new, so main can daemonize (fork)
       after the plugins loaded and before any thread exists. */
    self->slots = (slot_t **) zmalloc (self->config->slots * sizeof (slot_t *));
    assert (self->slots);
    self->poller = zpoller_new (NULL);
    for (unsigned i = 0; i < self->config->slots; i++) {
        self->slots[i] = slot_new (self->config->max_result, self->config->isolation);
        zpoller_add (self->poller, slot_actor (self->slots[i]));
    }
    s_connect (self);
    while (!zsys_interrupted && !self->refused) {
        void *which = zpoller_wait (self->poller, (int) self->heartbeat_ms / 2);
        if (!which && zpoller_terminated (self->poller))
            break;
        if (which == self->broker)
            s_from_broker (self);
        else if (which)
            for (unsigned i = 0; i < self->config->slots; i++)
                if (which == slot_actor (self->slots[i]))
                    s_from_slot (self, self->slots[i]);
        int64_t now = zclock_mono ();
        for (unsigned i = 0; i < self->config->slots; i++)
            slot_check_timeout (self->slots[i], now);
        if (now - self->heard_at > (int64_t) self->heartbeat_ms * LIVENESS) {
            zsys_warning ("worker: no word from the broker at %s for %d ms: reconnecting",
                          self->config->broker, (int) (now - self->heard_at));
            s_connect (self);
        }
        else if (now - self->sent_at >= (int64_t) self->heartbeat_ms) {
            ztask_msg_reset (self->out, ZTASK_MSG_HEARTBEAT);
            s_send (self);
        }
    }
    if (self->refused)
        return -1;
    /* Leaving: the broker requeues what we were running. */
    ztask_msg_reset (self->out, ZTASK_MSG_GOODBYE);
    s_send (self);
    for (unsigned i = 0; i < self->config->slots; i++)
        slot_cancel (self->slots[i], "the worker is stopping");
    zsys_info ("worker: %s stopping", self->config->name);
    return 0;
}
