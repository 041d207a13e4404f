#!/usr/bin/env bash
# Migration 024 (issue 21) on a database that has history: sql/001…023 applied, deliveries received against orders
# and preparation transfers shipped and received recorded, then sql/024 applied, checked, and applied again (it is
# idempotent: nothing is posted twice, one audit row). Tests/System/stock_opening_history.sql holds the data and the
# checks.
#
#   Tests/System/stock_opening_history.sh   the private cluster of scripts/pg.sh (CRX_PG_PORT), a database
#                                            crx_stock_opening dropped and recreated each run (CRX_STOCK_OPENING_DB)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

db=${CRX_STOCK_OPENING_DB:-crx_stock_opening}
scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
url=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
apply() { psql -X -q -v ON_ERROR_STOP=1 --single-transaction "$url" -f "$1" >/dev/null; }
for file in sql/[0-9][0-9][0-9]_*.sql; do
    [[ $(basename "$file") < 024_ ]] && apply "$file"
done
psql -X -v ON_ERROR_STOP=1 "$url" -f Tests/System/stock_opening_history.sql -v phase=history >/dev/null
apply sql/024_stock_opening.sql
psql -X -v ON_ERROR_STOP=1 "$url" -f Tests/System/stock_opening_history.sql -v phase=migrated >/dev/null
apply sql/024_stock_opening.sql
psql -X -v ON_ERROR_STOP=1 "$url" -f Tests/System/stock_opening_history.sql -v phase=again >/dev/null
for file in sql/[0-9][0-9][0-9]_*.sql; do
    [[ $(basename "$file") > 024_stock_opening.sql ]] && apply "$file"
done
echo "stock_opening_history.sh: passed"
