/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_logfile - a daemon's log file, reopened on SIGHUP. */
#include "ztask_logfile.h"
#include "common/ztask_log.h"

#include <czmq.h>
#include <signal.h>

static volatile sig_atomic_t s_reopen = 0; /* set by the SIGHUP handler */
static char *s_path = NULL;
static FILE *s_file = NULL;

static void
s_on_sighup (int signum)
{
    (void) signum;
    s_reopen = 1;
}

int
ztask_logfile_open (const char *path)
{
    FILE *file = fopen (path, "a");
    if (!file)
        return -1;
    setvbuf (file, NULL, _IOLBF, 0);
    free (s_path);
    s_path = strdup (path);
    s_file = file;
    zsys_set_logstream (file);
    ztask_log_set_fd (fileno (file)); /* JSON lines: the same file */
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_sighup;
    sigemptyset (&action.sa_mask);
    return sigaction (SIGHUP, &action, NULL);
}

void
ztask_logfile_check (void)
{
    if (!s_reopen || !s_path)
        return;
    s_reopen = 0;
    FILE *file = fopen (s_path, "a");
    if (!file) {
        ztask_log_error ("log: cannot reopen %s: %s; logging on to the old file", s_path, strerror (errno));
        return;
    }
    setvbuf (file, NULL, _IOLBF, 0);
    zsys_set_logstream (file);
    ztask_log_set_fd (fileno (file)); /* replaces the old copy in one dup2 */
    fclose (s_file);
    s_file = file;
    ztask_log_info ("log: reopened %s", s_path);
}
