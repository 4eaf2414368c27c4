/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_daemon - the daemons' shared command line and start-up. */
#include <config.h>

#include "ztask_daemon.h"
#include "common/ztask_log.h"
#include "ztask_logfile.h"

#include <czmq.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>

static void
s_usage (FILE *out, const char *program, const char *config_example, const char *environment_help)
{
    fprintf (out,
             "usage: %s -c %s [-f] [-l FILE]\n"
             "  -c FILE  configuration (libconfig; see docs/configuration.md)\n"
             "  -f       stay in the foreground, log to stderr (default: daemon, syslog)\n"
             "  -l FILE  log to FILE instead (append); SIGHUP reopens it for logrotate\n"
             "  -h       this help;  -V  version\n%s",
             program, config_example, environment_help ? environment_help : "");
}

int
ztask_daemon_parse (ztask_daemon_args_t *args, int argc, char **argv, const char *program,
                    const char *config_example, const char *environment_help)
{
    memset (args, 0, sizeof *args);
    args->program = program;
    int opt;
    while ((opt = getopt (argc, argv, "c:fl:hV")) != -1)
        switch (opt) {
        case 'c': args->config = optarg; break;
        case 'f': args->foreground = true; break;
        case 'l': args->log_file = optarg; break;
        case 'h': s_usage (stdout, program, config_example, environment_help); return 0;
        case 'V': printf ("%s %s\n", program, PACKAGE_VERSION); return 0;
        default: s_usage (stderr, program, config_example, environment_help); return 2;
        }
    if (!args->config || optind != argc) {
        fprintf (stderr, "%s: %s\n", program,
                 args->config ? "unexpected argument" : "-c FILE is required");
        s_usage (stderr, program, config_example, environment_help);
        return 2;
    }
    return -1;
}

static char *s_pid_path = NULL; /* removed at exit */

static void
s_remove_pid_file (void)
{
    if (s_pid_path)
        unlink (s_pid_path); /* may fail after dropping privileges: harmless */
}

/* Writes our pid into path and keeps it locked while we run, so a second
   copy with the same pid file refuses to start. */
static int
s_pid_file (const char *program, const char *path)
{
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf (stderr, "%s: cannot write the pid file %s: %s\n", program, path, strerror (errno));
        ztask_log_error ("%s: cannot write the pid file %s: %s", program, path, strerror (errno));
        return -1;
    }
    if (lockf (fd, F_TLOCK, 0) != 0) {
        fprintf (stderr, "%s: cannot write the pid file %s: another copy is running\n", program, path);
        ztask_log_error ("%s: cannot write the pid file %s: another copy is running", program, path);
        close (fd);
        return -1;
    }
    char text[32];
    int length = snprintf (text, sizeof text, "%d\n", (int) getpid ());
    if (ftruncate (fd, 0) != 0 || write (fd, text, (size_t) length) != length) {
        fprintf (stderr, "%s: cannot write the pid file %s: %s\n", program, path, strerror (errno));
        close (fd);
        return -1;
    }
    /* fd stays open: the lock lasts as long as the process. */
    s_pid_path = strdup (path);
    atexit (s_remove_pid_file);
    return 0;
}

/* Switches to user: its group and supplementary groups first, then the
   user id, so no root group is kept. */
static int
s_switch_user (const char *program, const char *user)
{
    struct passwd *pw = getpwnam (user);
    const char *failed = NULL;
    if (!pw)
        failed = "no such user";
    else if (initgroups (pw->pw_name, pw->pw_gid) != 0 || setgid (pw->pw_gid) != 0
             || setuid (pw->pw_uid) != 0)
        failed = strerror (errno);
    else if (pw->pw_uid != 0 && setuid (0) == 0)
        failed = "could switch back to root";
    if (failed) {
        fprintf (stderr, "%s: cannot run as user %s: %s\n", program, user, failed);
        ztask_log_error ("%s: cannot run as user %s: %s", program, user, failed);
        return -1;
    }
    return 0;
}

int
ztask_daemon_start (const ztask_daemon_args_t *args, const char *user, const char *pid_file)
{
    /* Check the log file while errors still reach the terminal. */
    if (args->log_file) {
        FILE *probe = fopen (args->log_file, "a");
        if (!probe) {
            fprintf (stderr, "%s: cannot open the log file %s: %s\n", args->program, args->log_file,
                     strerror (errno));
            return -1;
        }
        fclose (probe);
    }
    zsys_set_logident (args->program);
    if (!args->foreground) {
        if (zsys_daemonize (NULL) != 0) {
            fprintf (stderr, "%s: cannot become a daemon: %s\n", args->program, strerror (errno));
            return -1;
        }
        if (!args->log_file)
            zsys_set_logsystem (true);
    }
    else
        zsys_set_logstream (stderr);
    ztask_log_set_syslog (!args->foreground && !args->log_file); /* JSON lines go where text lines go */
    if (args->log_file && ztask_logfile_open (args->log_file) != 0) {
        fprintf (stderr, "%s: cannot open the log file %s: %s\n", args->program, args->log_file,
                 strerror (errno));
        return -1;
    }
    if (pid_file && s_pid_file (args->program, pid_file) != 0)
        return -1;
    if (user && s_switch_user (args->program, user) != 0)
        return -1;
    return 0;
}
