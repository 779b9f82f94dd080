"""The plain functions behind the flows and the service, without Prefect or servers."""
from __future__ import annotations

import io
import signal
import sys
import tarfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgraph._models import Article
from newsgraph.cli import cli
from newsgraph.errors import InputError
from newsgraph.runs import (
    backfill_batches,
    expand_sources,
    extract_cache_key,
    report_markdown,
    summary_rows,
    task_runner_from_env,
)
from newsgraph.service import ServicePlan, _alive, down, start_process, stop_process
from newsgraph.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_expand_sources_reads_lists_from_the_data_folder(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "feeds.txt").write_text("# comment\nhttps://a.example/feed.xml\n\n/srv/pages # local\n")
    assert expand_sources(settings, ["@feeds.txt", "x.html", "x.html"]) == [
        "https://a.example/feed.xml", "/srv/pages", "x.html"]
    # a missing list stays a source, so fetch sets it aside with a reason
    assert expand_sources(settings, ["@nope.txt"]) == [str(settings.data_dir / "nope.txt")]


def test_backfill_batches_folder_and_tar_archive(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.html", "sub/c.txt", "d.gold.json", ".hidden.txt"):
        (folder / name).write_text("x")
    batches = backfill_batches(settings, folder, 2)
    assert [len(b) for b in batches] == [2, 1]
    assert all(Path(f).suffix in (".txt", ".html") for b in batches for f in b)

    archive = tmp_path / "pages.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name in ("one.txt", "two.txt", "../evil.txt"):
            data = b"text"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(InputError):  # tarfile's "data" filter refuses a path outside the target
        backfill_batches(settings, archive, 10)
    assert not (tmp_path / "evil.txt").exists()

    with pytest.raises(InputError):
        backfill_batches(settings, tmp_path / "missing", 10)


def test_extract_cache_key_follows_the_page_bytes(settings: Settings) -> None:
    a = Article(id="1", headline="H", body=["b"], page_sha256="aa", source="s")
    b = Article(id="1", headline="H", body=["b"], page_sha256="bb", source="s")
    key = extract_cache_key(None, {"settings": settings, "articles": [a]})
    assert key == extract_cache_key(None, {"settings": settings, "articles": [a]})
    assert key != extract_cache_key(None, {"settings": settings, "articles": [b]})
    assert key != extract_cache_key(None, {"settings": settings.with_(spacy_model="other"), "articles": [a]})
    assert extract_cache_key(None, {"settings": settings, "articles": []}) is None


def test_summary_and_report_say_what_a_person_needs() -> None:
    summary = {"pages": 2, "articles": 3, "entities": 10, "linked_entities": 4, "events": 2,
               "events_by_type": {"meeting": 2}, "non_events": 0, "quads_written": 100, "store_quads": 100,
               "set_aside": [{"source": "x.html", "stage": "parse", "reason": "no article text"}], "seconds": 1.5}
    rows = {r["metric"]: r["value"] for r in summary_rows(summary)}
    assert rows["link rate"] == "40% (4/10)" and rows["events: meeting"] == 2 and rows["pages set aside"] == 1
    md = report_markdown(summary, flow="ingest", endpoint="http://127.0.0.1:7878/query")
    assert "http://127.0.0.1:7878/query" in md and "```sparql" in md and "no article text" in md
    assert rows["quads in store"] == 100 and "the store holds 100" in md
    # a run that skipped the count (a backfill batch) says so, rather than reporting an empty store
    uncounted = {**summary, "store_quads": None}
    assert {r["metric"]: r["value"] for r in summary_rows(uncounted)}["quads in store"] == "not counted"
    assert "not counted" in report_markdown(uncounted, flow="ingest", endpoint="x")


def test_task_runner_from_env() -> None:
    assert task_runner_from_env({}) is None
    assert task_runner_from_env({"NEWSGRAPH_TASK_RUNNER": "threads"}) is None
    pytest.importorskip("prefect_dask")
    assert type(task_runner_from_env({"NEWSGRAPH_TASK_RUNNER": "dask"})).__name__ == "DaskTaskRunner"


def test_stop_process_stops_a_process_that_ignores_sigint_in_its_parent(tmp_path: Path) -> None:
    """A part started from a shell whose SIGINT is ignored still stops (env --default-signal=INT)."""
    plan = ServicePlan(state_dir=tmp_path / "state", data_dir=tmp_path / "data")
    ready = tmp_path / "ready"
    code = f"import pathlib, time\npathlib.Path({str(ready)!r}).touch()\nwhile True: time.sleep(0.1)"
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a script does to a child
    try:
        proc = start_process(plan, "sleeper", [sys.executable, "-c", code])
    finally:
        signal.signal(signal.SIGINT, old)
    for _ in range(600):  # wait (bounded) until it runs: `down` comes long after `up`
        if ready.exists():
            break
        time.sleep(0.1)
    assert _alive(proc.pid) and ready.exists()
    assert stop_process(plan, "sleeper", timeout=20)
    proc.wait(timeout=10)
    assert proc.returncode in (1, -signal.SIGINT), "SIGINT should end it, not the SIGTERM/SIGKILL fallback"
    assert not (plan.pids / "sleeper.pid").exists()
    assert down(plan, echo=lambda m: None) == []  # nothing left; safe to run twice


def test_deploy_commands_are_documented() -> None:
    result = CliRunner().invoke(cli, ["deploy", "--help"])
    assert result.exit_code == 0, result.output
    for cmd in ("up", "down", "status"):
        assert cmd in result.output
    docs = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    assert "newsgraph deploy up" in docs and "deploy/down.sh" in docs
