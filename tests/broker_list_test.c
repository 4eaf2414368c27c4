/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  broker_list_test - the worker's brokers: which endpoints a worker
    accepts, which count as the same, and where it goes after an ERROR
    NOT_LEADER or a silence. */
#include "tap.h"
#include "worker/broker_list.h"

static bool
s_accepts (const char *endpoint)
{
    char error[512] = "";
    return broker_endpoint_check (endpoint, error, sizeof error) == 0 && error[0] == 0;
}

/* Refused, with expect in the reason. */
static void
s_refuses (const char *endpoint, const char *expect)
{
    char error[512] = "";
    TAP_OK (broker_endpoint_check (endpoint, error, sizeof error) == -1, "refuses '%s'", endpoint);
    TAP_CONTAINS (error, expect, "  because it says so");
}

static void
s_test_check (void)
{
    TAP_OK (s_accepts ("tcp://10.0.0.1:5570") && s_accepts ("tcp://broker-a.example:1")
                && s_accepts ("tcp://[::1]:65535") && s_accepts ("ipc:///run/ztask.sock")
                && s_accepts ("inproc://broker") && s_accepts ("TCP://A:5570"),
            "accepts tcp (name, IPv4, IPv6), ipc, inproc, any case of transport");
    s_refuses ("", "1 to 255 bytes");
    char long_one[300] = "tcp://";
    memset (long_one + 6, 'a', 260);
    strcpy (long_one + 266, ":1");
    s_refuses (long_one, "1 to 255 bytes");
    s_refuses ("localhost:5570", "is not a ZeroMQ endpoint");
    s_refuses ("tcp://", "is not a ZeroMQ endpoint");
    s_refuses ("pgm://eth0;239.0.0.1:5570", "a worker can connect to");
    s_refuses ("tcp://10.0.0.1", "needs a host and a port");
    s_refuses ("tcp://:5570", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:*", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:0", "needs a host and a port");
    s_refuses ("tcp://10.0.0.1:655350", "needs a host and a port");
    s_refuses ("tcp://a:1,tcp://b:2", "a space or a comma");
    s_refuses ("tcp://a:1 ", "a space or a comma");
}

static void
s_test_same (void)
{
    TAP_OK (broker_endpoint_same ("tcp://10.0.0.1:5570", "tcp://10.0.0.1:5570"), "an endpoint is itself");
    TAP_OK (broker_endpoint_same ("TCP://Broker-A:5570", "tcp://broker-a:5570"),
            "case does not matter in the transport and a TCP host");
    TAP_OK (!broker_endpoint_same ("tcp://10.0.0.1:5570", "tcp://10.0.0.1:5571"), "another port is another endpoint");
    TAP_OK (!broker_endpoint_same ("tcp://10.0.0.1:5570", "tcp://10.0.0.11:5570"), "another host too");
    TAP_OK (!broker_endpoint_same ("tcp://10.0.0.1:5570", ""), "nothing is no endpoint");
    TAP_OK (broker_endpoint_same ("IPC:///run/a", "ipc:///run/a") && !broker_endpoint_same ("ipc:///run/a", "ipc:///run/A"),
            "an ipc path keeps its case");
    TAP_OK (!broker_endpoint_same ("tcp://a:1", "ipc://a:1"), "another transport is another endpoint");
}

static void
s_test_list (void)
{
    char *endpoints[] = { "tcp://a:1", "tcp://b:2", "tcp://c:3" };
    broker_list_t *list = broker_list_new (endpoints, 3);
    TAP_OK (list && broker_list_size (list) == 3, "a list of three");
    TAP_OK (broker_list_index (list) == 0 && !strcmp (broker_list_current (list), "tcp://a:1"), "  starts at the first");
    broker_list_next (list);
    broker_list_next (list);
    TAP_OK (broker_list_index (list) == 2, "next, next: the third");
    broker_list_next (list);
    TAP_OK (broker_list_index (list) == 0, "  and after the last, the first");

    /* NOT_LEADER naming a listed leader: there, however it is written. */
    TAP_OK (broker_list_not_leader (list, "TCP://C:3") == BROKER_LEADER_LISTED && broker_list_index (list) == 2,
            "NOT_LEADER naming a listed endpoint (in another case): that one");
    TAP_OK (!broker_list_lap_refused (list), "  one answer is no lap");
    TAP_OK (broker_list_not_leader (list, "tcp://b:2") == BROKER_LEADER_LISTED && broker_list_index (list) == 1,
            "  back to an earlier one");
    /* NOT_LEADER naming an unlisted one, or none: the next in the list. */
    TAP_OK (broker_list_not_leader (list, "tcp://d:4") == BROKER_LEADER_UNLISTED && broker_list_index (list) == 2,
            "NOT_LEADER naming an endpoint not in the list: the next one");
    TAP_OK (broker_list_lap_refused (list), "  three NOT_LEADERs in a row for three brokers: a lap refused");
    TAP_OK (broker_list_not_leader (list, "") == BROKER_LEADER_NONE && broker_list_index (list) == 0,
            "NOT_LEADER \"\" (no leader yet): the next one, the first after the last");
    TAP_OK (!broker_list_lap_refused (list), "  the next lap has only begun");
    broker_list_not_leader (list, "");
    broker_list_not_leader (list, "");
    TAP_OK (broker_list_lap_refused (list) && broker_list_index (list) == 2, "  and ends three answers later");

    /* A silence or a registration breaks the run. */
    broker_list_next (list);
    TAP_OK (broker_list_index (list) == 0, "a silence: the next one");
    broker_list_not_leader (list, "");
    broker_list_not_leader (list, "");
    TAP_OK (!broker_list_lap_refused (list), "  and the answers start again from zero");
    broker_list_not_leader (list, "");
    TAP_OK (broker_list_lap_refused (list), "  a lap of them");
    broker_list_registered (list);
    broker_list_not_leader (list, "");
    broker_list_not_leader (list, "");
    TAP_OK (!broker_list_lap_refused (list), "a registration starts them from zero too");
    broker_list_destroy (&list);
    TAP_OK (list == NULL, "destroy clears the pointer");
    broker_list_destroy (&list);

    char *one[] = { "tcp://a:1" };
    list = broker_list_new (one, 1);
    TAP_OK (broker_list_not_leader (list, "tcp://z:9") == BROKER_LEADER_UNLISTED && broker_list_index (list) == 0,
            "one broker: NOT_LEADER keeps it (the only one)");
    TAP_OK (broker_list_lap_refused (list), "  and every NOT_LEADER is a lap: the worker pauses each time");
    broker_list_next (list);
    TAP_OK (broker_list_index (list) == 0 && !strcmp (broker_list_current (list), "tcp://a:1"), "  next is itself");
    broker_list_destroy (&list);
}

int
main (void)
{
    s_test_check ();
    s_test_same ();
    s_test_list ();
    return tap_done ();
}
