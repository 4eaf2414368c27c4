/*  slot - runs one task at a time on its own thread. */
#include "slot.h"
#include "proto/ztask_msg.h"

#define PROGRESS_INTERVAL_MS 200 /* at most this often to the broker */

static const char s_timed_out[] = "timed out";

struct slot {
    zactor_t *actor;         /* the thread that runs plugins           */
    zsock_t *thread_pipe;    /* the actor's end; used on its thread    */
    size_t max_result;
    bool busy;               /* a task runs (owned by the thread)      */
    ztask_module_t *module;  /* plugin running the task                */
    zframe_t *payload;
    ztask_ctx_t ctx;         /* shared with the thread while busy      */
    int rc;                  /* what run returned                      */
    int64_t deadline;        /* monotonic ms; 0: none                  */
    uint32_t timeout_ms;
    const char *cancel_why;  /* set when the worker cancelled the task */
    int64_t progress_at;     /* last progress sent (thread side)       */
};

/* Progress sink: runs on the slot's thread, inside the plugin's run. */
static void
s_progress (void *arg, uint64_t done, uint64_t total, const char *text)
{
    slot_t *self = (slot_t *) arg;
    int64_t now = zclock_mono ();
    if (now - self->progress_at < PROGRESS_INTERVAL_MS && !(total && done >= total))
        return;
    self->progress_at = now;
    zsock_send (self->thread_pipe, "s88s", "PROGRESS", done, total, text ? text : "");
    /* Every message on the pipe has this picture; slot_recv reads it. */
}

static void
s_actor (zsock_t *pipe, void *args)
{
    slot_t *self = (slot_t *) args;
    self->thread_pipe = pipe;
    zsock_signal (pipe, 0);
    while (true) {
        char *command = zstr_recv (pipe);
        if (!command)
            break;
        bool term = streq (command, "$TERM");
        if (streq (command, "RUN")) {
            self->progress_at = 0;
            self->rc = ztask_module_run (self->module, &self->ctx);
            zsock_send (pipe, "s88s", "DONE", (uint64_t) 0, (uint64_t) 0, "");
        }
        zstr_free (&command);
        if (term)
            break;
    }
}

slot_t *
slot_new (size_t max_result, int isolation)
{
    slot_t *self = (slot_t *) zmalloc (sizeof (slot_t));
    assert (self);
    self->max_result = max_result;
    self->actor = zactor_new (s_actor, self);
    assert (self->actor);
    return self;
}

void
slot_destroy (slot_t **self_p)
{
    assert (self_p);
    slot_t *self = *self_p;
    if (self) {
        if (self->busy)
            slot_cancel (self, "the worker is stopping");
        zactor_destroy (&self->actor); /* waits for a running plugin to return */
        ztask_ctx_clear (&self->ctx);
        zframe_destroy (&self->payload);
        free (self);
        *self_p = NULL;
    }
}

zactor_t *
slot_actor (slot_t *self)
{
    return self->actor;
}

bool
slot_busy (slot_t *self)
{
    return self->busy;
}

uint64_t
slot_task_id (slot_t *self)
{
    return self->ctx.task_id;
}

void
slot_start (slot_t *self, ztask_module_t *module, uint64_t task_id, uint32_t attempt,
            zframe_t **payload_p, uint32_t timeout_ms)
{
    assert (!self->busy);
    ztask_ctx_clear (&self->ctx);
    zframe_destroy (&self->payload);
    self->payload = *payload_p;
    *payload_p = NULL;
    self->module = module;
    ztask_ctx_init (&self->ctx, task_id, attempt, zframe_data (self->payload),
                    zframe_size (self->payload), self->max_result);
    self->ctx.progress_fn = s_progress;
    self->ctx.progress_arg = self;
    self->timeout_ms = timeout_ms;
    self->deadline = timeout_ms ? zclock_mono () + timeout_ms : 0;
    self->cancel_why = NULL;
    self->busy = true;
    zstr_send (self->actor, "RUN");
}

void
slot_cancel (slot_t *self, const char *why)
{
    if (self->busy && !self->cancel_why) {
        self->cancel_why = why;
        atomic_store (&self->ctx.cancelled, 1);
    }
}

void
slot_check_timeout (slot_t *self, int64_t now)
{
    if (self->busy && self->deadline && now >= self->deadline)
        slot_cancel (self, s_timed_out);
}

void
slot_recv (slot_t *self, slot_event_t *event)
{
    memset (event, 0, sizeof *event);
    char *command = NULL, *text = NULL;
    if (zsock_recv (self->actor, "s88s", &command, &event->done, &event->total, &text) != 0)
        return;
    event->task_id = self->ctx.task_id;
    event->attempt = self->ctx.attempt;
    if (command && streq (command, "PROGRESS")) {
        event->kind = SLOT_PROGRESS;
        snprintf (event->text, sizeof event->text, "%s", text ? text : "");
    }
    else if (command && streq (command, "DONE")) {
        event->kind = SLOT_DONE;
        self->busy = false;
        if (self->cancel_why) {
            /* The worker stopped it: another attempt may succeed. */
            if (self->cancel_why == s_timed_out)
                snprintf (self->ctx.error, sizeof self->ctx.error, "timed out after %u ms",
                          self->timeout_ms);
            else
                snprintf (self->ctx.error, sizeof self->ctx.error, "%s", self->cancel_why);
            event->status = ZTASK_RESULT_RETRY;
        }
        else if (self->rc == ZTASK_OK)
            event->status = ZTASK_RESULT_OK;
        else
            event->status = self->ctx.retry ? ZTASK_RESULT_RETRY : ZTASK_RESULT_FAILED;
        event->error = self->ctx.error;
        event->result = self->ctx.result;
        event->result_size = self->ctx.result_size;
    }
    zstr_free (&command);
    zstr_free (&text);
}
