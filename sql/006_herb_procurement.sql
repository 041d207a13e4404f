-- Volume-based joint procurement of decoction pieces (中药饮片联合带量采购): prior-year usage, rounds led by a TCM
-- institution with a testing lab, members' commitments, suppliers' bids and their ranking, the award as the unified
-- price, and the lead lab's inspection of every delivered lot.

-- The pharmacopoeia's limits per decoction piece (national data, like drugs). NULL: the monograph sets none.
CREATE TABLE herb_quality_limits (
    drug_code                       text PRIMARY KEY REFERENCES drugs (code),
    monograph                       text NOT NULL CHECK (length(monograph) BETWEEN 1 AND 200),
    moisture_max_pct                numeric(6, 2) CHECK (moisture_max_pct > 0),
    total_ash_max_pct               numeric(6, 2) CHECK (total_ash_max_pct > 0),
    so2_max_mg_per_kg               numeric(10, 3) CHECK (so2_max_mg_per_kg > 0),
    lead_max_mg_per_kg              numeric(10, 3) CHECK (lead_max_mg_per_kg > 0),
    cadmium_max_mg_per_kg           numeric(10, 3) CHECK (cadmium_max_mg_per_kg > 0),
    arsenic_max_mg_per_kg           numeric(10, 3) CHECK (arsenic_max_mg_per_kg > 0),
    mercury_max_mg_per_kg           numeric(10, 3) CHECK (mercury_max_mg_per_kg > 0),
    copper_max_mg_per_kg            numeric(10, 3) CHECK (copper_max_mg_per_kg > 0),
    aflatoxin_b1_max_ug_per_kg      numeric(10, 3) CHECK (aflatoxin_b1_max_ug_per_kg > 0),
    aflatoxins_total_max_ug_per_kg  numeric(10, 3) CHECK (aflatoxins_total_max_ug_per_kg > 0)
);

-- A member's usage of a piece in a year, in kilograms (consortiumrx import herb-usage).
CREATE TABLE herb_usage (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    institution_id bigint NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    quantity_kg    numeric(14, 3) NOT NULL CHECK (quantity_kg >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, institution_id, drug_code, year),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

CREATE TABLE herb_rounds (
    consortium_id       bigint NOT NULL REFERENCES consortia (id),
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    lead_institution_id bigint NOT NULL,
    -- the purchasing period, both days included
    period_start        date NOT NULL,
    period_end          date NOT NULL CHECK (period_end >= period_start),
    -- the usage year commitments are proposed from
    prior_year          integer NOT NULL CHECK (prior_year BETWEEN 2000 AND 2100),
    status              text NOT NULL DEFAULT 'planning'
                        CHECK (status IN ('planning', 'commitments_open', 'bidding', 'awarded', 'executing', 'closed')),
    award_rule          text NOT NULL CHECK (award_rule IN ('lowest_price', 'multiple_within_margin')),
    margin_pct          numeric(6, 2) NOT NULL DEFAULT 0 CHECK (margin_pct >= 0 AND margin_pct <= 100),
    -- copied from the settings herb_commitment_proposal_pct / herb_commitment_minimum_pct unless given
    proposal_pct        numeric(6, 2) NOT NULL CHECK (proposal_pct > 0 AND proposal_pct <= 100),
    minimum_pct         numeric(6, 2) NOT NULL CHECK (minimum_pct >= 0 AND minimum_pct <= proposal_pct),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (id),
    FOREIGN KEY (consortium_id, lead_institution_id) REFERENCES institutions (consortium_id, id)
);

CREATE TABLE herb_round_items (
    consortium_id      bigint NOT NULL,
    round_id           bigint NOT NULL,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    drug_code          text NOT NULL REFERENCES drugs (code),
    grade              text NOT NULL CHECK (length(grade) BETWEEN 1 AND 20),
    -- the Chinese Pharmacopoeia monograph the piece must meet
    quality_standard   text NOT NULL CHECK (length(quality_standard) BETWEEN 1 AND 200),
    -- 最高有效申报价, per kilogram
    ceiling_price      numeric(14, 4) NOT NULL CHECK (ceiling_price > 0),
    -- the award: the unified price of the piece for the round's period
    award_agreement_id bigint,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, round_id, drug_code),
    FOREIGN KEY (consortium_id, round_id) REFERENCES herb_rounds (consortium_id, id),
    FOREIGN KEY (consortium_id, award_agreement_id) REFERENCES price_agreements (consortium_id, id)
);
CREATE UNIQUE INDEX herb_round_items_agreement ON herb_round_items (consortium_id, award_agreement_id);

CREATE TABLE herb_commitments (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    round_id       bigint NOT NULL,
    item_id        bigint NOT NULL,
    institution_id bigint NOT NULL,
    quantity_kg    numeric(14, 3) NOT NULL CHECK (quantity_kg > 0),
    prior_usage_kg numeric(14, 3) CHECK (prior_usage_kg >= 0),
    proposed_kg    numeric(14, 3) CHECK (proposed_kg >= 0),
    -- accepted counts; pending (below the minimum, with a reason) waits for the lead; rejected does not count
    status         text NOT NULL CHECK (status IN ('accepted', 'pending', 'rejected')),
    reason         text CHECK (length(reason) <= 1000),
    decided_by     bigint REFERENCES api_tokens (id),
    decided_at     timestamptz,
    created_by     bigint REFERENCES api_tokens (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, item_id, institution_id),
    CHECK (status <> 'pending' OR reason IS NOT NULL),
    FOREIGN KEY (consortium_id, round_id) REFERENCES herb_rounds (consortium_id, id),
    FOREIGN KEY (consortium_id, item_id) REFERENCES herb_round_items (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

CREATE TABLE herb_bids (
    consortium_id     bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    round_id          bigint NOT NULL,
    item_id           bigint NOT NULL,
    supplier_id       bigint NOT NULL REFERENCES suppliers (id),
    unit_price        numeric(14, 4) NOT NULL CHECK (unit_price > 0),
    grade             text NOT NULL CHECK (length(grade) BETWEEN 1 AND 20),
    -- 产地
    origin            text NOT NULL CHECK (length(origin) BETWEEN 1 AND 100),
    quality_score     numeric(5, 2) NOT NULL CHECK (quality_score BETWEEN 0 AND 100),
    quality_reference text NOT NULL CHECK (length(quality_reference) BETWEEN 1 AND 500),
    created_by        bigint REFERENCES api_tokens (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, item_id, supplier_id),
    FOREIGN KEY (consortium_id, round_id) REFERENCES herb_rounds (consortium_id, id),
    FOREIGN KEY (consortium_id, item_id) REFERENCES herb_round_items (consortium_id, id)
);

-- The ranking the award kept, with the reason of every place.
CREATE TABLE herb_bid_rankings (
    consortium_id bigint NOT NULL,
    round_id      bigint NOT NULL,
    item_id       bigint NOT NULL,
    bid_id        bigint NOT NULL,
    rank          integer NOT NULL CHECK (rank > 0),
    qualified     boolean NOT NULL,
    winner        boolean NOT NULL,
    share         numeric(5, 4) NOT NULL CHECK (share >= 0 AND share <= 1),
    reason        text NOT NULL,
    PRIMARY KEY (consortium_id, bid_id),
    UNIQUE (consortium_id, item_id, rank),
    CHECK (qualified OR NOT winner),
    FOREIGN KEY (consortium_id, round_id) REFERENCES herb_rounds (consortium_id, id),
    FOREIGN KEY (consortium_id, item_id) REFERENCES herb_round_items (consortium_id, id),
    FOREIGN KEY (consortium_id, bid_id) REFERENCES herb_bids (consortium_id, id)
);

-- A supplier the lead suspended in a round: its bids no longer qualify.
CREATE TABLE herb_supplier_suspensions (
    consortium_id bigint NOT NULL,
    round_id      bigint NOT NULL,
    supplier_id   bigint NOT NULL REFERENCES suppliers (id),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    suspended_by  bigint REFERENCES api_tokens (id),
    suspended_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, round_id, supplier_id),
    FOREIGN KEY (consortium_id, round_id) REFERENCES herb_rounds (consortium_id, id)
);

-- The lead lab's inspection of a delivered lot. A rejected lot is blocked from use at every member.
CREATE TABLE herb_inspections (
    consortium_id              bigint NOT NULL,
    id                         bigint GENERATED ALWAYS AS IDENTITY,
    round_id                   bigint NOT NULL,
    item_id                    bigint NOT NULL,
    drug_code                  text NOT NULL REFERENCES drugs (code),
    lot_number                 text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    supplier_id                bigint NOT NULL REFERENCES suppliers (id),
    inspected_on               date NOT NULL,
    identification_passed      boolean NOT NULL,
    moisture_pct               numeric(8, 3) CHECK (moisture_pct >= 0),
    total_ash_pct              numeric(8, 3) CHECK (total_ash_pct >= 0),
    so2_mg_per_kg              numeric(12, 3) CHECK (so2_mg_per_kg >= 0),
    lead_mg_per_kg             numeric(12, 3) CHECK (lead_mg_per_kg >= 0),
    cadmium_mg_per_kg          numeric(12, 3) CHECK (cadmium_mg_per_kg >= 0),
    arsenic_mg_per_kg          numeric(12, 3) CHECK (arsenic_mg_per_kg >= 0),
    mercury_mg_per_kg          numeric(12, 3) CHECK (mercury_mg_per_kg >= 0),
    copper_mg_per_kg           numeric(12, 3) CHECK (copper_mg_per_kg >= 0),
    aflatoxin_b1_ug_per_kg     numeric(12, 3) CHECK (aflatoxin_b1_ug_per_kg >= 0),
    aflatoxins_total_ug_per_kg numeric(12, 3) CHECK (aflatoxins_total_ug_per_kg >= 0),
    result                     text NOT NULL CHECK (result IN ('passed', 'rejected')),
    failures                   text[] NOT NULL DEFAULT '{}',
    recorded_by                bigint REFERENCES api_tokens (id),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    -- one verdict per lot of a piece in a consortium
    UNIQUE (consortium_id, drug_code, lot_number),
    CHECK ((result = 'rejected') = (cardinality(failures) > 0)),
    FOREIGN KEY (consortium_id, round_id) REFERENCES herb_rounds (consortium_id, id),
    FOREIGN KEY (consortium_id, item_id) REFERENCES herb_round_items (consortium_id, id)
);
CREATE INDEX herb_inspections_supplier ON herb_inspections (consortium_id, round_id, supplier_id, result);
