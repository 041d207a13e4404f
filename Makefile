# ConsortiumRx: the two commands a newcomer types are `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: run test build release db-start db-stop db-url migrate seed fuzz bench clean

## Start the private PostgreSQL, migrate, load the demo consortium, serve the API and print how to call it.
run:
	@scripts/run.sh

## Build and run every test against a real PostgreSQL started by scripts/pg.sh.
test:
	@scripts/test.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

db-start:
	@scripts/pg.sh start

db-stop:
	@scripts/pg.sh stop

db-url:
	@scripts/pg.sh url

migrate: build db-start
	DATABASE_URL=$$(scripts/pg.sh url) .build/debug/consortiumrx migrate

seed: migrate
	DATABASE_URL=$$(scripts/pg.sh url) .build/debug/consortiumrx seed --demo

## Schemathesis against the contract and a running server on a fresh demo database (scripts/fuzz.sh).
fuzz:
	@scripts/fuzz.sh

## Load tests of a release build (bench/README.md).
bench:
	@bench/run.sh

clean:
	rm -rf .build
