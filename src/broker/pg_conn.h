/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  pg_conn - a connection to the PostgreSQL store, with ztaskd's defaults:
    a dead server is noticed within seconds (connect_timeout, keepalives,
    tcp_user_timeout), UTF-8, and application_name "ztaskd", by which a
    broker taking over a lease recognises the old leader's session. What
    the location (a URI or conninfo) says wins over each default. */
#ifndef ZTASK_PG_CONN_H_INCLUDED
#define ZTASK_PG_CONN_H_INCLUDED

#include <libpq-fe.h>
#include <stddef.h>

/* A connection, or NULL with libpq's reason on one line in error. */
PGconn *pg_conn_open (const char *location, char *error, size_t error_size);

#endif
