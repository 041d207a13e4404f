#!/usr/bin/env bash
# A read replica (issue 28): a real streaming replica of a private cluster (scripts/replica.sh: pg_basebackup -R), a
# server given both (DATABASE_URL and DATABASE_READ_URL). With the replica's replay paused, an order is written
# through the server and its audit trail read through the same server does not show it yet: the audit pages are
# served by the replica. Once the replica has caught up they show it, and the audit page, the catalogue report and
# spend served through the replica equal those of a server on the primary alone. The order's own request, which
# writes and then reads, is answered from the primary (it returns the order it made).
#
#   Tests/System/replica.sh   uses .build/debug/consortiumrx (CRX_BIN overrides) and private clusters of its own
#                             (CRX_PG_CLUSTER=replica-primary on CRX_PG_PORT + 9, its replica 100 above)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
export CRX_PG_CLUSTER=replica-primary
export CRX_PG_PORT=$(( ${CRX_PG_PORT:-25432} + 9 ))
export CRX_PG_REPLICA_PORT=$(( CRX_PG_PORT + 100 ))
port=${CRX_REPLICA_TEST_PORT:-18193}
db=crx_replica
[ -x "$bin" ] || { echo "replica.sh: $bin not found; run swift build first" >&2; exit 1; }

servers=()
cleanup() {
    for s in ${servers[@]+"${servers[@]}"}; do kill "$s" 2>/dev/null || true; done
    scripts/replica.sh destroy >/dev/null 2>&1 || true
    scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/pg.sh start >/dev/null
admin=$(scripts/pg.sh url postgres)
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
primary=$(scripts/pg.sh url "$db")
DATABASE_URL=$primary "$bin" migrate >/dev/null
DATABASE_URL=$primary "$bin" seed --demo >/dev/null
scripts/replica.sh destroy >/dev/null 2>&1 || true
scripts/replica.sh start
scripts/replica.sh wait "$db"
replica=$(scripts/replica.sh url "$db")

export DATABASE_URL=$primary
buyer=$("$bin" token create --role procurement_officer --consortium JLTCM --institution YJ-TCMH --name replica-test)
admin_token=$("$bin" token create --role consortium_admin --consortium JLTCM --name replica-test)
finance=$("$bin" token create --role finance --consortium JLTCM --name replica-test)
drug=$(psql -X -qAt "$primary" -c "SELECT c.drug_code FROM catalogue_items c JOIN price_agreements p
    ON p.consortium_id = c.consortium_id AND p.drug_code = c.drug_code AND p.status = 'in_effect'
    JOIN drugs d ON d.code = c.drug_code AND d.category = 'western' WHERE cardinality(c.levels) = 0
    ORDER BY c.drug_code LIMIT 1")

serve() {  # port, [read URL]
    DATABASE_READ_URL=${2:-} LOG_LEVEL=warning "$bin" serve --port "$1" > "${TMPDIR:-/tmp}/crx-replica-$1.log" 2>&1 &
    servers+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && break; sleep 0.2; done
}
serve "$port" "$replica"
serve $((port + 1))
get() {  # port, token, path: the body; fails unless 200
    curl -sf -H "Authorization: Bearer $2" "http://127.0.0.1:$1$3"
}
items() { python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))'; }

psql -X -q -o /dev/null "$replica" -c "SELECT pg_wal_replay_pause()"
answer=$(curl -sf -X POST "http://127.0.0.1:$port/v1/institutions/YJ-TCMH/orders" -H "Authorization: Bearer $buyer" \
    -H "Content-Type: application/json" --data "{\"lines\": [{\"drugCode\": \"$drug\", \"quantity\": \"2\"}]}")
order=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' <<<"$answer")
path="/v1/audit?entityType=purchase_order&entityKey=$order"
on_primary=$(get $((port + 1)) "$admin_token" "$path" | items)
while_paused=$(get "$port" "$admin_token" "$path" | items)
echo "replica.sh: order $order written; its audit rows: $on_primary on the primary, $while_paused through the paused replica"
[ "$on_primary" = 1 ] && [ "$while_paused" = 0 ] ||
    { echo "replica.sh: FAILED: the audit page was not served by the replica" >&2; exit 1; }

psql -X -q -o /dev/null "$replica" -c "SELECT pg_wal_replay_resume()"
scripts/replica.sh wait "$db"
year=$(TZ=Asia/Shanghai date +%Y)
for read in "admin_token|$path" "admin_token|/v1/consortia/JLTCM/catalogue/report" \
    "finance|/v1/consortia/JLTCM/spend?from=$year-01-01&to=$year-12-31"; do
    IFS='|' read -r who p <<<"$read"
    # Compared as JSON values: each server orders an object's keys its own way.
    through=$(get "$port" "${!who}" "$p" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
    alone=$(get $((port + 1)) "${!who}" "$p" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
    [ "$through" = "$alone" ] || { echo "replica.sh: FAILED: $p differs through the replica:" >&2; diff <(echo "$through") <(echo "$alone") >&2; exit 1; }
done
caught_up=$(get "$port" "$admin_token" "$path" | items)
[ "$caught_up" = 1 ] || { echo "replica.sh: FAILED: the replica never showed the order's audit row" >&2; exit 1; }
echo "replica.sh: passed (the audit page, the catalogue report and spend through the replica equal the primary's)"
