#!/usr/bin/env bash
# make test: every test, against the private PostgreSQL cluster (scripts/pg.sh), never a mock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The code's layout, as .swift-format says (swift-format ships with the toolchain): `swift format -i -r Sources Tests`
# fixes what this finds.
swift format lint --strict -r Sources Tests Package.swift

scripts/pg.sh start
export CRX_TEST_ADMIN_URL=${CRX_TEST_ADMIN_URL:-$(scripts/pg.sh url postgres)}

swift build --build-tests
mkdir -p .build/test-artifacts
rm -f .build/test-artifacts/*
swift test --skip-build "$@" 2>&1 | tee .build/test-artifacts/swift-test.log
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || exit "$status"

# The catalogue's FHIR export, written by a test, checked by a third-party FHIR library.
if [ -f .build/test-artifacts/catalogue.fhir.json ]; then
    python=$(scripts/venv.sh "fhir.resources>=8")
    "$python" scripts/validate_fhir.py .build/test-artifacts/catalogue.fhir.json
fi
# System tests of the built binary (issues 10 and 19.4): two servers racing on one database, an import and a
# reconciliation killed with SIGKILL midway, the database restarted under a running server, and taken away 20
# times under load. The executable is built by name, so it is the current one.
swift build --product consortiumrx
export CRX_BIN
CRX_BIN=$(swift build --show-bin-path)/consortiumrx
Tests/System/race.sh
Tests/System/kill_test.sh
Tests/System/restart.sh
Tests/System/outage.sh
# The stock ledger's schema (issue 21): negative stock impossible, 16 sessions racing for the last units.
Tests/System/stock_schema.sh
# Migration 024 on a database with history: deliveries and preparation transfers become movements, once.
Tests/System/stock_opening_history.sh
# The shortage schema (issue 22): one open record per consortium and drug, also with two sessions racing.
Tests/System/shortage_schema.sh
# Extended prescriptions' schema (issue 23): the patient index, prescriber binding, state CHECKs.
Tests/System/extended_rx_schema.sh
# The hot paths' plans on generated data (issue 28): no sequential scan of a large table.
Tests/System/scale_plans.sh
# A read replica (issue 28): reports served by a real streaming replica, and correct once it has caught up.
Tests/System/replica.sh
# Automatic failover (issue 28): pg_auto_failover's primary killed under load; the server follows, nothing acknowledged lost.
Tests/System/failover.sh
# The web console in a real browser (issue 26): headless Chromium through its WebDriver.
Tests/Browser/run.sh

grep -E "Test run with .* tests" .build/test-artifacts/swift-test.log | tail -1
