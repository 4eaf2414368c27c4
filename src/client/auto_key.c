/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  auto_key - a random idempotency key (auto_key.h). */
#if HAVE_CONFIG_H
#include <config.h>
#endif
#include "client/auto_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#if HAVE_GETRANDOM
#include <sys/random.h>
#endif

#define RANDOM_BYTES 16

/* Reads size bytes from /dev/urandom. Returns 0 or -1 with errno set. */
static int
s_urandom (unsigned char *bytes, size_t size)
{
    int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read (fd, bytes + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int error = n < 0 ? errno : EIO;
            close (fd);
            errno = error;
            return -1;
        }
        got += (size_t) n;
    }
    close (fd);
    return 0;
}

/* Fills bytes from the system's random source. Returns 0 or -1. */
static int
s_random (unsigned char *bytes, size_t size)
{
#if HAVE_GETRANDOM
    size_t got = 0;
    while (got < size) {
        ssize_t n = getrandom (bytes + got, size - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break; /* ENOSYS (an old kernel): /dev/urandom below */
        got += (size_t) n;
    }
    if (got == size)
        return 0;
#endif
    return s_urandom (bytes, size);
}

int
auto_key_make (char *key)
{
    unsigned char bytes[RANDOM_BYTES];
    if (s_random (bytes, sizeof bytes) != 0)
        return -1;
    int at = snprintf (key, AUTO_KEY_SIZE, "%s", AUTO_KEY_PREFIX);
    for (size_t i = 0; i < sizeof bytes; i++)
        at += snprintf (key + at, AUTO_KEY_SIZE - (size_t) at, "%02x", bytes[i]);
    return 0;
}
