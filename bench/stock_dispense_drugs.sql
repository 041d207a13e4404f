-- The drugs a bench may dispense at member :'member', as "drug,location" lines (an empty location is the member's
-- stock outside locations): lots with at least 20 units, none within 200 days of expiry, none blocked.
-- Used by bench/stock.sh and bench/dispense_ab.sh (psql -qAt -F, -v member=CODE -f bench/stock_dispense_drugs.sql).
SELECT s.drug_code, coalesce(l.code, '')
FROM stock_on_hand s
JOIN institutions i ON i.id = s.institution_id
LEFT JOIN stock_locations l ON l.id = s.location_id
WHERE i.code = :'member' AND s.quantity >= 20
GROUP BY s.drug_code, l.code
HAVING min(s.expiry_date) > current_date + 200
   AND NOT bool_or(EXISTS (SELECT 1 FROM lot_blocks b WHERE b.drug_code = s.drug_code AND b.lot_key = s.lot_key
                           AND b.released_at IS NULL))
ORDER BY 1, 2;
