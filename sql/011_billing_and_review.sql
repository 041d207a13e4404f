-- Invoices against receipts, central payment in parts, and finance's review of discrepancies (issue 18).
--
-- An invoice line may bill at most what was received and not yet billed: per order line, and per lot when the line
-- names one. What was billed is the sum of the earlier invoice lines on the same order line (and lot); the order
-- line's row lock serialises two invoices racing for the same units.

ALTER TABLE invoice_lines ADD COLUMN lot_number text CHECK (length(lot_number) BETWEEN 1 AND 50);

CREATE INDEX invoice_lines_order_line ON invoice_lines (consortium_id, order_id, order_line_no);

-- What was received of one lot on an order line (a line may be received as thousands of lots).
CREATE INDEX deliveries_line_lot ON deliveries (consortium_id, order_id, line_no, lot_number);

ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_discrepancies_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_discrepancies_check
    CHECK (discrepancies <@ ARRAY['no_matching_order_or_receipt', 'wrong_distributor', 'price_differs', 'quantity_differs',
                                  'billed_beyond_received', 'amount_mismatch']::text[]);

-- Finance's review of an invoice with discrepancies: resolved (then payable) or disputed, with a note.
ALTER TABLE invoices
    ADD COLUMN review_status text CHECK (review_status IN ('resolved', 'disputed')),
    ADD COLUMN review_note   text CHECK (length(review_note) BETWEEN 1 AND 1000),
    ADD COLUMN reviewed_by   text CHECK (length(reviewed_by) BETWEEN 1 AND 200),
    ADD COLUMN reviewed_at   timestamptz,
    ADD CONSTRAINT invoices_review_complete
        CHECK ((review_status IS NULL) = (review_note IS NULL) AND (review_status IS NULL) = (reviewed_at IS NULL));

-- Payment in parts: several payments per invoice, each with its own reference (a retried request with the same
-- reference is refused, not paid twice). Their sum never exceeds the invoice's total (checked under the invoice's
-- row lock).
ALTER TABLE payments DROP CONSTRAINT payments_pkey;
ALTER TABLE payments ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE payments ADD PRIMARY KEY (consortium_id, id);
ALTER TABLE payments ADD CONSTRAINT payments_reference_once UNIQUE (consortium_id, invoice_id, reference);

-- Finance's review of a reconciled file's discrepancies.
ALTER TABLE reconciliation_discrepancies
    ADD COLUMN review_status text CHECK (review_status IN ('resolved', 'disputed')),
    ADD COLUMN review_note   text CHECK (length(review_note) BETWEEN 1 AND 1000),
    ADD COLUMN reviewed_by   text CHECK (length(reviewed_by) BETWEEN 1 AND 200),
    ADD COLUMN reviewed_at   timestamptz,
    ADD CONSTRAINT reconciliation_discrepancies_review_complete
        CHECK ((review_status IS NULL) = (review_note IS NULL) AND (review_status IS NULL) = (reviewed_at IS NULL));

ALTER TABLE reconciliation_discrepancies DROP CONSTRAINT reconciliation_discrepancies_classification_check;
ALTER TABLE reconciliation_discrepancies ADD CONSTRAINT reconciliation_discrepancies_classification_check
    CHECK (classification IN (
        'price_differs', 'quantity_differs', 'billed_beyond_received', 'wrong_distributor', 'no_matching_order_or_receipt',
        'duplicate_line', 'already_invoiced', 'already_paid', 'outside_member_catalogue', 'two_invoice_chain', 'amount_mismatch',
        'behind_pace', 'over_commitment', 'rejected_batch_received',
        'shipped_total_differs', 'shipped_before_validity', 'shipped_after_expiry', 'over_approved_quantity',
        'registration_lapsed', 'no_valid_licence', 'receipt_short', 'receipt_over', 'received_before_shipped',
        'not_in_catalogue', 'level_not_allowed'));

-- Finance (财务): pays invoices, reads payables and reconciliations, reviews discrepancies.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('consortium_admin', 'institution_pharmacist', 'procurement_officer', 'prescriber', 'regulator',
                    'auditor', 'finance'));
