/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  http_test - ztaskd's HTTP requests without sockets (src/broker/http_api.c)
    against a fake broker: routing, methods, the token and Origin, limits,
    bad ids and query values; and the metrics (src/broker/metrics.c): the
    counters the hooks keep, the text format's escaping, the "_other"
    type beyond the limit, the series. tests/http.sh has the real thing. */
#include "tap.h"
#include "broker/http_api.h"
#include "broker/metrics.h"
#include "ztask/client.h"

#include <czmq.h>
#include <jansson.h>

#define TOKEN "0123456789abcdef-secret"

/* ---- a fake broker ---- */

static ztask_msg_t *s_last;      /* the last request it was asked          */
static int s_asked;              /* requests asked                          */
static bool s_silent;            /* answers nothing (timeout)               */
static int s_error_status;       /* answers this ERROR when not 0           */
static metrics_t *s_metrics;

static int
s_fake_ask (void *arg, ztask_msg_t *request, ztask_msg_t *reply)
{
    s_asked++;
    ztask_msg_reset (s_last, request->command);
    s_last->task_id = request->task_id;
    s_last->state = request->state;
    s_last->limit = request->limit;
    s_last->created_ms = request->created_ms;
    s_last->finished_ms = request->finished_ms;
    memcpy (s_last->type, request->type, sizeof s_last->type);
    if (s_silent)
        return -1;
    ztask_msg_reset (reply, ZTASK_MSG_JSON);
    reply->corr = request->corr;
    if (s_error_status) {
        ztask_msg_reset (reply, ZTASK_MSG_ERROR);
        reply->error_status = (uint16_t) s_error_status;
        ztask_msg_strcpy (reply->text, s_error_status == ZTASK_ERR_NOT_LEADER ? "tcp://leader:5570" : "no");
        return 0;
    }
    switch (request->command) {
    case ZTASK_MSG_STATS: ztask_msg_set_body (reply, "{\"queued\":3}", 12); break;
    case ZTASK_MSG_WORKERS: ztask_msg_set_body (reply, "{\"workers\":[]}", 14); break;
    case ZTASK_MSG_LIST: ztask_msg_set_body (reply, "{\"tasks\":[]}", 12); break;
    case ZTASK_MSG_STATUS:
    case ZTASK_MSG_CANCEL:
        if (request->task_id == 404) {
            ztask_msg_reset (reply, ZTASK_MSG_ERROR);
            reply->error_status = ZTASK_ERR_NOT_FOUND;
            ztask_msg_strcpy (reply->text, "no task 404");
            break;
        }
        ztask_msg_reset (reply, ZTASK_MSG_TASK_INFO);
        reply->task_id = request->task_id;
        reply->state = request->command == ZTASK_MSG_CANCEL ? ZTASK_STATE_CANCELLED : ZTASK_STATE_QUEUED;
        ztask_msg_strcpy (reply->type, "echo");
        reply->priority = 5;
        if (request->task_id == 43) { /* a task that asks something, and waits */
            reply->require_count = 2;
            ztask_msg_strcpy (reply->require[0], "os");
            ztask_msg_strcpy (reply->require[1], "zone=eu-1");
            ztask_msg_strcpy (reply->version, ">=1.2");
            snprintf (reply->needs, sizeof reply->needs, "gpu=1");
            ztask_msg_strcpy (reply->limit_name, "api");
            if (request->flags & ZTASK_FLAG_WAITING) {
                ztask_msg_strcpy (reply->waiting, "limit");
                ztask_msg_strcpy (reply->waiting_text, "limit api is full: 1 of 1");
            }
        }
        break;
    case ZTASK_MSG_METRICS: {
        metrics_data_t *data = metrics_data (s_metrics);
        data->now_ms = zclock_time ();
        snprintf (data->backend, sizeof data->backend, "SQLite");
        snprintf (data->role, sizeof data->role, "single");
        data->leading = true;
        ztask_msg_reset (reply, ZTASK_MSG_METRICS);
        reply->flags = ZTASK_FLAG_RESULT;
        ztask_msg_set_body (reply, data, sizeof *data);
        break;
    }
    default: /* RETRY, PURGE, PAUSE, RESUME, HISTORY: a JSON answer */
        ztask_msg_set_body (reply, "{\"ok\":1}", 8);
    }
    reply->corr = request->corr;
    return 0;
}

static http_api_config_t s_config = { s_fake_ask, NULL, TOKEN, NULL, NULL };

/* Answers method path (query "k=v&k=v", headers): status; body in *body. */
static int
s_call (const char *method, const char *path, const char *query, const char *authorization, const char *origin,
        char **body)
{
    http_request_t request = { 0 };
    request.method = method;
    request.path = path;
    request.authorization = authorization;
    request.origin = origin;
    request.host = "127.0.0.1:5580";
    char copy[1024] = "";
    if (query) {
        snprintf (copy, sizeof copy, "%s", query);
        char *save = NULL;
        for (char *pair = strtok_r (copy, "&", &save); pair; pair = strtok_r (NULL, "&", &save)) {
            if (request.arg_count == HTTP_ARGS_MAX) {
                request.args_overflow = true;
                break;
            }
            char *eq = strchr (pair, '=');
            if (eq)
                *eq = 0;
            request.args[request.arg_count].key = pair;
            request.args[request.arg_count].value = eq ? eq + 1 : "";
            request.arg_count++;
        }
    }
    http_response_t response;
    http_api_handle (&s_config, &request, &response);
    int status = response.status;
    if (body)
        *body = response.body;
    else
        free (response.body);
    return status;
}

static int
s_status (const char *method, const char *path, const char *query)
{
    return s_call (method, path, query, NULL, NULL, NULL);
}

static const char *BEARER = "Bearer " TOKEN;

static void
s_test_routing (void)
{
    char *body = NULL;
    TAP_OK (s_call ("GET", "/api/v1/stats", NULL, NULL, NULL, &body) == 200, "GET stats: 200");
    TAP_OK (body && streq (body, "{\"queued\":3}"), "stats: the broker's document as it is");
    free (body);
    TAP_OK (s_last->command == ZTASK_MSG_STATS, "stats asks STATS");
    TAP_OK (s_status ("GET", "/api/v1/workers", NULL) == 200 && s_last->command == ZTASK_MSG_WORKERS,
            "GET workers asks WORKERS");
    TAP_OK (s_status ("HEAD", "/api/v1/workers", NULL) == 200, "HEAD works where GET does");
    TAP_OK (s_status ("GET", "/api/v1/nothing", NULL) == 404, "unknown API path: 404");
    TAP_OK (s_status ("GET", "/etc/passwd", NULL) == 404, "unknown path: 404");
    TAP_OK (s_status ("GET", "/api/v1/../../etc/passwd", NULL) == 400, "path with /../: 400");
    TAP_OK (s_status ("GET", "/..", NULL) == 400, "path ending /..: 400");
    TAP_OK (s_status ("GET", "//metrics", NULL) == 400, "path with //: 400");
    TAP_OK (s_status ("GET", "/api/v1/stats\x01", NULL) == 400, "control byte in the path: 400");
    TAP_OK (s_status ("GET", "", NULL) == 400, "empty path: 400");
    TAP_OK (s_status ("POST", "/api/v1/stats", NULL) == 405, "POST stats: 405");
    TAP_OK (s_status ("DELETE", "/metrics", NULL) == 405, "DELETE /metrics: 405");
    TAP_OK (s_status ("GET", "/api/v1/tasks/1/cancel", NULL) == 405, "GET on an action: 405");
    TAP_OK (s_status ("GET", "/api/v1/stats", "x=1") == 400, "unknown query argument: 400");
    body = NULL;
    TAP_OK (s_call ("GET", "/api/v1/stats", "x=1", NULL, NULL, &body) == 400 && body && strstr (body, "\"error\""),
            "errors are JSON {\"error\": ...}");
    free (body);
}

static void
s_test_tasks (void)
{
    TAP_OK (s_status ("GET", "/api/v1/tasks", NULL) == 200 && s_last->command == ZTASK_MSG_LIST
                && s_last->state == ZTASK_LIST_ANY && s_last->limit == 50,
            "GET tasks: LIST of any state, 50 (as ztask list)");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "state=failed&limit=7&type=echo&before=99") == 200
                && s_last->state == ZTASK_STATE_FAILED && s_last->limit == 7 && streq (s_last->type, "echo")
                && s_last->task_id == 99,
            "state, limit, type and before go into LIST");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "state=bogus") == 400, "unknown state: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "state=blocked") == 200 && s_last->state == ZTASK_STATE_BLOCKED,
            "state blocked (the names of ztask_state_parse, as ztask list --state)");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "state=Failed") == 400, "a state in another case: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "limit=0") == 400, "limit 0: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "limit=10001") == 400, "limit over 10000: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "limit=-1") == 400, "negative limit: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "limit=5&limit=6") == 400, "argument twice: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "before=abc") == 400, "before not a number: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "type=a\x01b") == 400, "invalid type name: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks", "a&b&c&d&e&f&g&h&i&j&k&l&m&n&o&p&q") == 400, "too many arguments: 400");

    char *body = NULL;
    TAP_OK (s_call ("GET", "/api/v1/tasks/42", NULL, NULL, NULL, &body) == 200, "GET tasks/42: 200");
    json_t *doc = body ? json_loads (body, 0, NULL) : NULL;
    TAP_OK (doc && json_integer_value (json_object_get (doc, "id")) == 42
                && streq (json_string_value (json_object_get (doc, "state")), "queued")
                && json_is_object (json_object_get (doc, "progress")),
            "the task document of ztask status --json");
    TAP_OK (json_is_array (json_object_get (doc, "history")), "with a history list");
    TAP_OK (json_array_size (json_object_get (doc, "require")) == 0
                && streq (json_string_value (json_object_get (doc, "needs")), "")
                && json_is_null (json_object_get (doc, "waiting")),
            "  asking nothing: require [], needs \"\", waiting null");
    json_decref (doc);
    free (body);
    TAP_OK (s_call ("GET", "/api/v1/tasks/43", NULL, NULL, NULL, &body) == 200, "GET tasks/43: 200");
    doc = body ? json_loads (body, 0, NULL) : NULL;
    json_t *require = json_object_get (doc, "require");
    TAP_OK (json_array_size (require) == 2 && streq (json_string_value (json_array_get (require, 1)), "zone=eu-1")
                && streq (json_string_value (json_object_get (doc, "version")), ">=1.2")
                && streq (json_string_value (json_object_get (doc, "needs")), "gpu=1")
                && streq (json_string_value (json_object_get (doc, "limit")), "api"),
            "  what it asks: require, version, needs, limit");
    TAP_OK (streq (json_string_value (json_object_get (json_object_get (doc, "waiting"), "code")), "limit")
                && streq (json_string_value (json_object_get (json_object_get (doc, "waiting"), "text")),
                          "limit api is full: 1 of 1"),
            "  and why it waits, {code, text} (the API asked the broker, with STATUS's flag 2)");
    json_decref (doc);
    free (body);
    TAP_OK (s_status ("GET", "/api/v1/tasks/404", NULL) == 404, "unknown task: 404");
    TAP_OK (s_status ("GET", "/api/v1/tasks/0", NULL) == 400, "task 0: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks/abc", NULL) == 400, "task id not a number: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks/1x", NULL) == 400, "task id with letters: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks/-1", NULL) == 400, "negative task id: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks/99999999999999999999", NULL) == 400, "task id over 2^63: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks/123456789012345678901234567890", NULL) == 400, "very long task id: 400");
    TAP_OK (s_status ("GET", "/api/v1/tasks/", NULL) == 400, "empty task id: 400");
    TAP_OK (s_status ("POST", "/api/v1/tasks/5/explode", NULL) == 404, "unknown task action: 404");
}

static void
s_test_actions (void)
{
    char *body = NULL;
    int asked = s_asked;
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, NULL, NULL, NULL) == 401 && s_asked == asked,
            "cancel without a token: 401, the broker is not asked");
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, "Bearer wrong-token-0123456789", NULL, NULL) == 403
                && s_asked == asked,
            "a wrong token: 403");
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, "Basic " TOKEN, NULL, NULL) == 401,
            "not a bearer token: 401");
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, "Bearer " TOKEN "x", NULL, NULL) == 403,
            "the token and more: 403");
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, "Bearer 0123456789abcdef", NULL, NULL) == 403,
            "a prefix of the token: 403");
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, BEARER, "http://evil.example", NULL) == 403
                && s_asked == asked,
            "a foreign Origin: 403");
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, BEARER, "http://127.0.0.1:5580", &body) == 200
                && s_last->command == ZTASK_MSG_CANCEL && s_last->task_id == 5,
            "cancel with the token and our own Origin: CANCEL 5");
    TAP_CONTAINS (body, "\"state\":\"cancelled\"", "the answer is the task document");
    free (body);
    TAP_OK (s_call ("POST", "/api/v1/tasks/404/cancel", NULL, BEARER, NULL, NULL) == 404, "cancel of an unknown task: 404");
    TAP_OK (s_call ("GET", "/api/v1/stats", NULL, NULL, "http://evil.example", NULL) == 403,
            "a read from a foreign Origin: 403");

    TAP_OK (s_call ("POST", "/api/v1/tasks/7/retry", NULL, BEARER, NULL, NULL) == 200
                && s_last->command == 9 && s_last->task_id == 7,
            "retry one task: RETRY 9 with its id");
    TAP_OK (s_call ("POST", "/api/v1/retry", "state=failed&type=echo&since=1h", BEARER, NULL, NULL) == 200
                && s_last->command == 9 && s_last->task_id == 0 && s_last->state == ZTASK_STATE_FAILED
                && streq (s_last->type, "echo") && zclock_time () - s_last->created_ms >= 3600000
                && zclock_time () - s_last->created_ms < 3700000,
            "retry by filter: RETRY with state, type, since");
    TAP_OK (s_call ("POST", "/api/v1/retry", "state=done", BEARER, NULL, NULL) == 400, "retry of done tasks: 400");
    TAP_OK (s_call ("POST", "/api/v1/retry", "since=1y", BEARER, NULL, NULL) == 400, "since 1y: 400");
    TAP_OK (s_call ("POST", "/api/v1/retry", "since=h", BEARER, NULL, NULL) == 400, "since without a number: 400");
    TAP_OK (s_call ("POST", "/api/v1/retry", "since=90", BEARER, NULL, NULL) == 400,
            "since without a unit: 400 (as ztask --since)");
    TAP_OK (s_call ("POST", "/api/v1/retry", "since=36501d", BEARER, NULL, NULL) == 400, "since over 100 years: 400");
    TAP_OK (s_call ("POST", "/api/v1/retry", "since=1500ms", BEARER, NULL, NULL) == 200
                && zclock_time () - s_last->created_ms >= 1500 && zclock_time () - s_last->created_ms < 60000,
            "since in ms (ztask_duration.h)");
    TAP_OK (s_call ("POST", "/api/v1/purge", "state=failed&before=7d", BEARER, NULL, NULL) == 200
                && s_last->command == 10 && s_last->state == ZTASK_STATE_FAILED
                && zclock_time () - s_last->finished_ms >= 7 * 86400000LL,
            "purge: PURGE 10 with state and finished before");
    TAP_OK (s_call ("POST", "/api/v1/purge", "state=failed", BEARER, NULL, NULL) == 400, "purge without before: 400");
    TAP_OK (s_call ("POST", "/api/v1/purge", "state=queued&before=1d", BEARER, NULL, NULL) == 400,
            "purge of queued tasks: 400");
    TAP_OK (s_call ("POST", "/api/v1/purge", "state=scheduled&before=1d", BEARER, NULL, NULL) == 400
                && s_call ("POST", "/api/v1/purge", "state=blocked&before=1d", BEARER, NULL, NULL) == 400,
            "purge of scheduled or blocked tasks: 400 (as ztask purge)");
    TAP_OK (s_call ("POST", "/api/v1/purge", "state=any&before=0s", BEARER, NULL, NULL) == 200
                && s_last->state == ZTASK_LIST_ANY,
            "purge of any finished state, before 0s");
    TAP_OK (s_call ("POST", "/api/v1/types/echo/pause", NULL, BEARER, NULL, NULL) == 200 && s_last->command == 11
                && streq (s_last->type, "echo"),
            "pause: PAUSE 11 with the type");
    TAP_OK (s_call ("POST", "/api/v1/types/echo/resume", NULL, BEARER, NULL, NULL) == 200 && s_last->command == 12,
            "resume: RESUME 12");
    TAP_OK (s_call ("POST", "/api/v1/types/bad name/pause", NULL, BEARER, NULL, NULL) == 400,
            "pause of an invalid type name: 400");
    TAP_OK (s_call ("POST", "/api/v1/types//pause", NULL, BEARER, NULL, NULL) == 400, "pause of no type: 400");
    TAP_OK (s_call ("POST", "/api/v1/types/echo/stop", NULL, BEARER, NULL, NULL) == 404, "unknown type action: 404");

    /* Without a token file, actions are off. */
    s_config.token = NULL;
    body = NULL;
    TAP_OK (s_call ("POST", "/api/v1/tasks/5/cancel", NULL, BEARER, NULL, &body) == 403, "actions off: 403");
    TAP_CONTAINS (body, "http.token_file", "and says how to turn them on");
    free (body);
    s_config.token = TOKEN;
}

static void
s_test_broker_states (void)
{
    char *body = NULL;
    s_silent = true;
    TAP_OK (s_status ("GET", "/api/v1/stats", NULL) == 503, "a silent broker: 503");
    s_silent = false;
    s_error_status = ZTASK_ERR_NOT_LEADER;
    TAP_OK (s_call ("GET", "/api/v1/stats", NULL, NULL, NULL, &body) == 503, "a standby: 503");
    TAP_CONTAINS (body, "\"leader\":\"tcp://leader:5570\"", "naming the leader");
    free (body);
    s_error_status = ZTASK_ERR_UNAVAILABLE;
    TAP_OK (s_status ("GET", "/api/v1/workers", NULL) == 503, "the store is down: 503");
    s_error_status = 0;

    http_request_t request = { 0 };
    request.method = "POST";
    request.path = "/api/v1/tasks/1/cancel";
    request.body_size = HTTP_BODY_MAX + 1;
    http_response_t response;
    http_api_handle (&s_config, &request, &response);
    TAP_OK (response.status == 413, "a body over 64 KiB: 413");
    free (response.body);
    TAP_OK (http_api_token_equal (TOKEN, TOKEN) && !http_api_token_equal ("", TOKEN)
                && !http_api_token_equal (TOKEN "0", TOKEN),
            "token comparison");
}

static void
s_test_metrics (void)
{
    metrics_t *m = s_metrics;
    int64_t now = zclock_time ();
    for (int i = 0; i < 3; i++) {
        metrics_submitted (m, "echo", 5, now);
        metrics_started (m, "echo", 5, 20, now);
        metrics_ended (m, "echo", 5, ZTASK_STATE_DONE, 1500, now);
    }
    metrics_submitted (m, "we\"ird\\type", 9, now);
    metrics_ended (m, "we\"ird\\type", 9, ZTASK_STATE_FAILED, -1, now);
    metrics_retried (m, "echo", 5);
    metrics_commit (m, 300);
    for (int i = 0; i < METRICS_TYPES_MAX + 5; i++) {
        char name[32];
        snprintf (name, sizeof name, "t%d", i);
        metrics_submitted (m, name, 0, now);
    }
    size_t queued[METRICS_LEVELS] = { 0 };
    int64_t heads[METRICS_LEVELS] = { 0 };
    queued[9] = 4;
    heads[9] = now - 61000;
    metrics_gauges_reset (m);
    metrics_gauges_type (m, "echo", queued, 2, false, heads, now);

    char *body = NULL;
    TAP_OK (s_call ("GET", "/metrics", NULL, NULL, NULL, &body) == 200, "GET /metrics: 200");
    TAP_CONTAINS (body, "ztask_tasks_done_total{type=\"echo\",priority=\"5\"} 3\n", "done counter per type, priority");
    TAP_CONTAINS (body, "ztask_tasks_started_total{type=\"echo\",priority=\"5\"} 3\n", "started counter");
    TAP_CONTAINS (body, "ztask_tasks_retried_total{type=\"echo\",priority=\"5\"} 1\n", "retried counter");
    TAP_CONTAINS (body, "ztask_tasks_failed_total{type=\"we\\\"ird\\\\type\",priority=\"9\"} 1\n",
                  "label values escaped");
    TAP_CONTAINS (body, "ztask_tasks_submitted_total{type=\"_other\",priority=\"0\"} 7\n",
                  "types beyond the limit counted as _other");
    TAP_CONTAINS (body, "ztask_tasks_queued{type=\"echo\",priority=\"9\"} 4\n", "queued gauge");
    TAP_CONTAINS (body, "ztask_tasks_running{type=\"echo\"} 2\n", "running gauge");
    TAP_CONTAINS (body, "ztask_oldest_queued_seconds{priority=\"9\"} 61.000\n", "oldest queued age");
    TAP_CONTAINS (body, "ztask_queue_wait_seconds_bucket{priority=\"5\",le=\"0.05\"} 3\n", "wait histogram");
    TAP_CONTAINS (body, "ztask_run_seconds_count{type=\"echo\"} 3\n", "run time histogram");
    TAP_CONTAINS (body, "ztask_store_commit_seconds_bucket{le=\"0.0005\"} 1\n", "commit histogram");
    TAP_CONTAINS (body, "process_resident_memory_bytes ", "process metrics");
    free (body);
    body = NULL;
    TAP_OK (s_call ("GET", "/api/v1/series", NULL, NULL, NULL, &body) == 200, "GET series: 200");
    json_t *doc = body ? json_loads (body, 0, NULL) : NULL;
    json_t *buckets = json_object_get (doc, "buckets");
    json_t *last = json_array_get (buckets, json_array_size (buckets) - 1);
    TAP_OK (json_array_size (buckets) == METRICS_SERIES_BUCKETS && json_integer_value (json_object_get (doc, "bucket_s")) == 10,
            "360 buckets of 10 s");
    TAP_OK (json_integer_value (json_object_get (last, "done")) == 3
                && json_integer_value (json_object_get (last, "failed")) == 1
                && json_real_value (json_object_get (last, "wait_ms_max")) == 20.0,
            "the current bucket counts what happened now");
    json_decref (doc);
    free (body);
}

static void
s_test_static (void)
{
    char dir[] = "/tmp/http_test_XXXXXX";
    TAP_OK (mkdtemp (dir) != NULL, "a web_root");
    char path[256];
    snprintf (path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen (path, "w");
    fputs ("<html>dashboard</html>", f);
    fclose (f);
    s_config.web_root = dir;
    char *body = NULL;
    TAP_OK (s_call ("GET", "/", NULL, NULL, NULL, &body) == 200 && body && strstr (body, "dashboard"),
            "GET / serves index.html");
    free (body);
    TAP_OK (s_status ("GET", "/app.js", NULL) == 404, "a listed file missing from web_root: 404");
    TAP_OK (s_status ("GET", "/index.htm", NULL) == 404, "a file not on the list: 404");
    TAP_OK (s_status ("POST", "/", NULL) == 405, "POST /: 405");
    unlink (path);
    rmdir (dir);
    s_config.web_root = NULL;
}

int
main (void)
{
    s_last = ztask_msg_new ();
    s_metrics = metrics_new ();
    s_test_routing ();
    s_test_tasks ();
    s_test_actions ();
    s_test_broker_states ();
    s_test_metrics ();
    s_test_static ();
    metrics_destroy (&s_metrics);
    ztask_msg_destroy (&s_last);
    return tap_done ();
}
