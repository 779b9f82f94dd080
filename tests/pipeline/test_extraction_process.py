"""Extraction in a process of its own (newsgraph.pipeline.ExtractionProcess): the same articles as
in the run's own process, a process that dies started again, one that cannot start replaced by
extracting here, and when a run uses one (Settings.extract_in)."""
from __future__ import annotations

import copy
import os
import pickle
import signal
import threading
import time
from pathlib import Path

import pytest

from flows.tasks import AUTO_EXTRACT_PROCESSES, default_in_flight, extract_in_process, extraction_processes
from newsgraph._models import Article
from newsgraph.errors import ConfigError, ExtractionError, HTTPStatusError, LoadError, ValidationError
from newsgraph.pipeline import (
    ExtractionProcess,
    extract_articles,
    extraction_process,
    fetch_pages,
    parse_pages,
)
from newsgraph.settings import load_settings

from ..conftest import DEV_CORPUS

pytest.importorskip("spacy")


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    """The articles of two dev pages, parsed, not extracted."""
    settings = load_settings(data_dir=str(tmp_path_factory.mktemp("data")), linking=False)
    pages = sorted(DEV_CORPUS.glob("*.txt"))[:2]
    parsed = parse_pages(settings, fetch_pages(settings, [str(p) for p in pages]).pages)
    assert len(parsed.articles) >= 3
    return parsed.articles


def _gone(pid: int, wait: float = 10.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_the_process_extracts_what_the_run_would_and_is_started_again_when_killed(
        articles: list[Article], data_dir: Path) -> None:
    settings = load_settings(linking=False)
    here = extract_articles(settings, copy.deepcopy(articles))
    assert any(a.events for a in here) and all(a.entities for a in here)
    with ExtractionProcess(settings.spacy_model) as worker:
        assert worker.pid is None  # started by the first batch, not before
        first = worker(copy.deepcopy(articles))
        pid = worker.pid
        assert pid is not None and pid != os.getpid()
        assert first == here
        os.kill(pid, signal.SIGKILL)
        assert _gone(pid)
        again = worker(copy.deepcopy(articles))  # the batch goes to a new process
        assert again == here
        assert worker.pid not in (None, pid)
        last = worker.pid
    assert worker.pid is None and last is not None and _gone(last)  # closed with the block


@pytest.mark.slow
def test_two_processes_extract_two_batches_at_once(articles: list[Article], data_dir: Path) -> None:
    """Batches handed over at the same time (the flow's task threads) go to different processes, and
    come back as the run's own process would extract them."""
    settings = load_settings(linking=False)
    batches = [copy.deepcopy(articles[:2]), copy.deepcopy(articles[2:])]
    here = [extract_articles(settings, copy.deepcopy(b)) for b in batches]
    out: dict[int, list[Article]] = {}
    pids_seen: set[int] = set()
    started = threading.Barrier(2)
    with ExtractionProcess(settings.spacy_model, processes=2) as workers:
        def extract(i: int) -> None:
            started.wait()
            out[i] = workers(batches[i])
            pids_seen.update(workers.pids)

        threads = [threading.Thread(target=extract, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        pids = workers.pids
    assert out == {0: here[0], 1: here[1]}
    assert len(pids) == 2 and os.getpid() not in pids and set(pids) == pids_seen
    assert all(_gone(pid) for pid in pids)  # closed with the block


@pytest.mark.slow
def test_a_model_that_cannot_load_fails_the_batch_with_the_models_name(articles: list[Article]) -> None:
    """The extraction process raises the error extracting here would; it arrives whole (type,
    message, article) across the process boundary."""
    with ExtractionProcess("no_such_spacy_model") as worker, pytest.raises(ExtractionError) as err:
        worker(copy.deepcopy(articles))
    assert "no_such_spacy_model" in str(err.value) and "NEWSGRAPH_SPACY_MODEL" in str(err.value)


def test_a_process_that_cannot_start_leaves_the_run_extracting_here(
        articles: list[Article], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A spawned process imports the main module again; when it cannot (a script read from stdin, a
    script without the ``__main__`` guard) the pool breaks before its first batch. The run goes on
    in its own process, with one warning."""
    from newsgraph import pipeline

    settings = load_settings(linking=False)
    here = extract_articles(settings, copy.deepcopy(articles))

    class Broken:
        def submit(self, *args: object) -> object:
            from concurrent.futures import Future
            from concurrent.futures.process import BrokenProcessPool

            f: Future[object] = Future()
            f.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            return f

        def shutdown(self, **kw: object) -> None:
            pass

    starts: list[int] = []
    monkeypatch.setattr(pipeline.ExtractionProcess, "_start", lambda self: starts.append(1) or Broken())
    with ExtractionProcess(settings.spacy_model) as worker, caplog.at_level("WARNING", logger="newsgraph"):
        assert worker(copy.deepcopy(articles)) == here
        assert worker(copy.deepcopy(articles)) == here
    assert starts == [1]  # not tried again for every batch
    warned = [r.getMessage() for r in caplog.records if "extraction process" in r.getMessage()]
    assert len(warned) == 1 and "extracting in this process" in warned[0]


def test_extract_articles_goes_to_the_running_process_for_its_model(
        articles: list[Article], data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(linking=False)
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(ExtractionProcess, "__call__", lambda self, batch: calls.append((self.model, len(batch))) or batch)
    with extraction_process(settings) as worker:
        assert worker is not None
        with extraction_process(settings) as nested:  # one process a model
            assert nested is None
        extract_articles(settings, articles)
        with pytest.raises(ExtractionError, match="another_model"):  # not this one's model: extracted here
            extract_articles(settings.with_(spacy_model="another_model"), articles[:1])
        extract_articles(settings, [])
    with extraction_process(settings, enabled=False) as off:
        assert off is None
    assert calls == [(settings.spacy_model, len(articles))]


def test_when_a_run_extracts_in_a_process_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(env={})
    assert settings.extract_in == "auto"
    two_cores = len(os.sched_getaffinity(0)) >= 2
    assert extract_in_process(settings, pages=256, batch_size=256) is two_cores
    assert not extract_in_process(settings, pages=255, batch_size=256)  # one batch: nothing to overlap
    assert extract_in_process(settings.with_(extract_in="process"), pages=1, batch_size=256)
    assert not extract_in_process(settings.with_(extract_in="thread"), pages=10_000, batch_size=256)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not extract_in_process(settings, pages=10_000, batch_size=256)  # one core: nothing to gain
    monkeypatch.delattr(os, "sched_getaffinity")  # macOS, Windows: no affinity, all the machine's cores
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert extract_in_process(settings, pages=10_000, batch_size=256)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert not extract_in_process(settings, pages=10_000, batch_size=256)
    # batch N+1 is extracted there while batch N is mapped and loaded here
    assert default_in_flight(extraction_process=True) == 2
    assert default_in_flight(extraction_process=True, processes=2) == 3  # one batch a process, one loading
    assert default_in_flight() == 1


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (16, AUTO_EXTRACT_PROCESSES)])
def test_how_many_extraction_processes_a_run_starts(cores: int, expected: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """One a core, at most two (the run's own process keeps up with two), unless told."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert extraction_processes(load_settings(env={})) == expected
    told = load_settings(env={"NEWSGRAPH_EXTRACT_PROCESSES": "3"})
    assert told.extract_processes == 3 and extraction_processes(told) == 3


@pytest.mark.parametrize("value", ["-1", "two"])
def test_extract_processes_is_a_count(value: str) -> None:
    with pytest.raises(ConfigError, match="extract_processes"):
        load_settings(env={"NEWSGRAPH_EXTRACT_PROCESSES": value})


def test_extract_in_is_one_of_three() -> None:
    assert load_settings(env={"NEWSGRAPH_EXTRACT_IN": "process"}).extract_in == "process"
    with pytest.raises(ConfigError, match="NEWSGRAPH_EXTRACT_IN.*auto, process, thread"):
        load_settings(env={"NEWSGRAPH_EXTRACT_IN": "processes"})


@pytest.mark.parametrize("err", [
    HTTPStatusError("404 Not Found", status=404, source="https://example.org/a"),
    ValidationError("2 SHACL violations", report="Constraint Violation ...", article_id="a-1"),
    LoadError("the store is full", source="store", not_loaded=["a-1", "a-2"]),
    ExtractionError("rules failed", article_id="a-3", source="page.txt"),
])
def test_an_error_pickles_with_its_context(err: Exception) -> None:
    """Errors cross process boundaries (the extraction process, Dask's workers) whole."""
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and vars(back) == vars(err)
