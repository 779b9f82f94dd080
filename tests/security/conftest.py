"""Fixtures for the security tests: the helpers of tests/faults (real oxigraph servers, module
loading), the hand-made articles of tests/rdf, and a writable local mirror of the Wikidata subset."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_name = "ngtest_faults_support"
if _name not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_name, Path(__file__).parents[1] / "faults" / "_support.py")
    assert _spec and _spec.loader
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules[_name] = _mod
    _spec.loader.exec_module(_mod)
support = sys.modules[_name]


@pytest.fixture(scope="session")
def writable_mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[support.OxigraphServer]:  # type: ignore[name-defined]
    """The Wikidata subset behind a *writable* `oxigraph serve`: if any look-up could smuggle an
    update, this server would carry it out, so its staying intact means something."""
    if not support.WIKIDATA_SUBSET.is_file():
        pytest.skip(f"the Wikidata subset is not at {support.WIKIDATA_SUBSET}")
    location = tmp_path_factory.mktemp("mirror")
    server = support.OxigraphServer(location)
    subprocess.run([server.exe, "load", "--location", str(location), "--file", str(support.WIKIDATA_SUBSET)],
                   check=True, capture_output=True, timeout=120)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[support.OxigraphServer]:  # type: ignore[name-defined]
    """A writable `oxigraph serve` used as newsgraph's store server."""
    server = support.OxigraphServer(tmp_path_factory.mktemp("store-server"))
    try:
        yield server.start()
    finally:
        server.stop()
