-- Indexes the province's data asked for (issue 28, bench/scale at 100×: five years of a consortium's history).
-- The home page's to-do "invoices in discrepancy, not reviewed" counted through every invoice of the consortium and
-- its lines; the lines with a discrepancy are few, and this index finds them alone.
CREATE INDEX invoice_lines_discrepant ON invoice_lines (consortium_id, invoice_id) WHERE cardinality(discrepancies) > 0;
-- The dashboard's long prescriptions issued per month read a year of them by start date, not every one since the
-- consortium began.
CREATE INDEX long_prescriptions_start ON long_prescriptions (consortium_id, start_date, institution_id);
