/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  fuzz_http - libFuzzer target for ztaskd's HTTP request handling
    (src/broker/http_api.c) and the metrics text (src/broker/metrics.c).

    The input is lines: METHOD, PATH, QUERY ("k=v&k=v"), Authorization,
    Origin, Host, then the fake broker's answer: its first byte picks the
    kind (JSON, TASK_INFO, ERROR with a status, METRICS, silence, "cannot
    encode") and the rest is the answer's text (JSON body or error text).
    A line "-" stands for a header that is absent. The task type named in
    the query also goes into the metrics hooks, so odd type names reach
    the text format's escaping.

    Checked, besides what the sanitizers see: every request gets a status
    from 200 to 599, a content type and a body; an error body is JSON with
    an "error" string; a 2xx answer to an action had the right token.
*/
#include "broker/http_api.h"
#include "broker/metrics.h"
#include "ztask/client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN "fuzz-token-0123456789"

static metrics_t *s_metrics;
static const char *s_answer;   /* the fake broker's answer line */

static int
s_ask (void *arg, ztask_msg_t *request, ztask_msg_t *reply)
{
    const char *a = s_answer;
    char kind = *a ? *a++ : 'j';
    ztask_msg_reset (reply, ZTASK_MSG_JSON);
    switch (kind % 6) {
    case 0: ztask_msg_set_body (reply, a, strlen (a)); break;
    case 1:
        ztask_msg_reset (reply, ZTASK_MSG_TASK_INFO);
        reply->task_id = request->task_id;
        ztask_msg_strcpy (reply->type, a);
        ztask_msg_strcpy (reply->error, a);
        reply->state = (uint8_t) (strlen (a) % 7); /* states past cancelled too */
        break;
    case 2:
        ztask_msg_reset (reply, ZTASK_MSG_ERROR);
        reply->error_status = (uint16_t) (strlen (a) % 12);
        ztask_msg_strcpy (reply->text, a);
        break;
    case 3: {
        metrics_data_t *data = metrics_data (s_metrics);
        data->now_ms = 1700000000000 + (int64_t) strlen (a) * 7919;
        snprintf (data->backend, sizeof data->backend, "%s", strlen (a) % 2 ? "SQLite" : "PostgreSQL");
        ztask_msg_reset (reply, ZTASK_MSG_METRICS);
        reply->flags = ZTASK_FLAG_RESULT;
        /* a short body now and then: a snapshot of another build */
        ztask_msg_set_body (reply, data, strlen (a) == 3 ? 16 : sizeof *data);
        break;
    }
    case 4: return -1;
    default: return -2;
    }
    reply->corr = request->corr;
    return 0;
}

/* The next line of the input (NUL-terminated in place), or "". */
static char *
s_line (char **at)
{
    char *line = *at, *end = strchr (line, '\n');
    if (end) {
        *end = 0;
        *at = end + 1;
    }
    else
        *at = line + strlen (line);
    return line;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_metrics)
        s_metrics = metrics_new ();
    char *text = (char *) malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = 0;
    char *at = text;
    http_request_t request = { 0 };
    request.method = s_line (&at);
    request.path = s_line (&at);
    char *query = s_line (&at);
    const char *authorization = s_line (&at), *origin = s_line (&at), *host = s_line (&at);
    request.authorization = streq (authorization, "-") ? NULL : authorization;
    request.origin = streq (origin, "-") ? NULL : origin;
    request.host = streq (host, "-") ? NULL : host;
    request.body_size = strlen (query) > 64 ? HTTP_BODY_MAX + 1 : strlen (query);
    s_answer = at;
    char *save = NULL;
    for (char *pair = strtok_r (query, "&", &save); pair; pair = strtok_r (NULL, "&", &save)) {
        if (request.arg_count == HTTP_ARGS_MAX) {
            request.args_overflow = true;
            break;
        }
        char *eq = strchr (pair, '=');
        if (eq)
            *eq = 0;
        request.args[request.arg_count].key = pair;
        request.args[request.arg_count].value = eq ? eq + 1 : "";
        if (streq (pair, "type") && eq) {
            metrics_submitted (s_metrics, eq + 1, (int) strlen (eq + 1) % 12 - 1, 1700000000000);
            metrics_ended (s_metrics, eq + 1, 5, ZTASK_STATE_FAILED, (int64_t) strlen (eq + 1) * 1000, 1700000000000);
        }
        request.arg_count++;
    }
    http_api_config_t config = { s_ask, NULL, TOKEN, "/nonexistent-web-root", NULL };
    http_response_t response;
    http_api_handle (&config, &request, &response);
    if (response.status < 200 || response.status > 599 || !response.content_type || !response.body)
        abort ();
    if (response.status >= 400) {
        json_t *doc = json_loadb (response.body, response.body_size, 0, NULL);
        if (!doc || !json_is_string (json_object_get (doc, "error")))
            abort ();
        json_decref (doc);
    }
    if (response.status < 300 && streq (request.method, "POST")
        && !(request.authorization && strncasecmp (request.authorization, "Bearer ", 7) == 0
             && strstr (request.authorization, TOKEN)))
        abort ();
    free (response.body);
    free (text);
    return 0;
}
