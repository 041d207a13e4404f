"""The analyst's pandas script, the other peer `reconcile invoices` is measured against (bench/reconcile.sh,
issue 25). The same facts (facts.py), the same classes and the same output as reconcile_duckdb.py, with read_csv and
merge. usage: reconcile_pandas.py DATABASE_URL CONSORTIUM_ID AS_OF INVOICES.csv REPORT.csv
"""
import sys
import tempfile
from decimal import Decimal

import numpy as np
import pandas as pd

from facts import COLUMNS, export

url, consortium_id, as_of, invoices, report = sys.argv[1:6]
folder = tempfile.mkdtemp(prefix="peer-pandas-")
facts = export(url, consortium_id, as_of, folder)


def read(name):
    kinds = {"VARCHAR": "string", "BIGINT": "Int64", "INTEGER": "Int64", "BOOLEAN": "string"}
    columns = COLUMNS[name]
    frame = pd.read_csv(facts[name], dtype={c: kinds.get(t, "float64") for c, t in columns.items()}, keep_default_na=False,
                        na_values=[""])
    for c, t in columns.items():
        if t == "BOOLEAN":
            frame[c] = frame[c] == "t"
    return frame


lots, institutions, catalogue = read("lots"), read("institutions"), read("catalogue")
own_lists, suppliers, recorded = read("own_lists"), read("suppliers"), read("recorded")
f = pd.read_csv(invoices, dtype="string", keep_default_na=False, na_values=[""])
f["line_number"] = np.arange(2, len(f) + 2)
# Money in cents and quantities in ten-thousandths, as integers: float would misjudge the fen.
f["q"] = (f["quantity"].astype("float64") * 10000).round().astype("int64")
f["p"] = (f["unit_price"].astype("float64") * 10000).round().astype("int64")
f["a"] = (f["amount"].astype("float64") * 100).round().astype("int64")
f["lot"] = f["lot_number"].str.strip().str.upper()
f["first_line"] = f.groupby(["distributor_code", "invoice_number", "drug_code", "lot"])["line_number"].transform("min")

lots["p_ordered"] = (lots["unit_price_ordered"] * 10000).round().astype("int64")
lots["received"] = (lots["lot_received"] * 10000).round().astype("int64")
m = f[["line_number", "institution_code", "drug_code", "lot", "distributor_code"]].merge(
    lots, left_on=["institution_code", "drug_code", "lot"], right_on=["institution_code", "drug_code", "lot_key"])
m["supplied"] = (m["supplied_by"] == m["distributor_code"]).fillna(False).astype(bool)
m = m.sort_values(["line_number", "supplied", "order_id", "line_no"], ascending=[True, False, False, True])
m = m.drop_duplicates("line_number")[["line_number", "order_id", "line_no", "p_ordered", "received", "supplied"]]
j = f.merge(m, on="line_number", how="left")
j["matched"] = j["order_id"].notna()
j["supplied"] = j["supplied"].fillna(False).astype(bool)
j = j.merge(recorded.rename(columns={"paid": "recorded_paid"}).assign(recorded=True),
            on=["distributor_code", "invoice_number"], how="left")
j["recorded"] = j["recorded"].fillna(False).astype(bool)
j = j.merge(institutions, on="institution_code", how="left")
j = j.merge(own_lists.assign(in_own=True), on=["institution_code", "drug_code"], how="left")
j = j.merge(catalogue.assign(in_cat=True), on="drug_code", how="left")
j = j.merge(suppliers, on="manufacturer_code", how="left")
j = j.sort_values("line_number")

claims = (j["first_line"] == j["line_number"]) & ~j["recorded"] & j["matched"] & j["supplied"]
j["claimed"] = np.where(claims, j["q"], 0)
before = j.groupby(["order_id", "line_no", "lot"], dropna=False)["claimed"].cumsum() - j["claimed"]
unbilled = (j["received"] - before).clip(lower=0)
levels_ok = j["levels"].fillna("").eq("") | pd.Series(
    [isinstance(ls, str) and isinstance(lv, str) and lv in ls.split(" ") for ls, lv in zip(j["levels"], j["level"])],
    index=j.index)
in_catalogue = np.where(j["level"].isna(), False,
                        np.where(j["own_list"].fillna(False).astype(bool), j["in_own"].fillna(False).astype(bool),
                                 j["in_cat"].fillna(False).astype(bool) & levels_ok))
chain = (j["manufacturer_invoice_number"].isna() | j["manufacturer_code"].isna() | j["is_manufacturer"].isna()
         | (~j["is_manufacturer"].fillna(False).astype(bool) & ~j["counts_as"].fillna(False).astype(bool)))
judged = j["matched"] & j["supplied"]
expected = (j["q"] * j["p"] + 500_000) // 1_000_000  # quantity × price, to the fen, half up
found = {
    "duplicate_line": j["first_line"] < j["line_number"],
    "already_paid": j["recorded"] & j["recorded_paid"].fillna(False).astype(bool),
    "already_invoiced": j["recorded"] & ~j["recorded_paid"].fillna(False).astype(bool),
}
sole = found["duplicate_line"] | j["recorded"]
found["already_paid"] &= ~found["duplicate_line"]
found["already_invoiced"] &= ~found["duplicate_line"]
found.update({
    "no_matching_order_or_receipt": ~sole & ~j["matched"],
    "wrong_distributor": ~sole & j["matched"] & ~j["supplied"],
    "price_differs": ~sole & judged & (j["p"] != j["p_ordered"]),
    "billed_beyond_received": ~sole & judged & (j["q"] > unbilled),
    "quantity_differs": ~sole & judged & (j["q"] < unbilled),
    "amount_mismatch": ~sole & (expected != j["a"]),
    "outside_member_catalogue": ~sole & ~pd.Series(in_catalogue, index=j.index).astype(bool),
    "two_invoice_chain": ~sole & chain,
})
out = pd.concat([pd.DataFrame({"line_number": j.loc[mask.fillna(False).astype(bool), "line_number"], "classification": name})
                 for name, mask in found.items()])
out.sort_values(["line_number", "classification"]).to_csv(report, index=False)
