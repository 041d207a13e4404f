-- An invoice's total and the day its goods were accepted, kept on the invoice (issues 27 and 28). The payables read
-- both for every invoice not yet settled (the dashboard's ageing, the statements, what is owed), and summed them
-- from the invoice's lines and the deliveries those lines name, invoice by invoice. The database now keeps both as
-- lines and deliveries are written.

-- The sum of the invoice's line amounts.
ALTER TABLE invoices ADD COLUMN amount numeric(16, 2) NOT NULL DEFAULT 0;
-- 验收: the latest day goods were received on an order line the invoice names; none until something is.
ALTER TABLE invoices ADD COLUMN accepted_on date;

-- Both, from the lines and the deliveries: for this migration and for data written with the triggers off
-- (bench/scale/generate.sql).
CREATE FUNCTION invoice_facts_rebuild() RETURNS void LANGUAGE sql AS $$
    UPDATE invoices v SET amount = f.amount, accepted_on = f.accepted_on
    FROM (SELECT l.consortium_id, l.invoice_id, sum(l.amount) AS amount,
                 max((SELECT max(d.received_on) FROM deliveries d
                      WHERE d.consortium_id = l.consortium_id AND d.order_id = l.order_id
                        AND d.line_no = l.order_line_no)) AS accepted_on
          FROM invoice_lines l GROUP BY l.consortium_id, l.invoice_id) f
    WHERE f.consortium_id = v.consortium_id AND f.invoice_id = v.id;
$$;
SELECT invoice_facts_rebuild();

-- One invoice's facts again, from its lines and their deliveries: after a line or a delivery is changed or removed
-- (the service never does; a correction by hand, a test that moves a receipt back in time).
CREATE FUNCTION invoice_facts_refresh(consortium bigint, invoice bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE invoices v
    SET amount = coalesce((SELECT sum(l.amount) FROM invoice_lines l
                           WHERE l.consortium_id = v.consortium_id AND l.invoice_id = v.id), 0),
        accepted_on = (SELECT max(d.received_on) FROM invoice_lines l
                       JOIN deliveries d ON d.consortium_id = l.consortium_id AND d.order_id = l.order_id
                                        AND d.line_no = l.order_line_no
                       WHERE l.consortium_id = v.consortium_id AND l.invoice_id = v.id)
    WHERE v.consortium_id = consortium AND v.id = invoice;
$$;

-- A line written adds its amount and the latest receipt of its order line so far; a line changed or removed
-- refreshes its invoice.
CREATE FUNCTION invoice_lines_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE invoices v
        SET amount = v.amount + NEW.amount,
            accepted_on = greatest(v.accepted_on,
                                   (SELECT max(d.received_on) FROM deliveries d
                                    WHERE d.consortium_id = NEW.consortium_id AND d.order_id = NEW.order_id
                                      AND d.line_no = NEW.order_line_no))
        WHERE v.consortium_id = NEW.consortium_id AND v.id = NEW.invoice_id;
        RETURN NULL;
    END IF;
    PERFORM invoice_facts_refresh(OLD.consortium_id, OLD.invoice_id);
    IF TG_OP = 'UPDATE' AND (NEW.consortium_id, NEW.invoice_id) <> (OLD.consortium_id, OLD.invoice_id) THEN
        PERFORM invoice_facts_refresh(NEW.consortium_id, NEW.invoice_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invoice_lines_facts
    AFTER INSERT OR DELETE OR UPDATE OF consortium_id, invoice_id, order_id, order_line_no, amount ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION invoice_lines_facts();

-- A delivery received after its invoice moves the day the invoice was accepted; one changed or removed refreshes
-- the invoices of its order line.
CREATE FUNCTION deliveries_accept_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    invoice record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE invoices v SET accepted_on = NEW.received_on
        FROM invoice_lines x
        WHERE x.consortium_id = NEW.consortium_id AND x.order_id = NEW.order_id AND x.order_line_no = NEW.line_no
          AND v.consortium_id = x.consortium_id AND v.id = x.invoice_id
          AND (v.accepted_on IS NULL OR v.accepted_on < NEW.received_on);
        RETURN NULL;
    END IF;
    FOR invoice IN
        SELECT DISTINCT x.consortium_id, x.invoice_id FROM invoice_lines x
        WHERE (x.consortium_id = OLD.consortium_id AND x.order_id = OLD.order_id AND x.order_line_no = OLD.line_no)
           OR (TG_OP = 'UPDATE' AND x.consortium_id = NEW.consortium_id AND x.order_id = NEW.order_id
               AND x.order_line_no = NEW.line_no)
    LOOP
        PERFORM invoice_facts_refresh(invoice.consortium_id, invoice.invoice_id);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER deliveries_accept_invoices
    AFTER INSERT OR DELETE OR UPDATE OF consortium_id, order_id, line_no, received_on ON deliveries
    FOR EACH ROW EXECUTE FUNCTION deliveries_accept_invoices();
