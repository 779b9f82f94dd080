"""The researcher-facing endpoint (`newsgraph serve`): read-only (every form of SPARQL Update and
Graph Store write refused, the store unchanged), bound to loopback by default, with a query
time-out and a result-size cap, so one query cannot take the server down; and, in the deployed set-up
(behind the ETL's store server), no public query ever runs inside the store server: the endpoint
queries its own read replica, whose process it kills when a query runs past the time-out.
(tests/rdf/test_serve.py checks the same gate with SPARQLWrapper and every result format, and that
the replica follows the store server.)"""
from __future__ import annotations

import inspect
import os
import socket
import threading
import time
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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def our_oxigraph_processes() -> list[int]:
    """The `oxigraph` processes this test process started (the endpoint runs in-process here)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name == "oxigraph" and int(rest.split()[1]) == os.getpid():
            pids.append(int(stat.parent.name))
    return pids


def cpu_used_by(pids: list[int], seconds: float) -> float:
    """CPU seconds the given processes use over the next ``seconds`` (gone ones count as 0)."""
    def total() -> float:
        n = 0.0
        for pid in pids:
            try:
                n += cpu_seconds(pid)
            except (OSError, IndexError):
                pass
        return n
    before = total()
    time.sleep(seconds)
    return total() - before


def test_a_runaway_query_is_stopped_and_the_server_goes_on(endpoint: ReadOnlyEndpoint) -> None:
    """Stopped for real: Oxigraph's own --timeout-s does not end a COUNT still computing, so the
    read-only server that runs it is killed; afterwards no oxigraph process of ours keeps a core busy."""
    t0 = time.monotonic()
    r = requests.get(endpoint.url + "/query", params={"query": HEAVY}, headers=JSON, timeout=120)
    assert r.status_code == 504, r.status_code
    assert "time-out" in r.text and time.monotonic() - t0 < 1 + 10
    assert cpu_used_by(our_oxigraph_processes(), 1.0) < 0.3  # the query's process is gone: nothing computes
    ok = requests.get(endpoint.url + "/query", params={"query": "ASK {}"}, headers=JSON, timeout=30)
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_a_huge_result_is_refused(endpoint: ReadOnlyEndpoint) -> None:
    r = requests.get(endpoint.url + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=60)
    assert r.status_code == 413 and "LIMIT" in r.text
    ok = requests.get(endpoint.url + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}, timeout=60)
    assert ok.status_code == 200


@pytest.fixture
def store_server(tmp_path: Path) -> Iterator[support.OxigraphServer]:  # type: ignore[name-defined]
    """A real `oxigraph serve`, as `deploy up` runs it for the ETL, holding the hand-made articles."""
    server = support.OxigraphServer(tmp_path / "server").start()
    try:
        with open_store(Settings(data_dir=tmp_path, store=server.url)) as store:
            store.publish([article_graph(a, extracted_at="2026-11-26T23:00:00Z") for a in arts.all_articles()])
        yield server
    finally:
        server.kill()


def server_answers_promptly(server: support.OxigraphServer) -> float:  # type: ignore[name-defined]
    t0 = time.monotonic()
    r = requests.get(server.url + "/query", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                     headers=JSON, timeout=10)
    assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) > 0
    return time.monotonic() - t0


def test_behind_a_store_server_a_runaway_query_never_runs_in_it_and_is_stopped(
        tmp_path: Path, store_server: support.OxigraphServer) -> None:  # type: ignore[name-defined]
    """The deployed set-up: the ETL's store server behind the endpoint. A cross join with a COUNT
    gets 504 at the time-out; the store server spent no CPU on it (the endpoint queries its own
    replica), and afterwards no process of ours computes it any more and the store server answers
    a small query at once."""
    assert store_server.proc is not None
    with make_server(Settings(data_dir=tmp_path / "endpoint", store=store_server.url), port=free_port(),
                     timeout_s=2) as ep:
        store_cpu = cpu_seconds(store_server.proc.pid)
        t0 = time.monotonic()
        r = requests.get(ep.url + "/query", params={"query": HEAVY}, headers=JSON, timeout=120)
        took = time.monotonic() - t0
        assert r.status_code == 504 and "time-out" in r.text, (r.status_code, r.text)
        assert 2 <= took < 2 + 10, took  # at the time-out (plus starting a fresh query server, ~0.1 s)
        assert cpu_seconds(store_server.proc.pid) - store_cpu < 0.5  # it never ran in the store server
        assert cpu_used_by([store_server.proc.pid, *our_oxigraph_processes()], 1.0) < 0.3  # nothing runs it now
        assert server_answers_promptly(store_server) < 2
        ok = requests.get(ep.url + "/query", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON, timeout=30)
        assert ok.status_code == 200 and ok.json()["boolean"] is True
        assert requests.get(ep.url + "/replica", timeout=10).json()["runaway_queries_stopped"] == 1


def test_many_runaway_queries_are_bounded_and_all_stopped(
        tmp_path: Path, store_server: support.OxigraphServer) -> None:  # type: ignore[name-defined]
    """Six runaway queries at once against an endpoint that runs at most two: two run until the
    time-out (504), the others wait briefly and get 503 with Retry-After; none runs in the store
    server, none keeps running afterwards, and the endpoint answers the next query."""
    assert store_server.proc is not None
    with make_server(Settings(data_dir=tmp_path / "endpoint", store=store_server.url), port=free_port(),
                     timeout_s=4, max_queries=2) as ep:
        store_cpu = cpu_seconds(store_server.proc.pid)
        answers: list[requests.Response] = []

        def run() -> None:
            answers.append(requests.get(ep.url + "/query", params={"query": HEAVY}, headers=JSON, timeout=120))

        threads = [threading.Thread(target=run) for _ in range(6)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        took = time.monotonic() - t0
        codes = sorted(a.status_code for a in answers)
        assert codes.count(504) >= 2 and set(codes) <= {503, 504} and 503 in codes, codes
        assert all(a.headers.get("Retry-After") for a in answers if a.status_code == 503)
        assert took < 4 + 15, took
        assert cpu_seconds(store_server.proc.pid) - store_cpu < 0.5
        assert cpu_used_by([store_server.proc.pid, *our_oxigraph_processes()], 1.0) < 0.3
        assert server_answers_promptly(store_server) < 2
        ok = requests.get(ep.url + "/query", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON, timeout=30)
        assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_query_servers_yield_to_the_etl(tmp_path: Path, store_server: support.OxigraphServer) -> None:  # type: ignore[name-defined]
    """On the machine the ETL runs on, the processes that run public queries get only spare CPU
    (nice 10), and if memory runs out the kernel kills one of them first, not the store server."""
    assert store_server.proc is not None
    replica = tmp_path / "endpoint"
    with make_server(Settings(data_dir=replica, store=store_server.url), port=free_port()) as ep:
        assert count(ep) > 0
        mine = [pid for pid in our_oxigraph_processes()
                if str(replica) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        assert mine and store_server.proc.pid not in mine
        expected_nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)  # 10 more than the endpoint's own
        for pid in mine:
            assert int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16]) == expected_nice
            assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "1000"
        assert Path(f"/proc/{store_server.proc.pid}/oom_score_adj").read_text().strip() != "1000"


@pytest.mark.parametrize("how", ["post-update", "form-update", "put", "delete"])
def test_behind_a_store_server_updates_are_refused_and_it_is_unchanged(
        tmp_path: Path, store_server: support.OxigraphServer, how: str) -> None:  # type: ignore[name-defined]
    def quads() -> int:
        r = requests.get(store_server.url + "/query", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g "
                                                                       "{ ?s ?p ?o } }"}, headers=JSON, timeout=10)
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    before = quads()
    with make_server(Settings(data_dir=tmp_path / "endpoint", store=store_server.url), port=free_port()) as ep:
        url, drop = ep.url, "DROP ALL"
        r = {
            "post-update": lambda: requests.post(url + "/update", data=drop,
                                                 headers={"Content-Type": "application/sparql-update"}),
            "form-update": lambda: requests.post(url + "/query", data={"update": drop}),
            "put": lambda: requests.put(url + "/store?default", data="<a:a> <a:b> <a:c> .",
                                        headers={"Content-Type": "application/n-triples"}),
            "delete": lambda: requests.delete(url + "/store?default"),
        }[how]()
        assert r.status_code == 403
        ep.refresh()
        assert count(ep) > 0
    assert quads() == before > 0
