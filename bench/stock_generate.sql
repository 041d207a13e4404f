-- A stock ledger of :movements movements (default 10,000,000) over the demo consortium's members and drugs, for the
-- issue 21 benchmarks (stock on hand of one member, a drug across the consortium, on a long history). Set-based
-- (generate_series), a few minutes on 2 cores. Run on a migrated database seeded with `seed --demo`:
--
--   psql -v ON_ERROR_STOP=1 "$(scripts/pg.sh url consortiumrx_bench)" -f bench/stock_generate.sql
--   psql … -v movements=1000000 -f bench/stock_generate.sql      # a smaller ledger
--
-- Each member holds :lots_per_drug lots (BENCH-…) of each of the first :drugs drugs of the consortium catalogue: one
-- purchase receipt (108) large enough, then dispensings of 1 to 5 units spread over the three years before today,
-- so no lot goes below zero. The per-row trigger is disabled while the movements are inserted and stock_on_hand is
-- then built from them in one statement (the same sums the trigger keeps): the database owner runs this. Refuses to
-- run twice on one database (its lots are there already). Bench data: no audit rows.
\set ON_ERROR_STOP on
\if :{?movements}
\else
\set movements 10000000
\endif
\if :{?drugs}
\else
\set drugs 200
\endif
\if :{?lots_per_drug}
\else
\set lots_per_drug 5
\endif

SELECT EXISTS (SELECT 1 FROM stock_movements WHERE lot_number LIKE 'BENCH-%') AS already \gset
\if :already
\echo 'bench/stock_generate.sql: this database has the generated ledger already'
\quit
\endif

\timing on
BEGIN;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_post;

CREATE TEMP TABLE bench_lots ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY i.id, d.code, l.n) AS lot_no, i.consortium_id, i.id AS institution_id,
       d.code AS drug_code, 'BENCH-' || d.rn || '-' || l.n AS lot_number,
       current_date + 200 + ((d.rn * 7 + l.n * 91) % 700)::int AS expiry_date
FROM institutions i
JOIN consortia c ON c.id = i.consortium_id AND c.code = 'JLTCM'
JOIN LATERAL (
    SELECT ci.drug_code AS code, row_number() OVER (ORDER BY ci.drug_code) AS rn
    FROM catalogue_items ci
    WHERE ci.consortium_id = c.id
    GROUP BY ci.drug_code ORDER BY ci.drug_code LIMIT :drugs
) d ON true
CROSS JOIN generate_series(1, :lots_per_drug) AS l (n);

SELECT count(*) AS lots, ceil(:movements::numeric / count(*))::int AS per_lot FROM bench_lots \gset
\echo :lots lots, :per_lot movements each

-- The receipt first (step 1), then the dispensings, each lot's days rising with its steps.
INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
                             quantity, unit_cost, document_type, document_id, occurred_at, business_date)
SELECT b.consortium_id, b.institution_id, b.drug_code, b.lot_number, b.expiry_date,
       CASE WHEN s = 1 THEN '108' ELSE 'dispensing' END, CASE WHEN s = 1 THEN 'in' ELSE 'out' END,
       CASE WHEN s = 1 THEN 10 * :per_lot ELSE 1 + (s * 7 + b.lot_no) % 5 END, 0.5,
       CASE WHEN s = 1 THEN 'delivery' ELSE 'dispensing' END, b.lot_no * 100000 + s,
       (current_date - 1095 + (s::bigint * 1094 / :per_lot)::int) + interval '8 hours' + (s % 600) * interval '1 minute',
       current_date - 1095 + (s::bigint * 1094 / :per_lot)::int
FROM bench_lots b CROSS JOIN generate_series(1, :per_lot) AS s
WHERE (b.lot_no - 1) * :per_lot + s <= :movements;

INSERT INTO stock_on_hand (consortium_id, institution_id, location_id, drug_code, lot_key, lot_number, expiry_date,
                           quantity, last_movement_id)
SELECT m.consortium_id, m.institution_id, NULL, m.drug_code, m.lot_key, min(m.lot_number), min(m.expiry_date),
       sum(CASE m.direction WHEN 'in' THEN m.quantity ELSE -m.quantity END), max(m.id)
FROM stock_movements m
WHERE m.lot_number LIKE 'BENCH-%'
GROUP BY m.consortium_id, m.institution_id, m.drug_code, m.lot_key;

ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_post;
COMMIT;
ANALYZE stock_movements;
ANALYZE stock_on_hand;
SELECT count(*) AS movements FROM stock_movements;
