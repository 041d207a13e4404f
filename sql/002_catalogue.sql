-- The consortium essential drug catalogue (基本用药目录): numbered versions drafted by the lead's pharmacy
-- centre, endorsed by the members, published with an effective date; and members' own lists inside it.

CREATE TABLE catalogue_versions (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    number         integer NOT NULL CHECK (number > 0),
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'proposed', 'published')),
    based_on       integer,
    -- bumped by every change to a draft; the ETag a change must present (If-Match)
    revision       integer NOT NULL DEFAULT 1,
    effective_from date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    proposed_at    timestamptz,
    published_at   timestamptz,
    PRIMARY KEY (consortium_id, number),
    FOREIGN KEY (consortium_id, based_on) REFERENCES catalogue_versions (consortium_id, number),
    CHECK ((status = 'published') = (effective_from IS NOT NULL AND published_at IS NOT NULL))
);

-- One open draft at a time.
CREATE UNIQUE INDEX catalogue_versions_one_open ON catalogue_versions (consortium_id)
    WHERE status IN ('draft', 'proposed');
-- Published versions take effect one after another: the version in effect on a date is the published one
-- with the latest effective_from on or before it, so periods never overlap.
CREATE UNIQUE INDEX catalogue_versions_effective ON catalogue_versions (consortium_id, effective_from)
    WHERE status = 'published';

CREATE TABLE catalogue_items (
    consortium_id  bigint NOT NULL,
    version_number integer NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    -- the institution levels that may use the drug; empty means every level
    levels         text[] NOT NULL DEFAULT '{}'
                   CHECK (levels <@ ARRAY['tertiary', 'secondary', 'primary', 'village']::text[]),
    note           text CHECK (length(note) <= 1000),
    justification  text CHECK (length(justification) <= 2000),
    PRIMARY KEY (consortium_id, version_number, drug_code),
    FOREIGN KEY (consortium_id, version_number) REFERENCES catalogue_versions (consortium_id, number)
);
CREATE INDEX catalogue_items_drug ON catalogue_items (drug_code);

-- Published (and proposed) versions never change: items only move while their version is a draft.
CREATE FUNCTION catalogue_items_only_in_drafts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT status INTO v_status FROM catalogue_versions
     WHERE consortium_id = COALESCE(NEW.consortium_id, OLD.consortium_id)
       AND number = COALESCE(NEW.version_number, OLD.version_number);
    IF v_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'catalogue version % is %, its items cannot change',
            COALESCE(NEW.version_number, OLD.version_number), v_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$;

CREATE TRIGGER catalogue_items_only_in_drafts BEFORE INSERT OR UPDATE OR DELETE ON catalogue_items
    FOR EACH ROW EXECUTE FUNCTION catalogue_items_only_in_drafts();

CREATE FUNCTION catalogue_versions_published_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'catalogue version % is published and never changes', OLD.number
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$;

CREATE TRIGGER catalogue_versions_published_are_final BEFORE UPDATE OR DELETE ON catalogue_versions
    FOR EACH ROW EXECUTE FUNCTION catalogue_versions_published_are_final();

-- Each member's latest decision on a proposed version.
CREATE TABLE catalogue_endorsements (
    consortium_id  bigint NOT NULL,
    version_number integer NOT NULL,
    institution_id bigint NOT NULL,
    decision       text NOT NULL CHECK (decision IN ('endorse', 'object')),
    comment        text CHECK (length(comment) <= 2000),
    recorded_by    bigint REFERENCES api_tokens (id),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, version_number, institution_id),
    FOREIGN KEY (consortium_id, version_number) REFERENCES catalogue_versions (consortium_id, number),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    CHECK (decision = 'endorse' OR length(coalesce(comment, '')) > 0)
);

-- A member's own list inside the consortium catalogue. No row: the member uses the consortium catalogue.
CREATE TABLE member_catalogues (
    consortium_id  bigint NOT NULL,
    institution_id bigint NOT NULL,
    revision       integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, institution_id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

CREATE TABLE member_catalogue_items (
    consortium_id  bigint NOT NULL,
    institution_id bigint NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    PRIMARY KEY (consortium_id, institution_id, drug_code),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES member_catalogues (consortium_id, institution_id)
        ON DELETE CASCADE
);
CREATE INDEX member_catalogue_items_drug ON member_catalogue_items (consortium_id, drug_code);
