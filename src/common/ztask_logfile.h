/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_logfile - a daemon's log file, reopened on SIGHUP so logrotate can
    move it away. Without a file, logs go to stderr (foreground) or syslog. */
#ifndef ZTASK_LOGFILE_H_INCLUDED
#define ZTASK_LOGFILE_H_INCLUDED

/* Appends czmq's log to path and reopens it on SIGHUP. Returns 0, or -1
   with errno set. */
int ztask_logfile_open (const char *path);

/* Reopens the file if SIGHUP arrived since the last call; cheap, called
   from the daemons' loops. */
void ztask_logfile_check (void);

#endif
