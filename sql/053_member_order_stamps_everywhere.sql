-- Every member has a stamp of its orders, and the codes a member's orders page shows draw stamps when they change
-- (issue 28, ADR 0016).
--
-- A member without a stamp row is one whose orders were written behind the triggers (bench/scale's generator loads
-- with session_replication_role = replica): its orders page is never kept, where 052 read it as stamp 0 and kept it.
-- So every member gets its row here and when it is added, and a load behind the triggers draws them afresh at its
-- end (member_order_stamps_draw_every()).

-- New stamps for every member of every consortium.
CREATE FUNCTION member_order_stamps_draw_every() RETURNS void LANGUAGE sql AS $$
    SELECT member_order_stamps_draw(array_agg(consortium_id), array_agg(id)) FROM institutions;
$$;

SELECT member_order_stamps_draw_every();

CREATE OR REPLACE FUNCTION member_order_stamps_draw_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM member_order_stamps_draw_every();
    RETURN NULL;
END $$;

-- A member added: its stamp from the start.
CREATE FUNCTION institutions_draw_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM member_order_stamps_draw(array_agg(consortium_id), array_agg(id)) FROM new_rows;
    ELSE
        -- A member's code is on every order of its page.
        PERFORM member_order_stamps_draw(array_agg(n.consortium_id), array_agg(n.id))
        FROM new_rows n JOIN old_rows o ON o.consortium_id = n.consortium_id AND o.id = n.id
        WHERE o.code IS DISTINCT FROM n.code;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER institutions_draw_stamps_insert AFTER INSERT ON institutions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION institutions_draw_stamps();
CREATE TRIGGER institutions_draw_stamps_update AFTER UPDATE ON institutions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION institutions_draw_stamps();

-- A supplier's code is on the orders that name it as their emergency purchase's supplier. Suppliers are the nation's
-- and a code changes about never, so every member's stamp is drawn rather than looking for the orders.
CREATE FUNCTION suppliers_draw_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.code IS DISTINCT FROM n.code) THEN
        PERFORM member_order_stamps_draw_every();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER suppliers_draw_stamps_update AFTER UPDATE ON suppliers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION suppliers_draw_stamps();
