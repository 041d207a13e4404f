#!/usr/bin/env bash
# Concurrent writers on two servers (issue 10): two `consortiumrx serve` on one fresh database, many clients racing
# over both on what must not double, then the database is checked (Tests/System/race_test.py).
#
#   Tests/System/race.sh [--only abcde]   uses .build/debug/consortiumrx (CRX_BIN overrides), the private cluster of scripts/pg.sh
#                                (CRX_PG_PORT), a database crx_race dropped and recreated each run (CRX_RACE_DB overrides)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
db=${CRX_RACE_DB:-crx_race}
[ -x "$bin" ] || { echo "race.sh: $bin not found; run swift build first" >&2; exit 1; }

scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"

"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null

token() { "$bin" token create --consortium JLTCM --name "race test" "$@"; }
export CRX_RACE_ADMIN CRX_RACE_REGULATOR CRX_RACE_PRODUCER CRX_RACE_OFFICER CRX_RACE_PRESCRIBER CRX_RACE_MASTER
CRX_RACE_ADMIN=$(token --role consortium_admin)
CRX_RACE_REGULATOR=$(token --role regulator)
CRX_RACE_PRODUCER=$(token --role institution_pharmacist --institution JL-TCMH)
CRX_RACE_OFFICER=$(token --role procurement_officer --institution YJ-TCMH)
CRX_RACE_PRESCRIBER=$(token --role prescriber --institution CY-BJL-CHC)
# Drugs are national master data (issue 18.12): their role belongs to no consortium.
CRX_RACE_MASTER=$("$bin" token create --role master_data_admin --name "race test")

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/crx-race.XXXXXX")
pids=()
stop_servers() {
    for pid in ${pids[@]+"${pids[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in ${pids[@]+"${pids[@]}"}; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap stop_servers EXIT

urls=()
for i in 1 2; do
    port=$(free_port)
    # A lease wait longer than the clients' own timeout: this test is about what must not double, on a loaded
    # machine; the bounded 503 has its own tests (ReliabilityTests, restart.sh).
    "$bin" serve --host 127.0.0.1 --port "$port" --log-level warning --lease-timeout-ms 30000 2>"$work/server$i.log" &
    pids+=($!)
    urls+=("http://127.0.0.1:$port")
done

ready() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2)' "$1" 2>/dev/null; }
for i in 0 1; do
    for attempt in $(seq 100); do
        ready "${urls[$i]}" && break
        if ! kill -0 "${pids[$i]}" 2>/dev/null || [ "$attempt" = 100 ]; then
            echo "race.sh: server $((i + 1)) did not become ready on ${urls[$i]}" >&2
            cat "$work/server$((i + 1)).log" >&2
            exit 1
        fi
        sleep 0.1
    done
done

status=0
# Bounded as a whole too (each request has its own timeout in race_test.py); `timeout` where there is one.
limit=(); command -v timeout >/dev/null 2>&1 && limit=(timeout 150)
${limit[@]+"${limit[@]}"} python3 Tests/System/race_test.py --database-url "$DATABASE_URL" "$@" "${urls[@]}" || status=$?
if [ "$status" != 0 ]; then
    for i in 1 2; do echo "--- server $i log (last lines)" >&2; tail -n 20 "$work/server$i.log" >&2; done
fi
exit "$status"
