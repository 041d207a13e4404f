-- Issue 22, the response (actions): an emergency purchase (应急采购) is a purchase order raised for a shortage outside
-- the usual distributor. The order carries the shortage it answers and the supplier it goes to, so the procurement
-- reads and the invoice reconciliation show it flagged. `ShortageActionUseCases`; docs/features/shortages.md.
ALTER TABLE purchase_orders
    ADD COLUMN emergency_shortage_id bigint,
    ADD COLUMN emergency_supplier_id bigint REFERENCES suppliers (id);

-- the shortage is of the order's own consortium; flagged with both or neither
ALTER TABLE purchase_orders
    ADD CONSTRAINT purchase_orders_emergency_shortage
    FOREIGN KEY (consortium_id, emergency_shortage_id) REFERENCES shortages (consortium_id, id);

ALTER TABLE purchase_orders
    ADD CONSTRAINT purchase_orders_emergency_both
    CHECK ((emergency_shortage_id IS NULL) = (emergency_supplier_id IS NULL));

CREATE INDEX purchase_orders_emergency ON purchase_orders (consortium_id, emergency_shortage_id)
    WHERE emergency_shortage_id IS NOT NULL;

-- A rejected redistribution proposal says why (`ShortageActionUseCases.reject`).
ALTER TABLE shortage_proposals ADD COLUMN reject_reason text CHECK (length(btrim(reject_reason)) BETWEEN 1 AND 1000);
ALTER TABLE shortage_proposals
    ADD CONSTRAINT shortage_proposals_rejected_says_why CHECK ((status = 'rejected') = (reject_reason IS NOT NULL));
