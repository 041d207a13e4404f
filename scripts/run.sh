#!/usr/bin/env bash
# make run: a private PostgreSQL, migrations, the demo consortium, a demo token, and the API on 127.0.0.1:${PORT:-8080}.
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

cat <<MSG

ConsortiumRx is starting on http://127.0.0.1:$port (database: $DATABASE_URL)
A demo token for the consortium admin of JLTCM (吉林市中医医联体) was created just now:

  export TOKEN=$token
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$port/v1/consortia/JLTCM/institutions'
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$port/v1/drugs?q=%E9%BB%84%E8%8A%AA'   # 黄芪

Other roles: $bin token create --role prescriber --consortium JLTCM --institution CY-BJL-CHC
Drugs and suppliers (national master data): $bin token create --role master_data_admin
The contract: http://127.0.0.1:$port/openapi.yaml    Stop with Ctrl-C.

MSG
exec "$bin" serve --port "$port"
