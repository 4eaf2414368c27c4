/*  ztaskd - the ztask broker. Parses flags and config; broker.c does the work. */
#include <config.h>

#include "broker/broker.h"

#include <czmq.h>

#include "common/ztask_logfile.h"

#include <getopt.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: ztaskd -c broker.cfg [-f] [-l FILE]\n"
             "  -c FILE  broker configuration (libconfig; see docs/configuration.md)\n"
             "  -f       stay in the foreground, log to stderr (default: daemon, syslog)\n"
             "  -l FILE  log to FILE instead (append); SIGHUP reopens it for logrotate\n"
             "  -h       this help;  -V  version\n");
}

int
main (int argc, char **argv)
{
    const char *file = NULL, *log_file = NULL;
    bool foreground = false;
    int opt;
    while ((opt = getopt (argc, argv, "c:fl:hV")) != -1)
        switch (opt) {
        case 'c': file = optarg; break;
        case 'f': foreground = true; break;
        case 'l': log_file = optarg; break;
        case 'h': s_usage (stdout); return 0;
        case 'V': printf ("ztaskd %s\n", PACKAGE_VERSION); return 0;
        default: s_usage (stderr); return 2;
        }
    if (!file || optind != argc) {
        fprintf (stderr, "ztaskd: %s\n", file ? "unexpected argument" : "-c broker.cfg is required");
        s_usage (stderr);
        return 2;
    }
    broker_config_t config;
    char error[1024];
    if (broker_config_load (&config, file, error, sizeof error) != 0) {
        fprintf (stderr, "ztaskd: %s\n", error);
        broker_config_free (&config);
        return 1;
    }
    /* Check the log file while errors still reach the terminal. */
    FILE *probe = log_file ? fopen (log_file, "a") : NULL;
    if (log_file && !probe) {
        fprintf (stderr, "ztaskd: cannot open the log file %s: %s\n", log_file, strerror (errno));
        return 1;
    }
    if (probe)
        fclose (probe);
    if (!foreground) {
        if (zsys_daemonize (NULL) != 0) {
            fprintf (stderr, "ztaskd: cannot become a daemon: %s\n", strerror (errno));
            broker_config_free (&config);
            return 1;
        }
        if (!log_file)
            zsys_set_logsystem (true);
    }
    else
        zsys_set_logstream (stderr);
    if (log_file && ztask_logfile_open (log_file) != 0) {
        fprintf (stderr, "ztaskd: cannot open the log file %s: %s\n", log_file, strerror (errno));
        return 1;
    }
    zsys_set_logident ("ztaskd");
    zsys_init ();
    broker_t *broker = broker_new (&config);
    int rc = 1;
    if (broker) {
        rc = broker_run (broker) == 0 ? 0 : 1;
        zsys_info ("broker: stopped");
        broker_destroy (&broker);
    }
    broker_config_free (&config);
    return rc;
}
