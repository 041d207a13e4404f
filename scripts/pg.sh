#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for development and tests.
#
#   scripts/pg.sh start    initialise (first time) and start; a second start finds the running cluster
#   scripts/pg.sh stop     stop it
#   scripts/pg.sh status   say whether it runs
#   scripts/pg.sh url [DB] print the DATABASE_URL of a database in it (default: consortiumrx)
#   scripts/pg.sh psql     open psql on it
#   scripts/pg.sh logfile  print the path of its server log (the scale bench reads auto_explain's plans there)
#   scripts/pg.sh dir      print the folder that holds the clusters (replica.sh and ha.sh put theirs there too)
#
# The data lives in .pgdata/ (git-ignored). PostgreSQL refuses to run as root: when run as root the
# cluster belongs to the `postgres` user, and if that user cannot reach this folder the data goes to
# /var/tmp/consortiumrx-pg-<hash of this folder> instead. Settings: CRX_PG_PORT (default 25432), and
# CRX_PG_CLUSTER (default data), the folder of a second cluster beside the first (the restart test's own).
# The default ports (and the replica's, ha.sh's and the system tests' offsets from them) lie below Linux's range of
# ephemeral ports (32768-60999), so a client's connection elsewhere never holds one when a cluster starts on it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${CRX_PG_PORT:-25432}
db_user=consortiumrx

find_bin() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"; return
    fi
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/pg.sh: installing PostgreSQL 15 with apt-get" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-contrib-15 || \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib) >&2
        for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
            [ -x "$d/initdb" ] && { echo "$d"; return; }
        done
    fi
    cat >&2 <<MSG
scripts/pg.sh: PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found.
Install PostgreSQL 15 with its contrib extensions, for example:
    sudo apt-get install postgresql-15 postgresql-contrib-15      (Debian, Ubuntu)
    brew install postgresql@15                                     (macOS)
then run this again.
MSG
    exit 1
}

as_root=false
[ "$(id -u)" = 0 ] && as_root=true

# Runs a command as the cluster's owner.
as_owner() {
    if $as_root; then
        if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
    else
        "$@"
    fi
}

data_dir() {
    local d="$root/.pgdata"
    if $as_root; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        mkdir -p "$d"
        chown postgres: "$d"
        if ! as_owner test -w "$d" 2>/dev/null; then
            local h; h=$(printf '%s' "$root" | sha1sum | cut -c1-12)
            d="/var/tmp/consortiumrx-pg-$h"
            mkdir -p "$d"; chown postgres: "$d"; chmod 700 "$d"
        fi
    fi
    echo "$d"
}

bin=$(find_bin)
cluster=${CRX_PG_CLUSTER:-data}
pgdata=$(data_dir)/$cluster
sockdir=$(dirname "$pgdata")
if [ "$cluster" = data ]; then logfile=$sockdir/postgres.log; else logfile=$sockdir/postgres-$cluster.log; fi

running() { as_owner "$bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres "$@"
}

start() {
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        as_owner mkdir -p "$pgdata"
        as_owner chmod 700 "$pgdata"
        as_owner "$bin/initdb" -D "$pgdata" -U "$db_user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 ||
            as_owner "$bin/initdb" -D "$pgdata" -U "$db_user" --auth=trust --encoding=UTF8 --locale=C >/dev/null
        {
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $port"
            echo "unix_socket_directories = '$sockdir'"
            echo "timezone = 'Asia/Shanghai'"
            echo "shared_buffers = 256MB"
            echo "fsync = on"
            echo "log_min_messages = warning"
        } | as_owner tee -a "$pgdata/postgresql.conf" >/dev/null
    fi
    if running; then
        echo "PostgreSQL already running on 127.0.0.1:$port ($pgdata)"
    else
        # max_connections and port on the command line, so a cluster made by an older pg.sh gets them too: the
        # test suite runs a few hundred tests at once, each application with its own small pool, and the default
        # port has moved (it was 55432).
        # A port given by CRX_PG_PORT may lie in Linux's range of ephemeral ports, where a client's connection
        # elsewhere can hold it for a moment, so a start refused for an address in use is tried again for a few
        # seconds.
        local tries=0
        until as_owner "$bin/pg_ctl" -D "$pgdata" -l "$logfile" -w -t 60 -o "-c max_connections=500 -c port=$port" start >/dev/null; do
            tries=$((tries + 1))
            if [ "$tries" -ge 10 ] || ! tail -n 5 "$logfile" 2>/dev/null | grep -q "Address already in use"; then
                echo "scripts/pg.sh: PostgreSQL did not start on 127.0.0.1:$port; its log: $logfile" >&2
                return 1
            fi
            echo "scripts/pg.sh: 127.0.0.1:$port is in use for now; trying again" >&2
            sleep 2
        done
        echo "PostgreSQL started on 127.0.0.1:$port ($pgdata)"
    fi
    for db in consortiumrx consortiumrx_test; do
        if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
            psql_admin -c "CREATE DATABASE $db"
        fi
    done
}

stop() {
    if running; then as_owner "$bin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null; echo "PostgreSQL stopped"; else echo "PostgreSQL not running"; fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) if running; then echo "running on 127.0.0.1:$port ($pgdata)"; else echo "not running ($pgdata)"; exit 3; fi ;;
    url) echo "postgres://$db_user@127.0.0.1:$port/${2:-consortiumrx}" ;;
    logfile) echo "$logfile" ;;
    dir) dirname "$pgdata" ;;
    psql) shift; exec psql -X -h 127.0.0.1 -p "$port" -U "$db_user" -d consortiumrx "$@" ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
