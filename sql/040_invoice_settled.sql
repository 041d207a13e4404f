-- When an invoice was paid in full (issue 28). The payables a consortium acts on are the invoices not yet paid, a
-- few hundred among the many thousands of five years: the date the payments reached the invoice's total is kept on
-- the invoice, by the database as each payment is recorded, so that "what is still owed" is read through a partial
-- index instead of summing every invoice's lines and payments.
ALTER TABLE invoices ADD COLUMN settled_on date;

UPDATE invoices v SET settled_on = p.last
FROM (SELECT consortium_id, invoice_id, sum(amount) AS paid, max(paid_on) AS last FROM payments GROUP BY 1, 2) p
WHERE p.consortium_id = v.consortium_id AND p.invoice_id = v.id
  AND p.paid >= (SELECT sum(l.amount) FROM invoice_lines l WHERE l.consortium_id = v.consortium_id AND l.invoice_id = v.id);

CREATE INDEX invoices_outstanding ON invoices (consortium_id, id) WHERE settled_on IS NULL;

-- A payment that brings what was paid up to the invoice's total settles it on the payment's date.
CREATE FUNCTION invoices_settle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE invoices v SET settled_on = NEW.paid_on
    WHERE v.consortium_id = NEW.consortium_id AND v.id = NEW.invoice_id AND v.settled_on IS NULL
      AND (SELECT sum(amount) FROM payments WHERE consortium_id = NEW.consortium_id AND invoice_id = NEW.invoice_id)
          >= (SELECT coalesce(sum(amount), 0) FROM invoice_lines
              WHERE consortium_id = NEW.consortium_id AND invoice_id = NEW.invoice_id);
    RETURN NULL;
END $$;
CREATE TRIGGER payments_settle AFTER INSERT ON payments FOR EACH ROW EXECUTE FUNCTION invoices_settle();
