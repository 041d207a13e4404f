#!/usr/bin/env bash
# `consortiumrx import prices` and `import herb-usage` on generated files of BENCH_LINES lines (200,000) and of
# BENCH_SMALL_LINES (20,000), each next to its peer measured in the same run:
#   peer   psql \copy of the same file into a plain table of text columns (the floor of getting the bytes in)
#   floor  the same rows written by one SQL statement each into the real tables, through the same keys and
#          exclusion constraints (bench/import_floor_*.sql): the floor of any import that keeps them
#   ours   the release binary: stream, COPY into a staging table, check set-based, apply; wall time and peak RSS
#          from /usr/bin/time -v
# Each import runs on a fresh copy of the seeded database (bench/import_generate.sql adds BENCH_LINES/2 drugs and
# BENCH_LINES/50 institutions), so every line is new: a price list prices each drug twice (two dates, so every
# first price is closed by the second), a usage file gives fifty decoction pieces for each institution. The price
# list's bid references are Chinese text, and it is read once more as GBK (--encoding gbk).
# Settings: BENCH_LINES, BENCH_SMALL_LINES, BENCH_SKIP_BUILD=1 (reuse the release binary), BENCH_ONLY=prices or
# BENCH_ONLY=herb-usage (one import only).
# Results: bench/out/import-results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

lines=${BENCH_LINES:-200000}
small=${BENCH_SMALL_LINES:-20000}
source bench/common.sh
template=consortiumrx_bench_imp_seed
db=consortiumrx_bench_imp
[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c release --product consortiumrx >/dev/null
bin=$(swift build -c release --show-bin-path)/consortiumrx

# The seeded database with the generated drugs and institutions, copied fresh for each run.
psql -X -q "$admin_url" -c "DROP DATABASE IF EXISTS $template WITH (FORCE)" -c "CREATE DATABASE $template"
DATABASE_URL=$(scripts/pg.sh url "$template") "$bin" migrate >/dev/null
DATABASE_URL=$(scripts/pg.sh url "$template") "$bin" seed --demo >/dev/null
psql -X -q "$(scripts/pg.sh url "$template")" -v lines="$lines" -f bench/import_generate.sql

fresh() {
    psql -X -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE $template"
}
export DATABASE_URL=$(scripts/pg.sh url "$db")
template_url=$(scripts/pg.sh url "$template")

prices="$out/prices-$lines.csv"
psql -X -q "$template_url" -c "COPY (
    SELECT d.code AS drug_code, ((10 + (row_number() OVER ()) % 900)::numeric / 10 + v.n)::numeric(14, 2) AS unit_price,
           'package' AS price_unit, '吉林省药品集中采购第' || v.n || '批 ' || d.code AS bid_reference,
           CASE v.n WHEN 1 THEN '2027-01-01' ELSE '2027-07-01' END AS effective_from
    FROM drugs d CROSS JOIN (VALUES (1), (2)) v (n)
    WHERE d.code LIKE 'BENCH-%' ORDER BY d.code, v.n LIMIT $lines
) TO STDOUT WITH (FORMAT csv, HEADER)" > "$prices"
usage="$out/usage-$lines.csv"
psql -X -q "$template_url" -c "COPY (
    SELECT i.code AS institution_code, p.code AS drug_code, 2025 AS year, (((row_number() OVER ()) % 5000)::numeric / 10)::numeric(14, 1) AS quantity_kg
    FROM institutions i CROSS JOIN (SELECT code FROM drugs WHERE category = 'decoction_piece' AND unit = 'kg' ORDER BY code LIMIT 50) p
    WHERE i.code LIKE 'BNCH-%' ORDER BY i.code, p.code LIMIT $lines
) TO STDOUT WITH (FORMAT csv, HEADER)" > "$usage"
iconv -f UTF-8 -t GB18030 "$prices" > "$out/prices-$lines-gbk.csv"
for f in prices usage; do head -n $((small + 1)) "$out/$f-$lines.csv" > "$out/$f-$small.csv"; done

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
wall() {  # /usr/bin/time -v's elapsed h:mm:ss or m:ss.ss, in seconds
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$1"
}
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / max(float(sys.argv[2]), 0.01):,.0f}')" "$1" "$2"; }

results="$out/import-results.md"
echo "| import | lines | \\copy s | schema floor s | ours s | ours lines/s | ours ÷ floor | peak RSS MiB | exit |" > "$results"
echo "|---|---|---|---|---|---|---|---|---|" >> "$results"
run() {  # kind file columns copy-options command…
    local kind=$1 file=$2 columns=$3 options=$4; shift 4
    local n=$(($(wc -l < "$file") - 1))
    fresh
    psql -X -q "$DATABASE_URL" -c "CREATE TABLE bench_copy ($columns)"
    t0=$(date +%s.%N)
    psql -X -q "$DATABASE_URL" -c "\\copy bench_copy FROM '$file' WITH (FORMAT csv, HEADER$options)"
    t1=$(date +%s.%N)
    local peer=$(seconds "$t0" "$t1")
    # The schema's floor: the same rows written into the real tables by one SQL statement each, then a fresh copy
    # of the database for the import itself.
    local base=${kind%-gbk} floor=-
    local floor_sql=bench/import_floor_${base//-/_}.sql
    if [ -f "$floor_sql" ]; then
        t0=$(date +%s.%N)
        psql -X -q "$DATABASE_URL" -f "$floor_sql"
        t1=$(date +%s.%N)
        floor=$(seconds "$t0" "$t1")
        fresh
    fi
    local status=0
    /usr/bin/time -v "$bin" "$@" "$file" --consortium JLTCM 2> "$out/time-$kind-$n.txt" > "$out/out-$kind-$n.txt" || status=$?
    local ours=$(wall "$out/time-$kind-$n.txt")
    local ratio=$(python3 -c "print(f'{$ours / max(float(\"$floor\".replace(\"-\", \"0\")), 0.01):.1f}')")
    echo "| $kind | $n | $peer | $floor | $ours | $(rate "$n" "$ours") | $ratio | $(rss "$out/time-$kind-$n.txt") | $status |" >> "$results"
    echo "$kind, $n lines: \\copy $peer s, schema floor $floor s, ours $ours s ($(rate "$n" "$ours") lines/s), peak RSS $(rss "$out/time-$kind-$n.txt") MiB, exit $status: $(cat "$out/out-$kind-$n.txt")"
    [ "$status" = 0 ] || { tail -5 "$out/time-$kind-$n.txt"; exit 1; }
}
price_columns="drug_code text, unit_price text, price_unit text, bid_reference text, effective_from text"
usage_columns="institution_code text, drug_code text, year text, quantity_kg text"
only=${BENCH_ONLY:-}
if [ -z "$only" ] || [ "$only" = prices ]; then
    run prices "$out/prices-$small.csv" "$price_columns" "" import prices
    run prices "$prices" "$price_columns" "" import prices
    run prices-gbk "$out/prices-$lines-gbk.csv" "$price_columns" ", ENCODING 'GB18030'" import prices --encoding gbk
fi
if [ -z "$only" ] || [ "$only" = herb-usage ]; then
    run herb-usage "$out/usage-$small.csv" "$usage_columns" "" import herb-usage
    run herb-usage "$usage" "$usage_columns" "" import herb-usage
fi
psql -X -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $template WITH (FORCE)"
cat "$results"
