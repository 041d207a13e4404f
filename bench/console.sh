#!/usr/bin/env bash
# Load test of the web console (issue 26: each page's server time p95 under 50 ms with 32 concurrent logged-in
# sessions). Each page of the table below is requested by wrk for BENCH_SECONDS at BENCH_CONNECTIONS connections,
# each connection with a session of its own (bench/console.lua), beside the same server's GET /healthz (the ceiling).
# The server time is the server's own: the `duration_ms` of its request log lines (RequestLogMiddleware, at info),
# read back from its log for each page's run. Every answer must be 200: a 303 means a session was lost.
#
# Settings: BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_WARMUP seconds before each page (2), DB_POOL_SIZE (8),
# BENCH_PORT (18082), BENCH_BIN (a consortiumrx binary to use instead of building the release one), BENCH_SKIP_BUILD
# (reuse the release binary), BENCH_ONLY (an extended regular expression: only the pages whose label matches),
# BENCH_THINK_MS (each connection waits about that long before each request, as a person reading a page; unset, none:
# BENCH_CONNECTIONS requests always in flight), BENCH_DRUGS (10 drug pages), BENCH_BCRYPT_COST (4: logins are not
# measured), CRX_PG_PORT (the private cluster's port), BENCH_DATABASE (measure on this existing database instead of a
# fresh demo one, e.g. consortiumrx_scale_100 made by bench/scale/run.sh: the province-sized data; the bench's
# accounts then get a suffix of their own, and the draft and price history it adds are left out when already there).
# Results: bench/out/console.md; raw outputs bench/out/wrk-console-*.txt, bench/out/console-server.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The pages, one a line: label | role of the sessions that ask | path, or @name for the file of paths made below
# (bench/out/console-paths-NAME.txt: @drug a drug with its prices, several codes; @search the search, Chinese name
# fragments and pinyin initials; @lastpage the last page of version 1, after the code that ends the page before). A page that answers 404 is skipped with a line saying so (pages still being
# built); any other answer but 200 stops the page as a failure.
pages=(
    "home, consortium admin|consortium_admin|/console/"
    "home, pharmacist|institution_pharmacist|/console/"
    "home, prescriber|prescriber|/console/"
    "home, finance|finance|/console/"
    "drug search|prescriber|@search"
    "drug with its prices|consortium_admin|@drug"
    "catalogue in effect|institution_pharmacist|/console/catalogue"
    "catalogue, western essential|institution_pharmacist|/console/catalogue?category=western&essential=yes"
    "catalogue draft|consortium_admin|/console/catalogue/draft"
    "catalogue versions|consortium_admin|/console/catalogue/versions"
    "catalogue version 1|institution_pharmacist|/console/catalogue/versions/1"
    "catalogue version 1, last page|institution_pharmacist|@lastpage"
    "version diff 1 → 2|consortium_admin|/console/catalogue/diff?from=1&to=2"
    "share report|consortium_admin|/console/catalogue/report"
    "member's list|institution_pharmacist|/console/catalogue/members/YJ-TCMH"
    "long-prescription desk|prescriber|/console/long-prescriptions"
    "a patient's long prescriptions|prescriber|/console/long-prescriptions/patient?institution=JL-TCMH&ref=P-0001"
    "console accounts|consortium_admin|/console/users"
    "dashboard, consortium|consortium_admin|/console/dashboard"
    "dashboard, a member|institution_pharmacist|/console/dashboard?member=YJ-TCMH"
    "orders, every member's|consortium_admin|/console/orders"
    "statements of account|finance|/console/statements"
    "reconciliation runs|finance|/console/reconciliations"
    "stock of a member|institution_pharmacist|/console/stock"
    "stock near expiry|institution_pharmacist|/console/stock?expiry=near_expiry"
    "stock of a member, download|institution_pharmacist|/console/stock?format=csv"
    "open shortages|consortium_admin|/console/shortages"
    "extended prescriptions|consortium_admin|/console/extended-prescriptions"
    "preparation transfers|consortium_admin|/console/transfers"
    "herb rounds|consortium_admin|/console/herbs"
    "count sheets of a member|institution_pharmacist|/console/stock/counts"
    "consolidated orders|consortium_admin|/console/consolidations"
    "invoices|finance|/console/invoices"
    "payables|finance|/console/payables"
    "spend, the year to date|finance|/console/spend"
    "orders, download|consortium_admin|/console/orders?format=csv"
)
# The console accounts: name | role | institution | prescriber | display name. Sessions of a role go round its accounts.
accounts=(
    "bench-admin1|consortium_admin|||压测主任一"
    "bench-admin2|consortium_admin|||压测主任二"
    "bench-pharm1|institution_pharmacist|YJ-TCMH||压测药师一"
    "bench-pharm2|institution_pharmacist|SL-TCMH||压测药师二"
    "bench-doc1|prescriber|JL-TCMH|DR-JL-0001|压测医师一"
    "bench-doc2|prescriber|JL-TCMH|DR-JL-0002|压测医师二"
    "bench-fin1|finance|||压测财务一"
)
goal_ms=50

seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
warmup=${BENCH_WARMUP:-2}
pool=${DB_POOL_SIZE:-8}
port=${BENCH_PORT:-18082}
only=${BENCH_ONLY:-}
threads=2
out=bench/out
mkdir -p "$out"
base="http://127.0.0.1:$port"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else echo "bench: install wrk (sudo apt-get install wrk)" >&2; exit 1; fi
fi

scripts/pg.sh start >/dev/null
psql_url=$(scripts/pg.sh url postgres)
database=${BENCH_DATABASE:-consortiumrx_bench_console}
suffix=
if [ -z "${BENCH_DATABASE:-}" ]; then
    psql -X -q "$psql_url" -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database"
else
    suffix=-$(date +%s)
fi
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh url "$database")

if [ -n "${BENCH_BIN:-}" ]; then
    bin=$BENCH_BIN
    build="$bin"
else
    [ -n "${BENCH_SKIP_BUILD:-}" ] || swift build -c release --product consortiumrx >/dev/null
    bin=$(swift build -c release --show-bin-path)/consortiumrx
    build="release build"
fi
[ -x "$bin" ] || { echo "bench: $bin is not an executable" >&2; exit 1; }
"$bin" migrate >/dev/null
[ -n "${BENCH_DATABASE:-}" ] || "$bin" seed --demo >/dev/null
# Passwords hashed at a low bcrypt cost, as the browser test does: the bench logs in some hundred sessions, and a
# login is not what it measures (a page checks its session by the cookie's SHA-256, never by bcrypt).
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" \
    -c "UPDATE policy_defaults SET value = '${BENCH_BCRYPT_COST:-4}' WHERE key = 'console_bcrypt_cost'"

password="Bench-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12)"
for a in "${accounts[@]}"; do
    IFS='|' read -r name role institution prescriber display <<<"$a"
    args=(--name "$name$suffix" --role "$role" --consortium JLTCM --display-name "$display" --password-stdin)
    [ -z "$institution" ] || args+=(--institution "$institution")
    [ -z "$prescriber" ] || args+=(--prescriber "$prescriber")
    printf '%s\n' "$password" | "$bin" user create "${args[@]}" >/dev/null
done
token=$("$bin" token create --role consortium_admin --consortium JLTCM --name "bench-console$suffix")

# Paths: drug pages (BENCH_DRUGS drugs of the catalogue, each given a price history below), and search terms:
# Chinese fragments of names (two characters) and pinyin initials (`aldp` finds 氨氯地平).
drugs=${BENCH_DRUGS:-10}
psql -X -qAt "$DATABASE_URL" -c "SELECT code FROM drugs ORDER BY md5(code) LIMIT $drugs" > "$out/console-drugs.txt"
sed 's|^|/console/drugs/|' "$out/console-drugs.txt" > "$out/console-paths-drug.txt"
psql -X -qAt "$DATABASE_URL" > "$out/console-search-terms.txt" <<'SQL'
(SELECT left(generic_name, 2) FROM drugs WHERE char_length(generic_name) >= 3 ORDER BY md5(code) LIMIT 10)
UNION ALL
(SELECT left(split_part(pinyin_initials, ' ', 1), 4) FROM drugs
 WHERE char_length(split_part(pinyin_initials, ' ', 1)) >= 3 ORDER BY md5(code || 'pinyin') LIMIT 9)
UNION ALL SELECT 'aldp';
SQL
psql -X -qAt "$DATABASE_URL" -c "SELECT '/console/catalogue/versions/1?after=' || drug_code FROM (
    SELECT i.drug_code, row_number() OVER (ORDER BY i.drug_code) AS n, count(*) OVER () AS total
    FROM catalogue_items i JOIN consortia c ON c.id = i.consortium_id AND c.code = 'JLTCM'
    WHERE i.version_number = 1) v WHERE n = (total - 1) / 100 * 100" > "$out/console-paths-lastpage.txt"
python3 - "$out" <<'PY'
import sys, urllib.parse
out = sys.argv[1]
terms = [t for t in open(f"{out}/console-search-terms.txt", encoding="utf-8").read().split("\n") if t]
with open(f"{out}/console-paths-search.txt", "w") as f:
    f.write("".join(f"/console/drugs?q={urllib.parse.quote(t)}\n" for t in terms))
PY

# The server, logging each request at info (the lines the server times come from), on stderr to its log.
log=$out/console-server.log
LOG_LEVEL=info DB_POOL_SIZE=$pool "$bin" serve --port "$port" > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
curl -sf -o /dev/null "$base/healthz" || { echo "bench: the server did not answer on $base" >&2; tail -n 20 "$log" >&2; exit 1; }

# A draft of version 2 (a copy of version 1, the one in effect) with some items removed and some changed, through
# the API: the draft page then lists a whole catalogue, and the diff of 1 and 2 has rows. If the draft cannot be
# opened the run says so and goes on (the diff page then answers 404 and is skipped).
api() {  # method, path, [body]: prints the ETag of the answer; fails on any status but 2xx
    local headers; headers=$(mktemp)
    curl -sf -o /dev/null -D "$headers" -X "$1" "$base$2" -H "Authorization: Bearer $token" \
        ${etag:+-H "If-Match: $etag"} ${3:+-H "Content-Type: application/json" --data "$3"} || { rm -f "$headers"; return 1; }
    tr -d '\r' < "$headers" | awk 'tolower($1) == "etag:" {print $2}'
    rm -f "$headers"
}
etag=
if etag=$(api POST /v1/consortia/JLTCM/catalogue/versions); then
    n=0
    for code in $(psql -X -qAt "$DATABASE_URL" -c "SELECT drug_code FROM catalogue_items WHERE version_number = 1
                                                   ORDER BY md5(drug_code) LIMIT 20"); do
        n=$((n + 1))
        if [ $((n % 2)) = 0 ]; then
            etag=$(api DELETE "/v1/consortia/JLTCM/catalogue/versions/2/items/$code?reason=bench%EF%BC%9A%E8%B0%83%E5%87%BA")
        else
            etag=$(api PUT "/v1/consortia/JLTCM/catalogue/versions/2/items/$code" '{"levels": ["tertiary"], "note": "压测"}')
        fi
    done
else
    echo "bench: could not open a catalogue draft through the API: the draft page shows none, and the diff may be skipped" >&2
fi

# A price history for the drugs of the drug pages: the seed's one price, then two winning-bid prices that each
# close the one before.
while IFS='|' read -r code first second price unit; do
    for change in "$first|0.95" "$second|0.90"; do
        IFS='|' read -r from factor <<<"$change"
        etag= api POST /v1/consortia/JLTCM/price-agreements "$(printf '{"drugCode": "%s", "unitPrice": "%.2f", "priceUnit": "%s",
            "source": "provincial_bid", "reference": "BENCH-%s", "effectiveFrom": "%s"}' \
            "$code" "$(awk -v p="$price" -v f="$factor" 'BEGIN {print p * f}')" "$unit" "$from" "$from")" >/dev/null ||
            [ -n "${BENCH_DATABASE:-}" ]  # a database measured before has them already
    done
done < <(psql -X -qAt "$DATABASE_URL" -c "SELECT p.drug_code, greatest(p.requested_from + 30, current_date - 120),
             greatest(p.requested_from + 60, current_date - 30), p.unit_price, p.price_unit
         FROM price_agreements p JOIN consortia c ON c.id = p.consortium_id AND c.code = 'JLTCM'
         WHERE p.drug_code IN ($(sed "s/.*/'&'/" "$out/console-drugs.txt" | paste -sd,))")

# Sessions: BENCH_CONNECTIONS for each role of the table, each from a login of its own (a fresh cookie jar: a
# login ends the previous session of the browser that logs in), going round the role's accounts.
login() {  # user name: prints the session cookie
    local jar; jar=$(mktemp)
    local csrf
    csrf=$(curl -sf -c "$jar" "$base/console/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "user_name=$1" --data-urlencode "password=$password" "$base/console/login")
    local cookie; cookie=$(awk -F'\t' '$6 == "crx_session" {print $7}' "$jar")
    rm -f "$jar"
    if [ "$status" != 303 ] || [ -z "$cookie" ]; then echo "bench: login of $1 answered $status" >&2; return 1; fi
    echo "$cookie"
}
roles=$(printf '%s\n' "${pages[@]}" | cut -d'|' -f2 | sort -u)
for role in $roles; do
    names=()
    for a in "${accounts[@]}"; do
        if [ "$(cut -d'|' -f2 <<<"$a")" = "$role" ]; then names+=("$(cut -d'|' -f1 <<<"$a")"); fi
    done
    [ ${#names[@]} -gt 0 ] || { echo "bench: no account for role $role in the accounts table" >&2; exit 1; }
    : > "$out/console-sessions-$role.txt"
    for i in $(seq 0 $((conns - 1))); do login "${names[$((i % ${#names[@]}))]}$suffix" >> "$out/console-sessions-$role.txt"; done
done

ms() {  # a wrk duration (us, ms, s, m) in milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
                           else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
wrk_latency() { ms "$(awk -v p="$2" '$1 == p {print $2; exit}' "$1")"; }  # file, 50% or 99%
wrk_failures() {  # file: the count of answers that were not 200, and of socket errors
    awk '/^non-200 responses:/ {n += $3} /Non-2xx or 3xx responses:/ {n += $5}
         /Socket errors:/ {for (i = 3; i <= NF; i++) n += $i + 0} END {print n + 0}' "$1"
}
# The server times (ms) of the log lines from byte OFFSET on whose path is one of the file's paths (query left
# out: the server does not log it): "count p50 p95 p99 non-200 N×STATUS,...".
server_times() {  # paths file, offset
    python3 - "$log" "$2" "$1" <<'PY'
import re, sys, urllib.parse
log, offset, paths_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
norm = lambda p: urllib.parse.unquote(p.split("?", 1)[0])
paths = {norm(p) for p in open(paths_file, encoding="utf-8").read().split("\n") if p}
times, bad = [], {}
with open(log, "rb") as f:
    f.seek(offset)
    for line in f.read().decode("utf-8", "replace").split("\n"):
        d, p, s = (re.search(rf"(?:^| ){k}=(\S+)", line) for k in ("duration_ms", "path", "status"))
        if not (d and p and s) or norm(p.group(1)) not in paths:
            continue
        times.append(float(d.group(1)))
        if s.group(1) != "200":
            bad[s.group(1)] = bad.get(s.group(1), 0) + 1
times.sort()
def pct(q):  # nearest rank
    return times[max(0, -(-len(times) * q // 100) - 1)] if times else float("nan")
print(len(times), *(f"{pct(q):.2f}" for q in (50, 95, 99)), sum(bad.values()),
      ",".join(f"{n}×{status}" for status, n in sorted(bad.items())) or "-")
PY
}
settle() {  # waits for the requests still in flight when wrk stopped (the server's active requests, less this one)
    for _ in $(seq 600); do
        curl -sf "$base/metrics" | awk '/^http_server_active_requests/ {n += $2} END {exit !(n <= 1)}' && break
        sleep 0.2
    done
    local size=-1
    while [ "$size" != "$(stat -c %s "$log")" ]; do size=$(stat -c %s "$log"); sleep 0.2; done
}

# The ceiling: the same server's GET /healthz, same connections.
echo "/healthz" > "$out/console-paths-healthz.txt"
wrk -t$threads -c"$conns" -d2s "$base/healthz" >/dev/null
settle
offset=$(stat -c %s "$log")
wrk -t$threads -c"$conns" -d"${seconds}s" --latency "$base/healthz" > "$out/wrk-console-healthz.txt"
settle
read -r _ _ h_p95 _ h_bad _ <<<"$(server_times "$out/console-paths-healthz.txt" "$offset")"
h_rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out/wrk-console-healthz.txt")
h_p50=$(wrk_latency "$out/wrk-console-healthz.txt" 50%)
h_p99=$(wrk_latency "$out/wrk-console-healthz.txt" 99%)
failed=0
if [ "$(wrk_failures "$out/wrk-console-healthz.txt")" != 0 ] || [ "$h_bad" != 0 ]; then
    echo "bench: FAILED: GET /healthz had answers that were not 200 (bench/out/wrk-console-healthz.txt)" >&2; failed=1
fi

rows=()
skipped=()
for p in "${pages[@]}"; do
    IFS='|' read -r label role path <<<"$p"
    [ -z "$only" ] || grep -Eq -- "$only" <<<"$label" || continue
    slug=$(tr -c 'A-Za-z0-9\n' '-' <<<"$label" | tr -s '-' | sed 's/^-//; s/-$//' | tr 'A-Z' 'a-z')
    if [ "${path:0:1}" = @ ]; then paths=$out/console-paths-${path:1}.txt; shown="${path:1} ($(grep -c . "$paths") paths)"
    else paths=$out/console-paths-$slug.txt; echo "$path" > "$paths"; shown=$path; fi
    sessions=$out/console-sessions-$role.txt
    cookie=$(head -n 1 "$sessions")
    # Every path once: a 404 skips the page (not built yet), any other answer but 200 fails it.
    answer=
    while read -r one; do
        status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: crx_session=$cookie" "$base$one")
        [ "$status" = 200 ] || { answer="$status $one"; break; }
    done < "$paths"
    if [ "${answer%% *}" = 404 ]; then
        echo "bench: skipped $label: ${answer#* } answers 404 (not built yet?)" >&2
        skipped+=("$label (${answer#* }: 404)")
        continue
    elif [ -n "$answer" ]; then
        echo "bench: FAILED: $label: ${answer#* } answers ${answer%% *} to a $role session" >&2
        rows+=("| $label | $role | \`$shown\` | | | | | | | | **FAILED: ${answer%% *}** |")
        failed=1
        continue
    fi
    echo "bench: $label ($role): $shown" >&2
    wrk_args=(-t$threads -c"$conns" --timeout 30s -s bench/console.lua "$base" -- "$sessions" "$paths")
    [ "$warmup" = 0 ] || BENCH_THREADS=$threads wrk -d"${warmup}s" "${wrk_args[@]}" >/dev/null
    settle
    offset=$(stat -c %s "$log")
    BENCH_THREADS=$threads wrk -d"${seconds}s" --latency "${wrk_args[@]}" > "$out/wrk-console-$slug.txt"
    settle
    read -r count s50 s95 s99 bad statuses <<<"$(server_times "$paths" "$offset")"
    requests=$(awk '$2 == "requests" {print $1; exit}' "$out/wrk-console-$slug.txt")
    rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out/wrk-console-$slug.txt")
    met=$(awk -v p="$s95" -v g="$goal_ms" 'BEGIN {print (p < g) ? "yes" : "**no**"}')
    failures=$(wrk_failures "$out/wrk-console-$slug.txt")
    if [ "$failures" != 0 ] || [ "$bad" != 0 ]; then
        echo "bench: FAILED: $label: $failures answers not 200 or socket errors in wrk; in the server's log $bad" \
            "not 200 ($statuses) (bench/out/wrk-console-$slug.txt, $log)" >&2
        met="**FAILED: not 200: wrk $failures, server $statuses**"
        failed=1
    fi
    [ "$count" -ge "${requests:-0}" ] ||
        echo "bench: $label: the log has $count request lines for wrk's $requests requests" >&2
    c50=—; c99=—  # wrk has no latencies when no request ended within the run
    if [ "${requests:-0}" != 0 ]; then
        c50=$(wrk_latency "$out/wrk-console-$slug.txt" 50%); c99=$(wrk_latency "$out/wrk-console-$slug.txt" 99%)
    fi
    rows+=("| $label | $role | \`$shown\` | $requests | $rate | $c50 | $c99 | $s50 | $s95 | $s99 | $met |")
done
kill $server; wait $server 2>/dev/null || true

{
    echo "| page | role | path | requests | req/s | client p50 ms | client p99 ms | server p50 ms | server p95 ms | server p99 ms | server p95 < $goal_ms ms |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for r in ${rows[@]+"${rows[@]}"}; do echo "$r"; done
    echo
    echo "Ceiling, the same server's \`GET /healthz\` at the same connections: $h_rate req/s, client p50 $h_p50 ms," \
        "p99 $h_p99 ms, server p95 $h_p95 ms."
    for s in ${skipped[@]+"${skipped[@]}"}; do echo "Skipped, answers 404: $s."; done
    echo
    echo "$(date -u '+%F %H:%M') UTC, $(nproc) cores, $conns connections (one session each), ${seconds}s a page after" \
        "${warmup}s of warm-up, $( [ "${BENCH_THINK_MS:-0}" = 0 ] && echo "no think time" || echo "think time about ${BENCH_THINK_MS} ms"), pool $pool, $build, log level info."
} | tee "$out/console.md"

if [ "$failed" != 0 ]; then echo "bench: FAILED: some answers were not 200 (see above)" >&2; exit 1; fi
