/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  text_test - names and the text that reaches a terminal: the UTF-8
    validator, the rule for names (ztask_names.h), libztask refusing a bad
    name before it sends anything and the keys it makes up for a submit
    with none (auto_key.c), and the CLI's sanitiser and JSON output
    (src/cli/cli_output.c). */
#include "tap.h"
#include "cli/cli_output.h"
#include "client/auto_key.h"
#include "common/ztask_names.h"
#include "common/ztask_utf8.h"
#include "ztask/client.h"

#include <stdlib.h>
#include <string.h>

/* The UTF-8 validator over a string literal (which may hold a NUL). */
#define VALID(literal) ztask_utf8_valid (literal, sizeof literal - 1)

static void
s_utf8 (void)
{
    TAP_OK (VALID ("") && VALID ("plain ascii") && VALID ("\xc3\xa9t\xc3\xa9") && VALID ("\xe2\x82\xac")
                && VALID ("\xf0\x9f\x98\x80") && VALID ("\xf4\x8f\xbf\xbf"),
            "utf8: ASCII, 2, 3 and 4 byte sequences up to U+10FFFF are valid");
    TAP_OK (!VALID ("a\0b"), "utf8: a NUL byte is not");
    TAP_OK (!VALID ("\x80") && !VALID ("a\xbf"), "utf8: a stray continuation byte is not");
    TAP_OK (!VALID ("\xc3") && !VALID ("\xe2\x82") && !VALID ("\xf0\x9f\x98"), "utf8: a cut sequence is not");
    TAP_OK (!VALID ("\xc0\xaf") && !VALID ("\xe0\x80\xaf") && !VALID ("\xf0\x80\x80\xaf"),
            "utf8: overlong forms are not");
    TAP_OK (!VALID ("\xed\xa0\x80") && !VALID ("\xf4\x90\x80\x80") && !VALID ("\xff") && !VALID ("\xf8\x88\x80\x80\x80"),
            "utf8: surrogates, past U+10FFFF, 0xFF and 5-byte forms are not");
    uint32_t cp = 0;
    TAP_OK (ztask_utf8_next ("\xc2\x9b", 2, &cp) == 2 && cp == 0x9B, "utf8: C2 9B decodes to U+009B");
    TAP_OK (ztask_utf8_next ("\xc2\x9b", 1, &cp) == 0, "utf8: not when the second byte is not there");
    TAP_OK (ztask_utf8_is_control (0) && ztask_utf8_is_control (0x1B) && ztask_utf8_is_control (0x1F)
                && ztask_utf8_is_control (0x7F) && ztask_utf8_is_control (0x80) && ztask_utf8_is_control (0x9F),
            "utf8: C0, DEL and C1 are controls");
    TAP_OK (!ztask_utf8_is_control (' ') && !ztask_utf8_is_control ('~') && !ztask_utf8_is_control (0xA0)
                && !ztask_utf8_is_control (0xE9),
            "utf8: space, ~, U+00A0 and letters are not");
}

static void
s_names (void)
{
    char why[160];
    TAP_OK (ztask_name_valid ("echo", why, sizeof why) && ztask_name_valid ("a b/c:d.e-f_g@h", NULL, 0)
                && ztask_name_valid ("r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", NULL, 0),
            "names: letters of any script, spaces and punctuation are fine");
    char longest[256], too_long[257];
    memset (longest, 'x', 255);
    longest[255] = 0;
    memset (too_long, 'x', 256);
    too_long[256] = 0;
    TAP_OK (ztask_name_valid (longest, NULL, 0), "names: 255 bytes are fine");
    TAP_OK (!ztask_name_valid (too_long, why, sizeof why), "names: 256 bytes are not");
    TAP_CONTAINS (why, "longer than 255 bytes", "  saying so");
    TAP_OK (!ztask_name_valid ("", why, sizeof why) && !ztask_name_valid (NULL, NULL, 0), "names: empty is not");
    TAP_CONTAINS (why, "empty", "  saying so");
    static const struct {
        const char *name;
        const char *why;
    } bad[] = {
        { "red\x1b[31mtype", "U+001B (byte 4)" }, { "line\nbreak", "U+000A (byte 5)" },
        { "tab\there", "U+0009 (byte 4)" },        { "bell\a", "U+0007 (byte 5)" },
        { "del\x7f", "U+007F (byte 4)" },          { "c1\xc2\x80", "U+0080 (byte 3)" },
        { "csi\xc2\x9b" "31m", "U+009B (byte 4)" }, { "c1end\xc2\x9f", "U+009F (byte 6)" },
        { "\r", "U+000D (byte 1)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool valid = ztask_name_valid (bad[i].name, why, sizeof why);
        TAP_OK (!valid && strstr (why, bad[i].why) && strstr (why, "control character"),
                "names: control character %s refused, named by code and byte", bad[i].why);
        if (valid || !strstr (why, bad[i].why))
            printf ("#   why: %s\n", valid ? "(valid)" : why);
    }
    TAP_OK (ztask_name_valid ("nbsp\xc2\xa0ok", NULL, 0), "names: U+00A0, just past C1, is fine");
    TAP_OK (!ztask_name_valid ("bad\xff", why, sizeof why), "names: bytes that are not UTF-8 are refused");
    TAP_CONTAINS (why, "not valid UTF-8 (byte 4)", "  saying so and where");
    TAP_OK (!ztask_name_valid ("x\x1b", why, 8) && strlen (why) == 7, "names: the reason fits a small buffer");
}

/* libztask refuses a bad name before it sends: ZTASK_CLIENT_E_USAGE at
   once. A good name goes out (to a port with no broker): UNREACHABLE. */
static void
s_client (void)
{
    ztask_client_t *client = ztask_client_new ("tcp://127.0.0.1:1");
    TAP_OK (client != NULL, "client: made (it connects lazily)");
    ztask_client_set_timeout (client, 100);
    uint64_t id = 0;
    ztask_task_t *task = NULL;
    int rc = ztask_client_submit (client, "red\x1b[31mtype\nline2", "x", 1, NULL, &id);
    TAP_OK (rc == -1 && ztask_client_error_code (client) == ZTASK_CLIENT_E_USAGE,
            "client: submit refuses a type with ESC and newline: ZTASK_CLIENT_E_USAGE");
    TAP_CONTAINS (ztask_client_error (client), "invalid task type: it holds the control character U+001B",
                  "  saying why");
    TAP_OK (!strchr (ztask_client_error (client), '\x1b'), "  without quoting the name");
    rc = ztask_client_submit_wait (client, "c1\xc2\x9b", "x", 1, NULL, 100, NULL, NULL, &id, &task);
    TAP_OK (rc == -1 && ztask_client_error_code (client) == ZTASK_CLIENT_E_USAGE && id == 0 && task == NULL,
            "client: submit_wait refuses a type with a C1 control");
    ztask_submit_opts_t opts = ZTASK_SUBMIT_OPTS_INIT;
    opts.key = "key\x7f";
    rc = ztask_client_submit (client, "echo", "x", 1, &opts, &id);
    TAP_OK (rc == -1 && ztask_client_error_code (client) == ZTASK_CLIENT_E_USAGE,
            "client: submit refuses a key with DEL");
    TAP_CONTAINS (ztask_client_error (client), "invalid idempotency key: it holds the control character U+007F",
                  "  saying why");
    opts.key = "r\xc3\xa9sum\xc3\xa9 2024";
    rc = ztask_client_submit (client, "t\xc3\xa2" "che", "x", 1, &opts, &id);
    TAP_OK (rc == -1 && ztask_client_error_code (client) == ZTASK_CLIENT_E_UNREACHABLE,
            "client: a good type and key go out (no broker there: UNREACHABLE, not USAGE)");
    ztask_client_destroy (&client);
    TAP_OK (strcmp (ztask_broker_endpoint ("tcp://h:1"), "tcp://h:1") == 0,
            "client: ztask_broker_endpoint keeps an endpoint given");
    setenv ("ZTASK_BROKER", "tcp://from-env:7", 1);
    TAP_OK (strcmp (ztask_broker_endpoint (NULL), "tcp://from-env:7") == 0, "  else takes $ZTASK_BROKER");
    setenv ("ZTASK_BROKER", "", 1);
    TAP_OK (strcmp (ztask_broker_endpoint (NULL), ZTASK_DEFAULT_ENDPOINT) == 0, "  else (unset or empty) the default");
}

/* The keys libztask makes up for a submit without one (with a list of
   brokers): valid names, and new each time. */
static void
s_auto_keys (void)
{
    char one[AUTO_KEY_SIZE], two[AUTO_KEY_SIZE];
    TAP_OK (auto_key_make (one) == 0 && auto_key_make (two) == 0, "auto_key: made");
    TAP_OK (strlen (one) == 37 && strncmp (one, "auto-", 5) == 0 && strspn (one + 5, "0123456789abcdef") == 32,
            "auto_key: auto- and 32 hexadecimal digits (%s)", one);
    TAP_OK (ztask_name_valid (one, NULL, 0), "auto_key: a valid name (ztask_names.h)");
    TAP_OK (strcmp (one, two) != 0, "auto_key: two keys differ");
}

/* The CLI's sanitiser over a literal. */
static const char *
s_clean (const char *data, size_t length, bool lines, size_t size)
{
    static char buffer[256];
    return cli_output_clean (data, length, lines, buffer, size);
}
#define CLEAN(literal, lines) s_clean (literal, sizeof literal - 1, lines, 256)

static void
s_sanitiser (void)
{
    TAP_OK (strcmp (CLEAN ("plain r\xc3\xa9sum\xc3\xa9", false), "plain r\xc3\xa9sum\xc3\xa9") == 0,
            "clean: text without controls stays as it is");
    TAP_OK (strcmp (CLEAN ("e\x1b[31mR n\nL t\tT d\x7f c\xc2\x9b" "1 b\a z\x00y", false), "e?[31mR n?L t?T d? c?1 b? z?y")
                == 0,
            "clean: ESC, newline, tab, DEL, C1, BEL and NUL each become one '?'");
    TAP_OK (strcmp (CLEAN ("n\nL t\tT e\x1b", true), "n\nL t\tT e?") == 0, "clean: with lines, newline and tab stay");
    TAP_OK (strcmp (CLEAN ("a\xff\xfe" "b\xc3" "c\xe2\x82", false), "a??b?c??") == 0,
            "clean: each byte that is not UTF-8 becomes one '?'");
    TAP_OK (strcmp (s_clean ("ab\xc3\xa9", 4, false, 4), "ab") == 0, "clean: never cuts a character in two");
    TAP_OK (strcmp (s_clean ("abc\x1b", 4, false, 4), "abc") == 0, "clean: stops where the buffer ends");
    char buffer[32];
    TAP_OK (strcmp (cli_output_text (NULL, buffer, sizeof buffer), "") == 0, "clean: a NULL string is \"\"");
}

/* cli_output_json to a file, read back. */
static char *
s_json (json_t *json)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    int rc = cli_output_json (out, json);
    fclose (out);
    json_decref (json);
    if (rc != 0) {
        free (text);
        return NULL;
    }
    return text;
}

static void
s_json_output (void)
{
    char *text = s_json (json_pack ("{s:s}", "t", "e\x1b[31m n\n d\x7f c\xc2\x9b" "1 \xc2\xa0 \xc3\xa9"));
    TAP_OK (text != NULL, "json: printed");
    TAP_CONTAINS (text, "\"e\\u001B[31m n\\n d\\u007F c\\u009B1 \xc2\xa0 \xc3\xa9\"",
                  "json: C0, DEL and C1 escaped, other text as it is");
    bool control = false;
    for (const unsigned char *s = (const unsigned char *) (text ? text : ""); *s; s++)
        control |= (*s < 0x20 && *s != '\n') || *s == 0x7F || (*s == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F);
    TAP_OK (!control, "json: no control byte in the output but its own newlines");
    json_t *back = text ? json_loads (text, 0, NULL) : NULL;
    TAP_OK (back && strcmp (json_string_value (json_object_get (back, "t")),
                            "e\x1b[31m n\n d\x7f c\xc2\x9b" "1 \xc2\xa0 \xc3\xa9")
                        == 0,
            "json: exact: it reads back as the same string");
    json_decref (back);
    free (text);
}

/* True if text (maybe NULL) starts with prefix. */
static bool
s_starts (const char *text, const char *prefix)
{
    return text && strncmp (text, prefix, strlen (prefix)) == 0;
}

/* cli_output_stats over a JSON text; the output, or NULL. */
static char *
s_stats (const char *json)
{
    json_t *stats = json_loads (json, 0, NULL);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    int rc = stats ? cli_output_stats (out, stats) : -1;
    fclose (out);
    json_decref (stats);
    if (rc != 0) {
        free (text);
        return NULL;
    }
    return text;
}

static void
s_stats_output (void)
{
    char *text = s_stats ("{\"queued\": 1, \"types\": []}");
    TAP_OK (s_starts (text, "tasks:    1 queued") && !strstr (text, "broker"),
            "stats: without a \"broker\" object, no broker line");
    free (text);
    text = s_stats ("{\"broker\": {\"name\": \"b1\", \"role\": \"leader\", \"term\": 7,"
                    " \"endpoint\": \"tcp://10.0.0.1:5570\"}, \"types\": []}");
    TAP_OK (s_starts (text, "broker:   b1 (leader, term 7) at tcp://10.0.0.1:5570\ntasks:"),
            "stats: a leader's broker line comes first: name, role, term, endpoint");
    free (text);
    text = s_stats ("{\"broker\": {\"name\": \"solo\", \"role\": \"single\"}, \"types\": []}");
    TAP_OK (s_starts (text, "broker:   solo (single)\n"),
            "stats: a single broker's line shows what it has (no term, no endpoint)");
    free (text);
    text = s_stats ("{\"broker\": {\"name\": \"b\\u001b[2J\", \"role\": \"leader\"}, \"types\": []}");
    TAP_OK (s_starts (text, "broker:   b?[2J (leader)\n"),
            "stats: the broker line shows a control character as '?'");
    free (text);
}

int
main (void)
{
    s_utf8 ();
    s_names ();
    s_client ();
    s_auto_keys ();
    s_sanitiser ();
    s_json_output ();
    s_stats_output ();
    return tap_done ();
}
