-- Issue 21 (the ledger's core): the documents the stock movements of dispensing (发药) and of disposals (destruction
-- of quarantined stock, 105; returns to the supplier, 109) come from. The rules are RxDomain's `StockRules`,
-- `DispensingRules` and `TraceabilityRules`; the orchestration `DispensingUseCases` and `LotRecallUseCases`;
-- docs/features/stock.md.

-- A dispensing to a patient (a pseudonymous reference, never a name) or to a ward. Its movements (one per lot used,
-- document 'dispensing') carry the lots; the row keeps what was asked and who asked it. A retry under the same
-- Idempotency-Key answers the first dispensing (idempotency_keys, operation 'create_dispensing').
CREATE TABLE dispensings (
    consortium_id    bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    institution_id   bigint NOT NULL,
    location_id      bigint,
    drug_code        text NOT NULL REFERENCES drugs (code),
    quantity         numeric(14, 4) NOT NULL CHECK (quantity > 0),
    patient_ref      text CHECK (patient_ref ~ '^[A-Za-z0-9_-]{1,64}$' AND patient_ref !~ '^[0-9]{17}[0-9Xx]$'),
    ward             text CHECK (length(btrim(ward)) BETWEEN 1 AND 100),
    -- the lot asked for, when one was named (else first expiry first out)
    requested_lot    text CHECK (length(requested_lot) BETWEEN 1 AND 50),
    business_date    date NOT NULL,
    dispensed_by     bigint REFERENCES api_tokens (id),
    dispensed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id, location_id) REFERENCES stock_locations (consortium_id, institution_id, id),
    -- to a patient or to a ward, never both nor neither
    CONSTRAINT dispensings_one_recipient CHECK ((patient_ref IS NULL) <> (ward IS NULL))
);
CREATE INDEX dispensings_member_day ON dispensings (consortium_id, institution_id, business_date);

-- A destruction (销毁, 105) or a return to the supplier (退货, 109) of a lot, with the document it is done under
-- (the destruction record's or the return note's number).
CREATE TABLE stock_disposals (
    consortium_id      bigint NOT NULL,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    institution_id     bigint NOT NULL,
    location_id        bigint,
    kind               text NOT NULL CHECK (kind IN ('destruction', 'supplier_return')),
    document_reference text NOT NULL CHECK (length(btrim(document_reference)) BETWEEN 1 AND 100),
    drug_code          text NOT NULL REFERENCES drugs (code),
    lot_number         text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    expiry_date        date NOT NULL,
    quantity           numeric(14, 4) NOT NULL CHECK (quantity > 0),
    reason             text CHECK (length(reason) <= 1000),
    business_date      date NOT NULL,
    recorded_by        bigint REFERENCES api_tokens (id),
    recorded_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id, location_id) REFERENCES stock_locations (consortium_id, institution_id, id)
);
