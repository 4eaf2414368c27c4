/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  pg_conn - a connection to the PostgreSQL store. See pg_conn.h. */
#include "pg_conn.h"

#include <stdio.h>
#include <string.h>

PGconn *
pg_conn_open (const char *location, char *error, size_t error_size)
{
    /* Defaults first: what the location says wins. */
    const char *keywords[] = { "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                               "keepalives_count", "tcp_user_timeout", "application_name",
                               "client_encoding", "dbname", NULL };
    const char *values[] = { "2", "1", "5", "2", "3", "10000", "ztaskd", "UTF8", location, NULL };
    PGconn *conn = PQconnectdbParams (keywords, values, 1);
    if (conn && PQstatus (conn) == CONNECTION_OK)
        return conn;
    /* libpq's message may span lines ("...\n\tIs the server running"):
       one line. */
    snprintf (error, error_size, "%s", conn ? PQerrorMessage (conn) : "out of memory");
    for (char *c = error; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    size_t length = strlen (error);
    while (length && error[length - 1] == ' ')
        error[--length] = 0;
    PQfinish (conn);
    return NULL;
}
