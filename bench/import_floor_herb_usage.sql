-- The schema's floor for `import herb-usage` (bench/import.sh): PostgreSQL writing the same lines, already in the
-- plain table bench_copy, straight into herb_usage with one statement (the same keys and foreign keys), no Swift and
-- no audit rows, so lower than any import can be.
\set ON_ERROR_STOP on
INSERT INTO herb_usage (consortium_id, institution_id, drug_code, year, quantity_kg)
SELECT i.consortium_id, i.id, b.drug_code, b.year::int, b.quantity_kg::numeric(14, 3)
FROM bench_copy b JOIN institutions i ON i.code = b.institution_code;
