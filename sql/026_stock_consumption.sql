-- Issue 21: days of stock (库存可用天数). Consumption per member, drug and business date, kept with the movements
-- by a trigger, so the average over the window (setting stock_consumption_window_days) reads at most a window's
-- rows per drug however long the history is. The shortage scan (issue 22) reads the same table.

-- What a reason does to consumption: a dispensing (发药, to a patient or a ward) adds to it, a patient's return
-- (退药) takes back; every other movement (receipts, transfers, counts, destruction) is not consumption.
-- `StockMovementReason.consumptionSign` says the same, and seeds/reference/stock_movement_reasons.csv mirrors it.
ALTER TABLE stock_movement_reasons ADD COLUMN consumption smallint NOT NULL DEFAULT 0
    CHECK (consumption IN (-1, 0, 1));
UPDATE stock_movement_reasons SET consumption = 1 WHERE code = 'dispensing';
UPDATE stock_movement_reasons SET consumption = -1 WHERE code = 'patient_return';

CREATE TABLE stock_daily_consumption (
    consortium_id  bigint NOT NULL,
    institution_id bigint NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    business_date  date NOT NULL,
    -- dispensed less returned, in the drug's unit; a day of more returns than issues is negative
    quantity       numeric(14, 4) NOT NULL,
    -- a member's window is one range of this key, whatever the history before it, read from the index alone
    PRIMARY KEY (consortium_id, institution_id, business_date, drug_code) INCLUDE (quantity),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);
-- A drug across the consortium over the window.
CREATE INDEX stock_daily_consumption_drug ON stock_daily_consumption (consortium_id, drug_code, business_date)
    INCLUDE (institution_id, quantity);

CREATE FUNCTION stock_movements_consume() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign smallint;
BEGIN
    SELECT r.consumption INTO sign FROM stock_movement_reasons r WHERE r.code = NEW.reason_code;
    IF sign <> 0 THEN
        INSERT INTO stock_daily_consumption (consortium_id, institution_id, drug_code, business_date, quantity)
        VALUES (NEW.consortium_id, NEW.institution_id, NEW.drug_code, NEW.business_date, sign * NEW.quantity)
        ON CONFLICT (consortium_id, institution_id, business_date, drug_code) DO UPDATE
            SET quantity = stock_daily_consumption.quantity + EXCLUDED.quantity;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stock_movements_consume AFTER INSERT ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_consume();

-- The history so far, once (the table is new, so nothing is counted twice).
INSERT INTO stock_daily_consumption (consortium_id, institution_id, drug_code, business_date, quantity)
SELECT m.consortium_id, m.institution_id, m.drug_code, m.business_date, sum(r.consumption * m.quantity)
FROM stock_movements m JOIN stock_movement_reasons r ON r.code = m.reason_code
WHERE r.consumption <> 0
GROUP BY m.consortium_id, m.institution_id, m.drug_code, m.business_date;
