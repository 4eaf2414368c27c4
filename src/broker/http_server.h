/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  http_server - ztaskd's HTTP endpoint (libmicrohttpd), in its own thread.
    It never touches the broker's state: every request becomes one ztask
    protocol request (plus the internal METRICS) over a DEALER on the
    broker's inproc socket, answered by http_api. A slow or hostile HTTP
    client costs the broker nothing; a request the broker does not answer
    within a few seconds gets 503. Limits: 64 connections, 16 per address,
    10 s idle timeout, 32 KiB of memory per connection (headers beyond it
    are refused with 431), bodies over 64 KiB refused with 413 unread. */
#ifndef ZTASK_HTTP_SERVER_H_INCLUDED
#define ZTASK_HTTP_SERVER_H_INCLUDED

#include "broker_config.h"

typedef struct http_server http_server_t;

/* Listens on config->http_listen and connects to the broker's internal
   endpoint. Returns NULL after logging why. */
http_server_t *http_server_new (const broker_config_t *config, const char *broker_endpoint);
void http_server_destroy (http_server_t **self_p);

/* The port it listens on (the real one when 0 was asked for). */
int http_server_port (http_server_t *self);

#endif
