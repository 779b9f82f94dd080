"""The dev corpus, built once into a graph (`newsgraph run`, linking through the local Wikidata
subset), queried embedded and through a real `oxigraph serve-read-only` over the same store."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsgraph.cli import cli
from newsgraph.store import with_prefixes

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "queries"
DEV_CORPUS = (REPO / ".." / "shared" / "eval" / "corpus" / "dev").resolve()

Rows = list[dict[str, str | None]]


def query_text(name: str, subs: dict[str, str] | None = None) -> str:
    """A cookbook query, with its VALUES parameters replaced as a researcher would (``subs``)."""
    text = (QUERIES / name).read_text(encoding="utf-8")
    for old, new in (subs or {}).items():
        assert old in text, (name, old)
        text = text.replace(old, new)
    return text


def _rows(doc: dict[str, Any]) -> Rows:
    names = doc["head"]["vars"]
    return [{v: (b[v]["value"] if v in b else None) for v in names} for b in doc["results"]["bindings"]]


@pytest.fixture(scope="session")
def dev_data_dir(tmp_path_factory: pytest.TempPathFactory, wikidata_sparql_url: str) -> Path:
    """The data folder after `newsgraph run` over the whole dev corpus, linked against the subset."""
    d = tmp_path_factory.mktemp("cookbook") / "data"
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("NEWSGRAPH_DATA_DIR", str(d))
        mp.setenv("NEWSGRAPH_LINKING", "on")
        mp.setenv("NEWSGRAPH_WIKIDATA_SPARQL", wikidata_sparql_url)
        mp.setenv("NEWSGRAPH_WIKIDATA_API", "")
        mp.setenv("NEWSGRAPH_STORE", "embedded")
        r = CliRunner().invoke(cli, ["run", str(DEV_CORPUS), "--data-dir", str(d)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    finally:
        mp.undo()
    return d


@pytest.fixture(scope="session")
def embedded(dev_data_dir: Path) -> Callable[[str], Rows]:
    """Run a query file through `newsgraph query` on the embedded store."""
    def ask(name: str, subs: dict[str, str] | None = None) -> Rows:
        r = CliRunner().invoke(cli, ["query", query_text(name, subs), "--data-dir", str(dev_data_dir),
                                     "--format", "json"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return _rows(json.loads(r.stdout))
    return ask


@pytest.fixture(scope="session")
def server_url(dev_data_dir: Path, start_oxigraph: Any) -> Iterator[str]:
    """A real `oxigraph serve-read-only` over the same store, union default graph."""
    with start_oxigraph(["serve-read-only", "--location", str(dev_data_dir / "store"),
                         "--union-default-graph"]) as url:
        yield url + "/query"


@pytest.fixture(scope="session")
def served(server_url: str) -> Callable[[str], Rows]:
    """Run a query file through SPARQLWrapper against the server."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    def ask(name: str, subs: dict[str, str] | None = None) -> Rows:
        sw = SPARQLWrapper(server_url)
        sw.setQuery(with_prefixes(query_text(name, subs)))
        sw.setReturnFormat(JSON)
        return _rows(sw.query().convert())  # type: ignore[arg-type]
    return ask
