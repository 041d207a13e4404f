"""What both peers read out of PostgreSQL for one consortium, each as CSV through psql's COPY ... TO STDOUT:
the received lots with their order lines, the institutions, the catalogue in effect, the members' own lists, the
suppliers and the invoices already recorded. The same facts `reconcile invoices` judges by (bench/reconcile_floor.sql)."""
import os
import subprocess

QUERIES = {
    # one row per order line and lot received: the member, the drug, the lot's key, the unified price, who supplies it
    "lots": """
        SELECT i.code AS institution_code, pol.drug_code, d.lot_key, pol.order_id, pol.line_no,
               pol.unit_price AS unit_price_ordered,
               coalesce(ds.code, es.code) AS supplied_by, sum(d.quantity) AS lot_received
        FROM purchase_orders po
        JOIN institutions i ON i.id = po.institution_id
        JOIN purchase_order_lines pol ON pol.consortium_id = po.consortium_id AND pol.order_id = po.id
        JOIN deliveries d ON d.consortium_id = pol.consortium_id AND d.order_id = pol.order_id AND d.line_no = pol.line_no
        LEFT JOIN consolidated_orders co ON co.consortium_id = pol.consortium_id AND co.id = pol.consolidated_order_id
        LEFT JOIN suppliers ds ON ds.id = co.distributor_id
        LEFT JOIN suppliers es ON es.id = po.emergency_supplier_id
        WHERE po.consortium_id = {cid} AND po.status <> 'cancelled'
        GROUP BY i.code, pol.drug_code, d.lot_key, pol.order_id, pol.line_no, pol.unit_price, ds.code, es.code""",
    "institutions": """
        SELECT i.code AS institution_code, i.level,
               EXISTS (SELECT 1 FROM member_catalogues mc WHERE mc.consortium_id = i.consortium_id
                       AND mc.institution_id = i.id) AS own_list
        FROM institutions i WHERE i.consortium_id = {cid}""",
    "catalogue": """
        SELECT ci.drug_code, array_to_string(ci.levels, ' ') AS levels FROM catalogue_items ci
        WHERE ci.consortium_id = {cid} AND ci.version_number = catalogue_version_in_effect({cid}, '{as_of}'::date)""",
    "own_lists": """
        SELECT i.code AS institution_code, mi.drug_code FROM member_catalogue_items mi
        JOIN institutions i ON i.id = mi.institution_id WHERE mi.consortium_id = {cid}""",
    "suppliers": """
        SELECT code AS manufacturer_code, is_manufacturer, counts_as_manufacturer_id IS NOT NULL AS counts_as
        FROM suppliers""",
    "recorded": """
        SELECT s.code AS distributor_code, v.invoice_number,
               EXISTS (SELECT 1 FROM payments p WHERE p.consortium_id = v.consortium_id AND p.invoice_id = v.id) AS paid
        FROM invoices v JOIN suppliers s ON s.id = v.distributor_id WHERE v.consortium_id = {cid}""",
}


# Each export's columns and types (an empty export has no rows to infer them from).
COLUMNS = {
    "lots": {"institution_code": "VARCHAR", "drug_code": "VARCHAR", "lot_key": "VARCHAR", "order_id": "BIGINT",
             "line_no": "INTEGER", "unit_price_ordered": "DECIMAL(18,4)", "supplied_by": "VARCHAR",
             "lot_received": "DECIMAL(18,4)"},
    "institutions": {"institution_code": "VARCHAR", "level": "VARCHAR", "own_list": "BOOLEAN"},
    "catalogue": {"drug_code": "VARCHAR", "levels": "VARCHAR"},
    "own_lists": {"institution_code": "VARCHAR", "drug_code": "VARCHAR"},
    "suppliers": {"manufacturer_code": "VARCHAR", "is_manufacturer": "BOOLEAN", "counts_as": "BOOLEAN"},
    "recorded": {"distributor_code": "VARCHAR", "invoice_number": "VARCHAR", "paid": "BOOLEAN"},
}


def export(url, consortium_id, as_of, folder):
    """Writes each query's rows to FOLDER/NAME.csv (with a header) and returns the paths by name."""
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for name, sql in QUERIES.items():
        path = os.path.join(folder, name + ".csv")
        query = sql.format(cid=int(consortium_id), as_of=as_of)
        with open(path, "wb") as f:
            subprocess.run(["psql", "-X", "-q", url, "-c", f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"],
                           stdout=f, check=True)
        paths[name] = path
    return paths
