#!/usr/bin/env bash
# The database's ceiling for issue 21's targets, measured in the same run as the server: on the province ledger of
# bench/stock.sh (run that first, or BENCH_REUSE=1 bash bench/stock.sh), each of the three measured paths twice,
# alternating:
#   - by pgbench, the statements the server sends for it and nothing else (bench/stock_ceiling_member.sql,
#     bench/stock_ceiling_drug.sql, bench/dispense_ceiling.sql): PostgreSQL alone on the machine's cores, with
#     pgbench as its client;
#   - through the server, by wrk, as bench/stock.sh measures it.
# Both at BENCH_CONNECTIONS (32) for BENCH_SECONDS (10) after 3 s of warm-up; pgbench also at the server's pool
# size (DB_POOL_SIZE, 8). p50 and p99 of pgbench from its per-transaction log.
# Usage: BENCH_BIN=.build/release/consortiumrx bash bench/stock_ceiling.sh   Results: bench/out/stock-ceiling.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${BENCH_BIN:-$(swift build -c release --show-bin-path)/consortiumrx}
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
pool=${DB_POOL_SIZE:-8}
rounds=${BENCH_ROUNDS:-2}
port=${BENCH_PORT:-18092}
out=bench/out
mkdir -p "$out"

scripts/pg.sh start >/dev/null
export DATABASE_URL=$(scripts/pg.sh url consortiumrx_stock_province)
"$bin" migrate >/dev/null
member=$(psql -X -qAt "$DATABASE_URL" -c "SELECT i.code FROM institutions i JOIN consortia c ON c.id = i.consortium_id
    LEFT JOIN stock_on_hand s ON s.institution_id = i.id AND s.quantity > 0
    WHERE c.code = 'JLTCM' GROUP BY i.code ORDER BY count(s.id) DESC, i.code LIMIT 1")
admin=$("$bin" token create --role consortium_admin --consortium JLTCM --name bench-ceiling)
pharmacist=$("$bin" token create --role institution_pharmacist --consortium JLTCM --institution "$member" --name bench-ceiling)
token_id=$(psql -X -qAt "$DATABASE_URL" -c "SELECT max(id) FROM api_tokens WHERE name = 'bench-ceiling'")

# The same choices as bench/stock.sh: every member, every drug held, the member's dispensable drugs.
psql -X -qAt "$DATABASE_URL" -c "SELECT '/v1/institutions/' || i.code || '/stock?limit=20' FROM institutions i
    JOIN consortia c ON c.id = i.consortium_id AND c.code = 'JLTCM' ORDER BY i.code" > "$out/ceiling_member_paths.txt"
psql -X -qAt "$DATABASE_URL" -c "SELECT DISTINCT '/v1/consortia/JLTCM/stock/drugs/' || drug_code FROM stock_on_hand
    WHERE quantity > 0 ORDER BY 1" > "$out/ceiling_drug_paths.txt"
psql -X -qAt -F, "$DATABASE_URL" -v member="$member" -f bench/stock_dispense_drugs.sql | awk -F, '$2 == ""' \
    > "$out/ceiling_dispense_drugs.txt"
psql -X -q "$DATABASE_URL" <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_read_members, bench_read_drugs, bench_dispense_drugs;
CREATE TABLE bench_read_members (n int PRIMARY KEY, code text NOT NULL);
CREATE TABLE bench_read_drugs (n int PRIMARY KEY, drug_code text NOT NULL);
CREATE TABLE bench_dispense_drugs (n int PRIMARY KEY, drug_code text NOT NULL);
SQL
load() {  # table, file of paths or lines: numbered from 1
    sed -e 's|.*/institutions/\([^/]*\)/stock.*|\1|' -e 's|.*/stock/drugs/||' -e 's|,.*||' "$2" | awk '{print NR "," $0}' |
        psql -X -q "$DATABASE_URL" -c "\\copy $1 FROM STDIN WITH (FORMAT csv)"
}
load bench_read_members "$out/ceiling_member_paths.txt"
load bench_read_drugs "$out/ceiling_drug_paths.txt"
load bench_dispense_drugs "$out/ceiling_dispense_drugs.txt"
psql -X -q "$DATABASE_URL" -c "ANALYZE bench_read_members, bench_read_drugs, bench_dispense_drugs"
members=$(wc -l < "$out/ceiling_member_paths.txt")
drugs=$(wc -l < "$out/ceiling_drug_paths.txt")
dispensable=$(wc -l < "$out/ceiling_dispense_drugs.txt")

pg() {  # label, clients, script: "| label | rate | p50 | p99 |" from pgbench's log
    local log=$out/pgbench-ceiling-${1// /-} n=$drugs
    [ "$3" != bench/dispense_ceiling.sql ] || n=$dispensable
    local vars=(-D members="$members" -D drugs="$n" -D member="$member" -D token="$token_id")
    rm -f "$log".*
    pgbench -n -M prepared -c "$2" -j 2 -T 3 "${vars[@]}" -f "$3" "$DATABASE_URL" >/dev/null
    (cd "$out" && pgbench -n -M prepared -c "$2" -j 2 -T "$seconds" -l --log-prefix="$(basename "$log")" \
        "${vars[@]}" -f "../../$3" "$DATABASE_URL" > "$(basename "$log").txt" 2>&1)
    local rate; rate=$(awk '/^tps/ {printf "%.0f", $3}' "$log.txt")
    cat "$log".[0-9]* | awk '{print $3}' | sort -n | awk -v rate="$rate" -v label="$1" \
        '{v[NR] = $1} END {printf "| %s | %s | %.1f ms | %.1f ms |\n", label, rate, v[int(NR * 0.5)] / 1000, v[int(NR * 0.99)] / 1000}'
}

server=
trap '[ -z "$server" ] || kill $server 2>/dev/null || true' EXIT
web() {  # label, wrk arguments...: "| label | rate | p50 | p99 |"
    local label=$1; shift
    wrk -t2 -c"$conns" -d3s "$@" >/dev/null
    wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" > "$out/wrk-ceiling-$label.txt"
    local w=$out/wrk-ceiling-$label.txt
    echo "| $label | $(awk '/Requests\/sec/ {printf "%.0f", $2}' "$w") | $(awk '$1 == "50%" {print $2}' "$w") | $(awk '$1 == "99%" {print $2}' "$w") |"
}
serve() {
    LOG_LEVEL=warning DB_POOL_SIZE=$pool SHORTAGE_SCAN_SECONDS=0 "$bin" serve --port "$port" > "$out/ceiling-server.log" 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }

{
echo "Province ledger: $(psql -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM stock_movements") movements; $(nproc) cores; $(date -u '+%F %H:%M UTC')"
echo
echo "| round, path | a second | p50 | p99 |"
echo "|---|---|---|---|"
for round in $(seq "$rounds"); do
    pg "$round pgbench member page c$conns" "$conns" bench/stock_ceiling_member.sql
    pg "$round pgbench member page c$pool" "$pool" bench/stock_ceiling_member.sql
    pg "$round pgbench drug across c$conns" "$conns" bench/stock_ceiling_drug.sql
    pg "$round pgbench drug across c$pool" "$pool" bench/stock_ceiling_drug.sql
    pg "$round pgbench dispensing c$conns" "$conns" bench/dispense_ceiling.sql
    pg "$round pgbench dispensing c$pool" "$pool" bench/dispense_ceiling.sql
    serve
    web "$round-server-healthz" "http://127.0.0.1:$port/healthz"
    BENCH_TOKEN=$admin web "$round-server-member" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/ceiling_member_paths.txt"
    BENCH_TOKEN=$admin web "$round-server-drug" -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/ceiling_drug_paths.txt"
    BENCH_TOKEN=$pharmacist BENCH_MEMBER=$member web "$round-server-dispensing" -s bench/dispense.lua "http://127.0.0.1:$port" -- "$out/ceiling_dispense_drugs.txt"
    stop
done
} | tee "$out/stock-ceiling.md"
psql -X -q "$DATABASE_URL" -c "DROP TABLE bench_read_members, bench_read_drugs, bench_dispense_drugs"
