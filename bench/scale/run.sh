#!/usr/bin/env bash
# The main reads and reports of the API on a province's data at several sizes, in one run (issue 28). For each factor
# of BENCH_FACTORS a database `consortiumrx_scale_F` is made (migrated, the demo seed, then bench/scale/generate.sql at
# that factor; kept between runs and reused while its generator's checksum is unchanged), the release server serves
# it, and each read of the table below is asked by wrk for BENCH_SECONDS at BENCH_CONNECTIONS connections, as the
# demo consortium JLTCM (one of the province's 60; its members are the heaviest). Then, at the largest factor, each
# read is asked once more with auto_explain on, and the plans of every statement it ran are kept
# (bench/out/scale-explain.txt); a plan that scans a table of 100,000 rows or more sequentially is named in the table.
#
# Settings: BENCH_FACTORS ("1 10 100"), BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_THINK_MS (unset: none),
# DB_POOL_SIZE (8), BENCH_PORT (18083), BENCH_BIN (a binary instead of the release build), BENCH_SKIP_BUILD,
# BENCH_ONLY (an extended regular expression on the reads' labels), BENCH_REGENERATE (make the databases again),
# CRX_PG_PORT / CRX_PG_CLUSTER (the private cluster). Results: bench/out/scale.md; raw: bench/out/wrk-scale-*.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The reads: label | kind (point, page or report: the goal) | token's role | path, or @name for a file of paths made
# below. Goals: a point read or page p99 under 50 ms at 100× and within 2× of its 1× figure; a report under 1 s (at
# the connections, or else alone: the "alone" column is the median of five requests one at a time on the idle server).
# The "KB" column is the size of that first answer: where it grows with the data (a drug's lots, a full page at 100×
# against part of one at 1×), the ratio of p99s compares answers of different sizes.
reads=(
    "a drug|point|consortium_admin|@drugs"
    "a price in effect|point|consortium_admin|@prices"
    "the long-prescription check|point|prescriber|@check"
    "a drug across the consortium|point|consortium_admin|@stock_drugs"
    "the audit trail of an order|point|consortium_admin|@audit"
    "the catalogue in effect|page|consortium_admin|/v1/consortia/JLTCM/catalogue"
    "a member's orders|page|consortium_admin|@orders"
    "a member's stock on hand|page|consortium_admin|@stock"
    "open shortages|page|consortium_admin|/v1/consortia/JLTCM/shortages"
    "payables|report|finance|/v1/consortia/JLTCM/payables"
    "spend for a year|report|finance|@spend"
    "the catalogue report|report|consortium_admin|/v1/consortia/JLTCM/catalogue/report"
)
factors=${BENCH_FACTORS:-1 10 100}
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
pool=${DB_POOL_SIZE:-8}
port=${BENCH_PORT:-18083}
only=${BENCH_ONLY:-}
out=bench/out
mkdir -p "$out"
base="http://127.0.0.1:$port"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else echo "bench: install wrk (sudo apt-get install wrk)" >&2; exit 1; fi
fi
scripts/pg.sh start >/dev/null
admin=$(scripts/pg.sh url postgres)
pglog=$(scripts/pg.sh logfile)

if [ -n "${BENCH_BIN:-}" ]; then bin=$BENCH_BIN; build=$bin
else
    [ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c release --product consortiumrx >/dev/null
    bin=$(swift build -c release --show-bin-path)/consortiumrx; build="release build"
fi
generator=bench/scale/generate.sql
checksum=$(sha1sum "$generator" | cut -c1-12)

# A factor's database, made unless one made by the same generator is there. Prints the seconds the generator took.
database() {  # factor
    local db=consortiumrx_scale_$1 url; url=$(scripts/pg.sh url "consortiumrx_scale_$1")
    local kept
    kept=$(psql -X -qAt "$admin" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")
    if [ -n "$kept" ] && [ -z "${BENCH_REGENERATE:-}" ] &&
        [ "$(psql -X -qAt "$url" -c "SELECT value FROM bench_scale WHERE key = 'generator'" 2>/dev/null)" = "$checksum" ]; then
        # Migrations added since it was made (a migration that keeps new facts builds them from the data).
        DATABASE_URL=$url "$bin" migrate >/dev/null
        psql -X -qAt "$url" -c "SELECT value FROM bench_scale WHERE key = 'seconds'"
        return
    fi
    psql -X -q "$admin" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
        -c "CREATE DATABASE $db"
    DATABASE_URL=$url "$bin" migrate >/dev/null
    DATABASE_URL=$url "$bin" seed --demo >/dev/null
    local start=$SECONDS
    psql -X -q -v factor="$1" -f "$generator" "$url" > "$out/scale-generate-$1.txt"
    local took=$((SECONDS - start))
    psql -X -q "$url" -c "CREATE TABLE bench_scale (key text PRIMARY KEY, value text)" \
        -c "INSERT INTO bench_scale VALUES ('generator', '$checksum'), ('seconds', '$took')"
    echo "$took"
}

ms() {  # a wrk duration (us, ms, s, m) in milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
                           else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
latency() { ms "$(awk -v p="$2" '$1 == p {print $2; exit}' "$1")"; }  # wrk file, 50% or 99%
failures() {
    awk '/^non-200 responses:/ {n += $3} /Non-2xx or 3xx responses:/ {n += $5}
         /Socket errors:/ {for (i = 3; i <= NF; i++) n += $i + 0} END {print n + 0}' "$1"
}

# The paths of the @ reads for the database at $DATABASE_URL, in bench/out/scale-paths-NAME.txt.
paths() {
    local q="psql -X -qAt $DATABASE_URL -c"
    $q "SELECT '/v1/drugs/' || code FROM drugs ORDER BY md5(code) LIMIT 200" > "$out/scale-paths-drugs.txt"
    $q "SELECT '/v1/consortia/JLTCM/prices/' || p.drug_code FROM price_agreements p JOIN consortia c ON c.id = p.consortium_id
        WHERE c.code = 'JLTCM' AND p.status = 'in_effect' ORDER BY md5(p.drug_code) LIMIT 200" > "$out/scale-paths-prices.txt"
    $q "SELECT '/v1/consortia/JLTCM/stock/drugs/' || drug_code FROM (SELECT DISTINCT s.drug_code FROM stock_on_hand s
        JOIN consortia c ON c.id = s.consortium_id WHERE c.code = 'JLTCM' AND s.in_stock) d ORDER BY md5(drug_code) LIMIT 200" \
        > "$out/scale-paths-stock_drugs.txt"
    $q "SELECT '/v1/audit?entityType=purchase_order&entityKey=' || o.id FROM purchase_orders o JOIN consortia c
        ON c.id = o.consortium_id WHERE c.code = 'JLTCM' ORDER BY md5(o.id::text) LIMIT 200" > "$out/scale-paths-audit.txt"
    $q "SELECT '/v1/institutions/' || i.code || '/orders' FROM institutions i JOIN consortia c ON c.id = i.consortium_id
        WHERE c.code = 'JLTCM' ORDER BY i.code" > "$out/scale-paths-orders.txt"
    $q "SELECT '/v1/institutions/' || i.code || '/stock' FROM institutions i JOIN consortia c ON c.id = i.consortium_id
        WHERE c.code = 'JLTCM' ORDER BY i.code" > "$out/scale-paths-stock.txt"
    local year; year=$(( $(TZ=Asia/Shanghai date +%Y) - 1 ))
    echo "/v1/consortia/JLTCM/spend?from=$year-01-01&to=$year-12-31" > "$out/scale-paths-spend.txt"
    echo "(POST /v1/long-prescriptions/check)" > "$out/scale-paths-check.txt"
}

results=$out/scale-results.tsv
: > "$results"
largest=$(tr ' ' '\n' <<<"$factors" | grep . | sort -n | tail -n 1)
failed=0
for factor in $factors; do
    echo "bench: scale ${factor}×: making or finding consortiumrx_scale_$factor" >&2
    took=$(database "$factor")
    export DATABASE_URL; DATABASE_URL=$(scripts/pg.sh url "consortiumrx_scale_$factor")
    size=$(psql -X -qAt "$DATABASE_URL" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
    rows=$(psql -X -qAt "$DATABASE_URL" -c "SELECT sum(n_live_tup) FROM pg_stat_user_tables")
    # The day's shortage scan of every consortium, as the server's task (or cron) makes it at the start of a business
    # day, timed. The day is kept by the database (shortage_last_scans), so the server started below finds nothing due
    # while the reads are measured: before, each new server scanned the whole province a minute after it started.
    scan_start=$(date +%s.%N)
    for c in $(psql -X -qAt "$DATABASE_URL" -c "SELECT code FROM consortia ORDER BY code"); do
        "$bin" shortages scan --consortium "$c" >/dev/null
    done
    scanned=$(echo "$(date +%s.%N) - $scan_start" | bc | awk '{printf "%.1f", $1}')
    printf 'size\t%s\t%s\t%s\t%s\t%s\n' "$factor" "$size" "$rows" "$took" "$scanned" >> "$results"
    paths
    declare -A tokens=()
    for role in consortium_admin finance prescriber; do
        tokens[$role]=$("$bin" token create --role "$role" --consortium JLTCM --name "bench-scale-$role-$RANDOM")
    done
    export BENCH_DRUG BENCH_TODAY BENCH_PATIENT_PREFIX=SCALE-PT- BENCH_PATIENT_STEP=60 BENCH_PATIENT_MAX
    BENCH_TODAY=$(TZ=Asia/Shanghai date +%F)
    BENCH_PATIENT_MAX=$((1500 * factor))
    BENCH_DRUG=$(psql -X -qAt "$DATABASE_URL" -c "SELECT d.code FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code
        JOIN consortia co ON co.id = c.consortium_id AND co.code = 'JLTCM'
        WHERE d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain
          AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%' ORDER BY d.code LIMIT 1")

    serve() {  # starts the server on the factor's database, logging to bench/out/scale-server.log
        LOG_LEVEL=warning DB_POOL_SIZE=$pool "$bin" serve --port "$port" >> "$out/scale-server.log" 2>&1 &
        server=$!
        for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
        curl -sf -o /dev/null "$base/healthz" || { echo "bench: the server did not answer" >&2; exit 1; }
    }
    serve
    trap 'kill $server 2>/dev/null || true' EXIT
    for r in "${reads[@]}"; do
        IFS='|' read -r label kind role path <<<"$r"
        [ -z "$only" ] || grep -Eq -- "$only" <<<"$label" || continue
        slug=$(tr -c 'A-Za-z0-9\n' '-' <<<"$label" | tr -s '-' | sed 's/^-//; s/-$//' | tr 'A-Z' 'a-z')
        export BENCH_TOKEN=${tokens[$role]}
        if [ "$path" = @check ]; then args=(-s bench/long_rx_check.lua "$base")
        else
            if [ "${path:0:1}" = @ ]; then file=$out/scale-paths-${path:1}.txt; else file=$out/scale-paths-$slug.txt; echo "$path" > "$file"; fi
            first=$(head -n 1 "$file")
            status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $BENCH_TOKEN" "$base$first")
            if [ "$status" != 200 ]; then
                echo "bench: FAILED: $label: $first answers $status" >&2; failed=1
                printf 'read\t%s\t%s\t%s\t\t\t\tFAILED %s\t\n' "$factor" "$label" "$kind" "$status" >> "$results"; continue
            fi
            args=(-s bench/scale/reads.lua "$base" -- "$file")
        fi
        echo "bench: ${factor}× $label" >&2
        # Alone: the median of five requests one after another on the idle server (the path list's first).
        alone=—; kb=—
        if [ "$path" != @check ]; then
            alone=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $BENCH_TOKEN" \
                "$base$first"; done | sort -n | awk 'NR == 3 {printf "%.2f", $1 * 1000}')
        fi
        [ "$path" = @check ] || kb=$(curl -s -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $BENCH_TOKEN" \
            "$base$first" | awk '{printf "%.1f", $1 / 1024}')
        wrk -t2 -c"$conns" -d2s --timeout 30s "${args[@]}" >/dev/null
        wrk -t2 -c"$conns" -d"${seconds}s" --timeout 30s --latency "${args[@]}" > "$out/wrk-scale-$factor-$slug.txt"
        f=$out/wrk-scale-$factor-$slug.txt
        bad=$(failures "$f")
        [ "$bad" = 0 ] || { echo "bench: FAILED: $label: $bad answers not 200 ($f)" >&2; failed=1; }
        printf 'read\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$factor" "$label" "$kind" \
            "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$f")" "$(latency "$f" 50%)" "$(latency "$f" 99%)" \
            "$( [ "$bad" = 0 ] || echo "FAILED $bad not 200")" "$alone" "$kb" >> "$results"
    done
    kill "$server"; wait "$server" 2>/dev/null || true

    if [ "$factor" = "$largest" ]; then
        # Each read once more with auto_explain logging every statement's plan, with its actual rows and times.
        db=consortiumrx_scale_$factor
        psql -X -q "$admin" -c "ALTER DATABASE $db SET session_preload_libraries = 'auto_explain'" \
            -c "ALTER DATABASE $db SET auto_explain.log_min_duration = 0" \
            -c "ALTER DATABASE $db SET auto_explain.log_analyze = on" \
            -c "ALTER DATABASE $db SET auto_explain.log_level = warning"
        offset=$(stat -c %s "$pglog")
        serve
        : > "$out/scale-explain-marks.txt"
        for r in "${reads[@]}"; do
            IFS='|' read -r label kind role path <<<"$r"
            [ -z "$only" ] || grep -Eq -- "$only" <<<"$label" || continue
            [ "$path" != @check ] || continue
            slug=$(tr -c 'A-Za-z0-9\n' '-' <<<"$label" | tr -s '-' | sed 's/^-//; s/-$//' | tr 'A-Z' 'a-z')
            if [ "${path:0:1}" = @ ]; then file=$out/scale-paths-${path:1}.txt; else file=$out/scale-paths-$slug.txt; fi
            # A mark in the log, then the read twice (the first may fill a cache and run other statements).
            psql -X -q "$DATABASE_URL" -c "DO \$\$ BEGIN RAISE WARNING 'bench-scale-read: %', '${label//\'/\'\'}'; END \$\$" 2>/dev/null
            for _ in 1 2; do curl -s -o /dev/null -H "Authorization: Bearer ${tokens[$role]}" "$base$(head -n 1 "$file")"; done
        done
        kill "$server"; wait "$server" 2>/dev/null || true
        psql -X -q "$admin" -c "ALTER DATABASE $db RESET ALL"
        tail -c +"$((offset + 1))" "$pglog" > "$out/scale-explain.txt"
        python3 bench/scale/plans.py "$out/scale-explain.txt" "$DATABASE_URL" > "$out/scale-seqscans.tsv"
    fi
done

python3 - "$results" "$out/scale-seqscans.tsv" "$largest" <<'PY' | tee "$out/scale.md"
import sys, collections
results, seqscans, largest = sys.argv[1], sys.argv[2], sys.argv[3]
sizes, reads = {}, collections.OrderedDict()
for line in open(results, encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if f[0] == "size":
        sizes[f[1]] = f[2:]
    else:
        reads.setdefault((f[2], f[3]), {})[f[1]] = f[4:]
scans = collections.defaultdict(set)
try:
    for line in open(seqscans, encoding="utf-8"):
        label, table, rows = line.rstrip("\n").split("\t")
        scans[label].add(f"{table} ({int(rows):,} rows)")
except FileNotFoundError:
    pass
factors = list(sizes)
head = "| read | kind | " + " | ".join(f"{x}× KB | {x}× alone ms | {x}× p50 ms | {x}× p99 ms | {x}× req/s" for x in factors)
head += f" | p99 {factors[-1]}× ÷ {factors[0]}× | goal met | sequential scans at {largest}× |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for (label, kind), by in reads.items():
    cells, p99s, notes = [], {}, []
    for x in factors:
        rate, p50, p99, note, alone, kb = ((by.get(x) or ["", "", "", "not run", ""]) + [""])[:6]
        cells += [kb, alone, p50, p99, rate]
        if note:
            notes.append(f"{x}×: {note}")
        elif p99:
            p99s[x] = float(p99)
    ratio = ""
    if factors[0] in p99s and factors[-1] in p99s and p99s[factors[0]] > 0:
        ratio = f"{p99s[factors[-1]] / p99s[factors[0]]:.2f}"
    top = p99s.get(factors[-1])
    if notes:
        met = "**" + "; ".join(notes) + "**"
    elif top is None:
        met = ""
    elif kind == "report":
        alone = (by.get(factors[-1]) or [""] * 5)[4]
        met = "yes" if top < 1000 else ("alone, yes" if alone not in ("", "—") and float(alone) < 1000 else "**no**")
    else:
        met = "yes" if top < 50 and (not ratio or float(ratio) <= 2) else "**no**"
    print(f"| {label} | {kind} | " + " | ".join(cells) + f" | {ratio} | {met} | {', '.join(sorted(scans[label])) or '—'} |")
print()
for x in factors:
    size, rows, took, scanned = sizes[x]
    print(f"At {x}×: database {size}, {int(rows or 0):,} rows, generated in {took} s; the day's shortage scan of its"
          f" consortia (one `shortages scan` each, before the reads) took {scanned} s.")
PY
echo
echo "$(date -u '+%F %H:%M') UTC, $(nproc) cores, $conns connections, ${seconds}s a read after 2s of warm-up," \
    "$( [ "${BENCH_THINK_MS:-0}" = 0 ] && echo "no think time" || echo "think time about ${BENCH_THINK_MS} ms"), pool $pool, $build." |
    tee -a "$out/scale.md"
[ "$failed" = 0 ] || { echo "bench: FAILED (see above)" >&2; exit 1; }
