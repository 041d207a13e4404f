-- Issue 24: the drug code crosswalk (药品编码对照). Distributors' files and the provincial platform name a drug by
-- its insurance code, its 药品本位码, its approval number with a specification, a traceability-code prefix, the
-- platform's product id or a member's own code; a mapping says which drug a code means and how many of the drug's
-- unit one of what the code counts is (the package factor), over dated validity, with its source.
-- consortium_id NULL is a national row, seen by every consortium (master data); a consortium's own row for the same
-- code wins over it (CrosswalkRules.resolve). The shapes of the codes are checked in Swift (DrugCode); the table
-- keeps what must hold under concurrency: one mapping of a code per scope on any day.
CREATE TABLE drug_code_crosswalk (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consortium_id  bigint REFERENCES consortia (id),
    code_type      text NOT NULL
        CHECK (code_type IN ('insurance', 'standard', 'approval', 'traceability_prefix', 'platform', 'in_house')),
    code           text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
    -- the specification an approval number covers (one 批准文号 per specification); '' for the other types, so
    -- that it takes part in the key
    specification  text NOT NULL DEFAULT '' CHECK (length(specification) <= 50),
    drug_code      text NOT NULL REFERENCES drugs (code),
    package_factor numeric(14, 4) NOT NULL CHECK (package_factor > 0 AND package_factor <= 1000000),
    -- [valid_from, valid_to): valid_to is the day after the last day, NULL while open
    valid_from     date NOT NULL,
    valid_to       date CHECK (valid_to > valid_from),
    source         text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drug_code_crosswalk_specification CHECK ((code_type = 'approval') = (specification <> '')),
    CONSTRAINT drug_code_crosswalk_no_overlap EXCLUDE USING gist (
        coalesce(consortium_id, 0) WITH =, code_type WITH =, code WITH =, specification WITH =,
        daterange(valid_from, valid_to) WITH &&)
);

CREATE INDEX drug_code_crosswalk_lookup ON drug_code_crosswalk (code_type, code, consortium_id);
CREATE INDEX drug_code_crosswalk_scope ON drug_code_crosswalk (consortium_id, id);
CREATE INDEX drug_code_crosswalk_drug ON drug_code_crosswalk (drug_code);
