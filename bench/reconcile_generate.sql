-- A generated consortium at the scale of the invoice file, for bench/reconcile.sh, on top of the demo seed
-- (JLTCM, its drugs, prices, published catalogue, DST-SINOPHARM-JL and MFR-001).
-- :lines order lines, each received once as its own lot: 10 lines per order, 2 orders per institution.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMPORARY TABLE bench_drugs ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY c.drug_code) - 1 AS k, c.drug_code, p.id AS agreement_id, p.unit_price
FROM consortia co
JOIN catalogue_items c ON c.consortium_id = co.id
JOIN catalogue_versions v ON v.consortium_id = c.consortium_id AND v.number = c.version_number AND v.status = 'published'
JOIN price_agreements p ON p.consortium_id = co.id AND p.drug_code = c.drug_code AND p.status = 'in_effect'
WHERE co.code = 'JLTCM' AND cardinality(c.levels) = 0;
SELECT count(*) AS bench_drugs FROM bench_drugs \gset
\echo drugs in the catalogue with a price: :bench_drugs

INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT co.id, 'BENCH-' || lpad(n::text, 6, '0'), 'Bench clinic ' || n, 'primary', 'community_health_centre'
FROM consortia co, generate_series(1, (:lines + 19) / 20) AS n
WHERE co.code = 'JLTCM';

INSERT INTO consolidated_orders (consortium_id, distributor_id)
SELECT co.id, s.id FROM consortia co, suppliers s, generate_series(1, 100)
WHERE co.code = 'JLTCM' AND s.code = 'DST-SINOPHARM-JL';

INSERT INTO purchase_orders (consortium_id, institution_id, status, order_date)
SELECT i.consortium_id, i.id, 'received', current_date - 30
FROM institutions i, generate_series(1, 2)
WHERE i.code LIKE 'BENCH-%';

CREATE TEMPORARY TABLE bench_consolidated ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, consortium_id, id FROM consolidated_orders
WHERE distributor_id = (SELECT id FROM suppliers WHERE code = 'DST-SINOPHARM-JL')
ORDER BY id DESC LIMIT 100;

INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit, unit_price,
                                  price_agreement_id, consolidated_order_id, received_quantity)
SELECT po.consortium_id, po.id, l, d.drug_code, 10, 'package', d.unit_price, d.agreement_id, c.id, 10
FROM purchase_orders po
JOIN institutions i ON i.consortium_id = po.consortium_id AND i.id = po.institution_id AND i.code LIKE 'BENCH-%'
CROSS JOIN generate_series(1, 10) AS l
JOIN bench_drugs d ON d.k = (po.id * 10 + l) % :bench_drugs
JOIN bench_consolidated c ON c.k = po.id % 100;

INSERT INTO deliveries (consortium_id, order_id, line_no, lot_number, expiry_date, quantity, received_on)
SELECT pol.consortium_id, pol.order_id, pol.line_no, 'LOT-' || pol.order_id || '-' || pol.line_no, current_date + 700, 10,
       current_date - 20
FROM purchase_order_lines pol
JOIN purchase_orders po ON po.consortium_id = pol.consortium_id AND po.id = pol.order_id
JOIN institutions i ON i.consortium_id = po.consortium_id AND i.id = po.institution_id AND i.code LIKE 'BENCH-%';
COMMIT;
ANALYZE;
