/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  http_api - ztaskd's HTTP requests, without sockets. See http_api.h. */
#include "http_api.h"
#include "metrics.h"
#include "common/task_json.h"
#include "common/ztask_duration.h"
#include "common/ztask_names.h"
#include "proto/ztask_task_view.h"
#include "ztask/client.h"

#include <errno.h>
#include <sys/stat.h>
#include <jansson.h>

#define RETRY_LIMIT_DEFAULT 1000   /* tasks one filtered retry requeues, unless limit= says */
#define LIST_LIMIT_DEFAULT 50      /* as `ztask list`                         */
#define STATIC_FILE_MAX (4 * 1024 * 1024)

/* What one request needs while it is answered. */
typedef struct {
    const http_api_config_t *config;
    const http_request_t *request;
    http_response_t *response;
    ztask_msg_t *out, *in;
} call_t;

/* ---- responses ---- */

static void
s_set (http_response_t *response, int status, const char *type, char *body, size_t size)
{
    free (response->body);
    response->status = status;
    response->content_type = type;
    response->body = body;
    response->body_size = size;
}

static void
s_json (http_response_t *response, int status, json_t *doc)
{
    char *text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    if (!text) {
        http_api_error (response, 500, "out of memory");
        return;
    }
    s_set (response, status, "application/json", text, strlen (text));
}

void
http_api_error (http_response_t *response, int status, const char *text)
{
    json_t *doc = json_pack ("{s:s}", "error", text);
    char *body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    if (!body)
        body = strdup ("{\"error\":\"out of memory\"}");
    s_set (response, status, "application/json", body, body ? strlen (body) : 0);
}

static int
s_fail (call_t *call, int status, const char *text)
{
    http_api_error (call->response, status, text);
    return -1;
}

bool
http_api_token_equal (const char *presented, const char *expected)
{
    /* Every byte of the expected token is looked at whatever was presented,
       so the time says nothing about how much of it matched. */
    size_t expected_size = strlen (expected), presented_size = strlen (presented);
    volatile unsigned char diff = (unsigned char) (expected_size != presented_size);
    for (size_t i = 0; i < expected_size; i++)
        diff |= (unsigned char) (expected[i] ^ (i < presented_size ? presented[i] : 0));
    return diff == 0;
}

/* ---- asking the broker ---- */

/* Sends call->out; 0 with the answer in call->in (an ERROR already turned
   into the response, returning -1). */
static int
s_ask (call_t *call)
{
    int rc = call->config->ask (call->config->ask_arg, call->out, call->in);
    if (rc == -2)
        return s_fail (call, 501, "this ztaskd cannot do that yet (its protocol has no such command)");
    if (rc != 0)
        return s_fail (call, 503, "the broker did not answer in time");
    if (call->in->command != ZTASK_MSG_ERROR)
        return 0;
    const char *text = call->in->text;
    switch (call->in->error_status) {
    case ZTASK_ERR_NOT_LEADER: {
        json_t *doc = json_pack ("{s:s, s:s}", "error", "this broker is a standby: ask the leader", "leader", text);
        s_json (call->response, 503, doc);
        return -1;
    }
    case ZTASK_ERR_UNAVAILABLE: return s_fail (call, 503, text);
    case ZTASK_ERR_NOT_FOUND: return s_fail (call, 404, text);
    case ZTASK_ERR_BAD_REQUEST: return s_fail (call, 400, text);
    default: return s_fail (call, 500, *text ? text : ztask_msg_error_name (call->in->error_status));
    }
}

static void
s_request (call_t *call, int command)
{
    ztask_msg_reset (call->out, command);
}

/* Asks, expecting a JSON answer, and passes it on as it is. */
static void
s_pass_json (call_t *call, int command)
{
    if (s_ask (call) != 0)
        return;
    if (call->in->command != ZTASK_MSG_JSON || !call->in->body) {
        s_fail (call, 502, "the broker answered in a way this server does not know");
        return;
    }
    size_t size = zframe_size (call->in->body);
    char *body = (char *) malloc (size + 1);
    if (!body) {
        s_fail (call, 500, "out of memory");
        return;
    }
    memcpy (body, zframe_data (call->in->body), size);
    body[size] = 0;
    s_set (call->response, 200, "application/json", body, size);
}

/* The metrics snapshot, or NULL after setting the response. */
static const metrics_data_t *
s_metrics (call_t *call)
{
    s_request (call, ZTASK_MSG_METRICS);
    if (s_ask (call) != 0)
        return NULL;
    const metrics_data_t *data = call->in->body ? (const metrics_data_t *) zframe_data (call->in->body) : NULL;
    if (call->in->command != ZTASK_MSG_METRICS || !data || zframe_size (call->in->body) != sizeof (metrics_data_t)
        || data->version != METRICS_DATA_VERSION || data->size != sizeof (metrics_data_t)) {
        s_fail (call, 502, "the broker's metrics snapshot is not of this build");
        return NULL;
    }
    return data;
}

/* ---- parsing ---- */

static const char *
s_arg (const http_request_t *request, const char *key)
{
    for (size_t i = 0; i < request->arg_count; i++)
        if (streq (request->args[i].key, key))
            return request->args[i].value;
    return NULL;
}

/* Refuses arguments not in allowed (NULL-terminated) and repeated ones. */
static int
s_args_check (call_t *call, const char *const *allowed)
{
    const http_request_t *r = call->request;
    if (r->args_overflow)
        return s_fail (call, 400, "too many query arguments");
    for (size_t i = 0; i < r->arg_count; i++) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = streq (*a, r->args[i].key);
        char text[128];
        if (!known) {
            snprintf (text, sizeof text, "unknown query argument '%.64s'", r->args[i].key);
            return s_fail (call, 400, text);
        }
        for (size_t k = 0; k < i; k++)
            if (streq (r->args[k].key, r->args[i].key)) {
                snprintf (text, sizeof text, "query argument '%.64s' given twice", r->args[i].key);
                return s_fail (call, 400, text);
            }
    }
    return 0;
}

/* A decimal number 1..max, digits only. */
static int
s_number (const char *text, uint64_t max, uint64_t *value)
{
    if (!text || !*text || strlen (text) > 20 || strspn (text, "0123456789") != strlen (text))
        return -1;
    errno = 0;
    unsigned long long n = strtoull (text, NULL, 10);
    if (errno || n < 1 || n > max)
        return -1;
    *value = n;
    return 0;
}

/* An age, "90s", "15m", "2h", "7d" (ztask_duration.h: the unit is
   required, as for ztask --since), at most 100 years: milliseconds. */
static int
s_duration (const char *text, int64_t *ms)
{
    uint64_t value;
    if (ztask_duration_parse (text, 0, ZTASK_AGE_MAX_MS, &value) != 0)
        return -1;
    *ms = (int64_t) value;
    return 0;
}

/* A state name (ztask_state_parse) or "any": the LIST / RETRY / PURGE
   state field. */
static int
s_state (const char *text, uint8_t *state)
{
    int value = streq (text, "any") ? ZTASK_LIST_ANY : ztask_state_parse (text);
    if (value < 0)
        return -1;
    *state = (uint8_t) value;
    return 0;
}

static int
s_type_arg (call_t *call, const char *type)
{
    char why[128], text[192];
    if (!type || !*type)
        return 0;
    if (!ztask_name_valid (type, why, sizeof why) || strlen (type) > ZTASK_STRING_MAX) {
        snprintf (text, sizeof text, "invalid task type: %s", ztask_name_valid (type, why, sizeof why) ? "too long" : why);
        return s_fail (call, 400, text);
    }
    ztask_msg_strcpy (call->out->type, type);
    return 0;
}

/* ---- routes ---- */

static void
s_get_metrics (call_t *call)
{
    const metrics_data_t *data = s_metrics (call);
    if (!data)
        return;
    zchunk_t *text = zchunk_new (NULL, 16384);
    metrics_render (data, call->config->store_file, text);
    size_t size = zchunk_size (text);
    char *body = (char *) malloc (size + 1);
    if (body) {
        memcpy (body, zchunk_data (text), size);
        body[size] = 0;
        s_set (call->response, 200, "text/plain; version=0.0.4; charset=utf-8", body, size);
    }
    else
        s_fail (call, 500, "out of memory");
    zchunk_destroy (&text);
}

static void
s_get_series (call_t *call)
{
    const metrics_data_t *data = s_metrics (call);
    if (!data)
        return;
    char *text = metrics_series_json (data);
    if (text)
        s_set (call->response, 200, "application/json", text, strlen (text));
    else
        s_fail (call, 500, "out of memory");
}

static void
s_get_tasks (call_t *call)
{
    static const char *const allowed[] = { "state", "type", "limit", "before", NULL };
    if (s_args_check (call, allowed))
        return;
    const http_request_t *r = call->request;
    s_request (call, ZTASK_MSG_LIST);
    call->out->state = ZTASK_LIST_ANY;
    call->out->limit = LIST_LIMIT_DEFAULT;
    const char *state = s_arg (r, "state"), *limit = s_arg (r, "limit"), *before = s_arg (r, "before");
    uint64_t n;
    if (state && s_state (state, &call->out->state)) {
        s_fail (call, 400, "state must be queued, running, done, failed, cancelled, scheduled, blocked or any");
        return;
    }
    if (limit) {
        if (s_number (limit, ZTASK_LIST_LIMIT_MAX, &n)) {
            s_fail (call, 400, "limit must be a number from 1 to 10000");
            return;
        }
        call->out->limit = (uint32_t) n;
    }
    if (before) {
        if (s_number (before, INT64_MAX, &n)) {
            s_fail (call, 400, "before must be a task id");
            return;
        }
        call->out->task_id = n;
    }
    if (s_type_arg (call, s_arg (r, "type")))
        return;
    s_pass_json (call, ZTASK_MSG_LIST);
}

/* The task of a TASK_INFO answer, as the CLI's JSON. */
static json_t *
s_task_doc (ztask_msg_t *m)
{
    ztask_task_view_t view;
    return ztask_task_json (ztask_task_view (&view, m), false);
}

static void
s_get_task (call_t *call, uint64_t id)
{
    if (s_args_check (call, (const char *const[]) { NULL }))
        return;
    s_request (call, ZTASK_MSG_STATUS);
    call->out->task_id = id;
    call->out->flags = ZTASK_FLAG_WAITING; /* and why a queued task waits */
    if (s_ask (call) != 0)
        return;
    if (call->in->command != ZTASK_MSG_TASK_INFO) {
        s_fail (call, 502, "the broker answered in a way this server does not know");
        return;
    }
    json_t *doc = s_task_doc (call->in);
    /* Its history, when the broker keeps one (else an empty list). */
    s_request (call, ZTASK_MSG_HISTORY);
    call->out->task_id = id;
    json_t *history = NULL;
    if (call->config->ask (call->config->ask_arg, call->out, call->in) == 0 && call->in->command == ZTASK_MSG_JSON
        && call->in->body) {
        json_t *answer = json_loadb ((const char *) zframe_data (call->in->body), zframe_size (call->in->body), 0, NULL);
        json_t *list = json_object_get (answer, "history");
        if (json_is_array (list))
            history = json_incref (list);
        json_decref (answer);
    }
    json_object_set_new (doc, "history", history ? history : json_array ());
    s_json (call->response, 200, doc);
}

/* Whether the request may act: a token is configured and presented. */
static int
s_authorised (call_t *call)
{
    const http_request_t *r = call->request;
    if (!call->config->token)
        return s_fail (call, 403, "actions are off: set http.token_file");
    const char *presented = r->authorization;
    if (!presented || strncasecmp (presented, "Bearer ", 7) != 0) {
        call->response->authenticate = true;
        return s_fail (call, 401, "this action needs the header 'Authorization: Bearer <token>'");
    }
    presented += 7;
    while (*presented == ' ')
        presented++;
    if (!http_api_token_equal (presented, call->config->token))
        return s_fail (call, 403, "wrong token");
    return 0;
}

static void
s_cancel (call_t *call, uint64_t id)
{
    s_request (call, ZTASK_MSG_CANCEL);
    call->out->task_id = id;
    if (s_ask (call) != 0)
        return;
    if (call->in->command != ZTASK_MSG_TASK_INFO) {
        s_fail (call, 502, "the broker answered in a way this server does not know");
        return;
    }
    s_json (call->response, 200, s_task_doc (call->in));
}

static void
s_retry_one (call_t *call, uint64_t id)
{
    s_request (call, ZTASK_MSG_RETRY);
    call->out->task_id = id;
    s_pass_json (call, ZTASK_MSG_RETRY);
}

/* POST /api/v1/retry?state=failed&type=T&since=1h&limit=N */
static void
s_retry_filter (call_t *call)
{
    static const char *const allowed[] = { "state", "type", "since", "limit", NULL };
    if (s_args_check (call, allowed))
        return;
    const http_request_t *r = call->request;
    s_request (call, ZTASK_MSG_RETRY);
    call->out->state = ZTASK_STATE_FAILED;
    call->out->limit = RETRY_LIMIT_DEFAULT;
    const char *state = s_arg (r, "state"), *since = s_arg (r, "since"), *limit = s_arg (r, "limit");
    if (state) {
        uint8_t value;
        if (s_state (state, &value)
            || (value != ZTASK_STATE_FAILED && value != ZTASK_STATE_CANCELLED && value != ZTASK_LIST_ANY)) {
            s_fail (call, 400, "state must be failed, cancelled or any");
            return;
        }
        call->out->state = value;
    }
    int64_t ms;
    if (since) {
        if (s_duration (since, &ms)) {
            s_fail (call, 400, "since must be a duration with its unit such as 90s, 15m, 2h or 7d");
            return;
        }
        call->out->created_ms = zclock_time () - ms;
    }
    uint64_t n;
    if (limit) {
        if (s_number (limit, ZTASK_LIST_LIMIT_MAX, &n)) {
            s_fail (call, 400, "limit must be a number from 1 to 10000");
            return;
        }
        call->out->limit = (uint32_t) n;
    }
    if (s_type_arg (call, s_arg (r, "type")))
        return;
    s_pass_json (call, ZTASK_MSG_RETRY);
}

/* POST /api/v1/purge?state=failed&before=7d&type=T */
static void
s_purge (call_t *call)
{
    static const char *const allowed[] = { "state", "type", "before", NULL };
    if (s_args_check (call, allowed))
        return;
    const http_request_t *r = call->request;
    s_request (call, ZTASK_MSG_PURGE);
    call->out->state = ZTASK_LIST_ANY;
    const char *state = s_arg (r, "state"), *before = s_arg (r, "before");
    if (state) {
        uint8_t value;
        if (s_state (state, &value)
            || (value != ZTASK_STATE_DONE && value != ZTASK_STATE_FAILED && value != ZTASK_STATE_CANCELLED
                && value != ZTASK_LIST_ANY)) {
            s_fail (call, 400, "state must be done, failed, cancelled or any");
            return;
        }
        call->out->state = value;
    }
    int64_t ms;
    if (!before || s_duration (before, &ms)) {
        s_fail (call, 400, "before is required: a duration with its unit such as 7d (tasks finished longer ago go)");
        return;
    }
    call->out->finished_ms = zclock_time () - ms;
    if (s_type_arg (call, s_arg (r, "type")))
        return;
    s_pass_json (call, ZTASK_MSG_PURGE);
}

static void
s_pause (call_t *call, const char *type, bool pause)
{
    s_request (call, pause ? ZTASK_MSG_PAUSE : ZTASK_MSG_RESUME);
    if (s_type_arg (call, type))
        return;
    s_pass_json (call, pause ? ZTASK_MSG_PAUSE : ZTASK_MSG_RESUME);
}

/* ---- static files ---- */

static const struct {
    const char *path, *file, *type;
} s_static[] = {
    { "/", "index.html", "text/html; charset=utf-8" },
    { "/index.html", "index.html", "text/html; charset=utf-8" },
    { "/app.js", "app.js", "text/javascript; charset=utf-8" },
    { "/style.css", "style.css", "text/css; charset=utf-8" },
    { "/favicon.ico", "favicon.ico", "image/x-icon" },
    { NULL, NULL, NULL },
};

static void
s_static_file (call_t *call, const char *file, const char *type)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", call->config->web_root ? call->config->web_root : ".", file);
    FILE *handle = fopen (path, "rb");
    if (!handle) {
        s_fail (call, 404, "no such file in the dashboard's web_root");
        return;
    }
    /* As large as the file, not as the largest allowed: a response's
       buffer lives until a (maybe slow) client has read it. */
    struct stat info;
    if (fstat (fileno (handle), &info) != 0 || !S_ISREG (info.st_mode) || info.st_size > STATIC_FILE_MAX) {
        fclose (handle);
        s_fail (call, 500, "a dashboard file is not a regular file of at most 4 MiB");
        return;
    }
    size_t want = (size_t) info.st_size;
    char *body = (char *) malloc (want ? want : 1);
    size_t size = body ? fread (body, 1, want, handle) : 0;
    fclose (handle);
    if (!body) {
        s_fail (call, 500, "out of memory");
        return;
    }
    s_set (call->response, 200, type, body, size);
}

/* ---- routing ---- */

/* Whether the method is one the route takes (GET routes take HEAD too). */
static bool
s_method (call_t *call, const char *allowed)
{
    const char *method = call->request->method;
    if (streq (allowed, "GET") ? streq (method, "GET") || streq (method, "HEAD") : streq (method, allowed))
        return true;
    call->response->allow = streq (allowed, "GET") ? "GET, HEAD" : allowed;
    s_fail (call, 405, streq (allowed, "GET") ? "use GET" : "use POST");
    return false;
}

/* Whether an Origin header, when there is one, is this server's own. */
static bool
s_same_origin (const http_request_t *r)
{
    if (!r->origin)
        return true;
    if (!r->host)
        return false;
    char own[600];
    snprintf (own, sizeof own, "http://%s", r->host);
    return streq (r->origin, own);
}

static void
s_route (call_t *call)
{
    const http_request_t *r = call->request;
    const char *path = r->path;
    if (!path || path[0] != '/' || strstr (path, "/../") || strstr (path, "/./") || strstr (path, "//")
        || (strlen (path) >= 3 && streq (path + strlen (path) - 3, "/..")) || strlen (path) > 1024) {
        s_fail (call, 400, "malformed path");
        return;
    }
    for (const char *c = path; *c; c++)
        if ((unsigned char) *c < 0x21 || (unsigned char) *c == 0x7F) {
            s_fail (call, 400, "malformed path");
            return;
        }
    if (streq (path, "/metrics")) {
        if (s_method (call, "GET") && !s_args_check (call, (const char *const[]) { NULL }))
            s_get_metrics (call);
        return;
    }
    for (int i = 0; s_static[i].path; i++)
        if (streq (path, s_static[i].path)) {
            if (s_method (call, "GET"))
                s_static_file (call, s_static[i].file, s_static[i].type);
            return;
        }
    const char *api = "/api/v1/";
    if (strncmp (path, api, strlen (api)) != 0) {
        s_fail (call, 404, "no such path");
        return;
    }
    if (!s_same_origin (r)) {
        s_fail (call, 403, "cross-site request refused: the Origin is not this server's");
        return;
    }
    const char *rest = path + strlen (api);
    if (streq (rest, "stats") || streq (rest, "workers")) {
        if (s_method (call, "GET") && !s_args_check (call, (const char *const[]) { NULL })) {
            s_request (call, streq (rest, "stats") ? ZTASK_MSG_STATS : ZTASK_MSG_WORKERS);
            s_pass_json (call, call->out->command);
        }
        return;
    }
    if (streq (rest, "series")) {
        if (s_method (call, "GET") && !s_args_check (call, (const char *const[]) { NULL }))
            s_get_series (call);
        return;
    }
    if (streq (rest, "tasks")) {
        if (s_method (call, "GET"))
            s_get_tasks (call);
        return;
    }
    if (streq (rest, "retry") || streq (rest, "purge")) {
        if (s_method (call, "POST") && !s_authorised (call)) {
            if (streq (rest, "retry"))
                s_retry_filter (call);
            else
                s_purge (call);
        }
        return;
    }
    if (strncmp (rest, "tasks/", 6) == 0) {
        /* tasks/ID, tasks/ID/cancel, tasks/ID/retry */
        const char *id_text = rest + 6, *slash = strchr (id_text, '/');
        char id_buffer[32];
        size_t id_size = slash ? (size_t) (slash - id_text) : strlen (id_text);
        const char *action = slash ? slash + 1 : NULL;
        if (action && !streq (action, "cancel") && !streq (action, "retry")) {
            s_fail (call, 404, "no such path");
            return;
        }
        uint64_t id;
        if (id_size >= sizeof id_buffer) {
            s_fail (call, 400, "a task id is a number from 1 to 9223372036854775807");
            return;
        }
        memcpy (id_buffer, id_text, id_size);
        id_buffer[id_size] = 0;
        if (s_number (id_buffer, INT64_MAX, &id)) {
            s_fail (call, 400, "a task id is a number from 1 to 9223372036854775807");
            return;
        }
        if (!action) {
            if (s_method (call, "GET"))
                s_get_task (call, id);
        }
        else if (s_method (call, "POST") && !s_authorised (call)
                 && !s_args_check (call, (const char *const[]) { NULL })) {
            if (streq (action, "cancel"))
                s_cancel (call, id);
            else
                s_retry_one (call, id);
        }
        return;
    }
    if (strncmp (rest, "types/", 6) == 0) {
        const char *type = rest + 6, *slash = strrchr (type, '/');
        if (!slash || slash == type || (!streq (slash, "/pause") && !streq (slash, "/resume"))) {
            s_fail (call, 404, "no such path");
            return;
        }
        char name[ZTASK_STRING_MAX + 1];
        size_t size = (size_t) (slash - type);
        if (size > ZTASK_STRING_MAX) {
            s_fail (call, 400, "invalid task type: too long");
            return;
        }
        memcpy (name, type, size);
        name[size] = 0;
        if (s_method (call, "POST") && !s_authorised (call) && !s_args_check (call, (const char *const[]) { NULL }))
            s_pause (call, name, streq (slash, "/pause"));
        return;
    }
    s_fail (call, 404, "no such path");
}

void
http_api_handle (const http_api_config_t *config, const http_request_t *request, http_response_t *response)
{
    memset (response, 0, sizeof *response);
    call_t call = { config, request, response, ztask_msg_new (), ztask_msg_new () };
    if (request->body_size > HTTP_BODY_MAX)
        http_api_error (response, 413, "request body over 64 KiB");
    else if (!request->method || !request->path)
        http_api_error (response, 400, "malformed request");
    else
        s_route (&call);
    if (!response->body)
        http_api_error (response, 500, "no answer");
    ztask_msg_destroy (&call.out);
    ztask_msg_destroy (&call.in);
}
