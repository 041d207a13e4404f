-- The extended prescriptions' schema (sql/022_extended_prescriptions.sql, issue 23) checked on a database with
-- sql/001…022 applied: one link per member pseudonym and no ID-card-shaped pseudonyms, prescriber tokens bound to a
-- prescriber of their own institution, each state of an extended prescription with its stamps and reasons, the
-- e-prescription's CHECKs (trace code, refills, renewal, void with the revoke), lines and dispatched lots tied to
-- stock movements, and every foreign key scoped to its consortium. Run by Tests/System/extended_rx_schema.sh
-- (psql -v ON_ERROR_STOP=1); any failed check raises.
\set QUIET on
SET client_min_messages = warning;
\o /dev/null

\i Tests/System/schema_checks.sql

-- Two consortia: EXT with an upper hospital and a community centre, OTH with one member.
BEGIN;
INSERT INTO consortia (code, name, kind) VALUES ('EXT', 'Extended test', 'county_medical_community'),
    ('OTH', 'Other consortium', 'county_medical_community');
INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT id, 'EXT-HOS', 'Upper hospital', 'tertiary', 'general' FROM consortia WHERE code = 'EXT'
UNION ALL SELECT id, 'EXT-CHC', 'Community centre', 'primary', 'township_hospital' FROM consortia WHERE code = 'EXT'
UNION ALL SELECT id, 'OTH-A', 'Other member', 'secondary', 'general' FROM consortia WHERE code = 'OTH';
UPDATE consortia SET lead_institution_id = (SELECT id FROM institutions WHERE code = 'EXT-HOS') WHERE code = 'EXT';
UPDATE consortia SET lead_institution_id = (SELECT id FROM institutions WHERE code = 'OTH-A') WHERE code = 'OTH';
COMMIT;
CREATE TEMP VIEW ids AS
SELECT (SELECT id FROM consortia WHERE code = 'EXT') AS c, (SELECT id FROM consortia WHERE code = 'OTH') AS oc,
       (SELECT id FROM institutions WHERE code = 'EXT-HOS') AS hos, (SELECT id FROM institutions WHERE code = 'EXT-CHC') AS chc,
       (SELECT id FROM institutions WHERE code = 'OTH-A') AS oth;
INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category)
VALUES ('XEXT01', 'Amlodipine', 'tablet', 28, 'box', 'tablet', 'western');
INSERT INTO prescribers (consortium_id, pseudonym, institution_id, title)
SELECT c, 'DR-CHC', chc, 'intermediate' FROM ids UNION ALL SELECT c, 'DR-HOS', hos, 'senior' FROM ids
UNION ALL SELECT oc, 'DR-OTH', oth, 'senior' FROM ids;
CREATE TEMP VIEW dr AS
SELECT (SELECT id FROM prescribers WHERE pseudonym = 'DR-CHC') AS dr_chc,
       (SELECT id FROM prescribers WHERE pseudonym = 'DR-HOS') AS dr_hos,
       (SELECT id FROM prescribers WHERE pseudonym = 'DR-OTH') AS dr_oth;

-- Prescriber tokens name a prescriber of their own institution; other roles name none; old tokens stay unbound.
INSERT INTO api_tokens (consortium_id, institution_id, role, name, token_hash, prescriber_id)
SELECT c, chc, 'prescriber', 'bound', sha256(convert_to('bound', 'UTF8')), dr_chc FROM ids, dr;
INSERT INTO api_tokens (consortium_id, institution_id, role, name, token_hash)
SELECT c, chc, 'prescriber', 'unbound', sha256(convert_to('unbound', 'UTF8')) FROM ids;
INSERT INTO api_tokens (consortium_id, institution_id, role, name, token_hash)
SELECT c, hos, 'institution_pharmacist', 'pharmacist', sha256(convert_to('pharmacist', 'UTF8')) FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO api_tokens (consortium_id, institution_id, role, token_hash, prescriber_id)
    VALUES (%s, %s, 'prescriber', sha256('a'), %s)$q$, c, chc, dr_hos), '23503') FROM ids, dr;
SELECT pg_temp.refused(format($q$INSERT INTO api_tokens (consortium_id, institution_id, role, token_hash, prescriber_id)
    VALUES (%s, %s, 'prescriber', sha256('b'), %s)$q$, c, oth, dr_oth), '23503') FROM ids, dr;
SELECT pg_temp.refused(format($q$INSERT INTO api_tokens (consortium_id, institution_id, role, token_hash, prescriber_id)
    VALUES (%s, %s, 'institution_pharmacist', sha256('c'), %s)$q$, c, chc, dr_chc), '23514') FROM ids, dr;
SELECT pg_temp.refused(format($q$INSERT INTO api_tokens (consortium_id, institution_id, role, token_hash, prescriber_id)
    VALUES (%s, NULL, 'prescriber', sha256('d'), %s)$q$, c, dr_chc), '23514') FROM ids, dr;

-- The consortium patient index: one link per member pseudonym, a known basis, no ID-card-shaped pseudonym, the
-- consortium pseudonym of the same consortium.
INSERT INTO consortium_patients (consortium_id, pseudonym) SELECT c, p FROM ids, (VALUES ('CP-1'), ('CP-2')) v (p);
INSERT INTO consortium_patients (consortium_id, pseudonym) SELECT oc, 'CP-9' FROM ids;
INSERT INTO patient_links (consortium_id, institution_id, member_pseudonym, consortium_pseudonym, basis)
SELECT c, chc, 'C-0007', 'CP-1', 'referral' FROM ids UNION ALL SELECT c, hos, 'H-0042', 'CP-1', 'insurance_card' FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO patient_links VALUES (%s, %s, 'C-0007', 'CP-2', 'health_card')$q$, c, chc),
    '23505') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO patient_links VALUES (%s, %s, 'C-0008', 'CP-9', 'health_card')$q$, c, chc),
    '23503') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO patient_links VALUES (%s, %s, 'C-0008', 'CP-2', 'name_matched')$q$, c, chc),
    '23514') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO patient_links VALUES (%s, %s, '11010519491231002X', 'CP-2', 'referral')$q$,
    c, chc), '23514') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO patient_links VALUES (%s, %s, '张三', 'CP-2', 'referral')$q$, c, chc),
    '23514') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO consortium_patients (consortium_id, pseudonym) VALUES (%s, '110105194912310021')$q$,
    c), '23514') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO patient_links VALUES (%s, %s, 'O-1', 'CP-2', 'referral')$q$, c, oth),
    '23503') FROM ids;
SELECT pg_temp.ok((SELECT array_agg(member_pseudonym ORDER BY member_pseudonym) FROM patient_links
    WHERE consortium_pseudonym = 'CP-1') = ARRAY['C-0007', 'H-0042'], 'a patient''s pseudonyms at every member');

-- A new extended prescription (requested), issued at the community centre and dispensed by the hospital.
CREATE FUNCTION pg_temp.new_rx(trace text) RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO extended_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref,
        dispensing_institution_id, collecting_institution_id, chronic, business_date, rx_trace_code, vali_days, long_rx_flag)
    SELECT c, chc, dr_chc, 'C-0007', hos, chc, true, '2026-12-01', trace, 28, true FROM ids, dr
    RETURNING id;
$$;
CREATE FUNCTION pg_temp.set(rx bigint, assignments text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE extended_prescriptions SET %s WHERE id = %s', assignments, rx);
END;
$$;
CREATE FUNCTION pg_temp.bad(rx bigint, assignments text, state text DEFAULT '23514') RETURNS void LANGUAGE sql AS $$
    SELECT pg_temp.refused(format('UPDATE extended_prescriptions SET %s WHERE id = %s', assignments, rx), state);
$$;

SELECT pg_temp.new_rx('RX000000000000000001') AS rx \gset
SELECT pg_temp.ok((SELECT state = 'requested' AND vali_end_date = '2026-12-29' FROM extended_prescriptions WHERE id = :rx),
    'a new one is requested; valid to = business date + valiDays');
-- A state without its stamps, or with a later one, is refused.
SELECT pg_temp.bad(:rx, 'state = ''approved''');
SELECT pg_temp.bad(:rx, 'reviewed_at = now()');
SELECT pg_temp.bad(:rx, 'state = ''refused'', reviewed_at = now(), delivery_due_at = NULL');
SELECT pg_temp.bad(:rx, 'state = ''approved'', reviewed_at = now()');
SELECT pg_temp.bad(:rx, 'state = ''approved'', reviewed_at = now(), delivery_due_at = now() + interval ''48 hours'', refusal_reason = ''x''');
SELECT pg_temp.bad(:rx, 'state = ''dispatched'', reviewed_at = now(), delivery_due_at = now()');
SELECT pg_temp.bad(:rx, 'state = ''cancelled'', cancelled_at = now()');
SELECT pg_temp.bad(:rx, 'state = ''cancelled'', cancel_reason = '' '', cancelled_at = now()');
-- The moves, each with its stamps.
SELECT pg_temp.set(:rx, 'state = ''approved'', reviewed_at = now(), delivery_due_at = now() + interval ''48 hours''');
SELECT pg_temp.bad(:rx, 'state = ''delivered'', delivered_at = now(), collect_by = ''2026-12-10''');
SELECT pg_temp.set(:rx, 'state = ''dispatched'', dispatched_at = now()');
SELECT pg_temp.bad(:rx, 'state = ''delivered'', delivered_at = now()');
SELECT pg_temp.set(:rx, 'state = ''delivered'', delivered_at = now(), collect_by = ''2026-12-10''');
SELECT pg_temp.bad(:rx, 'state = ''not_collected'', not_collected_at = ''2026-12-10 12:00+08''');
SELECT pg_temp.bad(:rx, 'state = ''collected''');
SELECT pg_temp.set(:rx, 'state = ''collected'', collected_at = now()');
SELECT pg_temp.bad(:rx, 'state = ''cancelled'', cancel_reason = ''late'', cancelled_at = now()');
-- Not collected only after collect_by; refused with its reason; cancelled after dispatch keeps its stamps.
SELECT pg_temp.new_rx('RX000000000000000002') AS rx2 \gset
SELECT pg_temp.set(:rx2, 'state = ''approved'', reviewed_at = now(), delivery_due_at = now() + interval ''48 hours''');
SELECT pg_temp.set(:rx2, 'state = ''dispatched'', dispatched_at = now()');
SELECT pg_temp.set(:rx2, 'state = ''delivered'', delivered_at = now(), collect_by = ''2026-12-10''');
SELECT pg_temp.set(:rx2, 'state = ''not_collected'', not_collected_at = ''2026-12-11 09:00''');
SELECT pg_temp.new_rx('RX000000000000000003') AS rx3 \gset
SELECT pg_temp.set(:rx3, 'state = ''refused'', reviewed_at = now(), refusal_reason = ''剂量超出说明书''');
SELECT pg_temp.new_rx('RX000000000000000004') AS rx4 \gset
SELECT pg_temp.set(:rx4, 'state = ''approved'', reviewed_at = now(), delivery_due_at = now() + interval ''48 hours''');
SELECT pg_temp.set(:rx4, 'state = ''dispatched'', dispatched_at = now()');
SELECT pg_temp.set(:rx4, 'state = ''cancelled'', cancelled_at = now(), cancel_reason = ''患者住院''');
SELECT pg_temp.new_rx('RX000000000000000005') AS rx5 \gset
SELECT pg_temp.set(:rx5, 'state = ''cancelled'', cancelled_at = now(), cancel_reason = ''开错''');

-- The e-prescription: trace code of 20 and unique, refills within the maximum and only when refillable, a renewal
-- naming its original, a void always with the insurance revoke and a reason.
SELECT pg_temp.refused('SELECT pg_temp.new_rx(''RX000000000000000001'')', '23505');
SELECT pg_temp.refused('SELECT pg_temp.new_rx(''RX00000000000000001'')', '23514');
SELECT pg_temp.bad(:rx3, 'max_rept_cnt = 2');
SELECT pg_temp.bad(:rx3, 'rept_flag = true, max_rept_cnt = 2, reptd_cnt = 3');
SELECT pg_temp.bad(:rx3, 'rx_cotn_flag = true');
SELECT pg_temp.bad(:rx3, 'init_rxno = ''H0001''');
SELECT pg_temp.bad(:rx3, 'hi_rxno = ''' || repeat('9', 31) || '''');
SELECT pg_temp.bad(:rx3, 'voided_at = now(), void_reason = ''开错''');
SELECT pg_temp.bad(:rx3, 'voided_at = now(), revoked_at = now()');
SELECT pg_temp.set(:rx3, 'rept_flag = true, max_rept_cnt = 2, reptd_cnt = 1, rx_cotn_flag = true, init_rxno = ''H0001''');
SELECT pg_temp.set(:rx3, 'revoked_at = now()');
SELECT pg_temp.set(:rx3, 'voided_at = now(), void_reason = ''开错''');

-- Where it goes and who writes it: home delivery with an address reference only; dispensed elsewhere than issued;
-- the prescriber of the issuing member; everything within the consortium.
CREATE FUNCTION pg_temp.rx_insert(prescriber bigint, issuer bigint, dispenser bigint, extra text DEFAULT '') RETURNS text
LANGUAGE sql AS $$
    SELECT format($q$INSERT INTO extended_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref,
        dispensing_institution_id, collecting_institution_id, chronic, business_date, rx_trace_code, vali_days,
        long_rx_flag %s) VALUES (%s, %s, %s, 'C-0007', %s, %s, true, '2026-12-01', 'RX000000000000000099', 28, true %s)$q$,
        CASE WHEN extra = '' THEN '' ELSE ', delivery, home_address_ref' END, (SELECT c FROM ids), issuer, prescriber,
        dispenser, issuer, extra);
$$;
SELECT pg_temp.refused(pg_temp.rx_insert(dr_chc, chc, hos, ', ''home'', NULL'), '23514') FROM ids, dr;
SELECT pg_temp.refused(pg_temp.rx_insert(dr_chc, chc, hos, ', ''home'', ''Room 3, 12 Main St'''), '23514') FROM ids, dr;
SELECT pg_temp.refused(pg_temp.rx_insert(dr_chc, chc, chc), '23514') FROM ids, dr;
SELECT pg_temp.refused(pg_temp.rx_insert(dr_hos, chc, hos), '23503') FROM ids, dr;
SELECT pg_temp.refused(pg_temp.rx_insert(dr_chc, chc, oth), '23503') FROM ids, dr;
SELECT pg_temp.ok((SELECT count(*) FROM extended_prescriptions) = 5, 'nothing refused was written');
INSERT INTO extended_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref, dispensing_institution_id,
    collecting_institution_id, delivery, home_address_ref, chronic, business_date, rx_trace_code, vali_days, long_rx_flag)
SELECT c, chc, dr_chc, 'C-0007', hos, chc, 'home', 'ADDR-7', false, '2026-12-01', 'RX000000000000000006', 7, false FROM ids, dr;

-- Lines, and the lots dispatched with their stock movement (a movement of the new document type).
INSERT INTO extended_prescription_lines (consortium_id, prescription_id, line_no, drug_code, quantity, unit, days, med_list_codg)
SELECT c, :rx, 1, 'XEXT01', 56, 'tablet', 28, 'XC08CAA001A001010100001' FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO extended_prescription_lines (consortium_id, prescription_id, line_no, drug_code,
    quantity, unit, days) VALUES (%s, %s, 2, 'XEXT01', 1, 'tablet', 28)$q$, c, :rx), '23505') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO extended_prescription_lines (consortium_id, prescription_id, line_no, drug_code,
    quantity, unit, days) VALUES (%s, %s, 1, 'XEXT01', 1, 'tablet', 28)$q$, oc, :rx), '23503') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO extended_prescription_lines (consortium_id, prescription_id, line_no, drug_code,
    quantity, unit, days) VALUES (%s, %s, 3, 'XEXT01', 0, 'tablet', 28)$q$, c, :rx), '23514') FROM ids;
INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
    quantity, document_type, document_id, business_date)
SELECT c, hos, 'XEXT01', 'bs2701', '2028-06-30', '108', 'in', 100, 'opening', NULL, '2026-12-01' FROM ids;
INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
    quantity, document_type, document_id, business_date)
SELECT c, hos, 'XEXT01', 'bs2701', '2028-06-30', '102', 'out', 56, 'extended_prescription', :rx, '2026-12-01' FROM ids
RETURNING id AS movement \gset
INSERT INTO extended_prescription_lots (consortium_id, prescription_id, line_no, lot_number, expiry_date, quantity, movement_id)
SELECT c, :rx, 1, 'BS2701', '2028-06-30', 56, :movement FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO extended_prescription_lots (consortium_id, prescription_id, line_no, lot_number,
    expiry_date, quantity, movement_id) VALUES (%s, %s, 1, 'ＢＳ２７０１', '2028-06-30', 1, %s)$q$, c, :rx, :movement),
    '23505') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO extended_prescription_lots (consortium_id, prescription_id, line_no, lot_number,
    expiry_date, quantity, movement_id) VALUES (%s, %s, 1, 'OTHER', '2028-06-30', 1, -1)$q$, c, :rx), '23503') FROM ids;
SELECT pg_temp.refused(format($q$INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number,
    expiry_date, reason_code, direction, quantity, document_type, document_id, business_date)
    VALUES (%s, %s, 'XEXT01', 'bs2701', '2028-06-30', '102', 'out', 1, 'extended_rx', 1, '2026-12-01')$q$, c, hos), '23514')
    FROM ids;
SELECT pg_temp.ok((SELECT quantity = 44 FROM stock_on_hand WHERE lot_key = 'BS2701'), 'the dispatch left 44 on hand');

-- Long prescriptions carry the e-prescription too: old rows without a trace code keep working; a void revokes.
INSERT INTO long_prescriptions (consortium_id, institution_id, prescriber_id, patient_ref, drug_code, daily_dose, days,
    quantity, start_date, supply_guard, max_fills, min_days_between_fills, validity_days)
SELECT c, hos, dr_hos, 'H-0042', 'XEXT01', 1, 28, 28, '2026-12-01', daterange('2026-12-01', '2026-12-22'), 1, 0, 28
FROM ids, dr RETURNING id AS lp \gset
SELECT pg_temp.refused('UPDATE long_prescriptions SET voided_at = now(), void_reason = ''x'' WHERE id = ' || :lp, '23514');
SELECT pg_temp.refused('UPDATE long_prescriptions SET rx_trace_code = ''SHORT'' WHERE id = ' || :lp, '23514');
UPDATE long_prescriptions SET rx_trace_code = 'RX000000000000000001', revoked_at = now(), voided_at = now(), void_reason = 'x'
WHERE id = :lp;

\o
SELECT 'extended_rx_schema.sql: passed' AS result;
