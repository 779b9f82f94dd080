"""The polite client against a real local server playing a busy, broken or silent Wikidata."""
from __future__ import annotations

import pytest

from newsgraph._models import NIL
from newsgraph.link import _http


@pytest.fixture
def waits(monkeypatch):
    """What the client waited between attempts (the waits themselves are skipped)."""
    seen: list[float] = []
    monkeypatch.setattr(_http, "_sleep", seen.append)
    return seen


def sparql_posts(server):
    return [r for r in server.log if r["path"] == "/sparql"]


def test_user_agent_is_descriptive(make, wikidata, ent, art):
    make(sparql=wikidata.sparql_url, api=wikidata.api_url)(art(ent("state", "Jordan"), ent("person", "Zzyzx Qwerty")))
    assert wikidata.log
    for r in wikidata.log:
        assert r["user_agent"].startswith("newsgraph/") and "http" in r["user_agent"]


@pytest.mark.parametrize("fault", ["429:1", "503", "500", "502", "drop", "garbage"])
def test_sparql_retries_then_links(make, wikidata, ent, art, waits, fault):
    wikidata.faults.append(fault)
    linker = make(sparql=wikidata.sparql_url)
    e = ent("state", "Jordan")
    linker(art(e))
    assert e.link.qid == "Q810"
    assert len(sparql_posts(wikidata)) == 2 and linker.stats["http_requests"] == 2
    if fault.startswith("429"):
        assert waits == [1.0]  # Retry-After honoured


def test_time_out_is_retried(make, wikidata, ent, art, waits):
    wikidata.faults.append("hang")
    linker = make(sparql=wikidata.sparql_url, timeout=1.0)
    e = ent("state", "Chad")
    linker(art(e))
    assert e.link.qid == "Q657"
    assert linker.stats["http_requests"] == 2


def test_backoff_grows_exponentially(make, wikidata, ent, art, waits):
    wikidata.faults.extend(["502", "502", "502"])
    linker = make(sparql=wikidata.sparql_url, attempts=4)
    e = ent("state", "Niger")
    linker(art(e))
    assert e.link.qid == "Q1032"
    assert waits == [0.01, 0.02, 0.04]


def test_too_long_retry_after_gives_up_for_the_run(make, wikidata, ent, art, waits):
    wikidata.faults.append("429:3600")
    linker = make(sparql=wikidata.sparql_url, max_retry_after=5)
    e = ent("state", "Jordan")
    linker(art(e))
    assert e.link.qid == NIL and e.link.needs_relink and e.link.method == "unreachable"
    assert waits == []


def test_unreachable_run_completes_and_relink_fills_in(make, wikidata, ent, art, waits):
    wikidata.faults.extend(["503"] * 3)
    linker = make(sparql=wikidata.sparql_url, attempts=3)
    a = art(ent("state", "Jordan"), ent("person", "Recep Tayyip Erdogan"), ent("state", "Georgia"))
    b = art(ent("state", "Chad"), id="a2")
    linker([a, b])
    for e in a.entities + b.entities:
        assert e.link.qid == NIL and e.link.needs_relink and e.link.method == "unreachable"
    assert linker.stats["http_requests"] == 3  # one look-up, three attempts; the rest skipped
    assert linker.stats["unreachable"] == 4
    assert linker.relink([a, b]) == 4
    assert linker.stats["http_requests"] == 4  # the relink of both articles is one look-up
    assert [e.wikidata for e in a.entities + b.entities] == ["Q810", "Q39259", "Q230", "Q657"]


def test_closed_port_is_unreachable_not_an_error(make, ent, art, waits):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    linker = make(sparql=f"http://127.0.0.1:{port}/query", api=f"http://127.0.0.1:{port}/w/api.php")
    e = ent("person", "Somebody Unknown")
    linker(art(e))
    assert e.link.needs_relink and e.link.qid == NIL


def test_relink_accepts_bare_entities(make, sparql_url, ent):
    from newsgraph._models import Link
    e = ent("state", "Jordan")
    e.link = Link(qid=NIL, score=0.0, method="unreachable", needs_relink=True)
    assert make(sparql=sparql_url).relink([e]) == 1
    assert e.wikidata == "Q810" and not e.link.needs_relink


def test_api_sends_maxlag_and_batches_ids(make, wikidata, ent, art, waits):
    linker = make(api=wikidata.api_url)  # API only
    e = ent("person", "Alexander Lukashenko")
    linker(art(e, ent("state", "Belarus")))
    assert e.link.qid == "Q2866" and e.link.method.startswith("api:")
    for r in wikidata.log:
        assert r["params"].get("maxlag") == "5" and r["params"].get("format") == "json"
    for r in wikidata.log:
        if r["params"].get("action") == "wbgetentities":
            assert 0 < len(r["params"]["ids"].split("|")) <= 50


def test_api_maxlag_and_errors_are_retried(make, wikidata, ent, art, waits):
    wikidata.faults.extend(["maxlag", "429:0", "drop", "hang", "502"])
    linker = make(api=wikidata.api_url, attempts=6)
    e = ent("state", "Jordan")
    linker(art(e))
    assert e.link.qid == "Q810"
    assert waits[:2] == [0.0, 0.0]


def test_api_fallback_finds_what_exact_look_up_cannot(make, wikidata, ent, art, waits):
    """'Lukashenka' is no exact label or alias; wbsearchentities finds 'Alexander Lukashenka'."""
    linker = make(sparql=wikidata.sparql_url, api=wikidata.api_url)
    e = ent("person", "Lukashenka", roles=["president"], role_of="Belarus")
    linker(art(e, ent("state", "Belarus")))
    assert e.link.qid == "Q2866", e.link
    assert e.link.method == "api:partial"
    actions = [r["params"].get("action") for r in wikidata.log if r["path"] == "/w/api.php"]
    assert actions == ["wbsearchentities", "wbgetentities"]


def test_api_only_links_states_people_and_places(make, wikidata, ent, art, waits):
    linker = make(api=wikidata.api_url)
    a = art(ent("state", "Iranian", "Tehran"), ent("person", "Masoud Pezeshkian", "Pezeshkian"),
            ent("place", "Tehran"), ent("person", "Hassan Rouhani"))
    linker(a)
    assert [e.wikidata for e in a.entities] == ["Q794", "Q5933752", "Q3616", None]
    searches = [r for r in wikidata.log if r["params"].get("action") == "wbsearchentities"]
    gets = [r for r in wikidata.log if r["params"].get("action") == "wbgetentities"]
    assert len(gets) == 1 and len(searches) == len({r["params"]["search"] for r in searches})


def test_refused_query_is_reported_and_the_run_completes(make, wikidata, ent, art, waits):
    wikidata.faults.append("400")
    linker = make(sparql=wikidata.sparql_url)
    e = ent("state", "Jordan")
    linker(art(e))
    assert e.link.needs_relink and e.link.qid == NIL
    assert linker.stats["errors"] == 1 and linker.stats["http_requests"] == 1  # a 400 is not retried
