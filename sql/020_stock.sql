-- Issue 21: stock by lot in every member (库存). Every change is a movement with a reason; stock on hand is the sum
-- of the movements, kept by the database in the same statement (a trigger), never a number overwritten. Stock on
-- hand cannot go negative, and two movements racing for the last units cannot both succeed: the trigger updates
-- the on-hand row, which locks it, and the second re-checks `quantity >= 0` against the first's result.
-- The rules (FEFO, issueability, near expiry, transfers, counts, traceability codes) are RxDomain's `StockRules`,
-- `StockTransferRules`, `StockCountRules` and `TraceabilityRules`; docs/features/stock.md.

-- Why stock changed: the national insurance stock-change codes of 进销存 interface 3502 (库存变更类型), plus
-- dispensing and patients' returns. Data, mirrored in seeds/reference/stock_movement_reasons.csv and
-- `StockMovementReason` (a test ties the CSV to the enum, Tests/System/stock_schema.sql the CSV to this table).
CREATE TABLE stock_movement_reasons (
    code        text PRIMARY KEY CHECK (code ~ '^([0-9]{3}|[a-z][a-z_]*)$'),
    direction   text NOT NULL CHECK (direction IN ('in', 'out')),
    name_zh     text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 50),
    name_en     text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    -- one of the national codes 101-111 (reported through 3502); dispensing and returns go through 3505/3506
    national    boolean GENERATED ALWAYS AS (code ~ '^[0-9]{3}$') STORED,
    -- a movement's direction is its reason's (the composite key below)
    UNIQUE (code, direction)
);

INSERT INTO stock_movement_reasons (code, direction, name_zh, name_en) VALUES
    ('101', 'in', '调拨入库', 'transfer in'),
    ('102', 'out', '调拨出库', 'transfer out'),
    ('103', 'in', '盘盈', 'count surplus'),
    ('104', 'out', '盘损', 'count loss'),
    ('105', 'out', '销毁', 'destruction'),
    ('106', 'in', '其他入库', 'other in'),
    ('107', 'out', '其他出库', 'other out'),
    ('108', 'in', '商品采购入库', 'purchase receipt'),
    ('109', 'out', '退货出库', 'return to supplier'),
    ('110', 'in', '赠药入库', 'donation in'),
    ('111', 'out', '赠药退回出库', 'donation returned'),
    ('dispensing', 'out', '销售/发药', 'dispensing to a patient or a ward'),
    ('patient_return', 'in', '退药', 'return from a patient');

-- Store locations inside an institution (药房, 病区小药柜, the supply centre's warehouse). Optional: a movement
-- without a location is the institution's stock as a whole.
CREATE TABLE stock_locations (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    institution_id bigint NOT NULL,
    code           text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind           text NOT NULL CHECK (kind IN ('pharmacy', 'ward_stock', 'warehouse', 'other')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, institution_id, id),
    UNIQUE (institution_id, code),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- The ledger. Rows are never updated nor deleted: a correction is another movement.
CREATE TABLE stock_movements (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    institution_id bigint NOT NULL,
    location_id    bigint,
    drug_code      text NOT NULL REFERENCES drugs (code),
    -- 生产批号 as typed, and its key (sql/013's lot_key: case, spaces and full-width forms do not matter)
    lot_number     text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    lot_key        text GENERATED ALWAYS AS (lot_key(lot_number)) STORED CHECK (lot_key <> ''),
    -- 有效期至
    expiry_date    date NOT NULL,
    reason_code    text NOT NULL,
    direction      text NOT NULL CHECK (direction IN ('in', 'out')),
    -- in the drug's unit, always positive; the direction gives the sign
    quantity       numeric(14, 4) NOT NULL CHECK (quantity > 0),
    -- where the movement comes from
    document_type  text NOT NULL CHECK (document_type IN ('opening', 'delivery', 'stock_transfer',
                                                           'preparation_transfer', 'count', 'dispensing',
                                                           'patient_return', 'destruction', 'supplier_return',
                                                           'donation', 'other')),
    document_id    bigint,
    actor_token_id bigint REFERENCES api_tokens (id),
    occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- the Asia/Shanghai calendar date the movement counts on (the NHSA exports, days of stock)
    business_date  date NOT NULL,
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id, location_id) REFERENCES stock_locations (consortium_id, institution_id, id),
    FOREIGN KEY (reason_code, direction) REFERENCES stock_movement_reasons (code, direction),
    CHECK (document_type = 'opening' OR document_id IS NOT NULL)
);
-- The stock card of a lot at a member (opening, each movement, closing) and a member's movements of a drug.
CREATE INDEX stock_movements_card ON stock_movements (consortium_id, institution_id, drug_code, lot_key, id);
-- Where a lot went, across the consortium (recalls, "where is lot X", dispensings of it).
CREATE INDEX stock_movements_lot ON stock_movements (consortium_id, drug_code, lot_key);
-- The NHSA exports and consumption over a window: a member's movements by business date.
CREATE INDEX stock_movements_member_day ON stock_movements (consortium_id, institution_id, business_date, id);
CREATE INDEX stock_movements_document ON stock_movements (consortium_id, document_type, document_id);

-- Stock on hand per member, location, drug and lot: the sum of the lot's movements there, kept by the trigger
-- below. One row per lot (not per movement), so reading a member's stock or a drug across the consortium does
-- not grow with history.
CREATE TABLE stock_on_hand (
    consortium_id    bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    institution_id   bigint NOT NULL,
    location_id      bigint,
    drug_code        text NOT NULL REFERENCES drugs (code),
    lot_key          text NOT NULL,
    -- the lot number as first typed, for display
    lot_number       text NOT NULL,
    expiry_date      date NOT NULL,
    quantity         numeric(14, 4) NOT NULL CHECK (quantity >= 0),
    last_movement_id bigint NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, id),
    -- a movement without a location and one at a location are different rows; NULL is the institution as a whole
    CONSTRAINT stock_on_hand_lot UNIQUE NULLS NOT DISTINCT (consortium_id, institution_id, location_id, drug_code, lot_key),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id, location_id) REFERENCES stock_locations (consortium_id, institution_id, id),
    FOREIGN KEY (consortium_id, last_movement_id) REFERENCES stock_movements (consortium_id, id)
);
-- A drug across the consortium (and its lots with stock, for FEFO and near expiry).
CREATE INDEX stock_on_hand_drug ON stock_on_hand (consortium_id, drug_code, institution_id) WHERE quantity > 0;
CREATE INDEX stock_on_hand_expiry ON stock_on_hand (consortium_id, expiry_date) WHERE quantity > 0;

-- Lots blocked at every member at once: a recall by the consortium admin on the regulator's notice, or a rejection
-- by the lead's herb inspection. A release ends the block; the row stays.
CREATE TABLE lot_blocks (
    consortium_id      bigint NOT NULL,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    drug_code          text NOT NULL REFERENCES drugs (code),
    lot_number         text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    lot_key            text GENERATED ALWAYS AS (lot_key(lot_number)) STORED CHECK (lot_key <> ''),
    kind               text NOT NULL CHECK (kind IN ('recall', 'inspection_rejection')),
    -- the regulator's notice number (召回通知文号) of a recall
    notice_number      text CHECK (length(notice_number) BETWEEN 1 AND 100),
    herb_inspection_id bigint,
    reason             text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    blocked_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    blocked_by         bigint REFERENCES api_tokens (id),
    released_at        timestamptz,
    released_by        bigint REFERENCES api_tokens (id),
    release_reason     text CHECK (length(btrim(release_reason)) BETWEEN 1 AND 1000),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, herb_inspection_id) REFERENCES herb_inspections (consortium_id, id),
    CHECK (kind <> 'recall' OR notice_number IS NOT NULL),
    CHECK ((released_at IS NULL) = (release_reason IS NULL))
);
-- At most one standing block of a kind per lot; the standing blocks of a lot found at once.
CREATE UNIQUE INDEX lot_blocks_standing ON lot_blocks (consortium_id, drug_code, lot_key, kind) WHERE released_at IS NULL;

-- Keeps stock_on_hand the sum of the movements. An out-movement that would take a lot below zero fails the CHECK
-- (23514); the update locks the lot's row, so of two racing issues of the last units the second sees the first's
-- result and fails. Quarantined stock (expired on the business date, or under a standing block) leaves only
-- destroyed (105), returned to the supplier (109) or written off by a count (104): `StockRules.checkOutgoing`,
-- checked again here so no writer can forget it. A lot keeps one expiry date per member and location.
CREATE FUNCTION stock_movements_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held_expiry date;
    signed numeric := CASE NEW.direction WHEN 'in' THEN NEW.quantity ELSE -NEW.quantity END;
BEGIN
    IF NEW.direction = 'out' AND NEW.reason_code NOT IN ('104', '105', '109') THEN
        IF NEW.expiry_date <= NEW.business_date THEN
            RAISE EXCEPTION 'lot % of % expired on % and is quarantined', NEW.lot_number, NEW.drug_code, NEW.expiry_date
                USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_quarantine';
        END IF;
        IF EXISTS (SELECT 1 FROM lot_blocks b
                   WHERE b.consortium_id = NEW.consortium_id AND b.drug_code = NEW.drug_code
                     AND b.lot_key = NEW.lot_key AND b.released_at IS NULL) THEN
            RAISE EXCEPTION 'lot % of % is blocked', NEW.lot_number, NEW.drug_code
                USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_quarantine';
        END IF;
    END IF;
    -- The update first: INSERT … ON CONFLICT checks the proposed row's CHECK before it looks for the conflict, so an
    -- out-movement must never be proposed as a new row. Only a lot's first movement at a place inserts its row, and an
    -- out-movement there fails the CHECK (nothing to take).
    IF NEW.location_id IS NULL THEN
        UPDATE stock_on_hand SET quantity = quantity + signed, last_movement_id = NEW.id, updated_at = clock_timestamp()
        WHERE consortium_id = NEW.consortium_id AND institution_id = NEW.institution_id AND location_id IS NULL
          AND drug_code = NEW.drug_code AND lot_key = NEW.lot_key
        RETURNING expiry_date INTO held_expiry;
    ELSE
        UPDATE stock_on_hand SET quantity = quantity + signed, last_movement_id = NEW.id, updated_at = clock_timestamp()
        WHERE consortium_id = NEW.consortium_id AND institution_id = NEW.institution_id AND location_id = NEW.location_id
          AND drug_code = NEW.drug_code AND lot_key = NEW.lot_key
        RETURNING expiry_date INTO held_expiry;
    END IF;
    IF NOT FOUND THEN
        -- Two first receipts of a lot racing: the second takes the conflict branch and adds to the first's row.
        INSERT INTO stock_on_hand (consortium_id, institution_id, location_id, drug_code, lot_key, lot_number,
                                   expiry_date, quantity, last_movement_id)
        VALUES (NEW.consortium_id, NEW.institution_id, NEW.location_id, NEW.drug_code, NEW.lot_key, NEW.lot_number,
                NEW.expiry_date, signed, NEW.id)
        ON CONFLICT ON CONSTRAINT stock_on_hand_lot DO UPDATE
            SET quantity = stock_on_hand.quantity + EXCLUDED.quantity,
                last_movement_id = EXCLUDED.last_movement_id,
                updated_at = clock_timestamp()
        RETURNING expiry_date INTO held_expiry;
    END IF;
    IF held_expiry <> NEW.expiry_date THEN
        RAISE EXCEPTION 'lot % of % is held with the expiry date %, not %', NEW.lot_number, NEW.drug_code,
            held_expiry, NEW.expiry_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_expiry';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stock_movements_post AFTER INSERT ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_post();

CREATE FUNCTION stock_movements_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only: % is not allowed (post a correcting movement)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER stock_movements_no_update_delete BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_are_append_only();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION stock_movements_are_append_only();

-- Transfers of stock between members (调拨): out of the sender at dispatch (102), in transit (visible, available to
-- neither), into the receiver at receipt (101). `StockTransferRules` moves the states.
CREATE TABLE stock_transfers (
    consortium_id            bigint NOT NULL,
    id                       bigint GENERATED ALWAYS AS IDENTITY,
    sender_institution_id    bigint NOT NULL,
    sender_location_id       bigint,
    receiver_institution_id  bigint NOT NULL,
    receiver_location_id     bigint,
    status                   text NOT NULL DEFAULT 'draft'
                             CHECK (status IN ('draft', 'dispatched', 'received', 'cancelled')),
    note                     text CHECK (length(note) <= 1000),
    created_by               bigint REFERENCES api_tokens (id),
    created_at               timestamptz NOT NULL DEFAULT now(),
    dispatched_by            bigint REFERENCES api_tokens (id),
    dispatched_at            timestamptz,
    received_by              bigint REFERENCES api_tokens (id),
    received_at              timestamptz,
    cancelled_by             bigint REFERENCES api_tokens (id),
    cancelled_at             timestamptz,
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, sender_institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, receiver_institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, sender_institution_id, sender_location_id)
        REFERENCES stock_locations (consortium_id, institution_id, id),
    FOREIGN KEY (consortium_id, receiver_institution_id, receiver_location_id)
        REFERENCES stock_locations (consortium_id, institution_id, id),
    CHECK (sender_institution_id <> receiver_institution_id),
    CHECK ((dispatched_at IS NOT NULL) = (status IN ('dispatched', 'received'))),
    CHECK ((received_at IS NOT NULL) = (status = 'received')),
    CHECK ((cancelled_at IS NOT NULL) = (status = 'cancelled'))
);
-- In transit and open transfers of a member, either side.
CREATE INDEX stock_transfers_sender ON stock_transfers (consortium_id, sender_institution_id, status);
CREATE INDEX stock_transfers_receiver ON stock_transfers (consortium_id, receiver_institution_id, status);

-- What is asked for: a drug (in the receiver's catalogue, checked by the use case) and a quantity.
CREATE TABLE stock_transfer_lines (
    consortium_id bigint NOT NULL,
    transfer_id   bigint NOT NULL,
    line_no       integer NOT NULL CHECK (line_no > 0),
    drug_code     text NOT NULL REFERENCES drugs (code),
    quantity      numeric(14, 4) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (consortium_id, transfer_id, line_no),
    FOREIGN KEY (consortium_id, transfer_id) REFERENCES stock_transfers (consortium_id, id)
);

-- What was dispatched, per lot (FEFO or named), and what the receiver found: received in good order, damaged, the
-- rest a shortfall; any shortfall or damage carries its reason (a discrepancy, not a silent adjustment).
CREATE TABLE stock_transfer_lots (
    consortium_id        bigint NOT NULL,
    transfer_id          bigint NOT NULL,
    line_no              integer NOT NULL,
    lot_number           text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    lot_key              text GENERATED ALWAYS AS (lot_key(lot_number)) STORED CHECK (lot_key <> ''),
    expiry_date          date NOT NULL,
    dispatched_quantity  numeric(14, 4) NOT NULL CHECK (dispatched_quantity > 0),
    received_quantity    numeric(14, 4) CHECK (received_quantity >= 0),
    damaged_quantity     numeric(14, 4) NOT NULL DEFAULT 0 CHECK (damaged_quantity >= 0),
    discrepancy_reason   text CHECK (length(btrim(discrepancy_reason)) BETWEEN 1 AND 500),
    PRIMARY KEY (consortium_id, transfer_id, line_no, lot_key),
    FOREIGN KEY (consortium_id, transfer_id, line_no) REFERENCES stock_transfer_lines (consortium_id, transfer_id, line_no),
    CHECK (received_quantity IS NOT NULL OR damaged_quantity = 0),
    CHECK (received_quantity + damaged_quantity <= dispatched_quantity),
    CHECK (received_quantity IS NULL OR received_quantity + damaged_quantity = dispatched_quantity
           OR discrepancy_reason IS NOT NULL),
    CHECK (damaged_quantity = 0 OR discrepancy_reason IS NOT NULL)
);
-- Where a lot is in transit (where-is-lot).
CREATE INDEX stock_transfer_lots_lot ON stock_transfer_lots (consortium_id, lot_key);

-- Stock counts (盘点): a sheet per member (and location), counted against expected per lot; on approval by a second
-- person the differences post as 103/104 (`StockCountRules.approve`).
CREATE TABLE stock_counts (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    institution_id bigint NOT NULL,
    location_id    bigint,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'cancelled')),
    count_date     date NOT NULL,
    opened_by      bigint REFERENCES api_tokens (id),
    opened_at      timestamptz NOT NULL DEFAULT now(),
    counted_by     bigint REFERENCES api_tokens (id),
    approved_by    bigint REFERENCES api_tokens (id),
    approved_at    timestamptz,
    cancelled_at   timestamptz,
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id, location_id) REFERENCES stock_locations (consortium_id, institution_id, id),
    CHECK ((approved_at IS NOT NULL) = (status = 'approved')),
    CHECK (status <> 'approved' OR (approved_by IS NOT NULL AND counted_by IS NOT NULL)),
    -- the second-person rule: the approver is not the counter
    CHECK (approved_by IS DISTINCT FROM counted_by OR approved_by IS NULL),
    CHECK ((cancelled_at IS NOT NULL) = (status = 'cancelled'))
);
CREATE INDEX stock_counts_member ON stock_counts (consortium_id, institution_id, status);

CREATE TABLE stock_count_lines (
    consortium_id bigint NOT NULL,
    count_id      bigint NOT NULL,
    drug_code     text NOT NULL REFERENCES drugs (code),
    lot_number    text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    lot_key       text GENERATED ALWAYS AS (lot_key(lot_number)) STORED CHECK (lot_key <> ''),
    expiry_date   date NOT NULL,
    -- the ledger's quantity when the sheet was opened
    expected      numeric(14, 4) NOT NULL CHECK (expected >= 0),
    -- NULL until entered
    counted       numeric(14, 4) CHECK (counted >= 0),
    PRIMARY KEY (consortium_id, count_id, drug_code, lot_key),
    FOREIGN KEY (consortium_id, count_id) REFERENCES stock_counts (consortium_id, id)
);

-- Drug traceability codes (药品追溯码): the 7-digit product and package identifier (药品标识码) of each drug and
-- package. National master data, like drugs.
CREATE TABLE traceability_code_prefixes (
    prefix     text PRIMARY KEY CHECK (prefix ~ '^[0-9]{7}$'),
    drug_code  text NOT NULL REFERENCES drugs (code),
    -- the package the prefix identifies (e.g. "10片/盒")
    package    text NOT NULL CHECK (length(package) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX traceability_code_prefixes_drug ON traceability_code_prefixes (drug_code);

-- Codes seen leaving the consortium (dispensed or sold). The first dispensing of a code is unique; a later one is
-- recorded as a reflow (回流药) pointing at the first, so a code dispensed twice is always caught, even by two racing
-- dispensings (the second hits the unique index and is recorded flagged).
CREATE TABLE dispensed_traceability_codes (
    consortium_id     bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    code              text NOT NULL CHECK (code ~ '^[0-9]{20}$'),
    prefix            text GENERATED ALWAYS AS (substr(code, 1, 7)) STORED REFERENCES traceability_code_prefixes (prefix),
    institution_id    bigint NOT NULL,
    movement_id       bigint NOT NULL,
    dispensed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    reflow            boolean NOT NULL DEFAULT false,
    first_dispensing_id bigint,
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, movement_id) REFERENCES stock_movements (consortium_id, id),
    FOREIGN KEY (consortium_id, first_dispensing_id) REFERENCES dispensed_traceability_codes (consortium_id, id),
    CHECK (reflow = (first_dispensing_id IS NOT NULL))
);
CREATE UNIQUE INDEX dispensed_traceability_codes_first ON dispensed_traceability_codes (consortium_id, code) WHERE NOT reflow;
CREATE INDEX dispensed_traceability_codes_reflow ON dispensed_traceability_codes (consortium_id, dispensed_at) WHERE reflow;
CREATE INDEX dispensed_traceability_codes_movement ON dispensed_traceability_codes (consortium_id, movement_id);

-- TODO(issue 21): opening movements from the deliveries already recorded (108 at the ordering member, document
-- 'delivery', business date received_on) and from preparation transfer shipments and receipts (102 at the producer,
-- 101 at the receiver). They belong in the same migration as the use cases that post new deliveries and transfer
-- receipts, so the ledger has no gap between the opening movements and the first posted one.
