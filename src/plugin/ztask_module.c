/*  ztask_module - a plugin shared object loaded into the worker. */
#ifdef HAVE_CONFIG_H
#include <config.h> /* PACKAGE_VERSION, first: it may set feature macros */
#endif
#include "ztask_module.h"

#include <czmq.h>
#include <dlfcn.h>
#include <sys/stat.h>

struct ztask_module {
    void *handle;                 /* from dlopen                   */
    const ztask_plugin_t *plugin; /* its descriptor                */
    void *state;                  /* what its init returned        */
    ztask_settings_t *settings;   /* its settings section          */
    char *file;
};

/* Smallest descriptor a plugin of ABI major 1 may have: up to fini. */
#define DESCRIPTOR_MIN_SIZE (offsetof (ztask_plugin_t, fini) + sizeof (void (*) (void *)))

ztask_module_t *
ztask_module_load (const char *file, const char *name, ztask_settings_t **settings_p,
                   char *error, size_t error_size)
{
    ztask_settings_t *settings = settings_p ? *settings_p : NULL;
    if (settings_p)
        *settings_p = NULL;
    struct stat st;
    if (stat (file, &st) != 0) {
        snprintf (error, error_size,
                  "plugin '%s': %s: %s (set plugin_dir, or 'file' in the plugin's section)", name,
                  file, strerror (errno));
        ztask_settings_destroy (&settings);
        return NULL;
    }
    void *handle = dlopen (file, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf (error, error_size,
                  "plugin '%s': cannot load %s: %s (was it built for this machine, against ztask %s?)",
                  name, file, dlerror (), PACKAGE_VERSION);
        ztask_settings_destroy (&settings);
        return NULL;
    }
    dlerror ();
    const ztask_plugin_t *plugin = (const ztask_plugin_t *) dlsym (handle, ZTASK_PLUGIN_SYMBOL);
    const char *problem = NULL;
    char detail[256] = "";
    if (!plugin)
        problem = "does not export the symbol '" ZTASK_PLUGIN_SYMBOL
                  "': is it a ztask plugin? (define it with ZTASK_PLUGIN from <ztask/plugin.h>)";
    else if (plugin->abi_version >> 16 != ZTASK_ABI_MAJOR) {
        snprintf (detail, sizeof detail,
                  "was built against plugin ABI %u.%u, this worker speaks %u.%u: rebuild it against ztask %s",
                  plugin->abi_version >> 16, plugin->abi_version & 0xFFFF, ZTASK_ABI_MAJOR,
                  ZTASK_ABI_MINOR, PACKAGE_VERSION);
        problem = detail;
    }
    else if ((plugin->abi_version & 0xFFFF) > ZTASK_ABI_MINOR) {
        snprintf (detail, sizeof detail,
                  "needs plugin ABI %u.%u, newer than this worker's %u.%u: upgrade ztask-worker or rebuild the plugin against ztask %s",
                  plugin->abi_version >> 16, plugin->abi_version & 0xFFFF, ZTASK_ABI_MAJOR,
                  ZTASK_ABI_MINOR, PACKAGE_VERSION);
        problem = detail;
    }
    else if (plugin->struct_size < DESCRIPTOR_MIN_SIZE) {
        snprintf (detail, sizeof detail,
                  "has a descriptor of %u bytes, too small for ABI %u: rebuild it against ztask %s",
                  plugin->struct_size, ZTASK_ABI_MAJOR, PACKAGE_VERSION);
        problem = detail;
    }
    else if (!plugin->name || !*plugin->name || !plugin->version || !plugin->run)
        problem = "has a descriptor without a name, version or run function";
    else if (strcmp (plugin->name, name) != 0) {
        snprintf (detail, sizeof detail,
                  "is the plugin '%.64s', not '%.64s': fix the name or the file in the worker config",
                  plugin->name, name);
        problem = detail;
    }
    if (problem) {
        snprintf (error, error_size, "plugin '%s': %s %s", name, file, problem);
        dlclose (handle);
        ztask_settings_destroy (&settings);
        return NULL;
    }
    ztask_module_t *self = (ztask_module_t *) zmalloc (sizeof (ztask_module_t));
    assert (self);
    self->handle = handle;
    self->plugin = plugin;
    self->settings = settings ? settings : ztask_settings_new ();
    self->file = strdup (file);
    if (plugin->init) {
        ztask_host_set_current (plugin->name);
        int rc = plugin->init (self->settings, &self->state);
        ztask_host_set_current (NULL);
        if (rc != 0) {
            snprintf (error, error_size,
                      "plugin '%s': init failed in %s (its messages above say why; check its settings)",
                      name, file);
            self->plugin = NULL; /* no fini after a failed init */
            ztask_module_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
ztask_module_destroy (ztask_module_t **self_p)
{
    assert (self_p);
    ztask_module_t *self = *self_p;
    if (self) {
        if (self->plugin && self->plugin->fini) {
            ztask_host_set_current (self->plugin->name);
            self->plugin->fini (self->state);
            ztask_host_set_current (NULL);
        }
        dlclose (self->handle);
        ztask_settings_destroy (&self->settings);
        free (self->file);
        free (self);
        *self_p = NULL;
    }
}

const ztask_plugin_t *
ztask_module_plugin (ztask_module_t *self)
{
    return self->plugin;
}

int
ztask_module_run (ztask_module_t *self, ztask_ctx_t *ctx)
{
    ztask_host_set_current (self->plugin->name);
    int rc = self->plugin->run (ctx, self->state);
    ztask_host_set_current (NULL);
    if (ctx->result_refused) {
        snprintf (ctx->error, sizeof ctx->error, "result refused: %s (max_result is %zu bytes)",
                  ctx->result_refused, ctx->result_max);
        ctx->retry = 0;
        return ZTASK_FAILED;
    }
    if (rc != ZTASK_OK) {
        if (!ctx->error_set)
            snprintf (ctx->error, sizeof ctx->error, "plugin %s failed (returned %d) without saying why",
                      self->plugin->name, rc);
        return ZTASK_FAILED;
    }
    return ZTASK_OK;
}
