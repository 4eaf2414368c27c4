/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_config - ztaskd's settings, read from broker.cfg (libconfig). */
#ifndef ZTASK_BROKER_CONFIG_H_INCLUDED
#define ZTASK_BROKER_CONFIG_H_INCLUDED

#include "common/ztask_cfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BROKER_ENDPOINTS_MAX 8
#define BROKER_LIMITS_MAX 1024        /* entries of `limits`                    */
#define BROKER_LIMIT_MAX 1000000      /* the largest limit                      */
#define BROKER_TYPE_DEFAULTS_MAX 1024 /* entries of `types`                     */

/* limits = { render = 4; stripe-api = 2; }: at most max tasks at once
   across the fleet, of the task type of that name or carrying that limit
   name (--limit). */
typedef struct {
    char *name;
    unsigned max;
} broker_limit_t;

/* types = { render = { require = ( "os=linux" ); needs = "gpu=1"; limit = "gpu-farm";
   retry_backoff = "1s..1h"; attempts = 5; }; }: what a type's tasks ask
   when they do not say (docs/routing.md, docs/scheduling.md). All texts
   are checked at load. */
typedef struct {
    char *type;
    char **require;             /* added to every task's own requirements    */
    size_t require_count;
    char *needs;                /* the resources of a task without --needs   */
    char *limit;                /* the limit of a task without --limit       */
    uint32_t retry_min_ms;      /* the retry policy of a task without
                                   --retry-backoff (ztask_retry.h); 0: none  */
    uint32_t retry_max_ms;
    unsigned attempts;          /* attempts of a task without --attempts; 0: none */
} broker_type_defaults_t;

/* schedules = ( { name = "nightly-report"; cron = "0 3 * * *"; tz = "Europe/Paris";
   type = "report"; priority = "normal"; payload = "..."; catchup = "once"; } ):
   recurring schedules the broker holds while they are in its config
   (docs/scheduling.md). Checked at load: name, cron and zone. */
#define BROKER_SCHEDULES_MAX 1024
typedef struct {
    char *name;                 /* [a-z0-9][a-z0-9._-]{0,63}                  */
    char *cron;                 /* a valid expression                         */
    char *tz;                   /* a zone that loads; "" : UTC                */
    char *type;                 /* the task type each fire submits            */
    unsigned priority;          /* 0-9                                        */
    char *payload;              /* "" when none                               */
    bool catchup_once;          /* catchup = "once" (default "skip")          */
    unsigned max_attempts;      /* 0: the broker's max_attempts               */
    unsigned timeout_ms;        /* 0: none                                    */
} broker_schedule_t;

typedef struct {
    char *endpoints[BROKER_ENDPOINTS_MAX]; /* ROUTER binds; "tcp://127.0.0.1:*" picks a port */
    size_t endpoint_count;
    char *store;                /* SQLite file                                   */
    char *sync;                 /* "full", "normal" or "off"                      */
    unsigned heartbeat_ms;      /* interval both ways                            */
    unsigned heartbeat_liveness;/* missed intervals before a worker is gone      */
    unsigned max_attempts;      /* default for tasks submitted without one       */
    size_t max_payload;         /* largest payload accepted, bytes               */
    size_t max_result;          /* largest result accepted from a worker, bytes  */
    size_t max_queued;          /* submits beyond this get QUEUE_FULL            */
    size_t max_batch;           /* most tasks in one batch (BATCH)               */
    size_t max_batch_bytes;     /* largest BATCH message (its tasks, encoded)    */
    unsigned retention_s;       /* finished tasks are deleted after this; 0: kept */
    char *user;                 /* switch to this user after start; NULL: stay  */
    char *pid_file;             /* write and lock the pid here; NULL: none       */
    char *curve_secret;         /* broker's secret certificate; NULL: plain TCP  */
    char *curve_allow;          /* allow-list: clients/ and workers/ public certs */
    /* Active/standby (a PostgreSQL store shared by several brokers): */
    char *name;                 /* this broker's name; NULL: the host's name     */
    char *advertise;            /* the endpoint standbys name as the leader's;
                                   NULL: the first bound, its wildcard host
                                   replaced by the host's name                   */
    unsigned lease_ms;          /* a leader silent this long is replaced         */
    ztask_log_format_t log_format; /* log_format: text (default) or json         */
    ztask_log_level_t log_level; /* log_level: the least severe level written  */
    /* http = { listen; token_file; web_root; } (docs/operations.md); off
       when http_listen is NULL: */
    char *http_listen;          /* "HOST:PORT" (port 0: any free one)            */
    char *http_token;           /* the actions' bearer token, read from
                                   token_file at load; NULL: actions are off     */
    char *http_web_root;        /* the dashboard's files; NULL: the installed ones */
    broker_limit_t *limits;     /* limits = { ... }                             */
    size_t limit_count;
    broker_type_defaults_t *type_defaults; /* types = { ... }                   */
    size_t type_default_count;
    broker_schedule_t *schedules; /* schedules = ( ... )                       */
    size_t schedule_count;
} broker_config_t;

#define BROKER_HTTP_TOKEN_MIN 16  /* shortest token accepted, in bytes        */
#define BROKER_HTTP_TOKEN_MAX 256 /* longest                                   */

/* Sets the defaults. */
void broker_config_init (broker_config_t *self);

/* Reads settings from a loaded file over the defaults. Returns 0, or -1
   with cfg->error set ("file:line: what is wrong"). */
int broker_config_parse (broker_config_t *self, ztask_cfg_t *cfg);

/* broker_config_init + load + parse; error gets the message. */
int broker_config_load (broker_config_t *self, const char *file, char *error, size_t error_size);

void broker_config_free (broker_config_t *self);

/* The defaults of type's tasks, or NULL. */
const broker_type_defaults_t *broker_config_type (const broker_config_t *self, const char *type);

#endif
