-- Issue 21: a movement's update of stock on hand is a heap-only (HOT) update, so a dispensing writes no index entry
-- for the lot it takes from. PostgreSQL updates a row in place of its index entries only when no indexed column
-- changes, and a column named in a partial index's predicate counts as indexed: the lots-with-stock indexes said
-- `WHERE quantity > 0`, so every movement wrote a new entry in each of the table's five indexes. They now say
-- `WHERE in_stock`, a column PostgreSQL keeps equal to `quantity > 0`; it changes only when a lot runs out or is
-- received again, and a lot's quantity alone changes no index. Queries for lots with stock say `h.in_stock`, so the
-- planner can use these indexes. Room on each page for the updated rows (fillfactor) keeps the updates on their page.
ALTER TABLE stock_on_hand SET (fillfactor = 80);
-- Adding a stored column rewrites the table, leaving the room on every page.
ALTER TABLE stock_on_hand ADD COLUMN in_stock boolean GENERATED ALWAYS AS (quantity > 0) STORED;

DROP INDEX stock_on_hand_drug, stock_on_hand_expiry, stock_on_hand_member_page;
-- A drug across the consortium (and its lots with stock, for FEFO and near expiry).
CREATE INDEX stock_on_hand_drug ON stock_on_hand (consortium_id, drug_code, institution_id) WHERE in_stock;
CREATE INDEX stock_on_hand_expiry ON stock_on_hand (consortium_id, expiry_date) WHERE in_stock;
-- A member's lots with stock in id order, a page at a time (030_stock_member_page.sql).
CREATE INDEX stock_on_hand_member_page ON stock_on_hand (consortium_id, institution_id, id) WHERE in_stock;
