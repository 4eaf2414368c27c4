/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_module - a plugin shared object loaded into the worker.

    Loading checks, in order: the file exists, only root or this process's
    user can change it (see below), dlopen (RTLD_NOW, so a plugin needing a
    host function this worker lacks fails here), the descriptor symbol, its
    ABI major and minor, its size, its required fields and its name; then
    calls init. Each refusal names the file and what to do.

    A plugin runs as the worker, so whoever can change its file can run code
    as the worker. Refused (unless allow_insecure): a file writable by
    everyone; a file writable by a group with members other than root and
    the file's owner (root's group and a user's private group pass); a
    file owned by anyone but root or the effective user; a file whose
    directory is writable by everyone without the sticky bit (anyone could
    replace it). The file is checked as stat () sees it, symlinks
    followed.
*/
#ifndef ZTASK_MODULE_H_INCLUDED
#define ZTASK_MODULE_H_INCLUDED

#include "ztask_host.h"

typedef struct ztask_module ztask_module_t;

/* Loads file as plugin `name` and calls its init with settings (taken over;
   may be NULL). allow_insecure: load a file that fails the ownership and
   permission checks all the same, with a warning in the log. Returns NULL
   with the reason in error. */
ztask_module_t *ztask_module_load (const char *file, const char *name, ztask_settings_t **settings_p,
                                   bool allow_insecure, char *error, size_t error_size);

/* Calls fini and unloads. */
void ztask_module_destroy (ztask_module_t **self_p);

const ztask_plugin_t *ztask_module_plugin (ztask_module_t *self);

/* Runs one task through the plugin: returns ZTASK_OK or ZTASK_FAILED; on
   failure ctx->error holds a reason (a default one when the plugin set
   none). */
int ztask_module_run (ztask_module_t *self, ztask_ctx_t *ctx);

#endif
