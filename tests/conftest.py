"""Shared fixtures: paths to the shared corpus and the Wikidata subset, and a fresh data folder."""
from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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



@contextmanager
def oxigraph_process(args: list[str]) -> Iterator[str]:
    """Run the `oxigraph` command (``serve``/``serve-read-only`` + ``args``) on a free loopback port;
    yield its base URL once it answers, stop it on exit. Skips when the command is not installed."""
    from newsgraph.serve import free_port

    exe = shutil.which("oxigraph")
    if exe is None:
        pytest.skip("needs the `oxigraph` command")
    port = free_port()
    proc = subprocess.Popen([exe, *args, "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        probe = url + "/query?" + urllib.parse.urlencode({"query": "ASK {}"})
        for _ in range(200):  # up to ~20 s
            if proc.poll() is not None:
                raise RuntimeError(f"oxigraph exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                with urllib.request.urlopen(probe, timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("oxigraph did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def start_oxigraph() -> Callable[[list[str]], AbstractContextManager[str]]:
    """``with start_oxigraph(["serve", "--location", d]) as base_url: ...`` (see oxigraph_process)."""
    return oxigraph_process


@pytest.fixture(scope="session")
def wikidata_sparql_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve-read-only` on loopback, loaded with the shared Wikidata subset: the
    one local Wikidata SPARQL endpoint of the whole session (tests/link, tests/service and
    tests/faults alias it)."""
    exe = shutil.which("oxigraph")
    if exe is None or not WIKIDATA_SUBSET.is_file():
        pytest.skip("needs the `oxigraph` command and ../shared/wikidata/wikidata-subset.nt")
    db = tmp_path_factory.mktemp("wikidata-db")
    subprocess.run([exe, "load", "--location", str(db), "--file", str(WIKIDATA_SUBSET)], check=True,
                   capture_output=True, timeout=120)
    with oxigraph_process(["serve-read-only", "--location", str(db)]) as url:
        yield url + "/query"
