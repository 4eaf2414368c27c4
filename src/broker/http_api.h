/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  http_api - ztaskd's HTTP requests, without sockets: maps (method, path,
    query arguments, the headers that matter, body size) to (status,
    content type, body). It asks the broker through a callback that sends
    one ztask_msg request and returns its answer, so the unit test and the
    fuzz target drive it with a fake broker. Routes, statuses and documents:
    docs/operations.md. */
#ifndef ZTASK_HTTP_API_H_INCLUDED
#define ZTASK_HTTP_API_H_INCLUDED

#include "proto/ztask_msg.h"

#include <stdbool.h>
#include <stddef.h>

#define HTTP_ARGS_MAX 16          /* query arguments accepted               */
#define HTTP_BODY_MAX (64 * 1024) /* larger request bodies: 413, never read whole */

typedef struct {
    const char *key, *value;      /* value "" when the argument had no '='   */
} http_arg_t;

typedef struct {
    const char *method;           /* "GET", "POST", ...                     */
    const char *path;             /* the URL's path, without the query      */
    http_arg_t args[HTTP_ARGS_MAX];
    size_t arg_count;
    bool args_overflow;           /* more than HTTP_ARGS_MAX arguments came  */
    const char *authorization;    /* headers; NULL when absent              */
    const char *origin;
    const char *host;
    size_t body_size;             /* bytes of request body received         */
} http_request_t;

typedef struct {
    int status;
    const char *content_type;
    char *body;                   /* malloc'd; the caller frees it          */
    size_t body_size;
    const char *allow;            /* 405: the methods allowed, else NULL    */
    bool authenticate;            /* 401: ask for a bearer token            */
} http_response_t;

/* Sends request to the broker and fills reply with its answer (the same
   corr). Returns 0, -1 when the broker did not answer in time, -2 when
   the request cannot be encoded (a command this build's codec lacks). */
typedef int (http_ask_fn) (void *arg, ztask_msg_t *request, ztask_msg_t *reply);

typedef struct {
    http_ask_fn *ask;
    void *ask_arg;
    const char *token;            /* bearer token for actions; NULL: actions off */
    const char *web_root;         /* the dashboard's directory              */
    const char *store_file;       /* SQLite store file (ztask_store_bytes); NULL: none */
} http_api_config_t;

/* Answers one request. response->body is always set (free it). */
void http_api_handle (const http_api_config_t *config, const http_request_t *request, http_response_t *response);

/* A response for an error: {"error": text} with status. */
void http_api_error (http_response_t *response, int status, const char *text);

/* Constant-time comparison of a presented token with the expected one. */
bool http_api_token_equal (const char *presented, const char *expected);

#endif
