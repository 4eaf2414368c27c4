/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  endpoint_list_test - a client's list of brokers (src/client/endpoint_list.c):
    splitting, the errors that name the bad item, comparing endpoints, where
    a client goes after a standby's answer; the keys libztask makes up for
    a submit with none (auto_key.c); and the same list through the public
    API: ztask_client_new and its error, ztask_client_set_curve with one
    broker certificate per broker. No broker runs here (tests/client_failover.sh
    and tests/client_standby.sh have the real ones). */
#include "tap.h"
#include "client/auto_key.h"
#include "client/endpoint_list.h"
#include "common/ztask_names.h"
#include "ztask/client.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

/* endpoint_list_new over text: its size, or -1 with the error in error. */
static int
s_size (const char *text, char *error, size_t size)
{
    endpoint_list_t *list = endpoint_list_new (text, error, size);
    int count = list ? (int) endpoint_list_size (list) : -1;
    endpoint_list_destroy (&list);
    return count;
}

static void
s_parsing (void)
{
    char error[256] = "";
    endpoint_list_t *list = endpoint_list_new (" tcp://a:1 ", error, sizeof error);
    TAP_OK (list && endpoint_list_size (list) == 1 && strcmp (endpoint_list_get (list, 0), " tcp://a:1 ") == 0,
            "one endpoint (no comma) is kept exactly as given, for libzmq to judge as before");
    endpoint_list_destroy (&list);
    TAP_OK (list == NULL, "  destroy NULLs the pointer");
    list = endpoint_list_new ("tcp://a:1, tcp://b:2 ,\ttcp://c:3", error, sizeof error);
    TAP_OK (list && endpoint_list_size (list) == 3 && strcmp (endpoint_list_get (list, 1), "tcp://b:2") == 0
                && strcmp (endpoint_list_get (list, 2), "tcp://c:3") == 0,
            "a list: three items, blanks around each dropped");
    TAP_OK (list && strcmp (endpoint_list_text (list), "tcp://a:1,tcp://b:2,tcp://c:3") == 0,
            "  its text for messages: the items joined by commas");
    endpoint_list_destroy (&list);

    TAP_OK (s_size ("tcp://a:1,,tcp://b:2", error, sizeof error) == -1, "an empty item is refused");
    TAP_CONTAINS (error, "broker endpoint 2 of the list is empty", "  naming it");
    TAP_OK (s_size ("tcp://a:1,", error, sizeof error) == -1, "a trailing comma is refused");
    TAP_CONTAINS (error, "broker endpoint 2 of the list is empty", "  naming the empty item");
    TAP_OK (s_size (" ,tcp://a:1", error, sizeof error) == -1, "a blank first item is refused");
    TAP_CONTAINS (error, "broker endpoint 1 of the list is empty", "  naming it");

    char text[17 * 20] = "";
    for (int i = 0; i < 16; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "%stcp://h:%d", i ? "," : "", 1000 + i);
    TAP_OK (s_size (text, error, sizeof error) == 16, "16 endpoints are fine");
    strcat (text, ",tcp://h:2000");
    TAP_OK (s_size (text, error, sizeof error) == -1, "17 are not");
    TAP_CONTAINS (error, "at most 16", "  saying how many a list holds");

    char long_item[300];
    memset (long_item, 'x', sizeof long_item);
    memcpy (long_item, "tcp://a:1,", 10);
    long_item[sizeof long_item - 1] = 0;
    TAP_OK (s_size (long_item, error, sizeof error) == -1, "an item of 289 bytes is refused");
    TAP_CONTAINS (error, "broker endpoint 2 of the list is longer than 255 bytes", "  naming it");

    TAP_OK (s_size ("tcp://Host-A:1,tcp://host-a:1/", error, sizeof error) == -1,
            "the same endpoint twice (spelt differently) is refused");
    TAP_CONTAINS (error, "broker endpoint 2 of the list (tcp://host-a:1/) repeats endpoint 1", "  naming both");
    TAP_OK (s_size ("ipc:///tmp/A,ipc:///tmp/a", error, sizeof error) == 2,
            "  but ipc paths that differ in case are two endpoints");
}

static void
s_comparing (void)
{
    char buffer[256];
    endpoint_list_normalise (" TCP://Broker-A.Example:5570/ ", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "tcp://broker-a.example:5570") == 0,
            "normalise: blanks and a trailing / dropped, transport and host in lower case");
    endpoint_list_normalise ("tcp://[FE80::1]:5570", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "tcp://[fe80::1]:5570") == 0, "normalise: an IPv6 host in lower case");
    endpoint_list_normalise ("IPC:///Run/ZTask", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "ipc:///Run/ZTask") == 0, "normalise: an ipc path keeps its case");
    endpoint_list_normalise ("tcp://a:5570", buffer, 6);
    TAP_OK (strcmp (buffer, "tcp:/") == 0, "normalise: cut to fit the buffer");

    char error[256];
    endpoint_list_t *list = endpoint_list_new ("tcp://a:1,tcp://b:2,tcp://c:3", error, sizeof error);
    TAP_OK (endpoint_list_find (list, "TCP://B:2/") == 1, "find: the item that is the same endpoint");
    TAP_OK (endpoint_list_find (list, "tcp://d:4") == -1, "find: -1 for one not in the list");

    TAP_OK (endpoint_list_after_standby (list, 0, "tcp://C:3") == 2,
            "after a standby: the leader it names, when the list has it");
    TAP_OK (endpoint_list_after_standby (list, 0, "tcp://elsewhere:9") == 1,
            "  the next broker when the list lacks the leader");
    TAP_OK (endpoint_list_after_standby (list, 1, "") == 2, "  the next broker when no broker leads");
    TAP_OK (endpoint_list_after_standby (list, 2, "") == 0, "  round the list");
    TAP_OK (endpoint_list_after_standby (list, 1, "tcp://b:2") == 2,
            "  the next broker when the standby names itself");
    endpoint_list_destroy (&list);
}

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

/* The public API: a list given to ztask_client_new. */
static void
s_client_lists (void)
{
    TAP_OK (ztask_client_new ("tcp://127.0.0.1:1,,tcp://127.0.0.1:2") == NULL,
            "client: a list with an empty item makes no client");
    TAP_CONTAINS (ztask_client_error (NULL), "broker endpoint 2 of the list is empty",
                  "  and ztask_client_error (NULL) names the item");
    TAP_OK (ztask_client_error_code (NULL) == ZTASK_CLIENT_E_USAGE, "  ZTASK_CLIENT_E_USAGE");
    TAP_OK (ztask_client_new ("tcp://127.0.0.1:1,nonsense") == NULL, "client: a list with a bad endpoint: none");
    TAP_CONTAINS (ztask_client_error (NULL), "invalid broker endpoint 2 of the list, 'nonsense'",
                  "  the error names the item");
    TAP_OK (ztask_client_new ("tcp://127.0.0.1:1,tcp://127.0.0.1:x") == NULL,
            "client: a list with a port that is no number: none");
    TAP_OK (ztask_client_new ("nonsense") == NULL, "client: one bad endpoint: none, as before");
    TAP_CONTAINS (ztask_client_error (NULL), "invalid broker endpoint 'nonsense'", "  the error says which");

    ztask_client_t *client = ztask_client_new ("tcp://127.0.0.1:1, tcp://127.0.0.1:2");
    TAP_OK (client != NULL, "client: a list of two makes a client");
    ztask_client_set_timeout (client, 300);
    char *json = NULL;
    TAP_OK (ztask_client_stats (client, &json) == -1
                && ztask_client_error_code (client) == ZTASK_CLIENT_E_UNREACHABLE,
            "  no broker answers within the time: ZTASK_CLIENT_E_UNREACHABLE");
    TAP_CONTAINS (ztask_client_error (client),
                  "no answer from any broker of tcp://127.0.0.1:1,tcp://127.0.0.1:2 within 300 ms",
                  "  naming the list");
    ztask_client_destroy (&client);
}

/* Writes a new certificate pair as dir/name.key and dir/name.key_secret. */
static void
s_cert (const char *dir, const char *name)
{
    zcert_t *cert = zcert_new ();
    char *file = zsys_sprintf ("%s/%s.key", dir, name);
    zcert_save_public (cert, file);
    zstr_free (&file);
    file = zsys_sprintf ("%s/%s.key_secret", dir, name);
    zcert_save_secret (cert, file);
    zstr_free (&file);
    zcert_destroy (&cert);
}

/* ztask_client_set_curve (client, DIR/me.key_secret, brokers), with each
   item of the comma-separated list brokers a file name in DIR ("" stays
   empty). */
static int
s_set_curve (ztask_client_t *client, const char *dir, const char *brokers)
{
    char files[1024] = "";
    for (const char *name = brokers; name; name = strchr (name, ',') ? strchr (name, ',') + 1 : NULL) {
        size_t length = strcspn (name, ",");
        snprintf (files + strlen (files), sizeof files - strlen (files), "%s%s%s%.*s", name == brokers ? "" : ",",
                  length ? dir : "", length ? "/" : "", (int) length, name);
    }
    char *secret = zsys_sprintf ("%s/me.key_secret", dir);
    int rc = ztask_client_set_curve (client, secret, files);
    zstr_free (&secret);
    return rc;
}

static void
s_client_curve (void)
{
    if (!zsys_has_curve ()) {
        TAP_OK (1, "client curve: skipped, this libzmq has no CURVE");
        return;
    }
    char dir[] = "/tmp/ztask-endpoint-list.XXXXXX";
    if (!mkdtemp (dir)) {
        TAP_OK (0, "client curve: a temporary directory");
        return;
    }
    s_cert (dir, "me");
    s_cert (dir, "a");
    s_cert (dir, "b");
    ztask_client_t *client = ztask_client_new ("tcp://127.0.0.1:1,tcp://127.0.0.1:2");
    TAP_OK (s_set_curve (client, dir, "a.key,b.key") == 0, "curve: one broker certificate per broker");
    TAP_OK (s_set_curve (client, dir, "a.key") == 0, "curve: or one for every broker");
    TAP_OK (s_set_curve (client, dir, "a.key,b.key,a.key") == -1
                && ztask_client_error_code (client) == ZTASK_CLIENT_E_USAGE,
            "curve: three for two brokers: ZTASK_CLIENT_E_USAGE");
    TAP_CONTAINS (ztask_client_error (client), "3 broker certificate files for 2 brokers", "  saying so");
    TAP_OK (s_set_curve (client, dir, "a.key,") == -1, "curve: an empty file name in the list is refused");
    TAP_CONTAINS (ztask_client_error (client), "broker certificate file 2 of the list is empty", "  naming it");
    TAP_OK (s_set_curve (client, dir, "a.key,missing.key") == -1, "curve: a missing file");
    TAP_CONTAINS (ztask_client_error (client), "broker certificate 2 (for tcp://127.0.0.1:2)",
                  "  the error names the file's place and broker");
    ztask_client_destroy (&client);

    client = ztask_client_new ("tcp://127.0.0.1:1");
    TAP_OK (s_set_curve (client, dir, "a.key,b.key") == -1, "curve: one broker takes one file name, as before");
    TAP_CONTAINS (ztask_client_error (client), "broker certificate: ", "  (a name with a comma is one file)");
    ztask_client_destroy (&client);
    char *command = zsys_sprintf ("rm -rf '%s'", dir);
    TAP_OK (system (command) == 0, "client curve: cleaned up");
    zstr_free (&command);
}

int
main (void)
{
    s_parsing ();
    s_comparing ();
    s_auto_keys ();
    s_client_lists ();
    s_client_curve ();
    return tap_done ();
}
