"""The SPARQL store server is down at load time, or dies in the middle of a load: no article graph is
half-written, the run reports what was not loaded, and re-running loads exactly those."""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import ngtest_faults_support as support
import pyoxigraph as ox
import pytest
import requests

from newsgraph import pipeline
from newsgraph.errors import LoadError
from newsgraph.fetch import utcnow
from newsgraph.rdf import article_graph, validate
from newsgraph.settings import Settings
from newsgraph.store import EmbeddedStore

arts = support.load_module("rdf/_articles.py", "ngtest_rdf_articles")
EXTRACTED_AT = "2026-11-26T23:00:00Z"


def mapped() -> list[Any]:
    graphs = [article_graph(a, extracted_at=EXTRACTED_AT) for a in arts.all_articles()]
    for g in graphs:
        validate(g)
    return graphs


def graph_names(quads: list[ox.Quad]) -> set[str]:
    return {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}


def reference(graphs: list[Any]) -> list[ox.Quad]:
    """The quads a store holds after an uninterrupted load of ``graphs`` (its literals normalised)."""
    store = EmbeddedStore(None)
    store.publish(graphs)
    return list(store.pyoxigraph.quads_for_pattern(None, None, None, None))


class Proxy(ThreadingHTTPServer):
    """Forwards to an oxigraph server; ``on_update(body)`` may return True to play the server dying
    in the middle of that request: half the body is sent, the server is SIGKILLed, the client's
    connection is dropped."""

    daemon_threads = True

    def __init__(self, upstream: support.OxigraphServer, on_update: Callable[[bytes], bool]) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream, self.on_update = upstream, on_update

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        up = self.server.upstream
        if self.path.startswith("/update") and self.server.on_update(body):
            with socket.create_connection(("127.0.0.1", up.port)) as raw:
                head = (f"POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-update\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode()
                raw.sendall(head + body[: len(body) // 2])
                up.kill()  # the server dies with the request half received
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            resp = requests.request(self.command, up.url + self.path, data=body or None, timeout=30,
                                    headers={k: v for k, v in self.headers.items() if k.lower() in
                                             ("content-type", "accept")})
        except requests.RequestException:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(resp.status_code)
        self.send_header("Content-Type", resp.headers.get("Content-Type", "text/plain"))
        self.send_header("Content-Length", str(len(resp.content)))
        self.end_headers()
        self.wfile.write(resp.content)

    do_GET = do_POST = do_PUT = _relay


@pytest.fixture
def server(tmp_path: Path) -> Iterator[support.OxigraphServer]:
    s = support.OxigraphServer(tmp_path / "store-server")
    try:
        yield s.start()
    finally:
        s.stop()


def test_server_dies_mid_load_no_half_graph_and_rerun_loads_the_rest(server: support.OxigraphServer, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    started = utcnow()
    graphs = mapped()
    victim = graphs[1].iri  # the server dies while receiving the second article's request
    proxy = Proxy(server, lambda body: victim.encode() in body)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setattr(pipeline, "LOAD_BATCH", 1)  # one transaction (one request) per article
    try:
        settings = Settings(data_dir=tmp_path / "data", store=proxy.url)
        with pytest.raises(LoadError) as info:
            pipeline.load_graphs(settings, graphs)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert info.value.not_loaded == [g.article_id for g in graphs[1:]]

    server.start()  # back up, on the same folder
    after_crash = server.dump()
    assert graph_names(after_crash) & {g.iri for g in graphs} == {graphs[0].iri}  # the victim is not there at all
    whole = reference([graphs[0]])
    in_store = sorted(str(q) for q in after_crash if q.graph_name == ox.NamedNode(graphs[0].iri))
    assert in_store == sorted(str(q) for q in whole if q.graph_name == ox.NamedNode(graphs[0].iri))  # whole

    # re-running loads exactly those reported
    settings = Settings(data_dir=tmp_path / "data", store=server.url)
    again = [g for g in mapped() if g.article_id in info.value.not_loaded]
    pipeline.load_graphs(settings, again)
    ref_lines = support.canonical(reference(mapped()), run_started=started)
    got = support.canonical(server.dump(), run_started=started)
    assert got == ref_lines, support.diff(got, ref_lines)


@pytest.mark.slow
def test_store_down_at_load_time_run_reports_and_rerun_loads_them(prefect_api: str, dev_pages: list[Path],
                                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.tasks
    from flows.ingest import ingest

    monkeypatch.setattr(flows.tasks, "load_task", flows.tasks.load_task.with_options(retry_delay_seconds=0))
    server = support.OxigraphServer(tmp_path / "store-server")  # not started: nobody listens on its port
    monkeypatch.setenv("NEWSGRAPH_STORE", server.url)
    monkeypatch.setenv("NEWSGRAPH_LINKING", "off")
    data = tmp_path / "data"
    sources = [str(p) for p in dev_pages[:2]]
    first = ingest(sources=sources, data_dir=str(data), batch_size=2, linking=False, publish_report=False)
    assert first["articles"] > 0 and first["quads_written"] == 0
    loads = [s for s in first["set_aside"] if s["stage"] == "load"]
    assert len(loads) == first["articles"] == len(first["not_loaded"])
    assert all("not loaded" in s["reason"] and "did not answer" in s["reason"] for s in loads)
    assert len(list((data / "quarantine").glob("*.json"))) == first["articles"]

    # the command line says so, and exits non-zero (so a scheduler sees the run did not load)
    from click.testing import CliRunner

    from newsgraph.cli import cli

    result = CliRunner().invoke(cli, ["run", *sources, "--data-dir", str(data), "--no-link", "--batch-size", "2"])
    assert result.exit_code == 1, result.output
    assert f"{first['articles']} article(s) were not loaded" in result.output
    assert result.output.count("not loaded: the SPARQL server did not answer") == first["articles"]

    try:
        server.start()
        second = ingest(sources=sources, data_dir=str(data), batch_size=2, linking=False, publish_report=False)
        assert second["not_loaded"] == [] and second["quads_written"] > 0
        r = requests.post(server.url + "/query", data="SELECT DISTINCT ?id WHERE { GRAPH ?g { ?a a "
                          "<https://w3id.org/newsgraph/ontology#Article> ; <https://schema.org/identifier> ?id } }",
                          headers={"Content-Type": "application/sparql-query",
                                   "Accept": "application/sparql-results+json"}, timeout=30)
        ids = sorted(b["id"]["value"] for b in r.json()["results"]["bindings"])
        assert ids == sorted(first["not_loaded"])  # exactly the articles reported, each once
    finally:
        server.stop()
