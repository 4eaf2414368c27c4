#!/bin/bash
# tests/batches.sh on the PostgreSQL store, in a server of this test's own.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/pg.sh"
pg_start
ZT_STORE=$PG_CONNINFO
. "${top_srcdir:-.}/tests/batches.sh"
