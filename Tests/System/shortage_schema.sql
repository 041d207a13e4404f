-- The shortage schema (sql/021_shortages.sql, issue 22) checked on a database with sql/001…021 applied: one open
-- record per consortium and drug (also when two sessions race), the CHECK lists and rules, the consortium-scoped
-- foreign keys, the actions log append-only, and seeds/reference/shortage_lists.csv fitting the table. Run by
-- Tests/System/shortage_schema.sh (psql -v ON_ERROR_STOP=1 -v url=<this database's URL>); any failed check raises.
\set QUIET on
SET client_min_messages = warning;
\o /dev/null

\i Tests/System/schema_checks.sql

-- Two consortia with two members each, two drugs, a token, a supplier.
BEGIN;
INSERT INTO consortia (code, name, kind) VALUES ('SHT', 'Shortage test', 'county_medical_community'),
                                                ('OTH', 'Another', 'county_medical_community');
INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT id, 'SHT-A', 'Member A', 'secondary', 'general' FROM consortia WHERE code = 'SHT'
UNION ALL SELECT id, 'SHT-B', 'Member B', 'primary', 'township_hospital' FROM consortia WHERE code = 'SHT'
UNION ALL SELECT id, 'OTH-A', 'Other A', 'secondary', 'general' FROM consortia WHERE code = 'OTH';
UPDATE consortia c SET lead_institution_id = i.id FROM institutions i
WHERE i.consortium_id = c.id AND i.code IN ('SHT-A', 'OTH-A');
COMMIT;
INSERT INTO drugs (code, generic_name, dosage_form, strength, package_size, package_unit, unit, atc_code, category)
VALUES ('XSHT01', 'Amlodipine', 'tablet', '5mg', 28, 'box', 'tablet', 'C08CA01', 'western'),
       ('XSHT02', 'Amlodipine', 'tablet', '10mg', 28, 'box', 'tablet', 'C08CA01', 'western');
INSERT INTO api_tokens (consortium_id, institution_id, role, name, token_hash)
SELECT c.id, i.id, p.role, p.name, sha256(convert_to(p.name, 'UTF8'))
FROM consortia c JOIN institutions i ON i.consortium_id = c.id AND i.code = 'SHT-A'
CROSS JOIN (VALUES ('consortium_admin', 'admin'), ('institution_pharmacist', 'pharmacist')) p (role, name)
WHERE c.code = 'SHT';
INSERT INTO suppliers (code, name, is_distributor, distribution_licence) VALUES ('SHT-DIST', 'Distributor', true, 'GZ-1');

CREATE FUNCTION pg_temp.c(code text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM consortia WHERE consortia.code = $1 $$;
CREATE FUNCTION pg_temp.i(code text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM institutions WHERE institutions.code = $1 $$;
CREATE FUNCTION pg_temp.t(name text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM api_tokens WHERE api_tokens.name = $1 $$;

-- List membership: dated, a provincial list names its province (and only it), once at a time per list.
INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, source)
VALUES ('XSHT01', 'key_monitoring', '2022-09-01', 'key monitoring list 2022');
INSERT INTO shortage_list_memberships (drug_code, list_kind, region, valid_from, valid_until, source)
VALUES ('XSHT01', 'provincial', '贵州', '2023-01-01', '2024-01-01', 'Guizhou list');
SELECT pg_temp.refused($$INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, source)
    VALUES ('XSHT01', 'key_monitoring', '2024-01-01', 'overlapping')$$, '23P01');
SELECT pg_temp.refused($$INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, source)
    VALUES ('XSHT01', 'provincial', '2025-01-01', 'no province')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_list_memberships (drug_code, list_kind, region, valid_from, source)
    VALUES ('XSHT01', 'national_shortage', '贵州', '2025-01-01', 'a national list with a province')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, valid_until, source)
    VALUES ('XSHT02', 'national_shortage', '2025-01-01', '2025-01-01', 'empty range')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, source)
    VALUES ('XSHT02', 'shortlist', '2025-01-01', 'no such list')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_list_memberships (drug_code, list_kind, valid_from, source)
    VALUES ('NOPE', 'national_shortage', '2025-01-01', 'no such drug')$$, '23503');
-- Another province's list, and the same province after the first ended, are fine.
INSERT INTO shortage_list_memberships (drug_code, list_kind, region, valid_from, source)
VALUES ('XSHT01', 'provincial', '四川', '2023-01-01', 'Sichuan list'),
       ('XSHT01', 'provincial', '贵州', '2024-01-01', 'Guizhou list, renewed');

-- One open record per consortium and drug.
INSERT INTO shortages (consortium_id, drug_code, level, opened_on)
VALUES (pg_temp.c('SHT'), 'XSHT01', 'member', '2026-11-01');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, level, opened_on)
    VALUES (pg_temp.c('SHT'), 'XSHT01', 'consortium', '2026-11-02')$$, '23505');
-- Another consortium's, another drug's, and a closed one beside the open one are fine.
INSERT INTO shortages (consortium_id, drug_code, level, opened_on) VALUES (pg_temp.c('OTH'), 'XSHT01', 'member', '2026-11-01');
INSERT INTO shortages (consortium_id, drug_code, status, level, opened_on, closed_on, outcome)
VALUES (pg_temp.c('SHT'), 'XSHT01', 'closed', 'member', '2026-06-01', '2026-06-20', 'recovered');
-- A reopened record goes back to open only if no other is open.
SELECT pg_temp.refused($$UPDATE shortages SET status = 'open', closed_on = NULL, outcome = NULL, reopenings = 1
    WHERE consortium_id = pg_temp.c('SHT') AND status = 'closed'$$, '23505');

-- The CHECK lists and rules.
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, status, level, opened_on)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'pending', 'member', '2026-11-01')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, level, opened_on)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'national', '2026-11-01')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, level, cause, opened_on)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'member', 'weather', '2026-11-01')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, level, cause, opened_on)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'member', 'other', '2026-11-01')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, status, level, opened_on, closed_on)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'closed', 'member', '2026-11-01', '2026-11-05')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, status, level, opened_on, closed_on, outcome)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'closed', 'member', '2026-11-01', '2026-10-05', 'recovered')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, status, level, opened_on, closed_on, outcome)
    VALUES (pg_temp.c('SHT'), 'XSHT02', 'closed', 'member', '2026-11-01', '2026-11-05', 'substituted')$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortages (consortium_id, drug_code, level, opened_on)
    VALUES (pg_temp.c('SHT'), 'NOPE', 'member', '2026-11-01')$$, '23503');
INSERT INTO shortages (consortium_id, drug_code, status, level, cause, cause_note, opened_on, closed_on, outcome, close_note)
VALUES (pg_temp.c('SHT'), 'XSHT02', 'closed', 'member', 'other', 'flood at the warehouse', '2026-11-01', '2026-11-05',
        'substituted', 'moved to 5mg');

CREATE TEMP VIEW open_shortage AS
    SELECT consortium_id, id FROM shortages WHERE consortium_id = pg_temp.c('SHT') AND drug_code = 'XSHT01' AND status = 'open';

-- Members affected: of the record's own consortium.
INSERT INTO shortage_members (consortium_id, shortage_id, institution_id, on_hand, days_of_stock, first_affected_on, last_seen_on)
SELECT consortium_id, id, pg_temp.i('SHT-B'), 0, 0, '2026-11-01', '2026-11-01' FROM open_shortage;
SELECT pg_temp.refused($$INSERT INTO shortage_members (consortium_id, shortage_id, institution_id, on_hand,
    first_affected_on, last_seen_on)
    SELECT consortium_id, id, pg_temp.i('OTH-A'), 0, '2026-11-01', '2026-11-01' FROM open_shortage$$, '23503');
SELECT pg_temp.refused($$INSERT INTO shortage_members (consortium_id, shortage_id, institution_id, on_hand,
    first_affected_on, last_seen_on)
    SELECT consortium_id, id, pg_temp.i('SHT-A'), -1, '2026-11-01', '2026-11-01' FROM open_shortage$$, '23514');

-- Signals: what shows each kind; a holding signal kept once.
INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, on_hand, days_of_stock, first_seen_on, last_seen_on)
SELECT consortium_id, id, 'stock_out', pg_temp.i('SHT-B'), 0, 0, '2026-11-01', '2026-11-01' FROM open_shortage;
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, on_hand,
    first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'stock_out', pg_temp.i('SHT-B'), 0, '2026-11-02', '2026-11-02' FROM open_shortage$$, '23505');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, on_hand,
    first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'stock_out', pg_temp.i('SHT-A'), 5, '2026-11-02', '2026-11-02' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, days_late,
    first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'late_delivery', pg_temp.i('SHT-A'), 2, '2026-11-02', '2026-11-02' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'supplier_report', '2026-11-02', '2026-11-02' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'rumour', '2026-11-02', '2026-11-02' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, order_id, line_no,
    days_late, first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'late_delivery', pg_temp.i('SHT-A'), 999, 1, 2, '2026-11-02', '2026-11-02' FROM open_shortage$$,
    '23503');
-- A late extended prescription (sql/032) names its prescription, its collecting member and its days late.
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, days_late,
    first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'late_extended_prescription', pg_temp.i('SHT-A'), 2, '2026-11-02', '2026-11-02'
    FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id,
    extended_prescription_id, first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'late_extended_prescription', pg_temp.i('SHT-A'), 999, '2026-11-02', '2026-11-02'
    FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id,
    extended_prescription_id, days_late, first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'late_extended_prescription', pg_temp.i('SHT-A'), 999, 2, '2026-11-02', '2026-11-02'
    FROM open_shortage$$, '23503');
SELECT pg_temp.refused($$INSERT INTO shortage_signals (consortium_id, shortage_id, kind, institution_id, order_id, line_no,
    extended_prescription_id, days_late, first_seen_on, last_seen_on)
    SELECT consortium_id, id, 'late_delivery', pg_temp.i('SHT-A'), 999, 1, 999, 2, '2026-11-02', '2026-11-02'
    FROM open_shortage$$, '23514');
-- A supplier's report is the consortium's; a signal points at one of its own.
INSERT INTO shortage_supplier_reports (consortium_id, drug_code, supplier_id, reported_on, notice)
SELECT pg_temp.c('SHT'), 'XSHT01', id, '2026-11-01', '原料药短缺，暂停供货' FROM suppliers WHERE code = 'SHT-DIST';
SELECT pg_temp.refused($$INSERT INTO shortage_supplier_reports (consortium_id, drug_code, supplier_id, reported_on,
    resumed_on, notice) SELECT pg_temp.c('SHT'), 'XSHT01', id, '2026-11-01', '2026-11-01', 'x' FROM suppliers$$, '23514');
INSERT INTO shortage_signals (consortium_id, shortage_id, kind, supplier_report_id, first_seen_on, last_seen_on)
SELECT s.consortium_id, s.id, 'supplier_report', r.id, '2026-11-01', '2026-11-01' FROM open_shortage s, shortage_supplier_reports r;

-- Actions: who, when, why; a substitute signed off; an emergency purchase names its supplier; append-only.
INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason, substitute_drug_code,
                              signed_off_by)
SELECT consortium_id, id, 'substitute', pg_temp.t('admin'), '2026-11-02', 'same generic, 10mg halved', 'XSHT02',
       pg_temp.t('pharmacist') FROM open_shortage;
SELECT pg_temp.refused($$INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason,
    substitute_drug_code) SELECT consortium_id, id, 'substitute', pg_temp.t('admin'), '2026-11-02', 'unsigned', 'XSHT02'
    FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason,
    quantity) SELECT consortium_id, id, 'emergency_purchase', pg_temp.t('admin'), '2026-11-02', 'no supplier', 100
    FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason)
    SELECT consortium_id, id, 'escalate', pg_temp.t('admin'), '2026-11-02', '  ' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason)
    SELECT consortium_id, id, 'pray', pg_temp.t('admin'), '2026-11-02', 'x' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_actions (consortium_id, shortage_id, kind, business_date, reason)
    SELECT consortium_id, id, 'escalate', '2026-11-02', 'nobody' FROM open_shortage$$, '23502');
INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason, supplier_id, quantity)
SELECT s.consortium_id, s.id, 'emergency_purchase', pg_temp.t('admin'), '2026-11-03', '配送企业断供', d.id, 200
FROM open_shortage s, suppliers d;
INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason, expected_recovery, report)
SELECT consortium_id, id, 'escalate', pg_temp.t('admin'), '2026-11-04', 'consortium-wide', '2026-12-15', '{"drug":{}}'
FROM open_shortage;
SELECT pg_temp.refused($$UPDATE shortage_actions SET reason = 'rewritten'$$, '23514');
SELECT pg_temp.refused($$DELETE FROM shortage_actions$$, '23514');

-- Proposals: between two members of the consortium, for the shortage's own drug; accepted with a transfer and an action.
INSERT INTO shortage_proposals (consortium_id, shortage_id, drug_code, from_institution_id, to_institution_id, quantity,
                                proposed_on)
SELECT consortium_id, id, 'XSHT01', pg_temp.i('SHT-A'), pg_temp.i('SHT-B'), 60, '2026-11-02' FROM open_shortage;
INSERT INTO shortage_proposal_lots (consortium_id, proposal_id, lot_number, expiry_date, quantity)
SELECT consortium_id, id, 'bs2611', '2027-06-30', 60 FROM shortage_proposals;
SELECT pg_temp.refused($$INSERT INTO shortage_proposal_lots (consortium_id, proposal_id, lot_number, expiry_date, quantity)
    SELECT consortium_id, id, 'BS2611 ', '2027-06-30', 1 FROM shortage_proposals$$, '23505');
SELECT pg_temp.refused($$INSERT INTO shortage_proposals (consortium_id, shortage_id, drug_code, from_institution_id,
    to_institution_id, quantity, proposed_on)
    SELECT consortium_id, id, 'XSHT02', pg_temp.i('SHT-A'), pg_temp.i('SHT-B'), 1, '2026-11-02' FROM open_shortage$$, '23503');
SELECT pg_temp.refused($$INSERT INTO shortage_proposals (consortium_id, shortage_id, drug_code, from_institution_id,
    to_institution_id, quantity, proposed_on)
    SELECT consortium_id, id, 'XSHT01', pg_temp.i('OTH-A'), pg_temp.i('SHT-B'), 1, '2026-11-02' FROM open_shortage$$, '23503');
SELECT pg_temp.refused($$INSERT INTO shortage_proposals (consortium_id, shortage_id, drug_code, from_institution_id,
    to_institution_id, quantity, proposed_on)
    SELECT consortium_id, id, 'XSHT01', pg_temp.i('SHT-A'), pg_temp.i('SHT-A'), 1, '2026-11-02' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$INSERT INTO shortage_proposals (consortium_id, shortage_id, drug_code, from_institution_id,
    to_institution_id, quantity, proposed_on)
    SELECT consortium_id, id, 'XSHT01', pg_temp.i('SHT-A'), pg_temp.i('SHT-B'), 0, '2026-11-02' FROM open_shortage$$, '23514');
SELECT pg_temp.refused($$UPDATE shortage_proposals SET status = 'accepted', decided_at = now(), decided_by = pg_temp.t('admin')$$,
    '23514');
SELECT pg_temp.refused($$UPDATE shortage_proposals SET status = 'won'$$, '23514');
INSERT INTO stock_transfers (consortium_id, sender_institution_id, receiver_institution_id)
VALUES (pg_temp.c('SHT'), pg_temp.i('SHT-A'), pg_temp.i('SHT-B'));
INSERT INTO shortage_actions (consortium_id, shortage_id, kind, actor_token_id, business_date, reason)
SELECT consortium_id, id, 'redistribute', pg_temp.t('admin'), '2026-11-02', 'A has 300 days' FROM open_shortage;
UPDATE shortage_proposals p SET status = 'accepted', decided_at = now(), decided_by = pg_temp.t('admin'),
    stock_transfer_id = (SELECT id FROM stock_transfers), action_id = (SELECT max(id) FROM shortage_actions WHERE kind = 'redistribute');
SELECT pg_temp.ok((SELECT status FROM shortage_proposals) = 'accepted', 'a proposal accepted with its transfer and action');

-- A record closes with its outcome; the next signal opens a fresh one (or the use case reopens this one).
UPDATE shortages SET status = 'closed', closed_on = '2026-11-20', outcome = 'recovered'
WHERE id = (SELECT id FROM open_shortage);
INSERT INTO shortages (consortium_id, drug_code, level, opened_on) VALUES (pg_temp.c('SHT'), 'XSHT01', 'member', '2026-12-25');
SELECT pg_temp.ok((SELECT count(*) FROM shortages WHERE drug_code = 'XSHT01' AND status = 'open') = 2,
    'one open record of the drug per consortium');

-- Two sessions race to open the same drug's record: the second waits on the first's index entry, then fails (23505).
CREATE EXTENSION IF NOT EXISTS dblink;
BEGIN;
INSERT INTO shortages (consortium_id, drug_code, level, opened_on) VALUES (pg_temp.c('SHT'), 'XSHT02', 'member', '2026-12-01');
SELECT dblink_connect('other', :'url');
SELECT dblink_send_query('other', $$
    INSERT INTO shortages (consortium_id, drug_code, level, opened_on)
    SELECT id, 'XSHT02', 'consortium', '2026-12-01' FROM consortia WHERE code = 'SHT'$$);
SELECT pg_sleep(0.5);
SELECT pg_temp.ok(dblink_is_busy('other') = 1, 'the second open waits for the first');
COMMIT;
CREATE FUNCTION pg_temp.other_result() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink_get_result('other') AS r (status text);
    RETURN 'succeeded';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;
SELECT pg_temp.ok(pg_temp.other_result() = '23505', 'the second open of the same drug fails (23505)');
SELECT dblink_disconnect('other');
SELECT pg_temp.ok((SELECT count(*) FROM shortages WHERE consortium_id = pg_temp.c('SHT') AND drug_code = 'XSHT02'
                   AND status = 'open') = 1, 'one of the two racing opens went through');

-- seeds/reference/shortage_lists.csv fits the table: its drugs are demo drugs, its rows pass the CHECKs and the
-- exclusion (loaded here into this scratch database; the seed loader does not load it yet).
CREATE TEMP TABLE demo_drugs (code text, generic_name text, name_en text, dosage_form text, strength text,
    package_size integer, package_unit text, unit text, manufacturer text, atc_code text, category text,
    essential_editions text, insurance_class text, control_class text, antimicrobial boolean, cold_chain boolean,
    herb_name text, processing text, grade text);
\copy demo_drugs FROM 'seeds/demo/drugs.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE seeded_lists (drug_code text, list_kind text, region text, valid_from date, valid_until date, source text);
\copy seeded_lists FROM 'seeds/reference/shortage_lists.csv' WITH (FORMAT csv, HEADER true)
SELECT pg_temp.ok((SELECT count(*) FROM seeded_lists) >= 8, 'a handful of list memberships are seeded');
SELECT pg_temp.ok(NOT EXISTS (SELECT 1 FROM seeded_lists l WHERE NOT EXISTS (SELECT 1 FROM demo_drugs d WHERE d.code = l.drug_code)),
    'every seeded list membership names a demo drug');
INSERT INTO drugs (code, generic_name, dosage_form, strength, package_size, package_unit, unit, atc_code, category)
SELECT code, generic_name, dosage_form, strength, package_size, package_unit, unit, atc_code, category FROM demo_drugs
WHERE code IN (SELECT drug_code FROM seeded_lists);
INSERT INTO shortage_list_memberships (drug_code, list_kind, region, valid_from, valid_until, source)
SELECT drug_code, list_kind, nullif(region, ''), valid_from, valid_until, source FROM seeded_lists;

\o
SELECT 'shortage_schema.sql: passed' AS result;
