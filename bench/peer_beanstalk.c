/*  peer_beanstalk - ztask's benchmark workloads against beanstalkd, through
    its text protocol on a raw socket. One run is one workload;
    scripts/bench_peers.sh starts beanstalkd (in memory, or with a binlog
    fsynced after every write: -b DIR -f 0) and calls this.

        peer_beanstalk -p PORT -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW] [-w WORKERS]
                       [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID]
                       [-L SYSTEM]

    A task is a put into the tube "tasks", accepted at its INSERTED; results
    come back through a reply tube (see client_t). Worker: reserve, then
    put the result, delete the task and reserve again in one write.

    The workloads (the same in peer_gearman.c and peer_zmq.c). Every
    task is a no-op whose result is its payload, "<seq>|<tag>|" padded to
    BYTES (64); every result is checked against the payload it belongs to.
        W1  round trip: TASKS (50000) tasks, at most WINDOW (256) unanswered,
            WORKERS (4) worker processes of one task at a time;
            rate = TASKS / (first submit .. last result), latency of each.
        W2  dispatch only: background tasks, at most WINDOW unacknowledged;
            rate = TASKS / (first submit .. last acceptance). The workers run
            them meanwhile; it then waits, untimed, until they have run them
            all: done_s= and done_rate= from the first submit to then.
        W3  latency: one task at a time, 1 worker, after 100 unmeasured ones:
            p50 / p99 / max.
        B1  burst: CLIENTS (4) client processes submit TASKS background tasks
            between them, WINDOW unacknowledged each, and no worker runs them;
            rate as W2. With -S, the server's memory per queued task:
            bytes_per_task = (RSS after - RSS before) / TASKS - BYTES.
    With -S, cpu_us_per_task is the server's CPU time (user + system, all
    threads) from the first submit to the last result (W1, W3), to the last
    acceptance (B1), or until the workers have run every task (W2).

    Prints one RESULT line (bench_common.h) with system=SYSTEM (beanstalkd).
    Exit status: 0; 1 if a task was lost, duplicated, corrupted or refused,
    or a connection failed; 2 for a usage error; 124 at the time limit
    (-T, default 120 s), when every process of the run is killed.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define PROGRAM "peer_beanstalk"
#define SYSTEM "beanstalkd"
#define HOST "127.0.0.1"
#define WARMUP 100       //  unmeasured tasks before W3
#define SETTLE_US 200000 //  once all are connected, for registrations to land
#define MAX_CHILDREN 64  //  workers plus burst clients

typedef enum { W1, W2, W3, B1 } workload_t;
static const char *s_workload_names[] = { "W1", "W2", "W3", "B1" };

typedef struct {
    workload_t workload; //  what to run
    const char *system;  //  system= in the RESULT line
    long tasks;          //  tasks measured (W3: after the warm-up)
    int window;          //  most tasks unanswered at one client
    int workers;         //  worker processes
    int clients;         //  client processes (B1)
    int payload;         //  bytes in each task and each result
    int port;            //  the server's port
    int time_limit;      //  seconds before the run is abandoned
    int rep;             //  rep= in the RESULT line
    int server_pid;      //  the server, for CPU time and memory; 0: not measured
} options_t;

//  Shared by the parent and the processes it forks (an anonymous shared map).
typedef struct {
    atomic_long completed;             //  tasks the workers have run
    atomic_llong completed_at;         //  bench_now_us () when completed reached target
    long target;                       //  tasks the workers must run
    atomic_int ready;                  //  workers and burst clients connected
    atomic_int go;                     //  burst clients start when set
    atomic_long accepted;              //  B1: acceptances over all clients
    atomic_long errors;                //  B1: errors over all clients
    int64_t finished_at[MAX_CHILDREN]; //  B1: each client's last acceptance
} shared_t;

//  One client process's view of its tasks, indexed by sequence number.
typedef struct {
    const options_t *options; //  the run
    const char *tag;          //  routing tag in each payload ("" if none)
    long total;               //  sequence numbers run from 0 to total - 1
    long measure_from;        //  first sequence number that is measured
    int64_t *submitted_at;    //  bench_now_us () of each submit
    bool *answered;           //  whether each result has come
    long results;             //  results received
    long accepted;            //  background submits accepted
    long errors;              //  results malformed, unknown or duplicated; refusals
    int64_t first_us;         //  first measured submit
    int64_t last_us;          //  last result or acceptance
    bench_samples_t latency;  //  submit to result, measured tasks only
    char *expected;           //  scratch: the payload a result must equal
} tally_t;

static shared_t *s_shared;
static pid_t s_children[MAX_CHILDREN];
static int s_child_count;

static void
s_die (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, PROGRAM "[%d]: ", (int) getpid ());
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    exit (1);
}

static void *
s_alloc (size_t size)
{
    void *memory = calloc (1, size ? size : 1);
    if (!memory)
        s_die ("out of memory");
    return memory;
}

//  The payload of task seq: "<seq>|<tag>|" padded with '.' to size bytes.
static void
s_payload (char *buffer, int size, long seq, const char *tag)
{
    char head[128];
    int length = snprintf (head, sizeof head, "%ld|%s|", seq, tag);
    if (length < 0 || length > size)
        s_die ("a payload of %d bytes cannot hold \"%s\"", size, head);
    memcpy (buffer, head, (size_t) length);
    memset (buffer + length, '.', (size_t) (size - length));
}

static void
s_tally_init (tally_t *self, const options_t *options, long total, long measure_from)
{
    memset (self, 0, sizeof *self);
    self->options = options;
    self->tag = "";
    self->total = total;
    self->measure_from = measure_from;
    self->submitted_at = (int64_t *) s_alloc ((size_t) total * sizeof (int64_t));
    self->answered = (bool *) s_alloc ((size_t) total * sizeof (bool));
    self->expected = (char *) s_alloc ((size_t) options->payload);
}

static void
s_tally_submitted (tally_t *self, long seq)
{
    int64_t now = bench_now_us ();
    self->submitted_at[seq] = now;
    if (seq >= self->measure_from && self->first_us == 0)
        self->first_us = now;
}

static void
s_tally_accepted (tally_t *self)
{
    self->accepted++;
    self->last_us = bench_now_us ();
}

//  A result must be the payload of a task submitted and not yet answered.
static void
s_tally_result (tally_t *self, const void *data, size_t size)
{
    int64_t now = bench_now_us ();
    const char *text = (const char *) data;
    long seq = 0;
    size_t digits = 0;
    while (digits < size && digits < 12 && text[digits] >= '0' && text[digits] <= '9')
        seq = seq * 10 + (text[digits++] - '0');
    if (digits == 0 || seq >= self->total || self->answered[seq] || self->submitted_at[seq] == 0) {
        self->errors++;
        return;
    }
    s_payload (self->expected, self->options->payload, seq, self->tag);
    if (size != (size_t) self->options->payload || memcmp (data, self->expected, size) != 0) {
        self->errors++;
        return;
    }
    self->answered[seq] = true;
    self->results++;
    self->last_us = now;
    if (seq >= self->measure_from)
        bench_samples_add (&self->latency, now - self->submitted_at[seq]);
}

static void
s_tally_free (tally_t *self)
{
    free (self->submitted_at);
    free (self->answered);
    free (self->expected);
    bench_samples_free (&self->latency);
}

//  A worker or burst client is connected and serving.
static void
s_ready (void)
{
    atomic_fetch_add (&s_shared->ready, 1);
}

//  A worker has run a task.
static void
s_task_done (void)
{
    if (atomic_fetch_add (&s_shared->completed, 1) + 1 == s_shared->target)
        atomic_store (&s_shared->completed_at, bench_now_us ());
}

//  ---------------------------------------------------------------------
//  beanstalkd: its text protocol on a raw socket, client and worker

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
    connection_t *self = (connection_t *) s_alloc (sizeof (connection_t));
    self->input = (char *) s_alloc (IN_SIZE);
    self->output = (char *) s_alloc (OUT_SIZE);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, HOST, &address.sin_addr);
    self->fd = socket (AF_INET, SOCK_STREAM, 0);
    if (self->fd < 0 || connect (self->fd, (struct sockaddr *) &address, sizeof address) < 0)
        s_die ("cannot connect to beanstalkd on port %d: %s", port, strerror (errno));
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
            s_die ("write to beanstalkd: %s", strerror (errno));
        done += (size_t) written;
    }
    self->out_length = 0;
}

static void
s_connection_put (connection_t *self, const void *data, size_t size)
{
    if (size > OUT_SIZE)
        s_die ("a command of %zu bytes is too long", size);
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
        s_die ("command too long");
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
            s_die ("read from beanstalkd: %s", got ? strerror (errno) : "connection closed");
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
            s_die ("reply line too long");
        return 0;
    }
    size_t line_length = (size_t) (eol - start), needed = line_length + 2;
    if (line_length >= sizeof line)
        s_die ("reply line too long");
    memcpy (line, start, line_length);
    line[line_length] = 0;
    reply->id = 0;
    reply->bytes = 0;
    reply->body = NULL;
    int fields = sscanf (line, "%23s %llu %ld", reply->word, &reply->id, &reply->bytes);
    if (fields < 1)
        s_die ("empty reply from beanstalkd");
    if (strcmp (reply->word, "RESERVED") == 0) {
        if (fields != 3 || reply->bytes < 0 || reply->bytes > IN_SIZE / 2)
            s_die ("bad reply from beanstalkd: %s", line);
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
        s_die ("beanstalkd said %s where %s was expected", reply->word, word);
}

//  beanstalkd cannot hand a result back to the producer, so W1 and W3 use
//  the usual pattern: the task names a reply tube, the worker puts its
//  result there, and the client reserves and deletes it.
//      task:   client --put--> tube "tasks" --reserve--> worker (then delete)
//      result: worker --put--> tube "r.<client pid>" --reserve--> client (then delete)
//  The client pipelines its puts on one connection; on a second one it keeps
//  a reserve outstanding for every result still expected, so beanstalkd
//  pushes each result as it comes. W2 and B1 tasks name no reply tube.
typedef struct {
    const options_t *options; //  the run
    tally_t *tally;           //  where submits and replies are counted
    connection_t *tasks;      //  puts into the task tube
    connection_t *results;    //  reserves from the reply tube (W1, W3), or NULL
    char reply_tube[32];      //  "r.<pid>"
    char *payload;            //  the task being sent
} client_t;

static client_t *
s_client_new (const options_t *options, tally_t *tally)
{
    client_t *self = (client_t *) s_alloc (sizeof (client_t));
    reply_t reply;
    self->options = options;
    self->tally = tally;
    self->payload = (char *) s_alloc ((size_t) options->payload);
    self->tasks = s_connection_new (options->port);
    s_connection_printf (self->tasks, "use " TASK_TUBE "\r\n");
    s_connection_flush (self->tasks);
    s_connection_expect (self->tasks, &reply, "USING");
    if (options->workload == W1 || options->workload == W3) {
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
s_client_destroy (client_t **self_p)
{
    client_t *self = *self_p;
    if (!self)
        return;
    s_connection_destroy (&self->tasks);
    s_connection_destroy (&self->results);
    free (self->payload);
    free (self);
    *self_p = NULL;
}

//  Submits tasks first .. first + count - 1, at most a window unanswered,
//  until every one has its result (W1, W3) or its INSERTED (W2, B1).
//  0, or -1 if beanstalkd refused a task.
static int
s_client_run (client_t *self, long first, long count)
{
    const options_t *options = self->options;
    connection_t *tasks = self->tasks, *results = self->results;
    reply_t reply;
    long next = first, end = first + count, answered = 0, inserted = 0, reserving = 0, deleting = 0;
    while (answered < count) {
        while (next < end && next - first - answered < options->window) {
            s_payload (self->payload, options->payload, next, self->tally->tag);
            s_tally_submitted (self->tally, next++);
            s_connection_printf (tasks, "put %d 0 %d %d\r\n", PRIORITY, TTR, options->payload);
            s_connection_put (tasks, self->payload, (size_t) options->payload);
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
            s_die ("poll: %s", strerror (errno));
        if (fds[0].revents) {
            s_connection_fill (tasks);
            while (s_connection_reply (tasks, &reply)) {
                if (strcmp (reply.word, "INSERTED") != 0) {
                    fprintf (stderr, PROGRAM ": put refused: %s\n", reply.word);
                    return -1;
                }
                inserted++;
                if (!results) {
                    s_tally_accepted (self->tally);
                    answered++;
                }
            }
        }
        if (results && fds[1].revents) {
            s_connection_fill (results);
            while (s_connection_reply (results, &reply)) {
                if (strcmp (reply.word, "RESERVED") == 0) {
                    s_tally_result (self->tally, reply.body, (size_t) reply.bytes);
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
s_worker (const options_t *options, int id)
{
    connection_t *connection = s_connection_new (options->port);
    reply_t reply;
    char tube[64], used[64] = "default";
    (void) id;
    s_connection_printf (connection, "watch " TASK_TUBE "\r\nignore default\r\nreserve\r\n");
    s_connection_flush (connection);
    s_connection_expect (connection, &reply, "WATCHING");
    s_connection_expect (connection, &reply, "WATCHING");
    s_ready ();
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
        s_task_done ();
    }
}

//  ---------------------------------------------------------------------
//  The run: forked workers and burst clients, timing, the RESULT line

//  The time limit: kill every process of the run and give up.
static void
s_on_alarm (int signum)
{
    static const char message[] = PROGRAM ": time limit reached, run abandoned\n";
    (void) signum;
    (void) !write (STDERR_FILENO, message, sizeof message - 1);
    for (int i = 0; i < s_child_count; i++)
        kill (s_children[i], SIGKILL);
    _exit (124);
}

static void
s_spawn (void (*body) (const options_t *, int), const options_t *options, int id)
{
    pid_t parent = getpid ();
    fflush (NULL);
    pid_t pid = fork ();
    if (pid < 0)
        s_die ("fork: %s", strerror (errno));
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL); //  never outlive the run
        if (getppid () != parent)
            _exit (1);
        signal (SIGALRM, SIG_DFL);
        alarm ((unsigned) options->time_limit + 5);
        body (options, id);
        _exit (0);
    }
    s_children[s_child_count++] = pid;
}

static void
s_wait_ready (int count)
{
    while (atomic_load (&s_shared->ready) < count) {
        if (waitpid (-1, NULL, WNOHANG) > 0)
            s_die ("a worker or client exited before it was ready");
        usleep (1000);
    }
    usleep (SETTLE_US);
}

//  SIGTERM every child, allow a second, then SIGKILL what is left.
static void
s_stop_children (void)
{
    int left = s_child_count;
    for (int i = 0; i < s_child_count; i++)
        kill (s_children[i], SIGTERM);
    for (int tries = 0; left > 0 && tries < 1000; tries++) {
        while (left > 0 && waitpid (-1, NULL, WNOHANG) > 0)
            left--;
        if (left > 0)
            usleep (1000);
    }
    for (int i = 0; left > 0 && i < s_child_count; i++)
        kill (s_children[i], SIGKILL);
    while (left > 0 && waitpid (-1, NULL, 0) > 0)
        left--;
    s_child_count = 0;
}

//  B1: one of the clients; it submits its share of the tasks after "go".
static void
s_burst_client (const options_t *options, int id)
{
    long share = options->tasks / options->clients;
    long first = id * share;
    long count = id == options->clients - 1 ? options->tasks - first : share;
    tally_t tally;
    s_tally_init (&tally, options, options->tasks, 0);
    client_t *client = s_client_new (options, &tally);
    s_ready ();
    while (!atomic_load (&s_shared->go))
        usleep (50);
    int rc = s_client_run (client, first, count);
    s_shared->finished_at[id] = tally.last_us;
    atomic_fetch_add (&s_shared->accepted, tally.accepted);
    atomic_fetch_add (&s_shared->errors, tally.errors + (rc < 0 || tally.accepted != count));
    s_client_destroy (&client);
    s_tally_free (&tally);
    _exit (rc < 0 ? 1 : 0);
}

static int64_t
s_server_cpu_us (const options_t *options)
{
    return options->server_pid ? bench_process_cpu_us (options->server_pid) : -1;
}

static int
s_run (const options_t *options)
{
    workload_t workload = options->workload;
    long warmup = workload == W3 ? WARMUP : 0;
    s_shared = (shared_t *) mmap (NULL, sizeof (shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                  -1, 0);
    if (s_shared == MAP_FAILED)
        s_die ("mmap: %s", strerror (errno));
    s_shared->target = workload == B1 ? 0 : options->tasks + warmup;
    signal (SIGALRM, s_on_alarm);
    alarm ((unsigned) options->time_limit);

    //  Fork first: the parent's own connection must not be shared with children.
    for (int id = 0; id < options->workers; id++)
        s_spawn (s_worker, options, id);
    for (int id = 0; workload == B1 && id < options->clients; id++)
        s_spawn (s_burst_client, options, id);
    tally_t tally;
    s_tally_init (&tally, options, options->tasks + warmup, warmup);
    client_t *client = workload == B1 ? NULL : s_client_new (options, &tally);
    s_wait_ready (options->workers + (workload == B1 ? options->clients : 0));
    if (warmup && s_client_run (client, 0, warmup) < 0)
        s_die ("the warm-up failed");

    int64_t rss_before = options->server_pid ? bench_process_rss (options->server_pid) : -1;
    int64_t cpu_before = s_server_cpu_us (options), cpu_after = -1;
    int64_t start_us = 0, end_us = 0;
    long errors = 0, answered = 0;
    char extra[256];
    int length = snprintf (extra, sizeof extra, "window=%d workers=%d payload=%d", options->window,
                           options->workers, options->payload);

    if (workload == B1) {
        start_us = bench_now_us ();
        atomic_store (&s_shared->go, 1);
        for (int i = 0; i < s_child_count; i++) {
            int status;
            if (waitpid (s_children[i], &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
                errors++;
        }
        s_child_count = 0;
        cpu_after = s_server_cpu_us (options);
        for (int i = 0; i < options->clients; i++)
            if (s_shared->finished_at[i] > end_us)
                end_us = s_shared->finished_at[i];
        answered = atomic_load (&s_shared->accepted);
        errors += atomic_load (&s_shared->errors);
        length += snprintf (extra + length, sizeof extra - (size_t) length, " clients=%d", options->clients);
        if (rss_before > 0) {
            usleep (100000); //  let the last acknowledged task land in the queue
            int64_t rss_after = bench_process_rss (options->server_pid);
            double per_task = (double) (rss_after - rss_before) / (double) options->tasks - options->payload;
            snprintf (extra + length, sizeof extra - (size_t) length,
                      " rss_before_kb=%lld rss_after_kb=%lld bytes_per_task=%.0f", (long long) rss_before / 1024,
                      (long long) rss_after / 1024, per_task);
        }
    }
    else {
        if (s_client_run (client, warmup, options->tasks) < 0)
            errors++;
        start_us = tally.first_us;
        end_us = tally.last_us;
        answered = workload == W2 ? tally.accepted : tally.results - warmup;
        if (workload == W2 && errors == 0) {
            while (atomic_load (&s_shared->completed) < s_shared->target)
                usleep (1000); //  bounded by the time limit
            double done_s = (double) (atomic_load (&s_shared->completed_at) - start_us) / 1e6;
            snprintf (extra + length, sizeof extra - (size_t) length, " done_s=%.3f done_rate=%.0f", done_s,
                      done_s > 0 ? (double) options->tasks / done_s : 0.0);
        }
        cpu_after = s_server_cpu_us (options);
        errors += tally.errors;
        usleep (20000); //  a task run twice would show up in the count
    }
    long completed = atomic_load (&s_shared->completed);
    s_stop_children ();
    alarm (0);
    if (answered != options->tasks) {
        fprintf (stderr, PROGRAM ": %ld of %ld tasks answered\n", answered, options->tasks);
        errors += labs (options->tasks - answered);
    }
    if (completed != s_shared->target) {
        fprintf (stderr, PROGRAM ": the workers ran %ld tasks, not %ld\n", completed, s_shared->target);
        errors += labs (s_shared->target - completed);
    }
    bench_result (options->system, s_workload_names[workload], options->rep, (size_t) options->tasks,
                  end_us > start_us ? (double) (end_us - start_us) / 1e6 : 0,
                  workload == W1 || workload == W3 ? &tally.latency : NULL,
                  cpu_before >= 0 && cpu_after >= 0 ? cpu_after - cpu_before : -1, (size_t) errors, extra);
    s_client_destroy (&client);
    s_tally_free (&tally);
    return errors ? 1 : 0;
}

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: " PROGRAM " -p PORT -W W1|W2|W3|B1 [-n TASKS] [-c WINDOW]\n"
             "         [-w WORKERS] [-k CLIENTS] [-s BYTES] [-T SECONDS] [-r REP] [-S SERVER_PID] [-L SYSTEM]\n"
             "  defaults: -n 50000 -c 256 -w 4 (W3: 1, B1: 0) -k 4 -s 64 -T 120 -r 1 -L " SYSTEM "\n"
             "  W3 runs one task at a time after %d unmeasured ones; B1 runs no worker\n",
             WARMUP);
    exit (2);
}

static long
s_number (const char *text, long low, long high, const char *what)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || end == text || *end || value < low || value > high) {
        fprintf (stderr, PROGRAM ": %s must be a number from %ld to %ld, not \"%s\"\n", what, low, high, text);
        exit (2);
    }
    return value;
}

int
main (int argc, char *argv[])
{
    options_t options = { .system = SYSTEM, .tasks = 50000, .window = 256, .workers = -1, .clients = 4,
                          .payload = 64, .time_limit = 120, .rep = 1 };
    int workload = -1, option;
    while ((option = getopt (argc, argv, "W:n:c:w:k:s:p:T:r:S:L:h")) != -1) {
        switch (option) {
        case 'W':
            for (int i = 0; i < 4; i++)
                if (strcmp (optarg, s_workload_names[i]) == 0)
                    workload = i;
            if (workload < 0)
                s_usage ();
            break;
        case 'n': options.tasks = s_number (optarg, 1, 10000000, "-n"); break;
        case 'c': options.window = (int) s_number (optarg, 1, 100000, "-c"); break;
        case 'w': options.workers = (int) s_number (optarg, 0, MAX_CHILDREN / 2, "-w"); break;
        case 'k': options.clients = (int) s_number (optarg, 1, MAX_CHILDREN / 2, "-k"); break;
        case 's': options.payload = (int) s_number (optarg, 32, 60000, "-s"); break;
        case 'p': options.port = (int) s_number (optarg, 1, 65535, "-p"); break;
        case 'T': options.time_limit = (int) s_number (optarg, 1, 3600, "-T"); break;
        case 'r': options.rep = (int) s_number (optarg, 0, 1000000, "-r"); break;
        case 'S': options.server_pid = (int) s_number (optarg, 1, 1 << 30, "-S"); break;
        case 'L': options.system = optarg; break;
        default: s_usage ();
        }
    }
    if (optind != argc || workload < 0 || !options.port)
        s_usage ();
    options.workload = (workload_t) workload;
    if (options.workers < 0)
        options.workers = options.workload == W3 ? 1 : options.workload == B1 ? 0 : 4;
    if (options.workload == W3)
        options.window = 1;
    if (options.workload == B1 && options.workers > 0) {
        fprintf (stderr, PROGRAM ": B1 runs no worker\n");
        return 2;
    }
    if (options.workload != B1 && options.workers == 0) {
        fprintf (stderr, PROGRAM ": %s needs a worker\n", s_workload_names[options.workload]);
        return 2;
    }
    if (options.workload != B1)
        options.clients = 0;
    return s_run (&options);
}
