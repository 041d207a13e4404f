-- Issue 21: the stock documents' use (transfers between members and counts, `StockTransferUseCases`,
-- `StockCountUseCases`). sql/020_stock.sql holds their tables; this adds what their use needs.

-- A transfer line may name the lot to send (else FEFO picks the sender's lots at dispatch).
ALTER TABLE stock_transfer_lines ADD COLUMN lot_number text CHECK (length(lot_number) BETWEEN 1 AND 50);

-- A document posts its movements once: a transfer one out (102) and one in (101) per lot and line, a count one
-- difference (103 or 104) per lot. A second dispatch, receipt or approval racing the first hits these.
CREATE UNIQUE INDEX stock_movements_transfer_once ON stock_movements
    (consortium_id, document_id, institution_id, reason_code, drug_code, lot_key)
    WHERE document_type = 'stock_transfer';

CREATE UNIQUE INDEX stock_movements_count_once ON stock_movements (consortium_id, document_id, drug_code, lot_key)
    WHERE document_type = 'count';
