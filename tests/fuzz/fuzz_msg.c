/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  fuzz_msg - libFuzzer target for the wire codec (src/proto/ztask_msg.c).

    The input is cut into 0-3 frames:

        input  = count *(length frame) frame    ; count % 4 frames in all
        count  = 1OCTET
        length = 2OCTET                         ; big-endian, all frames but the last

    A length past the end of the input is cut to what is left; the last
    frame gets the rest. The frames are decoded once as a DEALER would
    (routing false) and once as the broker's ROUTER would (routing true, the
    first frame is the peer's identity). Every message that decodes is
    encoded again and decoded again: both decodes must agree field by field,
    and, because the grammar has exactly one encoding per message, the
    encoded frames must be the input frames byte for byte. Any difference
    aborts.

    A BATCH that decodes has its body read task by task
    (ztask_msg_batch_next): each task must lie inside the body, and,
    appended again (ztask_msg_batch_append), read back the same.

    The input is also fed, as a C string, to ztask_msg_strcpy, which must
    keep a prefix of at most ZTASK_STRING_MAX bytes that does not cut a
    UTF-8 sequence.

    Built with -DZTASK_FUZZ_SEEDS instead of -fsanitize=fuzzer, this file is
    a program that writes a seed corpus (one valid message of each command,
    in the framing above) into the directory named by its argument:
    `scripts/fuzz.sh seeds` does that.
*/
#include "proto/ztask_msg.h"
#include "common/ztask_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAMES_MAX 3

typedef struct {
    const uint8_t *data[FRAMES_MAX];
    size_t size[FRAMES_MAX];
    size_t count;
} frames_t;

/* Cuts the input into frames (see the grammar above). */
static void
s_split (const uint8_t *data, size_t size, frames_t *frames)
{
    memset (frames, 0, sizeof *frames);
    if (size == 0)
        return;
    frames->count = data[0] % 4;
    size_t pos = 1;
    for (size_t i = 0; i < frames->count; i++) {
        size_t length = size - pos;
        if (i + 1 < frames->count) {
            size_t want = 0;
            if (size - pos >= 2) {
                want = ((size_t) data[pos] << 8) | data[pos + 1];
                pos += 2;
            }
            else
                pos = size;
            length = want < size - pos ? want : size - pos;
        }
        frames->data[i] = data + pos;
        frames->size[i] = length;
        pos += length;
    }
}

static zmsg_t *
s_zmsg (const frames_t *frames)
{
    zmsg_t *msg = zmsg_new ();
    if (!msg)
        abort ();
    for (size_t i = 0; i < frames->count; i++)
        if (zmsg_addmem (msg, frames->data[i], frames->size[i]) != 0)
            abort ();
    return msg;
}

static bool
s_frame_eq (zframe_t *a, zframe_t *b)
{
    if (!a || !b)
        return a == b;
    return zframe_size (a) == zframe_size (b)
           && (zframe_size (a) == 0 || memcmp (zframe_data (a), zframe_data (b), zframe_size (a)) == 0);
}

/* A decoded string field: NUL within ZTASK_STRING_MAX + 1 bytes. */
static void
s_check_string (const char *field)
{
    if (strnlen (field, ZTASK_STRING_MAX + 1) > ZTASK_STRING_MAX)
        abort ();
}

static void
s_check_strings (const ztask_msg_t *m)
{
    const char *fields[] = { m->type,    m->key,        m->name,    m->host,    m->worker,       m->text,
                             m->error,   m->instance,   m->version, m->limit_name, m->waiting, m->waiting_text };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_check_string (fields[i]);
    if (strnlen (m->needs, ZTASK_TEXT_MAX + 1) > ZTASK_TEXT_MAX || m->require_count > ZTASK_REQUIRES_MAX)
        abort ();
    for (size_t i = 0; i < m->require_count; i++)
        s_check_string (m->require[i]);
    if (m->plugin_count > ZTASK_PLUGINS_MAX || m->running_count > ZTASK_RUNNING_MAX)
        abort ();
    for (size_t i = 0; i < m->plugin_count; i++) {
        s_check_string (m->plugins[i].name);
        s_check_string (m->plugins[i].version);
    }
    if (m->label_count > ZTASK_LABELS_MAX || m->resource_count > ZTASK_RESOURCES_MAX)
        abort ();
    for (size_t i = 0; i < m->label_count; i++) {
        s_check_string (m->labels[i].key);
        s_check_string (m->labels[i].value);
    }
    for (size_t i = 0; i < m->resource_count; i++)
        s_check_string (m->resources[i].name);
}

#define SAME(field) (a->field == b->field)
#define SAME_STR(field) (strcmp (a->field, b->field) == 0)

static bool
s_msg_eq (const ztask_msg_t *a, const ztask_msg_t *b)
{
    if (!(SAME (command) && SAME (corr) && SAME (task_id) && SAME (attempt) && SAME (priority)
          && SAME (state) && SAME (flags) && SAME (status) && SAME (error_status) && SAME (slots)
          && SAME (priorities) && SAME (timeout_ms) && SAME (max_attempts) && SAME (heartbeat_ms)
          && SAME (limit) && SAME (progress_done) && SAME (progress_total) && SAME (created_ms)
          && SAME (started_ms) && SAME (finished_ms)))
        return false;
    if (!(SAME_STR (type) && SAME_STR (key) && SAME_STR (name) && SAME_STR (host) && SAME_STR (worker)
          && SAME_STR (text) && SAME_STR (error) && SAME_STR (instance) && SAME (due_ms) && SAME_STR (version)
          && SAME_STR (limit_name) && SAME_STR (waiting) && SAME_STR (waiting_text) && SAME_STR (needs)))
        return false;
    if (!SAME (require_count))
        return false;
    for (size_t i = 0; i < a->require_count; i++)
        if (strcmp (a->require[i], b->require[i]))
            return false;
    if (!SAME (plugin_count) || !SAME (running_count) || !SAME (label_count) || !SAME (resource_count))
        return false;
    for (size_t i = 0; i < a->label_count; i++)
        if (strcmp (a->labels[i].key, b->labels[i].key) || strcmp (a->labels[i].value, b->labels[i].value))
            return false;
    for (size_t i = 0; i < a->resource_count; i++)
        if (strcmp (a->resources[i].name, b->resources[i].name) || a->resources[i].amount != b->resources[i].amount)
            return false;
    for (size_t i = 0; i < a->plugin_count; i++)
        if (strcmp (a->plugins[i].name, b->plugins[i].name)
            || strcmp (a->plugins[i].version, b->plugins[i].version))
            return false;
    for (size_t i = 0; i < a->running_count; i++)
        if (a->running[i].task_id != b->running[i].task_id
            || a->running[i].attempt != b->running[i].attempt)
            return false;
    return s_frame_eq (a->routing_id, b->routing_id) && s_frame_eq (a->body, b->body);
}

static void s_batch_body (const ztask_msg_t *batch);

static ztask_msg_t *s_first;  /* decoded from the input                 */
static ztask_msg_t *s_second; /* decoded from the first one, re-encoded */

/* Decodes the frames; if they are a message, checks the round trip. */
static void
s_round_trip (const frames_t *frames, bool routing)
{
    zmsg_t *msg = s_zmsg (frames);
    int rc = ztask_msg_decode (s_first, &msg, routing);
    if (msg)
        abort (); /* decode always consumes the message */
    if (rc != 0 && rc != -2 && rc != -3)
        abort ();
    if (rc == -3 && !routing && s_first->routing_id)
        abort ();
    if (rc != 0)
        return;
    s_check_strings (s_first);
    if (strcmp (ztask_msg_command_name (s_first->command), "UNKNOWN") == 0)
        abort ();
    if (routing != (s_first->routing_id != NULL))
        abort ();

    zmsg_t *encoded = ztask_msg_encode (s_first);
    if (!encoded)
        abort (); /* whatever decodes must encode */
    /* One encoding per message: the frames come back unchanged, but for
       a header with optional trailing fields: an older peer's LIST or
       REGISTER comes back with them (the input is a prefix of the
       encoding), and a SUBMIT, SUBMIT_WAIT, TASK_INFO or RESULT that
       spelt out optional trailing fields all 0 / empty (due_ms 0; no
       requirements, version, needs or limit; no waiting; no retry policy
       or parents; RESULT's retry_after_ms 0) comes back without them (the
       encoding is a prefix of the input). */
    if (zmsg_size (encoded) != frames->count)
        abort ();
    size_t i = 0;
    size_t header_at = routing ? 1 : 0;
    int c = s_first->command;
    bool grows = c == ZTASK_MSG_LIST || c == ZTASK_MSG_REGISTER;
    bool shrinks = c == ZTASK_MSG_SUBMIT || c == ZTASK_MSG_SUBMIT_WAIT || c == ZTASK_MSG_TASK_INFO
                   || c == ZTASK_MSG_RESULT || c == ZTASK_MSG_BATCH;
    for (zframe_t *frame = zmsg_first (encoded); frame; frame = zmsg_next (encoded), i++) {
        size_t size = zframe_size (frame), given = frames->size[i];
        bool header = i == header_at;
        if (size != given && !(header && ((grows && size > given) || (shrinks && size < given))))
            abort ();
        size_t common = size < given ? size : given;
        if (common && memcmp (zframe_data (frame), frames->data[i], common))
            abort ();
    }

    rc = ztask_msg_decode (s_second, &encoded, routing);
    if (rc != 0 || encoded)
        abort ();
    if (!s_msg_eq (s_first, s_second))
        abort ();
    s_batch_body (s_first);
}

static ztask_msg_t *s_member;  /* a BATCH's task                         */
static ztask_msg_t *s_again;   /* ... appended again and read back       */

/* Reads the body of a BATCH task by task (see the header comment). */
static void
s_batch_body (const ztask_msg_t *batch)
{
    if (batch->command != ZTASK_MSG_BATCH || !batch->body)
        return;
    const byte *body = zframe_data (batch->body), *payload;
    size_t size = zframe_size (batch->body), at = 0, payload_size;
    int rc;
    while ((rc = ztask_msg_batch_next (s_member, body, size, &at, &payload, &payload_size)) == 1) {
        if (at > size || payload < body || payload_size > size || payload - body > (ptrdiff_t) (size - payload_size))
            abort ();
        if (s_member->command != ZTASK_MSG_SUBMIT)
            abort ();
        s_check_strings (s_member);
        zchunk_t *chunk = zchunk_new (NULL, 64);
        if (!chunk || ztask_msg_batch_append (s_member, payload, payload_size, chunk) != 0)
            abort (); /* whatever decodes must encode */
        size_t again_at = 0, again_size;
        const byte *again_payload;
        if (ztask_msg_batch_next (s_again, zchunk_data (chunk), zchunk_size (chunk), &again_at, &again_payload,
                                  &again_size)
                != 1
            || again_at != zchunk_size (chunk) || again_size != payload_size
            || (payload_size && memcmp (again_payload, payload, payload_size)) || !s_msg_eq (s_member, s_again))
            abort ();
        zchunk_destroy (&chunk);
    }
    if (rc != 0 && rc != -2)
        abort ();
}

/* ztask_msg_strcpy keeps a prefix that does not cut a UTF-8 sequence and
   leaves only UTF-8 in it. */
static void
s_strcpy (const uint8_t *data, size_t size)
{
    char *src = (char *) malloc (size + 1);
    if (!src)
        abort ();
    if (size)
        memcpy (src, data, size);
    src[size] = 0;
    char field[ZTASK_STRING_MAX + 1];
    memset (field, 'x', sizeof field);
    ztask_msg_strcpy (field, src);
    size_t len = strnlen (field, sizeof field);
    size_t src_len = strlen (src);
    if (len > ZTASK_STRING_MAX || len > src_len)
        abort ();
    /* Bytes that are not UTF-8 become '?'; every other byte is kept. */
    for (size_t i = 0; i < len; i++)
        if (field[i] != src[i] && field[i] != '?')
            abort ();
    if (!ztask_utf8_valid (field, len))
        abort ();
    if (src_len <= ZTASK_STRING_MAX && len != src_len)
        abort (); /* short strings are copied whole */
    if (len > 0 && len < src_len && ((unsigned char) src[len] & 0xC0) == 0x80)
        abort (); /* cut inside a UTF-8 sequence */
    free (src);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_first) {
        s_first = ztask_msg_new ();
        s_second = ztask_msg_new ();
        s_member = ztask_msg_new ();
        s_again = ztask_msg_new ();
        /* A NULL message is malformed, not a crash. */
        zmsg_t *none = NULL;
        if (ztask_msg_decode (s_first, &none, false) != -2)
            abort ();
    }
    frames_t frames;
    s_split (data, size, &frames);
    s_round_trip (&frames, false);
    s_round_trip (&frames, true);
    s_strcpy (data, size);
    return 0;
}

#ifdef ZTASK_FUZZ_SEEDS
/* ---- seed corpus writer (not part of the fuzz target) ---- */

static const char *s_dir;
static int s_written;

/* Writes msg (consumed) in the fuzz framing as DIR/NAME. */
static void
s_write (const char *name, zmsg_t *msg)
{
    if (!msg) {
        fprintf (stderr, "fuzz_msg seeds: %s does not encode\n", name);
        exit (1);
    }
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "wb");
    if (!file) {
        perror (path);
        exit (1);
    }
    size_t count = zmsg_size (msg);
    fputc ((int) count, file);
    size_t i = 0;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg), i++) {
        if (i + 1 < count) {
            fputc ((int) (zframe_size (frame) >> 8), file);
            fputc ((int) (zframe_size (frame) & 0xFF), file);
        }
        fwrite (zframe_data (frame), 1, zframe_size (frame), file);
    }
    fclose (file);
    zmsg_destroy (&msg);
    s_written++;
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: %s DIR\n", argv[0]);
        return 1;
    }
    s_dir = argv[1];
    ztask_msg_t *m = ztask_msg_new ();
    char name[64];

    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    m->corr = 7;
    ztask_msg_strcpy (m->type, "echo");
    m->priority = 5;
    m->timeout_ms = 30000;
    m->max_attempts = 3;
    ztask_msg_strcpy (m->key, "order-42");
    ztask_msg_set_body (m, "hello", 5);
    s_write ("submit", ztask_msg_encode (m));
    /* The same, as the broker's ROUTER receives it. */
    m->routing_id = zframe_new ("\0\x80\x00\x00\x29", 5);
    s_write ("submit-routed", ztask_msg_encode (m));
    /* What a task asks of its worker (docs/routing.md). */
    zframe_destroy (&m->routing_id);
    m->require_count = 2;
    ztask_msg_strcpy (m->require[0], "zone=eu-1");
    ztask_msg_strcpy (m->require[1], "gpu_model in (a100,h100)");
    ztask_msg_strcpy (m->version, ">=1.2");
    snprintf (m->needs, sizeof m->needs, "gpu=1,memory_mb=16000");
    ztask_msg_strcpy (m->limit_name, "stripe-api");
    s_write ("submit-asks", ztask_msg_encode (m));

    /* A batch of two tasks, with a then task and a key. */
    zchunk_t *tasks = zchunk_new (NULL, 256);
    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    ztask_msg_strcpy (m->type, "resize");
    m->priority = 5;
    ztask_msg_batch_append (m, "photos/1.jpg", 12, tasks);
    m->require_count = 1;
    ztask_msg_strcpy (m->require[0], "zone=eu-1");
    m->due_ms = 1800000000000;
    ztask_msg_batch_append (m, "", 0, tasks);
    ztask_msg_reset (m, ZTASK_MSG_BATCH);
    m->corr = 9;
    m->limit = 2;
    ztask_msg_strcpy (m->type, "report");
    m->priority = 7;
    ztask_msg_strcpy (m->key, "thumbs-1");
    ztask_msg_set_body (m, zchunk_data (tasks), zchunk_size (tasks));
    zchunk_destroy (&tasks);
    s_write ("batch", ztask_msg_encode (m));
    ztask_msg_reset (m, ZTASK_MSG_BATCH_STATUS);
    m->corr = 10;
    m->task_id = 1200;
    s_write ("batch-status", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_STATUS);
    m->corr = 1;
    m->task_id = 12345;
    m->flags = ZTASK_FLAG_RESULT;
    s_write ("status", ztask_msg_encode (m));

    int corr_only[] = { ZTASK_MSG_WAIT, ZTASK_MSG_STATS, ZTASK_MSG_WORKERS, ZTASK_MSG_CANCEL };
    for (size_t i = 0; i < sizeof corr_only / sizeof corr_only[0]; i++) {
        ztask_msg_reset (m, corr_only[i]);
        m->corr = 2;
        m->task_id = 99;
        snprintf (name, sizeof name, "cmd-%d", corr_only[i]);
        s_write (name, ztask_msg_encode (m));
    }

    ztask_msg_reset (m, ZTASK_MSG_LIST);
    m->corr = 3;
    m->state = ZTASK_LIST_ANY;
    m->limit = 100;
    s_write ("list", ztask_msg_encode (m));
    strcpy (m->type, "echo");
    m->task_id = 500;
    s_write ("list-page", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_RETRY);
    m->corr = 4;
    m->state = 3 /* failed */;
    strcpy (m->type, "echo");
    m->limit = 10;
    m->created_ms = 1700000000000;
    s_write ("retry", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_PURGE);
    m->corr = 5;
    m->state = ZTASK_LIST_ANY;
    m->finished_ms = 1700000000000;
    s_write ("purge", ztask_msg_encode (m));

    int type_only[] = { ZTASK_MSG_PAUSE, ZTASK_MSG_RESUME };
    for (size_t i = 0; i < sizeof type_only / sizeof type_only[0]; i++) {
        ztask_msg_reset (m, type_only[i]);
        m->corr = 6;
        strcpy (m->type, "echo");
        snprintf (name, sizeof name, "cmd-%d", type_only[i]);
        s_write (name, ztask_msg_encode (m));
    }

    ztask_msg_reset (m, ZTASK_MSG_HISTORY);
    m->corr = 8;
    m->task_id = 77;
    s_write ("history", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_SUBMITTED);
    m->corr = 7;
    m->task_id = 1;
    m->flags = ZTASK_FLAG_EXISTING;
    s_write ("submitted", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    m->corr = 1;
    m->task_id = 12345;
    m->flags = ZTASK_FLAG_RESULT;
    ztask_msg_strcpy (m->type, "wordcount");
    m->priority = 9;
    m->state = 2;
    m->attempt = 1;
    m->max_attempts = 3;
    m->progress_done = 10;
    m->progress_total = 10;
    ztask_msg_strcpy (m->text, "d\xc3\xa9j\xc3\xa0 vu");
    ztask_msg_strcpy (m->worker, "w-1");
    m->created_ms = 1700000000000;
    m->started_ms = 1700000000100;
    m->finished_ms = -1;
    ztask_msg_set_body (m, "{\"words\": 3}", 12);
    s_write ("task_info", ztask_msg_encode (m));
    m->flags = 0; /* no result: no body frame */
    ztask_msg_strcpy (m->error, "plugin crashed");
    s_write ("task_info-nobody", ztask_msg_encode (m));
    /* A queued task that asks something, and why it waits. */
    m->state = 0;
    m->error[0] = 0;
    m->require_count = 1;
    ztask_msg_strcpy (m->require[0], "zone=eu-1");
    snprintf (m->needs, sizeof m->needs, "gpu=1");
    ztask_msg_strcpy (m->waiting, "limit");
    ztask_msg_strcpy (m->waiting_text, "limit stripe-api is full: 2 of 2");
    s_write ("task_info-waiting", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_PROGRESS);
    m->corr = 4;
    m->task_id = 5;
    m->progress_done = 1;
    m->progress_total = 3;
    ztask_msg_strcpy (m->text, "one of three");
    s_write ("progress", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_JSON);
    m->corr = 5;
    ztask_msg_set_body (m, "{\"queued\": 0}", 13);
    s_write ("json", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_ERROR);
    m->corr = 6;
    m->error_status = ZTASK_ERR_NOT_FOUND;
    ztask_msg_strcpy (m->text, "no task 77");
    s_write ("error", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_REGISTER);
    ztask_msg_strcpy (m->name, "gs");
    ztask_msg_strcpy (m->host, "box.example");
    ztask_msg_strcpy (m->instance, "6f1c2a");
    m->slots = 4;
    m->priorities = 0x3FF;
    m->plugin_count = 3;
    ztask_msg_strcpy (m->plugins[0].name, "echo");
    ztask_msg_strcpy (m->plugins[0].version, "1.0");
    ztask_msg_strcpy (m->plugins[1].name, "sleep");
    ztask_msg_strcpy (m->plugins[1].version, "1.0");
    ztask_msg_strcpy (m->plugins[2].name, "wordcount");
    ztask_msg_strcpy (m->plugins[2].version, "");
    m->running_count = 2;
    m->running[0].task_id = 10;
    m->running[0].attempt = 1;
    m->running[1].task_id = 11;
    m->running[1].attempt = 2;
    s_write ("register", ztask_msg_encode (m));
    m->routing_id = zframe_new ("w1", 2);
    s_write ("register-routed", ztask_msg_encode (m));
    zframe_destroy (&m->routing_id);
    /* An older worker's REGISTER: it ends after running (no label and
       resource counts). */
    zmsg_t *old = ztask_msg_encode (m);
    zframe_t *header = old ? zmsg_pop (old) : NULL;
    if (header && zframe_size (header) > 2)
        zmsg_addmem (old, zframe_data (header), zframe_size (header) - 2);
    zframe_destroy (&header);
    s_write ("register-old", old);
    /* What workers advertise: the facts, labels and resources. */
    const char *labels[][2] = { { "host", "box.example" }, { "os", "linux" }, { "arch", "x86_64" },
                                { "cores", "16" }, { "memory_mb", "65536" }, { "zone", "eu-1" },
                                { "gpu_model", "a100" }, { "tier", "spot" } };
    m->label_count = sizeof labels / sizeof labels[0];
    for (size_t i = 0; i < m->label_count; i++) {
        ztask_msg_strcpy (m->labels[i].key, labels[i][0]);
        ztask_msg_strcpy (m->labels[i].value, labels[i][1]);
    }
    m->resource_count = 3;
    ztask_msg_strcpy (m->resources[0].name, "gpu");
    m->resources[0].amount = 2;
    ztask_msg_strcpy (m->resources[1].name, "memory_mb");
    m->resources[1].amount = 65536;
    ztask_msg_strcpy (m->resources[2].name, "big");
    m->resources[2].amount = 1ULL << 53;
    s_write ("register-labels", ztask_msg_encode (m));

    /* At the limits: 64 plugins, 1024 running tasks, 255-byte strings. */
    ztask_msg_reset (m, ZTASK_MSG_REGISTER);
    ztask_msg_strcpy (m->name, "max");
    m->slots = 1024;
    m->priorities = 1;
    m->plugin_count = ZTASK_PLUGINS_MAX;
    for (size_t i = 0; i < ZTASK_PLUGINS_MAX; i++) {
        snprintf (m->plugins[i].name, sizeof m->plugins[i].name, "p%zu", i);
        ztask_msg_strcpy (m->plugins[i].version, "");
    }
    s_write ("register-max-plugins", ztask_msg_encode (m));
    m->plugin_count = 1;
    m->running_count = ZTASK_RUNNING_MAX;
    for (size_t i = 0; i < ZTASK_RUNNING_MAX; i++) {
        m->running[i].task_id = i + 1;
        m->running[i].attempt = 1;
    }
    s_write ("register-max-running", ztask_msg_encode (m));
    m->running_count = 0;
    m->label_count = ZTASK_LABELS_MAX;
    for (size_t i = 0; i < ZTASK_LABELS_MAX; i++) {
        snprintf (m->labels[i].key, sizeof m->labels[i].key, "k%zu", i);
        snprintf (m->labels[i].value, sizeof m->labels[i].value, "v%zu", i);
    }
    m->resource_count = ZTASK_RESOURCES_MAX;
    for (size_t i = 0; i < ZTASK_RESOURCES_MAX; i++) {
        snprintf (m->resources[i].name, sizeof m->resources[i].name, "r%zu", i);
        m->resources[i].amount = UINT64_MAX - i;
    }
    s_write ("register-max-labels", ztask_msg_encode (m));

    char longest[ZTASK_STRING_MAX + 1];
    memset (longest, 'k', sizeof longest);
    memcpy (longest + ZTASK_STRING_MAX - 4, "\xf0\x9f\x98\x80", 4); /* ends in a 4-byte sequence */
    longest[ZTASK_STRING_MAX] = 0;
    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    ztask_msg_strcpy (m->type, longest);
    ztask_msg_strcpy (m->key, longest);
    m->priority = 9;
    m->timeout_ms = UINT32_MAX;
    m->max_attempts = UINT32_MAX;
    s_write ("submit-longest", ztask_msg_encode (m));

    int empty[] = { ZTASK_MSG_HEARTBEAT, ZTASK_MSG_GOODBYE, ZTASK_MSG_DRAIN };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ztask_msg_reset (m, empty[i]);
        snprintf (name, sizeof name, "cmd-%d", empty[i]);
        s_write (name, ztask_msg_encode (m));
    }

    ztask_msg_reset (m, ZTASK_MSG_WORKER_PROGRESS);
    m->task_id = 5;
    m->attempt = 1;
    m->progress_done = 2;
    m->progress_total = 3;
    ztask_msg_strcpy (m->text, "two");
    s_write ("worker_progress", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_RESULT);
    m->task_id = 5;
    m->attempt = 1;
    m->status = ZTASK_RESULT_RETRY;
    ztask_msg_strcpy (m->error, "disk full");
    ztask_msg_set_body (m, "", 0);
    s_write ("result", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_REGISTERED);
    m->heartbeat_ms = 1000;
    s_write ("registered", ztask_msg_encode (m));

    ztask_msg_reset (m, ZTASK_MSG_TASK);
    m->task_id = 5;
    m->attempt = 2;
    ztask_msg_strcpy (m->type, "echo");
    m->priority = 4;
    m->timeout_ms = 0;
    ztask_msg_set_body (m, "payload bytes", 13);
    s_write ("task", ztask_msg_encode (m));

    int acks[] = { ZTASK_MSG_RESULT_ACK, ZTASK_MSG_CANCEL_TASK };
    for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++) {
        ztask_msg_reset (m, acks[i]);
        m->task_id = 5;
        m->attempt = 2;
        snprintf (name, sizeof name, "cmd-%d", acks[i]);
        s_write (name, ztask_msg_encode (m));
    }

    /* A header of another protocol version (decodes to -3). */
    zmsg_t *v2 = zmsg_new ();
    zmsg_addmem (v2, "ZT\x02\x04\x00\x00\x00\x01", 8);
    s_write ("version-2", v2);

    ztask_msg_destroy (&m);
    printf ("fuzz_msg seeds: %d files in %s\n", s_written, s_dir);
    return 0;
}
#endif
