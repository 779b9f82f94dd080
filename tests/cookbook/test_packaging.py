"""A non-editable install carries ontology/ and mappings/ (pyproject.toml data-files)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("wheel", reason="pip wheel --no-build-isolation needs the `wheel` package")


@pytest.mark.slow
def test_wheel_ships_ontology_and_mappings(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", str(REPO),
         "-w", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = tmp_path.glob("newsgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    share = "newsgraph-0.1.0.data/data/share/newsgraph/"
    expected = [share + "ontology/" + p.name for p in (REPO / "ontology").glob("*.ttl")]
    expected += [share + "mappings/" + p.name for p in (REPO / "mappings").glob("*.jsonld")]
    assert expected and set(expected) <= names, sorted(set(expected) - names)
    # and the code looks there when there is no checkout next to the package
    assert "newsgraph/rdf/_namespaces.py" in names
