#!/usr/bin/env python3
"""Writes and reads through a server while its database's primary is lost, for Tests/System/failover.sh (issue 28);
standard library only.

For FAILOVER_SECONDS, WRITERS threads each create purchase orders one after another (POST
/v1/institutions/YJ-TCMH/orders, each with an Idempotency-Key of its own) and one thread reads a drug; the script
that runs this kills the primary meanwhile and writes the moment it did into FAILOVER_KILLED_AT (a file). Then judges:
  - no request hangs: each is answered within FAILOVER_BOUND_S;
  - during the switch the server answers 503 (with Retry-After) or 2xx, never another 5xx;
  - writes are served again within 30 s of the kill (the first 2xx write after it);
  - zero acknowledged writes lost: every order that got a 2xx is in the new primary (FAILOVER_DB_URL, read with psql).
Prints one summary line; exits 1 on failure, naming each broken rule and a few examples.
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid

env = os.environ
PORT = int(env["FAILOVER_PORT"])
TOKEN = env["FAILOVER_TOKEN"]
DRUG = env["FAILOVER_DRUG"]
DB_URL = env["FAILOVER_DB_URL"]
KILLED_AT = env["FAILOVER_KILLED_AT"]
SECONDS = float(env.get("FAILOVER_SECONDS", "45"))
WRITERS = int(env.get("FAILOVER_WRITERS", "4"))
BOUND = float(env.get("FAILOVER_BOUND_S", "10"))
BACK_WITHIN = 30.0

results = []  # (started, ended, kind, status, retry_after, order id, error)
lock = threading.Lock()
stop_at = time.time() + SECONDS


def call(method, path, body=None, key=None):
    headers = {"Authorization": f"Bearer {TOKEN}", "Connection": "close"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    status, retry_after, data, error = None, False, b"", None
    try:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=BOUND + 5)
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        status = response.status
        retry_after = response.getheader("Retry-After") is not None
        connection.close()
    except Exception as e:  # noqa: BLE001 - any failure to be answered is what the test reports
        error = f"{type(e).__name__}: {e}"
    return status, retry_after, data, error


def writer():
    while time.time() < stop_at:
        started = time.time()
        status, retry_after, data, error = call(
            "POST", "/v1/institutions/YJ-TCMH/orders", {"lines": [{"drugCode": DRUG, "quantity": "1"}]},
            key=str(uuid.uuid4()))
        order = None
        if status is not None and 200 <= status < 300:
            try:
                order = json.loads(data)["id"]
            except Exception as e:  # noqa: BLE001
                error = f"2xx without an order id: {e}: {data[:200]!r}"
        with lock:
            results.append((started, time.time(), "write", status, retry_after, order, error))
        if status == 503 or error:
            time.sleep(0.2)


def reader():
    while time.time() < stop_at:
        started = time.time()
        status, retry_after, _, error = call("GET", f"/v1/drugs/{DRUG}")
        with lock:
            results.append((started, time.time(), "read", status, retry_after, None, error))
        time.sleep(0.05)


threads = [threading.Thread(target=writer) for _ in range(WRITERS)] + [threading.Thread(target=reader)]
for t in threads:
    t.start()
for t in threads:
    t.join()

problems = []
try:
    killed = float(open(KILLED_AT).read().strip())
except (OSError, ValueError):
    problems.append("the primary was never killed (no time in FAILOVER_KILLED_AT)")
    killed = None

late = [r for r in results if r[6] is None and r[1] - r[0] > BOUND]
unanswered = [r for r in results if r[6] is not None]
bad = [r for r in results if r[3] is not None and r[3] >= 500 and r[3] != 503]
no_retry = [r for r in results if r[3] == 503 and not r[4]]
if late:
    problems.append(f"{len(late)} answers later than {BOUND} s, e.g. {late[:3]}")
if unanswered:
    problems.append(f"{len(unanswered)} requests not answered, e.g. {[r[6] for r in unanswered[:3]]}")
if bad:
    problems.append(f"{len(bad)} 5xx other than 503, e.g. {[(r[2], r[3]) for r in bad[:3]]}")
if no_retry:
    problems.append(f"{len(no_retry)} 503 without Retry-After")

acknowledged = [r[5] for r in results if r[2] == "write" and r[5] is not None]
back = None
if killed is not None:
    after = sorted(r[1] for r in results if r[2] == "write" and r[5] is not None and r[0] > killed)
    if not after:
        problems.append("no write succeeded after the kill")
    else:
        back = after[0] - killed
        if back > BACK_WITHIN:
            problems.append(f"writes came back {back:.1f} s after the kill, more than {BACK_WITHIN:.0f} s")
    if not any(r[3] == 503 for r in results if r[0] >= killed):
        print("failover_load.py: note: no 503 was seen during the switch", file=sys.stderr)

found = set()
if acknowledged:
    ids = ",".join(str(i) for i in acknowledged)
    out = subprocess.run(["psql", "-X", "-qAt", DB_URL, "-c", f"SELECT id FROM purchase_orders WHERE id IN ({ids})"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        problems.append(f"could not read the new primary: {out.stderr.strip()}")
    found = {int(x) for x in out.stdout.split()}
lost = [i for i in acknowledged if i not in found]
if lost and not any(p.startswith("could not read") for p in problems):
    problems.append(f"{len(lost)} acknowledged writes lost, e.g. orders {lost[:5]}")

statuses = {}
for r in results:
    statuses[r[3] or "none"] = statuses.get(r[3] or "none", 0) + 1
print(f"failover_load.py: {len(results)} requests ({statuses}), {len(acknowledged)} writes acknowledged, "
      f"{len(acknowledged) - len(lost)} found on the new primary; writes back "
      f"{'%.1f s' % back if back is not None else 'never'} after the kill")
if problems:
    for p in problems:
        print(f"failover_load.py: FAILED: {p}", file=sys.stderr)
    sys.exit(1)
