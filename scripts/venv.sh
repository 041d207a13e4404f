#!/usr/bin/env bash
# A git-ignored Python virtual environment (.venv) with the third-party checkers the tests use.
#   scripts/venv.sh PACKAGE...   installs what is missing and prints the venv's python
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv >&2 || { echo "scripts/venv.sh: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
fi
for package in "$@"; do
    module=${package%%[=<>]*}
    .venv/bin/pip show -q "$module" >/dev/null 2>&1 || .venv/bin/pip install -q "$package" >&2
done
echo "$PWD/.venv/bin/python"
