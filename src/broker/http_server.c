/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  http_server - ztaskd's HTTP endpoint. See http_server.h. */
#if HAVE_CONFIG_H
#include <config.h>
#endif
#include "http_server.h"
#include "common/ztask_log.h"
#include "http_api.h"

#include <czmq.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>

#ifndef ZTASK_WEB_DIR
#define ZTASK_WEB_DIR "/usr/local/share/ztask/web"
#endif

#define ASK_TIMEOUT_MS 5000        /* a broker that does not answer: 503     */
#define CONNECTIONS_MAX 64
#define CONNECTIONS_PER_IP_MAX 16
#define CONNECTION_TIMEOUT_S 10    /* idle connections are closed            */
#define CONNECTION_MEMORY 32768    /* per connection: the request head must fit */

struct http_server {
    struct MHD_Daemon *daemon;
    char *endpoint;              /* the broker's internal inproc endpoint    */
    zsock_t *dealer;             /* to it; made and used by MHD's thread only */
    uint32_t corr;               /* last request number                      */
    http_api_config_t api;
    char *store_file;            /* the SQLite file, for ztask_store_bytes   */
    int port;
};

/* Per request: the body bytes seen (counted, never kept). */
typedef struct {
    size_t body_size;
} request_state_t;

/* ---- the link to the broker (MHD's thread) ---- */

static int
s_ask (void *arg, ztask_msg_t *request, ztask_msg_t *reply)
{
    http_server_t *self = (http_server_t *) arg;
    if (!self->dealer) {
        self->dealer = zsock_new (ZMQ_DEALER);
        if (!self->dealer)
            return -1;
        zsock_set_linger (self->dealer, 0);
        zsock_set_sndtimeo (self->dealer, 0);
        if (zsock_connect (self->dealer, "%s", self->endpoint) != 0) {
            zsock_destroy (&self->dealer);
            return -1;
        }
    }
    request->corr = ++self->corr;
    if (ztask_msg_send (request, self->dealer) != 0)
        return zmq_errno () == EINVAL ? -2 : -1;
    int64_t deadline = zclock_mono () + ASK_TIMEOUT_MS;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return -1;
        zsock_set_rcvtimeo (self->dealer, (int) left);
        int rc = ztask_msg_recv (reply, self->dealer, false);
        if (rc == 0 && reply->corr == request->corr)
            return 0;
        /* An answer to an earlier request that timed out, or garbage:
           wait on for ours. */
    }
}

/* ---- MHD callbacks ---- */

static enum MHD_Result
s_arg (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    http_request_t *request = (http_request_t *) cls;
    if (request->arg_count == HTTP_ARGS_MAX) {
        request->args_overflow = true;
        return MHD_NO;
    }
    request->args[request->arg_count].key = key;
    request->args[request->arg_count].value = value ? value : "";
    request->arg_count++;
    return MHD_YES;
}

static enum MHD_Result
s_respond (struct MHD_Connection *connection, http_response_t *response, bool html)
{
    struct MHD_Response *r
        = MHD_create_response_from_buffer (response->body_size, response->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free (response->body);
        return MHD_NO;
    }
    response->body = NULL; /* MHD frees it */
    MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, response->content_type);
    MHD_add_response_header (r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (r, "X-Frame-Options", "DENY");
    MHD_add_response_header (r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (r, "Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'");
    if (response->allow)
        MHD_add_response_header (r, MHD_HTTP_HEADER_ALLOW, response->allow);
    if (response->authenticate)
        MHD_add_response_header (r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    (void) html;
    enum MHD_Result rc = MHD_queue_response (connection, (unsigned) response->status, r);
    MHD_destroy_response (r);
    return rc;
}

static enum MHD_Result
s_error (struct MHD_Connection *connection, int status, const char *text)
{
    http_response_t response = { 0 };
    http_api_error (&response, status, text);
    return s_respond (connection, &response, false);
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    http_server_t *self = (http_server_t *) cls;
    request_state_t *state = (request_state_t *) *con_cls;
    if (!state) {
        state = (request_state_t *) calloc (1, sizeof *state);
        if (!state)
            return MHD_NO;
        *con_cls = state;
        /* A body announced over the limit is refused before it is read. */
        const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && (strlen (length) > 18 || strtoull (length, NULL, 10) > HTTP_BODY_MAX))
            return s_error (connection, 413, "request body over 64 KiB");
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* Counted and dropped: no route takes a body. */
        state->body_size += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    http_request_t request = { 0 };
    request.method = method;
    request.path = url;
    request.body_size = state->body_size;
    MHD_get_connection_values (connection, MHD_GET_ARGUMENT_KIND, s_arg, &request);
    request.authorization = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    request.origin = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Origin");
    request.host = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    http_response_t response;
    http_api_handle (&self->api, &request, &response);
    return s_respond (connection, &response, false);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls, enum MHD_RequestTerminationCode code)
{
    free (*con_cls);
    *con_cls = NULL;
}

static void
s_log (void *cls, const char *format, va_list args)
{
    char text[512];
    vsnprintf (text, sizeof text, format, args);
    size_t size = strlen (text);
    while (size && text[size - 1] == '\n')
        text[--size] = 0;
    ztask_log_debug ("broker: http: %s", text);
}

/* ---- construction ---- */

/* Resolves "HOST:PORT" ("[v6]:PORT" too) into address. */
static int
s_address (const char *listen, struct sockaddr_storage *address, socklen_t *size)
{
    char host[300];
    const char *colon = strrchr (listen, ':');
    if (!colon || (size_t) (colon - listen) >= sizeof host)
        return -1;
    memcpy (host, listen, (size_t) (colon - listen));
    host[colon - listen] = 0;
    char *name = host;
    if (name[0] == '[' && name[strlen (name) - 1] == ']') {
        name[strlen (name) - 1] = 0;
        name++;
    }
    struct addrinfo hints = { 0 }, *found = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo (name, colon + 1, &hints, &found) != 0 || !found)
        return -1;
    memcpy (address, found->ai_addr, found->ai_addrlen);
    *size = found->ai_addrlen;
    freeaddrinfo (found);
    return 0;
}

http_server_t *
http_server_new (const broker_config_t *config, const char *broker_endpoint)
{
    assert (config->http_listen && broker_endpoint);
    struct sockaddr_storage address;
    socklen_t address_size = 0;
    if (s_address (config->http_listen, &address, &address_size) != 0) {
        ztask_log_error ("broker: http.listen: cannot resolve %s", config->http_listen);
        return NULL;
    }
    http_server_t *self = (http_server_t *) zmalloc (sizeof (http_server_t));
    assert (self);
    self->endpoint = strdup (broker_endpoint);
    self->api.ask = s_ask;
    self->api.ask_arg = self;
    self->api.token = config->http_token;
    self->api.web_root = config->http_web_root ? config->http_web_root : ZTASK_WEB_DIR;
    if (!strstr (config->store, "://") && !strchr (config->store, '=')) /* not a PostgreSQL conninfo */
        self->store_file = strdup (config->store);
    self->api.store_file = self->store_file;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (address.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_handler, self, MHD_OPTION_EXTERNAL_LOGGER, s_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) CONNECTIONS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned) CONNECTIONS_PER_IP_MAX, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
        NULL, MHD_OPTION_END);
    if (!self->daemon) {
        ztask_log_error ("broker: cannot listen for HTTP on %s: %s", config->http_listen,
                    errno ? strerror (errno) : "libmicrohttpd refused");
        http_server_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : 0;
    char host[300];
    const char *colon = strrchr (config->http_listen, ':');
    snprintf (host, sizeof host, "%.*s", (int) (colon - config->http_listen), config->http_listen);
    ztask_log_info ("broker: http on %s:%d%s", host, self->port,
               config->http_token ? "" : " (actions off: no http.token_file)");
    return self;
}

void
http_server_destroy (http_server_t **self_p)
{
    assert (self_p);
    http_server_t *self = *self_p;
    if (self) {
        if (self->daemon)
            MHD_stop_daemon (self->daemon); /* joins its thread: the dealer is ours now */
        zsock_destroy (&self->dealer);
        free (self->endpoint);
        free (self->store_file);
        free (self);
        *self_p = NULL;
    }
}

int
http_server_port (http_server_t *self)
{
    return self->port;
}
