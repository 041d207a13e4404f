#!/usr/bin/env python3
"""Sequential scans of large tables in auto_explain's plans (bench/scale/run.sh, Tests/System/scale_plans.sh).

    plans.py LOG DATABASE_URL [MIN_ROWS]

LOG is a stretch of the server log written with auto_explain on (log_level warning, text format), in which each
read was preceded by a `bench-scale-read: LABEL` warning. Prints, tab-separated, `label table rows` for each
sequential scan of a table whose planner estimate (pg_class.reltuples) is at least MIN_ROWS (100000), once per label
and table; on standard error, how many plans it read (none means auto_explain logged nothing: a broken run).
"""
import re
import subprocess
import sys

log, url = sys.argv[1], sys.argv[2]
min_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 100000

sizes = {}
out = subprocess.run(["psql", "-X", "-qAt", "-F", "\t", url, "-c",
                      "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind IN ('r', 'p', 'm')"],
                     check=True, capture_output=True, text=True).stdout
for line in out.splitlines():
    name, rows = line.split("\t")
    sizes[name] = int(rows)

label, seen, plans = "(before the first read)", set(), 0
entry = re.compile(r"^\S.*?\b(WARNING|LOG|ERROR|FATAL|NOTICE):\s+(.*)$")
for line in open(log, encoding="utf-8", errors="replace"):
    m = entry.match(line)
    if m and m.group(2).startswith("bench-scale-read: "):
        label = m.group(2)[len("bench-scale-read: "):].strip()
        continue
    if m and "plan:" in m.group(2):
        plans += 1
    for table in re.findall(r"Seq Scan on (\w+)", line):
        rows = sizes.get(table, 0)
        if rows >= min_rows and (label, table) not in seen:
            seen.add((label, table))
            print(f"{label}\t{table}\t{rows}")
print(f"plans read: {plans}", file=sys.stderr)
