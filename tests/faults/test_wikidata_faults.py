"""Wikidata misbehaves during a run (429 with Retry-After, 500s, a hang, dropped connections): the
`ingest` run completes, links what it can, marks the rest for relink; a later `relink` run
completes them. Run level: the real flows, the real linker client, a local Wikidata on loopback."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsgraph.link import _http
from newsgraph.runs import stale_pages
from newsgraph.settings import load_settings
from newsgraph.store import open_store

from .conftest import LINK_PAGE

pytestmark = pytest.mark.slow

NEEDS_RELINK = "SELECT ?name WHERE { ?d ng:needsRelink true ; ng:linkOf ?e . ?e rdfs:label ?name } ORDER BY ?name"
SAME_AS = "SELECT ?name ?item WHERE { ?e owl:sameAs ?item ; rdfs:label ?name } ORDER BY ?name"


def query(settings, sparql):  # type: ignore[no-untyped-def]
    with open_store(settings, read_only=True) as store:
        return store.query(sparql).rows()


@pytest.fixture
def api_server(subset_path: Path, sparql_url: str) -> Iterator[Any]:
    """A second MediaWiki-API stand-in, with its own fault queue (the first one serves SPARQL)."""
    from ngtest_link_conftest import WikidataAPI

    server = WikidataAPI.start(subset_path, sparql_upstream=sparql_url)
    try:
        yield server
    finally:
        server.stop()


def test_misbehaving_wikidata_then_relink(prefect_api: str, wikidata, api_server, fresh_linkers,  # type: ignore[no-untyped-def]
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.ingest import ingest
    from flows.relink import relink
    from newsgraph import pipeline

    waits: list[float] = []
    monkeypatch.setattr(_http, "_sleep", waits.append)  # the client's back-off waits, recorded not slept
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text("fetch_timeout = 1.0\n")  # the linker's time-out: a hang costs 1 s
    monkeypatch.setenv("NEWSGRAPH_WIKIDATA_SPARQL", wikidata.sparql_url)
    monkeypatch.setenv("NEWSGRAPH_WIKIDATA_API", api_server.api_url)
    monkeypatch.setenv("NEWSGRAPH_STORE", "embedded")
    page = tmp_path / "talks.txt"
    page.write_text(LINK_PAGE, encoding="utf-8")

    # SPARQL: 429 (Retry-After: 1), 500, a hang -> the 4th attempt succeeds.
    # API (searched for what SPARQL did not find): dropped, hung, 503, dropped -> given up: relink.
    wikidata.faults.extend(["429:1", "500", "hang"])
    api_server.faults.extend(["drop", "hang", "503", "drop"])
    summary = ingest(sources=[str(page)], data_dir=str(data), linking=True, publish_report=False)
    assert summary["articles"] == 1 and summary["set_aside"] == []
    assert 1.0 in waits  # Retry-After honoured
    assert not wikidata.faults and not api_server.faults  # every fault was played

    settings = load_settings(data_dir=data)
    linked = {r["name"]: r["item"] for r in query(settings, SAME_AS)}
    assert linked.get("Egypt") == "http://www.wikidata.org/entity/Q79"
    assert linked.get("Jordan") == "http://www.wikidata.org/entity/Q810"
    left = [r["name"] for r in query(settings, NEEDS_RELINK)]
    assert "Harold Quimbleworth" in left  # not found by SPARQL; the API did not answer: marked
    assert "Egypt" not in left and "Jordan" not in left
    assert [p.source for p in stale_pages(settings)] == [str(page.resolve())]

    # Wikidata is healthy again; a later relink run (a new process in production: a new linker)
    pipeline._linkers.clear()
    result = relink(data_dir=str(data))
    assert result["pages"] == 1
    assert query(settings, NEEDS_RELINK) == []
    assert stale_pages(settings) == []
    after = {r["name"]: r["item"] for r in query(settings, SAME_AS)}
    assert after["Egypt"] == linked["Egypt"] and after["Jordan"] == linked["Jordan"]
    # nothing duplicated: one article graph, as before
    n = query(settings, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a schema:NewsArticle }")
    assert n == [{"n": "1"}]
