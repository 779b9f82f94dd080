#!/usr/bin/env bash
# Run the whole test suite (installs first; tests start the local servers they need).
#   ./scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
PY=${PYTHON:-python3}
exec "$PY" -m pytest "$@"
