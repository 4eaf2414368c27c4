/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  worker_config - ztask-worker's settings. */
#include "worker_config.h"
#include "common/ztask_cert.h"
#include "slot.h"
#include "ztask/client.h"

#include "common/ztask_names.h"
#include "proto/ztask_msg.h" /* ZTASK_STRING_MAX */

#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *const worker_fact_keys[WORKER_FACTS + 1] = { "host", "os", "arch", "cores", "memory_mb", NULL };

static const char *const s_keys[] = { "log_format", "log_level",
                                      "broker", "name", "slots", "priorities", "plugin_dir",
                                      "max_result", "isolation", "drain_timeout_ms", "user",
                                      "pid_file", "allow_insecure_plugins", "curve", "plugins",
                                      "labels", "resources", NULL };
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

/* Takes the endpoints of *brokers_p (destroyed) as self->brokers. */
static int
s_brokers_keep (worker_config_t *self, ztask_cfg_t *cfg, const config_setting_t *at, ztask_endpoints_t **brokers_p)
{
    ztask_endpoints_t *brokers = *brokers_p;
    int rc = 0;
    for (size_t i = 0; i < ztask_endpoints_size (brokers) && rc == 0; i++) {
        if (!(self->brokers[i] = strdup (ztask_endpoints_get (brokers, i))))
            rc = ztask_cfg_fail (cfg, at, "out of memory");
        else
            self->broker_count = i + 1;
    }
    ztask_endpoints_destroy (brokers_p);
    return rc;
}

/* The endpoints of text: one, or several separated by commas (as in
   $ZTASK_BROKER), blanks around each ignored (ztask_endpoints.h has the
   rule). where names its source in errors. */
static int
s_broker_text (worker_config_t *self, ztask_cfg_t *cfg, const config_setting_t *at, const char *where,
               const char *text)
{
    char error[600];
    ztask_endpoints_t *brokers = ztask_endpoints_parse (text, error, sizeof error);
    if (!brokers)
        return ztask_cfg_fail (cfg, at, "%s: %s", where, error);
    return s_brokers_keep (self, cfg, at, &brokers);
}

/* broker = "tcp://a:5570"; or "tcp://a:5570,tcp://b:5570"; or a list,
   broker = ["tcp://a:5570", "tcp://b:5570"];. Absent: $ZTASK_BROKER (the
   same forms but the list), else the default endpoint. */
static int
s_brokers (worker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *item = config_setting_get_member (root, "broker");
    if (!item) {
        const char *env = getenv ("ZTASK_BROKER");
        if (env && *env)
            return s_broker_text (self, cfg, NULL, "$ZTASK_BROKER", env);
        return s_broker_text (self, cfg, NULL, "the default broker", ZTASK_DEFAULT_ENDPOINT);
    }
    const char *text = NULL;
    if (config_setting_type (item) == CONFIG_TYPE_STRING) {
        if (ztask_cfg_string (cfg, root, "broker", &text))
            return -1; /* "" */
        return s_broker_text (self, cfg, item, "broker", text);
    }
    if (!config_setting_is_array (item) && !config_setting_is_list (item))
        return ztask_cfg_fail (cfg, item, "'broker' must be an endpoint (a string) or a list of them: broker = "
                                          "[\"tcp://10.0.0.1:5570\", \"tcp://10.0.0.2:5570\"];");
    int count = config_setting_length (item);
    if (count < 1 || count > ZTASK_ENDPOINTS_MAX)
        return ztask_cfg_fail (cfg, item, "'broker' lists 1 to %d endpoints (this one %d)", ZTASK_ENDPOINTS_MAX,
                               count);
    ztask_endpoints_t *brokers = ztask_endpoints_new ();
    if (!brokers)
        return ztask_cfg_fail (cfg, item, "out of memory");
    for (int i = 0; i < count; i++) {
        config_setting_t *elem = config_setting_get_elem (item, (unsigned) i);
        char error[600];
        int rc = 0;
        if (!(text = config_setting_get_string (elem)))
            rc = ztask_cfg_fail (cfg, elem, "each endpoint in 'broker' must be a string");
        else if (ztask_endpoints_add (brokers, text, error, sizeof error))
            rc = ztask_cfg_fail (cfg, elem, "broker: %s", error);
        if (rc) {
            ztask_endpoints_destroy (&brokers);
            return rc;
        }
    }
    return s_brokers_keep (self, cfg, item, &brokers);
}

/* Reads the broker's public certificate file (relative to the config's
   directory) at `at` into *key (Z85, malloc'd). */
static int
s_broker_key (ztask_cfg_t *cfg, const config_setting_t *at, const char *file, char **key)
{
    char error[1024];
    char *path = s_resolve (cfg, file);
    zcert_t *cert = ztask_cert_load (path, false, error, sizeof error);
    free (path);
    if (!cert)
        return ztask_cfg_fail (cfg, at, "curve.broker: %s", error);
    *key = strdup (zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

/* curve.broker: one certificate file for every broker endpoint, or a list
   of them, one per endpoint in the same order. */
static int
s_broker_keys (worker_config_t *self, ztask_cfg_t *cfg, config_setting_t *curve)
{
    config_setting_t *item = config_setting_get_member (curve, "broker");
    if (config_setting_type (item) == CONFIG_TYPE_STRING) {
        const char *file = NULL;
        if (ztask_cfg_string (cfg, curve, "broker", &file)
            || s_broker_key (cfg, item, file, &self->curve_broker_keys[0]))
            return -1;
        for (size_t i = 1; i < self->broker_count; i++)
            self->curve_broker_keys[i] = strdup (self->curve_broker_keys[0]);
        return 0;
    }
    if (!config_setting_is_array (item) && !config_setting_is_list (item))
        return ztask_cfg_fail (cfg, item, "curve.broker must be a certificate file (a string), or a list of them, "
                                          "one per broker endpoint");
    size_t count = (size_t) config_setting_length (item);
    if (count != self->broker_count)
        return ztask_cfg_fail (cfg, item,
                               "curve.broker lists %zu certificate%s for %zu broker endpoint%s: give one per "
                               "endpoint, in the same order (or one file, as a string, for all)",
                               count, count == 1 ? "" : "s", self->broker_count, self->broker_count == 1 ? "" : "s");
    for (size_t i = 0; i < count; i++) {
        config_setting_t *elem = config_setting_get_elem (item, (unsigned) i);
        const char *file = config_setting_get_string (elem); /* NULL unless a string */
        if (!file || !*file)
            return ztask_cfg_fail (cfg, elem, "each certificate in curve.broker must be a file name (a string)");
        if (s_broker_key (cfg, elem, file, &self->curve_broker_keys[i]))
            return -1;
    }
    return 0;
}

/* curve = { secret = "worker-1.key_secret"; broker = "broker.key"; }:
   both or none; the files are read now. After s_brokers. */
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
    const char *secret = NULL;
    if (ztask_cfg_keys (cfg, curve, s_curve_keys) || ztask_cfg_string (cfg, curve, "secret", &secret))
        return -1;
    if (!secret || !config_setting_get_member (curve, "broker"))
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
    return s_broker_keys (self, cfg, curve);
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

void
worker_config_facts (worker_label_t *labels)
{
    char host[256] = "unknown";
    if (gethostname (host, sizeof host - 1) != 0 || !host[0])
        snprintf (host, sizeof host, "unknown");
    host[sizeof host - 1] = 0;
    struct utsname uts;
    char os[sizeof uts.sysname] = "unknown", arch[sizeof uts.machine] = "unknown";
    if (uname (&uts) == 0) {
        snprintf (os, sizeof os, "%s", uts.sysname);
        snprintf (arch, sizeof arch, "%s", uts.machine);
        for (char *c = os; *c; c++)
            *c = (char) tolower ((unsigned char) *c);
    }
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
    /* The CPUs we may run on: fewer than online when an affinity mask
       (taskset, a cgroup cpuset) leaves some out; what nproc prints. */
    cpu_set_t set;
    if (sched_getaffinity (0, sizeof set, &set) == 0 && CPU_COUNT (&set) > 0)
        cores = CPU_COUNT (&set);
#endif
    long pages = sysconf (_SC_PHYS_PAGES), page_size = sysconf (_SC_PAGE_SIZE);
    unsigned long long memory_mb = pages > 0 && page_size > 0
                                     ? (unsigned long long) pages * (unsigned long long) page_size / (1024 * 1024)
                                     : 0;
    const char *values[WORKER_FACTS] = { host, os, arch, NULL, NULL };
    for (int i = 0; i < WORKER_FACTS; i++) {
        labels[i].key = strdup (worker_fact_keys[i]);
        if (i == 3)
            labels[i].value = zsys_sprintf ("%ld", cores > 0 ? cores : 1);
        else if (i == 4)
            labels[i].value = zsys_sprintf ("%llu", memory_mb);
        else {
            /* Sendable whatever the system says: at most 255 bytes of
               printable ASCII (these are ASCII on every system we know). */
            labels[i].value = strndup (values[i], ZTASK_STRING_MAX);
            for (char *c = labels[i].value; c && *c; c++)
                if ((unsigned char) *c < 0x20 || (unsigned char) *c >= 0x7F)
                    *c = '?';
        }
        assert (labels[i].key && labels[i].value);
    }
}

/* labels = { zone = "eu-1"; gpu_model = "a100"; }: strings, after the facts. */
static int
s_labels (worker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *group = config_setting_get_member (root, "labels");
    if (!group)
        return 0;
    if (!config_setting_is_group (group))
        return ztask_cfg_fail (cfg, group, "'labels' must be a group of strings: labels = { zone = \"eu-1\"; "
                                           "gpu_model = \"a100\"; };");
    int count = config_setting_length (group);
    if (count > WORKER_LABELS_MAX)
        return ztask_cfg_fail (cfg, group, "'labels' sets %d labels; a worker sets at most %d (the facts host, "
                                           "os, arch, cores and memory_mb come on top)",
                               count, WORKER_LABELS_MAX);
    for (int i = 0; i < count; i++) {
        config_setting_t *item = config_setting_get_elem (group, (unsigned) i);
        const char *key = config_setting_name (item);
        char why[160];
        if (!ztask_label_key_valid (key, why, sizeof why))
            return ztask_cfg_fail (cfg, item, "invalid label key '%s': %s (a label key is a-z, then up to 62 "
                                              "of a-z, 0-9, '_', '.', '-')",
                                   key ? key : "", why);
        for (int f = 0; f < WORKER_FACTS; f++)
            if (streq (key, worker_fact_keys[f]))
                return ztask_cfg_fail (cfg, item, "label '%s' is reserved: the worker finds it itself and always "
                                                  "sends it (host, os, arch, cores, memory_mb), so a config "
                                                  "cannot set it",
                                       key);
        if (config_setting_type (item) != CONFIG_TYPE_STRING)
            return ztask_cfg_fail (cfg, item, "label '%s' must be a string in double quotes: %s = \"...\";", key,
                                   key);
        const char *value = config_setting_get_string (item);
        if (!ztask_name_valid (value, why, sizeof why))
            return ztask_cfg_fail (cfg, item, "invalid value of label '%s': %s", key, why);
        worker_label_t *label = &self->labels[self->label_count++];
        label->key = strdup (key);
        label->value = strdup (value);
    }
    return 0;
}

/* resources = { gpu = 2; memory_mb = 65536; }: whole numbers, 0 to 2^53. */
static int
s_resources (worker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *group = config_setting_get_member (root, "resources");
    if (!group)
        return 0;
    if (!config_setting_is_group (group))
        return ztask_cfg_fail (cfg, group, "'resources' must be a group of whole numbers: resources = { gpu = 2; "
                                           "memory_mb = 65536; };");
    int count = config_setting_length (group);
    if (count > WORKER_RESOURCES_MAX)
        return ztask_cfg_fail (cfg, group, "'resources' sets %d resources; a worker sets at most %d", count,
                               WORKER_RESOURCES_MAX);
    for (int i = 0; i < count; i++) {
        config_setting_t *item = config_setting_get_elem (group, (unsigned) i);
        const char *name = config_setting_name (item);
        char why[160];
        if (!ztask_label_key_valid (name, why, sizeof why))
            return ztask_cfg_fail (cfg, item, "invalid resource name '%s': %s (a resource name is a-z, then up "
                                              "to 62 of a-z, 0-9, '_', '.', '-')",
                                   name ? name : "", why);
        if (streq (name, "slots"))
            return ztask_cfg_fail (cfg, item, "resource 'slots' is reserved: it is the 'slots' setting (slots = "
                                              "N;), which every worker reports as a resource");
        int type = config_setting_type (item);
        if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
            return ztask_cfg_fail (cfg, item, "resource '%s' must be a whole number, 0 or more: %s = 2;", name,
                                   name);
        long long amount = config_setting_get_int64 (item);
        if (amount < 0)
            return ztask_cfg_fail (cfg, item, "resource '%s' is %lld; it must be 0 or more%s", name, amount,
                                   /* libconfig wraps a plain number past 2^31 - 1
                                      round: a large negative one likely was */
                                   type == CONFIG_TYPE_INT && amount < -1000000
                                       ? " (a number past 2147483647 needs an L suffix: 4294967296L)"
                                       : "");
        if ((unsigned long long) amount > WORKER_RESOURCE_AMOUNT_MAX)
            return ztask_cfg_fail (cfg, item, "resource '%s' is %lld; it must be at most %llu (2^53)", name, amount,
                                   WORKER_RESOURCE_AMOUNT_MAX);
        worker_resource_t *resource = &self->resources[self->resource_count++];
        resource->name = strdup (name);
        resource->amount = (uint64_t) amount;
    }
    return 0;
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
    self->log_level = ZTASK_LOG_LEVEL_INFO;
    if (ztask_cfg_log (cfg, root, &self->log_format, &self->log_level))
        return -1;
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
    if (!plugin_dir || !*plugin_dir)
        plugin_dir = ZTASK_PLUGIN_DIR;
    int rc = -1;
    if (s_brokers (self, cfg, root) || ztask_cfg_string (cfg, root, "name", &name)
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
    worker_config_facts (self->labels);
    self->label_count = WORKER_FACTS;
    if (s_labels (self, cfg, root) || s_resources (self, cfg, root))
        goto done;
    if (strlen (name) > 255) {
        ztask_cfg_fail (cfg, config_setting_get_member (root, "name"), "'name' is longer than 255 bytes");
        goto done;
    }
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
    for (size_t i = 0; i < self->broker_count; i++) {
        free (self->brokers[i]);
        free (self->curve_broker_keys[i]);
    }
    free (self->name);
    free (self->user);
    free (self->pid_file);
    zcert_destroy (&self->curve_cert);
    for (size_t i = 0; i < self->plugin_count; i++) {
        free (self->plugins[i].name);
        free (self->plugins[i].file);
        ztask_settings_destroy (&self->plugins[i].settings);
    }
    for (size_t i = 0; i < self->label_count; i++) {
        free (self->labels[i].key);
        free (self->labels[i].value);
    }
    for (size_t i = 0; i < self->resource_count; i++)
        free (self->resources[i].name);
    memset (self, 0, sizeof *self);
}
