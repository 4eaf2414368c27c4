/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask/plugin.h - the API a task-type plugin is written against.

    A plugin is a shared object that exports exactly one symbol, the
    descriptor `ztask_plugin`, filled by the ZTASK_PLUGIN macro:

        #include <ztask/plugin.h>

        static int
        s_run (ztask_ctx_t *ctx, void *state)
        {
            size_t size;
            const void *data = ztask_payload (ctx, &size);
            return ztask_set_result (ctx, data, size);
        }

        ZTASK_PLUGIN ("echo", "1.0.0", "returns its payload", NULL, s_run, NULL);

    Build it with:  cc -shared -fPIC $(pkg-config --cflags ztask) -o echo.so echo.c
    The plugin links nothing but libc: the host functions below are resolved
    from the worker process when it loads the plugin.

    The worker calls init once at start-up with the plugin's settings section,
    run once per task (from several threads at once when the worker has
    several slots: keep per-task data on the stack, not in globals), and fini
    once at shutdown. Only standard C headers are used here.
*/
#ifndef ZTASK_PLUGIN_H_INCLUDED
#define ZTASK_PLUGIN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version. The major changes when the descriptor or a host function
   changes incompatibly (the worker refuses the plugin); the minor when
   something is added (older plugins keep loading). */
#define ZTASK_ABI_MAJOR 1
#define ZTASK_ABI_MINOR 2 /* 1: ztask_retry_after; 2: ztask_parent_count, ztask_parent_result */
#define ZTASK_ABI_VERSION ((uint32_t) ((ZTASK_ABI_MAJOR << 16) | ZTASK_ABI_MINOR))

/* The one symbol the worker looks up in a plugin file. */
#define ZTASK_PLUGIN_SYMBOL "ztask_plugin"

/* What run returns. */
#define ZTASK_OK 0      /* done, result set (or empty)                    */
#define ZTASK_FAILED -1 /* failed, see ztask_set_error                    */

/* Log levels for ztask_log. */
#define ZTASK_LOG_ERROR 0
#define ZTASK_LOG_WARNING 1
#define ZTASK_LOG_INFO 2
#define ZTASK_LOG_DEBUG 3

typedef struct ztask_ctx ztask_ctx_t;           /* one task being run; opaque */
typedef struct ztask_settings ztask_settings_t; /* the plugin's settings; opaque */

typedef struct ztask_plugin {
    uint32_t abi_version;    /* ZTASK_ABI_VERSION the plugin was built against */
    uint32_t struct_size;    /* sizeof (ztask_plugin_t) as the plugin saw it  */
    const char *name;        /* task type it runs, e.g. "sha256"               */
    const char *version;     /* plugin's own version, e.g. "1.2.0"             */
    const char *description; /* one line for `ztask workers`; may be NULL      */
    /* Called once at worker start-up. Returns 0, or -1 after ztask_log-ing
       why (the worker then refuses to start). *state is passed to run and
       fini. May be NULL. */
    int (*init) (const ztask_settings_t *settings, void **state);
    /* Runs one task. Returns ZTASK_OK or ZTASK_FAILED. Required. */
    int (*run) (ztask_ctx_t *ctx, void *state);
    /* Called once at worker shutdown. May be NULL. */
    void (*fini) (void *state);
    void *reserved[8]; /* zero; room to grow without breaking the ABI */
} ztask_plugin_t;

#if defined(__GNUC__) || defined(__clang__)
#define ZTASK_EXPORT __attribute__ ((visibility ("default")))
#define ZTASK_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define ZTASK_EXPORT
#define ZTASK_PRINTF(f, a)
#endif

/* Defines the plugin's descriptor. Use once per plugin, at file scope. */
#define ZTASK_PLUGIN(NAME, VERSION, DESCRIPTION, INIT, RUN, FINI)                  \
    ZTASK_EXPORT extern const ztask_plugin_t ztask_plugin;                         \
    ZTASK_EXPORT const ztask_plugin_t ztask_plugin = {                             \
        ZTASK_ABI_VERSION, (uint32_t) sizeof (ztask_plugin_t), NAME, VERSION,      \
        DESCRIPTION, INIT, RUN, FINI, { 0 }}

/* ---- Host functions: valid only inside run (ctx) or init (settings). ---- */

/* The task's payload; *size gets its length. Never NULL (an empty payload
   is a zero-length buffer). The buffer stays valid until run returns. */
const void *ztask_payload (ztask_ctx_t *ctx, size_t *size);

/* Sets the result (copied). Returns 0, or -1 if it exceeds the worker's
   result size limit or memory runs out (the task then fails with that
   reason, whatever run returns). */
int ztask_set_result (ztask_ctx_t *ctx, const void *data, size_t size);

/* Sets the error text returned to the submitter when run returns
   ZTASK_FAILED. retry != 0 says another attempt could succeed (a transient
   failure); retry == 0 fails the task at once. */
void ztask_set_error (ztask_ctx_t *ctx, int retry, const char *format, ...) ZTASK_PRINTF (3, 4);

/* Fails this attempt as one to retry after ms milliseconds (instead of
   the task's retry policy's backoff), with the error text reason: a rate
   limit's Retry-After, a downstream service known to be back at a time.
   run must then return ZTASK_FAILED (the call sets what ztask_set_error
   (ctx, 1, ...) sets, and the wait). The broker caps the wait at 24 hours;
   ms 0 retries as soon as possible. The attempt still counts: when the
   task has used its attempts it fails. New in plugin ABI 1.1. */
void ztask_retry_after (ztask_ctx_t *ctx, uint64_t ms, const char *format, ...) ZTASK_PRINTF (3, 4);

/* Reports progress: done out of total (total 0: unknown) and a short text
   (may be NULL). Cheap: the worker forwards at most a few updates a second. */
void ztask_progress (ztask_ctx_t *ctx, uint64_t done, uint64_t total, const char *text);

/* Non-zero once the task has been cancelled or has timed out: a long run
   should check it and return ZTASK_FAILED soon after. */
int ztask_cancelled (ztask_ctx_t *ctx);

/* Dependencies (a task submitted with --after, docs/scheduling.md): how
   many parents the task has, and parent i's result (0 <= i < count, in
   the order they were given at submit); *size gets its length. NULL when
   i is out of range; a parent that left no result (it failed, with
   --after-any, or the store no longer holds it) gives a zero-length
   buffer. The buffers stay valid until run returns. ABI minor 2. */
size_t ztask_parent_count (ztask_ctx_t *ctx);
const void *ztask_parent_result (ztask_ctx_t *ctx, size_t i, size_t *size);

/* Task id and attempt number (1 for the first run). */
uint64_t ztask_task_id (ztask_ctx_t *ctx);
unsigned ztask_attempt (ztask_ctx_t *ctx);

/* Logs through the worker, prefixed with the plugin's name. */
void ztask_log (int level, const char *format, ...) ZTASK_PRINTF (2, 3);

/* A setting from the plugin's `settings` section in the worker config, as
   text (numbers and booleans are given in their config spelling), or NULL
   when absent. */
const char *ztask_setting (const ztask_settings_t *settings, const char *key);

/* A setting as an integer: returns 0 and sets *value (dflt when absent), or
   -1 when present but not an integer. */
int ztask_setting_int (const ztask_settings_t *settings, const char *key, long long dflt,
                       long long *value);

#ifdef __cplusplus
}
#endif

#endif
