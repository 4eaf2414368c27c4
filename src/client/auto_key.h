/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  auto_key - the idempotency key libztask gives a submit that has none
    when it may send it to more than one broker (a list of endpoints): a
    submit sent again to the new leader after a failover then finds the
    task the old leader stored, instead of making a second one.

    "auto-" and 32 hexadecimal digits, 128 bits from the system's random
    source (getrandom, else /dev/urandom); never from rand (): two clients
    started in the same second must not make the same key. A valid name
    (ztask_names.h). */
#ifndef AUTO_KEY_H_INCLUDED
#define AUTO_KEY_H_INCLUDED

#include <stddef.h>

#define AUTO_KEY_PREFIX "auto-"
#define AUTO_KEY_SIZE 38 /* "auto-" + 32 digits + NUL */

/* Writes a new key into key (AUTO_KEY_SIZE bytes). Returns 0, or -1 with
   errno set when the random source fails. */
int auto_key_make (char *key);

#endif
