#!/usr/bin/env bash
# `consortiumrx reconcile invoices` on a generated file of BENCH_LINES lines (1,000,000) and on its first
# BENCH_SMALL_LINES (10,000), each next to the database's floor for the same work measured in the same run:
#   floor  psql \copy of the file into an unlogged table, ANALYZE, and one statement doing the same join
#          (bench/reconcile_floor.sql), its rows streamed to psql and thrown away
#   ours   the release binary, report as CSV to a file; wall time and peak RSS from /usr/bin/time -v
# The consortium is generated beside the demo seed (bench/reconcile_generate.sql): BENCH_LINES/20 institutions,
# two orders each of ten lines, each line received as its own lot; the file (bench/reconcile_file.sql) invoices
# every delivery, with one line in a hundred for each discrepancy class.
# Settings: BENCH_LINES, BENCH_SMALL_LINES, BENCH_SKIP_BUILD=1 (reuse the release binary),
# BENCH_SKIP_SETUP=1 (reuse the database and the file of an earlier run). Results: bench/out/reconcile-results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

lines=${BENCH_LINES:-1000000}
small=${BENCH_SMALL_LINES:-10000}
source bench/common.sh
db=consortiumrx_bench_rec
export DATABASE_URL=$(scripts/pg.sh url "$db")
[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c release --product consortiumrx >/dev/null
bin=$(swift build -c release --show-bin-path)/consortiumrx
as_of=$(TZ=Asia/Shanghai date +%F)
big="$out/invoices-$lines.csv"
little="$out/invoices-$small.csv"

if [ -z "${BENCH_SKIP_SETUP:-}" ] || [ ! -f "$big" ]; then
    psql -X -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    psql -X -q "$admin_url" -c "CREATE DATABASE $db"
    "$bin" migrate >/dev/null
    "$bin" seed --demo >/dev/null
    start=$(date +%s)
    psql -X -q "$DATABASE_URL" -v lines="$lines" -f bench/reconcile_generate.sql
    outside=$(psql -X -qAt "$DATABASE_URL" -c "SELECT code FROM drugs d WHERE NOT EXISTS (
        SELECT 1 FROM catalogue_items c WHERE c.drug_code = d.code) ORDER BY code LIMIT 1")
    { echo "\\set ON_ERROR_STOP on"; echo "\\set lines $lines"; echo "\\set outside_drug '$outside'"
      echo "COPY ("; grep -v '^--' bench/reconcile_file.sql; echo ") TO STDOUT WITH (FORMAT csv, HEADER);"
    } | psql -X -q "$DATABASE_URL" > "$big"
    echo "generated the consortium and $(($(wc -l < "$big") - 1)) invoice lines ($(du -h "$big" | cut -f1)) in $(($(date +%s) - start)) s"
fi
head -n $((small + 1)) "$big" > "$little"
consortium_id=$(psql -X -qAt "$DATABASE_URL" -c "SELECT id FROM consortia WHERE code = 'JLTCM'")

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
wall() {  # /usr/bin/time -v's elapsed h:mm:ss or m:ss.ss, in seconds
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$1"
}
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }

results="$out/reconcile-results.md"
echo "| lines | floor s | ours s | ours ÷ floor | peak RSS MiB | exit | discrepancies |" > "$results"
echo "|---|---|---|---|---|---|---|" >> "$results"
for file in "$little" "$big"; do
    n=$(($(wc -l < "$file") - 1))
    t0=$(date +%s.%N)
    sed "s|BENCH_FILE|$PWD/$file|" bench/reconcile_floor.sql \
        | psql -X -q "$DATABASE_URL" -v consortium_id="$consortium_id" -v as_of="$as_of" > "$out/floor-$n.txt"
    t1=$(date +%s.%N)
    floor=$(seconds "$t0" "$t1")

    psql -X -q "$DATABASE_URL" -c "DELETE FROM reconciliation_discrepancies" -c "DELETE FROM reconciliation_runs"
    status=0
    /usr/bin/time -v "$bin" reconcile invoices "$file" --consortium JLTCM --as-of "$as_of" --format csv \
        --output "$out/report-$n.csv" 2> "$out/time-$n.txt" || status=$?
    ours=$(wall "$out/time-$n.txt")
    found=$(($(wc -l < "$out/report-$n.csv") - 1))
    ratio=$(python3 -c "print(f'{$ours / $floor:.2f}')")
    echo "| $n | $floor | $ours | $ratio | $(rss "$out/time-$n.txt") | $status | $found |" >> "$results"
    echo "$n lines: floor $floor s, ours $ours s ($ratio×), peak RSS $(rss "$out/time-$n.txt") MiB, exit $status, $found discrepancies"
done
psql -X -qAt "$DATABASE_URL" -c "SELECT counts FROM reconciliation_runs ORDER BY id DESC LIMIT 1"
cat "$results"
