/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  wait_client - libztask's waiting calls against a real broker, for
    tests/cli.sh: does PROGRESS reach the progress callback?

        wait_client wait|submit_wait RELEASE-FILE

    Submits a task of the hold fixture (tests/fixtures/hold.c) whose payload
    is RELEASE-FILE, an absolute path, and waits for it, with
    ztask_client_submit then ztask_client_wait_progress ("wait"), or with
    ztask_client_submit_wait ("submit_wait"). The task runs until
    RELEASE-FILE exists, and only the progress callback creates it, on the
    first report "held": the task can end only if a PROGRESS reached the
    callback while it ran. The broker is $ZTASK_BROKER.

    Prints one line per progress report, "progress DONE/TOTAL TEXT", then
    "end STATE RESULT". Exit 0 when the task is done after at least one
    report, 1 otherwise (the reason on stderr), 2 on a usage error. Each
    wait is bounded by 60 s.
*/
#include <ztask/client.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 60000

typedef struct {
    const char *release; /* the file to create on the first "held"  */
    int reports;         /* progress reports seen                   */
    int released;        /* 1 once the file was created             */
} progress_t;

static void
s_on_progress (const ztask_task_t *task, void *arg)
{
    progress_t *self = (progress_t *) arg;
    self->reports++;
    printf ("progress %" PRIu64 "/%" PRIu64 " %s\n", task->progress_done, task->progress_total,
            task->progress_text);
    fflush (stdout);
    if (!self->released && strcmp (task->progress_text, "held") == 0) {
        int fd = open (self->release, O_WRONLY | O_CREAT, 0644);
        if (fd < 0)
            fprintf (stderr, "wait_client: cannot create %s: %s\n", self->release, strerror (errno));
        else {
            close (fd);
            self->released = 1;
        }
    }
}

int
main (int argc, char *argv[])
{
    if (argc != 3 || (strcmp (argv[1], "wait") != 0 && strcmp (argv[1], "submit_wait") != 0)
        || argv[2][0] != '/') {
        fprintf (stderr, "usage: wait_client wait|submit_wait /RELEASE-FILE\n");
        return 2;
    }
    ztask_client_t *client = ztask_client_new (NULL);
    if (!client) {
        fprintf (stderr, "wait_client: cannot make a client (is ZTASK_BROKER valid?)\n");
        return 1;
    }
    ztask_client_set_timeout (client, 20000);
    progress_t progress = { argv[2], 0, 0 };
    ztask_task_t *task = NULL;
    uint64_t id = 0;
    int rc;
    if (strcmp (argv[1], "wait") == 0) {
        rc = ztask_client_submit (client, "hold", argv[2], strlen (argv[2]), NULL, &id);
        if (rc == 0)
            rc = ztask_client_wait_progress (client, id, WAIT_MS, s_on_progress, &progress, &task);
    }
    else
        rc = ztask_client_submit_wait (client, "hold", argv[2], strlen (argv[2]), NULL, WAIT_MS,
                                       s_on_progress, &progress, &id, &task);
    int code = 1;
    if (rc != 0)
        fprintf (stderr, "wait_client: task %" PRIu64 ": %s\n", id, ztask_client_error (client));
    else {
        printf ("end %s %s\n", task->state == ZTASK_STATE_DONE ? "done" : "not-done",
                task->result ? (const char *) task->result : "");
        if (task->state != ZTASK_STATE_DONE)
            fprintf (stderr, "wait_client: task %" PRIu64 " ended in state %d: %s\n", id, (int) task->state,
                     task->error);
        else if (progress.reports == 0)
            fprintf (stderr, "wait_client: task %" PRIu64 " ended without a progress report\n", id);
        else
            code = 0;
    }
    ztask_task_destroy (&task);
    ztask_client_destroy (&client);
    return code;
}
