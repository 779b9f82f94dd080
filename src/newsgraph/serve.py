"""A read-only SPARQL 1.1 endpoint over the store: ``newsgraph serve``.

    researcher ──HTTP──▶ newsgraph serve (this module: read-only gate, time-out, result cap,
                              │                at most N queries at once)
                              │ /query only; /update and Graph Store writes answer 403
                              ▼
             `oxigraph serve-read-only` child (spawned, loopback; killed and replaced on a time-out) over
               embedded store:  the store folder itself (nothing writes it while we serve)
               store server:    a read replica: a snapshot of the store server's data, refreshed
                                (dump → `oxigraph load` → switch) periodically and soon after a write

Read-only is enforced where the endpoint is opened (datasette's rule): queries run in Oxigraph's own
read-only server, and the gate in front refuses every write whatever is behind it. The gate adds
what Oxigraph lacks: a cap on the size of a result, a bound on queries in flight, and a time-out
that really stops the query: Oxigraph cannot cancel a running query (oxigraph/oxigraph#1336) and
its ``--timeout-s`` does not stop an aggregate still computing, so at the time-out the process
running the query is killed and a fresh one takes its place (start-up ~0.05 s). Queries see the
union of all named graphs, like ``store.query``.

No public query runs in the store server. Over a store server (``settings.store = http://…``, the
deployed set-up, where the ETL writes to ``oxigraph serve``) killing the server is not an option:
the ETL depends on it. So the endpoint keeps a replica: it streams the whole dataset (Graph Store
Protocol GET of ``/store`` as N-Quads) into ``oxigraph load`` in a fresh folder, starts a read-only
child over it, switches new queries to it, and removes the old one when its queries are done.
The only requests the store server ever gets from here are that dump and an ``ASK {}`` at start.
Lag: every answer carries ``Newsgraph-Data-As-Of`` (when the snapshot was taken), ``GET /replica``
reports it; see docs/store.md.

Concurrency. RocksDB allows one writer process, and opening a store read-only while another
process writes it is undefined behaviour in Oxigraph. ``serve`` refuses to start on an embedded
store that a writer holds (StoreLocked). For scheduled ingests *and* live queries deploy one store
server that the ETL writes to and that this endpoint replicates (docs/store.md):

    oxigraph serve --location /srv/newsgraph/store --bind 127.0.0.1:7879 --union-default-graph
    NEWSGRAPH_STORE=http://127.0.0.1:7879 newsgraph run …        # the ETL writes here
    NEWSGRAPH_STORE=http://127.0.0.1:7879 NEWSGRAPH_REPLICA_WATCH=/srv/newsgraph/store \
        newsgraph serve                                           # researchers query here (:7878)
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import requests

from .errors import LoadError, StoreLocked
from .settings import Settings

__all__ = ["ReadOnlyEndpoint", "free_port", "make_server", "serve"]

READ_PATHS = ("/query", "/sparql")
UI_PATHS = ("/", "/index.html")
UI_ASSETS = ("/yasgui.min.css", "/yasgui.min.js", "/logo.svg")  # Oxigraph's bundled YASGUI, offline
STATUS_PATH = "/replica"
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
        "proxy-authenticate", "content-length", "content-encoding", "server", "date"}
QUEUE_WAIT_S = 2.0  # a query waits this long for a free slot, then 503
FRESH_WAIT_S = 10.0  # after a write to the store, a query waits this long for a snapshot that has it
MIN_GAP_S = 0.5  # refreshes are at least this far apart, and at least GAP_FACTOR × the last one's
GAP_FACTOR = 4  # duration: dumping takes at most ~1/5 of one store-server core
RETRY_GAP_S = 5.0  # after a failed refresh
SETTLE_S = 5.0  # a watched store's write may become visible this long after its log grew (see _confirm_at)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 30.0,
                   stderr: IO[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = b""
            if stderr is not None:
                stderr.seek(0)
                err = stderr.read()
            raise LoadError(f"the oxigraph server exited with code {proc.returncode}: "
                            f"{err.decode(errors='replace').strip()[:500]}")
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


def _yielding(argv: list[str]) -> list[str]:
    """``argv`` at nice 10: on a machine shared with the ETL, public queries get only spare CPU."""
    nice = shutil.which("nice")
    return [nice, "-n", "10", *argv] if nice else argv


def _first_to_go(pid: int) -> None:
    """If memory runs out, the kernel kills this process (a query server or loader we can restart)
    before the store server or the ETL."""
    try:
        Path(f"/proc/{pid}/oom_score_adj").write_text("1000")
    except OSError:
        pass  # not Linux, or gone already


def _kill_leftovers(root: Path) -> None:
    """Kill oxigraph processes still serving or loading a snapshot under ``root``: children of an
    endpoint that was SIGKILLed (we hold the folder's lock, so no live endpoint owns them)."""
    mark = str(root / "snap-").encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
            if any(Path(a.decode(errors="replace")).name == "oxigraph" for a in argv[:4]) and any(
                    a.startswith(mark) for a in argv):
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to kill


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass
class _Snapshot:
    """The data one or more read-only children serve."""

    location: Path
    as_of: float  # wall clock when its dump began (embedded store: when serving began)
    started: float  # the same moment, monotonic
    fingerprint: object = None  # of the watched store folder when the dump began
    quads: int | None = None
    owned: bool = False  # a replica folder of ours, removed once replaced
    confirm_at: float | None = None  # wall clock: take it again then, it may have missed a write (_confirm_at)


def _confirm_at(fingerprint: object, as_of: float) -> float | None:
    """When to dump again a snapshot whose dump began at ``as_of``, or None if it needs no second look.

    RocksDB appends a write to its log before the write is visible to readers (for a large batch,
    the memtable inserts take a while, longer on a busy machine), so a dump that began shortly after
    the watched folder last changed may have missed that write, and the folder will not change
    again to say so. Such a snapshot is taken again once the change is SETTLE_S old: one more dump at
    the end of a burst of writes, none while the store is quiet."""
    if not isinstance(fingerprint, tuple) or not fingerprint:
        return None
    newest = max(entry[2] for entry in fingerprint) / 1e9  # (name, size, mtime_ns)
    return newest + SETTLE_S if as_of - newest < SETTLE_S else None


class _Child:
    """One `oxigraph serve-read-only` over one snapshot, on a private loopback port."""

    def __init__(self, snapshot: _Snapshot, proc: subprocess.Popen[bytes], url: str, stderr: IO[bytes]) -> None:
        self.snapshot, self.proc, self.url, self.stderr = snapshot, proc, url, stderr
        self.inflight = 0
        self.killed = False  # set (under the replica's lock) before the process is killed

    def alive(self) -> bool:
        return not self.killed and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: a read-only server over an immutable snapshot has nothing to lose."""
        self.killed = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stderr.close()


class _Replica:
    """The read-only children behind the gate and, over a store server, the snapshots they serve."""

    def __init__(self, *, exe: str, timeout_s: float, store_dir: Path | None = None, source: str | None = None,
                 root: Path | None = None, refresh_s: float = 300.0, watch: Path | None = None,
                 verbose: bool = False) -> None:
        self.exe, self.timeout_s, self.source, self.refresh_s = exe, timeout_s, source, refresh_s
        self.watch, self.verbose = watch, verbose
        self.lock = threading.Condition()  # guards current/snapshot/children; notified on every change
        self.children: set[_Child] = set()
        self.current: _Child | None = None
        self.refreshes = self.replaced = self.failures = 0
        self.last_error: str | None = None
        self.last_duration: float | None = None
        self.last_end = float("-inf")  # monotonic end of the last refresh attempt
        self.done_started = float("-inf")  # when the last refresh attempt that ended began
        self._building = threading.Lock()  # one refresh at a time
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._seq = 0
        self._loader: subprocess.Popen[bytes] | None = None
        self._lockfile: IO[str] | None = None
        self._thread: threading.Thread | None = None
        if source is None:
            assert store_dir is not None
            now = time.time()
            self.snapshot = _Snapshot(store_dir, now, time.monotonic())
            self.current = self._spawn(self.snapshot)
            return
        assert root is not None
        self.root = root
        self._claim_root()
        try:
            self.refresh()
        except BaseException:
            self.close()
            raise
        self._thread = threading.Thread(target=self._loop, name="newsgraph-replica", daemon=True)
        self._thread.start()

    # ---- children ------------------------------------------------------------------------------
    def _spawn(self, snapshot: _Snapshot) -> _Child:
        port = free_port()
        err = tempfile.TemporaryFile()  # noqa: SIM115 - a file, not a pipe: a long-lived child never blocks on it
        argv = [self.exe, "serve-read-only", "--location", str(snapshot.location), "--union-default-graph",
                "--timeout-s", str(int(max(1, self.timeout_s))), "--bind", f"127.0.0.1:{port}"]
        proc = subprocess.Popen(_yielding(argv), stdout=subprocess.DEVNULL, stderr=err)
        _first_to_go(proc.pid)
        child = _Child(snapshot, proc, f"http://127.0.0.1:{port}", err)
        try:
            _wait_until_up(child.url + "/query", proc, stderr=err)
        except BaseException:
            child.kill()
            raise
        with self.lock:
            if self._stop.is_set():  # closed meanwhile: close() has collected the children already
                child.kill()
                raise LoadError("the endpoint is shutting down")
            self.children.add(child)
        return child

    def acquire(self) -> _Child:
        """The child new queries go to (restarted if it died); count one query in flight on it."""
        with self.lock:
            child = self.current
            if child is None or not child.alive():
                child = self.current = self._spawn(self.snapshot)
            child.inflight += 1
            return child

    def release(self, child: _Child) -> None:
        with self.lock:
            child.inflight -= 1
            self.lock.notify_all()

    def stop_runaway(self, child: _Child) -> None:
        """A query on ``child`` ran past the time-out: kill the process that runs it. If it was the
        current child, a fresh one over the same snapshot takes its place first (other queries on
        the killed one are retried there)."""
        with self.lock:
            if child.killed:
                return
            if child is self.current:
                try:
                    self.current = self._spawn(child.snapshot)
                except LoadError as exc:  # the next query tries again
                    self.current, self.last_error = None, f"{_iso(time.time())}: {exc}"
            self.replaced += 1
            child.killed = True
            self.children.discard(child)
        child.kill()

    # ---- snapshots -------------------------------------------------------------------------------
    def _claim_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._lockfile = open(self.root / ".lock", "w")  # noqa: SIM115 - held for the endpoint's life
        try:
            fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lockfile.close()
            self._lockfile = None
            raise LoadError(f"another newsgraph serve keeps its replica in {self.root}; give each endpoint its "
                            "own NEWSGRAPH_REPLICA_DIR", source=str(self.root)) from exc
        _kill_leftovers(self.root)
        for old in self.root.glob("snap-*"):  # left by an endpoint that was killed
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)

    def fingerprint(self) -> object:
        """Names, sizes and times of the watched store's write-ahead logs and manifests: every write
        to the store server changes them (compactions may too: a harmless extra refresh)."""
        if self.watch is None:
            return None
        for _ in range(3):
            try:
                return tuple(sorted((e.name, st.st_size, st.st_mtime_ns) for e in os.scandir(self.watch)
                                    if e.name.endswith(".log") or e.name.startswith("MANIFEST-")
                                    for st in (e.stat(),)))
            except FileNotFoundError:
                continue  # a file went away while we looked (a flush or compaction)
            except OSError:
                return None
        return None

    def stale(self) -> bool:
        """The watched store changed since the current snapshot was taken, or that snapshot began so
        soon after a change that it may have missed the write (_confirm_at) and that change has settled."""
        if self.source is None or self.watch is None:
            return False
        fp = self.fingerprint()
        if fp is None:
            return False
        confirm_at = self.snapshot.confirm_at
        return fp != self.snapshot.fingerprint or (confirm_at is not None and time.time() >= confirm_at)

    def _build(self) -> _Snapshot:
        """Stream the store server's whole dataset into ``oxigraph load`` in a fresh folder."""
        assert self.source is not None
        fingerprint = self.fingerprint()  # before the dump: a write after this point means refresh again
        as_of, started = time.time(), time.monotonic()
        self._seq += 1
        self.root.mkdir(parents=True, exist_ok=True)  # removed under a running endpoint: made again
        location = self.root / f"snap-{self._seq}-{int(as_of)}"
        log = self.root / f"{location.name}.load.log"
        argv = [self.exe, "load", "--location", str(location), "--format", "application/n-quads",
                "--lenient"]  # the store server's own serializer wrote it: checking it again costs ~1/3 of the load
        with open(log, "wb") as err:
            loader = subprocess.Popen(_yielding(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        _first_to_go(loader.pid)
        self._loader = loader  # close() kills it
        quads = 0
        try:
            assert loader.stdin is not None
            resp = requests.get(self.source + "/store", headers={"Accept": "application/n-quads"}, stream=True,
                                timeout=(10, 600))
            if resp.status_code in (404, 405):  # not Oxigraph's layout: GET the dataset itself (Fuseki)
                resp.close()
                resp = requests.get(self.source, headers={"Accept": "application/n-quads"}, stream=True,
                                    timeout=(10, 600))
            with resp:
                ctype = resp.headers.get("Content-Type", "")
                if resp.status_code != 200 or "n-quads" not in ctype:
                    raise LoadError(f"the store server answered {resp.status_code} ({ctype}) to a dump request")
                for chunk in resp.iter_content(1 << 20):
                    quads += chunk.count(b"\n")
                    loader.stdin.write(chunk)
            loader.stdin.close()
            if loader.wait() != 0:
                raise LoadError(f"oxigraph load exited with {loader.returncode}: "
                                f"{log.read_text(errors='replace').strip()[-500:]}")
        except (requests.RequestException, OSError, LoadError) as exc:
            if loader.poll() is None:
                loader.kill()
            loader.wait()
            shutil.rmtree(location, ignore_errors=True)
            raise LoadError(f"refreshing the replica from {self.source} failed: {exc}", source=self.source) from exc
        finally:
            self._loader = None
            log.unlink(missing_ok=True)
        return _Snapshot(location, as_of, started, fingerprint, quads, owned=True,
                         confirm_at=_confirm_at(fingerprint, as_of))

    def refresh(self) -> None:
        """Take a new snapshot of the store server and switch new queries to it (synchronous).

        Raises:
            LoadError: the dump, the load or the new child failed; the old snapshot goes on serving.
        """
        with self._building:
            t0 = time.monotonic()
            try:
                snapshot = self._build()
                try:
                    child = self._spawn(snapshot)
                except BaseException:
                    shutil.rmtree(snapshot.location, ignore_errors=True)
                    raise
            except (LoadError, OSError) as exc:  # OSError: the replica folder is not a folder, no memory
                # or file handles left to start `oxigraph`; the old snapshot goes on serving
                error = exc if isinstance(exc, LoadError) else LoadError(
                    f"refreshing the replica from {self.source} failed: {type(exc).__name__}: {exc}",
                    source=self.source)
                self._failed(error, t0)
                if error is exc:
                    raise
                raise error from exc
            with self.lock:
                old, old_snapshot = self.current, getattr(self, "snapshot", None)
                self.current, self.snapshot = child, snapshot
                self.refreshes += 1
                self.last_error = None
                self.last_end, self.done_started = time.monotonic(), t0
                self.last_duration = self.last_end - t0
                self.lock.notify_all()
            if self.verbose:
                print(f"newsgraph: replica refreshed: {snapshot.quads} quads as of {_iso(snapshot.as_of)} "
                      f"({self.last_duration:.2f} s)", file=sys.stderr)
            if old_snapshot is not None:
                threading.Thread(target=self._retire, args=(old, old_snapshot), daemon=True).start()

    def _failed(self, error: Exception, began: float) -> None:
        """Record a refresh attempt that failed: /replica shows it, the refresher waits RETRY_GAP_S."""
        with self.lock:
            self.failures += 1
            self.last_error = f"{_iso(time.time())}: {error}"
            self.last_end, self.done_started = time.monotonic(), began
            self.lock.notify_all()

    def _retire(self, old: _Child | None, snapshot: _Snapshot) -> None:
        """Let queries still running on the replaced snapshot finish (each within its time-out), then
        kill its child and remove its folder."""
        deadline = time.monotonic() + self.timeout_s + 5
        with self.lock:
            while old is not None and old.inflight > 0 and time.monotonic() < deadline:
                self.lock.wait(0.5)
            dying = [c for c in self.children if c.snapshot is snapshot]
            for c in dying:
                c.killed = True
                self.children.discard(c)
        for c in dying:
            c.kill()
        if snapshot.owned:
            shutil.rmtree(snapshot.location, ignore_errors=True)

    def request_refresh(self) -> None:
        """Ask the refresher for a new snapshot soon (SIGHUP does this)."""
        self._wanted.set()

    def await_fresh(self, arrival: float) -> None:
        """If the watched store changed since the current snapshot and a refresh is quick (a small
        store), wait until the replica has caught up: a refresh that began after ``arrival`` has
        ended, or one already under way left it no longer stale (at most FRESH_WAIT_S); else answer
        from the snapshot there is (the lag is in every answer's ``Newsgraph-Data-As-Of``).

        The query does not ask for a refresh itself: the refresher sees the same staleness within
        its next tick. A query that came while a refresh was under way used to, and bought one
        more full dump of a store that had not changed since that refresh began."""
        if not self.stale():
            return
        if self.last_duration is None or self.last_duration > FRESH_WAIT_S / 2:
            return
        deadline = arrival + FRESH_WAIT_S
        with self.lock:
            while self.done_started < arrival and self.stale():  # not caught up since the query came
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return
                self.lock.wait(left)

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            gap = max(MIN_GAP_S, GAP_FACTOR * (self.last_duration or 0.0))
            if self.last_error is not None:
                gap = max(gap, RETRY_GAP_S)
            if now - self.last_end < gap:
                continue
            # on a timer only when no watched folder tells us whether anything changed: a refresh
            # is a full dump, which an unchanged store need not pay for
            periodic = (self.refresh_s > 0 and now - self.snapshot.started >= self.refresh_s
                        and (self.watch is None or self.fingerprint() is None))
            if not (self._wanted.is_set() or periodic or self.stale()):
                continue
            self._wanted.clear()
            began = time.monotonic()
            try:
                self.refresh()
            except LoadError as exc:
                if self.verbose:
                    print(f"newsgraph: {exc} (serving the snapshot of {_iso(self.snapshot.as_of)})", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - the refresher must outlive any one refresh: once
                # it is gone the endpoint serves its last snapshot for good, and nothing says so
                error = LoadError(f"refreshing the replica failed: {type(exc).__name__}: {exc}", source=self.source)
                self._failed(error, began)
                print(f"newsgraph: {error} (serving the snapshot of {_iso(self.snapshot.as_of)})", file=sys.stderr)

    def status(self) -> dict[str, Any]:
        with self.lock:
            snap = self.snapshot
            doc: dict[str, Any] = {
                "serving": "replica of the store server" if self.source else "embedded store",
                "data_as_of": _iso(snap.as_of),
                "age_s": round(time.time() - snap.as_of, 1),
                "query_timeout_s": self.timeout_s,
            }
            if self.source:
                doc.update({"quads": snap.quads, "refresh_every_s": self.refresh_s or None,
                            "refreshed_on_write": self.watch is not None, "refreshes": self.refreshes,
                            "last_refresh_s": None if self.last_duration is None else round(self.last_duration, 3),
                            # the details (which may name the private store server) go to the log only
                            "last_error": None if self.last_error is None else
                            f"the last refresh failed ({self.last_error[:20]}); serving the snapshot above"})
            doc["runaway_queries_stopped"] = self.replaced
            return doc

    def close(self) -> None:
        self._stop.set()
        loader = self._loader
        if loader is not None and loader.poll() is None:
            loader.kill()  # a refresh under way fails; its folder is removed below
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        with self.lock:
            dying = list(self.children)
            self.children.clear()
            for c in dying:
                c.killed = True
            self.current = None
        for c in dying:
            c.kill()
        if self.source is not None:
            for old in self.root.glob("snap-*"):
                if old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    old.unlink(missing_ok=True)
        if self._lockfile is not None:
            self._lockfile.close()
            self._lockfile = None


class _TooLarge(Exception):
    pass


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
        if path == STATUS_PATH and method == "GET":
            self._drain()
            body = json.dumps(self.server.replica.status(), indent=1).encode() + b"\n"
            self._send(200, body, "application/json", {"Cache-Control": "no-store"})
            return
        if path in UI_PATHS and method == "GET":
            target, is_query = "/", False
        elif path in UI_ASSETS and method == "GET":
            target, is_query = path, False
        elif path in READ_PATHS:
            target, is_query = "/query", True
        elif path == "/store" and method == "GET":
            target, is_query = "/store", True
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
        target += f"?{query}" if query else ""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP and k.lower() != "host"}
        if not is_query:  # the query UI's page and assets: small and static
            self._run(method, target, body, headers, deadline=time.monotonic() + 30, stop_on_time_out=False)
            return
        arrival = time.monotonic()
        if not self.server.slots.acquire(timeout=QUEUE_WAIT_S):
            self._send(503, (f"{self.server.max_queries} queries are running, the most this endpoint runs at "
                             "once; try again in a few seconds.\n").encode(), headers={"Retry-After": "5"})
            return
        try:
            self.server.replica.await_fresh(arrival)
            self._run(method, target, body, headers, deadline=time.monotonic() + self.server.timeout_s,
                      stop_on_time_out=True)
        finally:
            self.server.slots.release()

    def _run(self, method: str, target: str, body: bytes, headers: dict[str, str], *, deadline: float,
             stop_on_time_out: bool) -> None:
        """Send the request to the current read-only child and relay its answer. At ``deadline`` a
        watchdog kills the child (a fresh one takes its place) and the answer is 504; a query that
        was on a child killed for another query's sake is sent once more to the fresh one."""
        replica = self.server.replica
        for attempt in (1, 2):
            try:
                child = replica.acquire()
            except LoadError as exc:
                self._send(503, f"The query server could not start: {exc}\n".encode())
                return
            fired = threading.Event()

            def stop(child: _Child = child, fired: threading.Event = fired) -> None:
                fired.set()
                replica.stop_runaway(child)

            watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), stop) if stop_on_time_out else None
            as_of = {"Newsgraph-Data-As-Of": _iso(child.snapshot.as_of)}
            try:
                if watchdog is not None:
                    watchdog.daemon = True
                    watchdog.start()
                status, data, ctype, out = self._fetch(child.url + target, method, body, headers, deadline)
            except _TooLarge:
                self._send(413, (f"The result is larger than this endpoint's cap of "
                                 f"{self.server.max_result_bytes // 1_000_000} MB; add a LIMIT.\n").encode(),
                           headers=as_of)
                return
            except requests.RequestException as exc:
                if stop_on_time_out and (fired.is_set() or isinstance(exc, requests.Timeout)):
                    if watchdog is not None:
                        watchdog.cancel()
                    stop()  # no-op if the watchdog did it; the answer comes after the work has stopped
                    self._send(504, f"The query ran past the {self.server.timeout_s:g} s time-out and was "
                                    "stopped.\n".encode(), headers=as_of)
                    return
                if child.killed and attempt == 1 and time.monotonic() < deadline:
                    continue  # collateral of another query's time-out: once more, on the fresh child
                self._send(502, f"The query server did not answer: {exc}\n".encode())
                return
            finally:
                if watchdog is not None:
                    watchdog.cancel()
                replica.release(child)
            self._send(status, data, ctype, {**out, **as_of})
            return

    def _fetch(self, url: str, method: str, body: bytes, headers: dict[str, str],
               deadline: float) -> tuple[int, bytes, str, dict[str, str]]:
        read_timeout = max(1.0, deadline - time.monotonic()) + 30  # a backstop: the watchdog acts first
        with requests.request(method, url, data=body or None, headers=headers, timeout=(5, read_timeout),
                              stream=True) as resp:
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.server.max_result_bytes:
                    raise _TooLarge()
                chunks.append(chunk)
            out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP and k.lower() != "content-type"}
            return resp.status_code, b"".join(chunks), resp.headers.get("Content-Type", "text/plain"), out

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
    """The read-only gate plus the `oxigraph serve-read-only` children behind it (and, over a store
    server, the replica they serve)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is routine, not an error: no traceback for it. Anything
        else is reported in one line (socketserver's default prints a traceback to stderr)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return
        print(f"newsgraph serve: error answering {client_address[0]}: {exc!r}", file=sys.stderr)

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 7878, timeout_s: float = 30.0,
                 max_result_bytes: int = 50_000_000, max_queries: int | None = None, verbose: bool = False) -> None:
        self.timeout_s = timeout_s
        self.max_result_bytes = max_result_bytes
        self.max_request_bytes = 1_000_000
        self.max_queries = max(1, max_queries or settings.endpoint_max_queries)
        self.slots = threading.BoundedSemaphore(self.max_queries)
        self.verbose = verbose
        exe = shutil.which("oxigraph")
        if exe is None:
            raise LoadError("the `oxigraph` server command is not installed (pip install oxigraph)")
        # the port first: the replica's children take free loopback ports of their own, and one of them
        # could be the port asked for here while it is still free (a test's free port, CI saw it)
        try:
            super().__init__((host, port), _Gate)
        except OSError as exc:
            raise LoadError(f"cannot listen on {host}:{port}: {exc}") from exc
        try:
            self._start_replica(settings, exe, timeout_s=timeout_s, verbose=verbose)
        except BaseException:
            self.server_close()
            raise

    def _start_replica(self, settings: Settings, exe: str, *, timeout_s: float, verbose: bool) -> None:
        target = (settings.store or "embedded").strip()
        if target.startswith(("http://", "https://")):
            source = target.rstrip("/")
            for suffix in ("/query", "/sparql"):
                source = source.removesuffix(suffix)
            _wait_until_up(source + "/query", None, timeout=10.0)
            self.replica = _Replica(
                exe=exe, timeout_s=timeout_s, source=source, verbose=verbose,
                root=Path(settings.replica_dir).expanduser() if settings.replica_dir else settings.data_dir / "replica",
                refresh_s=settings.replica_refresh,
                watch=Path(settings.replica_watch).expanduser() if settings.replica_watch else None)
        else:
            path = Path(settings.store_dir)
            _check_embedded(path)
            self.replica = _Replica(exe=exe, timeout_s=timeout_s, store_dir=path, verbose=verbose)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def refresh(self) -> None:
        """Take a new snapshot of the store server now and serve it (no-op over an embedded store)."""
        if self.replica.source is not None:
            self.replica.refresh()

    def server_close(self) -> None:
        super().server_close()
        replica = getattr(self, "replica", None)  # none yet when the port could not be taken
        if replica is not None:
            replica.close()

    def __enter__(self) -> Self:
        threading.Thread(target=self.serve_forever, name="newsgraph-serve", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def make_server(settings: Settings, *, host: str = "127.0.0.1", port: int = 7878, timeout_s: float = 30.0,
                max_result_bytes: int = 50_000_000, max_queries: int | None = None,
                verbose: bool = False) -> ReadOnlyEndpoint:
    """Build the endpoint without serving (``with make_server(...) as ep:`` serves in a thread)."""
    return ReadOnlyEndpoint(settings, host=host, port=port, timeout_s=timeout_s, max_result_bytes=max_result_bytes,
                            max_queries=max_queries, verbose=verbose)


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7878, timeout_s: float = 30.0,
          max_result_bytes: int = 50_000_000) -> None:
    """Serve a read-only SPARQL 1.1 endpoint (query UI at /, queries at /query) until interrupted.

    Args:
        settings: which store to serve (embedded at ``settings.store_dir``, or a replica of the
            server at ``settings.store``); ``endpoint_max_queries``, ``replica_*``.
        host, port: where to listen; loopback by default.
        timeout_s: per-query time-out; past it the query's process is killed and the answer is 504.
        max_result_bytes: results larger than this are refused with 413 (add a LIMIT).

    Over a store server, SIGHUP asks for a fresh snapshot now.

    Raises:
        StoreLocked: the embedded store is being written by another process.
        LoadError: no store, the oxigraph command is missing, the store server cannot be
            replicated, or the port is taken.
    """
    endpoint = make_server(settings, host=host, port=port, timeout_s=timeout_s,
                           max_result_bytes=max_result_bytes, verbose=True)
    print(f"newsgraph: read-only SPARQL endpoint at {endpoint.url}/query (UI at {endpoint.url}/)", file=sys.stderr)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (e.g. from a service manager): stop the oxigraph children too

    def _refresh(signum: int, frame: object) -> None:
        endpoint.replica.request_refresh()

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if main else None
    previous_hup = signal.signal(signal.SIGHUP, _refresh) if main else None
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_hup is not None:
            signal.signal(signal.SIGHUP, previous_hup)
