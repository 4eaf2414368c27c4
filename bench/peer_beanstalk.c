/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  peer_beanstalk - ztask's benchmark workloads against beanstalkd, through
    its text protocol on a raw socket. One run is one workload;
    scripts/bench_peers.sh starts beanstalkd (in memory, or with a binlog
    fsynced after every write: -b DIR -f 0) and calls this.

        peer_beanstalk -p PORT -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW] [-w WORKERS]
                       [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID]
                       [-L SYSTEM]
    (the options, workloads, RESULT line and exit status: peer_harness.h)

    A task is a put into the tube "tasks", accepted at its INSERTED; results
    come back through a reply tube (see struct _peer_client_t). Worker:
    reserve, then put the result, delete the task and reserve again in one
    write.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer_harness.h"

#define PROGRAM "peer_beanstalk"
#define TASK_TUBE "tasks"
#define PRIORITY 1024
#define TTR 60           //  seconds a reserved task may run
#define IN_SIZE 131072   //  read buffer: replies, and results up to IN_SIZE / 2
#define OUT_SIZE 65536   //  write buffer: pipelined commands

typedef struct {
    int fd;             //  TCP connection to beanstalkd
    size_t in_start;    //  first unread byte in input
    size_t in_end;      //  end of the bytes read into input
    size_t out_length;  //  bytes waiting in output
    char *input;        //  replies read, IN_SIZE bytes
    char *output;       //  commands not yet written, OUT_SIZE bytes
} connection_t;

typedef struct {
    char word[24];          //  INSERTED, RESERVED, DELETED, USING, WATCHING ...
    unsigned long long id;  //  the job id (or WATCHING's count)
    long bytes;             //  RESERVED: body length
    const char *body;       //  RESERVED: the body, in input until the next read
} reply_t;

static connection_t *
s_connection_new (int port)
{
    connection_t *self = (connection_t *) peer_alloc (sizeof (connection_t));
    self->input = (char *) peer_alloc (IN_SIZE);
    self->output = (char *) peer_alloc (OUT_SIZE);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, PEER_HOST, &address.sin_addr);
    self->fd = socket (AF_INET, SOCK_STREAM, 0);
    if (self->fd < 0 || connect (self->fd, (struct sockaddr *) &address, sizeof address) < 0)
        peer_die ("cannot connect to beanstalkd on port %d: %s", port, strerror (errno));
    int one = 1;
    setsockopt (self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return self;
}

static void
s_connection_destroy (connection_t **self_p)
{
    connection_t *self = *self_p;
    if (!self)
        return;
    close (self->fd);
    free (self->input);
    free (self->output);
    free (self);
    *self_p = NULL;
}

static void
s_connection_flush (connection_t *self)
{
    size_t done = 0;
    while (done < self->out_length) {
        ssize_t written = write (self->fd, self->output + done, self->out_length - done);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            peer_die ("write to beanstalkd: %s", strerror (errno));
        done += (size_t) written;
    }
    self->out_length = 0;
}

static void
s_connection_put (connection_t *self, const void *data, size_t size)
{
    if (size > OUT_SIZE)
        peer_die ("a command of %zu bytes is too long", size);
    if (self->out_length + size > OUT_SIZE)
        s_connection_flush (self);
    memcpy (self->output + self->out_length, data, size);
    self->out_length += size;
}

static void
s_connection_printf (connection_t *self, const char *format, ...)
{
    char line[256];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (line, sizeof line, format, args);
    va_end (args);
    if (length < 0 || length >= (int) sizeof line)
        peer_die ("command too long");
    s_connection_put (self, line, (size_t) length);
}

//  One read into input; beanstalkd closing the connection is fatal.
static void
s_connection_fill (connection_t *self)
{
    if (self->in_start > 0) {
        memmove (self->input, self->input + self->in_start, self->in_end - self->in_start);
        self->in_end -= self->in_start;
        self->in_start = 0;
    }
    while (true) {
        ssize_t got = read (self->fd, self->input + self->in_end, IN_SIZE - self->in_end);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            peer_die ("read from beanstalkd: %s", got ? strerror (errno) : "connection closed");
        self->in_end += (size_t) got;
        return;
    }
}

//  Takes one complete reply from input: 1, or 0 if it has not all come yet.
static int
s_connection_reply (connection_t *self, reply_t *reply)
{
    char *start = self->input + self->in_start, line[128];
    size_t available = self->in_end - self->in_start;
    char *eol = (char *) memmem (start, available, "\r\n", 2);
    if (!eol) {
        if (available >= sizeof line)
            peer_die ("reply line too long");
        return 0;
    }
    size_t line_length = (size_t) (eol - start), needed = line_length + 2;
    if (line_length >= sizeof line)
        peer_die ("reply line too long");
    memcpy (line, start, line_length);
    line[line_length] = 0;
    reply->id = 0;
    reply->bytes = 0;
    reply->body = NULL;
    int fields = sscanf (line, "%23s %llu %ld", reply->word, &reply->id, &reply->bytes);
    if (fields < 1)
        peer_die ("empty reply from beanstalkd");
    if (strcmp (reply->word, "RESERVED") == 0) {
        if (fields != 3 || reply->bytes < 0 || reply->bytes > IN_SIZE / 2)
            peer_die ("bad reply from beanstalkd: %s", line);
        needed += (size_t) reply->bytes + 2;
        if (available < needed)
            return 0;
        reply->body = eol + 2;
    }
    self->in_start += needed;
    return 1;
}

//  Waits for the next reply, which must start with word.
static void
s_connection_expect (connection_t *self, reply_t *reply, const char *word)
{
    while (!s_connection_reply (self, reply))
        s_connection_fill (self);
    if (strcmp (reply->word, word) != 0)
        peer_die ("beanstalkd said %s where %s was expected", reply->word, word);
}

//  beanstalkd cannot hand a result back to the producer, so W1 and W3 use
//  the usual pattern: the task names a reply tube, the worker puts its
//  result there, and the client reserves and deletes it.
//      task:   client --put--> tube "tasks" --reserve--> worker (then delete)
//      result: worker --put--> tube "r.<client pid>" --reserve--> client (then delete)
//  The client pipelines its puts on one connection; on a second one it keeps
//  a reserve outstanding for every result still expected, so beanstalkd
//  pushes each result as it comes. W2 and B1 tasks name no reply tube.
struct _peer_client_t {
    const peer_options_t *options; //  the run
    peer_tally_t *tally;           //  where submits and replies are counted
    connection_t *tasks;           //  puts into the task tube
    connection_t *results;         //  reserves from the reply tube (W1, W3), or NULL
    char reply_tube[32];           //  "r.<pid>"
};

static peer_client_t *
s_client_new (const peer_options_t *options, peer_tally_t *tally)
{
    peer_client_t *self = (peer_client_t *) peer_alloc (sizeof (peer_client_t));
    reply_t reply;
    self->options = options;
    self->tally = tally;
    self->tasks = s_connection_new (options->port);
    s_connection_printf (self->tasks, "use " TASK_TUBE "\r\n");
    s_connection_flush (self->tasks);
    s_connection_expect (self->tasks, &reply, "USING");
    if (options->workload == PEER_W1 || options->workload == PEER_W3) {
        snprintf (self->reply_tube, sizeof self->reply_tube, "r.%d", (int) getpid ());
        tally->tag = self->reply_tube;
        self->results = s_connection_new (options->port);
        s_connection_printf (self->results, "watch %s\r\nignore default\r\n", self->reply_tube);
        s_connection_flush (self->results);
        s_connection_expect (self->results, &reply, "WATCHING");
        s_connection_expect (self->results, &reply, "WATCHING");
    }
    return self;
}

static void
s_client_destroy (peer_client_t **self_p)
{
    peer_client_t *self = *self_p;
    if (!self)
        return;
    s_connection_destroy (&self->tasks);
    s_connection_destroy (&self->results);
    free (self);
    *self_p = NULL;
}

//  Pipelines puts (a background task, W2 and B1, is accepted at its INSERTED)
//  and keeps a reserve on the reply tube for each result still due (W1, W3).
static int
s_client_run (peer_client_t *self, long first, long count)
{
    const peer_options_t *options = self->options;
    connection_t *tasks = self->tasks, *results = self->results;
    reply_t reply;
    long next = first, end = first + count, answered = 0, inserted = 0, reserving = 0, deleting = 0;
    while (answered < count) {
        while (next < end && next - first - answered < options->window) {
            const char *payload = peer_tally_submit (self->tally, next++);
            s_connection_printf (tasks, "put %d 0 %d %d\r\n", PRIORITY, TTR, options->payload);
            s_connection_put (tasks, payload, (size_t) options->payload);
            s_connection_put (tasks, "\r\n", 2);
        }
        s_connection_flush (tasks);
        if (results) {
            for (; answered + reserving < next - first; reserving++)
                s_connection_put (results, "reserve\r\n", 9);
            s_connection_flush (results);
        }
        struct pollfd fds[2] = { { .fd = tasks->fd, .events = POLLIN },
                                 { .fd = results ? results->fd : -1, .events = POLLIN } };
        if (poll (fds, 2, 1000) < 0 && errno != EINTR)
            peer_die ("poll: %s", strerror (errno));
        if (fds[0].revents) {
            s_connection_fill (tasks);
            while (s_connection_reply (tasks, &reply)) {
                if (strcmp (reply.word, "INSERTED") != 0) {
                    fprintf (stderr, PROGRAM ": put refused: %s\n", reply.word);
                    return -1;
                }
                inserted++;
                if (!results) {
                    peer_tally_accepted (self->tally);
                    answered++;
                }
            }
        }
        if (results && fds[1].revents) {
            s_connection_fill (results);
            while (s_connection_reply (results, &reply)) {
                if (strcmp (reply.word, "RESERVED") == 0) {
                    peer_tally_result (self->tally, reply.body, (size_t) reply.bytes);
                    answered++;
                    reserving--;
                    s_connection_printf (results, "delete %llu\r\n", reply.id);
                    deleting++;
                }
                else if (strcmp (reply.word, "DELETED") == 0)
                    deleting--;
                else {
                    fprintf (stderr, PROGRAM ": beanstalkd said %s on the reply tube\n", reply.word);
                    return -1;
                }
            }
        }
    }
    //  Untimed: the last acknowledgements, so nothing is left behind.
    for (; inserted < count; inserted++)
        s_connection_expect (tasks, &reply, "INSERTED");
    if (results) {
        s_connection_flush (results);
        for (; deleting > 0; deleting--)
            s_connection_expect (results, &reply, "DELETED");
    }
    return 0;
}

//  The reply tube a payload "<seq>|<tube>|..." names, or "" for none.
static void
s_payload_tube (const char *body, long size, char *tube, size_t tube_size)
{
    const char *bar = (const char *) memchr (body, '|', (size_t) size), *end = NULL;
    tube[0] = 0;
    if (bar)
        end = (const char *) memchr (bar + 1, '|', (size_t) (size - (bar + 1 - body)));
    if (end && (size_t) (end - bar - 1) < tube_size) {
        memcpy (tube, bar + 1, (size_t) (end - bar - 1));
        tube[end - bar - 1] = 0;
    }
}

//  reserve; then "put the result + delete the task + reserve" in one write.
static void
s_worker (const peer_options_t *options, int id)
{
    connection_t *connection = s_connection_new (options->port);
    reply_t reply;
    char tube[64], used[64] = "default";
    (void) id;
    s_connection_printf (connection, "watch " TASK_TUBE "\r\nignore default\r\nreserve\r\n");
    s_connection_flush (connection);
    s_connection_expect (connection, &reply, "WATCHING");
    s_connection_expect (connection, &reply, "WATCHING");
    peer_ready ();
    while (true) {
        s_connection_expect (connection, &reply, "RESERVED");
        s_payload_tube (reply.body, reply.bytes, tube, sizeof tube);
        bool switch_tube = tube[0] && strcmp (tube, used) != 0;
        if (switch_tube) {
            s_connection_printf (connection, "use %s\r\n", tube);
            strcpy (used, tube);
        }
        if (tube[0]) { //  the result is the payload itself
            s_connection_printf (connection, "put %d 0 %d %ld\r\n", PRIORITY, TTR, reply.bytes);
            s_connection_put (connection, reply.body, (size_t) reply.bytes);
            s_connection_put (connection, "\r\n", 2);
        }
        s_connection_printf (connection, "delete %llu\r\nreserve\r\n", reply.id);
        s_connection_flush (connection);
        if (switch_tube)
            s_connection_expect (connection, &reply, "USING");
        if (tube[0])
            s_connection_expect (connection, &reply, "INSERTED");
        s_connection_expect (connection, &reply, "DELETED");
        peer_task_done ();
    }
}

int
main (int argc, char *argv[])
{
    static const peer_driver_t driver = {
        .program = PROGRAM, .system = "beanstalkd", .ports_usage = "-p PORT",
        .client_new = s_client_new, .client_run = s_client_run, .client_destroy = s_client_destroy,
        .worker = s_worker,
    };
    return peer_harness_main (&driver, argc, argv);
}
