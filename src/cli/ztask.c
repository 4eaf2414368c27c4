/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask - the command line client: submit tasks, follow them, look at the
    broker. Parses the command line and calls libztask; cli_output.c does
    the printing. Exit codes are part of the interface (see s_usage). */
#if HAVE_CONFIG_H
#include <config.h>
#endif
#include "cli/cli_batch.h"
#include "cli/cli_output.h"
#include "common/ztask_names.h"
#include "common/ztask_cron.h"
#include "common/ztask_duration.h"
#include "common/ztask_require.h"
#include "common/ztask_retry.h"
#include "ztask/client.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Exit codes a script can rely on. */
#define EXIT_OK 0
#define EXIT_TASK_FAILED 1   /* failed or cancelled (submit --wait, result);
                                cancel: the task had already ended           */
#define EXIT_USAGE 2         /* bad command line                             */
#define EXIT_NOT_FINISHED 3  /* result of a queued or running task           */
#define EXIT_NOT_FOUND 4     /* no such task                                 */
#define EXIT_NO_BROKER 5     /* broker unreachable, no answer in time        */
#define EXIT_REFUSED 6       /* queue full, payload too large, bad request   */
#define EXIT_BROKER_FAILED 7 /* broker's internal error, an answer that makes
                                no sense                                     */
#define EXIT_UNAVAILABLE 8    /* the broker's store is unavailable: try later  */
#define EXIT_INTERRUPTED 130 /* Ctrl-C (128 + SIGINT, as shells report it)   */

#define PAYLOAD_MAX (256UL * 1024 * 1024) /* the most any broker accepts  */
#define ATTEMPTS_MAX 1000
#define LIST_LIMIT_DEFAULT 50
#define CERT_NAME_MAX 200
#define ARGS_MAX 1000        /* task ids one 'ztask retry' takes           */
#define AGE_MAX_MS ZTASK_AGE_MAX_MS /* --since, --before, --in, --at */

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: ztask [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  submit TYPE [SUBMIT OPTIONS]  queue a task for plugin TYPE; prints its id\n"
"  status ID [--history]         state, progress, worker and times of a task\n"
"                                (--history: and each transition it went\n"
"                                through)\n"
"  result ID                     the result of a finished task, as raw bytes\n"
"  cancel ID                     cancel a queued task, or stop a running one\n"
"  list [LIST OPTIONS]           tasks, newest first: id, type, priority,\n"
"                                state, attempts, worker, error\n"
"  retry ID...                   requeue failed or cancelled tasks with fresh\n"
"                                attempts (0 used)\n"
"  retry --state STATE [--type T] [--since AGE] [--limit N]\n"
"                                requeue the failed (or cancelled) tasks of\n"
"                                type T that ended in the last AGE\n"
"  purge --state STATE --before AGE [--type T]\n"
"                                delete the tasks in STATE (done, failed,\n"
"                                cancelled or finished: all three) that ended\n"
"                                more than AGE ago, with their history\n"
"  pause TYPE                    stop dispatching tasks of TYPE (they wait)\n"
"  resume TYPE                   dispatch tasks of TYPE again\n"
"  stats                         tasks by state and type (queued ones by\n"
"                                priority), workers, slots\n"
"  workers                       workers: plugins, priorities, slots, tasks\n"
"  keygen NAME [-o DIR]          a new CURVE certificate: DIR/NAME.key (public)\n"
"                                and DIR/NAME.key_secret (secret, mode 0600)\n"
"  schedule add NAME --cron EXPR [--tz ZONE] [--catchup skip|once] TYPE\n"
"           [-p P] [-d DATA | -i FILE] [--timeout DUR] [--attempts N]\n"
"                                a recurring schedule: a task of TYPE at the\n"
"                                times of a five-field cron expression in\n"
"                                ZONE (default UTC), keyed NAME@<fire time>\n"
"  schedule list                 the schedules: cron, zone, next fire, state\n"
"  schedule show NAME            one schedule and its next 3 fire times\n"
"  schedule pause NAME           stop its fires; resume NAME starts them again\n"
"  schedule resume NAME          (from the next fire after now)\n"
"  schedule remove NAME          delete a schedule\n"
"  batch submit FILE [--then TYPE] [--key KEY] [SUBMIT OPTIONS]\n"
"                                the tasks of FILE (one 'TYPE PAYLOAD' a\n"
"                                line, or a JSON array), accepted all or\n"
"                                none; prints the batch id (its first task's:\n"
"                                task N of the file has id ID+N-1)\n"
"  batch status ID               a batch's tasks by state, and its then task\n"
"\n"
"Submit options:\n"
"  -p, --priority P     low, normal (the default), high, or 0-9 (9 goes first)\n"
"  -d, --data DATA      the payload\n"
"  -i, --input FILE     read the payload from FILE ('-' for stdin); without -d\n"
"                       or -i the payload is stdin, or empty on a terminal\n"
"      --timeout DUR    run time limit per attempt: 500ms, 30s, 5m, 1h, or\n"
"                       a number of seconds (default 0: no limit)\n"
"      --attempts N     attempts at most, 1-%d (default: its type's in the\n"
"                       broker's config, else the broker's max_attempts)\n"
"      --retry-backoff MIN..MAX\n"
"                       wait between a failed attempt and the next: from\n"
"                       MIN, doubling each attempt, up to MAX, with jitter,\n"
"                       e.g. 1s..1h (units ms, s, m, h, d; MAX at most 7d;\n"
"                       default: its type's, else 250ms..10s)\n"
"      --key KEY        idempotency key: submitting a key again returns the\n"
"                       task that has it instead of a new one\n"
"      --wait           wait for the task and print its result (progress\n"
"                       shows on stderr when it is a terminal)\n"
"      --in DUR         a delayed task: run it DUR from now (30s, 10m, 2h,\n"
"                       1d); until then it is scheduled\n"
"      --at TIME        a delayed task: run it at TIME, ISO 8601 in UTC\n"
"                       (2027-01-04T03:00:00Z, also with .mmm) or with an\n"
"                       offset (2027-01-04T05:00:00+02:00); a TIME in the\n"
"                       past runs it now\n"
"      --require REQ    run it only on a worker whose labels meet REQ:\n"
"                       zone=eu-1, 'tier!=spot', 'gpu_model in (a100,h100)',\n"
"                       'os not in (windows)', os (present), '!spot'\n"
"                       (absent), 'cores>=8'; up to %d, all must hold\n"
"      --needs RES      resources it holds while it runs, e.g.\n"
"                       gpu=1,memory_mb=16000 (the worker must have them free)\n"
"      --limit NAME     a fleet-wide limit of the broker's (its 'limits')\n"
"                       that it counts against\n"
"      --after ID[,ID]  run it once all these tasks (parents, up to %d) are\n"
"                       done; blocked until then, cancelled if one fails\n"
"      --after-any ID[,ID] the same, but run once they all ended, whatever\n"
"                       their states\n"
"  TYPE may carry a constraint on the plugin's version: 'render>=1.2',\n"
"  'render@1.x' (also >, <, <=, =; see docs/routing.md). A TYPE holding\n"
"  <, >, = or @ is read so.\n"
"\n"
"Batch options (batch submit; the submit options -p, --timeout, --attempts,\n"
"  --retry-backoff, --in, --at, --require, --needs and --limit hold for\n"
"  every task of FILE, and the first four for the then task too):\n"
"      --then TYPE      a task of TYPE that runs once every task of the\n"
"                       batch ended (whatever their states), with the\n"
"                       batch's summary (ids, states, errors) as payload\n"
"      --key KEY        the batch's idempotency key: submitting it again\n"
"                       returns the batch that has it\n"
"\n"
"Schedule options (schedule add; and -p, -d, -i, --timeout, --attempts):\n"
"      --cron EXPR      minute hour day-of-month month day-of-week, with\n"
"                       names, ranges, steps, or @daily, @hourly...\n"
"      --tz ZONE        a tz database zone: Europe/Paris (default: UTC)\n"
"      --catchup MODE   fires missed while no broker ran: skip them (the\n"
"                       default) or fire once\n"
"\n"
"List options:\n"
"      --state STATE    only tasks in STATE: queued, running, done, failed,\n"
"                       cancelled, scheduled or blocked (default: every state)\n"
"      --limit N        the newest N tasks at most, 1-%d (default %d)\n"
"      --type T         only tasks of type T\n"
"      --before ID      only tasks with an id below ID (the next page)\n"
"\n"
"Retry and purge options:\n"
"      --state STATE    retry: failed (the default with --type or --since)\n"
"                       or cancelled; purge: done, failed, cancelled or\n"
"                       finished (required)\n"
"      --type T         only tasks of type T\n"
"      --since AGE      retry: only tasks that ended within AGE (30s, 10m,\n"
"                       1h, 7d)\n"
"      --before AGE     purge: only tasks that ended more than AGE ago\n"
"                       (required; 0s: every finished task)\n"
"      --limit N        retry: N tasks at most (default and most: %d)\n"
"\n"
"Keygen options:\n"
"  -o, --output DIR     where to write the two files (default: .)\n"
"      --force          replace existing files (whoever used the old key is\n"
"                       locked out until given the new one)\n"
"\n"
"Options, before or after the command:\n"
"  -b, --broker ENDPOINT  the broker's endpoint (default: $ZTASK_BROKER,\n"
"                         else %s), or the brokers of an\n"
"                         active/standby pair as a list, tcp://a:5570,\n"
"                         tcp://b:5570: ztask finds the one that leads\n"
"  -t, --timeout MS       how long to wait for each answer of the broker\n"
"                         (default 5000); after 'submit', --timeout is the\n"
"                         task's limit: use -t there\n"
"      --cert FILE        CURVE: this client's secret certificate,\n"
"                         NAME.key_secret (default: $ZTASK_CERT)\n"
"      --broker-cert FILE CURVE: the broker's public certificate, broker.key\n"
"                         (default: $ZTASK_BROKER_CERT); with both, the\n"
"                         connection is encrypted and the broker knows this\n"
"                         client by its key (see docs/security.md). With a\n"
"                         list of brokers: one file per broker, in the\n"
"                         list's order (a.key,b.key), or one for all\n"
"      --json             print JSON (status, result, cancel, list, stats,\n"
"                         workers, keygen, and submit: its id, or the final\n"
"                         task with --wait)\n"
"  -h, --help             this help\n"
"      --version          the version of ztask\n"
"\n"
"Exit status:\n"
"  0    success; cancel: the task is cancelled, or is being stopped\n"
"  1    the task failed or was cancelled (submit --wait, result); cancel:\n"
"       the task had already ended (done or failed), nothing was cancelled\n"
"  2    usage error: unknown command or option, bad value (a TYPE or KEY\n"
"       with a control character: see Names; a --require, --needs or\n"
"       version constraint that does not parse, with the column of the\n"
"       fault), unreadable -i file, unusable certificate; keygen: a file\n"
"       it would overwrite\n"
"  3    the task has not finished yet (result)\n"
"  4    no such task\n"
"  5    no answer from the broker: not running, wrong endpoint, too slow, or\n"
"       it did not accept this client's key (or wants CURVE)\n"
"  6    the broker refused: queue full, payload too large, bad request,\n"
"       another protocol version\n"
"  7    the broker failed: it could not store the task, or its answer made\n"
"       no sense to this ztask\n"
"  8    the broker's store is unavailable (its database is unreachable),\n"
"       or the broker is a standby (the error names the leader: give -b\n"
"       both brokers): nothing was accepted; try again later (submit: with\n"
"       the same --key)\n"
"  130  interrupted (Ctrl-C); a submitted task goes on\n"
"\n"
"Names:\n"
"  TYPE and KEY are 1-255 bytes of UTF-8 without control characters (no\n"
"  tab, newline, ESC, DEL or U+0080-U+009F). What the broker sends back is\n"
"  shown with every control character as '?' (but --json, which escapes\n"
"  them, and result, whose bytes go out as they are when stdout is not a\n"
"  terminal).\n"
"\n"
"Examples:\n"
"  ztask submit sleep -p high -d 2000 --wait\n"
"  ztask submit mail -d 'call Bob' --in 10m\n"
"  ztask submit report --at 2027-01-04T03:00:00Z\n"
"  ztask submit fetch -d https://example.com/feed --retry-backoff 1s..1h --attempts 10\n"
"  ztask submit 'render>=1.2' --require zone=eu-1 --needs gpu=1 --limit farm\n"
"  printf 'some text' | ztask submit wordcount\n"
"  ztask status 42 --json\n"
"  ztask list --state failed --limit 10\n"
"  ztask retry 42 43\n"
"  ztask retry --state failed --type mail --since 1h\n"
"  ztask purge --state finished --before 7d\n"
"  ztask pause mail; ztask resume mail\n"
"  ztask schedule add nightly --cron '0 3 * * *' --tz Europe/Paris report -d '{}'\n"
"  ztask batch submit images.txt --then report; ztask batch status 1200\n"
"  ztask cancel 42\n"
"  ztask keygen alice -o /etc/ztask\n",
             ATTEMPTS_MAX, ZTASK_REQUIRE_MAX, ZTASK_PARENTS_MAX, ZTASK_LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, ZTASK_LIST_LIMIT_MAX,
             ZTASK_DEFAULT_ENDPOINT);
}

typedef enum {
    CMD_SUBMIT,
    CMD_STATUS,
    CMD_RESULT,
    CMD_CANCEL,
    CMD_LIST,
    CMD_STATS,
    CMD_WORKERS,
    CMD_KEYGEN,
    CMD_RETRY,
    CMD_PURGE,
    CMD_PAUSE,
    CMD_RESUME,
    CMD_SCHEDULE,
    CMD_BATCH
} command_t;

static const struct {
    const char *name;
    command_t command;
    size_t args; /* positional arguments it takes */
    const char *args_name;
    const char *synopsis;
} s_commands[] = {
    { "submit", CMD_SUBMIT, 1, "a TYPE: the plugin that runs the task", "ztask submit TYPE[>=VERSION] [OPTIONS]" },
    { "status", CMD_STATUS, 1, "a task ID", "ztask status ID [--history]" },
    { "result", CMD_RESULT, 1, "a task ID", "ztask result ID" },
    { "cancel", CMD_CANCEL, 1, "a task ID", "ztask cancel ID" },
    { "list", CMD_LIST, 0, NULL, "ztask list [--state STATE] [--type T] [--limit N] [--before ID]" },
    { "retry", CMD_RETRY, 0, NULL,
      "ztask retry ID... | ztask retry --state failed|cancelled [--type T] [--since AGE] [--limit N]" },
    { "purge", CMD_PURGE, 0, NULL, "ztask purge --state done|failed|cancelled|finished --before AGE [--type T]" },
    { "pause", CMD_PAUSE, 1, "a task TYPE", "ztask pause TYPE" },
    { "resume", CMD_RESUME, 1, "a task TYPE", "ztask resume TYPE" },
    { "stats", CMD_STATS, 0, NULL, "ztask stats" },
    { "workers", CMD_WORKERS, 0, NULL, "ztask workers" },
    { "schedule", CMD_SCHEDULE, 1, "add, list, show, pause, resume or remove",
      "ztask schedule add NAME --cron EXPR [--tz ZONE] [--catchup skip|once] TYPE [OPTIONS] | "
      "ztask schedule list | ztask schedule show|pause|resume|remove NAME" },
    { "batch", CMD_BATCH, 2, "submit FILE, or status ID",
      "ztask batch submit FILE [--then TYPE] [--key KEY] [OPTIONS] | ztask batch status ID" },
    { "keygen", CMD_KEYGEN, 1, "a NAME for the certificate, e.g. broker, worker-1 or alice",
      "ztask keygen NAME [-o DIR] [--force]" },
};
#define COMMAND_COUNT (sizeof s_commands / sizeof s_commands[0])

/* What the command line asked for. */
typedef struct {
    const char *name;           /* command name                             */
    command_t command;
    const char *endpoint;       /* -b; NULL: $ZTASK_BROKER or the default   */
    int request_timeout_ms;     /* -t; 0: the library's default             */
    bool json;                  /* --json                                   */
    const char *cert;           /* --cert; NULL: $ZTASK_CERT                */
    const char *broker_cert;    /* --broker-cert; NULL: $ZTASK_BROKER_CERT  */
    const char *args[ARGS_MAX]; /* positional arguments                     */
    size_t arg_count;
    size_t args_max;            /* how many the command takes               */
    uint64_t id;                /* status, result, cancel: the task         */
    ztask_submit_opts_t opts;   /* submit: priority, timeout, attempts, key */
    const char *data;           /* submit -d                                */
    const char *input;          /* submit -i                                */
    bool wait;                  /* submit --wait                            */
    const char *in;             /* submit --in DUR                          */
    const char *at;             /* submit --at TIME                         */
    int64_t due_ms;             /* their due time (wall clock ms); 0: now   */
    const char *require[ZTASK_REQUIRE_MAX]; /* submit --require, as given   */
    size_t require_count;
    const char *needs;          /* submit --needs                           */
    const char *limit_name;     /* submit --limit                           */
    uint32_t retry_min_ms;      /* submit --retry-backoff MIN..MAX; 0: none */
    uint32_t retry_max_ms;
    uint64_t after[ZTASK_PARENTS_MAX]; /* submit --after / --after-any       */
    size_t after_count;
    int after_mode;             /* 0: none given, 1: --after, 2: --after-any */
    const char *task_type;      /* submit: the type (TYPE's text before its
                                   version constraint, if it has one)       */
    char type_buffer[256];      /* ... when it has one                      */
    char version[256];          /* submit: TYPE's version constraint without
                                   the type (">=1.2"); "": none             */
    int state;                  /* list --state; -1: every state            */
    unsigned limit;             /* list --limit                             */
    const char *output;         /* keygen -o; NULL: "."                     */
    bool force;                 /* keygen --force                           */
    const char *state_text;     /* --state as given (checked per command)   */
    const char *type;           /* list, retry, purge --type                */
    const char *since;          /* retry --since                            */
    const char *before;         /* list --before ID, purge --before AGE      */
    bool history;               /* status --history                         */
    bool limit_set;             /* --limit given                            */
    const char *cron;           /* schedule add --cron                      */
    const char *tz;             /* schedule add --tz                        */
    const char *catchup;        /* schedule add --catchup                   */
    const char *then;           /* batch submit --then TYPE                 */
} cli_t;

/* ---- messages ---- */

static int
s_usage_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

/* Prints "ztask: ..." and a pointer to --help; returns EXIT_USAGE. */
static int
s_usage_error (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fputs ("ztask: ", stderr);
    vfprintf (stderr, format, args);
    va_end (args);
    fputs ("\n(see 'ztask --help')\n", stderr);
    return EXIT_USAGE;
}

/* ---- values ---- */

/* Parses a whole decimal number without sign into *value; 0 or -1. */
static int
s_parse_uint (const char *text, uint64_t max, uint64_t *value)
{
    if (!text || !*text)
        return -1;
    uint64_t number = 0;
    for (const char *s = text; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned digit = (unsigned) (*s - '0');
        if (number > (max - digit) / 10)
            return -1;
        number = number * 10 + digit;
    }
    *value = number;
    return 0;
}

/* A task id: a positive decimal number. */
static int
s_parse_id (const char *text, uint64_t *id)
{
    if (s_parse_uint (text, UINT64_MAX, id) != 0 || *id == 0)
        return s_usage_error ("invalid task id '%s': ids are positive numbers, as 'ztask submit' prints them",
                              text);
    return 0;
}

/* ---- the command line ---- */

enum {
    OPT_JSON = 256,
    OPT_VERSION,
    OPT_TIMEOUT, /* global --timeout, or submit's task timeout */
    OPT_ATTEMPTS,
    OPT_KEY,
    OPT_WAIT,
    OPT_STATE,
    OPT_LIMIT,
    OPT_CERT,
    OPT_BROKER_CERT,
    OPT_FORCE,
    OPT_TYPE,
    OPT_SINCE,
    OPT_BEFORE,
    OPT_HISTORY,
    OPT_IN,
    OPT_AT,
    OPT_REQUIRE,
    OPT_NEEDS,
    OPT_RETRY_BACKOFF,
    OPT_CRON,
    OPT_TZ,
    OPT_CATCHUP,
    OPT_AFTER,
    OPT_AFTER_ANY,
    OPT_THEN,
};

static const struct option s_options[] = {
    { "broker", required_argument, NULL, 'b' },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { "priority", required_argument, NULL, 'p' },
    { "data", required_argument, NULL, 'd' },
    { "input", required_argument, NULL, 'i' },
    { "attempts", required_argument, NULL, OPT_ATTEMPTS },
    { "key", required_argument, NULL, OPT_KEY },
    { "wait", no_argument, NULL, OPT_WAIT },
    { "state", required_argument, NULL, OPT_STATE },
    { "limit", required_argument, NULL, OPT_LIMIT },
    { "cert", required_argument, NULL, OPT_CERT },
    { "broker-cert", required_argument, NULL, OPT_BROKER_CERT },
    { "output", required_argument, NULL, 'o' },
    { "force", no_argument, NULL, OPT_FORCE },
    { "type", required_argument, NULL, OPT_TYPE },
    { "since", required_argument, NULL, OPT_SINCE },
    { "before", required_argument, NULL, OPT_BEFORE },
    { "history", no_argument, NULL, OPT_HISTORY },
    { "in", required_argument, NULL, OPT_IN },
    { "at", required_argument, NULL, OPT_AT },
    { "require", required_argument, NULL, OPT_REQUIRE },
    { "needs", required_argument, NULL, OPT_NEEDS },
    { "retry-backoff", required_argument, NULL, OPT_RETRY_BACKOFF },
    { "cron", required_argument, NULL, OPT_CRON },
    { "tz", required_argument, NULL, OPT_TZ },
    { "catchup", required_argument, NULL, OPT_CATCHUP },
    { "after", required_argument, NULL, OPT_AFTER },
    { "after-any", required_argument, NULL, OPT_AFTER_ANY },
    { "then", required_argument, NULL, OPT_THEN },
    { NULL, 0, NULL, 0 },
};

/* The option getopt_long refused (unknown, or missing its value), as the
   user wrote it. */
static void
s_option_name (char **argv, char *buffer, size_t size)
{
    const char *arg = argv[optind - 1];
    if (strncmp (arg, "--", 2) == 0 || optopt <= 0 || optopt >= 256)
        snprintf (buffer, size, "%.*s", (int) strcspn (arg, "="), arg);
    else
        snprintf (buffer, size, "-%c", optopt);
}

/* "-p/--priority" or "--attempts" for an option getopt_long returned. */
static void
s_option_label (int opt, char *buffer, size_t size)
{
    for (const struct option *o = s_options; o->name; o++)
        if (o->val == opt) {
            if (opt < 256)
                snprintf (buffer, size, "-%c/--%s", opt, o->name);
            else
                snprintf (buffer, size, "--%s", o->name);
            return;
        }
    snprintf (buffer, size, "-%c", opt);
}

/* Request timeout (-t): milliseconds, or a duration with a unit. */
static int
s_set_request_timeout (cli_t *cli, const char *text)
{
    uint64_t ms;
    if (ztask_duration_parse (text, 1, INT_MAX, &ms) != 0 || ms == 0)
        return s_usage_error ("invalid timeout '%s': give milliseconds (e.g. -t 2000) or a duration (2s)",
                              text);
    cli->request_timeout_ms = (int) ms;
    return 0;
}

/* The command a command-specific option belongs to (getopt code which). */
static command_t
s_option_owner (int which)
{
    if (which == OPT_STATE || which == OPT_LIMIT || which == OPT_TYPE || which == OPT_BEFORE)
        return CMD_LIST;
    if (which == OPT_SINCE)
        return CMD_RETRY;
    if (which == OPT_HISTORY)
        return CMD_STATUS;
    if (which == 'o' || which == OPT_FORCE)
        return CMD_KEYGEN;
    if (which == OPT_CRON || which == OPT_TZ || which == OPT_CATCHUP)
        return CMD_SCHEDULE;
    if (which == OPT_THEN)
        return CMD_BATCH;
    return CMD_SUBMIT;
}

/* Whether an option of command owner's may also follow command. */
static bool
s_option_shared (int which, command_t command)
{
    if (command == CMD_RETRY)
        return which == OPT_STATE || which == OPT_TYPE || which == OPT_LIMIT;
    if (command == CMD_PURGE)
        return which == OPT_STATE || which == OPT_TYPE || which == OPT_BEFORE;
    if (command == CMD_SUBMIT)
        return which == OPT_LIMIT; /* the limit a task counts against */
    if (command == CMD_BATCH) /* what every task of the batch is */
        return which == 'p' || which == OPT_TIMEOUT || which == OPT_ATTEMPTS || which == OPT_KEY
               || which == OPT_RETRY_BACKOFF || which == OPT_IN || which == OPT_AT || which == OPT_REQUIRE
               || which == OPT_NEEDS || which == OPT_LIMIT;
    if (command == CMD_SCHEDULE) /* what each fire's task is */
        return which == 'p' || which == 'd' || which == 'i' || which == OPT_ATTEMPTS;
    return false;
}

/* The entry of s_commands for command. */
static size_t
s_command_index (command_t command)
{
    size_t i = 0;
    while (s_commands[i].command != command)
        i++;
    assert (i < COMMAND_COUNT);
    return i;
}

/* Parses an age for --since, --before and --in: a number and its unit
   (ms, s, m, h, d: ztask_duration.h), at most 100 years, into
   milliseconds. Returns 0 or -1. */
static int
s_parse_age (const char *text, uint64_t *ms)
{
    return ztask_duration_parse (text, 0, AGE_MAX_MS, ms) == 0 ? 0 : -1;
}

/* Reads exactly count digits at *text into *value; 0 or -1. */
static int
s_digits (const char **text, int count, int *value)
{
    int number = 0;
    for (int i = 0; i < count; i++, (*text)++) {
        if (**text < '0' || **text > '9')
            return -1;
        number = number * 10 + (**text - '0');
    }
    *value = number;
    return 0;
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian; H. Hinnant's
   days_from_civil), so that no time zone of this machine is involved. */
static int64_t
s_days_from_civil (int year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t yoe = year - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses --at: YYYY-MM-DDTHH:MM:SS[.mmm] then Z or +HH:MM / -HH:MM, into
   wall clock milliseconds. Returns 0 or -1. */
static int
s_parse_at (const char *text, int64_t *ms)
{
    int year, month, day, hour, minute, second, milli = 0;
    const char *p = text;
    if (s_digits (&p, 4, &year) || *p++ != '-' || s_digits (&p, 2, &month) || *p++ != '-'
        || s_digits (&p, 2, &day) || (*p != 'T' && *p != 't') || !*p++ || s_digits (&p, 2, &hour)
        || *p++ != ':' || s_digits (&p, 2, &minute) || *p++ != ':' || s_digits (&p, 2, &second))
        return -1;
    if (*p == '.') {
        p++;
        if (s_digits (&p, 3, &milli))
            return -1;
    }
    int offset_minutes = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (s_digits (&p, 2, &oh) || *p++ != ':' || s_digits (&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_minutes = sign * (oh * 60 + om);
    }
    else
        return -1; /* a time without a zone would depend on this machine's */
    static const int days_in[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (*p || year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in[month - 1]
        || (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59)
        return -1;
    int64_t seconds = s_days_from_civil (year, month, day) * 86400 + hour * 3600 + minute * 60 + second
                    - (int64_t) offset_minutes * 60;
    *ms = seconds * 1000 + milli;
    return 0;
}

/* submit --in / --at: the due time into cli->due_ms (0: now). Returns 0
   or EXIT_USAGE. */
static int
s_check_due (cli_t *cli)
{
    cli->due_ms = 0;
    if (cli->in && cli->at)
        return s_usage_error ("give --in or --at, not both: --in counts from now, --at names the time");
    if (cli->in) {
        uint64_t ms;
        if (s_parse_age (cli->in, &ms) != 0)
            return s_usage_error ("invalid --in '%s': give a duration with its unit, e.g. 30s, 10m, 2h or 1d",
                                  cli->in);
        cli->due_ms = ms ? zclock_time () + (int64_t) ms : 0;
    }
    if (cli->at) {
        int64_t at;
        if (s_parse_at (cli->at, &at) != 0)
            return s_usage_error ("invalid --at '%s': give a time in ISO 8601, in UTC (2027-01-04T03:00:00Z, "
                                  "also with milliseconds: 03:00:00.250Z) or with an offset "
                                  "(2027-01-04T05:00:00+02:00)",
                                  cli->at);
        if (at > zclock_time () + (int64_t) AGE_MAX_MS)
            return s_usage_error ("invalid --at '%s': more than 100 years ahead", cli->at);
        if (at <= zclock_time ())
            fprintf (stderr, "ztask: --at is in the past: the task runs now\n");
        else
            cli->due_ms = at;
    }
    return 0;
}

/* submit: what the task asks of its worker, parsed here as the broker
   will (docs/routing.md), so that a fault is shown with its column before
   anything is sent; TYPE's version constraint split off the type. Returns
   0 or EXIT_USAGE. */
static int
s_check_routing (cli_t *cli)
{
    char error[256], text[1024];
    for (size_t i = 0; i < cli->require_count; i++)
        if (ztask_require_canonical (cli->require[i], NULL, 0, error, sizeof error) != 0)
            return s_usage_error ("--require '%s': %s", cli_output_text (cli->require[i], text, sizeof text), error);
    ztask_resources_t resources;
    if (cli->needs && ztask_resources_parse (cli->needs, &resources, error, sizeof error) != 0)
        return s_usage_error ("--needs '%s': %s", cli_output_text (cli->needs, text, sizeof text), error);
    const char *type = cli->args[0];
    cli->task_type = type;
    if (strpbrk (type, "<>=@")) {
        ztask_version_constraint_t constraint;
        char canonical[ZTASK_VERSION_CONSTRAINT_TEXT_MAX + 1];
        if (ztask_version_constraint_parse (type, &constraint, error, sizeof error) != 0)
            return s_usage_error ("version constraint '%s': %s", cli_output_text (type, text, sizeof text), error);
        size_t type_length = strlen (constraint.type);
        if (ztask_version_constraint_format (&constraint, canonical, sizeof canonical) < 0
            || strncmp (canonical, constraint.type, type_length) != 0
            || strlen (canonical + type_length) >= sizeof cli->version)
            return s_usage_error ("version constraint '%s': too long", cli_output_text (type, text, sizeof text));
        snprintf (cli->type_buffer, sizeof cli->type_buffer, "%s", constraint.type);
        snprintf (cli->version, sizeof cli->version, "%s", canonical + type_length);
        cli->task_type = cli->type_buffer;
    }
    return 0;
}

/* What the options of list, retry and purge mean together, checked
   once the whole command line is read. Returns 0 or EXIT_USAGE. */
static int
s_check_actions (cli_t *cli)
{
    uint64_t ms;
    if (cli->command == CMD_SUBMIT && (s_check_due (cli) != 0 || s_check_routing (cli) != 0))
        return EXIT_USAGE;
    if (cli->command == CMD_LIST) {
        if (cli->state_text && (cli->state = ztask_state_parse (cli->state_text)) < 0)
            return s_usage_error ("unknown state '%s' (use queued, running, done, failed, cancelled, scheduled "
                                  "or blocked)",
                                  cli->state_text);
        uint64_t id;
        if (cli->before && (s_parse_uint (cli->before, UINT64_MAX, &id) != 0 || id == 0))
            return s_usage_error ("invalid --before '%s': give a task id (list the tasks below it)", cli->before);
        return 0;
    }
    if (cli->command == CMD_RETRY) {
        if (cli->state_text) {
            cli->state = ztask_state_parse (cli->state_text);
            if (cli->state != ZTASK_STATE_FAILED && cli->state != ZTASK_STATE_CANCELLED)
                return s_usage_error ("retry --state takes failed or cancelled, not '%s'", cli->state_text);
        }
        bool filter = cli->state_text || cli->type || cli->since || cli->limit_set;
        if (cli->arg_count && filter)
            return s_usage_error ("retry takes task ids or --state/--type/--since/--limit, not both");
        if (!cli->arg_count && !filter)
            return s_usage_error ("retry needs task ids, or --state failed|cancelled to retry by filter: %s",
                                  s_commands[s_command_index (CMD_RETRY)].synopsis);
        if (filter && cli->state < 0)
            cli->state = ZTASK_STATE_FAILED;
        if (cli->since && (s_parse_age (cli->since, &ms) != 0 || ms == 0))
            return s_usage_error ("invalid --since '%s': give an age with its unit, e.g. 30s, 10m, 1h or 7d",
                                  cli->since);
        for (size_t i = 0; i < cli->arg_count; i++) {
            uint64_t id;
            if (s_parse_id (cli->args[i], &id) != 0)
                return EXIT_USAGE;
        }
        return 0;
    }
    if (cli->command == CMD_PURGE) {
        if (!cli->state_text)
            return s_usage_error ("purge needs --state done, failed, cancelled or finished (all three)");
        if (strcmp (cli->state_text, "finished") == 0)
            cli->state = -1;
        else {
            cli->state = ztask_state_parse (cli->state_text);
            if (cli->state < ZTASK_STATE_DONE || cli->state > ZTASK_STATE_CANCELLED)
                return s_usage_error ("purge --state takes done, failed, cancelled or finished, not '%s'",
                                      cli->state_text);
        }
        if (!cli->before)
            return s_usage_error ("purge needs --before AGE: the tasks that ended more than AGE ago go "
                                  "(e.g. --before 7d; 0s: all of them)");
        if (s_parse_age (cli->before, &ms) != 0)
            return s_usage_error ("invalid --before '%s': give an age with its unit, e.g. 30s, 10m, 1h or 7d",
                                  cli->before);
        return 0;
    }
    return 0;
}

/* Handles one option; which is the getopt code; global: it came before
   the command. Returns 0, -1 to stop with success (help, version), -2
   for an option of another command (or of a command, before it), or an
   exit code. */
static int
s_option (cli_t *cli, int which, const char *value, bool global)
{
    bool after_submit
        = !global && (cli->command == CMD_SUBMIT || cli->command == CMD_SCHEDULE || cli->command == CMD_BATCH);
    uint64_t number;
    char why[160];
    switch (which) {
    case 'b':
        if (!*value)
            return s_usage_error ("-b needs an endpoint, e.g. -b tcp://127.0.0.1:5570");
        cli->endpoint = value;
        return 0;
    case 't':
        return s_set_request_timeout (cli, value);
    case OPT_TIMEOUT:
        if (!after_submit)
            return s_set_request_timeout (cli, value);
        if (ztask_duration_parse (value, 1000, UINT32_MAX, &number) != 0)
            return s_usage_error ("invalid --timeout '%s': use e.g. 500ms, 30s, 5m, 1h or a number of "
                                  "seconds (at most 49 days)",
                                  value);
        cli->opts.timeout_ms = (uint32_t) number;
        return 0;
    case OPT_JSON:
        cli->json = true;
        return 0;
    case OPT_CERT:
        if (!*value)
            return s_usage_error ("--cert needs a file: this client's NAME.key_secret");
        cli->cert = value;
        return 0;
    case OPT_BROKER_CERT:
        if (!*value)
            return s_usage_error ("--broker-cert needs a file: the broker's public certificate");
        cli->broker_cert = value;
        return 0;
    case 'h':
        s_usage (stdout);
        return -1;
    case OPT_VERSION:
        printf ("ztask %s\n", PACKAGE_VERSION);
        return -1;
    default:
        break;
    }
    /* The rest belong to one command each (a few are shared). */
    if (global || (cli->command != s_option_owner (which) && !s_option_shared (which, cli->command)))
        return -2;
    switch (which) {
    case 'p':
        cli->opts.priority = ztask_priority_parse (value);
        if (cli->opts.priority < 0)
            return s_usage_error ("unknown priority '%s' (use low, normal, high or 0-9)", value);
        return 0;
    case 'd':
        cli->data = value;
        return 0;
    case 'i':
        cli->input = value;
        return 0;
    case OPT_ATTEMPTS:
        if (s_parse_uint (value, ATTEMPTS_MAX, &number) != 0 || number < 1)
            return s_usage_error ("invalid --attempts '%s': give a number from 1 to %d", value, ATTEMPTS_MAX);
        cli->opts.max_attempts = (uint32_t) number;
        return 0;
    case OPT_KEY:
        if (!*value)
            return s_usage_error ("--key needs a value");
        if (!ztask_name_valid (value, why, sizeof why))
            return s_usage_error ("invalid --key: %s", why);
        cli->opts.key = value;
        return 0;
    case OPT_WAIT:
        cli->wait = true;
        return 0;
    case OPT_IN:
        cli->in = value;
        return 0;
    case OPT_AT:
        cli->at = value;
        return 0;
    case OPT_REQUIRE:
        if (cli->require_count == ZTASK_REQUIRE_MAX)
            return s_usage_error ("at most %d --require per task", ZTASK_REQUIRE_MAX);
        cli->require[cli->require_count++] = value;
        return 0;
    case OPT_AFTER:
    case OPT_AFTER_ANY:
        if (cli->after_mode && cli->after_mode != (which == OPT_AFTER ? 1 : 2))
            return s_usage_error ("give --after or --after-any, not both: one rule holds for all parents");
        cli->after_mode = which == OPT_AFTER ? 1 : 2;
        for (const char *at = value;;) {
            char id_text[32];
            size_t length = strcspn (at, ",");
            snprintf (id_text, sizeof id_text, "%.*s", (int) (length < 31 ? length : 31), at);
            if (s_parse_uint (id_text, UINT64_MAX, &number) != 0 || number < 1 || length > 20)
                return s_usage_error ("invalid %s '%s': give task ids separated by commas, e.g. 12,13",
                                      which == OPT_AFTER ? "--after" : "--after-any", value);
            if (cli->after_count == ZTASK_PARENTS_MAX)
                return s_usage_error ("too many parents: a task waits for at most %d", ZTASK_PARENTS_MAX);
            cli->after[cli->after_count++] = number;
            if (!at[length])
                break;
            at += length + 1;
        }
        return 0;
    case OPT_RETRY_BACKOFF: {
        char error[160];
        if (ztask_retry_parse (value, &cli->retry_min_ms, &cli->retry_max_ms, error, sizeof error) != 0)
            return s_usage_error ("invalid --retry-backoff '%s': %s", value, error);
        return 0;
    }
    case OPT_NEEDS:
        if (cli->needs)
            return s_usage_error ("give --needs once, with every resource: --needs gpu=1,memory_mb=16000");
        cli->needs = value;
        return 0;
    case OPT_STATE:
        cli->state_text = value; /* which states: the command's (s_check_state) */
        return 0;
    case OPT_LIMIT:
        if (cli->command == CMD_SUBMIT || cli->command == CMD_BATCH) {
            if (cli->limit_name)
                return s_usage_error ("give --limit once: a task counts against one limit");
            if (!ztask_name_valid (value, why, sizeof why))
                return s_usage_error ("invalid --limit: %s", why);
            cli->limit_name = value;
            return 0;
        }
        if (s_parse_uint (value, ZTASK_LIST_LIMIT_MAX, &number) != 0 || number < 1)
            return s_usage_error ("invalid --limit '%s': give a number from 1 to %d", value, ZTASK_LIST_LIMIT_MAX);
        cli->limit = (unsigned) number;
        cli->limit_set = true;
        return 0;
    case OPT_TYPE:
        if (!ztask_name_valid (value, why, sizeof why))
            return s_usage_error ("invalid --type: %s", why);
        cli->type = value;
        return 0;
    case OPT_SINCE:
        cli->since = value;
        return 0;
    case OPT_BEFORE:
        cli->before = value;
        return 0;
    case OPT_HISTORY:
        cli->history = true;
        return 0;
    case 'o':
        if (!*value)
            return s_usage_error ("-o needs a directory");
        cli->output = value;
        return 0;
    case OPT_FORCE:
        cli->force = true;
        return 0;
    case OPT_CRON:
        cli->cron = value;
        return 0;
    case OPT_TZ:
        cli->tz = value;
        return 0;
    case OPT_THEN:
        if (!ztask_name_valid (value, why, sizeof why))
            return s_usage_error ("invalid --then task type: %s", why);
        cli->then = value;
        return 0;
    case OPT_CATCHUP:
        if (strcmp (value, "skip") && strcmp (value, "once"))
            return s_usage_error ("invalid --catchup '%s': use skip or once", value);
        cli->catchup = value;
        return 0;
    default:
        return -2;
    }
}

/* Runs getopt_long over argv. In the global part (before the command),
   it stops at the first non-option; in the command's part it collects
   positional arguments wherever they are. Returns 0, -1 (help or version
   printed: exit 0), or an exit code. */
static int
s_parse (cli_t *cli, int argc, char **argv, bool global)
{
    /* '+': stop at the command; '-': positional arguments come back as
       code 1, in order, even with POSIXLY_CORRECT; ':': report a missing
       value as ':'. */
    const char *shorts = global ? "+:b:t:hp:d:i:o:" : "-:b:t:hp:d:i:o:";
    char name[64];
    int opt;
    opterr = 0;
    optind = 0; /* glibc: start afresh */
    while ((opt = getopt_long (argc, argv, shorts, s_options, NULL)) != -1) {
        if (opt == 1) {
            if (cli->arg_count >= cli->args_max)
                return s_usage_error ("unexpected argument '%s' for '%s'", optarg, cli->name);
            cli->args[cli->arg_count++] = optarg;
            continue;
        }
        if (opt == '?') {
            s_option_name (argv, name, sizeof name);
            if (global)
                return s_usage_error ("unknown option '%s'", name);
            return s_usage_error ("unknown option '%s' for '%s'", name, cli->name);
        }
        if (opt == ':') {
            s_option_name (argv, name, sizeof name);
            return s_usage_error ("option '%s' needs a value", name);
        }
        int rc = s_option (cli, opt, optarg, global);
        if (rc == -2) {
            s_option_label (opt, name, sizeof name);
            size_t owner = s_command_index (s_option_owner (opt));
            if (global)
                return s_usage_error ("option %s belongs after '%s': %s", name, s_commands[owner].name,
                                      s_commands[owner].synopsis);
            return s_usage_error ("option %s is for '%s', not '%s'", name, s_commands[owner].name, cli->name);
        }
        if (rc != 0)
            return rc;
    }
    if (!global)
        /* After "--", everything is positional. */
        for (; optind < argc; optind++) {
            if (cli->arg_count >= cli->args_max)
                return s_usage_error ("unexpected argument '%s' for '%s'", argv[optind], cli->name);
            cli->args[cli->arg_count++] = argv[optind];
        }
    return 0;
}

/* schedule SUB [NAME] [TYPE]: the subcommand, its arguments and options,
   and (add) the cron expression and the zone, checked here before
   anything is sent. */
static int
s_check_schedule (cli_t *cli)
{
    static const char *const subs[] = { "add", "list", "show", "pause", "resume", "remove", NULL };
    const char *sub = cli->args[0];
    size_t i = 0;
    while (subs[i] && strcmp (subs[i], sub))
        i++;
    if (!subs[i])
        return s_usage_error ("unknown schedule command '%s' (use add, list, show, pause, resume or remove)", sub);
    bool add = i == 0, list = i == 1;
    size_t want = add ? 3 : list ? 1 : 2;
    if (cli->arg_count != want)
        return s_usage_error ("%s", add ? "usage: ztask schedule add NAME --cron EXPR [--tz ZONE] [--catchup skip|once] TYPE [OPTIONS]"
                                   : list ? "usage: ztask schedule list"
                                          : "usage: ztask schedule show|pause|resume|remove NAME");
    if (!add && (cli->cron || cli->tz || cli->catchup || cli->data || cli->input || cli->opts.max_attempts
                 || cli->opts.timeout_ms || cli->opts.priority != ZTASK_PRIORITY_NORMAL))
        return s_usage_error ("only 'schedule add' takes --cron, --tz, --catchup and task options");
    char why[512];
    if (!list && ztask_schedule_name_check (cli->args[1], why, sizeof why) != 0)
        return s_usage_error ("%s", why);
    if (!add)
        return 0;
    if (!cli->cron)
        return s_usage_error ("schedule add needs --cron EXPR, e.g. --cron '0 3 * * *'");
    ztask_cron_t cron;
    if (ztask_cron_parse (cli->cron, &cron, why, sizeof why) != 0)
        return s_usage_error ("--cron '%s': %s", cli->cron, why);
    if (cli->tz && *cli->tz) {
        ztask_tz_t *tz = ztask_tz_load (cli->tz, why, sizeof why);
        if (!tz)
            return s_usage_error ("--tz: %s", why);
        ztask_tz_destroy (&tz);
    }
    if (!ztask_name_valid (cli->args[2], why, sizeof why))
        return s_usage_error ("invalid task type: %s", why);
    return 0;
}

/* batch submit FILE | batch status ID, with the options each takes;
   what every task of a submitted batch asks of its worker is checked
   here (docs/routing.md), so that a fault shows its column. */
static int
s_check_batch (cli_t *cli)
{
    const char *sub = cli->args[0];
    bool submit = strcmp (sub, "submit") == 0;
    if (!submit && strcmp (sub, "status"))
        return s_usage_error ("unknown batch command '%s' (use submit or status)", sub);
    if (!submit) {
        if (cli->then || cli->opts.key || cli->in || cli->at || cli->require_count || cli->needs || cli->limit_name
            || cli->opts.max_attempts || cli->opts.timeout_ms || cli->retry_min_ms
            || cli->opts.priority != ZTASK_PRIORITY_NORMAL)
            return s_usage_error ("'batch status' takes no task options");
        uint64_t id;
        if (s_parse_uint (cli->args[1], UINT64_MAX, &id) != 0 || id == 0)
            return s_usage_error ("invalid batch id '%s': the number 'ztask batch submit' printed", cli->args[1]);
        cli->id = id;
        return 0;
    }
    if (s_check_due (cli) != 0)
        return EXIT_USAGE;
    char error[256], text[1024];
    for (size_t i = 0; i < cli->require_count; i++)
        if (ztask_require_canonical (cli->require[i], NULL, 0, error, sizeof error) != 0)
            return s_usage_error ("--require '%s': %s", cli_output_text (cli->require[i], text, sizeof text), error);
    ztask_resources_t resources;
    if (cli->needs && ztask_resources_parse (cli->needs, &resources, error, sizeof error) != 0)
        return s_usage_error ("--needs '%s': %s", cli_output_text (cli->needs, text, sizeof text), error);
    return 0;
}

/* Parses the whole command line into cli. Returns 0, -1 (help or
   version printed), or an exit code. */
static int
s_command_line (cli_t *cli, int argc, char **argv)
{
    memset (cli, 0, sizeof *cli);
    cli->opts = (ztask_submit_opts_t) ZTASK_SUBMIT_OPTS_INIT;
    cli->state = -1;
    cli->limit = LIST_LIMIT_DEFAULT;
    int rc = s_parse (cli, argc, argv, true);
    if (rc != 0)
        return rc;
    if (optind >= argc) {
        fprintf (stderr, "ztask: no command given\n\n");
        s_usage (stderr);
        return EXIT_USAGE;
    }
    cli->name = argv[optind];
    if (strcmp (cli->name, "help") == 0) {
        s_usage (stdout);
        return -1;
    }
    size_t i;
    for (i = 0; i < COMMAND_COUNT; i++)
        if (strcmp (cli->name, s_commands[i].name) == 0)
            break;
    if (i == COMMAND_COUNT)
        return s_usage_error ("unknown command '%s' (commands: submit, status, result, cancel, list, retry, "
                              "purge, pause, resume, stats, workers, schedule, batch, keygen)",
                              cli->name);
    cli->command = s_commands[i].command;
    cli->args_max = s_commands[i].command == CMD_RETRY ? ARGS_MAX
                  : s_commands[i].command == CMD_SCHEDULE ? 3 /* add NAME TYPE */
                  : s_commands[i].args;
    assert (cli->args_max <= sizeof cli->args / sizeof cli->args[0]);
    /* The command's own part: argv[optind] is the command, as argv[0]. */
    rc = s_parse (cli, argc - optind, argv + optind, false);
    if (rc != 0)
        return rc;
    if (cli->arg_count < s_commands[i].args)
        return s_usage_error ("'%s' needs %s", cli->name, s_commands[i].args_name);
    if (cli->data && cli->input)
        return s_usage_error ("-d and -i both give the payload: use one");
    bool takes_id = cli->command == CMD_STATUS || cli->command == CMD_RESULT || cli->command == CMD_CANCEL;
    if (takes_id && s_parse_id (cli->args[0], &cli->id) != 0)
        return EXIT_USAGE;
    char why[160];
    if ((cli->command == CMD_PAUSE || cli->command == CMD_RESUME) && !ztask_name_valid (cli->args[0], why, sizeof why))
        return s_usage_error ("invalid task type: %s", why);
    if (cli->command == CMD_SCHEDULE && (rc = s_check_schedule (cli)) != 0)
        return rc;
    if (cli->command == CMD_BATCH && (rc = s_check_batch (cli)) != 0)
        return rc;
    int rc2 = s_check_actions (cli);
    if (rc2 != 0)
        return rc2;
    if (cli->command == CMD_SUBMIT && !ztask_name_valid (cli->task_type, why, sizeof why))
        return s_usage_error ("invalid task type: %s", why);
    return 0;
}

/* ---- talking to the broker ---- */

/* The endpoint we use (libztask's choice) and where it came from, for
   hints: "-b", "$ZTASK_BROKER", or NULL for the default. */
static const char *
s_endpoint (cli_t *cli, const char **source)
{
    const char *endpoint = ztask_broker_endpoint (cli->endpoint);
    *source = cli->endpoint ? "-b" : strcmp (endpoint, ZTASK_DEFAULT_ENDPOINT) != 0 ? "$ZTASK_BROKER" : NULL;
    return endpoint;
}

/* Reports a failed libztask call and returns the exit code for its kind
   of failure. */
static int
s_failed (cli_t *cli, ztask_client_t *client)
{
    char text[1024]; /* it can quote the broker's error text */
    fprintf (stderr, "ztask: %s\n", cli_output_text (ztask_client_error (client), text, sizeof text));
    switch (ztask_client_error_code (client)) {
    case ZTASK_CLIENT_E_INTERRUPTED: return EXIT_INTERRUPTED;
    case ZTASK_CLIENT_E_USAGE: return EXIT_USAGE;
    case ZTASK_CLIENT_E_NOT_FOUND: return EXIT_NOT_FOUND;
    case ZTASK_CLIENT_E_REFUSED: return EXIT_REFUSED;
    case ZTASK_CLIENT_E_UNAVAILABLE: return EXIT_UNAVAILABLE;
    case ZTASK_CLIENT_E_UNREACHABLE: {
        const char *source;
        const char *endpoint = s_endpoint (cli, &source);
        if (source && strchr (endpoint, ','))
            fprintf (stderr, "ztask: (the endpoints %s come from %s)\n", endpoint, source);
        else if (source)
            fprintf (stderr, "ztask: (the endpoint %s comes from %s)\n", endpoint, source);
        else
            fprintf (stderr, "ztask: (%s is the default: name the broker with -b ENDPOINT or "
                             "ZTASK_BROKER)\n", endpoint);
        return EXIT_NO_BROKER;
    }
    default: return EXIT_BROKER_FAILED;
    }
}

/* A client for the broker in *client_p. Certificates: --cert and
   --broker-cert, each falling back on its variable (libztask reads the
   variables itself when neither flag is given). Returns 0, or an exit
   code. */
static int
s_client (cli_t *cli, ztask_client_t **client_p)
{
    const char *source;
    const char *endpoint = s_endpoint (cli, &source);
    ztask_client_t *client = ztask_client_new (endpoint);
    if (!client) {
        /* libztask says what is wrong, naming the item of a list. */
        char text[1024];
        const char *from = strchr (endpoint, ',') ? " (the list comes from " : " (the endpoint comes from ";
        fprintf (stderr, "ztask: %s%s%s%s\n", cli_output_text (ztask_client_error (NULL), text, sizeof text),
                 source ? from : "", source ? source : "", source ? ")" : "");
        return EXIT_USAGE;
    }
    if (cli->cert || cli->broker_cert) {
        const char *cert = cli->cert ? cli->cert : getenv ("ZTASK_CERT");
        const char *broker_cert = cli->broker_cert ? cli->broker_cert : getenv ("ZTASK_BROKER_CERT");
        if (!cert || !*cert || !broker_cert || !*broker_cert) {
            ztask_client_destroy (&client);
            return s_usage_error ("%s needs %s too (or $%s)", cli->cert ? "--cert" : "--broker-cert",
                                  cli->cert ? "--broker-cert" : "--cert",
                                  cli->cert ? "ZTASK_BROKER_CERT" : "ZTASK_CERT");
        }
        if (ztask_client_set_curve (client, cert, broker_cert) != 0) {
            int rc = s_failed (cli, client);
            ztask_client_destroy (&client);
            return rc;
        }
    }
    if (cli->request_timeout_ms > 0)
        ztask_client_set_timeout (client, cli->request_timeout_ms);
    *client_p = client;
    return 0;
}

/* ---- commands ---- */

/* Creates file for writing only by its owner (mode) and closes it, so
   that what zcert then writes into it was never readable by others.
   Unless force, an existing file is an error (EEXIST). Returns 0 or -1
   with errno set. */
static int
s_create (const char *file, mode_t mode, bool force)
{
    int fd = open (file, O_WRONLY | O_CREAT | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL), mode);
    if (fd < 0)
        return -1;
    int rc = fchmod (fd, mode); /* --force: the old file may have had another mode */
    int error = errno;
    close (fd);
    errno = error;
    return rc;
}

/* keygen NAME: a new CURVE key pair as czmq certificates, DIR/NAME.key
   (public: goes to the broker's allow list, or for the broker's own, to
   every client and worker) and DIR/NAME.key_secret (stays here). */
static int
s_keygen (cli_t *cli)
{
    const char *name = cli->args[0];
    size_t length = strlen (name);
    if (length == 0 || length > CERT_NAME_MAX || name[0] == '.' || name[0] == '-'
        || strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") != length)
        return s_usage_error ("invalid certificate name '%s': use 1-%d letters, digits, '.', '_', '@' or '-', "
                              "not starting with '.' or '-' (e.g. broker, worker-1, alice)",
                              name, CERT_NAME_MAX);
    const char *dir = cli->output ? cli->output : ".";
    struct stat st;
    const char *problem = stat (dir, &st) != 0      ? strerror (errno)
                          : !S_ISDIR (st.st_mode) ? "not a directory"
                                                  : NULL;
    if (problem) {
        fprintf (stderr, "ztask: cannot write certificates to %s: %s\n", dir, problem);
        return EXIT_USAGE;
    }
    if (!zsys_has_curve ()) {
        fprintf (stderr, "ztask: this libzmq was built without CURVE: it cannot make keys\n");
        return EXIT_USAGE;
    }
    char public_file[PATH_MAX], secret_file[PATH_MAX];
    snprintf (public_file, sizeof public_file, "%s/%s.key", dir, name);
    snprintf (secret_file, sizeof secret_file, "%s/%s.key_secret", dir, name);
    if (!cli->force)
        for (int i = 0; i < 2; i++) {
            const char *file = i == 0 ? public_file : secret_file;
            if (lstat (file, &st) == 0) {
                fprintf (stderr,
                         "ztask: %s exists: not replacing it (--force does, and whoever uses the old key "
                         "is locked out until given the new one)\n",
                         file);
                return EXIT_USAGE;
            }
        }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "ztask: cannot make a key pair: %s\n", strerror (errno));
        return EXIT_BROKER_FAILED;
    }
    zcert_set_meta (cert, "name", "%s", name);
    const char *failed = NULL;
    errno = 0;
    if (s_create (secret_file, 0600, cli->force) != 0 || zcert_save_secret (cert, secret_file) != 0)
        failed = secret_file;
    else if (s_create (public_file, 0644, cli->force) != 0 || zcert_save_public (cert, public_file) != 0)
        failed = public_file;
    int rc = EXIT_OK;
    if (failed) {
        fprintf (stderr, "ztask: cannot write %s: %s\n", failed, errno ? strerror (errno) : "zcert failed");
        rc = EXIT_USAGE;
    }
    else if (cli->json) {
        json_t *json = json_pack ("{s:s, s:s, s:s, s:s}", "name", name, "public_key", zcert_public_txt (cert),
                                  "public_file", public_file, "secret_file", secret_file);
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else
        printf ("public certificate: %s\n"
                "secret certificate: %s (mode 0600: keep it to this machine)\n"
                "public key:         %s\n",
                public_file, secret_file, zcert_public_txt (cert));
    zcert_destroy (&cert);
    return rc;
}

/* Reads all of file into *data (malloc'd) and *size. Returns 0 or -1
   with errno set (EFBIG when over PAYLOAD_MAX). */
static int
s_read_all (FILE *file, char **data, size_t *size)
{
    size_t used = 0, capacity = 65536;
    char *buffer = (char *) malloc (capacity);
    if (!buffer)
        return -1;
    while (true) {
        if (used == capacity) {
            if (capacity > PAYLOAD_MAX) {
                free (buffer);
                errno = EFBIG;
                return -1;
            }
            capacity *= 2;
            char *bigger = (char *) realloc (buffer, capacity);
            if (!bigger) {
                free (buffer);
                return -1;
            }
            buffer = bigger;
        }
        size_t n = fread (buffer + used, 1, capacity - used, file);
        used += n;
        if (n == 0) {
            if (ferror (file)) {
                int error = errno;
                free (buffer);
                errno = error ? error : EIO;
                return -1;
            }
            break;
        }
    }
    if (used > PAYLOAD_MAX) {
        free (buffer);
        errno = EFBIG;
        return -1;
    }
    *data = buffer;
    *size = used;
    return 0;
}

/* The payload for submit: -d, -i FILE, or stdin when it is not a terminal.
   Returns 0, or an exit code. */
static int
s_payload (cli_t *cli, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    if (cli->data) {
        *data = strdup (cli->data);
        *size = strlen (cli->data);
        return *data ? 0 : EXIT_USAGE;
    }
    bool from_stdin = cli->input ? strcmp (cli->input, "-") == 0 : !isatty (STDIN_FILENO);
    if (!cli->input && !from_stdin)
        return 0; /* a terminal: no payload rather than waiting for one */
    FILE *file = from_stdin ? stdin : fopen (cli->input, "rb");
    const char *what = from_stdin ? "stdin" : cli->input;
    if (!file || s_read_all (file, data, size) != 0) {
        if (errno == EFBIG)
            fprintf (stderr, "ztask: the payload in %s is over %lu MiB, more than any broker takes\n", what,
                     PAYLOAD_MAX >> 20);
        else
            fprintf (stderr, "ztask: cannot read the payload from %s: %s\n", what, strerror (errno));
        if (file && file != stdin)
            fclose (file);
        return EXIT_USAGE;
    }
    if (file != stdin)
        fclose (file);
    return 0;
}

/* Shows a finished (or not) task the way submit --wait and result do,
   and returns the exit code its state means. */
static int
s_show_outcome (cli_t *cli, const ztask_task_t *task)
{
    int code = EXIT_OK;
    if (task->state == ZTASK_STATE_FAILED || task->state == ZTASK_STATE_CANCELLED) {
        code = EXIT_TASK_FAILED;
        const char *what = task->state == ZTASK_STATE_FAILED ? "failed" : "was cancelled";
        char error[1024];
        if (task->error[0])
            fprintf (stderr, "ztask: task %" PRIu64 " %s: %s\n", task->id, what,
                     cli_output_text (task->error, error, sizeof error));
        else
            fprintf (stderr, "ztask: task %" PRIu64 " %s\n", task->id, what);
    }
    else if (task->state != ZTASK_STATE_DONE) {
        code = EXIT_NOT_FINISHED;
        fprintf (stderr,
                 "ztask: task %" PRIu64 " is still %s: try again when it has finished "
                 "('ztask status %" PRIu64 "' shows how far it is)\n",
                 task->id, task->state == ZTASK_STATE_QUEUED ? "queued" : "running", task->id);
    }
    if (cli->json) {
        json_t *json = cli_output_task_json (task, task->state == ZTASK_STATE_DONE);
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else if (code == EXIT_OK && cli_output_result (stdout, task) != 0) {
        fprintf (stderr, "ztask: cannot write the result: %s\n", strerror (errno));
        code = EXIT_TASK_FAILED;
    }
    return code;
}

static void
s_on_progress (const ztask_task_t *task, void *arg)
{
    cli_progress_show ((cli_progress_t *) arg, task);
}

/* submit --wait: one request, then the task's progress and outcome. */
static int
s_submit_wait (cli_t *cli, ztask_client_t *client, const ztask_request_t *request, const char *payload, size_t size)
{
    cli_progress_t progress;
    cli_progress_init (&progress, stderr);
    bool terminal = isatty (STDERR_FILENO);
    ztask_task_t *task;
    uint64_t id;
    int rc = ztask_client_submit_wait_request (client, cli->task_type, payload, size, request, -1,
                                               terminal ? s_on_progress : NULL, &progress, &id, &task);
    cli_progress_clear (&progress);
    if (rc != 0) {
        int code = s_failed (cli, client);
        if (code == EXIT_INTERRUPTED && id)
            fprintf (stderr, "ztask: task %" PRIu64 " goes on: see 'ztask status %" PRIu64 "'\n", id, id);
        return code;
    }
    rc = s_show_outcome (cli, task);
    ztask_task_destroy (&task);
    return rc;
}

/* The request of submit's options into *request_p. Returns 0, or an exit
   code (out of memory). */
static int
s_request (cli_t *cli, ztask_request_t **request_p)
{
    ztask_request_t *request = ztask_request_new ();
    bool ok = request && ztask_request_set_priority (request, cli->opts.priority) == 0
              && ztask_request_set_timeout (request, cli->opts.timeout_ms) == 0
              && ztask_request_set_attempts (request, cli->opts.max_attempts) == 0
              && ztask_request_set_key (request, cli->opts.key) == 0
              && ztask_request_set_due (request, cli->due_ms) == 0
              && ztask_request_set_version (request, cli->version) == 0
              && ztask_request_set_needs (request, cli->needs) == 0
              && ztask_request_set_limit (request, cli->limit_name) == 0
              && ztask_request_set_retry_backoff (request, cli->retry_min_ms, cli->retry_max_ms) == 0
              && ztask_request_set_after (request, cli->after, cli->after_count, cli->after_mode == 2) == 0;
    for (size_t i = 0; ok && i < cli->require_count; i++)
        ok = ztask_request_add_require (request, cli->require[i]) == 0;
    if (!ok) {
        ztask_request_destroy (&request);
        fprintf (stderr, "ztask: out of memory\n");
        return EXIT_BROKER_FAILED;
    }
    *request_p = request;
    return 0;
}

static int
s_submit (cli_t *cli, ztask_client_t *client, const char *payload, size_t size)
{
    ztask_request_t *request;
    int rc = s_request (cli, &request);
    if (rc != 0)
        return rc;
    if (cli->wait) {
        rc = s_submit_wait (cli, client, request, payload, size);
        ztask_request_destroy (&request);
        return rc;
    }
    uint64_t id;
    rc = ztask_client_submit_request (client, cli->task_type, payload, size, request, &id);
    ztask_request_destroy (&request);
    if (rc != 0)
        return s_failed (cli, client);
    if (cli->json) {
        json_t *json = json_pack ("{s:I}", "id", (json_int_t) id);
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else
        printf ("%" PRIu64 "\n", id);
    return EXIT_OK;
}

static int s_history (cli_t *cli, ztask_client_t *client, json_t **history);

static int
s_status (cli_t *cli, ztask_client_t *client, bool result)
{
    ztask_task_t *task;
    int rc = result ? ztask_client_result (client, cli->id, &task) : ztask_client_status (client, cli->id, &task);
    if (rc != 0)
        return s_failed (cli, client);
    json_t *history = NULL;
    if (!result && cli->history && (rc = s_history (cli, client, &history)) != 0) {
        ztask_task_destroy (&task);
        return rc;
    }
    if (result)
        rc = s_show_outcome (cli, task);
    else if (cli->json) {
        json_t *json = cli_output_task_json (task, false);
        if (history)
            json_object_set (json, "history", json_object_get (history, "history"));
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else {
        cli_output_task (stdout, task);
        if (history && cli_output_history (stdout, history) != 0) {
            fprintf (stderr, "ztask: the broker sent a history in a form this ztask does not know (try --json)\n");
            rc = EXIT_BROKER_FAILED;
        }
    }
    json_decref (history);
    ztask_task_destroy (&task);
    return rc;
}

/* ---- acting on tasks ---- */

/* Parses a JSON answer of libztask's into *json; 0 or an exit code. */
static int
s_parse_answer (const char *text, json_t **json)
{
    json_error_t error;
    *json = json_loads (text, 0, &error);
    if (!*json) {
        char clean[sizeof error.text]; /* error.text quotes the broker's bytes */
        fprintf (stderr, "ztask: the broker sent invalid JSON: %s (line %d)\n",
                 cli_output_text (error.text, clean, sizeof clean), error.line);
        return EXIT_BROKER_FAILED;
    }
    return 0;
}

/* The JSON answer (text, freed here) of a libztask call that returned
   rc: 0 and the document in *json, or an exit code when the call failed
   (said as s_failed says it) or the answer is not JSON. */
static int
s_json_answer (cli_t *cli, ztask_client_t *client, int rc, char *text, json_t **json)
{
    *json = NULL;
    if (rc != 0)
        return s_failed (cli, client);
    rc = s_parse_answer (text, json);
    free (text);
    return rc;
}

/* A JSON answer the broker sent that this ztask cannot show as text:
   says so (what: "a task list") and returns the exit code. */
static int
s_unknown_form (const char *what)
{
    fprintf (stderr, "ztask: the broker sent %s in a form this ztask does not know (try --json)\n", what);
    return EXIT_BROKER_FAILED;
}

/* status --history: the task's HISTORY document. */
static int
s_history (cli_t *cli, ztask_client_t *client, json_t **history)
{
    char *text = NULL;
    int rc = ztask_client_history (client, cli->id, &text);
    return s_json_answer (cli, client, rc, text, history);
}

/* retry ID...: each task in turn (a failure is reported and the rest go
   on; the exit code is the first failure's), or retry by filter. */
static int
s_retry (cli_t *cli, ztask_client_t *client)
{
    json_t *ids = json_array ();
    int code = EXIT_OK;
    if (cli->arg_count)
        for (size_t i = 0; i < cli->arg_count; i++) {
            uint64_t id = 0;
            s_parse_uint (cli->args[i], UINT64_MAX, &id); /* checked by s_check_actions */
            if (ztask_client_retry (client, id, NULL) == 0)
                json_array_append_new (ids, json_integer ((json_int_t) id));
            else {
                int rc = s_failed (cli, client);
                if (code == EXIT_OK)
                    code = rc;
                if (rc == EXIT_INTERRUPTED || rc == EXIT_NO_BROKER || rc == EXIT_UNAVAILABLE)
                    break; /* the rest would fail the same way */
            }
        }
    else {
        uint64_t since_ms = 0;
        if (cli->since)
            s_parse_age (cli->since, &since_ms);
        int64_t since = cli->since ? zclock_time () - (int64_t) since_ms : 0;
        char *text = NULL;
        json_t *answer;
        int rc = ztask_client_retry_filter (client, cli->state, cli->type, cli->since ? (since > 0 ? since : 1) : 0,
                                            cli->limit_set ? cli->limit : 0, &text);
        code = s_json_answer (cli, client, rc, text, &answer);
        if (code != EXIT_OK) {
            json_decref (ids);
            return code;
        }
        json_t *got = json_object_get (answer, "ids");
        if (json_is_array (got))
            json_array_extend (ids, got);
        json_decref (answer);
    }
    size_t count = json_array_size (ids);
    if (cli->json) {
        json_t *json = json_pack ("{s:I, s:O}", "retried", (json_int_t) count, "ids", ids);
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else if (count || code == EXIT_OK) {
        printf ("retried %zu task%s", count, count == 1 ? "" : "s");
        size_t index;
        json_t *id;
        json_array_foreach (ids, index, id) {
            printf ("%s%" JSON_INTEGER_FORMAT, index ? " " : ": ", json_integer_value (id));
        }
        printf ("\n");
    }
    json_decref (ids);
    return code;
}

/* purge: asks until the broker purges fewer than a request's most. */
static int
s_purge (cli_t *cli, ztask_client_t *client)
{
    uint64_t age_ms = 0, total = 0, purged;
    s_parse_age (cli->before, &age_ms); /* checked by s_check_actions */
    int64_t before = zclock_time () - (int64_t) age_ms;
    do {
        if (ztask_client_purge (client, cli->state, cli->type, before > 0 ? before : 1, &purged) != 0) {
            int rc = s_failed (cli, client);
            if (total)
                fprintf (stderr, "ztask: %" PRIu64 " tasks were purged before that\n", total);
            return rc;
        }
        total += purged;
    } while (purged >= ZTASK_LIST_LIMIT_MAX && !zsys_interrupted);
    if (cli->json) {
        json_t *json = json_pack ("{s:I}", "purged", (json_int_t) total);
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else
        printf ("purged %" PRIu64 " task%s\n", total, total == 1 ? "" : "s");
    return EXIT_OK;
}

/* pause TYPE, resume TYPE. */
static int
s_pause (cli_t *cli, ztask_client_t *client)
{
    bool pause = cli->command == CMD_PAUSE;
    char *text = NULL;
    int rc = pause ? ztask_client_pause (client, cli->args[0], &text) : ztask_client_resume (client, cli->args[0], &text);
    json_t *answer;
    if ((rc = s_json_answer (cli, client, rc, text, &answer)) != EXIT_OK)
        return rc;
    if (cli->json)
        cli_output_json (stdout, answer);
    else if (pause)
        printf ("task type %s paused: its tasks wait until 'ztask resume %s'\n", cli->args[0], cli->args[0]);
    else
        printf ("task type %s resumed\n", cli->args[0]);
    json_decref (answer);
    return EXIT_OK;
}

/* cancel: says what became of the task; exit 0 when it is cancelled or
   being stopped, 1 when it had already ended. */
static int
s_cancel (cli_t *cli, ztask_client_t *client)
{
    ztask_task_t *task;
    if (ztask_client_cancel (client, cli->id, &task) != 0)
        return s_failed (cli, client);
    bool ended = task->state == ZTASK_STATE_DONE || task->state == ZTASK_STATE_FAILED;
    if (cli->json) {
        json_t *json = cli_output_task_json (task, false);
        cli_output_json (stdout, json);
        json_decref (json);
    }
    else if (task->state == ZTASK_STATE_CANCELLED)
        printf ("task %" PRIu64 " cancelled\n", task->id);
    else if (ended)
        printf ("task %" PRIu64 " already %s\n", task->id, ztask_state_name (task->state));
    else
        printf ("task %" PRIu64 " is being stopped\n", task->id);
    ztask_task_destroy (&task);
    return ended ? EXIT_TASK_FAILED : EXIT_OK;
}

/* stats, workers, list: the broker's JSON document as a table, or as it
   is with --json. */
static int
s_broker_info (cli_t *cli, ztask_client_t *client)
{
    char *text = NULL;
    int rc;
    const char *what;
    if (cli->command == CMD_STATS) {
        rc = ztask_client_stats (client, &text);
        what = "statistics";
    }
    else if (cli->command == CMD_WORKERS) {
        rc = ztask_client_workers (client, &text);
        what = "a worker list";
    }
    else {
        ztask_list_opts_t opts = { cli->state, cli->type, 0, cli->limit };
        if (cli->before)
            s_parse_uint (cli->before, UINT64_MAX, &opts.before_id); /* checked by s_check_actions */
        rc = ztask_client_list_filter (client, &opts, &text);
        what = "a task list";
    }
    json_t *json;
    if ((rc = s_json_answer (cli, client, rc, text, &json)) != EXIT_OK)
        return rc;
    if (cli->json)
        cli_output_json (stdout, json);
    else if (cli->command == CMD_STATS)
        rc = cli_output_stats (stdout, json);
    else if (cli->command == CMD_WORKERS)
        rc = cli_output_workers (stdout, json);
    else
        rc = cli_output_list (stdout, json, cli->state < 0 ? NULL : ztask_state_name ((ztask_state_t) cli->state));
    json_decref (json);
    return rc != 0 ? s_unknown_form (what) : EXIT_OK;
}

/* schedule add|list|show|pause|resume|remove. */
static int
s_schedule (cli_t *cli, ztask_client_t *client, const char *payload, size_t size)
{
    static const char *const subs[] = { "list", "show", "pause", "resume", "remove" };
    const char *sub = cli->args[0];
    char *text = NULL;
    int rc, action = -1;
    if (strcmp (sub, "add") == 0) {
        rc = ztask_client_schedule_add (client, cli->args[1], cli->cron, cli->tz, cli->args[2], payload, size,
                                        &cli->opts,
                                        cli->catchup && strcmp (cli->catchup, "once") == 0
                                            ? ZTASK_SCHEDULE_CATCHUP_ONCE : 0,
                                        &text);
    }
    else {
        for (int i = 0; i < 5; i++)
            if (strcmp (sub, subs[i]) == 0)
                action = i;
        rc = ztask_client_schedule (client, action, cli->arg_count > 1 ? cli->args[1] : NULL, &text);
    }
    json_t *answer;
    if ((rc = s_json_answer (cli, client, rc, text, &answer)) != EXIT_OK)
        return rc;
    if (cli->json)
        cli_output_json (stdout, answer);
    else if (action == ZTASK_SCHEDULE_LIST)
        rc = cli_output_schedules (stdout, answer);
    else if (action == ZTASK_SCHEDULE_REMOVE)
        printf ("schedule %s removed\n", cli->args[1]);
    else {
        if (action == ZTASK_SCHEDULE_PAUSE)
            printf ("schedule %s paused: it does not fire until 'ztask schedule resume %s'\n", cli->args[1],
                    cli->args[1]);
        else if (action == ZTASK_SCHEDULE_RESUME)
            printf ("schedule %s resumed\n", cli->args[1]);
        else if (action < 0)
            printf ("schedule %s added\n", cli->args[1]);
        if (action < 0 || action == ZTASK_SCHEDULE_SHOW)
            rc = cli_output_schedule (stdout, answer);
    }
    json_decref (answer);
    return rc != 0 ? s_unknown_form ("a schedule") : EXIT_OK;
}

/* batch submit FILE | batch status ID. */
static int
s_batch (cli_t *cli, ztask_client_t *client)
{
    char *text = NULL;
    json_t *answer = NULL;
    int rc;
    if (strcmp (cli->args[0], "status") == 0) {
        if (ztask_client_batch_status (client, cli->id, &text) != 0)
            return s_failed (cli, client);
        rc = s_parse_answer (text, &answer);
        free (text);
        if (rc != EXIT_OK)
            return rc;
        if (cli->json)
            cli_output_json (stdout, answer);
        else if (cli_batch_print_status (stdout, answer) != 0) {
            json_decref (answer);
            fprintf (stderr, "ztask: the broker sent a batch in a form this ztask does not know (try --json)\n");
            return EXIT_BROKER_FAILED;
        }
        json_decref (answer);
        return EXIT_OK;
    }
    const cli_batch_defaults_t defaults = { cli->opts.priority, cli->opts.timeout_ms, cli->opts.max_attempts,
                                            cli->due_ms, cli->require, cli->require_count, cli->needs,
                                            cli->limit_name, cli->retry_min_ms, cli->retry_max_ms };
    ztask_batch_t *batch = ztask_batch_new ();
    char error[1024];
    if (!batch) {
        fprintf (stderr, "ztask: out of memory\n");
        return EXIT_BROKER_FAILED;
    }
    if (cli_batch_read (cli->args[1], client, batch, &defaults, error, sizeof error) != 0) {
        ztask_batch_destroy (&batch);
        return s_usage_error ("%s", error);
    }
    if (cli->opts.key)
        ztask_batch_set_key (batch, cli->opts.key); /* checked as --key */
    if (cli->then) {
        /* The then task takes the options of its own kind: priority,
           timeout, attempts and retry policy (not what the batch's tasks
           ask of their workers, nor their due time). */
        ztask_request_t *then = ztask_request_new ();
        bool ok = then && ztask_request_set_priority (then, cli->opts.priority) == 0
                  && ztask_request_set_timeout (then, cli->opts.timeout_ms) == 0
                  && ztask_request_set_attempts (then, cli->opts.max_attempts) == 0
                  && ztask_request_set_retry_backoff (then, cli->retry_min_ms, cli->retry_max_ms) == 0;
        rc = ok ? ztask_client_batch_then (client, batch, cli->then, then) : -1;
        ztask_request_destroy (&then);
        if (rc != 0) {
            ztask_batch_destroy (&batch);
            return ok ? s_failed (cli, client) : EXIT_BROKER_FAILED;
        }
    }
    uint64_t batch_id, then_id;
    size_t size = ztask_batch_size (batch);
    rc = ztask_client_submit_batch (client, batch, &batch_id, &then_id);
    bool existing = ztask_batch_existing (batch);
    ztask_batch_destroy (&batch);
    if (rc != 0)
        return s_failed (cli, client);
    if (cli->json) {
        answer = json_pack ("{s:I, s:o, s:b}", "batch", (json_int_t) batch_id, "then",
                            then_id ? json_integer ((json_int_t) then_id) : json_null (), "existing", existing);
        if (!existing)
            json_object_set_new (answer, "size", json_integer ((json_int_t) size));
        cli_output_json (stdout, answer);
        json_decref (answer);
    }
    else {
        printf ("%" PRIu64 "\n", batch_id);
        if (existing)
            fprintf (stderr, "ztask: the broker holds batch %" PRIu64 " with key %s already: nothing new was"
                             " stored ('ztask batch status %" PRIu64 "')\n", batch_id, cli->opts.key, batch_id);
        else if (isatty (STDERR_FILENO)) {
            fprintf (stderr, "batch %" PRIu64 ": %zu tasks, ids %" PRIu64 "-%" PRIu64, batch_id, size, batch_id,
                     batch_id + size - 1);
            if (then_id)
                fprintf (stderr, ", then task %" PRIu64, then_id);
            fputs ("\n", stderr);
        }
    }
    return EXIT_OK;
}

int
main (int argc, char **argv)
{
    cli_t cli;
    int rc = s_command_line (&cli, argc, argv);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;
    if (cli.command == CMD_KEYGEN) {
        rc = s_keygen (&cli);
        if (fflush (stdout) != 0 && rc == EXIT_OK) {
            fprintf (stderr, "ztask: cannot write the output: %s\n", strerror (errno));
            rc = EXIT_TASK_FAILED;
        }
        return rc;
    }
    /* The payload first: the client's first socket installs czmq's SIGINT
       handler, after which Ctrl-C would only interrupt a read on stdin. */
    char *payload = NULL;
    size_t size = 0;
    bool schedule_add = cli.command == CMD_SCHEDULE && strcmp (cli.args[0], "add") == 0;
    if ((cli.command == CMD_SUBMIT || schedule_add) && (rc = s_payload (&cli, &payload, &size)) != 0)
        return rc;
    ztask_client_t *client = NULL;
    if ((rc = s_client (&cli, &client)) != 0) {
        free (payload);
        return rc;
    }
    switch (cli.command) {
    case CMD_SUBMIT: rc = s_submit (&cli, client, payload, size); break;
    case CMD_STATUS: rc = s_status (&cli, client, false); break;
    case CMD_RESULT: rc = s_status (&cli, client, true); break;
    case CMD_CANCEL: rc = s_cancel (&cli, client); break;
    case CMD_LIST:
    case CMD_STATS:
    case CMD_WORKERS: rc = s_broker_info (&cli, client); break;
    case CMD_KEYGEN: break; /* done above */
    case CMD_RETRY: rc = s_retry (&cli, client); break;
    case CMD_PURGE: rc = s_purge (&cli, client); break;
    case CMD_PAUSE:
    case CMD_RESUME: rc = s_pause (&cli, client); break;
    case CMD_SCHEDULE: rc = s_schedule (&cli, client, payload, size); break;
    case CMD_BATCH: rc = s_batch (&cli, client); break;
    }
    ztask_client_destroy (&client);
    free (payload);
    if (fflush (stdout) != 0 || ferror (stdout)) {
        fprintf (stderr, "ztask: cannot write the output: %s\n", strerror (errno));
        if (rc == EXIT_OK)
            rc = EXIT_TASK_FAILED;
    }
    return rc;
}
