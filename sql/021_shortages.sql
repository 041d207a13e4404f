-- Issue 22: shortage monitoring and response (短缺药品监测应对). List membership as dated data; one shortage record
-- per consortium and drug while it is open (a partial unique index: two sessions racing to open one, the second
-- fails with 23505); the members affected and the signals seen; proposals for redistribution (调剂); the actions log.
-- The rules (signals, the record's life, proposals, substitutes, actions, the escalation report) are RxDomain's
-- `ShortageRules`, `RedistributionPlan`, `SubstituteRanking` and `ShortageEscalationReport`; docs/features/shortages.md.
-- Checked by Tests/System/shortage_schema.sh.

-- A drug on a shortage list, dated (national data, not a consortium's): the national shortage list
-- (国家短缺药品清单), the key monitoring list (临床必需易短缺药品重点监测清单), a province's list. On the list from
-- valid_from up to (not including) valid_until. `ShortageListMembership`.
CREATE TABLE shortage_list_memberships (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    drug_code   text NOT NULL REFERENCES drugs (code),
    list_kind   text NOT NULL CHECK (list_kind IN ('national_shortage', 'key_monitoring', 'provincial')),
    -- the province of a provincial list; none for the national lists
    region      text CHECK (length(btrim(region)) BETWEEN 1 AND 50),
    valid_from  date NOT NULL,
    valid_until date,
    -- the notice or edition that put the drug on the list
    source      text NOT NULL CHECK (length(btrim(source)) BETWEEN 1 AND 300),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((list_kind = 'provincial') = (region IS NOT NULL)),
    CHECK (valid_until IS NULL OR valid_until > valid_from),
    -- a drug is on a list once at a time
    EXCLUDE USING gist (drug_code WITH =, list_kind WITH =, coalesce(region, '') WITH =,
                        daterange(valid_from, valid_until) WITH &&)
);

-- A distributor's or manufacturer's notice that it cannot supply a drug, recorded by the supply centre; it stands from
-- reported_on until resumed_on. `SupplierShortageReport`.
CREATE TABLE shortage_supplier_reports (
    consortium_id     bigint NOT NULL REFERENCES consortia (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    drug_code         text NOT NULL REFERENCES drugs (code),
    supplier_id       bigint NOT NULL REFERENCES suppliers (id),
    reported_on       date NOT NULL,
    resumed_on        date,
    -- the supplier's notice (its number or its words)
    notice            text NOT NULL CHECK (length(btrim(notice)) BETWEEN 1 AND 1000),
    expected_recovery date,
    recorded_by       bigint REFERENCES api_tokens (id),
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    CHECK (resumed_on IS NULL OR resumed_on > reported_on)
);
CREATE INDEX shortage_supplier_reports_standing ON shortage_supplier_reports (consortium_id, drug_code)
    WHERE resumed_on IS NULL;

-- A shortage of a drug in a consortium. Reopened within shortage_reopen_window_days of its close it continues (the
-- same row, reopenings + 1); later a new row opens. `ShortageRecord`.
CREATE TABLE shortages (
    consortium_id     bigint NOT NULL REFERENCES consortia (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    drug_code         text NOT NULL REFERENCES drugs (code),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    level             text NOT NULL CHECK (level IN ('member', 'consortium', 'escalated')),
    cause             text CHECK (cause IN ('raw_materials', 'production_stopped', 'price_too_low', 'demand_too_low',
                                            'import_approval', 'distribution_failure', 'demand_surge', 'other')),
    cause_note        text CHECK (length(btrim(cause_note)) BETWEEN 1 AND 1000),
    -- who in the supply centre follows it
    owner_token_id    bigint REFERENCES api_tokens (id),
    -- the Asia/Shanghai business date it first opened (a reopening keeps it) and last closed
    opened_on         date NOT NULL,
    closed_on         date,
    outcome           text CHECK (outcome IN ('recovered', 'substituted', 'delisted', 'other')),
    close_note        text CHECK (length(btrim(close_note)) BETWEEN 1 AND 1000),
    reopenings        integer NOT NULL DEFAULT 0 CHECK (reopenings >= 0),
    expected_recovery date,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, drug_code, id),
    -- closed with a date and an outcome; open with neither
    CHECK ((status = 'closed') = (closed_on IS NOT NULL)),
    CHECK ((status = 'closed') = (outcome IS NOT NULL)),
    CHECK (closed_on IS NULL OR closed_on >= opened_on),
    -- the cause other says what it is; closing without recovery says why
    CHECK (cause IS DISTINCT FROM 'other' OR cause_note IS NOT NULL),
    CHECK (outcome IS NULL OR outcome = 'recovered' OR close_note IS NOT NULL)
);
-- One open record per consortium and drug: `ShortageRules.checkOneOpen`, held here against any race.
CREATE UNIQUE INDEX shortages_one_open ON shortages (consortium_id, drug_code) WHERE status = 'open';
CREATE INDEX shortages_latest ON shortages (consortium_id, drug_code, id DESC);
CREATE INDEX shortages_feed ON shortages (consortium_id, updated_at, id);

-- The members a shortage touches, with their stock and days of stock when last seen; `affected` is whether they are
-- affected now (a member whose stock came back stays listed, no longer affected).
CREATE TABLE shortage_members (
    consortium_id     bigint NOT NULL,
    shortage_id       bigint NOT NULL,
    institution_id    bigint NOT NULL,
    affected          boolean NOT NULL DEFAULT true,
    on_hand           numeric(14, 4) NOT NULL CHECK (on_hand >= 0),
    -- null: nothing consumed in the window
    days_of_stock     numeric(10, 1) CHECK (days_of_stock >= 0),
    first_affected_on date NOT NULL,
    last_seen_on      date NOT NULL,
    PRIMARY KEY (consortium_id, shortage_id, institution_id),
    FOREIGN KEY (consortium_id, shortage_id) REFERENCES shortages (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    CHECK (last_seen_on >= first_affected_on)
);
CREATE INDEX shortage_members_member ON shortage_members (consortium_id, institution_id) WHERE affected;

-- The signals seen, each from the day it was first seen until the day it cleared. `ShortageSignal`.
CREATE TABLE shortage_signals (
    consortium_id      bigint NOT NULL,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    shortage_id        bigint NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('stock_out', 'low_stock', 'late_delivery', 'supplier_report')),
    -- the member; null for the consortium as a whole and a supplier's report
    institution_id     bigint,
    on_hand            numeric(14, 4) CHECK (on_hand >= 0),
    days_of_stock      numeric(10, 1) CHECK (days_of_stock >= 0),
    order_id           bigint,
    line_no            integer,
    days_late          integer CHECK (days_late > 0),
    supplier_report_id bigint,
    first_seen_on      date NOT NULL,
    last_seen_on       date NOT NULL,
    cleared_on         date,
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, shortage_id) REFERENCES shortages (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, order_id, line_no) REFERENCES purchase_order_lines (consortium_id, order_id, line_no),
    FOREIGN KEY (consortium_id, supplier_report_id) REFERENCES shortage_supplier_reports (consortium_id, id),
    CHECK (last_seen_on >= first_seen_on AND (cleared_on IS NULL OR cleared_on >= last_seen_on)),
    -- what shows each kind
    CHECK (kind NOT IN ('stock_out', 'low_stock') OR on_hand IS NOT NULL),
    CHECK (kind <> 'stock_out' OR on_hand = 0),
    CHECK ((kind = 'late_delivery') = (order_id IS NOT NULL AND line_no IS NOT NULL)),
    CHECK (kind <> 'late_delivery' OR (institution_id IS NOT NULL AND days_late IS NOT NULL)),
    CHECK ((kind = 'supplier_report') = (supplier_report_id IS NOT NULL))
);
CREATE INDEX shortage_signals_shortage ON shortage_signals (consortium_id, shortage_id, id);
-- A signal that holds is kept once: a scan updates last_seen_on instead of adding a row.
CREATE UNIQUE INDEX shortage_signals_holding ON shortage_signals
    (consortium_id, shortage_id, kind, coalesce(institution_id, 0), coalesce(order_id, 0), coalesce(line_no, 0),
     coalesce(supplier_report_id, 0))
    WHERE cleared_on IS NULL;

-- What the supply centre did, with who, when and why. Rows are never updated nor deleted. `ShortageRules.act`.
CREATE TABLE shortage_actions (
    consortium_id        bigint NOT NULL,
    id                   bigint GENERATED ALWAYS AS IDENTITY,
    shortage_id          bigint NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('redistribute', 'substitute', 'emergency_purchase', 'escalate')),
    actor_token_id       bigint NOT NULL REFERENCES api_tokens (id),
    acted_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    business_date        date NOT NULL,
    reason               text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    -- 替代: the substitute and the pharmacist who signed it off
    substitute_drug_code text REFERENCES drugs (code),
    signed_off_by        bigint REFERENCES api_tokens (id),
    -- 应急采购: off the usual distributor, flagged in procurement and reconciliation through its order
    supplier_id          bigint REFERENCES suppliers (id),
    quantity             numeric(14, 4) CHECK (quantity > 0),
    purchase_order_id    bigint,
    -- 上报: the expected recovery and the report as sent (ShortageEscalationReport's JSON)
    expected_recovery    date,
    report               jsonb,
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, shortage_id) REFERENCES shortages (consortium_id, id),
    FOREIGN KEY (consortium_id, purchase_order_id) REFERENCES purchase_orders (consortium_id, id),
    CHECK ((kind = 'substitute') = (substitute_drug_code IS NOT NULL)),
    CHECK (kind <> 'substitute' OR signed_off_by IS NOT NULL),
    CHECK ((kind = 'emergency_purchase') = (supplier_id IS NOT NULL)),
    CHECK (kind <> 'emergency_purchase' OR quantity IS NOT NULL),
    CHECK (kind = 'escalate' OR report IS NULL)
);
CREATE INDEX shortage_actions_shortage ON shortage_actions (consortium_id, shortage_id, id);
-- The accepted substitute of a drug (the long-prescription and referral checks mention it).
CREATE INDEX shortage_actions_substitute ON shortage_actions (consortium_id, shortage_id, id DESC) WHERE kind = 'substitute';

CREATE FUNCTION shortage_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'shortage_actions is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'check_violation', CONSTRAINT = 'shortage_actions_append_only';
END;
$$;
CREATE TRIGGER shortage_actions_no_update_delete BEFORE UPDATE OR DELETE ON shortage_actions
    FOR EACH ROW EXECUTE FUNCTION shortage_actions_append_only();

-- Proposed redistributions (调剂): from a member with surplus to one short, with the lots first expiry first out.
-- Accepting one creates a stock transfer (sql/020) and the redistribute action. `RedistributionPlan.Proposal`.
CREATE TABLE shortage_proposals (
    consortium_id       bigint NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    shortage_id         bigint NOT NULL,
    drug_code           text NOT NULL,
    from_institution_id bigint NOT NULL,
    to_institution_id   bigint NOT NULL,
    quantity            numeric(14, 4) NOT NULL CHECK (quantity > 0),
    status              text NOT NULL DEFAULT 'proposed'
                        CHECK (status IN ('proposed', 'accepted', 'rejected', 'superseded')),
    proposed_on         date NOT NULL,
    decided_by          bigint REFERENCES api_tokens (id),
    decided_at          timestamptz,
    stock_transfer_id   bigint,
    action_id           bigint,
    PRIMARY KEY (consortium_id, id),
    -- the proposal's drug is its shortage's
    FOREIGN KEY (consortium_id, drug_code, shortage_id) REFERENCES shortages (consortium_id, drug_code, id),
    FOREIGN KEY (consortium_id, from_institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, to_institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, stock_transfer_id) REFERENCES stock_transfers (consortium_id, id),
    FOREIGN KEY (consortium_id, action_id) REFERENCES shortage_actions (consortium_id, id),
    CHECK (from_institution_id <> to_institution_id),
    -- decided by someone when not proposed; accepted with its transfer and its action, and only then
    CHECK ((status = 'proposed') = (decided_at IS NULL)),
    CHECK ((status = 'accepted') = (stock_transfer_id IS NOT NULL)),
    CHECK ((status = 'accepted') = (action_id IS NOT NULL))
);
CREATE INDEX shortage_proposals_shortage ON shortage_proposals (consortium_id, shortage_id, status);

CREATE TABLE shortage_proposal_lots (
    consortium_id bigint NOT NULL,
    proposal_id   bigint NOT NULL,
    lot_number    text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    lot_key       text GENERATED ALWAYS AS (lot_key(lot_number)) STORED CHECK (lot_key <> ''),
    expiry_date   date NOT NULL,
    quantity      numeric(14, 4) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (consortium_id, proposal_id, lot_key),
    FOREIGN KEY (consortium_id, proposal_id) REFERENCES shortage_proposals (consortium_id, id)
);
