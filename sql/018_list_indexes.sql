-- Indexes for the lists of issue 19 (points 7 and 12), only where a page would otherwise scan.

-- Every member's orders in one state, oldest first (the supply centre's orders list, `?status=`; consolidation reads
-- the submitted ones the same way). It has the old (consortium_id, status) index as its prefix, which it replaces.
CREATE INDEX purchase_orders_status_id ON purchase_orders (consortium_id, status, id);
DROP INDEX purchase_orders_status;

-- One institution's prescribers by pseudonym (a member's token always reads only its own).
CREATE INDEX prescribers_institution ON prescribers (consortium_id, institution_id, pseudonym);

-- Suppliers by a substring of the name, in any case (`GET /v1/suppliers?name=`), as drugs are by theirs.
CREATE INDEX suppliers_name_trgm ON suppliers USING gin (lower(name) gin_trgm_ops);
