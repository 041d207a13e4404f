#!/usr/bin/env bash
# The extended prescriptions' schema (issue 23) on a fresh database: sql/001…022 applied in order with psql, then
# Tests/System/extended_rx_schema.sql (the patient index, prescriber tokens, each state's stamps and reasons, the
# e-prescription's CHECKs, lines and lots, consortium-scoped foreign keys).
#
#   Tests/System/extended_rx_schema.sh   the private cluster of scripts/pg.sh (CRX_PG_PORT), a database
#                                        crx_extended_rx_schema dropped and recreated each run (CRX_EXTRX_DB overrides)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

db=${CRX_EXTRX_DB:-crx_extended_rx_schema}
source Tests/System/schema_db.sh
fresh_schema_db "$db"
psql -X -v ON_ERROR_STOP=1 "$url" -f Tests/System/extended_rx_schema.sql
echo "extended_rx_schema.sh: passed"
