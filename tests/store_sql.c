/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  store_sql - runs SQL on a broker's store file, for tests that need a
    store as an older (or another) broker could have left it: rows no
    client of this version could make (tests/sanitize.sh).

        store_sql FILE SQL

    Rows a statement returns (a SELECT) are printed one a line, their
    values separated by '|', NULL as "NULL" (tests/client_failover.sh reads
    the idempotency keys). Exit status: 0 done, 1 the SQL failed (the reason on stderr), 2 usage. */
#include <sqlite3.h>
#include <stdio.h>

/* Prints one row. */
static int
s_row (void *arg, int columns, char **values, char **names)
{
    (void) arg;
    (void) names;
    for (int i = 0; i < columns; i++)
        printf ("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
    putchar ('\n');
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: store_sql FILE SQL\n");
        return 2;
    }
    sqlite3 *db = NULL;
    char *error = NULL;
    int rc = sqlite3_open_v2 (argv[1], &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, argv[2], s_row, NULL, &error);
    if (rc != SQLITE_OK)
        fprintf (stderr, "store_sql: %s: %s\n", argv[1], error ? error : sqlite3_errmsg (db));
    sqlite3_free (error);
    sqlite3_close (db);
    return rc == SQLITE_OK ? 0 : 1;
}
