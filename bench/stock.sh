#!/usr/bin/env bash
# Stock reads and dispensing (issue 21) on a release build, on the demo ledger and again on a province-sized one
# (bench/stock_generate.sql, BENCH_MOVEMENTS movements, default 10 million), each next to the same server's
# GET /healthz rate measured in the same run:
#   GET /v1/institutions/{code}/stock            a member's stock on hand (first page, 200 lots), random member
#   GET /v1/consortia/{code}/stock/drugs/{drug}  a drug across the consortium, random drug
#   POST /v1/institutions/{code}/dispensings     one FEFO issue with its movement and audit row
#   GET /v1/institutions/{code}/stock/days-of-stock  a member's days of stock of every drug, random member
# The reads must not grow with history: the second ledger's p99 is compared with the first's.
# Settings: BENCH_SECONDS (15), BENCH_CONNECTIONS (32), DB_POOL_SIZE (8), BENCH_MOVEMENTS (10000000),
# BENCH_LOTS (3 lots of each drug at each member), BENCH_CONFIG (release; debug only to try the script).
# Results: bench/out/stock-results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-32}
pool=${DB_POOL_SIZE:-8}
port=${BENCH_PORT:-18081}
movements=${BENCH_MOVEMENTS:-10000000}
lots=${BENCH_LOTS:-3}
out=bench/out
mkdir -p "$out"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else echo "bench: install wrk (sudo apt-get install wrk)" >&2; exit 1; fi
fi

scripts/pg.sh start >/dev/null
psql -X -q "$(scripts/pg.sh url postgres)" -c "DROP DATABASE IF EXISTS consortiumrx_stock_bench WITH (FORCE)" \
    -c "CREATE DATABASE consortiumrx_stock_bench"
export DATABASE_URL=$(scripts/pg.sh url consortiumrx_stock_bench)

config=${BENCH_CONFIG:-release}
[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c "$config" --product consortiumrx >/dev/null
bin=$(swift build -c "$config" --show-bin-path)/consortiumrx
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null

# The member with the most lots on hand dispenses; reads go to every member and every drug held.
member=$(psql -X -qAt "$DATABASE_URL" -c "SELECT i.code FROM institutions i JOIN consortia c ON c.id = i.consortium_id
    LEFT JOIN stock_on_hand s ON s.institution_id = i.id AND s.quantity > 0
    WHERE c.code = 'JLTCM' GROUP BY i.code ORDER BY count(s.id) DESC, i.code LIMIT 1")
admin=$("$bin" token create --role consortium_admin --consortium JLTCM --name bench-stock)
pharmacist=$("$bin" token create --role institution_pharmacist --consortium JLTCM --institution "$member" --name bench-dispense)

paths() {  # the read paths and the dispensable drugs, from the ledger as it is
    psql -X -qAt "$DATABASE_URL" -c "SELECT '/v1/institutions/' || i.code || '/stock?limit=200' FROM institutions i
        JOIN consortia c ON c.id = i.consortium_id AND c.code = 'JLTCM' ORDER BY i.code" > "$out/stock_member_paths.txt"
    sed 's|/stock?limit=200|/stock/days-of-stock|' "$out/stock_member_paths.txt" > "$out/stock_days_paths.txt"
    psql -X -qAt "$DATABASE_URL" -c "SELECT DISTINCT '/v1/consortia/JLTCM/stock/drugs/' || drug_code FROM stock_on_hand
        WHERE quantity > 0 ORDER BY 1" > "$out/stock_drug_paths.txt"
    # drug,location: a dispensing draws from one place (the demo's stock is in its members' pharmacies; the
    # generated lots are outside locations)
    psql -X -qAt -F, "$DATABASE_URL" -c "SELECT s.drug_code, coalesce(l.code, '') FROM stock_on_hand s
        JOIN institutions i ON i.id = s.institution_id LEFT JOIN stock_locations l ON l.id = s.location_id
        WHERE i.code = '$member' AND s.quantity >= 20
        GROUP BY s.drug_code, l.code
        HAVING min(s.expiry_date) > current_date + 200
           AND NOT bool_or(EXISTS (SELECT 1 FROM lot_blocks b WHERE b.drug_code = s.drug_code AND b.lot_key = s.lot_key
                                   AND b.released_at IS NULL))
        ORDER BY 1, 2" > "$out/stock_dispense_drugs.txt"
}

server=
start_server() {
    LOG_LEVEL=warning DB_POOL_SIZE=$pool "$bin" serve --port "$port" > "$out/stock-server.log" 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; }
trap '[ -z "$server" ] || kill $server 2>/dev/null || true' EXIT

wrk_run() {  # label, then wrk arguments
    local label=$1; shift
    wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" > "$out/wrk-$label.txt"
    awk '/Requests\/sec/ {print $2}' "$out/wrk-$label.txt"
}
p99() { awk '$1 == "99%" {print $2}' "$out/wrk-$1.txt"; }
non2xx() { awk '/Non-2xx/ {print $NF}' "$out/wrk-$1.txt"; }

ledger() {  # label: measures the three on the ledger as it is
    local label=$1
    paths
    start_server
    BENCH_TOKEN=$admin wrk -t2 -c"$conns" -d3s -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_member_paths.txt" >/dev/null
    local r member_rate drug_rate dispense_rate days_rate
    r=$(wrk_run "stock-healthz-$label" "http://127.0.0.1:$port/healthz")
    member_rate=$(BENCH_TOKEN=$admin wrk_run "stock-member-$label" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_member_paths.txt")
    drug_rate=-
    if [ -s "$out/stock_drug_paths.txt" ]; then
        drug_rate=$(BENCH_TOKEN=$admin wrk_run "stock-drug-$label" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_drug_paths.txt")
    else
        : > "$out/wrk-stock-drug-$label.txt"
    fi
    days_rate=$(BENCH_TOKEN=$admin wrk_run "stock-days-$label" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_days_paths.txt")
    dispense_rate=-
    if [ -s "$out/stock_dispense_drugs.txt" ]; then  # the demo seed may hold nothing to dispense at that member
        dispense_rate=$(BENCH_TOKEN=$pharmacist BENCH_MEMBER=$member wrk_run "stock-dispense-$label" -s bench/dispense.lua "http://127.0.0.1:$port" -- "$out/stock_dispense_drugs.txt")
    else
        : > "$out/wrk-stock-dispense-$label.txt"
    fi
    stop_server
    local moves
    moves=$(psql -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM stock_movements")
    echo "| $label ($moves movements) | GET /healthz | $r | $(p99 "stock-healthz-$label") | |"
    echo "| $label | GET /v1/institutions/{code}/stock (200 lots) | $member_rate | $(p99 "stock-member-$label") | $(non2xx "stock-member-$label") |"
    echo "| $label | GET /v1/consortia/{code}/stock/drugs/{drug} | $drug_rate | $(p99 "stock-drug-$label") | $(non2xx "stock-drug-$label") |"
    echo "| $label | GET /v1/institutions/{code}/stock/days-of-stock | $days_rate | $(p99 "stock-days-$label") | $(non2xx "stock-days-$label") |"
    echo "| $label | POST /v1/institutions/{code}/dispensings | $dispense_rate | $(p99 "stock-dispense-$label") | $(non2xx "stock-dispense-$label") |"
}

{
    echo "| ledger | endpoint | req/s | p99 | non-2xx |"
    echo "|---|---|---|---|---|"
    ledger demo
    start=$(date +%s)
    psql -X -q "$DATABASE_URL" -v movements="$movements" -v lots="$lots" -f bench/stock_generate.sql > "$out/stock-generate.txt"
    generated=$(( $(date +%s) - start ))
    ledger province
    echo
    echo "$(date -u +%F), $(nproc) cores, ${conns} connections, ${seconds}s each, pool ${pool}, $config build, log level warning;"
    echo "the province ledger generated in ${generated} s."
} | tee "$out/stock-results.md"
