-- Issue 21: opening balances and the ledger's opening movements from what was recorded before it.
--
-- 1. The reason `opening` (期初入库): an opening balance imported by `consortiumrx import stock` (StockOpeningRules).
--    Not a national 3502 code: the NHSA export reports the stock it opens through the 3501 count.
-- 2. `stock_movements.unit_cost`: the cost of one unit (in the drug's unit) when known: an opening balance's
--    optional unit cost, a delivery's order price. The NHSA 3502/3503 price columns read it.
-- 3. The deliveries received against orders and the preparation transfers shipped and received before the ledger
--    become movements, so the ledger starts consistent with them (the TODO at the end of sql/020). Idempotent: a
--    document already posted (by this migration or by the use cases that post new ones) is not posted again; the
--    trigger keeps stock_on_hand. One audit row per consortium says what was posted.

INSERT INTO stock_movement_reasons (code, direction, name_zh, name_en)
VALUES ('opening', 'in', '期初入库', 'opening balance')
ON CONFLICT (code) DO NOTHING;

ALTER TABLE stock_movements ADD COLUMN IF NOT EXISTS unit_cost numeric(14, 4) CHECK (unit_cost >= 0);

-- Deliveries: 108 at the ordering member on the day received, in the drug's unit (an order line counted in packages
-- is multiplied by the package size), at the order's price per unit. A lot keeps one expiry date per member: when
-- deliveries of one lot were recorded with different expiry dates, the first recorded one is kept (the trigger
-- refuses a lot held with two).
INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
                             quantity, unit_cost, document_type, document_id, actor_token_id, occurred_at, business_date)
SELECT d.consortium_id, o.institution_id, l.drug_code, d.lot_number,
       first_value(d.expiry_date) OVER (PARTITION BY d.consortium_id, o.institution_id, l.drug_code, lot_key(d.lot_number)
                                        ORDER BY d.received_on, d.id),
       '108', 'in',
       CASE l.quantity_unit WHEN 'package' THEN d.quantity * dr.package_size ELSE d.quantity END,
       round(CASE l.quantity_unit WHEN 'package' THEN l.unit_price / dr.package_size ELSE l.unit_price END, 4),
       'delivery', d.id, d.recorded_by, d.created_at, d.received_on
FROM deliveries d
JOIN purchase_order_lines l ON l.consortium_id = d.consortium_id AND l.order_id = d.order_id AND l.line_no = d.line_no
JOIN purchase_orders o ON o.consortium_id = d.consortium_id AND o.id = d.order_id
JOIN drugs dr ON dr.code = l.drug_code
WHERE NOT EXISTS (SELECT 1 FROM stock_movements m
                  WHERE m.consortium_id = d.consortium_id AND m.document_type = 'delivery' AND m.document_id = d.id)
ORDER BY d.received_on, d.id;

-- Preparation transfers (医疗机构制剂调剂), one document per shipment. The producer makes the preparation it ships
-- (no stock of it was recorded before), so its shipment posts 106 (其他入库, made) and 102 (调拨出库) on the day
-- shipped: its balance does not change. The receiver's receipt posts 101 (调拨入库) of what arrived.
INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
                             quantity, document_type, document_id, occurred_at, business_date)
SELECT s.consortium_id, a.supplier_institution_id, a.drug_code, s.lot_number, s.expiry_date, r.code, r.direction,
       s.quantity, 'preparation_transfer', s.id, s.created_at, s.shipped_on
FROM transfer_shipments s
JOIN transfer_approvals a ON a.consortium_id = s.consortium_id AND a.id = s.approval_id
CROSS JOIN (VALUES (1, '106', 'in'), (2, '102', 'out')) AS r (step, code, direction)
WHERE NOT EXISTS (SELECT 1 FROM stock_movements m
                  WHERE m.consortium_id = s.consortium_id AND m.document_type = 'preparation_transfer'
                    AND m.document_id = s.id AND m.reason_code = r.code)
ORDER BY s.shipped_on, s.id, r.step;

INSERT INTO stock_movements (consortium_id, institution_id, drug_code, lot_number, expiry_date, reason_code, direction,
                             quantity, document_type, document_id, occurred_at, business_date)
SELECT s.consortium_id, s.receiver_institution_id, a.drug_code, s.lot_number, s.expiry_date, '101', 'in',
       t.quantity_received, 'preparation_transfer', s.id, t.created_at, t.received_on
FROM transfer_receipts t
JOIN transfer_shipments s ON s.consortium_id = t.consortium_id AND s.id = t.shipment_id
JOIN transfer_approvals a ON a.consortium_id = s.consortium_id AND a.id = s.approval_id
WHERE t.quantity_received > 0
  AND NOT EXISTS (SELECT 1 FROM stock_movements m
                  WHERE m.consortium_id = s.consortium_id AND m.document_type = 'preparation_transfer'
                    AND m.document_id = s.id AND m.reason_code = '101')
ORDER BY t.received_on, t.id;

-- The audit row: per consortium with migrated movements, once.
INSERT INTO audit_log (consortium_id, actor, action, entity_type, entity_key, after)
SELECT m.consortium_id, 'migration 024', 'migrate', 'stock_movements', 'opening-from-history',
       jsonb_build_object(
           'deliveries', count(*) FILTER (WHERE m.document_type = 'delivery'),
           'preparationTransferMovements', count(*) FILTER (WHERE m.document_type = 'preparation_transfer'))
FROM stock_movements m
WHERE m.document_type IN ('delivery', 'preparation_transfer')
  AND NOT EXISTS (SELECT 1 FROM audit_log a
                  WHERE a.consortium_id = m.consortium_id AND a.entity_type = 'stock_movements'
                    AND a.entity_key = 'opening-from-history')
GROUP BY m.consortium_id;
