/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_msg - the ztask wire protocol codec. The grammar is in
    docs/protocol.md; s_commands below is the same table in code. */
#include "ztask_msg.h"
#include "common/ztask_utf8.h"

#include <string.h>


/* Field codes: each command's fields, in wire order (s_number_field and
   s_string_field name the scalar codes; the lists are L plugins, R running
   tasks, B labels, Q resources, G requirements, F parents (the mode, then
   ids and states) and z parents' result sizes; J is the one text field,
   a string with a u16 length). */
typedef struct {
    int command;
    const char *name;
    const char *fields;      /* '|': the fields after it may be missing (an older peer's header);
                                '?': the same, and left out when they are all 0 / "", so that an
                                older peer can read the message whenever they are unused */
    int body; /* 0 none, 1 required, 2 iff flags & ZTASK_FLAG_RESULT */
} command_t;

/* Indexed by command id (every id is below 64); name NULL: no such command. */
static const command_t s_commands[64] = {
    [ZTASK_MSG_SUBMIT] = { ZTASK_MSG_SUBMIT, "SUBMIT", "cTpomK?4?GVJM?56?F", 1 },
    [ZTASK_MSG_STATUS] = { ZTASK_MSG_STATUS, "STATUS", "cif", 0 },
    [ZTASK_MSG_WAIT] = { ZTASK_MSG_WAIT, "WAIT", "ci", 0 },
    [ZTASK_MSG_STATS] = { ZTASK_MSG_STATS, "STATS", "c", 0 },
    [ZTASK_MSG_WORKERS] = { ZTASK_MSG_WORKERS, "WORKERS", "c", 0 },
    [ZTASK_MSG_CANCEL] = { ZTASK_MSG_CANCEL, "CANCEL", "ci", 0 },
    [ZTASK_MSG_LIST] = { ZTASK_MSG_LIST, "LIST", "cSn|Ti", 0 },
    [ZTASK_MSG_SUBMIT_WAIT] = { ZTASK_MSG_SUBMIT_WAIT, "SUBMIT_WAIT", "cTpomK?4?GVJM?56?F", 1 },
    [ZTASK_MSG_METRICS] = { ZTASK_MSG_METRICS, "METRICS", "cf", 2 },
    [ZTASK_MSG_RETRY] = { ZTASK_MSG_RETRY, "RETRY", "ciSTn1", 0 },
    [ZTASK_MSG_PURGE] = { ZTASK_MSG_PURGE, "PURGE", "cST3", 0 },
    [ZTASK_MSG_PAUSE] = { ZTASK_MSG_PAUSE, "PAUSE", "cT", 0 },
    [ZTASK_MSG_RESUME] = { ZTASK_MSG_RESUME, "RESUME", "cT", 0 },
    [ZTASK_MSG_HISTORY] = { ZTASK_MSG_HISTORY, "HISTORY", "ci", 0 },
    [ZTASK_MSG_SCHEDULE_ADD] = { ZTASK_MSG_SCHEDULE_ADD, "SCHEDULE_ADD", "cNTpomXZf", 1 },
    [ZTASK_MSG_SCHEDULES] = { ZTASK_MSG_SCHEDULES, "SCHEDULES", "cN", 0 },
    [ZTASK_MSG_SCHEDULE_PAUSE] = { ZTASK_MSG_SCHEDULE_PAUSE, "SCHEDULE_PAUSE", "cN", 0 },
    [ZTASK_MSG_SCHEDULE_RESUME] = { ZTASK_MSG_SCHEDULE_RESUME, "SCHEDULE_RESUME", "cN", 0 },
    [ZTASK_MSG_SCHEDULE_REMOVE] = { ZTASK_MSG_SCHEDULE_REMOVE, "SCHEDULE_REMOVE", "cN", 0 },
    [ZTASK_MSG_BATCH] = { ZTASK_MSG_BATCH, "BATCH", "cnTpomK?GVJM?56", 1 },
    [ZTASK_MSG_BATCH_STATUS] = { ZTASK_MSG_BATCH_STATUS, "BATCH_STATUS", "ci", 0 },
    [ZTASK_MSG_SUBMITTED] = { ZTASK_MSG_SUBMITTED, "SUBMITTED", "cif", 0 },
    [ZTASK_MSG_TASK_INFO] = { ZTASK_MSG_TASK_INFO, "TASK_INFO", "cifTpSamdDXWE123?4?GVJM?AY?567?F", 2 },
    [ZTASK_MSG_PROGRESS] = { ZTASK_MSG_PROGRESS, "PROGRESS", "cidDX", 0 },
    [ZTASK_MSG_JSON] = { ZTASK_MSG_JSON, "JSON", "c", 1 },
    [ZTASK_MSG_ERROR] = { ZTASK_MSG_ERROR, "ERROR", "ceX", 0 },
    [ZTASK_MSG_REGISTER] = { ZTASK_MSG_REGISTER, "REGISTER", "NHUlPLR|BQ", 0 },
    [ZTASK_MSG_HEARTBEAT] = { ZTASK_MSG_HEARTBEAT, "HEARTBEAT", "", 0 },
    [ZTASK_MSG_WORKER_PROGRESS] = { ZTASK_MSG_WORKER_PROGRESS, "WORKER_PROGRESS", "iadDX", 0 },
    [ZTASK_MSG_RESULT] = { ZTASK_MSG_RESULT, "RESULT", "iarE?8", 1 },
    [ZTASK_MSG_GOODBYE] = { ZTASK_MSG_GOODBYE, "GOODBYE", "", 0 },
    [ZTASK_MSG_DRAIN] = { ZTASK_MSG_DRAIN, "DRAIN", "", 0 },
    [ZTASK_MSG_REGISTERED] = { ZTASK_MSG_REGISTERED, "REGISTERED", "h", 0 },
    [ZTASK_MSG_TASK] = { ZTASK_MSG_TASK, "TASK", "iaTpo?z", 1 },
    [ZTASK_MSG_RESULT_ACK] = { ZTASK_MSG_RESULT_ACK, "RESULT_ACK", "ia", 0 },
    [ZTASK_MSG_CANCEL_TASK] = { ZTASK_MSG_CANCEL_TASK, "CANCEL_TASK", "ia", 0 },
};

static const command_t *
s_command (int command)
{
    int count = (int) (sizeof s_commands / sizeof s_commands[0]);
    if (command < 0 || command >= count || !s_commands[command].name)
        return NULL;
    return &s_commands[command];
}

const char *
ztask_msg_command_name (int command)
{
    const command_t *c = s_command (command);
    return c ? c->name : "UNKNOWN";
}

const char *
ztask_msg_error_name (int status)
{
    switch (status) {
    case ZTASK_ERR_BAD_REQUEST: return "bad request";
    case ZTASK_ERR_NOT_FOUND: return "not found";
    case ZTASK_ERR_QUEUE_FULL: return "queue full";
    case ZTASK_ERR_TOO_LARGE: return "too large";
    case ZTASK_ERR_NOT_REGISTERED: return "not registered";
    case ZTASK_ERR_INTERNAL: return "internal error";
    case ZTASK_ERR_VERSION: return "protocol version mismatch";
    case ZTASK_ERR_UNAVAILABLE: return "store unavailable";
    case ZTASK_ERR_NOT_LEADER: return "not the leader";
    default: return "unknown error";
    }
}

ztask_msg_t *
ztask_msg_new (void)
{
    ztask_msg_t *self = (ztask_msg_t *) zmalloc (sizeof (ztask_msg_t));
    assert (self);
    self->plugins = (ztask_msg_plugin_t *) zmalloc (ZTASK_PLUGINS_MAX * sizeof (ztask_msg_plugin_t));
    self->running = (ztask_msg_running_t *) zmalloc (ZTASK_RUNNING_MAX * sizeof (ztask_msg_running_t));
    self->labels = (ztask_msg_label_t *) zmalloc (ZTASK_LABELS_MAX * sizeof (ztask_msg_label_t));
    self->resources = (ztask_msg_resource_t *) zmalloc (ZTASK_RESOURCES_MAX * sizeof (ztask_msg_resource_t));
    self->require = (char (*)[ZTASK_STRING_MAX + 1]) zmalloc (ZTASK_REQUIRES_MAX * (ZTASK_STRING_MAX + 1));
    self->parents = (ztask_msg_parent_t *) zmalloc (ZTASK_PARENTS_MAX * sizeof (ztask_msg_parent_t));
    assert (self->plugins && self->running && self->labels && self->resources && self->require && self->parents);
    return self;
}

void
ztask_msg_destroy (ztask_msg_t **self_p)
{
    assert (self_p);
    ztask_msg_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->routing_id);
        zframe_destroy (&self->body);
        free (self->plugins);
        free (self->running);
        free (self->labels);
        free (self->resources);
        free (self->require);
        free (self->parents);
        free (self);
        *self_p = NULL;
    }
}

void
ztask_msg_reset (ztask_msg_t *self, int command)
{
    zframe_destroy (&self->routing_id);
    zframe_destroy (&self->body);
    /* The numbers are cleared; each string (2 KB in all) only needs its
       first byte, which keeps this cheap for every message sent or read. */
    memset (self, 0, offsetof (ztask_msg_t, type));
    self->type[0] = self->key[0] = self->name[0] = self->host[0] = 0;
    self->worker[0] = self->text[0] = self->error[0] = self->instance[0] = 0;
    self->version[0] = self->limit_name[0] = self->waiting[0] = self->waiting_text[0] = self->needs[0] = 0;
    self->tz[0] = 0;
    self->require_count = 0;
    self->plugin_count = 0;
    self->running_count = 0;
    self->label_count = 0;
    self->resource_count = 0;
    self->command = command;
}

void
ztask_msg_set_body (ztask_msg_t *self, const void *data, size_t size)
{
    zframe_destroy (&self->body);
    self->body = zframe_new (data, size);
    assert (self->body);
}

/* Length of the longest prefix of src, at most ZTASK_STRING_MAX bytes,
   that does not cut a UTF-8 sequence in two. */
static size_t
s_utf8_prefix (const char *src)
{
    size_t len = strnlen (src, ZTASK_STRING_MAX + 1);
    if (len <= ZTASK_STRING_MAX)
        return len;
    len = ZTASK_STRING_MAX;
    while (len > 0 && ((unsigned char) src[len] & 0xC0) == 0x80)
        len--;
    return len;
}

void
ztask_msg_strcpy (char *field, const char *src)
{
    size_t len = src ? s_utf8_prefix (src) : 0;
    if (len) /* memcpy from NULL is undefined even for 0 bytes */
        memcpy (field, src, len);
    field[len] = 0;
    /* Bytes that are not UTF-8 (a plugin's error text in Latin-1) become
       '?': a peer drops a message whose strings are not UTF-8, and a
       result that can never be delivered would be sent again forever. */
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ztask_utf8_next (field + i, len - i, &cp);
        if (n == 0) {
            field[i++] = '?';
            continue;
        }
        i += n;
    }
}

/* ---- encoding ---- */

typedef struct {
    byte *data;
    size_t size;
    bool overflow;
} writer_t;

static void
s_put (writer_t *w, const void *src, size_t n)
{
    if (w->overflow || w->size + n > ZTASK_HEADER_MAX) {
        w->overflow = true;
        return;
    }
    memcpy (w->data + w->size, src, n);
    w->size += n;
}

static void
s_put_uint (writer_t *w, uint64_t value, int bytes)
{
    byte buf[8];
    for (int i = bytes - 1; i >= 0; i--) {
        buf[i] = (byte) (value & 0xFF);
        value >>= 8;
    }
    s_put (w, buf, (size_t) bytes);
}

static void
s_put_string (writer_t *w, const char *s)
{
    size_t len = strnlen (s, ZTASK_STRING_MAX + 1);
    if (len > ZTASK_STRING_MAX) {
        w->overflow = true;
        return;
    }
    s_put_uint (w, len, 1);
    s_put (w, s, len);
}

static char *
s_string_field (ztask_msg_t *self, char code)
{
    switch (code) {
    case 'T': return self->type;
    case 'K': return self->key;
    case 'N': return self->name;
    case 'H': return self->host;
    case 'W': return self->worker;
    case 'X': return self->text;
    case 'E': return self->error;
    case 'U': return self->instance;
    case 'V': return self->version;
    case 'M': return self->limit_name;
    case 'A': return self->waiting;
    case 'Y': return self->waiting_text;
    case 'Z': return self->tz;
    default: return NULL;
    }
}

/* Width in bytes and address of each numeric field. */
static void *
s_number_field (ztask_msg_t *self, char code, int *bytes)
{
    switch (code) {
    case 'c': *bytes = 4; return &self->corr;
    case 'i': *bytes = 8; return &self->task_id;
    case 'a': *bytes = 4; return &self->attempt;
    case 'p': *bytes = 1; return &self->priority;
    case 'S': *bytes = 1; return &self->state;
    case 'f': *bytes = 1; return &self->flags;
    case 'r': *bytes = 1; return &self->status;
    case 'e': *bytes = 2; return &self->error_status;
    case 'l': *bytes = 2; return &self->slots;
    case 'P': *bytes = 2; return &self->priorities;
    case 'o': *bytes = 4; return &self->timeout_ms;
    case 'm': *bytes = 4; return &self->max_attempts;
    case 'h': *bytes = 4; return &self->heartbeat_ms;
    case 'n': *bytes = 4; return &self->limit;
    case 'd': *bytes = 8; return &self->progress_done;
    case 'D': *bytes = 8; return &self->progress_total;
    case '1': *bytes = 8; return &self->created_ms;
    case '2': *bytes = 8; return &self->started_ms;
    case '3': *bytes = 8; return &self->finished_ms;
    case '4': *bytes = 8; return &self->due_ms;
    case '5': *bytes = 4; return &self->retry_min_ms;
    case '6': *bytes = 4; return &self->retry_max_ms;
    case '7': *bytes = 8; return &self->next_attempt_ms;
    case '8': *bytes = 4; return &self->retry_after_ms;
    default: return NULL;
    }
}

static uint64_t
s_load (void *field, int bytes)
{
    switch (bytes) {
    case 1: return *(uint8_t *) field;
    case 2: return *(uint16_t *) field;
    case 4: return *(uint32_t *) field;
    default: return *(uint64_t *) field;
    }
}

static void
s_store (void *field, int bytes, uint64_t value)
{
    switch (bytes) {
    case 1: *(uint8_t *) field = (uint8_t) value; break;
    case 2: *(uint16_t *) field = (uint16_t) value; break;
    case 4: *(uint32_t *) field = (uint32_t) value; break;
    default: *(uint64_t *) field = value; break;
    }
}

/* A text field: a string of up to ZTASK_TEXT_MAX bytes, its length a u16. */
static void
s_put_text (writer_t *w, const char *s)
{
    size_t len = strnlen (s, ZTASK_TEXT_MAX + 1);
    if (len > ZTASK_TEXT_MAX) {
        w->overflow = true;
        return;
    }
    s_put_uint (w, len, 2);
    s_put (w, s, len);
}

/* True if every field of fields is 0 / "" / empty (the markers between
   them aside). */
static bool
s_unused (ztask_msg_t *self, const char *fields)
{
    for (const char *f = fields; *f; f++) {
        if (*f == '?' || *f == '|')
            continue;
        if (*f == 'G') {
            if (self->require_count)
                return false;
            continue;
        }
        if (*f == 'J') {
            if (self->needs[0])
                return false;
            continue;
        }
        if (*f == 'F' || *f == 'z') {
            if (*f == 'F' ? self->parent_count || self->after_any : self->parent_size_count)
                return false;
            continue;
        }
        int bytes;
        void *number = s_number_field (self, *f, &bytes);
        char *string = s_string_field (self, *f);
        if ((number && s_load (number, bytes)) || (string && *string) || (!number && !string))
            return false;
    }
    return true;
}

size_t
ztask_msg_encode_header (ztask_msg_t *self, byte *buffer)
{
    const command_t *cmd = s_command (self->command);
    if (!cmd || self->plugin_count > ZTASK_PLUGINS_MAX || self->running_count > ZTASK_RUNNING_MAX
        || self->label_count > ZTASK_LABELS_MAX || self->resource_count > ZTASK_RESOURCES_MAX
        || self->require_count > ZTASK_REQUIRES_MAX || self->parent_count > ZTASK_PARENTS_MAX
        || self->parent_size_count > ZTASK_PARENTS_MAX)
        return 0;
    writer_t w = { buffer, 0, false };
    s_put (&w, "ZT", 2);
    s_put_uint (&w, ZTASK_PROTO_VERSION, 1);
    s_put_uint (&w, (uint64_t) self->command, 1);
    for (const char *f = cmd->fields; *f; f++) {
        if (*f == '|')
            continue; /* written whole; only a reader takes a header without them */
        if (*f == '?') {
            if (s_unused (self, f + 1))
                break; /* the header an older peer reads */
            continue;
        }
        int bytes;
        void *number = s_number_field (self, *f, &bytes);
        char *string = s_string_field (self, *f);
        if (number)
            s_put_uint (&w, s_load (number, bytes), bytes);
        else if (string)
            s_put_string (&w, string);
        else if (*f == 'L') {
            s_put_uint (&w, self->plugin_count, 1);
            for (size_t i = 0; i < self->plugin_count; i++) {
                s_put_string (&w, self->plugins[i].name);
                s_put_string (&w, self->plugins[i].version);
            }
        }
        else if (*f == 'B') {
            s_put_uint (&w, self->label_count, 1);
            for (size_t i = 0; i < self->label_count; i++) {
                s_put_string (&w, self->labels[i].key);
                s_put_string (&w, self->labels[i].value);
            }
        }
        else if (*f == 'Q') {
            s_put_uint (&w, self->resource_count, 1);
            for (size_t i = 0; i < self->resource_count; i++) {
                s_put_string (&w, self->resources[i].name);
                s_put_uint (&w, self->resources[i].amount, 8);
            }
        }
        else if (*f == 'G') {
            s_put_uint (&w, self->require_count, 1);
            for (size_t i = 0; i < self->require_count; i++)
                s_put_string (&w, self->require[i]);
        }
        else if (*f == 'J')
            s_put_text (&w, self->needs);
        else if (*f == 'F') {
            s_put_uint (&w, self->after_any, 1);
            s_put_uint (&w, self->parent_count, 1);
            for (size_t i = 0; i < self->parent_count; i++) {
                s_put_uint (&w, self->parents[i].task_id, 8);
                s_put_uint (&w, self->parents[i].state, 1);
            }
        }
        else if (*f == 'z') {
            s_put_uint (&w, self->parent_size_count, 1);
            for (size_t i = 0; i < self->parent_size_count; i++)
                s_put_uint (&w, self->parent_sizes[i], 4);
        }
        else {
            assert (*f == 'R');
            s_put_uint (&w, self->running_count, 2);
            for (size_t i = 0; i < self->running_count; i++) {
                s_put_uint (&w, self->running[i].task_id, 8);
                s_put_uint (&w, self->running[i].attempt, 4);
            }
        }
    }
    return w.overflow ? 0 : w.size;
}

bool
ztask_msg_has_body (ztask_msg_t *self)
{
    const command_t *cmd = s_command (self->command);
    return cmd && (cmd->body == 1 || (cmd->body == 2 && (self->flags & ZTASK_FLAG_RESULT)));
}

static void
s_put_u32 (zchunk_t *chunk, size_t value)
{
    byte bytes[4] = { (byte) (value >> 24), (byte) (value >> 16), (byte) (value >> 8), (byte) value };
    zchunk_extend (chunk, bytes, 4);
}

int
ztask_msg_batch_append (ztask_msg_t *member, const void *payload, size_t size, zchunk_t *body)
{
    static __thread byte buffer[ZTASK_HEADER_MAX];
    size_t header = member->command == ZTASK_MSG_SUBMIT && size <= UINT32_MAX
                  ? ztask_msg_encode_header (member, buffer) : 0;
    if (!header)
        return -1;
    s_put_u32 (body, header);
    zchunk_extend (body, buffer, header);
    s_put_u32 (body, size);
    if (size)
        zchunk_extend (body, payload, size);
    return 0;
}

/* The u32 at body + *at, advanced past; -1 if it does not fit. */
static int64_t
s_get_u32 (const byte *body, size_t size, size_t *at)
{
    if (size - *at < 4)
        return -1;
    const byte *p = body + *at;
    *at += 4;
    return ((int64_t) p[0] << 24) | ((int64_t) p[1] << 16) | ((int64_t) p[2] << 8) | p[3];
}

int
ztask_msg_batch_next (ztask_msg_t *member, const byte *body, size_t size, size_t *at, const byte **payload,
                      size_t *payload_size)
{
    if (*at == size)
        return 0;
    int64_t header = s_get_u32 (body, size, at);
    if (header < 0 || (size_t) header > size - *at)
        return -2;
    int rc = ztask_msg_decode_header (member, body + *at, (size_t) header);
    *at += (size_t) header;
    if (rc != 0 || member->command != ZTASK_MSG_SUBMIT)
        return -2;
    int64_t length = s_get_u32 (body, size, at);
    if (length < 0 || (size_t) length > size - *at)
        return -2;
    *payload = body + *at;
    *payload_size = (size_t) length;
    *at += (size_t) length;
    return 1;
}

zmsg_t *
ztask_msg_encode (ztask_msg_t *self)
{
    static __thread byte buffer[ZTASK_HEADER_MAX];
    size_t size = ztask_msg_encode_header (self, buffer);
    if (!size)
        return NULL;
    zmsg_t *msg = zmsg_new ();
    if (self->routing_id)
        zmsg_append (msg, &(zframe_t *) { zframe_dup (self->routing_id) });
    zmsg_addmem (msg, buffer, size);
    if (ztask_msg_has_body (self)) {
        if (self->body)
            zmsg_addmem (msg, zframe_data (self->body), zframe_size (self->body));
        else
            zmsg_addmem (msg, NULL, 0);
    }
    return msg;
}

/* Sends straight from the encoded header and the body frame's bytes, with
   no czmq message in between. */
int
ztask_msg_send (ztask_msg_t *self, zsock_t *sock)
{
    static __thread byte buffer[ZTASK_HEADER_MAX];
    size_t size = ztask_msg_encode_header (self, buffer);
    if (!size) {
        errno = EINVAL;
        return -1;
    }
    void *handle = zsock_resolve (sock);
    bool with_body = ztask_msg_has_body (self);
    if (self->routing_id
        && zmq_send (handle, zframe_data (self->routing_id), zframe_size (self->routing_id), ZMQ_SNDMORE) < 0)
        return -1;
    /* Once the first frame is taken, the rest of the message is too. */
    if (zmq_send (handle, buffer, size, with_body ? ZMQ_SNDMORE : 0) < 0)
        return -1;
    if (with_body
        && zmq_send (handle, self->body ? zframe_data (self->body) : NULL, self->body ? zframe_size (self->body) : 0,
                     0)
               < 0)
        return -1;
    return 0;
}

/* ---- decoding ---- */

typedef struct {
    const byte *data;
    size_t size;
    size_t pos;
    bool bad;
} reader_t;

static uint64_t
s_get_uint (reader_t *r, int bytes)
{
    if (r->bad || r->size - r->pos < (size_t) bytes) {
        r->bad = true;
        return 0;
    }
    uint64_t value = 0;
    for (int i = 0; i < bytes; i++)
        value = (value << 8) | r->data[r->pos++];
    return value;
}

/* A string of length_bytes' length (1: a string, 2: a text) at most max
   bytes into field (max + 1 bytes). */
static void
s_get_chars (reader_t *r, char *field, int length_bytes, size_t max)
{
    size_t len = (size_t) s_get_uint (r, length_bytes);
    if (r->bad || len > max || r->size - r->pos < len || !ztask_utf8_valid (r->data + r->pos, len)) {
        r->bad = true;
        field[0] = 0;
        return;
    }
    memcpy (field, r->data + r->pos, len);
    field[len] = 0;
    r->pos += len;
}

static void
s_get_string (reader_t *r, char *field)
{
    s_get_chars (r, field, 1, ZTASK_STRING_MAX);
}

int
ztask_msg_decode_header (ztask_msg_t *self, const byte *data, size_t size)
{
    ztask_msg_reset (self, 0);
    reader_t r = { data, size, 0, false };
    if (r.size < 4 || r.data[0] != 'Z' || r.data[1] != 'T')
        return -2;
    if (r.data[2] != ZTASK_PROTO_VERSION)
        return -3;
    r.pos = 3;
    self->command = (int) s_get_uint (&r, 1);
    const command_t *cmd = s_command (self->command);
    if (!cmd) {
        self->command = 0;
        return -2;
    }
    for (const char *f = cmd->fields; *f && !r.bad; f++) {
        if (*f == '|' || *f == '?') {
            if (r.pos == r.size)
                break; /* an older peer's header: the rest stay 0 / "" */
            continue;
        }
        int bytes;
        void *number = s_number_field (self, *f, &bytes);
        char *string = s_string_field (self, *f);
        if (number)
            s_store (number, bytes, s_get_uint (&r, bytes));
        else if (string)
            s_get_string (&r, string);
        else if (*f == 'L') {
            self->plugin_count = (size_t) s_get_uint (&r, 1);
            if (self->plugin_count > ZTASK_PLUGINS_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->plugin_count && !r.bad; i++) {
                s_get_string (&r, self->plugins[i].name);
                s_get_string (&r, self->plugins[i].version);
            }
        }
        else if (*f == 'B') {
            self->label_count = (size_t) s_get_uint (&r, 1);
            if (self->label_count > ZTASK_LABELS_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->label_count && !r.bad; i++) {
                s_get_string (&r, self->labels[i].key);
                s_get_string (&r, self->labels[i].value);
            }
        }
        else if (*f == 'Q') {
            self->resource_count = (size_t) s_get_uint (&r, 1);
            if (self->resource_count > ZTASK_RESOURCES_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->resource_count && !r.bad; i++) {
                s_get_string (&r, self->resources[i].name);
                self->resources[i].amount = s_get_uint (&r, 8);
            }
        }
        else if (*f == 'G') {
            self->require_count = (size_t) s_get_uint (&r, 1);
            if (self->require_count > ZTASK_REQUIRES_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->require_count && !r.bad; i++)
                s_get_string (&r, self->require[i]);
        }
        else if (*f == 'J')
            s_get_chars (&r, self->needs, 2, ZTASK_TEXT_MAX);
        else if (*f == 'F') {
            self->after_any = (uint8_t) s_get_uint (&r, 1);
            self->parent_count = (size_t) s_get_uint (&r, 1);
            if (self->after_any > 1 || self->parent_count > ZTASK_PARENTS_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->parent_count && !r.bad; i++) {
                self->parents[i].task_id = s_get_uint (&r, 8);
                self->parents[i].state = (uint8_t) s_get_uint (&r, 1);
            }
        }
        else if (*f == 'z') {
            /* Left out when there are none: a count of 0 is never sent. */
            self->parent_size_count = (size_t) s_get_uint (&r, 1);
            if (self->parent_size_count == 0 || self->parent_size_count > ZTASK_PARENTS_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->parent_size_count && !r.bad; i++)
                self->parent_sizes[i] = (uint32_t) s_get_uint (&r, 4);
        }
        else {
            self->running_count = (size_t) s_get_uint (&r, 2);
            if (self->running_count > ZTASK_RUNNING_MAX)
                r.bad = true;
            for (size_t i = 0; i < self->running_count && !r.bad; i++) {
                self->running[i].task_id = s_get_uint (&r, 8);
                self->running[i].attempt = (uint32_t) s_get_uint (&r, 4);
            }
        }
    }
    if (r.bad || r.pos != r.size) {
        self->command = 0;
        return -2;
    }
    return 0;
}

int
ztask_msg_decode (ztask_msg_t *self, zmsg_t **msg_p, bool routing)
{
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    ztask_msg_reset (self, 0);
    if (!msg)
        return -2;
    zframe_t *routing_id = NULL;
    if (routing && !(routing_id = zmsg_pop (msg))) {
        zmsg_destroy (&msg);
        return -2;
    }
    int rc = -2;
    size_t frames = zmsg_size (msg);
    zframe_t *header = zmsg_first (msg);
    if (header && frames <= 2) {
        rc = ztask_msg_decode_header (self, zframe_data (header), zframe_size (header));
        if (rc == 0 && frames != (ztask_msg_has_body (self) ? 2u : 1u)) {
            self->command = 0;
            rc = -2;
        }
    }
    /* The header's decoding reset self: what the frames hold comes now. */
    self->routing_id = routing_id;
    if (rc == 0 && routing) {
        /* ZAP's User-Id: the CURVE public key the peer authenticated with. */
        const char *user_id = zframe_meta (header, "User-Id");
        if (user_id)
            snprintf (self->user_id, sizeof self->user_id, "%s", user_id);
    }
    if (rc == 0 && frames == 2) {
        header = zmsg_pop (msg);
        zframe_destroy (&header);
        self->body = zmsg_pop (msg);
    }
    zmsg_destroy (&msg);
    return rc;
}

int
ztask_msg_recv_frames (ztask_msg_t *self, void *socket, int flags, zmq_msg_t *routing_id, zmq_msg_t *body)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, socket, flags) < 0) {
        zmq_msg_close (&frame);
        return -1;
    }
    bool more = zmq_msg_more (&frame);
    if (routing_id)
        zmq_msg_move (routing_id, &frame); /* the header comes next */
    zmq_msg_close (body);
    zmq_msg_init (body);
    /* A message arrives whole: once its first frame is here, so are the rest. */
    size_t frames = routing_id ? 0 : 1;
    int rc = -2;
    if (!routing_id)
        rc = ztask_msg_decode_header (self, zmq_msg_data (&frame), zmq_msg_size (&frame));
    zmq_msg_close (&frame);
    while (more) {
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            break;
        }
        more = zmq_msg_more (&frame);
        if (++frames == 1) {
            rc = ztask_msg_decode_header (self, zmq_msg_data (&frame), zmq_msg_size (&frame));
            /* ZAP's User-Id: the CURVE public key the peer authenticated
               with (a server's question: asked only with a routing id). */
            const char *user_id = rc == 0 && routing_id ? zmq_msg_gets (&frame, "User-Id") : NULL;
            if (user_id)
                snprintf (self->user_id, sizeof self->user_id, "%s", user_id);
        }
        else if (frames == 2)
            zmq_msg_move (body, &frame);
        zmq_msg_close (&frame);
    }
    /* Too many frames is malformed whatever the version, as in ztask_msg_decode. */
    if (frames > 2 || (rc == 0 && frames != (ztask_msg_has_body (self) ? 2u : 1u))) {
        self->command = 0;
        rc = -2;
    }
    return rc;
}

int
ztask_msg_recv (ztask_msg_t *self, zsock_t *sock, bool routing)
{
    zmq_msg_t routing_id, body;
    zmq_msg_init (&routing_id);
    zmq_msg_init (&body);
    ztask_msg_reset (self, 0);
    int rc = ztask_msg_recv_frames (self, zsock_resolve (sock), 0, routing ? &routing_id : NULL, &body);
    if (rc != -1 && routing)
        self->routing_id = zframe_new (zmq_msg_data (&routing_id), zmq_msg_size (&routing_id));
    if (rc == 0 && ztask_msg_has_body (self))
        self->body = zframe_new (zmq_msg_data (&body), zmq_msg_size (&body));
    zmq_msg_close (&routing_id);
    zmq_msg_close (&body);
    return rc;
}
