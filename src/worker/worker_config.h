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
#define WORKER_LABELS_MAX 32    /* labels a config may set                   */
#define WORKER_RESOURCES_MAX 16 /* resources a config may set                */
#define WORKER_FACTS 5          /* labels the worker finds itself (below)    */
#define WORKER_RESOURCE_AMOUNT_MAX (1ULL << 53) /* exact in a JSON number    */

/* The labels a worker finds itself and always sends, in this order; a
   config may not set them: "host", "os", "arch", "cores", "memory_mb". */
extern const char *const worker_fact_keys[WORKER_FACTS + 1];

typedef struct {
    char *key;                  /* [a-z][a-z0-9_.-]{0,62}                    */
    char *value;                /* 1-255 bytes of printable UTF-8             */
} worker_label_t;

typedef struct {
    char *name;                 /* as a label key                            */
    uint64_t amount;            /* 0 to WORKER_RESOURCE_AMOUNT_MAX           */
} worker_resource_t;

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
    worker_label_t labels[WORKER_FACTS + WORKER_LABELS_MAX]; /* the facts
                                   (worker_fact_keys, found when the config
                                   is read), then those of `labels`, in the
                                   config's order                            */
    size_t label_count;
    worker_resource_t resources[WORKER_RESOURCES_MAX]; /* `resources`, in
                                   the config's order (not slots: that is
                                   `slots`)                                  */
    size_t resource_count;
} worker_config_t;

/* Reads settings from a loaded file. `broker` (else $ZTASK_BROKER, else
   ZTASK_DEFAULT_ENDPOINT) is one endpoint, a list of them, or several in
   one string separated by commas; curve.broker is one certificate for
   all of them or a list, one per endpoint. Plugin files are plugin_dir/NAME.so
   unless a plugin sets `file`; plugin_dir defaults to $ZTASK_PLUGIN_DIR,
   else the installed plugin directory. Relative paths (plugins, pid_file,
   the curve certificates) are taken from the config file's directory. The
   curve certificates are read here, so the worker holds its keys before
   it switches user. `labels` and `resources` are checked here (see
   docs/configuration.md), and the facts are found (worker_config_facts).
   Returns 0, or -1 with cfg->error set. */
int worker_config_parse (worker_config_t *self, ztask_cfg_t *cfg);

/* Load + parse; error gets the message. */
int worker_config_load (worker_config_t *self, const char *file, char *error, size_t error_size);

void worker_config_free (worker_config_t *self);

/* Fills labels[0..WORKER_FACTS) with what this machine is, in the order of
   worker_fact_keys (malloc'd strings, freed by worker_config_free for a
   config's labels): host (gethostname), os (uname's sysname, lowercased),
   arch (uname's machine), cores (the CPUs this process may run on, as
   nproc counts them) and memory_mb (physical memory). */
void worker_config_facts (worker_label_t *labels);

#endif
