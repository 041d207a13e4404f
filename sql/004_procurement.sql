-- Unified procurement (五统一, 两票制): member orders at the unified price, consolidation per distributor,
-- deliveries by lot, the distributors' invoices matched against them, and central payment.

-- Which distributor (配送企业) the consortium contracted for each drug.
CREATE TABLE distributor_contracts (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    drug_code      text NOT NULL REFERENCES drugs (code),
    distributor_id bigint NOT NULL REFERENCES suppliers (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, drug_code)
);

CREATE TABLE consolidated_orders (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    distributor_id bigint NOT NULL REFERENCES suppliers (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id)
);

CREATE TABLE purchase_orders (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    institution_id bigint NOT NULL,
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'submitted', 'consolidated', 'partly_received', 'received', 'closed', 'cancelled')),
    -- the business date the order was raised: its prices are the unified prices in effect then
    order_date     date NOT NULL,
    created_by     bigint REFERENCES api_tokens (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);
CREATE INDEX purchase_orders_institution ON purchase_orders (consortium_id, institution_id, id);
CREATE INDEX purchase_orders_status ON purchase_orders (consortium_id, status);

CREATE TABLE purchase_order_lines (
    consortium_id         bigint NOT NULL,
    order_id              bigint NOT NULL,
    line_no               integer NOT NULL CHECK (line_no > 0),
    drug_code             text NOT NULL REFERENCES drugs (code),
    quantity              numeric(14, 3) NOT NULL CHECK (quantity > 0),
    -- the quantity's unit, the same as the price's: 'package' or the drug's own 'unit'
    quantity_unit         text NOT NULL CHECK (quantity_unit IN ('package', 'unit')),
    -- taken from the unified price in effect on the order date, never from the client
    unit_price            numeric(14, 4) NOT NULL CHECK (unit_price > 0),
    price_agreement_id    bigint NOT NULL,
    consolidated_order_id bigint,
    received_quantity     numeric(14, 3) NOT NULL DEFAULT 0 CHECK (received_quantity >= 0),
    PRIMARY KEY (consortium_id, order_id, line_no),
    FOREIGN KEY (consortium_id, order_id) REFERENCES purchase_orders (consortium_id, id),
    FOREIGN KEY (consortium_id, price_agreement_id) REFERENCES price_agreements (consortium_id, id),
    FOREIGN KEY (consortium_id, consolidated_order_id) REFERENCES consolidated_orders (consortium_id, id)
);
CREATE INDEX purchase_order_lines_consolidated ON purchase_order_lines (consortium_id, consolidated_order_id);

-- What a member received, by lot. An exception (over-delivery, expired or short-dated lot) is kept with its reason.
CREATE TABLE deliveries (
    consortium_id    bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    order_id         bigint NOT NULL,
    line_no          integer NOT NULL,
    lot_number       text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    expiry_date      date NOT NULL,
    quantity         numeric(14, 3) NOT NULL CHECK (quantity > 0),
    received_on      date NOT NULL,
    exception_reason text CHECK (length(exception_reason) <= 1000),
    recorded_by      bigint REFERENCES api_tokens (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, order_id, line_no) REFERENCES purchase_order_lines (consortium_id, order_id, line_no)
);
CREATE INDEX deliveries_line ON deliveries (consortium_id, order_id, line_no);

-- The distributor's invoice to a member, with the number of the manufacturer's invoice to the distributor
-- (两票制: at most these two invoices in the chain).
CREATE TABLE invoices (
    consortium_id           bigint NOT NULL,
    id                      bigint GENERATED ALWAYS AS IDENTITY,
    distributor_id          bigint NOT NULL REFERENCES suppliers (id),
    invoice_number          text NOT NULL CHECK (length(invoice_number) BETWEEN 1 AND 50),
    invoice_date            date NOT NULL,
    institution_id          bigint NOT NULL,
    upstream_supplier_id    bigint NOT NULL REFERENCES suppliers (id),
    upstream_invoice_number text NOT NULL CHECK (length(upstream_invoice_number) BETWEEN 1 AND 50),
    created_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    -- Invoice numbers are unique per distributor (within the consortium, the distribution key).
    UNIQUE (consortium_id, distributor_id, invoice_number),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

CREATE TABLE invoice_lines (
    consortium_id bigint NOT NULL,
    invoice_id    bigint NOT NULL,
    line_no       integer NOT NULL CHECK (line_no > 0),
    order_id      bigint NOT NULL,
    order_line_no integer NOT NULL,
    quantity      numeric(14, 3) NOT NULL CHECK (quantity > 0),
    unit_price    numeric(14, 4) NOT NULL CHECK (unit_price >= 0),
    amount        numeric(16, 2) NOT NULL CHECK (amount >= 0),
    -- kept, not refused: reality must be recorded to be reconciled
    discrepancies text[] NOT NULL DEFAULT '{}'
                  CHECK (discrepancies <@ ARRAY['price_differs', 'quantity_differs', 'amount_mismatch']::text[]),
    PRIMARY KEY (consortium_id, invoice_id, line_no),
    FOREIGN KEY (consortium_id, invoice_id) REFERENCES invoices (consortium_id, id),
    FOREIGN KEY (consortium_id, order_id, order_line_no) REFERENCES purchase_order_lines (consortium_id, order_id, line_no)
);

-- Central payment (统一支付) from the consortium's single procurement account.
CREATE TABLE payments (
    consortium_id bigint NOT NULL,
    invoice_id    bigint NOT NULL,
    paid_on       date NOT NULL,
    amount        numeric(16, 2) NOT NULL CHECK (amount > 0),
    reference     text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    recorded_by   bigint REFERENCES api_tokens (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, invoice_id),
    FOREIGN KEY (consortium_id, invoice_id) REFERENCES invoices (consortium_id, id)
);
