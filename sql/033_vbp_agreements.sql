-- Issue 24: national and provincial volume-based procurement agreements (国家/省级集采协议) and their retained
-- savings (集采医保资金结余留用). The rules are RxDomain's `VBPRules` and `RetainedSavingsRules`; the database keeps
-- what it can: one agreement year per agreement, positive prices, whole agreed volumes, each winning product once,
-- scores from 0 to 100, a settlement's lines append-only with every input beside the result.

CREATE TABLE vbp_agreements (
    consortium_id bigint NOT NULL REFERENCES consortia (id),
    id            bigint GENERATED ALWAYS AS IDENTITY,
    -- 批次, e.g. 第十一批
    batch         text NOT NULL CHECK (length(btrim(batch)) BETWEEN 1 AND 100),
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    created_by    bigint REFERENCES api_tokens (id),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, batch, period_start),
    CHECK (period_end >= period_start AND period_end < period_start + 366)
);

-- A generic name of an agreement with the pre-procurement weighted average price per unit (the budget's price).
CREATE TABLE vbp_agreement_generics (
    consortium_id                 bigint NOT NULL,
    agreement_id                  bigint NOT NULL,
    generic_name                  text NOT NULL CHECK (length(generic_name) BETWEEN 1 AND 200),
    pre_procurement_average_price numeric(14, 4) NOT NULL CHECK (pre_procurement_average_price > 0),
    PRIMARY KEY (consortium_id, agreement_id, generic_name),
    FOREIGN KEY (consortium_id, agreement_id) REFERENCES vbp_agreements (consortium_id, id)
);

-- 中选产品: each wins once per agreement, at its winning price per unit of the drug.
CREATE TABLE vbp_winning_products (
    consortium_id bigint NOT NULL,
    agreement_id  bigint NOT NULL,
    generic_name  text NOT NULL,
    drug_code     text NOT NULL REFERENCES drugs (code),
    winning_price numeric(14, 4) NOT NULL CHECK (winning_price > 0),
    PRIMARY KEY (consortium_id, agreement_id, drug_code),
    FOREIGN KEY (consortium_id, agreement_id, generic_name)
        REFERENCES vbp_agreement_generics (consortium_id, agreement_id, generic_name)
);

-- 约定采购量: a member's agreed volume of a generic name in whole units of the drug, with the proposal it came from.
CREATE TABLE vbp_agreed_volumes (
    consortium_id  bigint NOT NULL,
    agreement_id   bigint NOT NULL,
    institution_id bigint NOT NULL,
    generic_name   text NOT NULL,
    volume         numeric(14, 3) NOT NULL CHECK (volume > 0 AND volume = trunc(volume)),
    proposed       numeric(14, 3) CHECK (proposed >= 0),
    set_by         bigint REFERENCES api_tokens (id),
    set_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, agreement_id, institution_id, generic_name),
    FOREIGN KEY (consortium_id, agreement_id, generic_name)
        REFERENCES vbp_agreement_generics (consortium_id, agreement_id, generic_name),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- 考核得分: a member's score for the agreement year, from which its grade (and retained share) follows.
CREATE TABLE vbp_assessments (
    consortium_id  bigint NOT NULL,
    agreement_id   bigint NOT NULL,
    institution_id bigint NOT NULL,
    score          numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
    assessed_by    bigint REFERENCES api_tokens (id),
    assessed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, agreement_id, institution_id),
    FOREIGN KEY (consortium_id, agreement_id) REFERENCES vbp_agreements (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- A settlement of retained savings: the formula's result per member and generic name, with every input it used
-- (the settings as they were in force), so a later change of settings never rewrites what was settled.
CREATE TABLE vbp_settlements (
    consortium_id bigint NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    agreement_id  bigint NOT NULL,
    settled_on    date NOT NULL,
    settled_by    bigint REFERENCES api_tokens (id),
    settled_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, agreement_id) REFERENCES vbp_agreements (consortium_id, id)
);

CREATE TABLE vbp_settlement_lines (
    consortium_id                 bigint NOT NULL,
    settlement_id                 bigint NOT NULL,
    institution_id                bigint NOT NULL,
    generic_name                  text NOT NULL,
    agreed_volume                 numeric(14, 3) NOT NULL CHECK (agreed_volume > 0),
    purchased_volume              numeric(14, 3) NOT NULL CHECK (purchased_volume >= 0),
    counted_volume                numeric(14, 3) NOT NULL CHECK (counted_volume >= 0 AND counted_volume <= agreed_volume),
    pre_procurement_average_price numeric(14, 4) NOT NULL CHECK (pre_procurement_average_price > 0),
    winning_price                 numeric(14, 4) NOT NULL CHECK (winning_price > 0),
    score                         numeric(5, 2) CHECK (score BETWEEN 0 AND 100),
    settings                      jsonb NOT NULL,
    budget                        numeric(16, 2) NOT NULL CHECK (budget >= 0),
    actual                        numeric(16, 2) NOT NULL CHECK (actual >= 0),
    savings_base                  numeric(16, 2) NOT NULL CHECK (savings_base >= 0),
    grade                         text CHECK (grade IN ('A', 'B', 'C', 'D')),
    retained_percent              numeric(5, 2) CHECK (retained_percent BETWEEN 0 AND 100),
    retained                      numeric(16, 2) CHECK (retained >= 0 AND retained <= savings_base),
    PRIMARY KEY (consortium_id, settlement_id, institution_id, generic_name),
    FOREIGN KEY (consortium_id, settlement_id) REFERENCES vbp_settlements (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    CHECK ((score IS NULL) = (grade IS NULL) AND (grade IS NULL) = (retained IS NULL)
           AND (grade IS NULL) = (retained_percent IS NULL))
);

-- What a settlement wrote is never changed.
CREATE FUNCTION vbp_settlement_lines_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a settlement''s lines are never changed: settle again' USING ERRCODE = 'check_violation',
        CONSTRAINT = 'vbp_settlement_lines_append_only';
END $$;
CREATE TRIGGER vbp_settlement_lines_append_only BEFORE UPDATE OR DELETE ON vbp_settlement_lines
    FOR EACH ROW EXECUTE FUNCTION vbp_settlement_lines_append_only();
