-- A counter of the drug master data (drugs and their essential-list editions), moved by every statement that writes
-- them (issue 28). The catalogue in effect is a published version (its items never change) joined to the drugs: a
-- server keeps the answer it wrote and serves it again while the version in effect and this counter are the same.
-- The counter is a row, not a sequence, so a reader never sees it moved before the drugs' change is committed.
CREATE TABLE drug_master_revision (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    revision bigint NOT NULL
);
INSERT INTO drug_master_revision (revision) VALUES (1);

-- Before the statement, so a writer takes the counter's row lock before any drug's: two writers of drugs wait for
-- each other here rather than deadlock on each other's rows.
CREATE FUNCTION drug_master_revision_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE drug_master_revision SET revision = revision + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER drugs_move_master_revision BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON drugs
    FOR EACH STATEMENT EXECUTE FUNCTION drug_master_revision_move();
CREATE TRIGGER drug_essential_editions_move_master_revision
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON drug_essential_editions
    FOR EACH STATEMENT EXECUTE FUNCTION drug_master_revision_move();
