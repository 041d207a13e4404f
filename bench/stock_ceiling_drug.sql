-- pgbench script: the database's part of a drug's stock across the consortium, the statement the server sends
-- (bench/stock_ceiling.sh), with no HTTP server in between. The value the server binds is read from a small table of
-- the bench's choices (bench_read_drugs), one primary-key lookup more than the server's statement.
\set k random(1, :drugs)
WITH con AS (
    SELECT c.id, c.code, c.name, c.kind, l.code
    FROM consortia c LEFT JOIN institutions l ON l.id = c.lead_institution_id
    WHERE c.code = 'JLTCM'
), settings AS (
    SELECT array_agg(key) AS keys, array_agg(value) AS vals FROM (
    SELECT DISTINCT ON (key) key, value FROM (
    SELECT key, value, effective_from, 1 AS precedence FROM consortium_settings
     WHERE consortium_id = (SELECT id FROM con) AND key = ANY('{stock_near_expiry_days_first,stock_near_expiry_days_second,stock_min_shelf_life_issue_days}'::text[]) AND effective_from <= current_date::date
    UNION ALL
    SELECT key, value, effective_from, 2 FROM policy_defaults
     WHERE key = ANY('{stock_near_expiry_days_first,stock_near_expiry_days_second,stock_min_shelf_life_issue_days}'::text[]) AND effective_from <= current_date::date
) s ORDER BY key, precedence, effective_from DESC
) t
)
SELECT con.*, settings.keys, settings.vals, p.*
FROM con CROSS JOIN settings
LEFT JOIN LATERAL (
    SELECT q.*, row_number() OVER () AS n FROM (
        SELECT h.id, i.code, l.code, h.drug_code, d.generic_name, d.unit, h.lot_number, h.expiry_date::text,
       h.quantity, (SELECT b.kind FROM lot_blocks b WHERE b.consortium_id = h.consortium_id AND b.drug_code = h.drug_code
   AND b.lot_key = h.lot_key AND b.released_at IS NULL ORDER BY b.kind DESC LIMIT 1)
FROM stock_on_hand h JOIN institutions i ON i.id = h.institution_id JOIN drugs d ON d.code = h.drug_code
LEFT JOIN stock_locations l ON l.consortium_id = h.consortium_id AND l.id = h.location_id
        WHERE h.consortium_id = con.id AND h.drug_code = (SELECT drug_code FROM bench_read_drugs WHERE n = :k) AND h.in_stock
        ORDER BY i.code, l.code NULLS FIRST, h.expiry_date, h.lot_key
    ) q
) p ON true
ORDER BY p.n;
