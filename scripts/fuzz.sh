#!/usr/bin/env bash
# make fuzz: Schemathesis (a third-party OpenAPI fuzzer) against the contract and a running server.
#
# A fresh database (consortiumrx_fuzz) is migrated and seeded with the demo consortium, `consortiumrx serve`
# starts on a free loopback port, and Schemathesis runs every operation of the served /openapi.yaml with a
# demo token, one pass per role below, checking that no response is a 5xx and that every status code, content
# type, header and body matches the contract. The run is bounded: a fixed number of examples per operation
# and a fixed seed, so a failure reproduces with the same command. scripts/fuzz.toml hands the fuzzer the demo
# consortium's real codes for part of its draws, so requests get past 404 to the rules.
#
# Settings (environment): CRX_FUZZ_EXAMPLES (60), CRX_FUZZ_SEED (20260110), CRX_FUZZ_PHASES
# (examples,coverage,fuzzing), CRX_FUZZ_ROLES ("consortium_admin institution_pharmacist"; add master_data_admin
# to fuzz the drug and supplier writes, which answer 403 to the others), CRX_FUZZ_ARGS
# (extra Schemathesis arguments, e.g. "--include-operation-id createOrder"). Reports go to .build/fuzz/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

schemathesis_version=4.32.5
examples=${CRX_FUZZ_EXAMPLES:-60}
seed=${CRX_FUZZ_SEED:-20260110}
phases=${CRX_FUZZ_PHASES:-examples,coverage,fuzzing}
roles=${CRX_FUZZ_ROLES:-consortium_admin institution_pharmacist}
database=consortiumrx_fuzz
out=.build/fuzz

python=$(scripts/venv.sh "schemathesis==$schemathesis_version")
schemathesis="$(dirname "$python")/schemathesis"

scripts/pg.sh start
admin_url=$(scripts/pg.sh url postgres)
psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database"
export DATABASE_URL=$(scripts/pg.sh url "$database")

swift build --product consortiumrx
bin=$(swift build --show-bin-path)/consortiumrx
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null

# A free loopback port, asked of the kernel.
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$out"
rm -rf "${out:?}"/*
"$bin" serve --host 127.0.0.1 --port "$port" --log-level warning 2>"$out/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; echo "fuzz: the server did not start" >&2; exit 1; }
    sleep 0.1
done

status=0
for role in $roles; do
    case $role in
        consortium_admin) scope=(--consortium JLTCM) ;;
        master_data_admin) scope=() ;;   # national master data (drugs, suppliers): bound to no consortium
        *) scope=(--consortium JLTCM --institution CY-BJL-CHC) ;;   # a member: 船营区北京路社区卫生服务中心
    esac
    token=$("$bin" token create --role "$role" "${scope[@]}" --name "make fuzz $role")
    echo "== Schemathesis $schemathesis_version as $role: $examples examples per operation, seed $seed, phases $phases"
    # shellcheck disable=SC2086
    "$schemathesis" --config-file scripts/fuzz.toml run "http://127.0.0.1:$port/openapi.yaml" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
        --max-examples "$examples" --seed "$seed" --phases "$phases" \
        --generation-database none --workers 1 --request-timeout 10 --no-color \
        --suppress-health-check all \
        --report junit --report-junit-path "$out/$role.junit.xml" \
        ${CRX_FUZZ_ARGS:-} || status=1
done

if grep -E '"level":"(error|critical)"|\b(error|critical) ' "$out/server.log" >/dev/null 2>&1; then
    echo "fuzz: the server logged errors ($out/server.log):" >&2
    grep -E '\b(error|critical)\b' "$out/server.log" | head -20 >&2
fi
exit "$status"
