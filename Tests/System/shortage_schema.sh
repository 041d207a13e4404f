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
source Tests/System/schema_db.sh
fresh_schema_db "$db"
psql -X -v ON_ERROR_STOP=1 -v url="$url" "$url" -f Tests/System/shortage_schema.sql
echo "shortage_schema.sh: passed"
