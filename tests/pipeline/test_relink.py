"""Entities left unlinked (linking off, or Wikidata unreachable) are linked by a later `relink`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgraph.cli import cli

from .test_run import GOOD_PAGE

pytestmark = pytest.mark.slow

LINKED = """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e owl:sameAs ?qid }"""


def count(data_dir: Path, sparql: str) -> int:
    r = CliRunner().invoke(cli, ["query", sparql, "--data-dir", str(data_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    return int(json.loads(r.stdout)["results"]["bindings"][0]["n"]["value"])  # the answer is on stdout


def test_relink_links_what_an_unlinked_run_left(tmp_path: Path, data_dir: Path, wikidata_sparql_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.txt"
    page.write_text(GOOD_PAGE, encoding="utf-8")
    r = CliRunner().invoke(cli, ["run", str(page), "--data-dir", str(data_dir), "--no-link"])
    assert r.exit_code == 0, r.output
    assert count(data_dir, LINKED) == 0
    quads = count(data_dir, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")

    monkeypatch.setenv("NEWSGRAPH_LINKING", "on")
    monkeypatch.setenv("NEWSGRAPH_WIKIDATA_SPARQL", wikidata_sparql_url)
    monkeypatch.setenv("NEWSGRAPH_WIKIDATA_API", "")
    r = CliRunner().invoke(cli, ["relink", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    # Egypt, Jordan, Cairo are in the subset: now linked, in place of the unlinked records
    assert count(data_dir, LINKED) >= 3
    sameas = count(data_dir, "SELECT (COUNT(*) AS ?n) WHERE { ?e owl:sameAs <http://www.wikidata.org/entity/Q79> }")
    assert sameas >= 1  # Egypt
    r = CliRunner().invoke(cli, ["relink", "--data-dir", str(data_dir)])
    assert r.exit_code == 0 and "pages re-read: 0" in r.output or count(data_dir, LINKED) >= 3
    assert quads > 0
