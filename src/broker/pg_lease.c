/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  pg_lease - a thread that renews a leader's lease. See pg_lease.h. */
#include "pg_lease.h"
#include "common/ztask_log.h"
#include "pg_conn.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>

struct pg_lease {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;               /* under lock                          */
    atomic_bool lost;            /* a renewal found another term        */
    char *location, *pool;
    uint64_t term;
    unsigned lease_ms;
};

/* One renewal on conn (made again when lost). Returns 1 renewed, 0 the
   term no longer leads, -1 the database could not be asked. */
static int
s_renew (pg_lease_t *self, PGconn **conn_p, bool *logged)
{
    if (!*conn_p || PQstatus (*conn_p) != CONNECTION_OK) {
        PQfinish (*conn_p);
        char error[512];
        *conn_p = pg_conn_open (self->location, error, sizeof error);
        if (!*conn_p) {
            if (!*logged)
                ztask_log_warning ("store: the lease keeper cannot connect: %s", error);
            *logged = true;
            return -1;
        }
    }
    char term[24], lease[16];
    snprintf (term, sizeof term, "%" PRIu64, self->term);
    snprintf (lease, sizeof lease, "%u", self->lease_ms);
    const char *values[] = { self->pool, term, lease };
    PGresult *result = PQexecParams (*conn_p, "SELECT ztask_renew ($1, $2, $3)", 3, NULL, values, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1)
        rc = streq (PQgetvalue (result, 0, 0), "t") ? 1 : 0;
    else if (!*logged) {
        /* libpq's message may span lines: one line. */
        char error[512];
        snprintf (error, sizeof error, "%s", PQresultErrorMessage (result));
        for (char *c = error; *c; c++)
            if (*c == '\n' || *c == '\t')
                *c = ' ';
        ztask_log_warning ("store: the lease keeper could not renew: %s", error);
        *logged = true;
    }
    PQclear (result);
    if (rc >= 0)
        *logged = false;
    return rc;
}

static void *
s_keeper (void *arg)
{
    pg_lease_t *self = (pg_lease_t *) arg;
    PGconn *conn = NULL;
    bool logged = false;
    pthread_mutex_lock (&self->lock);
    while (!self->stopping) {
        pthread_mutex_unlock (&self->lock);
        int rc = s_renew (self, &conn, &logged);
        pthread_mutex_lock (&self->lock);
        if (rc == 0) {
            self->lost = true;
            break; /* the broker finds out at its next commit or renewal */
        }
        /* Every third of the lease: two renewals may fail in a row. */
        struct timespec until;
        clock_gettime (CLOCK_MONOTONIC, &until);
        int64_t ns = until.tv_nsec + (int64_t) (self->lease_ms / 3) * 1000000;
        until.tv_sec += ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        while (!self->stopping && pthread_cond_timedwait (&self->wake, &self->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock (&self->lock);
    PQfinish (conn);
    return NULL;
}

pg_lease_t *
pg_lease_start (const char *location, const char *pool, uint64_t term, unsigned lease_ms)
{
    pg_lease_t *self = (pg_lease_t *) zmalloc (sizeof (pg_lease_t));
    assert (self);
    self->location = strdup (location);
    self->pool = strdup (pool);
    assert (self->location && self->pool);
    self->term = term;
    self->lease_ms = lease_ms;
    pthread_mutex_init (&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &attr);
    pthread_condattr_destroy (&attr);
    if (pthread_create (&self->thread, NULL, s_keeper, self) != 0) {
        ztask_log_error ("store: cannot start the lease keeper's thread");
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
        free (self->location);
        free (self->pool);
        free (self);
        return NULL;
    }
    return self;
}

bool
pg_lease_lost (pg_lease_t *self)
{
    return atomic_load (&self->lost);
}

void
pg_lease_stop (pg_lease_t **self_p)
{
    assert (self_p);
    pg_lease_t *self = *self_p;
    if (self) {
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
        free (self->location);
        free (self->pool);
        free (self);
        *self_p = NULL;
    }
}
