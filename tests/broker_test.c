/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_test - the broker in this process, driven round by round with
    broker_poll, spoken to over the wire codec by DEALER sockets playing
    workers and clients (as czmq's and malamute's selftests do). No timers
    to race: each step polls the broker until the answer it waits for has
    arrived, with a generous deadline for a stalled machine.
*/
#include "tap.h"
#include "broker/broker.h"
#include "proto/ztask_msg.h"
#include "ztask/client.h"

#include <jansson.h>

#define ROUNDS_MAX 2000 /* broker rounds of up to 5 ms each: 10 s */

static broker_t *s_broker;
static char s_dir[] = "/tmp/ztask-broker-test.XXXXXX";
static broker_config_t s_config;
static const char *s_listen = "tcp://127.0.0.1:*";

static void
s_broker_start (size_t max_queued)
{
    broker_config_init (&s_config);
    free (s_config.endpoints[0]);
    s_config.endpoints[0] = strdup (s_listen);
    s_config.endpoint_count = 1;
    free (s_config.store);
    s_config.store = zsys_sprintf ("%s/ztask.db", s_dir);
    s_config.heartbeat_ms = 60000; /* no heartbeat traffic to skip over */
    s_config.max_queued = max_queued;
    s_broker = broker_new (&s_config);
    assert (s_broker);
}

static void
s_broker_stop (void)
{
    broker_destroy (&s_broker);
    broker_config_free (&s_config);
    char *db = zsys_sprintf ("%s/ztask.db", s_dir);
    char *wal = zsys_sprintf ("%s-wal", db), *shm = zsys_sprintf ("%s-shm", db);
    remove (db);
    remove (wal);
    remove (shm);
    zstr_free (&db);
    zstr_free (&wal);
    zstr_free (&shm);
}

static zsock_t *
s_peer (void)
{
    zsock_t *peer = zsock_new_dealer (broker_endpoint (s_broker, 0));
    assert (peer);
    zsock_set_rcvtimeo (peer, 0);
    return peer;
}

static void
s_send (zsock_t *peer, ztask_msg_t *msg)
{
    int rc = ztask_msg_send (msg, peer);
    assert (rc == 0);
}

/* Runs the broker until peer receives a message of command (skipping
   HEARTBEATs and, unless asked for, PROGRESS); fills msg. Returns 0, or -1
   when none came within the deadline. */
static int
s_expect (zsock_t *peer, int command, ztask_msg_t *msg)
{
    for (int round = 0; round < ROUNDS_MAX; round++) {
        broker_poll (s_broker, 5);
        while (zsock_events (peer) & ZMQ_POLLIN) {
            if (ztask_msg_recv (msg, peer, false) != 0)
                continue;
            if (msg->command == command)
                return 0;
            if (msg->command != ZTASK_MSG_HEARTBEAT && msg->command != ZTASK_MSG_PROGRESS)
                printf ("#   waiting for %s, got %s (%s)\n", ztask_msg_command_name (command),
                        ztask_msg_command_name (msg->command), msg->text);
        }
    }
    printf ("#   no %s arrived\n", ztask_msg_command_name (command));
    return -1;
}

/* A REGISTER with the given plugins (NULL-terminated) and running tasks. */
static void
s_register (zsock_t *worker, ztask_msg_t *msg, const char *instance, const char **plugins,
            const ztask_msg_running_t *running, size_t running_count)
{
    ztask_msg_reset (msg, ZTASK_MSG_REGISTER);
    ztask_msg_strcpy (msg->name, "w");
    ztask_msg_strcpy (msg->host, "test");
    ztask_msg_strcpy (msg->instance, instance);
    msg->slots = 2;
    msg->priorities = 0x3FF;
    msg->plugin_count = 0;
    for (; plugins[msg->plugin_count]; msg->plugin_count++) {
        ztask_msg_strcpy (msg->plugins[msg->plugin_count].name, plugins[msg->plugin_count]);
        ztask_msg_strcpy (msg->plugins[msg->plugin_count].version, "1.0");
    }
    msg->running_count = running_count;
    for (size_t i = 0; i < running_count; i++)
        msg->running[i] = running[i];
    s_send (worker, msg);
}

/* Submits a task with at most max_attempts (0: the broker's default);
   returns its id (0 if refused: msg holds the ERROR). */
static uint64_t
s_submit_attempts (zsock_t *client, ztask_msg_t *msg, const char *type, const char *key,
                   uint32_t max_attempts)
{
    static uint32_t corr;
    ztask_msg_reset (msg, ZTASK_MSG_SUBMIT);
    msg->corr = ++corr;
    ztask_msg_strcpy (msg->type, type);
    ztask_msg_strcpy (msg->key, key ? key : "");
    msg->max_attempts = max_attempts;
    msg->priority = 4;
    ztask_msg_set_body (msg, "p", 1);
    s_send (client, msg);
    for (int round = 0; round < ROUNDS_MAX; round++) {
        broker_poll (s_broker, 5);
        if ((zsock_events (client) & ZMQ_POLLIN) && ztask_msg_recv (msg, client, false) == 0)
            return msg->command == ZTASK_MSG_SUBMITTED ? msg->task_id : 0;
    }
    return 0;
}

/* Submits a task due at due_ms (wall clock; 0: now); returns its id (0
   if refused: msg holds the ERROR). */
static uint64_t
s_submit_due (zsock_t *client, ztask_msg_t *msg, const char *type, int64_t due_ms)
{
    static uint32_t corr = 100000;
    ztask_msg_reset (msg, ZTASK_MSG_SUBMIT);
    msg->corr = ++corr;
    ztask_msg_strcpy (msg->type, type);
    msg->priority = 4;
    msg->due_ms = due_ms;
    ztask_msg_set_body (msg, "p", 1);
    s_send (client, msg);
    for (int round = 0; round < ROUNDS_MAX; round++) {
        broker_poll (s_broker, 5);
        if ((zsock_events (client) & ZMQ_POLLIN) && ztask_msg_recv (msg, client, false) == 0)
            return msg->command == ZTASK_MSG_SUBMITTED ? msg->task_id : 0;
    }
    return 0;
}

static uint64_t
s_submit (zsock_t *client, ztask_msg_t *msg, const char *type, const char *key)
{
    return s_submit_attempts (client, msg, type, key, 0);
}

/* TASK_INFO of a task, asked on peer's connection. */
static int
s_status (zsock_t *peer, ztask_msg_t *msg, uint64_t id)
{
    ztask_msg_reset (msg, ZTASK_MSG_STATUS);
    msg->task_id = id;
    s_send (peer, msg);
    return s_expect (peer, ZTASK_MSG_TASK_INFO, msg);
}

/* The broker's stats (or workers) document. */
static json_t *
s_report (zsock_t *client, ztask_msg_t *msg, int command)
{
    ztask_msg_reset (msg, command);
    s_send (client, msg);
    if (s_expect (client, ZTASK_MSG_JSON, msg) != 0 || !msg->body)
        return NULL;
    return json_loadb ((const char *) zframe_data (msg->body), zframe_size (msg->body), 0, NULL);
}

/* Field of one type's entry in stats, or -1 when stats does not list it. */
static json_int_t
s_type_stat (zsock_t *client, ztask_msg_t *msg, const char *type, const char *field)
{
    json_t *stats = s_report (client, msg, ZTASK_MSG_STATS);
    json_int_t value = -1;
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (stats, "types"), i, entry)
        if (streq (json_string_value (json_object_get (entry, "type")), type))
            value = json_integer_value (json_object_get (entry, field));
    json_decref (stats);
    return value;
}

/* A worker that registers again (same socket, or a new socket of the same
   process) must keep working for every plugin, including those with no
   task: forgetting its first registration leaves those types unused, and
   the broker once freed them while it still held them (a crash loop on
   restart). */
static void
s_test_register_again (bool new_socket)
{
    const char *mode = new_socket ? "new socket" : "same socket";
    s_broker_start (1000);
    zsock_t *worker = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    const char *plugins[] = { "echo", "sleep", NULL };
    s_register (worker, msg, "instance-1", plugins, NULL, 0);
    TAP_OK (s_expect (worker, ZTASK_MSG_REGISTERED, msg) == 0, "%s: the worker registers", mode);
    if (new_socket) {
        zsock_destroy (&worker);
        worker = s_peer ();
    }
    s_register (worker, msg, "instance-1", plugins, NULL, 0);
    TAP_OK (s_expect (worker, ZTASK_MSG_REGISTERED, msg) == 0, "%s: it registers again", mode);
    TAP_OK (s_type_stat (client, msg, "sleep", "workers") == 1,
            "%s: its plugins without a task still count it", mode);
    for (int round = 0; round < 3; round++) { /* a few collections go by */
        s_register (worker, msg, "instance-1", plugins, NULL, 0);
        s_expect (worker, ZTASK_MSG_REGISTERED, msg);
    }
    uint64_t id = s_submit (client, msg, "sleep", NULL);
    TAP_OK (id > 0, "%s: a task of such a plugin is accepted", mode);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id && streq (msg->type, "sleep"),
            "%s: and the worker gets it", mode);
    id = s_submit (client, msg, "echo", NULL);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id && streq (msg->type, "echo"),
            "%s: so does one of its other plugin", mode);
    ztask_msg_destroy (&msg);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* A broker restarted while a task ran: the worker re-registers with it
   running and with other plugins idle, twice (a reconnect racing its
   first REGISTER); the task stays on it and ends done. */
static void
s_test_register_after_restart (void)
{
    s_broker_start (1000);
    zsock_t *worker = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    const char *plugins[] = { "echo", "sleep", "wordcount", NULL };
    s_register (worker, msg, "instance-2", plugins, NULL, 0);
    s_expect (worker, ZTASK_MSG_REGISTERED, msg);
    uint64_t id = s_submit (client, msg, "sleep", NULL);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id, "restart: the task runs");
    uint32_t attempt = msg->attempt;
    zsock_destroy (&worker);
    zsock_destroy (&client);
    /* The broker's machine reboots: only the store is left. */
    broker_destroy (&s_broker);
    s_broker = broker_new (&s_config);
    assert (s_broker);
    worker = s_peer ();
    client = s_peer ();
    ztask_msg_running_t running = { id, attempt };
    s_register (worker, msg, "instance-2", plugins, &running, 1);
    s_register (worker, msg, "instance-2", plugins, &running, 1);
    TAP_OK (s_expect (worker, ZTASK_MSG_REGISTERED, msg) == 0, "restart: the worker registers");
    TAP_OK (s_expect (worker, ZTASK_MSG_REGISTERED, msg) == 0, "restart: and again");
    TAP_OK (s_type_stat (client, msg, "wordcount", "workers") == 1
                && s_type_stat (client, msg, "sleep", "running") == 1,
            "restart: it keeps its running task and its idle plugins");
    ztask_msg_reset (msg, ZTASK_MSG_RESULT);
    msg->task_id = id;
    msg->attempt = attempt;
    msg->status = ZTASK_RESULT_OK;
    ztask_msg_set_body (msg, "slept", 5);
    s_send (worker, msg);
    TAP_OK (s_expect (worker, ZTASK_MSG_RESULT_ACK, msg) == 0, "restart: its result is acknowledged");
    ztask_msg_reset (msg, ZTASK_MSG_STATUS);
    msg->task_id = id;
    s_send (client, msg);
    TAP_OK (s_expect (client, ZTASK_MSG_TASK_INFO, msg) == 0 && msg->state == ZTASK_STATE_DONE
                && msg->attempt == attempt,
            "restart: the task is done, on its first attempt");
    ztask_msg_destroy (&msg);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* Delayed tasks: scheduled (not dispatched, not queued) until due, with a
   free worker there; then queued and dispatched, not before their due
   time; recovered as scheduled after a restart; cancelled like a queued
   one; a bad due time refused. */
static void
s_test_delayed (void)
{
    s_broker_start (1000);
    zsock_t *worker = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    const char *plugins[] = { "echo", NULL };
    s_register (worker, msg, "instance-d", plugins, NULL, 0);
    TAP_OK (s_expect (worker, ZTASK_MSG_REGISTERED, msg) == 0, "delayed: a worker with two free slots");
    int64_t hour = zclock_time () + 3600 * 1000;
    uint64_t far = s_submit_due (client, msg, "echo", hour);
    TAP_OK (far > 0, "delayed: a task due in an hour is accepted");
    for (int i = 0; i < 20; i++)
        broker_poll (s_broker, 5);
    TAP_OK (!(zsock_events (worker) & ZMQ_POLLIN), "delayed: it is not dispatched to the free worker");
    TAP_OK (s_status (client, msg, far) == 0 && msg->state == ZTASK_STATE_SCHEDULED && msg->due_ms == hour,
            "delayed: STATUS says scheduled, with its due_ms");
    json_t *stats = s_report (client, msg, ZTASK_MSG_STATS);
    TAP_OK (stats && json_integer_value (json_object_get (stats, "scheduled")) == 1
                && json_integer_value (json_object_get (stats, "queued")) == 0
                && json_integer_value (json_object_get (stats, "retrying")) == 0,
            "delayed: stats count it as scheduled, not queued or retrying");
    json_decref (stats);

    int64_t soon = zclock_time () + 200;
    uint64_t id = s_submit_due (client, msg, "echo", soon);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id, "delayed: a task due soon is dispatched");
    TAP_OK (s_status (client, msg, id) == 0 && msg->state == ZTASK_STATE_RUNNING && msg->started_ms >= soon
                && msg->due_ms == soon,
            "delayed: not before its due time");
    uint64_t past = s_submit_due (client, msg, "echo", zclock_time () - 60000);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == past,
            "delayed: a due time in the past runs at once");
    TAP_OK (s_status (client, msg, past) == 0 && msg->due_ms == 0, "delayed: as a task that was not delayed");
    TAP_OK (s_submit_due (client, msg, "echo", -5) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST,
            "delayed: a negative due_ms is refused: %s", msg->text);
    TAP_OK (s_submit_due (client, msg, "echo", INT64_MAX) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST,
            "delayed: one over 100 years ahead too: %s", msg->text);

    /* A restart: the scheduled task comes back scheduled. */
    zsock_destroy (&worker);
    zsock_destroy (&client);
    broker_destroy (&s_broker);
    s_broker = broker_new (&s_config);
    assert (s_broker);
    client = s_peer ();
    TAP_OK (s_status (client, msg, far) == 0 && msg->state == ZTASK_STATE_SCHEDULED && msg->due_ms == hour,
            "delayed: after a restart it is scheduled, due at the same time");
    ztask_msg_reset (msg, ZTASK_MSG_CANCEL);
    msg->task_id = far;
    s_send (client, msg);
    TAP_OK (s_expect (client, ZTASK_MSG_TASK_INFO, msg) == 0 && msg->state == ZTASK_STATE_CANCELLED,
            "delayed: CANCEL ends it cancelled");
    stats = s_report (client, msg, ZTASK_MSG_STATS);
    TAP_OK (stats && json_integer_value (json_object_get (stats, "scheduled")) == 0,
            "delayed: and it is no longer counted");
    json_decref (stats);
    ztask_msg_destroy (&msg);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* A refused registration and a type named only by a refused submit leave
   no type behind once the round is over. */
static void
s_test_types_collected (void)
{
    s_broker_start (0); /* every new submit is refused: the queue is full */
    zsock_t *worker = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    const char *twice[] = { "echo", "echo", NULL };
    s_register (worker, msg, "instance-3", twice, NULL, 0);
    TAP_OK (s_expect (worker, ZTASK_MSG_ERROR, msg) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST,
            "a worker naming a plugin twice is refused");
    TAP_OK (s_submit (client, msg, "ghost", NULL) == 0 && msg->error_status == ZTASK_ERR_QUEUE_FULL,
            "a submit over max_queued is refused");
    TAP_OK (s_type_stat (client, msg, "echo", "workers") == -1
                && s_type_stat (client, msg, "ghost", "workers") == -1,
            "neither leaves a type behind");
    const char *lonely[] = { "lonely", NULL };
    s_register (worker, msg, "instance-3", lonely, NULL, 0);
    s_expect (worker, ZTASK_MSG_REGISTERED, msg);
    TAP_OK (s_type_stat (client, msg, "lonely", "workers") == 1, "a worker's plugin is a type");
    ztask_msg_reset (msg, ZTASK_MSG_GOODBYE);
    s_send (worker, msg);
    /* Asked on the worker's own connection, so the first answer comes
       after the GOODBYE; types are collected at the end of that round, so
       the next answer tells. */
    s_type_stat (worker, msg, "lonely", "workers");
    TAP_OK (s_type_stat (worker, msg, "lonely", "workers") == -1,
            "it is forgotten once its only worker has left");
    ztask_msg_destroy (&msg);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* A worker that leaves (GOODBYE: a drain that ran out of time) hands its
   running task back: no attempt is charged, even on its last attempt. */
static void
s_test_hand_back (void)
{
    s_broker_start (1000);
    zsock_t *leaving = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    const char *plugins[] = { "sleep", NULL };
    s_register (leaving, msg, "instance-4", plugins, NULL, 0);
    s_expect (leaving, ZTASK_MSG_REGISTERED, msg);
    uint64_t id = s_submit_attempts (client, msg, "sleep", NULL, 1);
    TAP_OK (s_expect (leaving, ZTASK_MSG_TASK, msg) == 0 && msg->attempt == 1,
            "hand-back: a task with 1 attempt runs its first");
    ztask_msg_reset (msg, ZTASK_MSG_GOODBYE);
    s_send (leaving, msg);
    TAP_OK (s_status (leaving, msg, id) == 0 && msg->state == ZTASK_STATE_QUEUED && msg->attempt == 0,
            "hand-back: the worker leaves; its task is queued again, no attempt used");
    zsock_t *next = s_peer ();
    s_register (next, msg, "instance-5", plugins, NULL, 0);
    TAP_OK (s_expect (next, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id && msg->attempt == 1,
            "hand-back: the next worker runs it, as attempt 1 of 1");
    /* A worker that did not run a task (it was draining) hands it back
       with RESULT HANDED_BACK: no attempt charged either. */
    ztask_msg_reset (msg, ZTASK_MSG_RESULT);
    msg->task_id = id;
    msg->attempt = 1;
    msg->status = ZTASK_RESULT_HANDED_BACK;
    ztask_msg_strcpy (msg->error, "the worker is stopping");
    s_send (next, msg);
    TAP_OK (s_expect (next, ZTASK_MSG_RESULT_ACK, msg) == 0, "hand-back: a RESULT HANDED_BACK is acknowledged");
    TAP_OK (s_expect (next, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id && msg->attempt == 1,
            "hand-back: after a short backoff it runs again, as attempt 1 of 1 (none was used)");
    TAP_OK (s_status (next, msg, id) == 0 && msg->state == ZTASK_STATE_RUNNING && msg->attempt == 1,
            "hand-back: running, on attempt 1");
    /* The same survives a restart: the store holds the attempts given back. */
    ztask_msg_reset (msg, ZTASK_MSG_GOODBYE);
    s_send (next, msg);
    s_status (next, msg, id);
    broker_destroy (&s_broker);
    s_broker = broker_new (&s_config);
    assert (s_broker);
    zsock_destroy (&client);
    client = s_peer ();
    TAP_OK (s_status (client, msg, id) == 0 && msg->state == ZTASK_STATE_QUEUED && msg->attempt == 0,
            "hand-back: after a restart it is still queued with no attempt used");
    ztask_msg_destroy (&msg);
    zsock_destroy (&leaving);
    zsock_destroy (&next);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* A JSON answer to a request already set up in msg. */
static json_t *
s_ask_json (zsock_t *client, ztask_msg_t *msg)
{
    s_send (client, msg);
    if (s_expect (client, ZTASK_MSG_JSON, msg) != 0 || !msg->body)
        return NULL;
    return json_loadb ((const char *) zframe_data (msg->body), zframe_size (msg->body), 0, NULL);
}

/* The events of a task's history, space-separated, into buffer. */
static const char *
s_events (zsock_t *client, ztask_msg_t *msg, uint64_t id, char *buffer, size_t size)
{
    ztask_msg_reset (msg, ZTASK_MSG_HISTORY);
    msg->task_id = id;
    json_t *doc = s_ask_json (client, msg);
    buffer[0] = 0;
    size_t i, at = 0;
    json_t *entry;
    json_array_foreach (json_object_get (doc, "history"), i, entry)
        at += (size_t) snprintf (buffer + at, size - at, "%s%s", at ? " " : "",
                                 json_string_value (json_object_get (entry, "event")));
    json_decref (doc);
    return buffer;
}

/* RETRY, PAUSE, RESUME, PURGE and HISTORY on the wire: a failed task is
   retried with fresh attempts and runs again; a paused type is not
   dispatched to a free worker, across a restart, until resumed. */
static void
s_test_actions (void)
{
    s_broker_start (1000);
    zsock_t *worker = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    char events[512];
    const char *plugins[] = { "mail", "sms", NULL };
    s_register (worker, msg, "instance-a", plugins, NULL, 0);
    s_expect (worker, ZTASK_MSG_REGISTERED, msg);
    uint64_t id = s_submit (client, msg, "mail", NULL);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id, "actions: the task runs");
    ztask_msg_reset (msg, ZTASK_MSG_RESULT);
    msg->task_id = id;
    msg->attempt = 1;
    msg->status = ZTASK_RESULT_FAILED;
    ztask_msg_strcpy (msg->error, "smtp down");
    ztask_msg_set_body (msg, "", 0);
    s_send (worker, msg);
    s_expect (worker, ZTASK_MSG_RESULT_ACK, msg);
    TAP_OK (s_status (client, msg, id) == 0 && msg->state == ZTASK_STATE_FAILED, "actions: and fails");
    TAP_OK (streq (s_events (client, msg, id, events, sizeof events), "queued started failed"),
            "history: queued started failed (%s)", events);

    ztask_msg_reset (msg, ZTASK_MSG_RETRY);
    msg->task_id = id + 100;
    s_send (client, msg);
    TAP_OK (s_expect (client, ZTASK_MSG_ERROR, msg) == 0 && msg->error_status == ZTASK_ERR_NOT_FOUND,
            "retry: an unknown task is NOT_FOUND");
    ztask_msg_reset (msg, ZTASK_MSG_RETRY);
    msg->task_id = id;
    json_t *doc = s_ask_json (client, msg);
    TAP_OK (doc && json_integer_value (json_object_get (doc, "retried")) == 1, "retry: by id, answered retried 1");
    json_decref (doc);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id && msg->attempt == 1,
            "retry: it is dispatched again, as attempt 1");
    ztask_msg_reset (msg, ZTASK_MSG_RETRY);
    msg->task_id = id;
    s_send (client, msg);
    TAP_OK (s_expect (client, ZTASK_MSG_ERROR, msg) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST
                && strstr (msg->text, "is running"),
            "retry: a running task is refused BAD_REQUEST (%s)", msg->text);
    ztask_msg_reset (msg, ZTASK_MSG_RESULT);
    msg->task_id = id;
    msg->attempt = 1;
    msg->status = ZTASK_RESULT_OK;
    ztask_msg_set_body (msg, "sent", 4);
    s_send (worker, msg);
    s_expect (worker, ZTASK_MSG_RESULT_ACK, msg);
    TAP_OK (streq (s_events (client, msg, id, events, sizeof events), "queued started failed retried started done"),
            "history: ... retried started done (%s)", events);

    /* Pause: a free worker does not get the paused type's task. */
    ztask_msg_reset (msg, ZTASK_MSG_PAUSE);
    ztask_msg_strcpy (msg->type, "mail");
    doc = s_ask_json (client, msg);
    TAP_OK (doc && json_is_true (json_object_get (doc, "paused")), "pause: answered paused true");
    json_decref (doc);
    uint64_t held = s_submit (client, msg, "mail", NULL);
    uint64_t other = s_submit (client, msg, "sms", NULL);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == other,
            "pause: the free worker gets the other type's task, submitted later");
    TAP_OK (s_status (client, msg, held) == 0 && msg->state == ZTASK_STATE_QUEUED,
            "pause: the paused type's task is queued");
    TAP_OK (s_type_stat (client, msg, "mail", "paused") == 0, "pause: (stats lists mail)");
    json_t *stats = s_report (client, msg, ZTASK_MSG_STATS);
    size_t i;
    json_t *entry;
    bool paused = false;
    json_array_foreach (json_object_get (stats, "types"), i, entry)
        if (streq (json_string_value (json_object_get (entry, "type")), "mail"))
            paused = json_is_true (json_object_get (entry, "paused"));
    json_decref (stats);
    TAP_OK (paused, "pause: stats says mail is paused");

    /* Across a restart: still paused. */
    broker_destroy (&s_broker);
    s_broker = broker_new (&s_config);
    assert (s_broker);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    worker = s_peer ();
    client = s_peer ();
    s_register (worker, msg, "instance-b", plugins, NULL, 0);
    s_expect (worker, ZTASK_MSG_REGISTERED, msg);
    uint64_t after = s_submit (client, msg, "sms", NULL);
    bool got_other = false;
    for (int n = 0; n < 2 && s_expect (worker, ZTASK_MSG_TASK, msg) == 0; n++)
        got_other |= msg->task_id == after;
    TAP_OK (got_other && s_status (client, msg, held) == 0 && msg->state == ZTASK_STATE_QUEUED,
            "pause: after a restart the paused task still waits, other tasks run");
    ztask_msg_reset (msg, ZTASK_MSG_RESUME);
    ztask_msg_strcpy (msg->type, "mail");
    s_send (client, msg);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == held,
            "resume: the paused task goes at once to the free slot");

    /* Purge: the done task goes, with its history. */
    ztask_msg_reset (msg, ZTASK_MSG_PURGE);
    msg->state = ZTASK_LIST_ANY;
    s_send (client, msg);
    TAP_OK (s_expect (client, ZTASK_MSG_ERROR, msg) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST,
            "purge: without a time: BAD_REQUEST");
    ztask_msg_reset (msg, ZTASK_MSG_PURGE);
    msg->state = ZTASK_STATE_DONE;
    msg->finished_ms = zclock_time () + 1000;
    doc = s_ask_json (client, msg);
    TAP_OK (doc && json_integer_value (json_object_get (doc, "purged")) == 1, "purge: the done task");
    json_decref (doc);
    ztask_msg_reset (msg, ZTASK_MSG_HISTORY);
    msg->task_id = id;
    s_send (client, msg);
    TAP_OK (s_expect (client, ZTASK_MSG_ERROR, msg) == 0 && msg->error_status == ZTASK_ERR_NOT_FOUND,
            "purge: its history is gone with it");
    ztask_msg_destroy (&msg);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* max_queued: a resubmit with a key the broker holds gets its task back
   however full the queue; tasks held back (a backoff, or waiting for
   their worker after a restart) count as queued. */
static void
s_test_queue_full (void)
{
    s_broker_start (1);
    zsock_t *worker = s_peer (), *client = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    uint64_t id = s_submit (client, msg, "echo", "the-key");
    TAP_OK (id > 0, "queue full: a task with a key fills the queue (max_queued 1)");
    TAP_OK (s_submit (client, msg, "echo", NULL) == 0 && msg->error_status == ZTASK_ERR_QUEUE_FULL,
            "queue full: the next is refused");
    TAP_OK (s_submit (client, msg, "echo", "the-key") == id && (msg->flags & ZTASK_FLAG_EXISTING),
            "queue full: a resubmit with the key gets the task it holds");
    const char *plugins[] = { "echo", NULL };
    s_register (worker, msg, "instance-6", plugins, NULL, 0);
    TAP_OK (s_expect (worker, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id,
            "queue full: a worker takes it: the queue is empty");
    /* Restarted while it runs: held for its worker (3 heartbeats: 180 s). */
    zsock_destroy (&worker);
    zsock_destroy (&client);
    broker_destroy (&s_broker);
    s_broker = broker_new (&s_config);
    assert (s_broker);
    client = s_peer ();
    TAP_OK (s_status (client, msg, id) == 0 && msg->state == ZTASK_STATE_QUEUED,
            "queue full: after a restart the task is held back for its worker");
    TAP_OK (s_submit (client, msg, "echo", NULL) == 0 && msg->error_status == ZTASK_ERR_QUEUE_FULL,
            "queue full: and counts against max_queued");
    ztask_msg_destroy (&msg);
    zsock_destroy (&client);
    s_broker_stop ();
}

/* Names with control characters are refused wherever the broker would
   store them (docs/protocol.md, Names): nothing reaches an operator's
   terminal raw. */
static void
s_test_names (void)
{
    s_broker_start (1000);
    zsock_t *peer = s_peer ();
    ztask_msg_t *msg = ztask_msg_new ();
    TAP_OK (s_submit (peer, msg, "red\x1b[31mtype", NULL) == 0 && msg->command == ZTASK_MSG_ERROR
                && msg->error_status == ZTASK_ERR_BAD_REQUEST && strstr (msg->text, "invalid task type"),
            "names: a task type with ESC is refused");
    TAP_OK (s_submit (peer, msg, "echo", "line1\nline2") == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST
                && strstr (msg->text, "invalid key"),
            "names: a key with a newline is refused");
    TAP_OK (s_submit (peer, msg, "echo\xc2\x9b", NULL) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST,
            "names: a task type with a C1 control (U+009B) is refused");
    TAP_OK (s_submit (peer, msg, "échelle de gris", "clé 1") > 0, "names: letters of any script and spaces are fine");
    const char *plugins[] = { "echo", NULL }, *bad_plugins[] = { "ec\x7fho", NULL };
    s_register (peer, msg, "instance-7", bad_plugins, NULL, 0);
    TAP_OK (s_expect (peer, ZTASK_MSG_ERROR, msg) == 0 && msg->error_status == ZTASK_ERR_BAD_REQUEST
                && strstr (msg->text, "invalid plugin name"),
            "names: a plugin name with DEL is refused");
    s_register (peer, msg, "instance-7", plugins, NULL, 0);
    TAP_OK (s_expect (peer, ZTASK_MSG_REGISTERED, msg) == 0, "names: the same worker with a clean plugin name registers");
    ztask_msg_reset (msg, ZTASK_MSG_REGISTER);
    ztask_msg_strcpy (msg->name, "w\x1b]0;pwned\x07");
    ztask_msg_strcpy (msg->instance, "instance-8");
    msg->slots = 1;
    msg->priorities = 1;
    msg->plugin_count = 1;
    ztask_msg_strcpy (msg->plugins[0].name, "echo");
    ztask_msg_strcpy (msg->plugins[0].version, "1.0");
    zsock_t *other = s_peer ();
    s_send (other, msg);
    TAP_OK (s_expect (other, ZTASK_MSG_ERROR, msg) == 0 && strstr (msg->text, "invalid worker name"),
            "names: a worker name with an escape sequence is refused");
    ztask_msg_destroy (&msg);
    zsock_destroy (&peer);
    zsock_destroy (&other);
    s_broker_stop ();
}

/* A SUBMIT_WAIT of type with key, as request corr. */
static void
s_resubmit_wait (ztask_msg_t *msg, uint32_t corr, const char *type, const char *key)
{
    ztask_msg_reset (msg, ZTASK_MSG_SUBMIT_WAIT);
    msg->corr = corr;
    ztask_msg_strcpy (msg->type, type);
    ztask_msg_strcpy (msg->key, key);
    msg->priority = 4;
    ztask_msg_set_body (msg, "p", 1);
}

/* Sends msg (a SUBMIT_WAIT, say) and then next on one connection, so that
   the broker handles both in one round, before its commit (inproc: both
   are in the pipe when the round starts). */
static void
s_send_pair (zsock_t *peer, ztask_msg_t *msg, ztask_msg_t *next)
{
    s_send (peer, msg);
    s_send (peer, next);
}

/* The answers to corr, in the order they came, as letters: S SUBMITTED,
   P PROGRESS, I TASK_INFO, E ERROR (others skipped). Runs the broker
   until the TASK_INFO (or an ERROR) or the deadline. */
static void
s_answers (zsock_t *peer, ztask_msg_t *msg, uint32_t corr, char *order, size_t size)
{
    size_t n = 0;
    order[0] = 0;
    for (int round = 0; round < ROUNDS_MAX && n + 1 < size; round++) {
        broker_poll (s_broker, 5);
        while (n + 1 < size && (zsock_events (peer) & ZMQ_POLLIN)) {
            if (ztask_msg_recv (msg, peer, false) != 0 || msg->corr != corr)
                continue;
            int c = msg->command;
            order[n++] = c == ZTASK_MSG_SUBMITTED ? 'S' : c == ZTASK_MSG_PROGRESS ? 'P'
                         : c == ZTASK_MSG_TASK_INFO ? 'I' : c == ZTASK_MSG_ERROR ? 'E' : '?';
            order[n] = 0;
            if (c == ZTASK_MSG_TASK_INFO || c == ZTASK_MSG_ERROR)
                return;
        }
    }
}

/* A SUBMIT_WAIT whose key names a running task is answered SUBMITTED
   first (after the commit), whatever happens to the task in the same
   round: a progress report or its end must not overtake the SUBMITTED,
   or a client would take them for answers to nothing. */
static void
s_test_wait_order (void)
{
    s_listen = "inproc://broker-test-wait-order";
    s_broker_start (1000);
    zsock_t *peer = s_peer (); /* worker and client: one connection, one order */
    ztask_msg_t *msg = ztask_msg_new (), *next = ztask_msg_new ();
    const char *plugins[] = { "sleep", NULL };
    s_register (peer, msg, "instance-9", plugins, NULL, 0);
    s_expect (peer, ZTASK_MSG_REGISTERED, msg);
    zsock_t *client = s_peer ();
    uint64_t id = s_submit (client, msg, "sleep", "order-key");
    zsock_destroy (&client);
    TAP_OK (id > 0 && s_expect (peer, ZTASK_MSG_TASK, msg) == 0 && msg->task_id == id,
            "wait order: a keyed task runs on the worker");
    uint32_t attempt = msg->attempt;

    /* A resubmit with --wait and a progress report in one round. */
    s_resubmit_wait (msg, 901, "sleep", "order-key");
    ztask_msg_reset (next, ZTASK_MSG_WORKER_PROGRESS);
    next->task_id = id;
    next->attempt = attempt;
    next->progress_done = 1;
    next->progress_total = 2;
    s_send_pair (peer, msg, next);
    char order[16];
    size_t n = 0;
    order[0] = 0;
    for (int round = 0; round < ROUNDS_MAX && n < 2; round++) {
        broker_poll (s_broker, 5);
        while (n < 2 && (zsock_events (peer) & ZMQ_POLLIN))
            if (ztask_msg_recv (msg, peer, false) == 0 && msg->corr == 901)
                order[n++] = msg->command == ZTASK_MSG_SUBMITTED ? 'S' : msg->command == ZTASK_MSG_PROGRESS ? 'P' : '?';
    }
    order[n] = 0;
    TAP_OK (streq (order, "SP"), "wait order: a progress report in the same round comes after SUBMITTED (%s)", order);

    /* A second waiter, and the task's end, in one round. */
    s_resubmit_wait (msg, 902, "sleep", "order-key");
    ztask_msg_reset (next, ZTASK_MSG_RESULT);
    next->task_id = id;
    next->attempt = attempt;
    next->status = ZTASK_RESULT_OK;
    s_send_pair (peer, msg, next);
    s_answers (peer, msg, 902, order, sizeof order);
    TAP_OK (streq (order, "SPI"), "wait order: SUBMITTED, where it stood, then its end (%s)", order);
    TAP_OK (msg->command == ZTASK_MSG_TASK_INFO && msg->state == ZTASK_STATE_DONE,
            "wait order: it ended done");
    ztask_msg_destroy (&msg);
    ztask_msg_destroy (&next);
    zsock_destroy (&peer);
    s_broker_stop ();
    s_listen = "tcp://127.0.0.1:*";
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL); /* the broker's log lines are not TAP */
    if (!mkdtemp (s_dir))
        return 1;
    s_test_register_again (false);
    s_test_register_again (true);
    s_test_register_after_restart ();
    s_test_types_collected ();
    s_test_hand_back ();
    s_test_queue_full ();
    s_test_names ();
    s_test_wait_order ();
    s_test_actions ();
    s_test_delayed ();
    rmdir (s_dir);
    return tap_done ();
}
