-- Reconciliation reports of records against records, without a file (consortiumrx reconcile herbs, transfers,
-- catalogues): herb commitments against purchases and inspections, transfer approvals against shipments and
-- receipts, members' lists against the consortium catalogue in effect.
--
-- Such a run is a snapshot of the records on its as-of date: running it again is a new run. So "a file is
-- reconciled once" (one run per checksum) now holds for invoice files only. For a report, input_checksum is the
-- SHA-256 of its parameters (kind, subject, as-of) and file_name names what was reconciled ("round 3").

ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_kind_check;

ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_kind_check
    CHECK (kind IN ('invoices', 'herbs', 'transfers', 'catalogues'));

ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_consortium_id_kind_input_checksum_key;

CREATE UNIQUE INDEX reconciliation_runs_invoice_file_once ON reconciliation_runs (consortium_id, kind, input_checksum)
    WHERE kind = 'invoices';

ALTER TABLE reconciliation_discrepancies DROP CONSTRAINT reconciliation_discrepancies_classification_check;

-- line_number: for a report, the entry's row in it. The classifications of each kind of run:
-- invoices:   price_differs … amount_mismatch
-- herbs:      behind_pace, over_commitment, rejected_batch_received
-- transfers:  shipped_total_differs, shipped_before_validity, shipped_after_expiry, over_approved_quantity,
--             registration_lapsed, no_valid_licence, receipt_short, receipt_over, received_before_shipped
-- catalogues: not_in_catalogue, level_not_allowed
ALTER TABLE reconciliation_discrepancies ADD CONSTRAINT reconciliation_discrepancies_classification_check
    CHECK (classification IN (
        'price_differs', 'quantity_differs', 'no_matching_order_or_receipt', 'duplicate_line',
        'outside_member_catalogue', 'two_invoice_chain', 'amount_mismatch',
        'behind_pace', 'over_commitment', 'rejected_batch_received',
        'shipped_total_differs', 'shipped_before_validity', 'shipped_after_expiry', 'over_approved_quantity',
        'registration_lapsed', 'no_valid_licence', 'receipt_short', 'receipt_over', 'received_before_shipped',
        'not_in_catalogue', 'level_not_allowed'));
