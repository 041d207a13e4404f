-- The token that did something, referred to within the consortium (issue 28, "past one primary"): the rows of a
-- consortium name their actor (`created_by`, `recorded_by`, ...) by (consortium_id, token id), so a row can only
-- name a token of its own consortium and a table distributed by consortium keeps no foreign key that crosses
-- consortia. Only consortium tokens write a consortium's rows (a national token, of no consortium, manages drugs
-- and suppliers). The audit log keeps its reference by id alone: its national rows have no consortium
-- (ConsortiumKeyTests lists it).
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_consortium_id_id_key UNIQUE (consortium_id, id);

DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT c.conname, c.conrelid::regclass AS tbl, a.attname AS col
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute k ON k.attrelid = c.conrelid AND k.attname = 'consortium_id' AND NOT k.attisdropped
        WHERE c.contype = 'f' AND c.confrelid = 'api_tokens'::regclass AND cardinality(c.conkey) = 1
          AND k.attnotnull
        ORDER BY 2, 1
    LOOP
        EXECUTE format(
            'ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I FOREIGN KEY (consortium_id, %I) '
            'REFERENCES api_tokens (consortium_id, id)',
            fk.tbl, fk.conname, fk.conname, fk.col);
    END LOOP;
END
$$;
