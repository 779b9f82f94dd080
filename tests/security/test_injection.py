"""Text from articles never reaches a SPARQL or SQL string unescaped. Hostile names go through
extraction, linking (the linker's VALUES queries, against a writable local SPARQL server holding
the Wikidata subset; its SQLite cache) and loading (SPARQL Update into a store server, and the
embedded store's replace path): the mirror and the store stay intact and every name comes back
exactly as it was written."""
from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import ngtest_faults_support as support
import pytest

from newsgraph._models import Article, Entity, Mention
from newsgraph.link import make_linker
from newsgraph.pipeline import extract_articles, map_articles
from newsgraph.rdf._namespaces import clean_name
from newsgraph.settings import Settings
from newsgraph.store import EmbeddedStore, RemoteStore

arts = support.load_module("rdf/_articles.py", "ngtest_rdf_articles")

HOSTILE = [
    '"} ; DROP ALL ; #',
    "\u0000",
    'Jordan"@en } } ; DROP ALL ; INSERT DATA { <http://evil.example/x> <http://evil.example/y> "z" } #',
    "'); DROP TABLE lookup; --",
    "Robert'); DELETE FROM validators; --",
    "\\\" } CLEAR DEFAULT #",
    "\\u0022} DROP ALL #",
    "<http://evil.example/> } DROP ALL",
    "line\nbreak\r\"\t} ;",
    "Ünïcødé 北京 مصر \u202eevil\u202c",
]


def count(server: support.OxigraphServer) -> int:  # type: ignore[name-defined]
    r = __import__("requests").post(server.url + "/query", data="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                    headers={"Content-Type": "application/sparql-query",
                                             "Accept": "application/sparql-results+json"}, timeout=30)
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def hostile_article() -> Article:
    """An article whose text carries the hostile names, extracted by the real extractor, plus one
    entity per hostile name (spaCy would not find them verbatim, so they are added as found)."""
    body = [f"The minister met {name} in Amman on Friday, officials said." for name in HOSTILE]
    article = Article(id=Article.make_id("Hostile names", body), headline='Hostile "} ; DROP ALL ; # names',
                      body=body, source="/in/hostile.txt", page_sha256="ab" * 32, page_name="hostile.txt",
                      fetched_at="2026-11-26T23:00:00Z")
    (article,) = extract_articles(Settings(), [article])
    for i, name in enumerate(HOSTILE):
        start = article.text.index(name)
        for kind in ("person", "organization", "place", "state"):
            article.entities.append(Entity(kind=kind, name=f"{name} {kind} {i}",  # type: ignore[arg-type]
                                           mentions=[Mention(text=name, start=start, end=start + len(name))]))
    return article


@pytest.fixture(scope="module")
def linked(writable_mirror, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    before = count(writable_mirror)
    data = tmp_path_factory.mktemp("inj")
    settings = Settings(data_dir=data, wikidata_sparql=writable_mirror.url + "/query", wikidata_api="",
                        link_requests_per_second=200.0)
    linker = make_linker(settings, timeout=10, attempts=1)
    try:
        article = hostile_article()
        linker([article])
        stats = dict(linker.stats)
    finally:
        linker.close()
    return article, stats, before, settings


def test_linker_queries_leave_the_mirror_intact(linked, writable_mirror) -> None:  # type: ignore[no-untyped-def]
    article, stats, before, _ = linked
    assert stats["errors"] == 0 and stats["unreachable"] == 0  # every hostile look-up was a valid query
    assert stats["http_requests"] >= 1
    assert all(e.link is not None and not e.link.needs_relink for e in article.entities)
    assert count(writable_mirror) == before
    r = __import__("requests").get(writable_mirror.url + "/query", params={
        "query": "ASK { <http://www.wikidata.org/entity/Q810> <http://www.w3.org/2000/01/rdf-schema#label> \"Jordan\"@en }"},
        headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.json()["boolean"] is True


def test_link_cache_keeps_hostile_names_as_data(linked) -> None:  # type: ignore[no-untyped-def]
    _, _, _, settings = linked
    db = sqlite3.connect(settings.cache_path)
    try:
        keys = [k for (k,) in db.execute("SELECT key FROM lookup")]
        tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.close()
    assert "lookup" in tables
    for name in ("'); DROP TABLE lookup; --", '"} ; DROP ALL ; #', "\u0000"):
        assert any(k.endswith("\x1f" + name) or name in k for k in keys), name


@pytest.mark.parametrize("backend", ["store-server", "embedded-replace"])
def test_loading_hostile_names_keeps_the_store_intact(linked, backend: str, store_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    article, _, _, _ = linked
    sentinel = arts.attack_article()
    mapped = map_articles(Settings(data_dir=tmp_path), [sentinel, article], extracted_at="2026-11-26T23:00:00Z")
    assert mapped.set_aside == [], mapped.set_aside
    if backend == "store-server":
        __import__("requests").post(store_server.url + "/update", data="DROP ALL",
                                    headers={"Content-Type": "application/sparql-update"}, timeout=30)
        store = RemoteStore(store_server.url)
    else:
        store = EmbeddedStore(tmp_path / "store")
    try:
        store.publish([mapped.graphs[0]])
        before = store.count()
        store.publish([mapped.graphs[1]])
        store.publish([copy.copy(mapped.graphs[1])])  # again: the replace path (DROP GRAPH + INSERT DATA)
        labels = store.query("SELECT ?l WHERE { ?e rdfs:label ?l }").values("l")
        headlines = store.query("SELECT ?h WHERE { ?a schema:headline ?h }").values("h")
        still = store.query("SELECT ?k WHERE { ?e a ng:Attack ; ng:killed ?k }").values("k")
        evil = store.query("ASK { GRAPH ?g { <http://evil.example/x> ?p ?o } }").boolean
        size = store.count()
    finally:
        store.close()
    for i, name in enumerate(HOSTILE):  # as written (a label is NFC, single-spaced, without bidi marks)
        assert clean_name(f"{name} person {i}") in labels, name
    assert 'Hostile "} ; DROP ALL ; # names' in headlines
    assert still == ["22"]  # the sentinel article is untouched
    assert evil is False
    assert size > before
