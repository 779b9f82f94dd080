"""The flows under Prefect's test harness: ingest (artifacts, the extraction cache), backfill, relink,
validate, and the Dask task runner. Flows run in-process against an embedded store."""
from __future__ import annotations

import gc
import os
import shutil
import weakref
import zipfile
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client

import flows.tasks as flow_tasks
from flows.backfill import backfill
from flows.ingest import ingest
from flows.relink import relink
from flows.validate import validate_store
from newsgraph.rdf import graph_iri
from newsgraph.settings import load_settings
from newsgraph.store import open_store

from .conftest import dev_pages

pytestmark = pytest.mark.slow


def headlines(data_dir: Path) -> list[str]:
    store = open_store(load_settings(data_dir=str(data_dir)), read_only=True)
    try:
        return sorted(str(h) for h in store.query(
            "SELECT ?h WHERE { ?a a schema:NewsArticle ; schema:headline ?h }").values("h"))
    finally:
        store.close()


@pytest.fixture
def count_extractions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many articles actually went through the extractor (a cache hit adds none)."""
    seen: list[int] = []
    real = flow_tasks.extract_articles

    def counting(settings, articles):  # type: ignore[no-untyped-def]
        seen.append(len(articles))
        return real(settings, articles)

    monkeypatch.setattr(flow_tasks, "extract_articles", counting)
    return seen


def test_ingest_publishes_artifacts_and_does_not_extract_an_unchanged_page_twice(
        data_dir: Path, tmp_path: Path, count_extractions: list[int]) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in dev_pages(2):
        shutil.copy(p, pages / p.name)
    first = ingest(sources=[str(pages)], batch_size=64, linking=False)
    assert first["pages"] == 2 and first["articles"] >= 2, first
    assert first["quads_written"] > 0 and first["set_aside"] == []
    assert first["store_quads"] >= first["quads_written"]  # counted at the end by default (count_store)
    assert sum(count_extractions) == first["articles"]
    stored = headlines(data_dir)
    assert len(stored) == first["articles"]

    second = ingest(sources=[str(pages)], batch_size=64, linking=False)
    assert sum(count_extractions) == first["articles"], "an unchanged page was extracted again"
    assert headlines(data_dir) == stored, "a second run changed or duplicated articles"
    assert second["articles"] == first["articles"]

    # a changed page (new bytes, new hash) is extracted again
    changed = min(pages.iterdir())
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nOfficials said more talks are planned.\n",
                       encoding="utf-8")
    ingest(sources=[str(pages)], batch_size=64, linking=False)
    assert sum(count_extractions) > first["articles"]

    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {"ingest-summary", "ingest-report"} <= keys


def test_ingest_sets_aside_what_it_cannot_read_and_reports_it(data_dir: Path, tmp_path: Path) -> None:
    feeds = data_dir / "feeds.txt"
    feeds.parent.mkdir(parents=True, exist_ok=True)
    feeds.write_text(f"# the feeds\n{tmp_path / 'missing.html'}\n{dev_pages(1)[0]}\n", encoding="utf-8")
    result = ingest(sources=["@feeds.txt"], linking=False)
    assert result["pages"] == 1
    assert [s["stage"] for s in result["set_aside"]] == ["fetch"]
    assert "missing.html" in result["set_aside"][0]["source"]


class Overlap:
    """What the flow's extraction and loading did: ``seen`` - the loads finished when each extraction
    started; ``pids`` - the extraction processes running when a batch was extracted (None: none, the
    run's own process extracted it)."""

    def __init__(self) -> None:
        self.loads_done = 0
        self.seen: list[int] = []
        self.pids: set[int | None] = set()

    def reset(self) -> None:
        self.loads_done = 0
        self.seen.clear()
        self.pids.clear()


@pytest.fixture
def overlap(monkeypatch: pytest.MonkeyPatch) -> Overlap:
    """The flow's extract and load wrapped to record an :class:`Overlap`; extraction is never served
    from an earlier run's cache (each test ingests the same pages twice)."""
    from newsgraph import pipeline

    out = Overlap()
    real_extract, real_load = flow_tasks.extract_articles, flow_tasks.load_graphs

    def extract(settings, articles):  # type: ignore[no-untyped-def]
        out.seen.append(out.loads_done)
        done = real_extract(settings, articles)
        worker = pipeline._extraction_processes.get(settings.spacy_model)
        out.pids.update(worker.pids if worker else [None])
        return done

    def load(settings, graphs, **kw):  # type: ignore[no-untyped-def]
        written = real_load(settings, graphs, **kw)
        out.loads_done += 1
        return written

    monkeypatch.setattr(flow_tasks, "extract_articles", extract)
    monkeypatch.setattr(flow_tasks, "load_graphs", load)
    monkeypatch.setattr(flow_tasks, "extract_task", flow_tasks.extract_task.with_options(refresh_cache=True))
    return out


def store_graph_sizes(data: Path) -> list[tuple[str, int]]:
    """(article graph, triples in it), sorted."""
    store = open_store(load_settings(data_dir=str(data)), read_only=True)
    try:
        return sorted((str(r["g"]), int(str(r["n"]))) for r in store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(STRSTARTS(STR(?g), '{graph_iri('')}')) }} GROUP BY ?g"))
    finally:
        store.close()


def test_batches_in_flight_overlaps_batches_without_changing_the_graph(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overlap: Overlap) -> None:
    """Extracting in the run's own process (threads), by default a batch is extracted only after the
    one before it is loaded - the least CPU an article; batches_in_flight=3 extracts ahead. Either
    way the store ends the same."""
    monkeypatch.setenv("NEWSGRAPH_EXTRACT_IN", "thread")
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in dev_pages(3):
        shutil.copy(p, pages / p.name)
    graphs: dict[int, list[tuple[str, int]]] = {}
    for ahead in (None, 3):
        overlap.reset()
        data = tmp_path / f"data-{ahead}"
        result = ingest(sources=[str(pages)], batch_size=1, linking=False, data_dir=str(data),
                        batches_in_flight=ahead, publish_report=False)
        assert len(overlap.seen) == result["articles"] >= 4, result
        if ahead is None:
            assert overlap.seen == list(range(len(overlap.seen)))  # batch k starts once 0..k-1 are loaded
        else:
            assert overlap.seen[:3] == [0, 0, 0]  # three batches started before the first was loaded
        assert overlap.pids == {None}
        graphs[ahead or 1] = store_graph_sizes(data)
    assert graphs[1] and graphs[1] == graphs[3]


def test_ingest_extracts_in_processes_of_its_own_ahead_of_loading(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overlap: Overlap) -> None:
    """With extract_in "process" the run's extraction happens in other processes (extract_processes),
    the next batches while this one is mapped and loaded (one more in flight than processes); the
    processes end with the run, and the store ends as a run extracting in its own process leaves it."""
    from newsgraph import pipeline

    pages = tmp_path / "pages"
    pages.mkdir()
    for p in dev_pages(3):
        shutil.copy(p, pages / p.name)
    sizes, pids, seen = {}, {}, {}
    for where, processes in (("thread", 0), ("process", 1), ("process", 2)):
        monkeypatch.setenv("NEWSGRAPH_EXTRACT_IN", where)
        monkeypatch.setenv("NEWSGRAPH_EXTRACT_PROCESSES", str(processes))
        overlap.reset()
        data = tmp_path / f"{where}-{processes}"
        result = ingest(sources=[str(pages)], batch_size=1, linking=False, data_dir=str(data),
                        publish_report=False)
        assert len(overlap.seen) == result["articles"] >= 4, result
        sizes[processes], pids[processes], seen[processes] = store_graph_sizes(data), set(overlap.pids), list(overlap.seen)
        assert pipeline._extraction_processes == {}
    assert pids[0] == {None}
    assert seen[1][:2] == [0, 0]  # the second batch started before the first was loaded
    assert seen[2][:3] == [0, 0, 0]  # and with two processes, the third too
    assert len(pids[1]) == 1 and len(pids[2]) == 2
    for pid in pids[1] | pids[2]:
        assert pid is not None and pid != os.getpid()
        with pytest.raises(ProcessLookupError):  # gone with the run
            os.kill(pid, 0)
    assert sizes[0] and sizes[0] == sizes[1] == sizes[2]


def test_a_script_without_the_main_guard_still_completes_its_run(data_dir: Path, tmp_path: Path) -> None:
    """The extraction process imports the main script again (spawn). A script without the
    ``__main__`` guard would start a second run in it, which would wait for the store the first
    holds while the first waits for its extraction process; instead the second run is refused at
    once, and the first extracts in its own process, with a warning."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("from flows.ingest import ingest\n"
                      f"print('RESULT', ingest(sources={[str(p) for p in dev_pages(2)]!r}, linking=False, "
                      "publish_report=False)['articles'])\n")
    # a Prefect home of its own: no extraction cached by an earlier run of these pages, so the run extracts
    env = {**os.environ, "NEWSGRAPH_EXTRACT_IN": "process", "PYTHONPATH": str(Path(flow_tasks.__file__).parents[1]),
           "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, str(script)], check=False, env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "RESULT" in done.stdout and int(done.stdout.split("RESULT")[1].split()[0]) >= 2
    assert "`if __name__ == \"__main__\":`" in done.stderr  # the second run's one line
    assert "extracting in this process instead" in done.stderr
    assert len(headlines(data_dir)) >= 2


def test_backfill_reads_an_archive_in_batches_each_article_once(data_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "pages.zip"
    pages = dev_pages(5)
    with zipfile.ZipFile(archive, "w") as zf:
        for p in pages:
            zf.write(p, f"news/{p.name}")
        zf.writestr("../escape.txt", "a path outside the archive is never written")
    result = backfill(path=str(archive), pages_per_batch=2, linking=False)
    assert result["pages"] == 5 and result["batches"] == 3 and result["failed"] == 0
    # the batches do not each scan the whole store to count it (quadratic over a long backfill)
    assert [r["summary"]["store_quads"] for r in result["runs"]] == [None, None, None]
    loaded = sum(r["summary"]["articles"] for r in result["runs"])
    assert len(headlines(data_dir)) == loaded
    assert not (tmp_path / "escape.txt").exists()


def test_backfill_batches_share_one_set_of_extraction_processes(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overlap: Overlap) -> None:
    """Each batch is an ingest run; extracting apart, they use the processes the backfill started
    (the model loaded once for the backfill, not once a batch), which end with the backfill."""
    from newsgraph import pipeline

    monkeypatch.setenv("NEWSGRAPH_EXTRACT_IN", "process")
    monkeypatch.setenv("NEWSGRAPH_EXTRACT_PROCESSES", "1")
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in dev_pages(5):
        shutil.copy(p, pages / p.name)
    result = backfill(path=str(pages), pages_per_batch=2, linking=False)
    assert result["batches"] == 3 and result["failed"] == 0
    assert len(overlap.seen) >= 3
    (pid,) = overlap.pids  # every batch's extraction went to the same process
    assert pid is not None and pid != os.getpid()
    with pytest.raises(ProcessLookupError):  # gone with the backfill
        os.kill(pid, 0)
    assert pipeline._extraction_processes == {}
    assert len(headlines(data_dir)) == sum(r["summary"]["articles"] for r in result["runs"])


def test_relink_links_what_ingest_left_unlinked(data_dir: Path, wikidata_sparql: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSGRAPH_WIKIDATA_SPARQL", wikidata_sparql)
    monkeypatch.setenv("NEWSGRAPH_WIKIDATA_API", "")
    first = ingest(sources=[str(p) for p in dev_pages(2)], linking=False)
    assert first["linked_entities"] == 0 and first["entities"] > 0
    again = relink()
    assert again["pages"] == 2
    assert again["linked_entities"] > 0
    assert again["articles"] == first["articles"]
    assert len(headlines(data_dir)) == first["articles"], "relink duplicated articles"
    assert relink()["pages"] == 0, "after relink nothing is left unlinked"
    stale = relink(older_than_days=0)  # every link is older than now: all decided again, none duplicated
    assert stale["pages"] == 2 and len(headlines(data_dir)) == first["articles"]


def test_validate_reports_over_the_store(data_dir: Path) -> None:
    ingest(sources=[str(p) for p in dev_pages(2)], linking=False)
    report = validate_store()
    assert report["graphs"] >= 2
    assert report["violating"] == []
    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {"validate-summary", "validate-report"} <= keys


def test_dask_task_runner_extracts_batches_in_parallel(data_dir: Path) -> None:
    pytest.importorskip("prefect_dask")
    from prefect_dask import DaskTaskRunner

    sources = [str(p) for p in dev_pages(4)]
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                            "dashboard_address": ":0"})
    result = ingest.with_options(task_runner=runner)(sources=sources, batch_size=2, linking=False)
    assert result["pages"] == 4 and result["articles"] >= 4
    assert len(headlines(data_dir)) == result["articles"]


def _loaded_batches_still_alive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                                collect_first: bool) -> int:
    """Ingest 6 dev pages one article a batch; as each batch is extracted, count the batches already
    loaded (all but the last in_flight + 1) whose articles are still alive - after a full garbage
    collection if ``collect_first``. Returns the most still alive at once.

    Extracting in the run's own process, one batch in flight: the extractor fills the very objects
    the flow holds, so what is alive is what the flow and Prefect keep. (In a process of its own,
    once in CI, 2-3 loaded one-article batches were still referenced when a later one started, and
    never in four local runs; the benchmark's 10k run, memory flat within 1.04x, covers that mode.)"""
    monkeypatch.setenv("NEWSGRAPH_EXTRACT_IN", "thread")
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in dev_pages(6):
        shutil.copy(p, pages / p.name)
    batches: list[list[weakref.ref[Any]]] = []
    most_alive = 0
    real = flow_tasks.extract_articles

    def tracking(settings, articles):  # type: ignore[no-untyped-def]
        nonlocal most_alive
        if collect_first:
            gc.collect()
        done = batches[:-3]
        most_alive = max(most_alive, sum(1 for refs in done if any(r() is not None for r in refs)))
        out = real(settings, articles)
        batches.append([weakref.ref(a) for a in out])
        return out

    monkeypatch.setattr(flow_tasks, "extract_articles", tracking)
    result = ingest(sources=[str(pages)], batch_size=1, linking=False)
    assert len(batches) == result["articles"] >= 8, result
    return most_alive


def test_ingest_does_not_keep_extracted_batches_once_loaded(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays flat: a batch's articles can go once it is loaded. Prefect's result store kept
    every extract result in an in-memory LRU cache of 1,000 records (``cache_result_in_memory``,
    on by default) for the whole run: ~50 MB per 1,000 articles (benchmarks/README.md, Memory)."""
    most_alive = _loaded_batches_still_alive(tmp_path, monkeypatch, collect_first=True)
    # one (the run's first) stays referenced by Prefect's engine; with the in-memory result cache
    # every batch did, so this count grew with the run
    assert most_alive <= 1, f"{most_alive} loaded batches still held in memory"


def test_a_loaded_batch_is_freed_at_once_not_at_the_next_full_collection(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded batch's articles sit in a reference cycle (Prefect's result record, state and
    future): only a full garbage collection frees them. The flow runs one after each load
    (``newsgraph._memory.collect``), so they do not wait for CPython's next automatic one - here
    switched off, so that only the flow's own collections free anything."""
    gc.collect()
    gc.disable()
    try:
        most_alive = _loaded_batches_still_alive(tmp_path, monkeypatch, collect_first=False)
    finally:
        gc.enable()
    assert most_alive <= 1, f"{most_alive} loaded batches still held in memory"


def test_ingest_gives_back_what_each_loaded_batch_freed(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After every batch is loaded and dropped the flow frees it (``newsgraph._memory.collect``) and
    returns malloc's free memory to the OS (``newsgraph._memory.trim``), so a long run's resident
    memory does not keep what it once held."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for p in dev_pages(3):
        shutil.copy(p, pages / p.name)
    events: list[str] = []
    real_load = flow_tasks.load_graphs

    def loading(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("load")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(flow_tasks, "load_graphs", loading)
    monkeypatch.setattr(flow_tasks._memory, "trim", lambda: events.append("trim") or True)
    real_collect = flow_tasks._memory.collect
    monkeypatch.setattr(flow_tasks._memory, "collect", lambda: events.append("collect") or real_collect())
    result = ingest(sources=[str(pages)], batch_size=1, linking=False)
    assert result["articles"] >= 3
    assert events.count("load") == result["articles"]
    # the batch freed first (its cycles), then what it freed given back
    assert events == ["load", "collect", "trim"] * result["articles"], events
