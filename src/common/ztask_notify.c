/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_notify - the sd_notify protocol, for Type=notify units. */
#include <config.h>

#include "ztask_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
ztask_notify (const char *state)
{
    const char *path = getenv ("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    struct sockaddr_un address;
    memset (&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    size_t length = strlen (path);
    /* A path, or "@name" for an abstract socket (Linux). */
    if ((path[0] != '/' && path[0] != '@') || length >= sizeof address.sun_path) {
        errno = EINVAL;
        return -1;
    }
    memcpy (address.sun_path, path, length);
    if (address.sun_path[0] == '@')
        address.sun_path[0] = 0;
    int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    socklen_t size = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + length);
    ssize_t sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &address, size);
    int error = errno;
    close (fd);
    errno = error;
    return sent == (ssize_t) strlen (state) ? 1 : -1;
}
