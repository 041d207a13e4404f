-- Data and checks of Tests/System/stock_opening_history.sh. `phase`: history (sql/001…023: record deliveries and
-- preparation transfers), migrated (after sql/024: the movements it posted), again (after sql/024 a second time:
-- nothing more).
\set QUIET on
SET client_min_messages = warning;
\o /dev/null
\i Tests/System/schema_checks.sql
\if :{?phase}
\else
\set phase history
\endif
SELECT :'phase' = 'history' AS is_history \gset

\if :is_history
BEGIN;
INSERT INTO consortia (code, name, kind) VALUES ('OPN', 'Opening test', 'county_medical_community');
INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT id, m.code, m.code, m.level, m.type FROM consortia
CROSS JOIN (VALUES ('OPN-A', 'secondary', 'general'), ('OPN-B', 'primary', 'township_hospital'),
                   ('OPN-C', 'primary', 'township_hospital')) m (code, level, type)
WHERE consortia.code = 'OPN';
UPDATE consortia SET lead_institution_id = (SELECT id FROM institutions WHERE code = 'OPN-A') WHERE code = 'OPN';
COMMIT;
INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category) VALUES
    ('XOPN01', 'Amlodipine', 'tablet', 28, 'box', 'tablet', 'western'),
    ('XOPN02', 'Metformin', 'tablet', 100, 'bottle', 'tablet', 'western'),
    ('XOPNP1', 'Preparation', 'ointment', 1, 'tube', 'tube', 'hospital_preparation');
INSERT INTO suppliers (code, name, is_distributor, distribution_licence) VALUES ('OPN-DIST', 'Distributor', true, 'JL2026');
INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from, status,
                              effective_from)
SELECT c.id, p.drug, p.price, p.unit, 'provincial_bid', 'BID-' || p.drug, '2026-01-01', 'in_effect', '2026-01-01'
FROM consortia c CROSS JOIN (VALUES ('XOPN01', 56.0, 'package'), ('XOPN02', 0.25, 'unit')) p (drug, price, unit)
WHERE c.code = 'OPN';
INSERT INTO consolidated_orders (consortium_id, distributor_id)
SELECT c.id, s.id FROM consortia c, suppliers s WHERE c.code = 'OPN' AND s.code = 'OPN-DIST';
INSERT INTO purchase_orders (consortium_id, institution_id, status, order_date)
SELECT consortium_id, id, 'received', '2026-10-01' FROM institutions WHERE code IN ('OPN-A', 'OPN-B') ORDER BY code;
-- A: 2 boxes of XOPN01 (56 the box) and 300 tablets of XOPN02; B: 1 box of XOPN01.
INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit, unit_price,
                                  price_agreement_id, consolidated_order_id, received_quantity)
SELECT o.consortium_id, o.id, l.line_no, l.drug, l.qty, a.price_unit, a.unit_price, a.id,
       (SELECT id FROM consolidated_orders WHERE consortium_id = o.consortium_id), l.qty
FROM purchase_orders o JOIN institutions i ON i.id = o.institution_id
JOIN (VALUES ('OPN-A', 1, 'XOPN01', 2), ('OPN-A', 2, 'XOPN02', 300), ('OPN-B', 1, 'XOPN01', 1)) l (member, line_no, drug, qty)
  ON l.member = i.code
JOIN price_agreements a ON a.consortium_id = o.consortium_id AND a.drug_code = l.drug;
-- A received XOPN01 in two deliveries of lot am2601 (the second typed in lower case with another expiry date: the
-- first recorded one is kept), B one.
INSERT INTO deliveries (consortium_id, order_id, line_no, lot_number, expiry_date, quantity, received_on)
SELECT o.consortium_id, o.id, d.line_no, d.lot, d.expiry::date, d.qty, d.received::date
FROM purchase_orders o JOIN institutions i ON i.id = o.institution_id
JOIN (VALUES ('OPN-A', 1, 'AM2601', '2028-01-31', 1, '2026-10-05'), ('OPN-A', 1, 'am2601', '2028-02-29', 1, '2026-10-06'),
             ('OPN-A', 2, 'MF2602', '2027-06-30', 300, '2026-10-05'), ('OPN-B', 1, 'AM2601', '2028-01-31', 1, '2026-10-07'))
     d (member, line_no, lot, expiry, qty, received) ON d.member = i.code;
-- C makes XOPNP1 and ships 40 tubes to A (received 38) and 10 to B (not yet received).
INSERT INTO hospital_preparations (consortium_id, drug_code, producer_institution_id, registration_kind, registration_number,
                                   registration_valid_to)
SELECT consortium_id, 'XOPNP1', id, 'approval_number', '吉药制字Z20260001', '2030-12-31' FROM institutions WHERE code = 'OPN-C';
INSERT INTO transfer_approvals (consortium_id, kind, drug_code, supplier_institution_id, approved_quantity, unit,
                                shipped_quantity, valid_from, valid_to)
SELECT consortium_id, 'standing_scope', 'XOPNP1', id, 100, 'tube', 50, '2026-01-01', '2026-12-31'
FROM institutions WHERE code = 'OPN-C';
INSERT INTO transfer_approval_receivers (consortium_id, approval_id, institution_id)
SELECT a.consortium_id, a.id, i.id FROM transfer_approvals a JOIN institutions i ON i.code IN ('OPN-A', 'OPN-B');
INSERT INTO transfer_shipments (consortium_id, approval_id, receiver_institution_id, lot_number, production_date, expiry_date,
                                quantity, shipped_on)
SELECT a.consortium_id, a.id, i.id, 'P2609', '2026-09-01', '2027-09-01', s.qty, '2026-10-10'
FROM transfer_approvals a JOIN (VALUES ('OPN-A', 40), ('OPN-B', 10)) s (member, qty) ON true
JOIN institutions i ON i.code = s.member;
INSERT INTO transfer_receipts (consortium_id, shipment_id, received_on, quantity_received, discrepancy, condition)
SELECT s.consortium_id, s.id, '2026-10-12', 38, -2, 'damaged'
FROM transfer_shipments s JOIN institutions i ON i.id = s.receiver_institution_id WHERE i.code = 'OPN-A';
\else

CREATE FUNCTION pg_temp.held(member text, drug text) RETURNS numeric LANGUAGE sql AS $$
    SELECT coalesce(sum(h.quantity), 0) FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id
    WHERE i.code = member AND h.drug_code = drug;
$$;

SELECT pg_temp.ok(EXISTS (SELECT 1 FROM stock_movement_reasons WHERE code = 'opening' AND direction = 'in' AND NOT national),
                  'the reason opening (期初入库) is seeded, in, not a national code');
SELECT pg_temp.ok((SELECT count(*) FROM stock_movements WHERE document_type = 'delivery') = 4,
                  'every delivery is one 108 movement');
SELECT pg_temp.ok(pg_temp.held('OPN-A', 'XOPN01') = 56 AND pg_temp.held('OPN-B', 'XOPN01') = 28,
                  'deliveries counted in boxes are held in tablets (2 x 28 at A, 28 at B)');
SELECT pg_temp.ok(pg_temp.held('OPN-A', 'XOPN02') = 300, 'deliveries counted in units are held as they are');
SELECT pg_temp.ok((SELECT count(DISTINCT expiry_date) = 1 AND min(expiry_date) = '2028-01-31' FROM stock_movements m
                   JOIN institutions i ON i.id = m.institution_id WHERE i.code = 'OPN-A' AND m.lot_key = 'AM2601'),
                  'a lot delivered twice with two expiry dates keeps the first recorded');
SELECT pg_temp.ok((SELECT bool_and(reason_code = '108' AND unit_cost = CASE drug_code WHEN 'XOPN01' THEN 2 ELSE 0.25 END
                                   AND business_date >= '2026-10-05')
                   FROM stock_movements WHERE document_type = 'delivery'),
                  '108 on the day received, at the order price per unit (56 the box of 28 is 2 the tablet)');
SELECT pg_temp.ok(pg_temp.held('OPN-C', 'XOPNP1') = 0 AND pg_temp.held('OPN-A', 'XOPNP1') = 38
                  AND pg_temp.held('OPN-B', 'XOPNP1') = 0,
                  'the producer makes (106) and ships (102) what it sends; A holds what it received (101 of 38); B nothing yet');
SELECT pg_temp.ok((SELECT array_agg(reason_code || ':' || quantity::int ORDER BY id) FROM stock_movements
                   WHERE document_type = 'preparation_transfer')
                  = ARRAY['106:40', '102:40', '106:10', '102:10', '101:38'],
                  'the shipments, then the receipt, in order');
SELECT pg_temp.ok((SELECT count(*) FROM audit_log WHERE entity_key = 'opening-from-history') = 1
                  AND (SELECT after FROM audit_log WHERE entity_key = 'opening-from-history')
                      = '{"deliveries": 4, "preparationTransferMovements": 5}'::jsonb,
                  'one audit row says what was posted, once');
SELECT pg_temp.ok(NOT EXISTS (
        SELECT consortium_id, institution_id, location_id, drug_code, lot_key,
               sum(CASE direction WHEN 'in' THEN quantity ELSE -quantity END)
        FROM stock_movements GROUP BY 1, 2, 3, 4, 5
        EXCEPT SELECT consortium_id, institution_id, location_id, drug_code, lot_key, quantity FROM stock_on_hand),
    'stock on hand is the sum of the movements');
\endif
