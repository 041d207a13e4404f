#!/usr/bin/env bash
# Stock reads and dispensing (issue 21) on a release build, on the demo ledger and again on a province-sized one
# (bench/stock_generate.sql, BENCH_MOVEMENTS movements, default 10 million), each next to the same server's
# GET /healthz rate measured in the same run:
#   GET /v1/institutions/{code}/stock            a member's stock on hand, random member: a page of 20 lots (all a
#                                                demo member holds, so both ledgers return alike) and of 200; the
#                                                page of 20 again through the generated server (not the direct route)
#   GET /v1/consortia/{code}/stock/drugs/{drug}  a drug across the consortium, random drug
#   POST /v1/institutions/{code}/dispensings     one FEFO issue with its movement and audit row
#   GET /v1/institutions/{code}/stock/days-of-stock  a member's days of stock of every drug, random member
# The reads must not grow with history: the second ledger's p99 is compared with the first's.
# Settings: BENCH_SECONDS (15), BENCH_CONNECTIONS (32), DB_POOL_SIZE (8), BENCH_MOVEMENTS (10000000),
# BENCH_LOTS (3 lots of each drug at each member), BENCH_CONFIG (release; debug only to try the script), BENCH_REUSE
# (keep the province ledger of an earlier run).
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
admin_url=$(scripts/pg.sh url postgres)
config=${BENCH_CONFIG:-release}
[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c "$config" --product consortiumrx >/dev/null
bin=$(swift build -c "$config" --show-bin-path)/consortiumrx

fresh() {  # database: dropped and created empty
    psql -X -q "$admin_url" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
        -c "CREATE DATABASE $1"
}

prepare() {  # database: migrated and seeded with the demo; the bench's member and tokens
    export DATABASE_URL=$(scripts/pg.sh url "$1")
    "$bin" migrate >/dev/null
    if [ "$(psql -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM consortia WHERE code = 'JLTCM'")" = 0 ]; then
        "$bin" seed --demo >/dev/null
    fi
    # The member with the most lots on hand dispenses; reads go to every member and every drug held.
    member=$(psql -X -qAt "$DATABASE_URL" -c "SELECT i.code FROM institutions i JOIN consortia c ON c.id = i.consortium_id
        LEFT JOIN stock_on_hand s ON s.institution_id = i.id AND s.quantity > 0
        WHERE c.code = 'JLTCM' GROUP BY i.code ORDER BY count(s.id) DESC, i.code LIMIT 1")
    admin=$("$bin" token create --role consortium_admin --consortium JLTCM --name bench-stock)
    pharmacist=$("$bin" token create --role institution_pharmacist --consortium JLTCM --institution "$member" --name bench-dispense)
}

paths() {  # the read paths and the dispensable drugs, from the ledger as it is
    psql -X -qAt "$DATABASE_URL" -c "SELECT '/v1/institutions/' || i.code || '/stock?limit=20' FROM institutions i
        JOIN consortia c ON c.id = i.consortium_id AND c.code = 'JLTCM' ORDER BY i.code" > "$out/stock_member_paths.txt"
    sed 's|/stock?limit=20|/stock?limit=200|' "$out/stock_member_paths.txt" > "$out/stock_member200_paths.txt"
    sed 's|/stock?limit=20|/stock/days-of-stock|' "$out/stock_member_paths.txt" > "$out/stock_days_paths.txt"
    psql -X -qAt "$DATABASE_URL" -c "SELECT DISTINCT '/v1/consortia/JLTCM/stock/drugs/' || drug_code FROM stock_on_hand
        WHERE quantity > 0 ORDER BY 1" > "$out/stock_drug_paths.txt"
    # drug,location: a dispensing draws from one place (the demo's stock is in its members' pharmacies; the
    # generated lots are outside locations)
    psql -X -qAt -F, "$DATABASE_URL" -v member="$member" -f bench/stock_dispense_drugs.sql > "$out/stock_dispense_drugs.txt"
}

server=
start_server() {
    # The server's shortage rescans are off: on the province ledger a rescan is seconds of CPU a minute, which
    # bench/shortages.sh measures on its own; here only the endpoints are measured.
    LOG_LEVEL=warning DB_POOL_SIZE=$pool SHORTAGE_SCAN_SECONDS=0 "$bin" serve --port "$port" > "$out/stock-server.log" 2>&1 &
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
    local r member_rate member200_rate member_generated_rate drug_rate dispense_rate days_rate
    r=$(wrk_run "stock-healthz-$label" "http://127.0.0.1:$port/healthz")
    member_rate=$(BENCH_TOKEN=$admin wrk_run "stock-member-$label" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_member_paths.txt")
    member200_rate=$(BENCH_TOKEN=$admin wrk_run "stock-member200-$label" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_member200_paths.txt")
    # The same page through the generated server (an Accept the direct route leaves to it): what the route saves.
    member_generated_rate=$(BENCH_TOKEN=$admin BENCH_ACCEPT="application/json, text/plain" wrk_run "stock-member-generated-$label" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/stock_member_paths.txt")
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
    echo "| $label | GET /v1/institutions/{code}/stock?limit=20 | $member_rate | $(p99 "stock-member-$label") | $(non2xx "stock-member-$label") |"
    echo "| $label | GET /v1/institutions/{code}/stock?limit=200 | $member200_rate | $(p99 "stock-member200-$label") | $(non2xx "stock-member200-$label") |"
    echo "| $label | GET /v1/institutions/{code}/stock?limit=20, generated server | $member_generated_rate | $(p99 "stock-member-generated-$label") | $(non2xx "stock-member-generated-$label") |"
    echo "| $label | GET /v1/consortia/{code}/stock/drugs/{drug} | $drug_rate | $(p99 "stock-drug-$label") | $(non2xx "stock-drug-$label") |"
    echo "| $label | GET /v1/institutions/{code}/stock/days-of-stock | $days_rate | $(p99 "stock-days-$label") | $(non2xx "stock-days-$label") |"
    echo "| $label | POST /v1/institutions/{code}/dispensings | $dispense_rate | $(p99 "stock-dispense-$label") | $(non2xx "stock-dispense-$label") |"
}

{
    echo "| ledger | endpoint | req/s | p99 | non-2xx |"
    echo "|---|---|---|---|---|"
    fresh consortiumrx_stock_demo
    prepare consortiumrx_stock_demo
    ledger demo
    # The province ledger takes minutes to generate: BENCH_REUSE=1 keeps one already generated (migrated again).
    province=consortiumrx_stock_province
    held=$(psql -X -qAt "$admin_url" -c "SELECT 1 FROM pg_database WHERE datname = '$province'")
    if [ -n "${BENCH_REUSE:-}" ] && [ "$held" = 1 ] \
        && [ "$(psql -X -qAt "$(scripts/pg.sh url $province)" -c "SELECT count(*) >= $movements * 99 / 100 FROM stock_movements")" = t ]; then
        prepare "$province"
        generated="reused from an earlier run"
    else
        fresh "$province"
        prepare "$province"
        start=$(date +%s)
        psql -X -q "$DATABASE_URL" -v movements="$movements" -v lots="$lots" -f bench/stock_generate.sql > "$out/stock-generate.txt"
        generated="generated in $(( $(date +%s) - start )) s"
    fi
    ledger province
    echo
    echo "$(date -u +%F), $(nproc) cores, ${conns} connections, ${seconds}s each, pool ${pool}, $config build, log level warning;"
    echo "the province ledger $generated."
} | tee "$out/stock-results.md"
