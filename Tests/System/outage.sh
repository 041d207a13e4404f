#!/usr/bin/env bash
# Outages under load (issue 19.4): a server under a steady bounded load (30 requests a second over the drug
# lookup, the long-prescription check and a write) while its database is made unreachable for 3-8 s (its
# sessions terminated, new ones refused, then allowed again), 20 times. Passes when the server never exits, every
# request is answered within the lease timeout + 1 s, no answer is a 5xx other than 503 (which carries
# Retry-After), and after each outage the first 200 comes within 2 s. Takes about three minutes.
#
#   Tests/System/outage.sh   uses .build/debug/consortiumrx (CRX_BIN overrides), the private cluster of scripts/pg.sh
#                            (CRX_PG_PORT), a database crx_outage dropped and recreated each run (CRX_OUTAGE_DB overrides);
#                            OUTAGE_COUNT, OUTAGE_RATE and OUTAGE_LEASE_MS change the run (defaults 20, 30, 2000)
#
# All traffic goes to 127.0.0.1; the load and the run are bounded (Tests/System/outage_load.py).
# In scripts/test.sh. What it found, and what fixed it: a query written into a connection that had just closed was
# never answered (now checked open first, on the connection's event loop), and the pool's backoff held requests past
# the bound after the database returned (now renewed, DatabasePool); see docs/operations.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
db=${CRX_OUTAGE_DB:-crx_outage}
lease_ms=${OUTAGE_LEASE_MS:-2000}
[ -x "$bin" ] || { echo "outage.sh: $bin not found; run swift build first" >&2; exit 1; }
command -v psql >/dev/null || { echo "outage.sh: psql not found" >&2; exit 1; }

scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null

fail() { echo "outage test: FAILED: $*" >&2; exit 1; }
server_pid=
cleanup() {
    # The database must accept connections again whatever happened.
    psql -X -q "$admin_url" -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null 2>&1 || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    true
}
trap cleanup EXIT

export OUTAGE_TOKEN_AUDITOR OUTAGE_TOKEN_PRESCRIBER OUTAGE_TOKEN_ADMIN OUTAGE_DRUGS OUTAGE_CHECK_DRUG OUTAGE_ORDER_DRUG
OUTAGE_TOKEN_AUDITOR=$("$bin" token create --role auditor --consortium JLTCM --name "outage test")
OUTAGE_TOKEN_PRESCRIBER=$("$bin" token create --role prescriber --consortium JLTCM --name "outage test")
OUTAGE_TOKEN_ADMIN=$("$bin" token create --role procurement_officer --consortium JLTCM --institution YJ-TCMH --name "outage test")
OUTAGE_DRUGS=$(psql -X -qAt "$DATABASE_URL" -c "SELECT code FROM drugs ORDER BY code LIMIT 20")
OUTAGE_CHECK_DRUG=$(psql -X -qAt "$DATABASE_URL" -c "SELECT d.code FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code
    WHERE d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain
      AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%' ORDER BY d.code LIMIT 1")
# The write: a purchase order (a drug insert would make every server forget the check's cached context).
OUTAGE_ORDER_DRUG=$(psql -X -qAt "$DATABASE_URL" -c "SELECT c.drug_code FROM catalogue_items c JOIN price_agreements p
    ON p.drug_code = c.drug_code AND p.status = 'in_effect' JOIN drugs d ON d.code = c.drug_code WHERE c.version_number = 1
    AND cardinality(c.levels) = 0 AND d.category = 'western' ORDER BY c.drug_code LIMIT 1")
[ -n "$OUTAGE_ORDER_DRUG" ] || fail "no drug to order in the demo seed"
[ -n "$OUTAGE_CHECK_DRUG" ] || fail "no drug for the long-prescription check in the demo seed"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p .build/test-artifacts
log=.build/test-artifacts/outage-server.log
"$bin" serve --port "$port" --lease-timeout-ms "$lease_ms" --log-level error 2>"$log" &
server_pid=$!
for _ in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start ($log)"
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/readyz")" = 200 ] && break
    sleep 0.1
done

status=0
OUTAGE_PORT=$port OUTAGE_SERVER_PID=$server_pid OUTAGE_ADMIN_URL=$admin_url OUTAGE_DB=$db OUTAGE_LEASE_MS=$lease_ms \
    OUTAGE_TODAY=$(TZ=Asia/Shanghai date +%F) timeout 600 python3 Tests/System/outage_load.py || status=$?
kill -0 "$server_pid" 2>/dev/null || fail "the server exited during the outages ($log: $(grep -m1 -iE 'fatal|precondition' "$log" || tail -1 "$log"))"
[ "$status" = 0 ] || fail "see above (server log: $log)"

# SIGTERM during an outage, with requests in flight: each gets its answer (a 503 here), and the server stops
# within a bound (the lease timeout, plus the 5 s it gives requests still running, plus slack for a loaded machine).
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "ALTER DATABASE $db ALLOW_CONNECTIONS false" \
    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null
inflight=$(mktemp -d "${TMPDIR:-/tmp}/crx-outage.XXXXXX")
for i in $(seq 1 10); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H "Authorization: Bearer $OUTAGE_TOKEN_AUDITOR" \
        "http://127.0.0.1:$port/v1/drugs/$(echo "$OUTAGE_DRUGS" | sed -n "$i"p)" >"$inflight/$i" &
done
sleep 0.5
started=$(date +%s)
bound=$(( lease_ms / 1000 + 15 ))
kill -TERM "$server_pid"
for _ in $(seq 1 $(( bound * 10 ))); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null && fail "the server did not stop within $bound s of SIGTERM"
wait "$server_pid" 2>/dev/null || true
server_pid=
stopped=$(( $(date +%s) - started ))
wait
psql -X -q "$admin_url" -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null
answers=$(cat "$inflight"/* | sort | uniq -c | tr -s ' ' | paste -sd, -)
rm -rf "$inflight"
echo "$answers" | grep -qvE '^( ?[0-9]+ (503|200),?)+$' && fail "requests in flight at SIGTERM were answered: $answers (expected 503 or 200)"
echo "outage test: SIGTERM during an outage: the server stopped after ${stopped} s; requests in flight got ${answers}"
psql -X -q "$admin_url" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
