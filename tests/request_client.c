/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  request_client - libztask's submit request (ztask_request_t) against a
    real broker, for tests/routing.sh: what the library sends unchecked
    reaches the broker, whose refusal comes back; what a task asks comes
    back in its ztask_task_t.

        request_client submit TYPE [-r REQUIREMENT]... [-v VERSION] [-n NEEDS]
                                   [-l LIMIT] [-d PAYLOAD] [-w]
        request_client status ID

    submit prints "id ID" (with -w: waits for the end, then prints the
    task as status does), or "error CODE TEXT" (CODE: ztask_client_code_t)
    and exits 1. status prints the task's fields, one a line: "state S",
    "require R" (one line each), "version V", "needs N", "limit L",
    "waiting CODE", "waiting_text TEXT". The broker is $ZTASK_BROKER.
    Exit 2 on a usage error. */
#include <ztask/client.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_print (const ztask_task_t *task)
{
    printf ("id %" PRIu64 "\n", task->id);
    printf ("state %s\n", ztask_state_name (task->state));
    for (size_t i = 0; i < task->require_count; i++)
        printf ("require %s\n", task->require[i]);
    printf ("version %s\n", task->version);
    printf ("needs %s\n", task->needs);
    printf ("limit %s\n", task->limit);
    printf ("waiting %s\n", task->waiting);
    printf ("waiting_text %s\n", task->waiting_text);
}

static int
s_failed (ztask_client_t *client)
{
    printf ("error %d %s\n", ztask_client_error_code (client), ztask_client_error (client));
    return 1;
}

int
main (int argc, char *argv[])
{
    if (argc < 3 || (strcmp (argv[1], "submit") != 0 && strcmp (argv[1], "status") != 0)) {
        fprintf (stderr, "usage: request_client submit TYPE [-r REQ]... [-v VERSION] [-n NEEDS] [-l LIMIT] "
                         "[-d PAYLOAD] [-w] | status ID\n");
        return 2;
    }
    ztask_client_t *client = ztask_client_new (NULL);
    if (!client) {
        fprintf (stderr, "request_client: %s\n", ztask_client_error (NULL));
        return 2;
    }
    ztask_client_set_timeout (client, 20000);
    int code = 0;
    if (strcmp (argv[1], "status") == 0) {
        ztask_task_t *task = NULL;
        if (ztask_client_status (client, strtoull (argv[2], NULL, 10), &task) != 0)
            code = s_failed (client);
        else
            s_print (task);
        ztask_task_destroy (&task);
        ztask_client_destroy (&client);
        return code;
    }
    const char *type = argv[2], *payload = "";
    bool wait = false;
    ztask_request_t *request = ztask_request_new ();
    int opt;
    optind = 3;
    while ((opt = getopt (argc, argv, "r:v:n:l:d:w")) != -1) {
        int rc = 0;
        switch (opt) {
        case 'r': rc = ztask_request_add_require (request, optarg); break;
        case 'v': rc = ztask_request_set_version (request, optarg); break;
        case 'n': rc = ztask_request_set_needs (request, optarg); break;
        case 'l': rc = ztask_request_set_limit (request, optarg); break;
        case 'd': payload = optarg; break;
        case 'w': wait = true; break;
        default: rc = -1;
        }
        if (rc != 0) {
            fprintf (stderr, "request_client: bad option\n");
            ztask_request_destroy (&request);
            ztask_client_destroy (&client);
            return 2;
        }
    }
    uint64_t id = 0;
    if (wait) {
        ztask_task_t *task = NULL;
        if (ztask_client_submit_wait_request (client, type, payload, strlen (payload), request, 60000, NULL, NULL,
                                              &id, &task)
            != 0)
            code = s_failed (client);
        else
            s_print (task);
        ztask_task_destroy (&task);
    }
    else if (ztask_client_submit_request (client, type, payload, strlen (payload), request, &id) != 0)
        code = s_failed (client);
    else
        printf ("id %" PRIu64 "\n", id);
    ztask_request_destroy (&request);
    ztask_client_destroy (&client);
    return code;
}
