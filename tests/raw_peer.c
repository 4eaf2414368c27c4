/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  raw_peer - sends raw frames to a ztask broker and prints what comes back.

    For the malformed-input tests (tests/malformed.sh): a DEALER that speaks
    no protocol at all, so it can send anything.

        raw_peer ENDPOINT [-t MS] [-n COUNT] [-r REPLIES] [-s] [-g GRACE]
                 [-i HEX] [-f FILE] [FRAME...]

    The FRAMEs on the command line make one message; with -f, each line of
    FILE is one more message (frames separated by blanks; blank lines and
    lines starting with '#' are skipped). Every message is sent COUNT times
    (-n, default 1), in order.

    A FRAME is "" or "-" (an empty frame), or parts joined by ',':
        HEX        bytes in hex ("5a5401"; blanks, ':', '.', '_' ignored)
        HEX*N      those bytes N times ("78*5000000": 5 MB of 'x')
        =TEXT      the bytes of TEXT as they are (no ',' in it)
        @PATH      the contents of a file

    Then it prints each message that comes back on one line, its frames in
    hex separated by a blank ("-" for an empty frame), for MS milliseconds
    after the last send (-t, default 1000), or until REPLIES messages came
    (-r). -s syncs instead: after the messages it sends STATS twice, each
    after the answer to the one before; at the second answer the broker has
    handled everything this peer sent. Answers it holds until a commit
    (SUBMITTED, RESULT_ACK, ...) can come a little later: the broker may
    answer both STATS in one batch and commit after it; so it then collects
    for GRACE more milliseconds (-g, default 100) and stops. The sync
    answers are not printed; -t is how long to wait for them.
    -i sets the socket's routing id (hex).

    Exit status: 0 if a message came back, 1 if none did, 2 for a usage
    error, 3 if a send failed or timed out, or -s got no answer.
*/
#include <czmq.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNC_CORR_1 0xFFFFFFF1u
#define SYNC_CORR_2 0xFFFFFFF2u
#define SEND_TIMEOUT_MS 10000

typedef struct {
    byte *data;
    size_t size;
    size_t capacity;
} buffer_t;

typedef struct {
    buffer_t *frames;
    size_t count;
} message_t;

static void
s_append (buffer_t *buf, const void *data, size_t size)
{
    if (buf->size + size > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity : 64;
        while (capacity < buf->size + size)
            capacity *= 2;
        buf->data = (byte *) realloc (buf->data, capacity);
        if (!buf->data) {
            fprintf (stderr, "raw_peer: out of memory\n");
            exit (2);
        }
        buf->capacity = capacity;
    }
    if (size)
        memcpy (buf->data + buf->size, data, size);
    buf->size += size;
}

static int
s_hex_digit (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex text [start, end) into out. Returns 0 or -1. */
static int
s_parse_hex (const char *start, const char *end, buffer_t *out)
{
    int high = -1;
    for (const char *p = start; p < end; p++) {
        if (*p == ' ' || *p == ':' || *p == '.' || *p == '_' || *p == '\t')
            continue;
        int digit = s_hex_digit ((unsigned char) *p);
        if (digit < 0)
            return -1;
        if (high < 0)
            high = digit;
        else {
            byte b = (byte) (high << 4 | digit);
            s_append (out, &b, 1);
            high = -1;
        }
    }
    return high < 0 ? 0 : -1;
}

static int
s_read_file (const char *path, buffer_t *out)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "raw_peer: %s: %s\n", path, strerror (errno));
        return -1;
    }
    byte chunk[65536];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, file)) > 0)
        s_append (out, chunk, n);
    int rc = ferror (file) ? -1 : 0;
    fclose (file);
    return rc;
}

/* One part of a frame spec: HEX, HEX*N, =TEXT or @PATH. */
static int
s_parse_part (const char *start, const char *end, buffer_t *frame)
{
    if (start < end && *start == '=') {
        s_append (frame, start + 1, (size_t) (end - start - 1));
        return 0;
    }
    if (start < end && *start == '@') {
        char *path = strndup (start + 1, (size_t) (end - start - 1));
        int rc = s_read_file (path, frame);
        free (path);
        return rc;
    }
    const char *star = memchr (start, '*', (size_t) (end - start));
    unsigned long long times = 1;
    if (star) {
        char *tail;
        errno = 0;
        times = strtoull (star + 1, &tail, 10);
        if (errno || tail != end || star + 1 == end)
            return -1;
    }
    buffer_t unit = { NULL, 0, 0 };
    if (s_parse_hex (start, star ? star : end, &unit) != 0) {
        free (unit.data);
        return -1;
    }
    if (unit.size && times > (1ULL << 32) / unit.size) {
        free (unit.data);
        return -1;
    }
    for (unsigned long long i = 0; unit.size && i < times; i++)
        s_append (frame, unit.data, unit.size);
    free (unit.data);
    return 0;
}

static int
s_parse_frame (const char *spec, buffer_t *frame)
{
    memset (frame, 0, sizeof *frame);
    if (!*spec || strcmp (spec, "-") == 0)
        return 0;
    const char *start = spec;
    while (true) {
        const char *comma = strchr (start, ',');
        const char *end = comma ? comma : start + strlen (start);
        if (s_parse_part (start, end, frame) != 0) {
            fprintf (stderr, "raw_peer: bad frame '%s'\n", spec);
            return -1;
        }
        if (!comma)
            return 0;
        start = comma + 1;
    }
}

static void
s_add_frame (message_t *msg, const char *spec)
{
    msg->frames = (buffer_t *) realloc (msg->frames, (msg->count + 1) * sizeof (buffer_t));
    if (!msg->frames || s_parse_frame (spec, &msg->frames[msg->count]) != 0)
        exit (2);
    msg->count++;
}

static void
s_add_message (message_t **msgs, size_t *count, message_t msg)
{
    *msgs = (message_t *) realloc (*msgs, (*count + 1) * sizeof (message_t));
    if (!*msgs)
        exit (2);
    (*msgs)[(*count)++] = msg;
}

/* Each line of path is a message. */
static void
s_read_script (const char *path, message_t **msgs, size_t *count)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "raw_peer: %s: %s\n", path, strerror (errno));
        exit (2);
    }
    char *line = NULL;
    size_t line_size = 0;
    ssize_t len;
    while ((len = getline (&line, &line_size, file)) >= 0) {
        message_t msg = { NULL, 0 };
        char *save = NULL;
        for (char *word = strtok_r (line, " \t\r\n", &save); word; word = strtok_r (NULL, " \t\r\n", &save)) {
            if (msg.count == 0 && word[0] == '#')
                break;
            s_add_frame (&msg, word);
        }
        if (msg.count)
            s_add_message (msgs, count, msg);
    }
    free (line);
    fclose (file);
}

/* Sends one message; returns 0 or -1. */
static int
s_send (void *handle, message_t *msg)
{
    for (size_t i = 0; i < msg->count; i++) {
        int flags = i + 1 < msg->count ? ZMQ_SNDMORE : 0;
        if (zmq_send (handle, msg->frames[i].data, msg->frames[i].size, flags) < 0)
            return -1;
    }
    return 0;
}

static int
s_send_sync (void *handle, uint32_t corr)
{
    byte header[8] = { 'Z', 'T', 1, 4, (byte) (corr >> 24), (byte) (corr >> 16), (byte) (corr >> 8),
                       (byte) corr };
    return zmq_send (handle, header, sizeof header, 0) < 0 ? -1 : 0;
}

/* The corr of a JSON answer to one of our sync STATS, or 0. */
static uint32_t
s_sync_corr (zmsg_t *msg)
{
    zframe_t *header = zmsg_first (msg);
    if (!header || zframe_size (header) != 8)
        return 0;
    const byte *d = zframe_data (header);
    if (d[0] != 'Z' || d[1] != 'T' || d[2] != 1 || d[3] != 23)
        return 0;
    uint32_t corr = (uint32_t) d[4] << 24 | (uint32_t) d[5] << 16 | (uint32_t) d[6] << 8 | d[7];
    return corr == SYNC_CORR_1 || corr == SYNC_CORR_2 ? corr : 0;
}

static void
s_print (zmsg_t *msg)
{
    static const char hex[] = "0123456789abcdef";
    bool first = true;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        if (!first)
            putchar (' ');
        first = false;
        size_t size = zframe_size (frame);
        const byte *data = zframe_data (frame);
        if (size == 0)
            putchar ('-');
        for (size_t i = 0; i < size; i++) {
            putchar (hex[data[i] >> 4]);
            putchar (hex[data[i] & 15]);
        }
    }
    putchar ('\n');
    fflush (stdout);
}

static void
s_usage (void)
{
    fprintf (stderr, "usage: raw_peer ENDPOINT [-t MS] [-n COUNT] [-r REPLIES] [-s] [-g GRACE] [-i HEX] "
                     "[-f FILE] [FRAME...]\n"
                     "  FRAME: \"\" or - (empty), or parts joined by ',': HEX, HEX*N, =TEXT, @FILE\n");
    exit (2);
}

static long
s_number (const char *text)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || *end || end == text || value < 0)
        s_usage ();
    return value;
}

int
main (int argc, char *argv[])
{
    if (argc < 2 || argv[1][0] == '-')
        s_usage ();
    const char *endpoint = argv[1];
    long timeout = 1000, count = 1, replies_max = 0, grace = 100;
    bool sync = false;
    const char *identity = NULL, *script = NULL;
    message_t *msgs = NULL;
    size_t msg_count = 0;

    int opt;
    optind = 2;
    while ((opt = getopt (argc, argv, "+t:n:r:sg:i:f:")) != -1) {
        switch (opt) {
        case 't': timeout = s_number (optarg); break;
        case 'n': count = s_number (optarg); break;
        case 'r': replies_max = s_number (optarg); break;
        case 's': sync = true; break;
        case 'g': grace = s_number (optarg); break;
        case 'i': identity = optarg; break;
        case 'f': script = optarg; break;
        default: s_usage ();
        }
    }
    if (script)
        s_read_script (script, &msgs, &msg_count);
    if (optind < argc) {
        message_t msg = { NULL, 0 };
        for (int i = optind; i < argc; i++)
            s_add_frame (&msg, argv[i]);
        s_add_message (&msgs, &msg_count, msg);
    }
    if (msg_count == 0 && !sync)
        s_usage ();

    zsys_init ();
    zsys_handler_set (NULL);
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert (sock);
    void *handle = zsock_resolve (sock);
    if (identity) {
        buffer_t id = { NULL, 0, 0 };
        if (s_parse_hex (identity, identity + strlen (identity), &id) != 0 || id.size == 0
            || id.size > 255) {
            fprintf (stderr, "raw_peer: bad routing id '%s'\n", identity);
            return 2;
        }
        zmq_setsockopt (handle, ZMQ_ROUTING_ID, id.data, id.size);
        free (id.data);
    }
    zsock_set_sndtimeo (sock, SEND_TIMEOUT_MS);
    zsock_set_sndhwm (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        fprintf (stderr, "raw_peer: cannot connect to %s\n", endpoint);
        return 2;
    }

    int status = 1;
    for (long n = 0; n < count && status != 3; n++)
        for (size_t i = 0; i < msg_count; i++)
            if (s_send (handle, &msgs[i]) != 0) {
                fprintf (stderr, "raw_peer: send failed: %s\n", zmq_strerror (zmq_errno ()));
                status = 3;
                break;
            }
    if (status != 3 && sync && s_send_sync (handle, SYNC_CORR_1) != 0)
        status = 3;

    /* Collect answers until the deadline, REPLIES answers, or the sync
       and its grace period. */
    long received = 0;
    bool synced = false;
    int64_t deadline = zclock_mono () + timeout;
    zpoller_t *poller = zpoller_new (sock, NULL);
    while (status != 3) {
        if (!sync && replies_max && received >= replies_max)
            break;
        int64_t wait = deadline - zclock_mono ();
        zsock_t *ready = wait > 0 ? (zsock_t *) zpoller_wait (poller, (int) wait) : NULL;
        if (!ready) {
            if (sync && !synced) {
                fprintf (stderr, "raw_peer: no answer to the sync STATS within %ld ms\n", timeout);
                status = 3;
            }
            break;
        }
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            break;
        uint32_t corr = sync ? s_sync_corr (msg) : 0;
        if (corr == SYNC_CORR_1) {
            if (s_send_sync (handle, SYNC_CORR_2) != 0)
                status = 3;
        }
        else if (corr == SYNC_CORR_2) {
            synced = true;
            deadline = zclock_mono () + grace;
        }
        else {
            s_print (msg);
            received++;
            status = 0;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    /* Unsynced, what is still queued may go out for a second; synced,
       it has all gone; and a broker that did not answer will not take it. */
    zsock_set_linger (sock, synced || status == 3 ? 0 : 1000);
    zsock_destroy (&sock);
    for (size_t i = 0; i < msg_count; i++) {
        for (size_t k = 0; k < msgs[i].count; k++)
            free (msgs[i].frames[k].data);
        free (msgs[i].frames);
    }
    free (msgs);
    return status;
}
