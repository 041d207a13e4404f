#!/usr/bin/env bash
# The database restarts while the server runs: /readyz says not ready, requests fail fast with 503 and
# Retry-After (never hang past the bounded lease time), and the server recovers by itself when the database
# is back. Uses a second private cluster of its own (CRX_PG_CLUSTER=restart), so the test cluster is untouched.
#
#   Tests/System/restart.sh        (after `swift build`; scripts/test.sh runs it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

export CRX_PG_CLUSTER=restart
export CRX_PG_PORT=$(( ${CRX_PG_PORT:-25432} + 7 ))
bin=${CRX_BIN:-.build/debug/consortiumrx}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
lease_ms=1000

fail() { echo "restart test: FAILED: $*" >&2; exit 1; }
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

scripts/pg.sh start >/dev/null
export DATABASE_URL=$(scripts/pg.sh url consortiumrx)
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null
token=$("$bin" token create --role auditor --consortium JLTCM --name "restart test")

mkdir -p .build/test-artifacts
"$bin" serve --port "$port" --lease-timeout-ms "$lease_ms" --log-level warning 2>.build/test-artifacts/restart-server.log &
server_pid=$!

# status of a call, with the seconds it took; curl gives up at 15 s, which would fail the test.
call() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 15 -H "Authorization: Bearer $token" "$base$1"; }
retry_after() { curl -s -D - -o /dev/null --max-time 15 -H "Authorization: Bearer $token" "$base$1" | tr -d '\r' | grep -i '^retry-after:' || true; }
wait_for() { # path status seconds
    for _ in $(seq 1 $(( $3 * 10 ))); do
        kill -0 "$server_pid" 2>/dev/null || fail "the server exited (.build/test-artifacts/restart-server.log)"
        [ "$(call "$1" | cut -d' ' -f1)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

wait_for /readyz 200 30 || fail "the server did not become ready"
[ "$(call /v1/drugs/XJ01CEA010A001010100001 | cut -d' ' -f1)" = 200 ] || fail "a drug could not be read before the restart"
# A query in raw UTF-8, as some browsers and scripts send it (issue 19.13), is read, not refused by the parser.
raw=$(python3 - "$port" "$token" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(("GET /v1/drugs?q=黄芪&limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sys.argv[2]
           + "\r\nConnection: close\r\n\r\n").encode())
print(s.recv(200).split(b"\r\n")[0].decode())
PY
)
[[ "$raw" == *" 200 "* ]] || fail "a raw UTF-8 query was answered '$raw' (expected 200)"
echo "restart test: a raw UTF-8 query is read: $raw"

scripts/pg.sh stop >/dev/null
for path in /readyz /v1/drugs/XJ01CEA010A001010100002 /v1/consortia/JLTCM; do
    read -r status seconds < <(call "$path")
    [ "$status" = 503 ] || fail "$path answered $status while the database was down (expected 503)"
    awk -v s="$seconds" -v limit=$(( lease_ms / 1000 + 2 )) 'BEGIN { exit !(s < limit) }' ||
        fail "$path took ${seconds}s to fail (bounded by the lease time, ${lease_ms} ms)"
    [ -n "$(retry_after "$path")" ] || fail "$path answered 503 without Retry-After"
    echo "restart test: database down: $path -> $status in ${seconds}s, with Retry-After"
done

scripts/pg.sh start >/dev/null
wait_for /readyz 200 30 || fail "/readyz did not recover within 30 s of the database's return"
wait_for /v1/drugs/XJ01CEA010A001010100002 200 30 || fail "requests did not recover within 30 s of the database's return"
echo "restart test: database back: /readyz and /v1 answer 200 again"
