/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_daemon - what ztaskd and ztask-worker share: their command line
    (-c FILE, -f, -l FILE, -h, -V) and becoming a daemon with the logging
    that was asked for (stderr with -f, a file with -l, else syslog). */
#ifndef ZTASK_DAEMON_H_INCLUDED
#define ZTASK_DAEMON_H_INCLUDED

#include <stdbool.h>

typedef struct {
    const char *program;  /* "ztaskd", for messages and syslog       */
    const char *config;   /* -c                                      */
    bool foreground;      /* -f                                      */
    const char *log_file; /* -l                                      */
} ztask_daemon_args_t;

/* Parses argv. Returns -1 to go on, else the exit status to return
   (0 after -h or -V, 2 after a usage error, which it printed). */
int ztask_daemon_parse (ztask_daemon_args_t *args, int argc, char **argv, const char *program,
                        const char *config_example, const char *environment_help);

/* Sets up logging and, without -f, detaches from the terminal; then writes
   pid_file (locked, so a second copy refuses to start) and switches to
   user. Either may be NULL. Call after everything that should report
   errors on the terminal and before any thread or socket exists (files
   the daemon needs as root, like its config, are already read). Returns 0,
   or -1 after printing why. */
int ztask_daemon_start (const ztask_daemon_args_t *args, const char *user, const char *pid_file);

#endif
