#!/usr/bin/env bash
# Dispensing, two builds side by side: `bash bench/dispense_ab.sh BEFORE_BIN AFTER_BIN` serves each binary in turn on
# the province ledger of bench/stock.sh (run that first, or BENCH_REUSE=1 bash bench/stock.sh), and measures
# POST /v1/institutions/{code}/dispensings with wrk (bench/dispense.lua), alternating, BENCH_ROUNDS times.
# Settings: BENCH_SECONDS (10), BENCH_CONNECTIONS (32), DB_POOL_SIZE (8), BENCH_ROUNDS (3).
# Copy a build aside before changing the code (cp .build/release/consortiumrx /tmp/before) to have a "before".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
before=${1:?"usage: bench/dispense_ab.sh BEFORE_BIN AFTER_BIN"}
after=${2:?"usage: bench/dispense_ab.sh BEFORE_BIN AFTER_BIN"}
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
pool=${DB_POOL_SIZE:-8}
rounds=${BENCH_ROUNDS:-3}
out=bench/out
mkdir -p "$out"

scripts/pg.sh start >/dev/null
export DATABASE_URL=$(scripts/pg.sh url consortiumrx_stock_province)
"$after" migrate >/dev/null
member=$(psql -X -qAt "$DATABASE_URL" -c "SELECT i.code FROM institutions i JOIN consortia c ON c.id = i.consortium_id
    LEFT JOIN stock_on_hand s ON s.institution_id = i.id AND s.quantity > 0
    WHERE c.code = 'JLTCM' GROUP BY i.code ORDER BY count(s.id) DESC, i.code LIMIT 1")
token=$("$after" token create --role institution_pharmacist --consortium JLTCM --institution "$member" --name bench-dispense-ab)
# The same choice of drugs as bench/stock.sh.
psql -X -qAt -F, "$DATABASE_URL" -v member="$member" -f bench/stock_dispense_drugs.sql > "$out/dispense_ab_drugs.txt"

server=
trap '[ -z "$server" ] || kill $server 2>/dev/null || true' EXIT
measure() {  # binary, label
    LOG_LEVEL=warning DB_POOL_SIZE=$pool SHORTAGE_SCAN_SECONDS=0 "$1" serve --port 18091 > "$out/dispense-ab-$2.log" 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 0.2; done
    local run=(-s bench/dispense.lua http://127.0.0.1:18091 -- "$out/dispense_ab_drugs.txt")
    BENCH_TOKEN=$token BENCH_MEMBER=$member wrk -t2 -c"$conns" -d3s "${run[@]}" >/dev/null
    BENCH_TOKEN=$token BENCH_MEMBER=$member wrk -t2 -c"$conns" -d"${seconds}s" --latency "${run[@]}" > "$out/wrk-dispense-ab-$2.txt"
    kill "$server"; wait "$server" 2>/dev/null || true; server=
    local w=$out/wrk-dispense-ab-$2.txt
    echo "| $2 | $(awk '/Requests\/sec/ {print $2}' "$w") | $(awk '$1 == "50%" {print $2}' "$w") | $(awk '$1 == "99%" {print $2}' "$w") | $(awk '/Non-2xx/ {print $NF}' "$w") |"
}
echo "| build, round | dispensings a second | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
for round in $(seq "$rounds"); do
    measure "$before" "before-$round"
    measure "$after" "after-$round"
done
