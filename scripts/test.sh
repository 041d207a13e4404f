#!/usr/bin/env bash
# make test: every test, against the private PostgreSQL cluster (scripts/pg.sh), never a mock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/pg.sh start
export CRX_TEST_ADMIN_URL=${CRX_TEST_ADMIN_URL:-$(scripts/pg.sh url postgres)}

swift build --build-tests
swift test --skip-build "$@"
