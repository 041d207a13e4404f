-- A province on one deployment, for bench/scale/run.sh (issue 28), on top of the demo seed:
--   psql -v factor=F -f bench/scale/generate.sql      (F = 1, 10, 100)
--
-- Structure, the same at every factor: 60 consortia (the demo's JLTCM and 59 generated ones, P01…P59, each copying
-- JLTCM's published catalogue and unified prices), 3,018 institutions (JLTCM's 9 and 51 per generated consortium:
-- a lead hospital, secondary hospitals, community centres and township hospitals, village clinics), each member's
-- own list of a quarter of its catalogue, one prescriber per member.
--
-- History, five years back from today, scaled by the factor; at 100× it is the province of the issue:
--   orders          5,000 × F, of 10 lines each (order lines, each received as one lot: 50,000 × F deliveries)
--   invoice lines 100,000 × F: each order is invoiced in two invoices of half its quantity (10,000 × F invoices),
--                              paid when older than 60 days, except one in fifty left unpaid (payables of every age)
--   long prescriptions 30,000 × F, renewed every 90 days per patient and drug, two fills each
--   stock movements 200,000 × F: each delivered lot received (108) and dispensed three times; of each member's lots
--                              of a drug received in the last year, the three of the latest expiry keep a quarter
--                              on hand (first expiry first out), every other lot is used up
--   audit rows: one per order, delivery, invoice, payment, prescription and fill, as the services write them
-- Every consortium gets a sixtieth of the history, shared among its members; JLTCM's 9 members are the heaviest.
--
-- Written set-based with ids chosen here, foreign keys and triggers off (session_replication_role = replica), then
-- stock_on_hand and stock_daily_consumption rebuilt from the movements (the sums the ledger's triggers keep) and
-- every sequence moved past the ids used. A bench database only.
\set ON_ERROR_STOP on
\if :{?factor}
\else
\set factor 1
\endif
SELECT 5000 * :factor AS orders, 30000 * :factor AS prescriptions \gset
\echo scale factor :factor: :orders orders, :prescriptions long prescriptions

SET session_replication_role = replica;
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
BEGIN;

-- The structure: 59 consortia beside JLTCM, their members, catalogues, prices and members' lists.
INSERT INTO consortia (code, name, kind)
SELECT 'P' || lpad(c::text, 2, '0'), '规模测试医联体' || c,
       (ARRAY['city_medical_group', 'county_medical_community', 'tcm_regional_consortium'])[1 + c % 3]
FROM generate_series(1, 59) c
ON CONFLICT (code) DO NOTHING;

INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT co.id, co.code || '-' || lpad(m::text, 3, '0'), co.name || '成员' || m,
       CASE WHEN m = 1 THEN 'tertiary' WHEN m <= 6 THEN 'secondary' WHEN m <= 26 THEN 'primary' ELSE 'village' END,
       CASE WHEN m = 1 THEN 'general' WHEN m <= 6 THEN 'tcm' WHEN m <= 16 THEN 'community_health_centre'
            WHEN m <= 26 THEN 'township_hospital' ELSE 'village_clinic' END
FROM consortia co CROSS JOIN generate_series(1, 51) m
WHERE co.code ~ '^P[0-9]{2}$'
ON CONFLICT DO NOTHING;

UPDATE consortia co SET lead_institution_id = i.id
FROM institutions i
WHERE i.consortium_id = co.id AND i.code = co.code || '-001' AND co.lead_institution_id IS NULL;

-- c: the consortium's index (0 is JLTCM), m: the member's index within it.
CREATE TEMP TABLE scale_consortia ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY code = 'JLTCM' DESC, code) - 1 AS c, id AS consortium_id, code
FROM consortia WHERE code = 'JLTCM' OR code ~ '^P[0-9]{2}$';
CREATE TEMP TABLE scale_members ON COMMIT DROP AS
SELECT s.c, row_number() OVER (PARTITION BY s.c ORDER BY i.id) - 1 AS m, i.consortium_id, i.id AS institution_id
FROM scale_consortia s JOIN institutions i ON i.consortium_id = s.consortium_id;
CREATE UNIQUE INDEX ON scale_members (c, m);
CREATE TEMP TABLE scale_member_counts ON COMMIT DROP AS SELECT c, count(*) AS members FROM scale_members GROUP BY c;
SELECT count(*) AS consortium_count FROM scale_consortia \gset
\echo :consortium_count consortia, each with its members

INSERT INTO catalogue_versions (consortium_id, number, status, revision, effective_from, created_at, proposed_at,
                                published_at)
SELECT s.consortium_id, v.number, v.status, v.revision, v.effective_from, v.created_at, v.proposed_at, v.published_at
FROM scale_consortia s
JOIN catalogue_versions v ON v.consortium_id = (SELECT id FROM consortia WHERE code = 'JLTCM') AND v.status = 'published'
WHERE s.code <> 'JLTCM'
ON CONFLICT DO NOTHING;
INSERT INTO catalogue_items (consortium_id, version_number, drug_code, levels, note, justification)
SELECT s.consortium_id, ci.version_number, ci.drug_code, ci.levels, ci.note, ci.justification
FROM scale_consortia s
JOIN catalogue_items ci ON ci.consortium_id = (SELECT id FROM consortia WHERE code = 'JLTCM')
JOIN catalogue_versions v ON v.consortium_id = ci.consortium_id AND v.number = ci.version_number
                         AND v.status = 'published'
WHERE s.code <> 'JLTCM'
ON CONFLICT DO NOTHING;
INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from,
                              status, reported_on, platform_reference, effective_from, effective_to)
SELECT s.consortium_id, p.drug_code, p.unit_price, p.price_unit, p.source, p.reference, p.requested_from,
       p.status, p.reported_on, p.platform_reference, p.effective_from, p.effective_to
FROM scale_consortia s
JOIN price_agreements p ON p.consortium_id = (SELECT id FROM consortia WHERE code = 'JLTCM') AND p.status = 'in_effect'
WHERE s.code <> 'JLTCM'
  AND NOT EXISTS (SELECT 1 FROM price_agreements q WHERE q.consortium_id = s.consortium_id);
INSERT INTO consortium_settings (consortium_id, effective_from, key, value)
SELECT s.consortium_id, cs.effective_from, cs.key, cs.value
FROM scale_consortia s
JOIN consortium_settings cs ON cs.consortium_id = (SELECT id FROM consortia WHERE code = 'JLTCM')
WHERE s.code <> 'JLTCM'
ON CONFLICT DO NOTHING;

-- The drugs each consortium buys: its catalogue's drugs with a unified price in effect (k: their index).
CREATE TEMP TABLE scale_prices ON COMMIT DROP AS
SELECT s.c, row_number() OVER (PARTITION BY s.c ORDER BY p.drug_code) - 1 AS k, p.drug_code, p.id AS agreement_id,
       p.unit_price
FROM scale_consortia s
JOIN price_agreements p ON p.consortium_id = s.consortium_id AND p.status = 'in_effect'
JOIN catalogue_items ci ON ci.consortium_id = s.consortium_id AND ci.drug_code = p.drug_code
                       AND ci.version_number = catalogue_version_in_effect(s.consortium_id, current_date)
JOIN drugs d ON d.code = p.drug_code AND d.category IN ('western', 'chinese_patent');
CREATE UNIQUE INDEX ON scale_prices (c, k);
SELECT min(n) AS drug_count FROM (SELECT count(*) AS n FROM scale_prices GROUP BY c) x \gset
\echo :drug_count priced drugs in every consortium

INSERT INTO member_catalogues (consortium_id, institution_id)
SELECT consortium_id, institution_id FROM scale_members ON CONFLICT DO NOTHING;
INSERT INTO member_catalogue_items (consortium_id, institution_id, drug_code)
SELECT m.consortium_id, m.institution_id, p.drug_code
FROM scale_members m JOIN scale_prices p ON p.c = m.c AND p.k % 4 = m.m % 4
ON CONFLICT DO NOTHING;

INSERT INTO prescribers (consortium_id, pseudonym, institution_id, title)
SELECT m.consortium_id, 'SCALE-DR-' || m.institution_id, m.institution_id, 'intermediate'
FROM scale_members m
ON CONFLICT DO NOTHING;
CREATE TEMP TABLE scale_prescribers ON COMMIT DROP AS
SELECT m.c, m.m, p.id AS prescriber_id
FROM scale_members m JOIN prescribers p ON p.consortium_id = m.consortium_id AND p.pseudonym = 'SCALE-DR-' || m.institution_id;
CREATE UNIQUE INDEX ON scale_prescribers (c, m);

SELECT id AS distributor_id FROM suppliers WHERE code = 'DST-SINOPHARM-JL' \gset
SELECT id AS manufacturer_id FROM suppliers WHERE code = 'MFR-001' \gset

-- Ids start past the largest in use, so a second run at another factor adds beside the first.
SELECT coalesce(max(id), 0) + 1 AS order0 FROM purchase_orders \gset
SELECT coalesce(max(id), 0) + 1 AS consolidated0 FROM consolidated_orders \gset
SELECT coalesce(max(id), 0) + 1 AS delivery0 FROM deliveries \gset
SELECT coalesce(max(id), 0) + 1 AS invoice0 FROM invoices \gset
SELECT coalesce(max(id), 0) + 1 AS prescription0 FROM long_prescriptions \gset

-- Orders: order n belongs to consortium n % 60 and, within it, to member (n / 60) % members; its date runs from five
-- years ago to today with n; the last fortnight's are submitted and not yet received.
CREATE TEMP TABLE scale_orders ON COMMIT DROP AS
SELECT n, s.c, s.consortium_id, mb.institution_id,
       (current_date - 1826 + (n * 1826 / :orders))::date AS order_date
FROM generate_series(0, :orders - 1) n
JOIN scale_consortia s ON s.c = n % :consortium_count
JOIN scale_member_counts mc ON mc.c = s.c
JOIN scale_members mb ON mb.c = s.c AND mb.m = (n / :consortium_count) % mc.members;
CREATE UNIQUE INDEX ON scale_orders (n);

INSERT INTO consolidated_orders (consortium_id, id, distributor_id, created_at)
OVERRIDING SYSTEM VALUE
SELECT s.consortium_id, :consolidated0 + s.c * 61 + mon, :distributor_id, now() - make_interval(days => 1826 - mon * 30)
FROM scale_consortia s CROSS JOIN generate_series(0, 60) mon;

INSERT INTO purchase_orders (consortium_id, id, institution_id, status, order_date, submitted_on, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT consortium_id, :order0 + n, institution_id,
       CASE WHEN order_date > current_date - 14 THEN 'submitted' ELSE 'received' END,
       order_date, order_date, order_date::timestamptz, order_date::timestamptz
FROM scale_orders;

CREATE TEMP TABLE scale_lines ON COMMIT DROP AS
SELECT o.n, l, o.c, o.consortium_id, o.institution_id, o.order_date, p.drug_code, p.agreement_id, p.unit_price,
       (10 + (o.n + l) % 20)::numeric AS quantity, o.order_date <= current_date - 14 AS received,
       :consolidated0 + o.c * 61 + least(60, (o.order_date - (current_date - 1826)) / 30) AS consolidated_id
FROM scale_orders o
CROSS JOIN generate_series(1, 10) l
JOIN scale_prices p ON p.c = o.c AND p.k = (o.n * 7 + l * 13) % :drug_count;

INSERT INTO purchase_order_lines (consortium_id, order_id, line_no, drug_code, quantity, quantity_unit, unit_price,
                                  price_agreement_id, consolidated_order_id, received_quantity)
SELECT consortium_id, :order0 + n, l, drug_code, quantity, 'package', unit_price, agreement_id, consolidated_id,
       CASE WHEN received THEN quantity ELSE 0 END
FROM scale_lines;

INSERT INTO deliveries (consortium_id, id, order_id, line_no, lot_number, expiry_date, quantity, received_on,
                        created_at)
OVERRIDING SYSTEM VALUE
SELECT consortium_id, :delivery0 + n * 10 + l - 1, :order0 + n, l, 'S' || (:order0 + n) || '-' || l,
       order_date + 3 + 400 + (n * 10 + l) % 400, quantity, order_date + 3, (order_date + 3)::timestamptz
FROM scale_lines WHERE received;
\echo orders, lines and deliveries written

-- Invoices: two per received order (h = 0, 1), each of half of every line.
INSERT INTO invoices (consortium_id, id, distributor_id, invoice_number, invoice_date, institution_id,
                      upstream_supplier_id, upstream_invoice_number, created_at)
OVERRIDING SYSTEM VALUE
SELECT o.consortium_id, :invoice0 + o.n * 2 + h, :distributor_id, 'SC' || (:invoice0 + o.n * 2 + h),
       o.order_date + 5 + 10 * h, o.institution_id, :manufacturer_id, 'UP' || (:invoice0 + o.n * 2 + h),
       (o.order_date + 5 + 10 * h)::timestamptz
FROM scale_orders o CROSS JOIN generate_series(0, 1) h
WHERE o.order_date <= current_date - 14;

INSERT INTO invoice_lines (consortium_id, invoice_id, line_no, order_id, order_line_no, quantity, unit_price, amount,
                           lot_number)
SELECT consortium_id, :invoice0 + n * 2 + h, l, :order0 + n, l, q, unit_price, round(q * unit_price, 2),
       'S' || (:order0 + n) || '-' || l
FROM scale_lines CROSS JOIN generate_series(0, 1) h
CROSS JOIN LATERAL (SELECT CASE WHEN h = 0 THEN floor(quantity / 2) ELSE quantity - floor(quantity / 2) END AS q) x
WHERE received;

INSERT INTO payments (consortium_id, invoice_id, paid_on, amount, reference, created_at)
SELECT i.consortium_id, i.id, i.invoice_date + 45, sum(il.amount), 'PAY-' || i.id, (i.invoice_date + 45)::timestamptz
FROM invoices i JOIN invoice_lines il ON il.consortium_id = i.consortium_id AND il.invoice_id = i.id
WHERE i.id >= :invoice0 AND i.invoice_date <= current_date - 60 AND i.id % 50 <> 0
GROUP BY i.consortium_id, i.id;
-- Paid in full on that day (what the payments' trigger keeps, migration 040).
UPDATE invoices SET settled_on = invoice_date + 45
WHERE id >= :invoice0 AND invoice_date <= current_date - 60 AND id % 50 <> 0;
\echo invoices and payments written

-- Long prescriptions: patient p (of prescriptions / 20) has one drug, renewed every 90 days for five years (the
-- twentieth began 30 days ago and is still running), 84 days each, two fills each; its consortium is p % 60 and
-- its member (p / 60) % members.
SELECT :prescriptions / 20 AS patients \gset
CREATE TEMP TABLE scale_prescriptions ON COMMIT DROP AS
SELECT r, p, s.c, s.consortium_id, mb.institution_id, pr.prescriber_id, d.drug_code,
       (current_date - 30 - 90 * (19 - r / :patients))::date AS start_date
FROM generate_series(0, :prescriptions - 1) r
CROSS JOIN LATERAL (SELECT r % :patients AS p) x
JOIN scale_consortia s ON s.c = p % :consortium_count
JOIN scale_member_counts mc ON mc.c = s.c
JOIN scale_members mb ON mb.c = s.c AND mb.m = (p / :consortium_count) % mc.members
JOIN scale_prescribers pr ON pr.c = s.c AND pr.m = mb.m
JOIN scale_prices d ON d.c = s.c AND d.k = p % :drug_count;

INSERT INTO long_prescriptions (consortium_id, id, institution_id, prescriber_id, patient_ref, drug_code, daily_dose,
                                days, quantity, start_date, supply_guard, status, max_fills, min_days_between_fills,
                                validity_days, dispensed_quantity, created_at, rx_trace_code)
OVERRIDING SYSTEM VALUE
SELECT consortium_id, :prescription0 + r, institution_id, prescriber_id, 'SCALE-PT-' || p, drug_code, 1, 84, 84,
       start_date, daterange(start_date, start_date + 84), 'active', 3, 25, 3,
       CASE WHEN start_date + 28 <= current_date THEN 84 ELSE 42 END, start_date::timestamptz,
       lpad((:prescription0 + r)::text, 20, '0')
FROM scale_prescriptions WHERE start_date <= current_date;

INSERT INTO long_prescription_fills (consortium_id, prescription_id, fill_no, filled_on, quantity)
SELECT consortium_id, :prescription0 + r, f, start_date + 28 * (f - 1), 42
FROM scale_prescriptions CROSS JOIN generate_series(1, 2) f
WHERE start_date + 28 * (f - 1) <= current_date;
\echo long prescriptions and fills written

-- The ledger: each delivered lot received (108) then dispensed three times, a quarter each. Dispensing takes the
-- first expiry first (StockRules.allocateFEFO), so what a member holds of a drug is in its lots of the latest expiry:
-- the three of those received within the last year (`kept`) keep their last quarter, about a month of stock; every
-- other lot gives it out too, by today at the latest. Dispensings name negative documents.
INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
                             quantity, document_type, document_id, occurred_at, business_date, unit_cost)
SELECT l.consortium_id, l.institution_id, l.drug_code, 'S' || (:order0 + l.n) || '-' || l.l, l.expiry_date,
       CASE WHEN k = 0 THEN '108' ELSE 'dispensing' END, CASE WHEN k = 0 THEN 'in' ELSE 'out' END,
       CASE WHEN k = 0 THEN l.quantity
            WHEN k = 3 AND NOT l.kept THEN l.quantity - 2 * floor(l.quantity / 4)
            ELSE floor(l.quantity / 4) END,
       CASE WHEN k = 0 THEN 'delivery' ELSE 'dispensing' END,
       CASE WHEN k = 0 THEN :delivery0 + l.n * 10 + l.l - 1 ELSE -(l.n * 30 + l.l * 3 + k) END,
       least(l.order_date + 3 + 20 * k, current_date)::timestamptz, least(l.order_date + 3 + 20 * k, current_date),
       CASE WHEN k = 0 THEN l.unit_price END
FROM (SELECT s.*, x.expiry_date,
             s.order_date >= current_date - 365 AND row_number() OVER (
                 PARTITION BY s.consortium_id, s.institution_id, s.drug_code, s.order_date >= current_date - 365
                 ORDER BY x.expiry_date DESC, s.n DESC, s.l DESC) <= 3 AS kept
      FROM scale_lines s CROSS JOIN LATERAL (SELECT s.order_date + 3 + 400 + (s.n * 10 + s.l) % 400 AS expiry_date) x
      WHERE s.received) l
CROSS JOIN generate_series(0, 3) k
WHERE NOT l.kept OR l.order_date + 3 + 20 * k <= current_date;
\echo stock movements written

-- The audit trail, one row per document as the services write it.
INSERT INTO audit_log (consortium_id, occurred_at, actor, actor_role, action, entity_type, entity_key, after)
SELECT consortium_id, order_date::timestamptz, 'scale-generator', 'procurement', 'create', 'purchase_order',
       (:order0 + n)::text, jsonb_build_object('institution_id', institution_id, 'order_date', order_date)
FROM scale_orders
UNION ALL
SELECT consortium_id, (order_date + 3)::timestamptz, 'scale-generator', 'pharmacist', 'receive', 'purchase_order',
       (:order0 + n)::text, jsonb_build_object('line_no', l, 'lot_number', 'S' || (:order0 + n) || '-' || l,
                                               'quantity', quantity)
FROM scale_lines WHERE received
UNION ALL
SELECT consortium_id, created_at, 'scale-generator', 'supply_centre', 'record', 'invoice', id::text,
       jsonb_build_object('invoice_number', invoice_number, 'institution_id', institution_id)
FROM invoices WHERE id >= :invoice0
UNION ALL
SELECT consortium_id, created_at, 'scale-generator', 'finance', 'pay', 'payment', invoice_id::text,
       jsonb_build_object('amount', amount, 'reference', reference)
FROM payments WHERE invoice_id >= :invoice0
UNION ALL
SELECT consortium_id, created_at, 'scale-generator', 'prescriber', 'issue', 'long_prescription', id::text,
       jsonb_build_object('patient_ref', patient_ref, 'drug_code', drug_code, 'start_date', start_date)
FROM long_prescriptions WHERE id >= :prescription0
UNION ALL
SELECT consortium_id, filled_on::timestamptz, 'scale-generator', 'pharmacist', 'fill', 'long_prescription',
       prescription_id::text, jsonb_build_object('fill_no', fill_no, 'quantity', quantity)
FROM long_prescription_fills WHERE prescription_id >= :prescription0;
\echo audit rows written

-- What the ledger's triggers keep, rebuilt from the movements (with each holding's latest unit cost).
TRUNCATE stock_on_hand, stock_daily_consumption;
INSERT INTO stock_on_hand (consortium_id, institution_id, location_id, drug_code, lot_key, lot_number, expiry_date,
                           quantity, last_movement_id, updated_at, unit_cost)
SELECT consortium_id, institution_id, location_id, drug_code, lot_key, min(lot_number), min(expiry_date),
       sum(CASE direction WHEN 'in' THEN quantity ELSE -quantity END), max(id), max(occurred_at),
       (array_agg(unit_cost ORDER BY id DESC) FILTER (WHERE unit_cost IS NOT NULL))[1]
FROM stock_movements
GROUP BY consortium_id, institution_id, location_id, drug_code, lot_key;
INSERT INTO stock_daily_consumption (consortium_id, institution_id, drug_code, business_date, quantity)
SELECT m.consortium_id, m.institution_id, m.drug_code, m.business_date, sum(r.consumption * m.quantity)
FROM stock_movements m JOIN stock_movement_reasons r ON r.code = m.reason_code
WHERE r.consumption <> 0
GROUP BY m.consortium_id, m.institution_id, m.drug_code, m.business_date;

-- What the order lines', invoice lines' and deliveries' triggers keep (042_dashboard_facts.sql, 043_invoice_facts.sql,
-- 049_receipts_by_month.sql).
SELECT receipts_by_year_rebuild();
SELECT receipts_by_month_rebuild();
SELECT invoice_facts_rebuild();

-- Every identity sequence past the ids written here.
SELECT setval(pg_get_serial_sequence('purchase_orders', 'id'), (SELECT max(id) FROM purchase_orders)),
       setval(pg_get_serial_sequence('consolidated_orders', 'id'), (SELECT max(id) FROM consolidated_orders)),
       setval(pg_get_serial_sequence('deliveries', 'id'), (SELECT max(id) FROM deliveries)),
       setval(pg_get_serial_sequence('invoices', 'id'), (SELECT max(id) FROM invoices)),
       setval(pg_get_serial_sequence('long_prescriptions', 'id'), (SELECT max(id) FROM long_prescriptions));

-- The members' orders were written behind the triggers that draw their stamps: every member's is drawn afresh
-- (053_member_order_stamps_everywhere.sql), or its orders page would never be kept.
SELECT member_order_stamps_draw_every();
COMMIT;
SET session_replication_role = origin;
VACUUM (ANALYZE);
SELECT relname AS "table", n_live_tup AS "rows" FROM pg_stat_user_tables
WHERE n_live_tup >= 10000 ORDER BY n_live_tup DESC;
