"""pipeline's load path: what reaches the store per transaction (no timing here)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from newsgraph import pipeline
from newsgraph.rdf import ENTITIES_GRAPH, article_graph, validate
from newsgraph.settings import Settings
from newsgraph.store import EmbeddedStore

_spec = importlib.util.spec_from_file_location("ngtest_load_articles", Path(__file__).parents[1] / "rdf" / "_articles.py")
assert _spec and _spec.loader
arts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arts)


def mapped() -> list[Any]:
    graphs = [article_graph(a, extracted_at="2026-11-26T23:00:00Z") for a in arts.all_articles()]
    for g in graphs:
        validate(g)
    return graphs


def test_entity_facts_once_keeps_every_fact_and_leaves_the_graphs_alone() -> None:
    graphs = mapped()
    before = [list(g.entity_quads) for g in graphs]
    once = pipeline.entity_facts_once(graphs)
    assert [list(g.entity_quads) for g in graphs] == before  # the caller's graphs are not changed
    every = {q for g in graphs for q in g.entity_quads}
    kept = [q for g in once for q in g.entity_quads]
    assert set(kept) == every and len(kept) == len(every)  # each fact once
    assert [g.iri for g in once] == [g.iri for g in graphs]
    assert all(o.quads is g.quads and o.report_quads is g.report_quads and o.report is g.report
               for o, g in zip(once, graphs))


def test_an_article_given_twice_keeps_its_last_version_with_all_its_facts() -> None:
    graphs = mapped()
    twice = [graphs[0], *graphs[1:], graphs[0]]
    once = pipeline.entity_facts_once(twice)
    assert [g.iri for g in once] == [g.iri for g in graphs]
    assert {q for g in once for q in g.entity_quads} == {q for g in graphs for q in g.entity_quads}


def test_loaded_store_is_the_same_as_publishing_the_graphs_as_they_are(tmp_path: Path) -> None:
    graphs = mapped()
    names = {g.iri for g in graphs} | {ENTITIES_GRAPH}  # the articles' and the shared entities graph

    def dump(store: ox.Store) -> list[str]:
        return sorted(str(q) for q in store.quads_for_pattern(None, None, None, None) if q.graph_name.value in names)

    plain = EmbeddedStore(None)
    plain.publish(graphs)
    want = dump(plain.pyoxigraph)
    settings = Settings(data_dir=tmp_path / "data")
    with pipeline.store_writer(settings) as writer:
        written, _ = pipeline.load_graphs(settings, graphs, count=False)
        assert written == sum(len(g) for g in graphs)  # quads_written counts as before
        writer.close()
    store = ox.Store.read_only(str(settings.store_dir))
    got = dump(store)
    assert got == want and len(want) > sum(len(g.quads) for g in graphs)
