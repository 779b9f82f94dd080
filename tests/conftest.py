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
