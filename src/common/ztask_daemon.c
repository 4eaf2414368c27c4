/*  ztask_daemon - the daemons' shared command line and start-up. */
#include <config.h>

#include "ztask_daemon.h"
#include "ztask_logfile.h"

#include <czmq.h>
#include <getopt.h>

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
    if (args->log_file && ztask_logfile_open (args->log_file) != 0) {
        fprintf (stderr, "%s: cannot open the log file %s: %s\n", args->program, args->log_file,
                 strerror (errno));
        return -1;
    }
    if ((pid_file || user) && zsys_run_as (pid_file, NULL, user) != 0) {
        /* zsys_run_as says what failed on stderr: a pid file locked by a
           running copy, or an unknown user, or no right to switch. */
        zsys_error ("%s: cannot %s%s%s%s%s", args->program, pid_file ? "write the pid file " : "",
                    pid_file ? pid_file : "", pid_file && user ? " and " : "",
                    user ? "run as user " : "", user ? user : "");
        fprintf (stderr, "%s: cannot %s%s%s%s%s\n", args->program, pid_file ? "write the pid file " : "",
                 pid_file ? pid_file : "", pid_file && user ? " and " : "", user ? "run as user " : "",
                 user ? user : "");
        return -1;
    }
    return 0;
}
