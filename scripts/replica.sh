#!/usr/bin/env bash
# A streaming read replica of the private cluster of scripts/pg.sh (issue 28), on PostgreSQL's own replication.
#
#   scripts/replica.sh start          let the primary accept replication from 127.0.0.1, take a base backup of it
#                                     (first time) and start the replica; a second start finds it running
#   scripts/replica.sh stop           stop the replica
#   scripts/replica.sh status         say whether it runs, and how far it has replayed
#   scripts/replica.sh url [DB]       print the replica's DATABASE_URL (default DB: consortiumrx)
#   scripts/replica.sh wait [DB] [S]  wait until the replica has replayed the primary's current WAL position (and DB
#                                     is there), at most S seconds (default CRX_PG_REPLICA_TIMEOUT, 30)
#   scripts/replica.sh destroy        stop it, remove its data folder and its replication slot on the primary
#
# The primary is the cluster that scripts/pg.sh manages with the same CRX_PG_PORT and CRX_PG_CLUSTER (pg.sh start
# is run first). The replica lives beside it, in the folder <cluster>-replica (data-replica, restart-replica...),
# made by `pg_basebackup -R -X stream` with a physical replication slot crx_<cluster>_replica on the primary, so the
# primary keeps the WAL a stopped replica still needs; it listens on 127.0.0.1:CRX_PG_REPLICA_PORT (default: the
# primary's port + 100), hot_standby on, read-only. Databases and roles created on the primary later come to the
# replica by replication. As in pg.sh: trust authentication on 127.0.0.1, and when run as root PostgreSQL runs as
# the `postgres` user.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${CRX_PG_PORT:-25432}
rport=${CRX_PG_REPLICA_PORT:-$(( port + 100 ))}
cluster=${CRX_PG_CLUSTER:-data}
db_user=consortiumrx
slot=crx_$(printf '%s' "$cluster" | tr -c 'a-zA-Z0-9_\n' '_' | tr '[:upper:]' '[:lower:]')_replica

as_root=false
[ "$(id -u)" = 0 ] && as_root=true

# Runs a command as the clusters' owner (as pg.sh does), from / so it needs no access to the current folder.
as_owner() {
    if $as_root; then
        (cd / && if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi)
    else
        "$@"
    fi
}

# The folder holding pg.sh's clusters: pg.sh's own choice.
parent_dir() { "$root/scripts/pg.sh" dir; }

find_bin() {
    local d
    if command -v pg_basebackup >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"; return
    fi
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        [ -x "$d/pg_basebackup" ] && { echo "$d"; return; }
    done
    echo "scripts/replica.sh: pg_basebackup and pg_ctl not found (scripts/pg.sh start installs PostgreSQL)" >&2
    exit 1
}

psql_at() { # port db args...
    local p=$1 d=$2; shift 2
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U "$db_user" -d "$d" "$@"
}

init_paths() {
    bin=$(find_bin)
    sockdir=$(parent_dir)
    rdata=$sockdir/$cluster-replica
    logfile=$sockdir/postgres-$cluster-replica.log
}

running() { as_owner "$bin/pg_ctl" -D "$rdata" status >/dev/null 2>&1; }

primary_hba() {
    local hba line="host replication all 127.0.0.1/32 trust"
    hba=$(psql_at "$port" postgres -tAc "SHOW hba_file")
    if ! as_owner grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
        echo "$line" | as_owner tee -a "$hba" >/dev/null
        psql_at "$port" postgres -tAc "SELECT pg_reload_conf()" >/dev/null
        echo "primary: added '$line' to $hba and reloaded"
    fi
    local level
    level=$(psql_at "$port" postgres -tAc "SHOW wal_level")
    [ "$level" != minimal ] || { echo "scripts/replica.sh: the primary has wal_level = minimal; set it to replica and restart it" >&2; exit 1; }
}

base_backup() {
    # A slot left by a replica removed while the primary was down would make pg_basebackup -C fail.
    psql_at "$port" postgres -tAc "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
        WHERE slot_name = '$slot' AND NOT active" >/dev/null
    as_owner rm -rf "$rdata"
    echo "replica: base backup of 127.0.0.1:$port into $rdata"
    as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U "$db_user" -D "$rdata" -R -X stream -c fast -C -S "$slot"
    {
        echo "# scripts/replica.sh"
        echo "port = $rport"
        echo "hot_standby = on"
    } | as_owner tee -a "$rdata/postgresql.conf" >/dev/null
}

start() {
    CRX_PG_PORT=$port CRX_PG_CLUSTER=$cluster "$root/scripts/pg.sh" start >/dev/null
    init_paths
    primary_hba
    if running; then
        echo "replica already running on 127.0.0.1:$rport ($rdata)"
        return
    fi
    [ -f "$rdata/standby.signal" ] || base_backup
    # max_connections as the primary's (pg.sh gives it on the command line): a standby needs at least as many.
    if ! as_owner "$bin/pg_ctl" -D "$rdata" -l "$logfile" -w -t 60 -o "-c max_connections=500 -c port=$rport" start >/dev/null; then
        # The test's cleanup destroys the replica and its log: say why here.
        echo "scripts/replica.sh: the replica did not start on 127.0.0.1:$rport; the end of its log ($logfile):" >&2
        tail -n 20 "$logfile" >&2 2>/dev/null || true
        exit 1
    fi
    echo "replica started on 127.0.0.1:$rport ($rdata), streaming from 127.0.0.1:$port"
}

stop() {
    init_paths
    if running; then as_owner "$bin/pg_ctl" -D "$rdata" -m fast -w stop >/dev/null; echo "replica stopped"; else echo "replica not running"; fi
}

status() {
    init_paths
    if running; then
        local lsn
        lsn=$(psql_at "$rport" postgres -tAc "SELECT pg_last_wal_replay_lsn()" 2>/dev/null || echo '?')
        echo "replica running on 127.0.0.1:$rport ($rdata), replayed up to $lsn"
    else
        echo "replica not running ($rdata)"; exit 3
    fi
}

wait_replay() { # [db] [seconds]
    local db=${1:-consortiumrx} limit=${2:-${CRX_PG_REPLICA_TIMEOUT:-30}} target deadline
    init_paths
    running || { echo "scripts/replica.sh: the replica is not running" >&2; exit 1; }
    target=$(psql_at "$port" "$db" -tAc "SELECT pg_current_wal_lsn()")
    deadline=$(( $(date +%s) + limit ))
    while :; do
        if [ "$(psql_at "$rport" "$db" -tAc "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn" 2>/dev/null)" = t ]; then
            return 0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "scripts/replica.sh: the replica did not replay up to $target (database $db) within $limit s" >&2
            exit 1
        fi
        sleep 0.1
    done
}

destroy() {
    stop
    as_owner rm -rf "$rdata"
    as_owner rm -f "$logfile"
    if psql_at "$port" postgres -tAc "SELECT 1" >/dev/null 2>&1; then
        psql_at "$port" postgres -tAc "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
    else
        echo "replica: the primary is not running; its slot $slot is dropped at the next replica start"
    fi
    echo "replica removed ($rdata)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) echo "postgres://$db_user@127.0.0.1:$rport/${2:-consortiumrx}" ;;
    wait) wait_replay "${2:-}" "${3:-}" ;;
    destroy) destroy ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
esac
