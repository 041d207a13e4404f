-- The two checks the schema tests share, as session functions (included with \i by each test).

-- Fails unless `statement` raises `state`.
CREATE FUNCTION pg_temp.refused(statement text, state text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RAISE EXCEPTION 'not refused: %', statement;
EXCEPTION WHEN OTHERS THEN
    IF SQLERRM LIKE 'not refused: %' THEN RAISE; END IF;
    IF SQLSTATE <> state THEN RAISE EXCEPTION 'refused with % (%), not %: %', SQLSTATE, SQLERRM, state, statement; END IF;
END;
$$;

CREATE FUNCTION pg_temp.ok(ok boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN RAISE EXCEPTION 'check failed: %', what; END IF;
END;
$$;
