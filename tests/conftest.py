"""Shared fixtures: paths to the shared corpus and the Wikidata subset, and a fresh data folder."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
DEV_CORPUS = SHARED / "eval" / "corpus" / "dev"
WIKIDATA_SUBSET = SHARED / "wikidata" / "wikidata-subset.nt"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty newsgraph data folder, also exported as NEWSGRAPH_DATA_DIR."""
    d = tmp_path / "data"
    monkeypatch.setenv("NEWSGRAPH_DATA_DIR", str(d))
    monkeypatch.setenv("NEWSGRAPH_LINKING", "off")
    return d


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def wikidata_sparql_url(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real `oxigraph serve-read-only` on loopback, loaded with the shared Wikidata subset."""
    import shutil
    import subprocess
    import time

    import requests

    exe = shutil.which("oxigraph")
    if exe is None or not WIKIDATA_SUBSET.is_file():
        pytest.skip("needs the `oxigraph` command and ../shared/wikidata")
    db = tmp_path_factory.mktemp("wikidata-db")
    subprocess.run([exe, "load", "--location", str(db), "--file", str(WIKIDATA_SUBSET)], check=True,
                   capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([exe, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        for _ in range(200):
            try:
                if requests.get(url, params={"query": "ASK {}"}, timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        else:
            raise RuntimeError("oxigraph did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
