-- Long prescriptions (长处方): each consortium's rules as data with effective dates, prescribers, issued
-- prescriptions whose supplies never overlap, and their fills.

CREATE TABLE long_rx_rule_sets (
    consortium_id                  bigint NOT NULL REFERENCES consortia (id),
    id                             bigint GENERATED ALWAYS AS IDENTITY,
    effective_from                 date NOT NULL,
    requires_family_doctor_contract boolean NOT NULL,
    -- how recent the last stability assessment must be
    max_assessment_age_days        integer NOT NULL CHECK (max_assessment_age_days BETWEEN 1 AND 365),
    -- supply still on hand that a new prescription of the same drug may overlap
    supply_on_hand_tolerance_days  integer NOT NULL CHECK (supply_on_hand_tolerance_days BETWEEN 0 AND 30),
    created_at                     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    -- the rule set in effect on a date is the one with the latest effective_from on or before it
    UNIQUE (consortium_id, effective_from)
);

-- The chronic conditions that qualify, as ICD-10 codes or ranges, each with its own maximum days.
CREATE TABLE long_rx_conditions (
    consortium_id  bigint NOT NULL,
    rule_set_id    bigint NOT NULL,
    icd_from       text NOT NULL CHECK (icd_from ~ '^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$'),
    icd_to         text NOT NULL CHECK (icd_to ~ '^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$'),
    name           text NOT NULL,
    max_days       integer CHECK (max_days BETWEEN 1 AND 366),
    -- antimicrobials are allowed for chronic bacterial or fungal infections such as tuberculosis
    allows_antimicrobials boolean NOT NULL DEFAULT false,
    PRIMARY KEY (consortium_id, rule_set_id, icd_from),
    FOREIGN KEY (consortium_id, rule_set_id) REFERENCES long_rx_rule_sets (consortium_id, id),
    CHECK (icd_from <= icd_to)
);

CREATE TABLE long_rx_level_limits (
    consortium_id bigint NOT NULL,
    rule_set_id   bigint NOT NULL,
    level         text NOT NULL CHECK (level IN ('tertiary', 'secondary', 'primary', 'village')),
    max_days      integer NOT NULL CHECK (max_days BETWEEN 0 AND 366),
    PRIMARY KEY (consortium_id, rule_set_id, level),
    FOREIGN KEY (consortium_id, rule_set_id) REFERENCES long_rx_rule_sets (consortium_id, id)
);

CREATE TABLE long_rx_excluded_drugs (
    consortium_id bigint NOT NULL,
    rule_set_id   bigint NOT NULL,
    drug_code     text NOT NULL REFERENCES drugs (code),
    PRIMARY KEY (consortium_id, rule_set_id, drug_code),
    FOREIGN KEY (consortium_id, rule_set_id) REFERENCES long_rx_rule_sets (consortium_id, id)
);

-- Prescribers, pseudonymous: an id the institution chooses, the title and the institution.
CREATE TABLE prescribers (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    pseudonym      text NOT NULL CHECK (pseudonym ~ '^[A-Za-z0-9_-]{1,64}$'),
    institution_id bigint NOT NULL,
    -- 初级, 中级, 副高, 正高
    title          text NOT NULL CHECK (title IN ('junior', 'intermediate', 'associate_senior', 'senior')),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, pseudonym),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

CREATE TABLE long_prescriptions (
    consortium_id          bigint NOT NULL,
    id                     bigint GENERATED ALWAYS AS IDENTITY,
    institution_id         bigint NOT NULL,
    prescriber_id          bigint NOT NULL,
    -- a pseudonymous id chosen by the institution; no names, no ID numbers
    patient_ref            text NOT NULL CHECK (patient_ref ~ '^[A-Za-z0-9_-]{1,64}$'),
    drug_code              text NOT NULL REFERENCES drugs (code),
    daily_dose             numeric(14, 4) NOT NULL CHECK (daily_dose > 0),
    days                   integer NOT NULL CHECK (days > 0),
    quantity               numeric(14, 4) NOT NULL CHECK (quantity > 0),
    start_date             date NOT NULL,
    -- [start, last day of supply - tolerance): a new one of the same drug may not start inside it
    supply_guard           daterange NOT NULL,
    status                 text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    end_reason             text CHECK (end_reason IN ('targets_not_met', 'new_disease', 'admitted', 'other')),
    ended_on               date,
    -- as in the national insurance e-prescription: maximum fills, minimum days between them, validity
    max_fills              integer NOT NULL CHECK (max_fills BETWEEN 1 AND 12),
    min_days_between_fills integer NOT NULL CHECK (min_days_between_fills >= 0),
    validity_days          integer NOT NULL CHECK (validity_days > 0),
    dispensed_quantity     numeric(14, 4) NOT NULL DEFAULT 0,
    created_by             bigint REFERENCES api_tokens (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, prescriber_id) REFERENCES prescribers (consortium_id, id),
    CHECK (dispensed_quantity <= quantity),
    CHECK ((status = 'ended') = (end_reason IS NOT NULL AND ended_on IS NOT NULL)),
    -- The same patient never holds two active supplies of one drug, whoever races.
    EXCLUDE USING gist (consortium_id WITH =, patient_ref WITH =, drug_code WITH =, supply_guard WITH &&)
        WHERE (status = 'active')
);
CREATE INDEX long_prescriptions_patient ON long_prescriptions (consortium_id, patient_ref, drug_code);

CREATE TABLE long_prescription_fills (
    consortium_id   bigint NOT NULL,
    prescription_id bigint NOT NULL,
    fill_no         integer NOT NULL CHECK (fill_no > 0),
    filled_on       date NOT NULL,
    quantity        numeric(14, 4) NOT NULL CHECK (quantity > 0),
    recorded_by     bigint REFERENCES api_tokens (id),
    PRIMARY KEY (consortium_id, prescription_id, fill_no),
    FOREIGN KEY (consortium_id, prescription_id) REFERENCES long_prescriptions (consortium_id, id)
);
