#!/usr/bin/env bash
# Faults (issue 10): `consortiumrx import prices` and `consortiumrx reconcile invoices` killed with SIGKILL in the
# middle of their transaction leave nothing of their file behind, and running each again succeeds.
#
#   Tests/System/kill_test.sh   uses .build/debug/consortiumrx (CRX_BIN overrides), the private cluster of scripts/pg.sh
#                                (CRX_PG_PORT), a database crx_kill dropped and recreated each run (CRX_KILL_DB overrides)
#
# "Midway" is observed, not guessed: the process is killed only once its backend is inside the file's transaction
# and has written part of it (the import has begun applying its checked lines to price_agreements; the
# reconciliation has loaded its lines and is recording the run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
db=${CRX_KILL_DB:-crx_kill}
price_lines=${CRX_KILL_PRICE_LINES:-20000}
invoice_lines=${CRX_KILL_INVOICE_LINES:-20000}
[ -x "$bin" ] || { echo "kill_test.sh: $bin not found; run swift build first" >&2; exit 1; }

scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/crx-kill.XXXXXX")
child=
cleanup() {
    [ -n "$child" ] && kill -KILL "$child" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
fail() { echo "kill_test: FAIL: $*" >&2; exit 1; }

# What a file could leave behind: the rows of every table the two commands write.
snapshot() {
    q "SELECT (SELECT count(*) FROM price_agreements) || ' price_agreements, '
           || (SELECT count(*) FROM provincial_bid_prices) || ' provincial_bid_prices, '
           || (SELECT count(*) FROM audit_log) || ' audit_log, '
           || (SELECT count(*) FROM reconciliation_runs) || ' reconciliation_runs, '
           || (SELECT count(*) FROM reconciliation_discrepancies) || ' reconciliation_discrepancies, '
           || (SELECT coalesce(max(id), 0) FROM audit_log WHERE action = 'import') || ' last import audit id'"
}

# The backends of other clients of this database (the command under test is the only other client).
others="SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

# Runs a command in the background and SIGKILLs it once the SQL condition holds (polled); fails if the command
# ends first or the condition never holds within 60 s.
kill_when() {
    local what=$1 condition=$2; shift 2
    "$@" >"$work/out" 2>"$work/err" &
    child=$!
    local started=$SECONDS
    until [ "$(q "$condition")" = t ]; do
        if ! kill -0 "$child" 2>/dev/null; then
            cat "$work/out" "$work/err" >&2
            fail "$what finished before it could be killed midway (make its file bigger)"
        fi
        [ $((SECONDS - started)) -lt 60 ] || fail "$what never reached the point to kill it"
        sleep 0.02
    done
    local at
    at=$(q "SELECT state || ', ' || left(regexp_replace(query, '\s+', ' ', 'g'), 50) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() LIMIT 1")
    kill -KILL "$child"
    wait "$child" 2>/dev/null || true
    child=
    echo "  $what: SIGKILL after $((SECONDS - started))s; its backend was $at"
    # PostgreSQL rolls the transaction back when it notices the client is gone.
    for _ in $(seq 300); do [ "$(q "$others")" = 0 ] && return; sleep 0.1; done
    fail "the backend of the killed $what is still there after 30 s"
}

# -- import prices ------------------------------------------------------------------------------------------------
# Valid lines: existing drugs, each priced from a run of later dates (one line per drug and date).
prices=$work/prices.csv
q "SELECT 'drug_code,unit_price,price_unit,bid_reference,effective_from'
   UNION ALL
   SELECT line FROM (
       SELECT d.code || ',' || (1 + k % 97) || '.' || lpad((k % 100)::text, 2, '0') || ',package,KILL-' || k || ','
              || (date '2027-01-01' + k)::text AS line
       FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM drugs) d
       CROSS JOIN generate_series(0, 999) AS k
       ORDER BY k, d.code LIMIT $price_lines) l" >"$prices"
lines=$(($(wc -l <"$prices") - 1))
before=$(snapshot)
audited=$(q "SELECT count(*) FROM audit_log WHERE action = 'import' AND entity_type = 'price_agreement'")
echo "kill_test: import prices of $lines lines, killed midway; before: $before"
# Midway: the import's transaction has begun writing its checked lines (it holds a row-exclusive lock on
# price_agreements; the file is streamed, staged and checked before, and applied in batches of 10,000 lines).
kill_when "import prices" \
    "SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND l.locktype = 'relation'
       AND l.relation = 'price_agreements'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted" \
    "$bin" import prices "$prices" --consortium JLTCM
after=$(snapshot)
[ "$after" = "$before" ] || fail "the killed import left rows behind: before $before, after $after"
echo "  nothing left behind: $after"
start=$SECONDS
"$bin" import prices "$prices" --consortium JLTCM >"$work/out" || { cat "$work/out"; fail "the import after the kill failed"; }
echo "  again: $(cat "$work/out") in $((SECONDS - start))s"
grep -q "$lines imported" "$work/out" || fail "the import after the kill did not import every line"
[ "$(q "SELECT count(*) FROM audit_log WHERE action = 'import' AND entity_type = 'price_agreement'")" = "$((audited + lines))" ] ||
    fail "not one audit row per imported line"

# -- reconcile invoices -------------------------------------------------------------------------------------------
# Valid lines (every field parses) that match no order: each becomes a discrepancy kept with the run.
invoices=$work/invoices.csv
q "SELECT 'distributor_code,invoice_number,invoice_date,manufacturer_invoice_number,manufacturer_code,institution_code,drug_code,lot_number,quantity,unit_price,amount'
   UNION ALL
   SELECT 'DST-SINOPHARM-JL,K' || lpad(n::text, 10, '0') || ',2026-11-02,M-' || n || ',MFR-001,YJ-TCMH,'
          || (SELECT code FROM drugs ORDER BY code LIMIT 1) || ',L' || n || ',' || (1 + n % 9) || ',2.5000,' || (2.5 * (1 + n % 9))::numeric(12, 2)
   FROM generate_series(1, $invoice_lines) AS n" >"$invoices"
before=$(snapshot)
echo "kill_test: reconcile invoices of $invoice_lines lines, killed midway; before: $before"
# Midway: the lines are matched and the run is being recorded (its row written, not yet committed).
kill_when "reconcile invoices" \
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND backend_xid IS NOT NULL AND query LIKE '%INSERT INTO reconciliation_%')" \
    "$bin" reconcile invoices "$invoices" --consortium JLTCM --format csv --output "$work/report.csv"
after=$(snapshot)
[ "$after" = "$before" ] || fail "the killed reconciliation left rows behind: before $before, after $after"
echo "  nothing left behind: $after"
start=$SECONDS
status=0
"$bin" reconcile invoices "$invoices" --consortium JLTCM --format csv --output "$work/report.csv" 2>"$work/err" || status=$?
# Exit 1: the run was recorded and has discrepancies (every line here is one).
[ "$status" = 1 ] || { cat "$work/err" >&2; fail "the reconciliation after the kill exited $status"; }
run=$(q "SELECT id || ' ' || (counts->>'lines') FROM reconciliation_runs WHERE file_name = 'invoices.csv'")
[ -n "$run" ] && [ "${run#* }" = "$invoice_lines" ] || fail "the reconciliation after the kill recorded '$run'"
kept=$(q "SELECT count(DISTINCT line_number) FROM reconciliation_discrepancies WHERE run_id = ${run% *}")
[ "$kept" = "$invoice_lines" ] || fail "the run kept discrepancies for $kept of $invoice_lines lines"
echo "  again: run ${run% *} recorded $invoice_lines lines, all with discrepancies, in $((SECONDS - start))s"
echo "kill_test: killed import and reconciliation left nothing behind; both succeeded when run again"
