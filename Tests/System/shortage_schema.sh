#!/usr/bin/env bash
# The shortage schema (issue 22) on a fresh database: sql/001…021 applied in order with psql, then
# Tests/System/shortage_schema.sql (one open record per consortium and drug, also with two sessions racing; the
# CHECK lists; the consortium-scoped foreign keys; the actions log append-only; seeds/reference/shortage_lists.csv
# fitting the table).
#
#   Tests/System/shortage_schema.sh   the private cluster of scripts/pg.sh (CRX_PG_PORT), a database
#                                     crx_shortage_schema dropped and recreated each run (CRX_SHORTAGE_DB overrides)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

db=${CRX_SHORTAGE_DB:-crx_shortage_schema}
scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
url=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"

for file in sql/[0-9][0-9][0-9]_*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 --single-transaction "$url" -f "$file" >/dev/null
done
psql -X -v ON_ERROR_STOP=1 -v url="$url" "$url" -f Tests/System/shortage_schema.sql
echo "shortage_schema.sh: passed"
