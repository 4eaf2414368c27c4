/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_log - the daemons' log lines, as text or as JSON.

    Every line is "component: message" (STYLE.md). In text mode (the
    default) a line goes to czmq's zsys_info and friends exactly as before:
    stderr in the foreground, syslog when daemonised, or the log file. In
    JSON mode (log_format = "json") each line is one JSON object, written
    with one write(2) to the same place (with syslog, the object is the
    syslog message):

        {"time":"2026-12-03T07:01:02.123Z","level":"info","component":"broker",
         "event":"broker.log","msg":"listening on tcp://127.0.0.1:5555"}

    "component" is the message's "xxx:" prefix (taken out of "msg"); "event"
    is a short stable name: the one given to ztask_log_event or
    ztask_log_task, else the component's first word + ".log"
    ("broker.log", "worker.log", "plugin.log"). Task lines (ztask_log_task)
    add "task_id", "type", "worker" (null when none) and "attempt". Text
    that is not UTF-8 is written with '?' for each bad byte.

    Lines above the level set with ztask_log_set_level (log_level; default
    info) are dropped before anything is formatted: the macros below test
    the level first, so their arguments are not even evaluated. Thread-safe. */
#ifndef ZTASK_LOG_H_INCLUDED
#define ZTASK_LOG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    ZTASK_LOG_TEXT = 0, /* czmq's own lines, as always */
    ZTASK_LOG_JSON = 1  /* one JSON object a line      */
} ztask_log_format_t;

/* Most severe first: a level lets through itself and those above it. */
typedef enum {
    ZTASK_LOG_LEVEL_ERROR = 0,
    ZTASK_LOG_LEVEL_WARNING = 1,
    ZTASK_LOG_LEVEL_NOTICE = 2,
    ZTASK_LOG_LEVEL_INFO = 3,
    ZTASK_LOG_LEVEL_DEBUG = 4
} ztask_log_level_t;

/* ---- set-up, at start-up (before other threads log) ---- */
void ztask_log_set_format (ztask_log_format_t format);
ztask_log_format_t ztask_log_format (void);
/* The least severe level written (default ZTASK_LOG_LEVEL_INFO). */
void ztask_log_set_level (ztask_log_level_t level);
/* "text" / "json"; "error", "warning", "notice", "info", "debug". Return 0,
   or -1 for anything else (values left alone). */
int ztask_log_parse_format (const char *name, ztask_log_format_t *format);
int ztask_log_parse_level (const char *name, ztask_log_level_t *level);
/* Names for messages: "json", "debug". */
const char *ztask_log_level_name (ztask_log_level_t level);

/* Where JSON lines go (text lines follow czmq's own settings, which
   ztask_daemon and ztask_logfile set alongside): syslog when on, else fd
   (default 2, stderr). ztask_log_set_fd duplicates fd; calling it again
   replaces the duplicate atomically (dup2), so a log file reopened on
   SIGHUP never loses or tears a line. Returns 0, or -1 with errno set. */
void ztask_log_set_syslog (bool on);
int ztask_log_set_fd (int fd);

/* ---- writing ---- */
/* The current least severe level written; read without a lock (it is
   set at start-up). */
extern int ztask_log_threshold;
#define ztask_log_enabled(level) ((int) (level) <= __atomic_load_n (&ztask_log_threshold, __ATOMIC_RELAXED))

/* Writes one line at level; event NULL derives it from the component. */
void ztask_log_write (ztask_log_level_t level, const char *event, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
/* The same for a line about a task: task_id, type, worker (NULL or ""
   when none) and attempt go into the JSON object as fields; a text line
   is the message alone, as before. */
void ztask_log_task_write (ztask_log_level_t level, const char *event, uint64_t task_id, const char *type,
                           const char *worker, unsigned attempt, const char *format, ...)
    __attribute__ ((format (printf, 7, 8)));

/* The calls to use: "component: message" with printf arguments. */
#define ZTASK_LOG_AT_(level, event, ...)                                                                \
    do {                                                                                               \
        if (ztask_log_enabled (level))                                                                 \
            ztask_log_write ((level), (event), __VA_ARGS__);                                           \
    } while (0)
#define ztask_log_error(...) ZTASK_LOG_AT_ (ZTASK_LOG_LEVEL_ERROR, NULL, __VA_ARGS__)
#define ztask_log_warning(...) ZTASK_LOG_AT_ (ZTASK_LOG_LEVEL_WARNING, NULL, __VA_ARGS__)
#define ztask_log_notice(...) ZTASK_LOG_AT_ (ZTASK_LOG_LEVEL_NOTICE, NULL, __VA_ARGS__)
#define ztask_log_info(...) ZTASK_LOG_AT_ (ZTASK_LOG_LEVEL_INFO, NULL, __VA_ARGS__)
#define ztask_log_debug(...) ZTASK_LOG_AT_ (ZTASK_LOG_LEVEL_DEBUG, NULL, __VA_ARGS__)
/* A line with an explicit event name ("worker.registered"). */
#define ztask_log_event(level, event, ...) ZTASK_LOG_AT_ ((level), (event), __VA_ARGS__)
/* A task-lifecycle line ("task.failed"): see ztask_log_task_write. */
#define ztask_log_task(level, event, task_id, type, worker, attempt, ...)                               \
    do {                                                                                               \
        if (ztask_log_enabled (level))                                                                 \
            ztask_log_task_write ((level), (event), (task_id), (type), (worker), (attempt), __VA_ARGS__); \
    } while (0)

#endif
