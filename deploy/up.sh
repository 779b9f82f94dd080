#!/usr/bin/env bash
# Start newsgraph as a service on this machine, all on loopback (docs/deploy.md):
# PostgreSQL (Prefect's database), the Prefect server + UI, the deployments of deploy/prefect.yaml,
# the store server, the read-only SPARQL endpoint and N workers on the `process` pool.
#   deploy/up.sh [--workers 2]        then open the Prefect UI it prints; stop with deploy/down.sh
# Ports: NEWSGRAPH_PREFECT_PORT (4200), NEWSGRAPH_ENDPOINT_PORT (7878), NEWSGRAPH_STORE_PORT (7879),
# NEWSGRAPH_POSTGRES_PORT (54329). Data: NEWSGRAPH_DATA_DIR. Needs ./scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" -m newsgraph.cli deploy up "$@"
