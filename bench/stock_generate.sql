-- A province-sized stock ledger for bench/stock.sh, beside the demo seed (psql -v movements=N -v lots=L):
--   every member of the demo consortium JLTCM holds :lots lots of each of its catalogue's drugs, each lot received
--   once (108) and then dispensed one unit at a time, so that the ledger has about :movements movements while the
--   lots on hand (what the stock reads look at) stay as many as a real pharmacy's. Business dates run back over the
--   last two years; every lot stays unexpired and on hand. The documents they name have negative ids, so they are
--   never taken for a real delivery's or dispensing's.
-- Written set-based with the ledger's triggers off, then stock_on_hand and stock_daily_consumption are rebuilt from
-- the movements, one statement each (the same sums the triggers keep); a bench database only.
\set ON_ERROR_STOP on
BEGIN;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_post;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_consume;

CREATE TEMP TABLE bench_lots ON COMMIT DROP AS
SELECT i.consortium_id, i.id AS institution_id, ci.drug_code, l AS lot_no,
       'G' || lpad(l::text, 2, '0') || '-' || substr(md5(i.id::text || ci.drug_code), 1, 8) AS lot_number,
       (current_date + 60 + 90 * l + abs(hashtext(i.id::text || ci.drug_code)) % 400)::date AS expiry_date
FROM consortia c
JOIN institutions i ON i.consortium_id = c.id
JOIN catalogue_items ci ON ci.consortium_id = c.id
                       AND ci.version_number = catalogue_version_in_effect(c.id, current_date)
CROSS JOIN generate_series(1, :lots) l
WHERE c.code = 'JLTCM';

SELECT greatest(2, :movements / count(*))::int AS per_lot, count(*) AS lot_count FROM bench_lots \gset
\echo :lot_count lots, :per_lot movements each

INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                             direction, quantity, document_type, document_id, occurred_at, business_date)
SELECT b.consortium_id, b.institution_id, b.drug_code, b.lot_number, b.expiry_date,
       CASE WHEN k = 1 THEN '108' ELSE 'dispensing' END,
       CASE WHEN k = 1 THEN 'in' ELSE 'out' END,
       CASE WHEN k = 1 THEN 2 * :per_lot ELSE 1 END,
       CASE WHEN k = 1 THEN 'delivery' ELSE 'dispensing' END,
       -k,
       now() - make_interval(days => (730 * (:per_lot - k) / :per_lot)::int),
       current_date - (730 * (:per_lot - k) / :per_lot)::int
FROM bench_lots b CROSS JOIN generate_series(1, :per_lot) k;

INSERT INTO stock_on_hand (consortium_id, institution_id, location_id, drug_code, lot_key, lot_number, expiry_date,
                           quantity, last_movement_id)
SELECT m.consortium_id, m.institution_id, m.location_id, m.drug_code, m.lot_key, min(m.lot_number), min(m.expiry_date),
       sum(CASE m.direction WHEN 'in' THEN m.quantity ELSE -m.quantity END), max(m.id)
FROM stock_movements m JOIN consortia c ON c.id = m.consortium_id AND c.code = 'JLTCM'
GROUP BY m.consortium_id, m.institution_id, m.location_id, m.drug_code, m.lot_key
ON CONFLICT ON CONSTRAINT stock_on_hand_lot DO UPDATE
    SET quantity = EXCLUDED.quantity, last_movement_id = EXCLUDED.last_movement_id, updated_at = clock_timestamp();

DELETE FROM stock_daily_consumption WHERE consortium_id = (SELECT id FROM consortia WHERE code = 'JLTCM');
INSERT INTO stock_daily_consumption (consortium_id, institution_id, drug_code, business_date, quantity)
SELECT m.consortium_id, m.institution_id, m.drug_code, m.business_date, sum(r.consumption * m.quantity)
FROM stock_movements m JOIN stock_movement_reasons r ON r.code = m.reason_code
JOIN consortia c ON c.id = m.consortium_id AND c.code = 'JLTCM'
WHERE r.consumption <> 0
GROUP BY m.consortium_id, m.institution_id, m.drug_code, m.business_date;

ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_post;
ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_consume;
COMMIT;
-- VACUUM sets the visibility map, so the index-only scans of consumption do not visit the heap.
VACUUM (ANALYZE) stock_movements, stock_on_hand, stock_daily_consumption;
SELECT count(*) AS movements FROM stock_movements;
