#!/usr/bin/env python3
"""Concurrent writers on two servers (issue 10), run by Tests/System/race.sh.

Many clients, spread over both servers, race on what must not double; afterwards the database must hold exactly
what the rules allow (nothing lost, nothing doubled) and every accepted change its audit row. Every response must
be below 500. Standard library only; the database is read with psql.

    race_test.py --database-url URL http://127.0.0.1:PORT1 http://127.0.0.1:PORT2
    tokens from CRX_RACE_ADMIN, CRX_RACE_REGULATOR, CRX_RACE_PRODUCER (pharmacist of JL-TCMH),
    CRX_RACE_OFFICER (procurement officer of YJ-TCMH), CRX_RACE_PRESCRIBER (prescriber of CY-BJL-CHC),
    CRX_RACE_MASTER (master_data_admin, bound to no consortium: drugs are national master data)
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

CLIENTS = 32          # concurrent clients, at most
REQUEST_TIMEOUT = 10  # seconds per request
BASE = "/v1/consortia/JLTCM"


class Race:
    def __init__(self, servers, database_url):
        self.servers = servers
        self.database_url = database_url
        self.violations = []
        self.lock = threading.Lock()
        self.tokens = {name: os.environ[f"CRX_RACE_{name.upper()}"]
                       for name in ("admin", "regulator", "producer", "officer", "prescriber", "master")}
        # Dates in the service's business time zone (Asia/Shanghai), as the server computes "today".
        self.today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()

    # -- HTTP ---------------------------------------------------------------------------------------------------
    def call(self, n, method, path, token, body=None, headers=None):
        """One request to server n % 2; returns (status, json-or-text, headers). A 5xx is recorded as a violation."""
        url = self.servers[n % len(self.servers)] + path
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.tokens[token]}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                status, raw, hdrs = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, hdrs = error.code, error.read(), error.headers
        except Exception as error:  # a timeout or a dropped connection is a failure of the service too
            self.violation(f"{method} {url}: no response ({error!r})")
            return 0, None, {}
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        if status >= 500:
            self.violation(f"{method} {url}: {status} {payload}")
        return status, payload, hdrs

    def violation(self, message):
        with self.lock:
            self.violations.append(message)
        print(f"  VIOLATION: {message}", flush=True)

    def expect(self, condition, message):
        if not condition:
            self.violation(message)

    # -- database -----------------------------------------------------------------------------------------------
    def sql(self, query):
        """Rows of a query as lists of text fields."""
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", self.database_url, "-c", query],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines()]

    def value(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def count(self, query):
        return int(self.value(query))

    @staticmethod
    def quote(text):
        return "'" + str(text).replace("'", "''") + "'"

    def keys(self, ids):
        return "(" + ",".join(self.quote(i) for i in ids) + ")" if ids else "(NULL)"

    # -- running many clients -------------------------------------------------------------------------------------
    @staticmethod
    def concurrently(jobs, clients=CLIENTS):
        """Runs the callables at once (released together by a barrier) and returns their results in order."""
        clients = min(clients, len(jobs))
        barrier = threading.Barrier(clients)

        def start(job, index):
            if index < clients:
                try:
                    barrier.wait(timeout=10)
                except threading.BrokenBarrierError:
                    pass
            return job()

        with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [pool.submit(start, job, i) for i, job in enumerate(jobs)]
            return [f.result() for f in futures]

    def summary(self, name, statuses, started, extra=""):
        by_status = {}
        for s in statuses:
            by_status[s] = by_status.get(s, 0) + 1
        shown = " ".join(f"{k}x{v}" for k, v in sorted(by_status.items()))
        print(f"{name}: {len(statuses)} requests over {len(self.servers)} servers in {time.monotonic() - started:.1f}s "
              f"[{shown}] {extra}", flush=True)

    # -- a. the last units of a transfer approval ----------------------------------------------------------------
    def transfer_approval(self):
        started = time.monotonic()
        prep = "H-JLTCMH-001"
        # The seeded registration and the producer's licence, valid around today whatever day the test runs.
        self.sql(f"UPDATE hospital_preparations SET registration_valid_to = date {self.quote(self.today)} + 400 "
                 f"WHERE drug_code = {self.quote(prep)}")
        self.sql(f"UPDATE preparation_licences SET valid_from = date {self.quote(self.today)} - 100, "
                 f"valid_to = date {self.quote(self.today)} + 1000")
        approved = 20
        status, approval, _ = self.call(0, "POST", f"{BASE}/transfer-approvals", "regulator", {
            "kind": "regulator_approval", "authority": "吉林省药品监督管理局", "documentNumber": "吉药监制调RACE-1",
            "documentDate": str(self.today - datetime.timedelta(days=10)), "drugCode": prep,
            "supplierInstitutionCode": "JL-TCMH", "receiverInstitutionCodes": ["YJ-TCMH", "SL-TCMH"],
            "approvedQuantity": str(approved), "validFrom": str(self.today - datetime.timedelta(days=10)),
            "validTo": str(self.today + datetime.timedelta(days=180))})
        if status != 201:
            self.violation(f"a. the approval was not created: {status} {approval}")
            return
        approval_id = approval["id"]
        rng = random.Random(10)
        quantities = [rng.choice([1, 2, 3]) for _ in range(48)]  # about 96 units asked of 20

        def ship(i, quantity):
            def job():
                status, body, _ = self.call(i, "POST", f"/v1/transfer-approvals/{approval_id}/shipments", "producer", {
                    "receiverInstitutionCode": ["YJ-TCMH", "SL-TCMH"][i % 2], "lotNumber": f"RACE{i:03d}",
                    "productionDate": str(self.today - datetime.timedelta(days=20)),
                    "expiryDate": str(self.today + datetime.timedelta(days=700)), "quantity": str(quantity)})
                return i, quantity, status, body
            return job

        results = self.concurrently([ship(i, q) for i, q in enumerate(quantities)])
        accepted = [(q, body["id"]) for _, q, status, body in results if status == 201]
        refused = [(q, status, body) for _, q, status, body in results if status != 201]
        for q, status, body in refused:
            self.expect(status in (409, 422), f"a. a refused shipment got {status}: {body}")
        shipped = sum(q for q, _ in accepted)
        db_shipped = Decimal(self.value(f"SELECT shipped_quantity FROM transfer_approvals WHERE id = {approval_id}"))
        db_rows = self.sql(f"SELECT id, quantity FROM transfer_shipments WHERE approval_id = {approval_id}")
        db_ids = {int(r[0]) for r in db_rows}
        db_sum = sum((Decimal(r[1]) for r in db_rows), Decimal(0))
        self.expect(shipped <= approved, f"a. {shipped} units shipped on an approval for {approved}")
        self.expect(db_shipped == shipped == db_sum,
                    f"a. accepted {shipped}, the approval says {db_shipped}, the shipments sum to {db_sum}")
        self.expect(db_ids == {i for _, i in accepted},
                    f"a. the 201s name shipments {sorted(i for _, i in accepted)}, the database holds {sorted(db_ids)}")
        # Nothing lost: a shipment refused for quantity asked more than what was left even at the end.
        left = approved - shipped
        for q, status, body in refused:
            self.expect(q > left, f"a. a shipment of {q} was refused ({status}) while {left} were still left: {body}")
        audited = self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'transfer_shipment' AND action = 'create' "
                             f"AND entity_key IN {self.keys(db_ids)}")
        ships = self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'transfer_approval' AND action = 'ship' "
                           f"AND entity_key = {self.quote(approval_id)}")
        self.expect(audited == len(db_ids) and ships == len(db_ids),
                    f"a. {len(db_ids)} shipments, {audited} shipment audit rows, {ships} approval 'ship' audit rows")
        self.summary("a. last units of a transfer approval", [r[2] for r in results], started,
                     f"approved {approved}, asked {sum(quantities)}, shipped {shipped} in {len(accepted)} shipments")

    # -- b. overlap of price periods -----------------------------------------------------------------------------
    def price_periods(self):
        started = time.monotonic()
        drug, ceiling = self.sql(
            "SELECT c.drug_code, p.unit_price FROM catalogue_items c JOIN provincial_bid_prices p ON p.drug_code = c.drug_code "
            "JOIN drugs d ON d.code = c.drug_code WHERE c.version_number = 1 AND d.category = 'western' "
            "AND p.price_unit = 'package' AND p.unit_price >= 2 ORDER BY c.drug_code OFFSET 3 LIMIT 1")[0]
        ceiling = Decimal(ceiling)
        count = 16

        def create(i):
            def job():
                price = (ceiling * Decimal(80 - i) / 100).quantize(Decimal("0.01"))
                status, body, _ = self.call(i, "POST", f"{BASE}/price-agreements", "admin", {
                    "drugCode": drug, "unitPrice": str(price), "priceUnit": "package", "source": "consortium_negotiated",
                    "reference": f"议价纪要 RACE-{i}", "effectiveFrom": str(self.today + datetime.timedelta(days=i % 4))})
                return status, body
            return job

        created = self.concurrently([create(i) for i in range(count)])
        statuses = [s for s, _ in created]
        for s, body in created:
            self.expect(s == 201, f"b. creating a negotiated price got {s}: {body}")
        ids = [body["id"] for s, body in created if s == 201]

        # Each agreement reported twice at once, once through each server: one report wins, the other is 409.
        def report(i, agreement_id):
            def job():
                status, body, _ = self.call(i, "POST", f"{BASE}/price-agreements/{agreement_id}/report", "admin",
                                            {"platformReference": f"JL-PT-RACE-{agreement_id}-{i % 2}",
                                             "reportedOn": str(self.today)})
                return agreement_id, status, body
            return job

        # Meanwhile provincial winning-bid prices (in effect at once from their dates) race the reports.
        def bid(i, offset):
            def job():
                status, body, _ = self.call(i, "POST", f"{BASE}/price-agreements", "admin", {
                    "drugCode": drug, "unitPrice": str(ceiling), "priceUnit": "package", "source": "provincial_bid",
                    "reference": f"JL-RACE-BID-{offset}", "effectiveFrom": str(self.today + datetime.timedelta(days=offset))})
                return "bid", status, body
            return job

        jobs = [report(i, a) for a in ids for i in (0, 1)] + [bid(i, offset) for i, offset in enumerate((1, 2, 3, 5))]
        results = self.concurrently(jobs)
        reports, bids = [r for r in results if r[0] != "bid"], [r for r in results if r[0] == "bid"]
        statuses += [s for _, s, _ in results]
        for _, s, body in bids:
            self.expect(s == 201, f"b. a provincial price racing the reports got {s}: {body}")
        bid_ids = [body["id"] for _, s, body in bids if s == 201]
        db_bids = {int(r[0]) for r in self.sql(f"SELECT id FROM price_agreements WHERE drug_code = {self.quote(drug)} "
                                                f"AND source = 'provincial_bid' AND reference LIKE 'JL-RACE-BID-%'")}
        self.expect(db_bids == set(bid_ids), f"b. provincial prices created {sorted(bid_ids)}, the database holds {sorted(db_bids)}")
        audited_bids = self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'price_agreement' AND action = 'create' "
                                  f"AND entity_key IN {self.keys(bid_ids)}")
        self.expect(audited_bids == len(bid_ids), f"b. {len(bid_ids)} provincial prices, {audited_bids} audit rows")
        for agreement_id in ids:
            mine = [(s, body) for a, s, body in reports if a == agreement_id]
            ok = [s for s, _ in mine if s == 200]
            self.expect(len(ok) == 1 and all(s in (200, 409) for s, _ in mine),
                        f"b. agreement {agreement_id} reported twice: {[(s, b) for s, b in mine]}")
        db_ids = {int(r[0]) for r in self.sql(f"SELECT id FROM price_agreements WHERE drug_code = {self.quote(drug)} "
                                               f"AND source = 'consortium_negotiated'")}
        self.expect(db_ids == set(ids), f"b. created {sorted(ids)}, the database holds {sorted(db_ids)}")
        agreed = self.count(f"SELECT count(*) FROM price_agreements WHERE id IN {self.keys(ids)} AND status = 'agreed'")
        self.expect(agreed == 0, f"b. {agreed} reported agreements are still 'agreed'")
        overlaps = self.count(
            "SELECT count(*) FROM price_agreements a JOIN price_agreements b ON a.consortium_id = b.consortium_id "
            "AND a.drug_code = b.drug_code AND a.id < b.id AND a.status = 'in_effect' AND b.status = 'in_effect' "
            "AND daterange(a.effective_from, a.effective_to) && daterange(b.effective_from, b.effective_to) "
            f"WHERE a.drug_code = {self.quote(drug)}")
        self.expect(overlaps == 0, f"b. {overlaps} pairs of in-effect periods of {drug} overlap")
        gaps = self.count(
            "SELECT count(*) FROM (SELECT effective_from, lag(effective_to) OVER (ORDER BY effective_from) AS prev_to "
            f"FROM price_agreements WHERE drug_code = {self.quote(drug)} AND status = 'in_effect') p "
            "WHERE p.prev_to IS NULL AND p.effective_from > (SELECT min(effective_from) FROM price_agreements "
            f"WHERE drug_code = {self.quote(drug)} AND status = 'in_effect') OR p.prev_to <> p.effective_from")
        self.expect(gaps == 0, f"b. the in-effect periods of {drug} have {gaps} gaps")
        for offset in (-1, 0, 1, 2, 3, 4, 30):
            day = self.today + datetime.timedelta(days=offset)
            n = self.count(f"SELECT count(*) FROM price_agreements WHERE drug_code = {self.quote(drug)} AND status = 'in_effect' "
                           f"AND daterange(effective_from, effective_to) @> date {self.quote(day)}")
            self.expect(n == 1, f"b. {n} prices of {drug} in effect on {day}")
        for action in ("create", "report"):
            audited = self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'price_agreement' AND action = '{action}' "
                                 f"AND entity_key IN {self.keys(ids)}")
            self.expect(audited == len(ids), f"b. {len(ids)} agreements, {audited} '{action}' audit rows")
        in_effect = self.count(f"SELECT count(*) FROM price_agreements WHERE id IN {self.keys(ids)} AND status = 'in_effect'")
        self.summary("b. overlap of price periods", statuses, started,
                     f"{len(ids)} negotiated prices from 4 dates, each reported once, racing {len(bid_ids)} provincial prices; "
                     f"{in_effect} negotiated in effect, the rest superseded")

    # -- c. idempotent order retries -----------------------------------------------------------------------------
    def order_retries(self):
        started = time.monotonic()
        drug = self.value(
            "SELECT c.drug_code FROM catalogue_items c JOIN price_agreements p ON p.drug_code = c.drug_code "
            "AND p.status = 'in_effect' JOIN drugs d ON d.code = c.drug_code WHERE c.version_number = 1 "
            "AND cardinality(c.levels) = 0 AND d.category = 'western' ORDER BY c.drug_code LIMIT 1")
        before = self.count("SELECT count(*) FROM purchase_orders")
        keys = [f"race-order-{k}" for k in range(4)]

        def post(i, key):
            def job():
                status, body, _ = self.call(i, "POST", "/v1/institutions/YJ-TCMH/orders", "officer",
                                            {"lines": [{"drugCode": drug, "quantity": "7"}]}, {"Idempotency-Key": key})
                return key, status, body
            return job

        results = self.concurrently([post(i, keys[i % 4]) for i in range(32)])
        orders = {}
        for key, status, body in results:
            # The contract: a retry returns the first order with 201; a key still in flight waits for it.
            self.expect(status == 201, f"c. a retry with {key} got {status}: {body}")
            if status == 201:
                orders.setdefault(key, set()).add(body["id"])
        for key in keys:
            self.expect(len(orders.get(key, ())) == 1, f"c. {key} answered with orders {sorted(orders.get(key, ()))}")
        ids = {next(iter(v)) for v in orders.values() if len(v) == 1}
        after = self.count("SELECT count(*) FROM purchase_orders")
        self.expect(after - before == len(keys), f"c. {len(keys)} keys made {after - before} orders")
        stored = self.sql("SELECT key, response_body->>'orderId' FROM idempotency_keys WHERE operation = 'create_order' "
                          f"AND key IN {self.keys(keys)}")
        self.expect(len(stored) == len(keys) and {int(r[1]) for r in stored} == ids,
                    f"c. idempotency keys {stored}, orders {sorted(ids)}")
        audited = self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'purchase_order' AND action = 'create' "
                             f"AND entity_key IN {self.keys(ids)}")
        self.expect(audited == len(keys), f"c. {len(keys)} orders, {audited} audit rows")
        self.summary("c. idempotent order retries", [s for _, s, _ in results], started,
                     f"{len(keys)} keys x 8 retries -> {after - before} orders")

    # -- d. the same long prescription issued twice -------------------------------------------------------------
    def long_prescription(self):
        started = time.monotonic()
        drug = self.value(
            "SELECT d.code FROM drugs d JOIN catalogue_items c ON c.drug_code = d.code WHERE c.version_number = 1 "
            "AND d.category = 'western' AND d.control_class = 'none' AND NOT d.antimicrobial AND NOT d.cold_chain "
            "AND cardinality(c.levels) = 0 AND d.atc_code LIKE 'C%' ORDER BY d.code LIMIT 1")
        patients = ["P-RACE-1", "P-RACE-2"]
        assessed = str(self.today - datetime.timedelta(days=5))

        def issue(i, patient):
            def job():
                status, body, _ = self.call(i, "POST", "/v1/long-prescriptions", "prescriber", {
                    "institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
                    "patient": {"ref": patient, "familyDoctorContract": True, "goodAdherence": True,
                                "diagnoses": [{"icd": "I10", "stable": True, "lastAssessedOn": assessed}]},
                    "item": {"drugCode": drug, "dailyDose": "1", "days": 28, "assessmentRecorded": False,
                             "patientConfirmed": False}}, {"Idempotency-Key": f"race-rx-{patient}-{i}"})
                return patient, i, status, body
            return job

        results = self.concurrently([issue(i, patients[i % 2]) for i in range(32)])
        all_keys = [f"race-rx-{p}-{i}" for p, i, _, _ in results]
        for patient in patients:
            mine = [(i, s, b) for p, i, s, b in results if p == patient]
            issued = [(i, b["id"]) for i, s, b in mine if s == 201]
            self.expect(len(issued) == 1, f"d. {patient}: {len(issued)} of {len(mine)} issues accepted")
            for _, s, b in mine:
                self.expect(s in (201, 409), f"d. {patient}: an issue got {s}: {b}")
            rows = [int(r[0]) for r in self.sql(f"SELECT id FROM long_prescriptions WHERE patient_ref = {self.quote(patient)}")]
            self.expect(rows == [rx for _, rx in issued], f"d. {patient}: 201s name {issued}, the database holds {rows}")
            audited = self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'long_prescription' AND action = 'issue' "
                                 f"AND entity_key IN {self.keys(rows)}")
            self.expect(audited == len(rows), f"d. {patient}: {len(rows)} prescriptions, {audited} audit rows")
            if len(issued) == 1:
                winner = f"race-rx-{patient}-{issued[0][0]}"
                kept = self.sql("SELECT key, response_body->>'id' FROM idempotency_keys WHERE operation = 'issue_long_prescription' "
                                f"AND key IN {self.keys([k for k in all_keys if k.startswith(f'race-rx-{patient}-')])}")
                # A refused issue writes nothing, not even its idempotency key.
                self.expect(kept == [[winner, str(issued[0][1])]], f"d. {patient}: idempotency keys kept {kept}")
        self.summary("d. the same long prescription issued twice", [r[2] for r in results], started,
                     f"2 patients x 16 issues with distinct keys")

    # -- e. a catalogue draft edited from both servers -----------------------------------------------------------
    def catalogue_draft(self):
        started = time.monotonic()
        statuses = []
        opened = self.concurrently([lambda i=i: self.call(i, "POST", f"{BASE}/catalogue/versions", "admin") for i in range(16)])
        statuses += [s for s, _, _ in opened]
        drafts = [body["number"] for s, body, _ in opened if s == 201]
        for s, body, _ in opened:
            self.expect(s in (201, 409), f"e. opening a draft got {s}: {body}")
        self.expect(len(drafts) == 1, f"e. {len(drafts)} of 16 concurrent opens made a draft: {drafts}")
        open_rows = self.sql("SELECT number FROM catalogue_versions WHERE status IN ('draft', 'proposed')")
        self.expect(len(open_rows) == 1, f"e. open versions in the database: {open_rows}")
        if len(drafts) != 1:
            return
        number = drafts[0]
        self.expect(self.count(f"SELECT count(*) FROM audit_log WHERE entity_type = 'catalogue_version' AND action = 'open_draft' "
                               f"AND entity_key = '{number}'") == 1, "e. the draft has not exactly one 'open_draft' audit row")
        base_items = {r[0]: r[1] for r in self.sql(
            f"SELECT drug_code, coalesce(note, '') FROM catalogue_items WHERE version_number = 1")}
        draft_items = {r[0]: r[1] for r in self.sql(
            f"SELECT drug_code, coalesce(note, '') FROM catalogue_items WHERE version_number = {number}")}
        self.expect(draft_items == base_items, f"e. the draft holds {len(draft_items)} items, version 1 {len(base_items)}")
        revision0 = int(self.value(f"SELECT revision FROM catalogue_versions WHERE number = {number}"))

        existing = sorted(base_items)
        # New drugs (every seeded one but the preparations is already listed), added to the draft in the race.
        outside = [f"X-RACE-{k:02d}" for k in range(12)]
        for k, code in enumerate(outside):
            status, body, _ = self.call(k, "POST", "/v1/drugs", "master", {
                "code": code, "genericName": f"竞态测试药{k}", "dosageForm": "片剂", "packageSize": 10, "packageUnit": "盒",
                "unit": "片", "category": "western", "essentialEditions": [], "insuranceClass": "B", "controlClass": "none",
                "antimicrobial": False, "coldChain": False})
            self.expect(status == 201, f"e. creating drug {code} got {status}: {body}")
        # Each drug is touched by one kind of operation, so the accepted ones decide the final list.
        ops = [("put", code, f"race add {k}") for k, code in enumerate(outside)]
        ops += [("put", code, f"race note {k}") for k, code in enumerate(existing[:12])]
        ops += [("delete", code, None) for code in existing[12:24]]
        uri = f"{BASE}/catalogue/versions/{number}"

        def edit(i, queue):
            """A pharmacist working through a list: read the ETag, change, and on 412 read again after a short
            random pause (optimistic concurrency), until the deadline."""
            def job():
                outcomes = []
                backoff = random.Random(1000 + i)  # seeded: the same pauses in every run
                deadline = time.monotonic() + 40
                for op in queue:
                    kind, code, note = op
                    tried, final, attempt = [], None, 0
                    while final is None and time.monotonic() < deadline:
                        # The list of versions carries each one's ETag, without the items.
                        status, body, _ = self.call(i, "GET", f"{BASE}/catalogue/versions", "admin")
                        tried.append(status)
                        etag = next((v.get("etag") for v in (body or {}).get("items", []) if v.get("number") == number),
                                    None) if status == 200 else None
                        if etag is None:
                            break
                        if kind == "put":
                            status, body, _ = self.call(i + 1, "PUT", f"{uri}/items/{code}", "admin",
                                                        {"note": note, "justification": "race test"}, {"If-Match": etag})
                        else:
                            status, body, _ = self.call(i + 1, "DELETE", f"{uri}/items/{code}?reason=race%20test", "admin", None,
                                                        {"If-Match": etag})
                        tried.append(status)
                        if status != 412:
                            final = status
                        else:
                            attempt += 1
                            time.sleep(backoff.random() * 0.05 * min(attempt, 8))
                    outcomes.append((op, tried, final))
                return outcomes
            return job

        # Blind writers too (If-Match: *): the same new drug put and the same item deleted from many clients.
        shared_put, shared_delete = outside[-1], existing[-1]
        ops = [op for op in ops if op[1] != shared_put]

        def blind(i, kind, code):
            def job():
                if kind == "put":
                    s, b, _ = self.call(i, "PUT", f"{uri}/items/{code}", "admin", {"note": "race shared", "justification": "race test"},
                                        {"If-Match": "*"})
                else:
                    s, b, _ = self.call(i, "DELETE", f"{uri}/items/{code}?reason=race%20test", "admin", None, {"If-Match": "*"})
                return kind, code, s, b
            return job

        editors = 8
        jobs = [edit(i, ops[i::editors]) for i in range(editors)]
        jobs += [blind(i, "put", shared_put) for i in range(4)] + [blind(i, "delete", shared_delete) for i in range(4)]
        results = self.concurrently(jobs)
        edits = [outcome for worker in results[:editors] for outcome in worker]
        blinds = results[editors:]
        expected = dict(draft_items)
        accepted = 0
        for op, tried, final in edits:
            statuses += tried
            kind, code, note = op
            for s in tried:
                self.expect(s in (200, 412), f"e. {kind} {code} got {s}")
            if final == 200:
                accepted += 1
                if kind == "put":
                    expected[code] = note
                else:
                    expected.pop(code, None)
            else:
                self.violation(f"e. {kind} {code} was never accepted (statuses {tried})")
        put_ok = [s for k, _, s, _ in blinds if k == "put" and s == 200]
        delete_ok = [s for k, _, s, _ in blinds if k == "delete" and s == 200]
        for kind, code, s, b in blinds:
            statuses.append(s)
            self.expect(s == 200 or (kind == "delete" and s == 404), f"e. blind {kind} {code} got {s}: {b}")
        self.expect(len(put_ok) == 4, f"e. {len(put_ok)} of 4 blind puts of {shared_put} accepted")
        self.expect(len(delete_ok) == 1, f"e. {len(delete_ok)} of 4 blind deletes of {shared_delete} accepted")
        expected[shared_put] = "race shared"
        expected.pop(shared_delete, None)
        accepted += len(put_ok) + len(delete_ok)

        final = {r[0]: r[1] for r in self.sql(
            f"SELECT drug_code, coalesce(note, '') FROM catalogue_items WHERE version_number = {number}")}
        missing, extra = set(expected) - set(final), set(final) - set(expected)
        changed = {c for c in set(final) & set(expected) if final[c] != expected[c]}
        self.expect(not missing and not extra and not changed,
                    f"e. the draft differs from the accepted operations: missing {sorted(missing)}, extra {sorted(extra)}, "
                    f"other notes {sorted(changed)}")
        revision = int(self.value(f"SELECT revision FROM catalogue_versions WHERE number = {number}"))
        self.expect(revision - revision0 == accepted, f"e. {accepted} accepted changes, the revision moved {revision - revision0}")
        audited = self.sql(f"SELECT action, count(*) FROM audit_log WHERE entity_type = 'catalogue_item' "
                           f"AND entity_key LIKE '{number}/%' GROUP BY action ORDER BY action")
        audited = {a: int(n) for a, n in audited}
        self.expect(sum(audited.values()) == accepted, f"e. {accepted} accepted changes, audit rows {audited}")
        self.expect(audited.get("add_item") == len(outside) and audited.get("remove_item") == 12 + 1,
                    f"e. audit rows by action {audited}")
        self.summary("e. a catalogue draft edited from both servers", statuses, started,
                     f"1 draft of 16 opens; {editors} editors and 8 blind writers: {accepted} item changes accepted, "
                     f"{statuses.count(412)} stale ETags retried")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--only", help="run only the scenarios whose letters are given, e.g. ad")
    parser.add_argument("servers", nargs="+")
    args = parser.parse_args()
    race = Race(args.servers, args.database_url)
    scenarios = (race.transfer_approval, race.price_periods, race.order_retries, race.long_prescription, race.catalogue_draft)
    for letter, scenario in zip("abcde", scenarios):
        if args.only and letter not in args.only:
            continue
        try:
            scenario()
        except Exception as error:  # a broken scenario is a failure, not a crash of the others
            race.violation(f"{scenario.__name__}: {error!r}")
    if race.violations:
        print(f"race: {len(race.violations)} violations", file=sys.stderr)
        return 1
    print("race: every scenario held (nothing lost, nothing doubled, every change audited, no 5xx)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
