-- Issue 24: invoice files reconciled through the drug code crosswalk (药品编码对照). A file's drug column may hold
-- any code type (`reconcile invoices --code-type`); a line whose code the crosswalk does not map on its invoice
-- date is classified `unmapped_code` instead of failing the file.
--
-- A file was reconciled once (one run per checksum). Once its unknown codes are mapped, reconciling it again must
-- match them: the run is now one per file, code type and crosswalk_key, the translations the crosswalk gave the
-- file's codes (a digest; '' when every code was a drug's own code read as itself, as every run before this was).
-- The same file through an unchanged crosswalk still finds its earlier run.
ALTER TABLE reconciliation_runs
    ADD COLUMN code_type text NOT NULL DEFAULT 'auto'
        CHECK (code_type IN ('auto', 'insurance', 'standard', 'approval', 'traceability_prefix', 'platform', 'in_house')),
    ADD COLUMN crosswalk_key text NOT NULL DEFAULT '' CHECK (crosswalk_key ~ '^([0-9a-f]{64})?$');

DROP INDEX reconciliation_runs_invoice_file_once;

CREATE UNIQUE INDEX reconciliation_runs_invoice_file_once
    ON reconciliation_runs (consortium_id, kind, input_checksum, code_type, crosswalk_key)
    WHERE kind = 'invoices';

ALTER TABLE reconciliation_discrepancies DROP CONSTRAINT reconciliation_discrepancies_classification_check;

ALTER TABLE reconciliation_discrepancies ADD CONSTRAINT reconciliation_discrepancies_classification_check
    CHECK (classification IN (
        'price_differs', 'quantity_differs', 'billed_beyond_received', 'wrong_distributor', 'no_matching_order_or_receipt',
        'duplicate_line', 'already_invoiced', 'already_paid', 'unmapped_code', 'outside_member_catalogue',
        'two_invoice_chain', 'amount_mismatch',
        'behind_pace', 'over_commitment', 'rejected_batch_received',
        'shipped_total_differs', 'shipped_before_validity', 'shipped_after_expiry', 'over_approved_quantity',
        'registration_lapsed', 'no_valid_licence', 'receipt_short', 'receipt_over', 'received_before_shipped',
        'not_in_catalogue', 'level_not_allowed'));

-- `consortiumrx crosswalk unmapped --run ID` reads a run's unmapped lines.
CREATE INDEX reconciliation_discrepancies_unmapped ON reconciliation_discrepancies (consortium_id, run_id, line_number)
    WHERE classification = 'unmapped_code';
