"""pipeline's load path: what reaches the store per transaction (no timing here)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from newsgraph import pipeline, summary
from newsgraph.rdf import ENTITIES_GRAPH, article_graph, validate
from newsgraph.settings import Settings
from newsgraph.store import EmbeddedStore

PROV_GENERATED = "http://www.w3.org/ns/prov#generatedAtTime"

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


def test_the_embedded_store_goes_to_disk_less_often_as_a_long_run_grows(tmp_path: Path, monkeypatch: Any) -> None:
    """A run holding the store open flushes its memtables after every batch while it is young, then
    once a quarter of what it has written has gathered, at most ``store_flush_quads`` quads (and
    on close; each flush makes RocksDB rewrite its first level, a cost that grows with the store)."""
    graphs = mapped()
    per_call = sum(len(g) for g in graphs)
    flushes: list[int] = []
    calls = [0]
    real = EmbeddedStore.flush
    monkeypatch.setattr(EmbeddedStore, "flush", lambda self: (flushes.append(calls[0]), real(self))[1])
    settings = Settings(data_dir=tmp_path / "data", store_flush_quads=3 * per_call)
    with pipeline.store_writer(settings):
        for calls[0] in range(1, 17):
            pipeline.load_graphs(settings, graphs, count=False)
        # the budget after call n: min(3, n/4) calls' quads - every call to the 4th, then 6, 8, 11, 14
        assert flushes == [1, 2, 3, 4, 6, 8, 11, 14]
    every = Settings(data_dir=tmp_path / "every", store_flush_quads=0)
    flushes.clear()
    with pipeline.store_writer(every):
        for calls[0] in range(1, 4):
            pipeline.load_graphs(every, graphs, count=False)
        assert flushes == [1, 2, 3]


def test_a_long_run_reopens_the_embedded_store_to_empty_its_caches(tmp_path: Path, monkeypatch: Any) -> None:
    """A run holding the store open closes it every ``store_reopen_quads`` quads and the next batch
    opens it again (the one way to empty RocksDB's block caches, which the summary's upkeep fills):
    the store ends up as one long open would leave it, summary rows included; 0 = never reopened."""
    graphs = mapped()
    opens: list[int] = []
    calls = [0]
    real = pipeline.open_for_writing
    monkeypatch.setattr(pipeline, "open_for_writing", lambda *a, **kw: (opens.append(calls[0]), real(*a, **kw))[1])
    every = [*graphs, *graphs[:2]]  # the last two replace articles
    budget = min(len(g) for g in graphs)  # reached by every call
    settings = Settings(data_dir=tmp_path / "data", store_reopen_quads=budget)
    with pipeline.store_writer(settings) as writer:
        for calls[0], g in enumerate(every, start=1):
            pipeline.load_graphs(settings, [g], count=False)
        assert opens == list(range(1, len(every) + 1))  # closed after every call, opened by the next
        assert writer.count() > 0
        assert opens == [*range(1, len(every) + 1), len(every)]  # counting after the last call opened it again
    once = Settings(data_dir=tmp_path / "once", store_reopen_quads=0)
    opens.clear()
    with pipeline.store_writer(once):
        for calls[0], g in enumerate(every, start=1):
            pipeline.load_graphs(once, [g], count=False)
        assert opens == [1]

    def content(path: Path) -> set[str]:
        store = EmbeddedStore(path, read_only=True)
        try:
            assert summary.check(store) == (set(), set())  # the summary rows match a full recount
            return {str(q) for q in store.pyoxigraph.quads_for_pattern(None, None, None, None)
                    if q.predicate.value != PROV_GENERATED}  # (the graphs' write times differ)
        finally:
            store.close()

    assert content(settings.store_dir) == content(once.store_dir)


_KILLED_WRITER = """
import importlib.util, os, signal, sys
from pathlib import Path
from newsgraph import pipeline
from newsgraph.rdf import article_graph, validate
from newsgraph.settings import Settings
spec = importlib.util.spec_from_file_location("arts", sys.argv[2])
arts = importlib.util.module_from_spec(spec); spec.loader.exec_module(arts)
graphs = [article_graph(a, extracted_at="2026-11-26T23:00:00Z") for a in arts.all_articles()]
for g in graphs:
    validate(g)
import newsgraph.store
from newsgraph.store import EmbeddedStore
newsgraph.store.BULK_INGEST_MAX = int(sys.argv[4])  # 1: new graphs through a transaction too
plain = EmbeddedStore(None)  # what the store must hold: the same graphs (same validation times), in memory
plain.publish(graphs)
Path(sys.argv[3]).write_text("\\n".join(str(q) for q in plain.pyoxigraph.quads_for_pattern(None, None, None, None)))
settings = Settings(data_dir=Path(sys.argv[1]), store_flush_quads=10**9)
with pipeline.store_writer(settings):
    pipeline.load_graphs(settings, graphs[:2], count=False)
    pipeline.load_graphs(settings, graphs[2:], count=False)
    print("written", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # before any flush or close
"""


@pytest.mark.parametrize("ingest_max", [1_000_000, 1], ids=["ingested", "transaction"])
def test_batches_written_but_not_yet_flushed_survive_a_killed_run(tmp_path: Path, ingest_max: int) -> None:
    """What load_graphs reported as written is in the store after a SIGKILL that came before the
    memtables went to disk: new graphs ingested as table files (in RocksDB's manifest when the call
    returns) or committed through the write-ahead log, the summary rows committed after them."""
    import subprocess
    import sys

    graphs = mapped()
    names = {g.iri for g in graphs} | {ENTITIES_GRAPH}

    def dump(store: ox.Store) -> list[str]:
        return sorted(str(q) for q in store.quads_for_pattern(None, None, None, None) if q.graph_name.value in names)

    data, expected = tmp_path / "data", tmp_path / "expected.nq"
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(data),
                           str(Path(__file__).parents[1] / "rdf" / "_articles.py"), str(expected), str(ingest_max)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == -9 and "written" in proc.stdout, proc.stderr[-2000:]
    want = sorted(line for line in expected.read_text().splitlines() if line.rsplit(" ", 1)[-1].strip("<>") in names)
    store = EmbeddedStore(data / "store")  # opening replays the log
    try:
        got = dump(store.pyoxigraph)
    finally:
        store.close()
    assert got == want and len(want) > sum(len(g.quads) for g in graphs)
