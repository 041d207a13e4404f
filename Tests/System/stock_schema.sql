-- The stock ledger's schema (sql/020_stock.sql, issue 21) checked on a database with the migrations applied: negative
-- stock refused, two sessions racing for the last units (one fails), quarantine, blocks, the second-person count
-- rule, the first dispensing of a traceability code unique, movements and on hand agreeing, daily consumption (sql/026)
-- kept with them. Run by Tests/System/stock_schema.sh (psql -v ON_ERROR_STOP=1 -v url=<this database's URL>); any failed check raises.
\set QUIET on
SET client_min_messages = warning;
\o /dev/null

\i Tests/System/schema_checks.sql

-- Stock on hand is the sum of the movements, lot by lot.
CREATE FUNCTION pg_temp.ledger_agrees() RETURNS boolean LANGUAGE sql AS $$
    SELECT NOT EXISTS (
        SELECT consortium_id, institution_id, location_id, drug_code, lot_key,
               sum(CASE direction WHEN 'in' THEN quantity ELSE -quantity END)
        FROM stock_movements GROUP BY 1, 2, 3, 4, 5
        EXCEPT
        SELECT consortium_id, institution_id, location_id, drug_code, lot_key, quantity FROM stock_on_hand)
    AND NOT EXISTS (
        SELECT consortium_id, institution_id, location_id, drug_code, lot_key, quantity FROM stock_on_hand
        EXCEPT
        SELECT consortium_id, institution_id, location_id, drug_code, lot_key,
               sum(CASE direction WHEN 'in' THEN quantity ELSE -quantity END)
        FROM stock_movements GROUP BY 1, 2, 3, 4, 5);
$$;

-- A consortium with two members, a drug, a token.
BEGIN;
INSERT INTO consortia (code, name, kind) VALUES ('STK', 'Stock test', 'county_medical_community');
INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT id, 'STK-A', 'Member A', 'secondary', 'general' FROM consortia WHERE code = 'STK'
UNION ALL SELECT id, 'STK-B', 'Member B', 'primary', 'township_hospital' FROM consortia WHERE code = 'STK';
UPDATE consortia SET lead_institution_id = (SELECT id FROM institutions WHERE code = 'STK-A') WHERE code = 'STK';
COMMIT;
INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category)
VALUES ('XSTK01', 'Amlodipine', 'tablet', 28, 'box', 'tablet', 'western');
INSERT INTO api_tokens (consortium_id, institution_id, role, name, token_hash)
SELECT c.id, i.id, 'institution_pharmacist', p.name, sha256(convert_to(p.name, 'UTF8'))
FROM consortia c JOIN institutions i ON i.consortium_id = c.id AND i.code = 'STK-A'
CROSS JOIN (VALUES ('counter'), ('approver')) p (name) WHERE c.code = 'STK';
INSERT INTO stock_locations (consortium_id, institution_id, code, name, kind)
SELECT consortium_id, id, 'PHARMACY', 'Outpatient pharmacy', 'pharmacy' FROM institutions WHERE code = 'STK-A';

-- Movements are written through this (the store's statement will be the same INSERT).
CREATE FUNCTION pg_temp.move(member text, lot text, expiry date, reason text, qty numeric, on_date date DEFAULT '2026-12-01',
                             loc text DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stock_movements (consortium_id, institution_id, location_id, drug_code, lot_number, expiry_date,
                                 reason_code, direction, quantity, document_type, document_id, business_date)
    SELECT i.consortium_id, i.id, l.id, 'XSTK01', lot, expiry, reason, r.direction, qty,
           CASE WHEN reason = 'dispensing' THEN 'dispensing' ELSE 'other' END, 1, on_date
    FROM institutions i JOIN stock_movement_reasons r ON r.code = reason
    LEFT JOIN stock_locations l ON l.institution_id = i.id AND l.code = loc
    WHERE i.code = member;
$$;
CREATE FUNCTION pg_temp.on_hand(member text, lot text, loc text DEFAULT NULL) RETURNS numeric LANGUAGE sql AS $$
    SELECT coalesce(sum(s.quantity), 0) FROM stock_on_hand s JOIN institutions i ON i.id = s.institution_id
    LEFT JOIN stock_locations l ON l.id = s.location_id
    WHERE i.code = member AND s.lot_key = lot_key(lot) AND l.code IS NOT DISTINCT FROM loc;
$$;

-- The reasons are those of the CSV (sql/020's 13 and sql/024's opening), with their directions and what they do to
-- consumption (sql/026).
CREATE TEMP TABLE seeded_reasons (code text, direction text, name_zh text, name_en text, consumption smallint);
\copy seeded_reasons FROM 'seeds/reference/stock_movement_reasons.csv' WITH (FORMAT csv, HEADER true)
SELECT pg_temp.ok(
    (SELECT count(*) FROM (SELECT code, direction, name_zh, name_en, consumption FROM stock_movement_reasons
                           EXCEPT SELECT * FROM seeded_reasons) d) = 0
    AND (SELECT count(*) FROM seeded_reasons) = (SELECT count(*) FROM stock_movement_reasons)
    AND (SELECT count(*) FROM stock_movement_reasons WHERE national) = 11,
    'stock_movement_reasons agrees with seeds/reference/stock_movement_reasons.csv');

-- A receipt, a dispensing; the lot's key joins case and full-width forms; a location is its own stock.
SELECT pg_temp.move('STK-A', 'bs261115', '2027-06-30', '108', 10);
SELECT pg_temp.move('STK-A', 'ＢＳ２６１１１５', '2027-06-30', 'dispensing', 4);
SELECT pg_temp.move('STK-A', 'BS261115', '2027-06-30', '108', 3, '2026-12-01', 'PHARMACY');
SELECT pg_temp.ok(pg_temp.on_hand('STK-A', 'BS261115') = 6, 'receipt 10, dispensed 4: 6 on hand');
SELECT pg_temp.ok(pg_temp.on_hand('STK-A', 'BS261115', 'PHARMACY') = 3, 'the pharmacy holds its own 3');

-- Negative stock is impossible: more than on hand, or out of a lot never received.
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-A', 'BS261115', '2027-06-30', 'dispensing', 7)$$, '23514');
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-B', 'BS261115', '2027-06-30', '102', 1)$$, '23514');
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-A', 'NEVER', '2027-06-30', '107', 1)$$, '23514');
SELECT pg_temp.ok(pg_temp.on_hand('STK-A', 'BS261115') = 6, 'a refused movement leaves nothing behind');
-- A direction that is not the reason's, and a quantity that is not positive, are refused.
SELECT pg_temp.refused($$INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date,
    reason_code, direction, quantity, document_type, document_id, business_date)
    SELECT consortium_id, id, 'XSTK01', 'BS261115', '2027-06-30', '108', 'out', 1, 'other', 1, '2026-12-01'
    FROM institutions WHERE code = 'STK-A'$$, '23503');
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-A', 'BS261115', '2027-06-30', '108', 0)$$, '23514');
-- A lot keeps one expiry date where it is held.
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-A', 'BS261115', '2027-07-31', '108', 1)$$, '23514');

-- Movements are never updated nor deleted.
SELECT pg_temp.refused($$UPDATE stock_movements SET quantity = 100$$, '42501');
SELECT pg_temp.refused($$DELETE FROM stock_movements$$, '42501');

-- Quarantine: from its expiry date on a lot is not dispensed nor transferred, only destroyed or returned.
SELECT pg_temp.move('STK-A', 'OLD1', '2026-12-01', '108', 5, '2026-11-01');
SELECT pg_temp.move('STK-A', 'OLD1', '2026-12-01', 'dispensing', 1, '2026-11-30');
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-A', 'OLD1', '2026-12-01', 'dispensing', 1, '2026-12-01')$$, '23514');
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-A', 'OLD1', '2026-12-01', '102', 1, '2026-12-02')$$, '23514');
SELECT pg_temp.move('STK-A', 'OLD1', '2026-12-01', '105', 3, '2026-12-02');
SELECT pg_temp.move('STK-A', 'OLD1', '2026-12-01', '109', 1, '2026-12-02');
SELECT pg_temp.ok(pg_temp.on_hand('STK-A', 'OLD1') = 0, 'expired lot destroyed and returned');

-- A recalled lot is blocked at every member at once; a recall names the regulator's notice.
SELECT pg_temp.move('STK-B', 'REC1', '2027-12-31', '108', 8);
SELECT pg_temp.refused($$INSERT INTO lot_blocks (consortium_id, drug_code, lot_number, kind, reason)
    SELECT id, 'XSTK01', 'REC1', 'recall', 'sterility' FROM consortia WHERE code = 'STK'$$, '23514');
INSERT INTO lot_blocks (consortium_id, drug_code, lot_number, kind, notice_number, reason)
SELECT id, 'XSTK01', 'rec1 ', 'recall', 'NMPA-2026-117', 'sterility' FROM consortia WHERE code = 'STK';
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-B', 'REC1', '2027-12-31', 'dispensing', 1)$$, '23514');
SELECT pg_temp.refused($$SELECT pg_temp.move('STK-B', 'REC1', '2027-12-31', '102', 1)$$, '23514');
SELECT pg_temp.refused($$INSERT INTO lot_blocks (consortium_id, drug_code, lot_number, kind, notice_number, reason)
    SELECT id, 'XSTK01', 'REC1', 'recall', 'NMPA-2026-118', 'again' FROM consortia WHERE code = 'STK'$$, '23505');
UPDATE lot_blocks SET released_at = now(), release_reason = 'notice withdrawn' WHERE lot_key = 'REC1';
SELECT pg_temp.move('STK-B', 'REC1', '2027-12-31', 'dispensing', 1);
SELECT pg_temp.ok(pg_temp.on_hand('STK-B', 'REC1') = 7, 'released lot dispensed again');

-- Two sessions race for the last units: the second waits on the first's row lock, then fails the CHECK.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT pg_temp.move('STK-B', 'LAST', '2027-12-31', '108', 3);
BEGIN;
SELECT pg_temp.move('STK-B', 'LAST', '2027-12-31', 'dispensing', 2);
SELECT dblink_connect('other', :'url');
SELECT dblink_send_query('other', $$
    INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code,
                                 direction, quantity, document_type, document_id, business_date)
    SELECT consortium_id, id, 'XSTK01', 'LAST', '2027-12-31', 'dispensing', 'out', 2, 'dispensing', 2, '2026-12-01'
    FROM institutions WHERE code = 'STK-B'$$);
SELECT pg_sleep(0.5);
-- the other session is still waiting on this one's lock on the lot's row
SELECT pg_temp.ok(dblink_is_busy('other') = 1, 'the second issue waits for the first');
COMMIT;
CREATE FUNCTION pg_temp.other_result() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink_get_result('other') AS r (status text);
    RETURN 'succeeded';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;
SELECT pg_temp.ok(pg_temp.other_result() = '23514', 'the second issue of the last units fails (23514)');
SELECT dblink_disconnect('other');
SELECT pg_temp.ok(pg_temp.on_hand('STK-B', 'LAST') = 1, 'one of the two issues went through');

-- Transfers: states as CHECK lists; dispatched and received stamps follow the state; a receipt's discrepancy has a reason.
INSERT INTO stock_transfers (consortium_id, sender_institution_id, receiver_institution_id)
SELECT a.consortium_id, a.id, b.id FROM institutions a, institutions b WHERE a.code = 'STK-A' AND b.code = 'STK-B';
INSERT INTO stock_transfer_lines (consortium_id, transfer_id, line_no, drug_code, quantity)
SELECT consortium_id, id, 1, 'XSTK01', 4 FROM stock_transfers;
INSERT INTO stock_transfer_lots (consortium_id, transfer_id, line_no, lot_number, expiry_date, dispatched_quantity)
SELECT consortium_id, transfer_id, 1, 'BS261115', '2027-06-30', 4 FROM stock_transfer_lines;
SELECT pg_temp.refused($$UPDATE stock_transfers SET status = 'dispatched'$$, '23514');
SELECT pg_temp.refused($$UPDATE stock_transfers SET status = 'in_transit', dispatched_at = now()$$, '23514');
UPDATE stock_transfers SET status = 'dispatched', dispatched_at = now();
SELECT pg_temp.refused($$UPDATE stock_transfer_lots SET received_quantity = 3$$, '23514');
SELECT pg_temp.refused($$UPDATE stock_transfer_lots SET received_quantity = 4, damaged_quantity = 1,
    discrepancy_reason = 'crushed'$$, '23514');
UPDATE stock_transfer_lots SET received_quantity = 3, discrepancy_reason = 'one box missing';
SELECT pg_temp.refused($$INSERT INTO stock_transfers (consortium_id, sender_institution_id, receiver_institution_id)
    SELECT consortium_id, id, id FROM institutions WHERE code = 'STK-A'$$, '23514');

-- Counts: the approver is not the counter.
INSERT INTO stock_counts (consortium_id, institution_id, count_date, counted_by)
SELECT i.consortium_id, i.id, '2026-12-01', t.id FROM institutions i, api_tokens t WHERE i.code = 'STK-A' AND t.name = 'counter';
SELECT pg_temp.refused($$UPDATE stock_counts SET status = 'approved', approved_at = now(), approved_by = counted_by$$, '23514');
UPDATE stock_counts SET status = 'approved', approved_at = now(), approved_by = (SELECT id FROM api_tokens WHERE name = 'approver');

-- Traceability codes: 20 digits, a known prefix; the first dispensing of a code is unique, a second is a reflow.
INSERT INTO traceability_code_prefixes (prefix, drug_code, package) VALUES ('8100001', 'XSTK01', '28 tablets/box');
CREATE FUNCTION pg_temp.dispense_code(code text, reflow boolean) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dispensed_traceability_codes (consortium_id, code, institution_id, movement_id, reflow, first_dispensing_id)
    SELECT m.consortium_id, code, m.institution_id, m.id, reflow,
           CASE WHEN reflow THEN (SELECT d.id FROM dispensed_traceability_codes d WHERE d.code = dispense_code.code AND NOT d.reflow) END
    FROM stock_movements m WHERE m.reason_code = 'dispensing' ORDER BY m.id LIMIT 1;
$$;
SELECT pg_temp.dispense_code('81000011234567890123', false);
SELECT pg_temp.refused($$SELECT pg_temp.dispense_code('81000011234567890123', false)$$, '23505');
SELECT pg_temp.dispense_code('81000011234567890123', true);
SELECT pg_temp.refused($$SELECT pg_temp.dispense_code('8100001123456789012', false)$$, '23514');
SELECT pg_temp.refused($$SELECT pg_temp.dispense_code('99999991234567890123', false)$$, '23503');
SELECT pg_temp.ok((SELECT count(*) FROM dispensed_traceability_codes WHERE reflow) = 1, 'the second dispensing is flagged');

-- Consumption (sql/026) is kept with the movements: dispensed less returned per member, drug and business date;
-- receipts, transfers, destruction and counts are not consumption.
SELECT pg_temp.move('STK-B', 'REC1', '2027-12-31', 'patient_return', 1, '2026-12-03');
SELECT pg_temp.move('STK-B', 'REC1', '2027-12-31', 'dispensing', 3, '2026-12-03');
SELECT pg_temp.ok(NOT EXISTS (
    SELECT m.consortium_id, m.institution_id, m.drug_code, m.business_date,
           sum(CASE m.reason_code WHEN 'dispensing' THEN m.quantity WHEN 'patient_return' THEN -m.quantity END)
    FROM stock_movements m WHERE m.reason_code IN ('dispensing', 'patient_return') GROUP BY 1, 2, 3, 4
    EXCEPT SELECT consortium_id, institution_id, drug_code, business_date, quantity FROM stock_daily_consumption)
    AND (SELECT count(*) FROM stock_daily_consumption)
        = (SELECT count(DISTINCT (institution_id, drug_code, business_date)) FROM stock_movements
           WHERE reason_code IN ('dispensing', 'patient_return')),
    'stock_daily_consumption is dispensed less returned, day by day');
SELECT pg_temp.ok((SELECT c.quantity FROM stock_daily_consumption c JOIN institutions i ON i.id = c.institution_id
                   WHERE i.code = 'STK-B' AND c.business_date = '2026-12-03') = 2, 'dispensed 3, returned 1: 2 consumed');

-- After all of it, stock on hand is still the sum of the movements, and never negative.
SELECT pg_temp.ok(pg_temp.ledger_agrees(), 'stock_on_hand agrees with stock_movements');
SELECT pg_temp.ok(NOT EXISTS (SELECT 1 FROM stock_on_hand WHERE quantity < 0), 'no negative stock');
\o
\echo stock_schema.sql: all checks passed
