/*  msg_test - the wire codec against docs/protocol.md: every command round
    trips with every field, the bytes are laid out as documented, and
    anything off the grammar is rejected as malformed (-2), another
    protocol version as -3. Messages are built by hand with zmsg_addmem;
    no sockets. */
#include "tap.h"
#include "proto/ztask_msg.h"

#include <czmq.h>

/* docs/protocol.md's command tables, written out again independently of
   the codec's s_commands: field codes as in ztask_msg.c's s_number_field
   and s_string_field, 'L' the plugin list, 'R' the running-task list.
   body: 0 none, 1 required, 2 iff flags & 1. */
typedef struct {
    int command;
    const char *name;
    const char *fields;
    int body;
} spec_t;

static const spec_t s_spec[] = {
    { ZTASK_MSG_SUBMIT, "SUBMIT", "cTpomK", 1 },
    { ZTASK_MSG_STATUS, "STATUS", "cif", 0 },
    { ZTASK_MSG_WAIT, "WAIT", "ci", 0 },
    { ZTASK_MSG_STATS, "STATS", "c", 0 },
    { ZTASK_MSG_WORKERS, "WORKERS", "c", 0 },
    { ZTASK_MSG_CANCEL, "CANCEL", "ci", 0 },
    { ZTASK_MSG_LIST, "LIST", "cSn", 0 },
    { ZTASK_MSG_SUBMIT_WAIT, "SUBMIT_WAIT", "cTpomK", 1 },
    { ZTASK_MSG_SUBMITTED, "SUBMITTED", "cif", 0 },
    { ZTASK_MSG_TASK_INFO, "TASK_INFO", "cifTpSamdDXWE123", 2 },
    { ZTASK_MSG_PROGRESS, "PROGRESS", "cidDX", 0 },
    { ZTASK_MSG_JSON, "JSON", "c", 1 },
    { ZTASK_MSG_ERROR, "ERROR", "ceX", 0 },
    { ZTASK_MSG_REGISTER, "REGISTER", "NHUlPLR", 0 },
    { ZTASK_MSG_HEARTBEAT, "HEARTBEAT", "", 0 },
    { ZTASK_MSG_WORKER_PROGRESS, "WORKER_PROGRESS", "iadDX", 0 },
    { ZTASK_MSG_RESULT, "RESULT", "iarE", 1 },
    { ZTASK_MSG_GOODBYE, "GOODBYE", "", 0 },
    { ZTASK_MSG_DRAIN, "DRAIN", "", 0 },
    { ZTASK_MSG_REGISTERED, "REGISTERED", "h", 0 },
    { ZTASK_MSG_TASK, "TASK", "iaTpo", 1 },
    { ZTASK_MSG_RESULT_ACK, "RESULT_ACK", "ia", 0 },
    { ZTASK_MSG_CANCEL_TASK, "CANCEL_TASK", "ia", 0 },
};
#define SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

/* A body with a NUL and high bytes in it: bodies are opaque bytes. */
static const byte s_body[] = { 'r', 'e', 's', 0, 0xFF, 0x80, 'u', 'l', 't' };

/* Strings with multi-byte UTF-8 (2, 3 and 4 bytes) and the longest allowed. */
static char s_long[ZTASK_STRING_MAX + 1];

/* Sets every field of m to a distinctive value (encode writes only the
   command's fields). */
static void
s_fill (ztask_msg_t *m, int command)
{
    ztask_msg_reset (m, command);
    m->corr = 0xA1B2C3D4u;
    m->task_id = 0x0102030405060708ull;
    m->attempt = 0xDEADBEEFu;
    m->priority = 7;
    m->state = 3;
    m->flags = ZTASK_FLAG_RESULT;
    m->status = 2;
    m->error_status = 0xBEEF;
    m->slots = 1024;
    m->priorities = 0x03FF;
    m->timeout_ms = 0x11223344u;
    m->max_attempts = 0x55667788u;
    m->heartbeat_ms = 0x99AABBCCu;
    m->limit = 0xFEDCBA98u;
    m->progress_done = UINT64_MAX;
    m->progress_total = 0x8000000000000001ull;
    m->created_ms = -1;
    m->started_ms = INT64_MIN;
    m->finished_ms = INT64_MAX;
    strcpy (m->type, "sleep-\xC3\xBC");          /* ü */
    strcpy (m->key, s_long);
    strcpy (m->name, "w-\xE2\x82\xAC");          /* € */
    strcpy (m->host, "host-\xF0\x9F\x98\x80");   /* 😀 */
    strcpy (m->worker, "worker-7");
    strcpy (m->text, "sleeping 250/500 ms");
    strcpy (m->error, "");                       /* empty strings too */
    strcpy (m->instance, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    m->plugin_count = ZTASK_PLUGINS_MAX;
    for (size_t i = 0; i < m->plugin_count; i++) {
        snprintf (m->plugins[i].name, sizeof m->plugins[i].name, "plugin-%zu", i);
        snprintf (m->plugins[i].version, sizeof m->plugins[i].version, "%zu.0.%zu", i, 2 * i);
    }
    m->running_count = ZTASK_RUNNING_MAX;
    for (size_t i = 0; i < m->running_count; i++) {
        m->running[i].task_id = 0xF100000000000000ull + i * 0x0101010101ull;
        m->running[i].attempt = 0xFFFFFFFFu - (uint32_t) i;
    }
    ztask_msg_set_body (m, s_body, sizeof s_body);
}

/* Compares field code f of a and b. */
static bool
s_field_equal (ztask_msg_t *a, ztask_msg_t *b, char f)
{
    switch (f) {
    case 'c': return a->corr == b->corr;
    case 'i': return a->task_id == b->task_id;
    case 'a': return a->attempt == b->attempt;
    case 'p': return a->priority == b->priority;
    case 'S': return a->state == b->state;
    case 'f': return a->flags == b->flags;
    case 'r': return a->status == b->status;
    case 'e': return a->error_status == b->error_status;
    case 'l': return a->slots == b->slots;
    case 'P': return a->priorities == b->priorities;
    case 'o': return a->timeout_ms == b->timeout_ms;
    case 'm': return a->max_attempts == b->max_attempts;
    case 'h': return a->heartbeat_ms == b->heartbeat_ms;
    case 'n': return a->limit == b->limit;
    case 'd': return a->progress_done == b->progress_done;
    case 'D': return a->progress_total == b->progress_total;
    case '1': return a->created_ms == b->created_ms;
    case '2': return a->started_ms == b->started_ms;
    case '3': return a->finished_ms == b->finished_ms;
    case 'T': return streq (a->type, b->type);
    case 'K': return streq (a->key, b->key);
    case 'N': return streq (a->name, b->name);
    case 'H': return streq (a->host, b->host);
    case 'W': return streq (a->worker, b->worker);
    case 'X': return streq (a->text, b->text);
    case 'E': return streq (a->error, b->error);
    case 'U': return streq (a->instance, b->instance);
    case 'R':
        if (a->running_count != b->running_count)
            return false;
        for (size_t i = 0; i < a->running_count; i++)
            if (a->running[i].task_id != b->running[i].task_id || a->running[i].attempt != b->running[i].attempt)
                return false;
        return true;
    case 'L':
        if (a->plugin_count != b->plugin_count)
            return false;
        for (size_t i = 0; i < a->plugin_count; i++)
            if (!streq (a->plugins[i].name, b->plugins[i].name)
                || !streq (a->plugins[i].version, b->plugins[i].version))
                return false;
        return true;
    default: return false;
    }
}

/* True if the decoded field f is zero / empty (it is not in the command). */
static bool
s_field_clear (ztask_msg_t *m, char f)
{
    ztask_msg_t *zero = ztask_msg_new ();
    bool clear = s_field_equal (m, zero, f);
    ztask_msg_destroy (&zero);
    return clear;
}

/* Copies the header frame's bytes out of an encoded message. */
static size_t
s_header (zmsg_t *msg, byte *buffer, size_t size)
{
    zframe_t *header = zmsg_first (msg);
    size_t n = zframe_size (header);
    assert (n <= size);
    memcpy (buffer, zframe_data (header), n);
    return n;
}

/* Decodes a message of the given frames; returns the codec's answer. */
static int
s_decode (ztask_msg_t *m, const void *header, size_t size, int bodies)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, header, size);
    for (int i = 0; i < bodies; i++)
        zmsg_addmem (msg, s_body, sizeof s_body);
    return ztask_msg_decode (m, &msg, false);
}

static int
s_bodies (const spec_t *spec, uint8_t flags)
{
    return spec->body == 1 || (spec->body == 2 && (flags & ZTASK_FLAG_RESULT)) ? 1 : 0;
}

static void
s_round_trips (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    for (size_t s = 0; s < SPEC_COUNT; s++) {
        const spec_t *spec = &s_spec[s];
        s_fill (out, spec->command);
        zmsg_t *msg = ztask_msg_encode (out);
        TAP_OK (msg != NULL, "%s encodes", spec->name);
        if (!msg)
            continue;
        int frames = 1 + s_bodies (spec, out->flags);
        TAP_OK ((int) zmsg_size (msg) == frames, "  as %d frame%s", frames, frames == 1 ? "" : "s");
        TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && msg == NULL, "  decodes (message consumed)");
        TAP_OK (in->command == spec->command, "  command %s", ztask_msg_command_name (in->command));
        TAP_OK (streq (ztask_msg_command_name (spec->command), spec->name), "  is named %s", spec->name);
        bool same = true, clear = true;
        for (const char *f = spec->fields; *f; f++)
            if (!s_field_equal (in, out, *f)) {
                printf ("#   field '%c' differs\n", *f);
                same = false;
            }
        for (const char *f = "cfiapSrelPomhndD123TKNHWXEULR"; *f; f++)
            if (!strchr (spec->fields, *f) && !s_field_clear (in, *f)) {
                printf ("#   field '%c' set but not in the command\n", *f);
                clear = false;
            }
        TAP_OK (same, "  every field comes back (%s)", *spec->fields ? spec->fields : "none");
        TAP_OK (clear, "  and no other");
        if (s_bodies (spec, out->flags))
            TAP_OK (in->body && zframe_size (in->body) == sizeof s_body
                        && memcmp (zframe_data (in->body), s_body, sizeof s_body) == 0,
                    "  the body comes back byte for byte");
        else
            TAP_OK (in->body == NULL, "  no body");
        TAP_OK (in->routing_id == NULL, "  no routing id");
    }

    /* TASK_INFO without the result flag: no body, even if one is set. */
    s_fill (out, ZTASK_MSG_TASK_INFO);
    out->flags = 0xFE;
    zmsg_t *msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 1, "TASK_INFO with flags 0xFE encodes without a body");
    TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && in->flags == 0xFE && !in->body,
            "  and decodes with its flags, no body");

    /* A required body that is not set goes out empty. */
    s_fill (out, ZTASK_MSG_SUBMIT);
    zframe_destroy (&out->body);
    msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 2 && zframe_size (zmsg_last (msg)) == 0,
            "SUBMIT without a body encodes an empty body frame");
    TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && in->body && zframe_size (in->body) == 0,
            "  and decodes with an empty body");

    /* REGISTER with no plugins is well-formed (the broker refuses it). */
    s_fill (out, ZTASK_MSG_REGISTER);
    out->plugin_count = 0;
    msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && in->plugin_count == 0,
            "REGISTER with no plugins round trips");

    /* REGISTER of a worker that runs nothing (a first start), and with an
       empty instance (well-formed; the broker decides). */
    s_fill (out, ZTASK_MSG_REGISTER);
    out->running_count = 0;
    out->instance[0] = 0;
    msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && in->running_count == 0 && !in->instance[0]
                && in->plugin_count == ZTASK_PLUGINS_MAX,
            "REGISTER with no running tasks and no instance round trips");
    s_fill (out, ZTASK_MSG_REGISTER);
    strcpy (out->instance, s_long);
    out->running_count = 1;
    out->running[0].task_id = UINT64_MAX;
    out->running[0].attempt = 0;
    msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && streq (in->instance, s_long)
                && in->running_count == 1 && in->running[0].task_id == UINT64_MAX && in->running[0].attempt == 0,
            "REGISTER with a %d-byte instance and one running task round trips", ZTASK_STRING_MAX);

    /* LIST: "any state" and the extremes of the limit go through as they
       are (the broker checks the range). */
    const uint32_t limits[] = { 0, 1, 50, 10000, UINT32_MAX };
    bool limits_ok = true;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        ztask_msg_reset (out, ZTASK_MSG_LIST);
        out->corr = 1;
        out->state = ZTASK_LIST_ANY;
        out->limit = limits[i];
        msg = ztask_msg_encode (out);
        if (!msg || ztask_msg_decode (in, &msg, false) != 0 || in->state != ZTASK_LIST_ANY
            || in->limit != limits[i]) {
            printf ("#   limit %u\n", limits[i]);
            limits_ok = false;
        }
    }
    TAP_OK (limits_ok, "LIST with state %d (any) and limits 0 to 2^32-1 round trips", ZTASK_LIST_ANY);

    /* Encode refuses what it cannot write. */
    s_fill (out, ZTASK_MSG_REGISTER);
    out->plugin_count = ZTASK_PLUGINS_MAX + 1;
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses %d plugins", ZTASK_PLUGINS_MAX + 1);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    out->running_count = ZTASK_RUNNING_MAX + 1;
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses %d running tasks", ZTASK_RUNNING_MAX + 1);
    zmsg_destroy (&msg);
    s_fill (out, ZTASK_MSG_REGISTER);
    memset (out->instance, 'u', sizeof out->instance); /* 256 bytes, no NUL: encode reads at most that */
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses an instance longer than %d bytes", ZTASK_STRING_MAX);
    zmsg_destroy (&msg);
    s_fill (out, 99);
    msg = ztask_msg_encode (out);
    TAP_OK (msg == NULL, "encode refuses an unknown command");
    zmsg_destroy (&msg);

    /* The body is copied: the message keeps its own. */
    s_fill (out, ZTASK_MSG_JSON);
    msg = ztask_msg_encode (out);
    TAP_OK (msg && out->body && zframe_size (out->body) == sizeof s_body,
            "encode leaves the body with the message");
    zmsg_destroy (&msg);

    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

/* The bytes on the wire, as docs/protocol.md lays them out. */
static void
s_layout (void)
{
    ztask_msg_t *m = ztask_msg_new ();
    byte got[65536];

    ztask_msg_reset (m, ZTASK_MSG_SUBMIT);
    m->corr = 0x01020304;
    strcpy (m->type, "echo");
    m->priority = 9;
    m->timeout_ms = 30000;
    m->max_attempts = 2;
    strcpy (m->key, "k");
    ztask_msg_set_body (m, "hi", 2);
    const byte submit[] = { 'Z', 'T', 1, 1,  1, 2, 3, 4,  4, 'e', 'c', 'h', 'o',  9,
                            0, 0, 0x75, 0x30,  0, 0, 0, 2,  1, 'k' };
    zmsg_t *msg = ztask_msg_encode (m);
    size_t n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof submit && memcmp (got, submit, n) == 0, "SUBMIT header bytes as documented");
    TAP_OK (zframe_size (zmsg_last (msg)) == 2 && memcmp (zframe_data (zmsg_last (msg)), "hi", 2) == 0,
            "  payload in the second frame");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_ERROR);
    m->corr = 7;
    m->error_status = ZTASK_ERR_QUEUE_FULL;
    strcpy (m->text, "full");
    const byte error[] = { 'Z', 'T', 1, 24,  0, 0, 0, 7,  0, 3,  4, 'f', 'u', 'l', 'l' };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof error && memcmp (got, error, n) == 0 && zmsg_size (msg) == 1,
            "ERROR header bytes as documented");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_REGISTER);
    strcpy (m->name, "w");
    strcpy (m->host, "h");
    strcpy (m->instance, "u-1");
    m->slots = 2;
    m->priorities = 0x0201;
    m->plugin_count = 2;
    strcpy (m->plugins[0].name, "echo");
    strcpy (m->plugins[0].version, "1.0");
    strcpy (m->plugins[1].name, "sl");
    strcpy (m->plugins[1].version, "");
    m->running_count = 2;
    m->running[0].task_id = 0x0102030405060708ull;
    m->running[0].attempt = 3;
    m->running[1].task_id = 9;
    m->running[1].attempt = 0x01000001;
    const byte reg[] = { 'Z', 'T', 1, 40,  1, 'w',  1, 'h',  3, 'u', '-', '1',  0, 2,  2, 1,  2,
                         4, 'e', 'c', 'h', 'o',  3, '1', '.', '0',  2, 's', 'l',  0,
                         0, 2,  1, 2, 3, 4, 5, 6, 7, 8,  0, 0, 0, 3,
                         0, 0, 0, 0, 0, 0, 0, 9,  1, 0, 0, 1 };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof reg && memcmp (got, reg, n) == 0, "REGISTER header bytes as documented");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_CANCEL);
    m->corr = 9;
    m->task_id = 42;
    const byte cancel[] = { 'Z', 'T', 1, 6,  0, 0, 0, 9,  0, 0, 0, 0, 0, 0, 0, 42 };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof cancel && memcmp (got, cancel, n) == 0 && zmsg_size (msg) == 1,
            "CANCEL header bytes as documented");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_LIST);
    m->corr = 7;
    m->state = ZTASK_LIST_ANY;
    m->limit = 50;
    const byte list[] = { 'Z', 'T', 1, 7,  0, 0, 0, 7,  0xFF,  0, 0, 0, 50 };
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == sizeof list && memcmp (got, list, n) == 0 && zmsg_size (msg) == 1,
            "LIST header bytes as documented (state 255: any)");
    zmsg_destroy (&msg);

    const int acks[] = { ZTASK_MSG_RESULT_ACK, ZTASK_MSG_CANCEL_TASK };
    for (size_t i = 0; i < 2; i++) {
        ztask_msg_reset (m, acks[i]);
        m->task_id = 0x0A0B0C0D0E0F1011ull;
        m->attempt = 2;
        const byte ack[] = { 'Z', 'T', 1, (byte) acks[i],  0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11,
                             0, 0, 0, 2 };
        msg = ztask_msg_encode (m);
        n = s_header (msg, got, sizeof got);
        TAP_OK (n == sizeof ack && memcmp (got, ack, n) == 0 && zmsg_size (msg) == 1,
                "%s header bytes as documented", ztask_msg_command_name (acks[i]));
        zmsg_destroy (&msg);
    }

    ztask_msg_reset (m, ZTASK_MSG_TASK_INFO);
    m->created_ms = -2;
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    /* sig 2, version 1, command 1, corr 4, id 8, flags 1, type 1, priority 1,
       state 1, attempts 4, max 4, done 8, total 8, text 1, worker 1, error 1 */
    size_t at = 2 + 1 + 1 + 4 + 8 + 1 + 1 + 1 + 1 + 4 + 4 + 8 + 8 + 1 + 1 + 1;
    const byte minus_two[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE };
    TAP_OK (n == at + 24 && memcmp (got + at, minus_two, 8) == 0,
            "TASK_INFO times are two's complement big-endian");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_HEARTBEAT);
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == 4 && memcmp (got, "ZT\x01\x29", 4) == 0, "HEARTBEAT is the bare 4-byte header");
    zmsg_destroy (&msg);

    ztask_msg_reset (m, ZTASK_MSG_DRAIN);
    msg = ztask_msg_encode (m);
    n = s_header (msg, got, sizeof got);
    TAP_OK (n == 4 && memcmp (got, "ZT\x01\x2D", 4) == 0 && zmsg_size (msg) == 1,
            "DRAIN is the bare 4-byte header");
    zmsg_destroy (&msg);
    ztask_msg_destroy (&m);
}

static void
s_routing (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    const byte id[] = { 0, 0x6B, 0x8B, 0x45, 0x67 };

    s_fill (out, ZTASK_MSG_SUBMITTED);
    out->routing_id = zframe_new (id, sizeof id);
    zmsg_t *msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 2, "with a routing id, encode puts it first");
    TAP_OK (msg && zframe_size (zmsg_first (msg)) == sizeof id
                && memcmp (zframe_data (zmsg_first (msg)), id, sizeof id) == 0,
            "  byte for byte");
    TAP_OK (ztask_msg_decode (in, &msg, true) == 0, "decode with routing takes it off");
    TAP_OK (in->routing_id && zframe_eq (in->routing_id, out->routing_id), "  into routing_id");
    TAP_OK (in->command == ZTASK_MSG_SUBMITTED && in->task_id == out->task_id, "  and decodes the rest");

    s_fill (out, ZTASK_MSG_RESULT);
    out->routing_id = zframe_new (id, sizeof id);
    msg = ztask_msg_encode (out);
    TAP_OK (msg && zmsg_size (msg) == 3, "a routed RESULT is id, header, body");
    TAP_OK (ztask_msg_decode (in, &msg, true) == 0 && in->body && zframe_size (in->body) == sizeof s_body,
            "  and decodes with its body");
    zframe_destroy (&out->routing_id);

    /* Only a routing id, nothing else. */
    msg = zmsg_new ();
    zmsg_addmem (msg, id, sizeof id);
    TAP_OK (ztask_msg_decode (in, &msg, true) == -2, "a routing id alone is malformed");
    msg = zmsg_new ();
    TAP_OK (ztask_msg_decode (in, &msg, true) == -2, "an empty message with routing is malformed");

    /* Without routing, an identity frame in front is a wrong signature. */
    s_fill (out, ZTASK_MSG_STATS);
    out->routing_id = zframe_new (id, sizeof id);
    msg = ztask_msg_encode (out);
    TAP_OK (ztask_msg_decode (in, &msg, false) == -2, "a routed message decoded without routing is malformed");

    /* Routing, version mismatch: -3 and the routing id is kept for the answer. */
    const byte v2[] = { 'Z', 'T', 2, 4, 0, 0, 0, 1 };
    msg = zmsg_new ();
    zmsg_addmem (msg, id, sizeof id);
    zmsg_addmem (msg, v2, sizeof v2);
    TAP_OK (ztask_msg_decode (in, &msg, true) == -3, "another version with routing: -3");
    TAP_OK (in->routing_id && zframe_size (in->routing_id) == sizeof id, "  with routing_id set to answer");

    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

/* ztask_msg_send / ztask_msg_recv over a real DEALER -> ROUTER pair: the
   same messages and the same refusals as encode / decode. */
static void
s_sockets (void)
{
    zsock_t *router = zsock_new_router ("inproc://msg-test");
    zsock_t *dealer = zsock_new_dealer (">inproc://msg-test");
    assert (router && dealer);
    zsock_set_rcvtimeo (router, 2000);
    zsock_set_rcvtimeo (dealer, 2000);
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();

    s_fill (out, ZTASK_MSG_RESULT);
    TAP_OK (ztask_msg_send (out, dealer) == 0, "sockets: a RESULT is sent");
    TAP_OK (ztask_msg_recv (in, router, true) == 0 && in->command == ZTASK_MSG_RESULT
                && in->task_id == out->task_id && streq (in->error, out->error) && in->routing_id
                && in->body && zframe_size (in->body) == sizeof s_body
                && memcmp (zframe_data (in->body), s_body, sizeof s_body) == 0,
            "sockets: received on the ROUTER with its routing id and body");

    /* Back through the routing id it came with. */
    s_fill (out, ZTASK_MSG_TASK_INFO);
    out->flags |= ZTASK_FLAG_RESULT;
    out->routing_id = zframe_dup (in->routing_id);
    TAP_OK (ztask_msg_send (out, router) == 0, "sockets: a TASK_INFO with a result goes back by routing id");
    zframe_destroy (&out->routing_id);
    TAP_OK (ztask_msg_recv (in, dealer, false) == 0 && in->command == ZTASK_MSG_TASK_INFO
                && in->task_id == out->task_id && in->routing_id == NULL && in->body
                && zframe_size (in->body) == sizeof s_body,
            "sockets: and arrives whole on the DEALER");

    /* Three frames after the routing id, and a header alone where a body
       belongs: malformed, and the next message still decodes. */
    zstr_sendx (dealer, "ZT", "x", "y", NULL);
    TAP_OK (ztask_msg_recv (in, router, true) == -2 && in->routing_id, "sockets: 3 frames are malformed");
    s_fill (out, ZTASK_MSG_RESULT);
    byte header[ZTASK_HEADER_MAX];
    size_t size = ztask_msg_encode_header (out, header);
    zsock_send (dealer, "b", header, size);
    TAP_OK (ztask_msg_recv (in, router, true) == -2, "sockets: a RESULT without its body is malformed");
    s_fill (out, ZTASK_MSG_STATS);
    TAP_OK (ztask_msg_send (out, dealer) == 0 && ztask_msg_recv (in, router, true) == 0
                && in->command == ZTASK_MSG_STATS && in->body == NULL,
            "sockets: the next message decodes");

    zsock_set_rcvtimeo (router, 10);
    TAP_OK (ztask_msg_recv (in, router, true) == -1, "sockets: nothing waiting: -1");
    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

/* A SUBMIT header with type replaced by the given string bytes. */
static size_t
s_submit_with_type (byte *buffer, const char *type, size_t type_len, size_t claimed)
{
    size_t n = 0;
    memcpy (buffer, "ZT\x01\x01\x00\x00\x00\x01", 8);
    n = 8;
    buffer[n++] = (byte) claimed;
    memcpy (buffer + n, type, type_len);
    n += type_len;
    buffer[n++] = 5;                      /* priority     */
    memset (buffer + n, 0, 8);            /* timeout, max */
    n += 8;
    buffer[n++] = 0;                      /* key ""       */
    return n;
}

static void
s_malformed (void)
{
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    byte header[65536 + 16];

    zmsg_t *msg = zmsg_new ();
    TAP_OK (ztask_msg_decode (in, &msg, false) == -2 && msg == NULL, "an empty message is malformed");
    msg = NULL;
    TAP_OK (ztask_msg_decode (in, &msg, false) == -2, "no message at all is malformed");
    TAP_OK (s_decode (in, "", 0, 0) == -2, "an empty header frame is malformed");

    TAP_OK (s_decode (in, "ZX\x01\x04\x00\x00\x00\x01", 8, 0) == -2, "a wrong signature is malformed");
    TAP_OK (s_decode (in, "zt\x01\x04\x00\x00\x00\x01", 8, 0) == -2, "  (it is case-sensitive)");
    TAP_OK (s_decode (in, "ZT\x01\x04\x00\x00\x00\x01", 8, 0) == 0, "  the same with ZT decodes");

    const int unknown[] = { 0, 8, 19, 25, 39, 46, 59, 64, 255 };
    bool all = true;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        byte h[] = { 'Z', 'T', 1, (byte) unknown[i], 0, 0, 0, 1 };
        for (int bodies = 0; bodies <= 1; bodies++)
            if (s_decode (in, h, sizeof h, bodies) != -2) {
                printf ("#   command %d accepted\n", unknown[i]);
                all = false;
            }
    }
    TAP_OK (all, "unknown commands are malformed");

    /* Every command, truncated at every length, and with a byte too many. */
    for (size_t s = 0; s < SPEC_COUNT; s++) {
        const spec_t *spec = &s_spec[s];
        s_fill (out, spec->command);
        zmsg_t *full = ztask_msg_encode (out);
        size_t n = s_header (full, header, sizeof header);
        zmsg_destroy (&full);
        int bodies = s_bodies (spec, out->flags);
        TAP_OK (s_decode (in, header, n, bodies) == 0, "%s: the full header decodes", spec->name);
        bool refused = true;
        for (size_t len = 0; len < n; len++)
            if (s_decode (in, header, len, bodies) != -2) {
                printf ("#   %zu of %zu bytes accepted\n", len, n);
                refused = false;
            }
        TAP_OK (refused, "  truncated at each of %zu lengths: malformed", n);
        header[n] = 0;
        TAP_OK (s_decode (in, header, n + 1, bodies) == -2, "  with a trailing byte: malformed");
        TAP_OK (in->command == 0, "  (command cleared after a malformed decode)");
        if (spec->body == 1) {
            TAP_OK (s_decode (in, header, n, 0) == -2, "  without its body: malformed");
            TAP_OK (s_decode (in, header, n, 2) == -2, "  with two bodies (3 frames): malformed");
        }
        else if (spec->body == 0) {
            TAP_OK (s_decode (in, header, n, 1) == -2, "  with a body: malformed");
            TAP_OK (s_decode (in, header, n, 2) == -2, "  with 3 frames: malformed");
        }
    }

    /* TASK_INFO: the body follows flags & 1. */
    s_fill (out, ZTASK_MSG_TASK_INFO);
    out->flags = 0;
    zmsg_t *full = ztask_msg_encode (out);
    size_t n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 1) == -2, "TASK_INFO without the result flag but with a body: malformed");
    out->flags = ZTASK_FLAG_RESULT;
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 0) == -2, "TASK_INFO with the result flag but no body: malformed");
    TAP_OK (s_decode (in, header, n, 2) == -2, "TASK_INFO with two bodies: malformed");

    /* Strings. */
    n = s_submit_with_type (header, "echo", 4, 4);
    TAP_OK (s_decode (in, header, n, 1) == 0 && streq (in->type, "echo"), "a hand-built SUBMIT decodes");
    n = s_submit_with_type (header, "echo", 4, 200);
    TAP_OK (s_decode (in, header, n, 1) == -2, "a string length past the end: malformed");
    n = s_submit_with_type (header, "echo", 4, 3);
    TAP_OK (s_decode (in, header, n, 1) == -2, "a string length short of the string: malformed");
    n = s_submit_with_type (header, "ec\0o", 4, 4);
    TAP_OK (s_decode (in, header, n, 1) == -2, "an embedded NUL in a string: malformed");
    n = s_submit_with_type (header, "echo\0", 5, 5);
    TAP_OK (s_decode (in, header, n, 1) == -2, "a trailing NUL in a string: malformed");

    static const struct {
        const char *bytes;
        const char *what;
        bool valid;
    } utf8[] = {
        { "\xC3\xBC", "2-byte U+00FC", true },
        { "\xE2\x82\xAC", "3-byte U+20AC", true },
        { "\xF0\x9F\x98\x80", "4-byte U+1F600", true },
        { "\xED\x9F\xBF", "U+D7FF, below the surrogates", true },
        { "\xEE\x80\x80", "U+E000, above the surrogates", true },
        { "\xEF\xBF\xBF", "U+FFFF", true },
        { "\xF4\x8F\xBF\xBF", "U+10FFFF, the last code point", true },
        { "\xC0\xAF", "overlong 2-byte '/'", false },
        { "\xC1\xBF", "overlong 2-byte U+007F", false },
        { "\xE0\x80\xAF", "overlong 3-byte '/'", false },
        { "\xE0\x9F\xBF", "overlong 3-byte U+07FF", false },
        { "\xF0\x80\x80\xAF", "overlong 4-byte '/'", false },
        { "\xF0\x8F\xBF\xBF", "overlong 4-byte U+FFFF", false },
        { "\xC0\x80", "overlong NUL", false },
        { "\xED\xA0\x80", "surrogate U+D800", false },
        { "\xED\xBF\xBF", "surrogate U+DFFF", false },
        { "\xF4\x90\x80\x80", "past U+10FFFF", false },
        { "\xC3\x28", "bad continuation byte", false },
        { "\xE2\x28\xA1", "bad second byte of three", false },
        { "\xE2\x82\x28", "bad third byte of three", false },
        { "\xF0\x9F\x98\x28", "bad fourth byte of four", false },
        { "\x80", "a lone continuation byte", false },
        { "a\xE2\x82", "a sequence cut by the string's end", false },
        { "\xC3", "a lone lead byte", false },
        { "\xF8\x88\x80\x80\x80", "a 5-byte form", false },
        { "\xFE", "byte 0xFE", false },
        { "\xFF", "byte 0xFF", false },
    };
    for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
        size_t len = strlen (utf8[i].bytes);
        n = s_submit_with_type (header, utf8[i].bytes, len, len);
        int rc = s_decode (in, header, n, 1);
        if (utf8[i].valid)
            TAP_OK (rc == 0 && streq (in->type, utf8[i].bytes), "UTF-8 %s: accepted", utf8[i].what);
        else
            TAP_OK (rc == -2, "UTF-8 %s: malformed", utf8[i].what);
    }

    /* Plugins. A REGISTER with name "w", host "", instance "", and an
       empty running list (its last two bytes). */
    ztask_msg_reset (out, ZTASK_MSG_REGISTER);
    strcpy (out->name, "w");
    out->slots = 1;
    out->priorities = 1;
    out->plugin_count = ZTASK_PLUGINS_MAX;
    for (size_t i = 0; i < out->plugin_count; i++)
        strcpy (out->plugins[i].name, "p");
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->plugin_count == ZTASK_PLUGINS_MAX,
            "%d plugins decode", ZTASK_PLUGINS_MAX);
    size_t count_at = 4 + 2 + 1 + 1 + 2 + 2;
    TAP_OK (header[count_at] == ZTASK_PLUGINS_MAX && header[n - 2] == 0 && header[n - 1] == 0,
            "  (the plugin count is where expected, the empty running list last)");
    /* One more plugin, written by hand: count 65 and a 65th entry before
       the running list. */
    header[count_at] = ZTASK_PLUGINS_MAX + 1;
    memcpy (header + n - 2, "\x01p\x00\x00\x00", 5);
    TAP_OK (s_decode (in, header, n + 3, 0) == -2, "%d plugins: malformed", ZTASK_PLUGINS_MAX + 1);
    memcpy (header + n - 2, "\x00\x00", 2);
    header[count_at] = 255;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a plugin count of 255: malformed");
    header[count_at] = ZTASK_PLUGINS_MAX;
    TAP_OK (s_decode (in, header, n, 0) == 0, "  (restored, it decodes again)");
    header[n - 5] = 0xFF; /* the last plugin's name "p" becomes invalid UTF-8 */
    TAP_OK (s_decode (in, header, n, 0) == -2, "a plugin name that is not UTF-8: malformed");

    /* The instance string: checked like every string. */
    strcpy (out->instance, "u");
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    size_t instance_at = 4 + 2 + 1;
    TAP_OK (header[instance_at] == 1 && header[instance_at + 1] == 'u' && s_decode (in, header, n, 0) == 0
                && streq (in->instance, "u"),
            "the instance follows the host");
    header[instance_at + 1] = 0x80;
    TAP_OK (s_decode (in, header, n, 0) == -2, "an instance that is not UTF-8: malformed");
    header[instance_at + 1] = 0;
    TAP_OK (s_decode (in, header, n, 0) == -2, "an instance with a NUL: malformed");

    /* Running tasks: up to 1024 entries of task_id u64, attempt u32. */
    out->instance[0] = 0;
    out->plugin_count = 1;
    out->running_count = ZTASK_RUNNING_MAX;
    for (size_t i = 0; i < out->running_count; i++) {
        out->running[i].task_id = i + 1;
        out->running[i].attempt = 1;
    }
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->running_count == ZTASK_RUNNING_MAX
                && in->running[ZTASK_RUNNING_MAX - 1].task_id == ZTASK_RUNNING_MAX,
            "%d running tasks decode", ZTASK_RUNNING_MAX);
    size_t running_at = n - 12 * ZTASK_RUNNING_MAX - 2;
    TAP_OK (header[running_at] == ZTASK_RUNNING_MAX >> 8 && header[running_at + 1] == (ZTASK_RUNNING_MAX & 0xFF),
            "  (the running count is where expected, a u16)");
    /* 1025: the count and one more entry, written by hand. */
    header[running_at + 1] = (ZTASK_RUNNING_MAX + 1) & 0xFF;
    memcpy (header + n, "\x00\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x01", 12);
    TAP_OK (s_decode (in, header, n + 12, 0) == -2, "%d running tasks: malformed", ZTASK_RUNNING_MAX + 1);
    header[running_at] = 0xFF;
    header[running_at + 1] = 0xFF;
    TAP_OK (s_decode (in, header, n, 0) == -2, "a running count of 65535: malformed");
    header[running_at] = ZTASK_RUNNING_MAX >> 8;
    header[running_at + 1] = ZTASK_RUNNING_MAX & 0xFF;
    TAP_OK (s_decode (in, header, n, 0) == 0, "  (restored, it decodes again)");
    /* Two running tasks, cut inside the second entry. */
    out->running_count = 2;
    full = ztask_msg_encode (out);
    n = s_header (full, header, sizeof header);
    zmsg_destroy (&full);
    TAP_OK (s_decode (in, header, n, 0) == 0 && in->running_count == 2, "2 running tasks decode");
    TAP_OK (s_decode (in, header, n - 4, 0) == -2, "  without the last attempt: malformed");
    TAP_OK (s_decode (in, header, n - 1, 0) == -2, "  cut one byte short: malformed");
    TAP_OK (s_decode (in, header, n - 12, 0) == -2, "  with the count 2 but one entry: malformed");
    memcpy (header + n, "\x00\x00\x00\x01", 4);
    TAP_OK (s_decode (in, header, n + 4, 0) == -2, "  with 4 bytes after the last entry: malformed");
    header[n - 25] = 1; /* the count says 1: one entry too many follows */
    TAP_OK (s_decode (in, header, n, 0) == -2, "  with the count 1 but two entries: malformed");
    header[n - 25] = 0;
    TAP_OK (s_decode (in, header, n - 24, 0) == 0 && in->running_count == 0,
            "  with the count 0 and the entries cut off: decodes, nothing running");

    /* Versions. */
    TAP_OK (s_decode (in, "ZT\x02\x04\x00\x00\x00\x01", 8, 0) == -3, "version 2: -3");
    TAP_OK (s_decode (in, "ZT\x00\x04\x00\x00\x00\x01", 8, 0) == -3, "version 0: -3");
    TAP_OK (s_decode (in, "ZT\xFF\xEE", 4, 1) == -3, "another version is not parsed further: -3");
    TAP_OK (s_decode (in, "ZX\x02\x04", 4, 0) == -2, "a wrong signature with another version: malformed");

    /* The message object is reusable after all that. */
    s_fill (out, ZTASK_MSG_PROGRESS);
    msg = ztask_msg_encode (out);
    TAP_OK (ztask_msg_decode (in, &msg, false) == 0 && in->progress_done == UINT64_MAX,
            "a good message decodes after malformed ones");

    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

static void
s_strcpy (void)
{
    char field[ZTASK_STRING_MAX + 1];
    char src[600];

    ztask_msg_strcpy (field, "short");
    TAP_OK (streq (field, "short"), "strcpy copies a short string");
    memset (field, 'x', sizeof field);
    ztask_msg_strcpy (field, NULL);
    TAP_OK (field[0] == 0, "strcpy of NULL gives \"\"");

    memset (src, 'a', ZTASK_STRING_MAX);
    src[ZTASK_STRING_MAX] = 0;
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == ZTASK_STRING_MAX, "a string of exactly %d bytes is kept whole", ZTASK_STRING_MAX);

    memset (src, 'a', 500);
    src[500] = 0;
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == ZTASK_STRING_MAX, "a 500-byte ASCII string is cut to %d", ZTASK_STRING_MAX);

    /* 254 ASCII + a 3-byte character straddling byte 255: cut before it. */
    memset (src, 'a', 254);
    strcpy (src + 254, "\xE2\x82\xAC" "tail");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 254 && field[253] == 'a', "a 3-byte character across the limit is left out whole");

    /* 253 ASCII + € ends exactly at 256 bytes: still too long, cut to 253. */
    memset (src, 'a', 253);
    strcpy (src + 253, "\xE2\x82\xAC");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 253, "a character that would end at byte 256 is left out");

    /* 252 ASCII + €: exactly 255 bytes, kept. */
    memset (src, 'a', 252);
    strcpy (src + 252, "\xE2\x82\xAC");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 255 && streq (field + 252, "\xE2\x82\xAC"),
            "a character ending at byte 255 is kept");

    /* Only 4-byte characters: 63 of them fit (252 bytes). */
    src[0] = 0;
    for (int i = 0; i < 100; i++)
        strcat (src, "\xF0\x9F\x98\x80");
    ztask_msg_strcpy (field, src);
    TAP_OK (strlen (field) == 252, "4-byte characters are cut at a character boundary (252 bytes)");

    /* What strcpy cuts still encodes and decodes as valid UTF-8. */
    ztask_msg_t *out = ztask_msg_new ();
    ztask_msg_t *in = ztask_msg_new ();
    ztask_msg_reset (out, ZTASK_MSG_ERROR);
    ztask_msg_strcpy (out->text, src);
    zmsg_t *msg = ztask_msg_encode (out);
    TAP_OK (msg && ztask_msg_decode (in, &msg, false) == 0 && streq (in->text, out->text),
            "  and the cut string round trips");
    ztask_msg_destroy (&out);
    ztask_msg_destroy (&in);
}

static void
s_names (void)
{
    TAP_OK (streq (ztask_msg_command_name (ZTASK_MSG_TASK_INFO), "TASK_INFO"), "command names");
    TAP_OK (streq (ztask_msg_command_name (99), "UNKNOWN"), "  UNKNOWN for others");
    TAP_OK (streq (ztask_msg_error_name (ZTASK_ERR_QUEUE_FULL), "queue full"), "error names");
    TAP_OK (streq (ztask_msg_error_name (ZTASK_ERR_TOO_LARGE), "too large"), "  too large");
    TAP_OK (streq (ztask_msg_error_name (ZTASK_ERR_NOT_FOUND), "not found"), "  not found");
    TAP_OK (streq (ztask_msg_error_name (999), "unknown error"), "  unknown error for others");
}

int
main (void)
{
    /* The longest string field: 255 bytes, multi-byte characters included. */
    memset (s_long, 'k', ZTASK_STRING_MAX);
    memcpy (s_long, "\xE2\x82\xAC", 3);
    memcpy (s_long + ZTASK_STRING_MAX - 4, "\xF0\x9F\x98\x80", 4);
    s_long[ZTASK_STRING_MAX] = 0;

    s_round_trips ();
    s_layout ();
    s_routing ();
    s_sockets ();
    s_malformed ();
    s_strcpy ();
    s_names ();
    return tap_done ();
}
