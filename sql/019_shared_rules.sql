-- The rules several queries share, each named once. Swift's side of each is in RxDomain
-- (`CatalogueItem.allows`, `CatalogueRules.memberDrugs`, `ProcurementRules.twoInvoiceRuleError`) and a test
-- ties the two (SharedSQLRulesTests).

-- The number of the consortium catalogue version (基本用药目录) in effect on a date: the published version with
-- the latest effective date on or before it. NULL before the first is published.
CREATE FUNCTION catalogue_version_in_effect(p_consortium_id bigint, p_on date) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT number FROM catalogue_versions
    WHERE consortium_id = p_consortium_id AND status = 'published' AND effective_from <= p_on
    ORDER BY effective_from DESC LIMIT 1
$$;

-- Whether a catalogue item may be used at an institution level: an empty list of levels means every level.
CREATE FUNCTION catalogue_item_allows(p_levels text[], p_level text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT cardinality(p_levels) = 0 OR p_level = ANY (p_levels)
$$;

-- A member's catalogue in effect on a date (the drugs it may use): its own list when it keeps one, otherwise
-- what its level may use of the consortium catalogue in effect.
CREATE FUNCTION member_catalogue_in_effect(p_consortium_id bigint, p_on date)
RETURNS TABLE (institution_id bigint, drug_code text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT mi.institution_id, mi.drug_code FROM member_catalogue_items mi WHERE mi.consortium_id = p_consortium_id
    UNION ALL
    SELECT i.id, ci.drug_code
    FROM institutions i
    JOIN catalogue_items ci ON ci.consortium_id = i.consortium_id
                           AND ci.version_number = catalogue_version_in_effect(p_consortium_id, p_on)
                           AND catalogue_item_allows(ci.levels, i.level)
    WHERE i.consortium_id = p_consortium_id
      AND NOT EXISTS (SELECT 1 FROM member_catalogues mc
                      WHERE mc.consortium_id = i.consortium_id AND mc.institution_id = i.id)
$$;

-- 两票制: why the first invoice of a chain (manufacturer → distributor → member) breaks the two-invoice rule,
-- NULL when it holds. The first invoice must carry the manufacturer's invoice number and come from a
-- manufacturer or a supplier that counts as one (a wholly-owned sales company, a national agent). The caller
-- joins the supplier the invoice names (`suppliers` by code: its code, NULL when unknown, and its flags); a plain
-- expression, so the planner inlines it into set-based queries.
CREATE FUNCTION two_invoice_chain_problem(
    p_manufacturer_invoice_number text, p_manufacturer_code text,
    p_supplier_code text, p_is_manufacturer boolean, p_counts_as_manufacturer_id bigint
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_manufacturer_invoice_number IS NULL THEN 'missing manufacturer invoice number'
        WHEN p_manufacturer_code IS NULL THEN 'missing manufacturer code'
        WHEN p_supplier_code IS NULL THEN 'unknown manufacturer ' || p_manufacturer_code
        WHEN NOT p_is_manufacturer AND p_counts_as_manufacturer_id IS NULL
            THEN 'the manufacturer invoice comes from a plain distributor ' || p_supplier_code
    END
$$;
