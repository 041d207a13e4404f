-- Unified pricing (统一价格): the provincial winning-bid prices (省级中标价) as ceilings, and the consortium's price
-- agreements, one of which is in effect for a drug on any date.

-- The provincial platform's winning-bid prices, as imported: the ceiling of any negotiated price.
CREATE TABLE provincial_bid_prices (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    drug_code      text NOT NULL REFERENCES drugs (code),
    unit_price     numeric(14, 4) NOT NULL CHECK (unit_price > 0),
    -- 'package' (per package) or 'unit' (per the drug's unit: tablet, ml, kg …)
    price_unit     text NOT NULL CHECK (price_unit IN ('package', 'unit')),
    bid_reference  text NOT NULL CHECK (length(bid_reference) BETWEEN 1 AND 100),
    -- [effective_from, effective_to): effective_to is the day after the last day, NULL while open
    effective_from date NOT NULL,
    effective_to   date CHECK (effective_to > effective_from),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, drug_code, effective_from),
    EXCLUDE USING gist (consortium_id WITH =, drug_code WITH =, daterange(effective_from, effective_to) WITH &&)
);

CREATE TABLE price_agreements (
    consortium_id      bigint NOT NULL REFERENCES consortia (id),
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    drug_code          text NOT NULL REFERENCES drugs (code),
    unit_price         numeric(14, 4) NOT NULL CHECK (unit_price > 0),
    price_unit         text NOT NULL CHECK (price_unit IN ('package', 'unit')),
    -- provincial_bid: the platform's winning-bid price, adopted; consortium_negotiated: 集中议定;
    -- joint_procurement: the award of a volume-based round
    source             text NOT NULL CHECK (source IN ('provincial_bid', 'consortium_negotiated', 'joint_procurement')),
    -- the platform's bid reference, the negotiation record, or the round
    reference          text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
    -- the date the agreement asks to take effect
    requested_from     date NOT NULL,
    -- agreed: waiting to be reported to the provincial platform; in_effect: has a period;
    -- superseded: a later price took its whole period before it began
    status             text NOT NULL CHECK (status IN ('agreed', 'in_effect', 'superseded')),
    reported_on        date,
    platform_reference text CHECK (length(platform_reference) <= 100),
    -- the period in which it is the unified price, [effective_from, effective_to)
    effective_from     date,
    effective_to       date CHECK (effective_to > effective_from),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    -- A negotiated price takes effect only once reported (网上价格维护).
    CHECK (source <> 'consortium_negotiated' OR status = 'agreed'
           OR (reported_on IS NOT NULL AND platform_reference IS NOT NULL)),
    CHECK ((status = 'in_effect') = (effective_from IS NOT NULL)),
    -- One price for every member: the periods of the prices in effect never overlap, whoever races.
    EXCLUDE USING gist (consortium_id WITH =, drug_code WITH =, daterange(effective_from, effective_to) WITH &&)
        WHERE (status = 'in_effect')
);
CREATE INDEX price_agreements_drug ON price_agreements (consortium_id, drug_code, effective_from);
-- Importing the same provincial list twice finds its agreements.
CREATE UNIQUE INDEX price_agreements_bid_once ON price_agreements (consortium_id, drug_code, requested_from, reference)
    WHERE source = 'provincial_bid';
