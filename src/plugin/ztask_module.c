/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_module - a plugin shared object loaded into the worker. */
#ifdef HAVE_CONFIG_H
#include <config.h> /* PACKAGE_VERSION, first: it may set feature macros */
#endif
#include "ztask_module.h"
#include "common/ztask_log.h"

#include <czmq.h>
#include <dlfcn.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

struct ztask_module {
    void *handle;                 /* from dlopen                   */
    const ztask_plugin_t *plugin; /* its descriptor                */
    void *state;                  /* what its init returned        */
    ztask_settings_t *settings;   /* its settings section          */
    char *file;
};

/* Smallest descriptor a plugin of ABI major 1 may have: up to fini. */
#define DESCRIPTOR_MIN_SIZE (offsetof (ztask_plugin_t, fini) + sizeof (void (*) (void *)))

/* "'bob' (uid 1000)" for a user id, into buffer. */
static const char *
s_user_name (uid_t uid, char *buffer, size_t size)
{
    struct passwd *pw = getpwuid (uid);
    if (pw)
        snprintf (buffer, size, "'%s' (uid %u)", pw->pw_name, (unsigned) uid);
    else
        snprintf (buffer, size, "uid %u", (unsigned) uid);
    return buffer;
}

static const char *
s_group_name (gid_t gid, char *buffer, size_t size)
{
    struct group *gr = getgrgid (gid);
    if (gr)
        snprintf (buffer, size, "'%s' (gid %u)", gr->gr_name, (unsigned) gid);
    else
        snprintf (buffer, size, "gid %u", (unsigned) gid);
    return buffer;
}

/* True if no one but root and uid belongs to group gid: neither among its
   listed members nor as the users whose primary group it is (as far as
   the user database can be listed). Such is a user's private group, as
   distributions make them, so a build under umask 002 passes. */
static bool
s_group_private (gid_t gid, uid_t uid)
{
    if (gid == 0)
        return true;
    char owner[256] = "";
    struct passwd *pw = getpwuid (uid);
    if (pw)
        snprintf (owner, sizeof owner, "%s", pw->pw_name);
    struct group *gr = getgrgid (gid);
    if (!gr)
        return false;
    for (char **member = gr->gr_mem; *member; member++)
        if (!streq (*member, owner) && !streq (*member, "root"))
            return false;
    bool private_group = true;
    setpwent ();
    while (private_group && (pw = getpwent ()))
        if (pw->pw_gid == gid && pw->pw_uid != uid && pw->pw_uid != 0)
            private_group = false;
    endpwent ();
    return private_group;
}

/* Whether someone other than root or us could change the plugin file (st
   is its stat): if so, true with "is ...: FIX" in problem. */
static bool
s_unsafe (const char *file, const struct stat *st, char *problem, size_t size)
{
    char who[300];
    unsigned mode = (unsigned) st->st_mode & 07777;
    uid_t euid = geteuid ();
    if (st->st_mode & S_IWOTH) {
        snprintf (problem, size, "is writable by everyone (mode %04o): chmod o-w %s", mode, file);
        return true;
    }
    if ((st->st_mode & S_IWGRP) && !s_group_private (st->st_gid, st->st_uid)) {
        snprintf (problem, size,
                  "is writable by the group %s, which has other members (mode %04o): chmod g-w %s",
                  s_group_name (st->st_gid, who, sizeof who), mode, file);
        return true;
    }
    if (st->st_uid != 0 && st->st_uid != euid) {
        char me[300];
        snprintf (problem, size, "is owned by %s, not by root or by %s that runs this worker: chown root %s",
                  s_user_name (st->st_uid, who, sizeof who), s_user_name (euid, me, sizeof me), file);
        return true;
    }
    /* Whoever may write the directory may replace the file. */
    char *copy = strdup (file);
    if (!copy)
        return false;
    const char *dir = dirname (copy);
    struct stat dir_st;
    bool unsafe = false;
    if (stat (dir, &dir_st) == 0 && (dir_st.st_mode & S_IWOTH) && !(dir_st.st_mode & S_ISVTX)) {
        snprintf (problem, size,
                  "is in %s, a directory anyone can write to (mode %04o), so anyone could replace it: "
                  "chmod o-w %s, or keep plugins elsewhere",
                  dir, (unsigned) dir_st.st_mode & 07777, dir);
        unsafe = true;
    }
    free (copy);
    return unsafe;
}

ztask_module_t *
ztask_module_load (const char *file, const char *name, ztask_settings_t **settings_p,
                   bool allow_insecure, char *error, size_t error_size)
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
    char unsafe[1024];
    if (s_unsafe (file, &st, unsafe, sizeof unsafe)) {
        if (!allow_insecure) {
            snprintf (error, error_size,
                      "plugin '%s': refusing %s: it %s (a plugin runs as the worker: whoever can change "
                      "its file can run code as the worker; to load it all the same, set "
                      "allow_insecure_plugins = true)",
                      name, file, unsafe);
            ztask_settings_destroy (&settings);
            return NULL;
        }
        ztask_log_warning ("worker: plugin '%s': %s %s; loading it as allow_insecure_plugins = true", name, file,
                      unsafe);
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
