#!/usr/bin/env bash
# Automatic failover under load (issue 28): a formation of pg_auto_failover (scripts/ha.sh: a monitor and two nodes
# in synchronous replication on loopback ports), a server given both nodes in one DATABASE_URL
# (target_session_attrs=read-write), steady writes (orders, each with its Idempotency-Key) and reads; after a few
# seconds the primary's machine is lost (its keeper and PostgreSQL killed with SIGKILL) and pg_auto_failover promotes
# the standby. Passes when no request hangs, the server answers 503 (never another 5xx) during the switch, writes are
# served again within 30 s, and every write that got a 2xx is in the new primary (Tests/System/failover_load.py).
#
#   Tests/System/failover.sh   uses .build/debug/consortiumrx (CRX_BIN overrides); the formation on CRX_HA_PORT
#                              (default here 25690) named crx-failover, destroyed at the end
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
port=${CRX_FAILOVER_PORT:-18192}
export CRX_HA_NAME=crx-failover CRX_HA_PORT=${CRX_HA_PORT:-25690}
[ -x "$bin" ] || { echo "failover.sh: $bin not found; run swift build first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/crx-failover.XXXXXX")
server=
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    scripts/ha.sh destroy >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
scripts/ha.sh destroy >/dev/null 2>&1 || true
scripts/ha.sh start
export DATABASE_URL
DATABASE_URL=$(scripts/ha.sh url consortiumrx)
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null
token=$("$bin" token create --role procurement_officer --consortium JLTCM --institution YJ-TCMH --name failover)
drug=$(psql -X -qAt "$DATABASE_URL" -c "SELECT m.drug_code FROM member_catalogue_items m
    JOIN institutions i ON i.id = m.institution_id AND i.code = 'YJ-TCMH'
    JOIN price_agreements p ON p.consortium_id = m.consortium_id AND p.drug_code = m.drug_code AND p.status = 'in_effect'
    ORDER BY m.drug_code LIMIT 1")
[ -n "$drug" ] || drug=$(psql -X -qAt "$DATABASE_URL" -c "SELECT drug_code FROM price_agreements
    WHERE status = 'in_effect' ORDER BY drug_code LIMIT 1")

DB_LEASE_TIMEOUT_MS=2000 LOG_LEVEL=warning "$bin" serve --port "$port" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/institutions/YJ-TCMH/orders" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" -H "Idempotency-Key: failover-first" \
    --data "{\"lines\": [{\"drugCode\": \"$drug\", \"quantity\": \"1\"}]}")
[ "$status" = 201 ] || [ "$status" = 200 ] || { echo "failover.sh: an order before the failover answered $status" >&2; exit 1; }
old=$(scripts/ha.sh primary)

FAILOVER_PORT=$port FAILOVER_TOKEN=$token FAILOVER_DRUG=$drug FAILOVER_DB_URL=$DATABASE_URL \
    FAILOVER_KILLED_AT=$work/killed FAILOVER_SECONDS=${FAILOVER_SECONDS:-40} \
    python3 Tests/System/failover_load.py &
load=$!
sleep 6
scripts/ha.sh kill-primary
date +%s.%N > "$work/killed"  # the moment its processes are gone: what was written after it needed the standby
echo "failover.sh: killed the primary on port $old"
result=0
wait $load || result=$?
new=$(scripts/ha.sh primary 2>/dev/null || echo none)
kill -0 "$server" 2>/dev/null || { echo "failover.sh: the server exited" >&2; result=1; }
echo "failover.sh: the primary moved from port $old to $new"
[ "$new" != "$old" ] || { echo "failover.sh: no failover happened" >&2; result=1; }
# The server found the new primary itself (DatabasePool with DatabaseHosts), without a restart.
grep -q "the database's primary moved" "$work/server.log" ||
    { echo "failover.sh: the server's log does not say it moved to the new primary" >&2; result=1; }
if [ "$result" != 0 ]; then tail -n 30 "$work/server.log" >&2; exit 1; fi
echo "failover.sh: passed"
