# scripts/pg_server.sh - a PostgreSQL server of one's own in a temporary
# directory, on a free loopback port: for the tests (tests/pg.sh) and the
# benchmarks (scripts/bench.sh). Sourced; sets no shell options.
#
#   pg_have                      the server's binaries are installed
#   pg_server_start DIR [OPTS]   initdb in DIR/data (user ztask, trust,
#                                UTF8), start it with server options OPTS
#                                (e.g. "-c fsync=off") on a free port, and
#                                create database ztask_test. Sets PG_PORT,
#                                PG_CONNINFO. 1 on failure, with
#                                PG_SERVER_FAILED = initdb, start or createdb
#                                (initdb's and the server's logs are in DIR)
#   pg_server_up DIR             start it again (same port, same options)
#   pg_server_down DIR           stop it (fast), its data kept
#   pg_server_stop DIR           stop every DIR/data* server (immediate)
#   pg_as PROGRAM ARGS...        run a PostgreSQL program as the server's user
#
# initdb refuses to run as root: then the server runs as user postgres
# (Debian's package creates it), and DIR is made its own.

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1) || pg_bin=""
PG_SERVER_OPTS=""

pg_have () { [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; }

pg_as () {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_server_up () {
    pg_as "$pg_bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $1 $PG_SERVER_OPTS" start >/dev/null 2>&1
}

pg_server_down () {
    pg_as "$pg_bin/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1
}

pg_server_stop () {
    local data
    for data in "$1"/data*; do
        [ -f "$data/postmaster.pid" ] && pg_as "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
    done
    return 0
}

pg_server_start () {
    local dir=$1 tries=0
    PG_SERVER_OPTS=${2:-}
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    PG_SERVER_FAILED=initdb
    pg_as "$pg_bin/initdb" -D "$dir/data" -U ztask -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || return 1
    PG_SERVER_FAILED=start
    while :; do
        # A range of its own: not the brokers' (20000-32000), whose
        # wildcard bind could take the port while a test has the server
        # down, nor tests/lib.sh's zt_free_port's (10000-17999).
        PG_PORT=$(( 18000 + $(od -An -N2 -tu2 /dev/urandom) % 2000 ))
        pg_server_up "$dir" && break
        tries=$((tries + 1))
        [ "$tries" -lt 5 ] || return 1
    done
    PG_SERVER_FAILED=createdb
    pg_as "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ztask ztask_test || return 1
    PG_SERVER_FAILED=
    PG_CONNINFO="host=127.0.0.1 port=$PG_PORT user=ztask dbname=ztask_test"
    export PG_CONNINFO PG_PORT
}
