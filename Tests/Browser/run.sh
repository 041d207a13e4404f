#!/usr/bin/env bash
# The web console in a real browser (issue 26): one `consortiumrx serve` on a fresh database with the demo data and
# eight console accounts, driven by headless Chromium through its WebDriver (Tests/Browser/console_test.py).
#
#   Tests/Browser/run.sh [unittest arguments]   uses .build/debug/consortiumrx (CRX_BIN overrides), the private cluster
#                        of scripts/pg.sh (CRX_PG_PORT, CRX_PG_CLUSTER), a database crx_browser dropped and recreated
#                        each run (CRX_BROWSER_DB overrides), the server on a free port; screenshots of every page
#                        visited go to .build/console-screenshots
#
# Chromium and its driver are Debian's packages (chromium, chromium-driver), installed here when missing and run as
# root; Selenium comes from PyPI into the project's venv. Selenium Manager is kept offline: nothing is downloaded
# at run time, the browser and the driver are the ones in /usr/bin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=${CRX_BIN:-.build/debug/consortiumrx}
db=${CRX_BROWSER_DB:-crx_browser}
[ -x "$bin" ] || { echo "run.sh: $bin not found; run swift build first" >&2; exit 1; }

# A Chinese font too (fonts-wqy-microhei, 1.6 MB), or the pages' Chinese shows as boxes in the screenshots.
cjk_font=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -f "$cjk_font" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "run.sh: installing chromium, chromium-driver and fonts-wqy-microhei with apt-get" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei) >&2
    fi
    if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        cat >&2 <<MSG
run.sh: the browser test needs /usr/bin/chromium and /usr/bin/chromedriver, and they are missing.
Install them as root, for example:
    sudo apt-get install chromium chromium-driver fonts-wqy-microhei      (Debian, Ubuntu)
then run this again.
MSG
        exit 1
    fi
    [ -f "$cjk_font" ] || echo "run.sh: no Chinese font (apt-get install fonts-wqy-microhei): screenshots will show boxes" >&2
fi
python=$(scripts/venv.sh "selenium==4.51.0" "pypdf==5.1.0")
export SE_OFFLINE=true

scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh url "$db")
psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"

"$bin" migrate >/dev/null
"$bin" seed --demo >/dev/null
# Cheap passwords (bcrypt's least cost) and a short lockout: the test logs in some fifty times, and locks one account.
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" \
    -c "UPDATE policy_defaults SET value = '4' WHERE key = 'console_bcrypt_cost'" \
    -c "UPDATE policy_defaults SET value = '2' WHERE key = 'console_lockout_minutes'"

pw='长处方-Console-2026'
user() { printf '%s\n' "$pw" | "$bin" user create --password-stdin "$@" >/dev/null; }
user --name admin1 --role consortium_admin --consortium JLTCM --display-name 王主任
user --name pharm1 --role institution_pharmacist --consortium JLTCM --institution YJ-TCMH --display-name 张药师
user --name pharm2 --role institution_pharmacist --consortium JLTCM --institution SL-TCMH --display-name 李药师
user --name doc1 --role prescriber --consortium JLTCM --institution JL-TCMH --prescriber DR-JL-0001 --display-name 刘医生
user --name locky --role auditor --consortium JLTCM
user --name fin1 --role finance --consortium JLTCM --display-name 周会计
user --name buyer1 --role procurement_officer --consortium JLTCM --institution CY-BJL-CHC --display-name 吴采购
# A second pharmacist at YJ-TCMH (a count is approved by a second person) and the lead's pharmacist (it dispenses the
# demo's extended prescriptions).
user --name pharm3 --role institution_pharmacist --consortium JLTCM --institution YJ-TCMH --display-name 陈药师
user --name leadpharm1 --role institution_pharmacist --consortium JLTCM --institution JL-TCMH --display-name 周药师
# The pharmacy centre at the lead institution: drafts and publishes the catalogue, and endorses it as the lead.
user --name centre1 --role consortium_admin --consortium JLTCM --institution JL-TCMH --display-name 孙主任
# The long-prescription desk's prescriber: the registered DR-CY-0001 at the community centre (as ConsoleDeskTests').
user --name doc2 --role prescriber --consortium JLTCM --institution CY-BJL-CHC --prescriber DR-CY-0001 --display-name 赵医生
# The national master data admin (no consortium): edits a drug's master data.
user --name national1 --role master_data_admin --display-name 钱主任

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/crx-browser.XXXXXX")
pid=
stop_server() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_server EXIT

port=$(free_port)
base_url="http://127.0.0.1:$port"
"$bin" serve --host 127.0.0.1 --port "$port" --log-level warning 2>"$work/server.log" >&2 &
pid=$!

healthy() { python3 -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=2).status != 200)' "$1" 2>/dev/null; }
for attempt in $(seq 100); do
    healthy "$base_url" && break
    if ! kill -0 "$pid" 2>/dev/null || [ "$attempt" = 100 ]; then
        echo "run.sh: the server did not answer /healthz on $base_url" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

# CRX_BIN too: the test makes the JSON API's tokens with `token create` (the other members' endorsements).
export CRX_BASE_URL=$base_url CRX_SCREENSHOTS=.build/console-screenshots CRX_BIN=$bin
rm -rf "$CRX_SCREENSHOTS"
mkdir -p "$CRX_SCREENSHOTS"
status=0
# Bounded as a whole (each wait in the test has its own 10 s limit); `timeout` where there is one.
limit=(); command -v timeout >/dev/null 2>&1 && limit=(timeout 600)
${limit[@]+"${limit[@]}"} "$python" Tests/Browser/console_test.py "$@" || status=$?
if [ "$status" != 0 ]; then
    echo "--- server log (last lines)" >&2
    tail -n 100 "$work/server.log" >&2
    echo "--- screenshots of the pages visited: $CRX_SCREENSHOTS" >&2
fi
exit "$status"
