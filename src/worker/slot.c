/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  slot - runs one task at a time on its own thread, or (isolation =
    "process") in a fresh child process per task that the thread forks and
    watches.

    The hand-off costs no message: slot_start fills the slot under its
    mutex and slot_kick signals the thread's condition variable. (A POSIX
    semaphore saves glibc one futex call per task, but unnamed semaphores
    do not exist on every Unix: macOS's sem_init fails.) The way back costs nothing
    here: the thread calls the worker's report function itself, which
    sends the result to the broker from this thread.

    The child runs the plugin with a context whose progress sink and final
    outcome go back to the slot's thread over a pipe, as records: a 5-byte
    header (type, then the body size as a host-order uint32) and the body.

        'P' progress  u64 done, u64 total, text (0-255 bytes, no NUL)
        'D' done      i32 rc, i32 retry, u8 has_result, u32 error size,
                      u32 retry after (ms; 0: none), error (0-255 bytes),
                      result (the rest)

    The child touches no ZeroMQ socket and leaves with _exit, so none of the
    worker's czmq state is used or torn down in it. The thread reads the
    pipe, forwards progress as thread mode does, kills the child with
    SIGKILL once the task is cancelled or timed out, and always reaps it. A
    child that dies without a complete 'D' record fails the attempt with
    the cause named, as a retry.
*/
#include "slot.h"
#include "common/ztask_log.h"
#include "proto/ztask_msg.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define PROGRESS_INTERVAL_MS 200 /* at most this often to the broker */
#define CHILD_POLL_MS 20         /* a cancel kills the child within this */

#define RECORD_HEADER 5     /* type + body size                       */
#define RECORD_PROGRESS 'P'
#define RECORD_DONE 'D'
#define PROGRESS_FIXED 16   /* done, total                            */
#define DONE_FIXED 17       /* rc, retry, has_result, error size, retry after */
#define TEXT_MAX 255        /* progress text and error, in records    */

static const char s_timed_out[] = "timed out";

struct slot {
    pthread_t thread;        /* the thread that runs plugins           */
    bool thread_started;     /* thread is joinable                     */
    pthread_mutex_t lock;    /* guards run, stop, has_task, cancel_why */
    pthread_cond_t wake;     /* signalled when run or stop is set      */
    bool run;                /* a task is handed over, not yet taken   */
    bool stop;               /* the thread leaves                      */
    bool has_task;           /* from slot_start until the task ended   */
    const char *cancel_why;  /* set when the worker cancelled the task */
    slot_report_fn *report;  /* the worker's, called on the thread     */
    void *report_arg;
    size_t max_result;
    int isolation;           /* SLOT_THREAD or SLOT_PROCESS            */
    /* Written by slot_start before it hands the task over, then the
       thread's until the task's end (but ctx.cancelled, an atomic): */
    ztask_module_t *module;  /* plugin running the task                */
    zmq_msg_t payload;       /* the task's, as received                */
    uint32_t parent_sizes[ZTASK_PARENTS_MAX]; /* its parents' results after it */
    ztask_ctx_t ctx;
    uint32_t timeout_ms;
    int rc;                  /* what run returned (thread)             */
    int64_t progress_at;     /* last progress sent (thread)            */
    int64_t deadline;        /* monotonic ms; 0: none (messaging thread) */
    bool kick;               /* slot_start awaits slot_kick (messaging thread) */
    /* process isolation: */
    int child_fd;            /* the child's end of the pipe (child)    */
    byte *record;            /* record being read from the child       */
    size_t record_size;      /* bytes of it read so far                */
    size_t record_max;       /* allocated                              */
    bool child_done;         /* the child sent its 'D' record          */
};

/* True when a progress report is due: rate-limited, but the last one
   (done == total) always goes. Runs on the slot's thread or in the child
   (zclock_mono only reads the clock). */
static bool
s_progress_due (slot_t *self, uint64_t done, uint64_t total)
{
    int64_t now = zclock_mono ();
    if (now - self->progress_at < PROGRESS_INTERVAL_MS && !(total && done >= total))
        return false;
    self->progress_at = now;
    return true;
}

/* Reports progress to the worker (slot's thread). */
static void
s_publish_progress (slot_t *self, uint64_t done, uint64_t total, const char *text)
{
    slot_event_t event;
    event.kind = SLOT_PROGRESS;
    event.task_id = self->ctx.task_id;
    event.attempt = self->ctx.attempt;
    event.done = done;
    event.total = total;
    ztask_msg_strcpy (event.text, text ? text : "");
    event.status = 0;
    event.retry_after_ms = 0;
    event.error[0] = 0;
    event.result = NULL;
    event.result_size = 0;
    self->report (self->report_arg, self, &event);
}

/* Progress sink: runs on the slot's thread, inside the plugin's run. */
static void
s_progress (void *arg, uint64_t done, uint64_t total, const char *text)
{
    slot_t *self = (slot_t *) arg;
    if (s_progress_due (self, done, total))
        s_publish_progress (self, done, total, text);
}

/* ---- the child (process isolation): plain libc, no czmq sockets ---- */

/* Writes all of data, or leaves: the worker is gone. */
static void
s_child_write_all (int fd, const void *data, size_t size)
{
    const byte *at = (const byte *) data;
    while (size > 0) {
        ssize_t written = write (fd, at, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            _exit (125);
        at += written;
        size -= (size_t) written;
    }
}

/* Sends one record: head (at most DONE_FIXED + TEXT_MAX bytes) and tail
   make up its body. */
static void
s_child_send (slot_t *self, char type, const void *head, size_t head_size, const void *tail,
              size_t tail_size)
{
    byte buffer[RECORD_HEADER + DONE_FIXED + TEXT_MAX];
    assert (head_size <= DONE_FIXED + TEXT_MAX);
    uint32_t body_size = (uint32_t) (head_size + tail_size);
    buffer[0] = (byte) type;
    memcpy (buffer + 1, &body_size, sizeof body_size);
    memcpy (buffer + RECORD_HEADER, head, head_size);
    s_child_write_all (self->child_fd, buffer, RECORD_HEADER + head_size);
    if (tail_size)
        s_child_write_all (self->child_fd, tail, tail_size);
}

/* Progress sink in the child: a 'P' record. */
static void
s_child_progress (void *arg, uint64_t done, uint64_t total, const char *text)
{
    slot_t *self = (slot_t *) arg;
    if (!s_progress_due (self, done, total))
        return;
    byte body[PROGRESS_FIXED + TEXT_MAX];
    size_t text_size = text ? strnlen (text, TEXT_MAX) : 0;
    memcpy (body, &done, 8);
    memcpy (body + 8, &total, 8);
    if (text_size)
        memcpy (body + PROGRESS_FIXED, text, text_size);
    s_child_send (self, RECORD_PROGRESS, body, PROGRESS_FIXED + text_size, NULL, 0);
}

/* A plugin that calls exit () in the child must not run the worker's
   atexit handlers: czmq's tears down the ZeroMQ context and sockets the
   child shares with the worker, and a sanitizer's leak check would report
   the worker's memory and change the exit status. Registered last, this
   runs first and leaves at once with the plugin's status. */
#ifdef __GLIBC__
static void
s_child_on_exit (int status, void *arg)
{
    (void) arg;
    _exit (status);
}
#else
static void
s_child_at_exit (void)
{
    _exit (126); /* no on_exit (): the plugin's exit status is lost */
}
#endif

/* Runs the task in the freshly forked child and leaves. */
static void s_child (slot_t *self, int fd, pid_t worker) __attribute__ ((noreturn));

static void
s_child (slot_t *self, int fd, pid_t worker)
{
#ifdef __linux__
    /* Dies with the worker's slot thread, e.g. when the worker is killed. */
    prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid () != worker)
        _exit (124); /* the worker died before prctl */
    /* The plugin dies of its own signals: not the worker's SIGINT/SIGTERM
       handlers (czmq), nor a sanitizer's or crash reporter's SIGSEGV
       handler that would turn a crash into an exit status. */
    const int defaults[] = { SIGINT, SIGTERM, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        signal (defaults[i], SIG_DFL);
    sigset_t none;
    sigemptyset (&none);
    pthread_sigmask (SIG_SETMASK, &none, NULL);
#ifdef __GLIBC__
    on_exit (s_child_on_exit, NULL);
#else
    atexit (s_child_at_exit);
#endif
    self->child_fd = fd;
    self->progress_at = 0;
    self->ctx.progress_fn = s_child_progress;
    self->ctx.progress_arg = self;
    int32_t rc = ztask_module_run (self->module, &self->ctx);
    int32_t retry = self->ctx.retry;
    byte has_result = self->ctx.result != NULL;
    uint32_t error_size = (uint32_t) strnlen (self->ctx.error, TEXT_MAX);
    byte head[DONE_FIXED + TEXT_MAX];
    memcpy (head, &rc, 4);
    memcpy (head + 4, &retry, 4);
    head[8] = has_result;
    memcpy (head + 9, &error_size, 4);
    memcpy (head + 13, &self->ctx.retry_after_ms, 4);
    memcpy (head + DONE_FIXED, self->ctx.error, error_size);
    s_child_send (self, RECORD_DONE, head, DONE_FIXED + error_size, self->ctx.result,
                  has_result ? self->ctx.result_size : 0);
    _exit (0);
}

/* ---- the slot's thread watching a child ---- */

/* Fails the attempt as one another attempt may fix. */
static void s_fail (slot_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_fail (slot_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->ctx.error, sizeof self->ctx.error, format, args);
    va_end (args);
    self->ctx.error_set = true;
    self->ctx.retry = 1;
    self->rc = ZTASK_FAILED;
    ztask_log_warning ("worker: task %" PRIu64 " attempt %u: %s", self->ctx.task_id, self->ctx.attempt,
                  self->ctx.error);
}

/* Handles the complete record in self->record. Returns 0, or -1 if it is
   malformed. */
static int
s_child_record (slot_t *self)
{
    const byte *body = self->record + RECORD_HEADER;
    size_t size = self->record_size - RECORD_HEADER;
    if (self->child_done)
        return -1; /* nothing comes after 'D' */
    if (self->record[0] == RECORD_PROGRESS) {
        uint64_t done, total;
        char text[TEXT_MAX + 1];
        memcpy (&done, body, 8);
        memcpy (&total, body + 8, 8);
        memcpy (text, body + PROGRESS_FIXED, size - PROGRESS_FIXED);
        text[size - PROGRESS_FIXED] = 0;
        s_publish_progress (self, done, total, text);
        return 0;
    }
    int32_t rc, retry;
    uint32_t error_size;
    memcpy (&rc, body, 4);
    memcpy (&retry, body + 4, 4);
    memcpy (&error_size, body + 9, 4);
    memcpy (&self->ctx.retry_after_ms, body + 13, 4);
    bool has_result = body[8] != 0;
    if (error_size > TEXT_MAX || DONE_FIXED + error_size > size)
        return -1;
    size_t result_size = size - DONE_FIXED - error_size;
    if (result_size > self->max_result || (!has_result && result_size))
        return -1;
    self->rc = rc == ZTASK_OK ? ZTASK_OK : ZTASK_FAILED;
    self->ctx.retry = retry != 0;
    memcpy (self->ctx.error, body + DONE_FIXED, error_size);
    self->ctx.error[error_size] = 0;
    self->ctx.error_set = error_size > 0;
    if (has_result) {
        /* The record's buffer becomes the result: no second copy of it. */
        memmove (self->record, body + DONE_FIXED + error_size, result_size);
        free (self->ctx.result);
        self->ctx.result = self->record;
        self->ctx.result_size = result_size;
        self->record = NULL;
        self->record_max = 0;
    }
    self->child_done = true;
    return 0;
}

/* Reads what the child sent and handles each complete record. Returns 0
   when the pipe is empty for now, 1 at its end, -1 on a malformed record. */
static int
s_child_read (slot_t *self, int fd)
{
    while (true) {
        size_t want = RECORD_HEADER;
        if (self->record_size >= RECORD_HEADER) {
            uint32_t body_size;
            memcpy (&body_size, self->record + 1, sizeof body_size);
            char type = (char) self->record[0];
            size_t min = type == RECORD_PROGRESS ? PROGRESS_FIXED : DONE_FIXED;
            size_t max = type == RECORD_PROGRESS ? PROGRESS_FIXED + TEXT_MAX
                                                 : DONE_FIXED + TEXT_MAX + self->max_result;
            if ((type != RECORD_PROGRESS && type != RECORD_DONE) || body_size < min || body_size > max)
                return -1;
            want = RECORD_HEADER + body_size;
        }
        if (self->record_size == want && want > RECORD_HEADER) {
            int rc = s_child_record (self);
            self->record_size = 0;
            if (rc)
                return -1;
            continue;
        }
        if (want > self->record_max) {
            byte *bigger = (byte *) realloc (self->record, want);
            if (!bigger) {
                ztask_log_error ("worker: no memory for a %zu-byte record from a plugin process", want);
                return -1;
            }
            self->record = bigger;
            self->record_max = want;
        }
        ssize_t got = read (fd, self->record + self->record_size, want - self->record_size);
        if (got > 0)
            self->record_size += (size_t) got;
        else if (got == 0)
            return 1;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        else if (errno != EINTR) {
            ztask_log_error ("worker: cannot read from a plugin process: %s", strerror (errno));
            return 1;
        }
    }
}

/* Runs the task in a fresh child process and waits for it, killing it
   when the task is cancelled. Sets self->rc and self->ctx as a run in
   thread mode would. */
static void
s_run_child (slot_t *self)
{
    self->rc = ZTASK_FAILED;
    self->child_done = false;
    self->record_size = 0;
    int fds[2];
    if (pipe (fds) != 0) {
        s_fail (self, "worker cannot start a plugin process: pipe: %s", strerror (errno));
        return;
    }
    pid_t worker = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        close (fds[0]);
        s_child (self, fds[1], worker); /* does not return */
    }
    int fork_errno = errno;
    close (fds[1]);
    if (pid < 0) {
        close (fds[0]);
        s_fail (self, "worker cannot start a plugin process: fork: %s", strerror (fork_errno));
        return;
    }
    int fd = fds[0];
    if (fcntl (fd, F_SETFL, O_NONBLOCK) != 0 || fcntl (fd, F_SETFD, FD_CLOEXEC) != 0)
        ztask_log_error ("worker: fcntl on a plugin process's pipe: %s", strerror (errno));

    bool killed = false, ended = false, malformed = false;
    int status = 0;
    unsigned quiet_turns = 0; /* turns since the pipe ended */
    while (true) {
        if (!killed && (malformed || atomic_load (&self->ctx.cancelled))) {
            if (kill (pid, SIGKILL) != 0)
                ztask_log_error ("worker: cannot kill plugin process %d: %s", (int) pid, strerror (errno));
            killed = true;
        }
        if (!ended) {
            struct pollfd item = { fd, POLLIN, 0 };
            int ready = poll (&item, 1, CHILD_POLL_MS);
            if (ready > 0) {
                int rc = s_child_read (self, fd);
                ended = rc != 0;
                malformed = rc < 0;
            }
            else if (ready < 0 && errno != EINTR) {
                ztask_log_error ("worker: poll on a plugin process's pipe: %s", strerror (errno));
                ended = true;
            }
        }
        else /* the pipe closed: the child is about to end (or closed it) */
            zclock_sleep (quiet_turns++ < 10 ? 2 : CHILD_POLL_MS);
        pid_t reaped = waitpid (pid, &status, WNOHANG);
        if (reaped == pid)
            break;
        if (reaped < 0 && errno != EINTR) {
            ztask_log_error ("worker: waitpid on plugin process %d: %s", (int) pid, strerror (errno));
            status = -1;
            break;
        }
    }
    /* What the child wrote before it ended (a grandchild holding the pipe
       open cannot keep us here: the pipe is non-blocking). */
    if (!ended && !self->child_done && s_child_read (self, fd) < 0)
        malformed = true;
    close (fd);
    if (self->record_max > 64 * 1024) {
        free (self->record);
        self->record = NULL;
        self->record_max = 0;
    }
    if (self->child_done)
        return;
    if (malformed)
        s_fail (self, "plugin process sent a malformed record");
    else if (killed)
        self->rc = ZTASK_FAILED; /* cancelled: s_publish_done names why */
    else if (status == -1)
        s_fail (self, "plugin process lost: waitpid failed");
    else if (WIFSIGNALED (status))
        s_fail (self, "plugin crashed: killed by signal %d (%s)", WTERMSIG (status),
                strsignal (WTERMSIG (status)));
    else if (WIFEXITED (status))
        s_fail (self, "plugin exited with status %d before finishing", WEXITSTATUS (status));
    else
        s_fail (self, "plugin process ended before finishing (wait status %d)", status);
}

/* Reports the end of the task that just ran (slot's thread). */
static void
s_publish_done (slot_t *self)
{
    slot_event_t event;
    event.kind = SLOT_DONE;
    event.task_id = self->ctx.task_id;
    event.attempt = self->ctx.attempt;
    event.done = event.total = 0;
    event.retry_after_ms = 0;
    event.text[0] = 0;
    pthread_mutex_lock (&self->lock);
    const char *why = self->cancel_why;
    self->has_task = false; /* a cancel from now on is too late */
    pthread_mutex_unlock (&self->lock);
    _Static_assert (sizeof event.error == sizeof self->ctx.error, "slot_event_t.error is ctx's");
    if (self->rc == ZTASK_OK) {
        /* A result the plugin produced is not thrown away, even if the
           cancel or the timeout came first (a plugin that did not look at
           ztask_cancelled, or finished before it noticed): the broker ends
           the task done. A killed child (process isolation) sent none. */
        if (why)
            ztask_log_info ("worker: task %" PRIu64 " attempt %u succeeded although %s: reporting its result",
                       self->ctx.task_id, self->ctx.attempt,
                       why == s_timed_out ? "it timed out" : "it was stopped");
        memcpy (event.error, self->ctx.error, sizeof event.error); /* NUL-terminated */
        event.status = ZTASK_RESULT_OK;
    }
    else if (why) {
        /* The worker stopped it: another attempt may succeed. */
        if (why == s_timed_out)
            snprintf (event.error, sizeof event.error, "timed out after %u ms", self->timeout_ms);
        else
            snprintf (event.error, sizeof event.error, "%s", why);
        event.status = ZTASK_RESULT_RETRY;
    }
    else {
        memcpy (event.error, self->ctx.error, sizeof event.error); /* NUL-terminated */
        event.status = self->ctx.retry ? ZTASK_RESULT_RETRY : ZTASK_RESULT_FAILED;
        if (self->ctx.retry)
            event.retry_after_ms = self->ctx.retry_after_ms;
    }
    /* The result changes hands: no copy of it. */
    event.result = self->ctx.result;
    event.result_size = self->ctx.result_size;
    self->ctx.result = NULL;
    self->ctx.result_size = 0;
    /* From here on slot_start may run: ctx is the messaging thread's. */
    self->report (self->report_arg, self, &event);
}

/* The slot's thread: waits for a task, runs it, reports its end. */
static void *
s_thread (void *args)
{
    slot_t *self = (slot_t *) args;
    while (true) {
        pthread_mutex_lock (&self->lock);
        while (!self->run && !self->stop)
            pthread_cond_wait (&self->wake, &self->lock);
        bool stop = self->stop, run = self->run;
        self->run = false;
        pthread_mutex_unlock (&self->lock);
        if (stop)
            break;
        if (!run)
            continue;
        self->progress_at = 0;
        if (self->isolation == SLOT_PROCESS)
            s_run_child (self);
        else
            self->rc = ztask_module_run (self->module, &self->ctx);
        s_publish_done (self);
    }
    return NULL;
}

slot_t *
slot_new (size_t max_result, int isolation, slot_report_fn *report, void *arg)
{
    assert (isolation == SLOT_THREAD || isolation == SLOT_PROCESS);
    slot_t *self = (slot_t *) zmalloc (sizeof (slot_t));
    assert (self);
    self->max_result = max_result;
    self->isolation = isolation;
    self->report = report;
    self->report_arg = arg;
    self->child_fd = -1;
    zmq_msg_init (&self->payload);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    /* The thread starts with these blocked (a child resets its mask). */
    sigset_t blocked, old;
    sigemptyset (&blocked);
    sigaddset (&blocked, SIGINT);
    sigaddset (&blocked, SIGTERM);
    sigaddset (&blocked, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &blocked, &old);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        ztask_log_error ("worker: cannot start a slot thread: %s", strerror (rc));
        slot_destroy (&self);
        return NULL;
    }
    self->thread_started = true;
    return self;
}

void
slot_destroy (slot_t **self_p)
{
    assert (self_p);
    slot_t *self = *self_p;
    if (self) {
        slot_cancel (self, "the worker is stopping");
        if (self->thread_started) {
            pthread_mutex_lock (&self->lock);
            self->stop = true;
            pthread_mutex_unlock (&self->lock);
            pthread_cond_signal (&self->wake);
            /* Waits for a running plugin to return; in process mode the
               thread kills the child (the cancel above) and reaps it first. */
            pthread_join (self->thread, NULL);
        }
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
        ztask_ctx_clear (&self->ctx);
        zmq_msg_close (&self->payload);
        free (self->record);
        free (self);
        *self_p = NULL;
    }
}

void
slot_start (slot_t *self, ztask_module_t *module, uint64_t task_id, uint32_t attempt,
            const uint32_t *parent_sizes, size_t parent_count, zmq_msg_t *payload, uint32_t timeout_ms)
{
    ztask_ctx_clear (&self->ctx);
    zmq_msg_move (&self->payload, payload); /* closes the last task's */
    self->module = module;
    /* The body: the payload, then the parents' results (the worker
       checked that their sizes fit in it). */
    size_t results = 0;
    for (size_t i = 0; i < parent_count && i < ZTASK_PARENTS_MAX; i++)
        results += (self->parent_sizes[i] = parent_sizes[i]);
    ztask_ctx_init (&self->ctx, task_id, attempt, zmq_msg_data (&self->payload),
                    zmq_msg_size (&self->payload) - results, self->max_result);
    ztask_ctx_set_parents (&self->ctx, self->parent_sizes, parent_count);
    self->ctx.progress_fn = s_progress;
    self->ctx.progress_arg = self;
    self->timeout_ms = timeout_ms;
    self->deadline = timeout_ms ? zclock_mono () + timeout_ms : 0;
    pthread_mutex_lock (&self->lock);
    assert (!self->has_task);
    self->has_task = true;
    self->cancel_why = NULL;
    self->run = true;
    pthread_mutex_unlock (&self->lock);
    self->kick = true;
}

void
slot_kick (slot_t *self)
{
    if (self->kick) {
        self->kick = false;
        pthread_cond_signal (&self->wake); /* run was set under the lock: no wake-up is lost */
    }
}

void
slot_cancel (slot_t *self, const char *why)
{
    pthread_mutex_lock (&self->lock);
    if (self->has_task && !self->cancel_why) {
        self->cancel_why = why;
        atomic_store (&self->ctx.cancelled, 1);
    }
    pthread_mutex_unlock (&self->lock);
}

void
slot_check_timeout (slot_t *self, int64_t now)
{
    if (self->deadline && now >= self->deadline) {
        self->deadline = 0; /* once */
        slot_cancel (self, s_timed_out);
    }
}
