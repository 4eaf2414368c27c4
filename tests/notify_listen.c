/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  notify_listen - stands in for systemd's notify socket in tests/systemd.sh.

        notify_listen SOCKET SECONDS

    Binds a datagram socket at the path SOCKET, prints every message it
    receives on stdout, and exits 0 once one holds the line READY=1, or 1
    when SECONDS pass without it (a daemon that never says it is ready). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: notify_listen SOCKET SECONDS\n");
        return 2;
    }
    struct sockaddr_un address;
    memset (&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen (argv[1]) >= sizeof address.sun_path) {
        fprintf (stderr, "notify_listen: %s: path too long\n", argv[1]);
        return 2;
    }
    strcpy (address.sun_path, argv[1]);
    int fd = socket (AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || bind (fd, (struct sockaddr *) &address, sizeof address) != 0) {
        fprintf (stderr, "notify_listen: %s: %s\n", argv[1], strerror (errno));
        return 2;
    }
    time_t deadline = time (NULL) + atoi (argv[2]);
    while (time (NULL) < deadline) {
        struct pollfd item = { fd, POLLIN, 0 };
        if (poll (&item, 1, 1000) <= 0)
            continue;
        char message[4096];
        ssize_t size = recv (fd, message, sizeof message - 1, 0);
        if (size < 0)
            continue;
        message[size] = 0;
        printf ("%s\n", message);
        fflush (stdout);
        /* Lines of VARIABLE=VALUE; READY=1 is one of them. */
        for (char *line = strtok (message, "\n"); line; line = strtok (NULL, "\n"))
            if (strcmp (line, "READY=1") == 0)
                return 0;
    }
    return 1;
}
