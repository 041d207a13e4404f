#!/usr/bin/env bash
# `consortiumrx reconcile invoices` on a generated file of BENCH_LINES lines (5,000,000) and on its first
# BENCH_SMALL_LINES (10,000 and 1,000,000), each next to, measured in the same run on the same file and database:
#   floor   psql \copy of the file into an unlogged table, ANALYZE, and one statement doing the same join
#           (bench/reconcile_floor.sql), its rows streamed to psql and thrown away
#   pandas  bench/peers/reconcile_pandas.py: the consortium's facts copied out of PostgreSQL, read_csv, merge, classify
#   duckdb  bench/peers/reconcile_duckdb.py: the same facts, read_csv and one SQL statement in DuckDB
#   ours    the release binary, report as CSV to a file
# Wall time and peak RSS from /usr/bin/time -v. The peers run in a virtual environment (bench/out/peers-venv) with
# pandas and duckdb from PyPI, made on the first run. Each peer's report is compared line by line with ours.
# The consortium is generated beside the demo seed (bench/reconcile_generate.sql): BENCH_LINES/20 institutions,
# two orders each of ten lines, each line received as its own lot; the file (bench/reconcile_file.sql) invoices
# every delivery, with one line in a hundred for each discrepancy class; the smaller files are its first lines.
# Settings: BENCH_LINES, BENCH_SMALL_LINES, BENCH_SKIP_BUILD=1 (reuse the release binary),
# BENCH_SKIP_SETUP=1 (reuse the database and the file of an earlier run of the same BENCH_LINES),
# BENCH_PEERS=0 (ours and the floor only). Results: bench/out/reconcile-results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

lines=${BENCH_LINES:-5000000}
small=${BENCH_SMALL_LINES:-10000 1000000}
source bench/common.sh
db=consortiumrx_bench_rec
export DATABASE_URL=$(scripts/pg.sh url "$db")
[ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c release --product consortiumrx >/dev/null
bin=$(swift build -c release --show-bin-path)/consortiumrx
as_of=$(TZ=Asia/Shanghai date +%F)
big="$out/invoices-$lines.csv"

peers=${BENCH_PEERS:-1}
venv=$out/peers-venv
if [ "$peers" = 1 ] && [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || {
        if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        else echo "bench: install python3-venv (sudo apt-get install python3-venv)" >&2; exit 1; fi
        rm -rf "$venv"; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q pandas duckdb
fi

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
files=()
for n in $small; do
    [ "$n" -lt "$lines" ] || continue
    head -n $((n + 1)) "$big" > "$out/invoices-$n.csv"
    files+=("$out/invoices-$n.csv")
done
files+=("$big")
consortium_id=$(psql -X -qAt "$DATABASE_URL" -c "SELECT id FROM consortia WHERE code = 'JLTCM'")

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
wall() {  # /usr/bin/time -v's elapsed h:mm:ss or m:ss.ss, in seconds
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$1"
}
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
pairs() { tail -n +2 "$1" | cut -d, -f1,2 | sort; }  # a report's (line, classification) pairs
agree() {  # ours, a peer's report: "yes" or how many pairs differ
    local d
    d=$(comm -3 <(pairs "$1") <(pairs "$2") | wc -l)
    if [ "$d" = 0 ]; then echo yes; else echo "$d pairs differ"; fi
}
peer() {  # name, file, lines: runs bench/peers/reconcile_NAME.py; prints "seconds RSS agreement"
    local status=0
    (cd bench/peers && /usr/bin/time -v "../../$venv/bin/python" "reconcile_$1.py" "$DATABASE_URL" "$consortium_id" \
        "$as_of" "$PWD/../../$2" "$PWD/../../$out/report-$1-$3.csv") 2> "$out/time-$1-$3.txt" || status=$?
    if [ "$status" != 0 ]; then echo "failed failed exit-$status"; return; fi
    echo "$(wall "$out/time-$1-$3.txt") $(rss "$out/time-$1-$3.txt") $(agree "$out/report-$3.csv" "$out/report-$1-$3.csv")"
}

results="$out/reconcile-results.md"
{
    echo "| lines | floor s | pandas s | DuckDB s | ours s | ours ÷ DuckDB | ours ÷ floor | peak RSS MiB: pandas / DuckDB / ours | exit | discrepancies | peers agree with ours (pandas / DuckDB) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
} > "$results"
for file in "${files[@]}"; do
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
    pandas=(- - -); duck=(- - -)
    if [ "$peers" = 1 ]; then
        read -r -a pandas <<< "$(peer pandas "$file" "$n")"
        read -r -a duck <<< "$(peer duckdb "$file" "$n")"
    fi
    by_duck=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}' if sys.argv[2] not in ('-', 'failed') else '-')" "$ours" "${duck[0]}")
    by_floor=$(python3 -c "print(f'{$ours / $floor:.2f}')")
    echo "| $n | $floor | ${pandas[0]} | ${duck[0]} | $ours | $by_duck | $by_floor | ${pandas[1]} / ${duck[1]} / $(rss "$out/time-$n.txt") | $status | $found | ${pandas[*]:2} / ${duck[*]:2} |" >> "$results"
    echo "$n lines: floor $floor s, pandas ${pandas[0]} s, DuckDB ${duck[0]} s, ours $ours s (${by_duck}× DuckDB), peak RSS $(rss "$out/time-$n.txt") MiB, exit $status, $found discrepancies"
done
psql -X -qAt "$DATABASE_URL" -c "SELECT counts FROM reconciliation_runs ORDER BY id DESC LIMIT 1"
cat "$results"
