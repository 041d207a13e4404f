-- Issue 18.5: a lot number (生产批号) is the same lot whatever its case, surrounding spaces or full-width characters:
-- `BS261115`, `bs261115`, ` BS261115 ` and `ＢＳ２６１１１５` are one lot. A rejected herb lot must not come in
-- again by being typed another way. The lot is kept as typed, for display; every comparison uses its key.

-- The lot's key: Unicode NFKC (full-width letters and digits become ASCII, the ideographic space U+3000 and the
-- no-break space become a plain space), then surrounding spaces trimmed, then upper case. A SQL-standard body:
-- parsed once, safe whatever the search_path, and usable in generated columns and indexes.
CREATE FUNCTION lot_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN upper(btrim(normalize($1, NFKC)));

-- Every table that stores a lot keeps its key beside it; adding the column computes it for the rows already there.
ALTER TABLE deliveries ADD COLUMN lot_key text GENERATED ALWAYS AS (lot_key(lot_number)) STORED;
ALTER TABLE herb_inspections ADD COLUMN lot_key text GENERATED ALWAYS AS (lot_key(lot_number)) STORED;
ALTER TABLE transfer_shipments ADD COLUMN lot_key text GENERATED ALWAYS AS (lot_key(lot_number)) STORED;

-- A lot of nothing but spaces has no key. NOT VALID: rows already kept are not judged again, new ones are.
ALTER TABLE deliveries ADD CONSTRAINT deliveries_lot_key_not_blank CHECK (lot_key <> '') NOT VALID;
ALTER TABLE herb_inspections ADD CONSTRAINT herb_inspections_lot_key_not_blank CHECK (lot_key <> '') NOT VALID;
ALTER TABLE transfer_shipments ADD CONSTRAINT transfer_shipments_lot_key_not_blank CHECK (lot_key <> '') NOT VALID;

-- One verdict per lot of a piece: two inspections of one lot typed two ways cannot both stand. A database that
-- already holds such a pair stops here, naming them, for the lead's lab to say which verdict is the lot's.
DO $$
DECLARE
    pairs text;
BEGIN
    SELECT string_agg(format('consortium %s, %s, lot %s (inspections %s)', consortium_id, drug_code, lot_key, ids), '; ')
    INTO pairs
    FROM (SELECT consortium_id, drug_code, lot_key, string_agg(id::text, ', ' ORDER BY id) AS ids
          FROM herb_inspections GROUP BY consortium_id, drug_code, lot_key HAVING count(*) > 1) d;
    IF pairs IS NOT NULL THEN
        RAISE EXCEPTION 'herb_inspections hold more than one verdict for the same lot typed differently: %', pairs
            USING HINT = 'keep one inspection per lot, then migrate again';
    END IF;
END
$$;
ALTER TABLE herb_inspections DROP CONSTRAINT herb_inspections_consortium_id_drug_code_lot_number_key;
ALTER TABLE herb_inspections ADD CONSTRAINT herb_inspections_consortium_id_drug_code_lot_key_key
    UNIQUE (consortium_id, drug_code, lot_key);

-- The lookups by lot: a piece's rejected lot at delivery (the unique key above), deliveries of a lot (herb
-- reconciliation, invoice matching) and the shipments of a lot.
CREATE INDEX deliveries_lot_key ON deliveries (consortium_id, lot_key);
CREATE INDEX transfer_shipments_lot_key ON transfer_shipments (consortium_id, lot_key);
