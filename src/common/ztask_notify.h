/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_notify - tells systemd a daemon is ready (Type=notify units).

    The sd_notify protocol without libsystemd: one datagram to the unix
    socket named by $NOTIFY_SOCKET. Without that variable (not started by
    systemd as Type=notify) it does nothing. See systemd/ztaskd.service. */
#ifndef ZTASK_NOTIFY_H_INCLUDED
#define ZTASK_NOTIFY_H_INCLUDED

/* Sends state (e.g. "READY=1") to $NOTIFY_SOCKET. Returns 1 when sent,
   0 when there is no $NOTIFY_SOCKET, -1 with errno set on failure. */
int ztask_notify (const char *state);

#endif
