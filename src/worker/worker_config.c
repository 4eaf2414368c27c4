/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_config - ztask-worker's settings. */
#include "worker_config.h"
#include "common/ztask_cert.h"
#include "slot.h"
#include "ztask/client.h"

#include <czmq.h>
#include <errno.h>
#include <libgen.h>

static const char *const s_keys[] = { "broker", "name", "slots", "priorities", "plugin_dir",
                                      "max_result", "isolation", "drain_timeout_ms", "user",
                                      "pid_file", "allow_insecure_plugins", "curve", "plugins",
                                      NULL };
static const char *const s_plugin_keys[] = { "name", "file", "settings", NULL };
static const char *const s_curve_keys[] = { "secret", "broker", NULL };


/* path, taken from the config file's directory when relative. */
static char *
s_resolve (ztask_cfg_t *cfg, const char *path)
{
    if (path[0] == '/')
        return strdup (path);
    char *copy = strdup (cfg->file);
    char *resolved = zsys_sprintf ("%s/%s", dirname (copy), path);
    free (copy);
    return resolved;
}

/* curve = { secret = "worker-1.key_secret"; broker = "broker.key"; }:
   both or none; both files are read now. */
static int
s_curve (worker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *curve = config_setting_get_member (root, "curve");
    if (!curve)
        return 0;
    if (!config_setting_is_group (curve))
        return ztask_cfg_fail (cfg, curve,
                               "'curve' must be a group: curve = { secret = \"worker.key_secret\"; "
                               "broker = \"broker.key\"; };");
    const char *secret = NULL, *broker = NULL;
    if (ztask_cfg_keys (cfg, curve, s_curve_keys) || ztask_cfg_string (cfg, curve, "secret", &secret)
        || ztask_cfg_string (cfg, curve, "broker", &broker))
        return -1;
    if (!secret || !broker)
        return ztask_cfg_fail (cfg, curve, "'curve' needs both 'secret' (this worker's secret certificate, "
                                           "NAME.key_secret) and 'broker' (the broker's public certificate, "
                                           "NAME.key)");
    if (!zsys_has_curve ())
        return ztask_cfg_fail (cfg, curve, "'curve' is set, but this libzmq was built without CURVE support");
    char error[1024];
    char *path = s_resolve (cfg, secret);
    self->curve_cert = ztask_cert_load (path, true, error, sizeof error);
    free (path);
    if (!self->curve_cert)
        return ztask_cfg_fail (cfg, config_setting_get_member (curve, "secret"), "curve.secret: %s", error);
    path = s_resolve (cfg, broker);
    zcert_t *broker_cert = ztask_cert_load (path, false, error, sizeof error);
    free (path);
    if (!broker_cert)
        return ztask_cfg_fail (cfg, config_setting_get_member (curve, "broker"), "curve.broker: %s", error);
    self->curve_broker_key = strdup (zcert_public_txt (broker_cert));
    zcert_destroy (&broker_cert);
    return 0;
}

/* A plugin's settings: scalars only, kept as text. */
static int
s_settings (ztask_cfg_t *cfg, config_setting_t *group, ztask_settings_t *settings)
{
    if (!config_setting_is_group (group))
        return ztask_cfg_fail (cfg, group, "'settings' must be a group: settings = { key = value; };");
    int count = config_setting_length (group);
    for (int i = 0; i < count; i++) {
        config_setting_t *item = config_setting_get_elem (group, (unsigned) i);
        char text[64];
        const char *value = text;
        switch (config_setting_type (item)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
            snprintf (text, sizeof text, "%lld", config_setting_get_int64 (item));
            break;
        case CONFIG_TYPE_FLOAT: snprintf (text, sizeof text, "%.17g", config_setting_get_float (item)); break;
        case CONFIG_TYPE_BOOL: value = config_setting_get_bool (item) ? "true" : "false"; break;
        case CONFIG_TYPE_STRING: value = config_setting_get_string (item); break;
        default:
            return ztask_cfg_fail (cfg, item, "setting '%s' must be a number, string or boolean",
                                   config_setting_name (item));
        }
        ztask_settings_set (settings, config_setting_name (item), value);
    }
    return 0;
}

static int
s_plugin (worker_config_t *self, ztask_cfg_t *cfg, config_setting_t *item, const char *plugin_dir)
{
    if (!config_setting_is_group (item))
        return ztask_cfg_fail (cfg, item, "each plugin is a group: { name = \"echo\"; }");
    if (ztask_cfg_keys (cfg, item, s_plugin_keys))
        return -1;
    const char *name = NULL, *file = NULL;
    if (ztask_cfg_string (cfg, item, "name", &name) || ztask_cfg_string (cfg, item, "file", &file))
        return -1;
    if (!name)
        return ztask_cfg_fail (cfg, item, "a plugin needs a 'name'");
    if (strlen (name) > 255 || strchr (name, '/'))
        return ztask_cfg_fail (cfg, item, "plugin name '%s' must be 1-255 bytes without '/'", name);
    for (size_t i = 0; i < self->plugin_count; i++)
        if (streq (self->plugins[i].name, name))
            return ztask_cfg_fail (cfg, item, "plugin '%s' is listed twice", name);
    if (self->plugin_count == WORKER_PLUGINS_MAX)
        return ztask_cfg_fail (cfg, item, "a worker loads at most %d plugins", WORKER_PLUGINS_MAX);
    worker_plugin_config_t *plugin = &self->plugins[self->plugin_count++];
    plugin->name = strdup (name);
    if (file)
        plugin->file = s_resolve (cfg, file);
    else {
        char *dir = s_resolve (cfg, plugin_dir);
        plugin->file = zsys_sprintf ("%s/%s.so", dir, name);
        free (dir);
    }
    plugin->settings = ztask_settings_new ();
    config_setting_t *settings = config_setting_get_member (item, "settings");
    return settings ? s_settings (cfg, settings, plugin->settings) : 0;
}

/* isolation = "thread" | "process"; *isolation is left as it is when absent. */
static int
s_isolation (ztask_cfg_t *cfg, config_setting_t *root, int *isolation)
{
    config_setting_t *item = config_setting_get_member (root, "isolation");
    if (!item)
        return 0;
    const char *text = config_setting_get_string (item); /* NULL unless a string */
    if (text && streq (text, "thread"))
        *isolation = SLOT_THREAD;
    else if (text && streq (text, "process"))
        *isolation = SLOT_PROCESS;
    else
        return ztask_cfg_fail (cfg, item, "'isolation' must be \"thread\" (plugins run on the worker's "
                                          "threads) or \"process\" (each task in a child process)");
    return 0;
}

int
worker_config_parse (worker_config_t *self, ztask_cfg_t *cfg)
{
    memset (self, 0, sizeof *self);
    config_setting_t *root = config_root_setting (&cfg->cfg);
    if (ztask_cfg_keys (cfg, root, s_keys))
        return -1;
    const char *broker = getenv ("ZTASK_BROKER");
    const char *plugin_dir = getenv ("ZTASK_PLUGIN_DIR");
    char host[256] = "worker";
    gethostname (host, sizeof host - 1);
    char *default_name = zsys_sprintf ("%s-%d", host, (int) getpid ());
    const char *name = default_name;
    const char *user = NULL, *pid_file = NULL;
    bool allow_insecure_plugins = false;
    long long slots = 1, max_result = 1024 * 1024, drain_timeout_ms = 30000;
    int isolation = SLOT_THREAD;
    uint16_t priorities = (uint16_t) ((1u << (ZTASK_PRIORITY_MAX + 1)) - 1);
    if (!broker || !*broker)
        broker = ZTASK_DEFAULT_ENDPOINT;
    if (!plugin_dir || !*plugin_dir)
        plugin_dir = ZTASK_PLUGIN_DIR;
    int rc = -1;
    if (ztask_cfg_string (cfg, root, "broker", &broker) || ztask_cfg_string (cfg, root, "name", &name)
        || ztask_cfg_int (cfg, root, "slots", 1, 1024, &slots)
        || ztask_cfg_priorities (cfg, root, "priorities", &priorities)
        || ztask_cfg_string (cfg, root, "plugin_dir", &plugin_dir)
        || ztask_cfg_int (cfg, root, "max_result", 0, 256LL * 1024 * 1024, &max_result)
        || s_isolation (cfg, root, &isolation)
        || ztask_cfg_int (cfg, root, "drain_timeout_ms", 0, 86400000, &drain_timeout_ms)
        || ztask_cfg_string (cfg, root, "user", &user) || ztask_cfg_string (cfg, root, "pid_file", &pid_file)
        || ztask_cfg_bool (cfg, root, "allow_insecure_plugins", &allow_insecure_plugins)
        || s_curve (self, cfg, root))
        goto done;
    if (strlen (name) > 255) {
        ztask_cfg_fail (cfg, config_setting_get_member (root, "name"), "'name' is longer than 255 bytes");
        goto done;
    }
    self->broker = strdup (broker);
    self->name = strdup (name);
    self->slots = (unsigned) slots;
    self->priorities = priorities;
    self->max_result = (size_t) max_result;
    self->isolation = isolation;
    self->drain_timeout_ms = (unsigned) drain_timeout_ms;
    self->user = user ? strdup (user) : NULL;
    self->pid_file = pid_file ? s_resolve (cfg, pid_file) : NULL;
    self->allow_insecure_plugins = allow_insecure_plugins;
    config_setting_t *plugins = config_setting_get_member (root, "plugins");
    if (!plugins || !config_setting_is_list (plugins) || config_setting_length (plugins) == 0) {
        ztask_cfg_fail (cfg, plugins,
                        "'plugins' must list at least one plugin: plugins = ( { name = \"echo\"; } );");
        goto done;
    }
    for (int i = 0; i < config_setting_length (plugins); i++)
        if (s_plugin (self, cfg, config_setting_get_elem (plugins, (unsigned) i), plugin_dir))
            goto done;
    rc = 0;
done:
    free (default_name);
    return rc;
}

int
worker_config_load (worker_config_t *self, const char *file, char *error, size_t error_size)
{
    ztask_cfg_t cfg;
    int rc = ztask_cfg_load (&cfg, file);
    if (rc == 0)
        rc = worker_config_parse (self, &cfg);
    else
        memset (self, 0, sizeof *self);
    if (rc != 0)
        snprintf (error, error_size, "%s", cfg.error);
    ztask_cfg_free (&cfg);
    return rc;
}

void
worker_config_free (worker_config_t *self)
{
    free (self->broker);
    free (self->name);
    free (self->user);
    free (self->pid_file);
    zcert_destroy (&self->curve_cert);
    free (self->curve_broker_key);
    for (size_t i = 0; i < self->plugin_count; i++) {
        free (self->plugins[i].name);
        free (self->plugins[i].file);
        ztask_settings_destroy (&self->plugins[i].settings);
    }
    memset (self, 0, sizeof *self);
}
