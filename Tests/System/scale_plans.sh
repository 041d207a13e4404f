#!/usr/bin/env bash
# The hot paths' plans on generated data (issue 28): a fresh database with the demo seed and the scale generator at
# 1× (bench/scale/generate.sql: 60 consortia, five years of orders, invoices, long prescriptions and stock
# movements), served by the built binary with auto_explain logging every statement's plan; each hot read below is
# asked once as JLTCM, and the test fails if any statement planned a sequential scan of a table of 20,000 rows or
# more (bench/scale/plans.py reads the plans). At 1× those are the history's tables (orders and their lines,
# deliveries, invoices and their lines, prescriptions and fills, movements, stock on hand, audit rows, members' lists).
#
#   CRX_BIN=.build/debug/consortiumrx Tests/System/scale_plans.sh
#   (the private cluster of scripts/pg.sh, CRX_PG_PORT; a database crx_scale_plans dropped and recreated each run)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
db=crx_scale_plans
port=${CRX_SCALE_PLANS_PORT:-18191}
min_rows=20000
scripts/pg.sh start >/dev/null
admin=$(scripts/pg.sh url postgres)
export DATABASE_URL; DATABASE_URL=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null
psql -X -q -v factor=1 -f bench/scale/generate.sql "$DATABASE_URL" >/dev/null
admin_token=$("$bin" token create --role consortium_admin --consortium JLTCM --name scale-plans-admin)
finance_token=$("$bin" token create --role finance --consortium JLTCM --name scale-plans-finance)

# The hot reads: token | path.
q() { psql -X -qAt "$DATABASE_URL" -c "$1"; }
drug=$(q "SELECT p.drug_code FROM price_agreements p JOIN consortia c ON c.id = p.consortium_id AND c.code = 'JLTCM'
          WHERE p.status = 'in_effect' ORDER BY p.drug_code LIMIT 1")
stocked=$(q "SELECT s.drug_code FROM stock_on_hand s JOIN consortia c ON c.id = s.consortium_id AND c.code = 'JLTCM'
             WHERE s.in_stock ORDER BY s.id DESC LIMIT 1")
order=$(q "SELECT o.id FROM purchase_orders o JOIN consortia c ON c.id = o.consortium_id AND c.code = 'JLTCM'
           ORDER BY o.id DESC LIMIT 1")
year=$(( $(TZ=Asia/Shanghai date +%Y) - 1 ))
reads=(
    "admin|/v1/drugs/$drug"
    "admin|/v1/consortia/JLTCM/prices/$drug"
    "admin|/v1/consortia/JLTCM/stock/drugs/$stocked"
    "admin|/v1/audit?entityType=purchase_order&entityKey=$order"
    "admin|/v1/consortia/JLTCM/catalogue"
    "admin|/v1/institutions/JL-TCMH/orders"
    "admin|/v1/institutions/YJ-TCMH/orders?status=received"
    "admin|/v1/consortia/JLTCM/orders"
    "admin|/v1/institutions/JL-TCMH/stock"
    "admin|/v1/consortia/JLTCM/shortages"
    "finance|/v1/consortia/JLTCM/payables?status=overdue"
    "finance|/v1/consortia/JLTCM/payables"
    "finance|/v1/consortia/JLTCM/spend?from=$year-01-01&to=$year-12-31"
    "admin|/v1/consortia/JLTCM/catalogue/report"
)

psql -X -q "$admin" -c "ALTER DATABASE $db SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $db SET auto_explain.log_min_duration = 0" -c "ALTER DATABASE $db SET auto_explain.log_level = warning"
log=$(scripts/pg.sh logfile)
offset=$(stat -c %s "$log")
LOG_LEVEL=warning "$bin" serve --port "$port" > "${TMPDIR:-/tmp}/crx-scale-plans-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; psql -X -q "$admin" -c "ALTER DATABASE $db RESET ALL" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
failed=0
for r in "${reads[@]}"; do
    IFS='|' read -r who path <<<"$r"
    if [ "$who" = finance ]; then token=$finance_token; else token=$admin_token; fi
    psql -X -q "$DATABASE_URL" -c "DO \$\$ BEGIN RAISE WARNING 'bench-scale-read: %', '$path'; END \$\$" 2>/dev/null
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path")
    [ "$status" = 200 ] || { echo "scale_plans.sh: $path answered $status" >&2; failed=1; }
done
kill $server; wait $server 2>/dev/null || true
plans=$(mktemp)
tail -c +"$((offset + 1))" "$log" > "$plans"
scans=$(python3 bench/scale/plans.py "$plans" "$DATABASE_URL" "$min_rows" 2>"$plans.count")
read -r _ _ count < "$plans.count"
rm -f "$plans" "$plans.count"
[ "${count:-0}" -gt "${#reads[@]}" ] || { echo "scale_plans.sh: auto_explain logged ${count:-no} plans" >&2; failed=1; }
if [ -n "$scans" ]; then
    echo "scale_plans.sh: sequential scans of large tables (read, table, rows):" >&2
    echo "$scans" >&2
    failed=1
fi
[ "$failed" = 0 ] || exit 1
echo "scale_plans.sh: ${#reads[@]} hot reads on generated data, $count plans, no sequential scan of a table of $min_rows rows or more: passed"
