/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztaskd - the ztask broker. Parses flags and config; broker.c does the work. */
#include <config.h>

#include "broker/broker.h"
#include "common/ztask_log.h"
#include "broker/http_server.h"
#include "common/ztask_daemon.h"
#include "common/ztask_notify.h"

#include <czmq.h>

int
main (int argc, char **argv)
{
    ztask_daemon_args_t args;
    int rc = ztask_daemon_parse (&args, argc, argv, "ztaskd", "broker.cfg", NULL);
    if (rc >= 0)
        return rc;
    broker_config_t config;
    char error[2048];
    if (broker_config_load (&config, args.config, error, sizeof error) != 0) {
        fprintf (stderr, "ztaskd: %s\n", error);
        broker_config_free (&config);
        return 1;
    }
    ztask_log_set_format (config.log_format); /* every line from here on */
    ztask_log_set_level (config.log_level);
    if (ztask_daemon_start (&args, config.user, config.pid_file) != 0) {
        broker_config_free (&config);
        return 1;
    }
    zsys_init ();
    broker_t *broker = broker_new (&config);
    rc = 1;
    http_server_t *http = NULL;
    if (broker && config.http_listen && !(http = http_server_new (&config, broker_internal_endpoint (broker))))
        broker_destroy (&broker);
    if (broker) {
        /* The store is open and the endpoints bound: ready (systemd). */
        if (ztask_notify ("READY=1") < 0)
            ztask_log_warning ("broker: cannot tell systemd it is ready: %s", strerror (errno));
        rc = broker_run (broker) == 0 ? 0 : 1;
        http_server_destroy (&http); /* first: its thread talks to the broker */
        ztask_log_info ("broker: stopped");
        broker_destroy (&broker);
    }
    broker_config_free (&config);
    return rc;
}
