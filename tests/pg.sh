# tests/pg.sh - a PostgreSQL server of the test's own, for the tests that
# run the store on PostgreSQL (sourced after tests/lib.sh).
#
# pg_start: initdb + pg_ctl in a new directory, on a free loopback port;
# sets PG_CONNINFO (a libpq conninfo for a new database of the test's).
# The server is stopped and its directory removed when the test exits
# (tests/lib.sh's cleanup calls pg_stop).
# initdb refuses to run as root: then the server runs as user postgres
# (Debian's package creates it). Without PostgreSQL's binaries the test
# is skipped, except in CI (CI=true), where that is a failure.
#
# ha_pool, ha_broker, leads, stands_by (at the end): brokers of an
# active/standby pool on that server, for tests/ha.sh and
# tests/client_standby.sh.

. "${top_srcdir:-.}/scripts/pg_server.sh" # pg_bin, pg_as, pg_server_*
PG_DIR=""

pg_require () {
    if pg_have; then return 0; fi
    if [ "${CI:-}" = true ]; then
        echo "Bail out! PostgreSQL's server binaries are missing: apt-get install postgresql"
        exit 1
    fi
    echo "1..0 # SKIP PostgreSQL's server binaries are missing (apt-get install postgresql)"
    exit 0
}

pg_stop () {
    [ -n "$PG_DIR" ] || return 0
    pg_server_stop "$PG_DIR"   # data, and the streaming standbys of tests/pg_failover.sh
    rm -rf "$PG_DIR"
    PG_DIR=""
}

pg_start () {
    pg_require
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ztask-pg.XXXXXX")
    pg_server_start "$PG_DIR" "-c fsync=off" && return 0
    case $PG_SERVER_FAILED in
    initdb) echo "Bail out! initdb failed:"; sed 's/^/# /' "$PG_DIR/initdb.log" ;;
    start) echo "Bail out! PostgreSQL did not start:"; sed 's/^/# /' "$PG_DIR/server.log" | tail -20 ;;
    *) echo "Bail out! createdb failed" ;;
    esac
    exit 1
}

# psql on the test's database: pg_sql "SQL"
pg_sql () {
    "$pg_bin/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U ztask -d ztask_test -c "$1"
}

# pg_down / pg_up: stops the server (its data stays) and starts it again on
# the same port: the database machine's outage, as the broker sees it.
pg_down () { pg_server_down "$PG_DIR"; }
pg_up () { pg_server_up "$PG_DIR"; }

# ---- an active/standby pool of brokers (docs/high-availability.md) ----

# ha_pool DB: the brokers ha_broker starts from now on share a new database
# DB of the test's server: a pool of their own, with a leader of its own.
# Until then they share the test's database ($PG_CONNINFO).
ha_pool () {
    pg_as "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ztask "$1" \
        || { echo "Bail out! createdb $1 failed"; exit 1; }
    HA_STORE="host=127.0.0.1 port=$PG_PORT user=ztask dbname=$1"
}

# ha_broker NAME [CONFIG LINES]: starts broker NAME of the pool, with the
# lines added to its config the first time (a restart keeps its config,
# $T/NAME.cfg, which a test may edit meanwhile). It listens on a fixed port
# once it has one, so that a restart listens where clients and workers
# connect. Sets PID_NAME and EP_NAME.
ha_broker () {
    local name=$1 before ep
    if [ ! -f "$T/$name.cfg" ]; then
        cat > "$T/$name.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "${HA_STORE:-$PG_CONNINFO}";
heartbeat_ms = 200;
lease_ms = 1000;
name = "$name";
${2:-}
CFG
    fi
    before=$(grep -c 'listening on tcp' "$T/$name.log" 2>/dev/null)
    "$ZTASKD" -c "$T/$name.cfg" -f >>"$T/$name.log" 2>&1 &
    eval "PID_$name=$!"
    PIDS="$PIDS $!"
    wait_for "[ \$(grep -c 'listening on tcp' '$T/$name.log') -gt ${before:-0} ]" 20 \
        || { echo "Bail out! broker $name did not start"; exit 1; }
    ep=$(grep -o 'listening on tcp://[0-9.:]*' "$T/$name.log" | tail -1 | sed 's/listening on //')
    eval "EP_$name=$ep"
    sed -i "s|^endpoint = .*|endpoint = \"$ep\";|" "$T/$name.cfg"
}
# leads NAME TERM: NAME's log says it leads in term TERM.
leads () { grep -q "broker: $1 leads (term $2)" "$T/$1.log"; }
# stands_by NAME LEADER TERM: NAME's log says it stands by, LEADER leading.
stands_by () { grep -q "broker: $1 stands by; $2 leads (term $3)" "$T/$1.log"; }
