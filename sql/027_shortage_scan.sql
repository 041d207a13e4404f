-- Issue 22, the scan: the facts the shortage scan reads that the schema did not keep yet.
-- docs/features/shortages.md "The scan, records and reads".

-- The business date an order was submitted: a late delivery counts from it (shortage_delivery_deadline_days), not
-- from the day the draft was raised. Set by OrderStore.setStatus on submission; orders submitted before this
-- migration take the date of their submit's audit row (Asia/Shanghai), else their order date.
ALTER TABLE purchase_orders ADD COLUMN submitted_on date;
UPDATE purchase_orders o SET submitted_on = coalesce(
    (SELECT (max(a.occurred_at) AT TIME ZONE 'Asia/Shanghai')::date FROM audit_log a
     WHERE a.consortium_id = o.consortium_id AND a.entity_type = 'purchase_order' AND a.action = 'submit'
       AND a.entity_key = o.id::text),
    o.order_date)
WHERE o.status IN ('submitted', 'consolidated', 'partly_received', 'received', 'closed');
-- The open lines the scan reads: orders waiting for (the rest of) their delivery.
CREATE INDEX purchase_orders_awaiting ON purchase_orders (consortium_id, id)
    WHERE status IN ('submitted', 'consolidated', 'partly_received');

-- The drugs whose facts changed since the last scan: a movement (a dispensing, a delivery, a transfer, a count) marks
-- its consortium and drug; the server's shortage task rescans those and, once per business day, everything. A mark is
-- one row per consortium and drug whatever the number of movements (ON CONFLICT DO NOTHING takes no row lock on an
-- existing mark), so the dispensing path pays one index probe and never runs a scan.
CREATE TABLE shortage_scan_dirty (
    consortium_id bigint NOT NULL REFERENCES consortia (id),
    drug_code     text NOT NULL,
    marked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, drug_code)
);

CREATE FUNCTION stock_movements_mark_shortage_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shortage_scan_dirty (consortium_id, drug_code)
    SELECT DISTINCT n.consortium_id, n.drug_code FROM new_movements n
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stock_movements_shortage_dirty AFTER INSERT ON stock_movements
    REFERENCING NEW TABLE AS new_movements FOR EACH STATEMENT EXECUTE FUNCTION stock_movements_mark_shortage_dirty();
