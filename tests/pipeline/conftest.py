"""A real HTTP server on loopback that plays the parts of news sites and feeds."""
from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

ARTICLE_HTML = b"""<!DOCTYPE html><html><head><title>Site</title></head><body>
<article><h1>Ministers Meet in Testville</h1><time datetime="2021-03-06T10:00:00Z">6 March 2021</time>
<p>The foreign ministers of two neighbouring states held talks in Testville on Friday, officials said.</p>
<p>They discussed trade, border security and a planned railway link between the two capitals.</p>
</article></body></html>"""


class Site(BaseHTTPRequestHandler):
    hits: ClassVar[Counter[str]] = Counter()
    base = ""

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        Site.hits[path] += 1
        Site.hits["ua:" + self.headers.get("User-Agent", "")] += 1
        if path == "/page.html":
            if self.headers.get("If-None-Match") == '"v1"':
                return self._send(304, headers={"ETag": '"v1"'})
            return self._send(200, ARTICLE_HTML, headers={"ETag": '"v1"', "Last-Modified": "Sat, 06 Mar 2021 10:00:00 GMT"})
        if path == "/redirect":
            return self._send(302, headers={"Location": "/page.html"})
        if path == "/loop":
            return self._send(302, headers={"Location": "/loop"})
        if path == "/missing":
            return self._send(404, b"not here")
        if path == "/slow":
            time.sleep(3)
            return self._send(200, ARTICLE_HTML)
        if path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"x" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/flaky":
            if Site.hits[path] <= 2:
                return self._send(503, b"busy", headers={"Retry-After": "0"})
            return self._send(200, ARTICLE_HTML)
        if path == "/feed.xml":
            feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                    f'<item><title>A</title><link>{Site.base}/page.html</link></item>'
                    f'<item><title>B</title><link>{Site.base}/missing</link></item>'
                    f'</channel></rss>').encode()
            return self._send(200, feed, "application/rss+xml")
        if path == "/notfeed.xml":
            return self._send(200, b"<rss><channel><item>unclosed <<< & garbage", "application/rss+xml")
        if path == "/bomb.xml":
            bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                    b'<rss version="2.0"><channel><title>&lol2;</title></channel></rss>')
            return self._send(200, bomb, "application/rss+xml")
        return self._send(404, b"no route")


class QuietServer(ThreadingHTTPServer):
    """The test site: a client the fetcher's caps make hang up (size, time-outs) is expected, and its
    BrokenPipe must not print into another test's captured output."""

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """Base URL of the local test site (http://127.0.0.1:PORT)."""
    server = QuietServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    Site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site.base
    server.shutdown()
    server.server_close()
