-- A province-sized ledger for bench/shortages.sh (psql -v movements=N -v members=M -v drugs=D), beside the demo:
--   a consortium BENCHSC of :members members and :drugs drugs of its own (XBSC0001…), every member holding and
--   dispensing every drug. Each (member, drug) has one lot received once (108) and then dispensed one unit at a time
--   over the last two years, so the ledger has about :movements movements; the receipt leaves each pair between 0
--   and 299 units, so about one pair in three hundred is out of stock and a few more are low (below 15 days at about
--   0.14 a day), the rest well stocked. Ten drugs have a supplier's report standing.
-- Written set-based with the ledger's triggers off, then stock_on_hand and stock_daily_consumption are rebuilt from
-- the movements, one statement each (the same sums the triggers keep); a bench database only.
\set ON_ERROR_STOP on
BEGIN;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_post;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_consume;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_shortage_dirty;

INSERT INTO consortia (code, name, kind) VALUES ('BENCHSC', '短缺监测压测医共体', 'county_medical_community');
SELECT id AS consortium_id FROM consortia WHERE code = 'BENCHSC' \gset

INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT :consortium_id, 'BSC-M' || lpad(n::text, 3, '0'), '压测成员单位' || n,
       CASE WHEN n = 1 THEN 'secondary' ELSE 'primary' END,
       CASE WHEN n = 1 THEN 'general' ELSE 'township_hospital' END
FROM generate_series(1, :members) n;

INSERT INTO drugs (code, generic_name, dosage_form, strength, package_size, package_unit, unit, category)
SELECT 'XBSC' || lpad(n::text, 4, '0'), '压测药品' || n, 'tablet', '10mg', 28, '盒', '片', 'western'
FROM generate_series(1, :drugs) n;

CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS
SELECT i.consortium_id, i.id AS institution_id, d.code AS drug_code,
       'S' || substr(md5(i.id::text || d.code), 1, 8) AS lot_number,
       (current_date + 400 + abs(hashtext(i.id::text || d.code)) % 400)::date AS expiry_date,
       abs(hashtext(d.code || i.id::text)) % 300 AS left_over
FROM institutions i CROSS JOIN drugs d
WHERE i.consortium_id = :consortium_id AND d.code LIKE 'XBSC%';

SELECT greatest(2, :movements / count(*))::int AS per_pair, count(*) AS pair_count FROM bench_pairs \gset
\echo :pair_count member-drug pairs, :per_pair movements each

INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                             direction, quantity, document_type, document_id, occurred_at, business_date)
SELECT b.consortium_id, b.institution_id, b.drug_code, b.lot_number, b.expiry_date,
       CASE WHEN k = 1 THEN '108' ELSE 'dispensing' END,
       CASE WHEN k = 1 THEN 'in' ELSE 'out' END,
       CASE WHEN k = 1 THEN :per_pair - 1 + b.left_over ELSE 1 END,
       CASE WHEN k = 1 THEN 'delivery' ELSE 'dispensing' END,
       -k,
       now() - make_interval(days => (730 * (:per_pair - k) / :per_pair)::int),
       current_date - 1 - (730 * (:per_pair - k) / :per_pair)::int
FROM bench_pairs b CROSS JOIN generate_series(1, :per_pair) k;

INSERT INTO stock_on_hand (consortium_id, institution_id, location_id, drug_code, lot_key, lot_number, expiry_date,
                           quantity, last_movement_id)
SELECT m.consortium_id, m.institution_id, m.location_id, m.drug_code, m.lot_key, min(m.lot_number), min(m.expiry_date),
       sum(CASE m.direction WHEN 'in' THEN m.quantity ELSE -m.quantity END), max(m.id)
FROM stock_movements m WHERE m.consortium_id = :consortium_id
GROUP BY m.consortium_id, m.institution_id, m.location_id, m.drug_code, m.lot_key
ON CONFLICT ON CONSTRAINT stock_on_hand_lot DO UPDATE
    SET quantity = EXCLUDED.quantity, last_movement_id = EXCLUDED.last_movement_id, updated_at = clock_timestamp();

DELETE FROM stock_daily_consumption WHERE consortium_id = :consortium_id;
INSERT INTO stock_daily_consumption (consortium_id, institution_id, drug_code, business_date, quantity)
SELECT m.consortium_id, m.institution_id, m.drug_code, m.business_date, sum(r.consumption * m.quantity)
FROM stock_movements m JOIN stock_movement_reasons r ON r.code = m.reason_code
WHERE m.consortium_id = :consortium_id AND r.consumption <> 0
GROUP BY m.consortium_id, m.institution_id, m.drug_code, m.business_date;

INSERT INTO shortage_supplier_reports (consortium_id, drug_code, supplier_id, reported_on, notice)
SELECT :consortium_id, 'XBSC' || lpad((n * 97)::text, 4, '0'), (SELECT min(id) FROM suppliers), current_date - n,
       '压测：供应商断供报告 ' || n
FROM generate_series(1, 10) n WHERE n * 97 <= :drugs;

ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_post;
ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_consume;
ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_shortage_dirty;
COMMIT;
-- VACUUM sets the visibility map, so the index-only scans of consumption do not visit the heap.
VACUUM (ANALYZE) stock_movements, stock_on_hand, stock_daily_consumption;
SELECT count(*) AS movements FROM stock_movements WHERE consortium_id = :consortium_id;
