-- Figures the dashboards read, kept as the facts are written (issues 27 and 28). On a province's five years of
-- history a dashboard summed a year of a consortium's order lines for the essential-medicine share, and looked up a
-- unit cost in the ledger for every lot near expiry; both are now kept by the database beside the facts.

-- What each member received of each drug in a calendar year of order dates (received quantity × unified price, the
-- spend report's amount), and on how many order lines. Orders are dated the day they are placed, so a year's row is
-- also that year to date. Kept by a trigger on the order lines; never written by the service.
CREATE TABLE receipts_by_year (
    consortium_id  bigint NOT NULL,
    year           smallint NOT NULL,
    institution_id bigint NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    amount         numeric NOT NULL,
    lines          integer NOT NULL CHECK (lines >= 0),
    PRIMARY KEY (consortium_id, year, institution_id, drug_code),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- An order line's part in receipts_by_year, under its order's year and member: its old part taken away, its new
-- one added (`sign`). A line received in part is counted once (`lines` counts lines with anything received). Two
-- receipts of the same member and drug wait for each other on the row, as they do on a lot's stock on hand.
CREATE FUNCTION receipts_by_year_add(consortium bigint, order_year smallint, member bigint, drug text, delta numeric,
                                     sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The update first, as the ledger's trigger does: INSERT … ON CONFLICT checks the proposed row (a part taken
    -- away proposes `lines` = -1) before it looks for the conflict.
    UPDATE receipts_by_year r SET amount = r.amount + delta, lines = r.lines + sign
    WHERE r.consortium_id = consortium AND r.year = order_year AND r.institution_id = member AND r.drug_code = drug;
    IF NOT FOUND THEN
        INSERT INTO receipts_by_year AS r (consortium_id, year, institution_id, drug_code, amount, lines)
        VALUES (consortium, order_year, member, drug, delta, sign)
        ON CONFLICT (consortium_id, year, institution_id, drug_code) DO UPDATE
            SET amount = r.amount + EXCLUDED.amount, lines = r.lines + EXCLUDED.lines;
    END IF;
END $$;
CREATE FUNCTION purchase_order_lines_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
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
CREATE TRIGGER purchase_order_lines_receipts
    AFTER INSERT OR DELETE OR UPDATE OF received_quantity, unit_price, drug_code ON purchase_order_lines
    FOR EACH ROW EXECUTE FUNCTION purchase_order_lines_receipts();

-- An order moved to another year or member (the service never does; a correction by hand, a test that dates an
-- order back) moves its received lines' parts with it.
CREATE FUNCTION purchase_orders_move_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
BEGIN
    FOR line IN
        SELECT drug_code, received_quantity * unit_price AS amount FROM purchase_order_lines
        WHERE consortium_id = OLD.consortium_id AND order_id = OLD.id AND received_quantity > 0
    LOOP
        PERFORM receipts_by_year_add(OLD.consortium_id, extract(year FROM OLD.order_date)::smallint,
                                     OLD.institution_id, line.drug_code, -line.amount, -1);
        PERFORM receipts_by_year_add(NEW.consortium_id, extract(year FROM NEW.order_date)::smallint,
                                     NEW.institution_id, line.drug_code, line.amount, 1);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER purchase_orders_move_receipts AFTER UPDATE OF order_date, institution_id ON purchase_orders
    FOR EACH ROW
    WHEN (extract(year FROM OLD.order_date) <> extract(year FROM NEW.order_date)
          OR OLD.institution_id <> NEW.institution_id)
    EXECUTE FUNCTION purchase_orders_move_receipts();

-- receipts_by_year from the order lines, for this migration and for data written with the triggers off
-- (bench/scale/generate.sql).
CREATE FUNCTION receipts_by_year_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE receipts_by_year;
    INSERT INTO receipts_by_year (consortium_id, year, institution_id, drug_code, amount, lines)
    SELECT l.consortium_id, extract(year FROM o.order_date)::smallint, o.institution_id, l.drug_code,
           sum(l.received_quantity * l.unit_price), count(*)
    FROM purchase_order_lines l JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id
    WHERE l.received_quantity > 0
    GROUP BY 1, 2, 3, 4;
$$;
SELECT receipts_by_year_rebuild();

-- The unit cost of a lot where it is held, which the near-expiry value reads from the holding instead of the ledger:
-- the one the latest movement with a cost carried (a receipt's, an opening balance's); a holding that begins with a
-- movement without one (a move between the member's locations) takes the member's latest cost of the lot.
ALTER TABLE stock_on_hand ADD COLUMN unit_cost numeric(14, 4);
UPDATE stock_on_hand s SET unit_cost = m.unit_cost
FROM (SELECT DISTINCT ON (consortium_id, institution_id, drug_code, lot_key)
             consortium_id, institution_id, drug_code, lot_key, unit_cost
      FROM stock_movements WHERE unit_cost IS NOT NULL
      ORDER BY consortium_id, institution_id, drug_code, lot_key, id DESC) m
WHERE m.consortium_id = s.consortium_id AND m.institution_id = s.institution_id AND m.drug_code = s.drug_code
  AND m.lot_key = s.lot_key;

-- The ledger's trigger (020_stock.sql) as it was, and the holding's unit cost kept.
CREATE OR REPLACE FUNCTION stock_movements_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held_expiry date;
    signed numeric := CASE NEW.direction WHEN 'in' THEN NEW.quantity ELSE -NEW.quantity END;
BEGIN
    IF NEW.direction = 'out' AND NEW.reason_code NOT IN ('104', '105', '109') THEN
        IF NEW.expiry_date <= NEW.business_date THEN
            RAISE EXCEPTION 'lot % of % expired on % and is quarantined', NEW.lot_number, NEW.drug_code, NEW.expiry_date
                USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_quarantine';
        END IF;
        IF EXISTS (SELECT 1 FROM lot_blocks b
                   WHERE b.consortium_id = NEW.consortium_id AND b.drug_code = NEW.drug_code
                     AND b.lot_key = NEW.lot_key AND b.released_at IS NULL) THEN
            RAISE EXCEPTION 'lot % of % is blocked', NEW.lot_number, NEW.drug_code
                USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_quarantine';
        END IF;
    END IF;
    -- The update first: INSERT … ON CONFLICT checks the proposed row's CHECK before it looks for the conflict, so an
    -- out-movement must never be proposed as a new row. Only a lot's first movement at a place inserts its row, and an
    -- out-movement there fails the CHECK (nothing to take).
    IF NEW.location_id IS NULL THEN
        UPDATE stock_on_hand SET quantity = quantity + signed, last_movement_id = NEW.id, updated_at = clock_timestamp(),
            unit_cost = coalesce(NEW.unit_cost, unit_cost)
        WHERE consortium_id = NEW.consortium_id AND institution_id = NEW.institution_id AND location_id IS NULL
          AND drug_code = NEW.drug_code AND lot_key = NEW.lot_key
        RETURNING expiry_date INTO held_expiry;
    ELSE
        UPDATE stock_on_hand SET quantity = quantity + signed, last_movement_id = NEW.id, updated_at = clock_timestamp(),
            unit_cost = coalesce(NEW.unit_cost, unit_cost)
        WHERE consortium_id = NEW.consortium_id AND institution_id = NEW.institution_id AND location_id = NEW.location_id
          AND drug_code = NEW.drug_code AND lot_key = NEW.lot_key
        RETURNING expiry_date INTO held_expiry;
    END IF;
    IF NOT FOUND THEN
        -- Two first receipts of a lot racing: the second takes the conflict branch and adds to the first's row.
        INSERT INTO stock_on_hand (consortium_id, institution_id, location_id, drug_code, lot_key, lot_number,
                                   expiry_date, quantity, last_movement_id, unit_cost)
        VALUES (NEW.consortium_id, NEW.institution_id, NEW.location_id, NEW.drug_code, NEW.lot_key, NEW.lot_number,
                NEW.expiry_date, signed, NEW.id,
                coalesce(NEW.unit_cost,
                         (SELECT m.unit_cost FROM stock_movements m
                          WHERE m.consortium_id = NEW.consortium_id AND m.institution_id = NEW.institution_id
                            AND m.drug_code = NEW.drug_code AND m.lot_key = NEW.lot_key AND m.unit_cost IS NOT NULL
                          ORDER BY m.id DESC LIMIT 1)))
        ON CONFLICT ON CONSTRAINT stock_on_hand_lot DO UPDATE
            SET quantity = stock_on_hand.quantity + EXCLUDED.quantity,
                last_movement_id = EXCLUDED.last_movement_id,
                updated_at = clock_timestamp(),
                unit_cost = coalesce(EXCLUDED.unit_cost, stock_on_hand.unit_cost)
        RETURNING expiry_date INTO held_expiry;
    END IF;
    IF held_expiry <> NEW.expiry_date THEN
        RAISE EXCEPTION 'lot % of % is held with the expiry date %, not %', NEW.lot_number, NEW.drug_code,
            held_expiry, NEW.expiry_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_movements_expiry';
    END IF;
    RETURN NULL;
END;
$$;
