"""`newsgraph run` killed with SIGKILL mid-run, and two runs at once over overlapping sources: the
store ends exactly as after one uninterrupted run (canonical, sorted N-Quads dumps; the runs' own
time stamps normalised, the ontology graph compared by isomorphism)."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import ngtest_faults_support as support
import pytest

from newsgraph.fetch import utcnow

pytestmark = [pytest.mark.slow, pytest.mark.server]


@pytest.fixture(scope="module")
def started() -> str:
    return utcnow()


@pytest.fixture(scope="module")
def sources(dev_pages: list[Path]) -> list[str]:
    return [str(p) for p in dev_pages[:3]]


@pytest.fixture(scope="module")
def reference(prefect_api: str, sources: list[str], started: str,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Any]:
    """The store after one uninterrupted run of the sources."""
    data = tmp_path_factory.mktemp("reference") / "data"
    code, out, err = support.finish(support.start_run(sources, support.run_env(data, prefect_api)))
    assert code == 0, err[-3000:]
    summary = json.loads(out[out.index("{"):out.rindex("}") + 1])
    assert summary["articles"] > 3 and summary["not_loaded"] == []
    quads = support.embedded_quads(data / "store")
    return support.canonical(quads, run_started=started), support.vocabulary(quads)


def assert_same_store(quads: list[Any], reference: tuple[list[str], Any], started: str) -> None:
    lines, vocab = reference
    got = support.canonical(quads, run_started=started)
    assert got == lines, support.diff(got, lines)
    assert support.vocabulary(quads) == vocab


def test_sigkill_mid_run_then_rerun_equals_uninterrupted(prefect_api: str, sources: list[str], started: str,
                                                        reference: tuple[list[str], Any], tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = support.run_env(data, prefect_api)
    proc = support.start_run(sources, env)
    try:
        for _ in range(6000):  # bounded (~5 min): wait until the run has begun writing the store
            if (data / "store" / "CURRENT").exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        support.kill_group(proc)  # SIGKILL, no chance to clean up
    assert proc.returncode == -9, "the run finished before it could be killed"

    code, _out, err = support.finish(support.start_run(sources, env))
    assert code == 0, err[-3000:]
    assert_same_store(support.embedded_quads(data / "store"), reference, started)


def test_two_runs_at_once_embedded_store(prefect_api: str, sources: list[str], started: str,
                                         reference: tuple[list[str], Any], tmp_path: Path) -> None:
    """The embedded store takes one writer process at a time: the second run's loads wait for it."""
    data = tmp_path / "data"
    env = support.run_env(data, prefect_api)
    runs = [support.start_run(sources[:2], env), support.start_run(sources[1:], env)]
    results = [support.finish(p) for p in runs]
    for code, _out, err in results:
        assert code == 0, err[-3000:]
    assert_same_store(support.embedded_quads(data / "store"), reference, started)


def test_two_runs_at_once_store_server(prefect_api: str, sources: list[str], started: str,
                                       reference: tuple[list[str], Any], tmp_path: Path) -> None:
    """Through a store server both runs write at once; each batch is one atomic SPARQL Update, and
    the runs take turns per batch (store.WriterLock), or the summary rows both change would keep only
    one run's counts (this test caught that about one run in five)."""
    server = support.OxigraphServer(tmp_path / "server").start()
    try:
        env = support.run_env(tmp_path / "data", prefect_api, NEWSGRAPH_STORE=server.url)
        runs = [support.start_run(sources[:2], env), support.start_run(sources[1:], env)]
        results = [support.finish(p) for p in runs]
        for code, _out, err in results:
            assert code == 0, err[-3000:]
        assert_same_store(server.dump(), reference, started)
    finally:
        server.stop()
