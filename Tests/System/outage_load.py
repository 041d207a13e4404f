#!/usr/bin/env python3
"""Load and outages for Tests/System/outage.sh (issue 19.4); standard library only.

Sends a steady, bounded load (RATE requests a second, over GET /v1/drugs/{code}, the long-prescription check and
a purchase order) to a server on 127.0.0.1, while making its database unreachable OUTAGES times for 3-8 s each
(its sessions terminated, new ones refused, then allowed again). Then judges every answer:
  - the server never exits;
  - every request is answered within the lease timeout + 1 s;
  - no answer is a 5xx other than 503, and every 503 carries Retry-After;
  - after each outage, the first 200 comes within 2 s of the database's return.
Prints one summary line; exits 1 on failure, naming each broken rule and a few examples.
"""
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

env = os.environ
PORT = int(env["OUTAGE_PORT"])
SERVER_PID = int(env["OUTAGE_SERVER_PID"])
ADMIN_URL = env["OUTAGE_ADMIN_URL"]
DB = env["OUTAGE_DB"]
LEASE = int(env["OUTAGE_LEASE_MS"]) / 1000
TOKENS = {role: env[f"OUTAGE_TOKEN_{role.upper()}"] for role in ("auditor", "prescriber", "admin")}
DRUGS = env["OUTAGE_DRUGS"].split()
CHECK_DRUG = env["OUTAGE_CHECK_DRUG"]
ORDER_DRUG = env["OUTAGE_ORDER_DRUG"]
TODAY = env["OUTAGE_TODAY"]
RATE = int(env.get("OUTAGE_RATE", "30"))
OUTAGES = int(env.get("OUTAGE_COUNT", "20"))
SETTLE = float(env.get("OUTAGE_SETTLE_S", "3"))
FIRST_200 = float(env.get("OUTAGE_FIRST_200_S", "2"))
BOUND = LEASE + 1
rng = random.Random(int(env.get("OUTAGE_SEED", "19")))

results = []  # (started, ended, route, status, retry_after, error)
lock = threading.Lock()
stop = threading.Event()


def request(kind, n):
    if kind == "drug":
        method, path, role, body = "GET", f"/v1/drugs/{DRUGS[n % len(DRUGS)]}", "auditor", None
    elif kind == "check":
        method, path, role = "POST", "/v1/long-prescriptions/check", "prescriber"
        body = {"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
                "patient": {"ref": f"P-OUT-{n % 500}", "familyDoctorContract": True, "goodAdherence": True,
                            "diagnoses": [{"icd": "I10", "stable": True, "lastAssessedOn": TODAY}]},
                "items": [{"drugCode": CHECK_DRUG, "dailyDose": "1", "days": 56,
                           "assessmentRecorded": True, "patientConfirmed": True}]}
    else:
        # A purchase order: a write that leaves the servers' caches alone.
        method, path, role = "POST", "/v1/institutions/YJ-TCMH/orders", "admin"
        body = {"lines": [{"drugCode": ORDER_DRUG, "quantity": "1"}]}
    headers = {"Authorization": f"Bearer {TOKENS[role]}", "Connection": "close"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.time()
    status, retry_after, error = None, False, None
    try:
        # Past the bound the answer is late anyway; waiting longer only tells how late.
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=BOUND + 10)
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        retry_after = response.getheader("Retry-After") is not None
        connection.close()
    except Exception as e:  # noqa: BLE001 - any failure to be answered is what the test reports
        error = f"{type(e).__name__}: {e}"
    ended = time.time()
    with lock:
        results.append((started, ended, kind, status, retry_after, error))


def load():
    """RATE requests a second until stopped: 6 drug lookups, 3 checks, 1 write in every 10."""
    kinds = ["drug"] * 6 + ["check"] * 3 + ["write"]
    with ThreadPoolExecutor(max_workers=RATE * int(BOUND + 12)) as pool:
        n = 0
        next_at = time.monotonic()
        while not stop.is_set():
            pool.submit(request, kinds[n % len(kinds)], n)
            n += 1
            next_at += 1 / RATE
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def psql(sql):
    subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", ADMIN_URL, "-c", sql],
                   check=True, stdout=subprocess.DEVNULL, timeout=30)


def server_alive():
    try:
        os.kill(SERVER_PID, 0)
        return True
    except ProcessLookupError:
        return False


def main():
    loader = threading.Thread(target=load)
    loader.start()
    outages = []  # (down, up)
    exited = False
    try:
        time.sleep(SETTLE)
        for _ in range(OUTAGES):
            length = rng.uniform(3, 8)
            down = time.time()
            psql(f"ALTER DATABASE {DB} ALLOW_CONNECTIONS false")
            psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DB}'")
            time.sleep(max(0.0, down + length - time.time()))
            psql(f"ALTER DATABASE {DB} ALLOW_CONNECTIONS true")
            up = time.time()
            outages.append((down, up))
            time.sleep(SETTLE)
            if not server_alive():
                exited = True
                break
    finally:
        # Connections must come back even when this script fails midway.
        psql(f"ALTER DATABASE {DB} ALLOW_CONNECTIONS true")
        stop.set()
        loader.join()
    exited = exited or not server_alive()

    dump = env.get("OUTAGE_DUMP")
    if dump:
        with open(dump, "w") as f:
            json.dump({"outages": outages, "results": results}, f)
    failures = []
    if exited:
        failures.append("the server exited (see its log)")
    late = [r for r in results if r[5] is not None or r[1] - r[0] > BOUND]
    if late:
        failures.append(f"{len(late)} requests not answered within {BOUND:.1f} s, e.g. " + "; ".join(
            f"{r[2]} {r[3] or r[5]} after {r[1] - r[0]:.2f} s" for r in late[:3]))
    bad = [r for r in results if r[3] is not None and r[3] >= 500 and r[3] != 503]
    if bad:
        failures.append(f"{len(bad)} answers were a 5xx other than 503: " + ", ".join(f"{r[2]} {r[3]}" for r in bad[:5]))
    bare = [r for r in results if r[3] == 503 and not r[4]]
    if bare:
        failures.append(f"{len(bare)} answers were 503 without Retry-After")
    other = [r for r in results if r[3] is not None and r[3] not in (200, 201, 503)]
    if other:
        failures.append(f"{len(other)} answers were neither success nor 503: " + ", ".join(
            f"{r[2]} {r[3]}" for r in other[:5]))
    recoveries = []
    for i, (down, up) in enumerate(outages):
        ok = [r[1] for r in results if r[3] in (200, 201) and r[0] >= up]
        first = min(ok) - up if ok else None
        recoveries.append(first)
        if first is None or first > FIRST_200:
            failures.append(f"outage {i + 1} ({up - down:.1f} s): first 200 " +
                            ("never came" if first is None else f"came {first:.2f} s after the database's return"))
    counts = {}
    for r in results:
        key = r[3] or "none"
        counts[key] = counts.get(key, 0) + 1
    slowest = max((r[1] - r[0] for r in results), default=0)
    worst_recovery = max((x for x in recoveries if x is not None), default=0)
    print(f"outage test: {len(outages)} outages of {min((u - d for d, u in outages), default=0):.1f}-"
          f"{max((u - d for d, u in outages), default=0):.1f} s, {len(results)} requests "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(counts.items(), key=str))}), slowest answer {slowest:.2f} s "
          f"(bound {BOUND:.1f}), slowest first 200 after an outage {worst_recovery:.2f} s (bound {FIRST_200:.1f}): "
          + ("PASS" if not failures else "FAILED"))
    for failure in failures:
        print(f"outage test: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
