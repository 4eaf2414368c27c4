/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  fuzz_config - libFuzzer target for config reading: the input is the text
    of a config file (up to its first NUL), loaded with ztask_cfg_load_string
    and parsed once as broker.cfg (broker_config_parse) and once as
    worker.cfg (worker_config_parse), as ztaskd and ztask-worker would.

    Checked, besides what the sanitizers see: each call returns 0 or -1; a
    failure leaves an error that is NUL-terminated inside cfg->error, is not
    empty and starts with "NAME:" (the file name given); a success leaves
    settings within the documented ranges (docs/configuration.md). Everything
    is freed, so LeakSanitizer sees any leak on either path.

    worker_config_parse reads $ZTASK_PLUGIN_DIR and $ZTASK_BROKER: set or
    unset, both are fine.
*/
#include "common/ztask_cfg.h"
#include "broker/broker_config.h"
#include "worker/worker_config.h"
#include "worker/slot.h"
#include "ztask/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "conf/fuzz.cfg" /* relative, so plugin paths resolve against "conf" */

/* libconfig before 1.7.3 leaks a string token that a syntax error discards
   (hyperrealm/libconfig#142, fixed by #155): `a "x"` leaks the scanner's
   string buffer (strbuf_append), `a ""` the empty string the scanner
   callocs (libconfig_yylex). ztask never holds those buffers, so those two
   allocation sites are suppressed; the settings tree is allocated elsewhere
   (config_setting_create), so a config ztask forgot to free still shows. */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
    return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static void
s_fail (const char *what, const char *error)
{
    fprintf (stderr, "fuzz_config: %s\n  error: '%.1536s'\n", what, error ? error : "(none)");
    abort ();
}

/* rc is 0 or -1; -1 leaves a proper "NAME:..." message. */
static void
s_check_result (int rc, ztask_cfg_t *cfg, const char *what)
{
    if (rc != 0 && rc != -1)
        s_fail (what, NULL);
    if (!memchr (cfg->error, 0, sizeof cfg->error))
        s_fail ("error text is not NUL-terminated", NULL);
    if (rc == 0)
        return;
    if (strncmp (cfg->error, NAME ":", strlen (NAME ":")) != 0)
        s_fail ("error text does not start with the file name", cfg->error);
    if (strlen (cfg->error) == strlen (NAME ":"))
        s_fail ("error text says nothing after the file name", cfg->error);
}

static void
s_check_broker (const broker_config_t *b)
{
    if (b->endpoint_count < 1 || b->endpoint_count > BROKER_ENDPOINTS_MAX)
        s_fail ("broker: endpoint count out of range", NULL);
    for (size_t i = 0; i < b->endpoint_count; i++)
        if (!b->endpoints[i] || !strstr (b->endpoints[i], "://"))
            s_fail ("broker: endpoint is not an endpoint", b->endpoints[i]);
    if (!b->store || !*b->store)
        s_fail ("broker: empty store", NULL);
    if (!b->sync || (strcmp (b->sync, "full") && strcmp (b->sync, "normal") && strcmp (b->sync, "off")))
        s_fail ("broker: bad sync", b->sync);
    if (b->heartbeat_ms < 50 || b->heartbeat_ms > 60000 || b->heartbeat_liveness < 2
        || b->heartbeat_liveness > 100 || b->max_attempts < 1 || b->max_attempts > 1000
        || b->max_payload > 256u * 1024 * 1024 || b->max_queued < 1
        || b->max_queued > 1000u * 1000 * 1000 || b->retention_s > 3650u * 24 * 3600)
        s_fail ("broker: a number is out of range", NULL);
}

static void
s_check_worker (const worker_config_t *w)
{
    if (!w->broker_count || !w->brokers[0] || !*w->brokers[0] || !w->name || !*w->name || strlen (w->name) > 255)
        s_fail ("worker: broker or name missing", w->name);
    if (w->slots < 1 || w->slots > 1024)
        s_fail ("worker: slots out of range", NULL);
    if (w->priorities == 0 || w->priorities >= 1u << (ZTASK_PRIORITY_MAX + 1))
        s_fail ("worker: priorities out of range", NULL);
    if (w->max_result > 256u * 1024 * 1024 || w->drain_timeout_ms > 86400000)
        s_fail ("worker: a number is out of range", NULL);
    if (w->isolation != SLOT_THREAD && w->isolation != SLOT_PROCESS)
        s_fail ("worker: bad isolation", NULL);
    if (w->plugin_count < 1 || w->plugin_count > WORKER_PLUGINS_MAX)
        s_fail ("worker: plugin count out of range", NULL);
    for (size_t i = 0; i < w->plugin_count; i++) {
        const worker_plugin_config_t *p = &w->plugins[i];
        if (!p->name || !*p->name || strlen (p->name) > 255 || strchr (p->name, '/'))
            s_fail ("worker: bad plugin name", p->name);
        if (!p->file || !*p->file || !p->settings)
            s_fail ("worker: plugin without file or settings", p->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp (w->plugins[j].name, p->name) == 0)
                s_fail ("worker: plugin listed twice", p->name);
        /* What a plugin's init would ask for. */
        long long value;
        (void) ztask_setting (p->settings, "size");
        (void) ztask_setting_int (p->settings, "n", 0, &value);
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    if (!text)
        abort ();
    if (size)
        memcpy (text, data, size);
    text[size] = 0;

    ztask_cfg_t cfg;
    memset (cfg.error, 0xA5, sizeof cfg.error); /* catch an error left unterminated */
    int rc = ztask_cfg_load_string (&cfg, text, NAME);
    s_check_result (rc, &cfg, "ztask_cfg_load_string returned neither 0 nor -1");
    if (rc == 0) {
        broker_config_t broker;
        broker_config_init (&broker);
        s_check_broker (&broker); /* the defaults are valid too */
        cfg.error[0] = 0;
        rc = broker_config_parse (&broker, &cfg);
        s_check_result (rc, &cfg, "broker_config_parse returned neither 0 nor -1");
        if (rc == 0)
            s_check_broker (&broker);
        broker_config_free (&broker);

        worker_config_t worker;
        cfg.error[0] = 0;
        rc = worker_config_parse (&worker, &cfg);
        s_check_result (rc, &cfg, "worker_config_parse returned neither 0 nor -1");
        if (rc == 0)
            s_check_worker (&worker);
        worker_config_free (&worker);
    }
    ztask_cfg_free (&cfg);
    free (text);
    return 0;
}
