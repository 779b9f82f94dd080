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
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = tmp_path.glob("newsgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    share = "newsgraph-0.1.0.data/data/share/newsgraph/"
    expected = [share + "ontology/" + p.name for p in (REPO / "ontology").glob("*.ttl")]
    expected += [share + "mappings/" + p.name for p in (REPO / "mappings").glob("*.jsonld")]
    assert expected and set(expected) <= names, sorted(set(expected) - names)

    # installed non-editable (a venv that sees this Python's dependencies), the code finds them there
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    probe = ("import newsgraph.rdf._namespaces as n; "
             "print(n.ontology_dir() / 'shapes.ttl'); print(n.mappings_dir() / 'newsgraph.context.jsonld')")
    out = subprocess.run([py, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True)
    found = [Path(line) for line in out.stdout.split()]
    assert all(f.is_file() and venv in f.parents for f in found), out.stdout
