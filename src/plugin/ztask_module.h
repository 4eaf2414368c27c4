/*  ztask_module - a plugin shared object loaded into the worker.

    Loading checks, in order: the file exists, dlopen (RTLD_NOW, so a plugin
    needing a host function this worker lacks fails here), the descriptor
    symbol, its ABI major and minor, its size, its required fields and its
    name; then calls init. Each refusal names the file and what to do.
*/
#ifndef ZTASK_MODULE_H_INCLUDED
#define ZTASK_MODULE_H_INCLUDED

#include "ztask_host.h"

typedef struct ztask_module ztask_module_t;

/* Loads file as plugin `name` and calls its init with settings (taken over;
   may be NULL). Returns NULL with the reason in error. */
ztask_module_t *ztask_module_load (const char *file, const char *name,
                                   ztask_settings_t **settings_p, char *error, size_t error_size);

/* Calls fini and unloads. */
void ztask_module_destroy (ztask_module_t **self_p);

const ztask_plugin_t *ztask_module_plugin (ztask_module_t *self);

/* Runs one task through the plugin: returns ZTASK_OK or ZTASK_FAILED; on
   failure ctx->error holds a reason (a default one when the plugin set
   none). */
int ztask_module_run (ztask_module_t *self, ztask_ctx_t *ctx);

#endif
