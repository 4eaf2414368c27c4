/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_config - ztaskd's settings. */
#include "broker_config.h"
#include "common/ztask_cert.h"
#include "common/ztask_cron.h"
#include "common/ztask_names.h"
#include "common/ztask_require.h"
#include "common/ztask_retry.h"
#include "proto/ztask_msg.h"

#include <sys/stat.h>
#include "ztask/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_keys[] = { "log_format", "log_level",
                                      "endpoint", "store", "sync", "heartbeat_ms",
                                      "heartbeat_liveness", "max_attempts", "max_payload",
                                      "max_queued", "max_batch", "max_batch_bytes", "retention", "max_result", "user", "pid_file",
                                      "curve", "name", "advertise", "lease_ms", "http", "limits",
                                      "types", "schedules", NULL };
static const char *const s_curve_keys[] = { "secret", "allow", NULL };
static const char *const s_http_keys[] = { "listen", "token_file", "web_root", NULL };
static const char *const s_type_keys[] = { "require", "needs", "limit", "retry_backoff", "attempts", NULL };
static const char *const s_schedule_keys[] = { "name", "cron", "tz", "type", "priority", "payload", "catchup",
                                               "max_attempts", "timeout_ms", NULL };

static char *
s_strdup (const char *text)
{
    char *copy = strdup (text);
    if (!copy)
        abort ();
    return copy;
}

void
broker_config_init (broker_config_t *self)
{
    memset (self, 0, sizeof *self);
    self->endpoints[0] = s_strdup (ZTASK_DEFAULT_ENDPOINT);
    self->endpoint_count = 1;
    self->store = s_strdup ("ztask.db");
    self->sync = s_strdup ("normal");
    self->heartbeat_ms = 1000;
    self->heartbeat_liveness = 3;
    self->max_attempts = 3;
    self->max_payload = 1024 * 1024;
    self->max_queued = 10 * 1000 * 1000;
    self->max_batch = 100 * 1000;
    self->max_batch_bytes = 64 * 1024 * 1024;
    self->retention_s = 7 * 24 * 3600;
    self->max_result = 1024 * 1024;
    self->lease_ms = 3000;
    self->log_level = ZTASK_LOG_LEVEL_INFO;
}

void
broker_config_free (broker_config_t *self)
{
    for (size_t i = 0; i < self->endpoint_count; i++)
        free (self->endpoints[i]);
    free (self->store);
    free (self->sync);
    free (self->user);
    free (self->pid_file);
    free (self->curve_secret);
    free (self->curve_allow);
    free (self->name);
    free (self->advertise);
    free (self->http_listen);
    if (self->http_token)
        memset (self->http_token, 0, strlen (self->http_token));
    free (self->http_token);
    free (self->http_web_root);
    for (size_t i = 0; i < self->limit_count; i++)
        free (self->limits[i].name);
    free (self->limits);
    for (size_t i = 0; i < self->type_default_count; i++) {
        broker_type_defaults_t *d = &self->type_defaults[i];
        free (d->type);
        for (size_t r = 0; r < d->require_count; r++)
            free (d->require[r]);
        free (d->require);
        free (d->needs);
        free (d->limit);
    }
    free (self->type_defaults);
    for (size_t i = 0; i < self->schedule_count; i++) {
        broker_schedule_t *d = &self->schedules[i];
        free (d->name);
        free (d->cron);
        free (d->tz);
        free (d->type);
        free (d->payload);
    }
    free (self->schedules);
    memset (self, 0, sizeof *self);
}

static int
s_endpoints (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *item = config_setting_get_member (root, "endpoint");
    if (!item)
        return 0;
    const char *list[BROKER_ENDPOINTS_MAX];
    size_t count = 0;
    if (config_setting_type (item) == CONFIG_TYPE_STRING)
        list[count++] = config_setting_get_string (item);
    else if (config_setting_is_array (item) || config_setting_is_list (item)) {
        int length = config_setting_length (item);
        if (length < 1 || length > BROKER_ENDPOINTS_MAX)
            return ztask_cfg_fail (cfg, item, "'endpoint' needs 1 to %d endpoints",
                                   BROKER_ENDPOINTS_MAX);
        for (int i = 0; i < length; i++) {
            config_setting_t *elem = config_setting_get_elem (item, (unsigned) i);
            if (config_setting_type (elem) != CONFIG_TYPE_STRING)
                return ztask_cfg_fail (cfg, elem, "each endpoint must be a string");
            list[count++] = config_setting_get_string (elem);
        }
    }
    else
        return ztask_cfg_fail (cfg, item, "'endpoint' must be a string or a list of strings");
    for (size_t i = 0; i < count; i++)
        if (!strstr (list[i], "://"))
            return ztask_cfg_fail (cfg, item,
                                   "endpoint '%s' is not a ZeroMQ endpoint (e.g. \"tcp://0.0.0.0:5570\")",
                                   list[i]);
    for (size_t i = 0; i < self->endpoint_count; i++)
        free (self->endpoints[i]);
    for (size_t i = 0; i < count; i++)
        self->endpoints[i] = s_strdup (list[i]);
    self->endpoint_count = count;
    return 0;
}

/* An optional string setting, replacing *field. */
static int
s_optional_string (ztask_cfg_t *cfg, config_setting_t *group, const char *key, char **field)
{
    const char *value = NULL;
    if (ztask_cfg_string (cfg, group, key, &value))
        return -1;
    if (value) {
        free (*field);
        *field = s_strdup (value);
    }
    return 0;
}

/* name, advertise and lease_ms: what an active/standby pair needs. */
static int
s_leadership (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    if (s_optional_string (cfg, root, "name", &self->name)
        || s_optional_string (cfg, root, "advertise", &self->advertise))
        return -1;
    char why[128];
    if (self->name && !ztask_name_valid (self->name, why, sizeof why))
        return ztask_cfg_fail (cfg, config_setting_get_member (root, "name"), "invalid 'name': %s", why);
    if (self->advertise
        && (!ztask_name_valid (self->advertise, why, sizeof why) || !strstr (self->advertise, "://")
            || strchr (self->advertise, ',') || strchr (self->advertise, '*')))
        return ztask_cfg_fail (cfg, config_setting_get_member (root, "advertise"),
                               "'advertise' must be one endpoint that clients and workers can reach, "
                               "e.g. \"tcp://broker-1.example.com:5570\"");
    long long lease = self->lease_ms;
    if (ztask_cfg_int (cfg, root, "lease_ms", 500, 60000, &lease))
        return -1;
    self->lease_ms = (unsigned) lease;
    return 0;
}

/* curve = { secret = "broker.key_secret"; allow = "dir"; }: both or none. */
static int
s_curve (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *curve = config_setting_get_member (root, "curve");
    if (!curve)
        return 0;
    if (!config_setting_is_group (curve))
        return ztask_cfg_fail (cfg, curve, "'curve' must be a group: curve = { secret = \"...\"; allow = \"...\"; };");
    if (ztask_cfg_keys (cfg, curve, s_curve_keys) || s_optional_string (cfg, curve, "secret", &self->curve_secret)
        || s_optional_string (cfg, curve, "allow", &self->curve_allow))
        return -1;
    if (!self->curve_secret || !self->curve_allow)
        return ztask_cfg_fail (cfg, curve,
                               "'curve' needs both 'secret' (the broker's secret certificate) and 'allow' (the allow-list directory)");
    /* Checked now, while errors still reach the terminal. */
    char error[512];
    zcert_t *cert = ztask_cert_load (self->curve_secret, true, error, sizeof error);
    if (!cert)
        return ztask_cfg_fail (cfg, config_setting_get_member (curve, "secret"), "curve.secret: %s", error);
    zcert_destroy (&cert);
    struct stat st;
    if (stat (self->curve_allow, &st) != 0 || !S_ISDIR (st.st_mode))
        return ztask_cfg_fail (cfg, config_setting_get_member (curve, "allow"),
                               "curve.allow: %s is not a directory (it holds clients/ and workers/)",
                               self->curve_allow);
    return 0;
}

/* Reads the bearer token from file: a missing, empty, short or
   world-readable file is an error (the token guards the actions). */
static int
s_http_token (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *at, const char *file)
{
    struct stat st;
    FILE *handle = fopen (file, "r");
    if (!handle)
        return ztask_cfg_fail (cfg, at, "http.token_file: cannot read %s: %s", file, strerror (errno));
    if (fstat (fileno (handle), &st) != 0 || !S_ISREG (st.st_mode)) {
        fclose (handle);
        return ztask_cfg_fail (cfg, at, "http.token_file: %s is not a regular file", file);
    }
    if (st.st_mode & S_IROTH) {
        fclose (handle);
        return ztask_cfg_fail (cfg, at, "http.token_file: %s is readable by every user: chmod o-r it (e.g. 0600)",
                               file);
    }
    char token[BROKER_HTTP_TOKEN_MAX + 2];
    size_t size = fread (token, 1, sizeof token - 1, handle);
    fclose (handle);
    token[size] = 0;
    while (size && (token[size - 1] == '\n' || token[size - 1] == '\r' || token[size - 1] == ' '
                    || token[size - 1] == '\t'))
        token[--size] = 0;
    int rc = 0;
    if (size == 0)
        rc = ztask_cfg_fail (cfg, at, "http.token_file: %s is empty (put a random token of %d to %d"
                             " characters in it, e.g. 'openssl rand -hex 32')",
                             file, BROKER_HTTP_TOKEN_MIN, BROKER_HTTP_TOKEN_MAX);
    else if (size > BROKER_HTTP_TOKEN_MAX)
        rc = ztask_cfg_fail (cfg, at, "http.token_file: the token in %s is over %d characters", file,
                             BROKER_HTTP_TOKEN_MAX);
    else if (size < BROKER_HTTP_TOKEN_MIN)
        rc = ztask_cfg_fail (cfg, at, "http.token_file: the token in %s is shorter than %d characters", file,
                             BROKER_HTTP_TOKEN_MIN);
    else
        for (size_t i = 0; i < size && rc == 0; i++)
            if ((unsigned char) token[i] <= ' ' || (unsigned char) token[i] >= 127)
                rc = ztask_cfg_fail (cfg, at, "http.token_file: the token in %s must be printable ASCII"
                                     " without blanks", file);
    if (rc == 0) {
        free (self->http_token);
        self->http_token = s_strdup (token);
    }
    memset (token, 0, sizeof token);
    return rc;
}

/* http = { listen = "127.0.0.1:5580"; token_file = "..."; web_root = "..."; } */
static int
s_http (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *http = config_setting_get_member (root, "http");
    if (!http)
        return 0;
    if (!config_setting_is_group (http))
        return ztask_cfg_fail (cfg, http, "'http' must be a group: http = { listen = \"127.0.0.1:5580\"; };");
    const char *listen = "127.0.0.1:5580", *token_file = NULL;
    if (ztask_cfg_keys (cfg, http, s_http_keys) || ztask_cfg_string (cfg, http, "listen", &listen)
        || ztask_cfg_string (cfg, http, "token_file", &token_file)
        || s_optional_string (cfg, http, "web_root", &self->http_web_root))
        return -1;
    config_setting_t *at = config_setting_get_member (http, "listen");
    const char *colon = strrchr (listen, ':');
    char *end = NULL;
    long port = colon ? strtol (colon + 1, &end, 10) : -1;
    size_t host_size = colon ? (size_t) (colon - listen) : 0;
    if (!colon || !host_size || host_size > 255 || !colon[1] || *end || port < 0 || port > 65535
        || strspn (listen, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:[]") != strlen (listen))
        return ztask_cfg_fail (cfg, at ? at : http,
                               "http.listen must be HOST:PORT (PORT 0-65535, 0: any free port), e.g."
                               " \"127.0.0.1:5580\", not \"%s\"", listen);
    free (self->http_listen);
    self->http_listen = s_strdup (listen);
    if (token_file && s_http_token (self, cfg, config_setting_get_member (http, "token_file"), token_file))
        return -1;
    return 0;
}

const broker_type_defaults_t *
broker_config_type (const broker_config_t *self, const char *type)
{
    for (size_t i = 0; i < self->type_default_count; i++)
        if (strcmp (self->type_defaults[i].type, type) == 0)
            return &self->type_defaults[i];
    return NULL;
}

static bool
s_has_limit (const broker_config_t *self, const char *name)
{
    for (size_t i = 0; i < self->limit_count; i++)
        if (strcmp (self->limits[i].name, name) == 0)
            return true;
    return false;
}

/* limits = { render = 4; stripe-api = 2; } (libconfig names: a letter,
   then letters, digits, '-' and '_'; libconfig itself refuses a name set
   twice in a group). */
static int
s_limits (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *limits = config_setting_get_member (root, "limits");
    if (!limits)
        return 0;
    if (!config_setting_is_group (limits))
        return ztask_cfg_fail (cfg, limits, "'limits' must be a group: limits = { render = 4; stripe-api = 2; };");
    int count = config_setting_length (limits);
    if (count > BROKER_LIMITS_MAX)
        return ztask_cfg_fail (cfg, limits, "at most %d limits (%d given)", BROKER_LIMITS_MAX, count);
    self->limits = (broker_limit_t *) calloc ((size_t) count + 1, sizeof (broker_limit_t));
    if (!self->limits)
        abort ();
    for (int i = 0; i < count; i++) {
        config_setting_t *item = config_setting_get_elem (limits, (unsigned) i);
        const char *name = config_setting_name (item);
        if (config_setting_type (item) != CONFIG_TYPE_INT && config_setting_type (item) != CONFIG_TYPE_INT64)
            return ztask_cfg_fail (cfg, item, "limit %s must be a whole number of tasks, e.g. %s = 4;", name, name);
        long long max = config_setting_get_int64 (item);
        if (max < 1 || max > BROKER_LIMIT_MAX)
            return ztask_cfg_fail (cfg, item, "limit %s must be 1 to %d, not %lld", name, BROKER_LIMIT_MAX, max);
        if (strlen (name) > ZTASK_REQUIRE_KEY_MAX)
            return ztask_cfg_fail (cfg, item, "limit name %.64s... is longer than %d bytes", name,
                                   ZTASK_REQUIRE_KEY_MAX);
        self->limits[self->limit_count].name = s_strdup (name);
        self->limits[self->limit_count].max = (unsigned) max;
        self->limit_count++;
    }
    return 0;
}

/* types = { render = { require = ( "os=linux" ); needs = "gpu=1"; limit = "gpu"; }; } */
static int
s_type_defaults (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *types = config_setting_get_member (root, "types");
    if (!types)
        return 0;
    if (!config_setting_is_group (types))
        return ztask_cfg_fail (cfg, types, "'types' must be a group: types = { render = { needs = \"gpu=1\"; }; };");
    int count = config_setting_length (types);
    if (count > BROKER_TYPE_DEFAULTS_MAX)
        return ztask_cfg_fail (cfg, types, "at most %d types (%d given)", BROKER_TYPE_DEFAULTS_MAX, count);
    self->type_defaults = (broker_type_defaults_t *) calloc ((size_t) count + 1, sizeof (broker_type_defaults_t));
    if (!self->type_defaults)
        abort ();
    char message[256];
    for (int i = 0; i < count; i++) {
        config_setting_t *group = config_setting_get_elem (types, (unsigned) i);
        const char *type = config_setting_name (group);
        if (!config_setting_is_group (group))
            return ztask_cfg_fail (cfg, group, "types.%s must be a group: %s = { needs = \"gpu=1\"; };", type, type);
        if (ztask_cfg_keys (cfg, group, s_type_keys))
            return -1;
        broker_type_defaults_t *d = &self->type_defaults[self->type_default_count++];
        d->type = s_strdup (type);
        const char *needs = NULL, *limit = NULL;
        if (ztask_cfg_string (cfg, group, "needs", &needs) || ztask_cfg_string (cfg, group, "limit", &limit))
            return -1;
        if (needs) {
            ztask_resources_t resources;
            if (ztask_resources_parse (needs, &resources, message, sizeof message) == -1)
                return ztask_cfg_fail (cfg, config_setting_get_member (group, "needs"), "types.%s.needs '%s': %s",
                                       type, needs, message);
            for (size_t r = 0; r < resources.count; r++)
                if (strcmp (resources.items[r].name, "slots") == 0) /* as scheduler_sig refuses it */
                    return ztask_cfg_fail (cfg, config_setting_get_member (group, "needs"),
                                           "types.%s.needs '%s': every task takes one slot; slots cannot be asked for",
                                           type, needs);
            d->needs = s_strdup (needs);
        }
        if (limit) {
            if (!s_has_limit (self, limit))
                return ztask_cfg_fail (cfg, config_setting_get_member (group, "limit"),
                                       "types.%s.limit: no limit named '%s' in 'limits'", type, limit);
            d->limit = s_strdup (limit);
        }
        const char *backoff = NULL;
        long long attempts = 0;
        if (ztask_cfg_string (cfg, group, "retry_backoff", &backoff)
            || ztask_cfg_int (cfg, group, "attempts", 1, 1000, &attempts))
            return -1;
        if (backoff && ztask_retry_parse (backoff, &d->retry_min_ms, &d->retry_max_ms, message, sizeof message) != 0)
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "retry_backoff"),
                                   "types.%s.retry_backoff '%s': %s", type, backoff, message);
        d->attempts = (unsigned) attempts;
        config_setting_t *require = config_setting_get_member (group, "require");
        if (!require)
            continue;
        if (config_setting_type (require) == CONFIG_TYPE_STRING) {
            d->require = (char **) calloc (1, sizeof (char *));
            if (!d->require)
                abort ();
            d->require[d->require_count++] = s_strdup (config_setting_get_string (require));
        }
        else if (config_setting_is_list (require) || config_setting_is_array (require)) {
            int length = config_setting_length (require);
            if (length > ZTASK_REQUIRE_MAX)
                return ztask_cfg_fail (cfg, require, "types.%s.require: at most %d requirements (%d given)", type,
                                       ZTASK_REQUIRE_MAX, length);
            d->require = (char **) calloc ((size_t) length + 1, sizeof (char *));
            if (!d->require)
                abort ();
            for (int r = 0; r < length; r++) {
                config_setting_t *elem = config_setting_get_elem (require, (unsigned) r);
                if (config_setting_type (elem) != CONFIG_TYPE_STRING)
                    return ztask_cfg_fail (cfg, elem, "types.%s.require: each requirement is a string", type);
                d->require[d->require_count++] = s_strdup (config_setting_get_string (elem));
            }
        }
        else
            return ztask_cfg_fail (cfg, require, "types.%s.require must be a string or a list of strings", type);
        for (size_t r = 0; r < d->require_count; r++)
            if (ztask_require_canonical (d->require[r], NULL, 0, message, sizeof message) == -1)
                return ztask_cfg_fail (cfg, require, "types.%s.require '%s': %s", type, d->require[r], message);
    }
    return 0;
}

/* One string member of schedules[i]: required (else "" when absent). */
static int
s_schedule_string (ztask_cfg_t *cfg, config_setting_t *group, int i, const char *key, bool required, char **field)
{
    const char *value = NULL;
    if (ztask_cfg_string (cfg, group, key, &value))
        return -1;
    if (!value && required)
        return ztask_cfg_fail (cfg, group, "schedules[%d].%s is missing", i, key);
    *field = s_strdup (value ? value : "");
    return 0;
}

/* schedules = ( { name = "nightly"; cron = "0 3 * * *"; type = "report"; ... } ) */
static int
s_schedules (broker_config_t *self, ztask_cfg_t *cfg, config_setting_t *root)
{
    config_setting_t *list = config_setting_get_member (root, "schedules");
    if (!list)
        return 0;
    if (!config_setting_is_list (list))
        return ztask_cfg_fail (cfg, list, "'schedules' must be a list of groups: schedules = ( { name = \"nightly\";"
                                          " cron = \"0 3 * * *\"; type = \"report\"; } );");
    int count = config_setting_length (list);
    if (count > BROKER_SCHEDULES_MAX)
        return ztask_cfg_fail (cfg, list, "at most %d schedules (%d given)", BROKER_SCHEDULES_MAX, count);
    self->schedules = (broker_schedule_t *) calloc ((size_t) count + 1, sizeof (broker_schedule_t));
    if (!self->schedules)
        abort ();
    char message[512];
    for (int i = 0; i < count; i++) {
        config_setting_t *group = config_setting_get_elem (list, (unsigned) i);
        if (!config_setting_is_group (group))
            return ztask_cfg_fail (cfg, group, "schedules[%d] must be a group: { name = \"nightly\"; cron = \"0 3 * * *\";"
                                               " type = \"report\"; }", i);
        if (ztask_cfg_keys (cfg, group, s_schedule_keys))
            return -1;
        broker_schedule_t *s = &self->schedules[self->schedule_count++];
        if (s_schedule_string (cfg, group, i, "name", true, &s->name)
            || s_schedule_string (cfg, group, i, "cron", true, &s->cron)
            || s_schedule_string (cfg, group, i, "type", true, &s->type)
            || s_schedule_string (cfg, group, i, "tz", false, &s->tz)
            || s_schedule_string (cfg, group, i, "payload", false, &s->payload))
            return -1;
        if (ztask_schedule_name_check (s->name, message, sizeof message) != 0)
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "name"), "schedules[%d].name: %s", i,
                                   message);
        for (size_t j = 0; j + 1 < self->schedule_count; j++)
            if (strcmp (self->schedules[j].name, s->name) == 0)
                return ztask_cfg_fail (cfg, config_setting_get_member (group, "name"),
                                       "schedules[%d].name: '%s' is already schedules[%zu]'s name", i, s->name, j);
        ztask_cron_t cron;
        if (ztask_cron_parse (s->cron, &cron, message, sizeof message) != 0)
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "cron"), "schedules[%d].cron: %s", i,
                                   message);
        ztask_tz_t *tz = ztask_tz_load (s->tz, message, sizeof message);
        if (!tz)
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "tz"), "schedules[%d].tz: %s", i, message);
        ztask_tz_destroy (&tz);
        if (!ztask_name_valid (s->type, message, sizeof message))
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "type"), "schedules[%d].type: %s", i,
                                   message);
        const char *priority = NULL, *catchup = NULL;
        if (ztask_cfg_string (cfg, group, "priority", &priority) || ztask_cfg_string (cfg, group, "catchup", &catchup))
            return -1;
        int level = priority ? ztask_priority_parse (priority) : ZTASK_PRIORITY_NORMAL;
        if (level < 0)
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "priority"),
                                   "schedules[%d].priority: '%s' is not a priority (0-9, low, normal, high)", i,
                                   priority);
        s->priority = (unsigned) level;
        if (catchup && strcmp (catchup, "skip") && strcmp (catchup, "once"))
            return ztask_cfg_fail (cfg, config_setting_get_member (group, "catchup"),
                                   "schedules[%d].catchup must be \"skip\" or \"once\", not \"%s\"", i, catchup);
        s->catchup_once = catchup && strcmp (catchup, "once") == 0;
        long long attempts = 0, timeout = 0;
        if (ztask_cfg_int (cfg, group, "max_attempts", 0, 1000, &attempts)
            || ztask_cfg_int (cfg, group, "timeout_ms", 0, UINT32_MAX, &timeout))
            return -1;
        s->max_attempts = (unsigned) attempts;
        s->timeout_ms = (unsigned) timeout;
    }
    return 0;
}

int
broker_config_parse (broker_config_t *self, ztask_cfg_t *cfg)
{
    config_setting_t *root = config_root_setting (&cfg->cfg);
    if (ztask_cfg_keys (cfg, root, s_keys) || s_endpoints (self, cfg, root) || s_curve (self, cfg, root)
        || s_optional_string (cfg, root, "user", &self->user)
        || s_optional_string (cfg, root, "pid_file", &self->pid_file) || s_leadership (self, cfg, root)
        || s_http (self, cfg, root) || s_limits (self, cfg, root) || s_type_defaults (self, cfg, root)
        || s_schedules (self, cfg, root))
        return -1;
    const char *store = self->store, *sync = self->sync;
    if (ztask_cfg_string (cfg, root, "store", &store) || ztask_cfg_string (cfg, root, "sync", &sync))
        return -1;
    if (strcmp (sync, "full") && strcmp (sync, "normal") && strcmp (sync, "off"))
        return ztask_cfg_fail (cfg, config_setting_get_member (root, "sync"),
                               "'sync' must be \"full\", \"normal\" or \"off\", not \"%s\"", sync);
    long long heartbeat = self->heartbeat_ms, liveness = self->heartbeat_liveness,
              attempts = self->max_attempts, payload = (long long) self->max_payload,
              queued = (long long) self->max_queued, retention = self->retention_s,
              batch = (long long) self->max_batch, batch_bytes = (long long) self->max_batch_bytes,
              result = (long long) self->max_result;
    if (ztask_cfg_int (cfg, root, "heartbeat_ms", 50, 60000, &heartbeat)
        || ztask_cfg_int (cfg, root, "heartbeat_liveness", 2, 100, &liveness)
        || ztask_cfg_int (cfg, root, "max_attempts", 1, 1000, &attempts)
        || ztask_cfg_int (cfg, root, "max_payload", 0, 256LL * 1024 * 1024, &payload)
        || ztask_cfg_int (cfg, root, "max_queued", 1, 1000LL * 1000 * 1000, &queued)
        || ztask_cfg_int (cfg, root, "max_batch", 1, ZTASK_BATCH_MAX, &batch)
        || ztask_cfg_int (cfg, root, "max_batch_bytes", 1024 * 1024, 1024LL * 1024 * 1024, &batch_bytes)
        || ztask_cfg_int (cfg, root, "retention", 0, 3650LL * 24 * 3600, &retention)
        || ztask_cfg_int (cfg, root, "max_result", 0, 256LL * 1024 * 1024, &result))
        return -1;
    if (ztask_cfg_log (cfg, root, &self->log_format, &self->log_level))
        return -1;
    char *store_copy = s_strdup (store), *sync_copy = s_strdup (sync);
    free (self->store);
    free (self->sync);
    self->store = store_copy;
    self->sync = sync_copy;
    self->heartbeat_ms = (unsigned) heartbeat;
    self->heartbeat_liveness = (unsigned) liveness;
    self->max_attempts = (unsigned) attempts;
    self->max_payload = (size_t) payload;
    self->max_queued = (size_t) queued;
    self->max_batch = (size_t) batch;
    self->max_batch_bytes = (size_t) batch_bytes;
    self->retention_s = (unsigned) retention;
    self->max_result = (size_t) result;
    return 0;
}

int
broker_config_load (broker_config_t *self, const char *file, char *error, size_t error_size)
{
    broker_config_init (self);
    ztask_cfg_t cfg;
    int rc = ztask_cfg_load (&cfg, file);
    if (rc == 0)
        rc = broker_config_parse (self, &cfg);
    if (rc != 0)
        snprintf (error, error_size, "%s", cfg.error);
    ztask_cfg_free (&cfg);
    return rc;
}
