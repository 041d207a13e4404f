-- The invoice file of bench/reconcile.sh: one line per bench delivery, most of them matching; per 100 lines one of
-- each discrepancy class (price, quantity, no receipt, duplicate, outside the catalogue, two-invoice chain, amount).
-- Run with \copy (…) TO file WITH (FORMAT csv, HEADER).
SELECT 'DST-SINOPHARM-JL' AS distributor_code,
       'INV-' || CASE WHEN k % 100 = 4 THEN prev_order || '-' || prev_line ELSE d.order_id || '-' || d.line_no END AS invoice_number,
       to_char(current_date - 10, 'YYYY-MM-DD') AS invoice_date,
       CASE WHEN k % 100 = 6 THEN NULL ELSE 'MI-' || d.order_id END AS manufacturer_invoice_number,
       'MFR-001' AS manufacturer_code,
       i.code AS institution_code,
       CASE WHEN k % 100 = 4 THEN prev_drug WHEN k % 100 = 5 THEN :'outside_drug' ELSE pol.drug_code END AS drug_code,
       CASE WHEN k % 100 = 3 THEN 'NOLOT-' || k WHEN k % 100 = 4 THEN prev_lot ELSE d.lot_number END AS lot_number,
       CASE WHEN k % 100 = 2 THEN 9 ELSE 10 END AS quantity,
       to_char(pol.unit_price + CASE WHEN k % 100 = 1 THEN 1 ELSE 0 END, 'FM9999999990.0000') AS unit_price,
       to_char(round((pol.unit_price + CASE WHEN k % 100 = 1 THEN 1 ELSE 0 END) * CASE WHEN k % 100 = 2 THEN 9 ELSE 10 END, 2)
               + CASE WHEN k % 100 = 7 THEN 0.01 ELSE 0 END, 'FM999999999990.00') AS amount
FROM (
    SELECT d.*, row_number() OVER (ORDER BY d.order_id, d.line_no) - 1 AS k,
           -- a duplicate repeats the matched line four lines up
           lag(d.order_id, 4) OVER (ORDER BY d.order_id, d.line_no) AS prev_order,
           lag(d.line_no, 4) OVER (ORDER BY d.order_id, d.line_no) AS prev_line,
           lag(d.lot_number, 4) OVER (ORDER BY d.order_id, d.line_no) AS prev_lot
    FROM deliveries d
    JOIN purchase_orders po ON po.consortium_id = d.consortium_id AND po.id = d.order_id
    JOIN institutions i ON i.consortium_id = po.consortium_id AND i.id = po.institution_id AND i.code LIKE 'BENCH-%'
) d
JOIN purchase_order_lines pol ON pol.consortium_id = d.consortium_id AND pol.order_id = d.order_id AND pol.line_no = d.line_no
JOIN purchase_orders po ON po.consortium_id = d.consortium_id AND po.id = d.order_id
JOIN institutions i ON i.consortium_id = po.consortium_id AND i.id = po.institution_id
LEFT JOIN LATERAL (
    SELECT p.drug_code AS prev_drug FROM purchase_order_lines p
    WHERE p.consortium_id = d.consortium_id AND p.order_id = d.prev_order AND p.line_no = d.prev_line
) prev ON true
WHERE d.k < :lines
ORDER BY d.k
