#!/usr/bin/env bash
# Load test of a release build on loopback, each figure next to its ceilings measured in the same run:
#   R  the same server's GET /healthz rate (wrk)
#   T  pgbench running the endpoint's own SQL, prepared (extended protocol), at the same concurrency
#   C  = 1 / (1/R + 1/T), what a one-query endpoint can reach on shared cores
# Settings: BENCH_SECONDS (15), BENCH_CONNECTIONS (32), DB_POOL_SIZE (8). Results: bench/out/results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-32}
pool=${DB_POOL_SIZE:-8}
port=${BENCH_PORT:-18080}
out=bench/out
mkdir -p "$out"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else echo "bench: install wrk (sudo apt-get install wrk)" >&2; exit 1; fi
fi
command -v pgbench >/dev/null || { echo "bench: pgbench is needed (apt-get install postgresql-client)" >&2; exit 1; }

scripts/pg.sh start >/dev/null
psql_url=$(scripts/pg.sh url postgres)
psql -X -q "$psql_url" -c "DROP DATABASE IF EXISTS consortiumrx_bench WITH (FORCE)" -c "CREATE DATABASE consortiumrx_bench"
export DATABASE_URL=$(scripts/pg.sh url consortiumrx_bench)

[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c release --product consortiumrx >/dev/null
bin=$(swift build -c release --show-bin-path)/consortiumrx
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null
export BENCH_TOKEN=$("$bin" token create --role prescriber --consortium JLTCM --name bench)

# Inputs: every drug code, and search terms taken from the names.
psql -X -qAt "$DATABASE_URL" -c "SELECT '/v1/drugs/' || code FROM drugs ORDER BY code" > "$out/drug_paths.txt"
psql -X -qAt "$DATABASE_URL" -c "SELECT DISTINCT left(generic_name, 1) FROM drugs ORDER BY 1" > "$out/terms.txt"
python3 - "$out" <<'PY'
import sys, urllib.parse
out = sys.argv[1]
terms = [t for t in open(f"{out}/terms.txt", encoding="utf-8").read().split("\n") if t]
open(f"{out}/search_paths.txt", "w").write("".join(f"/v1/drugs?q={urllib.parse.quote(t)}&limit=20\n" for t in terms))
codes = [l.rsplit("/", 1)[1] for l in open(f"{out}/drug_paths.txt").read().split("\n") if l]
arr = "ARRAY[" + ",".join("'" + c + "'" for c in codes) + "]"
cols = ("d.code, d.generic_name, d.name_en, d.dosage_form, d.strength, d.package_size, d.package_unit, d.unit, "
        "d.manufacturer, d.atc_code, d.category, d.insurance_class, d.control_class, d.antimicrobial, d.cold_chain, "
        "d.herb_name, d.processing, d.grade, "
        "ARRAY(SELECT e.edition FROM drug_essential_editions e WHERE e.drug_code = d.code ORDER BY e.edition)")
with open(f"{out}/drug_by_code.sql", "w") as f:
    f.write(f"\\set i random(1, {len(codes)})\nSELECT {cols} FROM drugs d WHERE d.code = ({arr})[:i];\n")
tarr = "ARRAY[" + ",".join("'" + t.replace("'", "''") + "'" for t in terms) + "]"
with open(f"{out}/drug_search.sql", "w") as f:
    f.write(f"\\set i random(1, {len(terms)})\n"
            f"SELECT {cols} FROM drugs d WHERE d.code > '' AND d.generic_name LIKE '%' || ({tarr})[:i] || '%' ESCAPE '\\' "
            f"ORDER BY d.code LIMIT 21;\n")
PY

LOG_LEVEL=warning DB_POOL_SIZE=$pool "$bin" serve --port "$port" > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }  # the server's user + system CPU, in clock ticks
wrk_run() {  # label, then wrk arguments; also writes the server's CPU time per request (µs) to cpu-LABEL.txt
    local label=$1; shift
    local before; before=$(ticks)
    wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" > "$out/wrk-$label.txt"
    local after; after=$(ticks)
    awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" '$2 == "requests" {printf "%.0f\n", t * 1e6 / hz / $1}' \
        "$out/wrk-$label.txt" > "$out/cpu-$label.txt"
    awk '/Requests\/sec/ {print $2}' "$out/wrk-$label.txt"
}
cpu() { cat "$out/cpu-$1.txt"; }
p99() { awk '$1 == "99%" {print $2}' "$out/wrk-$1.txt"; }
pgb() {  # label, script
    pgbench -n -M prepared -c "$conns" -j 2 -T "$seconds" -f "$2" "$DATABASE_URL" > "$out/pgbench-$1.txt" 2>&1
    awk '/^tps/ {print $3; exit}' "$out/pgbench-$1.txt"
}
ceiling() { python3 -c "r, t = $1, $2; print(f'{1 / (1 / r + 1 / t):.0f}')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

curl -sf -o /dev/null "http://127.0.0.1:$port/v1/drugs?limit=1" -H "Authorization: Bearer $BENCH_TOKEN"
wrk -t2 -c"$conns" -d3s -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/drug_paths.txt" >/dev/null  # warm-up

R=$(wrk_run healthz "http://127.0.0.1:$port/healthz")
get=$(wrk_run drug-by-code -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/drug_paths.txt")
search=$(wrk_run drug-search -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/search_paths.txt")

# The long-prescription check: its rules and catalogues are cached, so it costs the patient's one query.
export BENCH_DRUG=$(psql -X -qAt "$DATABASE_URL" -c "SELECT d.code FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code
    WHERE d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain
      AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%' ORDER BY d.code LIMIT 1")
export BENCH_TODAY=$(TZ=Asia/Shanghai date +%F)
consortium_id=$(psql -X -qAt "$DATABASE_URL" -c "SELECT id FROM consortia WHERE code = 'JLTCM'")
cat > "$out/long_rx_check.sql" <<SQL
\\set p random(1, 100000)
SELECT lp.consortium_id, lp.patient_ref, lp.drug_code, lp.id, (lp.start_date + lp.days - 1)::text
FROM unnest(ARRAY[$consortium_id]::bigint[], ARRAY['P-' || :p]::text[]) AS k(consortium_id, patient_ref)
JOIN long_prescriptions lp ON lp.consortium_id = k.consortium_id AND lp.patient_ref = k.patient_ref
WHERE lp.status = 'active' ORDER BY lp.start_date;
SQL
wrk -t2 -c"$conns" -d3s -s bench/long_rx_check.lua "http://127.0.0.1:$port" >/dev/null  # warm-up: the first check loads the cache
check=$(wrk_run long-rx-check -s bench/long_rx_check.lua "http://127.0.0.1:$port")
# The two hot operations again through the generated server: an Accept that also names another type is not the
# direct routes' to answer (Sources/RxAPI/HotPaths), so these show what the direct routes save.
export BENCH_ACCEPT="application/json, text/plain"
get_gen=$(wrk_run drug-by-code-generated -s bench/random_path.lua "http://127.0.0.1:$port" -- "$out/drug_paths.txt")
check_gen=$(wrk_run long-rx-check-generated -s bench/long_rx_check.lua "http://127.0.0.1:$port")
unset BENCH_ACCEPT
kill $server; wait $server 2>/dev/null || true
T_get=$(pgb drug-by-code "$out/drug_by_code.sql")
T_search=$(pgb drug-search "$out/drug_search.sql")
T_check=$(pgb long-rx-check "$out/long_rx_check.sql")
C_get=$(ceiling "$R" "$T_get")
C_search=$(ceiling "$R" "$T_search")
C_check=$(ceiling "$R" "$T_check")

{
    echo "| endpoint | req/s | p99 | R (/healthz) | T (pgbench) | C | req/s ÷ C | server CPU µs/req |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| GET /healthz | $R | $(p99 healthz) | | | | | $(cpu healthz) |"
    echo "| GET /v1/drugs/{code} | $get | $(p99 drug-by-code) | $R | $T_get | $C_get | $(ratio "$get" "$C_get") | $(cpu drug-by-code) |"
    echo "| GET /v1/drugs?q=… | $search | $(p99 drug-search) | $R | $T_search | $C_search | $(ratio "$search" "$C_search") | $(cpu drug-search) |"
    echo "| POST /v1/long-prescriptions/check | $check | $(p99 long-rx-check) | $R | $T_check | $C_check | $(ratio "$check" "$C_check") | $(cpu long-rx-check) |"
    echo "| GET /v1/drugs/{code}, generated server | $get_gen | $(p99 drug-by-code-generated) | $R | $T_get | $C_get | $(ratio "$get_gen" "$C_get") | $(cpu drug-by-code-generated) |"
    echo "| POST /v1/long-prescriptions/check, generated server | $check_gen | $(p99 long-rx-check-generated) | $R | $T_check | $C_check | $(ratio "$check_gen" "$C_check") | $(cpu long-rx-check-generated) |"
    echo
    echo "$(date -u +%F), $(nproc) cores, ${conns} connections, ${seconds}s each, pool ${pool}, release build, log level warning."
} | tee "$out/results.md"
