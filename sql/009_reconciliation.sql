-- Reconciliation runs (对账): a distributor's invoice file checked against orders, receipts, the members'
-- catalogues and the two-invoice rule. A file is reconciled once per consortium and kind (by its SHA-256);
-- its discrepancies are kept with the run.

CREATE TABLE reconciliation_runs (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    kind           text NOT NULL CHECK (kind IN ('invoices')),
    file_name      text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 1000),
    -- SHA-256 of the file's bytes, lower-case hex
    input_checksum text NOT NULL CHECK (input_checksum ~ '^[0-9a-f]{64}$'),
    -- the business date the member catalogues in effect were taken on
    as_of          date NOT NULL,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- {"lines": n, "<classification>": n, ..., "money_at_stake": "0.00"}
    counts         jsonb NOT NULL,
    created_by     text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, kind, input_checksum),
    CHECK (finished_at >= started_at)
);

CREATE TABLE reconciliation_discrepancies (
    consortium_id  bigint NOT NULL,
    run_id         bigint NOT NULL,
    line_number    integer NOT NULL CHECK (line_number > 0),
    classification text NOT NULL CHECK (classification IN (
                       'price_differs', 'quantity_differs', 'no_matching_order_or_receipt', 'duplicate_line',
                       'outside_member_catalogue', 'two_invoice_chain', 'amount_mismatch')),
    detail         jsonb NOT NULL DEFAULT '{}',
    money_at_stake numeric(16, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (consortium_id, run_id, line_number, classification),
    FOREIGN KEY (consortium_id, run_id) REFERENCES reconciliation_runs (consortium_id, id)
);
