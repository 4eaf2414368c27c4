/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask/client.h - submit tasks to a ztask broker and follow them (libztask).

        ztask_client_t *client = ztask_client_new ("tcp://127.0.0.1:5570");
        ztask_submit_opts_t opts = ZTASK_SUBMIT_OPTS_INIT;
        opts.priority = ZTASK_PRIORITY_HIGH;
        uint64_t id;
        if (ztask_client_submit (client, "sha256", "hello", 5, &opts, &id) == 0) {
            ztask_task_t *task;
            if (ztask_client_wait (client, id, -1, &task) == 0)
                printf ("%s\n", task->state == ZTASK_STATE_DONE ? "done" : task->error);
            ztask_task_destroy (&task);
        }
        ztask_client_destroy (&client);

    Link with $(pkg-config --libs ztask). A client object is used by one
    thread at a time.

    Active/standby brokers. Given the brokers of an active/standby pair as
    a list, "tcp://a:5570,tcp://b:5570" (docs/high-availability.md), the
    client finds the one that leads, and follows it when another takes
    over. It talks to one broker at a time; a request goes again to
    another broker of the list when
      - the broker is a standby: to the leader it names, if the list has
        it (compared without case in the transport and host, and without a
        trailing '/'), else to the next broker of the list; when every
        broker of the list said so with no leader to name (a takeover is
        under way), after 100-200 ms;
      - the broker does not answer within a try's time: 1000 ms for the
        first try (less when the time limit is too short to give every
        broker of the list that long: the limit shared among them), twice
        as long for each next one (at most 8000 ms), to the next broker of
        the list.
    All of it within the request's time limit (ztask_client_set_timeout),
    and the broker that answered is asked first next time. A submit sent
    again this way must not make a second task: with a list, a submit
    without a key (opts->key NULL or "") gets one, "auto-" and 32 random
    hexadecimal digits, stored with the task as if the caller had given
    it. A wait (ztask_client_wait and the like) that hears nothing from
    its broker for a second asks it about the task (STATUS); no answer
    within the try's time and the wait goes on at the next broker of the
    list. A broker of the list that answers "store unavailable" is passed
    over too; only when every broker of the list answered so does the call
    fail with ZTASK_CLIENT_E_UNAVAILABLE.
    With one endpoint none of this happens: a standby's answer fails
    the call with ZTASK_CLIENT_E_UNAVAILABLE and an error that names the
    leader. Every call returns 0 on success or -1 on failure, with
    the reason in ztask_client_error () (text for people) and
    ztask_client_error_code () (a ZTASK_CLIENT_E_* code for programs).
*/
#ifndef ZTASK_CLIENT_H_INCLUDED
#define ZTASK_CLIENT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZTASK_DEFAULT_ENDPOINT "tcp://127.0.0.1:5570"

/* Priorities: 0 (lowest) to 9 (highest); these three have names. */
#define ZTASK_PRIORITY_MIN 0
#define ZTASK_PRIORITY_MAX 9
#define ZTASK_PRIORITY_LOW 0
#define ZTASK_PRIORITY_NORMAL 5
#define ZTASK_PRIORITY_HIGH 9

typedef enum {
    ZTASK_STATE_QUEUED = 0,
    ZTASK_STATE_RUNNING = 1,
    ZTASK_STATE_DONE = 2,
    ZTASK_STATE_FAILED = 3,
    ZTASK_STATE_CANCELLED = 4,
    ZTASK_STATE_SCHEDULED = 5,   /* a delayed task waiting for its due time
                                    (ztask_client_submit_at); then queued */
    ZTASK_STATE_BLOCKED = 6      /* waiting for its parents to end
                                    (ztask_request_set_after)              */
} ztask_state_t;

/* Kinds of failure (ztask_client_error_code). The values are stable. */
typedef enum {
    ZTASK_CLIENT_E_OK = 0,          /* the last call succeeded                  */
    ZTASK_CLIENT_E_USAGE = 1,       /* invalid input; nothing was sent          */
    ZTASK_CLIENT_E_UNREACHABLE = 2, /* no answer in time, or cannot send: the
                                       broker is down, elsewhere or too slow
                                       (also: a wait's own time limit passed)   */
    ZTASK_CLIENT_E_REFUSED = 3,     /* the broker refused the request: bad
                                       request, queue full, too large, another
                                       protocol version                         */
    ZTASK_CLIENT_E_NOT_FOUND = 4,   /* the broker has no such task              */
    ZTASK_CLIENT_E_INTERNAL = 5,    /* the broker failed (an older broker that
                                       could not store), or answered in a way
                                       that makes no sense; or out of memory    */
    ZTASK_CLIENT_E_INTERRUPTED = 6, /* zsys_interrupted was set (Ctrl-C)        */
    ZTASK_CLIENT_E_UNAVAILABLE = 7  /* the broker's store is unreachable, or the
                                       broker is a standby (the error names the
                                       leader; with a list of brokers: no broker
                                       of it led in time): nothing was accepted;
                                       try again later (a submit with the same
                                       key)                                     */
} ztask_client_code_t;

/* list: the most tasks one call returns. */
#define ZTASK_LIST_LIMIT_MAX 10000

typedef struct ztask_client ztask_client_t;

typedef struct {
    int priority;          /* ZTASK_PRIORITY_MIN..MAX                        */
    uint32_t timeout_ms;   /* per-attempt run time limit; 0: none            */
    uint32_t max_attempts; /* 0: the broker's default                        */
    const char *key;       /* idempotency key; NULL (or ""): none            */
} ztask_submit_opts_t;

#define ZTASK_SUBMIT_OPTS_INIT { ZTASK_PRIORITY_NORMAL, 0, 0, NULL }

/* A task as the broker last reported it. Allocated by the library: new
   fields are only ever added at the end. */
typedef struct {
    uint64_t id;
    char *type;              /* plugin name                                  */
    int priority;
    ztask_state_t state;
    uint32_t attempts;       /* attempts started so far                      */
    uint32_t max_attempts;
    uint64_t progress_done;  /* last progress reported by the plugin         */
    uint64_t progress_total; /* 0: unknown                                   */
    char *progress_text;     /* "" when none                                 */
    char *worker;            /* worker that ran (or runs) it; "" when none   */
    char *error;             /* why it failed; "" when it did not            */
    void *result;            /* result bytes (NUL-terminated for convenience) */
    size_t result_size;
    int64_t created_ms;      /* wall clock, milliseconds since the epoch     */
    int64_t started_ms;      /* 0 when not started                           */
    int64_t finished_ms;     /* 0 when not finished                          */
    int64_t due_ms;          /* a delayed task's due time (wall clock ms);
                                0: it was not delayed                        */
    /* What the task asks of its worker (ztask_request_t; canonical forms,
       docs/routing.md). Never NULL: "" or no entry when it asks nothing. */
    char **require;          /* require_count requirements on the worker's
                                labels, all of which must hold              */
    size_t require_count;
    char *version;           /* constraint on its plugin's version, without
                                the type: ">=1.2", "@1.x"; "": any version  */
    char *needs;             /* resources it holds while it runs:
                                "gpu=1,memory_mb=16000"; "": none            */
    char *limit;             /* the fleet-wide limit it counts against; ""  */
    /* Why a queued task waits (ztask_client_status; "" when it does not, or
       when the broker is older): a code, one of "paused", "no_plugin",
       "no_version", "no_priority", "requirement", "resources", "limit",
       "reserved", "busy", and the same in words ("limit stripe-api is
       full: 2 of 2"). */
    char *waiting;
    char *waiting_text;
    /* Its retry policy (ztask_request_set_retry_backoff; its type's when
       it named none, else the default 250 ms..10 s, also from an older broker),
       and when its next attempt is due while it waits out a backoff
       (wall clock ms; 0: it does not). */
    uint32_t retry_min_ms;
    uint32_t retry_max_ms;
    int64_t next_attempt_ms;
    /* Its parents (ztask_request_set_after), in the order given: their ids
       and states as the broker knew them (a ztask_state_t, or -1: ended,
       not read, as for a finished task); NULL and 0 when it has none. A
       blocked task waits for those of its parents not yet ended. */
    uint64_t *parents;
    int *parent_states;
    size_t parent_count;
    int after_any;           /* 1: it runs once its parents ended, whatever
                                their states; 0: once all are done         */
} ztask_task_t;

/* Called by ztask_client_wait as progress reports arrive; may be NULL. */
typedef void (ztask_progress_fn) (const ztask_task_t *task, void *arg);

/* Connects to a broker (NULL: $ZTASK_BROKER, else ZTASK_DEFAULT_ENDPOINT).
   endpoint may be a comma-separated list of the brokers of an
   active/standby pair, at most 16 (see the top of this file); blanks
   around each endpoint are ignored. An endpoint is tcp://HOST:PORT (PORT
   1-65535), ipc://PATH, inproc://NAME, ws://HOST:PORT/PATH (or wss, tipc,
   vmci), the transport in lower case, at most 255 bytes: the same rule
   as ztask-worker's `broker` setting. It is checked as text: no name is
   resolved, and connecting is lazy: an unreachable broker shows as a
   timeout on the first request. Returns NULL only when out of memory or
   the endpoint is invalid (not an endpoint as above; in a list also an
   empty item, more than 16, the same one twice); ztask_client_error
   (NULL) then says why, naming the item.
   With $ZTASK_CERT and $ZTASK_BROKER_CERT set, CURVE is on as
   ztask_client_set_curve ($ZTASK_CERT, $ZTASK_BROKER_CERT) would set it;
   should those files not do (or only one variable be set), the client is
   made all the same but every request fails with ZTASK_CLIENT_E_USAGE and
   says why, until ztask_client_set_curve succeeds. */
ztask_client_t *ztask_client_new (const char *endpoint);
void ztask_client_destroy (ztask_client_t **self_p);

/* The endpoint (or list) ztask_client_new (endpoint) connects to:
   endpoint itself when not NULL, else $ZTASK_BROKER when set and not
   empty, else ZTASK_DEFAULT_ENDPOINT (for messages that name it). */
const char *ztask_broker_endpoint (const char *endpoint);

/* Turns on CURVE (encryption, and the broker knowing who we are; see
   docs/security.md): secret_cert_file is this client's certificate with
   its secret key (NAME.key_secret, as `ztask keygen NAME` writes it; the
   broker's allow/clients directory holds its public half NAME.key), and
   broker_cert_file the broker's public certificate (broker.key). With a
   list of brokers, each has its own key: broker_cert_file is then a
   comma-separated list of their certificates, one per broker in the
   order of the endpoints, or a single file for all of them (another
   number fails with ZTASK_CLIENT_E_USAGE); $ZTASK_BROKER_CERT likewise.
   With one endpoint it is one file name, commas and all. Both NULL:
   plain TCP again. The client reconnects with the new keys; call it
   before the first request (or between requests). Returns 0, or -1 with
   ZTASK_CLIENT_E_USAGE and the reason (a file missing, unreadable, not a
   certificate, the wrong half; a libzmq without CURVE), leaving the
   client as it was. A broker that does not accept the key does not
   answer: requests fail with ZTASK_CLIENT_E_UNREACHABLE, and the error
   says the broker refused the key. */
int ztask_client_set_curve (ztask_client_t *self, const char *secret_cert_file,
                            const char *broker_cert_file);

/* How long a request waits for the broker's answer (default 5000 ms). */
void ztask_client_set_timeout (ztask_client_t *self, int timeout_ms);

/* Text of the last failure; with self NULL, why the calling thread's last
   ztask_client_new failed. */
const char *ztask_client_error (ztask_client_t *self);

/* Kind of failure of the last call (ZTASK_CLIENT_E_OK when it succeeded);
   with self NULL (ztask_client_new failed), ZTASK_CLIENT_E_USAGE. */
int ztask_client_error_code (ztask_client_t *self);

/* Submits a task; *id gets its id once the broker has stored it. opts may
   be NULL for the defaults.
   type and opts->key (unless NULL or "") are names: 1 to 255 bytes of
   UTF-8 without control characters (no U+0000-U+001F, no U+007F-U+009F:
   no tab, newline, ESC); anything else (spaces, punctuation, any script)
   goes. Another string fails with ZTASK_CLIENT_E_USAGE and nothing is
   sent; the broker refuses the same (docs/protocol.md). The same holds for
   ztask_client_submit_wait. With a list of brokers and no key, the
   client makes one up ("auto-" and 32 random hexadecimal digits; see the
   top of this file), so that the submit can be sent again safely. */
int ztask_client_submit (ztask_client_t *self, const char *type, const void *payload,
                         size_t size, const ztask_submit_opts_t *opts, uint64_t *id);

/* As ztask_client_submit and ztask_client_submit_wait, for a delayed
   task: due_ms is when it may run (wall clock, milliseconds since the
   epoch). Until then it is ZTASK_STATE_SCHEDULED: stored, never
   dispatched; at its due time it is queued (and dispatched by priority
   like any task, within 100 ms on a healthy broker). due_ms 0, or a time
   already past, runs it now: the same as ztask_client_submit. A negative
   due_ms, or one over 100 years ahead, fails with ZTASK_CLIENT_E_USAGE
   (docs/scheduling.md). (New functions rather than a field of
   ztask_submit_opts_t: callers allocate that struct, so it cannot grow.) */
int ztask_client_submit_at (ztask_client_t *self, const char *type, const void *payload, size_t size,
                            const ztask_submit_opts_t *opts, int64_t due_ms, uint64_t *id);
int ztask_client_submit_wait_at (ztask_client_t *self, const char *type, const void *payload, size_t size,
                                 const ztask_submit_opts_t *opts, int64_t due_ms, int timeout_ms,
                                 ztask_progress_fn *progress, void *arg, uint64_t *id, ztask_task_t **task);

/* ---- what a task asks of the worker that runs it (docs/routing.md) ----

   A request holds every option of a submit: those of ztask_submit_opts_t,
   the due time of ztask_client_submit_at and what the task asks of its
   worker: requirements on the worker's labels, a constraint on its
   plugin's version, resources it holds while it runs, and the fleet-wide
   limit it counts against. It is opaque, so that it can grow without
   breaking callers (ztask_submit_opts_t cannot: callers allocate it).

        ztask_request_t *request = ztask_request_new ();
        ztask_request_set_priority (request, ZTASK_PRIORITY_HIGH);
        ztask_request_add_require (request, "zone=eu-1");
        ztask_request_add_require (request, "gpu_model in (a100,h100)");
        ztask_request_set_version (request, ">=1.2");
        ztask_request_set_needs (request, "gpu=1,memory_mb=16000");
        ztask_request_set_limit (request, "render-farm");
        if (ztask_client_submit_request (client, "render", data, size, request, &id) != 0)
            fprintf (stderr, "%s\n", ztask_client_error (client));
        ztask_request_destroy (&request);

   The setters copy their strings and only store: they fail (-1) only for
   a NULL request or argument, or when out of memory. The texts are checked
   when the request is submitted: a text that cannot be sent (too long,
   more than 16 requirements, a limit name that is not a name) fails the
   submit with ZTASK_CLIENT_E_USAGE and nothing is sent; a text the
   broker cannot parse, or a limit it does not have, fails it with
   ZTASK_CLIENT_E_REFUSED and the broker's message, which gives the
   column of the fault ("requirement 'zone in (a,': column 12: expected a
   value or ')'"). A broker older than this library drops a submit that
   asks any of these (the call times out): upgrade brokers first. A
   request may be submitted any number of times, by any client. */
typedef struct ztask_request ztask_request_t;

/* A request with the defaults: ZTASK_PRIORITY_NORMAL, no timeout, the
   broker's attempts, no key, now, nothing asked. NULL when out of memory. */
ztask_request_t *ztask_request_new (void);
void ztask_request_destroy (ztask_request_t **self_p);

/* The options of ztask_submit_opts_t: priority (ZTASK_PRIORITY_MIN..MAX;
   -1 if outside), per-attempt run time limit (0: none), attempts at most
   (0: the broker's default), idempotency key (NULL or "": none). */
int ztask_request_set_priority (ztask_request_t *self, int priority);
int ztask_request_set_timeout (ztask_request_t *self, uint32_t timeout_ms);
int ztask_request_set_attempts (ztask_request_t *self, uint32_t max_attempts);
int ztask_request_set_key (ztask_request_t *self, const char *key);

/* A delayed task, as ztask_client_submit_at: due_ms is when it may run
   (wall clock ms; 0: now). */
int ztask_request_set_due (ztask_request_t *self, int64_t due_ms);

/* The task's retry policy: after a failed attempt the next one waits
   between min_ms and max_ms, growing exponentially with jitter
   (docs/scheduling.md); 0, 0: the broker's (its type's, else 250 ms..10 s).
   Returns -1 unless 1 <= min_ms <= max_ms <= 7 days (ZTASK_RETRY_BACKOFF_MAX_MS),
   or both 0. */
#define ZTASK_RETRY_BACKOFF_MAX_MS (7U * 24 * 3600 * 1000)
int ztask_request_set_retry_backoff (ztask_request_t *self, uint32_t min_ms, uint32_t max_ms);

/* Adds a requirement on the worker's labels: "zone=eu-1", "tier!=spot",
   "gpu_model in (a100,h100)", "os" (present), "!spot" (absent),
   "cores>=8". All of them must hold; at most 16 (ZTASK_REQUIRES_MAX), of
   at most 255 bytes each. */
#define ZTASK_REQUIRES_MAX 16
int ztask_request_add_require (ztask_request_t *self, const char *requirement);

/* The plugin version the task accepts, as a constraint on its own type
   without the type: ">=1.2", ">1.2", "<=2", "<2", "=1.4.2", "@1.x",
   "@1.2.x" (NULL or "": any). */
int ztask_request_set_version (ztask_request_t *self, const char *constraint);

/* Resources the task holds while it runs: "gpu=1,memory_mb=16000" (NULL
   or "": none; at most 1023 bytes). */
int ztask_request_set_needs (ztask_request_t *self, const char *resources);

/* A fleet-wide limit the task counts against (one of the broker's
   `limits`; NULL or "": none): at most so many tasks under it run at
   once, across all workers. */
int ztask_request_set_limit (ztask_request_t *self, const char *limit);

/* Dependencies (docs/scheduling.md): the task waits in state
   ZTASK_STATE_BLOCKED until its count parents (ids of tasks that exist)
   ended. With any 0 it runs once every parent is done and is cancelled
   ("parent N failed") as soon as one fails or is cancelled; with any 1 it
   runs once all ended, whatever their states. At most ZTASK_PARENTS_MAX
   parents; count 0 takes them away. A plugin reads its parents' results
   with ztask_parent_result (plugin.h). Returns 0 or -1 (too many, no
   memory). */
#define ZTASK_PARENTS_MAX 64
int ztask_request_set_after (ztask_request_t *self, const uint64_t *ids, size_t count, int any);

/* ztask_client_submit and ztask_client_submit_wait with a request (NULL:
   the defaults). Everything else is as those functions say. */
int ztask_client_submit_request (ztask_client_t *self, const char *type, const void *payload, size_t size,
                                 const ztask_request_t *request, uint64_t *id);
int ztask_client_submit_wait_request (ztask_client_t *self, const char *type, const void *payload, size_t size,
                                      const ztask_request_t *request, int timeout_ms, ztask_progress_fn *progress,
                                      void *arg, uint64_t *id, ztask_task_t **task);

/* The task's current state (without its result) or, with result, also its
   result bytes. ztask_client_status also asks why a queued task waits
   (task->waiting, task->waiting_text). */
int ztask_client_status (ztask_client_t *self, uint64_t id, ztask_task_t **task);
int ztask_client_result (ztask_client_t *self, uint64_t id, ztask_task_t **task);

/* Waits until the task is done, failed or cancelled (timeout_ms < 0: no
   limit), calling progress (if not NULL) as reports arrive (with a list
   of brokers, also with the task as the broker's answer to a probe shows
   it, about once a second while no report comes). On return 0,
   *task holds the final state and result. */
int ztask_client_wait_progress (ztask_client_t *self, uint64_t id, int timeout_ms,
                                ztask_progress_fn *progress, void *arg, ztask_task_t **task);
int ztask_client_wait (ztask_client_t *self, uint64_t id, int timeout_ms, ztask_task_t **task);

/* Submits a task and waits for its end in one request: the same as
   ztask_client_submit then ztask_client_wait_progress, one round trip
   shorter. *id (if not NULL) gets the task's id as soon as the broker has
   stored it, so it is set even when the wait then fails (0 if the submit
   itself failed). With a list of brokers, should the broker be lost
   before it answers, the same request, key and all, goes to the next
   (a submit with a key the broker holds waits on that task). */
int ztask_client_submit_wait (ztask_client_t *self, const char *type, const void *payload, size_t size,
                              const ztask_submit_opts_t *opts, int timeout_ms, ztask_progress_fn *progress,
                              void *arg, uint64_t *id, ztask_task_t **task);

/* Cancels a task. A queued (or scheduled) task is cancelled at once: *task (if task is
   not NULL) comes back in state ZTASK_STATE_CANCELLED. A running task
   comes back still ZTASK_STATE_RUNNING while its worker stops it; it then
   ends cancelled (ztask_client_wait tells when). A task that had already
   ended comes back in its final state, unchanged. An unknown id fails with
   ZTASK_CLIENT_E_NOT_FOUND. */
int ztask_client_cancel (ztask_client_t *self, uint64_t id, ztask_task_t **task);

/* Broker statistics and connected workers, as JSON text (free () it). */
int ztask_client_stats (ztask_client_t *self, char **json);
int ztask_client_workers (ztask_client_t *self, char **json);

/* The newest tasks first, at most limit (1 to ZTASK_LIST_LIMIT_MAX) of
   them, only those in state (a ztask_state_t) or, with state -1, all. As
   JSON text (free () it; docs/protocol.md, LIST, has the details):
       {"tasks": [{"id": 7, "type": "sleep", "priority": 5, "state": "failed",
                   "attempts": 3, "max_attempts": 3, "worker": "w-1",
                   "error": "...", "created_ms": ..., "finished_ms": ...}, ...]}
   worker and error are "" when there is none; finished_ms is 0 until the
   task has ended. */
int ztask_client_list (ztask_client_t *self, int state, unsigned limit, char **json);

/* Which tasks ztask_client_list_filter lists. */
typedef struct {
    int state;             /* a ztask_state_t, or -1: any state              */
    const char *type;      /* a task type, or NULL (or ""): any type         */
    uint64_t before_id;    /* 0: the newest; else only tasks with a smaller
                              id (the next page after the last id seen)     */
    unsigned limit;        /* 1 to ZTASK_LIST_LIMIT_MAX                      */
} ztask_list_opts_t;

#define ZTASK_LIST_OPTS_INIT { -1, NULL, 0, 50 }

/* As ztask_client_list, with a type filter and paging (opts NULL: the
   defaults). The same JSON. */
int ztask_client_list_filter (ztask_client_t *self, const ztask_list_opts_t *opts, char **json);

/* ---- acting on tasks (docs/protocol.md: RETRY, PURGE, PAUSE, RESUME,
   HISTORY). Each answer is JSON text in *json (free () it) when json is
   not NULL. ---- */

/* Requeues a failed or cancelled task with fresh attempts (0 used); it
   runs again like a new task, with the same id, payload and settings.
   *json: {"retried": 1, "ids": [id]}. An unknown id fails with
   ZTASK_CLIENT_E_NOT_FOUND, a task that is queued, running or done with
   ZTASK_CLIENT_E_REFUSED (the error says its state). */
int ztask_client_retry (ztask_client_t *self, uint64_t id, char **json);

/* Requeues, as ztask_client_retry, the failed (state ZTASK_STATE_FAILED),
   cancelled (ZTASK_STATE_CANCELLED) or both (-1) tasks of type (NULL or
   "": any) that ended at or after finished_since_ms (wall clock ms; 0:
   any time), oldest first, at most limit (0: ZTASK_LIST_LIMIT_MAX) and
   no more than the broker's queue has room for. *json: {"retried": N,
   "ids": [...]}. */
int ztask_client_retry_filter (ztask_client_t *self, int state, const char *type, int64_t finished_since_ms,
                               unsigned limit, char **json);

/* Deletes finished tasks (with their results and history): those in state
   (ZTASK_STATE_DONE, _FAILED, _CANCELLED, or -1: all three) of type (NULL
   or "": any) that ended before finished_before_ms (wall clock ms, > 0).
   At most ZTASK_LIST_LIMIT_MAX a call: *purged (if not NULL) says how
   many went; call again while it is ZTASK_LIST_LIMIT_MAX. */
int ztask_client_purge (ztask_client_t *self, int state, const char *type, int64_t finished_before_ms,
                        uint64_t *purged);

/* Pauses a task type: none of its tasks is dispatched until it is
   resumed; queued ones wait (nothing is lost), running ones finish. The
   broker keeps the paused set in its store (it survives restarts and
   failovers). *json: {"type": T, "paused": true}. Resume dispatches its
   queued tasks at once ("paused": false). */
int ztask_client_pause (ztask_client_t *self, const char *type, char **json);
int ztask_client_resume (ztask_client_t *self, const char *type, char **json);

/* Recurring schedules (docs/scheduling.md). Adds schedule name
   ([a-z0-9][a-z0-9._-]{0,63}) that submits a task of type with payload
   and opts (priority, timeout, attempts; opts->key is not used: each fire
   is keyed "NAME@<fire time>") at the times of the five-field cron
   expression cron in time zone tz (NULL or "": UTC); flags
   ZTASK_SCHEDULE_CATCHUP_ONCE: fires missed while no broker ran make one
   fire (else they are skipped). *json (if not NULL): the schedule, with
   its next fire times. A name the broker holds already is refused. */
#define ZTASK_SCHEDULE_CATCHUP_ONCE 1
int ztask_client_schedule_add (ztask_client_t *self, const char *name, const char *cron, const char *tz,
                               const char *type, const void *payload, size_t size,
                               const ztask_submit_opts_t *opts, int flags, char **json);

/* The other schedule commands: ZTASK_SCHEDULE_LIST (name NULL: every
   schedule, {"schedules": [...]}), _SHOW (one, with its next fire times),
   _PAUSE, _RESUME (the schedule as JSON), _REMOVE ({"name": N,
   "removed": true}). */
#define ZTASK_SCHEDULE_LIST 0
#define ZTASK_SCHEDULE_SHOW 1
#define ZTASK_SCHEDULE_PAUSE 2
#define ZTASK_SCHEDULE_RESUME 3
#define ZTASK_SCHEDULE_REMOVE 4
int ztask_client_schedule (ztask_client_t *self, int action, const char *name, char **json);

/* Batches (docs/scheduling.md): many tasks that the broker accepts in one
   commit or not at all, with an optional then task that runs once every
   one of them ended, whatever their states, with the batch's summary as
   its payload.

        ztask_batch_t *batch = ztask_batch_new ();
        for (i = 0; i < n; i++)
            ztask_client_batch_add (client, batch, "resize", images[i], sizes[i], NULL);
        ztask_client_batch_then (client, batch, "report", NULL);
        if (ztask_client_submit_batch (client, batch, &batch_id, &then_id) == 0)
            ... task i of the batch has id batch_id + i ...
        ztask_batch_destroy (&batch);
*/
typedef struct ztask_batch ztask_batch_t;

ztask_batch_t *ztask_batch_new (void);
void ztask_batch_destroy (ztask_batch_t **self_p);

/* How many tasks the batch holds. */
size_t ztask_batch_size (ztask_batch_t *self);

/* Adds a task to batch, checked as ztask_client_submit_request checks it
   (errors in self's ztask_client_error). A task of a batch has no key of
   its own (the batch may have one). Returns 0 or -1. */
int ztask_client_batch_add (ztask_client_t *self, ztask_batch_t *batch, const char *type, const void *payload,
                            size_t size, const ztask_request_t *request);

/* The batch's then task: of type, with request's priority, timeout,
   attempts, retry policy and what it asks of its worker (no key, due time
   or parents: it runs when the batch ended). Its payload is the summary:
   {"batch", "size", "done", "failed", "cancelled", "purged", "listed",
   "tasks": [{"id", "state", "error"}...]}. Returns 0 or -1. */
int ztask_client_batch_then (ztask_client_t *self, ztask_batch_t *batch, const char *type,
                             const ztask_request_t *request);

/* The batch's idempotency key: a batch sent again with a key the broker
   holds returns that batch. Returns 0, or -1 (an invalid key). */
int ztask_batch_set_key (ztask_batch_t *self, const char *key);

/* Submits the batch: every task is accepted in one commit, or none (an
   ERROR names the task it refused). *batch_id: the batch's id, which is
   its first task's; task i has id *batch_id + i. *then_id: the then task's
   id (0: none). Either pointer may be NULL. The wait for the answer is
   the client's timeout plus 10 us a task (storing them takes the broker
   about that). Returns 0 or -1. */
int ztask_client_submit_batch (ztask_client_t *self, ztask_batch_t *batch, uint64_t *batch_id, uint64_t *then_id);

/* After ztask_client_submit_batch: 1 when the broker held the batch's
   key already and answered with that batch (nothing new was stored; its
   size may differ from this one's), else 0. */
int ztask_batch_existing (ztask_batch_t *self);

/* A batch's counts: {"batch", "size", "created_ms", "counts": {state: n},
   "ended", "purged", "then": {"id", "state"} or null}. Returns 0 or -1
   (ZTASK_CLIENT_E_NOT_FOUND: no such batch). */
int ztask_client_batch_status (ztask_client_t *self, uint64_t batch_id, char **json);

/* A task's history, oldest first, as JSON:
       {"id": 7, "history": [{"at_ms": ..., "event": "queued", "attempt": 0,
                              "worker": "", "text": ""}, ...]}
   event: queued, started, progress, requeued, done, failed, cancelled,
   retried. An unknown id fails with ZTASK_CLIENT_E_NOT_FOUND. */
int ztask_client_history (ztask_client_t *self, uint64_t id, char **json);

void ztask_task_destroy (ztask_task_t **task_p);

/* "queued", "running", "done", "failed", "cancelled", "scheduled". */
const char *ztask_state_name (ztask_state_t state);

/* Parses "low", "normal", "high" or a number 0-9; returns -1 if invalid. */
int ztask_priority_parse (const char *text);

#ifdef __cplusplus
}
#endif

#endif
