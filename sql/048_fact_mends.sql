-- Two mends of the facts kept by triggers (migrations 040, 042, 043).

-- An invoice is paid in full when its payments reach its total, which migration 043 keeps on the invoice: the
-- total is no longer summed from the lines here as well.
CREATE OR REPLACE FUNCTION invoices_settle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE invoices v SET settled_on = NEW.paid_on
    WHERE v.consortium_id = NEW.consortium_id AND v.id = NEW.invoice_id AND v.settled_on IS NULL
      AND (SELECT sum(amount) FROM payments WHERE consortium_id = NEW.consortium_id AND invoice_id = NEW.invoice_id)
          >= v.amount;
    RETURN NULL;
END $$;

-- A receipt that adds to a line already received in part changes its receipts_by_year row once, by the difference
-- (it took the old part away and added the new one: two updates of the same row).
CREATE OR REPLACE FUNCTION purchase_order_lines_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.received_quantity > 0 AND NEW.received_quantity > 0
       AND (NEW.consortium_id, NEW.order_id, NEW.drug_code) = (OLD.consortium_id, OLD.order_id, OLD.drug_code) THEN
        SELECT extract(year FROM order_date)::smallint AS year, institution_id INTO o FROM purchase_orders
        WHERE consortium_id = NEW.consortium_id AND id = NEW.order_id;
        PERFORM receipts_by_year_add(NEW.consortium_id, o.year, o.institution_id, NEW.drug_code,
                                     NEW.received_quantity * NEW.unit_price - OLD.received_quantity * OLD.unit_price, 0);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.received_quantity > 0 THEN
        SELECT extract(year FROM order_date)::smallint AS year, institution_id INTO o FROM purchase_orders
        WHERE consortium_id = OLD.consortium_id AND id = OLD.order_id;
        PERFORM receipts_by_year_add(OLD.consortium_id, o.year, o.institution_id, OLD.drug_code,
                                     -(OLD.received_quantity * OLD.unit_price), -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.received_quantity > 0 THEN
        SELECT extract(year FROM order_date)::smallint AS year, institution_id INTO o FROM purchase_orders
        WHERE consortium_id = NEW.consortium_id AND id = NEW.order_id;
        PERFORM receipts_by_year_add(NEW.consortium_id, o.year, o.institution_id, NEW.drug_code,
                                     NEW.received_quantity * NEW.unit_price, 1);
    END IF;
    RETURN NULL;
END $$;
