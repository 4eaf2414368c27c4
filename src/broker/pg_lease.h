/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  pg_lease - keeps a leader's lease in PostgreSQL alive from a thread of
    its own, on a connection of its own.

    A leader renews its lease every third of it. From the broker's loop
    that would fail whenever the loop is busy longer than the lease (the
    recovery of a million tasks), and a standby would take over from a
    leader that is only working. A thread renews it instead; it stops with
    the process (SIGKILL, SIGSTOP, a machine gone), which is when a standby
    must take over. The term it renews is fenced in every commit all the
    same (store_postgres.c): renewing never makes a broker that lost the
    lease lead again.
*/
#ifndef ZTASK_PG_LEASE_H_INCLUDED
#define ZTASK_PG_LEASE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct pg_lease pg_lease_t;

/* Starts renewing term's lease of pool in the database at location, for
   lease_ms at each renewal. NULL if the thread cannot start (logged): the
   lease then runs out, and another broker takes over. */
pg_lease_t *pg_lease_start (const char *location, const char *pool, uint64_t term, unsigned lease_ms);

/* True once a renewal found that term no longer leads. */
bool pg_lease_lost (pg_lease_t *self);

/* Stops renewing (the lease runs out unless renewed otherwise). */
void pg_lease_stop (pg_lease_t **self_p);

#endif
