-- Data for bench/import.sh, beside the demo seed (psql -v lines=N):
--   :lines / 2 western drugs BENCH-0000001 …, so a price list of :lines lines prices each twice (two dates);
--   :lines / 50 institutions of the demo consortium BNCH-00001 …, so a usage file of :lines lines has fifty
--   decoction pieces for each.
\set ON_ERROR_STOP on
INSERT INTO drugs (code, generic_name, dosage_form, package_size, package_unit, unit, category)
SELECT 'BENCH-' || lpad(g::text, 7, '0'), '基准药品 ' || g, '片剂', 24, '盒', '片', 'western'
FROM generate_series(1, greatest(1, :lines / 2)) g
ON CONFLICT (code) DO NOTHING;

INSERT INTO institutions (consortium_id, code, name, level, type)
SELECT c.id, 'BNCH-' || lpad(g::text, 5, '0'), '基准卫生院 ' || g, 'primary', 'township_hospital'
FROM consortia c, generate_series(1, greatest(1, :lines / 50)) g
WHERE c.code = 'JLTCM'
ON CONFLICT (code) DO NOTHING;
