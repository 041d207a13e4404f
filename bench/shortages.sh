#!/usr/bin/env bash
# The shortage scan (issue 22) on a release build: `consortiumrx shortages scan --consortium BENCHSC` on a
# province-sized ledger (bench/shortage_generate.sql: BENCH_MEMBERS members × BENCH_DRUGS drugs, BENCH_MOVEMENTS
# movements), timed three times: the first scan (opens the records), a second the same day (nothing changes), and a
# scan the next business day (a day passing: days of stock and signals seen again). The target is under 10 s each
# on 100 members × 1,000 drugs × 10 M movements.
# Settings: BENCH_MOVEMENTS (10000000), BENCH_MEMBERS (100), BENCH_DRUGS (1000), BENCH_CONFIG (release; debug with a
# small BENCH_MOVEMENTS only to try the script), BENCH_SKIP_BUILD, BENCH_SETUP_ONLY (generate the ledger and stop),
# BENCH_SKIP_SETUP (time the scans on the ledger an earlier run generated).
# Results: bench/out/shortages-results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

movements=${BENCH_MOVEMENTS:-10000000}
members=${BENCH_MEMBERS:-100}
drugs=${BENCH_DRUGS:-1000}
out=bench/out
mkdir -p "$out"

scripts/pg.sh start >/dev/null
export DATABASE_URL=$(scripts/pg.sh url consortiumrx_shortage_bench)
config=${BENCH_CONFIG:-release}
[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c "$config" --product consortiumrx >/dev/null
bin=$(swift build -c "$config" --show-bin-path)/consortiumrx

if [ -z "${BENCH_SKIP_SETUP:-}" ]; then
    psql -X -q "$(scripts/pg.sh url postgres)" -c "DROP DATABASE IF EXISTS consortiumrx_shortage_bench WITH (FORCE)" \
        -c "CREATE DATABASE consortiumrx_shortage_bench"
    "$bin" migrate >/dev/null
    "$bin" seed --demo >/dev/null
    start=$(date +%s)
    psql -X -q "$DATABASE_URL" -v movements="$movements" -v members="$members" -v drugs="$drugs" \
        -f bench/shortage_generate.sql > "$out/shortage-generate.txt"
    echo "$(( $(date +%s) - start ))" > "$out/shortage-generate-seconds.txt"
    [ -z "${BENCH_SETUP_ONLY:-}" ] || exit 0
else
    "$bin" migrate >/dev/null
fi
generated=$(cat "$out/shortage-generate-seconds.txt")

timed() {  # label, then the scan's arguments: prints "label | seconds | summary"
    local label=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" shortages scan --consortium BENCHSC "$@" > "$out/shortage-scan-$label.txt"
    t1=$(date +%s.%N)
    echo "| $label | $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') | $(tail -1 "$out/shortage-scan-$label.txt") |"
}

today=$(TZ=Asia/Shanghai date +%F)
tomorrow=$(TZ=Asia/Shanghai date -d tomorrow +%F)
{
    echo "| scan | seconds | what it did |"
    echo "|---|---|---|"
    timed first --as-of "$today"
    timed again --as-of "$today"
    timed next-day --as-of "$tomorrow"
    echo
    moves=$(psql -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM stock_movements m JOIN consortia c ON c.id = m.consortium_id WHERE c.code = 'BENCHSC'")
    open=$(psql -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM shortages s JOIN consortia c ON c.id = s.consortium_id WHERE c.code = 'BENCHSC' AND s.status = 'open'")
    echo "$(date -u +%F), $(nproc) cores, $config build; $members members × $drugs drugs, $moves movements"
    echo "(generated in ${generated} s); $open shortages open after the scans. Target: each scan under 10 s."
} | tee "$out/shortages-results.md"
