/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_config - ztask-worker's settings, read from worker.cfg (libconfig). */
#ifndef ZTASK_WORKER_CONFIG_H_INCLUDED
#define ZTASK_WORKER_CONFIG_H_INCLUDED

#include "common/ztask_cfg.h"
#include "common/ztask_endpoints.h"
#include "plugin/ztask_host.h"

#include <czmq.h>

#define WORKER_PLUGINS_MAX 64

typedef struct {
    char *name;                 /* plugin (task type) name                    */
    char *file;                 /* shared object to load                      */
    ztask_settings_t *settings; /* its settings section                       */
} worker_plugin_config_t;

typedef struct {
    char *brokers[ZTASK_ENDPOINTS_MAX]; /* endpoints to register with, in
                                   order: the leader among them
                                   (common/ztask_endpoints.h)                */
    size_t broker_count;        /* 1 to ZTASK_ENDPOINTS_MAX                   */
    char *name;                 /* shown in `ztask workers`                   */
    unsigned slots;             /* tasks run at once                          */
    uint16_t priorities;        /* bit n: serves priority n                   */
    size_t max_result;          /* largest result a plugin may return, bytes  */
    int isolation;              /* SLOT_THREAD or SLOT_PROCESS (slot.h)       */
    unsigned drain_timeout_ms;  /* SIGTERM: how long running tasks may finish */
    char *user;                 /* run as this user once the plugins are
                                   loaded; NULL: stay who we are             */
    char *pid_file;             /* write and lock the pid here; NULL: none    */
    bool allow_insecure_plugins; /* load plugin files anyone may change      */
    zcert_t *curve_cert;        /* our certificate (both keys) from
                                   curve.secret; NULL: plain TCP             */
    char *curve_broker_keys[ZTASK_ENDPOINTS_MAX]; /* per endpoint of brokers[],
                                   the broker's public key (Z85), from
                                   curve.broker; NULL without curve          */
    worker_plugin_config_t plugins[WORKER_PLUGINS_MAX];
    size_t plugin_count;
    ztask_log_format_t log_format; /* log_format: text (default) or json      */
    ztask_log_level_t log_level; /* log_level: the least severe level written */
} worker_config_t;

/* Reads settings from a loaded file. `broker` (else $ZTASK_BROKER, else
   ZTASK_DEFAULT_ENDPOINT) is one endpoint, a list of them, or several in
   one string separated by commas; curve.broker is one certificate for
   all of them or a list, one per endpoint. Plugin files are plugin_dir/NAME.so
   unless a plugin sets `file`; plugin_dir defaults to $ZTASK_PLUGIN_DIR,
   else the installed plugin directory. Relative paths (plugins, pid_file,
   the curve certificates) are taken from the config file's directory. The
   curve certificates are read here, so the worker holds its keys before
   it switches user. Returns 0, or -1 with cfg->error set. */
int worker_config_parse (worker_config_t *self, ztask_cfg_t *cfg);

/* Load + parse; error gets the message. */
int worker_config_load (worker_config_t *self, const char *file, char *error, size_t error_size);

void worker_config_free (worker_config_t *self);

#endif
