/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  endpoints_test - the brokers a client or a worker may talk to
    (src/common/ztask_endpoints.c): which endpoints pass, splitting a list
    and the errors that name the bad item, which endpoints are the same,
    where a NOT_LEADER answer or a silence sends you; and the same list
    through libztask's public API: ztask_client_new and its error,
    ztask_client_set_curve with one broker certificate per broker. No
    broker runs here (tests/client_failover.sh, tests/client_standby.sh and
    tests/worker_failover.sh have the real ones; tests/config_test.c the
    worker's `broker` setting). */
#include "tap.h"
#include "common/ztask_endpoints.h"
#include "ztask/client.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

/* ---- one endpoint ---- */

static bool
s_accepts (const char *endpoint)
{
    char error[512] = "";
    return ztask_endpoint_check (endpoint, error, sizeof error) == 0 && error[0] == 0;
}

/* Refused, with expect in the reason. */
static void
s_refuses (const char *endpoint, const char *expect)
{
    char error[512] = "", shown[64];
    snprintf (shown, sizeof shown, "%s", endpoint);
    for (char *s = shown; *s; s++)
        *s = (unsigned char) *s < 0x20 ? '?' : *s; /* for the TAP output */
    TAP_OK (ztask_endpoint_check (endpoint, error, sizeof error) == -1, "refuses '%s'", shown);
    TAP_CONTAINS (error, expect, "  because it says so");
}

static void
s_check (void)
{
    TAP_OK (s_accepts ("tcp://10.0.0.1:5570") && s_accepts ("tcp://broker-a.example:1")
                && s_accepts ("tcp://[::1]:65535") && s_accepts ("tcp://Broker-A:5570")
                && s_accepts ("ipc:///run/ztask.sock") && s_accepts ("inproc://broker")
                && s_accepts ("ws://10.0.0.1:8080/ztask") && s_accepts ("wss://b:443"),
            "accepts tcp (name, IPv4, IPv6, any case of host), ipc, inproc, ws, wss");
    s_refuses ("", "the broker endpoint is empty");
    char long_one[300] = "tcp://";
    memset (long_one + 6, 'a', 260);
    strcpy (long_one + 266, ":1");
    s_refuses (long_one, "the broker endpoint is longer than 255 bytes (268)");
    s_refuses ("localhost:5570", "invalid broker endpoint 'localhost:5570': not a ZeroMQ endpoint");
    s_refuses ("nonsense", "TRANSPORT://ADDRESS with a transport of tcp, ipc, inproc");
    s_refuses ("tcp://", "not a ZeroMQ endpoint");
    s_refuses ("pgm://eth0;239.0.0.1:5570", "not a ZeroMQ endpoint to connect to");
    s_refuses ("udp://10.0.0.1:5570", "not a ZeroMQ endpoint to connect to");
    s_refuses ("TCP://A:5570", "libzmq takes the transport in lower case: 'tcp://A:5570'");
    s_refuses ("IPC:///run/a", "in lower case: 'ipc:///run/a'");
    s_refuses ("tcp://10.0.0.1", "needs a host and a port from 1 to 65535 (tcp://HOST:PORT)");
    s_refuses ("tcp://:5570", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:*", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:0", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:65536", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:655350", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:x", "needs a host and a port");
    s_refuses ("tcp://host-a:1/", "needs a host and a port");
    s_refuses ("ws://10.0.0.1/ztask", "needs a host and a port from 1 to 65535 (ws://HOST:PORT/PATH)");
    s_refuses ("tcp://a:1,tcp://b:2", "holds a space or a comma: one endpoint per entry");
    s_refuses ("tcp://a:1 ", "holds a space or a comma");
    s_refuses ("tcp://a\001b:1", "the broker endpoint holds a control character (byte 8)");
}

static void
s_same (void)
{
    char buffer[256];
    ztask_endpoint_normalise (" TCP://Broker-A.Example:5570/ ", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "tcp://broker-a.example:5570") == 0,
            "normalise: blanks and a trailing / dropped, transport and host in lower case");
    ztask_endpoint_normalise ("tcp://[FE80::1]:5570", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "tcp://[fe80::1]:5570") == 0, "normalise: an IPv6 host in lower case");
    ztask_endpoint_normalise ("IPC:///Run/ZTask", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "ipc:///Run/ZTask") == 0, "normalise: an ipc path keeps its case");
    ztask_endpoint_normalise ("WS://Host:80/Path", buffer, sizeof buffer);
    TAP_OK (strcmp (buffer, "ws://host:80/Path") == 0, "normalise: a ws host in lower case, not its path");
    ztask_endpoint_normalise ("tcp://a:5570", buffer, 6);
    TAP_OK (strcmp (buffer, "tcp:/") == 0, "normalise: cut to fit the buffer");

    TAP_OK (ztask_endpoint_same ("tcp://10.0.0.1:5570", "tcp://10.0.0.1:5570"), "same: an endpoint is itself");
    TAP_OK (ztask_endpoint_same ("TCP://Broker-A:5570", "tcp://broker-a:5570"),
            "same: case does not matter in the transport and a TCP host");
    TAP_OK (!ztask_endpoint_same ("tcp://10.0.0.1:5570", "tcp://10.0.0.1:5571"),
            "same: another port is another endpoint");
    TAP_OK (!ztask_endpoint_same ("tcp://10.0.0.1:5570", "tcp://10.0.0.11:5570"), "same: another host too");
    TAP_OK (!ztask_endpoint_same ("tcp://10.0.0.1:5570", "") && !ztask_endpoint_same ("", ""),
            "same: nothing is no endpoint");
    TAP_OK (ztask_endpoint_same ("IPC:///run/a", "ipc:///run/a")
                && !ztask_endpoint_same ("ipc:///run/a", "ipc:///run/A"),
            "same: an ipc path keeps its case");
    TAP_OK (!ztask_endpoint_same ("tcp://a:1", "ipc://a:1"), "same: another transport is another endpoint");
    char long_one[600];
    memset (long_one, 'a', sizeof long_one);
    memcpy (long_one, "tcp://", 6);
    long_one[sizeof long_one - 1] = 0;
    char cut[300];
    snprintf (cut, sizeof cut, "%.255s", long_one);
    TAP_OK (!ztask_endpoint_same (long_one, cut), "same: no text longer than an endpoint is one");
}

/* ---- a list ---- */

/* ztask_endpoints_parse over text: its size, or -1 with the error in error. */
static int
s_size (const char *text, char *error, size_t size)
{
    ztask_endpoints_t *list = ztask_endpoints_parse (text, error, size);
    int count = list ? (int) ztask_endpoints_size (list) : -1;
    ztask_endpoints_destroy (&list);
    return count;
}

/* ztask_endpoints_parse refuses text, with expect in the reason. */
static void
s_list_refused (const char *text, const char *expect, const char *description)
{
    char error[512] = "";
    TAP_OK (s_size (text, error, sizeof error) == -1, "%s", description);
    TAP_CONTAINS (error, expect, "  naming it");
}

static void
s_parsing (void)
{
    char error[512] = "";
    ztask_endpoints_t *list = ztask_endpoints_parse (" tcp://a:1 ", error, sizeof error);
    TAP_OK (list && ztask_endpoints_size (list) == 1 && strcmp (ztask_endpoints_get (list, 0), "tcp://a:1") == 0,
            "one endpoint (no comma): blanks around it dropped");
    ztask_endpoints_destroy (&list);
    TAP_OK (list == NULL, "  destroy NULLs the pointer");
    ztask_endpoints_destroy (&list);
    list = ztask_endpoints_parse ("tcp://a:1, tcp://b:2 ,\ttcp://c:3", error, sizeof error);
    TAP_OK (list && ztask_endpoints_size (list) == 3 && strcmp (ztask_endpoints_get (list, 1), "tcp://b:2") == 0
                && strcmp (ztask_endpoints_get (list, 2), "tcp://c:3") == 0,
            "a list: three items, blanks around each dropped");
    TAP_OK (list && strcmp (ztask_endpoints_text (list), "tcp://a:1,tcp://b:2,tcp://c:3") == 0,
            "  its text for messages: the items joined by commas");
    ztask_endpoints_destroy (&list);

    s_list_refused ("tcp://a:1,,tcp://b:2", "broker endpoint 2 of the list is empty", "an empty item is refused");
    s_list_refused ("tcp://a:1,", "broker endpoint 2 of the list is empty", "a trailing comma is refused");
    s_list_refused (" ,tcp://a:1", "broker endpoint 1 of the list is empty", "a blank first item is refused");
    s_list_refused (" ", "the broker endpoint is empty", "a blank text is refused");

    char text[17 * 20] = "";
    for (int i = 0; i < 16; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "%stcp://h:%d", i ? "," : "", 1000 + i);
    TAP_OK (s_size (text, error, sizeof error) == 16, "16 endpoints are fine");
    strcat (text, ",tcp://h:2000");
    s_list_refused (text, "a list holds at most 16 broker endpoints (this one 17)", "17 are not");

    char long_item[300];
    memset (long_item, 'x', sizeof long_item);
    memcpy (long_item, "tcp://a:1,", 10);
    long_item[sizeof long_item - 1] = 0;
    s_list_refused (long_item, "broker endpoint 2 of the list is longer than 255 bytes (289)",
                    "an item of 289 bytes is refused");
    s_list_refused ("tcp://127.0.0.1:1,nonsense", "invalid broker endpoint 2 of the list, 'nonsense': not a ZeroMQ",
                    "an item that is no endpoint is refused");
    s_list_refused ("tcp://a:1, tcp://b",
                    "invalid broker endpoint 2 of the list, 'tcp://b': it needs a host and a port",
                    "a tcp item without a port is refused");
    s_list_refused ("nonsense", "invalid broker endpoint 'nonsense': not a ZeroMQ endpoint",
                    "one endpoint is checked the same (its error names no place)");

    s_list_refused ("tcp://Host-A:1,tcp://host-a:1",
                    "broker endpoint 2 of the list, 'tcp://host-a:1', repeats endpoint 1 ('tcp://Host-A:1')",
                    "the same endpoint twice (spelt differently) is refused");
    TAP_OK (s_size ("ipc:///tmp/A,ipc:///tmp/a", error, sizeof error) == 2,
            "  but ipc paths that differ in case are two endpoints");

    /* One by one, as a worker's `broker = [...]` gives them. */
    list = ztask_endpoints_new ();
    TAP_OK (list && ztask_endpoints_size (list) == 0 && strcmp (ztask_endpoints_text (list), "") == 0,
            "add: an empty list to begin with");
    TAP_OK (ztask_endpoints_add (list, "tcp://a:1", error, sizeof error) == 0
                && ztask_endpoints_add (list, "tcp://b:2", error, sizeof error) == 0
                && strcmp (ztask_endpoints_text (list), "tcp://a:1,tcp://b:2") == 0,
            "add: two endpoints");
    TAP_OK (ztask_endpoints_add (list, "localhost", error, sizeof error) == -1 && ztask_endpoints_size (list) == 2,
            "add: no endpoint is refused, the list as it was");
    TAP_CONTAINS (error, "invalid broker endpoint 3 of the list, 'localhost': not a ZeroMQ endpoint",
                  "  naming its place");
    TAP_OK (ztask_endpoints_add (list, "tcp://A:1", error, sizeof error) == -1, "add: an endpoint twice is refused");
    TAP_CONTAINS (error, "broker endpoint 3 of the list, 'tcp://A:1', repeats endpoint 1", "  naming both");
    for (int i = 2; i < ZTASK_ENDPOINTS_MAX; i++) {
        snprintf (text, sizeof text, "tcp://h:%d", 1000 + i);
        ztask_endpoints_add (list, text, error, sizeof error);
    }
    TAP_OK (ztask_endpoints_size (list) == ZTASK_ENDPOINTS_MAX
                && ztask_endpoints_add (list, "tcp://z:1", error, sizeof error) == -1,
            "add: a 17th is refused");
    TAP_CONTAINS (error, "a list holds at most 16 broker endpoints", "  saying how many a list holds");
    ztask_endpoints_destroy (&list);
}

static void
s_moving (void)
{
    char error[256];
    ztask_endpoints_t *list = ztask_endpoints_parse ("tcp://a:1,tcp://b:2,tcp://c:3", error, sizeof error);
    TAP_OK (ztask_endpoints_find (list, "TCP://B:2/") == 1, "find: the item that is the same endpoint");
    TAP_OK (ztask_endpoints_find (list, "tcp://d:4") == -1 && ztask_endpoints_find (list, "") == -1,
            "find: -1 for one not in the list");

    TAP_OK (ztask_endpoints_index (list) == 0 && strcmp (ztask_endpoints_current (list), "tcp://a:1") == 0,
            "a list starts at the first");
    ztask_endpoints_next (list);
    ztask_endpoints_next (list);
    TAP_OK (ztask_endpoints_index (list) == 2 && strcmp (ztask_endpoints_current (list), "tcp://c:3") == 0,
            "next, next: the third");
    ztask_endpoints_next (list);
    TAP_OK (ztask_endpoints_index (list) == 0, "  and after the last, the first");

    /* NOT_LEADER naming a listed leader: there, however it is written. */
    TAP_OK (ztask_endpoints_not_leader (list, "TCP://C:3") == ZTASK_LEADER_LISTED && ztask_endpoints_index (list) == 2,
            "NOT_LEADER naming a listed endpoint (in another case): that one");
    TAP_OK (ztask_endpoints_not_leader (list, "tcp://b:2") == ZTASK_LEADER_LISTED && ztask_endpoints_index (list) == 1,
            "  back to an earlier one");
    /* Naming an unlisted one, none, or the standby itself: the next one. */
    TAP_OK (ztask_endpoints_not_leader (list, "tcp://elsewhere:9") == ZTASK_LEADER_UNLISTED
                && ztask_endpoints_index (list) == 2,
            "NOT_LEADER naming an endpoint the list lacks: the next one");
    TAP_OK (ztask_endpoints_not_leader (list, "") == ZTASK_LEADER_NONE && ztask_endpoints_index (list) == 0,
            "NOT_LEADER \"\" (no leader yet): the next one, round the list");
    TAP_OK (ztask_endpoints_not_leader (list, "tcp://a:1/") == ZTASK_LEADER_ITSELF && ztask_endpoints_index (list) == 1,
            "NOT_LEADER naming the standby itself (its lead just ended): the next one, not the same again");
    ztask_endpoints_destroy (&list);

    list = ztask_endpoints_parse ("tcp://a:1", error, sizeof error);
    TAP_OK (ztask_endpoints_not_leader (list, "tcp://z:9") == ZTASK_LEADER_UNLISTED
                && ztask_endpoints_index (list) == 0,
            "one broker: NOT_LEADER keeps it (the only one)");
    TAP_OK (ztask_endpoints_not_leader (list, "tcp://a:1") == ZTASK_LEADER_ITSELF && ztask_endpoints_index (list) == 0,
            "  also naming itself");
    ztask_endpoints_next (list);
    TAP_OK (ztask_endpoints_index (list) == 0 && strcmp (ztask_endpoints_current (list), "tcp://a:1") == 0,
            "  next is itself");
    ztask_endpoints_destroy (&list);
}

static void
s_split (void)
{
    char *items[4] = { NULL };
    char error[256];
    TAP_OK (ztask_endpoints_split ("a.key, b.key", items, 4, "broker certificate file", error, sizeof error) == 2
                && strcmp (items[0], "a.key") == 0 && strcmp (items[1], "b.key") == 0,
            "split: any list, blanks dropped (certificate files)");
    for (int i = 0; i < 4; i++) {
        free (items[i]);
        items[i] = NULL;
    }
    TAP_OK (ztask_endpoints_split ("a,b,c,d,e", items, 4, "broker certificate file", error, sizeof error) == -1,
            "split: more than max items are refused");
    TAP_CONTAINS (error, "a list holds at most 4 broker certificate files (this one 5)", "  saying so");
    TAP_OK (ztask_endpoints_split ("a,,c", items, 4, "broker certificate file", error, sizeof error) == -1,
            "split: an empty item is refused");
    TAP_CONTAINS (error, "broker certificate file 2 of the list is empty", "  naming it");
    for (int i = 0; i < 4; i++)
        free (items[i]);
}

/* ---- libztask: a list given to ztask_client_new ---- */

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
    TAP_CONTAINS (ztask_client_error (NULL), "needs a host and a port", "  saying what it lacks");
    TAP_OK (ztask_client_new ("TCP://127.0.0.1:1,tcp://127.0.0.1:2") == NULL,
            "client: a transport in upper case (libzmq refuses it): none");
    TAP_OK (ztask_client_new ("nonsense") == NULL, "client: one bad endpoint: none, as before");
    TAP_CONTAINS (ztask_client_error (NULL), "invalid broker endpoint 'nonsense': not a ZeroMQ endpoint",
                  "  the error says which and why");
    TAP_OK (ztask_client_new ("tcp://127.0.0.1") == NULL, "client: one endpoint without a port: none");
    TAP_CONTAINS (ztask_client_error (NULL), "needs a host and a port", "  saying so");

    ztask_client_t *client = ztask_client_new (" tcp://127.0.0.1:1 ");
    TAP_OK (client != NULL, "client: one endpoint with blanks around it makes a client");
    ztask_client_destroy (&client);
    client = ztask_client_new ("tcp://127.0.0.1:1, tcp://127.0.0.1:2");
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
    char dir[] = "/tmp/ztask-endpoints.XXXXXX";
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
    s_check ();
    s_same ();
    s_parsing ();
    s_moving ();
    s_split ();
    s_client_lists ();
    s_client_curve ();
    return tap_done ();
}
