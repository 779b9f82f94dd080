"""A read-only SPARQL 1.1 endpoint over the store: ``newsgraph serve``.

    researcher ──HTTP──▶ newsgraph serve (this module: read-only gate, time-out, result cap)
                              │ /query only; /update and Graph Store writes answer 403
                              ▼
             embedded store:  `oxigraph serve-read-only --location <store_dir>` (spawned, loopback)
             store server:    the SPARQL server named by settings.store (e.g. `oxigraph serve`)

Read-only is enforced where the endpoint is opened (datasette's rule): the embedded store is
served by Oxigraph's own read-only server, and the gate in front refuses every write whatever is
behind it. The gate adds what Oxigraph lacks: a cap on the size of a result, and a time-out that
also covers servers without one. Queries see the union of all named graphs, like ``store.query``.

Concurrency. RocksDB allows one writer process, and opening a store read-only while another
process writes it is undefined behaviour in Oxigraph. ``serve`` refuses to start on an embedded
store that a writer holds (StoreLocked), and a read-only instance sees the store as it was when
it started. For scheduled ingests *and* live queries deploy one store server that the ETL writes
to and that this endpoint reads through (docs/store.md):

    oxigraph serve --location /srv/newsgraph/store --bind 127.0.0.1:7879 --union-default-graph
    NEWSGRAPH_STORE=http://127.0.0.1:7879 newsgraph run …        # the ETL writes here
    NEWSGRAPH_STORE=http://127.0.0.1:7879 newsgraph serve        # researchers query here (:7878)
"""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import requests

from .errors import LoadError, StoreLocked
from .settings import Settings

__all__ = ["ReadOnlyEndpoint", "free_port", "make_server", "serve"]

READ_PATHS = ("/query", "/sparql")
UI_PATHS = ("/", "/index.html")
UI_ASSETS = ("/yasgui.min.css", "/yasgui.min.js", "/logo.svg")  # Oxigraph's bundled YASGUI, offline
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
        "proxy-authenticate", "content-length", "content-encoding", "server", "date"}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise LoadError(f"the oxigraph server exited with code {proc.returncode}: {err.strip()[:500]}")
        try:
            requests.get(url, params={"query": "ASK {}"}, timeout=1.0)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise LoadError(f"the SPARQL server at {url} did not come up within {timeout:.0f} s")


def _check_embedded(path: Path) -> None:
    if not (path / "CURRENT").exists():
        raise LoadError(f"no store at {path}; load some articles first (newsgraph run)", source=str(path))
    try:
        probe = ox.Store(str(path))  # the writer's lock: free now, or held by an ingest
    except OSError as exc:
        raise StoreLocked(
            "the store is being written by another process; a read-only reader beside a writer is "
            "undefined behaviour in Oxigraph. Serve through a store server instead (docs/store.md)",
            source=str(path)) from exc
    del probe


def _terminate(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _Gate(BaseHTTPRequestHandler):
    server: ReadOnlyEndpoint
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def parse_request(self) -> bool:
        self._body_read = False  # a new request on this (kept-alive) connection
        return super().parse_request()

    def _refuse(self) -> None:
        self._drain()
        self._send(403, b"This SPARQL endpoint is read-only: updates and graph writes are refused.\n")

    def _drain(self) -> None:
        """Consume an unread request body, so the kept-alive connection stays in step."""
        if getattr(self, "_body_read", False):
            return
        self._body_read = True
        n = int(self.headers.get("Content-Length") or 0)
        if 0 < n <= self.server.max_request_bytes:
            self.rfile.read(n)
        elif n:
            self.close_connection = True

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        if n > self.server.max_request_bytes:
            self._drain()
            raise ValueError("request body too large")
        self._body_read = True
        return self.rfile.read(n) if n else b""

    def _forward(self, method: str) -> None:
        path = urlsplit(self.path).path
        upstream = self.server.upstream
        if path in UI_PATHS and method == "GET":
            target = upstream + "/"
        elif path in UI_ASSETS and method == "GET":
            target = upstream + path
        elif path in READ_PATHS:
            target = upstream + "/query"
        elif path == "/store" and method == "GET":
            target = upstream + "/store"
        else:
            self._drain()
            self._send(404, b"Not found. Queries go to /query (SPARQL 1.1 Protocol).\n")
            return
        try:
            body = self._body() if method == "POST" else b""
        except ValueError:
            self._send(413, b"The request is too large.\n")
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method == "POST" and path in READ_PATHS and ctype == "application/sparql-update":
            self._refuse()
            return
        if method == "POST" and ctype == "application/x-www-form-urlencoded" and "update" in parse_qs(
                body.decode("utf-8", "replace")):
            self._refuse()
            return
        query = urlsplit(self.path).query
        if self.server.union_param and path in READ_PATHS:
            query = f"{query}&union-default-graph" if query else "union-default-graph"
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP and k.lower() != "host"}
        try:
            with requests.request(method, target + (f"?{query}" if query else ""), data=body or None,
                                  headers=headers, timeout=self.server.timeout_s + 5, stream=True) as resp:
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > self.server.max_result_bytes:
                        self._send(413, (f"The result is larger than this endpoint's cap of "
                                         f"{self.server.max_result_bytes // 1_000_000} MB; add a LIMIT.\n").encode())
                        return
                    chunks.append(chunk)
                out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP and k.lower() != "content-type"}
                self._send(resp.status_code, b"".join(chunks), resp.headers.get("Content-Type", "text/plain"), out)
        except requests.Timeout:
            try:
                self.server.stop_runaway(upstream)  # first, so the answer means the work has stopped
            except LoadError as exc:  # the fresh server did not come up: say so, the gate stays
                self._send(502, f"The query ran past the time-out and the store could not restart: {exc}\n".encode())
                return
            self._send(504, f"The query ran past the {self.server.timeout_s:.0f} s time-out.\n".encode())
        except requests.RequestException as exc:
            self._send(502, f"The store did not answer: {exc}\n".encode())

    def do_GET(self) -> None:
        self._forward("GET")

    def do_HEAD(self) -> None:
        self._send(200 if urlsplit(self.path).path in (*UI_PATHS, *READ_PATHS) else 404, b"")

    def do_POST(self) -> None:
        if urlsplit(self.path).path in READ_PATHS:
            self._forward("POST")
        else:
            self._refuse()

    def do_PUT(self) -> None:
        self._refuse()

    def do_DELETE(self) -> None:
        self._refuse()

    def do_PATCH(self) -> None:
        self._refuse()


class ReadOnlyEndpoint(ThreadingHTTPServer):
    """The read-only gate plus, for an embedded store, the `oxigraph serve-read-only` behind it."""

    daemon_threads = True

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 7878, timeout_s: float = 30.0,
                 max_result_bytes: int = 50_000_000, verbose: bool = False) -> None:
        self.timeout_s = timeout_s
        self.max_result_bytes = max_result_bytes
        self.max_request_bytes = 1_000_000
        self.verbose = verbose
        self.proc: subprocess.Popen[bytes] | None = None
        self._argv: list[str] | None = None  # how the read-only server behind the gate is started
        self._restart = threading.Lock()
        target = (settings.store or "embedded").strip()
        if target.startswith(("http://", "https://")):
            self.upstream = target.rstrip("/")
            for suffix in ("/query", "/sparql"):
                self.upstream = self.upstream.removesuffix(suffix)
            self.union_param = True
            _wait_until_up(self.upstream + "/query", None, timeout=10.0)
        else:
            exe = shutil.which("oxigraph")
            if exe is None:
                raise LoadError("the `oxigraph` server command is not installed (pip install oxigraph)")
            path = Path(settings.store_dir)
            _check_embedded(path)
            self._argv = [exe, "serve-read-only", "--location", str(path), "--union-default-graph",
                          "--timeout-s", str(int(max(1, timeout_s)))]
            self.union_param = False
            self._spawn()
        try:
            super().__init__((host, port), _Gate)
        except OSError as exc:
            self._stop_proc()
            raise LoadError(f"cannot listen on {host}:{port}: {exc}") from exc

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def _spawn(self) -> None:
        """Start the read-only oxigraph server on a free loopback port and point the gate at it."""
        assert self._argv is not None
        inner = free_port()
        self.proc = subprocess.Popen([*self._argv, "--bind", f"127.0.0.1:{inner}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.upstream = f"http://127.0.0.1:{inner}"
        try:
            _wait_until_up(self.upstream + "/query", self.proc)
        except BaseException:
            self._stop_proc()
            raise

    def stop_runaway(self, upstream: str) -> None:
        """A query ran past the time-out. Oxigraph's ``--timeout-s`` does not stop an aggregate that
        is still computing, so the read-only server that runs it is replaced by a fresh one (queries
        in flight on it answer 502). A store server is shared with the ETL and is left alone."""
        if self._argv is None:
            return
        with self._restart:
            if self.upstream != upstream:  # another thread replaced it already
                return
            old = self.proc
            try:
                self._spawn()
            except BaseException:
                self.proc, self.upstream = old, upstream  # keep serving from the old one
                raise
            _terminate(old)

    def _stop_proc(self) -> None:
        _terminate(self.proc)
        self.proc = None

    def server_close(self) -> None:
        super().server_close()
        self._stop_proc()

    def __enter__(self) -> Self:
        threading.Thread(target=self.serve_forever, name="newsgraph-serve", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def make_server(settings: Settings, *, host: str = "127.0.0.1", port: int = 7878, timeout_s: float = 30.0,
                max_result_bytes: int = 50_000_000, verbose: bool = False) -> ReadOnlyEndpoint:
    """Build the endpoint without serving (``with make_server(...) as ep:`` serves in a thread)."""
    return ReadOnlyEndpoint(settings, host=host, port=port, timeout_s=timeout_s,
                            max_result_bytes=max_result_bytes, verbose=verbose)


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7878, timeout_s: float = 30.0,
          max_result_bytes: int = 50_000_000) -> None:
    """Serve a read-only SPARQL 1.1 endpoint (query UI at /, queries at /query) until interrupted.

    Args:
        settings: which store to serve (embedded at ``settings.store_dir``, or a server URL).
        host, port: where to listen; loopback by default.
        timeout_s: per-query time-out; the answer is 504 past it.
        max_result_bytes: results larger than this are refused with 413 (add a LIMIT).

    Raises:
        StoreLocked: the embedded store is being written by another process.
        LoadError: no store, the oxigraph command is missing, or the port is taken.
    """
    endpoint = make_server(settings, host=host, port=port, timeout_s=timeout_s,
                           max_result_bytes=max_result_bytes, verbose=True)
    print(f"newsgraph: read-only SPARQL endpoint at {endpoint.url}/query (UI at {endpoint.url}/)", file=sys.stderr)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (e.g. from a service manager): stop the oxigraph child too

    previous = signal.signal(signal.SIGTERM, _stop) if threading.current_thread() is threading.main_thread() else None
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
