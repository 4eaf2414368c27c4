/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_log - text or JSON log lines. See ztask_log.h. */
#include <config.h>

#include "ztask_log.h"
#include "ztask_utf8.h"

#include <czmq.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <syslog.h>

int ztask_log_threshold = ZTASK_LOG_LEVEL_INFO;

static ztask_log_format_t s_format = ZTASK_LOG_TEXT;
static bool s_syslog = false;                              /* JSON lines to syslog      */
static int s_fd = -1;                                      /* our copy of the file, or -1: stderr */
static pthread_mutex_t s_write_lock = PTHREAD_MUTEX_INITIALIZER; /* one line at a time */

/* The longest message text kept in a JSON line (czmq cuts text lines
   at 1023 bytes); longer ones end in "...". */
#define MSG_MAX 2048
/* The longest component prefix recognised ("broker", "plugin wordcount"). */
#define COMPONENT_MAX 40

static const char *s_level_names[] = { "error", "warning", "notice", "info", "debug" };

void
ztask_log_set_format (ztask_log_format_t format)
{
    s_format = format;
}

ztask_log_format_t
ztask_log_format (void)
{
    return s_format;
}

void
ztask_log_set_level (ztask_log_level_t level)
{
    __atomic_store_n (&ztask_log_threshold, (int) level, __ATOMIC_RELAXED);
}

int
ztask_log_parse_format (const char *name, ztask_log_format_t *format)
{
    if (name && streq (name, "text"))
        *format = ZTASK_LOG_TEXT;
    else if (name && streq (name, "json"))
        *format = ZTASK_LOG_JSON;
    else
        return -1;
    return 0;
}

int
ztask_log_parse_level (const char *name, ztask_log_level_t *level)
{
    for (int i = 0; name && i <= ZTASK_LOG_LEVEL_DEBUG; i++)
        if (streq (name, s_level_names[i])) {
            *level = (ztask_log_level_t) i;
            return 0;
        }
    return -1;
}

const char *
ztask_log_level_name (ztask_log_level_t level)
{
    return level >= ZTASK_LOG_LEVEL_ERROR && level <= ZTASK_LOG_LEVEL_DEBUG ? s_level_names[level] : "?";
}

void
ztask_log_set_syslog (bool on)
{
    s_syslog = on;
}

int
ztask_log_set_fd (int fd)
{
    pthread_mutex_lock (&s_write_lock);
    int rc = 0;
    if (s_fd < 0) {
        int copy = fcntl (fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
            rc = -1;
        else
            s_fd = copy;
    }
    else if (fd != s_fd && dup3 (fd, s_fd, O_CLOEXEC) < 0)
        rc = -1;
    pthread_mutex_unlock (&s_write_lock);
    return rc;
}

/* Formats into stack (size bytes) or, when it does not fit, into a heap
   buffer the caller frees (returned != stack). NULL without memory. */
static char *
s_vformat (char *stack, size_t size, const char *format, va_list args)
{
    va_list again;
    va_copy (again, args);
    int length = vsnprintf (stack, size, format, args);
    char *text = stack;
    if (length < 0)
        *stack = 0;
    else if ((size_t) length >= size) {
        text = (char *) malloc ((size_t) length + 1);
        if (text)
            vsnprintf (text, (size_t) length + 1, format, again);
    }
    va_end (again);
    return text;
}

/* Copies text into out (size bytes, > 4) as well-formed UTF-8: a byte that
   does not start a well-formed sequence becomes '?'; text too long ends
   in "...". Returns out. */
static char *
s_scrub (const char *text, char *out, size_t size)
{
    size_t length = strlen (text), from = 0, to = 0;
    while (from < length) {
        uint32_t cp;
        size_t step = ztask_utf8_next (text + from, length - from, &cp);
        size_t need = step ? step : 1;
        if (to + need > size - 4) {
            memcpy (out + to, "...", 3);
            to += 3;
            break;
        }
        if (step)
            memcpy (out + to, text + from, step);
        else
            out[to] = '?';
        to += need;
        from += need;
    }
    out[to] = 0;
    return out;
}

/* Sets key to a scrubbed copy of text (null when text is NULL). */
static void
s_set_string (json_t *object, const char *key, const char *text)
{
    if (!text) {
        json_object_set_new (object, key, json_null ());
        return;
    }
    char stack[256];
    size_t size = strlen (text) + 4 < sizeof stack ? sizeof stack : strlen (text) + 4;
    if (size > MSG_MAX)
        size = MSG_MAX;
    char *out = size <= sizeof stack ? stack : (char *) malloc (size);
    if (!out)
        return;
    json_object_set_new (object, key, json_string (s_scrub (text, out, size)));
    if (out != stack)
        free (out);
}

/* The length of message's "component: " prefix's component, or 0 when it
   has none: a letter, then letters, digits, '_', '-', '.' or spaces, then
   ": " (or ':' ending the text), within COMPONENT_MAX bytes. */
static size_t
s_component_length (const char *message)
{
    if (!isalpha ((unsigned char) message[0]))
        return 0;
    for (size_t i = 1; i <= COMPONENT_MAX && message[i]; i++) {
        unsigned char c = (unsigned char) message[i];
        if (c == ':')
            return message[i + 1] == ' ' || message[i + 1] == 0 ? i : 0;
        if (!isalnum (c) && c != '_' && c != '-' && c != '.' && c != ' ')
            return 0;
    }
    return 0;
}

/* Writes line (length bytes, ending in '\n') whole, or as much as the fd
   takes; under the lock so threads never interleave. */
static void
s_write_line (int level, char *line, size_t length)
{
    if (s_syslog) {
        static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
        line[length - 1] = 0;
        syslog (priorities[level], "%s", line);
        line[length - 1] = '\n';
        return;
    }
    pthread_mutex_lock (&s_write_lock);
    int fd = s_fd >= 0 ? s_fd : STDERR_FILENO;
    size_t done = 0;
    while (done < length) {
        ssize_t rc = write (fd, line + done, length - done);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break; /* nowhere to log that logging failed */
        done += (size_t) rc;
    }
    pthread_mutex_unlock (&s_write_lock);
}

static void
s_write_json (ztask_log_level_t level, const char *event, const char *message, bool is_task, uint64_t task_id,
              const char *type, const char *worker, unsigned attempt)
{
    json_t *object = json_object ();
    if (!object)
        return;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char time_text[40];
    size_t at = strftime (time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (time_text + at, sizeof time_text - at, ".%03dZ", (int) (now.tv_nsec / 1000000));
    json_object_set_new (object, "time", json_string (time_text));
    json_object_set_new (object, "level", json_string (s_level_names[level]));

    char component[COMPONENT_MAX + 1] = "ztask";
    size_t component_length = s_component_length (message);
    if (component_length) {
        memcpy (component, message, component_length);
        component[component_length] = 0;
        message += component_length + 1;
        if (*message == ' ')
            message++;
    }
    json_object_set_new (object, "component", json_string (component));
    char derived[COMPONENT_MAX + 8];
    if (!event) {
        snprintf (derived, sizeof derived, "%.*s.log", (int) strcspn (component, " "), component);
        event = derived;
    }
    s_set_string (object, "event", event);
    s_set_string (object, "msg", message);
    if (is_task) {
        json_object_set_new (object, "task_id", json_integer ((json_int_t) task_id));
        s_set_string (object, "type", type);
        s_set_string (object, "worker", worker && *worker ? worker : NULL);
        json_object_set_new (object, "attempt", json_integer (attempt));
    }

    char stack[4096];
    size_t length = json_dumpb (object, stack, sizeof stack - 1, JSON_COMPACT);
    char *line = stack;
    if (length > sizeof stack - 1) {
        line = (char *) malloc (length + 1);
        if (line)
            length = json_dumpb (object, line, length, JSON_COMPACT);
    }
    json_decref (object);
    if (line && length > 0) {
        line[length++] = '\n';
        s_write_line (level, line, length);
    }
    if (line != stack)
        free (line);
}

static void
s_write_text (ztask_log_level_t level, char *message)
{
    /* Text from the wire (a plugin's error, a worker's name) must not
       drive the terminal or split the line: control characters become '?'. */
    for (char *c = message; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7F)
            *c = '?';
    switch (level) {
    case ZTASK_LOG_LEVEL_ERROR: zsys_error ("%s", message); break;
    case ZTASK_LOG_LEVEL_WARNING: zsys_warning ("%s", message); break;
    case ZTASK_LOG_LEVEL_NOTICE: zsys_notice ("%s", message); break;
    case ZTASK_LOG_LEVEL_INFO: zsys_info ("%s", message); break;
    default: zsys_debug ("%s", message); break;
    }
}

static void
s_vwrite (ztask_log_level_t level, const char *event, bool is_task, uint64_t task_id, const char *type,
          const char *worker, unsigned attempt, const char *format, va_list args)
{
    if (level < ZTASK_LOG_LEVEL_ERROR || level > ZTASK_LOG_LEVEL_DEBUG)
        level = ZTASK_LOG_LEVEL_DEBUG;
    char stack[1024];
    char *message = s_vformat (stack, sizeof stack, format, args);
    if (!message)
        return;
    if (s_format == ZTASK_LOG_JSON)
        s_write_json (level, event, message, is_task, task_id, type, worker, attempt);
    else
        s_write_text (level, message);
    if (message != stack)
        free (message);
}

void
ztask_log_write (ztask_log_level_t level, const char *event, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_vwrite (level, event, false, 0, NULL, NULL, 0, format, args);
    va_end (args);
}

void
ztask_log_task_write (ztask_log_level_t level, const char *event, uint64_t task_id, const char *type,
                      const char *worker, unsigned attempt, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_vwrite (level, event, true, task_id, type, worker, attempt, format, args);
    va_end (args);
}
