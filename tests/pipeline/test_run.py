"""`newsgraph run` end to end on the embedded store: bad input is set aside, the run goes on,
and re-running the same input leaves the store unchanged."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgraph.cli import cli

from ..conftest import DEV_CORPUS

pytestmark = pytest.mark.slow

GOOD_PAGE = """Ministers of Two States Meet in Capital

Foreign Minister A meets Foreign Minister B in the capital, March 5, 2021. (Photo by X / Agency)
Foreign Minister A meets Foreign Minister B in the capital, March 5, 2021. (Photo by X / Agency)
TT
12

Ministers of Two States Meet in Capital

The foreign ministers of Egypt and Jordan met in Cairo on Friday to discuss regional security.

Egyptian Foreign Minister Sameh Shoukry received his Jordanian counterpart Ayman Safadi at the ministry.
"""


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    d = tmp_path / "inputs"
    d.mkdir()
    (d / "good.txt").write_text(GOOD_PAGE, encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + os.urandom(4096))
    (d / "latin1.txt").write_bytes(GOOD_PAGE.replace("Egypt", "Égypte").encode("latin-1") + b"\xe9\xe8")
    with open(d / "huge.txt", "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, no disk used
    (d / "noarticle.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    (d / "a.gold.json").write_text("{}")  # not a page: skipped quietly
    return d


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def store_size(data_dir: Path) -> int:
    code, out = run("query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--data-dir",
                    str(data_dir), "--format", "json")
    assert code == 0, out
    return int(json.loads(out)["results"]["bindings"][0]["n"]["value"])


def test_bad_inputs_are_set_aside_and_the_run_goes_on(inputs: Path, data_dir: Path, site: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSGRAPH_ALLOW_PRIVATE_URLS", "1")
    code, out = run("run", str(inputs), "http://127.0.0.1:9/unreachable", f"{site}/notfeed.xml",
                    "--data-dir", str(data_dir))
    assert code == 0, out
    aside = [line for line in out.splitlines() if line.startswith("set aside:")]
    for name in ("empty.txt", "binary.txt", "latin1.txt", "huge.txt", "noarticle.html", "unreachable",
                 "notfeed.xml"):
        assert sum(name in line for line in aside) == 1, (name, aside)
    assert not any("gold.json" in line for line in out.splitlines())
    records = [json.loads(p.read_text()) for p in (data_dir / "quarantine").glob("*.json")]
    assert len(records) == 7 and all(r["reason"] for r in records)
    assert "articles: 1" in out

    before = store_size(data_dir)
    assert before > 0
    code, out = run("run", str(inputs), "--data-dir", str(data_dir))
    assert code == 0, out
    assert store_size(data_dir) == before  # idempotent: same input, same triples


def test_a_run_that_reads_nothing_exits_non_zero(tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    code, out = run("run", str(tmp_path / "empty.txt"), "--data-dir", str(data_dir))
    assert code != 0
    assert "empty.txt" in out and "empty page" in out


@pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared corpus not present")
def test_dev_corpus_headlines_are_queryable(data_dir: Path) -> None:
    code, out = run("run", str(DEV_CORPUS), "--data-dir", str(data_dir))
    assert code == 0, out
    code, out = run("query", "SELECT ?headline WHERE { ?a a schema:NewsArticle ; schema:headline ?headline }",
                    "--data-dir", str(data_dir), "--format", "json")
    assert code == 0, out
    got = {b["headline"]["value"] for b in json.loads(out)["results"]["bindings"]}
    gold = {a["headline"] for p in DEV_CORPUS.glob("*.gold.json")
            for a in json.loads(p.read_text(encoding="utf-8"))["articles"]}
    assert got == gold
