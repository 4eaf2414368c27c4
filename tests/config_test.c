/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  config_test - broker and worker config parsing: values, defaults and the
    file:line errors for every kind of mistake. */
#include "tap.h"
#include "broker/broker_config.h"
#include "worker/worker_config.h"
#include "worker/slot.h"
#include "ztask/client.h"

#include <czmq.h>
#include <ctype.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Parses text as a broker config; returns 0 or -1 with error copied. */
static int
s_broker (const char *text, broker_config_t *config, char *error)
{
    ztask_cfg_t cfg;
    broker_config_init (config);
    int rc = ztask_cfg_load_string (&cfg, text, "broker.cfg");
    if (rc == 0)
        rc = broker_config_parse (config, &cfg);
    strcpy (error, cfg.error);
    ztask_cfg_free (&cfg);
    return rc;
}

static int
s_worker (const char *text, worker_config_t *config, char *error)
{
    ztask_cfg_t cfg;
    int rc = ztask_cfg_load_string (&cfg, text, "/etc/ztask/worker.cfg");
    if (rc == 0)
        rc = worker_config_parse (config, &cfg);
    else
        memset (config, 0, sizeof *config);
    strcpy (error, cfg.error);
    ztask_cfg_free (&cfg);
    return rc;
}

static void
s_broker_refuses (const char *text, const char *expect, const char *what)
{
    broker_config_t config;
    char error[2048];
    TAP_OK (s_broker (text, &config, error) == -1, "broker refuses %s", what);
    TAP_CONTAINS (error, expect, "  with '%s'", expect);
    broker_config_free (&config);
}

static void
s_worker_refuses (const char *text, const char *expect, const char *what)
{
    worker_config_t config;
    char error[2048];
    TAP_OK (s_worker (text, &config, error) == -1, "worker refuses %s", what);
    TAP_CONTAINS (error, expect, "  with '%s'", expect);
    worker_config_free (&config);
}

#define ECHO_ONLY "plugins = ( { name = \"echo\"; } );"

/* A worker config of curve = { secret; broker; } and the echo plugin. */
static const char *
s_curve_config (const char *secret, const char *broker)
{
    static char text[1024];
    snprintf (text, sizeof text, "curve = { secret = \"%s\";\n broker = \"%s\"; };\n" ECHO_ONLY, secret,
              broker);
    return text;
}

/* Worker: curve.broker for several brokers: one certificate for all, or
   one per endpoint. secret, broker_public: certificate files; dir: a temp
   directory for a second broker's. */
static void
s_test_worker_curve_brokers (const char *secret, const char *broker_public, const char *dir)
{
    worker_config_t w;
    char error[2048], text[2048], second_public[256];
    snprintf (second_public, sizeof second_public, "%s/broker2.key", dir);
    zcert_t *second = zcert_new ();
    zcert_save (second, second_public);
    zcert_t *first = zcert_load (broker_public);
    const char *brokers = "broker = [\"tcp://10.0.0.1:5570\", \"tcp://10.0.0.2:5570\"];\n";

    snprintf (text, sizeof text, "%scurve = { secret = \"%s\"; broker = \"%s\"; };\n" ECHO_ONLY, brokers, secret,
              broker_public);
    TAP_OK (s_worker (text, &w, error) == 0 && w.curve_broker_keys[0] && w.curve_broker_keys[1]
                && streq (w.curve_broker_keys[0], zcert_public_txt (first))
                && streq (w.curve_broker_keys[1], zcert_public_txt (first)) && !w.curve_broker_keys[2],
            "one curve.broker certificate serves every broker endpoint");
    worker_config_free (&w);
    snprintf (text, sizeof text, "%scurve = { secret = \"%s\"; broker = [\"%s\", \"%s\"]; };\n" ECHO_ONLY, brokers,
              secret, second_public, broker_public);
    TAP_OK (s_worker (text, &w, error) == 0 && w.curve_broker_keys[0] && w.curve_broker_keys[1]
                && streq (w.curve_broker_keys[0], zcert_public_txt (second))
                && streq (w.curve_broker_keys[1], zcert_public_txt (first)),
            "a list of curve.broker certificates: one per endpoint, in order");
    worker_config_free (&w);
    setenv ("ZTASK_BROKER", "tcp://10.0.0.1:5570,tcp://10.0.0.2:5570", 1);
    snprintf (text, sizeof text, "curve = { secret = \"%s\"; broker = (\"%s\", \"%s\"); };\n" ECHO_ONLY, secret,
              broker_public, second_public);
    TAP_OK (s_worker (text, &w, error) == 0 && w.broker_count == 2
                && streq (w.curve_broker_keys[1], zcert_public_txt (second)),
            "  also for the endpoints of $ZTASK_BROKER");
    worker_config_free (&w);
    unsetenv ("ZTASK_BROKER");

    snprintf (text, sizeof text, "%scurve = { secret = \"%s\";\n broker = [\"%s\"]; };\n" ECHO_ONLY, brokers, secret,
              broker_public);
    s_worker_refuses (text, "worker.cfg:3: curve.broker lists 1 certificate for 2 broker endpoints: give one per "
                            "endpoint, in the same order",
                      "fewer curve.broker certificates than endpoints");
    snprintf (text, sizeof text, "curve = { secret = \"%s\"; broker = [\"%s\", \"%s\"]; };\n" ECHO_ONLY, secret,
              broker_public, second_public);
    s_worker_refuses (text, "curve.broker lists 2 certificates for 1 broker endpoint:",
                      "more curve.broker certificates than endpoints");
    snprintf (text, sizeof text, "%scurve = { secret = \"%s\"; broker = [\"%s\",\n \"%s/none.key\"]; };\n" ECHO_ONLY,
              brokers, secret, broker_public, dir);
    s_worker_refuses (text, "worker.cfg:3: curve.broker: cannot read", "a missing certificate in the list (its line)");
    snprintf (text, sizeof text, "%scurve = { secret = \"%s\"; broker = (\"%s\", 7); };\n" ECHO_ONLY, brokers, secret,
              broker_public);
    s_worker_refuses (text, "each certificate in curve.broker must be a file name", "a number in the list");
    snprintf (text, sizeof text, "curve = { secret = \"%s\"; broker = 7; };\n" ECHO_ONLY, secret);
    s_worker_refuses (text, "curve.broker must be a certificate file (a string), or a list of them",
                      "a number for curve.broker");

    zcert_destroy (&first);
    zcert_destroy (&second);
    unlink (second_public);
    char second_secret[300];
    snprintf (second_secret, sizeof second_secret, "%s_secret", second_public);
    unlink (second_secret);
}

/* Worker: user, pid_file, allow_insecure_plugins and curve, with real
   certificate files in a temp directory. */
static void
s_test_worker_security (void)
{
    worker_config_t w;
    char error[2048];
    TAP_OK (s_worker (ECHO_ONLY, &w, error) == 0 && !w.user && !w.pid_file && !w.allow_insecure_plugins
                && !w.curve_cert && !w.curve_broker_keys[0],
            "no user, no pid_file, no insecure plugins and plain TCP by default");
    worker_config_free (&w);
    TAP_OK (s_worker ("user = \"ztask\"; pid_file = \"run/w.pid\"; allow_insecure_plugins = true;\n" ECHO_ONLY,
                      &w, error) == 0
                && streq (w.user, "ztask") && streq (w.pid_file, "/etc/ztask/run/w.pid")
                && w.allow_insecure_plugins,
            "user, pid_file (taken from the config's directory) and allow_insecure_plugins");
    worker_config_free (&w);
    s_worker_refuses ("allow_insecure_plugins = 1;\n" ECHO_ONLY,
                      "worker.cfg:1: 'allow_insecure_plugins' must be true or false", "a number for a boolean");
    s_worker_refuses (ECHO_ONLY "\nuser = \"\";", "worker.cfg:2: 'user' must not be empty", "an empty user");

    char dir[] = "/tmp/ztask-config-test.XXXXXX";
    if (!TAP_OK (mkdtemp (dir) != NULL, "a temp directory for certificates"))
        return;
    char worker_secret[256], worker_public[256], broker_public[256], broker_secret[256];
    char junk[256], missing[256];
    snprintf (worker_secret, sizeof worker_secret, "%s/w1.key_secret", dir);
    snprintf (worker_public, sizeof worker_public, "%s/w1.key", dir);
    snprintf (broker_secret, sizeof broker_secret, "%s/broker.key_secret", dir);
    snprintf (broker_public, sizeof broker_public, "%s/broker.key", dir);
    snprintf (junk, sizeof junk, "%s/junk.key", dir);
    snprintf (missing, sizeof missing, "%s/nope.key_secret", dir);
    zcert_t *worker = zcert_new ();
    zcert_t *broker = zcert_new ();
    zcert_save (worker, worker_public); /* both files: NAME and NAME_secret */
    zcert_save (broker, broker_public);
    FILE *file = fopen (junk, "w");
    if (file) {
        fputs ("metadata\n    name = \"not a certificate\"\n", file); /* ZPL, without curve keys */
        fclose (file);
    }

    TAP_OK (s_worker (s_curve_config (worker_secret, broker_public), &w, error) == 0,
            "curve with a secret and the broker's public certificate parses");
    TAP_OK (w.curve_cert && streq (zcert_public_txt (w.curve_cert), zcert_public_txt (worker))
                && streq (zcert_secret_txt (w.curve_cert), zcert_secret_txt (worker)),
            "the worker's keys are read");
    TAP_OK (w.curve_broker_keys[0] && streq (w.curve_broker_keys[0], zcert_public_txt (broker)),
            "and the broker's public key");
    worker_config_free (&w);
    TAP_OK (w.curve_cert == NULL, "free drops the certificate");

    snprintf (error, sizeof error, "worker.cfg:1: curve.secret: cannot read %s: No such file", missing);
    s_worker_refuses (s_curve_config (missing, broker_public), error,
                      "a missing secret certificate (file:line, the path and why)");
    s_worker_refuses (s_curve_config (worker_secret, missing), "worker.cfg:2: curve.broker: cannot read",
                      "a missing broker certificate");
    s_worker_refuses (s_curve_config (worker_public, broker_public),
                      "holds no secret key: give NAME.key_secret", "a public certificate as the secret");
    s_worker_refuses (s_curve_config (worker_secret, broker_secret),
                      "is a secret certificate: give the public one",
                      "the broker's secret certificate as its public one");
    snprintf (error, sizeof error, "%s is not a CURVE certificate", junk);
    s_worker_refuses (s_curve_config (junk, broker_public), error, "a file that is not a certificate");
    s_worker_refuses ("curve = { secret = \"w.key_secret\"; };\n" ECHO_ONLY,
                      "worker.cfg:1: 'curve' needs both 'secret'", "curve without broker");
    s_worker_refuses ("curve = \"on\";\n" ECHO_ONLY, "worker.cfg:1: 'curve' must be a group",
                      "curve that is not a group");
    s_worker_refuses ("curve = { secret = \"a\"; broker = \"b\"; allow = \"c\"; };\n" ECHO_ONLY,
                      "unknown setting 'allow' (known here: secret, broker)",
                      "a broker's key in a worker's curve");

    s_test_worker_curve_brokers (worker_secret, broker_public, dir);

    zcert_destroy (&worker);
    zcert_destroy (&broker);
    const char *files[] = { worker_secret, worker_public, broker_secret, broker_public, junk };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink (files[i]);
    rmdir (dir);
}

/* Worker: broker as one endpoint, a list, a comma-separated string, from
   $ZTASK_BROKER, and every mistake. */
/* labels and resources, the facts, and every refusal (file:line). */
static void
s_test_worker_labels (void)
{
    worker_config_t w;
    char error[2048];
    TAP_OK (s_worker (ECHO_ONLY, &w, error) == 0, "a worker without labels or resources");
    TAP_OK (w.label_count == WORKER_FACTS && w.resource_count == 0, "  has the facts only (%zu labels)",
            w.label_count);
    for (int i = 0; i < WORKER_FACTS; i++)
        TAP_OK (w.labels[i].key && streq (w.labels[i].key, worker_fact_keys[i]) && w.labels[i].value
                    && w.labels[i].value[0],
                "  fact %d is %s = '%s'", i, worker_fact_keys[i], w.labels[i].value ? w.labels[i].value : "(null)");
    char host[256] = "";
    gethostname (host, sizeof host - 1);
    TAP_OK (streq (w.labels[0].value, host), "  host is gethostname's");
    struct utsname uts;
    uname (&uts);
    char os[sizeof uts.sysname];
    for (size_t i = 0; i < sizeof os; i++)
        os[i] = (char) tolower ((unsigned char) uts.sysname[i]);
    TAP_OK (streq (w.labels[1].value, os), "  os is uname's sysname, lowercased (%s)", w.labels[1].value);
    TAP_OK (streq (w.labels[2].value, uts.machine), "  arch is uname's machine (%s)", w.labels[2].value);
    long cores = atol (w.labels[3].value);
    TAP_OK (cores >= 1 && cores <= sysconf (_SC_NPROCESSORS_ONLN), "  cores is 1 to the online CPUs (%ld)", cores);
    long long memory_mb = atoll (w.labels[4].value);
    long long expect_mb = (long long) sysconf (_SC_PHYS_PAGES) * sysconf (_SC_PAGE_SIZE) / (1024 * 1024);
    TAP_OK (memory_mb > 0 && memory_mb == expect_mb, "  memory_mb is the physical memory (%lld MiB)", memory_mb);
    worker_config_free (&w);

    const char *text = "labels = { zone = \"eu-1\"; gpu_model = \"a100\"; tier = \"spot\"; x.y-z_9 = \"\xc3\xa9t\xc3\xa9\"; };\n"
                       "resources = { gpu = 2; memory_mb = 65536; cpu = 16; zero = 0; max = 9007199254740992L; };\n"
                       "slots = 3;\n" ECHO_ONLY;
    /* libconfig names allow no '.': x.y-z_9 is a path there. */
    TAP_OK (s_worker (text, &w, error) == -1, "a label key with '.' cannot be written in libconfig");
    worker_config_free (&w);
    text = "labels = { zone = \"eu-1\"; gpu_model = \"a100\"; tier = \"spot\"; y-z_9 = \"\xc3\xa9t\xc3\xa9\"; };\n"
           "resources = { gpu = 2; memory_mb = 65536; cpu = 16; zero = 0; max = 9007199254740992L; };\n"
           "slots = 3;\n" ECHO_ONLY;
    TAP_OK (s_worker (text, &w, error) == 0, "labels and resources are read (%s)", error);
    TAP_OK (w.label_count == WORKER_FACTS + 4, "  4 labels after the facts");
    TAP_OK (streq (w.labels[WORKER_FACTS].key, "zone") && streq (w.labels[WORKER_FACTS].value, "eu-1"),
            "  zone = eu-1, first, in the config's order");
    TAP_OK (streq (w.labels[WORKER_FACTS + 3].key, "y-z_9") && streq (w.labels[WORKER_FACTS + 3].value, "\xc3\xa9t\xc3\xa9"),
            "  a key with '-' and '_', a UTF-8 value");
    TAP_OK (w.resource_count == 5, "  5 resources");
    TAP_OK (streq (w.resources[0].name, "gpu") && w.resources[0].amount == 2, "  gpu = 2");
    TAP_OK (streq (w.resources[1].name, "memory_mb") && w.resources[1].amount == 65536,
            "  memory_mb = 65536 (a resource may share a fact's name)");
    TAP_OK (w.resources[3].amount == 0, "  0 is allowed");
    TAP_OK (w.resources[4].amount == (1ULL << 53), "  2^53 is the largest");
    TAP_OK (w.slots == 3, "  slots stays its own setting");
    worker_config_free (&w);

    char many[4096] = "labels = {";
    for (int i = 0; i < WORKER_LABELS_MAX; i++)
        snprintf (many + strlen (many), sizeof many - strlen (many), " k%d = \"v\";", i);
    strcat (many, " };\n" ECHO_ONLY);
    TAP_OK (s_worker (many, &w, error) == 0, "%d labels are allowed", WORKER_LABELS_MAX);
    worker_config_free (&w);
    char *more = strstr (many, " };");
    snprintf (more, sizeof many - (size_t) (more - many), " k99 = \"v\"; };\n" ECHO_ONLY);
    s_worker_refuses (many, "worker.cfg:1: 'labels' sets 33 labels; a worker sets at most 32", "33 labels");
    strcpy (many, "resources = {");
    for (int i = 0; i <= WORKER_RESOURCES_MAX; i++)
        snprintf (many + strlen (many), sizeof many - strlen (many), " r%d = 1;", i);
    strcat (many, " };\n" ECHO_ONLY);
    s_worker_refuses (many, "worker.cfg:1: 'resources' sets 17 resources; a worker sets at most 16", "17 resources");

    s_worker_refuses ("\nlabels = { zone = \"a\";\n zone = \"b\"; };\n" ECHO_ONLY,
                      "worker.cfg:3: this key is set twice in its group", "a duplicate label");
    s_worker_refuses ("\nresources = { gpu = 1;\n gpu = 2; };\n" ECHO_ONLY,
                      "worker.cfg:3: this key is set twice in its group", "a duplicate resource");
    s_worker_refuses ("labels = {\n Zone = \"a\"; };\n" ECHO_ONLY,
                      "worker.cfg:2: invalid label key 'Zone': it must start with a lowercase letter a-z",
                      "an uppercase label key");
    s_worker_refuses ("labels = {\n zone9Z = \"a\"; };\n" ECHO_ONLY,
                      "worker.cfg:2: invalid label key 'zone9Z': byte 6 is not one of a-z, 0-9", "an uppercase letter inside a key");
    s_worker_refuses ("labels = {\n k234567890123456789012345678901234567890123456789012345678901234 = \"a\"; };\n" ECHO_ONLY,
                      "worker.cfg:2: invalid label key 'k2345", "a 64-byte key");
    s_worker_refuses ("labels = {\n zone = 1; };\n" ECHO_ONLY,
                      "worker.cfg:2: label 'zone' must be a string in double quotes", "a number as a label");
    s_worker_refuses ("labels = {\n zone = true; };\n" ECHO_ONLY, "worker.cfg:2: label 'zone' must be a string",
                      "a boolean as a label");
    s_worker_refuses ("labels = {\n zone = [\"a\"]; };\n" ECHO_ONLY, "worker.cfg:2: label 'zone' must be a string",
                      "a list as a label");
    s_worker_refuses ("labels = {\n zone = \"\"; };\n" ECHO_ONLY, "worker.cfg:2: invalid value of label 'zone': it is empty",
                      "an empty label value");
    s_worker_refuses ("labels = {\n zone = \"a\\x1b[31m\"; };\n" ECHO_ONLY,
                      "worker.cfg:2: invalid value of label 'zone': it holds the control character U+001B",
                      "a label value with a control character");
    s_worker_refuses ("labels = {\n zone = \"\xff\"; };\n" ECHO_ONLY,
                      "worker.cfg:2: invalid value of label 'zone': it is not valid UTF-8", "a label value not UTF-8");
    char long_value[400];
    snprintf (long_value, sizeof long_value, "labels = {\n zone = \"%0256d\"; };\n" ECHO_ONLY, 0);
    s_worker_refuses (long_value, "worker.cfg:2: invalid value of label 'zone': it is longer than 255 bytes",
                      "a 256-byte label value");
    for (int i = 0; i < WORKER_FACTS; i++) {
        char reserved[256], expect[128];
        snprintf (reserved, sizeof reserved, "labels = {\n %s = \"x\"; };\n" ECHO_ONLY, worker_fact_keys[i]);
        snprintf (expect, sizeof expect, "worker.cfg:2: label '%s' is reserved: the worker finds it itself",
                  worker_fact_keys[i]);
        s_worker_refuses (reserved, expect, "a reserved label (a fact)");
    }
    s_worker_refuses ("labels = \"zone=eu-1\";\n" ECHO_ONLY, "worker.cfg:1: 'labels' must be a group of strings",
                      "labels as a string");
    s_worker_refuses ("resources = (1, 2);\n" ECHO_ONLY, "worker.cfg:1: 'resources' must be a group of whole numbers",
                      "resources as a list");
    s_worker_refuses ("resources = {\n gpu = -2; };\n" ECHO_ONLY, "worker.cfg:2: resource 'gpu' is -2; it must be 0 or more",
                      "a negative resource");
    s_worker_refuses ("resources = {\n gpu = 3000000000; };\n" ECHO_ONLY,
                      "needs an L suffix", "a number past 2^31 without L (libconfig wraps it)");
    s_worker_refuses ("resources = {\n gpu = -3000000000L; };\n" ECHO_ONLY,
                      "worker.cfg:2: resource 'gpu' is -3000000000; it must be 0 or more", "a negative L number");
    s_worker_refuses ("resources = {\n gpu = 9007199254740993L; };\n" ECHO_ONLY,
                      "worker.cfg:2: resource 'gpu' is 9007199254740993; it must be at most 9007199254740992",
                      "a resource over 2^53");
    s_worker_refuses ("resources = {\n gpu = 1.5; };\n" ECHO_ONLY, "worker.cfg:2: resource 'gpu' must be a whole number",
                      "a fractional resource");
    s_worker_refuses ("resources = {\n gpu = \"2\"; };\n" ECHO_ONLY, "worker.cfg:2: resource 'gpu' must be a whole number",
                      "a string resource");
    s_worker_refuses ("resources = {\n Gpu = 2; };\n" ECHO_ONLY, "worker.cfg:2: invalid resource name 'Gpu'",
                      "an invalid resource name");
    s_worker_refuses ("resources = {\n slots = 2; };\n" ECHO_ONLY, "worker.cfg:2: resource 'slots' is reserved",
                      "slots as a resource");
}

static void
s_test_worker_brokers (void)
{
    worker_config_t w;
    char error[2048];
    unsetenv ("ZTASK_BROKER");
    TAP_OK (s_worker (ECHO_ONLY, &w, error) == 0 && w.broker_count == 1
                && streq (w.brokers[0], ZTASK_DEFAULT_ENDPOINT),
            "broker defaults to %s", ZTASK_DEFAULT_ENDPOINT);
    worker_config_free (&w);
    TAP_OK (s_worker ("broker = [\"tcp://10.0.0.1:5570\", \"tcp://broker-b.example:5571\"];\n" ECHO_ONLY, &w, error) == 0
                && w.broker_count == 2 && streq (w.brokers[0], "tcp://10.0.0.1:5570")
                && streq (w.brokers[1], "tcp://broker-b.example:5571"),
            "broker = [a, b]: both, in order");
    worker_config_free (&w);
    TAP_OK (s_worker ("broker = (\"tcp://[::1]:5570\", \"ipc:///run/ztask.sock\");\n" ECHO_ONLY, &w, error) == 0
                && w.broker_count == 2 && streq (w.brokers[1], "ipc:///run/ztask.sock"),
            "broker = (a, b), an IPv6 address and ipc://");
    worker_config_free (&w);
    TAP_OK (s_worker ("broker = \"tcp://a:5570, tcp://b:5570,tcp://c:5570 \";\n" ECHO_ONLY, &w, error) == 0
                && w.broker_count == 3 && streq (w.brokers[0], "tcp://a:5570") && streq (w.brokers[1], "tcp://b:5570")
                && streq (w.brokers[2], "tcp://c:5570"),
            "broker = \"a, b,c \": separated by commas, spaces ignored");
    worker_config_free (&w);
    setenv ("ZTASK_BROKER", "tcp://10.0.0.1:5570,tcp://10.0.0.2:5570", 1);
    TAP_OK (s_worker (ECHO_ONLY, &w, error) == 0 && w.broker_count == 2 && streq (w.brokers[1], "tcp://10.0.0.2:5570"),
            "$ZTASK_BROKER lists brokers the same way");
    worker_config_free (&w);
    TAP_OK (s_worker ("broker = \"tcp://10.0.0.3:5570\";\n" ECHO_ONLY, &w, error) == 0 && w.broker_count == 1
                && streq (w.brokers[0], "tcp://10.0.0.3:5570"),
            "  and the config's broker overrides it");
    worker_config_free (&w);
    setenv ("ZTASK_BROKER", "tcp://10.0.0.1:5570,,tcp://10.0.0.2:5570", 1);
    s_worker_refuses (ECHO_ONLY, "worker.cfg: $ZTASK_BROKER: broker endpoint 2 of the list is empty",
                      "an empty entry in $ZTASK_BROKER");
    setenv ("ZTASK_BROKER", "localhost:5570", 1);
    s_worker_refuses (ECHO_ONLY, "$ZTASK_BROKER: invalid broker endpoint 'localhost:5570': not a ZeroMQ endpoint",
                      "a $ZTASK_BROKER without a transport");
    unsetenv ("ZTASK_BROKER");

    char text[4096] = "broker = [";
    for (int i = 0; i < ZTASK_ENDPOINTS_MAX; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "%s\"tcp://10.0.0.%d:5570\"", i ? ", " : "", i);
    strcat (text, "];\n" ECHO_ONLY);
    TAP_OK (s_worker (text, &w, error) == 0 && w.broker_count == ZTASK_ENDPOINTS_MAX, "%d brokers are fine",
            ZTASK_ENDPOINTS_MAX);
    worker_config_free (&w);
    strcpy (strstr (text, "];"), ", \"tcp://10.0.0.99:5570\"];\n" ECHO_ONLY);
    s_worker_refuses (text, "worker.cfg:1: 'broker' lists 1 to 16 endpoints (this one 17)", "17 brokers in a list");
    strcpy (text, "broker = \"");
    for (int i = 0; i <= ZTASK_ENDPOINTS_MAX; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "%stcp://10.0.0.%d:5570", i ? "," : "", i);
    strcat (text, "\";\n" ECHO_ONLY);
    s_worker_refuses (text, "worker.cfg:1: broker: a list holds at most 16 broker endpoints (this one 17)",
                      "17 brokers in a string");

    s_worker_refuses ("broker = [];\n" ECHO_ONLY, "'broker' lists 1 to 16 endpoints", "an empty list");
    s_worker_refuses ("broker = [5570];\n" ECHO_ONLY, "each endpoint in 'broker' must be a string", "a number in the list");
    s_worker_refuses ("broker = 5570;\n" ECHO_ONLY, "'broker' must be an endpoint (a string) or a list of them",
                      "a number for broker");
    s_worker_refuses ("broker = \"\";\n" ECHO_ONLY, "'broker' must not be empty", "an empty broker");
    s_worker_refuses ("broker = [\"tcp://10.0.0.1:5570\",\n  \"localhost\"];\n" ECHO_ONLY,
                      "worker.cfg:2: broker: invalid broker endpoint 2 of the list, 'localhost': not a ZeroMQ endpoint",
                      "an endpoint without a transport (the line of the entry)");
    s_worker_refuses ("broker = \"tcp://10.0.0.1:5570,\";\n" ECHO_ONLY,
                      "broker: broker endpoint 2 of the list is empty",
                      "a trailing comma");
    s_worker_refuses ("broker = \"tcp://10.0.0.1\";\n" ECHO_ONLY, "needs a host and a port from 1 to 65535",
                      "a tcp endpoint without a port");
    s_worker_refuses ("broker = \"tcp://10.0.0.1:*\";\n" ECHO_ONLY, "needs a host and a port", "a wildcard port");
    s_worker_refuses ("broker = \"tcp://10.0.0.1:65536\";\n" ECHO_ONLY, "needs a host and a port",
                      "a port out of range");
    s_worker_refuses ("broker = \"udp://10.0.0.1:5570\";\n" ECHO_ONLY, "not a ZeroMQ endpoint to connect to",
                      "a transport a DEALER cannot use");
    s_worker_refuses ("broker = [\"tcp://a:5570, tcp://b:5570\"];\n" ECHO_ONLY,
                      "holds a space or a comma: one endpoint per entry", "two endpoints in one list entry");
    s_worker_refuses ("broker = \"tcp://a:5570,tcp://A:5570\";\n" ECHO_ONLY,
                      "broker: broker endpoint 2 of the list, 'tcp://A:5570', repeats endpoint 1 ('tcp://a:5570')",
                      "an endpoint listed twice (a host's case does not matter)");
    s_worker_refuses ("broker = [\"tcp://a:5570\", \"tcp://b:5570\",\n  \"tcp://B:5570\"];\n" ECHO_ONLY,
                      "worker.cfg:2: broker: broker endpoint 3 of the list, 'tcp://B:5570', repeats endpoint 2",
                      "  in a list too (the line of the entry)");
    s_worker_refuses ("broker = \"TCP://A:5570\";\n" ECHO_ONLY,
                      "broker: invalid broker endpoint 'TCP://A:5570': libzmq takes the transport in lower case",
                      "a transport in upper case, which libzmq would refuse at connect");
}

int
main (void)
{
    broker_config_t b;
    char error[2048];

    /* Broker: defaults, then every key. */
    TAP_OK (s_broker ("", &b, error) == 0, "an empty broker config is valid");
    TAP_OK (b.endpoint_count == 1 && streq (b.endpoints[0], "tcp://127.0.0.1:5570"), "default endpoint");
    TAP_OK (streq (b.sync, "normal") && b.heartbeat_ms == 1000 && b.max_attempts == 3, "defaults");
    broker_config_free (&b);
    TAP_OK (s_broker ("endpoint = [\"tcp://127.0.0.1:6000\", \"ipc:///tmp/z\"];\n"
                      "store = \"/var/lib/ztask/t.db\"; sync = \"full\"; heartbeat_ms = 250;\n"
                      "heartbeat_liveness = 5; max_attempts = 7; max_payload = 4096; max_queued = 99;",
                      &b, error) == 0,
            "a full broker config parses");
    TAP_OK (b.endpoint_count == 2 && streq (b.endpoints[1], "ipc:///tmp/z"), "endpoint list");
    TAP_OK (streq (b.store, "/var/lib/ztask/t.db") && streq (b.sync, "full"), "store and sync");
    TAP_OK (b.heartbeat_ms == 250 && b.heartbeat_liveness == 5 && b.max_attempts == 7
                && b.max_payload == 4096 && b.max_queued == 99,
            "numbers");
    broker_config_free (&b);

    s_broker_refuses ("store = \"a\";\nbogus = 1;", "broker.cfg:2: unknown setting 'bogus'", "an unknown key");
    s_broker_refuses ("sync = \"sometimes\";", "broker.cfg:1: 'sync' must be", "a bad sync level");
    s_broker_refuses ("\n\nheartbeat_ms = 5;", "broker.cfg:3: 'heartbeat_ms' is 5; it must be from 50",
                      "a heartbeat out of range");
    s_broker_refuses ("max_attempts = \"three\";", "'max_attempts' must be a whole number", "a string for a number");
    s_broker_refuses ("endpoint = \"localhost\";", "is not a ZeroMQ endpoint", "an endpoint without a transport");
    s_broker_refuses ("endpoint = 5570;", "'endpoint' must be a string", "a number for an endpoint");
    s_broker_refuses ("store = \"\";", "'store' must not be empty", "an empty store path");
    s_broker_refuses ("store = \"x\"\nsync = ", "broker.cfg:2: syntax error", "a syntax error");

    /* Worker. */
    worker_config_t w;
    TAP_OK (s_worker ("broker = \"tcp://10.0.0.1:5570\"; name = \"w1\"; slots = 4;\n"
                      "priorities = (\"low\", 7, \"8-9\");\n"
                      "plugins = ( { name = \"echo\"; },\n"
                      "  { name = \"sleep\"; file = \"lib/sleep.so\"; settings = { max_ms = 500; fast = true; f = 1.5; s = \"x\"; }; } );",
                      &w, error) == 0,
            "a full worker config parses");
    TAP_OK (w.broker_count == 1 && streq (w.brokers[0], "tcp://10.0.0.1:5570") && streq (w.name, "w1") && w.slots == 4,
            "broker, name, slots");
    TAP_OK (w.priorities == ((1 << 0) | (1 << 7) | (1 << 8) | (1 << 9)), "priority names, numbers and ranges");
    TAP_OK (w.plugin_count == 2 && streq (w.plugins[0].name, "echo"), "plugins");
    TAP_CONTAINS (w.plugins[0].file, "/echo.so", "a plugin's file defaults to plugin_dir/NAME.so");
    TAP_OK (streq (w.plugins[1].file, "/etc/ztask/lib/sleep.so"), "a relative file is taken from the config's directory");
    TAP_OK (streq (ztask_setting (w.plugins[1].settings, "max_ms"), "500")
                && streq (ztask_setting (w.plugins[1].settings, "fast"), "true")
                && streq (ztask_setting (w.plugins[1].settings, "f"), "1.5")
                && streq (ztask_setting (w.plugins[1].settings, "s"), "x"),
            "settings become text");
    worker_config_free (&w);
    TAP_OK (s_worker ("plugin_dir = \"/opt/p\"; priorities = \"all\"; plugins = ( { name = \"echo\"; } );", &w, error) == 0
                && streq (w.plugins[0].file, "/opt/p/echo.so") && w.priorities == 0x3FF && w.slots == 1,
            "plugin_dir, \"all\" and the default of one slot");
    worker_config_free (&w);

    /* Isolation and drain: defaults, both choices, the limits. */
    TAP_OK (s_worker ("plugins = ( { name = \"echo\"; } );", &w, error) == 0, "a minimal worker config parses");
    TAP_OK (w.isolation == SLOT_THREAD, "isolation defaults to thread");
    TAP_OK (w.drain_timeout_ms == 30000, "drain_timeout_ms defaults to 30000");
    worker_config_free (&w);
    TAP_OK (s_worker ("isolation = \"process\"; drain_timeout_ms = 86400000;\n"
                      "plugins = ( { name = \"echo\"; } );", &w, error) == 0
                && w.isolation == SLOT_PROCESS && w.drain_timeout_ms == 86400000,
            "isolation = \"process\" and the largest drain_timeout_ms");
    worker_config_free (&w);
    TAP_OK (s_worker ("isolation = \"thread\"; drain_timeout_ms = 0; plugins = ( { name = \"echo\"; } );", &w, error) == 0
                && w.isolation == SLOT_THREAD && w.drain_timeout_ms == 0,
            "isolation = \"thread\" and drain_timeout_ms = 0 (hand back at once)");
    worker_config_free (&w);
    s_worker_refuses ("\nisolation = \"fork\";\nplugins = ( { name = \"echo\"; } );",
                      "worker.cfg:2: 'isolation' must be \"thread\"", "an unknown isolation");
    s_worker_refuses ("isolation = \"fork\";\nplugins = ( { name = \"echo\"; } );", "or \"process\"",
                      "an unknown isolation (naming both choices)");
    s_worker_refuses ("isolation = 1;\nplugins = ( { name = \"echo\"; } );", "worker.cfg:1: 'isolation' must be",
                      "a number for isolation");
    s_worker_refuses ("plugins = ( { name = \"echo\"; } );\ndrain_timeout_ms = 86400001;",
                      "worker.cfg:2: 'drain_timeout_ms' is 86400001; it must be from 0 to 86400000",
                      "a drain_timeout_ms above a day");
    s_worker_refuses ("drain_timeout_ms = -1;\nplugins = ( { name = \"echo\"; } );",
                      "'drain_timeout_ms' is -1", "a negative drain_timeout_ms");
    s_worker_refuses ("drain_timeout_ms = \"30s\";\nplugins = ( { name = \"echo\"; } );",
                      "'drain_timeout_ms' must be a whole number", "a string for drain_timeout_ms");

    s_worker_refuses ("name = \"x\";", "'plugins' must list at least one plugin", "no plugins");
    s_worker_refuses ("plugins = ( { name = \"echo\"; colour = 1; } );", "worker.cfg:1: unknown setting 'colour'",
                      "an unknown plugin key");
    s_worker_refuses ("plugins = ( { file = \"x.so\"; } );", "a plugin needs a 'name'", "a plugin without a name");
    s_worker_refuses ("plugins = ( { name = \"echo\"; }, { name = \"echo\"; } );", "listed twice", "a plugin listed twice");
    s_worker_refuses ("slots = 0;\nplugins = ( { name = \"echo\"; } );", "worker.cfg:1: 'slots' is 0", "zero slots");
    s_worker_refuses ("priorities = [\"urgent\"];\nplugins = ( { name = \"echo\"; } );",
                      "unknown priority 'urgent'", "an unknown priority name");
    s_worker_refuses ("priorities = \"5-12\";\nplugins = ( { name = \"echo\"; } );", "must be within 0-9",
                      "a priority range out of bounds");
    s_worker_refuses ("priorities = [];\nplugins = ( { name = \"echo\"; } );", "names no priority level",
                      "an empty priority list");
    s_worker_refuses ("plugins = ( { name = \"echo\"; settings = { deep = { x = 1; }; }; } );",
                      "setting 'deep' must be a number, string or boolean", "a nested setting");
    s_worker_refuses ("plugins = ( { name = \"../evil\"; } );", "without '/'", "a plugin name with a slash");
    s_worker_refuses ("\nwhat = 1;\nplugins = ( { name = \"echo\"; } );", "worker.cfg:2: unknown setting 'what'",
                      "an unknown worker key");

    s_test_worker_brokers ();
    s_test_worker_security ();
    s_test_worker_labels ();

    ztask_cfg_t cfg;
    TAP_OK (ztask_cfg_load (&cfg, "/nonexistent/ztask.cfg") == -1, "a missing file is an error");
    TAP_CONTAINS (cfg.error, "/nonexistent/ztask.cfg: cannot read the file", "naming the file");
    ztask_cfg_free (&cfg);

    /* @include: libconfig's scanner would exit the process on a directory;
       a regular file is read, in an included file too. */
    char dir[] = "/tmp/ztask-config-test.XXXXXX";
    TAP_OK (mkdtemp (dir) != NULL, "include: a temporary directory");
    char main_cfg[128], part[128], deeper[128];
    snprintf (main_cfg, sizeof main_cfg, "%s/broker.cfg", dir);
    snprintf (part, sizeof part, "%s/part.cfg", dir);
    snprintf (deeper, sizeof deeper, "%s/deeper.cfg", dir);
    FILE *f = fopen (part, "w");
    fputs ("max_queued = 42;\n@include \"deeper.cfg\"\n", f);
    fclose (f);
    f = fopen (deeper, "w");
    fputs ("max_attempts = 9;\n", f);
    fclose (f);
    f = fopen (main_cfg, "w");
    fputs ("# the rest is in two files\n@include \"part.cfg\"\n", f);
    fclose (f);
    broker_config_init (&b);
    TAP_OK (ztask_cfg_load (&cfg, main_cfg) == 0 && broker_config_parse (&b, &cfg) == 0 && b.max_queued == 42
                && b.max_attempts == 9,
            "include: settings from an included file, and from one it includes");
    broker_config_free (&b);
    ztask_cfg_free (&cfg);
    f = fopen (main_cfg, "w");
    fputs ("max_queued = 1;\n  @include \".\"\n", f);
    fclose (f);
    TAP_OK (ztask_cfg_load (&cfg, main_cfg) == -1, "include: a directory is refused (the process goes on)");
    TAP_CONTAINS (cfg.error, "broker.cfg:2: @include \".\": not a regular file", "  naming the line");
    ztask_cfg_free (&cfg);
    f = fopen (deeper, "w");
    fputs ("@include \"/\"\n", f);
    fclose (f);
    f = fopen (main_cfg, "w");
    fputs ("@include \"part.cfg\"\n", f);
    fclose (f);
    TAP_OK (ztask_cfg_load (&cfg, main_cfg) == -1, "include: so is one in an included file");
    TAP_CONTAINS (cfg.error, "deeper.cfg:1: @include \"/\": not a regular file", "  naming that file");
    ztask_cfg_free (&cfg);
    TAP_OK (ztask_cfg_load_string (&cfg, "@include \"/tmp\"\n", "s.cfg") == -1, "include: and in a string");
    ztask_cfg_free (&cfg);
    unlink (main_cfg);
    unlink (part);
    unlink (deeper);
    rmdir (dir);
    return tap_done ();
}
