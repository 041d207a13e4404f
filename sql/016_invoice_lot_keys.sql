-- Invoice lines name a lot as the distributor typed it (sql/011); like every stored lot (sql/013) it is compared
-- by its key, so `bs261115` on an invoice bills the lot received as `BS261115`.
ALTER TABLE invoice_lines ADD COLUMN lot_key text GENERATED ALWAYS AS (lot_key(lot_number)) STORED;

-- What was received of one lot on an order line: by the lot's key.
DROP INDEX deliveries_line_lot;
CREATE INDEX deliveries_line_lot_key ON deliveries (consortium_id, order_id, line_no, lot_key);
