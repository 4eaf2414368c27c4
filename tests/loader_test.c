/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  loader_test - loads the built example plugins and the refusal fixtures
    through the real loader (ztask_module) and runs tasks through the real
    host context (ztask_host).

    Plugins come from $top_builddir/plugins/.libs/NAME.so, fixtures from
    $top_builddir/tests/fixtures/.libs/NAME.so (top_builddir defaults to ".").
*/
#include "plugin/ztask_module.h"
#include "tap.h"

#include <czmq.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESULT_MAX 4096

static char s_error[1024];

/* Progress reports received through ctx->progress_fn. */
typedef struct {
    size_t calls;
    uint64_t done, total; /* of the last report */
    char text[64];        /* of the last report */
} progress_t;

static void
s_progress (void *arg, uint64_t done, uint64_t total, const char *text)
{
    progress_t *progress = (progress_t *) arg;
    progress->calls++;
    progress->done = done;
    progress->total = total;
    snprintf (progress->text, sizeof progress->text, "%s", text ? text : "");
}

static const char *
s_path (const char *dir, const char *name)
{
    static char path[1024];
    const char *top = getenv ("top_builddir");
    snprintf (path, sizeof path, "%s/%s/.libs/%s.so", top && *top ? top : ".", dir, name);
    return path;
}

/* Loads dir/.libs/file.so as plugin name, with settings as "key", "value"
   pairs ending in NULL. s_error gets the loader's message. */
static ztask_module_t *
s_load (const char *dir, const char *file, const char *name, ...)
{
    ztask_settings_t *settings = ztask_settings_new ();
    va_list args;
    va_start (args, name);
    const char *key;
    while ((key = va_arg (args, const char *))) {
        const char *value = va_arg (args, const char *);
        ztask_settings_set (settings, key, value);
    }
    va_end (args);
    s_error[0] = 0;
    return ztask_module_load (s_path (dir, file), name, &settings, false, s_error, sizeof s_error);
}

/* TAP_CONTAINS wants a pointer: an array there trips -Waddress. */
static const char *
s_str (const char *text)
{
    return text;
}

/* Passes if module loaded; prints the loader's message otherwise. */
static bool
s_loaded (ztask_module_t *module, const char *what)
{
    if (TAP_OK (module != NULL, "%s loads", what))
        return true;
    printf ("#   %s\n", s_error);
    return false;
}

/* Runs one task of payload text; ctx keeps the outcome (clear it after). */
static int
s_run (ztask_module_t *module, ztask_ctx_t *ctx, const char *payload, size_t result_max,
       progress_t *progress)
{
    ztask_ctx_init (ctx, 1, 1, payload, strlen (payload), result_max);
    if (progress) {
        memset (progress, 0, sizeof *progress);
        ctx->progress_fn = s_progress;
        ctx->progress_arg = progress;
    }
    return ztask_module_run (module, ctx);
}

/* True if ctx's result is exactly text. */
static bool
s_result_is (ztask_ctx_t *ctx, const char *text)
{
    return ctx->result && ctx->result_size == strlen (text)
           && memcmp (ctx->result, text, ctx->result_size) == 0;
}

/* Sets ctx->cancelled after a delay, from another thread. */
static void *
s_canceller (void *arg)
{
    ztask_ctx_t *ctx = (ztask_ctx_t *) arg;
    zclock_sleep (100);
    atomic_store (&ctx->cancelled, 1);
    return NULL;
}

static void
s_test_echo (void)
{
    ztask_module_t *module = s_load ("plugins", "echo", "echo", NULL);
    if (!s_loaded (module, "echo"))
        return;
    const ztask_plugin_t *plugin = ztask_module_plugin (module);
    TAP_OK (streq (plugin->name, "echo") && streq (plugin->version, "1.0.0") && plugin->description,
            "echo describes itself: %s %s", plugin->name, plugin->version);

    ztask_ctx_t ctx;
    int rc = s_run (module, &ctx, "hello, ztask", RESULT_MAX, NULL);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "hello, ztask"), "echo returns its payload");
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, "", RESULT_MAX, NULL);
    TAP_OK (rc == ZTASK_OK && ctx.result && ctx.result_size == 0, "echo returns an empty payload");
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, "12345678", 8, NULL);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "12345678"),
            "a result of exactly max_result passes");
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, "123456789", 8, NULL);
    TAP_OK (rc == ZTASK_FAILED && !ctx.result && ctx.retry == 0, "a result over max_result fails");
    TAP_CONTAINS (s_str (ctx.error), "larger than the worker's max_result (max_result is 8 bytes)",
                  "and says so");
    ztask_ctx_clear (&ctx);
    ztask_module_destroy (&module);
    TAP_OK (module == NULL, "destroy NULLs the module");
}

static void
s_test_sleep (void)
{
    ztask_module_t *module = s_load ("plugins", "sleep", "sleep", NULL);
    if (!s_loaded (module, "sleep"))
        return;
    ztask_ctx_t ctx;
    progress_t progress;
    int64_t start = zclock_usecs ();
    int rc = s_run (module, &ctx, "20", RESULT_MAX, &progress);
    int64_t took = zclock_usecs () - start;
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "slept 20 ms"), "sleep 20 returns 'slept 20 ms'");
    TAP_OK (took >= 20000, "and sleeps at least 20 ms (%lld us)", (long long) took);
    TAP_OK (progress.calls >= 1 && progress.done == 20 && progress.total == 20
                && streq (progress.text, "sleeping"),
            "and reports progress (%zu calls, last %llu/%llu '%s')", progress.calls,
            (unsigned long long) progress.done, (unsigned long long) progress.total, progress.text);
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, " \t120\n", RESULT_MAX, &progress);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "slept 120 ms"), "surrounding whitespace is fine");
    TAP_OK (progress.calls >= 3 && progress.done == 120,
            "a longer sleep reports progress in steps (%zu calls)", progress.calls);
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, "0", RESULT_MAX, NULL);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "slept 0 ms"), "sleep 0 works");
    ztask_ctx_clear (&ctx);

    const char *garbage[] = { "abc", "", " ", "-5", "+5", "2 5", "12ms", "1e3", "0x10",
                              "99999999999999999999999" };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        rc = s_run (module, &ctx, garbage[i], RESULT_MAX, NULL);
        TAP_OK (rc == ZTASK_FAILED && ctx.error_set && ctx.retry == 0 && !ctx.result,
                "sleep refuses '%s'", garbage[i]);
        TAP_CONTAINS (s_str (ctx.error), "payload must be a whole number of milliseconds",
                      "with a clear message");
        ztask_ctx_clear (&ctx);
    }

    /* Cancelled before the run: fails at once. */
    ztask_ctx_init (&ctx, 1, 1, "5000", 4, RESULT_MAX);
    atomic_store (&ctx.cancelled, 1);
    start = zclock_usecs ();
    rc = ztask_module_run (module, &ctx);
    took = zclock_usecs () - start;
    TAP_OK (rc == ZTASK_FAILED && took < 50000,
            "sleep cancelled before the run fails at once (%lld us)", (long long) took);
    TAP_CONTAINS (s_str (ctx.error), "cancelled after 0 of 5000 ms", "and says so");
    ztask_ctx_clear (&ctx);

    /* Cancelled while running, from another thread. */
    ztask_ctx_init (&ctx, 1, 1, "5000", 4, RESULT_MAX);
    start = zclock_usecs ();
    pthread_t canceller;
    if (pthread_create (&canceller, NULL, s_canceller, &ctx) != 0)
        abort ();
    rc = ztask_module_run (module, &ctx);
    took = zclock_usecs () - start;
    pthread_join (canceller, NULL);
    TAP_OK (rc == ZTASK_FAILED && took >= 100000 && took < 1000000,
            "sleep cancelled after 100 ms from another thread stops soon after (%lld us)",
            (long long) took);
    TAP_CONTAINS (s_str (ctx.error), "cancelled after", "and says so");
    ztask_ctx_clear (&ctx);
    ztask_module_destroy (&module);

    /* max_ms from the settings. */
    module = s_load ("plugins", "sleep", "sleep", "max_ms", "100", NULL);
    if (s_loaded (module, "sleep with max_ms = 100")) {
        rc = s_run (module, &ctx, "200", RESULT_MAX, NULL);
        TAP_OK (rc == ZTASK_FAILED && !ctx.result, "sleep 200 is refused over max_ms");
        TAP_CONTAINS (s_str (ctx.error), "200 ms is more than this worker's max_ms of 100 ms",
                      "and says so");
        ztask_ctx_clear (&ctx);
        rc = s_run (module, &ctx, "100", RESULT_MAX, NULL);
        TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "slept 100 ms"), "sleep 100 is accepted");
        ztask_ctx_clear (&ctx);
        ztask_module_destroy (&module);
    }
    module = s_load ("plugins", "sleep", "sleep", "max_ms", "010", NULL);
    if (s_loaded (module, "sleep with max_ms = \"010\"")) {
        rc = s_run (module, &ctx, "10", RESULT_MAX, NULL);
        TAP_OK (rc == ZTASK_OK, "a setting of \"010\" reads as ten, not octal eight");
        ztask_ctx_clear (&ctx);
        ztask_module_destroy (&module);
    }
    const char *bad_max[] = { "-1", "soon", "" };
    for (size_t i = 0; i < sizeof bad_max / sizeof bad_max[0]; i++) {
        module = s_load ("plugins", "sleep", "sleep", "max_ms", bad_max[i], NULL);
        TAP_OK (module == NULL, "sleep refuses max_ms = '%s'", bad_max[i]);
        TAP_CONTAINS (s_str (s_error), "init failed", "as an init failure");
        ztask_module_destroy (&module);
    }
}

static void
s_test_wordcount (void)
{
    ztask_module_t *module = s_load ("plugins", "wordcount", "wordcount", NULL);
    if (!s_loaded (module, "wordcount"))
        return;
    ztask_ctx_t ctx;
    /* wc -lwc says: 3 lines, 14 words, 77 bytes. */
    const char *text = "The quick brown fox\n"
                       "  jumps over\tthe lazy dog,\r\n"
                       "then sleeps for\v\f a while.\n"
                       "  ";
    progress_t progress;
    int rc = s_run (module, &ctx, text, RESULT_MAX, &progress);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "{\"lines\": 3, \"words\": 14, \"bytes\": 77}"),
            "wordcount counts like wc: %.*s", (int) ctx.result_size, (char *) ctx.result);
    TAP_OK (progress.calls == 0, "and reports no progress for a small payload");
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, "", RESULT_MAX, NULL);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "{\"lines\": 0, \"words\": 0, \"bytes\": 0}"),
            "wordcount counts an empty payload");
    ztask_ctx_clear (&ctx);

    rc = s_run (module, &ctx, "no newline", RESULT_MAX, NULL);
    TAP_OK (rc == ZTASK_OK && s_result_is (&ctx, "{\"lines\": 0, \"words\": 2, \"bytes\": 10}"),
            "wordcount counts a last line without newline as words only, like wc");
    ztask_ctx_clear (&ctx);

    /* 3 MiB of "hello world\n": progress at each MiB, words across chunk ends. */
    size_t size = 3 * 1024 * 1024;
    char *big = (char *) malloc (size + 1);
    assert (big);
    for (size_t at = 0; at < size; at += 12)
        memcpy (big + at, "hello world\n", 12);
    big[size] = 0;
    rc = s_run (module, &ctx, big, RESULT_MAX, &progress);
    TAP_OK (rc == ZTASK_OK
                && s_result_is (&ctx, "{\"lines\": 262144, \"words\": 524288, \"bytes\": 3145728}"),
            "wordcount counts 3 MiB: %.*s", (int) ctx.result_size, (char *) ctx.result);
    TAP_OK (progress.calls == 3 && progress.done == size && progress.total == size,
            "and reports progress every MiB (%zu calls)", progress.calls);
    ztask_ctx_clear (&ctx);
    free (big);
    ztask_module_destroy (&module);
}

static void
s_test_refusals (void)
{
    ztask_module_t *module = s_load ("plugins", "missing", "missing", NULL);
    TAP_OK (module == NULL, "a missing file is refused");
    TAP_CONTAINS (s_str (s_error), "No such file or directory", "naming the cause");
    TAP_CONTAINS (s_str (s_error), "set plugin_dir", "and the fix");
    ztask_module_destroy (&module);

    module = s_load ("tests/fixtures", "nosymbol", "nosymbol", NULL);
    TAP_OK (module == NULL, "a .so without the descriptor is refused");
    TAP_CONTAINS (s_str (s_error), "does not export the symbol 'ztask_plugin'",
                  "naming the symbol");
    ztask_module_destroy (&module);

    module = s_load ("tests/fixtures", "badabi", "badabi", NULL);
    TAP_OK (module == NULL, "a plugin of ABI major 99 is refused");
    TAP_CONTAINS (s_str (s_error), "built against plugin ABI 99.0", "naming its ABI");
    ztask_module_destroy (&module);

    module = s_load ("tests/fixtures", "initfail", "initfail", NULL);
    TAP_OK (module == NULL, "a plugin whose init fails is refused (and its fini is not called)");
    TAP_CONTAINS (s_str (s_error), "init failed", "saying so");
    ztask_module_destroy (&module);

    module = s_load ("tests/fixtures", "noname", "noname", NULL);
    TAP_OK (module == NULL, "a descriptor without run is refused");
    TAP_CONTAINS (s_str (s_error), "without a name, version or run function",
                  "saying what is missing");
    ztask_module_destroy (&module);

    module = s_load ("plugins", "echo", "sleep", NULL);
    TAP_OK (module == NULL, "echo.so loaded as 'sleep' is refused");
    TAP_CONTAINS (s_str (s_error), "is the plugin 'echo', not 'sleep'", "naming both");
    ztask_module_destroy (&module);
}

/* ---- plugin file ownership and permissions ---- */

/* Copies the built echo.so to path with mode. Returns 0 or -1. */
static int
s_copy_echo (const char *path, mode_t mode)
{
    FILE *in = fopen (s_path ("plugins", "echo"), "rb");
    FILE *out = fopen (path, "wb");
    int rc = in && out ? 0 : -1;
    char buffer[8192];
    size_t n;
    while (rc == 0 && (n = fread (buffer, 1, sizeof buffer, in)) > 0)
        if (fwrite (buffer, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose (in);
    if (out && fclose (out) != 0)
        rc = -1;
    return rc == 0 ? chmod (path, mode) : -1;
}

/* Loads path as "echo", insecure files allowed or not. */
static ztask_module_t *
s_load_file (const char *path, bool allow_insecure)
{
    s_error[0] = 0;
    return ztask_module_load (path, "echo", NULL, allow_insecure, s_error, sizeof s_error);
}

static void
s_test_file_safety (void)
{
    char dir[] = "/tmp/ztask-loader-test.XXXXXX";
    if (!TAP_OK (mkdtemp (dir) != NULL, "a temp directory for plugin copies"))
        return;
    char path[256], subdir[256], inner[300], fix[300];
    snprintf (path, sizeof path, "%s/echo.so", dir);

    TAP_OK (s_copy_echo (path, 0755) == 0, "echo.so copied with mode 0755");
    ztask_module_t *module = s_load_file (path, false);
    s_loaded (module, "a copy with mode 0755, owned by us,");
    ztask_module_destroy (&module);

    chmod (path, 0666);
    module = s_load_file (path, false);
    TAP_OK (module == NULL, "a plugin file anyone may write (0666) is refused");
    TAP_CONTAINS (s_str (s_error), path, "naming the file");
    TAP_CONTAINS (s_str (s_error), "writable by everyone (mode 0666)", "what is wrong, with the mode");
    snprintf (fix, sizeof fix, "chmod o-w %s", path);
    TAP_CONTAINS (s_str (s_error), fix, "the fix: %s", fix);
    TAP_CONTAINS (s_str (s_error), "allow_insecure_plugins = true", "and the override");
    ztask_module_destroy (&module);

    module = s_load_file (path, true);
    if (s_loaded (module, "with allow_insecure, the same file")) {
        ztask_ctx_t ctx;
        TAP_OK (s_run (module, &ctx, "still echo", RESULT_MAX, NULL) == ZTASK_OK
                    && s_result_is (&ctx, "still echo"),
                "and runs");
        ztask_ctx_clear (&ctx);
    }
    ztask_module_destroy (&module);

    /* Group-writable: refused when the group has other members (nogroup:
       user nobody's primary group). Root's group passes. */
    chmod (path, 0775);
    struct stat st;
    if (stat (path, &st) == 0 && st.st_gid == 0) {
        module = s_load_file (path, false);
        s_loaded (module, "a group-writable file (0775) of root's group");
        ztask_module_destroy (&module);
    }
    if (chown (path, (uid_t) -1, 65534) != 0)
        TAP_OK (1, "a group-writable plugin file is refused # SKIP cannot give the file to group 65534");
    else {
        module = s_load_file (path, false);
        TAP_OK (module == NULL, "a plugin file its group may write (0775) is refused");
        TAP_CONTAINS (s_str (s_error), "writable by the group", "saying so");
        snprintf (fix, sizeof fix, "chmod g-w %s", path);
        TAP_CONTAINS (s_str (s_error), fix, "with the fix: %s", fix);
        ztask_module_destroy (&module);
    }

    /* Owned by another user (only root can make such a file). */
    chmod (path, 0755);
    if (geteuid () != 0 || chown (path, 65534, (gid_t) -1) != 0)
        TAP_OK (1, "a plugin file owned by another user is refused # SKIP not running as root");
    else {
        module = s_load_file (path, false);
        TAP_OK (module == NULL, "a plugin file owned by another user is refused");
        TAP_CONTAINS (s_str (s_error), "is owned by", "saying by whom");
        TAP_CONTAINS (s_str (s_error), "not by root or by", "and who may own it");
        snprintf (fix, sizeof fix, "chown root %s", path);
        TAP_CONTAINS (s_str (s_error), fix, "with the fix: %s", fix);
        ztask_module_destroy (&module);
    }

    /* In a directory anyone may write to: the file can be replaced. */
    snprintf (subdir, sizeof subdir, "%s/open", dir);
    snprintf (inner, sizeof inner, "%s/echo.so", subdir);
    if (TAP_OK (mkdir (subdir, 0700) == 0 && chmod (subdir, 0777) == 0 && s_copy_echo (inner, 0755) == 0,
                "echo.so copied into a directory of mode 0777")) {
        module = s_load_file (inner, false);
        TAP_OK (module == NULL, "a plugin in a directory anyone may write to is refused");
        TAP_CONTAINS (s_str (s_error), "a directory anyone can write to (mode 0777)", "saying so");
        ztask_module_destroy (&module);
        chmod (subdir, 01777);
        module = s_load_file (inner, false);
        s_loaded (module, "with the directory's sticky bit set (as /tmp has), the same file");
        ztask_module_destroy (&module);
    }
    unlink (inner);
    rmdir (subdir);
    unlink (path);
    rmdir (dir);
}

int
main (void)
{
    zsys_set_logstream (stderr); /* keep stdout for TAP */
    s_test_echo ();
    s_test_sleep ();
    s_test_wordcount ();
    s_test_refusals ();
    s_test_file_safety ();
    return tap_done ();
}
