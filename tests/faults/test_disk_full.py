"""The disk fills up while writing the raw archive or the store: a clear error naming what could not
be written, nothing corrupted (what was written before is whole and readable; no partial files).

The full disk is real: a small tmpfs mounted for the test (we run as root in CI). Where mounting is
not permitted, the raw-archive case injects ENOSPC at the OS boundary instead (``os.fdopen`` of the
archive's temporary file) and the store case is skipped; the test says which it did.
"""
from __future__ import annotations

import copy
import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ngtest_faults_support as support
import pyoxigraph as ox
import pytest

from newsgraph import pipeline
from newsgraph.errors import LoadError
from newsgraph.pipeline import fetch_pages
from newsgraph.rdf import article_graph, validate
from newsgraph.settings import Settings

arts = support.load_module("rdf/_articles.py", "ngtest_rdf_articles")


class Disk:
    """A small file system of its own (tmpfs) or, failing that, a plain folder (``real=False``)."""

    def __init__(self, path: Path, real: bool) -> None:
        self.path, self.real = path, real

    def fill(self, leave: int) -> None:
        """Take all free space but ``leave`` bytes."""
        st = os.statvfs(self.path)
        free = st.f_bavail * st.f_frsize
        with open(self.path / "filler", "wb") as fh:
            fh.write(b"\0" * max(0, free - leave))

    def free(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)


def disk(tmp_path: Path, size: str) -> Iterator[Disk]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, check=False)
    try:
        yield Disk(mnt, done.returncode == 0)
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Disk]:
    yield from disk(tmp_path, "2m")


@pytest.fixture
def store_disk(tmp_path: Path) -> Iterator[Disk]:
    yield from disk(tmp_path, "6m")


def page(path: Path, n: int, seed: str) -> Path:
    text = f"Headline {seed}\n\n" + "\n\n".join(f"Paragraph {i} of page {seed} tells of many ministers meeting." for i in range(n))
    path.write_text(text, encoding="utf-8")
    return path


def test_raw_archive_on_a_full_disk(small_disk: Disk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=small_disk.path / "data")
    first = fetch_pages(settings, [str(page(tmp_path / "first.txt", 10, "one"))])
    kept = settings.raw_dir / first.pages[0].sha256[:2] / first.pages[0].sha256
    big = page(tmp_path / "big.txt", 20_000, "two")  # ~1.2 MB
    if small_disk.real:
        small_disk.fill(leave=64 * 1024)
    else:  # no tmpfs here: ENOSPC injected where the archive writes its temporary file
        from newsgraph import archive

        real_fdopen = os.fdopen

        class Full:
            def __init__(self, f: Any) -> None:
                self.f = f

            def __enter__(self) -> Full:  # noqa: PYI034
                return self

            def __exit__(self, *a: object) -> None:
                self.f.close()

            def write(self, data: bytes) -> int:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            def __getattr__(self, name: str) -> Any:
                return getattr(self.f, name)

        monkeypatch.setattr(archive.os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    with pytest.raises(LoadError) as info:
        fetch_pages(settings, [str(big)])
    assert "No space left on device" in str(info.value) and str(settings.raw_dir) in str(info.value)
    assert kept.read_bytes() == first.pages[0].content  # what was kept is intact
    leftovers = [p for p in settings.raw_dir.rglob("*") if p.is_file() and p.name.startswith(".tmp-")]
    assert leftovers == []  # no half-written temporary file
    big_sha = __import__("hashlib").sha256(big.read_bytes()).hexdigest()
    assert not (settings.raw_dir / big_sha[:2] / big_sha).exists()  # no partial page under its hash

    small_disk.free()
    monkeypatch.undo()
    again = fetch_pages(settings, [str(big)])
    assert (settings.raw_dir / big_sha[:2] / big_sha).read_bytes() == big.read_bytes()
    assert again.set_aside == []


def many_graphs(n: int) -> list[Any]:
    """n distinct article graphs (copies of the hand-made meeting article under new ids)."""
    base = arts.meeting_article()
    out = []
    for i in range(n):
        a = copy.deepcopy(base)
        a.id = uuid.UUID(int=i).hex[:16]
        g = article_graph(a, extracted_at="2026-11-26T23:00:00Z")
        validate(g)
        out.append(g)
    return out


def test_store_on_a_full_disk(store_disk: Disk) -> None:
    if not store_disk.real:
        pytest.skip("cannot mount a tmpfs here; RocksDB's writes cannot be made to fail from Python")
    settings = Settings(data_dir=store_disk.path / "data")
    graphs = many_graphs(40)
    pipeline.load_graphs(settings, graphs[:2])
    store_disk.fill(leave=256 * 1024)
    loaded = 2
    error: LoadError | None = None
    for i in range(2, len(graphs), 2):  # bounded: until the disk refuses
        try:
            pipeline.load_graphs(settings, graphs[i:i + 2])
            loaded = i + 2
        except LoadError as exc:
            error = exc
            break
    assert error is not None, "the disk never filled up"
    assert "No space left on device" in str(error) or "space" in str(error).lower(), str(error)
    assert error.not_loaded  # the run knows what it did not load

    store_disk.free()
    quads = support.embedded_quads(settings.store_dir)  # opens: nothing corrupted
    names = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    expected = {g.iri for g in graphs[:loaded]}
    assert expected <= names  # everything loaded before the failure is there
    per_graph: dict[str, int] = {}
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode):
            per_graph[q.graph_name.value] = per_graph.get(q.graph_name.value, 0) + 1
    size = len(graphs[0].graph_quads())
    for g in graphs:
        assert per_graph.get(g.iri, 0) in (0, size), f"{g.iri} is half-written"
    pipeline.load_graphs(settings, [g for g in graphs if g.article_id in error.not_loaded])  # and loads again
    quads = support.embedded_quads(settings.store_dir)
    assert {g.iri for g in graphs} <= {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}


def test_url_fetch_on_a_full_disk_is_a_clear_error(small_disk: Disk, tmp_path: Path) -> None:
    """The HTTP validator cache (SQLite) and the archive both write; a full disk is one clear LoadError."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = ("<html><body><article><h1>Ministers meet</h1>" + "<p>The ministers met and talked at length "
            "about trade and security in the capital.</p>" * 2000 + "</article></body></html>").encode()

    class Page(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(data_dir=small_disk.path / "data", allow_private_urls=True, fetch_retries=0)
        fetch_pages(settings, [f"http://127.0.0.1:{server.server_address[1]}/warm"])  # caches exist
        if small_disk.real:
            small_disk.fill(leave=0)
        else:
            pytest.skip("cannot mount a tmpfs here")
        with pytest.raises(LoadError) as info:
            fetch_pages(settings, [f"http://127.0.0.1:{server.server_address[1]}/page"])
        assert "No space left on device" in str(info.value)
    finally:
        server.shutdown()
        server.server_close()
