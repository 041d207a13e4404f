-- Issue 21: a member's stock is listed by row id, a page at a time. The primary key orders a consortium's lots by id
-- but not by member, so a member's page walked past every other member's lots; this key holds one member's lots
-- with stock in id order, so a page reads only its own rows whatever the rest of the consortium holds.
CREATE INDEX stock_on_hand_member_page ON stock_on_hand (consortium_id, institution_id, id) WHERE quantity > 0;
