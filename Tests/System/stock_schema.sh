#!/usr/bin/env bash
# The stock ledger's schema (issue 21) on a fresh database: sql/001…020 applied in order with psql, then
# Tests/System/stock_schema.sql (negative stock, two sessions racing, quarantine, blocks, counts, traceability
# codes, movements and on hand agreeing), then 16 sessions at once issuing one unit each of a lot holding 5:
# exactly 5 succeed, the lot ends at 0 and the ledger agrees.
#
#   Tests/System/stock_schema.sh   the private cluster of scripts/pg.sh (CRX_PG_PORT), a database crx_stock_schema
#                                  dropped and recreated each run (CRX_STOCK_DB overrides)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

db=${CRX_STOCK_DB:-crx_stock_schema}
source Tests/System/schema_db.sh
fresh_schema_db "$db"
psql -X -v ON_ERROR_STOP=1 -v url="$url" "$url" -f Tests/System/stock_schema.sql

move() { # quantity reason direction
    echo "INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
        direction, quantity, document_type, document_id, business_date)
        SELECT consortium_id, id, 'XSTK01', 'RACE', '2027-12-31', '$2', '$3', $1, 'other', 3, '2026-12-01'
        FROM institutions WHERE code = 'STK-A'"
}
psql -X -q -v ON_ERROR_STOP=1 "$url" -c "$(move 5 108 in)" >/dev/null
issue=$(move 1 dispensing out)
work=$(mktemp -d "${TMPDIR:-/tmp}/crx-stock.XXXXXX")
trap 'rm -rf "$work"' EXIT
for n in $(seq 16); do
    (psql -X -q -v ON_ERROR_STOP=1 "$url" -c "$issue" >/dev/null 2>"$work/$n.err" && touch "$work/$n.ok") &
done
wait
ok=$(ls "$work" | grep -c '\.ok$' || true)
refused=$(grep -l 'stock_on_hand_quantity_check' "$work"/*.err 2>/dev/null | wc -l)
left=$(psql -X -At "$url" -c "SELECT quantity FROM stock_on_hand WHERE lot_key = 'RACE'")
agrees=$(psql -X -At "$url" -c "SELECT pg_temp_check FROM (SELECT NOT EXISTS (
    SELECT institution_id, lot_key, sum(CASE direction WHEN 'in' THEN quantity ELSE -quantity END) FROM stock_movements GROUP BY 1, 2
    EXCEPT SELECT institution_id, lot_key, sum(quantity) FROM stock_on_hand GROUP BY 1, 2) AS pg_temp_check) x")
echo "16 concurrent issues of 1 from a lot of 5: $ok succeeded, $refused refused by the CHECK, $left left, ledger agrees: $agrees"
[ "$ok" = 5 ] && [ "$refused" = 11 ] && [ "$left" = "0.0000" ] && [ "$agrees" = t ] || { cat "$work"/*.err; exit 1; }
echo "stock_schema.sh: passed"
