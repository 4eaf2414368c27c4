/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_host - the worker side of the plugin API: the context a plugin's
    run gets, and the settings its init gets (include/ztask/plugin.h). */
#ifndef ZTASK_HOST_H_INCLUDED
#define ZTASK_HOST_H_INCLUDED

#include "ztask/plugin.h"

#include <stdatomic.h>
#include <stdbool.h>

/* Receives progress reports from a running plugin (on its thread). */
typedef void (ztask_progress_sink_fn) (void *arg, uint64_t done, uint64_t total, const char *text);

struct ztask_ctx {
    uint64_t task_id;
    unsigned attempt;
    const void *payload;         /* not owned                                 */
    size_t payload_size;
    size_t parent_count;         /* parents' results, after the payload     */
    const uint32_t *parent_sizes; /* parent_count sizes; not owned          */
    size_t result_max;           /* largest result accepted                   */
    void *result;                /* owned; NULL until set                     */
    size_t result_size;
    const char *result_refused;  /* why set_result failed, or NULL            */
    bool error_set;
    int retry;                   /* the plugin says a retry could help        */
    uint32_t retry_after_ms;     /* ... after this wait (ztask_retry_after,
                                    capped; 0: the task's retry policy)  */
    char error[256];
    atomic_int cancelled;        /* set by the worker's messaging thread      */
    ztask_progress_sink_fn *progress_fn;
    void *progress_arg;
};

/* Prepares ctx for one run of a task (payload is borrowed). */
void ztask_ctx_init (ztask_ctx_t *ctx, uint64_t task_id, unsigned attempt, const void *payload,
                     size_t payload_size, size_t result_max);
/* The task's parents' results: count of them follow the payload, of
   sizes (borrowed) each. */
void ztask_ctx_set_parents (ztask_ctx_t *ctx, const uint32_t *sizes, size_t count);
/* Frees the result. */
void ztask_ctx_clear (ztask_ctx_t *ctx);

/* Settings: a flat key -> text table. */
ztask_settings_t *ztask_settings_new (void);
void ztask_settings_destroy (ztask_settings_t **self_p);
void ztask_settings_set (ztask_settings_t *self, const char *key, const char *value);

/* Names the plugin that the calling thread runs, for ztask_log's prefix. */
void ztask_host_set_current (const char *plugin_name);

#endif
