"""The analyst's DuckDB script, the peer `reconcile invoices` is measured against (bench/reconcile.sh, issue 25).

Reads the consortium's facts out of PostgreSQL (facts.py), the invoice file with read_csv, and classifies every line
in one SQL statement, with the classes a script can express: duplicate, already invoiced or paid, no order line with
a receipt of the lot, wrong distributor, price, quantity (against the lot's units received and billed by earlier
lines of the file), amount, outside the member's catalogue, two-invoice chain. Not done, unlike ours: the crosswalk,
units billed by invoices recorded through the API, a lot key beyond upper(trim()), the run recorded, the money at
stake. Writes one CSV row per discrepancy: line_number, classification.

usage: reconcile_duckdb.py DATABASE_URL CONSORTIUM_ID AS_OF INVOICES.csv REPORT.csv
"""
import sys
import tempfile

import duckdb

from facts import COLUMNS, export

url, consortium_id, as_of, invoices, report = sys.argv[1:6]
folder = tempfile.mkdtemp(prefix="peer-duckdb-")
facts = export(url, consortium_id, as_of, folder)
db = duckdb.connect()
for name, path in facts.items():
    columns = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS[name].items())
    db.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true, columns = {{{columns}}})")
db.execute(f"""
CREATE TABLE f AS SELECT row_number() OVER () + 1 AS line_number, * FROM read_csv('{invoices}', header = true,
    columns = {{'distributor_code': 'VARCHAR', 'invoice_number': 'VARCHAR', 'invoice_date': 'DATE',
                'manufacturer_invoice_number': 'VARCHAR', 'manufacturer_code': 'VARCHAR', 'institution_code': 'VARCHAR',
                'drug_code': 'VARCHAR', 'lot_number': 'VARCHAR', 'quantity': 'DECIMAL(18,4)',
                'unit_price': 'DECIMAL(18,4)', 'amount': 'DECIMAL(18,2)'}})""")
db.execute(f"""
COPY (
WITH n AS (
    SELECT *, upper(trim(lot_number)) AS lot,
           min(line_number) OVER (PARTITION BY distributor_code, invoice_number, drug_code, upper(trim(lot_number))) AS first_line
    FROM f
), m AS (
    SELECT n.line_number, l.order_id, l.line_no, l.unit_price_ordered, l.lot_received,
           coalesce(l.supplied_by = n.distributor_code, false) AS supplied
    FROM n JOIN lots l ON l.institution_code = n.institution_code AND l.drug_code = n.drug_code AND l.lot_key = n.lot
    QUALIFY row_number() OVER (PARTITION BY n.line_number
                               ORDER BY coalesce(l.supplied_by = n.distributor_code, false) DESC, l.order_id DESC, l.line_no) = 1
), j AS (
    SELECT n.*, m.order_id, m.line_no, m.unit_price_ordered, m.lot_received, coalesce(m.supplied, false) AS supplied,
           r.invoice_number IS NOT NULL AS recorded, coalesce(r.paid, false) AS paid,
           CASE WHEN i.institution_code IS NULL THEN false
                WHEN i.own_list THEN o.drug_code IS NOT NULL
                ELSE c.drug_code IS NOT NULL AND (coalesce(c.levels, '') = '' OR list_contains(string_split(c.levels, ' '), i.level))
           END AS in_catalogue,
           CASE WHEN n.manufacturer_invoice_number IS NULL OR n.manufacturer_code IS NULL OR s.manufacturer_code IS NULL THEN true
                ELSE NOT s.is_manufacturer AND NOT s.counts_as END AS chain_problem
    FROM n LEFT JOIN m USING (line_number)
    LEFT JOIN recorded r ON r.distributor_code = n.distributor_code AND r.invoice_number = n.invoice_number
    LEFT JOIN institutions i ON i.institution_code = n.institution_code
    LEFT JOIN own_lists o ON o.institution_code = n.institution_code AND o.drug_code = n.drug_code
    LEFT JOIN catalogue c ON c.drug_code = n.drug_code
    LEFT JOIN suppliers s ON s.manufacturer_code = n.manufacturer_code
), b AS (
    SELECT *, lot_received - coalesce(sum(CASE WHEN first_line = line_number AND NOT recorded AND order_id IS NOT NULL
                                                   AND supplied THEN quantity END)
              OVER (PARTITION BY order_id, line_no, lot ORDER BY line_number
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS unbilled
    FROM j
), c AS (
    SELECT line_number, CASE WHEN first_line < line_number THEN 'duplicate_line'
                             WHEN recorded AND paid THEN 'already_paid' WHEN recorded THEN 'already_invoiced' END AS sole,
           [CASE WHEN order_id IS NULL THEN 'no_matching_order_or_receipt'
                 WHEN NOT supplied THEN 'wrong_distributor' END,
            CASE WHEN order_id IS NOT NULL AND supplied AND unit_price <> unit_price_ordered THEN 'price_differs' END,
            CASE WHEN order_id IS NOT NULL AND supplied AND quantity > greatest(unbilled, 0) THEN 'billed_beyond_received'
                 WHEN order_id IS NOT NULL AND supplied AND quantity < greatest(unbilled, 0) THEN 'quantity_differs' END,
            CASE WHEN round(quantity * unit_price, 2) <> amount THEN 'amount_mismatch' END,
            CASE WHEN NOT in_catalogue THEN 'outside_member_catalogue' END,
            CASE WHEN chain_problem THEN 'two_invoice_chain' END] AS found
    FROM b
)
SELECT line_number, sole AS classification FROM c WHERE sole IS NOT NULL
UNION ALL
SELECT line_number, x AS classification FROM (SELECT line_number, unnest(found) AS x FROM c WHERE sole IS NULL) WHERE x IS NOT NULL
ORDER BY line_number, classification
) TO '{report}' (HEADER, DELIMITER ',')""")
