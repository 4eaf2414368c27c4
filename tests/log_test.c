/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  log_test - ztask_log: JSON lines parse and carry their fields, text that
    is not UTF-8 is scrubbed, text mode prints what zsys_ printed, a level
    that is off evaluates nothing, threads never tear a line; and the
    log_format / log_level config keys of both daemons. */
#include "tap.h"
#include "broker/broker_config.h"
#include "common/ztask_log.h"
#include "worker/worker_config.h"

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>

/* The JSON lines written since the last call, read from the file at fd. */
static char *
s_take (int fd)
{
    off_t size = lseek (fd, 0, SEEK_END);
    char *text = (char *) calloc (1, (size_t) size + 1);
    assert (text);
    if (size > 0 && pread (fd, text, (size_t) size, 0) != size)
        text[0] = 0;
    if (ftruncate (fd, 0) != 0)
        text[0] = 0;
    return text;
}

/* The one JSON object the next line holds; NULL (and a diagnostic) if it
   is not one. */
static json_t *
s_one_line (int fd)
{
    char *text = s_take (fd);
    size_t length = strlen (text);
    json_error_t error;
    json_t *line = NULL;
    if (length == 0 || text[length - 1] != '\n' || strchr (text, '\n') != text + length - 1)
        printf ("#   not one line: '%s'\n", text);
    else if (!(line = json_loads (text, 0, &error)) || !json_is_object (line)) {
        printf ("#   not a JSON object (%s): '%s'\n", error.text, text);
        json_decref (line);
        line = NULL;
    }
    free (text);
    return line;
}

static const char *
s_str (json_t *line, const char *key)
{
    return json_string_value (json_object_get (line, key));
}

static bool
s_time_ok (const char *text)
{
    /* 2026-12-03T07:01:02.123Z */
    if (!text || strlen (text) != 24)
        return false;
    for (int i = 0; i < 24; i++) {
        char expect = "dddd-dd-ddTdd:dd:dd.dddZ"[i];
        if (expect == 'd' ? !isdigit ((unsigned char) text[i]) : text[i] != expect)
            return false;
    }
    return true;
}

static int s_evaluated = 0;

static int
s_side_effect (void)
{
    return ++s_evaluated;
}

static void
s_test_json (int fd)
{
    ztask_log_set_format (ZTASK_LOG_JSON);
    ztask_log_set_level (ZTASK_LOG_LEVEL_INFO);

    ztask_log_info ("broker: listening on %s (%d)", "tcp://127.0.0.1:5570", 7);
    json_t *line = s_one_line (fd);
    TAP_OK (line != NULL, "an info line is one JSON object on one line");
    TAP_OK (s_time_ok (s_str (line, "time")), "  time is UTC with milliseconds (%s)", s_str (line, "time"));
    TAP_OK (streq (s_str (line, "level") ?: "", "info"), "  level info");
    TAP_OK (streq (s_str (line, "component") ?: "", "broker"), "  component is the prefix");
    TAP_OK (streq (s_str (line, "event") ?: "", "broker.log"), "  event derived: broker.log");
    TAP_OK (streq (s_str (line, "msg") ?: "", "listening on tcp://127.0.0.1:5570 (7)"), "  msg without the prefix");
    TAP_OK (!json_object_get (line, "task_id"), "  no task fields on a line not about a task");
    json_decref (line);

    ztask_log_error ("plugin wordcount: cannot open %s", "x");
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "level"), "error") && streq (s_str (line, "component"), "plugin wordcount")
                && streq (s_str (line, "event"), "plugin.log") && streq (s_str (line, "msg"), "cannot open x"),
            "an error line: component 'plugin wordcount', event plugin.log");
    json_decref (line);

    ztask_log_warning ("%d tasks: no prefix, really? %s", 100, "yes");
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "component"), "ztask") && streq (s_str (line, "event"), "ztask.log")
                && streq (s_str (line, "msg"), "100 tasks: no prefix, really? yes")
                && streq (s_str (line, "level"), "warning"),
            "a line with no 'component:' prefix: component ztask, msg whole");
    json_decref (line);

    ztask_log_event (ZTASK_LOG_LEVEL_NOTICE, "worker.registered", "worker: %s registered", "w-1");
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "event"), "worker.registered") && streq (s_str (line, "level"), "notice"),
            "ztask_log_event names the event");
    json_decref (line);

    ztask_log_task (ZTASK_LOG_LEVEL_WARNING, "task.failed", UINT64_C (9007199254740993), "wordcount", "w-1", 3,
                    "worker: task %" PRIu64 " failed: %s", UINT64_C (9007199254740993), "boom");
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "event"), "task.failed"), "a task line");
    TAP_OK (line && json_integer_value (json_object_get (line, "task_id")) == (json_int_t) 9007199254740993LL,
            "  task_id, exact beyond 2^53");
    TAP_OK (line && streq (s_str (line, "type") ?: "", "wordcount"), "  type");
    TAP_OK (line && streq (s_str (line, "worker") ?: "", "w-1"), "  worker");
    TAP_OK (line && json_integer_value (json_object_get (line, "attempt")) == 3, "  attempt");
    TAP_OK (line && streq (s_str (line, "msg") ?: "", "task 9007199254740993 failed: boom"), "  msg");
    json_decref (line);

    ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.cancelled", 5, "echo", "", 0, "broker: task 5 cancelled");
    line = s_one_line (fd);
    TAP_OK (line && json_is_null (json_object_get (line, "worker")) && json_object_get (line, "attempt"),
            "a task line with no worker: worker null");
    json_decref (line);

    /* Not UTF-8: a Latin-1 byte, a stray continuation, a cut sequence. */
    ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.done", 6, "ty\xffpe", "w\xc3", 1, "worker: caf\xe9 \x80 ok \xe2\x82");
    line = s_one_line (fd);
    TAP_OK (line != NULL, "text that is not UTF-8 still makes a JSON line");
    TAP_OK (line && streq (s_str (line, "msg") ?: "", "caf? ? ok ??"), "  msg scrubbed to '?' (%s)",
            line ? s_str (line, "msg") : "-");
    TAP_OK (line && streq (s_str (line, "type") ?: "", "ty?pe") && streq (s_str (line, "worker") ?: "", "w?"),
            "  type and worker scrubbed");
    json_decref (line);

    ztask_log_info ("worker: ok \xe2\x82\xac, controls \x01\t and \"quotes\"");
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "msg"), "ok \xe2\x82\xac, controls \x01\t and \"quotes\""),
            "valid UTF-8, controls and quotes come back as they were");
    json_decref (line);

    /* Long text: one line, cut with "...". */
    char long_text[10000];
    memset (long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    ztask_log_info ("broker: %s", long_text);
    line = s_one_line (fd);
    const char *msg = line ? s_str (line, "msg") : NULL;
    TAP_OK (msg && strlen (msg) < 2100 && strlen (msg) > 1000 && streq (msg + strlen (msg) - 3, "..."),
            "a 10,000-byte message: one line, cut and marked");
    json_decref (line);

    /* Levels: off means not even evaluated. */
    s_evaluated = 0;
    ztask_log_debug ("broker: %d", s_side_effect ());
    ztask_log_task (ZTASK_LOG_LEVEL_DEBUG, "task.started", 1, "t", "w", 1, "broker: %d", s_side_effect ());
    char *text = s_take (fd);
    TAP_OK (*text == 0 && s_evaluated == 0, "log_level info: debug lines write nothing and evaluate nothing");
    free (text);
    ztask_log_set_level (ZTASK_LOG_LEVEL_DEBUG);
    ztask_log_debug ("broker: %d", s_side_effect ());
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "level"), "debug") && s_evaluated == 1, "log_level debug: they are written");
    json_decref (line);
    ztask_log_set_level (ZTASK_LOG_LEVEL_WARNING);
    ztask_log_info ("broker: no");
    ztask_log_warning ("broker: yes");
    line = s_one_line (fd);
    TAP_OK (line && streq (s_str (line, "msg"), "yes"), "log_level warning: info dropped, warning written");
    json_decref (line);
    ztask_log_set_level (ZTASK_LOG_LEVEL_INFO);
}

/* ---- threads: lines of several sizes from several threads, to a pipe ---- */

#define THREADS 6
#define LINES 1500

typedef struct {
    int fd;
    char *data;
    size_t size;
} reader_t;

static void *
s_reader (void *arg)
{
    reader_t *r = (reader_t *) arg;
    size_t capacity = 1 << 20;
    r->data = (char *) malloc (capacity);
    char buffer[65536];
    ssize_t n;
    while ((n = read (r->fd, buffer, sizeof buffer)) > 0) {
        if (r->size + (size_t) n + 1 > capacity) {
            capacity *= 2;
            r->data = (char *) realloc (r->data, capacity);
        }
        memcpy (r->data + r->size, buffer, (size_t) n);
        r->size += (size_t) n;
    }
    r->data[r->size] = 0;
    return NULL;
}

static void *
s_writer (void *arg)
{
    int id = (int) (intptr_t) arg;
    char filler[7000];
    for (int i = 0; i < LINES; i++) {
        /* Sizes around PIPE_BUF (4096), where a pipe stops writing atomically. */
        size_t size = (size_t) ((i * 997 + id * 131) % 6000);
        memset (filler, 'a' + id, size);
        filler[size] = 0;
        if (i % 2)
            ztask_log_task (ZTASK_LOG_LEVEL_INFO, "task.done", (uint64_t) i, "t", "w", (unsigned) id,
                            "worker: thread %d line %d %s", id, i, filler);
        else
            ztask_log_info ("worker: thread %d line %d %s", id, i, filler);
    }
    return NULL;
}

static void
s_test_threads (void)
{
    int pipe_fds[2];
    assert (pipe (pipe_fds) == 0);
    assert (ztask_log_set_fd (pipe_fds[1]) == 0);
    close (pipe_fds[1]); /* our copy stays open in ztask_log */
    reader_t reader = { pipe_fds[0], NULL, 0 };
    pthread_t read_thread, threads[THREADS];
    pthread_create (&read_thread, NULL, s_reader, &reader);
    for (int i = 0; i < THREADS; i++)
        pthread_create (&threads[i], NULL, s_writer, (void *) (intptr_t) i);
    for (int i = 0; i < THREADS; i++)
        pthread_join (threads[i], NULL);
    /* Point ztask_log elsewhere: the pipe's last writer closes, the reader ends. */
    int devnull = open ("/dev/null", O_WRONLY);
    assert (ztask_log_set_fd (devnull) == 0);
    close (devnull);
    pthread_join (read_thread, NULL);
    close (pipe_fds[0]);

    int lines = 0, bad = 0, seen[THREADS] = { 0 };
    char *save = NULL;
    for (char *text = strtok_r (reader.data, "\n", &save); text; text = strtok_r (NULL, "\n", &save)) {
        lines++;
        json_t *line = json_loads (text, 0, NULL);
        int thread = -1, number = -1;
        const char *msg = line ? s_str (line, "msg") : NULL;
        if (!msg || sscanf (msg, "thread %d line %d", &thread, &number) != 2 || thread < 0 || thread >= THREADS) {
            if (bad++ < 3)
                printf ("#   torn line: %.120s\n", text);
        }
        else if (number != seen[thread]++) {
            if (bad++ < 3)
                printf ("#   thread %d: line %d where %d was due\n", thread, number, seen[thread] - 1);
        }
        json_decref (line);
    }
    free (reader.data);
    TAP_OK (lines == THREADS * LINES && bad == 0,
            "%d threads x %d lines of 0-6000 bytes to a pipe: %d lines, each whole and in order (%d bad)", THREADS,
            LINES, lines, bad);
}

/* ---- text mode: what zsys_ printed, and nothing else ---- */
static void
s_test_text (void)
{
    ztask_log_set_format (ZTASK_LOG_TEXT);
    FILE *file = tmpfile ();
    assert (file);
    zsys_set_logstream (file);
    zsys_info ("broker: worker %s registered: %d plugins", "w-1", 2);
    ztask_log_info ("broker: worker %s registered: %d plugins", "w-1", 2);
    zsys_error ("worker: caf\xe9");
    ztask_log_error ("worker: caf\xe9");
    ztask_log_debug ("worker: off");
    ztask_log_task (ZTASK_LOG_LEVEL_WARNING, "task.failed", 4, "t", "w", 2, "worker: task %d failed", 4);
    ztask_log_warning ("broker: task 5 failed: %s", "\x1b[2Jgone\r\nI: forged line");
    zsys_set_logstream (stderr);
    rewind (file);
    char lines[6][512] = { { 0 } };
    int count = 0;
    while (count < 6 && fgets (lines[count], sizeof lines[count], file))
        count++;
    fclose (file);
    /* "I: 26-12-03 07:01:02 text": the same but for the time. */
    for (int i = 0; i < count; i++)
        if (strlen (lines[i]) > 21)
            memset (lines[i] + 3, '-', 17);
    TAP_OK (count == 6, "text mode: 6 lines (the debug one is off)");
    TAP_OK (streq (lines[0], lines[1]), "  ztask_log_info prints what zsys_info printed: %.*s", (int) strcspn (lines[1], "\n"), lines[1]);
    TAP_OK (streq (lines[2], lines[3]), "  ztask_log_error, bytes as they were, likewise");
    TAP_OK (strncmp (lines[4], "W: ", 3) == 0 && strstr (lines[4], " worker: task 4 failed\n"),
            "  a task line is its message alone");
    TAP_OK (strstr (lines[5], " broker: task 5 failed: ?[2Jgone??I: forged line\n") != NULL,
            "  control characters from the wire become '?': one line, no escape sequence");
}

/* ---- the config keys ---- */
static void
s_test_config (void)
{
    ztask_cfg_t cfg;
    broker_config_t broker;
    broker_config_init (&broker);
    TAP_OK (broker.log_format == ZTASK_LOG_TEXT && broker.log_level == ZTASK_LOG_LEVEL_INFO,
            "broker: text and info by default");
    TAP_OK (ztask_cfg_load_string (&cfg, "log_format = \"json\";\nlog_level = \"debug\";\n", "broker.cfg") == 0
                && broker_config_parse (&broker, &cfg) == 0 && broker.log_format == ZTASK_LOG_JSON
                && broker.log_level == ZTASK_LOG_LEVEL_DEBUG,
            "broker: log_format = \"json\", log_level = \"debug\"");
    ztask_cfg_free (&cfg);
    broker_config_free (&broker);
    broker_config_init (&broker);
    TAP_OK (ztask_cfg_load_string (&cfg, "store = \"x.db\";\nlog_format = \"xml\";\n", "broker.cfg") == 0
                && broker_config_parse (&broker, &cfg) == -1,
            "broker: log_format = \"xml\" is refused");
    TAP_CONTAINS (cfg.error, "broker.cfg:2: 'log_format' must be \"text\" or \"json\", not \"xml\"",
                  "  with file:line");
    ztask_cfg_free (&cfg);
    broker_config_free (&broker);
    broker_config_init (&broker);
    TAP_OK (ztask_cfg_load_string (&cfg, "log_level = 3;\n", "broker.cfg") == 0
                && broker_config_parse (&broker, &cfg) == -1,
            "broker: log_level = 3 is refused");
    TAP_CONTAINS (cfg.error, "broker.cfg:1: 'log_level' must be a string", "  with file:line");
    ztask_cfg_free (&cfg);
    broker_config_free (&broker);

    worker_config_t worker;
    const char *plugins = "plugins = ( { name = \"echo\"; } );\n";
    char text[512];
    snprintf (text, sizeof text, "%slog_format = \"json\";\nlog_level = \"warning\";\n", plugins);
    TAP_OK (ztask_cfg_load_string (&cfg, text, "worker.cfg") == 0 && worker_config_parse (&worker, &cfg) == 0
                && worker.log_format == ZTASK_LOG_JSON && worker.log_level == ZTASK_LOG_LEVEL_WARNING,
            "worker: log_format = \"json\", log_level = \"warning\"");
    ztask_cfg_free (&cfg);
    worker_config_free (&worker);
    TAP_OK (ztask_cfg_load_string (&cfg, plugins, "worker.cfg") == 0 && worker_config_parse (&worker, &cfg) == 0
                && worker.log_format == ZTASK_LOG_TEXT && worker.log_level == ZTASK_LOG_LEVEL_INFO,
            "worker: text and info by default");
    ztask_cfg_free (&cfg);
    worker_config_free (&worker);
    snprintf (text, sizeof text, "%s\nlog_level = \"verbose\";\n", plugins);
    TAP_OK (ztask_cfg_load_string (&cfg, text, "worker.cfg") == 0 && worker_config_parse (&worker, &cfg) == -1,
            "worker: log_level = \"verbose\" is refused");
    TAP_CONTAINS (cfg.error, "worker.cfg:3: 'log_level' must be \"error\", \"warning\", \"notice\", \"info\" or "
                             "\"debug\", not \"verbose\"",
                  "  with file:line");
    ztask_cfg_free (&cfg);
    worker_config_free (&worker);
}

int
main (void)
{
    char path[] = "/tmp/ztask-log-test.XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    unlink (path);
    fcntl (fd, F_SETFL, O_APPEND); /* written after each truncation from 0 on */
    TAP_OK (ztask_log_set_fd (fd) == 0, "JSON lines go to a file");
    s_test_json (fd);
    close (fd);
    s_test_threads ();
    s_test_text ();
    s_test_config ();
    ztask_log_set_format (ZTASK_LOG_TEXT);
    return tap_done ();
}
