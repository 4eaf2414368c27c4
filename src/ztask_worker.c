/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask-worker - runs task plugins for a ztask broker. Parses flags and
    config; worker.c does the work. */
#include <config.h>

#include "common/ztask_daemon.h"
#include "common/ztask_log.h"
#include "common/ztask_notify.h"
#include "worker/worker.h"

#include <czmq.h>

int
main (int argc, char **argv)
{
    ztask_daemon_args_t args;
    int rc = ztask_daemon_parse (&args, argc, argv, "ztask-worker", "worker.cfg",
                                 "environment: ZTASK_BROKER (default broker endpoint), "
                                 "ZTASK_PLUGIN_DIR (default plugin_dir)\n");
    if (rc >= 0)
        return rc;
    worker_config_t config;
    char error[2048];
    if (worker_config_load (&config, args.config, error, sizeof error) != 0) {
        fprintf (stderr, "ztask-worker: %s\n", error);
        worker_config_free (&config);
        return 1;
    }
    ztask_log_set_format (config.log_format); /* every line from here on */
    ztask_log_set_level (config.log_level);
    /* Plugins load before the worker detaches, so a broken one stops the
       start with its message on the terminal; and before it switches to
       `user`, like the certificates (read with the config). */
    worker_t *worker = worker_new (&config, error, sizeof error);
    if (!worker) {
        fprintf (stderr, "ztask-worker: %s\n", error);
        worker_config_free (&config);
        return 1;
    }
    rc = 1;
    if (ztask_daemon_start (&args, config.user, config.pid_file) == 0) {
        /* Plugins loaded and initialised: ready (systemd); it connects
           to the broker next, and keeps trying. */
        if (ztask_notify ("READY=1") < 0)
            ztask_log_warning ("worker: cannot tell systemd it is ready: %s", strerror (errno));
        rc = worker_run (worker) == 0 ? 0 : 1;
    }
    worker_destroy (&worker);
    worker_config_free (&config);
    return rc;
}
