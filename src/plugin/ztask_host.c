/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_host - the worker side of the plugin API. */
#include "ztask_host.h"
#include "common/ztask_retry.h"
#include "common/ztask_log.h"

#include <czmq.h>
#include <stdarg.h>

static __thread const char *s_current = NULL; /* plugin running on this thread */

struct ztask_settings {
    zhashx_t *values; /* key -> strdup'd text */
};

void
ztask_host_set_current (const char *plugin_name)
{
    s_current = plugin_name;
}

void
ztask_ctx_init (ztask_ctx_t *ctx, uint64_t task_id, unsigned attempt, const void *payload,
                size_t payload_size, size_t result_max)
{
    memset (ctx, 0, sizeof *ctx);
    ctx->task_id = task_id;
    ctx->attempt = attempt;
    ctx->payload = payload ? payload : "";
    ctx->payload_size = payload_size;
    ctx->result_max = result_max;
    atomic_init (&ctx->cancelled, 0);
}

void
ztask_ctx_set_parents (ztask_ctx_t *ctx, const uint32_t *sizes, size_t count)
{
    ctx->parent_sizes = sizes;
    ctx->parent_count = count;
}

size_t
ztask_parent_count (ztask_ctx_t *ctx)
{
    return ctx->parent_count;
}

const void *
ztask_parent_result (ztask_ctx_t *ctx, size_t i, size_t *size)
{
    if (i >= ctx->parent_count) {
        if (size)
            *size = 0;
        return NULL;
    }
    const char *at = (const char *) ctx->payload + ctx->payload_size;
    for (size_t j = 0; j < i; j++)
        at += ctx->parent_sizes[j];
    if (size)
        *size = ctx->parent_sizes[i];
    return at;
}

void
ztask_ctx_clear (ztask_ctx_t *ctx)
{
    free (ctx->result);
    ctx->result = NULL;
    ctx->result_size = 0;
}

const void *
ztask_payload (ztask_ctx_t *ctx, size_t *size)
{
    if (size)
        *size = ctx->payload_size;
    return ctx->payload;
}

int
ztask_set_result (ztask_ctx_t *ctx, const void *data, size_t size)
{
    if (size > ctx->result_max) {
        ctx->result_refused = "larger than the worker's max_result";
        return -1;
    }
    void *copy = malloc (size ? size : 1);
    if (!copy) {
        ctx->result_refused = "out of memory";
        return -1;
    }
    if (size)
        memcpy (copy, data, size);
    free (ctx->result);
    ctx->result = copy;
    ctx->result_size = size;
    ctx->result_refused = NULL;
    return 0;
}

void
ztask_set_error (ztask_ctx_t *ctx, int retry, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (ctx->error, sizeof ctx->error, format, args);
    va_end (args);
    ctx->retry = retry != 0;
    ctx->retry_after_ms = 0;
    ctx->error_set = true;
}

void
ztask_retry_after (ztask_ctx_t *ctx, uint64_t ms, const char *format, ...)
{
    ctx->error[0] = 0;
    if (format) {
        va_list args;
        va_start (args, format);
        vsnprintf (ctx->error, sizeof ctx->error, format, args);
        va_end (args);
    }
    ctx->retry = 1;
    ctx->error_set = true;
    /* 0 on the wire is "the policy's": a wait of 0 is sent as 1 ms */
    ctx->retry_after_ms = ms < 1 ? 1 : ms > ZTASK_RETRY_AFTER_MAX_MS ? ZTASK_RETRY_AFTER_MAX_MS : (uint32_t) ms;
}

void
ztask_progress (ztask_ctx_t *ctx, uint64_t done, uint64_t total, const char *text)
{
    if (ctx->progress_fn)
        ctx->progress_fn (ctx->progress_arg, done, total, text);
}

int
ztask_cancelled (ztask_ctx_t *ctx)
{
    return atomic_load (&ctx->cancelled);
}

uint64_t
ztask_task_id (ztask_ctx_t *ctx)
{
    return ctx->task_id;
}

unsigned
ztask_attempt (ztask_ctx_t *ctx)
{
    return ctx->attempt;
}

void
ztask_log (int level, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    const char *name = s_current ? s_current : "?";
    switch (level) {
    case ZTASK_LOG_ERROR: ztask_log_error ("plugin %s: %s", name, message); break;
    case ZTASK_LOG_WARNING: ztask_log_warning ("plugin %s: %s", name, message); break;
    case ZTASK_LOG_INFO: ztask_log_info ("plugin %s: %s", name, message); break;
    default: ztask_log_debug ("plugin %s: %s", name, message); break;
    }
}

/* ---- settings ---- */

static void
s_free_value (void **item)
{
    free (*item);
    *item = NULL;
}

ztask_settings_t *
ztask_settings_new (void)
{
    ztask_settings_t *self = (ztask_settings_t *) zmalloc (sizeof (ztask_settings_t));
    assert (self);
    self->values = zhashx_new ();
    assert (self->values);
    zhashx_set_destructor (self->values, s_free_value);
    return self;
}

void
ztask_settings_destroy (ztask_settings_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zhashx_destroy (&(*self_p)->values);
        free (*self_p);
        *self_p = NULL;
    }
}

void
ztask_settings_set (ztask_settings_t *self, const char *key, const char *value)
{
    char *copy = strdup (value);
    assert (copy);
    zhashx_update (self->values, key, copy);
}

const char *
ztask_setting (const ztask_settings_t *settings, const char *key)
{
    if (!settings || !key)
        return NULL;
    return (const char *) zhashx_lookup (settings->values, key);
}

int
ztask_setting_int (const ztask_settings_t *settings, const char *key, long long dflt,
                   long long *value)
{
    const char *text = ztask_setting (settings, key);
    if (!text) {
        *value = dflt;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll (text, &end, 10); /* "010" is ten, not eight */
    if (errno || end == text || *end)
        return -1;
    *value = v;
    return 0;
}
