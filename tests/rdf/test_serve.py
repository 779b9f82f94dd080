"""The read-only endpoint, end to end: SPARQLWrapper and plain HTTP (JSON, CSV, TSV, Turtle by
Accept header), the query UI, and updates refused - over an embedded store and over a store server.
Over a store server the endpoint serves a read replica of it: the replica follows the store server
(on demand, periodically, and right after a write when the store's folder is watched), says how
old its data is, and goes on serving when the store server is down."""
from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import ngtest_rdf_articles as arts
import pytest
import rdflib
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from newsgraph import Settings
from newsgraph.errors import LoadError, StoreLocked
from newsgraph.rdf import article_graph
from newsgraph.serve import ReadOnlyEndpoint, free_port, make_server
from newsgraph.store import open_store

pytestmark = pytest.mark.server
EXTRACTED_AT = "2026-11-26T23:00:00Z"
HEADLINES = ["Church bombing in Damascus", "Maduro receives Iran's foreign minister", "Venezuela and Iran sign 20-year pact"]
Q = "SELECT ?h WHERE { ?a <https://schema.org/headline> ?h } ORDER BY ?h"


def _load(settings: Settings) -> int:
    with open_store(settings) as s:
        s.publish([article_graph(a, extracted_at=EXTRACTED_AT)
                   for a in (arts.meeting_article(), arts.attack_article(), arts.agreement_article())])
        return s.count()


@pytest.fixture(scope="module")
def loaded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("served")
    _load(Settings(data_dir=d))
    return d


@pytest.fixture(scope="module", params=["embedded", "server"])
def endpoint(request: pytest.FixtureRequest, loaded_dir: Path) -> Iterator[ReadOnlyEndpoint]:
    if request.param == "embedded":
        settings = Settings(data_dir=loaded_dir)
    else:
        server = request.getfixturevalue("oxigraph_server")
        requests.post(server + "/update", data="DROP ALL", headers={"Content-Type": "application/sparql-update"})
        settings = Settings(data_dir=loaded_dir, store=server)
        _load(settings)
    with make_server(settings, port=free_port(), timeout_s=10) as ep:
        yield ep


JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def headlines(url: str) -> list[str]:
    r = requests.get(url + "/query", params={"query": Q}, headers=JSON_RESULTS, timeout=30)
    assert r.status_code == 200, r.text
    return [b["h"]["value"] for b in r.json()["results"]["bindings"]]


@pytest.fixture
def store_server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """A fresh writable `oxigraph serve` (as `deploy up` runs it): its URL, its folder, its process."""
    exe = shutil.which("oxigraph")
    if exe is None:
        pytest.skip("the oxigraph server command is not installed")
    location, port = tmp_path / "store-server", free_port()
    proc = subprocess.Popen([exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        with open_store(Settings(data_dir=tmp_path, store=url)) as s:
            s.publish([article_graph(arts.meeting_article(), extracted_at=EXTRACTED_AT)])
        yield url, location, proc
    finally:
        proc.kill()
        proc.wait()


def write_more(url: str, tmp_path: Path) -> None:
    """What an ingest does: two more articles into the store server."""
    with open_store(Settings(data_dir=tmp_path, store=url)) as s:
        s.publish([article_graph(a, extracted_at=EXTRACTED_AT) for a in (arts.attack_article(), arts.agreement_article())])


def test_sparqlwrapper_json(endpoint: ReadOnlyEndpoint) -> None:
    sw = SPARQLWrapper(endpoint.url + "/query")
    sw.setQuery(Q)
    sw.setReturnFormat(JSON)
    rows = sw.query().convert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert [r["h"]["value"] for r in rows] == HEADLINES


def test_union_of_all_graphs_is_the_default_graph(endpoint: ReadOnlyEndpoint) -> None:
    q = ("PREFIX ng: <https://w3id.org/newsgraph/ontology#> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
         "ASK { ?m a ng:Meeting ; ng:host/owl:sameAs <http://www.wikidata.org/entity/Q58132> }")
    r = requests.get(endpoint.url + "/query", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_csv_by_accept_header(endpoint: ReadOnlyEndpoint) -> None:
    r = requests.get(endpoint.url + "/query", params={"query": Q}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [["h"], *[[h] for h in HEADLINES]]


def test_tsv_by_accept_header(endpoint: ReadOnlyEndpoint) -> None:
    r = requests.post(endpoint.url + "/query", data=Q, headers={"Content-Type": "application/sparql-query",
                                                                 "Accept": "text/tab-separated-values"})
    assert r.status_code == 200 and r.text.splitlines()[0] == "?h"


def test_turtle_by_accept_header(endpoint: ReadOnlyEndpoint) -> None:
    q = ("CONSTRUCT { ?a <https://schema.org/headline> ?h } WHERE { ?a <https://schema.org/headline> ?h }")
    r = requests.get(endpoint.url + "/query", params={"query": q}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    assert sorted(str(o) for o in g.objects()) == HEADLINES


@pytest.mark.parametrize("how", ["update-endpoint", "query-endpoint", "form", "gsp-put", "gsp-post", "delete"])
def test_updates_are_refused(endpoint: ReadOnlyEndpoint, how: str) -> None:
    ins = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    url = endpoint.url
    nt = "<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
    r = {
        "update-endpoint": lambda: requests.post(url + "/update", data=ins, headers={"Content-Type": "application/sparql-update"}),
        "query-endpoint": lambda: requests.post(url + "/query", data=ins, headers={"Content-Type": "application/sparql-update"}),
        "form": lambda: requests.post(url + "/query", data={"update": ins}),
        "gsp-put": lambda: requests.put(url + "/store?default", data=nt, headers={"Content-Type": "application/n-triples"}),
        "gsp-post": lambda: requests.post(url + "/store?default", data=nt, headers={"Content-Type": "application/n-triples"}),
        "delete": lambda: requests.delete(url + "/store?default"),
    }[how]()
    assert r.status_code == 403
    endpoint.refresh()  # over a store server: a fresh replica, so a write that got through would show
    ask = requests.get(url + "/query", params={"query": "ASK { <http://example.org/a> ?p ?o }"},
                       headers={"Accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is False


def test_sparqlwrapper_update_is_refused(endpoint: ReadOnlyEndpoint) -> None:
    from urllib.error import HTTPError

    from SPARQLWrapper import POST
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    sw = SPARQLWrapper(endpoint.url + "/query", updateEndpoint=endpoint.url + "/update")
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }")
    with pytest.raises((HTTPError, SPARQLWrapperException)):
        sw.query()


def test_query_ui_is_served_offline(endpoint: ReadOnlyEndpoint) -> None:
    page = requests.get(endpoint.url + "/")
    assert page.status_code == 200 and "yasgui" in page.text.lower()
    assert requests.get(endpoint.url + "/yasgui.min.js").status_code == 200


def test_malformed_query_is_400(endpoint: ReadOnlyEndpoint) -> None:
    r = requests.get(endpoint.url + "/query", params={"query": "SELEC nonsense"})
    assert r.status_code == 400


def test_result_cap(loaded_dir: Path) -> None:
    with make_server(Settings(data_dir=loaded_dir), port=free_port(), max_result_bytes=200) as ep:
        r = requests.get(ep.url + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert r.status_code == 413 and "LIMIT" in r.text
        small = requests.get(ep.url + "/query", params={"query": "ASK {}"})
        assert small.status_code == 200


def test_serving_a_store_held_by_a_writer_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    _load(settings)
    writer = open_store(settings)
    try:
        with pytest.raises(StoreLocked):
            make_server(settings, port=free_port())
    finally:
        writer.close()


def test_serving_without_a_store_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no store"):
        make_server(Settings(data_dir=tmp_path), port=free_port())


def test_refused_writes_keep_a_kept_alive_connection_in_step(endpoint: ReadOnlyEndpoint) -> None:
    import http.client

    host, port = endpoint.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=10)
    body = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
    for method, path in [("PUT", "/store?default"), ("POST", "/update"), ("DELETE", "/store?default")]:
        conn.request(method, path, body=body, headers={"Content-Type": "application/n-triples"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 403
    conn.request("GET", "/query?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
    resp = conn.getresponse()
    assert resp.status == 200 and b"true" in resp.read()
    conn.close()


def test_answers_say_how_old_their_data_is(endpoint: ReadOnlyEndpoint) -> None:
    r = requests.get(endpoint.url + "/query", params={"query": "ASK {}"}, headers=JSON_RESULTS)
    assert r.status_code == 200 and time.strptime(r.headers["Newsgraph-Data-As-Of"], "%Y-%m-%dT%H:%M:%SZ")
    status = requests.get(endpoint.url + "/replica").json()
    assert status["data_as_of"] == r.headers["Newsgraph-Data-As-Of"] and status["age_s"] >= 0


def test_the_replica_serves_what_the_store_server_had_and_follows_it_on_refresh(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    url, _, _ = store_server
    settings = Settings(data_dir=tmp_path / "endpoint", store=url, replica_refresh=0)  # on demand only
    with make_server(settings, port=free_port()) as ep:
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]
        first = requests.get(ep.url + "/replica").json()["data_as_of"]
        write_more(url, tmp_path)
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]  # a snapshot: not yet
        time.sleep(1.1)  # the as-of time has a resolution of one second
        ep.refresh()
        assert headlines(ep.url) == HEADLINES
        r = requests.get(ep.url + "/query", params={"query": "ASK {}"}, headers=JSON_RESULTS)
        assert r.headers["Newsgraph-Data-As-Of"] > first


def test_a_watched_store_is_seen_by_the_next_query_after_a_write(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    """The deployed set-up (`deploy up` sets NEWSGRAPH_REPLICA_WATCH to the store server's folder): a
    query right after an ingest wrote waits for a fresh snapshot (a small store refreshes in well
    under a second) and sees the new articles."""
    url, location, _ = store_server
    settings = Settings(data_dir=tmp_path / "endpoint", store=url, replica_refresh=0, replica_watch=str(location))
    with make_server(settings, port=free_port()) as ep:
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]
        write_more(url, tmp_path)
        assert headlines(ep.url) == HEADLINES


def test_a_write_that_shows_after_the_watched_folder_changed_still_reaches_the_replica(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    """RocksDB appends a write to its log before readers can see it. A refresh that the log's growth
    set off can dump the store in between and miss the write, and the folder will not change again
    to say so (it happened in CI: a scheduled run's articles stayed unserved for minutes). Here a
    stand-in folder plays the log, so the order is certain: the log grows, the replica refreshes,
    and only then does the write show. The replica takes a second look once the change has settled."""
    from newsgraph.serve import SETTLE_S

    url, _, _ = store_server
    watched = tmp_path / "watched"
    watched.mkdir()
    wal = watched / "000008.log"
    wal.write_bytes(b"1")
    settings = Settings(data_dir=tmp_path / "endpoint", store=url, replica_refresh=0, replica_watch=str(watched))
    with make_server(settings, port=free_port()) as ep:
        time.sleep(SETTLE_S + 0.5)  # the first snapshot began after the folder's last change had settled
        refreshes = requests.get(ep.url + "/replica").json()["refreshes"]
        wal.write_bytes(b"12")  # the log grows ...
        deadline = time.monotonic() + 30
        while requests.get(ep.url + "/replica").json()["refreshes"] == refreshes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]  # ... a refresh dumps ...
        write_more(url, tmp_path)  # ... and only now is the write visible; the folder stays as it is
        deadline = time.monotonic() + SETTLE_S + 30
        while headlines(ep.url) != HEADLINES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert headlines(ep.url) == HEADLINES
        status = requests.get(ep.url + "/replica").json()
        time.sleep(SETTLE_S + 1)
        assert requests.get(ep.url + "/replica").json()["refreshes"] == status["refreshes"], \
            "a quiet store is not dumped again and again"


def _settled(path: Path) -> None:
    """Date a watched file a minute back: its change has settled, so no confirming dump is due."""
    then = time.time() - 60
    os.utime(path, (then, then))


@pytest.fixture
def slow_dumps(store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> Iterator[tuple[str, list[float]]]:
    """The store server behind a door that holds every dump (``GET /store``) for a second before
    passing it on: a real HTTP server in front of the real store server, so a refresh lasts long
    enough for a query to come while it runs. Its URL, and when each dump was asked for."""
    url, _, _ = store_server
    dumps: list[float] = []

    class SlowDump(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/store":
                self.send_error(404)
                return
            dumps.append(time.monotonic())
            time.sleep(1.0)
            with requests.get(url + "/store", headers={"Accept": "application/n-quads"}, stream=True, timeout=30) as r:
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", ""))
                self.end_headers()  # HTTP/1.0: the end of the connection ends the dump
                for chunk in r.iter_content(1 << 16):
                    self.wfile.write(chunk)

        def log_message(self, format: str, *args: object) -> None:
            pass

    door = ThreadingHTTPServer(("127.0.0.1", 0), SlowDump)
    threading.Thread(target=door.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{door.server_port}", dumps
    finally:
        door.shutdown()
        door.server_close()


def test_a_query_that_comes_during_a_refresh_waits_for_it_and_buys_no_other_dump(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]],
        slow_dumps: tuple[str, list[float]]) -> None:
    """A query that comes while a refresh is dumping finds the replica stale and waits for that
    refresh. Once it is in, nothing has changed since it began, so the query is answered from it
    and the store is not dumped again: a full dump for every query that happened to come during a
    refresh (as before) showed in CI as one refresh too many in a quiet store."""
    from newsgraph.serve import GAP_FACTOR

    url, _, _ = store_server
    door, dumps = slow_dumps
    watched = tmp_path / "watched"
    watched.mkdir()
    wal = watched / "000008.log"
    wal.write_bytes(b"1")
    _settled(wal)
    settings = Settings(data_dir=tmp_path / "endpoint", store=door, replica_refresh=0, replica_watch=str(watched))
    with make_server(settings, port=free_port()) as ep:
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]
        assert len(dumps) == 1
        write_more(url, tmp_path)
        wal.write_bytes(b"12")  # the store's log grew; the write is visible already
        _settled(wal)
        deadline = time.monotonic() + 30
        while len(dumps) < 2 and time.monotonic() < deadline:  # the refresher began its dump
            time.sleep(0.02)
        assert len(dumps) == 2
        assert headlines(ep.url) == HEADLINES  # came during that refresh, answered from it
        status = requests.get(ep.url + "/replica").json()
        time.sleep(GAP_FACTOR * status["last_refresh_s"] + 1.0 + 2)  # room for one more refresh
        assert len(dumps) == 2, "the store was dumped again though nothing changed since the last dump began"
        assert requests.get(ep.url + "/replica").json()["refreshes"] == status["refreshes"]


def test_the_replica_is_refreshed_periodically(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    url, _, _ = store_server
    with make_server(Settings(data_dir=tmp_path / "endpoint", store=url, replica_refresh=1), port=free_port()) as ep:
        write_more(url, tmp_path)
        deadline = time.monotonic() + 30
        while headlines(ep.url) != HEADLINES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert headlines(ep.url) == HEADLINES


def test_the_refresher_outlives_a_refresh_that_fails_unexpectedly(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    """A refresh can fail outside the dump and the load: here the replica folder is removed under the
    running endpoint and a file takes its name. /replica says the refresh failed, the last snapshot
    goes on serving, the refresher tries again, and once the folder can be made again the replica
    follows the store server - it does not serve its last snapshot for good."""
    url, location, _ = store_server
    settings = Settings(data_dir=tmp_path / "endpoint", store=url, replica_refresh=0, replica_watch=str(location))
    with make_server(settings, port=free_port()) as ep:
        folder = tmp_path / "endpoint" / "replica"
        shutil.rmtree(folder)
        folder.write_text("not a folder")
        write_more(url, tmp_path)
        deadline = time.monotonic() + 30
        while not requests.get(ep.url + "/replica").json()["last_error"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "failed" in (requests.get(ep.url + "/replica").json()["last_error"] or "")
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]  # the last snapshot serves
        folder.unlink()
        deadline = time.monotonic() + 60
        while headlines(ep.url) != HEADLINES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert headlines(ep.url) == HEADLINES
        assert requests.get(ep.url + "/replica").json()["last_error"] is None


def test_the_endpoint_goes_on_when_the_store_server_is_down(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    """The replica is the endpoint's own: with the store server gone, queries still answer from the
    last snapshot, and /replica says the refresh failed."""
    url, _, proc = store_server
    with make_server(Settings(data_dir=tmp_path / "endpoint", store=url, replica_refresh=0), port=free_port()) as ep:
        proc.kill()
        proc.wait()
        with pytest.raises(LoadError):
            ep.refresh()
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]
        assert "failed" in requests.get(ep.url + "/replica").json()["last_error"]


def test_one_replica_folder_per_endpoint(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    url, _, _ = store_server
    settings = Settings(data_dir=tmp_path / "endpoint", store=url)
    with make_server(settings, port=free_port()), pytest.raises(LoadError, match="NEWSGRAPH_REPLICA_DIR"):
        make_server(settings, port=free_port())
    assert [p.name for p in (tmp_path / "endpoint" / "replica").iterdir()] == [".lock"]  # snapshots removed


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_newsgraph_serve_refreshes_on_sighup_and_leaves_no_process_behind(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    """The command `deploy up` runs: `newsgraph serve` over a store server. SIGHUP takes a fresh
    snapshot; SIGTERM stops it together with its oxigraph children."""
    url, _, _ = store_server
    port = free_port()
    env = {**os.environ, "NEWSGRAPH_DATA_DIR": str(tmp_path / "endpoint"), "NEWSGRAPH_STORE": url,
           "NEWSGRAPH_REPLICA_REFRESH": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "newsgraph.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ep = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                requests.get(ep + "/", timeout=1)
                break
            except requests.RequestException:
                assert proc.poll() is None, "newsgraph serve exited"
                time.sleep(0.05)
        assert headlines(ep) == ["Maduro receives Iran's foreign minister"]
        children = children_of(proc.pid)
        assert children  # its oxigraph serve-read-only
        write_more(url, tmp_path)
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while headlines(ep) != HEADLINES and time.monotonic() < deadline:
            time.sleep(0.1)
        assert headlines(ep) == HEADLINES
        children += children_of(proc.pid)
        assert len(set(children)) >= 2  # the new snapshot's child took over
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    time.sleep(0.2)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "an oxigraph child outlived newsgraph serve"


def test_query_servers_left_by_a_killed_endpoint_are_stopped_by_the_next(
        tmp_path: Path, store_server: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    """SIGKILL gives `newsgraph serve` no chance to stop its oxigraph children; the next endpoint
    on the same replica folder does."""
    url, _, _ = store_server
    port = free_port()
    env = {**os.environ, "NEWSGRAPH_DATA_DIR": str(tmp_path / "endpoint"), "NEWSGRAPH_STORE": url,
           "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "newsgraph.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.RequestException:
                assert proc.poll() is None, "newsgraph serve exited"
                time.sleep(0.05)
        orphans = children_of(proc.pid)
        assert orphans
    finally:
        proc.kill()
        proc.wait()
    assert all(Path(f"/proc/{pid}").exists() for pid in orphans)  # orphaned, still running
    with make_server(Settings(data_dir=tmp_path / "endpoint", store=url), port=free_port()) as ep:
        assert headlines(ep.url) == ["Maduro receives Iran's foreign minister"]
        time.sleep(0.2)
        assert not [pid for pid in orphans if Path(f"/proc/{pid}").exists()
                    and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]


def test_the_endpoint_takes_its_port_before_starting_anything(tmp_path: Path) -> None:
    """The port is taken first: the replica's children pick free loopback ports of their own, and one
    could otherwise be the port asked for while it was still free (CI saw `Address already in use`).
    A port in use is one line naming it, before the store is even looked at (there is none here)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LoadError, match=f"cannot listen on 127.0.0.1:{port}"):
            make_server(Settings(data_dir=tmp_path / "nothing-here"), port=port)
    assert not (tmp_path / "nothing-here").exists()
