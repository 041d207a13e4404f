-- Issue 21: traceability codes (药品追溯码) scanned at a purchase receipt (108). A code is one package: it enters
-- the consortium once (a unique key, so of two receipts racing with the same code the second fails), and its
-- receipt links it to the lot's movement, so a code can be followed from the receipt to its dispensings.
CREATE TABLE received_traceability_codes (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    code           text NOT NULL CHECK (code ~ '^[0-9]{20}$'),
    prefix         text GENERATED ALWAYS AS (substr(code, 1, 7)) STORED REFERENCES traceability_code_prefixes (prefix),
    institution_id bigint NOT NULL,
    movement_id    bigint NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consortium_id, id),
    CONSTRAINT received_traceability_codes_once UNIQUE (consortium_id, code),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, movement_id) REFERENCES stock_movements (consortium_id, id)
);
CREATE INDEX received_traceability_codes_movement ON received_traceability_codes (consortium_id, movement_id);
-- A code's dispensings, for following a code (the first dispensing is already unique per code).
CREATE INDEX dispensed_traceability_codes_code ON dispensed_traceability_codes (consortium_id, code);
