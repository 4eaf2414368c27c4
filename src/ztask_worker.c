/*  ztask-worker - runs task plugins for a ztask broker. Parses flags and
    config; worker.c does the work. */
#include <config.h>

#include "worker/worker.h"

#include <czmq.h>
#include "common/ztask_logfile.h"

#include <getopt.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: ztask-worker -c worker.cfg [-f] [-l FILE]\n"
             "  -c FILE  worker configuration (libconfig; see docs/configuration.md)\n"
             "  -f       stay in the foreground, log to stderr (default: daemon, syslog)\n"
             "  -l FILE  log to FILE instead (append); SIGHUP reopens it for logrotate\n"
             "  -h       this help;  -V  version\n"
             "environment: ZTASK_BROKER (default broker endpoint), ZTASK_PLUGIN_DIR (default plugin_dir)\n");
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
        case 'V': printf ("ztask-worker %s\n", PACKAGE_VERSION); return 0;
        default: s_usage (stderr); return 2;
        }
    if (!file || optind != argc) {
        fprintf (stderr, "ztask-worker: %s\n", file ? "unexpected argument" : "-c worker.cfg is required");
        s_usage (stderr);
        return 2;
    }
    worker_config_t config;
    char error[1024];
    if (worker_config_load (&config, file, error, sizeof error) != 0) {
        fprintf (stderr, "ztask-worker: %s\n", error);
        worker_config_free (&config);
        return 1;
    }
    zsys_set_logident ("ztask-worker");
    worker_t *worker = worker_new (&config, error, sizeof error);
    if (!worker) {
        fprintf (stderr, "ztask-worker: %s\n", error);
        worker_config_free (&config);
        return 1;
    }
    /* Check the log file while errors still reach the terminal. */
    FILE *probe = log_file ? fopen (log_file, "a") : NULL;
    if (log_file && !probe) {
        fprintf (stderr, "ztask-worker: cannot open the log file %s: %s\n", log_file, strerror (errno));
        return 1;
    }
    if (probe)
        fclose (probe);
    if (!foreground) {
        if (zsys_daemonize (NULL) != 0) {
            fprintf (stderr, "ztask-worker: cannot become a daemon: %s\n", strerror (errno));
            worker_destroy (&worker);
            worker_config_free (&config);
            return 1;
        }
        if (!log_file)
            zsys_set_logsystem (true);
    }
    else
        zsys_set_logstream (stderr);
    if (log_file && ztask_logfile_open (log_file) != 0) {
        fprintf (stderr, "ztask-worker: cannot open the log file %s: %s\n", log_file, strerror (errno));
        return 1;
    }
    int rc = worker_run (worker) == 0 ? 0 : 1;
    worker_destroy (&worker);
    worker_config_free (&config);
    return rc;
}
