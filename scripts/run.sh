#!/usr/bin/env bash
# make run: a private PostgreSQL, migrations, the demo consortium, a demo token and console accounts, and the server on 127.0.0.1:${PORT:-8080}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/pg.sh start
export DATABASE_URL=${DATABASE_URL:-$(scripts/pg.sh url)}
port=${PORT:-8080}

echo "Building (the first build takes several minutes)..."
swift build --product consortiumrx
bin=$(swift build --show-bin-path)/consortiumrx

"$bin" migrate
"$bin" seed --demo
token=$("$bin" token create --role consortium_admin --consortium JLTCM --name "make run demo")

# Web-console accounts for the demo, with a fresh password each run (printed below, never stored in the repository).
console_password="Demo-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12)"
console_user() {
    local name=$1; shift
    if "$bin" user list --consortium JLTCM | cut -f1 | grep -qx "$name"; then
        printf '%s\n' "$console_password" | "$bin" user reset-password --name "$name" --password-stdin >/dev/null
    else
        printf '%s\n' "$console_password" | "$bin" user create --name "$name" --consortium JLTCM --password-stdin "$@" >/dev/null
    fi
}
console_user demo-admin --role consortium_admin --display-name 药学中心演示
console_user demo-pharm --role institution_pharmacist --institution YJ-TCMH --display-name 永吉药师演示
console_user demo-doc --role prescriber --institution JL-TCMH --prescriber DR-JL-0001 --display-name 医师演示
console_user demo-fin --role finance --display-name 财务演示

cat <<MSG

ConsortiumRx is starting on http://127.0.0.1:$port (database: $DATABASE_URL)
A demo token for the consortium admin of JLTCM (吉林市中医医联体) was created just now:

  export TOKEN=$token
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$port/v1/consortia/JLTCM/institutions'
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$port/v1/drugs?q=%E9%BB%84%E8%8A%AA'   # 黄芪

The web console: http://127.0.0.1:$port/console/  (user demo-admin, demo-pharm, demo-doc or demo-fin, password $console_password)
More accounts: $bin user create --name NAME --role ROLE --consortium JLTCM [--institution CODE] --password-stdin

Other roles: $bin token create --role prescriber --consortium JLTCM --institution CY-BJL-CHC
Drugs and suppliers (national master data): $bin token create --role master_data_admin
The contract: http://127.0.0.1:$port/openapi.yaml    Stop with Ctrl-C.

MSG
exec "$bin" serve --port "$port"
