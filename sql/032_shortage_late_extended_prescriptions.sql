-- Issue 23: an extended prescription not delivered by its deadline feeds the shortage signals (延伸处方配送超时),
-- as an order line's late delivery does. The signal names the prescription and the collecting member whose patient
-- waits; its days late count whole business days after the deadline's date (`ShortageRules.signals`).
ALTER TABLE shortage_signals
    ADD COLUMN extended_prescription_id bigint,
    ADD FOREIGN KEY (consortium_id, extended_prescription_id) REFERENCES extended_prescriptions (consortium_id, id),
    DROP CONSTRAINT shortage_signals_kind_check,
    ADD CONSTRAINT shortage_signals_kind_check
        CHECK (kind IN ('stock_out', 'low_stock', 'late_delivery', 'late_extended_prescription', 'supplier_report')),
    ADD CONSTRAINT shortage_signals_late_extended_prescription
        CHECK ((kind = 'late_extended_prescription') = (extended_prescription_id IS NOT NULL)),
    ADD CONSTRAINT shortage_signals_late_extended_prescription_shown
        CHECK (kind <> 'late_extended_prescription' OR (institution_id IS NOT NULL AND days_late IS NOT NULL));

DROP INDEX shortage_signals_holding;
CREATE UNIQUE INDEX shortage_signals_holding ON shortage_signals
    (consortium_id, shortage_id, kind, coalesce(institution_id, 0), coalesce(order_id, 0), coalesce(line_no, 0),
     coalesce(supplier_report_id, 0), coalesce(extended_prescription_id, 0))
    WHERE cleared_on IS NULL;
