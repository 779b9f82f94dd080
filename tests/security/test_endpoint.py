"""The researcher-facing endpoint (`newsgraph serve`): read-only (every form of SPARQL Update and
Graph Store write refused, the store unchanged), bound to loopback by default, with a query
time-out and a result-size cap, so one query cannot take the server down. (tests/rdf/test_serve.py
checks the same gate over a store server, with SPARQLWrapper and every result format.)"""
from __future__ import annotations

import inspect
import socket
from collections.abc import Iterator
from pathlib import Path

import ngtest_faults_support as support
import pytest
import requests

from newsgraph import cli
from newsgraph import serve as serve_module
from newsgraph.rdf import article_graph
from newsgraph.serve import ReadOnlyEndpoint, free_port, make_server
from newsgraph.settings import Settings
from newsgraph.store import open_store

pytestmark = pytest.mark.server
arts = support.load_module("rdf/_articles.py", "ngtest_rdf_articles")
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # ~10^12 rows
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = Settings(data_dir=tmp_path_factory.mktemp("served"))
    with open_store(s) as store:
        store.publish([article_graph(a, extracted_at="2026-11-26T23:00:00Z") for a in arts.all_articles()])
    return s


@pytest.fixture(scope="module")
def endpoint(settings: Settings) -> Iterator[ReadOnlyEndpoint]:
    with make_server(settings, port=free_port(), timeout_s=1, max_result_bytes=20_000) as ep:
        yield ep


def count(ep: ReadOnlyEndpoint) -> int:
    r = requests.get(ep.url + "/query", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, headers=JSON,
                     timeout=30)
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_bound_to_loopback_by_default(endpoint: ReadOnlyEndpoint) -> None:
    assert endpoint.server_address[0] == "127.0.0.1"
    for fn in (make_server, serve_module.serve, ReadOnlyEndpoint.__init__):
        assert inspect.signature(fn).parameters["host"].default == "127.0.0.1"
    (host,) = [p for p in cli.serve.params if p.name == "host"]
    assert host.default == "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # this machine's outward address, no packet sent
        s.connect(("10.255.255.255", 1))
        outward = s.getsockname()[0]
    if outward.startswith("127."):
        pytest.skip("no non-loopback interface to try")
    with pytest.raises(OSError):
        socket.create_connection((outward, endpoint.server_address[1]), timeout=2).close()


@pytest.mark.parametrize("how", [
    "post-update", "post-query-as-update", "form-update", "get-update", "drop-all-as-query", "put", "delete"])
def test_updates_are_refused_and_the_store_is_unchanged(endpoint: ReadOnlyEndpoint, how: str) -> None:
    before = count(endpoint)
    url, drop = endpoint.url, "DROP ALL"
    r = {
        "post-update": lambda: requests.post(url + "/update", data=drop, headers={"Content-Type": "application/sparql-update"}),
        "post-query-as-update": lambda: requests.post(url + "/query", data=drop,
                                                      headers={"Content-Type": "application/sparql-update"}),
        "form-update": lambda: requests.post(url + "/query", data={"update": drop}),
        "get-update": lambda: requests.get(url + "/update", params={"update": drop}),
        "drop-all-as-query": lambda: requests.get(url + "/query", params={"query": drop}),
        "put": lambda: requests.put(url + "/store?default", data="<a:a> <a:b> <a:c> .",
                                    headers={"Content-Type": "application/n-triples"}),
        "delete": lambda: requests.delete(url + "/store?default"),
    }[how]()
    assert r.status_code in (400, 403, 404)
    assert count(endpoint) == before > 0


def test_a_runaway_query_is_stopped_and_the_server_goes_on(endpoint: ReadOnlyEndpoint) -> None:
    """Stopped for real: Oxigraph's own --timeout-s does not end a COUNT still computing, so the
    read-only server that runs it is replaced; the one that ran it is gone (its core is free)."""
    runner = endpoint.proc
    assert runner is not None
    r = requests.get(endpoint.url + "/query", params={"query": HEAVY}, headers=JSON, timeout=120)
    assert r.status_code in (500, 503, 504), r.status_code
    assert "time" in r.text.lower()
    assert runner.poll() is not None  # the process computing the runaway query was stopped
    ok = requests.get(endpoint.url + "/query", params={"query": "ASK {}"}, headers=JSON, timeout=30)
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_a_huge_result_is_refused(endpoint: ReadOnlyEndpoint) -> None:
    r = requests.get(endpoint.url + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=60)
    assert r.status_code == 413 and "LIMIT" in r.text
    ok = requests.get(endpoint.url + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}, timeout=60)
    assert ok.status_code == 200


def test_time_out_in_front_of_a_store_server(tmp_path: Path) -> None:
    """Through a store server the gate's own time-out answers 504. (Its own server: the query goes on
    running inside a store server started without --timeout-s, so this one is stopped right after.)"""
    server = support.OxigraphServer(tmp_path / "server").start()
    try:
        s = Settings(data_dir=tmp_path, store=server.url)
        with open_store(s) as store:
            store.publish([article_graph(a, extracted_at="2026-11-26T23:00:00Z") for a in arts.all_articles()])
        with make_server(s, port=free_port(), timeout_s=1) as ep:
            r = requests.get(ep.url + "/query", params={"query": HEAVY}, headers=JSON, timeout=120)
            assert r.status_code == 504 and "time-out" in r.text
            ok = requests.get(ep.url + "/query", params={"query": "ASK {}"}, headers=JSON, timeout=30)
            assert ok.status_code == 200
    finally:
        server.kill()
