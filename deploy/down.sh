#!/usr/bin/env bash
# Stop everything deploy/up.sh started (workers, endpoint, store, Prefect server, PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" -m newsgraph.cli deploy down "$@"
