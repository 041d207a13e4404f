-- A stamp of each member's orders, drawn afresh by every statement that writes its orders or their lines (issue 28).
-- A member's orders page is what its HIS polls: a server keeps the page it wrote and serves it again while the
-- member's stamp, read with the member on every request, is the one it was written at (ADR 0016).
--
-- A stamp is a random number, not a count: a database restored to an earlier state, or a standby promoted without a
-- write the old primary had shown, then never hands a server a number it has already seen for other orders. A member
-- whose orders were never written by a statement here (none yet, or loaded with triggers off, as bench/scale does)
-- has no row; readers take its stamp as 0.
--
-- Drawn in the writer's transaction, after its statement: a reader never sees the stamp move before the orders'
-- change is committed. Two writers of one member's orders wait for each other on its row until they commit.
CREATE TABLE member_order_stamps (
    consortium_id  bigint NOT NULL,
    institution_id bigint NOT NULL,
    stamp          bigint NOT NULL,
    PRIMARY KEY (consortium_id, institution_id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id) ON DELETE CASCADE
);

-- New stamps for the members given as two arrays of the same length (consortium, member), in key order, so that
-- two writers of the same members take their rows in the same order.
CREATE FUNCTION member_order_stamps_draw(consortium_ids bigint[], institution_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO member_order_stamps AS s (consortium_id, institution_id, stamp)
    SELECT m.c, m.i, (random() * 4611686018427387904)::bigint
    FROM (SELECT DISTINCT c, i FROM unnest(consortium_ids, institution_ids) AS u (c, i)) m
    ORDER BY m.c, m.i
    ON CONFLICT (consortium_id, institution_id) DO UPDATE SET stamp = EXCLUDED.stamp;
$$;

-- The members of the orders a statement wrote (both owners, should an update move an order to another member).
CREATE FUNCTION purchase_orders_draw_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM member_order_stamps_draw(array_agg(consortium_id), array_agg(institution_id)) FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM member_order_stamps_draw(array_agg(consortium_id), array_agg(institution_id))
        FROM (SELECT consortium_id, institution_id FROM old_rows
              UNION SELECT consortium_id, institution_id FROM new_rows) m;
    ELSE
        PERFORM member_order_stamps_draw(array_agg(consortium_id), array_agg(institution_id)) FROM old_rows;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER purchase_orders_draw_stamps_insert AFTER INSERT ON purchase_orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_orders_draw_stamps();
CREATE TRIGGER purchase_orders_draw_stamps_update AFTER UPDATE ON purchase_orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_orders_draw_stamps();
CREATE TRIGGER purchase_orders_draw_stamps_delete AFTER DELETE ON purchase_orders
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_orders_draw_stamps();

-- The members of the orders whose lines a statement wrote. Lines deleted with their order find no order here: the
-- order's own delete draws its member's stamp.
CREATE FUNCTION purchase_order_lines_draw_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM member_order_stamps_draw(array_agg(o.consortium_id), array_agg(o.institution_id))
        FROM (SELECT DISTINCT consortium_id, order_id FROM new_rows) l
        JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM member_order_stamps_draw(array_agg(o.consortium_id), array_agg(o.institution_id))
        FROM (SELECT consortium_id, order_id FROM old_rows UNION SELECT consortium_id, order_id FROM new_rows) l
        JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id;
    ELSE
        PERFORM member_order_stamps_draw(array_agg(o.consortium_id), array_agg(o.institution_id))
        FROM (SELECT DISTINCT consortium_id, order_id FROM old_rows) l
        JOIN purchase_orders o ON o.consortium_id = l.consortium_id AND o.id = l.order_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER purchase_order_lines_draw_stamps_insert AFTER INSERT ON purchase_order_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_order_lines_draw_stamps();
CREATE TRIGGER purchase_order_lines_draw_stamps_update AFTER UPDATE ON purchase_order_lines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION purchase_order_lines_draw_stamps();
CREATE TRIGGER purchase_order_lines_draw_stamps_delete AFTER DELETE ON purchase_order_lines
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION purchase_order_lines_draw_stamps();

-- Emptied tables (tests, a reload by hand): every member's stamp is drawn afresh.
CREATE FUNCTION member_order_stamps_draw_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM member_order_stamps_draw(array_agg(consortium_id), array_agg(id)) FROM institutions;
    RETURN NULL;
END $$;
CREATE TRIGGER purchase_orders_draw_stamps_truncate AFTER TRUNCATE ON purchase_orders
    FOR EACH STATEMENT EXECUTE FUNCTION member_order_stamps_draw_all();
CREATE TRIGGER purchase_order_lines_draw_stamps_truncate AFTER TRUNCATE ON purchase_order_lines
    FOR EACH STATEMENT EXECUTE FUNCTION member_order_stamps_draw_all();
