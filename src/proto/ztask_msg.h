/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_msg - the ztask wire protocol codec (see docs/protocol.md).

    One message = a header frame (signature, version, command, fields) and,
    for the commands that carry bytes (payload, result, JSON), a body frame.
    Received messages are decoded into a reusable ztask_msg_t; every read is
    bounds-checked and anything that does not match the grammar exactly is
    rejected as malformed.
*/
#ifndef ZTASK_MSG_H_INCLUDED
#define ZTASK_MSG_H_INCLUDED

#include <czmq.h>

#define ZTASK_PROTO_VERSION 1

/* Commands. Client -> broker: */
#define ZTASK_MSG_SUBMIT 1
#define ZTASK_MSG_STATUS 2
#define ZTASK_MSG_WAIT 3
#define ZTASK_MSG_STATS 4
#define ZTASK_MSG_WORKERS 5
#define ZTASK_MSG_CANCEL 6
#define ZTASK_MSG_LIST 7
#define ZTASK_MSG_SUBMIT_WAIT 8 /* SUBMIT, then WAIT on the new task */
#define ZTASK_MSG_RETRY 9       /* requeue failed / cancelled tasks      */
#define ZTASK_MSG_PURGE 10      /* delete finished tasks                 */
#define ZTASK_MSG_PAUSE 11      /* stop dispatching a task type          */
#define ZTASK_MSG_RESUME 12     /* dispatch a paused task type again     */
#define ZTASK_MSG_HISTORY 13    /* a task's transitions                  */
/* Internal (the broker's own HTTP thread, on its inproc socket only): the
   metrics snapshot; answered with METRICS, flags ZTASK_FLAG_RESULT and the
   snapshot as body (src/broker/metrics.h). */
#define ZTASK_MSG_METRICS 14
/* Recurring schedules (docs/scheduling.md); each answered with JSON: */
#define ZTASK_MSG_SCHEDULE_ADD 15    /* a new schedule                     */
#define ZTASK_MSG_SCHEDULES 16       /* list them, or show one (name)      */
#define ZTASK_MSG_SCHEDULE_PAUSE 17  /* stop a schedule's fires            */
#define ZTASK_MSG_SCHEDULE_RESUME 18 /* ... and start them again           */
#define ZTASK_MSG_SCHEDULE_REMOVE 19 /* delete a schedule                  */
/* Batches (docs/scheduling.md): many tasks accepted in one commit or none,
   and the batch's counts; each answered with JSON. */
#define ZTASK_MSG_BATCH 25
#define ZTASK_MSG_BATCH_STATUS 26
/* Broker -> client: */
#define ZTASK_MSG_SUBMITTED 20
#define ZTASK_MSG_TASK_INFO 21
#define ZTASK_MSG_PROGRESS 22
#define ZTASK_MSG_JSON 23
#define ZTASK_MSG_ERROR 24
/* Worker -> broker: */
#define ZTASK_MSG_REGISTER 40
#define ZTASK_MSG_HEARTBEAT 41 /* both directions */
#define ZTASK_MSG_WORKER_PROGRESS 42
#define ZTASK_MSG_RESULT 43
#define ZTASK_MSG_GOODBYE 44
#define ZTASK_MSG_DRAIN 45
/* Broker -> worker: */
#define ZTASK_MSG_REGISTERED 60
#define ZTASK_MSG_TASK 61
#define ZTASK_MSG_RESULT_ACK 62
#define ZTASK_MSG_CANCEL_TASK 63

/* ERROR statuses. */
#define ZTASK_ERR_BAD_REQUEST 1    /* well-formed, but a field is invalid   */
#define ZTASK_ERR_NOT_FOUND 2      /* no such task                          */
#define ZTASK_ERR_QUEUE_FULL 3     /* the broker holds its queue limit      */
#define ZTASK_ERR_TOO_LARGE 4      /* payload over the broker's limit       */
#define ZTASK_ERR_NOT_REGISTERED 5 /* worker message before REGISTER        */
#define ZTASK_ERR_INTERNAL 6       /* the broker could not store the task   */
#define ZTASK_ERR_VERSION 7        /* protocol version not spoken           */
#define ZTASK_ERR_UNAVAILABLE 8    /* the broker's store cannot be reached  */
#define ZTASK_ERR_NOT_LEADER 9     /* a standby: text is the leader's endpoint */

/* RESULT status from a worker. */
#define ZTASK_RESULT_OK 0
#define ZTASK_RESULT_FAILED 1       /* do not retry                         */
#define ZTASK_RESULT_RETRY 2        /* failed; another attempt could help   */
#define ZTASK_RESULT_HANDED_BACK 3  /* not run: the worker gives it back     */

/* STATUS flag: include the result. SUBMITTED flag: the key matched an
   existing task. TASK_INFO flag: a body frame with the result follows. */
#define ZTASK_FLAG_RESULT 1
#define ZTASK_FLAG_EXISTING 1
/* STATUS flag: say why a queued task waits (TASK_INFO's waiting fields);
   an older client does not set it, and so never gets them. */
#define ZTASK_FLAG_WAITING 2
/* SCHEDULE_ADD flag: missed fires make one fire (catchup "once"; without
   it, "skip"). */
#define ZTASK_FLAG_CATCHUP_ONCE 1

#define ZTASK_STRING_MAX 255 /* longest string field, in bytes          */
#define ZTASK_PLUGINS_MAX 64 /* most plugins a worker may register      */
#define ZTASK_RUNNING_MAX 1024 /* most running tasks a REGISTER reports */
#define ZTASK_LABELS_MAX 64  /* most labels a REGISTER carries          */
#define ZTASK_RESOURCES_MAX 16 /* most resources a REGISTER carries     */
#define ZTASK_REQUIRES_MAX 16 /* most requirements a SUBMIT carries
                                (ZTASK_REQUIRE_MAX of ztask_require.h) */
#define ZTASK_TEXT_MAX 1023  /* longest text field (a resource request),
                                in bytes (ZTASK_RESOURCES_TEXT_MAX)     */
#define ZTASK_PARENTS_MAX 64 /* most parents a task waits for (SUBMIT)
                                and parents' results a TASK carries  */
#define ZTASK_PARENT_ENDED 255 /* TASK_INFO parent state: ended, not read */
#define ZTASK_LIST_ANY 255   /* LIST state: every state                 */
#define ZTASK_HEADER_MAX 65536 /* largest header frame encoded or accepted */
#define ZTASK_BATCH_MAX 1000000 /* most tasks a BATCH may carry (a broker's
                                max_batch is at most this)            */

typedef struct {
    char name[ZTASK_STRING_MAX + 1];
    char version[ZTASK_STRING_MAX + 1];
} ztask_msg_plugin_t;

/* A label a worker advertises (REGISTER): key = value. */
typedef struct {
    char key[ZTASK_STRING_MAX + 1];
    char value[ZTASK_STRING_MAX + 1];
} ztask_msg_label_t;

/* A consumable resource a worker advertises (REGISTER): how much it has. */
typedef struct {
    uint64_t amount;
    char name[ZTASK_STRING_MAX + 1];
} ztask_msg_resource_t;

/* A task a (re)registering worker is still running. */
typedef struct {
    uint64_t task_id;
    uint32_t attempt;
} ztask_msg_running_t;

/* A task's parent (dependencies, docs/scheduling.md): SUBMIT gives the
   ids (state 0); TASK_INFO adds each one's state as the broker knows it
   (ZTASK_PARENT_ENDED when it did not read it). */
typedef struct {
    uint64_t task_id;
    uint8_t state;
} ztask_msg_parent_t;

/* All fields of all commands; each command uses the ones docs/protocol.md
   lists for it. Strings are NUL-terminated and contain no NUL. */
typedef struct {
    int command;                      /* ZTASK_MSG_*                          */
    zframe_t *routing_id;             /* peer identity on a ROUTER socket     */
    char user_id[64];                 /* peer's CURVE public key (Z85), "" without CURVE */
    uint32_t corr;                    /* client's request number, echoed back */
    uint64_t task_id;
    uint32_t attempt;
    uint8_t priority;
    uint8_t state;                    /* ztask_state_t                        */
    uint8_t flags;
    uint8_t status;                   /* RESULT status                        */
    uint16_t error_status;            /* ERROR status                         */
    uint16_t slots;
    uint16_t priorities;              /* bit n set: serves priority n         */
    uint32_t timeout_ms;
    uint32_t max_attempts;
    uint32_t heartbeat_ms;
    uint32_t limit;                   /* LIST, RETRY: most tasks              */
    uint64_t progress_done;
    uint64_t progress_total;
    int64_t created_ms, started_ms, finished_ms;
    int64_t due_ms;                   /* SUBMIT, TASK_INFO: wall clock ms when a
                                         delayed task is due; 0: now / none  */
    uint32_t retry_min_ms;            /* SUBMIT, TASK_INFO: the retry policy's */
    uint32_t retry_max_ms;            /* MIN..MAX (ztask_retry.h); 0: none given */
    int64_t next_attempt_ms;          /* TASK_INFO: wall clock ms when a task
                                         waiting out a backoff runs again; 0 */
    uint32_t retry_after_ms;          /* RESULT (RETRY): the plugin's wait before
                                         the next attempt; 0: the policy's  */
    uint8_t after_any;                /* SUBMIT, TASK_INFO: 1: the task runs once
                                         its parents ended, whatever their
                                         states; 0: once all are done      */
    size_t parent_count;              /* SUBMIT, TASK_INFO: parents            */
    size_t parent_size_count;         /* TASK: parents' results after the payload */
    /* Strings from here on (ztask_msg_reset clears only their first byte). */
    char type[ZTASK_STRING_MAX + 1];  /* task type (plugin name)              */
    char key[ZTASK_STRING_MAX + 1];   /* idempotency key                      */
    char name[ZTASK_STRING_MAX + 1];  /* worker name                          */
    char host[ZTASK_STRING_MAX + 1];  /* worker host                          */
    char worker[ZTASK_STRING_MAX + 1];/* worker running the task              */
    char text[ZTASK_STRING_MAX + 1];  /* progress or ERROR text               */
    char error[ZTASK_STRING_MAX + 1]; /* why a task failed                    */
    char instance[ZTASK_STRING_MAX + 1]; /* worker process's unique id (REGISTER) */
    char version[ZTASK_STRING_MAX + 1]; /* SUBMIT, TASK_INFO: plugin version
                                         constraint on the task's type, without
                                         the type (">=1.2", "@1.x"); "": any */
    char limit_name[ZTASK_STRING_MAX + 1]; /* SUBMIT, TASK_INFO: the fleet-wide
                                         limit the task counts against; "": none */
    char waiting[ZTASK_STRING_MAX + 1]; /* TASK_INFO: why a queued task waits,
                                         as a code ("limit", "busy"...); "" */
    char waiting_text[ZTASK_STRING_MAX + 1]; /* ... and in words             */
    char tz[ZTASK_STRING_MAX + 1];    /* SCHEDULE_ADD: the schedule's time zone;
                                         "": UTC (the cron expression is text) */
    char needs[ZTASK_TEXT_MAX + 1];   /* SUBMIT, TASK_INFO: resources the task
                                         asks for ("gpu=1,memory_mb=16000"); "" */
    size_t require_count;
    char (*require)[ZTASK_STRING_MAX + 1]; /* SUBMIT, TASK_INFO: require_count
                                         requirement texts ("zone=eu-1")      */
    ztask_msg_parent_t *parents;      /* SUBMIT, TASK_INFO: parent_count entries */
    uint32_t parent_sizes[ZTASK_PARENTS_MAX]; /* TASK: parent_size_count results'
                                         sizes, following the payload in the
                                         body in this order (not cleared by
                                         ztask_msg_reset: the count is)    */
    size_t plugin_count;
    ztask_msg_plugin_t *plugins;      /* plugin_count entries (REGISTER)      */
    size_t running_count;
    ztask_msg_running_t *running;     /* running_count entries (REGISTER)     */
    size_t label_count;
    ztask_msg_label_t *labels;        /* label_count entries (REGISTER)       */
    size_t resource_count;
    ztask_msg_resource_t *resources;  /* resource_count entries (REGISTER)    */
    zframe_t *body;                   /* payload, result or JSON; may be NULL */
} ztask_msg_t;

ztask_msg_t *ztask_msg_new (void);
void ztask_msg_destroy (ztask_msg_t **self_p);

/* Clears every field (keeps the plugin buffer) and sets the command. */
void ztask_msg_reset (ztask_msg_t *self, int command);

/* Decodes msg (consumed). With routing, the first frame is the peer's
   identity. Returns 0, or -2 if malformed, or -3 for a well-formed header
   of another protocol version (routing_id is then set). */
int ztask_msg_decode (ztask_msg_t *self, zmsg_t **msg_p, bool routing);

/* Decodes one header frame (resets self first). Returns 0, -2 malformed,
   -3 another protocol version. The caller checks the frame count against
   ztask_msg_has_body and fills routing_id / body itself. */
int ztask_msg_decode_header (ztask_msg_t *self, const byte *data, size_t size);

/* True when self's command (and flags) carry a body frame. */
bool ztask_msg_has_body (ztask_msg_t *self);

/* Encodes self's header frame into buffer (ZTASK_HEADER_MAX bytes).
   Returns its size, or 0 for an invalid field. */
size_t ztask_msg_encode_header (ztask_msg_t *self, byte *buffer);

/* Receives one message from a libzmq socket (flags: 0 or ZMQ_DONTWAIT)
   frame by frame, with no czmq objects: with routing_id (not NULL), the
   first frame is the peer's routing id and is moved into it; the header
   is decoded into self (with the peer's CURVE User-Id, if any); the body
   frame, when there is one, is moved into body (both must be initialised
   zmq_msg_t; body is emptied first). The checks are ztask_msg_decode's.
   Returns 0, -1 (nothing waiting, interrupted), -2 malformed, -3 another
   protocol version (routing_id set either way once a frame came). */
int ztask_msg_recv_frames (ztask_msg_t *self, void *socket, int flags, zmq_msg_t *routing_id, zmq_msg_t *body);

/* Receives and decodes one message: 0, -1 interrupted / nothing, -2
   malformed, -3 wrong version. */
int ztask_msg_recv (ztask_msg_t *self, zsock_t *sock, bool routing);

/* Encodes into a new zmsg (routing_id first when set). The body frame is
   copied, so self still owns it. Returns NULL only for an invalid field
   (a string too long, too many plugins). */
zmsg_t *ztask_msg_encode (ztask_msg_t *self);

/* Encodes and sends, frame by frame. Returns 0, or -1 with zmq_errno ()
   EINVAL for an invalid field, else libzmq's reason. */
int ztask_msg_send (ztask_msg_t *self, zsock_t *sock);

/* A BATCH's body (docs/protocol.md) is its tasks one after the other,
   each a u32 header size, a SUBMIT header frame, a u32 payload size and
   the payload. */

/* Appends member (a SUBMIT) and its payload to a BATCH body. Returns 0,
   or -1 for an invalid field (as ztask_msg_encode_header). */
int ztask_msg_batch_append (ztask_msg_t *member, const void *payload, size_t size, zchunk_t *body);

/* Reads the task at *at (advanced past it) of a BATCH body into member,
   its payload into *payload and *payload_size (pointing into body).
   Returns 1 (a task), 0 (the body's end) or -2 (malformed: a size past
   the end, a header that is not a SUBMIT). */
int ztask_msg_batch_next (ztask_msg_t *member, const byte *body, size_t size, size_t *at, const byte **payload,
                          size_t *payload_size);

/* Sets the body (copied). */
void ztask_msg_set_body (ztask_msg_t *self, const void *data, size_t size);

/* Copies src into a string field, truncating at ZTASK_STRING_MAX bytes
   (never inside a UTF-8 sequence); each byte that is not UTF-8 becomes
   '?', so that the field is always sendable. */
void ztask_msg_strcpy (char *field, const char *src);

const char *ztask_msg_command_name (int command);
const char *ztask_msg_error_name (int status);

#endif
