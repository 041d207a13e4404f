# Sourced by the schema system tests: `fresh_schema_db NAME` drops and creates the database NAME on the private
# cluster of scripts/pg.sh (CRX_PG_PORT), applies sql/NNN_*.sql in order with psql, and sets `url` to it.
fresh_schema_db() {
    scripts/pg.sh start >/dev/null
    local admin_url
    admin_url=$(scripts/pg.sh url postgres)
    url=$(scripts/pg.sh url "$1")
    psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    local file
    for file in sql/[0-9][0-9][0-9]_*.sql; do
        psql -X -q -v ON_ERROR_STOP=1 --single-transaction "$url" -f "$file" >/dev/null
    done
}
