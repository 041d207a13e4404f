-- What each member received of each drug in a calendar month of order dates, kept beside receipts_by_year (issue
-- 28). The spend report (per member, drug and month) summed every received order line of its period: a year of a
-- consortium at 100× is 16,650 lines for 5,400 rows of answer. Its whole months are now read from these rows; only
-- a month the period cuts (a month to date, a period from the 15th) is summed from the lines, by the new index.
CREATE TABLE receipts_by_month (
    consortium_id  bigint NOT NULL,
    month          date NOT NULL CHECK (extract(day FROM month) = 1),
    institution_id bigint NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    amount         numeric NOT NULL,
    lines          integer NOT NULL CHECK (lines >= 0),
    PRIMARY KEY (consortium_id, month, institution_id, drug_code),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- A consortium's orders by date: the cut months of a spend report.
CREATE INDEX purchase_orders_order_date ON purchase_orders (consortium_id, order_date);

-- receipts_by_year_add's twin (042_dashboard_facts.sql), by month.
CREATE FUNCTION receipts_by_month_add(consortium bigint, order_month date, member bigint, drug text, delta numeric,
                                      sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE receipts_by_month r SET amount = r.amount + delta, lines = r.lines + sign
    WHERE r.consortium_id = consortium AND r.month = order_month AND r.institution_id = member AND r.drug_code = drug;
    IF NOT FOUND THEN
        INSERT INTO receipts_by_month AS r (consortium_id, month, institution_id, drug_code, amount, lines)
        VALUES (consortium, order_month, member, drug, delta, sign)
        ON CONFLICT (consortium_id, month, institution_id, drug_code) DO UPDATE
            SET amount = r.amount + EXCLUDED.amount, lines = r.lines + EXCLUDED.lines;
    END IF;
END $$;

-- An order line's part under its order's date and member, in both tables.
CREATE FUNCTION receipts_add(consortium bigint, order_date date, member bigint, drug text, delta numeric,
                             sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM receipts_by_year_add(consortium, extract(year FROM order_date)::smallint, member, drug, delta, sign);
    PERFORM receipts_by_month_add(consortium, date_trunc('month', order_date)::date, member, drug, delta, sign);
END $$;

-- The order lines' trigger (048_fact_mends.sql) keeping both tables.
CREATE OR REPLACE FUNCTION purchase_order_lines_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.received_quantity > 0 AND NEW.received_quantity > 0
       AND (NEW.consortium_id, NEW.order_id, NEW.drug_code) = (OLD.consortium_id, OLD.order_id, OLD.drug_code) THEN
        SELECT order_date, institution_id INTO o FROM purchase_orders
        WHERE consortium_id = NEW.consortium_id AND id = NEW.order_id;
        PERFORM receipts_add(NEW.consortium_id, o.order_date, o.institution_id, NEW.drug_code,
                             NEW.received_quantity * NEW.unit_price - OLD.received_quantity * OLD.unit_price, 0);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.received_quantity > 0 THEN
        SELECT order_date, institution_id INTO o FROM purchase_orders
        WHERE consortium_id = OLD.consortium_id AND id = OLD.order_id;
        PERFORM receipts_add(OLD.consortium_id, o.order_date, o.institution_id, OLD.drug_code,
                             -(OLD.received_quantity * OLD.unit_price), -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.received_quantity > 0 THEN
        SELECT order_date, institution_id INTO o FROM purchase_orders
        WHERE consortium_id = NEW.consortium_id AND id = NEW.order_id;
        PERFORM receipts_add(NEW.consortium_id, o.order_date, o.institution_id, NEW.drug_code,
                             NEW.received_quantity * NEW.unit_price, 1);
    END IF;
    RETURN NULL;
END $$;

-- An order moved to another month or member moves its received lines' parts in both tables (a move within a
-- year takes the year's part away and gives it back).
CREATE OR REPLACE FUNCTION purchase_orders_move_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
BEGIN
    FOR line IN
        SELECT drug_code, received_quantity * unit_price AS amount FROM purchase_order_lines
        WHERE consortium_id = OLD.consortium_id AND order_id = OLD.id AND received_quantity > 0
    LOOP
        PERFORM receipts_add(OLD.consortium_id, OLD.order_date, OLD.institution_id, line.drug_code, -line.amount, -1);
        PERFORM receipts_add(NEW.consortium_id, NEW.order_date, NEW.institution_id, line.drug_code, line.amount, 1);
    END LOOP;
    RETURN NULL;
END $$;
DROP TRIGGER purchase_orders_move_receipts ON purchase_orders;
CREATE TRIGGER purchase_orders_move_receipts AFTER UPDATE OF order_date, institution_id ON purchase_orders
    FOR EACH ROW
    WHEN (date_trunc('month', OLD.order_date) <> date_trunc('month', NEW.order_date)
          OR OLD.institution_id <> NEW.institution_id)
    EXECUTE FUNCTION purchase_orders_move_receipts();

-- receipts_by_month from the order lines, for this migration and for data written with the triggers off
-- (bench/scale/generate.sql).
CREATE FUNCTION receipts_by_month_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE receipts_by_month;
    INSERT INTO receipts_by_month (consortium_id, month, institution_id, drug_code, amount, lines)
    SELECT l.consortium_id, date_trunc('month', o.order_date)::date, o.institution_id, l.drug_code,
           sum(l.received_quantity * l.unit_price), count(*)
    FROM purchase_order_lines l JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
    WHERE l.received_quantity > 0
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4;  -- a consortium's month together on disk, as the report reads it
$$;
SELECT receipts_by_month_rebuild();
ANALYZE receipts_by_month;
