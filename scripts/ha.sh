#!/usr/bin/env bash
# A highly available PostgreSQL 15 formation for tests (issue 28): pg_auto_failover with a monitor and two data nodes
# in synchronous replication, all on 127.0.0.1.
#
#   scripts/ha.sh start                create (first time) and run the monitor and both nodes, then wait until the
#                                      formation is primary + secondary, synchronous (at most CRX_HA_TIMEOUT, 120 s)
#   scripts/ha.sh stop                 stop the keepers and their PostgreSQL servers (secondary, primary, monitor)
#   scripts/ha.sh destroy              stop and remove all data
#   scripts/ha.sh status               pg_autoctl show state (also: state)
#   scripts/ha.sh url [DB]             the service's DATABASE_URL: both nodes, target_session_attrs=read-write
#   scripts/ha.sh primary              print the port of the current primary
#   scripts/ha.sh kill-primary [--postgres-only]
#                                      lose the primary's machine: SIGKILL its pg_autoctl keeper and its PostgreSQL
#                                      (with --postgres-only, PostgreSQL alone: its keeper restarts it, no failover)
#   scripts/ha.sh wait-primary [OLD]   wait until a node other than port OLD is primary and commits writes (60 s)
#   scripts/ha.sh rejoin               restart the keeper of every stopped node; it rejoins as secondary
#
# Ports from CRX_HA_PORT (default 25490): the monitor on it, node1 on +1, node2 on +2. Data in the folder of
# scripts/pg.sh's clusters (.pgdata/, or /var/tmp/consortiumrx-pg-<hash> when run as root and postgres cannot reach
# it), in ha-<name>/ (CRX_HA_NAME, default ha): monitor/, node1/, node2/, their logs *.log, and pg_autoctl's own
# files (config/, share/, run/). Needs Debian's postgresql-15-auto-failover (installed with apt-get when run as root).
# As in pg.sh, run as root the servers run as the `postgres` user. The database consortiumrx belongs to the
# superuser consortiumrx (the migrations create extensions).
#
# FOR TESTS ONLY: trust authentication on loopback and no TLS (--auth trust --no-ssl), and the monitor's failure
# detection tuned for a failover in about 8.5 s on one machine (tune_monitor). Production runs the monitor and the
# two nodes on three machines, with password or certificate authentication and TLS (--ssl-mode verify-full and real
# certificates), under systemd (pg_autoctl show systemd): see docs/operations.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ha_port=${CRX_HA_PORT:-25490}
name=${CRX_HA_NAME:-ha}
timeout_start=${CRX_HA_TIMEOUT:-120}
db_user=consortiumrx
db_name=consortiumrx
nodes="node1 node2"

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

# The folder of pg.sh's clusters: pg.sh's own choice.
parent_dir() { "$root/scripts/pg.sh" dir; }

find_pgctl() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        [ -x "$d/pg_ctl" ] && { echo "$d/pg_ctl"; return; }
    done
    command -v pg_ctl || { echo "scripts/ha.sh: pg_ctl not found (scripts/pg.sh start installs PostgreSQL 15)" >&2; exit 1; }
}

need_autoctl() {
    command -v pg_autoctl >/dev/null 2>&1 && return
    if $as_root && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/ha.sh: installing pg_auto_failover (postgresql-15-auto-failover) with apt-get" >&2
        local server before
        server=$(dirname "$(find_pgctl)")/postgres
        before=$("$server" -V 2>/dev/null || true)
        # The extension alone: naming postgresql-15 too upgraded the server's files under the running private
        # cluster, whose next backend then loaded a newer plpgsql.so ("undefined symbol") and failed the suite.
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-auto-failover) >&2
        # Should a dependency still upgrade PostgreSQL, the running private cluster restarts on its new files.
        if [ "$before" != "$("$server" -V 2>/dev/null || true)" ] && "$root/scripts/pg.sh" status >/dev/null 2>&1; then
            echo "scripts/ha.sh: PostgreSQL was upgraded ($before); restarting the private cluster on the new files" >&2
            "$root/scripts/pg.sh" restart >&2
        fi
    fi
    command -v pg_autoctl >/dev/null 2>&1 && return
    echo "scripts/ha.sh: pg_autoctl not found: install postgresql-15-auto-failover (Debian, Ubuntu)" >&2
    exit 1
}

base=$(parent_dir)/ha-$name
monitor_port=$ha_port
node_port() { echo $(( ha_port + ${1#node} )); }
node_dir() { echo "$base/$1"; }

# pg_autoctl as the owner, its configuration and state files kept under $base.
autoctl() {
    as_owner env XDG_CONFIG_HOME="$base/config" XDG_DATA_HOME="$base/share" XDG_RUNTIME_DIR="$base/run" pg_autoctl "$@"
}

# pg_autoctl run in the background, detached, with its log.
run_bg() { # log args...
    local log=$1; shift
    as_owner env XDG_CONFIG_HOME="$base/config" XDG_DATA_HOME="$base/share" XDG_RUNTIME_DIR="$base/run" \
        setsid -f pg_autoctl "$@" </dev/null >>"$log" 2>&1
}

keeper_running() { [ -d "$1" ] && autoctl status --pgdata "$1" >/dev/null 2>&1; }

keeper_pid() { # pgdata: the pid of the pg_autoctl supervisor, if it runs
    local f
    f=$(autoctl show file --pid --pgdata "$1" 2>/dev/null) || return 0
    as_owner test -f "$f" && as_owner head -1 "$f"
    return 0
}

psql_monitor() { psql -X -q -v ON_ERROR_STOP=1 -tA -h 127.0.0.1 -p "$monitor_port" -U postgres -d pg_auto_failover "$@"; }
psql_node() { # port args...
    local p=$1; shift
    PGCONNECT_TIMEOUT=3 psql -X -q -v ON_ERROR_STOP=1 -tA -h 127.0.0.1 -p "$p" -U postgres -d postgres "$@"
}

monitor_uri() { echo "postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"; }

wait_until() { # seconds description command...
    local limit=$1 what=$2 deadline; shift 2
    deadline=$(( $(date +%s) + limit ))
    until "$@"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then echo "scripts/ha.sh: timed out after $limit s waiting for $what" >&2; return 1; fi
        sleep 0.5
    done
}

monitor_ready() { psql_monitor -c "SELECT 1" >/dev/null 2>&1; }

# Failure detection for a failover in about 8.5 s on loopback (pg_auto_failover's defaults: health checks every 5 s,
# 5 s timeout, 2 retries 2 s apart; a node unhealthy after 20 s without a keeper report; 30 s for a lost primary to
# demote: a failover in 30-50 s). Values in ms; CRX_HA_UNHEALTHY_MS and CRX_HA_DEMOTE_MS change the two that count.
tune_monitor() {
    psql_monitor -c "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" \
        -c "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = ${CRX_HA_UNHEALTHY_MS:-4000}" \
        -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = ${CRX_HA_DEMOTE_MS:-4000}" \
        -c "SELECT pg_reload_conf()" >/dev/null
}

start_monitor() {
    local dir=$base/monitor
    if [ ! -f "$dir/PG_VERSION" ]; then
        echo "ha: creating the monitor on 127.0.0.1:$monitor_port"
        autoctl create monitor --pgdata "$dir" --pgport "$monitor_port" --hostname 127.0.0.1 --auth trust --no-ssl \
            --pgctl "$pgctl" >>"$base/monitor.log" 2>&1 || { tail -20 "$base/monitor.log" >&2; exit 1; }
        autoctl config set --pgdata "$dir" postgresql.listen_addresses 127.0.0.1 >/dev/null
    fi
    keeper_running "$dir" || run_bg "$base/monitor.log" run --pgdata "$dir"
    wait_until 60 "the monitor" monitor_ready
    tune_monitor
}

node_created() { autoctl config get --pgdata "$(node_dir "$1")" pg_autoctl.role >/dev/null 2>&1; }

start_node() { # node
    local node=$1 dir port
    dir=$(node_dir "$node"); port=$(node_port "$node")
    keeper_running "$dir" && return
    if node_created "$node"; then
        run_bg "$base/$node.log" run --pgdata "$dir"
    else
        echo "ha: creating $node on 127.0.0.1:$port"
        run_bg "$base/$node.log" create postgres --pgdata "$dir" --pgport "$port" --listen 127.0.0.1 \
            --hostname 127.0.0.1 --name "$node" --monitor "$(monitor_uri)" --auth trust --no-ssl \
            --dbname "$db_name" --username "$db_user" --replication-quorum true --candidate-priority 50 \
            --pgctl "$pgctl" --run
    fi
}

# The primary's port, from the monitor (nothing when there is none).
primary_port() {
    psql_monitor -c "SELECT nodeport FROM pgautofailover.current_state('default')
        WHERE current_group_state IN ('single', 'primary', 'wait_primary') AND assigned_group_state = current_group_state
        ORDER BY current_group_state LIMIT 1" 2>/dev/null || true
}

# The service's role and database: a superuser consortiumrx owning consortiumrx (on the primary; replicated).
ensure_role() {
    local p; p=$(primary_port)
    [ -n "$p" ] || return 1
    psql_node "$p" -c "DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db_user') THEN CREATE ROLE $db_user LOGIN SUPERUSER;
            ELSIF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = '$db_user') THEN ALTER ROLE $db_user SUPERUSER;
            END IF; END \$\$" >/dev/null
    if [ -z "$(psql_node "$p" -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" ]; then
        psql_node "$p" -c "CREATE DATABASE $db_name OWNER $db_user" >/dev/null
    fi
    psql_node "$p" -c "ALTER DATABASE $db_name OWNER TO $db_user" >/dev/null
}

# primary + secondary, and the primary's replication synchronous (synchronous_standby_names set, a standby in it).
healthy() {
    local states p
    states=$(psql_monitor -c "SELECT string_agg(current_group_state || '/' || assigned_group_state, ' '
        ORDER BY current_group_state::text) FROM pgautofailover.current_state('default')" 2>/dev/null) || return 1
    [ "$states" = "primary/primary secondary/secondary" ] || return 1
    p=$(primary_port); [ -n "$p" ] || return 1
    [ -n "$(psql_node "$p" -c "SHOW synchronous_standby_names" 2>/dev/null)" ] || return 1
    [ -n "$(psql_node "$p" -c "SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')" 2>/dev/null)" ]
}

start() {
    need_autoctl
    pgctl=$(find_pgctl)
    # pg_autoctl keeps its pid files in XDG_RUNTIME_DIR when that folder exists, else in /tmp/pg_autoctl.
    as_owner mkdir -p "$base/run"
    as_owner chmod 700 "$base/run"
    as_owner touch "$base/monitor.log" "$base/node1.log" "$base/node2.log"
    # pg_autoctl talks to its local PostgreSQL through the default socket folder.
    [ -d /var/run/postgresql ] || { mkdir -p /var/run/postgresql; ! $as_root || chown postgres: /var/run/postgresql; }
    start_monitor
    # Both keepers of an existing formation at once (a node left down for long is failed over from). A new node2
    # clones the primary: node1 first registers and runs.
    start_node node1
    if ! node_created node2; then
        wait_until "$timeout_start" "node1 to run as primary" primary_up
        # pg_autoctl's pg_basebackup asks for a spread checkpoint, which sleeps 100 ms a dirty buffer while "on
        # schedule" (90 s for a new formation): never on schedule with a completion target of 0 (copied to node2).
        psql_node "$(primary_port)" -c "ALTER SYSTEM SET checkpoint_completion_target = 0" -c "SELECT pg_reload_conf()" \
            -c CHECKPOINT >/dev/null
    fi
    start_node node2
    wait_until "$timeout_start" "primary + secondary in synchronous replication" healthy || { show_state >&2; exit 1; }
    ensure_role
    echo "ha: primary on 127.0.0.1:$(primary_port); $(url "$db_name")"
}

primary_up() { local p; p=$(primary_port); [ -n "$p" ] && psql_node "$p" -c "SELECT 1" >/dev/null 2>&1; }

stop_dir() { # pgdata
    local dir=$1 pid
    [ -d "$dir" ] || return 0
    pid=$(keeper_pid "$dir")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        autoctl stop --pgdata "$dir" >/dev/null 2>&1 || true
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    # PostgreSQL left without its keeper (killed keeper): stop it too.
    if as_owner "$(find_pgctl)" -D "$dir" status >/dev/null 2>&1; then
        as_owner "$(find_pgctl)" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

stop() {
    [ -d "$base" ] || { echo "ha: nothing at $base"; return 0; }
    local p first=node1 second=node2
    p=$(primary_port)
    # The secondary first, so the monitor never fails over to it while the primary stops.
    [ "$p" = "$(node_port node2)" ] && { first=node2; second=node1; }
    stop_dir "$(node_dir "$second")"
    stop_dir "$(node_dir "$first")"
    stop_dir "$base/monitor"
    echo "ha: stopped"
}

destroy() {
    stop
    as_owner rm -rf "$base"
    echo "ha: removed $base"
}

show_state() {
    [ -f "$base/monitor/PG_VERSION" ] || { echo "ha: no formation at $base"; exit 3; }
    autoctl show state --pgdata "$base/monitor"
}

url() { echo "postgres://$db_user@127.0.0.1:$(node_port node1),127.0.0.1:$(node_port node2)/${1:-$db_name}?target_session_attrs=read-write"; }

# Every process of a node: its keeper's tree and its PostgreSQL's.
node_pids() { # dir
    local dir=$1 level all="" next
    level=$(keeper_pid "$dir")
    if as_owner test -f "$dir/postmaster.pid"; then level="$level $(as_owner head -1 "$dir/postmaster.pid")"; fi
    level=$(echo "$level" | xargs)
    while [ -n "$level" ]; do
        all="$all $level"
        next=$(pgrep -d ' ' -P "${level// /,}" || true)
        level=$next
    done
    echo "$all" | xargs -n1 | sort -un | xargs
}

kill_primary() {
    local p node dir pids
    p=$(primary_port)
    [ -n "$p" ] || { echo "scripts/ha.sh: no primary" >&2; exit 1; }
    node=node$(( p - ha_port )); dir=$(node_dir "$node")
    if [ "${1:-}" = --postgres-only ]; then
        pids=$(as_owner head -1 "$dir/postmaster.pid")
        kill -KILL "$pids"
        echo "ha: killed PostgreSQL of $node (port $p, pid $pids); its keeper still runs"
        return
    fi
    pids=$(node_pids "$dir")
    # shellcheck disable=SC2086 # a list of pids
    kill -STOP $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    echo "ha: killed $node (port $p): keeper and PostgreSQL, pids $pids"
}

# A committed write on the node behind the read-write URL, when that node is not port OLD.
writable_elsewhere() { # old
    local got
    got=$(PGCONNECT_TIMEOUT=2 timeout 5 psql -X -q -v ON_ERROR_STOP=1 -tA "$(url postgres)" \
        -c "CREATE TABLE IF NOT EXISTS crx_ha_probe (id int PRIMARY KEY, at timestamptz)" \
        -c "INSERT INTO crx_ha_probe VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = now()" \
        -c "SELECT inet_server_port()" 2>/dev/null) || return 1
    [ -n "$got" ] && [ "$got" != "${1:-}" ]
}

wait_primary() { # [old port]
    local old=${1:-} started=$SECONDS
    wait_until "${CRX_HA_FAILOVER_TIMEOUT:-60}" "a primary other than ${old:-none} accepting writes" writable_elsewhere "$old" ||
        { show_state >&2; exit 1; }
    echo "ha: primary on 127.0.0.1:$(primary_port), writable (waited $(( SECONDS - started )) s)"
}

rejoin() {
    local node
    pgctl=$(find_pgctl)
    for node in $nodes; do
        keeper_running "$(node_dir "$node")" || { echo "ha: restarting $node's keeper"; start_node "$node"; }
    done
    wait_until "$timeout_start" "primary + secondary in synchronous replication" healthy || { show_state >&2; exit 1; }
    echo "ha: primary on 127.0.0.1:$(primary_port), secondary back"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    destroy) destroy ;;
    status|state) show_state ;;
    url) url "${2:-}" ;;
    primary) p=$(primary_port); [ -n "$p" ] || { echo "scripts/ha.sh: no primary" >&2; exit 1; }; echo "$p" ;;
    kill-primary) kill_primary "${2:-}" ;;
    wait-primary) wait_primary "${2:-}" ;;
    rejoin) rejoin ;;
    *) sed -n '2,28p' "$0"; exit 2 ;;
esac
