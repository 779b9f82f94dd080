"""Fixtures for the knowledge-graph tests: hand-made articles, their graphs, stores and servers.

Stores are tested as one abstract suite over each backend (pyoxigraph's TestAbstractStore idea):
an embedded on-disk store in a temporary folder, and a real ``oxigraph serve`` on a free loopback
port (session-scoped; emptied before each test).
"""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("ngtest_rdf_articles", HERE / "_articles.py")
assert _spec and _spec.loader
articles = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = articles
_spec.loader.exec_module(articles)

_spec2 = importlib.util.spec_from_file_location("ngtest_rdf_helpers", HERE / "_helpers.py")
assert _spec2 and _spec2.loader
helpers = importlib.util.module_from_spec(_spec2)
sys.modules[_spec2.name] = helpers
_spec2.loader.exec_module(helpers)

from newsgraph import Settings
from newsgraph.rdf import ArticleGraph, article_graph
from newsgraph.store import EmbeddedStore, RemoteStore, open_store

EXTRACTED_AT = "2026-11-26T23:00:00Z"


@pytest.fixture
def meeting():  # type: ignore[no-untyped-def]
    return articles.meeting_article()


@pytest.fixture
def attack():  # type: ignore[no-untyped-def]
    return articles.attack_article()


@pytest.fixture
def agreement():  # type: ignore[no-untyped-def]
    return articles.agreement_article()


@pytest.fixture
def three_graphs() -> list[ArticleGraph]:
    """The meeting, attack and agreement articles mapped (not yet validated)."""
    return [article_graph(a, extracted_at=EXTRACTED_AT) for a in
            (articles.meeting_article(), articles.attack_article(), articles.agreement_article())]


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory, start_oxigraph: Any) -> Iterator[str]:
    """A real read-write ``oxigraph serve`` on a free loopback port, for the whole session."""
    with start_oxigraph(["serve", "--location", str(tmp_path_factory.mktemp("oxigraph-server"))]) as url:
        yield url


@pytest.fixture
def empty_server(oxigraph_server: str) -> str:
    """The session's oxigraph server, emptied."""
    r = requests.post(oxigraph_server + "/update", data="DROP ALL",
                      headers={"Content-Type": "application/sparql-update"}, timeout=10)
    r.raise_for_status()
    return oxigraph_server


@pytest.fixture(params=["embedded", pytest.param("update", marks=pytest.mark.server),
                        pytest.param("gsp", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty store of each backend: embedded on disk; a real ``oxigraph serve`` written by one
    SPARQL Update a batch (what ``settings.store = <url>`` selects); the same server written by
    Graph Store Protocol PUTs."""
    if request.param == "embedded":
        s: Any = open_store(Settings(data_dir=tmp_path))
        assert isinstance(s, EmbeddedStore)
    else:
        url = request.getfixturevalue("empty_server")
        s = open_store(Settings(store=url)) if request.param == "update" else RemoteStore(url, method="gsp")
        assert isinstance(s, RemoteStore) and s.method == request.param
    yield s
    s.close()
