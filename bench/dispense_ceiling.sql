-- pgbench script: the database's part of one dispensing, as the server sends it (bench/stock_ceiling.sh), with
-- no HTTP server in between: the member's lookup, the issue facts, and the one write statement (the dispensing,
-- its movement with the triggers that keep stock on hand and consumption, and the audit row), each its own
-- transaction as the server runs them. One unit of a random drug the member holds, from its first-expiring lot.
-- Variables: member (the member's code), drugs (how many rows bench_dispense_drugs has), token (an API token's id).
\set n random(1, :drugs)
SELECT i.id AS institution_id, i.consortium_id, (SELECT drug_code FROM bench_dispense_drugs WHERE n = :n) AS drug
FROM institutions i JOIN consortia c ON c.id = i.consortium_id
LEFT JOIN institutions l ON l.id = c.lead_institution_id
WHERE i.code = :member \gset
WITH location AS (
    SELECT id FROM stock_locations WHERE consortium_id = :consortium_id AND institution_id = :institution_id AND code = NULL
), settings AS (
    SELECT array_agg(value) AS vals FROM (
        SELECT DISTINCT ON (key) key, value FROM (
            SELECT key, value, effective_from, 1 AS precedence FROM consortium_settings
             WHERE consortium_id = :consortium_id AND key = 'stock_min_shelf_life_issue_days' AND effective_from <= current_date
            UNION ALL
            SELECT key, value, effective_from, 2 FROM policy_defaults
             WHERE key = 'stock_min_shelf_life_issue_days' AND effective_from <= current_date
        ) s ORDER BY key, precedence, effective_from DESC
    ) t
)
SELECT d.unit, p.lot_number, p.expiry, p.movement_id, nextval('dispensings_id_seq') AS dispensing_id
FROM settings
LEFT JOIN drugs d ON d.code = :drug
LEFT JOIN LATERAL (
    SELECT h.id, h.lot_number, h.expiry_date::text AS expiry, h.quantity,
           (SELECT b.kind FROM lot_blocks b WHERE b.consortium_id = h.consortium_id AND b.drug_code = h.drug_code
              AND b.lot_key = h.lot_key AND b.released_at IS NULL ORDER BY b.kind DESC LIMIT 1) AS block,
           nextval('stock_movements_id_seq') AS movement_id
    FROM stock_on_hand h
    WHERE h.consortium_id = :consortium_id AND h.institution_id = :institution_id
      AND h.location_id IS NULL AND h.drug_code = :drug AND h.in_stock
    ORDER BY h.id
) p ON true
ORDER BY p.expiry, p.id LIMIT 1 \gset
WITH dispensing AS (
    INSERT INTO dispensings (id, consortium_id, institution_id, location_id, drug_code, quantity, patient_ref,
                             ward, requested_lot, business_date, dispensed_by)
    OVERRIDING SYSTEM VALUE
    VALUES (:dispensing_id::bigint, :consortium_id::bigint, :institution_id::bigint, NULL, :drug::text, 1, 'P-' || (:n::int)::text, NULL, NULL, current_date, :token::bigint)
), movements AS (
    INSERT INTO stock_movements (id, consortium_id, institution_id, location_id, drug_code, lot_number,
                                 expiry_date, reason_code, direction, quantity, document_type, document_id,
                                 actor_token_id, business_date)
    OVERRIDING SYSTEM VALUE
    VALUES (:movement_id::bigint, :consortium_id::bigint, :institution_id::bigint, NULL, :drug::text, :lot_number::text, :expiry::date, 'dispensing',
            'out', 1, 'dispensing', :dispensing_id::bigint, :token::bigint, current_date)
)
INSERT INTO audit_log (consortium_id, actor_token_id, actor, actor_role, action, entity_type, entity_key, before, after)
SELECT :consortium_id::bigint, :token::bigint, 'token:' || (:token::bigint)::text, 'institution_pharmacist', 'dispense', 'dispensing',
       (:dispensing_id::bigint)::text, NULL,
       jsonb_build_object('businessDate', current_date, 'drugCode', :drug::text, 'id', :dispensing_id::bigint,
                          'institutionCode', :member::text, 'lines', jsonb_build_array(jsonb_build_object(
                              'expiry', :expiry::text, 'lotNumber', :lot_number::text, 'movementID', :movement_id::bigint,
                              'quantity', '1')),
                          'patientRef', 'P-' || (:n::int)::text, 'quantity', '1', 'traceabilityCodes', '[]'::jsonb);
