-- The schema's floor for `import prices` (bench/import.sh): PostgreSQL writing the same lines, already in the plain
-- table bench_copy, straight into the price tables with one statement each and no Swift at all. Every provincial
-- price and its agreement pass the same keys and GiST exclusion constraints (no overlapping periods) an import's
-- rows pass; a drug's second date closes its first period, as the import does. No audit rows: the import also
-- writes one per change, so the floor is lower than any import can be.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE floor_lines ON COMMIT DROP AS
SELECT c.id AS consortium_id, b.drug_code, b.unit_price::numeric(14, 4) AS unit_price, b.price_unit, b.bid_reference,
       b.effective_from::date AS effective_from,
       lead(b.effective_from::date) OVER (PARTITION BY b.drug_code ORDER BY b.effective_from::date) AS effective_to
FROM bench_copy b, consortia c WHERE c.code = 'JLTCM';
INSERT INTO provincial_bid_prices (consortium_id, drug_code, unit_price, price_unit, bid_reference, effective_from, effective_to)
SELECT consortium_id, drug_code, unit_price, price_unit, bid_reference, effective_from, effective_to FROM floor_lines;
INSERT INTO price_agreements (consortium_id, drug_code, unit_price, price_unit, source, reference, requested_from, status,
                              effective_from, effective_to)
SELECT consortium_id, drug_code, unit_price, price_unit, 'provincial_bid', bid_reference, effective_from, 'in_effect',
       effective_from, effective_to FROM floor_lines;
COMMIT;
