-- Keys that lead with the consortium (issue 28, "past one primary"): a table distributed by consortium can only keep
-- a unique key that holds the distribution column. Two keys did not and need not: a decoction-piece round's id alone
-- (its primary key is already the consortium and the id) and a member's location codes (a member belongs to one
-- consortium). The tables whose keys still lack it are listed, each with its reason, in ConsortiumKeyTests.
ALTER TABLE herb_rounds DROP CONSTRAINT herb_rounds_id_key;
ALTER TABLE stock_locations ADD CONSTRAINT stock_locations_code UNIQUE (consortium_id, institution_id, code);
ALTER TABLE stock_locations DROP CONSTRAINT stock_locations_institution_id_code_key;
